"""
The migration keys of nova.migration (issue 11, item 16): each compute's
nova key is accepted by the others only from the management network and
with ``restrict`` (no forwarding of any kind, no pty, no ~/.ssh/rc).
Keys from the mine that are not exactly one SSH public key are dropped, and
Salt never writes through a symbolic link nova placed in its ``~/.ssh``
(issue 11, item 2).

The state is rendered by Salt's own loader for compute1, a masterless
minion whose mine holds its own key.  Unit tier: no daemon.
"""
import pathlib

import pytest
from minion_opts import minion_opts as make_minion_opts
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]
MINE = {"compute1": {"user_key": "ssh-ed25519 AAAAC3one nova@compute1", "host_keys": []}}


def _render(tmp_path_factory, mine):
    """nova.migration of compute1 whose mine holds ``mine``: {state id: {args}}."""
    opts = make_minion_opts(tmp_path_factory.mktemp("root"), "compute1", REPO / "pillar",
                            test=True)
    loaders = Loaders(opts)
    try:
        modules = loaders.modules
        # A masterless minion's mine.get answers from its own mine cache.
        modules.data.update("mine_cache", {"openstack_nova_ssh": mine})
        states = modules.state.show_sls("nova.migration")
        assert isinstance(states, dict), states
        rendered = {}
        for state_id, body in states.items():
            args = {}
            for arg in body.get("file", []):
                if isinstance(arg, dict):
                    args.update(arg)
            rendered[state_id] = args
        return rendered
    finally:
        loaders.reset_state()


@pytest.fixture(scope="module")
def migration(tmp_path_factory):
    return _render(tmp_path_factory, MINE["compute1"])


@pytest.fixture(scope="module")
def authorized_keys(migration):
    return migration["nova-ssh-authorized-keys"]["contents"]


def _lines(contents):
    return [line for line in contents.splitlines() if line and not line.startswith("#")]


def test_every_key_is_restricted_to_the_management_network(authorized_keys):
    lines = [line for line in authorized_keys.splitlines() if line and not line.startswith("#")]
    assert lines == [
        'restrict,from="192.168.56.0/24" ' + MINE[host]["user_key"]
        for host in ("compute1",)
    ]


@pytest.mark.parametrize("state_id", ["nova-ssh-authorized-keys", "nova-ssh-known-hosts"])
def test_files_in_nova_ssh_never_follow_a_link(migration, state_id):
    args = migration[state_id]
    assert args["follow_symlinks"] is False
    # the link target's content, read for the diff, stays out of the return
    assert args["show_changes"] is False


def test_ssh_directory_replaces_a_link(migration):
    args = migration["nova-ssh-dir"]
    assert args["allow_symlink"] is False
    assert args["force"] is True


INJECTED = "ssh-ed25519 AAAAC3evil x\nssh-rsa AAAAB3root root@evil"
HOSTILE_MINE = {
    "user_key": INJECTED,
    "host_keys": [
        "ssh-ed25519 AAAAC3host",
        "ssh-ed25519 AAAAC3host\n* ssh-ed25519 AAAAC3any",
        'command="id" ssh-ed25519 AAAAC3opt',
        "ssh-ed25519 AAAAC3host\n",
        ["nested"],
        "not a key",
    ],
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return _render(tmp_path_factory, HOSTILE_MINE)


def test_injected_lines_from_the_mine_are_dropped(hostile):
    assert _lines(hostile["nova-ssh-authorized-keys"]["contents"]) == []
    assert _lines(hostile["nova-ssh-known-hosts"]["contents"]) == [
        "compute1,192.168.56.21 ssh-ed25519 AAAAC3host"
    ]


@pytest.mark.parametrize("mine", [{"user_key": ["x"], "host_keys": "ssh-ed25519 AAAA"}, "junk"])
def test_mine_values_of_the_wrong_type_are_dropped(tmp_path_factory, mine):
    rendered = _render(tmp_path_factory, mine)
    assert _lines(rendered["nova-ssh-authorized-keys"]["contents"]) == []
    assert _lines(rendered["nova-ssh-known-hosts"]["contents"]) == []
