"""Render a role's templates and Jinja expressions outside Ansible, for unit tests.

Templates get the role's defaults, its vars/main.yml (resolved the way Ansible
resolves them lazily: a value that needs a run-time variable stays unresolved
until a test supplies that variable) and the overrides of the test case. The
filters and tests are ansible-core's own and the collection's, so a template
or an assertion behaves as it does in a play.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import jinja2
import yaml
from ansible.plugins.filter.core import FilterModule
from ansible.plugins.filter.mathstuff import FilterModule as MathFilterModule
from ansible.plugins.test.core import TestModule
from jinja2.nativetypes import NativeEnvironment

ROLES_DIR = Path(__file__).resolve().parents[3] / "roles"
FILTER_DIR = ROLES_DIR.parent / "plugins" / "filter"


def _collection_filters() -> dict[str, Any]:
    """Every filter of plugins/filter/, under its fully qualified name."""
    found = {}
    for path in sorted(FILTER_DIR.glob("*.py")):
        module = importlib.import_module(f"ansible_collections.listserv.mailstack.plugins.filter.{path.stem}")
        found.update({f"listserv.mailstack.{name}": f for name, f in module.FilterModule().filters().items()})
    return found


def _prepare(env: jinja2.Environment) -> jinja2.Environment:
    for module in (FilterModule(), MathFilterModule()):
        builtin = module.filters()
        env.filters.update(builtin)
        env.filters.update({f"ansible.builtin.{name}": f for name, f in builtin.items()})
    env.filters.update(_collection_filters())
    env.tests.update(TestModule().tests())
    return env


def template_environment(role: str) -> jinja2.Environment:
    return _prepare(
        jinja2.Environment(
            loader=jinja2.FileSystemLoader(ROLES_DIR / role / "templates"),
            trim_blocks=True,
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # noqa: S701 - configuration files, not HTML
        )
    )


def _native() -> NativeEnvironment:
    return _prepare(NativeEnvironment(undefined=jinja2.StrictUndefined))


def load_yaml(role: str, relative: str) -> Any:
    return yaml.safe_load((ROLES_DIR / role / relative).read_text()) or {}


def render_value(value: Any, variables: dict[str, Any]) -> Any:
    """Render every string of a (nested) value as Ansible would, with native types."""
    if isinstance(value, str):
        if "{{" not in value and "{%" not in value:
            return value
        return _native().from_string(value).render(**variables)
    if isinstance(value, list):
        return [render_value(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: render_value(item, variables) for key, item in value.items()}
    return value


def role_variables(role: str, **overrides: Any) -> dict[str, Any]:
    """defaults + vars/main.yml + overrides, with the role's own references resolved where possible."""
    raw = {**load_yaml(role, "defaults/main.yml"), **load_yaml(role, "vars/main.yml")}
    variables: dict[str, Any] = {"ansible_managed": "Managed by Ansible", **overrides}
    pending = {key: value for key, value in raw.items() if key not in overrides}
    while pending:
        progress = False
        for key, value in list(pending.items()):
            try:
                variables[key] = render_value(value, variables)
            except jinja2.UndefinedError:
                continue
            del pending[key]
            progress = True
        if not progress:
            break  # the rest needs run-time variables the test did not give
    return variables


def render_template(role: str, template: str, **overrides: Any) -> str:
    variables = role_variables(role, **overrides)
    return template_environment(role).get_template(template).render(**variables)


def evaluate(expression: str, variables: dict[str, Any]) -> Any:
    """Evaluate a Jinja expression or template string taken from a task file."""
    return render_value(expression, variables)


def task_vars(role: str, task_file: str, task_name: str) -> dict[str, Any]:
    """The `vars:` of the task named task_name in tasks/<task_file>."""
    for task in load_yaml(role, f"tasks/{task_file}"):
        if task.get("name") == task_name:
            return task.get("vars", {})
    raise KeyError(f"{role}: no task {task_name!r} in tasks/{task_file}")
