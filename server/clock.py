"""The server's clock and the one format it writes times in (UTC, milliseconds, `Z`)."""

from __future__ import annotations

import datetime as dt

# The times a visit, a push or a period may carry (API.md, robustness rules): a device clock
# outside them is wrong, and a year 1 or 9999 cannot always be converted to UTC at all.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
RANGE_TEXT = "2000-01-01T00:00:00Z..2100-01-01T00:00:00Z"


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def in_range(moment: dt.datetime) -> bool:
    """Whether an aware time lies in EARLIEST (inclusive) .. LATEST (exclusive).

    Comparing aware times never converts them, so a year-9999 time with a negative offset (which
    `astimezone` cannot represent in UTC) is simply out of range, never an OverflowError.
    """
    return EARLIEST <= moment < LATEST


def iso_utc(moment: dt.datetime) -> str:
    """An aware time as `2026-10-14T05:32:05.123Z` (a 4-digit year always; call `in_range` first)."""
    # `isoformat` pads the year to four digits, where strftime("%Y") writes year 1 as `1`; it
    # truncates to milliseconds as the format did before.
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def now_iso() -> str:
    """The current time as `iso_utc` writes it."""
    return iso_utc(utc_now())
