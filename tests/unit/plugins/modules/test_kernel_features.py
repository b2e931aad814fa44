# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""kernel_features: what it reports, fails on and warns about, against a fake
/proc/filesystems and device nodes."""

from __future__ import annotations

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.modules import kernel_features
from module_harness import ExitJson, FailJson, patch_exits

WITHOUT_AUTOFS = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\nnodev\tfuse\n"
WITH_AUTOFS = WITHOUT_AUTOFS + "nodev\tautofs\n"


@pytest.fixture
def node(monkeypatch, tmp_path):
    state = {"filesystems": WITHOUT_AUTOFS, "devices": set(), "warnings": []}
    proc = tmp_path / "filesystems"

    def write():
        proc.write_text(state["filesystems"])

    state["write"] = write
    write()
    monkeypatch.setattr(kernel_features, "PROC_FILESYSTEMS", str(proc))
    monkeypatch.setattr(kernel_features, "is_char_device", lambda path: path in state["devices"])
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda _module, text: state["warnings"].append(text))
    patch_exits(monkeypatch)
    return state


def run(args, *, fail=False, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode)
    with patch_module_args(args), pytest.raises(FailJson if fail else ExitJson) as raised:
        kernel_features.main()
    return raised.value.result


AUTOFS = {"filesystems": ["autofs"], "devices": ["/dev/autofs"]}


def test_reports_what_is_missing(node):
    result = run(AUTOFS)
    assert result["changed"] is False
    assert result["present"] is False
    assert result["filesystems"] == {"autofs": False}
    assert result["devices"] == {"/dev/autofs": False}
    assert result["missing_items"] == [
        f"filesystem autofs (not in {kernel_features.PROC_FILESYSTEMS})",
        "device /dev/autofs",
    ]
    assert node["warnings"] == []


def test_present_when_kernel_and_device_have_it(node):
    node["filesystems"] = WITH_AUTOFS
    node["write"]()
    node["devices"].add("/dev/autofs")
    for missing in ("fail", "warn", "report"):
        result = run(dict(AUTOFS, missing=missing))
        assert result["present"] is True
        assert result["missing_items"] == []
    assert node["warnings"] == []


def test_kernel_without_the_device_is_missing_only_the_device(node):
    node["filesystems"] = WITH_AUTOFS
    node["write"]()
    result = run(AUTOFS)
    assert result["filesystems"] == {"autofs": True}
    assert result["missing_items"] == ["device /dev/autofs"]


def test_fail_names_purpose_missing_and_consequence(node):
    result = run(
        dict(AUTOFS, missing="fail", purpose="autofs cannot run on web", consequence="nothing changed"), fail=True
    )
    assert result["msg"] == (
        f"autofs cannot run on web: missing filesystem autofs (not in {kernel_features.PROC_FILESYSTEMS}), "
        "device /dev/autofs; nothing changed"
    )
    assert result["present"] is False


def test_fail_in_check_mode_too(node):
    result = run(dict(AUTOFS, missing="fail"), fail=True, check_mode=True)
    assert "missing filesystem autofs" in result["msg"]


def test_warn_once_and_succeed(node):
    result = run(dict(AUTOFS, missing="warn", purpose="autofs cannot run on web", consequence="not mounted on access"))
    assert result["present"] is False
    assert node["warnings"] == [
        f"autofs cannot run on web: missing filesystem autofs (not in {kernel_features.PROC_FILESYSTEMS}), "
        "device /dev/autofs; not mounted on access"
    ]


def test_nothing_wanted_is_present(node):
    assert run({})["present"] is True


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ({"filesystems": ["auto fs"]}, "filesystems: 'auto fs' is not a filesystem name"),
        ({"filesystems": ["autofs\nnfs"]}, "is not a filesystem name"),
        ({"filesystems": [""]}, "filesystems: '' is not a filesystem name"),
        ({"devices": ["dev/autofs"]}, "devices: 'dev/autofs' is not an absolute path"),
        ({"missing": "ignore"}, "value of missing must be one of"),
    ],
)
def test_bad_input_is_refused_by_name(node, args, words):
    assert words in run(args, fail=True)["msg"]


def test_unreadable_proc_is_an_error(node, monkeypatch, tmp_path):
    monkeypatch.setattr(kernel_features, "PROC_FILESYSTEMS", str(tmp_path / "missing"))
    assert "cannot read" in run(AUTOFS, fail=True)["msg"]


def test_real_char_device_check():
    assert kernel_features.is_char_device("/dev/null")
    assert not kernel_features.is_char_device("/")
    assert not kernel_features.is_char_device("/no/such/device")
