"""mailman_web: the REST URL follows where core says its API listens; loopback from another node is refused."""

from __future__ import annotations

import pytest
from role_render import evaluate, load_yaml, role_variables

ROLE = "mailman_web"
CHECK = "Check that this node can reach Mailman core's REST API"
DERIVE = "Derive the REST URL, the archiver's addresses and the Mailman 2 domain"


def task(name):
    return next(t for t in load_yaml(ROLE, "tasks/preflight.yml") if t["name"] == name)


def values(rest_host, *, web="web1", rest_url="", address="192.0.2.10"):
    facts = {"version": 1, "rest": {"host": rest_host, "port": 8011, "user": "restadmin"}, "domains": ["lists.x"]}
    hostvars = {web: {"ansible_facts": {}}, "mail1": {"ansible_facts": {"ansible_local": {"listserv_mailman": facts}}}}
    return role_variables(
        ROLE,
        hostvars=hostvars,
        inventory_hostname=web,
        mailman_web_core_host="mail1",
        mailman_web_rest_url=rest_url,
        __mailman_web_core_address=address,
    )


@pytest.mark.parametrize(
    ("rest_host", "web", "address", "url"),
    [
        ("0.0.0.0", "web1", "192.0.2.10", "http://192.0.2.10:8011"),  # noqa: S104 (what core publishes)
        ("::", "web1", "2001:db8::10", "http://[2001:db8::10]:8011"),
        ("198.51.100.7", "web1", "192.0.2.10", "http://198.51.100.7:8011"),
        ("2001:db8::7", "web1", "192.0.2.10", "http://[2001:db8::7]:8011"),
        ("127.0.0.1", "mail1", "192.0.2.10", "http://127.0.0.1:8011"),
        ("", "web1", "192.0.2.10", "http://192.0.2.10:8011"),
    ],
    ids=["everywhere-v4", "everywhere-v6", "one-address", "one-v6-address", "loopback-same-node", "unpublished"],
)
def test_rest_url_follows_where_core_listens(rest_host, web, address, url):
    variables = values(rest_host, web=web, address=address)
    assert evaluate("{{ " + task(CHECK)["ansible.builtin.assert"]["that"] + " }}", variables) is True
    derived = evaluate(task(DERIVE)["ansible.builtin.set_fact"]["__mailman_web_rest_url"], variables)
    assert derived.strip() == url


@pytest.mark.parametrize("rest_host", ["127.0.0.1", "127.0.1.1", "::1", "localhost"])
def test_loopback_core_from_another_node_is_refused_by_name(rest_host):
    variables = values(rest_host)
    check = task(CHECK)["ansible.builtin.assert"]
    assert evaluate("{{ " + check["that"] + " }}", variables) is False
    message = evaluate(check["fail_msg"], variables)
    assert f"on mail1 serves its REST API on {rest_host} only" in message
    assert "web1 cannot reach" in message


def test_a_given_rest_url_wins():
    variables = values("127.0.0.1", rest_url="http://192.0.2.99:8001")
    assert evaluate("{{ " + task(CHECK)["ansible.builtin.assert"]["that"] + " }}", variables) is True
    derived = evaluate(task(DERIVE)["ansible.builtin.set_fact"]["__mailman_web_rest_url"], variables)
    assert derived.strip() == "http://192.0.2.99:8001"
