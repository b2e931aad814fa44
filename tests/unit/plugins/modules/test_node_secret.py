# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""node_secret: generated once and read back, adopted from an earlier release's
file, never world-readable, nothing written in check mode, the secret never in
a diff, bad input refused naming the value."""

from __future__ import annotations

import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.modules import node_secret
from module_harness import ExitJson, FailJson, patch_exits


@pytest.fixture(autouse=True)
def exits(monkeypatch):
    patch_exits(monkeypatch)


def run(args, *, fail=False, check_mode=False, diff=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args), pytest.raises(FailJson if fail else ExitJson) as raised:
        node_secret.main()
    return raised.value.result


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_generated_once_then_read_back(tmp_path):
    path = tmp_path / "rest-password"
    first = run({"path": str(path)})
    assert first["changed"] is True
    assert first["source"] == "generated"
    assert len(first["secret"]) == 48
    assert first["secret"].isalnum()
    assert path.read_text() == first["secret"] + "\n"
    assert mode_of(path) == 0o600
    again = run({"path": str(path)})
    assert again == {"changed": False, "secret": first["secret"], "source": "node", "path": str(path)}


def test_two_generated_secrets_differ(tmp_path):
    one = run({"path": str(tmp_path / "a"), "length": 16})["secret"]
    two = run({"path": str(tmp_path / "b"), "length": 16})["secret"]
    assert len(one) == len(two) == 16
    assert one != two


def test_check_mode_writes_nothing_and_reports_the_change(tmp_path):
    path = tmp_path / "key"
    result = run({"path": str(path)}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert not path.exists()
    assert result["secret"] not in str(result["diff"])
    assert result["diff"]["before_header"].endswith("(absent)")


def test_adopts_the_secret_an_earlier_release_kept_in_a_config_file(tmp_path):
    config = tmp_path / "mailman.cfg"
    config.write_text("[webservice]\nadmin_user: restadmin\nadmin_pass: Kept0ldPassw0rd\n")
    path = tmp_path / "rest-password"
    adopt = {"path": str(config), "regexp": r"^admin_pass:[ \t]*(\S+)[ \t]*$"}
    result = run({"path": str(path), "adopt": adopt})
    assert (result["changed"], result["source"], result["secret"]) == (True, "adopted", "Kept0ldPassw0rd")
    assert path.read_text() == "Kept0ldPassw0rd\n"
    # Later the file wins, whatever the old config says.
    config.write_text("admin_pass: SomethingElse1\n")
    kept = run({"path": str(path), "adopt": adopt})
    assert (kept["source"], kept["secret"]) == ("node", "Kept0ldPassw0rd")


@pytest.mark.parametrize(
    "config",
    [
        None,  # no earlier file
        "api_key: SecretArchiverAPIKey\n",  # the package's sample value
        "api_key:\n",  # empty
        "something: else\n",
    ],
)
def test_nothing_to_adopt_generates(tmp_path, config):
    old = tmp_path / "mailman-hyperkitty.cfg"
    if config is not None:
        old.write_text(config)
    adopt = {"path": str(old), "regexp": r"^api_key:[ \t]*(\S+)[ \t]*$", "ignore": ["SecretArchiverAPIKey"]}
    result = run({"path": str(tmp_path / "archiver-key"), "adopt": adopt})
    assert result["source"] == "generated"
    assert "SecretArchiverAPIKey" not in result.values()


def test_owner_group_and_mode_are_repaired_and_shown_without_the_secret(tmp_path):
    path = tmp_path / "key"
    secret = run({"path": str(path)})["secret"]
    os.chmod(path, 0o644)
    checked = run({"path": str(path)}, check_mode=True, diff=True)
    assert checked["changed"] is True
    assert mode_of(path) == 0o644
    assert "0600" in checked["diff"]["after"]
    assert secret not in str(checked["diff"])
    fixed = run({"path": str(path), "mode": "0640"})
    assert fixed["changed"] is True
    assert mode_of(path) == 0o640
    assert run({"path": str(path), "mode": "0640"})["changed"] is False


def test_read_only_consumer_fails_naming_the_missing_file(tmp_path):
    path = tmp_path / "archiver-key"
    result = run({"path": str(path), "create": False}, fail=True)
    assert str(path) in result["msg"]
    assert not path.exists()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"mode": "0644"}, "0644"),
        ({"mode": "rw"}, "'rw'"),
        ({"length": 8}, "length 8"),
        ({"owner": "no-such-user-here"}, "no-such-user-here"),
        ({"group": "no-such-group-here"}, "no-such-group-here"),
        ({"adopt": {"path": "/nonexistent", "regexp": "("}}, "'('"),
        ({"adopt": {"path": "/nonexistent", "regexp": "admin_pass"}}, "no group"),
    ],
)
def test_bad_input_fails_naming_the_value_and_writes_nothing(tmp_path, args, named):
    path = tmp_path / "key"
    result = run({"path": str(path), **args}, fail=True)
    assert named in result["msg"]
    assert not path.exists()


def test_a_file_that_holds_no_secret_is_refused_not_replaced(tmp_path):
    path = tmp_path / "key"
    path.write_text("two words\n")
    result = run({"path": str(path)}, fail=True)
    assert str(path) in result["msg"]
    assert path.read_text() == "two words\n"


def test_missing_directory_fails_naming_the_path(tmp_path):
    path = tmp_path / "missing" / "key"
    result = run({"path": str(path)}, fail=True)
    assert str(path) in result["msg"]


def test_a_given_secret_is_kept_in_the_file_for_other_hosts(tmp_path):
    path = tmp_path / "rest-password"
    first = run({"path": str(path), "value": "given-by-the-vault-1"}, diff=True)
    assert (first["changed"], first["source"]) == (True, "given")
    assert "secret" not in first
    assert "given-by-the-vault-1" not in str(first["diff"])
    assert path.read_text() == "given-by-the-vault-1\n"
    assert mode_of(path) == 0o600
    assert run({"path": str(path), "value": "given-by-the-vault-1"})["changed"] is False
    # A generated secret gives way to one the inventory gives later.
    checked = run({"path": str(path), "value": "rotated-in-the-vault-2"}, check_mode=True)
    assert checked["changed"] is True
    assert path.read_text() == "given-by-the-vault-1\n"
    assert run({"path": str(path), "value": "rotated-in-the-vault-2"})["changed"] is True
    assert path.read_text() == "rotated-in-the-vault-2\n"


def test_a_given_value_that_is_no_secret_is_refused(tmp_path):
    path = tmp_path / "key"
    result = run({"path": str(path), "value": "two words"}, fail=True)
    assert str(path) in result["msg"]
    assert "two words" not in result["msg"]
    assert not path.exists()
