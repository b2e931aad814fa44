"""The VMs of the kernel tier and how the tests reach them.

nfs.example.test serves NFS with the kernel server, web.example.test mounts
it through an autofs direct map; both run a DRBD resource under Pacemaker.
The VMs are reached over SSH on the host's loopback (lab/vm/vm.sh); each
command is a channel of one ssh master per VM. The tests change the pair
(standby, a reboot) and run in file order.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER, CLIENT = "nfs.example.test", "web.example.test"
LINK = {SERVER: "192.168.250.11", CLIENT: "192.168.250.12"}
EXPORT = "/srv/mailman3"
_CONTROL = tempfile.mkdtemp(prefix="mailstack-vm-")
atexit.register(shutil.rmtree, _CONTROL, True)


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str


@dataclass
class VirtualMachine:
    name: str

    def _args(self) -> list[str]:
        port = (REPO / "lab" / "state" / "vm" / self.name / "ssh-port").read_text().strip()
        return [
            "-F", str(REPO / "lab" / "state" / "ssh" / "config"), "-o", "ProxyCommand=none", "-p", port,
            "-o", "ControlMaster=auto", "-o", f"ControlPath={_CONTROL}/{port}", "-o", "ControlPersist=60",
            "-o", "ConnectTimeout=10", "-o", "BatchMode=yes", "127.0.0.1",
        ]  # fmt: skip

    def run(self, command: str, timeout: int = 300) -> Result:
        done = subprocess.run(
            ["ssh", *self._args(), command], capture_output=True, text=True, check=False, timeout=timeout
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def check(self, command: str, timeout: int = 300) -> str:
        result = self.run(command, timeout)
        assert result.rc == 0, f"{self.name}: {command!r} failed ({result.rc}): {result.stderr[-2000:]}"
        return result.stdout

    def wait_for(self, command: str, timeout: int, what: str) -> str:
        """Run `command` until it succeeds; fail naming `what` after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        last = Result(-1, "", "never ran")
        while time.monotonic() < deadline:
            try:
                last = self.run(command, timeout=60)
            except subprocess.TimeoutExpired:
                last = Result(-1, "", "timed out")
            if last.rc == 0:
                return last.stdout
            time.sleep(3)
        pytest.fail(f"{self.name}: {what} not within {timeout} s ({command!r}: {last.stderr[-1000:]})")
