"""
The ``openstack`` pillar's validator (``openstack_pillar.validate``): one
walk over the pillar that collects every problem and builds the topology
model.  :class:`Validator` holds the walk (running), the field checks
every section uses (generic fields, addresses) and takes the sections'
checks from three mixins:

* ``saltext_openstack_model_network.NetworkChecks``: networks, hosts, OVN,
  firewall, passwords and identities (what the hosts and their networks
  are);
* ``saltext_openstack_model_storage.StorageChecks``: the GlusterFS volume,
  Cinder's backends and Ceph;
* ``saltext_openstack_model_services.ServiceChecks``: the services (nova,
  TLS, glance and its images, workers, flavors, quotas, security groups).

The constants and pure helpers are ``saltext_openstack_model``'s.  What
each key means and the model's shape: ``_modules/openstack_pillar.py``.
Not a Salt loader module (see ``saltext_openstack_api``).
"""
import copy
import difflib
import re

from salt.exceptions import CommandExecutionError

try:
    import netaddr

    HAS_NETADDR = True
except ImportError:  # pragma: no cover - netaddr is a dependency
    HAS_NETADDR = False

try:
    import saltext_openstack_model as model
    import saltext_openstack_model_network as network
    import saltext_openstack_model_services as services
    import saltext_openstack_model_storage as storage
except ImportError:
    from saltext_openstack._utils import saltext_openstack_model as model
    from saltext_openstack._utils import saltext_openstack_model_network as network
    from saltext_openstack._utils import saltext_openstack_model_services as services
    from saltext_openstack._utils import saltext_openstack_model_storage as storage


def __virtual__():
    # Salt's utils loader also finds this file in extmods/utils: it is
    # imported by openstack_pillar, not used through __utils__.
    return (False, "saltext_openstack_model_validator is imported by openstack_pillar directly")


class Validator(network.NetworkChecks, storage.StorageChecks, services.ServiceChecks):
    """
    Walks the pillar once, collecting problems and building the model.
    The sections' checks come from the mixins; this class holds the walk
    itself and the field checks they all use.

    Each section method returns its part of the model; a value that failed a
    check is None in it (the model is only returned when nothing failed).
    Paths are tuples of keys under ``openstack``.
    """

    def __init__(self, data, secrets=None, own_id=None):
        self.data = data
        # The passwords required: None means every one of REQUIRED_PASSWORDS.
        self.secrets = secrets
        # Whose operator TLS key (tls:public:<host>:key) is required: every
        # host's (secrets None), else this minion's own only (the master's
        # filter gives a host no other).
        self.own_id = own_id
        self.problems = []
        self.nets = {}  # valid networks by name ("management", ...): IPNetwork
        self.provider_gateway = None
        self.pool = None  # provider allocation range: (first, last) IPAddress

    # -- running -------------------------------------------------------------

    def run(self, build=None):
        """The model that ``build`` (default :meth:`build`, the whole
        model; or :meth:`build_host_map`) makes, if nothing failed."""
        problem = model.root_problem(self.data)
        if problem:
            self.problems.append("{}: {}".format(model.ROOT, problem))
        else:
            result = (build or self.build)()
        if self.problems:
            raise CommandExecutionError(
                "Invalid pillar:\n" + "\n".join("  " + line for line in self.problems)
            )
        return result

    def problem(self, path, message):
        self.problems.append("{}: {}".format(model.pillar_key(path), message))

    def build(self):
        self.typos(self.data, (), ())
        release = self.release()
        region = self.text(self.data, (), "region", "RegionOne", model.REGION_RE,
                           "a valid region id (letters, digits, '_', '.' and '-', at most "
                           "255 characters)")
        domain, networks, hosts, roles = self.hosts_by_role()
        self.passwords()
        dashboard = self.dashboard(hosts, roles["gateway"])
        cinder = self.cinder()
        return {
            "release": release,
            "region": region,
            "domain": domain,
            "controller": self.controller(hosts, roles["controller"]),
            "endpoints": model.endpoints(roles["controller"][0] if roles["controller"] else None),
            "gateways": roles["gateway"],
            "console": model.console(roles["gateway"][0] if roles["gateway"] else None),
            "computes": roles["compute"],
            "hosts": hosts,
            "roles": roles,
            "management": networks["management"],
            "networks": networks,
            "ovn": self.ovn(hosts, roles["controller"]),
            "gateway_nat": self.gateway_nat(),
            "firewall": self.firewall(),
            "admin": self.admin(domain),
            "demo": self.demo(),
            "dashboard": dashboard,
            "gluster": self.gluster(hosts, roles["compute"]),
            "nova": self.nova(),
            "cinder": cinder,
            "ceph": self.ceph(cinder["backends"]),
            "glance": self.glance(),
            "workers": self.workers(),
            "flavors": self.flavors(),
            "security_groups": self.security_groups(),
            "quotas": self.quotas(),
            "tls": self.tls(hosts, roles, dashboard),
        }

    def hosts_by_role(self):
        """The domain, networks and hosts (whose addresses the networks
        check), and the hosts' ids by role."""
        domain = self.text(self.data, (), "domain", "", model.HOSTNAME_RE, "a valid DNS domain name")
        networks = self.networks()
        hosts = self.hosts(domain, networks)
        roles = {role: [h for h, host in hosts.items() if role in host["roles"]] for role in model.ROLES}
        return domain, networks, hosts, roles

    def build_host_map(self):
        """
        The host map by role (``openstack_pillar.host_map``): only the
        sections it comes from are checked (the hosts, the networks their
        addresses are in, gluster), no secret.
        """
        self.typos(self.data, (), ())
        _, _, hosts, roles = self.hosts_by_role()
        return {
            "everyone": list(hosts),
            "controller": roles["controller"],
            "gateways": roles["gateway"],
            "computes": roles["compute"],
            "brick_hosts": self.gluster(hosts, roles["compute"])["brick_hosts"],
        }

    # -- generic fields --------------------------------------------------------

    def typos(self, mapping, path, schema):
        """Report unknown keys that look like a typo of a missing known key."""
        known = model.KNOWN_KEYS[schema]
        missing = [name for name in known if name not in mapping]
        for name in mapping:
            if isinstance(name, str) and name not in known:
                close = difflib.get_close_matches(name, missing, n=1, cutoff=0.75)
                if close:
                    self.problem(path + (name,), "unknown key: did you mean {!r}?".format(close[0]))

    def section(self, path, parent=None, required=False):
        """The mapping at ``path``: ``{}`` when optional and missing, None if bad."""
        value = (self.data if parent is None else parent).get(path[-1])
        if value is None:
            if required:
                self.problem(path, "missing")
                return None
            return {}
        if not model.is_mapping(value):
            self.problem(path, "must be a mapping, got " + model.type_name(value))
            return None
        if path in model.KNOWN_KEYS:
            self.typos(value, path, path)
        return value

    def value(self, section, path, name, default):
        """``section[name]``, or the default when missing; None after a problem."""
        value = None if section is None else section.get(name)
        if value is not None and not (default is model.REQUIRED and value == ""):
            return value
        if default is not model.REQUIRED:
            return copy.deepcopy(default)
        if section is not None:  # a bad section was reported already
            self.problem(path + (name,), "missing or empty")
        return None

    def text(self, section, path, name, default=model.REQUIRED, pattern=None, what=None,
             nospace=False):
        value = self.value(section, path, name, default)
        key = path + (name,)
        if value is None or value == default:
            return value
        if not isinstance(value, str):
            self.problem(key, "must be a string, got " + model.type_name(value))
        elif not value.strip() or value != value.strip():
            self.problem(key, "{} is empty or has surrounding whitespace".format(model.show(value)))
        elif nospace and re.search(r"\s", value):
            self.problem(key, "{} must not contain whitespace".format(model.show(value)))
        elif pattern is not None and not pattern.match(value):
            self.problem(key, "{} is not {}".format(model.show(value), what))
        else:
            return value
        return None

    def description(self, section, path, maximum):
        """
        A resource's ``description`` (None: not managed), as its API takes
        it: one line of at most ``maximum`` characters (see
        ``saltext_openstack_cloud.description_text``).
        """
        value = self.text(section, path, "description", None)
        if value is None:
            return None
        try:
            return model.cloud_plan.description_text(value, model.pillar_key(path + ("description",)), maximum)
        except CommandExecutionError as exc:
            self.problems.append(str(exc))
            return None

    def choice(self, section, path, name, default, choices):
        value = self.value(section, path, name, default)
        if value is not None and value not in choices:
            self.problem(path + (name,), "{} is not one of {}".format(
                model.show(value), ", ".join(choices)))
            return None
        return value

    def flag(self, section, path, name, default):
        value = self.value(section, path, name, default)
        if value is not None and not isinstance(value, bool):
            self.problem(path + (name,), "{} must be true or false".format(model.show(value)))
            return None
        return value

    def integer(self, section, path, name, default, minimum, maximum=None):
        value = self.value(section, path, name, default)
        if value is None:
            return None
        if not model.is_int(value):
            self.problem(path + (name,), "{} must be an integer".format(model.show(value)))
            return None
        if value < minimum or (maximum is not None and value > maximum):
            if maximum is None:
                bound = ">= {}".format(minimum)
            else:
                bound = "between {} and {}".format(minimum, maximum)
            self.problem(path + (name,), "{} must be {}".format(value, bound))
            return None
        return value

    def ratio(self, section, path, name, default):
        value = self.value(section, path, name, default)
        if value is not None and (not model.is_number(value) or value <= 0):
            self.problem(path + (name,), "{} must be a positive number".format(model.show(value)))
            return None
        return None if value is None else float(value)

    def items(self, section, path, name, default):
        """A list (``default`` when missing), or None after a problem."""
        value = self.value(section, path, name, default)
        if value is not None and not isinstance(value, (list, tuple)):
            self.problem(path + (name,), "must be a list, got " + model.type_name(value))
            return None
        return value

    # -- addresses ---------------------------------------------------------------

    def parse_ip(self, value, path):
        if not isinstance(value, str):
            self.problem(path, "must be an IP address string, got " + model.type_name(value))
            return None
        try:
            return netaddr.IPAddress(value)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            self.problem(path, "{} is not a valid IP address".format(model.show(value)))
            return None

    def parse_cidr(self, value, path, bare_address=False):
        """A network address with its prefix (``bare_address``: or an address)."""
        if not isinstance(value, str):
            self.problem(path, "must be a CIDR string, got " + model.type_name(value))
            return None
        try:
            if value != value.strip():
                raise ValueError(value)
            if "/" not in value and not bare_address:
                netaddr.IPAddress(value)
                self.problem(path, "{} has no prefix length (e.g. '{}/24')".format(
                    model.show(value), value))
                return None
            network = netaddr.IPNetwork(value)
        except (netaddr.AddrFormatError, ValueError, TypeError):
            self.problem(path, "{} is not a valid CIDR".format(model.show(value)))
            return None
        if network.ip != network.network:
            self.problem(path, "{} has host bits set: did you mean '{}'?".format(
                model.show(value), network.cidr))
            return None
        return network.cidr

    def address(self, section, path, name, default=model.REQUIRED, within=None):
        """An IP address; with ``within``, a usable host address of that network."""
        value = self.value(section, path, name, default)
        if value is None:
            return None
        address = self.parse_ip(value, path + (name,))
        if address is None or within not in self.nets:
            return address
        return address if self.inside(address, path + (name,), within) else None

    def inside(self, address, path, net_name):
        network = self.nets[net_name]
        net_key = model.pillar_key(("networks", net_name, "cidr"))
        reserved = model.reserved_role(address, network)
        if address not in network:
            self.problem(path, "'{}' is not inside {} ({})".format(address, net_key, network))
        elif reserved:
            self.problem(path, "'{}' is {} of {} ({})".format(address, reserved, net_key, network))
        return address in network and not reserved

    def network(self, section, path, net_name, default=model.REQUIRED):
        """Parse ``cidr`` of a network section and register it under ``net_name``."""
        value = self.value(section, path, "cidr", default)
        network = None if value is None else self.parse_cidr(value, path + ("cidr",))
        if network is not None and network.version != 4:
            self.problem(path + ("cidr",), "{} is IPv6: {}".format(model.show(value), model.IPV6_REFUSED))
            return None
        if network is not None:
            self.nets[net_name] = network
        return network
