"""
RabbitMQ users and permissions for the OpenStack services, through
``rabbitmqctl``.

Passwords never go on a command line: ``rabbitmqctl add_user NAME``,
``change_password NAME`` and ``authenticate_user NAME`` read the password
from standard input when it is not given as an argument (RabbitMQ 3.10 on
Debian 12 and 4.0 on Debian 13, checked), so the module passes it there, and
runs rabbitmqctl with Salt's ``output_loglevel="quiet"`` for those calls.
rabbitmqctl reads one line and trims it: a password with a line break or
with spaces at either end cannot be passed faithfully and is refused.
RabbitMQ 4's ``rabbitmqctl`` script gives the CLI its standard input only
when those commands have exactly their two words (it counts arguments: with
``-n NODE``, ``-q`` or ``--`` it starts Erlang with ``-noinput`` and the
read waits forever), so these three run as ``rabbitmqctl COMMAND NAME``,
the node named by ``RABBITMQ_NODENAME`` in their environment, and a user
name starting with ``-`` is refused for them.  Their environment also has
``LC_ALL=C.UTF-8``: Erlang 27 reads standard input in the encoding of the
locale, and Salt runs commands in the C locale, in which a non-ASCII
password would be read as Latin-1 and stored as something else.

Debian's ``rabbitmqctl``, run as root, is a wrapper that re-runs the real
one as the ``rabbitmq`` user through ``su -c`` and a shell command line it
builds between double quotes.  Arguments that such a shell would rewrite
(a backtick, a ``$`` not at the end, a backslash before ``\\``, ``$``, a
backtick or a double quote, or at the end) are refused instead of being
mangled.

Every function takes ``node`` (``rabbitmqctl -n NODE``; default: the node
``NODENAME`` in ``rabbitmq-env.conf`` names, ``rabbit@localhost`` where
the rabbitmq formula wrote it, else ``rabbit@<short hostname>``).  Errors are raised as
:class:`salt.exceptions.CommandExecutionError` with rabbitmqctl's own text;
no rabbitmqctl or no node answering as its subclass ``NotReadyError``
(``_utils/saltext_openstack_schema.py``).

:depends: ``rabbitmqctl`` (Debian: rabbitmq-server) and a running node.
"""
import json
import logging
import re

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

# The typed "not ready yet" error (_utils/, imported as openstack_db does):
# no rabbitmqctl, or no node answers.
try:
    import saltext_openstack_schema as schema
except ImportError:
    from saltext_openstack._utils import saltext_openstack_schema as schema

log = logging.getLogger(__name__)

__virtualname__ = "openstack_rabbitmq"

_RABBITMQCTL = "rabbitmqctl"

# rabbitmqctl's exit codes: "failed to authenticate user" (EX_DATAERR), and
# the one of list_user_permissions for an unknown user (EX_UNAVAILABLE, also
# that of an unreachable node: the error term tells them apart).
_EX_DATAERR = 65
_EX_UNAVAILABLE = 69
_NO_SUCH_USER = ":no_such_user"

_PERMISSION_KINDS = ("configure", "write", "read")

# What a shell would rewrite inside double quotes (see the module doc).
_SHELL_UNSAFE = re.compile(r"[`\n\r\0]|\$(?!\Z)|\\(?=[\\$`\"]|\Z)")


def __virtual__():
    if salt.utils.path.which(_RABBITMQCTL):
        return __virtualname__
    return (
        False,
        "the openstack_rabbitmq module needs rabbitmqctl (install rabbitmq-server)",
    )


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _check_arg(value, what):
    value = str(value)
    if _SHELL_UNSAFE.search(value):
        raise SaltInvocationError(
            "{} {!r} contains characters rabbitmqctl's wrapper cannot pass "
            "(backtick, $, backslash, line break)".format(what, value)
        )
    return value


def _check_password(password):
    if password is None:
        raise SaltInvocationError("a password is required")
    password = str(password)
    if not password:
        raise SaltInvocationError("the password cannot be empty")
    if any(char in password for char in "\n\r\0"):
        raise SaltInvocationError("the password cannot contain a line break or NUL")
    if password != password.strip():
        raise SaltInvocationError(
            "the password cannot start or end with white space "
            "(rabbitmqctl trims what it reads)"
        )
    return password


def _rabbitmqctl_argv(args, node=None, password=None):
    """
    The command line and environment of one rabbitmqctl call: ``rabbitmqctl
    [-n node] -q <args>``, or, with a password (read from standard input),
    ``rabbitmqctl COMMAND NAME`` with the node in ``RABBITMQ_NODENAME`` and
    a UTF-8 locale (see the module doc).
    """
    program = salt.utils.path.which(_RABBITMQCTL)
    if not program:
        raise schema.NotReadyError("rabbitmqctl not found")
    if password is None:
        cmd = [program]
        if node:
            cmd += ["-n", _check_arg(node, "node")]
        return cmd + ["-q"] + list(args), None
    command, name = args
    if name.startswith("-"):
        raise SaltInvocationError(
            "user name {!r}: rabbitmqctl {} would read it as an option".format(name, command)
        )
    env = {"LC_ALL": "C.UTF-8"}
    if node:
        env["RABBITMQ_NODENAME"] = _check_arg(node, "node")
    return [program, command, name], env


def _rabbitmqctl(args, node=None, password=None, ok_retcodes=()):
    """
    Run rabbitmqctl with ``args`` (``password`` on standard input; then
    ``args`` is ``[command, user name]``) and return its result dict.  Raise
    CommandExecutionError on failure, unless the exit code is one of
    ``ok_retcodes``.
    """
    cmd, env = _rabbitmqctl_argv(args, node=node, password=password)
    # stdin_raw_newlines: else Salt turns a backslash-n of the password into
    # a line break.
    kwargs = {"python_shell": False, "ignore_retcode": True, "stdin_raw_newlines": True}
    if env:
        kwargs["env"] = env
    if password is not None:
        kwargs.update(stdin=password, output_loglevel="quiet")
    else:
        kwargs.update(stdin="", output_loglevel="debug")
    res = __salt__["cmd.run_all"](cmd, **kwargs)
    if res["retcode"] != 0 and res["retcode"] not in ok_retcodes:
        _rabbitmqctl_failed(args[0], res)
    return res


def _user_with_password(command, name, password, node, ok_retcodes=()):
    """``rabbitmqctl <command> <user name>`` with ``password`` on standard
    input (add_user, change_password, authenticate_user)."""
    return _rabbitmqctl(
        [command, _check_arg(name, "user name")],
        node=node,
        password=_check_password(password),
        ok_retcodes=ok_retcodes,
    )


# rabbitmqctl's words for "no node answers" (RabbitMQ 3 and 4).
_NODE_DOWN = re.compile(r"unable to perform an operation on node|nodedown")


def _rabbitmqctl_failed(command, res):
    """Raise rabbitmqctl's failure: NotReadyError when no node answered."""
    text = (res.get("stderr") or res.get("stdout") or "").strip() or "no output"
    raise (schema.NotReadyError if _NODE_DOWN.search(text) else CommandExecutionError)(
        "rabbitmqctl {} failed (exit code {}): {}".format(command, res["retcode"], text)
    )


def _json(res):
    text = (res.get("stdout") or "").strip()
    try:
        return json.loads(text) if text else []
    except ValueError as exc:
        raise CommandExecutionError(
            "rabbitmqctl printed something that is not JSON: {!r}".format(text[:200])
        ) from exc


# ---------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------


def list_users(node=None):
    """
    The users of the broker, ``{name: [tag, ...]}``.

    CLI Example::

        salt '*' openstack_rabbitmq.list_users
    """
    users = {}
    for row in _json(_rabbitmqctl(["list_users", "--formatter", "json"], node=node)):
        tags = row.get("tags") or []
        if isinstance(tags, str):
            tags = [tag for tag in re.split(r"[\s,\[\]]+", tags) if tag]
        users[row["user"]] = list(tags)
    return users


def user_exists(name, node=None):
    """
    Tell whether the user ``name`` exists.

    CLI Example::

        salt '*' openstack_rabbitmq.user_exists nova
    """
    return str(name) in list_users(node=node)


def user_add(name, password, node=None):
    """
    Create the user ``name`` with ``password`` (no tags, no permissions).
    Fail if it exists.

    CLI Example::

        salt '*' openstack_rabbitmq.user_add nova 's3cret'
    """
    _user_with_password("add_user", name, password, node)
    return True


def change_password(name, password, node=None):
    """
    Set the password of the user ``name``.

    CLI Example::

        salt '*' openstack_rabbitmq.change_password nova 'n3w-s3cret'
    """
    _user_with_password("change_password", name, password, node)
    return True


def authenticate(name, password, node=None):
    """
    Tell whether the broker accepts ``password`` for the user ``name``
    (``rabbitmqctl authenticate_user``).  False for an unknown user.

    CLI Example::

        salt '*' openstack_rabbitmq.authenticate nova 's3cret'
    """
    res = _user_with_password("authenticate_user", name, password, node, ok_retcodes=(_EX_DATAERR,))
    return res["retcode"] == 0


def delete_user(name, node=None):
    """
    Delete the user ``name``.  Fail if it does not exist (RabbitMQ 4's
    ``delete_user`` succeeds for an unknown user, 3's fails: checked here
    first, the same on both).

    CLI Example::

        salt '*' openstack_rabbitmq.delete_user guest
    """
    name = _check_arg(name, "user name")
    if not user_exists(name, node=node):
        raise CommandExecutionError(
            "rabbitmqctl delete_user failed: user {} does not exist".format(name)
        )
    _rabbitmqctl(["delete_user", "--", name], node=node)
    return True


# ---------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------


def list_permissions(vhost="/", node=None):
    """
    The permissions in the virtual host ``vhost``:
    ``{user: {"configure": regex, "write": regex, "read": regex}}``.

    CLI Example::

        salt '*' openstack_rabbitmq.list_permissions
        salt '*' openstack_rabbitmq.list_permissions vhost=/openstack
    """
    res = _rabbitmqctl(
        ["list_permissions", "-p", _check_arg(vhost, "vhost"), "--formatter", "json"],
        node=node,
    )
    return {
        row["user"]: {key: row.get(key, "") for key in _PERMISSION_KINDS}
        for row in _json(res)
    }


def list_user_permissions(name, node=None):
    """
    The permissions of the user ``name`` in every virtual host:
    ``{vhost: {"configure": regex, "write": regex, "read": regex}}``, or
    None when the user does not exist.

    CLI Example::

        salt '*' openstack_rabbitmq.list_user_permissions nova
    """
    res = _rabbitmqctl(
        ["list_user_permissions", "--formatter", "json", "--", _check_arg(name, "user name")],
        node=node,
        ok_retcodes=(_EX_UNAVAILABLE,),
    )
    if res["retcode"] != 0:
        if _NO_SUCH_USER in (res.get("stderr") or ""):
            return None
        _rabbitmqctl_failed("list_user_permissions", res)
    return {
        row["vhost"]: {key: row.get(key, "") for key in _PERMISSION_KINDS}
        for row in _json(res)
    }


def set_permissions(name, vhost="/", conf=".*", write=".*", read=".*", node=None):
    """
    Set the permissions of the user ``name`` in ``vhost``: regular
    expressions of the resources it may configure, write and read.

    CLI Example::

        salt '*' openstack_rabbitmq.set_permissions nova
        salt '*' openstack_rabbitmq.set_permissions nova / '.*' '.*' '.*'
    """
    _rabbitmqctl(
        [
            "set_permissions",
            "-p",
            _check_arg(vhost, "vhost"),
            "--",
            _check_arg(name, "user name"),
            _check_arg(conf, "configure permission"),
            _check_arg(write, "write permission"),
            _check_arg(read, "read permission"),
        ],
        node=node,
    )
    return True
