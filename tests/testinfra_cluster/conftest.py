"""The failover suite of the molecule `cluster` scenario: mail1 and mail2 form a
Pacemaker cluster, web uses the floating address.

It shares the helpers of the main end-to-end suite (tests/testinfra): the
inventory, the SMTP client and the HTTPS client. Its tests change the cluster
(standby, stopped daemons, a killed node) and run in file order.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "testinfra"))

from nodes import group_hosts, node


@pytest.fixture(scope="session")
def cluster_names() -> list[str]:
    names = group_hosts("cluster")
    assert len(names) == 2, f"the cluster scenario needs two cluster nodes, the inventory has {names}"
    return names


@pytest.fixture(scope="session")
def floating_address(cluster_names) -> str:
    """The address of the cluster's IPaddr2 resource, as Pacemaker has it."""
    for name in cluster_names:
        result = node(name).run("crm_resource --resource mail-ip --get-parameter ip")
        if result.rc == 0 and result.stdout.strip():
            return result.stdout.strip().splitlines()[-1]
    pytest.fail("no node could tell the floating address (resource mail-ip)")


@pytest.fixture(scope="session")
def web():
    return node(group_hosts("web")[0])
