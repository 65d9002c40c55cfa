"""
The slow schema check's script (``openstack_db.schema_script``): run by
the service's own interpreter (its alembic, SQLAlchemy and oslo.config),
as the service's user, with ``-I -c``.  What it reports under ``"code"``
(where the heads come from, the package's version) is what the cheap
check remembers them by (``saltext_openstack_schemacache``).

No Salt dunder, no code run here: only the script's text.  Imported like
``saltext_openstack_api`` (see there), not a loader module; its functions
are unit-tested in tests/unit/test_openstack_db_schema.py, the script
against real services in tests/functional/test_schema_synced.py and
tests/functional/test_nova_manage.py.
"""


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_schema_read is imported by openstack_db directly")


# Run by the service's own interpreter, as the service's user: the heads of
# the migrations it ships and the revisions its databases are at, as JSON
# on stdout.  argv[1] is a JSON spec (no secret): the package, its
# alembic.ini, "recursive", the oslo.config project and program, the config
# files, and "databases": {name: {"group": G}} (the URL is [G] connection
# of the config files, read with oslo.config as the service reads it) or
# {name: {"cell0_of": G}} (nova: cell0's URL, from the cell_mappings of the
# API database at [G] connection).  Each database answers "current" (null:
# no alembic_version table, no schema yet), "unknown" (revisions the code
# does not ship) and "synced": every head is a current revision or one of
# its ancestors, dependencies included (glance's contract head depends on
# its expand head: alembic then keeps the contract row only).  A cell0 not
# mapped answers null.  Read-only.  An error prints {"error": ...}, the
# passwords of the URLs read masked, and exits 1; "not_ready" tells whether
# the error means that the service is not set up yet (see _NOT_READY_CODES).
STATUS_SCRIPT = r"""
import importlib.util, json, os, sys
from urllib.parse import unquote
spec = json.loads(sys.argv[1])
secrets = []
# The database errors of a service not set up yet: its database or user
# does not exist yet (1044, 1045: access denied; 1049: unknown database) or
# its server does not answer (2002: socket, 2003: TCP).
NOT_READY_CODES = {1044, 1045, 1049, 2002, 2003}

def not_set(text):
    exc = ValueError(text)
    exc.not_ready = True
    return exc

def not_ready(exc):
    if getattr(exc, "not_ready", False):
        return True
    cfg = sys.modules.get("oslo_config.cfg")
    if cfg is not None and isinstance(exc, cfg.ConfigFilesNotFoundError):
        return True
    # SQLAlchemy's DBAPIError: the driver's own error (code, message)
    args = getattr(getattr(exc, "orig", None), "args", None) or (None,)
    try:
        return args[0] in NOT_READY_CODES
    except TypeError:  # an odd driver's unhashable first argument
        return False

def fail(exc):
    text = "%s: %s" % (type(exc).__name__, exc)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "****")
    print(json.dumps({"error": text, "not_ready": not_ready(exc)}))
    sys.exit(1)

def engine(url):
    import sqlalchemy
    from sqlalchemy.pool import NullPool
    parsed = sqlalchemy.engine.make_url(url)
    if parsed.password:
        secrets.extend({str(parsed.password), unquote(str(parsed.password))})
    return sqlalchemy.create_engine(parsed, poolclass=NullPool)

def current(url):
    import sqlalchemy
    with engine(url).connect() as conn:
        if not sqlalchemy.inspect(conn).has_table("alembic_version"):
            return None
        return sorted(row[0] for row in conn.execute(
            sqlalchemy.text("SELECT version_num FROM alembic_version")))

try:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    package_dir = importlib.util.find_spec(spec["package"]).submodule_search_locations[0]
    config = Config(os.path.join(package_dir, spec["alembic_ini"]))
    if spec.get("recursive"):
        config.set_main_option("recursive_version_locations", "true")
    script = ScriptDirectory.from_config(config)
    heads = sorted(script.get_heads())
    shipped = {revision.revision for revision in script.walk_revisions()}
    # Where the heads come from, for the cache of the cheap check: the
    # script and version directories, alembic.ini, the package's metadata
    # directory (its name holds the version).
    paths = [script.dir, config.config_file_name]
    paths += list(getattr(script, "_version_locations", None) or [script.versions])
    version = None
    try:
        import importlib.metadata as metadata
        try:
            dist = metadata.distribution(spec["package"])
        except metadata.PackageNotFoundError:  # placement: openstack-placement
            names = metadata.packages_distributions().get(spec["package"]) or ()
            dist = metadata.distribution(names[0])
        version = dist.version
        dist_path = getattr(dist, "_path", None)
        if dist_path is not None:
            paths.append(str(dist_path))
    except Exception:  # noqa: BLE001  no metadata: the files' fingerprint alone
        pass
    out = {"heads": heads, "databases": {},
           "code": {"version": version, "paths": sorted({os.path.abspath(p) for p in paths})}}
    databases = spec.get("databases") or {}
    if databases:
        from oslo_config import cfg
        conf = cfg.ConfigOpts()
        groups = {db.get("group") or db.get("cell0_of") for db in databases.values()}
        for group in groups:
            conf.register_opt(cfg.StrOpt("connection", secret=True), group=group)
        args = []
        for path in spec.get("config_files") or ():
            args += ["--config-file", path]
        conf(args, project=spec["project"], prog=spec["prog"])

        def url_of(group):
            url = conf[group].connection
            if not url:
                raise not_set("[%s] connection is not set in %s" % (
                    group, ", ".join(conf.config_file or ()) or "any config file"))
            return url

    for name, db in sorted(databases.items()):
        if "cell0_of" in db:
            import sqlalchemy
            with engine(url_of(db["cell0_of"])).connect() as conn:
                if not sqlalchemy.inspect(conn).has_table("cell_mappings"):
                    out["databases"][name] = None
                    continue
                row = conn.execute(sqlalchemy.text(
                    "SELECT database_connection FROM cell_mappings WHERE uuid = :uuid"),
                    {"uuid": db["uuid"]}).first()
            if row is None:
                out["databases"][name] = None
                continue
            url = row[0]
            if not url:
                raise ValueError("cell0's mapping has no database URL")
            if "{" in url:
                raise ValueError("cell0's database URL is a template: not supported")
        else:
            url = url_of(db["group"])
        revisions = current(url)
        known = [rev for rev in revisions or () if rev in shipped]
        reached = set()
        for rev in known:
            reached.update(r.revision for r in script.iterate_revisions(rev, "base"))
        out["databases"][name] = {
            "current": revisions,
            "unknown": sorted(set(revisions or ()) - set(known)),
            "synced": bool(revisions) and len(known) == len(revisions)
            and set(heads) <= reached,
        }
    print(json.dumps(out))
except SystemExit:
    raise
except BaseException as exc:
    fail(exc)
"""
