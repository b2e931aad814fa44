# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The autofs maps of the nfs_autofs_client role, described as its templates and checks use them.

autofs_maps turns the role's direct mounts and indirect maps (already checked
by its preflight) into the lines of the map files, the NFS URLs the nfs-ls
check reads and the lines `automount -m` prints for each mount.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def _described(entry, key, default_options, extra):
    fstype = str(entry.get("fstype") or "nfs")
    options = entry.get("options")
    options = [str(option) for option in (default_options if options is None else options)]
    server = str(entry.get("server", ""))
    host = f"[{server}]" if ":" in server else server
    export = str(entry.get("export", ""))
    mount_options = f"-fstype={fstype}," + ",".join(options)
    location = f"{host}:{export}"
    return {
        **entry,
        **extra,
        "key": key,
        "mount_options": mount_options,
        "location": location,
        "url": f"nfs://{host}{export}",
        "dump_line": f"{key} | {mount_options} {location}",
    }


def autofs_maps(direct_mounts, indirect_maps, default_options, default_timeout):
    """{direct, indirect, entries}: the direct map's mounts, the indirect maps and their entries.

    direct_mounts: [{path, server, export, fstype?, options?}]
    indirect_maps: [{mount_point, map, timeout?, entries: [{key, server, export, fstype?, options?}]}]
    """
    for name, value in (("direct_mounts", direct_mounts), ("indirect_maps", indirect_maps)):
        if isinstance(value, (str, dict)) or not isinstance(value, (list, tuple)):
            raise AnsibleFilterError(f"autofs_maps: {name} must be a list, got {value!r}")
    direct = [_described(mount, str(mount.get("path", "")), default_options, {}) for mount in direct_mounts]
    indirect, entries = [], []
    for imap in indirect_maps:
        where = {"map": imap.get("map"), "mount_point": imap.get("mount_point")}
        timeout = imap.get("timeout")
        indirect.append({**where, "timeout": int(default_timeout if timeout is None else timeout)})
        entries.extend(
            _described(entry, str(entry.get("key", "")), default_options, where) for entry in imap.get("entries") or []
        )
    return {"direct": direct, "indirect": indirect, "entries": entries}


class FilterModule:
    def filters(self):
        return {"autofs_maps": autofs_maps}
