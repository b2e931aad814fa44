# Copyright: (c) 2026, listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pipeline handler: Mailman's member-recipients with the members' records loaded in bulk.

Mailman's own handler asks each member of the list for its delivery mode and
status. Each answer walks the member's preferences, then its address's, then
its user's, and every step is a lazy load from the database: about five SQL
queries per member (5,005 for a list of 1,000; measured with
benchmarks/mailman_pipeline_profile.py, 99 % of the posting pipeline's time).

This handler first loads the list's members, their addresses, users and all
their preferences with one query per table (in chunks), keeps them referenced
while Mailman's handler runs, and then runs Mailman's handler unchanged: the
lazy loads are then answered from the session's identity map instead of the
database. The recipients, and the rules that choose them, are Mailman's own.

The loaded rows stay in memory while Mailman's handler runs (a few objects
per member); a list with more than BULK_LIMIT members is left to Mailman's
handler alone, which holds fewer at a time.
"""

from __future__ import annotations

try:
    from mailman.config import config
    from mailman.handlers.member_recipients import MemberRecipients
    from mailman.interfaces.handler import IHandler
    from mailman.interfaces.member import MemberRole
    from mailman.model.address import Address
    from mailman.model.member import Member
    from mailman.model.preferences import Preferences
    from mailman.model.user import User
    from zope.interface import implementer
except ImportError:  # outside Mailman (unit tests)
    config = IHandler = MemberRole = Address = Member = Preferences = User = implementer = None
    MemberRecipients = object

__all__ = ["BulkMemberRecipients"]

NAME = "listserv-member-recipients"
REPLACES = "member-recipients"
# SQLite allows at most 999 bound parameters in a statement before 3.32.
CHUNK = 500
# Above this many members the preload's memory (some tens of MB) is not spent.
BULK_LIMIT = 10000


def by_ids(store, model, ids) -> list:
    """The rows of `model` with these primary keys, loaded in chunks."""
    ids = sorted(i for i in ids if i is not None)
    rows = []
    for start in range(0, len(ids), CHUNK):
        rows.extend(store.query(model).filter(model.id.in_(ids[start : start + CHUNK])).all())
    return rows


def preload(store, list_id) -> list:
    """Load the list's members and the records their preference lookups reach; returns them all
    (the session's identity map holds objects only while something references them)."""
    query = store.query(Member).filter_by(list_id=list_id, role=MemberRole.member)
    if query.count() > BULK_LIMIT:
        return []
    members = query.all()
    addresses = by_ids(store, Address, {m.address_id for m in members})
    users = by_ids(store, User, {m.user_id for m in members} | {a.user_id for a in addresses})
    # Members subscribed as a user deliver to the user's preferred address.
    preferred = by_ids(store, Address, {u._preferred_address_id for u in users} - {a.id for a in addresses})
    preferences = by_ids(
        store,
        Preferences,
        {m.preferences_id for m in members}
        | {a.preferences_id for a in addresses + preferred}
        | {u.preferences_id for u in users},
    )
    return [members, addresses, users, preferred, preferences]


class _BulkMemberRecipients(MemberRecipients):
    name = NAME
    description = "Calculate the regular recipients of the message (members loaded in bulk)."

    def process(self, mlist, msg, msgdata):
        if "recipients" in msgdata:
            return None
        loaded = preload(config.db.store, mlist.list_id)
        try:
            return super().process(mlist, msg, msgdata)
        finally:
            del loaded


if implementer is not None:
    BulkMemberRecipients = implementer(IHandler)(_BulkMemberRecipients)
else:  # outside Mailman (unit tests): the plain class
    BulkMemberRecipients = _BulkMemberRecipients
