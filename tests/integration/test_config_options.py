"""
Every option the formulas write into an OpenStack service's configuration
is an option that service knows.

oslo.config ignores an unknown option name without a word, so a misspelt
option (session 2's ``[vxlan] udp_port`` for linuxbridge's ``udp_dstport``) renders,
applies, passes every unit test and is only noticed when the cloud
misbehaves.  Each role's highstate is rendered on the real minions of the
integration cluster (Debian 13 and Rocky 9 grains) and every
``openstack_config.present`` option is looked up in Debian 13 (trixie)'s
sample configuration of that file (OpenStack 2025.1 Epoxy, the release the
project deploys): oslo-config-generator's list of every option the service
registers, shipped in the service's package and fetched (not installed) by
``.ci/fetch-sample-configs``.
"""
import json
import pathlib
import re

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = REPO / ".cache" / "sample-configs"

# the file a formula writes -> trixie's sample of it (or several samples, when
# the service registers options its own sample does not list)
SAMPLE_OF = {
    "/etc/keystone/keystone.conf": "usr/share/keystone/keystone.conf",
    "/etc/glance/glance-api.conf": "usr/share/glance-common/glance-api.conf",
    "/etc/placement/placement.conf": "usr/share/placement-common/placement.conf",
    "/etc/nova/nova.conf": "usr/share/nova-common/nova.conf",
    "/etc/cinder/cinder.conf": "usr/share/cinder-common/cinder.conf",
    "/etc/neutron/neutron.conf": "usr/share/neutron-common/neutron.conf",
    # ML2 with its [ovn] and [ml2_type_geneve] options
    "/etc/neutron/plugins/ml2/ml2_conf.ini": "usr/share/neutron-common/plugins/ml2/ml2_conf.ini",
    # The OVN metadata agent's sample lists the agent's own options; the
    # agent also registers neutron's [ovn] group (ovn_sb_connection, ...),
    # whose sample is neutron-common's ovn.ini.
    "/etc/neutron/neutron_ovn_metadata_agent.ini": (
        "etc/neutron/neutron_ovn_metadata_agent.ini",
        "usr/share/neutron-common/ovn.ini",
    ),
}
# The files every rendering must write (or the check checks nothing): every
# SAMPLE_OF file, as each role's highstate is rendered (the OVN metadata
# agent's on the computes).
ALWAYS_WRITTEN = {
    "/etc/keystone/keystone.conf",
    "/etc/glance/glance-api.conf",
    "/etc/placement/placement.conf",
    "/etc/nova/nova.conf",
    "/etc/cinder/cinder.conf",
    "/etc/neutron/neutron.conf",
    "/etc/neutron/plugins/ml2/ml2_conf.ini",
    "/etc/neutron/neutron_ovn_metadata_agent.ini",
}
# files written with openstack_config that are not oslo.config files
NOT_OSLO = re.compile(r"-uwsgi\.ini$|^/etc/mysql/|^/etc/my\.cnf\.d/")

# Deprecated options written on purpose, each with its reason.
DEPRECATED_ON_PURPOSE = {
    # The only way to name the user (nova) and the key file the source
    # libvirtd (root) connects with; live_migration_scheme cannot.
    ("libvirt", "live_migration_uri"),
}

OPTION = re.compile(r"^#?\s*([A-Za-z0-9_.-]+)\s*=")


def sample_paths(sample):
    """The sample files of a SAMPLE_OF entry (one path or a tuple)."""
    return (sample,) if isinstance(sample, str) else tuple(sample)


def sample_lines(sample):
    """(section, stripped line) for every line of a sample (each of its
    files) after the file's first section header."""
    for path in sample_paths(sample):
        section = None
        for line in (SAMPLES / path).read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1]
                yield section, None
            elif section is not None:
                yield section, line


def sample_options(sample):
    """{section: {option: deprecated?}} of a sample: every option, set or
    commented out; deprecated when its help text says so."""
    sections, deprecated = {}, False
    for section, line in sample_lines(sample):
        current = sections.setdefault(section, {})
        if line is None:
            deprecated = False
        elif match := OPTION.match(line):
            current[match.group(1)] = current.get(match.group(1), False) or deprecated
            deprecated = False
        elif "DEPRECATED:" in line or "deprecated for removal" in line:
            deprecated = True
    return sections


# Services that register a backend's options in a group named after the
# backend (DEFAULT.enabled_backends, "name" or "name:type" items); their
# samples list those options once, under another section.
BACKEND_OPTIONS_IN = {
    "/etc/cinder/cinder.conf": "backend_defaults",
    "/etc/glance/glance-api.conf": "glance_store",
}


def known(sample, settings, section, option, backend_options_in=None):
    """Is [section] option one the service registers?"""
    if option in sample.get(section, {}):
        return True
    backends = str(settings.get("DEFAULT", {}).get("enabled_backends", "")).split(",")
    names = {b.split(":")[0].strip() for b in backends if b.strip()}
    return backend_options_in is not None and section in names and \
        option in sample.get(backend_options_in, {})


def deprecated(sample, settings, section, option, backend_options_in=None):
    if option in sample.get(section, {}):
        return sample[section][option]
    return sample.get(backend_options_in, {}).get(option, False)


@pytest.fixture(scope="module")
def written(cluster):
    """[(minion, state id, file, settings)] of every openstack_config.present,
    rendered once per cluster."""
    found = []
    for minion_id in ("controller", "gateway", "compute1"):
        ret = cluster["salt_cli"].run("state.show_lowstate", minion_tgt=minion_id)
        assert ret.returncode == 0 and isinstance(ret.data, list), ret
        for chunk in ret.data:
            if chunk.get("state") == "openstack_config" and chunk.get("fun") == "present":
                found.append((minion_id, chunk["__id__"], chunk["name"], chunk.get("settings") or {}))
    return found


@pytest.fixture(scope="module")
def samples():
    if not (SAMPLES / ".stamp").is_file():
        pytest.fail(f"{SAMPLES} is missing: run .ci/fetch-sample-configs (make test does)")
    return {target: sample_options(path) for target, path in SAMPLE_OF.items()}


def test_every_option_written_is_one_the_service_knows(written, samples):
    files = {name for _m, _s, name, _settings in written}
    # the check must see the services' files, or it checks nothing
    assert ALWAYS_WRITTEN <= files, f"not rendered: {sorted(ALWAYS_WRITTEN - files)}"
    unknown, old, unmapped, checked = [], [], [], 0
    for minion_id, state_id, name, settings in written:
        if NOT_OSLO.search(name):
            continue
        if name not in samples:
            unmapped.append(f"{minion_id}: {state_id}: {name}")
            continue
        for section, options in settings.items():
            for option in options:
                checked += 1
                where = f"{minion_id}: {state_id}: {name} [{section}] {option}"
                args = (samples[name], settings, section, option, BACKEND_OPTIONS_IN.get(name))
                if not known(*args):
                    unknown.append(where)
                elif deprecated(*args) and (section, option) not in DEPRECATED_ON_PURPOSE:
                    old.append(where)
    # every kind of problem in one report
    problems = []
    if unmapped:
        problems.append("files without a sample in SAMPLE_OF: " + "; ".join(unmapped))
    if unknown:
        problems.append("options the service does not know:\n  " + "\n  ".join(sorted(set(unknown))))
    if old:
        problems.append("deprecated options (may be ignored in a later release):\n  " +
                        "\n  ".join(sorted(set(old))))
    assert not problems, "\n".join(problems)
    assert checked > 150, checked


def test_pillar_physnet_mtu_is_neutrons_default(samples):
    """The pillar's MTU ceilings count with global_physnet_mtu at Neutron's
    default (the formulas do not write it): the sample's, in its words."""
    from saltext_openstack._modules import openstack_pillar  # pylint: disable=import-outside-toplevel

    assert "global_physnet_mtu" in samples["/etc/neutron/neutron.conf"]["DEFAULT"]
    defaults = [line for section, line in sample_lines(SAMPLE_OF["/etc/neutron/neutron.conf"])
                if section == "DEFAULT" and line and line.startswith("#global_physnet_mtu")]
    assert defaults == [f"#global_physnet_mtu = {openstack_pillar.PHYSNET_MTU}"]


def test_the_check_finds_a_misspelt_option(samples):
    """The lookup itself: the real sample knows max_header_size, not
    max_header_length."""
    ml2 = samples["/etc/neutron/plugins/ml2/ml2_conf.ini"]
    assert known(ml2, {}, "ml2_type_geneve", "max_header_size")
    assert not known(ml2, {}, "ml2_type_geneve", "max_header_length")
    assert known(ml2, {}, "ovn", "ovn_nb_connection")
    # the OVN metadata agent: its own options and neutron's [ovn] group
    metadata = samples["/etc/neutron/neutron_ovn_metadata_agent.ini"]
    assert known(metadata, {}, "DEFAULT", "metadata_proxy_shared_secret")
    assert known(metadata, {}, "ovn", "ovn_sb_connection")
    assert not known(metadata, {}, "ovn", "ovn_sb_connexion")
    cinder = samples["/etc/cinder/cinder.conf"]
    lvm = {"DEFAULT": {"enabled_backends": "lvm"}}
    assert known(cinder, lvm, "lvm", "volume_group", "backend_defaults")
    assert not known(cinder, lvm, "lvm", "volume_grop", "backend_defaults")
    assert not known(cinder, {}, "other", "volume_group", "backend_defaults")
    glance = samples["/etc/glance/glance-api.conf"]
    fs = {"DEFAULT": {"enabled_backends": "fs:file"}}
    assert known(glance, fs, "fs", "filesystem_store_datadir", "glance_store")
    assert not known(glance, fs, "images", "filesystem_store_datadir", "glance_store")
    # deprecated for removal, in the sample's own words
    assert deprecated(glance, {}, "glance_store", "default_store")
    assert not deprecated(glance, {}, "glance_store", "default_backend")
    assert deprecated(samples["/etc/nova/nova.conf"], {}, "glance", "api_servers")


def test_debians_region_default_never_survives(cluster, written, samples):
    """Debian's packaged configs name the region regionOne; the catalog's
    region comes from pillar (RegionOne in the example), and a lookup in the
    wrong region finds no endpoint (nova's [cinder] os_region_name: no
    volume attach).  Every option Debian sets to a region must be written
    with the pillar's."""
    # The region as the formulas see it: the validated model (pillar.get
    # masks values on Salt 3008, the model is what the formulas read).
    topology = cluster["salt_cli"].run("openstack_pillar.topology", minion_tgt="controller").data
    region = topology["region"]
    assert region == "RegionOne"
    values = {}
    for _minion, _state, name, settings in written:
        for section, options in settings.items():
            for option, value in options.items():
                values.setdefault((name, section, option), set()).add(value)
    written_files = {name for _minion, _state, name, _settings in written}
    missing = []
    for name, sample in SAMPLE_OF.items():
        if name not in written_files:
            continue
        for section, line in sample_lines(sample):
            if line is not None and re.match(r"^[a-z_]*region_name\s*=\s*regionOne$", line):
                option = line.split("=")[0].strip()
                if values.get((name, section, option)) != {region}:
                    missing.append(f"{name} [{section}] {option}: {values.get((name, section, option))}")
    assert not missing, "Debian's regionOne left in place:\n  " + "\n  ".join(missing)


# The services that validate tokens (keystonemiddleware's auth_token in
# their API), all on the controller: the file of each.
TOKEN_VALIDATING = {
    "/etc/glance/glance-api.conf",
    "/etc/placement/placement.conf",
    "/etc/nova/nova.conf",
    "/etc/neutron/neutron.conf",
    "/etc/cinder/cinder.conf",
}


@pytest.fixture(scope="module")
def passwords():
    """The example pillar's secrets (what the cluster's master serves)."""
    return yaml.safe_load((REPO / "pillar" / "openstack.sls").read_text())["openstack"]["passwords"]


def test_every_token_validating_service_encrypts_its_token_cache(written, passwords):
    """Issue 11 item 4: a validated token is cached in memcached encrypted
    and authenticated with the pillar's key, so nothing that reaches
    memcached can plant a token validation; and memcached is the
    controller's loopback one."""
    sections = {}
    for minion_id, state_id, name, settings in written:
        if "keystone_authtoken" in settings:
            sections[(minion_id, state_id, name)] = settings["keystone_authtoken"]
    assert TOKEN_VALIDATING <= {name for m, _s, name in sections if m == "controller"}
    problems = []
    for (minion_id, state_id, name), section in sorted(sections.items()):
        where = f"{minion_id}: {state_id}: {name}"
        if minion_id != "controller":
            problems.append(f"{where}: [keystone_authtoken] off the controller")
        if section.get("memcache_security_strategy") != "ENCRYPT":
            problems.append(f"{where}: memcache_security_strategy "
                            f"{section.get('memcache_security_strategy')!r}")
        if section.get("memcache_secret_key") != passwords["memcache_secret_key"]:
            problems.append(f"{where}: memcache_secret_key is not the pillar's")
        if section.get("memcached_servers") != "127.0.0.1:11211":
            problems.append(f"{where}: memcached_servers {section.get('memcached_servers')!r}")
    assert not problems, "\n".join(problems)


def test_nothing_off_the_controller_talks_to_memcached(written, passwords):
    """The computes' and gateways' configs (nova-compute, the noVNC proxy,
    the OVN metadata agent) validate no token: no memcache option, and
    never the token cache's key."""
    seen = set()
    for minion_id, state_id, name, settings in written:
        if minion_id == "controller":
            continue
        seen.add(minion_id)
        text = json.dumps(settings)
        assert passwords["memcache_secret_key"] not in text, f"{minion_id}: {state_id}"
        assert "memcache" not in text, f"{minion_id}: {state_id}: {name}"
    assert seen == {"gateway", "compute1"}


def test_keystones_cache_is_the_loopback_memcached(written):
    keystone = [settings for minion_id, _s, name, settings in written
                if name == "/etc/keystone/keystone.conf"]
    assert keystone and all(s["cache"]["memcache_servers"] == "127.0.0.1:11211" for s in keystone)
