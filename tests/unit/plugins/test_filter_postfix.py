"""postfix_merge: how the postfix role combines its settings with other roles' contributions; postfix_list_aliases."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.postfix import (
    postfix_list_aliases,
    postfix_merge,
    postfix_sender_maps,
)

RESTRICTIONS = {
    "smtpd_relay_restrictions": {"permit": ["permit_mynetworks"], "reject": ["reject_unauth_destination"]},
    "smtpd_recipient_restrictions": {"permit": ["permit_mynetworks"], "reject": ["reject_unauth_destination"]},
}


@pytest.mark.parametrize(
    ("base", "contributions", "expected"),
    [
        pytest.param({"myhostname": "m.example"}, [], {"myhostname": "m.example"}, id="no-contributions"),
        pytest.param(
            {"relay_domains": ["a.example"]},
            [{"name": "mailman", "parameters": {"relay_domains": ["b.example", "a.example"]}}],
            {"relay_domains": ["a.example", "b.example"]},
            id="additive-dedup",
        ),
        pytest.param(
            {"local_recipient_maps": ["proxy:unix:passwd.byname", "$alias_maps"]},
            [{"name": "mailman", "parameters": {"local_recipient_maps": "hash:/m/postfix_lmtp"}}],
            {"local_recipient_maps": ["proxy:unix:passwd.byname", "$alias_maps", "hash:/m/postfix_lmtp"]},
            id="additive-from-string",
        ),
        pytest.param(
            {},
            [{"name": "mailman", "parameters": {"transport_maps": ["hash:/t"]}}],
            {"transport_maps": ["hash:/t"]},
            id="additive-new",
        ),
        pytest.param(
            {"recipient_delimiter": "+"},
            [{"name": "mailman", "parameters": {"recipient_delimiter": "+"}}],
            {"recipient_delimiter": "+"},
            id="same-scalar-agrees",
        ),
        pytest.param(
            {},
            [
                {"name": "z", "parameters": {"transport_maps": ["hash:/z"]}},
                {"name": "a", "parameters": {"transport_maps": ["hash:/a"]}},
            ],
            {"transport_maps": ["hash:/a", "hash:/z"]},
            id="contributions-ordered-by-name",
        ),
    ],
)
def test_parameters(base: dict, contributions: list, expected: dict) -> None:
    assert postfix_merge(base, contributions) == expected


def test_restrictions_put_permits_before_rejects() -> None:
    merged = postfix_merge(
        {},
        [
            {
                "name": "sasl_dovecot",
                "restrictions": {"smtpd_relay_restrictions": {"permit": ["permit_sasl_authenticated"]}},
            },
            {"name": "policy", "restrictions": {"smtpd_relay_restrictions": {"reject": ["reject_rbl_client x"]}}},
        ],
        RESTRICTIONS,
    )
    assert merged["smtpd_relay_restrictions"] == [
        "permit_mynetworks",
        "permit_sasl_authenticated",
        "reject_unauth_destination",
        "reject_rbl_client x",
    ]
    assert merged["smtpd_recipient_restrictions"] == ["permit_mynetworks", "reject_unauth_destination"]


@pytest.mark.parametrize(
    ("base", "contributions", "message"),
    [
        pytest.param(
            {"recipient_delimiter": "-"},
            [{"name": "mailman", "parameters": {"recipient_delimiter": "+"}}],
            "postfix_merge: mailman sets recipient_delimiter = '+', but the postfix role already sets '-'",
            id="scalar-conflict-with-role",
        ),
        pytest.param(
            {},
            [
                {"name": "a", "parameters": {"owner_request_special": "no"}},
                {"name": "b", "parameters": {"owner_request_special": "yes"}},
            ],
            "postfix_merge: b sets owner_request_special = 'yes', but a already sets 'no'",
            id="scalar-conflict-between-contributions",
        ),
        pytest.param(
            {},
            [{"name": "x", "parameters": {"smtpd_relay_restrictions": ["permit"]}}],
            "postfix_merge: x sets smtpd_relay_restrictions directly; contribute to it through `restrictions` instead",
            id="restriction-list-set-directly",
        ),
        pytest.param(
            {},
            [{"name": "x", "restrictions": {"smtpd_sender_restrictions": {"permit": ["permit"]}}}],
            "postfix_merge: x contributes to unknown restriction list(s) smtpd_sender_restrictions; "
            "known: smtpd_recipient_restrictions, smtpd_relay_restrictions",
            id="unknown-restriction-list",
        ),
    ],
)
def test_conflicts_are_named(base: dict, contributions: list, message: str) -> None:
    with pytest.raises(AnsibleFilterError) as error:
        postfix_merge(base, contributions, RESTRICTIONS)
    assert str(error.value) == message


def test_parameters_must_be_a_dict() -> None:
    with pytest.raises(AnsibleFilterError, match="parameters must be a dict, got list"):
        postfix_merge([], [])


# --- postfix_list_aliases ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lists", "list_dir", "expected"),
    [
        ([], "/etc/postfix/lists", {}),
        (
            [{"name": "staff", "owner": "alice@example.org", "members": ["bob@example.org"]}],
            "/etc/postfix/lists",
            {
                "staff": [":include:/etc/postfix/lists/staff"],
                "owner-staff": ["alice@example.org"],
                "staff-request": ["alice@example.org"],
            },
        ),
        (
            [{"name": "a", "owner": "o@x"}, {"name": "b", "owner": "p@x"}],
            "/srv/lists/",
            {
                "a": [":include:/srv/lists/a"],
                "owner-a": ["o@x"],
                "a-request": ["o@x"],
                "b": [":include:/srv/lists/b"],
                "owner-b": ["p@x"],
                "b-request": ["p@x"],
            },
        ),
        (
            [{"name": "gone", "state": "absent"}],
            "/etc/postfix/lists",
            {"gone": [":include:/etc/postfix/lists/gone"], "owner-gone": [], "gone-request": []},
        ),
    ],
    ids=["none", "one", "two-trailing-slash", "being-removed"],
)
def test_list_aliases(lists, list_dir, expected):
    assert postfix_list_aliases(lists, list_dir) == expected


@pytest.mark.parametrize(
    ("lists", "named"),
    [
        ("staff", "expected a list of lists, got 'staff'"),
        ([{"owner": "o@x"}], "a list needs a name, got {'owner': 'o@x'}"),
        (["staff"], "a list needs a name, got 'staff'"),
    ],
)
def test_list_aliases_refuse_bad_input_by_name(lists, named):
    with pytest.raises(AnsibleFilterError, match=re.escape(named)):
        postfix_list_aliases(lists, "/etc/postfix/lists")


# --- postfix_sender_maps ----------------------------------------------------------


def lookup(table: str, key: str):
    """A Postfix regexp table lookup: the first /pattern/ that matches the whole
    key (case-insensitively, Postfix's default) gives its result, $N expanded."""
    for line in table.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^/(.*)/ (.*)$", line)
        assert match, f"not a regexp table line: {line!r}"
        found = re.search(match.group(1), key, re.IGNORECASE)
        if found:
            return found.expand(re.sub(r"\$\{(\d)\}", r"\\g<\1>", match.group(2)))
    return None


MAPS = postfix_sender_maps(
    ["$myhostname", "localhost.$mydomain", "localhost", "example.test."],
    {"postmaster@example.test": ["alice", "bob"], "info@mail.example.test": "carol"},
    myhostname="mail.example.test",
    mydomain="example.test",
)


@pytest.mark.parametrize(
    ("sender", "owners"),
    [
        ("user1@mail.example.test", "user1, user1@mail.example.test"),
        ("USER1@Mail.Example.Test", "USER1, USER1@Mail.Example.Test"),
        ("user1+lists@mail.example.test", "user1, user1@mail.example.test"),
        ("root@localhost", "root, root@localhost"),
        ("root@localhost.example.test", "root, root@localhost.example.test"),
        ("anyone@example.test", "anyone, anyone@example.test"),
        ("postmaster@example.test", "alice, bob"),
        ("info@mail.example.test", "carol"),
        ("someone@elsewhere.example", None),
        ("user1@mail.example.test.evil.example", None),
        ("user1@xmail.example.test", None),
        ("user1@mailxexample.test", None),
        ("", None),
    ],
)
def test_sender_login_table_names_the_owners(sender, owners):
    assert lookup(MAPS["logins"], sender) == owners


@pytest.mark.parametrize(
    ("sender", "refused"),
    [
        ("user1@mail.example.test", True),
        ("x@LOCALHOST", True),
        ("postmaster@example.test", True),
        ("someone@elsewhere.example", False),
        ("user1@sub.mail.example.test", False),
        ("", False),
    ],
)
def test_sender_access_table_refuses_the_local_domains(sender, refused):
    result = lookup(MAPS["access"], sender)
    assert (result is not None) == refused
    if refused:
        assert result.startswith("REJECT 5.7.1 ")


def test_sender_maps_expand_and_deduplicate_the_domains():
    assert MAPS["domains"] == ["mail.example.test", "localhost.example.test", "localhost", "example.test"]
    braces = postfix_sender_maps(["${myhostname}", "$(mydomain)"], myhostname="m.example", mydomain="example")
    assert braces["domains"] == ["m.example", "example"]


def test_list_domains_are_owned_by_no_login():
    maps = postfix_sender_maps(["lists.example.test"], owner="nobody")
    assert lookup(maps["logins"], "team@lists.example.test") == "(no-login)"
    assert lookup(maps["logins"], "team-bounces@lists.example.test") == "(no-login)"
    assert lookup(maps["access"], "team@lists.example.test").startswith("REJECT")


def test_no_domains_give_tables_that_match_nothing():
    maps = postfix_sender_maps([])
    assert lookup(maps["logins"], "a@b.example") is None
    assert lookup(maps["access"], "a@b.example") is None


@pytest.mark.parametrize(
    ("domains", "logins", "owner", "named"),
    [
        (["hash:/etc/postfix/domains"], {}, "local-part", "'hash:/etc/postfix/domains'"),
        (["$virtual_alias_domains"], {}, "local-part", "'$virtual_alias_domains'"),
        (["bad domain.example"], {}, "local-part", "'bad domain.example'"),
        ("example.test", {}, "local-part", "'example.test'"),
        (["example.test"], {"not-an-address": "alice"}, "local-part", "'not-an-address'"),
        (["example.test"], {"a@example.test": []}, "local-part", "'a@example.test'"),
        (["example.test"], {"a@example.test": ["al ice"]}, "local-part", "'al ice'"),
        (["example.test"], {"a@example.test": ["$1"]}, "local-part", "'$1'"),
        (["example.test"], ["a@example.test"], "local-part", "['a@example.test']"),
        (["example.test"], {}, "somebody", "'somebody'"),
    ],
)
def test_sender_maps_refuse_bad_input_naming_it(domains, logins, owner, named):
    with pytest.raises(AnsibleFilterError, match=re.escape(named)):
        postfix_sender_maps(domains, logins, owner, who="postfix_sender_login_domains")
