"""The dashboards: the network page with its heat map, a unit, a staff member, a standard (CONSOLE.md 4-6).

Every figure comes from the functions behind `/v1/scores/*` (`server.routes.scores`): the units'
figures, the network ranking and the regions' roll-up, so a page and the API never disagree. The
unit page's failed items and staff rows are read as the scorecards read them (the store's approved
visits and `reports.scorecard_assembly`; motivation rows by `reports.motivation.motivation_rows`,
or the closed month's snapshot), and its charts are the scorecard's charts (`reports.charts`)
drawn as SVG. Every figure says its basis: `approved` (what HR pays on) or `provisional`.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, get_args
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup

from reports import charts, i18n
from reports import scorecard_assembly as assemble
from reports.aggregate import (
    StandardFigure,
    UnitFigures,
    UnitInfo,
    network_figures,
    pooled_standard_figures,
    standard_figure,
    unit_figures,
)
from reports.motivation import MotivationRow, motivation_rows
from reports.policy import Policy
from reports.scorecard_data import Headline, ScorecardData, StandardRow, Subject, TrendPoint
from reports.svg_charts import measure, svg
from server import figures_refresh
from server.clock import utc_now
from server.console.web import console, language_of, page
from server.db import Database
from server.errors import ProblemError, not_found
from server.periods import check_period_held, current_period, periods_back
from server.routes.scores import Basis, Kind, counted_of, region_scores_of, unit_figures_of
from server.settings import Settings
from server.store import checklists as checklists_store
from server.store import periods as periods_store
from server.store import policies as policies_store
from server.store import scorecards as scorecards_store
from server.store import scores as scores_store
from server.store.sync import checklist_index

READERS = console("quality_lead", "hr", "admin")
KINDS: tuple[str, ...] = get_args(Kind)  # the API's unit kinds, branch first
BASES: tuple[str, ...] = get_args(Basis)
TREND = 12  # periods on a trend chart
CHOICES = 24  # months the period filter offers
HEATMAP_ROWS = 100  # units per heat map page
WORST_UNITS = 20  # units listed under "fails it most"
MAX_VALUE = 200  # a query value longer than any id or name is no value
CHART_W = 250 * charts.MM  # a chart's width in points: a 12-period trend needs more than an A4 text width
CHART_H = 70 * charts.MM
_CODE = re.compile(r"^[A-Za-z0-9._-]{1,40}$(?!\n)")


class Query(msgspec.Struct, kw_only=True, frozen=True):
    """The query string the dashboards share: period, unit kind and basis (bad values: 400)."""

    period: str
    kind: str
    basis: str

    def url(self, path: str, **more: str | int | None) -> str:
        """`path` with this query and `more` (None: left out)."""
        params: dict[str, Any] = {"period": self.period, "kind": self.kind, "basis": self.basis, **more}
        return path + "?" + urlencode([(k, v) for k, v in params.items() if v not in (None, "")])


def _one(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def this_month(settings: Settings) -> str:
    """This month in the organisation's time zone."""
    return current_period(ZoneInfo(settings.timezone), utc_now())


def parse_query(request: Request, settings: Settings) -> Query:
    """The page's period (default this month), kind (default branch) and basis (default approved).

    A period the server could hold no visit of (outside 2000-01..2099-12), an unknown kind or
    basis is a 400 page rather than a quietly different page.
    """
    period = _one(request, "period") or this_month(settings)
    check_period_held(period)
    kind = _one(request, "kind") or KINDS[0]
    basis = _one(request, "basis") or BASES[0]
    if kind not in KINDS or basis not in BASES:
        raise ProblemError(400, "invalid_request", "unknown unit kind or basis")
    return Query(period=period, kind=kind, basis=basis)


def period_choices(settings: Settings, chosen: str, lang: str) -> list[tuple[str, str]]:
    """The periods the filter offers, newest first: this month and 23 before it, and the chosen one."""
    periods = periods_back(this_month(settings), CHOICES)
    if chosen not in periods:
        periods.append(chosen)
    return [(p, i18n.period_name(p, lang)) for p in sorted(periods, reverse=True)]


def catalogue(c: sqlite3.Connection, cache: dict, lang: str) -> assemble.Titles:
    """Every published checklist's standards: code -> (title in `lang`, attribution), newest wording winning."""
    indexes = {}
    for row in checklists_store.list_rows(c, ("", 0), 1000, None):
        ref = (row["checklist_id"], row["version"])
        index = checklist_index(c, cache, *ref)
        if index is not None:
            indexes[ref] = index
    return assemble.titles(indexes, lang)


def _indexes(c: sqlite3.Connection, cache: dict, refs: set[assemble.ChecklistRef]) -> dict:
    out = {}
    for ref in sorted(refs):
        index = checklist_index(c, cache, *ref)
        if index is not None:
            out[ref] = index
    return out


def mark_of(policy: Policy | None, value: float | None) -> str | None:
    return policy.mark(value) if policy is not None and value is not None else None


def chart_data(lang: str, period: str, basis: str, trend: list[TrendPoint], policy: Policy) -> ScorecardData:
    """The little of a scorecard's data its charts read: language, trend, thresholds."""
    return ScorecardData(
        scope="unit",
        lang=lang,  # type: ignore[arg-type]
        period=period,
        subject=Subject(),
        basis=basis,  # type: ignore[arg-type]
        headline=Headline(score=None, n=0, previous=None, change=None, mark=None),
        trend=trend,
        standards=[],
        failed_items=[],
        staff=[],
        thumbnails=[],
        ranking=[],
        weakest_standards=[],
        checklist_versions=[],
        green_at=policy.rag.green_at,
        amber_at=policy.rag.amber_at,
        data_as_of="",
        policy=f"{policy.id}@{policy.version}",
    )


def trend_svg(data: ScorecardData, title: str, ident: str) -> Markup:
    """The trend chart of the scorecards, as SVG."""
    points = ", ".join(
        f"{i18n.period_short(p.period, data.lang)}: {i18n.score(p.score, data.lang)}" for p in data.trend
    )
    chart = charts.trend_chart(data, CHART_W, CHART_H, measure)
    return Markup(svg(chart, title, points, ident))  # svg() escapes every text it writes


def standards_svgs(rows: list[StandardRow], data: ScorecardData, title: str) -> list[Markup]:
    """The standards bars of the scorecards, as SVG (one per part of at most 45 bars)."""
    scored = [r for r in rows if r.score is not None]
    if not scored:
        return []
    out = []
    for n, chart in enumerate(charts.standards_charts(scored, data, CHART_W, measure)):
        desc = ", ".join(f"{r.code}: {i18n.score(r.score, data.lang)}" for r in scored)
        out.append(Markup(svg(chart, title, desc, f"standards-{n}")))
    return out


def _score_cells(figure: StandardFigure, policy: Policy | None) -> dict[str, Any]:
    return {"score": figure.score, "share_met": figure.share_met, "n": figure.n, "mark": mark_of(policy, figure.score)}


# --- /dashboard --------------------------------------------------------------------------------------


@get("/dashboard", opt=READERS, include_in_schema=False)
async def network_page(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """The network: the ranking of the kind's units and each region's roll-up."""
    q = parse_query(request, settings)
    lang = language_of(request)
    figures, current, _ = await unit_figures_of(db, q.period, q.basis, q.kind, None, per_standard=False)
    network = network_figures(q.kind, figures, current, [])
    regions = await region_scores_of(db, q.period, q.basis, q.kind)
    policy = await db.read(policies_store.latest_or_none)
    return page(
        request,
        "dashboard.html",
        q=q,
        periods=period_choices(settings, q.period, lang),
        network=network,
        network_mark=mark_of(policy, network.visit_score),
        regions=regions,
        kinds=KINDS,
        bases=BASES,
        period_name=i18n.period_name(q.period, lang),
        heatmap_url=q.url("/dashboard/heatmap"),
    )


# --- /dashboard/heatmap ------------------------------------------------------------------------------


def heatmap_rows(figures: list[UnitFigures], region: str | None, page_no: int) -> tuple[list[UnitFigures], int, int]:
    """The units of one page (in ranking order: best first, those without visits last), the page and the pages."""
    units = [u for u in figures if region is None or u.region == region]
    units.sort(key=lambda u: (u.visit_score is None, -(u.visit_score or 0.0), u.unit_id))
    pages = max(1, -(-len(units) // HEATMAP_ROWS))
    page_no = min(max(1, page_no), pages)
    return units[(page_no - 1) * HEATMAP_ROWS : page_no * HEATMAP_ROWS], page_no, pages


@get("/dashboard/heatmap", opt=READERS, include_in_schema=False)
async def heatmap_page(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """Units × standards: each cell the unit's mean score of the standard, with its n, linking to it.

    The ranking needs every unit's visit score; the standards are figured for the page's units
    only, by the same `unit_figures` over their sums, so a cell equals the API's figure.
    """
    q = parse_query(request, settings)
    lang = language_of(request)
    region = _one(request, "region")
    region = region if region and len(region) <= MAX_VALUE else None
    raw_page = _one(request, "page") or "1"
    page_no = int(raw_page) if raw_page.isdigit() and len(raw_page) < 7 else 1
    figures, current, _ = await unit_figures_of(db, q.period, q.basis, q.kind, None, per_standard=False)
    policy = await db.read(policies_store.latest_or_none)
    titles = await db.read(catalogue, db.checklist_indexes, lang)
    regions = sorted({u.region for u in figures})
    if region is not None and region not in regions:
        region = None
    ranked, page_no, pages = heatmap_rows(figures, region, page_no)
    infos = [UnitInfo(unit_id=u.unit_id, kind=u.kind, name=u.name, region=u.region) for u in ranked]
    # The month's sums as the API reads them, then only the page's units are figured.
    shown_ids = {u.unit_id for u in ranked}
    sums = [s for s in await figures_refresh.standard_sums(db, q.period, counted_of(q.basis)) if s.unit_id in shown_ids]
    with_standards = {u.unit_id: u for u in unit_figures(infos, current, [], sums, policy)}
    codes = sorted({s.code for s in sums if s.n})
    units_total = sum(1 for u in figures if region is None or u.region == region)

    query = urlencode({"period": q.period, "basis": q.basis})
    rows = []
    for unit in ranked:
        unit_url = f"/units/{quote(unit.unit_id, safe='')}?{query}"
        by_code = {s.code: s for s in with_standards[unit.unit_id].standards}
        cells = []
        for code in codes:
            f = by_code.get(code)
            if f is None or not f.n:
                cells.append(None)
                continue
            value = i18n.score(f.score, lang)
            cells.append(
                {
                    "code": code,
                    "mark": mark_of(policy, f.score) or "none",
                    "score": f.score,
                    "n": f.n,
                    "text": value,
                    "n_text": i18n.count(f.n, lang),
                    "title": f"{code} · n = {f.n}",
                    "href": f"{unit_url}#std-{code}",
                }
            )
        rows.append({"unit": unit, "mark": mark_of(policy, unit.visit_score), "href": unit_url, "cells": cells})

    def paged(n: int) -> str:
        return q.url("/dashboard/heatmap", region=region, page=n if n > 1 else None)

    return page(
        request,
        "heatmap.html",
        q=q,
        periods=period_choices(settings, q.period, lang),
        codes=[(code, titles.get(code, (code, ""))[0]) for code in codes],
        rows=rows,
        regions=regions,
        region=region,
        page_no=page_no,
        pages=pages,
        units_total=units_total,
        first_row=(page_no - 1) * HEATMAP_ROWS + 1,
        last_row=(page_no - 1) * HEATMAP_ROWS + len(rows),
        prev_url=paged(page_no - 1) if page_no > 1 else None,
        next_url=paged(page_no + 1) if page_no < pages else None,
        kinds=KINDS,
        bases=BASES,
        policy=policy,
        no_visits=i18n.text("console.dashboards.no_visits", lang),
        period_name=i18n.period_name(q.period, lang),
        back_url=q.url("/dashboard"),
    )


# --- /units/{unit_id} --------------------------------------------------------------------------------


class UnitScreen(msgspec.Struct, kw_only=True, frozen=True):
    """What the unit page reads besides the API's figures, in one read."""

    trend_sums: dict[str, list]
    visits: list[assemble.AuditedVisit]
    indexes: dict
    titles: assemble.Titles
    staff: list[MotivationRow]
    closed: bool
    scorecards: list[Any]  # sqlite3.Row
    policy: Policy | None


def staff_rows(
    c: sqlite3.Connection, period: str, unit_id: str, policy: Policy | None
) -> tuple[list[MotivationRow], bool]:
    """The unit's people (its active staff, and anyone evaluated in it this month) as motivation rows.

    A closed month: the rows of its snapshot. An open one: `motivation_rows` of these people over
    all their approved visits of the month (each row depends on its person only, so these rows are
    the rows `/v1/motivation` shows for them).
    """
    members = {s.staff_id for s in scores_store.staff_infos(c, unit_id) if s.active}
    members |= set(scores_store.person_scores(c, period, scores_store.APPROVED, unit_id))
    snapshot = periods_store.snapshot_row(c, period)
    if snapshot is not None:
        return [r for r in periods_store.snapshot_of(snapshot).rows if r.staff_id in members], True
    if policy is None:
        return [], False
    infos = [s for s in scores_store.staff_infos(c, unit_id) if s.staff_id in members]
    if len(infos) < len(members):  # people of other units evaluated here
        known = {s.staff_id for s in infos}
        infos += [s for s in scores_store.staff_infos(c) if s.staff_id in members - known]
    scores = {}
    for person in sorted(members):  # a few indexed reads beat one read of the whole month's scores
        scores.update(scores_store.person_scores(c, period, scores_store.APPROVED, staff_id=person))
    return motivation_rows(infos, scores, policy, provisional=True), False


def unit_screen(c: sqlite3.Connection, cache: dict, unit_id: str, period: str, counted: int, lang: str) -> UnitScreen:
    """The unit's trend sums, the month's visits (for failed items), its people and published scorecards."""
    periods = periods_back(period, TREND)
    if counted >= scores_store.APPROVED:
        trend_sums = scores_store.approved_unit_sums(c, periods, unit_id)
    else:
        trend_sums = {p: scores_store.unit_sums(c, p, counted, unit_id) for p in periods}
    visits = scorecards_store.approved_visits(c, period, counted, unit_id=unit_id)
    indexes = _indexes(c, cache, assemble.checklist_refs(visits))
    policy = policies_store.latest_or_none(c)
    staff, closed = staff_rows(c, period, unit_id, policy)
    return UnitScreen(
        trend_sums=trend_sums,
        visits=visits,
        indexes=indexes,
        titles=catalogue(c, cache, lang),
        staff=staff,
        closed=closed,
        scorecards=scorecards_store.list_rows(c, None, unit_id, "published", "|", 100),
        policy=policy,
    )


@get("/units/{unit_id:str}", opt=READERS, include_in_schema=False)
async def unit_page(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], unit_id: FromPath[str]
) -> Template:
    """One unit: 12-period trend, standards, failed items with comments, staff, published scorecards."""
    if len(unit_id) > MAX_VALUE:
        raise not_found("unit")
    q = parse_query(request, settings)
    lang = language_of(request)
    figures, _, _ = await unit_figures_of(db, q.period, q.basis, None, unit_id)
    if not figures:
        raise not_found("unit")
    (unit,) = figures
    screen = await db.read(unit_screen, db.checklist_indexes, unit.unit_id, q.period, counted_of(q.basis), lang)
    tz = ZoneInfo(settings.timezone)
    failed, _ = assemble.failed_items(screen.visits, screen.indexes, lang, tz)
    trend = assemble.units_trend(periods_back(q.period, TREND), screen.trend_sums)
    rows = [assemble.standard_row(s, screen.titles) for s in unit.standards]
    policy = screen.policy
    trend_chart = standards = None
    if policy is not None:
        data = chart_data(lang, q.period, q.basis, trend, policy)
        trend_chart = trend_svg(data, i18n.text("console.dashboards.unit.trend", lang), "trend")
        standards = standards_svgs(rows, data, i18n.text("console.dashboards.standards", lang))
    q_kind = Query(period=q.period, kind=unit.kind, basis=q.basis)
    return page(
        request,
        "unit.html",
        q=q_kind,
        periods=period_choices(settings, q.period, lang),
        unit=unit,
        mark=mark_of(policy, unit.visit_score),
        trend=trend,
        trend_chart=trend_chart,
        standards=[(r, mark_of(policy, r.score)) for r in rows],
        standards_charts=standards or [],
        failed=failed,
        staff=screen.staff,
        closed=screen.closed,
        scorecards=screen.scorecards,
        titles=screen.titles,
        period_name=i18n.period_name(q.period, lang),
        period_short=lambda p: i18n.period_short(p, lang),
        date=lambda d: i18n.date(d, lang),
        flag=lambda f: i18n.flag(f, lang),
    )


# --- /staff/{staff_id} -------------------------------------------------------------------------------


class StaffScreen(msgspec.Struct, kw_only=True, frozen=True):
    person: Any  # reports.motivation.StaffInfo
    scores: dict[str, list[float]]
    standards: list[StandardFigure]
    titles: assemble.Titles
    row: MotivationRow | None
    policy: Policy | None


def staff_screen(
    c: sqlite3.Connection, cache: dict, staff_id: str, period: str, counted: int, lang: str
) -> StaffScreen | None:
    """One person's scores of 12 periods, their person-attributed standards of the month and their motivation row."""
    person = next((s for s in scores_store.staff_infos(c) if s.staff_id == staff_id), None)
    if person is None:
        return None
    scores = scores_store.person_scores_by_period(c, periods_back(period, TREND), counted, staff_id)
    visits = scorecards_store.approved_visits(c, period, scores_store.APPROVED, staff_id=staff_id)
    titles = assemble.titles(_indexes(c, cache, assemble.checklist_refs(visits)), lang)
    person_codes = {code for code, (_, attribution) in titles.items() if attribution == "person"}
    sums = scores_store.staff_standard_sums(c, period, staff_id)
    policy = policies_store.latest_or_none(c)
    snapshot = periods_store.snapshot_row(c, period)
    if snapshot is not None:
        row = next((r for r in periods_store.snapshot_of(snapshot).rows if r.staff_id == staff_id), None)
    elif policy is not None:
        mine = scores_store.person_scores(c, period, scores_store.APPROVED, staff_id=staff_id)
        row = next(iter(motivation_rows([person], mine, policy, provisional=True)), None)
    else:
        row = None
    return StaffScreen(
        person=person,
        scores=scores,
        standards=pooled_standard_figures(s for s in sums if s.code in person_codes),
        titles=titles,
        row=row,
        policy=policy,
    )


@get("/staff/{staff_id:str}", opt=READERS, include_in_schema=False)
async def staff_page(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], staff_id: FromPath[str]
) -> Template:
    """One staff member: the person score's trend and the person-attributed standards of the month."""
    if len(staff_id) > MAX_VALUE:
        raise not_found("staff member")
    q = parse_query(request, settings)
    lang = language_of(request)
    screen = await db.read(staff_screen, db.checklist_indexes, staff_id, q.period, counted_of(q.basis), lang)
    if screen is None:
        raise not_found("staff member")
    trend = assemble.person_trend(periods_back(q.period, TREND), screen.scores)
    rows = [assemble.standard_row(f, screen.titles) for f in screen.standards]
    trend_chart = None
    if screen.policy is not None:
        data = chart_data(lang, q.period, q.basis, trend, screen.policy)
        trend_chart = trend_svg(data, i18n.text("console.dashboards.staff.trend", lang), "trend")
    return page(
        request,
        "staff.html",
        q=q,
        periods=period_choices(settings, q.period, lang),
        person=screen.person,
        trend=trend,
        trend_chart=trend_chart,
        standards=[(r, mark_of(screen.policy, r.score)) for r in rows],
        row=screen.row,
        mark=mark_of(screen.policy, trend[-1].score),
        period_name=i18n.period_name(q.period, lang),
        period_short=lambda p: i18n.period_short(p, lang),
        flag=lambda f: i18n.flag(f, lang),
    )


# --- /standards/{code} -------------------------------------------------------------------------------


@get("/standards/{code:str}", opt=READERS, include_in_schema=False)
async def standard_page(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], code: FromPath[str]
) -> Template:
    """One standard across the kind's units: its network trend, and the units that fail it most."""
    if not _CODE.fullmatch(code):
        raise not_found("standard")
    q = parse_query(request, settings)
    lang = language_of(request)
    titles = await db.read(catalogue, db.checklist_indexes, lang)
    counted = counted_of(q.basis)
    units = {u.unit_id: u for u in await db.read(scores_store.unit_infos, q.kind)}
    trend: list[TrendPoint] = []
    month: list = []
    for period in periods_back(q.period, TREND):
        sums = [s for s in await figures_refresh.standard_sums(db, period, counted, code=code) if s.unit_id in units]
        pooled = pooled_standard_figures(sums)
        trend.append(TrendPoint(period=period, score=pooled[0].score if pooled else None, n=sum(s.n for s in sums)))
        month = sums
    if code not in titles and not any(p.n for p in trend):
        raise not_found("standard")
    policy = await db.read(policies_store.latest_or_none)
    by_figure = sorted(
        ((units[s.unit_id], standard_figure(s.code, s.total, s.n, s.met), s.n - s.met) for s in month if s.n),
        key=lambda x: (x[1].share_met, x[1].score, x[0].unit_id),
    )
    trend_chart = None
    if policy is not None:
        data = chart_data(lang, q.period, q.basis, trend, policy)
        trend_chart = trend_svg(data, i18n.text("console.dashboards.standard.trend", lang), "trend")
    title, attribution = titles.get(code, (code, ""))
    return page(
        request,
        "standard.html",
        q=q,
        periods=period_choices(settings, q.period, lang),
        code=code,
        title=title,
        attribution=attribution,
        trend=trend,
        trend_chart=trend_chart,
        worst=[(u, f, failed, mark_of(policy, f.score)) for u, f, failed in by_figure[:WORST_UNITS]],
        units_with_visits=sum(1 for s in month if s.n),
        highlight=_one(request, "unit"),
        kinds=KINDS,
        bases=BASES,
        period_name=i18n.period_name(q.period, lang),
        period_short=lambda p: i18n.period_short(p, lang),
    )


ROUTES = [network_page, heatmap_page, unit_page, staff_page, standard_page]
