"""
Cinder backends and the Ceph client side as Salt renders them (issue 15):
with an lvm and an rbd backend on an existing Ceph, the controller's
cinder.conf has both sections and the cephx keyring (group cinder), a
compute has ceph.conf, the keyring (group nova), nova's [libvirt] rbd
settings, QEMU's rbd driver and the libvirt secret; with the example
pillar (one lvm backend) cinder.conf is what it always was and no ceph
state renders anywhere.  Unit tier: the states are only rendered.
"""
import copy
import pathlib

import pytest
import yaml
from minion_opts import pillar_loaders, render_states, state_args

from saltext_openstack._utils import saltext_openstack_model

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
FSID = "a7f64266-0894-4f1e-a635-d0aeaca0e993"
KEY = "AQDJQ2yZK53MHhAA6Z+gxABOLED1xlX6h9XE4g=="
SECRET_UUID = saltext_openstack_model.libvirt_secret_uuid(FSID, "cinder")
KEYRING = "/etc/ceph/ceph.client.cinder.keyring"


def _rbd_pillar():
    data = copy.deepcopy(EXAMPLE)
    cloud = data["openstack"]
    cloud["cinder"]["backends"] = [{"name": "lvm", "type": "lvm"},
                                   {"name": "ceph", "type": "rbd", "pool": "volumes"}]
    cloud["ceph"] = {"fsid": FSID, "monitors": ["192.168.56.10", "192.168.56.21:6789"]}
    cloud["passwords"]["ceph_cinder_key"] = KEY
    return data


@pytest.fixture(scope="module")
def controller(tmp_path_factory):
    return render_states(pillar_loaders(tmp_path_factory, "controller", _rbd_pillar(),
                                        tag="ceph-controller"), highstate=True)


@pytest.fixture(scope="module")
def compute(tmp_path_factory):
    return render_states(pillar_loaders(tmp_path_factory, "compute1", _rbd_pillar(),
                                        tag="ceph-compute"), highstate=True)


@pytest.fixture(scope="module")
def default_hosts(tmp_path_factory):
    """The example pillar's highstate of the controller, a compute and the gateway."""
    return {host: render_states(pillar_loaders(tmp_path_factory, host, copy.deepcopy(EXAMPLE),
                                               tag="ceph-default-" + host), highstate=True)
            for host in ("controller", "compute1", "gateway")}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    return render_states(pillar_loaders(tmp_path_factory, "gateway", _rbd_pillar(),
                                        tag="ceph-gateway"), highstate=True)


def _cinder_settings(states):
    return state_args(states, "cinder-config", "openstack_config")["settings"]


def test_cinder_conf_has_a_section_per_backend(controller):
    settings = _cinder_settings(controller)
    assert settings["DEFAULT"]["enabled_backends"] == "lvm,ceph"
    assert settings["DEFAULT"]["default_volume_type"] == "lvm"  # the first backend's type
    assert settings["ceph"] == {
        "volume_driver": "cinder.volume.drivers.rbd.RBDDriver",
        "rbd_pool": "volumes", "rbd_user": "cinder", "rbd_ceph_conf": "/etc/ceph/ceph.conf",
        "rbd_secret_uuid": SECRET_UUID, "volume_backend_name": "ceph"}
    assert settings["lvm"]["volume_backend_name"] == "LVM"
    assert settings["lvm"]["volume_driver"] == "cinder.volume.drivers.lvm.LVMVolumeDriver"


def test_the_default_cinder_conf_is_unchanged(default_hosts):
    """One lvm backend: [DEFAULT] enabled_backends and [lvm] as before issue 15,
    but for volume_backend_name, written as LVM (what the LVM driver
    reported without one, so an existing cloud's volumes keep their pool
    host@lvm#LVM; the volume type lvm selects it) and the default type."""
    settings = _cinder_settings(default_hosts["controller"])
    assert settings["DEFAULT"]["enabled_backends"] == "lvm"
    assert settings["DEFAULT"]["default_volume_type"] == "lvm"
    assert settings["lvm"] == {
        "volume_driver": "cinder.volume.drivers.lvm.LVMVolumeDriver",
        "volume_group": "cinder-volumes", "lvm_type": "auto", "target_protocol": "iscsi",
        "target_helper": "tgtadm", "target_ip_address": "192.168.56.10",
        "volume_backend_name": "LVM"}
    assert [name for name in settings if name not in (
        "DEFAULT", "database", "keystone_authtoken", "oslo_concurrency", "oslo_middleware",
        "nova")] == ["lvm"]
    assert "cinder-volume-group" in default_hosts["controller"]


def _stale_backends(states):
    assert "sections_absent" in states["cinder-stale-backends"]["openstack_config"]
    return state_args(states, "cinder-stale-backends", "openstack_config")


def test_a_backend_taken_out_loses_its_section(controller, default_hosts, tmp_path_factory):
    """cinder-stale-backends removes every section that sets volume_driver
    but the model's backends, after cinder-config wrote enabled_backends."""
    stale = _stale_backends(controller)
    assert stale["name"] == "/etc/cinder/cinder.conf"
    assert stale["having"] == "volume_driver"
    # cinder's own [backend_defaults] may set volume_driver for every backend
    assert stale["keep"] == ["lvm", "ceph", "backend_defaults"]
    assert stale["require"] == [{"openstack_config": "cinder-config"}]
    assert _stale_backends(default_hosts["controller"])["keep"] == ["lvm", "backend_defaults"]
    data = _rbd_pillar()
    data["openstack"]["cinder"]["backends"] = [{"name": "on", "type": "rbd"}]
    states = render_states(pillar_loaders(tmp_path_factory, "controller", data,
                                          tag="ceph-stale"), ["cinder"])
    assert _stale_backends(states)["keep"] == ["on", "backend_defaults"]  # never YAML's True
    assert _cinder_settings(states)["DEFAULT"]["enabled_backends"] == "on"


def test_ceph_conf_names_the_cluster_and_holds_no_key(controller, compute):
    for states in (controller, compute):
        args = state_args(states, "ceph-config", "file")
        assert args["name"] == "/etc/ceph/ceph.conf"
        assert (args["user"], args["group"], args["mode"]) == ("root", "root", "0644")
        lines = [line for line in args["contents"].splitlines() if not line.startswith("#")]
        assert lines == ["[global]", "fsid = " + FSID,
                         "mon_host = 192.168.56.10,192.168.56.21:6789"]
        assert KEY not in args["contents"]


@pytest.mark.parametrize("host, group, requisite", [
    ("controller", "cinder", {"sls": "cinder.package"}),
    ("compute", "nova", {"sls": "nova.user"})])
def test_the_keyring_is_0640_with_the_services_group(controller, compute, host, group,
                                                     requisite):
    states = {"controller": controller, "compute": compute}[host]
    args = state_args(states, "ceph-keyring", "file")
    assert args["name"] == KEYRING
    assert args["contents"] == "[client.cinder]\n\tkey = {}\n".format(KEY)
    assert (args["user"], args["group"], args["mode"]) == ("root", group, "0640")
    assert args["show_changes"] is False
    assert requisite in args["require"]
    assert state_args(states, "ceph-packages", "pkg")["pkgs"] == ["ceph-common"]


def test_cinder_volume_restarts_on_the_ceph_client(controller):
    watch = state_args(controller, "cinder-service-cinder-volume", "service")["watch"]
    assert {"sls": "ceph.client"} in watch
    assert {"sls": "ceph.client"} not in state_args(
        controller, "cinder-service-cinder-api", "service")["watch"]


def test_nova_attaches_rbd_volumes_with_the_libvirt_secret(compute):
    libvirt = state_args(compute, "nova-compute-config", "openstack_config")["settings"]["libvirt"]
    assert libvirt["rbd_user"] == "cinder"
    assert libvirt["rbd_secret_uuid"] == SECRET_UUID
    assert state_args(compute, "ceph-qemu-rbd-packages", "pkg")["pkgs"] == ["qemu-block-extra"]


def test_the_libvirt_secret_state(compute):
    args = state_args(compute, "ceph-libvirt-secret", "openstack_libvirt")
    assert "secret_present" in compute["ceph-libvirt-secret"]["openstack_libvirt"]
    assert args["name"] == SECRET_UUID
    assert args["usage"] == "client.cinder secret"
    assert args["value"] == KEY
    assert {"service": "libvirt-service"} in args["require"]


def test_the_controller_gets_no_libvirt_secret_and_the_gateway_nothing_of_ceph(controller,
                                                                                 gateway):
    assert "ceph-libvirt-secret" not in controller
    assert not [state_id for state_id in gateway if "ceph" in state_id]


def test_the_default_pillar_renders_no_ceph_state(default_hosts):
    for host, states in default_hosts.items():
        assert not [state_id for state_id, body in states.items()
                    if "ceph" in state_id or (isinstance(body, dict)
                                              and str(body.get("__sls__", "")).startswith("ceph"))], host
        if host == "compute1":
            libvirt = state_args(states, "nova-compute-config",
                                 "openstack_config")["settings"]["libvirt"]
            assert "rbd_user" not in libvirt and "rbd_secret_uuid" not in libvirt


def test_rbd_only_makes_no_loop_volume_group(tmp_path_factory):
    data = _rbd_pillar()
    data["openstack"]["cinder"]["backends"] = [{"name": "ceph", "type": "rbd"}]
    states = render_states(pillar_loaders(tmp_path_factory, "controller", data,
                                          tag="ceph-only"), ["cinder"])
    assert "cinder-volume-group" not in states
    settings = _cinder_settings(states)
    assert settings["DEFAULT"]["enabled_backends"] == "ceph"
    assert "lvm" not in settings


@pytest.mark.parametrize("name", ["on", "null", "1_0", "yes", "0x10"])
def test_a_backend_name_yaml_would_read_otherwise_stays_its_section(tmp_path_factory, name):
    """A backend's name is the section's key as written: never YAML's
    boolean, null or number (the hostile review's finding: `on` made a
    section True, `null` wrote the options before any section header)."""
    data = _rbd_pillar()
    data["openstack"]["cinder"]["backends"][1]["name"] = name
    settings = _cinder_settings(render_states(pillar_loaders(
        tmp_path_factory, "controller", data, tag="ceph-name-" + name), highstate=True))
    assert settings["DEFAULT"]["enabled_backends"] == "lvm," + name
    assert settings[name]["volume_backend_name"] == name
    assert all(isinstance(key, str) and key for key in settings)
