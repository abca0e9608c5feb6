"""Assignment plans in the console (`/plans`), for quality leads and admins: draft, read, publish, coverage.

Every step is the API's (`server.plans`): a draft is `draft_plan` over the policy the lead typed or
uploaded (so a bad policy lists exactly the problems `POST /v1/plans` would), publishing is
`publish_plan` (which refuses a stale draft), and the coverage is `plan_coverage`. The pages only
arrange what those answer: the warnings in words first, then the plan per region, auditor and
unit beside last month, the calibration pairs and the visits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from reports import i18n
from reports.planning import PlanWarning
from server import clock
from server.console.checklists import read_and_close
from server.console.web import console, form_field, language_of, page, redirect, viewer_of
from server.db import Database, snapshot
from server.errors import ProblemError, not_found
from server.periods import check_period_held, current_period, next_period, periods_back, previous_period
from server.plans import draft_plan, example_policy, get_plan, list_plans, plan_coverage, publish_plan
from server.settings import Settings
from server.store import directory as directory_store
from server.store.plans import Coverage, CoverageUnit, PlanSummary, PlanView

LEADS = console("quality_lead", "admin")
_PLAN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,80}$(?!\n)")
MONTHS_BACK = 12  # months the period picker offers before this one
MONTHS_AHEAD = 3  # and after it (plans are drafted ahead)
MAX_POLICY_CHARS = 200_000  # a policy typed longer than this is no policy (the example is ~3,000)
# Warnings in the order the page reads them: what leaves units or regions uncovered comes first.
WARNING_ORDER = (
    "no_auditor",
    "no_checklist",
    "region_short",
    "unit_below_minimum",
    "staff_below_minimum",
    "calibration_short",
)
# The refusals of a publish or a draft the pages say in words (any other code reads as a generic refusal).
REFUSALS = ("plan_stale", "plan_not_draft", "period_closed", "invalid_period")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# --- the policy as text ------------------------------------------------------------------------------


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else msgspec.json.encode(key).decode("utf-8")


def _toml_value(value: object) -> str:
    """A JSON value as TOML (a JSON string's escapes are TOML's basic string escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return msgspec.json.encode(value).decode("utf-8")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise ValueError(f"no TOML form for {type(value).__name__}")


def toml_text(doc: dict[str, Any], table: tuple[str, ...] = ()) -> str:
    """A policy document (JSON builtins, no nulls) as TOML: its values, then each table under its header (pure)."""
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in doc.items() if v is not None and not isinstance(v, dict)]
    for key, value in doc.items():
        if isinstance(value, dict):
            header = (*table, key)
            lines += ["", "[" + ".".join(_toml_key(k) for k in header) + "]", toml_text(value, header).strip("\n")]
    return "\n".join(line for line in lines).strip("\n") + "\n"


def policy_for(plan: PlanView, period: str) -> str:
    """A plan's policy as TOML, moved to `period` (the starting point of the next draft)."""
    doc = msgspec.json.decode(plan.policy_text)
    if not isinstance(doc, dict):
        raise ValueError("a plan's policy is an object")
    return toml_text({"period": period} | {k: v for k, v in doc.items() if k != "period"})


def policy_format(text: str, filename: str | None) -> str:
    """`json` for a .json file or a text that opens with `{`; else `toml`."""
    if filename is not None:
        return "json" if filename.lower().endswith(".json") else "toml"
    return "json" if text.lstrip().startswith("{") else "toml"


# --- the list and the draft form ---------------------------------------------------------------------


def _months(period: str, tz: ZoneInfo, lang: str) -> list[tuple[str, str]]:
    """The months the period picker offers (newest first), the chosen one always among them."""
    now = current_period(tz, clock.utc_now())
    last = now
    for _ in range(MONTHS_AHEAD):
        last = next_period(last)
    offered = set(periods_back(last, MONTHS_BACK + MONTHS_AHEAD + 1)) | {period}
    return [(m, i18n.period_name(m, lang)) for m in sorted(offered, reverse=True)]


def _period(request: Request, tz: ZoneInfo, default_ahead: bool) -> str:
    """`?period=` (400 when it is no month the server holds); by default the next month, or this one."""
    given = request.query_params.get("period", "")
    if given:
        return check_period_held(given[:20])
    now = current_period(tz, clock.utc_now())
    return next_period(now) if default_ahead else now


async def _prefill(db: Database, period: str, source: str | None) -> str:
    """The draft form's text: the policy of plan `source`, else of the month's latest plan, else of the
    latest plan of any month, moved to `period`; with no plan at all the shipped example."""
    plan = await get_plan(db, source) if source and _PLAN_ID.match(source) else None
    if plan is None:
        summaries = await list_plans(db, period) or await list_plans(db, None)
        plan = await get_plan(db, summaries[0].plan_id) if summaries else None
    if plan is not None:
        try:
            return policy_for(plan, period)
        except ValueError:
            pass  # a policy the writer cannot express starts from the example instead
    return example_policy(period)


def _summary_row(s: PlanSummary, lang: str) -> dict[str, Any]:
    return {"plan": s, "period_name": i18n.period_name(s.period, lang)}


def plans_page(
    request: Request,
    settings: Settings,
    period: str,
    plans: list[PlanSummary],
    policy: str,
    *,
    status: int = 200,
    problems: list[tuple[str, str]] | None = None,
    refusal: str | None = None,
    detail: str | None = None,
    filename: str | None = None,
) -> Template:
    """The month's plans and the draft form (with the problems of the last attempt and the text as typed)."""
    lang = language_of(request)
    return page(
        request,
        "plans.html",
        status=status,
        here=f"/plans?period={period}",
        period=period,
        period_name=i18n.period_name(period, lang),
        months=_months(period, ZoneInfo(settings.timezone), lang),
        rows=[_summary_row(s, lang) for s in plans],
        policy=policy,
        problems=problems or [],
        refusal=refusal,
        detail=detail,
        filename=filename,
        max_mb=settings.max_body_bytes // (1024 * 1024),
    )


@get("/plans", opt=LEADS, include_in_schema=False)
async def plans_list(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Template:
    """The month's plans (draft, published, superseded) and a form to draft one."""
    period = _period(request, ZoneInfo(settings.timezone), default_ahead=True)
    plans = await list_plans(db, period)
    policy = await _prefill(db, period, request.query_params.get("from"))
    return plans_page(request, settings, period, plans, policy)


async def _policy_sent(request: Request) -> tuple[str, bytes, str | None]:
    """The text of the form's `policy`, and the bytes to draft from: the uploaded file's when one was sent."""
    form = await request.form()
    typed = form.get("policy")
    text = typed.replace("\r\n", "\n") if isinstance(typed, str) else ""
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        data = await read_and_close(upload)
        if data:
            name = (upload.filename or "plan.toml").replace("\\", "/").rsplit("/", 1)[-1][:200]
            # The file's text is shown in the form, to be corrected there; a file that is not UTF-8
            # keeps what was typed (the draft names its problem).
            with contextlib.suppress(UnicodeDecodeError):
                text = data.decode("utf-8")
            return text, data, name
    return text, text.encode("utf-8"), None


@post("/plans", opt=LEADS, include_in_schema=False, status_code=303)
async def plans_draft(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Response:
    """Draft a plan from the policy typed or uploaded; or show every problem beside the text as it was sent."""
    text, data, filename = await _policy_sent(request)
    shown = await form_field(request, "shown")  # the month the form was on
    period = _period_of(text) or _held(shown) or current_period(ZoneInfo(settings.timezone), clock.utc_now())
    kept = text[:MAX_POLICY_CHARS]

    async def again(status: int, **why: Any) -> Template:
        return plans_page(request, settings, period, await list_plans(db, period), kept, status=status, **why)

    if not data.strip():
        return await again(400, refusal="empty")
    if len(text) > MAX_POLICY_CHARS:
        return await again(400, refusal="too_long")
    try:
        plan = await draft_plan(
            db, data, policy_format(text, filename), viewer_of(request).name, ZoneInfo(settings.timezone)
        )
    except ProblemError as exc:
        if exc.status >= 500:
            raise
        problems = [(e.path, e.message) for e in exc.errors or ()]
        code = exc.code if exc.code in REFUSALS else ("invalid" if problems else "other")
        return await again(exc.status, problems=problems, refusal=code, detail=exc.detail, filename=filename)
    return redirect(f"/plans/{plan.plan_id}?done=drafted")


_PERIOD_LINE = re.compile(r'^\s*"?period"?\s*[=:]\s*"([0-9]{4}-[0-9]{2})"', re.MULTILINE)


def _period_of(text: str) -> str | None:
    """The month a policy text names (to show that month's plans beside a refused draft), if readable."""
    found = _PERIOD_LINE.search(text)
    return _held(found.group(1)) if found else None


def _held(period: str) -> str | None:
    """`period` when it is a month the server holds, else None."""
    try:
        return check_period_held(period)
    except ProblemError:
        return None


# --- one plan ----------------------------------------------------------------------------------------


class StaffShort(msgspec.Struct, kw_only=True, frozen=True):
    """The staff of one unit whose coefficients the plan cannot carry."""

    unit_id: str
    unit: str
    region: str
    people: list[tuple[str, str]]  # (staff_id, name)
    visits: int  # the unit's planned visits
    needed: int  # the motivation policy's min_visits


def staff_names(c: sqlite3.Connection, unit_ids: list[str]) -> dict[str, str]:
    """staff_id -> name of the staff of `unit_ids` (the directory's own list, unit by unit, one snapshot)."""
    out: dict[str, str] = {}
    with snapshot(c):
        for unit_id in unit_ids:
            after = ""
            while True:
                rows = directory_store.list_staff(c, after, 1000, unit_id)
                out.update((r["staff_id"], r["name"]) for r in rows)
                if len(rows) < 1000:
                    break
                after = rows[-1]["staff_id"]
    return out


def warning_groups(
    warnings: list[PlanWarning], units: dict[str, str], names: dict[str, str], planned: dict[str, int]
) -> tuple[list[PlanWarning], list[StaffShort]]:
    """The warnings in reading order (staff ones apart, gathered per unit) (pure)."""
    rank = {code: n for n, code in enumerate(WARNING_ORDER)}
    others = sorted(
        (w for w in warnings if w.code != "staff_below_minimum"),
        key=lambda w: (rank.get(w.code, len(rank)), w.region or "", w.unit_id or "", w.auditor or ""),
    )
    per_unit: dict[str, list[PlanWarning]] = defaultdict(list)
    for w in warnings:
        if w.code == "staff_below_minimum" and w.unit_id:
            per_unit[w.unit_id].append(w)
    staff = [
        StaffShort(
            unit_id=unit_id,
            unit=units.get(unit_id, unit_id),
            region=ws[0].region or "",
            people=sorted(
                ((w.staff_id or "", names.get(w.staff_id or "", "")) for w in ws), key=lambda p: p[1] or p[0]
            ),
            visits=planned.get(unit_id, 0),
            needed=max(w.needed or 0 for w in ws),
        )
        for unit_id, ws in sorted(per_unit.items())
    ]
    return others, staff


def calibration_pairs(plan: PlanView) -> list[dict[str, Any]]:
    """Each calibration visit beside the visit whose event it scores again (pure)."""
    by_key = {v.key: v for v in plan.visits}
    pairs = []
    for v in plan.visits:
        if v.calibration_of is not None:
            original = by_key.get(v.calibration_of)
            pairs.append({"visit": v, "original": original})
    return pairs


def plan_page(
    request: Request,
    settings: Settings,
    plan: PlanView,
    names: dict[str, str],
    *,
    refusal: str | None = None,
    detail: str | None = None,
    status: int = 200,
) -> Template:
    """One plan: warnings first, the summaries, the pairs, the visits, and Publish while it is a draft."""
    lang = language_of(request)
    units = {u.unit_id: u.name for u in plan.units}
    planned = {u.unit_id: u.planned for u in plan.units}
    warnings, staff_short = warning_groups(plan.warnings, units, names, planned)
    done = request.query_params.get("done")
    by_key = {v.key: v for v in plan.visits}
    totals = {
        "needed": sum(u.needed for u in plan.units),
        "planned": sum(u.planned for u in plan.units),
        "previous_planned": sum(u.previous_planned for u in plan.units),
        "previous_done": sum(u.previous_done for u in plan.units),
    }
    return page(
        request,
        "plan.html",
        status=status,
        here=f"/plans/{plan.plan_id}",
        plan=plan,
        period_name=i18n.period_name(plan.period, lang),
        previous_name=i18n.period_name(previous_period(plan.period), lang),
        warnings=warnings,
        staff_short=staff_short,
        units=units,
        pairs=calibration_pairs(plan),
        by_key=by_key,
        totals=totals,
        regions_text=lambda regions: ", ".join(regions) if regions else i18n.text("plans.every_region", lang),
        day=lambda d: _day(d, lang),
        refusal=refusal,
        detail=detail,
        done=done if done in ("drafted", "published") else None,
        redraft_url="/plans?" + urlencode({"period": plan.period, "from": plan.plan_id}),
        coverage_url="/plans/coverage?" + urlencode({"period": plan.period}),
    )


WEEKDAYS = {
    "ru": ("пн", "вт", "ср", "чт", "пт", "сб", "вс"),
    "kk": ("дс", "сс", "ср", "бс", "жм", "сб", "жс"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}


def _day(day: str, lang: str) -> str:
    """A visit's day with its weekday: "14.01.2027, чт"."""
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        return day
    return f"{i18n.date(day, lang)}, {WEEKDAYS.get(lang, WEEKDAYS['ru'])[parsed.weekday()]}"


async def _plan(db: Database, plan_id: str) -> tuple[PlanView, dict[str, str]]:
    if not _PLAN_ID.match(plan_id):
        raise not_found("plan")
    plan = await get_plan(db, plan_id)
    if plan is None:
        raise not_found("plan")
    short_units = sorted({w.unit_id for w in plan.warnings if w.code == "staff_below_minimum" and w.unit_id})
    names = await db.read(staff_names, short_units) if short_units else {}
    return plan, names


@get("/plans/{plan_id:str}", opt=LEADS, include_in_schema=False)
async def plan_view(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], plan_id: FromPath[str]
) -> Template:
    """One plan: its warnings in words, per region, auditor and unit beside last month, the pairs and the visits."""
    plan, names = await _plan(db, plan_id)
    return plan_page(request, settings, plan, names)


@post("/plans/{plan_id:str}/publish", opt=LEADS, include_in_schema=False, status_code=303)
async def plan_publish(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], plan_id: FromPath[str]
) -> Response:
    """Publish the draft as assignments (the tablets get them on their next pull); a refusal is shown in words."""
    plan, names = await _plan(db, plan_id)
    try:
        await publish_plan(db, plan.plan_id, viewer_of(request).name, ZoneInfo(settings.timezone))
    except ProblemError as exc:
        if exc.status >= 500 or exc.status == 404:
            raise
        plan, names = await _plan(db, plan_id)
        code = exc.code if exc.code in REFUSALS else "other"
        return plan_page(request, settings, plan, names, refusal=code, detail=exc.detail, status=exc.status)
    return redirect(f"/plans/{plan.plan_id}?done=published")


# --- coverage ----------------------------------------------------------------------------------------


def coverage_mark(unit: CoverageUnit) -> str:
    """`reached` (approved visits reach the need), `awaiting` (done would, approval pending) or `below` (pure)."""
    if not unit.below_minimum:
        return "reached"
    return "awaiting" if unit.done >= unit.needed else "below"


@get("/plans/coverage", opt=LEADS, include_in_schema=False)
async def coverage_view(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """Where the month stands: per unit needed, planned, done and approved with a mark; who ends below the minimum."""
    tz = ZoneInfo(settings.timezone)
    period = _period(request, tz, default_ahead=False)
    coverage: Coverage = await plan_coverage(db, period)
    lang = language_of(request)
    rows = [{"unit": u, "mark": coverage_mark(u)} for u in coverage.units]
    counts = {m: sum(1 for r in rows if r["mark"] == m) for m in ("reached", "awaiting", "below")}
    units = {u.unit_id: u.name for u in coverage.units}
    return page(
        request,
        "plans_coverage.html",
        here=f"/plans/coverage?period={period}",
        period=period,
        period_name=i18n.period_name(period, lang),
        months=_months(period, tz, lang),
        coverage=coverage,
        rows=rows,
        counts=counts,
        units=units,
        plans_url="/plans?" + urlencode({"period": period}),
    )


# /plans/coverage is listed before /plans/{plan_id} so that "coverage" is never read as a plan id.
ROUTES = [plans_list, plans_draft, coverage_view, plan_view, plan_publish]
