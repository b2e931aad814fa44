"""Each role changes only the hosts it is applied to, and reads other roles'
data only where the owner publishes it (docs/topology.md, "Roles share data").

- A task delegated to another host runs a read-only module there, except in
  pcs_cluster, whose delegation target is the first node of the cluster the
  role is applied to, and in dns_records, which writes its output (zone
  snippets) on the controller.
- No `hostvars[...]... | default(` copy of another role's default, and no
  slurp of a file on another host.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(path for path in (REPO / "roles").iterdir() if (path / "tasks").is_dir())
# Modules that only read, and what makes them read-only where they could write.
READ_ONLY = {
    "ansible.builtin.setup": lambda args: True,
    "ansible.builtin.getent": lambda args: True,
    "listserv.mailstack.node_secret": lambda args: args.get("create") is False,
}
# Roles whose delegation stays among the hosts they are applied to.
WITHIN_OWN_HOSTS = {"pcs_cluster"}
# Roles whose output is files on the controller (delegate_to: localhost),
# never a change of a node.
CONTROLLER_OUTPUT = {"dns_records"}
HOSTVARS_DEFAULT = re.compile(r"hostvars\[[^\]]+\](?:\[[^\]]+\]|\.\w+)*\s*\|\s*default\(")
TASK_KEYS = {
    "name",
    "when",
    "register",
    "loop",
    "loop_control",
    "delegate_to",
    "delegate_facts",
    "no_log",
    "tags",
    "changed_when",
    "failed_when",
    "notify",
    "vars",
    "become",
    "check_mode",
    "diff",
    "environment",
    "retries",
    "delay",
    "until",
    "run_once",
    "ignore_errors",
    "listen",
    "args",
    "block",
    "rescue",
    "always",
    "throttle",
}


def tasks_of(path: Path):
    def walk(items):
        for task in items or []:
            if not isinstance(task, dict):
                continue
            yield task
            for key in ("block", "rescue", "always"):
                yield from walk(task.get(key))

    yield from walk(yaml.safe_load(path.read_text()))


def module_of(task: dict) -> tuple[str, dict]:
    for key, value in task.items():
        if key not in TASK_KEYS and "." in key:
            return key, value if isinstance(value, dict) else {}
    return "", {}


def task_files(role: Path):
    return sorted((role / "tasks").glob("*.yml")) + sorted((role / "handlers").glob("*.yml"))


# pcs_cluster's delegation target is the first node of the cluster it is applied to.
CROSSING = [role for role in ROLES if role.name not in WITHIN_OWN_HOSTS]


@pytest.mark.parametrize("role", CROSSING, ids=[role.name for role in CROSSING])
def test_delegated_tasks_only_read(role: Path):
    writes = []
    for path in task_files(role):
        for task in tasks_of(path):
            if "delegate_to" not in task:
                continue
            module, args = module_of(task)
            if role.name in CONTROLLER_OUTPUT and task["delegate_to"] == "localhost":
                continue
            if not READ_ONLY.get(module, lambda _args: False)(args):
                writes.append(f"{path.relative_to(REPO)}: {task.get('name')} ({module or 'no module'})")
    assert not writes, f"tasks that change another host: {writes}"


@pytest.mark.parametrize("role", ROLES, ids=[role.name for role in ROLES])
def test_no_copy_of_another_roles_default_and_no_remote_slurp(role: Path):
    found = []
    for path in [*task_files(role), *(role / "vars").glob("*.yml"), *(role / "defaults").glob("*.yml")]:
        text = path.read_text()
        found += [f"{path.relative_to(REPO)}: {match[0]}" for match in HOSTVARS_DEFAULT.finditer(text)]
        if path.parent.name in ("tasks", "handlers"):
            found += [
                f"{path.relative_to(REPO)}: {task.get('name')}"
                for task in tasks_of(path)
                if module_of(task)[0] in ("ansible.builtin.slurp", "ansible.builtin.fetch")
                and "delegate_to" in task
                and role.name not in WITHIN_OWN_HOSTS
            ]
    assert not found, found
