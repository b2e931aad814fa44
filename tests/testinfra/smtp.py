"""A real SMTP client for the end-to-end tests, run on a node with its own
python3 (smtplib), so that sessions come from that node's address.

`smtp(node, server, ...)` opens one session and returns every server reply as
plain data:

    {"ehlo": [code, text], "starttls": [code, text] | None,
     "mail": [code, text], "rcpt": {address: [code, text]}, "data": [code, text] | None}
"""

from __future__ import annotations

import email.utils
import json
import time
import uuid

import pytest
from nodes import inventory

CLIENT = r"""
import json, smtplib, ssl, sys
spec = json.loads(sys.argv[1])
out = {"starttls": None, "data": None, "rcpt": {}, "auth": None}
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if spec.get("tls"):
    s = smtplib.SMTP_SSL(spec["server"], spec["port"], local_hostname=spec["helo"], timeout=60, context=ctx)
else:
    s = smtplib.SMTP(spec["server"], spec.get("port", 25), local_hostname=spec["helo"], timeout=60)
out["ehlo"] = list(s.ehlo(spec["helo"]))
out["features"] = sorted(s.esmtp_features)
if spec.get("starttls"):
    out["starttls"] = list(s.starttls(context=ctx))
    s.ehlo(spec["helo"])
    out["features_tls"] = sorted(s.esmtp_features)
if spec.get("auth"):
    try:
        s.user, s.password = spec["auth"]["user"], spec["auth"]["password"]
        mech = spec["auth"].get("mechanism", "PLAIN").upper()
        method = {"PLAIN": s.auth_plain, "LOGIN": s.auth_login}[mech]
        out["auth"] = list(s.auth(mech, method, initial_response_ok=(mech == "PLAIN")))
    except smtplib.SMTPException as exc:
        out["auth"] = [getattr(exc, "smtp_code", -1), str(getattr(exc, "smtp_error", exc))]
options = ["SIZE=%d" % spec["size"]] if spec.get("size") else []
out["mail"] = list(s.mail(spec["sender"], options))
accepted = 0
for rcpt in spec["rcpt"]:
    reply = s.rcpt(rcpt)
    out["rcpt"][rcpt] = list(reply)
    accepted += reply[0] in (250, 251)
if accepted and out["mail"][0] == 250 and spec.get("body") is not None:
    out["data"] = list(s.data(spec["body"].encode()))
else:
    s.rset()
s.quit()
print(json.dumps(out, default=lambda b: b.decode(errors="replace")))
"""


def smtp(
    node,
    server: str,
    rcpt: list[str],
    *,
    sender: str = "tester@web.example.test",
    body: str | None = None,
    subject: str = "test",
    port: int = 25,
    size: int | None = None,
    starttls: bool = False,
    tls: bool = False,
    auth: dict | None = None,
    helo: str = "web.example.test",
    headers: dict | None = None,
) -> dict:
    """One SMTP session from `node` to `server`; returns the replies. `tls`:
    implicit TLS from the first byte (port 465), `starttls`: STARTTLS first."""
    if body is not None:
        # As a mail client writes it: Date and Message-ID unless the test sets
        # its own (a server that adds them later breaks signatures made before).
        given = {name.lower() for name in headers or {}}
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        if "date" not in given:
            extra += f"Date: {email.utils.formatdate(localtime=False)}\r\n"
        if "message-id" not in given:
            extra += f"Message-ID: {email.utils.make_msgid(domain=helo)}\r\n"
        body = f"From: {sender}\r\nTo: {', '.join(rcpt)}\r\nSubject: {subject}\r\n{extra}\r\n{body}\r\n"
    spec = {
        "server": server,
        "port": port,
        "helo": helo,
        "sender": sender,
        "rcpt": rcpt,
        "body": body,
        "size": size,
        "starttls": starttls,
        "tls": tls,
        "auth": auth,
    }
    out = node.check_output("python3 -c %s %s", CLIENT, json.dumps(spec))
    return json.loads(out)


BURST_CLIENT = r"""
import json, smtplib, ssl, sys, time
spec = json.loads(sys.argv[1])

def connect():
    s = smtplib.SMTP(spec["server"], spec.get("port", 25), local_hostname=spec["helo"], timeout=30)
    s.ehlo(spec["helo"])
    if spec.get("auth"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo(spec["helo"])
        s.login(spec["auth"]["user"], spec["auth"]["password"])
    return s

# Like a sending MTA: a message counts as sent when the server said 250 to
# its DATA; on a lost connection or a temporary failure the same message is
# sent again on a new connection (for up to `retry_for` seconds).
codes, reconnects, conn = [], 0, None
for marker in spec["markers"]:
    body = (f"From: {spec['sender']}\r\nTo: {', '.join(spec['rcpt'])}\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@{spec['helo']}>\r\n\r\nbody {marker}\r\n").encode()
    deadline = time.monotonic() + spec["retry_for"]
    while True:
        try:
            if conn is None:
                conn = connect()
            conn.sendmail(spec["sender"], spec["rcpt"], body)
            codes.append(250)
            time.sleep(spec["pause"])
            break
        except (smtplib.SMTPServerDisconnected, ConnectionError, OSError, smtplib.SMTPResponseException,
                smtplib.SMTPRecipientsRefused) as exc:
            code = getattr(exc, "smtp_code", None)
            if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused):
                code = min(c for c, _message in exc.recipients.values())
            if code is not None and code >= 500:
                codes.append(code)
                break
            try:
                conn.close()
            except Exception:
                pass
            conn = None
            if time.monotonic() > deadline:
                codes.append(code or -1)
                break
            reconnects += 1
            time.sleep(0.5)
if conn is not None:
    try:
        conn.quit()
    except smtplib.SMTPException:
        pass
print(json.dumps({"codes": codes, "reconnects": reconnects}))
"""


def burst(
    node,
    server: str,
    rcpt: list[str],
    count: int,
    *,
    sender: str = "tester@web.example.test",
    helo: str = "web.example.test",
    retry_for: float = 0,
    pause: float = 0,
    stats: dict | None = None,
    port: int = 25,
    auth: dict | None = None,
    starttls: bool = False,
) -> list[str]:
    """`count` messages over SMTP from `node`, on one connection while it
    lasts, each with its own Message-ID <marker@helo> and the marker as
    subject; returns the markers. With `retry_for`, a message whose
    connection broke or that got a 4xx is sent again on a new connection
    for up to that many seconds, as a sending MTA would; `pause` seconds
    pass after each accepted message. Every message must
    end up accepted; `stats` (when given) receives the number of reconnects.
    With `auth` every connection does STARTTLS and AUTH first (`as_member`)."""
    markers = [token() for _index in range(count)]
    spec = {
        "server": server,
        "helo": helo,
        "sender": sender,
        "rcpt": rcpt,
        "markers": markers,
        "retry_for": retry_for,
        "pause": pause,
        "port": port,
        "auth": auth,
    }
    out = json.loads(node.check_output("python3 -c %s %s", BURST_CLIENT, json.dumps(spec)))
    refused = [(m, code) for m, code in zip(markers, out["codes"], strict=True) if code != 250]
    assert not refused, f"{len(refused)} of {count} messages not accepted by {server}: {refused[:5]}"
    if stats is not None:
        stats["reconnects"] = out["reconnects"]
    return markers


def account_password(user: str) -> str:
    """The password the inventory gives the mail account `user`."""
    for hostvars in inventory()["_meta"]["hostvars"].values():
        for account in hostvars.get("postfix_accounts", []):
            if account.get("name") == user and account.get("password_plaintext"):
                return account["password_plaintext"]
    pytest.fail(f"the inventory gives no password for the mail account {user}")


def as_member(sender: str) -> dict:
    """The options of smtp()/burst() for a local user who posts from elsewhere
    as a member would: the submission port, STARTTLS and AUTH as the address's
    own account (the mail node refuses a local address as sender otherwise)."""
    user = sender.split("@", 1)[0]
    return {"port": 587, "starttls": True, "auth": {"user": user, "password": account_password(user)}}


def token() -> str:
    """A unique string to find a message by."""
    return f"mailstack-test-{uuid.uuid4().hex}"


def wait_for_mail(node, mailbox: str, marker: str, timeout: float = 90) -> str:
    """Wait until `marker` shows up in `mailbox` on `node`; return the mailbox's text."""
    deadline = time.monotonic() + timeout
    while True:
        box = node.file(mailbox)
        if box.exists and marker in box.content_string:
            return box.content_string
        if time.monotonic() > deadline:
            pytest.fail(f"{marker} did not arrive in {mailbox} within {timeout}s")
        time.sleep(0.5)
