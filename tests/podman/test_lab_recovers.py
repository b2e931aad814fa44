"""`make lab` after a failed or interrupted `make lab` resumes (lab/lab.sh up):
units an earlier run left failed are reported, reset and left to site.yml to
start again, packages left half-installed are configured, stopped nodes are
started, instead of the lab refusing to run until `make lab-destroy`.

The lab here is a separate one (its own container names, network and
subnet), so a running `make lab` is not touched."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PREFIX = "mailstack-labtest"
DISTRO = os.environ.get("DISTROS", "debian13").split()[0]
ENV = {**os.environ, "LAB_PREFIX": PREFIX, "LAB_SUBNET": "10.213.62.0/24", "DISTRO": DISTRO}

pytestmark = pytest.mark.needs("podman")


def lab(*args: str) -> subprocess.CompletedProcess:
    """lab.sh with its output in a file: the script filters podman's stderr
    through a process that conmon keeps open, so a pipe would never end."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.run([str(REPO / "lab" / "lab.sh"), *args], env=ENV, stdout=out, stderr=err, check=False)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())


def on(node: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", "exec", f"{PREFIX}-{node}", *argv], capture_output=True, text=True, check=False)


# A package whose installation stopped after unpacking, as an interrupted apt leaves it.
HALF_INSTALLED = r"""
set -e
mkdir -p /tmp/half/DEBIAN
printf 'Package: mailstack-half\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.test>\nDescription: t\n' \
  > /tmp/half/DEBIAN/control
dpkg-deb --build /tmp/half /tmp/half.deb >/dev/null
dpkg --unpack /tmp/half.deb >/dev/null
"""


@pytest.fixture
def testlab():
    image = f"localhost/mailstack-base:{DISTRO}"
    assert subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0, f"{image}: make images"
    lab("down")
    yield
    down = lab("down")
    assert down.returncode == 0, down.stderr


def test_lab_up_resumes_after_failed_units_half_installed_packages_and_stopped_nodes(testlab):
    first = lab("up")
    assert first.returncode == 0, first.stderr
    # What a failed run leaves: a unit that failed to start (systemd "degraded"),
    # a package dpkg did not finish, and a node stopped half-way.
    on("web", "systemd-run", "--unit=mailstack-broken", "--property=Type=oneshot", "false")
    assert on("web", "systemctl", "is-system-running").stdout.strip() == "degraded"
    assert on("mail", "sh", "-c", HALF_INSTALLED).returncode == 0
    assert "mailstack-half" in on("mail", "dpkg", "--audit").stdout
    subprocess.run(["podman", "stop", "--time", "5", f"{PREFIX}-mail"], check=True, capture_output=True)

    again = lab("up")
    assert again.returncode == 0, again.stderr
    assert f"starting {PREFIX}-mail" in again.stderr
    assert "units left failed by an earlier run" in again.stderr
    assert "mailstack-broken.service" in again.stderr
    assert "dpkg --configure -a" in again.stderr
    assert on("web", "systemctl", "is-system-running").stdout.strip() == "running"
    assert on("mail", "systemctl", "is-system-running").stdout.strip() == "running"
    assert on("mail", "dpkg", "--audit").stdout == ""
    assert on("mail", "dpkg-query", "-W", "-f", "${db:Status-Status}", "mailstack-half").stdout == "installed"

    # A third run finds nothing to mend.
    third = lab("up")
    assert third.returncode == 0, third.stderr
    assert "earlier run" not in third.stderr
