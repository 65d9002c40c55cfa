"""
The cheap read of nova's cell and host mappings: the SQL run on the API
database by the ``mariadb`` client, its rows turned into what
``list_cells --verbose``/``list_hosts`` give (pure), and when
``nova_manage`` asks nova-manage instead.

Pure logic: ``cmd.run_all`` is replaced by a fake that answers the client
(rows of ``--batch`` output) and nova-manage (its tables), and records the
argv of each.  The read against a real MariaDB and nova's schema, compared
with nova-manage's own answer, is tests/functional/test_nova_manage.py.
"""

import pytest
from salt.exceptions import CommandExecutionError, SaltInvocationError

from saltext_openstack._modules import nova_manage
from saltext_openstack._utils import saltext_openstack_nova as novatext
from saltext_openstack._utils import saltext_openstack_sql as sqltext
from saltext_openstack._utils.saltext_openstack_schema import NotReadyError

CELL0 = nova_manage.CELL0_UUID
CELL1 = "69aa2315-9e8e-43b1-bd08-4353ab651837"
MQ = "rabbit://openstack:mq-Pa55word@127.0.0.1:5672/"
DB = "mysql+pymysql://nova:db-Pa55word@127.0.0.1/nova"
API = "mysql+pymysql://nova:api-Pa55word@127.0.0.1:3306/nova_api"
SECRETS = ("mq-Pa55word", "db-Pa55word", "api-Pa55word")

CELL_ROWS = [
    ["cell", "2", CELL1, "cell1", MQ, DB, "0"],
    ["cell", "1", CELL0, "cell0", "none:///", DB + "_cell0", "0"],
]
HOST_ROWS = [
    ["host", "compute2", CELL1, "cell1"],
    ["host", "compute1", CELL1, "cell1"],
]


# ---------------------------------------------------------------------------
# Rows to shapes (pure)
# ---------------------------------------------------------------------------


def test_the_sql_reads_nova_s_columns_of_the_quoted_database():
    sql = novatext.mappings_sql(sqltext.quote_identifier("nova`api"))
    assert "FROM `nova``api`.cell_mappings" in sql
    assert "FROM `nova``api`.host_mappings AS h JOIN `nova``api`.cell_mappings AS c" in sql
    for column in ("uuid", "name", "transport_url", "database_connection", "disabled",
                   "h.host", "c.uuid", "c.name", "h.cell_id"):
        assert column in sql


def test_cells_have_list_cells_shape_sorted_by_name():
    rows = CELL_ROWS + [["cell", "3", "u3", "", "", "", "1"]] + HOST_ROWS
    assert novatext.cells_from_rows(rows) == [
        {"name": None, "uuid": "u3", "transport_url": None, "database_connection": None,
         "disabled": True},
        {"name": "cell0", "uuid": CELL0, "transport_url": "none:///",
         "database_connection": DB + "_cell0", "disabled": False},
        {"name": "cell1", "uuid": CELL1, "transport_url": MQ, "database_connection": DB,
         "disabled": False},
    ]


def test_no_cells_is_an_empty_list():
    assert novatext.cells_from_rows([]) == []


@pytest.mark.parametrize("field", [4, 5])
def test_a_template_url_is_left_to_nova_manage(field):
    row = list(CELL_ROWS[0])
    row[field] = "mysql+pymysql://{username}:{password}@{hostname}/nova"
    assert novatext.cells_from_rows([row]) is None


def test_hosts_have_list_hosts_shape_sorted_by_host():
    rows = CELL_ROWS + HOST_ROWS + [["host", "orphan", "u9", ""]]
    assert novatext.hosts_from_rows(rows) == [
        {"cell_name": "cell1", "cell_uuid": CELL1, "hostname": "compute1"},
        {"cell_name": "cell1", "cell_uuid": CELL1, "hostname": "compute2"},
        {"cell_name": None, "cell_uuid": "u9", "hostname": "orphan"},
    ]
    assert [h["hostname"] for h in novatext.hosts_from_rows(rows, CELL1)] == [
        "compute1", "compute2"]
    assert novatext.hosts_from_rows(rows, CELL0) == []


def test_hosts_of_an_unknown_cell_is_an_error():
    with pytest.raises(CommandExecutionError, match="Cell with uuid nope was not found"):
        novatext.hosts_from_rows(CELL_ROWS + HOST_ROWS, "nope")


# ---------------------------------------------------------------------------
# nova_manage: the client first, nova-manage when uncertain
# ---------------------------------------------------------------------------


def _batch(rows):
    return "".join("\t".join(row) + "\n" for row in rows)


def _table(head, rows):
    widths = [max(len(str(row[i])) for row in [head] + rows) for i in range(len(head))]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [border]
    for index, row in enumerate([head] + rows):
        lines.append("|" + "|".join(f" {str(c):<{w}} " for c, w in zip(row, widths)) + "|")
        if index == 0:
            lines.append(border)
    return "\n".join(lines + [border]) + "\n"


class Fake:
    """cmd.run_all: the mariadb client answers ``port`` and the rows (or
    ``client_error``); nova-manage answers its tables."""

    def __init__(self):
        self.port = "3306"
        self.client_error = None
        self.schemata = [["nova_api"]]
        self.calls = []

    def __call__(self, argv, **kwargs):
        self.calls.append((argv, kwargs))
        if argv[0].endswith("/mariadb"):
            if "information_schema.SCHEMATA" in kwargs["stdin"]:
                return {"retcode": 0, "stdout": _batch(self.schemata), "stderr": ""}
            if self.client_error:
                return {"retcode": 1, "stdout": "", "stderr": self.client_error}
            rows = [["", self.port]] + CELL_ROWS + HOST_ROWS
            return {"retcode": 0, "stdout": _batch(rows), "stderr": ""}
        if "list_cells" in argv:
            cells = sorted(CELL_ROWS, key=lambda r: r[3])
            return {"retcode": 0, "stderr": "", "stdout": _table(
                ["Name", "UUID", "Transport URL", "Database Connection", "Disabled"],
                [[r[3], r[2], r[4], r[5], "False"] for r in cells])}
        if "list_hosts" in argv:
            hosts = sorted(HOST_ROWS, key=lambda r: r[1])
            return {"retcode": 0, "stderr": "", "stdout": _table(
                ["Cell Name", "Cell UUID", "Hostname"], [[r[3], r[2], r[1]] for r in hosts])}
        return {"retcode": 0, "stdout": "", "stderr": ""}

    def started(self, program):
        return [argv for argv, _ in self.calls if argv[0].endswith("/" + program)]


@pytest.fixture
def fake(nova_manage_runs, monkeypatch, tmp_path):
    conf = tmp_path / "nova.conf"
    conf.write_text(f"[DEFAULT]\ntransport_url = {MQ}\n[database]\nconnection = {DB}\n"
                    f"[api_database]\nconnection = {API}\n")
    fake = Fake()
    fake.config_file = str(conf)
    nova_manage_runs(fake)
    # oslo.config would read nothing but nova.conf
    monkeypatch.setattr(nova_manage.schemacache, "oslo_overrides", lambda *args: [])
    return fake


def test_the_client_answers_without_nova_manage(fake):
    conf = fake.config_file
    cells = nova_manage.list_cells(config_file=conf)
    hosts = nova_manage.list_hosts(config_file=conf)
    assert fake.started("nova-manage") == []
    assert len(fake.started("mariadb")) == 2
    assert [c["name"] for c in cells] == ["cell0", "cell1"]
    assert cells[1]["transport_url"] == "rabbit://openstack:****@127.0.0.1:5672/"
    assert cells[1]["database_connection"] == "mysql+pymysql://nova:****@127.0.0.1/nova"
    assert [h["hostname"] for h in hosts] == ["compute1", "compute2"]
    # the script reads nova_api, on stdin, quietly; no secret on argv or in the answers
    argv, kwargs = fake.calls[0]
    assert "`nova_api`.cell_mappings" in kwargs["stdin"]
    assert kwargs["output_loglevel"] == "quiet"
    assert not any(secret in repr((argv, cells, hosts)) for secret in SECRETS)


def test_the_answers_equal_nova_manage_s(fake, monkeypatch):
    conf = fake.config_file
    by_sql = (nova_manage.list_cells(config_file=conf), nova_manage.list_hosts(config_file=conf))
    monkeypatch.setattr(nova_manage, "__context__", {}, raising=False)
    fake.port = "3307"  # another server: nova-manage is asked
    by_nova_manage = (nova_manage.list_cells(config_file=conf),
                      nova_manage.list_hosts(config_file=conf))
    assert len(fake.started("nova-manage")) == 2
    assert by_sql == by_nova_manage


def test_check_cell_compares_the_real_urls(fake):
    conf = fake.config_file
    same = nova_manage.check_cell("cell1", config_file=conf)
    assert same["exists"] and same["differences"] == {}
    rotated = nova_manage.check_cell(
        "cell1", database_connection=DB.replace("db-Pa55word", "new"), config_file=conf)
    assert rotated["differences"]["database_connection"]["credentials_changed"] is True
    assert len(fake.started("mariadb")) == 1  # one read per run
    assert fake.started("nova-manage") == []


def test_list_hosts_of_a_cell(fake):
    hosts = nova_manage.list_hosts(CELL1, config_file=fake.config_file)
    assert {h["cell_uuid"] for h in hosts} == {CELL1}
    with pytest.raises(CommandExecutionError, match="was not found"):
        nova_manage.list_hosts("nope", config_file=fake.config_file)


def test_connection_arguments_reach_the_client(fake):
    nova_manage.list_hosts(config_file=fake.config_file, socket="/tmp/x.sock", __pub_fun="x")
    assert "--socket=/tmp/x.sock" in fake.started("mariadb")[0]
    with pytest.raises(SaltInvocationError, match="unknown argument 'sockett'"):
        nova_manage.list_hosts(config_file=fake.config_file, sockett="/tmp/x.sock")


@pytest.mark.parametrize("error", [
    "ERROR 1045 (28000): Access denied for user 'root'@'localhost'",
    "ERROR 1142 (42000): SELECT command denied to user 'root'@'localhost'",
    "ERROR 2002 (HY000): Can't connect to local server through socket",
])
def test_the_client_refused_or_unanswered_asks_nova_manage(fake, error):
    fake.client_error = error
    assert [c["name"] for c in nova_manage.list_cells(config_file=fake.config_file)] == [
        "cell0", "cell1"]
    assert len(fake.started("nova-manage")) == 1


def test_no_client_asks_nova_manage(fake, monkeypatch):
    monkeypatch.setattr(nova_manage.salt.utils.path, "which",
                        lambda name: None if name in sqltext.CLIENTS else f"/usr/bin/{name}")
    assert len(nova_manage.list_hosts(config_file=fake.config_file)) == 2
    assert len(fake.started("nova-manage")) == 1


@pytest.mark.parametrize("api", [
    "mysql+pymysql://nova:api-Pa55word@192.0.2.1/nova_api",  # not this host
    "mysql+pymysql://nova:api-Pa55word@127.0.0.1/nova_api?unix_socket=/x",
    "sqlite:////var/lib/nova/nova_api.sqlite",
    None,
])
def test_an_uncertain_api_database_asks_nova_manage(fake, api):
    text = f"[database]\nconnection = {DB}\n"
    if api:
        text += f"[api_database]\nconnection = {api}\n"
    with open(fake.config_file, "w", encoding="utf-8") as handle:
        handle.write(text)
    nova_manage.list_cells(config_file=fake.config_file)
    assert fake.started("mariadb") == []
    assert len(fake.started("nova-manage")) == 1


def test_a_template_url_asks_nova_manage(fake, monkeypatch):
    monkeypatch.setattr(nova_manage.novatext, "cells_from_rows", lambda rows: None)
    nova_manage.list_cells(config_file=fake.config_file)
    assert len(fake.started("nova-manage")) == 1


def test_no_schema_is_a_clear_error(fake):
    fake.client_error = ("ERROR 1146 (42S02) at line 3: Table 'nova_api.cell_mappings' "
                         "doesn't exist")
    with pytest.raises(CommandExecutionError,
                       match="cannot read nova's cell and host mappings.*1146") as info:
        nova_manage.list_cells(config_file=fake.config_file)
    assert not isinstance(info.value, NotReadyError)
    assert fake.started("nova-manage") == []


def test_no_table_of_a_missing_database_is_not_ready(fake):
    fake.client_error = ("ERROR 1146 (42S02) at line 3: Table 'nova_api.cell_mappings' "
                         "doesn't exist")
    fake.schemata = []
    with pytest.raises(NotReadyError, match="Unknown database 'nova_api'"):
        nova_manage.list_cells(config_file=fake.config_file)
    assert fake.started("nova-manage") == []


def test_no_database_is_not_ready(fake):
    fake.client_error = "ERROR 1049 (42000): Unknown database 'nova_api'"
    with pytest.raises(NotReadyError, match="Unknown database"):
        nova_manage.list_hosts(config_file=fake.config_file)


@pytest.mark.parametrize("error", [
    # root over the socket refused (unix_socket authentication)
    "ERROR 1698 (28000): Access denied for user 'root'@'localhost'",
    # any other error of the read, e.g. a column renamed by a later nova
    "ERROR 1054 (42S22) at line 3: Unknown column 'cm.disabled' in 'field list'",
])
def test_other_errors_of_the_read_ask_nova_manage(fake, error):
    """Only "no such table" and "no such database" are the read's to say;
    for anything else nova-manage, the authority, answers."""
    fake.client_error = error
    assert len(nova_manage.list_hosts(config_file=fake.config_file)) == 2
    assert len(fake.started("nova-manage")) == 1
