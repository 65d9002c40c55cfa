"""
SQL quoting, MariaDB client output and SHOW GRANTS parsing of openstack_db
(_utils/saltext_openstack_sql.py), and the module's redaction and arguments.
"""
import pathlib
import random
import shutil

import pytest
import salt.loader
import salt.utils.path
from minion_opts import forgotten
from minion_opts import loaded_globals
from minion_opts import minion_opts as make_minion_opts
from salt.exceptions import SaltInvocationError

from saltext_openstack._modules import openstack_db as odb
from saltext_openstack._utils import saltext_openstack_sql as sqltext

REPO = pathlib.Path(__file__).resolve().parents[2]

NASTY = [
    "",
    "plain",
    "it's",
    "back\\slash",
    "trailing\\",
    "\\'",
    "''",
    "semi;colon -- comment /* c */ # hash",
    "100%_wild",
    'double"quote',
    "back`tick",
    "new\nline\rcr",
    "nul\0byte",
    "ctrl-z\x1a",
    "\\n is not a newline",
    "unicode é€😀",
    "'; DROP DATABASE mysql; --",
]

# MariaDB's escapes in a single-quoted literal (NO_BACKSLASH_ESCAPES off);
# \% and \_ keep their backslash, an unknown escape is the character.
MARIADB_ESCAPES = {"0": "\0", "'": "'", '"': '"', "b": "\b", "n": "\n", "r": "\r",
                   "t": "\t", "Z": "\x1a", "\\": "\\", "%": "\\%", "_": "\\_"}


def mariadb_read_literal(text):
    """Read one single-quoted literal the way MariaDB's lexer does; return
    (value, rest of the text)."""
    assert text[0] == "'"
    value, i = [], 1
    while True:
        char = text[i]
        if char == "\\":
            value.append(MARIADB_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        elif char == "'":
            if text[i + 1:i + 2] == "'":
                value.append("'")
                i += 2
            else:
                return "".join(value), text[i + 1:]
        else:
            value.append(char)
            i += 1


def random_strings(count=300, seed=1234):
    rng = random.Random(seed)
    alphabet = "ab'\"\\`;%_ \n\r\t\0\x1aé-#/*"
    for _ in range(count):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def assert_round_trip(value):
    quoted = sqltext.quote_literal(value)
    assert mariadb_read_literal(quoted + " rest") == (value, " rest")
    # Nothing the client could take for the end of a statement or a line.
    assert "\n" not in quoted and "\r" not in quoted and "\0" not in quoted


@pytest.mark.parametrize("value", NASTY)
def test_literal_round_trip(value):
    assert_round_trip(value)


def test_literal_round_trip_random():
    for value in random_strings():
        assert_round_trip(value)


def test_literal_examples():
    assert sqltext.quote_literal("it's") == "'it\\'s'"
    assert sqltext.quote_literal("a\\b") == "'a\\\\b'"
    assert sqltext.quote_literal("50%") == "'50%'"
    assert sqltext.quote_literal(42) == "'42'"


def test_account():
    assert sqltext.quote_account("no'va", "%") == "'no\\'va'@'%'"


@pytest.mark.parametrize(
    "name, quoted",
    [
        ("nova", "`nova`"),
        ("nova_api", "`nova_api`"),
        ("we`ird", "`we``ird`"),
        ("``", "``````"),
        ("a;b'c\\d", "`a;b'c\\d`"),
    ],
)
def test_identifier(name, quoted):
    assert sqltext.quote_identifier(name) == quoted


@pytest.mark.parametrize("name", ["", "nul\0"])
def test_identifier_refused(name):
    with pytest.raises(SaltInvocationError):
        sqltext.quote_identifier(name)


@pytest.mark.parametrize(
    "name, pattern",
    [
        ("nova", "`nova`"),
        ("nova_api", "`nova\\_api`"),
        ("100%", "`100\\%`"),
        ("back\\slash", "`back\\\\slash`"),
        ("tick`_", "`tick``\\_`"),
    ],
)
def test_grant_database_pattern(name, pattern):
    assert sqltext.grant_database_pattern(name) == pattern
    # ... and SHOW GRANTS' pattern reads back as that one database.
    assert sqltext.pattern_to_name(pattern[1:-1].replace("``", "`")) == name


@pytest.mark.parametrize("pattern", ["nova_api", "nova%", "a\\_b_"])
def test_wildcard_patterns_name_no_single_database(pattern):
    assert sqltext.pattern_to_name(pattern) is None


def test_parse_batch():
    assert sqltext.parse_batch("") == []
    assert sqltext.parse_batch("\n") == [[""]]
    assert sqltext.parse_batch("a\tb\nc\td\n") == [["a", "b"], ["c", "d"]]
    assert sqltext.parse_batch("x\\\\y\\tz\\nw\\0\n") == [["x\\y\tz\nw\0"]]
    assert sqltext.parse_batch("keep\\_\n") == [["keep\\_"]]


GRANTS = [
    (
        "GRANT USAGE ON *.* TO `nova`@`%` IDENTIFIED BY PASSWORD "
        "'*1CB5692F0D516047128267139877A252DCFFA672'",
        {"privileges": ["USAGE"], "grant_option": False, "database": "*",
         "database_name": None, "table": "*", "object_type": None},
    ),
    (
        "GRANT ALL PRIVILEGES ON `nova\\_api`.* TO `nova`@`%`",
        {"privileges": ["ALL PRIVILEGES"], "grant_option": False, "database": "nova\\_api",
         "database_name": "nova_api", "table": "*", "object_type": None},
    ),
    (
        "GRANT ALL PRIVILEGES ON `nova_api`.* TO 'nova'@'localhost'",
        {"privileges": ["ALL PRIVILEGES"], "grant_option": False, "database": "nova_api",
         "database_name": None, "table": "*", "object_type": None},
    ),
    (
        "GRANT SELECT, UPDATE ON `d1`.* TO `g`@`localhost` WITH GRANT OPTION",
        {"privileges": ["SELECT", "UPDATE"], "grant_option": True, "database": "d1",
         "database_name": "d1", "table": "*", "object_type": None},
    ),
    (
        "GRANT SELECT (`a`), INSERT (`a`, `b`) ON `d1`.`t` TO `g`@`localhost`",
        {"privileges": ["SELECT (a)", "INSERT (a, b)"], "grant_option": False,
         "database": "d1", "database_name": "d1", "table": "t", "object_type": None},
    ),
    (
        "GRANT EXECUTE ON PROCEDURE `d1`.`p` TO `g`@`localhost`",
        {"privileges": ["EXECUTE"], "grant_option": False, "database": "d1",
         "database_name": "d1", "table": "p", "object_type": "PROCEDURE"},
    ),
    (
        "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` IDENTIFIED VIA "
        "mysql_native_password USING 'invalid' OR unix_socket WITH GRANT OPTION",
        {"privileges": ["ALL PRIVILEGES"], "grant_option": True, "database": "*",
         "database_name": None, "table": "*", "object_type": None},
    ),
    (
        "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
        {"privileges": ["PROXY"], "grant_option": True, "proxy": {"user": "", "host": "%"}},
    ),
    ("GRANT `r1` TO `g`@`localhost`", {"role": "r1", "admin_option": False}),
    ("GRANT `r1` TO `root`@`localhost` WITH ADMIN OPTION", {"role": "r1", "admin_option": True}),
    (
        "GRANT ALL PRIVILEGES ON `we``ird;db\\_x\\%`.* TO `u's\\er;%`@`%`",
        {"privileges": ["ALL PRIVILEGES"], "grant_option": False, "database": "we`ird;db\\_x\\%",
         "database_name": "we`ird;db_x%", "table": "*", "object_type": None},
    ),
]


@pytest.mark.parametrize("line, parsed", GRANTS)
def test_parse_grant(line, parsed):
    assert sqltext.parse_grant(line) == parsed


def test_parsed_grants_never_carry_the_password_hash():
    parsed = sqltext.parse_grant(GRANTS[0][0])
    assert "1CB5692F" not in repr(parsed)


@pytest.mark.parametrize("line", ["", "REVOKE ALL ON *.* FROM x", "GRANT ALL ON `unterminated"])
def test_parse_grant_refuses_other_text(line):
    with pytest.raises(ValueError):
        sqltext.parse_grant(line)


def test_redact():
    text = "ERROR 1064: near 'it\\'s secret' at line 1; it's secret"
    assert sqltext.redact(text, ["it's secret"]) == "ERROR 1064: near ****** at line 1; ******"
    assert sqltext.redact("nothing", [""]) == "nothing"


def test_connection_arguments():
    assert odb._conn({"socket": "/s", "__pub_fun": "x"}) == {"socket": "/s"}
    with pytest.raises(SaltInvocationError, match="unknown argument"):
        odb._conn({"sockett": "/s"})
    # one rule, shared with nova_manage's reads: None is the client's default
    assert sqltext.connection_args({"socket": None, "client": "mysql"}) == {"client": "mysql"}
    with pytest.raises(SaltInvocationError, match="unknown argument 'sockett'"):
        sqltext.connection_args({"sockett": "/s"})


#: The _utils files openstack_db imports, in one try.
UTILS = ("saltext_openstack_sql", "saltext_openstack_mask", "saltext_openstack_schema",
         "saltext_openstack_schemacache", "saltext_openstack_schema_read")


@pytest.mark.parametrize("synced", [True, False])
def test_the_module_imports_the_sql_text_beside_it(tmp_path, monkeypatch, synced):
    """saltutil.sync_all puts _utils/ in extmods/utils: a synced openstack_db
    imports the synced files (its SQL text and the masker); pip-installed,
    the package's."""
    which = salt.utils.path.which
    monkeypatch.setattr(salt.utils.path, "which",
                        lambda name: "/usr/bin/mariadb" if name == "mariadb" else which(name))
    opts = make_minion_opts(tmp_path / "root", "sql", tmp_path / "pillar")
    extmods = pathlib.Path(opts["extension_modules"])
    if synced:
        for kind in ("modules", "utils"):
            (extmods / kind).mkdir(parents=True)
        shutil.copy(REPO / "_modules" / "openstack_db.py", extmods / "modules")
        for name in UTILS:
            shutil.copy(REPO / "_utils" / (name + ".py"), extmods / "utils")
    with forgotten(*UTILS):
        mods = salt.loader.minion_mods(opts, utils=salt.loader.utils(opts))
        module = loaded_globals(mods, "openstack_db")
        used = module["sqltext"]
        if synced:
            # all from the same place: never a synced one beside an installed one
            for name, alias in zip(UTILS, ("sqltext", "mask", "schema", "schemacache",
                                                     "schema_read")):
                assert module[alias].__file__ == str(extmods / "utils" / (name + ".py"))
        else:
            assert used is sqltext
