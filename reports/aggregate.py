"""Unit, standard, staff and network figures for a period: pure functions over grouped rows.

The database groups (sums and counts per unit, per unit and standard, per staff member); these
functions turn the sums into the figures of DESIGN.md — means, shares, `n` beside every figure,
the change against the previous period — rounded once, here, where they are shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec

from checklists.score import shown
from reports.policy import Policy


class UnitSums(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """Visit scores of one unit in a period: their sum and count."""

    unit_id: str
    total: float
    n: int


class StandardSums(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """One standard in one unit (or the network): sum of scores in [0, 1], visits, visits met."""

    unit_id: str
    code: str
    total: float
    n: int
    met: int


def sum_standards(visits: Iterable[tuple[str, Iterable[tuple[str, float, int]]]]) -> list[StandardSums]:
    """Per unit and standard over visits given as (unit_id, [(code, raw score, met 0/1), ...]).

    Sums are exact (`math.fsum`), so they do not depend on the order the visits are read in.
    Sorted by unit, then code. Visits of one checklist version list the same codes, so they are
    summed column by column.
    """
    shapes: dict[tuple[str, tuple[str, ...]], tuple[list, list]] = {}
    for unit_id, standards in visits:
        if not standards:
            continue
        codes, scores, met = zip(*standards, strict=True)
        rows = shapes.get((unit_id, codes))
        if rows is None:
            shapes[unit_id, codes] = ([scores], [met])
        else:
            rows[0].append(scores)
            rows[1].append(met)
    columns: dict[tuple[str, str], list] = {}  # (unit, code) -> [scores, visits met]
    for (unit_id, codes), (score_rows, met_rows) in shapes.items():
        for code, scores, met in zip(codes, zip(*score_rows, strict=True), zip(*met_rows, strict=True), strict=True):
            column = columns.get((unit_id, code))
            if column is None:
                columns[unit_id, code] = [list(scores), sum(met)]
            else:
                column[0].extend(scores)
                column[1] += sum(met)
    return [
        StandardSums(unit_id=u, code=c, total=math.fsum(scores), n=len(scores), met=met)
        for (u, c), (scores, met) in sorted(columns.items())
    ]


class UnitInfo(msgspec.Struct, kw_only=True, frozen=True):
    unit_id: str
    kind: str
    name: str
    region: str


class StandardFigure(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """A standard's mean score (0-100) and the share of visits (%) that met it, over `n` visits."""

    code: str
    score: float | None
    share_met: float | None
    n: int


class UnitFigures(msgspec.Struct, kw_only=True, frozen=True):
    unit_id: str
    name: str
    region: str
    kind: str
    visit_score: float | None
    n: int
    previous: float | None
    previous_n: int
    change: float | None
    mark: str | None
    standards: list[StandardFigure]


class RankedUnit(msgspec.Struct, kw_only=True, frozen=True):
    rank: int | None
    unit_id: str
    name: str
    region: str
    visit_score: float | None
    n: int
    change: float | None
    mark: str | None


class NetworkFigures(msgspec.Struct, kw_only=True, frozen=True):
    """All units of one kind ranked, and the standards met least often across the network."""

    kind: str
    visit_score: float | None
    n: int
    units: list[RankedUnit]
    weakest_standards: list[StandardFigure]


def _mean(total: float, n: int) -> float | None:
    return total / n if n else None


def standard_figure(code: str, total: float, n: int, met: int) -> StandardFigure:
    """One standard's figures from its sums."""
    return StandardFigure(
        code=code,
        score=shown(100 * total / n) if n else None,
        share_met=shown(100 * met / n) if n else None,
        n=n,
    )


def unit_figures(
    units: Iterable[UnitInfo],
    current: Iterable[UnitSums],
    previous: Iterable[UnitSums],
    standards: Iterable[StandardSums],
    policy: Policy | None,
) -> list[UnitFigures]:
    """Per unit: mean visit score, n, the change against the previous period, per standard figures."""
    now = {s.unit_id: s for s in current}
    before = {s.unit_id: s for s in previous}
    by_unit: dict[str, list[StandardSums]] = {}
    for s in standards:  # each unit's standards are put in code order below
        by_unit.setdefault(s.unit_id, []).append(s)
    out = []
    for unit in sorted(units, key=lambda u: u.unit_id):
        cur, prev = now.get(unit.unit_id), before.get(unit.unit_id)
        mean_now = _mean(cur.total, cur.n) if cur else None
        mean_prev = _mean(prev.total, prev.n) if prev else None
        change = shown(mean_now - mean_prev) if mean_now is not None and mean_prev is not None else None
        out.append(
            UnitFigures(
                unit_id=unit.unit_id,
                name=unit.name,
                region=unit.region,
                kind=unit.kind,
                visit_score=shown(mean_now),
                n=cur.n if cur else 0,
                previous=shown(mean_prev),
                previous_n=prev.n if prev else 0,
                change=change,
                mark=policy.mark(mean_now) if policy else None,
                standards=[
                    standard_figure(s.code, s.total, s.n, s.met)
                    for s in sorted(by_unit.get(unit.unit_id, []), key=lambda s: s.code)
                ],
            )
        )
    return out


def pooled_standard_figures(standards: Iterable[StandardSums]) -> list[StandardFigure]:
    """Each standard over all the given units' visits (pooled sums, not a mean of unit means)."""
    totals: dict[str, list[float]] = {}
    for s in standards:
        acc = totals.setdefault(s.code, [0.0, 0, 0])
        acc[0] += s.total
        acc[1] += s.n
        acc[2] += s.met
    return [standard_figure(code, t, int(n), int(m)) for code, (t, n, m) in sorted(totals.items())]


def network_figures(
    kind: str,
    units: list[UnitFigures],
    current: Iterable[UnitSums],
    standards: Iterable[StandardSums],
    weakest: int = 10,
) -> NetworkFigures:
    """Rank the units of one kind by visit score (ties share a rank; units without visits last)."""
    scored = sorted((u for u in units if u.visit_score is not None), key=lambda u: (-u.visit_score, u.unit_id))
    ranked: list[RankedUnit] = []
    for position, unit in enumerate(scored, start=1):
        rank = ranked[-1].rank if ranked and ranked[-1].visit_score == unit.visit_score else position
        ranked.append(_ranked(unit, rank))
    ranked += [_ranked(u, None) for u in units if u.visit_score is None]
    figures = [f for f in pooled_standard_figures(standards) if f.n]
    figures.sort(key=lambda f: (f.share_met, f.score, f.code))
    sums = list(current)
    total_n = sum(s.n for s in sums)
    network_mean = shown(sum(s.total for s in sums) / total_n) if total_n else None
    return NetworkFigures(
        kind=kind, visit_score=network_mean, n=total_n, units=ranked, weakest_standards=figures[:weakest]
    )


def _ranked(unit: UnitFigures, rank: int | None) -> RankedUnit:
    return RankedUnit(
        rank=rank,
        unit_id=unit.unit_id,
        name=unit.name,
        region=unit.region,
        visit_score=unit.visit_score,
        n=unit.n,
        change=unit.change,
        mark=unit.mark,
    )


class RegionFigures(msgspec.Struct, kw_only=True, frozen=True):
    """One region's units of a period: how many, their visits, the pooled visit score and its change."""

    region: str
    units: int
    n: int
    visit_score: float | None
    previous: float | None
    previous_n: int
    change: float | None
    mark: str | None


def region_figures(
    units: Iterable[UnitInfo], current: Iterable[UnitSums], previous: Iterable[UnitSums], policy: Policy | None
) -> list[RegionFigures]:
    """Per region of the given units: unit count, visits, mean visit score, change, mark; by region name.

    The mean is pooled over the region's visits (the sum of visit scores over the number of
    visits), the way the network figure is (`network_figures`): a region's figure is then its
    visits' figure, and a unit with many visits weighs more than one with a few, as in the
    network's. It is not the mean of unit means, which would let a unit of two visits count as
    much as one of two hundred. Sums of units outside `units` are ignored; a region whose units
    had no visits has n 0 and no score.
    """
    region_of = {u.unit_id: u.region for u in units}
    counts: dict[str, int] = {}
    for region in region_of.values():
        counts[region] = counts.get(region, 0) + 1

    def pooled(sums: Iterable[UnitSums]) -> dict[str, tuple[float, int]]:
        acc: dict[str, tuple[float, int]] = {}
        for s in sums:  # added in the given order, as `network_figures` adds them
            region = region_of.get(s.unit_id)
            if region is not None and s.n:
                total, n = acc.get(region, (0.0, 0))
                acc[region] = (total + s.total, n + s.n)
        return acc

    now, before = pooled(current), pooled(previous)
    out = []
    for region in sorted(counts):
        total, n = now.get(region, (0.0, 0))
        prev_total, prev_n = before.get(region, (0.0, 0))
        mean, mean_prev = _mean(total, n), _mean(prev_total, prev_n)
        out.append(
            RegionFigures(
                region=region,
                units=counts[region],
                n=n,
                visit_score=shown(mean),
                previous=shown(mean_prev),
                previous_n=prev_n,
                change=shown(mean - mean_prev) if mean is not None and mean_prev is not None else None,
                mark=policy.mark(mean) if policy else None,
            )
        )
    return out
