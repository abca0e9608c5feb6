"""Scoring of one visit, exactly as DESIGN.md's Scoring section defines it.

Pure: a checklist version and the answers in, the scores out. Scores stay floats; they are
rounded once, by `shown`, where a figure is shown, exported or compared with a band.

Readings of the rules where DESIGN.md is terse, so that every caller agrees:
- An item with no answer (value null and not N/A) is left out of the numerator and the
  denominator, as N/A is. In a submitted visit a required item without an answer never gets
  here: the revision is quarantined first (see `answer_problems`).
- An N/A mark counts only where the item allows N/A; on any other item the mark is ignored and
  the item counts as unanswered (so a required one quarantines a submitted visit).
- A failed `critical = "zero"` item zeroes the visit score whatever its standard, and the
  person score only when its standard is person-attributed. A failed `critical = "flag"` item
  leaves the scores and is listed in `flags`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

import msgspec

from checklists.model import Checklist, Item, Standard
from checklists.validate import Problem

Scalar = None | bool | int | float | str

_CENT = Decimal("0.01")


# Below this magnitude x * 100 is off from the exact hundredfold of x's shortest decimal form by
# at most ~1.5 units in its last place (under 1e-7), far inside `_NEAR_HALF`.
_FAST_LIMIT = 1e6
_NEAR_HALF = 1e-6


def shown(x: float | None) -> float | None:
    """Round a figure once for showing: 2 decimals, half up on its shortest decimal form.

    The definition is `rounded_decimal`. A figure whose hundredfold is not within `_NEAR_HALF`
    of a half lies on the same side of every rounding boundary as its decimal form, so the
    nearest integer of x * 100, over 100 (a correctly rounded division, so the float nearest
    to that decimal) is the same number, several times faster than a Decimal: a page of 500 units ×
    30 standards rounds 30,000 figures. Near a half, and beyond the limit, the decimal decides.
    """
    if x is None:
        return None
    if -_FAST_LIMIT < x < _FAST_LIMIT:
        hundredfold = x * 100.0
        whole = math.floor(hundredfold)
        if abs(hundredfold - whole - 0.5) >= _NEAR_HALF:
            cents = whole + 1 if hundredfold - whole > 0.5 else whole
            return cents / 100 if cents else math.copysign(0.0, x)  # -0.001 is shown as -0.0, as Decimal does
    return rounded_decimal(x)


def rounded_decimal(x: float) -> float:
    """2 decimals, half up on the shortest decimal form of `x` (`repr`): the rule, by Decimal."""
    return float(Decimal(repr(x)).quantize(_CENT, ROUND_HALF_UP))


class ChecklistIndex:
    """A checklist version with its items indexed by id; build once per version and reuse."""

    __slots__ = ("checklist", "items", "required", "scored", "standard_of")

    def __init__(self, checklist: Checklist) -> None:
        self.checklist = checklist
        self.items: dict[str, Item] = {}
        self.standard_of: dict[str, Standard] = {}
        # Scored items with their standard's code (what every visit's scoring looks up).
        self.scored: dict[str, tuple[Item, str]] = {}
        for standard in checklist.standards:
            for item in standard.items:
                self.items[item.id] = item
                self.standard_of[item.id] = standard
                if item.scored:
                    self.scored[item.id] = (item, standard.code)
        self.required = [item_id for item_id, item in self.items.items() if item.required]


class StandardScore(msgspec.Struct, frozen=True, kw_only=True):
    """One standard in one visit: its score in [0, 1] and whether every applicable item passed."""

    code: str
    attribution: str
    score: float
    met: bool
    weight: float


class VisitScore(msgspec.Struct, frozen=True, kw_only=True):
    """The scores of one visit: visit and person score (0-100 or None), per standard, criticals."""

    visit: float | None
    person: float | None
    standards: list[StandardScore]
    critical_failed: list[str]
    flags: list[str]


def item_score(item: Item, value: Scalar) -> tuple[float, bool]:
    """The score `s` in [0, 1] of one answered, scored item and whether it passes."""
    if item.kind == "yes_no":
        passing = True if item.pass_answer is None else item.pass_answer
        s = 1.0 if value is passing else 0.0
        return s, s == 1.0
    if item.kind == "scale":
        lo, hi = item.min, item.max
        assert lo is not None and hi is not None and isinstance(value, int | float)
        pass_at = hi if item.pass_at is None else item.pass_at
        return (value - lo) / (hi - lo), value >= pass_at
    if item.kind == "duration":
        limit = item.limit_s
        assert limit is not None and isinstance(value, int | float)
        if value <= limit:
            return 1.0, True
        zero_at = item.zero_at_s
        if zero_at is not None and value < zero_at:
            return (zero_at - value) / (zero_at - limit), False
        return 0.0, False
    if item.kind == "choice":
        for option in item.options or ():
            if option.id == value:
                return option.score, option.score == 1.0
        raise ValueError(f"unknown option {value!r} for item {item.id}")
    raise ValueError(f"item kind {item.kind!r} is not scored")


def is_answered(item: Item, value: Scalar, na: bool) -> bool:
    """True when the item has an answer that counts: a value, or N/A where N/A is allowed."""
    return value is not None or (na and item.na_allowed)


def score_visit(index: ChecklistIndex, answers: Mapping[str, tuple[Scalar, bool]]) -> VisitScore:
    """Score one visit from its answers: item id -> (value, na)."""
    sums: dict[str, list[float]] = {}  # code -> [sum w*s, sum w]
    met: dict[str, bool] = {}
    critical_failed: list[str] = []
    flags: list[str] = []
    scored = index.scored
    for item_id, (value, na) in answers.items():
        entry = scored.get(item_id)
        if entry is None or value is None:
            continue
        item, code = entry
        if na and item.na_allowed:
            continue
        s, passes = item_score(item, value)
        acc = sums.setdefault(code, [0.0, 0.0])
        acc[0] += item.weight * s
        acc[1] += item.weight
        met[code] = met.get(code, True) and passes
        if not passes and item.critical == "zero":
            critical_failed.append(item_id)
        elif not passes and item.critical == "flag":
            flags.append(item_id)
    standards = [
        StandardScore(
            code=st.code,
            attribution=st.attribution,
            score=sums[st.code][0] / sums[st.code][1],
            met=met[st.code],
            weight=st.weight,
        )
        for st in index.checklist.standards
        if st.code in sums
    ]
    zero_visit = bool(critical_failed)
    zero_person = any(index.standard_of[i].attribution == "person" for i in critical_failed)
    return VisitScore(
        visit=_weighted(standards, None, zero_visit),
        person=_weighted(standards, "person", zero_person),
        standards=standards,
        critical_failed=sorted(critical_failed),
        flags=sorted(flags),
    )


def _weighted(standards: Iterable[StandardScore], attribution: str | None, zero: bool) -> float | None:
    num = den = 0.0
    for st in standards:
        if attribution is None or st.attribution == attribution:
            num += st.weight * st.score
            den += st.weight
    if den == 0:
        return None
    return 0.0 if zero else 100.0 * num / den


def answer_problems(
    index: ChecklistIndex,
    answers: Iterable[tuple[str, Scalar, bool]],
    submitted: bool,
    path: str = "answers",
) -> list[Problem]:
    """Why these answers cannot be scored with this version (empty when they can).

    `answers` are (item id, value, na) in the order sent; the path of a problem names the
    position, e.g. `answers[3].value`.
    """
    problems: list[Problem] = []
    seen: set[str] = set()
    answered: set[str] = set()
    items = index.items
    for i, (item_id, value, na) in enumerate(answers):
        item = items.get(item_id)
        if item is None:
            problems.append(
                Problem(path=f"{path}[{i}].item", message=f"item {item_id!r} is not in this checklist version")
            )
            continue
        if item_id in seen:
            problems.append(Problem(path=f"{path}[{i}].item", message=f"item {item_id!r} is answered twice"))
            continue
        seen.add(item_id)
        if is_answered(item, value, na):
            answered.add(item_id)
        if na and value is not None:
            problems.append(Problem(path=f"{path}[{i}].value", message="an answer marked N/A cannot carry a value"))
            continue
        if value is not None:
            message = _value_problem(item, value)
            if message:
                problems.append(Problem(path=f"{path}[{i}].value", message=message))
    if submitted:
        for item_id in index.required:
            if item_id not in answered:
                problems.append(
                    Problem(path=path, message=f"required item {item_id!r} has no answer in a submitted visit")
                )
    return problems


def _is_integral(value: Scalar) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value) and value == int(value)


def _value_problem(item: Item, value: Scalar) -> str | None:
    kind = item.kind
    if kind == "yes_no":
        return None if isinstance(value, bool) else "expected a boolean"
    if kind == "scale":
        if not _is_integral(value):
            return "expected an integer"
        assert item.min is not None and item.max is not None
        if not item.min <= value <= item.max:  # type: ignore[operator]
            return f"expected an integer in {item.min}..{item.max}"
        return None
    if kind == "duration":
        if not _is_integral(value) or value < 0:  # type: ignore[operator]
            return "expected a whole number of seconds >= 0"
        return None
    if kind == "choice":
        ids = [o.id for o in item.options or ()]
        return None if isinstance(value, str) and value in ids else f"expected one of the option ids {', '.join(ids)}"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else "expected a number"
    if kind == "text":
        return None if isinstance(value, str) else "expected a string"
    return None  # photo, audio: the evidence carries the content; any scalar note is kept
