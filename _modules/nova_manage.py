"""
Execution module driving ``nova-manage`` (database schemas, cells v2, host
mappings) for the Nova API/conductor hosts.

Every function runs the real ``nova-manage`` program through
``cmd.run_all`` (argument list, no shell) and takes a ``config_file``
argument (default ``/etc/nova/nova.conf``) which is handed to nova-manage as
``--config-file``.

Secrets
-------
Database connections and transport URLs carry passwords. Anything given on a
command line can be read by every local user (``ps``, ``/proc/*/cmdline``),
so this module never puts a URL with credentials in nova-manage's argv:

* a value equal to the one already in ``config_file`` (``[DEFAULT]
  transport_url``, ``[database] connection``) is simply left out, for the
  commands where nova-manage then takes it from its configuration;
* a value without credentials (``none:///``, ``rabbit://host/``) is passed
  as the ordinary command-line option;
* any other value is written into a temporary configuration file (mode
  0600, in a mode 0700 directory, removed right after the call) which is
  passed as a second ``--config-file``: oslo.config lets a later file
  override an earlier one.

nova-manage's output is captured with ``output_loglevel="quiet"`` so the
Salt log never sees it (``list_cells --verbose`` prints passwords), URLs
returned by this module have their password replaced by ``****`` and error
messages are scrubbed the same way.

Most calls start a fresh nova-manage (two to four seconds each); the state
module keeps their number low.  The checks start none when they can: the
cell and host mappings (``list_cells``, ``list_hosts``, ``check_cell``) are
read from nova's API database by the ``mariadb`` client, as root, the way
``openstack_db`` reads (see "Reading the mappings" below), and from
``nova-manage cell_v2 list_cells --verbose``/``list_hosts`` only when that
read cannot be certain.  The cell mappings are read once per run: kept in
``__context__`` per config file until ``map_cell0``, ``create_cell`` or
``update_cell`` changes them.  The schema
checks (``db_status``) start no nova-manage: one start of nova's own Python
(``openstack_db.schema_script``) reads the heads of nova's migrations and
the databases' ``alembic_version`` tables, the URLs read from
``config_file`` by oslo.config and, for cell0, from its mapping.
"""

import contextlib
import copy
import logging
import os
import shutil
import tempfile

import salt.utils.path
from salt.exceptions import CommandExecutionError

# What the schema states share with the execution modules, the secret
# masker shared with openstack_config, and the reading of nova-manage's
# output (_utils/): synced to extmods/utils, which the loader puts on
# sys.path while it loads this module, or part of the pip-installed package.
try:
    import saltext_openstack_mask as mask
    import saltext_openstack_nova as novatext
    import saltext_openstack_schema as schema
    import saltext_openstack_schemacache as schemacache
    import saltext_openstack_sql as sqltext
except ImportError:
    from saltext_openstack._utils import saltext_openstack_mask as mask
    from saltext_openstack._utils import saltext_openstack_nova as novatext
    from saltext_openstack._utils import saltext_openstack_schema as schema
    from saltext_openstack._utils import saltext_openstack_schemacache as schemacache
    from saltext_openstack._utils import saltext_openstack_sql as sqltext

log = logging.getLogger(__name__)

__virtualname__ = "nova_manage"

DEFAULT_CONFIG_FILE = "/etc/nova/nova.conf"

#: The fixed UUID nova gives the cell0 mapping.
CELL0_UUID = "00000000-0000-0000-0000-000000000000"
#: The transport URL nova stores for cell0 (cell0 never does RPC).
CELL0_TRANSPORT_URL = "none:///"

MASK = "****"

# Option name in nova.conf of each URL nova-manage can take from there.
TRANSPORT_URL_OPT = ("DEFAULT", "transport_url")
DATABASE_OPT = ("database", "connection")
API_DATABASE_OPT = ("api_database", "connection")


def __virtual__():
    if salt.utils.path.which("nova-manage"):
        return __virtualname__
    return (
        False,
        "nova_manage: the nova-manage program is not installed "
        "(Debian package nova-common)",
    )


# --------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------


def _mask_url(url):
    """``url`` with the password of every ``user:password@`` replaced by ``****``."""
    return mask.mask_urls(url, MASK)


# --------------------------------------------------------------------------
# nova.conf handling and command line construction
# --------------------------------------------------------------------------


def _read_config(config_file):
    """
    The URLs nova-manage would read from ``config_file``, as
    ``{(section, option): value}``.

    Only used to decide whether a value may be left to the configuration:
    anything uncertain (unreadable file, ``$`` substitution) is left out, and
    the caller then passes the value explicitly (temporary file), which is
    always correct.
    """
    return schemacache.read_options(
        config_file, (TRANSPORT_URL_OPT, DATABASE_OPT, API_DATABASE_OPT))


def _plan_options(options, config_values):
    """
    Decide how each URL option reaches nova-manage.

    ``options`` is a list of ``(flag, value, (section, option))``. Returns
    ``(flags, overrides)``: the command-line arguments to add and the
    ``{section: {option: value}}`` to write into a temporary config file.

    Only for commands that read a missing flag from their configuration
    (``create_cell``, ``update_cell``):

    * ``None`` values are skipped;
    * a value equal to the configured one is left out;
    * a value without credentials becomes a command-line flag;
    * a value with credentials goes to the temporary file, never to argv.
    """
    flags = []
    overrides = {}
    for flag, value, (section, option) in options:
        if value is None:
            continue
        if config_values.get((section, option)) == value:
            continue
        if mask.has_credentials(value):
            overrides.setdefault(section, {})[option] = value
        else:
            flags.extend([flag, value])
    return flags, overrides


def _build_argv(nova_manage, config_file, action, extra_config_file=None):
    """
    The argument list of one nova-manage call.

    ``action`` is the category, command and its options, e.g.
    ``["cell_v2", "list_cells"]``.
    """
    argv = [nova_manage, "--config-file", config_file]
    if extra_config_file:
        argv.extend(["--config-file", extra_config_file])
    argv.extend(action)
    return argv


def _render_overrides(overrides):
    """
    Render ``{section: {option: value}}`` as an oslo.config INI text.

    Values are escaped by ``openstack_config.escape`` (every ``$`` written
    ``\\$``: oslo.config substitutes ``$name``), the one place that knows how.
    """
    escape = __salt__["openstack_config.escape"]
    lines = []
    for section, values in overrides.items():
        lines.append(f"[{section}]")
        for option, value in values.items():
            if "\n" in value or "\r" in value:
                raise CommandExecutionError(f"{section}/{option}: newline in value")
            lines.append(f"{option} = {escape(value)}")
        lines.append("")
    return "\n".join(lines)


@contextlib.contextmanager
def _override_file(overrides):
    """Yield the path of a 0600 config file holding ``overrides`` (or None)."""
    if not overrides:
        yield None
        return
    directory = tempfile.mkdtemp(prefix="nova-manage-")  # created 0700
    try:
        path = os.path.join(directory, "override.conf")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_render_overrides(overrides))
        yield path
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# --------------------------------------------------------------------------
# Running nova-manage (its output is read in _utils/saltext_openstack_nova.py)
# --------------------------------------------------------------------------


def _nova_manage():
    path = salt.utils.path.which("nova-manage")
    if not path:
        raise schema.NotReadyError("nova-manage is not installed")
    return path


def _run(action, config_file, overrides=None, secrets=()):
    """
    Run one nova-manage command and return its output lines.

    Raises CommandExecutionError carrying nova-manage's (scrubbed) message
    when it exits non-zero: NotReadyError (a CommandExecutionError) when
    that message says nova is not set up yet (``novatext.NOT_READY``).
    """
    config_values = _read_config(config_file)
    known = mask.passwords(list(config_values.values()) + list(secrets))

    def _mask(text):
        return mask.scrub(text, known, MASK)

    with _override_file(overrides) as extra:
        argv = _build_argv(_nova_manage(), config_file, action, extra)
        ret = __salt__["cmd.run_all"](
            argv,
            python_shell=False,
            output_loglevel="quiet",
            log_callback=_mask,
            ignore_retcode=True,
        )
    if ret["retcode"] != 0:
        message = _mask(novatext.error_message(ret["stdout"], ret["stderr"]))
        error = schema.NotReadyError if novatext.NOT_READY.search(message) else CommandExecutionError
        raise error(
            f"nova-manage {' '.join(action[:2])} failed "
            f"(exit code {ret['retcode']}): {message}"
        )
    return novatext.output_lines(ret["stdout"])


# --------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------


def db_version(config_file=DEFAULT_CONFIG_FILE):
    """
    Return the schema revision of the main (cell) database, or ``None`` when
    it has no schema yet (``nova-manage db version``).

    CLI Example::

        salt-call nova_manage.db_version
    """
    return novatext.version_of(_run(["db", "version"], config_file))


def api_db_version(config_file=DEFAULT_CONFIG_FILE):
    """
    Return the schema revision of the API database, or ``None`` when it has
    no schema yet (``nova-manage api_db version``).

    CLI Example::

        salt-call nova_manage.api_db_version
    """
    return novatext.version_of(_run(["api_db", "version"], config_file))


def _schema_module():
    """openstack_db's schema functions; nova first: before nova is
    installed, that is the error a dry run expects ("nova-manage is not
    installed", _states/nova_manage.py)."""
    script = _nova_manage()
    if "openstack_db.schema_script" not in __salt__:
        raise CommandExecutionError(
            "cannot read nova's database schemas: the openstack_db module is not "
            "loaded (it needs the mariadb client)"
        )
    return script


def _check_database(database):
    if database not in ("main", "api"):
        raise CommandExecutionError(f"unknown nova database {database!r}")
    return f"db/{database}/alembic.ini"


def db_head(database="main", config_file=DEFAULT_CONFIG_FILE):
    """
    Return the newest schema revision shipped with the installed nova for
    ``database`` (``main`` or ``api``), read from nova's alembic scripts with
    nova's own Python interpreter (read-only, no database access;
    ``openstack_db.alembic_head``). ``config_file`` is accepted for
    uniformity and not used.

    CLI Example::

        salt-call nova_manage.db_head api
    """
    alembic_ini = _check_database(database)
    script = _schema_module()
    return __salt__["openstack_db.alembic_head"](script, "nova", alembic_ini)


def _revision(database):
    """A database's revision for the status (the script's answer for it,
    None for a cell0 not mapped): None when it has no schema."""
    return schema.revisions(database["current"] if database else None)


def db_status(database="main", config_file=DEFAULT_CONFIG_FILE, **conn):
    """
    Compare a database's schema with the installed nova's newest revision.

    ``database`` is ``api`` or ``main``. For ``main``, the cell0 database is
    checked as well when cell0 is mapped, since ``nova-manage db sync``
    migrates it together with the main database. Read-only.

    One start of nova's Python (``openstack_db.schema_script``, as root
    like nova-manage here) computes the head of nova's migrations and reads
    the ``alembic_version`` table of each database: the API database at
    ``[api_database] connection``, the main one at ``[database]
    connection`` of ``config_file`` (read by oslo.config), and cell0's at
    the URL of its mapping (uuid ``00000000-...``) in the API database.
    No URL leaves that process.  When every database is at the head of
    nova code seen before, ``openstack_db.schema_cached`` tells it without
    that start (the head remembered, the revisions read as root with the
    ``mariadb`` client; ``conn``: its ``socket``, ``defaults_file``,
    ``client``).

    Returns ``{"database", "version", "head", "synced", "unknown"}``
    (``unknown``: revisions of the database, or of cell0's, that the
    installed nova does not ship: a newer schema), plus ``"cell0":
    {"version", "head"}`` (or ``None`` when cell0 is not mapped) for
    ``main``.

    CLI Example::

        salt-call nova_manage.db_status api
        salt-call nova_manage.db_status main config_file=/etc/nova/nova.conf
    """
    alembic_ini = _check_database(database)
    script = _schema_module()
    if database == "api":
        databases = {"api": {"group": API_DATABASE_OPT[0]}}
    else:
        databases = {
            "main": {"group": DATABASE_OPT[0]},
            "cell0": {"cell0_of": API_DATABASE_OPT[0], "uuid": CELL0_UUID},
        }
    answer = __salt__["openstack_db.schema_cached"](
        script, "nova", alembic_ini, databases, config_file=config_file,
        **{key: value for key, value in conn.items() if not key.startswith("__")}
    ) or __salt__["openstack_db.schema_script"](
        script, "nova", alembic_ini, databases=databases, config_file=config_file
    )
    heads = answer["heads"]
    if len(heads) != 1:
        raise CommandExecutionError(
            f"cannot find the head revision of nova's {database} database: "
            + ("several heads: " + " ".join(heads) if heads else "none")
        )
    head = heads[0]
    found = answer["databases"][database]
    status = {
        "database": database,
        "version": _revision(found),
        "head": head,
        "synced": found["synced"],
        "unknown": list(found["unknown"]),
    }
    if database == "main":
        cell0 = answer["databases"]["cell0"]
        status["synced"] = found["synced"] and (cell0 is None or cell0["synced"])
        status["cell0"] = {"version": _revision(cell0), "head": head} if cell0 else None
        status["unknown"] += [rev for rev in (cell0 or {}).get("unknown", ())
                              if rev not in status["unknown"]]
    return status


def db_sync(config_file=DEFAULT_CONFIG_FILE, local_cell=False):
    """
    Migrate the main database (and cell0's, unless ``local_cell``) to the
    newest schema: ``nova-manage db sync``. Returns True.

    CLI Example::

        salt-call nova_manage.db_sync
    """
    action = ["db", "sync"] + (["--local_cell"] if local_cell else [])
    _run(action, config_file)
    return True


def api_db_sync(config_file=DEFAULT_CONFIG_FILE):
    """
    Migrate the API database to the newest schema:
    ``nova-manage api_db sync``. Returns True.

    CLI Example::

        salt-call nova_manage.api_db_sync
    """
    _run(["api_db", "sync"], config_file)
    return True


# --------------------------------------------------------------------------
# Cells
# --------------------------------------------------------------------------


# The parsed ``list_cells --verbose`` of each config file, kept in
# ``__context__`` for the rest of the run (one state run asks for the cells
# three times: cell0, cell1, the main database's status); every function
# that changes cells drops it.
_CELLS_CONTEXT_KEY = "nova_manage.cells"


def _forget_cells():
    """Drop the cached cell mappings: the next read asks nova-manage again."""
    __context__.pop(_CELLS_CONTEXT_KEY, None)


def _list_cells_raw(config_file, conn=None):
    """Cell mappings with their real URLs: internal use only, never return.

    Read once per run and config file (``__context__``); callers get a copy.
    """
    cache = __context__.setdefault(_CELLS_CONTEXT_KEY, {})
    if config_file not in cache:
        cache[config_file] = _read_cells(config_file, conn)
    return copy.deepcopy(cache[config_file])


def _run_changing_cells(action, config_file, overrides=None, secrets=()):
    """``_run`` for a command that changes cell mappings: the cached ones
    are dropped, whether it succeeds or not."""
    try:
        return _run(action, config_file, overrides, secrets)
    finally:
        _forget_cells()


# --------------------------------------------------------------------------
# Reading the mappings from the API database
# --------------------------------------------------------------------------
#
# The checks only read ``cell_mappings`` and ``host_mappings``: one start
# of the ``mariadb`` client (milliseconds) instead of nova-manage (seconds).
# It connects as root (``saltext_openstack_sql.run``: the script on stdin,
# its output never logged, the connection arguments ``socket``,
# ``defaults_file``, ``client`` of ``openstack_db``), to the database that
# ``[api_database] connection`` of ``config_file`` names, only when that
# is certainly the one nova reads (``schemacache.local_locations``: a
# plain MySQL URL over TCP to this host, at the port of the server the
# client reaches, and oslo.config reading nothing else), and the URLs
# are no templates.  Otherwise, or when the client is missing, no server
# answers it, the server refuses it (its own access: 1044, 1045, 1142,
# 1698), or the read fails in any other way, nova-manage is asked, as
# before.  Only two errors are the read's to say: no such table in a
# database that exists (the schema not synced yet) is raised, and no such
# database is NotReadyError, as nova-manage's "Unknown database" is (a
# SELECT of a missing database's table tells it as "no such table").

_API_DATABASES = {"api": {"group": API_DATABASE_OPT[0]}}
# The client's own access refused: nova-manage, with nova's, may still read.
_CLIENT_REFUSED = ("ERROR 1044", "ERROR 1045", "ERROR 1142", "ERROR 1698")
# No such table: in a database that does not exist either, when it is not
# set up yet.
_NO_TABLE = "ERROR 1146"
_NO_DATABASE = "ERROR 1049"
_CANNOT_READ = "cannot read nova's cell and host mappings from the API database"


def _read_mappings(config_file, conn):
    """The rows of ``novatext.mappings_sql`` read from the API database of
    ``config_file`` with the client, or None: ask nova-manage."""

    def run(sql):
        return sqltext.run(__salt__["cmd.run_all"], sql, ok_errors=_CLIENT_REFUSED, **conn)

    failure = None
    try:
        where = schemacache.local_locations(
            "nova", "nova-manage", _API_DATABASES, config_file, None, run, sqltext)
        if where is None:
            return None
        database = where["api"][2]
        try:
            rows = run(schemacache.PORT_SQL
                       + novatext.mappings_sql(sqltext.quote_identifier(database)))
        except CommandExecutionError as exc:
            if schema.is_not_ready(exc) or _NO_TABLE not in str(exc):
                raise
            # No such table.  nova-manage, connecting to a database that does
            # not exist, says "Unknown database" (NotReadyError); an account
            # of a defaults file may not see a database it has no rights on.
            found = run("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA "
                        f"WHERE SCHEMA_NAME = {sqltext.quote_literal(database)};\n")
            if found == [] and not conn.get("defaults_file"):
                failure = schema.NotReadyError(f"{_CANNOT_READ}: Unknown database {database!r}")
            elif found:
                failure = CommandExecutionError(f"{_CANNOT_READ}: {exc}")
            else:
                return None
    except CommandExecutionError as exc:
        if _NO_DATABASE in str(exc) and not conn.get("defaults_file"):
            raise schema.NotReadyError(f"{_CANNOT_READ}: {exc}") from exc
        # no client, no server answering it, the client's access refused, or
        # any other error of the read (a column renamed...): nova-manage,
        # the authority, tells
        log.debug("nova_manage: the mappings are read by nova-manage: %s", exc)
        return None
    if failure is not None:
        raise failure
    if rows is None or not schemacache.same_server(rows, where):
        return None
    return rows


def _read_cells(config_file, conn=None):
    rows = _read_mappings(config_file, conn or {})
    cells = novatext.cells_from_rows(rows) if rows is not None else None
    if cells is not None:
        return cells
    cells = []
    for row in novatext.parse_table(_run(["cell_v2", "list_cells", "--verbose"], config_file)):
        cells.append(
            {
                "name": row.get("name") or None,
                "uuid": row["uuid"],
                "transport_url": row.get("transport_url") or None,
                "database_connection": row.get("database_connection") or None,
                "disabled": novatext.to_bool(row.get("disabled")),
            }
        )
    return cells


def _masked_cell(cell):
    return dict(
        cell,
        transport_url=_mask_url(cell["transport_url"]),
        database_connection=_mask_url(cell["database_connection"]),
    )


def list_cells(config_file=DEFAULT_CONFIG_FILE, **conn):
    """
    List the cell mappings: a list of dicts with ``name``, ``uuid``,
    ``transport_url`` and ``database_connection`` (passwords masked) and
    ``disabled``, sorted by name.

    Read from the API database with the ``mariadb`` client when certain
    (``conn``: its ``socket``, ``defaults_file``, ``client``; see "Reading
    the mappings"), else from nova-manage, run with ``--verbose`` (exact
    URLs); the passwords are masked here, the raw output is never logged.

    CLI Example::

        salt-call nova_manage.list_cells
    """
    cells = _list_cells_raw(config_file, sqltext.connection_args(conn))
    return [_masked_cell(cell) for cell in cells]


def _find_cell(cells, name):
    if name == "cell0":
        return next((c for c in cells if c["uuid"] == CELL0_UUID), None)
    matches = [c for c in cells if c["name"] == name and c["uuid"] != CELL0_UUID]
    if len(matches) > 1:
        raise CommandExecutionError(
            f"several cells are named {name!r}: "
            + ", ".join(c["uuid"] for c in matches)
        )
    return matches[0] if matches else None


def _desired_urls(name, transport_url, database_connection, config_values):
    """
    The URLs a cell should have. For a regular cell, ``None`` means the
    value of ``config_file`` (as nova-manage does). For cell0 the transport
    is always ``none:///`` and ``None`` leaves the database to nova's
    default (not compared).
    """
    if name == "cell0":
        return CELL0_TRANSPORT_URL, database_connection
    if transport_url is None:
        transport_url = config_values.get(TRANSPORT_URL_OPT)
    if database_connection is None:
        database_connection = config_values.get(DATABASE_OPT)
    return transport_url, database_connection


def check_cell(
    name, transport_url=None, database_connection=None, config_file=DEFAULT_CONFIG_FILE, **conn
):
    """
    Compare a cell mapping with the wanted settings, read-only.

    ``name`` ``cell0`` designates cell0 (found by its fixed UUID). For other
    cells, ``transport_url``/``database_connection`` left to ``None`` mean
    the values of ``config_file`` (``[DEFAULT] transport_url``, ``[database]
    connection``), like ``create_cell``; cell0's transport is always
    ``none:///`` and its database is only compared when given.  The
    mappings are read like ``list_cells`` (``conn``: the client's
    connection arguments).

    Returns ``{"name", "exists", "uuid", "wanted": {...}, "current": {...},
    "differences": {field: {"old", "new"[, "credentials_changed"]}}}``,
    all URLs masked. The comparison itself is on the real values, so a
    changed password is reported (``credentials_changed``).

    CLI Example::

        salt-call nova_manage.check_cell cell1
    """
    config_values = _read_config(config_file)
    wanted = dict(
        zip(
            ("transport_url", "database_connection"),
            _desired_urls(name, transport_url, database_connection, config_values),
        )
    )
    cell = _find_cell(_list_cells_raw(config_file, sqltext.connection_args(conn)), name)
    result = {
        "name": name,
        "exists": cell is not None,
        "uuid": cell["uuid"] if cell else None,
        "wanted": {key: _mask_url(value) for key, value in wanted.items()},
        "current": None,
        "differences": {},
    }
    if cell is None:
        return result
    result["current"] = _masked_cell(cell)
    for field, value in wanted.items():
        if value is None or value == cell[field]:
            continue
        difference = {"old": _mask_url(cell[field]), "new": _mask_url(value)}
        if difference["old"] == difference["new"]:
            difference["credentials_changed"] = True
        result["differences"][field] = difference
    return result


def map_cell0(database_connection=None, config_file=DEFAULT_CONFIG_FILE):
    """
    Create the cell0 mapping if missing: ``nova-manage cell_v2 map_cell0``.

    Without ``database_connection``, nova derives cell0's database from
    ``[database] connection`` (database name + ``_cell0``). A given
    ``database_connection`` without credentials is passed as
    ``--database_connection``. One with credentials must not reach argv and
    map_cell0 cannot read it from a config file, so this function lets nova
    derive it from a temporary ``[database] connection`` (the wanted URL
    without its ``_cell0`` suffix), then reads the mapping back and, if the
    stored URL differs (no ``_cell0`` suffix, URL normalisation), fixes it
    with ``update_cell``, which reads it from a temporary config file.

    An existing cell0 is left untouched (like nova-manage).

    Returns ``{"name": "cell0", "uuid": ..., "created": bool}``.

    CLI Example::

        salt-call nova_manage.map_cell0
    """
    action = ["cell_v2", "map_cell0"]
    overrides = None
    secret = mask.has_credentials(database_connection)
    if database_connection is not None and not secret:
        action += ["--database_connection", database_connection]
    elif secret:
        base = novatext.strip_cell0_suffix(database_connection)
        overrides = {DATABASE_OPT[0]: {DATABASE_OPT[1]: base}}
    lines = _run_changing_cells(action, config_file, overrides, secrets=[database_connection])
    created = not any("already setup" in line for line in lines)
    if created and secret:
        cell0 = _find_cell(_list_cells_raw(config_file), "cell0")
        if cell0 is None or cell0["database_connection"] != database_connection:
            update_cell(
                CELL0_UUID,
                transport_url=CELL0_TRANSPORT_URL,
                database_connection=database_connection,
                config_file=config_file,
            )
    return {"name": "cell0", "uuid": CELL0_UUID, "created": created}


def create_cell(
    name, transport_url=None, database_connection=None, config_file=DEFAULT_CONFIG_FILE
):
    """
    Create a cell mapping: ``nova-manage cell_v2 create_cell --name NAME``.
    Returns the new cell's UUID.

    ``transport_url``/``database_connection`` default to ``[DEFAULT]
    transport_url`` and ``[database] connection`` of ``config_file``. Given
    values equal to those are left to the configuration, values without
    credentials go on the command line and the others through a temporary
    0600 config file (never argv). nova-manage refuses (error) a transport
    URL or database already used by another cell.

    CLI Example::

        salt-call nova_manage.create_cell cell1
    """
    flags, overrides = _plan_options(
        [
            ("--transport-url", transport_url, TRANSPORT_URL_OPT),
            ("--database_connection", database_connection, DATABASE_OPT),
        ],
        _read_config(config_file),
    )
    action = ["cell_v2", "create_cell", "--name", name, "--verbose"] + flags
    lines = _run_changing_cells(
        action, config_file, overrides, secrets=[transport_url, database_connection]
    )
    uuids = [m.group(0) for line in lines for m in novatext.UUID.finditer(line)]
    if not uuids:
        raise CommandExecutionError(
            "nova-manage cell_v2 create_cell printed no cell UUID"
        )
    return uuids[-1]


def update_cell(
    cell_uuid,
    name=None,
    transport_url=None,
    database_connection=None,
    config_file=DEFAULT_CONFIG_FILE,
):
    """
    Update a cell mapping: ``nova-manage cell_v2 update_cell``. Returns True.

    Same semantics as nova-manage: a ``transport_url``/``database_connection``
    left to ``None`` is set from ``config_file`` (``[DEFAULT]
    transport_url``, ``[database] connection``) when that has one, and kept
    otherwise. Values are passed like in ``create_cell`` (credentials only
    through a temporary 0600 config file). Running services only see the
    change after a restart.

    The example re-reads the cell's URLs from nova.conf: passwords given on
    salt-call's own command line would end up in argv after all.

    CLI Example::

        salt-call nova_manage.update_cell 5e5e0c5b-2a3e-4c38-9a3f-3d3c1f4e2b10
    """
    flags, overrides = _plan_options(
        [
            ("--transport-url", transport_url, TRANSPORT_URL_OPT),
            ("--database_connection", database_connection, DATABASE_OPT),
        ],
        _read_config(config_file),
    )
    action = ["cell_v2", "update_cell", "--cell_uuid", cell_uuid] + flags
    if name:
        action += ["--name", name]
    _run_changing_cells(
        action, config_file, overrides, secrets=[transport_url, database_connection]
    )
    return True


# --------------------------------------------------------------------------
# Hosts
# --------------------------------------------------------------------------


def list_hosts(cell_uuid=None, config_file=DEFAULT_CONFIG_FILE, **conn):
    """
    List the host mappings: a list of dicts with ``cell_name``,
    ``cell_uuid`` and ``hostname``, sorted by host name; only those of the
    cell ``cell_uuid`` when given.  Read from the API database like
    ``list_cells`` (``conn``: the client's connection arguments), else by
    ``nova-manage cell_v2 list_hosts``.

    CLI Example::

        salt-call nova_manage.list_hosts
    """
    rows = _read_mappings(config_file, sqltext.connection_args(conn))
    if rows is not None:
        return novatext.hosts_from_rows(rows, cell_uuid)
    action = ["cell_v2", "list_hosts"]
    if cell_uuid:
        action += ["--cell_uuid", cell_uuid]
    return [
        {
            "cell_name": row.get("cell_name") or None,
            "cell_uuid": row.get("cell_uuid"),
            "hostname": row.get("hostname"),
        }
        for row in novatext.parse_table(_run(action, config_file))
    ]


def discover_hosts(cell_uuid=None, by_service=False, config_file=DEFAULT_CONFIG_FILE):
    """
    Map the compute hosts not yet mapped to a cell
    (``nova-manage cell_v2 discover_hosts --verbose``) and return the newly
    mapped ones: a list of dicts with ``hostname``, ``cell_name`` and
    ``cell_uuid`` (empty when there was nothing to map).

    ``by_service`` discovers from the nova-compute service records instead
    of the compute nodes.

    CLI Example::

        salt-call nova_manage.discover_hosts
    """
    action = ["cell_v2", "discover_hosts", "--verbose"]
    if cell_uuid:
        action += ["--cell_uuid", cell_uuid]
    if by_service:
        action.append("--by-service")
    return novatext.parse_discovery(_run(action, config_file))
