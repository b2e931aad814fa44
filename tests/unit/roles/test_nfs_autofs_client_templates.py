"""The nfs_autofs_client role's master map entry, map files and tmpfiles.d file, and its input patterns."""

from __future__ import annotations

import re

import pytest
from role_render import render_template, role_variables

ROLE = "nfs_autofs_client"
VARS = role_variables(ROLE)


def directives(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def mount(
    key: str, server: str = "mail.example.test", export: str = "/srv/mailman", options: str = "rw,suid,hard"
) -> dict:
    """A mount or entry as preflight.yml describes it for the templates."""
    host = f"[{server}]" if ":" in server else server
    return {"key": key, "mount_options": f"-fstype=nfs,{options}", "location": f"{host}:{export}"}


@pytest.mark.parametrize(
    ("direct", "indirect", "expected"),
    [
        ([mount("/var/lib/mailman3/data")], [], ["/- /etc/auto.direct --timeout=300"]),
        (
            [mount("/var/lib/mailman3/data")],
            [{"mount_point": "/mnt/nfs", "map": "/etc/auto.nfs", "timeout": 60}],
            ["/- /etc/auto.direct --timeout=300", "/mnt/nfs /etc/auto.nfs --timeout=60"],
        ),
        (
            [],
            [{"mount_point": "/mnt/nfs", "map": "/etc/auto.nfs", "timeout": 0}],
            ["/mnt/nfs /etc/auto.nfs --timeout=0"],
        ),
    ],
    ids=["direct", "direct-and-indirect", "indirect-only"],
)
def test_master_map_entry(direct: list[dict], indirect: list[dict], expected: list[str]) -> None:
    text = render_template(
        ROLE,
        "etc/auto.master.d/listserv-mailstack.autofs.j2",
        __nfs_autofs_client_direct=direct,
        __nfs_autofs_client_indirect=indirect,
    )
    assert directives(text) == expected


def test_master_map_entry_uses_the_variables() -> None:
    text = render_template(
        ROLE,
        "etc/auto.master.d/listserv-mailstack.autofs.j2",
        __nfs_autofs_client_direct=[mount("/x")],
        __nfs_autofs_client_indirect=[],
        nfs_autofs_client_direct_map="/etc/auto.listserv",
        nfs_autofs_client_timeout=600,
    )
    assert directives(text) == ["/- /etc/auto.listserv --timeout=600"]


def test_map_lines() -> None:
    text = render_template(
        ROLE,
        "autofs.map.j2",
        __nfs_autofs_client_map_title="direct map (/-)",
        __nfs_autofs_client_map_entries=[
            mount("/var/lib/mailman3/data"),
            mount(
                "/var/lib/mailman3/archives", server="2001:db8::5", export="/srv/archives", options="ro,hard,vers=4.2"
            ),
        ],
    )
    assert directives(text) == [
        "/var/lib/mailman3/data -fstype=nfs,rw,suid,hard mail.example.test:/srv/mailman",
        "/var/lib/mailman3/archives -fstype=nfs,ro,hard,vers=4.2 [2001:db8::5]:/srv/archives",
    ]


def test_tmpfiles_lists_only_volatile_directories() -> None:
    text = render_template(
        ROLE,
        "etc/tmpfiles.d/listserv-mailstack.conf.j2",
        nfs_autofs_client_local_directories=[
            {"path": "/run/mailman3", "owner": "list", "group": "list", "mode": "0755"},
            {"path": "/var/lock/mailman3", "owner": "list", "group": "list", "mode": "2775"},
            {"path": "/var/run/mailman-web", "owner": "www-data", "group": "www-data", "mode": "0750"},
            {"path": "/var/lib/mailman3/locks", "owner": "list", "group": "list", "mode": "2775"},
            {"path": "/srv/runner", "owner": "list", "group": "list", "mode": "0755"},
        ],
    )
    assert directives(text) == [
        "d /run/mailman3 0755 list list -",
        "d /var/lock/mailman3 2775 list list -",
        "d /var/run/mailman-web 0750 www-data www-data -",
    ]


def test_volatile_selection_matches_the_template() -> None:
    directories = [{"path": "/run/a"}, {"path": "/runner/b"}, {"path": "/var/lock/c"}, {"path": "/var/lib/d"}]
    volatile = role_variables(ROLE, nfs_autofs_client_local_directories=directories)["__nfs_autofs_client_volatile"]
    assert [entry["path"] for entry in volatile] == ["/run/a", "/var/lock/c"]


def test_url_query_carries_the_check_account() -> None:
    assert VARS["__nfs_autofs_client_url_query"] == "?uid=38&gid=38"
    assert role_variables(ROLE, nfs_autofs_client_check_account="")["__nfs_autofs_client_url_query"] == ""


INJECTIONS = [
    "/srv/x\n/etc -fstype=nfs evil:/",
    "/srv/x\n",
    "/srv/x y",
    "/srv/x#",
    "/srv/x,ro",
    "",
]


@pytest.mark.parametrize(
    ("pattern", "valid", "invalid"),
    [
        (
            "__nfs_autofs_client_path_pattern",
            ["/var/lib/mailman3", "/mnt/nfs", "/srv/a-b_c.d"],
            [*INJECTIONS, "/", "srv", "/a/../b", "/a/"],
        ),
        ("__nfs_autofs_client_key_pattern", ["archives", "list-1", "a.b"], [*INJECTIONS, "*", "a/b", "-x"]),
        (
            "__nfs_autofs_client_server_pattern",
            ["mail", "mail.example.test", "192.0.2.5", "2001:db8::5"],
            ["mail example", "mail\n", "-o", "mail.", "host:/x/y", "[2001:db8::5]", "a b"],
        ),
        (
            "__nfs_autofs_client_option_pattern",
            ["rw", "vers=4.2", "proto=tcp", "sec=sys"],
            ["rw,suid", "rw ro", "rw\n", ""],
        ),
        ("__nfs_autofs_client_mode_pattern", ["0755", "2775", "755"], ["493", "0o755", "0755\n", "u+rwx"]),
    ],
)
def test_input_patterns(pattern: str, valid: list[str], invalid: list[str]) -> None:
    regex = VARS[pattern]
    for text in valid:
        assert re.match(regex, text), (pattern, text)
    for text in invalid:
        assert not re.match(regex, text), (pattern, text)
