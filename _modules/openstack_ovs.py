"""
Open vSwitch database records and bridges through ``ovs-vsctl``: the few
reads and writes the ``ovn`` formula needs.

Salt's own ``openvswitch`` module replaces a whole map column when it sets
one (``external_ids`` would lose the keys ``ovs-ctl`` and ovn-controller
keep there), cannot give a bridge a datapath type and does not load before
Open vSwitch is installed; this module sets single keys of map columns and
is read by the ``openstack_ovs`` states, which load without it.

Values are compared as OVSDB strings: ``True`` as ``true``, numbers as
their decimal text; ``None`` removes a map key.  They are written bare when
they are one plain word, which an integer or boolean column takes (and a
string column as that string), else quoted.

Every function raises :class:`salt.exceptions.CommandExecutionError` with
ovs-vsctl's own message when the command fails, and one starting with
:data:`NOT_INSTALLED` when there is no ovs-vsctl yet (the module loads
anyway, so that the states can say what they would do on a new host).
"""
import json
import os
import re

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

__virtualname__ = "openstack_ovs"

#: ovs-vsctl's own wait for ovsdb-server (seconds), so a stopped database
#: fails the state instead of hanging the minion.
TIMEOUT = 30

#: When this variable of the minion's environment is set (non-empty),
#: ovs-vsctl does not wait for ovs-vswitchd to apply a change (``--no-wait``):
#: for an ovsdb-server without ovs-vswitchd, as in the functional tests,
#: where every write would otherwise fail after :data:`TIMEOUT` (committed
#: all the same).  Unset in production.  ovs-vsctl itself finds a database
#: other than the default by ``OVS_RUNDIR`` (``$OVS_RUNDIR/db.sock``).
NO_WAIT_ENV = "OPENSTACK_OVS_NO_WAIT"

#: How the error about a missing ovs-vsctl begins.
NOT_INSTALLED = "ovs-vsctl (package openvswitch-switch) is not installed"

# Column and map key names written bare on ovs-vsctl's command line.
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


def __virtual__():
    return __virtualname__


def installed():
    """
    Whether Open vSwitch's ovs-vsctl is installed (the states' dry run
    before the package is answers "would ... once installed").

    CLI Example::

        salt-call openstack_ovs.installed
    """
    return bool(salt.utils.path.which("ovs-vsctl"))


def _vsctl(*args):
    if not installed():
        raise CommandExecutionError(NOT_INSTALLED)
    options = ["--timeout={}".format(TIMEOUT)] + (["--no-wait"] if os.environ.get(NO_WAIT_ENV)
                                                   else [])
    cmd = ["ovs-vsctl"] + options + [str(arg) for arg in args]
    result = __salt__["cmd.run_all"](cmd, python_shell=False, ignore_retcode=True)
    if result["retcode"] != 0:
        message = (result.get("stderr") or result.get("stdout") or "").strip()
        raise CommandExecutionError("{} failed: {}".format(" ".join(cmd[1 + len(options):]),
                                                           message or
                                                           "exit status {}".format(
                                                               result["retcode"])))
    return result.get("stdout", "")


def text(value):
    """A Python value as the OVSDB string it is compared with and written as.

    CLI Example::

        salt-call openstack_ovs.text True
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _convert(value):
    """ovs-vsctl's JSON (``["map", [[k, v]]]``, ``["set", [..]]``, ``["uuid", u]``)
    as Python: a dict, a list (an empty optional column: None), a string."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        kind, body = value
        if kind == "map":
            return {_convert(key): _convert(item) for key, item in body}
        if kind == "set":
            return [_convert(item) for item in body] or None
        if kind in ("uuid", "named-uuid"):
            return body
    return value


def _check_name(name, what):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise SaltInvocationError("{} {!r} is not a plain OVSDB name".format(what, name))


def record(table, name, columns):
    """
    Columns of one record: ``{column: value}``, or None when there is no
    such record.  Map columns are dicts.

    table
        OVSDB table: ``Open_vSwitch``, ``Bridge``, ``Interface`` ...
    name
        the record (``.`` for the single Open_vSwitch record, a bridge name)
    columns
        column names (a list, or a comma-separated string)

    CLI Example::

        salt-call openstack_ovs.record Open_vSwitch . external_ids,other_config
    """
    if isinstance(columns, str):
        columns = columns.split(",")
    for column in columns:
        _check_name(column, "column")
    out = _vsctl("--format=json", "--if-exists", "--columns=" + ",".join(columns),
                 "list", table, name)
    data = json.loads(out) if out.strip() else {"data": []}
    if not data.get("data"):
        return None
    return {column: _convert(value) for column, value in zip(data["headings"], data["data"][0])}


def differences(current, values):
    """
    ``{column: wanted}`` of the ``values`` a record does not have yet.

    current
        the record as :func:`record` returns it
    values
        ``{column: scalar}`` or ``{column: {key: value}}`` for map columns
        (only the keys given are compared; a value of None means "no such key")

    CLI Example::

        salt-call openstack_ovs.differences '{"datapath_type": ""}' '{"datapath_type": "netdev"}'
    """
    diff = {}
    for column, wanted in values.items():
        have = current.get(column)
        if isinstance(wanted, dict):
            have = have if isinstance(have, dict) else {}
            keys = {key: None if value is None else text(value)
                    for key, value in wanted.items()
                    if (None if value is None else text(value)) != have.get(key)}
            if keys:
                diff[column] = keys
        elif text(wanted) != text(have if have is not None else ""):
            diff[column] = text(wanted)
    return diff


def _atom(value):
    """A value as ovs-vsctl's ``set`` takes it: a plain word bare (a quoted
    ``"true"`` or ``"9000"`` is a string, which a boolean or integer column
    refuses), anything else quoted (``:``, ``,``, ``=`` ... and ``""``)."""
    value = text(value)
    return value if NAME_RE.match(value) else json.dumps(value)


def _set_args(table, name, values):
    """ovs-vsctl commands (joined by ``--``) writing ``values`` into one record."""
    settings, removals = [], []
    for column, wanted in sorted(values.items()):
        _check_name(column, "column")
        if not isinstance(wanted, dict):
            settings.append("{}={}".format(column, _atom(wanted)))
            continue
        for key, value in sorted(wanted.items()):
            _check_name(key, "key")
            if value is None:
                removals.append(["remove", table, name, column, key])
            else:
                settings.append("{}:{}={}".format(column, key, _atom(value)))
    commands = ([["set", table, name] + settings] if settings else []) + removals
    args = []
    for command in commands:
        args += (["--"] if args else []) + command
    return args


def set_values(table, name, values):
    """
    Write columns (or single keys of map columns) of one record in one
    transaction; a map key whose value is None is removed.

    CLI Example::

        salt-call openstack_ovs.set_values Open_vSwitch . '{"external_ids": {"ovn-encap-type": "geneve"}}'
    """
    args = _set_args(table, name, values)
    if args:
        _vsctl(*args)
    return True


def bridge_add(name, datapath_type=None):
    """
    Create a bridge (nothing when it exists) with the datapath type given
    (``system``, the kernel's, or ``netdev``, userspace), in one transaction.

    CLI Example::

        salt-call openstack_ovs.bridge_add br-phy netdev
    """
    _check_name(name, "bridge")
    args = ["--may-exist", "add-br", name]
    if datapath_type:
        args += ["--", "set", "Bridge", name, "datapath_type=" + json.dumps(datapath_type)]
    _vsctl(*args)
    return True


def bridge_delete(name):
    """
    Delete a bridge and its ports (nothing when it does not exist).

    CLI Example::

        salt-call openstack_ovs.bridge_delete br-int
    """
    _check_name(name, "bridge")
    _vsctl("--if-exists", "del-br", name)
    return True


def ports(bridge):
    """
    The ports of a bridge, sorted.

    CLI Example::

        salt-call openstack_ovs.ports br-ex
    """
    _check_name(bridge, "bridge")
    return sorted(line for line in _vsctl("list-ports", bridge).splitlines() if line)


def port_add(bridge, port):
    """
    Add a port (a host interface) to a bridge; nothing when it is there.

    CLI Example::

        salt-call openstack_ovs.port_add br-phy eth1
    """
    _check_name(bridge, "bridge")
    _check_name(port, "port")
    _vsctl("--may-exist", "add-port", bridge, port)
    return True


def interface_mac(name):
    """
    The MAC address of a host network interface, from sysfs.

    CLI Example::

        salt-call openstack_ovs.interface_mac eth1
    """
    _check_name(name, "interface")
    path = os.path.join("/sys/class/net", name, "address")
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except OSError as exc:
        raise CommandExecutionError("no network interface {} ({})".format(name, exc)) from exc
