#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailman_list
short_description: Manage a Mailman 3 mailing list, its settings, rosters and held messages over the REST API
version_added: 0.1.0
description:
  - Creates and removes a Mailman 3 mailing list through Mailman core's REST API, and keeps its settings, archivers,
    owners, moderators and members as given.
  - Only what the task names is managed. Changed settings are sent in one C(PATCH) of the list's C(config) resource
    holding only the keys whose value differs.
  - Email addresses are compared case-insensitively, as Mailman does.
  - Also acts on held messages (accept, discard, reject, defer) and can let a sender's later posts through.
  - All input is checked before the first write; a refused value is named in the error message.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
requirements:
  - Mailman 3 core (tested with 3.3.8 and 3.3.10) with its REST API reachable from the managed node.
options:
  name:
    description:
      - The list's posting address, V(list@domain), at most 254 characters.
      - Before the V(@) only the characters Mailman ever allows in a list name - letters, digits and
        V(- _ . + = ! $ * { } ~) (Mailman's C(listname_chars) setting may allow fewer).
    type: str
    required: true
  state:
    description:
      - V(present) creates the list if needed and applies the other options; V(absent) deletes it with its rosters
        and held messages (archives kept by archivers such as HyperKitty are not touched).
    type: str
    choices: [present, absent]
    default: present
  create_domain:
    description:
      - Create the list's domain in Mailman when it does not exist. With V(false) a missing domain fails the task.
    type: bool
    default: false
  style:
    description:
      - List style applied when the list is created, for example V(legacy-default), V(legacy-announce) or
        V(private-default). Must be one of the styles the server offers. Ignored for an existing list.
      - Default is the server's default style.
    type: str
  display_name:
    description:
      - The list's display name. One line of at most 998 characters without control characters (it goes into mail
        headers), as for O(description) and O(subject_prefix).
    type: str
  description:
    description: A one-line description of the list.
    type: str
  info:
    description: The longer information text of the list. Line breaks and tabs are the only control characters allowed.
    type: str
  subject_prefix:
    description: Prefix added to the subject of posts, for example V([Staff] ) (mind the trailing space).
    type: str
  subscription_policy:
    description: How subscriptions are approved.
    type: str
    choices: [open, confirm, moderate, confirm_then_moderate]
  unsubscription_policy:
    description: How unsubscriptions are approved.
    type: str
    choices: [open, confirm, moderate, confirm_then_moderate]
  archive_policy:
    description: Whether and how posts are archived.
    type: str
    choices: [public, private, never]
  archivers:
    description:
      - Archivers to enable (V(true)) or disable (V(false)) for the list, by name, for example V(hyperkitty),
        V(mhonarc), V(mail-archive) or V(prototype). Only archivers enabled in the site configuration exist for a list;
        other names fail the task. Archivers not named are left alone.
    type: dict
  default_member_action:
    description: What happens to posts of members without a moderation action of their own.
    type: str
    choices: [accept, hold, reject, discard, defer]
  default_nonmember_action:
    description: What happens to posts of non-members without a moderation action of their own.
    type: str
    choices: [accept, hold, reject, discard, defer]
  member_roster_visibility:
    description: Who may see the member roster.
    type: str
    choices: [public, members, moderators]
  reply_goes_to_list:
    description: Reply-To header munging.
    type: str
    choices: [no_munging, point_to_list, explicit_header, explicit_header_only]
  advertised:
    description: Whether the list is listed publicly.
    type: bool
  max_message_size:
    description: Largest post in KiB accepted without moderation; V(0) means no limit.
    type: int
  max_num_recipients:
    description: Most explicit recipients a post may have without moderation; V(0) means no limit.
    type: int
  send_welcome_message:
    description: Whether new members get a welcome message.
    type: bool
  dmarc_mitigate_action:
    description:
      - What Mailman does to a post whose From domain publishes a DMARC policy of C(quarantine) or C(reject) (or to
        every post with O(dmarc_mitigate_unconditionally)), so that the list's copy still passes DMARC at the
        recipients - V(munge_from) puts the list's address in From (the poster goes to Reply-To or Cc),
        V(wrap_message) sends the post as an attachment of a message from the list, V(reject) and V(discard) refuse
        it; V(no_mitigation) leaves it, and the copies fail DMARC at providers that enforce it.
    type: str
    choices: [no_mitigation, munge_from, wrap_message, reject, discard]
  dmarc_mitigate_unconditionally:
    description: Apply O(dmarc_mitigate_action) to every post, whatever the poster's domain publishes.
    type: bool
  dmarc_moderation_notice:
    description: The text of the refusal when O(dmarc_mitigate_action) is V(reject).
    type: str
  dmarc_wrapped_message_text:
    description: Text added above the post when O(dmarc_mitigate_action) is V(wrap_message).
    type: str
  settings:
    description:
      - Any other writable list setting, by the name the list's C(config) REST resource uses, for example
        V(max_days_to_hold), V(digests_enabled) or V(acceptable_aliases).
      - A key that the list's C(config) resource does not show fails the task (C(unknown list setting)), so does a
        read-only one such as V(volume), V(posting_address) or V(created_at) (C(read-only list setting)), and a key
        also given as an option of its own.
      - Values are compared with the current ones after converting to the current value's type (boolean, integer,
        number, list or text), so V("yes") and V(true) are the same for a boolean setting.
      - C(moderator_password) cannot be compared (Mailman stores a hash) and is refused.
      - Text values must not contain control characters other than line breaks and tabs.
    type: dict
    default: {}
  owners:
    description:
      - Owners of the list. Each entry is an address or a mapping with the key C(email) and optionally
        C(display_name) and C(delivery_mode).
      - With O(roster_mode=exact), owners not given are removed.
    type: list
    elements: raw
  moderators:
    description:
      - Moderators of the list, given like O(owners).
    type: list
    elements: raw
  members:
    description:
      - Members of the list, given like O(owners). C(delivery_mode) is one of V(regular),
        V(plaintext_digests), V(mime_digests) and V(summary_digests); it is also changed for existing members.
      - The display name is used when the address is subscribed; an existing member keeps its own. Like
        O(display_name), it is one line without control characters.
    type: list
    elements: raw
  roster_mode:
    description:
      - V(append) adds the given addresses to each roster that is given. V(exact) also removes the addresses not given
        from each roster that is given (V([]) empties it). Rosters not given are never touched.
    type: str
    choices: [append, exact]
    default: append
  pre_verified:
    description:
      - Treat the addresses of new members as verified (no verification mail).
      - V(true) by default because an administrator adding members with this module vouches for them, as with
        C(mailman addmembers). With V(false) Mailman may keep the subscription pending; see RV(pending).
    type: bool
    default: true
  pre_confirmed:
    description:
      - Treat new subscriptions as confirmed by the subscriber (no confirmation mail). Also used when removing
        members with O(roster_mode=exact).
    type: bool
    default: true
  pre_approved:
    description:
      - Treat new subscriptions as approved by a moderator. Also used when removing members with
        O(roster_mode=exact), so a V(moderate) unsubscription policy does not hold the removal.
    type: bool
    default: true
  held_messages:
    description:
      - Decisions on held messages of the list. Each entry selects messages by O(held_messages[].request_id) or by
        O(held_messages[].sender) (every held message of that sender).
      - A selection that matches no held message does nothing, so a second run reports no change.
    type: list
    elements: dict
    default: []
    suboptions:
      request_id:
        description: The request id of one held message.
        type: int
      sender:
        description: Sender address of the held messages, compared case-insensitively.
        type: str
      action:
        description: What to do with the selected messages.
        type: str
        choices: [accept, discard, reject, defer]
        required: true
      comment:
        description: Reason sent to the sender with V(reject).
        type: str
      accept_sender:
        description:
          - With O(held_messages[].action=accept), also let later posts of the sender through without moderation,
            by setting the moderation action V(accept) on the sender's membership - the member's own for a member,
            else a non-member record of the list (created when missing).
          - With O(held_messages[].request_id) the sender is that of the held message, so this has no effect once
            the message has been handled; select by O(held_messages[].sender) for a repeatable task.
        type: bool
        default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - listserv.mailstack.mailman_rest
attributes:
  check_mode:
    support: full
    details: Reads the list and predicts every change without a write request.
  diff_mode:
    support: full
    details: Shows the managed settings, archivers and rosters before and after.
  platform:
    support: full
    platforms: debian
notes:
  - The module speaks HTTP with C(ansible.module_utils.urls) instead of using C(mailmanclient). Debian's C(mailman3)
    package does not install C(mailmanclient) for the system Python (it comes with C(mailman3-web), or from PyPI),
    and the few calls needed here do not justify a dependency on the managed node.
  - The password is only sent in the C(Authorization) header; it is never part of the result or a log message.
  - An unknown O(settings) key is found from the list's C(config) resource. In check mode for a list that does not
    exist yet, only read-only keys can be refused; the real run refuses unknown ones and removes the list (and the
    domain) it has just created, so no half-configured list is left behind. The same holds for a value Mailman
    refuses and any other failure after the list was created.
  - A member whose subscription Mailman keeps pending (see O(pre_verified)) is not in the roster yet and is added
    again by the next run; Mailman then reports the pending request.
seealso:
  - module: listserv.mailstack.mailman_list_info
  - name: Mailman core REST API
    description: The resources this module uses.
    link: https://docs.mailman3.org/projects/mailman/en/latest/src/mailman/rest/docs/rest.html
"""

EXAMPLES = r"""
- name: A discussion list with two owners
  listserv.mailstack.mailman_list:
    name: staff@lists.example.org
    create_domain: true
    style: private-default
    display_name: Staff
    subject_prefix: "[Staff] "
    owners:
      - alice@example.org
      - email: bob@example.org
        display_name: Bob Example
    members:
      - carol@example.org
      - email: dave@example.org
        delivery_mode: mime_digests

- name: Posts from domains that publish DMARC quarantine or reject go out with the list's From
  listserv.mailstack.mailman_list:
    name: staff@lists.example.org
    dmarc_mitigate_action: munge_from
    dmarc_mitigate_unconditionally: false

- name: Settings without an option of their own
  listserv.mailstack.mailman_list:
    name: staff@lists.example.org
    archive_policy: private
    archivers:
      hyperkitty: true
    settings:
      max_days_to_hold: 14
      acceptable_aliases: [staff@example.org]

- name: The member roster is exactly this
  listserv.mailstack.mailman_list:
    name: staff@lists.example.org
    members: "{{ staff_addresses }}"
    roster_mode: exact

- name: Let a held post through, and the sender's later ones
  listserv.mailstack.mailman_list:
    name: staff@lists.example.org
    held_messages:
      - sender: partner@example.net
        action: accept
        accept_sender: true
      - request_id: 7
        action: discard

- name: Remove the list
  listserv.mailstack.mailman_list:
    name: old@lists.example.org
    state: absent
"""

RETURN = r"""
list_id:
  description: The list's id (its address with a dot instead of the V(@)).
  returned: always
  type: str
  sample: staff.lists.example.org
created:
  description: Whether the list was (or in check mode would be) created.
  returned: always
  type: bool
deleted:
  description: Whether the list was (or in check mode would be) deleted.
  returned: always
  type: bool
domain_created:
  description: Whether the list's domain was (or would be) created.
  returned: always
  type: bool
settings_changed:
  description: The settings sent in the C(PATCH), with their new values.
  returned: always
  type: dict
  sample: {display_name: Staff, advertised: false}
archivers_changed:
  description: Archivers switched on or off, with their new state.
  returned: always
  type: dict
  sample: {hyperkitty: true}
rosters:
  description: Per roster (V(owners), V(moderators), V(members)) the addresses added, removed and updated.
  returned: always
  type: dict
  sample: {members: {added: [carol@example.org], removed: [], updated: []}}
pending:
  description: Addresses whose subscription or removal Mailman keeps pending (confirmation or approval).
  returned: always
  type: list
  elements: str
held:
  description: Held messages acted on, with request id, sender and action.
  returned: always
  type: list
  elements: dict
  sample: [{request_id: 3, sender: partner@example.net, action: accept}]
senders_accepted:
  description: Senders whose moderation action was set to V(accept).
  returned: always
  type: list
  elements: str
"""

import copy
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.listserv.mailstack.plugins.module_utils.command import shorten
from ansible_collections.listserv.mailstack.plugins.module_utils.mailman_rest import (
    CONTROL_CHARACTER,
    MAX_ADDRESS_LENGTH,
    READ_ONLY_SETTINGS,
    MailmanError,
    api_argument_spec,
    client_from_module,
    list_path,
    valid_address,
)

# The characters Mailman ever allows in a list name (mailman.app.lifecycle);
# mailman.cfg's listname_chars may allow fewer (by default [-_.0-9a-z]).
LIST_NAME_PUNCTUATION = "- _ . + = ! $ * { } ~"
LIST_NAME_PATTERN = re.compile(r"[-_.+=!$*{}~0-9a-z]+", re.IGNORECASE)
# Text that goes into header lines (List-Id, From, Subject): RFC 5322 allows
# 998 characters per line.
MAX_HEADER_TEXT = 998
SINGLE_LINE_OPTIONS = ("display_name", "description", "subject_prefix")
ACTIONS = ["accept", "hold", "reject", "discard", "defer"]
POLICIES = ["open", "confirm", "moderate", "confirm_then_moderate"]
DELIVERY_MODES = ["regular", "plaintext_digests", "mime_digests", "summary_digests"]
# Options that are list settings of the same name.
SETTING_OPTIONS = (
    "display_name",
    "description",
    "info",
    "subject_prefix",
    "subscription_policy",
    "unsubscription_policy",
    "archive_policy",
    "default_member_action",
    "default_nonmember_action",
    "member_roster_visibility",
    "reply_goes_to_list",
    "advertised",
    "max_message_size",
    "max_num_recipients",
    "send_welcome_message",
    "dmarc_mitigate_action",
    "dmarc_mitigate_unconditionally",
    "dmarc_moderation_notice",
    "dmarc_wrapped_message_text",
)
# Writable, but its value cannot be compared: Mailman returns a hash.
UNCOMPARABLE_SETTINGS = frozenset(("moderator_password",))
# Module option name -> Mailman role.
ROSTERS = (("owners", "owner"), ("moderators", "moderator"), ("members", "member"))


def argument_spec():
    spec = api_argument_spec()
    spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        create_domain=dict(type="bool", default=False),
        style=dict(type="str"),
        display_name=dict(type="str"),
        description=dict(type="str"),
        info=dict(type="str"),
        subject_prefix=dict(type="str"),
        subscription_policy=dict(type="str", choices=POLICIES),
        unsubscription_policy=dict(type="str", choices=POLICIES),
        archive_policy=dict(type="str", choices=["public", "private", "never"]),
        archivers=dict(type="dict"),
        default_member_action=dict(type="str", choices=ACTIONS),
        default_nonmember_action=dict(type="str", choices=ACTIONS),
        member_roster_visibility=dict(type="str", choices=["public", "members", "moderators"]),
        reply_goes_to_list=dict(
            type="str", choices=["no_munging", "point_to_list", "explicit_header", "explicit_header_only"]
        ),
        advertised=dict(type="bool"),
        max_message_size=dict(type="int"),
        max_num_recipients=dict(type="int"),
        send_welcome_message=dict(type="bool"),
        dmarc_mitigate_action=dict(
            type="str", choices=["no_mitigation", "munge_from", "wrap_message", "reject", "discard"]
        ),
        dmarc_mitigate_unconditionally=dict(type="bool"),
        dmarc_moderation_notice=dict(type="str"),
        dmarc_wrapped_message_text=dict(type="str"),
        settings=dict(type="dict", default={}),
        owners=dict(type="list", elements="raw"),
        moderators=dict(type="list", elements="raw"),
        members=dict(type="list", elements="raw"),
        roster_mode=dict(type="str", choices=["append", "exact"], default="append"),
        pre_verified=dict(type="bool", default=True),
        pre_confirmed=dict(type="bool", default=True),
        pre_approved=dict(type="bool", default=True),
        held_messages=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                request_id=dict(type="int"),
                sender=dict(type="str"),
                action=dict(type="str", choices=["accept", "discard", "reject", "defer"], required=True),
                comment=dict(type="str"),
                accept_sender=dict(type="bool", default=False),
            ),
            mutually_exclusive=[("request_id", "sender")],
            required_one_of=[("request_id", "sender")],
        ),
    )
    return spec


# --- input checks (no API needed) --------------------------------------------


class InputError(Exception):
    pass


def check_name(name):
    if isinstance(name, str) and len(name) > MAX_ADDRESS_LENGTH:
        raise InputError(
            f"invalid list name {shorten(name)!r} ({len(name)} characters): an address has at most {MAX_ADDRESS_LENGTH}"
        )
    if not valid_address(name):
        raise InputError(f"invalid list name {name!r}: expected list@domain")
    local, domain = name.rsplit("@", 1)
    if not LIST_NAME_PATTERN.fullmatch(local):
        # Mailman refuses it only when the domain may already have been created.
        raise InputError(
            f"invalid list name {name!r}: Mailman allows only the letters a-z, digits and {LIST_NAME_PUNCTUATION} "
            "before the @"
        )
    return local.lower() + "@" + domain.lower()


def check_text(key, value, line_breaks=False):
    """Fail on control characters (line breaks and tabs only where allowed) and on overlong header text."""
    if not isinstance(value, str):
        return
    allowed = "\t\n\r" if line_breaks else ""
    found = next((char for char in value if CONTROL_CHARACTER.match(char) and char not in allowed), None)
    if found is None:
        if not line_breaks and len(value) > MAX_HEADER_TEXT:
            raise InputError(
                f"{key} {shorten(value)!r} is {len(value)} characters long: it goes into mail headers, whose lines "
                f"have at most {MAX_HEADER_TEXT}"
            )
        return
    if found in "\n\r" and not line_breaks:
        raise InputError(f"{key} must be a single line: {value!r}")
    raise InputError(f"{key} must not contain control characters (found U+{ord(found):04X}): {value!r}")


def wanted_settings(params):
    """{setting: value} from the dedicated options and `settings`; fails on clashes and refused keys."""
    wanted = {key: params[key] for key in SETTING_OPTIONS if params[key] is not None}
    for key in SINGLE_LINE_OPTIONS:
        check_text(key, wanted.get(key))
    for key in ("info", "dmarc_moderation_notice", "dmarc_wrapped_message_text"):
        check_text(key, wanted.get(key), line_breaks=True)
    settings = params["settings"] or {}
    for key, value in settings.items():
        for item in value if isinstance(value, list) else [value]:
            check_text(f"list setting {key}", item, line_breaks=True)
    clash = sorted(key for key in settings if key in wanted or key in SETTING_OPTIONS)
    if clash:
        raise InputError(f"settings: {', '.join(clash)} has an option of its own; use that option")
    read_only = sorted(key for key in settings if key in READ_ONLY_SETTINGS)
    if read_only:
        raise InputError(f"read-only list setting{'s' if len(read_only) > 1 else ''}: {', '.join(read_only)}")
    uncomparable = sorted(key for key in settings if key in UNCOMPARABLE_SETTINGS)
    if uncomparable:
        raise InputError(f"list setting {', '.join(uncomparable)} cannot be managed: Mailman only returns its hash")
    wanted.update(settings)
    return wanted


def wanted_roster(option, entries):
    """[{'email', 'key', 'display_name', 'delivery_mode'}] from an owners/moderators/members option."""
    result = {}
    for given in entries:
        entry = {"email": given} if isinstance(given, str) else given
        if not isinstance(entry, dict):
            raise InputError(f"{option}: expected an address or a mapping with email, got {entry!r}")
        unknown = sorted(set(entry) - {"email", "display_name", "delivery_mode"})
        if unknown:
            raise InputError(f"{option}: unknown key {', '.join(unknown)} in {entry!r}")
        email = entry.get("email")
        if not valid_address(email):
            shown = shorten(email) if isinstance(email, str) else email
            raise InputError(f"{option}: invalid email address {shown!r}")
        display_name = entry.get("display_name")
        if display_name is not None and not isinstance(display_name, str):
            raise InputError(f"{option}: display_name of {email} must be a string, got {display_name!r}")
        check_text(f"{option}: display_name of {email}", display_name)
        mode = entry.get("delivery_mode")
        if mode is not None and mode not in DELIVERY_MODES:
            raise InputError(f"{option}: delivery_mode {mode!r} of {email} is not one of {', '.join(DELIVERY_MODES)}")
        key = email.lower()
        if key in result:
            raise InputError(f"{option}: {email} is given more than once")
        result[key] = dict(email=email, display_name=entry.get("display_name"), delivery_mode=mode)
    return result


def check_held(entries):
    for entry in entries:
        if entry["sender"] is not None and not valid_address(entry["sender"]):
            raise InputError(f"held_messages: invalid sender address {entry['sender']!r}")
        if entry["accept_sender"] and entry["action"] != "accept":
            raise InputError(
                f"held_messages: accept_sender=true needs action=accept, not {entry['action']} "
                f"({'request ' + str(entry['request_id']) if entry['request_id'] is not None else entry['sender']})"
            )


# --- settings ----------------------------------------------------------------


def coerce(key, value, current):
    """`value` converted to the type of the current value, for comparing and sending."""
    if isinstance(current, bool):
        try:
            return boolean(value, strict=True)
        except TypeError:
            raise InputError(f"list setting {key}: {value!r} is not a boolean") from None
    if isinstance(current, int) and not isinstance(value, bool):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InputError(f"list setting {key}: {value!r} is not an integer") from None
    if isinstance(current, float):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InputError(f"list setting {key}: {value!r} is not a number") from None
    if isinstance(current, list):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise InputError(f"list setting {key}: {value!r} is not a list")
        return [str(item) for item in value]
    if value is None:
        raise InputError(f"list setting {key}: a value is needed")
    if isinstance(value, (dict, list)):
        raise InputError(f"list setting {key}: {value!r} is not a single value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def settings_patch(wanted, config, list_name):
    """({key: new value} for the keys that differ, {key: current value} of the wanted keys)."""
    unknown = sorted(key for key in wanted if key not in config)
    if unknown:
        raise InputError(f"unknown list setting{'s' if len(unknown) > 1 else ''} for {list_name}: {', '.join(unknown)}")
    patch, before = {}, {}
    for key, value in wanted.items():
        current = config[key]
        before[key] = current
        new = coerce(key, value, current)
        if new != current:
            patch[key] = new
    return patch, before


# --- the list and its parts --------------------------------------------------


class ListManager:
    def __init__(self, module, client, name):
        self.module = module
        self.client = client
        self.name = name
        self.check = module.check_mode
        self.result = dict(
            changed=False,
            list_id=name.replace("@", ".", 1),
            created=False,
            deleted=False,
            domain_created=False,
            settings_changed={},
            archivers_changed={},
            rosters={},
            pending=[],
            held=[],
            senders_accepted=[],
        )
        self.before = {}
        self.after = {}

    def changed(self):
        self.result["changed"] = True

    # -- lifecycle

    def ensure_domain(self, domain):
        if self.client.get(f"/domains/{self.client.quote(domain)}", missing_ok=True) is not None:
            return
        if not self.module.params["create_domain"]:
            raise InputError(f"domain {domain} does not exist in Mailman; set create_domain=true to create it")
        self.result["domain_created"] = True
        self.changed()
        if not self.check:
            self.client.post("/domains", {"mail_host": domain})

    def check_style(self, style):
        known = (self.client.get("/lists/styles") or {}).get("style_names", [])
        if style not in known:
            raise InputError(f"unknown list style {style!r}; this Mailman offers: {', '.join(known)}")

    def create(self):
        params = self.module.params
        domain = self.name.rsplit("@", 1)[1]
        if params["style"] is not None:
            self.check_style(params["style"])
        self.ensure_domain(domain)
        self.result["created"] = True
        self.changed()
        if self.check:
            return
        body = {"fqdn_listname": self.name}
        if params["style"] is not None:
            body["style_name"] = params["style"]
        try:
            self.client.post("/lists", body)
        except MailmanError:
            self.undo_domain(domain)
            raise

    def undo_domain(self, domain):
        """Remove the domain this run created (it holds no other list): refused input leaves no trace."""
        if self.result["domain_created"] and not self.check:
            self.undo(f"/domains/{self.client.quote(domain)}", f"domain {domain}")

    def undo_create(self):
        """Remove the list (and its domain) this run created, so that no half-configured list is left behind."""
        if self.result["created"] and not self.check:
            self.undo(list_path(self.name), f"list {self.name}")
            self.undo_domain(self.name.rsplit("@", 1)[1])

    def undo(self, path, what):
        # The error that made us undo is the one to report; a failed undo only warns.
        try:
            self.client.delete(path, missing_ok=True)
        except MailmanError as exc:
            self.module.warn(f"could not remove the {what} this task created: {exc.msg}")

    def delete(self):
        self.result["deleted"] = True
        self.changed()
        if not self.check:
            self.client.delete(list_path(self.name), missing_ok=True)

    # -- settings

    def apply_settings(self, wanted, exists):
        if not wanted:
            return
        if exists:
            config = self.client.get(list_path(self.name, "config"))
            patch, before = settings_patch(wanted, config, self.name)
        else:
            # Check mode for a list not created yet: everything given is a change.
            patch, before = dict(wanted), {}
        self.before["settings"] = before
        self.after["settings"] = {**before, **patch}
        if not patch:
            return
        self.result["settings_changed"] = patch
        self.changed()
        if self.check:
            return
        try:
            self.client.patch(list_path(self.name, "config"), patch)
        except MailmanError as exc:
            if exc.status == 400:
                raise MailmanError(f"Mailman refused the settings of {self.name}: {exc.description}") from None
            raise

    def apply_archivers(self, wanted, exists):
        if not wanted:
            return
        current = self.client.get(list_path(self.name, "archivers")) if exists else {}
        current = {key: value for key, value in (current or {}).items() if key != "http_etag"}
        if exists:
            unknown = sorted(key for key in wanted if key not in current)
            if unknown:
                available = ", ".join(sorted(current)) or "none"
                raise InputError(f"unknown archiver {', '.join(unknown)} for {self.name}; available: {available}")
        patch = {}
        for key, given in wanted.items():
            try:
                value = boolean(given, strict=True)
            except TypeError:
                raise InputError(f"archivers: {key} must be true or false, not {given!r}") from None
            if current.get(key) != value:
                patch[key] = value
        self.before["archivers"] = {key: current.get(key) for key in wanted}
        self.after["archivers"] = {**self.before["archivers"], **patch}
        if not patch:
            return
        self.result["archivers_changed"] = patch
        self.changed()
        if not self.check:
            self.client.patch(list_path(self.name, "archivers"), patch)

    # -- rosters

    def roster(self, role, exists, fields=()):
        """{lower-case email: member entry} of a roster, each entry with email, member_id and `fields` only.

        Mailman's REST API computes every field of every member when not told which; delivery_mode and the
        user and address links each walk the member's records in the database (docs/benchmarks.md).
        """
        if not exists:
            return {}
        query = "?" + "&".join(f"fields={name}" for name in ("email", "member_id", *fields))
        entries = self.client.collection(list_path(self.name, "roster", role) + query)
        return {entry["email"].lower(): entry for entry in entries}

    def apply_roster(self, option, role, wanted, exists):
        params = self.module.params
        # The delivery mode is read only when a wanted entry sets one.
        modes = any(spec["delivery_mode"] for spec in wanted.values())
        current = self.roster(role, exists, ("delivery_mode",) if modes else ())
        added = [spec for key, spec in wanted.items() if key not in current]
        removed = []
        if params["roster_mode"] == "exact":
            removed = [entry for key, entry in current.items() if key not in wanted]
        updated = [
            (current[key], spec)
            for key, spec in wanted.items()
            if key in current and spec["delivery_mode"] and current[key].get("delivery_mode") != spec["delivery_mode"]
        ]
        self.before[option] = sorted(current)
        after = set(current) | {spec["email"].lower() for spec in added}
        after -= {entry["email"].lower() for entry in removed}
        self.after[option] = sorted(after)
        self.result["rosters"][option] = dict(
            added=[spec["email"] for spec in added],
            removed=[entry["email"] for entry in removed],
            updated=[entry["email"] for entry, _spec in updated],
        )
        if not (added or removed or updated):
            return
        self.changed()
        if self.check:
            return
        for entry in removed:
            self.remove_member(entry, role)
        for entry, spec in updated:
            self.client.patch(self.member_path(entry), {"delivery_mode": spec["delivery_mode"]})
        for spec in added:
            self.add_member(spec, role)

    @staticmethod
    def member_path(entry):
        return "/members/" + str(entry["member_id"])

    def add_member(self, spec, role):
        params = self.module.params
        body = {
            "list_id": self.result["list_id"],
            "subscriber": spec["email"],
            "role": role,
            "pre_verified": params["pre_verified"],
            "pre_confirmed": params["pre_confirmed"],
            "pre_approved": params["pre_approved"],
        }
        if spec["display_name"] is not None:
            body["display_name"] = spec["display_name"]
        if spec["delivery_mode"] is not None:
            body["delivery_mode"] = spec["delivery_mode"]
        try:
            status, _data = self.client.post("/members", body)
        except MailmanError as exc:
            raise MailmanError(
                f"cannot add {spec['email']} as {role} of {self.name}: {exc.description or exc.msg}"
            ) from None
        if status == 202:
            self.result["pending"].append(spec["email"])

    def remove_member(self, entry, role):
        params = self.module.params
        body = None
        if role == "member":
            body = {"pre_confirmed": params["pre_confirmed"], "pre_approved": params["pre_approved"]}
        status, _data = self.client.delete(self.member_path(entry), body, missing_ok=True)
        if status == 202:
            self.result["pending"].append(entry["email"])

    # -- held messages

    def apply_held(self, entries, exists):
        if not entries:
            return
        held = self.client.collection(list_path(self.name, "held")) if exists else []
        by_id = {int(message["request_id"]): message for message in held}
        done = set()
        for entry in entries:
            if entry["request_id"] is not None:
                selected = [by_id[entry["request_id"]]] if entry["request_id"] in by_id else []
                senders = [message.get("sender", "") for message in selected]
            else:
                wanted = entry["sender"].lower()
                selected = [message for message in held if str(message.get("sender", "")).lower() == wanted]
                senders = [entry["sender"]]
            if entry["accept_sender"]:
                for sender in senders:
                    if sender:
                        self.accept_sender(sender, exists)
            for message in selected:
                request_id = int(message["request_id"])
                if request_id in done:
                    continue
                done.add(request_id)
                self.result["held"].append(
                    dict(request_id=request_id, sender=message.get("sender"), action=entry["action"])
                )
                self.changed()
                if self.check:
                    continue
                body = {"action": entry["action"]}
                if entry["comment"] is not None:
                    body["comment"] = entry["comment"]
                self.client.post(list_path(self.name, "held", request_id), body)

    def accept_sender(self, sender, exists):
        key = sender.lower()
        if key in {email.lower() for email in self.result["senders_accepted"]}:
            return
        record = None
        if exists:
            for role in ("member", "nonmember"):
                record = self.roster(role, exists, ("moderation_action",)).get(key)
                if record is not None:
                    break
        if record is not None and record.get("moderation_action") == "accept":
            return
        self.result["senders_accepted"].append(sender)
        self.changed()
        if self.check:
            return
        if record is None:
            _status, _data = self.client.post(
                "/members", {"list_id": self.result["list_id"], "subscriber": sender, "role": "nonmember"}
            )
            record = self.roster("nonmember", True).get(key)
            if record is None:
                raise MailmanError(f"Mailman did not keep {sender} as a non-member of {self.name}")
        self.client.patch(self.member_path(record), {"moderation_action": "accept"})


def run(module):
    params = module.params
    name = check_name(params["name"])
    settings = {}
    rosters = {}
    if params["state"] == "present":
        settings = wanted_settings(params)
        for option, _role in ROSTERS:
            if params[option] is not None:
                rosters[option] = wanted_roster(option, params[option])
        check_held(params["held_messages"])

    client = client_from_module(module)
    manager = ListManager(module, client, name)
    info = client.get(list_path(name), missing_ok=True)
    exists = info is not None

    if params["state"] == "absent":
        manager.before = {"state": "present" if exists else "absent"}
        manager.after = {"state": "absent"}
        if exists:
            manager.delete()
        return manager, client

    manager.before["state"] = "present" if exists else "absent"
    manager.after["state"] = "present"
    if not exists:
        manager.create()
        exists = not module.check_mode
    try:
        manager.apply_settings(settings, exists)
        manager.apply_archivers(params["archivers"] or {}, exists)
        for option, role in ROSTERS:
            if option in rosters:
                manager.apply_roster(option, role, rosters[option], exists)
        manager.apply_held(params["held_messages"], exists)
    except (InputError, MailmanError):
        manager.undo_create()
        raise
    return manager, client


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    try:
        manager, _client = run(module)
    except (InputError, MailmanError) as exc:
        module.fail_json(msg=str(exc))
    result = copy.deepcopy(manager.result)
    if module._diff:
        result["diff"] = dict(
            before=manager.before,
            after=manager.after,
            before_header=manager.name,
            after_header=manager.name,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
