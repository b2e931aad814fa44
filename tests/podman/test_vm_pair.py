"""The lab's virtual machines (lab/vm/): the base of the kernel-level tests.

Two Debian 13 VMs under QEMU (TCG, or KVM where lab/probe.py finds it usable),
booted from the image lab/vm/build-vm-image.sh makes (cached by its recipe),
reached over SSH on the host's loopback with the checkout's key only, joined
by a link of their own. What is proven here is what those tests stand on: the
image is a stock Debian server with nothing of the collection's services, its
kernel has what the containers' kernel lacks (nfsd, the NFS client, autofs,
DRBD), the link carries traffic, and a VM powered off and on comes back on it
while the other keeps running.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VM = REPO / "lab" / "vm" / "vm.sh"
# Ports of this test's own (the defaults stay free for VMs started by hand).
ENV = {**os.environ, "VM_SSH_BASE_PORT": "2420", "VM_LINK_PORT": "2430", "VM_CPUS": "1"}
SERVER, CLIENT = "mailstack-it-vm1", "mailstack-it-vm2"
SERVER_ADDRESS = "192.168.250.11"

pytestmark = pytest.mark.needs("qemu")


def vm(*argv: str, check: bool = True, timeout: int = 900) -> subprocess.CompletedProcess:
    done = subprocess.run([str(VM), *argv], env=ENV, capture_output=True, text=True, check=False, timeout=timeout)
    if check:
        assert done.returncode == 0, f"vm.sh {' '.join(argv)}: {done.stderr[-3000:]}"
    return done


def on(name: str, command: str) -> subprocess.CompletedProcess:
    return vm("ssh", name, command, check=False, timeout=120)


@pytest.fixture(scope="module")
def pair():
    try:
        vm("start", SERVER, "1", "nfs.example.test")
        vm("start", CLIENT, "2", "web.example.test")
        vm("wait", SERVER, "600")
        vm("wait", CLIENT, "600")
        yield
    finally:
        for name in (SERVER, CLIENT):
            vm("stop", name, check=False)


def test_the_image_is_a_stock_debian_server(pair):
    assert on(SERVER, "hostname").stdout.strip() == "nfs.example.test"
    assert on(SERVER, "systemctl is-system-running --wait").stdout.strip() == "running"
    # Nothing of the collection's services: the roles install them.
    for package in ("nfs-kernel-server", "nfs-common", "autofs", "drbd-utils", "postfix", "pacemaker"):
        status = on(SERVER, f"dpkg-query -W -f '${{db:Status-Status}}' {package}").stdout
        assert status != "installed", package
    for needed in ("openssh-server", "python3", "systemd", "linux-image-amd64"):
        assert on(SERVER, f"dpkg-query -W -f '${{db:Status-Status}}' {needed}").stdout == "installed", needed
    # Root has no password; sshd takes keys only.
    assert on(SERVER, "passwd --status root").stdout.split()[1] in ("L", "NP")
    sshd = on(SERVER, "sshd -T").stdout
    assert "passwordauthentication no" in sshd
    assert "kbdinteractiveauthentication no" in sshd


def test_only_the_checkout_key_logs_in(pair, tmp_path):
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    port = (REPO / "lab" / "state" / "vm" / SERVER / "ssh-port").read_text().strip()
    refused = subprocess.run(
        [
            "ssh", "-p", port, "-i", str(other), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "ConnectTimeout=10",
            "root@127.0.0.1", "true",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert refused.returncode == 255
    assert "Permission denied (publickey)" in refused.stderr
    # The SSH port listens on the host's loopback only.
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True).stdout
    assert [line.split()[3] for line in listening.splitlines()] == [f"127.0.0.1:{port}"]


@pytest.mark.parametrize("module", ["nfsd", "nfs", "autofs4", "drbd"])
def test_the_kernel_has_what_the_containers_lack(pair, module):
    loaded = on(CLIENT, f"modprobe {module} && grep -c '^{module} ' /proc/modules")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "1"


def test_the_link_carries_traffic_and_survives_a_power_cycle(pair):
    probe = f'timeout 5 bash -c "exec 3<>/dev/tcp/{SERVER_ADDRESS}/22 && head -c 8 <&3"'
    assert on(CLIENT, probe).stdout == "SSH-2.0-"
    boot_id = "cat /proc/sys/kernel/random/boot_id"
    before = on(SERVER, boot_id).stdout.strip()
    vm("power-cycle", SERVER)
    vm("wait", SERVER, "600")
    after = on(SERVER, boot_id).stdout.strip()
    assert before and after and after != before
    assert on(CLIENT, probe).stdout == "SSH-2.0-"
    # The client kept running: its uptime exceeds the server's.
    client_up = float(on(CLIENT, "cut -d' ' -f1 /proc/uptime").stdout)
    server_up = float(on(SERVER, "cut -d' ' -f1 /proc/uptime").stdout)
    assert client_up > server_up
