"""
RabbitMQ's Erlang channels on loopback (issue 11, item 16), with the real
rabbitmq-server: the node is started with the ``rabbitmq-env.conf`` the
rabbitmq formula renders for the controller (Salt's loader, the example
pillar), changed only where a test host must differ (AMQP on 127.0.0.1,
free ports, a temporary database).  The CLI finds the node from that file
alone, and the node's distribution port listens on loopback only.  epmd's
socket unit (the formula's systemd drop-in) is proven on the cluster,
where systemd runs it (verify's services check).
"""
import copy
import pathlib
import time

import pytest
import yaml
from minion_opts import pillar_loaders, render_states, state_args

from rabbitmq_server import _CLI_DIST_PORTS, RabbitMQServer, _epmd_names  # tests/functional is on sys.path

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())


@pytest.fixture(scope="module")
def conf_env(tmp_path_factory):
    """{key: value} of the controller's rabbitmq-env.conf, as rendered."""
    loaders = pillar_loaders(tmp_path_factory, "controller", copy.deepcopy(EXAMPLE),
                             tag="rabbitmq-env")  # fmt: skip
    states = render_states(loaders, ["rabbitmq.config"])
    return dict(state_args(states, "rabbitmq-config", "file")["key_values"])


@pytest.fixture(scope="module")
def node(conf_env):
    name = conf_env["NODENAME"]
    if name.split("@")[0] in (_epmd_names() or ()):
        pytest.skip(f"a node named {name.split('@')[0]!r} already runs on this host")
    with RabbitMQServer(nodename=name, conf_env=conf_env) as server:
        yield server


def test_the_node_is_named_on_loopback(conf_env):
    assert conf_env["NODENAME"].endswith("@localhost")


def test_the_cli_finds_the_node_from_the_env_file_alone(node, conf_env):
    proc = node.ctl_as_configured("eval", "node().")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == conf_env["NODENAME"]


def test_the_distribution_port_listens_on_loopback_only(node):
    addresses = node.listeners(node.dist_port)
    assert addresses, f"nothing listens on the distribution port {node.dist_port}"
    assert set(addresses) == {"127.0.0.1"}, addresses


def test_amqp_still_listens_where_the_env_says(node):
    # The test overrides NODE_IP_ADDRESS with 127.0.0.1: AMQP is not moved
    # by the loopback settings, only the Erlang channels are.
    assert node.listeners(node.port) == ["127.0.0.1"]


def test_the_clis_distribution_port_listens_on_loopback_only(node):
    """rabbitmqctl is an Erlang node too, listening while it runs (every
    Salt run calls it): watched while it waits in the node."""
    cli = node.ctl_as_configured("eval", "timer:sleep(4000).", background=True)
    try:
        addresses, deadline = [], time.monotonic() + 30
        while not addresses and cli.poll() is None and time.monotonic() < deadline:
            addresses = [a for port in _CLI_DIST_PORTS for a in node.listeners(port)]
            time.sleep(0.05)
        cli.wait(timeout=60)
    finally:
        if cli.poll() is None:
            cli.kill()
    assert cli.returncode == 0, cli.stderr.read()
    assert addresses, "rabbitmqctl's distribution listener was never seen"
    assert set(addresses) == {"127.0.0.1"}, addresses
