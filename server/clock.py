"""The server's clock and the one format it writes times in (UTC, milliseconds, `Z`)."""

from __future__ import annotations

import datetime as dt


def utc_now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def iso_utc(moment: dt.datetime) -> str:
    """An aware time as `2026-10-14T05:32:05.123Z`."""
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def now_iso() -> str:
    """The current time as `iso_utc` writes it."""
    return iso_utc(utc_now())
