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


class FilterModule:
    def filters(self):
        return {"postfix_merge": postfix_merge, "postfix_list_aliases": postfix_list_aliases}
