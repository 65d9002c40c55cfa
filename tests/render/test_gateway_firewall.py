"""
The gateway's forwarding and the host firewall as the formulas render them
(issue 11, items 13 and 16):

* with ``gateway_nat:enabled`` the gateway's own table ``ip openstack_nat``
  holds a forward chain, policy drop, that passes replies and new traffic
  from the management network out of the provider bridge, nothing else;
* with NAT off, the persisted ``net.ipv4.ip_forward = 1`` is removed and
  the live value reset (unless another sysctl file turns forwarding on);
* ``firewall:enabled: false`` stops and disables the unit (whose ExecStop
  deletes the table) and removes the unit and the rules;
* SSH is open to the management network by default, and the test cluster
  adds the networks ``vagrant ssh`` comes from.

The states are rendered by Salt's own loader (test mode, no daemon) with
the example pillar and edits of it; the rendered nftables rules are checked
by the real ``nft --check`` where nft is installed and may talk to the
kernel (root), which loads nothing.
"""
import copy
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml
from minion_opts import cluster_minion_opts, pillar_loaders, render_states
from minion_opts import state_args as _args
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
MANAGEMENT = EXAMPLE["openstack"]["networks"]["management"]


def _pillar(nat=False, firewall=True, datapath=None):
    data = copy.deepcopy(EXAMPLE)
    data["openstack"]["gateway_nat"]["enabled"] = nat
    data["openstack"]["firewall"]["enabled"] = firewall
    if datapath:
        data["openstack"]["networks"]["datapath_type"] = datapath
    return data


def _render(tmp_path_factory, minion_id, pillar, tag):
    loaders = pillar_loaders(tmp_path_factory, minion_id, pillar, tag=tag)
    return loaders, render_states(loaders, highstate=True)


def _function(states, state_id, module):
    return next(a for a in states[state_id][module] if isinstance(a, str))


def _chain(ruleset, name):
    """The lines of chain ``name`` of a ruleset, comments left out."""
    lines = [line.strip() for line in ruleset.split(f"chain {name} {{", 1)[1].splitlines()]
    body = lines[1:lines.index("}")]
    return [line for line in body if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def nat_on(tmp_path_factory):
    return _render(tmp_path_factory, "gateway", _pillar(nat=True), "nat-on")[1]


@pytest.fixture(scope="module")
def nat_on_netdev(tmp_path_factory):
    return _render(tmp_path_factory, "gateway", _pillar(nat=True, datapath="netdev"),
                   "nat-on-netdev")[1]


@pytest.fixture(scope="module")
def example_gateway(tmp_path_factory):
    """The example pillar: NAT off, firewall on (loaders and states)."""
    return _render(tmp_path_factory, "gateway", _pillar(), "example")


@pytest.fixture(scope="module")
def firewall_off(tmp_path_factory):
    return _render(tmp_path_factory, "controller", _pillar(firewall=False), "fw-off")[1]


# -- the forward chain ---------------------------------------------------------


def test_nat_table_forwards_only_management_to_provider(nat_on):
    rules = _args(nat_on, "gateway-nat-rules", "file")["contents"]
    forward = _chain(rules, "forward")
    assert forward == [
        "type filter hook forward priority filter; policy drop;",
        "ct state established,related accept",
        f'iifname {{ "{MANAGEMENT["interface"]}" }} ip saddr {MANAGEMENT["cidr"]} '
        'oifname "br-ex" ct state new accept',
    ]
    # the forward chain lives in the NAT table, which the unit deletes
    assert rules.index("table ip openstack_nat {") < rules.index("chain forward {")
    unit = _args(nat_on, "gateway-nat-unit", "file")["contents"]
    assert "ExecStop=/usr/sbin/nft delete table ip openstack_nat" in unit
    assert _args(nat_on, "gateway-ip-forward", "sysctl")["value"] == 1


def test_forwarding_accepts_management_traffic_arriving_on_br_phy(nat_on_netdev):
    """With the userspace datapath the management address lives on br-phy."""
    rules = _args(nat_on_netdev, "gateway-nat-rules", "file")["contents"]
    assert f'iifname {{ "{MANAGEMENT["interface"]}", "br-phy" }}' in _chain(rules, "forward")[2]


# -- NAT off: forwarding off -----------------------------------------------------


def test_nat_off_removes_the_table_and_forwarding(example_gateway):
    loaders, states = example_gateway
    assert _function(states, "gateway-nat-service", "service") == "dead"
    assert "gateway-nat-rules" in states and _function(states, "gateway-nat-rules", "file") == "absent"
    persisted = _args(states, "gateway-ip-forward-persisted", "file")
    assert _function(states, "gateway-ip-forward-persisted", "file") == "replace"
    # the file sysctl.present writes to when NAT is on
    assert persisted["name"] == loaders.modules.sysctl.default_config()
    assert persisted["repl"] == "" and persisted["backup"] is False
    live = _args(states, "gateway-ip-forward", "cmd")
    assert _function(states, "gateway-ip-forward", "cmd") == "run"
    assert live["name"] == "sysctl -w net.ipv4.ip_forward=0"
    assert live["onchanges"] == [{"file": "gateway-ip-forward-persisted"}]


def test_the_persisted_line_goes_and_nothing_else(example_gateway):
    """file.replace's pattern (MULTILINE, as Salt applies it) on the line
    sysctl.present writes; a second pass changes nothing."""
    pattern = _args(example_gateway[1], "gateway-ip-forward-persisted", "file")["pattern"]
    text = ("#\n# Kernel sysctl configuration\n#\nvm.swappiness = 10\n"
            "net.ipv4.ip_forward = 1\nnet.ipv4.ip_forward_use_pmtu = 1\n"
            "# net.ipv4.ip_forward = 1\nnet.ipv4.tcp_syncookies=1")
    once = re.sub(pattern, "", text, flags=re.MULTILINE)
    assert once == ("#\n# Kernel sysctl configuration\n#\nvm.swappiness = 10\n"
                    "net.ipv4.ip_forward_use_pmtu = 1\n"
                    "# net.ipv4.ip_forward = 1\nnet.ipv4.tcp_syncookies=1")
    assert re.sub(pattern, "", once, flags=re.MULTILINE) == once
    assert re.sub(pattern, "", "net.ipv4.ip_forward=1", flags=re.MULTILINE) == ""


@pytest.mark.parametrize("files,kept", [
    ({}, False),
    ({"etc/sysctl.d/99-salt.conf": "vm.swappiness = 10\n"}, False),
    ({"etc/sysctl.d/30-docker.conf": "net.ipv4.ip_forward = 1\n"}, True),
    ({"etc/sysctl.conf": "  net/ipv4/conf/all/forwarding=1\n"}, True),
    ({"usr/lib/sysctl.d/50-x.conf": "net.ipv4.ip_forward=1\n"}, True),
    ({"etc/sysctl.d/10-x.conf": "# net.ipv4.ip_forward=1\nnet.ipv4.ip_forward = 0\n"}, False),
])
def test_live_forwarding_stays_on_when_another_file_turns_it_on(example_gateway, tmp_path,
                                                                 files, kept):
    """The state's real guard, run with its paths moved under a temporary root."""
    unless = _args(example_gateway[1], "gateway-ip-forward", "cmd")["unless"]
    moved = re.sub(r" /", f" {tmp_path}/", unless)
    assert moved.count(str(tmp_path)) == unless.count(" /") == 5
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    ret = subprocess.run(["sh", "-c", moved], check=False)
    assert (ret.returncode == 0) is kept


# -- the firewall ----------------------------------------------------------------


def test_firewall_disabled_stops_the_unit_then_removes_its_files(firewall_off):
    assert _function(firewall_off, "firewall-service", "service") == "dead"
    assert _args(firewall_off, "firewall-service", "service")["enable"] is False
    for state_id in ("firewall-unit", "firewall-rules"):
        assert _function(firewall_off, state_id, "file") == "absent"
        assert _args(firewall_off, state_id, "file")["require"] == [{"service": "firewall-service"}]
    assert _args(firewall_off, "firewall-unit", "file")["name"] == \
        "/etc/systemd/system/openstack-firewall.service"
    assert _args(firewall_off, "firewall-rules", "file")["name"] == "/etc/nftables.d/openstack.nft"
    assert "firewall-packages" not in firewall_off


def test_the_firewall_units_stop_deletes_its_table():
    unit = (REPO / "salt/firewall/files/openstack-firewall.service.jinja").read_text()
    assert "ExecStop=/usr/sbin/nft delete table inet openstack_filter" in unit


def _firewall_rules(loaders, states):
    args = _args(states, "firewall-rules", "file")
    assert args["source"] == "salt://firewall/files/openstack.nft.jinja"
    template = (REPO / "salt/firewall/files/openstack.nft.jinja").read_text()
    return loaders.modules.file.apply_template_on_contents(
        template, template="jinja", context=args["context"], defaults={}, saltenv="base")


def test_ssh_is_open_to_the_management_network_by_default(example_gateway):
    loaders, states = example_gateway
    assert _args(states, "firewall-rules", "file")["context"]["ssh_from"] == [MANAGEMENT["cidr"]]
    rules = _firewall_rules(loaders, states)
    assert f"ip saddr {{ {MANAGEMENT['cidr']} }} tcp dport 22 accept" in _chain(rules, "input")
    assert "0.0.0.0/0 } tcp dport 22" not in rules


def test_the_test_cluster_keeps_vagrant_ssh(tmp_path):
    """cluster/pillar over pillar/, as the cluster's master serves them."""
    opts = cluster_minion_opts(tmp_path, "gateway", test=True)
    loaders = Loaders(opts)
    try:
        model = loaders.modules.openstack_pillar.topology()
    finally:
        loaders.reset_state()
    ssh_from = model["firewall"]["ssh_from"]
    assert MANAGEMENT["cidr"] in ssh_from  # Salt's own traffic aside, the cloud's hosts
    assert "10.0.3.0/24" in ssh_from  # lxc-net's lxcbr0: vagrant ssh on the lxc provider


def test_the_test_clusters_controller_lets_ceph_clients_in(tmp_path):
    """Issue 15: the controller's firewall opens the test Ceph's ports
    (cluster/ceph.sh: monitor 3300 and 6789, OSD and manager 6800-7568)
    to the management network, beside every port it opens by default."""
    loaders = Loaders(cluster_minion_opts(tmp_path, "controller", test=True))
    try:
        states = render_states(loaders, highstate=True)
        rules = _firewall_rules(loaders, states)
    finally:
        loaders.reset_state()
    accept = [line for line in _chain(rules, "input")
              if f"ip saddr {MANAGEMENT['cidr']} tcp dport" in line]
    assert len(accept) == 1
    for port in ("3306", "6642", "3300", "6789", "6800-7568"):
        assert re.search(rf"[{{,] {port}[,}} ]", accept[0]), (port, accept[0])

# -- the real nft --------------------------------------------------------------------


def _nft_check(path):
    return subprocess.run(["nft", "--check", "-f", str(path)], capture_output=True, text=True,
                          check=False)


@pytest.fixture(scope="module")
def nft(tmp_path_factory):
    if not shutil.which("nft"):
        pytest.skip("nft is not installed (Debian package nftables)")
    probe = tmp_path_factory.mktemp("nft") / "probe.nft"
    probe.write_text("table inet saltext_probe {\n  chain input {\n"
                     "    type filter hook input priority filter; policy accept;\n  }\n}\n")
    ret = _nft_check(probe)
    if ret.returncode != 0:
        pytest.skip(f"nft --check cannot run here: {ret.stderr.strip()}")
    return _nft_check


def test_nft_accepts_the_nat_and_forward_table(nft, nat_on, nat_on_netdev, tmp_path):
    for name, states in (("system", nat_on), ("netdev", nat_on_netdev)):
        path = tmp_path / f"nat-{name}.nft"
        path.write_text(_args(states, "gateway-nat-rules", "file")["contents"])
        ret = nft(path)
        assert ret.returncode == 0, ret.stderr


def test_nft_accepts_the_firewall_table(nft, example_gateway, tmp_path):
    path = tmp_path / "openstack.nft"
    path.write_text(_firewall_rules(*example_gateway))
    ret = nft(path)
    assert ret.returncode == 0, ret.stderr
    broken = tmp_path / "broken.nft"  # the check is a real one
    broken.write_text(path.read_text().replace("policy drop;", "policy dorp;"))
    assert nft(broken).returncode != 0
