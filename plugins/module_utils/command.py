# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the node's tools as argv lists with a fixed C locale.

One place for how modules of this collection call external commands: never a
shell string, output in a predictable language, and a failure message that
names the command and what it printed (or the argument that is too long to be
passed at all).
"""

from __future__ import annotations

# Extra directories to search: sbin is often missing from a non-login PATH.
SBIN_DIRS = ["/usr/sbin", "/sbin", "/usr/local/sbin"]
C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}
# Linux refuses to exec a command with a longer argument (MAX_ARG_STRLEN, 32
# pages, counts the terminating NUL); exec fails with E2BIG, which
# run_command reports only as "Error executing command".
MAX_ARGUMENT_BYTES = 131071
# How much of a long value a message shows.
SHOWN_CHARACTERS = 32


def find_tool(module, name, required=True):
    """Absolute path of `name` on the managed node (fails the module if required and missing)."""
    return module.get_bin_path(name, required=required, opt_dirs=SBIN_DIRS)


def shorten(text, keep=SHOWN_CHARACTERS):
    """text, or its first `keep` characters and "..." when it is longer, for error messages."""
    return text if len(text) <= keep else text[:keep] + "..."


def argument_size(text):
    """Bytes `text` takes as one argument of a command line, or 0 when it fits (MAX_ARGUMENT_BYTES)."""
    size = len(text.encode("utf-8", "surrogateescape"))
    return size if size > MAX_ARGUMENT_BYTES else 0


def run(module, argv, check=True, data=None, what=None):
    """Run argv (a list) and return (rc, stdout, stderr).

    With check=True a non-zero exit fails the module with a message naming the
    command (or `what`) and its error output.
    """
    if not isinstance(argv, list):
        raise TypeError("argv must be a list")
    for arg in map(str, argv):
        size = argument_size(arg)
        if size:
            module.fail_json(
                msg=f"cannot run {argv[0]}: argument {shorten(arg)!r} is {size} bytes long; "
                f"a command-line argument can have at most {MAX_ARGUMENT_BYTES} bytes"
            )
        if "\0" in arg:
            # exec would fail with "embedded null byte", naming nothing.
            module.fail_json(msg=f"cannot run {argv[0]}: argument {shorten(arg)!r} contains a NUL character")
    rc, out, err = module.run_command(argv, environ_update=C_LOCALE, data=data, check_rc=False)
    if check and rc != 0:
        detail = (err or out or "").strip()
        module.fail_json(
            msg=f"{what or ' '.join(argv)} failed with exit code {rc}: {detail}",
            cmd=argv,
            rc=rc,
            stdout=out,
            stderr=err,
        )
    return rc, out, err
