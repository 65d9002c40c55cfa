"""
The cheap "nothing to do" path of the schema checks (``openstack_db``'s
``schema_status``, ``nova_manage``'s ``db_status``): what can be known
without starting the service's Python.

* The heads of the migrations an installed service ships are fixed for its
  installed files.  The slow check (``openstack_db.schema_script``) reports
  where they are (the alembic script directory, its version locations, the
  package's ``dist-info``); they are remembered with a :func:`fingerprint`
  of those files (and of the program and its interpreter): ``lstat`` of
  every file, inode and ``ctime`` included, so a package upgrade (new
  files, a renamed ``dist-info`` directory) or any rewrite recomputes.
  The revision sets the slow check found synced with that code are
  remembered too (:func:`is_synced`): glance keeps one row for two heads.
* The cache is one JSON file in the minion's cachedir (:func:`load`,
  :func:`store`): a directory of its own, 0700, not a symlink, owned by the
  minion's user; the file written atomically, 0600, opened with
  ``O_NOFOLLOW`` and ignored unless it is a regular file of that user that
  nobody else can read.
* The database URL is read from the config file, or the config files in
  order (a later file's value wins, as with oslo.config), with
  :func:`read_options` (as ``nova_manage`` decides whether a URL may be left
  to nova.conf): anything uncertain (``$`` substitution, a config
  directory or an ``OS_*`` variable oslo.config would read too:
  :func:`oslo_overrides`, a URL that is not a plain MySQL URL over TCP:
  :func:`mysql_location`, a host that is not this one: :func:`is_local_host`)
  means the slow check.

No Salt dunder: imported like ``saltext_openstack_api`` (see there), not a
loader module; unit-tested in tests/unit/test_saltext_openstack_schemacache.py.
"""
import configparser
import hashlib
import json
import logging
import os
import pwd
import re
import socket
import stat
import tempfile
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

#: The cache file's format; another one is ignored.
FORMAT = 1
#: At most this many synced revision sets are remembered per code.
MAX_SYNCED = 8
#: A fingerprinted file changed this close (ns) to the slow check's start is
#: not trusted: the package may have been upgraded while it ran.
SETTLE_NS = 2 * 10**9

# The scheme of a MySQL/MariaDB SQLAlchemy URL: mysql, mysql+pymysql, mariadb+...
_MYSQL_SCHEME = re.compile(r"^(mysql|mariadb)(\+[a-z0-9_]+)?$")
# URL query options that do not change where the client connects.
_HARMLESS_QUERY = {"charset"}


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_schemacache is imported by openstack_db directly")


class UnsafeCacheError(OSError):
    """The cache's directory or file could be redirected or read by others."""


# ---------------------------------------------------------------------------
# The code's identity
# ---------------------------------------------------------------------------


def code_key(program, package, alembic_ini, recursive):
    """The cache key of a service's migrations: its program, its package,
    the ``alembic.ini`` inside it and how the versions are listed."""
    return json.dumps([str(program), str(package), str(alembic_ini), bool(recursive)])


def _stat_line(path, st):
    return "{}\0{:o}\0{}\0{}\0{}\0{}\0{}\n".format(
        path, st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev
    ).encode("utf-8", "surrogateescape")


def fingerprint(paths):
    """
    ``(digest, newest_ctime_ns)`` of ``paths``: the ``lstat`` of each and,
    for a directory, of every file below it and the names of the
    directories (symlinks not followed, ``__pycache__`` left out: Python
    writes there).  ``(None,
    None)`` when a path is missing or a directory cannot be read.
    """
    digest = hashlib.sha256()
    newest = 0

    def add(path, st):
        nonlocal newest
        if stat.S_ISDIR(st.st_mode):
            # its name only: Python creating __pycache__ in it changes its times
            digest.update("{}\0dir\n".format(path).encode("utf-8", "surrogateescape"))
            return
        digest.update(_stat_line(path, st))
        newest = max(newest, st.st_ctime_ns)

    def fail(exc):
        raise exc

    try:
        for path in sorted({str(p) for p in paths}):
            st = os.lstat(path)
            add(path, st)
            if not stat.S_ISDIR(st.st_mode):
                continue
            for root, dirs, files in os.walk(path, onerror=fail):
                dirs[:] = sorted(d for d in dirs if d != "__pycache__")
                for name in dirs + sorted(files):
                    full = os.path.join(root, name)
                    add(full, os.lstat(full))
    except OSError:
        return None, None
    return digest.hexdigest(), newest


# ---------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------


def new_entry(version, paths, digest, heads):
    """A cache entry: the code's version (informative), the fingerprinted
    paths and their digest, its heads, the revision sets found synced."""
    return {"version": version, "paths": sorted({str(p) for p in paths}),
            "fingerprint": digest, "heads": sorted(heads), "synced": []}  # fmt: skip


def valid_entry(entry):
    """Whether ``entry`` still describes the installed code: its paths (the
    migrations, the package's metadata, the program and its interpreter)
    have the fingerprint it was made with."""
    if not isinstance(entry, dict) or not isinstance(entry.get("paths"), list):
        return False
    if not isinstance(entry.get("heads"), list) or not entry["heads"]:
        return False
    digest, _ = fingerprint(list(entry["paths"]))
    return digest is not None and digest == entry.get("fingerprint")


def is_synced(entry, rows):
    """
    Whether a database whose ``alembic_version`` rows are ``rows`` is
    synced with the code of ``entry``: its rows are the heads, or a set the
    slow check found synced with the same code.  No row: not synced.
    """
    rows = sorted(rows or ())
    if not rows:
        return False
    return rows == sorted(entry.get("heads") or ()) or rows in (entry.get("synced") or ())


def learn_synced(entry, rows):
    """Remember ``rows`` as a synced revision set of ``entry``; whether the
    entry changed."""
    rows = sorted(rows or ())
    if not rows or is_synced(entry, rows):
        return False
    entry["synced"] = (list(entry.get("synced") or ()) + [rows])[-MAX_SYNCED:]
    return True


# ---------------------------------------------------------------------------
# The cache file
# ---------------------------------------------------------------------------


def _check_dir(path, create=False):
    """The cache's directory: a real directory (no symlink), owned by this
    process's user, writable by nobody else; created 0700.  Its parent
    (the minion's cachedir) must be owned by this user or root and not
    writable by others."""
    parent = os.path.dirname(path)
    st = os.stat(parent)
    if st.st_uid not in (0, os.geteuid()) or st.st_mode & 0o022:
        raise UnsafeCacheError("{} is writable by others".format(parent))
    if create:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafeCacheError("{} is not a directory".format(path))
    if st.st_uid != os.geteuid() or st.st_mode & 0o077:
        raise UnsafeCacheError("{} is not this user's alone".format(path))


def load(path):
    """
    The cache at ``path``; ``{"format", "entries": {}}`` when it is missing,
    unreadable, of another format, or not safe (its directory unsafe, the
    file a symlink, not a regular file of this user, readable or writable
    by others): then the slow check runs, and the next :func:`store`
    replaces it.
    """
    empty = {"format": FORMAT, "entries": {}}
    try:
        _check_dir(os.path.dirname(path))
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return empty
    except OSError as exc:
        log.warning("schema cache %s ignored: %s", path, exc)
        return empty
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            log.warning("schema cache %s ignored: not a 0600 file of this user", path)
            return empty
        try:
            data = json.loads(handle.read().decode("utf-8"))
        except ValueError:
            return empty
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return empty
    if not isinstance(data.get("entries"), dict):
        return empty
    return data


def store(path, data):
    """Write ``data`` to ``path`` atomically (a 0600 temporary file in the
    same directory, renamed over it); raises OSError (UnsafeCacheError when
    the directory is not safe)."""
    directory = os.path.dirname(path)
    _check_dir(directory, create=True)
    fd, tmp = tempfile.mkstemp(prefix=".schema-cache-", dir=directory)  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------------------
# Where the database is
# ---------------------------------------------------------------------------


def config_files(config_file):
    """``config_file`` as a list of paths: one path, or a list of them (the
    order oslo.config reads them in: ``--config-file`` given once for each)."""
    if not config_file:
        return []
    if isinstance(config_file, (list, tuple)):
        return [str(path) for path in config_file]
    return [str(config_file)]


def _read_file(config_file, options):
    """The ``options`` set in the one file ``config_file``: their values,
    None for a value oslo.config would substitute (unknown here); None when
    the file cannot be read."""
    parser = configparser.RawConfigParser(
        strict=False, interpolation=None, default_section="\0none"
    )
    try:
        with open(config_file, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, configparser.Error) as exc:
        log.debug("cannot read %s: %s", config_file, exc)
        return None
    values = {}
    for section, option in options:
        if not parser.has_option(section, option):
            continue
        value = parser.get(section, option).strip()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        value = value.replace(r"\$", "$$")
        if re.search(r"\$(?!\$)", value.replace("$$", "")):
            values[(section, option)] = None  # oslo.config would substitute a variable
            continue
        values[(section, option)] = value.replace("$$", "$")
    return values


def read_options(config_file, options):
    """
    The values of ``options`` (``(section, option)`` pairs) in the oslo.config
    file ``config_file`` (or files: a list, read in order, a later file's
    value replacing an earlier one's, as oslo.config reads several
    ``--config-file``), as ``{(section, option): value}``: quotes removed,
    ``$$`` read as ``$``.  Anything uncertain is left out: an unreadable
    file (then nothing is known), a value oslo.config would substitute
    (``$name``), in whichever file it is last set.
    """
    values = {}
    for path in config_files(config_file):
        found = _read_file(path, options)
        if found is None:
            return {}
        values.update(found)
    return {key: value for key, value in values.items() if value is not None}


def oslo_overrides(project, progs, homes, environ):
    """
    What oslo.config would read besides the config file given: the
    ``<project>.conf.d``/``<prog>.conf.d`` directories it looks for (in
    ``~/.<project>``, ``~``, ``/etc/<project>``, ``/etc``, for each of
    ``homes``) that hold a ``*.conf`` file (or cannot be listed), and the
    ``OS_<GROUP>__<OPTION>`` variables of ``environ``.  A non-empty list:
    the config file alone does not tell.
    """
    found = [name for name in environ if name.startswith("OS_") and "__" in name]
    bases = []
    for home in homes:
        bases += [os.path.join(home, "." + project), home]
    bases += [os.path.join("/etc", project), "/etc"]
    for base in bases:
        for name in [project] + list(progs):
            path = os.path.join(base, name + ".conf.d")
            try:
                if any(entry.endswith(".conf") for entry in os.listdir(path)):
                    found.append(path)
            except FileNotFoundError:
                continue
            except OSError:
                found.append(path)
    return found


def mysql_location(url):
    """
    ``(host, port, database)`` of a MySQL/MariaDB SQLAlchemy URL reached
    over TCP; None for anything else: another dialect, no host, a query
    option that may change the server (``unix_socket``,
    ``read_default_file``...), a template (nova's ``{username}``).
    """
    if not url or "{" in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port or 3306
    except ValueError:
        return None
    if not _MYSQL_SCHEME.match(parts.scheme or ""):
        return None
    if set(parse_qs(parts.query, keep_blank_values=True)) - _HARMLESS_QUERY:
        return None
    database = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
    if not parts.hostname or not database or "/" in database:
        return None
    return parts.hostname, port, database


def is_local_host(host):
    """Whether every address ``host`` resolves to is one of this host's
    (a socket can be bound to it)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    if not infos:
        return False
    for family, _, _, _, sockaddr in infos:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.bind((sockaddr[0], 0) + tuple(sockaddr[2:]))
        except OSError:
            return False
    return True


# ---------------------------------------------------------------------------
# The cheap check and what the slow one leaves for it
# ---------------------------------------------------------------------------
#
# openstack_db's parts (it passes the cache file under its cachedir, its
# client as ``run``: SQL in, rows out, and its SQL quoting ``sqltext``).


def remember(cache_file, key, answer, code_paths, started):
    """
    Remember the heads of the slow check's ``answer`` (and the revision
    sets it found synced) for the code it read (``key``: :func:`code_key`),
    fingerprinted with the files ``code_paths()`` names besides the
    answer's (the program and its interpreter): unless a fingerprinted
    file changed since shortly before the check started (``started``, ns:
    a package upgraded meanwhile).  A cache that cannot be written is
    logged and left: the next check is slow again.
    """
    code = answer.get("code") or {}
    if not code.get("paths") or not answer.get("heads"):
        return
    paths = list(code["paths"]) + code_paths()
    digest, newest = fingerprint(paths)
    if digest is None or newest >= started - SETTLE_NS:
        return
    cache = load(cache_file)
    entry = cache["entries"].get(key)
    fresh = new_entry(code.get("version"), paths, digest, answer["heads"])
    changed = False
    same = ("paths", "fingerprint", "heads")
    if not (isinstance(entry, dict) and all(entry.get(k) == fresh[k] for k in same)):
        entry = fresh
        changed = True
    for database in (answer.get("databases") or {}).values():
        if database and database.get("synced"):
            changed = learn_synced(entry, database["current"]) or changed
    if not changed:
        return
    cache["entries"][key] = entry
    try:
        store(cache_file, cache)
    except OSError as exc:
        log.warning("openstack_db: cannot write the schema cache %s: %s", cache_file, exc)


def home(user):
    """The home directory of ``user`` (None: this process's), "/" if none."""
    try:
        return pwd.getpwnam(user).pw_dir if user else pwd.getpwuid(os.geteuid()).pw_dir
    except KeyError:
        return "/"


def _group(db):
    """The config file section of ``db``'s URL (a cell0's: its API database's)."""
    return db.get("group") or db.get("cell0_of")


def locations(databases, config_file, run, sqltext):
    """Where each of ``databases`` is (``(host, port, database)``, None: a
    cell0 not mapped), read without the service's Python; None when that
    is not certain."""
    groups = {_group(db) for db in databases.values()}
    values = read_options(config_file, [(group, "connection") for group in groups])
    found = {}
    for name, db in sorted(databases.items()):
        location = mysql_location(values.get((_group(db), "connection")))
        if location is None:
            return None
        if "cell0_of" in db:
            # nova's cell0: its URL is the one of its mapping in the API database
            rows = run(
                "SELECT database_connection FROM {}.cell_mappings WHERE uuid = {};\n".format(
                    sqltext.quote_identifier(location[2]), sqltext.quote_literal(db["uuid"]))
            )  # fmt: skip
            found["api of " + name] = location
            location = mysql_location(rows[0][0]) if rows else False
            if location is None:
                return None
        found[name] = location or None
    return found


#: Starts a script whose rows :func:`same_server` checks: its first row
#: (tagged "") is the port of the server the client reaches.
PORT_SQL = "SELECT '', @@port;\n"


def local_locations(package, prog, databases, config_file, user, run, sqltext):
    """
    :func:`locations` of ``databases`` when the client, as root on this
    host, reaches the databases the service does: nothing but
    ``config_file`` tells oslo.config the URLs (``package``, ``prog``: the
    oslo.config project and program; ``user``: the service's user, None:
    this process's) and every server is on this host.  None otherwise.
    The script run with the answer must start with :data:`PORT_SQL` and
    its rows pass :func:`same_server`.
    """
    homes = {home(user), os.environ.get("HOME") or "/"}
    if oslo_overrides(package, [prog], sorted(homes), os.environ):
        return None
    where = locations(databases, config_file, run, sqltext)
    if where is None:
        return None
    servers = {location for location in where.values() if location}
    if not all(is_local_host(host) for host, _, _ in servers):
        return None
    return where


def same_server(rows, where):
    """Whether the client's server (the port rows of :data:`PORT_SQL`
    among ``rows``) is the one the URLs of ``where`` name: its port."""
    ports = [row[1] for row in rows if row[0] == ""]
    return ports == [str(port) for port in sorted({loc[1] for loc in where.values() if loc})]


def cached_answer(path, package, key, databases, config_file, user, cache_file, run, sqltext):
    """
    ``openstack_db.schema_cached``'s answer for the program at ``path``
    (``key``: its :func:`code_key`), or None: the cache's entry for the
    installed code, when still valid and nothing but ``config_file`` tells
    oslo.config the URLs, and the revisions read by ``run`` from the local
    server the URLs name, all synced with it.
    """
    entry = load(cache_file)["entries"].get(key)
    if not valid_entry(entry):
        return None
    where = local_locations(package, os.path.basename(path), databases, config_file, user,
                            run, sqltext)  # fmt: skip
    if where is None:
        return None
    sql = PORT_SQL + "".join(
        "SELECT {}, version_num FROM {}.alembic_version;\n".format(
            sqltext.quote_literal(name), sqltext.quote_identifier(location[2]))
        for name, location in sorted(where.items())
        if location and name in databases
    )  # fmt: skip
    rows = run(sql)
    if not same_server(rows, where):
        return None  # not the server the service reaches
    answer = {"heads": list(entry["heads"]), "databases": {}, "cached": True}
    for name in databases:
        if where[name] is None:
            answer["databases"][name] = None
            continue
        current = sorted(row[1] for row in rows if row[0] == name)
        if not is_synced(entry, current):
            return None
        answer["databases"][name] = {"current": current, "unknown": [], "synced": True}
    return answer
