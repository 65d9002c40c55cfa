"""
Worker counts as the formulas write them (issue 14: memory).  The test
cluster's pillar (cluster/pillar over pillar/, as its master serves them)
sets ``workers:glance`` and ``workers:rpc`` to 0: glance-api forks no
worker, Neutron runs no RPC worker and neutron-rpc-server is stopped.  On
the RedHat family, where neutron-server runs the RPC workers beside the
API, ``rpc: 0`` only changes neutron.conf.  The example pillar's defaults
are in test_rendered_values.py.

Rendered by Salt's own loader; unit tier: no daemon.
"""
import copy
import pathlib

import pytest
import yaml
from minion_opts import cluster_minion_opts, pillar_loaders, render_states, state_args
from saltfactories.utils.functional import Loaders

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
ROCKY9_GRAINS = {"os": "Rocky", "os_family": "RedHat", "osfullname": "Rocky Linux",
                 "osmajorrelease": 9, "osrelease": "9.4", "oscodename": "Blue Onyx"}
NEUTRON_SERVICES = ("neutron-api", "neutron-rpc-server", "neutron-periodic-workers",
                    "neutron-ovn-maintenance-worker")


@pytest.fixture(scope="module")
def cluster_controller(tmp_path_factory):
    """The controller's highstate with the test cluster's pillar (no overlay)."""
    tmp = tmp_path_factory.mktemp("cluster-controller")
    opts = cluster_minion_opts(tmp, "controller", test=True)
    return render_states(Loaders(opts), highstate=True)


@pytest.fixture(scope="module")
def redhat_no_rpc(tmp_path_factory):
    """The controller's highstate for Rocky 9 with ``workers:rpc: 0``."""
    data = copy.deepcopy(EXAMPLE)
    data["openstack"]["workers"]["rpc"] = 0
    loaders = pillar_loaders(tmp_path_factory, "controller", data, tag="rocky-no-rpc",
                             grains=ROCKY9_GRAINS)
    return render_states(loaders, highstate=True)


def _settings(states, state_id):
    return state_args(states, state_id, "openstack_config")["settings"]


def test_the_cluster_runs_no_neutron_rpc_worker(cluster_controller):
    default = _settings(cluster_controller, "neutron-server-config")["DEFAULT"]
    assert (default["rpc_workers"], default["rpc_state_report_workers"]) == (0, 0)
    assert default["api_workers"] == 1


def test_the_cluster_stops_neutron_rpc_server(cluster_controller):
    body = cluster_controller["neutron-server-service-neutron-rpc-server"]
    assert "dead" in body["service"] and "running" not in body["service"]
    args = state_args(cluster_controller, "neutron-server-service-neutron-rpc-server",
                      "service")
    assert (args["name"], args["enable"]) == ("neutron-rpc-server", False)
    # stopped once its config says rpc_workers = 0, never before
    assert {"openstack_config": "neutron-server-config"} in args["require"]
    for service in NEUTRON_SERVICES:
        if service != "neutron-rpc-server":
            state_id = f"neutron-server-service-{service}"
            assert "running" in cluster_controller[state_id]["service"], service
            assert state_args(cluster_controller, state_id, "service")["enable"] is True


def test_the_clusters_glance_api_forks_no_worker(cluster_controller):
    assert _settings(cluster_controller, "glance-config")["DEFAULT"]["workers"] == 0


def test_the_clusters_other_services_run_one_process(cluster_controller):
    nova = _settings(cluster_controller, "nova-controller-config")
    assert nova["conductor"]["workers"] == 1
    assert nova["scheduler"]["workers"] == 1
    assert nova["DEFAULT"]["osapi_compute_workers"] == 1
    assert nova["DEFAULT"]["metadata_workers"] == 1
    uwsgi = {args["name"]: args["settings"]["uwsgi"]["processes"]
             for args in (state_args(cluster_controller, state_id, "openstack_config")
                          for state_id, body in cluster_controller.items()
                          if "present" in body.get("openstack_config", ()))
             if args["name"].endswith("-uwsgi.ini")}
    assert uwsgi and set(uwsgi.values()) == {1}, uwsgi


def test_redhat_keeps_neutron_server_running_without_rpc_workers(redhat_no_rpc):
    """One neutron-server runs the API beside the RPC workers: rpc: 0 stops
    nothing there."""
    default = _settings(redhat_no_rpc, "neutron-server-config")["DEFAULT"]
    assert default["rpc_workers"] == 0
    services = [state_id for state_id in redhat_no_rpc
                if state_id.startswith("neutron-server-service-")]
    assert services == ["neutron-server-service-neutron-server"]
    assert "running" in redhat_no_rpc[services[0]]["service"]
    assert state_args(redhat_no_rpc, services[0], "service")["enable"] is True
