"""The nfs_server role's files for both backends, and its option checks, table-driven."""

from __future__ import annotations

import re

import pytest
from role_render import evaluate, render_template, role_variables, task_vars

ROLE = "nfs_server"
PORTS = {
    "nfs": 2049,
    "rpcbind": 111,
    "mountd": 892,
    "statd": 662,
    "statd_outgoing": 2020,
    "lockd_tcp": 32803,
    "lockd_udp": 32769,
}


def export(
    path: str = "/srv/export", clients: list[str] | None = None, options: list[str] | None = None, **extra: object
) -> dict:
    """An export as preflight.yml describes it for the templates."""
    return {
        "path": path,
        "clients": clients or ["192.0.2.10"],
        "options": options or ["rw", "sync", "no_subtree_check", "root_squash"],
        "id": extra.pop("id", 1),
        "pseudo": extra.pop("pseudo", path),
        "create_directory": False,
        **extra,
    }


def directives(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


# --- kernel backend ------------------------------------------------------------


def render_exports(exports: list[dict]) -> list[str]:
    return directives(
        render_template(ROLE, "etc/exports.d/listserv-mailstack.exports.j2", __nfs_server_export_list=exports)
    )


@pytest.mark.parametrize(
    ("exports", "expected"),
    [
        ([export()], ["/srv/export 192.0.2.10(rw,sync,no_subtree_check,root_squash)"]),
        (
            [export(clients=["192.0.2.10", "198.51.100.0/24", "2001:db8::/64"], options=["ro", "root_squash"])],
            ["/srv/export 192.0.2.10(ro,root_squash) 198.51.100.0/24(ro,root_squash) 2001:db8::/64(ro,root_squash)"],
        ),
        (
            [export(), export("/srv/archive", options=["rw", "no_root_squash", "anonuid=38", "anongid=38"])],
            [
                "/srv/export 192.0.2.10(rw,sync,no_subtree_check,root_squash)",
                "/srv/archive 192.0.2.10(rw,no_root_squash,anonuid=38,anongid=38)",
            ],
        ),
        ([], []),
    ],
    ids=["default-options", "several-clients", "two-exports", "none"],
)
def test_exports_file(exports: list[dict], expected: list[str]) -> None:
    assert render_exports(exports) == expected


def render_nfs_conf(backend: str, **ports: int) -> list[str]:
    return directives(
        render_template(
            ROLE,
            "etc/nfs.conf.d/listserv-mailstack.conf.j2",
            nfs_server_backend=backend,
            nfs_server_ports={**PORTS, **ports},
        )
    )


def test_nfs_conf_pins_every_kernel_daemon() -> None:
    assert render_nfs_conf("kernel") == [
        "[statd]",
        "port = 662",
        "outgoing-port = 2020",
        "[nfsd]",
        "port = 2049",
        "[mountd]",
        "port = 892",
        "[lockd]",
        "port = 32803",
        "udp-port = 32769",
    ]


def test_nfs_conf_for_ganesha_pins_only_statd() -> None:
    # ganesha serves mount and NLM itself; a [lockd] section would make
    # rpc.statd reconfigure the kernel's lockd.
    assert render_nfs_conf("ganesha", statd=4000, statd_outgoing=4001) == [
        "[statd]",
        "port = 4000",
        "outgoing-port = 4001",
    ]


# --- ganesha backend -----------------------------------------------------------


def render_ganesha(exports: list[dict], version: str = "6.5", **overrides: object) -> str:
    return render_template(
        ROLE,
        "etc/ganesha/ganesha.conf.j2",
        __nfs_server_export_list=exports,
        __nfs_server_ganesha_version=version,
        **overrides,
    )


def block(text: str, name: str, index: int = 0) -> list[str]:
    """Directives of the index-th top-level block `name { ... }` (nested blocks flattened)."""
    found = re.findall(rf"^{name} \{{\n(.*?)^\}}", text, flags=re.M | re.S)
    return directives(found[index])


def test_core_parameters_carry_the_port_model() -> None:
    core = block(render_ganesha([export()], nfs_server_ports={**PORTS, "mountd": 20048}), "NFS_CORE_PARAM")
    assert "NFS_Port = 2049;" in core
    assert "MNT_Port = 20048;" in core
    assert "NLM_Port = 32803;" in core
    assert "Enable_RQUOTA = false;" in core
    assert "Protocols = 3, 4;" in core


@pytest.mark.parametrize(
    ("version", "allow", "present"),
    [("6.5", True, True), ("6.5", False, False), ("4.3", True, False)],
    ids=["ganesha-6", "ganesha-6-strict", "ganesha-4.3-unknown-parameter"],
)
def test_io_flusher_only_where_ganesha_knows_it(version: str, allow: bool, present: bool) -> None:
    core = block(render_ganesha([export()], version, nfs_server_ganesha_allow_io_flusher_fail=allow), "NFS_CORE_PARAM")
    assert ("Allow_Set_Io_Flusher_Fail = true;" in core) is present


def test_export_block_limits_access_to_its_clients() -> None:
    text = render_ganesha([export(clients=["192.0.2.10", "2001:db8::/64"], id=3, pseudo="/export")])
    lines = block(text, "EXPORT")
    assert lines[:10] == [
        "Export_Id = 3;",
        'Path = "/srv/export";',
        'Pseudo = "/export";',
        "Protocols = 3, 4;",
        "Transports = TCP;",
        "SecType = sys;",
        "Attr_Expiration_Time = 0;",
        "Squash = root_squash;",
        "Access_Type = None;",
        "CLIENT {",
    ]
    assert lines[10:] == [
        "Clients = 192.0.2.10;",
        "Access_Type = RW;",
        "}",
        "CLIENT {",
        "Clients = 2001:db8::/64;",
        "Access_Type = RW;",
        "}",
        "FSAL {",
        "Name = VFS;",
        "}",
    ]
    assert "*" not in text


@pytest.mark.parametrize(
    ("options", "wanted", "unwanted"),
    [
        (["rw", "root_squash"], ["Squash = root_squash;", "Access_Type = RW;"], ["Anonymous_Uid", "PrivilegedPort"]),
        (["ro", "no_root_squash"], ["Squash = no_root_squash;", "Access_Type = RO;"], []),
        (
            ["rw", "all_squash", "anonuid=38", "anongid=38"],
            ["Squash = all_squash;", "Anonymous_Uid = 38;", "Anonymous_Gid = 38;"],
            [],
        ),
        (["sync", "no_subtree_check", "root_squash"], ["Access_Type = RO;"], ["Access_Type = RW;"]),
        (["rw", "root_squash", "secure"], ["PrivilegedPort = true;"], []),
        (["rw", "root_squash", "insecure"], ["PrivilegedPort = false;"], []),
    ],
    ids=["rw-root-squash", "ro-no-root-squash", "all-squash-anon-ids", "exports5-default-is-ro", "secure", "insecure"],
)
def test_exports5_options_map_onto_ganesha(options: list[str], wanted: list[str], unwanted: list[str]) -> None:
    lines = block(render_ganesha([export(options=options)]), "EXPORT")
    for line in wanted:
        assert line in lines
    for prefix in unwanted:
        assert not [line for line in lines if line.startswith(prefix)]
    assert "sync" not in " ".join(lines)


@pytest.mark.parametrize("cache", [False, True], ids=["uncached-default", "ganesha-caches"])
def test_metadata_cache(cache: bool) -> None:
    text = render_ganesha([export()], nfs_server_ganesha_cache_metadata=cache)
    assert ("Attr_Expiration_Time = 0;" in block(text, "EXPORT")) is not cache
    assert ("MDCACHE {" in text) is not cache
    if not cache:
        assert block(text, "MDCACHE") == ["Dir_Chunk = 0;"]


def test_grace_period() -> None:
    assert "Grace_Period = 90;" in block(render_ganesha([export()]), "NFSV4")
    assert "Grace_Period = 10;" in block(render_ganesha([export()], nfs_server_ganesha_grace_period=10), "NFSV4")


def test_one_export_block_per_export() -> None:
    text = render_ganesha([export(), export("/srv/archive", id=2)])
    assert text.count("\nEXPORT {") == 2
    assert 'Path = "/srv/archive";' in block(text, "EXPORT", 1)


def test_strict_dropin_adds_minus_x() -> None:
    text = render_template(ROLE, "etc/systemd/system/nfs-ganesha.service.d/listserv-mailstack.conf.j2")
    assert directives(text) == [
        "[Service]",
        "ExecStart=",
        "ExecStart=/usr/bin/ganesha.nfsd -C -x $OPTIONS $EPOCH $GNODEID",
    ]


# --- the firewall's view and the option checks ---------------------------------


@pytest.mark.parametrize(
    ("backend", "lockd_udp"),
    [("kernel", 32769), ("ganesha", 32803)],
)
def test_firewall_ports_cover_the_model(backend: str, lockd_udp: int) -> None:
    ports = role_variables(ROLE, nfs_server_backend=backend, nfs_server_ports=PORTS)["__nfs_server_firewall_ports"]
    tcp = sorted(port["port"] for port in ports if port["proto"] == "tcp")
    udp = sorted(port["port"] for port in ports if port["proto"] == "udp")
    assert tcp == [111, 662, 892, 2020, 2049, 32803]
    assert udp == sorted([111, 662, 892, 2020, 2049, lockd_udp])


def option_problems(options: list[str], backend: str = "kernel") -> list[str]:
    checks = task_vars(ROLE, "preflight.yml", "Check the options of every export")
    variables = role_variables(ROLE, nfs_server_backend=backend, __nfs_server_export=export(options=options))
    for name in (
        "__nfs_server_opts",
        "__nfs_server_malformed",
        "__nfs_server_bad_ids",
        "__nfs_server_unknown_to_ganesha",
    ):
        variables[name] = evaluate(checks[name], variables)
    return evaluate(checks["__nfs_server_problems"], variables)


@pytest.mark.parametrize(
    ("options", "backend", "problems"),
    [
        (["rw", "sync", "no_subtree_check", "root_squash"], "kernel", []),
        (["rw", "sync", "no_subtree_check", "root_squash"], "ganesha", []),
        (["rw", "fsid=1", "root_squash"], "kernel", []),
        (["rw", "fsid=1", "root_squash"], "ganesha", ["not supported by the ganesha backend: fsid"]),
        (["rw", "ro"], "kernel", ["rw and ro together"]),
        (["root_squash", "no_root_squash"], "kernel", ["more than one of root_squash, no_root_squash, all_squash"]),
        (["anonuid=list"], "kernel", ["anonuid/anongid need a number: anonuid=list"]),
        (["rw,insecure"], "kernel", ["malformed rw,insecure"]),
        (["rw)(", "rw"], "kernel", ["malformed rw)("]),
        (["rw\n/etc *(rw"], "kernel", ["malformed rw\n/etc *(rw"]),
    ],
    ids=[
        "defaults-kernel",
        "defaults-ganesha",
        "fsid-kernel",
        "fsid-ganesha",
        "rw-and-ro",
        "two-squash-modes",
        "anonuid-name",
        "comma-inside",
        "parenthesis",
        "newline-injection",
    ],
)
def test_option_checks(options: list[str], backend: str, problems: list[str]) -> None:
    assert option_problems(options, backend) == problems


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        ("/srv/export", True),
        ("/var/lib/mailman3", True),
        ("/", False),
        ("/srv/export/", False),
        ("srv/export", False),
        ("/srv/../etc", False),
        ("/srv/./export", False),
        ("/srv/ex port", False),
        ("/srv/export\n", False),
        ('/srv/"x"', False),
    ],
)
def test_export_path_pattern(path: str, valid: bool) -> None:
    assert bool(re.match(role_variables(ROLE)["__nfs_server_path_pattern"], path)) is valid


def test_registered_ports_are_read_from_rpcinfo() -> None:
    rpcinfo = """   program vers proto   port  service
    100000    4   tcp    111  portmapper
    100024    1   udp    662  status
    100024    1   tcp    662  status
    100005    3   udp    892  mountd
    100005    3   tcp    892  mountd
    100021    4   udp  32769  nlockmgr
    100021    4   tcp  32803  nlockmgr
    100003    3   tcp   2049  nfs
"""
    values = role_variables(ROLE, __nfs_server_rpcinfo={"rc": 0, "stdout": rpcinfo})
    assert values["__nfs_server_registered"] == {
        "nfs": [2049],
        "mountd": [892],
        "statd": [662],
        "nlockmgr_tcp": [32803],
    }
    assert values["__nfs_server_registered_as_pinned"] is True


@pytest.mark.parametrize(
    ("rc", "drop", "pinned"),
    [
        (0, "", True),
        (1, "", False),
        (0, "2049  nfs", False),
        (0, "892  mountd", False),
        (0, "662  status", False),
        (0, "32803  nlockmgr", False),
    ],
)
def test_registered_as_pinned_needs_every_program(rc: int, drop: str, pinned: bool) -> None:
    """What the verification waits for: ganesha that started and exited leaves only statd and rpcbind."""
    rpcinfo = "\n".join(
        f"    {program}    3   tcp  {port}"
        for program, port in (
            ("100003", "2049  nfs"),
            ("100005", "892  mountd"),
            ("100024", "662  status"),
            ("100021", "32803  nlockmgr"),
        )
        if port != drop
    )
    values = role_variables(ROLE, __nfs_server_rpcinfo={"rc": rc, "stdout": rpcinfo})
    assert values["__nfs_server_registered_as_pinned"] is pinned


def test_why_the_server_did_not_register_keeps_the_journal_tail_and_the_serious_log_lines() -> None:
    journal = ["Started nfs-ganesha.service.", "x", "Main process exited, code=exited, status=2", "Failed."]
    log = [
        "05/12/2026 : ganesha.nfsd-1[main] nfs_set_param_from_conf :NFS STARTUP :WARN :Use idmapped_user",
        "05/12/2026 : ganesha.nfsd-1[main] Bind_sockets_V6 :DISP :CRIT :Cannot bind to tcp6 socket, error 98 "
        "(Address already in use)",
        "05/12/2026 : ganesha.nfsd-1[main] main :NFS STARTUP :FATAL :Fatal errors.  Server exiting...",
        "/usr/lib/ganesha/libganesha_nfsd.so.6.5(+0x88256) [0x7fc2f4e5e256]",
    ]
    why = {
        "results": [
            {"__nfs_server_log": "journal", "stdout_lines": ["older", *journal]},
            {"__nfs_server_log": "/var/log/ganesha/ganesha.log", "stdout_lines": log},
        ]
    }
    lines = role_variables(ROLE, nfs_server_backend="ganesha", __nfs_server_why=why)["__nfs_server_why_lines"]
    assert lines == journal + log[1:3]
    # Skipped (the server registered): nothing to say.
    skipped = {"results": [{"__nfs_server_log": "journal", "skipped": True}]}
    assert role_variables(ROLE, __nfs_server_why=skipped)["__nfs_server_why_lines"] == []


@pytest.mark.parametrize(("backend", "other"), [("kernel", "nfs-ganesha"), ("ganesha", "nfs-server")])
def test_the_other_backends_unit_is_stopped(backend, other):
    assert role_variables("nfs_server", nfs_server_backend=backend)["__nfs_server_other_unit"] == other
