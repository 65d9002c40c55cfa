"""
The ``openstack`` pillar validator's checks of the services: nova, TLS,
glance and its images, workers, flavors, quotas and security groups (see ``saltext_openstack_model_validator``).  Not a Salt
loader module (see ``saltext_openstack_api``).
"""
import datetime
import difflib
import posixpath

from salt.exceptions import CommandExecutionError

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
except ImportError:  # pragma: no cover - openstack_pillar's __virtual__ says so
    x509 = serialization = UnsupportedAlgorithm = None

try:
    import saltext_openstack_model as model
except ImportError:
    from saltext_openstack._utils import saltext_openstack_model as model


def __virtual__():
    # Salt's utils loader also finds this file in extmods/utils: it is
    # imported by openstack_pillar's validator, not used through __utils__.
    return (False, "saltext_openstack_model_services is imported by openstack_pillar directly")


class ServiceChecks:
    """
    The checks of the services (nova, TLS, glance and its images, workers,
    flavors, quotas, security groups): a mixin of
    ``saltext_openstack_model_validator.Validator``, whose field checks
    (``self.text``, ``self.integer``...) they use.
    """

    # -- services --------------------------------------------------------------------

    def nova(self):
        path = ("nova",)
        section = self.section(path)
        return {
            "virt_type": self.choice(section, path, "virt_type", "kvm", model.VIRT_TYPES),
            "uid": self.integer(section, path, "uid", 64060, 1, model.MAX_ID),
            "gid": self.integer(section, path, "gid", 64060, 1, model.MAX_ID),
            "live_migration_scheme": self.live_migration_scheme(section, path),
            "live_migration_permit_post_copy": self.flag(
                section, path, "live_migration_permit_post_copy", True),
            "cpu_allocation_ratio": self.ratio(section, path, "cpu_allocation_ratio", 4.0),
            "ram_allocation_ratio": self.ratio(section, path, "ram_allocation_ratio", 1.0),
        }

    def tls(self, hosts, roles, dashboard):
        path = ("tls",)
        section = self.section(path)
        days = self.integer(section, path, "days", model.TLS_DAYS, model.TLS_RENEW_DAYS + 1, model.TLS_MAX_DAYS)
        public_ca = self.tls_ca(section, path + ("public_ca",))
        public = {host_id: {"issuer": "cloud", "cert": None, "ca": None, "not_after": None}
                  for host_id in hosts
                  if any(role in hosts[host_id]["roles"] for role in model.PUBLIC_TLS_ROLES)}
        entries = self.section(path + ("public",), section) if section is not None else None
        for host_id, entry in (entries or {}).items():
            key = path + ("public", host_id)
            if host_id not in hosts:
                self.problem(key, "{} is not a host of openstack:hosts".format(model.show(host_id)))
            elif host_id not in public:
                self.problem(key, "{} is a {} host: only a controller's or a gateway's "
                                  "endpoints are public".format(
                                      host_id, " and ".join(hosts[host_id]["roles"])))
            elif not model.is_mapping(entry):
                self.problem(key, "must be a mapping (cert, key, ca), got " + model.type_name(entry))
            else:
                names = model.public_names(host_id, hosts, roles["gateway"], dashboard)
                public[host_id] = self.public_tls(entry, key, host_id, names, public_ca)
        cas = []
        for entry in public.values():
            if entry and entry["ca"] and entry["ca"] not in cas:
                cas.append(entry["ca"])
        return {"days": days, "public": public, "public_cas": cas}

    def public_tls(self, entry, path, host_id, names, public_ca):
        """
        An operator's certificate for ``host_id``'s public endpoints: the
        model's entry (issuer, the chain and CA as normalized PEM, the
        end of validity), or None after a problem.  The key is checked,
        never kept in the model.
        """
        for name in entry:
            if name not in model.PUBLIC_TLS_KEYS:
                self.problem(path + (name,), "unknown key: an entry holds {}".format(
                    ", ".join(model.PUBLIC_TLS_KEYS)))
        chain = self.tls_chain(entry, path + ("cert",))
        own_ca = self.tls_ca(entry, path + ("ca",))
        ca_path, ca = (path + ("ca",), own_ca) if entry.get("ca") is not None else (
            ("tls", "public_ca"), public_ca)
        private = entry.get("key")
        key = None
        if private is None or private == "":
            if self.secrets is None or host_id == self.own_id:
                self.problem(path + ("key",), "missing or empty")
        else:
            key = self.tls_key(private, path + ("key",))
        if chain is None or (entry.get("ca") is not None and own_ca is None):
            return None
        problems = len(self.problems)
        self.tls_issued(chain, path + ("cert",), ca, ca_path)
        self.tls_names(chain[0], path + ("cert",), names)
        if key is not None and model.spki(key.public_key()) != model.spki(chain[0].public_key()):
            self.problem(path + ("key",), "is not the key of the certificate in {}".format(
                model.pillar_key(path + ("cert",))))
        if len(self.problems) > problems:
            return None
        return {"issuer": "operator", "cert": "".join(model.pem(cert) for cert in chain),
                "ca": model.pem(ca) if ca is not None else None,
                "not_after": chain[0].not_valid_after_utc.isoformat()}

    def tls_chain(self, entry, path):
        """The certificates of ``path`` (PEM, the host's first), valid now."""
        value = entry.get(path[-1])
        if value is None or value == "":
            self.problem(path, "missing or empty")
            return None
        if not isinstance(value, str):
            self.problem(path, "must be a string (PEM), got " + model.type_name(value))
            return None
        if "PRIVATE KEY" in value:
            self.problem(path, "holds a private key: {} goes to every host, the key belongs in "
                               "{}".format(model.pillar_key(path), model.pillar_key(path[:-1] + ("key",))))
            return None
        try:
            chain = x509.load_pem_x509_certificates(value.encode())
        except ValueError:
            self.problem(path, "is not a PEM certificate (-----BEGIN CERTIFICATE-----): give "
                               "the host's certificate first, then its intermediates")
            return None
        return chain if self.tls_dates(chain, path) else None

    def tls_ca(self, section, path):
        """The CA certificate of ``path`` (optional): one PEM CA, valid now."""
        value = None if section is None else section.get(path[-1])
        if value is None:
            return None
        chain = self.tls_chain(section, path)
        if chain is None:
            return None
        if len(chain) != 1:
            self.problem(path, "holds {} certificates: give the one CA that signed the chain's "
                               "last certificate".format(len(chain)))
            return None
        try:
            is_ca = chain[0].extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            is_ca = False
        if not is_ca:
            self.problem(path, "{} is not a CA certificate (basicConstraints CA:TRUE)".format(
                chain[0].subject.rfc4514_string()))
            return None
        return chain[0]

    def tls_dates(self, chain, path):
        now = datetime.datetime.now(datetime.timezone.utc)
        good = True
        for index, cert in enumerate(chain):
            which = "the certificate" if len(chain) == 1 else "certificate {} ({})".format(
                index + 1, cert.subject.rfc4514_string())
            if cert.not_valid_after_utc <= now:
                self.problem(path, "{} expired on {:%Y-%m-%d %H:%M} UTC".format(
                    which, cert.not_valid_after_utc))
                good = False
            elif cert.not_valid_before_utc > now:
                self.problem(path, "{} is not valid before {:%Y-%m-%d %H:%M} UTC".format(
                    which, cert.not_valid_before_utc))
                good = False
        return good

    def tls_issued(self, chain, path, ca, ca_path):
        """Each certificate of ``chain`` signed by the next; the last by ``ca``."""
        for index, (cert, issuer) in enumerate(zip(chain, chain[1:])):
            if not model.signed_by(cert, issuer):
                self.problem(path, "certificate {} is not signed by certificate {}: give the "
                                   "host's certificate first, then each one's issuer".format(
                                       index + 1, index + 2))
                return
        last = chain[-1]
        if ca is not None and model.pem(last) != model.pem(ca) and not model.signed_by(last, ca):
            self.problem(path, "is not signed by the CA of {} ({})".format(
                model.pillar_key(ca_path), ca.subject.rfc4514_string()))

    def tls_names(self, cert, path, names):
        """The certificate covers every name clients use for the host."""
        try:
            alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except x509.ExtensionNotFound:
            self.problem(path, "has no subjectAltName: it must name {}".format(", ".join(names)))
            return
        missing = [name for name in names if not model.san_covers(alt, name)]
        if missing:
            self.problem(path, "does not name {} (its subjectAltName: {}): the catalog's "
                               "public URLs, the console and the dashboard use {}".format(
                                   ", ".join(missing), model.san_text(alt), ", ".join(names)))

    def tls_key(self, value, path):
        """The private key of ``path`` (PEM, unencrypted), or None."""
        if not isinstance(value, str):
            self.problem(path, "must be a string (PEM), got " + model.type_name(value))
            return None
        encrypted = ("is encrypted: give it without a passphrase (openssl pkey -in KEY -out "
                     "PLAIN): the services read it unattended")
        if "ENCRYPTED" in value:
            self.problem(path, encrypted)
            return None
        try:
            return serialization.load_pem_private_key(value.encode(), password=None)
        except TypeError:
            self.problem(path, encrypted)
        except (ValueError, UnsupportedAlgorithm):
            # Never the library's message: it could quote the key.
            self.problem(path, "is not a PEM private key (-----BEGIN PRIVATE KEY-----)")
        return None

    def live_migration_scheme(self, section, path):
        value = self.value(section, path, "live_migration_scheme", "ssh")
        if isinstance(value, str) and value in model.UNDEPLOYED_MIGRATION_SCHEMES:
            self.problem(path + ("live_migration_scheme",), "{} {}".format(
                model.show(value), model.UNDEPLOYED_MIGRATION_SCHEMES[value]))
            return None
        return self.choice(section, path, "live_migration_scheme", "ssh",
                           model.LIVE_MIGRATION_SCHEMES)

    def glance(self):
        path = ("glance",)
        images = self.items(self.section(path), path, "images", [])
        result, names = [], set()
        for index, image in enumerate(images or ()):
            entry = self.image(image, path + ("images", index))
            if entry is not None and entry["name"] in names:
                self.problem(path + ("images", index, "name"),
                             "{} is listed twice".format(model.show(entry["name"])))
            elif entry is not None:
                names.add(entry["name"])
                result.append(entry)
        self.image_references(result, path + ("images",))
        return {"images": None if images is None else result}

    def image(self, image, path):
        """One image: name and source required (see "Glance images")."""
        if not model.is_mapping(image):
            self.problem(path, "must be a mapping with name and source, got " + model.type_name(image))
            return None
        self.typos(image, path, ("image",))
        entry = {
            "name": self.image_name(image, path, "name", model.REQUIRED),
            "source": self.image_source(image, path),
            "source_hash": self.text(image, path, "source_hash", None, model.SAFE_TOKEN_RE,
                                     "a hash (like sha256=...) or a URL, without whitespace"),
            "disk_format": self.choice(image, path, "disk_format", "qcow2",
                                       model.cloud_image.IMAGE_DISK_FORMATS),
            "container_format": self.choice(image, path, "container_format", "bare",
                                            model.cloud_image.IMAGE_CONTAINER_FORMATS),
            "visibility": self.choice(image, path, "visibility", "public",
                                      model.cloud_image.IMAGE_VISIBILITIES),
            "kernel": self.image_name(image, path, "kernel", None),
            "ramdisk": self.image_name(image, path, "ramdisk", None),
            "properties": self.image_properties(image, path),
        }
        return None if entry["name"] is None else entry

    def image_name(self, image, path, name, default):
        """An image name: it names a file of the image cache and goes into shell."""
        return self.text(image, path, name, default, model.IMAGE_NAME_RE,
                         "a valid image name (letters, digits and . _ + -, not starting "
                         "with '.' or '-', no '/', at most 255 characters)")

    def image_source(self, image, path):
        source = self.text(image, path, "source", model.REQUIRED, model.SAFE_TOKEN_RE,
                           "a URL or an absolute path, without whitespace")
        if source is None:
            return None
        if source.startswith("/"):
            if posixpath.normpath(source) != source or source == "/":
                self.problem(path + ("source",), "{} must be a normalized absolute path "
                                                 "(no '..', '.', '//' or trailing '/')"
                                                 .format(model.show(source)))
                return None
        elif not model.IMAGE_URL_RE.match(source):
            self.problem(path + ("source",), "{} is not an absolute path or a URL (http, https, "
                                             "ftp or salt)".format(model.show(source)))
            return None
        return source

    def image_properties(self, image, path):
        properties = self.value(image, path, "properties", {})
        path = path + ("properties",)
        if not model.is_mapping(properties):
            self.problem(path, "must be a mapping, got " + model.type_name(properties))
            return None
        result = {}
        for name in sorted(properties, key=str):
            value = properties[name]
            if not isinstance(name, str) or not model.IMAGE_PROPERTY_RE.match(name):
                self.problem(path + (name,), "not an image property name (letters, digits "
                                             "and _ . : -)")
            elif name in model.cloud_image.IMAGE_CORE:
                self.problem(path + (name,), "is one of Glance's own fields, not a property"
                             + (" (give kernel or ramdisk: an image name)"
                                if name in ("kernel_id", "ramdisk_id") else ""))
            elif isinstance(value, bool):
                result[name] = "true" if value else "false"
            elif model.is_number(value) or (isinstance(value, str) and value
                                        and not model.cloud_plan.CONTROL_RE.search(value)):
                result[name] = str(value)
            else:
                self.problem(path + (name,), "must be a non-empty string or a number, "
                                             "without control characters")
        return result

    def image_references(self, images, path):
        """kernel and ramdisk name other images of the list."""
        names = {entry["name"] for entry in images}
        for index, entry in enumerate(images):
            for key in ("kernel", "ramdisk"):
                ref = entry.get(key)
                if ref is not None and (ref not in names or ref == entry["name"]):
                    self.problem(path + (index, key), "{} is not another image of {}".format(
                        model.show(ref), model.pillar_key(path)))

    def workers(self):
        """Process counts; 0 only for the kinds of ``model.ZERO_WORKERS``,
        ``workers:glance`` as many as ``workers:api`` when unset."""
        path = ("workers",)
        section = self.section(path)
        workers = {}
        for kind in model.WORKER_KINDS:
            default = model.DEFAULT_WORKERS[kind]
            if default is None:
                default = workers["api"]
            value = None if section is None else section.get(kind)
            if kind not in model.ZERO_WORKERS and model.is_int(value) and value == 0:
                self.problem(path + (kind,), "0 must be >= 1 (only {} take 0)".format(
                    " and ".join(model.pillar_key(path + (k,)) for k in sorted(model.ZERO_WORKERS))))
                workers[kind] = None
                continue
            minimum = 0 if kind in model.ZERO_WORKERS else 1
            workers[kind] = self.integer(section, path, kind, default, minimum)
        return workers

    def flavors(self):
        path = ("flavors",)
        flavors = self.value(self.data, (), "flavors", model.DEFAULT_FLAVORS)
        if not model.is_mapping(flavors):
            self.problem(path, "must be a mapping of flavor names to vcpus, ram and disk, "
                               "got " + model.type_name(flavors))
            return None
        result = {}
        for name in sorted(flavors, key=str):
            key = path + (name,)
            flavor = flavors[name]
            if not isinstance(name, str) or not model.FLAVOR_NAME_RE.match(name):
                self.problem(key, "not a valid flavor name (letters, digits and . _ -, not "
                                  "starting with '.' or '-', at most 255 characters)")
            elif not model.is_mapping(flavor):
                self.problem(key, "must be a mapping with vcpus, ram and disk, got "
                             + model.type_name(flavor))
            else:
                self.typos(flavor, key, ("flavor",))
                fields = {
                    "vcpus": self.integer(flavor, key, "vcpus", model.REQUIRED, 1, 4096),
                    "ram": self.integer(flavor, key, "ram", model.REQUIRED, 1),
                    "disk": self.integer(flavor, key, "disk", model.REQUIRED, 0),
                    "ephemeral": self.integer(flavor, key, "ephemeral", 0, 0),
                    "swap": self.integer(flavor, key, "swap", 0, 0),
                    "public": self.flag(flavor, key, "public", True),
                }
                required = list(fields.values())
                fields["description"] = self.description(flavor, key,
                                                         model.cloud_plan.NOVA_DESCRIPTION_MAX)
                fields["extra_specs"] = self.extra_specs(flavor, key)
                if None not in required and fields["extra_specs"] is not None:
                    result[name] = fields
        return result

    def extra_specs(self, flavor, path):
        """A flavor's extra specs: names to strings (Nova stores strings)."""
        specs = self.value(flavor, path, "extra_specs", {})
        path = path + ("extra_specs",)
        if not model.is_mapping(specs):
            self.problem(path, "must be a mapping of extra spec names to values, got "
                         + model.type_name(specs))
            return None
        result = {}
        for name in sorted(specs, key=str):
            value = specs[name]
            if not isinstance(name, str) or not model.EXTRA_SPEC_KEY_RE.match(name):
                self.problem(path + (name,), "not an extra spec name (letters, digits and "
                                             "_ : . - and space, at most 255 characters)")
            elif isinstance(value, bool):
                result[name] = "true" if value else "false"
            elif (model.is_number(value) or isinstance(value, str)) and len(str(value)) <= 255 \
                    and not model.cloud_plan.CONTROL_RE.search(str(value)):
                result[name] = str(value)
            else:
                self.problem(path + (name,), "must be a string (at most 255 characters, no "
                                             "control characters), a number or a boolean")
        return None if len(result) != len(specs) else result

    def quotas(self):
        """openstack:quotas: project name -> {limit: integer >= -1} (see the table)."""
        path = ("quotas",)
        quotas = self.value(self.data, (), "quotas", {})
        if not model.is_mapping(quotas):
            self.problem(path, "must be a mapping of project names to quota limits, got "
                         + model.type_name(quotas))
            return None
        result = {}
        demo = self.data.get("demo") if model.is_mapping(self.data.get("demo")) else {}
        known = ("admin", "service", demo.get("project", "demo"))
        for project in sorted(quotas, key=str):
            key = path + (project,)
            limits = quotas[project]
            if not isinstance(project, str) or not model.PROJECT_RE.match(project):
                self.problem(key, "not a project name (1 to 64 characters)")
            elif project not in known:
                self.problem(key, "not a project the formulas make (" + ", ".join(
                    str(name) for name in known) + "): Keystone would have no project of "
                    "that name when the quotas are set")
            elif not model.is_mapping(limits):
                self.problem(key, "must be a mapping of quota names to integers, got "
                             + model.type_name(limits))
            else:
                self.typos(limits, key, ("quota",))
                for name in limits:
                    if name not in model.cloud_plan.QUOTA_FIELDS and not difflib.get_close_matches(
                            str(name), list(model.cloud_plan.QUOTA_FIELDS), n=1, cutoff=0.75):
                        self.problem(key + (name,), "not a quota openstack_cloud sets (one of "
                                     + ", ".join(model.cloud_plan.QUOTA_FIELDS) + ")")
                checked = {name: self.integer(limits, key, name, None, -1)
                           for name in model.cloud_plan.QUOTA_FIELDS if name in limits}  # fmt: skip
                if None not in checked.values():
                    result[project] = checked
        return result

    def security_groups(self):
        """The admin project's security groups and their rules (by group name)."""
        path = ("security_groups",)
        groups = self.value(self.data, (), "security_groups", model.DEFAULT_SECURITY_GROUPS)
        if not model.is_mapping(groups):
            self.problem(path, "must be a mapping of security group names to their "
                               "description, rules and remove_unlisted, got " + model.type_name(groups))
            return None
        names = {"default"} | {name for name in groups if isinstance(name, str)}
        result = {}
        for name in sorted(groups, key=str):
            key = path + (name,)
            group = groups[name]
            if not self.security_group_name(name, key):
                continue
            if group is None:
                group = {}
            if not model.is_mapping(group):
                self.problem(key, "must be a mapping with description, rules and "
                                  "remove_unlisted, got " + model.type_name(group))
                continue
            self.typos(group, key, ("security_group",))
            entry = {
                "description": self.description(group, key, model.cloud_plan.NEUTRON_DESCRIPTION_MAX),
                "remove_unlisted": self.flag(group, key, "remove_unlisted", False),
                "rules": self.security_rules(group, key, names),
            }
            if entry["rules"] is not None and entry["remove_unlisted"] is not None:
                result[name] = entry
        self.security_group_cycles(path, result)
        return result

    def security_group_name(self, name, key):
        return self.neutron_name(name, key, "security group")

    def neutron_name(self, name, key, what):
        """A Neutron name (at most 255 characters, no control characters), not
        starting or ending with whitespace."""
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            self.problem(key, "not a valid {} name (at most {} characters, no "
                              "control characters, not starting or ending with whitespace)"
                              .format(what, model.cloud_plan.NEUTRON_NAME_MAX))
            return False
        try:
            model.cloud_network.neutron_name(name, what)
        except CommandExecutionError as exc:
            self.problem(key, str(exc))
            return False
        return True

    def security_group_cycles(self, path, groups):
        """
        cloud.security makes a group's state require the groups its rules
        name as remote_group (other than itself), so that they exist first:
        groups that name each other, directly or round a ring, would be a
        requisite loop that Salt refuses.  Reported once per ring.
        """
        needs = {name: sorted({rule["remote_group"] for rule in group["rules"]
                               if rule["remote_group"] not in (None, name)
                               and rule["remote_group"] in groups})
                 for name, group in groups.items()}
        reported = set()
        for start in sorted(needs):
            trail, name = [start], start
            while True:
                ahead = [n for n in needs[name] if n not in reported]
                ring = next((n for n in ahead if n in trail), None)
                if ring is not None:
                    loop = trail[trail.index(ring):]
                    if not reported & set(loop):
                        reported.update(loop)
                        self.problem(path + (loop[0], "rules"), "the groups {} name each other "
                                     "as remote_group: a loop, as each must exist before the "
                                     "other (keep such rules in one of them)".format(
                                         " -> ".join(loop + [loop[0]])))
                    break
                if not ahead:
                    break
                name = ahead[0]
                trail.append(name)

    def security_rules(self, group, path, names):
        """
        A group's rules, checked as ``openstack_cloud`` applies them; a
        ``remote_group`` names a group of ``security_groups`` or default.
        """
        rules = self.items(group, path, "rules", [])
        if rules is None:
            return None
        path = path + ("rules",)
        result, seen, bad = [], {}, False
        for index, rule in enumerate(rules):
            key = path + (index,)
            try:
                checked = model.cloud_network.rule_spec(rule, model.pillar_key(key))
            except CommandExecutionError as exc:
                self.problems.append(str(exc))
                bad = True
                continue
            remote = checked["remote_group"]
            if remote is not None and remote not in names:
                self.problem(key + ("remote_group",), "{} is not a group of {}".format(
                    model.show(remote), model.pillar_key(("security_groups",))) + " (nor default)")
                bad = True
                continue
            same = model.cloud_network.rule_key(dict(checked, remote_group_id=remote))
            if same in seen:
                self.problem(key, "the same rule as {}".format(model.pillar_key(path + (seen[same],))))
                bad = True
                continue
            seen[same] = index
            result.append(checked)
        return None if bad else result
