"""The calibration page (`/calibration`), for quality leads and admins: how far auditors agree.

The same store reads and statistics as `GET /v1/calibration`: each auditor's agreement over the
last six months (a mark in words beside each figure under the policy's threshold), and for a
chosen month and checklist the alpha per level of measurement, each pair's kappa, each auditor's
agreement and leniency, and each group's answers where they differ, linked to the visit pages.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from checklists.model import Checklist, Item
from reports import i18n
from reports.calibration import CalibrationReport
from reports.policy import Integrity
from reports.scorecard_assembly import local_date
from server import clock
from server.console.visit import value_words
from server.console.web import console, language_of, page
from server.db import Database, snapshot
from server.periods import PERIOD_PATTERN, check_period_held, current_period, periods_back
from server.settings import Settings
from server.store import calibration as store
from server.store import policies as policy_store
from server.store.directory import unit_names

LEADS = console("quality_lead", "admin")
MONTHS_SHOWN = 6  # the months of the agreement table, ending with the chosen one
MONTHS_OFFERED = 12  # the months the month filter offers, ending with this one
_PERIOD = re.compile(PERIOD_PATTERN)
_SLUG = re.compile(r"^[A-Za-z0-9._-]{1,64}$(?!\n)")


class CalibrationScreen(msgspec.Struct, kw_only=True, frozen=True):
    """What the page shows, read in one snapshot."""

    min_agreement: float
    by_month: dict[str, dict[str, float | None]]  # auditor -> month -> agreement
    checklists: dict[str, Checklist]  # the latest version of each checklist with groups in the months
    checklist_id: str | None  # the one shown
    chosen: store.CalibrationInput | None  # its ratings of the chosen month
    versions: dict[tuple[str, int], Checklist]  # the versions its groups were scored on
    units: dict[str, str]  # unit_id -> name, of its groups


def calibration_screen(c: sqlite3.Connection, months: list[str], period: str, wanted: str | None) -> CalibrationScreen:
    """The agreement per auditor and month, the checklists to choose from, and one checklist's groups.

    The checklist shown is the one asked for when it has groups in the months; else the first with
    groups in the chosen month, else the first with groups at all.
    """
    with snapshot(c):
        policy = policy_store.latest_or_none(c)
        by_month: dict[str, dict[str, float | None]] = {}
        for month in months:
            for auditor, agreement in store.agreement_of(c, month).items():
                by_month.setdefault(auditor, {})[month] = agreement
        ids = store.checklists_with_groups(c, sorted({*months, period}))
        inputs = store.inputs_of(c, period, None)
        shown = wanted if wanted in ids else next(iter(sorted(inputs)), None) or next(iter(ids), None)
        chosen = inputs.get(shown) if shown else None
        refs = {(shown, version) for _, _, version in chosen.events.values()} if chosen else set()
        return CalibrationScreen(
            min_agreement=(policy.integrity if policy else Integrity()).calibration_min_agreement,
            by_month=dict(sorted(by_month.items())),
            checklists=store.latest_checklists(c, ids),
            checklist_id=shown,
            chosen=chosen,
            versions=store.checklist_versions(c, refs),
            units=unit_names(c, {unit for unit, _, _ in chosen.events.values() if unit}) if chosen else {},
        )


def _choice(given: dict[str, str], name: str, pattern: re.Pattern) -> str | None:
    value = given.get(name)
    return value if value and pattern.match(value) else None


def share(x: float | None, lang: str) -> str:
    """An agreement as a percentage (whole), or a dash."""
    return i18n.DASH if x is None else f"{i18n.number(100 * x, lang, 0)}{i18n.NBSP}%"


def statistic(x: float | None, lang: str) -> str:
    """A kappa or an alpha (2 decimals, -1..1), or a dash when undefined."""
    return i18n.DASH if x is None else i18n.number(x, lang, 2)


class GroupView(msgspec.Struct, kw_only=True, frozen=True):
    """One group as the page shows it: its event, its auditors with their visits, the items that differ."""

    group: str
    unit: str
    date: str
    auditors: list[tuple[str, str | None, float | None]]  # (auditor, their submission, visit score)
    rows: list[dict[str, Any]]  # the items whose answers differ
    total: int  # the items compared


def group_views(report: CalibrationReport, screen: CalibrationScreen, tz: ZoneInfo, lang: str) -> list[GroupView]:
    """The report's groups, oldest visit first, with the item texts and values in `lang`."""
    chosen = screen.chosen
    if chosen is None:
        return []
    out = []
    for g in report.groups:
        unit_id, start, version = chosen.events.get(g.group, (None, None, 0))
        checklist = screen.versions.get((screen.checklist_id or "", version))
        items = _items(checklist)
        rows = []
        for item in g.items:
            if item.agreement is not None and item.agreement >= 1:
                continue
            known = items.get(item.item)
            rows.append(
                {
                    "item": item.item,
                    "text": known.text.get(lang) if known else item.item,
                    "values": [
                        value_words(known, "value", item.values[a], lang) if a in item.values else i18n.DASH
                        for a in g.auditors
                    ],
                    "agreement": item.agreement,
                }
            )
        out.append(
            GroupView(
                group=g.group,
                unit=screen.units.get(unit_id or "", unit_id or i18n.DASH),
                date=i18n.date(local_date(start, tz), lang) if start else i18n.DASH,
                auditors=[(a, chosen.visits.get((g.group, a)), chosen.scores.get((g.group, a))) for a in g.auditors],
                rows=rows,
                total=len(g.items),
            )
        )
    return sorted(out, key=lambda v: (_start_of(chosen, v.group), v.group))


def _start_of(chosen: store.CalibrationInput, group: str) -> str:
    return chosen.events.get(group, (None, None, 0))[1] or ""


def _items(checklist: Checklist | None) -> dict[str, Item]:
    if checklist is None:
        return {}
    return {item.id: item for standard in checklist.standards for item in standard.items}


@get("/calibration", opt=LEADS, include_in_schema=False)
async def calibration_page(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """Agreement per auditor over the last six months, and the statistics of one month and checklist."""
    given = {k: v.strip() for k, v in request.query_params.items() if len(v) <= 200}
    lang = language_of(request)
    tz = ZoneInfo(settings.timezone)
    this_month = current_period(tz, clock.utc_now())
    period = check_period_held(given["period"]) if given.get("period") else this_month
    months = periods_back(period, MONTHS_SHOWN)
    screen = await db.read(calibration_screen, months, period, _choice(given, "checklist", _SLUG))
    report = store.report_of(screen.chosen, screen.min_agreement) if screen.chosen else None
    shown = screen.checklist_id
    offered = periods_back(this_month, MONTHS_OFFERED)
    if period not in offered:
        offered = sorted({*offered, period})
    threshold = share(screen.min_agreement, lang)
    return page(
        request,
        "calibration.html",
        period=period,
        period_name=i18n.period_name(period, lang),
        months=[(m, i18n.period_name(m, lang)) for m in months],
        offered=[(m, i18n.period_name(m, lang)) for m in reversed(offered)],
        checklist_id=screen.checklist_id,
        checklists=[(cl_id, cl.title.get(lang)) for cl_id, cl in sorted(screen.checklists.items())],
        checklist_title=screen.checklists[shown].title.get(lang) if shown in screen.checklists else shown,
        by_month=screen.by_month,
        min_agreement=screen.min_agreement,
        threshold=threshold,
        report=report,
        groups=group_views(report, screen, tz, lang) if report else [],
        share=lambda x: share(x, lang),
        statistic=lambda x: statistic(x, lang),
        signed=lambda x: i18n.signed(x, lang),
        below=lambda x: x is not None and x < screen.min_agreement,
        month_url=lambda m: "/calibration?" + urlencode({"period": m} | ({"checklist": shown} if shown else {})),
    )


ROUTES = [calibration_page]
