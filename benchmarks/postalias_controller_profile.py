# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a postalias task with a large `aliases` mapping spends its time (see docs/benchmarks.md).

Runs `ansible-playbook` with one listserv.mailstack.postalias task (the alias sets of postalias_scale.py,
passed with `-e @file`, as there) on the controller itself (`-c local`, `rebuild: false`, a file in a temporary
directory: no container, no Postfix), under the sampling profiler py-spy with its subprocesses (the task's
worker process and the module's own Python), first the apply and then the no-op. The samples are put in
buckets by the functions on their stack: loading and tagging the extra vars, templating the task's
arguments, handing the variables to the worker, building the AnsiballZ file, the module process, and so on.

Needs py-spy on PATH (`pip install py-spy`; it is not one of the project's requirements) and the venv's
ansible-playbook. Run from the repository root: python3 benchmarks/postalias_controller_profile.py
[--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, run, write_results
from postalias_scale import generate

PLAYBOOK = """\
- name: Profile listserv.mailstack.postalias
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Apply aliases with listserv.mailstack.postalias
      listserv.mailstack.postalias:
        path: "{{ bench_path }}"
        aliases: "{{ bench_aliases }}"
        rebuild: false
"""

# First match wins, in this order: (bucket, a function on the sample's stack).
BUCKETS = (
    ("extra vars: load and tag (-e @file)", "load_extra_vars ("),
    ("worker: template the task's arguments", "TaskArgsFinalizer.finalize"),
    ("hand the variables to the worker (pickle)", "ForkingPickler.dumps"),
    ("build the AnsiballZ file", "modify_module"),
    ("decode the module's result", "_parse_returned_data"),
    ("worker: wait for the module", "SimpleQueue.get"),
    ("strategy: wait for the worker", "_wait_on_pending_results"),
    ("imports and start-up", "_find_and_load"),
)
MODULE = "module process (python3 running the AnsiballZ file)"


def buckets(raw: Path) -> dict[str, float]:
    """Share of the samples per bucket (py-spy's raw format: one stack per line, then its count)."""
    counts: collections.Counter = collections.Counter()
    for line in raw.read_text().splitlines():
        stack, number = line.rsplit(" ", 1)
        frames = stack.split(";")
        processes = [frame for frame in frames if frame.startswith("process ")]
        if processes and "ansible-playbook" not in processes[-1]:
            counts[MODULE] += int(number)
            continue
        for bucket, function in BUCKETS:
            if any(function in frame for frame in frames):
                counts[bucket] += int(number)
                break
        else:
            counts["other controller work"] += int(number)
    total = sum(counts.values()) or 1
    return {bucket: round(count / total, 4) for bucket, count in counts.most_common()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", default="postalias-bench")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    args = parser.parse_args()
    spy = shutil.which("py-spy")
    if not spy:
        sys.exit("py-spy not found on PATH (pip install py-spy)")
    playbook_bin = shutil.which("ansible-playbook")
    if not playbook_bin:
        sys.exit("ansible-playbook not found on PATH")
    # The Python that runs ansible-playbook (its #! line) also runs the module.
    python = Path(playbook_bin).read_text().splitlines()[0].removeprefix("#!").strip()
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1"}
    version = run([python, "-c", "import sys; print(sys.version.split()[0])"]).stdout.strip()
    ansible = run(["ansible-playbook", "--version"]).stdout.splitlines()[0]
    result: dict = {"python": version, "ansible": ansible, "sizes": {}}
    with tempfile.TemporaryDirectory(prefix="postalias-profile-") as tmp:
        book = Path(tmp) / "profile.yml"
        book.write_text(PLAYBOOK)
        for size in (int(s) for s in args.sizes.split(",") if s):
            target = Path(tmp) / f"aliases-{size}"
            target.write_text("postmaster: root\n")
            varsfile = Path(tmp) / f"vars-{size}.json"
            varsfile.write_text(json.dumps({"bench_aliases": generate(size, args.seed), "bench_path": str(target)}))
            result["sizes"][size] = {}
            for label in ("apply", "noop"):
                raw = Path(tmp) / f"{label}-{size}.raw"
                cmd = [python, playbook_bin, "-i", "localhost,", "-c", "local"]
                cmd += ["-e", f"ansible_python_interpreter={python}", "-e", f"@{varsfile}", str(book)]
                started = time.monotonic()
                profiler = [spy, "record", "--subprocesses", "--format", "raw", "-r", str(args.rate), "-o", str(raw)]
                proc = run([*profiler, "--", *cmd], env=env)
                wall = time.monotonic() - started
                want = "changed=1" if label == "apply" else "changed=0"
                if want not in proc.stdout:
                    sys.exit(f"{label} {size}: expected {want}\n{proc.stdout[-2000:]}")
                result["sizes"][size][label] = {"wall_under_profiler": round(wall, 2), "share": buckets(raw)}
                print(f"{size:>7} {label:5} {wall:6.1f} s (under py-spy)")
                for bucket, share in result["sizes"][size][label]["share"].items():
                    print(f"        {share * 100:5.1f} %  {bucket}")
    out = write_results("postalias_controller_profile", result)
    print(out.relative_to(ROOT))


if __name__ == "__main__":
    main()
