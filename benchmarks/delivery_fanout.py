# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark list delivery: one post to N local members (see docs/benchmarks.md).

Three systemd containers from the Debian 13 base image, each deployed with the collection's `postfix`
and `mailman` roles (benchmarks/delivery/deploy.yml) and N local accounts: one with the roles'
defaults, one with Mailman's own behaviour where the role changes it (its member-recipients
handler, 10 recipients per SMTP transaction: "mailman-defaults"), one with the tuned values
(--tuned). Each has two lists with the same N members:

- mailman:  a Mailman 3 list (Postfix -> LMTP -> Mailman's runners -> SMTP back to Postfix -> local)
- include:  a Postfix-native `:include:` list of the postfix role (the MTA's floor: Postfix -> local)

Each measurement sends one post over SMTP to 127.0.0.1 inside the container and times, inside the
container, until every one of the N mailboxes holds that post's Message-ID (also: until the first
does). One post to each list of each container warms Mailman up first and is not counted. Every
round measures both lists on every container, one after the other (the order alternates from round
to round), so that before/after and Mailman/Postfix are measured side by side; it also samples the
CPU Mailman's processes use while idle (what shorter runner intervals cost).

With --signing the containers are instead: "unsigned" (no DKIM milter, Mailman's ARC off), "signed"
(the role defaults of #19: rspamd signs with DKIM what Mailman sends, Mailman seals with ARC) and
"dkim-only" (rspamd, ARC off), and the ratios are against "unsigned": what signing costs a fan-out.

Run from the repository root with the venv on PATH: python3 benchmarks/delivery_fanout.py [--runs 5] [--signing]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, run, stats, write_results

HERE = Path(__file__).resolve().parent
PLAYBOOK = HERE / "delivery" / "deploy.yml"
FQDN = "mail.bench.test"
LIST_DOMAIN = "lists.bench.test"
LIST = f"fanout@{LIST_DOMAIN}"
INCLUDE = f"fanout@{FQDN}"
# Mailman's own behaviour, which the role's defaults change: Mailman's member-recipients handler
# (about five queries per member) and 10 recipients per SMTP transaction.
MAILMAN_DEFAULTS = {"mailman_bulk_member_recipients": False, "mailman_max_recipients": 10}
# Tuned values measured against the role defaults unless --tuned gives others.
TUNED = {
    "mailman_runner_sleep_time": "0.25s",
    "postfix_parameters": {"local_destination_concurrency_limit": 8},
}
# --signing: the cost of DKIM (rspamd, Postfix's milter) and ARC (Mailman) on the fan-out.
SIGNING = {
    "unsigned": {"mailman_arc": False},
    "signed": {"bench_rspamd": True},
    "dkim-only": {"bench_rspamd": True, "mailman_arc": False},
}

# Runs inside the container: send one post, wait until every mailbox has it.
DRIVER = r"""
import email.utils, json, os, smtplib, sys, threading, time
rcpt, count, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
# Where the post is inside Mailman: first and last time a file is seen in each of its queues (every 5 ms).
QUEUES = ("in", "pipeline", "out")
seen, done = {}, threading.Event()
def watch():
    while not done.is_set():
        now = time.monotonic()
        for queue in QUEUES:
            try:
                if os.listdir(f"/var/lib/mailman3/queue/{queue}"):
                    seen.setdefault(queue, [now, now])[1] = now
            except FileNotFoundError:
                pass
        time.sleep(0.005)
watcher = threading.Thread(target=watch, daemon=True)
watcher.start()
boxes = [f"/var/mail/bench{i:04d}" for i in range(count)]
offset = {}
for box in boxes:
    try:
        offset[box] = os.path.getsize(box)
    except FileNotFoundError:
        offset[box] = 0
mid = email.utils.make_msgid(domain="bench.test")
msg = (f"From: sender@{os.uname().nodename}\r\nTo: {rcpt}\r\nSubject: fan-out\r\n"
       f"Message-ID: {mid}\r\nDate: {email.utils.formatdate()}\r\n\r\nOne post to every member.\r\n")
started = time.monotonic()
with smtplib.SMTP("127.0.0.1", 25, timeout=60) as smtp:
    smtp.sendmail(f"sender@{os.uname().nodename}", [rcpt], msg)
accepted = time.monotonic() - started
pending, first, needle = set(boxes), None, mid.encode()
while pending:
    for box in list(pending):
        try:
            if os.path.getsize(box) <= offset[box]:
                continue
            with open(box, "rb") as fh:
                fh.seek(offset[box])
                if needle in fh.read():
                    pending.discard(box)
                    first = first or time.monotonic() - started
        except FileNotFoundError:
            pass
    if time.monotonic() - started > timeout:
        sys.exit(f"{len(pending)} of {count} mailboxes still without {mid} after {timeout} s")
    time.sleep(0.02)
finished = time.monotonic() - started
done.set()
queues = {q: [round(s - started, 4) for s in seen[q]] for q in QUEUES if q in seen}
print(json.dumps({"accepted": accepted, "first": first, "all": finished, "message_id": mid, "queues": queues}))
"""

# Runs inside the container: wait until Postfix's and Mailman's queues are empty.
QUIET = r"""
import os, subprocess, sys, time
deadline = time.monotonic() + float(sys.argv[1])
queues = "/var/lib/mailman3/queue"
while time.monotonic() < deadline:
    postfix = subprocess.run(["postqueue", "-j"], capture_output=True, text=True, check=True).stdout.strip()
    mailman = [f for d in ("in", "pipeline", "out", "retry", "virgin", "command")
               if os.path.isdir(os.path.join(queues, d)) for f in os.listdir(os.path.join(queues, d))]
    if not postfix and not mailman:
        sys.exit(0)
    time.sleep(0.5)
sys.exit(f"queues not empty: postfix {postfix[:300]!r}, mailman {mailman[:10]}")
"""

# Runs inside the container: CPU used by Mailman's processes (user list) while idle, in % of one CPU.
IDLE = r"""
import os, pwd, sys, time
uid = pwd.getpwnam("list").pw_uid
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    total = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid != uid:
                continue
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total
seconds = float(sys.argv[1])
before = cpu(); time.sleep(seconds); after = cpu()
used = sum(after[p] - before[p] for p in after if p in before)
print(f"{used / seconds * 100:.3f}")
"""

ACCOUNTS = r"""
import subprocess, sys
for i in range(int(sys.argv[1])):
    name = f"bench{i:04d}"
    if subprocess.run(["id", "-u", name], capture_output=True).returncode:
        subprocess.run(["useradd", "--no-create-home", "--no-user-group", "--shell", "/usr/sbin/nologin", name],
                       check=True)
"""


def exec_in(name: str, *cmd: str) -> str:
    return run(["podman", "exec", name, *cmd]).stdout


def deploy(name: str, vars_file: Path) -> float:
    env = {
        **os.environ,
        "ANSIBLE_CONNECTION_PLUGINS": str(ROOT / "lab" / "connection_plugins"),
        "ANSIBLE_PIPELINING": "1",
        "ANSIBLE_NOCOLOR": "1",
    }
    started = time.monotonic()
    cmd = ["ansible-playbook", "-i", f"{name},", "-c", "lab_podman", str(PLAYBOOK), "-e", f"@{vars_file}"]
    out = run(cmd, env=env).stdout
    took = time.monotonic() - started
    if not re.search(r"failed=0", out):
        sys.exit(f"deploy with {vars_file.name} failed:\n{out[-3000:]}")
    return took


def summarize(args, name: str, configs: dict, *, deploys: dict, idle: dict, samples: dict, baseline: str) -> None:
    info = exec_in(name, "bash", "-c", "mailman --version; postconf -h mail_version").splitlines()
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "members": args.members,
        "image": args.image,
        "versions": [line for line in info if line],
        "configs": configs,
        "deploy": {config: stats(values) for config, values in deploys.items()},
        "mailman_idle_cpu_percent": {config: stats(values) for config, values in idle.items()},
        "variants": {
            label: {key: stats([s[key] for s in values]) for key in ("accepted", "first", "all")}
            | {"all_samples": [s["all"] for s in values]}
            for label, values in samples.items()
        },
    }
    # When the post entered and left each of Mailman's queues (seconds after the SMTP submission started).
    result["mailman_stages"] = {
        label: {
            f"{queue} {edge}": stats([s["queues"].get(queue, [None, None])[i] for s in values])
            for queue in ("in", "pipeline", "out")
            for i, edge in enumerate(("entered", "left"))
        }
        | {"first mailbox": stats([s["first"] for s in values]), "all mailboxes": stats([s["all"] for s in values])}
        for label, values in samples.items()
        if label.endswith("/mailman")
    }
    median = {label: data["all"]["median"] for label, data in result["variants"].items()}
    result["ratios"] = {
        f"{config}: mailman / include": median[f"{config}/mailman"] / median[f"{config}/include"] for config in configs
    } | {
        f"{variant}: {config} / {baseline}": median[f"{config}/{variant}"] / median[f"{baseline}/{variant}"]
        for variant in ("mailman", "include")
        for config in configs
        if config != baseline
    }
    out_file = write_results("delivery_fanout_signing" if args.signing else "delivery_fanout", result)
    for label, data in result["variants"].items():
        d = data["all"]
        print(f"{label:18} all {d['median']:7.2f} s ({d['min']:.2f}-{d['max']:.2f})")
    for label, stages in result["mailman_stages"].items():
        print(f"{label:18} " + ", ".join(f"{k} {v['median']:.2f}" for k, v in stages.items() if v))
    for config, data in result["mailman_idle_cpu_percent"].items():
        print(f"{config:18} Mailman idle CPU {data['median']:.2f} % ({data['min']:.2f}-{data['max']:.2f})")
    for label, ratio in result["ratios"].items():
        print(f"{label:28} {ratio:.2f}")
    print(out_file.relative_to(ROOT))


def start(name: str, image: str, members: int, vars_file: Path) -> float:
    """A container with the accounts, deployed with the roles; returns the deployment's time."""
    podman_run = ["podman", "run", "-d", "--name", name, "--hostname", FQDN, "--privileged"]
    run([*podman_run, "--systemd", "always", image, "/sbin/init"])
    time.sleep(3)
    exec_in(name, "python3", "-c", ACCOUNTS, str(members))
    return deploy(name, vars_file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--image", default="localhost/mailstack-base:debian13")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--idle-seconds", type=float, default=20, help="how long Mailman's idle CPU is sampled")
    parser.add_argument("--tuned", type=json.loads, default=TUNED, help="JSON: role variables of the tuned set")
    parser.add_argument("--signing", action="store_true", help="compare unsigned, DKIM+ARC and DKIM-only delivery")
    args = parser.parse_args()

    if args.signing:
        configs, baseline = dict(SIGNING), "unsigned"
    else:
        configs, baseline = {"mailman-defaults": MAILMAN_DEFAULTS, "defaults": {}, "tuned": args.tuned}, "defaults"
    names = {config: f"mailstack-bench-delivery-{config}-{os.getpid()}" for config in configs}
    members = [f"bench{i:04d}@{FQDN}" for i in range(args.members)]
    samples: dict[str, list[dict]] = {f"{c}/{v}": [] for c in configs for v in ("mailman", "include")}
    idle: dict[str, list[float]] = {c: [] for c in configs}
    common = {
        "bench_members": members,
        "bench_list": LIST,
        "bench_list_domain": LIST_DOMAIN,
        "bench_rest_password": os.urandom(12).hex(),
    }
    try:
        with tempfile.TemporaryDirectory() as tmp, concurrent.futures.ThreadPoolExecutor() as pool:
            futures = {}
            for config, tuning in configs.items():
                vars_file = Path(tmp) / f"{config}.json"
                vars_file.write_text(json.dumps(common | tuning))
                futures[config] = pool.submit(start, names[config], args.image, args.members, vars_file)
            deploys = {config: [future.result()] for config, future in futures.items()}
        # Warm-up (not counted): the first post after a start pays for Mailman's imports and caches.
        for config in configs:
            for rcpt in (LIST, INCLUDE):
                exec_in(names[config], "python3", "-c", QUIET, "300")
                exec_in(names[config], "python3", "-c", DRIVER, rcpt, str(args.members), str(args.timeout))
        for rnd in range(args.runs):
            # Alternate the order of the configurations and of the lists from round to round.
            for config in list(configs) if rnd % 2 == 0 else list(configs)[::-1]:
                name = names[config]
                exec_in(name, "python3", "-c", QUIET, "300")
                idle[config].append(float(exec_in(name, "python3", "-c", IDLE, str(args.idle_seconds))))
                order = [("mailman", LIST), ("include", INCLUDE)]
                for variant, rcpt in order if rnd % 2 == 0 else order[::-1]:
                    exec_in(name, "python3", "-c", QUIET, "300")
                    sample = json.loads(
                        exec_in(name, "python3", "-c", DRIVER, rcpt, str(args.members), str(args.timeout))
                    )
                    samples[f"{config}/{variant}"].append(sample)
                    took = f"all {sample['all']:7.2f} s, first {sample['first']:.2f} s"
                    print(f"round {rnd} {config:16} {variant:8} {took}", flush=True)
        summarize(args, names[baseline], configs, deploys=deploys, idle=idle, samples=samples, baseline=baseline)
    finally:
        if not os.environ.get("BENCH_KEEP"):
            for name in names.values():
                run(["podman", "rm", "-f", "-t", "2", name], check=False)


if __name__ == "__main__":
    main()
