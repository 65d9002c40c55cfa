"""
nova_manage: passwords never reach argv, returns or error messages.

Pure logic: ``cmd.run_all`` is replaced by a recorder.
"""

import os
import pathlib
import stat

import pytest
from salt.exceptions import CommandExecutionError

from saltext_openstack._modules import nova_manage, openstack_config

# nova_manage escapes values with openstack_config's own function, as the
# loader gives it: the real one, not a stand-in.
SHARED = {"openstack_config.escape": openstack_config.escape}


@pytest.fixture(autouse=True)
def shared_functions(monkeypatch):
    monkeypatch.setattr(nova_manage, "__salt__", dict(SHARED), raising=False)
    monkeypatch.setattr(nova_manage, "__context__", {}, raising=False)

DB = "mysql+pymysql://nova:db-Pa55word@ctl:3306/nova"
API_DB = "mysql+pymysql://nova:db-Pa55word@ctl:3306/nova_api"
MQ = "rabbit://openstack:mq-Pa55word@ctl:5672/"
SECRETS = ("db-Pa55word", "mq-Pa55word", "0ther-Pa55", "cell2-Pa55")


@pytest.fixture
def nova_conf(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text(
        "[DEFAULT]\n"
        f"transport_url = {MQ}\n"
        "[api_database]\n"
        f"connection = {API_DB}\n"
        "[database]\n"
        f"connection = {DB}\n",
        encoding="utf-8",
    )
    return str(path)


class Recorder:
    """Stands for cmd.run_all: records argv, kwargs and override files."""

    def __init__(self, stdout="", retcode=0, stderr=""):
        self.calls = []
        self.stdout = stdout
        self.retcode = retcode
        self.stderr = stderr

    def __call__(self, argv, **kwargs):
        overrides = {}
        for index, arg in enumerate(argv[:-1]):
            if arg == "--config-file" and "nova-manage-" in argv[index + 1]:
                path = argv[index + 1]
                overrides[path] = {
                    "text": open(path, encoding="utf-8").read(),
                    "mode": stat.S_IMODE(os.stat(path).st_mode),
                    "dir_mode": stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode),
                }
        self.calls.append({"argv": argv, "kwargs": kwargs, "overrides": overrides})
        return {"retcode": self.retcode, "stdout": self.stdout, "stderr": self.stderr}


@pytest.fixture
def run_all(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(nova_manage, "__salt__", {**SHARED, "cmd.run_all": recorder}, raising=False)
    monkeypatch.setattr(nova_manage.salt.utils.path, "which", lambda name: f"/usr/bin/{name}")
    return recorder


def _assert_clean(*texts):
    for text in texts:
        for secret in SECRETS:
            assert secret not in str(text)


# -- the decision: flag, config file, or nothing -----------------------------


def test_plan_leaves_values_equal_to_nova_conf_to_the_config(nova_conf):
    config = nova_manage._read_config(nova_conf)
    flags, overrides = nova_manage._plan_options(
        [
            ("--transport-url", MQ, nova_manage.TRANSPORT_URL_OPT),
            ("--database_connection", DB, nova_manage.DATABASE_OPT),
        ],
        config,
    )
    assert flags == [] and overrides == {}


def test_plan_puts_credentials_in_the_override_file_only(nova_conf):
    other_mq = "rabbit://openstack:0ther-Pa55@ctl2:5672/"
    other_db = "mysql+pymysql://nova:cell2-Pa55@db2/nova_cell2"
    flags, overrides = nova_manage._plan_options(
        [
            ("--transport-url", other_mq, nova_manage.TRANSPORT_URL_OPT),
            ("--database_connection", other_db, nova_manage.DATABASE_OPT),
        ],
        nova_manage._read_config(nova_conf),
    )
    assert flags == []
    assert overrides == {
        "DEFAULT": {"transport_url": other_mq},
        "database": {"connection": other_db},
    }
    argv = nova_manage._build_argv(
        "nova-manage", nova_conf, ["cell_v2", "create_cell", *flags], "/tmp/x/o.conf"
    )
    _assert_clean(" ".join(argv))
    assert argv[:5] == ["nova-manage", "--config-file", nova_conf, "--config-file", "/tmp/x/o.conf"]


def test_plan_passes_urls_without_credentials_as_flags():
    flags, overrides = nova_manage._plan_options(
        [
            ("--transport-url", "none:///", nova_manage.TRANSPORT_URL_OPT),
            ("--database_connection", "sqlite:////var/lib/nova/c.db", nova_manage.DATABASE_OPT),
            ("--other", None, ("x", "y")),
        ],
        {},
    )
    assert flags == [
        "--transport-url",
        "none:///",
        "--database_connection",
        "sqlite:////var/lib/nova/c.db",
    ]
    assert overrides == {}


def test_render_overrides_escapes_dollar_and_refuses_newlines():
    text = nova_manage._render_overrides({"database": {"connection": "mysql://u:a$b@h/d"}})
    assert text == "[database]\nconnection = mysql://u:a\\$b@h/d\n"
    text = nova_manage._render_overrides({"database": {"connection": "mysql://u:a\\$b@h/d"}})
    assert text == "[database]\nconnection = mysql://u:a\\\\$b@h/d\n"
    with pytest.raises(CommandExecutionError):
        nova_manage._render_overrides({"DEFAULT": {"transport_url": "a\nb"}})


def test_override_file_is_private_and_removed():
    with nova_manage._override_file({"database": {"connection": DB}}) as path:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        assert DB in open(path, encoding="utf-8").read()
    assert not os.path.exists(os.path.dirname(path))
    with nova_manage._override_file({}) as path:
        assert path is None


def test_read_config(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text(
        "[DEFAULT]\n"
        "# a comment\n"
        'transport_url = "rabbit://u:p$$w@h/"\n'
        "[database]\n"
        "connection = mysql://u:$password@h/nova\n"
        "[api_database]\n"
        "connection = mysql://first\n"
        "connection = mysql://u:p@h/nova_api\n",
        encoding="utf-8",
    )
    assert nova_manage._read_config(str(path)) == {
        ("DEFAULT", "transport_url"): "rabbit://u:p$w@h/",
        # "$password" would be substituted by oslo.config: unknown, left out
        ("api_database", "connection"): "mysql://u:p@h/nova_api",
    }
    assert nova_manage._read_config(str(tmp_path / "missing.conf")) == {}


def test_database_option_is_not_read_from_default_section(tmp_path):
    path = tmp_path / "nova.conf"
    path.write_text("[DEFAULT]\nconnection = mysql://x\n[database]\n", encoding="utf-8")
    assert nova_manage._read_config(str(path)) == {}


# -- whole calls through the recorder ----------------------------------------


def test_create_cell_with_other_urls_keeps_them_off_argv(run_all, nova_conf):
    run_all.stdout = "11111111-2222-3333-4444-555555555555\n"
    other_mq = "rabbit://openstack:0ther-Pa55@ctl2:5672/"
    other_db = "mysql+pymysql://nova:cell2-Pa55@db2/nova_cell2"
    uuid = nova_manage.create_cell(
        "cell2", transport_url=other_mq, database_connection=other_db, config_file=nova_conf
    )
    assert uuid == "11111111-2222-3333-4444-555555555555"
    (call,) = run_all.calls
    _assert_clean(" ".join(call["argv"]))
    assert call["argv"][-5:] == ["cell_v2", "create_cell", "--name", "cell2", "--verbose"]
    assert call["kwargs"]["python_shell"] is False
    assert call["kwargs"]["output_loglevel"] == "quiet"
    (override,) = call["overrides"].values()
    assert override["mode"] == 0o600 and override["dir_mode"] == 0o700
    assert other_mq in override["text"] and other_db in override["text"]
    # the log callback masks what Salt would log about the command
    assert "0ther-Pa55" not in call["kwargs"]["log_callback"](f"cmd {other_mq}")


def test_create_cell_with_nova_conf_urls_passes_nothing(run_all, nova_conf):
    run_all.stdout = (
        "--transport-url not provided in the command line, using the value "
        "[DEFAULT]/transport_url from the configuration file\n"
        "11111111-2222-3333-4444-555555555555\n"
    )
    nova_manage.create_cell(
        "cell1", transport_url=MQ, database_connection=DB, config_file=nova_conf
    )
    (call,) = run_all.calls
    assert call["argv"] == [
        "/usr/bin/nova-manage",
        "--config-file",
        nova_conf,
        "cell_v2",
        "create_cell",
        "--name",
        "cell1",
        "--verbose",
    ]


def test_map_cell0_with_secret_url_derives_it_from_a_temporary_config(run_all, nova_conf):
    run_all.stdout = "Cell0 is already setup\n"
    cell0 = "mysql+pymysql://nova:cell2-Pa55@db2/nova_cell0?charset=utf8"
    ret = nova_manage.map_cell0(database_connection=cell0, config_file=nova_conf)
    assert ret == {"name": "cell0", "uuid": nova_manage.CELL0_UUID, "created": False}
    (call,) = run_all.calls
    _assert_clean(" ".join(call["argv"]))
    assert call["argv"][-2:] == ["cell_v2", "map_cell0"]
    (override,) = call["overrides"].values()
    assert "connection = mysql+pymysql://nova:cell2-Pa55@db2/nova?charset=utf8" in override["text"]


def test_map_cell0_without_credentials_uses_the_flag(run_all, nova_conf):
    nova_manage.map_cell0(database_connection="sqlite:////tmp/c0.db", config_file=nova_conf)
    (call,) = run_all.calls
    assert call["argv"][-2:] == ["--database_connection", "sqlite:////tmp/c0.db"]
    assert call["overrides"] == {}


def test_update_cell0_passes_none_transport_as_flag(run_all, nova_conf):
    cell0 = "mysql+pymysql://nova:cell2-Pa55@db2/c0"
    nova_manage.update_cell(
        nova_manage.CELL0_UUID,
        transport_url="none:///",
        database_connection=cell0,
        config_file=nova_conf,
    )
    (call,) = run_all.calls
    _assert_clean(" ".join(call["argv"]))
    assert call["argv"][-4:] == [
        "--cell_uuid",
        nova_manage.CELL0_UUID,
        "--transport-url",
        "none:///",
    ]
    (override,) = call["overrides"].values()
    assert "[database]\nconnection = " + cell0 in override["text"]


def test_failure_raises_with_scrubbed_nova_manage_message(run_all, nova_conf):
    run_all.retcode = 1
    run_all.stdout = (
        "ERROR: Could not access cell0.\n"
        "Error: cannot reach mysql+pymysql://nova:db-Pa55word@ctl:3306/nova_cell0\n"
        "and the password db-Pa55word was wrong\n"
    )
    with pytest.raises(CommandExecutionError) as error:
        nova_manage.db_sync(config_file=nova_conf)
    message = str(error.value)
    assert "nova-manage db sync failed (exit code 1)" in message
    assert "ERROR: Could not access cell0." in message
    assert "mysql+pymysql://nova:****@ctl:3306/nova_cell0" in message
    _assert_clean(message)


def test_list_cells_masks_verbose_output(run_all, nova_conf):
    captured = pathlib.Path(__file__).parent / "data" / "nova_manage" / "list_cells_verbose.stdout"
    run_all.stdout = captured.read_text(encoding="utf-8")
    cells = nova_manage.list_cells(config_file=nova_conf)
    assert cells[1] == {
        "name": "cell1",
        "uuid": "69aa2315-9e8e-43b1-bd08-4353ab651837",
        "transport_url": "rabbit://openstack:****@controller:5672/",
        "database_connection": "mysql+pymysql://nova:****@127.0.0.1:33060/nova",
        "disabled": False,
    }
    assert "PLACEHOLDER" not in repr(cells)
    assert run_all.calls[0]["argv"][-3:] == ["cell_v2", "list_cells", "--verbose"]
