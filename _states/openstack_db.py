"""
The MariaDB database of an OpenStack service, its user and its grants.

.. code-block:: yaml

    nova_api-db:
      openstack_db.present:
        - name: nova_api
        - user: nova
        - password: {{ pillar['openstack']['passwords']['nova_db'] | json }}
        - hosts: [localhost, '%']

The state creates the database when missing (an existing database is left
as it is, whatever its character set), the account ``user@host`` for each
host, sets its password when it no longer matches (changing the password in
pillar rotates the credential on the next run), and grants the user ``ALL
PRIVILEGES`` on every table of the database.  Passwords are compared by the
server (``openstack_db.user_password_matches``), never shown: changes read
``{"password": "changed"}``.

``socket``, ``defaults_file`` and ``client`` are passed to the
``openstack_db`` execution module (how to reach the server; by default the
local server's unix socket, as root).

``openstack_db.schema_synced`` keeps a service's schema at the newest
revision of its installed code (placement, cinder, keystone, glance):

.. code-block:: yaml

    placement-db-sync:
      openstack_db.schema_synced:
        - name: placement
        - config_file: /etc/placement/placement.conf
        - user: placement
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

# The typed errors and the schema verdict shared with the execution modules
# and nova_manage's states, and what the extension's states share (their
# first return, their ends, a missing program) (_utils/): synced to
# extmods/utils, which the loader puts on sys.path while it loads this
# module, or part of the pip-installed package.
try:
    import saltext_openstack_schema as schema
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_schema as schema
    from saltext_openstack._utils import saltext_openstack_state as state_utils

__virtualname__ = "openstack_db"
# The states' return when the execution module is not loaded (its program is
# missing: a new host in a dry run, before the package is installed).
_unavailable = state_utils.unavailable_in(
    globals(), "openstack_db.database_exists", "the mariadb client (package mariadb-client)")


def __virtual__():
    return __virtualname__  # also without the program: each state says so (_unavailable)


def present(
    name,
    user=None,
    password=None,
    hosts=("localhost", "%"),
    character_set="utf8mb4",
    collate="utf8mb4_general_ci",
    socket=None,
    defaults_file=None,
    client=None,
):
    """
    Ensure the database ``name`` exists and that ``user`` (by default
    ``name``) can log in from each of ``hosts`` with ``password`` and holds
    ``ALL PRIVILEGES`` on ``name``.*.

    name
        The database.
    user
        The account's user name; defaults to the database name.
    password
        The account's password (required).
    hosts
        Host parts of the accounts (``%``: any host; ``localhost``: the unix
        socket), a list or one string.
    character_set, collate
        Used when the database is created.
    socket, defaults_file, client
        How to reach the server (see the execution module).
    """
    missing = _unavailable(name, "create database " + str(name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    user = name if user is None else str(user)
    if isinstance(hosts, str):
        hosts = [hosts]
    hosts = [str(host) for host in hosts or ()]
    if password is None or password == "":
        ret["result"] = False
        ret["comment"] = "a password is required for the user {}".format(user)
        return ret
    password = str(password)
    conn = {"socket": socket, "defaults_file": defaults_file, "client": client}
    test = bool(__opts__.get("test"))
    verb = "would be {}".format if test else "{}".format
    call = _caller(conn)
    notes = []

    try:
        db_exists = call("database_exists", name)
        if not db_exists:
            if not test:
                call("database_create", name, character_set=character_set, collate=collate)
            ret["changes"]["database"] = "created"
            notes.append("database {} {}".format(name, verb("created")))

        for host in hosts:
            account = "{}@{}".format(user, host)
            changes = {}
            exists = call("user_exists", user, host)
            if not exists:
                if not test:
                    call("user_create", user, host, password)
                changes["user"] = "created"
                notes.append("user {} {}".format(account, verb("created")))
            elif not call("user_password_matches", user, host, password):
                if not test:
                    call("user_set_password", user, host, password)
                changes["password"] = "changed"
                notes.append("password of {} {}".format(account, verb("changed")))
            # A database or an account that does not exist yet has no grant
            # (and in test mode cannot be asked for one).
            if not (db_exists and exists and call("has_all_privileges", name, user, host)):
                if not test:
                    call("grant_all", name, user, host)
                changes["grants"] = "ALL PRIVILEGES ON {}.*".format(name)
                notes.append(
                    "ALL PRIVILEGES on {}.* {} to {}".format(name, verb("granted"), account)
                )
            if changes:
                ret["changes"][account] = changes
    except (CommandExecutionError, SaltInvocationError) as exc:
        # (no client, or no server answers: openstack_db's NotReadyError)
        if test and not notes and schema.is_not_ready(exc):
            # Test mode before MariaDB is installed or started (its states
            # earlier in the same run are only "to be applied"): nothing can
            # be asked, everything would be done.
            ret["result"] = None
            ret["changes"] = {"database": "created", "user": user, "hosts": hosts}
            ret["comment"] = (
                "database {} and user {} would be created or checked once MariaDB "
                "is running ({})".format(name, user, exc)
            )
            return ret
        return state_utils.failed(ret, exc, notes)

    return state_utils.noted(ret, notes, test, "database {} and user {} at {} are as wanted".format(
        name, user, ", ".join(hosts) or "no host"))


def _connection(socket, defaults_file, client):
    """The connection arguments given (the execution module's defaults
    for the others)."""
    conn = {"socket": socket, "defaults_file": defaults_file, "client": client}
    return {key: value for key, value in conn.items() if value is not None}


def _caller(conn):
    """Call ``openstack_db.<fun>`` with the connection arguments."""

    def call(fun, *args, **kwargs):
        kwargs.update(conn)
        return __salt__["openstack_db." + fun](*args, **kwargs)

    return call


# The comments of schema_synced (schema.schema_verdict: the sequence,
# shared with nova_manage.db_synced; TEXTS: the comments both say alike).
# "not_ready": the status script's NotReadyError before the states that
# install the service, write its config file, create its database and user
# or start MariaDB have run (a dry run of a new deployment): the version
# cannot be read yet.
_SCHEMA_TEXTS = {
    "not_ready": "The {label} would be migrated once its program, configuration and database "
                 "are in place ({reason})",
    "unreadable": "Cannot read the {name} schema version: {error}",
    "synced": "The {label} is at revision {version}",
    "short": "The {label} was migrated to revision {reached} but the installed code's heads "
             "are {head}",
    "migrated": "The {label} was migrated to revision {reached}",
}  # fmt: skip


def schema_synced(name, config_file=None, user=None, socket=None, defaults_file=None,
                  client=None):  # fmt: skip
    """
    Ensure the database schema of the service ``name`` (``placement``,
    ``cinder``, ``keystone``, ``glance`` or ``neutron``) is at the newest
    revision its installed code ships.

    name
        The service.
    config_file
        The service's config file, where the check and the manage program
        read the database URL (default: the program's own default); or a
        list of them, each given as ``--config-file`` in order (neutron's
        ``neutron.conf`` and ``ml2_conf.ini``, as its server reads them).
    user
        Run the check and the manage program as this user (the service's:
        it reads the service's config file, and a log file the program
        creates stays the service's).
    socket, defaults_file, client
        How root reaches the local server for the cheap check (see the
        execution module's ``schema_cached``).

    The revisions of the database's ``alembic_version`` table are compared
    with the heads of the installed migrations on every run
    (``openstack_db.schema_status``: one start of the service's interpreter,
    not of its manage program; none when the heads of the installed code
    are remembered and the database, read as root, is at them), so a run
    that failed between creating the database and migrating it is
    completed by the next one; at head nothing runs.  Test mode predicts: ``{"old": revision(s), "new": head(s)}``
    (``old`` None: no schema yet; keystone's and neutron's are two, expand
    and contract); after a sync ``new`` is what the database holds, read again
    (glance keeps one row, its contract head, which depends on its expand
    head).  A sync that leaves the schema short of the heads fails the
    state, and so does a revision the installed code does not ship.
    """
    missing = _unavailable(name, "migrate the {} database".format(name))
    if missing:
        return missing

    def status():
        return __salt__["openstack_db.schema_status"](
            name, config_file=config_file, user=user, **_connection(socket, defaults_file, client))

    def sync():
        __salt__["openstack_db.schema_sync"](name, config_file=config_file, user=user)

    return schema.schema_verdict(
        name, "{} database".format(name), status, sync, test=bool(__opts__.get("test")),
        texts=_SCHEMA_TEXTS, words={"code": name, "heads": "heads"},
    )  # fmt: skip
