# SPDX-License-Identifier: GPL-3.0-or-later
"""pcs_config: pcs command lines from data, validation, and the owned part of a CIB."""

from __future__ import annotations

import pytest
from ansible_collections.listserv.mailstack.plugins.module_utils.pcs_config import (
    PcsConfigError,
    build_commands,
    check_spec,
    configuration_text,
    constraint_id,
    detach_owned,
    expected_running,
    find_owned,
    id_collisions,
    owned_ids,
    parse_cib,
    reattach,
    restore_positions,
    version_tuple,
)

PCS_011 = (0, 11, 5)
PCS_012 = (0, 12, 0, 2)
MARK = "managed-by=listserv.mailstack"

# --- commands: data in, exact pcs argument lists out ----------------------------------------------

COMMAND_CASES = [
    {
        "id": "nothing",
        "spec": {},
        "version": PCS_012,
        "commands": [],
    },
    {
        "id": "properties-in-one-call",
        "spec": {"properties": {"stonith-enabled": False, "no-quorum-policy": "stop", "maintenance-mode": ""}},
        "version": PCS_012,
        "commands": [["property", "set", "stonith-enabled=false", "no-quorum-policy=stop", "maintenance-mode="]],
    },
    {
        "id": "primitive-with-options-meta-and-ops",
        "spec": {
            "resources": [
                {
                    "id": "mail-ip",
                    "agent": "ocf:heartbeat:IPaddr2",
                    "options": {"ip": "192.0.2.10", "cidr_netmask": 24},
                    "meta": {"resource-stickiness": 100},
                    "op": [
                        {"name": "monitor", "interval": "10s", "timeout": "20s"},
                        {"name": "stop", "timeout": "30s"},
                    ],
                }
            ]
        },
        "version": PCS_012,
        "commands": [
            [
                "resource",
                "create",
                "mail-ip",
                "ocf:heartbeat:IPaddr2",
                "ip=192.0.2.10",
                "cidr_netmask=24",
                "meta",
                MARK,
                "resource-stickiness=100",
                "op",
                "monitor",
                "interval=10s",
                "timeout=20s",
                "stop",
                "timeout=30s",
            ]
        ],
    },
    {
        "id": "group-keeps-member-order-and-gets-the-marker",
        "spec": {
            "resources": [
                {"id": "b", "agent": "systemd:postfix"},
                {"id": "a", "agent": "systemd:mailman3"},
            ],
            "groups": [{"id": "mail", "resources": ["b", "a"], "meta": {"resource-stickiness": 200}}],
        },
        "version": PCS_012,
        "commands": [
            ["resource", "create", "b", "systemd:postfix", "meta", MARK],
            ["resource", "create", "a", "systemd:mailman3", "meta", MARK],
            ["resource", "group", "add", "mail", "b", "a"],
            ["resource", "meta", "mail", MARK, "resource-stickiness=200"],
        ],
    },
    {
        "id": "promotable-clone-with-own-id",
        "spec": {
            "resources": [{"id": "drbd", "agent": "ocf:linbit:drbd", "options": {"drbd_resource": "mail"}}],
            "clones": [
                {"id": "drbd", "clone_id": "drbd-ms", "promotable": True, "meta": {"promoted-max": 1, "notify": True}}
            ],
        },
        "version": PCS_011,
        "commands": [
            ["resource", "create", "drbd", "ocf:linbit:drbd", "drbd_resource=mail", "meta", MARK],
            ["resource", "promotable", "drbd", "drbd-ms", "meta", MARK, "promoted-max=1", "notify=true"],
        ],
    },
    {
        "id": "plain-clone-default-id",
        "spec": {
            "resources": [{"id": "ping", "agent": "ocf:pacemaker:ping"}],
            "clones": [{"id": "ping", "meta": {"interleave": True}}],
        },
        "version": PCS_012,
        "commands": [
            ["resource", "create", "ping", "ocf:pacemaker:ping", "meta", MARK],
            ["resource", "clone", "ping", "ping-clone", "meta", MARK, "interleave=true"],
        ],
    },
    {
        "id": "marker-given-by-the-user-is-not-doubled",
        "spec": {"resources": [{"id": "x", "agent": "systemd:cron", "meta": {"managed-by": "someone"}}]},
        "version": PCS_012,
        "commands": [["resource", "create", "x", "systemd:cron", "meta", MARK]],
    },
    {
        "id": "location-pcs-0.12-score-keyword",
        "spec": {"constraints": [{"type": "location", "resource": "mail", "node": "mail1", "score": 50}]},
        "version": PCS_012,
        "commands": [["constraint", "location", "add", "mailstack-location-mail-mail1", "mail", "mail1", "score=50"]],
    },
    {
        "id": "location-pcs-0.11-positional-score-after-double-dash",
        "spec": {"constraints": [{"type": "location", "resource": "mail", "node": "mail2", "score": "-INFINITY"}]},
        "version": PCS_011,
        "commands": [
            ["constraint", "location", "add", "--", "mailstack-location-mail-mail2", "mail", "mail2", "-INFINITY"]
        ],
    },
    {
        "id": "location-default-score",
        "spec": {"constraints": [{"type": "location", "resource": "mail", "node": "mail1"}]},
        "version": PCS_012,
        "commands": [
            ["constraint", "location", "add", "mailstack-location-mail-mail1", "mail", "mail1", "score=INFINITY"]
        ],
    },
    {
        "id": "colocation-with-roles",
        "spec": {
            "constraints": [
                {
                    "type": "colocation",
                    "resource": "fs",
                    "with": "drbd-clone",
                    "with_role": "promoted",
                    "score": "INFINITY",
                }
            ]
        },
        "version": PCS_011,
        "commands": [
            [
                "constraint",
                "colocation",
                "add",
                "fs",
                "with",
                "Promoted",
                "drbd-clone",
                "score=INFINITY",
                "id=mailstack-colocation-fs-drbd-clone",
            ]
        ],
    },
    {
        "id": "colocation-both-roles-and-given-id",
        "spec": {
            "constraints": [
                {
                    "type": "colocation",
                    "id": "fs-on-primary",
                    "resource": "fs",
                    "role": "Started",
                    "with": "drbd-clone",
                    "with_role": "Promoted",
                    "score": -100,
                }
            ]
        },
        "version": PCS_012,
        "commands": [
            [
                "constraint",
                "colocation",
                "add",
                "Started",
                "fs",
                "with",
                "Promoted",
                "drbd-clone",
                "score=-100",
                "id=mailstack-fs-on-primary",
            ]
        ],
    },
    {
        "id": "order-with-actions-kind-symmetrical",
        "spec": {
            "constraints": [
                {
                    "type": "order",
                    "first": "drbd-clone",
                    "first_action": "promote",
                    "then": "fs",
                    "then_action": "start",
                    "kind": "mandatory",
                    "symmetrical": False,
                }
            ]
        },
        "version": PCS_012,
        "commands": [
            [
                "constraint",
                "order",
                "promote",
                "drbd-clone",
                "then",
                "start",
                "fs",
                "kind=Mandatory",
                "symmetrical=false",
                "id=mailstack-order-drbd-clone-fs",
            ]
        ],
    },
    {
        "id": "fence-device-class-prefix-dropped-ops-before-meta",
        "spec": {
            "stonith_devices": [
                {
                    "id": "fence-mail1",
                    "agent": "stonith:fence_ipmilan",
                    "options": {"ip": "192.0.2.50", "pcmk_host_list": "mail1"},
                    "op": [{"name": "monitor", "interval": "60s"}],
                }
            ]
        },
        "version": PCS_012,
        "commands": [
            [
                "stonith",
                "create",
                "fence-mail1",
                "fence_ipmilan",
                "ip=192.0.2.50",
                "pcmk_host_list=mail1",
                "op",
                "monitor",
                "interval=60s",
                "meta",
                MARK,
            ]
        ],
    },
]


@pytest.mark.parametrize("case", COMMAND_CASES, ids=[case["id"] for case in COMMAND_CASES])
def test_build_commands(case):
    check_spec(case["spec"])
    assert build_commands(case["spec"], case["version"]) == case["commands"]


def test_command_order_properties_fencing_resources_groups_clones_constraints():
    spec = {
        "constraints": [{"type": "location", "resource": "g", "node": "n1"}],
        "clones": [{"id": "g"}],
        "groups": [{"id": "g", "resources": ["r"]}],
        "resources": [{"id": "r", "agent": "systemd:cron"}],
        "stonith_devices": [{"id": "f", "agent": "fence_dummy"}],
        "properties": {"stonith-enabled": True},
    }
    check_spec(spec)
    assert [argv[:2] for argv in build_commands(spec, PCS_012)] == [
        ["property", "set"],
        ["stonith", "create"],
        ["resource", "create"],
        ["resource", "group"],
        ["resource", "meta"],
        ["resource", "clone"],
        ["constraint", "location"],
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.12.0.2", (0, 12, 0, 2)), ("0.11.5\n", (0, 11, 5)), ("0.11.7+deb", (0, 11, 7)), ("0.10.x", (0, 10))],
)
def test_version_tuple(text, expected):
    assert version_tuple(text) == expected


def test_generated_constraint_ids():
    assert constraint_id({"type": "order", "first": "a", "then": "b"}) == "mailstack-order-a-b"
    assert constraint_id({"type": "colocation", "resource": "a", "with": "b"}) == "mailstack-colocation-a-b"
    assert constraint_id({"type": "location", "id": "mailstack-pref", "resource": "a", "node": "n"}) == "mailstack-pref"


# --- validation: every refusal names the bad value ------------------------------------------------

REFUSALS = [
    ({"resources": [{"id": "1ip", "agent": "systemd:x"}]}, "resources[0]: invalid id '1ip'"),
    ({"resources": [{"id": "ip", "agent": "IPaddr2"}]}, "resources[0] (ip): invalid agent 'IPaddr2'"),
    ({"resources": [{"id": "f", "agent": "stonith:fence_ipmilan"}]}, "fence devices belong in stonith_devices"),
    (
        {"resources": [{"id": "ip", "agent": "systemd:x", "options": {"ip": "1\n2"}}]},
        "resources[0] (ip) options ip: '1\\n2' contains a newline",
    ),
    ({"resources": [{"id": "ip", "agent": "systemd:x", "meta": {"a b": 1}}]}, "meta: invalid name 'a b'"),
    ({"resources": [{"id": "ip", "agent": "systemd:x", "op": [{"interval": "10s"}]}]}, "each operation needs a name"),
    (
        {"resources": [{"id": "a", "agent": "systemd:x"}, {"id": "a", "agent": "systemd:y"}]},
        "resources[1]: id 'a' is also used by resources[0]",
    ),
    ({"groups": [{"id": "g", "resources": ["nope"]}]}, "groups[0] (g): 'nope' is not a resource defined in resources"),
    (
        {
            "resources": [{"id": "a", "agent": "systemd:x"}],
            "groups": [{"id": "g", "resources": ["a"]}, {"id": "h", "resources": ["a"]}],
        },
        "groups[1] (h): 'a' is already in group 'g'",
    ),
    ({"groups": [{"id": "g", "resources": []}]}, "resources must list at least one resource id"),
    (
        {
            "resources": [{"id": "a", "agent": "systemd:x"}],
            "groups": [{"id": "g", "resources": ["a"]}],
            "clones": [{"id": "a"}],
        },
        "clones[0]: 'a' is in group 'g'; clone the group instead",
    ),
    ({"clones": [{"id": "ghost"}]}, "clones[0]: 'ghost' is not a resource or group"),
    ({"constraints": [{"type": "ticket"}]}, "constraints[0]: type must be one of location, colocation, order"),
    ({"constraints": [{"type": "location", "resource": "a"}]}, "constraints[0]: a location constraint needs node"),
    (
        {"constraints": [{"type": "location", "resource": "a", "node": "n", "with": "b"}]},
        "constraints[0]: a location constraint does not take with",
    ),
    (
        {"constraints": [{"type": "location", "resource": "a", "node": "n", "score": "high"}]},
        "constraints[0] score: invalid score 'high'",
    ),
    (
        {"constraints": [{"type": "colocation", "resource": "a", "with": "b", "role": "Master"}]},
        "constraints[0] role: invalid role 'Master'",
    ),
    (
        {"constraints": [{"type": "order", "first": "a", "then": "b", "kind": "always"}]},
        "constraints[0] kind: 'always' is not one of Mandatory, Optional, Serialize",
    ),
    (
        {
            "constraints": [
                {"type": "order", "first": "a", "then": "b"},
                {"type": "order", "first": "a", "then": "b", "first_action": "stop"},
            ]
        },
        "constraints[1]: id 'mailstack-order-a-b' is also used by constraints[0]",
    ),
    ({"stonith_devices": [{"id": "f", "agent": "fence ipmi"}]}, "stonith_devices[0] (f): invalid agent 'fence ipmi'"),
    ({"properties": {"stonith-enabled": None}}, "properties stonith-enabled: None is not a string"),
    (
        {"resources": [{"id": "ip", "agent": "systemd:x", "op": [{"name": "monitor", "interval": "soon"}]}]},
        "resources[0] (ip) op[0] (monitor) interval: invalid time 'soon' (seconds, or a number with a unit such as "
        "500ms, 10s, 2min or 1h)",
    ),
    (
        {"resources": [{"id": "ip", "agent": "systemd:x", "op": [{"name": "start", "timeout": "-5s"}]}]},
        "resources[0] (ip) op[0] (start) timeout: invalid time '-5s'",
    ),
    (
        {"stonith_devices": [{"id": "f", "agent": "fence_x", "op": [{"name": "monitor", "start-delay": "PT"}]}]},
        "stonith_devices[0] (f) op[0] (monitor) start-delay: invalid time 'PT'",
    ),
    (
        {"resources": [{"id": "ip", "agent": "systemd:x", "op": [{"name": "monitor", "interval": "10s\n"}]}]},
        "resources[0] (ip) op[0] (monitor) interval: '10s\\n' contains a newline",
    ),
    ({"resources": [{"id": "ip", "agent": "systemd:../../bin/sh"}]}, "resources[0] (ip): invalid agent 'systemd:../.."),
    ({"resources": [{"id": "ip", "agent": "systemd:x", "options": {"--force": 1}}]}, "options: invalid name '--force'"),
]


@pytest.mark.parametrize("value", ["10", "10s", "500ms", "2min", "1h", "30 s", "90sec", "PT10S", "P1DT2H", 60])
def test_operation_times_pacemaker_reads(value):
    spec = {"resources": [{"id": "ip", "agent": "systemd:x", "op": [{"name": "monitor", "interval": value}]}]}
    assert check_spec(spec) == {"ip": "resources[0]"}


@pytest.mark.parametrize(("spec", "message"), REFUSALS, ids=[message[:40] for _spec, message in REFUSALS])
def test_refusals(spec, message):
    with pytest.raises(PcsConfigError) as error:
        check_spec(spec)
    assert message in str(error.value)


def test_check_spec_returns_every_created_id():
    ids = check_spec(
        {
            "resources": [{"id": "a", "agent": "systemd:x"}],
            "groups": [{"id": "g", "resources": ["a"]}],
            "clones": [{"id": "g"}],
            "constraints": [{"type": "location", "resource": "g-clone", "node": "n1"}],
        }
    )
    assert sorted(ids) == ["a", "g", "g-clone", "mailstack-location-g-clone-n1"]


# --- the CIB -------------------------------------------------------------------------------------

CIB = """<cib epoch="5" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-cluster-name" name="cluster-name" value="web"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <primitive id="hand-made" class="ocf" provider="heartbeat" type="Dummy"/>
      <group id="web">
        <primitive id="web-ip" class="ocf" provider="heartbeat" type="IPaddr2">
          <meta_attributes id="web-ip-meta_attributes">
            <nvpair id="web-ip-meta_attributes-managed-by" name="managed-by" value="listserv.mailstack"/>
          </meta_attributes>
        </primitive>
        <primitive id="web-server" class="systemd" type="nginx">
          <meta_attributes id="web-server-meta_attributes">
            <nvpair id="web-server-meta_attributes-target-role" name="target-role" value="Stopped"/>
          </meta_attributes>
        </primitive>
        <meta_attributes id="web-meta_attributes">
          <nvpair id="web-meta_attributes-managed-by" name="managed-by" value="listserv.mailstack"/>
        </meta_attributes>
      </group>
      <primitive id="other" class="systemd" type="cron"/>
    </resources>
    <constraints>
      <rsc_location id="cli-prefer-web" rsc="web" node="n2" score="INFINITY"/>
      <rsc_location id="mailstack-location-web-n1" rsc="web" node="n1" score="50"/>
      <rsc_order id="hand-order" first="other" then="hand-made"/>
      <rsc_colocation id="hand-set">
        <resource_set id="hand-set-set">
          <resource_ref id="web-ip"/>
          <resource_ref id="other"/>
        </resource_set>
      </rsc_colocation>
    </constraints>
    <tags>
      <tag id="everything">
        <obj_ref id="web"/>
        <obj_ref id="other"/>
      </tag>
    </tags>
  </configuration>
  <status>
    <node_state id="1"><lrm id="1"><lrm_resources><lrm_resource id="web-ip"/></lrm_resources></lrm></node_state>
  </status>
</cib>"""


def test_find_owned_by_marker_and_prefix():
    resources, constraints = find_owned(parse_cib(CIB))
    assert [element.get("id") for element in resources] == ["web"]
    assert [element.get("id") for element in constraints] == ["mailstack-location-web-n1"]
    assert owned_ids(parse_cib(CIB)) == ["web", "mailstack-location-web-n1"]


def test_owned_resource_in_a_foreign_group_is_refused():
    cib = CIB.replace('<nvpair id="web-meta_attributes-managed-by" name="managed-by" value="listserv.mailstack"/>', "")
    with pytest.raises(PcsConfigError) as error:
        find_owned(parse_cib(cib))
    assert "primitive 'web-ip' carries managed-by=listserv.mailstack but sits in group 'web'" in str(error.value)


def test_detach_keeps_aside_what_refers_to_owned_elements():
    root = parse_cib(CIB)
    kept_aside = detach_owned(root)
    assert [(part, element.get("id"), sorted(refs)) for part, element, refs in kept_aside] == [
        ("constraints", "cli-prefer-web", ["web"]),
        ("constraints", "hand-set", ["web-ip"]),
        ("tags", "everything", ["web"]),
    ]
    left = owned_ids(root) + [element.get("id") for element in root.find("configuration").iter() if element.get("id")]
    assert "web" not in left
    assert "web-ip" not in left
    assert {"hand-made", "other", "hand-order"} <= set(left)
    # the status section is never touched
    assert root.find("status//lrm_resource").get("id") == "web-ip"


def test_reattach_puts_back_what_still_resolves():
    live = parse_cib(CIB)
    root = parse_cib(CIB)
    kept_aside = detach_owned(root)
    # rebuilt as pcs would: web and its location constraint again, at the end
    original = parse_cib(CIB)
    root.find("configuration/resources").append(original.find("configuration/resources/group"))
    root.find("configuration/constraints").append(original.find("configuration/constraints/rsc_location[2]"))
    assert reattach(root, kept_aside) == []
    restore_positions(live, root)
    assert configuration_text(root) == configuration_text(live)


def test_reattach_prunes_references_to_removed_resources():
    root = parse_cib(CIB)
    kept_aside = detach_owned(root)
    changes = reattach(root, kept_aside)
    assert changes == [
        "rsc_location cli-prefer-web (removed)",
        "rsc_colocation hand-set (reference to web-ip removed)",
        "tag everything (reference to web removed)",
    ]
    assert root.find("configuration/constraints/rsc_location[@id='cli-prefer-web']") is None
    assert [ref.get("id") for ref in root.iter("resource_ref")] == ["other"]
    assert [ref.get("id") for ref in root.iter("obj_ref")] == ["other"]


def test_reattach_drops_a_tag_left_empty():
    cib = CIB.replace('<obj_ref id="other"/>', "")
    root = parse_cib(cib)
    assert reattach(root, detach_owned(root))[-1] == "tag everything (removed)"
    assert root.find("configuration/tags/tag") is None


def test_restore_positions_keeps_live_order_and_appends_new():
    live = parse_cib(CIB)
    rebuilt = parse_cib(CIB)
    resources = rebuilt.find("configuration/resources")
    group = resources.find("group")
    resources.remove(group)
    resources.append(group)  # pcs appends what it creates
    new = parse_cib('<primitive id="new" class="systemd" type="x"/>')
    resources.insert(0, new)
    restore_positions(live, rebuilt)
    assert [child.get("id") for child in resources] == ["hand-made", "web", "other", "new"]


def test_id_collisions_name_the_element_and_how_to_adopt():
    root = parse_cib(CIB)
    detach_owned(root)
    messages = id_collisions(root, ["other", "web-ip", "cib-bootstrap-options-cluster-name", "hand-set"])
    assert messages[0].startswith("id 'other' is already used by a primitive this collection does not manage")
    assert "pcs resource meta other managed-by=listserv.mailstack" in messages[0]
    assert messages[1] == (
        "id 'cib-bootstrap-options-cluster-name' is already used by a nvpair this collection does not manage"
    )
    # web-ip was owned (removed; its status entry does not count), hand-set is kept aside
    assert len(messages) == 2


def test_expected_running_skips_stopped_and_foreign():
    assert expected_running(parse_cib(CIB)) == ["web-ip"]
    stopped_group = CIB.replace(
        '<nvpair id="web-meta_attributes-managed-by"',
        '<nvpair id="web-meta_attributes-target-role" name="target-role" value="stopped"/>'
        '<nvpair id="web-meta_attributes-managed-by"',
    )
    assert expected_running(parse_cib(stopped_group)) == []


def test_configuration_text_is_indented_configuration_only():
    text = configuration_text(parse_cib(CIB))
    assert text.startswith("<configuration>\n  <crm_config>\n")
    assert "status" not in text
    assert text.endswith("</configuration>\n")


def test_parse_error_is_reported():
    with pytest.raises(PcsConfigError) as error:
        parse_cib("<cib>")
    assert str(error.value).startswith("cannot parse the CIB:")
