#!/usr/bin/python
# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: mailman_list_info
short_description: Read Mailman 3 mailing lists, their settings, rosters and held messages over the REST API
version_added: 0.1.0
description:
  - With O(name), returns one list with its settings, archivers, rosters and held messages, or RV(exists=false).
  - With O(domain), returns the lists of that domain; without either, all lists of the server.
  - Only reads; never changes anything.
author:
  - listserv.mailstack maintainers (!UNKNOWN)
requirements:
  - Mailman 3 core (tested with 3.3.8 and 3.3.10) with its REST API reachable from the managed node.
options:
  name:
    description:
      - A list's posting address, V(list@domain). Mutually exclusive with O(domain).
    type: str
  domain:
    description:
      - Return the lists of this mail domain. Mutually exclusive with O(name).
    type: str
  message_text:
    description:
      - With O(name), include the full text of each held message (key C(msg) of the entries of RV(list.held)).
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - listserv.mailstack.mailman_rest
attributes:
  check_mode:
    support: full
    details: The module only reads, so check mode changes nothing in its behaviour.
  diff_mode:
    support: N/A
    details: The module changes nothing.
  platform:
    support: full
    platforms: debian
notes:
  - Uses C(ansible.module_utils.urls) rather than C(mailmanclient), which Debian's C(mailman3) package does not
    provide for the system Python.
seealso:
  - module: listserv.mailstack.mailman_list
"""

EXAMPLES = r"""
- name: Read one list
  listserv.mailstack.mailman_list_info:
    name: staff@lists.example.org
  register: staff_list

- name: Show who posts without moderation
  ansible.builtin.debug:
    msg: "{{ staff_list.list.members | selectattr('moderation_action', 'eq', 'accept') | map(attribute='email') }}"
  when: staff_list.exists

- name: All lists of a domain
  listserv.mailstack.mailman_list_info:
    domain: lists.example.org
  register: domain_lists
"""

RETURN = r"""
exists:
  description: With O(name), whether the list exists; with O(domain), whether the domain exists; else V(true).
  returned: always
  type: bool
list:
  description: The list, with O(name) when it exists.
  returned: when O(name) is given and the list exists
  type: dict
  contains:
    fqdn_listname:
      description: The posting address.
      type: str
    list_id:
      description: The list id.
      type: str
    display_name:
      description: The display name.
      type: str
    member_count:
      description: Number of members.
      type: int
    config:
      description: Every setting of the list's C(config) resource.
      type: dict
    archivers:
      description: Archiver name to enabled state.
      type: dict
    owners:
      description: The owners (V(email), V(display_name), V(delivery_mode), V(moderation_action), V(member_id)).
      type: list
      elements: dict
    moderators:
      description: The moderators, like RV(list.owners).
      type: list
      elements: dict
    members:
      description: The members, like RV(list.owners).
      type: list
      elements: dict
    nonmembers:
      description: Non-member records (senders Mailman has seen or that were given a moderation action).
      type: list
      elements: dict
    held:
      description: Held messages (V(request_id), V(sender), V(subject), V(reason), V(hold_date), V(message_id), and
        V(msg) with O(message_text)).
      type: list
      elements: dict
lists:
  description: Without O(name), the lists found (the list resources of the REST API, without rosters).
  returned: when O(name) is not given
  type: list
  elements: dict
  sample: [{fqdn_listname: staff@lists.example.org, list_id: staff.lists.example.org, member_count: 4}]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.listserv.mailstack.plugins.module_utils.command import shorten
from ansible_collections.listserv.mailstack.plugins.module_utils.mailman_rest import (
    MAX_ADDRESS_LENGTH,
    MailmanError,
    api_argument_spec,
    client_from_module,
    list_path,
    valid_address,
    valid_domain,
)

MEMBER_FIELDS = ("email", "display_name", "delivery_mode", "moderation_action", "member_id")
HELD_FIELDS = ("request_id", "sender", "subject", "reason", "hold_date", "message_id")
ROSTERS = (("owners", "owner"), ("moderators", "moderator"), ("members", "member"), ("nonmembers", "nonmember"))


def strip(resource):
    return {key: value for key, value in resource.items() if key not in ("http_etag", "self_link")}


def read_list(client, name, message_text):
    resource = client.get(list_path(name), missing_ok=True)
    if resource is None:
        return None
    result = strip(resource)
    result["config"] = strip(client.get(list_path(name, "config")) or {})
    result["archivers"] = strip(client.get(list_path(name, "archivers")) or {})
    for key, role in ROSTERS:
        entries = client.collection(list_path(name, "roster", role))
        result[key] = [{field: entry.get(field) for field in MEMBER_FIELDS} for entry in entries]
    fields = HELD_FIELDS + (("msg",) if message_text else ())
    held = client.collection(list_path(name, "held"))
    result["held"] = [{field: entry.get(field) for field in fields} for entry in held]
    return result


def check_input(module):
    """Refuse a bad name or domain before the credentials are read or the API is asked."""
    name, domain = module.params["name"], module.params["domain"]
    if name is not None and not valid_address(name):
        shown = name if len(name) <= MAX_ADDRESS_LENGTH else shorten(name)
        module.fail_json(msg=f"invalid list name {shown!r}: expected list@domain")
    if domain is not None and not valid_domain(domain):
        module.fail_json(msg=f"invalid domain {shorten(domain)!r}")


def run(module, client):
    params = module.params
    if params["name"] is not None:
        found = read_list(client, params["name"], params["message_text"])
        if found is None:
            return dict(exists=False)
        return dict(exists=True, list=found)
    if params["domain"] is not None:
        domain = client.quote(params["domain"])
        if client.get(f"/domains/{domain}", missing_ok=True) is None:
            return dict(exists=False, lists=[])
        return dict(exists=True, lists=[strip(item) for item in client.collection(f"/domains/{domain}/lists")])
    return dict(exists=True, lists=[strip(item) for item in client.collection("/lists")])


def main():
    spec = api_argument_spec()
    spec.update(
        name=dict(type="str"),
        domain=dict(type="str"),
        message_text=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=spec, mutually_exclusive=[("name", "domain")], supports_check_mode=True)
    check_input(module)
    client = client_from_module(module)
    try:
        result = run(module, client)
    except MailmanError as exc:
        module.fail_json(msg=exc.msg)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
