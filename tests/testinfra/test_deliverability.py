"""Outgoing DKIM, incoming checks and refusals at SMTP (role rspamd), and the
records the site publishes (playbooks/dns_records.yml), with real mail.

The DKIM verifier is dkimpy (`dkim.verify`), not code of ours. Its DNS lookup
is answered from the zone snippets the records playbook wrote, so what
verifies is what an administrator would publish.
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import dkim
import pytest
from playbook_runs import playbook
from smtp import as_member, smtp, token, wait_for_mail

MAIL = "mail.example.test"
LIST = "team@lists.example.test"
LIST_DOMAIN = "lists.example.test"


@pytest.fixture(scope="module")
def zones(tmp_path_factory) -> dict[str, str]:
    """The records playbook's output: {domain: zone snippet}."""
    directory = tmp_path_factory.mktemp("dns-records")
    playbook("dns_records.yml", "-e", f"dns_records_dir={directory}")
    return {path.name.removesuffix(".zone"): path.read_text() for path in Path(directory).glob("*.zone")}


def txt_records(zone_text: str) -> dict[str, str]:
    """{name: value} of the TXT records in a snippet (strings of a record joined)."""
    records = {}
    for name, body in re.findall(r"^(\S+) \d+ IN TXT (.*)$", zone_text, re.M):
        records[name.rstrip(".").lower()] = "".join(re.findall(r'"([^"]*)"', body))
    return records


@pytest.fixture(scope="module")
def published(zones) -> dict[str, str]:
    records = {}
    for text in zones.values():
        records.update(txt_records(text))
    return records


def dns_from(published):
    def lookup(name, timeout=5):  # dkimpy's dnsfunc
        value = published.get(name.decode().rstrip(".").lower() if isinstance(name, bytes) else name.rstrip("."))
        return value.encode() if value else None

    return lookup


def delivered(mail, user: str, marker: str) -> bytes:
    """The raw message carrying marker in user's mbox, without the mbox From_ line."""
    box = wait_for_mail(mail, f"/var/mail/{user}", marker)
    for chunk in re.split(r"^From \S+ .*\n", box, flags=re.M):
        if marker in chunk:
            return chunk.replace("\n", "\r\n").encode()
    pytest.fail(f"no message with {marker} in /var/mail/{user}")


def signature_tags(message: bytes, domain: str) -> dict[str, str]:
    parsed = email.message_from_bytes(message, policy=email.policy.compat32)
    for header in parsed.get_all("DKIM-Signature", []):
        tags = dict(
            (part.split("=", 1)[0].strip(), re.sub(r"\s+", "", part.split("=", 1)[1]))
            for part in str(header).split(";")
            if "=" in part
        )
        if tags.get("d") == domain:
            return tags
    pytest.fail(f"no DKIM-Signature with d={domain}")


def test_records_name_mx_spf_dkim_and_dmarc_for_each_domain(zones, published):
    assert set(zones) == {MAIL, LIST_DOMAIN}, zones.keys()
    for domain, text in zones.items():
        assert re.search(rf"^{re.escape(domain)}\. \d+ IN MX 10 {re.escape(MAIL)}\.$", text, re.M), text
        assert published[domain].startswith("v=spf1 ip4:") and published[domain].endswith(" -all")
        assert published[f"_dmarc.{domain}"].startswith("v=DMARC1; p=none")
        keys = sorted(name for name in published if name.endswith(f"._domainkey.{domain}"))
        # The list domain also publishes Mailman's ARC key.
        wanted = ["arc-mail-1", "mail-1"] if domain == LIST_DOMAIN else ["mail-1"]
        assert keys == [f"{selector}._domainkey.{domain}" for selector in wanted], keys
        for key in keys:
            assert published[key].startswith("v=DKIM1; k=rsa; p=MII")
    assert re.search(rf"^{re.escape(MAIL)}\. \d+ IN A \d+\.\d+\.\d+\.\d+$", zones[MAIL], re.M)


def test_dkim_key_is_2048_bit_rsa_and_private_on_the_node(mail):
    key = mail.file(f"/var/lib/rspamd/dkim/{LIST_DOMAIN}.mail-1.key")
    assert key.user == "root" and key.group == "_rspamd" and key.mode == 0o640
    assert "Private-Key: (2048 bit" in mail.check_output("openssl pkey -in %s -noout -text", key.path)


def test_list_mail_is_signed_by_the_list_domain_after_mailman(web, mail, published):
    marker = token()
    sent = smtp(
        web, MAIL, [LIST], sender=f"user1@{MAIL}", body=marker, subject=f"dkim {marker}", **as_member(f"user1@{MAIL}")
    )
    assert sent["data"][0] == 250, sent
    message = delivered(mail, "user2", marker)
    tags = signature_tags(message, LIST_DOMAIN)
    assert tags["s"] == "mail-1" and tags["a"] == "rsa-sha256"
    signed = tags["h"].lower().split(":")
    for header in ("from", "subject", "list-id", "list-unsubscribe", "list-post"):
        assert header in signed, f"{header} not covered: {signed}"
    assert b"Subject: [Team] dkim" in message, "the signed copy is not Mailman's final one"
    assert dkim.verify(message, dnsfunc=dns_from(published)), "dkimpy does not verify the list's signature"


def test_list_mail_carries_a_valid_arc_seal_from_mailman(web, mail, published):
    """Mailman (role mailman, [ARC]) seals its changes; dkimpy's ARC verifier
    validates the chain (cv=pass) with the ARC key the records publish."""
    marker = token()
    sender = f"user1@{MAIL}"
    smtp(web, MAIL, [LIST], sender=sender, body=marker, subject=f"arc {marker}", **as_member(sender))
    message = delivered(mail, "user2", marker)
    for header in (
        b"ARC-Seal: i=1;",
        b"ARC-Message-Signature: i=1;",
        b"ARC-Authentication-Results: i=1; mail.example.test;",
    ):
        assert header in message, header
    result, instances, reason = dkim.arc_verify(message, dnsfunc=dns_from(published))
    assert result == b"pass", (reason, instances)
    assert instances[0]["as-domain"] == LIST_DOMAIN.encode() and instances[0]["ams-selector"] == b"arc-mail-1"


def test_an_altered_copy_no_longer_verifies(web, mail, published):
    """The verifier can fail: the same delivered copy with its Subject changed."""
    marker = token()
    smtp(
        web, MAIL, [LIST], sender=f"user1@{MAIL}", body=marker, subject=f"alter {marker}", **as_member(f"user1@{MAIL}")
    )
    message = delivered(mail, "user2", marker)
    assert dkim.verify(message, dnsfunc=dns_from(published))
    assert dkim.arc_verify(message, dnsfunc=dns_from(published))[0] == b"pass"
    altered = message.replace(b"Subject: [Team] alter", b"Subject: [Team] ALTER")
    assert not dkim.verify(altered, dnsfunc=dns_from(published))
    assert dkim.arc_verify(altered, dnsfunc=dns_from(published))[0] == b"fail"


def test_users_mail_is_signed_by_their_own_domain(web, mail, published):
    marker = token()
    sender = f"user1@{MAIL}"
    sent = smtp(web, MAIL, [f"user2@{MAIL}"], sender=sender, body=marker, subject=marker, **as_member(sender))
    assert sent["data"][0] == 250, sent
    message = delivered(mail, "user2", marker)
    assert signature_tags(message, MAIL)["s"] == "mail-1"
    assert dkim.verify(message, dnsfunc=dns_from(published))


def test_mail_from_outside_gets_authentication_results_and_no_signature(web, mail):
    marker = token()
    smtp(web, MAIL, [f"user1@{MAIL}"], sender="tester@web.example.test", body=marker, subject=marker)
    message = delivered(mail, "user1", marker).decode()
    results = re.search(r"^Authentication-Results: (.*?)\r\n(?=\S)", message, re.M | re.S)
    assert results, message[:2000]
    text = results.group(1)
    assert text.startswith(f"{MAIL};"), text
    for method in ("spf=", "dkim=", "dmarc="):
        assert method in text, text
    assert "smtp.mailfrom=tester@web.example.test" in text
    assert "DKIM-Signature" not in message, "mail from outside was signed as the site's"


@pytest.mark.parametrize(
    "duplicate",
    [{"Message-ID": "<one@web.example.test>", "Message-Id": "<two@web.example.test>"}, {"Date": "x", "DATE": "y"}],
    ids=["two-message-ids", "two-dates"],
)
def test_malformed_post_is_refused_at_smtp_not_shunted(web, mail, duplicate):
    """The audit's case: Postfix said 250, Mailman shunted it, nobody was told.
    Now the sender gets a 5xx while connected, and Mailman's shunt queue
    stays empty."""
    marker = token()
    reply = smtp(web, MAIL, [LIST], sender="tester@web.example.test", body=marker, headers=duplicate)
    code, text = reply["data"]
    assert code == 554, reply
    assert "appears more than once" in text
    assert mail.check_output("ls -A /var/lib/mailman3/queue/shunt") == ""
