# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Turn a list of inventory host names and addresses into addresses.

Roles that restrict a service to named peers (the NFS export, the Mailman REST
API, the HyperKitty archiver) accept inventory host names for convenience, but
firewalls and access lists need addresses. This filter is the one place that
resolves them: from the facts Ansible gathered on those hosts, never from DNS
at run time.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError

OPEN_TO_ALL = ("0.0.0.0/0", "::/0", "*")


def _fact_address(name, facts, family):
    key = "default_ipv4" if family == 4 else "default_ipv6"
    value = (facts.get(key) or {}).get("address")
    if value:
        return str(value)
    return None


def host_addresses(items, hostvars=None, family="ipv4", allow_networks=True):
    """Resolve inventory host names to addresses; validate addresses and networks.

    items: list of inventory host names, IP addresses or networks (CIDR).
    hostvars: the play's hostvars; a name found there is replaced by the
      address from its gathered facts (default_ipv4 / default_ipv6).
    family: ipv4, ipv6 or both: which addresses of an inventory host to use.
    allow_networks: accept CIDR networks; never accepts a network open to all.
    """
    if isinstance(items, str):
        items = [items]
    if not isinstance(items, (list, tuple)):
        raise AnsibleFilterError(f"host_addresses: expected a list of hosts or addresses, got {items!r}")
    if family not in ("ipv4", "ipv6", "both"):
        raise AnsibleFilterError(f"host_addresses: family must be ipv4, ipv6 or both, got {family!r}")
    hostvars = hostvars or {}
    result = []
    for item in items:
        text = str(item).strip()
        if text in OPEN_TO_ALL or text.endswith("/0"):
            raise AnsibleFilterError(
                f"host_addresses: {text!r} would allow every host; name the hosts that need access"
            )
        if text in hostvars:
            facts = hostvars[text].get("ansible_facts") or {}
            found = [
                address
                for number, wanted in ((4, ("ipv4", "both")), (6, ("ipv6", "both")))
                if family in wanted
                for address in [_fact_address(text, facts, number)]
                if address
            ]
            if not found:
                raise AnsibleFilterError(
                    f"host_addresses: inventory host {text!r} has no {family} address in its facts;"
                    " gather facts on it first"
                )
            result.extend(found)
            continue
        try:
            if "/" in text:
                if not allow_networks:
                    raise AnsibleFilterError(f"host_addresses: {text!r} is a network; a single host is needed here")
                result.append(str(ipaddress.ip_network(text, strict=False)))
            else:
                result.append(str(ipaddress.ip_address(text)))
        except ValueError:
            raise AnsibleFilterError(
                f"host_addresses: {text!r} is neither an inventory host nor an IP address or network"
            ) from None
    seen = set()
    return [address for address in result if not (address in seen or seen.add(address))]


class FilterModule:
    def filters(self):
        return {"host_addresses": host_addresses}
