# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The postalias module with its commands mocked: real files in tmp_path, fake postconf/postalias."""

from __future__ import annotations

import hashlib
import os
import time

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.modules import postalias
from module_harness import ExitJson, FailJson, patch_exits


class FakeNode:
    """Which tools exist and what they print; records every command line."""

    def __init__(self):
        self.tools = {"postconf", "postalias"}
        self.default_database_type = "hash"
        # What postconf -m lists: Debian's postfix without postfix-cdb and postfix-lmdb.
        self.map_types = ["btree", "cidr", "hash", "regexp", "texthash", "unix"]
        self.postalias_rc = 0
        self.postalias_stderr = ""
        self.commands = []
        self.warnings = []

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if name in self.tools:
            return f"/usr/sbin/{name}"
        if required:
            raise FailJson({"failed": True, "msg": f"Failed to find required executable {name}"})
        return None

    def run_command(self, argv, **_kwargs):
        self.commands.append(argv)
        if argv == ["/usr/sbin/postconf", "-m"]:
            return 0, "".join(f"{name}\n" for name in self.map_types), ""
        if argv[0] == "/usr/sbin/postconf":
            return 0, f"{self.default_database_type}\n", ""
        if argv[0] == "/usr/sbin/postalias":
            if self.postalias_rc == 0:
                map_type, path = argv[1].split(":", 1)
                for name in postalias.aliasfile.database_files(path, map_type):
                    with open(name, "w", encoding="ascii") as handle:
                        handle.write("db")
            return self.postalias_rc, "", self.postalias_stderr
        raise AssertionError(f"unexpected command {argv}")

    @property
    def rebuilds(self):
        return [argv for argv in self.commands if argv[0].endswith("postalias")]


@pytest.fixture
def node(monkeypatch):
    fake = FakeNode()

    patch_exits(monkeypatch)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", fake.get_bin_path)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", fake.run_command)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda _module, warning: fake.warnings.append(warning))
    return fake


def run_module(args, check_mode=False, diff=False):
    args = dict(args)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    with patch_module_args(args), pytest.raises(ExitJson) as raised:
        postalias.main()
    return raised.value.result


def checksum(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def write(path, text, age=0):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    if age:
        stamp = time.time() - age
        os.utime(path, (stamp, stamp))


@pytest.fixture
def aliases_file(tmp_path):
    path = tmp_path / "aliases"
    write(path, "# Local aliases\npostmaster: root\n\nroot: alice\n", age=100)
    write(str(path) + ".db", "db", age=50)
    return str(path)


def test_add_entry_writes_and_rebuilds_once(node, aliases_file):
    result = run_module({"path": aliases_file, "name": "list", "recipients": ["bob", "carol"]})
    assert result["changed"] is True
    assert result["added"] == ["list"]
    assert result["rebuilt"] is True
    assert result["database"] == aliases_file + ".db"
    assert read(aliases_file) == "# Local aliases\npostmaster: root\n\nroot: alice\nlist: bob, carol\n"
    assert node.rebuilds == [["/usr/sbin/postalias", f"hash:{aliases_file}"]]
    assert ["/usr/sbin/postconf", "-h", "default_database_type"] in node.commands
    assert "diff" not in result


def test_second_run_is_idempotent(node, aliases_file):
    run_module({"path": aliases_file, "name": "list", "recipients": ["bob"]})
    node.commands.clear()
    result = run_module({"path": aliases_file, "name": "list", "recipients": ["bob"]})
    assert result["changed"] is False
    assert result["rebuilt"] is False
    assert node.rebuilds == []


def test_check_mode_predicts_without_writing_or_running_postalias(node, aliases_file):
    before = checksum(aliases_file)
    result = run_module({"path": aliases_file, "name": "list", "recipients": ["bob"]}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["added"] == ["list"]
    assert result["rebuilt"] is True
    assert result["diff"]["after"].endswith("list: bob\n")
    assert checksum(aliases_file) == before
    assert node.rebuilds == []
    assert not [name for name in os.listdir(os.path.dirname(aliases_file)) if name.endswith(".tmp")]


def test_check_mode_predicts_rebuild_of_stale_database(node, aliases_file):
    os.utime(aliases_file + ".db", (time.time() - 500, time.time() - 500))
    result = run_module({"path": aliases_file, "name": "root", "recipients": ["alice"]}, check_mode=True)
    assert result["changed"] is True
    assert result["rebuilt"] is True
    assert node.rebuilds == []


def test_diff_has_before_after_and_headers(node, aliases_file):
    result = run_module({"path": aliases_file, "name": "root", "recipients": ["bob"]}, diff=True)
    assert result["diff"] == {
        "before": "# Local aliases\npostmaster: root\n\nroot: alice\n",
        "after": "# Local aliases\npostmaster: root\n\nroot: bob\n",
        "before_header": aliases_file,
        "after_header": aliases_file,
    }
    assert result["updated"] == ["root"]


@pytest.mark.parametrize(
    ("db_age", "db_exists", "rebuilt"),
    [(50, True, False), (200, True, True), (None, False, True)],
    ids=["fresh database", "database older than source", "database missing"],
)
def test_rebuild_decision_by_database_mtime(node, aliases_file, db_age, db_exists, rebuilt):
    if db_exists:
        stamp = time.time() - db_age
        os.utime(aliases_file + ".db", (stamp, stamp))
    else:
        os.unlink(aliases_file + ".db")
    result = run_module({"path": aliases_file, "name": "root", "recipients": ["alice"]})
    assert result["changed"] is rebuilt
    assert result["rebuilt"] is rebuilt
    assert result["added"] == result["updated"] == result["removed"] == []
    assert len(node.rebuilds) == int(rebuilt)


@pytest.mark.parametrize(
    ("source_ns", "database_ns", "rebuilt"),
    [(900_000_000, 895_000_000, False), (100_000_000, -1_000_000, True)],
    ids=["database 5 ms older in the same second", "database older by a second boundary"],
)
def test_database_age_is_judged_in_whole_seconds_as_postfix_does(node, aliases_file, source_ns, database_ns, rebuilt):
    # atomic_move stamps the source with the system clock; postalias's file may get the kernel's coarser clock
    second = (int(time.time()) - 10) * 1_000_000_000
    os.utime(aliases_file, ns=(second + source_ns, second + source_ns))
    os.utime(aliases_file + ".db", ns=(second + database_ns, second + database_ns))
    result = run_module({"path": aliases_file, "name": "root", "recipients": ["alice"]})
    assert result["changed"] is rebuilt
    assert len(node.rebuilds) == int(rebuilt)


def test_rebuild_false_never_runs_postalias(node, aliases_file):
    os.unlink(aliases_file + ".db")
    result = run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "rebuild": False})
    assert result["changed"] is True
    assert result["rebuilt"] is False
    assert node.rebuilds == []


@pytest.mark.parametrize(
    ("database_type", "files"),
    [("hash", [".db"]), ("btree", [".db"]), ("lmdb", [".lmdb"]), ("cdb", [".cdb"]), ("dbm", [".dir", ".pag"])],
)
def test_database_type_decides_the_file(node, aliases_file, database_type, files):
    node.map_types.append(database_type)
    result = run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "database_type": database_type})
    assert result["database"] == aliases_file + files[0]
    assert node.rebuilds == [["/usr/sbin/postalias", f"{database_type}:{aliases_file}"]]
    assert ["/usr/sbin/postconf", "-h", "default_database_type"] not in node.commands
    node.commands.clear()
    again = run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "database_type": database_type})
    assert again["changed"] is False


def test_dbm_with_one_file_missing_is_stale(node, aliases_file):
    node.map_types.append("sdbm")
    run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "database_type": "sdbm"})
    os.unlink(aliases_file + ".pag")
    result = run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "database_type": "sdbm"})
    assert result["rebuilt"] is True


def test_default_database_type_from_postconf(node, aliases_file):
    node.default_database_type = "lmdb"
    result = run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert result["database"] == aliases_file + ".lmdb"
    assert result["database_type"] == "lmdb"


def test_without_postconf_the_type_is_hash(node, aliases_file):
    node.tools.discard("postconf")
    result = run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert result["database_type"] == "hash"
    assert node.rebuilds == [["/usr/sbin/postalias", f"hash:{aliases_file}"]]


def test_postalias_warnings_become_task_warnings(node, aliases_file):
    node.postalias_stderr = "postalias: warning: aliases, line 9: need name:value pair\n"
    run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert node.warnings == ["postalias: warning: aliases, line 9: need name:value pair"]


def test_postalias_failure_fails_the_task(node, aliases_file):
    node.postalias_rc = 1
    node.postalias_stderr = "postalias: fatal: open database x.db: Permission denied\n"
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert failed.value.result["msg"] == (
        f"/usr/sbin/postalias hash:{aliases_file} failed with exit code 1: "
        "postalias: fatal: open database x.db: Permission denied"
    )


def test_aliases_dict_exclusive(node, aliases_file):
    result = run_module(
        {
            "path": aliases_file,
            "aliases": {"postmaster": ["root"], "staff": [":include:/etc/lists/staff"]},
            "exclusive": True,
        }
    )
    assert result["removed"] == ["root"]
    assert result["added"] == ["staff"]
    assert read(aliases_file) == "# Local aliases\npostmaster: root\n\nstaff: :include:/etc/lists/staff\n"


def test_absent_with_aliases_removes_keys(node, aliases_file):
    result = run_module({"path": aliases_file, "aliases": {"ROOT": None, "nothere": []}, "state": "absent"})
    assert result["removed"] == ["ROOT"]
    assert read(aliases_file) == "# Local aliases\npostmaster: root\n\n"


def test_absent_on_missing_file_changes_nothing(node, tmp_path):
    path = str(tmp_path / "missing")
    result = run_module({"path": path, "name": "x", "state": "absent"})
    assert result["changed"] is False
    assert not os.path.exists(path)
    assert node.rebuilds == []


def test_create_new_file(node, tmp_path):
    path = str(tmp_path / "new")
    result = run_module({"path": path, "name": "x", "recipients": ["y"], "mode": "0640"})
    assert result["changed"] is True
    assert read(path) == "x: y\n"
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert result["rebuilt"] is True


def test_check_mode_on_missing_file_creates_nothing(node, tmp_path):
    path = str(tmp_path / "new")
    result = run_module({"path": path, "name": "x", "recipients": ["y"]}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["rebuilt"] is True
    assert result["diff"]["before"] == ""
    assert result["diff"]["before_header"] == f"{path} (absent)"
    assert not os.path.exists(path)


def test_mode_and_owner_of_existing_file_kept(node, aliases_file):
    os.chmod(aliases_file, 0o604)
    run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert os.stat(aliases_file).st_mode & 0o777 == 0o604


def test_attributes_applied_when_content_unchanged(node, aliases_file):
    result = run_module({"path": aliases_file, "name": "root", "recipients": ["alice"], "mode": "0600"})
    assert result["changed"] is True
    assert result["rebuilt"] is False
    assert os.stat(aliases_file).st_mode & 0o777 == 0o600


def test_backup(node, aliases_file):
    result = run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "backup": True})
    assert read(result["backup_file"]) == "# Local aliases\npostmaster: root\n\nroot: alice\n"
    unchanged = run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "backup": True})
    assert "backup_file" not in unchanged


def test_duplicates_reported_and_removed(node, aliases_file):
    write(aliases_file, "root: a\nRoot: b\n")
    result = run_module({"path": aliases_file, "name": "root", "recipients": ["a"]})
    assert result["duplicates"] == ["root"]
    assert result["changed"] is True
    assert read(aliases_file) == "root: a\n"


FAILURES = [
    ({"name": "a b", "recipients": ["x"]}, 'invalid alias name "a b": contains whitespace'),
    ({"name": "a\nb", "recipients": ["x"]}, 'invalid alias name "a\\nb": contains the control character U+000A'),
    ({"name": "a", "recipients": []}, 'alias "a" has no recipients: give at least one, or use state=absent'),
    (
        {"name": "a", "recipients": ["x y"]},
        'invalid recipient "x y" of alias "a": contains whitespace outside double quotes',
    ),
    (
        {"name": "a", "recipients": ["|/bin/cat"]},
        'invalid recipient "|/bin/cat" of alias "a": is a command; set allow_commands=true to deliver to commands',
    ),
    (
        {"aliases": {"ok": ["x"], "a": ["/var/mail/a"]}},
        'invalid recipient "/var/mail/a" of alias "a": is a file; set allow_files=true to deliver to files',
    ),
    (
        {"name": "a", "recipients": [":include:lists/a"]},
        'invalid recipient ":include:lists/a" of alias "a": has a relative :include: path; it must start with \'/\'',
    ),
    (
        {"name": "a", "recipients": ["x"], "database_type": "texthash"},
        'unsupported database_type "texthash": expected one of btree, cdb, dbm, hash, lmdb, sdbm',
    ),
    ({"name": "a", "state": "absent", "exclusive": True}, "exclusive=true applies only to state=present"),
    (
        {"aliases": {"A": ["x"], "a": ["y"]}},
        'alias names "A" and "a" are the same: Postfix compares alias names case-insensitively',
    ),
    (
        {"name": "a" * 256, "recipients": ["x"]},
        f'invalid alias name "{"a" * 32}"... (256 bytes): longer than 255 bytes',
    ),
    (
        {"name": "ä" * 128, "recipients": ["x"]},
        f'invalid alias name "{"ä" * 32}"... (256 bytes): longer than 255 bytes',
    ),
    (
        {"name": "a", "recipients": ["b" * 4085 + "@example.org"]},
        f'invalid recipient "{"b" * 32}"... (4097 bytes) of alias "a": longer than 4096 bytes',
    ),
    (
        {"name": "a", "recipients": ["x"], "database_type": "cdb"},
        'database_type "cdb" is not available in this Postfix (postconf -m); it can build btree, hash; '
        "on Debian, install postfix-cdb",
    ),
    (
        {"name": "a", "recipients": ["x"], "database_type": "dbm"},
        'database_type "dbm" is not available in this Postfix (postconf -m); it can build btree, hash',
    ),
]


@pytest.mark.parametrize(("args", "message"), FAILURES)
@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_input_fails_and_leaves_file_untouched(node, aliases_file, args, message, check_mode):
    before = checksum(aliases_file)
    db_before = os.stat(aliases_file + ".db").st_mtime_ns
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, **args}, check_mode=check_mode)
    assert failed.value.result["msg"] == message
    assert checksum(aliases_file) == before
    assert os.stat(aliases_file + ".db").st_mtime_ns == db_before
    assert node.rebuilds == []


def test_longest_name_and_recipient_are_accepted(node, aliases_file):
    result = run_module({"path": aliases_file, "name": "a" * 255, "recipients": ["b" * 4084 + "@example.org"]})
    assert result["added"] == ["a" * 255]


@pytest.mark.parametrize("path", ["aliases", "./aliases", "etc/aliases"])
def test_relative_path_is_refused(node, tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FailJson) as failed:
        run_module({"path": path, "name": "x", "recipients": ["y"]})
    assert failed.value.result["msg"] == f'path "{path}" is not an absolute path'
    assert os.listdir(tmp_path) == []
    assert node.commands == []


def test_fifo_is_refused_without_reading_it(node, tmp_path):
    path = str(tmp_path / "fifo")
    os.mkfifo(path)
    with pytest.raises(FailJson) as failed:
        run_module({"path": path, "name": "x", "recipients": ["y"]})
    assert failed.value.result["msg"] == f'"{path}" is not a regular file'


def test_unreadable_file_is_named(node, aliases_file, monkeypatch):
    def read_bytes(_path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(postalias, "read_bytes", read_bytes)
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert failed.value.result["msg"] == f'cannot read "{aliases_file}": Permission denied'
    assert node.rebuilds == []


def test_default_type_is_not_checked_against_postconf_m(node, aliases_file):
    run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert ["/usr/sbin/postconf", "-m"] not in node.commands


def test_available_type_without_postconf_is_not_checked(node, aliases_file):
    node.tools.discard("postconf")
    result = run_module({"path": aliases_file, "name": "x", "recipients": ["y"], "database_type": "cdb"})
    assert result["database_type"] == "cdb"


def test_missing_file_with_create_false(node, tmp_path):
    path = str(tmp_path / "missing")
    with pytest.raises(FailJson) as failed:
        run_module({"path": path, "name": "x", "recipients": ["y"], "create": False})
    assert failed.value.result["msg"] == f'"{path}" does not exist and create=false'


def test_missing_directory(node, tmp_path):
    path = str(tmp_path / "nodir" / "aliases")
    with pytest.raises(FailJson) as failed:
        run_module({"path": path, "name": "x", "recipients": ["y"]})
    assert failed.value.result["msg"] == f'cannot create "{path}": directory "{tmp_path / "nodir"}" does not exist'


def test_name_and_aliases_are_mutually_exclusive(node, aliases_file):
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "name": "x", "aliases": {"y": ["z"]}})
    assert "mutually exclusive" in failed.value.result["msg"]


def test_present_with_name_needs_recipients(node, aliases_file):
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "name": "x"})
    assert (
        failed.value.result["msg"] == "state is present but any of the following are missing: recipients, aliases, src"
    )


def test_10k_aliases_in_one_call(node, tmp_path):
    path = str(tmp_path / "big")
    wanted = {f"user{i}": [f"user{i}@example.org"] for i in range(10_000)}
    result = run_module({"path": path, "aliases": wanted})
    assert len(result["added"]) == 10_000
    assert len(node.rebuilds) == 1
    again = run_module({"path": path, "aliases": wanted})
    assert again["changed"] is False


def test_failed_write_leaves_file_and_no_temp_file(node, aliases_file, monkeypatch):
    def atomic_move(_module, _src, _dest, **_kwargs):
        raise Exception("Could not replace it")  # what atomic_move raises

    monkeypatch.setattr(basic.AnsibleModule, "atomic_move", atomic_move)
    before = checksum(aliases_file)
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "name": "x", "recipients": ["y"]})
    assert failed.value.result["msg"] == f"cannot write {aliases_file}: Could not replace it"
    assert checksum(aliases_file) == before
    assert sorted(os.listdir(os.path.dirname(aliases_file))) == ["aliases", "aliases.db"]
    assert node.rebuilds == []


# --- src: the entries read from a file on the node ----------------------------

SRC_TEXT = (
    "# generated list aliases\n"
    "staff: :include:/etc/lists/staff\n"
    "\n"
    "owner-staff: alice,\n"
    "\tbob@example.org\n"
    'announce: "|/usr/local/bin/deliver announce"\n'
)


@pytest.fixture
def src_file(tmp_path):
    path = tmp_path / "aliases.src"
    write(path, SRC_TEXT)
    return str(path)


def test_src_entries_are_applied_like_aliases(node, aliases_file, src_file):
    result = run_module({"path": aliases_file, "src": src_file, "allow_commands": True})
    assert result["changed"] is True
    assert result["added"] == ["staff", "owner-staff", "announce"]
    assert read(aliases_file) == (
        "# Local aliases\npostmaster: root\n\nroot: alice\n"
        "staff: :include:/etc/lists/staff\nowner-staff: alice, bob@example.org\n"
        'announce: "|/usr/local/bin/deliver announce"\n'
    )
    assert len(node.rebuilds) == 1
    assert read(src_file) == SRC_TEXT
    again = run_module({"path": aliases_file, "src": src_file, "allow_commands": True})
    assert again["changed"] is False
    assert again["added"] == []


def test_src_gives_the_same_file_as_aliases(node, tmp_path, src_file):
    by_src, by_aliases = str(tmp_path / "a1"), str(tmp_path / "a2")
    run_module({"path": by_src, "src": src_file, "allow_commands": True})
    run_module(
        {
            "path": by_aliases,
            "allow_commands": True,
            "aliases": {
                "staff": [":include:/etc/lists/staff"],
                "owner-staff": ["alice", "bob@example.org"],
                "announce": ["|/usr/local/bin/deliver announce"],
            },
        }
    )
    assert read(by_src) == read(by_aliases)


def test_src_exclusive_and_absent(node, aliases_file, tmp_path):
    src = str(tmp_path / "keep")
    write(src, "postmaster: root\nstaff: alice\n")
    result = run_module({"path": aliases_file, "src": src, "exclusive": True})
    assert (result["added"], result["removed"]) == (["staff"], ["root"])
    assert read(aliases_file) == "# Local aliases\npostmaster: root\n\nstaff: alice\n"
    write(src, "staff: anything\n")
    result = run_module({"path": aliases_file, "src": src, "state": "absent"})
    assert result["removed"] == ["staff"]
    assert read(aliases_file) == "# Local aliases\npostmaster: root\n\n"


def test_src_check_mode_writes_nothing(node, aliases_file, src_file):
    before = checksum(aliases_file)
    result = run_module({"path": aliases_file, "src": src_file, "allow_commands": True}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert "staff: :include:/etc/lists/staff" in result["diff"]["after"]
    assert checksum(aliases_file) == before
    assert node.rebuilds == []


SRC_FAILURES = [
    ("garbage line\n", 'src "{src}", line 1: not a name: recipients entry: "garbage line"'),
    ("  stray: x\nstaff: alice\n", 'src "{src}", line 1: a continuation line without an entry: "  stray: x"'),
    (
        "staff: alice\n# again\nStaff: bob\n",
        'src "{src}", line 3: alias "Staff" is given twice (line 1: "staff")',
    ),
    ("staff: alice\nbad: |/bin/x\n", 'src "{src}": invalid recipient "|/bin/x" of alias "bad": '),
    ("staff:\n", 'src "{src}": alias "staff" has no recipients: give at least one, or use state=absent'),
    ("bad name: x\n", 'src "{src}": invalid alias name "bad name": '),
]


@pytest.mark.parametrize("case", SRC_FAILURES)
@pytest.mark.parametrize("check_mode", [False, True])
def test_bad_src_fails_naming_file_and_line(node, aliases_file, tmp_path, case, check_mode):
    text, message = case
    src = str(tmp_path / "bad.src")
    write(src, text)
    before = checksum(aliases_file)
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "src": src}, check_mode=check_mode)
    assert failed.value.result["msg"].startswith(message.format(src=src))
    assert checksum(aliases_file) == before
    assert node.rebuilds == []


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("relative", 'src "relative/file" is not an absolute path'),
        ("missing", 'src "{src}" does not exist'),
        ("directory", 'src "{src}" is not a regular file'),
        ("fifo", 'src "{src}" is not a regular file'),
    ],
)
def test_src_that_is_no_readable_file(node, aliases_file, tmp_path, kind, message):
    src = {"relative": "relative/file", "missing": str(tmp_path / "missing"), "directory": str(tmp_path)}.get(kind)
    if kind == "fifo":
        src = str(tmp_path / "fifo")
        os.mkfifo(src)
    before = checksum(aliases_file)
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "src": src})
    assert failed.value.result["msg"] == message.format(src=src)
    assert checksum(aliases_file) == before


def test_unreadable_src_is_named(node, aliases_file, src_file, monkeypatch):
    def read_bytes(_path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(postalias, "read_bytes", read_bytes)
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "src": src_file})
    assert failed.value.result["msg"] == f'cannot read src "{src_file}": Permission denied'


@pytest.mark.parametrize("other", [{"aliases": {"x": ["y"]}}, {"name": "x", "recipients": ["y"]}])
def test_src_excludes_name_and_aliases(node, aliases_file, src_file, other):
    with pytest.raises(FailJson) as failed:
        run_module({"path": aliases_file, "src": src_file, **other})
    assert "mutually exclusive" in failed.value.result["msg"]
