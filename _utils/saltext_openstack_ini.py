"""
The INI documents of ``openstack_config``: an oslo.config file parsed once,
edited in memory and rendered once (:class:`IniDocument`), and the values
it writes, normalised from Salt/YAML types and escaped for oslo.config.
Pure: no file is read or written here; ``openstack_config`` reads, locks
and writes the files.  The format, where a new key goes, and the ``$``
escaping are described in ``_modules/openstack_config.py``'s docstring.

Not a Salt loader module: the modules import it directly, synced
(``extmods/utils``) or pip-installed (``saltext_openstack._utils``), as
``import saltext_openstack_ini as ini`` (README, "Shared code").
"""
import collections
import re

from salt.exceptions import CommandExecutionError

# oslo-config-generator writes defaults as "#key = value", with no space
# after the "#"; indented examples in the help text ("#     key = ...") are
# prose, not the place of the option.
_COMMENTED_OPTION = re.compile(r"[#;]([\w.\-]+)\s*=")
_QUOTES = ("'", '"')



def __virtual__():
    # Also found by Salt's utils loader in extmods/utils: not a __utils__ module.
    return (False, "saltext_openstack_ini is imported by the extension's modules directly")


def escape(value):
    """``value`` as written into an oslo.config file: every ``$`` as ``\\$`` (``openstack_config.escape``)."""
    return str(value).replace("$", "\\$")

# ---------------------------------------------------------------------------
# Values: normalisation (Salt/YAML types -> strings) and rendering
# ---------------------------------------------------------------------------


def _scalar(section, key, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise CommandExecutionError(
            f"[{section}] {key}: unsupported value type {type(value).__name__}"
        )
    _check_representable(section, key, value)
    return value


def _check_representable(section, key, value):
    """Continuation lines cannot be empty or carry outer whitespace."""
    for part in value.split("\n")[1:]:
        if not part or part != part.strip():
            raise CommandExecutionError(
                f"[{section}] {key}: a multi-line value cannot contain empty lines "
                "or lines with leading/trailing whitespace"
            )


def normalise(section, key, value, oslo=True):
    """Normalise a value to the list of strings written, one line per item."""
    if value is None:
        raise CommandExecutionError(
            f"[{section}] {key}: value is None; use openstack_config.absent "
            "(or delete) to remove an option, or '' for an empty value"
        )
    items = value if isinstance(value, (list, tuple)) else [value]
    texts = [_scalar(section, key, item) for item in items]
    return [escape(text) for text in texts] if oslo else texts


# oslo.config's string.Template (``ConfigOpts.Template``): ``$$``, ``$name``,
# ``${name}`` or a lone ``$``; string.Template matches case-insensitively.
_TEMPLATE = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<named>[_a-z][._a-z0-9]*)|\{(?P<braced>[_a-z][._a-z0-9]*)\}|(?P<invalid>))",
    re.IGNORECASE,
)


def _oslo_parts(text):
    """
    ``text`` as oslo.config reads it, as a tuple of literal strings and
    ``("$", name)`` substitutions: ``\\$`` is first made ``$$``, then ``$$``
    is a literal ``$``, ``$name``/``${name}`` a substitution and a lone
    ``$`` (not followed by a name) stays a ``$``.
    """
    text = text.replace("\\$", "$$")
    parts, literal, position = [], [], 0
    for match in _TEMPLATE.finditer(text):
        literal.append(text[position : match.start()])
        position = match.end()
        name = match.group("named") or match.group("braced")
        if name is None:
            literal.append("$")
            continue
        parts.append("".join(literal))
        parts.append(("$", match.group(0)))
        literal = []
    literal.append(text[position:])
    parts.append("".join(literal))
    return tuple(part for part in parts if part != "")


def unescape(text):
    """
    The value as oslo.config reads it, a substitution (``$name``) kept as
    written: ``\\$`` -> ``$$``, then ``$$`` -> ``$``.
    """
    return "".join(part if isinstance(part, str) else part[1] for part in _oslo_parts(text))


def _same_values(old, new, oslo):
    """Whether the file's values ``old`` give the service the values ``new`` (both as written)."""
    if not oslo:
        return old == new
    return len(old) == len(new) and all(
        _oslo_parts(a) == _oslo_parts(b) for a, b in zip(old, new)
    )


def check_oslo(oslo):
    if not isinstance(oslo, bool):
        raise CommandExecutionError(f"oslo must be True or False, not {oslo!r}")
    return oslo


def check_key(section, key):
    if (
        not key
        or key != key.strip()
        or key[0] in "#;["
        or any(char in key for char in "=:\n\r")
    ):
        raise CommandExecutionError(f"[{section}] {key!r}: invalid option name")
    return key


def check_section(section):
    section = "" if section is None else str(section)
    if "\n" in section or "\r" in section:
        raise CommandExecutionError(f"{section!r}: invalid section name")
    return section


def _quote(text):
    """Quote a value that oslo.config would otherwise strip or unquote."""
    if text != text.strip() or (len(text) > 0 and text[0] == text[-1] and text[0] in _QUOTES):
        return f'"{text}"'
    return text


def _option_lines(key, value, newline="\n"):
    first, *continuations = value.split("\n")
    lines = [f"{key} = {_quote(first)}".rstrip(" ") + newline]
    lines.extend(f"    {part}{newline}" for part in continuations)
    return lines


def display(values):
    """[] -> None, [v] -> v, [v, w] -> [v, w]."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return list(values)


# ---------------------------------------------------------------------------
# Parsing and editing
# ---------------------------------------------------------------------------


def _split_lines(text):
    """Split keeping line endings, so that untouched lines are written back as is."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _group(section):
    """The section as oslo.config looks it up: lowercase, except ``DEFAULT``."""
    return section if section == "DEFAULT" else section.lower()


def _section_name(line):
    if line.endswith("]") and len(line) > 2:
        return line[1:-1]
    return None


def _split_assignment(line):
    """``key = value`` / ``key: value`` -> (key, value), as oslo.config splits it."""
    positions = [pos for pos in (line.find("="), line.find(":")) if pos >= 0]
    if not positions:
        return None, None
    split = min(positions)
    key, value = line[:split].strip(), line[split + 1 :].strip()
    if value and value[0] == value[-1] and value[0] in _QUOTES:
        value = value[1:-1]
    return key or None, value


class _Option:
    """One occurrence of an option: lines ``start`` .. ``end - 1``."""

    __slots__ = ("start", "end", "parts")

    def __init__(self, index, value):
        self.start = index
        self.end = index + 1
        self.parts = [value]

    def continue_with(self, index, text):
        self.end = index + 1
        self.parts.append(text)

    @property
    def value(self):
        return "\n".join(self.parts)


class _Block:
    """A run of lines under one section header (``header`` is None for the preamble)."""

    __slots__ = ("name", "header", "last", "end")

    def __init__(self, name, header):
        self.name = name
        self.header = header
        self.last = -1 if header is None else header  # last non-blank line
        self.end = None  # index of the next header (or of the end of the file)


class IniDocument:
    """
    An oslo.config INI file: parsed once, edited in memory, rendered once.

    ``set``/``delete`` record the wanted values; ``changes`` and ``render``
    compare them to the parsed file, so repeated edits of one option simply
    override each other.
    """

    def __init__(self, text="", oslo=True):
        self.oslo = oslo
        self.lines = _split_lines(text)
        # new lines take the line ending of the file's first line
        self.newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"
        self._names = {}  # group -> spelling of its first header
        self._blocks = collections.OrderedDict()  # section -> [_Block]
        self._options = {}  # (section, key) -> [_Option]
        self._commented = {}  # (section, key) -> index of first "#key = ..."
        self._first_header = None
        self._wanted = collections.OrderedDict()  # (section, key) -> [value]
        self._removed = []  # sections removed whole, in file order
        self._parse()

    # -- parsing ---------------------------------------------------------

    def _open_block(self, name, header):
        self._names.setdefault(_group(name), name)
        name = _group(name)
        block = _Block(name, header)
        self._blocks.setdefault(name, []).append(block)
        if header is not None and self._first_header is None:
            self._first_header = header
        return block

    def _parse(self):
        block = self._open_block("", None)
        option = None
        for index, raw in enumerate(self.lines):
            line = raw.rstrip()
            if not line:
                option = None
                continue
            if line[0] in " \t":
                block.last = index
                if option is not None:
                    option.continue_with(index, line.lstrip())
                continue
            option = None
            name = _section_name(line) if line[0] == "[" else None
            if name is not None:
                block.end = index
                block = self._open_block(name, index)
                continue
            block.last = index
            if line[0] in "#;":
                self._note_commented_default(block.name, line, index)
            elif line[0] != "[":
                option = self._add_option(block.name, line, index)
        block.end = len(self.lines)

    def _note_commented_default(self, section, line, index):
        match = _COMMENTED_OPTION.match(line)
        if match:
            self._commented.setdefault((section, match.group(1)), index)

    def _add_option(self, section, line, index):
        key, value = _split_assignment(line)
        if key is None:
            return None
        option = _Option(index, value)
        self._options.setdefault((section, key), []).append(option)
        return option

    # -- reading ---------------------------------------------------------

    def sections(self):
        """Section names in file order; ``""`` first if keys precede any header."""
        names = [self._names[name] for name in self._blocks if name]
        if any(section == "" for section, _ in self._options):
            names.insert(0, "")
        return names

    def has_section(self, section):
        section = _group(section)
        return section in self._blocks and (section != "" or "" in self.sections())

    def values(self, section, key):
        """All values of ``key`` in ``section``, in file order ([] if absent)."""
        return [option.value for option in self._options.get((_group(section), key), ())]

    def options(self, section):
        """``{key: [value, ...]}`` of ``section``, keys in file order."""
        section = _group(section)
        found = sorted(
            (options[0].start, key)
            for (name, key), options in self._options.items()
            if name == section
        )
        return {key: self.values(section, key) for _, key in found}

    # -- editing ---------------------------------------------------------

    def set(self, section, key, values):
        self._names.setdefault(_group(section), section)
        self._wanted[(_group(section), key)] = list(values)

    def delete(self, section, key):
        self._wanted[(_group(section), key)] = []

    def remove_sections(self, having, keep=()):
        """
        Remove whole every section that sets option ``having``, except
        those named in ``keep`` (compared as oslo.config reads section
        names), ``[DEFAULT]`` and the lines before the first header: the
        sections of a list (cinder's backends) no longer in the list.
        Every line of the section goes, its comments too, except those
        right above the next header (see ``_removals``); a section may
        appear in more than one block: all go.
        """
        kept = {_group(name) for name in keep} | {"", "DEFAULT"}
        self._removed = [
            section
            for section in self._blocks
            if section not in kept and (section, having) in self._options
        ]

    def removed_sections(self):
        """[(section, {key: [old value, ...]})] of the sections removed whole."""
        return [(self._names[section], self.options(section)) for section in self._removed]

    def changes(self):
        """[(section, key, old values, new values)] for options that differ."""
        result = []
        for (section, key), new in self._wanted.items():
            if section in self._removed:
                continue
            old = self.values(section, key)
            if not _same_values(old, new, self.oslo):
                result.append((self._names.get(section, section), key, old, new))
        return result

    def render(self):
        replace, inserts, head, tail = {}, collections.defaultdict(list), [], {}
        for section, key, _, new in self.changes():
            lines = [line for value in new for line in _option_lines(key, value, self.newline)]
            section = _group(section)
            occurrences = self._options.get((section, key))
            if occurrences:
                first, *others = occurrences
                replace[first.start] = (first.end, lines)
                replace.update((other.start, (other.end, [])) for other in others)
            elif section in self._blocks:
                inserts[self._insert_position(section, key)].extend(lines)
            elif section == "DEFAULT" and self._first_header is not None:
                head.extend(lines)
            else:
                tail.setdefault(section, []).extend(lines)
        replace.update(self._removals())
        newline = self.newline
        if head:
            head = ["[DEFAULT]" + newline, *head, newline]
        pieces = self._splice(replace, inserts, head)
        for section, lines in tail.items():
            if pieces and pieces[-1].strip():
                pieces.append(newline)
            pieces.append(f"[{self._names.get(section, section)}]{newline}")
            pieces.extend(lines)
        return _join(pieces, newline)

    def _removals(self):
        """
        ``{start: (end, [])}``: the runs of lines of the removed sections,
        each from its header to the next one, less the comment lines right
        above that next header (they head it, not the removed section); a
        run ending the file takes the blank lines before it too, so the
        file does not end in blank lines.
        """
        drop = set()
        for section in self._removed:
            for block in self._blocks[section]:
                end = block.end
                if end < len(self.lines):
                    while end - 1 > block.header and self.lines[end - 1].lstrip().startswith(("#", ";")):
                        end -= 1
                drop.update(range(block.header, end))
        index = len(self.lines)
        while index - 1 in drop:
            index -= 1
        if index < len(self.lines):
            while index > 0 and not self.lines[index - 1].strip():
                index -= 1
                drop.add(index)
        runs = {}
        for index in sorted(drop):
            if index - 1 in drop:
                continue
            end = index
            while end in drop:
                end += 1
            runs[index] = (end, [])
        return runs

    def _insert_position(self, section, key):
        commented = self._commented.get((section, key))
        if commented is not None:
            return commented + 1
        return self._blocks[section][0].last + 1

    def _splice(self, replace, inserts, head):
        pieces, index, count = [], 0, len(self.lines)
        while True:
            pieces.extend(inserts.get(index, ()))
            if index == self._first_header:
                pieces.extend(head)
            if index >= count:
                return pieces
            if index in replace:
                index, lines = replace[index]
                pieces.extend(lines)
            else:
                pieces.append(self.lines[index])
                index += 1


def _join(pieces, newline="\n"):
    """Join lines, ending with a newline any line that is no longer the last."""
    for index in range(len(pieces) - 1):
        if not pieces[index].endswith("\n"):
            pieces[index] += newline
    return "".join(pieces)
