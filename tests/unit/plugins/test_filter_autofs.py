"""autofs_maps: the nfs_autofs_client role's maps as its templates and checks use them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.autofs import autofs_maps

DEFAULTS = ["rw", "suid", "hard"]


def test_direct_mount_with_the_role_defaults():
    maps = autofs_maps(
        [{"path": "/srv/mailman3", "server": "mail.example.org", "export": "/var/lib/mailman3"}], [], DEFAULTS, 300
    )
    assert maps == {
        "direct": [
            {
                "path": "/srv/mailman3",
                "server": "mail.example.org",
                "export": "/var/lib/mailman3",
                "key": "/srv/mailman3",
                "mount_options": "-fstype=nfs,rw,suid,hard",
                "location": "mail.example.org:/var/lib/mailman3",
                "url": "nfs://mail.example.org/var/lib/mailman3",
                "dump_line": "/srv/mailman3 | -fstype=nfs,rw,suid,hard mail.example.org:/var/lib/mailman3",
            }
        ],
        "indirect": [],
        "entries": [],
    }


@pytest.mark.parametrize(
    ("mount", "options", "location", "url"),
    [
        (
            {"server": "2001:db8::5", "export": "/e"},
            "-fstype=nfs,rw,suid,hard",
            "[2001:db8::5]:/e",
            "nfs://[2001:db8::5]/e",
        ),
        (
            {"server": "192.0.2.5", "export": "/e", "options": ["ro", "soft"]},
            "-fstype=nfs,ro,soft",
            "192.0.2.5:/e",
            "nfs://192.0.2.5/e",
        ),
        (
            {"server": "s", "export": "/e", "fstype": "nfs4", "options": None},
            "-fstype=nfs4,rw,suid,hard",
            "s:/e",
            "nfs://s/e",
        ),
        ({"server": "s", "export": "/e", "options": ["vers=4.2", 3]}, "-fstype=nfs,vers=4.2,3", "s:/e", "nfs://s/e"),
    ],
    ids=["ipv6-in-brackets", "own-options", "fstype-and-null-options", "options-as-text"],
)
def test_mount_options_location_and_url(mount, options, location, url):
    described = autofs_maps([{"path": "/m", **mount}], [], DEFAULTS, 300)["direct"][0]
    assert (described["mount_options"], described["location"], described["url"]) == (options, location, url)
    assert described["dump_line"] == f"/m | {options} {location}"


def test_indirect_maps_and_their_entries():
    maps = autofs_maps(
        [],
        [
            {
                "mount_point": "/mnt/nfs",
                "map": "/etc/auto.nfs",
                "timeout": 60,
                "entries": [
                    {"key": "archives", "server": "mail", "export": "/srv/archives", "options": ["ro"]},
                    {"key": "data", "server": "mail", "export": "/srv/data"},
                ],
            },
            {"mount_point": "/mnt/b", "map": "/etc/auto.b", "entries": [{"key": "k", "server": "b", "export": "/x"}]},
        ],
        DEFAULTS,
        300,
    )
    assert maps["direct"] == []
    assert maps["indirect"] == [
        {"map": "/etc/auto.nfs", "mount_point": "/mnt/nfs", "timeout": 60},
        {"map": "/etc/auto.b", "mount_point": "/mnt/b", "timeout": 300},
    ]
    assert [(e["map"], e["mount_point"], e["key"], e["mount_options"], e["location"]) for e in maps["entries"]] == [
        ("/etc/auto.nfs", "/mnt/nfs", "archives", "-fstype=nfs,ro", "mail:/srv/archives"),
        ("/etc/auto.nfs", "/mnt/nfs", "data", "-fstype=nfs,rw,suid,hard", "mail:/srv/data"),
        ("/etc/auto.b", "/mnt/b", "k", "-fstype=nfs,rw,suid,hard", "b:/x"),
    ]
    assert maps["entries"][0]["dump_line"] == "archives | -fstype=nfs,ro mail:/srv/archives"
    assert maps["indirect"][0]["timeout"] == 60


@pytest.mark.parametrize(
    ("direct", "indirect", "named"), [("/srv", [], "direct_mounts"), ([], {"map": "x"}, "indirect_maps")]
)
def test_refuses_what_is_not_a_list_by_name(direct, indirect, named):
    with pytest.raises(AnsibleFilterError, match=f"autofs_maps: {named} must be a list"):
        autofs_maps(direct, indirect, DEFAULTS, 300)
