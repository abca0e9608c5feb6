"""A scorecard's data assembled from the rows the store gives (pure: rows in, `ScorecardData` out).

`server/scorecards.py` reads the rows and the photos; everything decided from them is here: the
trend, the headline, the failed items and which of them have photos, the titles in the
scorecard's language and the data's as-of time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import msgspec

from checklists.model import Item
from checklists.score import ChecklistIndex, item_score, shown
from reports.aggregate import NetworkFigures, StandardFigure, UnitFigures, UnitInfo, UnitSums
from reports.calibration import CalibrationReport
from reports.motivation import MotivationRow, StaffInfo
from reports.policy import Policy
from reports.scorecard_data import (
    AppealsBox,
    CalibrationBox,
    FailedItem,
    Headline,
    RankedUnitRow,
    ScorecardData,
    StaffRow,
    StandardRow,
    Subject,
    Thumbnail,
    TrendPoint,
)

MAX_FAILED = 60

ChecklistRef = tuple[str, int]
Titles = dict[str, tuple[str, str]]  # standard code -> (title, attribution)


class AuditedChecklist(msgspec.Struct, frozen=True):
    """Which checklist version a visit answered."""

    id: str
    version: int | None


class AuditedAnswer(msgspec.Struct, frozen=True):
    """One answer of an approved visit, as far as a scorecard reads it."""

    item: str
    value: None | bool | int | float | str
    comment: str | None
    evidence: list[str] | None
    na: bool = False


class AuditedAnswers(msgspec.Struct, frozen=True):
    """The answers of a visit's merged view."""

    answers: list[AuditedAnswer]


class AuditedVisit(msgspec.Struct, frozen=True):
    """An approved visit as a scorecard reads it: decoded from the stored submission document."""

    checklist: AuditedChecklist | None
    view: AuditedAnswers | None
    corrected_start: str | None
    submission_id: str = ""


class CriticalEvidence(msgspec.Struct, frozen=True):
    """The photos (blob hashes) of one failed critical item, with its date and question."""

    date: str
    item: str
    caption: str
    hashes: list[str]


def checklist_refs(visits: Iterable[AuditedVisit]) -> set[ChecklistRef]:
    """The checklist versions the visits answered."""
    return {(v.checklist.id, v.checklist.version) for v in visits if v.checklist and v.checklist.version}


def titles(indexes: dict[ChecklistRef, ChecklistIndex], lang: str) -> Titles:
    """code -> (title, attribution), the newest version's wording winning."""
    out: Titles = {}
    for _, index in sorted(indexes.items()):
        for standard in index.checklist.standards:
            out[standard.code] = (standard.title.get(lang), standard.attribution)
    return out


def local_date(moment: str | None, tz: ZoneInfo) -> str:
    """The date (no time of day) of an RFC 3339 moment in the organisation's time zone; "" for none."""
    if not moment:
        return ""
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(tz).date().isoformat()


def failed_items(
    visits: list[AuditedVisit],
    indexes: dict[ChecklistRef, ChecklistIndex],
    lang: str,
    tz: ZoneInfo,
    person_only: bool = False,
    overturned: dict[str, dict[str, tuple]] | None = None,
) -> tuple[list[FailedItem], list[CriticalEvidence]]:
    """Failed items with comments (at most MAX_FAILED, critical first); and the photos of failed critical items.

    `overturned`: per visit, the items an appeal overturned with their answer (value, na) as audited.
    Such an item is listed, marked, when it failed as audited or fails still (the mark says the
    figures count the answer as changed); its photos are shown only while it fails.
    """
    items: list[FailedItem] = []
    critical_evidence: list[CriticalEvidence] = []
    for visit in visits:
        index = indexes.get((visit.checklist.id, visit.checklist.version)) if visit.checklist else None
        if index is None or visit.view is None:
            continue
        date = local_date(visit.corrected_start, tz)
        appealed = (overturned or {}).get(visit.submission_id, {})
        for answer in visit.view.answers:
            item = index.items.get(answer.item)
            if item is None or not item.scored:
                continue
            standard = index.standard_of[answer.item]
            if person_only and standard.attribution != "person":
                continue
            fails = _fails(item, answer.value, answer.na)
            before = appealed.get(answer.item)
            failed_before = before is not None and _fails(item, *before)
            if not fails and not failed_before:
                continue
            items.append(
                FailedItem(
                    date=date,
                    standard=standard.code,
                    item=item.id,
                    text=item.text.get(lang),
                    critical=item.critical,
                    comment=answer.comment,
                    overturned=before is not None,
                )
            )
            if fails and item.critical and answer.evidence:
                critical_evidence.append(CriticalEvidence(date, item.id, item.text.get(lang), answer.evidence))
    items.sort(key=lambda f: (f.critical is None, f.date, f.standard, f.item))
    return items[:MAX_FAILED], critical_evidence


def _fails(item: Item, value: object, na: bool) -> bool:
    """Whether an answer (value, na) of a scored item fails (N/A and no answer never do)."""
    return value is not None and not (na and item.na_allowed) and not item_score(item, value)[1]


def as_of(period: str, last_change: str | None, closed_at: str | None) -> str:
    """The data's as-of time: its last change (or the period's closing), never the clock."""
    times = [t for t in (last_change, closed_at) if t]
    return max(times) if times else f"{period}-01T00:00:00.000Z"


def units_trend(periods: list[str], sums: dict[str, list[UnitSums]]) -> list[TrendPoint]:
    """The visit score of each period, pooled over the units whose sums are given."""
    trend = []
    for period in periods:
        rows = sums.get(period, [])
        n = sum(s.n for s in rows)
        trend.append(TrendPoint(period=period, score=shown(sum(s.total for s in rows) / n) if n else None, n=n))
    return trend


def person_trend(periods: list[str], scores: dict[str, list[float]]) -> list[TrendPoint]:
    """One person's mean person score of each period."""
    trend = []
    for period in periods:
        values = scores.get(period, [])
        trend.append(
            TrendPoint(period=period, score=shown(sum(values) / len(values)) if values else None, n=len(values))
        )
    return trend


def staff_row(row: MotivationRow) -> StaffRow:
    """A staff table row from the period's motivation row."""
    return StaffRow(
        staff_id=row.staff_id,
        name=row.name,
        position=row.position,
        score=row.score,
        n=row.n,
        coefficient=row.coefficient,
        flags=row.flags,
    )


def standard_row(figure: StandardFigure, titles: Titles) -> StandardRow:
    """A standards table row, titled in the scorecard's language."""
    title, attribution = titles.get(figure.code, (figure.code, "unit"))
    return StandardRow(
        code=figure.code,
        title=title,
        attribution=attribution,
        score=figure.score,
        share_met=figure.share_met,
        n=figure.n,
    )


def _versions(refs: Iterable[ChecklistRef]) -> list[str]:
    return sorted(f"{cid}@{v}" for cid, v in refs)


def _provenance(policy: Policy, refs: Iterable[ChecklistRef], data_as_of: str, time_zone: str) -> dict:
    """What every scorecard states of where its figures come from: checklists, policy, marks, data as of (and
    the organisation's time zone, in which that time is shown)."""
    return {
        "checklist_versions": _versions(refs),
        "green_at": policy.rag.green_at,
        "amber_at": policy.rag.amber_at,
        "data_as_of": data_as_of,
        "policy": _policy_ref(policy),
        "time_zone": time_zone,
    }


def _policy_ref(policy: Policy) -> str:
    return f"{policy.id}@{policy.version}"


def unit_scorecard(
    *,
    lang: str,
    period: str,
    unit: UnitInfo,
    figures: UnitFigures,
    trend: list[TrendPoint],
    titles: Titles,
    failed: list[FailedItem],
    staff: list[StaffRow],
    thumbnails: list[Thumbnail],
    refs: Iterable[ChecklistRef],
    policy: Policy,
    data_as_of: str,
    time_zone: str = "UTC",
    appeals: AppealsBox | None = None,
) -> ScorecardData:
    """The scorecard of one unit (`appeals`: the month's appeals, when some were filed)."""
    return ScorecardData(
        scope="unit",
        lang=lang,
        period=period,
        subject=Subject(unit_id=unit.unit_id, unit_name=unit.name, unit_kind=unit.kind, region=unit.region),
        basis="approved",
        headline=Headline(
            score=figures.visit_score, n=figures.n, previous=figures.previous, change=figures.change, mark=figures.mark
        ),
        trend=trend,
        standards=[standard_row(s, titles) for s in figures.standards],
        failed_items=failed,
        staff=staff,
        thumbnails=thumbnails,
        ranking=[],
        weakest_standards=[],
        **_provenance(policy, refs, data_as_of, time_zone),
        appeals=msgspec.UNSET if appeals is None else appeals,
    )


def staff_scorecard(
    *,
    lang: str,
    period: str,
    person: StaffInfo,
    scores: dict[str, list[float]],
    previous_period: str,
    trend: list[TrendPoint],
    standards: list[StandardFigure],
    titles: Titles,
    failed: list[FailedItem],
    motivation: dict[str, MotivationRow],
    refs: Iterable[ChecklistRef],
    policy: Policy,
    data_as_of: str,
    time_zone: str = "UTC",
) -> ScorecardData:
    """The scorecard of one staff member (person-attributed standards only); `scores` are theirs by period."""
    values = scores.get(period, [])
    before = scores.get(previous_period, [])
    mean = sum(values) / len(values) if values else None
    mean_before = sum(before) / len(before) if before else None
    return ScorecardData(
        scope="staff",
        lang=lang,
        period=period,
        subject=Subject(
            unit_id=person.unit_id,
            unit_name=person.unit_name,
            staff_id=person.staff_id,
            staff_name=person.name,
            position=person.position,
        ),
        basis="approved",
        headline=Headline(
            score=shown(mean),
            n=len(values),
            previous=shown(mean_before),
            change=shown(mean - mean_before) if mean is not None and mean_before is not None else None,
            mark=policy.mark(mean),
        ),
        trend=trend,
        standards=[standard_row(f, titles) for f in standards],
        failed_items=failed,
        staff=[staff_row(motivation[person.staff_id])] if person.staff_id in motivation else [],
        thumbnails=[],
        ranking=[],
        weakest_standards=[],
        **_provenance(policy, refs, data_as_of, time_zone),
    )


def calibration_box(report: CalibrationReport) -> CalibrationBox | None:
    """A calibration report in the counts a network scorecard shows (no auditor named); None without groups."""
    if not report.groups:
        return None
    return CalibrationBox(
        groups=len(report.groups),
        auditors=len(report.auditors),
        below_threshold=sum(1 for a in report.auditors if a.below_threshold),
        min_agreement=report.min_agreement,
        alpha=report.alpha,
    )


def network_scorecard(
    *,
    lang: str,
    period: str,
    kind: str,
    network: NetworkFigures,
    current: list[UnitSums],
    previous: list[UnitSums],
    standards: list[StandardFigure],
    trend: list[TrendPoint],
    titles: Titles,
    refs: Iterable[ChecklistRef],
    policy: Policy,
    data_as_of: str,
    time_zone: str = "UTC",
    calibration: CalibrationReport | None = None,
) -> ScorecardData:
    """The scorecard of all units of one kind: the ranking and the weakest standards (and `calibration`:
    the month's calibration of the kind's checklists, shown in counts when it has groups)."""
    box = calibration_box(calibration) if calibration is not None else None
    prev_n = sum(s.n for s in previous)
    prev_mean = sum(s.total for s in previous) / prev_n if prev_n else None
    now_mean = sum(s.total for s in current) / network.n if network.n else None
    return ScorecardData(
        scope="network",
        lang=lang,
        period=period,
        subject=Subject(unit_kind=kind),
        basis="approved",
        headline=Headline(
            score=network.visit_score,
            n=network.n,
            previous=shown(prev_mean),
            change=shown(now_mean - prev_mean) if now_mean is not None and prev_mean is not None else None,
            mark=policy.mark(now_mean),
        ),
        trend=trend,
        standards=[standard_row(f, titles) for f in standards],
        failed_items=[],
        staff=[],
        thumbnails=[],
        ranking=[
            RankedUnitRow(
                rank=u.rank,
                unit_id=u.unit_id,
                name=u.name,
                region=u.region,
                score=u.visit_score,
                n=u.n,
                change=u.change,
                mark=u.mark,
            )
            for u in network.units
        ],
        weakest_standards=[standard_row(f, titles) for f in network.weakest_standards],
        **_provenance(policy, refs, data_as_of, time_zone),
        calibration=msgspec.UNSET if box is None else box,
    )
