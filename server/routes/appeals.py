"""Appeals: unit managers file and withdraw them; quality leads (and admins) read and decide them.

A unit manager sees the appeals of their own units only (another unit's is 404), without who filed
or decided them and without revision ids; the steps are in `server.appeals`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter, SkipValidation

from server import appeals
from server.appeals import AppealFilter, AppealIn, AppealOut, DecisionIn, appeal_body
from server.auth import Principal, principal_of, roles
from server.db import Database
from server.errors import problems
from server.periods import PERIOD_PATTERN
from server.routes.params import CursorParam, LimitParam
from server.settings import Settings
from server.store import users as users_store
from server.wire import SLUG_PATTERN, Wire

READERS = roles("admin", "quality_lead", "unit_manager")
DECIDERS = roles("admin", "quality_lead")
MANAGERS = roles("unit_manager")


class AppealPage(Wire):
    items: list[AppealOut]
    next_cursor: str | None


async def _scope(request: Request, db: Database) -> tuple[list[str] | None, bool]:
    """The units the caller may read appeals of (None: every unit), and whether it sees everything of them."""
    principal: Principal = principal_of(request)
    if principal.role == "unit_manager":
        return await db.read(users_store.units_of, principal.name), False
    return None, True


@post("/v1/appeals", opt=MANAGERS, responses=problems(400, 401, 403, 404, 409, 413), tags=["appeals"])
async def file_appeal(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    data: JSONBody[SkipValidation[AppealIn]],
) -> AppealOut:
    """Appeal items of an approved visit of one of your units, each with a claim and evidence (uploaded with tus).

    404 for a visit that is not an approved visit of your units; 400 `unknown_item`,
    `duplicate_item`, `unknown_evidence`; 409 `appeal_window_closed` (the policy's `window_days`
    after the approval), `appeal_limit_reached` (its `max_per_unit_per_period`), `appeal_exists`.
    """
    body = appeal_body(data, AppealIn)
    return await appeals.file_appeal(db, settings, principal_of(request).name, body)


@get("/v1/appeals", opt=READERS, responses=problems(400, 401, 403), tags=["appeals"])
async def list_appeals(
    request: Request,
    db: NamedDependency[Database],
    status: Annotated[Literal["open", "withdrawn", "decided"] | None, QueryParameter()] = None,
    unit_id: Annotated[str | None, QueryParameter(pattern=SLUG_PATTERN)] = None,
    period: Annotated[str | None, QueryParameter(pattern=PERIOD_PATTERN)] = None,
    overdue: Annotated[
        bool, QueryParameter(description="only those open past their due date, or decided after it")
    ] = False,
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> AppealPage:
    """Appeals by due date (then id); a unit manager's list holds their own units' only."""
    units, full = await _scope(request, db)
    f = AppealFilter(status=status, unit_id=unit_id, period=period, overdue=overdue, units=units)
    items, next_cursor = await appeals.list_appeals(db, f, cursor, limit, full)
    return AppealPage(items=items, next_cursor=next_cursor)


@get("/v1/appeals/{appeal_id:str}", opt=READERS, responses=problems(400, 401, 403, 404), tags=["appeals"])
async def get_appeal(request: Request, db: NamedDependency[Database], appeal_id: FromPath[str]) -> AppealOut:
    """One appeal (404 for another unit's, to a unit manager)."""
    units, full = await _scope(request, db)
    return await appeals.get_appeal(db, appeal_id, units, full)


@post(
    "/v1/appeals/{appeal_id:str}/withdraw",
    opt=MANAGERS,
    status_code=200,
    responses=problems(400, 401, 403, 404, 409),
    tags=["appeals"],
)
async def withdraw_appeal(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], appeal_id: FromPath[str]
) -> AppealOut:
    """Withdraw an open appeal of your unit (409 `appeal_closed` once it is not open); it still counts to the cap."""
    return await appeals.withdraw_appeal(db, settings, principal_of(request).name, appeal_id)


@post(
    "/v1/appeals/{appeal_id:str}/decision",
    opt=DECIDERS,
    status_code=200,
    responses=problems(400, 401, 403, 404, 409, 413),
    tags=["appeals"],
)
async def decide_appeal(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    appeal_id: FromPath[str],
    data: JSONBody[SkipValidation[DecisionIn]],
) -> AppealOut:
    """Decide every item of an open appeal, with a reason each; the overturned ones change the visit.

    Overturned items become one reviewer revision (parents: the current heads) naming the appeal,
    and the visit is approved again as changed. 400 `items_mismatch`, `invalid_decision`; 409
    `appeal_closed` (decided or withdrawn already), `visit_not_approved` (an overturn of a visit
    no longer approved). A decision after the due date is accepted; the appeal stays overdue.
    """
    body = appeal_body(data, DecisionIn)
    return await appeals.decide_appeal(db, settings, principal_of(request).name, appeal_id, body)


ROUTES = [file_appeal, list_appeals, get_appeal, withdraw_appeal, decide_appeal]
