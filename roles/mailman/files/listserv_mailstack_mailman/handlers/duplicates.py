# Copyright: (c) 2026, listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline handler: a post whose Message-ID the list already accepted is discarded.

SMTP and LMTP deliver at least once: when an acknowledgement is lost (Postfix
or Mailman restarted, a node failed over between "250" and its record of it)
the same message comes again and the list would send it twice. The plugin
puts this handler first in Mailman's default posting pipeline; it records
each accepted post's Message-ID per list and discards a second copy within
the window (plugin configuration, `[duplicate_posts] window_days`).

A message that comes through the pipeline again as the same queue entry is
let through: a shunted post requeued with `mailman unshunt` carries the mark
this handler set in its metadata; a post whose node died in the middle of the
pipeline comes back from the runner's backup file without that mark, but with
the time Mailman's LMTP server received it, which the store kept with the
Message-ID (a copy sent again was received at another time).
"""

from __future__ import annotations

import logging
import os

from listserv_mailstack_mailman import settings
from listserv_mailstack_mailman.seen import SeenStore

try:
    from mailman.config import config
    from mailman.interfaces.handler import IHandler
    from mailman.interfaces.pipeline import DiscardMessage
    from zope.interface import implementer
except ImportError:  # outside Mailman (unit tests)
    config = IHandler = DiscardMessage = implementer = None

__all__ = ["DuplicatePosts"]

NAME = "listserv-duplicate-posts"
MARK = "listserv_mailstack_seen"
STORE_FILE = "listserv-mailstack-seen.sqlite"

log = logging.getLogger("mailman.vette")


class _DuplicatePosts:
    name = NAME
    description = "Discard a post whose Message-ID the list already accepted (a copy sent again)."

    def store(self) -> SeenStore:
        return SeenStore(os.path.join(config.DATA_DIR, STORE_FILE), settings.duplicate_window())

    def process(self, mlist, msg, msgdata):
        if settings.duplicate_window() <= 0 or msgdata.get(MARK):
            return
        message_id = msg.get("message-id")
        if not message_id:
            return
        received = msgdata.get("received_time")
        entry = str(received) if received is not None else None
        if self.store().first_time(mlist.list_id, str(message_id), entry=entry):
            msgdata[MARK] = True
            return
        log.info("%s: duplicate of a post %s accepted before; discarded", message_id, mlist.list_id)
        raise DiscardMessage(f"duplicate of an accepted post ({message_id})")


if implementer is not None:
    DuplicatePosts = implementer(IHandler)(_DuplicatePosts)
else:
    DuplicatePosts = _DuplicatePosts
