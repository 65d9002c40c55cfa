"""
openstack_rabbitmq against a real RabbitMQ (Debian's rabbitmq-server 3.10,
a throwaway node on loopback, see rabbitmq_server.py), driven through
``rabbitmqctl -n rabbit-test@localhost`` like production.  Logins are real
AMQP 0-9-1 logins on 127.0.0.1.
"""
import json
import logging
import os

import pytest
import salt.utils.timed_subprocess
from salt.exceptions import CommandExecutionError, SaltInvocationError

from rabbitmq_server import RabbitMQServer  # tests/functional is on sys.path

from saltext_openstack._utils import saltext_openstack_schema as schema

NASTY_PASSWORD = "p'a\"s\\s;%`$x \\n é"


@pytest.fixture(scope="module")
def rabbitmq():
    with RabbitMQServer() as server:
        yield server


@pytest.fixture
def node(rabbitmq):
    return rabbitmq.node


@pytest.fixture
def mq(loaders):
    return loaders.modules.openstack_rabbitmq


@pytest.fixture
def argv_spy(monkeypatch):
    """Record the argv, stdin and RABBITMQ_NODENAME of every program Salt's
    cmd module runs."""
    calls = []
    original = salt.utils.timed_subprocess.TimedProc.__init__

    def init(self, args, **kwargs):
        env = kwargs.get("env") or {}
        calls.append((list(args), kwargs.get("stdin"), env.get("RABBITMQ_NODENAME")))
        original(self, args, **kwargs)

    monkeypatch.setattr(salt.utils.timed_subprocess.TimedProc, "__init__", init)
    return calls


def assert_secret_free(returns, *passwords):
    text = json.dumps(returns)
    for password in passwords:
        assert password not in text
        assert json.dumps(password)[1:-1] not in text


def started(argv_spy):
    """The rabbitmqctl commands started (their command word), in order."""
    commands = []
    for argv, _stdin, _node in argv_spy:
        if os.path.basename(str(argv[0])) != "rabbitmqctl":
            continue
        args = argv[1:]
        if args[:1] == ["-n"]:
            args = args[2:]
        if args[:1] == ["-q"]:
            args = args[1:]
        commands.append(args[0])
    return commands


def password_hashes(rabbitmq):
    """Every user's stored password hash (export_definitions, run here)."""
    definitions = json.loads(rabbitmq.ctl("export_definitions", "-").stdout)
    return [user["password_hash"] for user in definitions["users"] if user["password_hash"]]


# ---------------------------------------------------------------------------
# Execution module
# ---------------------------------------------------------------------------


def test_users_and_passwords(mq, node, rabbitmq, argv_spy):
    assert mq.list_users(node=node) == {"guest": ["administrator"]}
    assert mq.user_exists("exec", node=node) is False
    assert mq.authenticate("exec", "pw-one", node=node) is False

    assert mq.user_add("exec", NASTY_PASSWORD, node=node) is True
    assert mq.user_exists("exec", node=node) is True
    assert mq.list_users(node=node)["exec"] == []
    assert mq.authenticate("exec", NASTY_PASSWORD, node=node) is True
    assert mq.authenticate("exec", NASTY_PASSWORD[1:], node=node) is False
    assert rabbitmq.amqp_login("exec", NASTY_PASSWORD)

    assert mq.change_password("exec", "pw-two", node=node) is True
    assert mq.authenticate("exec", "pw-two", node=node) is True
    assert mq.authenticate("exec", NASTY_PASSWORD, node=node) is False
    assert rabbitmq.amqp_login("exec", "pw-two")
    assert not rabbitmq.amqp_login("exec", NASTY_PASSWORD)

    # Passwords went on stdin, never on a command line.
    with_password = [(argv, stdin) for argv, stdin, _node in argv_spy if stdin]
    assert len(with_password) == 7
    for argv, stdin, env_node in argv_spy:
        if stdin:  # rabbitmqctl COMMAND NAME, or RabbitMQ 4 reads no stdin
            assert len(argv) == 3 and env_node == node
        else:
            assert argv[1:3] == ["-n", node]
        assert not any("pw-" in arg or "p'a" in arg for arg in argv)
    assert {stdin for _, stdin in with_password} >= {NASTY_PASSWORD, "pw-two"}

    with pytest.raises(CommandExecutionError, match="already exists"):
        mq.user_add("exec", "pw", node=node)
    assert mq.delete_user("exec", node=node) is True
    assert mq.user_exists("exec", node=node) is False
    with pytest.raises(CommandExecutionError, match="does not exist"):
        mq.delete_user("exec", node=node)
    with pytest.raises(CommandExecutionError, match="does not exist"):
        mq.change_password("exec", "pw", node=node)


def test_check_user_agrees_with_authenticate_user(mq, node, rabbitmq, argv_spy, caplog):
    """check_user checks passwords against the hashes of one export (kept
    with cache=True, as the state asks), as rabbitmqctl authenticate_user
    (and an AMQP login) would."""
    caplog.set_level(logging.DEBUG)
    assert mq.user_add("hashed", NASTY_PASSWORD, node=node) is True
    mq.set_permissions("hashed", "/", "^$", ".*", ".*", node=node)
    del argv_spy[:]
    checks = {
        password: mq.check_user("hashed", password, node=node, cache=True)["password"]
        for password in (NASTY_PASSWORD, NASTY_PASSWORD[1:], NASTY_PASSWORD + "x", "pw-wrong")
    }
    assert mq.check_user("hashed", NASTY_PASSWORD, node=node, cache=True)["permissions"] == {
        "/": {"configure": "^$", "write": ".*", "read": ".*"}
    }
    assert mq.check_user("nobody", "pw", node=node, cache=True) is None
    # One rabbitmqctl start (quiet, no password on it) for all: the hashes
    # (RabbitMQ 4's default, SHA-256) were checked here.
    assert started(argv_spy) == ["export_definitions"]
    ((argv, stdin, _node),) = argv_spy
    assert argv[1:] == ["-n", node, "-q", "export_definitions", "-"] and not stdin
    assert checks == {
        password: mq.authenticate("hashed", password, node=node) for password in checks
    }
    assert checks[NASTY_PASSWORD] is True and list(checks.values()).count(True) == 1
    assert rabbitmq.amqp_login("hashed", NASTY_PASSWORD)

    # A change drops the export: the next check sees the new password.
    assert mq.change_password("hashed", "pw-rotated", node=node) is True
    del argv_spy[:]
    assert mq.check_user("hashed", "pw-rotated", node=node, cache=True)["password"] is True
    assert mq.check_user("hashed", NASTY_PASSWORD, node=node, cache=True)["password"] is False
    assert started(argv_spy) == ["export_definitions"]
    assert rabbitmq.amqp_login("hashed", "pw-rotated")
    assert not rabbitmq.amqp_login("hashed", NASTY_PASSWORD)

    # The export's output (every user's hash) is never logged.
    hashes = password_hashes(rabbitmq)
    assert len(hashes) >= 2
    assert not any(password_hash in caplog.text for password_hash in hashes)
    assert mq.delete_user("hashed", node=node) is True
    assert mq.check_user("hashed", "pw-rotated", node=node) is None


def test_permissions(mq, node):
    mq.user_add("perm", "pw", node=node)
    assert "perm" not in mq.list_permissions(node=node)
    assert mq.set_permissions("perm", node=node) is True
    assert mq.list_permissions(vhost="/", node=node)["perm"] == {
        "configure": ".*",
        "write": ".*",
        "read": ".*",
    }
    assert mq.list_user_permissions("perm", node=node) == {
        "/": {"configure": ".*", "write": ".*", "read": ".*"}
    }
    assert mq.list_user_permissions("nobody", node=node) is None
    mq.set_permissions("perm", "/", "^$", "^amq\\.gen.*", ".*", node=node)
    assert mq.list_permissions(node=node)["perm"] == {
        "configure": "^$",
        "write": "^amq\\.gen.*",
        "read": ".*",
    }
    assert mq.list_permissions(node=node)["guest"]["configure"] == ".*"
    with pytest.raises(CommandExecutionError, match="/nowhere"):
        mq.set_permissions("perm", "/nowhere", node=node)


def test_refused_arguments(mq, node):
    for bad in ("trailing ", " leading", "two\nlines", ""):
        with pytest.raises(SaltInvocationError):
            mq.user_add("bad", bad, node=node)
    for bad in ("$(touch /tmp/x)", "a`b`", "back\\"):
        with pytest.raises(SaltInvocationError, match="cannot pass"):
            mq.user_add(bad, "pw", node=node)
    assert "bad" not in mq.list_users(node=node)


def test_unreachable_node(mq):
    with pytest.raises(CommandExecutionError, match="nonode@localhost") as info:
        mq.list_users(node="nonode@localhost")
    # the typed "not ready yet" (a dry run's states before RabbitMQ's)
    assert schema.is_not_ready(info.value)


def test_unreachable_node_in_a_dry_run(run_state, mq):
    """Before the same run's states have started RabbitMQ: None, what would
    be done; in a real run the same failure fails.  (``mq``: rabbitmqctl is
    installed, so the states reach the node and do not stop at "not
    installed".)"""
    returns = [run_state("openstack_rabbitmq.user_present", name="openstack", password="dry-pw",
                         node="nonode@localhost", test=True)]
    assert (returns[-1]["result"], returns[-1]["changes"]) == (None, {"user": "created"}), returns
    assert "once RabbitMQ runs" in returns[-1]["comment"]
    returns.append(run_state("openstack_rabbitmq.user_absent", name="guest",
                             node="nonode@localhost", test=True))
    assert returns[-1]["result"] is None and "once RabbitMQ runs" in returns[-1]["comment"]
    returns.append(run_state("openstack_rabbitmq.user_present", name="openstack",
                             password="dry-pw", node="nonode@localhost"))
    assert returns[-1]["result"] is False and "nonode@localhost" in returns[-1]["comment"]
    assert_secret_free(returns, "dry-pw")


def test_guest_is_restricted_to_loopback(rabbitmq):
    """RabbitMQ's default, unchanged by Debian: guest may only log in locally."""
    assert "{loopback_users,[<<\"guest\">>]}" in rabbitmq.ctl("environment").stdout.replace(
        " ", ""
    )


# ---------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------


def test_user_present_lifecycle(run_state, mq, node, rabbitmq, caplog):
    caplog.set_level(logging.DEBUG)
    returns = []

    def present(password, test=False, **kwargs):
        ret = run_state(
            "openstack_rabbitmq.user_present",
            name="openstack",
            password=password,
            node=node,
            test=test,
            **kwargs
        )
        returns.append(ret)
        return ret

    everything = {"configure": ".*", "write": ".*", "read": ".*"}
    ret = present("first-pw", test=True)
    assert ret["result"] is None
    assert ret["changes"] == {
        "user": "created",
        "permissions": {"vhost": "/", "old": None, "new": everything},
    }
    assert not mq.user_exists("openstack", node=node)

    ret = present("first-pw")
    assert ret["result"] is True, ret["comment"]
    assert ret["changes"] == {
        "user": "created",
        "permissions": {"vhost": "/", "old": None, "new": everything},
    }
    assert rabbitmq.amqp_login("openstack", "first-pw")
    assert mq.list_permissions(node=node)["openstack"] == everything

    ret = present("first-pw")
    assert (ret["result"], ret["changes"]) == (True, {})

    # Rotation.
    ret = present("second-pw", test=True)
    assert (ret["result"], ret["changes"]) == (None, {"password": "changed"})
    assert rabbitmq.amqp_login("openstack", "first-pw")
    ret = present("second-pw")
    assert (ret["result"], ret["changes"]) == (True, {"password": "changed"})
    assert rabbitmq.amqp_login("openstack", "second-pw")
    assert not rabbitmq.amqp_login("openstack", "first-pw")
    assert mq.authenticate("openstack", "second-pw", node=node)

    # Permissions only.
    narrow = {"configure": "^$", "write": ".*", "read": ".*"}
    ret = present("second-pw", permissions=["^$", ".*", ".*"])
    assert ret["changes"] == {"permissions": {"vhost": "/", "old": everything, "new": narrow}}
    ret = present("second-pw", permissions=narrow)
    assert ret["changes"] == {}
    ret = present("second-pw", permissions=None)
    assert ret["changes"] == {}

    assert_secret_free(returns, "first-pw", "second-pw")
    assert "first-pw" not in caplog.text
    assert "second-pw" not in caplog.text


def test_user_present_starts_rabbitmqctl_once_when_nothing_changes(run_state, node, rabbitmq,
                                                                      argv_spy, caplog):
    """A run that changes nothing starts rabbitmqctl once (export_definitions,
    ~0.7 s); a rotated password is still seen and changed."""
    caplog.set_level(logging.DEBUG)
    returns = []

    def present(password, test=False):
        del argv_spy[:]
        ret = run_state("openstack_rabbitmq.user_present", name="once", password=password,
                        node=node, test=test)
        returns.append(ret)
        return ret["result"], ret["changes"], started(argv_spy)

    everything = {"configure": ".*", "write": ".*", "read": ".*"}
    assert present("once-pw-1") == (
        True,
        {"user": "created", "permissions": {"vhost": "/", "old": None, "new": everything}},
        ["export_definitions", "add_user", "set_permissions"],
    )
    assert present("once-pw-1") == (True, {}, ["export_definitions"])
    assert returns[-1]["comment"] == "user once is as wanted"
    assert present("once-pw-1", test=True) == (True, {}, ["export_definitions"])

    # Rotated in pillar: seen, changed.
    assert present("once-pw-2", test=True) == (
        None, {"password": "changed"}, ["export_definitions"])
    assert rabbitmq.amqp_login("once", "once-pw-1")
    assert present("once-pw-2") == (
        True, {"password": "changed"}, ["export_definitions", "change_password"])
    assert rabbitmq.amqp_login("once", "once-pw-2")
    assert not rabbitmq.amqp_login("once", "once-pw-1")
    assert present("once-pw-2") == (True, {}, ["export_definitions"])

    # Changed behind Salt's back (another run's export is not reused).
    rabbitmq.ctl("set_permissions", "-p", "/", "once", "^$", ".*", ".*")
    assert present("once-pw-2") == (
        True,
        {"permissions": {"vhost": "/", "old": {**everything, "configure": "^$"},
                         "new": everything}},
        ["export_definitions", "set_permissions"],
    )

    assert_secret_free(returns, "once-pw-1", "once-pw-2", *password_hashes(rabbitmq))
    text = caplog.text
    assert not any(secret in text for secret in ("once-pw-1", "once-pw-2"))
    assert not any(password_hash in text for password_hash in password_hashes(rabbitmq))


def test_the_states_of_one_run_share_one_export(loaders, node, rabbitmq, argv_spy):
    text = "".join(
        f"rabbitmq-user-{user}:\n  openstack_rabbitmq.user_present:\n    - name: {user}\n"
        f"    - password: {user}-pw\n    - node: {node}\n"
        for user in ("shared-a", "shared-b")
    )

    def run():
        del argv_spy[:]
        ret = loaders.modules.state.template_str(text)
        raw = ret.raw if hasattr(ret, "raw") else ret
        assert isinstance(raw, dict), raw
        return {state["__id__"]: state for state in raw.values()}, started(argv_spy)

    first, commands = run()
    assert {ident: (state["result"], state["changes"].get("user"))
            for ident, state in first.items()} == {
        "rabbitmq-user-shared-a": (True, "created"),
        "rabbitmq-user-shared-b": (True, "created"),
    }, first
    # read again after the first user's changes
    assert commands.count("export_definitions") == 2, commands
    again, commands = run()
    assert {ident: (state["result"], state["changes"]) for ident, state in again.items()} == {
        "rabbitmq-user-shared-a": (True, {}),
        "rabbitmq-user-shared-b": (True, {}),
    }, again
    assert commands == ["export_definitions"]
    assert rabbitmq.amqp_login("shared-b", "shared-b-pw")


def test_user_present_bad_input(run_state, node):
    ret = run_state(
        "openstack_rabbitmq.user_present", name="badpw", password="ends-with-space ", node=node
    )
    assert ret["result"] is False
    assert "white space" in ret["comment"]
    ret = run_state(
        "openstack_rabbitmq.user_present",
        name="badperm",
        password="pw",
        permissions=[".*"],
        node=node,
    )
    assert ret["result"] is False
    assert "three regular expressions" in ret["comment"]


def test_guest_removal(run_state, mq, node, rabbitmq):
    assert rabbitmq.amqp_login("guest", "guest")
    ret = run_state("openstack_rabbitmq.user_absent", name="guest", node=node, test=True)
    assert (ret["result"], ret["changes"]) == (None, {"user": "deleted"})
    assert mq.user_exists("guest", node=node)

    ret = run_state("openstack_rabbitmq.user_absent", name="guest", node=node)
    assert (ret["result"], ret["changes"]) == (True, {"user": "deleted"})
    assert not mq.user_exists("guest", node=node)
    assert not rabbitmq.amqp_login("guest", "guest")

    ret = run_state("openstack_rabbitmq.user_absent", name="guest", node=node)
    assert (ret["result"], ret["changes"]) == (True, {})
