"""
The migration keys of nova.migration (issue 11, item 16): each compute's
nova key is accepted by the others only from the management network and
with ``restrict`` (no forwarding of any kind, no pty, no ~/.ssh/rc).

The state is rendered by Salt's own loader for compute1, a masterless
minion whose mine holds its own key.  Unit tier: no daemon.
"""
import pathlib

import pytest
from minion_opts import minion_opts as make_minion_opts
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]
MINE = {"compute1": {"user_key": "ssh-ed25519 AAAAC3one nova@compute1", "host_keys": []}}


@pytest.fixture(scope="module")
def authorized_keys(tmp_path_factory):
    opts = make_minion_opts(tmp_path_factory.mktemp("root"), "compute1", REPO / "pillar",
                            test=True)
    loaders = Loaders(opts)
    try:
        modules = loaders.modules
        # A masterless minion's mine.get answers from its own mine cache.
        modules.data.update("mine_cache", {"openstack_nova_ssh": MINE["compute1"]})
        states = modules.state.show_sls("nova.migration")
        assert isinstance(states, dict), states
        for arg in states["nova-ssh-authorized-keys"]["file"]:
            if isinstance(arg, dict) and "contents" in arg:
                return arg["contents"]
        raise AssertionError("no contents")
    finally:
        loaders.reset_state()


def test_every_key_is_restricted_to_the_management_network(authorized_keys):
    lines = [line for line in authorized_keys.splitlines() if line and not line.startswith("#")]
    assert lines == [
        'restrict,from="192.168.56.0/24" ' + MINE[host]["user_key"]
        for host in ("compute1",)
    ]
