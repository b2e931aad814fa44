"""The duplicate-post part of the mailman role's Mailman plugin: its settings
file, its store of seen Message-IDs (a real SQLite file) and the pipeline
handler, with Mailman's config, list and DiscardMessage stood in for."""

from __future__ import annotations

import datetime
import sqlite3
import sys
import threading
from email.message import Message
from pathlib import Path

import pytest

FILES = Path(__file__).resolve().parents[3] / "roles" / "mailman" / "files"
DAY = 86400.0


@pytest.fixture
def plugin(monkeypatch):
    """The plugin package imported from the role's files, fresh for each test."""
    monkeypatch.syspath_prepend(str(FILES))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for name in [m for m in sys.modules if m.startswith("listserv_mailstack_mailman")]:
        monkeypatch.delitem(sys.modules, name)
    # Imported here: the package comes from the role's files, put on the path above.
    from listserv_mailstack_mailman import seen, settings  # noqa: PLC0415
    from listserv_mailstack_mailman.handlers import duplicates  # noqa: PLC0415

    return {"duplicates": duplicates, "seen": seen, "settings": settings}


class Discard(BaseException):
    def __init__(self, message=None):
        super().__init__(message)
        self.message = message


class MailingList:
    def __init__(self, list_id: str):
        self.list_id = list_id


def message(message_id: str | None) -> Message:
    msg = Message()
    if message_id is not None:
        msg["Message-ID"] = message_id
    msg["Subject"] = "test"
    return msg


@pytest.fixture
def handler(plugin, tmp_path, monkeypatch):
    duplicates = plugin["duplicates"]
    monkeypatch.setattr(duplicates, "config", type("Config", (), {"DATA_DIR": str(tmp_path)}))
    monkeypatch.setattr(duplicates, "DiscardMessage", Discard)
    plugin["settings"].load(None)
    return duplicates.DuplicatePosts()


# --- settings ---------------------------------------------------------------


def test_settings_default_without_a_file(plugin, tmp_path):
    values = plugin["settings"].load(str(tmp_path / "absent.cfg"))
    assert values == {"graceful_stop": True, "duplicate_window_days": 7.0, "bulk_recipients": True}
    assert plugin["settings"].duplicate_window() == 7 * DAY
    assert plugin["settings"].bulk_recipients() is True


def test_settings_from_the_file_the_role_writes(plugin, tmp_path):
    cfg = tmp_path / "listserv-mailstack.cfg"
    cfg.write_text(
        "[graceful_stop]\nenabled = no\n\n[duplicate_posts]\nwindow_days = 0.5\n\n[member_recipients]\nbulk = no\n"
    )
    values = plugin["settings"].load(str(cfg))
    assert values == {"graceful_stop": False, "duplicate_window_days": 0.5, "bulk_recipients": False}
    assert plugin["settings"].graceful_stop() is False
    assert plugin["settings"].bulk_recipients() is False
    assert plugin["settings"].duplicate_window() == 0.5 * DAY


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[duplicate_posts]\nwindow_days = -1\n", "window_days must not be negative, got -1.0"),
        ("[duplicate_posts]\nwindow_days = seven\n", "could not convert string to float: 'seven'"),
        ("[graceful_stop]\nenabled = perhaps\n", "Not a boolean: perhaps"),
        ("[member_recipients]\nbulk = sometimes\n", "Not a boolean: sometimes"),
    ],
)
def test_bad_settings_are_refused_by_value(plugin, tmp_path, text, error):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text)
    with pytest.raises(ValueError, match=error):
        plugin["settings"].load(str(cfg))


# --- the store --------------------------------------------------------------


def test_store_first_time_then_seen(plugin, tmp_path):
    store = plugin["seen"].SeenStore(str(tmp_path / "seen.sqlite"), 7 * DAY)
    assert store.first_time("team.lists.example.test", "<a@example>", now=1000.0) is True
    assert store.first_time("team.lists.example.test", "<a@example>", now=1001.0) is False
    # Another list, or another id: a first time.
    assert store.first_time("discuss.lists.example.test", "<a@example>", now=1002.0) is True
    assert store.first_time("team.lists.example.test", "<b@example>", now=1003.0) is True


def test_store_forgets_after_the_window(plugin, tmp_path):
    store = plugin["seen"].SeenStore(str(tmp_path / "seen.sqlite"), DAY)
    assert store.first_time("l", "<a@example>", now=0.0)
    assert not store.first_time("l", "<a@example>", now=DAY - 1)
    assert store.first_time("l", "<a@example>", now=2 * DAY + 1)


def test_store_ids_differ_by_case_but_not_by_folding(plugin, tmp_path):
    store = plugin["seen"].SeenStore(str(tmp_path / "seen.sqlite"), DAY)
    assert store.first_time("l", "<Part@Example>", now=1.0)
    assert store.first_time("l", "<part@example>", now=2.0)
    assert not store.first_time("l", " <Part@Example>\r\n ", now=3.0)


def test_store_is_safe_for_concurrent_writers(plugin, tmp_path):
    path = str(tmp_path / "seen.sqlite")
    results: list[bool] = []

    def worker():
        store = plugin["seen"].SeenStore(path, DAY)
        results.append(store.first_time("l", "<race@example>", now=5.0))

    threads = [threading.Thread(target=worker) for _index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


# --- the handler --------------------------------------------------------------


def test_handler_passes_the_first_copy_and_marks_it(handler, plugin):
    msgdata: dict = {}
    handler.process(MailingList("team.lists.example.test"), message("<m1@example>"), msgdata)
    assert msgdata[plugin["duplicates"].MARK] is True


def test_handler_discards_a_second_copy_by_name(handler):
    mlist = MailingList("team.lists.example.test")
    handler.process(mlist, message("<m2@example>"), {})
    with pytest.raises(Discard) as raised:
        handler.process(mlist, message("<m2@example>"), {})
    assert raised.value.message == "duplicate of an accepted post (<m2@example>)"


def test_handler_lets_a_requeued_entry_through(handler):
    """`mailman unshunt` requeues the same entry, metadata and all: not a duplicate."""
    mlist = MailingList("team.lists.example.test")
    msgdata: dict = {}
    handler.process(mlist, message("<m3@example>"), msgdata)
    handler.process(mlist, message("<m3@example>"), msgdata)


def test_handler_lets_a_recovered_backup_through_but_not_a_resent_copy(handler):
    """The node died in the middle of the pipeline: Mailman recovers the runner's backup file,
    the metadata as LMTP queued it (no mark, the same received_time) - the same delivery, let
    through. A copy sent again over SMTP was received at another time - discarded."""
    mlist = MailingList("team.lists.example.test")
    received = datetime.datetime(2026, 12, 5, 14, 0, 1, 123456)
    handler.process(mlist, message("<m5@example>"), {"received_time": received})
    handler.process(mlist, message("<m5@example>"), {"received_time": received})
    with pytest.raises(Discard):
        handler.process(mlist, message("<m5@example>"), {"received_time": received + datetime.timedelta(seconds=3)})


def test_store_keeps_the_queue_entry_and_reads_an_older_file(plugin, tmp_path):
    path = tmp_path / "seen.sqlite"
    with sqlite3.connect(path) as old:  # the table before the token column
        old.execute("CREATE TABLE seen (list_id TEXT NOT NULL, message_id TEXT NOT NULL, seen_at REAL NOT NULL, "
                    "PRIMARY KEY (list_id, message_id))")  # fmt: skip
        old.execute("INSERT INTO seen VALUES ('l', '<old@example>', 1.0)")
    store = plugin["seen"].SeenStore(str(path), DAY)
    assert store.first_time("l", "<old@example>", now=2.0, entry="t1") is False
    assert store.first_time("l", "<new@example>", now=3.0, entry="t1") is True
    assert store.first_time("l", "<new@example>", now=4.0, entry="t1") is True
    assert store.first_time("l", "<new@example>", now=5.0, entry="t2") is False
    assert store.first_time("l", "<new@example>", now=6.0) is False


def test_handler_ignores_posts_without_message_id(handler):
    mlist = MailingList("team.lists.example.test")
    handler.process(mlist, message(None), {})
    handler.process(mlist, message(None), {})


def test_handler_off_with_a_zero_window(handler, plugin, tmp_path):
    cfg = tmp_path / "off.cfg"
    cfg.write_text("[duplicate_posts]\nwindow_days = 0\n")
    plugin["settings"].load(str(cfg))
    mlist = MailingList("team.lists.example.test")
    handler.process(mlist, message("<m4@example>"), {})
    handler.process(mlist, message("<m4@example>"), {})
    assert not (tmp_path / plugin["duplicates"].STORE_FILE).exists()


def test_handler_keeps_its_store_in_mailmans_data_directory(handler, plugin, tmp_path):
    handler.process(MailingList("l"), message("<m5@example>"), {})
    assert (tmp_path / plugin["duplicates"].STORE_FILE).is_file()


def test_the_handler_module_exports_only_the_handler(plugin):
    assert plugin["duplicates"].__all__ == ["DuplicatePosts"]
    assert plugin["duplicates"].DuplicatePosts.name == "listserv-duplicate-posts"
