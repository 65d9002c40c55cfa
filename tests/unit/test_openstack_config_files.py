"""
openstack_config on real files: ``$`` escaping (issue 11, item 1).
"""
import pytest

from saltext_openstack._modules import openstack_config as oc


# -- item 1: "$" in values -----------------------------------------------------

DOLLAR_PASSWORDS = ["pa$$word", "x$host", "$my_ip", "tail$", "a$$$b"]


@pytest.mark.parametrize("password", DOLLAR_PASSWORDS)
def test_dollar_is_written_doubled_and_read_back(tmp_path, password):
    path = tmp_path / "nova.conf"
    oc.update(str(path), settings={"keystone_authtoken": {"password": password}})
    assert path.read_text() == (
        f"[keystone_authtoken]\npassword = {password.replace('$', '$$')}\n"
    )
    assert oc.get(str(path), "keystone_authtoken", "password") == password
    # an escaped value compares equal to the wanted one: nothing to do
    before = path.stat().st_mtime_ns
    assert oc.update(str(path), settings={"keystone_authtoken": {"password": password}}) == {}
    assert path.stat().st_mtime_ns == before


def test_unescaped_dollar_of_an_older_run_is_rewritten(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[database]\nconnection = mysql+pymysql://nova:pa$word@db/nova\n")
    changes = oc.update(
        str(path), settings={"database": {"connection": "mysql+pymysql://nova:pa$word@db/nova"}}
    )
    assert "connection" in changes["options"]["database"]
    assert "pa$word" not in str(changes)
    assert path.read_text() == "[database]\nconnection = mysql+pymysql://nova:pa$$word@db/nova\n"


def test_dollar_in_multi_valued_options(tmp_path):
    path = tmp_path / "x.conf"
    oc.update(str(path), settings={"pci": {"alias": ["a$b", "c"]}})
    assert path.read_text() == "[pci]\nalias = a$$b\nalias = c\n"
    assert oc.get(str(path), "pci", "alias") == ["a$b", "c"]


def test_escape_is_the_shared_function():
    assert oc.escape("pa$word") == "pa$$word"
    assert oc.escape(5) == "5"
