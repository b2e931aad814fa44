"""Postfix on the mail node (role postfix, seed P1-P13, M7), checked with real
SMTP sessions opened from the web node, which is outside mynetworks."""

from __future__ import annotations

import json

import pytest
from smtp import smtp, token, wait_for_mail

MAIL = "mail.example.test"


@pytest.fixture
def mail(mail_node):
    return mail_node


@pytest.fixture
def client(web_node):
    return web_node


def test_postfix_runs_and_replaced_exim(mail):
    assert mail.service("postfix").is_running
    assert mail.service("postfix").is_enabled
    listed = mail.run("dpkg-query -W -f '${Package} ${db:Status-Status}\\n' 'exim4*'").stdout
    assert " installed" not in listed, listed
    assert not mail.file("/etc/exim4").exists
    mail.check_output("postfix check")


def test_mail_version_is_a_fact_and_config_is_sane(mail):
    version = mail.check_output("postconf -h mail_version")
    assert version.split(".")[0] == "3"
    conf = mail.check_output("postconf -n")
    assert "disable_vrfy_command = yes" in conf
    # P8/P9 settings are explicit in main.cf, not left to version defaults
    for setting in ("line_length_limit = 2048", "smtpd_error_sleep_time = 1s", "smtpd_recipient_limit = 1000"):
        assert setting in conf, setting
    assert "smtpd_relay_restrictions = permit_mynetworks" in conf
    assert "reject_unauth_destination" in conf
    # alias_maps and alias_database list the same files (P6)
    maps = mail.check_output("postconf -h alias_maps")
    assert maps == mail.check_output("postconf -h alias_database")
    assert "/etc/aliases" in maps and "/etc/postfix/aliases" in maps


def test_spool_is_not_world_writable(mail):
    spool = mail.file("/var/mail")
    assert spool.user == "root" and spool.group == "mail"
    assert spool.mode == 0o2775


def test_delivery_into_an_account_mailbox(client, mail):
    marker = token()
    reply = smtp(client, MAIL, [f"user1@{MAIL}"], body=marker)
    assert reply["data"][0] == 250, reply
    box = wait_for_mail(mail, "/var/mail/user1", marker)
    assert "Subject: test" in box
    mailbox = mail.file("/var/mail/user1")
    assert (mailbox.user, mailbox.group, mailbox.mode) == ("user1", "mail", 0o660)


def test_alias_expands_to_account(client, mail):
    marker = token()
    reply = smtp(client, MAIL, [f"info@{MAIL}"], body=marker)
    assert reply["rcpt"][f"info@{MAIL}"][0] == 250, reply
    wait_for_mail(mail, "/var/mail/user1", marker)


def test_include_list_fans_out_to_every_member(client, mail):
    marker = token()
    reply = smtp(client, MAIL, [f"staff@{MAIL}"], body=marker)
    assert reply["data"][0] == 250, reply
    for member in ("user1", "user2"):
        wait_for_mail(mail, f"/var/mail/{member}", marker)
    assert mail.file("/etc/postfix/mail_list/staff").content_string == "user1\nuser2\n"
    aliases = mail.file("/etc/postfix/aliases").content_string
    assert "staff: :include:/etc/postfix/mail_list/staff" in aliases
    assert "owner-staff: user1" in aliases
    assert "staff-request: user1" in aliases


def test_unknown_recipient_rejected_at_rcpt(client):
    reply = smtp(client, MAIL, [f"nobody-here@{MAIL}"])
    code, text = reply["rcpt"][f"nobody-here@{MAIL}"]
    assert code == 550, reply
    assert "User unknown" in text


def test_no_relay_for_outside_clients(client):
    reply = smtp(client, MAIL, ["someone@elsewhere.example"])
    code, text = reply["rcpt"]["someone@elsewhere.example"]
    assert code == 554, reply
    assert "Relay access denied" in text


def test_message_over_size_limit_refused(client, mail):
    limit = int(mail.check_output("postconf -h message_size_limit"))
    assert limit == 10240000
    reply = smtp(client, MAIL, [f"user1@{MAIL}"], size=limit + 1)
    assert reply["mail"][0] == 552, reply


def test_too_many_recipients_deferred(client, mail):
    limit = int(mail.check_output("postconf -h smtpd_recipient_limit"))
    assert limit == 1000
    recipients = [f"user1+{i}@{MAIL}" for i in range(limit + 1)]
    reply = smtp(client, MAIL, recipients)
    codes = [reply["rcpt"][r][0] for r in recipients]
    assert codes[:limit] == [250] * limit
    assert codes[limit] == 452, reply["rcpt"][recipients[limit]]


def test_backup_mx_accepts_only_known_recipients(client):
    reply = smtp(client, MAIL, ["known@backup.example.test", "stranger@backup.example.test"])
    assert reply["rcpt"]["known@backup.example.test"][0] == 250, reply
    code, text = reply["rcpt"]["stranger@backup.example.test"]
    assert code == 550, reply
    assert "relay recipient table" in text


def test_vrfy_disabled(client):
    script = f"import smtplib; s = smtplib.SMTP('{MAIL}', 25); print(s.verify('user1')[0]); s.quit()"
    assert client.check_output("python3 -c %s", script) == "502"


def test_starttls_offered_with_modern_tls(client):
    reply = smtp(client, MAIL, [f"user1@{MAIL}"], starttls=True)
    assert "starttls" in reply["features"]
    assert reply["starttls"][0] == 220


def test_removed_account_mailbox_archived_and_gone(mail):
    # The account exists only where molecule's prepare step created it; the
    # marker says so independently of the feature under test.
    if not mail.file("/var/lib/mailstack-molecule-prepared").exists:
        pytest.skip("the account `former` is created by molecule's prepare step only")
    assert not mail.user("former").exists
    assert not mail.file("/var/mail/former").exists
    archived = mail.run("grep -l prepared-by-molecule /var/backups/former.*").stdout.split()
    assert len(archived) == 1, f"mailbox of `former` not archived exactly once: {archived}"


def test_error_throttling_disconnects_after_hard_limit(client, mail):
    # P9: after smtpd_hard_error_limit errors the server hangs up (421);
    # above smtpd_soft_error_limit every error is delayed.
    hard = int(mail.check_output("postconf -h smtpd_hard_error_limit"))
    soft = int(mail.check_output("postconf -h smtpd_soft_error_limit"))
    assert (hard, soft) == (20, 10)
    script = (
        (
            "import json, smtplib, time; s = smtplib.SMTP('@SERVER@', 25, timeout=120); s.ehlo('web.example.test'); "
            "start = time.monotonic(); codes = []\n"
            "try:\n"
            "    for _ in range(@COUNT@):\n"
            "        codes.append(s.docmd('BOGUS')[0])\n"
            "except smtplib.SMTPServerDisconnected:\n"
            "    codes.append('disconnected')\n"
            "print(json.dumps({'codes': codes, 'seconds': time.monotonic() - start}))"
        )
        .replace("@SERVER@", MAIL)
        .replace("@COUNT@", str(hard + 5))
    )
    result = json.loads(client.check_output("python3 -c %s", script))
    codes = result["codes"]
    assert codes[: hard - 1] == [500] * (hard - 1), codes
    assert 421 in codes[hard - 1 : hard + 1] or "disconnected" in codes, codes
    # errors soft..hard each slept smtpd_error_sleep_time (1s)
    assert result["seconds"] >= hard - soft - 1, result


def test_tls_certificate_names_the_host(client):
    script = (
        "import smtplib, ssl; c = ssl._create_unverified_context(); s = smtplib.SMTP('@SERVER@', 25); "
        "s.starttls(context=c); print(s.sock.version()); "
        "import subprocess; der = s.sock.getpeercert(binary_form=True); s.quit(); "
        "print(subprocess.run(['openssl', 'x509', '-inform', 'DER', '-noout', '-subject'], input=der, "
        "capture_output=True).stdout.decode())"
    ).replace("@SERVER@", MAIL)
    out = client.check_output("python3 -c %s", script)
    assert out.splitlines()[0] in ("TLSv1.2", "TLSv1.3"), out
    assert f"CN = {MAIL}" in out or f"CN={MAIL}" in out, out
