"""Argument and password checks of openstack_rabbitmq."""
import random
import subprocess

import pytest
from salt.exceptions import SaltInvocationError

from saltext_openstack._modules import openstack_rabbitmq as orm

# What Debian's rabbitmqctl wrapper does with its arguments when run as root:
# each one, its double quotes backslashed, goes between double quotes into
# the command line of ``su -c``, i.e. of a shell.  Here the shell prints
# back the words it got.
WRAPPER_LIKE = r"""
cmdline=
for arg in "$@"; do
    escaped=$(printf '%s' "$arg" | sed -e 's/"/\\"/g')
    cmdline="$cmdline \"$escaped\""
done
sh -c "for word in $cmdline; do printf '%s\\0' \"\$word\"; done"
"""


def through_wrapper(args):
    """The arguments the wrapped command gets, or None (a shell syntax error)."""
    proc = subprocess.run(["sh", "-c", WRAPPER_LIKE, "sh", *args], capture_output=True)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode().split("\0")[:-1]


ACCEPTED = [
    "nova",
    "/",
    "/openstack",
    ".*",
    "^$",
    "^amq\\.gen.*",
    "a\\d+",
    'say "hi"',
    "it's",
    "sp ace",
    "é",
    "50%",
]
REFUSED = ["$HOME", "$(id)", "${x}", "a`id`", "back\\", "\\\\", "\\$x", '\\"', "two\nlines", "nul\0"]


@pytest.mark.parametrize("value", ACCEPTED)
def test_accepted_arguments(value):
    assert orm._check_arg(value, "x") == value


@pytest.mark.parametrize("value", REFUSED)
def test_refused_arguments(value):
    with pytest.raises(SaltInvocationError, match="cannot pass"):
        orm._check_arg(value, "x")


def test_accepted_arguments_survive_the_wrapper():
    rng = random.Random(42)
    alphabet = "a.*^$\\\"'` ;|&()é"
    values = list(ACCEPTED)
    while len(values) < 400:
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        if not orm._SHELL_UNSAFE.search(value):
            values.append(value)
    assert through_wrapper(values) == values


@pytest.mark.parametrize("value", ["$HOME", "a`echo b`", "back\\", "\\$x"])
def test_refused_arguments_would_be_mangled(value):
    assert through_wrapper([value]) != [value]


@pytest.mark.parametrize("password", ["s3cret", "p'a\"s\\s;%`$x", "in side", "\\n", "é€"])
def test_passwords_accepted(password):
    assert orm._check_password(password) == password


@pytest.mark.parametrize(
    "password, message",
    [
        (None, "required"),
        ("", "empty"),
        (" lead", "white space"),
        ("trail ", "white space"),
        ("tab\t", "white space"),
        ("two\nlines", "line break"),
        ("cr\r", "line break"),
        ("nul\0", "NUL"),
    ],
)
def test_passwords_refused(password, message):
    with pytest.raises(SaltInvocationError, match=message):
        orm._check_password(password)


def test_password_types():
    assert orm._check_password(1234) == "1234"


def test_wanted_permissions():
    from saltext_openstack._states import openstack_rabbitmq as state

    everything = {"configure": ".*", "write": ".*", "read": ".*"}
    assert state._wanted_permissions((".*", ".*", ".*")) == everything
    assert state._wanted_permissions([".*", ".*", ".*"]) == everything
    assert state._wanted_permissions({"configure": ".*", "write": ".*", "read": ".*"}) == everything
    assert state._wanted_permissions({"read": ".*"}) == {"configure": "", "write": "", "read": ".*"}
    for bad in ([".*"], ".*.*.*", {"conf": ".*"}, 3):
        with pytest.raises(SaltInvocationError):
            state._wanted_permissions(bad)


@pytest.fixture
def rabbitmqctl_at(monkeypatch):
    monkeypatch.setattr(orm.salt.utils.path, "which", lambda name: "/usr/sbin/" + name)


def test_password_commands_have_exactly_two_words(rabbitmqctl_at):
    """RabbitMQ 4's rabbitmqctl script starts the CLI with -noinput (the
    password read then waits forever) unless add_user, change_password and
    authenticate_user have exactly two arguments: no -n, -q or --."""
    for command in ("add_user", "change_password", "authenticate_user"):
        argv, env = orm._rabbitmqctl_argv([command, "nova"], node="rabbit-test@localhost", password="pw")
        assert argv == ["/usr/sbin/rabbitmqctl", command, "nova"]
        # the password read in UTF-8 whatever Salt's locale
        assert env == {"RABBITMQ_NODENAME": "rabbit-test@localhost", "LC_ALL": "C.UTF-8"}
    assert orm._rabbitmqctl_argv(["authenticate_user", "nova"], password="pw") == (
        ["/usr/sbin/rabbitmqctl", "authenticate_user", "nova"],
        {"LC_ALL": "C.UTF-8"},
    )


def test_other_commands_keep_node_and_quiet(rabbitmqctl_at):
    argv, env = orm._rabbitmqctl_argv(["delete_user", "--", "nova"], node="rabbit@h")
    assert argv == ["/usr/sbin/rabbitmqctl", "-n", "rabbit@h", "-q", "delete_user", "--", "nova"]
    assert env is None


def test_password_command_refuses_an_option_like_name(rabbitmqctl_at):
    with pytest.raises(SaltInvocationError, match="as an option"):
        orm._rabbitmqctl_argv(["add_user", "-n"], password="pw")


def test_delete_user_fails_for_an_unknown_user(rabbitmqctl_at, monkeypatch):
    """RabbitMQ 4's delete_user exits 0 for a user that does not exist;
    the module fails as with RabbitMQ 3, and deletes nothing."""
    calls = []

    def run_all(cmd, **_kwargs):
        calls.append(cmd)
        return {"retcode": 0, "stdout": '[{"user": "guest", "tags": []}]', "stderr": ""}

    monkeypatch.setattr(orm, "__salt__", {"cmd.run_all": run_all}, raising=False)
    # (a change drops the definitions check_user keeps for the run)
    monkeypatch.setattr(orm, "__context__", {orm._DEFINITIONS_CONTEXT_KEY: {"": {}}},
                        raising=False)
    with pytest.raises(orm.CommandExecutionError, match="user nova does not exist"):
        orm.delete_user("nova")
    assert [cmd[-3] for cmd in calls] == ["list_users"]
    assert orm.delete_user("guest") is True
    assert calls[-1][-3:] == ["delete_user", "--", "guest"]
    assert orm.__context__ == {}
