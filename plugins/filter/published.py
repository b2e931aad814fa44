# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read what the collection's roles publish as local facts on their hosts.

A role that owns data other roles need publishes it under
/etc/ansible/facts.d/ (ansible_local.listserv_<role>); consumers read it from
the play's hostvars. published_trust collects the certificates the web nodes
ask the mail nodes to trust (mailman_web publishes, the mailman role's
mailman_trusted_certificates takes them; wired in playbooks/site.yml).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

PEM_START = "-----BEGIN CERTIFICATE-----"


def published_trust(hosts, hostvars, fact="listserv_mailman_web"):
    """[{name, certificate}] of every host in hosts whose facts publish a certificate to trust.

    Hosts without the fact (not set up yet, or left out by --limit) give nothing;
    a published entry that is not a name with a PEM certificate is an error naming the host.
    """
    if isinstance(hosts, str) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError(f"published_trust: expected a list of inventory hosts, got {hosts!r}")
    found = []
    for host in hosts:
        if host not in hostvars:
            raise AnsibleFilterError(f"published_trust: {host!r} is not an inventory host")
        facts = hostvars[host].get("ansible_facts") or {}
        published = (facts.get("ansible_local") or {}).get(fact) or {}
        trust = published.get("trust") or {}
        if not trust:
            continue
        name, certificate = trust.get("name"), trust.get("certificate")
        if not isinstance(name, str) or not name or not isinstance(certificate, str) or PEM_START not in certificate:
            raise AnsibleFilterError(
                f"published_trust: {host} publishes a certificate to trust without a name or a PEM certificate "
                f"(ansible_local.{fact}.trust has name {name!r})"
            )
        entry = {"name": name, "certificate": certificate}
        if entry not in found:
            found.append(entry)
    return found


class FilterModule:
    def filters(self):
        return {"published_trust": published_trust}
