"""The pcs_cluster filters: node list, pcs words, corosync.conf classification, pcsd tokens."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.listserv.mailstack.plugins.filter.pcs import (
    corosync_conf_found,
    corosync_conf_state,
    pcs_host_words,
    pcs_nodes,
    pcs_unauthenticated,
)

HOSTVARS = {"a": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.1"}}}, "b": {"ansible_facts": {}}}
DEFAULT = {"name": "debian", "nodes": ["node1"], "addresses": ["127.0.0.1"]}
NODES = [{"name": "a", "address": "10.0.0.1"}, {"name": "c", "address": "10.0.0.3"}]


def corosync(name, pairs):
    nodes = "".join(f"  node {{\n    ring0_addr: {address}\n    name: {node}\n  }}\n" for node, address in pairs)
    return f"totem {{\n  cluster_name: {name}\n}}\nnodelist {{\n{nodes}}}\n"


@pytest.mark.parametrize(
    ("nodes", "expected"),
    [
        (["a"], [{"name": "a", "address": "10.0.0.1"}]),
        ([{"name": "a", "address": "192.0.2.1"}], [{"name": "a", "address": "192.0.2.1"}]),
        ([{"name": "a", "address": None}], [{"name": "a", "address": "10.0.0.1"}]),
        (["b", "unknown"], [{"name": "b", "address": ""}, {"name": "unknown", "address": ""}]),
        ([], []),
    ],
)
def test_nodes(nodes, expected):
    assert pcs_nodes(nodes, HOSTVARS) == expected


@pytest.mark.parametrize("bad", ["a,b", None, {"name": "a"}])
def test_nodes_refuse_what_is_not_a_list(bad):
    with pytest.raises(AnsibleFilterError, match="pcs_nodes: expected a list"):
        pcs_nodes(bad, HOSTVARS)


def test_host_words():
    assert pcs_host_words(NODES) == ["a", "addr=10.0.0.1", "c", "addr=10.0.0.3"]
    assert pcs_host_words([]) == []


@pytest.mark.parametrize(
    ("text", "state"),
    [
        ("", "absent"),
        ("  \n", "absent"),
        (corosync("mailstack", [("a", "10.0.0.1"), ("c", "10.0.0.3")]), "ours"),
        (corosync("mailstack", [("c", "10.0.0.3"), ("a", "10.0.0.1")]), "ours"),
        (corosync("mailstack", [("a", "10.0.0.1")]), "other"),
        (corosync("mailstack", [("a", "10.0.0.1"), ("c", "10.0.0.9")]), "other"),
        (corosync("other", [("a", "10.0.0.1"), ("c", "10.0.0.3")]), "other"),
        (corosync("debian", [("node1", "127.0.0.1")]), "package-default"),
        (corosync("debian", [("node1", "10.0.0.1")]), "other"),
        ("# nothing but a comment\n", "other"),
        ("cluster_name: mailstack\nname: a\nname: c\nring0_addr: 10.0.0.1\n", "other"),
    ],
)
def test_corosync_state(text, state):
    assert corosync_conf_state(text, "mailstack", NODES, DEFAULT) == state


def test_corosync_found():
    assert corosync_conf_found(corosync("debian", [("node1", "127.0.0.1")])) == DEFAULT
    assert corosync_conf_found("") == {"name": "", "nodes": [], "addresses": []}


def known(hosts):
    entries = {name: {"dest_list": [{"addr": addr, "port": 2224}], "token": tok} for name, addr, tok in hosts}
    return json.dumps({"known_hosts": entries})


@pytest.mark.parametrize(
    ("known_hosts", "missing"),
    [
        ("", ["a", "c"]),
        (known([("a", "10.0.0.1", "t")]), ["c"]),
        (known([("a", "10.0.0.1", "t"), ("c", "10.0.0.3", "")]), ["c"]),
        (known([("a", "10.0.0.1", "t"), ("c", "10.0.0.4", "t")]), ["c"]),
        (known([("a", "10.0.0.1", "t"), ("c", "10.0.0.3", "t")]), []),
        (json.loads(known([("a", "10.0.0.1", "t"), ("c", "10.0.0.3", "t")])), []),
        ("{}", ["a", "c"]),
    ],
    ids=["no-file", "one-missing", "no-token", "address-changed", "all-known", "parsed", "empty"],
)
def test_unauthenticated(known_hosts, missing):
    assert pcs_unauthenticated(NODES, known_hosts) == missing


def test_unauthenticated_names_a_broken_file():
    with pytest.raises(AnsibleFilterError, match="known-hosts is not JSON"):
        pcs_unauthenticated(NODES, "{broken")
