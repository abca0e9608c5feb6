"""Scorecards: render a draft, publish it (immutable from then on), list, download the PDF."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, SkipValidation

from reports.scorecard_data import input_sha256
from server.auth import principal_of, roles
from server.db import Database
from server.errors import ProblemError, not_found, problems
from server.periods import PERIOD_PATTERN, check_period
from server.routes.params import CursorParam, LimitParam
from server.scorecards import Request as ScorecardRequest
from server.scorecards import gather
from server.settings import Settings
from server.store import scorecards as store
from server.wire import Body, Slug, Wire, strict_body
from server.workers import RenderWorkers


class ScorecardIn(Body):
    """Which scorecard to render: a unit's, a staff member's, or the network of one unit kind."""

    scope: Literal["unit", "staff", "network"]
    period: Annotated[str, msgspec.Meta(pattern=PERIOD_PATTERN)]
    lang: Literal["ru", "kk", "en"] = "ru"
    unit_id: Slug | None = None
    staff_id: Slug | None = None
    unit_kind: Literal["branch", "contact_centre", "field_technician"] | None = None


class Scorecard(Wire):
    id: str
    scope: str
    unit_id: str | None
    staff_id: str | None
    unit_kind: str | None
    period: str
    lang: str
    status: str
    sha256: str
    input_sha256: str
    size: int
    pdf: str
    created_at: str
    published_at: str | None


class ScorecardPage(Wire):
    items: list[Scorecard]
    next_cursor: str | None


def _out(row) -> Scorecard:
    return Scorecard(
        id=row["scorecard_id"],
        scope=row["scope"],
        unit_id=row["unit_id"],
        staff_id=row["staff_id"],
        unit_kind=row["unit_kind"],
        period=row["period"],
        lang=row["lang"],
        status=row["status"],
        sha256=row["sha256"],
        input_sha256=row["input_sha256"],
        size=row["size"],
        pdf=f"/v1/scorecards/{row['scorecard_id']}/pdf",
        created_at=row["created_at"],
        published_at=row["published_at"],
    )


async def _visible(request: Request, db: Database, scorecard_id: str):
    """The scorecard if the caller may see it: HR reads published ones only (404 for drafts)."""
    row = await db.read(store.get, scorecard_id)
    if row is None or (principal_of(request).role == "hr" and row["status"] != "published"):
        raise not_found("scorecard")
    return row


@post(
    "/v1/scorecards",
    opt=roles("admin", "quality_lead"),
    responses=problems(400, 401, 403, 404, 409),
    tags=["scorecards"],
)
async def create_scorecard(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    render_workers: NamedDependency[RenderWorkers],
    data: JSONBody[SkipValidation[ScorecardIn]],
) -> Scorecard:
    """Render a draft scorecard; the same data and language give the same bytes (and the same draft)."""
    body = strict_body(data, ScorecardIn)
    check_period(body.period)
    subject = msgspec.structs.asdict(body)
    if body.scope == "unit" and not body.unit_id:
        raise ProblemError(400, "invalid_request", "a unit scorecard needs unit_id")
    if body.scope == "staff" and not body.staff_id:
        raise ProblemError(400, "invalid_request", "a staff scorecard needs staff_id")
    if body.scope == "network" and not body.unit_kind:
        raise ProblemError(400, "invalid_request", "a network scorecard needs unit_kind")
    for key, scope in (("unit_id", "unit"), ("staff_id", "staff"), ("unit_kind", "network")):
        if body.scope != scope:
            subject[key] = None  # only the subject of the scope names the scorecard
    req = ScorecardRequest(**{k: v for k, v in subject.items()})
    scorecard_data = await gather(db, settings.data_dir, req, ZoneInfo(settings.timezone))
    pdf = await render_workers.render(scorecard_data)
    scorecard_id = await db.write(
        store.save_draft,
        subject,
        pdf,
        hashlib.sha256(pdf).hexdigest(),
        input_sha256(scorecard_data),
        principal_of(request).name,
    )
    return _out(await db.read(store.get, scorecard_id))


@get(
    "/v1/scorecards/{scorecard_id:str}",
    opt=roles("admin", "quality_lead", "hr"),
    responses=problems(401, 403, 404),
    tags=["scorecards"],
)
async def get_scorecard(request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]) -> Scorecard:
    """A scorecard's metadata: status, hashes, where its PDF is."""
    return _out(await _visible(request, db, scorecard_id))


@get(
    "/v1/scorecards/{scorecard_id:str}/pdf",
    opt=roles("admin", "quality_lead", "hr"),
    responses=problems(401, 403, 404),
    tags=["scorecards"],
    media_type="application/pdf",
)
async def scorecard_pdf(
    request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]
) -> Response[bytes]:
    """The PDF, exactly the bytes its sha256 names."""
    row = await _visible(request, db, scorecard_id)
    pdf = await db.read(store.pdf_of, scorecard_id)
    name = f"scorecard-{row['period']}-{row['unit_id'] or row['staff_id'] or row['unit_kind']}-{row['lang']}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "X-Content-SHA256": row["sha256"]},
    )


@post(
    "/v1/scorecards/{scorecard_id:str}/publish",
    opt=roles("admin", "quality_lead"),
    status_code=200,
    responses=problems(401, 403, 404),
    tags=["scorecards"],
)
async def publish_scorecard(request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]) -> Scorecard:
    """Publish: from now on the bytes and hash never change (later data makes a new draft)."""
    await db.write(store.publish, scorecard_id, principal_of(request).name)
    return _out(await db.read(store.get, scorecard_id))


@get("/v1/scorecards", opt=roles("admin", "quality_lead", "hr"), responses=problems(400, 401, 403), tags=["scorecards"])
async def list_scorecards(
    request: Request,
    db: NamedDependency[Database],
    period: Annotated[str | None, QueryParameter(pattern=PERIOD_PATTERN)] = None,
    unit_id: FromQuery[str | None] = None,
    status: FromQuery[Literal["draft", "published"] | None] = None,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> ScorecardPage:
    """Scorecards, oldest first; HR sees published ones only."""
    if principal_of(request).role == "hr":
        status = "published"
    rows = await db.read(store.list_rows, period, unit_id, status, cursor or "", limit)
    last = rows[-1] if len(rows) == limit else None
    return ScorecardPage(
        items=[_out(r) for r in rows], next_cursor=f"{last['created_at']}|{last['scorecard_id']}" if last else None
    )


ROUTES = [create_scorecard, get_scorecard, scorecard_pdf, publish_scorecard, list_scorecards]
