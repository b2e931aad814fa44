"""The mailman role's mailman.cfg: what Mailman reads from it, parsed as Mailman parses it (ini)."""

from __future__ import annotations

import configparser

import pytest
from role_render import render_template

ROLE = "mailman"
BASE = {
    "ansible_facts": {"fqdn": "mail.example.org"},
    "inventory_hostname_short": "mail",
    "mailman_domains": ["lists.example.org"],
    "__mailman_rest_password": "rest-secret",
}
REST_PASSWORD = BASE["__mailman_rest_password"]
QUEUE_RUNNERS = ["archive", "bounces", "command", "digest", "in", "nntp", "out", "pipeline", "virgin"]


def mailman_cfg(**overrides: object) -> configparser.ConfigParser:
    text = render_template(ROLE, "etc/mailman3/mailman.cfg.j2", **{**BASE, **overrides})
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser


def test_defaults_keep_mailmans_runner_interval_and_shorten_the_retry():
    cfg = mailman_cfg()
    assert cfg["runner.retry"]["sleep_time"] == "1m"
    for runner in QUEUE_RUNNERS:
        assert cfg[f"runner.{runner}"]["sleep_time"] == "1s", runner
    # The runners that do not scan a queue keep Mailman's settings.
    for runner in ("lmtp", "rest", "task"):
        assert not cfg.has_section(f"runner.{runner}")


@pytest.mark.parametrize(("interval", "retry"), [("0.25s", "30s"), ("2s", "5m")])
def test_runner_intervals_are_set_on_every_queue_runner(interval, retry):
    cfg = mailman_cfg(mailman_runner_sleep_time=interval, mailman_retry_interval=retry)
    assert cfg["runner.retry"]["sleep_time"] == retry
    assert {runner: cfg[f"runner.{runner}"]["sleep_time"] for runner in QUEUE_RUNNERS} == dict.fromkeys(
        QUEUE_RUNNERS, interval
    )


@pytest.mark.parametrize(
    ("graceful", "window", "bulk", "plugin"),
    [
        (True, 7, True, True),
        (False, 7, False, True),
        (True, 0, False, True),
        (False, 0, True, True),
        (False, 0, False, False),
    ],
)
def test_the_plugin_is_configured_while_one_of_its_features_is_on(graceful, window, bulk, plugin):
    cfg = mailman_cfg(
        mailman_graceful_stop=graceful,
        mailman_duplicate_window_days=window,
        mailman_bulk_member_recipients=bulk,
    )
    assert cfg.has_section("plugin.listserv_mailstack") is plugin
    if plugin:
        section = cfg["plugin.listserv_mailstack"]
        assert section["class"] == "listserv_mailstack_mailman.Plugin"
        assert section["configuration"] == "/etc/mailman3/listserv-mailstack.cfg"


def test_rest_api_and_archiver():
    cfg = mailman_cfg()
    assert cfg["webservice"]["hostname"] == "127.0.0.1"
    assert cfg["webservice"]["admin_pass"] == REST_PASSWORD
    assert not cfg.has_section("archiver.hyperkitty")
    cfg = mailman_cfg(mailman_hyperkitty_url="https://web.example.org/hyperkitty/")
    assert cfg["archiver.hyperkitty"]["configuration"] == "/etc/mailman3/mailman-hyperkitty.cfg"


@pytest.mark.parametrize(("given", "expected"), [(None, "500"), (1000, "1000"), (10, "10")])
def test_recipients_per_smtp_transaction(given, expected):
    cfg = mailman_cfg(**({} if given is None else {"mailman_max_recipients": given}))
    assert cfg["mta"]["max_recipients"] == expected


def test_arc_signs_with_the_nodes_key_for_the_first_list_domain():
    arc = mailman_cfg()["ARC"]
    assert arc["enabled"] == "yes"
    assert arc["domain"] == "lists.example.org"
    assert arc["selector"] == "arc-mail-1"
    assert arc["privkey"] == "/etc/mailman3/arc/lists.example.org.arc-mail-1.key"
    assert arc["authserv_id"] == "mail.example.org"
    assert arc["trusted_authserv_ids"] == "mail.example.org"


def test_arc_can_be_switched_off_and_trusts_the_given_ids():
    assert not mailman_cfg(mailman_arc=False).has_section("ARC")
    arc = mailman_cfg(mailman_arc_trusted_authserv_ids=["mail.example.org", "mx2.example.org"])["ARC"]
    assert arc["trusted_authserv_ids"] == "mail.example.org, mx2.example.org"
