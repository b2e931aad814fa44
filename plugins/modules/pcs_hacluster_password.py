#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Ansible wants the imports after DOCUMENTATION, EXAMPLES and RETURN.

DOCUMENTATION = r"""
---
module: pcs_hacluster_password
short_description: Set the password of the pcs cluster user (hacluster) only when it differs
version_added: "0.1.0"
description:
  - Sets the password pcs uses to authenticate the cluster nodes to each other (C(pcs host auth)), the password of
    the local account O(user) that the Debian packages C(pacemaker) and C(pcs) create locked.
  - The password is checked against the account's hash in C(/etc/shadow) with libcrypt's C(crypt) on the node, so a
    second run with the same password changes nothing, whatever method and salt the hash has.
  - A different password (or a locked account) gets a new SHA-512 crypt hash with a random salt through
    C(chpasswd -e); neither the password nor the hash appears on a command line, in the result or in the diff.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
requirements:
  - C(chpasswd) (Debian package C(passwd)) and libcrypt (Debian package C(libcrypt1)) on the node; root.
attributes:
  check_mode:
    description: Checks the password and predicts the change without setting it.
    support: full
  diff_mode:
    description: Shows only whether the password changes, never a hash.
    support: full
  platform:
    description: Debian's shadow password tools.
    support: full
    platforms: debian
options:
  password:
    description:
      - The password, in plain text. It must not be empty, must not contain a newline or NUL and must not be longer
        than 511 bytes (UTF-8), the most libcrypt hashes.
    type: str
    required: true
  user:
    description:
      - The account pcs authenticates as. pcsd accepts only members of the group C(haclient), so any other account
        is refused (the module never sets the password of, say, C(root)).
    type: str
    default: hacluster
notes:
  - The account must exist (install C(pcs) or C(pacemaker) first); the module never creates it.
seealso:
  - module: listserv.mailstack.pcs_cib
"""

EXAMPLES = r"""
- name: Set the hacluster password on every cluster node
  listserv.mailstack.pcs_hacluster_password:
    password: "{{ vault_hacluster_password }}"
"""

RETURN = r"""
user:
  description: The account.
  returned: always
  type: str
  sample: hacluster
"""

import grp
import pwd
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils.command import find_tool, run
from ansible_collections.listserv.mailstack.plugins.module_utils.passwords import (
    MAX_PASSWORD_BYTES,
    PasswordError,
    hash_sha512,
    verify,
)

SHADOW = "/etc/shadow"
# The group pcsd requires of the users it authenticates (pcs's pacemaker_gname).
PCS_GROUP = "haclient"
# What can be the first field of an /etc/shadow line and the user of chpasswd's "user:hash".
USER_PATTERN = re.compile(r"[^:\s\x00-\x1f\x7f]+")
SHOWN_CHANGED = "password: (changed)\n"
SHOWN_UNCHANGED = "password: (unchanged)\n"


def shadow_hash(user):
    """The shadow password field of user, or None if there is no such entry."""
    with open(SHADOW, encoding="utf-8") as handle:
        for line in handle:
            fields = line.rstrip("\n").split(":")
            if len(fields) > 1 and fields[0] == user:
                return fields[1]
    return None


def in_pcs_group(user):
    """Whether user has pcsd's group as primary or supplementary group; None when the group does not exist."""
    try:
        group = grp.getgrnam(PCS_GROUP)
    except KeyError:
        return None
    try:
        primary = pwd.getpwnam(user).pw_gid
    except KeyError:
        primary = None
    return primary == group.gr_gid or user in group.gr_mem


def apply(module):
    user = module.params["user"]
    password = module.params["password"]
    if not password or "\n" in password or "\0" in password:
        module.fail_json(msg=f"the password of '{user}' must not be empty or contain a newline or NUL character")
    size = len(password.encode("utf-8"))
    if size > MAX_PASSWORD_BYTES:
        module.fail_json(
            msg=f"the password of '{user}' is {size} bytes long: libcrypt takes at most {MAX_PASSWORD_BYTES}"
        )
    if not USER_PATTERN.fullmatch(user):
        module.fail_json(
            msg=f"invalid user name {user!r}: it must not be empty or contain ':', whitespace or control characters"
        )
    try:
        current = shadow_hash(user)
    except OSError as error:
        module.fail_json(msg=f"cannot read {SHADOW} to check the password of '{user}': {error.strerror} (needs root)")
    if current is None:
        module.fail_json(msg=f"there is no account '{user}' (install pcs first; it creates the account)")
    member = in_pcs_group(user)
    if member is None:
        module.fail_json(msg=f"there is no group '{PCS_GROUP}' (install pcs first; it creates the group)")
    if not member:
        # pcsd lets only members of its group authenticate: this is some other account's password.
        module.fail_json(
            msg=f"account '{user}' is not in group '{PCS_GROUP}', so pcs cannot authenticate as it: "
            "refusing to set its password"
        )
    try:
        changed = not verify(password, current)
        hashed = hash_sha512(password) if changed else None
    except PasswordError as error:
        module.fail_json(msg=str(error))
    if hashed is not None:
        module.no_log_values.add(hashed)
    if changed and not module.check_mode:
        run(
            module,
            [find_tool(module, "chpasswd"), "-e"],
            data=f"{user}:{hashed}",
            what=f"chpasswd -e (setting the password of '{user}')",
        )
    result = {"changed": changed, "user": user}
    if module._diff:
        result["diff"] = {
            "before": SHOWN_UNCHANGED,
            "after": SHOWN_CHANGED if changed else SHOWN_UNCHANGED,
            "before_header": f"{user} in {SHADOW}",
            "after_header": f"{user} in {SHADOW}",
        }
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            "password": {"type": "str", "required": True, "no_log": True},
            "user": {"type": "str", "default": "hacluster"},
        },
        supports_check_mode=True,
    )
    module.exit_json(**apply(module))


if __name__ == "__main__":
    main()
