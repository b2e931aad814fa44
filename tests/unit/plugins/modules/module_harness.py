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
