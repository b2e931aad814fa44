"""Every molecule scenario for every Debian release, the podman suites and
(under `make test`) the static checks, inside pytest so that `make test` ends
with one summary line.

SCENARIOS and DISTROS (space-separated, set by the Makefile) choose what runs.
The runs themselves happen in lanes side by side (scenario_runs.py), started
when pytest has collected; each test here waits for its run and judges it.
Each run's full output goes to build/logs/; a failure shows its tail.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import scenario_runs
import yaml
from capability_marks import DESELECTED_KEY, FAULT_SUITES_OFF, TIMINGS_KEY, has
from scenario_runs import FAULT_DISTROS, MATRIX, PODMAN_SUITE_KEY, REPO, STATIC_CHECKS, TIMINGS, sequence


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


def _tail(path: Path, lines: int = 120) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# What each scenario needs of the host (lab/probe.py); on a host without it the
# scenario is deselected with the reason (tests/conftest.py).
SCENARIO_NEEDS = {
    "default": ["podman", "nftables"],
    "modules": ["podman"],
    # Pacemaker's IPaddr2 adds the floating address inside the container.
    "cluster": ["podman", "nftables", "net_admin"],
    # Two virtual machines: what the containers' kernel lacks. With KVM usable for a stock kernel;
    # under QEMU's software emulation (TCG) only when KERNEL_TCG=1 asks for it: there the scenario takes
    # longer than make test's budget (docs/testing.md).
    "kernel": ["qemu"] if os.environ.get("KERNEL_TCG") == "1" else ["qemu", "kvm"],
}
# "DESELECTED (reason): nodeid" lines of the verifier's summary (tests/conftest.py).
DESELECTED_LINE = re.compile(r"^DESELECTED \((?P<reason>.+)\): (?P<nodeid>\S+)$", re.MULTILINE)


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


def _result(key: str, request):
    """The result of a run of the lanes (started at collection, tests/molecule/conftest.py)."""
    request.config.stash[TIMINGS_KEY] = TIMINGS
    lanes = scenario_runs.LANES_STARTED
    assert lanes is not None and key in lanes.runs, f"run {key} was not started with the lanes"
    return lanes.result(key)


@pytest.mark.parametrize(("scenario", "distro"), list(_params()))
def test_molecule_scenario(scenario: str, distro: str, request) -> None:
    if scenario not in scenario_runs.VM_SCENARIOS:  # the VMs' image is built by the scenario's create
        image = f"localhost/mailstack-base:{distro}"
        have_image = subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0
        assert have_image, f"base image {image} is missing: run `make images` first"

    returncode, done, log = _result(scenario_runs.scenario_key(scenario, distro), request)
    text = log.read_text(errors="replace")
    assert returncode == 0, f"molecule {scenario} on {distro} failed (log {log}):\n{_tail(log)}"
    steps = sequence(scenario)
    assert done == steps, f"steps run {done}, expected {steps} ({log})"
    for step in steps:
        # "[default > prepare] Executed: Successful" (or "prepare: Executed ..." with colours)
        assert re.search(rf"\b{step}\b\W+Executed: Successful", text), f"step {step} did not run in {log}"
    # No secret of the inventory may show up in what Ansible printed.
    leaked = sorted(secret for secret in _inventory_secrets() if secret in text)
    assert not leaked, f"{len(leaked)} inventory password(s) appear in {log}"
    if "verify" in steps:
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
def test_podman_suite(request) -> None:
    """tests/podman: passed, nothing skipped, every deselection explained by a capability this
    host lacks (named again at the end of this run)."""
    returncode, log = _result(PODMAN_SUITE_KEY, request)
    text = log.read_text(errors="replace")
    assert returncode == 0, f"tests/podman failed (log {log}):\n{_tail(log)}"
    passed = re.findall(r"=+ (\d+) passed", text)
    assert passed and int(passed[-1]) > 0, f"tests/podman ran no test ({log})"
    assert not re.search(r"=+ .*\d+ skipped", text), f"tests/podman skipped tests ({log})"
    for reason, nodeid in _accepted_deselections(text, ""):
        request.config.stash.setdefault(DESELECTED_KEY, []).append((f"podman-suite: {nodeid}", reason))


if STATIC_CHECKS:

    @pytest.mark.parametrize("target", STATIC_CHECKS)
    def test_static_check(target: str, request) -> None:
        """`make lint` / `make sanity`, run in a lane next to the scenarios (`make test` sets
        STATIC_CHECKS): exit status 0; the failure shows the end of its output."""
        returncode, log = _result(target, request)
        assert returncode == 0, f"make {target} failed (log {log}):\n{_tail(log)}"
