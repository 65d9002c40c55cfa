"""
openstack_config against real files: a copy of Debian's shipped nova.conf,
read back by crudini, by oslo.config's own parser and by nova's typed options.
"""
import grp
import json
import os
import pathlib
import shutil
import stat
import subprocess

import pytest
from salt.exceptions import CommandExecutionError

NOVA_CONF = pathlib.Path("/usr/share/nova-common/nova.conf")
CRUDINI = "/usr/bin/crudini"
SYSTEM_PYTHON = "/usr/bin/python3"

PCI_ALIASES = [
    '{"name": "a2", "vendor_id": "10de", "product_id": "2235", "device_type": "type-PF"}',
    '{"name": "t4", "vendor_id": "10de", "product_id": "1eb8"}',
]

# 40 options a controller+compute node sets; Debian's nova.conf already has
# the values of the 4 options in ALREADY_SET.
SETTINGS = {
    "DEFAULT": {
        "my_ip": "10.0.0.11",
        "transport_url": "rabbit://openstack:RABBIT_S3cr3t@ctl1:5672,openstack:RABBIT_S3cr3t@ctl2:5672/",
        "state_path": "/var/lib/nova",
        "debug": False,
        "use_syslog": True,
        "log_dir": "/var/log/nova",
        "instances_path": "/var/lib/nova/instances",
        "compute_driver": "libvirt.LibvirtDriver",
        "cpu_allocation_ratio": 4.0,
        "ram_allocation_ratio": 1.5,
        "reserved_host_memory_mb": 2048,
        "enabled_apis": "osapi_compute,metadata",
        "osapi_compute_workers": 2,
    },
    "api": {"auth_strategy": "keystone"},
    "api_database": {"connection": "mysql+pymysql://nova:NOVA_API_DBPASS@ctl/nova_api"},
    "database": {
        "connection": "mysql+pymysql://nova:NOVA_DBPASS@ctl/nova?charset=utf8",
        "max_pool_size": 20,
    },
    "keystone_authtoken": {
        "www_authenticate_uri": "http://ctl:5000/",
        "auth_url": "http://ctl:5000/",
        "memcached_servers": "ctl1:11211,ctl2:11211",
        "auth_type": "password",
        "project_name": "service",
        "username": "nova",
        "password": "KEYSTONE_NOVA_S3cr3t",
        "region_name": "RegionOne",
    },
    "service_user": {"send_service_user_token": True, "password": "SERVICE_S3cr3t"},
    "vnc": {
        "enabled": True,
        "server_listen": "10.0.0.11",
        "novncproxy_base_url": "http://ctl:6080/vnc_auto.html",
    },
    "glance": {"api_servers": "http://ctl:9292"},
    "oslo_concurrency": {"lock_path": "/var/lib/nova/tmp"},
    "placement": {"password": "PLACEMENT_S3cr3t", "region_name": "RegionOne"},
    "pci": {"alias": PCI_ALIASES},
    "libvirt": {"virt_type": "kvm", "live_migration_uri": "qemu+ssh://nova@%s/system"},
    "neutron": {
        "metadata_proxy_shared_secret": "META#S3cr3t",
        "password": "NEUTRON_PW=with#hash%and:colon",
    },
    # oslo.privsep's context for os-brick: registered at run time, in no
    # sample, so a section the file does not have yet
    "privsep_osbrick": {"thread_pool_size": 4},
}
ALREADY_SET = {
    ("DEFAULT", "state_path"),
    ("keystone_authtoken", "auth_type"),
    ("keystone_authtoken", "project_name"),
    ("keystone_authtoken", "username"),
}
CHANGED = 40 - len(ALREADY_SET)
SECRETS = [
    "S3cr3t",
    "RABBIT_S3cr3t",
    "NOVA_API_DBPASS",
    "NOVA_DBPASS",
    "KEYSTONE_NOVA",
    "SERVICE_S3cr3t",
    "PLACEMENT_S3cr3t",
    "META#",
    "NEUTRON_PW",
]


def oslo_text(value):
    """The string oslo.config reads for a value we set."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def expected_values():
    """{(section, key): [str, ...]} as oslo.config must read them back."""
    return {
        (section, key): [oslo_text(item) for item in (value if isinstance(value, list) else [value])]
        for section, options in SETTINGS.items()
        for key, value in options.items()
    }


def assert_no_secret(ret):
    text = json.dumps(ret, default=str)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked in {text}"


def snapshot(path):
    st = os.stat(path)
    return pathlib.Path(path).read_bytes(), st.st_mtime_ns, st.st_ino


@pytest.fixture
def nova_conf(tmp_path):
    """A fresh copy of Debian's full nova.conf (the test fails if nova-common is missing)."""
    target = tmp_path / "nova.conf"
    shutil.copyfile(NOVA_CONF, target)
    return target


@pytest.fixture
def config(loaders):
    return loaders.modules.openstack_config


def run_system_python(script, *args):
    """Run ``script`` with Debian's python3 (where oslo.config and nova live); return stdout."""
    out = subprocess.run(
        [SYSTEM_PYTHON, "-c", script, *map(str, args)], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def oslo_read(path):
    """Raw sections as oslo.config's own ConfigParser reads them (system python)."""
    script = (
        "import json, sys\n"
        "from oslo_config import cfg\n"
        "sections = {}\n"
        "cfg.ConfigParser(sys.argv[1], sections).parse()\n"
        "print(json.dumps(sections))\n"
    )
    return json.loads(run_system_python(script, path))


def crudini_all(path):
    """{(section, key): value} as crudini reads the file (last occurrence wins)."""
    out = subprocess.run(
        [CRUDINI, "--get", "--format=lines", str(path)], check=True, capture_output=True, text=True
    )
    found = {}
    for line in out.stdout.splitlines():
        section, _, assignment = line[2:].partition(" ] ")
        key, _, value = assignment.partition(" = ")
        found[(section, key)] = value
    return found


# -- openstack_config.present on Debian's nova.conf -------------------------


def test_present_sets_40_options_once_then_changes_nothing(run_state, nova_conf):
    assert sum(len(options) for options in SETTINGS.values()) == 40
    first = run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS)
    assert first["result"] is True, first
    options = first["changes"]["options"]
    changed = {(section, key) for section, keys in options.items() for key in keys}
    assert changed == set(expected_values()) - ALREADY_SET
    assert options["DEFAULT"]["debug"] == {"old": None, "new": "false"}
    assert options["database"]["connection"] == {
        "old": "sqlite:////var/lib/nova/novadb",
        "new": "mysql+pymysql://nova:******@ctl/nova?charset=utf8",
    }
    assert options["pci"]["alias"] == {"old": None, "new": PCI_ALIASES}
    assert first["comment"] == f"{CHANGED} options changed in {nova_conf}"
    assert_no_secret(first)

    before = snapshot(nova_conf)
    second = run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS)
    assert second["result"] is True
    assert second["changes"] == {}
    assert second["comment"] == f"40 options already set in {nova_conf}"
    assert snapshot(nova_conf) == before


def test_test_mode_predicts_the_same_changes_and_writes_nothing(run_state, nova_conf):
    before = snapshot(nova_conf)
    predicted = run_state(
        "openstack_config.present", name=str(nova_conf), settings=SETTINGS, mode="0640", test=True
    )
    assert predicted["result"] is None
    assert predicted["comment"] == f"{CHANGED} options would be changed; mode would be changed in {nova_conf}"
    assert snapshot(nova_conf) == before
    assert_no_secret(predicted)
    assert [p.name for p in nova_conf.parent.iterdir()] == ["nova.conf"]

    applied = run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS, mode="0640")
    assert applied["changes"] == predicted["changes"]

    again = run_state(
        "openstack_config.present", name=str(nova_conf), settings=SETTINGS, mode="0640", test=True
    )
    assert again["result"] is True
    assert again["changes"] == {}


def test_untouched_lines_are_byte_identical(run_state, nova_conf):
    run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS)
    diff = subprocess.run(
        ["diff", str(NOVA_CONF), str(nova_conf)], capture_output=True, text=True, check=False
    )
    assert diff.returncode == 1, diff.stderr
    removed = [line[2:] for line in diff.stdout.splitlines() if line.startswith("< ")]
    added = [line[2:] for line in diff.stdout.splitlines() if line.startswith("> ")]
    keys = {key for options in SETTINGS.values() for key in options}
    # Only the live lines of options we set were replaced ...
    assert removed == [
        "connection = sqlite:////var/lib/nova/novadb",
        "auth_url = http://localhost:5000",
        "www_authenticate_uri = http://localhost:5000",
        "region_name = regionOne",
        "lock_path = /var/lock/nova",
        "region_name = regionOne",
    ]
    # ... and every added line is one of our options (or the new [privsep_osbrick] section).
    written = [line for line in added if line not in ("", "[privsep_osbrick]")]
    assert len(written) == CHANGED + len(PCI_ALIASES) - 1
    assert {line.partition(" = ")[0] for line in written} <= keys
    assert added.count("[privsep_osbrick]") == 1
    # Each new option sits right after its commented-out default.
    lines = nova_conf.read_text().splitlines()
    assert lines[lines.index("my_ip = 10.0.0.11") - 1] == "#my_ip = <host_ipv4>"
    alias = lines.index(f"alias = {PCI_ALIASES[0]}")
    assert lines[alias - 1] == "#alias ="
    assert lines[alias + 1] == f"alias = {PCI_ALIASES[1]}"
    assert lines[-3:] == ["", "[privsep_osbrick]", "thread_pool_size = 4"]


def test_oslo_config_parser_reads_back_every_value(run_state, nova_conf):
    run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS)
    sections = oslo_read(nova_conf)
    for (section, key), values in expected_values().items():
        assert sections[section][key] == values, (section, key)


def test_nova_typed_options_read_back_the_values(run_state, nova_conf):
    """nova's own option definitions (bool, float, int, multi-valued) parse the file."""
    run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS)
    script = (
        "import json, sys\n"
        "import nova.conf\n"
        "from oslo_log import log\n"
        "CONF = nova.conf.CONF\n"
        "log.register_options(CONF)\n"
        "CONF(args=[], default_config_files=[sys.argv[1]], project='nova')\n"
        "print(json.dumps({\n"
        "    'debug': CONF.debug, 'use_syslog': CONF.use_syslog,\n"
        "    'cpu_allocation_ratio': CONF.cpu_allocation_ratio,\n"
        "    'reserved_host_memory_mb': CONF.reserved_host_memory_mb,\n"
        "    'enabled_apis': CONF.enabled_apis, 'api_connection': CONF.api_database.connection,\n"
        "    'connection': CONF.database.connection, 'alias': CONF.pci.alias,\n"
        "    'vnc_enabled': CONF.vnc.enabled, 'live_migration_uri': CONF.libvirt.live_migration_uri,\n"
        "    'metadata_secret': CONF.neutron.metadata_proxy_shared_secret,\n"
        "}))\n"
    )
    assert json.loads(run_system_python(script, nova_conf)) == {
        "debug": False,
        "use_syslog": True,
        "cpu_allocation_ratio": 4.0,
        "reserved_host_memory_mb": 2048,
        "enabled_apis": ["osapi_compute", "metadata"],
        "api_connection": SETTINGS["api_database"]["connection"],
        "connection": SETTINGS["database"]["connection"],
        "alias": PCI_ALIASES,
        "vnc_enabled": True,
        "live_migration_uri": "qemu+ssh://nova@%s/system",
        "metadata_secret": "META#S3cr3t",
    }


def test_crudini_reads_back_what_we_wrote(run_state, nova_conf):
    run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS)
    single = subprocess.run(
        [CRUDINI, "--get", str(nova_conf), "database", "connection"],
        check=True,
        capture_output=True,
        text=True,
    )
    assert single.stdout.rstrip("\n") == SETTINGS["database"]["connection"]
    found = crudini_all(nova_conf)
    for (section, key), values in expected_values().items():
        assert found[(section, key)] == values[-1], (section, key)


def test_secrets_never_leak_into_the_state_return(run_state, tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[database]\nconnection = mysql+pymysql://nova:OLD_S3cr3t@db/nova\n")
    for test in (True, False, True):
        ret = run_state("openstack_config.present", name=str(path), settings=SETTINGS, test=test)
        assert_no_secret(ret)
        assert "OLD_S3cr3t" not in json.dumps(ret)
    removed = run_state(
        "openstack_config.absent", name=str(path), settings={"database": ["connection"]}
    )
    assert removed["changes"]["options"]["database"]["connection"]["old"] == (
        "mysql+pymysql://nova:******@ctl/nova?charset=utf8"
    )
    assert_no_secret(removed)


def test_a_symlink_placed_by_the_service_user_is_refused(run_state, tmp_path):
    """
    nova can write /etc/nova: a nova.conf linked to a root-only file must not
    make Salt rewrite that file and hand it to the nova group.
    """
    secret = tmp_path / "shadow"
    secret.write_text("root:$y$hash:19000:0:99999:7:::\n")
    secret.chmod(0o600)
    confdir = tmp_path / "nova"
    confdir.mkdir()
    link = confdir / "nova.conf"
    link.symlink_to(secret)
    os.lchown(link, 65534, 65534)
    ret = run_state(
        "openstack_config.present",
        name=str(link),
        settings={"DEFAULT": {"debug": True}},
        group="nogroup",
        mode="0640",
    )
    assert ret["result"] is False
    assert "symbolic link" in ret["comment"]
    assert ret["changes"] == {}
    assert link.is_symlink()
    assert secret.read_text() == "root:$y$hash:19000:0:99999:7:::\n"
    st = secret.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o600)


# -- "$" in values: oslo.config reads back what was given ------------------------

DOLLAR_SETTINGS = {
    "DEFAULT": {"host": "myhost", "my_ip": "10.0.0.11"},
    "database": {"connection": "mysql+pymysql://nova:db$my_ip$$x@ctl/nova"},
    "keystone_authtoken": {"password": "pa$$word"},
    "neutron": {"metadata_proxy_shared_secret": "x$host"},
    "placement": {"password": "$nosuchopt", "username": "tail$"},
    # a backslash right before a "$": oslo.config turns "\$" into "$$"
    # before it substitutes, so "$$" escaping broke these
    "backslash": {
        "a": "a\\$b",
        "b": "x\\$my_ip",
        "c": "x\\$",
        "d": "ab\\$cd",
        "e": "\\\\${host}",
    },
    "plain": {"a": "pa$$word", "b": "$my_ip", "c": "${host}"},
}


def oslo_values(path, settings=DOLLAR_SETTINGS):
    """The values oslo.config gives the service (with its $-substitution)."""
    script = (
        "import json, sys\n"
        "from oslo_config import cfg\n"
        "wanted = json.loads(sys.argv[2])\n"
        "conf = cfg.ConfigOpts()\n"
        "for group, opts in wanted.items():\n"
        "    conf.register_opts([cfg.StrOpt(opt, secret=True) for opt in opts],\n"
        "                       None if group == 'DEFAULT' else group)\n"
        "conf(args=[], default_config_files=[sys.argv[1]])\n"
        "print(json.dumps({group: {opt: conf[group][opt] if group != 'DEFAULT' else conf[opt]\n"
        "    for opt in opts} for group, opts in wanted.items()}))\n"
    )
    wanted = {section: list(options) for section, options in settings.items()}
    return json.loads(run_system_python(script, path, json.dumps(wanted)))


def test_dollar_in_values_reaches_the_service_unchanged(run_state, nova_conf):
    first = run_state("openstack_config.present", name=str(nova_conf), settings=DOLLAR_SETTINGS)
    assert first["result"] is True, first
    assert oslo_values(nova_conf) == DOLLAR_SETTINGS
    before = snapshot(nova_conf)
    second = run_state("openstack_config.present", name=str(nova_conf), settings=DOLLAR_SETTINGS)
    assert second["result"] is True
    assert second["changes"] == {}
    assert snapshot(nova_conf) == before


def test_get_reads_dollar_values_as_oslo_does(config, nova_conf):
    config.update(str(nova_conf), settings=DOLLAR_SETTINGS)
    for section, options in DOLLAR_SETTINGS.items():
        for key, value in options.items():
            assert config.get(str(nova_conf), section, key) == value, (section, key)


def test_a_file_an_older_run_escaped_with_doubled_dollars(run_state, tmp_path):
    """
    "$$" escaping (older runs) is right for values with no backslash before
    a "$": such a file is read back right and left alone; where it was
    wrong, the value is rewritten and the service then reads the value.
    """
    right = {"DEFAULT": {"host": "myhost", "my_ip": "10.0.0.11"},
             "plain": {"a": "pa$$word", "b": "$my_ip", "c": "${host}"}}
    wrong = {"backslash": {"b": "x\\$my_ip", "c": "x\\$"}}
    path = tmp_path / "nova.conf"
    path.write_text("".join(
        f"[{section}]\n" + "".join(f"{key} = {value.replace('$', '$$')}\n"
                                   for key, value in options.items())
        for section, options in {**right, **wrong}.items()
    ))
    settings = {**right, **wrong}
    before = oslo_values(path, settings)
    assert {section: before[section] for section in right} == right
    assert before["backslash"] == {"b": "x$10.0.0.11", "c": "x$$"}
    ret = run_state("openstack_config.present", name=str(path), settings=settings)
    assert ret["result"] is True, ret
    assert set(ret["changes"]["options"]) == {"backslash"}
    assert set(ret["changes"]["options"]["backslash"]) == {"b", "c"}
    assert oslo_values(path, settings) == settings
    again = run_state("openstack_config.present", name=str(path), settings=settings)
    assert again["changes"] == {}


def test_nova_manage_overrides_use_the_shared_escape(loaders, tmp_path, monkeypatch):
    """nova_manage's temporary config files give nova-manage the values given."""
    from saltext_openstack._modules import nova_manage  # pylint: disable=import-outside-toplevel

    monkeypatch.setattr(
        nova_manage,
        "__salt__",
        {"openstack_config.escape": loaders.modules.openstack_config.escape},
        raising=False,
    )
    overrides = {
        "DEFAULT": {"my_ip": "10.0.0.11"},
        "database": {"connection": "mysql+pymysql://nova:a\\$b$my_ip$$@db/nova"},
        "api_database": {"connection": "mysql+pymysql://nova:x\\$@db/nova_api"},
    }
    path = tmp_path / "override.conf"
    path.write_text(nova_manage._render_overrides(overrides))
    assert oslo_values(path, overrides) == overrides


def test_section_spelling_is_the_one_oslo_reads(run_state, tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\nhost = myhost\n\n[Database]\nconnection = sqlite://old\n")
    settings = {"database": {"connection": "mysql+pymysql://nova:pw@ctl/nova"}}
    run_state("openstack_config.present", name=str(path), settings=settings)
    assert path.read_text().count("atabase]") == 1
    script = (
        "import sys\n"
        "from oslo_config import cfg\n"
        "conf = cfg.ConfigOpts()\n"
        "conf.register_opts([cfg.MultiStrOpt('connection')], 'database')\n"
        "conf(args=[], default_config_files=[sys.argv[1]])\n"
        "print(conf.database.connection)\n"
    )
    assert run_system_python(script, path).strip() == "['mysql+pymysql://nova:pw@ctl/nova']"
    again = run_state("openstack_config.present", name=str(path), settings=settings)
    assert again["changes"] == {}


# -- user / group / mode ------------------------------------------------------


def test_new_file_is_created_with_owner_group_and_mode(run_state, tmp_path):
    path = tmp_path / "sub.conf"
    ret = run_state(
        "openstack_config.present",
        name=str(path),
        settings={"DEFAULT": {"debug": True}},
        user="root",
        group="daemon",
        mode="0640",
    )
    assert ret["result"] is True, ret
    assert ret["changes"]["file"] == "created"
    assert ret["changes"]["group"] == {"old": None, "new": "daemon"}
    assert ret["comment"] == f"file created; 1 option changed; user, group, mode changed in {path}"
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == 0o640
    assert st.st_gid == grp.getgrnam("daemon").gr_gid
    assert path.read_text() == "[DEFAULT]\ndebug = true\n"
    assert [p.name for p in tmp_path.iterdir()] == ["sub.conf"]


def test_test_mode_does_not_create_the_file(run_state, tmp_path):
    path = tmp_path / "new.conf"
    ret = run_state(
        "openstack_config.present", name=str(path), settings={"DEFAULT": {"a": 1}}, test=True
    )
    assert ret["result"] is None
    assert ret["changes"]["file"] == "created"
    assert not path.exists()


def test_attributes_of_an_existing_file_are_fixed_without_rewriting(run_state, tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = true\n")
    path.chmod(0o644)
    before = snapshot(path)
    ret = run_state(
        "openstack_config.present",
        name=str(path),
        settings={"DEFAULT": {"debug": True}},
        group="daemon",
        mode=640,
    )
    assert ret["result"] is True
    assert ret["changes"] == {
        "group": {"old": "root", "new": "daemon"},
        "mode": {"old": "0644", "new": "0640"},
    }
    assert ret["comment"] == f"group, mode changed in {path}"
    assert snapshot(path) == before
    st = path.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o640, grp.getgrnam("daemon").gr_gid)
    again = run_state(
        "openstack_config.present",
        name=str(path),
        settings={"DEFAULT": {"debug": True}},
        group="daemon",
        mode="0640",
    )
    assert again["changes"] == {}


def test_rewrite_is_atomic_and_keeps_owner_group_and_mode(run_state, tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\ndebug = true\n")
    daemon = grp.getgrnam("daemon").gr_gid
    os.chown(path, 1, daemon)
    path.chmod(0o600)
    inode = path.stat().st_ino
    ret = run_state("openstack_config.present", name=str(path), settings={"DEFAULT": {"debug": False}})
    assert ret["result"] is True
    st = path.stat()
    assert st.st_ino != inode  # replaced by rename, not rewritten in place
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1, daemon, 0o600)
    assert [p.name for p in tmp_path.iterdir()] == ["nova.conf"]


def test_unknown_group_fails_cleanly(run_state, tmp_path):
    path = tmp_path / "nova.conf"
    ret = run_state(
        "openstack_config.present",
        name=str(path),
        settings={"DEFAULT": {"a": 1}},
        group="no-such-group-xyz",
    )
    assert ret["result"] is False
    assert "no-such-group-xyz" in ret["comment"]
    assert not path.exists()


def test_invalid_arguments_fail_without_echoing_values(run_state, tmp_path):
    relative = run_state("openstack_config.present", name="nova.conf", settings={})
    assert relative["result"] is False
    bad = run_state(
        "openstack_config.present",
        name=str(tmp_path / "x.conf"),
        settings={"DEFAULT": {"password": {"nested": "S3cr3t"}}},
    )
    assert bad["result"] is False
    assert "password" in bad["comment"]
    assert_no_secret(bad)


# -- openstack_config.absent --------------------------------------------------


def test_absent_removes_options_keeps_comments_and_is_idempotent(run_state, nova_conf):
    run_state("openstack_config.present", name=str(nova_conf), settings=SETTINGS)
    remove = {"pci": ["alias"], "database": ["connection"], "DEFAULT": ["my_ip", "never_set"]}
    predicted = run_state("openstack_config.absent", name=str(nova_conf), settings=remove, test=True)
    assert predicted["result"] is None
    assert predicted["comment"] == f"3 options would be removed in {nova_conf}"
    ret = run_state("openstack_config.absent", name=str(nova_conf), settings=remove)
    assert ret["result"] is True
    assert ret["changes"] == predicted["changes"]
    assert ret["changes"]["options"]["pci"]["alias"] == {"old": PCI_ALIASES, "new": None}
    text = nova_conf.read_text()
    assert "#alias =\n" in text and "\nalias =" not in text
    assert "#connection = <None>" in text
    sections = oslo_read(nova_conf)
    assert "connection" not in sections["database"]
    assert "my_ip" not in sections["DEFAULT"]
    before = snapshot(nova_conf)
    again = run_state("openstack_config.absent", name=str(nova_conf), settings=remove)
    assert again["changes"] == {}
    assert again["comment"] == f"4 options already absent in {nova_conf}"
    assert snapshot(nova_conf) == before


def test_absent_on_a_missing_file_does_nothing(run_state, tmp_path):
    path = tmp_path / "missing.conf"
    ret = run_state("openstack_config.absent", name=str(path), settings={"DEFAULT": ["debug"]})
    assert ret["result"] is True
    assert ret["changes"] == {}
    assert not path.exists()


# -- execution module ---------------------------------------------------------


def test_get_reads_single_multi_and_default_values(config, nova_conf):
    assert config.get(str(nova_conf), "DEFAULT", "state_path") == "/var/lib/nova"
    assert config.get(str(nova_conf), "placement", "username") == "="
    config.set(str(nova_conf), "pci", "alias", PCI_ALIASES)
    assert config.get(str(nova_conf), "pci", "alias") == PCI_ALIASES


def test_set_creates_file_section_and_reports_masked_changes(config, tmp_path):
    path = tmp_path / "new.conf"
    ret = config.set(str(path), "database", "connection", "mysql://nova:PW_S3cr3t@db/nova")
    assert ret == {
        "file": "created",
        "options": {"database": {"connection": {"old": None, "new": "mysql://nova:******@db/nova"}}},
    }
    assert path.read_text() == "[database]\nconnection = mysql://nova:PW_S3cr3t@db/nova\n"
    assert config.set(str(path), "DEFAULT", "debug", True)["options"]["DEFAULT"]["debug"]["new"] == "true"
    assert path.read_text() == (
        "[DEFAULT]\ndebug = true\n\n[database]\nconnection = mysql://nova:PW_S3cr3t@db/nova\n"
    )
    mtime = path.stat().st_mtime_ns
    assert config.set(str(path), "DEFAULT", "debug", "true") == {}
    assert path.stat().st_mtime_ns == mtime


def test_delete_and_sections(config, tmp_path):
    path = tmp_path / "x.conf"
    path.write_text("[DEFAULT]\n#k = 0\nk = 1\n[s]\nk = 2\nk = 3\n")
    assert config.sections(str(path)) == ["DEFAULT", "s"]
    assert config.delete(str(path), "s", "k") == {"options": {"s": {"k": {"old": ["2", "3"], "new": None}}}}
    assert path.read_text() == "[DEFAULT]\n#k = 0\nk = 1\n[s]\n"
    assert config.delete(str(path), "s", "k") == {}
    assert config.get(str(path), "DEFAULT", "k") == "1"


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda c, d: c.get(str(d / "missing.conf"), "DEFAULT", "debug"), "no such file"),
        (lambda c, d: c.get(str(d), "DEFAULT", "debug"), "Is a directory"),
        (lambda c, d: c.get(str(d / "x.conf"), "nosection", "debug"), "no such section"),
        (lambda c, d: c.get(str(d / "x.conf"), "DEFAULT", "missing"), "option not set"),
        (lambda c, d: c.sections(str(d / "missing.conf")), "no such file"),
        (lambda c, d: c.delete(str(d / "missing.conf"), "DEFAULT", "debug"), "no such file"),
        (lambda c, d: c.set(str(d / "nodir" / "x.conf"), "DEFAULT", "debug", 1), "No such file"),
        (lambda c, d: c.set(str(d / "x.conf"), "DEFAULT", "a=b", 1), "invalid option name"),
    ],
)
def test_execution_errors(config, tmp_path, call, message):
    (tmp_path / "x.conf").write_text("[DEFAULT]\ndebug = true\n")
    with pytest.raises(CommandExecutionError) as info:
        call(config, tmp_path)
    assert message in str(info.value)


def test_get_error_names_file_section_and_parameter(config, tmp_path):
    path = tmp_path / "x.conf"
    path.write_text("[DEFAULT]\n")
    with pytest.raises(CommandExecutionError) as info:
        config.get(str(path), "database", "connection")
    assert str(path) in str(info.value)
    assert "[database]" in str(info.value)
    assert "connection" in str(info.value)


# -- openstack_config.sections_absent: a backend taken out of cinder.conf ------

CINDER_CONF = pathlib.Path("/usr/share/cinder-common/cinder.conf")
CINDER_BACKENDS = {
    "lvm": {
        "volume_driver": "cinder.volume.drivers.lvm.LVMVolumeDriver",
        "volume_group": "cinder-volumes",
        "volume_backend_name": "LVM",
    },
    "ceph": {
        "volume_driver": "cinder.volume.drivers.rbd.RBDDriver",
        "rbd_pool": "volumes",
        "rbd_user": "cinder",
        "rbd_secret_uuid": "RBD_S3cr3t-0000-4000-8000-000000000000",
        "volume_backend_name": "ceph",
    },
}


def cinder_settings(*backends):
    return {
        "DEFAULT": {"enabled_backends": ",".join(backends)},
        "database": {"connection": "mysql+pymysql://cinder:CINDER_DBPASS@ctl/cinder"},
        **{name: CINDER_BACKENDS[name] for name in backends},
    }


@pytest.fixture
def cinder_conf(run_state, tmp_path):
    """Debian's shipped cinder.conf, deployed with the lvm and ceph backends, 0640 group daemon."""
    target = tmp_path / "cinder.conf"
    shutil.copyfile(CINDER_CONF, target)
    ret = run_state(
        "openstack_config.present",
        name=str(target),
        settings=cinder_settings("lvm", "ceph"),
        group="daemon",
        mode="0640",
    )
    assert ret["result"] is True, ret
    return target


def test_sections_absent_removes_the_backend_taken_out_and_only_it(run_state, cinder_conf):
    """The operator takes ceph out of cinder:backends: enabled_backends drops
    it and its section goes; every other section, Debian's included, stays
    as oslo.config read it; test mode predicts it; a second run is clean."""
    before_sections = oslo_read(cinder_conf)
    assert "ceph" in before_sections
    ret = run_state("openstack_config.present", name=str(cinder_conf), settings=cinder_settings("lvm"))
    assert ret["result"] is True, ret

    before = snapshot(cinder_conf)
    predicted = run_state(
        "openstack_config.sections_absent",
        name=str(cinder_conf), having="volume_driver", keep=["lvm"], test=True,
    )
    assert predicted["result"] is None, predicted
    assert predicted["comment"] == f"section [ceph] would be removed in {cinder_conf}"
    assert snapshot(cinder_conf) == before
    assert_no_secret(predicted)

    ret = run_state(
        "openstack_config.sections_absent", name=str(cinder_conf), having="volume_driver", keep=["lvm"]
    )
    assert ret["result"] is True, ret
    assert ret["changes"] == predicted["changes"]
    old = ret["changes"]["sections"]["ceph"]["old"]
    assert old["rbd_user"] == "cinder" and old["rbd_secret_uuid"] == "******"
    assert list(ret["changes"]["sections"]) == ["ceph"]
    assert_no_secret(ret)

    after = oslo_read(cinder_conf)
    assert "ceph" not in after
    assert "[ceph]" not in cinder_conf.read_text()
    expected = {section: options for section, options in before_sections.items() if section != "ceph"}
    expected["DEFAULT"] = dict(expected["DEFAULT"], enabled_backends=["lvm"])
    assert after == expected
    st = cinder_conf.stat()
    assert (stat.S_IMODE(st.st_mode), st.st_gid) == (0o640, grp.getgrnam("daemon").gr_gid)
    assert st.st_ino != before[2]
    assert [p.name for p in cinder_conf.parent.iterdir()] == ["cinder.conf"]

    settled = snapshot(cinder_conf)
    for test in (True, False):
        again = run_state(
            "openstack_config.sections_absent",
            name=str(cinder_conf), having="volume_driver", keep=["lvm"], test=test,
        )
        assert (again["result"], again["changes"]) == (True, {}), again
        assert again["comment"] == f"no other section sets volume_driver in {cinder_conf}"
    assert snapshot(cinder_conf) == settled


def test_sections_absent_keeps_sections_without_the_option(run_state, tmp_path):
    """[DEFAULT] (a single-backend file of old set volume_driver there) and an
    operator's own sections stay; section names compare as oslo.config reads them."""
    path = tmp_path / "cinder.conf"
    text = (
        "[DEFAULT]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n\n"
        "[LVM]\nvolume_driver = cinder.volume.drivers.lvm.LVMVolumeDriver\n\n"
        "[operator_notes]\nrbd_user = cinder\n"
    )
    path.write_text(text)
    ret = run_state("openstack_config.sections_absent", name=str(path), having="volume_driver",
                    keep=["lvm"])
    assert (ret["result"], ret["changes"]) == (True, {}), ret
    assert path.read_text() == text
    missing = run_state("openstack_config.sections_absent", name=str(tmp_path / "none.conf"),
                        having="volume_driver")
    assert (missing["result"], missing["changes"]) == (True, {})
    assert not (tmp_path / "none.conf").exists()


def test_remove_sections_execution_function(config, tmp_path):
    path = tmp_path / "cinder.conf"
    path.write_text("[DEFAULT]\nenabled_backends = b\n\n[a]\nvolume_driver = x\n\n[b]\nvolume_driver = y\n")
    assert config.remove_sections(str(path), "volume_driver", keep="b", test=True) == {
        "sections": {"a": {"old": {"volume_driver": "x"}, "new": None}}
    }
    assert config.remove_sections(str(path), "volume_driver", keep=["b"])["sections"]["a"]["new"] is None
    assert path.read_text() == "[DEFAULT]\nenabled_backends = b\n\n[b]\nvolume_driver = y\n"
    assert config.sections(str(path)) == ["DEFAULT", "b"]
    with pytest.raises(CommandExecutionError, match="keep must be a list of section names"):
        config.remove_sections(str(path), "volume_driver", keep={"b": 1})
