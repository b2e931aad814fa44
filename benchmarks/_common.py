# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every benchmark script shares: running commands, summary statistics, the results file."""

from __future__ import annotations

import datetime
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# A line of ansible.posix.profile_tasks' list: "role : task name ------ 1.23s" (tasks outside roles have no
# "role : "; a name longer than the line leaves fewer dashes).
PROFILE_LINE = re.compile(r"^(?P<task>.*\S) -+ (?P<secs>\d+\.\d+)s\s*$")


def run(cmd, *, env=None, check=True, stdin=None):
    """Run a command (a list, never a shell string) from the repository root; exit with its output if it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False, input=stdin)  # noqa: S603
    if check and proc.returncode:
        sys.exit(
            f"command failed ({proc.returncode}): {' '.join(cmd)[:300]}\n{proc.stdout[-4000:]}{proc.stderr[-3000:]}"
        )
    return proc


def stats(values):
    """Median, min, max and count of the values that were measured (None: not measured); None if none were."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def stamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def write_results(name: str, result: dict, path: str | Path | None = None, indent: int = 2) -> Path:
    """Write the result as benchmarks/results/<name>-<UTC stamp>.json (or to path); returns the file."""
    out = Path(path) if path else RESULTS / f"{name}-{stamp()}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=indent) + "\n")
    return out
