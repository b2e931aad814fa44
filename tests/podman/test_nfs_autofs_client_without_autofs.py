"""nfs_autofs_client on a host whose kernel cannot run autofs, on every machine.

The host is an unprivileged podman systemd container: it has no /dev/autofs
(and could not mount an autofs filesystem) even where the host kernel has
autofs, so both paths of the role run wherever CI runs, whatever lab/probe.py
found:

- without nfs_autofs_client_without_kernel_autofs the role fails in its
  preflight, naming what is missing, and changes nothing (no package, no map,
  no account);
- with it the maps are written and read back with `automount -m`, autofs is
  left stopped and disabled, systemd is not degraded, one warning says that
  mounting on access is not in effect; a second run and a check-mode run
  change nothing.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from podman_nodes import host_recap, systemd_container

REPO = Path(__file__).resolve().parents[2]
CONTAINER = "mailstack-it-noautofs"
HOST = "noautofs.example.test"

pytestmark = pytest.mark.needs("podman")

ROLE_VARS = {
    "nfs_autofs_client_direct_mounts": [{"path": "/srv/shared", "server": "192.0.2.10", "export": "/srv/export"}],
    "nfs_autofs_client_local_directories": [
        {"path": "/run/mailstack-it", "owner": "list", "group": "list", "mode": "0755"}
    ],
    # No NFS server in this test: the export check (nfs-ls) has nothing to reach.
    "nfs_autofs_client_check_tools": False,
}
MESSAGE = (
    f"nfs_autofs_client: autofs cannot run on {HOST}: missing filesystem autofs (not in /proc/filesystems), "
    "device /dev/autofs"
)


def on(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", "exec", CONTAINER, *argv], capture_output=True, text=True, check=False)


def play(tmp_path: Path, extra: dict, *options: str) -> tuple[int, str]:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        json.dumps({"all": {"hosts": {HOST: {"ansible_host": CONTAINER, "ansible_connection": "lab_podman"}}}})
    )
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        json.dumps(
            [
                {
                    "name": "NFS client without kernel autofs",
                    "hosts": "all",
                    "gather_facts": True,
                    "roles": [{"role": "listserv.mailstack.nfs_autofs_client", "vars": {**ROLE_VARS, **extra}}],
                }
            ]
        )
    )
    env = {
        **os.environ,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
    }
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(playbook), *options],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def snapshot() -> dict[str, str]:
    files = ["/etc/passwd", "/etc/group", "/etc/auto.master"]
    sums = on("sh", "-c", "sha256sum " + " ".join(files) + " 2>&1; ls -la /etc/auto.master.d /etc/tmpfiles.d 2>&1")
    return {
        "files": sums.stdout,
        "autofs": on("dpkg-query", "-W", "-f", "${db:Status-Status}", "autofs").stdout,
        "direct_map": str(on("test", "-e", "/etc/auto.direct").returncode),
        "units": on("systemctl", "list-unit-files", "--no-legend", "autofs.service").stdout,
    }


@pytest.fixture(scope="module")
def container():
    with systemd_container(CONTAINER, HOST) as name:
        yield name


def test_preflight_fails_naming_what_is_missing_and_changes_nothing(container, tmp_path):
    assert on("test", "-e", "/dev/autofs").returncode != 0, "an unprivileged container must lack /dev/autofs"
    before = snapshot()
    returncode, output = play(tmp_path, {})
    assert returncode != 0, output[-3000:]
    assert MESSAGE in output, output[-3000:]
    assert "nothing was changed" in output
    assert "nfs_autofs_client_without_kernel_autofs: true" in output
    assert host_recap(output, HOST)["changed"] == 0
    assert host_recap(output, HOST)["failed"] == 1
    assert snapshot() == before
    assert before["autofs"] != "installed"


def test_without_kernel_autofs_writes_the_maps_leaves_autofs_stopped_and_warns(container, tmp_path):
    returncode, output = play(tmp_path, {"nfs_autofs_client_without_kernel_autofs": True})
    assert returncode == 0, output[-4000:]
    warnings = re.findall(r"\[WARNING\]: nfs_autofs_client: autofs cannot run", output)
    assert len(warnings) == 1, output[-4000:]
    assert "mounting on access is" in output and "NOT in effect on this host" in output
    assert host_recap(output, HOST)["changed"] > 0

    dump = on("automount", "-m").stdout
    line = next((entry for entry in dump.splitlines() if "/srv/shared" in entry), "")
    assert "-fstype=nfs,rw,suid,hard" in line.replace(" ", "") and "192.0.2.10:/srv/export" in line, dump
    assert on("systemctl", "is-active", "autofs").stdout.strip() == "inactive"
    assert on("systemctl", "is-enabled", "autofs").stdout.strip() == "disabled"
    assert on("systemctl", "is-system-running").stdout.strip() == "running"
    assert on("test", "-d", "/run/mailstack-it").returncode == 0

    returncode, output = play(tmp_path, {"nfs_autofs_client_without_kernel_autofs": True})
    assert returncode == 0, output[-4000:]
    assert host_recap(output, HOST)["changed"] == 0, output[-4000:]

    returncode, output = play(tmp_path, {"nfs_autofs_client_without_kernel_autofs": True}, "--check", "--diff")
    assert returncode == 0, output[-4000:]
    assert host_recap(output, HOST)["changed"] == 0, output[-4000:]
