"""Run every molecule scenario for every Debian release, inside pytest so that
`make test` ends with one summary line.

SCENARIOS and DISTROS (space-separated, set by the Makefile) choose what runs.
Each run's full output goes to build/logs/molecule-<scenario>-<distro>.log;
a failure shows its tail.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = os.environ.get("SCENARIOS", "default").split()
DISTROS = os.environ.get("DISTROS", "debian13 debian12").split()
LOG_DIR = REPO / "build" / "logs"


def _tail(path: Path, lines: int = 120) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.mark.parametrize("distro", DISTROS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(scenario: str, distro: str) -> None:
    image = f"localhost/mailstack-base:{distro}"
    have_image = subprocess.run(["podman", "image", "exists", image], check=False).returncode == 0
    assert have_image, f"base image {image} is missing: run `make images` first"

    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"molecule-{scenario}-{distro}.log"
    env = {
        **os.environ,
        "MOLECULE_DISTRO": distro,
        "NO_COLOR": "1",
        "PY_COLORS": "0",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
    }
    with log.open("w") as out:
        proc = subprocess.run(
            ["molecule", "test", "--scenario-name", scenario],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    text = log.read_text(errors="replace")
    assert proc.returncode == 0, f"molecule {scenario} on {distro} failed (log {log}):\n{_tail(log)}"
    # The idempotence step must have run and the verifier must have run tests.
    assert re.search(r"idempotence.*Executed: Successful", text), f"no idempotence step in {log}"
    verified = re.findall(r"=+ (\d+) passed", text)
    assert verified and int(verified[-1]) > 0, f"the verifier ran no test ({log})"
    assert not re.search(r"=+ .*\d+ failed", text), f"verifier failures in {log}"
