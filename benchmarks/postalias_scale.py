# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark listserv.mailstack.postalias at scale (see docs/benchmarks.md).

Variants, measured side by side in the same rounds (round-robin, so that load from other work on the machine
hits all of them alike):

- module:       ansible-playbook with one postalias task applying N aliases to the stock /etc/aliases
- module-noop:  the same playbook again on the result (nothing to change)
- src:          the same aliases as a file: one playbook that copies it to the node and applies it with the
                module's src option (task time = copy + module); must give the same /etc/aliases as module
- src-noop:     the same playbook again
- raw:          `podman exec <c> postalias hash:/etc/aliases` on the file the module wrote (the floor)
- node-*:       the same three, timed inside the container (module = its kept AnsiballZ file run by python3),
                without ansible-playbook and podman exec costs
- lineinfile:   ansible.builtin.lineinfile loop plus newaliases handler (only at --lineinfile-sizes)
- overhead:     ansible-playbook with one ansible.builtin.ping task (fixed cost of a playbook run)

Run from the repository root with the venv on PATH: python3 benchmarks/postalias_scale.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import PROFILE_LINE, run, stamp, stats, write_results

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "postalias"
ALIASES = "/etc/aliases"
STOCK = "/root/bench/aliases.stock"
POSTFIX_INSTALL = (
    "apt-get update -qq && "
    'echo "postfix postfix/main_mailer_type select Internet Site" | debconf-set-selections && '
    "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null"
)
# Runs a command inside the container and prints its wall time (time.monotonic) in seconds.
NODE_TIMER = (
    "import subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "d = time.monotonic() - t\n"
    "sys.exit(r.stderr.decode() or r.returncode) if r.returncode else print(d)\n"
)


class Container:
    def __init__(self, name, image):
        self.name = name
        self.image = image

    def sh(self, script, check=True):
        return run(["podman", "exec", self.name, "bash", "-c", script], check=check).stdout

    def exists(self):
        return run(["podman", "container", "exists", self.name], check=False).returncode == 0

    def create(self):
        run(["podman", "run", "-d", "--name", self.name, "--privileged", "--systemd=always", self.image])
        time.sleep(3)
        self.sh(POSTFIX_INSTALL)

    def prepare(self):
        """Keep the stock alias file once, to reset to before each measured run."""
        self.sh(f"mkdir -p /root/bench && ([ -f {STOCK} ] || cp {ALIASES} {STOCK})")

    def remove(self):
        run(["podman", "rm", "-f", "-t", "2", self.name], check=False)

    def reset(self):
        """Stock /etc/aliases with an up-to-date database (not timed)."""
        self.sh(f"cp {STOCK} {ALIASES} && postalias hash:{ALIASES}")

    def node_time(self, *cmd):
        """Seconds the command takes inside the container (no podman exec cost)."""
        out = run(["podman", "exec", self.name, "python3", "-c", NODE_TIMER, *cmd]).stdout
        return float(out.strip())


def generate(size, seed):
    """Deterministic alias set: list000001 .. with 1-3 recipients each."""
    rng = random.Random(f"{seed}:{size}")  # noqa: S311 - reproducible test data, not security
    aliases = {}
    for i in range(1, size + 1):
        count = rng.choice((1, 1, 2, 3))
        aliases[f"list{i:06d}"] = [
            f"user{rng.randrange(1_000_000)}@{rng.choice(('example.org', 'example.net'))}" for _index in range(count)
        ]
    return aliases


def playbook(book, container, varsfile=None, extra_env=None, extra_vars=None):
    """Wall seconds of one ansible-playbook run, per-task seconds (profile_tasks), changed count."""
    cmd = ["ansible-playbook", "-i", f"{container.name},", "-c", "containers.podman.podman", str(PLAYBOOKS / book)]
    if varsfile:
        cmd += ["-e", f"@{varsfile}"]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    env = dict(os.environ, ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", ANSIBLE_NOCOLOR="1")
    env.update(extra_env or {})
    start = time.monotonic()
    proc = run(cmd, env=env)
    wall = time.monotonic() - start
    tasks = {}
    for line in proc.stdout.splitlines():
        match = PROFILE_LINE.match(line)
        if match:
            tasks[match["task"].strip()] = float(match["secs"])
    changed = re.search(r"changed=(\d+)", proc.stdout)
    return wall, tasks, int(changed[1]) if changed else None


def facts(container, shared):
    def first_line(cmd):
        proc = run(cmd, check=False)
        return (proc.stdout or proc.stderr).strip().splitlines()[0] if (proc.stdout or proc.stderr) else "?"

    meminfo = Path("/proc/meminfo").read_text().split("\n")[0].split()
    host_debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    node = container.sh(
        "echo $(cat /etc/debian_version) $(postconf -h mail_version)"
        " $(python3 -c 'import sys; print(sys.version.split()[0])')"
    ).split()
    return {
        "nproc": os.cpu_count(),
        "mem_gib": round(int(meminfo[1]) / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "host_debian": host_debian,
        "podman": first_line(["podman", "--version"]),
        "ansible_core": first_line(["ansible", "--version"]),
        "controller_python": sys.version.split()[0],
        "container_image": container.image,
        "container_debian": node[0],
        "postfix": node[1],
        "container_python": node[2],
        "shared_machine": shared,
    }


def fmt(stat):
    if not stat:
        return "-"
    return f"{stat['median']:.2f} s ({stat['min']:.2f}-{stat['max']:.2f})"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="alias counts for the module (default %(default)s)"
    )
    parser.add_argument(
        "--lineinfile-sizes",
        default="100",
        help="alias counts for the lineinfile loop; ~0.8 s per alias, so keep small (default %(default)s, '' = none)",
    )
    parser.add_argument("--runs", type=int, default=5, help="rounds (default %(default)s)")
    parser.add_argument("--seed", default="postalias-bench", help="seed of the generated alias sets")
    parser.add_argument("--container", default="bench-postalias")
    parser.add_argument("--image", default="localhost/mailstack-base:debian13")
    parser.add_argument("--keep", action="store_true", help="keep the container (reused when it exists)")
    parser.add_argument("--output", help="JSON result file (default benchmarks/results/postalias_scale-<stamp>.json)")
    parser.add_argument("--shared-machine", action="store_true", help="note that other work ran on the machine")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.lineinfile_sizes = [int(s) for s in args.lineinfile_sizes.split(",") if s]
    return args


class Bench:
    TASK = "Apply aliases with listserv.mailstack.postalias"
    SRC_TASKS = ("Copy the alias entries to the node", "Apply aliases with listserv.mailstack.postalias src")

    def __init__(self, args, container, tmp):
        self.args = args
        self.container = container
        self.tmp = tmp
        self.samples = {}  # (variant, size) -> {"wall": [...], "task": [...]}
        self.varsfiles, self.lifiles, self.ansiballz, self.srcfiles = {}, {}, {}, {}

    def record(self, variant, size, wall=None, task=None):
        entry = self.samples.setdefault((variant, size), {"wall": [], "task": []})
        entry["wall"].append(wall)
        entry["task"].append(task)

    def prepare(self):
        """Alias sets as extra-vars files; one kept AnsiballZ file (module + arguments) per size (not timed)."""
        container = self.container
        for size in self.args.sizes:
            self.varsfiles[size] = self.tmp / f"module-{size}.json"
            aliases = generate(size, self.args.seed)
            self.varsfiles[size].write_text(json.dumps({"bench_aliases": aliases}))
            self.srcfiles[size] = self.tmp / f"aliases-{size}.src"
            self.srcfiles[size].write_text("".join(f"{k}: {', '.join(v)}\n" for k, v in aliases.items()))
            container.reset()
            container.sh("rm -rf /root/.ansible/tmp/ansible-tmp-*")
            playbook("module.yml", container, self.varsfiles[size], {"ANSIBLE_KEEP_REMOTE_FILES": "1"})
            found = container.sh("ls -t /root/.ansible/tmp/ansible-tmp-*/AnsiballZ_postalias.py | head -1").strip()
            self.ansiballz[size] = f"/root/bench/AnsiballZ_postalias-{size}.py"
            container.sh(f"cp {found} {self.ansiballz[size]} && rm -rf /root/.ansible/tmp/ansible-tmp-*")
        for size in self.args.lineinfile_sizes:
            lines = [{"name": k, "line": f"{k}: {', '.join(v)}"} for k, v in generate(size, self.args.seed).items()]
            self.lifiles[size] = self.tmp / f"lineinfile-{size}.json"
            self.lifiles[size].write_text(json.dumps({"bench_lines": lines}))

    def module_round(self, size, first):
        container = self.container
        container.reset()
        wall, tasks, changed = playbook("module.yml", container, self.varsfiles[size])
        if changed != 1:
            sys.exit(f"module apply {size}: changed={changed}, expected 1")
        self.record("module", size, wall, tasks.get(self.TASK))
        wall, tasks, changed = playbook("module.yml", container, self.varsfiles[size])
        if changed != 0:
            sys.exit(f"module no-op {size}: changed={changed}, expected 0")
        self.record("module-noop", size, wall, tasks.get(self.TASK))
        if first:
            count = int(container.sh(f"postalias -s hash:{ALIASES} | wc -l"))
            if count < size:
                sys.exit(f"database has {count} entries, expected at least {size}")
        by_aliases = container.sh(f"sha256sum < {ALIASES}")
        # The floor: postalias on the file the module just wrote.
        start = time.monotonic()
        run(["podman", "exec", container.name, "postalias", f"hash:{ALIASES}"])
        self.record("raw", size, time.monotonic() - start)
        self.record("node-raw", size, container.node_time("postalias", f"hash:{ALIASES}"))
        self.record("node-module-noop", size, container.node_time("python3", self.ansiballz[size]))
        container.reset()
        self.record("node-module", size, container.node_time("python3", self.ansiballz[size]))
        self.src_round(size, by_aliases)

    def src_round(self, size, by_aliases):
        container = self.container
        container.reset()
        container.sh("rm -f /root/bench/aliases.src")
        for variant, want in (("src", 2), ("src-noop", 0)):
            wall, tasks, changed = playbook(
                "module_src.yml", container, extra_vars={"bench_src": str(self.srcfiles[size])}
            )
            if changed != want:
                sys.exit(f"{variant} {size}: changed={changed}, expected {want}")
            task = sum(tasks[name] for name in self.SRC_TASKS) if all(n in tasks for n in self.SRC_TASKS) else None
            self.record(variant, size, wall, task)
        if container.sh(f"sha256sum < {ALIASES}") != by_aliases:
            sys.exit(f"src {size}: /etc/aliases differs from the one the aliases option gave")

    def rounds(self):
        for rnd in range(1, self.args.runs + 1):
            print(f"round {rnd}/{self.args.runs}", flush=True)
            wall, tasks, _output = playbook("overhead.yml", self.container)
            self.record("overhead", 0, wall, tasks.get("Ping"))
            for size in self.args.sizes:
                self.module_round(size, rnd == 1)
            for size in self.args.lineinfile_sizes:
                self.container.reset()
                wall, tasks, _output = playbook("lineinfile.yml", self.container, self.lifiles[size])
                self.record("lineinfile", size, wall, tasks.get("Apply aliases with a lineinfile loop"))


def save(args, machine, samples):
    summary = {f"{v}/{s}": {"wall": stats(e["wall"]), "task": stats(e["task"])} for (v, s), e in samples.items()}
    print(report_markdown(summary, args.sizes, args.lineinfile_sizes, machine, args.runs))
    result = {
        "benchmark": "postalias_scale",
        "date": stamp(),
        "runs": args.runs,
        "seed": args.seed,
        "sizes": args.sizes,
        "lineinfile_sizes": args.lineinfile_sizes,
        "machine": machine,
        "summary": summary,
        "samples": {
            f"{v}/{s}": {k: [None if x is None else round(x, 4) for x in xs] for k, xs in e.items()}
            for (v, s), e in samples.items()
        },
    }
    out = write_results("postalias_scale", result, args.output, indent=1)
    print(f"\nresults written to {out}")


def main():
    args = parse_args()
    for tool in ("podman", "ansible-playbook"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found on PATH")
    container = Container(args.container, args.image)
    created = not container.exists()
    tmp = Path(tempfile.mkdtemp(prefix="postalias-bench-"))
    try:
        if created:
            print(f"creating container {container.name} from {container.image} ...", flush=True)
            container.create()
        container.prepare()
        machine = facts(container, args.shared_machine)
        bench = Bench(args, container, tmp)
        bench.prepare()
        bench.rounds()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if created and not args.keep:
            container.remove()
    save(args, machine, bench.samples)


def med(summary, key, field="wall"):
    entry = summary.get(key)
    return entry[field]["median"] if entry and entry[field] else None


def report_markdown(summary, sizes, li_sizes, machine, runs):
    out = [
        f"Machine: {machine['nproc']} CPUs, {machine['mem_gib']} GiB, kernel {machine['kernel']}, "
        f"{machine['ansible_core']}, {machine['podman']}, Postfix {machine['postfix']} "
        f"(Debian {machine['container_debian']} container)"
        f"{'; shared with other work' if machine['shared_machine'] else ''}. Median of {runs} runs (min-max).",
        "",
        "| variant | aliases | wall (playbook / podman exec) | task (profile_tasks) | on the node |",
        "|---|---:|---:|---:|---:|",
    ]
    out.append(
        f"| ansible-playbook, one ping task | - | {fmt(summary['overhead/0']['wall'])} | "
        f"{fmt(summary['overhead/0']['task'])} | - |"
    )
    for size in sizes:
        for variant, node, label in (
            ("module", "node-module", "postalias module, apply"),
            ("module-noop", "node-module-noop", "postalias module, no-op re-run"),
            ("src", None, "copy + postalias module `src`, apply"),
            ("src-noop", None, "copy + postalias module `src`, no-op re-run"),
            ("raw", "node-raw", "raw `postalias` (floor)"),
        ):
            entry = summary[f"{variant}/{size}"]
            out.append(
                f"| {label} | {size:,} | {fmt(entry['wall'])} | {fmt(entry['task'])} | "
                f"{fmt(summary[f'{node}/{size}']['wall']) if node else '-'} |"
            )
    for size in li_sizes:
        entry = summary[f"lineinfile/{size}"]
        out.append(f"| lineinfile loop + newaliases | {size:,} | {fmt(entry['wall'])} | {fmt(entry['task'])} | - |")

    out += ["", "| ratio (medians, same rounds) | aliases | value |", "|---|---:|---:|"]
    for size in sizes:
        mod, raw = med(summary, f"module/{size}"), med(summary, f"raw/{size}")
        out.append(f"| module playbook / raw postalias (podman exec) | {size:,} | {mod / raw:.1f}x |")
        nmod, nraw = med(summary, f"node-module/{size}"), med(summary, f"node-raw/{size}")
        out.append(f"| module on node / postalias on node | {size:,} | {nmod / nraw:.1f}x |")
        src = med(summary, f"src/{size}")
        out.append(f"| copy + module `src` playbook / raw postalias (podman exec) | {size:,} | {src / raw:.1f}x |")
        out.append(f"| module `aliases` playbook / copy + module `src` playbook | {size:,} | {mod / src:.2f}x |")
        srcnoop, modnoop = med(summary, f"src-noop/{size}"), med(summary, f"module-noop/{size}")
        out.append(f"| no-op: module `aliases` / copy + module `src` | {size:,} | {modnoop / srcnoop:.2f}x |")
    over = med(summary, "overhead/0")
    for lsize in li_sizes:
        li = med(summary, f"lineinfile/{lsize}")
        per_alias = (li - over) / lsize
        for size in sizes:
            mod = med(summary, f"module/{size}")
            if size == lsize:
                out.append(f"| lineinfile loop / module playbook (measured) | {size:,} | {li / mod:.0f}x |")
            else:
                est = over + per_alias * size
                out.append(
                    f"| lineinfile loop / module playbook (EXTRAPOLATED from {lsize:,}: "
                    f"{over:.1f} s + {per_alias:.3f} s/alias = {est:,.0f} s) | {size:,} | ~{est / mod:.0f}x |"
                )
    return "\n".join(out)


if __name__ == "__main__":
    main()
