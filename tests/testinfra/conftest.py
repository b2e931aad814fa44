"""Hosts for the end-to-end tests, picked by inventory group.

The suite runs against the inventory of a molecule scenario (molecule sets
MOLECULE_INVENTORY_FILE) or against the lab (MAILSTACK_INVENTORY, default
inventories/lab/hosts.yml). Nodes are podman containers: the tests reach them
with testinfra's podman backend (`podman exec`), which is much faster than
running every command through Ansible.

A test asks for `mail_node`, `web_node` or `any_node` and is run once per host
of that group (`any_node`: every host).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path

import pytest
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


_GROUP_FIXTURES = {"mail_node": "mail", "web_node": "web", "any_node": "all"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for fixture, group in _GROUP_FIXTURES.items():
        if fixture in metafunc.fixturenames:
            names = group_hosts(group)
            metafunc.parametrize(fixture, names, ids=names, indirect=True)


@pytest.fixture
def mail_node(request: pytest.FixtureRequest) -> testinfra.host.Host:
    return node(request.param)


@pytest.fixture
def web_node(request: pytest.FixtureRequest) -> testinfra.host.Host:
    return node(request.param)


@pytest.fixture
def any_node(request: pytest.FixtureRequest) -> testinfra.host.Host:
    return node(request.param)


@pytest.fixture(scope="session")
def mail_names() -> list[str]:
    return group_hosts("mail")


@pytest.fixture(scope="module")
def mail() -> testinfra.host.Host:
    """The first mail node, for tests that talk to one of them."""
    return node(group_hosts("mail")[0])


@pytest.fixture(scope="module")
def web() -> testinfra.host.Host:
    """The first web node, for tests that talk to one of them."""
    return node(group_hosts("web")[0])
