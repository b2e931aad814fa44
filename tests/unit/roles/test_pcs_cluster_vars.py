# SPDX-License-Identifier: GPL-3.0-or-later
"""pcs_cluster: the Jinja logic of the role (nodes, fencing guard, corosync.conf, pcs tokens, crm_mon)."""

from __future__ import annotations

import base64
import json

import pytest
from role_render import evaluate, load_yaml, role_variables, task_vars

ROLE = "pcs_cluster"
FACTS = {
    "mail1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
    "mail2": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.12"}}},
    "nofacts": {"ansible_facts": {}},
}

# /etc/corosync/corosync.conf as Debian 13's corosync package installs it (comments dropped).
DEBIAN_DEFAULT = """totem {
\tversion: 2
\tcluster_name: debian
\tcrypto_cipher: none
\tcrypto_hash: none
}
logging {
\tfileline: off
\tto_stderr: yes
\tlogger_subsys {
\t\tsubsys: QUORUM
\t\tdebug: off
\t}
}
quorum {
\tprovider: corosync_votequorum
}
nodelist {
\tnode {
\t\tname: node1
\t\tnodeid: 1
\t\tring0_addr: 127.0.0.1
\t}
}
"""
# What `pcs cluster setup mailstack mail1 addr=10.0.0.11 mail2 addr=10.0.0.12` writes.
PCS_SETUP = """totem {
    version: 2
    cluster_name: mailstack
    transport: knet
    crypto_cipher: aes256
    crypto_hash: sha256
    cluster_uuid: 48f37acbb64d4ada830011922ff6cc06
}

nodelist {
    node {
        ring0_addr: 10.0.0.11
        name: mail1
        nodeid: 1
    }

    node {
        ring0_addr: 10.0.0.12
        name: mail2
        nodeid: 2
    }
}

quorum {
    provider: corosync_votequorum
    two_node: 1
    wait_for_all: 1
}
"""


def variables(**overrides):
    overrides.setdefault("pcs_cluster_hacluster_password", "x")
    overrides.setdefault("hostvars", FACTS)
    overrides.setdefault("groups", {"cluster": ["mail1", "mail2"]})
    overrides.setdefault("ansible_check_mode", False)
    return role_variables(ROLE, **overrides)


def slurped(text):
    return {"content": base64.b64encode(text.encode()).decode()}


# --- nodes -----------------------------------------------------------------------------------------


def test_nodes_default_to_the_cluster_group_with_fact_addresses():
    values = variables()
    assert values["__pcs_cluster_node_list"] == [
        {"name": "mail1", "address": "10.0.0.11"},
        {"name": "mail2", "address": "10.0.0.12"},
    ]
    assert values["__pcs_cluster_first_node"] == "mail1"


def test_node_address_from_the_inventory_wins_and_order_is_kept():
    values = variables(pcs_cluster_nodes=[{"name": "mail2", "address": "192.0.2.2"}, "mail1", "nofacts", "unknown"])
    assert values["__pcs_cluster_node_list"] == [
        {"name": "mail2", "address": "192.0.2.2"},
        {"name": "mail1", "address": "10.0.0.11"},
        {"name": "nofacts", "address": ""},
        {"name": "unknown", "address": ""},
    ]
    assert values["__pcs_cluster_node_names"] == ["mail2", "mail1", "nofacts", "unknown"]


# --- the fencing guard ------------------------------------------------------------------------------


def guard(values):
    task = next(task for task in load_yaml(ROLE, "tasks/preflight.yml") if task["name"].startswith("Refuse to run"))
    return evaluate("{{ " + task["ansible.builtin.assert"]["that"][0] + " }}", values)


@pytest.mark.parametrize(
    ("properties", "devices", "enabled", "passes"),
    [
        ({}, [], True, False),
        ({"stonith-enabled": ""}, [], True, False),
        ({"stonith-enabled": True}, [], True, False),
        ({"stonith-enabled": "true"}, [], True, False),
        ({"stonith-enabled": False}, [], False, True),
        ({"stonith-enabled": "false"}, [], False, True),
        ({"stonith-enabled": "no"}, [], False, True),
        ({}, [{"id": "fence-mail1", "agent": "fence_ipmilan"}], True, True),
    ],
)
def test_stonith_guard(properties, devices, enabled, passes):
    values = variables(pcs_cluster_properties=properties, pcs_cluster_stonith_devices=devices)
    assert values["__pcs_cluster_stonith_enabled"] is enabled
    assert guard(values) is passes
    # the effective value is always written, so the CIB matches what was checked
    assert values["__pcs_cluster_properties"]["stonith-enabled"] == ("true" if enabled else "false")


def test_other_properties_pass_through():
    values = variables(pcs_cluster_properties={"stonith-enabled": False, "no-quorum-policy": "stop"})
    assert values["__pcs_cluster_properties"] == {"stonith-enabled": "false", "no-quorum-policy": "stop"}


# --- what corosync.conf describes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slurp", "state"),
    [
        ({"failed": True, "msg": "file not found"}, "absent"),
        (slurped(DEBIAN_DEFAULT), "package-default"),
        (slurped(PCS_SETUP), "ours"),
        (slurped(PCS_SETUP.replace("10.0.0.12", "10.0.0.99")), "other"),
        (slurped(PCS_SETUP.replace("cluster_name: mailstack", "cluster_name: billing")), "other"),
        (slurped(DEBIAN_DEFAULT.replace("127.0.0.1", "10.0.0.11")), "other"),
        (slurped(DEBIAN_DEFAULT.replace("name: node1", "name: node1\n\t}\n\tnode {\n\t\tname: node2")), "other"),
    ],
    ids=["absent", "debian-default", "ours", "address-changed", "other-cluster", "debian-on-lan", "debian-2-nodes"],
)
def test_corosync_state(slurp, state):
    values = variables(__pcs_cluster_corosync_slurp=slurp)
    assert values["__pcs_cluster_corosync_state"].strip() == state


def test_ours_does_not_depend_on_node_order():
    values = variables(pcs_cluster_nodes=["mail2", "mail1"], __pcs_cluster_corosync_slurp=slurped(PCS_SETUP))
    assert values["__pcs_cluster_corosync_state"].strip() == "ours"


def test_found_configuration_is_reported():
    values = variables(__pcs_cluster_corosync_slurp=slurped(DEBIAN_DEFAULT))
    assert values["__pcs_cluster_corosync_found"] == {"name": "debian", "nodes": ["node1"], "addresses": ["127.0.0.1"]}


def test_setup_is_needed_until_every_node_is_ours():
    states = {"mail1": "ours", "mail2": "absent"}
    hostvars = {name: dict(FACTS[name], __pcs_cluster_node_state=state) for name, state in states.items()}
    assert variables(hostvars=hostvars)["__pcs_cluster_setup_needed"] is True
    hostvars["mail2"]["__pcs_cluster_node_state"] = "ours"
    assert variables(hostvars=hostvars)["__pcs_cluster_setup_needed"] is False


# --- pcs tokens ------------------------------------------------------------------------------------------


def known_hosts(hosts):
    data = {
        "format_version": 1,
        "data_version": 2,
        "known_hosts": {
            name: {"dest_list": [{"addr": address, "port": 2224}], "token": "t-" + name}
            for name, address in hosts.items()
        },
    }
    return slurped(json.dumps(data))


@pytest.mark.parametrize(
    ("slurp", "missing"),
    [
        ({"failed": True}, ["mail1", "mail2"]),
        (known_hosts({"mail1": "10.0.0.11"}), ["mail2"]),
        (known_hosts({"mail1": "10.0.0.11", "mail2": "10.0.0.99"}), ["mail2"]),
        (known_hosts({"mail1": "10.0.0.11", "mail2": "10.0.0.12"}), []),
    ],
    ids=["no-file", "one-missing", "address-changed", "all-known"],
)
def test_nodes_to_authenticate(slurp, missing):
    assert variables(__pcs_cluster_known_hosts_slurp=slurp)["__pcs_cluster_unauthenticated"] == missing


# --- crm_mon and pcs versions ------------------------------------------------------------------------------

CRM_MON = """<pacemaker-result api-version="2.38" request="crm_mon --one-shot --output-as=xml">
  <summary>
    <current_dc present="true" version="3.0.0-3.0.0" name="mail1" id="1" with_quorum="true"/>
  </summary>
  <nodes>
    <node name="mail1" id="1" online="true" standby="false" type="member"/>
    <node name="mail2" id="2" online="MAIL2" standby="false" type="member"/>
  </nodes>
</pacemaker-result>"""


@pytest.mark.parametrize(
    ("output", "online", "formed"),
    [
        (CRM_MON.replace("MAIL2", "true"), ["mail1", "mail2"], True),
        (CRM_MON.replace("MAIL2", "false"), ["mail1"], False),
        (CRM_MON.replace("MAIL2", "true").replace('present="true"', 'present="false"'), ["mail1", "mail2"], False),
        ("", [], False),
    ],
    ids=["formed", "peer-offline", "no-dc", "no-output"],
)
def test_cluster_formed(output, online, formed):
    values = variables(__pcs_cluster_crm_mon={"stdout": output})
    assert values["__pcs_cluster_online_nodes"] == online
    assert values["__pcs_cluster_formed"] is formed


@pytest.mark.parametrize(("version", "flag"), [("0.12.0.2", "--yes"), ("0.11.5", "--force"), ("0.12.1", "--yes")])
def test_destroy_confirmation_flag(version, flag):
    assert variables(__pcs_cluster_pcs_version=version)["__pcs_cluster_destroy_confirmation"] == flag


# --- pcs arguments and the foreign-cluster guard --------------------------------------------------------


def test_host_words_of_pcs_host_auth_and_cluster_setup():
    values = variables(pcs_cluster_nodes=[{"name": "mail2", "address": "192.0.2.2"}, "mail1"])
    assert values["__pcs_cluster_host_words"] == ["mail2", "addr=192.0.2.2", "mail1", "addr=10.0.0.11"]


@pytest.mark.parametrize(
    ("states", "foreign"),
    [
        ({"mail1": "ours", "mail2": "absent"}, []),
        ({"mail1": "package-default", "mail2": "other"}, ["mail2"]),
        ({"mail1": "other", "mail2": "other"}, ["mail1", "mail2"]),
    ],
    ids=["none", "one", "both"],
)
def test_nodes_of_another_cluster_are_named(states, foreign):
    task = "Refuse to replace a cluster this role did not set up"
    found = {"name": "billing", "nodes": ["x"], "addresses": ["192.0.2.9"]}
    hostvars = {
        name: dict(FACTS[name], __pcs_cluster_node_state=state, __pcs_cluster_node_found=found)
        for name, state in states.items()
    }
    values = variables(hostvars=hostvars)
    guard_vars = task_vars(ROLE, "configure.yml", task)
    values["__pcs_cluster_foreign"] = evaluate(guard_vars["__pcs_cluster_foreign"], values)
    assert values["__pcs_cluster_foreign"] == foreign
    assertion = next(t for t in load_yaml(ROLE, "tasks/configure.yml") if t["name"] == task)["ansible.builtin.assert"]
    assert evaluate("{{ " + assertion["that"][0] + " }}", values) is (not foreign)
    if foreign:
        message = evaluate(assertion["fail_msg"], values)
        assert message.startswith(f"pcs_cluster: {', '.join(foreign)} already belong(s)")
        assert '"billing"' in message and "192.0.2.9" in message


# --- pcs cluster setup: which failures are run again --------------------------------------------------------

SETUP_TIMEOUT_IN_DESTROY = (
    "Destroying cluster on hosts: 'mail1', 'mail2'...\n"
    "Error: mail1: Connection timeout, check if pcsd is running there or try setting higher timeout with "
    "--request-timeout option (Operation timed out after 60065 milliseconds with 0 bytes received)\n"
    "Error: Errors have occurred, therefore pcs is unable to continue"
)
SETUP_TIMEOUT_AFTER_COMMIT = (
    "Destroying cluster on hosts: 'mail1', 'mail2'...\nmail1: Successfully destroyed cluster\n"
    "Sending 'corosync.conf' to 'mail1', 'mail2'\n"
    "Error: mail2: Connection timeout, check if pcsd is running there or try setting higher timeout with "
    "--request-timeout option (Operation timed out after 60039 milliseconds with 0 bytes received)"
)


@pytest.mark.parametrize(
    ("rc", "stderr", "done"),
    [
        (0, "Cluster has been successfully set up.", True),
        # pcs's remote destroy outlasted its fixed 60 s: nothing setup keeps was written, run again.
        (1, SETUP_TIMEOUT_IN_DESTROY, False),
        # corosync.conf went out: a node may be a member already, a second setup would only confuse.
        (1, SETUP_TIMEOUT_AFTER_COMMIT, True),
        (1, "Error: Unable to authenticate to mail2 - (HTTP error: 401)", True),
        (1, "", True),
    ],
    ids=["success", "timeout-in-destroy", "timeout-after-corosync-conf", "other-error", "no-output"],
)
def test_setup_is_run_again_only_after_a_timeout_before_corosync_conf(rc, stderr, done):
    task = next(t for t in load_yaml(ROLE, "tasks/configure.yml") if t.get("name") == "Set up the cluster")
    result = {"rc": rc, "stderr": stderr}
    assert evaluate("{{ " + task["until"] + " }}", {"__pcs_cluster_setup": result}) is done
    assert evaluate(task["retries"], {"pcs_cluster_setup_retries": 3}) == 3
    assert load_yaml(ROLE, "defaults/main.yml")["pcs_cluster_setup_retries"] == 1
