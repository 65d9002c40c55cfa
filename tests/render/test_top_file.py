"""
salt/top.sls reads a host's roles from the raw pillar (a new host's first
highstate renders the top file before it syncs openstack_pillar), by the
model's own rule, ``openstack_pillar.host_roles``: these tests render the
top file by Salt's Jinja renderer for well-formed and malformed entries
and hold the two together.  Unit tier: no daemon.
"""
import pathlib

import pytest
import salt.config
import salt.utils.templates
import yaml

from saltext_openstack._modules import openstack_pillar

REPO = pathlib.Path(__file__).resolve().parents[2]
TOP = (REPO / "salt" / "top.sls").read_text()
ALWAYS = ["common", "firewall"]


def _top(tmp_path, data, minion_id="c1"):
    """The SLS list top.sls gives ``minion_id`` with pillar ``openstack: data``."""
    opts = dict(salt.config.DEFAULT_MINION_OPTS, cachedir=str(tmp_path), id=minion_id)
    rendered = salt.utils.templates.render_jinja_tmpl(
        TOP, {"pillar": {"openstack": data}, "grains": {"id": minion_id}, "opts": opts,
              "saltenv": "base", "sls": "top"})
    return (yaml.safe_load(rendered)["base"] or {}).get(minion_id)


@pytest.fixture(scope="module")
def role_states(tmp_path_factory):
    """{role: the SLS top.sls adds for it}."""
    tmp_path = tmp_path_factory.mktemp("top")
    return {role: _top(tmp_path, {"hosts": {"c1": {"roles": [role]}}})[len(ALWAYS):]
            for role in openstack_pillar.ROLES}


@pytest.mark.parametrize("entry", [
    {"roles": ["compute"]},
    {"roles": ["gateway", "compute"]},
    {"roles": ["compute", "controller", "gateway"]},
    {"roles": ["compute", "storage"]},  # an unknown role: the validator refuses it
    {"roles": ["compute", 5, None]},
    {"roles": ("controller",)},
    {"roles": []},
    {"roles": "compute"},  # a string, not a list
    {"roles": {"compute": True}},  # a mapping, not a list
    {"roles": [["compute"]]},
    {"roles": None},
    {"address": "192.0.2.1"},
    "compute",  # the entry is not a mapping
    None,
])
def test_the_top_file_reads_roles_as_the_model_does(tmp_path, role_states, entry):
    data = {"hosts": {"c1": entry, "c2": {"roles": ["controller"]}}}
    expected = list(ALWAYS)
    for role in openstack_pillar.host_roles(data, "c1"):
        expected += role_states[role]
    # Listed in the host map: `common` (which validates the pillar and
    # refuses a malformed entry with its key) whatever the roles; the
    # roles' states in the top file's own order.
    top = _top(tmp_path, data)
    assert top[:len(ALWAYS)] == ALWAYS
    assert sorted(top) == sorted(expected), top


def test_a_host_outside_the_map_gets_nothing(tmp_path):
    assert _top(tmp_path, {"hosts": {"c2": {"roles": ["compute"]}}}) is None
    assert openstack_pillar.host_roles({"hosts": {"c2": {"roles": ["compute"]}}}, "c1") == []


def test_every_role_has_its_states(role_states):
    assert all(role_states[role] for role in openstack_pillar.ROLES), role_states
