"""
cluster/salt_output.py: the state keys of Salt's state returns, as
orch_summary.py labels them and orch_profile.py ranks them.  Its
parse_salt_json is tested through verify.py (test_verify_logic.py), which
the other scripts reach it by.
"""
import pytest
from source_module import load

salt_output = load("cluster/salt_output.py", "salt_output_under_test")


@pytest.mark.parametrize("key, ret, expected", [
    ("pkg_|-common-packages_|-common-packages_|-installed", None,
     ("common-packages", "pkg.installed")),
    # the return's __id__ wins over the key's (a name given with `- name:`)
    ("file_|-nova-conf_|-/etc/nova/nova.conf_|-managed", {"__id__": "nova.conf"},
     ("nova.conf", "file.managed")),
    ("file_|-nova-conf_|-/etc/nova/nova.conf_|-managed", {"__id__": ""},
     ("nova-conf", "file.managed")),
    # an orchestration step
    ("salt_|-openstack-common_|-openstack-common_|-state", {"__id__": "openstack-common"},
     ("openstack-common", "salt.state")),
    # a salt:// URL as the name
    ("cmd_|-cloud-verify_|-salt://cloud/files/verify.sh.jinja_|-script", {},
     ("cloud-verify", "cmd.script")),
    # not a state key: no function; the second part, else the whole key
    ("no_|-function", None, ("function", "")),
    ("Rendering SLS failed", {}, ("Rendering SLS failed", "")),
])
def test_state_key(key, ret, expected):
    assert salt_output.state_key(key, ret) == expected


def test_log_lines_with_braces_before_the_json_are_skipped():
    text = '[WARNING ] a deprecation of {"some": "thing"}\n{"controller": {"x": 1}}\n'
    assert salt_output.parse_salt_json(text) == {"controller": {"x": 1}}
