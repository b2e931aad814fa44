# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-task cost of the connection to the lab's containers (see docs/benchmarks.md).

One container from the Debian 13 base image; the same playbook (41 module runs: commands, stats,
copies, one apt check) run with two connections in alternating rounds:

- containers.podman.podman: four `podman exec` calls per module (temporary directory, copy, chmod, run)
- lab_podman (lab/connection_plugins): the same connection with pipelining, one `podman exec -i`

Run from the repository root with the venv on PATH: python3 benchmarks/connection_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time
from pathlib import Path

from _common import ROOT, run, stats, write_results

HERE = Path(__file__).resolve().parent
PLAYBOOK = HERE / "connection" / "tasks.yml"
MODULE_RUNS = 41
VARIANTS = {
    "containers.podman.podman": {"ANSIBLE_PIPELINING": "0"},
    "lab_podman": {"ANSIBLE_PIPELINING": "1"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default="localhost/mailstack-base:debian13")
    args = parser.parse_args()

    name = f"mailstack-bench-connection-{os.getpid()}"
    run(["podman", "run", "-d", "--name", name, "--systemd", "always", args.image, "/sbin/init"])
    try:
        time.sleep(3)
        base_env = {
            **os.environ,
            "ANSIBLE_CONNECTION_PLUGINS": str(ROOT / "lab" / "connection_plugins"),
            "ANSIBLE_NOCOLOR": "1",
        }
        times: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        # One warm-up run each (apt cache, Python byte code), not counted.
        for rnd in range(args.runs + 1):
            order = list(VARIANTS) if rnd % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                env = {**base_env, **VARIANTS[variant]}
                started = time.monotonic()
                run(["ansible-playbook", "-i", f"{name},", "-c", variant, str(PLAYBOOK)], env=env)
                if rnd:
                    times[variant].append(time.monotonic() - started)
        result = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "runs": args.runs,
            "module_runs": MODULE_RUNS,
            "image": args.image,
            "variants": {
                variant: stats(values) | {"per_task": statistics.median(values) / MODULE_RUNS, "all": values}
                for variant, values in times.items()
            },
        }
        first, second = (result["variants"][v]["median"] for v in VARIANTS)
        result["ratio"] = first / second
        out = write_results("connection_overhead", result)
        for variant, data in result["variants"].items():
            print(
                f"{variant:28} median {data['median']:6.2f} s ({data['min']:.2f}-{data['max']:.2f}), "
                f"{data['per_task']:.2f} s per task"
            )
        print(f"ratio {result['ratio']:.2f}x  ({out.relative_to(ROOT)})")
    finally:
        run(["podman", "rm", "-f", name], check=False)


if __name__ == "__main__":
    main()
