# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mailman_list against a fake Mailman 3 core REST API: a real HTTP server on 127.0.0.1 with an in-memory model.

It answers the resources the mailman_* modules use the way Mailman 3.3 does
(status codes, collection shape, error texts of PATCH on /config) and logs
every request, so tests can assert on what was written.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.module_utils import mailman_rest
from ansible_collections.listserv.mailstack.plugins.modules import mailman_list

USER = "restadmin"
PASSWORD = "s3cret-Pass%word"  # noqa: S105 - a test credential of the fake server

READ_ONLY = {"volume", "posting_address", "created_at", "list_name", "mail_host", "fqdn_listname", "http_etag"}
ENUMS = {
    "archive_policy": {"public", "private", "never"},
    "default_member_action": {"accept", "hold", "reject", "discard", "defer"},
    "default_nonmember_action": {"accept", "hold", "reject", "discard", "defer"},
    "subscription_policy": {"open", "confirm", "moderate", "confirm_then_moderate"},
}


def default_config(fqdn):
    local, domain = fqdn.split("@")
    return {
        "acceptable_aliases": [],
        "advertised": True,
        "archive_policy": "public",
        "created_at": "2025-01-01T00:00:00",
        "default_member_action": "defer",
        "default_nonmember_action": "hold",
        "description": "",
        "digest_size_threshold": 30.0,
        "display_name": local.capitalize(),
        "dmarc_mitigate_action": "no_mitigation",
        "dmarc_mitigate_unconditionally": False,
        "dmarc_moderation_notice": "",
        "dmarc_wrapped_message_text": "",
        "fqdn_listname": fqdn,
        "http_etag": '"etag"',
        "info": "",
        "list_name": local,
        "mail_host": domain,
        "max_days_to_hold": 0,
        "max_message_size": 40,
        "max_num_recipients": 10,
        "member_roster_visibility": "moderators",
        "moderator_password": None,
        "posting_address": fqdn,
        "reply_goes_to_list": "no_munging",
        "send_welcome_message": True,
        "subject_prefix": f"[{local.capitalize()}] ",
        "subscription_policy": "confirm",
        "unsubscription_policy": "confirm",
        "volume": 1,
    }


# The fields of Mailman 3.3's member resource (mailman.rest.members._MemberBase.all_fields).
MEMBER_FIELDS = (
    "address",
    "bounce_score",
    "last_bounce_received",
    "last_warning_sent",
    "total_warnings_sent",
    "delivery_mode",
    "email",
    "list_id",
    "subscription_mode",
    "role",
    "user",
    "moderation_action",
    "display_name",
    "self_link",
    "member_id",
)


class FakeMailman:
    def __init__(self):
        self.domains = set()
        self.lists = {}
        self.styles = ["legacy-announce", "legacy-default", "private-default"]
        self.next_id = 1
        self.log = []
        # Roles whose POST /members answers 202 (pending) instead of 201.
        self.pending_roles = set()
        self.lock = threading.Lock()
        self.query = {}
        # (role, fields asked for) of every roster GET.
        self.roster_fields = []

    # -- model helpers for tests

    def add_list(self, fqdn, archivers=None):
        self.domains.add(fqdn.split("@")[1])
        self.lists[fqdn] = {
            "config": default_config(fqdn),
            "archivers": dict(archivers if archivers is not None else {"hyperkitty": True, "prototype": False}),
            "members": [],
            "held": {},
        }
        return self.lists[fqdn]

    def add_member(self, fqdn, email, role="member", **fields):
        member = {
            "member_id": f"m{self.next_id}",
            "email": email.lower(),
            "role": role,
            "list_id": fqdn.replace("@", "."),
            "display_name": fields.get("display_name", ""),
            "delivery_mode": fields.get("delivery_mode", "regular"),
            "moderation_action": fields.get("moderation_action"),
        }
        self.next_id += 1
        self.lists[fqdn]["members"].append(member)
        return member

    def hold(self, fqdn, request_id, sender, subject="held"):
        self.lists[fqdn]["held"][request_id] = {
            "request_id": request_id,
            "sender": sender,
            "subject": subject,
            "reason": "The message is not from a list member",
            "hold_date": "2025-01-01T00:00:00",
            "message_id": f"<{request_id}@example.net>",
            "msg": f"From: {sender}\n\nbody\n",
        }

    def roster(self, fqdn, role):
        return sorted(m["email"] for m in self.lists[fqdn]["members"] if m["role"] == role)

    def member(self, fqdn, email, role):
        for member in self.lists[fqdn]["members"]:
            if member["email"] == email and member["role"] == role:
                return member
        return None

    @property
    def writes(self):
        return [entry for entry in self.log if entry[0] != "GET"]

    def find_member(self, member_id):
        for fqdn, mlist in self.lists.items():
            for member in mlist["members"]:
                if member["member_id"] == member_id:
                    return fqdn, member
        return None, None

    def find_list(self, key):
        for fqdn in self.lists:
            if key in (fqdn, fqdn.replace("@", ".")):
                return fqdn
        return None

    # -- request handling: (status, body or None)

    def handle(self, method, path, body, query=None):
        self.query = query or {}
        parts = [unquote(part) for part in path.strip("/").split("/")]
        if parts[:1] != ["3.1"]:
            return 404, {"title": "404 Not Found"}
        parts = parts[1:]
        handler = getattr(self, "_" + parts[0], None) if parts else None
        if handler is None:
            return 404, {"title": "404 Not Found"}
        return handler(method, parts[1:], body)

    def _domains(self, method, parts, body):  # noqa: PLR0911 - one answer per case
        if method == "POST" and not parts:
            if body["mail_host"] in self.domains:
                return 400, _error(400, f"Duplicate email host: {body['mail_host']}")
            self.domains.add(body["mail_host"])
            return 201, None
        if method == "GET" and len(parts) == 1:
            if parts[0] not in self.domains:
                return 404, _error(404, "404 Not Found")
            return 200, {"mail_host": parts[0]}
        if method == "GET" and len(parts) == 2 and parts[1] == "lists":
            found = [self.list_resource(f) for f in sorted(self.lists) if f.endswith("@" + parts[0])]
            return 200, _collection(found)
        if method == "DELETE" and len(parts) == 1:
            if parts[0] not in self.domains:
                return 404, _error(404, "404 Not Found")
            # Mailman deletes the domain's lists with it.
            self.domains.discard(parts[0])
            for fqdn in [f for f in self.lists if f.endswith("@" + parts[0])]:
                del self.lists[fqdn]
            return 204, None
        return 405, _error(405, "not supported by the fake")

    def list_resource(self, fqdn):
        config = self.lists[fqdn]["config"]
        return {
            "fqdn_listname": fqdn,
            "list_id": fqdn.replace("@", "."),
            "display_name": config["display_name"],
            "member_count": len(self.roster(fqdn, "member")),
            "self_link": "http://localhost/3.1/lists/" + fqdn.replace("@", "."),
            "http_etag": '"x"',
        }

    def _lists(self, method, parts, body):  # noqa: PLR0911, PLR0912 - one branch per resource
        if not parts:
            if method == "GET":
                return 200, _collection([self.list_resource(f) for f in sorted(self.lists)])
            if method == "POST":
                fqdn = body["fqdn_listname"]
                domain = fqdn.split("@")[1]
                if domain not in self.domains:
                    return 400, _error(400, f"Domain does not exist: {domain}")
                if fqdn in self.lists:
                    return 400, _error(400, "Mailing list exists")
                local = fqdn.split("@")[0]
                if any(char not in "-_.0123456789abcdefghijklmnopqrstuvwxyz" for char in local):
                    # Mailman's default listname_chars, [-_.0-9a-z]
                    return 400, _error(400, f"Invalid list name: {local}")
                self.add_list(fqdn)
                self.lists[fqdn]["style"] = body.get("style_name")
                return 201, None
        if parts == ["styles"]:
            return 200, {"style_names": list(self.styles), "default": "legacy-default"}
        fqdn = self.find_list(parts[0])
        if fqdn is None:
            return 404, _error(404, "404 Not Found")
        mlist = self.lists[fqdn]
        rest = parts[1:]
        if not rest:
            if method == "GET":
                return 200, self.list_resource(fqdn)
            if method == "DELETE":
                del self.lists[fqdn]
                return 204, None
        elif rest == ["config"]:
            if method == "GET":
                return 200, copy.deepcopy(mlist["config"])
            if method == "PATCH":
                return self.patch_config(mlist["config"], body)
        elif rest == ["archivers"]:
            if method == "GET":
                return 200, dict(mlist["archivers"], http_etag='"a"')
            if method == "PATCH":
                for key, value in body.items():
                    if key not in mlist["archivers"]:
                        return 400, _error(400, f"Unknown archiver: {key}")
                    mlist["archivers"][key] = value
                return 204, None
        elif len(rest) == 2 and rest[0] == "roster" and method == "GET":
            role = rest[1]
            entries = [dict(m) for m in mlist["members"] if m["role"] == role]
            # Like Mailman: ?fields=... gives only those fields, and leaves out those that are None.
            fields = self.query.get("fields")
            if fields:
                unknown = [name for name in fields if name not in MEMBER_FIELDS]
                if unknown:
                    return 400, _error(400, f'Unknown field "{unknown[0]}" for Member resource.')
                entries = [{k: m[k] for k in fields if m.get(k) is not None} for m in entries]
            self.roster_fields.append((role, tuple(fields or ())))
            return 200, _collection(entries)
        elif rest == ["held"] and method == "GET":
            return 200, _collection([dict(h) for _k, h in sorted(mlist["held"].items())])
        elif len(rest) == 2 and rest[0] == "held" and method == "POST":
            request_id = int(rest[1])
            if request_id not in mlist["held"]:
                return 404, _error(404, "404 Not Found")
            if body.get("action") != "defer":
                del mlist["held"][request_id]
            return 204, None
        return 405, _error(405, "not supported by the fake")

    @staticmethod
    def patch_config(config, body):
        for key in body:
            if key not in config:
                return 400, _error(400, f"Unknown attribute: {key}")
            if key in READ_ONLY:
                return 400, _error(400, f"Read-only attribute: {key}")
        for key, value in body.items():
            if key in ENUMS and value not in ENUMS[key]:
                choices = ", ".join(sorted(ENUMS[key]))
                return 400, _error(400, f'Invalid Parameter "{key}": Accepted Values are: {choices}.')
            if key == "max_days_to_hold" and value < 0:
                return 400, _error(400, f'Invalid Parameter "{key}": Expected a non-negative integer: {value}.')
        config.update(body)
        return 204, None

    def _members(self, method, parts, body):  # noqa: PLR0911 - one answer per case
        if method == "POST" and not parts:
            fqdn = self.find_list(body["list_id"])
            if fqdn is None:
                return 400, _error(400, "No such list")
            role = body.get("role", "member")
            if self.member(fqdn, body["subscriber"].lower(), role):
                return 409, _error(409, "Member already subscribed")
            if role in self.pending_roles:
                return 202, {"token": "t0k3n", "token_owner": "subscriber"}
            self.add_member(
                fqdn,
                body["subscriber"],
                role,
                display_name=body.get("display_name", ""),
                delivery_mode=body.get("delivery_mode", "regular"),
            )
            return 201, None
        if len(parts) == 1:
            fqdn, member = self.find_member(parts[0])
            if member is None:
                return 404, _error(404, "404 Not Found")
            if method == "DELETE":
                self.lists[fqdn]["members"].remove(member)
                return 204, None
            if method == "PATCH":
                member.update(body)
                return 204, None
        return 405, _error(405, "not supported by the fake")


def _error(status, description):
    titles = {400: "400 Bad Request", 401: "401 Unauthorized", 404: "404 Not Found", 409: "409 Conflict"}
    return {"title": titles.get(status, str(status)), "description": description}


def _collection(entries):
    result = {"start": 0, "total_size": len(entries), "http_etag": '"c"'}
    if entries:
        result["entries"] = entries
    return result


class _Handler(BaseHTTPRequestHandler):
    fake = None  # set per server

    def log_message(self, *_args):
        pass

    def _serve(self):
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        path = urlsplit(self.path).path
        query = parse_qs(urlsplit(self.path).query)
        with fake.lock:
            fake.log.append((self.command, path, body))
            expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                status, answer = 401, _error(401, "REST API authorization failed")
            else:
                status, answer = fake.handle(self.command, path, body, query)
        data = json.dumps(answer).encode() if answer is not None else b""
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_DELETE = _serve


def start_server():
    """(server, thread, FakeMailman); the caller shuts the server down."""
    fake = FakeMailman()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.fake = fake
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread, fake


# --- harness ------------------------------------------------------------------


class ExitJson(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class FailJson(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def patch_exits(monkeypatch):
    def exit_json(_module, **result):
        raise ExitJson(result)

    def fail_json(_module, msg, **result):
        raise FailJson(dict(result, msg=msg, failed=True))

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)


def start_fake(monkeypatch, tmp_path):
    """(fake, stop): the fake server, its URL and a mailman.cfg with its credentials in tmp_path."""
    server, thread, fake = start_server()
    config = tmp_path / "mailman.cfg"
    config.write_text(
        f"[mailman]\nsite_owner: root@example.org\n\n[webservice]\nhostname: localhost\n"
        f"admin_user: {USER}\nadmin_pass: {PASSWORD}\n",
        encoding="utf-8",
    )
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/3.1"
    fake.config_file = str(config)
    patch_exits(monkeypatch)

    def stop():
        server.shutdown()
        server.server_close()
        thread.join(5)

    return fake, stop


@pytest.fixture
def mailman(monkeypatch, tmp_path):
    fake, stop = start_fake(monkeypatch, tmp_path)
    yield fake
    stop()


def run(fake, args, *, check_mode=False, diff=False, expect_fail=False, module=mailman_list):
    args = dict(args)
    args.setdefault("api_url", fake.url)
    args.setdefault("config_file", fake.config_file)
    args["_ansible_check_mode"] = check_mode
    args["_ansible_diff"] = diff
    expected = FailJson if expect_fail else ExitJson
    with patch_module_args(args), pytest.raises(expected) as raised:
        module.main()
    return raised.value.result


LIST = "demo@lists.example.org"


@pytest.fixture
def demo(mailman):
    """An existing list with an owner, two members and two held messages."""
    mailman.add_list(LIST)
    mailman.add_member(LIST, "owner@example.org", "owner")
    mailman.add_member(LIST, "alice@example.org", "member")
    mailman.add_member(LIST, "bob@example.org", "member", delivery_mode="regular")
    mailman.hold(LIST, 1, "Outsider@Example.net")
    mailman.hold(LIST, 2, "spam@example.com")
    mailman.log.clear()
    return mailman


# --- creation, check mode, idempotence -----------------------------------------


def test_check_mode_create_predicts_and_writes_nothing(mailman):
    result = run(
        mailman,
        {"name": LIST, "create_domain": True, "display_name": "Demo", "owners": ["Owner@Example.org"]},
        check_mode=True,
        diff=True,
    )
    assert result["changed"] is True
    assert result["created"] is True
    assert result["domain_created"] is True
    assert result["settings_changed"] == {"display_name": "Demo"}
    assert result["rosters"]["owners"]["added"] == ["Owner@Example.org"]
    assert result["diff"]["before"] == {"state": "absent", "settings": {}, "owners": []}
    assert result["diff"]["after"]["owners"] == ["owner@example.org"]
    assert mailman.writes == []
    assert mailman.lists == {}
    assert mailman.domains == set()


def test_create_with_style_settings_and_rosters(mailman):
    result = run(
        mailman,
        {
            "name": LIST,
            "create_domain": True,
            "style": "private-default",
            "display_name": "Demo",  # equal to the default: not sent
            "advertised": False,
            "settings": {"max_days_to_hold": 7},
            "owners": ["Owner@Example.org"],
            "members": [
                "a@example.org",
                {"email": "b@example.org", "display_name": "Bee", "delivery_mode": "mime_digests"},
            ],
        },
    )
    assert result["changed"] is True
    assert result["created"] is True
    assert result["domain_created"] is True
    assert result["list_id"] == "demo.lists.example.org"
    mlist = mailman.lists[LIST]
    assert mlist["style"] == "private-default"
    assert mlist["config"]["advertised"] is False
    assert mlist["config"]["max_days_to_hold"] == 7
    patches = [entry for entry in mailman.writes if entry[0] == "PATCH"]
    assert patches == [("PATCH", f"/3.1/lists/{LIST}/config", {"advertised": False, "max_days_to_hold": 7})]
    assert mailman.roster(LIST, "owner") == ["owner@example.org"]
    assert mailman.roster(LIST, "member") == ["a@example.org", "b@example.org"]
    bee = mailman.member(LIST, "b@example.org", "member")
    assert (bee["display_name"], bee["delivery_mode"]) == ("Bee", "mime_digests")
    posts = [entry[2] for entry in mailman.writes if entry[:2] == ("POST", "/3.1/members")]
    assert all(body["pre_verified"] and body["pre_confirmed"] and body["pre_approved"] for body in posts)


def test_second_run_is_idempotent_and_only_reads(mailman):
    args = {
        "name": LIST,
        "create_domain": True,
        "subject_prefix": "[demo] ",
        "advertised": False,
        "settings": {"max_days_to_hold": 7},
        "owners": ["owner@example.org"],
        "members": ["A@example.org"],
        "archivers": {"hyperkitty": False},
    }
    assert run(mailman, args)["changed"] is True
    mailman.log.clear()
    again = dict(args, advertised="no", settings={"max_days_to_hold": "7"}, members=["a@EXAMPLE.org"])
    result = run(mailman, again)
    assert result["changed"] is False
    assert result["settings_changed"] == {}
    assert mailman.writes == []


def test_missing_domain_without_create_domain(mailman):
    result = run(mailman, {"name": LIST}, expect_fail=True)
    assert result["msg"] == "domain lists.example.org does not exist in Mailman; set create_domain=true to create it"
    assert mailman.writes == []


def test_unknown_style_is_refused_by_name(mailman):
    mailman.domains.add("lists.example.org")
    result = run(mailman, {"name": LIST, "style": "fancy"}, expect_fail=True)
    assert result["msg"] == (
        "unknown list style 'fancy'; this Mailman offers: legacy-announce, legacy-default, private-default"
    )
    assert mailman.writes == []


def test_style_is_ignored_for_an_existing_list(demo):
    result = run(demo, {"name": LIST, "style": "fancy"})
    assert result["changed"] is False


BAD_LIST_NAMES = [
    *(
        pytest.param(name, f"invalid list name {name!r}: expected list@domain", id=name)
        for name in ("demo", "demo@", "@example.org", "de mo@example.org", "a@b@example.org", "x@-bad-.org")
    ),
    pytest.param(
        "demo@lists.example.org\n", "invalid list name 'demo@lists.example.org\\n': expected list@domain", id="newline"
    ),
    pytest.param(
        "de\0mo@lists.example.org", "invalid list name 'de\\x00mo@lists.example.org': expected list@domain", id="nul"
    ),
    pytest.param(
        "de\x01mo@lists.example.org",
        "invalid list name 'de\\x01mo@lists.example.org': expected list@domain",
        id="control",
    ),
    pytest.param(
        "x" * 250 + "@lists.example.org",
        f"invalid list name '{'x' * 32}...' (268 characters): an address has at most 254",
        id="huge",
    ),
    pytest.param(
        "lïst@lists.example.org",
        "invalid list name 'lïst@lists.example.org': Mailman allows only the letters a-z, digits and "
        "- _ . + = ! $ * { } ~ before the @",
        id="non-ascii",
    ),
    pytest.param(
        "a/b@lists.example.org",
        "invalid list name 'a/b@lists.example.org': Mailman allows only the letters a-z, digits and "
        "- _ . + = ! $ * { } ~ before the @",
        id="slash",
    ),
    pytest.param(
        "demo@" + "a" * 64 + ".example.org",
        f"invalid list name 'demo@{'a' * 64}.example.org': expected list@domain",
        id="domain-label-too-long",
    ),
]


@pytest.mark.parametrize(("name", "msg"), BAD_LIST_NAMES)
def test_bad_list_names_are_refused_before_any_request(mailman, name, msg):
    result = run(mailman, {"name": name, "create_domain": True}, expect_fail=True)
    assert result["msg"] == msg
    assert mailman.log == []


def test_list_mailman_refuses_leaves_no_domain_behind(mailman):
    result = run(mailman, {"name": "a+b@new.example.org", "create_domain": True}, expect_fail=True)
    assert result["msg"] == "the Mailman REST API answered POST /lists with HTTP 400: Invalid list name: a+b"
    assert mailman.domains == set()
    assert mailman.writes[-1] == ("DELETE", "/3.1/domains/new.example.org", None)


def test_value_mailman_refuses_on_a_new_list_removes_list_and_domain(mailman):
    result = run(mailman, {"name": LIST, "create_domain": True, "settings": {"max_days_to_hold": -1}}, expect_fail=True)
    assert result["msg"] == (
        f'Mailman refused the settings of {LIST}: Invalid Parameter "max_days_to_hold": '
        "Expected a non-negative integer: -1."
    )
    assert mailman.lists == {}
    assert mailman.domains == set()


def test_bad_member_on_a_new_list_removes_the_list(mailman):
    mailman.domains.add("lists.example.org")
    mailman.pending_roles.add("member")
    original = mailman._members

    def refuse(method, parts, body):
        if method == "POST" and body["role"] == "member":
            return 400, _error(400, 'Invalid Parameter "subscriber": .')
        return original(method, parts, body)

    mailman._members = refuse
    result = run(
        mailman, {"name": LIST, "owners": ["owner@example.org"], "members": ["m@example.org"]}, expect_fail=True
    )
    assert result["msg"] == f'cannot add m@example.org as member of {LIST}: Invalid Parameter "subscriber": .'
    assert mailman.lists == {}
    assert mailman.domains == {"lists.example.org"}  # not created by the task


NOT_API_ROOT = (
    "is not the root of a Mailman REST API: an http:// or https:// URL ending with the API version, such as "
    "http://127.0.0.1:8001/3.1"
)
BAD_INPUT = [
    pytest.param(
        {"display_name": "Demo\nBcc: x@example.org"},
        "display_name must be a single line: 'Demo\\nBcc: x@example.org'",
        id="display-name-newline",
    ),
    pytest.param({"subject_prefix": "[x]\r\n"}, "subject_prefix must be a single line: '[x]\\r\\n'", id="prefix-crlf"),
    pytest.param(
        {"display_name": "De\0mo"},
        "display_name must not contain control characters (found U+0000): 'De\\x00mo'",
        id="display-name-nul",
    ),
    pytest.param(
        {"description": "x" * 999},
        f"description '{'x' * 32}...' is 999 characters long: it goes into mail headers, whose lines have at most 998",
        id="description-huge",
    ),
    pytest.param(
        {"info": "two\nlines\x1b[31m"},
        "info must not contain control characters (found U+001B): 'two\\nlines\\x1b[31m'",
        id="info-escape",
    ),
    pytest.param(
        {"settings": {"acceptable_aliases": ["ok@example.org", "x\0@example.org"]}},
        "list setting acceptable_aliases must not contain control characters (found U+0000): 'x\\x00@example.org'",
        id="setting-nul",
    ),
    pytest.param(
        {"members": [{"email": "m@example.org", "display_name": "M\nBcc: x@example.org"}]},
        "members: display_name of m@example.org must be a single line: 'M\\nBcc: x@example.org'",
        id="member-display-name-newline",
    ),
    pytest.param(
        {"members": [{"email": "m@example.org", "display_name": ["M"]}]},
        "members: display_name of m@example.org must be a string, got ['M']",
        id="member-display-name-list",
    ),
    pytest.param(
        {"members": ["m\0@example.org"]}, "members: invalid email address 'm\\x00@example.org'", id="member-nul"
    ),
    pytest.param(
        {"members": ["m" * 250 + "@example.org"]},
        f"members: invalid email address '{'m' * 32}...'",
        id="member-huge",
    ),
    pytest.param(
        {"api_url": "127.0.0.1:8001/3.1"},
        f"api_url '127.0.0.1:8001/3.1' {NOT_API_ROOT}",
        id="url-without-scheme",
    ),
    pytest.param(
        {"api_url": "ftp://127.0.0.1/3.1"},
        f"api_url 'ftp://127.0.0.1/3.1' {NOT_API_ROOT}",
        id="url-ftp",
    ),
    pytest.param(
        {"api_url": "http://127.0.0.1:8001/"},
        f"api_url 'http://127.0.0.1:8001/' {NOT_API_ROOT}",
        id="url-without-version",
    ),
    pytest.param(
        {"api_url": "http://127.0.0.1:8001/3.1\nX"},
        "api_url 'http://127.0.0.1:8001/3.1\\nX' must not contain whitespace or control characters",
        id="url-newline",
    ),
    pytest.param({"timeout": 0}, "timeout must be at least 1 second, not 0", id="timeout-zero"),
    pytest.param({"timeout": -1}, "timeout must be at least 1 second, not -1", id="timeout-negative"),
    pytest.param(
        {"api_user": "admin\r\nX: y", "api_password": "x"},
        "api_user 'admin\\r\\nX: y' must not contain control characters",
        id="user-crlf",
    ),
]


@pytest.mark.parametrize(("args", "msg"), BAD_INPUT)
def test_bad_input_is_refused_before_any_request(demo, args, msg):
    config = copy.deepcopy(demo.lists[LIST])
    result = run(demo, {"name": LIST, **args}, expect_fail=True)
    assert result["msg"] == msg
    assert demo.log == []
    assert demo.lists[LIST] == config


def test_longest_header_text_is_accepted(demo):
    result = run(demo, {"name": LIST, "display_name": "x" * 998, "info": "two\nlines\twith a tab"})
    assert result["settings_changed"] == {"display_name": "x" * 998, "info": "two\nlines\twith a tab"}


def test_config_file_that_is_not_text(demo, tmp_path):
    config = tmp_path / "binary.cfg"
    config.write_bytes(b"[webservice]\nadmin_user: \xff\xfe\n")
    result = run(demo, {"name": LIST, "config_file": str(config)}, expect_fail=True)
    assert result["msg"] == (
        f"cannot read the Mailman REST API credentials from {config}: not UTF-8 text (byte 25); "
        "is config_file Mailman's mailman.cfg?"
    )
    assert demo.log == []


def test_list_name_is_compared_case_insensitively(demo):
    result = run(demo, {"name": "Demo@Lists.Example.ORG", "display_name": "Demo"})
    assert result["changed"] is False


# --- settings -------------------------------------------------------------------


def test_one_patch_with_only_changed_keys_and_diff(demo):
    result = run(
        demo,
        {
            "name": LIST,
            "display_name": "Renamed",
            "max_message_size": 40,  # unchanged
            "default_nonmember_action": "discard",
            "settings": {"acceptable_aliases": ["alias@example.org"], "digest_size_threshold": "30"},
        },
        diff=True,
    )
    assert result["changed"] is True
    expected = {
        "display_name": "Renamed",
        "default_nonmember_action": "discard",
        "acceptable_aliases": ["alias@example.org"],
    }
    assert result["settings_changed"] == expected
    assert demo.writes == [("PATCH", f"/3.1/lists/{LIST}/config", expected)]
    assert result["diff"]["before"]["settings"] == {
        "display_name": "Demo",
        "max_message_size": 40,
        "default_nonmember_action": "hold",
        "acceptable_aliases": [],
        "digest_size_threshold": 30.0,
    }
    assert result["diff"]["after"]["settings"]["display_name"] == "Renamed"
    assert result["diff"]["after"]["settings"]["max_message_size"] == 40


def test_dmarc_mitigation_options_are_list_settings(demo):
    args = {
        "name": LIST,
        "dmarc_mitigate_action": "munge_from",
        "dmarc_mitigate_unconditionally": False,
        "dmarc_moderation_notice": "Your domain's DMARC policy\nforbids this list to forward your post.",
    }
    result = run(demo, args)
    assert result["settings_changed"] == {
        "dmarc_mitigate_action": "munge_from",
        "dmarc_moderation_notice": "Your domain's DMARC policy\nforbids this list to forward your post.",
    }
    assert run(demo, args)["changed"] is False


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        ({"dmarc_mitigate_action": "munge"}, "value of dmarc_mitigate_action must be one of"),
        ({"dmarc_wrapped_message_text": "bad\x00text"}, "dmarc_wrapped_message_text must not contain control"),
        ({"settings": {"dmarc_mitigate_action": "munge_from"}}, "dmarc_mitigate_action has an option of its own"),
    ],
)
def test_bad_dmarc_mitigation_input_is_refused_before_any_write(demo, args, msg):
    result = run(demo, {"name": LIST, **args}, expect_fail=True)
    assert msg in result["msg"], result["msg"]
    assert demo.writes == []


def test_check_mode_settings_change_writes_nothing(demo):
    result = run(demo, {"name": LIST, "display_name": "Renamed"}, check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["settings_changed"] == {"display_name": "Renamed"}
    assert demo.writes == []
    assert demo.lists[LIST]["config"]["display_name"] == "Demo"


# (arguments besides the name, message, what must stay empty: "writes" or even "log", no request at all)
REFUSED_ON_AN_EXISTING_LIST = [
    pytest.param(
        {"display_name": "X", "settings": {"no_such": 1, "other": 2}},
        f"unknown list settings for {LIST}: no_such, other",
        "writes",
        id="unknown-settings",
    ),
    pytest.param({"settings": {"volume": 2}}, "read-only list setting: volume", "log", id="read-only"),
    pytest.param(
        {"settings": {"display_name": "X"}},
        "settings: display_name has an option of its own; use that option",
        "writes",
        id="own-option",
    ),
    pytest.param(
        {"settings": {"moderator_password": "x"}},
        "list setting moderator_password cannot be managed: Mailman only returns its hash",
        "writes",
        id="moderator-password",
    ),
    pytest.param(
        {"archivers": {"mhonarc": True}},
        f"unknown archiver mhonarc for {LIST}; available: hyperkitty, prototype",
        "writes",
        id="unknown-archiver",
    ),
]


@pytest.mark.parametrize(("args", "msg", "untouched"), REFUSED_ON_AN_EXISTING_LIST)
def test_refused_by_name_before_any_write(demo, args, msg, untouched):
    result = run(demo, {"name": LIST, **args}, expect_fail=True)
    assert result["msg"] == msg
    assert getattr(demo, untouched) == []


@pytest.mark.parametrize(
    ("settings", "msg"),
    [
        ({"advertised_x": 1}, f"unknown list setting for {LIST}: advertised_x"),
        ({"max_days_to_hold": "soon"}, "list setting max_days_to_hold: 'soon' is not an integer"),
        ({"digest_size_threshold": "big"}, "list setting digest_size_threshold: 'big' is not a number"),
        ({"acceptable_aliases": {"a": 1}}, "list setting acceptable_aliases: {'a': 1} is not a list"),
        ({"info": None}, "list setting info: a value is needed"),
    ],
)
def test_bad_setting_values(demo, settings, msg):
    # info has an option of its own; use a free-form setting for the None case.
    if "info" in settings:
        settings = {"description_x": None}
        demo.lists[LIST]["config"]["description_x"] = "free text"
        msg = "list setting description_x: a value is needed"
    result = run(demo, {"name": LIST, "settings": settings}, expect_fail=True)
    assert result["msg"] == msg
    assert demo.writes == []


def test_boolean_option_given_as_text_is_refused(demo):
    result = run(demo, {"name": LIST, "settings": {"send_goodbye": "maybe"}}, expect_fail=True)
    assert result["msg"] == f"unknown list setting for {LIST}: send_goodbye"
    demo.lists[LIST]["config"]["send_goodbye"] = True
    result = run(demo, {"name": LIST, "settings": {"send_goodbye": "maybe"}}, expect_fail=True)
    assert result["msg"] == "list setting send_goodbye: 'maybe' is not a boolean"


def test_patch_refused_by_the_server_names_the_reason(demo):
    demo.lists[LIST]["config"]["archive_policy"] = "public"
    result = run(demo, {"name": LIST, "settings": {"archive_rendering_mode": "x"}}, expect_fail=True)
    assert result["msg"] == f"unknown list setting for {LIST}: archive_rendering_mode"
    # A value Mailman refuses is reported with Mailman's own reason.
    demo.lists[LIST]["config"]["archive_rendering_mode"] = "text"
    demo.lists[LIST]["config"]["subscription_policy"] = "confirm"
    result = run(demo, {"name": LIST, "settings": {"archive_rendering_mode": "markdown"}})
    assert result["changed"] is True
    ENUMS["archive_rendering_mode"] = {"text", "markdown"}
    try:
        result = run(demo, {"name": LIST, "settings": {"archive_rendering_mode": "html"}}, expect_fail=True)
    finally:
        del ENUMS["archive_rendering_mode"]
    assert result["msg"] == (
        f'Mailman refused the settings of {LIST}: Invalid Parameter "archive_rendering_mode": '
        "Accepted Values are: markdown, text."
    )


def test_server_read_only_answer_is_mapped_too(demo):
    # A read-only key the module does not know about: Mailman's own refusal names it.
    demo.lists[LIST]["config"]["digest_last_number"] = 3
    READ_ONLY.add("digest_last_number")
    try:
        result = run(demo, {"name": LIST, "settings": {"digest_last_number": 4}}, expect_fail=True)
    finally:
        READ_ONLY.discard("digest_last_number")
    assert result["msg"] == f"Mailman refused the settings of {LIST}: Read-only attribute: digest_last_number"


def test_unknown_setting_on_a_new_list_removes_the_list_again(mailman):
    result = run(mailman, {"name": LIST, "create_domain": True, "settings": {"nope": 1}}, expect_fail=True)
    assert result["msg"] == f"unknown list setting for {LIST}: nope"
    assert LIST not in mailman.lists
    assert ("DELETE", f"/3.1/lists/{LIST}", None) in mailman.log


def test_description_must_be_one_line(demo):
    result = run(demo, {"name": LIST, "description": "two\nlines"}, expect_fail=True)
    assert result["msg"] == "description must be a single line: 'two\\nlines'"


# --- archivers --------------------------------------------------------------------


def test_archivers_toggle_only_the_changed_ones(demo):
    result = run(demo, {"name": LIST, "archivers": {"hyperkitty": True, "prototype": "yes"}}, diff=True)
    assert result["archivers_changed"] == {"prototype": True}
    assert demo.writes == [("PATCH", f"/3.1/lists/{LIST}/archivers", {"prototype": True})]
    assert result["diff"]["before"]["archivers"] == {"hyperkitty": True, "prototype": False}


# --- rosters ------------------------------------------------------------------------


def test_append_adds_only_missing_addresses_case_insensitively(demo):
    result = run(demo, {"name": LIST, "members": ["ALICE@example.org", "carol@example.org"]})
    assert result["rosters"]["members"] == {"added": ["carol@example.org"], "removed": [], "updated": []}
    assert demo.roster(LIST, "member") == ["alice@example.org", "bob@example.org", "carol@example.org"]
    assert [entry[:2] for entry in demo.writes] == [("POST", "/3.1/members")]


def test_exact_removes_others_and_keeps_other_rosters(demo):
    result = run(
        demo, {"name": LIST, "members": ["Bob@Example.org", "dave@example.org"], "roster_mode": "exact"}, diff=True
    )
    assert result["rosters"]["members"] == {
        "added": ["dave@example.org"],
        "removed": ["alice@example.org"],
        "updated": [],
    }
    assert demo.roster(LIST, "member") == ["bob@example.org", "dave@example.org"]
    assert demo.roster(LIST, "owner") == ["owner@example.org"]
    assert result["diff"]["before"]["members"] == ["alice@example.org", "bob@example.org"]
    assert result["diff"]["after"]["members"] == ["bob@example.org", "dave@example.org"]
    assert "owners" not in result["diff"]["before"]
    delete = [entry for entry in demo.writes if entry[0] == "DELETE"]
    assert delete == [("DELETE", "/3.1/members/m2", {"pre_confirmed": True, "pre_approved": True})]
    assert (
        run(demo, {"name": LIST, "members": ["bob@example.org", "DAVE@example.org"], "roster_mode": "exact"})["changed"]
        is False
    )


def test_exact_with_empty_list_empties_the_roster(demo):
    result = run(demo, {"name": LIST, "owners": [], "roster_mode": "exact"})
    assert result["rosters"]["owners"]["removed"] == ["owner@example.org"]
    assert demo.roster(LIST, "owner") == []
    # Owners are removed without the member unsubscription parameters.
    assert ("DELETE", "/3.1/members/m1", None) in demo.writes


def test_check_mode_rosters_write_nothing(demo):
    result = run(
        demo,
        {"name": LIST, "members": ["x@example.org"], "moderators": ["m@example.org"], "roster_mode": "exact"},
        check_mode=True,
        diff=True,
    )
    assert result["changed"] is True
    assert result["diff"]["after"]["members"] == ["x@example.org"]
    assert result["diff"]["after"]["moderators"] == ["m@example.org"]
    assert demo.writes == []


def test_delivery_mode_of_an_existing_member_is_updated(demo):
    result = run(demo, {"name": LIST, "members": [{"email": "BOB@example.org", "delivery_mode": "plaintext_digests"}]})
    assert result["rosters"]["members"]["updated"] == ["bob@example.org"]
    assert demo.writes == [("PATCH", "/3.1/members/m3", {"delivery_mode": "plaintext_digests"})]


def test_rosters_are_read_with_only_the_fields_the_module_uses(demo):
    run(demo, {"name": LIST, "owners": ["owner@example.org"], "members": ["alice@example.org"]})
    assert demo.roster_fields == [("owner", ("email", "member_id")), ("member", ("email", "member_id"))]


def test_delivery_mode_is_read_only_when_an_entry_sets_one(demo):
    result = run(demo, {"name": LIST, "members": ["alice@example.org", {"email": "bob@example.org"}]})
    assert result["changed"] is False
    run(demo, {"name": LIST, "members": [{"email": "bob@example.org", "delivery_mode": "regular"}]})
    assert demo.roster_fields == [
        ("member", ("email", "member_id")),
        ("member", ("email", "member_id", "delivery_mode")),
    ]


def test_a_member_with_the_wanted_delivery_mode_is_not_updated(demo):
    result = run(demo, {"name": LIST, "members": [{"email": "bob@example.org", "delivery_mode": "regular"}]})
    assert result["changed"] is False
    assert demo.writes == []


def test_pre_flags_are_passed_and_pending_is_reported(demo):
    demo.pending_roles.add("member")
    result = run(demo, {"name": LIST, "members": ["new@example.org"], "pre_verified": False, "pre_approved": False})
    assert result["pending"] == ["new@example.org"]
    body = demo.writes[0][2]
    assert (body["pre_verified"], body["pre_confirmed"], body["pre_approved"]) == (False, True, False)


@pytest.mark.parametrize(
    ("entries", "msg"),
    [
        (["not an address"], "members: invalid email address 'not an address'"),
        (["a@b@c"], "members: invalid email address 'a@b@c'"),
        (
            [{"email": "a@example.org", "role": "x"}],
            "members: unknown key role in {'email': 'a@example.org', 'role': 'x'}",
        ),
        ([{"display_name": "No Mail"}], "members: invalid email address None"),
        (
            [{"email": "a@example.org", "delivery_mode": "weekly"}],
            "members: delivery_mode 'weekly' of a@example.org is not one of regular, plaintext_digests, "
            "mime_digests, summary_digests",
        ),
        (["a@example.org", "A@example.org"], "members: A@example.org is given more than once"),
        ([42], "members: expected an address or a mapping with email, got 42"),
    ],
)
def test_bad_roster_entries(demo, entries, msg):
    result = run(demo, {"name": LIST, "members": entries}, expect_fail=True)
    assert result["msg"] == msg
    assert demo.log == []


# --- held messages -----------------------------------------------------------------


def test_held_by_request_id(demo):
    result = run(demo, {"name": LIST, "held_messages": [{"request_id": 2, "action": "discard"}]})
    assert result["held"] == [{"request_id": 2, "sender": "spam@example.com", "action": "discard"}]
    assert demo.writes == [("POST", f"/3.1/lists/{LIST}/held/2", {"action": "discard"})]
    again = run(demo, {"name": LIST, "held_messages": [{"request_id": 2, "action": "discard"}]})
    assert again["changed"] is False


def test_held_by_sender_case_insensitive_with_comment(demo):
    result = run(
        demo,
        {"name": LIST, "held_messages": [{"sender": "outsider@example.NET", "action": "reject", "comment": "no"}]},
    )
    assert [item["request_id"] for item in result["held"]] == [1]
    assert demo.writes == [("POST", f"/3.1/lists/{LIST}/held/1", {"action": "reject", "comment": "no"})]


def test_accept_sender_for_a_nonmember_creates_the_record(demo):
    entry = {"sender": "OUTSIDER@example.net", "action": "accept", "accept_sender": True}
    result = run(demo, {"name": LIST, "held_messages": [entry]})
    assert result["senders_accepted"] == ["OUTSIDER@example.net"]
    assert result["held"][0]["action"] == "accept"
    assert demo.member(LIST, "outsider@example.net", "nonmember")["moderation_action"] == "accept"
    assert 1 not in demo.lists[LIST]["held"]
    again = run(demo, {"name": LIST, "held_messages": [entry]})
    assert again["changed"] is False


def test_accept_sender_for_an_existing_nonmember_record(demo):
    demo.add_member(LIST, "outsider@example.net", "nonmember", moderation_action=None)
    demo.log.clear()
    result = run(demo, {"name": LIST, "held_messages": [{"request_id": 1, "action": "accept", "accept_sender": True}]})
    assert result["senders_accepted"] == ["Outsider@Example.net"]
    nonmember = demo.member(LIST, "outsider@example.net", "nonmember")
    assert demo.writes[0] == ("PATCH", f"/3.1/members/{nonmember['member_id']}", {"moderation_action": "accept"})
    assert [entry[:2] for entry in demo.writes][1:] == [("POST", f"/3.1/lists/{LIST}/held/1")]


def test_accept_sender_for_a_member_sets_the_members_action(demo):
    demo.hold(LIST, 3, "alice@example.org")
    result = run(
        demo,
        {"name": LIST, "held_messages": [{"sender": "Alice@example.org", "action": "accept", "accept_sender": True}]},
    )
    assert result["changed"] is True
    assert demo.member(LIST, "alice@example.org", "member")["moderation_action"] == "accept"
    assert demo.member(LIST, "alice@example.org", "nonmember") is None
    assert ("member", ("email", "member_id", "moderation_action")) in demo.roster_fields
    again = run(
        demo,
        {"name": LIST, "held_messages": [{"sender": "alice@example.org", "action": "accept", "accept_sender": True}]},
    )
    assert again["senders_accepted"] == []


def test_held_check_mode_writes_nothing(demo):
    result = run(
        demo,
        {
            "name": LIST,
            "held_messages": [{"sender": "outsider@example.net", "action": "accept", "accept_sender": True}],
        },
        check_mode=True,
    )
    assert result["changed"] is True
    assert result["held"][0]["request_id"] == 1
    assert result["senders_accepted"] == ["outsider@example.net"]
    assert demo.writes == []


def test_accept_sender_needs_accept(demo):
    entry = {"sender": "outsider@example.net", "action": "discard", "accept_sender": True}
    result = run(demo, {"name": LIST, "held_messages": [entry]}, expect_fail=True)
    assert result["msg"] == "held_messages: accept_sender=true needs action=accept, not discard (outsider@example.net)"
    assert demo.log == []


def test_bad_held_sender(demo):
    result = run(demo, {"name": LIST, "held_messages": [{"sender": "nobody", "action": "accept"}]}, expect_fail=True)
    assert result["msg"] == "held_messages: invalid sender address 'nobody'"


def test_held_selection_needs_request_id_or_sender(demo):
    result = run(demo, {"name": LIST, "held_messages": [{"action": "accept"}]}, expect_fail=True)
    assert "request_id, sender" in result["msg"]


# --- removal --------------------------------------------------------------------------


def test_absent_removes_and_is_idempotent(demo):
    check = run(demo, {"name": LIST, "state": "absent"}, check_mode=True, diff=True)
    assert check["changed"] is True
    assert check["diff"] == {
        "before": {"state": "present"},
        "after": {"state": "absent"},
        "before_header": LIST,
        "after_header": LIST,
    }
    assert demo.writes == []
    result = run(demo, {"name": LIST, "state": "absent"})
    assert result["deleted"] is True
    assert LIST not in demo.lists
    assert run(demo, {"name": LIST, "state": "absent"})["changed"] is False


# --- connection and credentials --------------------------------------------------------


def test_wrong_password_names_the_user(demo):
    result = run(demo, {"name": LIST, "api_user": "restadmin", "api_password": "wrong"}, expect_fail=True)
    assert result["msg"] == "the Mailman REST API refused the credentials of user restadmin (HTTP 401)"
    assert "wrong" not in json.dumps(result)


def test_unreachable_api(demo):
    result = run(demo, {"name": LIST, "api_url": "http://127.0.0.1:9/3.1"}, expect_fail=True)
    assert result["msg"].startswith("cannot reach the Mailman REST API at http://127.0.0.1:9/3.1: ")


def test_not_json_answer(demo, tmp_path):
    # A static web server that answers with HTML instead of JSON.
    (tmp_path / "3.1" / "lists").mkdir(parents=True)
    (tmp_path / "3.1" / "lists" / LIST).write_text("<html></html>", encoding="utf-8")
    handler = type("Static", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    static = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(tmp_path)))
    static_thread = threading.Thread(target=static.serve_forever, daemon=True)
    static_thread.start()
    try:
        url = f"http://127.0.0.1:{static.server_address[1]}/3.1"
        result = run(demo, {"name": LIST, "api_url": url}, expect_fail=True)
    finally:
        static.shutdown()
        static.server_close()
    assert result["msg"] == f"{url}/lists/{LIST} did not answer with JSON; is api_url the Mailman REST API?"


def test_credentials_come_from_the_config_file_and_stay_secret(demo):
    result = run(demo, {"name": LIST, "display_name": "Renamed"})
    assert result["changed"] is True
    assert PASSWORD not in json.dumps(result)


def test_missing_credentials(demo, tmp_path):
    config = tmp_path / "empty.cfg"
    config.write_text("[mailman]\nsite_owner: root@example.org\n", encoding="utf-8")
    result = run(demo, {"name": LIST, "config_file": str(config)}, expect_fail=True)
    assert result["msg"] == (
        "no Mailman REST API credentials: give api_user and api_password, or set admin_user and admin_pass in the "
        f"[webservice] section of {config}"
    )


def test_unreadable_config_file(demo, tmp_path):
    missing = tmp_path / "missing.cfg"
    result = run(demo, {"name": LIST, "config_file": str(missing)}, expect_fail=True)
    assert result["msg"] == f"cannot read the Mailman REST API credentials from {missing}: No such file or directory"


def test_other_http_errors_carry_mailmans_reason(demo):
    demo.lists[LIST]["members"].clear()
    demo.add_member(LIST, "carol@example.org", "member")
    # The roster read misses carol (simulating a race): Mailman answers 409 on the POST.
    original = demo._lists

    def hide_carol(method, parts, body):
        status, answer = original(method, parts, body)
        if parts[1:] == ["roster", "member"]:
            return 200, _collection([])
        return status, answer

    demo._lists = hide_carol
    result = run(demo, {"name": LIST, "members": ["carol@example.org"]}, expect_fail=True)
    assert result["msg"] == f"cannot add carol@example.org as member of {LIST}: Member already subscribed"


# --- module_utils ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[webservice]\nadmin_user: u\nadmin_pass: p%w:x\n", ("u", "p%w:x")),
        ("[webservice]\nadmin_user = u\n", ("u", None)),
        ("[mta]\nincoming: x\n", (None, None)),
    ],
)
def test_read_credentials(tmp_path, text, expected):
    path = tmp_path / "m.cfg"
    path.write_text(text, encoding="utf-8")
    assert mailman_rest.read_credentials(str(path)) == expected


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a@example.org", True),
        ("a.b+c@sub.example.org", True),
        ("root@localhost", True),
        ("a@", False),
        ("a b@example.org", False),
        ("<a@example.org>", False),
        ("a@exa_mple.org", False),
        ("a@example.org\n", False),
        ("a\0@example.org", False),
        ("a\x7f@example.org", False),
        ("a" * 242 + "@example.org", True),
        ("a" * 243 + "@example.org", False),
        ("jörg@example.org", True),
        (None, False),
    ],
)
def test_valid_address(value, ok):
    assert mailman_rest.valid_address(value) is ok
