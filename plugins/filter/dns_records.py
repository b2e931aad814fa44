# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The DNS records a mail domain of the site must publish, as a zone-file snippet.

One snippet per domain, with absolute names (a trailing dot), so that it can be
pasted into, or $INCLUDEd by, any zone: MX, the A/AAAA records of the MX hosts
the site runs, SPF, one DKIM TXT record per published key, DMARC and, where
configured, TLS-RPT and MTA-STS.
"""

from __future__ import annotations

import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.module_utils.dkim import dkim_txt_record, txt_strings

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
_POLICIES = ("none", "quarantine", "reject")
_SPF_ALL = ("-all", "~all", "?all")
_MAILTO = re.compile(r"^mailto:[^@\s,;!]+@[a-z0-9.-]+$")


def _fail(domain, message):
    raise AnsibleFilterError(f"dns_zone_snippet ({domain}): {message}")


def _addresses(domain, values, what):
    parsed = []
    for value in values or []:
        try:
            parsed.append(ipaddress.ip_address(str(value)))
        except ValueError:
            _fail(domain, f"{what} {value!r} is not an IP address")
    return parsed


def _check_spec(domain, spec):
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        raise AnsibleFilterError(f"dns_zone_snippet: {domain!r} is not a lower-case domain name")
    if not isinstance(spec, dict):
        _fail(domain, f"the record settings must be a dict, got {spec!r}")
    for host in spec.get("mx") or []:
        if not _DOMAIN.match(str(host)):
            _fail(domain, f"MX host {host!r} is not a lower-case domain name")
    policy = spec.get("dmarc_policy", "none")
    if policy not in _POLICIES:
        _fail(domain, f"DMARC policy {policy!r} is not one of {', '.join(_POLICIES)}")
    if spec.get("spf_all", "-all") not in _SPF_ALL:
        _fail(domain, f"SPF ending {spec.get('spf_all')!r} is not one of {', '.join(_SPF_ALL)}")
    for key in ("dmarc_rua", "tls_rpt_rua"):
        for address in spec.get(key) or []:
            if not _MAILTO.match(str(address)):
                _fail(domain, f"{key} {address!r} is not mailto:address")


def _spf(spec, addresses):
    mechanisms = [f"ip{address.version}:{address.compressed}" for address in addresses]
    mechanisms += [f"include:{name}" for name in spec.get("spf_include") or []]
    return " ".join(["v=spf1", *mechanisms, spec.get("spf_all", "-all")])


def _dmarc(spec):
    tags = [f"v=DMARC1; p={spec.get('dmarc_policy', 'none')}"]
    if spec.get("dmarc_rua"):
        tags.append("rua=" + ",".join(spec["dmarc_rua"]))
    tags += ["adkim=r", "aspf=r"]
    return "; ".join(tags)


def dns_zone_snippet(domain, spec):
    """The zone-file text of the records `domain` must publish.

    spec: mx (host names, in preference order), hosts ({host: [addresses]} for the A/AAAA records of MX
    hosts the site runs), spf_addresses (the addresses mail leaves from), spf_include, spf_all (-all),
    dkim ([{selector, public_key (PEM)}]), dmarc_policy (none), dmarc_rua ([mailto:...]), tls_rpt_rua,
    mta_sts_id (the id of a policy served at https://mta-sts.DOMAIN/), ttl (3600).
    """
    _check_spec(domain, spec)
    ttl = int(spec.get("ttl") or 3600)
    origin = f"{domain}."
    lines = [
        f"; Records to publish for {domain} (listserv.mailstack, playbooks/dns_records.yml).",
        "; Absolute names: paste into the zone, or $INCLUDE this file.",
    ]
    for preference, host in enumerate(spec.get("mx") or [], start=1):
        lines.append(f"{origin} {ttl} IN MX {preference * 10} {host}.")
    for host, values in sorted((spec.get("hosts") or {}).items()):
        if not _DOMAIN.match(str(host)):
            _fail(domain, f"host {host!r} is not a lower-case domain name")
        if not (host == domain or host.endswith(f".{domain}")):
            continue
        for address in _addresses(domain, values, f"address of {host}"):
            kind = "A" if address.version == 4 else "AAAA"
            lines.append(f"{host}. {ttl} IN {kind} {address.compressed}")
    spf_addresses = _addresses(domain, spec.get("spf_addresses"), "SPF address")
    lines.append(f"{origin} {ttl} IN TXT {txt_strings(_spf(spec, spf_addresses))}")
    for key in spec.get("dkim") or []:
        try:
            lines.append(dkim_txt_record(key.get("public_key"), key.get("selector"), domain, ttl)["text"])
        except ValueError as error:
            _fail(domain, str(error))
    lines.append(f"_dmarc.{origin} {ttl} IN TXT {txt_strings(_dmarc(spec))}")
    if spec.get("tls_rpt_rua"):
        value = "v=TLSRPTv1; rua=" + ",".join(spec["tls_rpt_rua"])
        lines.append(f"_smtp._tls.{origin} {ttl} IN TXT {txt_strings(value)}")
    if spec.get("mta_sts_id"):
        if not re.match(r"^[A-Za-z0-9]{1,32}$", str(spec["mta_sts_id"])):
            _fail(domain, f"mta_sts_id {spec['mta_sts_id']!r} is not 1 to 32 letters and digits")
        lines.append(f"_mta-sts.{origin} {ttl} IN TXT {txt_strings('v=STSv1; id=' + str(spec['mta_sts_id']))}")
    return "\n".join(lines) + "\n"


def dns_mx_addresses(mail_hosts, hostvars):
    """{MX name: [addresses]}: each mail node's postfix_myhostname (or inventory name) with its addresses."""
    result = {}
    for name in mail_hosts or []:
        facts = hostvars.get(name) or {}
        mx = str(facts.get("postfix_myhostname") or name)
        for key in ("ansible_default_ipv4", "ansible_default_ipv6"):
            address = (facts.get(key) or {}).get("address")
            if address and not str(address).startswith("fe80"):
                result.setdefault(mx, [])
                if address not in result[mx]:
                    result[mx].append(address)
    return result


class FilterModule:
    def filters(self):
        return {"dns_zone_snippet": dns_zone_snippet, "dns_mx_addresses": dns_mx_addresses}
