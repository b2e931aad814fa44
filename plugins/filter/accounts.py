# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Compare an account that must have fixed ids with what getent found.

NFS with AUTH_SYS carries numeric ids, so the client's and the server's
accounts must agree (seed M13). The nfs_autofs_client role reads the node's
passwd and group databases with ansible.builtin.getent and uses these filters
to name every disagreement; it never renumbers.

getent entries come as ansible.builtin.getent returns them: passwd
{name: [password, uid, gid, gecos, home, shell]}, group {name: [password,
gid, members]}, and {key: None} for a key that is not there.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _entry(database, key):
    if not isinstance(database, dict):
        raise AnsibleFilterError(f"expected getent's result (a mapping), got {database!r}")
    return database.get(str(key))


def _owners(database):
    """The names a by-number lookup found ({} when the number is free)."""
    if not isinstance(database, dict):
        raise AnsibleFilterError(f"expected getent's result (a mapping), got {database!r}")
    return [name for name, entry in database.items() if entry]


def _want(account):
    try:
        return str(account["name"]), int(account["uid"]), str(account["group"]), int(account["gid"])
    except (KeyError, TypeError, ValueError) as error:
        raise AnsibleFilterError(f"account {account!r} needs name, uid, group and gid ({error})") from error


def account_id_conflicts(account, passwd_by_name, group_by_name, passwd_by_uid, group_by_gid):
    """Problems that keep `account` ({name, uid, group, gid}) from existing
    with its ids on this node: a user or group with other ids, or its ids
    taken by another name. [] when it exists as wanted or can be created."""
    name, uid, group, gid = _want(account)
    problems = []
    user = _entry(passwd_by_name, name)
    if user and int(user[1]) != uid:
        problems.append(f"user {name} has uid {user[1]}, expected {uid}")
    if user and int(user[2]) != gid:
        problems.append(f"user {name} has primary gid {user[2]}, expected {gid}")
    entry = _entry(group_by_name, group)
    if entry and int(entry[1]) != gid:
        problems.append(f"group {group} has gid {entry[1]}, expected {gid}")
    uid_owners = _owners(passwd_by_uid)
    if uid_owners and name not in uid_owners:
        problems.append(f"uid {uid} belongs to user {','.join(uid_owners)}, expected {name}")
    gid_owners = _owners(group_by_gid)
    if gid_owners and group not in gid_owners:
        problems.append(f"gid {gid} belongs to group {','.join(gid_owners)}, expected {group}")
    return problems


def account_id_differences(account, passwd_by_name, group_by_name, host):
    """How `account` differs on another host (the identity host): missing
    there, or there with other ids. [] when both agree."""
    name, uid, group, gid = _want(account)
    problems = []
    user = _entry(passwd_by_name, name)
    if not user:
        problems.append(f"user {name} is missing on {host}")
    elif int(user[1]) != uid or int(user[2]) != gid:
        problems.append(f"user {name} has uid {user[1]} and gid {user[2]} on {host}, expected {uid} and {gid}")
    entry = _entry(group_by_name, group)
    if not entry:
        problems.append(f"group {group} is missing on {host}")
    elif int(entry[1]) != gid:
        problems.append(f"group {group} has gid {entry[1]} on {host}, expected {gid}")
    return problems


class FilterModule:
    def filters(self):
        return {"account_id_conflicts": account_id_conflicts, "account_id_differences": account_id_differences}
