"""Unprivileged podman systemd containers for the podman suites: a fresh
Debian node of the first release of DISTROS, named by the test."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

# The PLAY RECAP parser of the end-to-end suites.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "testinfra"))

from playbook_runs import recap

DISTRO = os.environ.get("DISTROS", "debian13").split()[0]


def on(container: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", "exec", container, *argv], capture_output=True, text=True, check=False)


@contextlib.contextmanager
def systemd_container(name: str, hostname: str, *options: str):
    """Start the container (with further `podman run` options), wait until systemd runs (not degraded),
    remove it afterwards."""
    image = f"localhost/mailstack-base:{DISTRO}"
    assert subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0, f"{image}: make images"
    subprocess.run(["podman", "rm", "--force", name], check=False, capture_output=True)
    subprocess.run(
        ["podman", "run", "-d", "--name", name, "--hostname", hostname, "--systemd=always", *options, image],
        check=True,
        capture_output=True,
    )
    try:
        state = ""
        for _attempt in range(60):
            state = on(name, "systemctl", "is-system-running", "--wait").stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        assert state == "running", on(name, "systemctl", "--failed", "--no-legend").stdout
        yield name
    finally:
        subprocess.run(["podman", "rm", "--force", "--time", "5", name], check=False, capture_output=True)


@contextlib.contextmanager
def podman_object(kind: str, name: str):
    """A podman network or volume of the test's own, made afresh and removed afterwards (after the
    containers that use it: enter it before them). A network has podman's DNS for the containers'
    names and aliases."""
    subprocess.run(["podman", kind, "rm", "--force", name], check=False, capture_output=True)
    subprocess.run(["podman", kind, "create", name], check=True, capture_output=True)
    try:
        yield name
    finally:
        subprocess.run(["podman", kind, "rm", "--force", name], check=False, capture_output=True)


def host_recap(output: str, host: str) -> dict[str, int]:
    """The PLAY RECAP counters of `host` in an ansible-playbook output; fails the test when it has none."""
    counters = recap(output).get(host)
    assert counters is not None, output[-3000:]
    return counters
