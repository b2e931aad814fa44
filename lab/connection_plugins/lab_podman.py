# Copyright: listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection for the lab's and the tests' podman containers, with pipelining.

containers.podman.podman runs every module as four `podman exec` calls (make a
temporary directory, copy the module, make it executable, run it). With
pipelining one `podman exec --interactive` runs the module from standard input:
measured here, 0.65 s instead of 1.07 s per task (docs/benchmarks.md). It also
mounts the container's file system only when a file is copied, not for every
task as the parent does. The lab and the scenarios now use ssh through
lab/ssh-proxy (faster still); this connection remains for the podman suites'
own containers, for module tasks that run as a user without a login shell,
and as the reference of benchmarks/connection_overhead.py. It is not part of
the collection's plugins.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: lab_podman
short_description: Run tasks in the lab's podman containers, with pipelining
description:
  - The podman connection of C(containers.podman), plus pipelining through
    C(podman exec --interactive).
  - Used by the podman suites and some module tasks of listserv.mailstack's tests.
author: listserv.mailstack contributors
options:
  remote_addr:
    description: Name or ID of the container.
    default: inventory_hostname
    vars:
      - name: ansible_host
      - name: inventory_hostname
      - name: ansible_podman_host
  remote_user:
    description: User to run commands as inside the container.
    vars:
      - name: ansible_user
  podman_extra_args:
    description: Further arguments for every podman command.
    default: ""
    vars:
      - name: ansible_podman_extra_args
  podman_executable:
    description: The podman program.
    default: podman
    vars:
      - name: ansible_podman_executable
"""

import shlex

from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.connection import ConnectionBase, ensure_connect
from ansible_collections.containers.podman.plugins.connection.podman import Connection as PodmanConnection


class Connection(PodmanConnection):
    """containers.podman.podman with pipelining."""

    transport = "lab_podman"
    has_pipelining = True

    def _connect(self):
        # The parent mounts the container's file system at every connection
        # (one more podman command per task) to copy files through it; most
        # tasks never copy a file with pipelining, so mount on first use.
        # The base class bookkeeping, without the parent's mount.
        ConnectionBase._connect(self)
        self._mount_point = None
        self._mount_tried = False
        self._connected = True
        return self

    def _mount(self):
        if not self._mount_tried:
            self._mount_tried = True
            # The parent's connect is its mount.
            PodmanConnection._connect(self)

    @ensure_connect
    def put_file(self, in_path, out_path):
        self._mount()
        return super().put_file(in_path, out_path)

    @ensure_connect
    def fetch_file(self, in_path, out_path):
        self._mount()
        return super().fetch_file(in_path, out_path)

    @ensure_connect
    def exec_command(self, cmd, in_data=None, sudoable=False):
        # The grandparent's bookkeeping; the parent's exec never passes stdin on.
        super(PodmanConnection, self).exec_command(cmd, in_data=in_data, sudoable=sudoable)
        args = ["exec", "--interactive"] if in_data is not None else ["exec"]
        if self.user:
            args.extend(("--user", self.user))
        return self._podman(args, shlex.split(to_native(cmd, errors="surrogate_or_strict")), in_data)
