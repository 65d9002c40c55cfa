"""
The ``openstack`` pillar validator's checks of storage: the GlusterFS
volume of the instances directory, Cinder's backends and the Ceph cluster
an rbd backend uses (see ``saltext_openstack_model_validator``).  Not a
Salt loader module (see ``saltext_openstack_api``).
"""
import base64
import binascii
import posixpath
import uuid

try:
    import saltext_openstack_model as model
except ImportError:
    from saltext_openstack._utils import saltext_openstack_model as model


def __virtual__():
    # Salt's utils loader also finds this file in extmods/utils: it is
    # imported by openstack_pillar's validator, not used through __utils__.
    return (False, "saltext_openstack_model_storage is imported by openstack_pillar directly")


class StorageChecks:
    """
    The checks of gluster, cinder's backends and Ceph: a mixin of
    ``saltext_openstack_model_validator.Validator``, whose field checks
    (``self.text``, ``self.integer``...) they use.
    """

    # -- gluster -------------------------------------------------------------------

    def gluster(self, hosts, computes):
        path = ("gluster",)
        section = self.section(path)
        result = {
            "volume": self.gluster_volume(section, path),
            "brick_dir": self.brick_dir(section, path),
            "mount_point": model.GLUSTER_MOUNT_POINT,
        }
        result.update(self.bricks(section, path, hosts, computes))
        result["bricks"] = [
            "{}:{}".format(host, result["brick_dir"]) for host in result["brick_hosts"]
        ]
        result["force"] = self.flag(section, path, "force", True)
        result["mount_hosts"] = list(computes)
        options = self.gluster_options(section, path)
        if options is not None:
            options = dict(self.gluster_quorum_options(result), **options)
            options["auth.allow"] = self.gluster_auth_allow(hosts, computes)
        result["options"] = options
        return result

    @staticmethod
    def gluster_quorum_options(gluster):
        """The quorum options the topology implies (see the module docstring)."""
        options = {}
        if (gluster["replica"] or 1) > 1:
            options["cluster.quorum-type"] = "auto"
        peers = len(set(gluster["brick_hosts"]))
        options["cluster.server-quorum-type"] = "server" if peers >= 3 else "none"
        return options

    @staticmethod
    def gluster_auth_allow(hosts, computes):
        """auth.allow: loopback, then every compute's management address."""
        allowed = ["127.0.0.1"]
        for host_id in computes:
            address = (hosts.get(host_id) or {}).get("address")
            if address and address not in allowed:
                allowed.append(address)
        return ",".join(allowed)

    def gluster_volume(self, section, path):
        volume = self.text(section, path, "volume", "nova-instances", model.GLUSTER_VOLUME_RE,
                           "a valid gluster volume name (letters, digits, '-' and '_', not "
                           "starting with '-', at most 64 characters)")
        if volume is not None and volume.lower() in model.GLUSTER_RESERVED_VOLUMES:
            self.problem(path + ("volume",), "{} is reserved by gluster".format(model.show(volume)))
            return None
        return volume

    def brick_dir(self, section, path):
        value = self.text(section, path, "brick_dir", "/srv/gluster/nova-instances",
                          model.BRICK_DIR_RE, "an absolute path (letters, digits and . _ + @ - /)")
        mount = model.GLUSTER_MOUNT_POINT
        if value is None:
            return None
        if value == "/" or posixpath.normpath(value) != value:
            self.problem(path + ("brick_dir",), "{} must be a normalized absolute path other "
                                                "than '/' (no trailing '/', '//', '.' or '..')"
                                                .format(model.show(value)))
        elif model.system_dir(value):
            self.problem(path + ("brick_dir",), "{} is {}: the brick would take it over "
                                                "(chown to nova, replicate it between hosts)"
                                                .format(model.show(value), model.system_dir(value)))
        elif value == mount or value.startswith(mount + "/") or mount.startswith(value + "/"):
            self.problem(path + ("brick_dir",), "{} must not contain or be inside the volume's "
                                                "mount point {}".format(model.show(value), mount))
        else:
            return value
        return None

    def bricks(self, section, path, hosts, computes):
        """replica, arbiter and brick_hosts (see the module documentation)."""
        explicit = self.brick_hosts(section, path, hosts)
        candidates = computes if explicit is None else explicit
        replica = self.integer(section, path, "replica", min(3, len(candidates)) or 1, 1)
        arbiter = self.flag(section, path, "arbiter", False)
        result = {"replica": replica, "arbiter": arbiter, "brick_hosts": []}
        if replica is None:
            return result
        if arbiter and replica != 3:
            self.problem(path + ("arbiter",), "needs replica 3 (replica is {})".format(replica))
        if candidates and replica > len(candidates):
            self.problem(path + ("replica",), "{} is larger than the number of bricks ({})"
                                              .format(replica, len(candidates)))
        elif explicit and len(explicit) % replica:
            self.problem(path + ("brick_hosts",), "{} bricks are not a multiple of replica {}"
                                                  .format(len(explicit), replica))
        else:
            result["brick_hosts"] = list(candidates[: len(candidates) // replica * replica])
        return result

    def brick_hosts(self, section, path, hosts):
        """The explicit brick_hosts list, or None when not given."""
        entries = self.items(section, path, "brick_hosts", None)
        path = path + ("brick_hosts",)
        if entries is not None and not entries:
            self.problem(path, "empty: leave it out to use every compute")
        seen = set()
        for index, host_id in enumerate(entries or ()):
            if not isinstance(host_id, str) or host_id not in hosts:
                self.problem(path + (index,), "{} is not a host of {}".format(
                    model.show(host_id), model.pillar_key(("hosts",))))
            elif "compute" not in hosts[host_id]["roles"]:
                self.problem(path + (index,), "{} is not a compute host".format(model.show(host_id)))
            elif host_id in seen:
                self.problem(path + (index,), "{} is listed twice".format(model.show(host_id)))
            else:
                seen.add(host_id)
        return None if entries is None else [h for h in entries if isinstance(h, str)]

    def gluster_options(self, section, path):
        options = self.value(section, path, "options", model.DEFAULT_GLUSTER_OPTIONS)
        if not model.is_mapping(options):
            self.problem(path + ("options",), "must be a mapping, got " + model.type_name(options))
            return None
        result = {}
        for name in sorted(options, key=str):
            value = options[name]
            if not isinstance(name, str) or not model.GLUSTER_OPTION_RE.match(name):
                self.problem(path + ("options", name),
                             "not a gluster option name (like network.ping-timeout)")
            elif name.lower() in model.GLUSTER_TOPOLOGY_OPTIONS:
                self.problem(path + ("options", name),
                             "is set by the formulas from openstack:hosts (the "
                             "computes' management addresses); remove it")
            elif isinstance(value, bool):  # YAML reads unquoted on/off as booleans
                result[name] = "on" if value else "off"
            elif model.is_number(value) or (isinstance(value, str) and value):
                result[name] = str(value)
            else:
                self.problem(path + ("options", name),
                             "must be a string or number, got " + model.type_name(value))
        return result

    # -- cinder and Ceph ---------------------------------------------------------------

    def cinder(self):
        """The top-level LVM settings (the default lvm backend's) and the backends."""
        path = ("cinder",)
        section = self.section(path)
        group = self.lvm_volume_group(section, path, "cinder-volumes")
        lvm_type = self.choice(section, path, "lvm_type", "auto", model.LVM_TYPES)
        backends = self.cinder_backends(section, path, group, lvm_type)
        return {
            "volume_group": group,
            "loop_file_size_gb": self.integer(section, path, "loop_file_size_gb", 10, 0),
            "lvm_type": lvm_type,
            "backends": backends,
            # Whether an rbd backend is in use: what the formulas ask (the
            # Ceph client side, nova's [libvirt] rbd settings).
            "rbd": None if backends is None else any(
                backend["type"] == "rbd" for backend in backends),
            "default_volume_type": self.default_volume_type(section, path, backends),
        }

    def default_volume_type(self, section, path, backends):
        """
        ``cinder:default_volume_type``: cinder.conf's ``[DEFAULT]
        default_volume_type``, one of the backends' volume types (default:
        the first backend's).  None when the backends are refused.
        """
        types = [backend["volume_type"] for backend in backends or ()]
        value = self.text(section, path, "default_volume_type", types[0] if types else None,
                          model.VOLUME_TYPE_RE, "a volume type name")
        if value is None or not types:
            return None
        if value not in types:
            self.problem(path + ("default_volume_type",),
                         "{} is not the volume type of a backend of {} ({}): the formulas "
                         "make those types only".format(
                             model.show(value), model.pillar_key(path + ("backends",)),
                             ", ".join(types)))
            return None
        return value

    def lvm_volume_group(self, section, path, default):
        group = self.text(section, path, "volume_group", default, model.LVM_VG_RE,
                          "a valid LVM volume group name (letters, digits and + _ . -, not "
                          "starting with '-', at most 127 characters)")
        if group in (".", ".."):
            self.problem(path + ("volume_group",),
                         "{} is not a valid LVM volume group name".format(model.show(group)))
            return None
        return group

    def cinder_backends(self, section, path, volume_group, lvm_type):
        """
        ``cinder:backends``: a list, in cinder.conf's enabled_backends order,
        of ``{name, type, ...}``; default one lvm backend named lvm with the
        top-level volume_group and lvm_type (see "Cinder backends").
        """
        entries = self.items(section, path, "backends", model.DEFAULT_CINDER_BACKENDS)
        path = path + ("backends",)
        if entries is None:
            return None
        if not entries:
            self.problem(path, "empty: give at least one backend (leave the key out for "
                               "one lvm backend)")
            return None
        result, names, types, groups, bad = [], {}, {}, {}, False
        for index, entry in enumerate(entries):
            key = path + (index,)
            backend = self.cinder_backend(entry, key, volume_group, lvm_type)
            if backend is None:
                bad = True
                continue
            first = names.setdefault(backend["name"].lower(), index)
            first_type = types.setdefault(backend["volume_type"].lower(), index)
            group = backend.get("volume_group")
            if first != index:
                self.problem(key + ("name",), "{} is the name of {} too: each backend needs "
                                              "its own (a cinder.conf section, a volume type)"
                                              .format(model.show(backend["name"]),
                                                      model.pillar_key(path + (first,))))
                bad = True
            elif first_type != index:
                self.problem(key + ("volume_type",), "{} is the volume type of {} too: each "
                                                     "backend needs its own (names compared "
                                                     "without case, as Cinder's database does)"
                                                     .format(model.show(backend["volume_type"]),
                                                             model.pillar_key(path + (first_type,))))
                bad = True
            elif group is not None and groups.setdefault(group, index) != index:
                self.problem(key + ("volume_group",), "{} is the volume group of {} too"
                                                      .format(model.show(group),
                                                              model.pillar_key(path + (groups[group],))))
                bad = True
            result.append(backend)
        users = sorted({backend["user"] for backend in result if backend["type"] == "rbd"})
        if len(users) > 1:
            self.problem(path, "the rbd backends use the Ceph users {}: give them one (its key "
                               "is {}, and nova's [libvirt] rbd_user is one)".format(
                                   ", ".join(users), model.pillar_key(("passwords", "ceph_cinder_key"))))
            bad = True
        return None if bad else result

    def cinder_backend(self, entry, path, volume_group, lvm_type):
        """One backend: lvm (volume_group, lvm_type) or rbd (pool, user)."""
        if not model.is_mapping(entry):
            self.problem(path, "must be a mapping with name and type, got " + model.type_name(entry))
            return None
        self.typos(entry, path, ("cinder_backend",))
        name = self.text(entry, path, "name", model.REQUIRED, model.CINDER_BACKEND_RE,
                         "a valid backend name (letters, digits, '_' and '-', not starting "
                         "with '-', at most 64 characters: it names a cinder.conf section "
                         "and a volume type)")
        if name is not None and name.lower() in model.CINDER_SECTIONS:
            self.problem(path + ("name",), "{} is a section cinder.conf has for itself: "
                                           "name the backend otherwise".format(model.show(name)))
            name = None
        volume_type = self.backend_volume_type(entry, path, name)
        kind = self.choice(entry, path, "type", model.REQUIRED, model.CINDER_BACKEND_TYPES)
        if kind is None:
            return None
        own = {"lvm": ("volume_group", "lvm_type"), "rbd": ("pool", "user")}[kind]
        for other in model.KNOWN_KEYS[("cinder_backend",)]:
            if other in entry and other not in own + model.CINDER_BACKEND_COMMON_KEYS:
                self.problem(path + (other,), "not a key of an {} backend (it has {})".format(
                    kind, ", ".join(own)))
                name = None
        if kind == "lvm":
            backend = {"name": name, "type": kind, "volume_type": volume_type,
                       "volume_group": self.lvm_volume_group(entry, path, volume_group),
                       "lvm_type": self.choice(entry, path, "lvm_type", lvm_type, model.LVM_TYPES)}
        else:
            user = self.text(entry, path, "user", "cinder", model.CEPH_NAME_RE,
                             "a valid cephx user id (letters, digits and . _ -, at most 64 "
                             "characters)")
            if user is not None and user.startswith("client."):
                self.problem(path + ("user",), "{} names the entity: give the user id, "
                                               "without 'client.'".format(model.show(user)))
                user = None
            backend = {"name": name, "type": kind, "volume_type": volume_type,
                       "pool": self.text(entry, path, "pool", "volumes", model.CEPH_NAME_RE,
                                         "a valid Ceph pool name (letters, digits and . _ -, "
                                         "not starting with '.' or '-', at most 64 "
                                         "characters)"),
                       "user": user}
        if None in backend.values():
            return None
        backend["backend_name"] = backend_name(backend)
        return backend

    def backend_volume_type(self, entry, path, name):
        """A backend's ``volume_type``: the Cinder volume type whose extra
        spec ``volume_backend_name`` selects it (default: its name)."""
        if "volume_type" not in entry and name is None:
            return None
        value = self.text(entry, path, "volume_type", name, model.VOLUME_TYPE_RE,
                          "a valid volume type name (letters, digits and . _ -, not starting "
                          "with '.' or '-', at most 64 characters)")
        if value is not None and value.lower() == model.CINDER_OWN_VOLUME_TYPE.lower():
            self.problem(path + ("volume_type",), "{} is the type Cinder makes for itself: "
                                                  "name the backend's type otherwise"
                                                  .format(model.show(value)))
            return None
        return value

    def ceph(self, backends):
        """
        ``openstack:ceph``: the existing Ceph cluster the rbd backends use
        (see "Ceph"), and the check of their cephx key.  None when not given.
        """
        path = ("ceph",)
        rbd = [backend for backend in backends or () if backend["type"] == "rbd"]
        if self.data.get("ceph") is None:
            if rbd:
                self.problem(path, "missing: the rbd backend {} needs the Ceph cluster it uses "
                                   "(fsid, monitors)".format(model.show(rbd[0]["name"])))
            return None
        section = self.section(path)
        if section is None:
            return None
        user = rbd[0]["user"] if rbd else None
        fsid = self.ceph_uuid(section, path, "fsid", model.REQUIRED)
        default = model.libvirt_secret_uuid(fsid, user or "cinder") if fsid else None
        secret = self.ceph_uuid(section, path, "libvirt_secret_uuid", default)
        monitors = self.ceph_monitors(section, path)
        self.ceph_key(user)
        for backend in rbd:
            backend.update(ceph_conf=model.CEPH_CONF, secret_uuid=secret)
        return {
            "fsid": fsid,
            "monitors": monitors,
            "mon_host": ",".join(monitors) if monitors else None,
            "conf": model.CEPH_CONF,
            "user": user,
            "keyring": model.ceph_keyring(user) if user else None,
            "libvirt_secret_uuid": secret,
        }

    def ceph_uuid(self, section, path, name, default):
        value = self.value(section, path, name, default)
        if value is None:
            return None
        try:
            parsed = uuid.UUID(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or str(parsed) != value.lower():
            self.problem(path + (name,), "{} is not a UUID (32 hex digits in groups of 8-4-4-4-12, "
                                         "as `ceph fsid` prints one)".format(model.show(value)))
            return None
        return str(parsed)

    def ceph_monitors(self, section, path):
        entries = self.items(section, path, "monitors", model.REQUIRED)
        path = path + ("monitors",)
        if entries is None:
            return None
        if not entries:
            self.problem(path, "empty: give the monitors' addresses")
            return None
        result, bad = [], False
        for index, entry in enumerate(entries):
            monitor = self.ceph_monitor(entry, path + (index,))
            if monitor is not None and monitor in result:
                self.problem(path + (index,), "{} is listed twice".format(model.show(entry)))
                monitor = None
            bad = bad or monitor is None
            result.append(monitor)
        return None if bad else result

    def ceph_monitor(self, entry, path):
        """A monitor: an IPv4 address, optionally with ``:port``."""
        what = "an IPv4 address, optionally with :port (like 192.0.2.5 or 192.0.2.5:6789)"
        if not isinstance(entry, str):
            self.problem(path, "must be {}, got {}".format(what, model.type_name(entry)))
            return None
        address, colon, port = entry.partition(":")
        if ":" in port or entry.startswith("[") or "," in entry:
            self.problem(path, "{} is not {}: IPv6 addresses and msgr2 address vectors "
                               "are not supported".format(model.show(entry), what))
            return None
        if colon and not (port.isdigit() and port.isascii() and 1 <= int(port) <= 65535):
            self.problem(path, "{} has no valid port (1 to 65535; Ceph's are {})".format(
                model.show(entry), " and ".join(str(p) for p in model.CEPH_MON_PORTS)))
            return None
        parsed = self.parse_ip(address, path)
        if parsed is None:
            return None
        if parsed.version != 4 or not model.IPV4_RE.match(address):
            self.problem(path, "{} is not {}".format(model.show(entry), what))
            return None
        return str(parsed) + (":" + port if colon else "")

    def ceph_key(self, user):
        """``passwords:ceph_cinder_key`` when an rbd backend uses Ceph user ``user``."""
        name = "ceph_cinder_key"
        passwords = self.data.get("passwords")
        if user is None or not model.is_mapping(passwords) or (
                self.secrets is not None and name not in self.secrets):
            return
        path = ("passwords", name)
        value = passwords.get(name)
        before = len(self.problems)
        self.password(value, path)
        if len(self.problems) > before:
            return
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if (len(raw) != model.CEPHX_KEY_BYTES or raw[:2] != b"\x01\x00"
                or raw[10:12] != b"\x10\x00"):
            # Never the value: only what it should be.
            self.problem(path, "is not a cephx key (40 characters of base64, starting 'AQ', as "
                               "`ceph auth get-key client.{}` prints it)".format(user))


def backend_name(backend):
    """
    A backend's ``volume_backend_name`` (cinder.conf), which its volume
    type's extra spec selects: its name, but ``LVM`` for the lvm backend
    named ``lvm`` (the one default backend), which is what Cinder's LVM
    driver calls a section without one: a cloud deployed before the
    backends had names keeps its volumes' pool (``host@lvm#LVM``), so
    their snapshots, extends and migrations still find their backend.
    """
    if backend["type"] == "lvm" and backend["name"] == "lvm":
        return "LVM"
    return backend["name"]

