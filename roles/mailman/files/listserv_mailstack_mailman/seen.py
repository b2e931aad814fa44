# Copyright: (c) 2026, listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Message-IDs each list accepted recently, in an SQLite file of its own.

The file lives in Mailman's data directory, so that in a cluster the node
that takes over sees what the other node accepted. Entries older than the
window are dropped as new ones come.

Each record also keeps the identity of the queue entry that brought it (when
Mailman's LMTP server received it). The same queue entry processed again -
Mailman recovers a runner's backup file after the node died in the middle of
the pipeline - is let through: it is the same delivery, not a copy sent again.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    list_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seen_at REAL NOT NULL,
    token TEXT,
    PRIMARY KEY (list_id, message_id)
);
CREATE INDEX IF NOT EXISTS seen_at ON seen (seen_at);
"""


def normalise(message_id: str) -> str:
    """A Message-ID as a key: surrounding space and folding removed (the id itself is case-sensitive)."""
    return "".join(message_id.split())


class SeenStore:
    """Which (list, Message-ID) pairs were accepted within the last `window` seconds."""

    def __init__(self, path: str, window: float):
        self.path = path
        self.window = window

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.executescript(SCHEMA)
        # A file from before the token column: add it (old entries have none).
        columns = {row[1] for row in conn.execute("PRAGMA table_info(seen)")}
        if "token" not in columns:
            conn.execute("ALTER TABLE seen ADD COLUMN token TEXT")
        return conn

    def first_time(self, list_id: str, message_id: str, now: float | None = None, entry: str | None = None) -> bool:
        """Record the pair; True if it was not seen within the window, or only by the same queue entry
        (`entry`), so the post goes on."""
        now = time.time() if now is None else now
        key = normalise(message_id)
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("DELETE FROM seen WHERE seen_at < ?", (now - self.window,))
                row = conn.execute(
                    "SELECT seen_at, token FROM seen WHERE list_id = ? AND message_id = ?", (list_id, key)
                ).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO seen (list_id, message_id, seen_at, token) VALUES (?, ?, ?, ?)",
                        (list_id, key, now, entry),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return row is None or (entry is not None and row[1] == entry)
