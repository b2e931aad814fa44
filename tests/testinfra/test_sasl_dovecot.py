"""SMTP AUTH through Dovecot SASL (role sasl_dovecot, seed P14), with real SMTP
sessions from the web node (outside mynetworks)."""

from __future__ import annotations

import pytest
from nodes import inventory
from smtp import smtp

MAIL = "mail.example.test"
OUTSIDE = "someone@elsewhere.example"


@pytest.fixture(scope="module")
def account(mail_names) -> dict:
    """A mail account of the inventory with its password."""
    hostvars = inventory()["_meta"]["hostvars"][mail_names[0]]
    accounts = [a for a in hostvars.get("postfix_accounts", []) if a.get("state", "present") == "present"]
    assert accounts, "the inventory declares no mail account"
    return {"user": accounts[0]["name"], "password": accounts[0]["password_plaintext"]}


def test_auth_not_offered_before_starttls(web_node):
    reply = smtp(web_node, MAIL, [f"user1@{MAIL}"])
    assert "starttls" in reply["features"]
    assert "auth" not in reply["features"], reply["features"]


def test_auth_offered_after_starttls(web_node):
    reply = smtp(web_node, MAIL, [f"user1@{MAIL}"], starttls=True)
    assert "auth" in reply["features_tls"], reply
    script = (
        "import smtplib, ssl; c = ssl._create_unverified_context(); "
        f"s = smtplib.SMTP('{MAIL}', 25); s.starttls(context=c); s.ehlo('web.example.test'); "
        "print(s.esmtp_features['auth']); s.quit()"
    )
    mechanisms = web_node.check_output("python3 -c %s", script).split()
    assert sorted(mechanisms) == ["LOGIN", "PLAIN"]


@pytest.mark.parametrize("port", [25, 587, 465])
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_authenticated_client_may_relay(web_node, account, mechanism, port):
    reply = smtp(
        web_node,
        MAIL,
        [OUTSIDE],
        port=port,
        tls=port == 465,
        starttls=port != 465,
        auth={**account, "mechanism": mechanism},
    )
    assert reply["auth"][0] == 235, reply
    assert reply["rcpt"][OUTSIDE][0] == 250, reply


def test_wrong_password_rejected(web_node, account):
    reply = smtp(
        web_node, MAIL, [OUTSIDE], starttls=True, auth={"user": account["user"], "password": "not-the-password"}
    )
    assert reply["auth"][0] == 535, reply
    assert reply["rcpt"][OUTSIDE][0] == 554, reply


def test_no_auth_no_relay(web_node):
    reply = smtp(web_node, MAIL, [OUTSIDE], starttls=True)
    code, text = reply["rcpt"][OUTSIDE]
    assert code == 554, reply
    assert "Relay access denied" in text


def test_submission_requires_starttls(web_node):
    reply = smtp(web_node, MAIL, [f"user1@{MAIL}"], port=587)
    assert reply["mail"][0] == 530, reply
    assert "STARTTLS" in reply["mail"][1]


def test_submission_refuses_mail_without_auth(web_node):
    reply = smtp(web_node, MAIL, [f"user1@{MAIL}"], port=587, starttls=True)
    assert reply["rcpt"][f"user1@{MAIL}"][0] == 554, reply


def test_dovecot_serves_postfix_only(mail_node):
    assert mail_node.service("dovecot").is_running
    assert mail_node.service("dovecot").is_enabled
    socket = mail_node.file("/var/spool/postfix/private/auth")
    assert socket.is_socket
    assert (socket.user, socket.group, socket.mode) == ("postfix", "postfix", 0o660)
    listening = mail_node.check_output("ss -H -ltnp")
    assert "dovecot" not in listening, listening
    mail_node.check_output("doveconf -n")
