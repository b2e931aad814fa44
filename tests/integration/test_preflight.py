"""The shared preflight refuses unsupported platforms before anything changes.

The hosts are the controller itself (connection local); a test action
(action_plugins/fake_platform_facts.py) gives each host the facts of another
platform. Plays run in check mode and the roles stop at their first
assertion, so nothing on the controller can change.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PLATFORMS = {
    "ubuntu": ("Ubuntu", "24", "24.04", "noble"),
    "centos7": ("CentOS", "7", "7.9", "Core"),
    "debian11": ("Debian", "11", "11.11", "bullseye"),
    "debian12": ("Debian", "12", "12.12", "bookworm"),
    "debian13": ("Debian", "13", "13.2", "trixie"),
}


def run_play(tmp_path: Path, hosts: list[str], roles: list[str], extra_vars: dict | None = None) -> tuple[int, str]:
    hostvars = {}
    for host in hosts:
        name, major, version, release = PLATFORMS[host]
        hostvars[host] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "fake_facts": {
                "distribution": name,
                "distribution_major_version": major,
                "distribution_version": version,
                "distribution_release": release,
                "virtualization_role": "host",
                "virtualization_type": "kvm",
                "fqdn": f"{host}.example.org",
            },
        }
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": hostvars}}))
    playbook = tmp_path / "play.yml"
    play = {
        "name": "Preflight",
        "hosts": "all",
        "gather_facts": False,
        "pre_tasks": [{"name": "Pretend to be another platform", "fake_platform_facts": "{{ fake_facts }}"}],
        "roles": roles,
    }
    if extra_vars:
        play["vars"] = extra_vars
    playbook.write_text(json.dumps([play]))
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".ansible" / "collections"),
        "ANSIBLE_ACTION_PLUGINS": str(Path(__file__).parent / "action_plugins"),
        "ANSIBLE_NOCOLOR": "1",
    }
    proc = subprocess.run(
        # --check: even if a role got past its checks, it could change nothing.
        ["ansible-playbook", "--check", "-i", str(inventory), str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("host", "shown"),
    [
        ("ubuntu", "host ubuntu runs Ubuntu 24.04 (noble)"),
        ("centos7", "host centos7 runs CentOS 7.9 (Core)"),
        ("debian11", "host debian11 runs Debian 11.11 (bullseye)"),
    ],
)
def test_unsupported_platform_fails_with_clear_message(tmp_path: Path, host: str, shown: str) -> None:
    rc, out = run_play(tmp_path, [host], ["listserv.mailstack.preflight"])
    assert rc != 0, out
    assert "listserv.mailstack supports Debian 12 (bookworm) and Debian 13 (trixie) only;" in out, out
    assert shown in out, out


@pytest.mark.parametrize("host", ["debian12", "debian13"])
def test_supported_platform_passes(tmp_path: Path, host: str) -> None:
    rc, out = run_play(tmp_path, [host], ["listserv.mailstack.preflight"])
    assert rc == 0, out
    assert "failed=0" in out


def test_role_stops_before_its_first_change(tmp_path: Path) -> None:
    rc, out = run_play(tmp_path, ["ubuntu"], ["listserv.mailstack.timesync"])
    assert rc != 0, out
    lines = out.splitlines()
    fatal = next(i for i, line in enumerate(lines) if line.startswith("fatal: [ubuntu]"))
    assert "preflight" in "\n".join(lines[fatal - 8 : fatal]), out
    # After the failed platform check, no task ran on the host.
    later = [line for line in lines[fatal + 1 :] if "[ubuntu]" in line]
    assert later == [], out
    assert re.search(r"^ubuntu\s+: .*changed=0 .*failed=1", out, re.M), out


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"timesync_servers": ["ntp1\nallow all"]}, '"ntp1\\nallow all"'),
        ({"timesync_servers": ["ntp.example.org iburst"]}, '"ntp.example.org iburst"'),
        ({"timesync_allow": ["0/0; port 1"]}, '"0/0; port 1"'),
        ({"timesync_source_options": "iburst\nallow all"}, '"iburst\\nallow all"'),
        ({"timesync_pools": [], "timesync_servers": []}, "has no time source"),
        ({"timesync_local_stratum": 16}, "must be 0 (off) to 15, got 16"),
        ({"timesync_clock_mode": "sometimes"}, "sometimes"),
    ],
)
def test_timesync_rejects_bad_input_by_name(tmp_path: Path, variables: dict, named: str) -> None:
    rc, out = run_play(tmp_path, ["debian13"], ["listserv.mailstack.timesync"], variables)
    assert rc != 0, out
    assert named in out, out
    # Nothing past the checks ran.
    assert "Install chrony" not in out, out


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        # Cluster nodes must share the secrets: never one generated per node.
        ({"mailman_cluster_managed": True}, "every node must use the same secrets: set mailman_rest_password"),
        (
            {
                "mailman_cluster_managed": True,
                "mailman_rest_password": "x" * 20,
                "mailman_hyperkitty_url": "https://web.example.org/hyperkitty/",
            },
            "set mailman_rest_password and mailman_archiver_key",
        ),
        # LMTP beyond loopback only for named hosts (a firewall table refuses the rest).
        ({"mailman_lmtp_host": "192.0.2.25"}, 'mailman_lmtp_host is "192.0.2.25", beyond loopback'),
        # Intervals Mailman would refuse at start-up are refused before anything is installed.
        (
            {"mailman_runner_sleep_time": "250ms"},
            'mailman_runner_sleep_time must be a Mailman interval such as 1m, 30s or 0.25s (got "250ms")',
        ),
        (
            {"mailman_retry_interval": 60},
            "mailman_retry_interval must be a Mailman interval such as 1m, 30s or 0.25s (got 60)",
        ),
        (
            {"mailman_max_recipients": 0},
            "mailman_max_recipients must be a whole number from 1 to Postfix's smtpd_recipient_limit (1000), got 0",
        ),
        (
            {"mailman_max_recipients": 500, "postfix_smtpd_recipient_limit": 100},
            "mailman_max_recipients must be a whole number from 1 to Postfix's smtpd_recipient_limit (100), got 500",
        ),
        # Not a number: the role's argument spec refuses it, naming it.
        (
            {"mailman_max_recipients": "lots"},
            "argument 'mailman_max_recipients' is of type str and we were unable to convert to int",
        ),
    ],
)
def test_mailman_cluster_settings_checked_by_name(tmp_path: Path, variables: dict, named: str) -> None:
    settings = {"mailman_site_owner": "postmaster@example.org", "mailman_domains": ["lists.example.org"], **variables}
    rc, out = run_play(tmp_path, ["debian13"], ["listserv.mailstack.mailman"], settings)
    assert rc != 0, out
    assert named in re.sub(r"\s+", " ", out), out
    # Nothing past the checks ran.
    assert "Install Mailman 3" not in out, out


# Checks of type and choice are the argument specs' (meta/argument_specs.yml), not repeated in the
# roles' preflight asserts: the spec refuses the value by name before any task of the role runs.
@pytest.mark.parametrize(
    ("role", "variables", "named"),
    [
        ("nfs_server", {"nfs_server_backend": "nfs4"}, "nfs_server_backend must be one of: kernel, ganesha, got: nfs4"),
        ("nfs_server", {"nfs_server_ports": "2049"}, "nfs_server_ports"),
        ("mailman_web", {"mailman_web_server": "lighttpd"}, "mailman_web_server must be one of: nginx, apache"),
        ("nfs_autofs_client", {"nfs_autofs_client_direct_mounts": ["/srv/data"]}, "nfs_autofs_client_direct_mounts"),
        ("nfs_autofs_client", {"nfs_autofs_client_accounts": ["list"]}, "nfs_autofs_client_accounts"),
        ("pcs_cluster", {"pcs_cluster_stonith_devices": "fence_ipmilan"}, "pcs_cluster_stonith_devices"),
    ],
)
def test_argument_specs_refuse_wrong_types_and_choices_by_name(
    tmp_path: Path, role: str, variables: dict, named: str
) -> None:
    rc, out = run_play(tmp_path, ["debian13"], [f"listserv.mailstack.{role}"], variables)
    assert rc != 0, out
    assert "Validating arguments against arg spec" in out, out
    assert named in out, out
    # The role's own tasks never started: its validation is the last task that ran.
    tasks = re.findall(r"^TASK \[(.*?)\]", out, re.M)
    assert tasks[-1].startswith(f"listserv.mailstack.{role} : Validating arguments"), tasks
