"""Shared storage (roles nfs_server, nfs_autofs_client, firewall; seed M10-M13,
M16): the mail node exports Mailman's data directory to the web node only,
with pinned ports, and the web node has the autofs direct map for it.

This kernel has no NFS client or server, so the lab runs the user-space server
(nfs-ganesha) and proves the NFS path with a user-space NFS client (libnfs:
nfs-ls, nfs-cat, nfs-cp) from the web node. What a kernel mount adds on top
(autofs actually mounting on access, remounting after the server returns) is
not shown here; docs/testing.md says so. Where the kernel has no autofs at all
(lab/probe.py), the test that needs the automount daemon is deselected with
that reason."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
from capability_marks import has
from nodes import group_hosts
from web import address_of

EXPORT = "/var/lib/mailman3"
MOUNT_POINT = "/srv/mailman3"
LIST_UID = 38  # Debian's base-passwd fixes `list` (Mailman's user) at 38:38


@pytest.fixture(scope="module")
def server():
    return group_hosts("mail")[0]


def test_pinned_ports_registered(mail):
    registered = mail.check_output("rpcinfo -p 127.0.0.1")
    ports = {(line.split()[4], line.split()[3]) for line in registered.splitlines()[1:]}
    for program, port in (("nfs", "2049"), ("mountd", "892"), ("nlockmgr", "32803"), ("status", "662")):
        assert (program, port) in ports, f"{program} not on {port}:\n{registered}"


def test_export_lists_mailman_data_from_the_web_node(web, server):
    listing = web.check_output(f"nfs-ls nfs://{server}{EXPORT}")
    for entry in ("data", "lists", "locks"):
        assert entry in listing, listing


def test_file_written_by_the_mail_node_reads_the_same_over_nfs(web, mail, server):
    local = mail.file(f"{EXPORT}/data/postfix_lmtp").content_string
    # Mailman's maps are 0660 list:list: read as Mailman's uid, as the web
    # node's Mailman account would; anonymous (squashed) access is refused.
    remote = web.check_output(f"nfs-cat 'nfs://{server}{EXPORT}/data/postfix_lmtp?uid={LIST_UID}&gid={LIST_UID}'")
    assert remote.strip() == local.strip()
    assert "team@lists.example.test" in remote
    assert web.run(f"nfs-cat 'nfs://{server}{EXPORT}/data/postfix_lmtp?uid=0&gid=0'").rc != 0


def test_write_through_nfs_as_mailman_and_root_squashed(web, mail, server):
    name = f"nfs-write-{uuid.uuid4().hex}"
    web.check_output(f"sh -c 'echo {name} > /tmp/{name}'")
    try:
        # Right after a (re)start ganesha answers writes with JUKEBOX for its
        # grace period (90 s); kernel clients retry by themselves, nfs-cp not.
        # A refused attempt can leave the file created but empty, and nfs-cp
        # creates exclusively: remove that leftover before trying again.
        deadline = time.monotonic() + 120
        while web.run(f"nfs-cp /tmp/{name} 'nfs://{server}{EXPORT}/{name}?uid={LIST_UID}&gid={LIST_UID}'").rc:
            assert time.monotonic() < deadline, "nfs-cp as Mailman's uid kept failing"
            mail.run(f"rm -f {EXPORT}/{name}")
            time.sleep(5)
        written = mail.file(f"{EXPORT}/{name}")
        assert written.exists and written.content_string.strip() == name
        assert written.user == "list"
        # root on the client is squashed: no write into list's directory.
        as_root = web.run(f"nfs-cp /tmp/{name} 'nfs://{server}{EXPORT}/{name}-root?uid=0&gid=0'")
        assert as_root.rc != 0
        assert not mail.file(f"{EXPORT}/{name}-root").exists
    finally:
        mail.run(f"rm -f {EXPORT}/{name} {EXPORT}/{name}-root")
        web.run(f"rm -f /tmp/{name}")


@pytest.mark.parametrize("port", [2049, 111, 892])
def test_nfs_ports_refused_to_hosts_that_are_not_clients(mail, port):
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address_of(mail), port), timeout=10).close()


def test_web_node_reaches_the_nfs_ports(web, server):
    probe = "import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10).close()"
    for port in (2049, 111, 892):
        web.check_output("python3 -c %s %s %s", probe, server, str(port))


def test_autofs_direct_map_with_the_right_options(web, server):
    master = web.file("/etc/auto.master.d/listserv-mailstack.autofs").content_string
    assert "/- /etc/auto.direct" in master
    dump = web.check_output("automount -m")
    line = next((entry for entry in dump.splitlines() if MOUNT_POINT in entry), "")
    assert "-fstype=nfs,rw,suid,hard" in line.replace(" ", ""), dump
    assert f"{server}:{EXPORT}" in line, dump


def test_autofs_runs_where_the_kernel_has_it(web):
    """With kernel autofs the role starts autofs; without it (the lab's
    nfs_autofs_client_without_kernel_autofs) autofs is left stopped and
    disabled, its failed start at installation cleared: nothing degraded."""
    autofs = web.service("autofs")
    if has("autofs"):
        assert autofs.is_running and autofs.is_enabled
    else:
        assert not autofs.is_running and not autofs.is_enabled
        assert web.check_output("systemctl show --property=ActiveState --value autofs") == "inactive"
    failed = web.run("systemctl --failed --no-legend --plain").stdout
    assert web.run("systemctl is-system-running").stdout.strip() == "running", failed


@pytest.mark.needs("autofs")
def test_automount_holds_the_direct_mount_point(web):
    """The automount daemon has put its trigger on the direct map's path: an
    access would mount the export (seed M11)."""
    mounts = web.file("/proc/self/mounts").content_string
    assert any(
        fields[1] == MOUNT_POINT and fields[2] == "autofs" for fields in (line.split() for line in mounts.splitlines())
    ), mounts


def test_mailman_account_has_the_same_ids_on_both_nodes(web, mail):
    assert web.check_output("id list") == mail.check_output("id list")
    assert web.user("list").uid == LIST_UID


def test_web_node_has_the_mail_nodes_directory_layout(web, mail):
    for path in ("/var/log/mailman3", "/run/mailman3"):
        here, there = web.file(path), mail.file(path)
        assert here.is_directory, path
        assert (here.user, here.group, here.mode) == (there.user, there.group, there.mode), path
    assert "/run/mailman3" in web.file("/etc/tmpfiles.d/listserv-mailstack.conf").content_string
