"""
The SQL text of ``openstack_db``: quoting identifiers, string literals and
accounts for the ``mariadb`` client's scripts, the database pattern of a
``GRANT``, and parsing what the client prints (``--batch`` rows, ``SHOW
GRANTS`` lines), and running the client (:func:`run`, for ``openstack_db``
and ``nova_manage``'s read of nova's cell mappings: Salt's ``cmd.run_all``
handed in). No Salt dunder, so that all of it is unit-tested
(tests/unit/test_openstack_db_sql.py).

The quoting holds with backslash escapes on: every script starts with
:data:`PRELUDE`, which removes ``NO_BACKSLASH_ESCAPES`` from the session's
``sql_mode`` so that it means the same on any server. Imported like
``saltext_openstack_api`` (see there), not a loader module.
"""
import re

import salt.utils.path
from salt.exceptions import CommandExecutionError, SaltInvocationError

# The NotReadyError of the schema states (_utils/): see saltext_openstack_api.
try:
    import saltext_openstack_schema as schema
except ImportError:
    from saltext_openstack._utils import saltext_openstack_schema as schema

# Run before every script: backslash escapes in string literals must be on.
PRELUDE = (
    "SET @@SESSION.sql_mode = TRIM(BOTH ',' FROM REPLACE("
    "CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','));\n"
)

# Characters a string literal must not carry as they are.
_LITERAL_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\0": "\\0",
    "\n": "\\n",
    "\r": "\\r",
    "\x1a": "\\Z",
}

# Escapes of the client's --batch output (tab separated values).
_BATCH_ESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "0": "\0"}


def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_sql is imported by openstack_db directly")


# ---------------------------------------------------------------------------
# Quoting and parsing
# ---------------------------------------------------------------------------


def quote_identifier(name):
    """
    Quote ``name`` as an SQL identifier: between backticks, a backtick
    doubled.
    """
    name = str(name)
    if not name:
        raise SaltInvocationError("an SQL identifier cannot be empty")
    if "\0" in name:
        raise SaltInvocationError("an SQL identifier cannot contain NUL")
    return "`" + name.replace("`", "``") + "`"


def quote_literal(value):
    """
    Quote ``value`` as an SQL string literal: between single quotes, with
    backslash escapes for backslash, quote, NUL, newline, carriage return
    and Ctrl-Z.
    """
    return "'" + "".join(_LITERAL_ESCAPES.get(char, char) for char in str(value)) + "'"


def quote_account(user, host):
    """
    Quote an account ``'user'@'host'``.
    """
    return "{}@{}".format(quote_literal(user), quote_literal(host))


def grant_database_pattern(name):
    """
    Return the database part of ``GRANT ... ON <db>.*`` matching exactly the
    database ``name``: backslash, ``_`` and ``%`` escaped with a backslash
    (MariaDB reads ``_`` and ``%`` there as wildcards), then quoted.
    """
    pattern = re.sub(r"([\\_%])", r"\\\1", str(name))
    return quote_identifier(pattern)


def pattern_to_name(pattern):
    """
    The database name a grant's database pattern stands for, or None when
    the pattern has an unescaped wildcard (``_``, ``%``) and so stands for
    more than one name.
    """
    name = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            name.append(next(chars, "\\"))
        elif char in "_%":
            return None
        else:
            name.append(char)
    return "".join(name)


def parse_batch(text):
    """
    Split the output of the client in ``--batch --skip-column-names`` mode
    into rows of fields, undoing its escapes (``\\\\``, ``\\t``, ``\\n``,
    ``\\0``).
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [[_unescape_batch(field) for field in line.split("\t")] for line in lines]


def _unescape_batch(field):
    out = []
    chars = iter(field)
    for char in chars:
        if char == "\\":
            nxt = next(chars, "")
            out.append(_BATCH_ESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(char)
    return "".join(out)


_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | `(?P<ident>(?:[^`]|``)*)`
    | '(?P<string>(?:[^'\\]|\\.|'')*)'
    | "(?P<dstring>(?:[^"\\]|\\.|"")*)"
    | (?P<punct>[(),.@*])
    | (?P<word>[^\s`'"(),.@*]+)
    """,
    re.VERBOSE | re.DOTALL,
)

_STRING_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}


def _unquote_string(body, quote):
    body = body.replace(quote * 2, quote)
    return re.sub(
        r"\\(.)", lambda m: _STRING_ESCAPES.get(m.group(1), m.group(1)), body, flags=re.DOTALL
    )


def _tokenize(text):
    """
    Tokens of one SHOW GRANTS line as ``(kind, value)``: kind is ``name``
    (a quoted identifier or string, unquoted), ``word`` (a keyword or an
    unquoted name) or ``punct``.
    """
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ValueError("cannot parse grant at: {!r}".format(text[pos:pos + 20]))
        pos = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        if kind == "ident":
            tokens.append(("name", match.group("ident").replace("``", "`")))
        elif kind == "string":
            tokens.append(("name", _unquote_string(match.group("string"), "'")))
        elif kind == "dstring":
            tokens.append(("name", _unquote_string(match.group("dstring"), '"')))
        elif kind == "punct":
            tokens.append(("punct", match.group("punct")))
        else:
            tokens.append(("word", match.group("word")))
    return tokens


def _split_top_level(tokens):
    """Split tokens on commas outside parentheses."""
    parts, current, depth = [], [], 0
    for token in tokens:
        if token == ("punct", "("):
            depth += 1
        elif token == ("punct", ")"):
            depth -= 1
        if token == ("punct", ",") and depth == 0:
            parts.append(current)
            current = []
        else:
            current.append(token)
    parts.append(current)
    return [part for part in parts if part]


def _render(tokens):
    """Readable text of privilege tokens: ``SELECT (a, b)``."""
    text = ""
    for kind, value in tokens:
        if kind == "punct" and value in ",)":
            text = text.rstrip() + value + " "
        elif kind == "punct" and value == "(":
            text += "("
        elif kind == "word":
            text += value.upper() + " "
        else:
            text += value + " "
    return text.strip()


def _account(tokens):
    """``user@host`` from the tokens of an account."""
    values = [value for kind, value in tokens if kind != "punct"]
    if ("punct", "@") in tokens and len(values) == 2:
        return {"user": values[0], "host": values[1]}
    return {"user": values[0] if values else "", "host": None}


def parse_grant(line):
    """
    Parse one line of ``SHOW GRANTS`` into a dict.

    Privilege grants give ``privileges`` (list, e.g. ``["ALL PRIVILEGES"]``,
    column privileges as ``"INSERT (a, b)"``), ``database`` (the database
    pattern as MariaDB shows it, ``*`` for all; ``_`` and ``%`` are
    wildcards there, ``\\_`` a literal underscore), ``database_name`` (the
    one database the pattern names, None for a wildcard pattern or ``*``),
    ``table`` (``*`` for all), ``object_type`` (``FUNCTION``, ``PROCEDURE``
    ... or None) and ``grant_option``.  ``PROXY`` grants give ``proxy``
    (``{"user", "host"}``) instead of a database; role grants give ``role``
    and ``admin_option``.  The authentication part (``IDENTIFIED BY
    PASSWORD '...'``) is dropped: it is never returned.
    """
    tokens = _tokenize(line.strip())
    words = [value.upper() if kind == "word" else None for kind, value in tokens]
    if not tokens or words[0] != "GRANT" or "TO" not in words:
        raise ValueError("not a GRANT statement: {!r}".format(line))
    to_index = words.index("TO")
    tail = words[to_index:]
    with_option = None
    if "WITH" in tail:
        at = tail.index("WITH")
        with_option = " ".join(word or "" for word in tail[at + 1:at + 3])

    if "ON" not in words[:to_index]:
        role = _render(tokens[1:to_index])
        return {
            "role": role,
            "admin_option": with_option == "ADMIN OPTION",
        }

    on_index = words.index("ON")
    privileges = [_render(part) for part in _split_top_level(tokens[1:on_index])]
    target = tokens[on_index + 1:to_index]
    grant = {"privileges": privileges, "grant_option": with_option == "GRANT OPTION"}
    if privileges == ["PROXY"]:
        grant["proxy"] = _account(target)
        return grant

    object_type = []
    while target and target[0][0] == "word":
        object_type.append(target.pop(0)[1].upper())
    parts = [[]]
    for token in target:
        if token == ("punct", "."):
            parts.append([])
        else:
            parts[-1].append(token)
    names = [part[0][1] if part else "" for part in parts]
    if len(names) == 1:
        database, table = None, names[0]
    else:
        database, table = names[0], names[1]
    grant.update(
        {
            "database": database,
            "database_name": (
                pattern_to_name(database) if database not in (None, "*") else None
            ),
            "table": table,
            "object_type": " ".join(object_type) or None,
        }
    )
    return grant


# ---------------------------------------------------------------------------
# Running the client
# ---------------------------------------------------------------------------

#: The client programs, the first found is used.
CLIENTS = ("mariadb", "mysql")

# The client's errors that mean no server answered: 2002 (socket), 2003
# (TCP), 2006 (gone away).
UNREACHABLE = ("ERROR 2002", "ERROR 2003", "ERROR 2006")


#: The client's connection arguments an execution function accepts.
CONNECTION_ARGS = ("socket", "defaults_file", "client")


def connection_args(kwargs):
    """The client's connection arguments (:data:`CONNECTION_ARGS`) among an
    execution function's ``kwargs``: Salt's own (``__pub_*``) ignored, None
    values left out (the client's default), SaltInvocationError for any
    other argument."""
    conn = {}
    for key, value in kwargs.items():
        if key in CONNECTION_ARGS:
            if value is not None:
                conn[key] = value
        elif not key.startswith("__"):
            raise SaltInvocationError("unknown argument {!r}".format(key))
    return conn


def find_client(client):
    """The path of the client ``client`` (default: the first of
    :data:`CLIENTS` found), None when not installed."""
    if client:
        return salt.utils.path.which(client)
    for candidate in CLIENTS:
        path = salt.utils.path.which(candidate)
        if path:
            return path
    return None


def redact(text, secrets):
    """``text`` with every one of ``secrets`` (as is, or quoted as an SQL
    literal) replaced by ``******``."""
    for secret in secrets:
        if not secret:
            continue
        for form in (quote_literal(secret), quote_literal(secret)[1:-1], secret):
            text = text.replace(form, "******")
    return text


def client_error_is(output, codes):
    """Whether a line of the client's error output starts with one of
    ``codes`` ("ERROR 1141"): the client may print a warning first (a
    deprecated program name, an option file it ignored)."""
    return any(line.startswith(code) for line in output.splitlines() for code in codes)


def run(run_all, sql, secrets=(), socket=None, defaults_file=None, client=None, ok_errors=(),
        find=find_client):  # fmt: skip
    """
    Run the SQL script ``sql`` with the client (found by ``find``), on its
    standard input, through ``run_all`` (Salt's ``cmd.run_all``), and return
    the result rows (see :func:`parse_batch`).  Neither the SQL nor the
    output is logged (``output_loglevel="quiet"``).  Return None when the
    client failed with one of the ``ok_errors`` (e.g. ``"ERROR 1141"``).
    Raise ``NotReadyError`` (a CommandExecutionError) when there is no
    client or no server answers, CommandExecutionError ("MariaDB: ...",
    ``secrets`` redacted) on any other error.
    """
    program = find(client)
    if not program:
        raise schema.NotReadyError(
            "MariaDB client {} not found".format(client or " or ".join(CLIENTS))
        )
    cmd = [program]
    if defaults_file:
        # Must be the first option.
        cmd.append("--defaults-file={}".format(defaults_file))
    if socket:
        cmd.append("--socket={}".format(socket))
    cmd += ["--batch", "--skip-column-names", "--default-character-set=utf8mb4"]
    res = run_all(
        cmd,
        stdin=PRELUDE + sql,
        # Else Salt turns every backslash-n of the SQL into a line break.
        stdin_raw_newlines=True,
        python_shell=False,
        output_loglevel="quiet",
        ignore_retcode=True,
        rstrip=False,
    )
    if res["retcode"] != 0:
        error = (res.get("stderr") or res.get("stdout") or "").strip()
        if client_error_is(error, ok_errors):
            return None
        error = redact(error, secrets) or "exit code {}".format(res["retcode"])
        unreachable = client_error_is(error, UNREACHABLE)
        raise (schema.NotReadyError if unreachable else CommandExecutionError)(
            "MariaDB: {}".format(error))
    return parse_batch(res.get("stdout") or "")
