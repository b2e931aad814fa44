"""Run the collection's playbooks from an end-to-end test, against the same
inventory as the suite (a molecule scenario's, or the lab's), and read the
results Ansible prints."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from nodes import REPO, inventory_file


def run_playbook(playbook: str | Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`ansible-playbook` with the suite's inventory; fails the test on a non-zero exit when `check`."""
    path = Path(playbook)
    if not path.is_absolute():
        path = REPO / "playbooks" / path
    proc = subprocess.run(
        ["ansible-playbook", "-i", inventory_file(), str(path), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={
            **os.environ,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_CONNECTION_PLUGINS": str(REPO / "lab" / "connection_plugins"),
            "ANSIBLE_PIPELINING": "1",
        },
    )
    if check:
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc


def playbook(name: str | Path, *args: str) -> str:
    """The output of a playbook run that must succeed."""
    return run_playbook(name, *args).stdout


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host: {"mail.example.test": {"ok": 12, "changed": 0, ...}}."""
    hosts: dict[str, dict[str, int]] = {}
    for line in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        hosts[line[0]] = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line[1])}
    return hosts


def changed(output: str) -> dict[str, int]:
    """changed= of every host in the PLAY RECAP."""
    return {host: counters["changed"] for host, counters in recap(output).items()}
