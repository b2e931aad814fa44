"""What only a real kernel shows, proven in the two VMs after converge.

In file order: the kernel NFS server as the nfs_server role configured it;
the autofs direct map mounting the export on first access over kernel NFS,
with the Mailman account's ids agreeing across the mount and root squashed;
a host that is not a client refused; a DRBD failover under Pacemaker that
keeps the data; and, last, the NFS mount coming back after the server VM
rebooted, the client untouched.
"""

from __future__ import annotations

import re
import secrets
from xml.etree import ElementTree

from vms import CLIENT, EXPORT, LINK, SERVER

# The ports of nfs_server_ports (roles/nfs_server/defaults/main.yml), seed M12.
PINNED = {"mountd": 892, "status": 662, "nlockmgr": 32803}


def _nfs_mounts(vm) -> list[list[str]]:
    return [line.split() for line in vm.check("cat /proc/mounts").splitlines() if line.split()[2].startswith("nfs")]


def test_the_kernel_server_exports_to_the_client_only_with_root_squash(server):
    assert server.check("systemctl is-active nfs-server").strip() == "active"
    exports = server.check("exportfs -v")
    # One export, to the client's link address only.
    assert re.findall(r"^(\S+)\s+(\S+?)\(", exports, re.MULTILINE) == [(EXPORT, LINK[CLIENT])], exports
    options = re.search(r"\((.*)\)", exports)[1].split(",")
    for option in ("rw", "sync", "root_squash", "no_subtree_check"):
        assert option in options, exports


def test_the_server_listens_on_the_pinned_ports(server):
    rpc = server.check("rpcinfo -p")
    for program, port in PINNED.items():
        assert re.search(rf"\b{port}\s+{program}\b", rpc), f"{program} not on {port}:\n{rpc}"
    assert re.search(r"\budp\s+32769\s+nlockmgr\b", rpc), rpc
    # The one port model, in the configuration nfs-utils reads (/etc/nfs.conf
    # and its conf.d, as nfsconf resolves them).
    for section, tag, port in (
        ("mountd", "port", 892),
        ("statd", "port", 662),
        ("statd", "outgoing-port", 2020),
        ("lockd", "port", 32803),
        ("lockd", "udp-port", 32769),
        ("nfsd", "port", 2049),
    ):
        assert server.check(f"nfsconf --get {section} {tag}").strip() == str(port), (section, tag)


def test_the_firewall_lets_only_the_client_reach_nfs(server, client):
    ruleset = server.check("nft list table inet listserv_nfs")
    assert LINK[CLIENT] in ruleset and "2049" in ruleset, ruleset
    # The client's own address reaches the NFS port; another address of the
    # same machine on the same link is rejected by the server's firewall.
    probe = (
        "python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(20); s.bind((sys.argv[1], 0));"
        ' s.connect((sys.argv[2], 2049)); print("connected")\' {source} ' + LINK[SERVER]
    )
    assert client.check(probe.format(source=LINK[CLIENT])).strip() == "connected"
    stranger = "192.168.250.99"
    client.check(f"ip address add {stranger}/32 dev eth1")
    try:
        refused = client.run(probe.format(source=stranger))
    finally:
        client.check(f"ip address del {stranger}/32 dev eth1")
    assert refused.rc != 0 and "ConnectionRefusedError" in refused.stderr, refused


def test_the_first_access_mounts_the_export_with_the_configured_options(client):
    # Start from the trigger alone: an earlier access (the role's own check)
    # may have mounted it. SIGUSR1 has automount unmount what is unused
    # (umount on the path could take the autofs trigger itself away).
    client.check("systemctl kill --signal=USR1 autofs.service")
    client.wait_for(f"! grep -qE '^\\S+ {EXPORT} nfs4? ' /proc/mounts", 60, "the export unmounted by automount")
    mounts = client.check("cat /proc/mounts")
    assert re.search(rf"^\S+ {EXPORT} autofs ", mounts, re.MULTILINE), mounts
    assert not [fields for fields in _nfs_mounts(client) if fields[1] == EXPORT], mounts
    client.check(f"ls {EXPORT}")
    found = [fields for fields in _nfs_mounts(client) if fields[1] == EXPORT]
    assert found, client.check("cat /proc/mounts")
    source, fstype, options = found[0][0], found[0][2], found[0][3]
    assert source == f"{LINK[SERVER]}:{EXPORT}"
    assert fstype in ("nfs", "nfs4")
    options = options.split(",")
    # The role's default options (seed M11: rw, suid; hard so I/O waits for the server).
    assert "rw" in options and "hard" in options and "nosuid" not in options, options


def test_the_mailman_account_owns_files_on_both_sides(server, client):
    token = secrets.token_hex(8)
    server.check(f"runuser -u list -- sh -c 'echo {token} > {EXPORT}/from-server'")
    assert client.check(f"stat -c '%U:%G %u:%g' {EXPORT}/from-server").strip() == "list:list 38:38"
    assert client.check(f"cat {EXPORT}/from-server").strip() == token
    client.check(f"runuser -u list -- sh -c 'echo {token}-web > {EXPORT}/from-web'")
    assert server.check(f"stat -c '%U:%G %u:%g' {EXPORT}/from-web").strip() == "list:list 38:38"
    assert server.check(f"cat {EXPORT}/from-web").strip() == f"{token}-web"


def test_root_on_the_client_is_squashed(client):
    denied = client.run(f"touch {EXPORT}/from-root")
    assert denied.rc != 0 and "Permission denied" in denied.stderr, denied


def _promoted(vm) -> str:
    return vm.check("drbdadm role data").strip()


def test_pacemaker_runs_drbd_promoted_on_one_node_with_its_filesystem(server, client):
    roles = {vm.name: _promoted(vm) for vm in (server, client)}
    assert sorted(roles.values()) == ["Primary/Secondary", "Secondary/Primary"], roles
    for vm in (server, client):
        assert vm.check("drbdadm dstate data").strip() == "UpToDate/UpToDate"
    primary = next(vm for vm in (server, client) if roles[vm.name].startswith("Primary"))
    assert re.search(r"^/dev/drbd0 /srv/data ext4 ", primary.check("cat /proc/mounts"), re.MULTILINE)
    constraints = ElementTree.fromstring(primary.check("cibadmin --query --scope constraints"))  # noqa: S314 - the test VM's own CIB
    colocations = [
        (element.get("rsc"), element.get("with-rsc"), element.get("with-rsc-role"), element.get("score"))
        for element in constraints.iter("rsc_colocation")
    ]
    assert ("data-fs", "data-drbd-clone", "Promoted", "INFINITY") in colocations, colocations
    orders = [
        (element.get("first"), element.get("first-action"), element.get("then"), element.get("then-action"))
        for element in constraints.iter("rsc_order")
    ]
    assert ("data-drbd-clone", "promote", "data-fs", "start") in orders, orders


def test_a_failover_moves_the_primary_and_keeps_the_data(server, client):
    nodes = {SERVER: server, CLIENT: client}
    first = next(vm for vm in nodes.values() if _promoted(vm).startswith("Primary"))
    second = next(vm for vm in nodes.values() if vm is not first)
    token = secrets.token_hex(16)
    first.check(f"echo {token} > /srv/data/written-before-failover && sync")
    first.check(f"pcs node standby {first.name}")
    try:
        second.wait_for(
            "drbdadm role data | grep -q '^Primary' && grep -q '^/dev/drbd0 /srv/data ' /proc/mounts",
            300,
            "DRBD promoted and /srv/data mounted after the failover",
        )
        assert second.check("cat /srv/data/written-before-failover").strip() == token
        assert not re.search(r"^/dev/drbd0 ", first.check("cat /proc/mounts"), re.MULTILINE)
    finally:
        first.check(f"pcs node unstandby {first.name}")
    # Back in the cluster the first node resynchronises and stays Secondary
    # (nothing moves back by itself).
    first.wait_for('test "$(drbdadm dstate data)" = UpToDate/UpToDate', 300, "DRBD resynchronised")
    assert _promoted(second).startswith("Primary")


def test_the_mount_comes_back_after_the_server_reboots(server, client):
    client.check(f"ls {EXPORT}")
    boot_id = server.check("cat /proc/sys/kernel/random/boot_id").strip()
    server.run("systemctl reboot")
    # Until the server answers again with another boot id (SSH fails while it is down).
    server.wait_for(f'test "$(cat /proc/sys/kernel/random/boot_id)" != {boot_id}', 600, "the server rebooted")
    server.wait_for("systemctl is-active nfs-server", 300, "nfs-server active after the reboot")
    # The client was not touched: the next access (re)mounts and reads.
    token = server.check(f"cat {EXPORT}/from-server").strip()
    assert client.wait_for(f"timeout 60 cat {EXPORT}/from-server", 400, "the export readable again").strip() == token
    assert any(fields[1] == EXPORT for fields in _nfs_mounts(client))
