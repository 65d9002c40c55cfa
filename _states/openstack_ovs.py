"""
Open vSwitch settings and bridges, idempotently (through the project's
``openstack_ovs`` execution module).

.. code-block:: yaml

    ovn-chassis:
      openstack_ovs.record_present:
        - table: Open_vSwitch
        - record: .
        - values:
            external_ids:
              system-id: compute1
              ovn-encap-type: geneve
            other_config:
              userspace-tso-enable: true

    br-phy:
      openstack_ovs.bridge_present:
        - datapath_type: netdev
        - ports: [eth1]
        - hwaddr_from: eth1

Only the columns and map keys given are managed: other keys of a map column
(those ``ovs-ctl`` and ovn-controller keep in ``external_ids``) and other
ports of a bridge (ovn-controller's patch ports) stay.
"""
from salt.exceptions import CommandExecutionError, SaltInvocationError

# A state's first return and its end on an error, shared by the extension's
# states (_utils/, imported as saltext_openstack_schema is).
try:
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_state as state_utils

__virtualname__ = "openstack_ovs"


def __virtual__():
    return __virtualname__


def _failed(ret, exc, doing):
    """The state's answer to an error: in test mode on a host without Open
    vSwitch yet (the dry run before its install), what it would do."""
    message = str(exc)
    if __opts__.get("test") and not __salt__["openstack_ovs.installed"]():
        ret.update(result=None, changes={},
                   comment="Would {} once Open vSwitch is installed ({})".format(doing, message))
    else:
        ret.update(result=False, changes={}, comment="Cannot {}: {}".format(doing, message))
    return ret


def record_present(name, table, values, record=None):
    """
    Make columns, or single keys of map columns, of one OVSDB record hold
    the given values (a key whose value is None is removed).

    name
        the record, unless ``record`` is given
    table
        the table (``Open_vSwitch``, ``Bridge`` ...)
    values
        ``{column: value}``; for a map column ``{column: {key: value}}``
    record
        the record (``.`` for the Open_vSwitch table's only record)
    """
    record = name if record is None else record
    ret = state_utils.ret(name)
    doing = "set {} {}".format(table, record)
    try:
        current = __salt__["openstack_ovs.record"](table, record, list(values))
        if current is None:
            raise CommandExecutionError("no record {} in table {}".format(record, table))
        diff = __salt__["openstack_ovs.differences"](current, values)
        if not diff:
            ret["comment"] = "{} {} has the values wanted".format(table, record)
            return ret
        ret["changes"] = {column: {"old": _old(current.get(column), wanted), "new": wanted}
                          for column, wanted in diff.items()}
        if __opts__.get("test"):
            ret.update(result=None, comment="Would set {} in {} {}".format(
                ", ".join(sorted(diff)), table, record))
            return ret
        __salt__["openstack_ovs.set_values"](table, record, diff)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _failed(ret, exc, doing)
    ret["comment"] = "Set {} in {} {}".format(", ".join(sorted(diff)), table, record)
    return ret


def _old(current, wanted):
    """The current value of what changes: only the changing keys of a map."""
    if isinstance(wanted, dict):
        current = current if isinstance(current, dict) else {}
        return {key: current.get(key) for key in wanted}
    return current


def bridge_present(name, datapath_type="system", ports=(), other_config=None,
                   hwaddr_from=None):
    """
    An Open vSwitch bridge with its datapath type, host interfaces as ports
    and ``other_config`` keys.

    name
        the bridge
    datapath_type
        ``system`` (the kernel datapath) or ``netdev`` (userspace)
    ports
        host interfaces that must be ports of the bridge (other ports stay)
    other_config
        ``{key: value}`` for the bridge's other_config
    hwaddr_from
        a port whose MAC the bridge keeps (``other_config:hwaddr``), so the
        bridge's MAC does not change when its ports change
    """
    ret = state_utils.ret(name)
    doing = "make bridge " + name
    config = dict(other_config or {})
    try:
        current = __salt__["openstack_ovs.record"]("Bridge", name,
                                                   ["datapath_type", "other_config"])
        if hwaddr_from:
            config["hwaddr"] = __salt__["openstack_ovs.interface_mac"](hwaddr_from)
        values = {"datapath_type": datapath_type}
        if config:
            values["other_config"] = config
        have_ports = [] if current is None else __salt__["openstack_ovs.ports"](name)
        diff = __salt__["openstack_ovs.differences"](current or {}, values)
        new_ports = [port for port in ports if port not in have_ports]
        if current is None:
            ret["changes"]["bridge"] = {"old": None, "new": name}
        ret["changes"].update({column: {"old": _old((current or {}).get(column), wanted),
                                        "new": wanted} for column, wanted in diff.items()})
        if new_ports:
            ret["changes"]["ports"] = {"old": have_ports, "new": have_ports + new_ports}
        if not ret["changes"]:
            ret["comment"] = "Bridge {} is as wanted".format(name)
            return ret
        if __opts__.get("test"):
            ret.update(result=None, comment="Would update bridge {}: {}".format(
                name, ", ".join(sorted(ret["changes"]))))
            return ret
        if current is None:
            __salt__["openstack_ovs.bridge_add"](name, datapath_type)
            diff.pop("datapath_type", None)
        if diff:
            __salt__["openstack_ovs.set_values"]("Bridge", name, diff)
        for port in new_ports:
            __salt__["openstack_ovs.port_add"](name, port)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _failed(ret, exc, doing)
    ret["comment"] = "Updated bridge {}: {}".format(name, ", ".join(sorted(ret["changes"])))
    return ret


def bridge_absent(name, keep_datapath_type=None):
    """
    No bridge ``name``; with ``keep_datapath_type``, only a bridge of
    another datapath type is deleted (so that its owner, e.g. ovn-controller
    for ``br-int``, creates it again with the type configured).

    name
        the bridge
    keep_datapath_type
        leave the bridge when it has this datapath type (``system`` matches
        the empty default too)
    """
    ret = state_utils.ret(name)
    doing = "delete bridge " + name
    if not __salt__["openstack_ovs.installed"]():
        ret["comment"] = "No bridge {} to delete: Open vSwitch is not installed".format(name)
        return ret
    try:
        current = __salt__["openstack_ovs.record"]("Bridge", name, ["datapath_type"])
        have = None if current is None else (current.get("datapath_type") or "system")
        if current is None or (keep_datapath_type and have == keep_datapath_type):
            ret["comment"] = "No bridge {} to delete".format(name) if current is None else \
                "Bridge {} has datapath type {}".format(name, have)
            return ret
        ret["changes"] = {"bridge": {"old": "{} ({})".format(name, have), "new": None}}
        if __opts__.get("test"):
            ret.update(result=None, comment="Would delete bridge {} ({})".format(name, have))
            return ret
        __salt__["openstack_ovs.bridge_delete"](name)
    except (CommandExecutionError, SaltInvocationError) as exc:
        return _failed(ret, exc, doing)
    ret["comment"] = "Deleted bridge {} ({})".format(name, have)
    return ret
