"""postfix_merge: how the postfix role combines its settings with other roles' contributions; postfix_list_aliases."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.postfix import postfix_list_aliases, postfix_merge

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
