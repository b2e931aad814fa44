# SPDX-License-Identifier: GPL-3.0-or-later
"""postconf against a fake postconf: exact command lines, check mode, diffs, unknown names, every refusal.

The fake keeps main.cf's explicit settings and master.cf's services in dicts,
answers the module's reads (-n, -d, -M, -P) as Postfix 3.7/3.10 print them and
carries out its writes (-e, -X, -M, -MX, -P, -PX), so that a second run sees the
result of the first.
"""

from __future__ import annotations

import os

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.module_utils.postfix_config import (
    parse_services,
    split_daemon_options,
    split_master_tokens,
)
from ansible_collections.listserv.mailstack.plugins.modules import postconf
from module_harness import ExitJson, FailJson, patch_node

POSTCONF = "/usr/sbin/postconf"
TMP = "<tmp>"
DEFAULTS = {
    "alias_maps": "hash:/etc/aliases, nis:mail.aliases",
    "config_directory": "/etc/postfix",
    "content_filter": "",
    "disable_vrfy_command": "no",
    "mail_version": "3.10.13",
    "mailbox_command": "",
    "message_size_limit": "10240000",
    "milter_macro_daemon_name": "$myhostname",
    "myhostname": "host.example.org",
    "mynetworks": "127.0.0.0/8",
    "receive_override_options": "",
    "relayhost": "",
    "smtpd_banner": "$myhostname ESMTP $mail_name",
    "smtpd_client_restrictions": "",
    "smtpd_recipient_restrictions": "",
    "smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    "smtpd_sasl_auth_enable": "no",
    "smtpd_sender_restrictions": "",
    "smtpd_tls_auth_only": "no",
    "smtpd_tls_security_level": "",
    "syslog_name": "postfix",
}
# Per-service parameters postconf -d adds for master.cf services by their command
# (a part of Postfix's list).
SERVICE_SUFFIXES = {
    "smtp": ["destination_recipient_limit", "destination_concurrency_limit"],
    "lmtp": ["destination_recipient_limit", "destination_concurrency_limit"],
    "pipe": ["destination_recipient_limit", "destination_concurrency_limit", "time_limit"],
    "spawn": ["time_limit"],
}
MAIN_CF = {
    "myhostname": "host.example.org",
    "smtpd_relay_restrictions": "permit_mynetworks permit_sasl_authenticated defer_unauth_destination",
    "mynetworks": "127.0.0.0/8 [::1]/128",
    "alias_maps": "hash:/etc/aliases",
}
MASTER_CF = """\
smtp       inet  n       -       y       -       -       smtpd
pickup     unix  n       -       y       60      1       pickup
smtp       unix  -       -       y       -       -       smtp
relay      unix  -       -       y       -       -       smtp -o syslog_name=postfix/$service_name
"""


def unbrace(text):
    """An override as written in master.cf ("a=b" or "{ a = b }") as (name, value)."""
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    name, value = text.split("=", 1)
    return name.strip(), value.strip()


class FakePostconf:
    """main.cf and master.cf as postconf sees them."""

    def __init__(self, config_dir=None):
        self.config_dir = config_dir
        self.main = dict(MAIN_CF)
        self.services = parse_services(MASTER_CF)
        self.options = {"relay/unix": {"syslog_name": "postfix/$service_name"}}
        self.calls = []
        self.failures = {}  # flag -> (rc, stdout, stderr)

    # --- what postconf knows ---------------------------------------------------------------

    @staticmethod
    def service_names(services):
        names = {}
        for service in services:
            for suffix in SERVICE_SUFFIXES.get(service["command"], []):
                names[f"{service['name']}_{suffix}"] = f"$default_{suffix}"
        return names

    def known(self):
        known = set(DEFAULTS) | set(self.service_names(self.services.values()))
        for value in self.main.values():
            known |= postconf.references(value)
        for options in self.options.values():
            for value in options.values():
                known |= postconf.references(value)
        return known

    # --- the command -----------------------------------------------------------------------

    def run_command(self, argv, environ_update=None, data=None, check_rc=False):
        assert isinstance(argv, list)
        assert environ_update["LC_ALL"] == "C"
        assert argv[0] == POSTCONF
        args = argv[1:]
        config_dir = None
        if args[:1] == ["-c"]:
            config_dir = args[1]
            args = args[2:]
        temporary = config_dir is not None and config_dir != self.config_dir
        self.calls.append([POSTCONF, "-c", TMP if temporary else config_dir, *args] if config_dir else argv)
        flag, rest = args[0], args[1:]
        if flag in self.failures:
            return self.failures[flag]
        if temporary:
            assert args == ["-d"]
            return self.defaults(config_dir)
        return getattr(self, "do_" + flag.lstrip("-"))(rest)

    def defaults(self, temporary_dir=None):
        if temporary_dir:
            with open(os.path.join(temporary_dir, "main.cf"), encoding="utf-8") as handle:
                assert handle.read() == ""
            with open(os.path.join(temporary_dir, "master.cf"), encoding="utf-8") as handle:
                self.temporary_master_cf = handle.read()
            services = parse_services(self.temporary_master_cf).values()
        else:
            services = self.services.values()
        names = dict(DEFAULTS, **self.service_names(services))
        return 0, "".join(f"{name} = {value}".rstrip() + "\n" for name, value in sorted(names.items())), ""

    def do_n(self, rest):
        assert rest == []
        known = self.known()
        out = "".join(f"{name} = {value}".rstrip() + "\n" for name, value in self.main.items() if name in known)
        err = "".join(
            f"{POSTCONF}: warning: /etc/postfix/main.cf: unused parameter: {name}={value}\n"
            for name, value in self.main.items()
            if name not in known
        )
        return 0, out, err

    def do_d(self, rest):
        assert rest == []
        return self.defaults()

    def do_e(self, rest):
        for setting in rest:
            name, value = setting.split("=", 1)
            # postconf -e rewrites whitespace.
            self.main[name] = " ".join(value.split())
        return 0, "", ""

    def do_X(self, rest):
        for name in rest:
            self.main.pop(name, None)
        return 0, "", ""

    def do_M(self, rest):
        if not rest:
            lines = []
            for key, service in self.services.items():
                words = [service[field] for field in ("name", "type", *postconf.FIELDS, "command")]
                for name, value in self.options.get(key, {}).items():
                    words += ["-o", f"{{{name}={value}}}" if " " in value else f"{name}={value}"]
                lines.append(" ".join(words + service["args"]) + "\n")
            return 0, "".join(lines), ""
        for setting in rest:
            key, text = setting.split("=", 1)
            tokens = split_master_tokens(text)
            _options, overrides, _rest = split_daemon_options(tokens[8:])
            self.services[key] = parse_services(text)[key]
            self.options[key] = dict(unbrace(override) for override in overrides)
        return 0, "", ""

    def do_MX(self, rest):
        for key in rest:
            self.services.pop(key, None)
            self.options.pop(key, None)
        return 0, "", ""

    def do_P(self, rest):
        if not rest:
            lines = [
                f"{key}/{name} = {value}".rstrip() + "\n"
                for key, options in self.options.items()
                for name, value in sorted(options.items())
            ]
            return 0, "".join(lines), ""
        for setting in rest:
            target, value = setting.split("=", 1)
            if any(char.isspace() for char in value):
                return 1, "", "postconf: fatal: -Pe does not accept whitespace in parameter value\n"
            key, name = target.rsplit("/", 1)
            self.options.setdefault(key, {})[name] = value
        return 0, "", ""

    def do_PX(self, rest):
        for target in rest:
            key, name = target.rsplit("/", 1)
            self.options.get(key, {}).pop(name, None)
        return 0, "", ""


# The programs of Debian's daemon_directory that the tests' services run.
DAEMONS = ("smtpd", "smtp", "pickup", "pipe", "lmtp", "spawn", "local")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    node = FakePostconf()
    # Where module.tmpdir (with the temporary master.cf) goes.
    node.remote_tmp = str(tmp_path / "remote_tmp")
    patch_node(monkeypatch, node)
    programs = {f"{postconf.DEFAULT_DAEMON_DIR}/{name}" for name in DAEMONS}
    monkeypatch.setattr(postconf, "is_program", programs.__contains__)
    return node


def module_args(node, args, check_mode=False, diff=False):
    return dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_remote_tmp=node.remote_tmp)


def run_module(node, args, check_mode=False, diff=False):
    with patch_module_args(module_args(node, args, check_mode, diff)), pytest.raises(ExitJson) as exit_info:
        postconf.main()
    return exit_info.value.args[0]


def fail_module(node, args, check_mode=False):
    with patch_module_args(module_args(node, args, check_mode)), pytest.raises(FailJson) as fail_info:
        postconf.main()
    return fail_info.value.args[0]


READS = [[POSTCONF, "-n"], [POSTCONF, "-d"]]
SERVICE_READS = [*READS, [POSTCONF, "-M"], [POSTCONF, "-P"]]


def writes(node):
    """The calls after the reads, without the temporary postconf -d."""
    return [argv for argv in node.calls if argv not in SERVICE_READS and TMP not in argv]


# --- reading -------------------------------------------------------------------------------------


def test_nothing_to_do_reads_and_reports_the_version(fake):
    result = run_module(fake, {})
    assert fake.calls == READS
    assert result == {
        "changed": False,
        "changed_parameters": [],
        "reset_parameters": [],
        "changed_services": [],
        "mail_version": "3.10.13",
    }


def test_mail_version_set_in_main_cf_wins(fake):
    fake.main["mail_version"] = "3.10.99"
    assert run_module(fake, {})["mail_version"] == "3.10.99"


def test_services_are_read_only_when_given(fake):
    run_module(fake, {"parameters": {"myhostname": "host.example.org"}})
    assert fake.calls == READS
    run_module(
        fake, {"services": [{"name": "smtp", "type": "inet", "private": "n", "chroot": "y", "command": "smtpd"}]}
    )
    assert fake.calls[2:] == SERVICE_READS


def test_config_dir_is_passed_to_every_call(fake, tmp_path):
    fake.config_dir = str(tmp_path)
    run_module(
        fake,
        {
            "config_dir": str(tmp_path),
            "parameters": {"relayhost": "[192.0.2.1]:587"},
            "services": [{"name": "submission", "type": "inet", "command": "smtpd"}],
        },
    )
    base = [POSTCONF, "-c", str(tmp_path)]
    assert fake.calls == [
        [*base, "-n"],
        [*base, "-d"],
        [*base, "-M"],
        [*base, "-P"],
        [*base, "-M", "submission/inet=submission inet - - - - - smtpd"],
        [*base, "-e", "relayhost=[192.0.2.1]:587"],
    ]


# --- main.cf parameters: exact command lines ---------------------------------------------------

RESTRICTIONS = ["permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"]
PARAMETER_CASES = [
    pytest.param(
        {},
        {
            "relayhost": "[192.0.2.1]:587",
            "message_size_limit": 52428800,
            "smtpd_tls_auth_only": True,
            "smtpd_sasl_auth_enable": False,
            "smtpd_recipient_restrictions": RESTRICTIONS,
            "smtpd_banner": "  $myhostname ESMTP  ",
            "mailbox_command": "",
        },
        "present",
        [
            [
                POSTCONF,
                "-e",
                "relayhost=[192.0.2.1]:587",
                "message_size_limit=52428800",
                "smtpd_tls_auth_only=yes",
                "smtpd_sasl_auth_enable=no",
                "smtpd_recipient_restrictions=permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
                "smtpd_banner=$myhostname ESMTP",
                "mailbox_command=",
            ]
        ],
        id="rendering",
    ),
    pytest.param(
        {"smtpd_recipient_restrictions": "permit_mynetworks,permit_sasl_authenticated  reject_unauth_destination"},
        {"smtpd_recipient_restrictions": RESTRICTIONS},
        "present",
        [],
        id="same-list-spelled-differently",
    ),
    pytest.param(
        {"smtpd_tls_auth_only": "yes", "message_size_limit": "52428800"},
        {"smtpd_tls_auth_only": True, "message_size_limit": 52428800},
        "present",
        [],
        id="same-bool-and-int",
    ),
    pytest.param(
        {"smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination"},
        {"smtpd_recipient_restrictions": ["reject_unauth_destination", "permit_mynetworks"]},
        "present",
        [[POSTCONF, "-e", "smtpd_recipient_restrictions=reject_unauth_destination, permit_mynetworks"]],
        id="order-matters",
    ),
    pytest.param(
        {},
        {"message_size_limit": "10240000", "relayhost": ""},
        "present",
        [[POSTCONF, "-e", "message_size_limit=10240000", "relayhost="]],
        id="default-value-not-set-explicitly-is-written",
    ),
    pytest.param(
        {"message_size_limit": "10240000", "relayhost": ""},
        {"message_size_limit": "10240000", "relayhost": ""},
        "present",
        [],
        id="explicit-default-value-is-present",
    ),
    pytest.param(
        {},
        {"myhostname": "mail.example.org", "mynetworks": "127.0.0.0/8, [::1]/128", "relayhost": "smarthost"},
        "present",
        [[POSTCONF, "-e", "myhostname=mail.example.org", "relayhost=smarthost"]],
        id="only-changed-parameters-are-written",
    ),
    pytest.param(
        {"site_networks": "192.0.2.0/24"},
        {"site_networks": "192.0.2.0/24"},
        "present",
        [],
        id="unused-user-defined-parameter-unchanged",
    ),
    pytest.param(
        {"site_networks": "192.0.2.0/24"},
        {"site_networks": "198.51.100.0/24"},
        "present",
        [[POSTCONF, "-e", "site_networks=198.51.100.0/24"]],
        id="unused-user-defined-parameter-changed",
    ),
    pytest.param(
        {"relayhost": "smarthost", "message_size_limit": "0"},
        {"relayhost": None, "smtpd_banner": "ignored", "message_size_limit": {"ignored": True}},
        "absent",
        [[POSTCONF, "-X", "relayhost", "message_size_limit"]],
        id="reset-only-explicit-parameters",
    ),
    pytest.param(
        {},
        {"relayhost": None, "no_such_parameter": None},
        "absent",
        [],
        id="reset-nothing-set",
    ),
    pytest.param(
        {"site_networks": "192.0.2.0/24"},
        {"site_networks": None},
        "absent",
        [[POSTCONF, "-X", "site_networks"]],
        id="reset-unused-user-defined-parameter",
    ),
]


@pytest.mark.parametrize(("main", "parameters", "state", "expected"), PARAMETER_CASES)
def test_parameters(fake, main, parameters, state, expected):
    fake.main.update(main)
    result = run_module(fake, {"parameters": parameters, "state": state})
    assert fake.calls == READS + expected
    assert result["changed"] is bool(expected)
    names = [setting.partition("=")[0] for argv in expected for setting in argv[2:]]
    assert result["changed_parameters"] == (names if state == "present" else [])
    assert result["reset_parameters"] == (names if state == "absent" else [])
    # A second run changes nothing.
    fake.calls.clear()
    assert run_module(fake, {"parameters": parameters, "state": state})["changed"] is False
    assert fake.calls == READS


def test_forty_parameters_in_one_call(fake):
    parameters = {f"smtpd_{index}_limit": index for index in range(40)}
    result = run_module(fake, {"parameters": parameters, "allow_unknown": True})
    assert fake.calls[2:] == [[POSTCONF, "-e", *(f"smtpd_{index}_limit={index}" for index in range(40))]]
    assert len(result["changed_parameters"]) == 40


# --- master.cf services: exact command lines ----------------------------------------------------

SUBMISSION = {
    "name": "submission",
    "type": "inet",
    "private": "n",
    "chroot": "y",
    "command": "smtpd",
    "options": {
        "syslog_name": "postfix/submission",
        "smtpd_tls_security_level": "encrypt",
        "smtpd_sasl_auth_enable": True,
        "smtpd_client_restrictions": ["permit_sasl_authenticated", "reject"],
    },
}
SUBMISSION_ENTRY = (
    "submission/inet=submission inet n - y - - smtpd -o syslog_name=postfix/submission"
    " -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes"
    " -o smtpd_client_restrictions=permit_sasl_authenticated,reject"
)
SUBMISSION_OPTIONS = {
    "syslog_name": "postfix/submission",
    "smtpd_tls_security_level": "encrypt",
    "smtpd_sasl_auth_enable": "yes",
    "smtpd_client_restrictions": "permit_sasl_authenticated,reject",
}
MAILMAN = {
    "name": "mailman",
    "type": "unix",
    "unprivileged": "n",
    "chroot": "n",
    "command": "pipe",
    "args": ["flags=FR", "user=list", "argv=/usr/lib/mailman/bin/postfix-to-mailman.py", "${nexthop}", "${user}"],
}
MAILMAN_ENTRY = (
    "mailman/unix=mailman unix - n n - - pipe flags=FR user=list"
    " argv=/usr/lib/mailman/bin/postfix-to-mailman.py ${nexthop} ${user}"
)

# As in MASTER_CF.
PICKUP = {
    "name": "pickup",
    "type": "unix",
    "private": "n",
    "chroot": "y",
    "wakeup": "60",
    "maxproc": "1",
    "command": "pickup",
}


def with_options(service, **changes):
    options = dict(service["options"])
    for name, value in changes.items():
        if value is None:
            options.pop(name)
        else:
            options[name] = value
    return dict(service, options=options)


SERVICE_CASES = [
    pytest.param(False, [SUBMISSION], [[POSTCONF, "-M", SUBMISSION_ENTRY]], ["submission/inet"], id="add"),
    pytest.param(True, [SUBMISSION], [], [], id="unchanged"),
    pytest.param(
        True,
        [with_options(SUBMISSION, smtpd_client_restrictions="permit_sasl_authenticated, reject")],
        [],
        [],
        id="unchanged-option-spelled-differently",
    ),
    pytest.param(
        True,
        [dict(SUBMISSION, chroot="n", maxproc="10")],
        [[POSTCONF, "-M", SUBMISSION_ENTRY.replace("n - y - - smtpd", "n - n - 10 smtpd")]],
        ["submission/inet"],
        id="fields-changed",
    ),
    pytest.param(
        True,
        [dict(SUBMISSION, args=["-v"])],
        [[POSTCONF, "-M", SUBMISSION_ENTRY + " -v"]],
        ["submission/inet"],
        id="args-changed",
    ),
    pytest.param(
        True,
        [with_options(SUBMISSION, smtpd_client_restrictions=None, syslog_name=None)],
        [[POSTCONF, "-PX", "submission/inet/smtpd_client_restrictions", "submission/inet/syslog_name"]],
        ["submission/inet"],
        id="options-removed",
    ),
    pytest.param(
        True,
        [with_options(SUBMISSION, smtpd_tls_security_level="may", smtpd_tls_auth_only=True)],
        [
            [
                POSTCONF,
                "-P",
                "submission/inet/smtpd_tls_security_level=may",
                "submission/inet/smtpd_tls_auth_only=yes",
            ]
        ],
        ["submission/inet"],
        id="options-changed-and-added",
    ),
    pytest.param(
        True,
        [with_options(SUBMISSION, syslog_name=None, milter_macro_daemon_name="ORIGINATING")],
        [
            [POSTCONF, "-PX", "submission/inet/syslog_name"],
            [POSTCONF, "-P", "submission/inet/milter_macro_daemon_name=ORIGINATING"],
        ],
        ["submission/inet"],
        id="options-removed-and-added",
    ),
    pytest.param(
        True,
        [with_options(SUBMISSION, syslog_name=None, smtpd_relay_restrictions="permit_sasl_authenticated, reject")],
        [
            [
                POSTCONF,
                "-M",
                "submission/inet=submission inet n - y - - smtpd -o smtpd_tls_security_level=encrypt"
                " -o smtpd_sasl_auth_enable=yes -o smtpd_client_restrictions=permit_sasl_authenticated,reject"
                " -o { smtpd_relay_restrictions = permit_sasl_authenticated, reject }",
            ]
        ],
        ["submission/inet"],
        id="option-with-whitespace-rewrites-the-entry",
    ),
    pytest.param(
        True,
        [{"name": "submission", "type": "inet", "state": "absent"}],
        [[POSTCONF, "-MX", "submission/inet"]],
        ["submission/inet"],
        id="remove",
    ),
    pytest.param(
        False,
        [{"name": "submission", "type": "inet", "state": "absent"}],
        [],
        [],
        id="remove-missing",
    ),
    pytest.param(
        True,
        [
            {"name": "relay", "type": "unix", "state": "absent"},
            {"name": "smtp", "type": "inet", "private": "n", "chroot": "y", "command": "smtpd"},
            MAILMAN,
            with_options(SUBMISSION, smtpd_tls_security_level="may", syslog_name=None),
            dict(PICKUP, options={"content_filter": "", "receive_override_options": "no_header_body_checks"}),
        ],
        [
            [POSTCONF, "-MX", "relay/unix"],
            [POSTCONF, "-M", MAILMAN_ENTRY],
            [POSTCONF, "-PX", "submission/inet/syslog_name"],
            [
                POSTCONF,
                "-P",
                "submission/inet/smtpd_tls_security_level=may",
                "pickup/unix/content_filter=",
                "pickup/unix/receive_override_options=no_header_body_checks",
            ],
        ],
        ["relay/unix", "mailman/unix", "submission/inet", "pickup/unix"],
        id="one-call-per-kind-in-order",
    ),
]


@pytest.mark.parametrize(("submission_exists", "services", "expected", "changed"), SERVICE_CASES)
def test_services(fake, submission_exists, services, expected, changed):
    if submission_exists:
        fake.services["submission/inet"] = parse_services(SUBMISSION_ENTRY.partition("=")[2])["submission/inet"]
        fake.options["submission/inet"] = dict(SUBMISSION_OPTIONS)
    result = run_module(fake, {"services": services})
    assert fake.calls == SERVICE_READS + expected
    assert result["changed"] is bool(expected)
    assert result["changed_services"] == changed
    # A second run changes nothing.
    fake.calls.clear()
    assert run_module(fake, {"services": services})["changed"] is False
    assert fake.calls == SERVICE_READS


def test_parameters_and_services_together(fake):
    run_module(
        fake,
        {
            "parameters": {"mailman_destination_recipient_limit": 1},
            "services": [MAILMAN, {"name": "relay", "type": "unix", "state": "absent"}],
        },
    )
    assert writes(fake) == [
        [POSTCONF, "-MX", "relay/unix"],
        [POSTCONF, "-M", MAILMAN_ENTRY],
        [POSTCONF, "-e", "mailman_destination_recipient_limit=1"],
    ]


def test_existing_later_o_argument_is_kept(fake):
    """An "-o" after the first plain argument is an argument (sendmail -oi), not an override."""
    service = {
        "name": "sendmail",
        "type": "unix",
        "unprivileged": "n",
        "chroot": "n",
        "command": "pipe",
        "args": ["flags=R", "user=nobody", "argv=/usr/sbin/sendmail", "-oi", "-o", "x", "-f", "${sender}"],
        "options": {"syslog_name": "postfix/sendmail"},
    }
    run_module(fake, {"services": [service]})
    assert writes(fake) == [
        [
            POSTCONF,
            "-M",
            "sendmail/unix=sendmail unix - n n - - pipe -o syslog_name=postfix/sendmail"
            " flags=R user=nobody argv=/usr/sbin/sendmail -oi -o x -f ${sender}",
        ]
    ]
    assert fake.options["sendmail/unix"] == {"syslog_name": "postfix/sendmail"}
    assert run_module(fake, {"services": [service]})["changed"] is False


# --- check mode and diff --------------------------------------------------------------------------

MIXED = {
    "parameters": {
        "myhostname": "mail.example.org",
        "relayhost": "[192.0.2.1]:587",
        "mynetworks": ["127.0.0.0/8", "[::1]/128"],
    },
    "services": [
        SUBMISSION,
        MAILMAN,
        {"name": "relay", "type": "unix", "state": "absent"},
        PICKUP,
    ],
}
MIXED_RESULT = {
    "changed": True,
    "changed_parameters": ["myhostname", "relayhost"],
    "reset_parameters": [],
    "changed_services": ["submission/inet", "mailman/unix", "relay/unix"],
    "mail_version": "3.10.13",
}
MIXED_DIFF = [
    {
        "before_header": "/etc/postfix/main.cf",
        "after_header": "/etc/postfix/main.cf",
        "before": "myhostname = host.example.org\n",
        "after": "myhostname = mail.example.org\nrelayhost = [192.0.2.1]:587\n",
    },
    {
        "before_header": "/etc/postfix/master.cf",
        "after_header": "/etc/postfix/master.cf",
        "before": "relay unix - - y - - smtp\n  -o syslog_name=postfix/$service_name\n",
        "after": (
            "submission inet n - y - - smtpd\n"
            "  -o syslog_name=postfix/submission\n"
            "  -o smtpd_tls_security_level=encrypt\n"
            "  -o smtpd_sasl_auth_enable=yes\n"
            "  -o smtpd_client_restrictions=permit_sasl_authenticated,reject\n"
            "mailman unix - n n - - pipe\n"
            "  flags=FR user=list argv=/usr/lib/mailman/bin/postfix-to-mailman.py ${nexthop} ${user}\n"
        ),
    },
]


def test_check_mode_predicts_and_changes_nothing(fake):
    main, services, options = dict(fake.main), dict(fake.services), dict(fake.options)
    result = run_module(fake, MIXED, check_mode=True)
    assert result == MIXED_RESULT
    assert fake.calls == SERVICE_READS
    assert (fake.main, fake.services, fake.options) == (main, services, options)


def test_check_mode_reset(fake):
    result = run_module(fake, {"parameters": {"myhostname": None}, "state": "absent"}, check_mode=True)
    assert result["reset_parameters"] == ["myhostname"]
    assert result["changed"] is True
    assert fake.calls == READS
    assert "myhostname" in fake.main


def test_real_run_matches_check_mode(fake):
    assert run_module(fake, MIXED) == MIXED_RESULT
    assert writes(fake) == [
        [POSTCONF, "-MX", "relay/unix"],
        [POSTCONF, "-M", SUBMISSION_ENTRY, MAILMAN_ENTRY],
        [POSTCONF, "-e", "myhostname=mail.example.org", "relayhost=[192.0.2.1]:587"],
    ]


@pytest.mark.parametrize("check_mode", [True, False], ids=["check-mode", "real"])
def test_diff(fake, check_mode):
    result = run_module(fake, MIXED, check_mode=check_mode, diff=True)
    assert result["diff"] == MIXED_DIFF


def test_diff_of_changed_service_and_reset(fake, tmp_path):
    fake.config_dir = str(tmp_path)
    fake.main["relayhost"] = "smarthost"
    result = run_module(
        fake,
        {"config_dir": str(tmp_path), "parameters": {"relayhost": None, "smtpd_banner": None}, "state": "absent"},
        diff=True,
    )
    assert result["diff"] == [
        {
            "before_header": f"{tmp_path}/main.cf",
            "after_header": f"{tmp_path}/main.cf",
            "before": "relayhost = smarthost\n",
            "after": "",
        }
    ]
    result = run_module(
        fake,
        {
            "config_dir": str(tmp_path),
            "services": [{"name": "relay", "type": "unix", "chroot": "n", "command": "smtp"}],
        },
        diff=True,
    )
    assert result["diff"] == [
        {
            "before_header": f"{tmp_path}/master.cf",
            "after_header": f"{tmp_path}/master.cf",
            "before": "relay unix - - y - - smtp\n  -o syslog_name=postfix/$service_name\n",
            "after": "relay unix - - n - - smtp\n",
        }
    ]


def test_diff_empty_when_unchanged_and_absent_without_diff_mode(fake):
    assert run_module(fake, {"parameters": {"myhostname": "host.example.org"}}, diff=True)["diff"] == []
    assert "diff" not in run_module(fake, {"parameters": {"myhostname": "other.example.org"}})


# --- unknown names ----------------------------------------------------------------------------------

UNKNOWN_SUFFIX = ". Check the spelling, or set allow_unknown=true to set them anyway"
UNKNOWN_CASES = [
    pytest.param(
        {"parameters": {"myhostname": "x", "smtpd_tls_securty_level": "may"}},
        "Postfix does not know these parameter names: smtpd_tls_securty_level",
        False,
        id="parameter",
    ),
    pytest.param(
        {"parameters": {"zz_one": 1, "myhostname": "x", "aa_two": 2}},
        "Postfix does not know these parameter names: zz_one, aa_two",
        False,
        id="several-in-task-order",
    ),
    pytest.param(
        {"services": [with_options(SUBMISSION, smtpd_tls_securty_level="encrypt")]},
        "Postfix does not know these parameter names: smtpd_tls_securty_level (option of submission/inet)",
        True,
        id="option",
    ),
    pytest.param(
        {"parameters": {"mailman_destination_recipient_limit": 1}},
        "Postfix does not know these parameter names: mailman_destination_recipient_limit",
        False,
        id="service-parameter-without-service",
    ),
    pytest.param(
        {
            "parameters": {"mailman_destination_recipient_limit": 1},
            "services": [dict(MAILMAN, command="smtpd", args=[])],
        },
        "Postfix does not know these parameter names: mailman_destination_recipient_limit",
        True,
        id="service-parameter-of-a-service-not-delivering-mail",
    ),
    pytest.param(
        {
            "parameters": {"mailman_destination_recipient_limit": 1},
            "services": [dict(MAILMAN, state="absent")],
        },
        "Postfix does not know these parameter names: mailman_destination_recipient_limit",
        False,
        id="service-parameter-of-a-removed-service",
    ),
]


@pytest.mark.parametrize(("args", "message", "asks_postconf"), UNKNOWN_CASES)
def test_unknown_names_are_refused(fake, args, message, asks_postconf):
    main, services, options = dict(fake.main), dict(fake.services), dict(fake.options)
    assert fail_module(fake, args) == {"msg": message + UNKNOWN_SUFFIX}
    assert writes(fake) == []
    assert ([POSTCONF, "-c", TMP, "-d"] in fake.calls) is asks_postconf
    assert (fake.main, fake.services, fake.options) == (main, services, options)


def test_unknown_names_allowed(fake):
    args = {"parameters": {"site_networks": "192.0.2.0/24"}, "allow_unknown": True}
    assert run_module(fake, args)["changed_parameters"] == ["site_networks"]
    assert fake.calls == [*READS, [POSTCONF, "-e", "site_networks=192.0.2.0/24"]]
    # main.cf sets it now: it is known without allow_unknown.
    assert run_module(fake, {"parameters": {"site_networks": "192.0.2.0/24"}})["changed"] is False


@pytest.mark.parametrize(
    "service",
    [MAILMAN, dict(MAILMAN, command="lmtp", args=[])],
    ids=["pipe", "lmtp"],
)
def test_service_parameter_of_an_added_service(fake, service):
    result = run_module(fake, {"parameters": {"mailman_destination_recipient_limit": 1}, "services": [service]})
    assert result["changed_parameters"] == ["mailman_destination_recipient_limit"]
    assert result["changed_services"] == ["mailman/unix"]
    assert fake.calls[: len(SERVICE_READS) + 1] == [*SERVICE_READS, [POSTCONF, "-c", TMP, "-d"]]
    assert fake.temporary_master_cf == f"mailman unix - - - - - {service['command']}\n"
    # Now master.cf has the service: postconf -d lists its parameters, no temporary master.cf needed.
    fake.calls.clear()
    assert run_module(fake, {"parameters": {"mailman_destination_recipient_limit": 1}})["changed"] is False
    assert fake.calls == READS


def test_service_parameter_of_an_existing_service(fake):
    run_module(fake, {"parameters": {"relay_destination_recipient_limit": 1}})
    assert fake.calls == [*READS, [POSTCONF, "-e", "relay_destination_recipient_limit=1"]]


def test_referenced_user_defined_parameters_are_known(fake):
    run_module(
        fake,
        {
            "parameters": {
                "mua_client_restrictions": ["permit_sasl_authenticated", "reject"],
                "smtpd_client_restrictions": "$mua_client_restrictions",
                "mua_sender_restrictions": "permit_sasl_authenticated, reject",
            },
            "services": [
                with_options(SUBMISSION, smtpd_sender_restrictions="${mua_sender_restrictions}"),
            ],
        },
    )
    assert [POSTCONF, "-c", TMP, "-d"] not in fake.calls
    assert fake.calls[-1] == [
        POSTCONF,
        "-e",
        "mua_client_restrictions=permit_sasl_authenticated, reject",
        "smtpd_client_restrictions=$mua_client_restrictions",
        "mua_sender_restrictions=permit_sasl_authenticated, reject",
    ]


def test_reset_does_not_check_names(fake):
    result = run_module(
        fake, {"parameters": {"site_networks": None, "smtpd_tls_securty_level": None}, "state": "absent"}
    )
    assert result["changed"] is False
    assert fake.calls == READS


# --- refusals ------------------------------------------------------------------------------------------

VALIDATION_CASES = [
    pytest.param(
        {"parameters": {"my-param": "x"}},
        "invalid parameter name 'my-param': use only letters, digits and underscores",
        id="parameter-name",
    ),
    pytest.param(
        {"parameters": {"myhostname\n": "x"}},
        "invalid parameter name 'myhostname\\n': use only letters, digits and underscores",
        id="parameter-name-newline",
    ),
    pytest.param(
        {"parameters": {"my param": None}, "state": "absent"},
        "invalid parameter name 'my param': use only letters, digits and underscores",
        id="parameter-name-absent",
    ),
    pytest.param(
        {"parameters": {"smtpd_banner": "ESMTP\nrelayhost = [192.0.2.1]"}},
        "value of parameter smtpd_banner contains a newline or another control character: "
        "'ESMTP\\nrelayhost = [192.0.2.1]'",
        id="newline",
    ),
    pytest.param(
        {"parameters": {"smtpd_banner": "a\x00b"}},
        "value of parameter smtpd_banner contains a newline or another control character: 'a\\x00b'",
        id="nul",
    ),
    pytest.param(
        {"parameters": {"mynetworks": ["127.0.0.0/8", "10.0.0.0/8\r"]}},
        "value of parameter mynetworks contains a newline or another control character: '10.0.0.0/8\\r'",
        id="carriage-return-in-list",
    ),
    pytest.param(
        {"parameters": {"relayhost": None}},
        "value of parameter relayhost is null; use an empty string for an empty value",
        id="null",
    ),
    pytest.param(
        {"parameters": {"relayhost": {"host": "x"}}},
        "value of parameter relayhost must be a string, integer, boolean or list, not dict",
        id="dict",
    ),
    pytest.param(
        {"parameters": {"message_size_limit": 1.5}},
        "value of parameter message_size_limit must be a string, integer, boolean or list, not float",
        id="float",
    ),
    pytest.param(
        {"parameters": {"mynetworks": [["127.0.0.0/8"]]}},
        "value of parameter mynetworks must be a list of strings, integers or booleans, not a list with a list element",
        id="nested-list",
    ),
    pytest.param(
        {"services": [{"name": "sub mission", "type": "inet", "command": "smtpd"}]},
        "invalid master.cf service name 'sub mission': it must not be empty, contain whitespace, control characters, "
        "'/', '=', '#' or braces, nor start with '-'",
        id="service-name-space",
    ),
    pytest.param(
        {"services": [{"name": "a/b", "type": "unix", "state": "absent"}]},
        "invalid master.cf service name 'a/b': it must not be empty, contain whitespace, control characters, "
        "'/', '=', '#' or braces, nor start with '-'",
        id="service-name-slash",
    ),
    pytest.param(
        {"services": [{"name": "-v", "type": "unix", "command": "smtp"}]},
        "invalid master.cf service name '-v': it must not be empty, contain whitespace, control characters, "
        "'/', '=', '#' or braces, nor start with '-'",
        id="service-name-dash",
    ),
    pytest.param(
        {"services": [{"name": "", "type": "unix", "command": "smtp"}]},
        "invalid master.cf service name '': it must not be empty, contain whitespace, control characters, "
        "'/', '=', '#' or braces, nor start with '-'",
        id="service-name-empty",
    ),
    pytest.param(
        {
            "services": [
                {"name": "submission", "type": "inet", "command": "smtpd"},
                {"name": "submission", "type": "inet", "state": "absent"},
            ]
        },
        "service submission/inet is listed more than once in services",
        id="duplicate-service",
    ),
    pytest.param(
        {"services": [{"name": "submission", "type": "inet"}]},
        "service submission/inet: command is required with state=present",
        id="command-missing",
    ),
    pytest.param(
        {"services": [{"name": "submission", "type": "inet", "command": "smtpd -v"}]},
        "service submission/inet: invalid command 'smtpd -v': one word without whitespace, control characters, "
        "braces or '/', not starting with '-' (the name of a program in daemon_directory)",
        id="command-with-space",
    ),
    pytest.param(
        {"services": [{"name": "submission", "type": "inet", "command": "-v"}]},
        "service submission/inet: invalid command '-v': one word without whitespace, control characters, "
        "braces or '/', not starting with '-' (the name of a program in daemon_directory)",
        id="command-dash",
    ),
    pytest.param(
        {"services": [{"name": "submission", "type": "inet", "command": "smtpd", "args": ["-o", "a=b"]}]},
        "service submission/inet: args must not contain -o overrides (found -o a=b); put them in options",
        id="args-override",
    ),
    pytest.param(
        {"services": [{"name": "submission", "type": "inet", "command": "smtpd", "args": ["-v", "-oa=b"]}]},
        "service submission/inet: args must not contain -o overrides (found -o a=b); put them in options",
        id="args-attached-override",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "pipe", "args": ["argv=/bin/prog", "a b"]}]},
        "service x/unix: invalid argument 'a b': one word without whitespace or control characters",
        id="args-whitespace",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "pipe", "args": ["argv=/bin/prog\n"]}]},
        "service x/unix: invalid argument 'argv=/bin/prog\\n': one word without whitespace or control characters",
        id="args-newline",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "pipe", "args": [""]}]},
        "service x/unix: invalid argument '': one word without whitespace or control characters",
        id="args-empty",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "pickup", "wakeup": "soon"}]},
        "service x/unix: wakeup must be -, a number of seconds or a number followed by '?', not 'soon'",
        id="wakeup",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "pickup", "maxproc": "many"}]},
        "service x/unix: maxproc must be - or a number, not 'many'",
        id="maxproc",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "smtp", "options": {"bad-name": "x"}}]},
        "service x/unix: invalid option name 'bad-name': use only letters, digits and underscores",
        id="option-name",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "smtp", "options": {"syslog_name": "a\nb"}}]},
        "value of option syslog_name of service x/unix contains a newline or another control character: 'a\\nb'",
        id="option-newline",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "smtp", "options": {"syslog_name": None}}]},
        "value of option syslog_name of service x/unix is null; use an empty string for an empty value",
        id="option-null",
    ),
    pytest.param(
        {"config_dir": "/nonexistent/postfix"},
        "config_dir /nonexistent/postfix is not a directory",
        id="config-dir",
    ),
    pytest.param(
        {"config_dir": "etc/postfix", "parameters": {"relayhost": "x"}},
        "config_dir etc/postfix is not an absolute path",
        id="config-dir-relative",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "../../../bin/sh"}]},
        "service x/unix: invalid command '../../../bin/sh': one word without whitespace, control characters, "
        "braces or '/', not starting with '-' (the name of a program in daemon_directory)",
        id="command-path-traversal",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "/bin/sh"}]},
        "service x/unix: invalid command '/bin/sh': one word without whitespace, control characters, "
        "braces or '/', not starting with '-' (the name of a program in daemon_directory)",
        id="command-absolute",
    ),
    pytest.param(
        {"parameters": {"smtpd_banner": "x" * 130048}},
        f"value of parameter smtpd_banner is 130048 bytes long ('{'x' * 32}...'); postconf takes at most 130047 bytes",
        id="huge-value",
    ),
    pytest.param(
        {"parameters": {"mynetworks": ["192.0.2.0/24"] * 10003}},
        f"value of parameter mynetworks is 140040 bytes long ('{'192.0.2.0/24, ' * 2}192....'); "
        "postconf takes at most 130047 bytes",
        id="huge-list",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "smtp", "options": {"syslog_name": "ä" * 65024}}]},
        f"value of option syslog_name of service x/unix is 130048 bytes long ('{'ä' * 32}...'); "
        "postconf takes at most 130047 bytes",
        id="huge-option",
    ),
]


@pytest.mark.parametrize(("args", "message"), VALIDATION_CASES)
def test_refusals(fake, args, message):
    assert fail_module(fake, args) == {"msg": message}
    assert fake.calls == []


ARGUMENT_SPEC_CASES = [
    pytest.param(
        {"services": [{"name": "x", "type": "socket", "command": "smtp"}]},
        "value of type must be one of: fifo, inet, pass, unix, unix-dgram, got: socket found in services",
        id="type",
    ),
    pytest.param(
        {"services": [{"name": "x", "type": "unix", "command": "smtp", "chroot": "yes"}]},
        "value of chroot must be one of: y, n, -, got: yes found in services",
        id="chroot",
    ),
    pytest.param(
        {"state": "reset"},
        "value of state must be one of: absent, present, got: reset",
        id="state",
    ),
]


def test_unknown_command_is_refused_before_any_change(fake):
    args = {
        "parameters": {"relayhost": "smarthost"},
        "services": [{"name": "submission", "type": "inet", "command": "nosuchdaemon"}],
    }
    assert fail_module(fake, args) == {
        "msg": "service submission/inet: command 'nosuchdaemon' is not a program in /usr/lib/postfix/sbin "
        "(daemon_directory)"
    }
    assert [call for call in fake.calls if call not in SERVICE_READS] == []


def test_command_is_looked_up_in_the_daemon_directory_main_cf_sets(fake, monkeypatch):
    fake.main["daemon_directory"] = "/opt/postfix/libexec"
    monkeypatch.setattr(postconf, "is_program", {"/opt/postfix/libexec/smtpd"}.__contains__)
    result = run_module(fake, {"services": [{"name": "submission", "type": "inet", "command": "smtpd"}]})
    assert result["changed_services"] == ["submission/inet"]
    assert "Postfix does not know" not in str(result)


def test_removing_a_service_needs_no_program(fake, monkeypatch):
    monkeypatch.setattr(postconf, "is_program", lambda _path: False)
    result = run_module(fake, {"services": [{"name": "relay", "type": "unix", "state": "absent"}]})
    assert result["changed_services"] == ["relay/unix"]


def test_whole_entry_too_long_for_one_argument_is_refused_before_any_change(fake):
    options = {f"option{index}": "v" * 60000 for index in range(3)}
    args = {
        "parameters": {"relayhost": "smarthost"},
        "services": [{"name": "x", "type": "unix", "command": "smtp", "options": options}],
    }
    result = fail_module(fake, {**args, "allow_unknown": True})
    assert result["msg"].startswith("postconf argument 'x/unix=x unix - - - - - smtp -o ...' is 180064 bytes")
    assert result["msg"].endswith("bytes long; a command-line argument can have at most 131071 bytes")
    assert [call for call in fake.calls if call not in SERVICE_READS] == []


@pytest.mark.parametrize(("args", "message"), ARGUMENT_SPEC_CASES)
def test_argument_spec_refusals(fake, args, message):
    assert fail_module(fake, args)["msg"] == message
    assert fake.calls == []


def test_failing_postconf_is_reported(fake):
    fake.failures["-e"] = (1, "", "postconf: fatal: open /etc/postfix/main.cf: Permission denied\n")
    result = fail_module(fake, {"parameters": {"relayhost": "smarthost"}})
    assert result["msg"] == (
        "/usr/sbin/postconf -e relayhost=smarthost failed with exit code 1: "
        "postconf: fatal: open /etc/postfix/main.cf: Permission denied"
    )
    assert result["cmd"] == [POSTCONF, "-e", "relayhost=smarthost"]
