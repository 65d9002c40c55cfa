"""Options of a masterless test minion (shared by conftest and the render tests)."""
import contextlib
import pathlib
import shutil
import sys

import salt.config

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent

#: The per-role secrets filter (_pillar/openstack_secrets.py) every test
#: master and masterless minion configures.
SECRETS_FILTER = [{"openstack_secrets": {}}]

#: Salt's loader as the README configures every master and minion
#: ("Deploying on real hosts", step 1): a function not found is searched
#: for only in the module files whose name contains its module's name.
LOADER = {"lazy_loader_strict_matching": True}


def minion_opts(root, minion_id, pillar_root, **overrides):
    """
    A local (``file_client: local``) minion rooted in ``root``, serving this
    repository's ``salt/`` and ``pillar_root``. Its extension modules live
    under ``root``: never a copy a sync left in /var/cache/salt.
    """
    root = pathlib.Path(root)
    opts = salt.config.minion_config(None)
    opts.update(
        {
            "id": minion_id,
            "root_dir": str(root),
            "cachedir": str(root / "cache"),
            "extension_modules": str(root / "extmods"),
            "pki_dir": str(root / "pki"),
            "sock_dir": str(root / "sock"),
            "file_client": "local",
            "file_roots": {"base": [str(REPO_ROOT / "salt")]},
            "pillar_roots": {"base": [str(pillar_root)]},
            "log_file": str(root / "minion.log"),
            "state_events": False,
            "test": False,
            # As the README says for masterless use: the per-role secrets
            # filter in the minion's own configuration (pillar/top.sls
            # withholds the openstack pillar without it).
            "ext_pillar": SECRETS_FILTER,
            **LOADER,
        }
    )
    opts.update(overrides)
    for key in ("cachedir", "pki_dir", "sock_dir"):
        pathlib.Path(opts[key]).mkdir(parents=True, exist_ok=True)
    return opts


def write_local_minion_config(config_dir, root, minion_id, **options):
    """
    The config file of a masterless minion rooted in ``root``, for
    ``salt-call --local --config-dir CONFIG_DIR`` (a real salt-call in its
    own process); ``options`` adds file_roots, pillar_roots and the like.
    """
    import yaml  # pylint: disable=import-outside-toplevel

    root = pathlib.Path(root)
    config = {
        "id": minion_id,
        "file_client": "local",
        "root_dir": str(root),
        "pki_dir": str(root / "pki"),
        "cachedir": str(root / "cache"),
        "sock_dir": str(root / "sock"),
        "log_file": str(root / "minion.log"),
        "ext_pillar": SECRETS_FILTER,
        **LOADER,
        **options,
    }
    config_dir = pathlib.Path(config_dir)
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "minion").write_text(yaml.safe_dump(config), encoding="utf-8")
    return config_dir


def pillar_loaders(tmp_path_factory, minion_id, pillar, tag=None, grains=None):
    """
    Salt's loaders of minion ``minion_id`` in test mode whose pillar is the
    document ``pillar`` (served as ``openstack.sls`` to every minion), for
    rendering states in unit tests; ``tag`` names the temporary directories.
    ``grains`` override the host's (``{"os_family": "RedHat", ...}``: the
    rendering of another OS family).
    """
    import yaml  # noqa: PLC0415
    from saltfactories.utils.functional import Loaders  # noqa: PLC0415

    tag = tag or minion_id
    pillar_root = tmp_path_factory.mktemp(f"pillar-{tag}")
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - openstack\n")
    (pillar_root / "openstack.sls").write_text(yaml.safe_dump(pillar))
    root = tmp_path_factory.mktemp(f"root-{tag}")
    overrides = {}
    if grains:
        # Salt's grains loader takes the static grains from the minion's
        # config file (conf_file), not from the options it is given.
        conf_file = root / "minion"
        conf_file.write_text(yaml.safe_dump({"grains": dict(grains)}))
        overrides = {"conf_file": str(conf_file), "grains": dict(grains)}
    opts = minion_opts(root, minion_id, pillar_root, test=True, **overrides)
    return Loaders(opts)


def render_states(loaders, sls=(), highstate=False):
    """
    {state id: {module: [args]}}: the minion's highstate (``highstate``)
    and then each SLS of ``sls``, rendered in one dict; the loaders'
    state is reset afterwards.
    """
    import copy  # noqa: PLC0415

    try:
        rendered = {}
        if highstate:
            ret = loaders.modules.state.show_highstate()
            assert isinstance(ret, dict), f"highstate: {ret}"
            rendered = copy.deepcopy(dict(ret))
        for name in sls:
            ret = loaders.modules.state.show_sls(name)
            assert isinstance(ret, dict), f"{name}: {ret}"
            rendered.update(copy.deepcopy(dict(ret)))
        return rendered
    finally:
        loaders.reset_state()


def state_args(states, state_id, module):
    """{argument: value} of state ``state_id``'s ``module`` call, as rendered."""
    args = {}
    for arg in states[state_id][module]:
        if isinstance(arg, dict):
            args.update(arg)
    return args


def loaded_globals(loader, module):
    """The module globals a Salt loader gave `module` (its first function's:
    __salt__, __opts__ and the module's own names)."""
    function = next(loader[name] for name in loader if name.startswith(module + "."))
    return getattr(function, "func", function).__globals__


def synced(opts, modules=(), utils=()):
    """extmods as ``saltutil.sync_all`` leaves it: the ``_modules/`` files
    ``modules`` in extmods/modules, the ``_utils/`` files ``utils`` in
    extmods/utils (names without ``.py``). Returns extmods."""
    repo = pathlib.Path(__file__).resolve().parents[1]
    extmods = pathlib.Path(opts["extension_modules"])
    for kind, names in (("modules", modules), ("utils", utils)):
        (extmods / kind).mkdir(parents=True)
        for name in names:
            shutil.copy(repo / f"_{kind}" / f"{name}.py", extmods / kind)
    return extmods


@contextlib.contextmanager
def forgotten(*module_names):
    """A minion job's process: the modules `module_names` (synced _utils
    modules) not imported yet, and forgotten again afterwards."""
    saved = {name: sys.modules.pop(name, None) for name in module_names}
    try:
        yield
    finally:
        for name, module in saved.items():
            sys.modules.pop(name, None)
            if module is not None:
                sys.modules[name] = module


def cluster_minion_opts(root, minion_id, overlay=None, ceph_key=True, **overrides):
    """
    A test minion served the test cluster's pillar (cluster/pillar over
    pillar/, as the cluster's master serves them).  ``overlay``: the drift
    phase's overlay file (default: none); ``ceph_key``: client.cinder's key
    file as cluster/run makes it (cluster/cephx_key.py, under ``root``),
    or a path, or False for none (the pillar then leaves the key out).
    """
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    if ceph_key is True:
        sys.path.insert(0, str(REPO_ROOT / "cluster"))
        try:
            import cephx_key  # noqa: PLC0415 - cluster/cephx_key.py
        finally:
            sys.path.remove(str(REPO_ROOT / "cluster"))
        ceph_key = root / "ceph-cinder.key"
        ceph_key.write_text(cephx_key.new_key() + "\n")
    return minion_opts(root / "root", minion_id, REPO_ROOT / "pillar",
                       pillar_roots={"base": [str(REPO_ROOT / "cluster/pillar"),
                                              str(REPO_ROOT / "pillar")]},
                       cluster_pillar_overlay=str(overlay or root / "absent.yaml"),
                       cluster_ceph_key=str(ceph_key or root / "absent.key"), **overrides)
