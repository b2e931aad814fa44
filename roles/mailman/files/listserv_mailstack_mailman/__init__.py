# Copyright: (c) 2026, listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailman 3 plugin of listserv.mailstack: runners stop between messages.

Installed by the role listserv.mailstack.mailman and enabled in mailman.cfg
(``[plugin.listserv_mailstack]``) when ``mailman_graceful_stop`` is true.

Why: a Mailman 3 runner that receives SIGTERM, SIGINT or SIGUSR1 raises
``RunnerInterrupt`` from its signal handler at once, also while it is in the
middle of a message. The runner's generic error handling then moves that
message to the *shunt* queue (or, when the signal lands while the message is
being read from its queue file, to the *bad* queue), where it waits for an
administrator's ``mailman unshunt``. Every stop during delivery (``systemctl
restart mailman3``, a cluster failover, a reboot) can strand a post that way.

What: while a runner works through its queue (``Runner._one_iteration``), a
stop signal only sets the runner's stop flag; the runner finishes the
message in hand, commits, and leaves its loop, as Mailman's own stop flag
makes it do. A runner that is idle (sleeping between queue scans) is
interrupted at once, as before, so stopping stays quick. A runner that is
still busy when systemd's stop timeout ends is killed; its queue file stays
behind as ``.bak`` and Mailman recovers it at the next start.
"""

from __future__ import annotations

import logging
import signal

try:
    from mailman.interfaces.plugin import IPlugin
    from zope.interface import implementer
except ImportError:  # outside Mailman (unit tests)
    IPlugin = implementer = None

STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
PATCHED = "_listserv_mailstack_graceful"
BUSY = "_listserv_mailstack_busy"

log = logging.getLogger("mailman.runner")


def patch_runner(runner_class: type) -> bool:
    """Make `runner_class` stop between messages; False if it already does."""
    if getattr(runner_class, PATCHED, False):
        return False
    one_iteration = runner_class._one_iteration
    signal_handler = runner_class.signal_handler

    def graceful_one_iteration(self):
        setattr(self, BUSY, True)
        try:
            return one_iteration(self)
        finally:
            setattr(self, BUSY, False)

    def graceful_signal_handler(self, signum, frame):
        if signum in STOP_SIGNALS and getattr(self, BUSY, False):
            self.stop()
            self.status = signum
            log.info(
                "%s runner caught signal %d while processing its queue: stopping after the current message",
                getattr(self, "name", "?"),
                signum,
            )
            return None
        return signal_handler(self, signum, frame)

    graceful_one_iteration.__wrapped__ = one_iteration
    graceful_signal_handler.__wrapped__ = signal_handler
    runner_class._one_iteration = graceful_one_iteration
    runner_class.signal_handler = graceful_signal_handler
    setattr(runner_class, PATCHED, True)
    return True


class _Plugin:
    """The IPlugin Mailman loads: the patch is applied in every Mailman process."""

    resource = None
    name = "listserv_mailstack"

    def pre_hook(self):
        # Imported here: Mailman is initialising when it calls the hook.
        from mailman.core.runner import Runner  # noqa: PLC0415

        patch_runner(Runner)

    def post_hook(self):
        return None


if implementer is not None:
    GracefulStop = implementer(IPlugin)(_Plugin)
else:  # outside Mailman (unit tests): the plain class
    GracefulStop = _Plugin
