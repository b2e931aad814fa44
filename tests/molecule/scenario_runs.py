"""The long runs of `make test` and the lanes that run them side by side.

A run is one molecule scenario on one Debian release, the podman suites
(tests/podman), or a static check (`make lint`, `make sanity`). They are
started as soon as pytest has collected its tests (tests/molecule/conftest.py)
and run in MOLECULE_LANES lanes (default 2, one per core of a CI machine) while
the unit and integration tests run in pytest's own thread; each test of
tests/molecule/test_scenarios.py waits for its run and judges its log.

Two runs of one molecule scenario never overlap: they share container names,
network and volumes. The scenarios of MOLECULE_SOLO_SCENARIOS (the multi-node
ones) never overlap either: together they saturate the CPU. Every other pair
may: each scenario has container names and a network of its own. Free lanes
take the longest waiting run first (ESTIMATES).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
LOG_DIR = REPO / "build" / "logs"
TIMINGS_FILE = REPO / "build" / "molecule-timings.json"
SCENARIOS = os.environ.get("SCENARIOS", "default").split()
DISTROS = os.environ.get("DISTROS", "debian13 debian12").split()
# The cluster scenario (three nodes, failovers) is the longest: `make test`
# runs it on the first release of DISTROS only, CLUSTER_DISTROS chooses.
CLUSTER_DISTROS = os.environ.get("CLUSTER_DISTROS", " ".join(DISTROS[:1])).split()
# The kernel scenario boots QEMU virtual machines of these releases (lab/vm/).
KERNEL_DISTROS = os.environ.get("KERNEL_DISTROS", "debian13").split()
# Scenarios whose nodes are QEMU virtual machines, not podman containers.
VM_SCENARIOS = {"kernel"}
# The check-mode and fault suites (tests/testinfra_faults) of `default` drift
# files and restart services and nodes; they run on FAULT_DISTROS only.
FAULT_DISTROS = os.environ.get("FAULT_DISTROS", " ".join(DISTROS[:1])).split()
# Static checks run as lanes' work too (`make test` sets "lint sanity"; empty
# when pytest runs on its own).
STATIC_CHECKS = os.environ.get("STATIC_CHECKS", "").split()
LANES = max(1, int(os.environ.get("MOLECULE_LANES", "2")))
# Scenarios of several nodes that never run beside each other: on a 2-core
# machine the CPU is saturated by one of them plus a lighter run, and two side
# by side each took about 1.6 times as long (docs/testing.md). The lighter runs
# (modules, the podman suites, lint, sanity) fill the other lane. "" lets
# every scenario run beside every other (a machine with more cores).
SOLO = set(os.environ.get("MOLECULE_SOLO_SCENARIOS", "default cluster").split())
DESTROY_ATTEMPTS = 3
# Both front web servers are tested on every run: nginx on Debian 13, Apache on Debian 12.
WEB_SERVER = {"debian13": "nginx", "debian12": "apache"}
# Scenarios whose first converge runs at -vvv: tests/testinfra_cluster/test_secrets.py
# then looks for every secret in that output. The cluster scenario deploys every
# secret there is (the hacluster password too).
VERBOSE_CONVERGE = {"cluster"}
# Minutes each run took in a clean clone's `make test` on a 2-core machine
# (docs/testing.md): the order in which free lanes take them, longest first.
# A run not listed counts 5 minutes.
ESTIMATES = {
    "default-debian13": 24,
    "cluster-debian13": 20,
    "default-debian12": 13,
    "modules-debian13": 9,
    "modules-debian12": 9,
    "podman-suite": 18,
    # In make test where KVM is usable (not measured yet: no such machine); under TCG
    # (KERNEL_TCG=1) it takes far longer (docs/testing.md).
    "kernel-debian13": 30,
    "sanity": 3,
    "lint": 1,
}
PODMAN_SUITE = REPO / "tests" / "podman"
PODMAN_SUITE_KEY = "podman-suite"

_SCENARIO_DISTROS = {"cluster": CLUSTER_DISTROS, "kernel": KERNEL_DISTROS}
MATRIX = [(scenario, distro) for scenario in SCENARIOS for distro in _SCENARIO_DISTROS.get(scenario, DISTROS)]

# Wall time of each step of each run (CI time, docs/testing.md), with the lane
# and the minute it started and ended: printed at the end of the run
# (tests/conftest.py) and written to build/molecule-timings.json.
TIMINGS: dict[str, dict[str, float]] = {}
_TIMINGS_LOCK = threading.Lock()
_STARTED = time.monotonic()


def scenario_key(scenario: str, distro: str) -> str:
    return f"{scenario}-{distro}"


def _write_timings() -> None:
    with _TIMINGS_LOCK:
        TIMINGS_FILE.parent.mkdir(parents=True, exist_ok=True)
        TIMINGS_FILE.write_text(json.dumps(TIMINGS, indent=2) + "\n")


def sequence(scenario: str) -> list[str]:
    """The scenario's test sequence: its own, or the shared one."""
    own = yaml.safe_load((REPO / "molecule" / scenario / "molecule.yml").read_text()) or {}
    shared = yaml.safe_load((REPO / ".config" / "molecule" / "config.yml").read_text())
    return (own.get("scenario") or {}).get("test_sequence") or shared["scenario"]["test_sequence"]


def _volumes(scenario: str) -> list[str]:
    """The named volumes of a scenario's platforms (Mailman's data): never reused across runs."""
    own = yaml.safe_load((REPO / "molecule" / scenario / "molecule.yml").read_text()) or {}
    names = {
        volume.split(":", 1)[0]
        for platform in own.get("platforms", [])
        for volume in platform.get("volumes", [])
        if not volume.startswith("/")
    }
    return sorted(names)


def _remove_volumes(scenario: str) -> None:
    for name in _volumes(scenario):
        subprocess.run(["podman", "volume", "rm", "--force", name], check=False, capture_output=True)


def _run_sequence(scenario: str, env: dict, log: Path, timings: dict) -> tuple[int, list[str]]:
    """Each step of the sequence as its own `molecule <step>` (what `molecule
    test` does, but the first converge runs at -vvv for the secrets test).
    A failed step stops the sequence and the instances are destroyed. Each
    step's wall time goes to `timings` (step -> seconds, summed when a step
    runs twice, as destroy does)."""
    done: list[str] = []
    with log.open("w") as out:
        for step in sequence(scenario):
            started = time.monotonic()
            step_env = dict(env)
            if step == "converge" and scenario in VERBOSE_CONVERGE:
                step_env["ANSIBLE_VERBOSITY"] = "3"
            # Cleanup only: podman (4.3) sometimes still counts a just-removed container on the
            # scenario's network, and molecule's destroy then fails to delete the network.
            attempts = DESTROY_ATTEMPTS if step == "destroy" else 1
            for attempt in range(1, attempts + 1):
                out.write(f"\n===== molecule {step} --scenario-name {scenario} (attempt {attempt})\n")
                out.flush()
                proc = subprocess.run(
                    ["molecule", step, "--scenario-name", scenario],
                    cwd=REPO,
                    env=step_env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
                if proc.returncode == 0:
                    break
                if attempt < attempts:
                    out.write(f"\n===== molecule {step} failed ({proc.returncode}): again in 10 s\n")
                    time.sleep(10)
            timings[step] = timings.get(step, 0.0) + time.monotonic() - started
            out.write(f"\n===== molecule {step} took {time.monotonic() - started:.0f} s\n")
            if proc.returncode != 0:
                out.write(f"\n===== molecule {step} failed ({proc.returncode}): destroying\n")
                out.flush()
                subprocess.run(
                    ["molecule", "destroy", "--scenario-name", scenario],
                    cwd=REPO,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
                return proc.returncode, done
            done.append(step)
    return 0, done


def run_scenario(scenario: str, distro: str, timings: dict) -> tuple[int, list[str], Path]:
    """One scenario on one release: (return code of the failed step or 0, steps done, log)."""
    log = LOG_DIR / f"molecule-{scenario}-{distro}.log"
    env = {
        **os.environ,
        "MOLECULE_DISTRO": distro,
        "MOLECULE_WEB_SERVER": WEB_SERVER.get(distro, "nginx"),
        "MAILSTACK_MOLECULE_LOG": str(log),
        "MAILSTACK_FAULT_SUITES": "1" if distro in FAULT_DISTROS else "0",
        "NO_COLOR": "1",
        "PY_COLORS": "0",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
    }
    _remove_volumes(scenario)
    returncode, done = _run_sequence(scenario, env, log, timings)
    _remove_volumes(scenario)
    return returncode, done, log


def _run_command(name: str, command: list[str]) -> tuple[int, Path]:
    log = LOG_DIR / f"{name}.log"
    with log.open("w") as out:
        proc = subprocess.run(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, check=False)
    return proc.returncode, log


def run_podman_suite(timings: dict) -> tuple[int, Path]:
    """tests/podman (the lab's recovery, nfs_autofs_client on a host without autofs, single roles
    reused from the installed artifact): containers and networks of its own."""
    del timings
    return _run_command(
        PODMAN_SUITE_KEY,
        [sys.executable, "-m", "pytest", str(PODMAN_SUITE), "-v", "-p", "no:cacheprovider", "--durations", "10"],
    )


def run_static_check(target: str, timings: dict) -> tuple[int, Path]:
    """`make <target>` (lint or sanity), output in build/logs/<target>.log."""
    del timings
    return _run_command(target, [os.environ.get("MAKE", "make"), "--no-print-directory", target])


@dataclass
class Run:
    key: str
    # Runs of one group never overlap (one molecule scenario's containers).
    group: str
    work: Callable[[dict], object]
    future: concurrent.futures.Future = field(default_factory=concurrent.futures.Future)


class Lanes:
    """A fixed number of worker threads taking runs longest-first, two runs of one group never at once."""

    def __init__(self, runs: list[Run], lanes: int) -> None:
        self.runs = {run.key: run for run in runs}
        self._waiting = sorted(runs, key=lambda run: -ESTIMATES.get(run.key, 5))
        self._busy: set[str] = set()
        self._cond = threading.Condition()
        self._threads = [
            threading.Thread(target=self._lane, args=(number,), name=f"lane-{number}", daemon=True)
            for number in range(1, min(lanes, len(runs)) + 1)
        ]

    def start(self) -> Lanes:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        for thread in self._threads:
            thread.start()
        return self

    def _next(self) -> Run | None:
        with self._cond:
            while True:
                if not self._waiting:
                    return None
                for run in self._waiting:
                    if run.group not in self._busy:
                        self._waiting.remove(run)
                        self._busy.add(run.group)
                        return run
                self._cond.wait()

    def _lane(self, number: int) -> None:
        while (run := self._next()) is not None:
            timings = TIMINGS.setdefault(run.key, {})
            started = time.monotonic()
            timings["lane"] = number
            timings["start"] = started - _STARTED
            try:
                result = run.work(timings)
            except BaseException as error:  # handed to the test that waits for it
                run.future.set_exception(error)
            else:
                run.future.set_result(result)
            finally:
                timings["total"] = time.monotonic() - started
                timings["end"] = time.monotonic() - _STARTED
                _write_timings()
                with self._cond:
                    self._busy.discard(run.group)
                    self._cond.notify_all()

    def result(self, key: str):
        return self.runs[key].future.result()

    def stop(self) -> None:
        """Drop the runs not started (pytest stopped early) and wait for the running ones, so that
        no molecule run outlives the session with its containers."""
        with self._cond:
            for run in self._waiting:
                run.future.cancel()
            self._waiting.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()


def plan(selected: set[str]) -> list[Run]:
    """The runs behind the selected tests (their keys as in `selected`)."""
    runs = [
        Run(
            scenario_key(scenario, distro),
            "solo" if scenario in SOLO else scenario,
            lambda timings, s=scenario, d=distro: run_scenario(s, d, timings),
        )
        for scenario, distro in MATRIX
        if scenario_key(scenario, distro) in selected
    ]
    if PODMAN_SUITE_KEY in selected:
        runs.append(Run(PODMAN_SUITE_KEY, PODMAN_SUITE_KEY, run_podman_suite))
    runs += [
        Run(target, target, lambda timings, t=target: run_static_check(t, timings))
        for target in STATIC_CHECKS
        if target in selected
    ]
    return runs


LANES_STARTED: Lanes | None = None


def start(selected: set[str]) -> Lanes | None:
    """Start the lanes for the selected runs (once per pytest session)."""
    global LANES_STARTED  # noqa: PLW0603 - one set of lanes per pytest process
    if LANES_STARTED is None and selected:
        # The scenarios' ssh connection needs the checkout's key before the first ssh starts.
        subprocess.run([str(REPO / "lab" / "ssh-proxy"), "--key"], check=True, stdout=subprocess.DEVNULL)
        LANES_STARTED = Lanes(plan(selected), LANES).start()
    return LANES_STARTED
