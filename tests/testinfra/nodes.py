"""The inventory the end-to-end suites run against, and its nodes.

The suites run against the inventory of a molecule scenario (molecule sets
MOLECULE_INVENTORY_FILE) or against the lab (MAILSTACK_INVENTORY, default
inventories/lab/hosts.yml). Nodes are podman containers reached with
testinfra's ssh backend through the lab's connection (lab/ssh-proxy: sshd on
one `podman exec` per node, each command a channel of that master): 17 ms a
command where `podman exec` took 200 ms, and a tenth of the CPU.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import testinfra
from testinfra.backend.base import CommandResult
from testinfra.backend.ssh import SshBackend

REPO = Path(__file__).resolve().parents[2]


def inventory_file() -> str:
    return os.environ.get("MOLECULE_INVENTORY_FILE") or os.environ.get(
        "MAILSTACK_INVENTORY", str(REPO / "inventories" / "lab" / "hosts.yml")
    )


@functools.cache
def inventory() -> dict:
    out = subprocess.run(
        ["ansible-inventory", "--list", "-i", inventory_file()],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


def group_hosts(group: str) -> list[str]:
    data = inventory()
    hosts = list(data.get(group, {}).get("hosts", []))
    for child in data.get(group, {}).get("children", []):
        hosts.extend(h for h in group_hosts(child) if h not in hosts)
    return hosts


def container_of(name: str) -> str:
    return inventory()["_meta"]["hostvars"].get(name, {}).get("ansible_host", name)


@functools.cache
def ssh_config() -> str:
    """The lab's ssh configuration (lab/state/ssh/config, written by `lab/ssh-proxy --key`),
    with this process's own masters."""
    subprocess.run([str(REPO / "lab" / "ssh-proxy"), "--key"], check=True, capture_output=True, text=True)
    # A short directory: a control socket's path must fit in 108 bytes.
    directory = tempfile.mkdtemp(prefix="mailstack-ssh-")
    config = Path(directory) / "config"
    # ssh takes the first value of each option: these lines before the lab's.
    config.write_text(
        "ControlMaster auto\n"
        "ControlPersist 60\n"
        f"ControlPath {directory}/%C\n"
        f'Include "{REPO / "lab" / "state" / "ssh" / "config"}"\n'
    )
    atexit.register(_close_masters, str(config), directory)
    return str(config)


def _close_masters(config: str, directory: str) -> None:
    for name in sorted(_CONTAINERS):
        subprocess.run(["ssh", "-F", config, "-O", "exit", name], check=False, capture_output=True)
    shutil.rmtree(directory, ignore_errors=True)


_CONTAINERS: set[str] = set()


class LabSshBackend(SshBackend):
    """testinfra's ssh backend, with ssh's own failures (exit 255: a node
    stopped or restarting) returned as a result like any other exit status, as
    `podman exec` returned its own (125) before, instead of raised."""

    def run_ssh(self, command: str) -> CommandResult:
        cmd, cmd_args = self._build_ssh_command(command)
        out = self.run_local(" ".join(cmd), *cmd_args)
        out.command = self.encode(command)
        return out


@functools.cache
def node(name: str) -> testinfra.host.Host:
    container = container_of(name)
    _CONTAINERS.add(container)
    # controlpersist=0: the configuration's masters, not testinfra's own options.
    return testinfra.host.Host(LabSshBackend(container, ssh_config=ssh_config(), controlpersist=0))


def podman(*args: str) -> str:
    """A podman command on the test runner's host; its output."""
    return subprocess.run(["podman", *args], check=True, capture_output=True, text=True).stdout.strip()


def networks_of(container: str) -> dict:
    """The container's networks and its address on each (podman inspect)."""
    return json.loads(podman("inspect", "--format", "{{json .NetworkSettings.Networks}}", container))


def start_with_addresses(container: str, networks: dict) -> None:
    """Start a stopped container again with the addresses it had: other nodes'
    firewall tables and exports name addresses, and podman would hand out new ones."""
    for network, settings in networks.items():
        podman("network", "disconnect", network, container)
        podman("network", "connect", "--ip", settings["IPAddress"], network, container)
    podman("start", container)
