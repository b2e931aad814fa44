"""Run every molecule scenario for every Debian release, inside pytest so that
`make test` ends with one summary line.

SCENARIOS and DISTROS (space-separated, set by the Makefile) choose what runs.
Each run's full output goes to build/logs/molecule-<scenario>-<distro>.log;
a failure shows its tail.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from capability_marks import DESELECTED_KEY, FAULT_SUITES_OFF, TIMINGS_KEY, has

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = os.environ.get("SCENARIOS", "default").split()
DISTROS = os.environ.get("DISTROS", "debian13 debian12").split()
# The cluster scenario (three nodes, failovers) is the longest: `make test`
# runs it on the first release of DISTROS only, CLUSTER_DISTROS chooses.
CLUSTER_DISTROS = os.environ.get("CLUSTER_DISTROS", " ".join(DISTROS[:1])).split()
# The check-mode and fault suites (tests/testinfra_faults) of `default` drift
# files and restart services and nodes; they run on FAULT_DISTROS only.
FAULT_DISTROS = os.environ.get("FAULT_DISTROS", " ".join(DISTROS[:1])).split()
# Scenarios run in a background thread alongside the others (own containers and network, nothing
# timed in them): BACKGROUND_SCENARIOS, "" for none.
BACKGROUND = set(os.environ.get("BACKGROUND_SCENARIOS", "modules").split())
DESTROY_ATTEMPTS = 3
LOG_DIR = REPO / "build" / "logs"
# Both front web servers are tested on every run: nginx on Debian 13, Apache on Debian 12.
WEB_SERVER = {"debian13": "nginx", "debian12": "apache"}
# Scenarios whose first converge runs at -vvv: tests/testinfra_cluster/test_secrets.py
# then looks for every secret in that output. The cluster scenario deploys every
# secret there is (the hacluster password too).
VERBOSE_CONVERGE = {"cluster"}


def _inventory_secrets() -> set[str]:
    """Every value of a `*password*` key in the lab inventory the scenarios use."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if "password" in str(key) and isinstance(value, str) and len(value) >= 6:
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in (REPO / "inventories" / "lab" / "group_vars").rglob("*.yml"):
        walk(yaml.safe_load(path.read_text()))
    return found


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


def _tail(path: Path, lines: int = 120) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


MATRIX = [
    (scenario, distro) for scenario in SCENARIOS for distro in (CLUSTER_DISTROS if scenario == "cluster" else DISTROS)
]
# What each scenario needs of the host (lab/probe.py); on a host without it the
# scenario is deselected with the reason (tests/conftest.py).
SCENARIO_NEEDS = {
    "default": ["podman", "nftables"],
    "modules": ["podman"],
    # Pacemaker's IPaddr2 adds the floating address inside the container.
    "cluster": ["podman", "nftables", "net_admin"],
}
# "DESELECTED (reason): nodeid" lines of the verifier's summary (tests/conftest.py).
DESELECTED_LINE = re.compile(r"^DESELECTED \((?P<reason>.+)\): (?P<nodeid>\S+)$", re.MULTILINE)


def _sequence(scenario: str) -> list[str]:
    """The scenario's test sequence: its own, or the shared one."""
    own = yaml.safe_load((REPO / "molecule" / scenario / "molecule.yml").read_text()) or {}
    shared = yaml.safe_load((REPO / ".config" / "molecule" / "config.yml").read_text())
    return (own.get("scenario") or {}).get("test_sequence") or shared["scenario"]["test_sequence"]


def _run_sequence(scenario: str, env: dict, log: Path, timings: dict | None = None) -> tuple[int, list[str]]:
    """Each step of the sequence as its own `molecule <step>` (what `molecule
    test` does, but the first converge runs at -vvv for the secrets test).
    A failed step stops the sequence and the instances are destroyed. Each
    step's wall time goes to `timings` (step -> seconds, summed when a step
    runs twice, as destroy does)."""
    done: list[str] = []
    timings = {} if timings is None else timings
    with log.open("w") as out:
        for step in _sequence(scenario):
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


# Wall time of each step of each scenario run (CI time, docs/testing.md): printed at the
# end of the run and written to build/molecule-timings.json.
TIMINGS: dict[str, dict[str, float]] = {}


def _run_scenario(scenario: str, distro: str) -> tuple[int, list[str], Path]:
    """One scenario on one release: (return code of the failed step or 0, steps done, log)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
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
    timings = TIMINGS.setdefault(f"{scenario}-{distro}", {})
    started = time.monotonic()
    returncode, done = _run_sequence(scenario, env, log, timings)
    timings["total"] = time.monotonic() - started
    _remove_volumes(scenario)
    (REPO / "build" / "molecule-timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")
    return returncode, done, log


@pytest.fixture(scope="session")
def background_runs(request):
    """The BACKGROUND scenarios of the matrix, started with the first scenario test and run one after
    the other in a thread while the others run in the foreground: they have their own containers,
    network and volumes, and nothing in them is timed (CI time, see docs/testing.md)."""
    selected = {
        (item.callspec.params["scenario"], item.callspec.params["distro"])
        for item in request.session.items
        if hasattr(item, "callspec") and "scenario" in item.callspec.params
    }
    wanted = [item for item in MATRIX if item[0] in BACKGROUND and item in selected]
    podman_suite = any(item.name == "test_podman_suite" for item in request.session.items)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        runs: dict = {PODMAN_SUITE_KEY: pool.submit(_run_podman_suite)} if podman_suite else {}
        runs.update({item: pool.submit(_run_scenario, *item) for item in wanted})
        yield runs


# The suites that bring up podman containers of their own (tests/podman: the lab's recovery,
# nfs_autofs_client on a host without autofs, single roles reused from the installed artifact).
# They run first in the background thread (own containers and networks, nothing timed);
# test_podman_suite, the last test here, takes their result.
PODMAN_SUITE = REPO / "tests" / "podman"
PODMAN_SUITE_KEY = ("podman-suite", "")


def _run_podman_suite() -> tuple[int, Path]:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / "podman-suite.log"
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", str(PODMAN_SUITE), "-v", "-p", "no:cacheprovider", "--durations", "10"],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    TIMINGS["podman-suite"] = {"total": time.monotonic() - started}
    return proc.returncode, log


def _accepted_deselections(text: str, distro: str) -> list[tuple[str, str]]:
    """The verifier's deselections, each with its reason; fails on any that
    the host's capabilities or FAULT_DISTROS do not explain, and when pytest
    deselected more tests than it gave reasons for."""
    counted = sum(int(n) for n in re.findall(r"^=+ .*?(\d+) deselected", text, re.MULTILINE))
    found = [(match["reason"], match["nodeid"]) for match in DESELECTED_LINE.finditer(text)]
    assert counted == len(found), f"{counted} tests deselected, {len(found)} with a reason: {found}"
    for reason, nodeid in found:
        capability = re.fullmatch(r"missing capability (\w+): .*", reason)
        if capability:
            assert not has(capability[1]), f"{nodeid} deselected for {capability[1]}, which this host has"
        else:
            assert reason == FAULT_SUITES_OFF and distro not in FAULT_DISTROS, f"{nodeid} deselected: {reason}"
    return found


def _params():
    for scenario, distro in MATRIX:
        marks = [pytest.mark.needs(capability) for capability in SCENARIO_NEEDS.get(scenario, ["podman"])]
        yield pytest.param(scenario, distro, id=f"{scenario}-{distro}", marks=marks)


@pytest.mark.parametrize(("scenario", "distro"), list(_params()))
def test_molecule_scenario(scenario: str, distro: str, background_runs, request) -> None:
    image = f"localhost/mailstack-base:{distro}"
    have_image = subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0
    assert have_image, f"base image {image} is missing: run `make images` first"

    request.config.stash[TIMINGS_KEY] = TIMINGS
    if scenario in BACKGROUND:
        returncode, done, log = background_runs[scenario, distro].result()
    else:
        returncode, done, log = _run_scenario(scenario, distro)
    text = log.read_text(errors="replace")
    assert returncode == 0, f"molecule {scenario} on {distro} failed (log {log}):\n{_tail(log)}"
    sequence = _sequence(scenario)
    assert done == sequence, f"steps run {done}, expected {sequence} ({log})"
    for step in sequence:
        # "[default > prepare] Executed: Successful" (or "prepare: Executed ..." with colours)
        assert re.search(rf"\b{step}\b\W+Executed: Successful", text), f"step {step} did not run in {log}"
    # No secret of the inventory may show up in what Ansible printed.
    leaked = sorted(secret for secret in _inventory_secrets() if secret in text)
    assert not leaked, f"{len(leaked)} inventory password(s) appear in {log}"
    if "verify" in sequence:
        verified = re.findall(r"=+ (\d+) passed", text)
        assert verified and int(verified[-1]) > 0, f"the verifier ran no test ({log})"
        assert not re.search(r"=+ .*\d+ failed", text), f"verifier failures in {log}"
        # Inside molecule every end-to-end test applies; a skip would hide a missing feature. Only
        # deselections that a missing capability of the host or FAULT_DISTROS explain are accepted,
        # and they are named again at the end of this run.
        assert not re.search(r"=+ .*\d+ skipped", text), f"verifier skipped tests in {log}"
        for reason, nodeid in _accepted_deselections(text, distro):
            request.config.stash.setdefault(DESELECTED_KEY, []).append((f"{scenario}-{distro}: {nodeid}", reason))
        if scenario == "default" and distro in FAULT_DISTROS:
            ran = set(re.findall(r"testinfra_faults/(test_\w+)\.py::\S+ PASSED", text))
            assert ran == {"test_check_mode", "test_faults"}, f"fault suites that passed: {sorted(ran)} ({log})"


@pytest.mark.needs("podman")
def test_podman_suite(background_runs, request) -> None:
    """tests/podman, run in the background thread: passed, nothing skipped, every deselection
    explained by a capability this host lacks (named again at the end of this run)."""
    request.config.stash[TIMINGS_KEY] = TIMINGS
    returncode, log = background_runs[PODMAN_SUITE_KEY].result()
    text = log.read_text(errors="replace")
    assert returncode == 0, f"tests/podman failed (log {log}):\n{_tail(log)}"
    passed = re.findall(r"=+ (\d+) passed", text)
    assert passed and int(passed[-1]) > 0, f"tests/podman ran no test ({log})"
    assert not re.search(r"=+ .*\d+ skipped", text), f"tests/podman skipped tests ({log})"
    for reason, nodeid in _accepted_deselections(text, ""):
        request.config.stash.setdefault(DESELECTED_KEY, []).append((f"podman-suite: {nodeid}", reason))
