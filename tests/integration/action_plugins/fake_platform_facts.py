"""Test helper: set platform facts for a host without contacting it.

Lets the integration tests show how roles behave on platforms the lab cannot
run (Ubuntu, CentOS, old Debian) by giving the host those facts.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result["ansible_facts"] = dict(self._task.args)
        result["changed"] = False
        return result
