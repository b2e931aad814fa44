"""Never an open relay, AUTH only over TLS, no address harvesting: real SMTP
sessions from the test runner, a host outside the service and outside every
network the mail node trusts (see docs/security.md).

Every relay trick must be refused at RCPT with a permanent (5xx) reply, and
afterwards the mail node's queue must hold nothing for the outside domains.
The commands are sent as written (`docmd`): smtplib's own MAIL/RCPT would
parse and rewrite the addresses (it turns `@hop:user@domain` into `@hop`).
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl

import pytest
from web import address_of

MAIL = "mail.example.test"
OUTSIDE = "elsewhere.example"
OUTSIDE_SENDER = "stranger@elsewhere.example"

# (id, MAIL FROM, RCPT TO, HELO): each is a way to get mail for an outside
# domain accepted by a server that should only take mail for its own domains.
RELAY_TRICKS = [
    ("plain-outside-recipient", OUTSIDE_SENDER, f"victim@{OUTSIDE}", "client.example"),
    ("percent-hack", OUTSIDE_SENDER, f"victim%{OUTSIDE}@{MAIL}", "client.example"),
    ("percent-hack-list-domain", OUTSIDE_SENDER, f"victim%{OUTSIDE}@lists.example.test", "client.example"),
    ("bang-path", OUTSIDE_SENDER, f"{OUTSIDE}!victim@{MAIL}", "client.example"),
    ("bang-path-bare", OUTSIDE_SENDER, f"{OUTSIDE}!victim", "client.example"),
    ("source-route", OUTSIDE_SENDER, f"@{MAIL}:victim@{OUTSIDE}", "client.example"),
    ("quoted-local-part-with-at", OUTSIDE_SENDER, f'"victim@{OUTSIDE}"@{MAIL}', "client.example"),
    ("quoted-local-part-with-percent", OUTSIDE_SENDER, f'"victim%{OUTSIDE}"@{MAIL}', "client.example"),
    ("double-at", OUTSIDE_SENDER, f"victim@{OUTSIDE}@{MAIL}", "client.example"),
    ("trailing-dot-domain", OUTSIDE_SENDER, f"victim@{OUTSIDE}.", "client.example"),
    ("ip-literal", OUTSIDE_SENDER, "victim@[192.0.2.1]", "client.example"),
    ("lookalike-subdomain", OUTSIDE_SENDER, f"victim@{MAIL}.{OUTSIDE}", "client.example"),
    ("local-sender-spoofed", f"user1@{MAIL}", f"victim@{OUTSIDE}", "client.example"),
    ("localhost-sender", "root@localhost", f"victim@{OUTSIDE}", "localhost"),
    ("helo-as-the-server", OUTSIDE_SENDER, f"victim@{OUTSIDE}", MAIL),
    ("null-sender", "", f"victim@{OUTSIDE}", "client.example"),
    ("uppercase-outside-domain", OUTSIDE_SENDER, f"victim@{OUTSIDE.upper()}", "client.example"),
    ("multi-hop-source-route", OUTSIDE_SENDER, f"@{MAIL},@lists.example.test:victim@{OUTSIDE}", "client.example"),
    ("unqualified-outside-user", OUTSIDE_SENDER, "victim", "client.example"),
]


@pytest.fixture(scope="module")
def server(mail) -> str:
    """The mail node's address as the test runner reaches it."""
    return address_of(mail)


def session(server: str, helo: str = "client.example", timeout: float = 30) -> smtplib.SMTP:
    conn = smtplib.SMTP(server, 25, local_hostname=helo, timeout=timeout)
    conn.ehlo(helo)
    return conn


@pytest.fixture
def smtp(server):
    """An SMTP session from the test runner after EHLO client.example; closed after the test."""
    with contextlib.closing(session(server)) as conn:
        yield conn


@pytest.mark.parametrize(
    ("sender", "recipient", "helo"), [t[1:] for t in RELAY_TRICKS], ids=[t[0] for t in RELAY_TRICKS]
)
def test_relay_trick_is_refused(server, sender, recipient, helo):
    with contextlib.closing(session(server, helo)) as conn:
        code, text = conn.docmd(f"MAIL FROM:<{sender}>")
        if code == 250:
            code, text = conn.docmd(f"RCPT TO:<{recipient}>")
    assert 500 <= code < 600, f"RCPT TO:<{recipient}> from <{sender}> answered {code} {text!r}"


def test_source_route_to_a_local_address_is_ignored_not_refused(smtp):
    """RFC 5321: a server ignores a source route; a local final address stays deliverable."""
    assert smtp.docmd(f"MAIL FROM:<{OUTSIDE_SENDER}>")[0] == 250
    code, text = smtp.docmd(f"RCPT TO:<@{OUTSIDE}:user1@{MAIL}>")
    assert code == 250, f"{code} {text!r}"


def test_no_relay_attempt_left_anything_in_the_queue(smtp, mail):
    # Once more the plainest trick with a whole message, then the queue.
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp.sendmail(OUTSIDE_SENDER, [f"victim@{OUTSIDE}"], b"Subject: relay test\r\n\r\nbody\r\n")
    queue = mail.check_output("postqueue -j")
    assert OUTSIDE not in queue.lower(), queue


def test_auth_refused_without_tls(smtp):
    assert "auth" not in smtp.esmtp_features
    code, text = smtp.docmd("AUTH", "PLAIN AHVzZXIxAHdyb25n")
    assert 500 <= code < 600, f"AUTH over plain text answered {code} {text!r}"


def test_auth_offered_only_after_starttls_from_outside(smtp):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    code, _reply = smtp.starttls(context=context)
    assert code == 220
    smtp.ehlo("client.example")
    assert "auth" in smtp.esmtp_features


def test_vrfy_and_expn_give_nothing_away(smtp):
    for argument in ("user1", "root", "staff", "postmaster", "nobody"):
        # VRFY disabled (502 for every name alike); EXPN not implemented by Postfix.
        code, text = smtp.docmd("VRFY", argument)
        assert code == 502, f"VRFY {argument} answered {code} {text!r}"
        code, text = smtp.docmd("EXPN", argument)
        assert 500 <= code < 600, f"EXPN {argument} answered {code} {text!r}"


def test_unknown_local_and_list_recipients_refused_at_rcpt(smtp):
    """Refused while the client is connected: no bounce to a forged sender later (backscatter)."""
    smtp.docmd(f"MAIL FROM:<{OUTSIDE_SENDER}>")
    for recipient in (f"no-such-user@{MAIL}", "no-such-list@lists.example.test", "stranger@backup.example.test"):
        code, text = smtp.docmd(f"RCPT TO:<{recipient}>")
        assert code == 550, f"{recipient}: {code} {text!r}"
