# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the pcs_cluster role decides about its nodes, out of Jinja.

pcs_nodes turns pcs_cluster_nodes into [{name, address}]; pcs_host_words
makes the `NAME addr=ADDRESS ...` words of `pcs host auth` and `pcs cluster
setup`; corosync_conf_state reads a node's corosync.conf and says whether it
is absent, this cluster, Debian's package default or another cluster;
pcs_unauthenticated names the nodes the first node holds no pcsd token for.
"""

from __future__ import annotations

import json
import re

from ansible.errors import AnsibleFilterError

_COROSYNC_PATTERNS = {
    "name": re.compile(r"^\s*cluster_name:\s*(\S+)\s*$", re.M),
    "nodes": re.compile(r"^\s*name:\s*(\S+)\s*$", re.M),
    "addresses": re.compile(r"^\s*ring0_addr:\s*(\S+)\s*$", re.M),
}


def pcs_nodes(nodes, hostvars=None):
    """pcs_cluster_nodes (names or {name, address}) as [{name, address}].

    The address is the one given, else the node's default IPv4 address from
    its gathered facts, else '' (the role's preflight names such nodes).
    """
    if isinstance(nodes, str) or not isinstance(nodes, (list, tuple)):
        raise AnsibleFilterError(f"pcs_nodes: expected a list of node names or {{name, address}}, got {nodes!r}")
    hostvars = hostvars or {}
    result = []
    for node in nodes:
        if isinstance(node, dict):
            name, given = str(node.get("name", "")), str(node.get("address", "") or "")
        else:
            name, given = str(node), ""
        facts = (hostvars[name].get("ansible_facts") or {}) if name in hostvars else {}
        fact = str((facts.get("default_ipv4") or {}).get("address", "") or "")
        result.append({"name": name, "address": given or fact})
    return result


def pcs_host_words(node_list):
    """['n1', 'addr=A1', 'n2', 'addr=A2'] for `pcs host auth` and `pcs cluster setup`."""
    return [word for node in node_list for word in (node["name"], f"addr={node['address']}")]


def corosync_conf_found(text):
    """{name, nodes, addresses} that a corosync.conf describes ('' / [] where it says nothing)."""
    text = text or ""
    names = _COROSYNC_PATTERNS["name"].findall(text)
    return {
        "name": names[0] if names else "",
        "nodes": _COROSYNC_PATTERNS["nodes"].findall(text),
        "addresses": _COROSYNC_PATTERNS["addresses"].findall(text),
    }


def corosync_conf_state(text, cluster_name, node_list, package_default):
    """absent, ours (this cluster with the same nodes and addresses), package-default or other."""
    if not (text or "").strip():
        return "absent"
    found = corosync_conf_found(text)
    # A node without its address (or the reverse) is never this cluster.
    same_length = len(found["nodes"]) == len(found["addresses"])
    pairs = sorted(zip(found["nodes"], found["addresses"], strict=True)) if same_length else None
    wanted = sorted((node["name"], node["address"]) for node in node_list)
    if found["name"] == cluster_name and pairs == wanted:
        return "ours"
    default = {
        key: list(value) if isinstance(value, (list, tuple)) else value for key, value in package_default.items()
    }
    if found == default:
        return "package-default"
    return "other"


def pcs_unauthenticated(node_list, known_hosts):
    """Names of the nodes for which pcsd's known-hosts (its JSON text, or '' when absent) has no
    token, or knows them under another address than the node list's."""
    if isinstance(known_hosts, str):
        try:
            data = json.loads(known_hosts) if known_hosts.strip() else {}
        except ValueError as error:
            raise AnsibleFilterError(f"pcs_unauthenticated: pcsd's known-hosts is not JSON: {error}") from None
    else:
        data = known_hosts or {}
    known = data.get("known_hosts", {}) if isinstance(data, dict) else {}
    missing = []
    for node in node_list:
        entry = known.get(node["name"]) or {}
        addresses = [item.get("addr") for item in entry.get("dest_list", []) if isinstance(item, dict)]
        if node["address"] not in addresses or not entry.get("token"):
            missing.append(node["name"])
    return missing


class FilterModule:
    def filters(self):
        return {
            "pcs_nodes": pcs_nodes,
            "pcs_host_words": pcs_host_words,
            "corosync_conf_found": corosync_conf_found,
            "corosync_conf_state": corosync_conf_state,
            "pcs_unauthenticated": pcs_unauthenticated,
        }
