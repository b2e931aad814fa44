"""The drbd role's resource file, rendered with the role's own variables."""

from __future__ import annotations

import re

import pytest
from role_render import render_template

NODES = [{"name": "mail1", "address": "10.0.0.1"}, {"name": "mail2", "address": "10.0.0.2"}]
HOSTVARS = {
    "mail1": {"ansible_facts": {"nodename": "mail1.example.org"}},
    "mail2": {"ansible_facts": {"nodename": "mail2.example.org"}},
}
RESOURCE = {
    "name": "mail",
    "minor": 1,
    "device": "/dev/drbd1",
    "disk": "/dev/vg0/mail",
    "port": 7789,
    "fstype": "ext4",
    "protocol": "C",
}


def render(**overrides) -> str:
    return render_template(
        "drbd",
        "etc/drbd.d/resource.res.j2",
        item=RESOURCE,
        drbd_nodes=NODES,
        hostvars=HOSTVARS,
        groups={},
        inventory_hostname="mail1",
        **overrides,
    )


def statements(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_each_node_by_its_host_name_at_its_replication_address():
    text = render()
    assert re.findall(r"on (\S+) \{\s*address (\S+);", text) == [
        ("mail1.example.org", "10.0.0.1:7789"),
        ("mail2.example.org", "10.0.0.2:7789"),
    ]
    for statement in ("protocol C;", "device /dev/drbd1 minor 1;", "disk /dev/vg0/mail;", "meta-disk internal;"):
        assert statement in statements(text)


def test_fencing_with_pacemaker_handlers_by_default():
    lines = statements(render())
    assert "fencing resource-only;" in lines
    assert 'fence-peer "/usr/lib/drbd/crm-fence-peer.sh";' in lines
    assert 'after-resync-target "/usr/lib/drbd/crm-unfence-peer.sh";' in lines


@pytest.mark.parametrize("overrides", [{"drbd_fencing": "dont-care"}, {"drbd_cluster_managed": False}])
def test_no_pacemaker_handlers_without_pacemaker_fencing(overrides):
    text = render(**overrides)
    assert "fencing" not in text and "crm-fence-peer" not in text


def test_braces_balance():
    text = render()
    assert text.count("{") == text.count("}")
