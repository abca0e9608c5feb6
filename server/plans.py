"""Assignment plans: draft a month from a plan policy, publish it as assignments, report its coverage.

Drafting reads the planner's inputs in one snapshot (`server.store.plans.planning_inputs`), runs
the pure planner (`reports.planning.plan_month`) off the event loop, and stores the draft with the
hash of those inputs. Publishing re-reads them inside its write and refuses a draft whose inputs
have changed (`plan_stale`), so a published plan always meets the hard rules of the directory it
was published into.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from zoneinfo import ZoneInfo

from checklists.library import plan_example_file
from checklists.validate import Invalid
from reports.plan_policy import LoadedPlanPolicy, load_plan_policy
from reports.planning import PlanWarning, plan_month
from server.db import Database, snapshot
from server.errors import invalid, not_found
from server.store import plans as store
from server.store.plans import Coverage, PlanningInputs, PlanSummary, PlanView


def load_policy(data: bytes, fmt: str) -> LoadedPlanPolicy:
    """A plan policy from a request body; 400 `invalid_plan_policy` listing every problem with its path."""
    try:
        return load_plan_policy(data, fmt, "body")
    except Invalid as exc:
        raise invalid(exc, "invalid_plan_policy", "the plan policy is not valid") from None


def _inputs(c: sqlite3.Connection, loaded: LoadedPlanPolicy, tz: ZoneInfo) -> PlanningInputs:
    with snapshot(c):
        store.refuse_closed(c, loaded.policy.period)
        return store.planning_inputs(c, loaded.policy, tz)


async def draft_plan(db: Database, data: bytes, fmt: str, actor: str, tz: ZoneInfo) -> PlanView:
    """Draft the month a plan policy names and store the draft; 400 `invalid_plan_policy`, 409 `period_closed`."""
    loaded = load_policy(data, fmt)
    inputs = await db.read(_inputs, loaded, tz)
    plan = await asyncio.to_thread(
        plan_month, loaded.policy, inputs.units, inputs.auditors, inputs.history, inputs.staff_min_visits
    )
    unplanned = [
        PlanWarning(
            code="no_checklist",
            detail=f"no unretired checklist is published for the kind of unit {unit_id}: it is not planned",
            unit_id=unit_id,
        )
        for unit_id in inputs.no_checklist
    ]
    plan_id = await db.write(store.insert_draft, loaded, plan, unplanned, inputs.sha256(), actor)
    return await _found(db, plan_id)


async def publish_plan(db: Database, plan_id: str, actor: str, tz: ZoneInfo) -> PlanView:
    """Publish a draft (`server.store.plans.publish`: 404, 409 `plan_not_draft`, `plan_stale`, `period_closed`)."""
    await db.write(store.publish, plan_id, actor, tz)
    return await _found(db, plan_id)


async def get_plan(db: Database, plan_id: str) -> PlanView | None:
    """One plan whole, or None."""
    return await db.read(_read, store.get_plan, plan_id)


async def list_plans(db: Database, period: str | None) -> list[PlanSummary]:
    """Plans of a month (or all), newest first."""
    return await db.read(store.list_plans, period)


async def plan_coverage(db: Database, period: str) -> Coverage:
    """Where a month stands: per unit needed, planned, done, approved; units and staff below their minimum."""
    return await db.read(_read, store.coverage, period)


def example_policy(period: str) -> str:
    """The shipped example plan policy with its month set to `period`."""
    text = plan_example_file().read_text(encoding="utf-8")
    return re.sub(r'(?m)^period = "[^"]*"', f'period = "{period}"', text, count=1)


def _read(c: sqlite3.Connection, fn, *args):
    with snapshot(c):
        return fn(c, *args)


async def _found(db: Database, plan_id: str) -> PlanView:
    view = await get_plan(db, plan_id)
    if view is None:
        raise not_found("plan")
    return view
