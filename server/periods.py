"""Periods: calendar months in the organisation's time zone, named `YYYY-MM`."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from server.errors import ProblemError

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def check_period(period: str) -> str:
    """The period if it is `YYYY-MM`; 400 `invalid_period` otherwise."""
    if not re.fullmatch(PERIOD_PATTERN, period):
        raise ProblemError(400, "invalid_period", f"{period!r} is not a period: write it as YYYY-MM, e.g. 2026-10")
    return period


def _year_month(period: str) -> tuple[int, int]:
    # From the end: the month before 0000-01 (a trend reaching back from year 0) is -001-12.
    return int(period[:-3]), int(period[-2:])


def previous_period(period: str) -> str:
    """The month before."""
    year, month = _year_month(period)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def next_period(period: str) -> str:
    year, month = _year_month(period)
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


def current_period(tz: ZoneInfo, now: dt.datetime | None = None) -> str:
    """The period the organisation is in now."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(tz).strftime("%Y-%m")
