# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Postfix configuration values and master.cf entries as postconf reads and writes them.

Pure functions, no I/O: how a wanted value is rendered for `postconf -e`, how
two values are compared, how `postconf -n`, `-d`, `-M` and `-P` output is
parsed, and how a master.cf entry is written for `postconf -M`.
"""

from __future__ import annotations

import re

from ansible_collections.listserv.mailstack.plugins.module_utils.command import MAX_ARGUMENT_BYTES, shorten

# main.cf parameter names (also the names of master.cf -o overrides).
# Patterns are used with fullmatch: "$" would also match before a final newline.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_]+")
# A value must stay on one main.cf line: no newline, NUL or other control character.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# Postfix treats commas, spaces, tabs and newlines alike between list elements.
SEPARATORS = re.compile(r"[\s,]+")
# $name, ${name}, ${name?value}, $(name) in a value: a reference to another parameter.
REFERENCE = re.compile(r"\$(?:\{|\()?([A-Za-z0-9_]+)")
# postconf -n leaves out parameters that main.cf sets but nothing uses (user-defined
# names no value refers to); it warns about each on stderr instead.
UNUSED_PARAMETER = re.compile(r"^.*: warning: .*main\.cf: unused parameter: ([A-Za-z0-9_]+)=(.*)$")
SERVICE_TYPES = ("inet", "unix", "unix-dgram", "fifo", "pass")
# What `postconf -M name/type=...` and `-P name/type/param=...` can address: no
# whitespace, control characters, '/' or '=' (the separators of those
# arguments), no braces or '#' (master.cf syntax), no leading '-' (an option).
SERVICE_NAME_PATTERN = re.compile(r"[^\s\x00-\x1f\x7f/={}#-][^\s\x00-\x1f\x7f/={}#]*")
# master(8) runs daemon_directory + "/" + command: a '/' would lead out of it ("../../bin/sh").
COMMAND_PATTERN = re.compile(r"[^\s\x00-\x1f\x7f{}#/-][^\s\x00-\x1f\x7f{}/]*")
ARGUMENT_PATTERN = re.compile(r"[^\s\x00-\x1f\x7f]+")
WAKEUP_PATTERN = re.compile(r"-|[0-9]+\??")
MAXPROC_PATTERN = re.compile(r"-|[0-9]+")
# Separators between list elements when rendering a list: main.cf lines read
# best with ", "; a master.cf -o value with whitespace would need { } quoting.
PARAMETER_LIST_SEPARATOR = ", "
OPTION_LIST_SEPARATOR = ","
FIELDS = ("private", "unprivileged", "chroot", "wakeup", "maxproc")
# A value goes to postconf as one "name=value" argument, which Linux limits to
# 131071 bytes (MAX_ARG_STRLEN); with room for the longest names.
MAX_VALUE_BYTES = MAX_ARGUMENT_BYTES - 1024
OVERRIDE_FLAG = "-o"
# Options of Postfix daemons that take a value (their getopt string is "cdDi:lm:n:o:s:St:uvVz").
OPTIONS_WITH_VALUE = frozenset("imnost")


class PostfixConfigError(ValueError):
    """A wanted value or entry that cannot be written; the message names it."""


def is_name(name):
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


def check_name(name):
    if not is_name(name):
        raise PostfixConfigError(f"invalid parameter name {name!r}: use only letters, digits and underscores")


def _render_scalar(name, value):
    """The text of one value (or list element), or None for a type that has none."""
    # bool first: True is also an int.
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, str):
        return None
    # Checked before stripping: a trailing newline is refused too, not dropped silently.
    if CONTROL_CHARACTERS.search(value):
        raise PostfixConfigError(f"value of {name} contains a newline or another control character: {value!r}")
    return value.strip()


def render_value(name, value, list_separator=PARAMETER_LIST_SEPARATOR):
    """The text postconf writes for `value`: booleans as yes/no, lists joined.

    `name` is only used in error messages (a parameter name, or a description
    such as "option smtpd_tls_security_level of submission/inet").
    """
    text = _render(name, value, list_separator)
    size = len(text.encode("utf-8", "surrogateescape"))
    if size > MAX_VALUE_BYTES:
        raise PostfixConfigError(
            f"value of {name} is {size} bytes long ({shorten(text)!r}); postconf takes at most {MAX_VALUE_BYTES} bytes"
        )
    return text


def _render(name, value, list_separator):
    if value is None:
        raise PostfixConfigError(f"value of {name} is null; use an empty string for an empty value")
    if not isinstance(value, (list, tuple)):
        text = _render_scalar(name, value)
        if text is None:
            raise PostfixConfigError(
                f"value of {name} must be a string, integer, boolean or list, not {type(value).__name__}"
            )
        return text
    items = []
    for item in value:
        text = _render_scalar(name, item)
        if text is None:
            raise PostfixConfigError(
                f"value of {name} must be a list of strings, integers or booleans, "
                f"not a list with a {type(item).__name__} element"
            )
        if text:
            items.append(text)
    return list_separator.join(items)


def normalise(value):
    """A value with every run of commas and whitespace made one space, for comparison.

    Postfix splits list values on commas and whitespace alike, and `postconf -e`
    rewrites whitespace, so "a, b", "a,b" and "a\\n    b" are the same value.
    """
    return " ".join(part for part in SEPARATORS.split(value) if part)


def references(value):
    """Names of the parameters that `value` refers to with $name, ${name...} or $(name)."""
    return set(REFERENCE.findall(value))


def _value(rest):
    """The value in what follows " =" on a postconf output line ("name =" has an empty value)."""
    return rest[1:] if rest.startswith(" ") else rest


def parse_parameters(text):
    """`postconf -n` or `postconf -d` output ("name = value" lines) as a dict."""
    result = {}
    for line in text.splitlines():
        name, separator, value = line.partition(" =")
        if not separator or not is_name(name):
            continue
        result[name] = _value(value)
    return result


def parse_unused_parameters(text):
    """The "unused parameter: name=value" warnings about main.cf in postconf's stderr, as a dict."""
    result = {}
    for line in text.splitlines():
        match = UNUSED_PARAMETER.match(line)
        if match:
            result[match.group(1)] = match.group(2)
    return result


def split_master_tokens(text):
    """Split a master.cf entry into words; a { ... } group (nesting allowed) stays in one word."""
    tokens = []
    current = []
    depth = 0
    for char in text:
        if char.isspace() and depth == 0:
            if current:
                tokens.append("".join(current))
                current = []
            continue
        if char == "{":
            depth += 1
        elif char == "}" and depth > 0:
            depth -= 1
        current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def service_key(name, service_type):
    return f"{name}/{service_type}"


def split_daemon_options(words):
    """Split a command's arguments the way Postfix daemons (and postconf -P) read them.

    Returns (options, overrides, rest): the leading "-x" options other than
    -o (with their values), the values of the -o overrides, and the words
    from the first non-option word on. A later "-o", as in
    "argv=/usr/sbin/sendmail -oi", is a plain argument.
    """
    options, overrides = [], []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--" or len(word) < 2 or not word.startswith("-"):
            break
        step = 1
        if word[1] in OPTIONS_WITH_VALUE:
            if len(word) == 2:
                step = 2
            if word[1] == "o":
                overrides.append(word[2:] if len(word) > 2 else "".join(words[index + 1 : index + 2]))
                index += step
                continue
        options += words[index : index + step]
        index += step
    return options, overrides, words[index:]


def parse_services(text):
    """`postconf -M` output (one line per entry) as a dict "name/type" -> entry.

    An entry is a dict with name, type, the five fields, command and args; the
    -o overrides are left out of args (`postconf -P` lists them).
    """
    services = {}
    for line in text.splitlines():
        tokens = split_master_tokens(line)
        if len(tokens) < 8:
            continue
        options, _overrides, rest = split_daemon_options(tokens[8:])
        name, service_type = tokens[0], tokens[1]
        entry = {"name": name, "type": service_type, **dict(zip(FIELDS, tokens[2:7], strict=True))}
        entry.update(command=tokens[7], args=options + rest)
        services[service_key(name, service_type)] = entry
    return services


def parse_service_options(text):
    """`postconf -P` output ("name/type/parameter = value" lines) as "name/type" -> {parameter: value}."""
    options = {}
    for line in text.splitlines():
        left, separator, value = line.partition(" =")
        if not separator:
            continue
        parts = left.rsplit("/", 2)
        if len(parts) != 3:
            continue
        name, service_type, parameter = parts
        options.setdefault(service_key(name, service_type), {})[parameter] = _value(value)
    return options


def render_option(name, value):
    """One -o override as master.cf needs it: { name = value } when the value has whitespace."""
    if any(char.isspace() for char in value):
        return f"{{ {name} = {value} }}"
    return f"{name}={value}"


def render_entry(entry, options=None):
    """The master.cf entry for `postconf -M name/type=...`.

    The -o overrides come right after the command, where Postfix looks for
    them (and where `postconf -P` puts them), then the arguments.
    """
    words = [entry["name"], entry["type"], *(entry[field] for field in FIELDS), entry["command"]]
    for name, value in (options or {}).items():
        words += [OVERRIDE_FLAG, render_option(name, value)]
    return " ".join([*words, *entry["args"]])


def render_entry_lines(entry, options=None):
    """The entry in master.cf's layout, for diffs: fields and command, one -o per line, then the arguments."""
    lines = [" ".join([entry["name"], entry["type"], *(entry[field] for field in FIELDS), entry["command"]])]
    lines += [f"  {OVERRIDE_FLAG} {render_option(name, value)}" for name, value in (options or {}).items()]
    if entry["args"]:
        lines.append("  " + " ".join(entry["args"]))
    return lines
