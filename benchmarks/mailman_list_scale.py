# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark listserv.mailstack.mailman_list with a large roster (see docs/benchmarks.md).

One container from the Debian 13 base image with Mailman 3 (the package's own configuration, REST on
loopback). Variants, side by side in round-robin rounds:

- module:       ansible-playbook (lab_podman connection) with one mailman_list task creating a list with
                N members (a new list each round)
- module-noop:  the same playbook again (nothing to change)
- cli:          `mailman create` then `mailman addmembers FILE` for a new list (the obvious alternative),
                each through podman exec
- cli-node:     the same two commands timed inside the container (no podman exec cost)
- rest-roster-*: inside the container, the one REST call of the no-op that grows with the roster
                (`GET .../roster/member`, all N members), to split the no-op between Mailman and the module:
                rest-roster-all with every field (what the module asked for before), rest-roster-module with
                the fields the module asks for now (email, member_id), rest-roster-mode with delivery_mode too
                (asked for when a wanted member sets one)

Run from the repository root with the venv on PATH: python3 benchmarks/mailman_list_scale.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from _common import PROFILE_LINE, ROOT, run, stats, write_results

HERE = Path(__file__).resolve().parent
PLAYBOOK = HERE / "mailman_list" / "apply.yml"
MEMBERS = "/var/lib/mailman3/members.txt"
INSTALL = (
    "apt-get update -qq && "
    'echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections && '
    "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postfix mailman3 >/dev/null && "
    "systemctl restart mailman3"
)
NODE_TIMER = (
    "import subprocess, sys, time\n"
    "t = time.monotonic()\n"
    "for cmd in sys.argv[1:]:\n"
    "    r = subprocess.run(cmd.split(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "    r.returncode and sys.exit(r.stderr.decode() or r.returncode)\n"
    "print(time.monotonic() - t)\n"
)


# Times one GET of a list's member roster inside the container (argv: credentials, list id, query);
# prints seconds and the member count.
ROSTER_TIMER = (
    "import base64, json, sys, time, urllib.request\n"
    "req = urllib.request.Request(f'http://127.0.0.1:8001/3.1/lists/{sys.argv[2]}/roster/member{sys.argv[3]}')\n"
    "req.add_header('Authorization', 'Basic ' + base64.b64encode(sys.argv[1].encode()).decode())\n"
    "t = time.monotonic()\n"
    "body = json.load(urllib.request.urlopen(req, timeout=120))\n"
    "print(time.monotonic() - t, len(body.get('entries', [])))\n"
)
ROSTER_QUERIES = {
    "rest-roster-all": "",
    "rest-roster-module": "?fields=email&fields=member_id",
    "rest-roster-mode": "?fields=email&fields=member_id&fields=delivery_mode",
}


def start(name: str, image: str, members: list[str]) -> str:
    """The container with Mailman running and the member file in place; returns the REST password."""
    run(["podman", "run", "-d", "--name", name, "--systemd", "always", image, "/sbin/init"])
    time.sleep(3)
    run(["podman", "exec", name, "bash", "-c", INSTALL])
    config = run(["podman", "exec", name, "cat", "/etc/mailman3/mailman.cfg"]).stdout
    password = re.search(r"^admin_pass:\s*(\S+)", config, re.M)[1]
    # The REST API answers once the runners are up.
    wait = (
        "import base64, sys, time, urllib.request\n"
        "req = urllib.request.Request('http://127.0.0.1:8001/3.1/system/versions')\n"
        "req.add_header('Authorization', 'Basic ' + base64.b64encode(sys.argv[1].encode()).decode())\n"
        "for _ in range(60):\n"
        "    try:\n"
        "        urllib.request.urlopen(req, timeout=5)\n"
        "        sys.exit(0)\n"
        "    except OSError:\n"
        "        time.sleep(1)\n"
        "sys.exit('REST API not up')\n"
    )
    run(["podman", "exec", name, "python3", "-c", wait, f"restadmin:{password}"])
    run(["podman", "exec", "-i", name, "bash", "-c", f"cat > {MEMBERS}"], stdin="\n".join(members) + "\n")
    run(["podman", "exec", name, "chown", "list:list", MEMBERS])
    return password


def mailman(name: str, *args: str) -> str:
    return run(["podman", "exec", name, "runuser", "-u", "list", "--", "mailman", *args]).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--image", default="localhost/mailstack-base:debian13")
    args = parser.parse_args()

    name = f"mailstack-bench-mailman-{os.getpid()}"
    members = [f"member{i:05d}@example.org" for i in range(args.members)]
    try:
        password = start(name, args.image, members)
        env = {
            **os.environ,
            "ANSIBLE_CONNECTION_PLUGINS": str(ROOT / "lab" / "connection_plugins"),
            "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
            "ANSIBLE_NOCOLOR": "1",
        }
        times: dict[str, list[float]] = {
            "module": [],
            "module-task": [],
            "module-noop": [],
            "module-noop-task": [],
            "cli": [],
            "cli-node": [],
            **{label: [] for label in ROSTER_QUERIES},
        }
        with tempfile.TemporaryDirectory() as tmp:
            for rnd in range(args.runs):
                vars_file = Path(tmp) / "vars.json"
                mlist = f"bench{rnd}@lists.example.org"
                vars_file.write_text(
                    json.dumps({"bench_rest_password": password, "bench_list": mlist, "bench_members": members})
                )
                cmd = ["ansible-playbook", "-i", f"{name},", "-c", "lab_podman", str(PLAYBOOK), "-e", f"@{vars_file}"]
                for label, want in (("module", "1"), ("module-noop", "0")):
                    started = time.monotonic()
                    out = run(cmd, env=env).stdout
                    times[label].append(time.monotonic() - started)
                    changed = re.search(r"changed=(\d+)", out)
                    if not changed or changed[1] != want:
                        sys.exit(f"{label}: expected changed={want}:\n{out[-2000:]}")
                    task = [float(m["secs"]) for m in map(PROFILE_LINE.match, out.splitlines()) if m]
                    times[f"{label}-task"].append(max(task))
                list_id = mlist.replace("@", ".")
                for label, query in ROSTER_QUERIES.items():
                    timer = ["podman", "exec", name, "python3", "-c", ROSTER_TIMER, f"restadmin:{password}", list_id]
                    seconds, count = run([*timer, query]).stdout.split()
                    if int(count) != args.members:
                        sys.exit(f"roster of {mlist}: {count} members, not {args.members}")
                    times[label].append(float(seconds))
                cli_list = f"cli{rnd}@lists.example.org"
                started = time.monotonic()
                mailman(name, "create", cli_list)
                mailman(name, "addmembers", MEMBERS, cli_list)
                times["cli"].append(time.monotonic() - started)
                node_list = f"node{rnd}@lists.example.org"
                out = run(
                    [
                        "podman",
                        "exec",
                        name,
                        "runuser",
                        "-u",
                        "list",
                        "--",
                        "python3",
                        "-c",
                        NODE_TIMER,
                        f"mailman create {node_list}",
                        f"mailman addmembers {MEMBERS} {node_list}",
                    ]
                ).stdout
                times["cli-node"].append(float(out.strip()))
                for checked in (mlist, cli_list, node_list):
                    count = len(mailman(name, "members", checked).splitlines())
                    if count != args.members:
                        sys.exit(f"{checked} has {count} members, not {args.members}")
        result = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "members": args.members,
            "image": args.image,
            "mailman": run(["podman", "exec", name, "mailman", "--version"]).stdout.strip(),
            "variants": {label: stats(values) | {"all": values} for label, values in times.items()},
        }
        result["ratio_module_to_cli"] = result["variants"]["module"]["median"] / result["variants"]["cli"]["median"]
        out_file = write_results("mailman_list_scale", result)
        for label, data in result["variants"].items():
            print(f"{label:18} median {data['median']:7.2f} s ({data['min']:.2f}-{data['max']:.2f})")
        print(f"module / cli = {result['ratio_module_to_cli']:.2f}  ({out_file.relative_to(ROOT)})")
    finally:
        run(["podman", "rm", "-f", "-t", "2", name], check=False)


if __name__ == "__main__":
    main()
