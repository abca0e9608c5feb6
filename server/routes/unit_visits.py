"""A unit's approved visits as the audited see them (unit managers of the unit; quality leads and admins)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from server.audited import AuditedVisitPage, unit_visits
from server.auth import principal_of, roles
from server.db import Database
from server.errors import not_found, problems
from server.periods import check_period
from server.routes.params import CursorParam, LimitParam
from server.routes.scores import PeriodParam
from server.settings import Settings
from server.store import audited as audited_store
from server.store import users as users_store


@get(
    "/v1/units/{unit_id:str}/visits",
    opt=roles("admin", "quality_lead", "unit_manager"),
    responses=problems(400, 401, 403, 404),
    tags=["directory"],
)
async def list_unit_visits(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    unit_id: FromPath[str],
    period: PeriodParam,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> AuditedVisitPage:
    """The unit's approved visits of the period, by date: the date (no time of day), checklist version,
    visit score, and per answer the item, value, pass/fail, comment and evidence hashes, with the state of
    each disputed item's latest appeal. Nothing names the auditor, device, assignment or revisions.

    A unit manager reads their own units only (404 for any other); quality leads and admins any unit.
    """
    principal = principal_of(request)
    if principal.role == "unit_manager":
        visible = unit_id in await db.read(users_store.units_of, principal.name)
    else:
        visible = await db.read(audited_store.unit_exists, unit_id)
    if not visible:
        raise not_found("unit")
    return await unit_visits(db, ZoneInfo(settings.timezone), unit_id, check_period(period), cursor, limit)


ROUTES = [list_unit_visits]
