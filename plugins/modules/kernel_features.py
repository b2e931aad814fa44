#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: kernel_features
short_description: Find out whether the node's kernel offers filesystems and devices a service needs
version_added: "0.2.0"
description:
  - Reads C(/proc/filesystems) and looks for device nodes, and reports which of the wanted ones the node has. It
    changes nothing.
  - A role uses it in its preflight to stop before changing anything on a host whose kernel cannot run the service
    (for example autofs in a container on a kernel built without it), with a message that names what is missing.
  - With O(missing=warn) a missing feature is reported as one Ansible warning instead, for hosts where the role
    deploys the configuration knowing that the service cannot run there.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
attributes:
  check_mode:
    description: Only reads; behaves the same in check mode.
    support: full
  diff_mode:
    description: Changes nothing, so there is nothing to show.
    support: none
  platform:
    description: Linux (C(/proc/filesystems)).
    support: full
    platforms: posix
options:
  filesystems:
    description:
      - Filesystem types the kernel must know, as C(/proc/filesystems) names them (V(autofs), V(nfs), V(nfsd)).
    type: list
    elements: str
    default: []
  devices:
    description:
      - Absolute paths of character devices that must exist (V(/dev/autofs), V(/dev/fuse)).
    type: list
    elements: path
    default: []
  missing:
    description:
      - What a missing filesystem or device does.
      - V(fail) fails the task with O(purpose) and the missing pieces named.
      - V(warn) emits one warning with O(purpose) and O(consequence) and succeeds.
      - V(report) only returns what is there.
    type: str
    choices: [fail, warn, report]
    default: report
  purpose:
    description:
      - What the features are needed for, used in the failure or warning (V(autofs cannot run on this host)).
    type: str
    default: the kernel lacks features this host needs
  consequence:
    description:
      - What follows for the host, appended to the failure or the warning (V(mounting on access is not in effect)).
    type: str
    default: ""
notes:
  - In a container the kernel is the host's, and device nodes are those the container runtime passes in; an
    unprivileged container usually lacks C(/dev/autofs) even where the kernel has autofs, and cannot run it either.
"""

EXAMPLES = r"""
- name: Stop early on a host whose kernel cannot run autofs
  listserv.mailstack.kernel_features:
    filesystems: [autofs]
    devices: [/dev/autofs]
    missing: fail
    purpose: autofs cannot run on this host

- name: Only find out whether the kernel serves NFS
  listserv.mailstack.kernel_features:
    filesystems: [nfsd]
  register: kernel

- name: Say once that the maps are written but nothing mounts them
  listserv.mailstack.kernel_features:
    filesystems: [autofs]
    devices: [/dev/autofs]
    missing: warn
    purpose: autofs cannot run on this host
    consequence: the maps are written, but mounting on access is not in effect
"""

RETURN = r"""
present:
  description: Whether every wanted filesystem and device is there.
  returned: always
  type: bool
  sample: false
filesystems:
  description: Each wanted filesystem and whether the kernel knows it.
  returned: always
  type: dict
  sample: {"autofs": false}
devices:
  description: Each wanted device and whether it exists as a character device.
  returned: always
  type: dict
  sample: {"/dev/autofs": false}
missing_items:
  description: What is missing, in words, filesystems first.
  returned: always
  type: list
  elements: str
  sample: ["filesystem autofs (not in /proc/filesystems)", "device /dev/autofs"]
"""

import os
import re
import stat

from ansible.module_utils.basic import AnsibleModule

PROC_FILESYSTEMS = "/proc/filesystems"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def parse_filesystems(text):
    """The names of /proc/filesystems: the last field of each line ("nodev\\tautofs", "\\text4")."""
    return {fields[-1] for fields in (line.split() for line in text.splitlines()) if fields}


def is_char_device(path):
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except OSError:
        return False


def check(wanted_filesystems, wanted_devices, known_filesystems, device_exists):
    """(filesystems, devices, missing) for the wanted features."""
    filesystems = {name: name in known_filesystems for name in wanted_filesystems}
    devices = {path: device_exists(path) for path in wanted_devices}
    missing = [f"filesystem {name} (not in {PROC_FILESYSTEMS})" for name, ok in filesystems.items() if not ok]
    missing += [f"device {path}" for path, ok in devices.items() if not ok]
    return filesystems, devices, missing


def main():
    module = AnsibleModule(
        argument_spec=dict(
            filesystems=dict(type="list", elements="str", default=[]),
            devices=dict(type="list", elements="path", default=[]),
            missing=dict(type="str", choices=["fail", "warn", "report"], default="report"),
            purpose=dict(type="str", default="the kernel lacks features this host needs"),
            consequence=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    for name in params["filesystems"]:
        if not NAME.match(name):
            module.fail_json(
                msg=f"filesystems: {name!r} is not a filesystem name (lower-case letters, digits, '.', '_', '-')"
            )
    for path in params["devices"]:
        if not os.path.isabs(path) or "\n" in path or "\0" in path:
            module.fail_json(msg=f"devices: {path!r} is not an absolute path")
    try:
        with open(PROC_FILESYSTEMS) as handle:
            known = parse_filesystems(handle.read())
    except OSError as error:
        module.fail_json(msg=f"cannot read {PROC_FILESYSTEMS}: {error}")
    filesystems, devices, missing = check(params["filesystems"], params["devices"], known, is_char_device)
    result = dict(changed=False, present=not missing, filesystems=filesystems, devices=devices, missing_items=missing)
    if missing:
        what = f"{params['purpose']}: missing {', '.join(missing)}"
        if params["consequence"]:
            what = f"{what}; {params['consequence']}"
        if params["missing"] == "fail":
            module.fail_json(msg=what, **result)
        if params["missing"] == "warn":
            module.warn(what)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
