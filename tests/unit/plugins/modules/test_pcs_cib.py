# SPDX-License-Identifier: GPL-3.0-or-later
"""pcs_cib against a fake pcs: build offline, diff, push only a difference, own only what is marked.

The fake keeps a live CIB. `pcs cluster cib FILE` writes it out, `pcs -f FILE ...`
edits the file the way pcs does for the commands the module uses (and, like
pcs, refuses a file with a dangling reference), `crm_diff` compares two files
including the order of elements, and `pcs cluster cib-push` replaces the live
CIB, so a second run sees the result of the first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.listserv.mailstack.plugins.module_utils.pcs_config import MARKER_NAME, MARKER_VALUE
from ansible_collections.listserv.mailstack.plugins.modules import pcs_cib
from module_harness import ExitJson, FailJson, patch_node

PCS = "/usr/sbin/pcs"
CRM_DIFF = "/usr/sbin/crm_diff"
EMPTY_CIB = """<cib epoch="3" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-cluster-name" name="cluster-name" value="mailstack"/>
      </cluster_property_set>
    </crm_config>
    <nodes><node id="1" uname="mail1"/><node id="2" uname="mail2"/></nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>"""
REFERENCE_ATTRIBUTES = ("rsc", "with-rsc", "first", "then")


def xml(text):
    return ET.fromstring(text)  # noqa: S314 - the test's own XML


def read_xml(path):
    return ET.parse(path)  # noqa: S314 - files the test and the module wrote


def words_until(words, keywords):
    """Split off the leading words up to the first keyword."""
    for position, word in enumerate(words):
        if word in keywords:
            return words[:position], words[position:]
    return words, []


def nvpair_block(parent, tag, owner_id, pairs):
    if not pairs:
        return
    block = ET.SubElement(parent, tag, id=f"{owner_id}-{tag}")
    for pair in pairs:
        name, value = pair.split("=", 1)
        ET.SubElement(block, "nvpair", id=f"{owner_id}-{tag}-{name}", name=name, value=value)


class FakePcs:
    def __init__(self, cib=EMPTY_CIB, version="0.12.0.2"):
        self.live = cib
        self.version = version
        self.calls = []
        self.pushes = []

    def run_command(self, argv, **kwargs):
        self.calls.append(list(argv))
        if argv[0] == CRM_DIFF:
            return self.crm_diff(argv)
        if argv[1:] == ["--version"]:
            return 0, f"{self.version}\n", ""
        if argv[1:3] == ["cluster", "cib"]:
            with open(argv[3], "w", encoding="utf-8") as handle:
                handle.write(self.live)
            return 0, "", ""
        if argv[1:3] == ["cluster", "cib-push"]:
            with open(argv[3], encoding="utf-8") as handle:
                self.live = handle.read()
            self.pushes.append(argv[3:])
            return 0, "CIB updated\n", ""
        if argv[1] == "-f":
            return self.edit(argv[2], argv[3:])
        raise AssertionError(f"unexpected command {argv}")

    # --- crm_diff ---------------------------------------------------------------------------------

    @staticmethod
    def canonical(path):
        root = read_xml(path).getroot()
        for element in root.iter():
            element.text = None
            element.tail = None
        return ET.tostring(root.find("configuration"), encoding="unicode")

    def crm_diff(self, argv):
        assert argv[1] == "--no-version"
        before, after = self.canonical(argv[3]), self.canonical(argv[5])
        if before == after:
            return 0, "", ""
        return 1, '<diff format="2">...</diff>\n', ""

    # --- pcs -f -----------------------------------------------------------------------------------

    def edit(self, path, words):
        tree = read_xml(path)
        root = tree.getroot()
        configuration = root.find("configuration")
        ids = {element.get("id") for element in configuration.iter() if element.get("id")}
        for element in configuration.iter():
            for attribute in REFERENCE_ATTRIBUTES:
                if element.get(attribute) is not None and element.get(attribute) not in ids:
                    return 1, "", "Error: unable to get cib\n"
        try:
            self.apply(configuration, words, ids)
        except ValueError as error:
            return 1, "", f"Error: {error}\n"
        tree.write(path, encoding="unicode")
        return 0, "", ""

    def find(self, configuration, identifier):
        for parent in configuration.iter():
            for child in parent:
                if child.get("id") == identifier:
                    return parent, child
        raise ValueError(f"'{identifier}' does not exist")

    def apply(self, configuration, words, ids):  # noqa: PLR0912 - one branch per pcs command
        resources = configuration.find("resources")
        constraints = configuration.find("constraints")
        if words[:2] == ["property", "set"]:
            options = configuration.find("crm_config/cluster_property_set")
            for pair in words[2:]:
                name, value = pair.split("=", 1)
                existing = options.find(f"nvpair[@name='{name}']")
                if existing is not None:
                    options.remove(existing)
                if value:
                    ET.SubElement(options, "nvpair", id=f"cib-bootstrap-options-{name}", name=name, value=value)
        elif words[:2] in (["resource", "create"], ["stonith", "create"]):
            identifier, agent, rest = words[2], words[3], words[4:]
            if identifier in ids:
                raise ValueError(f"'{identifier}' already exists")
            if words[0] == "stonith":
                primitive = ET.SubElement(resources, "primitive", id=identifier, **{"class": "stonith", "type": agent})
            else:
                parts = agent.split(":")
                attributes = {"class": parts[0], "type": parts[-1]}
                if len(parts) == 3:
                    attributes["provider"] = parts[1]
                primitive = ET.SubElement(resources, "primitive", id=identifier, **attributes)
            options, rest = words_until(rest, ("meta", "op"))
            meta, ops = [], []
            while rest:
                keyword = rest[0]
                values, rest = words_until(rest[1:], ("meta", "op"))
                (meta if keyword == "meta" else ops).extend(values)
            nvpair_block(primitive, "instance_attributes", identifier, sorted(options))
            nvpair_block(primitive, "meta_attributes", identifier, meta)
            operations = ET.SubElement(primitive, "operations")
            for word in ops:
                if "=" not in word:
                    op = ET.SubElement(operations, "op", name=word, id=f"{identifier}-{word}")
                else:
                    name, value = word.split("=", 1)
                    op.set(name, value)
        elif words[:3] == ["resource", "group", "add"]:
            group = ET.SubElement(resources, "group", id=words[3])
            for member in words[4:]:
                parent, child = self.find(configuration, member)
                parent.remove(child)
                group.append(child)
        elif words[:2] == ["resource", "meta"]:
            _parent, element = self.find(configuration, words[2])
            nvpair_block(element, "meta_attributes", words[2], words[3:])
        elif words[:2] in (["resource", "clone"], ["resource", "promotable"]):
            parent, child = self.find(configuration, words[2])
            position = list(parent).index(child)
            parent.remove(child)
            clone = ET.Element("clone", id=words[3])
            clone.append(child)
            meta = words[5:] + (["promotable=true"] if words[1] == "promotable" else [])
            nvpair_block(clone, "meta_attributes", words[3], meta)
            parent.insert(position, clone)
        elif words[:3] == ["constraint", "location", "add"]:
            rest = [word for word in words[3:] if word != "--"]
            identifier, resource, node, score = rest
            self.find(configuration, resource)
            ET.SubElement(
                constraints, "rsc_location", id=identifier, rsc=resource, node=node, score=score.split("=")[-1]
            )
        elif words[:3] == ["constraint", "colocation", "add"]:
            options = dict(word.split("=", 1) for word in words if "=" in word)
            plain = [word for word in words[3:] if "=" not in word]
            with_at = plain.index("with")
            resource, target = plain[with_at - 1], plain[-1]
            self.find(configuration, resource)
            self.find(configuration, target)
            ET.SubElement(
                constraints,
                "rsc_colocation",
                id=options["id"],
                rsc=resource,
                score=options["score"],
                **{"with-rsc": target},
            )
        elif words[:2] == ["constraint", "order"]:
            options = dict(word.split("=", 1) for word in words if "=" in word)
            plain = [word for word in words[2:] if "=" not in word]
            then_at = plain.index("then")
            first, then = plain[then_at - 1], plain[-1]
            self.find(configuration, first)
            self.find(configuration, then)
            ET.SubElement(constraints, "rsc_order", id=options.pop("id"), first=first, then=then, **options)
        else:
            raise AssertionError(f"unexpected pcs -f command {words}")

    # --- looking at the live CIB --------------------------------------------------------------------

    def live_root(self):
        return xml(self.live)

    def live_ids(self, section):
        return [element.get("id") for element in self.live_root().find(f"configuration/{section}")]

    def builds(self):
        """The pcs -f commands of all runs, without the temporary file name."""
        return [argv[3:] for argv in self.calls if argv[1:2] == ["-f"]]


@pytest.fixture
def fake(tmp_path, monkeypatch):
    node = FakePcs()
    node.remote_tmp = str(tmp_path / "remote_tmp")
    patch_node(monkeypatch, node)
    return node


def module_args(node, args, check_mode=False, diff=False):
    return dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_remote_tmp=node.remote_tmp)


def run_module(node, args, check_mode=False, diff=False):
    node.calls.clear()
    with patch_module_args(module_args(node, args, check_mode, diff)), pytest.raises(ExitJson) as exit_info:
        pcs_cib.main()
    return exit_info.value.args[0]


def fail_module(node, args, check_mode=False):
    node.calls.clear()
    with patch_module_args(module_args(node, args, check_mode)), pytest.raises(FailJson) as fail_info:
        pcs_cib.main()
    return fail_info.value.args[0]


MAIL = {
    "properties": {"stonith-enabled": False},
    "resources": [
        {
            "id": "mail-ip",
            "agent": "ocf:heartbeat:IPaddr2",
            "options": {"ip": "192.0.2.10", "cidr_netmask": 24},
            "op": [{"name": "monitor", "interval": "10s"}],
        },
        {"id": "mail-postfix", "agent": "systemd:postfix"},
    ],
    "groups": [{"id": "mail", "resources": ["mail-ip", "mail-postfix"], "meta": {"resource-stickiness": 100}}],
    "constraints": [{"type": "location", "resource": "mail", "node": "mail1", "score": 50}],
}
MARK = f"{MARKER_NAME}={MARKER_VALUE}"


def with_resources(resources, **extra):
    return dict(MAIL, resources=resources, **extra)


# --- building, pushing, idempotence ----------------------------------------------------------------


def test_first_run_builds_on_a_copy_and_pushes_the_difference(fake):
    result = run_module(fake, MAIL)
    assert result["changed"] is True
    assert fake.builds() == [
        ["property", "set", "stonith-enabled=false"],
        [
            "resource",
            "create",
            "mail-ip",
            "ocf:heartbeat:IPaddr2",
            "ip=192.0.2.10",
            "cidr_netmask=24",
            "meta",
            MARK,
            "op",
            "monitor",
            "interval=10s",
        ],
        ["resource", "create", "mail-postfix", "systemd:postfix", "meta", MARK],
        ["resource", "group", "add", "mail", "mail-ip", "mail-postfix"],
        ["resource", "meta", "mail", MARK, "resource-stickiness=100"],
        ["constraint", "location", "add", "mailstack-location-mail-mail1", "mail", "mail1", "score=50"],
    ]
    assert len(fake.pushes) == 1
    wanted, against = fake.pushes[0]
    assert wanted.endswith("/cib-wanted.xml")
    assert against.startswith("diff-against=") and against.endswith("/cib-live.xml")
    assert fake.live_ids("resources") == ["mail"]
    assert fake.live_ids("constraints") == ["mailstack-location-mail-mail1"]
    assert result["owned_before"] == []
    assert result["owned_after"] == ["mail", "mailstack-location-mail-mail1"]
    assert result["expected_running"] == ["mail-ip", "mail-postfix"]
    assert result["pcs_version"] == "0.12.0.2"
    assert result["commands"][1].startswith("pcs -f CIB resource create mail-ip ocf:heartbeat:IPaddr2 ip=192.0.2.10")
    assert result["patch"].startswith("<diff")


def test_second_run_changes_nothing_and_pushes_nothing(fake):
    run_module(fake, MAIL)
    live = fake.live
    result = run_module(fake, MAIL)
    assert result["changed"] is False
    assert result["patch"] == ""
    assert len(fake.pushes) == 1
    assert fake.live == live
    assert result["owned_before"] == result["owned_after"] == ["mail", "mailstack-location-mail-mail1"]


def test_check_mode_builds_and_compares_but_never_pushes(fake):
    result = run_module(fake, MAIL, check_mode=True)
    assert result["changed"] is True
    assert fake.pushes == []
    assert fake.live == EMPTY_CIB
    assert [argv[1:3] for argv in fake.calls if argv[0] == PCS and argv[1] != "-f"] == [
        ["--version"],
        ["cluster", "cib"],
    ]


def test_check_mode_on_a_converged_cluster_reports_no_change(fake):
    run_module(fake, MAIL)
    assert run_module(fake, MAIL, check_mode=True, diff=True)["changed"] is False


def test_diff_shows_the_configuration_before_and_after(fake):
    run_module(fake, MAIL)
    changed = with_resources(
        [
            dict(MAIL["resources"][0], op=[{"name": "monitor", "interval": "20s"}]),
            MAIL["resources"][1],
        ]
    )
    result = run_module(fake, changed, check_mode=True, diff=True)
    diff = result["diff"]
    assert diff["before_header"] == "CIB configuration (live)"
    assert diff["after_header"] == "CIB configuration (wanted)"
    assert 'interval="10s"' in diff["before"] and 'interval="20s"' not in diff["before"]
    assert 'interval="20s"' in diff["after"]
    assert diff["before"].startswith("<configuration>\n")
    assert fake.pushes[-1:] == fake.pushes[:1]  # nothing pushed in check mode
    assert "diff" not in run_module(fake, MAIL, diff=True)  # no change, no diff


def test_wait_is_passed_to_the_push(fake):
    run_module(fake, dict(MAIL, wait=90))
    assert fake.pushes[0][2] == "--wait=90"


def test_pcs_011_location_syntax(fake):
    fake.version = "0.11.5"
    run_module(fake, MAIL)
    assert fake.builds()[-1] == [
        "constraint",
        "location",
        "add",
        "--",
        "mailstack-location-mail-mail1",
        "mail",
        "mail1",
        "50",
    ]


# --- ownership ---------------------------------------------------------------------------------------

FOREIGN_CIB = EMPTY_CIB.replace(
    "<resources/>",
    '<resources><primitive id="hand-made" class="ocf" provider="heartbeat" type="Dummy"/></resources>',
).replace(
    "<constraints/>",
    '<constraints><rsc_location id="hand-location" rsc="hand-made" node="mail2" score="10"/></constraints>',
)


def test_elements_of_others_are_never_touched(fake):
    fake.live = FOREIGN_CIB
    run_module(fake, MAIL)
    assert fake.live_ids("resources") == ["hand-made", "mail"]
    assert fake.live_ids("constraints") == ["hand-location", "mailstack-location-mail-mail1"]
    assert run_module(fake, MAIL)["changed"] is False
    # removing everything this collection owns leaves the others alone
    result = run_module(fake, {"properties": {"stonith-enabled": False}})
    assert result["changed"] is True
    assert fake.live_ids("resources") == ["hand-made"]
    assert fake.live_ids("constraints") == ["hand-location"]


def test_owned_elements_keep_their_place_between_others(fake):
    run_module(fake, MAIL)
    root = fake.live_root()
    resources = root.find("configuration/resources")
    resources.append(xml('<primitive id="later" class="systemd" type="cron"/>'))
    fake.live = ET.tostring(root, encoding="unicode")
    # pcs re-creates "mail" after "later"; the module puts it back first
    assert run_module(fake, MAIL)["changed"] is False
    assert fake.live_ids("resources") == ["mail", "later"]


def test_move_constraint_of_an_owned_group_survives_a_change(fake):
    run_module(fake, MAIL)
    root = fake.live_root()
    root.find("configuration/constraints").append(
        xml('<rsc_location id="cli-prefer-mail" rsc="mail" node="mail2" score="INFINITY"/>')
    )
    fake.live = ET.tostring(root, encoding="unicode")
    changed = dict(MAIL, groups=[dict(MAIL["groups"][0], meta={"resource-stickiness": 200})])
    result = run_module(fake, changed)
    assert result["changed"] is True
    assert result["removed_references"] == []
    assert fake.live_ids("constraints") == ["mailstack-location-mail-mail1", "cli-prefer-mail"]


def test_removed_owned_resource_takes_the_constraints_on_it_along(fake):
    run_module(fake, MAIL)
    root = fake.live_root()
    root.find("configuration/constraints").append(
        xml('<rsc_location id="cli-prefer-mail" rsc="mail" node="mail2" score="INFINITY"/>')
    )
    fake.live = ET.tostring(root, encoding="unicode")
    result = run_module(fake, {"properties": {"stonith-enabled": False}})
    assert result["removed_references"] == ["rsc_location cli-prefer-mail (removed)"]
    assert fake.live_ids("constraints") == []
    assert result["owned_after"] == []


def test_hand_made_resource_with_a_wanted_id_is_refused_with_a_hint(fake):
    fake.live = FOREIGN_CIB
    result = fail_module(
        fake, with_resources([{"id": "hand-made", "agent": "systemd:cron"}], groups=[], constraints=[])
    )
    assert result["msg"].startswith("id 'hand-made' is already used by a primitive this collection does not manage")
    assert "pcs resource meta hand-made managed-by=listserv.mailstack" in result["msg"]
    assert fake.pushes == []


def test_adopted_resource_is_managed(fake):
    fake.live = FOREIGN_CIB.replace(
        'type="Dummy"/>',
        f'type="Dummy"><meta_attributes id="m"><nvpair id="m-o" name="{MARKER_NAME}" value="{MARKER_VALUE}"/>'
        "</meta_attributes></primitive>",
    )
    result = run_module(fake, {"resources": [{"id": "hand-made", "agent": "ocf:heartbeat:Dummy"}]})
    assert result["owned_before"] == ["hand-made"]
    assert result["owned_after"] == ["hand-made"]
    # the hand-made location constraint on it is kept (it still resolves)
    assert fake.live_ids("constraints") == ["hand-location"]


# --- refusals and failures ------------------------------------------------------------------------------


def test_invalid_data_fails_before_pcs_runs(fake):
    result = fail_module(fake, {"groups": [{"id": "g", "resources": ["missing"]}]})
    assert result["msg"] == (
        "groups[0] (g): 'missing' is not a resource defined in resources (a group holds only primitives this "
        "collection manages)"
    )
    assert fake.calls == []


@pytest.mark.parametrize(
    ("args", "msg"),
    [
        pytest.param({"wait": -5}, "wait must be 0 (do not wait) or a number of seconds, not -5", id="negative-wait"),
        pytest.param(
            {"resources": [{"id": "ip", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": "192.0.2.10\0"}}]},
            "resources[0] (ip) options ip: '192.0.2.10\\x00' contains a newline or another control character",
            id="nul-in-option",
        ),
        pytest.param(
            {"resources": [{"id": "ip", "agent": "|/bin/sh"}]},
            "resources[0] (ip): invalid agent '|/bin/sh' (class:provider:type such as ocf:heartbeat:IPaddr2, or "
            "class:type such as systemd:postfix; fence devices belong in stonith_devices)",
            id="command-as-agent",
        ),
    ],
)
def test_bad_input_fails_before_pcs_runs(fake, args, msg):
    assert fail_module(fake, args)["msg"] == msg
    assert fake.calls == []


def test_option_too_long_for_pcs_is_named_and_nothing_pushed(fake):
    huge = "x" * 131072
    result = fail_module(fake, {"resources": [{"id": "ip", "agent": "ocf:heartbeat:IPaddr2", "options": {"ip": huge}}]})
    assert result["msg"] == (
        f"cannot run /usr/sbin/pcs: argument 'ip={'x' * 29}...' is 131075 bytes long; a command-line argument can "
        "have at most 131071 bytes"
    )
    assert fake.pushes == []


def test_pcs_error_names_the_command(fake):
    fake.live = FOREIGN_CIB
    result = fail_module(
        fake,
        {"constraints": [{"type": "location", "resource": "nothing-here", "node": "mail1"}]},
    )
    assert (
        "constraint location add mailstack-location-nothing-here-mail1 nothing-here mail1 score=INFINITY"
        in (result["msg"])
    )
    assert result["msg"].endswith("failed with exit code 1: Error: 'nothing-here' does not exist")
    assert fake.pushes == []


def test_unreadable_cib_says_why(fake, monkeypatch):
    original = fake.run_command

    def no_cluster(argv, **kwargs):
        if argv[1:3] == ["cluster", "cib"]:
            fake.calls.append(list(argv))
            return 1, "", "Error: unable to get cib\n"
        return original(argv, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", lambda self, argv, **kw: no_cluster(argv, **kw))
    result = fail_module(fake, MAIL)
    assert result["msg"] == (
        "pcs cluster cib (reading the live CIB; is the cluster running on this node?) failed with exit code 1: "
        "Error: unable to get cib"
    )


def test_fence_passwords_are_masked():
    module = SimpleNamespace(
        params={
            "resources": [{"options": {"ip": "192.0.2.1"}}],
            "stonith_devices": [{"options": {"password": "s3cret", "passwd_script": "/x", "login": "admin"}}],
        },
        no_log_values=set(),
    )
    pcs_cib.hide_secrets(module)
    assert module.no_log_values == {"s3cret", "/x"}
