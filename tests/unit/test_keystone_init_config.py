"""
keystone_init: configuration syntax (_utils/saltext_openstack_identity.py) and
the module's settings lookup (no Keystone).
"""
import pathlib

import pytest
import yaml
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import keystone_init as ki
from saltext_openstack._utils import saltext_openstack_identity as identity

FULL_CLOUD = pathlib.Path(__file__).resolve().parent.parent / "data" / "keystone_init_full_cloud.yaml"


@pytest.fixture
def settings(monkeypatch):
    """Fake minion configuration and pillar, as the loader would inject them."""
    opts, pillar = {}, {}
    monkeypatch.setattr(ki, "__opts__", opts, raising=False)
    monkeypatch.setattr(ki, "__pillar__", pillar, raising=False)
    return opts, pillar


def test_full_cloud_example_normalizes():
    spec = identity.normalize_config(yaml.safe_load(FULL_CLOUD.read_text()))
    assert spec.region == "RegionOne"
    assert spec.projects == [("Default", "service", {"description": "Service Project"})]
    assert spec.roles == ["admin", "member", "reader", "service"]
    assert [u.name for u in spec.users] == ["glance", "nova", "placement", "neutron", "cinder"]
    for user in spec.users:
        assert user.project == "service"
        assert [(g.role, g.kind, g.target) for g in user.grants] == [
            ("admin", "project", "service"),
            ("service", "project", "service"),
        ]
    assert spec.users[0].fields == {"email": "glance@example.org"}
    assert {s.name: s.fields["type"] for s in spec.services} == {
        "glance": "image",
        "nova": "compute",
        "placement": "placement",
        "neutron": "network",
        "cinderv3": "volumev3",
    }
    assert all(sorted(s.endpoints) == ["admin", "internal", "public"] for s in spec.services)


@pytest.mark.parametrize(
    "projects",
    [
        ["service"],
        "service",
        {"service": None},
        {"service": {}},
        [{"name": "service"}],
    ],
)
def test_project_shapes(projects):
    spec = identity.normalize_config({"projects": projects})
    assert spec.projects == [("Default", "service", {})]


def test_shorthand_description_and_named_list_entries():
    spec = identity.normalize_config(
        {
            "regions": {"RegionOne": "Main site"},
            "domains": ["heat"],
            "projects": [
                {"name": "demo", "domain": "heat", "enabled": False},
                {"name": "demo", "description": "Demo"},
            ],
        }
    )
    assert spec.regions == {"RegionOne": {"description": "Main site"}}
    assert spec.domains == {"heat": {}}
    assert spec.projects == [
        ("heat", "demo", {"enabled": False}),
        ("Default", "demo", {"description": "Demo"}),
    ]


def test_grant_forms():
    spec = identity.normalize_config(
        {
            "users": {
                "alice": {
                    "project_domain": "corp",
                    "roles": {"web": "member", "db": ["reader", "member"]},
                },
                "bob": {
                    "roles": [
                        {"domain": "corp", "role": "admin"},
                        {"project": "web", "project_domain": "corp", "roles": ["member"]},
                        {"project": "ops", "role": "reader"},
                    ]
                },
            }
        }
    )
    alice, bob = spec.users
    assert [(g.role, g.kind, g.target, g.project_domain) for g in alice.grants] == [
        ("member", "project", "web", "corp"),
        ("reader", "project", "db", "corp"),
        ("member", "project", "db", "corp"),
    ]
    assert [(g.role, g.kind, g.target, g.project_domain) for g in bob.grants] == [
        ("admin", "domain", "corp", "Default"),
        ("member", "project", "web", "corp"),
        ("reader", "project", "ops", "Default"),
    ]


@pytest.mark.parametrize(
    "config, message",
    [
        ({"user": {}}, "unknown key(s) user in the configuration"),
        ({"users": {"nova": {"pasword": "x"}}}, "unknown key(s) pasword in user nova"),
        ({"users": {"nova": "secret"}}, "user nova: expected a mapping"),
        ({"users": {"nova": {"password": 1234}}}, "password must be a non-empty string"),
        ({"users": {"nova": {"enabled": "yes"}}}, "enabled must be true or false"),
        (
            {"users": {"nova": {"roles": [{"project": "a", "domain": "b", "role": "r"}]}}},
            "exactly one of project or domain",
        ),
        ({"users": {"nova": {"roles": [{"project": "a"}]}}}, "exactly one of role or roles"),
        ({"users": {"nova": {"roles": {"service": []}}}}, "expected a role name or a list"),
        ({"services": {"nova": {"description": "x"}}}, "service nova: type is required"),
        (
            {"services": {"nova": {"type": "compute", "endpoints": {"private": "http://x"}}}},
            "unknown key(s) private in the endpoints of service nova",
        ),
        ({"projects": [""]}, "project names must be non-empty strings"),
        ({"roles": {"admin": {}}}, "roles must be a list of role names"),
        ([], "expected a mapping"),
    ],
)
def test_syntax_errors(config, message):
    with pytest.raises(CommandExecutionError, match="Invalid keystone_init configuration") as exc:
        identity.normalize_config(config)
    assert message in str(exc.value)


def test_bad_password_error_does_not_echo_the_value():
    with pytest.raises(CommandExecutionError) as exc:
        identity.normalize_config({"users": {"nova": {"password": 987654321}}})
    assert "987654321" not in str(exc.value)


def test_merge_auth_precedence_and_defaults():
    base = {"auth_url": "http://a:5000/v3", "password": "base-pw", "region": "RegionOne"}
    auth = ki._merge_auth(base, {"password": "kwarg-pw", "region": None, "username": "root"})
    assert auth == {
        "auth_url": "http://a:5000/v3",
        "password": "kwarg-pw",
        "region": "RegionOne",
        "username": "root",
        "project_name": "admin",
    }


def test_merge_auth_requires_url_and_password():
    with pytest.raises(CommandExecutionError, match="No Keystone password"):
        ki._merge_auth({"auth_url": "http://a/v3"}, {})
    with pytest.raises(CommandExecutionError, match="No Keystone auth_url"):
        ki._merge_auth({}, {"password": "pw"})


def test_auth_settings_kwargs_then_minion_config_then_pillar(settings):
    opts, pillar = settings
    pillar["keystone_init"] = {
        "auth": {"auth_url": "http://pillar/v3", "password": "pillar-pw", "username": "p"}
    }
    assert ki._auth_settings({})["auth_url"] == "http://pillar/v3"
    opts["keystone_init"] = {"auth": {"auth_url": "http://opts/v3", "password": "opts-pw"}}
    auth = ki._auth_settings({"__pub_fun": "keystone_init.apply", "password": "kw-pw"})
    assert auth["auth_url"] == "http://opts/v3"  # the minion configuration wins over pillar
    assert auth["password"] == "kw-pw"  # and arguments over both
    assert auth["username"] == "admin"  # the dict found is used whole, not merged


def test_auth_settings_rejects_unknown_arguments(settings):
    with pytest.raises(CommandExecutionError, match="Unknown argument.*pasword"):
        ki._auth_settings({"pasword": "x", "auth_url": "http://a/v3"})


def test_config_from_pillar_key(settings):
    _, pillar = settings
    pillar["keystone_init"] = {"config": {"roles": ["service"]}}
    pillar["openstack"] = {"identity": {"roles": ["other"]}}
    assert ki._load_config(None) == {"roles": ["service"]}
    assert ki._load_config("openstack:identity") == {"roles": ["other"]}
    assert ki._load_config({"roles": []}) == {"roles": []}
    with pytest.raises(CommandExecutionError, match="nothing at nowhere:here"):
        ki._load_config("nowhere:here")


@pytest.mark.parametrize(
    "url, expected",
    [
        ("http://c:5000", "http://c:5000/v3"),
        ("http://c:5000/", "http://c:5000/v3"),
        ("http://c:5000/v3", "http://c:5000/v3"),
        ("https://c/identity/v3/", "https://c/identity/v3"),
    ],
)
def test_identity_url(url, expected):
    assert ki._identity_url(url) == expected


def test_identity_url_refuses_v2():
    with pytest.raises(CommandExecutionError, match="v2.0"):
        ki._identity_url("http://c:5000/v2.0")
