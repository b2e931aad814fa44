#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: node_secret
short_description: A secret generated on the node once, kept in a file of its own and read back on later runs
version_added: "0.2.0"
description:
  - Returns the secret stored in O(path). When the file does not exist, the secret is taken over from the
    configuration file an earlier release kept it in (O(adopt)), or generated (O(length) letters and digits from
    Python's C(secrets)), and written to O(path) atomically, owned by O(owner):O(group) with mode O(mode).
  - With O(value) the given secret is written to O(path) instead (when it differs), so that roles on other hosts
    find the secret in one place whether it was given or generated.
  - The one way the collection's roles keep secrets they generate or share (REST API password, archiver key,
    Django secret key, administrator password).
  - The secret is in the result; run the task with C(no_log) so that it is never printed. In check mode nothing is
    written; a secret that would be generated is generated for this run only and the task reports a change.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Writes nothing; reports what it would write.
    support: full
  diff_mode:
    description: Shows the file that would be created or whose owner or mode would change, never the secret.
    support: full
  platform:
    description: POSIX file systems.
    support: full
    platforms: posix
options:
  path:
    description:
      - File that holds the secret alone, on one line.
    type: path
    required: true
  value:
    description:
      - The secret to keep in O(path), when the inventory gives one. Ansible masks a value given this way in every
        result, so RV(secret) is not returned then (the caller has the value already).
    type: str
  length:
    description:
      - Length of a generated secret (letters and digits, about 5.95 bits each).
    type: int
    default: 48
  adopt:
    description:
      - Where an earlier release kept the secret, read only when O(path) does not exist yet, so that an upgrade keeps
        it instead of generating a new one.
    type: dict
    suboptions:
      path:
        description: The file to read (when it is absent, nothing is adopted).
        type: path
        required: true
      regexp:
        description: A Python regular expression (multiline) whose first group is the secret.
        type: str
        required: true
      ignore:
        description: Values that are placeholders, not secrets (a package's sample value); they are not adopted.
        type: list
        elements: str
        default: []
  create:
    description:
      - With V(false) the file must exist (a consumer reading a secret another role made); the module fails naming
        O(path) when it does not.
    type: bool
    default: true
  owner:
    description: Owner of the file.
    type: str
    default: root
  group:
    description: Group of the file.
    type: str
    default: root
  mode:
    description: Mode of the file (octal string).
    type: str
    default: "0600"
"""

EXAMPLES = r"""
- name: Generate the REST API password once, or keep the one in mailman.cfg from an earlier release
  listserv.mailstack.node_secret:
    path: /etc/mailman3/secrets/rest-password
    adopt:
      path: /etc/mailman3/mailman.cfg
      regexp: '^admin_pass:[ \t]*(\S+)[ \t]*$'
  register: rest_password
  no_log: true

- name: Read a secret that another role generated on this node
  listserv.mailstack.node_secret:
    path: /etc/mailman3/secrets/archiver-key
    create: false
  register: archiver_key
  no_log: true
"""

RETURN = r"""
secret:
  description: The secret. Use C(no_log) on the task.
  returned: unless O(value) is given
  type: str
  sample: 3kX9...
source:
  description: Where the secret came from in this run.
  returned: always
  type: str
  sample: node
  choices: [node, adopted, generated, given]
path:
  description: The file that holds it.
  returned: always
  type: str
  sample: /etc/mailman3/secrets/rest-password
"""

import grp
import os
import pwd
import re
import secrets
import stat
import string

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils.fileops import read_bytes, write_atomic

ALPHABET = string.ascii_letters + string.digits
# A secret file holds one line of printable characters, no spaces.
VALID = re.compile(r"^[!-~]{8,4096}$")


def generate(length):
    return "".join(secrets.choice(ALPHABET) for _index in range(length))


def stored(module, path):
    """The secret in path, None when the file does not exist; fails on a file that holds no valid secret."""
    data = read_bytes(path)
    if data is None:
        return None
    value = data.decode("utf-8", "replace").strip()
    if not VALID.match(value):
        module.fail_json(
            msg=f"{path} does not hold a secret (one line of 8 to 4096 printable characters without spaces); "
            "remove it to generate a new one",
            path=path,
        )
    return value


def adopted(module, adopt):
    """The secret found in adopt['path'] by adopt['regexp'], or None."""
    if not adopt:
        return None
    try:
        pattern = re.compile(adopt["regexp"], re.MULTILINE)
    except re.error as error:
        module.fail_json(msg=f"adopt.regexp {adopt['regexp']!r} is not a regular expression: {error}")
    if pattern.groups < 1:
        module.fail_json(msg=f"adopt.regexp {adopt['regexp']!r} has no group for the secret")
    data = read_bytes(adopt["path"])
    if data is None:
        return None
    match = pattern.search(data.decode("utf-8", "replace"))
    if not match or not match.group(1) or match.group(1) in adopt["ignore"] or not VALID.match(match.group(1)):
        return None
    return match.group(1)


class Target:
    """The secret file and the owner, group and mode it must have."""

    def __init__(self, module):
        params = module.params
        self.module = module
        self.path = params["path"]
        try:
            self.mode = int(params["mode"], 8)
        except ValueError:
            module.fail_json(msg=f"mode {params['mode']!r} is not an octal mode")
        if self.mode & 0o007:
            module.fail_json(msg=f"mode {params['mode']} lets every user read {self.path}; a secret never is")
        try:
            self.uid = pwd.getpwnam(params["owner"]).pw_uid
        except KeyError:
            module.fail_json(msg=f"owner {params['owner']!r} does not exist on this node")
        try:
            self.gid = grp.getgrnam(params["group"]).gr_gid
        except KeyError:
            module.fail_json(msg=f"group {params['group']!r} does not exist on this node")

    def attributes_differ(self):
        info = os.stat(self.path)
        return (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) != (self.uid, self.gid, self.mode)

    def wanted(self):
        return f"owner {self.uid}, group {self.gid}, mode {self.mode:04o}\n"

    def repair(self, result):
        """Set owner, group and mode of the existing file; exits with result (changed)."""
        info = os.stat(self.path)
        if self.module._diff:
            header = f"{self.path} (secret not shown)"
            result["diff"] = {
                "before": f"owner {info.st_uid}, group {info.st_gid}, mode {stat.S_IMODE(info.st_mode):04o}\n",
                "after": self.wanted(),
                "before_header": header,
                "after_header": header,
            }
        if not self.module.check_mode:
            os.chown(self.path, self.uid, self.gid)
            os.chmod(self.path, self.mode)
        self.module.exit_json(**dict(result, changed=True))

    def write(self, value, source, new):
        """Write value (not in check mode) and exit reporting the change; the diff never shows the secret."""
        result = {"changed": True, "source": source, "path": self.path}
        if source != "given":
            result["secret"] = value
        if self.module._diff:
            result["diff"] = {
                "before": "" if new else "a secret that differs from the given one\n",
                "after": f"{source} secret, " + self.wanted(),
                "before_header": f"{self.path} (absent)" if new else f"{self.path} (secret not shown)",
                "after_header": f"{self.path} (secret not shown)",
            }
        if not self.module.check_mode:
            if not os.path.isdir(os.path.dirname(self.path)):
                self.module.fail_json(msg=f"the directory of {self.path} does not exist")
            # Created 0600 by the umask before it is moved into place: never readable by others.
            old_umask = os.umask(0o077)
            try:
                write_atomic(self.module, self.path, (value + "\n").encode())
            finally:
                os.umask(old_umask)
            os.chown(self.path, self.uid, self.gid)
            os.chmod(self.path, self.mode)
        self.module.exit_json(**result)


def run_module():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "value": {"type": "str", "no_log": True},
            "length": {"type": "int", "default": 48, "no_log": False},
            "adopt": {
                "type": "dict",
                "options": {
                    "path": {"type": "path", "required": True},
                    "regexp": {"type": "str", "required": True},
                    "ignore": {"type": "list", "elements": "str", "default": [], "no_log": False},
                },
            },
            "create": {"type": "bool", "default": True},
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "mode": {"type": "str", "default": "0600"},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not 16 <= params["length"] <= 4096:
        module.fail_json(msg=f"length {params['length']} is out of range (16 to 4096)")
    target = Target(module)
    path = target.path
    value = stored(module, path)
    given = params["value"]
    if given is not None:
        if not VALID.match(given):
            module.fail_json(msg=f"value for {path} is not a secret (8 to 4096 printable characters, no spaces)")
        if value != given:
            target.write(given, "given", value is None)
        result = {"changed": False, "source": "given", "path": path}
    elif value is not None:
        result = {"changed": False, "secret": value, "source": "node", "path": path}
    elif not params["create"]:
        module.fail_json(msg=f"{path} does not exist: the secret has not been generated on this node yet", path=path)
    else:
        value = adopted(module, params["adopt"])
        target.write(value or generate(params["length"]), "adopted" if value else "generated", True)
    if target.attributes_differ():
        target.repair(result)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
