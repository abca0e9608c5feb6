"""Motivation rows per staff member and period, closed-period snapshots and their adjustments.

DESIGN.md, Scoring: the mean person score over approved visits in which the person was
evaluated, `n`, a Student-t interval at the policy's level (null when n < 2), and the coefficient
of the policy's band for the score as shown (2 decimals). Fewer visits than the policy's minimum:
the neutral coefficient and the flag `insufficient_sample`. Rows never say which auditor made a
visit. The interval is clipped to 0..100, the range a score can take.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable

import msgspec

from checklists.canonical import content_hash
from checklists.score import shown
from reports.policy import Policy
from reports.stats import mean_interval


class StaffInfo(msgspec.Struct, kw_only=True, frozen=True):
    staff_id: str
    name: str
    unit_id: str
    unit_name: str
    position: str | None
    active: bool


class MotivationRow(msgspec.Struct, kw_only=True, frozen=True):
    """One staff member's figure for HR (the columns of the CSV and XLSX exports)."""

    staff_id: str
    name: str
    unit_id: str
    unit_name: str
    position: str | None
    score: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    coefficient: float
    policy_id: str
    policy_version: int
    flags: list[str]


class Adjustment(msgspec.Struct, kw_only=True, frozen=True):
    """A change to a closed period's row after it was closed: carried by the next snapshot."""

    period: str
    staff_id: str
    before: MotivationRow | None
    after: MotivationRow | None
    coefficient_change: float


def motivation_rows(
    staff: Iterable[StaffInfo],
    scores: dict[str, list[float]],
    policy: Policy,
    provisional: bool,
    under_appeal: Collection[str] = frozenset(),
) -> list[MotivationRow]:
    """Rows for every active staff member and everyone evaluated, in staff_id order.

    `under_appeal`: the staff evaluated in a visit of the period with an open appeal; their rows
    carry the flag `under_appeal` (a mark, like `provisional`, not a change of the figures).
    """
    rows = []
    for person in sorted(staff, key=lambda s: s.staff_id):
        values = scores.get(person.staff_id, [])
        if not person.active and not values:
            continue
        n = len(values)
        mean = math.fsum(values) / n if n else None
        interval = mean_interval(values, policy.confidence)
        flags = []
        if n < policy.min_visits:
            flags.append("insufficient_sample")
            coefficient = policy.neutral_coefficient
        else:
            coefficient = policy.coefficient(mean)
        if person.staff_id in under_appeal:
            flags.append("under_appeal")
        if provisional:
            flags.append("provisional")
        rows.append(
            MotivationRow(
                staff_id=person.staff_id,
                name=person.name,
                unit_id=person.unit_id,
                unit_name=person.unit_name,
                position=person.position,
                score=shown(mean),
                n=n,
                ci_low=shown(max(0.0, interval[0])) if interval else None,
                ci_high=shown(min(100.0, interval[1])) if interval else None,
                coefficient=coefficient,
                policy_id=policy.id,
                policy_version=policy.version,
                flags=flags,
            )
        )
    return rows


def rows_hash(rows: list[MotivationRow]) -> str:
    """SHA-256 of the canonical rows sorted by staff_id (what a snapshot's hash covers)."""
    ordered = sorted(rows, key=lambda r: r.staff_id)
    return content_hash(msgspec.to_builtins(ordered))


def adjustments(period: str, baseline: list[MotivationRow], current: list[MotivationRow]) -> list[Adjustment]:
    """What changed in a closed period's rows since its baseline (score, n, interval or coefficient)."""
    before = {r.staff_id: r for r in baseline}
    after = {r.staff_id: r for r in current}
    out = []
    for staff_id in sorted(before.keys() | after.keys()):
        old, new = before.get(staff_id), after.get(staff_id)
        if _figures(old) == _figures(new):
            continue
        change = (new.coefficient if new else 0.0) - (old.coefficient if old else 0.0)
        out.append(
            Adjustment(period=period, staff_id=staff_id, before=old, after=new, coefficient_change=shown(change))
        )
    return out


# Flags that mark a row without being part of its figures: a change of them alone is no adjustment.
MARKS = ("provisional", "under_appeal")


def _figures(row: MotivationRow | None) -> tuple | None:
    if row is None:
        return None
    return (
        row.score,
        row.n,
        row.ci_low,
        row.ci_high,
        row.coefficient,
        tuple(f for f in row.flags if f not in MARKS),
    )
