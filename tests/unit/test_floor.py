"""
cluster/floor.py, issue 14's package floor: what each machine installs,
read from its highstate, and the floor against the cold orchestration in
bench/results/cluster.json (cluster/results.py; bench/cluster_timings.py
prints it).

data/floor/lowstate.json is the real ``salt --out=json --static '*'
state.show_lowstate`` of the LXC test cluster's four machines (each one's
first two non-package chunks kept, and every package chunk).
"""
import json
import pathlib
import subprocess
import sys

import pytest
from source_module import load

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = pathlib.Path(__file__).resolve().parent / "data" / "floor"
FLOOR = REPO / "cluster" / "floor.py"
RESULTS = REPO / "cluster" / "results.py"
sys.path.insert(0, str(REPO / "cluster"))
floor = load("cluster/floor.py", "floor_under_test")
results = load("cluster/results.py", "results_under_test")
timings = load("bench/cluster_timings.py", "cluster_timings_under_test")


def _lowstate():
    return json.loads((DATA / "lowstate.json").read_text())


def test_each_role_installs_what_its_formulas_name():
    found = floor.packages(_lowstate())
    assert sorted(found) == ["compute1", "compute2", "controller", "gateway"]
    assert {"keystone", "mariadb-server", "rabbitmq-server", "nova-api", "ovn-central",
            "cinder-volume", "glance-api", "placement-api", "neutron-api"} <= set(found["controller"])
    assert {"nova-compute", "libvirt-daemon-system", "glusterfs-server", "ovn-host",
            "neutron-ovn-metadata-agent"} <= set(found["compute1"])
    assert {"nova-consoleproxy", "openstack-dashboard-apache", "ovn-host"} <= set(found["gateway"])
    # the computes' OpenStack services are not the gateway's, nor the controller's
    assert "nova-compute" not in found["controller"] + found["gateway"]
    assert "keystone" not in found["compute1"] + found["gateway"]
    assert found["compute1"] == found["compute2"]
    for names in found.values():
        assert names == sorted(set(names))


def test_a_state_without_pkgs_gives_its_name_and_other_states_nothing():
    found = floor.packages(_lowstate())
    # tls-proxy-package: pkg.installed with a name and no pkgs
    assert "haproxy" in found["controller"]
    # the host states' names are addresses, never packages
    assert not [n for names in found.values() for n in names if n[0].isdigit()]


def test_pinned_versions_and_pkg_latest_count_and_removals_do_not():
    lowstate = {"m": [
        {"state": "pkg", "fun": "installed", "name": "x", "pkgs": ["a", {"b": "1.2-1"}]},
        {"state": "pkg", "fun": "latest", "name": "c"},
        {"state": "pkg", "fun": "removed", "name": "d"},
        {"state": "pkg", "fun": "purged", "name": "e", "pkgs": ["f"]},
        {"state": "pkgrepo", "fun": "managed", "name": "g"},
    ]}
    assert floor.packages(lowstate) == {"m": ["a", "b", "c"]}


@pytest.mark.parametrize("answer", [
    ["Rendering SLS 'base:nova.compute' failed: Jinja variable 'x' is undefined"],
    "Minion did not return. [No response]",
])
def test_a_minion_whose_highstate_did_not_render_is_named(answer):
    lowstate = _lowstate()
    lowstate["compute2"] = answer
    with pytest.raises(ValueError, match=r"^compute2: its highstate did not render: .*"
                                         r"(Jinja variable|did not return)"):
        floor.packages(lowstate)


@pytest.mark.parametrize("lowstate", [{}, [], None])
def test_no_answer_at_all_is_refused(lowstate):
    with pytest.raises(ValueError, match="no minion answered"):
        floor.packages(lowstate)


def test_the_document_holds_the_floor_the_cold_run_and_their_ratio():
    doc = floor.document({"a": ["x", "y"], "b": ["x"]}, {"a": 100.04, "b": 80.0}, 101.26, 303.8,
                         date="2026-12-04T00:00:00Z")
    assert doc == {"date": "2026-12-04T00:00:00Z", "floor_s": 101.3, "orchestrate_cold_s": 303.8,
                   "ratio": 3.0, "goal_ratio": 1.3, "attempts": 1,
                   "hosts": {"a": {"packages": 2, "apt_s": 100.0}, "b": {"packages": 1, "apt_s": 80.0}}}
    assert floor.document({"a": ["x"]}, {"a": 0.0}, 0.0, 10)["ratio"] is None
    rows = [{"host": "a", "state": "s", "function": "pkg.installed", "step": "x", "seconds": 9.0}]
    assert floor.document({"a": ["x"]}, {"a": 1.0}, 1.0, 2.0, 2, rows)["profile"] == rows


def test_a_machine_timed_without_its_package_list_is_refused():
    """A missing or empty MINION.pkgs would have timed an apt-get of
    nothing: no floor is recorded from it."""
    with pytest.raises(ValueError, match="^b: timed, but no package list"):
        floor.document({"a": ["x"], "b": []}, {"a": 1.0, "b": 1.0}, 1.0, 2.0)
    with pytest.raises(ValueError, match="^b: timed, but no package list"):
        floor.document({"a": ["x"]}, {"a": 1.0, "b": 1.0}, 1.0, 2.0)


def test_every_machine_named_must_answer_with_packages():
    lowstate = _lowstate()
    assert set(floor.packages(lowstate, ["controller", "gateway"])) == set(lowstate)
    with pytest.raises(ValueError, match="^compute3: did not answer state.show_lowstate"):
        floor.packages(lowstate, ["controller", "compute3"])
    lowstate["gateway"] = [c for c in lowstate["gateway"] if c["state"] != "pkg"]
    with pytest.raises(ValueError, match="^gateway: no package state in its highstate"):
        floor.packages(lowstate, ["gateway"])


def _run(*args):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          check=False, cwd=REPO)


def test_the_command_writes_each_machines_list_then_records_into_the_results(tmp_path):
    out = tmp_path / "floor"
    proc = _run(FLOOR, "packages", DATA / "lowstate.json", out, "controller", "compute1")
    assert proc.returncode == 0, proc.stderr
    assert "controller: 27 packages" in proc.stdout
    assert (out / "gateway.pkgs").read_text().splitlines() == floor.packages(_lowstate())["gateway"]
    for name, secs in (("controller", "250.5"), ("gateway", "90.0"), ("compute1", "200.1"),
                       ("compute2", "201.9"), ("wall", "252.0"),
                       # the warming's times (cluster/run floor_on_machines warm): no minion's
                       ("controller.warm", "40.0"), ("compute1.warm", "30.0")):
        (out / f"{name}.seconds").write_text(secs + "\n")
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"phases_s": {"orchestrate_cold": 840.8}, "profile": {}}))
    # the floor's run keeps its cold orchestration's profile in the directory
    rows = [{"host": "controller", "state": "glance-packages", "function": "pkg.installed",
             "step": "openstack-controller", "seconds": 155.1}]
    results.set_profile(out / "profile.json", floor.PROFILE, rows)
    proc = _run(FLOOR, "record", path, out, "819.0", "2")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(path.read_text())
    assert doc["phases_s"] == {"orchestrate_cold": 840.8} and doc["profile"] == {}
    assert doc["floor"]["floor_s"] == 252.0 and doc["floor"]["ratio"] == 3.25
    assert doc["floor"]["hosts"]["controller"] == {"packages": 27, "apt_s": 250.5}
    assert sorted(doc["floor"]["hosts"]) == ["compute1", "compute2", "controller", "gateway"]
    assert doc["floor"]["attempts"] == 2 and doc["floor"]["profile"] == rows
    # printed by make bench, with the goal's verdict
    proc = _run(REPO / "bench" / "cluster_timings.py", path)
    assert proc.returncode == 0, proc.stderr
    assert "package floor (" in proc.stdout
    assert "819.0s (2 attempts)" in proc.stdout
    assert "profile of that cold orchestration: its 1 slowest states" in proc.stdout
    assert "glance-packages" in proc.stdout
    assert "cold orchestration / package floor     <=   1.3 x    3.25 x: missed" in proc.stdout


def test_record_refuses_a_directory_without_timings(tmp_path):
    (tmp_path / "wall.seconds").write_text("1.0\n")
    proc = _run(FLOOR, "record", tmp_path / "cluster.json", tmp_path, "10")
    assert proc.returncode == 2
    assert "no MINION.seconds file" in proc.stderr
    assert not (tmp_path / "cluster.json").exists()


def test_a_new_cluster_run_keeps_the_floor_alone(tmp_path):
    path = tmp_path / "cluster.json"
    path.write_text(json.dumps({"phases_s": {"total": 1}, "memory_mib": {}, "floor": {"ratio": 3.0}}))
    assert _run(RESULTS, "reset", path).returncode == 0
    assert json.loads(path.read_text()) == {"floor": {"ratio": 3.0}}
    path.write_text(json.dumps({"phases_s": {"total": 1}}))
    assert _run(RESULTS, "reset", path).returncode == 0
    assert not path.exists()
    assert _run(RESULTS, "reset", path).returncode == 0  # nothing to reset


def test_make_bench_says_when_the_floor_was_not_measured():
    assert timings.floor_lines(None) == ["package floor: not measured (make bench-floor)"]
    lines = timings.goal_lines({"phases_s": {}})
    assert any("cold orchestration / package floor" in line and "not measured" in line for line in lines)
