# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Profile where Mailman spends a post to N local members (see docs/benchmarks.md, item 4).

One systemd container from the Debian 13 base image, deployed like the delivery benchmark
(benchmarks/delivery/deploy.yml: the postfix and mailman roles, N local accounts, one Mailman
list with N members). Inside the container, `mailman shell` runs the list's posting pipeline on a
fresh post, handler by handler, timing each one, and then the out runner's recipient handling
(the bulk delivery's recipient chunking) without sending: what the pipeline runner and the out
runner spend before Postfix sees the post again. The handlers that only queue the post elsewhere
(to-outgoing, to-archive, to-usenet, to-digest) are timed too but what they queued is removed
again, and the database transaction is rolled back, so nothing is delivered or kept. One more
run under cProfile gives the top functions by cumulative time (shares, not times). When the list's
pipeline has the collection's bulk handler in place of Mailman's member-recipients, Mailman's
handler is also timed on the same post, from a fresh database session, for the ratio.

Run from the repository root with the venv on PATH:
python3 benchmarks/mailman_pipeline_profile.py [--runs 5] [--members 1000]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import tempfile
from pathlib import Path

import delivery_fanout
from _common import ROOT, run, stats, write_results

# Runs inside the container as the Mailman user, through `mailman shell -l LIST -r`.
PROFILE = r"""
import cProfile, io, json, os, pstats, time, uuid
from email import message_from_string
from mailman.config import config
from mailman.email.message import Message

QUEUES = ("out", "archive", "nntp", "digest", "virgin")


def _post(mlist):
    text = (f"From: bench0000@mail.bench.test\nTo: {mlist.posting_address}\nSubject: profile\n"
            f"Message-ID: <{uuid.uuid4().hex}@bench.test>\n\nOne post to every member.\n")
    msg = message_from_string(text, Message)
    return msg, {"listid": mlist.list_id, "original_sender": "bench0000@mail.bench.test"}


def _drain(before):
    # Remove what the handlers queued since `before` (a _queued() result).
    for name, entry in _queued() - before:
        os.unlink(os.path.join(config.QUEUE_DIR, name, entry))


def _queued():
    found = set()
    for name in QUEUES:
        directory = os.path.join(config.QUEUE_DIR, name)
        found |= {(name, e) for e in (os.listdir(directory) if os.path.isdir(directory) else ())}
    return found


def _once(mlist, pipeline, timings):
    before = _queued()
    msg, msgdata = _post(mlist)
    for handler in pipeline:
        started = time.perf_counter()
        handler.process(mlist, msg, msgdata)
        timings.setdefault(handler.name, []).append(time.perf_counter() - started)
    # What the out runner does before it talks SMTP: the delivery's recipient chunking.
    from mailman.mta.bulk import BulkDelivery
    started = time.perf_counter()
    chunks = list(BulkDelivery(int(config.mta.max_recipients)).chunkify(msgdata.get("recipients", set())))
    timings.setdefault("(out) chunkify", []).append(time.perf_counter() - started)
    config.db.abort()
    # Side by side: Mailman's own member-recipients on the same post, from a fresh session too.
    names = [handler.name for handler in pipeline]
    if "member-recipients" not in names:
        started = time.perf_counter()
        config.handlers["member-recipients"].process(mlist, msg, {})
        timings.setdefault("(for comparison) Mailman's member-recipients", []).append(time.perf_counter() - started)
        config.db.abort()
    _drain(before)
    return len(msgdata.get("recipients", ())), len(chunks)


def run(mlist, runs):
    pipeline = config.pipelines[mlist.posting_pipeline]
    timings, recipients = {}, []
    for _ in range(int(runs)):
        count, chunks = _once(mlist, pipeline, timings)
        recipients.append(count)
    # One more run under cProfile (slower: its figures are shares, not times).
    profiler = cProfile.Profile()
    profiler.enable()
    _once(mlist, pipeline, {})
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    print("PROFILE-JSON " + json.dumps({"timings": timings, "recipients": recipients, "chunks": chunks,
                                        "pipeline": mlist.posting_pipeline, "cprofile": out.getvalue()}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--image", default="localhost/mailstack-base:debian13")
    parser.add_argument("--container", help="use this running container (deployed by an earlier run) as it is")
    args = parser.parse_args()

    name = args.container or f"mailstack-bench-pipeline-{os.getpid()}"
    try:
        if not args.container:
            members = [f"bench{i:04d}@{delivery_fanout.FQDN}" for i in range(args.members)]
            with tempfile.TemporaryDirectory() as tmp:
                vars_file = Path(tmp) / "vars.json"
                vars_file.write_text(
                    json.dumps(
                        {
                            "bench_members": members,
                            "bench_list": delivery_fanout.LIST,
                            "bench_list_domain": delivery_fanout.LIST_DOMAIN,
                            "bench_rest_password": os.urandom(12).hex(),
                        }
                    )
                )
                delivery_fanout.start(name, args.image, args.members, vars_file)
        run(["podman", "exec", "-i", name, "bash", "-c", "cat > /tmp/mailstack_profile.py"], stdin=PROFILE)
        cmd = ["runuser", "-u", "list", "--", "env", "PYTHONPATH=/tmp", "mailman", "shell"]
        cmd += ["-l", delivery_fanout.LIST, "-r", "mailstack_profile.run", str(args.runs)]
        out = run(["podman", "exec", name, *cmd]).stdout
        line = next(line for line in out.splitlines() if line.startswith("PROFILE-JSON "))
        data = json.loads(line.removeprefix("PROFILE-JSON "))
        handlers = {handler: stats(values) for handler, values in data["timings"].items()}
        total = sum(h["median"] for name, h in handlers.items() if not name.startswith("(for comparison)"))
        result = {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "members": args.members,
            "runs": args.runs,
            "versions": run(["podman", "exec", name, "mailman", "--version"]).stdout.strip(),
            "pipeline": data["pipeline"],
            "recipients": data["recipients"],
            "smtp_chunks": data["chunks"],
            "handlers": handlers,
            "total_median": total,
            "cprofile_top": data["cprofile"],
        }
        stock = handlers.get("(for comparison) Mailman's member-recipients")
        bulk = handlers.get("listserv-member-recipients")
        if stock and bulk:
            result["member_recipients_ratio"] = stock["median"] / bulk["median"]
        out_file = write_results("mailman_pipeline_profile", result)
        for handler, value in sorted(handlers.items(), key=lambda item: -item[1]["median"]):
            if handler.startswith("(for comparison)"):
                continue
            share = value["median"] / total * 100
            print(f"{handler:28} {value['median'] * 1000:8.1f} ms ({share:4.1f} %)")
        print(f"{'total':28} {total * 1000:8.1f} ms, {data['recipients'][0]} recipients")
        if "member_recipients_ratio" in result:
            print(
                f"Mailman's member-recipients {stock['median'] * 1000:.1f} ms vs the bulk handler "
                f"{bulk['median'] * 1000:.1f} ms: {result['member_recipients_ratio']:.1f}x"
            )
        print(out_file.relative_to(ROOT))
    finally:
        if not args.container and not os.environ.get("BENCH_KEEP"):
            run(["podman", "rm", "-f", "-t", "2", name], check=False)


if __name__ == "__main__":
    main()
