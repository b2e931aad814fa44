"""The mailman role's stale digest lock cleaner (files/libexec/mailman-clear-stale-dotlocks),
run for real against a directory laid out like /var/lib/mailman3/lists."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROLE = Path(__file__).resolve().parents[3] / "roles" / "mailman"
SCRIPT = ROLE / "files" / "libexec" / "mailman-clear-stale-dotlocks"
# The script looks for Mailman processes with pgrep: run it in a PID namespace
# of its own, so that Mailman processes elsewhere on this machine (the lab's
# containers) stay out of sight, as they are on a real node.
ISOLATED = ["unshare", "--pid", "--fork", "--mount-proc"]


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    for name in ("team.lists.example.test", "discuss.lists.example.test"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "digest.mmdf").write_text("From x\n")
    (tmp_path / "team.lists.example.test" / "digest.mmdf.lock").write_text("")
    return tmp_path


def run(lists_dir: Path, holder: str | None = None) -> subprocess.CompletedProcess:
    """The script, alone in its PID namespace or next to a process whose command line is `holder`."""
    script = f"{SCRIPT} {lists_dir}"
    if holder:
        script = f"(exec -a {holder} sleep 30) & sleep 0.2; {script}; kill %1"
    return subprocess.run([*ISOLATED, "bash", "-c", script], capture_output=True, text=True, check=False)


def test_removes_a_lock_when_no_mailman_process_runs(lists):
    result = run(lists)
    assert result.returncode == 0, result.stderr
    assert not (lists / "team.lists.example.test" / "digest.mmdf.lock").exists()
    assert "removed stale lock" in result.stdout
    assert "team.lists.example.test/digest.mmdf.lock" in result.stdout
    # The digests themselves stay.
    assert (lists / "team.lists.example.test" / "digest.mmdf").read_text() == "From x\n"
    assert (lists / "discuss.lists.example.test" / "digest.mmdf").exists()


def test_keeps_every_lock_while_a_mailman_process_runs(lists):
    # A process whose command line starts like Mailman's CLI.
    result = run(lists, holder="/usr/bin/mailman")
    assert result.returncode == 0, result.stderr
    assert (lists / "team.lists.example.test" / "digest.mmdf.lock").exists()
    assert "no lock removed" in result.stdout


def test_other_processes_do_not_count(lists):
    result = run(lists, holder="/usr/bin/vim-mailman-notes")
    assert "removed stale lock" in result.stdout


def test_only_files_directly_in_a_list_directory(lists):
    deeper = lists / "team.lists.example.test" / "sub"
    deeper.mkdir()
    (deeper / "keep.lock").write_text("")
    (lists / "top.lock").write_text("")
    run(lists)
    assert (deeper / "keep.lock").exists()
    assert (lists / "top.lock").exists()


def test_a_missing_directory_is_not_an_error(tmp_path):
    result = run(tmp_path / "absent")
    assert result.returncode == 0
    assert result.stdout == ""


def test_a_lock_name_with_spaces(lists):
    odd = lists / "odd list" / "digest.mmdf.lock"
    odd.parent.mkdir()
    odd.write_text("")
    assert run(lists).returncode == 0
    assert not odd.exists()
