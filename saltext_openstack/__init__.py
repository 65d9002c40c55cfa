"""
Salt loader entry point for the openstack-kvm-gluster extension.

The execution modules live in ``_modules/``, the state modules in
``_states/`` and the master's ext_pillar (``openstack_secrets``) in
``_pillar/`` at the top of the repository, so that the very same files are
served to minions from a master's file roots (``saltutil.sync_all``) and
loaded directly on a host where the project is pip-installed.
``setup.cfg`` maps these directories into this package; :func:`loader_dirs`
tells Salt's loader where they are, for editable and regular installs alike.
"""
import importlib.util


def _package_dirs(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return []
    return [str(path) for path in spec.submodule_search_locations]


def loader_dirs():
    """
    Return the extra module directories for Salt's loader.

    Registered as the ``salt.loader`` entry point in ``setup.cfg``.
    """
    return {
        "modules": _package_dirs("saltext_openstack._modules"),
        "states": _package_dirs("saltext_openstack._states"),
        "pillar": _package_dirs("saltext_openstack._pillar"),
    }
