"""
The public endpoints behind the TLS proxy (salt/tls_proxy): haproxy on the
controller terminates TLS on an API's public_port with the controller's
pair and passes the requests on to the API's plain port with
"X-Forwarded-Proto: https", for the APIs its OS family's map names.  On
Debian that is Glance alone (the other APIs serve their public port with
uwsgi's https-socket); on the RedHat family every API (RDO runs them under
httpd or as services of their own, on their plain port only).

The controller is rendered by Salt's own loader with the example pillar,
for the host's Debian and for Rocky 9 grains, and the proxy's configuration
from its template; where haproxy is installed, the real ``haproxy -c``
checks it.  Unit tier: no daemon.
"""
import copy
import pathlib
import re
import shutil
import subprocess

import pytest
import yaml
from minion_opts import pillar_loaders, render_states, state_args
from operator_pki import Issuer

from saltext_openstack._modules import openstack_pillar

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
ADDRESS = EXAMPLE["openstack"]["hosts"]["controller"]["address"]
TEMPLATE = REPO / "salt" / "tls_proxy" / "files" / "haproxy.cfg.jinja"
CERT = "/etc/haproxy/public-tls.crt"
# The release grains of the integration tier's Rocky 9 minions.
ROCKY9_GRAINS = {"os": "Rocky", "os_family": "RedHat", "osfullname": "Rocky Linux",
                 "osmajorrelease": 9, "osrelease": "9.4", "oscodename": "Blue Onyx"}
DEBIAN13_GRAINS = {"os": "Debian", "os_family": "Debian", "osfullname": "Debian GNU/Linux",
                   "osmajorrelease": 13, "osrelease": "13", "oscodename": "trixie"}
# Each API of the model and the state of its configuration file.
API_CONFIGS = {"keystone": "keystone-config", "glance": "glance-config",
               "placement": "placement-config", "nova": "nova-controller-config",
               "neutron": "neutron-server-config", "cinderv3": "cinder-config"}
# Debian: the APIs uwsgi serves, and their uwsgi file.
UWSGI = {"keystone": "/etc/keystone/keystone-uwsgi.ini",
         "nova": "/etc/nova/nova-api-uwsgi.ini",
         "placement": "/etc/placement/placement-api-uwsgi.ini",
         "neutron": "/etc/neutron/neutron-api-uwsgi.ini",
         "cinderv3": "/etc/cinder/cinder-api-uwsgi.ini"}
# What glance.public wrote on Debian before tls_proxy replaced it: a running
# Debian cloud's /etc/haproxy/haproxy.cfg.  tls_proxy writes the same but
# for its first line, the comment naming the formula.
GLANCE_PUBLIC_CFG = f"""\
# Managed by Salt (glance.public): Glance's public endpoint over TLS.
global
    log /dev/log local0 warning
    chroot /var/lib/haproxy
    user haproxy
    group haproxy
    ssl-default-bind-options ssl-min-ver TLSv1.2
    # the key of `crt <name>.crt` is <name>.key (not <name>.crt.key)
    ssl-load-extra-del-ext

defaults
    mode http
    log global
    option forwardfor
    timeout connect 10s
    timeout client 10m
    timeout server 10m

frontend glance-public
    bind 0.0.0.0:13292 ssl crt {CERT}
    http-request set-header X-Forwarded-Proto https
    default_backend glance-api

backend glance-api
    server glance-api {ADDRESS}:9292
"""


def _render(tmp_path_factory, grains, pillar=None, tag=None):
    """(states, rendered haproxy.cfg) of the controller's highstate."""
    loaders = pillar_loaders(tmp_path_factory, "controller", pillar or copy.deepcopy(EXAMPLE),
                             tag=tag or f"tls-proxy-{grains['os_family']}", grains=grains)
    states = render_states(loaders, highstate=True)
    try:
        context = state_args(states, "tls-proxy-config", "file")["context"]
        config = loaders.modules.file.apply_template_on_contents(
            TEMPLATE.read_text(), template="jinja", context=context, defaults={},
            saltenv="base")
        return states, config
    finally:
        loaders.reset_state()


@pytest.fixture(scope="module")
def redhat(tmp_path_factory):
    return _render(tmp_path_factory, ROCKY9_GRAINS)


@pytest.fixture(scope="module")
def debian(tmp_path_factory):
    return _render(tmp_path_factory, DEBIAN13_GRAINS)


def _sections(config):
    """{"frontend <name>": [lines]} of the frontends and backends."""
    sections, current = {}, None
    for line in config.splitlines():
        if re.match(r"(frontend|backend) \S+$", line):
            current = sections.setdefault(line, [])
        elif line.startswith("    ") and current is not None:
            current.append(line.strip())
        elif not line.strip():
            current = None
    return sections


def _expected_sections(apis):
    sections = {}
    for name in apis:
        api = openstack_pillar.API_ENDPOINTS[name]
        public_port, port = api.public_port, api.port
        sections[f"frontend {name}-public"] = [
            f"bind 0.0.0.0:{public_port} ssl crt {CERT}",
            "http-request set-header X-Forwarded-Proto https",
            f"default_backend {name}-api"]
        sections[f"backend {name}-api"] = [f"server {name}-api {ADDRESS}:{port}"]
    return sections


def _managed(states):
    return {args["name"]: args for args in (state_args(states, state_id, "file")
                                            for state_id, body in states.items()
                                            if "file" in body) if "name" in args}


def _proxy_headers(states, state_id):
    settings = state_args(states, state_id, "openstack_config")["settings"]
    return settings.get("oslo_middleware", {}).get("enable_proxy_headers_parsing")


# -- the RedHat family: every API behind the proxy ------------------------------------


def test_redhat_fronts_every_api_of_the_model(redhat):
    states, config = redhat
    context = state_args(states, "tls-proxy-config", "file")["context"]
    assert [api["name"] for api in context["apis"]] == list(openstack_pillar.API_ENDPOINTS)
    assert context["cert"] == CERT
    assert _sections(config) == _expected_sections(openstack_pillar.API_ENDPOINTS)


def test_redhat_proxy_serves_the_hosts_pair(redhat):
    states, _ = redhat
    files = _managed(states)
    key, cert = files["/etc/haproxy/public-tls.key"], files[CERT]
    assert (key["user"], key["group"], key["mode"]) == ("root", "haproxy", "0640")
    assert (cert["user"], cert["mode"]) == ("root", "0644")
    assert "BEGIN PRIVATE KEY" in key["contents"] and key["show_changes"] is False
    assert "BEGIN CERTIFICATE" in cert["contents"]
    # the only public pair of the controller: no API serves TLS itself
    assert sorted(name for name in files if "public-tls" in name) == [
        CERT, "/etc/haproxy/public-tls.key"]
    config = state_args(states, "tls-proxy-config", "file")
    assert config["check_cmd"] == "haproxy -c -q -f"
    assert {"file": "tls-proxy-public-tls-cert"} in config["require"]
    assert {"file": "tls-proxy-public-tls-key"} in config["require"]
    service = state_args(states, "tls-proxy-service", "service")
    assert service["name"] == "haproxy" and service["reload"] is True
    assert service["watch"] == [{"file": "tls-proxy-config"}]
    for suffix in ("cert", "key"):
        pair = state_args(states, f"tls-proxy-public-tls-{suffix}", "file")
        assert pair["watch_in"] == [{"service": "tls-proxy-service"}]


def test_redhat_apis_take_the_scheme_from_the_proxy(redhat):
    states, _ = redhat
    for name, state_id in API_CONFIGS.items():
        assert _proxy_headers(states, state_id) is True, name


def test_redhat_renders_no_uwsgi_socket(redhat):
    states, _ = redhat
    uwsgi = [name for name in (state_args(states, state_id, "openstack_config").get("name", "")
                               for state_id, body in states.items()
                               if "openstack_config" in body) if name.endswith("-uwsgi.ini")]
    assert uwsgi == []
    assert "https-socket" not in repr(states)


@pytest.mark.parametrize("family", ["debian", "redhat"])
def test_the_firewall_opens_every_public_port(request, family):
    states, _ = request.getfixturevalue(family)
    public = state_args(states, "firewall-rules", "file")["context"]["public_ports"]["tcp"]
    assert sorted(public) == sorted(api.public_port for api in
                                    openstack_pillar.API_ENDPOINTS.values())


# -- Debian: Glance alone, as glance.public had it ------------------------------------


def test_debian_fronts_glance_alone(debian):
    states, config = debian
    assert _sections(config) == _expected_sections(["glance"])
    for name, state_id in API_CONFIGS.items():
        assert _proxy_headers(states, state_id) is (True if name == "glance" else None), name


def test_debian_apis_keep_their_uwsgi_https_socket(debian):
    states, _ = debian
    sockets = {}
    for state_id, body in states.items():
        if "openstack_config" in body:
            args = state_args(states, state_id, "openstack_config")
            if args.get("name", "").endswith("-uwsgi.ini"):
                sockets[args["name"]] = args["settings"]["uwsgi"].get("https-socket")
    for name, path in UWSGI.items():
        directory = path.rsplit("/", 1)[0]
        assert sockets.pop(path) == (
            f"0.0.0.0:{openstack_pillar.API_ENDPOINTS[name].public_port},"
            f"{directory}/public-tls.crt,{directory}/public-tls.key"), name
    assert sockets == {"/etc/nova/nova-api-metadata-uwsgi.ini": None}


def test_debian_config_is_glance_publics_but_for_its_comment(debian):
    """An upgrade of a Debian cloud that glance.public set up changes the
    configuration's first line only: the same file, pair and frontends."""
    states, config = debian
    old, new = GLANCE_PUBLIC_CFG.splitlines(True), config.splitlines(True)
    assert new[0] == "# Managed by Salt (tls_proxy): the APIs' public endpoints over TLS.\n"
    assert new[1:] == old[1:]
    assert state_args(states, "tls-proxy-config", "file")["name"] == "/etc/haproxy/haproxy.cfg"


def test_an_api_is_never_both_proxied_and_served_by_uwsgi(tmp_path_factory):
    """A lookup naming a uwsgi API for the proxy would bind its public port
    twice: the rendering refuses it."""
    pillar = copy.deepcopy(EXAMPLE)
    pillar["openstack"]["lookup"] = {"tls_proxy": {"apis": ["glance", "keystone"]}}
    loaders = pillar_loaders(tmp_path_factory, "controller", pillar, tag="tls-proxy-twice",
                             grains=DEBIAN13_GRAINS)
    try:
        ret = loaders.modules.state.show_sls("keystone.config")
    finally:
        loaders.reset_state()
    assert isinstance(ret, list), ret
    assert "tls_proxy:apis names keystone" in "\n".join(ret)
    assert "both would bind 13000" in "\n".join(ret)


# -- the real haproxy ----------------------------------------------------------------


@pytest.fixture(scope="module")
def haproxy():
    if not shutil.which("haproxy"):
        pytest.skip("haproxy is not installed (Debian package haproxy, which "
                    ".ci/install-system-deps installs on the host)")
    return shutil.which("haproxy")


@pytest.mark.parametrize("family", ["debian", "redhat"])
def test_haproxy_accepts_the_configuration(request, haproxy, family, tmp_path):
    """The rendered file with a real pair in place of the host's (the same
    names: the key is found next to the certificate)."""
    _, config = request.getfixturevalue(family)
    cert, key = Issuer("Cloud CA").issue(["controller"], [ADDRESS])
    (tmp_path / "public-tls.crt").write_text(cert)
    (tmp_path / "public-tls.key").write_text(key)
    path = tmp_path / "haproxy.cfg"
    path.write_text(config.replace(CERT, str(tmp_path / "public-tls.crt")))
    ret = subprocess.run([haproxy, "-c", "-f", str(path)], capture_output=True, text=True,
                         check=False, timeout=60)
    assert ret.returncode == 0, ret.stdout + ret.stderr
