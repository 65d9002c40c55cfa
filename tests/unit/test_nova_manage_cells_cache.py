"""
nova_manage reads the cell mappings once per run: ``list_cells --verbose``
is parsed once per config file and kept in ``__context__`` (Salt's per-run
dictionary) until a function that changes cells drops it.

Pure logic: ``cmd.run_all`` is replaced by a fake nova-manage that answers
from a list of cells and records its argv.
"""

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import nova_manage
from saltext_openstack._utils.saltext_openstack_schema import NotReadyError

CELL0 = nova_manage.CELL0_UUID
CELL1 = "69aa2315-9e8e-43b1-bd08-4353ab651837"
CELL2 = "7c1e3a52-5a0b-4bb5-9a4e-2f1d7e8c9a10"
MQ = "rabbit://openstack:mq-Pa55word@ctl:5672/"
DB = "mysql+pymysql://nova:db-Pa55word@ctl/nova"


def _table(cells):
    head = ["Name", "UUID", "Transport URL", "Database Connection", "Disabled"]
    rows = [head] + [[name, uuid, mq, db, "False"] for name, uuid, mq, db in cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = [border]
    for index, row in enumerate(rows):
        lines.append("|" + "|".join(f" {cell:<{w}} " for cell, w in zip(row, widths)) + "|")
        if index == 0:
            lines.append(border)
    return "\n".join(lines + [border]) + "\n"


class FakeNovaManage:
    """Stands for cmd.run_all: list_cells answers from ``cells``;
    create_cell adds one; ``fail`` makes the next write fail."""

    def __init__(self):
        self.cells = [("cell0", CELL0, "none:///", DB + "_cell0")]
        self.argvs = []
        self.fail = False

    def __call__(self, argv, **kwargs):
        self.argvs.append(argv)
        action = [a for a in argv if not a.startswith("--") and "/" not in a][:2]
        if action == ["cell_v2", "list_cells"]:
            return {"retcode": 0, "stdout": _table(self.cells), "stderr": ""}
        if self.fail:
            return {"retcode": 1, "stdout": "ERROR: the database went away", "stderr": ""}
        if action == ["cell_v2", "create_cell"]:
            name = argv[argv.index("--name") + 1]
            self.cells.append((name, CELL2, MQ, DB))
            return {"retcode": 0, "stdout": CELL2 + "\n", "stderr": ""}
        return {"retcode": 0, "stdout": "", "stderr": ""}

    def listings(self):
        return sum(1 for argv in self.argvs if "list_cells" in argv)


@pytest.fixture
def fake(nova_manage_runs, tmp_path):
    nova_conf = tmp_path / "nova.conf"
    nova_conf.write_text(f"[DEFAULT]\ntransport_url = {MQ}\n[database]\nconnection = {DB}\n")
    fake = FakeNovaManage()
    fake.config_file = str(nova_conf)
    nova_manage_runs(fake)
    return fake


def test_one_listing_serves_the_whole_run(fake):
    """cell0's and cell1's states and the main database's status: the three
    readers of one state run ask nova-manage once."""
    conf = fake.config_file
    assert nova_manage.check_cell("cell0", config_file=conf)["exists"] is True
    assert nova_manage.check_cell("cell1", config_file=conf)["exists"] is False
    assert [c["name"] for c in nova_manage.list_cells(config_file=conf)] == ["cell0"]
    assert fake.listings() == 1


def test_callers_get_copies(fake):
    cells = nova_manage._list_cells_raw(fake.config_file)
    cells[0]["name"] = "changed"
    cells.append({"uuid": "x"})
    assert [c["name"] for c in nova_manage._list_cells_raw(fake.config_file)] == ["cell0"]


def test_each_config_file_has_its_own_listing(fake, tmp_path):
    other = tmp_path / "other.conf"
    other.write_text("[DEFAULT]\n")
    nova_manage.list_cells(config_file=fake.config_file)
    nova_manage.list_cells(config_file=str(other))
    nova_manage.list_cells(config_file=str(other))
    assert fake.listings() == 2


def test_creating_a_cell_drops_the_listing(fake):
    conf = fake.config_file
    assert nova_manage.check_cell("cell1", config_file=conf)["exists"] is False
    assert nova_manage.create_cell("cell1", config_file=conf) == CELL2
    state = nova_manage.check_cell("cell1", config_file=conf)
    assert state["exists"] is True and state["uuid"] == CELL2
    assert fake.listings() == 2


@pytest.mark.parametrize("change", [
    lambda conf: nova_manage.update_cell(CELL1, name="renamed", config_file=conf),
    lambda conf: nova_manage.map_cell0(config_file=conf),
])  # fmt: skip
def test_every_change_of_cells_drops_the_listing(fake, change):
    nova_manage.list_cells(config_file=fake.config_file)
    change(fake.config_file)
    nova_manage.list_cells(config_file=fake.config_file)
    assert fake.listings() == 2


def test_a_failed_change_drops_the_listing_too(fake):
    """nova-manage may have changed something before it failed."""
    nova_manage.list_cells(config_file=fake.config_file)
    fake.fail = True
    with pytest.raises(CommandExecutionError, match="the database went away"):
        nova_manage.create_cell("cell1", config_file=fake.config_file)
    nova_manage.list_cells(config_file=fake.config_file)
    assert fake.listings() == 2


def test_commands_that_leave_cells_alone_keep_the_listing(fake):
    nova_manage.list_cells(config_file=fake.config_file)
    nova_manage.db_sync(config_file=fake.config_file)
    nova_manage.discover_hosts(config_file=fake.config_file)
    nova_manage.list_cells(config_file=fake.config_file)
    assert fake.listings() == 1


def test_db_head_before_install_says_nova_is_missing(monkeypatch, tmp_path):
    """
    A dry run on a host with neither nova nor the mariadb client (so no
    openstack_db module): db_head reports nova missing, the error the
    states treat as "not installed yet" (result None), not the module's.
    """
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(nova_manage, "__salt__", {}, raising=False)
    with pytest.raises(CommandExecutionError) as error:
        nova_manage.db_head("api")
    assert str(error.value) == "nova-manage is not installed"
    assert isinstance(error.value, NotReadyError)


@pytest.mark.parametrize("output, not_ready", [
    ("oslo_db.exception.CantStartEngineError: No sql_connection parameter is established", True),
    ("(pymysql.err.OperationalError) (1049, \"Unknown database 'nova_api'\")", True),
    ("(pymysql.err.OperationalError) (1045, \"Access denied for user 'nova'@'ctl'\")", True),
    ("(pymysql.err.OperationalError) (2003, \"Can't connect to MySQL server on 'ctl'\")", True),
    ("ERROR: the database went away", False),
])  # fmt: skip
def test_nova_manage_s_not_ready_errors_are_typed_where_it_runs(fake, monkeypatch, output,
                                                                not_ready):  # fmt: skip
    """nova-manage tells "not set up yet" only in its text: _run classifies
    it (NotReadyError), the states only check the type."""
    failed = {"retcode": 1, "stdout": output, "stderr": ""}
    monkeypatch.setitem(nova_manage.__salt__, "cmd.run_all", lambda argv, **kwargs: failed)
    with pytest.raises(CommandExecutionError) as error:
        nova_manage.list_hosts(config_file=fake.config_file)
    assert isinstance(error.value, NotReadyError) is not_ready
    assert str(error.value) == f"nova-manage cell_v2 list_hosts failed (exit code 1): {output}"
