"""
Pillar values as the formulas render them (issue 11, items 6, 7 and 9):
quoted for the shell and for YAML, and URL-quoted in connection URLs.

The controller's states are rendered by Salt's own loader with the example
pillar plus edits that the validator accepts but that a careless template
would break: passwords with '/' (the database's), '@' and ':', an image property with
shell and YAML characters.  Unit tier: no daemon, the states are only
rendered.
"""
import copy
import pathlib
import shlex
import urllib.parse

import pytest
import yaml
from minion_opts import pillar_loaders, render_states

from saltext_openstack._modules import openstack_pillar

REPO = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())
RABBIT_PASSWORD = "ra@bb:it%pa#ss?word"
DB_PASSWORD = "no/va@db:pa ss"
PROPERTY = "x; id # a: b 'q'"


def _pillar():
    data = copy.deepcopy(EXAMPLE)
    passwords = data["openstack"]["passwords"]
    passwords["rabbitmq"] = RABBIT_PASSWORD
    passwords["nova_db"] = DB_PASSWORD
    data["openstack"]["glance"]["images"] = [
        {"name": "k-1.0", "source": "http://x.test/k", "disk_format": "aki",
         "container_format": "aki"},
        {"name": "i+1", "source": "/srv/images/i", "disk_format": "ari",
         "container_format": "ari"},
        {"name": "guest_1", "source": "salt://images/g.img?saltenv=base",
         "source_hash": "sha256=00ff", "kernel": "k-1.0", "ramdisk": "i+1",
         "properties": {"os_distro": PROPERTY, "hw:rng": True}},
    ]
    return data


def _loaders(tmp_path_factory, minion_id):
    """Salt's loaders of a minion in test mode with the edited example pillar."""
    return pillar_loaders(tmp_path_factory, minion_id, _pillar())


@pytest.fixture(scope="module")
def controller(tmp_path_factory):
    """{state id: {module: [args]}} of the controller, with cloud.images."""
    return render_states(_loaders(tmp_path_factory, "controller"), ["cloud.images"], highstate=True)


def _args(body, function):
    args = {}
    for arg in body[function]:
        if isinstance(arg, dict):
            args.update(arg)
    return args


def _settings(states, state_id):
    return _args(states[state_id], "openstack_config")["settings"]


def test_transport_url_quotes_every_reserved_character(controller):
    url = _settings(controller, "nova-controller-config")["DEFAULT"]["transport_url"]
    parsed = urllib.parse.urlsplit(url)
    assert "/" not in url.split("@")[0].split("://")[1]
    assert urllib.parse.unquote(parsed.password) == RABBIT_PASSWORD
    assert parsed.hostname == "controller" and parsed.port == 5672


def test_database_url_quotes_every_reserved_character(controller):
    url = _settings(controller, "nova-controller-config")["database"]["connection"]
    parsed = urllib.parse.urlsplit(url)
    assert urllib.parse.unquote(parsed.password) == DB_PASSWORD
    assert (parsed.hostname, parsed.path) == ("controller", "/nova")


def test_cell0_is_mapped_with_the_pillars_password(controller):
    """cell0's database is named, so that a rotated nova_db password
    reaches its mapping (nova_manage compares only a given URL)."""
    url = _args(controller["nova-cell0"], "nova_manage")["database_connection"]
    parsed = urllib.parse.urlsplit(url)
    assert urllib.parse.unquote(parsed.password) == DB_PASSWORD
    assert (parsed.username, parsed.hostname, parsed.path) == ("nova", "controller", "/nova_cell0")


def test_images_are_openstack_cloud_states_with_every_value_intact(controller):
    """Each image is a file.managed download and an image_present state of
    the validated entry: no openstack CLI in a cmd state, values as given."""
    state = _args(controller["cloud-image-guest_1"], "openstack_cloud")
    assert "image_present" in controller["cloud-image-guest_1"]["openstack_cloud"]
    assert {k: state[k] for k in ("name", "filename", "disk_format", "container_format",
                                  "visibility", "kernel", "ramdisk", "properties")} == {
        "name": "guest_1", "filename": "/var/cache/salt-openstack-images/guest_1",
        "disk_format": "qcow2", "container_format": "bare", "visibility": "public",
        "kernel": "k-1.0", "ramdisk": "i+1",
        "properties": {"hw:rng": "true", "os_distro": PROPERTY}}  # fmt: skip
    assert state["interface"] == "internal" and state["username"] == "admin"
    assert {"file": "cloud-image-file-guest_1"} in state["require"]
    assert {"keystone_init": "keystone-identity"} in state["require"]
    assert {"openstack_cloud": "cloud-image-k-1.0"} in state["require"]
    assert {"openstack_cloud": "cloud-image-i+1"} in state["require"]
    kernel = _args(controller["cloud-image-k-1.0"], "openstack_cloud")
    assert "kernel" not in kernel and kernel["disk_format"] == "aki"
    assert kernel["container_format"] == "aki" and kernel["properties"] == {}
    managed = _args(controller["cloud-image-file-guest_1"], "file")
    assert managed["source"] == "salt://images/g.img?saltenv=base"
    assert managed["source_hash"] == "sha256=00ff"
    assert managed["replace"] is False
    assert not [i for i, body in controller.items() if "cmd" in body and "image" in i]


def test_geneve_header_size_is_the_one_the_mtu_ceilings_count_with(controller):
    """The pillar's MTU ceilings (openstack_pillar.MTU_CEILINGS) assume this
    max_header_size and Neutron's default global_physnet_mtu."""
    ml2 = _settings(controller, "neutron-ml2-config")
    assert ml2["ml2_type_geneve"]["max_header_size"] == openstack_pillar.GENEVE_MAX_HEADER_SIZE
    neutron = _settings(controller, "neutron-server-config")
    assert "global_physnet_mtu" not in neutron["DEFAULT"]
    assert not {"path_mtu", "physical_network_mtus"} & set(ml2["ml2"])


def test_only_oslo_config_files_are_escaped(controller):
    """MariaDB's option file and uwsgi's .ini are not oslo.config's: oslo: False."""
    seen = {}
    for body in controller.values():
        if "present" not in body.get("openstack_config", ()):
            continue
        args = _args(body, "openstack_config")
        seen[args["name"]] = args.get("oslo", True)
    not_oslo = {name for name in seen if name.endswith((".cnf", "-uwsgi.ini"))}
    assert "/etc/mysql/mariadb.conf.d/99-openstack.cnf" in not_oslo
    assert "/etc/keystone/keystone-uwsgi.ini" in not_oslo
    assert "/etc/nova/nova.conf" in seen
    assert {name for name, oslo in seen.items() if oslo is False} == not_oslo


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    """The gateway's horizon-config state and its rendered local_settings."""
    loaders = _loaders(tmp_path_factory, "gateway")
    try:
        states = copy.deepcopy(dict(loaders.modules.state.show_sls("horizon")))
        managed = _args(states["horizon-config"], "file")
        template = (REPO / "salt" / "horizon" / "files" / "local_settings.py.jinja").read_text()
        rendered = loaders.modules.file.apply_template_on_contents(
            template, template="jinja", context=managed["context"], defaults={},
            saltenv="base")
        return managed, rendered, states
    finally:
        loaders.reset_state()


def test_horizon_allows_every_name_and_address_of_the_gateway(gateway):
    """http://192.168.56.11/horizon (what the test cluster prints) and the
    provider address must not answer 400 Bad Request (issue 10)."""
    managed, rendered, _ = gateway
    want = ["gateway", "gateway.cloud.test", "192.168.56.11", "203.0.113.11"]
    assert managed["context"]["allowed_hosts"] == want
    settings = {}
    exec(compile(rendered, "local_settings.py", "exec"), settings)  # noqa: S102 - our template
    assert settings["ALLOWED_HOSTS"] == want


def test_horizon_runs_in_its_wsgi_daemon_main_interpreter(gateway):
    """In a sub-interpreter trixie's python3-cryptography (PyO3) fails to
    import and every page answers 500."""
    _, _, states = gateway
    contents = _args(states["horizon-wsgi-group"], "file")["contents"]
    assert "<Directory /usr/share/openstack-dashboard>" in contents
    assert "WSGIProcessGroup horizon" in contents
    assert "WSGIApplicationGroup %{GLOBAL}" in contents
    link = _args(states["horizon-wsgi-group-enabled"], "file")
    assert link["name"] == "/etc/apache2/conf-enabled/openstack-dashboard-wsgi.conf"
    assert {"service": "horizon-service"} in link["watch_in"]
    assert {"file": "horizon-wsgi-group"} in _args(states["horizon-service"], "service")["watch"]


# -- memcached: the token cache (issue 11, item 4) ------------------------------


@pytest.fixture(scope="module")
def compute(tmp_path_factory):
    return render_states(_loaders(tmp_path_factory, "compute1"), highstate=True)


@pytest.fixture(scope="module")
def gateway_states(tmp_path_factory):
    return render_states(pillar_loaders(tmp_path_factory, "gateway", _pillar(), tag="gateway-hs"),
                         highstate=True)


def _present(states):
    """{file: (state id, args)} of every openstack_config.present."""
    found = {}
    for state_id, body in states.items():
        if "present" in body.get("openstack_config", ()):
            args = _args(body, "openstack_config")
            found[args["name"]] = (state_id, args)
    return found


def test_memcached_listens_on_loopback_and_every_client_uses_it(controller):
    """Keystone's cache entries are unsigned pickles: memcached answers on
    the controller's loopback only, and every client on the controller
    points at that address."""
    listen = _args(controller["memcached-config"], "file")["repl"]
    assert listen == "-l 127.0.0.1"
    clients = {}
    for name, (_state_id, args) in _present(controller).items():
        settings = args["settings"]
        if "memcache_servers" in settings.get("cache", {}):
            clients[name] = settings["cache"]["memcache_servers"]
        if "keystone_authtoken" in settings:
            clients[name] = settings["keystone_authtoken"]["memcached_servers"]
    assert set(clients) == {
        "/etc/keystone/keystone.conf", "/etc/glance/glance-api.conf",
        "/etc/placement/placement.conf", "/etc/nova/nova.conf",
        "/etc/neutron/neutron.conf", "/etc/cinder/cinder.conf",
    }
    assert set(clients.values()) == {listen.split()[1] + ":11211"}


def test_files_with_the_token_cache_key_are_group_readable_only(controller):
    key = _pillar()["openstack"]["passwords"]["memcache_secret_key"]
    holders = {}
    for name, (state_id, args) in _present(controller).items():
        section = args["settings"].get("keystone_authtoken", {})
        if "memcache_secret_key" in section:
            assert section["memcache_secret_key"] == key, name
            assert section["memcache_security_strategy"] == "ENCRYPT", name
            holders[name] = (args["user"], args["group"], args["mode"])
    assert len(holders) == 5, holders
    for name, (user, group, mode) in holders.items():
        assert (user, mode) == ("root", "0640") and group not in ("root", None, ""), name


def _ports(spec):
    """The port numbers of a firewall port list (numbers and 'a-b' ranges)."""
    for item in spec:
        low, _, high = str(item).partition("-")
        yield from range(int(low), int(high or low) + 1)


def test_the_firewall_opens_no_memcached_port(controller, gateway_states, compute):
    for states in (controller, gateway_states, compute):
        context = _args(states["firewall-rules"], "file")["context"]
        for kind in ("management_ports", "public_ports"):
            for proto, spec in context[kind].items():
                assert 11211 not in set(_ports(spec)), (kind, proto, spec)


def test_rabbitmqs_erlang_channels_are_on_loopback(controller):
    """epmd's socket and the node's distribution listener on loopback, the
    node named there; AMQP alone on the management address (the real
    node's listeners: tests/functional/test_rabbitmq_loopback.py)."""
    env = _args(controller["rabbitmq-config"], "file")["key_values"]
    assert env["NODENAME"] == "rabbit@localhost"
    loopback = '"-kernel inet_dist_use_interface {127,0,0,1}"'
    assert env["SERVER_ADDITIONAL_ERL_ARGS"] == env["CTL_ERL_ARGS"] == loopback
    assert env["NODE_IP_ADDRESS"] == EXAMPLE["openstack"]["hosts"]["controller"]["address"]
    dropin = _args(controller["rabbitmq-epmd-loopback"], "file")
    listen = [line for line in dropin["contents"].splitlines() if line.startswith("ListenStream")]
    assert listen == ["ListenStream=", "ListenStream=127.0.0.1:4369"]
    service = _args(controller["rabbitmq-service"], "service")
    assert {"file": "rabbitmq-epmd-loopback"} in service["watch"]


def test_the_firewall_opens_no_erlang_port(controller, gateway_states, compute):
    for states in (controller, gateway_states, compute):
        context = _args(states["firewall-rules"], "file")["context"]
        for kind in ("management_ports", "public_ports"):
            for proto, spec in context[kind].items():
                assert not {4369, 25672} & set(_ports(spec)), (kind, proto, spec)


def test_horizon_keeps_sessions_in_signed_cookies_not_memcached(gateway):
    managed, rendered, _ = gateway
    assert "memcached_servers" not in managed["context"]
    code = "\n".join(line for line in rendered.splitlines() if not line.lstrip().startswith("#"))
    assert "memcached" not in code.lower() and "11211" not in code
    settings = {}
    exec(compile(rendered, "local_settings.py", "exec"), settings)  # noqa: S102 - our template
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.signed_cookies"
    assert settings["CACHES"] == {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert settings["SECRET_KEY"] == _pillar()["openstack"]["passwords"]["horizon_secret_key"]


def test_only_the_controllers_nova_conf_has_keystone_authtoken(controller, gateway_states, compute):
    """nova-compute and the noVNC proxy validate no token: their nova.conf
    gets no [keystone_authtoken] (none of the token cache's key), and what
    earlier versions wrote there is removed; the controller's is kept."""
    key = _pillar()["openstack"]["passwords"]["memcache_secret_key"]
    for states, state_id in ((compute, "nova-compute-config"),
                             (gateway_states, "nova-consoleproxy-config")):
        settings = _settings(states, state_id)
        assert "keystone_authtoken" not in settings, state_id
        assert key not in repr(settings), state_id
        retired = _args(states["nova-retired-options"], "openstack_config")["settings"]
        assert {"memcached_servers", "memcache_secret_key", "password"} <= \
            set(retired["keystone_authtoken"]), state_id
    assert _settings(controller, "nova-controller-config")["keystone_authtoken"]["memcache_secret_key"] == key
    retired = _args(controller["nova-retired-options"], "openstack_config")["settings"]
    assert "keystone_authtoken" not in retired


def test_every_uwsgi_api_answers_connection_close(controller):
    """
    Debian's APIs run under uwsgi's --http-socket, which closes the
    connection after each answer: every such API says so ("Connection:
    close"), or a client keeps the connection after a bodiless answer (204,
    HEAD) and its next request is reset by the closing socket (Keystone's
    role grants failed so during the cold deploy).  Each managed [uwsgi]
    section also sets the pillar's worker count.
    """
    uwsgi = {}
    for body in controller.values():
        if "present" not in body.get("openstack_config", ()):
            continue
        args = _args(body, "openstack_config")
        if args["name"].endswith("-uwsgi.ini"):
            uwsgi[args["name"]] = args["settings"]["uwsgi"]
    assert set(uwsgi) == {
        "/etc/keystone/keystone-uwsgi.ini",
        "/etc/nova/nova-api-uwsgi.ini",
        "/etc/nova/nova-api-metadata-uwsgi.ini",
        "/etc/neutron/neutron-api-uwsgi.ini",
        "/etc/placement/placement-api-uwsgi.ini",
        "/etc/cinder/cinder-api-uwsgi.ini",
    }
    workers = EXAMPLE["openstack"]["workers"]
    for name, section in uwsgi.items():
        assert section["add-header"] == "Connection: close", name
        expected = workers["metadata"] if "metadata" in name else workers["api"]
        assert section["processes"] == expected, name


def test_the_example_pillars_worker_defaults(controller):
    """Real hosts keep one Neutron RPC worker (neutron-rpc-server running) and
    glance-api's workers:api worker processes; the test cluster's zeros are
    in test_workers_render.py."""
    workers = EXAMPLE["openstack"]["workers"]
    neutron = _settings(controller, "neutron-server-config")["DEFAULT"]
    assert (neutron["rpc_workers"], neutron["rpc_state_report_workers"]) == (1, 0)
    assert "running" in controller["neutron-server-service-neutron-rpc-server"]["service"]
    assert _settings(controller, "glance-config")["DEFAULT"]["workers"] == workers["api"]
    nova = _settings(controller, "nova-controller-config")
    assert (nova["conductor"]["workers"], nova["scheduler"]["workers"]) == (
        workers["conductor"], workers["scheduler"])


# -- the public endpoints over TLS (issue 11, item 3) ------------------------------

PUBLIC = {  # catalog name: (uwsgi file or None, service group, public port, plain port)
    "keystone": ("/etc/keystone/keystone-uwsgi.ini", "keystone", 13000, 5000),
    "nova": ("/etc/nova/nova-api-uwsgi.ini", "nova", 13774, 8774),
    "placement": ("/etc/placement/placement-api-uwsgi.ini", "placement", 13778, 8778),
    "neutron": ("/etc/neutron/neutron-api-uwsgi.ini", "neutron", 13696, 9696),
    "cinderv3": ("/etc/cinder/cinder-api-uwsgi.ini", "cinder", 13776, 8776),
    "glance": (None, "haproxy", 13292, 9292),
}


def _managed(states):
    """{path: args} of every file.managed."""
    return {args["name"]: args for args in (_args(body, "file") for body in states.values()
                                            if "file" in body) if "name" in args}


def test_catalog_public_urls_are_https_and_internal_ones_plain(controller):
    config = _args(controller["keystone-identity"], "keystone_init")["config"]
    assert sorted(config["services"]) == sorted(PUBLIC)
    for name, service in config["services"].items():
        _, _, port, plain = PUBLIC[name]
        public = urllib.parse.urlsplit(service["endpoints"]["public"])
        assert (public.scheme, public.hostname, public.port) == ("https", "controller", port)
        for interface in ("internal", "admin"):
            url = urllib.parse.urlsplit(service["endpoints"][interface])
            assert (url.scheme, url.hostname, url.port) == ("http", "controller", plain), name
            assert url.path == public.path
    bootstrap = _args(controller["keystone-bootstrap"], "keystone_init")
    assert bootstrap["public_url"] == "https://controller:13000/v3"
    assert bootstrap["internal_url"] == "http://controller:5000/v3"


def test_identity_registers_the_models_catalog_and_service_users(controller):
    """keystone/identity.sls declares what the one service catalog
    (openstack_pillar.API_ENDPOINTS) says: each API's type and description,
    and its service user in the service project; no list of its own."""
    config = _args(controller["keystone-identity"], "keystone_init")["config"]
    apis = openstack_pillar.API_ENDPOINTS
    assert {name: (svc["type"], svc["description"]) for name, svc in config["services"].items()} \
        == {name: (api.type, api.description) for name, api in apis.items()}
    service_users = {name for name, user in config["users"].items() if user["project"] == "service"}
    assert service_users == {api.user for api in apis.values() if api.user}
    assert all(config["users"][name]["roles"] == {"service": ["admin", "service"]}
               for name in service_users)


def test_every_api_serves_its_public_port_with_the_hosts_pair(controller):
    present = _present(controller)
    files = _managed(controller)
    for name, (uwsgi_file, group, port, _) in PUBLIC.items():
        if uwsgi_file is None:
            continue
        directory = uwsgi_file.rsplit("/", 1)[0]
        socket = _args(controller[present[uwsgi_file][0]], "openstack_config")["settings"]
        assert socket["uwsgi"]["https-socket"] == (
            f"0.0.0.0:{port},{directory}/public-tls.crt,{directory}/public-tls.key"), name
        key, cert = files[f"{directory}/public-tls.key"], files[f"{directory}/public-tls.crt"]
        assert (key["user"], key["group"], key["mode"]) == ("root", group, "0640"), name
        assert (cert["user"], cert["mode"]) == ("root", "0644"), name
        assert "BEGIN PRIVATE KEY" in key["contents"] and key["show_changes"] is False
        assert "BEGIN CERTIFICATE" in cert["contents"]
    # the metadata API stays on the management network
    metadata = _args(controller[present["/etc/nova/nova-api-metadata-uwsgi.ini"][0]],
                     "openstack_config")["settings"]["uwsgi"]
    assert "https-socket" not in metadata


def test_glance_public_endpoint_is_haproxy_with_the_hosts_pair(controller):
    """On Debian the TLS proxy (tls_proxy) fronts Glance alone; the other
    APIs serve their public port with uwsgi (the test above)."""
    files = _managed(controller)
    proxy = files["/etc/haproxy/haproxy.cfg"]
    assert proxy["source"] == "salt://tls_proxy/files/haproxy.cfg.jinja"
    assert proxy["context"]["apis"] == [
        {"name": "glance", "port": 13292,
         "backend": EXAMPLE["openstack"]["hosts"]["controller"]["address"] + ":9292"}]
    assert proxy["context"]["cert"] == "/etc/haproxy/public-tls.crt"
    key = files["/etc/haproxy/public-tls.key"]
    assert (key["group"], key["mode"]) == ("haproxy", "0640")
    glance = _settings(controller, "glance-config")
    assert glance["oslo_middleware"]["enable_proxy_headers_parsing"] is True


def test_only_the_tls_ports_of_the_apis_are_public(controller):
    context = _args(controller["firewall-rules"], "file")["context"]
    assert sorted(_ports(context["public_ports"]["tcp"])) == sorted(
        port for _, _, port, _ in PUBLIC.values())
    for _, _, _, plain in PUBLIC.values():
        assert plain in set(_ports(context["management_ports"]["tcp"]))


def test_the_gateway_opens_the_dashboard_and_the_model_console_port(gateway_states):
    context = _args(gateway_states["firewall-rules"], "file")["context"]
    assert sorted(_ports(context["public_ports"]["tcp"])) == [80, 443, 6080]
    proxy = _settings(gateway_states, "nova-consoleproxy-config")
    assert proxy["vnc"]["novncproxy_port"] == 6080


def test_admin_openrc_uses_the_public_endpoint_and_names_the_ca(controller):
    openrc = _args(controller["keystone-admin-openrc"], "file")["context"]
    assert openrc["auth_url"] == "https://controller:13000/v3"
    assert openrc["cacert"] == _args(controller["common-ca-certificate"], "file")["name"]


def test_salts_cloud_states_use_the_internal_endpoints(tmp_path_factory):
    states = render_states(pillar_loaders(tmp_path_factory, "controller", _pillar(), tag="cloud"),
                           ["cloud"])
    clouds = [_args(body, function) for body in states.values()
              for function in body if function == "openstack_cloud"]
    assert clouds
    assert {args.get("interface") for args in clouds} == {"internal"}


def test_dashboard_is_https_only_with_the_gateways_pair(gateway_states):
    files = _managed(gateway_states)
    site = files["/etc/apache2/sites-available/openstack-dashboard-tls.conf"]
    assert site["context"] == {"cert": "/etc/apache2/public-tls.crt",
                               "key": "/etc/apache2/public-tls.key"}
    key = files["/etc/apache2/public-tls.key"]
    assert (key["user"], key["group"], key["mode"]) == ("root", "root", "0640")
    links = {_args(body, "file")["name"]: _args(body, "file") for body in gateway_states.values()
             if "file" in body and "symlink" in body["file"]}
    assert "/etc/apache2/sites-enabled/openstack-dashboard-tls.conf" in links
    for module in ("ssl.load", "ssl.conf", "socache_shmcb.load", "rewrite.load"):
        assert links[f"/etc/apache2/mods-enabled/{module}"]["target"] == (
            f"../mods-available/{module}")
    absent = [_args(body, "file")["name"] for body in gateway_states.values()
              if "file" in body and "absent" in body["file"]]
    assert "/etc/apache2/sites-enabled/000-default.conf" in absent


def test_dashboard_cookies_are_secure(gateway):
    _, rendered, _ = gateway
    settings = {}
    exec(compile(rendered, "local_settings.py", "exec"), settings)  # noqa: S102 - our template
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["OPENSTACK_ENDPOINT_TYPE"] == "internalURL"


def test_console_proxy_is_tls_only_and_computes_link_to_https(gateway_states, compute):
    nova = _settings(gateway_states, "nova-consoleproxy-config")
    assert nova["DEFAULT"]["ssl_only"] is True
    assert (nova["DEFAULT"]["cert"], nova["DEFAULT"]["key"]) == (
        "/etc/nova/public-tls.crt", "/etc/nova/public-tls.key")
    key = _managed(gateway_states)["/etc/nova/public-tls.key"]
    assert (key["group"], key["mode"]) == ("nova", "0640")
    conf = _settings(compute, "nova-compute-config")
    assert conf["vnc"]["novncproxy_base_url"] == "https://gateway:6080/vnc_auto.html"


def test_migration_stream_over_qemus_native_tls(compute):
    assert _settings(compute, "nova-compute-config")["libvirt"][
        "live_migration_with_native_tls"] is True
    files = _managed(compute)
    for name in ("server-key.pem", "client-key.pem"):
        key = files[f"/etc/pki/libvirt-migrate/{name}"]
        assert (key["user"], key["group"], key["mode"]) == ("root", "libvirt-qemu", "0640")
        assert "PRIVATE KEY" in key["contents"] and key["show_changes"] is False
    for name in ("ca-cert.pem", "server-cert.pem", "client-cert.pem"):
        assert files[f"/etc/pki/libvirt-migrate/{name}"]["mode"] == "0644"
    replaced = {_args(body, "file")["repl"] for body in compute.values()
                if "file" in body and "replace" in body["file"]}
    assert 'migrate_tls_x509_cert_dir = "/etc/pki/libvirt-migrate"' in replaced
    assert "migrate_tls_x509_verify = 1" in replaced
    # libvirt's owner records (xattrs) on the shared volume: off (map.jinja).
    assert "remember_owner = 0" in replaced


def _requires(body, function, kind="require"):
    return [next(iter(item.items())) for item in _args(body, function).get(kind, [])]


def _ssl_table(states, state_id):
    """(set-ssl's file arguments, get-ssl's expected lines) of an
    ovn/macros.jinja ssl_table state, the shell words split as sh would."""
    args = _args(states[state_id], "cmd")
    words = shlex.split(args["name"])
    assert words[1:3] == ["--timeout=30", "set-ssl"], args["name"]
    unless = shlex.split(args["unless"].split("printf ", 1)[1].rstrip(')"'))
    return words[0], words[3:], unless[1:]


TLS_SUFFIXES = ("private-key", "certificate", "ca-cert")
OVN_FILES = ["/etc/pki/ovn/ovn-privkey.pem", "/etc/pki/ovn/ovn-cert.pem",
             "/etc/pki/ovn/ovn-cacert.pem"]


def _ovn_files_are_the_hosts(states, directory, group):
    files = _managed(states)
    key = files[f"{directory}/ovn-privkey.pem"]
    assert (key["user"], key["group"], key["mode"]) == ("root", group, "0640")
    assert "BEGIN PRIVATE KEY" in key["contents"] and key["show_changes"] is False
    cert, ca = files[f"{directory}/ovn-cert.pem"], files[f"{directory}/ovn-cacert.pem"]
    assert (cert["mode"], ca["mode"]) == ("0644", "0644")
    assert "BEGIN CERTIFICATE" in cert["contents"] and cert["contents"] != ca["contents"]
    assert ca["contents"] == _args(states["common-ca-certificate"], "file")["contents"]


def test_ovn_databases_listen_with_tls_only_and_the_controllers_pair(controller):
    _ovn_files_are_the_hosts(controller, "/etc/pki/ovn", "root")
    directory = _args(controller["ovn-tls-dir"], "file")
    assert (directory["user"], directory["group"], directory["mode"]) == ("root", "root", "0755")
    for db, ctl, port in (("nb", "ovn-nbctl", 6641), ("sb", "ovn-sbctl", 6642)):
        program, files, expected = _ssl_table(controller, f"ovn-{db}-ssl")
        assert (program, files) == (ctl, OVN_FILES)
        assert expected == [f"Private key: {OVN_FILES[0]}", f"Certificate: {OVN_FILES[1]}",
                            f"CA Certificate: {OVN_FILES[2]}", "Bootstrap: false"]
        connection = _args(controller[f"ovn-{db}-connection"], "cmd")
        assert connection["name"].endswith(f"set-connection pssl:{port}:192.168.56.10")
        # the files are in the SSL table before the database listens on pssl:
        assert ("cmd", f"ovn-{db}-ssl") in _requires(controller[f"ovn-{db}-connection"], "cmd")
        assert ("sls", "ovn.tls") in _requires(controller[f"ovn-{db}-ssl"], "cmd")


def test_neutron_server_reaches_both_ovn_databases_over_tls(controller):
    _ovn_files_are_the_hosts(controller, "/etc/neutron", "neutron")
    ovn = _settings(controller, "neutron-ml2-config")["ovn"]
    assert ovn == {
        "ovn_nb_connection": "ssl:192.168.56.10:6641",
        "ovn_sb_connection": "ssl:192.168.56.10:6642",
        "ovn_metadata_enabled": True,
        **{f"ovn_{db}_{option}": f"/etc/neutron/{name}" for db in ("nb", "sb")
           for option, name in (("private_key", "ovn-privkey.pem"),
                                ("certificate", "ovn-cert.pem"), ("ca_cert", "ovn-cacert.pem"))},
    }
    for state_id, body in controller.items():
        if state_id.startswith("neutron-server-service-"):
            watched = _requires(body, "service", "watch")
            assert {("file", f"neutron-ovn-tls-{suffix}") for suffix in TLS_SUFFIXES} <= set(
                watched), state_id


def test_neutron_schema_is_checked_without_neutron_db_manage(controller):
    """Issue 14: neutron's schema by openstack_db.schema_synced (neutron's
    Python not loaded at the heads), both files the server reads, as
    neutron; the servers still wait for it."""
    body = controller["neutron-db-sync"]
    assert set(body) - {"__sls__", "__env__", "order"} == {"openstack_db"}, body
    args = _args(body, "openstack_db")
    assert "schema_synced" in body["openstack_db"]
    assert (args["name"], args["user"]) == ("neutron", "neutron")
    assert args["config_file"] == ["/etc/neutron/neutron.conf",
                                   "/etc/neutron/plugins/ml2/ml2_conf.ini"]
    assert set(_requires(body, "openstack_db")) == {
        ("openstack_config", "neutron-server-config"),
        ("openstack_config", "neutron-ml2-config"), ("openstack_db", "neutron-db")}
    for state_id, state_body in controller.items():
        if state_id.startswith("neutron-server-service-") and "running" in state_body["service"]:
            assert ("openstack_db", "neutron-db-sync") in _requires(state_body, "service"), state_id


@pytest.mark.parametrize("role", ["compute", "gateway_states"])
def test_every_chassis_connects_over_tls_with_its_own_pair(role, request):
    states = request.getfixturevalue(role)
    _ovn_files_are_the_hosts(states, "/etc/pki/ovn", "root")
    program, files, _ = _ssl_table(states, "ovn-chassis-ssl")
    assert (program, files) == ("ovs-vsctl", OVN_FILES)
    settings = _args(states["ovn-chassis-settings"], "openstack_ovs")
    assert settings["values"]["external_ids"]["ovn-remote"] == "ssl:192.168.56.10:6642"
    assert ("cmd", "ovn-chassis-ssl") in _requires(states["ovn-chassis-settings"], "openstack_ovs")


def test_the_metadata_agent_reaches_the_southbound_database_over_tls(compute):
    _ovn_files_are_the_hosts(compute, "/etc/neutron", "neutron")
    ovn = _settings(compute, "neutron-ovn-metadata-config")["ovn"]
    assert ovn == {"ovn_sb_connection": "ssl:192.168.56.10:6642",
                   "ovn_sb_private_key": "/etc/neutron/ovn-privkey.pem",
                   "ovn_sb_certificate": "/etc/neutron/ovn-cert.pem",
                   "ovn_sb_ca_cert": "/etc/neutron/ovn-cacert.pem"}
    watched = set(_requires(compute["neutron-ovn-metadata-service"], "service", "watch"))
    assert {("file", f"neutron-ovn-tls-{suffix}") for suffix in TLS_SUFFIXES} <= watched
