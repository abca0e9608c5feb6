"""Motivation figures for HR, closing a period, its frozen snapshot and later adjustments."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter, SkipValidation

from reports import i18n
from reports.motivation import Adjustment, MotivationRow
from reports.tables import to_csv, to_xlsx
from server import closing
from server.auth import principal_of, roles
from server.clock import utc_now
from server.db import Database
from server.errors import not_found, problems
from server.periods import PERIOD_PATTERN, check_period
from server.settings import Settings
from server.store import periods as store
from server.store.periods import CarriedAdjustment, PolicyRef, Snapshot
from server.wire import Body, Wire, strict_body

READERS = roles("admin", "quality_lead", "hr")
PeriodPath = Annotated[str, PathParameter(pattern=PERIOD_PATTERN, description="YYYY-MM")]
PeriodParam = Annotated[str, QueryParameter(pattern=PERIOD_PATTERN, description="YYYY-MM")]
Format = Literal["json", "csv", "xlsx"]
FormatParam = Annotated[
    Format | None, QueryParameter(description="json (default), csv or xlsx; or send Accept: text/csv")
]
SepParam = Annotated[
    Literal[",", ";"],
    QueryParameter(description="CSV separator; `;` also writes decimal commas (ru-KZ/kk-KZ spreadsheets)"),
]
Lang = Literal["ru", "kk", "en"]
LangParam = Annotated[
    Lang | None,
    QueryParameter(
        description="CSV and XLSX for people: the header row in this language (ru, kk or en) and the flags as"
        " words; a snapshot's workbook also names the snapshot (id, SHA-256, policy) on a second sheet"
        " `snapshot`. Without it the columns are the JSON field names and the files never change."
    ),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Motivation(Wire):
    """Per staff member: score, n, interval, coefficient (the rows HR pays on once the period is closed)."""

    period: str
    closed: bool
    snapshot_id: str | None
    policy: PolicyRef
    rows: list[MotivationRow]


class CloseIn(Body):
    """`force`: close even while submissions of the period await review or appeals on its visits are open
    (what is decided later becomes adjustments)."""

    force: bool = False


class Closed(Wire):
    period: str
    snapshot_id: str
    sha256: str
    rows: list[MotivationRow]
    policy: PolicyRef
    carried: list[Adjustment]


class Adjustments(Wire):
    period: str
    pending: list[Adjustment]
    carried: list[CarriedAdjustment]


def table_file(
    kind: Literal["csv", "xlsx"],
    rows: list[MotivationRow],
    name: str,
    sep: str = ",",
    lang: str | None = None,
    about: list[tuple[str, str]] | None = None,
) -> Response:
    """Motivation rows as a CSV or XLSX download (the API's files and the console's are these)."""
    if kind == "csv":
        return Response(
            to_csv(rows, MotivationRow, sep, lang),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return Response(
        to_xlsx(rows, MotivationRow, name, lang, about or ()),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


def snapshot_about(snapshot: Snapshot, lang: str) -> list[tuple[str, str]]:
    """What a closed period's workbook says of itself (the second sheet): the snapshot, its hash and policy."""
    return [
        ("period", snapshot.period),
        ("snapshot_id", snapshot.snapshot_id),
        ("sha256", snapshot.sha256),
        ("policy", f"{snapshot.policy.id}@{snapshot.policy.version}"),
        ("policy_sha256", snapshot.policy.sha256),
        ("closed_at", snapshot.closed_at),
        ("closed_by", snapshot.closed_by),
        ("forced", i18n.text("console.periods.forced." + ("yes" if snapshot.forced else "no"), lang)),
        ("rows", str(len(snapshot.rows))),
    ]


def _tabular(
    request: Request,
    fmt: str | None,
    sep: str,
    rows: list[MotivationRow],
    name: str,
    lang: str | None = None,
    snapshot: Snapshot | None = None,
) -> Response | None:
    """A CSV or XLSX answer when asked for (by `format` or `Accept`), else None."""
    accept = request.headers.get("accept", "")
    if fmt == "csv" or (fmt is None and "text/csv" in accept):
        return table_file("csv", rows, name, sep, lang)
    if fmt == "xlsx" or (fmt is None and XLSX in accept):
        about = snapshot_about(snapshot, lang) if snapshot is not None and lang is not None else None
        return table_file("xlsx", rows, name, sep, lang, about)
    return None


@get(
    "/v1/motivation",
    opt=READERS | {"also_as": ["text/csv", XLSX]},
    responses=problems(400, 401, 403, 409),
    tags=["motivation"],
)
async def motivation(
    request: Request,
    db: NamedDependency[Database],
    period: PeriodParam,
    format: FormatParam = None,
    sep: SepParam = ",",
    lang: LangParam = None,
) -> Motivation:
    """The motivation rows of a period: frozen once it is closed, provisional (latest policy) while open."""
    figures = await db.read(store.figures, check_period(period))
    snapshot = figures.snapshot
    result = Motivation(
        period=period,
        closed=snapshot is not None,
        snapshot_id=snapshot.snapshot_id if snapshot is not None else None,
        policy=figures.policy,
        rows=figures.rows,
    )
    return _tabular(request, format, sep, result.rows, f"motivation-{period}", lang, snapshot) or result


@post(
    "/v1/periods/{period:str}/close",
    opt=roles("admin", "hr") | {"optional_body": True},
    responses=problems(400, 401, 403, 409),
    tags=["periods"],
)
async def close_period(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    period: PeriodPath,
    data: JSONBody[SkipValidation[CloseIn | None]] = None,
) -> Closed:
    """Freeze the period's motivation snapshot; 409 `unreviewed_submissions` while some await review,
    409 `open_appeals` while appeals on its visits are open (unless `force`).

    Only a month that has ended in the organisation's time zone, between 2000-01 and 2099-12, can be
    closed (409 `period_not_ended`, 400 `period_out_of_range`).
    """
    body = strict_body(data if data is not None else {}, CloseIn)
    tz = ZoneInfo(settings.timezone)
    snapshot = await closing.close_period(db, period, principal_of(request).name, body.force, tz, utc_now())
    return Closed(
        period=snapshot.period,
        snapshot_id=snapshot.snapshot_id,
        sha256=snapshot.sha256,
        rows=snapshot.rows,
        policy=snapshot.policy,
        carried=snapshot.carried,
    )


@get(
    "/v1/periods/{period:str}/snapshot",
    opt=READERS | {"also_as": ["text/csv", XLSX]},
    responses=problems(400, 401, 403, 404),
    tags=["periods"],
)
async def period_snapshot(
    request: Request,
    db: NamedDependency[Database],
    period: PeriodPath,
    format: FormatParam = None,
    sep: SepParam = ",",
    lang: LangParam = None,
) -> Snapshot:
    """The closed period's snapshot, exactly as it was frozen (also as CSV or XLSX)."""
    row = await db.read(store.snapshot_row, check_period(period))
    if row is None:
        raise not_found("closed period")
    snapshot = store.snapshot_of(row)
    return _tabular(request, format, sep, snapshot.rows, f"snapshot-{period}", lang, snapshot) or snapshot


@get("/v1/periods/{period:str}/adjustments", opt=READERS, responses=problems(400, 401, 403, 404), tags=["periods"])
async def period_adjustments(db: NamedDependency[Database], period: PeriodPath) -> Adjustments:
    """What changed in a closed period after its close: pending ones, and those a later snapshot carried."""
    if await db.read(store.snapshot_row, check_period(period)) is None:
        raise not_found("closed period")
    pending, carried = await db.read(store.pending_adjustments, period)
    return Adjustments(period=period, pending=pending, carried=carried)


ROUTES = [motivation, close_period, period_snapshot, period_adjustments]
