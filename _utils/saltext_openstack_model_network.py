"""
The ``openstack`` pillar validator's checks of what the hosts and their
networks are: networks, hosts, OVN, firewall, passwords and identities
(see ``saltext_openstack_model_validator``).  Not a Salt loader module
(see ``saltext_openstack_api``).
"""
try:
    import netaddr
except ImportError:  # pragma: no cover - openstack_pillar's __virtual__ says so
    netaddr = None

try:
    import saltext_openstack_model as model
except ImportError:
    from saltext_openstack._utils import saltext_openstack_model as model


def __virtual__():
    # Salt's utils loader also finds this file in extmods/utils: it is
    # imported by openstack_pillar's validator, not used through __utils__.
    return (False, "saltext_openstack_model_network is imported by openstack_pillar directly")


class NetworkChecks:
    """
    The checks of the networks, the hosts, OVN, the firewall, the
    passwords and the identities: a mixin of
    ``saltext_openstack_model_validator.Validator``, whose field checks
    (``self.text``, ``self.address``...) they use.
    """

    # -- networks ----------------------------------------------------------------

    def networks(self):
        section = self.section(("networks",), required=True)
        result = {
            "management": self.management(section),
            "provider": self.provider(section),
            "selfservice": self.selfservice(section),
            "datapath_type": self.choice(section, ("networks",), "datapath_type", "system",
                                         model.DATAPATH_TYPES),
            "geneve_vni_ranges": self.vni_ranges(section),
        }
        self.distinct_network_names(result)
        self.retired(section, ("networks",))
        self.overlapping_networks()
        return result

    def network_section(self, networks, name, required):
        if networks is None:
            return None
        return self.section(("networks", name), parent=networks, required=required)

    def release(self):
        release = self.text(self.data, (), "release", model.RELEASES[0], nospace=True)
        if release is not None and release not in model.RELEASES:
            self.problem(("release",), "{} is not a release these formulas deploy ({}): "
                         "their options, packages and services are those of {}".format(
                             model.show(release), ", ".join(model.RELEASES), model.RELEASES[0]))
            return None
        return release

    def interface(self, section, path):
        name = self.text(section, path, "interface", pattern=model.INTERFACE_RE,
                         what="a valid Linux interface name (1-15 characters, no '/', ':' "
                              "or whitespace)")
        if name in model.OVN_BRIDGES.values():
            self.problem(path + ("interface",), "{} is an Open vSwitch bridge the formulas "
                         "make ({}): name the host's own interface".format(
                             model.show(name), ", ".join(sorted(model.OVN_BRIDGES.values()))))
            return None
        return name

    def management(self, networks):
        path = ("networks", "management")
        section = self.network_section(networks, "management", True)
        if section is None:
            return None
        network = self.network(section, path, "management")
        result = model.network_fields(network)
        result["netmask"] = None if network is None else str(network.netmask)
        result["interface"] = self.interface(section, path)
        return result

    def provider(self, networks):
        path = ("networks", "provider")
        section = self.network_section(networks, "provider", True)
        if section is None:
            return None
        result = model.network_fields(self.network(section, path, "provider"))
        result["name"] = self.neutron_network_name(section, path)
        result["interface"] = self.interface(section, path)
        management = networks.get("management")
        if result["interface"] and model.is_mapping(management) and \
                result["interface"] == management.get("interface"):
            self.problem(path + ("interface",), "{} is also {}: the provider interface is "
                                                "handed to the bridge and must not carry the "
                                                "management address".format(
                                                    model.show(result["interface"]),
                                                    model.pillar_key(("networks", "management", "interface"))))
            result["interface"] = None
        result["physical_network"] = self.text(
            section, path, "physical_network", "provider", model.PHYSNET_RE,
            "a valid physical network name (no ':', ',' or whitespace)")
        result.update(self.provider_range(section, path))
        result["dns_nameservers"] = self.nameservers(section, path)
        result["mtu"] = self.mtu(section, path)
        return result

    def provider_range(self, section, path):
        gateway = self.address(section, path, "gateway", within="provider")
        start = self.address(section, path, "allocation_start", within="provider")
        end = self.address(section, path, "allocation_end", within="provider")
        if start is not None and end is not None:
            if start > end:
                self.problem(path + ("allocation_end",),
                             "'{}' is before allocation_start '{}'".format(end, start))
            else:
                self.pool = (start, end)
        if gateway is not None and self.pool and self.pool[0] <= gateway <= self.pool[1]:
            self.problem(path + ("gateway",), "'{}' is inside the allocation range {} - {}".format(
                gateway, *self.pool))
        self.provider_gateway = gateway
        return {
            "gateway": model.str_or_none(gateway),
            "allocation_start": model.str_or_none(start),
            "allocation_end": model.str_or_none(end),
        }

    def selfservice(self, networks):
        path = ("networks", "selfservice")
        section = self.network_section(networks, "selfservice", False)
        if section is None:
            return None
        network = self.network(section, path, "selfservice", "172.16.1.0/24")
        default_gateway = None
        if network is not None:
            default_gateway = str(netaddr.IPAddress(network.first + 1, network.version))
        result = model.network_fields(network)
        result["name"] = self.neutron_network_name(section, path)
        result["gateway"] = model.str_or_none(
            self.address(section, path, "gateway", default_gateway, within="selfservice"))
        result["dns_nameservers"] = self.nameservers(section, path)
        result["mtu"] = self.mtu(section, path)
        return result

    def distinct_network_names(self, networks):
        """The provider and self-service networks (and their subnets, named
        alike) need names of their own: Neutron finds them by name."""
        provider, selfservice = networks.get("provider"), networks.get("selfservice")
        if not (provider and selfservice) or provider.get("name") is None:
            return
        if selfservice.get("name") == provider["name"]:
            self.problem(("networks", "selfservice", "name"),
                         "{} is also {}: the two networks (and their subnets) need names "
                         "of their own".format(model.show(provider["name"]),
                                               model.pillar_key(("networks", "provider", "name"))))
            selfservice["name"] = None

    def neutron_network_name(self, section, path):
        """The Neutron name of a network and its subnet (:data:`NETWORK_NAMES`)."""
        name = self.value(section, path, "name", model.NETWORK_NAMES[path[-1]])
        if name is None:
            return None
        if self.neutron_name(name, path + ("name",), "network"):
            return name
        return None

    def mtu(self, section, path):
        """
        A network's MTU in Neutron (None: Neutron's own), at most what
        Neutron allows on it (:data:`MTU_CEILINGS`): it refuses more.
        """
        value = self.integer(section, path, "mtu", None, model.cloud_network.MTU_MIN)
        ceiling = model.MTU_CEILINGS[path[-1]]
        if value is None or value <= ceiling:
            return value
        if path[-1] == "provider":
            why = ("the flat provider network's largest: Neutron's global_physnet_mtu, "
                   "which the formulas leave at its default")
        else:
            why = ("a Geneve network's largest: Neutron's global_physnet_mtu {} less {} "
                   "(max_header_size {} and the outer IPv4 header {})".format(
                       model.PHYSNET_MTU, model.PHYSNET_MTU - ceiling, model.GENEVE_MAX_HEADER_SIZE,
                       model.IPV4_HEADER_SIZE))
        self.problem(path + ("mtu",), "{} is more than {}, {}".format(value, ceiling, why))
        return None

    def nameservers(self, section, path):
        servers = self.items(section, path, "dns_nameservers", [])
        if servers is None:
            return None
        path = path + ("dns_nameservers",)
        parsed = [self.parse_ip(value, path + (index,)) for index, value in enumerate(servers)]
        return [str(address) for address in parsed if address is not None]

    def retired(self, section, path):
        for name in section or ():
            reason = model.RETIRED_KEYS.get(path + (name,))
            if reason:
                self.problem(path + (name,), reason)

    def vni_ranges(self, networks):
        path = ("networks",)
        value = self.value(networks, path, "geneve_vni_ranges", "1:1000")
        key = path + ("geneve_vni_ranges",)
        if value is None:
            return None
        if not isinstance(value, str):
            self.problem(key, "must be a string like \"1:1000\", got {}: quote it in YAML "
                              "(unquoted 1:30 reads as the number 90)".format(model.type_name(value)))
            return None
        for part in value.split(","):
            match = model.VNI_RANGE_RE.match(part.strip())
            low, high = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
            if not 1 <= low <= high <= model.GENEVE_VNI_MAX:
                self.problem(key, "{} is not a range 'first:last' with 1 <= first <= last <= {}"
                                  .format(model.show(part.strip()), model.GENEVE_VNI_MAX))
                return None
        return value

    def overlapping_networks(self):
        names = [name for name in ("management", "provider", "selfservice") if name in self.nets]
        for index, name in enumerate(names):
            for earlier in names[:index]:
                if model.overlaps(self.nets[earlier], self.nets[name]):
                    self.problem(("networks", name, "cidr"), "'{}' overlaps {} ('{}')".format(
                        self.nets[name], model.pillar_key(("networks", earlier, "cidr")), self.nets[earlier]))

    # -- hosts -------------------------------------------------------------------

    def hosts(self, domain, networks):
        section = self.section(("hosts",), required=True)
        if not section:
            if section is not None:
                self.problem(("hosts",), "empty: a controller, a gateway and a compute are needed")
            return {}
        ids = model.natural_sorted(host_id for host_id in section if self.host_id(host_id))
        result = {}
        for host_id in ids:
            host = self.host(host_id, section[host_id], domain)
            if host is not None:
                host.update(model.host_devices(host_id, host["roles"], networks))
                result[host_id] = host
        self.same_name_hosts(ids)
        self.shared_addresses(result, "address")
        self.shared_addresses(result, "provider_address")
        self.role_counts(result)
        return result

    def host_id(self, host_id):
        """Check a minion id; False if it cannot be used at all."""
        if not isinstance(host_id, str):
            self.problem(("hosts", host_id),
                         "minion ids must be strings, got " + model.type_name(host_id))
            return False
        if len(host_id) > 253 or not model.HOSTNAME_RE.match(host_id):
            self.problem(("hosts", host_id), "not a valid host name (RFC 1123: labels of letters, "
                                              "digits and inner '-', separated by '.'); it goes "
                                              "into /etc/hosts")
        return True

    def host(self, host_id, entry, domain):
        path = ("hosts", host_id)
        if not model.is_mapping(entry):
            self.problem(path, "must be a mapping with roles and address, got " + model.type_name(entry))
            return None
        self.typos(entry, path, ("host",))
        return {
            "address": model.str_or_none(self.address(entry, path, "address", within="management")),
            "roles": self.host_roles(entry, path),
            "fqdn": model.fqdn(host_id, domain),
            "shortname": host_id.split(".")[0],
            "provider_address": model.str_or_none(self.provider_address(entry, path)),
        }

    def host_roles(self, entry, path):
        roles = self.items(entry, path, "roles", model.REQUIRED)
        if roles is None:
            return []
        if not roles:
            self.problem(path + ("roles",), "empty: give at least one of " + ", ".join(model.ROLES))
        for role in roles:
            if role not in model.ROLES:
                self.problem(path + ("roles",), "unknown role {} (allowed: {})".format(
                    model.show(role), ", ".join(model.ROLES)))
        return [role for role in model.ROLES if role in roles]

    def provider_address(self, entry, path):
        address = self.address(entry, path, "provider_address", None, within="provider")
        key = path + ("provider_address",)
        if address is not None and address == self.provider_gateway:
            self.problem(key, "'{}' is the provider gateway".format(address))
        elif address is not None and self.pool and self.pool[0] <= address <= self.pool[1]:
            self.problem(key, "'{}' is inside the provider allocation range {} - {} (neutron "
                              "hands those out as floating IPs)".format(address, *self.pool))
        return address

    def same_name_hosts(self, ids):
        """Minion ids naming the same host: case only, or the same short name."""
        seen = {}
        for host_id in ids:
            names = [host_id.lower(), host_id.split(".")[0].lower()]
            other = next((seen[name] for name in names if name in seen), None)
            if other is not None:
                self.problem(("hosts", host_id), "same host name as {} (host names are "
                                                  "case-insensitive and short names go into "
                                                  "/etc/hosts)".format(other))
            for name in names:
                seen.setdefault(name, host_id)

    def shared_addresses(self, hosts, field):
        owners = {}
        for host_id, host in hosts.items():
            address = host[field]
            if address in owners:
                self.problem(("hosts", host_id, field),
                             "'{}' is also the {} of {}".format(address, field, owners[address]))
            elif address is not None:
                owners[address] = host_id

    def role_counts(self, hosts):
        count = {role: [h for h, host in hosts.items() if role in host["roles"]] for role in model.ROLES}
        if not count["controller"]:
            self.problem(("hosts",), "no host has the controller role (exactly one is needed)")
        elif len(count["controller"]) > 1:
            self.problem(("hosts",), "more than one controller: {} (exactly one is needed)".format(
                ", ".join(count["controller"])))
        for role in ("gateway", "compute"):
            if not count[role]:
                self.problem(("hosts",), "no host has the {} role (at least one is needed)".format(
                    role))

    @staticmethod
    def controller(hosts, controllers):
        if not controllers:
            return None
        host = hosts[controllers[0]]
        return {"id": controllers[0], "address": host["address"], "fqdn": host["fqdn"]}

    # -- OVN -----------------------------------------------------------------------

    @staticmethod
    def ovn(hosts, controllers):
        address = hosts[controllers[0]]["address"] if controllers else None
        if address and ":" in address:  # IPv6, as OVSDB's connection methods write it
            address = "[{}]".format(address)
        return {
            # Mutual TLS both ways: the databases present the controller's
            # certificate and take only clients with one from the cloud's CA
            # (ovn/central.sls).
            "nb_connection": "ssl:{}:{}".format(address, model.OVN_NB_PORT),
            "sb_connection": "ssl:{}:{}".format(address, model.OVN_SB_PORT),
            "nb_listen": "pssl:{}:{}".format(model.OVN_NB_PORT, address),
            "sb_listen": "pssl:{}:{}".format(model.OVN_SB_PORT, address),
            "encap_type": "geneve",
            "geneve_max_header_size": model.GENEVE_MAX_HEADER_SIZE,
            "bridges": dict(model.OVN_BRIDGES),
        }

    # -- firewall, passwords, identities -------------------------------------------

    def gateway_nat(self):
        path = ("gateway_nat",)
        return {"enabled": self.flag(self.section(path), path, "enabled", False)}

    def firewall(self):
        path = ("firewall",)
        section = self.section(path)
        enabled = self.flag(section, path, "enabled", True)
        # SSH by default from the management network only (None when that
        # network was refused already: nothing more to report).
        management = self.nets.get("management")
        return {
            "enabled": enabled,
            "ssh_from": self.sources(section, path, "ssh_from", enabled,
                                     [str(management)] if management is not None else None),
            "public_from": self.sources(section, path, "public_from", enabled, ["0.0.0.0/0"]),
        }

    def sources(self, section, path, name, enabled, default):
        entries = self.items(section, path, name, default)
        if entries is None:
            return None
        if enabled and not entries:
            self.problem(path + (name,), "empty: the firewall would accept these ports from "
                                         "nowhere; give at least one network (e.g. 0.0.0.0/0)")
        result = []
        for index, value in enumerate(entries):
            network = self.parse_cidr(value, path + (name, index), bare_address=True)
            if network is not None and network.version != 4:
                self.problem(path + (name, index), "{} is IPv6: {}".format(
                    model.show(value), model.IPV6_REFUSED))
            elif network is not None:
                result.append(str(network))
        return result

    def passwords(self):
        path = ("passwords",)
        required = [name for name, _ in model.REQUIRED_PASSWORDS
                    if self.secrets is None or name in self.secrets]
        section = self.section(path)
        if section == {} and required:
            self.problem(path, "missing; required: " + ", ".join(required))
        elif section is not None:
            for name in required:
                self.password(section.get(name), path + (name,))

    def password(self, value, path):
        """Check one password; messages name its kind, never its value."""
        if value is None or value == "":
            self.problem(path, "missing or empty")
        elif isinstance(value, bool):
            self.problem(path, "must be a string, got a boolean (YAML reads unquoted yes, no, "
                               "on, off, true and false as booleans): quote it")
        elif model.is_number(value):
            self.problem(path, "must be a string, got a number (YAML reads unquoted digits as "
                               "a number): quote it")
        elif not isinstance(value, str):
            self.problem(path, "must be a string, got " + model.type_name(value))
        elif value != value.strip() or model.cloud_plan.CONTROL_RE.search(value):
            self.problem(path, "has surrounding whitespace or control characters")
        elif len(value) < model.SECRET_KEY_MIN_LENGTH.get(path[-1], 0):
            self.problem(path, "is {} characters long: a key needs at least {} (random, e.g. "
                               "'openssl rand -base64 48')".format(
                                   len(value), model.SECRET_KEY_MIN_LENGTH[path[-1]]))
        elif path[-1] in model.DATABASE_PASSWORDS and not value.isascii():
            self.problem(path, "has non-ASCII characters: PyMySQL sends a database password "
                               "as latin-1, so the service could not log in to MariaDB")
        elif path[-1] in model.PASSWORD_LIMITS and model.PASSWORD_LIMITS[path[-1]][0].search(value):
            self.problem(path, model.PASSWORD_LIMITS[path[-1]][1])

    def admin(self, domain):
        path = ("admin",)
        default = "admin@" + (domain or "localhost")
        email = self.text(self.section(path), path, "email", default, model.EMAIL_RE,
                          "a valid e-mail address")
        return {"email": email}

    def demo(self):
        path = ("demo",)
        section = self.section(path)
        return {
            "project": self.text(section, path, "project", "demo", model.PROJECT_RE,
                                 "a valid project name (at most 64 characters)"),
            "user": self.text(section, path, "user", "demo", model.USER_RE,
                              "a valid user name (at most 255 characters)"),
        }

    def dashboard(self, hosts, gateways):
        """
        Every name and address users reach the dashboard (Horizon, on every
        gateway) by: Django's ALLOWED_HOSTS.  Each gateway's minion id,
        short name, fqdn, management and provider address, then the
        pillar's ``dashboard:hosts`` (e.g. a public DNS name in front).
        """
        path = ("dashboard",)
        extra = self.items(self.section(path), path, "hosts", [])
        names = []
        for host_id in gateways:
            names += model.host_identities(host_id, hosts[host_id])
        # Other hosts' names and addresses: never the dashboard's.
        others = {str(value).lower(): host_id for host_id, host in hosts.items()
                  if host_id not in gateways
                  for value in model.host_identities(host_id, host) if value}
        for index, value in enumerate(extra or []):
            key = path + ("hosts", index)
            if not isinstance(value, str):
                self.problem(key, "must be a host name or an IPv4 address, got " +
                             model.type_name(value))
            elif len(value) > 253 or not (model.HOSTNAME_RE.match(value) or model.IPV4_RE.match(value)):
                self.problem(key, "{} is not a host name (RFC 1123) or an IPv4 "
                                  "address".format(model.show(value)))
            elif value.lower() in others:
                self.problem(key, "{} is a name or address of {}, which is not a gateway: "
                                  "it would go into the gateways' certificates".format(
                                      model.show(value), others[value.lower()]))
            else:
                names.append(value)
        allowed = []
        for name in names:
            if name is not None and name.lower() not in [a.lower() for a in allowed]:
                allowed.append(name)
        return {"allowed_hosts": allowed}
