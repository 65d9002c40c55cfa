"""
openstack_rabbitmq's own password check and its reading of
``rabbitmqctl export_definitions``.

The vectors follow RabbitMQ's scheme (rabbit_password.erl): a 4-byte salt,
then the hash of salt and UTF-8 password, stored as base64 of salt and
hash.  The MD5 and SHA-256 ones are the examples of RabbitMQ's passwords
guide ("simon" with salt CA D5 08 9B; "test12" with salt 90 8D C6 0A); the
others were computed from the same scheme with hashlib.
"""
import json

import pytest

from saltext_openstack._modules import openstack_rabbitmq as orm

SHA256 = "rabbit_password_hashing_sha256"
SHA512 = "rabbit_password_hashing_sha512"
MD5 = "rabbit_password_hashing_md5"

VECTORS = [
    ("simon", "ytUIm8s3AnKsXQjptplKFytfVxI=", MD5),
    ("test12", "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR", SHA256),
    ("test12", "kI3GChuNuIYf8lRbCCxZjgjKwsY19ns6+uFO0zcXRBGA/XGJPYD8OWMy7EB8TaOmAzjP2azv84GbINYwX2cDWb4DHnc=",
     SHA512),
    ("é€", "kI3GCs55jFrbbqqJZkjvRVCOe+BSyQXC0gsD+J8JBB0Xy0ZM", SHA256),
]


@pytest.mark.parametrize("password, password_hash, algorithm", VECTORS)
def test_the_right_password_matches(password, password_hash, algorithm):
    assert orm._password_matches(password, password_hash, algorithm) is True


@pytest.mark.parametrize("password, password_hash, algorithm", VECTORS)
def test_a_wrong_password_does_not(password, password_hash, algorithm):
    for wrong in (password + "x", password[:-1], password.upper(), "Simon", ""):
        if wrong != password:
            assert orm._password_matches(wrong, password_hash, algorithm) is False


def test_the_salt_counts():
    """The same password under another salt is another hash."""
    # "test12"'s SHA-256 with the first salt byte changed
    other = "kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR".replace("kI3G", "kY3G", 1)
    assert orm._password_matches("test12", other, SHA256) is False


@pytest.mark.parametrize("password_hash, algorithm", [
    ("kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR", "rabbit_password_hashing_custom"),
    ("kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR", None),
    # the size of another hash: an MD5 one said to be SHA-256, and back
    ("ytUIm8s3AnKsXQjptplKFytfVxI=", SHA256),
    ("kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2POR", MD5),
    ("", SHA256),  # clear_password: no hash
    (None, SHA256),
    ("not base64!", SHA256),
    ("kI3GCqW5JLMJa4iX1lo7X4D6XbYqlLgxIs30+P6tENUV2PO", SHA256),  # bad padding
    (["kI3G"], SHA256),
])
def test_what_it_cannot_tell_is_none(password_hash, algorithm):
    assert orm._password_matches("test12", password_hash, algorithm) is None


def test_a_password_that_is_no_utf8_is_none():
    assert orm._password_matches("\udc80", VECTORS[1][1], SHA256) is None


# What RabbitMQ 4.0's export_definitions prints (its shape; made-up values).
DEFINITIONS = {
    "rabbit_version": "4.0.5",
    "rabbitmq_version": "4.0.5",
    "product_name": "RabbitMQ",
    "users": [
        {"name": "guest", "password_hash": VECTORS[0][1], "hashing_algorithm": MD5,
         "tags": ["administrator"], "limits": {}},
        {"name": "nova", "password_hash": VECTORS[1][1], "hashing_algorithm": SHA256,
         "tags": [], "limits": {}},
        {"name": "idle", "password_hash": "", "hashing_algorithm": SHA256, "tags": [],
         "limits": {}},
    ],
    "vhosts": [{"name": "/", "limits": [], "metadata": {"description": "", "tags": []}},
               {"name": "/openstack", "limits": [], "metadata": {}}],
    "permissions": [
        {"user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
        {"user": "nova", "vhost": "/", "configure": "^$", "write": ".*", "read": ".*"},
        {"user": "nova", "vhost": "/openstack", "configure": ".*", "write": ".*", "read": ""},
        {"user": "gone", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"},
    ],
    "topic_permissions": [],
    "parameters": [],
    "global_parameters": [{"name": "cluster_name", "value": "rabbit@host"}],
    "policies": [],
    "queues": [{"name": "q", "vhost": "/", "durable": True, "auto_delete": False,
                "arguments": {}}],
    "exchanges": [],
    "bindings": [],
}


def test_users_view():
    assert orm._users_view(DEFINITIONS) == {
        "guest": {"password_hash": VECTORS[0][1], "hashing_algorithm": MD5,
                  "permissions": {"/": {"configure": ".*", "write": ".*", "read": ".*"}}},
        "nova": {"password_hash": VECTORS[1][1], "hashing_algorithm": SHA256,
                 "permissions": {"/": {"configure": "^$", "write": ".*", "read": ".*"},
                                 "/openstack": {"configure": ".*", "write": ".*", "read": ""}}},
        "idle": {"password_hash": "", "hashing_algorithm": SHA256, "permissions": {}},
    }


def test_users_view_of_an_empty_broker():
    assert orm._users_view({"users": [], "permissions": []}) == {}


@pytest.mark.parametrize("definitions", [
    [],
    "users",
    {"users": ["nova"]},
    {"users": [{"password_hash": "x"}]},
    {"users": [{"name": "nova"}], "permissions": [{"user": "nova"}]},
    # a missing list is not an empty one (else: every user "missing")
    {},
    {"users": []},
    {"permissions": []},
    {"users": None, "permissions": []},
])
def test_users_view_refuses_other_shapes(definitions):
    with pytest.raises(ValueError):
        orm._users_view(definitions)


# ---------------------------------------------------------------------------
# check_user: one export per run and node, and when it asks rabbitmqctl
# (a fake cmd.run_all that answers as rabbitmqctl does)
# ---------------------------------------------------------------------------


@pytest.fixture
def ctl(monkeypatch):
    """``ctl.answers[command] = (retcode, stdout, stderr)``; ``ctl.calls``:
    (command, run_all's keyword arguments) of every start."""

    class Ctl:
        answers = {
            "export_definitions": (0, json.dumps(DEFINITIONS), ""),
            "authenticate_user": (0, "", ""),
            "change_password": (0, "", ""),
            "list_user_permissions": (0, '[{"vhost": "/", "configure": ".*", "write": ".*", '
                                         '"read": ".*"}]', ""),
        }
        calls = []

    def run_all(cmd, **kwargs):
        command = next(arg for arg in cmd[1:] if arg in Ctl.answers)
        Ctl.calls.append((command, kwargs))
        retcode, stdout, stderr = Ctl.answers[command]
        return {"retcode": retcode, "stdout": stdout, "stderr": stderr}

    monkeypatch.setattr(orm.salt.utils.path, "which", lambda name: "/usr/sbin/" + name)
    monkeypatch.setattr(orm, "__salt__", {"cmd.run_all": run_all}, raising=False)
    monkeypatch.setattr(orm, "__context__", {}, raising=False)
    return Ctl


def _commands(ctl):
    return [command for command, _kwargs in ctl.calls]


def test_one_quiet_export_answers_every_check(ctl):
    assert orm.check_user("nova", "test12", node="rabbit@a", cache=True) == {
        "password": True,
        "permissions": {"/": {"configure": "^$", "write": ".*", "read": ".*"},
                        "/openstack": {"configure": ".*", "write": ".*", "read": ""}},
    }
    assert orm.check_user("nova", "wrong", node="rabbit@a", cache=True)["password"] is False
    assert orm.check_user("guest", "simon", node="rabbit@a", cache=True)["password"] is True  # MD5
    assert orm.check_user("nobody", "pw", node="rabbit@a", cache=True) is None
    assert _commands(ctl) == ["export_definitions"]
    (_command, kwargs), = ctl.calls
    assert kwargs["output_loglevel"] == "quiet"
    # another node: its own export
    assert orm.check_user("nova", "test12", node="rabbit@b", cache=True)["password"] is True
    assert _commands(ctl) == ["export_definitions"] * 2


def test_a_change_drops_the_export(ctl):
    assert orm.check_user("nova", "rotated", node="rabbit@a", cache=True)["password"] is False
    orm.change_password("nova", "rotated", node="rabbit@a")
    orm.check_user("nova", "rotated", node="rabbit@b", cache=True)
    assert _commands(ctl) == ["export_definitions", "change_password", "export_definitions"]


def test_what_the_hash_cannot_tell_asks_authenticate_user(ctl):
    """No hash (a cleared password): rabbitmqctl authenticate_user decides,
    the password on its standard input."""
    assert orm.check_user("idle", "pw", cache=True)["password"] is True
    ctl.answers["authenticate_user"] = (65, "", 'Error: failed to authenticate user "idle"')
    assert orm.check_user("idle", "pw", cache=True)["password"] is False
    assert _commands(ctl) == ["export_definitions", "authenticate_user", "authenticate_user"]
    assert ctl.calls[1][1]["stdin"] == "pw"


def test_a_failed_export_asks_as_before_and_quotes_no_output(ctl, caplog):
    ctl.answers["export_definitions"] = (70, "leaked-hash", "Error: something else")
    assert orm.check_user("nova", "test12", cache=True) == {
        "password": True, "permissions": {"/": {"configure": ".*", "write": ".*", "read": ".*"}}}
    assert orm.check_user("other", "pw", cache=True) == {
        "password": True, "permissions": {"/": {"configure": ".*", "write": ".*", "read": ".*"}}}
    # (the failure kept for the run: one export)
    assert _commands(ctl) == ["export_definitions"] + ["list_user_permissions",
                                                      "authenticate_user"] * 2
    # neither its standard output nor its error (a crash may quote the
    # definitions): the exit code only
    assert "exit code 70" in caplog.text
    assert "something else" not in caplog.text and "leaked-hash" not in caplog.text


def test_an_export_that_is_no_json_asks_as_before(ctl, caplog):
    ctl.answers["export_definitions"] = (0, '{"users": [{"password_hash": "leaked-hash"}]}', "")
    assert orm.check_user("nova", "test12")["password"] is True
    assert _commands(ctl) == ["export_definitions", "list_user_permissions", "authenticate_user"]
    assert "leaked-hash" not in caplog.text


def test_no_node_is_not_ready(ctl):
    ctl.answers["export_definitions"] = (
        69, "", "Error: unable to perform an operation on node 'rabbit@a'.")
    with pytest.raises(orm.schema.NotReadyError, match="export_definitions failed.*rabbit@a"):
        orm.check_user("nova", "test12", node="rabbit@a")


def test_the_password_is_checked_first(ctl):
    """A password rabbitmqctl could not read is refused before anything
    runs, for an unknown user too (a dry run must not predict a creation
    the real run refuses)."""
    for user in ("nova", "nobody"):
        with pytest.raises(orm.SaltInvocationError, match="white space"):
            orm.check_user(user, "test12 ")
    assert ctl.calls == []
    with pytest.raises(orm.SaltInvocationError, match="cannot pass"):
        orm.check_user("$(id)", "pw")


def test_without_cache_each_call_exports_and_keeps_nothing(ctl):
    """A direct call (no state run) may run in a long-lived process whose
    context later runs start from: it exports afresh and stores nothing."""
    assert orm.check_user("nova", "test12")["password"] is True
    assert orm.check_user("nova", "test12")["password"] is True
    assert _commands(ctl) == ["export_definitions"] * 2
    assert orm.__context__ == {}


def test_an_md5_the_platform_refuses_asks_authenticate_user(ctl, monkeypatch):
    """Under FIPS, hashlib.md5() raises ValueError: the hash cannot tell."""
    def refused(*args, **kwargs):
        raise ValueError("unsupported hash type md5 (FIPS)")

    monkeypatch.setitem(orm._PASSWORD_HASHES, MD5, refused)
    assert orm.check_user("guest", "simon", cache=True)["password"] is True
    assert _commands(ctl) == ["export_definitions", "authenticate_user"]
