"""What a test needs from the host, for every pytest run under tests/.

A test that needs a capability of the host says so:

    @pytest.mark.needs("autofs")

The capabilities are those lab/probe.py measured (lab/state/capabilities.json,
written at the start of `make test` and `make lab`; probed here when the file
is missing). On a machine without one, its tests are deselected, and the end
of the run names each with the reason:

    DESELECTED (missing capability autofs: kernel has no autofs ...): tests/...::test_x

Other deselections (e.g. the fault suites on releases outside FAULT_DISTROS)
report through `record_deselected` in the same form, so that
tests/molecule/test_scenarios.py can accept exactly these and fail on any
other skip or deselection.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from capability_marks import DESELECTED_KEY, LINE_PREFIX, TIMINGS_KEY, missing_reason, record_deselected


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "needs(capability): the test needs a capability of the host that lab/probe.py measures"
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    keep, dropped = [], {}
    for item in items:
        reasons = [missing_reason(mark.args[0]) for mark in item.iter_markers("needs")]
        reasons = [reason for reason in reasons if reason]
        if reasons:
            dropped.setdefault(reasons[0], []).append(item)
        else:
            keep.append(item)
    for reason, group in dropped.items():
        record_deselected(config, group, reason)
    items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    timings = config.stash.get(TIMINGS_KEY, {})
    if timings:
        # Each run's steps, then the lane it ran in and the minute it started and ended
        # (tests/molecule/scenario_runs.py).
        placement = ("lane", "start", "end")
        terminalreporter.section("long runs (molecule steps, podman suites, static checks), wall time in seconds")
        steps = sorted({step for run in timings.values() for step in run if step not in ("total", *placement)})
        columns = [*steps, "total"]
        terminalreporter.write_line(
            f"{'run':<20} " + " ".join(f"{step[:11]:>11}" for step in columns) + "  lane  start    end (min)"
        )
        for name, run in sorted(timings.items(), key=lambda item: item[1].get("start", 0)):
            cells = [f"{run[step]:>11.0f}" if step in run else f"{'-':>11}" for step in columns]
            where = f"  {run.get('lane', '-'):>4}  {run.get('start', 0) / 60:>5.1f}  {run.get('end', 0) / 60:>5.1f}"
            terminalreporter.write_line(f"{name:<20} " + " ".join(cells) + where)
    deselected = config.stash.get(DESELECTED_KEY, [])
    if not deselected:
        return
    terminalreporter.section("deselected, with the reason")
    for nodeid, reason in deselected:
        terminalreporter.write_line(f"{LINE_PREFIX} ({reason}): {nodeid}")
