"""Shared plumbing for the module unit tests: AnsibleModule's exit_json and
fail_json raise instead of printing and exiting, so a test gets the result."""

from __future__ import annotations

from ansible.module_utils import basic


class _ModuleEnd(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ExitJson(_ModuleEnd):
    """Raised by exit_json; `result` (and args[0]) is what the module returned."""


class FailJson(_ModuleEnd):
    """Raised by fail_json; `result` holds msg and the other failure fields."""


def patch_exits(monkeypatch):
    def exit_json(_module, **result):
        raise ExitJson(result)

    def fail_json(_module, **result):
        raise FailJson(result)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def patch_node(monkeypatch, node):
    """Route AnsibleModule's run_command to a fake node (`node.run_command(argv, **kw)`), find
    every tool under /usr/sbin, and make exit_json/fail_json raise."""
    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda _module, argv, **kw: node.run_command(argv, **kw))
    monkeypatch.setattr(
        basic.AnsibleModule,
        "get_bin_path",
        lambda _module, name, required=False, opt_dirs=None: f"/usr/sbin/{name}",
    )
    patch_exits(monkeypatch)
