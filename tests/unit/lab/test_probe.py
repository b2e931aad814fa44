"""lab/probe.py: the parsing and classification it bases its verdicts on, and
the file and table it writes."""

from __future__ import annotations

import json

import pytest
from capability_marks import _probe_module

probe = _probe_module()

FILESYSTEMS_WITH_AUTOFS = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\tautofs\nnodev\tnfs\nnodev\tnfs4\n\tfuseblk\n"
FILESYSTEMS_WITHOUT = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n\tfuseblk\nnodev\tfuse\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (FILESYSTEMS_WITH_AUTOFS, {"sysfs", "tmpfs", "ext4", "autofs", "nfs", "nfs4", "fuseblk"}),
        (FILESYSTEMS_WITHOUT, {"sysfs", "tmpfs", "ext4", "overlay", "fuseblk", "fuse"}),
        ("", set()),
        ("\n\n", set()),
    ],
)
def test_parse_filesystems(text, expected):
    assert probe.parse_filesystems(text) == expected


def test_autofs_is_not_taken_for_a_substring():
    assert "autofs" not in probe.parse_filesystems("nodev\tautofs4x\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "processor\t: 0\nflags\t\t: fpu vme vmx sse\n\nprocessor\t: 1\nflags\t\t: fpu\n",
            {"fpu", "vme", "vmx", "sse"},
        ),
        ("processor\t: 0\nmodel name\t: AMD\n", set()),
        ("", set()),
    ],
)
def test_parse_cpu_flags(text, expected):
    assert probe.parse_cpu_flags(text) == expected


@pytest.mark.parametrize(
    ("device", "modules", "flags", "usable", "words"),
    [
        (True, {"kvm", "kvm_intel"}, {"vmx"}, True, "kvm_intel"),
        (True, {"kvm", "kvm_amd"}, {"svm"}, True, "kvm_amd"),
        (True, {"kvm", "kvm_pvm"}, set(), False, "kvm_pvm only"),
        (True, {"kvm", "kvm_intel", "kvm_pvm"}, set(), False, "kvm_pvm only"),
        (True, {"kvm"}, {"vmx"}, False, "TCG only"),
        (False, {"kvm_intel"}, {"vmx"}, False, "no /dev/kvm"),
    ],
)
def test_classify_kvm(device, modules, flags, usable, words):
    ok, detail = probe.classify_kvm(device, modules, flags)
    assert ok is usable
    assert words in detail


def test_char_device_check(tmp_path):
    assert probe.is_char_device("/dev/null", 1, 3)
    assert not probe.is_char_device("/dev/null", 10, 235)
    assert not probe.is_char_device(str(tmp_path))
    assert not probe.is_char_device(str(tmp_path / "missing"))


def test_run_ok_names_a_missing_tool():
    ok, message = probe.run_ok(["no-such-tool-mailstack", "x"])
    assert not ok
    assert "no-such-tool-mailstack is not installed" in message


def test_run_ok_reports_failure_and_its_message():
    assert probe.run_ok(["true"]) == (True, "")
    ok, message = probe.run_ok(["sh", "-c", "echo first >&2; echo the reason >&2; exit 3"])
    assert not ok
    assert message == "the reason"


def _data(**present):
    caps = [probe.Capability(name, value, f"{name} detail", f"{name} proof") for name, value in present.items()]
    return probe.report(caps)


def test_table_lists_every_capability_and_what_is_not_proven():
    text = probe.table(_data(autofs=False, fuse=True))
    lines = text.splitlines()
    assert lines[0].startswith("Host capabilities (kernel ")
    assert any(line.split()[:2] == ["autofs", "NO"] for line in lines)
    assert any(line.split()[:2] == ["fuse", "yes"] for line in lines)
    assert "Not proven on this machine:" in lines
    assert "  - autofs: autofs proof" in lines
    assert not any("fuse proof" in line for line in lines)


def test_table_without_missing_capabilities_has_no_missing_section():
    assert "Not proven" not in probe.table(_data(autofs=True))


def test_write_and_load_round_trip(tmp_path):
    path = tmp_path / "state" / "capabilities.json"
    data = _data(autofs=False)
    probe.write(data, path)
    assert json.loads(path.read_text()) == data
    assert probe.load(path) == data
    assert not list(path.parent.glob("*.tmp"))


def test_load_probes_when_the_file_is_missing_or_broken(tmp_path, monkeypatch):
    monkeypatch.setattr(probe, "probe", lambda: [probe.Capability("autofs", True, "d", "p")])
    path = tmp_path / "capabilities.json"
    assert probe.load(path)["capabilities"]["autofs"]["present"] is True
    path.write_text("{not json")
    assert probe.load(path)["capabilities"]["autofs"]["present"] is True
    assert json.loads(path.read_text())["capabilities"]["autofs"]["present"] is True


def test_probe_measures_every_capability_the_tests_name():
    names = {cap.name for cap in probe.probe()}
    assert {"autofs", "fuse", "net_admin", "nftables", "kernel_nfs_client", "kernel_nfs_server", "drbd", "kvm"} <= names
    assert {"qemu", "cgroup2", "podman"} <= names


def test_autofs_verdict_follows_the_kernel_and_the_device(monkeypatch):
    texts = {"/proc/filesystems": FILESYSTEMS_WITH_AUTOFS, "/proc/cpuinfo": ""}
    monkeypatch.setattr(probe, "read", lambda path: texts.get(path, ""))
    monkeypatch.setattr(probe, "run_ok", lambda argv, timeout=20: (True, ""))
    devices = {"/dev/autofs": True}
    monkeypatch.setattr(probe, "is_char_device", lambda path, major=None, minor=None: devices.get(path, False))
    found = {cap.name: cap for cap in probe.probe()}
    assert found["autofs"].present
    assert found["kernel_nfs_client"].present

    devices.clear()
    found = {cap.name: cap for cap in probe.probe()}
    assert not found["autofs"].present
    assert found["autofs"].detail == "kernel has autofs but /dev/autofs is missing"

    texts["/proc/filesystems"] = FILESYSTEMS_WITHOUT
    found = {cap.name: cap for cap in probe.probe()}
    assert not found["autofs"].present
    assert found["autofs"].detail.startswith("kernel has no autofs")
    assert not found["kernel_nfs_client"].present
