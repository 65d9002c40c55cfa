"""
RabbitMQ users of the OpenStack services and their permissions.

.. code-block:: yaml

    rabbitmq-user-openstack:
      openstack_rabbitmq.user_present:
        - name: openstack
        - password: {{ pillar['openstack']['rabbitmq']['password'] }}
        - vhost: /
        - permissions: ['.*', '.*', '.*']   # configure, write, read

    rabbitmq-no-guest:
      openstack_rabbitmq.user_absent:
        - name: guest

RabbitMQ never reveals a password: ``user_present`` checks it against the
salted hash RabbitMQ stores (``openstack_rabbitmq.check_user``: one
``rabbitmqctl export_definitions`` per run, shared by the run's states, or
``rabbitmqctl authenticate_user`` when the hash cannot tell) and changes it
only when it is refused, so changing the password in pillar rotates it on
the next run.  Passwords go to rabbitmqctl on standard input and never
appear in changes or comments (``{"password": "changed"}``).

Every state takes ``node`` (``rabbitmqctl -n``; default the local node).
"""

from salt.exceptions import CommandExecutionError, SaltInvocationError

# What the extension's states share (their first return, their ends, a missing program)
# and the execution module's "no node yet" error (_utils/).
try:
    import saltext_openstack_schema as schema
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_schema as schema
    from saltext_openstack._utils import saltext_openstack_state as state_utils

__virtualname__ = "openstack_rabbitmq"
# The states' return when the execution module is not loaded (its program is
# missing: a new host in a dry run, before the package is installed).
_unavailable = state_utils.unavailable_in(
    globals(), "openstack_rabbitmq.list_users", "rabbitmqctl (package rabbitmq-server)")

_PERMISSIONS = ("configure", "write", "read")


def __virtual__():
    return __virtualname__  # also without the program: each state says so (_unavailable)


def _wanted_permissions(permissions):
    if isinstance(permissions, dict):
        unknown = set(permissions) - set(_PERMISSIONS)
        if unknown:
            raise SaltInvocationError(
                "unknown permission kinds: {}".format(", ".join(sorted(unknown)))
            )
        return {kind: str(permissions.get(kind, "")) for kind in _PERMISSIONS}
    if not isinstance(permissions, (list, tuple)) or len(permissions) != 3:
        raise SaltInvocationError(
            "permissions must be three regular expressions: configure, write, read"
        )
    return dict(zip(_PERMISSIONS, (str(value) for value in permissions)))


def _first_line(exc):
    return str(exc).strip().splitlines()[0]


def user_present(name, password, vhost="/", permissions=(".*", ".*", ".*"), node=None):
    """
    Ensure the user ``name`` exists with ``password`` and, in ``vhost``,
    the given permissions.

    name
        The user name.
    password
        Its password (no line break, no white space at either end).
    vhost
        The virtual host of the permissions (it must exist).
    permissions
        Regular expressions ``[configure, write, read]`` (or a mapping with
        those keys); ``None`` leaves the permissions alone.
    node
        The RabbitMQ node (``rabbitmqctl -n``).
    """
    missing = _unavailable(name, "manage RabbitMQ user " + str(name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    test = bool(__opts__.get("test"))
    verb = "would be {}".format if test else "{}".format
    notes = []

    def call(fun, *args, **kwargs):
        return __salt__["openstack_rabbitmq." + fun](*args, node=node, **kwargs)

    try:
        wanted = None if permissions is None else _wanted_permissions(permissions)
        # One call tells whether the user exists, whether its password is
        # the one wanted, and what it may do.
        user = call("check_user", name, password, cache=True)
        current_permissions = None if user is None else user["permissions"]
        if user is None:
            # Checks the password before anything else is done.
            if not test:
                call("user_add", name, password)
            ret["changes"]["user"] = "created"
            notes.append("user {} {}".format(name, verb("created")))
        elif not user["password"]:
            if not test:
                call("change_password", name, password)
            ret["changes"]["password"] = "changed"
            notes.append("password of {} {}".format(name, verb("changed")))

        if wanted is not None:
            current = (current_permissions or {}).get(vhost)
            if current != wanted:
                if not test:
                    call(
                        "set_permissions",
                        name,
                        vhost=vhost,
                        conf=wanted["configure"],
                        write=wanted["write"],
                        read=wanted["read"],
                    )
                ret["changes"]["permissions"] = {
                    "vhost": vhost,
                    "old": current,
                    "new": wanted,
                }
                notes.append("permissions of {} in {} {}".format(name, vhost, verb("set")))
    except (CommandExecutionError, SaltInvocationError) as exc:
        # (no node to ask yet: in test mode, before the RabbitMQ states of
        # the same run have installed or started it)
        if test and not notes and schema.is_not_ready(exc):
            ret["result"] = None
            ret["changes"] = {"user": "created"}
            ret["comment"] = "user {} would be created or checked once RabbitMQ runs ({})".format(
                name, _first_line(exc)
            )
            return ret
        return state_utils.failed(ret, exc, notes)

    return state_utils.noted(ret, notes, test, "user {} is as wanted".format(name))


def user_absent(name, node=None):
    """
    Ensure the user ``name`` does not exist (e.g. ``guest``, whose password
    everybody knows).

    name
        The user name.
    node
        The RabbitMQ node (``rabbitmqctl -n``).
    """
    missing = _unavailable(name, "remove RabbitMQ user " + str(name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    try:
        if not __salt__["openstack_rabbitmq.user_exists"](name, node=node):
            ret["comment"] = "user {} is absent".format(name)
            return ret
        if __opts__.get("test"):
            ret["result"] = None
            ret["comment"] = "user {} would be deleted".format(name)
        else:
            __salt__["openstack_rabbitmq.delete_user"](name, node=node)
            ret["comment"] = "user {} deleted".format(name)
        ret["changes"]["user"] = "deleted"
    except (CommandExecutionError, SaltInvocationError) as exc:
        if __opts__.get("test") and schema.is_not_ready(exc):
            ret["result"] = None
            ret["comment"] = "user {} would be checked once RabbitMQ runs ({})".format(
                name, _first_line(exc)
            )
            return ret
        return state_utils.failed(ret, exc)
    return ret
