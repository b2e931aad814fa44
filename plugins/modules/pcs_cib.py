#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Ansible wants the imports after DOCUMENTATION, EXAMPLES and RETURN.

DOCUMENTATION = r"""
---
module: pcs_cib
short_description: Declare Pacemaker resources, groups, clones, constraints and properties, pushing only the difference
version_added: "0.1.0"
description:
  - Makes the part of the Pacemaker configuration (CIB) that this collection owns equal to the given data, in one
    transaction, and leaves everything else in the CIB alone.
  - "How: the live CIB is read with C(pcs cluster cib) into a temporary file on the node. A copy of it loses every
    element this collection owns (see below); the wanted ones are then created on that copy with C(pcs -f FILE ...)
    commands (C(property set), C(stonith create), C(resource create), C(resource group add), C(resource clone) or
    C(resource promotable), C(constraint location add), C(constraint colocation add), C(constraint order)), so pcs
    validates every agent, option and reference as it would on a live cluster. C(crm_diff) compares the result with
    the live CIB; only when they differ is the difference pushed with C(pcs cluster cib-push FILE diff-against=LIVE)."
  - Elements keep their positions in the CIB, so a second run with the same data finds no difference and changes
    nothing.
  - "Ownership: resources, groups, clones and fence devices this module creates carry the meta attribute
    C(managed-by=listserv.mailstack); constraints (which have no meta attributes) get ids starting with
    C(mailstack-). Only elements marked this way are changed or removed. An owned resource that is no longer
    wanted is removed, with the constraints and tags of others that refer to it (as C(pcs resource delete) does),
    for example a C(cli-prefer-*) constraint left by C(pcs resource move). Other constraints referring to owned
    resources, such as those of C(pcs resource move), are kept while the resource exists."
  - A wanted id that an unmarked element already uses fails the task, naming the element; to adopt a hand-made
    resource, add the marker with C(pcs resource meta ID managed-by=listserv.mailstack) first.
  - Cluster properties in O(properties) are set (an empty value unsets one); properties not named are left alone.
  - Option values whose names contain C(pass), C(secret) or C(token) (fence device passwords) are masked in the
    module's output and diff.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
requirements:
  - C(pcs) 0.11 or 0.12 (Debian 12, Debian 13) and C(crm_diff) (Debian package C(pacemaker-cli-utils)) on the node.
  - A running cluster on the node; run the task once per cluster (C(run_once)).
attributes:
  check_mode:
    description: Builds the wanted CIB on a temporary copy and compares it with the live one, but pushes nothing.
    support: full
  diff_mode:
    description: The CIB C(configuration) section before and after, indented, so a unified diff shows each change.
    support: full
  platform:
    description: Pacemaker 2.1 with pcs 0.11 (Debian 12) and Pacemaker 3.0 with pcs 0.12 (Debian 13).
    support: full
    platforms: debian
options:
  resources:
    description:
      - Primitive resources. Their order is the order of creation; a group decides the start order of its members.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Resource id (a letter or V(_) first, then letters, digits, V(_), V(.), V(-)).
        type: str
        required: true
      agent:
        description:
          - The resource agent, V(ocf:PROVIDER:TYPE) (for example V(ocf:heartbeat:IPaddr2)) or V(CLASS:TYPE) (for
            example V(systemd:postfix)).
          - The agent must be installed on the node running the task; pcs validates O(resources[].options) against
            its metadata.
        type: str
        required: true
      options:
        description: 'Instance attributes of the agent, for example V({ip: 192.0.2.10, cidr_netmask: 24}).'
        type: dict
        default: {}
      meta:
        description:
          - "Meta attributes, for example V({resource-stickiness: 100}). The ownership marker is added."
        type: dict
        default: {}
      op:
        description:
          - "Operations, each a dict with the operation V(name) (V(monitor), V(start), V(stop), ...) and its options,
            for example V({name: monitor, interval: 10s, timeout: 20s})."
          - Operations not listed get pcs's defaults from the agent's metadata.
          - V(interval), V(timeout) and V(start-delay) are times as Pacemaker reads them - seconds, or a number
            with a unit (V(500ms), V(10s), V(2min), V(1h)) or an ISO 8601 duration (V(PT10S)); anything else is
            refused, also with pcs 0.11, which does not check them.
        type: list
        elements: dict
        default: []
  groups:
    description: Groups of O(resources) (a group starts its members in order and keeps them on one node).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Group id.
        type: str
        required: true
      resources:
        description: Ids of resources from O(resources), in start order.
        type: list
        elements: str
        required: true
      meta:
        description: Meta attributes of the group. The ownership marker is added.
        type: dict
        default: {}
  clones:
    description: Clones of resources or groups from O(resources) and O(groups).
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Id of the resource or group to clone.
        type: str
        required: true
      clone_id:
        description: Id of the clone; default O(clones[].id) followed by V(-clone), as pcs names it.
        type: str
      promotable:
        description: Make a promotable clone (C(pcs resource promotable)), for example for DRBD.
        type: bool
        default: false
      meta:
        description: "Meta attributes of the clone, for example V({promoted-max: 1, notify: true})."
        type: dict
        default: {}
  constraints:
    description:
      - Location, colocation and order constraints. Each gets the id V(mailstack-) followed by O(constraints[].id),
        or by its type and resources (V(mailstack-location-RESOURCE-NODE), V(mailstack-colocation-RESOURCE-WITH),
        V(mailstack-order-FIRST-THEN)).
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: Constraint type.
        type: str
        required: true
        choices: [location, colocation, order]
      id:
        description: Id suffix, needed only when two constraints would get the same generated id.
        type: str
      resource:
        description: The constrained resource (V(location), V(colocation)).
        type: str
      node:
        description: The node name (V(location)).
        type: str
      score:
        description:
          - Score, an integer or V(INFINITY) or V(-INFINITY) (V(location), V(colocation)); default V(INFINITY).
          - A negative location score keeps the resource away from the node.
        type: raw
      with:
        description: The resource O(constraints[].resource) is placed with (V(colocation)).
        type: str
      role:
        description:
          - Role of O(constraints[].resource) (V(colocation)), V(Started), V(Stopped), V(Promoted) or V(Unpromoted).
        type: str
      with_role:
        description: Role of O(constraints[].with) (V(colocation)).
        type: str
      first:
        description: The resource acted on first (V(order)).
        type: str
      then:
        description: The resource acted on after O(constraints[].first) (V(order)).
        type: str
      first_action:
        description: Action of O(constraints[].first) (V(order)); pcs's default is V(start).
        type: str
        choices: [start, stop, promote, demote]
      then_action:
        description: Action of O(constraints[].then) (V(order)); pcs's default is V(start).
        type: str
        choices: [start, stop, promote, demote]
      kind:
        description: V(Mandatory) (default), V(Optional) or V(Serialize) (V(order)).
        type: str
      symmetrical:
        description: Whether the reverse order applies when stopping (V(order)); Pacemaker's default is V(true).
        type: bool
  stonith_devices:
    description: Fence devices (C(pcs stonith create)); the fence agent must be installed on the node.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: Device id.
        type: str
        required: true
      agent:
        description: Fence agent, for example V(fence_ipmilan).
        type: str
        required: true
      options:
        description: "Options of the fence agent, for example V({ip: 192.0.2.50, username: admin, password: ...})."
        type: dict
        default: {}
      meta:
        description: Meta attributes. The ownership marker is added.
        type: dict
        default: {}
      op:
        description: Operations, as for O(resources[].op).
        type: list
        elements: dict
        default: []
  properties:
    description:
      - "Cluster properties to set (C(pcs property set)), for example V({stonith-enabled: false}). An empty value
        unsets the property. Properties not named here are not changed."
    type: dict
    default: {}
  wait:
    description:
      - Seconds C(pcs cluster cib-push --wait) waits for the cluster to carry out a pushed change; V(0) does not wait.
        A negative number is refused.
    type: int
    default: 0
notes:
  - The temporary CIB files live in Ansible's remote temporary directory and are removed afterwards.
  - Pacemaker keeps resources where they run when only their operations or meta attributes change; a change of an
    instance attribute restarts (or reloads) the resource.
seealso:
  - name: pcs(8)
    description: The commands this module runs.
    link: https://manpages.debian.org/trixie/pcs/pcs.8.en.html
  - name: Pacemaker Explained
    description: Resources, constraints and their options.
    link: https://clusterlabs.org/projects/pacemaker/doc/3.0/Pacemaker_Explained/html/
"""

EXAMPLES = r"""
- name: A floating address and Postfix, one after the other on the same node
  listserv.mailstack.pcs_cib:
    properties:
      stonith-enabled: false  # only in a lab without fence devices
    resources:
      - id: mail-ip
        agent: ocf:heartbeat:IPaddr2
        options: {ip: 192.0.2.10, cidr_netmask: 24}
        op:
          - {name: monitor, interval: 10s}
      - id: mail-postfix
        agent: systemd:postfix
    groups:
      - id: mail
        resources: [mail-ip, mail-postfix]
    constraints:
      - type: location
        resource: mail
        node: mail1
        score: 50
  run_once: true

- name: DRBD as a promotable clone with the file system on the promoted node
  listserv.mailstack.pcs_cib:
    resources:
      - id: mail-drbd
        agent: ocf:linbit:drbd
        options: {drbd_resource: mail}
      - id: mail-data
        agent: ocf:heartbeat:Filesystem
        options: {device: /dev/drbd0, directory: /srv/mail, fstype: ext4}
    clones:
      - id: mail-drbd
        promotable: true
        meta: {promoted-max: 1, promoted-node-max: 1, clone-max: 2, clone-node-max: 1, notify: true}
    constraints:
      - type: colocation
        resource: mail-data
        with: mail-drbd-clone
        with_role: Promoted
      - type: order
        first: mail-drbd-clone
        first_action: promote
        then: mail-data
        then_action: start
  run_once: true
"""

RETURN = r"""
pcs_version:
  description: Version of pcs on the node.
  returned: always
  type: str
  sample: 0.12.0.2
commands:
  description: The pcs commands that built the wanted configuration on the temporary copy (C(CIB) is its path).
  returned: always
  type: list
  elements: str
  sample: ["pcs -f CIB resource create mail-ip ocf:heartbeat:IPaddr2 ip=192.0.2.10 meta managed-by=listserv.mailstack"]
patch:
  description:
    - The difference (C(crm_diff) XML patch, without version numbers) that was, or in check mode would be, pushed.
    - Empty when there is none.
  returned: always
  type: str
owned_before:
  description: Ids of the top-level resources and the constraints this collection owned before.
  returned: always
  type: list
  elements: str
  sample: [mail, mailstack-location-mail-mail1]
owned_after:
  description: Ids of the top-level resources and the constraints this collection owns after the change.
  returned: always
  type: list
  elements: str
removed_references:
  description: Constraints and tags of others that referred to a removed owned resource and were removed with it.
  returned: always
  type: list
  elements: str
  sample: [rsc_location cli-prefer-old-ip]
expected_running:
  description: Owned primitives that should run (none of them or their group or clone has C(target-role=Stopped)).
  returned: always
  type: list
  elements: str
  sample: [mail-ip, mail-postfix]
"""

import os
import re
import shlex
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils.command import find_tool, run
from ansible_collections.listserv.mailstack.plugins.module_utils.pcs_config import (
    PcsConfigError,
    build_commands,
    check_spec,
    cib_text,
    configuration_text,
    detach_owned,
    expected_running,
    id_collisions,
    owned_ids,
    parse_cib,
    reattach,
    restore_positions,
    version_tuple,
)

# Option names whose values are secrets (fence device passwords).
SECRET_NAME = re.compile(r"pass|secret|token", re.IGNORECASE)
SPEC_KEYS = ("resources", "groups", "clones", "constraints", "stonith_devices", "properties")


def hide_secrets(module):
    for key in ("resources", "stonith_devices"):
        for item in module.params[key] or []:
            for name, value in (item.get("options") or {}).items():
                if SECRET_NAME.search(str(name)) and value not in (None, ""):
                    module.no_log_values.add(str(value))


def read_file(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def write_file(path, text):
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


class PcsCib:
    def __init__(self, module):
        self.module = module
        self.spec = {key: module.params[key] for key in SPEC_KEYS}
        self.pcs = None

    def pcs_version(self):
        return run(self.module, [self.pcs, "--version"])[1].strip()

    def apply(self, workdir):
        wait = self.module.params["wait"]
        if wait < 0:
            raise PcsConfigError(f"wait must be 0 (do not wait) or a number of seconds, not {wait}")
        wanted_ids = check_spec(self.spec)
        self.pcs = find_tool(self.module, "pcs")
        crm_diff = find_tool(self.module, "crm_diff")
        version = self.pcs_version()
        commands = build_commands(self.spec, version_tuple(version))

        live_path = os.path.join(workdir, "cib-live.xml")
        wanted_path = os.path.join(workdir, "cib-wanted.xml")
        run(
            self.module,
            [self.pcs, "cluster", "cib", live_path],
            what="pcs cluster cib (reading the live CIB; is the cluster running on this node?)",
        )
        live = parse_cib(read_file(live_path))
        wanted = parse_cib(read_file(live_path))
        owned_before = owned_ids(live)
        kept_aside = detach_owned(wanted)
        collisions = id_collisions(wanted, wanted_ids)
        if collisions:
            raise PcsConfigError("; ".join(collisions))
        write_file(wanted_path, cib_text(wanted))

        for argv in commands:
            run(self.module, [self.pcs, "-f", wanted_path, *argv])

        wanted = parse_cib(read_file(wanted_path))
        removed_references = reattach(wanted, kept_aside)
        restore_positions(live, wanted)
        write_file(wanted_path, cib_text(wanted))

        rc, patch, err = run(self.module, [crm_diff, "--no-version", "-o", live_path, "-n", wanted_path], check=False)
        if rc not in (0, 1):
            self.module.fail_json(msg=f"crm_diff failed with exit code {rc}: {(err or patch).strip()}", rc=rc)
        changed = rc == 1
        if changed and not self.module.check_mode:
            push = [self.pcs, "cluster", "cib-push", wanted_path, f"diff-against={live_path}"]
            if self.module.params["wait"] > 0:
                push.append(f"--wait={self.module.params['wait']}")
            run(self.module, push, what="pcs cluster cib-push (pushing the difference)")

        result = {
            "changed": changed,
            "pcs_version": version,
            "commands": [shlex.join(["pcs", "-f", "CIB", *argv]) for argv in commands],
            "patch": patch if changed else "",
            "owned_before": owned_before,
            "owned_after": owned_ids(wanted),
            "removed_references": removed_references,
            "expected_running": expected_running(wanted),
        }
        if self.module._diff and changed:
            result["diff"] = {
                "before": configuration_text(live),
                "after": configuration_text(wanted),
                "before_header": "CIB configuration (live)",
                "after_header": "CIB configuration (wanted)",
            }
        return result


def main():
    operation_list = {"type": "list", "elements": "dict", "default": []}
    # Resources and fence devices are both primitives.
    primitive_options = {
        "id": {"type": "str", "required": True},
        "agent": {"type": "str", "required": True},
        "options": {"type": "dict", "default": {}},
        "meta": {"type": "dict", "default": {}},
        "op": operation_list,
    }
    module = AnsibleModule(
        argument_spec={
            "resources": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": primitive_options,
            },
            "groups": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "id": {"type": "str", "required": True},
                    "resources": {"type": "list", "elements": "str", "required": True},
                    "meta": {"type": "dict", "default": {}},
                },
            },
            "clones": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "id": {"type": "str", "required": True},
                    "clone_id": {"type": "str"},
                    "promotable": {"type": "bool", "default": False},
                    "meta": {"type": "dict", "default": {}},
                },
            },
            "constraints": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "type": {"type": "str", "required": True, "choices": ["location", "colocation", "order"]},
                    "id": {"type": "str"},
                    "resource": {"type": "str"},
                    "node": {"type": "str"},
                    "score": {"type": "raw"},
                    "with": {"type": "str"},
                    "role": {"type": "str"},
                    "with_role": {"type": "str"},
                    "first": {"type": "str"},
                    "then": {"type": "str"},
                    "first_action": {"type": "str", "choices": ["start", "stop", "promote", "demote"]},
                    "then_action": {"type": "str", "choices": ["start", "stop", "promote", "demote"]},
                    "kind": {"type": "str"},
                    "symmetrical": {"type": "bool"},
                },
            },
            "stonith_devices": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": primitive_options,
            },
            "properties": {"type": "dict", "default": {}},
            "wait": {"type": "int", "default": 0},
        },
        supports_check_mode=True,
    )
    hide_secrets(module)
    workdir = tempfile.mkdtemp(prefix="pcs_cib.", dir=module.tmpdir)
    try:
        result = PcsCib(module).apply(workdir)
    except PcsConfigError as error:
        module.fail_json(msg=str(error))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
