# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""File helpers shared by the modules that edit configuration files.

- read_bytes(): a file's content, or None when it does not exist;
- write_atomic(): replace a file through a temporary file in its own directory
  and module.atomic_move (mode, owner and SELinux context of an existing file
  are kept), with an optional backup;
- file_diff(): the before/after dictionary for --diff.
"""

from __future__ import annotations

import os
import tempfile


def read_bytes(path):
    """Content of path, or None if it does not exist."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def write_atomic(module, path, data, backup=False):
    """Replace path with data (bytes) atomically; return the backup's path or None.

    Fails the module with a message naming path when the file cannot be written.

    The temporary file lives in the target's directory, so the final rename
    never crosses file systems and readers see either the old or the new file.
    A backup (module.backup_local) is made only of an existing file.
    """
    directory = os.path.dirname(os.path.abspath(path))
    temp_path = None
    backup_file = None
    try:
        fd, temp_path = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if backup and os.path.exists(path):
            backup_file = module.backup_local(path)
        module.atomic_move(temp_path, path, unsafe_writes=module.params.get("unsafe_writes", False))
    except Exception as exc:  # mkstemp raises OSError; atomic_move and backup_local plain Exception
        module.fail_json(msg=f"cannot write {path}: {exc}")
    finally:
        if temp_path is not None and os.path.exists(temp_path):
            os.unlink(temp_path)
    return backup_file or None


def _text(data):
    return "" if data is None else data.decode("utf-8", "replace")


def file_diff(module, path, before, after):
    """--diff dictionary for a file going from before to after (bytes; None = absent), or None without --diff."""
    if not module._diff:
        return None
    return {
        "before": _text(before),
        "after": _text(after),
        "before_header": path if before is not None else f"{path} (absent)",
        "after_header": path if after is not None else f"{path} (absent)",
    }
