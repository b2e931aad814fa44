"""host_addresses: inventory names become fact addresses; bad values are refused by name."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.network import host_addresses

HOSTVARS = {
    "web.example.test": {
        "ansible_facts": {"default_ipv4": {"address": "10.0.0.5"}, "default_ipv6": {"address": "fd00::5"}}
    },
    "nofacts.example.test": {},
}


@pytest.mark.parametrize(
    ("items", "kwargs", "expected"),
    [
        (["web.example.test"], {}, ["10.0.0.5"]),
        (["web.example.test"], {"family": "ipv6"}, ["fd00::5"]),
        (["web.example.test"], {"family": "both"}, ["10.0.0.5", "fd00::5"]),
        (["192.0.2.1", "192.0.2.1", "web.example.test"], {}, ["192.0.2.1", "10.0.0.5"]),
        (["198.51.100.7/24"], {}, ["198.51.100.0/24"]),
        (["2001:db8::1"], {}, ["2001:db8::1"]),
        ("192.0.2.9", {}, ["192.0.2.9"]),
        ([], {}, []),
    ],
)
def test_resolves_and_normalises(items, kwargs, expected):
    assert host_addresses(items, HOSTVARS, **kwargs) == expected


@pytest.mark.parametrize(
    ("items", "kwargs", "named"),
    [
        (["*"], {}, "'*'"),
        (["0.0.0.0/0"], {}, "'0.0.0.0/0'"),
        (["::/0"], {}, "'::/0'"),
        (["10.0.0.0/0"], {}, "'10.0.0.0/0'"),
        (["unknown.example.test"], {}, "'unknown.example.test'"),
        (["nofacts.example.test"], {}, "'nofacts.example.test'"),
        (["192.0.2.0/24"], {"allow_networks": False}, "'192.0.2.0/24'"),
        (["10.0.0.1\nallow all"], {}, "allow all"),
        (["999.1.1.1"], {}, "'999.1.1.1'"),
    ],
)
def test_refuses_with_the_value_named(items, kwargs, named):
    with pytest.raises(AnsibleFilterError, match=None) as caught:
        host_addresses(items, HOSTVARS, **kwargs)
    assert named in str(caught.value)


def test_refuses_bad_family_and_type():
    with pytest.raises(AnsibleFilterError, match="family"):
        host_addresses([], HOSTVARS, family="ipx")
    with pytest.raises(AnsibleFilterError, match="expected a list"):
        host_addresses({"a": 1}, HOSTVARS)
