"""No secret in what Ansible printed, even at -vvv.

The molecule wrapper (tests/molecule/test_scenarios.py) runs the scenario's
first converge at verbosity 3 and tells this test where its output goes
(MAILSTACK_MOLECULE_LOG). The test reads every secret from the nodes as
deployed, generated ones included, and the passwords of the inventory, and
looks for each in that output: the Mailman REST password, the HyperKitty
archiver key, the Django secret key, the web site administrator's password,
the mail account passwords (and, in the cluster scenario, the hacluster
password, through the inventory). Against the lab (no wrapper) there is no
such output to read and the test says so.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from nodes import group_hosts, inventory, node

LOG = os.environ.get("MAILSTACK_MOLECULE_LOG", "")
MIN_LENGTH = 8


def inventory_secrets() -> dict[str, str]:
    """Every string value of a *password* or *key* variable of any host (the inventory's secrets)."""
    found: dict[str, str] = {}

    def walk(where: str, value: object) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str) and re.search(r"password|_key$|secret", str(key)) and len(item) >= MIN_LENGTH:
                    found[f"{where}.{key}"] = item
                walk(f"{where}.{key}", item)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(f"{where}[{index}]", item)

    for host, hostvars in inventory()["_meta"]["hostvars"].items():
        walk(host, hostvars)
    return found


def node_secret(host, path: str, pattern: str) -> str | None:
    file = host.file(path)
    if not file.exists:
        return None
    found = re.search(pattern, file.content_string, re.M)
    return found.group(1) if found else None


def deployed_secrets() -> dict[str, str]:
    secrets: dict[str, str] = {}
    for name in group_hosts("mail"):
        host = node(name)
        for label, path, pattern in (
            ("REST password", "/etc/mailman3/mailman.cfg", r"^admin_pass:\s*(\S+)\s*$"),
            ("archiver key", "/etc/mailman3/mailman-hyperkitty.cfg", r"^api_key:\s*(\S+)\s*$"),
        ):
            value = node_secret(host, path, pattern)
            if value:
                secrets[f"{name} {label}"] = value
    for name in group_hosts("web"):
        host = node(name)
        for label, path, pattern in (
            ("Django secret key", "/etc/mailman3/mailman-web.py", r"^SECRET_KEY = [\"']([^\"']+)[\"']"),
            ("REST password", "/etc/mailman3/mailman-web.py", r"^MAILMAN_REST_API_PASS = [\"']([^\"']+)[\"']"),
            ("archiver key", "/etc/mailman3/mailman-web.py", r"^MAILMAN_ARCHIVER_KEY = [\"']([^\"']+)[\"']"),
            ("site administrator password", "/etc/mailman3/web-admin-password", r"^(\S+)\s*$"),
        ):
            value = node_secret(host, path, pattern)
            if value:
                secrets[f"{name} {label}"] = value
    return secrets


def test_no_secret_in_the_verbose_converge_output():
    if not LOG:
        pytest.skip("no molecule wrapper: there is no converge output to read (run through `make molecule`)")
    text = Path(LOG).read_text(errors="replace")
    # The converge really ran at -vvv: the connection's command lines show
    # ("<node> SSH: EXEC ssh ..." with ssh, "<node> RUN [...]" / "EXEC" with podman's).
    assert re.search(r"^<[^>]+> (SSH: )?(EXEC|RUN) ", text, re.M), f"no -vvv connection lines in {LOG}"
    deployed = deployed_secrets()
    # Each kind the nodes must have (the scenario deploys HyperKitty and the web UI).
    for kind in ("REST password", "archiver key", "Django secret key", "site administrator password"):
        assert any(label.endswith(kind) for label in deployed), f"no {kind} found on the nodes"
    secrets = {**inventory_secrets(), **deployed}
    assert any("password_plaintext" in label for label in secrets), "no account password in the inventory"
    leaked = sorted(label for label, value in secrets.items() if value in text)
    assert not leaked, f"secrets printed by Ansible in {LOG}: {leaked}"
