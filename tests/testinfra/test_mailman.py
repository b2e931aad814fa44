"""Mailman 3 core (role mailman, module mailman_list; seed M1-M9): list mail
goes web node --SMTP--> Postfix --LMTP--> Mailman --SMTP--> Postfix --> the
members' mailboxes, and the e-mail command addresses answer."""

from __future__ import annotations

import json
import os
import subprocess
import time

from nodes import REPO, inventory_file
from smtp import as_member, smtp, token, wait_for_mail

MAIL = "mail.example.test"
USER1, USER2, USER3 = (f"user{number}@{MAIL}" for number in (1, 2, 3))
LIST = "team@lists.example.test"
LIST_ID = "team.lists.example.test"

# Runs on the mail node: one REST call with the credentials of mailman.cfg.
REST = r"""
import base64, configparser, json, sys, urllib.request, urllib.error
cfg = configparser.ConfigParser(interpolation=None)
cfg.read("/etc/mailman3/mailman.cfg")
web = cfg["webservice"]
method, path, body = sys.argv[1], sys.argv[2], sys.argv[3]
url = "http://%s:%s/3.1%s" % (web["hostname"], web["port"], path)
req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
credentials = ("%s:%s" % (web["admin_user"], web["admin_pass"])).encode()
req.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
if body:
    req.add_header("Content-Type", "application/json")
try:
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
        print(json.dumps({"status": r.status, "body": json.loads(text) if text else None}))
except urllib.error.HTTPError as e:
    print(json.dumps({"status": e.code, "body": e.read().decode()}))
"""


def rest(node, method: str, path: str, body: dict | None = None) -> dict:
    out = node.check_output("python3 -c %s %s %s %s", REST, method, path, json.dumps(body) if body else "")
    return json.loads(out)


def messages_with(node, mailbox: str, marker: str) -> list[str]:
    """The messages of an mbox that contain marker."""
    box = node.file(mailbox)
    if not box.exists:
        return []
    return [m for m in box.content_string.split("\nFrom ") if marker in m]


def run_module(module: str, args: dict, host: str) -> dict:
    """Run one of the collection's modules on `host` with ansible, as an admin would."""
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".ansible" / "collections"), "ANSIBLE_NOCOLOR": "1"}
    env.pop("ANSIBLE_CONFIG", None)
    proc = subprocess.run(
        ["ansible", "-i", inventory_file(), host, "-m", module, "-a", json.dumps(args), "-o"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.split("=>", 1)[1])


def test_mailman_running_with_lmtp_on_loopback(mail):
    assert mail.service("mailman3").is_running
    assert mail.service("mailman3").is_enabled
    listening = mail.check_output("ss -H -ltn")
    # The lab opens the REST API to the web node (a firewall table refuses
    # everybody else: test_mailman_web.py); LMTP stays on loopback.
    assert "0.0.0.0:8001" in listening, listening
    assert "127.0.0.1:8024" in listening, listening
    assert ":80 " not in listening and ":443 " not in listening, "no web server on the mail node"
    assert rest(mail, "GET", "/system/versions")["status"] == 200


def test_mailman_start_flushed_postfix_queue(mail):
    """Each start of mailman3 pulls in the flush unit, which ran and succeeded once Mailman's LMTP
    server answered (the fault suite shows that it delivers what Postfix deferred)."""
    wants = mail.check_output("systemctl show -p Wants --value mailman3")
    assert "listserv-mailstack-mailman-flush.service" in wants.split(), wants
    unit = "listserv-mailstack-mailman-flush"
    shown = mail.check_output(f"systemctl show -p Result -p ExecMainStatus -p InactiveExitTimestampMonotonic {unit}")
    assert "Result=success" in shown and "ExecMainStatus=0" in shown, shown
    assert "InactiveExitTimestampMonotonic=0" not in shown.split(), f"{unit} never ran: {shown}"
    log = mail.check_output(f"journalctl --no-pager -u {unit}")
    assert "mailman-flush-postfix-queue: " in log, log


def test_posting_pipeline_runs_the_plugins_handlers(mail):
    """The plugin's duplicate check comes first, and its bulk member-recipients handler
    stands in for Mailman's (every list post of this suite goes through it)."""
    out = mail.check_output("runuser -u list -- mailman shell -l %s -r listserv_mailstack_mailman.show_pipeline", LIST)
    names = out.strip().splitlines()[-1].split(":", 1)[1].split()
    assert names[0] == "listserv-duplicate-posts", names
    assert "listserv-member-recipients" in names, names
    assert "member-recipients" not in names, names
    assert names[-1] == "to-outgoing", names


def test_runtime_directory_recreated_at_boot(mail):
    conf = mail.file("/etc/tmpfiles.d/mailman3.conf").content_string
    assert "/run/mailman3" in conf
    mail.check_output("systemd-tmpfiles --create /etc/tmpfiles.d/mailman3.conf")
    run_dir = mail.file("/run/mailman3")
    assert run_dir.is_directory and run_dir.user == "list"


def test_site_list_and_lists_exist(mail):
    lists = {entry["fqdn_listname"] for entry in rest(mail, "GET", "/lists")["body"]["entries"]}
    assert {"mailman@lists.example.test", LIST, "announce@lists.example.test"} <= lists
    site_owner = mail.check_output("runuser -u list -- mailman conf -s mailman -k site_owner")
    assert site_owner == "user1@mail.example.test"


def test_archive_policy_private(mail):
    config = rest(mail, "GET", f"/lists/{LIST_ID}/config")["body"]
    assert config["archive_policy"] == "private"


def test_postfix_rejects_unknown_list_addresses(web):
    reply = smtp(web, MAIL, ["no-such-list@lists.example.test", LIST])
    assert reply["rcpt"]["no-such-list@lists.example.test"][0] == 550, reply
    assert reply["rcpt"][LIST][0] == 250, reply


def test_member_post_reaches_every_member(web, mail):
    marker = token()
    reply = smtp(web, MAIL, [LIST], sender=USER1, body=marker, subject=f"post {marker}", **as_member(USER1))
    assert reply["data"][0] == 250, reply
    for user in ("user1", "user2", "user3"):
        box = wait_for_mail(mail, f"/var/mail/{user}", marker)
        assert f"List-Id: <{LIST_ID}>" in box or "List-Id: Team <team.lists.example.test>" in box


def test_a_post_sent_again_goes_out_once(web, mail):
    """Same Message-ID twice (a sender that resends after a lost "250"): the
    role's Mailman plugin discards the second copy, a new id goes out."""
    marker = token()
    message_id = {"Message-ID": f"<{marker}@web.example.test>"}
    for _attempt in range(2):
        reply = smtp(web, MAIL, [LIST], sender=USER1, body=marker, headers=message_id, **as_member(USER1))
        assert reply["data"][0] == 250, reply
    later = token()
    smtp(web, MAIL, [LIST], sender=USER1, body=later, headers={"Message-ID": f"<{later}@w>"}, **as_member(USER1))
    # The later post arrived, so the second copy went through Mailman before it.
    wait_for_mail(mail, "/var/mail/user2", later)
    assert len(messages_with(mail, "/var/mail/user2", marker)) == 1
    log = mail.check_output(
        "grep -c %s /var/log/mailman3/mailman.log || true", f"{marker}@web.example.test>: duplicate"
    )
    assert log.strip() == "1", "Mailman did not log the discarded copy"


def test_nonmember_post_held_then_accepted_with_sender(web, mail, mail_names):
    sender = f"guest-{token()[-8:]}@web.example.test"
    first = token()
    smtp(web, MAIL, [LIST], sender=sender, body=first, subject="held one")
    deadline = time.monotonic() + 60
    while True:
        held = rest(mail, "GET", f"/lists/{LIST_ID}/held")["body"].get("entries", [])
        if any(h["sender"] == sender for h in held):
            break
        assert time.monotonic() < deadline, f"no held message from {sender}: {held}"
        time.sleep(1)
    assert not messages_with(mail, "/var/mail/user2", first), "a non-member post was delivered unmoderated"

    result = run_module(
        "listserv.mailstack.mailman_list",
        {"name": LIST, "held_messages": [{"sender": sender, "action": "accept", "accept_sender": True}]},
        host=mail_names[0],
    )
    assert result["changed"] is True, result
    wait_for_mail(mail, "/var/mail/user2", first)

    second = token()
    smtp(web, MAIL, [LIST], sender=sender, body=second, subject="passes now")
    wait_for_mail(mail, "/var/mail/user2", second)


def test_request_address_answers_help(web, mail):
    marker = token()
    smtp(web, MAIL, ["team-request@lists.example.test"], sender=USER2, body="help", subject=marker, **as_member(USER2))
    box = wait_for_mail(mail, "/var/mail/user2", "team-request@lists.example.test")
    assert "help" in box.lower()


def test_join_and_leave_send_confirmations(web, mail):
    # root has no mail password: it asks from the mail node itself, as a local user does.
    mail.run_expect([0], "printf 'Subject: join\n\n' | sendmail -f root@mail.example.test team-join@lists.example.test")
    join = wait_for_mail(mail, "/var/mail/root", "team-confirm+")
    assert "team-confirm+" in join
    smtp(web, MAIL, ["team-leave@lists.example.test"], sender=USER3, body="", subject="leave", **as_member(USER3))
    wait_for_mail(mail, "/var/mail/user3", "team-confirm+")


def test_owner_addresses_deliver(web, mail):
    list_owner = token()
    site_owner = token()
    smtp(web, MAIL, ["team-owner@lists.example.test"], sender=USER2, body=list_owner, **as_member(USER2))
    smtp(web, MAIL, ["mailman-owner@lists.example.test"], sender=USER2, body=site_owner, **as_member(USER2))
    wait_for_mail(mail, "/var/mail/user1", list_owner)
    wait_for_mail(mail, "/var/mail/user1", site_owner)


def test_moderated_list_holds_subscription(mail):
    address = f"applicant-{token()[-8:]}@mail.example.test"
    reply = rest(
        mail,
        "POST",
        "/members",
        {
            "list_id": "announce.lists.example.test",
            "subscriber": address,
            "pre_verified": True,
            "pre_confirmed": True,
        },
    )
    assert reply["status"] == 202, reply
    requests = rest(mail, "GET", "/lists/announce.lists.example.test/requests")["body"].get("entries", [])
    assert any(r.get("email") == address and r.get("token_owner") == "moderator" for r in requests), requests


def test_clear_locks_playbook_removes_only_stale_locks(mail):
    locks = "/var/lib/mailman3/locks"
    held_before = mail.check_output(f"ls {locks}").splitlines()
    assert any(name.startswith("master.lck|") for name in held_before), held_before
    # a claim of a process that is gone, linked as its lock file (seed M18)
    claim = f"{locks}/stale.lck|mail.example.test|999999|42"
    mail.check_output("touch %s && ln -f %s %s", claim, claim, f"{locks}/stale.lck")
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".ansible" / "collections"), "ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run(
        ["ansible-playbook", "-i", inventory_file(), str(REPO / "playbooks" / "mailman_clear_locks.yml")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = mail.check_output(f"ls {locks}").splitlines()
    assert "stale.lck" not in after and not any(name.startswith("stale.lck|") for name in after), after
    # the running master's lock is untouched
    assert [n for n in held_before if n.startswith("master.lck")] == [n for n in after if n.startswith("master.lck")]
    assert mail.service("mailman3").is_running


def test_lists_mitigate_dmarc_by_default(mail):
    """The role's default (mailman_dmarc_mitigate_action): posts from domains
    that publish p=quarantine/reject go out with the list's From."""
    # Debian 12's Mailman 3.3.8 shunts posts when it cannot download the public
    # suffix list, so the role's default there is no_mitigation (roles/mailman/README.md).
    wanted = "munge_from" if int(mail.system_info.release.split(".")[0]) >= 13 else "no_mitigation"
    for fqdn in ("team.lists.example.test", "mailman.lists.example.test"):
        config = rest(mail, "GET", f"/lists/{fqdn}/config")["body"]
        assert config["dmarc_mitigate_action"] == wanted, (fqdn, config["dmarc_mitigate_action"])
        assert config["dmarc_mitigate_unconditionally"] is False
