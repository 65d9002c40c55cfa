"""
MariaDB databases, users and grants for the OpenStack services.

Every call feeds SQL to the local ``mariadb`` (or ``mysql``) command line
client on its standard input, connected as root over the unix socket (on
Debian, MariaDB's ``root@localhost`` authenticates with ``unix_socket``, so
no password is needed).  Passwords therefore never appear on a command line,
and the client runs with Salt's ``output_loglevel="quiet"`` so neither the
SQL nor its output is logged.  Errors are raised as
:class:`salt.exceptions.CommandExecutionError` carrying the client's own
message, with any password of the statement masked; no client, or no
server answering (errors 2002, 2003, 2006), as its subclass
``NotReadyError`` (``_utils/saltext_openstack_schema.py``).

This module does not need ``MySQLdb``/``PyMySQL`` (unlike Salt's core
``mysql`` modules, removed from Salt 3008).

Connection keyword arguments, accepted by every function:

``socket``
    Path of the server's unix socket (default: the client's configuration,
    ``/run/mysqld/mysqld.sock`` on Debian).
``defaults_file``
    An option file read *instead of* the usual ones
    (``--defaults-file``), e.g. to connect to another server.
``client``
    The client program (default: ``mariadb``, else ``mysql``).

Quoting: identifiers (database names) are quoted with backticks, string
literals (user names, hosts, passwords) with single quotes and backslash
escapes; each script first removes ``NO_BACKSLASH_ESCAPES`` from the
session's ``sql_mode`` so that this quoting means the same on any server.
In ``GRANT ... ON db.*`` MariaDB reads ``_`` and ``%`` of the database name
as wildcards: :func:`grant_all` escapes them, so the grant is for exactly
that database.

Service schemas: :func:`schema_status` compares a service's database
schema with the alembic migrations the installed service ships, for the
services of ``SCHEMAS`` (placement, cinder, keystone, glance, neutron;
nova's ``nova_manage`` uses :func:`schema_script` too), and
:func:`schema_sync` runs the service's own sync (``<service>-manage db
sync``, ``keystone-manage db_sync``, ``glance-manage db_sync``,
``neutron-db-manage upgrade heads``).  The check is one
start of the service's own interpreter, as the service's user: it computes
the heads of the installed migrations and reads the database's
``alembic_version`` table, with the URL read from the service's config
file(s) by oslo.config (as the service reads them), instead of two to four
starts of the manage program.  No password reaches a command line, a
return or the log.  A database at the heads of code seen before is told
without that start (:func:`schema_cached`): the heads remembered per
installed code in the minion's cachedir, the revisions read as root with
the client (``_utils/saltext_openstack_schemacache.py``).

:depends: the ``mariadb`` client (Debian: mariadb-client).
"""
import json
import logging
import os
import pwd
import re
import time

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

# What the schema states share with this module, the schema checks' script
# and cache, this module's quoting and parsing, and the extension's one
# secret masker (_utils/): synced to extmods/utils, which the loader puts on
# sys.path while it loads this module, or part of the pip-installed
# package.  One try: all of them from the same place.
try:
    import saltext_openstack_mask as mask
    import saltext_openstack_schema as schema
    import saltext_openstack_schema_read as schema_read
    import saltext_openstack_schemacache as schemacache
    import saltext_openstack_sql as sqltext
except ImportError:
    from saltext_openstack._utils import saltext_openstack_mask as mask
    from saltext_openstack._utils import saltext_openstack_schema as schema
    from saltext_openstack._utils import saltext_openstack_schema_read as schema_read
    from saltext_openstack._utils import saltext_openstack_schemacache as schemacache
    from saltext_openstack._utils import saltext_openstack_sql as sqltext

log = logging.getLogger(__name__)

__virtualname__ = "openstack_db"

# MariaDB's "There is no such grant defined for user ..." (SHOW GRANTS of an
# unknown account).
_ER_NONEXISTING_GRANT = "ERROR 1141"

_CHARSET_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def __virtual__():
    if _find_client(None):
        return __virtualname__
    return (
        False,
        "the openstack_db module needs the mariadb (or mysql) command line "
        "client (install mariadb-client)",
    )


# ---------------------------------------------------------------------------
# Running the client
# ---------------------------------------------------------------------------


def _find_client(client):
    return sqltext.find_client(client)


def _run(sql, secrets=(), socket=None, defaults_file=None, client=None, ok_errors=()):
    """
    Run the SQL script ``sql`` with the client (``sqltext.run``) and return
    the result rows.  Return None when the client failed with one of the
    ``ok_errors`` (e.g. ``"ERROR 1141"``).  Raise ``NotReadyError`` (a
    CommandExecutionError) when there is no client or no server answers: a
    dry run's states before MariaDB's.
    """
    return sqltext.run(__salt__["cmd.run_all"], sql, secrets=secrets, socket=socket,
                       defaults_file=defaults_file, client=client, ok_errors=ok_errors,
                       find=_find_client)  # fmt: skip


def _conn(kwargs):
    """The connection arguments among ``kwargs`` (``sqltext.connection_args``)."""
    return sqltext.connection_args(kwargs)


# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------


def database_exists(name, **conn):
    """
    Tell whether the database ``name`` exists.

    CLI Example::

        salt '*' openstack_db.database_exists nova_api
    """
    rows = _run(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
        "WHERE SCHEMA_NAME = {};\n".format(sqltext.quote_literal(name)),
        **_conn(conn)
    )
    # information_schema compares case-insensitively; names do not.
    return any(row[0] == name for row in rows)


def database_create(name, character_set="utf8mb4", collate="utf8mb4_general_ci", **conn):
    """
    Create the database ``name`` with the given character set and collation.
    Fail if it exists.

    CLI Example::

        salt '*' openstack_db.database_create nova_api
        salt '*' openstack_db.database_create nova_api character_set=utf8 collate=utf8_general_ci
    """
    sql = "CREATE DATABASE {}".format(sqltext.quote_identifier(name))
    for keyword, value in (("CHARACTER SET", character_set), ("COLLATE", collate)):
        if not value:
            continue
        if not _CHARSET_NAME.match(str(value)):
            raise SaltInvocationError("invalid {}: {!r}".format(keyword.lower(), value))
        sql += " {} {}".format(keyword, value)
    _run(sql + ";\n", **_conn(conn))
    return True


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------


def user_exists(user, host="%", **conn):
    """
    Tell whether the account ``user``@``host`` exists.

    CLI Example::

        salt '*' openstack_db.user_exists nova
        salt '*' openstack_db.user_exists nova localhost
    """
    rows = _run(
        "SELECT User FROM mysql.user WHERE User = {} AND Host = {};\n".format(
            sqltext.quote_literal(user), sqltext.quote_literal(host)
        ),
        **_conn(conn)
    )
    return any(row[0] == user for row in rows)


def user_password_matches(user, host, password, **conn):
    """
    Tell whether ``password`` is the password of ``user``@``host``: the
    account authenticates with ``mysql_native_password`` and its stored hash
    equals ``PASSWORD(password)``, computed by the server.  False when the
    account does not exist or uses another authentication plugin.

    CLI Example::

        salt '*' openstack_db.user_password_matches nova % 's3cret'
    """
    rows = _run(
        "SELECT plugin, authentication_string = PASSWORD({}) FROM mysql.user "
        "WHERE User = {} AND Host = {};\n".format(
            sqltext.quote_literal(password), sqltext.quote_literal(user), sqltext.quote_literal(host)
        ),
        secrets=(password,),
        **_conn(conn)
    )
    return any(
        row[0] in ("mysql_native_password", "") and row[1] == "1" for row in rows
    )


def _identified_by(verb, user, host, password, conn):
    """``<verb> USER user@host IDENTIFIED BY password`` (CREATE, ALTER), the
    password kept out of logs and errors."""
    _run(
        "{} USER {} IDENTIFIED BY {};\n".format(
            verb, sqltext.quote_account(user, host), sqltext.quote_literal(password)
        ),
        secrets=(password,),
        **_conn(conn)
    )


def user_create(user, host, password, **conn):
    """
    Create the account ``user``@``host`` with ``password``
    (``mysql_native_password``).  Fail if it exists.

    CLI Example::

        salt '*' openstack_db.user_create nova % 's3cret'
    """
    _identified_by("CREATE", user, host, password, conn)
    return True


def user_set_password(user, host, password, **conn):
    """
    Set the password of the existing account ``user``@``host``.

    CLI Example::

        salt '*' openstack_db.user_set_password nova % 'n3w-s3cret'
    """
    _identified_by("ALTER", user, host, password, conn)
    return True


# ---------------------------------------------------------------------------
# Grants
# ---------------------------------------------------------------------------


def grants(user, host="%", **conn):
    """
    The grants of ``user``@``host``, parsed from ``SHOW GRANTS`` (see
    ``parse_grant`` in ``_utils/saltext_openstack_sql.py``); an empty list
    when the account does not exist.

    CLI Example::

        salt '*' openstack_db.grants nova %
    """
    rows = _run(
        "SHOW GRANTS FOR {};\n".format(sqltext.quote_account(user, host)),
        ok_errors=(_ER_NONEXISTING_GRANT,),
        **_conn(conn)
    )
    try:
        return [sqltext.parse_grant(row[0]) for row in rows or ()]
    except ValueError as exc:
        raise CommandExecutionError("cannot read SHOW GRANTS: {}".format(exc)) from exc


def has_all_privileges(database, user, host="%", **conn):
    """
    Tell whether ``user``@``host`` holds ``ALL PRIVILEGES`` on every table
    of exactly the database ``database`` (a grant on ``database.*``; grants
    through a wildcard pattern or on ``*.*`` do not count).

    CLI Example::

        salt '*' openstack_db.has_all_privileges nova_api nova %
    """
    return any(
        grant.get("database_name") == database
        and grant.get("table") == "*"
        and grant.get("object_type") is None
        and "ALL PRIVILEGES" in grant.get("privileges", ())
        for grant in grants(user, host, **conn)
    )


def grant_all(database, user, host="%", **conn):
    """
    Grant ``ALL PRIVILEGES`` on every table of the database ``database``
    (exactly that one: ``_`` and ``%`` are escaped) to ``user``@``host``.

    CLI Example::

        salt '*' openstack_db.grant_all nova_api nova %
    """
    _run(
        "GRANT ALL PRIVILEGES ON {}.* TO {};\n".format(
            sqltext.grant_database_pattern(database), sqltext.quote_account(user, host)
        ),
        **_conn(conn)
    )
    return True


# ---------------------------------------------------------------------------
# Service schemas (alembic)
# ---------------------------------------------------------------------------

#: The services whose schema ``schema_status`` and ``schema_sync`` manage:
#: their manage program (the ``#!`` line names the service's interpreter),
#: their Python package, the ``alembic.ini`` of their migrations inside it,
#: the config group of their database URL (``[group] connection``), the
#: manage program's sync command and whether the migrations lie in
#: sub-directories of the ``versions`` directory (keystone's release/branch
#: directories, which keystone lists in code: every one of them).
SCHEMAS = {
    "placement": {"program": "placement-manage", "package": "placement",
                  "alembic_ini": "db/sqlalchemy/alembic.ini", "group": "placement_database",
                  "sync": ("db", "sync")},
    "cinder": {"program": "cinder-manage", "package": "cinder", "alembic_ini": "db/alembic.ini",
               "group": "database", "sync": ("db", "sync")},
    "keystone": {"program": "keystone-manage", "package": "keystone",
                 "alembic_ini": "common/sql/alembic.ini", "group": "database",
                 "sync": ("db_sync",), "recursive": True},
    "glance": {"program": "glance-manage", "package": "glance",
               "alembic_ini": "db/sqlalchemy/alembic_migrations/alembic.ini",
               "group": "database", "sync": ("db_sync",)},
    # expand and contract heads (two alembic_version rows), the releases'
    # directories under versions/ (neutron-db-manage lists them in code);
    # neutron's own migrations only: its sub-projects (neutron-fwaas,
    # networking-*: their own version tables) are not checked.
    "neutron": {"program": "neutron-db-manage", "package": "neutron",
                "alembic_ini": "db/migration/alembic.ini", "group": "database",
                "sync": ("upgrade", "heads"), "recursive": True},
}  # fmt: skip


def _program(program):
    """The path of the program ``program``; NotReadyError if missing."""
    path = salt.utils.path.which(program)
    if not path:
        raise schema.NotReadyError("{} is not installed".format(program))
    return path


def _interpreter(path):
    """The interpreter of the ``#!`` line of the script ``path``."""
    with open(path, "rb") as handle:
        first = handle.readline().decode("utf-8", "replace")
    words = first[2:].split() if first.startswith("#!") else []
    if words and os.path.basename(words[0]) == "env" and len(words) > 1:
        return salt.utils.path.which(words[1]) or words[1]
    return words[0] if words else "/usr/bin/python3"


def _failure(res):
    """The last lines a failed program printed (a traceback's final
    exception, an error message), any URL password masked (the extension's
    one masker: a password holding "@" is masked whole)."""
    lines = [
        line.strip()
        for line in "{}\n{}".format(res.get("stdout") or "", res.get("stderr") or "").splitlines()
        if line.strip()
    ]
    text = "\n".join(lines[-3:]) or "exit code {}".format(res.get("retcode"))
    return mask.scrub(text, (), "****")


def _user_exists(user):
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def schema_script(program, package, alembic_ini, databases=None, config_file=None, user=None,
                  recursive=False):  # fmt: skip
    """
    Run the status script once with the interpreter of ``program``'s ``#!``
    line (the service's own Python, alembic, SQLAlchemy and oslo.config),
    as ``user``, and return its answer: ``{"heads": [...], "databases":
    {name: {"current", "unknown", "synced"} or None}}`` (see ``STATUS_SCRIPT``
    in ``_utils/saltext_openstack_schema_read.py``).  ``databases`` maps a
    name to ``{"group": G}`` (``[G] connection`` of ``config_file``, a path
    or a list of them read in order as oslo.config reads several
    ``--config-file``; default: ``program``'s own config files) or, for nova's cell0,
    ``{"cell0_of": G, "uuid": U}``.
    The URLs are read by the script: no password reaches a command line or
    the return.  Read-only.

    Raises ``NotReadyError`` (``_utils/saltext_openstack_schema.py``, a
    ``CommandExecutionError``) when the service is not set up yet: its
    program not installed, its config file missing or without the database
    URL, its database server not answering, its database or user not
    created yet.

    CLI Example::

        salt '*' openstack_db.schema_script keystone-manage keystone common/sql/alembic.ini '{"main": {"group": "database"}}' user=keystone recursive=True
        salt '*' openstack_db.schema_script neutron-db-manage neutron db/migration/alembic.ini '{"main": {"group": "database"}}' config_file='[/etc/neutron/neutron.conf, /etc/neutron/plugins/ml2/ml2_conf.ini]' user=neutron recursive=True
    """
    path = _program(program)
    spec = {
        "package": package,
        "alembic_ini": alembic_ini,
        "recursive": bool(recursive),
        "project": package,
        "prog": os.path.basename(path),
        "config_files": schemacache.config_files(config_file),
        "databases": databases or {},
    }
    kwargs = {"runas": user} if user else {}
    started = time.time_ns()
    # -I and cwd /: nothing on the import path that the service's user
    # could plant (its home, the working directory, PYTHON* variables).
    try:
        res = __salt__["cmd.run_all"](
            [_interpreter(path), "-I", "-c", schema_read.STATUS_SCRIPT,
             json.dumps(spec, sort_keys=True)],
            cwd="/",
            python_shell=False,
            output_loglevel="quiet",
            ignore_retcode=True,
            **kwargs
        )
    except CommandExecutionError as exc:
        # Salt refuses a runas user that does not exist ("User 'x' is not
        # available"): the service's package, which creates it, is not
        # installed yet.
        if user and not _user_exists(user):
            raise schema.NotReadyError(
                "cannot read the schema of {}: the user {} does not exist yet".format(package, user)
            ) from exc
        raise
    try:
        answer = json.loads((res.get("stdout") or "").strip().splitlines()[-1])
    except (IndexError, ValueError):
        answer = None
    if res["retcode"] != 0 or not isinstance(answer, dict) or "error" in answer:
        error = answer.get("error") if isinstance(answer, dict) else None
        not_ready = isinstance(answer, dict) and answer.get("not_ready")
        raise (schema.NotReadyError if not_ready else CommandExecutionError)(
            "cannot read the schema of {} ({}): {}".format(
                package, alembic_ini,
                mask.scrub(error, (), "****") if error else _failure(res),
            )
        )
    schemacache.remember(_cache_file(), schemacache.code_key(path, package, alembic_ini, recursive),
                         answer, lambda: _code_paths(path), started)  # fmt: skip
    return answer


# ---------------------------------------------------------------------------
# The cheap check: heads remembered, revisions read as root
# ---------------------------------------------------------------------------

#: The cache of the heads each installed service's code ships, under the
#: minion's cachedir (see _utils/saltext_openstack_schemacache.py).
CACHE_FILE = os.path.join("openstack_db", "schema_heads.json")


def _cache_file():
    return os.path.join(__opts__["cachedir"], CACHE_FILE)


def _code_paths(path):
    """The program and its interpreter (the ``#!`` line's, and the file it
    links to): fingerprinted with the migrations."""
    interpreter = _interpreter(path)
    return [path, interpreter, os.path.realpath(interpreter)]


def schema_cached(program, package, alembic_ini, databases, config_file=None, user=None,
                  recursive=False, **conn):  # fmt: skip
    """
    The answer of :func:`schema_script` when it can be given without
    starting the service's Python, and every database is synced; None
    otherwise (then ask :func:`schema_script`).

    The heads are the ones :func:`schema_script` found before for the same
    installed code (remembered in the minion's cachedir with a fingerprint
    of the migrations, the package's metadata, the program and its
    interpreter: an upgrade recomputes them).  The databases' revisions are
    read as root with the ``mariadb`` client (the connection arguments of
    this module), from the databases the URLs of ``config_file`` (a path
    or a list: a later file's URL replaces an earlier one's) name:
    only when those URLs are plain MySQL URLs over TCP to this host, at the
    port of the server the client reaches, and oslo.config would read
    nothing else (no ``$`` substitution, no ``*.conf.d`` directory, no
    ``OS_*`` variable).  Any doubt, an error included, answers None.
    Read-only.

    CLI Example::

        salt '*' openstack_db.schema_cached keystone-manage keystone common/sql/alembic.ini '{"main": {"group": "database"}}' config_file=/etc/keystone/keystone.conf user=keystone recursive=True
    """
    conn = _conn(conn)
    try:
        path = salt.utils.path.which(program)
        if not (path and config_file and databases):
            return None
        key = schemacache.code_key(path, package, alembic_ini, recursive)
        return schemacache.cached_answer(path, package, key, databases, config_file, user,
                                         _cache_file(), lambda sql: _run(sql, **conn), sqltext)
    except (CommandExecutionError, OSError, ValueError, LookupError, TypeError) as exc:
        log.debug("openstack_db: the cheap schema check of %s gave way: %s", package, exc)
        return None


def alembic_head(program, package, alembic_ini):
    """
    The newest schema revision shipped with an installed OpenStack service:
    the head of the alembic migrations of the Python package ``package``
    (``alembic_ini``: the path of their ``alembic.ini`` inside the package),
    computed by the interpreter of ``program``'s ``#!`` line (the service's
    own Python and alembic).  Read-only, no database access.  A migration
    tree with several heads is an error.

    CLI Example::

        salt '*' openstack_db.alembic_head placement-manage placement db/sqlalchemy/alembic.ini
        salt '*' openstack_db.alembic_head nova-manage nova db/api/alembic.ini
    """
    heads = schema_script(program, package, alembic_ini)["heads"]
    if len(heads) != 1:
        raise CommandExecutionError(
            "cannot find the head revision of {}'s migrations ({}): {}".format(
                package, alembic_ini, "several heads: " + " ".join(heads) if heads else "none"
            )
        )
    return heads[0]


def _schema(service):
    if service not in SCHEMAS:
        raise SaltInvocationError(
            "unknown service {!r}: one of {}".format(service, ", ".join(sorted(SCHEMAS)))
        )
    return SCHEMAS[service]


def _manage(service, action, config_file, user):
    """Run ``<service>-manage [--config-file F] <action>`` as ``user`` and
    return its standard output; CommandExecutionError when it fails."""
    program = _schema(service)["program"]
    argv = [_program(program)]
    for path in schemacache.config_files(config_file):
        argv += ["--config-file", path]
    argv += list(action)
    kwargs = {"runas": user} if user else {}
    res = __salt__["cmd.run_all"](
        argv, python_shell=False, output_loglevel="quiet", ignore_retcode=True, **kwargs
    )
    if res["retcode"] != 0:
        raise CommandExecutionError(
            "{} {} failed: {}".format(program, " ".join(action), _failure(res))
        )
    return res.get("stdout") or ""


def schema_status(service, config_file=None, user=None, **conn):
    """
    Compare ``service``'s database schema with the migrations its installed
    code ships (a service of ``SCHEMAS``: placement, cinder, keystone,
    glance, neutron), in one start of the service's interpreter, run as
    ``user`` (the service's user: it reads the service's config file as the
    service does).  ``config_file`` (default: the manage program's own; a
    list of files: each given as ``--config-file``, in order) holds the
    database URL.  Read-only.  A database synced with code seen before is
    told without that start (:func:`schema_cached`, which the connection
    arguments ``socket``, ``defaults_file``, ``client`` are for).

    Returns ``{"service", "version", "head", "synced", "unknown"}``:
    ``version`` the database's revision(s), space separated (None: no
    schema yet), ``head`` the code's head(s), ``synced`` whether the sync
    would change nothing, ``unknown`` the database's revisions the code does
    not ship (a newer schema).

    CLI Example::

        salt '*' openstack_db.schema_status placement user=placement
        salt '*' openstack_db.schema_status keystone config_file=/etc/keystone/keystone.conf user=keystone
        salt '*' openstack_db.schema_status neutron config_file='[/etc/neutron/neutron.conf, /etc/neutron/plugins/ml2/ml2_conf.ini]' user=neutron
    """
    known = _schema(service)
    args = (known["program"], known["package"], known["alembic_ini"])
    kwargs = {"databases": {"main": {"group": known["group"]}}, "config_file": config_file,
              "user": user, "recursive": known.get("recursive", False)}  # fmt: skip
    answer = schema_cached(*args, **kwargs, **conn) or schema_script(*args, **kwargs)
    database = answer["databases"]["main"]
    return {
        "service": service,
        "version": schema.revisions(database["current"]),
        "head": schema.revisions(answer["heads"]),
        "synced": database["synced"],
        "unknown": database["unknown"],
    }


def schema_version(service, config_file=None, user=None, **conn):
    """
    The schema revision(s) of ``service``'s database, space separated; None
    when it has no schema yet (see :func:`schema_status`).

    CLI Example::

        salt '*' openstack_db.schema_version placement user=placement
        salt '*' openstack_db.schema_version cinder config_file=/etc/cinder/cinder.conf user=cinder
    """
    return schema_status(service, config_file=config_file, user=user, **conn)["version"]


def schema_sync(service, config_file=None, user=None):
    """
    Migrate ``service``'s database to the newest schema with its own manage
    program (``placement-manage db sync``, ``cinder-manage db sync``,
    ``keystone-manage db_sync``, ``glance-manage db_sync``,
    ``neutron-db-manage upgrade heads``), run as ``user`` with
    ``config_file`` (see :func:`schema_status`).  Returns True.

    CLI Example::

        salt '*' openstack_db.schema_sync cinder user=cinder
        salt '*' openstack_db.schema_sync neutron config_file='[/etc/neutron/neutron.conf, /etc/neutron/plugins/ml2/ml2_conf.ini]' user=neutron
    """
    _manage(service, _schema(service)["sync"], config_file, user)
    return True
