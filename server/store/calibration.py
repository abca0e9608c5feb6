"""The reads behind calibration: the visits scored twice, as the ratings `reports.calibration` measures.

A calibration group is a submitted visit (the original, of the period) with the submitted visits
that score the same event again: those whose view `calibrates` it (`submission_views.calibrates`)
and those made for an assignment whose `calibration_of` is the original's assignment. Each
auditor counts once per group: the original's auditor first, then the calibrating visits in
submission id order (a second scoring by the same auditor measures nothing about agreement).
Answers come from the merged views (the stored documents); N/A and empty answers are left out,
and only the item kinds with a level of measurement (`LEVEL_OF_KIND`) are rated.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from checklists.model import Checklist
from reports.calibration import LEVEL_OF_KIND, CalibrationReport, Level, Rating, Value, calibration_report
from server.db import snapshot
from server.store.views import view_documents

# The statuses of a visit whose answers are final enough to compare: submitted, not rejected, and
# not waiting for its evidence (whose scoring may still change when the photos come).
SUBMITTED = ("received", "needs_review", "approved")
_IN_SUBMITTED = "(" + ", ".join("?" * len(SUBMITTED)) + ")"


class CalibrationInput(msgspec.Struct, kw_only=True, frozen=True):
    """What `calibration_report` measures, for one checklist or for all of them pooled."""

    ratings: list[Rating]
    levels: dict[str, Level]
    orders: dict[str, list[Value]]
    scores: dict[tuple[str, str], float | None]  # (group, auditor) -> that auditor's visit score
    # For pages that show the groups: (group, auditor) -> that auditor's submission, and group ->
    # the original visit's (unit_id, corrected_start, checklist version).
    visits: dict[tuple[str, str], str] = {}
    events: dict[str, tuple[str | None, str | None, int]] = {}


class _Member(msgspec.Struct, kw_only=True, frozen=True):
    original: str
    member: str
    checklist_id: str


def _members(c: sqlite3.Connection, period: str, checklist_id: str | None) -> list[_Member]:
    """(original, calibrating visit) of every group whose original is in the period."""
    # Both sides submitted, the same checklist, and an original that is not itself a second scoring.
    where = (
        f"o.period = ? AND o.status IN {_IN_SUBMITTED} AND o.calibrates IS NULL"
        f" AND k.status IN {_IN_SUBMITTED} AND k.checklist_id = o.checklist_id"
        " AND k.submission_id <> o.submission_id"
    )
    params: list = [period, *SUBMITTED, *SUBMITTED]
    if checklist_id is not None:
        where += " AND o.checklist_id = ?"
        params.append(checklist_id)
    sql = (
        "SELECT o.submission_id AS original, k.submission_id AS member, o.checklist_id AS checklist_id"
        " FROM submission_views o JOIN submission_views k ON k.calibrates = o.submission_id"
        f" WHERE {where}"
        " UNION"
        " SELECT o.submission_id AS original, k.submission_id AS member, o.checklist_id AS checklist_id"
        " FROM submission_views o"
        " JOIN assignments a ON a.calibration_of = o.assignment_id"
        " JOIN submission_views k ON k.assignment_id = a.assignment_id"
        f" WHERE {where}"
    )
    rows = c.execute(sql, [*params, *params]).fetchall()
    found = {(r["original"], r["member"], r["checklist_id"]) for r in rows}
    return [_Member(original=o, member=m, checklist_id=cl) for o, m, cl in sorted(found)]


def checklist_versions(c: sqlite3.Connection, refs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Checklist]:
    """The published checklist versions named (those that exist)."""
    out = {}
    for checklist_id, version in sorted(set(refs)):
        row = c.execute(
            "SELECT body FROM checklist_versions WHERE checklist_id = ? AND version = ?", (checklist_id, version)
        ).fetchone()
        if row is not None:
            out[(checklist_id, version)] = msgspec.json.decode(row["body"], type=Checklist)
    return out


def inputs_of(c: sqlite3.Connection, period: str, checklist_id: str | None) -> dict[str, CalibrationInput]:
    """checklist_id -> the ratings of its groups of the period (checklists without groups are absent).

    Reads several tables: call it inside a snapshot (`calibration_inputs` is this in one).
    """
    members = _members(c, period, checklist_id)
    if not members:
        return {}
    docs = view_documents(c, {m.original for m in members} | {m.member for m in members})
    refs = {(d.checklist.id, d.checklist.version) for d in docs.values() if d.checklist and d.checklist.version}
    versions = checklist_versions(c, refs)
    by_group: dict[tuple[str, str], list[str]] = {}
    for m in members:
        by_group.setdefault((m.checklist_id, m.original), []).append(m.member)
    ratings: dict[str, list[Rating]] = {}
    levels: dict[str, dict[str, Level]] = {}
    orders: dict[str, dict[str, set[Value]]] = {}
    scores: dict[str, dict[tuple[str, str], float | None]] = {}
    visits: dict[str, dict[tuple[str, str], str]] = {}
    events: dict[str, dict[str, tuple[str | None, str | None, int]]] = {}
    for (cl_id, original), calibrating in sorted(by_group.items()):
        first = docs.get(original)
        if first is None or first.checklist is None or first.view is None:
            continue
        checklist = versions.get((first.checklist.id, first.checklist.version or 0))
        if checklist is None:
            continue
        kinds = {}
        for standard in checklist.standards:
            for item in standard.items:
                if item.kind in LEVEL_OF_KIND:
                    kinds[item.id] = item.kind
                    levels.setdefault(cl_id, {})[item.id] = LEVEL_OF_KIND[item.kind]
                    if item.kind == "scale" and item.min is not None and item.max is not None:
                        orders.setdefault(cl_id, {}).setdefault(item.id, set()).update(range(item.min, item.max + 1))
        events.setdefault(cl_id, {})[original] = (first.view.unit_id, first.corrected_start, checklist.version)
        seen: set[str] = set()
        for sub in [original, *sorted(calibrating)]:
            doc = docs.get(sub)
            if doc is None or doc.view is None or doc.auditor in seen:
                continue
            seen.add(doc.auditor)
            for answer in doc.view.answers:
                if answer.na or answer.value is None or answer.item not in kinds:
                    continue
                ratings.setdefault(cl_id, []).append(
                    Rating(group=original, auditor=doc.auditor, item=answer.item, value=answer.value)
                )
            scores.setdefault(cl_id, {})[(original, doc.auditor)] = doc.scores.visit if doc.scores else None
            visits.setdefault(cl_id, {})[(original, doc.auditor)] = sub
    return {
        cl_id: CalibrationInput(
            ratings=rated,
            levels=levels.get(cl_id, {}),
            orders={item: sorted(values) for item, values in orders.get(cl_id, {}).items()},
            scores=scores.get(cl_id, {}),
            visits=visits.get(cl_id, {}),
            events=events.get(cl_id, {}),
        )
        for cl_id, rated in sorted(ratings.items())
    }


def calibration_inputs(c: sqlite3.Connection, period: str, checklist_id: str | None) -> dict[str, CalibrationInput]:
    """checklist_id -> the ratings of its calibration groups whose original visit is in `period`."""
    with snapshot(c):
        return inputs_of(c, period, checklist_id)


def pooled(inputs: dict[str, CalibrationInput]) -> CalibrationInput:
    """Every checklist's ratings as one set: items named `checklist/item`, so one id in two checklists stays two."""
    ratings, levels, orders, scores = [], {}, {}, {}
    for cl_id, one in sorted(inputs.items()):
        ratings += [
            Rating(group=r.group, auditor=r.auditor, item=f"{cl_id}/{r.item}", value=r.value) for r in one.ratings
        ]
        levels |= {f"{cl_id}/{item}": level for item, level in one.levels.items()}
        orders |= {f"{cl_id}/{item}": order for item, order in one.orders.items()}
        scores |= one.scores  # groups are submission ids: no two checklists share one
    return CalibrationInput(ratings=ratings, levels=levels, orders=orders, scores=scores)


def report_of(one: CalibrationInput, min_agreement: float) -> CalibrationReport:
    """The calibration statistics of one set of ratings."""
    return calibration_report(one.ratings, one.levels, one.orders, one.scores, min_agreement)


def calibration_reports(
    c: sqlite3.Connection, period: str, checklist_id: str | None, min_agreement: float
) -> dict[str, CalibrationReport]:
    """checklist_id -> its calibration statistics over the period (only checklists with groups)."""
    reports = {
        cl_id: report_of(one, min_agreement) for cl_id, one in calibration_inputs(c, period, checklist_id).items()
    }
    # A group whose second scorings were all by its own auditor compares nothing: the report leaves it out.
    return {cl_id: report for cl_id, report in reports.items() if report.groups}


def network_report(
    c: sqlite3.Connection, period: str, kind: str | None, min_agreement: float
) -> CalibrationReport | None:
    """The period's groups of the checklists for one unit kind (or all) pooled, as the network
    scorecard shows them; None without groups."""
    with snapshot(c):
        inputs = inputs_of(c, period, None)
        if kind is not None:
            rows = c.execute("SELECT DISTINCT checklist_id FROM checklist_versions WHERE unit_kind = ?", (kind,))
            of_kind = {r["checklist_id"] for r in rows.fetchall()}
            inputs = {cl_id: one for cl_id, one in inputs.items() if cl_id in of_kind}
    report = report_of(pooled(inputs), min_agreement) if inputs else None
    return report if report is not None and report.groups else None


def agreement_of(c: sqlite3.Connection, period: str) -> dict[str, float | None]:
    """`agreement_by_auditor` inside the caller's snapshot."""
    inputs = inputs_of(c, period, None)
    if not inputs:
        return {}
    # The threshold does not change an agreement, only the mark beside it.
    return {a.auditor: a.agreement for a in report_of(pooled(inputs), 0.0).auditors}


def agreement_by_auditor(c: sqlite3.Connection, period: str) -> dict[str, float | None]:
    """auditor -> the share of their item comparisons in the period's groups (every checklist) that agree."""
    with snapshot(c):
        return agreement_of(c, period)


def agreement_by_month(c: sqlite3.Connection, months: list[str]) -> dict[str, dict[str, float | None]]:
    """auditor -> month -> agreement, over the months given (a month without their groups is absent)."""
    out: dict[str, dict[str, float | None]] = {}
    with snapshot(c):
        for month in months:
            for auditor, agreement in agreement_of(c, month).items():
                out.setdefault(auditor, {})[month] = agreement
    return dict(sorted(out.items()))


def checklists_with_groups(c: sqlite3.Connection, months: list[str]) -> list[str]:
    """The checklists that have calibration groups in any of the months (the console's choice)."""
    return sorted({m.checklist_id for month in months for m in _members(c, month, None)})


def latest_checklists(c: sqlite3.Connection, checklist_ids: Iterable[str]) -> dict[str, Checklist]:
    """The latest published version of each of the checklists (for their titles)."""
    out = {}
    for checklist_id in sorted(set(checklist_ids)):
        row = c.execute(
            "SELECT body FROM checklist_versions WHERE checklist_id = ? ORDER BY version DESC LIMIT 1", (checklist_id,)
        ).fetchone()
        if row is not None:
            out[checklist_id] = msgspec.json.decode(row["body"], type=Checklist)
    return out
