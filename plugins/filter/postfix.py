# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Merge the Postfix role's parameters with what other roles contribute.

Roles such as sasl_dovecot and mailman add main.cf parameters through the
postfix role's hook instead of editing main.cf themselves. This filter is the
one place that decides how those contributions combine with the role's own
settings, so that running any of the roles again gives the same main.cf.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# Parameters whose values are lists that several roles extend (maps, domains):
# contributions are appended, duplicates dropped, order kept.
ADDITIVE = frozenset(
    {
        "alias_database",
        "alias_maps",
        "local_recipient_maps",
        "mynetworks",
        "relay_domains",
        "relay_recipient_maps",
        "smtpd_milters",
        "smtpd_sender_login_maps",
        "non_smtpd_milters",
        "transport_maps",
        "virtual_alias_maps",
        "virtual_mailbox_maps",
    }
)


def _as_list(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    text = str(value).replace(",", " ")
    return text.split()


def _dedupe(items):
    seen = set()
    result = []
    for item in items:
        if item not in seen:
            seen.add(item)
            result.append(item)
    return result


def postfix_merge(parameters, contributions=None, restrictions=None):
    """Return the complete main.cf parameter set.

    parameters: the role's own parameters (dict).
    contributions: list of dicts with keys `name`, `parameters` (dict) and
      `restrictions` (dict list-name -> {permit: [...], reject: [...]}).
    restrictions: the role's restriction lists, dict list-name ->
      {permit: [...], reject: [...]}. Each final list is the role's permits,
      the contributed permits, the role's rejects, then contributed rejects,
      so `permit_sasl_authenticated` from a contribution always lands before
      `reject_unauth_destination`.
    """
    if not isinstance(parameters, dict):
        raise AnsibleFilterError(f"postfix_merge: parameters must be a dict, got {type(parameters).__name__}")
    contributions = contributions or []
    restrictions = restrictions or {}
    merged = dict(parameters)
    owner = dict.fromkeys(parameters, "the postfix role")

    for contribution in sorted(contributions, key=lambda c: str(c.get("name", ""))):
        who = str(contribution.get("name") or "an unnamed contribution")
        for name, value in (contribution.get("parameters") or {}).items():
            if name in ADDITIVE:
                merged[name] = _dedupe(_as_list(merged.get(name)) + _as_list(value))
                continue
            if name in restrictions:
                raise AnsibleFilterError(
                    f"postfix_merge: {who} sets {name} directly; contribute to it through `restrictions` instead"
                )
            if name in merged and merged[name] != value:
                raise AnsibleFilterError(
                    f"postfix_merge: {who} sets {name} = {value!r}, but {owner[name]} already sets {merged[name]!r}"
                )
            merged[name] = value
            owner[name] = who

    for list_name, own in restrictions.items():
        permits = list(own.get("permit") or [])
        rejects = list(own.get("reject") or [])
        extra_permits, extra_rejects = [], []
        for contribution in sorted(contributions, key=lambda c: str(c.get("name", ""))):
            wanted = (contribution.get("restrictions") or {}).get(list_name) or {}
            extra_permits.extend(wanted.get("permit") or [])
            extra_rejects.extend(wanted.get("reject") or [])
        merged[list_name] = _dedupe(permits + extra_permits + rejects + extra_rejects)

    for contribution in contributions:
        unknown = set(contribution.get("restrictions") or {}) - set(restrictions)
        if unknown:
            raise AnsibleFilterError(
                f"postfix_merge: {contribution.get('name')} contributes to unknown restriction list(s) "
                f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(restrictions))}"
            )
    return merged


def postfix_list_aliases(lists, list_dir):
    """The aliases of Postfix-native lists: NAME (the member file), owner-NAME and NAME-request (the owner).

    lists: [{name, owner, ...}] (owner may be missing for lists that are being removed: their
      aliases are only named then, and the recipients are empty).
    list_dir: the directory of the member files.
    """
    if isinstance(lists, (str, dict)) or not isinstance(lists, (list, tuple)):
        raise AnsibleFilterError(f"postfix_list_aliases: expected a list of lists, got {lists!r}")
    aliases = {}
    for entry in lists:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise AnsibleFilterError(f"postfix_list_aliases: a list needs a name, got {entry!r}")
        name = str(entry["name"])
        owner = [str(entry["owner"])] if entry.get("owner") else []
        aliases[name] = [f":include:{str(list_dir).rstrip('/')}/{name}"]
        aliases[f"owner-{name}"] = owner
        aliases[f"{name}-request"] = owner
    return aliases


# A domain name as Postfix compares it (no trailing dot, no wildcards).
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")
# A SASL login or address that may own senders: no whitespace, no comma (the
# separators of a table result), nothing a regexp table result would expand.
_LOGIN = re.compile(r"^[^\s,$]+$")
_EXPANSIONS = ("myhostname", "mydomain")


def _expand(value, names):
    text = str(value)
    for name in _EXPANSIONS:
        for form in (f"${{{name}}}", f"$({name})", f"${name}"):
            text = text.replace(form, names[name])
    return text


def _ere_escape(text):
    """text as a literal in a POSIX extended regular expression (Postfix regexp tables)."""
    return "".join(f"\\{char}" if char in "\\.[]()*+?{}|^$" else char for char in text)


def _sender_domains(domains, names, who):
    if isinstance(domains, (str, dict)) or not isinstance(domains, (list, tuple)):
        raise AnsibleFilterError(f"{who}: the sender domains must be a list, got {domains!r}")
    expanded = []
    for entry in domains:
        domain = _expand(entry, names).strip().rstrip(".").lower()
        if not _DOMAIN.match(domain):
            raise AnsibleFilterError(
                f"{who}: {entry!r} is not a domain name; the sender checks need the local domains by name "
                "(a lookup table in mydestination cannot be expanded: list the domains in postfix_sender_login_domains)"
            )
        if domain not in expanded:
            expanded.append(domain)
    return expanded


def _sender_owners(logins, who):
    if not isinstance(logins, dict):
        raise AnsibleFilterError(f"{who}: the sender logins must be a dict of address -> logins, got {logins!r}")
    explicit = []
    for key, value in sorted(logins.items()):
        address = str(key).strip().lower()
        if address.count("@") != 1 or not _DOMAIN.match(address.split("@")[1]) or not _LOGIN.match(address):
            raise AnsibleFilterError(f"{who}: sender login address {address!r} is not an address user@domain")
        owners = [value] if isinstance(value, str) else value
        if not isinstance(owners, (list, tuple)) or not owners:
            raise AnsibleFilterError(
                f"{who}: the owners of {address!r} must be a login or a non-empty list, got {owners!r}"
            )
        for login in owners:
            if not isinstance(login, str) or not _LOGIN.match(login):
                raise AnsibleFilterError(f"{who}: {login!r}, owner of {address!r}, is not a login name")
        explicit.append((address, list(owners)))
    return explicit


def postfix_sender_maps(domains, logins=None, owner="local-part", *, myhostname="", mydomain="", who="postfix"):
    """The two regexp tables that stop anyone outside from using a local address as envelope sender.

    domains: the local domains (mydestination entries; $myhostname and $mydomain are expanded).
    logins: explicit owners, address -> SASL login name or list of names (an alias a user sends as).
    owner: `local-part`: every other address of the domains belongs to the login named as its local
      part (system accounts), also given as the whole address (passwd-file users named by address);
      `nobody`: no login owns them (list addresses).
    Returns {"logins": text of the smtpd_sender_login_maps table, "access": text of the
    check_sender_access table that refuses the domains as sender to clients that did not
    authenticate, "domains": the expanded domains}.
    """
    if owner not in ("local-part", "nobody"):
        raise AnsibleFilterError(f"{who}: owner must be local-part or nobody, got {owner!r}")
    expanded = _sender_domains(domains, {"myhostname": str(myhostname), "mydomain": str(mydomain)}, who)
    explicit = _sender_owners(logins or {}, who)
    head = "# Managed by listserv.mailstack; do not edit.\n"
    login_lines = [head + "# SASL logins that own envelope sender addresses (smtpd_sender_login_maps).\n"]
    access_lines = [head + "# Local domains refused as envelope sender to clients that did not authenticate.\n"]
    for address, owners in explicit:
        login_lines.append(f"/^{_ere_escape(address)}$/ {', '.join(owners)}\n")
    if expanded:
        pattern = "|".join(_ere_escape(domain) for domain in expanded)
        # An address extension (user+tag@, recipient_delimiter) belongs to the user.
        result = "${1}, ${1}@${3}" if owner == "local-part" else "(no-login)"
        login_lines.append(f"/^([^@+]+)(\\+[^@]*)?@({pattern})$/ {result}\n")
        access_lines.append(
            f"/@({pattern})$/ REJECT 5.7.1 Sender address rejected: authenticate to send as a local address\n"
        )
    return {"logins": "".join(login_lines), "access": "".join(access_lines), "domains": expanded}


class FilterModule:
    def filters(self):
        return {
            "postfix_merge": postfix_merge,
            "postfix_list_aliases": postfix_list_aliases,
            "postfix_sender_maps": postfix_sender_maps,
        }
