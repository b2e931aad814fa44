"""Single roles reused in a user's own playbooks, from the built and installed
collection (not the checkout).

`ansible-galaxy collection build` makes the artifact, `ansible-galaxy
collection install` puts it into a fresh collections path, and the role
READMEs' examples (tests/reuse/, equal to the READMEs by
tests/unit/test_role_readme_examples.py) run against a fresh Debian container
with only that path and a plain ansible.cfg. Each playbook runs twice: the
second run must report changed=0, and the values are read back on the node.

The playbooks: postfix alone, postfix with sasl_dovecot, postfix with mailman
and a mailman_list task of the user's own, timesync alone, and
nfs_autofs_client alone against a file server's share that is not Mailman's
(two more containers on a network of their own).

The postfix role's values are role vars here. A later role in the same play
(sasl_dovecot, mailman) changes Postfix through the postfix role's hook; the hook once
rebuilt main.cf from the variables visible to the calling role, so the role
vars were lost (postfix defaults in main.cf, changed=4 on every run, a
certificate path that did not exist and STARTTLS answering 454).
"""

from __future__ import annotations

import contextlib
import json
import os
import smtplib
import ssl
import subprocess
from pathlib import Path

import pytest
import yaml
from podman_nodes import host_recap, podman_object, systemd_container

REPO = Path(__file__).resolve().parents[2]
CONTAINER = "mailstack-it-reuse"
HOST = "mx.example.org"
# Test-only secrets of the README examples' vault variables.
EXTRA_VARS = {
    "vault_user1_password": "reuse-user1-secret",
    # crypt(3) SHA-512 of "scanner-reuse-secret".
    "vault_scanner_hash": "$6$reusetestsalt$FWQG8Z/ECnWSX5MsBNs.gETySeOt7SCrG2m/"
    "fAOJpdgjfWFE0vvWzYFWioWyvgETwVoWDZwyoytt56MrDGBFk.",
}

pytestmark = pytest.mark.needs("podman")


def on(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", "exec", CONTAINER, *argv], capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The collection built from the tracked tree and installed into a fresh path."""
    work = tmp_path_factory.mktemp("reuse")
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    subprocess.run(
        ["ansible-galaxy", "collection", "build", "--output-path", str(work), str(REPO)],
        check=True,
        capture_output=True,
        text=True,
    )
    collections = work / "collections"
    subprocess.run(
        [
            "ansible-galaxy",
            "collection",
            "install",
            "--offline",
            "--no-deps",
            # Into this path even where another copy is installed elsewhere.
            "--force",
            "-p",
            str(collections),
            str(work / f"listserv-mailstack-{version}.tar.gz"),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    assert (collections / "ansible_collections/listserv/mailstack/roles/postfix/tasks/hook.yml").is_file()
    assert not (collections / "ansible_collections/listserv/mailstack/tests").exists()
    # A user's ansible.cfg: nothing of the checkout but the lab's podman
    # connection (a faster containers.podman.podman), which is no collection.
    (work / "ansible.cfg").write_text(
        "[defaults]\n"
        f"connection_plugins = {REPO / 'lab' / 'connection_plugins'}\n"
        "interpreter_python = auto_silent\n"
        "retry_files_enabled = false\n"
        "[connection]\npipelining = true\n"
    )
    (work / "hosts.yml").write_text(
        json.dumps({"mail": {"hosts": {HOST: {"ansible_host": CONTAINER, "ansible_connection": "lab_podman"}}}})
    )
    (work / "secrets.json").write_text(json.dumps(EXTRA_VARS))
    return work


@pytest.fixture(scope="module")
def node():
    with systemd_container(CONTAINER, HOST) as name:
        yield name


def run(installed: Path, playbook: str, inventory: str = "hosts.yml", extra: dict | None = None) -> tuple[int, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ANSIBLE_") and key != "MOLECULE_INVENTORY_FILE"
    }
    env.update(
        ANSIBLE_CONFIG=str(installed / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(installed / "collections"),
        ANSIBLE_NOCOLOR="1",
    )
    proc = subprocess.run(
        [
            "ansible-playbook",
            "-i",
            str(installed / inventory),
            "-e",
            f"@{installed / 'secrets.json'}",
            *(["-e", json.dumps(extra)] if extra else []),
            str(REPO / "tests" / "reuse" / playbook),  # an absolute path stays as it is
        ],
        cwd=installed,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def twice(installed: Path, playbook: str, host: str = HOST, **options) -> str:
    """Run the playbook twice; the first run's output (the second must change nothing)."""
    returncode, first = run(installed, playbook, **options)
    assert returncode == 0, first[-5000:]
    assert host_recap(first, host)["changed"] > 0
    returncode, output = run(installed, playbook, **options)
    assert returncode == 0, output[-5000:]
    assert host_recap(output, host)["changed"] == 0, output[-5000:]
    # Nothing of the secrets in what Ansible printed.
    assert not [secret for secret in EXTRA_VARS.values() if secret in first + output]
    return first


def main_cf() -> dict[str, str]:
    out = on("postconf", "-n").stdout
    return dict(line.split(" = ", 1) for line in out.splitlines() if " = " in line)


def assert_postfix_role_vars(conf: dict[str, str]) -> None:
    """The values the README examples give the postfix role as role vars, and the certificate made for them."""
    assert conf["myhostname"] == HOST
    assert conf["message_size_limit"] == "20971520"
    assert conf["smtpd_tls_cert_file"] == f"/etc/postfix/tls/{HOST}.crt"
    assert on("test", "-s", conf["smtpd_tls_cert_file"]).returncode == 0


def test_postfix_alone_with_role_vars(installed, node):
    twice(installed, "postfix.yml")
    conf = main_cf()
    assert_postfix_role_vars(conf)
    assert conf["relay_domains"] == "example.net"
    assert on("postalias", "-q", "root", "/etc/aliases").stdout.strip() == "admin@example.org"
    assert on("id", "user1").returncode == 0


def test_postfix_role_vars_survive_sasl_dovecot_in_the_same_play(installed, node):
    twice(installed, "sasl_dovecot.yml")
    conf = main_cf()
    assert_postfix_role_vars(conf)
    assert conf["smtpd_sasl_auth_enable"] == "yes"
    # From the test runner, as a mail client would: STARTTLS, then AUTH with the account.
    address = subprocess.run(
        ["podman", "inspect", "--format", "{{ .NetworkSettings.IPAddress }}", CONTAINER],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP(address, 587, timeout=30) as smtp:
        smtp.ehlo("client.example.test")
        assert not smtp.has_extn("auth")
        smtp.starttls(context=context)
        smtp.ehlo("client.example.test")
        assert "PLAIN" in smtp.esmtp_features.get("auth", "")
        code, _text = smtp.login("user1", EXTRA_VARS["vault_user1_password"])
        assert code == 235


def test_postfix_and_mailman_with_a_list_task_of_my_own(installed, node):
    """postfix role vars, then mailman with role vars (a REST port of its own), then the user's own
    mailman_list task that finds the port in the facts the mailman role publishes."""
    twice(installed, "mailman.yml")
    assert_postfix_role_vars(main_cf())
    published = json.loads(on("cat", "/etc/ansible/facts.d/listserv_mailman.fact").stdout)
    assert published["rest"]["port"] == 8011
    assert "127.0.0.1:8011 " in on("ss", "-H", "-ltn").stdout
    # Mailman's own client judges the roster: the role's two members and the task's one.
    members = on("runuser", "-u", "list", "--", "mailman", "members", "staff@lists.example.org").stdout.split()
    assert sorted(members) == ["alice@example.org", "bob@example.org", "carol@example.org"], members
    # Postfix hands the list's mail to Mailman (the hook kept the postfix role's values above).
    transport = on("postmap", "-q", "staff@lists.example.org", "hash:/var/lib/mailman3/data/postfix_lmtp").stdout
    assert transport.startswith("lmtp:"), transport


def test_timesync_alone(installed, node):
    twice(installed, "timesync.yml")
    conf = on("cat", "/etc/chrony/chrony.conf").stdout
    assert "local stratum 8" in conf
    assert "allow 192.0.2.0/24" in conf
    assert not [line for line in conf.splitlines() if line.startswith(("pool ", "server "))], conf
    tracking = on("chronyc", "-n", "tracking").stdout
    assert "Leap status     : Normal" in tracking, tracking


def test_hook_where_the_postfix_role_never_ran_fails_and_changes_nothing(installed, node):
    """A Postfix the postfix role did not configure (here: its record removed, as on a node set up by
    hand): a role that uses the hook stops with the reason instead of rebuilding main.cf from the
    postfix role's defaults, and main.cf stays as it was. Last in this module: it removes the record."""
    record = "/etc/postfix/listserv-mailstack.postfix.json"
    assert on("rm", record).returncode == 0
    before = on("sha256sum", "/etc/postfix/main.cf", "/etc/postfix/master.cf").stdout
    playbook = installed / "sasl_dovecot_alone.yml"
    playbook.write_text(
        json.dumps([{"name": "SMTP AUTH alone", "hosts": "mail", "roles": ["listserv.mailstack.sasl_dovecot"]}])
    )
    returncode, output = run(installed, str(playbook))
    assert returncode != 0, output[-3000:]
    assert f"the postfix role has not run on {HOST}" in output, output[-3000:]
    assert host_recap(output, HOST)["failed"] == 1
    assert on("sha256sum", "/etc/postfix/main.cf", "/etc/postfix/master.cf").stdout == before


# --- nfs_autofs_client alone, against a share that is not Mailman's -----------------------------------

FILES, WEB = "files.example.org", "web.example.org"
FILES_CONTAINER, WEB_CONTAINER = "mailstack-it-reuse-files", "mailstack-it-reuse-web"


@pytest.fixture(scope="module")
def file_server_and_client(installed):
    """A file server exporting /srv/projects (the nfs_server role's ganesha backend: no NFS in the
    containers' kernel; privileged and the export on a volume, as ganesha's VFS backend needs) and a
    plain, unprivileged web host, on a network of their own where each finds the other by name."""
    (installed / "nfs-hosts.yml").write_text(
        json.dumps(
            {
                "files": {"hosts": {FILES: {"ansible_host": FILES_CONTAINER, "ansible_connection": "lab_podman"}}},
                "web": {"hosts": {WEB: {"ansible_host": WEB_CONTAINER, "ansible_connection": "lab_podman"}}},
            }
        )
    )
    with contextlib.ExitStack() as stack:
        network = stack.enter_context(podman_object("network", "mailstack-it-reuse-nfs"))
        volume = stack.enter_context(podman_object("volume", "mailstack-it-reuse-projects"))
        stack.enter_context(
            systemd_container(
                FILES_CONTAINER,
                FILES,
                f"--network={network}",
                f"--network-alias={FILES}",
                "--privileged",
                f"--volume={volume}:/srv/projects",
            )
        )
        stack.enter_context(systemd_container(WEB_CONTAINER, WEB, f"--network={network}", f"--network-alias={WEB}"))
        returncode, output = run(installed, "servers/projects_export.yml", inventory="nfs-hosts.yml")
        assert returncode == 0, output[-5000:]
        yield


def on_web(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", "exec", WEB_CONTAINER, *argv], capture_output=True, text=True, check=False)


def map_lines(path: str) -> list[str]:
    """The entries of an autofs map file on the web host (no comments, no blank lines)."""
    lines = on_web("cat", path).stdout.splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_nfs_autofs_client_alone_against_a_share_that_is_not_mailmans(installed, file_server_and_client):
    """The web container is unprivileged: it has no /dev/autofs on any machine, so the role needs
    nfs_autofs_client_without_kernel_autofs (given here as an extra var, as a lab would) and says that
    mounting on access is not in effect. Mounting over kernel NFS through autofs is the kernel
    scenario's proof (QEMU virtual machines); here the maps, the accounts and the export are judged."""
    first = twice(
        installed,
        "nfs_autofs_client.yml",
        host=WEB,
        inventory="nfs-hosts.yml",
        extra={"nfs_autofs_client_without_kernel_autofs": True},
    )
    assert "mounting on access is NOT in effect" in first, first[-3000:]
    # The maps, as automount reads them.
    assert map_lines("/etc/auto.master.d/listserv-mailstack.autofs") == ["/- /etc/auto.direct --timeout=300"]
    assert map_lines("/etc/auto.direct") == [f"/srv/projects -fstype=nfs,rw,suid,hard {FILES}:/srv/projects"]
    automount = on_web("automount", "-m").stdout
    assert f"{FILES}:/srv/projects" in automount, automount
    # The share's owner exists here with the server's ids, not Mailman's list account.
    assert on_web("id", "projects").stdout.strip().startswith("uid=2001(projects) gid=2001(projects)")
    # Over NFS, from the web host, as the share's owner: the file the server put there.
    url = f"nfs://{FILES}/srv/projects/README.txt?uid=2001&gid=2001"
    assert on_web("nfs-cat", url).stdout == "project files, not Mailman's\n"
    # autofs stays stopped (no autofs in an unprivileged container), and systemd is not degraded.
    assert on_web("systemctl", "is-active", "autofs").stdout.strip() == "inactive"
    assert on_web("systemctl", "is-system-running").stdout.strip() == "running"


def test_a_server_that_exits_after_starting_fails_with_its_own_reason(installed, file_server_and_client):
    """Another program holds the NFS port when the server starts: ganesha starts, cannot bind and
    exits, and rpcbind shows nothing but statd. The role fails, and its message carries the server's
    own last log lines, not only rpcbind's silence. Last in this module: it leaves the file server
    without a running NFS server."""
    for argv in (
        ["systemctl", "stop", "nfs-ganesha"],
        ["systemd-run", "--unit=port-squatter", "python3", "-m", "http.server", "2049"],
    ):
        done = subprocess.run(["podman", "exec", FILES_CONTAINER, *argv], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    returncode, output = run(installed, "servers/projects_export.yml", inventory="nfs-hosts.yml")
    assert returncode != 0, output[-3000:]
    assert host_recap(output, FILES)["failed"] == 1
    assert f"nfs_server: rpcbind on {FILES} does not show the pinned ports" in output, output[-3000:]
    reason = output.split("The server's last log lines:", 1)[-1]
    # systemd's and ganesha's words: the exit, and why (it could not bind its port).
    assert "Main process exited" in reason, output[-3000:]
    assert ":FATAL :Error binding" in reason, output[-3000:]
