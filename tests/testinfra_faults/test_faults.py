"""Faults with mail in flight: nothing is lost, nothing arrives twice.

Each test posts to the list faults@lists.example.test (one member, user3, no
archive) from the web node, breaks something on the mail node while the
posts are on their way, and then counts every Message-ID in the member's
mailbox: each post exactly once. Mailman must have set nothing aside (shunt
and bad queues empty). Every test also shows that its fault really hit the
traffic (a reconnect, a delivery half done), so that none passes by missing it.

- Postfix restarted during a burst of 200 posts (the sender reconnects and
  sends again what was not acknowledged, as a sending MTA does);
- mailman3 restarted while it delivers;
- list mail deferred by Postfix while mailman3 is stopped goes out as soon
  as it starts again (the role's flush unit), not at Postfix's next retry;
- the mail node's container restarted: Postfix, Mailman and the NFS server
  come back, the web node's pages and its view of the export come back, and
  what was queued before is delivered;
- the NFS server restarted: the web node reads and lists the export again.
"""

from __future__ import annotations

import json
import re
import threading
import time

import pytest
from capability_marks import has
from nodes import container_of, networks_of, podman, start_with_addresses
from smtp import as_member, burst
from web import address_of, request

LIST = "faults@lists.example.test"
MEMBER = "user3@mail.example.test"
MAILBOX = "/var/mail/user3"
SITE = "web.example.test"
MAIL = "mail.example.test"
EXPORT = "/var/lib/mailman3"
DEADLINE = 300
LIST_UID = 38  # Debian's base-passwd fixes `list` (Mailman's user) at 38:38
AS_MAILMAN = f"?uid={LIST_UID}&gid={LIST_UID}"


def counts(mail, markers: list[str]) -> dict[str, int]:
    found = dict.fromkeys(markers, 0)
    box = mail.file(MAILBOX)
    if box.exists:
        # Mailman folds a header longer than 78 characters ("Message-ID:\n <...>").
        for marker in re.findall(r"^Message-ID:\s*<([^@>]+)@", box.content_string, re.I | re.M):
            if marker in found:
                found[marker] += 1
    return found


def set_aside(mail) -> list[str]:
    return mail.run(f"find {EXPORT}/queue/shunt {EXPORT}/queue/bad -type f").stdout.split()


def mailman_queues(mail) -> dict[str, int]:
    """Files in each of Mailman's queues that holds any (for failure messages)."""
    out = mail.run(f"find {EXPORT}/queue -mindepth 2 -type f").stdout.split()
    queues: dict[str, int] = {}
    for path in out:
        name = path.split("/")[-2]
        queues[name] = queues.get(name, 0) + 1
    return queues


def wait_delivered(mail, markers: list[str]) -> None:
    """Every post once in the member's mailbox; nothing in Mailman's shunt or bad queue."""
    deadline = time.monotonic() + DEADLINE
    while True:
        found = counts(mail, markers)
        missing = [m for m, n in found.items() if n == 0]
        if not missing:
            break
        if time.monotonic() > deadline:
            queue = mail.run("postqueue -p").stdout.strip().splitlines()[-6:]
            pytest.fail(
                f"{len(missing)} of {len(markers)} posts missing after {DEADLINE}s "
                f"(Postfix queue: {queue}; Mailman's queues: {mailman_queues(mail)})"
            )
        time.sleep(2)
    time.sleep(5)
    found = counts(mail, markers)
    twice = {m: n for m, n in found.items() if n != 1}
    assert not twice, f"{len(twice)} posts arrived more than once: {list(twice.items())[:5]}"
    assert set_aside(mail) == [], "Mailman moved messages to its shunt or bad queue"


def post_burst(web, count: int, **options) -> list[str]:
    return burst(web, MAIL, [LIST], count, sender=MEMBER, **as_member(MEMBER), **options)


def in_background(action, delay: float) -> threading.Thread:
    def run():
        time.sleep(delay)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def wait_until(what: str, check, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {timeout}s")
        time.sleep(1)


def postorius_lists(web) -> bool:
    try:
        status, _headers, body = request(address_of(web), "/postorius/lists/", host=SITE)
    except OSError:
        return False
    return status == 200 and LIST in body


def export_answers(web) -> bool:
    listing = web.run(f"nfs-ls nfs://{MAIL}{EXPORT}")
    return listing.rc == 0 and "lists" in listing.stdout


def test_postfix_restart_during_a_burst_of_200_posts(mail, web):
    restarted = []
    # The burst takes at least 200 x 50 ms; Postfix restarts 3 s into it.
    thread = in_background(lambda: restarted.append(mail.run("systemctl restart postfix").rc), delay=3)
    stats: dict = {}
    markers = post_burst(web, 200, pause=0.05, retry_for=120, stats=stats)
    thread.join()
    assert restarted == [0], "systemctl restart postfix failed"
    # The restart hit the burst: the sender lost its connection at least once.
    assert stats["reconnects"] >= 1, "Postfix restarted after the burst: the fault missed the traffic"
    wait_delivered(mail, markers)


def test_mailman_restart_while_it_delivers(mail, web):
    markers = post_burst(web, 60)
    # Restart once Mailman has delivered some of the posts but not all.
    wait_until("a first delivery", lambda: any(counts(mail, markers).values()), timeout=120)
    delivered = sum(counts(mail, markers).values())
    mail.check_output("systemctl restart mailman3")
    assert delivered < len(markers), "Mailman had delivered everything before the restart"
    wait_delivered(mail, markers)
    log = mail.check_output("tail -n 400 /var/log/mailman3/mailman.log")
    assert "SHUNTING" not in log


def postfix_seconds(value: str) -> int:
    """A Postfix time value (300s, 5m, 1h, ...) in seconds."""
    number, unit = re.fullmatch(r"(\d+)([smhdw]?)", value.strip()).groups()
    return int(number) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]


def deferred_for(mail, recipient: str) -> int:
    """Messages in Postfix's deferred queue for the recipient."""
    found = 0
    for line in mail.check_output("postqueue -j").splitlines():
        message = json.loads(line)
        if message["queue_name"] == "deferred" and any(r["address"] == recipient for r in message["recipients"]):
            found += 1
    return found


def test_list_mail_deferred_while_mailman_is_down_goes_out_when_it_starts(mail, web):
    """Postfix defers list mail while Mailman's LMTP port is closed; when mailman3 starts, the
    role's flush unit has Postfix deliver it at once, not at Postfix's next retry."""
    bound = 120
    retry = min(
        postfix_seconds(mail.check_output("postconf -h minimal_backoff_time")),
        postfix_seconds(mail.check_output("postconf -h queue_run_delay")),
    )
    # Without the flush the posts would wait at least `retry` seconds: the bound must be shorter.
    assert retry > bound + 60, f"Postfix retries deferred mail after {retry} s: the test cannot tell"
    mail.check_output("systemctl stop mailman3")
    try:
        markers = post_burst(web, 3)
        wait_until("Postfix deferring the posts", lambda: deferred_for(mail, LIST) >= len(markers), timeout=60)
    finally:
        since = mail.check_output("date +%s").strip()
        mail.check_output("systemctl start mailman3")
    wait_until("the deferred posts delivered", lambda: all(counts(mail, markers).values()), timeout=bound)
    wait_delivered(mail, markers)
    journal = mail.check_output(f"journalctl --no-pager -u listserv-mailstack-mailman-flush --since @{since}")
    assert "asked Postfix to deliver" in journal, journal


def test_mail_node_restart(mail, web):
    before = post_burst(web, 20)
    container = container_of(MAIL)
    networks = networks_of(container)
    podman("stop", "--time", "60", container)
    start_with_addresses(container, networks)
    wait_until("systemd on the mail node", lambda: mail.run("systemctl is-system-running --wait").rc in (0, 1))
    for unit in ("postfix", "mailman3", "nfs-ganesha", "dovecot"):
        wait_until(f"{unit} running again", lambda unit=unit: mail.service(unit).is_running, timeout=120)
    wait_until("Postorius' list index through the web node", lambda: postorius_lists(web))
    wait_until("the export, seen from the web node", lambda: export_answers(web))
    # The web node still has its autofs map for the export.
    assert f"{MAIL}:{EXPORT}" in web.check_output("automount -m")
    # Running where the kernel has autofs; left stopped where it has none.
    assert web.service("autofs").is_running == has("autofs")
    after = post_burst(web, 5)
    wait_delivered(mail, [*before, *after])


def test_nfs_server_restart(mail, web):
    marker = f"written-before-the-restart-{time.time_ns()}"
    mail.check_output(f"runuser -u list -- sh -c 'echo {marker} > {EXPORT}/faults-nfs-check'")
    try:
        assert marker in web.check_output(f"nfs-cat 'nfs://{MAIL}{EXPORT}/faults-nfs-check{AS_MAILMAN}'")
        mail.check_output("systemctl restart nfs-ganesha")
        wait_until(
            "the export read again from the web node",
            lambda: marker in web.run(f"nfs-cat 'nfs://{MAIL}{EXPORT}/faults-nfs-check{AS_MAILMAN}'").stdout,
        )
        wait_until("the export listed again from the web node", lambda: export_answers(web))
    finally:
        mail.run(f"rm -f {EXPORT}/faults-nfs-check")
