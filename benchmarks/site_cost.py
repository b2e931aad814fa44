# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark what site.yml costs on the lab (see docs/benchmarks.md).

Each round builds the lab afresh (lab/lab.sh down, up: the mail and web containers from the base image),
then times:

- first:          `ansible-playbook playbooks/site.yml` on the new containers (the first converge)
- noop:           the same again with the repository's ansible.cfg (pipelined connection); must report
                  changed=0 on every host
- noop-nopipe:    the same with pipelining off (ANSIBLE_PIPELINING=false: Ansible's default, every module
                  copied to the node and run in a second call)

The two no-op variants alternate in order from round to round. Per-role times come from the
ansible.posix.profile_roles callback, per-task times (all tasks) from ansible.posix.profile_tasks.
This rebuilds the lab: it removes the containers of `make lab`.

Run from the repository root with the venv on PATH and CONTAINERS_CONF set (as the Makefile does):
python3 benchmarks/site_cost.py [--runs 5] [--distro debian13]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import PROFILE_LINE, ROOT, run, stats, write_results

HERE = Path(__file__).resolve().parent
ROLE_LINE = re.compile(r"^(?P<role>[\w.]+) -{3,} (?P<secs>\d+\.\d+)s\s*$")
RECAP = re.compile(
    r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unr>\d+)\s+failed=(?P<failed>\d+)"
    r"\s+skipped=(?P<skipped>\d+)"
)


def task_files() -> dict[tuple[str, str], str]:
    """{(role, task name): roles/<role>/tasks/<file>} of every named task in the roles. A name found in
    several files of a role keeps the first, main.yml last: its include tasks often carry the name of the
    task they include."""
    index: dict[tuple[str, str], str] = {}
    paths = sorted((ROOT / "roles").glob("*/tasks/*.yml"), key=lambda p: (p.parts[-3], p.name == "main.yml", p.name))
    for path in paths:
        for line in path.read_text().splitlines():
            text = line.strip()
            if text.startswith("- name:"):
                name = text[len("- name:") :].strip().strip("\"'")
                index.setdefault((path.parts[-3], name), str(path.relative_to(ROOT)))
    return index


def by_file(task_times: dict[str, float]) -> dict[str, float]:
    """Seconds per task file (rounded), longest first: "playbook" for tasks outside roles,
    "roles/<role>/tasks/?" for a name not found (a templated one)."""
    index = task_files()
    files: dict[str, float] = {}
    for task, secs in task_times.items():
        role, sep, name = task.partition(" : ")
        role = role.rsplit(".", 1)[-1]
        where = index.get((role, name), f"roles/{role}/tasks/?") if sep else "playbook"
        files[where] = files.get(where, 0.0) + secs
    return {f: round(secs, 2) for f, secs in sorted(files.items(), key=lambda item: -item[1])}


def summarise(path: Path) -> None:
    """Add the seconds per task file to an existing results file and print them."""
    result = json.loads(path.read_text())
    for label, data in result["variants"].items():
        data["task_files"] = by_file(data["task_times"])
        print(f"{label}:")
        for name, secs in data["task_files"].items():
            print(f"    {name:55} {secs:7.1f} s")
    path.write_text(json.dumps(result, indent=2) + "\n")


def lab(action: str, env: dict) -> None:
    """lab/lab.sh up|down; its output is not captured: a helper of lab.sh can keep a pipe open."""
    script = str(ROOT / "lab" / "lab.sh")
    proc = subprocess.run([script, action], env=env, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)  # noqa: S603
    if proc.returncode:
        sys.exit(f"lab/lab.sh {action} failed ({proc.returncode})")


def site(env: dict) -> dict:
    started = time.monotonic()
    out = run(["ansible-playbook", "-i", "inventories/lab", "playbooks/site.yml"], env=env).stdout
    wall = time.monotonic() - started
    recap = {m["host"]: m.groupdict() for m in map(RECAP.match, out.splitlines()) if m}
    # profile_roles prints "ROLES RECAP", then profile_tasks "TASKS RECAP".
    before, separator, task_recap = out.partition("TASKS RECAP")
    if not separator:
        sys.exit(f"no TASKS RECAP (profile_tasks) in the output of site.yml:\n{out[-2000:]}")
    roles = {m["role"]: float(m["secs"]) for m in map(ROLE_LINE.match, before.splitlines()) if m}
    tasks: dict[str, float] = {}
    for m in map(PROFILE_LINE.match, task_recap.splitlines()):
        if m:
            # The same name can occur in several plays (one per host group): add them up.
            tasks[m["task"]] = tasks.get(m["task"], 0.0) + float(m["secs"])
    if not recap or any(int(r["failed"]) or int(r["unr"]) for r in recap.values()):
        sys.exit(f"site.yml failed:\n{out[-4000:]}")
    return {
        "wall": wall,
        "changed": sum(int(r["changed"]) for r in recap.values()),
        "tasks": sum(int(r["ok"]) for r in recap.values()),
        "skipped": sum(int(r["skipped"]) for r in recap.values()),
        "roles": roles,
        "task_times": tasks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--distro", default="debian13")
    parser.add_argument("--summarise", type=Path, help="only add the seconds per task file to this results file")
    args = parser.parse_args()
    if args.summarise:
        summarise(args.summarise)
        return

    base = {
        **os.environ,
        "DISTRO": args.distro,
        "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_roles,ansible.posix.profile_tasks",
        # Every task's time, in playbook order (the default is the 20 longest).
        "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all",
        "PROFILE_TASKS_SORT_ORDER": "none",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }
    variants = {
        "noop": base,
        "noop-nopipe": base | {"ANSIBLE_PIPELINING": "false"},
    }
    samples: dict[str, list[dict]] = {"first": [], "noop": [], "noop-nopipe": []}
    for rnd in range(args.runs):
        lab("down", base)
        lab("up", base)
        first = site(base)
        samples["first"].append(first)
        print(f"round {rnd} first  {first['wall']:7.1f} s changed={first['changed']}", flush=True)
        order = list(variants) if rnd % 2 == 0 else list(variants)[::-1]
        for label in order:
            sample = site(variants[label])
            if sample["changed"]:
                sys.exit(f"{label}: the second run changed {sample['changed']} things")
            samples[label].append(sample)
            print(f"round {rnd} {label:12} {sample['wall']:7.1f} s", flush=True)
    lab("down", base)

    roles = sorted({role for values in samples.values() for s in values for role in s["roles"]})
    task_names = {task for values in samples.values() for s in values for task in s["task_times"]}
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "distro": args.distro,
        "ansible": run(["ansible", "--version"]).stdout.splitlines()[0],
        "variants": {
            label: {
                "wall": stats([s["wall"] for s in values]),
                "wall_samples": [s["wall"] for s in values],
                "tasks": statistics.median(s["tasks"] for s in values),
                "changed": [s["changed"] for s in values],
                "skipped": statistics.median(s["skipped"] for s in values),
                "roles": {r: stats([s["roles"].get(r, 0.0) for s in values]) for r in roles},
                # Median per task over the rounds, longest first.
                "task_times": dict(
                    sorted(
                        ((t, statistics.median(s["task_times"].get(t, 0.0) for s in values)) for t in task_names),
                        key=lambda item: -item[1],
                    )
                ),
            }
            for label, values in samples.items()
        },
    }
    median = {label: data["wall"]["median"] for label, data in result["variants"].items()}
    result["ratios"] = {
        "noop / first": median["noop"] / median["first"],
        "noop-nopipe / first": median["noop-nopipe"] / median["first"],
        "noop-nopipe / noop": median["noop-nopipe"] / median["noop"],
    }
    for data in result["variants"].values():
        data["task_files"] = by_file(data["task_times"])
    out_file = write_results("site_cost", result)
    for label, data in result["variants"].items():
        w = data["wall"]
        print(
            f"{label:12} {w['median']:7.1f} s ({w['min']:.1f}-{w['max']:.1f}),"
            f" {data['tasks']:.0f} tasks ok, {data['skipped']:.0f} skipped"
        )
        for role, r in data["roles"].items():
            print(f"    {role:40} {r['median']:7.1f} s")
        for task, secs in list(data["task_times"].items())[:15]:
            print(f"      {task[:70]:70} {secs:6.2f} s")
    for label, ratio in result["ratios"].items():
        print(f"{label:22} {ratio:.2f}")
    print(out_file.relative_to(ROOT))


if __name__ == "__main__":
    main()
