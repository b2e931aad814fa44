# SPDX-License-Identifier: GPL-3.0-or-later
"""postfix_config: rendering and comparing values, parsing postconf output, writing master.cf entries."""

from __future__ import annotations

import pytest
from ansible_collections.listserv.mailstack.plugins.module_utils.postfix_config import (
    ARGUMENT_PATTERN,
    COMMAND_PATTERN,
    MAXPROC_PATTERN,
    SERVICE_NAME_PATTERN,
    WAKEUP_PATTERN,
    PostfixConfigError,
    check_name,
    is_name,
    normalise,
    parse_parameters,
    parse_service_options,
    parse_services,
    parse_unused_parameters,
    references,
    render_entry,
    render_entry_lines,
    render_option,
    render_value,
    split_daemon_options,
    split_master_tokens,
)

# --- rendering values ----------------------------------------------------------------------

RENDER_CASES = [
    pytest.param("mail.example.org", ", ", "mail.example.org", id="string"),
    pytest.param("  padded value  ", ", ", "padded value", id="string-stripped"),
    pytest.param("", ", ", "", id="empty-string"),
    pytest.param(True, ", ", "yes", id="bool-true"),
    pytest.param(False, ", ", "no", id="bool-false"),
    pytest.param(0, ", ", "0", id="int-zero"),
    pytest.param(52428800, ", ", "52428800", id="int"),
    pytest.param(-1, ", ", "-1", id="int-negative"),
    pytest.param(["permit_mynetworks", "reject"], ", ", "permit_mynetworks, reject", id="list"),
    pytest.param(["permit_mynetworks", "reject"], ",", "permit_mynetworks,reject", id="list-option-separator"),
    pytest.param(["a", "", "  ", "b"], ", ", "a, b", id="list-empty-elements-dropped"),
    pytest.param(["a", 1, True], ", ", "a, 1, yes", id="list-mixed-scalars"),
    pytest.param((" x ", "y"), ", ", "x, y", id="tuple"),
    pytest.param([], ", ", "", id="empty-list"),
    pytest.param(
        ["check_policy_service { inet:127.0.0.1:10023, timeout=10s }", "reject_unauth_destination"],
        ", ",
        "check_policy_service { inet:127.0.0.1:10023, timeout=10s }, reject_unauth_destination",
        id="list-with-braces",
    ),
]


@pytest.mark.parametrize(("value", "separator", "expected"), RENDER_CASES)
def test_render_value(value, separator, expected):
    assert render_value("parameter p", value, separator) == expected


RENDER_ERROR_CASES = [
    pytest.param(None, "value of parameter p is null; use an empty string for an empty value", id="null"),
    pytest.param({"a": 1}, "value of parameter p must be a string, integer, boolean or list, not dict", id="dict"),
    pytest.param(1.5, "value of parameter p must be a string, integer, boolean or list, not float", id="float"),
    pytest.param(
        ["a", {"b": 1}],
        "value of parameter p must be a list of strings, integers or booleans, not a list with a dict element",
        id="list-dict-element",
    ),
    pytest.param(
        [["nested"]],
        "value of parameter p must be a list of strings, integers or booleans, not a list with a list element",
        id="list-list-element",
    ),
    pytest.param(
        ["a", None],
        "value of parameter p must be a list of strings, integers or booleans, not a list with a NoneType element",
        id="list-null-element",
    ),
    pytest.param(
        "a\nb = c",
        "value of parameter p contains a newline or another control character: 'a\\nb = c'",
        id="newline",
    ),
    pytest.param(
        "a\rb", "value of parameter p contains a newline or another control character: 'a\\rb'", id="carriage-return"
    ),
    pytest.param("a\x00b", "value of parameter p contains a newline or another control character: 'a\\x00b'", id="nul"),
    pytest.param("a\tb", "value of parameter p contains a newline or another control character: 'a\\tb'", id="tab"),
    pytest.param(
        "a\x1bb", "value of parameter p contains a newline or another control character: 'a\\x1bb'", id="escape"
    ),
    pytest.param(
        "a\x7fb", "value of parameter p contains a newline or another control character: 'a\\x7fb'", id="delete"
    ),
    pytest.param(
        ["ok", "x\ny"],
        "value of parameter p contains a newline or another control character: 'x\\ny'",
        id="newline-in-list",
    ),
]


@pytest.mark.parametrize(("value", "message"), RENDER_ERROR_CASES)
def test_render_value_refuses(value, message):
    with pytest.raises(PostfixConfigError) as error:
        render_value("parameter p", value)
    assert str(error.value) == message


# --- names ---------------------------------------------------------------------------------

NAME_CASES = [
    ("myhostname", True),
    ("smtp_tls_CAfile", True),
    ("2bounce_notice_recipient", True),
    ("_x", True),
    ("", False),
    ("my-param", False),
    ("my.param", False),
    ("my param", False),
    ("myhostname\n", False),
    ("name=value", False),
    ("é", False),
    (12, False),
    (None, False),
]


@pytest.mark.parametrize(("name", "valid"), NAME_CASES)
def test_is_name(name, valid):
    assert is_name(name) is valid


def test_check_name_message():
    with pytest.raises(PostfixConfigError) as error:
        check_name("my-param")
    assert str(error.value) == "invalid parameter name 'my-param': use only letters, digits and underscores"
    check_name("myhostname")


PATTERN_CASES = [
    (SERVICE_NAME_PATTERN, "submission", True),
    (SERVICE_NAME_PATTERN, "127.0.0.1:8025", True),
    (SERVICE_NAME_PATTERN, "[::1]:25", True),
    (SERVICE_NAME_PATTERN, "scalemail-backend", True),
    (SERVICE_NAME_PATTERN, "", False),
    (SERVICE_NAME_PATTERN, "sub mission", False),
    (SERVICE_NAME_PATTERN, "a/b", False),
    (SERVICE_NAME_PATTERN, "a=b", False),
    (SERVICE_NAME_PATTERN, "#smtp", False),
    (SERVICE_NAME_PATTERN, "-v", False),
    (SERVICE_NAME_PATTERN, "{x}", False),
    (SERVICE_NAME_PATTERN, "smtp\n", False),
    (COMMAND_PATTERN, "smtpd", True),
    (COMMAND_PATTERN, "trivial-rewrite", True),
    # master(8) runs daemon_directory/command: no absolute path, no way out with "../".
    (COMMAND_PATTERN, "/usr/lib/postfix/sbin/smtpd", False),
    (COMMAND_PATTERN, "../../../bin/sh", False),
    (COMMAND_PATTERN, "smtpd -v", False),
    (COMMAND_PATTERN, "-v", False),
    (COMMAND_PATTERN, "smtpd\n", False),
    (ARGUMENT_PATTERN, "flags=FR", True),
    (ARGUMENT_PATTERN, "${nexthop}", True),
    (ARGUMENT_PATTERN, "", False),
    (ARGUMENT_PATTERN, "a b", False),
    (ARGUMENT_PATTERN, "a\u00a0b", False),
    (ARGUMENT_PATTERN, "ab\n", False),
    (WAKEUP_PATTERN, "-", True),
    (WAKEUP_PATTERN, "60", True),
    (WAKEUP_PATTERN, "1000?", True),
    (WAKEUP_PATTERN, "?", False),
    (WAKEUP_PATTERN, "60s", False),
    (WAKEUP_PATTERN, "60\n", False),
    (MAXPROC_PATTERN, "-", True),
    (MAXPROC_PATTERN, "0", True),
    (MAXPROC_PATTERN, "100", True),
    (MAXPROC_PATTERN, "1?", False),
    (MAXPROC_PATTERN, "many", False),
]


@pytest.mark.parametrize(("pattern", "text", "valid"), PATTERN_CASES)
def test_patterns(pattern, text, valid):
    assert (pattern.fullmatch(text) is not None) is valid


# --- comparing values ------------------------------------------------------------------------

NORMALISE_CASES = [
    ("a, b", "a b"),
    ("a,b", "a b"),
    ("a ,  b,,c", "a b c"),
    ("a,\n    b\n\tc", "a b c"),
    ("  leading and trailing  ", "leading and trailing"),
    (",a,", "a"),
    ("", ""),
    (" , ", ""),
    ("$myhostname ESMTP $mail_name (Debian)", "$myhostname ESMTP $mail_name (Debian)"),
    (
        "check_policy_service { inet:127.0.0.1:10023, timeout=10s }",
        "check_policy_service { inet:127.0.0.1:10023 timeout=10s }",
    ),
]


@pytest.mark.parametrize(("value", "expected"), NORMALISE_CASES)
def test_normalise(value, expected):
    assert normalise(value) == expected


def test_normalise_treats_separators_alike():
    spellings = [
        "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
        "permit_mynetworks,permit_sasl_authenticated,reject_unauth_destination",
        "permit_mynetworks permit_sasl_authenticated reject_unauth_destination",
        "permit_mynetworks,\n    permit_sasl_authenticated,\n    reject_unauth_destination",
    ]
    assert len({normalise(spelling) for spelling in spellings}) == 1
    assert normalise("permit_mynetworks, reject") != normalise("reject, permit_mynetworks")


REFERENCE_CASES = [
    ("$myhostname", {"myhostname"}),
    ("${mua_client_restrictions}", {"mua_client_restrictions"}),
    ("$(mua_client_restrictions)", {"mua_client_restrictions"}),
    ("${multi_instance_name?{$multi_instance_name}:{postfix}}/$service_name", {"multi_instance_name", "service_name"}),
    ("hash:/etc/postfix/virtual, $alias_maps", {"alias_maps"}),
    ("no references", set()),
    ("$", set()),
]


@pytest.mark.parametrize(("value", "expected"), REFERENCE_CASES)
def test_references(value, expected):
    assert references(value) == expected


# --- parsing postconf output -------------------------------------------------------------------

POSTCONF_N = """\
alias_maps = hash:/etc/aliases
mailbox_command =
mydestination = $myhostname, localhost.localdomain, localhost
smtpd_banner = $myhostname ESMTP $mail_name (Debian)
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
equals = a=b = c
"""


def test_parse_parameters():
    assert parse_parameters(POSTCONF_N) == {
        "alias_maps": "hash:/etc/aliases",
        "mailbox_command": "",
        "mydestination": "$myhostname, localhost.localdomain, localhost",
        "smtpd_banner": "$myhostname ESMTP $mail_name (Debian)",
        "smtpd_relay_restrictions": "permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
        "equals": "a=b = c",
    }


def test_parse_parameters_skips_other_lines():
    text = "postconf: warning: x: unknown parameter\n\nnot a parameter line\nbad-name = x\nok = 1\n"
    assert parse_parameters(text) == {"ok": "1"}


POSTCONF_N_STDERR = """\
/usr/sbin/postconf: warning: /etc/postfix/main.cf: unused parameter: site_networks=192.0.2.0/24
/usr/sbin/postconf: warning: /etc/postfix/main.cf: unused parameter: site_empty=
postconf: warning: /tmp/x/main.cf: unused parameter: site_list=a,   b  c  d
postconf: warning: /tmp/x/main.cf: unused parameter: site_eq=x=y = z
/usr/sbin/postconf: warning: /etc/postfix/master.cf: unused parameter: smtpd_x=y
/usr/sbin/postconf: warning: something else
"""


def test_parse_unused_parameters():
    assert parse_unused_parameters(POSTCONF_N_STDERR) == {
        "site_networks": "192.0.2.0/24",
        "site_empty": "",
        "site_list": "a,   b  c  d",
        "site_eq": "x=y = z",
    }


TOKEN_CASES = [
    ("smtp inet n - y - - smtpd", ["smtp", "inet", "n", "-", "y", "-", "-", "smtpd"]),
    ("  a   b\tc ", ["a", "b", "c"]),
    ("smtpd -o {c=d e} -o x=y", ["smtpd", "-o", "{c=d e}", "-o", "x=y"]),
    (
        "smtp -o {a=check_policy_service { inet:x, timeout=1s }, reject} -v",
        ["smtp", "-o", "{a=check_policy_service { inet:x, timeout=1s }, reject}", "-v"],
    ),
    (
        "-o syslog_name=${multi_instance_name?{$multi_instance_name}:{postfix}}/$service_name",
        ["-o", "syslog_name=${multi_instance_name?{$multi_instance_name}:{postfix}}/$service_name"],
    ),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), TOKEN_CASES)
def test_split_master_tokens(text, expected):
    assert split_master_tokens(text) == expected


DAEMON_OPTION_CASES = [
    pytest.param([], ([], [], []), id="none"),
    pytest.param(["-o", "a=b", "-o", "c=d"], ([], ["a=b", "c=d"], []), id="overrides"),
    pytest.param(["-v", "-o", "a=b", "-v"], (["-v", "-v"], ["a=b"], []), id="flags-around-overrides"),
    pytest.param(["-oa=b", "-o", "c=d"], ([], ["a=b", "c=d"], []), id="attached-override"),
    pytest.param(["-n", "name", "-o", "a=b"], (["-n", "name"], ["a=b"], []), id="option-with-value"),
    pytest.param(["-nname", "-o", "a=b"], (["-nname"], ["a=b"], []), id="option-with-attached-value"),
    pytest.param(
        ["flags=R", "argv=/usr/sbin/sendmail", "-oi", "-o", "x"],
        ([], [], ["flags=R", "argv=/usr/sbin/sendmail", "-oi", "-o", "x"]),
        id="later-o-is-an-argument",
    ),
    pytest.param(
        ["-o", "a=b", "flags=R", "-o", "c=d"], ([], ["a=b"], ["flags=R", "-o", "c=d"]), id="options-then-arguments"
    ),
    pytest.param(["--", "-o", "a=b"], ([], [], ["--", "-o", "a=b"]), id="double-dash"),
    pytest.param(["-o"], ([], [""], []), id="dangling-o"),
    pytest.param(["-", "-o", "a=b"], ([], [], ["-", "-o", "a=b"]), id="lone-dash-is-an-argument"),
]


@pytest.mark.parametrize(("words", "expected"), DAEMON_OPTION_CASES)
def test_split_daemon_options(words, expected):
    assert split_daemon_options(words) == expected


# `postconf -M` output of Debian 12 (Postfix 3.7) with a few additions.
POSTCONF_M = """\
smtp       inet  n       -       y       -       -       smtpd
pickup     unix  n       -       y       60      1       pickup
tlsmgr     unix  -       -       y       1000?   1       tlsmgr
relay      unix  -       -       y       -       -       smtp -o syslog_name=postfix/$service_name
submission inet  n       -       y       -       -       smtpd -o syslog_name=postfix/submission -o {smtpd_relay_restrictions=permit_sasl_authenticated, reject} -v
postlog    unix-dgram n  -       n       -       1       postlogd
mailman    unix  -       n       n       -       -       pipe flags=FRX user=list argv=/usr/lib/mailman/bin/postfix-to-mailman.py ${nexthop} ${user}
sendmail   unix  -       n       n       -       -       pipe -o syslog_name=x flags=R user=nobody argv=/usr/sbin/sendmail -oi -f ${sender}
broken line
"""  # noqa: E501


def entry(line, args=""):
    """An entry as parse_services returns it, from its eight columns and its arguments."""
    name, service_type, private, unprivileged, chroot, wakeup, maxproc, command = line.split()
    return {
        "name": name,
        "type": service_type,
        "private": private,
        "unprivileged": unprivileged,
        "chroot": chroot,
        "wakeup": wakeup,
        "maxproc": maxproc,
        "command": command,
        "args": args.split(),
    }


def test_parse_services():
    assert parse_services(POSTCONF_M) == {
        "smtp/inet": entry("smtp inet n - y - - smtpd"),
        "pickup/unix": entry("pickup unix n - y 60 1 pickup"),
        "tlsmgr/unix": entry("tlsmgr unix - - y 1000? 1 tlsmgr"),
        "relay/unix": entry("relay unix - - y - - smtp"),
        "submission/inet": entry("submission inet n - y - - smtpd", "-v"),
        "postlog/unix-dgram": entry("postlog unix-dgram n - n - 1 postlogd"),
        "mailman/unix": entry(
            "mailman unix - n n - - pipe",
            "flags=FRX user=list argv=/usr/lib/mailman/bin/postfix-to-mailman.py ${nexthop} ${user}",
        ),
        "sendmail/unix": entry(
            "sendmail unix - n n - - pipe", "flags=R user=nobody argv=/usr/sbin/sendmail -oi -f ${sender}"
        ),
    }


POSTCONF_P = """\
relay/unix/syslog_name = postfix/$service_name
submission/inet/smtpd_relay_restrictions = permit_sasl_authenticated, reject
submission/inet/syslog_name = postfix/submission
submission/inet/smtpd_helo_required =
127.0.0.1:10025/inet/content_filter =
postconf: warning: something
"""


def test_parse_service_options():
    assert parse_service_options(POSTCONF_P) == {
        "relay/unix": {"syslog_name": "postfix/$service_name"},
        "submission/inet": {
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject",
            "syslog_name": "postfix/submission",
            "smtpd_helo_required": "",
        },
        "127.0.0.1:10025/inet": {"content_filter": ""},
    }


# --- writing master.cf entries -------------------------------------------------------------------

RESTRICTIONS = "smtpd_client_restrictions"
OPTION_CASES = [
    ("syslog_name", "postfix/submission", "syslog_name=postfix/submission"),
    (RESTRICTIONS, "permit_sasl_authenticated,reject", f"{RESTRICTIONS}=permit_sasl_authenticated,reject"),
    (RESTRICTIONS, "permit_sasl_authenticated, reject", f"{{ {RESTRICTIONS} = permit_sasl_authenticated, reject }}"),
    ("smtpd_helo_required", "", "smtpd_helo_required="),
]


@pytest.mark.parametrize(("name", "value", "expected"), OPTION_CASES)
def test_render_option(name, value, expected):
    assert render_option(name, value) == expected


SUBMISSION = entry("submission inet n - y - - smtpd")
MAILMAN = entry("mailman unix - n n - - pipe", "flags=FR user=list argv=/bin/mm ${nexthop}")
ENTRY_CASES = [
    pytest.param(SUBMISSION, {}, "submission inet n - y - - smtpd", ["submission inet n - y - - smtpd"], id="plain"),
    pytest.param(
        SUBMISSION,
        {"smtpd_tls_security_level": "encrypt", "smtpd_client_restrictions": "permit_sasl_authenticated, reject"},
        "submission inet n - y - - smtpd -o smtpd_tls_security_level=encrypt"
        " -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }",
        [
            "submission inet n - y - - smtpd",
            "  -o smtpd_tls_security_level=encrypt",
            "  -o { smtpd_client_restrictions = permit_sasl_authenticated, reject }",
        ],
        id="overrides",
    ),
    pytest.param(
        MAILMAN,
        {"syslog_name": "postfix/mailman"},
        "mailman unix - n n - - pipe -o syslog_name=postfix/mailman flags=FR user=list argv=/bin/mm ${nexthop}",
        [
            "mailman unix - n n - - pipe",
            "  -o syslog_name=postfix/mailman",
            "  flags=FR user=list argv=/bin/mm ${nexthop}",
        ],
        id="overrides-before-arguments",
    ),
]


@pytest.mark.parametrize(("service", "options", "expected", "lines"), ENTRY_CASES)
def test_render_entry(service, options, expected, lines):
    assert render_entry(service, options) == expected
    assert render_entry_lines(service, options) == lines


@pytest.mark.parametrize(("service", "options", "expected", "lines"), ENTRY_CASES)
def test_render_entry_reads_back(service, options, expected, lines):
    """What render_entry writes, parse_services reads as the same entry (postconf -M prints it alike)."""
    assert parse_services(expected) == {f"{service['name']}/{service['type']}": service}
