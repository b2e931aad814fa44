"""Hosts for the end-to-end tests, picked by inventory group.

The suite runs against the inventory of a molecule scenario (molecule sets
MOLECULE_INVENTORY_FILE) or against the lab (MAILSTACK_INVENTORY, default
inventories/lab/hosts.yml). Nodes are podman containers: the tests reach them
with testinfra's ssh backend over the lab's connection (nodes.py), which is
much faster than running every command through Ansible.

A test asks for `mail_node`, `web_node` or `any_node` and is run once per host
of that group (`any_node`: every host).
"""

from __future__ import annotations

import pytest
import testinfra
from nodes import REPO, container_of, group_hosts, inventory, inventory_file, node

__all__ = ["REPO", "container_of", "group_hosts", "inventory", "inventory_file", "node"]

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
