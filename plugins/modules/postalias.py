#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: postalias
short_description: Manage entries of an aliases(5) file and rebuild its Postfix database
description:
  - Adds, updates and removes entries of a Postfix or Sendmail alias file (aliases(5) format) and rebuilds its
    database with one C(postalias) run when the file changed or the database is missing or older than the file.
  - Everything else in the file is kept byte for byte, in order - comments, blank lines and other entries.
    A changed entry is rewritten in place on one line (comment lines between its continuation lines are kept
    after it); new entries are appended at the end; a removed entry disappears with its continuation lines.
  - Names are compared case-insensitively (Unicode case folding, as C(postalias) folds keys) and written as given.
  - When a name already occurs more than once, Postfix warns and uses the first entry. This module updates the
    first entry of a managed name and removes the later ones (reported in RV(duplicates)); with O(state=absent)
    all of them are removed. Duplicates of names the task does not mention are left alone.
  - All input is checked before anything is touched; a refused value is named in the error message, quoted
    JSON-style so that control characters and unusual spaces are visible.
  - Non-ASCII (UTF-8) names and addresses are accepted. Postfix 3 with C(smtputf8_enable=yes), the default from
    compatibility level 1 on, stores and finds them.
version_added: 0.1.0
author:
  - listserv.mailstack maintainers (!UNKNOWN)
options:
  path:
    description:
      - The alias file, an absolute path. It must be a regular file (or a symbolic link to one) when it exists.
    type: path
    default: /etc/aliases
  name:
    description:
      - Name of one alias to manage (the part before the colon).
      - Must not be empty, nor contain whitespace, control or invisible characters, V(:), V(,), double quotes,
        backslashes, V(@) or V(%), nor start with V(#), and must not be longer than 255 bytes (UTF-8).
      - Mutually exclusive with O(aliases) and O(src).
    type: str
  recipients:
    description:
      - Recipients of O(name), in order. Needed with O(name) and O(state=present); ignored with O(state=absent).
      - "Each is an address (V(user), V(user@example.org), V(\"john doe\"@example.org)), a command (V(|/path/prog args),
        needs O(allow_commands)), a file (V(/path), needs O(allow_files)) or an include list (V(:include:/path),
        absolute path)."
      - Commands, files and include lists are written in double quotes when they contain characters other than
        letters, digits and V(_ . / + = | ~ % -); they may be given with or without those quotes, but must not
        contain double quotes or backslashes themselves (call a wrapper script instead).
      - An address must not contain a comma, nor whitespace outside double quotes. Spaces and tabs around a
        recipient are ignored.
      - A recipient must not be longer than 4096 bytes (UTF-8).
    type: list
    elements: str
  aliases:
    description:
      - Several aliases in one call, as a mapping of name to list of recipients (rules as for O(name) and
        O(recipients)). A string value is split on commas.
      - With O(state=absent), the names (keys) are removed and the values are ignored.
      - Mutually exclusive with O(name), O(recipients) and O(src). One of O(name), O(aliases) and O(src) is required.
    type: dict
  src:
    description:
      - "Like O(aliases), but the entries are read from this file on the managed node, in aliases(5) format
        (V(name: recipient, ...), continuation lines, comments and blank lines as in the alias file itself; each
        entry's recipients follow the rules of O(recipients))."
      - For large sets this is faster than O(aliases), whose mapping Ansible templates, copies to the worker and
        packs into the module on the controller - in the collection's benchmarks even at 10,000 aliases and 5x
        faster at 100,000, copy included. For small sets the extra task to copy the file makes it slower. Copy or
        template the file to the node first.
      - A line that is not an entry, a continuation line without an entry and a name given twice are refused,
        with the line number. The file is only read.
      - With O(state=absent), the names of its entries are removed. With O(exclusive=true), the file's entries
        become the alias file's only entries.
      - Mutually exclusive with O(name), O(recipients) and O(aliases).
    type: path
  state:
    description:
      - V(present) adds or updates the entries; V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  exclusive:
    description:
      - With O(state=present), also remove every entry of the file whose name is not given in O(name) or
        O(aliases). Careful with V(/etc/aliases) - list V(postmaster) and the other entries you keep.
      - Lines that are not entries (comments, blank lines, lines without a colon) are kept.
      - Not allowed with O(state=absent).
    type: bool
    default: false
  allow_commands:
    description:
      - Allow C(|command) recipients. They run as the alias file's owner or the C(default_privs) user.
    type: bool
    default: false
  allow_files:
    description:
      - Allow C(/path) recipients (delivery by appending to a file).
    type: bool
    default: false
  create:
    description:
      - Create the file when it does not exist. With V(false), a missing file fails the task for
        O(state=present); O(state=absent) has nothing to remove from a missing file.
      - The directory must exist.
    type: bool
    default: true
  rebuild:
    description:
      - "Run C(postalias <database_type>:<path>) when the file changed or its database is missing or older than the
        file (the conditions of the Postfix warnings C(database ... is older than source file) and
        C(open database ...: No such file or directory)). A stale or missing database alone makes the task changed."
      - With V(false) the database is neither checked nor rebuilt.
    type: bool
    default: true
  database_type:
    description:
      - Postfix database type to build, which also decides the database file name - V(hash) and V(btree) use
        C(<path>.db), V(lmdb) C(<path>.lmdb), V(cdb) C(<path>.cdb), V(dbm) and V(sdbm) C(<path>.dir) and
        C(<path>.pag). Other types fail the task, and so does a type this Postfix cannot build (not listed by
        C(postconf -m); on Debian V(cdb) and V(lmdb) come with the packages C(postfix-cdb) and C(postfix-lmdb)),
        before the file is changed.
      - Default is what C(postconf -h default_database_type) prints, or V(hash) when C(postconf) is not installed.
    type: str
  backup:
    description:
      - Keep a time-stamped copy of the file before changing it.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: Predicts every change, including a database rebuild, without writing a file or running C(postalias).
  diff_mode:
    support: full
    details: Shows the file before and after.
  platform:
    support: full
    platforms: debian
  safe_file_operations:
    description: Uses Ansible's strict file operation functions to ensure proper permissions and avoid data corruption.
    support: full
notes:
  - The file is replaced atomically through a temporary file in its own directory; the mode, owner and SELinux
    context of an existing file are kept unless file attribute options say otherwise. File attributes are applied
    even when the content is unchanged, and before the rebuild, because C(postalias) runs as the file's owner.
  - "Each entry is written on one line: C(name: recipient, recipient)."
  - Warnings that C(postalias) prints (for example about duplicate entries of names this task did not mention)
    are passed on as task warnings.
seealso:
  - name: aliases(5)
    description: Format of the Postfix alias file.
    link: https://www.postfix.org/aliases.5.html
  - name: postalias(1)
    description: The command that builds the alias database.
    link: https://www.postfix.org/postalias.1.html
"""

EXAMPLES = r"""
- name: Send root's mail to the administrators
  listserv.mailstack.postalias:
    name: root
    recipients:
      - alice@example.org
      - bob@example.org

- name: A Postfix-native mailing list kept in its own file, with its owner and request addresses
  listserv.mailstack.postalias:
    aliases:
      staff: [":include:/etc/postfix/mail_list/staff"]
      owner-staff: [alice]
      staff-request: [alice]

- name: Hand a list's mail to a program (needs allow_commands)
  listserv.mailstack.postalias:
    path: /etc/postfix/aliases-lists
    name: announce
    recipients: ["|/usr/local/bin/list-deliver announce"]
    allow_commands: true
    database_type: hash
    owner: root
    group: root
    mode: "0644"

- name: The complete alias file; entries not listed here are removed
  listserv.mailstack.postalias:
    aliases:
      postmaster: [root]
      abuse: [root]
      root: [alice@example.org]
    exclusive: true
    backup: true

- name: Remove an alias
  listserv.mailstack.postalias:
    name: old-list
    state: absent

# Tens of thousands of aliases: ship them as a file (cheap) rather than as a
# mapping in the task's arguments (Ansible templates and packs every entry).
- name: Copy the generated list aliases to the node
  ansible.builtin.copy:
    src: files/list-aliases
    dest: /etc/postfix/list-aliases.src
    mode: "0644"

- name: Apply them to the alias file
  listserv.mailstack.postalias:
    path: /etc/postfix/aliases-lists
    src: /etc/postfix/list-aliases.src
    exclusive: true
"""

RETURN = r"""
added:
  description: Names of the entries added.
  returned: always
  type: list
  elements: str
  sample: [staff, owner-staff]
removed:
  description: Names of the entries removed (as given, or as found in the file for entries removed by O(exclusive)).
  returned: always
  type: list
  elements: str
  sample: [old-list]
updated:
  description: Names of the entries whose recipients changed.
  returned: always
  type: list
  elements: str
  sample: [root]
duplicates:
  description: Managed names of which later duplicate entries were removed (Postfix used only the first).
  returned: always
  type: list
  elements: str
  sample: [root]
rebuilt:
  description: Whether C(postalias) rebuilt (or, in check mode, would rebuild) the database.
  returned: always
  type: bool
  sample: true
database:
  description: The database file (for V(dbm) and V(sdbm) the C(.dir) file; its C(.pag) file is next to it).
  returned: always
  type: str
  sample: /etc/aliases.db
database_type:
  description: The database type used.
  returned: always
  type: str
  sample: hash
backup_file:
  description: The backup copy of the file made before changing it.
  returned: when O(backup=true) and the file changed
  type: str
  sample: /etc/aliases.12345.2025-01-01@10:00:00~
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils import aliases as aliasfile
from ansible_collections.listserv.mailstack.plugins.module_utils.command import find_tool, run
from ansible_collections.listserv.mailstack.plugins.module_utils.fileops import (
    file_diff,
    read_bytes,
    write_atomic,
)

# Map types that Debian's postfix package leaves to packages of their own.
DEBIAN_MAP_PACKAGES = ("cdb", "lmdb")


def argument_spec():
    return dict(
        path=dict(type="path", default="/etc/aliases"),
        name=dict(type="str"),
        recipients=dict(type="list", elements="str"),
        aliases=dict(type="dict"),
        src=dict(type="path"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        exclusive=dict(type="bool", default=False),
        allow_commands=dict(type="bool", default=False),
        allow_files=dict(type="bool", default=False),
        create=dict(type="bool", default=True),
        rebuild=dict(type="bool", default=True),
        database_type=dict(type="str"),
        backup=dict(type="bool", default=False),
    )


def wanted_state(module):
    """({name: [recipients]}, [names to remove]) from the parameters; fails on bad input."""
    params = module.params
    if params["exclusive"] and params["state"] == "absent":
        module.fail_json(msg="exclusive=true applies only to state=present")
    prefix = ""
    if params["src"] is not None:
        prefix = f"src {aliasfile.show(params['src'])}: "
        mapping = read_entries(module, params["src"])
    elif params["aliases"] is not None:
        mapping = params["aliases"]
    else:
        mapping = {params["name"]: params["recipients"]}
    try:
        if params["state"] == "present":
            return aliasfile.check_aliases(mapping, params["allow_commands"], params["allow_files"]), []
        return {}, aliasfile.check_names(list(mapping))
    except aliasfile.AliasError as exc:
        module.fail_json(msg=f"{prefix}{exc}")


def read_entries(module, src):
    """The entries of the src file as {name: [recipients]}; fails naming the file (and line) when it cannot."""
    shown = aliasfile.show(src)
    if not os.path.isabs(src):
        module.fail_json(msg=f"src {shown} is not an absolute path")
    if not os.path.exists(src):
        module.fail_json(msg=f"src {shown} does not exist")
    if not os.path.isfile(src):
        # A FIFO would block the read for ever.
        module.fail_json(msg=f"src {shown} is not a regular file")
    try:
        data = read_bytes(src)
    except OSError as exc:
        module.fail_json(msg=f"cannot read src {shown}: {exc.strerror}")
    try:
        return aliasfile.read_entries(aliasfile.decode(data), f"src {shown}")
    except aliasfile.AliasError as exc:
        module.fail_json(msg=str(exc))


def database_type(module):
    """The type asked for, else Postfix's default_database_type, else hash."""
    if module.params["database_type"]:
        return module.params["database_type"]
    postconf = find_tool(module, "postconf", required=False)
    if not postconf:
        return "hash"
    _rc, out, _err = run(module, [postconf, "-h", "default_database_type"])
    return out.strip() or "hash"


def check_available(module, db_type):
    """Fail unless this Postfix can build db_type (postconf -m), before the file is touched.

    postalias would refuse an unavailable type only after the file is written.
    Without postconf (Postfix not installed yet) there is nothing to ask.
    """
    postconf = find_tool(module, "postconf", required=False)
    if not postconf:
        return
    _rc, out, _err = run(module, [postconf, "-m"])
    available = set(out.split())
    if db_type not in available:
        buildable = ", ".join(sorted(available & set(aliasfile.DATABASE_SUFFIXES))) or "none"
        hint = f"; on Debian, install postfix-{db_type}" if db_type in DEBIAN_MAP_PACKAGES else ""
        module.fail_json(
            msg=f"database_type {aliasfile.show(db_type)} is not available in this Postfix (postconf -m); "
            f"it can build {buildable}{hint}"
        )


def database_stale(source, files):
    """True when a database file is missing or older than the source file.

    Compared in whole seconds, as Postfix does for its warning: the file is
    written with a sub-second mtime from the system clock (atomic_move sets
    it), while the database that postalias creates right after may get the
    kernel's coarser clock, a few milliseconds earlier. Comparing nanoseconds
    would call such a fresh database stale and make the next run changed.
    """
    source_mtime = int(os.stat(source).st_mtime)
    for name in files:
        try:
            if int(os.stat(name).st_mtime) < source_mtime:
                return True
        except FileNotFoundError:
            return True
    return False


def read_source(module, path):
    """Content of the alias file, None when it is missing and may be created; fails when it cannot be."""
    if os.path.isdir(path):
        module.fail_json(msg=f"{aliasfile.show(path)} is a directory, not an alias file")
    if os.path.exists(path) and not os.path.isfile(path):
        # A FIFO would block the read for ever; a device is no alias file either.
        module.fail_json(msg=f"{aliasfile.show(path)} is not a regular file")
    try:
        before = read_bytes(path)
    except OSError as exc:
        module.fail_json(msg=f"cannot read {aliasfile.show(path)}: {exc.strerror}")
    if before is None and module.params["state"] == "present":
        if not module.params["create"]:
            module.fail_json(msg=f"{aliasfile.show(path)} does not exist and create=false")
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            module.fail_json(
                msg=f"cannot create {aliasfile.show(path)}: directory {aliasfile.show(directory)} does not exist"
            )
    return before


def rebuild_database(module, path, db_type):
    """Run postalias once (not in check mode); its warnings become task warnings."""
    postalias = find_tool(module, "postalias")
    if module.check_mode:
        return
    _rc, _out, err = run(module, [postalias, f"{db_type}:{path}"])
    for line in err.splitlines():
        if line.strip():
            module.warn(line.strip())


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("name", "aliases", "src"), ("recipients", "aliases", "src")],
        required_one_of=[("name", "aliases", "src")],
        required_by={"recipients": "name"},
        required_if=[("state", "present", ("recipients", "aliases", "src"), True)],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    if not os.path.isabs(path):
        # Relative to the module's working directory, which is nobody's choice.
        module.fail_json(msg=f"path {aliasfile.show(path)} is not an absolute path")
    present, absent = wanted_state(module)

    db_type = database_type(module)
    try:
        db_files = aliasfile.database_files(path, db_type)
    except aliasfile.AliasError as exc:
        module.fail_json(msg=str(exc))
    if params["database_type"] and params["rebuild"]:
        check_available(module, db_type)

    result = dict(changed=False, added=[], removed=[], updated=[], duplicates=[], rebuilt=False)
    result.update(database=db_files[0], database_type=db_type)

    before = read_source(module, path)
    if before is None and params["state"] == "absent":
        module.exit_json(**result)

    edited = aliasfile.edit(aliasfile.decode(before or b""), present, absent, params["exclusive"])
    after = aliasfile.encode(edited.text)
    content_changed = before is None or after != before
    result.update(
        changed=content_changed,
        added=edited.added,
        removed=edited.removed,
        updated=edited.updated,
        duplicates=edited.duplicates,
    )
    diff = file_diff(module, path, before, after)
    if diff is not None:
        result["diff"] = diff

    if content_changed and not module.check_mode:
        backup_file = write_atomic(module, path, after, backup=params["backup"])
        if backup_file:
            result["backup_file"] = backup_file

    # Attributes first: postalias runs as the file's owner.
    if os.path.exists(path):
        file_args = module.load_file_common_arguments(params)
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])

    if params["rebuild"] and (content_changed or database_stale(path, db_files)):
        rebuild_database(module, path, db_type)
        result.update(changed=True, rebuilt=True)

    module.exit_json(**result)


if __name__ == "__main__":
    main()
