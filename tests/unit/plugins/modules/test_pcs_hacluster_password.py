# SPDX-License-Identifier: GPL-3.0-or-later
"""pcs_hacluster_password: set only when the shadow hash does not match, never show a secret."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.module_utils.passwords import hash_sha512, verify
from ansible_collections.listserv.mailstack.plugins.modules import pcs_hacluster_password
from module_harness import ExitJson, FailJson, patch_node

CHPASSWD = "/usr/sbin/chpasswd"
# What Debian's pcs package leaves: a locked account.
LOCKED = "hacluster:!:20780::::::\n"
OTHERS = "root:*:20000:0:99999:7:::\nmail:*:20000:0:99999:7:::\n"


class FakeShadow:
    def __init__(self, path, entry=LOCKED):
        self.path = path
        path.write_text(OTHERS + entry)
        self.calls = []

    def field(self, user="hacluster"):
        for line in self.path.read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return fields[1]
        return None

    def run_command(self, argv, data=None, **kwargs):
        self.calls.append((list(argv), data))
        assert argv == [CHPASSWD, "-e"]
        user, hashed = data.split(":", 1)
        lines = []
        for line in self.path.read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                fields[1] = hashed
            lines.append(":".join(fields))
        self.path.write_text("\n".join(lines) + "\n")
        return 0, "", ""


@pytest.fixture
def shadow(tmp_path, monkeypatch):
    node = FakeShadow(tmp_path / "shadow")
    monkeypatch.setattr(pcs_hacluster_password, "SHADOW", str(node.path))
    # hacluster is in haclient, as Debian's pacemaker package makes it; root and mail are not.
    monkeypatch.setattr(pcs_hacluster_password, "in_pcs_group", lambda user: user == "hacluster")
    patch_node(monkeypatch, node)
    return node


def run_module(args, check_mode=False, diff=False):
    with (
        patch_module_args(dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)),
        pytest.raises(ExitJson) as exit_info,
    ):
        pcs_hacluster_password.main()
    return exit_info.value.args[0]


def fail_module(args):
    with patch_module_args(args), pytest.raises(FailJson) as fail_info:
        pcs_hacluster_password.main()
    return fail_info.value.args[0]


def test_locked_account_gets_the_password_once(shadow):
    result = run_module({"password": "Cluster-Secret-1"})
    assert result == {"changed": True, "user": "hacluster"}
    assert shadow.field().startswith("$6$")
    assert verify("Cluster-Secret-1", shadow.field())
    argv, data = shadow.calls[0]
    assert argv == [CHPASSWD, "-e"]
    assert "Cluster-Secret-1" not in data  # only the hash goes to chpasswd, on standard input
    assert run_module({"password": "Cluster-Secret-1"})["changed"] is False
    assert len(shadow.calls) == 1


def test_matching_hash_of_another_method_and_salt_is_kept(shadow):
    entry = f"hacluster:{hash_sha512('Cluster-Secret-1', salt='othersalt')}:20780::::::\n"
    shadow.path.write_text(OTHERS + entry)
    assert run_module({"password": "Cluster-Secret-1"})["changed"] is False
    assert shadow.calls == []


def test_different_password_is_replaced(shadow):
    shadow.path.write_text(OTHERS + f"hacluster:{hash_sha512('old')}:20780::::::\n")
    assert run_module({"password": "new"})["changed"] is True
    assert verify("new", shadow.field())
    assert shadow.field("root") == "*"  # other accounts untouched (by the fake chpasswd; the module names one)


def test_check_mode_predicts_without_setting(shadow):
    result = run_module({"password": "Cluster-Secret-1"}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert shadow.calls == []
    assert shadow.field() == "!"
    assert result["diff"] == {
        "before": "password: (unchanged)\n",
        "after": "password: (changed)\n",
        "before_header": f"hacluster in {shadow.path}",
        "after_header": f"hacluster in {shadow.path}",
    }


def test_missing_account_is_refused(shadow):
    shadow.path.write_text(OTHERS)
    assert (
        fail_module({"password": "x"})["msg"]
        == "there is no account 'hacluster' (install pcs first; it creates the account)"
    )


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        *(
            pytest.param(
                {"password": password},
                "the password of 'hacluster' must not be empty or contain a newline or NUL character",
                id=label,
            )
            for label, password in (("empty", ""), ("newline", "two\nlines"), ("nul", "a\0b"))
        ),
        pytest.param(
            {"password": "p" * 512},
            "the password of 'hacluster' is 512 bytes long: libcrypt takes at most 511",
            id="too-long",
        ),
        pytest.param(
            {"password": "ä" * 256},
            "the password of 'hacluster' is 512 bytes long: libcrypt takes at most 511",
            id="too-long-utf8",
        ),
        pytest.param(
            {"password": "Cluster-Secret-1", "user": "hacluster:x"},
            "invalid user name 'hacluster:x': it must not be empty or contain ':', whitespace or control characters",
            id="user-colon",
        ),
        pytest.param(
            {"password": "Cluster-Secret-1", "user": "hacluster\nroot"},
            "invalid user name 'hacluster\\nroot': it must not be empty or contain ':', whitespace or control "
            "characters",
            id="user-newline",
        ),
        pytest.param(
            {"password": "Cluster-Secret-1", "user": ""},
            "invalid user name '': it must not be empty or contain ':', whitespace or control characters",
            id="user-empty",
        ),
        pytest.param(
            {"password": "Cluster-Secret-1", "user": "root"},
            "account 'root' is not in group 'haclient', so pcs cannot authenticate as it: refusing to set its password",
            id="user-not-in-haclient",
        ),
    ],
)
def test_bad_input_is_refused_and_shadow_untouched(shadow, args, msg):
    before = shadow.path.read_text()
    assert fail_module(args)["msg"] == msg
    assert shadow.calls == []
    assert shadow.path.read_text() == before


def test_longest_password_is_accepted(shadow):
    assert run_module({"password": "p" * 511})["changed"] is True
    assert verify("p" * 511, shadow.field())


def test_missing_group_is_refused(shadow, monkeypatch):
    monkeypatch.setattr(pcs_hacluster_password, "in_pcs_group", lambda _user: None)
    assert (
        fail_module({"password": "x"})["msg"]
        == "there is no group 'haclient' (install pcs first; it creates the group)"
    )
    assert shadow.calls == []


@pytest.mark.parametrize(
    ("user", "expected"),
    [("hacluster", True), ("operator", True), ("root", False), ("nosuch", False)],
    ids=["primary-group", "supplementary-group", "other-account", "no-account"],
)
def test_in_pcs_group_reads_primary_and_supplementary_groups(monkeypatch, user, expected):
    groups = {"haclient": SimpleNamespace(gr_gid=104, gr_mem=["operator"])}
    accounts = {"hacluster": 104, "operator": 1000, "root": 0}

    def getpwnam(name):
        if name not in accounts:
            raise KeyError(name)
        return SimpleNamespace(pw_gid=accounts[name])

    monkeypatch.setattr(pcs_hacluster_password.grp, "getgrnam", groups.__getitem__)
    monkeypatch.setattr(pcs_hacluster_password.pwd, "getpwnam", getpwnam)
    assert pcs_hacluster_password.in_pcs_group(user) is expected


def test_in_pcs_group_without_the_group(monkeypatch):
    def getgrnam(name):
        raise KeyError(name)

    monkeypatch.setattr(pcs_hacluster_password.grp, "getgrnam", getgrnam)
    assert pcs_hacluster_password.in_pcs_group("hacluster") is None
