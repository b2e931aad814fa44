# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parser, writer and input checks of module_utils.aliases."""

from __future__ import annotations

import random

import pytest
from ansible_collections.listserv.mailstack.plugins.module_utils import aliases as al

# --- reading -------------------------------------------------------------------

ROUND_TRIP_FILES = {
    "empty": "",
    "no trailing newline": "root: alice",
    "debian default": "# See man 5 aliases for format\npostmaster:    root\n",
    "crlf": "root: alice\r\n# c\r\n\r\n",
    "stray continuation first": "  orphan\nroot: alice\n",
    "continuation after comment": "a: b\n# note\n  c\n\n  d\nz: y\n",
    "malformed": "no colon here\n  cont\n:empty name\n",
    "invalid utf-8": al.decode(b"# caf\xe9\nroot: al\xffice\n"),
    "whitespace only lines": "a: b\n   \n\t\nz: y\n",
}


@pytest.mark.parametrize("text", ROUND_TRIP_FILES.values(), ids=ROUND_TRIP_FILES.keys())
def test_parse_round_trip(text):
    blocks = al.parse(text)
    assert "".join(line for block in blocks for line in block.lines) == text
    assert al.edit(text).text == text


def test_decode_encode_keep_invalid_bytes():
    data = b"a: b\xff\xfe\n\xc3\x28\n"
    assert al.encode(al.decode(data)) == data


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        ("root: alice\n", [("root", ["alice"])]),
        ("root:alice,bob\n", [("root", ["alice", "bob"])]),
        ("Root : alice , bob ,\n", [("Root", ["alice", "bob"])]),
        ("a: b,\n  c,\n\tc2\n", [("a", ["b", "c", "c2"])]),
        # Postfix keeps joining continuation lines across comments and blank lines.
        ("a: b,\n# note\n\n  c\nz: y\n", [("a", ["b", "c"]), ("z", ["y"])]),
        ('"q:x": y\n', [("q:x", ["y"])]),
        ('"a\\"b": y\n', [('a"b', ["y"])]),
        ('cmd: "|/usr/bin/prog a, b", x\n', [("cmd", ['"|/usr/bin/prog a, b"', "x"])]),
        ('t: "|/bin/true"\n', [("t", ["|/bin/true"])]),
        ("t: |/bin/true\n", [("t", ["|/bin/true"])]),
        ("l: :include:/etc/postfix/mail_list/l\n", [("l", [":include:/etc/postfix/mail_list/l"])]),
        ('u: "john doe"@example.org\n', [("u", ['"john doe"@example.org'])]),
        ("empty:\n", [("empty", [])]),
        ("no colon\n:no name\n# c\n", []),
    ],
)
def test_parse_entries(text, entries):
    found = [(block.name, block.recipients()) for block in al.parse(text) if block.name is not None]
    assert found == entries


@pytest.mark.parametrize(
    ("line", "cls"),
    [
        ("a: b\n", al.HEAD),
        ("  b\n", al.CONTINUATION),
        ("\tb", al.CONTINUATION),
        ("# c\n", al.COMMENT),
        ("   # c\n", al.COMMENT),
        ("\n", al.BLANK),
        (" \t\r\n", al.BLANK),
        ("", al.BLANK),
    ],
)
def test_classify(line, cls):
    assert al.classify(line) == cls


def test_block_boundaries_leave_trailing_comments_outside():
    blocks = al.parse("a: b\n  c\n# about z\n\nz: y\n")
    assert [block.lines for block in blocks] == [["a: b\n", "  c\n"], ["# about z\n", "\n"], ["z: y\n"]]


# --- writing -------------------------------------------------------------------

EDIT_CASES = [
    {
        "id": "append keeps everything else",
        "text": "# head\npostmaster: root\n\n",
        "present": {"list": ["alice"]},
        "want": "# head\npostmaster: root\n\nlist: alice\n",
        "added": ["list"],
    },
    {
        "id": "append after a last line without newline",
        "text": "postmaster: root",
        "present": {"list": ["alice"]},
        "want": "postmaster: root\nlist: alice\n",
        "added": ["list"],
    },
    {
        "id": "update in place, continuation lines replaced, comments between them kept",
        "text": "a: 1\nroot: alice,\n# who\n  bob\nz: 2\n",
        "present": {"root": ["carol"]},
        "want": "a: 1\nroot: carol\n# who\nz: 2\n",
        "updated": ["root"],
    },
    {
        "id": "case-insensitive match, name written as given on change",
        "text": "Root: alice\n",
        "present": {"root": ["bob"]},
        "want": "root: bob\n",
        "updated": ["root"],
    },
    {
        "id": "case-insensitive match, unchanged when recipients are equal",
        "text": "ROOT:alice ,bob\n",
        "present": {"root": ["alice", "bob"]},
        "want": "ROOT:alice ,bob\n",
    },
    {
        "id": "quoted command in the file equals the bare one",
        "text": 'c: "|/usr/bin/prog arg"\n',
        "present": {"c": ['"|/usr/bin/prog arg"']},
        "want": 'c: "|/usr/bin/prog arg"\n',
    },
    {
        "id": "order of recipients matters",
        "text": "r: a, b\n",
        "present": {"r": ["b", "a"]},
        "want": "r: b, a\n",
        "updated": ["r"],
    },
    {
        "id": "remove with continuation lines, keep the comment after",
        "text": "a: 1\nold: x,\n  y\n# after\nz: 2\n",
        "absent": ["OLD"],
        "want": "a: 1\n# after\nz: 2\n",
        "removed": ["OLD"],
    },
    {
        "id": "absent for a missing name changes nothing",
        "text": "a: 1\n",
        "absent": ["b"],
        "want": "a: 1\n",
    },
    {
        "id": "duplicates: first updated, later ones removed",
        "text": "root: a\nx: 1\nRoot: b\n  c\nroot: d\n",
        "present": {"root": ["e"]},
        "want": "root: e\nx: 1\n",
        "updated": ["root"],
        "duplicates": ["root"],
    },
    {
        "id": "duplicates removed even when the first is right",
        "text": "root: a\nroot: b\n",
        "present": {"root": ["a"]},
        "want": "root: a\n",
        "duplicates": ["root"],
    },
    {
        "id": "absent removes every duplicate",
        "text": "root: a\nx: 1\nroot: b\n",
        "absent": ["root"],
        "want": "x: 1\n",
        "removed": ["root"],
    },
    {
        "id": "exclusive removes unlisted entries, keeps comments and malformed lines",
        "text": "# c\nkeep: a\ndrop: b\nno colon\nDrop2: c\n  d\n",
        "present": {"keep": ["a"], "new": ["n"]},
        "exclusive": True,
        "want": "# c\nkeep: a\nno colon\nnew: n\n",
        "added": ["new"],
        "removed": ["drop", "Drop2"],
    },
    {
        "id": "comments and blank lines byte for byte, crlf kept on untouched lines",
        "text": "# a\r\n\r\nx: 1\r\n   \n# b\n",
        "present": {"y": ["2"]},
        "want": "# a\r\n\r\nx: 1\r\n   \n# b\ny: 2\n",
        "added": ["y"],
    },
    {
        "id": "invalid utf-8 elsewhere survives",
        "text": al.decode(b"# \xff\nx: 1\n"),
        "present": {"x": ["2"]},
        "want": al.decode(b"# \xff\nx: 2\n"),
        "updated": ["x"],
    },
    {
        "id": "non-ascii names fold like postfix",
        "text": "ÖL: oel\n",
        "present": {"öl": ["oel"]},
        "want": "ÖL: oel\n",
    },
]


@pytest.mark.parametrize("case", EDIT_CASES, ids=[case["id"] for case in EDIT_CASES])
def test_edit(case):
    result = al.edit(case["text"], case.get("present"), case.get("absent", ()), case.get("exclusive", False))
    assert result.text == case["want"]
    assert result.added == case.get("added", [])
    assert result.removed == case.get("removed", [])
    assert result.updated == case.get("updated", [])
    assert result.duplicates == case.get("duplicates", [])


# --- property test: random files -------------------------------------------------

COMMENTS = ["# comment\n", "#\n", "   # indented comment\n", "\n", "  \t \n", "# caf\udce9 latin-1 byte\n"]


def _random_entry(rng, name):
    """Lines of one entry with random spacing, continuation lines and comments between them."""
    newline = rng.choice(["\n", "\n", "\r\n"])
    recipients = [f"user{rng.randrange(1000)}@example.org" for _count in range(rng.randint(1, 3))]
    lines = [f"{name}:{rng.choice(['', ' ', '   ', chr(9)])}{', '.join(recipients)}{newline}"]
    for _count in range(rng.choice([0, 0, 1, 2])):
        if rng.random() < 0.3:
            lines.append(rng.choice(COMMENTS))
        lines.append(f"{rng.choice(['  ', chr(9), '    '])}, extra{rng.randrange(1000)}@example.org{newline}")
    return lines


def _random_file(rng, count):
    """(parts, text): parts are ("entry", name, lines) or ("other", None, lines) in file order."""
    parts = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.65:
            name = rng.choice(["list", "List", "owner-list", "user", "Jörg", "a.b", "x+y"]) + str(i)
            parts.append(("entry", name, _random_entry(rng, name)))
        elif roll < 0.95:
            parts.append(("other", None, [rng.choice(COMMENTS)]))
        else:
            parts.append(("other", None, [f"malformed line {i}\n"]))
    if parts and rng.random() < 0.3:
        kind, name, lines = parts[-1]
        parts[-1] = (kind, name, [*lines[:-1], lines[-1].rstrip("\r\n")])
    return parts, "".join(line for _kind, _name, lines in parts for line in lines)


@pytest.mark.parametrize("seed", range(200))
def test_random_files_keep_unmanaged_lines_byte_for_byte(seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    parts, text = _random_file(rng, rng.randint(0, 40))
    assert "".join(line for block in al.parse(text) for line in block.lines) == text

    entries = [name for kind, name, _lines in parts if kind == "entry"]
    touched = rng.sample(entries, k=min(len(entries), rng.randint(0, 6)))
    update = touched[: len(touched) // 2]
    remove = touched[len(touched) // 2 :]
    present = {name: [f"new-{seed}@example.org"] for name in update}
    present[f"added{seed}"] = ["fresh@example.org"]

    result = al.edit(text, present, remove)

    want = []
    for _kind, name, lines in parts:
        if name in remove:
            continue
        if name in update:
            kept = [line for line in lines[1:] if al.classify(line) in (al.BLANK, al.COMMENT)]
            want.extend([al.render_entry(name, present[name]), *kept])
        else:
            want.extend(lines)
    want_text = "".join(want)
    if want_text and not want_text.endswith("\n"):
        want_text += "\n"
    want_text += f"added{seed}: fresh@example.org\n"
    assert result.text == want_text
    assert result.updated == update
    assert result.removed == remove
    assert result.added == [f"added{seed}"]
    # Applying the same state again changes nothing.
    assert al.edit(result.text, present, remove).text == result.text


@pytest.mark.parametrize("seed", range(50))
def test_random_files_unchanged_when_state_matches(seed):
    rng = random.Random(1000 + seed)  # noqa: S311 - reproducible test data
    _parts, text = _random_file(rng, rng.randint(1, 30))
    current = {}
    for block in al.parse(text):
        if block.name is not None and block.key not in {al.fold(name) for name in current}:
            current[block.name] = block.recipients()
    assert al.edit(text, current).text == text


# --- checking input --------------------------------------------------------------

NAME_ERRORS = [
    ("", 'invalid alias name "": is empty'),
    ("a b", 'invalid alias name "a b": contains whitespace'),
    ("a\tb", 'invalid alias name "a\\tb": contains the control character U+0009'),
    ("a\nb", 'invalid alias name "a\\nb": contains the control character U+000A'),
    ("a\x00b", 'invalid alias name "a\\u0000b": contains the control character U+0000'),
    ("a\x7f", 'invalid alias name "a\\u007f": contains the control character U+007F'),
    ("a\u200bb", 'invalid alias name "a\\u200bb": contains the invisible character U+200B'),
    ("a\u2028b", 'invalid alias name "a\\u2028b": contains the invisible character U+2028'),
    ("a\u00a0b", 'invalid alias name "a\\u00a0b": contains whitespace'),
    ("#root", "invalid alias name \"#root\": starts with '#', which would make the line a comment"),
    ("a:b", 'invalid alias name "a:b": contains a colon'),
    ("a,b", 'invalid alias name "a,b": contains a comma'),
    ('"a"', 'invalid alias name "\\"a\\"": contains a double quote'),
    ("a\\b", 'invalid alias name "a\\\\b": contains a backslash'),
    ("a@example.org", "invalid alias name \"a@example.org\": must be a local name, without '@' or '%'"),
    ("a%b", "invalid alias name \"a%b\": must be a local name, without '@' or '%'"),
    (5, "invalid alias name 5: must be a string, got int"),
]


@pytest.mark.parametrize(("name", "message"), NAME_ERRORS)
def test_check_name_errors(name, message):
    with pytest.raises(al.AliasError) as err:
        al.check_name(name)
    assert str(err.value) == message


@pytest.mark.parametrize(
    "name", ["root", "owner-list", "list-request", "o'brien", "a.b+c", "Jörg", "a#b", "MAILER-DAEMON"]
)
def test_check_name_accepts(name):
    assert al.check_name(name) == name


RECIPIENT_ERRORS = [
    ("", {}, 'invalid recipient "" of alias "a": is empty'),
    ("  \t", {}, 'invalid recipient "  \\t" of alias "a": is empty'),
    ("b\nc", {}, 'invalid recipient "b\\nc" of alias "a": contains the control character U+000A'),
    ("b\x00", {}, 'invalid recipient "b\\u0000" of alias "a": contains the control character U+0000'),
    ("b,c", {}, 'invalid recipient "b,c" of alias "a": contains a comma; give each recipient as its own list item'),
    ("b c", {}, 'invalid recipient "b c" of alias "a": contains whitespace outside double quotes'),
    ("b\u00a0c", {}, 'invalid recipient "b\\u00a0c" of alias "a": contains whitespace outside double quotes'),
    ('"b c@x', {}, 'invalid recipient "\\"b c@x" of alias "a": has an unbalanced double quote'),
    (
        ":inclde:/x",
        {},
        'invalid recipient ":inclde:/x" of alias "a": starts with \':\' but is not an :include:/path destination',
    ),
    (
        "|/usr/bin/prog",
        {},
        'invalid recipient "|/usr/bin/prog" of alias "a": is a command; set allow_commands=true to deliver to commands',
    ),
    (
        '"|/usr/bin/prog x"',
        {},
        'invalid recipient "\\"|/usr/bin/prog x\\"" of alias "a": is a command; '
        "set allow_commands=true to deliver to commands",
    ),
    ("| ", {"allow_commands": True}, 'invalid recipient "| " of alias "a": is an empty command'),
    (
        '|/bin/echo "x"',
        {"allow_commands": True},
        'invalid recipient "|/bin/echo \\"x\\"" of alias "a": contains a double quote or backslash, '
        "which aliases(5) quoting cannot carry; call a wrapper script",
    ),
    (
        "/var/log/mail.copy",
        {},
        'invalid recipient "/var/log/mail.copy" of alias "a": is a file; set allow_files=true to deliver to files',
    ),
    (":include:", {}, 'invalid recipient ":include:" of alias "a": has an empty :include: path'),
    (
        ":include:lists/a",
        {},
        'invalid recipient ":include:lists/a" of alias "a": has a relative :include: path; it must start with \'/\'',
    ),
    (None, {}, 'invalid recipient null of alias "a": must be a string, got NoneType'),
]


@pytest.mark.parametrize(("recipient", "options", "message"), RECIPIENT_ERRORS)
def test_check_recipient_errors(recipient, options, message):
    with pytest.raises(al.AliasError) as err:
        al.check_recipient("a", recipient, **options)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("recipient", "options", "canonical"),
    [
        ("alice", {}, "alice"),
        (" alice@example.org\t", {}, "alice@example.org"),
        ('"john doe"@example.org', {}, '"john doe"@example.org'),
        ("jörg@bücher.example", {}, "jörg@bücher.example"),
        ("|/bin/true", {"allow_commands": True}, "|/bin/true"),
        ('"|/bin/true"', {"allow_commands": True}, "|/bin/true"),
        ("|/usr/bin/prog arg, b", {"allow_commands": True}, '"|/usr/bin/prog arg, b"'),
        ('"|/usr/bin/prog arg"', {"allow_commands": True}, '"|/usr/bin/prog arg"'),
        ("/var/log/copy", {"allow_files": True}, "/var/log/copy"),
        ("/var/log/my copy", {"allow_files": True}, '"/var/log/my copy"'),
        (":include:/etc/postfix/mail_list/l", {}, ":include:/etc/postfix/mail_list/l"),
        (":include:/etc/lists/a b", {}, '":include:/etc/lists/a b"'),
    ],
)
def test_check_recipient_canonical(recipient, options, canonical):
    assert al.check_recipient("a", recipient, **options) == canonical


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"a": []}, 'alias "a" has no recipients: give at least one, or use state=absent'),
        ({"a": None}, 'alias "a" has no recipients: give at least one, or use state=absent'),
        ({"a": 5}, 'recipients of alias "a" must be a list of strings, got int'),
        (
            {"Root": ["x"], "root": ["y"]},
            'alias names "Root" and "root" are the same: Postfix compares alias names case-insensitively',
        ),
        ({"ok": ["x"], "b a d": ["y"]}, 'invalid alias name "b a d": contains whitespace'),
    ],
)
def test_check_aliases_errors(mapping, message):
    with pytest.raises(al.AliasError) as err:
        al.check_aliases(mapping)
    assert str(err.value) == message


def test_check_aliases_splits_strings_like_ansible():
    assert al.check_aliases({"a": "x, y"}) == {"a": ["x", "y"]}


def test_check_names_refuses_case_duplicates():
    with pytest.raises(al.AliasError, match="are the same"):
        al.check_names(["a", "A"])


@pytest.mark.parametrize(
    ("database_type", "files"),
    [
        ("hash", ["/e/a.db"]),
        ("btree", ["/e/a.db"]),
        ("lmdb", ["/e/a.lmdb"]),
        ("cdb", ["/e/a.cdb"]),
        ("dbm", ["/e/a.dir", "/e/a.pag"]),
        ("sdbm", ["/e/a.dir", "/e/a.pag"]),
    ],
)
def test_database_files(database_type, files):
    assert al.database_files("/e/a", database_type) == files


def test_database_files_unknown_type():
    with pytest.raises(al.AliasError) as err:
        al.database_files("/e/a", "texthash")
    assert str(err.value) == ('unsupported database_type "texthash": expected one of btree, cdb, dbm, hash, lmdb, sdbm')


@pytest.mark.parametrize(
    ("value", "shown"),
    [("a", '"a"'), ("a\nb", '"a\\nb"'), ("é", '"é"'), ("\u202e", '"\\u202e"'), ("\x85", '"\\u0085"')],
)
def test_show(value, shown):
    assert al.show(value) == shown


# --- size --------------------------------------------------------------------------


def test_100k_aliases_in_one_edit():
    """Parse, check and edit with 100,000 entries (its speed is measured in benchmarks/, not asserted here)."""
    text = "".join(f"user{i}: old{i}@example.org\n" for i in range(100_000))
    wanted = {f"user{i}": [f"new{i}@example.org"] for i in range(0, 100_000, 2)}
    wanted.update({f"fresh{i}": ["x@example.org"] for i in range(10_000)})
    checked = al.check_aliases(wanted)
    result = al.edit(text, checked, exclusive=True)
    assert len(result.updated) == 50_000
    assert len(result.added) == 10_000
    assert len(result.removed) == 50_000
    lines = result.text.splitlines()
    assert len(lines) == 60_000
    assert lines[0] == "user0: new0@example.org"
    assert lines[-1] == "fresh9999: x@example.org"


def test_read_entries_keeps_order_and_joins_continuations():
    text = '# c\npostmaster: root\n\nops: a@x,\n  b@x,\n# between\n  c@x\nrun: "|/bin/x y"\n'
    assert al.read_entries(text) == {"postmaster": ["root"], "ops": ["a@x", "b@x", "c@x"], "run": ['"|/bin/x y"']}


def test_read_entries_of_nothing():
    assert al.read_entries("") == {}
    assert al.read_entries("# only a comment\n\n") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: b\nno colon here\n", 'src, line 2: not a name: recipients entry: "no colon here"'),
        ("\tindented: x\n", 'src, line 1: a continuation line without an entry: "\\tindented: x"'),
        ("a: b\nb: c\n\nA: d\n", 'src, line 4: alias "A" is given twice (line 1: "a")'),
        (": nameless\n", 'src, line 1: not a name: recipients entry: ": nameless"'),
    ],
)
def test_read_entries_errors_name_the_line(text, message):
    with pytest.raises(al.AliasError) as raised:
        al.read_entries(text, "src")
    assert str(raised.value) == message
