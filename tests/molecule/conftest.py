"""Start the long runs of tests/molecule (scenario_runs.py) as soon as pytest
has collected, so that they run while the unit and integration tests do."""

from __future__ import annotations

import pytest
import scenario_runs


def run_key(item: pytest.Item) -> str | None:
    """The run a collected test waits for, or None."""
    params = getattr(item, "callspec", None)
    params = params.params if params else {}
    if "scenario" in params:
        return scenario_runs.scenario_key(params["scenario"], params["distro"])
    if "target" in params:
        return params["target"]
    if item.name == "test_podman_suite":
        return scenario_runs.PODMAN_SUITE_KEY
    return None


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly:
        return
    selected = {key for item in session.items if (key := run_key(item))}
    scenario_runs.start(selected)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if scenario_runs.LANES_STARTED is not None:
        scenario_runs.LANES_STARTED.stop()
