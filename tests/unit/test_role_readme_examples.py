"""Each role README example that tests/reuse/ runs is that playbook word for
word, so the documentation is what `make test` runs (tests/podman/
test_reuse.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = sorted((REPO / "tests" / "reuse").glob("*.yml"))


def test_there_are_reuse_playbooks():
    assert {p.stem for p in PLAYBOOKS} >= {"postfix", "sasl_dovecot"}


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=[p.stem for p in PLAYBOOKS])
def test_readme_example_is_the_playbook(playbook: Path):
    readme = (REPO / "roles" / playbook.stem / "README.md").read_text()
    body = "".join(line for line in playbook.read_text().splitlines(keepends=True) if not line.startswith(("#", "---")))
    blocks = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    assert body in blocks, f"roles/{playbook.stem}/README.md has no yaml example equal to {playbook.name}"
    plays = yaml.safe_load(body)
    assert plays and all("name" in play and "hosts" in play for play in plays)
