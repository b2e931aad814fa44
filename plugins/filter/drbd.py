# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The drbd role's resources with their defaults, checked.

drbd_resources fills in what a resource of the role leaves out (port, fstype,
protocol) and refuses, naming the value, what DRBD would refuse later or
what would make two resources collide.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
_DISK = re.compile(r"^/dev/[A-Za-z0-9/_.:+-]+$")
_FSTYPES = ("", "ext4", "xfs")
_PROTOCOLS = ("A", "B", "C")
_BASE_PORT = 7788


def _int(resource, key, value, low, high):
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not low <= number <= high:
        raise AnsibleFilterError(
            f"drbd_resources: {key} of resource {resource!r} must be a number from {low} to {high}, got {value!r}"
        )
    return number


def drbd_resources(resources):
    """[{name, minor, device, disk, port, fstype, protocol, firewall_port}] from the role's drbd_resources."""
    if isinstance(resources, (str, dict)) or not isinstance(resources, (list, tuple)):
        raise AnsibleFilterError(f"drbd_resources: expected a list of resources, got {resources!r}")
    result = []
    for resource in resources:
        if not isinstance(resource, dict):
            raise AnsibleFilterError(f"drbd_resources: each resource is a mapping, got {resource!r}")
        name = str(resource.get("name", ""))
        if not _NAME.match(name):
            raise AnsibleFilterError(
                f"drbd_resources: invalid resource name {name!r} (letters, digits, '_' and '-', at most 63)"
            )
        unknown = sorted(set(resource) - {"name", "minor", "disk", "port", "fstype", "protocol"})
        if unknown:
            raise AnsibleFilterError(f"drbd_resources: resource {name!r} has unknown keys {unknown}")
        minor = _int(name, "minor", resource.get("minor"), 0, 1048575)
        disk = str(resource.get("disk", ""))
        if not _DISK.match(disk) or "/../" in disk or disk.endswith("/.."):
            raise AnsibleFilterError(
                f"drbd_resources: disk of resource {name!r} must be a block device path under /dev, got {disk!r}"
            )
        port = _int(name, "port", resource.get("port", _BASE_PORT + minor), 1, 65535)
        fstype = str(resource.get("fstype", "ext4") or "")
        if fstype not in _FSTYPES:
            raise AnsibleFilterError(
                f"drbd_resources: fstype of resource {name!r} must be one of {list(_FSTYPES)}, got {fstype!r}"
            )
        protocol = str(resource.get("protocol", "C"))
        if protocol not in _PROTOCOLS:
            raise AnsibleFilterError(
                f"drbd_resources: protocol of resource {name!r} must be A, B or C, got {protocol!r}"
            )
        result.append(
            {
                "name": name,
                "minor": minor,
                "device": f"/dev/drbd{minor}",
                "disk": disk,
                "port": port,
                "fstype": fstype,
                "protocol": protocol,
                # What the firewall role takes for the replication port.
                "firewall_port": {"port": port, "proto": "tcp"},
            }
        )
    for key in ("name", "minor", "disk", "port"):
        values = [item[key] for item in result]
        repeated = sorted({str(value) for value in values if values.count(value) > 1})
        if repeated:
            raise AnsibleFilterError(f"drbd_resources: two resources have the same {key}: {', '.join(repeated)}")
    return result


def drbd_up(results, up=True):
    """The results of looped `drbdadm cstate` commands whose resource is up
    (up=True) or down (up=False). A resource is up when drbdadm answers with
    a connection state other than "Unconfigured"; an error (no such resource
    in the kernel) means down."""
    if not isinstance(results, list):
        raise AnsibleFilterError(f"drbd_up: wants the results list of a looped drbdadm cstate, got {results!r}")
    chosen = []
    for result in results:
        if not isinstance(result, dict) or "rc" not in result:
            raise AnsibleFilterError(f"drbd_up: not a command result: {result!r}")
        is_up = result["rc"] == 0 and str(result.get("stdout", "")).strip() not in ("", "Unconfigured")
        if is_up == bool(up):
            chosen.append(result)
    return chosen


class FilterModule:
    def filters(self):
        return {"drbd_resources": drbd_resources, "drbd_up": drbd_up}
