# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""mailman_list_info against the fake Mailman REST server of test_mailman_list."""

from __future__ import annotations

import pytest
from ansible_collections.listserv.mailstack.plugins.modules import mailman_list_info
from test_mailman_list import LIST, run, start_fake


@pytest.fixture
def mailman(monkeypatch, tmp_path):
    fake, stop = start_fake(monkeypatch, tmp_path)
    yield fake
    stop()


@pytest.fixture
def demo(mailman):
    mailman.add_list(LIST)
    mailman.add_list("other@lists.example.org")
    mailman.add_list("elsewhere@example.com", archivers={})
    mailman.add_member(LIST, "owner@example.org", "owner")
    mailman.add_member(LIST, "alice@example.org", "member", display_name="Alice")
    mailman.add_member(LIST, "outsider@example.net", "nonmember", moderation_action="accept")
    mailman.hold(LIST, 4, "spam@example.com", subject="Buy")
    mailman.log.clear()
    return mailman


def info(fake, args, **kwargs):
    return run(fake, args, module=mailman_list_info, **kwargs)


def test_one_list_with_config_rosters_and_held(demo):
    result = info(demo, {"name": LIST})
    assert result["changed"] is False
    assert result["exists"] is True
    found = result["list"]
    assert found["fqdn_listname"] == LIST
    assert found["config"]["display_name"] == "Demo"
    assert "http_etag" not in found["config"]
    assert found["archivers"] == {"hyperkitty": True, "prototype": False}
    assert found["owners"] == [
        {
            "email": "owner@example.org",
            "display_name": "",
            "delivery_mode": "regular",
            "moderation_action": None,
            "member_id": "m1",
        }
    ]
    assert [m["email"] for m in found["members"]] == ["alice@example.org"]
    assert found["moderators"] == []
    assert found["nonmembers"][0]["moderation_action"] == "accept"
    assert found["held"] == [
        {
            "request_id": 4,
            "sender": "spam@example.com",
            "subject": "Buy",
            "reason": "The message is not from a list member",
            "hold_date": "2025-01-01T00:00:00",
            "message_id": "<4@example.net>",
        }
    ]
    assert demo.writes == []


def test_message_text_on_request(demo):
    result = info(demo, {"name": LIST, "message_text": True})
    assert result["list"]["held"][0]["msg"].startswith("From: spam@example.com")


def test_missing_list(demo):
    assert info(demo, {"name": "nope@lists.example.org"}) == {"changed": False, "exists": False}


def test_lists_of_a_domain(demo):
    result = info(demo, {"domain": "lists.example.org"})
    assert result["exists"] is True
    assert [item["fqdn_listname"] for item in result["lists"]] == [LIST, "other@lists.example.org"]
    assert "self_link" not in result["lists"][0]


def test_missing_domain(demo):
    assert info(demo, {"domain": "nowhere.example.org"}) == {"changed": False, "exists": False, "lists": []}


def test_all_lists(demo):
    result = info(demo, {})
    assert len(result["lists"]) == 3


def test_check_mode_reads_only(demo):
    result = info(demo, {"name": LIST}, check_mode=True)
    assert result["exists"] is True
    assert demo.writes == []


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        ({"name": "bad"}, "invalid list name 'bad': expected list@domain"),
        ({"domain": "bad domain"}, "invalid domain 'bad domain'"),
        ({"domain": "lists.example.org\n"}, "invalid domain 'lists.example.org\\n'"),
        ({"name": LIST + "\0"}, "invalid list name 'demo@lists.example.org\\x00': expected list@domain"),
        ({"name": LIST, "timeout": 0}, "timeout must be at least 1 second, not 0"),
        (
            {"name": LIST, "api_user": "admin", "api_password": "x"},
            "the Mailman REST API refused the credentials of user admin (HTTP 401)",
        ),
    ],
)
def test_errors(demo, args, msg):
    result = info(demo, args, expect_fail=True)
    assert result["msg"] == msg


def test_bad_name_is_refused_before_the_credentials_are_read(demo, tmp_path):
    result = info(demo, {"name": "bad", "config_file": str(tmp_path / "missing.cfg")}, expect_fail=True)
    assert result["msg"] == "invalid list name 'bad': expected list@domain"
    assert demo.log == []


def test_unreachable(demo):
    result = info(demo, {"api_url": "http://127.0.0.1:9/3.1"}, expect_fail=True)
    assert result["msg"].startswith("cannot reach the Mailman REST API at http://127.0.0.1:9/3.1: ")


def test_name_and_domain_exclusive(demo):
    result = info(demo, {"name": LIST, "domain": "lists.example.org"}, expect_fail=True)
    assert result["msg"] == "parameters are mutually exclusive: name|domain"
