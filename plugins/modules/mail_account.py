#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

# Ansible wants the imports after DOCUMENTATION, EXAMPLES and RETURN.

DOCUMENTATION = r"""
---
module: mail_account
short_description: Manage mail users as local accounts with a no-login shell and an mbox in the spool
version_added: "0.1.0"
description:
  - Creates, changes and removes a local account that receives mail, with C(useradd), C(usermod), C(userdel)
    and C(chpasswd -e). Mail users get a no-login shell by default and no home directory.
  - With O(create_mailbox=true) the account's mailbox file in the mail spool exists, owned by the account and the
    group C(mail), mode C(0660). The spool is O(spool_dir), else Postfix's C(mail_spool_directory) when C(postconf)
    is installed, else C(/var/mail).
  - Removing an account also removes its mailbox (O(remove_mailbox)), or moves it to O(archive_mailbox_to), so no
    mail is left for a later account of the same name. A mailbox left behind by an account that no longer exists is
    removed the same way.
  - Password hashes are made and checked on the managed node with libcrypt's C(crypt) function through ctypes
    (Python's C(crypt) module is gone in Python 3.13). Passwords and hashes never appear on a command line, in the
    result, in the diff or in logs.
  - Accounts with a uid below C(UID_MIN) from C(/etc/login.defs) (default 1000) are system accounts. The module
    refuses to remove them or to change their shell or password.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
requirements:
  - C(useradd), C(usermod), C(userdel) and C(chpasswd) (Debian package C(passwd)).
  - libcrypt on the managed node (Debian package C(libcrypt1)) when O(password) or O(password_plaintext) is used.
attributes:
  check_mode:
    description: Can run in check mode and predict the change without modifying the node.
    support: full
  diff_mode:
    description: Returns the account's fields and mailbox before and after; a password shows only as changed or not.
    support: full
  platform:
    description: The Debian account tools and file layout.
    support: full
    platforms: debian
options:
  name:
    description:
      - Name of the account and of its mailbox file.
      - 1 to 32 characters of V(a-z), V(0-9), V(_), V(.) and V(-), starting with a letter or V(_) and not ending
        with V(-).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the account (and its mailbox with O(create_mailbox)).
      - V(absent) removes the account with C(userdel) (its home directory, if any, stays) and then its mailbox (see
        O(remove_mailbox) and O(archive_mailbox_to)).
    type: str
    choices: [absent, present]
    default: present
  password:
    description:
      - The password as a crypt hash, for example C($y$...) (yescrypt) or C($6$...) (SHA-512).
      - The node's libcrypt must support the hash's method, so that no account gets a password nobody can log in
        with.
      - Mutually exclusive with O(password_plaintext).
    type: str
  password_plaintext:
    description:
      - The password in plain text. The module hashes it on the node with SHA-512 crypt (C($6$)) and a random
        16-character salt.
      - It must not contain a NUL character and must not be longer than 511 bytes (UTF-8), the most libcrypt hashes.
      - With O(update_password=always) the password is set again only when the current hash does not match this
        password, so a second run reports no change.
      - Mutually exclusive with O(password).
    type: str
  update_password:
    description:
      - V(always) sets the password whenever it differs from the current one (for O(password) the hash is compared,
        for O(password_plaintext) the plain text is checked against the current hash).
      - V(on_create) sets the password only when the account is created.
      - Setting a password replaces the whole shadow password field, so it also unlocks a locked account.
    type: str
    choices: [always, on_create]
    default: always
  shell:
    description:
      - Login shell, an absolute path. It must be listed in C(/etc/shells) or be a C(nologin) or C(false)
        program (these are not listed there by design), and it must exist and be executable.
    type: str
    default: /usr/sbin/nologin
  comment:
    description:
      - The account's comment (GECOS field), usually the person's full name. Unchanged when not given.
      - It must not contain V(:) or control characters (O(shell) and O(home) neither).
    type: str
  uid:
    description:
      - The account's uid, between C(UID_MIN) from C(/etc/login.defs) and 4294967294, not used by another account.
      - When not given, C(useradd) picks one on creation and an existing account keeps its uid.
    type: int
  group:
    description:
      - Primary group (name or gid); it must exist.
      - When not given, C(useradd) creates a group named like the account (Debian's C(USERGROUPS_ENAB)) and an
        existing account keeps its group.
    type: str
  groups:
    description:
      - Supplementary groups; each must exist.
      - With O(append=false) the account is in exactly these groups (an empty list removes it from all). When not
        given, the supplementary groups are not changed.
    type: list
    elements: str
  append:
    description:
      - With V(true), add the account to O(groups) and leave its other supplementary groups alone.
    type: bool
    default: false
  home:
    description:
      - Home directory, an absolute path. When not given, C(useradd) uses its default (C(/home/<name>)) on
        creation and an existing account keeps its home.
      - Changing it does not move the old directory's contents.
    type: path
  create_home:
    description:
      - Create the home directory (with the skeleton files) when the account is created.
      - Mail-only users read their mail from the spool (or over IMAP) and need no home directory, hence V(false).
    type: bool
    default: false
  create_mailbox:
    description:
      - With O(state=present), make sure the mailbox file exists in the spool with owner the account, group C(mail)
        and mode C(0660).
      - A mailbox that exists before its account is created is refused, since it may hold a former account's mail.
    type: bool
    default: true
  remove_mailbox:
    description:
      - With O(state=absent), remove the mailbox (or move it to O(archive_mailbox_to)).
      - V(false) leaves it in the spool.
    type: bool
    default: true
  archive_mailbox_to:
    description:
      - With O(state=absent), move the mailbox into this existing directory instead of deleting it, as
        C(<name>.<UTC time YYYYmmddTHHMMSSZ>.mbox); an existing file is never overwritten (a counter is added).
      - The archive belongs to C(root:root) with mode C(0600), since the account's uid may be given to someone else.
      - Needs O(remove_mailbox=true). Not used with O(state=present).
    type: path
  spool_dir:
    description:
      - Mail spool directory holding the mailbox files.
      - Defaults to C(postconf -h mail_spool_directory) when Postfix is installed, else C(/var/mail). A Postfix value
        ending in C(/) (Maildir delivery) is refused when a mailbox is managed.
    type: path
notes:
  - Account data is read from the system databases (C(/etc/passwd), C(/etc/group)) and C(/etc/shadow), so the module
    needs root (C(become=true)).
  - O(password) and O(password_plaintext) are C(no_log); with loops over accounts also set C(no_log) on the task.
seealso:
  - module: ansible.builtin.user
"""

EXAMPLES = r"""
- name: Create a mail user with a password hashed on the node
  listserv.mailstack.mail_account:
    name: alice
    comment: Alice Example
    password_plaintext: "{{ vault_alice_password }}"
  no_log: true

- name: Create a mail user from an existing yescrypt hash, set only once
  listserv.mailstack.mail_account:
    name: bob
    password: "{{ vault_bob_hash }}"
    update_password: on_create
    groups: [lists]
    append: true

- name: Remove a mail user and keep the mailbox in an archive
  listserv.mailstack.mail_account:
    name: carol
    state: absent
    archive_mailbox_to: /var/backups/mailboxes
  register: removed

- name: Show where the mailbox went
  ansible.builtin.debug:
    msg: "{{ removed.archived_to | default('no mailbox') }}"

- name: Remove a mail user and its mailbox
  listserv.mailstack.mail_account:
    name: dave
    state: absent
"""

RETURN = r"""
name:
  description: The account's name.
  returned: always
  type: str
  sample: alice
uid:
  description:
    - The account's uid (for V(absent), the uid it had).
    - V(null) when the account does not exist, or in check mode when C(useradd) would pick the uid.
  returned: always
  type: int
  sample: 1001
state:
  description: The account's state after the task.
  returned: always
  type: str
  sample: present
mailbox:
  description: Path of the account's mailbox file in the spool.
  returned: always
  type: str
  sample: /var/mail/alice
archived_to:
  description: Where the mailbox was moved (in check mode, would be moved) by O(archive_mailbox_to).
  returned: when a mailbox was archived
  type: str
  sample: /var/backups/mailboxes/carol.20250101T120000Z.mbox
password_changed:
  description: Whether the password was (in check mode, would be) set. The hash itself is never returned.
  returned: always
  type: bool
  sample: false
diff:
  description:
    - The account's fields (uid, group, groups, shell, comment, home), its mailbox and C(password) as
      V((changed)) or V((unchanged)), before and after.
  returned: in diff mode
  type: dict
  sample:
    before: {state: absent, mailbox: absent}
    after:
      state: present
      uid: 1001
      group: alice
      groups: []
      shell: /usr/sbin/nologin
      comment: Alice Example
      home: /home/alice
      mailbox: present, owner alice, group mail, mode 0660
      password: (changed)
"""

import datetime
import errno
import grp
import os
import pwd
import re
import shutil
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils.command import (
    MAX_ARGUMENT_BYTES,
    argument_size,
    find_tool,
    run,
    shorten,
)
from ansible_collections.listserv.mailstack.plugins.module_utils.passwords import (
    MAX_PASSWORD_BYTES,
    PasswordError,
    hash_sha512,
    is_supported,
    method,
    verify,
)

# POSIX-portable user names as Debian's useradd accepts them, without a trailing
# '-' (it reads like an option) and at most 32 characters (utmp's limit).
NAME_PATTERN = re.compile(r"[a-z_](?:[a-z0-9_.-]{0,30}[a-z0-9_.])?")
NAME_RULE = (
    "use 1 to 32 characters of a-z, 0-9, '_', '.' and '-', starting with a letter or '_' and not ending with '-'"
)
# What a crypt hash may contain: no ':' (the shadow field separator) and no
# whitespace, so that "name:hash" is exactly one line for chpasswd.
HASH_PATTERN = re.compile(r"\$[^:\s]+")
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
# Shells that refuse logins; Debian does not list them in /etc/shells.
NOLOGIN_PROGRAMS = ("nologin", "false")
LOGIN_DEFS = "/etc/login.defs"
SHELLS = "/etc/shells"
SHADOW = "/etc/shadow"
DEFAULT_SPOOL = "/var/mail"
DEFAULT_UID_MIN = 1000
# (uid_t)-1 means "unchanged" to chown(2): the largest usable uid is one less.
UID_LIMIT = 4294967294
MAILBOX_GROUP = "mail"
MAILBOX_MODE = 0o660
ARCHIVE_MODE = 0o600
# How the diff shows a password: never the hash, only whether it changes.
SHOWN_CHANGED = "(changed)"
SHOWN_UNCHANGED = "(unchanged)"
SHOWN_HIDDEN = "(hidden)"
UPDATE_ON_CREATE = "on_create"


# --- reading the node (small functions, replaced in unit tests) --------------


def read_file(path):
    """Text of `path`, or None if it does not exist (other errors propagate)."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def is_executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def utc_now():
    return datetime.datetime.now(datetime.UTC)


def get_account(name):
    """The account's fields from the system databases, or None if it does not exist."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {
        "uid": entry.pw_uid,
        "group": group_name(entry.pw_gid),
        "groups": sorted(group.gr_name for group in grp.getgrall() if name in group.gr_mem),
        "shell": entry.pw_shell,
        "comment": entry.pw_gecos,
        "home": entry.pw_dir,
    }


def account_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def find_group(value):
    """(name, gid) of a group given by name or gid, or None if there is no such group."""
    try:
        entry = grp.getgrnam(value)
    except KeyError:
        if not value.isdigit():
            return None
        try:
            entry = grp.getgrgid(int(value))
        except KeyError:
            return None
    return entry.gr_name, entry.gr_gid


def login_defs_uid_min():
    """UID_MIN from /etc/login.defs (default 1000)."""
    for line in (read_file(LOGIN_DEFS) or "").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "UID_MIN":
            try:
                return int(fields[1], 0)
            except ValueError:
                break
    return DEFAULT_UID_MIN


def listed_shells():
    lines = (read_file(SHELLS) or "").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")}


def mailbox_description(st):
    if st is None:
        return "absent"
    owner = account_name(st.st_uid) or str(st.st_uid)
    return f"present, owner {owner}, group {group_name(st.st_gid)}, mode {stat.S_IMODE(st.st_mode):04o}"


def lstat_or_none(path):
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


class MailAccount:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.name = module.params["name"]
        self.uid_min = login_defs_uid_min()

    def fail(self, msg):
        self.module.fail_json(msg=msg)

    # --- validation ----------------------------------------------------------

    def check_name(self):
        if not NAME_PATTERN.fullmatch(self.name):
            self.fail(f"name '{self.name}' is not a valid account name: {NAME_RULE}")

    def check_passwd_field(self, option):
        value = self.params[option]
        if value is None:
            return
        if ":" in value or "\n" in value:
            self.fail(f"{option} '{value}' must not contain ':' or a line break")
        self.check_text(option, value)
        size = argument_size(value)
        if size:
            self.fail(
                f"{option} {shorten(value)!r} is {size} bytes long: useradd and usermod take at most "
                f"{MAX_ARGUMENT_BYTES} bytes"
            )

    def check_text(self, option, value):
        """Fail when value has a control character: useradd refuses most, the system calls stop at NUL."""
        found = CONTROL_CHARACTER.search(value)
        if found:
            self.fail(f"{option} {value!r} must not contain control characters (found U+{ord(found.group()):04X})")

    def check_shell(self):
        shell = self.params["shell"]
        self.check_passwd_field("shell")
        if not os.path.isabs(shell):
            self.fail(f"shell '{shell}' must be an absolute path")
        if shell not in listed_shells() and os.path.basename(shell) not in NOLOGIN_PROGRAMS:
            self.fail(f"shell '{shell}' is not listed in {SHELLS} and is not a nologin or false program")
        if not is_executable(shell):
            self.fail(f"shell '{shell}' does not exist or is not executable")

    def check_home(self):
        home = self.params["home"]
        if home is not None:
            self.check_passwd_field("home")
            if not os.path.isabs(home):
                self.fail(f"home '{home}' must be an absolute path")

    def check_uid(self):
        uid = self.params["uid"]
        if uid is None:
            return
        if not self.uid_min <= uid <= UID_LIMIT:
            self.fail(f"uid {uid} is not between UID_MIN {self.uid_min} (from {LOGIN_DEFS}) and {UID_LIMIT}")
        owner = account_name(uid)
        if owner is not None and owner != self.name:
            self.fail(f"uid {uid} is already used by account '{owner}'")

    def resolve_group(self):
        group = self.params["group"]
        if group is None:
            return None
        self.check_text("group", group)
        found = find_group(group)
        if found is None:
            self.fail(f"group '{group}' does not exist")
        return found[0]

    def resolve_groups(self):
        groups = self.params["groups"]
        if groups is None:
            return None
        names = []
        for group in groups:
            self.check_text("groups", group)
            found = find_group(group)
            if found is None:
                self.fail(f"group '{group}' in groups does not exist")
            if found[0] not in names:
                names.append(found[0])
        return names

    def check_password(self):
        password = self.params["password"]
        plaintext = self.params["password_plaintext"]
        try:
            if password is not None:
                # Never name the value: it is a secret even when it is a hash.
                if not HASH_PATTERN.fullmatch(password) or not method(password):
                    self.fail("password must be a crypt hash such as '$y$...' or '$6$...'")
                if not is_supported(password):
                    self.fail(f"password is not a hash this node's libcrypt can check (method '{method(password)}')")
            if plaintext is not None:
                if not plaintext:
                    self.fail("password_plaintext must not be empty")
                if "\0" in plaintext:
                    self.fail("password_plaintext must not contain a NUL character")
                size = len(plaintext.encode("utf-8"))
                if size > MAX_PASSWORD_BYTES:
                    # Never name the value: it is the password.
                    self.fail(
                        f"password_plaintext is {size} bytes long: libcrypt hashes passwords of at most "
                        f"{MAX_PASSWORD_BYTES} bytes"
                    )
        except PasswordError as error:
            self.fail(str(error))

    def spool_directory(self, managed):
        """The spool directory; with `managed`, one where this module can manage mbox files."""
        spool_dir = self.params["spool_dir"]
        if spool_dir is not None:
            self.check_text("spool_dir", spool_dir)
            if not os.path.isabs(spool_dir):
                self.fail(f"spool_dir '{spool_dir}' must be an absolute path")
            if not os.path.isdir(spool_dir):
                self.fail(f"spool_dir '{spool_dir}' is not an existing directory")
            return spool_dir.rstrip("/") or "/"
        postconf = find_tool(self.module, "postconf", required=False)
        if postconf is None:
            return DEFAULT_SPOOL
        value = run(self.module, [postconf, "-h", "mail_spool_directory"])[1].strip()
        if managed and (not os.path.isabs(value) or value.endswith("/")):
            self.fail(
                f"postconf mail_spool_directory '{value}' is not a directory for mbox files (a value ending in '/' "
                "means Maildir delivery): set spool_dir, or create_mailbox/remove_mailbox to false"
            )
        return value.rstrip("/") or DEFAULT_SPOOL

    def refuse_system_account(self, current, action):
        if current is not None and current["uid"] < self.uid_min:
            self.fail(
                f"refusing to {action} system account '{self.name}': uid {current['uid']} is below "
                f"UID_MIN {self.uid_min} (from {LOGIN_DEFS})"
            )

    # --- state=present ---------------------------------------------------------

    def shadow_hash(self):
        try:
            text = read_file(SHADOW) or ""
        except OSError as error:
            self.fail(f"cannot read {SHADOW} to compare the password of '{self.name}': {error.strerror} (needs root)")
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) > 1 and fields[0] == self.name:
                return fields[1]
        return None

    def password_needs_setting(self, current):
        password = self.params["password"]
        plaintext = self.params["password_plaintext"]
        if password is None and plaintext is None:
            return False
        if current is None:
            return True
        if self.params["update_password"] == UPDATE_ON_CREATE:
            return False
        current_hash = self.shadow_hash()
        if password is not None:
            return current_hash != password
        try:
            return not verify(plaintext, current_hash)
        except PasswordError as error:
            self.fail(str(error))

    def new_hash(self):
        if self.params["password"] is not None:
            return self.params["password"]
        try:
            hashed = hash_sha512(self.params["password_plaintext"])
        except PasswordError as error:
            self.fail(str(error))
        # Mask the generated hash too, should any tool ever print it.
        self.module.no_log_values.add(hashed)
        return hashed

    def useradd_argv(self, group, groups):
        params = self.params
        argv = [find_tool(self.module, "useradd")]
        if params["uid"] is not None:
            argv += ["-u", str(params["uid"])]
        if group is not None:
            argv += ["-g", group]
        if groups:
            argv += ["-G", ",".join(groups)]
        if params["comment"] is not None:
            argv += ["-c", params["comment"]]
        if params["home"] is not None:
            argv += ["-d", params["home"]]
        return [*argv, "-s", params["shell"], "-m" if params["create_home"] else "-M", self.name]

    def groups_options(self, current, groups):
        if groups is None:
            return []
        if self.params["append"]:
            missing = [name for name in groups if name not in current["groups"]]
            return ["-a", "-G", ",".join(missing)] if missing else []
        if set(groups) != set(current["groups"]):
            return ["-G", ",".join(groups)]
        return []

    def usermod_argv(self, current, group, groups):
        """usermod argv for the fields that differ, or None when none does."""
        wanted = {"-u": self.params["uid"], "-g": group, "-c": self.params["comment"], "-d": self.params["home"]}
        fields = {"-u": "uid", "-g": "group", "-c": "comment", "-d": "home"}
        options = []
        for flag in ("-u", "-g"):
            if wanted[flag] is not None and wanted[flag] != current[fields[flag]]:
                options += [flag, str(wanted[flag])]
        options += self.groups_options(current, groups)
        for flag in ("-c", "-d"):
            if wanted[flag] is not None and wanted[flag] != current[fields[flag]]:
                options += [flag, wanted[flag]]
        if self.params["shell"] != current["shell"]:
            options += ["-s", self.params["shell"]]
        if not options:
            return None
        return [find_tool(self.module, "usermod"), *options, self.name]

    def predicted_account(self, current, group, groups):
        params = self.params
        base = current or {
            "uid": "(assigned by useradd)",
            "group": "(useradd default)",
            "groups": [],
            "comment": "",
            "home": "(useradd default)",
        }
        wanted = dict(base)
        wanted["shell"] = params["shell"]
        for field in ("uid", "comment", "home"):
            if params[field] is not None:
                wanted[field] = params[field]
        if group is not None:
            wanted["group"] = group
        if groups is not None:
            wanted["groups"] = sorted(set(groups) | set(base["groups"]) if params["append"] else set(groups))
        return wanted

    def check_mailbox(self, path, spool, current):
        """Fail unless the mailbox can be managed; returns its lstat (None if absent) and the mail group's gid."""
        found = find_group(MAILBOX_GROUP)
        if found is None:
            self.fail(f"group '{MAILBOX_GROUP}' does not exist: it owns the mailboxes in {spool}")
        if not os.path.isdir(spool):
            self.fail(f"mail spool directory '{spool}' does not exist")
        st = lstat_or_none(path)
        if st is not None:
            if not stat.S_ISREG(st.st_mode):
                self.fail(f"mailbox '{path}' is not a regular file: refusing to touch it")
            if current is None:
                self.fail(
                    f"mailbox '{path}' exists but account '{self.name}' does not: it may hold a former account's "
                    "mail; remove or archive it first (state=absent)"
                )
            if st.st_nlink > 1:
                # Changing its owner would hand the other names' file to the account.
                self.fail(f"mailbox '{path}' has {st.st_nlink} hard links: refusing to change its owner")
        return st, found[1]

    def present(self):
        params = self.params
        current = get_account(self.name)
        self.check_shell()
        self.check_home()
        self.check_passwd_field("comment")
        self.check_uid()
        group = self.resolve_group()
        groups = self.resolve_groups()
        self.check_password()

        argv = self.useradd_argv(group, groups) if current is None else self.usermod_argv(current, group, groups)
        set_password = self.password_needs_setting(current)
        if current is not None and params["shell"] != current["shell"]:
            self.refuse_system_account(current, "change the shell of")
        if set_password:
            self.refuse_system_account(current, "change the password of")
        # Hash before changing anything (also in check mode): a libcrypt
        # failure must not leave an account without its password.
        hashed = self.new_hash() if set_password else None
        chpasswd = find_tool(self.module, "chpasswd") if set_password else None

        spool = self.spool_directory(managed=params["create_mailbox"])
        mailbox = os.path.join(spool, self.name)
        mailbox_st, mail_gid, mailbox_change = self.plan_mailbox(mailbox, spool, current)
        mailbox_before = mailbox_description(mailbox_st)

        after = self.predicted_account(current, group, groups)
        if not self.module.check_mode:
            if argv:
                run(self.module, argv)
            if set_password:
                run(
                    self.module,
                    [chpasswd, "-e"],
                    data=f"{self.name}:{hashed}",
                    what=f"chpasswd -e (setting the password of '{self.name}')",
                )
            if argv or mailbox_change:
                after = get_account(self.name) or after
            if mailbox_change:
                self.ensure_mailbox(mailbox, after["uid"], mail_gid)

        result = {
            "changed": bool(argv or set_password or mailbox_change),
            "name": self.name,
            "uid": after["uid"] if isinstance(after["uid"], int) else None,
            "state": "present",
            "mailbox": mailbox,
            "password_changed": set_password,
        }
        if self.module._diff:
            result["diff"] = self.present_diff(current, after, mailbox_before, mailbox_change, set_password)
        return result

    def plan_mailbox(self, mailbox, spool, current):
        """(lstat or None, gid of group mail, whether the mailbox changes) for state=present."""
        if not self.params["create_mailbox"]:
            return lstat_or_none(mailbox), None, False
        st, mail_gid = self.check_mailbox(mailbox, spool, current)
        uid = self.params["uid"] if self.params["uid"] is not None else (current or {}).get("uid")
        change = (
            st is None
            or uid is None
            or (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) != (uid, mail_gid, MAILBOX_MODE)
        )
        return st, mail_gid, change

    def present_diff(self, current, after, mailbox_before, mailbox_change, set_password):
        password_given = self.params["password"] is not None or self.params["password_plaintext"] is not None
        before = {"state": "absent", "mailbox": mailbox_before}
        if current is not None:
            before = dict(current, state="present", mailbox=mailbox_before)
            if password_given:
                before["password"] = SHOWN_HIDDEN if set_password else SHOWN_UNCHANGED
        after = dict(after, state="present", mailbox=mailbox_before)
        if mailbox_change:
            after["mailbox"] = f"present, owner {self.name}, group {MAILBOX_GROUP}, mode {MAILBOX_MODE:04o}"
        if password_given:
            after["password"] = SHOWN_CHANGED if set_password else SHOWN_UNCHANGED
        return self.diff(before, after)

    def ensure_mailbox(self, path, uid, gid):
        """Create the mailbox or fix its owner, group and mode, never following a symlink."""
        try:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            except FileExistsError:
                fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                    self.fail(f"mailbox '{path}' is not a regular file with one link: refusing to touch it")
                if (st.st_uid, st.st_gid) != (uid, gid):
                    os.fchown(fd, uid, gid)
                if stat.S_IMODE(st.st_mode) != MAILBOX_MODE:
                    os.fchmod(fd, MAILBOX_MODE)
            finally:
                os.close(fd)
        except OSError as error:
            self.fail(f"cannot set up mailbox '{path}': {error.strerror}")

    # --- state=absent ----------------------------------------------------------

    def archive_candidates(self, directory):
        stamp = utc_now().strftime("%Y%m%dT%H%M%SZ")
        yield os.path.join(directory, f"{self.name}.{stamp}.mbox")
        counter = 1
        while True:
            yield os.path.join(directory, f"{self.name}.{stamp}.{counter}.mbox")
            counter += 1

    def archive_mailbox(self, path, directory):
        """Move the mailbox into `directory` under a new name; never overwrites a file. Returns the new path."""
        for target in self.archive_candidates(directory):
            try:
                try:
                    # A hard link is atomic and fails rather than replace an existing file.
                    os.link(path, target)
                except OSError as error:
                    if error.errno != errno.EXDEV:
                        raise
                    self.copy_exclusive(path, target)
                os.chown(target, 0, 0, follow_symlinks=False)
                os.chmod(target, ARCHIVE_MODE)
                os.unlink(path)
            except FileExistsError:
                continue
            except OSError as error:
                self.fail(f"cannot archive mailbox '{path}' to '{target}': {error.strerror}")
            return target
        return None  # not reached: the candidates never run out

    @staticmethod
    def copy_exclusive(source, target):
        """Copy to a new file on another file system, keeping the times mail readers look at."""
        with open(source, "rb") as reader:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, ARCHIVE_MODE)
            with os.fdopen(fd, "wb") as writer:
                shutil.copyfileobj(reader, writer)
                writer.flush()
                os.fsync(writer.fileno())
            st = os.fstat(reader.fileno())
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))

    def check_archive_dir(self):
        archive_dir = self.params["archive_mailbox_to"]
        if archive_dir is None:
            return None
        self.check_text("archive_mailbox_to", archive_dir)
        if not os.path.isabs(archive_dir):
            self.fail(f"archive_mailbox_to '{archive_dir}' must be an absolute path")
        if not os.path.isdir(archive_dir):
            self.fail(f"archive_mailbox_to '{archive_dir}' is not an existing directory")
        if not self.params["remove_mailbox"]:
            self.fail(
                f"archive_mailbox_to '{archive_dir}' needs remove_mailbox=true: the mailbox is moved there "
                "when the account is removed"
            )
        return archive_dir

    def delete_mailbox(self, mailbox):
        try:
            os.unlink(mailbox)
        except FileNotFoundError:
            pass
        except OSError as error:
            self.fail(f"cannot remove mailbox '{mailbox}': {error.strerror}")

    def absent(self):
        current = get_account(self.name)
        self.refuse_system_account(current, "remove")
        archive_dir = self.check_archive_dir()
        spool = self.spool_directory(managed=self.params["remove_mailbox"])
        mailbox = os.path.join(spool, self.name)
        mailbox_st = lstat_or_none(mailbox)
        remove = self.params["remove_mailbox"] and mailbox_st is not None
        if remove and not stat.S_ISREG(mailbox_st.st_mode):
            self.fail(f"mailbox '{mailbox}' is not a regular file: refusing to touch it")
        archive = remove and archive_dir is not None
        mailbox_before = mailbox_description(mailbox_st)

        archived_to = None
        if archive:
            archived_to = next(t for t in self.archive_candidates(archive_dir) if not os.path.lexists(t))
        if not self.module.check_mode:
            # The account goes first: once it is gone no new mail is delivered
            # to the mailbox, and a userdel failure (e.g. a running process)
            # leaves everything as it was.
            if current is not None:
                run(self.module, [find_tool(self.module, "userdel"), self.name])
            if archive:
                archived_to = self.archive_mailbox(mailbox, archive_dir)
            elif remove:
                self.delete_mailbox(mailbox)

        result = {
            "changed": current is not None or remove,
            "name": self.name,
            "uid": current["uid"] if current else None,
            "state": "absent",
            "mailbox": mailbox,
            "password_changed": False,
        }
        if archived_to is not None:
            result["archived_to"] = archived_to
        if self.module._diff:
            before = {"state": "absent", "mailbox": mailbox_before}
            if current is not None:
                before = dict(current, state="present", mailbox=mailbox_before)
            after = {"state": "absent", "mailbox": mailbox_before}
            if archive:
                after["mailbox"] = f"archived to {archived_to}"
            elif remove:
                after["mailbox"] = "absent"
            result["diff"] = self.diff(before, after)
        return result

    def diff(self, before, after):
        return {
            "before": before,
            "after": after,
            "before_header": f"account {self.name}",
            "after_header": f"account {self.name}",
        }

    def apply(self):
        self.check_name()
        if self.params["state"] == "absent":
            return self.absent()
        return self.present()


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "default": "present", "choices": ["absent", "present"]},
            "password": {"type": "str", "no_log": True},
            "password_plaintext": {"type": "str", "no_log": True},
            "update_password": {
                "type": "str",
                "default": "always",
                "choices": ["always", "on_create"],
                "no_log": False,
            },
            "shell": {"type": "str", "default": "/usr/sbin/nologin"},
            "comment": {"type": "str"},
            "uid": {"type": "int"},
            "group": {"type": "str"},
            "groups": {"type": "list", "elements": "str"},
            "append": {"type": "bool", "default": False},
            "home": {"type": "path"},
            "create_home": {"type": "bool", "default": False},
            "create_mailbox": {"type": "bool", "default": True},
            "remove_mailbox": {"type": "bool", "default": True},
            "archive_mailbox_to": {"type": "path"},
            "spool_dir": {"type": "path"},
        },
        mutually_exclusive=[("password", "password_plaintext")],
        supports_check_mode=True,
    )
    module.exit_json(**MailAccount(module).apply())


if __name__ == "__main__":
    main()
