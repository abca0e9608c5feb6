"""Periods: calendar months in the organisation's time zone, named `YYYY-MM`."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from server.errors import FieldError, ProblemError

# Ends `$(?!\n)` like every pattern here (server/wire.py): "2026-10\n" is not a period.
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$(?!\n)"


def check_period(period: str) -> str:
    """The period if it is `YYYY-MM`; 400 `invalid_period` otherwise."""
    if not re.fullmatch(PERIOD_PATTERN, period):
        raise ProblemError(400, "invalid_period", f"{period!r} is not a period: write it as YYYY-MM, e.g. 2026-10")
    return period


def check_period_held(period: str) -> str:
    """The period if it is `YYYY-MM` of a month the server can hold visits of (2000-01..2099-12); 400 otherwise.

    The console's filters ask this rather than `check_period`: a page of year 9999 would be a quietly
    empty page, not an answer.
    """
    check_period(period)
    if not FIRST_CLOSABLE <= period <= LAST_CLOSABLE:
        raise ProblemError(
            400,
            "invalid_period",
            f"{period} is outside the months the server holds: from {FIRST_CLOSABLE} to {LAST_CLOSABLE}",
            [FieldError(path="period", message=f"between {FIRST_CLOSABLE} and {LAST_CLOSABLE}")],
        )
    return period


def current_period(tz: ZoneInfo, now: dt.datetime) -> str:
    """The month `now` falls in, in the organisation's zone."""
    return f"{now.astimezone(tz):%Y-%m}"


def periods_back(period: str, count: int) -> list[str]:
    """`count` months ending with `period`, oldest first."""
    out = [period]
    while len(out) < count:
        out.append(previous_period(out[-1]))
    return list(reversed(out))


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


# The months that can be closed: a snapshot is HR's record of a month that has happened, and the
# server takes no visit before 2000 or after 2100 (API.md, robustness rules: times).
FIRST_CLOSABLE, LAST_CLOSABLE = "2000-01", "2099-12"


def check_closable(period: str, tz: ZoneInfo, now: dt.datetime) -> str:
    """The period if it may be closed at `now`: 400 outside 2000..2100, 409 `period_not_ended` before its end.

    A month ends at midnight of the next month's first day in the organisation's time zone, so HR in
    Almaty may close October at 00:00 on 1 November local time, five hours before it ends in UTC.
    """
    check_period(period)
    if not FIRST_CLOSABLE <= period <= LAST_CLOSABLE:
        raise ProblemError(
            400,
            "period_out_of_range",
            f"{period} cannot be closed: only months from {FIRST_CLOSABLE} to {LAST_CLOSABLE} can",
            [FieldError(path="period", message=f"between {FIRST_CLOSABLE} and {LAST_CLOSABLE}")],
        )
    if now < period_end(period, tz):
        raise ProblemError(
            409,
            "period_not_ended",
            f"{period} has not ended yet in {tz.key}: it can be closed from {next_period(period)}-01 00:00 local time",
        )
    return period


def period_end(period: str, tz: ZoneInfo) -> dt.datetime:
    """The first instant after the period, in the organisation's time zone (a period of 2000..2099)."""
    year, month = _year_month(next_period(period))
    return dt.datetime(year, month, 1, tzinfo=tz)
