"""
The secret masker openstack_config and nova_manage share
(_utils/saltext_openstack_mask.py): where the modules find it (synced or
pip-installed) and its rules, on strings.  What each module makes of it:
test_openstack_config_mask.py, test_nova_manage_parsing.py and
test_nova_manage_secrets.py.
"""
import pathlib
import shutil

import pytest
import salt.loader
import salt.utils.path
from minion_opts import forgotten
from minion_opts import loaded_globals as _globals
from minion_opts import minion_opts as make_minion_opts

from saltext_openstack._utils import saltext_openstack_mask as mask

REPO = pathlib.Path(__file__).resolve().parents[2]
# sync_all syncs every file of _utils/: what the two modules import.
SYNCED = ("saltext_openstack_mask", "saltext_openstack_schema", "saltext_openstack_ini",
          "saltext_openstack_nova", "saltext_openstack_schemacache", "saltext_openstack_sql")
MODULES = ("openstack_config", "nova_manage")


@pytest.fixture
def fresh_job(monkeypatch):
    """A minion job's process: the synced copies not imported yet; nova-manage "installed"."""
    which = salt.utils.path.which
    monkeypatch.setattr(salt.utils.path, "which", lambda name: (
        f"/usr/bin/{name}" if name == "nova-manage" else which(name)))  # fmt: skip
    with forgotten(*SYNCED):
        yield


def _loaded_masks(opts):
    mods = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
    return [_globals(mods, module)["mask"] for module in MODULES], _globals(mods, MODULES[0])


def test_synced_modules_import_the_synced_masker(tmp_path, fresh_job):
    opts = make_minion_opts(tmp_path / "root", "synced", tmp_path / "pillar")
    extmods = pathlib.Path(opts["extension_modules"])
    for kind in ("modules", "utils"):
        (extmods / kind).mkdir(parents=True)
    for module in MODULES:
        shutil.copy(REPO / "_modules" / f"{module}.py", extmods / "modules")
    for name in SYNCED:
        shutil.copy(REPO / "_utils" / f"{name}.py", extmods / "utils")
    loaded, config_globals = _loaded_masks(opts)
    assert loaded[0].__file__ == str(extmods / "utils" / f"{SYNCED[0]}.py")
    assert loaded[1] is loaded[0] and loaded[0] is not mask
    # openstack_config's INI documents come from the same place
    assert config_globals["ini"].__file__ == str(extmods / "utils" / f"{SYNCED[2]}.py")


def test_installed_modules_use_the_package_s_masker(tmp_path, fresh_job):
    opts = make_minion_opts(tmp_path / "root", "installed", tmp_path / "pillar")
    loaded, config_globals = _loaded_masks(opts)
    assert loaded == [mask, mask]
    assert config_globals["ini"].__name__ == "saltext_openstack._utils.saltext_openstack_ini"


# -- option names -------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["password", "admin_password", "PASSWORD", "metadata_proxy_shared_secret", "token", "auth_token",
     "memcache_secret_key", "api_key", "ssh_key_file", "Secret"],
)
def test_secret_key_names_mask_the_whole_value(key):
    assert mask.is_secret_key(key)
    assert mask.mask_value(key, "hunter2") == mask.MASK
    assert mask.mask_value(key, ["a", "b"]) == [mask.MASK, mask.MASK]
    assert mask.mask_value(key, "hunter2", "****") == "****"


@pytest.mark.parametrize("key", ["connection", "transport_url", "debug", "my_ip"])
def test_other_names_are_not_secret(key):
    assert not mask.is_secret_key(key)
    assert mask.mask_value(key, "hunter2") == "hunter2"


# -- URLs in values -----------------------------------------------------------


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
        # nova_manage's former rule also masked after a bare "://"
        ("://u:pw@h/", "://u:******@h/"),
    ],
)
def test_url_passwords_are_masked(value, expected):
    assert mask.mask_value("connection", value) == expected
    assert mask.mask_urls(value) == expected
    assert mask.has_credentials(value) is (value != expected)


@pytest.mark.parametrize(
    "value, secret",
    [
        ("mysql://nova:p@ss@db/nova", "p@ss"),
        ("rabbit://u:p1@h1,h2:5672,u:pw2@h3/", "pw2"),
        ("rabbit://u:pa,ss,wd@h1/", "pa,ss,wd"),
        ("rabbit://h1:5672,u:pw3@h2/", "pw3"),
        ("x https://u:pw4@h/p http://v:pw5@g/", "pw4,pw5"),
        ("mysql://nova:pass word@db/nova", "pass,word"),
    ],
)
def test_ambiguous_urls_never_leak_the_password(value, secret):
    masked = mask.mask_value("transport_url", value)
    for fragment in secret.split(","):
        assert fragment not in masked, masked
    assert mask.MASK in masked


def test_lists_none_and_the_caller_s_mask():
    assert mask.mask_value("transport_url", None) is None
    assert mask.mask_urls(None) is None
    assert not mask.has_credentials(None)
    assert mask.mask_value("transport_url", ["rabbit://a:PW@h/", "x"]) == ["rabbit://a:******@h/", "x"]
    assert mask.mask_urls("rabbit://a:PW@h/", "****") == "rabbit://a:****@h/"


def test_each_line_of_a_multi_line_value_is_masked_on_its_own():
    value = "mysql://a:PW1@h/x\nplain\nrabbit://b:PW2@g/"
    assert mask.mask_urls(value) == "mysql://a:******@h/x\nplain\nrabbit://b:******@g/"


# -- free text ----------------------------------------------------------------


def test_scrub_free_text_and_known_secrets():
    secrets = mask.passwords(["mysql://nova:p%40ssword@h/n", "rabbit://u:abc@h/"])
    # decoded and raw forms; too short ones are not scrubbed blindly
    assert secrets == ["p%40ssword", "p@ssword"]
    text = "failed mysql://nova:x1y2z3@h/n (password p@ssword rejected)"
    expected = "failed mysql://nova:****@h/n (password **** rejected)"
    assert mask.scrub(text, secrets, "****") == expected


def test_scrub_stops_a_url_at_white_space():
    text = "cannot reach mysql://nova:S3cret@db/nova: Access denied for user 'nova'@'db'"
    assert mask.scrub(text) == (
        "cannot reach mysql://nova:******@db/nova: Access denied for user 'nova'@'db'"
    )
    text = "a rabbit://u:p1@h1,u:p2@h2/ and mysql://n:p@ss@db/n\nnext line"
    assert mask.scrub(text, (), "****") == (
        "a rabbit://u:****@h1,u:****@h2/ and mysql://n:****@db/n\nnext line"
    )


def test_passwords_of_every_host_and_of_ambiguous_authorities():
    assert mask.passwords(
        ["rabbit://u:pass1@h1,u:pass2@h2/", "mysql://n:p@ss,w@db/n", None, "", "none:///"]
    ) == ["p@ss,w", "pass1", "pass2"]
