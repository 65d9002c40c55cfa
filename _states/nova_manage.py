"""
States for nova's databases and cells v2, on top of the ``nova_manage``
execution module (which runs the real ``nova-manage``).

.. code-block:: yaml

    nova-api-db:
      nova_manage.db_synced:
        - name: api

    cell0:
      nova_manage.cell_present: []

    cell1:
      nova_manage.cell_present: []

    nova-db:
      nova_manage.db_synced:
        - name: main
        - require:
          - nova_manage: cell0

    discover-computes:
      nova_manage.hosts_discovered: []

No password ever appears in changes or comments: URLs are reported masked
(``rabbit://openstack:****@ctl:5672/``); a password change is reported as
``credentials_changed``.
"""

import time

from salt.exceptions import CommandExecutionError

# The typed errors and the schema verdict shared with the execution modules
# and openstack_db's states, and what the extension's states share (their
# first return, their ends, a missing program) (_utils/): synced to
# extmods/utils, which the loader puts on sys.path while it loads this
# module, or part of the pip-installed package.
try:
    import saltext_openstack_schema as schema
    import saltext_openstack_state as state_utils
except ImportError:
    from saltext_openstack._utils import saltext_openstack_schema as schema
    from saltext_openstack._utils import saltext_openstack_state as state_utils

__virtualname__ = "nova_manage"
# The states' return when the execution module is not loaded (its program is
# missing: a new host in a dry run, before the package is installed).
_unavailable = state_utils.unavailable_in(
    globals(), "nova_manage.list_cells", "nova-manage (package nova-common)")

DEFAULT_CONFIG_FILE = "/etc/nova/nova.conf"
CELL0_TRANSPORT_URL = "none:///"


def __virtual__():
    return __virtualname__  # also without the program: each state says so (_unavailable)


def _version_changes(before, after):
    """``{"old", "new"}`` for the database, plus ``cell0`` when it moved."""
    changes = {}
    if before["version"] != after["version"]:
        changes.update(old=before["version"], new=after["version"])
    cell0_before = (before.get("cell0") or {}).get("version")
    cell0_after = (after.get("cell0") or {}).get("version")
    if after.get("cell0") and cell0_before != cell0_after:
        changes["cell0"] = {"old": cell0_before, "new": cell0_after}
    return changes


def _predicted(before):
    """The prediction: "db sync" migrates every database it covers to head;
    cell0 is part of it only when already mapped."""
    head = before["head"]
    return {"version": head, "cell0": {"version": head} if before.get("cell0") else None}


def _reached(after):
    """What a sync left: the database's revision, and cell0's."""
    return f"{after['version']}" + (
        f", cell0 {after['cell0']['version']}" if after.get("cell0") else "")


# Where a dry run says it would do what it cannot check yet.
_ONCE_SET_UP = "once nova.conf and its database are in place"

# The comments of db_synced (schema.schema_verdict: the sequence, shared
# with openstack_db.schema_synced; TEXTS: the comments both say alike).
_DB_TEXTS = {
    "not_ready": "The {label} would be migrated " + _ONCE_SET_UP + " ({reason})",
    "unreadable": "Cannot read the {label} version: {error}",
    "synced": "The {label} is already at revision {head}",
    "short": "The {label} was migrated but is not at head {head}: revision {reached}",
    "migrated": "The {label} was migrated to revision {head}",
}


def _not_ready_in_test(ret, exc, would):
    """
    In test mode, report ``would`` (result None) when nova is not set up yet:
    ``NotReadyError``, nova-manage's errors while nova.conf has no database
    yet, or the database or its user does not exist yet (in a dry run of a
    fresh deployment the states that write them come first in the same run
    and only say "would").
    """
    if __opts__["test"] and schema.is_not_ready(exc):
        ret.update(
            result=None,
            comment=f"{would} {_ONCE_SET_UP} ({schema.not_ready_reason(exc)})",
        )
        return True
    return False


def db_synced(name, config_file=DEFAULT_CONFIG_FILE, socket=None, defaults_file=None,
              client=None):  # fmt: skip
    """
    Ensure a nova database schema is at the newest revision of the installed
    nova.

    name
        ``api`` (``nova-manage api_db sync``) or ``main`` (``nova-manage db
        sync``, which also migrates cell0's database once cell0 is mapped:
        map cell0 first, as nova's install guide does).

    config_file
        nova.conf to use (default ``/etc/nova/nova.conf``).

    socket, defaults_file, client
        How root reaches the local MariaDB for the cheap check
        (``openstack_db.schema_cached``: no start of nova's Python when
        the databases are at the head of nova code seen before).

    The current revision(s) are compared with the head revision of nova's
    migration scripts first: nothing runs when already at head, and test
    mode predicts exactly. Changes: ``{"old": rev, "new": rev}`` (plus
    ``cell0: {"old", "new"}`` for ``main``), the versions read again after
    the sync: one short of head fails the state.  A database at a revision
    the installed nova does not ship (a newer schema) fails it without
    running anything.
    """
    missing = _unavailable(name, "sync the {} database".format(name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    if name not in ("api", "main"):
        ret.update(result=False, comment=f"name must be 'api' or 'main', not {name!r}")
        return ret
    label = "nova API database" if name == "api" else "nova main database"

    def status():
        conn = {"socket": socket, "defaults_file": defaults_file, "client": client}
        return __salt__["nova_manage.db_status"](
            name, config_file=config_file,
            **{key: value for key, value in conn.items() if value is not None})

    def sync():
        __salt__["nova_manage.api_db_sync" if name == "api" else "nova_manage.db_sync"](
            config_file=config_file
        )

    return schema.schema_verdict(
        name, label, status, sync, test=bool(__opts__["test"]), texts=_DB_TEXTS,
        words={"code": "nova", "heads": "head"}, changes=_version_changes,
        predict=_predicted, describe=_reached,
    )  # fmt: skip


def cell_present(
    name, transport_url=None, database_connection=None, config_file=DEFAULT_CONFIG_FILE
):
    """
    Ensure a cells v2 mapping exists with the given settings.

    name
        The cell name. ``cell0`` is the special cell of instances that were
        never scheduled: it is created with ``map_cell0`` (fixed UUID,
        transport ``none:///``); any other name with ``create_cell``.

    transport_url
        The cell's message queue. Default: ``[DEFAULT] transport_url`` of
        ``config_file``. Ignored for cell0.

    database_connection
        The cell's database. Default: ``[database] connection`` of
        ``config_file``; for cell0, nova's default (that database name +
        ``_cell0``), in which case an existing cell0's database is not
        compared.

    config_file
        nova.conf to use (default ``/etc/nova/nova.conf``).

    An existing cell whose transport URL or database differs is updated in
    place (``nova-manage cell_v2 update_cell``, keeps the UUID, host and
    instance mappings); nova-manage refuses settings already used by
    another cell. Services running against the cell only see the change
    after a restart: the comment says so. Cells are found by name, which
    nova does not require to be unique: several cells with the same name is
    an error.

    Test mode compares the real settings read-only and reports what would
    change. Passwords are never shown: a password-only change is reported as
    ``credentials_changed``.
    """
    missing = _unavailable(name, "map cell " + str(name))
    if missing:
        return missing
    ret = state_utils.ret(name)
    try:
        state = _with_settings("check_cell", name, transport_url, database_connection, config_file)
    except CommandExecutionError as exc:
        if _not_ready_in_test(ret, exc, f"Cell {name} would be created or checked"):
            return ret
        ret.update(result=False, comment=f"Cannot read the cell mappings: {exc}")
        return ret

    if not state["exists"]:
        return _create_cell(ret, state, transport_url, database_connection, config_file)
    if not state["differences"]:
        ret["comment"] = f"Cell {name} ({state['uuid']}) is present"
        return ret
    return _update_cell(ret, state, transport_url, database_connection, config_file)


def _with_settings(fun, cell, transport_url, database_connection, config_file):
    """``nova_manage.<fun>`` (check_cell, create_cell, update_cell) of ``cell``
    (its name; update_cell: its UUID) with the settings the state was given."""
    return __salt__["nova_manage." + fun](
        cell,
        transport_url=transport_url,
        database_connection=database_connection,
        config_file=config_file,
    )


def _create_cell(ret, state, transport_url, database_connection, config_file):
    name = ret["name"]
    wanted = dict(state["wanted"])
    if wanted["database_connection"] is None:
        wanted["database_connection"] = "default ([database] connection + _cell0)"
    if __opts__["test"]:
        ret.update(
            result=None,
            changes={"old": None, "new": dict(name=name, **wanted)},
            comment=f"Cell {name} would be created",
        )
        return ret
    try:
        if name == "cell0":
            uuid = __salt__["nova_manage.map_cell0"](
                database_connection=database_connection, config_file=config_file
            )["uuid"]
        else:
            uuid = _with_settings(
                "create_cell", name, transport_url, database_connection, config_file
            )
    except CommandExecutionError as exc:
        ret.update(result=False, comment=f"Failed to create cell {name}: {exc}")
        return ret
    ret.update(
        changes={"old": None, "new": dict(name=name, uuid=uuid, **wanted)},
        comment=f"Cell {name} was created ({uuid})",
    )
    return ret


def _update_cell(ret, state, transport_url, database_connection, config_file):
    name = ret["name"]
    uuid = state["uuid"]
    changes = state["differences"]
    fields = " and ".join(sorted(changes))
    if __opts__["test"]:
        ret.update(
            result=None,
            changes=changes,
            comment=f"Cell {name} ({uuid}) would have its {fields} updated",
        )
        return ret
    if name == "cell0":
        # cell0 keeps its none:/// transport; its database is only compared
        # (and thus only differs) when database_connection is given.
        transport_url = CELL0_TRANSPORT_URL
    try:
        # None means "from config_file", exactly what check_cell compared to
        _with_settings("update_cell", uuid, transport_url, database_connection, config_file)
    except CommandExecutionError as exc:
        ret.update(result=False, comment=f"Failed to update cell {name}: {exc}")
        return ret
    ret.update(
        changes=changes,
        comment=(
            f"Cell {name} ({uuid}) had its {fields} updated; running nova "
            "services see it after a restart"
        ),
    )
    return ret


def _mapped_comment(mapped):
    return "Mapped " + ", ".join(
        f"{host['hostname']} to cell {host['cell_name'] or host['cell_uuid']}" for host in mapped
    )


def hosts_discovered(
    name,
    cell_uuid=None,
    by_service=False,
    hosts=None,
    timeout=0,
    interval=5,
    config_file=DEFAULT_CONFIG_FILE,
):
    """
    Map the compute hosts that are not mapped to a cell yet
    (``nova-manage cell_v2 discover_hosts``).

    name
        A label for the state.

    cell_uuid
        Only look for hosts in this cell (default: all cells).

    by_service
        Discover from the nova-compute service records rather than the
        compute nodes.

    hosts
        The compute hosts that must end up mapped.  The host mappings are
        read first (``nova_manage.list_hosts``: from the API database,
        no nova-manage start when certain): when every one of them is
        mapped nothing else runs, and test mode predicts the others.  A
        host is mapped once its nova-compute has registered its compute
        node, so discovery is repeated every ``interval`` seconds, for at
        most ``timeout`` seconds, until all of them are; then the state
        fails naming the hosts still missing.

    timeout
        Seconds to keep discovering for ``hosts`` (default 0: once).

    interval
        Seconds between two discoveries (default 5).

    config_file
        nova.conf to use (default ``/etc/nova/nova.conf``).

    Changes list the hosts newly mapped (``{"mapped": [...]}``); a re-run
    maps nothing and reports no change.  nova-manage has no dry run and the
    compute nodes of each cell cannot be read without it, so without
    ``hosts`` test mode cannot predict: it returns ``None`` and says
    discovery would run.
    """
    missing = _unavailable(name, "discover compute hosts")
    if missing:
        return missing
    ret = state_utils.ret(name)
    wanted = sorted(set(hosts or ()))
    if wanted:
        try:
            known = {h["hostname"] for h in __salt__["nova_manage.list_hosts"](
                cell_uuid=cell_uuid, config_file=config_file)}
        except CommandExecutionError as exc:
            if _not_ready_in_test(ret, exc, "Would map " + ", ".join(wanted)):
                return ret
            ret.update(result=False, comment=f"Cannot read the host mappings: {exc}")
            return ret
        unmapped = [host for host in wanted if host not in known]
        if not unmapped:
            ret["comment"] = "Every compute host is mapped: " + ", ".join(wanted)
            return ret
        if __opts__["test"]:
            ret.update(result=None, changes={"mapped": unmapped},
                       comment="Would map " + ", ".join(unmapped) + " once registered")
            return ret
    elif __opts__["test"]:
        ret.update(
            result=None,
            comment=(
                "Compute host discovery would run (nova-manage cell_v2 "
                "discover_hosts has no dry run: hosts not mapped yet would be)"
            ),
        )
        return ret
    deadline = time.monotonic() + max(0, timeout)
    mapped = []
    while True:
        try:
            mapped += __salt__["nova_manage.discover_hosts"](
                cell_uuid=cell_uuid, by_service=by_service, config_file=config_file
            )
        except CommandExecutionError as exc:
            ret.update(result=False, comment=f"Host discovery failed: {exc}")
            if mapped:
                ret.update(changes={"mapped": sorted(h["hostname"] for h in mapped)})
            return ret
        if not wanted:
            break
        done = {h["hostname"] for h in mapped}
        unmapped = [host for host in unmapped if host not in done]
        if not unmapped or time.monotonic() + interval > deadline:
            break
        time.sleep(interval)
    if mapped:
        ret.update(changes={"mapped": sorted(h["hostname"] for h in mapped)},
                   comment=_mapped_comment(mapped))
    else:
        ret["comment"] = "No unmapped compute host found"
    if wanted and unmapped:
        ret.update(result=False, comment=(
            (ret["comment"] + "; ") if mapped else "")
            + f"not mapped after {timeout} s: {', '.join(unmapped)} (their nova-compute has "
            "not registered a compute node: is it running, and does it reach the controller?)")
    return ret
