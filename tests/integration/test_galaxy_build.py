"""`ansible-galaxy collection build` ships the collection and nothing else."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]

SHIPPED = [
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "LICENSE",
    "meta/runtime.yml",
    "playbooks/site.yml",
    "roles/preflight/tasks/main.yml",
    "roles/timesync/meta/argument_specs.yml",
    "docs/topology.md",
    "changelogs/config.yaml",
]
NOT_SHIPPED_TOP = {"molecule", "tests", "lab", "tools", "benchmarks", ".ansible", ".ci", ".config", ".git", "build"}
NOT_SHIPPED_FILES = {"Makefile", "requirements-dev.txt", "ansible.cfg", ".ansible-lint", ".yamllint", "ruff.toml"}


def test_build_contains_the_collection_only(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    # Build from the tracked files plus the working tree's changes, like CI's clone,
    # and with lab/test state lying around as it would in a developer's checkout.
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in files:
        source = REPO / name
        if source.is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / name)
    link = tree / ".ansible/collections/ansible_collections/listserv/mailstack"
    link.parent.mkdir(parents=True)
    link.symlink_to("../../../..")
    (tree / "build/logs").mkdir(parents=True)
    (tree / "build/logs/molecule.log").write_text("state\n")

    out = tmp_path / "out"
    subprocess.run(
        ["ansible-galaxy", "collection", "build", "--output-path", str(out), str(tree)],
        check=True,
        capture_output=True,
        text=True,
    )
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    artifact = out / f"listserv-mailstack-{version}.tar.gz"
    assert artifact.is_file()
    with tarfile.open(artifact) as tar:
        names = {member.name.removeprefix("./") for member in tar.getmembers()}
    for wanted in SHIPPED:
        assert wanted in names, f"{wanted} missing from {artifact.name}"
    top = {name.split("/", 1)[0] for name in names}
    assert not top & NOT_SHIPPED_TOP, f"development material shipped: {sorted(top & NOT_SHIPPED_TOP)}"
    assert not names & NOT_SHIPPED_FILES, f"development files shipped: {sorted(names & NOT_SHIPPED_FILES)}"
    assert not any("__pycache__" in name for name in names)
