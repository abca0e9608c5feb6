"""Assignment plans: draft a month from a plan policy, read drafts, publish one, the month's coverage."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from reports.plan_policy import PERIOD_PATTERN as HELD_PERIOD_PATTERN
from reports.plan_policy import PlanPolicy
from server import plans as engine
from server.auth import principal_of, roles
from server.db import Database
from server.errors import not_found, problems
from server.openapi import document_type, raw_body
from server.periods import check_period_held
from server.routes.checklists import body_format
from server.settings import Settings
from server.store.plans import Coverage, PlanList, PlanView

PLANNERS = roles("admin", "quality_lead")
# A month the server holds visits of (2000-01..2099-12), as plan policies name them.
PeriodQuery = Annotated[str, QueryParameter(pattern=HELD_PERIOD_PATTERN, description="the month, YYYY-MM")]

document_type(PlanPolicy)


@post(
    "/v1/plans",
    opt=PLANNERS,
    responses=problems(400, 401, 403, 409, 413, 415),
    tags=["plans"],
    operation_class=raw_body("a plan policy", {"application/json": "PlanPolicy", "application/toml": None}),
)
async def draft_plan(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Response[PlanView]:
    """Draft the month a plan policy names (TOML with `Content-Type: application/toml`, or JSON): 201 the draft.

    400 `invalid_plan_policy` lists every problem with its path; 409 `period_closed` for a closed month.
    The draft holds its visits, its warnings, and per unit last month's planned and done visits.
    """
    data = await request.body()
    view = await engine.draft_plan(
        db, data, body_format(request), principal_of(request).name, ZoneInfo(settings.timezone)
    )
    return Response(view, status_code=201)


@get("/v1/plans", opt=PLANNERS, responses=problems(400, 401, 403), tags=["plans"])
async def list_plans(
    db: NamedDependency[Database],
    period: Annotated[str | None, QueryParameter(pattern=HELD_PERIOD_PATTERN, description="the month, YYYY-MM")] = None,
) -> PlanList:
    """Plans (of one month, or all), newest first: draft, published or superseded."""
    if period is not None:
        check_period_held(period)
    return PlanList(items=await engine.list_plans(db, period))


@get("/v1/plans/coverage", opt=PLANNERS, responses=problems(400, 401, 403), tags=["plans"])
async def plan_coverage(db: NamedDependency[Database], period: PeriodQuery) -> Coverage:
    """A month's coverage: per active unit needed (the published plan's, else the motivation policy's
    minimum), planned, done (submitted, not rejected) and approved; the units and the staff whose
    approved visits are below their minimum."""
    return await engine.plan_coverage(db, check_period_held(period))


@get("/v1/plans/{plan_id:str}", opt=PLANNERS, responses=problems(400, 401, 403, 404), tags=["plans"])
async def get_plan(db: NamedDependency[Database], plan_id: FromPath[str]) -> PlanView:
    """One plan whole."""
    view = await engine.get_plan(db, plan_id)
    if view is None:
        raise not_found("plan")
    return view


@post(
    "/v1/plans/{plan_id:str}/publish",
    opt=PLANNERS,
    status_code=200,
    responses=problems(400, 401, 403, 404, 409),
    tags=["plans"],
)
async def publish_plan(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], plan_id: FromPath[str]
) -> PlanView:
    """Publish a draft: one assignment per visit (`P-<month>-NNNN`), which reach the auditors' tablets by pull.

    The month's earlier published plan is superseded; its assignments the new plan does not keep are
    withdrawn (deleted from the tablet) unless a visit was made for them. 409 `plan_not_draft`;
    409 `plan_stale` when units, auditors, staff, assignments or the month's published plan changed
    since the draft, or a visit made since would break its lockout (draft again).
    """
    return await engine.publish_plan(db, plan_id, principal_of(request).name, ZoneInfo(settings.timezone))


ROUTES = [draft_plan, list_plans, plan_coverage, get_plan, publish_plan]
