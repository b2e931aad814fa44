"""tests/molecule/scenario_runs.py: the lanes that run `make test`'s long runs
side by side (longest first, two runs of one scenario never at once, every
result or error handed to the test that waits for it)."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _load():
    name = "mailstack_scenario_runs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "molecule" / "scenario_runs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


runs_module = _load()


class Recorder:
    """Work that records when it ran and holds its lane for a moment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[str, str]] = []
        self.running: set[str] = set()
        self.overlaps: list[set[str]] = []

    def work(self, key: str, seconds: float = 0.05, error: Exception | None = None):
        def run(timings):
            with self.lock:
                self.events.append(("start", key))
                self.running.add(key)
                self.overlaps.append(set(self.running))
            time.sleep(seconds)
            with self.lock:
                self.running.discard(key)
                self.events.append(("end", key))
            if error:
                raise error
            timings["step"] = seconds
            return key.upper()

        return run


@pytest.fixture
def recorder(monkeypatch, tmp_path):
    monkeypatch.setattr(runs_module, "TIMINGS_FILE", tmp_path / "timings.json")
    monkeypatch.setattr(runs_module, "LOG_DIR", tmp_path / "logs")
    monkeypatch.setattr(runs_module, "TIMINGS", {})
    return Recorder()


def test_two_runs_of_one_scenario_never_overlap(recorder, monkeypatch):
    monkeypatch.setattr(
        runs_module, "ESTIMATES", {"default-debian13": 24, "default-debian12": 13, "modules-debian13": 9}
    )
    runs = [
        runs_module.Run("default-debian13", "default", recorder.work("default-debian13", 0.3)),
        runs_module.Run("default-debian12", "default", recorder.work("default-debian12", 0.1)),
        runs_module.Run("modules-debian13", "modules", recorder.work("modules-debian13", 0.1)),
    ]
    lanes = runs_module.Lanes(runs, 2).start()
    assert [lanes.result(run.key) for run in runs] == ["DEFAULT-DEBIAN13", "DEFAULT-DEBIAN12", "MODULES-DEBIAN13"]
    lanes.stop()
    assert not any({"default-debian13", "default-debian12"} <= running for running in recorder.overlaps)
    # The second lane did not wait for the first: modules ran beside default on Debian 13.
    assert any({"default-debian13", "modules-debian13"} <= running for running in recorder.overlaps)


def test_longest_first_and_no_more_lanes_than_asked(recorder, monkeypatch):
    monkeypatch.setattr(runs_module, "ESTIMATES", {"a": 1, "b": 30, "c": 10})
    runs = [runs_module.Run(key, key, recorder.work(key)) for key in ("a", "b", "c")]
    lanes = runs_module.Lanes(runs, 1).start()
    for run in runs:
        lanes.result(run.key)
    lanes.stop()
    assert [key for what, key in recorder.events if what == "start"] == ["b", "c", "a"]
    assert max(len(running) for running in recorder.overlaps) == 1


def test_an_error_reaches_the_waiting_test_and_the_other_runs_go_on(recorder):
    runs = [
        runs_module.Run("broken", "broken", recorder.work("broken", error=RuntimeError("podman went away"))),
        runs_module.Run("fine", "fine", recorder.work("fine")),
    ]
    lanes = runs_module.Lanes(runs, 1).start()
    with pytest.raises(RuntimeError, match="podman went away"):
        lanes.result("broken")
    assert lanes.result("fine") == "FINE"
    lanes.stop()


def test_timings_record_lane_start_end_and_steps(recorder):
    lanes = runs_module.Lanes([runs_module.Run("only", "only", recorder.work("only"))], 3).start()
    lanes.result("only")
    lanes.stop()
    timings = runs_module.TIMINGS["only"]
    assert timings["lane"] == 1
    assert timings["step"] == pytest.approx(0.05)
    assert 0 <= timings["start"] < timings["end"]
    assert timings["total"] >= 0.05
    assert '"only"' in runs_module.TIMINGS_FILE.read_text()


def test_stop_drops_runs_not_started(recorder):
    gate = threading.Event()

    def blocking(timings):
        gate.wait(5)
        return "done"

    runs = [runs_module.Run("first", "x", blocking), runs_module.Run("second", "x", recorder.work("second"))]
    lanes = runs_module.Lanes(runs, 2).start()
    time.sleep(0.05)
    stopper = threading.Thread(target=lanes.stop)
    stopper.start()
    time.sleep(0.05)
    gate.set()
    stopper.join(5)
    assert lanes.result("first") == "done"
    assert lanes.runs["second"].future.cancelled()
    assert recorder.events == []


def test_plan_keeps_the_multi_node_scenarios_apart(monkeypatch):
    matrix = [("default", "debian13"), ("default", "debian12"), ("modules", "debian13"), ("cluster", "debian13")]
    monkeypatch.setattr(runs_module, "MATRIX", matrix)
    monkeypatch.setattr(runs_module, "STATIC_CHECKS", ["lint"])
    selected = {"default-debian13", "default-debian12", "modules-debian13", "cluster-debian13", "lint", "podman-suite"}
    groups = {run.key: run.group for run in runs_module.plan(selected)}
    assert groups["default-debian13"] == groups["default-debian12"] == groups["cluster-debian13"]
    assert len({groups["default-debian13"], groups["modules-debian13"], groups["lint"], groups["podman-suite"]}) == 4
    # With MOLECULE_SOLO_SCENARIOS="" only the runs of one scenario stay apart.
    monkeypatch.setattr(runs_module, "SOLO", set())
    groups = {run.key: run.group for run in runs_module.plan(selected)}
    assert groups["default-debian13"] == groups["default-debian12"] != groups["cluster-debian13"]


def test_plan_has_only_the_selected_runs(monkeypatch):
    monkeypatch.setattr(runs_module, "MATRIX", [("default", "debian13"), ("modules", "debian13")])
    monkeypatch.setattr(runs_module, "STATIC_CHECKS", ["lint", "sanity"])
    assert [run.key for run in runs_module.plan({"modules-debian13", "sanity"})] == ["modules-debian13", "sanity"]
