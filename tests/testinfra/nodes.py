"""The inventory the end-to-end suites run against, and its nodes.

The suites run against the inventory of a molecule scenario (molecule sets
MOLECULE_INVENTORY_FILE) or against the lab (MAILSTACK_INVENTORY, default
inventories/lab/hosts.yml). Nodes are podman containers reached with
testinfra's podman backend (`podman exec`).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import testinfra

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
def node(name: str) -> testinfra.host.Host:
    return testinfra.get_host(f"podman://{container_of(name)}")


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
