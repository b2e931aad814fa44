"""Check mode on the converged service, a manual drift, and its repair.

- `--check` on the converged nodes reports changed=0 and leaves every file
  under /etc of every node as it was (checksums).
- After a manual drift (a limit in main.cf, a declared alias in /etc/aliases), `--check --diff` shows the
  drift, reports the change and still changes nothing; the real run then
  repairs it, and Postfix works with the repaired settings.

The playbook is the scenario's converge playbook (site.yml with the
scenario's front web server), or site.yml against the lab.
"""

from __future__ import annotations

import os
from pathlib import Path

from nodes import REPO, group_hosts, node
from playbook_runs import playbook, recap

MAIN_CF = "/etc/postfix/main.cf"
ALIASES = "/etc/aliases"


def converge_playbook() -> Path:
    scenario = os.environ.get("MOLECULE_SCENARIO_DIRECTORY")
    if scenario and (Path(scenario) / "converge.yml").exists():
        return Path(scenario) / "converge.yml"
    return REPO / "site.yml"


def etc_checksums(host) -> dict[str, str]:
    """sha256 of every regular file under /etc (one file system)."""
    out = host.check_output("find /etc -xdev -type f -print0 | xargs -0 sha256sum")
    sums = {}
    for line in out.splitlines():
        digest, path = line.split(None, 1)
        sums[path] = digest
    return sums


def all_checksums() -> dict[str, dict[str, str]]:
    return {name: etc_checksums(node(name)) for name in group_hosts("all")}


def differences(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> list[str]:
    changes = []
    for name, sums in before.items():
        now = after[name]
        for path in sorted(set(sums) | set(now)):
            if sums.get(path) != now.get(path):
                changes.append(f"{name}:{path}")
    return changes


def test_check_mode_on_the_converged_service_changes_nothing():
    before = all_checksums()
    out = playbook(converge_playbook(), "--check")
    counters = recap(out)
    assert set(counters) >= set(group_hosts("all")), out[-3000:]
    assert {host: c["changed"] for host, c in counters.items()} == dict.fromkeys(counters, 0), out[-6000:]
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in counters.values()), out[-3000:]
    assert differences(before, all_checksums()) == []


def test_drift_is_shown_by_check_diff_changes_nothing_and_is_repaired(mail_name, mail):
    converged = etc_checksums(mail)
    limit = int(mail.check_output("postconf -h smtpd_recipient_limit"))
    # Hand edits: a limit in main.cf, and a declared alias (info: user1) redirected.
    mail.check_output(f"sed -i 's/^smtpd_recipient_limit = .*/smtpd_recipient_limit = 7/' {MAIN_CF}")
    mail.check_output(f"sed -i 's/^info:.*/info: intruder@elsewhere.example/' {ALIASES} && postalias {ALIASES}")
    drifted = etc_checksums(mail)
    assert drifted[MAIN_CF] != converged[MAIN_CF]
    assert drifted[ALIASES] != converged[ALIASES]

    out = playbook(converge_playbook(), "--check", "--diff", "--limit", mail_name, "--tags", "postfix")
    assert recap(out)[mail_name]["changed"] > 0, out[-3000:]
    assert "-smtpd_recipient_limit = 7" in out, out[-6000:]
    assert f"+smtpd_recipient_limit = {limit}" in out, out[-6000:]
    assert "-info: intruder@elsewhere.example" in out, out[-6000:]
    assert "+info: user1" in out, out[-6000:]
    assert etc_checksums(mail) == drifted, "check mode changed files"
    assert mail.check_output("postconf -h smtpd_recipient_limit") == "7"

    out = playbook(converge_playbook(), "--limit", mail_name, "--tags", "postfix")
    assert recap(out)[mail_name]["changed"] > 0, out[-3000:]
    repaired = etc_checksums(mail)
    assert repaired[MAIN_CF] == converged[MAIN_CF]
    assert repaired[ALIASES] == converged[ALIASES]
    assert mail.check_output("postconf -h smtpd_recipient_limit") == str(limit)
    assert mail.check_output(f"postalias -q info {ALIASES}") == "user1"
    # Postfix runs with the repaired configuration.
    mail.check_output("postfix status")
