"""HR's month end: open and closed months, the motivation preview, closing, the snapshot's downloads (CONSOLE.md 7).

Everything goes through the API's own functions: the rows are `server.store.periods.figures` (what
`GET /v1/motivation` answers), what blocks a close is `awaiting_review` (the check the close makes),
the close is `server.closing.close_period` (what `POST /v1/periods/{p}/close` runs), the files are
the API's `table_file`, and a closed month's later changes are `pending_adjustments` (what
`GET /v1/periods/{p}/adjustments` answers). The close asks the user to type the month: a month
typed wrong closes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
import unicodedata
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from reports import i18n
from reports.motivation import Adjustment, MotivationRow
from server.clock import utc_now
from server.closing import close_period
from server.console.web import console, form_field, language_of, page, redirect, viewer_of
from server.db import Database, snapshot
from server.errors import ProblemError
from server.periods import PERIOD_PATTERN, check_closable, check_period, current_period, next_period, previous_period
from server.routes.periods import snapshot_about, table_file
from server.settings import Settings
from server.store import periods as store
from server.store.appeals import open_appeals
from server.store.periods import CarriedAdjustment, ClosedSummary

READERS = console("hr", "admin", "quality_lead")
CLOSERS = console("hr", "admin")
PAGE_SIZE = 100
MAX_PAGE = 100_000
MAX_TYPED = 40  # a typed month longer than this is echoed cut
# Why a close was refused (the `error` of the page's query string) and what a close did (`done`).
ERRORS = (
    "mismatch",
    "changed",
    "unreviewed_submissions",
    "open_appeals",
    "period_not_ended",
    "period_out_of_range",
    "no_policy",
)
DONE = ("closed", "period_closed")
LANG_OF_FILE = ("ru", "kk", "en")


# --- reads -----------------------------------------------------------------------------------------


class MonthList(msgspec.Struct, kw_only=True, frozen=True):
    closed: list[ClosedSummary]
    with_visits: list[str]
    awaiting: dict[str, dict[str, int]]


def month_list(c: sqlite3.Connection) -> MonthList:
    """The closed months, the months any visit falls in, and what awaits review per month, in one snapshot."""
    with snapshot(c):
        return MonthList(
            closed=store.closed_periods(c),
            with_visits=store.periods_with_visits(c),
            awaiting=store.awaiting_counts(c),
        )


class Screen(msgspec.Struct, kw_only=True, frozen=True):
    figures: store.Figures
    waiting: dict[str, int]  # status -> visits awaiting review (open months)
    open_appeals: int  # appeals on visits of the month still open (open months): a close needs force
    pending: list[Adjustment]  # changes after the close, not carried yet (closed months)
    carried_later: list[CarriedAdjustment]  # changes after the close that later snapshots carry


def period_screen(c: sqlite3.Connection, period: str) -> Screen:
    """A month's rows (the API's motivation), and what blocks its close or what changed after it, in one snapshot."""
    with snapshot(c):
        figures = store.figures(c, period)
        waiting: dict[str, int] = {}
        appeals = 0
        pending: list[Adjustment] = []
        carried: list[CarriedAdjustment] = []
        if figures.snapshot is None:
            for row in store.awaiting_review(c, period):
                waiting[row["status"]] = waiting.get(row["status"], 0) + 1
            appeals = len(open_appeals(c, period))
        else:
            pending, carried = store.pending_adjustments(c, period)
        return Screen(figures=figures, waiting=waiting, open_appeals=appeals, pending=pending, carried_later=carried)


# --- the list of months -----------------------------------------------------------------------------


def closable_reason(period: str, tz: ZoneInfo, now: dt.datetime) -> str | None:
    """None when the month may be closed now; else the problem code `check_closable` gives."""
    try:
        check_closable(period, tz, now)
    except ProblemError as problem:
        return problem.code
    return None


@get("/periods", opt=READERS, include_in_schema=False)
async def periods(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template | Redirect:
    """Open months (this one, the last one, any with visits not closed yet) and closed months; `?period=`
    (the "open a month" form) goes to that month's page."""
    asked = typed_month(request.query_params.get("period", ""))[:MAX_TYPED]
    if asked and re.fullmatch(PERIOD_PATTERN, asked):
        return redirect(f"/periods/{asked}")
    tz, now = ZoneInfo(settings.timezone), utc_now()
    months = await db.read(month_list)
    closed = {m.period for m in months.closed}
    this = current_period(tz, now)
    candidates = {this, previous_period(this), *months.with_visits, *months.awaiting}
    open_months = [
        {
            "period": p,
            "current": p == this,
            "reason": closable_reason(p, tz, now),
            "awaiting": sum(months.awaiting.get(p, {}).values()),
            "closable_from": next_period(p) + "-01",
        }
        for p in sorted(candidates - closed, reverse=True)
    ]
    lang = language_of(request)
    return page(
        request,
        "periods.html",
        open_months=open_months,
        closed=months.closed,
        month=lambda p: i18n.period_name(p, lang),
        day=lambda d: i18n.date(d, lang),
        asked=asked,
        suggested=previous_period(previous_period(this)),
    )


# --- one month ---------------------------------------------------------------------------------------


def _page_number(request: Request) -> int:
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 7 and 0 < int(raw) <= MAX_PAGE else 1


def _flags(row: MotivationRow, lang: str) -> list[tuple[str, str]]:
    return [(f, i18n.flag(f, lang)) for f in row.flags]


def rows_digest(rows: list[MotivationRow]) -> str:
    """What the close form was shown: the SHA-256 of the preview's rows (the close is bound to it)."""
    return hashlib.sha256(msgspec.json.encode(rows)).hexdigest()


@get("/periods/{period:str}", opt=READERS, include_in_schema=False)
async def period_page(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], period: FromPath[str]
) -> Template:
    """An open month's preview, what blocks its close and the close form; a closed month's snapshot and files."""
    check_period(period)
    tz, now = ZoneInfo(settings.timezone), utc_now()
    screen = await db.read(period_screen, period)
    lang = language_of(request)
    figures = screen.figures
    rows = figures.rows
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    number = min(_page_number(request), pages)
    shown = rows[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    reason = closable_reason(period, tz, now) if figures.snapshot is None else None
    query = request.query_params
    error = query.get("error") if query.get("error") in ERRORS else None
    done = query.get("done") if query.get("done") in DONE else None
    typed = (query.get("typed") or "")[:MAX_TYPED]
    waiting_total = sum(screen.waiting.values())
    flag_counts: dict[str, int] = {}
    for row in rows:
        for f in row.flags:
            flag_counts[f] = flag_counts.get(f, 0) + 1
    return page(
        request,
        "period.html",
        period=period,
        period_name=i18n.period_name(period, lang),
        figures=figures,
        snap=figures.snapshot,
        rows=[(row, _flags(row, lang)) for row in shown],
        total=len(rows),
        first=(number - 1) * PAGE_SIZE + 1,
        last=(number - 1) * PAGE_SIZE + len(shown),
        page_number=number,
        pages=pages,
        prev_url=_url(period, page=number - 1) if number > 1 else None,
        next_url=_url(period, page=number + 1) if number < pages else None,
        flag_counts=[(f, i18n.flag(f, lang), n) for f, n in sorted(flag_counts.items())],
        waiting=[
            (status, screen.waiting[status], "/review?" + urlencode({"period": period, "status": status}))
            for status in store.AWAITING_REVIEW
            if screen.waiting.get(status)
        ],
        waiting_total=waiting_total,
        open_appeals=screen.open_appeals,
        reason=reason,
        closable_from=i18n.date(next_period(period) + "-01", lang) if reason == "period_not_ended" else None,
        seen=rows_digest(rows),
        can_close=viewer_of(request).role in CLOSERS["console"],
        error=error,
        done=done,
        typed=typed,
        pending=[_adjustment(a, None) for a in screen.pending],
        carried_later=[_adjustment(c.adjustment, c.carried_by) for c in screen.carried_later],
        carried=[_adjustment(a, None) for a in (figures.snapshot.carried if figures.snapshot else [])],
        files=_files(period, lang),
        month_name=lambda p: i18n.period_name(p, lang),
        signed=lambda x: i18n.signed(x, lang),
    )


def _url(period: str, **query: object) -> str:
    given = {k: v for k, v in query.items() if v is not None}
    return f"/periods/{period}" + (f"?{urlencode(given)}" if given else "")


def _adjustment(a: Adjustment, carried_by: str | None) -> dict[str, Any]:
    row = a.after or a.before
    return {
        "period": a.period,
        "staff_id": a.staff_id,
        "name": row.name if row else a.staff_id,
        "unit": row.unit_name if row else "",
        "before": a.before.coefficient if a.before else None,
        "after": a.after.coefficient if a.after else None,
        "score_before": a.before.score if a.before else None,
        "score_after": a.after.score if a.after else None,
        "change": a.coefficient_change,
        "carried_by": carried_by,
    }


def _files(period: str, lang: str) -> list[tuple[str, str]]:
    """The downloads: (what, url) in the page's language."""
    return [
        ("csv_comma", f"/periods/{period}/export.csv?" + urlencode({"sep": ",", "lang": lang})),
        ("csv_semicolon", f"/periods/{period}/export.csv?" + urlencode({"sep": ";", "lang": lang})),
        ("xlsx", f"/periods/{period}/export.xlsx?" + urlencode({"lang": lang})),
    ]


# --- closing -----------------------------------------------------------------------------------------


def typed_month(text: str) -> str:
    """The month as typed, compared as text: full-width digits read as digits, spaces around it ignored."""
    return unicodedata.normalize("NFKC", text).strip()


@post("/periods/{period:str}/close", opt=CLOSERS, include_in_schema=False)
async def close(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], period: FromPath[str]
) -> Redirect:
    """Close the month through the API's close, once the user has typed the month's name (`YYYY-MM`)."""
    check_period(period)
    typed = typed_month(await form_field(request, "confirm"))
    if typed != period:
        return redirect(_url(period, error="mismatch", typed=typed[:MAX_TYPED] or None) + "#close")
    force = await form_field(request, "force") == "on"
    # Bound to the rows the page showed, as a review decision is bound to the heads it saw: a visit
    # approved meanwhile changes the rows, and HR looks again rather than freezing figures unseen.
    tz, now = ZoneInfo(settings.timezone), utc_now()
    figures = await db.read(store.figures, period)
    unseen = await form_field(request, "seen") != rows_digest(figures.rows)
    if figures.snapshot is None and closable_reason(period, tz, now) is None and unseen:
        return redirect(_url(period, error="changed") + "#close")
    try:
        await close_period(db, period, viewer_of(request).name, force, tz, now)
    except ProblemError as problem:
        if problem.code == "period_closed":
            return redirect(_url(period, done="period_closed"))
        if problem.code in ERRORS:
            return redirect(_url(period, error=problem.code) + "#close")
        raise
    return redirect(_url(period, done="closed"))


# --- files ---------------------------------------------------------------------------------------------


def _file_lang(request: Request) -> str | None:
    """The language of a file for people (`?lang=`); `?lang=` empty: the JSON field names, as the API's."""
    asked = request.query_params.get("lang")
    if asked is None:
        return language_of(request)
    return asked if asked in LANG_OF_FILE else None


@get("/periods/{period:str}/export.csv", opt=READERS, include_in_schema=False)
async def export_csv(request: Request, db: NamedDependency[Database], period: FromPath[str]) -> Response:
    """The month's rows as CSV (`sep` `,` or `;`), as the API's `format=csv` writes them."""
    check_period(period)
    sep = request.query_params.get("sep", ",")
    if sep not in (",", ";"):
        raise ProblemError(400, "invalid_request", "sep is , or ;")
    figures = await db.read(store.figures, period)
    name = f"snapshot-{period}" if figures.snapshot is not None else f"motivation-{period}"
    return table_file("csv", figures.rows, name, sep, _file_lang(request))


@get("/periods/{period:str}/export.xlsx", opt=READERS, include_in_schema=False)
async def export_xlsx(request: Request, db: NamedDependency[Database], period: FromPath[str]) -> Response:
    """The month's rows as XLSX; a closed month's workbook names its snapshot on a second sheet."""
    check_period(period)
    figures = await db.read(store.figures, period)
    lang = _file_lang(request)
    snap = figures.snapshot
    about = snapshot_about(snap, lang) if snap is not None and lang is not None else None
    name = f"snapshot-{period}" if snap is not None else f"motivation-{period}"
    return table_file("xlsx", figures.rows, name, lang=lang, about=about)


ROUTES = [periods, period_page, close, export_csv, export_xlsx]
