"""Failover of the mail cluster (seed P15, M19), over real protocols.

Pacemaker runs the group `mail` (floating address, NFS-Ganesha, Mailman) on
one of mail1/mail2. Each failover test posts to a list through the floating
address, then sends a burst of posts so that some are still on their way
through Postfix and Mailman when the failure comes, makes the active node fail in one way (standby,
its cluster daemons stopped, its container killed), measures how long the
floating address takes to answer SMTP again and to run the whole group on
the other node, posts again, and then checks that every post reached the
member exactly once (mailboxes of both nodes counted), that Mailman set none
aside (shunt and bad queues empty: a stopped runner once shunted the post in
hand) and that the web node's pages, which reach core through the floating
address, still work.

The measured times are written to build/cluster-failover.json (no test
asserts on speed; the deadlines below only bound how long a test waits).
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time

import pytest
from nodes import REPO, container_of, networks_of, node, podman, start_with_addresses
from playbook_runs import changed, playbook
from smtp import as_member, burst, smtp, token
from web import address_of, request

GROUP = "mail"
LIST = "discuss@lists.example.test"
SENDER = "user1@mail.example.test"
MAILBOX = "/var/mail/user2"
# The cluster scenario's web node (molecule/cluster/molecule.yml).
SITE = "web1.example.test"
RESULTS = REPO / "build" / "cluster-failover.json"
# How long a test waits for the cluster to act before it fails.
DEADLINE = 180
# Posts sent in one burst right before each failure.
IN_FLIGHT = 15


def record(name: str, seconds: float) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[name] = round(seconds, 1)
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def running(name: str) -> bool:
    state = subprocess.run(
        ["podman", "inspect", "--format", "{{.State.Running}}", container_of(name)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return state == "true"


def located(names: list[str]) -> str | None:
    """The node that runs the group, asked of a node whose Pacemaker runs."""
    for name in names:
        if not running(name) or not node(name).service("pacemaker").is_running:
            continue
        out = node(name).run("crm_resource --locate --resource %s", GROUP)
        found = re.search(r"is running on: (\S+)", out.stdout)
        return found.group(1) if found else None
    return None


def smtp_answers(address: str) -> bool:
    """A 220 greeting on port 25 of `address`, from the test runner's host."""
    try:
        with socket.create_connection((address, 25), timeout=3) as conn:
            conn.settimeout(5)
            return conn.recv(512).startswith(b"220")
    except OSError:
        return False


def group_ready(name: str, address: str) -> bool:
    """Every member of the group answers on `name`: Mailman's LMTP on the floating address."""
    host = node(name)
    return (
        host.service("mailman3").is_running
        and host.service("nfs-ganesha").is_running
        and host.run("python3 -c %s %s", LMTP_PROBE, address).rc == 0
    )


LMTP_PROBE = r"""
import smtplib, sys
s = smtplib.LMTP(sys.argv[1], 8024, timeout=5)
s.noop()
s.quit()
"""


def post(web, address: str) -> str:
    """A member's post to the list through the floating address; returns its marker."""
    marker = token()
    reply = smtp(
        web,
        address,
        [LIST],
        sender=SENDER,
        **as_member(SENDER),
        body=f"body {marker}",
        subject=f"subject {marker}",
        headers={"Message-ID": f"<{marker}@{SITE}>"},
    )
    assert reply["data"][0] == 250, reply
    return marker


def in_flight(web, address: str) -> list[str]:
    """A post, then a burst of posts sent just before a failure, so that some
    are still in Postfix's or Mailman's queues when the active node fails."""
    return [post(web, address), *burst(web, address, [LIST], IN_FLIGHT, sender=SENDER, **as_member(SENDER))]


def copies(names: list[str], markers: list[str]) -> dict[str, int]:
    """How many copies of each post reached the member, both nodes' mailboxes counted."""
    found: dict[str, int] = dict.fromkeys(markers, 0)
    for name in names:
        if running(name):
            box = node(name).file(MAILBOX)
            if box.exists:
                # Mailman folds a header longer than 78 characters ("Message-ID:\n <...>").
                for marker in re.findall(r"^Message-ID:\s*<([^@>]+)@", box.content_string, re.I | re.M):
                    if marker in found:
                        found[marker] += 1
    return found


def set_aside(names: list[str]) -> list[str]:
    """Queue files Mailman moved to its shunt or bad queue (shared data: ask any running node)."""
    for name in names:
        if running(name):
            out = node(name).run("find /var/lib/mailman3/queue/shunt /var/lib/mailman3/queue/bad -type f")
            return out.stdout.split()
    return []


def diagnosis(names: list[str]) -> str:
    """What each node's Postfix still holds and what Mailman set aside, for a failure message."""
    parts = []
    for name in names:
        if running(name):
            queue = node(name).run("postqueue -p").stdout.strip().splitlines()
            parts.append(f"{name} Postfix queue: {' | '.join(queue[-6:])}")
    parts.append(f"Mailman shunt/bad queues: {set_aside(names)}")
    return "; ".join(parts)


def wait_delivered(names: list[str], markers: list[str]) -> None:
    """Every post arrives, exactly once, and Mailman set none aside."""
    deadline = time.monotonic() + DEADLINE
    while True:
        counts = copies(names, markers)
        missing = [marker for marker, count in counts.items() if count == 0]
        if not missing:
            break
        if time.monotonic() > deadline:
            late = f"{len(missing)} of {len(markers)} posts not delivered within {DEADLINE}s"
            pytest.fail(f"{late}: {missing}; {diagnosis(names)}")
        time.sleep(1)
    # Give a duplicate the time to show up, then count exactly.
    time.sleep(5)
    counts = copies(names, markers)
    twice = {marker: count for marker, count in counts.items() if count != 1}
    assert not twice, f"each post must arrive exactly once: {twice}"
    assert not set_aside(names), f"Mailman set messages aside: {diagnosis(names)}"


def wait_failover(names: list[str], old: str, address: str, label: str) -> str:
    """Wait until the group runs on the other node; record when SMTP and the group answered."""
    started = time.monotonic()
    smtp_at = None
    deadline = started + DEADLINE
    while True:
        now = located(names)
        if now and now != old:
            if smtp_at is None and smtp_answers(address):
                smtp_at = time.monotonic() - started
            if smtp_at is not None and group_ready(now, address):
                record(f"{label}: SMTP on the floating address", smtp_at)
                record(f"{label}: whole group running", time.monotonic() - started)
                return now
        if time.monotonic() > deadline:
            pytest.fail(f"{label}: the group did not move from {old} within {DEADLINE}s (now {now})")
        time.sleep(0.2)


def check_web(web, address: str) -> None:
    """Postorius lists the lists (it reached core's REST API on the floating
    address) and the web node lists Mailman's data over NFS from that address."""
    deadline = time.monotonic() + 60
    while True:
        status, _headers, body = request(address_of(web), "/postorius/lists/", host=SITE)
        if status == 200 and LIST in body:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"Postorius' list index answered {status} without {LIST}: {body[:300]}")
        time.sleep(2)
    while True:
        listing = web.run("nfs-ls nfs://%s/var/lib/mailman3", address)
        if listing.rc == 0 and "lists" in listing.stdout:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"the export on {address} did not answer the web node: {listing.stdout} {listing.stderr}")
        time.sleep(2)


def wait_online(names: list[str]) -> None:
    deadline = time.monotonic() + DEADLINE
    while True:
        live = [n for n in names if running(n) and node(n).service("pacemaker").is_running]
        if live:
            out = node(live[0]).run("crm_mon --one-shot --output-as=xml")
            online = re.findall(r'<node name="([^"]+)"[^>]*online="true"', out.stdout)
            if sorted(online) == sorted(names):
                return
        if time.monotonic() > deadline:
            pytest.fail(f"both nodes not online within {DEADLINE}s")
        time.sleep(1)


def test_the_cluster_runs_the_group_on_one_node(cluster_names):
    wait_online(cluster_names)
    active = located(cluster_names)
    assert active in cluster_names
    for name in cluster_names:
        host = node(name)
        here = name == active
        for unit in ("mailman3", "nfs-ganesha"):
            assert host.service(unit).is_running == here, f"{unit} on {name}"
            # Pacemaker alone starts them: never at boot.
            assert not host.service(unit).is_enabled, f"{unit} enabled at boot on {name}"
        # Postfix runs on both nodes (its queue must drain wherever it is).
        assert host.run("postfix status").rc == 0, f"Postfix does not run on {name}"
        assert host.service("corosync").is_enabled and host.service("pacemaker").is_enabled


def test_floating_address_only_on_the_active_node(cluster_names, floating_address):
    active = located(cluster_names)
    for name in cluster_names:
        has = floating_address in node(name).check_output("ip -o -4 addr show")
        assert has == (name == active), name


def test_post_through_the_floating_address_is_delivered(cluster_names, floating_address, web):
    marker = post(web, floating_address)
    wait_delivered(cluster_names, [marker])
    check_web(web, floating_address)


def test_web_node_uses_the_floating_address(floating_address, web):
    """The REST URL of Postorius/HyperKitty and the autofs map name the floating address."""
    settings = web.file("/etc/mailman3/mailman-web.py").content_string
    assert f'MAILMAN_REST_API_URL = "http://{floating_address}:8001"' in settings
    assert f"{floating_address}:/var/lib/mailman3" in web.check_output("automount -m")


def test_lmtp_port_refuses_the_web_node(floating_address, web):
    """Only the cluster's nodes may hand mail to Mailman directly."""
    result = web.run("python3 -c %s %s", LMTP_PROBE, floating_address)
    assert result.rc != 0
    assert "refused" in (result.stderr + result.stdout).lower()


def test_failover_on_standby(cluster_names, floating_address, web):
    old = located(cluster_names)
    before = in_flight(web, floating_address)
    node(old).check_output("pcs node standby %s", old)
    try:
        new = wait_failover(cluster_names, old, floating_address, "standby")
        after = post(web, floating_address)
        wait_delivered(cluster_names, [*before, after])
        check_web(web, floating_address)
    finally:
        node(old).check_output("pcs node unstandby %s", old)
    wait_online(cluster_names)
    # Stickiness keeps the group where it is now.
    time.sleep(5)
    assert located(cluster_names) == new


def test_failover_when_the_active_node_stops_its_cluster_daemons(cluster_names, floating_address, web):
    old = located(cluster_names)
    before = in_flight(web, floating_address)
    node(old).check_output("pcs cluster stop")
    try:
        wait_failover(cluster_names, old, floating_address, "cluster stop on the active node")
        after = post(web, floating_address)
        wait_delivered(cluster_names, [*before, after])
        check_web(web, floating_address)
        assert not node(old).service("mailman3").is_running
    finally:
        node(old).check_output("pcs cluster start")
    wait_online(cluster_names)


def test_cluster_stop_and_start_playbooks(cluster_names, floating_address, web):
    out = playbook("cluster_stop.yml")
    assert sum(changed(out).values()) > 0
    for name in cluster_names:
        assert not node(name).service("pacemaker").is_running
        assert not node(name).service("mailman3").is_running
    assert not smtp_answers(floating_address)
    # Safe to repeat.
    assert sum(changed(playbook("cluster_stop.yml")).values()) == 0

    out = playbook("cluster_start.yml")
    assert sum(changed(out).values()) > 0
    wait_online(cluster_names)
    active = located(cluster_names)
    assert active in cluster_names
    deadline = time.monotonic() + DEADLINE
    while not group_ready(active, floating_address):
        assert time.monotonic() < deadline, "the group did not come back after cluster_start.yml"
        time.sleep(1)
    assert sum(changed(playbook("cluster_start.yml")).values()) == 0
    marker = post(web, floating_address)
    wait_delivered(cluster_names, [marker])
    check_web(web, floating_address)


def test_failover_when_the_active_node_is_killed(cluster_names, floating_address, web):
    old = located(cluster_names)
    container = container_of(old)
    networks = networks_of(container)
    before = in_flight(web, floating_address)
    podman("kill", container)
    try:
        wait_failover(cluster_names, old, floating_address, "active node killed")
        after = post(web, floating_address)
        check_web(web, floating_address)
    finally:
        start_with_addresses(container, networks)
    # The killed node comes back, rejoins, and its Postfix hands over what it
    # still held: the post sent before the kill arrives once, as does the later one.
    wait_online(cluster_names)
    wait_delivered(cluster_names, [*before, after])
