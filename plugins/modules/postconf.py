#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: postconf
short_description: Set or reset Postfix main.cf parameters and master.cf services with postconf
version_added: "0.1.0"
description:
  - Sets or resets Postfix C(main.cf) parameters and adds, changes or removes C(master.cf) services through the
    C(postconf) command, never by editing the files as text, so that comments, order and everything the task
    does not mention stay as they are.
  - Everything is read first (C(postconf -n) for what C(main.cf) sets, including the user-defined parameters it
    only names in its C(unused parameter) warnings, C(postconf -d) for the names Postfix knows
    and its version, C(postconf -M) and C(postconf -P) for C(master.cf) when O(services) is given). Then all
    parameters are written with one C(postconf -e) (or reset with one C(postconf -X)), and C(master.cf) gets at most
    one C(postconf -MX), C(-M), C(-PX) and C(-P) each. A task with 40 parameters runs C(postconf) a few times, not
    40 times.
  - A parameter counts as set when C(main.cf) sets it explicitly (C(postconf -n)) to a value equal to the wanted
    value after normalising separators - every run of commas, spaces, tabs and line breaks counts as one
    separator, as Postfix reads lists. So C(a, b), C(a,b) and a value continued on the next line are equal, and a
    second run reports no change however C(main.cf) spelled the value. References such as C($myhostname) are
    compared as written, not expanded.
  - A wanted value that equals Postfix's default but is not set explicitly in C(main.cf) is written, so that
    C(main.cf) shows the intended setting and a later Postfix version or C(compatibility_level) with a different
    default does not silently change it. Use O(state=absent) to go back to the default.
  - All input is checked before anything is run; an invalid name or value fails the task with a message that
    names it, and nothing is changed.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
requirements:
  - Postfix's C(postconf) (Debian package C(postfix)), version 3.0 or later (C(-P), C(-X) and C(-M) editing).
attributes:
  check_mode:
    description: Reads the configuration and predicts every change without running a changing C(postconf) command.
    support: full
  diff_mode:
    description:
      - The changed C(name = value) lines of C(main.cf) and the changed C(master.cf) entries (in C(master.cf)'s
        layout, one C(-o) override per line), before and after.
    support: full
  platform:
    description: Debian's Postfix 3.7 (Debian 12) and 3.10 (Debian 13).
    support: full
    platforms: debian
options:
  parameters:
    description:
      - C(main.cf) parameters, a mapping of name to value. Names consist of letters, digits and underscores.
      - A value is a string, an integer, a boolean (written V(yes) or V(no)) or a list. A list is joined with
        C(", "), the way restriction lists and map lists are usually written; its elements are strings, integers or
        booleans, and empty elements are left out.
      - Leading and trailing whitespace is removed. A value must not contain a newline, NUL or other control
        character, and C(null) is refused (use V("") for an empty value). A value (a list once joined) may have
        up to 130047 bytes, so that C(name=value) fits in one command-line argument of C(postconf).
      - With O(state=absent) only the names are used.
    type: dict
    default: {}
  state:
    description:
      - What to do with O(parameters). V(present) sets them; V(absent) removes them from C(main.cf)
        (C(postconf -X)), so that Postfix's default applies again. Resetting a parameter that C(main.cf) does not set
        is no change.
      - Services have their own O(services[].state).
    type: str
    choices: [absent, present]
    default: present
  config_dir:
    description:
      - The Postfix configuration directory holding C(main.cf) and C(master.cf), passed as C(postconf -c). An
        absolute path.
      - When not given, C(postconf) uses Postfix's default (C(/etc/postfix) on Debian).
    type: path
  allow_unknown:
    description:
      - Allow parameter names (in O(parameters) and in O(services[].options)) that Postfix does not know.
      - With V(false), a name is known when C(postconf -d) lists it (all built-in names, and the per-service names
        such as C(relay_destination_recipient_limit) for the delivery services in C(master.cf)), when C(main.cf)
        already sets it (C(postconf -n)), when a wanted value or option refers to it (C($name), C(${name}),
        C($(name)); Postfix itself counts such a user-defined parameter as used), or when it is a per-service name
        of a service added or changed in the same task. The last case is decided by C(postconf -d) itself on a
        temporary C(master.cf) holding the task's services, so C(mailman_destination_recipient_limit) is accepted
        together with a C(mailman) service using C(pipe) or C(lmtp), just as Postfix will accept it afterwards.
      - Unknown names fail the task before anything is changed, naming them. This catches typing mistakes, which
        Postfix would only log as warnings.
      - Not used with O(state=absent), so that resetting a user-defined parameter twice works.
    type: bool
    default: false
  services:
    description:
      - C(master.cf) services, each identified by its O(services[].name) and O(services[].type).
      - A service that is missing or differs in its fields, command or arguments is written as a whole with
        C(postconf -M). A service that only differs in its C(-o) overrides gets them with C(postconf -P) and
        C(postconf -PX) (or is written as a whole when an override's value contains whitespace, which C(postconf -P)
        cannot write).
      - Services not listed here are left alone.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The service name, the first column of C(master.cf), for example V(submission), V(127.0.0.1:8025) or
            V(mailman).
          - It must not contain whitespace, control characters, V(/), V(=), V(#) or braces, nor start with V(-).
        type: str
        required: true
      type:
        description: The service type, the second column.
        type: str
        required: true
        choices: [fifo, inet, pass, unix, unix-dgram]
      state:
        description: V(present) adds or updates the service; V(absent) removes it with all its C(-o) overrides.
        type: str
        choices: [absent, present]
        default: present
      private:
        description: The C(private) column. V(-) is Postfix's default (V(y); C(inet) services are never private).
        type: str
        choices: ["y", "n", "-"]
        default: "-"
      unprivileged:
        description: The C(unpriv) column. V(-) is Postfix's default (V(y)).
        type: str
        choices: ["y", "n", "-"]
        default: "-"
      chroot:
        description: The C(chroot) column. V(-) is Postfix's default (V(n) since Postfix 3.0).
        type: str
        choices: ["y", "n", "-"]
        default: "-"
      wakeup:
        description: The C(wakeup) column, V(-), a number of seconds or a number followed by V(?).
        type: str
        default: "-"
      maxproc:
        description: The C(maxproc) column, V(-) or a number (V(0) for no limit).
        type: str
        default: "-"
      command:
        description:
          - The program, for example V(smtpd), V(pipe) or V(lmtp). Required with O(services[].state=present).
          - One word without whitespace, control characters, braces or V(/), not starting with V(-).
          - C(master) runs it from Postfix's C(daemon_directory) (C(/usr/lib/postfix/sbin) on Debian), so it must be
            a program there.
        type: str
      args:
        description:
          - The command's arguments after the program, in order, for example
            V([flags=FR, user=list, "argv=/usr/lib/mailman/bin/postfix-to-mailman.py", "${nexthop}", "${user}"]).
          - Each argument is one word; whitespace cannot be written by C(postconf -M) and is refused.
          - C(-o) overrides belong in O(services[].options), not here. Postfix reads them only among the leading
            options (the words starting with V(-) before the first other word), so an V(-o) there is refused, while
            a later one, as in V(argv=/usr/sbin/sendmail -oi ...), is a plain argument.
          - The module writes the overrides right after the command, as C(postconf -P) does, then the arguments.
        type: list
        elements: str
        default: []
      options:
        description:
          - The C(-o name=value) overrides of the service, a mapping of parameter name to value. The service's set of
            overrides is exact - an existing override not listed here is removed.
          - Values as for O(parameters), except that a list is joined with C(,) (no space), the usual way to write
            lists in C(master.cf). A value with whitespace is written as C(-o { name = value }).
          - Values are compared after normalising separators, as for O(parameters).
        type: dict
        default: {}
notes:
  - The module changes configuration files only. Postfix reads C(main.cf) and C(master.cf) when it is reloaded; let
    a handler run C(postfix check) and reload Postfix. Changes of C(inet_interfaces) and C(inet_protocols) need a
    restart.
  - Editing the node's configuration needs root (C(become=true)).
seealso:
  - name: postconf(1)
    description: The command this module runs.
    link: https://www.postfix.org/postconf.1.html
  - name: master(5)
    description: The master.cf format, including the C(-o { name = value }) syntax.
    link: https://www.postfix.org/master.5.html
"""

EXAMPLES = r"""
- name: Set main.cf parameters, including restriction lists
  listserv.mailstack.postconf:
    parameters:
      myhostname: mail.example.org
      mydestination: [$myhostname, localhost.$mydomain, localhost]
      message_size_limit: 52428800
      smtpd_tls_auth_only: true
      smtpd_relay_restrictions:
        - permit_mynetworks
        - permit_sasl_authenticated
        - reject_unauth_destination
      smtpd_recipient_restrictions:
        - reject_non_fqdn_recipient
        - reject_unknown_recipient_domain
        - permit_mynetworks
        - permit_sasl_authenticated
        - reject_unauth_destination
  register: postfix_main
  notify: Reload Postfix

- name: Add the submission service on port 587 for authenticated clients
  listserv.mailstack.postconf:
    services:
      - name: submission
        type: inet
        private: "n"
        chroot: "y"
        command: smtpd
        options:
          syslog_name: postfix/submission
          smtpd_tls_security_level: encrypt
          smtpd_sasl_auth_enable: true
          smtpd_client_restrictions: [permit_sasl_authenticated, reject]
          smtpd_relay_restrictions: [permit_sasl_authenticated, reject]
  notify: Reload Postfix

- name: Deliver Mailman's lists through LMTP, one recipient per delivery
  listserv.mailstack.postconf:
    parameters:
      mailman_destination_recipient_limit: 1
      transport_maps: hash:/var/lib/mailman3/data/postfix_lmtp
    services:
      - name: mailman
        type: unix
        unprivileged: "n"
        chroot: "n"
        command: lmtp

- name: Go back to Postfix's defaults for two parameters
  listserv.mailstack.postconf:
    parameters:
      smtpd_banner:
      relayhost:
    state: absent

- name: Remove a service from master.cf
  listserv.mailstack.postconf:
    services:
      - name: "127.0.0.1:10025"
        type: inet
        state: absent

- name: Work on a copy of the configuration, defining a parameter Postfix does not know
  listserv.mailstack.postconf:
    config_dir: /srv/postfix-staging
    parameters:
      site_relay_networks: 192.0.2.0/24
    allow_unknown: true

- name: Show the Postfix version
  ansible.builtin.debug:
    msg: "Postfix {{ postfix_main.mail_version }}"
"""

RETURN = r"""
changed_parameters:
  description: Names of the parameters that were (in check mode, would be) set, in the task's order.
  returned: always
  type: list
  elements: str
  sample: [myhostname, smtpd_relay_restrictions]
reset_parameters:
  description: Names of the parameters that were (in check mode, would be) removed from C(main.cf) by O(state=absent).
  returned: always
  type: list
  elements: str
  sample: [smtpd_banner]
changed_services:
  description:
    - The C(master.cf) services, as C(name/type), that were (in check mode, would be) added, changed or removed.
  returned: always
  type: list
  elements: str
  sample: [submission/inet]
mail_version:
  description: The Postfix version, as C(postconf -h mail_version) prints it.
  returned: always
  type: str
  sample: 3.10.13
diff:
  description:
    - One entry per changed file (C(main.cf), then C(master.cf)), with the changed C(name = value) lines or
      C(master.cf) entries before and after. A parameter not set in C(main.cf) or a new service has no line in
      C(before); a reset parameter or a removed service has none in C(after).
  returned: in diff mode
  type: list
  elements: dict
  sample:
    - before_header: /etc/postfix/main.cf
      after_header: /etc/postfix/main.cf
      before: "smtpd_tls_security_level = none\n"
      after: "smtpd_tls_security_level = may\nmessage_size_limit = 52428800\n"
    - before_header: /etc/postfix/master.cf
      after_header: /etc/postfix/master.cf
      before: ""
      after: "submission inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\n"
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils.command import (
    MAX_ARGUMENT_BYTES,
    argument_size,
    find_tool,
    run,
    shorten,
)
from ansible_collections.listserv.mailstack.plugins.module_utils.postfix_config import (
    ARGUMENT_PATTERN,
    COMMAND_PATTERN,
    FIELDS,
    MAXPROC_PATTERN,
    OPTION_LIST_SEPARATOR,
    SERVICE_NAME_PATTERN,
    SERVICE_TYPES,
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
    render_value,
    service_key,
    split_daemon_options,
)

DEFAULT_CONFIG_DIR = "/etc/postfix"
DEFAULT_DAEMON_DIR = "/usr/lib/postfix/sbin"
# What master.cf compares besides the -o overrides.
ENTRY_KEYS = (*FIELDS, "command", "args")


def is_program(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def has_whitespace(text):
    return any(char.isspace() for char in text)


class WantedService:
    """One checked entry of the services option."""

    def __init__(self, spec):
        self.name = spec["name"]
        self.type = spec["type"]
        self.key = service_key(self.name, self.type)
        self.present = spec["state"] == "present"
        self.entry = None
        self.options = {}
        if not SERVICE_NAME_PATTERN.fullmatch(self.name):
            raise PostfixConfigError(
                f"invalid master.cf service name {self.name!r}: it must not be empty, contain whitespace, control "
                "characters, '/', '=', '#' or braces, nor start with '-'"
            )
        if self.present:
            self.entry = self._entry(spec)
            self.options = self._options(spec["options"] or {})

    def _entry(self, spec):
        command = spec["command"]
        if not command:
            raise PostfixConfigError(f"service {self.key}: command is required with state=present")
        if not COMMAND_PATTERN.fullmatch(command):
            raise PostfixConfigError(
                f"service {self.key}: invalid command {command!r}: one word without whitespace, control characters, "
                "braces or '/', not starting with '-' (the name of a program in daemon_directory)"
            )
        args = list(spec["args"] or [])
        for arg in args:
            if not ARGUMENT_PATTERN.fullmatch(arg):
                raise PostfixConfigError(
                    f"service {self.key}: invalid argument {arg!r}: one word without whitespace or control characters"
                )
        overrides = split_daemon_options(args)[1]
        if overrides:
            raise PostfixConfigError(
                f"service {self.key}: args must not contain -o overrides (found -o {overrides[0]}); put them in options"
            )
        if not WAKEUP_PATTERN.fullmatch(spec["wakeup"]):
            raise PostfixConfigError(
                f"service {self.key}: wakeup must be -, a number of seconds or a number followed by '?', "
                f"not {spec['wakeup']!r}"
            )
        if not MAXPROC_PATTERN.fullmatch(spec["maxproc"]):
            raise PostfixConfigError(f"service {self.key}: maxproc must be - or a number, not {spec['maxproc']!r}")
        entry = {"name": self.name, "type": self.type, "command": command, "args": args}
        entry.update((field, spec[field]) for field in FIELDS)
        return entry

    def _options(self, options):
        rendered = {}
        for name, value in options.items():
            if not is_name(name):
                raise PostfixConfigError(
                    f"service {self.key}: invalid option name {name!r}: use only letters, digits and underscores"
                )
            rendered[name] = render_value(f"option {name} of service {self.key}", value, OPTION_LIST_SEPARATOR)
        return rendered


class Postconf:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.config_dir = self.params["config_dir"]
        self.present = self.params["state"] == "present"
        self.postconf = None
        # Filled by check_input().
        self.parameters = {}
        self.services = []
        # Filled by read().
        self.explicit = {}
        self.defaults = {}
        self.current_services = {}
        self.current_options = {}

    # --- input -----------------------------------------------------------------------------

    def check_input(self):
        """Render and check every wanted value before anything is run; raises PostfixConfigError."""
        if self.config_dir is not None:
            if not os.path.isabs(self.config_dir):
                # postconf would take it relative to the module's working directory.
                raise PostfixConfigError(f"config_dir {self.config_dir} is not an absolute path")
            if not os.path.isdir(self.config_dir):
                raise PostfixConfigError(f"config_dir {self.config_dir} is not a directory")
        for name, value in self.params["parameters"].items():
            check_name(name)
            self.parameters[name] = render_value(f"parameter {name}", value) if self.present else None
        seen = set()
        for spec in self.params["services"]:
            service = WantedService(spec)
            if service.key in seen:
                raise PostfixConfigError(f"service {service.key} is listed more than once in services")
            seen.add(service.key)
            self.services.append(service)

    # --- reading ---------------------------------------------------------------------------

    def command(self, *args, config_dir=None):
        config_dir = config_dir or self.config_dir
        base = [self.postconf] + (["-c", config_dir] if config_dir else [])
        return [*base, *args]

    def query(self, *args, config_dir=None):
        return run(self.module, self.command(*args, config_dir=config_dir))[1]

    def read(self):
        self.postconf = find_tool(self.module, "postconf")
        _rc, out, err = run(self.module, self.command("-n"))
        # Set but unused user-defined parameters are only in the warnings.
        self.explicit = parse_unused_parameters(err)
        self.explicit.update(parse_parameters(out))
        self.defaults = parse_parameters(self.query("-d"))
        if self.services:
            self.current_services = parse_services(self.query("-M"))
            self.current_options = parse_service_options(self.query("-P"))

    def effective(self, name, fallback=""):
        return self.explicit.get(name, self.defaults.get(name, fallback))

    # --- names Postfix knows ---------------------------------------------------------------

    def wanted_names(self):
        """(name, where) of every name to check; where is "" for a parameter, else the service."""
        names = [(name, "") for name in self.parameters] if self.present else []
        for service in self.services:
            names += [(name, service.key) for name in service.options]
        return names

    def service_parameter_names(self):
        """Per-service parameter names of the task's services, as postconf -d registers them.

        postconf -d adds names such as mailman_destination_recipient_limit for
        each master.cf service running a delivery agent (pipe, lmtp, smtp,
        local, virtual, error) or spawn. For services the task adds, ask it
        with a temporary master.cf that holds just those services.
        """
        lines = [
            f"{service.name} {service.type} - - - - - {service.entry['command']}\n"
            for service in self.services
            if service.present
        ]
        if not lines:
            return set()
        directory = tempfile.mkdtemp(prefix="postconf-", dir=self.module.tmpdir)
        for file_name, content in (("main.cf", ""), ("master.cf", "".join(lines))):
            with open(os.path.join(directory, file_name), "w", encoding="utf-8") as handle:
                handle.write(content)
        return set(parse_parameters(self.query("-d", config_dir=directory)))

    def check_commands(self):
        """Every command of a service to write is a program in daemon_directory, as master(8) runs it."""
        directory = self.effective("daemon_directory") or DEFAULT_DAEMON_DIR
        for service in self.services:
            if service.present and not is_program(os.path.join(directory, service.entry["command"])):
                raise PostfixConfigError(
                    f"service {service.key}: command {service.entry['command']!r} is not a program in "
                    f"{directory} (daemon_directory)"
                )

    def check_known(self):
        if self.params["allow_unknown"]:
            return
        known = set(self.defaults) | set(self.explicit)
        values = [value for value in self.parameters.values() if value is not None]
        for service in self.services:
            values += service.options.values()
        for value in values:
            known |= references(value)
        unknown = [(name, where) for name, where in self.wanted_names() if name not in known]
        if unknown:
            known |= self.service_parameter_names()
            unknown = [(name, where) for name, where in unknown if name not in known]
        if unknown:
            listed = ", ".join(f"{name} (option of {where})" if where else name for name, where in unknown)
            raise PostfixConfigError(
                f"Postfix does not know these parameter names: {listed}. Check the spelling, or set "
                "allow_unknown=true to set them anyway"
            )

    # --- planning --------------------------------------------------------------------------

    def plan_parameters(self):
        changed, reset, before, after = [], [], [], []
        for name, value in self.parameters.items():
            current = self.explicit.get(name)
            if not self.present:
                if current is not None:
                    reset.append(name)
                    before.append(f"{name} = {current}".rstrip())
                continue
            if current is None or normalise(current) != normalise(value):
                changed.append(name)
                if current is not None:
                    before.append(f"{name} = {current}".rstrip())
                after.append(f"{name} = {value}".rstrip())
        return changed, reset, before, after

    def plan_services(self):
        plan = {"remove": [], "write": [], "remove_options": [], "set_options": []}
        changed, before, after = [], [], []
        for service in self.services:
            current = self.current_services.get(service.key)
            current_options = self.current_options.get(service.key, {})
            if current is not None:
                current_lines = render_entry_lines(current, current_options)
            if not service.present:
                if current is not None:
                    plan["remove"].append(service.key)
                    changed.append(service.key)
                    before += current_lines
                continue
            rewrite = current is None or any(current[key] != service.entry[key] for key in ENTRY_KEYS)
            if not rewrite:
                remove = [f"{service.key}/{name}" for name in current_options if name not in service.options]
                update = {
                    name: value
                    for name, value in service.options.items()
                    if name not in current_options or normalise(current_options[name]) != normalise(value)
                }
                if not remove and not update:
                    continue
                # postconf -P refuses whitespace in a value: rewrite the whole entry instead.
                rewrite = any(has_whitespace(value) for value in update.values())
                if not rewrite:
                    plan["remove_options"] += remove
                    plan["set_options"] += [f"{service.key}/{name}={value}" for name, value in update.items()]
            if rewrite:
                plan["write"].append(f"{service.key}={render_entry(service.entry, service.options)}")
            changed.append(service.key)
            if current is not None:
                before += current_lines
            after += render_entry_lines(service.entry, service.options)
        return plan, changed, before, after

    # --- the task --------------------------------------------------------------------------

    def file_diff(self, file_name, before, after):
        directory = self.config_dir or self.defaults.get("config_directory") or DEFAULT_CONFIG_DIR
        path = os.path.join(directory, file_name)
        return {
            "before_header": path,
            "after_header": path,
            "before": "".join(f"{line}\n" for line in before),
            "after": "".join(f"{line}\n" for line in after),
        }

    def apply(self):
        self.check_input()
        self.read()
        self.check_commands()
        self.check_known()
        changed_parameters, reset_parameters, main_before, main_after = self.plan_parameters()
        plan, changed_services, master_before, master_after = self.plan_services()

        commands = [
            self.command("-MX", *plan["remove"]) if plan["remove"] else None,
            self.command("-M", *plan["write"]) if plan["write"] else None,
            self.command("-PX", *plan["remove_options"]) if plan["remove_options"] else None,
            self.command("-P", *plan["set_options"]) if plan["set_options"] else None,
            self.command("-X", *reset_parameters) if reset_parameters else None,
            self.command("-e", *(f"{name}={self.parameters[name]}" for name in changed_parameters))
            if changed_parameters
            else None,
        ]
        commands = [argv for argv in commands if argv is not None]
        # Before the first command: one that cannot be run must not follow others that changed something.
        for arg in (arg for argv in commands for arg in argv):
            size = argument_size(arg)
            if size:
                raise PostfixConfigError(
                    f"postconf argument {shorten(arg)!r} is {size} bytes long; a command-line argument can have at "
                    f"most {MAX_ARGUMENT_BYTES} bytes"
                )
        if not self.module.check_mode:
            for argv in commands:
                run(self.module, argv)

        result = {
            "changed": bool(changed_parameters or reset_parameters or changed_services),
            "changed_parameters": changed_parameters,
            "reset_parameters": reset_parameters,
            "changed_services": changed_services,
            "mail_version": self.effective("mail_version"),
        }
        if self.module._diff:
            result["diff"] = []
            if changed_parameters or reset_parameters:
                result["diff"].append(self.file_diff("main.cf", main_before, main_after))
            if changed_services:
                result["diff"].append(self.file_diff("master.cf", master_before, master_after))
        return result


def main():
    module = AnsibleModule(
        argument_spec={
            "parameters": {"type": "dict", "default": {}},
            "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
            "config_dir": {"type": "path"},
            "allow_unknown": {"type": "bool", "default": False},
            "services": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "name": {"type": "str", "required": True},
                    "type": {"type": "str", "required": True, "choices": sorted(SERVICE_TYPES)},
                    "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
                    "private": {"type": "str", "default": "-", "choices": ["y", "n", "-"]},
                    "unprivileged": {"type": "str", "default": "-", "choices": ["y", "n", "-"]},
                    "chroot": {"type": "str", "default": "-", "choices": ["y", "n", "-"]},
                    "wakeup": {"type": "str", "default": "-"},
                    "maxproc": {"type": "str", "default": "-"},
                    "command": {"type": "str"},
                    "args": {"type": "list", "elements": "str", "default": []},
                    "options": {"type": "dict", "default": {}},
                },
            },
        },
        supports_check_mode=True,
    )
    postconf = Postconf(module)
    try:
        result = postconf.apply()
    except PostfixConfigError as error:
        module.fail_json(msg=str(error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
