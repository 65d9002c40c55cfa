"""
Every role's highstate renders on real minions, for Debian 13 and Rocky 9
grains, and every role gets the formulas (and only the formulas) it should.
"""
import contextlib
import pathlib

import pytest
from minion_opts import state_args

EXPECTED_STATES = {
    "controller": [
        "mariadb-service",
        "rabbitmq-user-openstack",
        "keystone-bootstrap",
        "keystone-identity",
        "glance-config",
        "glance-retired-options",
        "nova-retired-options",
        "placement-config",
        "nova-cell1",
        "nova-db-synced",
        "neutron-db-sync",
        "ovn-nb-ssl",
        "ovn-nb-connection",
        "ovn-sb-ssl",
        "ovn-sb-connection",
        "ovn-tls-private-key",
        "neutron-ovn-tls-private-key",
        "cinder-config",
        "tls-proxy-config",
        "tls-proxy-service",
    ],
    "gateway": [
        "ovn-tls-private-key",
        "ovn-chassis-ssl",
        "ovn-chassis-settings",
        "ovn-host-service",
        "ovn-bridge-br-ex",
        "ovn-bridge-address-br-ex",
        "nova-consoleproxy-service",
        "nova-retired-options",
        "horizon-config",
    ],
    "compute1": [
        "glusterfs-service",
        "glusterfs-instances-mount",
        "libvirt-service",
        "nova-compute-config",
        "nova-retired-options",
        "nova-ssh-authorized-keys",
        "ovn-chassis-ssl",
        "ovn-chassis-settings",
        "ovn-host-service",
        "neutron-ovn-tls-private-key",
        "neutron-ovn-metadata-service",
        "nova-enrol-request",
    ],
}
NOT_EXPECTED = {
    "controller": ["nova-compute-service", "horizon-config", "glusterfs-instances-mount",
                   "ovn-host-service", "ovn-chassis-ssl"],
    "gateway": ["mariadb-service", "nova-compute-service", "keystone-identity", "tls-proxy-config",
                "ovn-central-service", "neutron-ovn-metadata-service",
                "neutron-ovn-tls-private-key"],
    # The example pillar's datapath is the kernel's: no br-phy.
    "compute1": ["mariadb-service", "horizon-config", "ovn-bridge-br-ex", "ovn-bridge-br-phy",
                 "ovn-central-service"],
}


def _highstate(cluster, minion_id):
    ret = cluster["salt_cli"].run("state.show_highstate", minion_tgt=minion_id)
    assert ret.returncode == 0, ret
    assert isinstance(ret.data, dict), f"{minion_id} ({cluster['name']}) failed to render: {ret.data}"
    return ret.data


@pytest.mark.parametrize("minion_id", sorted(EXPECTED_STATES))
def test_role_highstate_renders(cluster, minion_id):
    states = _highstate(cluster, minion_id)
    for state_id in EXPECTED_STATES[minion_id]:
        assert state_id in states, f"{state_id} missing on {minion_id} ({cluster['name']})"
    for state_id in NOT_EXPECTED[minion_id]:
        assert state_id not in states, f"{state_id} must not be on {minion_id}"


def test_os_family_package_names(cluster):
    states = _highstate(cluster, "compute1")
    pkgs = next(
        arg["pkgs"]
        for arg in states["nova-compute-packages"]["pkg"]
        if isinstance(arg, dict) and "pkgs" in arg
    )
    if cluster["name"] == "rocky9":
        assert pkgs == ["openstack-nova-compute", "xorriso"]
    else:
        assert pkgs == ["nova-compute", "nova-compute-kvm", "genisoimage"]


def _packages(states, skip=()):
    """Every package a rendered highstate (or sls) installs, by state id."""
    found = {}
    for state_id, body in states.items():
        for fun, args in body.items():
            if fun != "pkg" or state_id in skip:
                continue
            for arg in args:
                if isinstance(arg, dict) and "pkgs" in arg:
                    found[state_id] = list(arg["pkgs"])
                elif isinstance(arg, dict) and "name" in arg:
                    found[state_id] = [arg["name"]]
    return found


def test_controller_install_lane_is_its_formulas_packages(cluster):
    """openstack.install_controller (the orchestration's first controller
    state, one apt transaction) installs every package of the controller's
    own formulas, from their maps: all but the common step's and nova's
    (nova.user makes the nova user first, with the cloud's uid)."""
    ret = cluster["salt_cli"].run("state.show_sls", "openstack.install_controller",
                                  minion_tgt="controller")
    assert ret.returncode == 0 and isinstance(ret.data, dict), ret
    lane = _packages(ret.data)["openstack-controller-packages"]
    assert len(lane) == len(set(lane))
    common = {"common-packages", "common-repo-packages", "firewall-packages"}
    formulas = _packages(_highstate(cluster, "controller"), skip=common)
    nova = formulas.pop("nova-controller-packages")
    assert set(lane) == {p for pkgs in formulas.values() for p in pkgs}
    assert not set(nova) & set(lane)


def test_computes_can_build_config_drives(cluster):
    """Nova builds a config drive with [DEFAULT] mkisofs_cmd: the program is
    installed with nova-compute and named in nova.conf (genisoimage on
    Debian, xorriso's mkisofs on EL 9)."""
    states = _highstate(cluster, "compute1")
    settings = state_args(states, "nova-compute-config", "openstack_config")["settings"]
    expected = "mkisofs" if cluster["name"] == "rocky9" else "genisoimage"
    assert settings["DEFAULT"]["mkisofs_cmd"] == expected


def test_secret_files_are_group_readable_only(cluster):
    states = _highstate(cluster, "controller")
    for state_id in ("keystone-config", "glance-config", "nova-controller-config", "cinder-config"):
        args = state_args(states, state_id, "openstack_config")
        assert args["mode"] == "0640", state_id
        assert args["user"] == "root"
        assert args["group"] in ("keystone", "glance", "nova", "cinder")


def test_os_family_server_wiring(cluster):
    """RDO's neutron-server unit reads /etc/neutron/plugin.ini and RHEL's
    iSCSI target is LIO; Debian's unit reads ml2_conf.ini and its target
    is tgt."""
    states = _highstate(cluster, "controller")
    helper = state_args(states, "cinder-config", "openstack_config")["settings"]["lvm"]["target_helper"]
    if cluster["name"] == "rocky9":
        link = state_args(states, "neutron-plugin-link", "file")
        assert link["name"] == "/etc/neutron/plugin.ini"
        assert link["target"] == "/etc/neutron/plugins/ml2/ml2_conf.ini"
        assert helper == "lioadm"
    else:
        assert "neutron-plugin-link" not in states
        assert helper == "tgtadm"


def test_os_family_public_endpoints(cluster):
    """The TLS proxy fronts Glance alone on Debian, whose other APIs serve
    their public port with uwsgi's https-socket; on Rocky every API of the
    catalog, each reading the proxy's headers, and no uwsgi socket."""
    states = _highstate(cluster, "controller")
    context = state_args(states, "tls-proxy-config", "file")["context"]
    # each API: its configuration's state, public port and plain port
    apis = {"keystone": ("keystone-config", 13000, 5000),
            "glance": ("glance-config", 13292, 9292),
            "placement": ("placement-config", 13778, 8778),
            "nova": ("nova-controller-config", 13774, 8774),
            "neutron": ("neutron-server-config", 13696, 9696),
            "cinderv3": ("cinder-config", 13776, 8776)}
    fronted = ["glance"] if cluster["name"] == "debian13" else list(apis)
    assert context["apis"] == [{"name": name, "port": apis[name][1],
                                "backend": f"192.168.56.10:{apis[name][2]}"}
                               for name in fronted]
    assert context["cert"] == "/etc/haproxy/public-tls.crt"
    for name, (state_id, _, _) in apis.items():
        settings = state_args(states, state_id, "openstack_config")["settings"]
        parsing = settings.get("oslo_middleware", {}).get("enable_proxy_headers_parsing")
        assert parsing is (True if name in fronted else None), name
    sockets = [state_id for state_id, body in states.items() if "https-socket" in repr(body)]
    assert len(sockets) == (5 if cluster["name"] == "debian13" else 0), sockets


@pytest.mark.parametrize("minion_id", ["controller", "gateway", "compute1"])
def test_every_host_trusts_the_masters_ca(cluster, minion_id):
    """common.ca puts the CA the master keeps, as the master's filter hands
    it out, in the OS family's trust store, and rebuilds the bundle until
    the bundle holds it."""
    ca_cert = (pathlib.Path(cluster["master"].config["pki_dir"]) / "openstack_ca" / "ca.crt")
    states = _highstate(cluster, minion_id)
    placed = state_args(states, "common-ca-certificate", "file")
    trust = state_args(states, "common-ca-trust", "cmd")
    debian = cluster["name"] == "debian13"
    assert placed["contents"] == ca_cert.read_text()
    assert placed["name"] == ("/usr/local/share/ca-certificates/openstack-cloud-ca.crt" if debian
                              else "/etc/pki/ca-trust/source/anchors/openstack-cloud-ca.crt")
    assert trust["name"] == ("update-ca-certificates" if debian else "update-ca-trust extract")
    bundle = ("/etc/ssl/certs/ca-certificates.crt" if debian
              else "/etc/pki/tls/certs/ca-bundle.crt")
    assert trust["unless"] == f"openssl verify -CAfile {bundle} {placed['name']}"
    assert "onchanges" not in trust


def test_horizon_wsgi_processes_come_from_the_workers(cluster, tmp_path):
    """The packaged WSGIDaemonProcess line gets openstack:workers:api
    processes: the rendered file.replace, run for real on a site file laid
    out as the package's, changes only that line, then nothing."""
    args = state_args(_highstate(cluster, "gateway"), "horizon-wsgi-processes", "file")
    debian = cluster["name"] == "debian13"
    directive = ("WSGIDaemonProcess horizon user=www-data group=www-data" if debian
                 else "WSGIDaemonProcess dashboard")
    assert args["name"] == ("/etc/apache2/sites-available/openstack-dashboard-alias-only.conf"
                            if debian else "/etc/httpd/conf.d/openstack-dashboard.conf")
    site = tmp_path / "dashboard.conf"
    site.write_text(f"WSGIScriptAlias /horizon /usr/share/openstack-dashboard/wsgi.py\n"
                    f"{directive}\nAlias /static /var/lib/openstack-dashboard/static\n")
    expected = site.read_text().replace(
        directive, f"{directive} processes=2 display-name=%{{GROUP}}")
    changes = []
    for _ in range(2):
        ret = cluster["salt_cli"].run(
            "state.single", "file.replace", f"name={site}", f"pattern={args['pattern']}",
            f"repl={args['repl']}", "count=1", minion_tgt="gateway")
        assert ret.returncode == 0, ret
        (result,) = ret.data.values()
        assert result["result"] is True, result
        changes.append(bool(result["changes"]))
        assert site.read_text() == expected
    assert changes == [True, False]


def test_horizon_allows_the_gateways_names_and_addresses(cluster):
    """Horizon answers by every name and address users reach the gateway by
    (the test cluster prints http://192.168.56.11/horizon), not only its
    host name: Django answers 400 Bad Request to any other Host header."""
    context = state_args(_highstate(cluster, "gateway"), "horizon-config", "file")["context"]
    assert context["allowed_hosts"] == ["gateway", "gateway.cloud.test", "192.168.56.11",
                                        "203.0.113.11"]


def test_the_daemons_run_this_virtualenvs_salt(cluster):
    """The master and the minions import the Salt this test run pinned, not
    another checkout's (salt-factories' start scripts; tests/conftest.py)."""
    import salt.version  # noqa: PLC0415

    ret = cluster["salt_cli"].run("test.version", minion_tgt="controller")
    assert ret.data == salt.version.__version__, ret
    ret = cluster["salt_run_cli"].run("salt.cmd", "test.version")
    # a bare string: salt-run's JSON outputter prints it unquoted
    assert ret.returncode == 0 and ret.stdout.strip() == salt.version.__version__, ret


@contextlib.contextmanager
def _enrolled(cluster, minion_id):
    """The minion carries the grain openstack_enrolled inside the block."""
    ret = cluster["salt_cli"].run("grains.setval", "openstack_enrolled", "true",
                                  minion_tgt=minion_id)  # fmt: skip
    assert ret.returncode == 0, ret
    try:
        yield
    finally:
        ret = cluster["salt_cli"].run("grains.delkey", "openstack_enrolled", minion_tgt=minion_id)
        assert ret.returncode == 0, ret


def _low_chunk(cluster, minion_id, state_id):
    """A state as it runs: extends and requisites applied (show_lowstate)."""
    ret = cluster["salt_cli"].run("state.show_lowstate", minion_tgt=minion_id)
    assert ret.returncode == 0 and isinstance(ret.data, list), ret
    (chunk,) = [c for c in ret.data if c["__id__"] == state_id]
    return chunk


def test_a_new_compute_asks_to_be_admitted_before_it_mounts(cluster):
    """The volume lets only the computes it knows mount it (auth.allow): a
    compute not yet enrolled asks for admission (openstack/compute/admit)
    before its mount, unless already mounted, and the mount retries while
    the master admits it.  An enrolled compute neither asks nor retries."""
    states = _highstate(cluster, "compute1")
    request = state_args(states, "glusterfs-admit-request", "event")
    assert request["name"] == "openstack/compute/admit"
    assert request["unless"].startswith("findmnt -n -t fuse.glusterfs /var/lib/nova/instances")
    assert {"sls": "glusterfs.server"} in request["require"]
    mount = _low_chunk(cluster, "compute1", "glusterfs-instances-mount")
    assert {"event": "glusterfs-admit-request"} in mount["require"]
    assert mount["retry"] == {"attempts": 40, "interval": 15}
    with _enrolled(cluster, "compute1"):
        states = _highstate(cluster, "compute1")
        assert "glusterfs-admit-request" not in states
        assert "retry" not in _low_chunk(cluster, "compute1", "glusterfs-instances-mount")


def test_a_compute_asks_to_be_enrolled_until_it_is(cluster):
    """nova.enrol fires openstack/compute/enrol on every highstate while the
    grain openstack_enrolled is absent (a failed enrolment is asked for
    again), not only when nova-compute was just installed; once the
    orchestrations set the grain it no longer asks."""
    request = state_args(_highstate(cluster, "compute1"), "nova-enrol-request", "event")
    assert request["name"] == "openstack/compute/enrol"
    assert "onchanges" not in request
    assert request["require"] == [{"service": "nova-compute-service"}]
    with _enrolled(cluster, "compute1"):
        states = _highstate(cluster, "compute1")
        assert "nova-enrol-request" not in states
        assert "nova-compute-service" in states
    assert "nova-enrol-request" in _highstate(cluster, "compute1")
