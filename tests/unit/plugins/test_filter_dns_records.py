"""rspamd_dkim_keys, rspamd_published_keys, dkim_txt_record, dns_zone_snippet,
dns_mx_addresses: the DKIM keys the rspamd role keeps and the records a site
publishes, including the bad input that must be refused naming the value."""

from __future__ import annotations

import re
import subprocess

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.dns_records import dns_mx_addresses, dns_zone_snippet
from ansible_collections.listserv.mailstack.plugins.filter.rspamd import (
    dkim_txt_record,
    rspamd_dkim_keys,
    rspamd_published_keys,
)


@pytest.fixture(scope="module")
def public_pem() -> str:
    key = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return subprocess.run(["openssl", "pkey", "-pubout"], input=key, check=True, capture_output=True, text=True).stdout


def test_one_key_per_domain_and_selector():
    keys = rspamd_dkim_keys(["a.example", "b.example", "a.example"], ["m-2", "m-1"], "/k/", "m-2")
    assert [(k["domain"], k["selector"], k["signing"]) for k in keys] == [
        ("a.example", "m-2", True),
        ("a.example", "m-1", False),
        ("b.example", "m-2", True),
        ("b.example", "m-1", False),
    ]
    assert keys[0]["path"] == "/k/a.example.m-2.key"


@pytest.mark.parametrize(
    ("domains", "selectors", "signing", "named"),
    [
        (["Upper.Example"], ["s1"], "s1", "'Upper.Example'"),
        (["localhost"], ["s1"], "s1", "'localhost'"),
        (["a.example/../x"], ["s1"], "s1", "'a.example/../x'"),
        ("a.example", ["s1"], "s1", "'a.example'"),
        (["a.example"], ["s_1"], "s_1", "'s_1'"),
        (["a.example"], ["s1 ; rm"], "s1 ; rm", "'s1 ; rm'"),
        (["a.example"], ["s1"], "s2", "'s2'"),
    ],
)
def test_bad_domains_and_selectors_are_refused_naming_them(domains, selectors, signing, named):
    with pytest.raises(AnsibleFilterError, match=re.escape(named)):
        rspamd_dkim_keys(domains, selectors, "/k", signing)


def test_published_keys_leave_out_keys_not_read(public_pem):
    item = {"domain": "a.example", "selector": "s1", "signing": True}
    results = [
        {"item": item, "rc": 0, "stdout": public_pem},
        {"item": {**item, "selector": "s2"}, "rc": 1, "stdout": ""},
        {"item": {**item, "selector": "s3"}, "skipped": True},
    ]
    published = rspamd_published_keys(results)
    assert [(k["selector"], k["signing"]) for k in published] == [("s1", True)]
    assert published[0]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")


def test_txt_record_splits_the_value_into_strings_of_255(public_pem):
    record = dkim_txt_record(public_pem, "s1", "a.example", 600)
    assert record["name"] == "s1._domainkey.a.example."
    assert record["value"].startswith("v=DKIM1; k=rsa; p=MIIBIjAN")
    strings = re.findall(r'"([^"]*)"', record["text"])
    assert len(strings) == 2 and all(len(s) <= 255 for s in strings)
    assert "".join(strings) == record["value"]
    assert record["text"].startswith("s1._domainkey.a.example. 600 IN TXT ( ")


def test_txt_record_without_a_key_is_an_error():
    with pytest.raises(AnsibleFilterError, match=re.escape("s1._domainkey.a.example")):
        dkim_txt_record("not a key", "s1", "a.example")


SPEC = {
    "mx": ["mail.example.org"],
    "hosts": {"mail.example.org": ["192.0.2.25", "2001:db8::25"], "mx.other.example": ["192.0.2.26"]},
    "spf_addresses": ["192.0.2.25", "2001:db8:0:0::25"],
    "dmarc_policy": "quarantine",
    "dmarc_rua": ["mailto:dmarc@example.org"],
}


def test_snippet_of_the_mail_domain(public_pem):
    text = dns_zone_snippet("example.org", {**SPEC, "dkim": [{"selector": "s1", "public_key": public_pem}]})
    lines = [line for line in text.splitlines() if not line.startswith(";")]
    assert lines[0] == "example.org. 3600 IN MX 10 mail.example.org."
    assert "mail.example.org. 3600 IN A 192.0.2.25" in lines
    assert "mail.example.org. 3600 IN AAAA 2001:db8::25" in lines
    assert not any("mx.other.example" in line for line in lines), "a host of another domain leaked in"
    assert 'example.org. 3600 IN TXT "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all"' in lines
    assert any(line.startswith("s1._domainkey.example.org. 3600 IN TXT ( ") for line in lines)
    assert (
        '_dmarc.example.org. 3600 IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org; adkim=r; aspf=r"'
        in lines
    )


def test_snippet_with_tls_reporting_and_mta_sts():
    text = dns_zone_snippet(
        "example.org", {"mx": [], "tls_rpt_rua": ["mailto:tls@example.org"], "mta_sts_id": "20261205", "ttl": 300}
    )
    assert '_smtp._tls.example.org. 300 IN TXT "v=TLSRPTv1; rua=mailto:tls@example.org"' in text
    assert '_mta-sts.example.org. 300 IN TXT "v=STSv1; id=20261205"' in text
    assert 'example.org. 300 IN TXT "v=spf1 -all"' in text


@pytest.mark.parametrize(
    ("domain", "spec", "named"),
    [
        ("Example.org", {}, "'Example.org'"),
        ("example.org", {"mx": ["bad host"]}, "'bad host'"),
        ("example.org", {"spf_addresses": ["192.0.2.300"]}, "'192.0.2.300'"),
        ("example.org", {"dmarc_policy": "block"}, "'block'"),
        ("example.org", {"spf_all": "+all"}, "'+all'"),
        ("example.org", {"dmarc_rua": ["dmarc@example.org"]}, "'dmarc@example.org'"),
        ("example.org", {"dkim": [{"selector": "s1", "public_key": "junk"}]}, "s1._domainkey.example.org"),
        ("example.org", {"mta_sts_id": "id with spaces"}, "'id with spaces'"),
        ("example.org", {"hosts": {"x.example.org": ["not-an-ip"]}}, "'not-an-ip'"),
    ],
)
def test_bad_record_settings_are_refused_naming_them(domain, spec, named):
    with pytest.raises(AnsibleFilterError, match=re.escape(named)):
        dns_zone_snippet(domain, spec)


def test_mx_addresses_group_the_nodes_by_name():
    hostvars = {
        "mail1": {"postfix_myhostname": "mail.example.org", "ansible_default_ipv4": {"address": "192.0.2.1"}},
        "mail2": {"postfix_myhostname": "mail.example.org", "ansible_default_ipv4": {"address": "192.0.2.2"}},
        "solo": {"ansible_default_ipv4": {"address": "192.0.2.3"}, "ansible_default_ipv6": {"address": "fe80::1"}},
        "nofacts": {},
    }
    assert dns_mx_addresses(["mail1", "mail2", "solo", "nofacts"], hostvars) == {
        "mail.example.org": ["192.0.2.1", "192.0.2.2"],
        "solo": ["192.0.2.3"],
    }
