"""Nobody posts as a local member (seed Risk 1, M5): real SMTP sessions from
the test runner and from the web node, both outside the mail node's
mynetworks.

A client that did not authenticate cannot use an address of a local domain
(the mail domain or a list domain) as envelope sender; an authenticated user
can use only the addresses its login owns. Mailman itself (on loopback, in
mynetworks) still sends list mail, and bounces (the null sender) still come
in from anywhere.
"""

from __future__ import annotations

import contextlib
import smtplib
import time

import pytest
from smtp import account_password, as_member, smtp, token, wait_for_mail
from web import address_of

MAIL = "mail.example.test"
LIST = "team@lists.example.test"

# Local addresses a stranger might forge: every one is refused at RCPT (5xx).
FORGED_SENDERS = [
    ("member", f"user1@{MAIL}"),
    ("member-upper-case", f"USER1@{MAIL.upper()}"),
    ("member-with-extension", f"user1+lists@{MAIL}"),
    ("root", f"root@{MAIL}"),
    ("unknown-local-user", f"nobody-here@{MAIL}"),
    ("localhost-domain", "user1@localhost"),
    ("list-address", LIST),
    ("list-bounces-address", "team-bounces@lists.example.test"),
    ("site-list-owner", "mailman-owner@lists.example.test"),
]


@pytest.fixture(scope="module")
def server(mail) -> str:
    return address_of(mail)


@pytest.mark.parametrize("sender", [s[1] for s in FORGED_SENDERS], ids=[s[0] for s in FORGED_SENDERS])
def test_stranger_cannot_use_a_local_sender(server, sender):
    with contextlib.closing(smtplib.SMTP(server, 25, local_hostname="client.example", timeout=30)) as conn:
        conn.ehlo("client.example")
        code, text = conn.docmd(f"MAIL FROM:<{sender}>")
        if code == 250:
            code, text = conn.docmd(f"RCPT TO:<{LIST}>")
    assert 500 <= code < 600, f"MAIL FROM:<{sender}> to {LIST} without AUTH answered {code} {text!r}"


def test_forged_member_post_reaches_nobody(web, mail):
    """The audit's case: a whole post as user1 from a host outside, without
    AUTH. It is refused at RCPT; a genuine post sent after it arrives, and
    the forged one never does."""
    forged, genuine = token(), token()
    reply = smtp(web, MAIL, [LIST], sender=f"user1@{MAIL}", body=forged, subject=f"forged {forged}")
    code, text = reply["rcpt"][LIST]
    assert code in (553, 554), reply
    assert "Sender address rejected" in text, reply
    assert reply["data"] is None, "the forged post's DATA was accepted"
    sent = smtp(web, MAIL, [LIST], sender=f"user2@{MAIL}", body=genuine, **as_member(f"user2@{MAIL}"))
    assert sent["data"][0] == 250, sent
    for user in ("user1", "user2", "user3"):
        box = wait_for_mail(mail, f"/var/mail/{user}", genuine)
        assert forged not in box, f"the forged post reached {user}"


@pytest.mark.parametrize(
    "sender",
    [f"user2@{MAIL}", f"root@{MAIL}", LIST, "team-owner@lists.example.test"],
    ids=["other-member", "root", "list-address", "list-owner-address"],
)
@pytest.mark.parametrize("port", [587, 465, 25])
def test_authenticated_user_cannot_send_as_another_local_address(web, port, sender):
    options = as_member(f"user1@{MAIL}")
    options.update(port=port, tls=port == 465, starttls=port != 465)
    reply = smtp(web, MAIL, [LIST], sender=sender, **options)
    assert reply["auth"][0] == 235, reply
    code, text = reply["rcpt"][LIST]
    assert code == 553, reply
    assert "not owned by user user1" in text, reply


@pytest.mark.parametrize("port", [587, 465])
def test_authenticated_user_may_send_as_itself(web, port):
    options = as_member(f"user1@{MAIL}")
    options.update(port=port, tls=port == 465, starttls=port != 465)
    reply = smtp(web, MAIL, [f"user2@{MAIL}"], sender=f"user1@{MAIL}", **options)
    assert reply["rcpt"][f"user2@{MAIL}"][0] == 250, reply


def test_other_users_password_does_not_help(web):
    """user2's login cannot send as user1 even with the right password for user2."""
    reply = smtp(
        web,
        MAIL,
        [LIST],
        sender=f"user1@{MAIL}",
        port=587,
        starttls=True,
        auth={"user": "user2", "password": account_password("user2")},
    )
    assert reply["auth"][0] == 235, reply
    assert reply["rcpt"][LIST][0] == 553, reply


def test_bounces_and_outside_senders_still_come_in(server):
    """The null sender (bounces, DSNs) and outside domains are not affected."""
    with contextlib.closing(smtplib.SMTP(server, 25, local_hostname="client.example", timeout=30)) as conn:
        conn.ehlo("client.example")
        for sender in ("", "someone@elsewhere.example"):
            assert conn.docmd(f"MAIL FROM:<{sender}>")[0] == 250
            code, text = conn.docmd(f"RCPT TO:<user1@{MAIL}>")
            assert code == 250, f"<{sender}> to user1: {code} {text!r}"
            conn.rset()


def test_mailman_still_sends_from_the_node(web, mail):
    """List mail leaves Mailman with the list's bounce address as envelope
    sender through Postfix on loopback (mynetworks): members get it."""
    marker = token()
    sent = smtp(web, MAIL, [LIST], sender=f"user3@{MAIL}", body=marker, **as_member(f"user3@{MAIL}"))
    assert sent["data"][0] == 250, sent
    box = wait_for_mail(mail, "/var/mail/user1", marker)
    assert "Return-Path: <team-bounces@lists.example.test>" in box or "team-bounces" in box


def test_rejections_are_logged_with_the_reason(mail):
    deadline = time.monotonic() + 30
    while True:
        log = mail.check_output(
            "journalctl SYSLOG_FACILITY=2 --since=-15min --no-pager -o cat | grep -c 'Sender address rejected' || true"
        )
        if int(log.strip() or 0) > 0:
            return
        assert time.monotonic() < deadline, "Postfix logged no 'Sender address rejected'"
        time.sleep(1)
