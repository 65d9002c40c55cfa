"""
Unit tests of the pillar validator and topology model (openstack_pillar).

The example pillar (pillar/openstack.sls) is the known-good base; each bad
case mutates a copy of it and checks that validation is refused with a
message naming the exact pillar key, and never showing a password.
"""
import copy
import json
import pathlib
import posixpath
import subprocess
import sys

import contextlib

import pytest
import salt.config
import salt.loader
import yaml
from salt.exceptions import CommandExecutionError

from minion_opts import forgotten, loaded_globals, synced, write_local_minion_config
from minion_opts import minion_opts as make_minion_opts
from saltext_openstack._modules import openstack_pillar
from saltext_openstack._utils import saltext_openstack_model, saltext_openstack_model_validator

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE_PILLAR = REPO_ROOT / "pillar" / "openstack.sls"


# -- helpers ----------------------------------------------------------------


def _walk(data, key):
    *parents, last = key.split(":")
    for part in parents:
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data, int(last) if isinstance(data, list) else last


def set_key(data, key, value):
    parent, last = _walk(data, key)
    parent[last] = value


def del_key(data, key):
    parent, last = _walk(data, key)
    del parent[last]


def problems_of(data):
    """Validate and return the problem lines of the refusal message."""
    with pytest.raises(CommandExecutionError) as excinfo:
        openstack_pillar.validate(data)
    message = str(excinfo.value)
    assert message.startswith("Invalid pillar:\n"), message
    assert_no_password_value(data, message)
    return [line.strip() for line in message.splitlines()[1:]]


def _leaves(value):
    """Every non-empty scalar (as text) inside ``value``, booleans excepted."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value not in (None, "", True, False):
        yield str(value)


def assert_no_password_value(data, message):
    if isinstance(data, dict):
        for secret in _leaves(data.get("passwords")):
            assert secret not in message


def assert_problem(data, key, fragment=""):
    """The pillar is refused with a problem line naming ``key``."""
    lines = problems_of(data)
    named = [line for line in lines if line.startswith(key + ": ")]
    assert named, "no problem names {}:\n{}".format(key, "\n".join(lines))
    assert any(fragment in line for line in named), "\n".join(named)
    return named


def computes_pillar(pillar, count):
    """The example pillar with ``count`` compute hosts instead of two."""
    hosts = {k: v for k, v in pillar["hosts"].items() if "compute" not in v["roles"]}
    for number in range(1, count + 1):
        hosts["compute{}".format(number)] = {
            "roles": ["compute"],
            "address": "192.168.56.{}".format(100 + number),
        }
    pillar["hosts"] = hosts
    return pillar


# -- the example pillar -----------------------------------------------------


def test_example_pillar_model(pillar):
    model = openstack_pillar.validate(pillar)
    assert model["release"] == "2025.1"
    assert model["region"] == "RegionOne"
    assert model["domain"] == "cloud.test"
    assert model["controller"] == {
        "id": "controller",
        "address": "192.168.56.10",
        "fqdn": "controller.cloud.test",
    }
    assert model["gateways"] == ["gateway"]
    # the console proxy, on the first gateway, HTTPS
    assert model["console"] == {"port": 6080, "url": "https://gateway:6080/vnc_auto.html"}
    # every API: plain on the management network, TLS on its public port
    assert model["endpoints"]["keystone"] == {
        "type": "identity", "port": 5000, "public_port": 13000,
        "description": "OpenStack Identity", "user": None,
        "internal_root": "http://controller:5000", "public_root": "https://controller:13000",
        "internal": "http://controller:5000/v3", "public": "https://controller:13000/v3",
    }
    assert model["endpoints"]["cinderv3"]["public"] == "https://controller:13776/v3/%(project_id)s"
    assert {name: (ep["type"], ep["port"], ep["public_port"])
            for name, ep in model["endpoints"].items()} == {
        "keystone": ("identity", 5000, 13000), "glance": ("image", 9292, 13292),
        "placement": ("placement", 8778, 13778), "nova": ("compute", 8774, 13774),
        "neutron": ("network", 9696, 13696), "cinderv3": ("volumev3", 8776, 13776)}
    # the service users the keystone formula creates, one per API but Keystone
    assert {name: ep["user"] for name, ep in model["endpoints"].items()} == {
        "keystone": None, "glance": "glance", "placement": "placement", "nova": "nova",
        "neutron": "neutron", "cinderv3": "cinder"}
    assert model["computes"] == ["compute1", "compute2"]
    assert model["roles"] == {
        "controller": ["controller"],
        "gateway": ["gateway"],
        "compute": ["compute1", "compute2"],
    }
    assert list(model["hosts"]) == ["compute1", "compute2", "controller", "gateway"]
    assert model["hosts"]["gateway"] == {
        "address": "192.168.56.11",
        "roles": ["gateway"],
        "fqdn": "gateway.cloud.test",
        "shortname": "gateway",
        "provider_address": "203.0.113.11",
        "chassis": "gateway",
        "management_device": "eth1",
        "provider_device": "br-ex",
    }
    assert model["hosts"]["compute1"]["provider_address"] is None
    assert model["hosts"]["compute1"]["chassis"] == "compute1"
    assert model["hosts"]["compute1"]["provider_device"] is None
    assert model["hosts"]["controller"]["chassis"] is None
    assert model["ovn"] == {
        "nb_connection": "ssl:192.168.56.10:6641",
        "sb_connection": "ssl:192.168.56.10:6642",
        "nb_listen": "pssl:6641:192.168.56.10",
        "sb_listen": "pssl:6642:192.168.56.10",
        "encap_type": "geneve",
        "geneve_max_header_size": 38,
        "bridges": {"integration": "br-int", "tunnel": "br-phy", "provider": "br-ex"},
    }
    assert model["management"] == {
        "cidr": "192.168.56.0/24",
        "prefixlen": 24,
        "netmask": "255.255.255.0",
        "interface": "eth1",
    }
    assert model["networks"]["management"] == model["management"]
    assert model["networks"]["provider"] == {
        "cidr": "203.0.113.0/24",
        "prefixlen": 24,
        "name": "provider",
        "interface": "eth2",
        "physical_network": "provider",
        "gateway": "203.0.113.1",
        "allocation_start": "203.0.113.100",
        "allocation_end": "203.0.113.199",
        "dns_nameservers": [],
        "mtu": None,
    }
    assert model["networks"]["selfservice"] == {
        "cidr": "172.16.1.0/24",
        "prefixlen": 24,
        "name": "selfservice",
        "gateway": "172.16.1.1",
        "dns_nameservers": [],
        "mtu": None,
    }
    assert model["networks"]["geneve_vni_ranges"] == "1:1000"
    assert model["networks"]["datapath_type"] == "system"
    assert model["gluster"] == {
        "volume": "nova-instances",
        "brick_dir": "/srv/gluster/nova-instances",
        "mount_point": "/var/lib/nova/instances",
        "replica": 2,
        "arbiter": False,
        "force": True,
        "brick_hosts": ["compute1", "compute2"],
        "bricks": [
            "compute1:/srv/gluster/nova-instances",
            "compute2:/srv/gluster/nova-instances",
        ],
        "mount_hosts": ["compute1", "compute2"],
        "options": {
            "auth.allow": "127.0.0.1,192.168.56.21,192.168.56.22",
            "cluster.quorum-type": "auto",
            "cluster.server-quorum-type": "none",
            "cluster.eager-lock": "enable",
            "network.ping-timeout": "10",
            "performance.io-cache": "off",
            "performance.quick-read": "off",
            "performance.read-ahead": "off",
        },
    }
    assert model["nova"] == {
        "virt_type": "kvm",
        "uid": 64060,
        "gid": 64060,
        "live_migration_scheme": "ssh",
        "live_migration_permit_post_copy": True,
        "cpu_allocation_ratio": 4.0,
        "ram_allocation_ratio": 1.0,
    }
    assert model["cinder"] == {"volume_group": "cinder-volumes", "loop_file_size_gb": 10,
                               "lvm_type": "auto", "backends": [
                                   {"name": "lvm", "type": "lvm", "volume_type": "lvm",
                                    "volume_group": "cinder-volumes", "lvm_type": "auto",
                                    "backend_name": "LVM"}],
                               "default_volume_type": "lvm", "rbd": False}
    assert model["ceph"] is None
    assert model["glance"] == {"images": []}
    assert model["quotas"] == {}
    null = {"issuer": "cloud", "cert": None, "ca": None, "not_after": None}
    assert model["tls"] == {"days": 365, "public": {"controller": null, "gateway": null},
                            "public_cas": []}
    assert model["workers"] == {"api": 2, "conductor": 1, "scheduler": 1, "metadata": 1,
                                "rpc": 1, "glance": 2}
    assert model["firewall"] == {
        "enabled": True,
        "ssh_from": ["192.168.56.0/24"],
        "public_from": ["0.0.0.0/0"],
    }
    assert model["gateway_nat"] == {"enabled": False}
    assert model["admin"] == {"email": "admin@cloud.test"}
    assert model["demo"] == {"project": "demo", "user": "demo"}
    assert model["dashboard"] == {"allowed_hosts": [
        "gateway", "gateway.cloud.test", "192.168.56.11", "203.0.113.11"]}


def test_model_is_plain_deterministic_and_free_of_passwords(pillar):
    model = openstack_pillar.validate(pillar)
    dumped = json.dumps(model)
    assert "passwords" not in model
    for value in pillar["passwords"].values():
        assert value not in dumped
    reordered = copy.deepcopy(pillar)
    reordered["hosts"] = dict(reversed(list(pillar["hosts"].items())))
    assert json.dumps(openstack_pillar.validate(reordered)) == dumped
    # The input is not modified.
    assert pillar == yaml.safe_load(EXAMPLE_PILLAR.read_text())["openstack"]


# -- the dashboard's names (Horizon's ALLOWED_HOSTS) -------------------------


def test_dashboard_hosts_every_gateway_name_and_address(pillar):
    """The URL the test cluster prints, http://<gateway's management
    address>/horizon, and every other way to the gateways is allowed."""
    pillar["domain"] = ""
    pillar["hosts"]["gw2.example.org"] = {"roles": ["gateway", "compute"],
                                          "address": "192.168.56.12"}
    pillar["dashboard"] = {"hosts": ["cloud.example.org", "198.51.100.7", "GATEWAY"]}
    assert openstack_pillar.validate(pillar)["dashboard"]["allowed_hosts"] == [
        "gateway", "192.168.56.11", "203.0.113.11",
        "gw2.example.org", "gw2", "192.168.56.12",
        "cloud.example.org", "198.51.100.7"]


def test_tls_names_are_the_hosts_own_and_the_dashboards(pillar):
    """A host's certificate carries its own names and addresses; a
    gateway's also the dashboard's extra names, never another gateway's."""
    pillar["domain"] = ""
    pillar["hosts"]["gw2.example.org"] = {"roles": ["gateway", "compute"],
                                          "address": "192.168.56.12"}
    pillar["dashboard"] = {"hosts": ["cloud.example.org", "198.51.100.7"]}
    pillar["tls"] = {"days": 90}
    assert openstack_pillar.tls_request(pillar, "gateway") == {
        "names": ["gateway", "cloud.example.org"],
        "addresses": ["192.168.56.11", "203.0.113.11", "198.51.100.7"], "days": 90}
    assert openstack_pillar.tls_request(pillar, "gw2.example.org") == {
        "names": ["gw2.example.org", "gw2", "cloud.example.org"],
        "addresses": ["192.168.56.12", "198.51.100.7"], "days": 90}
    assert openstack_pillar.tls_request(pillar, "compute1") == {
        "names": ["compute1"], "addresses": ["192.168.56.21"], "days": 90}
    assert openstack_pillar.tls_request(pillar, "stranger") is None
    pillar["hosts"]["compute1"]["address"] = "10.0.0.300"
    assert openstack_pillar.tls_request(pillar, "controller") is None


def test_dashboard_hosts_are_not_on_other_hosts(pillar):
    allowed = openstack_pillar.validate(pillar)["dashboard"]["allowed_hosts"]
    assert not [name for name in allowed if "compute" in name or "controller" in name]
    assert "192.168.56.10" not in allowed


@pytest.mark.parametrize("value, message", [
    ("*", "'*' is not a host name (RFC 1123) or an IPv4 address"),
    ("http://cloud.test", "'http://cloud.test' is not a host name"),
    ("10.0.0.300", "'10.0.0.300' is not a host name"),
    (8080, "must be a host name or an IPv4 address, got a number"),
])
def test_dashboard_hosts_refused(pillar, value, message):
    pillar["dashboard"] = {"hosts": ["ok.example.org", value]}
    problems = problems_of(pillar)
    assert len(problems) == 1, problems
    assert problems[0].startswith("openstack:dashboard:hosts:1: " + message), problems


def test_dashboard_hosts_must_be_a_list(pillar):
    pillar["dashboard"] = {"hosts": "cloud.example.org"}
    assert problems_of(pillar) == ["openstack:dashboard:hosts: must be a list, got a string"]


def test_topology_is_validate(pillar):
    assert openstack_pillar.topology(pillar) == openstack_pillar.validate(pillar)


def test_topology_refuses_bad_pillar(pillar):
    pillar["hosts"]["compute1"]["address"] = "10.0.0.300"
    with pytest.raises(CommandExecutionError, match="^Invalid pillar:"):
        openstack_pillar.topology(pillar)


# -- the host map by role (the orchestrations' targets) ------------------------


def test_host_map_is_the_models_roles(pillar):
    model = openstack_pillar.validate(computes_pillar(pillar, 11))
    assert openstack_pillar.host_map(pillar) == {
        "everyone": list(model["hosts"]),
        "controller": [model["controller"]["id"]],
        "gateways": model["gateways"],
        "computes": model["computes"],
        "brick_hosts": model["gluster"]["brick_hosts"],
    }
    # Natural order, the model's: compute2 before compute10.
    assert openstack_pillar.host_map(pillar)["computes"][1:3] == ["compute2", "compute3"]


def test_host_map_brick_hosts_are_a_multiple_of_the_replica(pillar):
    computes_pillar(pillar, 3)
    pillar["gluster"]["replica"] = 2
    host_map = openstack_pillar.host_map(pillar)
    assert host_map["computes"] == ["compute1", "compute2", "compute3"]
    assert host_map["brick_hosts"] == ["compute1", "compute2"]
    pillar["gluster"]["brick_hosts"] = ["compute3", "compute1"]
    assert openstack_pillar.host_map(pillar)["brick_hosts"] == ["compute3", "compute1"]


def test_host_map_needs_no_secret(pillar):
    """Roles are not secrets: the host map renders without a password (the
    validator, which the orchestrations also run, refuses that)."""
    expected = openstack_pillar.host_map(pillar)
    del pillar["passwords"]
    pillar["nova"] = {"virt_type": "xen"}  # not what roles come from: not checked
    assert openstack_pillar.host_map(pillar) == expected
    problems = problems_of(pillar)
    assert problems[0].startswith("openstack:passwords: missing; required: rabbitmq"), problems
    assert problems[1].startswith("openstack:nova:virt_type: 'xen'"), problems


@pytest.mark.parametrize("key, value, problem", [
    ("hosts:compute2:roles", ["compute", "storage"], "openstack:hosts:compute2:roles: unknown role"),
    ("hosts:compute2:address", "10.0.0.300", "openstack:hosts:compute2:address: '10.0.0.300'"),
    ("gluster:replica", 3, "openstack:gluster:replica: 3 is larger than the number of bricks"),
    ("networks:management:cidr", "10.0.0.1/8", "openstack:networks:management:cidr: "),
])
def test_host_map_refuses_a_bad_host_map(pillar, key, value, problem):
    set_key(pillar, key, value)
    with pytest.raises(CommandExecutionError, match="^Invalid pillar:\n") as excinfo:
        openstack_pillar.host_map(pillar)
    assert problem in str(excinfo.value)
    assert problem in "\n".join(problems_of(pillar))


def test_hosts_entries(pillar):
    assert openstack_pillar.hosts_entries(pillar) == [
        ["192.168.56.21", ["compute1.cloud.test", "compute1"]],
        ["192.168.56.22", ["compute2.cloud.test", "compute2"]],
        ["192.168.56.10", ["controller.cloud.test", "controller"]],
        ["192.168.56.11", ["gateway.cloud.test", "gateway"]],
    ]


def test_hosts_entries_without_domain(pillar):
    del pillar["domain"]
    pillar["hosts"]["compute1.example.org"] = pillar["hosts"].pop("compute1")
    entries = dict(
        (address, names) for address, names in openstack_pillar.hosts_entries(pillar)
    )
    assert entries["192.168.56.10"] == ["controller"]
    assert entries["192.168.56.21"] == ["compute1.example.org", "compute1"]


def test_validate_reads_the_minion_pillar(pillar, monkeypatch):
    monkeypatch.setattr(
        openstack_pillar, "__pillar__", {"openstack": pillar}, raising=False
    )
    monkeypatch.setattr(openstack_pillar, "__opts__", {"id": "controller"}, raising=False)
    assert openstack_pillar.validate()["computes"] == ["compute1", "compute2"]


# -- defaults ---------------------------------------------------------------


def minimal(pillar):
    """Only the required keys of the example pillar."""
    provider = pillar["networks"]["provider"]
    return {
        "hosts": {
            host_id: {"roles": host["roles"], "address": host["address"]}
            for host_id, host in pillar["hosts"].items()
        },
        "networks": {
            "management": pillar["networks"]["management"],
            "provider": {key: provider[key] for key in (
                "cidr", "interface", "gateway", "allocation_start", "allocation_end")},
        },
        "passwords": pillar["passwords"],
    }


def test_network_names(pillar):
    """The networks' Neutron names: today's by default, else the pillar's."""
    model = openstack_pillar.validate(minimal(pillar))
    assert (model["networks"]["provider"]["name"], model["networks"]["selfservice"]["name"]) == (
        "provider", "selfservice")
    pillar["networks"]["provider"]["name"] = "ext-net"
    pillar["networks"]["selfservice"]["name"] = "tenant net"
    networks = openstack_pillar.validate(pillar)["networks"]
    assert (networks["provider"]["name"], networks["selfservice"]["name"]) == (
        "ext-net", "tenant net")


def test_defaults(pillar):
    model = openstack_pillar.validate(minimal(pillar))
    assert model["release"] == "2025.1"
    assert model["region"] == "RegionOne"
    assert model["domain"] == ""
    assert model["hosts"]["controller"]["fqdn"] == "controller"
    assert model["networks"]["provider"]["physical_network"] == "provider"
    assert model["networks"]["selfservice"] == {
        "cidr": "172.16.1.0/24",
        "prefixlen": 24,
        "name": "selfservice",
        "gateway": "172.16.1.1",
        "dns_nameservers": [],
        "mtu": None,
    }
    assert model["networks"]["provider"]["dns_nameservers"] == []
    assert model["networks"]["provider"]["mtu"] is None
    # the guide's two rules, completed as openstack_cloud applies them
    any_ipv4 = {"direction": "ingress", "ethertype": "IPv4", "remote_ip_prefix": None,
                "remote_group": None}  # fmt: skip
    assert model["security_groups"] == {
        "default": {
            "description": None,
            "remove_unlisted": False,
            "rules": [
                dict(any_ipv4, protocol="icmp", port_range_min=None, port_range_max=None),
                dict(any_ipv4, protocol="tcp", port_range_min=22, port_range_max=22),
            ],
        }
    }
    assert model["networks"]["geneve_vni_ranges"] == "1:1000"
    assert model["networks"]["datapath_type"] == "system"
    assert model["gateway_nat"] == {"enabled": False}
    assert model["firewall"] == {
        "enabled": True,
        "ssh_from": ["192.168.56.0/24"],
        "public_from": ["0.0.0.0/0"],
    }
    assert model["admin"] == {"email": "admin@localhost"}
    assert model["demo"] == {"project": "demo", "user": "demo"}
    example = openstack_pillar.validate(pillar)
    for section in ("gluster", "nova", "cinder", "glance", "workers"):
        assert model[section] == example[section], section


def test_ssh_is_open_to_the_management_network_by_default(pillar):
    """Issue 11, item 16: not to the world (0.0.0.0/0) unless pillar says so."""
    pillar["networks"]["management"]["cidr"] = "10.20.0.0/255.255.0.0"
    for host in pillar["hosts"].values():
        host["address"] = host["address"].replace("192.168.56.", "10.20.0.")
    assert "ssh_from" not in pillar["firewall"]  # the example pillar's default
    model = openstack_pillar.validate(pillar)
    assert model["firewall"]["ssh_from"] == ["10.20.0.0/16"]
    assert model["firewall"]["public_from"] == ["0.0.0.0/0"]
    pillar["firewall"]["ssh_from"] = ["10.20.0.0/16", "198.51.100.0/24"]
    assert openstack_pillar.validate(pillar)["firewall"]["ssh_from"] == [
        "10.20.0.0/16", "198.51.100.0/24"]


def test_a_refused_management_network_gives_no_second_ssh_from_problem(pillar):
    pillar["firewall"].pop("ssh_from", None)
    pillar["networks"]["management"]["cidr"] = "192.168.56.0/40"
    lines = problems_of(pillar)
    assert any(line.startswith("openstack:networks:management:cidr:") for line in lines)
    assert not any("ssh_from" in line for line in lines), lines


def test_netdev_datapath_moves_chassis_management_onto_the_tunnel_bridge(pillar):
    pillar["networks"]["datapath_type"] = "netdev"
    model = openstack_pillar.validate(pillar)
    assert model["networks"]["datapath_type"] == "netdev"
    devices = {host_id: host["management_device"] for host_id, host in model["hosts"].items()}
    assert devices == {"compute1": "br-phy", "compute2": "br-phy", "controller": "eth1",
                       "gateway": "br-phy"}


def test_ovn_connections_of_an_ipv6_controller():
    model = {"controller": {"address": "fd00::10"}}
    ovn = saltext_openstack_model_validator.Validator.ovn(model, ["controller"])
    assert ovn["sb_connection"] == "ssl:[fd00::10]:6642"
    assert ovn["nb_listen"] == "pssl:6641:[fd00::10]"


def test_selfservice_gateway_defaults_to_first_address(pillar):
    pillar["networks"]["selfservice"] = {"cidr": "10.20.0.0/16"}
    selfservice = openstack_pillar.validate(pillar)["networks"]["selfservice"]
    assert selfservice["gateway"] == "10.20.0.1"
    assert selfservice["dns_nameservers"] == []


def test_normalization(pillar):
    pillar["networks"]["selfservice"]["dns_nameservers"] = ["9.9.9.9", "2620:fe::fe"]
    pillar["firewall"]["ssh_from"] = ["198.51.100.7", "10.0.0.0/255.0.0.0"]
    pillar["gluster"]["options"] = {"network.ping-timeout": 10, "performance.io-cache": False}
    pillar["nova"]["cpu_allocation_ratio"] = 16
    pillar["hosts"]["compute1"]["roles"] = ["compute", "gateway", "compute"]
    model = openstack_pillar.validate(pillar)
    assert model["networks"]["selfservice"]["dns_nameservers"] == ["9.9.9.9", "2620:fe::fe"]
    assert model["firewall"]["ssh_from"] == ["198.51.100.7/32", "10.0.0.0/8"]
    options = dict(model["gluster"]["options"])
    assert options.pop("auth.allow")
    assert options == {
        "cluster.quorum-type": "auto",
        "cluster.server-quorum-type": "none",
        "network.ping-timeout": "10",
        "performance.io-cache": "off",
    }
    assert model["nova"]["cpu_allocation_ratio"] == 16.0
    assert model["hosts"]["compute1"]["roles"] == ["gateway", "compute"]
    assert model["gateways"] == ["compute1", "gateway"]


def test_one_host_may_hold_every_role(pillar):
    pillar["hosts"] = {
        "aio": {"roles": ["compute", "gateway", "controller"], "address": "192.168.56.5"}
    }
    model = openstack_pillar.validate(pillar)
    assert model["controller"]["id"] == "aio"
    assert model["gateways"] == model["computes"] == ["aio"]
    assert model["gluster"]["replica"] == 1
    assert model["gluster"]["bricks"] == ["aio:/srv/gluster/nova-instances"]


@pytest.mark.parametrize("net", ["management", "provider", "selfservice"])
def test_ipv6_networks_are_refused(pillar, net):
    pillar["networks"][net]["cidr"] = "fd00:56::/64"
    lines = problems_of(pillar)
    assert "openstack:networks:{}:cidr: 'fd00:56::/64' is IPv6: IPv6 is not supported".format(
        net) in " ".join(lines), lines


# -- gluster topology -------------------------------------------------------


@pytest.mark.parametrize(
    "count, replica, brick_hosts",
    [
        (1, 1, ["compute1"]),
        (2, 2, ["compute1", "compute2"]),
        (3, 3, ["compute1", "compute2", "compute3"]),
        (4, 3, ["compute1", "compute2", "compute3"]),
        (6, 3, ["compute1", "compute2", "compute3", "compute4", "compute5", "compute6"]),
    ],
)
def test_replica_and_bricks_default(pillar, count, replica, brick_hosts):
    gluster = openstack_pillar.validate(computes_pillar(pillar, count))["gluster"]
    assert gluster["replica"] == replica
    assert gluster["brick_hosts"] == brick_hosts
    assert gluster["bricks"] == ["{}:/srv/gluster/nova-instances".format(h) for h in brick_hosts]
    assert gluster["mount_hosts"] == ["compute{}".format(n) for n in range(1, count + 1)]


def test_natural_sort(pillar):
    computes_pillar(pillar, 11)
    model = openstack_pillar.validate(pillar)
    expected = ["compute{}".format(n) for n in range(1, 12)]
    assert model["computes"] == expected
    assert model["gluster"]["mount_hosts"] == expected
    assert model["gluster"]["brick_hosts"] == expected[:9]
    assert list(model["hosts"])[:3] == ["compute1", "compute2", "compute3"]
    assert list(model["hosts"])[9:11] == ["compute10", "compute11"]


def test_explicit_replica_and_brick_hosts(pillar):
    computes_pillar(pillar, 5)
    pillar["gluster"]["brick_hosts"] = ["compute5", "compute1"]
    gluster = openstack_pillar.validate(pillar)["gluster"]
    assert gluster["replica"] == 2
    assert gluster["brick_hosts"] == ["compute5", "compute1"]
    assert gluster["mount_hosts"] == ["compute1", "compute2", "compute3", "compute4", "compute5"]
    pillar["gluster"]["replica"] = 1
    assert openstack_pillar.validate(pillar)["gluster"]["replica"] == 1


@pytest.mark.parametrize(
    "count, quorum, server_quorum",
    [(1, None, "none"), (2, "auto", "none"), (3, "auto", "server"), (4, "auto", "server")],
)
def test_quorum_follows_the_bricks(pillar, count, quorum, server_quorum):
    # Client quorum on every replicated volume; server quorum from three
    # brick hosts (with two, losing either would stop both).
    options = openstack_pillar.validate(computes_pillar(pillar, count))["gluster"]["options"]
    assert options.get("cluster.quorum-type") == quorum
    assert options["cluster.server-quorum-type"] == server_quorum


def test_quorum_options_can_be_overridden(pillar):
    pillar["gluster"]["options"] = {"cluster.quorum-type": "fixed", "cluster.quorum-count": 1}
    options = openstack_pillar.validate(pillar)["gluster"]["options"]
    assert options["cluster.quorum-type"] == "fixed"
    assert options["cluster.quorum-count"] == "1"


def test_auth_allow_is_every_compute(pillar):
    # Mount hosts, not only brick hosts: with replica 3 a fourth compute
    # mounts without a brick.  Loopback first: a brick host's own mount may
    # reach its brick by a name that resolves to 127.0.1.1.
    computes_pillar(pillar, 4)
    gluster = openstack_pillar.validate(pillar)["gluster"]
    assert gluster["brick_hosts"] == ["compute1", "compute2", "compute3"]
    assert gluster["options"]["auth.allow"] == (
        "127.0.0.1,192.168.56.101,192.168.56.102,192.168.56.103,192.168.56.104")


def test_arbiter_with_replica_3(pillar):
    computes_pillar(pillar, 3)
    pillar["gluster"]["arbiter"] = True
    gluster = openstack_pillar.validate(pillar)["gluster"]
    assert (gluster["replica"], gluster["arbiter"]) == (3, True)


# -- refused pillars ----------------------------------------------------------


def test_openstack_key_missing(monkeypatch):
    monkeypatch.setattr(openstack_pillar, "__pillar__", {}, raising=False)
    monkeypatch.setattr(openstack_pillar, "__opts__", {"id": "controller"}, raising=False)
    with pytest.raises(CommandExecutionError) as excinfo:
        openstack_pillar.validate()
    assert str(excinfo.value) == "Invalid pillar:\n  openstack: missing"


@pytest.mark.parametrize("value, fragment", [("abc", "must be a mapping, got a string"),
                                             ([1, 2], "must be a mapping, got a list"),
                                             ({}, "empty")])
def test_openstack_not_a_mapping(value, fragment):
    assert problems_of(value) == ["openstack: " + fragment]


DELETE = object()


def bad(case_id, where, value, fragment, key=None):
    """
    A refused pillar: ``where`` (a key under ``openstack``) set to ``value``
    (``DELETE``: removed; a callable: applied to the whole pillar instead),
    refused with a problem naming ``key`` (default: ``where``) and
    containing ``fragment``.
    """
    key = "openstack:" + (where if key is None else key)
    return pytest.param(where, value, key, fragment, id=case_id)


def add_host(host_id, address="192.168.56.23", roles=("compute",)):
    return lambda data: data["hosts"].update(
        {host_id: {"roles": list(roles), "address": address}}
    )


def two_controllers(data):
    data["hosts"]["compute2"]["roles"] = ["compute", "controller"]


def three_bricks_replica_2(data):
    computes_pillar(data, 3)
    data["gluster"].update(replica=2, brick_hosts=["compute1", "compute2", "compute3"])


def rename_address_key(data):
    data["hosts"]["compute1"]["adress"] = data["hosts"]["compute1"].pop("address")


ONLY_CONTROLLER = {"controller": {"roles": ["controller", "gateway"], "address": "192.168.56.10"}}
MGMT = "openstack:networks:management:cidr"
PROVIDER = "openstack:networks:provider:cidr"
VNI = "is not a range 'first:last' with 1 <= first <= last <= 16777215"
VOLUME = "not a valid gluster volume name"
C1 = "hosts:compute1"

BAD_CASES = [
    # 2. hosts
    bad("hosts-missing", "hosts", DELETE, "missing"),
    bad("hosts-empty", "hosts", {}, "empty"),
    bad("hosts-not-mapping", "hosts", ["controller"], "must be a mapping, got a list"),
    bad("host-not-mapping", C1, "compute", "must be a mapping with roles and address"),
    # 3. roles
    bad("roles-missing", C1 + ":roles", DELETE, "missing"),
    bad("roles-empty", C1 + ":roles", [], "empty: give at least one of"),
    bad("roles-not-list", C1 + ":roles", "compute", "must be a list"),
    bad("role-unknown", C1 + ":roles", ["compute", "storage"], "unknown role 'storage'"),
    # 4. role counts
    bad("no-controller", "hosts:controller:roles", ["compute"], "no host has the controller role",
        key="hosts"),
    bad("two-controllers", None, two_controllers,
        "more than one controller: compute2, controller", key="hosts"),
    bad("no-gateway", "hosts:gateway:roles", ["compute"], "no host has the gateway role",
        key="hosts"),
    bad("no-compute", "hosts", ONLY_CONTROLLER, "no host has the compute role"),
    # 5. addresses
    bad("address-invalid", C1 + ":address", "10.0.0.300", "'10.0.0.300' is not a valid IP address"),
    bad("address-missing", C1 + ":address", DELETE, "missing or empty"),
    bad("address-number", C1 + ":address", 3232250389, "got a number"),
    bad("address-outside", C1 + ":address", "10.0.0.5",
        "'10.0.0.5' is not inside {} (192.168.56.0/24)".format(MGMT)),
    bad("address-network", C1 + ":address", "192.168.56.0", "is the network address of " + MGMT),
    bad("address-broadcast", C1 + ":address", "192.168.56.255", "is the broadcast address"),
    # 6. duplicates and host names
    bad("address-duplicate", "hosts:compute2:address", "192.168.56.21",
        "'192.168.56.21' is also the address of compute1"),
    bad("host-case-duplicate", None, add_host("Compute1", "192.168.56.30"),
        "same host name as Compute1", key=C1),
    bad("host-short-duplicate", None, add_host("compute1.b", "192.168.56.30"),
        "same host name as compute1", key="hosts:compute1.b"),
    bad("host-name-underscore", None, add_host("compute_3"), "not a valid host name",
        key="hosts:compute_3"),
    bad("host-name-dash", None, add_host("-compute3"), "not a valid host name",
        key="hosts:-compute3"),
    bad("host-name-numeric", None, add_host("10"), "not a valid host name", key="hosts:10"),
    # 7. network cidrs and overlaps
    bad("cidr-prefix-33", "networks:management:cidr", "10.0.0.0/33",
        "'10.0.0.0/33' is not a valid CIDR"),
    bad("cidr-garbage", "networks:provider:cidr", "abc", "'abc' is not a valid CIDR"),
    bad("cidr-garbage-prefix", "networks:selfservice:cidr", "abc/24", "not a valid CIDR"),
    bad("cidr-no-prefix", "networks:provider:cidr", "203.0.113.0",
        "'203.0.113.0' has no prefix length (e.g. '203.0.113.0/24')"),
    bad("cidr-host-bits", "networks:management:cidr", "192.168.56.10/24",
        "'192.168.56.10/24' has host bits set: did you mean '192.168.56.0/24'?"),
    bad("cidr-missing", "networks:management:cidr", DELETE, "missing"),
    bad("networks-missing", "networks", DELETE, "missing"),
    bad("provider-missing", "networks:provider", DELETE, "missing"),
    bad("overlap-management-provider", "networks:provider:cidr", "192.168.0.0/16",
        "overlaps {} ('192.168.56.0/24')".format(MGMT)),
    bad("overlap-management-selfservice", "networks:selfservice:cidr", "192.168.56.128/25",
        "overlaps " + MGMT),
    bad("overlap-provider-selfservice", "networks:selfservice:cidr", "203.0.113.0/25",
        "overlaps " + PROVIDER),
    # 8. provider and self-service addresses, firewall
    bad("provider-gateway-outside", "networks:provider:gateway", "203.0.114.1",
        "not inside " + PROVIDER),
    bad("allocation-start-outside", "networks:provider:allocation_start", "198.51.100.1",
        "not inside " + PROVIDER),
    bad("allocation-end-broadcast", "networks:provider:allocation_end", "203.0.113.255",
        "is the broadcast address of " + PROVIDER),
    bad("allocation-start-after-end", "networks:provider:allocation_start", "203.0.113.200",
        "'203.0.113.199' is before allocation_start '203.0.113.200'",
        key="networks:provider:allocation_end"),
    bad("gateway-in-allocation", "networks:provider:gateway", "203.0.113.150",
        "inside the allocation range 203.0.113.100 - 203.0.113.199"),
    bad("selfservice-gateway-outside", "networks:selfservice:gateway", "172.16.2.1",
        "not inside openstack:networks:selfservice:cidr"),
    bad("dns-invalid", "networks:selfservice:dns_nameservers", ["9.9.9.9", "dns.example"],
        "'dns.example' is not a valid IP address", key="networks:selfservice:dns_nameservers:1"),
    bad("provider-address-outside", "hosts:gateway:provider_address", "192.168.56.99",
        "not inside " + PROVIDER),
    bad("provider-address-in-pool", "hosts:gateway:provider_address", "203.0.113.120",
        "inside the provider allocation range"),
    bad("provider-address-is-gateway", "hosts:gateway:provider_address", "203.0.113.1",
        "is the provider gateway"),
    bad("provider-address-duplicate", None, lambda d: d["hosts"]["controller"].update(
        provider_address="203.0.113.11"), "is also the provider_address of controller",
        key="hosts:gateway:provider_address"),
    bad("ssh-from-invalid", "firewall:ssh_from", ["10.0.0.0/8", "10.0.0.0/40"],
        "not a valid CIDR", key="firewall:ssh_from:1"),
    bad("public-from-host-bits", "firewall:public_from", ["198.51.100.7/24"],
        "did you mean '198.51.100.0/24'?", key="firewall:public_from:0"),
    bad("ssh-from-ipv6", "firewall:ssh_from", ["10.0.0.0/8", "2001:db8::/32"],
        "'2001:db8::/32' is IPv6: IPv6 is not supported", key="firewall:ssh_from:1"),
    bad("public-from-ipv6-any", "firewall:public_from", ["::/0"], "is IPv6",
        key="firewall:public_from:0"),
    bad("management-ipv6", "networks:management:cidr", "fd00:56::/64", "is IPv6"),
    bad("ssh-from-not-list", "firewall:ssh_from", "0.0.0.0/0", "must be a list"),
    bad("ssh-from-empty", "firewall:ssh_from", [],
        "empty: the firewall would accept these ports from nowhere"),
    # 9. passwords
    bad("password-missing", "passwords:nova", DELETE, "missing or empty"),
    bad("password-empty", "passwords:rabbitmq", "", "missing or empty"),
    bad("password-null", "passwords:demo", None, "missing or empty"),
    bad("password-number", "passwords:keystone_db", 12345,
        "got a number (YAML reads unquoted digits as a number): quote it"),
    bad("password-float", "passwords:glance", 1.5, "got a number"),
    bad("password-boolean", "passwords:admin", True, "got a boolean"),
    bad("password-list", "passwords:cinder", ["secret-in-list"], "must be a string, got a list"),
    bad("password-whitespace", "passwords:neutron", " secret-padded ", "surrounding whitespace"),
    bad("password-db-non-ascii", "passwords:nova_db", "pässwörd-€", "has non-ASCII characters"),
    bad("password-db-latin1", "passwords:keystone_db", "caf\u00e9", "PyMySQL sends a database"),
    bad("password-keystone-db-url-quoted", "passwords:keystone_db", "pa/ss@word",
        "may hold only letters, digits and - . _ ~: keystone-manage db_sync"),
    bad("password-keystone-db-dollar", "passwords:keystone_db", "secret$",
        "passes the database URL to alembic unescaped"),
    bad("password-rabbitmq-slash", "passwords:rabbitmq", "rab/bit",
        "may not hold '/': oslo.messaging rebuilds the transport URL"),
    bad("horizon-key-short", "passwords:horizon_secret_key", "x" * 49,
        "is 49 characters long: a key needs at least 50"),
    bad("memcache-key-short", "passwords:memcache_secret_key", "example-memcache-key",
        "is 20 characters long: a key needs at least 32"),
    bad("passwords-missing", "passwords", DELETE, "missing; required: rabbitmq, admin"),
    bad("passwords-not-mapping", "passwords", "secret-top", "must be a mapping, got a string"),
    # 10. gluster
    bad("replica-too-large", "gluster:replica", 3, "3 is larger than the number of bricks (2)"),
    bad("replica-zero", "gluster:replica", 0, "0 must be >= 1"),
    bad("replica-string", "gluster:replica", "2", "must be an integer"),
    bad("arbiter-without-replica-3", "gluster:arbiter", True, "needs replica 3 (replica is 2)"),
    bad("arbiter-not-bool", "gluster:arbiter", "false", "must be true or false"),
    bad("volume-leading-dash", "gluster:volume", "-nova", VOLUME),
    bad("volume-dot", "gluster:volume", "nova.instances", VOLUME),
    bad("volume-too-long", "gluster:volume", "v" * 65, VOLUME),
    bad("volume-reserved", "gluster:volume", "all", "reserved by gluster"),
    bad("brick-dir-relative", "gluster:brick_dir", "srv/bricks", "is not an absolute path"),
    bad("brick-dir-unnormalized", "gluster:brick_dir", "/srv/../bricks/", "normalized absolute"),
    bad("brick-dir-etc", "gluster:brick_dir", "/etc", "'/etc' is a system directory"),
    bad("brick-dir-var-lib", "gluster:brick_dir", "/var/lib", "'/var/lib' is a system directory"),
    bad("brick-dir-srv", "gluster:brick_dir", "/srv", "is a system directory"),
    bad("brick-dir-home", "gluster:brick_dir", "/home", "is a system directory"),
    bad("brick-dir-lib64", "gluster:brick_dir", "/lib64/bricks", "inside the system's libraries"),
    bad("brick-dir-in-etc", "gluster:brick_dir", "/etc/gluster/brick",
        "inside the system directory /etc"),
    bad("brick-dir-in-proc", "gluster:brick_dir", "/proc/brick", "inside the system directory"),
    bad("brick-dir-in-glusterd", "gluster:brick_dir", "/var/lib/glusterd/bricks",
        "inside the system directory /var/lib/glusterd"),
    bad("brick-dir-dotdot", "gluster:brick_dir", "/srv/gluster/../../etc", "normalized absolute"),
    bad("brick-dir-in-mount", "gluster:brick_dir", "/var/lib/nova/instances/brick",
        "mount point /var/lib/nova/instances"),
    bad("brick-host-unknown", "gluster:brick_hosts", ["compute1", "compute9"],
        "'compute9' is not a host of openstack:hosts", key="gluster:brick_hosts:1"),
    bad("brick-host-not-compute", "gluster:brick_hosts", ["compute1", "gateway"],
        "'gateway' is not a compute host", key="gluster:brick_hosts:1"),
    bad("brick-host-twice", "gluster:brick_hosts", ["compute1", "compute1"],
        "'compute1' is listed twice", key="gluster:brick_hosts:1"),
    bad("brick-hosts-empty", "gluster:brick_hosts", [], "empty"),
    bad("brick-hosts-not-multiple", None, three_bricks_replica_2,
        "3 bricks are not a multiple of replica 2", key="gluster:brick_hosts"),
    bad("gluster-option-name", "gluster:options", {"ping-timeout": "10"},
        "not a gluster option name", key="gluster:options:ping-timeout"),
    bad("gluster-option-value", "gluster:options", {"network.ping-timeout": None},
        "must be a string or number", key="gluster:options:network.ping-timeout"),
    bad("gluster-auth-allow", "gluster:options", {"auth.allow": "*"},
        "is set by the formulas from openstack:hosts", key="gluster:options:auth.allow"),
    bad("gluster-auth-reject", "gluster:options", {"Auth.Reject": "192.168.56.22"},
        "is set by the formulas from openstack:hosts", key="gluster:options:Auth.Reject"),
    bad("gluster-typo", "gluster:replcia", 2, "unknown key: did you mean 'replica'?"),
    # 11. nova
    bad("virt-type", "nova:virt_type", "xen", "'xen' is not one of kvm, qemu, lxc"),
    bad("nova-uid-zero", "nova:uid", 0, "must be between 1 and"),
    bad("nova-gid-string", "nova:gid", "nova", "must be an integer"),
    bad("nova-uid-bool", "nova:uid", True, "must be an integer"),
    bad("live-migration-scheme", "nova:live_migration_scheme", "tcp", "'tcp' is not one of ssh"),
    bad("live-migration-tls", "nova:live_migration_scheme", "tls",
        "'tls' would move libvirt's control connection to its TLS listener"),
    bad("live-migration-list", "nova:live_migration_scheme", ["tls"], "['tls'] is not one of ssh"),
    bad("dashboard-names-the-controller", "dashboard", {"hosts": ["controller.cloud.test"]},
        "is a name or address of controller, which is not a gateway", key="dashboard:hosts:0"),
    bad("dashboard-a-computes-address", "dashboard", {"hosts": ["cloud.test", "192.168.56.21"]},
        "'192.168.56.21' is a name or address of compute1", key="dashboard:hosts:1"),
    bad("cpu-ratio-zero", "nova:cpu_allocation_ratio", 0, "must be a positive number"),
    bad("ram-ratio-string", "nova:ram_allocation_ratio", "1.5", "must be a positive number"),
    # 12. workers, interfaces, region, VNIs, cinder and the rest
    bad("workers-zero", "workers:api", 0, "0 must be >= 1"),
    bad("workers-conductor-zero", "workers:conductor", 0,
        "0 must be >= 1 (only openstack:workers:glance and openstack:workers:rpc take 0)"),
    bad("workers-scheduler-zero", "workers:scheduler", 0, "0 must be >= 1 (only"),
    bad("workers-metadata-zero", "workers:metadata", 0, "0 must be >= 1 (only"),
    bad("workers-api-negative", "workers:api", -1, "-1 must be >= 1"),
    bad("workers-rpc-negative", "workers:rpc", -1, "-1 must be >= 0"),
    bad("workers-glance-negative", "workers:glance", -2, "-2 must be >= 0"),
    bad("workers-rpc-string", "workers:rpc", "0", "'0' must be an integer"),
    bad("workers-glance-bool", "workers:glance", False, "must be an integer"),
    bad("workers-glance-typo", "workers:glnace", 0, "unknown key: did you mean 'glance'?"),
    bad("workers-not-a-mapping", "workers", [1], "must be a mapping, got a list"),
    bad("tls-days-short", "tls:days", 30, "30 must be between 31 and 3650"),
    bad("tls-days-string", "tls:days", "365", "must be an integer"),
    bad("tls-typo", "tls", {"dyas": 90}, "unknown key: did you mean 'days'?", key="tls:dyas"),
    bad("workers-float", "workers:conductor", 1.5, "must be an integer"),
    bad("interface-too-long", "networks:management:interface", "enp0s31f6-very-long",
        "not a valid Linux interface name"),
    bad("interface-slash", "networks:provider:interface", "eth/2",
        "not a valid Linux interface name"),
    bad("interface-is-management", "networks:provider:interface", "eth1",
        "'eth1' is also openstack:networks:management:interface"),
    bad("interface-missing", "networks:provider:interface", DELETE, "missing"),
    bad("region-empty", "region", "", "empty"),
    bad("region-too-long", "region", "r" * 256, "not a valid region id"),
    bad("region-number", "region", 1, "must be a string"),
    bad("region-shell", "region", "R1;touch /tmp/pwned", "not a valid region id (letters"),
    bad("region-space", "region", "Region One", "not a valid region id"),
    bad("region-comment", "region", "R1#x", "not a valid region id"),
    bad("vni-zero", "networks:geneve_vni_ranges", "0:100", "'0:100' " + VNI),
    bad("vni-reversed", "networks:geneve_vni_ranges", "100:1", "'100:1' " + VNI),
    bad("vni-too-large", "networks:geneve_vni_ranges", "1:16777216", VNI),
    bad("vni-second-range", "networks:geneve_vni_ranges", "1:10,20", "'20' " + VNI),
    bad("vni-sexagesimal", "networks:geneve_vni_ranges", 90, "quote it in YAML"),
    bad("vxlan-vni-ranges-retired", "networks:vxlan_vni_ranges", "1:1000",
        "use networks:geneve_vni_ranges"),
    bad("datapath-type-unknown", "networks:datapath_type", "dpdk", "'dpdk' is not one of system, netdev"),
    bad("datapath-type-not-string", "networks:datapath_type", True, "is not one of system, netdev"),
    bad("volume-group-dash", "cinder:volume_group", "-cinder", "not a valid LVM volume group"),
    bad("volume-group-space", "cinder:volume_group", "cinder volumes",
        "not a valid LVM volume group"),
    bad("loop-file-negative", "cinder:loop_file_size_gb", -1, "-1 must be >= 0"),
    bad("lvm-type-unknown", "cinder:lvm_type", "thick", "'thick' is not one of auto, thin, default"),
    bad("lvm-type-newline", "cinder:lvm_type", "thin\nvolume_group = x", "is not one of"),
    bad("domain-invalid", "domain", "cloud_test", "not a valid DNS domain name"),
    bad("domain-numeric-tld", "domain", "cloud.123", "not a valid DNS domain name"),
    bad("gateway-nat-not-bool", "gateway_nat:enabled", "yes", "must be true or false"),
    bad("firewall-not-mapping", "firewall", True, "must be a mapping"),
    bad("admin-email", "admin:email", "admin", "not a valid e-mail address"),
    bad("demo-project-too-long", "demo:project", "p" * 65, "not a valid project name"),
    bad("release-space", "release", "2023 1", "must not contain whitespace"),
    bad("release-zed", "release", "zed", "'zed' is not a release these formulas deploy (2025.1)"),
    bad("release-number", "release", 2025.1, "must be a string"),
    bad("management-interface-br-phy", "networks:management:interface", "br-phy",
        "'br-phy' is an Open vSwitch bridge the formulas make"),
    bad("provider-interface-br-ex", "networks:provider:interface", "br-ex",
        "'br-ex' is an Open vSwitch bridge the formulas make"),
    bad("provider-interface-br-int", "networks:provider:interface", "br-int",
        "is an Open vSwitch bridge"),
    bad("host-key-typo", None, rename_address_key, "unknown key: did you mean 'address'?",
        key=C1 + ":adress"),
    bad("image-without-source", "glance:images", [{"name": "cirros"}], "missing",
        key="glance:images:0:source"),
    bad("image-disk-format", "glance:images",
        [{"name": "cirros", "source": "http://x.test/c.img", "disk_format": "qcow"}],
        "is not one of", key="glance:images:0:disk_format"),
    bad("image-name-shell", "glance:images", [{"name": "cirros; id", "source": "http://x.test/c"}],
        "not a valid image name", key="glance:images:0:name"),
    bad("image-name-path", "glance:images",
        [{"name": "../../../etc/cron.d/x", "source": "http://x.test/c"}],
        "no '/'", key="glance:images:0:name"),
    bad("image-name-dotdot", "glance:images", [{"name": "..", "source": "http://x.test/c"}],
        "not a valid image name", key="glance:images:0:name"),
    bad("image-source-space", "glance:images", [{"name": "c", "source": "http://x.test/a b"}],
        "a URL or an absolute path, without whitespace", key="glance:images:0:source"),
    bad("image-source-traversal", "glance:images",
        [{"name": "c", "source": "/srv/images/../../etc/shadow"}],
        "normalized absolute path", key="glance:images:0:source"),
    bad("image-source-relative", "glance:images", [{"name": "c", "source": "images/c.img"}],
        "not an absolute path or a URL", key="glance:images:0:source"),
    bad("image-source-hash-space", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "source_hash": "sha256=00 ; id"}],
        "without whitespace", key="glance:images:0:source_hash"),
    bad("image-kernel-path", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "kernel": "$(id)"}],
        "not a valid image name", key="glance:images:0:kernel"),
    bad("image-ramdisk-unknown", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "ramdisk": "initrd"}],
        "'initrd' is not another image of openstack:glance:images",
        key="glance:images:0:ramdisk"),
    bad("image-property-name", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "properties": {"a b": "x"}}],
        "not an image property name", key="glance:images:0:properties:a b"),
    bad("image-property-newline", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "properties": {"os": "a\nb"}}],
        "without control characters", key="glance:images:0:properties:os"),
    bad("image-property-core-field", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "properties": {"kernel_id": "k"}}],
        "is one of Glance's own fields, not a property (give kernel or ramdisk",
        key="glance:images:0:properties:kernel_id"),
    bad("image-visibility", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "visibility": "everyone"}],
        "'everyone' is not one of public, private, shared, community",
        key="glance:images:0:visibility"),
    bad("quotas-not-mapping", "quotas", ["demo"], "must be a mapping of project names"),
    bad("quota-unknown-project", "quotas", {"dmeo": {"cores": 4}},
        "not a project the formulas make (admin, service, demo)", key="quotas:dmeo"),
    bad("quota-negative", "quotas", {"demo": {"cores": -2}}, "-2 must be >= -1",
        key="quotas:demo:cores"),
    bad("quota-not-integer", "quotas", {"demo": {"ram": "8G"}}, "'8G' must be an integer",
        key="quotas:demo:ram"),
    bad("quota-typo", "quotas", {"demo": {"instance": 4}}, "did you mean 'instances'?",
        key="quotas:demo:instance"),
    bad("quota-unknown", "quotas", {"demo": {"volumes": 4}}, "not a quota openstack_cloud sets",
        key="quotas:demo:volumes"),
    bad("quota-limits-not-mapping", "quotas", {"demo": 4}, "must be a mapping of quota names",
        key="quotas:demo"),
    bad("image-key-typo", "glance:images",
        [{"name": "c", "source": "http://x.test/c", "disk_fromat": "raw"}],
        "did you mean 'disk_format'?", key="glance:images:0:disk_fromat"),
    bad("flavors-not-mapping", "flavors", ["m1.tiny"], "must be a mapping of flavor names"),
    bad("flavor-name-shell", "flavors", {"m1;id": {"vcpus": 1, "ram": 64, "disk": 1}},
        "not a valid flavor name", key="flavors:m1;id"),
    bad("flavor-name-space", "flavors", {"m1 tiny": {"vcpus": 1, "ram": 64, "disk": 1}},
        "not a valid flavor name", key="flavors:m1 tiny"),
    bad("flavor-not-mapping", "flavors", {"m1.tiny": 1}, "must be a mapping with vcpus",
        key="flavors:m1.tiny"),
    bad("flavor-vcpus-zero", "flavors", {"m1.tiny": {"vcpus": 0, "ram": 64, "disk": 1}},
        "0 must be between 1 and 4096", key="flavors:m1.tiny:vcpus"),
    bad("flavor-ram-string", "flavors", {"m1.tiny": {"vcpus": 1, "ram": "64; id", "disk": 1}},
        "must be an integer", key="flavors:m1.tiny:ram"),
    bad("flavor-disk-missing", "flavors", {"m1.tiny": {"vcpus": 1, "ram": 64}},
        "missing", key="flavors:m1.tiny:disk"),
    bad("flavor-disk-negative", "flavors", {"m1.tiny": {"vcpus": 1, "ram": 64, "disk": -1}},
        "-1 must be >= 0", key="flavors:m1.tiny:disk"),
    bad("flavor-key-typo", "flavors", {"m1.tiny": {"vcpus": 1, "ram": 64, "dsik": 1}},
        "did you mean 'disk'?", key="flavors:m1.tiny:dsik"),
    bad("image-twice", "glance:images",
        [{"name": "cirros", "source": "http://x.test/c.img"}] * 2,
        "'cirros' is listed twice", key="glance:images:1:name"),
]


@pytest.mark.parametrize("where, value, key, fragment", BAD_CASES)
def test_bad_pillar_is_refused_naming_the_key(pillar, where, value, key, fragment):
    edit(pillar, where, value)
    assert_problem(pillar, key, fragment)


def edit(data, where, value):
    """Apply a :func:`bad` case's edit to ``data``."""
    if callable(value):
        value(data)
    elif value is DELETE:
        del_key(data, where)
    else:
        set_key(data, where, value)


def test_glance_and_rpc_workers_take_zero(pillar):
    """0 for the kinds whose services serve without a forked worker."""
    pillar["workers"].update({"glance": 0, "rpc": 0})
    workers = openstack_pillar.validate(pillar)["workers"]
    assert (workers["glance"], workers["rpc"]) == (0, 0)
    assert workers["api"] == pillar["workers"]["api"]


def test_glance_workers_follow_api_unless_set(pillar):
    pillar["workers"] = {"api": 3}
    assert openstack_pillar.validate(pillar)["workers"] == {
        "api": 3, "conductor": 1, "scheduler": 1, "metadata": 1, "rpc": 1, "glance": 3}
    pillar["workers"]["glance"] = 1
    assert openstack_pillar.validate(pillar)["workers"]["glance"] == 1


def test_bad_api_workers_are_reported_once(pillar):
    """workers:glance follows a refused workers:api without a problem of its own."""
    pillar["workers"] = {"api": 0}
    lines = [line for line in problems_of(pillar) if line.startswith("openstack:workers")]
    assert lines == ["openstack:workers:api: 0 must be >= 1 (only openstack:workers:glance "
                     "and openstack:workers:rpc take 0)"]


@pytest.mark.parametrize("path", ["/srv/gluster/nova-instances", "/data/bricks/nova",
                                  "/var/lib/gluster-bricks/nova", "/home/bricks/nova"])
def test_brick_dir_outside_system_directories_is_accepted(pillar, path):
    pillar["gluster"]["brick_dir"] = path
    assert openstack_pillar.validate(pillar)["gluster"]["bricks"][0] == "compute1:" + path


def test_mount_point_is_absolute_and_no_system_directory(pillar):
    mount = openstack_pillar.validate(pillar)["gluster"]["mount_point"]
    assert mount.startswith("/") and posixpath.normpath(mount) == mount
    assert saltext_openstack_model.system_dir(mount) is None


def test_flavors_default_and_given(pillar):
    defaults = {"ephemeral": 0, "swap": 0, "public": True, "description": None,
                "extra_specs": {}}  # fmt: skip
    assert openstack_pillar.validate(pillar)["flavors"] == {
        "m1.nano": {"vcpus": 1, "ram": 128, "disk": 1, **defaults},
        "m1.small": {"vcpus": 1, "ram": 2048, "disk": 20, **defaults},
    }
    pillar["flavors"] = {"m1.tiny": {"vcpus": 1, "ram": 64, "disk": 0}}
    assert openstack_pillar.validate(pillar)["flavors"] == {
        "m1.tiny": {"vcpus": 1, "ram": 64, "disk": 0, **defaults}}
    pillar["flavors"] = {}
    assert openstack_pillar.validate(pillar)["flavors"] == {}


def test_quotas_given_limits_only(pillar):
    pillar["quotas"] = {"demo": {"cores": 8, "ram": 8192, "ports": -1}, "admin": {}}
    assert openstack_pillar.validate(pillar)["quotas"] == {
        "admin": {}, "demo": {"cores": 8, "ram": 8192, "ports": -1}}


def test_flavor_optional_keys(pillar):
    pillar["flavors"] = {"m1.pinned": {
        "vcpus": 2, "ram": 4096, "disk": 20, "ephemeral": 5, "swap": 512, "public": False,
        "description": "pinned CPUs",
        "extra_specs": {"hw:cpu_policy": "dedicated", "hw:mem_page_size": 2048,
                        "hw_rng:allowed": True},
    }}  # fmt: skip
    assert openstack_pillar.validate(pillar)["flavors"]["m1.pinned"] == {
        "vcpus": 2, "ram": 4096, "disk": 20, "ephemeral": 5, "swap": 512, "public": False,
        "description": "pinned CPUs",
        # Nova stores strings: numbers as written, booleans as true/false
        "extra_specs": {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "2048",
                        "hw_rng:allowed": "true"},
    }  # fmt: skip


def test_network_mtu_and_provider_dns(pillar):
    pillar["networks"]["provider"].update(mtu=1500, dns_nameservers=["203.0.113.53"])
    pillar["networks"]["selfservice"]["mtu"] = 1442
    networks = openstack_pillar.validate(pillar)["networks"]
    assert networks["provider"]["mtu"] == 1500
    assert networks["provider"]["dns_nameservers"] == ["203.0.113.53"]
    assert networks["selfservice"]["mtu"] == 1442


def test_mtu_ceilings_are_neutrons():
    """1500 on the flat network (global_physnet_mtu's default), 1442 on Geneve:
    Neutron's own figures, from the value neutron.server renders."""
    assert openstack_pillar.MTU_CEILINGS == {"provider": 1500, "selfservice": 1442}


@pytest.mark.parametrize("provider, selfservice", [(68, 68), (1500, 1442), (1400, 1400)])
def test_network_mtus_up_to_the_ceilings(pillar, provider, selfservice):
    pillar["networks"]["provider"]["mtu"] = provider
    pillar["networks"]["selfservice"]["mtu"] = selfservice
    networks = openstack_pillar.validate(pillar)["networks"]
    assert (networks["provider"]["mtu"], networks["selfservice"]["mtu"]) == (provider, selfservice)


def test_security_groups_given(pillar):
    pillar["security_groups"] = {
        "default": {"remove_unlisted": True, "rules": [
            {"direction": "egress", "ethertype": "IPv4"},
            {"remote_group": "default"},
            {"protocol": "tcp", "port_range_min": 8000, "port_range_max": 8080,
             "remote_ip_prefix": "10.0.0.0/8"},
            {"protocol": "ipv6-icmp", "remote_ip_prefix": "2001:db8::/32"},
        ]},
        "web": {"description": "HTTP in", "rules": [{"protocol": "tcp", "port": 80}]},
        "empty": None,
    }  # fmt: skip
    groups = openstack_pillar.validate(pillar)["security_groups"]
    assert sorted(groups) == ["default", "empty", "web"]
    assert groups["empty"] == {"description": None, "remove_unlisted": False, "rules": []}
    assert groups["web"]["description"] == "HTTP in"
    default = groups["default"]
    assert default["remove_unlisted"] is True
    assert [(r["direction"], r["ethertype"], r["protocol"], r["port_range_min"],
             r["port_range_max"], r["remote_ip_prefix"], r["remote_group"])
            for r in default["rules"]] == [
        ("egress", "IPv4", None, None, None, None, None),
        ("ingress", "IPv4", None, None, None, None, "default"),
        ("ingress", "IPv4", "tcp", 8000, 8080, "10.0.0.0/8", None),
        ("ingress", "IPv6", "ipv6-icmp", None, None, "2001:db8::/32", None),  # ethertype follows
    ]  # fmt: skip


def test_descriptions_and_names_up_to_the_apis_limits(pillar):
    pillar["flavors"] = {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1,
                                  "description": "Tiny: 1 vCPU, 64 MiB, é " + "x" * 65511}}
    pillar["security_groups"] = {"w" * 255: {"description": "HTTP in, é " + "x" * 244},
                                 "web servers (é)": {"description": "one"}}
    model = openstack_pillar.validate(pillar)
    assert len(model["flavors"]["m1.x"]["description"]) == 65535
    assert len(model["security_groups"]["w" * 255]["description"]) == 255
    assert model["security_groups"]["web servers (é)"]["description"] == "one"


def test_icmp_rules_by_type_and_code(pillar):
    pillar["security_groups"] = {"ping": {"rules": [
        {"protocol": "icmp"},
        {"protocol": "icmp", "icmp_type": 8, "remote_ip_prefix": "10.0.0.0/8"},
        {"protocol": "icmp", "icmp_type": 3, "icmp_code": 4},
        {"protocol": "ipv6-icmp", "ethertype": "IPv6", "icmp_type": 128},
    ]}}  # fmt: skip
    rules = openstack_pillar.validate(pillar)["security_groups"]["ping"]["rules"]
    assert [(r["protocol"], r["port_range_min"], r["port_range_max"]) for r in rules] == [
        ("icmp", None, None), ("icmp", 8, None), ("icmp", 3, 4), ("ipv6-icmp", 128, None)]
    assert all("icmp_type" not in r for r in rules)  # the model holds Neutron's names


NEW_KEY_CASES = [
    bad("flavor-ephemeral-negative", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "ephemeral": -1}},
        "-1 must be >= 0", key="flavors:m1.x:ephemeral"),
    bad("flavor-swap-string", "flavors", {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "swap": "1G"}},
        "must be an integer", key="flavors:m1.x:swap"),
    bad("flavor-public-string", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "public": "yes"}},
        "must be true or false", key="flavors:m1.x:public"),
    bad("flavor-description-number", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "description": 7}},
        "must be a string", key="flavors:m1.x:description"),
    bad("flavor-extra-specs-list", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "extra_specs": ["hw:cpu_policy"]}},
        "must be a mapping of extra spec names", key="flavors:m1.x:extra_specs"),
    bad("flavor-extra-spec-name", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "extra_specs": {"hw/cpu": "x"}}},
        "not an extra spec name", key="flavors:m1.x:extra_specs:hw/cpu"),
    bad("flavor-extra-spec-value", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "extra_specs": {"hw:cpu_policy": ["a"]}}},
        "must be a string", key="flavors:m1.x:extra_specs:hw:cpu_policy"),
    bad("flavor-extra-spec-typo", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "extra_spec": {}}},
        "did you mean 'extra_specs'?", key="flavors:m1.x:extra_spec"),
    bad("provider-mtu-small", "networks:provider:mtu", 60, "60 must be >= 68"),
    bad("provider-mtu-jumbo", "networks:provider:mtu", 9000,
        "9000 is more than 1500, the flat provider network's largest: Neutron's "
        "global_physnet_mtu"),
    bad("provider-mtu-one-over", "networks:provider:mtu", 1501, "1501 is more than 1500"),
    bad("selfservice-mtu-underlay", "networks:selfservice:mtu", 1500,
        "1500 is more than 1442, a Geneve network's largest: Neutron's global_physnet_mtu "
        "1500 less 58 (max_header_size 38 and the outer IPv4 header 20)"),
    bad("selfservice-mtu-one-over", "networks:selfservice:mtu", 1443, "1443 is more than 1442"),
    bad("selfservice-mtu-small", "networks:selfservice:mtu", 67, "67 must be >= 68"),
    bad("selfservice-mtu-string", "networks:selfservice:mtu", "1450", "must be an integer"),
    bad("provider-dns-bad", "networks:provider:dns_nameservers", ["8.8.8.300"],
        "'8.8.8.300' is not a valid IP address", key="networks:provider:dns_nameservers:0"),
    bad("security-groups-list", "security_groups", ["default"], "must be a mapping of security"),
    bad("security-group-name-space", "security_groups", {" web": {}},
        "not a valid security group name", key="security_groups: web"),
    bad("security-group-not-mapping", "security_groups", {"web": ["tcp"]},
        "must be a mapping with description", key="security_groups:web"),
    bad("security-group-key-typo", "security_groups", {"web": {"rule": []}},
        "did you mean 'rules'?", key="security_groups:web:rule"),
    bad("security-group-remove-string", "security_groups", {"web": {"remove_unlisted": "yes"}},
        "must be true or false", key="security_groups:web:remove_unlisted"),
    bad("security-rules-mapping", "security_groups", {"web": {"rules": {"protocol": "tcp"}}},
        "must be a list", key="security_groups:web:rules"),
    bad("security-rule-not-mapping", "security_groups", {"web": {"rules": ["tcp/22"]}},
        "a rule is a mapping", key="security_groups:web:rules:0"),
    bad("security-rule-unknown-key", "security_groups",
        {"web": {"rules": [{"protocol": "tcp", "ports": 22}]}},
        "unknown key(s) ports", key="security_groups:web:rules:0"),
    bad("security-rule-direction", "security_groups", {"web": {"rules": [{"direction": "in"}]}},
        "direction must be ingress or egress", key="security_groups:web:rules:0"),
    bad("security-rule-protocol", "security_groups", {"web": {"rules": [{"protocol": "tcpp"}]}},
        "unknown protocol 'tcpp'", key="security_groups:web:rules:0"),
    bad("security-rule-port-without-protocol", "security_groups",
        {"web": {"rules": [{"port": 22}]}},
        "protocol any has no ports", key="security_groups:web:rules:0"),
    bad("security-rule-port-range", "security_groups",
        {"web": {"rules": [{"protocol": "tcp", "port_range_min": 90, "port_range_max": 80}]}},
        "ports must be 1 <= min <= max <= 65535", key="security_groups:web:rules:0"),
    bad("security-rule-icmp-code-without-type", "security_groups",
        {"web": {"rules": [{"protocol": "icmp", "port_range_max": 0}]}},
        "needs a type", key="security_groups:web:rules:0"),
    bad("security-rule-prefix", "security_groups",
        {"web": {"rules": [{"remote_ip_prefix": "10.0.0.1/8"}]}},
        "has host bits set", key="security_groups:web:rules:0"),
    bad("security-rule-prefix-ethertype", "security_groups",
        {"web": {"rules": [{"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"}]}},
        "is not IPv6", key="security_groups:web:rules:0"),
    bad("security-rule-prefix-and-group", "security_groups",
        {"web": {"rules": [{"remote_ip_prefix": "10.0.0.0/8", "remote_group": "web"}]}},
        "not both", key="security_groups:web:rules:0"),
    bad("security-rule-unknown-group", "security_groups",
        {"web": {"rules": [{"remote_group": "db"}]}},
        "'db' is not a group of openstack:security_groups", key="security_groups:web:rules:0:remote_group"),
    bad("security-groups-naming-each-other", "security_groups",
        {"db": {"rules": [{"remote_group": "web"}]}, "web": {"rules": [{"remote_group": "db"}]}},
        "the groups db -> web -> db name each other", key="security_groups:db:rules"),
    bad("security-groups-in-a-ring", "security_groups",
        {"a": {"rules": [{"remote_group": "b"}]}, "b": {"rules": [{"remote_group": "c"}]},
         "c": {"rules": [{"remote_group": "a"}, {"remote_group": "c"}]}},
        "the groups a -> b -> c -> a name each other", key="security_groups:a:rules"),
    bad("flavor-description-newline", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "description": "two\nlines"}},
        "has a control character (U+000A at position 3)", key="flavors:m1.x:description"),
    bad("flavor-description-tab", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "description": "a\tb"}},
        "has a control character (U+0009 at position 1)", key="flavors:m1.x:description"),
    bad("flavor-description-escape", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "description": "red \x1b[31m"}},
        "has a control character (U+001B", key="flavors:m1.x:description"),
    bad("flavor-description-delete", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "description": "a\x7fb"}},
        "has a control character (U+007F", key="flavors:m1.x:description"),
    bad("flavor-description-too-long", "flavors",
        {"m1.x": {"vcpus": 1, "ram": 64, "disk": 1, "description": "x" * 65536}},
        "65536 characters, more than the 65535", key="flavors:m1.x:description"),
    bad("security-group-description-newline", "security_groups",
        {"web": {"description": "HTTP\rin"}},
        "has a control character (U+000D at position 4)", key="security_groups:web:description"),
    bad("security-group-description-too-long", "security_groups",
        {"web": {"description": "x" * 256}},
        "256 characters, more than the 255", key="security_groups:web:description"),
    bad("security-group-name-control", "security_groups", {"web\x01": {}},
        "must not contain control characters", key="security_groups:'web\\x01'"),
    bad("security-group-name-tab", "security_groups", {"we\tb": {}},
        "must not contain control characters", key="security_groups:'we\\tb'"),
    bad("security-group-name-newline", "security_groups", {"we\nb": {}},
        "(U+000A at position 2)", key="security_groups:'we\\nb'"),
    bad("security-group-name-too-long", "security_groups", {"x" * 256: {}},
        "at most 255 characters", key="security_groups:" + "x" * 256),
    bad("provider-name-empty", "networks:provider:name", "",
        "not a valid network name"),
    bad("provider-name-not-string", "networks:provider:name", 7,
        "not a valid network name"),
    bad("provider-name-space", "networks:provider:name", " ext",
        "not starting or ending with whitespace"),
    bad("selfservice-name-newline", "networks:selfservice:name", "tenant\nnet",
        "must not contain control characters"),
    bad("selfservice-name-too-long", "networks:selfservice:name", "x" * 256,
        "at most 255 characters"),
    bad("network-names-alike", "networks:selfservice:name", "provider",
        "'provider' is also openstack:networks:provider:name"),
    bad("network-name-typo", "networks:provider:nmae", "ext", "did you mean 'name'?"),
    bad("security-rule-remote-group-control", "security_groups",
        {"web": {"rules": [{"remote_group": "db\x00"}]}},
        "must not contain control characters", key="security_groups:web:rules:0"),
    bad("security-rule-icmp-port", "security_groups",
        {"web": {"rules": [{"protocol": "icmp", "port": 8}]}},
        "protocol icmp has no ports: give icmp_type", key="security_groups:web:rules:0"),
    bad("security-rule-icmp-code-alone", "security_groups",
        {"web": {"rules": [{"protocol": "icmp", "icmp_code": 0}]}},
        "icmp_code needs an icmp_type", key="security_groups:web:rules:0"),
    bad("security-rule-icmp-type-on-tcp", "security_groups",
        {"web": {"rules": [{"protocol": "tcp", "icmp_type": 8}]}},
        "are for protocol icmp or ipv6-icmp, not tcp", key="security_groups:web:rules:0"),
    bad("security-rule-icmp-type-range", "security_groups",
        {"web": {"rules": [{"protocol": "icmp", "icmp_type": 256}]}},
        "ICMP type and code are 0 to 255", key="security_groups:web:rules:0"),
    bad("security-rule-icmp-type-duplicate", "security_groups",
        {"web": {"rules": [{"protocol": "icmp", "icmp_type": 8},
                           {"protocol": "icmp", "port_range_min": 8}]}},
        "the same rule as openstack:security_groups:web:rules:0", key="security_groups:web:rules:1"),
    bad("security-rule-duplicate", "security_groups",
        {"web": {"rules": [{"protocol": "icmp"}, {"protocol": "1", "remote_ip_prefix": "0.0.0.0/0"}]}},
        "the same rule as openstack:security_groups:web:rules:0", key="security_groups:web:rules:1"),
]


@pytest.mark.parametrize("where, value, key, fragment", NEW_KEY_CASES)
def test_new_cloud_keys_are_refused_naming_the_key(pillar, where, value, key, fragment):
    set_key(pillar, where, value)
    assert_problem(pillar, key, fragment)


def test_firewall_lists_may_be_empty_when_disabled(pillar):
    pillar["firewall"] = {"enabled": False, "ssh_from": [], "public_from": []}
    assert openstack_pillar.validate(pillar)["firewall"] == {
        "enabled": False, "ssh_from": [], "public_from": []}


def test_a_bad_address_is_one_problem(pillar):
    pillar["hosts"]["controller"]["address"] = "10.0.0.300"
    assert problems_of(pillar) == [
        "openstack:hosts:controller:address: '10.0.0.300' is not a valid IP address"
    ]


def test_all_problems_are_reported_together(pillar):
    pillar["hosts"]["compute1"]["address"] = "10.0.0.300"
    pillar["gluster"]["replica"] = 3
    del pillar["passwords"]["nova"]
    pillar["passwords"]["neutron"] = 12345
    pillar["nova"]["virt_type"] = "xen"
    pillar["networks"]["selfservice"].update(cidr="192.168.56.0/24", gateway="192.168.56.1")
    pillar["firewall"]["ssh_from"] = ["10.0.0.0/33"]
    assert problems_of(pillar) == [
        "openstack:networks:selfservice:cidr: '192.168.56.0/24' overlaps "
        "openstack:networks:management:cidr ('192.168.56.0/24')",
        "openstack:hosts:compute1:address: '10.0.0.300' is not a valid IP address",
        "openstack:passwords:nova: missing or empty",
        "openstack:passwords:neutron: must be a string, got a number (YAML reads unquoted "
        "digits as a number): quote it",
        "openstack:firewall:ssh_from:0: '10.0.0.0/33' is not a valid CIDR",
        "openstack:gluster:replica: 3 is larger than the number of bricks (2)",
        "openstack:nova:virt_type: 'xen' is not one of kvm, qemu, lxc",
    ]


def test_database_passwords_are_the_db_ones():
    assert openstack_pillar.DATABASE_PASSWORDS == (
        "keystone_db", "glance_db", "placement_db", "nova_db", "neutron_db", "cinder_db")


def test_non_ascii_is_fine_outside_database_passwords(pillar):
    pillar["passwords"]["admin"] = "pässwörd-€"
    assert openstack_pillar.validate(pillar)["region"] == "RegionOne"


def test_message_never_contains_a_password(pillar):
    secret = "s3cr3t-value-that-must-not-leak"
    pillar["passwords"] = {name: secret for name in pillar["passwords"]}
    pillar["passwords"]["glance"] = secret + " "
    pillar["passwords"]["nova_dbb"] = secret
    del pillar["passwords"]["nova_db"]
    pillar["hosts"]["compute1"]["address"] = "bad"
    lines = problems_of(pillar)
    assert "openstack:passwords:glance: has surrounding whitespace or control characters" in lines
    assert "openstack:passwords:nova_dbb: unknown key: did you mean 'nova_db'?" in lines
    assert not any(secret in line for line in lines)


def test_required_passwords_table():
    assert [name for name, _ in openstack_pillar.REQUIRED_PASSWORDS] == [
        "rabbitmq", "admin", "keystone_db", "glance_db", "glance",
        "placement_db", "placement", "nova_db", "nova", "neutron_db", "neutron",
        "cinder_db", "cinder", "metadata_secret", "horizon_secret_key",
        "memcache_secret_key", "demo",
    ]


@pytest.mark.parametrize("name, _", openstack_pillar.REQUIRED_PASSWORDS)
def test_every_required_password_is_used_by_a_formula(name, _):
    """A required password that no formula reads is a secret handed out for nothing."""
    used = any(name in path.read_text(errors="replace")
               for path in (REPO_ROOT / "salt").rglob("*") if path.is_file())
    assert used, "openstack:passwords:{} is required but no formula reads it".format(name)


def test_mariadb_root_is_not_required(pillar):
    pillar["passwords"].pop("mariadb_root", None)
    assert openstack_pillar.validate(pillar)["region"] == "RegionOne"


@pytest.mark.parametrize("name, _", openstack_pillar.REQUIRED_PASSWORDS)
def test_every_required_password_is_checked(pillar, name, _):
    del pillar["passwords"][name]
    assert problems_of(pillar) == ["openstack:passwords:{}: missing or empty".format(name)]


@pytest.mark.parametrize("value", ["", None])
def test_an_empty_memcache_secret_key_is_refused(pillar, value):
    """keystonemiddleware refuses ENCRYPT without a key: every API would fail."""
    pillar["passwords"]["memcache_secret_key"] = value
    assert problems_of(pillar) == ["openstack:passwords:memcache_secret_key: missing or empty"]


# -- through Salt -------------------------------------------------------------


def test_through_the_salt_loader(loaders, pillar):
    module = loaders.modules.openstack_pillar
    assert module.validate(pillar)["computes"] == ["compute1", "compute2"]
    assert module.topology(pillar)["controller"]["id"] == "controller"
    pillar["gluster"]["replica"] = 3
    with pytest.raises(CommandExecutionError, match="openstack:gluster:replica: 3 is larger"):
        module.validate(pillar)


#: The _utils files openstack_pillar imports (the validator's mixins
#: through the validator).
MODEL_FILES = ("saltext_openstack_model", "saltext_openstack_model_validator",
               "saltext_openstack_model_network", "saltext_openstack_model_services",
               "saltext_openstack_model_storage",
               "saltext_openstack_cloud", "saltext_openstack_cloud_network",
               "saltext_openstack_cloud_image")


PUBLIC_FUNCTIONS = sorted((
    "validate", "topology", "host_map", "password_limits", "hosts_entries", "role_secrets",
    "host_roles", "allowed_secrets", "narrow_secrets", "endpoints", "console", "tls_request",
    "secrets_filter_ready"))


@pytest.mark.parametrize("role", ["minion", "master"])
def test_the_synced_module_uses_the_synced_validator(tmp_path, pillar, role):
    """
    saltutil.sync_all puts _modules/ in extmods/modules and _utils/ in
    extmods/utils; Salt's loader loads the synced openstack_pillar, which
    imports the synced validator and its mixins: on a minion, and on the
    master (the orchestration renders with it, the openstack_secrets
    ext_pillar calls it through __salt__).
    """
    opts = make_minion_opts(tmp_path / "root", "synced", tmp_path / "pillar")
    if role == "master":
        opts = dict(salt.config.master_config(None), **{
            key: opts[key] for key in ("root_dir", "cachedir", "extension_modules", "pki_dir",
                                       "sock_dir", "file_roots", "pillar_roots")})
    extmods = synced(opts, ["openstack_pillar"], MODEL_FILES)
    with contextlib.ExitStack() as fresh_job:
        for name in MODEL_FILES:
            fresh_job.enter_context(forgotten(name))
        mods = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
        assert mods.file_mapping["openstack_pillar"][0] == str(extmods / "modules" / "openstack_pillar.py")
        imported = loaded_globals(mods, "openstack_pillar")["validator"]
        assert imported.__file__ == str(extmods / "utils" / "saltext_openstack_model_validator.py")
        model = imported.model
        for mixin in (imported.network, imported.services, model, model.cloud_plan,
                      model.cloud_network, model.cloud_image):
            assert pathlib.Path(mixin.__file__).parent == extmods / "utils"
        assert mods["openstack_pillar.validate"](pillar)["computes"] == ["compute1", "compute2"]
        # What the orchestrations' hostmap.jinja calls on the master.
        assert mods["openstack_pillar.host_map"](pillar)["brick_hosts"] == ["compute1", "compute2"]
        # Only its own functions: nothing of _utils became a CLI function.
        assert sorted(fun for fun in mods if fun.startswith("openstack_pillar.")) == [
            "openstack_pillar." + name for name in PUBLIC_FUNCTIONS]


def test_salt_call_refuses_a_bad_pillar(tmp_path):
    pillar_root = tmp_path / "pillar"
    pillar_root.mkdir()
    (pillar_root / "top.sls").write_text("base:\n  '*':\n    - openstack\n")
    bad = EXAMPLE_PILLAR.read_text().replace(
        "address: 192.168.56.21", "address: 10.0.0.300"
    )
    assert bad != EXAMPLE_PILLAR.read_text()
    (pillar_root / "openstack.sls").write_text(bad)
    config_dir = write_local_minion_config(tmp_path / "conf", tmp_path / "root", "pillar-test-minion",
                                           pillar_roots={"base": [str(pillar_root)]})
    salt_call = pathlib.Path(sys.executable).parent / "salt-call"
    proc = subprocess.run(
        [str(salt_call), "--local", "--config-dir", str(config_dir),
         "--pillar-root", str(pillar_root), "--out", "json", "openstack_pillar.validate"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "Invalid pillar:" in output
    assert "openstack:hosts:compute1:address: '10.0.0.300' is not a valid IP address" in output
    assert "example-nova" not in output


def test_the_firewall_takes_the_api_ports_from_the_model_alone():
    """One source for the catalog's ports: firewall/defaults.yaml lists
    none of them (firewall/init.sls adds the model's endpoints, plain and
    public); tests/render checks what the controller's ruleset opens."""
    defaults = yaml.safe_load((REPO_ROOT / "salt" / "firewall" / "defaults.yaml").read_text())
    listed = set()
    for role in defaults["firewall"]["ports"].values():
        for where in role.values():
            listed.update(where.get("tcp", []))
    api_ports = {port for api in openstack_pillar.API_ENDPOINTS.values()
                 for port in (api.port, api.public_port)}
    assert not listed & api_ports, sorted(listed & api_ports)


# -- Cinder backends and Ceph (issue 15) --------------------------------------

FSID = "a7f64266-0894-4f1e-a635-d0aeaca0e993"
# A cephx key as `ceph auth get-key` prints one: type 1 (AES), created,
# length 16, then 16 random bytes; base64, 40 characters.
CEPHX_KEY = "AQDJQ2yZK53MHhAA6Z+gxABOLED1xlX6h9XE4g=="


def with_rbd(data, **backend):
    """The pillar with an lvm and an rbd backend on an existing Ceph."""
    data["cinder"]["backends"] = [{"name": "lvm", "type": "lvm"},
                                  dict({"name": "ceph", "type": "rbd"}, **backend)]
    data["ceph"] = {"fsid": FSID, "monitors": ["192.0.2.5", "192.0.2.6:6789"]}
    data["passwords"]["ceph_cinder_key"] = CEPHX_KEY
    return data


def test_rbd_backend_model(pillar):
    model = openstack_pillar.validate(with_rbd(pillar))
    secret = saltext_openstack_model.libvirt_secret_uuid(FSID, "cinder")
    assert model["cinder"]["backends"] == [
        {"name": "lvm", "type": "lvm", "volume_type": "lvm", "volume_group": "cinder-volumes",
         "lvm_type": "auto", "backend_name": "LVM"},
        {"name": "ceph", "type": "rbd", "volume_type": "ceph", "pool": "volumes", "user": "cinder",
         "backend_name": "ceph", "ceph_conf": "/etc/ceph/ceph.conf", "secret_uuid": secret}]
    assert model["cinder"]["default_volume_type"] == "lvm"
    assert model["ceph"] == {
        "fsid": FSID, "monitors": ["192.0.2.5", "192.0.2.6:6789"],
        "mon_host": "192.0.2.5,192.0.2.6:6789", "conf": "/etc/ceph/ceph.conf",
        "user": "cinder", "keyring": "/etc/ceph/ceph.client.cinder.keyring",
        "libvirt_secret_uuid": secret}
    assert CEPHX_KEY not in json.dumps(model)


def test_cinder_rbd_says_whether_a_backend_is_of_type_rbd(pillar):
    """cinder:rbd, what the formulas test for the Ceph client side: lvm
    only false, lvm and rbd true, rbd only true; openstack:ceph given
    without an rbd backend (ceph set, its user None) false."""
    lvm = copy.deepcopy(pillar)
    lvm["cinder"]["backends"] = [{"name": "lvm", "type": "lvm"},
                                 {"name": "slow", "type": "lvm", "volume_group": "vg1"}]
    assert openstack_pillar.validate(lvm)["cinder"]["rbd"] is False
    assert openstack_pillar.validate(copy.deepcopy(pillar))["cinder"]["rbd"] is False
    both = with_rbd(copy.deepcopy(pillar))
    assert openstack_pillar.validate(copy.deepcopy(both))["cinder"]["rbd"] is True
    both["cinder"]["backends"] = both["cinder"]["backends"][1:]
    assert openstack_pillar.validate(both)["cinder"]["rbd"] is True
    pillar["ceph"] = {"fsid": FSID, "monitors": ["192.0.2.5"]}
    model = openstack_pillar.validate(pillar)
    assert model["ceph"] is not None and model["cinder"]["rbd"] is False


def test_libvirt_secret_uuid_is_stable_and_can_be_given(pillar):
    secret = openstack_pillar.validate(with_rbd(copy.deepcopy(pillar)))["ceph"]["libvirt_secret_uuid"]
    assert secret == "a5f237b0-bbf4-5bac-9040-ea6db55c0513"  # uuid5(fsid, "client.cinder")
    other = openstack_pillar.validate(with_rbd(copy.deepcopy(pillar), user="volumes"))
    assert other["ceph"]["libvirt_secret_uuid"] != secret
    given = with_rbd(pillar)
    given["ceph"]["libvirt_secret_uuid"] = "457EB676-33DA-42EC-9A8C-9293D545C337"
    model = openstack_pillar.validate(given)
    assert model["ceph"]["libvirt_secret_uuid"] == "457eb676-33da-42ec-9a8c-9293d545c337"
    assert model["cinder"]["backends"][1]["secret_uuid"] == model["ceph"]["libvirt_secret_uuid"]


def test_top_level_lvm_keys_are_the_lvm_backends(pillar):
    pillar["cinder"].update(volume_group="vg0", lvm_type="thin")
    pillar["cinder"]["backends"] = [{"name": "fast", "type": "lvm"},
                                    {"name": "slow", "type": "lvm", "volume_group": "vg1",
                                     "lvm_type": "default"}]
    assert openstack_pillar.validate(pillar)["cinder"]["backends"] == [
        {"name": "fast", "type": "lvm", "volume_type": "fast", "volume_group": "vg0",
         "lvm_type": "thin", "backend_name": "fast"},
        {"name": "slow", "type": "lvm", "volume_type": "slow", "volume_group": "vg1",
         "lvm_type": "default", "backend_name": "slow"}]


def test_volume_types_can_be_named_and_one_made_the_default(pillar):
    data = with_rbd(pillar, volume_type="ceph.ssd")
    data["cinder"]["backends"][0]["volume_type"] = "standard"
    data["cinder"]["default_volume_type"] = "ceph.ssd"
    cinder = openstack_pillar.validate(data)["cinder"]
    assert [(b["name"], b["volume_type"]) for b in cinder["backends"]] == [
        ("lvm", "standard"), ("ceph", "ceph.ssd")]
    assert cinder["default_volume_type"] == "ceph.ssd"


def test_rbd_only_needs_no_volume_group_and_ceph_alone_is_accepted(pillar):
    data = with_rbd(copy.deepcopy(pillar))
    data["cinder"]["backends"] = data["cinder"]["backends"][1:]
    assert [b["type"] for b in openstack_pillar.validate(data)["cinder"]["backends"]] == ["rbd"]
    pillar["ceph"] = {"fsid": FSID, "monitors": ["192.0.2.5"]}
    model = openstack_pillar.validate(pillar)  # no rbd backend: no key needed
    assert model["ceph"]["user"] is None and model["ceph"]["keyring"] is None


def test_the_cephx_key_is_required_only_where_a_role_uses_it(pillar):
    data = with_rbd(pillar)
    del data["passwords"]["ceph_cinder_key"]
    gateway = saltext_openstack_model_validator.Validator(
        data, set(openstack_pillar.allowed_secrets(["gateway"])), "gateway")
    assert gateway.run()["ceph"]["user"] == "cinder"
    compute = saltext_openstack_model_validator.Validator(
        data, set(openstack_pillar.allowed_secrets(["compute"])), "compute1")
    with pytest.raises(CommandExecutionError, match="passwords:ceph_cinder_key: missing"):
        compute.run()


def test_the_cephx_key_goes_to_controller_and_computes_only(pillar):
    data = with_rbd(pillar)
    assert "ceph_cinder_key" in openstack_pillar.narrow_secrets(data, "controller")["passwords"]
    assert "ceph_cinder_key" in openstack_pillar.narrow_secrets(data, "compute1")["passwords"]
    assert "ceph_cinder_key" not in openstack_pillar.narrow_secrets(data, "gateway")["passwords"]


def rbd_bad(case_id, where, value, fragment, key=None, **backend):
    """A refused pillar with an rbd backend: see :func:`bad`."""
    def apply(data):
        with_rbd(data, **backend)
        edit(data, where, value)
    return pytest.param(apply, "openstack:" + (where if key is None else key), fragment,
                        id=case_id)


def _drop(name):
    return lambda data: data.pop(name)


B = "cinder:backends"
CEPH_CASES = [
    rbd_bad("backends-not-list", B, {"lvm": {"type": "lvm"}}, "must be a list, got a mapping"),
    rbd_bad("backends-empty", B, [], "empty: give at least one backend"),
    rbd_bad("backend-not-mapping", B + ":1", "rbd", "must be a mapping with name and type"),
    rbd_bad("backend-type-unknown", B + ":1:type", "nfs", "'nfs' is not one of lvm, rbd"),
    rbd_bad("backend-type-missing", B + ":1:type", DELETE, "missing or empty"),
    rbd_bad("backend-name-missing", B + ":1:name", DELETE, "missing or empty"),
    rbd_bad("backend-name-twice", B + ":1:name", "LVM",
            "is the name of openstack:cinder:backends:0 too"),
    rbd_bad("backend-name-section", B + ":1:name", "DEFAULT", "a section cinder.conf has"),
    rbd_bad("backend-name-ini", B + ":1:name", "ceph]\nvolume_driver = x", "not a valid backend name"),
    rbd_bad("backend-name-shell", B + ":1:name", "ceph;reboot", "not a valid backend name"),
    rbd_bad("backend-name-space", B + ":1:name", "my ceph", "not a valid backend name"),
    rbd_bad("backend-name-dash", B + ":1:name", "-ceph", "not a valid backend name"),
    rbd_bad("backend-key-typo", B + ":1:pol", "volumes", "did you mean 'pool'?"),
    rbd_bad("volume-type-twice", B + ":1:volume_type", "LVM",
            "is the volume type of openstack:cinder:backends:0 too"),
    rbd_bad("volume-type-is-other-name", B + ":0:volume_type", "ceph",
            "is the volume type of openstack:cinder:backends:0 too", key=B + ":1:volume_type"),
    rbd_bad("volume-type-cinders-own", B + ":1:volume_type", "__default__",
            "the type Cinder makes for itself"),
    rbd_bad("volume-type-shell", B + ":1:volume_type", "ceph;reboot",
            "not a valid volume type name"),
    rbd_bad("volume-type-space", B + ":1:volume_type", "fast ceph",
            "not a valid volume type name"),
    rbd_bad("volume-type-dot", B + ":1:volume_type", ".ceph", "not a valid volume type name"),
    rbd_bad("volume-type-not-string", B + ":1:volume_type", 7, "must be a string"),
    rbd_bad("default-volume-type-unknown", "cinder:default_volume_type", "gold",
            "'gold' is not the volume type of a backend of openstack:cinder:backends "
            "(lvm, ceph)"),
    rbd_bad("default-volume-type-is-a-name", None, lambda d: d["cinder"].update(
        default_volume_type="ceph", backends=[{"name": "lvm", "type": "lvm"}, {
            "name": "ceph", "type": "rbd", "volume_type": "rbd"}]),
            "'ceph' is not the volume type of a backend", key="cinder:default_volume_type"),
    rbd_bad("default-volume-type-typo", None, lambda d: d["cinder"].update(
        default_volum_type="lvm"), "did you mean 'default_volume_type'?",
            key="cinder:default_volum_type"),
    rbd_bad("backend-lvm-key-on-rbd", B + ":1:volume_group", "vg", "not a key of an rbd backend"),
    rbd_bad("backend-rbd-key-on-lvm", B + ":0:pool", "volumes", "not a key of an lvm backend"),
    rbd_bad("backend-volume-group", B + ":0:volume_group", "-vg", "not a valid LVM volume group"),
    rbd_bad("backend-volume-group-twice", B,
            [{"name": "a", "type": "lvm"}, {"name": "b", "type": "lvm"}],
            "'cinder-volumes' is the volume group of openstack:cinder:backends:0 too",
            key=B + ":1:volume_group"),
    rbd_bad("backend-pool-invalid", B + ":1:pool", "vol/umes", "not a valid Ceph pool name"),
    rbd_bad("backend-user-invalid", B + ":1:user", "cin der", "not a valid cephx user id"),
    rbd_bad("backend-user-entity", B + ":1:user", "client.cinder", "without 'client.'"),
    rbd_bad("backend-users-differ", None,
            lambda d: d["cinder"]["backends"].append({"name": "c2", "type": "rbd", "user": "x"}),
            "the rbd backends use the Ceph users cinder, x", key=B),
    rbd_bad("ceph-missing", None, _drop("ceph"), "missing: the rbd backend 'ceph' needs",
            key="ceph"),
    rbd_bad("ceph-not-mapping", "ceph", ["192.0.2.5"], "must be a mapping, got a list"),
    rbd_bad("ceph-key-typo", None, lambda d: d["ceph"].update(fisd=d["ceph"].pop("fsid")),
            "did you mean 'fsid'?", key="ceph:fisd"),
    rbd_bad("fsid-missing", "ceph:fsid", DELETE, "missing or empty"),
    rbd_bad("fsid-bad", "ceph:fsid", "a7f64266-0894-4f1e-a635", "is not a UUID"),
    rbd_bad("fsid-braces", "ceph:fsid", "{" + FSID + "}", "is not a UUID"),
    rbd_bad("fsid-not-string", "ceph:fsid", 12, "is not a UUID"),
    rbd_bad("secret-uuid-bad", "ceph:libvirt_secret_uuid", "secret", "is not a UUID"),
    rbd_bad("monitors-missing", "ceph:monitors", DELETE, "missing or empty"),
    rbd_bad("monitors-empty", "ceph:monitors", [], "empty: give the monitors' addresses"),
    rbd_bad("monitors-not-list", "ceph:monitors", "192.0.2.5", "must be a list"),
    rbd_bad("monitor-invalid", "ceph:monitors:0", "192.0.2.300", "is not a valid IP address"),
    rbd_bad("monitor-short", "ceph:monitors:0", "192.0.2", "is not a valid IP address"),
    rbd_bad("monitor-name", "ceph:monitors:0", "mon1.cloud.test", "is not a valid IP address"),
    rbd_bad("monitor-ipv6", "ceph:monitors:0", "2001:db8::5", "IPv6 addresses"),
    rbd_bad("monitor-msgr2-vector", "ceph:monitors:0", "[v2:192.0.2.5:3300,v1:192.0.2.5:6789]",
            "msgr2 address vectors are not supported"),
    rbd_bad("monitor-port", "ceph:monitors:1", "192.0.2.6:67890", "has no valid port"),
    rbd_bad("monitor-port-empty", "ceph:monitors:1", "192.0.2.6:", "has no valid port"),
    rbd_bad("monitor-not-string", "ceph:monitors:0", 3232235525, "got a number"),
    rbd_bad("monitor-twice", "ceph:monitors:1", "192.0.2.5", "is listed twice"),
    rbd_bad("cephx-key-missing", "passwords:ceph_cinder_key", DELETE, "missing or empty"),
    rbd_bad("cephx-key-not-base64", "passwords:ceph_cinder_key", "AQ" + "!" * 38,
            "is not a cephx key"),
    rbd_bad("cephx-key-short", "passwords:ceph_cinder_key", CEPHX_KEY[:-8] + "====",
            "is not a cephx key"),
    rbd_bad("cephx-key-not-aes", "passwords:ceph_cinder_key", "AA" + CEPHX_KEY[2:],
            "is not a cephx key"),
    rbd_bad("cephx-key-a-password", "passwords:ceph_cinder_key", "example-ceph-cinder",
            "is not a cephx key (40 characters of base64"),
    rbd_bad("cephx-key-number", "passwords:ceph_cinder_key", 12, "quote it"),
    rbd_bad("cephx-key-whitespace", "passwords:ceph_cinder_key", CEPHX_KEY + "\n",
            "surrounding whitespace"),
    rbd_bad("cephx-key-typo", None, lambda d: d["passwords"].update(
        ceph_cindr_key=d["passwords"].pop("ceph_cinder_key")),
            "did you mean 'ceph_cinder_key'?", key="passwords:ceph_cindr_key"),
]


@pytest.mark.parametrize("apply, key, fragment", CEPH_CASES)
def test_bad_backend_or_ceph_is_refused_naming_the_key(pillar, apply, key, fragment):
    apply(pillar)
    assert_problem(pillar, key, fragment)


def test_the_default_lvm_backend_keeps_the_drivers_backend_name(pillar):
    """cinder.conf's volume_backend_name (backend_name): the backend's name,
    but LVM for the lvm backend named lvm, which is what Cinder's LVM driver
    called the one default section before it had a name: the volumes of a
    cloud deployed then keep their pool (host@lvm#LVM)."""
    pillar["cinder"]["backends"] = [{"name": "lvm", "type": "lvm"},
                                    {"name": "lvm2", "type": "lvm", "volume_group": "vg2"}]
    backends = openstack_pillar.validate(pillar)["cinder"]["backends"]
    assert [backend["backend_name"] for backend in backends] == ["LVM", "lvm2"]
    assert [backend["volume_type"] for backend in backends] == ["lvm", "lvm2"]
