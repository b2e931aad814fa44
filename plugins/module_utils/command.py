# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run the node's tools as argv lists with a fixed C locale.

One place for how modules of this collection call external commands: never a
shell string, output in a predictable language, and a failure message that
names the command and what it printed.
"""

from __future__ import annotations

# Extra directories to search: sbin is often missing from a non-login PATH.
SBIN_DIRS = ["/usr/sbin", "/sbin", "/usr/local/sbin"]
C_LOCALE = {"LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}


def find_tool(module, name, required=True):
    """Absolute path of `name` on the managed node (fails the module if required and missing)."""
    return module.get_bin_path(name, required=required, opt_dirs=SBIN_DIRS)


def run(module, argv, check=True, data=None, what=None):
    """Run argv (a list) and return (rc, stdout, stderr).

    With check=True a non-zero exit fails the module with a message naming the
    command (or `what`) and its error output.
    """
    if not isinstance(argv, list):
        raise TypeError("argv must be a list")
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
