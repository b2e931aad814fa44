"""The kernel tier (molecule scenario `kernel`): two Debian 13 VMs under QEMU.

nfs.example.test serves NFS with the kernel server, web.example.test mounts
it through an autofs direct map; both run a DRBD resource under Pacemaker.
The tests change the pair (a failover, a reboot) and run in file order.
"""

from __future__ import annotations

import pytest
from vms import CLIENT, SERVER, VirtualMachine


@pytest.fixture(scope="session")
def server() -> VirtualMachine:
    return VirtualMachine(SERVER)


@pytest.fixture(scope="session")
def client() -> VirtualMachine:
    return VirtualMachine(CLIENT)
