"""Scorecards: render a draft, publish it (immutable from then on), list, download the PDF."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, SkipValidation

from server.auth import principal_of, roles
from server.db import Database
from server.errors import not_found, problems
from server.periods import PERIOD_PATTERN
from server.routes.params import CursorParam, LimitParam
from server.scorecards import listed_status, make_draft, pdf_name, visible_to
from server.settings import Settings
from server.store import scorecards as store
from server.store import users as users_store
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
    """The scorecard if the caller may see it: HR reads published ones only (404 for drafts); a unit
    manager the published unit scorecards of their own units (404 for anything else)."""
    principal = principal_of(request)
    row = await db.read(store.get, scorecard_id)
    if principal.role == "unit_manager":
        units = await db.read(users_store.units_of, principal.name)
        visible = (
            row is not None and row["status"] == "published" and row["scope"] == "unit" and row["unit_id"] in units
        )
    else:
        visible = visible_to(principal.role, row)
    if not visible:
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
    subject = msgspec.structs.asdict(body)
    scorecard_id = await make_draft(db, settings, render_workers, subject, principal_of(request).name)
    return _out(await db.read(store.get, scorecard_id))


@get(
    "/v1/scorecards/{scorecard_id:str}",
    opt=roles("admin", "quality_lead", "hr", "unit_manager"),
    responses=problems(401, 403, 404),
    tags=["scorecards"],
)
async def get_scorecard(request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]) -> Scorecard:
    """A scorecard's metadata: status, hashes, where its PDF is."""
    return _out(await _visible(request, db, scorecard_id))


@get(
    "/v1/scorecards/{scorecard_id:str}/pdf",
    opt=roles("admin", "quality_lead", "hr", "unit_manager"),
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
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf_name(row)}"', "X-Content-SHA256": row["sha256"]},
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


@get(
    "/v1/scorecards",
    opt=roles("admin", "quality_lead", "hr", "unit_manager"),
    responses=problems(400, 401, 403),
    tags=["scorecards"],
)
async def list_scorecards(
    request: Request,
    db: NamedDependency[Database],
    period: Annotated[str | None, QueryParameter(pattern=PERIOD_PATTERN)] = None,
    unit_id: FromQuery[str | None] = None,
    status: FromQuery[Literal["draft", "published"] | None] = None,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> ScorecardPage:
    """Scorecards, oldest first; HR sees published ones only, a unit manager the published unit scorecards
    of their own units."""
    principal = principal_of(request)
    units = await db.read(users_store.units_of, principal.name) if principal.role == "unit_manager" else None
    status = "published" if units is not None else listed_status(principal.role, status)
    rows = await db.read(store.list_rows, period, unit_id, status, cursor or "", limit, units)
    last = rows[-1] if len(rows) == limit else None
    return ScorecardPage(
        items=[_out(r) for r in rows], next_cursor=f"{last['created_at']}|{last['scorecard_id']}" if last else None
    )


ROUTES = [create_scorecard, get_scorecard, scorecard_pdf, publish_scorecard, list_scorecards]
