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
import logging
import time

import salt.utils.args
import salt.utils.path
from salt.exceptions import CommandExecutionError

# The OpenStack client shared with openstack_cloud, and this module's pure
# plans: the configuration's syntax, the wanted state and the diff
# (_utils/): synced to extmods/utils, which the loader puts on sys.path
# while it loads this module, or part of the pip-installed package.
try:
    import saltext_openstack_api as api
    import saltext_openstack_identity as identity
except ImportError:
    from saltext_openstack._utils import saltext_openstack_api as api
    from saltext_openstack._utils import saltext_openstack_identity as identity

log = logging.getLogger(__name__)

__virtualname__ = "keystone_init"

CONFIG_KEY = "keystone_init:config"
AUTH_KEY = "keystone_init:auth"
AUTH_ARGS = api.AUTH_ARGS
# Concurrent logins when checking passwords (bcrypt is slow on purpose).
PASSWORD_CHECK_WORKERS = 4


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
    spec = identity.normalize_config(_load_config(config))
    reported = {}
    pauses = () if test else _REPLAN_PAUSES
    for attempt in range(len(pauses) + 1):
        try:
            # Keystone refusing the admin (a dry run of a new cloud, before the
            # bootstrap) raises LoginRefused, "not ready" (is_not_ready), as
            # does no answer at all (KeystoneUnreachable).
            client = KeystoneClient(auth)
            current = _fetch_current(client)
            desired = identity.resolve(spec, current, auth.get("region"))
            current.password_ok = _check_passwords(client, identity.password_checks(desired, current))
            result = identity.diff(desired, current)
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
# Keystone's current state: listed, and the passwords checked by logging in
# (the plans made from it: _utils/saltext_openstack_identity.py)
# --------------------------------------------------------------------------


def _fetch_current(client):
    """List every kind of object once (8 calls) and index them."""
    current = identity.Current(self_user_id=client.user_id)
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


def _check_passwords(client, checks):
    if not checks:
        return {}
    workers = min(PASSWORD_CHECK_WORKERS, len(checks))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {key: pool.submit(client.password_valid, uid, pw) for key, uid, pw in checks}
        return {key: future.result() for key, future in futures.items()}


# --------------------------------------------------------------------------
# Execution
# --------------------------------------------------------------------------


def _resolve_refs(value, ids):
    if isinstance(value, identity.Ref):
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
