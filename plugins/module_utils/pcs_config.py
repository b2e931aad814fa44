# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pacemaker configuration as data: pcs command lines and the owned part of a CIB.

The pcs_cib module builds the wanted configuration on a copy of the live CIB
(`pcs cluster cib`), pushes only the difference and touches nothing it does not
own. Everything here is pure (no pcs, no node), so it is tested without a
cluster:

- check_spec(): validate the wanted resources, groups, clones, constraints,
  fence devices and properties, naming every bad value;
- build_commands(): the `pcs -f FILE ...` argument lists (without the
  `pcs -f FILE` prefix) that create them;
- find_owned() / detach_owned() / reattach(): take this collection's elements
  out of a parsed CIB, keeping aside the other elements that refer to them
  (e.g. the `cli-prefer-*` constraint of `pcs resource move`), and put those
  back once the owned elements exist again;
- restore_positions(): keep every element where it was in the live CIB, so a
  rebuilt but equal configuration has no difference at all;
- expected_running(): the owned primitives that should run.

Ownership: resources (primitives, groups, clones, fence devices) carry the meta
attribute MARKER_NAME=MARKER_VALUE; constraints (which cannot have meta
attributes) have ids starting with CONSTRAINT_PREFIX.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET

MARKER_NAME = "managed-by"
MARKER_VALUE = "listserv.mailstack"
CONSTRAINT_PREFIX = "mailstack-"

# XML ids (NCName, ASCII subset): Pacemaker refuses anything else.
ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
# Option and meta attribute names: no '=', no whitespace, not an option flag.
NAME_PATTERN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:#-]*")
# class:provider:type for OCF, class:type for the others; units may have '@'.
AGENT_PATTERN = re.compile(r"ocf:[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+|(?:systemd|service|lsb|nagios):[A-Za-z0-9_.@:-]+")
AGENT_HINT = (
    "class:provider:type such as ocf:heartbeat:IPaddr2, or class:type such as systemd:postfix; "
    "fence devices belong in stonith_devices"
)
FENCE_AGENT_PATTERN = re.compile(r"(?:stonith:)?[A-Za-z0-9_.-]+")
OP_NAME_PATTERN = re.compile(r"[a-z][a-z_-]*")
SCORE_PATTERN = re.compile(r"[+-]?(?:[0-9]+|INFINITY)")
# Pacemaker's time values (crm_get_msec, and ISO 8601 durations for intervals).
# pcs 0.12 checks the operation times itself, pcs 0.11 writes whatever it gets.
TIME_PATTERN = re.compile(
    r"[0-9]+ *(?:ms|msec|us|usec|s|sec|m|min|h|hr)?"
    r"|P(?=[0-9T])(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+S)?)?",
    re.IGNORECASE,
)
OP_TIME_OPTIONS = ("interval", "timeout", "start-delay")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

ROLES = {"started": "Started", "stopped": "Stopped", "promoted": "Promoted", "unpromoted": "Unpromoted"}
ACTIONS = ("start", "stop", "promote", "demote")
KINDS = {"mandatory": "Mandatory", "optional": "Optional", "serialize": "Serialize"}
CONSTRAINT_TYPES = ("location", "colocation", "order")
# Keys each constraint type uses; any other key given is refused.
CONSTRAINT_KEYS = {
    "location": {"resource", "node", "score"},
    "colocation": {"resource", "with", "score", "role", "with_role"},
    "order": {"first", "then", "first_action", "then_action", "kind", "symmetrical"},
}
CONSTRAINT_REQUIRED = {"location": ("resource", "node"), "colocation": ("resource", "with"), "order": ("first", "then")}

# Top-level CIB elements that hold resources and what refers to them.
RESOURCE_TAGS = ("primitive", "group", "clone", "bundle")
# Attributes that refer to another element by its id (IDREF in Pacemaker's
# schema), and elements whose own "id" is such a reference.
REFERENCE_ATTRIBUTES = ("rsc", "with-rsc", "first", "then", "id-ref", "reference")
REFERENCE_TAGS = ("resource_ref", "obj_ref")
# Sections whose children keep their positions (crm_diff reports moves).
ORDERED_SECTIONS = ("resources", "constraints", "tags")


class PcsConfigError(Exception):
    """The wanted configuration or the live CIB cannot be handled; the message names the culprit."""


# --- values -----------------------------------------------------------------


def value_text(value, what):
    """A scalar option value as pcs gets it: booleans as true/false, numbers as digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        if CONTROL_CHARACTERS.search(value):
            raise PcsConfigError(f"{what}: {value!r} contains a newline or another control character")
        return value
    raise PcsConfigError(f"{what}: {value!r} is not a string, number or boolean")


def check_id(value, what):
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise PcsConfigError(
            f"{what}: invalid id {value!r} (a letter or '_' first, then letters, digits, '_', '.' and '-')"
        )
    return value


def name_value_pairs(mapping, what):
    """["name=value", ...] in the given order for a dict of options."""
    if mapping is None:
        return []
    if not isinstance(mapping, dict):
        raise PcsConfigError(f"{what}: expected a mapping of name to value, got {mapping!r}")
    pairs = []
    for name, value in mapping.items():
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            raise PcsConfigError(f"{what}: invalid name {name!r}")
        pairs.append(f"{name}={value_text(value, f'{what} {name}')}")
    return pairs


def score_text(value, what):
    text = value_text(value, what)
    if not SCORE_PATTERN.fullmatch(text):
        raise PcsConfigError(f"{what}: invalid score {value!r} (an integer, INFINITY or -INFINITY)")
    return text


def role_text(value, what):
    if not isinstance(value, str) or value.lower() not in ROLES:
        raise PcsConfigError(f"{what}: invalid role {value!r} (one of {', '.join(ROLES.values())})")
    return ROLES[value.lower()]


def meta_with_marker(meta, what):
    pairs = [pair for pair in name_value_pairs(meta, what) if not pair.startswith(f"{MARKER_NAME}=")]
    return [f"{MARKER_NAME}={MARKER_VALUE}", *pairs]


def op_words(ops, what):
    """["op", name, k=v, ..., name, k=v, ...] for a list of operations, or []."""
    if not ops:
        return []
    if not isinstance(ops, list):
        raise PcsConfigError(f"{what}: expected a list of operations, got {ops!r}")
    words = ["op"]
    for position, op in enumerate(ops):
        label = f"{what}[{position}]"
        if not isinstance(op, dict) or not isinstance(op.get("name"), str) or not OP_NAME_PATTERN.fullmatch(op["name"]):
            raise PcsConfigError(f"{label}: each operation needs a name such as monitor, start or stop, got {op!r}")
        options = {key: value for key, value in op.items() if key != "name"}
        for key in OP_TIME_OPTIONS:
            if key in options and not TIME_PATTERN.fullmatch(value_text(options[key], f"{label} ({op['name']}) {key}")):
                raise PcsConfigError(
                    f"{label} ({op['name']}) {key}: invalid time {options[key]!r} (seconds, or a number with a unit "
                    "such as 500ms, 10s, 2min or 1h)"
                )
        words += [op["name"], *name_value_pairs(options, f"{label} ({op['name']})")]
    return words


# --- the wanted configuration ------------------------------------------------


def constraint_id(constraint):
    """The owned id of a constraint: CONSTRAINT_PREFIX + the given id or one made from its resources."""
    given = constraint.get("id")
    if given:
        check_id(given, "constraint id")
        return given if given.startswith(CONSTRAINT_PREFIX) else CONSTRAINT_PREFIX + given
    kind = constraint["type"]
    if kind == "location":
        parts = [constraint["resource"], constraint["node"]]
    elif kind == "colocation":
        parts = [constraint["resource"], constraint["with"]]
    else:
        parts = [constraint["first"], constraint["then"]]
    return f"{CONSTRAINT_PREFIX}{kind}-{'-'.join(str(part) for part in parts)}"


def _present(item, key):
    return item.get(key) not in (None, "", [], {})


class _IdRegistry:
    """Ids claimed so far by the wanted configuration, to refuse a second use."""

    def __init__(self):
        self.ids = {}

    def claim(self, identifier, what):
        check_id(identifier, what)
        if identifier in self.ids:
            raise PcsConfigError(f"{what}: id {identifier!r} is also used by {self.ids[identifier]}")
        self.ids[identifier] = what


def _check_primitive(item, what, agent_pattern, agent_hint):
    agent = item.get("agent")
    if not isinstance(agent, str) or not agent_pattern.fullmatch(agent):
        raise PcsConfigError(f"{what} ({item['id']}): invalid agent {agent!r} ({agent_hint})")
    name_value_pairs(item.get("options"), f"{what} ({item['id']}) options")
    name_value_pairs(item.get("meta"), f"{what} ({item['id']}) meta")
    op_words(item.get("op"), f"{what} ({item['id']}) op")


def _check_groups(groups, primitive_ids, registry):
    """Validate the groups; return {member id: group id}."""
    grouped = {}
    for position, group in enumerate(groups):
        what = f"groups[{position}]"
        registry.claim(group.get("id"), what)
        members = group.get("resources")
        if not isinstance(members, list) or not members:
            raise PcsConfigError(f"{what} ({group['id']}): resources must list at least one resource id")
        for member in members:
            if member not in primitive_ids:
                raise PcsConfigError(
                    f"{what} ({group['id']}): {member!r} is not a resource defined in resources (a group holds "
                    "only primitives this collection manages)"
                )
            if member in grouped:
                raise PcsConfigError(f"{what} ({group['id']}): {member!r} is already in group {grouped[member]!r}")
            grouped[member] = group["id"]
        name_value_pairs(group.get("meta"), f"{what} ({group['id']}) meta")
    return grouped


def _check_clones(clones, cloneable, grouped, registry):
    cloned = set()
    for position, clone in enumerate(clones):
        what = f"clones[{position}]"
        target = clone.get("id")
        if target not in cloneable:
            raise PcsConfigError(f"{what}: {target!r} is not a resource or group defined in resources or groups")
        if target in grouped:
            raise PcsConfigError(f"{what}: {target!r} is in group {grouped[target]!r}; clone the group instead")
        if target in cloned:
            raise PcsConfigError(f"{what}: {target!r} is cloned twice")
        cloned.add(target)
        registry.claim(clone_id(clone), what)
        name_value_pairs(clone.get("meta"), f"{what} ({target}) meta")


def check_spec(spec):
    """Validate the wanted configuration; raise PcsConfigError naming the first problem.

    Returns {id: what} for every id the configuration creates.
    """
    registry = _IdRegistry()
    name_value_pairs(spec.get("properties") or {}, "properties")
    for position, device in enumerate(spec.get("stonith_devices") or []):
        registry.claim(device.get("id"), f"stonith_devices[{position}]")
        _check_primitive(device, f"stonith_devices[{position}]", FENCE_AGENT_PATTERN, "for example fence_ipmilan")
    primitive_ids = set()
    for position, resource in enumerate(spec.get("resources") or []):
        registry.claim(resource.get("id"), f"resources[{position}]")
        primitive_ids.add(resource["id"])
        _check_primitive(resource, f"resources[{position}]", AGENT_PATTERN, AGENT_HINT)
    groups = spec.get("groups") or []
    grouped = _check_groups(groups, primitive_ids, registry)
    cloneable = primitive_ids | {group["id"] for group in groups}
    _check_clones(spec.get("clones") or [], cloneable, grouped, registry)
    for position, constraint in enumerate(spec.get("constraints") or []):
        check_constraint(constraint, f"constraints[{position}]")
        registry.claim(constraint_id(constraint), f"constraints[{position}]")
    return registry.ids


def clone_id(clone):
    return clone.get("clone_id") or f"{clone['id']}-clone"


def _check_constraint_values(constraint, what):
    for key in ("resource", "with", "first", "then", "node"):
        if _present(constraint, key):
            check_id(constraint[key], f"{what} {key}")
    if _present(constraint, "score"):
        score_text(constraint["score"], f"{what} score")
    for key in ("role", "with_role"):
        if _present(constraint, key):
            role_text(constraint[key], f"{what} {key}")
    for key in ("first_action", "then_action"):
        if _present(constraint, key) and constraint[key] not in ACTIONS:
            raise PcsConfigError(f"{what} {key}: {constraint[key]!r} is not one of {', '.join(ACTIONS)}")
    if _present(constraint, "kind") and str(constraint["kind"]).lower() not in KINDS:
        raise PcsConfigError(f"{what} kind: {constraint['kind']!r} is not one of {', '.join(KINDS.values())}")


def check_constraint(constraint, what):
    kind = constraint.get("type")
    if kind not in CONSTRAINT_TYPES:
        raise PcsConfigError(f"{what}: type must be one of {', '.join(CONSTRAINT_TYPES)}, got {kind!r}")
    given = {key for key in constraint if _present(constraint, key)} - {"type", "id"}
    unknown = sorted(given - CONSTRAINT_KEYS[kind])
    if unknown:
        raise PcsConfigError(f"{what}: a {kind} constraint does not take {', '.join(unknown)}")
    for key in CONSTRAINT_REQUIRED[kind]:
        if not _present(constraint, key):
            raise PcsConfigError(f"{what}: a {kind} constraint needs {key}")
    _check_constraint_values(constraint, what)


def version_tuple(text):
    """(0, 12, 0, 2) from "0.12.0.2"; non-numeric parts end the tuple."""
    parts = []
    for part in text.strip().split("."):
        digits = re.match(r"\d+", part)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def constraint_argv(constraint, pcs_version):
    """pcs arguments that create one constraint with its owned id."""
    kind = constraint["type"]
    identifier = constraint_id(constraint)
    if kind == "location":
        score = score_text(constraint["score"], "score") if _present(constraint, "score") else "INFINITY"
        if pcs_version >= (0, 12):
            return [
                "constraint",
                "location",
                "add",
                identifier,
                constraint["resource"],
                constraint["node"],
                f"score={score}",
            ]
        # pcs 0.11 takes the score as a positional argument; "--" keeps a
        # negative one from being read as an option.
        return ["constraint", "location", "add", "--", identifier, constraint["resource"], constraint["node"], score]
    if kind == "colocation":
        argv = ["constraint", "colocation", "add"]
        if _present(constraint, "role"):
            argv.append(role_text(constraint["role"], "role"))
        argv += [constraint["resource"], "with"]
        if _present(constraint, "with_role"):
            argv.append(role_text(constraint["with_role"], "with_role"))
        score = score_text(constraint["score"], "score") if _present(constraint, "score") else "INFINITY"
        return [*argv, constraint["with"], f"score={score}", f"id={identifier}"]
    argv = ["constraint", "order"]
    if _present(constraint, "first_action"):
        argv.append(constraint["first_action"])
    argv += [constraint["first"], "then"]
    if _present(constraint, "then_action"):
        argv.append(constraint["then_action"])
    argv.append(constraint["then"])
    if _present(constraint, "kind"):
        argv.append(f"kind={KINDS[str(constraint['kind']).lower()]}")
    if constraint.get("symmetrical") is not None:
        argv.append(f"symmetrical={value_text(bool(constraint['symmetrical']), 'symmetrical')}")
    return [*argv, f"id={identifier}"]


def build_commands(spec, pcs_version):
    """The pcs argument lists (after `pcs -f FILE`) that create the wanted configuration, in order."""
    commands = []
    properties = name_value_pairs(spec.get("properties") or {}, "properties")
    if properties:
        commands.append(["property", "set", *properties])
    for device in spec.get("stonith_devices") or []:
        what = f"stonith device {device['id']}"
        agent = device["agent"].removeprefix("stonith:")
        commands.append(
            [
                "stonith",
                "create",
                device["id"],
                agent,
                *name_value_pairs(device.get("options"), f"{what} options"),
                *op_words(device.get("op"), f"{what} op"),
                "meta",
                *meta_with_marker(device.get("meta"), f"{what} meta"),
            ]
        )
    for resource in spec.get("resources") or []:
        what = f"resource {resource['id']}"
        commands.append(
            [
                "resource",
                "create",
                resource["id"],
                resource["agent"],
                *name_value_pairs(resource.get("options"), f"{what} options"),
                "meta",
                *meta_with_marker(resource.get("meta"), f"{what} meta"),
                *op_words(resource.get("op"), f"{what} op"),
            ]
        )
    for group in spec.get("groups") or []:
        commands.append(["resource", "group", "add", group["id"], *group["resources"]])
        commands.append(["resource", "meta", group["id"], *meta_with_marker(group.get("meta"), f"group {group['id']}")])
    for clone in spec.get("clones") or []:
        commands.append(
            [
                "resource",
                "promotable" if clone.get("promotable") else "clone",
                clone["id"],
                clone_id(clone),
                "meta",
                *meta_with_marker(clone.get("meta"), f"clone {clone['id']} meta"),
            ]
        )
    commands.extend(constraint_argv(constraint, pcs_version) for constraint in spec.get("constraints") or [])
    return commands


# --- the CIB -----------------------------------------------------------------


def parse_cib(text):
    try:
        return ET.fromstring(text)  # noqa: S314 - the node's own CIB from pcs
    except ET.ParseError as error:
        raise PcsConfigError(f"cannot parse the CIB: {error}") from error


def cib_text(root):
    return ET.tostring(root, encoding="unicode")


def section(root, name):
    configuration = root.find("configuration")
    if configuration is None:
        raise PcsConfigError("the CIB has no configuration section")
    found = configuration.find(name)
    if found is None:
        found = ET.SubElement(configuration, name)
    return found


def has_marker(element):
    """True when the element's own meta attributes carry the ownership marker."""
    for meta in element.findall("meta_attributes"):
        for pair in meta.findall("nvpair"):
            if pair.get("name") == MARKER_NAME and pair.get("value") == MARKER_VALUE:
                return True
    return False


def find_owned(root):
    """(owned top-level resources, owned constraints) of a CIB.

    An owned resource nested in a container this collection does not own
    (e.g. a marked primitive in a hand-made group) cannot be rebuilt without
    changing that container, so it is refused.
    """
    resources = section(root, "resources")
    owned_resources = []
    for element in resources:
        if element.tag not in RESOURCE_TAGS:
            continue
        if has_marker(element):
            owned_resources.append(element)
            continue
        for nested in element.iter():
            if nested is not element and nested.tag in RESOURCE_TAGS and has_marker(nested):
                raise PcsConfigError(
                    f"{nested.tag} {nested.get('id')!r} carries {MARKER_NAME}={MARKER_VALUE} but sits in "
                    f"{element.tag} {element.get('id')!r}, which does not; mark the {element.tag} too or remove "
                    "the marker"
                )
    constraints = section(root, "constraints")
    owned_constraints = [element for element in constraints if (element.get("id") or "").startswith(CONSTRAINT_PREFIX)]
    return owned_resources, owned_constraints


def _ids_within(elements):
    ids = set()
    for element in elements:
        for nested in element.iter():
            if nested.get("id") and nested.tag not in REFERENCE_TAGS:
                ids.add(nested.get("id"))
    return ids


def _referenced(element, ids):
    """Ids out of `ids` that element (or anything in it) refers to."""
    found = set()
    for nested in element.iter():
        for attribute in REFERENCE_ATTRIBUTES:
            if nested.get(attribute) in ids:
                found.add(nested.get(attribute))
        if nested.tag in REFERENCE_TAGS and nested.get("id") in ids:
            found.add(nested.get("id"))
    return found


def detach_owned(root):
    """Remove the owned elements from root, in place.

    Returns the other top-level elements that refer to an id inside an owned
    element, taken out too (a CIB with a dangling reference fails validation,
    and pcs refuses to work on it), as (section name, element, referenced ids).
    """
    owned_resources, owned_constraints = find_owned(root)
    removed_ids = _ids_within(owned_resources + owned_constraints)
    resources = section(root, "resources")
    constraints = section(root, "constraints")
    for element in owned_resources:
        resources.remove(element)
    for element in owned_constraints:
        constraints.remove(element)
    kept_aside = []
    configuration = root.find("configuration")
    for part in configuration:
        for element in list(part):
            referenced = _referenced(element, removed_ids)
            if referenced:
                part.remove(element)
                kept_aside.append((part.tag, element, referenced))
    return kept_aside


def _prune(element, existing):
    """Drop references to missing ids from element; False when the element itself must go.

    As `pcs resource delete` does: a constraint naming a missing resource
    directly goes; a tag or resource set only loses the reference, and goes
    when nothing is left in it.
    """
    for nested in element.iter():
        for attribute in REFERENCE_ATTRIBUTES:
            value = nested.get(attribute)
            if value is not None and value not in existing:
                return False
    for tag in (*REFERENCE_TAGS, "resource_set"):
        for parent in list(element.iter()):
            for child in list(parent):
                empty_set = tag == "resource_set" and child.tag == tag and child.find("resource_ref") is None
                missing = tag in REFERENCE_TAGS and child.tag == tag and child.get("id") not in existing
                if empty_set or missing:
                    parent.remove(child)
    if element.tag == "tag":
        return element.find("obj_ref") is not None
    if element.tag.startswith("rsc_") and element.get("rsc") is None and element.get("first") is None:
        return element.find("resource_set") is not None
    return True


def reattach(root, kept_aside):
    """Put back the elements detach_owned() kept aside, without references to owned elements that are gone.

    Returns what changed among them, e.g. "rsc_location cli-prefer-old (removed)"
    or "tag web-tags (reference to old removed)", for an owned resource that is
    removed for good.
    """
    existing = {element.get("id") for element in root.find("configuration").iter() if element.get("id")}
    changes = []
    for part_name, element, referenced in kept_aside:
        missing = sorted(referenced - existing)
        label = f"{element.tag} {element.get('id')}"
        if not missing:
            section(root, part_name).append(element)
        elif _prune(element, existing):
            section(root, part_name).append(element)
            changes.append(f"{label} (reference to {', '.join(missing)} removed)")
        else:
            changes.append(f"{label} (removed)")
    return changes


def id_collisions(root, wanted_ids):
    """Messages for wanted ids that elements not owned by this collection already use."""
    existing = {}
    configuration = root.find("configuration")
    for element in configuration.iter() if configuration is not None else ():
        if element.get("id") and element.get("id") not in existing:
            existing[element.get("id")] = element.tag
    messages = []
    for identifier in wanted_ids:
        if identifier in existing:
            tag = existing[identifier]
            hint = ""
            if tag in (*RESOURCE_TAGS, "rsc_location", "rsc_colocation", "rsc_order"):
                hint = (
                    f" (to let this collection manage the existing {tag}, mark it with "
                    f"'pcs resource meta {identifier} {MARKER_NAME}={MARKER_VALUE}' (resources) or give it an id "
                    f"starting with {CONSTRAINT_PREFIX} (constraints); otherwise rename or remove it)"
                )
            messages.append(f"id {identifier!r} is already used by a {tag} this collection does not manage{hint}")
    return messages


def restore_positions(original, rebuilt):
    """Order the children of the ordered sections of `rebuilt` as in `original`; new ones go last."""
    for name in ORDERED_SECTIONS:
        before = original.find(f"configuration/{name}")
        after = rebuilt.find(f"configuration/{name}")
        if before is None or after is None:
            continue
        children = list(after)
        by_id = {child.get("id"): child for child in children if child.get("id")}
        ordered = []
        for child in before:
            match = by_id.pop(child.get("id"), None)
            if match is not None:
                ordered.append(match)
        placed = {id(child) for child in ordered}
        ordered += [child for child in children if id(child) not in placed]
        for child in children:
            after.remove(child)
        after.extend(ordered)


def configuration_text(root):
    """The configuration section, indented, for --diff."""
    configuration = root.find("configuration")
    if configuration is None:
        return ""
    copied = copy.deepcopy(configuration)
    copied.tail = None
    ET.indent(copied, space="  ")
    return ET.tostring(copied, encoding="unicode") + "\n"


def _meta_value(element, name):
    for meta in element.findall("meta_attributes"):
        for pair in meta.findall("nvpair"):
            if pair.get("name") == name:
                return pair.get("value")
    return None


def expected_running(root):
    """Ids of the owned primitives that should run: no target-role=Stopped on them or their containers."""
    owned_resources, _constraints = find_owned(root)
    running = []

    def walk(element, stopped):
        role = _meta_value(element, "target-role")
        stopped = stopped or (role is not None and role.lower() == "stopped")
        if element.tag == "primitive":
            if not stopped:
                running.append(element.get("id"))
            return
        for child in element:
            if child.tag in RESOURCE_TAGS:
                walk(child, stopped)

    for element in owned_resources:
        walk(element, False)
    return running


def owned_ids(root):
    """Ids of the owned top-level resources and constraints, in CIB order."""
    owned_resources, owned_constraints = find_owned(root)
    return [element.get("id") for element in owned_resources + owned_constraints]
