"""nova_manage: the public interface follows the project's conventions."""

import inspect

from saltext_openstack._modules import nova_manage
from saltext_openstack._states import nova_manage as nova_manage_state

EXPECTED = {
    "db_sync",
    "api_db_sync",
    "db_version",
    "api_db_version",
    "db_head",
    "db_status",
    "list_cells",
    "check_cell",
    "map_cell0",
    "create_cell",
    "update_cell",
    "discover_hosts",
    "list_hosts",
}


def _public(module):
    return {
        name: func
        for name, func in vars(module).items()
        if inspect.isfunction(func)
        and not name.startswith("_")
        and func.__module__ == module.__name__
    }


def test_public_functions_are_documented_and_take_config_file():
    public = _public(nova_manage)
    assert set(public) == EXPECTED
    for name, func in public.items():
        assert "CLI Example::" in (func.__doc__ or ""), name
        parameter = inspect.signature(func).parameters["config_file"]
        assert parameter.default == "/etc/nova/nova.conf", name


def test_states_take_config_file():
    for name in ("db_synced", "cell_present", "hosts_discovered"):
        func = getattr(nova_manage_state, name)
        assert func.__doc__
        assert inspect.signature(func).parameters["config_file"].default == "/etc/nova/nova.conf"


def test_virtual_without_nova_manage(monkeypatch):
    monkeypatch.setattr(nova_manage.salt.utils.path, "which", lambda name: None)
    loaded, reason = nova_manage.__virtual__()
    assert loaded is False and "nova-manage" in reason
    monkeypatch.setattr(nova_manage.salt.utils.path, "which", lambda name: "/usr/bin/" + name)
    assert nova_manage.__virtual__() == "nova_manage"
