"""Assignment plans: what the planner reads from the store, drafts and their visits, publishing, coverage.

The tables are in migration 0017 (`plans`, `plan_visits`, and `users.region` and the plan columns of
`assignments`). The steps of drafting and publishing are in `server.plans`; the planning itself is
the pure `reports.planning`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections import Counter
from zoneinfo import ZoneInfo

import msgspec

from checklists.canonical import canonical_json
from reports.plan_policy import LoadedPlanPolicy, PlanPolicy, load_plan_policy
from reports.planning import AuditorInput, PastVisit, Plan, PlanWarning, UnitInput
from server.clock import now_iso
from server.errors import FieldError, ProblemError, not_found
from server.periods import next_period, previous_period
from server.store import directory as directory_store
from server.store import policies as policy_store
from server.store.audit import audit
from server.store.directory import AssignmentIn
from server.store.feed import record_change
from server.store.sync import rows_in
from server.wire import Wire

# The motivation policy's minimum when none is published (the shipped policy's, and the planner's).
DEFAULT_MIN_VISITS = 3
# How far back a unit's approved visit scores give its spread (the precision target's sample size).
SPREAD_MONTHS = 12


class PlanVisit(Wire):
    """One planned visit: who goes where, on which day and in which time window."""

    position: int
    key: str  # the planner's name of the visit
    auditor: str
    unit_id: str
    unit_name: str
    region: str
    checklist_id: str
    day: str
    time_from: str
    time_to: str
    calibration_of: str | None  # the key of the visit whose event this one scores again
    assignment_id: str | None  # the assignment it became, once published


class UnitLine(Wire):
    """A unit in a plan: what it needs and gets, and last month's plan and visits to compare with."""

    unit_id: str
    name: str
    region: str
    kind: str
    needed: int
    planned: int  # first scorings (calibrations are extra: they measure auditors, not the unit)
    previous_planned: int  # last month's published plan
    previous_done: int  # last month's submitted visits that count (not rejected)


class AuditorLine(Wire):
    """An auditor in a plan: their regions, visits, days out and monthly capacity."""

    auditor: str
    regions: list[str]  # [] = any region
    visits: int
    days: int
    per_month: int


class RegionLine(Wire):
    """A region in a plan: its units' needs and visits, and the capacity of the auditors who may serve it."""

    region: str
    needed: int
    planned: int
    auditors: int
    capacity: int  # the sum of their monthly capacities (an any-region auditor counts in each region)


class PlanSummary(Wire):
    """A plan as a list shows it."""

    plan_id: str
    period: str
    status: str  # draft, published, superseded
    seed: int
    created_by: str
    created_at: str
    published_by: str | None
    published_at: str | None
    visit_count: int
    warning_count: int


class PlanView(Wire):
    """One plan whole: its warnings, summaries per unit, auditor and region, and its visits."""

    plan_id: str
    period: str
    status: str
    seed: int
    created_by: str
    created_at: str
    published_by: str | None
    published_at: str | None
    visit_count: int
    warning_count: int
    policy_sha256: str
    inputs_sha256: str
    policy_text: str  # the canonical JSON of the plan policy it was drafted from
    warnings: list[PlanWarning]
    units: list[UnitLine]
    auditors: list[AuditorLine]
    regions: list[RegionLine]
    visits: list[PlanVisit]


class PlanList(Wire):
    items: list[PlanSummary]


class CoverageUnit(Wire):
    """Where one unit stands in a month."""

    unit_id: str
    name: str
    region: str
    kind: str
    needed: int  # the published plan's; the motivation policy's minimum without one
    planned: int  # active assignments (not calibrations) due from a day of the month
    done: int  # submitted visits of the month that count (not rejected)
    approved: int
    below_minimum: bool  # approved < needed


class CoverageStaff(Wire):
    """A staff member whose coefficient rests on fewer approved visits than the policy's minimum."""

    staff_id: str
    name: str
    unit_id: str
    approved: int
    min_visits: int


class Coverage(Wire):
    """A month's coverage: per unit needed, planned, done and approved; who is below their minimum."""

    period: str
    plan_id: str | None  # the month's published plan
    min_visits: int  # the motivation policy's
    units: list[CoverageUnit]
    units_below_minimum: list[str]
    staff_below_minimum: list[CoverageStaff]


# --- what the planner reads --------------------------------------------------------------------------


class PlanningInputs(msgspec.Struct, kw_only=True, frozen=True):
    """Everything a plan is drafted from, read in one snapshot."""

    units: list[UnitInput]
    auditors: list[AuditorInput]
    # Planned or made elsewhere: assignments (other plans', the administrator's) and the visits made.
    assigned: list[PastVisit]
    visited: list[PastVisit]
    staff_min_visits: int
    published_plan: str | None  # the month's published plan, which a new one would replace
    no_checklist: list[str]  # active units of a kind without an unretired checklist: not planned

    @property
    def history(self) -> list[PastVisit]:
        return self.assigned + self.visited

    def sha256(self) -> str:
        """The hash a draft records and publishing compares: the directory, the assignments and the plans.

        The visits made are left out (a busy month would make every draft stale within minutes):
        publishing checks the draft against them instead (`lockout_breaks`). So are past scores: a
        review more or less moves a year's spread little.
        """
        doc = {
            "units": [[u.unit_id, u.kind, u.region, u.checklist_id, u.staff] for u in self.units],
            "auditors": [[a.name, a.regions] for a in self.auditors],
            "assigned": sorted([v.auditor, v.unit_id, v.day.isoformat()] for v in self.assigned),
            "staff_min_visits": self.staff_min_visits,
            "published_plan": self.published_plan,
            "no_checklist": self.no_checklist,
        }
        return hashlib.sha256(msgspec.json.encode(doc)).hexdigest()


def month_bounds(period: str) -> tuple[dt.date, dt.date]:
    """The first and last day of a period."""
    first = dt.date.fromisoformat(f"{period}-01")
    return first, dt.date.fromisoformat(f"{next_period(period)}-01") - dt.timedelta(days=1)


def motivation_min_visits(c: sqlite3.Connection) -> int:
    """The latest motivation policy's minimum of approved visits per person, or the default."""
    policy = policy_store.latest_or_none(c)
    return policy.min_visits if policy is not None else DEFAULT_MIN_VISITS


def planning_inputs(c: sqlite3.Connection, policy: PlanPolicy, tz: ZoneInfo) -> PlanningInputs:
    """The planner's inputs for the policy's month (the caller holds one snapshot or transaction)."""
    period = policy.period
    first, last = month_bounds(period)
    checklist_of = _checklist_of_kind(c)
    staff: dict[str, list[str]] = {}
    for r in c.execute("SELECT staff_id, unit_id FROM staff WHERE active = 1 ORDER BY staff_id").fetchall():
        staff.setdefault(r["unit_id"], []).append(r["staff_id"])
    scores: dict[str, list[float]] = {}
    oldest = period
    for _ in range(SPREAD_MONTHS):
        oldest = previous_period(oldest)
    for r in c.execute(
        "SELECT unit_id, visit_score FROM submission_views WHERE counted = 2 AND period >= ? AND period < ?"
        " AND visit_score IS NOT NULL ORDER BY unit_id, submission_id",
        (oldest, period),
    ).fetchall():
        scores.setdefault(r["unit_id"], []).append(float(r["visit_score"]))
    units, no_checklist = [], []
    for r in c.execute("SELECT unit_id, kind, region FROM units WHERE active = 1 ORDER BY unit_id").fetchall():
        checklist_id = checklist_of.get(r["kind"])
        if checklist_id is None:
            no_checklist.append(r["unit_id"])
            continue
        units.append(
            UnitInput(
                unit_id=r["unit_id"],
                kind=r["kind"],
                region=r["region"],
                checklist_id=checklist_id,
                past_scores=scores.get(r["unit_id"], []),
                staff=staff.get(r["unit_id"], []),
            )
        )
    auditors = [
        AuditorInput(name=r["name"], regions=[r["region"]] if r["region"] is not None else None)
        for r in _live_auditors(c)
    ]
    reach = dt.timedelta(days=policy.lockout_days + 1)
    since, until = first - reach, last + reach
    # The assignments that stay whatever this plan does: not those of the month's plans, which
    # publishing this one replaces (their visits made are among the visits below).
    assigned: set[tuple[str, str, dt.date]] = set()
    for r in c.execute(
        "SELECT a.auditor, a.unit_id, a.due_from, a.due_to FROM assignments a"
        " LEFT JOIN plans p ON p.plan_id = a.plan_id"
        " WHERE a.active = 1 AND a.due_to >= ? AND a.due_from <= ? AND (p.period IS NULL OR p.period <> ?)",
        (since.isoformat(), until.isoformat(), period),
    ).fetchall():
        # Lockout holds from either end of the window (planned visits have a one-day window).
        for day in {r["due_from"], r["due_to"]}:
            assigned.add((r["auditor"], r["unit_id"], dt.date.fromisoformat(day)))
    visited: set[tuple[str, str, dt.date]] = set()
    for r in c.execute(
        "SELECT auditor, unit_id, corrected_start FROM submission_views"
        " WHERE unit_id IS NOT NULL AND corrected_start >= ? AND corrected_start < ?",
        (since.isoformat(), (until + dt.timedelta(days=1)).isoformat()),
    ).fetchall():
        day = dt.datetime.fromisoformat(r["corrected_start"]).astimezone(tz).date()
        visited.add((r["auditor"], r["unit_id"], day))
    published = c.execute("SELECT plan_id FROM plans WHERE period = ? AND status = 'published'", (period,)).fetchone()
    return PlanningInputs(
        units=units,
        auditors=auditors,
        assigned=[PastVisit(auditor=a, unit_id=u, day=d) for a, u, d in sorted(assigned)],
        visited=[PastVisit(auditor=a, unit_id=u, day=d) for a, u, d in sorted(visited)],
        staff_min_visits=motivation_min_visits(c),
        published_plan=published["plan_id"] if published else None,
        no_checklist=no_checklist,
    )


def _live_auditors(c: sqlite3.Connection) -> list[sqlite3.Row]:
    """Auditors who can still sign in (name, region), by name: one whose every token is revoked has left."""
    return c.execute(
        "SELECT name, region FROM users u WHERE role = 'auditor'"
        " AND EXISTS (SELECT 1 FROM tokens t WHERE t.user_name = u.name AND t.revoked_at IS NULL)"
        " ORDER BY name"
    ).fetchall()


def _checklist_of_kind(c: sqlite3.Connection) -> dict[str, str]:
    """Per unit kind, the checklist of its latest unretired version (the one a new assignment uses)."""
    out: dict[str, str] = {}
    for r in c.execute(
        "SELECT checklist_id, unit_kind FROM checklist_versions WHERE retired_at IS NULL"
        " ORDER BY published_at, checklist_id, version"
    ).fetchall():
        out[r["unit_kind"]] = r["checklist_id"]  # the latest published wins
    return out


def lockout_breaks(visits: list[PlanVisit], visited: list[PastVisit], lockout_days: int) -> list[FieldError]:
    """The planned visits that a visit made since the draft brings within the lockout of its auditor and unit."""
    made: dict[tuple[str, str], list[dt.date]] = {}
    for v in visited:
        made.setdefault((v.auditor, v.unit_id), []).append(v.day)
    errors = []
    for i, v in enumerate(visits):
        day = dt.date.fromisoformat(v.day)
        near = [d for d in made.get((v.auditor, v.unit_id), []) if abs((day - d).days) < lockout_days]
        if near:
            errors.append(
                FieldError(
                    path=f"visits[{i}]",
                    message=f"{v.auditor} visited {v.unit_id} on {min(near).isoformat()}, within the"
                    f" {lockout_days}-day lockout of {v.day}",
                )
            )
    return errors


# --- drafts ----------------------------------------------------------------------------------------------


def period_closed(c: sqlite3.Connection, period: str) -> bool:
    """Whether the month has been closed (its motivation snapshot frozen)."""
    return c.execute("SELECT 1 FROM period_snapshots WHERE period = ?", (period,)).fetchone() is not None


def refuse_closed(c: sqlite3.Connection, period: str) -> None:
    """409 `period_closed` for a closed month: its figures are frozen, a plan for it would change nothing."""
    if period_closed(c, period):
        raise ProblemError(
            409,
            "period_closed",
            f"{period} is closed: its figures are frozen, so there is nothing left to plan",
            [FieldError(path="period", message="plan a month that is not closed")],
        )


def insert_draft(
    c: sqlite3.Connection,
    loaded: LoadedPlanPolicy,
    plan: Plan,
    extra: list[PlanWarning],
    inputs_sha256: str,
    actor: str,
) -> str:
    """Store a drafted plan with its visits and warnings (`extra` before the planner's); its id, `<period>.<n>`."""
    period = loaded.policy.period
    refuse_closed(c, period)
    count = c.execute("SELECT count(*) FROM plans WHERE period = ?", (period,)).fetchone()[0]
    plan_id = f"{period}.{count + 1}"
    c.execute(
        "INSERT INTO plans (plan_id, period, status, seed, policy, policy_sha256, inputs_sha256, created_by,"
        " created_at, needed, warnings) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            plan_id,
            period,
            loaded.policy.seed,
            canonical_json(loaded.raw).decode("utf-8"),
            loaded.sha256,
            inputs_sha256,
            actor,
            now_iso(),
            msgspec.json.encode(dict(sorted(plan.needed.items()))).decode("utf-8"),
            msgspec.json.encode(extra + plan.warnings).decode("utf-8"),
        ),
    )
    c.executemany(
        "INSERT INTO plan_visits (plan_id, position, key, auditor, unit_id, checklist_id, day, time_from, time_to,"
        " calibration_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                plan_id,
                i,
                v.key,
                v.auditor,
                v.unit_id,
                v.checklist_id,
                v.day.isoformat(),
                v.time_from,
                v.time_to,
                v.calibration_of,
            )
            for i, v in enumerate(plan.visits, start=1)
        ],
    )
    audit(c, actor, "plan.draft", "plan", plan_id, {"period": period, "visits": len(plan.visits)})
    return plan_id


_SUMMARY = (
    "SELECT p.plan_id, p.period, p.status, p.seed, p.created_by, p.created_at, p.published_by, p.published_at,"
    " p.warnings, (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.plan_id) AS visit_count FROM plans p"
)


def _summary(r: sqlite3.Row) -> PlanSummary:
    return PlanSummary(
        plan_id=r["plan_id"],
        period=r["period"],
        status=r["status"],
        seed=r["seed"],
        created_by=r["created_by"],
        created_at=r["created_at"],
        published_by=r["published_by"],
        published_at=r["published_at"],
        visit_count=r["visit_count"],
        warning_count=len(msgspec.json.decode(r["warnings"])),
    )


def list_plans(c: sqlite3.Connection, period: str | None) -> list[PlanSummary]:
    """Plans (of one month, or all), newest first."""
    rows = c.execute(
        f"{_SUMMARY} WHERE (? IS NULL OR p.period = ?) ORDER BY p.created_at DESC, p.plan_id DESC",
        (period, period),
    ).fetchall()
    return [_summary(r) for r in rows]


def plan_visits(c: sqlite3.Connection, plan_id: str) -> list[PlanVisit]:
    """A plan's visits in the planner's order, with their units' names and regions."""
    rows = c.execute(
        "SELECT v.position, v.key, v.auditor, v.unit_id, u.name AS unit_name, u.region, v.checklist_id, v.day,"
        " v.time_from, v.time_to, v.calibration_of, v.assignment_id FROM plan_visits v"
        " JOIN units u ON u.unit_id = v.unit_id WHERE v.plan_id = ? ORDER BY v.position",
        (plan_id,),
    ).fetchall()
    return [PlanVisit(**dict(r)) for r in rows]


def stored_policy(row: sqlite3.Row) -> LoadedPlanPolicy:
    """The plan policy a stored plan was drafted from (valid: it was checked before it was stored)."""
    return load_plan_policy(row["policy"].encode("utf-8"), "json", "plan")


def get_plan(c: sqlite3.Connection, plan_id: str) -> PlanView | None:
    """One plan whole, or None."""
    row = c.execute(
        "SELECT p.*, (SELECT count(*) FROM plan_visits v WHERE v.plan_id = p.plan_id) AS visit_count"
        " FROM plans p WHERE p.plan_id = ?",
        (plan_id,),
    ).fetchone()
    if row is None:
        return None
    policy = stored_policy(row).policy
    visits = plan_visits(c, plan_id)
    needed: dict[str, int] = msgspec.json.decode(row["needed"], type=dict[str, int])
    warnings = msgspec.json.decode(row["warnings"], type=list[PlanWarning])
    units = {
        r["unit_id"]: r
        for r in rows_in(c, "SELECT unit_id, name, region, kind FROM units WHERE unit_id IN ({marks})", needed)
    }
    planned = Counter(v.unit_id for v in visits if v.calibration_of is None)
    before = previous_counts(c, previous_period(row["period"]))
    unit_lines = [
        UnitLine(
            unit_id=unit_id,
            name=units[unit_id]["name"],
            region=units[unit_id]["region"],
            kind=units[unit_id]["kind"],
            needed=n,
            planned=planned[unit_id],
            previous_planned=before.get(unit_id, (0, 0))[0],
            previous_done=before.get(unit_id, (0, 0))[1],
        )
        for unit_id, n in sorted(needed.items())
        if unit_id in units
    ]
    regions_of = _auditor_regions(c, policy)
    auditor_lines = [
        AuditorLine(
            auditor=name,
            regions=regions or [],
            visits=sum(1 for v in visits if v.auditor == name),
            days=len({v.day for v in visits if v.auditor == name}),
            per_month=policy.capacity_of(name)[1],
        )
        for name, regions in sorted(regions_of.items())
    ]
    region_lines = []
    for region in sorted({u.region for u in unit_lines}):
        serving = [a for a in auditor_lines if not a.regions or region in a.regions]
        region_lines.append(
            RegionLine(
                region=region,
                needed=sum(u.needed for u in unit_lines if u.region == region),
                planned=sum(u.planned for u in unit_lines if u.region == region),
                auditors=len(serving),
                capacity=sum(a.per_month for a in serving),
            )
        )
    return PlanView(
        plan_id=row["plan_id"],
        period=row["period"],
        status=row["status"],
        seed=row["seed"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        published_by=row["published_by"],
        published_at=row["published_at"],
        visit_count=row["visit_count"],
        warning_count=len(warnings),
        policy_sha256=row["policy_sha256"],
        inputs_sha256=row["inputs_sha256"],
        policy_text=row["policy"],
        warnings=warnings,
        units=unit_lines,
        auditors=auditor_lines,
        regions=region_lines,
        visits=visits,
    )


def _auditor_regions(c: sqlite3.Connection, policy: PlanPolicy) -> dict[str, list[str] | None]:
    """Each auditor's regions as the policy plans them: its own list, else the directory's (None: any)."""
    out: dict[str, list[str] | None] = {}
    for r in _live_auditors(c):
        own = policy.auditors.get(r["name"])
        if own is not None and own.regions is not None:
            out[r["name"]] = sorted(own.regions)
        else:
            out[r["name"]] = [r["region"]] if r["region"] is not None else None
    return out


def previous_counts(c: sqlite3.Connection, period: str) -> dict[str, tuple[int, int]]:
    """Per unit, (visits planned by the month's published plan, submitted visits that count) of a month."""
    planned = Counter(
        r["unit_id"]
        for r in c.execute(
            "SELECT v.unit_id FROM plan_visits v JOIN plans p ON p.plan_id = v.plan_id"
            " WHERE p.period = ? AND p.status = 'published' AND v.calibration_of IS NULL",
            (period,),
        ).fetchall()
    )
    done = {
        r["unit_id"]: r["n"]
        for r in c.execute(
            "SELECT unit_id, count(*) AS n FROM submission_views WHERE period = ? AND counted IN (1, 2)"
            " AND unit_id IS NOT NULL GROUP BY unit_id",
            (period,),
        ).fetchall()
    }
    return {u: (planned.get(u, 0), done.get(u, 0)) for u in set(planned) | set(done)}


# --- publishing ----------------------------------------------------------------------------------------


def publish(c: sqlite3.Connection, plan_id: str, actor: str, tz: ZoneInfo) -> None:
    """Publish a draft in one transaction: its visits become assignments, the month's earlier plan is superseded.

    404 for no such plan; 409 `plan_not_draft`; 409 `period_closed`; 409 `plan_stale` when the
    directory, the assignments or the month's published plan changed since the draft, or a visit
    made since would break the lockout. An assignment of the month's earlier plans that the new plan
    keeps (same auditor, unit, checklist, day and window) keeps its id; one it drops is withdrawn
    (inactive, and deleted from its auditor's tablet) unless a visit was already made for it.
    """
    row = c.execute("SELECT * FROM plans WHERE plan_id = ?", (plan_id,)).fetchone()
    if row is None:
        raise not_found("plan")
    if row["status"] != "draft":
        raise ProblemError(409, "plan_not_draft", f"plan {plan_id} is {row['status']}: only a draft can be published")
    period = row["period"]
    refuse_closed(c, period)
    policy = stored_policy(row).policy
    inputs = planning_inputs(c, policy, tz)
    if inputs.sha256() != row["inputs_sha256"]:
        raise ProblemError(
            409,
            "plan_stale",
            f"what plan {plan_id} was drafted from has changed since (units, auditors, staff, assignments or"
            " another published plan): draft the month again",
        )
    visits = plan_visits(c, plan_id)
    breaks = lockout_breaks(visits, inputs.visited, policy.lockout_days)
    if breaks:
        raise ProblemError(
            409, "plan_stale", f"visits made since plan {plan_id} was drafted break its lockout: draft again", breaks
        )
    old = c.execute(
        "SELECT a.assignment_id, a.auditor, a.unit_id, a.checklist_id, a.due_from, a.due_to, a.time_from, a.time_to,"
        " a.calibration_of FROM assignments a JOIN plans p ON p.plan_id = a.plan_id"
        " WHERE p.period = ? AND a.active = 1 ORDER BY a.assignment_id",
        (period,),
    ).fetchall()
    ids = _assignment_ids(c, period, visits, old)
    rows = [
        (
            ids[v.key],
            AssignmentIn(
                auditor=v.auditor,
                unit_id=v.unit_id,
                checklist_id=v.checklist_id,
                due_from=dt.date.fromisoformat(v.day),
                due_to=dt.date.fromisoformat(v.day),
                calibration_of=ids[v.calibration_of] if v.calibration_of else None,
                time_from=v.time_from,
                time_to=v.time_to,
            ),
        )
        for v in visits
    ]
    directory_store.put_assignments(c, rows, plan_id=plan_id)
    kept = set(ids.values())
    dropped = [r for r in old if r["assignment_id"] not in kept]
    made = {
        r["assignment_id"]
        for r in rows_in(
            c,
            "SELECT DISTINCT assignment_id FROM submission_views WHERE assignment_id IN ({marks})",
            [r["assignment_id"] for r in dropped],
        )
    }
    withdrawn = [r for r in dropped if r["assignment_id"] not in made]
    _withdraw(c, withdrawn)
    c.executemany(
        "UPDATE plan_visits SET assignment_id = ? WHERE plan_id = ? AND key = ?",
        [(ids[v.key], plan_id, v.key) for v in visits],
    )
    now = now_iso()
    c.execute("UPDATE plans SET status = 'superseded' WHERE period = ? AND status = 'published'", (period,))
    c.execute(
        "UPDATE plans SET status = 'published', published_by = ?, published_at = ? WHERE plan_id = ?",
        (actor, now, plan_id),
    )
    audit(
        c,
        actor,
        "plan.publish",
        "plan",
        plan_id,
        {"period": period, "assignments": len(rows), "withdrawn": [r["assignment_id"] for r in withdrawn]},
    )


def _assignment_ids(
    c: sqlite3.Connection, period: str, visits: list[PlanVisit], old: list[sqlite3.Row]
) -> dict[str, str]:
    """Each visit's assignment id: the month's earlier assignment of the same visit, else the next `P-<period>-NNNN`."""
    free: dict[tuple, list[str]] = {}
    for r in old:
        same = (r["auditor"], r["unit_id"], r["checklist_id"], r["due_from"], r["due_to"], r["time_from"], r["time_to"])
        free.setdefault((*same, r["calibration_of"] is not None), []).append(r["assignment_id"])
    prefix = f"P-{period}-"
    used = [
        int(r["assignment_id"][len(prefix) :])
        for r in c.execute(
            "SELECT assignment_id FROM assignments WHERE assignment_id LIKE ?", (prefix + "%",)
        ).fetchall()
        if r["assignment_id"][len(prefix) :].isdigit()
    ]
    number = max(used, default=0)
    ids = {}
    for v in visits:
        key = (v.auditor, v.unit_id, v.checklist_id, v.day, v.day, v.time_from, v.time_to, v.calibration_of is not None)
        if free.get(key):
            ids[v.key] = free[key].pop(0)
        else:
            number += 1
            ids[v.key] = f"{prefix}{number:04d}"
    return ids


def _withdraw(c: sqlite3.Connection, rows: list[sqlite3.Row]) -> None:
    """Take back assignments no plan wants: inactive, and deleted from their auditors' tablets."""
    if not rows:
        return
    directory_store.put_assignments(
        c,
        [
            (
                r["assignment_id"],
                AssignmentIn(
                    auditor=r["auditor"],
                    unit_id=r["unit_id"],
                    checklist_id=r["checklist_id"],
                    due_from=dt.date.fromisoformat(r["due_from"]),
                    due_to=dt.date.fromisoformat(r["due_to"]),
                    active=False,
                    calibration_of=r["calibration_of"],
                    time_from=r["time_from"],
                    time_to=r["time_to"],
                ),
            )
            for r in rows
        ],
    )
    for r in rows:
        # Replaces the upsert just recorded for that tablet: the auditor no longer holds it at all.
        record_change(c, "assignment", r["assignment_id"], "delete", audience=r["auditor"])


# --- coverage --------------------------------------------------------------------------------------------


def coverage(c: sqlite3.Connection, period: str) -> Coverage:
    """Where a month stands: per active unit needed, planned, done and approved; who is below their minimum."""
    first, last = month_bounds(period)
    min_visits = motivation_min_visits(c)
    plan = c.execute(
        "SELECT plan_id, needed FROM plans WHERE period = ? AND status = 'published'", (period,)
    ).fetchone()
    needed: dict[str, int] = msgspec.json.decode(plan["needed"], type=dict[str, int]) if plan else {}
    planned = {
        r["unit_id"]: r["n"]
        for r in c.execute(
            "SELECT unit_id, count(*) AS n FROM assignments WHERE active = 1 AND calibration_of IS NULL"
            " AND due_from >= ? AND due_from <= ? GROUP BY unit_id",
            (first.isoformat(), last.isoformat()),
        ).fetchall()
    }
    counts: dict[str, tuple[int, int]] = {}
    for r in c.execute(
        "SELECT unit_id, count(*) AS done, sum(CASE WHEN counted = 2 THEN 1 ELSE 0 END) AS approved"
        " FROM submission_views WHERE period = ? AND counted IN (1, 2) AND unit_id IS NOT NULL GROUP BY unit_id",
        (period,),
    ).fetchall():
        counts[r["unit_id"]] = (r["done"], r["approved"])
    units = []
    for r in c.execute("SELECT unit_id, name, region, kind FROM units WHERE active = 1 ORDER BY unit_id").fetchall():
        done, approved = counts.get(r["unit_id"], (0, 0))
        need = needed.get(r["unit_id"], min_visits)
        units.append(
            CoverageUnit(
                unit_id=r["unit_id"],
                name=r["name"],
                region=r["region"],
                kind=r["kind"],
                needed=need,
                planned=planned.get(r["unit_id"], 0),
                done=done,
                approved=approved,
                below_minimum=approved < need,
            )
        )
    staff = c.execute(
        "SELECT s.staff_id, s.name, s.unit_id,"
        " (SELECT count(DISTINCT v.submission_id) FROM visit_staff v"
        "   WHERE v.staff_id = s.staff_id AND v.period = ? AND v.counted = 2) AS approved"
        " FROM staff s JOIN units u ON u.unit_id = s.unit_id WHERE s.active = 1 AND u.active = 1"
        " ORDER BY s.unit_id, s.staff_id",
        (period,),
    ).fetchall()
    return Coverage(
        period=period,
        plan_id=plan["plan_id"] if plan else None,
        min_visits=min_visits,
        units=units,
        units_below_minimum=[u.unit_id for u in units if u.below_minimum],
        staff_below_minimum=[
            CoverageStaff(
                staff_id=r["staff_id"],
                name=r["name"],
                unit_id=r["unit_id"],
                approved=r["approved"],
                min_visits=min_visits,
            )
            for r in staff
            if r["approved"] < min_visits
        ],
    )
