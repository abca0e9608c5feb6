"""Calibration: how far auditors agree when several of them score the same event (pure: ratings in, report out).

A calibration group is one event (a recorded call, a visit's evidence) scored by two auditors or
more; each of them gives every item a value. From those values this module computes:

- per group and item, the share of auditor pairs that agree. Two values agree when they are equal
  (yes/no, choice and scale items), and for durations and numbers when they differ by at most
  INTERVAL_TOLERANCE % of the larger magnitude: 120 s against 130 s agree, 60 s against 90 s do
  not. A relative tolerance because the same rule must serve seconds on site and counts of
  leaflets; exact equality would call two stopwatch readings a second apart a disagreement.
- per pair of auditors, Cohen's kappa over the nominal items both rated (Cohen 1960) and the
  quadratically weighted kappa over the scale items (Cohen 1968; Fleiss and Cohen 1973), the
  scale's order taken from its min..max;
- per level of measurement, Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's
  Alpha-Reliability") with the `krippendorff` library: every (group, item) is a unit, nominal
  for yes/no and choice items, ordinal for scales, interval for durations and numbers;
- per auditor, the share of their pairwise comparisons that agree, and their leniency: the mean
  over their groups of their visit score minus the mean of the others' scores (positive: lenient).

Undefined statistics are None, never a made-up 0 or 1: kappa when every rating falls in one
category (chance agreement is then 1), alpha when the pairable values show no variation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Literal

import msgspec

Level = Literal["nominal", "ordinal", "interval"]
Value = bool | int | float | str
LEVELS: tuple[Level, ...] = ("nominal", "ordinal", "interval")
LEVEL_OF_KIND: dict[str, Level] = {
    "yes_no": "nominal",
    "choice": "nominal",
    "scale": "ordinal",
    "duration": "interval",
    "number": "interval",
}
INTERVAL_TOLERANCE = 10  # percent of the larger magnitude within which two interval values agree


class Base(msgspec.Struct, kw_only=True, frozen=True):
    """Base of the calibration types (the JSON of GET /v1/calibration)."""


class Rating(Base):
    """One auditor's answer to one item of one calibration group (N/A answers are left out by the caller)."""

    group: str  # the calibrated submission id: the event scored by several auditors
    auditor: str
    item: str
    value: Value


class ItemAgreement(Base):
    """One item of one group: each auditor's value and the share of auditor pairs that agree (None: one value)."""

    item: str
    level: Level
    values: dict[str, Value]  # auditor -> value, by auditor
    agreement: float | None


class GroupAgreement(Base):
    """One calibration group: its auditors and its items."""

    group: str
    auditors: list[str]
    items: list[ItemAgreement]


class PairAgreement(Base):
    """Two auditors over the groups they share: kappa over nominal items, weighted kappa over scales."""

    auditor_a: str
    auditor_b: str
    groups: int
    items: int  # items both rated, every level
    kappa: float | None
    weighted_kappa: float | None


class AlphaOut(Base):
    """Krippendorff's alpha of one level of measurement over the pairable units (group, item) and their values."""

    level: Level
    alpha: float | None
    units: int
    values: int


class AuditorAgreement(Base):
    """One auditor against their groups: agreement share, leniency in score points, and the threshold's verdict."""

    auditor: str
    groups: int
    items: int  # the auditor's item values compared with at least one other auditor's
    agreement: float | None
    leniency: float | None
    below_threshold: bool


class CalibrationReport(Base):
    """Everything calibration measures over a set of groups (a checklist and period, as the caller chose)."""

    groups: list[GroupAgreement]
    pairs: list[PairAgreement]
    alpha: list[AlphaOut]
    auditors: list[AuditorAgreement]
    min_agreement: float  # the policy's threshold `below_threshold` was decided with


# ---------------------------------------------------------------- categories


def _key(value: Value) -> tuple[str, Value]:
    """A value's identity as a category: True is not 1 (Python says it is), 1 and 1.0 are one number."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float):
        return ("number", float(value))
    return ("str", value)


def _domain(seen: Iterable[Value], order: Sequence[Value] | None) -> list[Value]:
    """The categories low..high: the sorted union when all are numbers, else `order` then the other values sorted."""
    values = list(order or []) + list(seen)
    if all(_key(v)[0] == "number" for v in values):
        return [v for _, v in sorted({_key(v): v for v in reversed(values)}.items())]
    ordered = {_key(v): v for v in reversed(list(order or []))}  # reversed: the first of equal values is kept
    extra = {_key(v): v for v in seen if _key(v) not in ordered}
    return list(reversed(ordered.values())) + [extra[k] for k in sorted(extra, key=repr)]


def agree(a: Value, b: Value, level: Level) -> bool:
    """Whether two values of an item agree: equal, or for interval items within INTERVAL_TOLERANCE %."""
    if level == "interval" and _key(a)[0] == _key(b)[0] == "number":
        return abs(a - b) * 100 <= INTERVAL_TOLERANCE * max(abs(a), abs(b))  # type: ignore[operator]
    return _key(a) == _key(b)


# ---------------------------------------------------------------- the coefficients


def cohen_kappa(
    pairs: Sequence[tuple[Value, Value]],
    weights: Literal["linear", "quadratic"] | None = None,
    order: Sequence[Value] | None = None,
) -> float | None:
    """Cohen's kappa of two raters' (a, b) values, weighted by category distance for scales; None when undefined.

    kappa = 1 - observed disagreement / disagreement expected from the raters' own marginals, with
    disagreement weights 1 off the diagonal (unweighted), |i - j| (linear) or (i - j)^2 (quadratic)
    on the positions in `order` (the normalisation by k - 1 cancels). Computed in fractions, so a
    perfect agreement gives exactly 1 and an agreement at chance exactly 0. None for no pairs, or
    when every value falls in one category (the chance agreement is 1 and nothing can be said).
    """
    if not pairs:
        return None
    categories = _domain([v for pair in pairs for v in pair], order if weights else None)
    index = {_key(v): i for i, v in enumerate(categories)}
    k = len(categories)
    table = [[0] * k for _ in range(k)]
    for a, b in pairs:
        table[index[_key(a)]][index[_key(b)]] += 1
    rows = [sum(row) for row in table]
    cols = [sum(table[i][j] for i in range(k)) for j in range(k)]

    def weight(i: int, j: int) -> int:
        if weights == "linear":
            return abs(i - j)
        if weights == "quadratic":
            return (i - j) ** 2
        return int(i != j)

    cells = list(itertools.product(range(k), repeat=2))
    observed = sum(weight(i, j) * table[i][j] for i, j in cells)  # x n
    expected = sum(weight(i, j) * rows[i] * cols[j] for i, j in cells)  # x n^2
    if expected == 0:
        return None
    return float(1 - Fraction(observed * len(pairs), expected))


def krippendorff_alpha(
    units: Sequence[Sequence[Value]], level: Level, order: Sequence[Value] | None = None
) -> float | None:
    """Krippendorff's alpha of units, each the values its coders gave it; None when undefined.

    Units with fewer than two values cannot be paired and are left out; `order` (ordinal only)
    names the categories low..high. None when the pairable values show no variation (expected
    disagreement 0: alpha is undefined, not 1).
    """
    pairable = [list(u) for u in units if len(u) >= 2]
    seen = [v for u in pairable for v in u]
    if len({_key(v) for v in seen}) < 2:
        return None
    if level == "interval" and any(_key(v)[0] != "number" for v in seen):
        raise ValueError("interval values must be numbers")
    # Imported here: numpy costs a noticeable start-up time to every process that only renders or pushes.
    import krippendorff
    import numpy as np

    categories = _domain(seen, order if level == "ordinal" else None)
    index = {_key(v): i for i, v in enumerate(categories)}
    counts = np.zeros((len(pairable), len(categories)), dtype=np.int64)
    for row, unit in enumerate(pairable):
        for v in unit:
            counts[row, index[_key(v)]] += 1
    # The nominal and ordinal metrics read only category positions and frequencies; interval reads the values.
    domain = [float(v) for v in categories] if level == "interval" else list(range(len(categories)))  # type: ignore[arg-type]
    return float(krippendorff.alpha(value_counts=counts, value_domain=domain, level_of_measurement=level))


# ---------------------------------------------------------------- the report


def _share(flags: Sequence[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _pooled_order(items: Iterable[str], orders: Mapping[str, Sequence[Value]]) -> list[Value]:
    """One order for several scale items pooled in one statistic: their orders' union (numbers sorted)."""
    return list(dict.fromkeys(v for item in sorted(set(items)) for v in orders.get(item, ())))


def calibration_report(
    ratings: Sequence[Rating],
    levels: Mapping[str, Level],
    orders: Mapping[str, Sequence[Value]],
    scores: Mapping[tuple[str, str], float | None],
    min_agreement: float,
) -> CalibrationReport:
    """Agreement per group and item, kappa per pair, alpha per level and agreement and leniency per auditor.

    `levels`: each item's level of measurement (items not named are left out); `orders`: each scale
    item's values low..high; `scores[(group, auditor)]`: that auditor's visit score (0-100) of the
    group's event. A group's auditors are those with a rating or a score in it; a group with fewer
    than two is no calibration and is left out. A repeated (group, auditor, item) keeps the last; a value
    an interval item cannot take (not a number) is left out.
    """
    values: dict[str, dict[str, dict[str, Value]]] = {}  # group -> item -> auditor -> value
    members: dict[str, set[str]] = {}
    for r in ratings:
        # an item without a level, or a duration that is no number, cannot be compared: left out
        if r.item in levels and (levels[r.item] != "interval" or _key(r.value)[0] == "number"):
            values.setdefault(r.group, {}).setdefault(r.item, {})[r.auditor] = r.value
            members.setdefault(r.group, set()).add(r.auditor)
    for group, auditor in scores:
        members.setdefault(group, set()).add(auditor)
    groups = sorted(g for g, m in members.items() if len(m) >= 2)

    out_groups: list[GroupAgreement] = []
    compared: dict[str, list[bool]] = {}  # auditor -> each pairwise comparison's verdict
    compared_items: dict[str, int] = {}
    pair_groups: dict[tuple[str, str], int] = {}
    pair_items: dict[tuple[str, str], int] = {}
    nominal: dict[tuple[str, str], list[tuple[Value, Value]]] = {}
    ordinal: dict[tuple[str, str], list[tuple[str, Value, Value]]] = {}
    units: dict[Level, list[list[Value]]] = {}
    unit_items: dict[Level, set[str]] = {}
    for group in groups:
        auditors = sorted(members[group])
        for pair in itertools.combinations(auditors, 2):
            pair_groups[pair] = pair_groups.get(pair, 0) + 1
        items = []
        for item in sorted(values.get(group, {})):
            level = levels[item]
            given = {a: values[group][item][a] for a in sorted(values[group][item])}
            verdicts = []
            for a, b in itertools.combinations(given, 2):
                same = agree(given[a], given[b], level)
                verdicts.append(same)
                compared.setdefault(a, []).append(same)
                compared.setdefault(b, []).append(same)
                pair_items[(a, b)] = pair_items.get((a, b), 0) + 1
                if level == "nominal":
                    nominal.setdefault((a, b), []).append((given[a], given[b]))
                elif level == "ordinal":
                    ordinal.setdefault((a, b), []).append((item, given[a], given[b]))
            if len(given) >= 2:
                for a in given:
                    compared_items[a] = compared_items.get(a, 0) + 1
            units.setdefault(level, []).append(list(given.values()))
            unit_items.setdefault(level, set()).add(item)
            items.append(ItemAgreement(item=item, level=level, values=given, agreement=_share(verdicts)))
        out_groups.append(GroupAgreement(group=group, auditors=auditors, items=items))

    pairs = []
    for pair in sorted(pair_groups):
        scales = ordinal.get(pair, [])
        pairs.append(
            PairAgreement(
                auditor_a=pair[0],
                auditor_b=pair[1],
                groups=pair_groups[pair],
                items=pair_items.get(pair, 0),
                kappa=cohen_kappa(nominal.get(pair, [])),
                weighted_kappa=cohen_kappa(
                    [(a, b) for _, a, b in scales], "quadratic", _pooled_order((i for i, _, _ in scales), orders)
                ),
            )
        )

    alpha = []
    for level in LEVELS:
        if level not in units:
            continue
        pairable = [u for u in units[level] if len(u) >= 2]
        order = _pooled_order(unit_items[level], orders) if level == "ordinal" else None
        alpha.append(
            AlphaOut(
                level=level,
                alpha=krippendorff_alpha(pairable, level, order),
                units=len(pairable),
                values=sum(len(u) for u in pairable),
            )
        )

    auditors = []
    for auditor in sorted({a for g in groups for a in members[g]}):
        mine = [g for g in groups if auditor in members[g]]
        agreement = _share(compared.get(auditor, []))
        auditors.append(
            AuditorAgreement(
                auditor=auditor,
                groups=len(mine),
                items=compared_items.get(auditor, 0),
                agreement=agreement,
                leniency=_leniency(auditor, mine, members, scores),
                below_threshold=agreement is not None and agreement < min_agreement,
            )
        )
    return CalibrationReport(
        groups=out_groups, pairs=pairs, alpha=alpha, auditors=auditors, min_agreement=min_agreement
    )


def _leniency(
    auditor: str, groups: Sequence[str], members: Mapping[str, set[str]], scores: Mapping[tuple[str, str], float | None]
) -> float | None:
    """Mean over the groups of (own score - mean of the others' scores); groups without both are skipped."""
    differences = []
    for group in groups:
        own = scores.get((group, auditor))
        others = [s for a in sorted(members[group] - {auditor}) if (s := scores.get((group, a))) is not None]
        if own is not None and others:
            differences.append(own - sum(others) / len(others))
    return sum(differences) / len(differences) if differences else None
