"""
nova_manage: parsing nova-manage's output (_utils/saltext_openstack_nova.py)
and masking URLs.

The ``data/nova_manage/*.stdout`` files are real nova-manage 26.2.2
(Debian 12) outputs captured against a throwaway MariaDB; their passwords
are the placeholders ``dbpass-PLACEHOLDER`` / ``mqpass-PLACEHOLDER``.
"""

import pathlib

import pytest
import salt.loader
import salt.utils.path
from minion_opts import forgotten
from minion_opts import loaded_globals
from minion_opts import minion_opts as make_minion_opts
from minion_opts import synced as synced_extmods
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import nova_manage
from saltext_openstack._utils import saltext_openstack_mask as mask
from saltext_openstack._utils import saltext_openstack_nova as novatext

DATA = pathlib.Path(__file__).parent / "data" / "nova_manage"
CELL1 = "69aa2315-9e8e-43b1-bd08-4353ab651837"


def _lines(name):
    return novatext.output_lines((DATA / name).read_text(encoding="utf-8"))


# -- tables -------------------------------------------------------------------


def test_list_cells_verbose_table():
    rows = novatext.parse_table(_lines("list_cells_verbose.stdout"))
    assert [row["name"] for row in rows] == ["cell0", "cell1"]
    assert rows[1] == {
        "name": "cell1",
        "uuid": CELL1,
        "transport_url": "rabbit://openstack:mqpass-PLACEHOLDER@controller:5672/",
        "database_connection": "mysql+pymysql://nova:dbpass-PLACEHOLDER@127.0.0.1:33060/nova",
        "disabled": "False",
    }
    masked = [nova_manage._masked_cell(dict(row, disabled=False)) for row in rows]
    assert masked[0]["transport_url"] == "none:///"
    assert masked[0]["database_connection"] == (
        "mysql+pymysql://nova:****@127.0.0.1:33060/nova_cell0"
    )
    assert masked[1]["transport_url"] == "rabbit://openstack:****@controller:5672/"
    assert "PLACEHOLDER" not in repr(masked)


def test_list_cells_without_verbose_is_masked_by_nova():
    rows = novatext.parse_table(_lines("list_cells.stdout"))
    # nova's own masking turns none:/// into none:/ -- one reason this
    # module reads --verbose and masks itself
    assert rows[0]["transport_url"] == "none:/"
    assert rows[1]["database_connection"] == "mysql+pymysql://nova:****@127.0.0.1:33060/nova"


def test_list_hosts_tables():
    assert novatext.parse_table(_lines("list_hosts_empty.stdout")) == []
    rows = novatext.parse_table(_lines("list_hosts.stdout"))
    assert rows == [
        {"cell_name": "cell1", "cell_uuid": CELL1, "hostname": "compute1"},
        {"cell_name": "cell1", "cell_uuid": CELL1, "hostname": "compute2"},
    ]


def test_pipe_inside_a_value_is_kept():
    lines = [
        "+------+-----------------------------+",
        "| Name |         Transport URL       |",
        "+------+-----------------------------+",
        "| c|1  | rabbit://u:p|w@h:5672/      |",
        "+------+-----------------------------+",
    ]
    assert novatext.parse_table(lines) == [
        {"name": "c|1", "transport_url": "rabbit://u:p|w@h:5672/"}
    ]


def test_misaligned_row_falls_back_to_splitting():
    lines = [
        "+------+-------+",
        "| Name | Host  |",
        "+------+-------+",
        "| セル | cmp1  |",  # double-width characters: prettytable pads by width
        "+------+-------+",
    ]
    assert novatext.parse_table(lines) == [{"name": "セル", "host": "cmp1"}]


def test_no_table_is_an_error():
    with pytest.raises(CommandExecutionError):
        novatext.parse_table(["Cell0 is already setup"])


# -- plain outputs ----------------------------------------------------------------


def test_version_ignores_oslo_log_lines():
    assert novatext.version_of(_lines("db_version.stdout")) == "ccb0fa1a2252"
    assert novatext.version_of(_lines("api_db_version_empty.stdout")) is None
    assert _lines("api_db_sync.stdout") == []


def test_create_cell_output_uuid():
    lines = _lines("create_cell.stdout")
    assert novatext.UUID.findall(lines[-1]) == [CELL1]


def test_discovery_parsing():
    assert novatext.parse_discovery(_lines("discover_hosts_none.stdout")) == []
    assert novatext.parse_discovery(_lines("discover_hosts_mapped.stdout")) == [
        {"hostname": "compute1", "cell_name": "cell1", "cell_uuid": CELL1},
        {"hostname": "compute2", "cell_name": "cell1", "cell_uuid": CELL1},
    ]


def test_discovery_by_service_and_unnamed_cell():
    lines = [
        "Found 2 cell mappings.",
        "Getting computes from cell: 5e5e0c5b-0000-4000-8000-000000000001",
        "Creating host mapping for service cmp9",
        "Found 1 unmapped computes in cell: 5e5e0c5b-0000-4000-8000-000000000001",
    ]
    assert novatext.parse_discovery(lines) == [
        {
            "hostname": "cmp9",
            "cell_name": None,
            "cell_uuid": "5e5e0c5b-0000-4000-8000-000000000001",
        }
    ]


# -- error messages -------------------------------------------------------------------


def test_error_message_of_a_printed_error():
    text = (DATA / "db_sync_unreachable.stdout").read_text(encoding="utf-8")
    message = novatext.error_message(text, "Modules with known eventlet monkey patching issues")
    assert message.startswith("ERROR: Could not access cell0.")
    assert "Can't connect to MySQL server on '127.0.0.1'" in message
    assert "eventlet" not in message


def test_error_message_of_a_traceback_keeps_the_last_exception():
    text = (DATA / "api_db_version_unreachable.stdout").read_text(encoding="utf-8")
    message = novatext.error_message(text, "")
    assert message.splitlines() == [
        "An error has occurred:",
        "oslo_db.exception.DBConnectionError: (pymysql.err.OperationalError) (2003, "
        "\"Can't connect to MySQL server on '127.0.0.1' ([Errno 111] ECONNREFUSED)\")",
        "(Background on this error at: https://sqlalche.me/e/14/e3q8)",
    ]


def test_error_message_keeps_oslo_errors_only():
    stdout = (
        "2026-11-21 06:44:07.122 12104 INFO nova.x [-] fine\x1b[00m\n"
        "2026-11-21 06:44:07.123 12104 ERROR nova.x [-] it broke\x1b[00m\n"
    )
    assert novatext.error_message(stdout, "") == "it broke"
    assert novatext.error_message("", "") == "no output"


# -- masking ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, masked",
    [
        ("rabbit://openstack:pw@ctl:5672/", "rabbit://openstack:****@ctl:5672/"),
        (
            "rabbit://u1:p1@h1:5672,u2:p2@h2:5672/vhost",
            "rabbit://u1:****@h1:5672,u2:****@h2:5672/vhost",
        ),
        ("mysql+pymysql://nova:a/b:c,d$e@db/nova", "mysql+pymysql://nova:****@db/nova"),
        (
            "mysql+pymysql://nova:p%40ss@db/nova?charset=utf8",
            "mysql+pymysql://nova:****@db/nova?charset=utf8",
        ),
        # a password holding "@" is masked up to the last one (the
        # shared masker's rule: nova_manage once kept "ss@")
        ("mysql+pymysql://nova:p@ss@db/nova", "mysql+pymysql://nova:****@db/nova"),
        ("mysql+pymysql://nova@db/nova", "mysql+pymysql://nova@db/nova"),
        ("mysql+pymysql://:pw@db/nova", "mysql+pymysql://:****@db/nova"),
        ("none:///", "none:///"),
        ("sqlite:////var/lib/nova/nova.sqlite", "sqlite:////var/lib/nova/nova.sqlite"),
        (None, None),
    ],
)
def test_mask_url(url, masked):
    assert nova_manage._mask_url(url) == masked
    assert mask.has_credentials(url) is (url != masked)


def test_the_log_callback_and_errors_scrub_with_four_stars(monkeypatch, tmp_path):
    """The free-text rules: test_saltext_openstack_mask.py."""
    calls = []

    def run_all(argv, **kwargs):
        calls.append(kwargs["log_callback"])
        return {"retcode": 1, "stdout": "", "stderr": "no mysql://nova:p@ss@db/n p@ss-word"}

    monkeypatch.setattr(nova_manage, "__salt__", {"cmd.run_all": run_all}, raising=False)
    monkeypatch.setattr(nova_manage.salt.utils.path, "which", lambda name: f"/usr/bin/{name}")
    with pytest.raises(CommandExecutionError) as error:
        nova_manage._run(
            ["db", "sync"], str(tmp_path / "missing.conf"), secrets=["mysql://n:p@ss-word@h/"]
        )
    assert str(error.value).endswith("no mysql://nova:****@db/n ****")
    assert calls[0]("x rabbit://u:mq-pass@h/") == "x rabbit://u:****@h/"


@pytest.mark.parametrize(
    "url, base",
    [
        ("mysql+pymysql://nova:pw@db/nova_cell0", "mysql+pymysql://nova:pw@db/nova"),
        (
            "mysql+pymysql://nova:p/w@db:3306/nova_cell0?charset=utf8",
            "mysql+pymysql://nova:p/w@db:3306/nova?charset=utf8",
        ),
        ("mysql+pymysql://nova:pw@db/cellzero", "mysql+pymysql://nova:pw@db/cellzero"),
        ("sqlite:///nova_cell0", "sqlite:///nova"),
    ],
)
def test_strip_cell0_suffix(url, base):
    assert novatext.strip_cell0_suffix(url) == base


NOVA_UTILS = ("saltext_openstack_nova", "saltext_openstack_mask", "saltext_openstack_schema",
              "saltext_openstack_schemacache", "saltext_openstack_sql")


@pytest.mark.parametrize("synced", [True, False])
def test_the_module_imports_the_output_reader_beside_it(tmp_path, monkeypatch, synced):
    """saltutil.sync_all puts _utils/ in extmods/utils: a synced nova_manage
    imports the synced reader of nova-manage's output; pip-installed, the
    package's."""
    which = salt.utils.path.which
    monkeypatch.setattr(salt.utils.path, "which",
                        lambda name: f"/usr/bin/{name}" if name == "nova-manage" else which(name))
    opts = make_minion_opts(tmp_path / "root", "nova", tmp_path / "pillar")
    if synced:
        extmods = synced_extmods(opts, ["nova_manage"], NOVA_UTILS)
    with forgotten(*NOVA_UTILS):
        mods = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
        used = loaded_globals(mods, "nova_manage")["novatext"]
        if synced:
            assert used.__file__ == str(extmods / "utils" / "saltext_openstack_nova.py")
        else:
            assert used is novatext
