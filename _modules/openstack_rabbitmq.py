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

``check_user`` (what ``openstack_rabbitmq.user_present`` asks) starts
rabbitmqctl once per run: ``rabbitmqctl export_definitions -`` (run
quiet: its output holds every user's password hash and never reaches a log
or a return), kept, when the state asks, in its run's ``__context__`` per
node until a function here changes users or permissions.  It checks the password against the stored
salted hash itself (RabbitMQ's ``rabbit_password``: a 4-byte salt, then
SHA-256, SHA-512 or, legacy, MD5 of salt and UTF-8 password), and asks
``rabbitmqctl authenticate_user`` as before when it cannot tell (another
hashing module, no hash) or the export fails.

Every function takes ``node`` (``rabbitmqctl -n NODE``; default: the node
``NODENAME`` in ``rabbitmq-env.conf`` names, ``rabbit@localhost`` where
the rabbitmq formula wrote it, else ``rabbit@<short hostname>``).  Errors are raised as
:class:`salt.exceptions.CommandExecutionError` with rabbitmqctl's own text;
no rabbitmqctl or no node answering as its subclass ``NotReadyError``
(``_utils/saltext_openstack_schema.py``).

:depends: ``rabbitmqctl`` (Debian: rabbitmq-server) and a running node.
"""
import base64
import binascii
import hashlib
import hmac
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


def _permissions_of(row):
    """The configure/write/read regexes of one permissions row (rabbitmqctl's
    JSON and export_definitions' name them alike)."""
    return {key: row.get(key, "") for key in _PERMISSION_KINDS}

# RabbitMQ's password hashing modules (rabbit_password_hashing_*.erl), by
# the name export_definitions gives them, and the size of the salt that
# rabbit_password:hash/2 puts before the hash.
_PASSWORD_HASHES = {
    "rabbit_password_hashing_sha256": hashlib.sha256,
    "rabbit_password_hashing_sha512": hashlib.sha512,
    "rabbit_password_hashing_md5": hashlib.md5,
}
_SALT_BYTES = 4

# The parsed export_definitions of each node, for the rest of the run
# (``__context__``): {node or "": view, or None when the export failed}.
# It holds password hashes: internal use only, never returned or logged.
_DEFINITIONS_CONTEXT_KEY = "openstack_rabbitmq.definitions"

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


def _rabbitmqctl(args, node=None, password=None, ok_retcodes=(), secret_output=False):
    """
    Run rabbitmqctl with ``args`` (``password`` on standard input; then
    ``args`` is ``[command, user name]``) and return its result dict.  Raise
    CommandExecutionError on failure, unless the exit code is one of
    ``ok_retcodes``.  ``secret_output``: its standard output is a secret
    (never logged, nor quoted in an error).
    """
    cmd, env = _rabbitmqctl_argv(args, node=node, password=password)
    # stdin_raw_newlines: else Salt turns a backslash-n of the password into
    # a line break.
    kwargs = {"python_shell": False, "ignore_retcode": True, "stdin_raw_newlines": True}
    if env:
        kwargs["env"] = env
    quiet = password is not None or secret_output
    kwargs.update(
        stdin="" if password is None else password,
        output_loglevel="quiet" if quiet else "debug",
    )
    res = __salt__["cmd.run_all"](cmd, **kwargs)
    if res["retcode"] != 0 and res["retcode"] not in ok_retcodes:
        if secret_output:
            # Not even its standard error: a crash there may quote the
            # definitions.  Whether a node answered is still told from it.
            # (no node answered: then nothing was exported, and its error
            # says which node)
            if _NODE_DOWN.search(res.get("stderr") or ""):
                _rabbitmqctl_failed(args[0], dict(res, stdout=""))
            raise CommandExecutionError(
                "rabbitmqctl {} failed (exit code {}; its output is not shown: it may "
                "hold password hashes)".format(args[0], res["retcode"])
            )
        _rabbitmqctl_failed(args[0], res)
    return res


def _changing(args, node=None, password=None):
    """``_rabbitmqctl`` for a command that changes users or permissions:
    the cached definitions are dropped, whether it succeeds or not."""
    try:
        return _rabbitmqctl(args, node=node, password=password)
    finally:
        _forget_definitions()


def _user_with_password(command, name, password, node, ok_retcodes=()):
    """``rabbitmqctl <command> <user name>`` with ``password`` on standard
    input (add_user, change_password, authenticate_user)."""
    args = [command, _check_arg(name, "user name")]
    password = _check_password(password)
    if command != "authenticate_user":
        return _changing(args, node=node, password=password)
    return _rabbitmqctl(args, node=node, password=password, ok_retcodes=ok_retcodes)


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
# Definitions (export_definitions): users, their password hashes, permissions
# ---------------------------------------------------------------------------


def _password_matches(password, password_hash, algorithm):
    """
    Whether ``password`` is the one RabbitMQ stored as ``password_hash``
    (export_definitions' base64 of a 4-byte salt and the hash of salt and
    UTF-8 password, rabbit_password.erl) with the hashing module
    ``algorithm``: True or False, or None when this cannot tell (a module it
    does not know, no hash, not base64, not the size of that hash).
    """
    digest = _PASSWORD_HASHES.get(algorithm)
    if digest is None or not password_hash or not isinstance(password_hash, str):
        return None
    try:
        stored = base64.b64decode(password_hash, validate=True)
        cleartext = str(password).encode("utf-8")
        size = digest().digest_size  # (MD5 raises ValueError under FIPS)
    except (binascii.Error, ValueError):  # (UnicodeEncodeError is a ValueError)
        return None
    if len(stored) != _SALT_BYTES + size:
        return None
    salt, expected = stored[:_SALT_BYTES], stored[_SALT_BYTES:]
    return hmac.compare_digest(digest(salt + cleartext).digest(), expected)


def _users_view(definitions):
    """
    The users of export_definitions' parsed JSON: ``{name: {"password_hash":
    base64, "hashing_algorithm": module, "permissions": {vhost:
    {"configure": regex, "write": regex, "read": regex}}}}``.  Raise
    ValueError when it does not have that shape.
    """
    if not isinstance(definitions, dict):
        raise ValueError("not a JSON object")
    # Both lists, or nothing is known: a missing one is not "none".
    for key in ("users", "permissions"):
        if not isinstance(definitions.get(key), list):
            raise ValueError("no {} list".format(key))
    users = {}
    for row in definitions["users"]:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str):
            raise ValueError("a user without a name")
        users[row["name"]] = {
            "password_hash": row.get("password_hash"),
            "hashing_algorithm": row.get("hashing_algorithm"),
            "permissions": {},
        }
    for row in definitions["permissions"]:
        if not isinstance(row, dict) or not isinstance(row.get("vhost"), str):
            raise ValueError("a permission without a virtual host")
        user = users.get(row.get("user"))
        if user is not None:
            user["permissions"][row["vhost"]] = _permissions_of(row)
    return users


def _read_definitions(node):
    """``rabbitmqctl export_definitions -`` as :func:`_users_view`, or None
    when it fails and a node answers (the callers then ask as before).  No
    node answering raises NotReadyError."""
    try:
        res = _rabbitmqctl(["export_definitions", "-"], node=node, secret_output=True)
    except CommandExecutionError as exc:
        if schema.is_not_ready(exc):
            raise
        log.warning("openstack_rabbitmq: %s; checking users one by one", exc)
        return None
    try:
        return _users_view(json.loads(res.get("stdout") or ""))
    except ValueError as exc:  # (its text may quote the output: not logged)
        log.warning(
            "openstack_rabbitmq: rabbitmqctl export_definitions printed no definitions "
            "(%s); checking users one by one", type(exc).__name__,
        )
        return None


def _definitions(node, cache=False):
    """The users of ``node`` (:func:`_users_view`, or None).  With ``cache``
    (the states: their run's own copy of ``__context__``) read once per run
    and kept until :func:`_forget_definitions`; without, read afresh and
    not kept (a direct call may run in a long-lived process whose context
    every later run would start from)."""
    if not cache:
        return _read_definitions(node)
    cache = __context__.get(_DEFINITIONS_CONTEXT_KEY) or {}
    key = node or ""
    if key not in cache:
        # A new dict, not the old one changed: Salt's state runs start
        # from a shallow copy of the execution modules' __context__.
        cache = dict(cache)
        cache[key] = _read_definitions(node)
        __context__[_DEFINITIONS_CONTEXT_KEY] = cache
    return cache[key]


def _forget_definitions():
    """Drop the cached definitions of every node (a cluster's nodes share
    their users): the next check exports them again."""
    __context__.pop(_DEFINITIONS_CONTEXT_KEY, None)


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


def check_user(name, password, node=None, cache=False):
    """
    What the broker has for the user ``name``: None when it does not exist,
    else ``{"password": True when it accepts password, "permissions":
    {vhost: {"configure": regex, "write": regex, "read": regex}}}``.

    One ``rabbitmqctl export_definitions`` (the password checked here
    against its stored hash), or, when that cannot tell,
    ``list_user_permissions`` and ``authenticate_user``.  ``cache``: keep
    the export for the rest of the state run, for every user and node
    checked in it, until a change (``openstack_rabbitmq.user_present``
    asks for it); a call without it exports afresh.

    CLI Example::

        salt '*' openstack_rabbitmq.check_user nova password="$(cat /root/nova-rabbit-password)"
    """
    name = _check_arg(name, "user name")
    password = _check_password(password)
    users = _definitions(node, cache=cache)
    if users is None:
        permissions = list_user_permissions(name, node=node)
        if permissions is None:
            return None
        return {"password": authenticate(name, password, node=node), "permissions": permissions}
    user = users.get(name)
    if user is None:
        return None
    matches = _password_matches(password, user["password_hash"], user["hashing_algorithm"])
    if matches is None:
        matches = authenticate(name, password, node=node)
    return {
        "password": matches,
        "permissions": {vhost: dict(perms) for vhost, perms in user["permissions"].items()},
    }


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
    _changing(["delete_user", "--", name], node=node)
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
        row["user"]: _permissions_of(row)
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
        row["vhost"]: _permissions_of(row)
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
    _changing(
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
