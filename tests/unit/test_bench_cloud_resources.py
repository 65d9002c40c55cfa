"""
bench/cloud_resources.py, the cloud-resources benchmark (issue 12): the CLI
loop it builds from the validated model (the shape of the formulas before
the openstack_cloud states), its rule matching on ``openstack security
group show -f json`` documents, and where its figures are kept and
printed (cluster/results.py, bench/cluster_timings.py).  The timings
themselves come from the test cluster.
"""
import copy
import json
import pathlib
import subprocess

import pytest
import yaml
from saltext_openstack._modules import openstack_pillar
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
bench = load("bench/cloud_resources.py", "cloud_resources_under_test")
results = load("cluster/results.py", "results_for_bench_under_test")
timings = load("bench/cluster_timings.py", "cluster_timings_under_test")
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())


def _model(**cloud):
    data = copy.deepcopy(EXAMPLE["openstack"])
    data.update(cloud)
    topo = openstack_pillar.validate(data)
    return {key: topo[key] for key in ("flavors", "networks", "security_groups")}


@pytest.fixture(scope="module")
def model():
    return _model(
        flavors={"m1.nano": {"vcpus": 1, "ram": 128, "disk": 1},
                 "m1.pinned": {"vcpus": 2, "ram": 4096, "disk": 20, "swap": 512, "public": False,
                               "description": "it's pinned",
                               "extra_specs": {"hw:cpu_policy": "dedicated"}}},
        security_groups={
            "default": {"rules": [{"protocol": "icmp"}, {"protocol": "tcp", "port": 22}]},
            "web": {"description": "HTTP in",
                    "rules": [{"protocol": "tcp", "port": 80}, {"protocol": "icmp", "icmp_type": 8},
                              {"protocol": "tcp", "port": 5432, "remote_group": "web"}]},
        },
    )  # fmt: skip


def test_the_loop_is_valid_bash_and_each_line_checks_before_it_creates(model):
    lines = bench.cli_lines(model)
    script = "\n".join(lines)
    subprocess.run(["bash", "-n", "-c", script], check=True)
    assert all(" || " in line for line in lines)
    # flavors 2, networks 2, subnets 2, router 1, group web 1, rules 5
    assert len(lines) == 13
    assert bench.cli_resources(model) == 13


def test_flavors_carry_every_field_of_the_model(model):
    pinned = next(line for line in bench.cli_lines(model) if "m1.pinned" in line)
    for part in ("--vcpus 2", "--ram 4096", "--disk 20", "--swap 512", "--private",
                 "--description 'it'\"'\"'s pinned'", "--property hw:cpu_policy=dedicated"):
        assert part in pinned
    nano = next(line for line in bench.cli_lines(model) if "m1.nano" in line)
    assert "--public" in nano and "--property" not in nano


def test_networks_subnets_and_router_follow_the_model(model):
    lines = bench.cli_lines(model)
    p = model["networks"]["provider"]
    provider = next(line for line in lines if line.startswith(f"openstack network show {p['name']} "))
    assert "--external" in provider and "--provider-network-type flat" in provider
    assert f"--provider-physical-network {p['physical_network']}" in provider
    subnet = next(line for line in lines if line.startswith(f"openstack subnet show {p['name']} "))
    assert f"--allocation-pool start={p['allocation_start']},end={p['allocation_end']}" in subnet
    assert f"--subnet-range {p['cidr']}" in subnet
    router = next(line for line in lines if "router create" in line)
    assert router.index("router show") < router.index("router create")


def test_rules_map_to_the_cli_options(model):
    lines = [line for line in bench.cli_lines(model) if "rule create" in line]
    assert len(lines) == 5
    icmp_type = next(line for line in lines if "--icmp-type" in line)
    assert "--icmp-type 8" in icmp_type and "--dst-port" not in icmp_type
    ssh = next(line for line in lines if "--dst-port 22:22" in line)
    assert "--ingress" in ssh and "--ethertype IPv4" in ssh
    remote = next(line for line in lines if "5432" in line)
    assert "--remote-group" in remote and "--remote-ip" not in remote


def _group(*rules):
    """An ``openstack security group show -f json`` document (its rules
    without the empty fields, as the CLI prints them)."""
    return {"name": "default",
            "rules": [dict({"id": f"r{i}"}, **rule) for i, rule in enumerate(rules)]}


@pytest.mark.parametrize(
    "have, found",
    [
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
          "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "0.0.0.0/0"}, True),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
          "port_range_min": 22, "port_range_max": 22}, True),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "6",
          "port_range_min": 22, "port_range_max": 22}, True),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
          "port_range_min": 23, "port_range_max": 23}, False),
        ({"direction": "egress", "ethertype": "IPv4", "protocol": "tcp",
          "port_range_min": 22, "port_range_max": 22}, False),
        ({"direction": "ingress", "ethertype": "IPv4", "protocol": "tcp",
          "port_range_min": 22, "port_range_max": 22, "remote_ip_prefix": "10.0.0.0/8"}, False),
    ],
)  # fmt: skip
def test_a_rule_is_found_only_when_the_group_holds_it(model, have, found):
    ssh = model["security_groups"]["default"]["rules"][1]
    assert bench.group_has_rule(_group(have), ssh) is found


def test_the_helpers_answer_through_stdin(model):
    icmp = model["security_groups"]["default"]["rules"][0]
    doc = json.dumps(_group({"direction": "egress", "ethertype": "IPv4"},
                            {"direction": "ingress", "ethertype": "IPv4", "protocol": "icmp"}))
    script = str(REPO / "bench" / "cloud_resources.py")
    rule = json.dumps(icmp)
    assert subprocess.run(["python3", script, "match-rule", rule], input=doc, text=True).returncode == 0
    ids = subprocess.run(["python3", script, "rule-ids", rule], input=doc, text=True,
                         capture_output=True, check=True).stdout.split()
    assert ids == ["r1"]
    empty = json.dumps(_group())
    assert subprocess.run(["python3", script, "match-rule", rule], input=empty, text=True).returncode == 1


def test_cleanup_removes_the_router_before_its_networks(model):
    lines = bench.cleanup_lines(model)
    subprocess.run(["bash", "-n", "-c", "\n".join(lines)], check=True)
    delete = next(i for i, line in enumerate(lines) if line.startswith("openstack network delete"))
    assert all(i < delete for i, line in enumerate(lines) if "router" in line)
    assert any("security group delete" in line for line in lines)  # web, not default
    assert not any("security group delete" in line and "default" in line for line in lines)


BENCH = {"resources": 12, "cli_commands": 12, "rounds": 1,
         "runs": {"states": {"cold_s": [9.0], "warm_s": [2.0]}, "cli": {"cold_s": [72.0], "warm_s": [30.0]}},
         "best": {"states": {"cold_s": 9.0, "warm_s": 2.0}, "cli": {"cold_s": 72.0, "warm_s": 30.0}},
         "ratio_cli_to_states": {"cold": 8.0, "warm": 15.0}}  # fmt: skip


def test_the_figures_are_kept_beside_the_phases(tmp_path):
    path = tmp_path / "cluster.json"
    results.set_phases(path, "vm", 2, [("orchestrate_rerun", 90.0)])
    results.set_resources_bench(path, BENCH, date="2026-12-03T18:00:00Z")
    results.set_phases(path, "vm", 2, [("orchestrate_rerun", 91.0)])
    doc = json.loads(path.read_text())
    assert doc["resources_bench"] == dict(BENCH, date="2026-12-03T18:00:00Z")
    with pytest.raises(ValueError):
        results.set_resources_bench(path, {"best": {}})
    lines = timings.resources_lines(doc["resources_bench"])
    assert "12 resources" in lines[0]
    assert lines[2].split() == ["from", "nothing", "(cold)", "9.0s", "72.0s", "8.0x"]
    assert lines[3].split() == ["all", "present", "(warm)", "2.0s", "30.0s", "15.0x"]
    assert timings.resources_lines(None) == ["cloud-resources benchmark: not run (cluster/run bench-resources)"]
