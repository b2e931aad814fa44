"""The drbd role's resource filter: defaults filled in, bad values named, collisions refused."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.drbd import drbd_resources, drbd_up


def test_defaults_are_filled_in():
    assert drbd_resources([{"name": "mail", "minor": 2, "disk": "/dev/vg0/mail"}]) == [
        {
            "name": "mail",
            "minor": 2,
            "device": "/dev/drbd2",
            "disk": "/dev/vg0/mail",
            "port": 7790,
            "fstype": "ext4",
            "protocol": "C",
            "firewall_port": {"port": 7790, "proto": "tcp"},
        }
    ]


def test_given_values_win():
    [resource] = drbd_resources(
        [{"name": "a_1", "minor": "0", "disk": "/dev/vdb", "port": 7000, "fstype": "", "protocol": "A"}]
    )
    assert (resource["minor"], resource["port"], resource["fstype"], resource["protocol"]) == (0, 7000, "", "A")


@pytest.mark.parametrize(
    ("resource", "named"),
    [
        ({"name": "bad name", "minor": 0, "disk": "/dev/vdb"}, "'bad name'"),
        ({"name": "x;reboot", "minor": 0, "disk": "/dev/vdb"}, "'x;reboot'"),
        ({"name": "a", "minor": -1, "disk": "/dev/vdb"}, "-1"),
        ({"name": "a", "minor": "one", "disk": "/dev/vdb"}, "'one'"),
        ({"name": "a", "minor": True, "disk": "/dev/vdb"}, "True"),
        ({"name": "a", "disk": "/dev/vdb"}, "None"),
        ({"name": "a", "minor": 0, "disk": "vdb"}, "'vdb'"),
        ({"name": "a", "minor": 0, "disk": "/dev/vdb; rm -rf /"}, "'/dev/vdb; rm -rf /'"),
        ({"name": "a", "minor": 0, "disk": "/dev/../etc/passwd"}, "'/dev/../etc/passwd'"),
        ({"name": "a", "minor": 0, "disk": "/dev/vdb", "port": 70000}, "70000"),
        ({"name": "a", "minor": 0, "disk": "/dev/vdb", "fstype": "btrfs"}, "'btrfs'"),
        ({"name": "a", "minor": 0, "disk": "/dev/vdb", "protocol": "D"}, "'D'"),
        ({"name": "a", "minor": 0, "disk": "/dev/vdb", "device": "/dev/drbd9"}, "['device']"),
    ],
)
def test_bad_values_are_named(resource, named):
    with pytest.raises(AnsibleFilterError, match="drbd_resources: .*" + re.escape(named)):
        drbd_resources([resource])


@pytest.mark.parametrize(
    ("second", "key"),
    [
        ({"name": "a", "minor": 1, "disk": "/dev/vdc"}, "name"),
        ({"name": "b", "minor": 0, "disk": "/dev/vdc", "port": 7000}, "minor"),
        ({"name": "b", "minor": 1, "disk": "/dev/vdb"}, "disk"),
        ({"name": "b", "minor": 1, "disk": "/dev/vdc", "port": 7788}, "port"),
    ],
)
def test_two_resources_cannot_share(second, key):
    with pytest.raises(AnsibleFilterError, match=f"same {key}"):
        drbd_resources([{"name": "a", "minor": 0, "disk": "/dev/vdb"}, second])


@pytest.mark.parametrize("value", ["a", {"name": "a"}, None, ["a"]])
def test_not_a_list_of_mappings(value):
    with pytest.raises(AnsibleFilterError, match="drbd_resources: "):
        drbd_resources(value)


def _cstate(name, rc, stdout):
    return {"item": {"name": name}, "rc": rc, "stdout": stdout}


@pytest.mark.parametrize(
    ("rc", "stdout", "up"),
    [
        (0, "Connected", True),
        (0, "WFConnection", True),
        (0, "StandAlone", True),
        (0, "SyncSource\n", True),
        (0, "Unconfigured", False),
        (0, "Unconfigured\n", False),
        (0, "", False),
        (10, "", False),  # drbdadm: the kernel does not know the resource
    ],
)
def test_drbd_up_reads_the_connection_state(rc, stdout, up):
    result = _cstate("data", rc, stdout)
    assert drbd_up([result]) == ([result] if up else [])
    assert drbd_up([result], False) == ([] if up else [result])


def test_drbd_up_keeps_order_and_results_unchanged():
    results = [_cstate("a", 0, "Connected"), _cstate("b", 0, "Unconfigured"), _cstate("c", 0, "WFConnection")]
    assert [r["item"]["name"] for r in drbd_up(results)] == ["a", "c"]
    assert drbd_up(results, up=False) == [results[1]]


@pytest.mark.parametrize("bad", [None, "Connected", {"rc": 0}, [{"stdout": "Connected"}], ["Connected"]])
def test_drbd_up_refuses_what_is_not_command_results(bad):
    with pytest.raises(AnsibleFilterError, match="drbd_up: "):
        drbd_up(bad)
