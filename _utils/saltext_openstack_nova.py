"""
Reading what ``nova-manage`` prints, for the ``nova_manage`` execution
module: its own output lines (colours, oslo.log lines and noise removed),
the useful part of a failed call's output, its prettytables, the schema
revision of ``db version``, the hosts ``discover_hosts --verbose`` mapped,
and cell0's database URL without its ``_cell0`` suffix. Pure functions of
the text nova-manage printed, unit-tested (tests/unit/test_nova_manage_parsing.py).

Also the cheap read of the cell and host mappings: the SQL the
``mariadb`` client runs on nova's API database (:func:`mappings_sql`) and
the same lists ``cell_v2 list_cells --verbose``/``list_hosts`` give, made
of its rows (:func:`cells_from_rows`, :func:`hosts_from_rows`;
tests/unit/test_nova_manage_mappings.py).

Not a Salt loader module: ``nova_manage`` imports it directly, synced
(``extmods/utils``) or pip-installed (``saltext_openstack._utils``), as it
imports the other shared files (README, "Shared code").
"""
import re

from salt.exceptions import CommandExecutionError


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_nova is imported by nova_manage directly")


UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# oslo.log lines (nova-manage logs to stdout unless log_file/log_dir is set)
OSLO_LOG_LINE = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? \d+ "
    r"(?P<level>DEBUG|INFO|WARNING|ERROR|CRITICAL|TRACE)\b"
)
NOISE = ("Modules with known eventlet monkey patching issues",)
# nova-manage's errors while nova.conf has no database yet, or the database
# or its user does not exist yet, or its server does not answer: in a dry
# run of a fresh deployment the states that write them come first in the
# same run and only say "would".  nova-manage tells them only in its text:
# _run raises NotReadyError for them.
NOT_READY = re.compile(
    r"No sql_connection parameter|CantStartEngineError|Can't connect to|"
    r"Access denied for user|Unknown database"
)
BORDER = re.compile(r"^\+(-+\+)+$")


def output_lines(text):
    """nova-manage's own output lines: colours, oslo.log lines, noise removed."""
    lines = []
    for line in ANSI.sub("", text or "").splitlines():
        if OSLO_LOG_LINE.match(line) or line.startswith(NOISE):
            continue
        lines.append(line.rstrip())
    return lines


def error_message(stdout, stderr):
    """
    The useful part of a failed nova-manage call's output: its own messages,
    oslo.log errors and, for a Python traceback, only its final exception.
    """
    kept = []
    for line in ANSI.sub("", f"{stdout or ''}\n{stderr or ''}").splitlines():
        match = OSLO_LOG_LINE.match(line)
        if match:
            if match.group("level") in ("ERROR", "CRITICAL"):
                # drop "logger.name [request context]" before the message
                text = re.sub(r"^\s*\S+ \[[^\]]*\]\s*", "", line[match.end():])
                kept.append(text.strip())
            continue
        if line.startswith(NOISE):
            continue
        kept.append(line.rstrip())

    message = []
    in_traceback = False
    traceback_start = None
    for line in kept:
        if line.startswith("Traceback (most recent call last):"):
            in_traceback = True
            if traceback_start is None:
                traceback_start = len(message)
            else:  # chained exceptions: only the last one matters
                del message[traceback_start:]
            continue
        if in_traceback:
            if line.startswith((" ", "\t")) or not line:
                continue
            in_traceback = False
        message.append(line)
    text = "\n".join(line for line in message if line.strip()).strip()
    return text or "no output"


def parse_table(lines):
    """
    Parse the prettytable printed by nova-manage into a list of dicts keyed
    by the lower-cased, underscored column titles.

    Cells are cut at the column positions of the ``+----+`` border, so a
    ``|`` inside a value does not break the parsing.
    """
    border = None
    header = None
    rows = []
    for raw in lines:
        line = raw.strip()
        if BORDER.match(line):
            if border is None:
                border = line
            continue
        if border is None or not (line.startswith("|") and line.endswith("|")):
            continue
        cells = split_row(line, border)
        if header is None:
            header = [re.sub(r"\W+", "_", cell.strip().lower()) for cell in cells]
        else:
            rows.append(dict(zip(header, cells)))
    if header is None:
        raise CommandExecutionError("no table found in nova-manage's output")
    return rows


def split_row(line, border):
    columns = border.count("+") - 1
    edges = [i for i, char in enumerate(border) if char == "+"]
    if len(line) == len(border) and all(line[i] == "|" for i in edges):
        return [line[a + 1:b].strip() for a, b in zip(edges, edges[1:])]
    # Double-width characters shift the positions: fall back to splitting.
    cells = [cell.strip() for cell in line[1:-1].split("|")]
    if len(cells) != columns:
        raise CommandExecutionError("cannot parse a row of nova-manage's table")
    return cells


def to_bool(text):
    return str(text).strip().lower() in ("true", "1", "yes")


def version_of(lines):
    version = lines[-1].strip() if lines else ""
    return None if version in ("", "None") else version


CELL_LINE = re.compile(r"^Getting computes from cell(?: '(?P<name>.*)')?: (?P<uuid>\S+)$")
MAPPED_LINE = re.compile(
    r"^Creating host mapping for (?:compute host '(?P<host>.*)': \S+|service (?P<service>.+))$"
)


def parse_discovery(lines):
    """
    The hosts newly mapped according to ``discover_hosts --verbose``: a list
    of dicts with ``hostname``, ``cell_name`` and ``cell_uuid``.
    """
    mapped = []
    cell = {"cell_name": None, "cell_uuid": None}
    for line in lines:
        match = CELL_LINE.match(line.strip())
        if match:
            cell = {"cell_name": match.group("name"), "cell_uuid": match.group("uuid")}
            continue
        match = MAPPED_LINE.match(line.strip())
        if match:
            host = match.group("host") or match.group("service")
            mapped.append(dict(cell, hostname=host))
    return mapped


def strip_cell0_suffix(url):
    """``.../nova_cell0?x`` -> ``.../nova?x`` (the database name follows the
    host part, which starts after the last ``@``)."""
    start = url.rfind("@") + 1 or url.find("://") + 3
    match = re.match(r"(?P<host>[^/]*/)(?P<db>[^?]*)(?P<rest>.*)$", url[start:], re.S)
    if not match or not match.group("db").endswith("_cell0"):
        return url
    return (
        url[:start]
        + match.group("host")
        + match.group("db")[: -len("_cell0")]
        + match.group("rest")
    )


# --------------------------------------------------------------------------
# The cell and host mappings read from the API database
# --------------------------------------------------------------------------


def mappings_sql(database):
    """
    The SQL reading the mappings of the API database ``database`` (an
    identifier quoted by ``saltext_openstack_sql.quote_identifier``): rows
    tagged ``cell`` (id, uuid, name, transport_url, database_connection,
    disabled) and ``host`` (host, its cell's uuid and name), in the order
    of their ids (nova's ``CellMappingList.get_all``).  NULL read as ''
    (the client prints NULL as the text ``NULL``).  Column names as in
    nova's ``nova/db/api/models.py`` (``CellMapping``, ``HostMapping``).
    """
    return (
        "SELECT 'cell', id, uuid, COALESCE(name, ''), COALESCE(transport_url, ''), "
        "COALESCE(database_connection, ''), COALESCE(disabled, 0) "
        "FROM {db}.cell_mappings ORDER BY id;\n"
        "SELECT 'host', h.host, c.uuid, COALESCE(c.name, '') "
        "FROM {db}.host_mappings AS h JOIN {db}.cell_mappings AS c ON c.id = h.cell_id "
        "ORDER BY h.id;\n"
    ).format(db=database)


def _is_template(url):
    return url is not None and ("{" in url or "}" in url)


def cells_from_rows(rows):
    """
    The cells of :func:`mappings_sql`'s rows as ``list_cells --verbose``
    gives them: ``{"name", "uuid", "transport_url", "database_connection",
    "disabled"}`` (empty values None), sorted by name like nova-manage.
    None when a URL is a template (``{username}``...): nova-manage shows it
    filled from nova.conf, which only nova knows how to do.
    """
    cells = []
    for row in rows:
        if row[0] != "cell":
            continue
        _, _, uuid, name, transport_url, database_connection, disabled = row
        cell = {
            "name": name or None,
            "uuid": uuid,
            "transport_url": transport_url or None,
            "database_connection": database_connection or None,
            "disabled": to_bool(disabled),
        }
        if _is_template(cell["transport_url"]) or _is_template(cell["database_connection"]):
            return None
        cells.append(cell)
    return sorted(cells, key=lambda cell: cell["name"] or "")


def hosts_from_rows(rows, cell_uuid=None):
    """
    The hosts of :func:`mappings_sql`'s rows as ``list_hosts`` gives them:
    ``{"cell_name", "cell_uuid", "hostname"}``, sorted by host name; only
    those of the cell ``cell_uuid`` when given (CommandExecutionError when
    there is no such cell, as nova-manage).
    """
    wanted = (cell_uuid or "").lower()   # MariaDB compares them without case, as nova-manage
    if wanted and not any(row[0] == "cell" and row[2].lower() == wanted for row in rows):
        raise CommandExecutionError(f"Cell with uuid {cell_uuid} was not found.")
    hosts = [
        {"cell_name": name or None, "cell_uuid": uuid, "hostname": host}
        for _tag, host, uuid, name in (row for row in rows if row[0] == "host")
        if not wanted or uuid.lower() == wanted
    ]
    return sorted(hosts, key=lambda host: host["hostname"])
