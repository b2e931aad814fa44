# Copyright: (c) 2026, listserv.mailstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plugin's settings, from the file its mailman.cfg section names
(`configuration:`), written by the role listserv.mailstack.mailman:

    [graceful_stop]
    enabled = yes
    [duplicate_posts]
    window_days = 7
    [member_recipients]
    bulk = yes

Without a file the defaults below apply.
"""

from __future__ import annotations

import configparser

DEFAULTS = {"graceful_stop": True, "duplicate_window_days": 7.0, "bulk_recipients": True}
_values = dict(DEFAULTS)


def load(path: str | None) -> dict:
    """Read the settings file (a missing file keeps the defaults); returns the values in force."""
    values = dict(DEFAULTS)
    if path:
        parser = configparser.ConfigParser()
        if parser.read(path):
            values["graceful_stop"] = parser.getboolean("graceful_stop", "enabled", fallback=values["graceful_stop"])
            days = parser.getfloat("duplicate_posts", "window_days", fallback=values["duplicate_window_days"])
            if days < 0:
                raise ValueError(f"{path}: [duplicate_posts] window_days must not be negative, got {days}")
            values["duplicate_window_days"] = days
            values["bulk_recipients"] = parser.getboolean(
                "member_recipients", "bulk", fallback=values["bulk_recipients"]
            )
    _values.clear()
    _values.update(values)
    return dict(values)


def graceful_stop() -> bool:
    return bool(_values["graceful_stop"])


def bulk_recipients() -> bool:
    return bool(_values["bulk_recipients"])


def duplicate_window() -> float:
    """The duplicate window in seconds; 0 turns the check off."""
    return float(_values["duplicate_window_days"]) * 86400.0
