# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""account_id_conflicts and account_id_differences: every disagreement named,
nothing when the ids agree; getent's results as ansible.builtin.getent gives them."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.accounts import (
    FilterModule,
    account_id_conflicts,
    account_id_differences,
)

LIST = {"name": "list", "uid": 38, "group": "list", "gid": 38}
USER_OK = {"list": ["x", "38", "38", "Mailing List Manager", "/var/list", "/usr/sbin/nologin"]}
GROUP_OK = {"list": ["x", "38", ""]}
NO_USER = {"list": None}
NO_GROUP = {"list": None}
UID_FREE = {"38": None}
GID_FREE = {"38": None}
UID_LIST = {"list": USER_OK["list"]}
GID_LIST = {"list": GROUP_OK["list"]}


@pytest.mark.parametrize(
    ("by_name", "group", "by_uid", "by_gid", "expected"),
    [
        (USER_OK, GROUP_OK, UID_LIST, GID_LIST, []),
        (NO_USER, NO_GROUP, UID_FREE, GID_FREE, []),
        (NO_USER, GROUP_OK, UID_FREE, GID_LIST, []),
        (
            {"list": ["x", "1001", "38", "", "/", "/bin/sh"]},
            GROUP_OK,
            UID_FREE,
            GID_LIST,
            ["user list has uid 1001, expected 38"],
        ),
        (
            {"list": ["x", "38", "100", "", "/", "/bin/sh"]},
            GROUP_OK,
            UID_LIST,
            GID_LIST,
            ["user list has primary gid 100, expected 38"],
        ),
        (USER_OK, {"list": ["x", "99", ""]}, UID_LIST, GID_FREE, ["group list has gid 99, expected 38"]),
        (
            NO_USER,
            NO_GROUP,
            {"backup": ["x", "38", "34", "", "/", "/bin/sh"]},
            {"backup": ["x", "38", ""]},
            ["uid 38 belongs to user backup, expected list", "gid 38 belongs to group backup, expected list"],
        ),
        (
            {"list": ["x", "1001", "1001", "", "/", "/bin/sh"]},
            {"list": ["x", "1001", ""]},
            {"irc": ["x", "38", "39", "", "/", "/bin/sh"]},
            {"irc": ["x", "38", ""]},
            [
                "user list has uid 1001, expected 38",
                "user list has primary gid 1001, expected 38",
                "group list has gid 1001, expected 38",
                "uid 38 belongs to user irc, expected list",
                "gid 38 belongs to group irc, expected list",
            ],
        ),
    ],
    ids=["as-wanted", "absent", "group-only", "uid", "primary-gid", "group-gid", "ids-taken", "everything"],
)
def test_conflicts(by_name, group, by_uid, by_gid, expected):
    assert account_id_conflicts(LIST, by_name, group, by_uid, by_gid) == expected


def test_ids_given_as_strings_compare_as_numbers():
    want = {"name": "list", "uid": "38", "group": "list", "gid": "038"}
    assert account_id_conflicts(want, USER_OK, GROUP_OK, UID_LIST, GID_LIST) == []


@pytest.mark.parametrize(
    ("by_name", "group", "expected"),
    [
        (USER_OK, GROUP_OK, []),
        (NO_USER, GROUP_OK, ["user list is missing on mail.example.org"]),
        (USER_OK, NO_GROUP, ["group list is missing on mail.example.org"]),
        (
            {"list": ["x", "1001", "38", "", "/", "/bin/sh"]},
            GROUP_OK,
            ["user list has uid 1001 and gid 38 on mail.example.org, expected 38 and 38"],
        ),
        (
            {"list": ["x", "38", "39", "", "/", "/bin/sh"]},
            {"list": ["x", "39", ""]},
            [
                "user list has uid 38 and gid 39 on mail.example.org, expected 38 and 38",
                "group list has gid 39 on mail.example.org, expected 38",
            ],
        ),
        (NO_USER, NO_GROUP, ["user list is missing on mail.example.org", "group list is missing on mail.example.org"]),
    ],
    ids=["same", "user-missing", "group-missing", "uid", "both-ids", "both-missing"],
)
def test_differences(by_name, group, expected):
    assert account_id_differences(LIST, by_name, group, "mail.example.org") == expected


@pytest.mark.parametrize(
    "account",
    [{"name": "list", "uid": 38, "group": "list"}, {"name": "list", "uid": "x", "group": "list", "gid": 38}, None],
)
def test_bad_account_is_an_error_naming_it(account):
    with pytest.raises(AnsibleFilterError, match="needs name, uid, group and gid"):
        account_id_conflicts(account, USER_OK, GROUP_OK, UID_LIST, GID_LIST)


def test_getent_result_must_be_a_mapping():
    with pytest.raises(AnsibleFilterError, match="expected getent's result"):
        account_id_conflicts(LIST, ["list"], GROUP_OK, UID_LIST, GID_LIST)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"account_id_conflicts", "account_id_differences"}
