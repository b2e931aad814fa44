# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-task cost of the connection to the lab's containers (see docs/benchmarks.md).

One container from the Debian 13 base image; the same playbook (41 module runs: commands, stats,
copies, one apt check) run with three connections in alternating rounds:

- containers.podman.podman: four `podman exec` calls per module (temporary directory, copy, chmod, run)
- lab_podman (lab/connection_plugins): the same connection with pipelining, one `podman exec -i`
- ssh: the lab's connection (inventories/lab/hosts.yml): Ansible's ssh connection with pipelining,
  multiplexed (ControlMaster/ControlPersist) over lab/ssh-proxy, which runs the image's sshd in inetd
  mode through one `podman exec -i` per node and run instead of one per module (sshd never listens on
  the network; the checkout's key is the only way in)

Then one shell command as the end-to-end tests run theirs (testinfra), 50 times per round: `podman
exec` (testinfra's podman backend) against the ssh master (its ssh backend, as tests/testinfra/nodes.py
uses it): wall time and the CPU time of the client processes per command.

Run from the repository root with the venv on PATH: python3 benchmarks/connection_overhead.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import shlex
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from _common import ROOT, run, stats, write_results

HERE = Path(__file__).resolve().parent
PLAYBOOK = HERE / "connection" / "tasks.yml"
MODULE_RUNS = 41
VARIANTS = {
    "containers.podman.podman": {"ANSIBLE_PIPELINING": "0"},
    "lab_podman": {"ANSIBLE_PIPELINING": "1"},
    "ssh": {"ANSIBLE_PIPELINING": "1"},
}
# Ratios are given against this variant (the connection the lab and the tests use).
REFERENCE = "lab_podman"


def ssh_env(workdir: Path) -> dict[str, str]:
    """The lab's ssh connection (lab/ssh-proxy), with this run's own control sockets."""
    run([str(ROOT / "lab" / "ssh-proxy"), "--key"])
    return {
        "ANSIBLE_REMOTE_USER": "root",
        "ANSIBLE_SSH_ARGS": (
            f"-F {ROOT / 'lab' / 'state' / 'ssh' / 'config'} "
            f"-o ControlMaster=auto -o ControlPersist=120s -o ControlPath={workdir}/cm-%C"
        ),
    }


COMMANDS = 50


def command_costs(name: str, ssh: dict[str, str], rounds: int) -> dict[str, dict[str, float]]:
    """One shell command as the end-to-end tests run it (testinfra): `podman exec` against
    the multiplexed ssh master; median per command over the rounds, wall time and the
    CPU time of the client processes (podman, ssh) this process waited for."""
    ssh_cmd = ["ssh", *shlex.split(ssh["ANSIBLE_SSH_ARGS"]), f"root@{name}"]
    ways = {
        "podman exec": ["podman", "exec", name, "/bin/sh", "-c", "cat /etc/hostname"],
        "ssh": [*ssh_cmd, "cat /etc/hostname"],
    }
    run(ways["ssh"])  # the master, not counted
    samples: dict[str, dict[str, list[float]]] = {way: {"wall_ms": [], "cpu_ms": []} for way in ways}
    for _round in range(rounds):
        for way, argv in ways.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            for _command in range(COMMANDS):
                run(argv)
            wall = time.monotonic() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            samples[way]["wall_ms"].append(wall / COMMANDS * 1000)
            samples[way]["cpu_ms"].append(cpu / COMMANDS * 1000)
    return {way: {k: statistics.median(v) for k, v in data.items()} for way, data in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--image", default="localhost/mailstack-base:debian13")
    args = parser.parse_args()

    name = f"mailstack-bench-connection-{os.getpid()}"
    run(["podman", "run", "-d", "--name", name, "--systemd", "always", args.image, "/sbin/init"])
    workdir = Path(tempfile.mkdtemp(prefix="mailstack-bench-ssh-"))
    try:
        time.sleep(3)
        VARIANTS["ssh"] = {**VARIANTS["ssh"], **ssh_env(workdir)}
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
                connection = "ssh" if variant == "ssh" else variant
                run(["ansible-playbook", "-i", f"{name},", "-c", connection, str(PLAYBOOK)], env=env)
                if rnd:
                    times[variant].append(time.monotonic() - started)
        commands = command_costs(name, VARIANTS["ssh"], args.runs)
        result = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "runs": args.runs,
            "module_runs": MODULE_RUNS,
            "image": args.image,
            "variants": {
                variant: stats(values) | {"per_task": statistics.median(values) / MODULE_RUNS, "all": values}
                for variant, values in times.items()
            },
            "commands": commands,
        }
        reference = result["variants"][REFERENCE]["median"]
        result["ratio_to_" + REFERENCE] = {v: data["median"] / reference for v, data in result["variants"].items()}
        out = write_results("connection_overhead", result)
        for variant, data in result["variants"].items():
            print(
                f"{variant:28} median {data['median']:6.2f} s ({data['min']:.2f}-{data['max']:.2f}), "
                f"{data['per_task']:.2f} s per task"
            )
        ratios = ", ".join(f"{v} {r:.2f}x" for v, r in result["ratio_to_" + REFERENCE].items())
        print(f"time against {REFERENCE}: {ratios}  ({out.relative_to(ROOT)})")
        for way, data in commands.items():
            print(f"one command, {way:12} {data['wall_ms']:6.1f} ms wall, {data['cpu_ms']:5.1f} ms CPU of the client")
    finally:
        run(["ssh", "-O", "exit", "-o", f"ControlPath={workdir}/cm-%C", f"root@{name}"], check=False)
        run(["podman", "rm", "-f", name], check=False)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
