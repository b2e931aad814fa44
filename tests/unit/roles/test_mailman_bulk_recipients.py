"""The bulk member-recipients part of the mailman role's Mailman plugin
(handlers/recipients.py): what it loads, in how many queries, that it keeps
the loaded rows referenced while Mailman's own handler runs, and its place in
the posting pipeline. Mailman's modules are stood in for (a small `mailman`
package in sys.modules); the end-to-end proof is every list post of the
molecule scenarios, and the speed is in benchmarks/ (docs/benchmarks.md)."""

from __future__ import annotations

import gc
import sys
import types
import weakref
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "roles" / "mailman" / "files"


class Column:
    def __init__(self, name):
        self.name = name

    def in_(self, values):
        return (self.name, "in", tuple(values))


class Row:
    """A database row as the ORM hands it out (weak-referenceable, like SQLAlchemy's objects)."""

    def __init__(self, **values):
        self.__dict__.update(values)


def model(name):
    return type(name, (), {"id": Column("id")})


class Store:
    """The database: rows per model. Each query hands out new objects, as a session does for rows
    it does not hold (it only keeps weak references); records every query and every object."""

    def __init__(self, tables):
        self.tables = tables
        self.queries = []
        self.handed_out = []

    def query(self, table):
        return Query(self, table)


class Query:
    def __init__(self, store, table):
        self.store, self.table, self.conditions = store, table, []

    def filter(self, condition):
        self.conditions.append(condition)
        return self

    def filter_by(self, **values):
        self.conditions.append(("by", tuple(sorted(values.items()))))
        return self

    def count(self):
        self.store.queries.append((f"count {self.table.__name__}", self.conditions))
        return len(self._rows())

    def _rows(self):
        rows = self.store.tables[self.table.__name__]
        for condition in self.conditions:
            if condition[0] == "by":
                rows = [r for r in rows if all(getattr(r, k) == v for k, v in condition[1])]
            else:
                rows = [r for r in rows if r.id in condition[2]]
        return rows

    def all(self):
        self.store.queries.append((self.table.__name__, self.conditions))
        objects = [Row(**row.__dict__) for row in self._rows()]
        self.store.handed_out.extend(weakref.ref(obj) for obj in objects)
        return objects


@pytest.fixture
def mailman(monkeypatch):
    """A stand-in `mailman` package with what the handler imports; its MemberRecipients records
    how many of the objects the store handed out are still alive while it runs."""
    seen_alive = []
    config = types.SimpleNamespace(db=types.SimpleNamespace(store=None))

    class MemberRecipients:
        def process(self, mlist, msg, msgdata):
            gc.collect()
            handed_out = config.db.store.handed_out
            seen_alive.append((sum(1 for ref in handed_out if ref() is not None), len(handed_out)))
            msgdata["recipients"] = {"from-mailman@example.org"}

    modules = {
        "mailman": {},
        "mailman.config": {"config": config},
        "mailman.handlers": {},
        "mailman.handlers.member_recipients": {"MemberRecipients": MemberRecipients},
        "mailman.interfaces": {},
        "mailman.interfaces.handler": {"IHandler": object},
        "mailman.interfaces.member": {"MemberRole": types.SimpleNamespace(member="member", owner="owner")},
        "mailman.model": {},
        "mailman.model.address": {"Address": model("Address")},
        "mailman.model.member": {"Member": model("Member")},
        "mailman.model.preferences": {"Preferences": model("Preferences")},
        "mailman.model.user": {"User": model("User")},
        "zope": {},
        "zope.interface": {"implementer": lambda _iface: lambda cls: cls},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attributes)
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.syspath_prepend(str(FILES))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for name in [m for m in sys.modules if m.startswith("listserv_mailstack_mailman")]:
        monkeypatch.delitem(sys.modules, name)
    from listserv_mailstack_mailman.handlers import recipients  # noqa: PLC0415

    return types.SimpleNamespace(recipients=recipients, seen_alive=seen_alive, config=config)


def tables(members: int = 3):
    """A list of `members` members subscribed by address, one subscribed as a user (to its
    preferred address), members of another list and an owner, with preferences all round."""
    member_rows = [
        Row(
            id=i,
            list_id="team.example.org",
            role="member",
            address_id=10000 + i,
            user_id=None,
            preferences_id=30000 + i,
        )
        for i in range(members)
    ]
    member_rows.append(
        Row(id=900000, list_id="team.example.org", role="member", address_id=None, user_id=7, preferences_id=390)
    )
    member_rows.append(Row(id=900001, list_id="team.example.org", role="owner", address_id=199, user_id=None))
    member_rows.append(Row(id=900002, list_id="other.example.org", role="member", address_id=198, user_id=None))
    addresses = [Row(id=10000 + i, user_id=(5 if i == 0 else None), preferences_id=50000 + i) for i in range(members)]
    addresses += [Row(id=9150, user_id=7, preferences_id=550), Row(id=198, user_id=None, preferences_id=598)]
    users = [
        Row(id=5, _preferred_address_id=10000, preferences_id=605),
        Row(id=7, _preferred_address_id=9150, preferences_id=607),
    ]
    wanted = {30000 + i for i in range(members)} | {50000 + i for i in range(members)} | {390, 550, 605, 607}
    preferences = [Row(id=i) for i in sorted(wanted | {598, 999})]
    return {"Member": member_rows, "Address": addresses, "User": users, "Preferences": preferences}


def test_preload_loads_every_record_the_preference_lookups_reach(mailman):
    store = Store(tables())
    members, addresses, users, preferred, preferences = mailman.recipients.preload(store, "team.example.org")
    assert sorted(m.id for m in members) == [0, 1, 2, 900000]
    assert sorted(a.id for a in addresses) == [10000, 10001, 10002]
    assert sorted(u.id for u in users) == [5, 7]
    assert [a.id for a in preferred] == [9150]  # user 7's preferred address; user 5's is loaded already
    assert sorted(p.id for p in preferences) == [390, 550, 605, 607, 30000, 30001, 30002, 50000, 50001, 50002]
    assert [table for table, _conditions in store.queries] == [
        "count Member",
        "Member",
        "Address",
        "User",
        "Address",
        "Preferences",
    ]


def test_preload_queries_in_chunks_that_sqlite_accepts(mailman):
    store = Store(tables(1234))
    mailman.recipients.preload(store, "team.example.org")
    sizes = [len(c[2]) for _table, conditions in store.queries for c in conditions if c[1] == "in"]
    assert max(sizes) <= 500
    # 1,235 members: addresses 3 chunks, users 1, preferred 1, preferences (2,472 ids) 5.
    assert [table for table, _c in store.queries].count("Address") == 4
    assert len(store.queries) == 1 + 1 + 3 + 1 + 1 + 5


def test_process_keeps_the_loaded_rows_alive_while_mailmans_handler_runs(mailman):
    store = Store(tables(50))
    mailman.config.db.store = store
    msgdata = {}
    mailman.recipients.BulkMemberRecipients().process(types.SimpleNamespace(list_id="team.example.org"), None, msgdata)
    assert msgdata["recipients"] == {"from-mailman@example.org"}
    # Every object the preload got was alive while Mailman's handler ran (so the session's
    # identity map could answer the lazy loads), and none is kept after it.
    alive, handed_out = mailman.seen_alive[0]
    assert handed_out == 51 + 50 + 2 + 1 + 104
    assert alive == handed_out
    gc.collect()
    assert [ref for ref in store.handed_out if ref() is not None] == []


def test_process_leaves_recipients_already_calculated_alone(mailman):
    store = Store(tables())
    mailman.config.db.store = store
    msgdata = {"recipients": {"kept@example.org"}}
    mailman.recipients.BulkMemberRecipients().process(types.SimpleNamespace(list_id="x"), object(), msgdata)
    assert msgdata == {"recipients": {"kept@example.org"}}
    assert store.queries == []
    assert mailman.seen_alive == []


def test_the_handler_module_exports_only_the_handler(mailman):
    assert mailman.recipients.__all__ == ["BulkMemberRecipients"]
    assert mailman.recipients.BulkMemberRecipients.name == "listserv-member-recipients"


def test_a_list_above_the_limit_is_left_to_mailmans_handler(mailman, monkeypatch):
    monkeypatch.setattr(mailman.recipients, "BULK_LIMIT", 40)
    store = Store(tables(50))
    assert mailman.recipients.preload(store, "team.example.org") == []
    assert [table for table, _conditions in store.queries] == ["count Member"]
    mailman.config.db.store = store
    msgdata = {}
    mailman.recipients.BulkMemberRecipients().process(types.SimpleNamespace(list_id="team.example.org"), None, msgdata)
    assert msgdata["recipients"] == {"from-mailman@example.org"}
    assert store.handed_out == []
