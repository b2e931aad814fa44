# SPDX-License-Identifier: GPL-3.0-or-later
"""mail_account against a fake node: exact command lines, chpasswd's input, check mode, every refusal.

The fake node keeps passwd, group and shadow in dicts, answers the module's
lookups and carries out useradd/usermod/userdel/chpasswd on them, so that the
module's re-reads see the result. Mailboxes are real files in a temporary
spool; their owners live in an overlay, since the tests need not run as root.
"""

from __future__ import annotations

import datetime
import grp
import json
import os
import pwd
import types

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.module_utils.passwords import PasswordError, hash_sha512, verify
from ansible_collections.listserv.mailstack.plugins.modules import mail_account
from module_harness import ExitJson, FailJson, patch_exits

BOB_PLAINTEXT = "bob's old secret"
BOB_HASH = hash_sha512(BOB_PLAINTEXT, salt="bobsaltbobsalt12")
NEW_HASH = hash_sha512("new", salt="newsaltnewsalt1")
PLAINTEXT = "Tr0ub4dor&3 mail"
NOW = "20250102T030405Z"
MAIL_GID = 8
USERADD = "/usr/sbin/useradd"
USERMOD = "/usr/sbin/usermod"
USERDEL = "/usr/sbin/userdel"
CHPASSWD = "/usr/sbin/chpasswd"
POSTCONF = "/usr/sbin/postconf"


class FakeNode:
    """passwd, group and shadow of a small Debian system, and its account tools."""

    def __init__(self, spool):
        self.spool = spool
        # name: [uid, gid, gecos, home, shell]
        self.users = {
            "root": [0, 0, "root", "/root", "/bin/bash"],
            "daemon": [1, 1, "daemon", "/usr/sbin", "/usr/sbin/nologin"],
            "bob": [1001, 1001, "Bob", "/home/bob", "/usr/sbin/nologin"],
        }
        # name: [gid, members]
        self.groups = {
            "root": [0, []],
            "daemon": [1, []],
            "mail": [MAIL_GID, []],
            "lists": [38, ["bob"]],
            "users": [100, []],
            "staff": [50, []],
            "bob": [1001, []],
        }
        self.shadow = {"root": "*", "daemon": "*", "bob": BOB_HASH}
        self.files = {
            "/etc/login.defs": "# comment\nMAIL_DIR\t/var/mail\nUID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n",
            "/etc/shells": "# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n",
        }
        self.executables = {"/bin/sh", "/bin/bash", "/usr/bin/bash", "/usr/sbin/nologin", "/usr/bin/false"}
        self.tools = {"useradd", "usermod", "userdel", "chpasswd"}
        self.postconf_spool = "/var/mail"
        self.shadow_readable = True
        self.failures = {}  # tool basename -> (rc, stdout, stderr)
        self.calls = []  # (argv, data)
        self.owners = {}  # inode -> (uid, gid) set by chown

    # --- pwd and grp -------------------------------------------------------------

    def _passwd(self, name):
        uid, gid, gecos, home, shell = self.users[name]
        return pwd.struct_passwd((name, "x", uid, gid, gecos, home, shell))

    def _group(self, name):
        gid, members = self.groups[name]
        return grp.struct_group((name, "x", gid, list(members)))

    def getpwnam(self, name):
        if name not in self.users:
            raise KeyError(name)
        return self._passwd(name)

    def getpwuid(self, uid):
        for name, fields in self.users.items():
            if fields[0] == uid:
                return self._passwd(name)
        raise KeyError(uid)

    def getgrnam(self, name):
        if name not in self.groups:
            raise KeyError(name)
        return self._group(name)

    def getgrgid(self, gid):
        for name, fields in self.groups.items():
            if fields[0] == gid:
                return self._group(name)
        raise KeyError(gid)

    def getgrall(self):
        return [self._group(name) for name in self.groups]

    def read_file(self, path):
        if path == "/etc/shadow":
            if not self.shadow_readable:
                raise PermissionError(13, "Permission denied", path)
            return "".join(f"{name}:{hashed}:19000:0:99999:7:::\n" for name, hashed in self.shadow.items())
        return self.files.get(path)

    # --- the account tools -------------------------------------------------------

    def run_command(self, argv, environ_update=None, data=None, check_rc=False):
        assert isinstance(argv, list)
        assert environ_update["LC_ALL"] == "C"
        self.calls.append((argv, data))
        tool = os.path.basename(argv[0])
        if tool in self.failures:
            return self.failures[tool]
        if tool == "postconf":
            return 0, self.postconf_spool + "\n", ""
        getattr(self, f"_{tool}")(argv[1:-1], argv[-1], data)
        return 0, "", ""

    @staticmethod
    def _options(args):
        options, index = {}, 0
        while index < len(args):
            flag = args[index]
            if flag in ("-m", "-M", "-a", "-e"):
                options[flag] = True
                index += 1
            else:
                options[flag] = args[index + 1]
                index += 2
        return options

    def _set_groups(self, name, options):
        if "-G" not in options:
            return
        wanted = [group for group in options["-G"].split(",") if group]
        for group, (_gid, members) in self.groups.items():
            if group in wanted and name not in members:
                members.append(name)
            elif group not in wanted and name in members and "-a" not in options:
                members.remove(name)

    def _useradd(self, args, name, data):
        options = self._options(args)
        uid = int(options.get("-u", max(fields[0] for fields in self.users.values() if fields[0] < 60000) + 1))
        if "-g" in options:
            gid = self.groups[options["-g"]][0]
        else:
            self.groups[name] = [uid, []]
            gid = uid
        self.users[name] = [uid, gid, options.get("-c", ""), options.get("-d", f"/home/{name}"), options["-s"]]
        self.shadow[name] = "!"
        self._set_groups(name, options)

    def _usermod(self, args, name, data):
        options = self._options(args)
        fields = self.users[name]
        for index, flag in ((0, "-u"), (2, "-c"), (3, "-d"), (4, "-s")):
            if flag in options:
                fields[index] = int(options[flag]) if flag == "-u" else options[flag]
        if "-g" in options:
            fields[1] = self.groups[options["-g"]][0]
        self._set_groups(name, options)

    def _userdel(self, args, name, data):
        del self.users[name]
        del self.shadow[name]
        self.groups.pop(name, None)
        for _gid, members in self.groups.values():
            if name in members:
                members.remove(name)

    def _chpasswd(self, args, name, data):
        assert name == "-e"
        user, hashed = data.split(":", 1)
        self.shadow[user] = hashed

    # --- mailbox ownership ---------------------------------------------------------

    def fchown(self, fd, uid, gid):
        self.owners[os.fstat(fd).st_ino] = (uid, gid)

    def chown(self, path, uid, gid, follow_symlinks=True):
        assert follow_symlinks is False
        self.owners[os.lstat(path).st_ino] = (uid, gid)

    def lstat_or_none(self, path):
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None
        uid, gid = self.owners.get(st.st_ino, (st.st_uid, st.st_gid))
        fields = list(st[:10])
        fields[4:6] = [uid, gid]
        return os.stat_result(fields)

    def mailbox(self, name, uid=1001, gid=MAIL_GID, mode=0o660, content=b""):
        path = self.spool / name
        path.write_bytes(content)
        path.chmod(mode)
        self.owners[path.stat().st_ino] = (uid, gid)
        return path

    def owner_and_mode(self, path):
        st = self.lstat_or_none(str(path))
        return st.st_uid, st.st_gid, st.st_mode & 0o7777


@pytest.fixture
def node(tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    spool.mkdir()
    fake = FakeNode(spool)
    monkeypatch.setattr(mail_account, "pwd", types.SimpleNamespace(getpwnam=fake.getpwnam, getpwuid=fake.getpwuid))
    monkeypatch.setattr(
        mail_account,
        "grp",
        types.SimpleNamespace(getgrnam=fake.getgrnam, getgrgid=fake.getgrgid, getgrall=fake.getgrall),
    )
    monkeypatch.setattr(mail_account, "read_file", fake.read_file)
    monkeypatch.setattr(mail_account, "is_executable", lambda path: path in fake.executables)
    monkeypatch.setattr(mail_account, "lstat_or_none", fake.lstat_or_none)
    monkeypatch.setattr(mail_account, "utc_now", lambda: datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC))
    monkeypatch.setattr(mail_account.os, "fchown", fake.fchown)
    monkeypatch.setattr(mail_account.os, "chown", fake.chown)
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: fake.run_command(argv, **kw))

    def get_bin_path(self, name, required=False, opt_dirs=None):
        if name in fake.tools:
            return f"/usr/sbin/{name}"
        if required:
            self.fail_json(msg=f"Failed to find required executable {name}")
        return None

    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path", get_bin_path)

    patch_exits(monkeypatch)
    return fake


def run_module(node, args, check_mode=False, diff=False, spool=True):
    args = dict(args)
    if spool:
        args.setdefault("spool_dir", str(node.spool))
    args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args), pytest.raises(ExitJson) as exit_info:
        mail_account.main()
    return exit_info.value.args[0]


def fail_module(node, args, check_mode=False, spool=True):
    args = dict(args)
    if spool:
        args.setdefault("spool_dir", str(node.spool))
    args.update(_ansible_check_mode=check_mode)
    with patch_module_args(args), pytest.raises(FailJson) as fail_info:
        mail_account.main()
    return fail_info.value.args[0]


def commands(node):
    return [argv for argv, _data in node.calls]


# --- state=present: exact command lines ------------------------------------------------------

PRESENT_CASES = [
    pytest.param(
        {"name": "mstest1"},
        [[USERADD, "-s", "/usr/sbin/nologin", "-M", "mstest1"]],
        id="create-defaults",
    ),
    pytest.param(
        {
            "name": "mstest1",
            "uid": 2000,
            "group": "users",
            "groups": ["lists", "staff", "lists"],
            "comment": "Mail Test",
            "home": "/srv/mail/mstest1",
            "create_home": True,
            "shell": "/bin/bash",
        },
        [
            [
                USERADD,
                *("-u", "2000", "-g", "users", "-G", "lists,staff", "-c", "Mail Test", "-d", "/srv/mail/mstest1"),
                *("-s", "/bin/bash", "-m", "mstest1"),
            ]
        ],
        id="create-all-options",
    ),
    pytest.param(
        {"name": "mstest1", "group": "100", "shell": "/usr/bin/false"},
        [[USERADD, "-g", "users", "-s", "/usr/bin/false", "-M", "mstest1"]],
        id="create-group-by-gid",
    ),
    pytest.param({"name": "bob"}, [], id="unchanged"),
    pytest.param(
        {"name": "bob", "comment": "Bob Builder", "shell": "/bin/bash"},
        [[USERMOD, "-c", "Bob Builder", "-s", "/bin/bash", "bob"]],
        id="modify-comment-shell",
    ),
    pytest.param(
        {"name": "bob", "uid": 1500, "group": "users", "home": "/srv/bob"},
        [[USERMOD, "-u", "1500", "-g", "users", "-d", "/srv/bob", "bob"]],
        id="modify-uid-group-home",
    ),
    pytest.param({"name": "bob", "groups": ["lists"]}, [], id="groups-same"),
    pytest.param(
        {"name": "bob", "groups": ["staff", "mail"]},
        [[USERMOD, "-G", "staff,mail", "bob"]],
        id="groups-replace",
    ),
    pytest.param({"name": "bob", "groups": []}, [[USERMOD, "-G", "", "bob"]], id="groups-empty-removes-all"),
    pytest.param(
        {"name": "bob", "groups": ["lists", "staff"], "append": True},
        [[USERMOD, "-a", "-G", "staff", "bob"]],
        id="groups-append",
    ),
    pytest.param({"name": "bob", "groups": ["lists"], "append": True}, [], id="groups-append-present"),
    pytest.param({"name": "bob", "password": BOB_HASH}, [], id="hash-same"),
    pytest.param({"name": "bob", "password_plaintext": BOB_PLAINTEXT}, [], id="plaintext-verifies"),
    pytest.param(
        {"name": "bob", "password": NEW_HASH, "update_password": "on_create"}, [], id="hash-differs-on-create"
    ),
    pytest.param(
        {"name": "bob", "password_plaintext": "other", "update_password": "on_create"},
        [],
        id="plaintext-differs-on-create",
    ),
]


@pytest.mark.parametrize(("args", "expected"), PRESENT_CASES)
def test_present_commands(node, args, expected):
    node.mailbox("bob")
    result = run_module(node, args)
    assert commands(node) == expected
    assert result["changed"] is bool(expected)


def test_create_sets_up_mailbox(node):
    result = run_module(node, {"name": "mstest1", "uid": 2000})
    assert result == {
        "changed": True,
        "name": "mstest1",
        "uid": 2000,
        "state": "present",
        "mailbox": str(node.spool / "mstest1"),
        "password_changed": False,
    }
    assert node.owner_and_mode(node.spool / "mstest1") == (2000, MAIL_GID, 0o660)
    assert node.users["mstest1"] == [2000, 2000, "", "/home/mstest1", "/usr/sbin/nologin"]


def test_create_then_idempotent(node):
    first = run_module(node, {"name": "mstest1", "password_plaintext": PLAINTEXT, "comment": "T"})
    assert first["changed"] is True
    assert first["password_changed"] is True
    node.calls.clear()
    second = run_module(node, {"name": "mstest1", "password_plaintext": PLAINTEXT, "comment": "T"})
    assert second["changed"] is False
    assert second["password_changed"] is False
    assert commands(node) == []


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        pytest.param((1001, MAIL_GID, 0o644), (1001, MAIL_GID, 0o660), id="mode"),
        pytest.param((0, 0, 0o660), (1001, MAIL_GID, 0o660), id="owner"),
        pytest.param((1001, MAIL_GID, 0o660), (1001, MAIL_GID, 0o660), id="correct"),
    ],
)
def test_existing_mailbox_is_fixed(node, owner, expected):
    uid, gid, mode = owner
    path = node.mailbox("bob", uid=uid, gid=gid, mode=mode, content=b"From a@b\n\nmail\n")
    result = run_module(node, {"name": "bob"})
    assert result["changed"] is (owner != expected)
    assert node.owner_and_mode(path) == expected
    assert path.read_bytes() == b"From a@b\n\nmail\n"
    assert commands(node) == []


def test_modified_uid_moves_mailbox_owner(node):
    path = node.mailbox("bob")
    run_module(node, {"name": "bob", "uid": 1500})
    assert node.owner_and_mode(path) == (1500, MAIL_GID, 0o660)


def test_create_mailbox_false_leaves_spool_alone(node):
    result = run_module(node, {"name": "mstest1", "create_mailbox": False})
    assert result["changed"] is True
    assert not (node.spool / "mstest1").exists()


# --- passwords: chpasswd's input, never a secret in the result ------------------------------------


@pytest.mark.parametrize(
    ("args", "initial"),
    [
        pytest.param({"name": "mstest1", "password": NEW_HASH}, None, id="create-hash"),
        pytest.param({"name": "bob", "password": NEW_HASH}, BOB_HASH, id="hash-differs"),
        pytest.param({"name": "bob", "password": NEW_HASH}, "!" + NEW_HASH, id="hash-locked"),
        pytest.param({"name": "bob", "password": NEW_HASH}, "*", id="hash-none-set"),
    ],
)
def test_chpasswd_gets_hash_on_stdin(node, args, initial):
    node.mailbox("bob")
    if initial is not None:
        node.shadow["bob"] = initial
    result = run_module(node, args, diff=True)
    argv, data = node.calls[-1]
    assert argv == [CHPASSWD, "-e"]
    assert data == f"{args['name']}:{NEW_HASH}"
    assert result["password_changed"] is True
    assert {"password": "(changed)"}.items() <= result["diff"]["after"].items()
    assert NEW_HASH not in json.dumps(result)
    assert all(NEW_HASH not in " ".join(argv) for argv in commands(node))


@pytest.mark.parametrize(
    "name",
    [pytest.param("mstest1", id="create"), pytest.param("bob", id="plaintext-differs")],
)
def test_chpasswd_gets_fresh_sha512_for_plaintext(node, name):
    node.mailbox("bob")
    result = run_module(node, {"name": name, "password_plaintext": PLAINTEXT}, diff=True)
    argv, data = node.calls[-1]
    assert argv == [CHPASSWD, "-e"]
    user, hashed = data.split(":", 1)
    assert user == name
    assert hashed.startswith("$6$")
    assert len(hashed.split("$")[2]) == 16
    assert verify(PLAINTEXT, hashed)
    assert node.shadow[name] == hashed
    text = json.dumps(result)
    assert PLAINTEXT not in text
    assert hashed not in text
    assert all(PLAINTEXT not in " ".join(argv) and hashed not in " ".join(argv) for argv in commands(node))


def test_plaintext_unchanged_diff(node):
    node.mailbox("bob")
    result = run_module(node, {"name": "bob", "password_plaintext": BOB_PLAINTEXT}, diff=True)
    assert result["changed"] is False
    assert {"password": "(unchanged)"}.items() <= result["diff"]["before"].items()
    assert {"password": "(unchanged)"}.items() <= result["diff"]["after"].items()
    assert BOB_HASH not in json.dumps(result)
    assert BOB_PLAINTEXT not in json.dumps(result)


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_libcrypt_failure_changes_nothing(node, monkeypatch, check_mode):
    def no_libcrypt(plaintext):
        raise PasswordError("cannot load crypt(3) from libcrypt (libcrypt.so.1): gone; install the libcrypt1 package")

    monkeypatch.setattr(mail_account, "hash_sha512", no_libcrypt)
    result = fail_module(node, {"name": "mstest1", "password_plaintext": PLAINTEXT}, check_mode=check_mode)
    assert result["msg"] == ("cannot load crypt(3) from libcrypt (libcrypt.so.1): gone; install the libcrypt1 package")
    assert node.calls == []
    assert "mstest1" not in node.users


def test_missing_chpasswd_changes_nothing(node):
    node.tools.discard("chpasswd")
    result = fail_module(node, {"name": "mstest1", "password": NEW_HASH})
    assert result["msg"] == "Failed to find required executable chpasswd"
    assert node.calls == []


def test_unreadable_shadow_fails_clearly(node):
    node.shadow_readable = False
    result = fail_module(node, {"name": "bob", "password_plaintext": "x"})
    assert result["msg"] == "cannot read /etc/shadow to compare the password of 'bob': Permission denied (needs root)"


# --- check mode and diff ---------------------------------------------------------------------------


def test_check_mode_create_predicts_and_changes_nothing(node):
    result = run_module(node, {"name": "mstest1", "password_plaintext": PLAINTEXT}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["password_changed"] is True
    assert result["uid"] is None
    assert node.calls == []
    assert "mstest1" not in node.users
    assert not (node.spool / "mstest1").exists()
    assert result["diff"]["before"] == {"state": "absent", "mailbox": "absent"}
    assert result["diff"]["after"] == {
        "state": "present",
        "uid": "(assigned by useradd)",
        "group": "(useradd default)",
        "groups": [],
        "shell": "/usr/sbin/nologin",
        "comment": "",
        "home": "(useradd default)",
        "mailbox": "present, owner mstest1, group mail, mode 0660",
        "password": "(changed)",
    }


def test_check_mode_modify_predicts(node):
    node.mailbox("bob", mode=0o600)
    before_users = json.dumps(node.users)
    args = {"name": "bob", "shell": "/bin/bash", "groups": ["staff"], "append": True, "password": NEW_HASH}
    result = run_module(node, args, check_mode=True, diff=True)
    assert result["changed"] is True
    assert node.calls == []
    assert json.dumps(node.users) == before_users
    assert node.shadow["bob"] == BOB_HASH
    assert node.owner_and_mode(node.spool / "bob") == (1001, MAIL_GID, 0o600)
    assert result["diff"]["before"] == {
        "state": "present",
        "uid": 1001,
        "group": "bob",
        "groups": ["lists"],
        "shell": "/usr/sbin/nologin",
        "comment": "Bob",
        "home": "/home/bob",
        "mailbox": "present, owner bob, group mail, mode 0600",
        "password": "(hidden)",
    }
    assert result["diff"]["after"] == {
        "state": "present",
        "uid": 1001,
        "group": "bob",
        "groups": ["lists", "staff"],
        "shell": "/bin/bash",
        "comment": "Bob",
        "home": "/home/bob",
        "mailbox": "present, owner bob, group mail, mode 0660",
        "password": "(changed)",
    }
    assert NEW_HASH not in json.dumps(result)


def test_diff_after_real_run_shows_real_uid(node):
    result = run_module(node, {"name": "mstest1"}, diff=True)
    assert result["diff"]["after"]["uid"] == 1002
    assert result["diff"]["after"]["group"] == "mstest1"
    assert result["uid"] == 1002


def test_no_diff_without_diff_mode(node):
    assert "diff" not in run_module(node, {"name": "mstest1"})


# --- state=absent ------------------------------------------------------------------------------


def test_absent_removes_account_then_mailbox(node):
    path = node.mailbox("bob", content=b"mail")
    result = run_module(node, {"name": "bob", "state": "absent"}, diff=True)
    assert commands(node) == [[USERDEL, "bob"]]
    assert not path.exists()
    assert "bob" not in node.users
    assert result["changed"] is True
    assert result["uid"] == 1001
    assert result["state"] == "absent"
    assert "archived_to" not in result
    assert result["diff"]["after"] == {"state": "absent", "mailbox": "absent"}
    assert result["diff"]["before"]["mailbox"] == "present, owner bob, group mail, mode 0660"


def test_absent_archives_mailbox(node, tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    path = node.mailbox("bob", content=b"From x\n\nkeep me\n")
    result = run_module(node, {"name": "bob", "state": "absent", "archive_mailbox_to": str(archive)}, diff=True)
    target = archive / f"bob.{NOW}.mbox"
    assert result["archived_to"] == str(target)
    assert not path.exists()
    assert target.read_bytes() == b"From x\n\nkeep me\n"
    assert node.owner_and_mode(target) == (0, 0, 0o600)
    assert result["diff"]["after"]["mailbox"] == f"archived to {target}"
    assert commands(node) == [[USERDEL, "bob"]]


def test_archive_never_overwrites(node, tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / f"bob.{NOW}.mbox").write_bytes(b"older")
    (archive / f"bob.{NOW}.1.mbox").write_bytes(b"old")
    node.mailbox("bob", content=b"new")
    result = run_module(node, {"name": "bob", "state": "absent", "archive_mailbox_to": str(archive)})
    assert result["archived_to"] == str(archive / f"bob.{NOW}.2.mbox")
    assert (archive / f"bob.{NOW}.mbox").read_bytes() == b"older"
    assert (archive / f"bob.{NOW}.1.mbox").read_bytes() == b"old"
    assert (archive / f"bob.{NOW}.2.mbox").read_bytes() == b"new"


def test_archive_across_file_systems_copies(node, tmp_path, monkeypatch):
    archive = tmp_path / "archive"
    archive.mkdir()
    node.mailbox("bob", content=b"x" * 100000)

    def cross_device_link(source, target):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(mail_account.os, "link", cross_device_link)
    result = run_module(node, {"name": "bob", "state": "absent", "archive_mailbox_to": str(archive)})
    assert (archive / f"bob.{NOW}.mbox").read_bytes() == b"x" * 100000
    assert os.stat(result["archived_to"]).st_mode & 0o777 == 0o600
    assert not (node.spool / "bob").exists()


def test_absent_keeps_mailbox_with_remove_mailbox_false(node):
    path = node.mailbox("bob")
    result = run_module(node, {"name": "bob", "state": "absent", "remove_mailbox": False})
    assert result["changed"] is True
    assert path.exists()
    assert commands(node) == [[USERDEL, "bob"]]


def test_absent_removes_orphan_mailbox(node):
    path = node.mailbox("ghost", uid=1234)
    result = run_module(node, {"name": "ghost", "state": "absent"})
    assert result["changed"] is True
    assert result["uid"] is None
    assert not path.exists()
    assert commands(node) == []


def test_absent_already_absent(node):
    result = run_module(node, {"name": "ghost", "state": "absent"})
    assert result["changed"] is False
    assert commands(node) == []


def test_absent_check_mode(node, tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    path = node.mailbox("bob")
    result = run_module(
        node, {"name": "bob", "state": "absent", "archive_mailbox_to": str(archive)}, check_mode=True, diff=True
    )
    assert result["changed"] is True
    assert result["archived_to"] == str(archive / f"bob.{NOW}.mbox")
    assert node.calls == []
    assert path.exists()
    assert "bob" in node.users
    assert list(archive.iterdir()) == []


def test_userdel_failure_keeps_mailbox(node):
    path = node.mailbox("bob")
    node.failures["userdel"] = (8, "", "userdel: user bob is currently used by process 42\n")
    result = fail_module(node, {"name": "bob", "state": "absent"})
    assert result["msg"] == (
        f"{USERDEL} bob failed with exit code 8: userdel: user bob is currently used by process 42"
    )
    assert path.exists()


# --- the spool directory -----------------------------------------------------------------------


def test_spool_from_postconf(node):
    node.tools.add("postconf")
    node.postconf_spool = "/var/spool/mail"
    result = run_module(node, {"name": "mstest1", "create_mailbox": False}, spool=False)
    assert result["mailbox"] == "/var/spool/mail/mstest1"
    assert commands(node)[0] == [POSTCONF, "-h", "mail_spool_directory"]


def test_spool_without_postfix(node):
    result = run_module(node, {"name": "mstest1", "create_mailbox": False}, spool=False)
    assert result["mailbox"] == "/var/mail/mstest1"


def test_maildir_spool_is_refused(node):
    node.tools.add("postconf")
    node.postconf_spool = "/var/mail/"
    result = fail_module(node, {"name": "mstest1"}, spool=False)
    assert result["msg"] == (
        "postconf mail_spool_directory '/var/mail/' is not a directory for mbox files (a value ending in '/' "
        "means Maildir delivery): set spool_dir, or create_mailbox/remove_mailbox to false"
    )
    assert commands(node) == [[POSTCONF, "-h", "mail_spool_directory"]]


# --- refusals: exact messages, nothing changed ------------------------------------------------------

NAME_RULE = (
    "use 1 to 32 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or '_' and not ending with '-'"
)
UID_MIN_NOTE = "UID_MIN 1000 (from /etc/login.defs)"

ERROR_CASES = [
    *(
        pytest.param({"name": name}, f"name '{name}' is not a valid account name: {NAME_RULE}", id=f"name-{label}")
        for label, name in [
            ("upper", "Bob"),
            ("digit-first", "1bob"),
            ("dash-first", "-bob"),
            ("dash-last", "bob-"),
            ("slash", "../etc"),
            ("space", "bo b"),
            ("colon", "bo:b"),
            ("too-long", "a" * 33),
            ("empty", ""),
            ("trailing-newline", "bob\n"),
        ]
    ),
    pytest.param(
        {"name": "root", "state": "absent"},
        f"refusing to remove system account 'root': uid 0 is below {UID_MIN_NOTE}",
        id="absent-root",
    ),
    pytest.param(
        {"name": "daemon", "state": "absent"},
        f"refusing to remove system account 'daemon': uid 1 is below {UID_MIN_NOTE}",
        id="absent-daemon",
    ),
    pytest.param(
        {"name": "daemon", "shell": "/bin/bash"},
        f"refusing to change the shell of system account 'daemon': uid 1 is below {UID_MIN_NOTE}",
        id="system-shell",
    ),
    pytest.param(
        {"name": "root"},
        f"refusing to change the shell of system account 'root': uid 0 is below {UID_MIN_NOTE}",
        id="system-shell-default-nologin",
    ),
    pytest.param(
        {"name": "daemon", "password_plaintext": "x"},
        f"refusing to change the password of system account 'daemon': uid 1 is below {UID_MIN_NOTE}",
        id="system-password",
    ),
    pytest.param({"name": "mstest1", "shell": "bash"}, "shell 'bash' must be an absolute path", id="shell-relative"),
    pytest.param(
        {"name": "mstest1", "shell": "/bin/zsh"},
        "shell '/bin/zsh' is not listed in /etc/shells and is not a nologin or false program",
        id="shell-unlisted",
    ),
    pytest.param(
        {"name": "mstest1", "shell": "/sbin/nologin"},
        "shell '/sbin/nologin' does not exist or is not executable",
        id="shell-missing",
    ),
    pytest.param(
        {"name": "mstest1", "shell": "/bin/sh:x"},
        "shell '/bin/sh:x' must not contain ':' or a line break",
        id="shell-colon",
    ),
    pytest.param({"name": "mstest1", "home": "home/x"}, "home 'home/x' must be an absolute path", id="home-relative"),
    pytest.param(
        {"name": "mstest1", "home": "/home/a:b"},
        "home '/home/a:b' must not contain ':' or a line break",
        id="home-colon",
    ),
    pytest.param(
        {"name": "mstest1", "comment": "a:b"}, "comment 'a:b' must not contain ':' or a line break", id="comment-colon"
    ),
    pytest.param(
        {"name": "mstest1", "comment": "a\nroot::0:0::/:/bin/sh"},
        "comment 'a\nroot::0:0::/:/bin/sh' must not contain ':' or a line break",
        id="comment-newline",
    ),
    pytest.param(
        {"name": "mstest1", "uid": 999},
        "uid 999 is not between UID_MIN 1000 (from /etc/login.defs) and 4294967294",
        id="uid-below-min",
    ),
    pytest.param(
        {"name": "mstest1", "uid": 4294967295},
        "uid 4294967295 is not between UID_MIN 1000 (from /etc/login.defs) and 4294967294",
        id="uid-too-big",
    ),
    pytest.param({"name": "mstest1", "uid": 1001}, "uid 1001 is already used by account 'bob'", id="uid-taken"),
    pytest.param({"name": "mstest1", "group": "nosuch"}, "group 'nosuch' does not exist", id="group-missing"),
    pytest.param({"name": "mstest1", "group": "4242"}, "group '4242' does not exist", id="gid-missing"),
    pytest.param(
        {"name": "mstest1", "groups": ["lists", "nosuch"]},
        "group 'nosuch' in groups does not exist",
        id="groups-missing",
    ),
    pytest.param(
        {"name": "mstest1", "password": "secret"},
        "password must be a crypt hash such as '$y$...' or '$6$...'",
        id="password-not-hash",
    ),
    pytest.param(
        {"name": "mstest1", "password": NEW_HASH + "\nroot:$6$x$y"},
        "password must be a crypt hash such as '$y$...' or '$6$...'",
        id="password-newline-injection",
    ),
    pytest.param(
        {"name": "mstest1", "password": NEW_HASH + "\n"},
        "password must be a crypt hash such as '$y$...' or '$6$...'",
        id="password-trailing-newline",
    ),
    pytest.param(
        {"name": "mstest1", "password": "$zz$abc$def"},
        "password is not a hash this node's libcrypt can check (method '$zz$')",
        id="password-unknown-method",
    ),
    pytest.param(
        {"name": "mstest1", "password_plaintext": ""}, "password_plaintext must not be empty", id="plaintext-empty"
    ),
    pytest.param(
        {"name": "mstest1", "password_plaintext": "a\0b"},
        "password_plaintext must not contain a NUL character",
        id="plaintext-nul",
    ),
    pytest.param(
        {"name": "mstest1", "password": NEW_HASH, "password_plaintext": "x"},
        "parameters are mutually exclusive: password|password_plaintext",
        id="password-mutually-exclusive",
    ),
    pytest.param(
        {"name": "mstest1", "spool_dir": "var/mail"},
        "spool_dir 'var/mail' must be an absolute path",
        id="spool-relative",
    ),
    pytest.param(
        {"name": "mstest1", "spool_dir": "/nonexistent/spool"},
        "spool_dir '/nonexistent/spool' is not an existing directory",
        id="spool-missing",
    ),
    pytest.param(
        {"name": "bob", "state": "absent", "archive_mailbox_to": "backup"},
        "archive_mailbox_to 'backup' must be an absolute path",
        id="archive-relative",
    ),
    pytest.param(
        {"name": "bob", "state": "absent", "archive_mailbox_to": "/nonexistent/archive"},
        "archive_mailbox_to '/nonexistent/archive' is not an existing directory",
        id="archive-missing",
    ),
    pytest.param(
        {"name": "mstest1", "comment": "a\rb"},
        "comment 'a\\rb' must not contain control characters (found U+000D)",
        id="comment-carriage-return",
    ),
    pytest.param(
        {"name": "mstest1", "comment": "a\0b"},
        "comment 'a\\x00b' must not contain control characters (found U+0000)",
        id="comment-nul",
    ),
    pytest.param(
        {"name": "mstest1", "comment": "y" * 131072},
        f"comment '{'y' * 32}...' is 131072 bytes long: useradd and usermod take at most 131071 bytes",
        id="comment-huge",
    ),
    pytest.param(
        {"name": "mstest1", "home": "/home/a\0b"},
        "home '/home/a\\x00b' must not contain control characters (found U+0000)",
        id="home-nul",
    ),
    pytest.param(
        {"name": "mstest1", "shell": "/bin/sh\t"},
        "shell '/bin/sh\\t' must not contain control characters (found U+0009)",
        id="shell-tab",
    ),
    pytest.param(
        {"name": "mstest1", "group": "lists\0"},
        "group 'lists\\x00' must not contain control characters (found U+0000)",
        id="group-nul",
    ),
    pytest.param(
        {"name": "mstest1", "groups": ["lists", "st\0aff"]},
        "groups 'st\\x00aff' must not contain control characters (found U+0000)",
        id="groups-nul",
    ),
    pytest.param(
        {"name": "mstest1", "spool_dir": "/var/mail\0"},
        "spool_dir '/var/mail\\x00' must not contain control characters (found U+0000)",
        id="spool-nul",
    ),
    pytest.param(
        {"name": "bob", "state": "absent", "archive_mailbox_to": "/srv\n"},
        "archive_mailbox_to '/srv\\n' must not contain control characters (found U+000A)",
        id="archive-newline",
    ),
    pytest.param(
        {"name": "mstest1", "password_plaintext": "secret" * 86},
        "password_plaintext is 516 bytes long: libcrypt hashes passwords of at most 511 bytes",
        id="plaintext-too-long",
    ),
    pytest.param(
        {"name": "mstest1", "password_plaintext": "ä" * 256},
        "password_plaintext is 512 bytes long: libcrypt hashes passwords of at most 511 bytes",
        id="plaintext-too-long-utf8",
    ),
    pytest.param(
        {"name": "bob", "state": "absent", "archive_mailbox_to": "/", "remove_mailbox": False},
        "archive_mailbox_to '/' needs remove_mailbox=true: the mailbox is moved there when the account is removed",
        id="archive-without-remove",
    ),
]


@pytest.mark.parametrize(("args", "message"), ERROR_CASES)
@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
def test_errors_change_nothing(node, args, message, check_mode):
    mailbox = node.mailbox("bob", content=b"mail")
    users, groups, shadow = json.dumps(node.users), json.dumps(node.groups), json.dumps(node.shadow)
    result = fail_module(node, args, check_mode=check_mode)
    assert result["msg"] == message
    assert node.calls == []
    assert (json.dumps(node.users), json.dumps(node.groups), json.dumps(node.shadow)) == (users, groups, shadow)
    assert sorted(os.listdir(node.spool)) == ["bob"]
    assert mailbox.read_bytes() == b"mail"
    assert "secret" not in json.dumps(result)


def mailbox_symlink(node, tmp_path):
    (node.spool / "bob").symlink_to(tmp_path / "elsewhere")


def mailbox_hardlink(node, tmp_path):
    path = node.mailbox("bob")
    os.link(path, tmp_path / "other-name")


def orphan_mailbox(node, tmp_path):
    node.mailbox("mstest1", uid=1234)


def no_mail_group(node, tmp_path):
    node.mailbox("bob")
    del node.groups["mail"]


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        pytest.param(
            mailbox_symlink,
            {"name": "bob"},
            "mailbox '{spool}/bob' is not a regular file: refusing to touch it",
            id="symlink-present",
        ),
        pytest.param(
            mailbox_symlink,
            {"name": "bob", "state": "absent"},
            "mailbox '{spool}/bob' is not a regular file: refusing to touch it",
            id="symlink-absent",
        ),
        pytest.param(
            mailbox_hardlink,
            {"name": "bob"},
            "mailbox '{spool}/bob' has 2 hard links: refusing to change its owner",
            id="hardlink",
        ),
        pytest.param(
            orphan_mailbox,
            {"name": "mstest1"},
            "mailbox '{spool}/mstest1' exists but account 'mstest1' does not: it may hold a former account's mail; "
            "remove or archive it first (state=absent)",
            id="orphan-mailbox-on-create",
        ),
        pytest.param(
            no_mail_group,
            {"name": "bob"},
            "group 'mail' does not exist: it owns the mailboxes in {spool}",
            id="no-mail-group",
        ),
    ],
)
def test_mailbox_refusals(node, tmp_path, setup, args, message):
    setup(node, tmp_path)
    users = json.dumps(node.users)
    result = fail_module(node, args)
    assert result["msg"] == message.format(spool=node.spool)
    assert node.calls == []
    assert json.dumps(node.users) == users
