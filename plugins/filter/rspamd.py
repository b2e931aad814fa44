# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""DKIM keys of the rspamd role, and the DNS records that publish them.

- rspamd_dkim_keys: one key per signing domain and kept selector, with its
  file and whether rspamd signs with it now;
- dkim_txt_record: the TXT record (name and zone-file text) of a public key
  in PEM, the value split into strings of at most 255 characters.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.module_utils import dkim

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")
# A selector is a DNS label (or dotted labels), RFC 6376 3.1.
_SELECTOR = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")


def rspamd_dkim_keys(domains, selectors, key_dir, signing_selector):
    """[{domain, selector, path, signing}] for every domain and selector."""
    if isinstance(domains, (str, dict)) or not isinstance(domains, (list, tuple)):
        raise AnsibleFilterError(f"rspamd_dkim_domains must be a list of domains, got {domains!r}")
    if isinstance(selectors, (str, dict)) or not isinstance(selectors, (list, tuple)):
        raise AnsibleFilterError(f"the DKIM selectors must be a list, got {selectors!r}")
    for domain in domains:
        if not isinstance(domain, str) or not _DOMAIN.match(domain):
            raise AnsibleFilterError(f"rspamd_dkim_domains: {domain!r} is not a lower-case domain name")
    for selector in selectors:
        if not isinstance(selector, str) or not _SELECTOR.match(selector):
            raise AnsibleFilterError(
                f"DKIM selector {selector!r} is not a lower-case DNS label (letters, digits, hyphens)"
            )
    if signing_selector not in selectors:
        raise AnsibleFilterError(f"the signing selector {signing_selector!r} is not among {list(selectors)!r}")
    key_dir = str(key_dir).rstrip("/")
    return [
        {
            "domain": domain,
            "selector": selector,
            "path": f"{key_dir}/{domain}.{selector}.key",
            "signing": selector == signing_selector,
        }
        for domain in dict.fromkeys(domains)
        for selector in dict.fromkeys(selectors)
    ]


def dkim_txt_record(pem, selector, domain, ttl=None):
    """{name, value, text}: the record that publishes a DKIM public key (PEM, SubjectPublicKeyInfo)."""
    try:
        return dkim.dkim_txt_record(pem, selector, domain, ttl)
    except ValueError as error:
        raise AnsibleFilterError(f"dkim_txt_record: {error}") from error


def rspamd_published_keys(results):
    """[{domain, selector, signing, public_key}] from the results of the task that read each key's public half.

    Keys whose command failed or did not run (check mode on a new node) are left out.
    """
    published = []
    for result in results or []:
        item = result.get("item") or {}
        if result.get("rc") != 0 or not dkim.PEM_PUBLIC_KEY.search(str(result.get("stdout") or "")):
            continue
        published.append(
            {
                "domain": item["domain"],
                "selector": item["selector"],
                "signing": bool(item.get("signing")),
                "public_key": str(result["stdout"]).strip() + "\n",
            }
        )
    return published


class FilterModule:
    def filters(self):
        return {
            "rspamd_dkim_keys": rspamd_dkim_keys,
            "rspamd_published_keys": rspamd_published_keys,
            "dkim_txt_record": dkim_txt_record,
        }
