"""Masking of secrets in the change reports of openstack_config."""
import pytest

from saltext_openstack._modules import openstack_config as oc


@pytest.mark.parametrize(
    "key",
    ["password", "admin_password", "PASSWORD", "metadata_proxy_shared_secret", "token", "auth_token",
     "memcache_secret_key", "api_key", "ssh_key_file", "Secret"],
)
def test_secret_key_names_mask_the_whole_value(key):
    assert oc._mask(key, "hunter2") == oc.MASK
    assert oc._mask(key, ["a", "b"]) == [oc.MASK, oc.MASK]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("mysql+pymysql://nova:NOVA_DBPASS@ctl/nova", "mysql+pymysql://nova:******@ctl/nova"),
        (
            "mysql+pymysql://nova:NOVA_DBPASS@ctl/nova?charset=utf8",
            "mysql+pymysql://nova:******@ctl/nova?charset=utf8",
        ),
        ("rabbit://openstack:RABBIT_PASS@ctl:5672/", "rabbit://openstack:******@ctl:5672/"),
        (
            "rabbit://openstack:P1@ctl1:5672,openstack:P2@ctl2:5672/",
            "rabbit://openstack:******@ctl1:5672,openstack:******@ctl2:5672/",
        ),
        ("redis://:REDIS_PASS@cache:6379", "redis://:******@cache:6379"),
        ("mysql://nova:p@ss/w0rd@db/nova", "mysql://nova:******@db/nova"),
        ("rabbit://u:pa,ss@ctl/", "rabbit://u:******@ctl/"),
        ("http://ctl:5000/v3", "http://ctl:5000/v3"),
        ("rabbit://ctl1:5672,ctl2:5672/", "rabbit://ctl1:5672,ctl2:5672/"),
        ("http://user@ctl/", "http://user@ctl/"),
        ("sqlite:////var/lib/nova/nova.sqlite", "sqlite:////var/lib/nova/nova.sqlite"),
        ("plain value: with colon @ and at", "plain value: with colon @ and at"),
        ("", ""),
    ],
)
def test_url_passwords_are_masked(value, expected):
    assert oc._mask("connection", value) == expected


@pytest.mark.parametrize(
    "value, secret",
    [
        ("mysql://nova:p@ss@db/nova", "p@ss"),
        ("rabbit://u:p1@h1,h2:5672,u:pw2@h3/", "pw2"),
        ("rabbit://u:pa,ss,wd@h1/", "pa,ss,wd"),
        ("rabbit://h1:5672,u:pw3@h2/", "pw3"),
        ("x https://u:pw4@h/p http://v:pw5@g/", "pw4,pw5"),
    ],
)
def test_ambiguous_urls_never_leak_the_password(value, secret):
    masked = oc._mask("transport_url", value)
    for fragment in secret.split(","):
        assert fragment not in masked, masked
    assert oc.MASK in masked


def test_lists_and_none():
    assert oc._mask("transport_url", None) is None
    assert oc._mask("transport_url", ["rabbit://a:PW@h/", "x"]) == ["rabbit://a:******@h/", "x"]


def test_option_report_masks_old_and_new_values():
    report = oc._option_report(
        [
            ("database", "connection", ["mysql://n:OLD@h/n"], ["mysql://n:NEW@h/n"]),
            ("keystone_authtoken", "password", [], ["KSPASS"]),
            ("filter_scheduler", "enabled_filters", ["A"], ["A", "B"]),
        ]
    )
    assert report == {
        "database": {"connection": {"old": "mysql://n:******@h/n", "new": "mysql://n:******@h/n"}},
        "keystone_authtoken": {"password": {"old": None, "new": "******"}},
        "filter_scheduler": {"enabled_filters": {"old": "A", "new": ["A", "B"]}},
    }
