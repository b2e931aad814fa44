"""Capabilities of the host for tests (see tests/conftest.py): what lab/probe.py
measured, and the deselections reported with their reason."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DESELECTED_KEY = pytest.StashKey[list]()
# {run: {step: seconds}} of the molecule scenarios (tests/molecule), printed at the end.
TIMINGS_KEY = pytest.StashKey[dict]()
LINE_PREFIX = "DESELECTED"
# The reason of the fault suites' deselection outside FAULT_DISTROS
# (tests/testinfra_faults/conftest.py), which tests/molecule accepts.
FAULT_SUITES_OFF = "fault suites run on the releases of FAULT_DISTROS only"


def _probe_module():
    name = "mailstack_lab_probe"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "lab" / "probe.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def capabilities() -> dict:
    """{name: {present, detail, proves}} as measured on this host."""
    return _probe_module().load()["capabilities"]


def missing_reason(name: str) -> str | None:
    """Why a capability is missing, or None when the host has it."""
    cap = capabilities().get(name)
    if cap is None:
        raise pytest.UsageError(f"needs({name!r}): lab/probe.py measures no capability of that name")
    if cap["present"]:
        return None
    return f"missing capability {name}: {cap['detail']}"


def has(name: str) -> bool:
    return missing_reason(name) is None


def record_deselected(config: pytest.Config, items: list, reason: str) -> None:
    """Deselect `items` and remember why, for the summary at the end of the run."""
    if not items:
        return
    config.hook.pytest_deselected(items=items)
    config.stash.setdefault(DESELECTED_KEY, []).extend((item.nodeid, reason) for item in items)
