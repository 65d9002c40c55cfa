"""
cloud.flavors, cloud.networks, cloud.security, cloud.quotas and cloud.volume_types as Salt renders them from
the validated model: openstack_cloud states with the pillar's values, no
`openstack` CLI, the credentials of keystone.identity, the requisites that
order them, and nothing of the controller's formulas. Unit tier: the states are only rendered.
"""
import copy
import pathlib

import pytest
import yaml
from minion_opts import pillar_loaders, render_states

from saltext_openstack._utils import saltext_openstack_cloud as cp
from saltext_openstack._utils import saltext_openstack_cloud_network as cn

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
SLS = ("cloud.flavors", "cloud.networks", "cloud.security", "cloud.quotas", "cloud.volume_types",
       "cloud.verify")


def _pillar():
    data = copy.deepcopy(EXAMPLE)
    cloud = data["openstack"]
    cloud["flavors"] = {
        "m1.nano": {"vcpus": 1, "ram": 128, "disk": 1},
        "m1.pinned": {"vcpus": 2, "ram": 4096, "disk": 20, "swap": 512, "public": False,
                      "description": "pinned: 'CPUs' # 2",
                      "extra_specs": {"hw:cpu_policy": "dedicated", "hw:numa_nodes": 1}},
    }  # fmt: skip
    cloud["networks"]["provider"].update(mtu=1500, dns_nameservers=["203.0.113.53"])
    cloud["networks"]["selfservice"]["mtu"] = 1442
    cloud["security_groups"] = {
        "default": {"rules": [{"protocol": "icmp"}, {"protocol": "tcp", "port": 22},
                              {"protocol": "tcp", "port": 5432, "remote_group": "web"}]},
        "web": {"description": "HTTP in", "remove_unlisted": True,
                "rules": [{"protocol": "tcp", "port": 80}, {"direction": "egress"},
                          {"protocol": "icmp", "icmp_type": 8}]},
    }  # fmt: skip
    cloud["quotas"] = {"demo": {"cores": 8, "ram": 8192, "ports": -1}}
    cloud["cinder"]["backends"] = [{"name": "lvm", "type": "lvm"},
                                   {"name": "slow", "type": "lvm", "volume_group": "vg1",
                                    "volume_type": "standard"}]  # fmt: skip
    return data


@pytest.fixture(scope="module")
def states(tmp_path_factory):
    """{state id: {module: [args]}} of the three formulas, rendered on the controller."""
    return render_states(pillar_loaders(tmp_path_factory, "controller", _pillar(), tag="cloud"), SLS)


def _args(states, state_id):
    (module,) = [m for m in states[state_id] if not m.startswith("__")]
    body = states[state_id][module]
    args = {}
    for arg in body:
        if isinstance(arg, dict):
            args.update(arg)
    function = next(arg for arg in body if isinstance(arg, str))
    return f"{module}.{function}", args


def test_no_openstack_cli_left(states):
    cloud = {i: s for i, s in states.items() if s.get("__sls__", "").startswith("cloud.")}
    assert sorted(cloud) == [
        "cloud-flavor-m1.nano", "cloud-flavor-m1.pinned", "cloud-network-provider",
        "cloud-network-selfservice", "cloud-quota-demo", "cloud-router",
        "cloud-security-group-default", "cloud-security-group-web", "cloud-subnet-provider",
        "cloud-subnet-selfservice", "cloud-verify", "cloud-volume-type-lvm",
        "cloud-volume-type-standard",
    ]  # fmt: skip
    assert {_args(states, i)[0].split(".")[0] for i in cloud} == {"openstack_cloud"}


#: The formulas of the orchestration's resources step.
RESOURCES = set(SLS) - {"cloud.volume_types"}


def test_the_controllers_states_are_not_included(tmp_path_factory):
    # The orchestration runs these once the services answer: a rerun must
    # not converge Keystone, Nova and Neutron again just for requisites.
    loaders = pillar_loaders(tmp_path_factory, "controller", _pillar(), tag="cloud-resources")
    states = render_states(loaders, sorted(RESOURCES))
    assert {s.get("__sls__") for s in states.values()} == RESOURCES


def test_volume_types_follow_cinder_api_in_the_controllers_step(states):
    """cinder.conf's default_volume_type names one of the types, and Cinder
    refuses a typeless volume while it is missing: the types are made by the
    controller's highstate and orchestration step (test_orchestrations),
    right after cinder-api."""
    for state_id in ("cloud-volume-type-lvm", "cloud-volume-type-standard"):
        requisites = [a["require"] for a in states[state_id]["openstack_cloud"]
                      if isinstance(a, dict) and "require" in a]  # fmt: skip
        assert requisites == [[{"service": "cinder-service-cinder-api"},
                               {"keystone_init": "keystone-identity"}]], requisites
    assert "cinder-service-cinder-api" in states and "keystone-identity" in states


def test_the_controllers_highstate_makes_the_volume_types(tmp_path_factory):
    loaders = pillar_loaders(tmp_path_factory, "controller", _pillar(), tag="cloud-highstate")
    highstate = render_states(loaders, highstate=True)
    assert {"cloud-volume-type-lvm", "cloud-volume-type-standard"} <= set(highstate)


def test_every_state_logs_in_as_keystone_identitys_admin(states):
    for state_id in (i for i in states if i.startswith("cloud-")):
        _, args = _args(states, state_id)
        assert args["auth_url"] == "http://controller:5000/v3"
        assert (args["username"], args["project_name"]) == ("admin", "admin")
        assert args["password"] == EXAMPLE["openstack"]["passwords"]["admin"]
        assert args["region"] == "RegionOne"


def test_flavors_from_the_model(states):
    function, args = _args(states, "cloud-flavor-m1.pinned")
    assert function == "openstack_cloud.flavor_present"
    assert {k: args[k] for k in ("vcpus", "ram", "disk", "ephemeral", "swap", "public",
                                 "description", "extra_specs")} == {
        "vcpus": 2, "ram": 4096, "disk": 20, "ephemeral": 0, "swap": 512, "public": False,
        "description": "pinned: 'CPUs' # 2",
        "extra_specs": {"hw:cpu_policy": "dedicated", "hw:numa_nodes": "1"},
    }  # fmt: skip
    _, nano = _args(states, "cloud-flavor-m1.nano")
    assert "description" not in nano  # not managed
    assert nano["extra_specs"] == {}  # exactly none


def test_networks_subnets_and_router_from_the_model(states):
    _, provider = _args(states, "cloud-network-provider")
    assert {k: provider[k] for k in ("shared", "external", "provider_network_type",
                                     "provider_physical_network", "mtu")} == {
        "shared": True, "external": True, "provider_network_type": "flat",
        "provider_physical_network": "provider", "mtu": 1500}  # fmt: skip
    _, subnet = _args(states, "cloud-subnet-provider")
    assert subnet["cidr"] == "203.0.113.0/24"
    assert subnet["gateway_ip"] == "203.0.113.1"
    assert subnet["allocation_pools"] == [{"start": "203.0.113.100", "end": "203.0.113.199"}]
    assert subnet["dns_nameservers"] == ["203.0.113.53"]
    assert subnet["require"] == [{"openstack_cloud": "cloud-network-provider"}]
    _, selfservice = _args(states, "cloud-network-selfservice")
    assert (selfservice["shared"], selfservice["external"], selfservice["mtu"]) == (False, False, 1442)
    _, router = _args(states, "cloud-router")
    assert (router["external_network"], router["interfaces"]) == ("provider", ["selfservice"])
    assert router["require"] == [{"openstack_cloud": "cloud-subnet-provider"},
                                 {"openstack_cloud": "cloud-subnet-selfservice"}]  # fmt: skip


@pytest.fixture(scope="module")
def named_states(tmp_path_factory):
    """cloud.networks with the networks' names given in the pillar."""
    data = _pillar()
    data["openstack"]["networks"]["provider"]["name"] = "ext-net"
    data["openstack"]["networks"]["selfservice"]["name"] = "tenant net"
    return render_states(pillar_loaders(tmp_path_factory, "controller", data, tag="cloud-names"),
                         ("cloud.networks",))


def test_network_names_from_the_model(states, named_states):
    """networks:provider:name and networks:selfservice:name name the networks,
    their subnets and the router's ends; their defaults are today's names."""
    def names(rendered):
        return (_args(rendered, "cloud-network-provider")[1]["name"],
                _args(rendered, "cloud-subnet-provider")[1]["name"],
                _args(rendered, "cloud-subnet-provider")[1]["network"],
                _args(rendered, "cloud-network-selfservice")[1]["name"],
                _args(rendered, "cloud-subnet-selfservice")[1]["name"],
                _args(rendered, "cloud-subnet-selfservice")[1]["network"],
                _args(rendered, "cloud-router")[1]["external_network"],
                _args(rendered, "cloud-router")[1]["interfaces"])
    assert names(states) == ("provider",) * 3 + ("selfservice",) * 3 + ("provider", ["selfservice"])
    assert names(named_states) == ("ext-net",) * 3 + ("tenant net",) * 3 + ("ext-net", ["tenant net"])


def test_security_groups_from_the_model(states):
    _, default = _args(states, "cloud-security-group-default")
    assert default["remove_unlisted"] is False
    assert [(r["protocol"], r["port_range_min"], r["remote_group"]) for r in default["rules"]] == [
        ("icmp", None, None), ("tcp", 22, None), ("tcp", 5432, "web")]
    # a group another group's rule names is made first
    assert {"openstack_cloud": "cloud-security-group-web"} in default["require"]
    _, web = _args(states, "cloud-security-group-web")
    assert (web["description"], web["remove_unlisted"]) == ("HTTP in", True)
    assert "require" not in web
    # icmp_type is Neutron's port_range_min, in the form the state takes back as it is
    ping = web["rules"][2]
    assert (ping["protocol"], ping["port_range_min"], ping["port_range_max"]) == ("icmp", 8, None)
    assert [cn.rule_spec(r, "rule") for r in web["rules"]] == web["rules"]


def test_quotas_are_the_validated_limits(states):
    function, args = _args(states, "cloud-quota-demo")
    assert function == "openstack_cloud.quota_present"
    assert {k: args[k] for k in ("name", "cores", "ram", "ports")} == {
        "name": "demo", "cores": 8, "ram": 8192, "ports": -1}
    assert not set(args) & (set(cp.QUOTA_FIELDS) - {"cores", "ram", "ports"})


def test_a_volume_type_per_cinder_backend(states):
    """Each backend's volume_type (default: its name), public, selecting the
    backend by the volume_backend_name cinder.conf gives it."""
    function, lvm = _args(states, "cloud-volume-type-lvm")
    assert function == "openstack_cloud.volume_type_present"
    assert (lvm["name"], lvm["public"], lvm["extra_specs"]) == (
        "lvm", True, {"volume_backend_name": "LVM"})
    _, slow = _args(states, "cloud-volume-type-standard")
    assert (slow["name"], slow["extra_specs"]) == ("standard", {"volume_backend_name": "slow"})
    assert "description" not in slow  # not managed
