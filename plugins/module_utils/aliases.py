# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read, check and edit aliases(5) files without disturbing what is not managed.

Pure Python (no Ansible imports), so the parser and the checks are unit-tested
directly and stay reusable.

How a file is read, following Postfix's readlline(3) and postalias(1):

- A logical entry starts with a line whose first character is neither
  whitespace nor '#'. Later lines that start with whitespace continue it, even
  after comment or blank lines in between (Postfix skips those while joining).
  Comment and blank lines after the last continuation line belong to no entry.
- The name ends at the first ':' (a name in double quotes may contain one);
  names are compared after Unicode case folding, as postalias folds keys to
  lower case (with smtputf8_enable=yes, Postfix 3 folds UTF-8 keys the same
  way). Names are written exactly as given.
- Recipients are separated by commas outside double quotes.

Editing keeps every line that is not touched byte for byte (the text is decoded
with 'surrogateescape', so even invalid UTF-8 survives): a changed entry is
rewritten in place as one line, keeping comment lines that sat between its
continuation lines; a removed entry disappears with its continuation lines; new
entries are appended at the end. When a name occurs more than once, Postfix
warns and uses the first entry: the first is the one updated, later duplicates
are removed and reported.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import namedtuple

ENCODING = "utf-8"
# Whitespace as Postfix's ISSPACE() sees it.
WHITESPACE = " \t\r\n\v\f"
INCLUDE = ":include:"

# Database files written by `postalias <type>:<path>`, by type.
DATABASE_SUFFIXES = {
    "btree": (".db",),
    "cdb": (".cdb",),
    "dbm": (".dir", ".pag"),
    "hash": (".db",),
    "lmdb": (".lmdb",),
    "sdbm": (".dir", ".pag"),
}

# Line classes.
HEAD, CONTINUATION, BLANK, COMMENT = "head", "continuation", "blank", "comment"

# Fast paths: names and addresses that need no character-by-character check.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.+=&'!$*/?^`{|}~-]+")
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9_.+=&'!$*/?^`{|}~%@-]+")
# Characters that never need quoting in a |command, /file or :include: destination.
_UNQUOTED_DESTINATION = re.compile(r"[A-Za-z0-9_./+=|~%-]*")
_QUOTED_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BACKSLASH_ESCAPE = re.compile(r"\\(.)", re.DOTALL)

# Longest name and recipient accepted, in bytes of UTF-8. A name is a key of
# the database: LMDB, Postfix's recommended type, stores keys of at most 511
# bytes, and a local part longer than 64 cannot come in over SMTP (RFC 5321).
# A recipient longer than PATH_MAX is no address, file or :include: path.
MAX_NAME_BYTES = 255
MAX_RECIPIENT_BYTES = 4096
# How much of a value longer than that a message shows.
SHOWN_CHARACTERS = 32

EditResult = namedtuple("EditResult", "text added removed updated duplicates")


class AliasError(ValueError):
    """Bad input; the message names the offending value."""


def show(value):
    """A JSON-style quoted form of value in which nothing is invisible.

    Control characters, line separators, non-breaking and other unusual spaces
    appear as escapes (\\n, \\u0000, \\u00a0); printable non-ASCII stays as is.
    """
    text = json.dumps(value, ensure_ascii=False)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def show_long(value):
    """show() of a long string's beginning, followed by "..." and its length in bytes."""
    if len(value) <= SHOWN_CHARACTERS:
        return show(value)
    return f"{show(value[:SHOWN_CHARACTERS])}... ({byte_length(value)} bytes)"


def byte_length(text):
    return len(text.encode(ENCODING, "surrogateescape"))


def decode(data):
    """Text of a file's bytes; undecodable bytes survive a round trip through encode()."""
    return data.decode(ENCODING, "surrogateescape")


def encode(text):
    """Bytes of text produced by decode() and the edits here."""
    return text.encode(ENCODING, "surrogateescape")


def fold(name):
    """The key under which Postfix finds an alias name."""
    return name.casefold()


def database_files(path, database_type):
    """Files that `postalias <database_type>:<path>` writes; AliasError for an unknown type."""
    try:
        return [path + suffix for suffix in DATABASE_SUFFIXES[database_type]]
    except KeyError:
        raise AliasError(
            f"unsupported database_type {show(database_type)}: expected one of {', '.join(sorted(DATABASE_SUFFIXES))}"
        ) from None


# --- reading ---------------------------------------------------------------


def classify(line):
    """Class of one physical line (with or without its newline)."""
    rest = line.lstrip(WHITESPACE)
    if not rest:
        return BLANK
    if rest[0] == "#":
        return COMMENT
    return HEAD if len(rest) == len(line) else CONTINUATION


def split_lines(text):
    """Physical lines, each keeping its newline (the last one may lack it)."""
    lines = text.split("\n")
    last = lines.pop()
    result = [line + "\n" for line in lines]
    if last:
        result.append(last)
    return result


class Block:
    """Consecutive lines of a file: one alias entry, or lines that belong to none.

    `name` is None for comments, blank lines, stray continuation lines and
    lines without a name:value pair.
    """

    __slots__ = ("classes", "key", "lines", "name", "value")

    def __init__(self, lines, classes, name=None, value=None):
        self.lines = lines
        self.classes = classes
        self.name = name
        self.value = value
        self.key = None if name is None else fold(name)

    def recipients(self):
        """The entry's recipients in canonical form (see canonical())."""
        return [canonical(token) for token in split_recipients(self.value)]

    def comment_lines(self):
        """Comment and blank lines between the entry's continuation lines."""
        return [line for line, cls in zip(self.lines, self.classes, strict=True) if cls in (BLANK, COMMENT)]


def _quoted_end(text, start):
    """Index just after the double-quoted string starting at text[start], or -1."""
    match = _QUOTED_STRING.match(text, start)
    return match.end() if match else -1


def _unquote(quoted):
    return _BACKSLASH_ESCAPE.sub(r"\1", quoted[1:-1])


def split_entry(logical):
    """(name, value) of a logical line, or None when it has no name:value form."""
    if logical.startswith('"'):
        end = _quoted_end(logical, 0)
        if end > 0:
            rest = logical[end:].lstrip(WHITESPACE)
            if rest.startswith(":"):
                name = _unquote(logical[:end])
                return (name, rest[1:]) if name else None
    colon = logical.find(":")
    if colon < 0:
        return None
    name = logical[:colon].strip(WHITESPACE)
    if not name:
        return None
    return name, logical[colon + 1 :]


def _make_block(lines, classes):
    if classes[0] != HEAD:
        return Block(lines, classes)
    if len(lines) == 1:
        logical = lines[0].rstrip("\n")
    else:
        logical = "".join(
            line.rstrip("\n") for line, cls in zip(lines, classes, strict=True) if cls in (HEAD, CONTINUATION)
        )
    entry = split_entry(logical)
    if entry is None:
        return Block(lines, classes)
    return Block(lines, classes, entry[0], entry[1])


def parse(text):
    """Blocks of an aliases file; joining their lines gives back text exactly."""
    lines = split_lines(text)
    classes = [classify(line) for line in lines]
    blocks = []
    count = len(lines)
    i = 0
    while i < count:
        if classes[i] == HEAD:
            # The entry runs to its last continuation line before the next head.
            end = i + 1
            j = i + 1
            while j < count and classes[j] != HEAD:
                if classes[j] == CONTINUATION:
                    end = j + 1
                j += 1
        else:
            # Lines before the first head, or between an entry and the next head.
            end = i + 1
            while end < count and classes[end] != HEAD:
                end += 1
        blocks.append(_make_block(lines[i:end], classes[i:end]))
        i = end
    return blocks


def read_entries(text, source="the file"):
    """{name: [recipient tokens]} of the entries of an aliases(5) text, in file order.

    For input files (the module's src): comments and blank lines are skipped;
    a line that is no name:value entry, a stray continuation line and a name
    given twice (compared as Postfix does, case-insensitively) are refused with
    AliasError naming the line. The recipients are returned as written, for
    check_aliases().
    """
    entries = {}
    first = {}
    line_number = 1
    for block in parse(text):
        here = line_number
        line_number += len(block.lines)
        if block.name is None:
            for offset, (line, cls) in enumerate(zip(block.lines, block.classes, strict=True)):
                if cls in (HEAD, CONTINUATION):
                    kind = "not a name: recipients entry" if cls == HEAD else "a continuation line without an entry"
                    shown = show_long(line.rstrip("\n"))
                    raise AliasError(f"{source}, line {here + offset}: {kind}: {shown}")
            continue
        if block.key in first:
            line, name = first[block.key]
            raise AliasError(
                f"{source}, line {here}: alias {show(block.name)} is given twice (line {line}: {show(name)})"
            )
        first[block.key] = (here, block.name)
        entries[block.name] = split_recipients(block.value)
    return entries


def split_recipients(value):
    """Recipient tokens of an entry's value: split on commas outside double quotes."""
    if '"' not in value and "\\" not in value:
        tokens = value.split(",")
    else:
        tokens = []
        start = 0
        i = 0
        while i < len(value):
            ch = value[i]
            if ch == '"':
                end = _quoted_end(value, i)
                if end < 0:
                    break  # unbalanced quote: the rest is one token
                i = end
                continue
            if ch == "\\":
                i += 2
                continue
            if ch == ",":
                tokens.append(value[start:i])
                start = i + 1
            i += 1
        tokens.append(value[start:])
    return [token for token in (t.strip(WHITESPACE) for t in tokens) if token]


# --- destinations ------------------------------------------------------------


def destination_kind(text):
    """'command', 'file', 'include' or 'address' for an unquoted destination."""
    if text.startswith("|"):
        return "command"
    if text.startswith("/"):
        return "file"
    if text[: len(INCLUDE)].lower() == INCLUDE:
        return "include"
    return "address"


def _render_special(destination):
    """A |command, /file or :include: destination, quoted when it needs it."""
    body = destination[len(INCLUDE) :] if destination_kind(destination) == "include" else destination
    if _UNQUOTED_DESTINATION.fullmatch(body):
        return destination
    return f'"{destination}"'


def _unwrap(token):
    """The destination inside "..." when token is a quoted |command, /file or :include:."""
    if len(token) >= 2 and token[0] == '"' and token[-1] == '"':
        inner = token[1:-1]
        if '"' not in inner and "\\" not in inner and destination_kind(inner) != "address":
            return inner
    return None


def canonical(token):
    """The form in which a recipient is written and compared.

    |command, /file and :include: destinations are quoted exactly when they
    contain characters other than letters, digits and _ . / + = | ~ % -, so
    `|/usr/bin/prog arg` and `"|/usr/bin/prog arg"` are the same recipient, as
    are `|/bin/true` and `"|/bin/true"`. Addresses are kept as written.
    """
    inner = _unwrap(token)
    if inner is not None:
        return _render_special(inner)
    if destination_kind(token) != "address":
        return _render_special(token)
    return token


# --- checking input ----------------------------------------------------------


def _bad_character(value):
    """Message part for the first control or invisible character in value, or None."""
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc":
            return f"contains the control character U+{ord(ch):04X}"
        if category in ("Cf", "Cs", "Zl", "Zp"):
            return f"contains the invisible character U+{ord(ch):04X}"
    return None


# Checks of a name after the empty and control-character checks, in order.
_NAME_RULES = (
    (lambda name: any(ch.isspace() for ch in name), "contains whitespace"),
    (lambda name: name.startswith("#"), "starts with '#', which would make the line a comment"),
    (lambda name: ":" in name, "contains a colon"),
    (lambda name: "," in name, "contains a comma"),
    (lambda name: '"' in name, "contains a double quote"),
    (lambda name: "\\" in name, "contains a backslash"),
    (lambda name: "@" in name or "%" in name, "must be a local name, without '@' or '%'"),
)


def _name_problem(name):
    if not name:
        return "is empty"
    problem = _bad_character(name)
    if not problem:
        problem = next((message for test, message in _NAME_RULES if test(name)), None)
    return problem


def check_name(name):
    """name if it can be an alias name; AliasError naming it otherwise.

    Non-ASCII (UTF-8) names are accepted: Postfix 3 with smtputf8_enable=yes
    (the default from compatibility level 1 on) stores and finds them. Apostrophes
    are accepted (o'brien); double quotes, backslashes, whitespace, control and
    invisible characters, ':', ',', a leading '#', '@' and '%' are not.
    """
    if not isinstance(name, str):
        raise AliasError(f"invalid alias name {show(name)}: must be a string, got {type(name).__name__}")
    if byte_length(name) > MAX_NAME_BYTES:
        raise AliasError(f"invalid alias name {show_long(name)}: longer than {MAX_NAME_BYTES} bytes")
    if _PLAIN_NAME.fullmatch(name) and not name.startswith("#"):
        return name
    problem = _name_problem(name)
    if problem:
        raise AliasError(f"invalid alias name {show(name)}: {problem}")
    return name


def _command_problem(command, allow_commands):
    if not allow_commands:
        return "is a command; set allow_commands=true to deliver to commands"
    if not command[1:].strip(WHITESPACE):
        return "is an empty command"
    return None


def _include_problem(destination):
    path = destination[len(INCLUDE) :]
    if not path:
        return "has an empty :include: path"
    if not path.startswith("/"):
        return "has a relative :include: path; it must start with '/'"
    return None


def _special_problem(kind, destination, allow_commands, allow_files):
    if kind == "command":
        problem = _command_problem(destination, allow_commands)
    elif kind == "file":
        problem = None if allow_files else "is a file; set allow_files=true to deliver to files"
    else:
        problem = _include_problem(destination)
    if not problem and ('"' in destination or "\\" in destination):
        problem = "contains a double quote or backslash, which aliases(5) quoting cannot carry; call a wrapper script"
    return problem


def _address_problem(address):
    if "," in address:
        return "contains a comma; give each recipient as its own list item"
    outside = _QUOTED_STRING.sub("", address)
    if '"' in outside:
        return "has an unbalanced double quote"
    if any(ch.isspace() for ch in outside):
        return "contains whitespace outside double quotes"
    if outside.startswith(":"):
        return "starts with ':' but is not an :include:/path destination"
    return None


def check_recipient(alias, recipient, allow_commands=False, allow_files=False):
    """Canonical form of one recipient of alias; AliasError naming it when it is refused.

    Surrounding spaces and tabs are dropped (aliases(5) ignores them). A
    |command or /file destination may be given with or without the double
    quotes it needs; :include: paths must be absolute. Addresses may contain
    whitespace only inside double quotes ("john doe"@example.org) and never a
    comma. Non-ASCII (SMTPUTF8) addresses are accepted.
    """
    if not isinstance(recipient, str):
        raise AliasError(
            f"invalid recipient {show(recipient)} of alias {show(alias)}: must be a string, "
            f"got {type(recipient).__name__}"
        )
    value = recipient.strip(" \t")
    if byte_length(value) > MAX_RECIPIENT_BYTES:
        raise AliasError(
            f"invalid recipient {show_long(recipient)} of alias {show(alias)}: longer than {MAX_RECIPIENT_BYTES} bytes"
        )
    if _PLAIN_ADDRESS.fullmatch(value) and value[0] not in "|/":
        return value
    problem = "is empty" if not value else _bad_character(value)
    if not problem:
        inner = _unwrap(value)
        destination = value if inner is None else inner
        kind = destination_kind(destination)
        if kind == "address":
            problem = _address_problem(value)
        else:
            problem = _special_problem(kind, destination, allow_commands, allow_files)
        if not problem:
            return canonical(destination)
    raise AliasError(f"invalid recipient {show(recipient)} of alias {show(alias)}: {problem}")


def recipient_list(alias, recipients):
    """recipients as a list: a string is split on commas, as Ansible does for list options."""
    if isinstance(recipients, str):
        return recipients.split(",")
    if isinstance(recipients, (list, tuple)):
        return list(recipients)
    if recipients is None:
        return []
    raise AliasError(f"recipients of alias {show(alias)} must be a list of strings, got {type(recipients).__name__}")


def check_aliases(aliases, allow_commands=False, allow_files=False):
    """{name: [canonical recipients]} of a {name: recipients} mapping; AliasError on the first problem."""
    checked = {}
    seen = {}
    for name, recipients in aliases.items():
        _check_unique(check_name(name), seen)
        items = recipient_list(name, recipients)
        if not items:
            raise AliasError(f"alias {show(name)} has no recipients: give at least one, or use state=absent")
        checked[name] = [check_recipient(name, item, allow_commands, allow_files) for item in items]
    return checked


def check_names(names):
    """names as a list once each is a valid alias name; AliasError otherwise."""
    seen = {}
    for name in names:
        _check_unique(check_name(name), seen)
    return list(names)


def _check_unique(name, seen):
    key = fold(name)
    if key in seen:
        raise AliasError(
            f"alias names {show(seen[key])} and {show(name)} are the same: Postfix compares alias names "
            "case-insensitively"
        )
    seen[key] = name


# --- editing -----------------------------------------------------------------


def render_entry(name, recipients):
    """One entry line; recipients must be canonical (see check_recipient)."""
    return f"{name}: {', '.join(recipients)}\n"


def _index(blocks):
    """{folded name: [positions of its entries in file order]}."""
    index = {}
    for position, block in enumerate(blocks):
        if block.key is not None:
            index.setdefault(block.key, []).append(position)
    return index


def _apply_present(blocks, index, present):
    """Update or queue entries of present; returns (added, updated, duplicates, appended lines)."""
    added, updated, duplicates, appended = [], [], [], []
    for name, recipients in present.items():
        positions = index.get(fold(name))
        if not positions:
            appended.append(render_entry(name, recipients))
            added.append(name)
            continue
        first = blocks[positions[0]]
        if first.recipients() != recipients:
            lines = [render_entry(name, recipients), *first.comment_lines()]
            blocks[positions[0]] = Block(lines, [HEAD] + [COMMENT] * (len(lines) - 1), name, "")
            updated.append(name)
        if len(positions) > 1:
            for position in positions[1:]:
                blocks[position] = None
            duplicates.append(name)
    return added, updated, duplicates, appended


def _remove(blocks, index, keys):
    """Remove every entry of each folded key; returns the keys that had entries."""
    found = []
    for key in keys:
        positions = index.get(key)
        if positions and blocks[positions[0]] is not None:
            found.append(key)
            for position in positions:
                blocks[position] = None
    return found


def edit(text, present=None, absent=(), exclusive=False):
    """Apply the wanted state to the text of an aliases file.

    present: {name: [canonical recipients]} to add or update; absent: names to
    remove; exclusive: also remove every entry whose name is not in present.
    Returns EditResult(text, added, removed, updated, duplicates): the new text
    and lists of names (as given, or as found in the file for entries removed by
    exclusive). duplicates lists names of which later entries were removed
    because an earlier entry of the same name exists.
    """
    present = present or {}
    blocks = parse(text)
    index = _index(blocks)
    added, updated, duplicates, appended = _apply_present(blocks, index, present)

    names = {fold(name): name for name in absent}
    removed = [names[key] for key in _remove(blocks, index, names)]
    if exclusive:
        wanted = {fold(name) for name in present}
        unlisted = [key for key in index if key not in wanted]
        first_names = {key: blocks[index[key][0]].name for key in unlisted}
        removed += [first_names[key] for key in _remove(blocks, index, unlisted)]

    new_text = "".join(line for block in blocks if block is not None for line in block.lines)
    if appended:
        if new_text and not new_text.endswith("\n"):
            new_text += "\n"
        new_text += "".join(appended)
    return EditResult(new_text, added, removed, updated, duplicates)
