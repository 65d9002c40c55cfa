"""
Declarative Keystone identity bootstrap (regions, domains, projects, roles,
users with their role grants, services and endpoints), in the spirit of the
old ``keystone-init`` script and its YAML file, against the Keystone v3 API.

All calls go over HTTP through one authenticated ``requests`` session: the
module gets one token (``POST /v3/auth/tokens``), lists every kind of object
once, computes the difference with the wanted configuration in memory and
only then writes. Nothing is ever deleted.

Configuration
=============

The configuration is a dict, normally kept in pillar:

.. code-block:: yaml

    keystone_init:
      config:
        region: RegionOne           # default region of the endpoints
        regions: [RegionOne]        # list, or {RegionTwo: {description: ...}}
        domains:                    # optional; "Default" always exists
          heat: {description: Stack projects and users}
        projects:                   # name: {description, domain, enabled}
          service: {description: Service Project}
          demo: Demo Project        # a string is a description
        roles: [admin, member, reader, service]
        users:
          nova:
            password: s3cret        # checked by logging in as the user
            email: nova@example.org # optional
            domain: Default         # optional, the default
            project: service        # default project (in ``project_domain``)
            enabled: true           # optional; not managed when absent
            roles:                  # grants: {project: [role, ...]} ...
              service: [admin, service]
          heat_domain_admin:
            password: s3cret2
            domain: heat
            roles:                  # ... or a list of grants
              - {domain: heat, role: admin}
              - {project: service, project_domain: Default, roles: [member]}
        services:
          nova:
            type: compute
            description: OpenStack Compute
            region: RegionOne       # optional, else the default region
            endpoints:
              public: http://controller:8774/v2.1
              internal: http://controller:8774/v2.1
              admin: http://controller:8774/v2.1

Every section is optional. Lists of names are accepted wherever a mapping of
names is (``projects: [service]``), as are lists of mappings with a ``name``
key (to declare two projects of the same name in different domains).

Names are matched, never ids: a project or a user is found by its name in
its domain (``Default`` when not given), a role by its name, a service by
its name, an endpoint by its service, interface and region. Project
references (a user's ``project`` and its project grants) live in the
``project_domain`` of the user, or of the grant, which defaults to
``Default``, as with the ``openstack`` CLI. A service's endpoints go to its
``region``, else to the top-level ``region``, else to the ``region``
authentication argument, else to the first of ``regions``, else to
``RegionOne``; regions named that way are created like the ones listed in
``regions``. Attributes that the configuration does not give (``email``,
``description``, ``enabled``...) are left as they are.

Every reference is checked before anything is written: a grant on a
project, domain or role that is neither in the configuration nor in
Keystone is an error.

Passwords
=========

Keystone never reveals a password, so the password of every existing,
enabled user is checked by authenticating as that user (an unscoped token
request); only when Keystone answers 401 is the password set (``PATCH
/v3/users/{id}``). Changing a password in pillar therefore rotates the
credential on the next run, and a run with unchanged pillar changes
nothing. A user that is disabled and stays disabled cannot authenticate, so
its password is left alone; a user that gets re-enabled gets its password
set. If the user the module authenticates as has its own password changed,
that change is made last. If Keystone has ``[security_compliance]
lockout_failure_attempts`` set, a password check with the old password
counts as one failed attempt.

No password or token ever appears in the returned changes, in error
messages or in logs: a changed password is reported as
``{"users": {"nova": {"password": "updated"}}}``.

Authentication
==============

The admin credentials are keyword arguments: ``auth_url`` (the identity
endpoint, ``/v3`` is appended when it is missing), ``username`` (default
``admin``), ``password``, ``project_name`` (default ``admin``),
``user_domain_name`` and ``project_domain_name`` (default ``Default``; or
``user_domain_id``/``project_domain_id``), ``region`` (the default region
of endpoints when the configuration gives none), ``verify`` (TLS: true,
false or a CA bundle path) and ``timeout`` (seconds, default 30).

Each argument that is not given is taken from the dict ``keystone_init:auth``
of the minion configuration or, when the minion configuration has none, of
pillar (read directly, in ``config.get``'s order, so that Salt 3008's
masking of secrets in ``pillar.get`` does not apply). Arguments win over
that dict, key by key:

.. code-block:: yaml

    keystone_init:
      auth:
        auth_url: http://controller:5000/v3
        username: admin
        password: admin-s3cret
        project_name: admin

The configuration itself can be passed as a dict, or as the name of a
pillar (or minion configuration) key holding it; it defaults to
``keystone_init:config``.

Return value
============

``apply`` and ``plan`` return the changes, by kind of object, ``{}`` when
there is nothing to do:

.. code-block:: python

    {
        "projects": {"service": "created"},
        "users": {"nova": "created",
                  "glance": {"password": "updated",
                             "email": {"old": None, "new": "glance@example.org"}}},
        "grants": {"nova": ["admin on project service"]},
        "endpoints": {"nova/public/RegionOne": {"url": {"old": "...", "new": "..."}}},
    }

Names outside the ``Default`` domain are written ``name@domain``.
"""
import concurrent.futures
import dataclasses
import logging
import time

import salt.utils.args
import salt.utils.path
from salt.exceptions import CommandExecutionError

# The OpenStack client shared with openstack_cloud (_utils/): synced to
# extmods/utils, which the loader puts on sys.path while it loads this
# module, or part of the pip-installed package.
try:
    import saltext_openstack_api as api
except ImportError:
    from saltext_openstack._utils import saltext_openstack_api as api

log = logging.getLogger(__name__)

__virtualname__ = "keystone_init"

DEFAULT_DOMAIN = api.DEFAULT_DOMAIN
DEFAULT_REGION = "RegionOne"
CONFIG_KEY = "keystone_init:config"
AUTH_KEY = "keystone_init:auth"
INTERFACES = ("public", "internal", "admin")
AUTH_ARGS = api.AUTH_ARGS
# Concurrent logins when checking passwords (bcrypt is slow on purpose).
PASSWORD_CHECK_WORKERS = 4

_TOP_KEYS = ("region", "regions", "domains", "projects", "roles", "users", "services")
_REGION_KEYS = ("description",)
_DOMAIN_KEYS = ("description", "enabled")
_PROJECT_KEYS = ("description", "domain", "enabled")
_USER_KEYS = (
    "password",
    "email",
    "description",
    "domain",
    "enabled",
    "project",
    "project_domain",
    "roles",
)
_GRANT_KEYS = ("project", "project_domain", "domain", "role", "roles")
_SERVICE_KEYS = ("type", "description", "enabled", "region", "endpoints")
_STRING_FIELDS = ("description", "email", "type")


def __virtual__():
    return __virtualname__


# --------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------


def apply(config=None, test=False, **kwargs):
    """
    Bring Keystone to the wanted identity configuration and return the
    changes made (``{}`` when there was nothing to do). With ``test=True``
    nothing is written and the changes that would be made are returned.

    config
        The configuration (a dict, see the module documentation), or the
        pillar/minion configuration key holding it. Default:
        ``keystone_init:config``.

    test
        Only compute the changes (same as :py:func:`plan`).

    kwargs
        The admin credentials (``auth_url``, ``username``, ``password``,
        ``project_name``, ``user_domain_name``, ``project_domain_name``,
        ``region``, ``verify``, ``timeout``); each one that is not given
        comes from ``keystone_init:auth`` in the minion configuration or
        pillar.

    CLI Example::

        salt-call keystone_init.apply
        salt-call keystone_init.apply keystone_init:config test=True
        salt-call keystone_init.apply auth_url=http://controller:5000/v3 project_name=admin
    """
    auth = _auth_settings(kwargs)
    spec = _normalize_config(_load_config(config))
    reported = {}
    pauses = () if test else _REPLAN_PAUSES
    for attempt in range(len(pauses) + 1):
        try:
            # Keystone refusing the admin (a dry run of a new cloud, before the
            # bootstrap) raises LoginRefused, "not ready" (is_not_ready), as
            # does no answer at all (KeystoneUnreachable).
            client = KeystoneClient(auth)
            current = _fetch_current(client)
            desired = _resolve(spec, current, auth.get("region"))
            current.password_ok = _check_passwords(client, _password_checks(desired, current))
            result = _diff(desired, current)
            _merge_changes(reported, result.changes)
            if not test:
                _execute(client, result, current.ids)
            return reported
        except KeystoneUnreachable as exc:
            # A Keystone that was just (re)started may drop a connection.
            # Everything is planned again from what Keystone then holds, so
            # nothing that was created before the drop is created twice.
            if attempt == len(pauses):
                raise
            log.warning("keystone_init: %s; planning again in %ss", exc, pauses[attempt])
            time.sleep(pauses[attempt])
    return reported  # not reached


# Waits before planning again after a dropped connection (real runs only).
_REPLAN_PAUSES = (3, 10, 20)


def _merge_changes(into, new):
    """Fold one attempt's changes into the report of the earlier ones."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge_changes(into[key], value)
        else:
            into[key] = value


def plan(config=None, **kwargs):
    """
    Return the changes :py:func:`apply` would make, without writing
    anything (it still logs in, lists objects and checks user passwords by
    authenticating as each user). ``{}`` means Keystone is up to date.

    config
        The configuration dict, or the key holding it (default
        ``keystone_init:config``).

    kwargs
        The admin credentials, as for :py:func:`apply`.

    CLI Example::

        salt-call keystone_init.plan
        salt-call keystone_init.plan openstack:identity auth_url=http://controller:5000/v3
    """
    return apply(config, test=True, **kwargs)


def authenticates(password=None, auth_url=None, wait=0, **kwargs):
    """
    Whether ``password`` logs in (a token scoped to the project): ``True``,
    or ``False`` when Keystone answers 401. Any other answer, or no answer
    within ``wait`` seconds (default 0: one try), raises
    ``CommandExecutionError``. Arguments not given come from
    ``keystone_init:auth`` as for :py:func:`apply` (the password too, which
    keeps it off the command line).

    CLI Example::

        salt-call keystone_init.authenticates
        salt-call keystone_init.authenticates auth_url=http://controller:5000/v3 username=nova project_name=service
    """
    given = dict(salt.utils.args.clean_kwargs(**kwargs), password=password, auth_url=auth_url)
    auth = _auth_settings(given)
    deadline = time.monotonic() + float(wait)
    while True:
        try:
            KeystoneClient(auth)
            return True
        except KeystoneError as exc:
            if exc.status == 401:
                return False
            raise
        except KeystoneUnreachable:
            if time.monotonic() >= deadline:
                raise
        time.sleep(1)


def bootstrap(
    password=None,
    username="admin",
    project_name="admin",
    role_name="admin",
    region=None,
    public_url=None,
    internal_url=None,
    admin_url=None,
    config_file=None,
    runas=None,
):
    """
    Run ``keystone-manage bootstrap``: create the ``Default`` domain, the
    admin project, user and role (and the ``member``/``reader`` roles), the
    identity service with its endpoints when URLs are given, and (re)set the
    admin user's password when it differs. It talks to the database
    directly, so Keystone need not be serving. Returns ``True``.

    The password goes to ``keystone-manage`` through ``OS_BOOTSTRAP_PASSWORD``
    in its environment, never on its command line. When ``password`` is not
    given it is read from ``keystone_init:auth:password`` (minion
    configuration, else pillar), which keeps it off this command line too.

    config_file
        Keystone's configuration (``keystone-manage --config-file``);
        Keystone's default lookup when not given.

    runas
        Run as this user (the ``keystone`` user, so that the log files it
        writes stay the service's).

    CLI Example::

        salt-call keystone_init.bootstrap region=RegionOne public_url=http://controller:5000/v3 runas=keystone
    """
    if password is None:
        password = _lookup(AUTH_KEY + ":password")
    if not password:
        raise CommandExecutionError(
            f"No admin password: pass password=... or set {AUTH_KEY}:password"
        )
    program = salt.utils.path.which("keystone-manage")
    if program is None:
        raise CommandExecutionError(
            "keystone-manage is not installed (Debian package keystone)"
        )
    argv = _bootstrap_argv(
        program,
        config_file=config_file,
        username=username,
        project_name=project_name,
        role_name=role_name,
        region=region,
        public_url=public_url,
        internal_url=internal_url,
        admin_url=admin_url,
    )
    env = {"OS_BOOTSTRAP_PASSWORD": str(password)}
    result = __salt__["cmd.run_all"](
        argv,
        env=env,
        runas=runas,
        python_shell=False,
        ignore_retcode=True,
        output_loglevel="debug",
    )
    if result["retcode"]:
        raise CommandExecutionError(
            "keystone-manage bootstrap failed (exit {}): {}".format(
                result["retcode"], _manage_error(result)
            )
        )
    return True


def _bootstrap_argv(program, config_file=None, **options):
    """``keystone-manage bootstrap`` argv: never the password."""
    argv = [program]
    if config_file:
        argv += ["--config-file", str(config_file)]
    argv.append("bootstrap")
    flags = {
        "username": "--bootstrap-username",
        "project_name": "--bootstrap-project-name",
        "role_name": "--bootstrap-role-name",
        "region": "--bootstrap-region-id",
        "public_url": "--bootstrap-public-url",
        "internal_url": "--bootstrap-internal-url",
        "admin_url": "--bootstrap-admin-url",
    }
    for key, flag in flags.items():
        if options.get(key):
            argv += [flag, str(options[key])]
    return argv


def _manage_error(result):
    """The useful lines of keystone-manage's output (not eventlet's exit noise)."""
    lines = []
    skip = False
    for line in (result.get("stderr") or result.get("stdout") or "").splitlines():
        if line.startswith("Exception ignored in"):
            skip = True
            continue
        if skip and (line.startswith(" ") or line.startswith("Traceback")):
            continue
        skip = False
        lines.append(line)
    text = "\n".join(lines).strip()
    return text[-2000:] or "no output"


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------


def _lookup(key):
    """A ``a:b`` key from the minion configuration, else from pillar."""
    return api.lookup(key, __opts__, __pillar__)


def _auth_settings(kwargs):
    return api.auth_settings(kwargs, AUTH_KEY, (__opts__, __pillar__))


def _merge_auth(base, overrides):
    """Per key: ``overrides`` when given (not None), else ``base``, else a default."""
    return api.merge_auth(base, overrides, AUTH_KEY)


def _load_config(config):
    if config is None or isinstance(config, str):
        key = config or CONFIG_KEY
        config = _lookup(key)
        if config is None:
            raise CommandExecutionError(
                f"No keystone_init configuration: nothing at {key} in pillar or minion config"
            )
    if not isinstance(config, dict):
        raise CommandExecutionError("The keystone_init configuration must be a dict")
    return config


# --------------------------------------------------------------------------
# Keystone v3 client: one token, one session (shared with openstack_cloud)
# --------------------------------------------------------------------------

_identity_url = api.identity_url
KeystoneUnreachable = api.OpenStackUnreachable
KeystoneError = api.OpenStackError
KeystoneClient = api.KeystoneClient


# --------------------------------------------------------------------------
# Configuration: syntax (no Keystone needed)
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Grant:
    role: str
    kind: str  # "project" or "domain"
    target: str
    project_domain: str = DEFAULT_DOMAIN


@dataclasses.dataclass
class UserSpec:
    name: str
    domain: str = DEFAULT_DOMAIN
    fields: dict = dataclasses.field(default_factory=dict)
    password: str = dataclasses.field(default=None, repr=False)
    project: str = None
    project_domain: str = DEFAULT_DOMAIN
    grants: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class ServiceSpec:
    name: str
    fields: dict
    region: str = None
    endpoints: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ConfigSpec:
    region: str = None
    regions: dict = dataclasses.field(default_factory=dict)
    domains: dict = dataclasses.field(default_factory=dict)
    projects: list = dataclasses.field(default_factory=list)
    roles: list = dataclasses.field(default_factory=list)
    users: list = dataclasses.field(default_factory=list)
    services: list = dataclasses.field(default_factory=list)


def _error(message):
    return CommandExecutionError(f"Invalid keystone_init configuration: {message}")


def _name(value, what):
    if not isinstance(value, str) or not value.strip():
        raise _error(f"{what} names must be non-empty strings, got {value!r}")
    return value


def _entries(value, what, shorthand=None):
    """
    ``[(name, attributes)]`` from any of: None, a name, a list of names or of
    dicts with a ``name``, or a dict of name -> attributes (None, or a string
    that is the ``shorthand`` attribute).
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = []
        for item in value:
            if isinstance(item, dict) and "name" in item:
                item = dict(item)
                items.append((item.pop("name"), item))
            else:
                items.append((item, None))
    else:
        raise _error(f"{what}s must be a list or a mapping, got {type(value).__name__}")
    entries = []
    for name, attrs in items:
        name = _name(name, what)
        if attrs is None:
            attrs = {}
        elif isinstance(attrs, str) and shorthand:
            attrs = {shorthand: attrs}
        elif not isinstance(attrs, dict):
            raise _error(f"{what} {name}: expected a mapping, got {type(attrs).__name__}")
        entries.append((name, attrs))
    return entries


def _check_keys(attrs, allowed, where):
    unknown = sorted(set(attrs) - set(allowed))
    if unknown:
        raise _error(
            "unknown key(s) {} in {}; allowed: {}".format(
                ", ".join(map(str, unknown)), where, ", ".join(allowed)
            )
        )


def _fields(attrs, keys, where):
    """The plain attributes among ``keys``, type-checked."""
    fields = {}
    for key in keys:
        if key not in attrs:
            continue
        value = attrs[key]
        if key == "enabled":
            if not isinstance(value, bool):
                raise _error(f"{where}: enabled must be true or false")
        elif key in _STRING_FIELDS and not isinstance(value, str):
            raise _error(f"{where}: {key} must be a string")
        fields[key] = value
    return fields


def _string_list(value, where):
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _error(f"{where}: expected a role name or a list of role names")
    return [_name(item, "role") for item in value]


def _grants(value, user):
    where = f"the roles of user {user.name}"
    grants = []
    if isinstance(value, dict):
        for project, roles in value.items():
            project = _name(project, "project")
            for role in _string_list(roles, f"{where}, project {project}"):
                grants.append(Grant(role, "project", project, user.project_domain))
        return grants
    if not isinstance(value, list):
        raise _error(f"{where}: expected {{project: [roles]}} or a list of grants")
    for item in value:
        if not isinstance(item, dict):
            raise _error(f"{where}: each grant is a mapping with project or domain, and role")
        _check_keys(item, _GRANT_KEYS, where)
        if ("project" in item) == ("domain" in item):
            raise _error(f"{where}: each grant needs exactly one of project or domain")
        if ("role" in item) == ("roles" in item):
            raise _error(f"{where}: each grant needs exactly one of role or roles")
        roles = _string_list(item.get("role", item.get("roles")), where)
        if "project" in item:
            target = _name(item["project"], "project")
            domain = _name(item.get("project_domain", DEFAULT_DOMAIN), "domain")
            grants.extend(Grant(role, "project", target, domain) for role in roles)
        else:
            target = _name(item["domain"], "domain")
            grants.extend(Grant(role, "domain", target) for role in roles)
    return grants


def _normalize_config(config):
    """
    Check the syntax of a configuration dict and return a :class:`ConfigSpec`.
    Raises CommandExecutionError on any mistake; never contacts Keystone.
    """
    if not isinstance(config, dict):
        raise _error("expected a mapping")
    _check_keys(config, _TOP_KEYS, "the configuration")
    spec = ConfigSpec()
    if config.get("region") is not None:
        spec.region = _name(config["region"], "region")

    for name, attrs in _entries(config.get("regions"), "region", "description"):
        _check_keys(attrs, _REGION_KEYS, f"region {name}")
        spec.regions[name] = _fields(attrs, _REGION_KEYS, f"region {name}")

    for name, attrs in _entries(config.get("domains"), "domain", "description"):
        _check_keys(attrs, _DOMAIN_KEYS, f"domain {name}")
        spec.domains[name] = _fields(attrs, _DOMAIN_KEYS, f"domain {name}")

    for name, attrs in _entries(config.get("projects"), "project", "description"):
        where = f"project {name}"
        _check_keys(attrs, _PROJECT_KEYS, where)
        domain = _name(attrs.get("domain", DEFAULT_DOMAIN), "domain")
        spec.projects.append((domain, name, _fields(attrs, ("description", "enabled"), where)))

    roles = config.get("roles") or []
    if isinstance(roles, str):
        roles = [roles]
    if not isinstance(roles, list):
        raise _error("roles must be a list of role names")
    spec.roles = [_name(role, "role") for role in roles]

    for name, attrs in _entries(config.get("users"), "user"):
        where = f"user {name}"
        _check_keys(attrs, _USER_KEYS, where)
        password = attrs.get("password")
        if password is not None and (not isinstance(password, str) or not password):
            raise _error(f"{where}: password must be a non-empty string (quote it in YAML)")
        user = UserSpec(
            name=name,
            domain=_name(attrs.get("domain", DEFAULT_DOMAIN), "domain"),
            fields=_fields(attrs, ("email", "description", "enabled"), where),
            password=password,
            project_domain=_name(attrs.get("project_domain", DEFAULT_DOMAIN), "domain"),
        )
        if attrs.get("project") is not None:
            user.project = _name(attrs["project"], "project")
        if attrs.get("roles") is not None:
            user.grants = _grants(attrs["roles"], user)
        spec.users.append(user)

    for name, attrs in _entries(config.get("services"), "service"):
        where = f"service {name}"
        _check_keys(attrs, _SERVICE_KEYS, where)
        if not attrs.get("type"):
            raise _error(f"{where}: type is required (e.g. compute, image, identity)")
        service = ServiceSpec(name, _fields(attrs, ("type", "description", "enabled"), where))
        if attrs.get("region") is not None:
            service.region = _name(attrs["region"], "region")
        endpoints = attrs.get("endpoints") or {}
        if not isinstance(endpoints, dict):
            raise _error(f"{where}: endpoints must map public/internal/admin to URLs")
        _check_keys(endpoints, INTERFACES, f"the endpoints of {where}")
        for interface, url in endpoints.items():
            if not isinstance(url, str) or not url:
                raise _error(f"{where}: the {interface} endpoint must be a URL")
            service.endpoints[interface] = url
        spec.services.append(service)
    return spec


# --------------------------------------------------------------------------
# Keystone's current state
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Current:
    """What Keystone holds, indexed by natural keys."""

    regions: dict = dataclasses.field(default_factory=dict)  # id -> region
    domains: dict = dataclasses.field(default_factory=dict)  # name -> domain
    projects: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> project
    roles: dict = dataclasses.field(default_factory=dict)  # name -> role
    users: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> user
    services: list = dataclasses.field(default_factory=list)
    endpoints: dict = dataclasses.field(default_factory=dict)  # (svc id, interface, region) -> ep
    assignments: set = dataclasses.field(default_factory=set)  # (user, kind, target, role) ids
    self_user_id: str = None
    password_ok: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> bool

    @property
    def ids(self):
        """Natural key -> id of every existing object (see :class:`Ref`)."""
        ids = {("region", key): key for key in self.regions}
        ids.update({("domain", key): obj["id"] for key, obj in self.domains.items()})
        ids.update({("project", key): obj["id"] for key, obj in self.projects.items()})
        ids.update({("role", key): obj["id"] for key, obj in self.roles.items()})
        ids.update({("user", key): obj["id"] for key, obj in self.users.items()})
        return ids

    def find_service(self, name, type_):
        """The service called ``name``, preferring one of type ``type_``."""
        named = [s for s in self.services if s.get("name") == name]
        named.sort(key=lambda s: s.get("type") != type_)
        return named[0] if named else None

    def domain_name(self, ref):
        """The name of an existing domain given its name or id, else None."""
        if ref in self.domains:
            return ref
        for name, domain in self.domains.items():
            if domain["id"] == ref:
                return name
        return None


def _fetch_current(client):
    """List every kind of object once (8 calls) and index them."""
    current = Current(self_user_id=client.user_id)
    current.regions = {r["id"]: r for r in client.list("regions")}
    domains = client.list("domains")
    current.domains = {d["name"]: d for d in domains}
    domain_names = {d["id"]: d["name"] for d in domains}

    def key(obj):
        return (domain_names.get(obj["domain_id"], obj["domain_id"]), obj["name"])

    current.projects = {key(p): p for p in client.list("projects")}
    current.roles = {r["name"]: r for r in client.list("roles")}
    current.users = {key(u): u for u in client.list("users")}
    current.services = client.list("services")
    for endpoint in client.list("endpoints"):
        index = (endpoint["service_id"], endpoint["interface"], endpoint.get("region_id"))
        current.endpoints.setdefault(index, endpoint)
    for assignment in client.list("role_assignments"):
        scope = assignment.get("scope", {})
        user = assignment.get("user", {}).get("id")
        if not user or "OS-INHERIT:inherited_to" in scope:
            continue
        for kind in ("project", "domain"):
            if kind in scope:
                current.assignments.add((user, kind, scope[kind]["id"], assignment["role"]["id"]))
    return current


# --------------------------------------------------------------------------
# Wanted state: the configuration resolved against Keystone
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Desired:
    regions: dict = dataclasses.field(default_factory=dict)  # id -> fields
    domains: dict = dataclasses.field(default_factory=dict)  # name -> fields
    projects: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> fields
    roles: list = dataclasses.field(default_factory=list)
    users: dict = dataclasses.field(default_factory=dict)  # (domain, name) -> UserSpec
    services: list = dataclasses.field(default_factory=list)  # ServiceSpec, region resolved


def _resolve(spec, current, auth_region=None):
    """
    Resolve every reference of ``spec`` (domains, projects, roles, regions)
    against the configuration itself and ``current``; raise before anything
    is written when one points nowhere.
    """
    desired = Desired(domains=dict(spec.domains), roles=list(dict.fromkeys(spec.roles)))
    default_region = spec.region or auth_region or next(iter(spec.regions), DEFAULT_REGION)

    def domain(ref, where):
        if ref in desired.domains:
            return ref
        name = current.domain_name(ref)
        if name is None:
            raise _error(f"{where}: domain {ref} is neither in domains nor in Keystone")
        return name

    for dom, name, fields in spec.projects:
        project_key = (domain(dom, f"project {name}"), name)
        if project_key in desired.projects:
            raise _error(f"project {_label(project_key)} is declared twice")
        desired.projects[project_key] = fields

    def project(ref, dom, where):
        project_key = (domain(dom, where), ref)
        if project_key not in desired.projects and project_key not in current.projects:
            raise _error(
                f"{where}: project {ref} (domain {project_key[0]}) is neither in "
                "projects nor in Keystone"
            )
        return project_key

    known_roles = set(desired.roles) | set(current.roles)
    for user in spec.users:
        user_key = (domain(user.domain, f"user {user.name}"), user.name)
        where = f"user {_label(user_key)}"
        if user_key in desired.users:
            raise _error(f"{where} is declared twice")
        resolved = dataclasses.replace(user, domain=user_key[0], grants=[])
        if user.project:
            resolved.project = project(user.project, user.project_domain, where)
        for grant in user.grants:
            if grant.role not in known_roles:
                raise _error(f"{where}: role {grant.role} is neither in roles nor in Keystone")
            if grant.kind == "project":
                target = project(grant.target, grant.project_domain, where)
            else:
                target = domain(grant.target, where)
            resolved.grants.append(Grant(grant.role, grant.kind, target))
        desired.users[user_key] = resolved

    desired.regions = dict(spec.regions)
    if spec.region:
        desired.regions.setdefault(spec.region, {})
    for service in spec.services:
        if any(s.name == service.name for s in desired.services):
            raise _error(f"service {service.name} is declared twice")
        region = service.region or default_region
        if service.endpoints:
            desired.regions.setdefault(region, {})
        desired.services.append(dataclasses.replace(service, region=region))
    return desired


def _password_checks(desired, current):
    """``[(user key, user id, password)]``: existing, enabled users to verify."""
    checks = []
    for user_key, user in desired.users.items():
        existing = current.users.get(user_key)
        if user.password and existing and existing.get("enabled", True):
            checks.append((user_key, existing["id"], user.password))
    return checks


def _check_passwords(client, checks):
    if not checks:
        return {}
    workers = min(PASSWORD_CHECK_WORKERS, len(checks))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(client.password_valid, uid, pw) for key, uid, pw in checks}
        return {key: future.result() for key, future in futures.items()}


# --------------------------------------------------------------------------
# Diff: the API calls to make, and the changes to report
# --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Ref:
    """The id of an object known by its natural key, maybe not created yet."""

    kind: str
    key: object


@dataclasses.dataclass
class Action:
    method: str
    path: tuple  # segments: strings and Refs
    body: dict = dataclasses.field(default=None, repr=False)  # may hold a password
    register: Ref = None  # the created object's id is recorded under this Ref
    resource: str = None  # the key of the object in the response body
    last: bool = False


@dataclasses.dataclass
class Plan:
    actions: list = dataclasses.field(default_factory=list)
    changes: dict = dataclasses.field(default_factory=dict)

    def add(self, section, label, report, action):
        self.actions.append(action)
        if section == "grants":
            self.changes.setdefault(section, {}).setdefault(label, []).append(report)
        else:
            self.changes.setdefault(section, {})[label] = report

    def create(self, section, label, resource, body, register=None):
        collection = resource + "s"
        action = Action("POST", (collection,), {resource: body}, register, resource)
        self.add(section, label, "created", action)

    def update(self, section, label, resource, obj_id, body, report, last=False):
        action = Action("PATCH", (resource + "s", obj_id), {resource: body}, last=last)
        self.add(section, label, report, action)


def _label(key):
    domain, name = key
    return name if domain == DEFAULT_DOMAIN else f"{name}@{domain}"


def _field_updates(existing, wanted):
    """(fields to PATCH, report {field: {old, new}}) for the fields that differ."""
    updates = {k: v for k, v in wanted.items() if existing.get(k) != v}
    report = {k: {"old": existing.get(k), "new": v} for k, v in updates.items()}
    return updates, report


def _diff(desired, current):
    """
    The :class:`Plan` turning ``current`` into ``desired``: creations and
    updates in dependency order, never a deletion. Pure: no API call.
    """
    todo = Plan()
    ids = current.ids

    for region_id, fields in desired.regions.items():
        existing = current.regions.get(region_id)
        if existing is None:
            todo.create("regions", region_id, "region", {"id": region_id, **fields})
            continue
        updates, report = _field_updates(existing, fields)
        if updates:
            todo.update("regions", region_id, "region", region_id, updates, report)

    for name, fields in desired.domains.items():
        existing = current.domains.get(name)
        if existing is None:
            body = {"name": name, **fields}
            todo.create("domains", name, "domain", body, Ref("domain", name))
            continue
        updates, report = _field_updates(existing, fields)
        if updates:
            todo.update("domains", name, "domain", existing["id"], updates, report)

    for key, fields in desired.projects.items():
        existing = current.projects.get(key)
        if existing is None:
            body = {"name": key[1], "domain_id": Ref("domain", key[0]), **fields}
            todo.create("projects", _label(key), "project", body, Ref("project", key))
            continue
        updates, report = _field_updates(existing, fields)
        if updates:
            todo.update("projects", _label(key), "project", existing["id"], updates, report)

    for name in desired.roles:
        if name not in current.roles:
            todo.create("roles", name, "role", {"name": name}, Ref("role", name))

    for key, user in desired.users.items():
        _diff_user(todo, key, user, current, ids)

    for key, user in desired.users.items():
        user_id = ids.get(("user", key))
        for grant in user.grants:
            target_id = ids.get((grant.kind, grant.target))
            role_id = ids.get(("role", grant.role))
            if (user_id, grant.kind, target_id, role_id) in current.assignments:
                continue
            target = grant.target if grant.kind == "domain" else _label(grant.target)
            path = (
                grant.kind + "s",
                Ref(grant.kind, grant.target),
                "users",
                Ref("user", key),
                "roles",
                Ref("role", grant.role),
            )
            report = f"{grant.role} on {grant.kind} {target}"
            todo.add("grants", _label(key), report, Action("PUT", path))

    for service in desired.services:
        _diff_service(todo, service, current)

    todo.actions.sort(key=lambda action: action.last)
    return todo


def _diff_user(todo, key, user, current, ids):
    label = _label(key)
    wanted = dict(user.fields)
    if user.project:
        wanted["default_project_id"] = Ref("project", user.project)
    existing = current.users.get(key)
    if existing is None:
        body = {"name": key[1], "domain_id": Ref("domain", key[0]), **wanted}
        if user.password:
            body["password"] = user.password
        todo.create("users", label, "user", body, Ref("user", key))
        return
    if user.project:
        wanted["default_project_id"] = ids.get(("project", user.project), wanted["default_project_id"])
    updates, report = _field_updates(existing, wanted)
    if "default_project_id" in report:
        # Report the default project by name, not by id.
        old = report.pop("default_project_id")["old"]
        names = {p["id"]: _label(k) for k, p in current.projects.items()}
        report["project"] = {"old": names.get(old, old), "new": _label(user.project)}
    re_enabled = not existing.get("enabled", True) and updates.get("enabled") is True
    if user.password and (re_enabled or current.password_ok.get(key) is False):
        updates["password"] = user.password
        report["password"] = "updated"
    if updates:
        last = "password" in updates and existing["id"] == current.self_user_id
        todo.update("users", label, "user", existing["id"], updates, report, last=last)


def _diff_service(todo, service, current):
    existing = current.find_service(service.name, service.fields["type"])
    if existing is None:
        body = {"name": service.name, **service.fields}
        todo.create("services", service.name, "service", body, Ref("service", service.name))
    else:
        updates, report = _field_updates(existing, service.fields)
        if updates:
            todo.update("services", service.name, "service", existing["id"], updates, report)
    for interface, url in service.endpoints.items():
        label = f"{service.name}/{interface}/{service.region}"
        endpoint = None
        if existing is not None:
            endpoint = current.endpoints.get((existing["id"], interface, service.region))
        if endpoint is None:
            body = {
                "service_id": existing["id"] if existing else Ref("service", service.name),
                "interface": interface,
                "region_id": service.region,
                "url": url,
            }
            todo.create("endpoints", label, "endpoint", body)
        elif endpoint["url"] != url:
            report = {"url": {"old": endpoint["url"], "new": url}}
            todo.update("endpoints", label, "endpoint", endpoint["id"], {"url": url}, report)


# --------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------


def _resolve_refs(value, ids):
    if isinstance(value, Ref):
        return ids[(value.kind, value.key)]
    if isinstance(value, dict):
        return {k: _resolve_refs(v, ids) for k, v in value.items()}
    return value


def _execute(client, todo, ids):
    """Make the API calls of ``todo``, recording created ids in ``ids``."""
    for done, action in enumerate(todo.actions):
        path = "/" + "/".join(_resolve_refs(segment, ids) for segment in action.path)
        body = _resolve_refs(action.body, ids) if action.body is not None else None
        try:
            data = client.request(action.method, path, body)
        except CommandExecutionError as exc:
            kind = KeystoneUnreachable if isinstance(exc, KeystoneUnreachable) else CommandExecutionError
            raise kind(
                f"{exc} ({done} of {len(todo.actions)} changes were applied before)"
            ) from None
        if action.register is not None:
            ids[(action.register.kind, action.register.key)] = data[action.resource]["id"]
