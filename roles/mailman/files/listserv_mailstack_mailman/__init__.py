# Copyright: (c) 2026, listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Mailman 3 plugin of listserv.mailstack: no post lost or sent twice when
Mailman or Postfix stops, restarts or fails over.

Installed by the role listserv.mailstack.mailman and enabled in mailman.cfg
(``[plugin.listserv_mailstack]``, settings in the file its ``configuration``
names). Two parts, each switched by the role:

Graceful stop (``mailman_graceful_stop``). A Mailman 3 runner that receives
SIGTERM, SIGINT or SIGUSR1 raises ``RunnerInterrupt`` from its signal handler
at once, also while it is in the middle of a message. The runner's generic error handling then moves that
message to the *shunt* queue (or, when the signal lands while the message is
being read from its queue file, to the *bad* queue), where it waits for an
administrator's ``mailman unshunt``. Every stop during delivery (``systemctl
restart mailman3``, a cluster failover, a reboot) can strand a post that way.

With the plugin, while a runner works through its queue (``Runner._one_iteration``), a
stop signal only sets the runner's stop flag; the runner finishes the
message in hand, commits, and leaves its loop, as Mailman's own stop flag
makes it do. A runner that is idle (sleeping between queue scans) is
interrupted at once, as before, so stopping stays quick. A runner that is
still busy when systemd's stop timeout ends is killed; its queue file stays
behind as ``.bak`` and Mailman recovers it at the next start.

Duplicate posts (``mailman_duplicate_window_days``): the handler in
``handlers/duplicates.py``, put first in Mailman's default posting pipeline,
discards a post whose Message-ID the list already accepted (a copy sent again
after a lost acknowledgement).

Recipients in bulk (``mailman_bulk_member_recipients``): the handler in
``handlers/recipients.py`` takes the place of Mailman's ``member-recipients``
in the posting pipeline; it loads the list's members and their preferences
with a few queries and then runs Mailman's own handler, which otherwise makes
about five database queries per member.

``mailman shell -l LIST -r listserv_mailstack_mailman.show_pipeline`` prints
the handlers a list's posts go through.
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


def add_duplicate_handler(pipeline_class: type, handler: str) -> bool:
    """Put `handler` first in `pipeline_class`'s handlers; False if it is there already."""
    handlers = tuple(pipeline_class._default_handlers)
    if handler in handlers:
        return False
    pipeline_class._default_handlers = (handler, *handlers)
    return True


def replace_handler(pipeline_class: type, old: str, new: str) -> bool:
    """Put handler `new` in the place of `old` in `pipeline_class`; False if `old` is not there."""
    handlers = tuple(pipeline_class._default_handlers)
    if old not in handlers:
        return False
    pipeline_class._default_handlers = tuple(new if name == old else name for name in handlers)
    return True


def show_pipeline(mlist) -> list[str]:
    """`mailman shell -l LIST -r listserv_mailstack_mailman.show_pipeline`: print the names of
    the handlers of the list's posting pipeline, in order; returns them."""
    from mailman.config import config  # noqa: PLC0415 - only inside Mailman

    names = [handler.name for handler in config.pipelines[mlist.posting_pipeline]]
    print(f"{mlist.posting_pipeline}: {' '.join(names)}")
    return names


def _settings_file(plugin_name: str) -> str | None:
    from mailman.config import config  # noqa: PLC0415 - Mailman is initialising

    for name, section in config.plugin_configs:
        if name == plugin_name:
            return section["configuration"].strip() or None
    return None


class _Plugin:
    """The IPlugin Mailman loads; its hook runs in every Mailman process, before
    the pipelines are built."""

    resource = None
    name = "listserv_mailstack"

    def pre_hook(self):
        # Imported here: Mailman is initialising when it calls the hook.
        from mailman.core.runner import Runner  # noqa: PLC0415
        from mailman.pipelines.builtin import PostingPipeline  # noqa: PLC0415

        from listserv_mailstack_mailman import settings  # noqa: PLC0415
        from listserv_mailstack_mailman.handlers import recipients  # noqa: PLC0415
        from listserv_mailstack_mailman.handlers.duplicates import NAME  # noqa: PLC0415

        settings.load(_settings_file(self.name))
        if settings.graceful_stop():
            patch_runner(Runner)
        if settings.duplicate_window() > 0:
            add_duplicate_handler(PostingPipeline, NAME)
        if settings.bulk_recipients():
            replace_handler(PostingPipeline, recipients.REPLACES, recipients.NAME)

    def post_hook(self):
        return None


if implementer is not None:
    Plugin = implementer(IPlugin)(_Plugin)
else:  # outside Mailman (unit tests): the plain class
    Plugin = _Plugin
