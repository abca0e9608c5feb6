"""Scoring of one visit: tables of answers and the scores computed by hand in the test."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checklists.score import ChecklistIndex, answer_problems, item_score, rounded_decimal, score_visit, shown
from checklists.validate import load_checklist

EXAMPLE = Path(__file__).parent / "data" / "example.toml"


@pytest.fixture(scope="module")
def index() -> ChecklistIndex:
    return ChecklistIndex(load_checklist(EXAMPLE.read_bytes(), "toml", str(EXAMPLE)).checklist)


ALL_PASS = {
    "GREET.1": (True, False),
    "GREET.2": (5, False),
    "QUEUE.1": (300, False),
    "QUEUE.2": (4, False),
    "INFO.1": ("full", False),
    "PAY.1": (False, False),
    "CLEAN.1": (True, False),
    "CLEAN.2": (None, False),
    "NOTES.1": ("всё хорошо", False),
    "PHONE.1": (True, False),
}

# Standard weights: GREET 2 (person), QUEUE 1 (unit), INFO 1 (person), PAY 3 (person),
# CLEAN 1 (unit), NOTES 1 (unit, unscored only), PHONE 1 (person).
MIXED = ALL_PASS | {"GREET.2": (4, False), "QUEUE.1": (1200, False), "INFO.1": ("partial", False)}
# GREET = (1*1 + 1*(4-1)/(5-1)) / 2 = 0.875, met (4 >= pass_at 4)
# QUEUE = (1800-1200)/(1800-600) = 0.5, not met; INFO = 0.5, not met; PAY, CLEAN, PHONE = 1
MIXED_VISIT = 100 * (2 * 0.875 + 1 * 0.5 + 1 * 0.5 + 3 * 1 + 1 * 1 + 1 * 1) / (2 + 1 + 1 + 3 + 1 + 1)
MIXED_PERSON = 100 * (2 * 0.875 + 1 * 0.5 + 3 * 1 + 1 * 1) / (2 + 1 + 3 + 1)

CASES = [
    # name, answers, visit, person, critical_failed, flags
    ("all pass", ALL_PASS, 100.0, 100.0, [], []),
    ("mixed", MIXED, MIXED_VISIT, MIXED_PERSON, [], []),
    (
        "unit critical zeroes the visit, not the person score",
        ALL_PASS | {"CLEAN.1": (False, False)},
        0.0,
        100.0,
        ["CLEAN.1"],
        [],
    ),
    (
        "person critical zeroes both",
        ALL_PASS | {"PAY.1": (True, False)},
        0.0,
        0.0,
        ["PAY.1"],
        [],
    ),
    (
        "flag leaves the score and raises the flag",
        ALL_PASS | {"PHONE.1": (False, False)},
        # PHONE scores 0: visit = 100 * (9 - 1) / 9, person = 100 * (7 - 1) / 7
        100 * 8 / 9,
        100 * 6 / 7,
        [],
        ["PHONE.1"],
    ),
    (
        "N/A leaves the item and its standard out",
        ALL_PASS | {"INFO.1": (None, True), "QUEUE.1": (1800, False)},
        # INFO out; QUEUE = 0: visit = 100 * (2 + 0 + 3 + 1 + 1) / (2 + 1 + 3 + 1 + 1)
        100 * 7 / 8,
        100.0,
        [],
        [],
    ),
    (
        "N/A on an item that does not allow it counts as unanswered",
        ALL_PASS | {"GREET.1": (None, True)},
        100.0,
        100.0,
        [],
        [],
    ),
    (
        "all unanswered gives no score",
        {"GREET.1": (None, False), "INFO.1": (None, True), "PHONE.1": (None, True), "NOTES.1": ("x", False)},
        None,
        None,
        [],
        [],
    ),
    (
        "only unit standards answered: person score is null",
        {"QUEUE.1": (600, False), "CLEAN.1": (True, False)},
        100.0,
        None,
        [],
        [],
    ),
]


@pytest.mark.parametrize(("name", "answers", "visit", "person", "critical", "flags"), CASES, ids=[c[0] for c in CASES])
def test_visit_scores(index, name, answers, visit, person, critical, flags):
    result = score_visit(index, answers)
    assert result.visit == (pytest.approx(visit) if visit is not None else None)
    assert result.person == (pytest.approx(person) if person is not None else None)
    assert result.critical_failed == critical
    assert result.flags == flags
    assert "NOTES" not in {s.code for s in result.standards}, "a standard with only unscored items is left out"


def test_standard_scores_and_met(index):
    by_code = {s.code: s for s in score_visit(index, MIXED).standards}
    assert by_code["GREET"].score == pytest.approx(0.875) and by_code["GREET"].met
    assert by_code["QUEUE"].score == pytest.approx(0.5) and not by_code["QUEUE"].met
    assert by_code["INFO"].score == pytest.approx(0.5) and not by_code["INFO"].met
    assert by_code["PAY"].score == 1.0 and by_code["PAY"].met
    assert by_code["PAY"].attribution == "person" and by_code["CLEAN"].attribution == "unit"


DURATIONS = [
    # seconds, s, passes  (limit 600 s, zero at 1800 s)
    (0, 1.0, True),
    (600, 1.0, True),
    (601, (1800 - 601) / (1800 - 600), False),
    (1200, 0.5, False),
    (1799, 1 / 1200, False),
    (1800, 0.0, False),
    (86400, 0.0, False),
]


@pytest.mark.parametrize(("seconds", "expected", "passes"), DURATIONS)
def test_graded_duration(index, seconds, expected, passes):
    s, ok = item_score(index.items["QUEUE.1"], seconds)
    assert s == pytest.approx(expected)
    assert ok is passes


def test_duration_without_grading_falls_to_zero(index):
    from checklists.model import Item, Text

    text = Text(ru="x", kk="x", en="x")
    item = Item(id="D", kind="duration", text=text, limit_s=60)
    assert item_score(item, 60) == (1.0, True)
    assert item_score(item, 61) == (0.0, False)


SCALES = [(1, 0.0, False), (2, 0.25, False), (3, 0.5, False), (4, 0.75, True), (5, 1.0, True)]


@pytest.mark.parametrize(("value", "expected", "passes"), SCALES)
def test_scale(index, value, expected, passes):
    assert item_score(index.items["GREET.2"], value) == (pytest.approx(expected), passes)


def test_yes_no_with_negative_passing_answer(index):
    assert item_score(index.items["PAY.1"], False) == (1.0, True)
    assert item_score(index.items["PAY.1"], True) == (0.0, False)
    assert item_score(index.items["GREET.1"], True) == (1.0, True)


def test_choice(index):
    item = index.items["INFO.1"]
    assert item_score(item, "full") == (1.0, True)
    assert item_score(item, "partial") == (0.5, False)
    assert item_score(item, "wrong") == (0.0, False)


ROUNDING = [
    (94.995, 95.0),
    (94.994999, 94.99),
    (86.11111111111111, 86.11),
    (0.005, 0.01),
    (2.675, 2.68),  # binary 2.67499999... but its shortest decimal form is 2.675
    (100.0, 100.0),
    (None, None),
]


@pytest.mark.parametrize(("value", "expected"), ROUNDING)
def test_shown_rounds_half_up_on_the_shortest_decimal_form(value, expected):
    assert shown(value) == expected


def _same(a: float, b: float) -> bool:
    """Equal, and equal in the sign of a zero (-0.0 is shown as such)."""
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _near_halves() -> st.SearchStrategy[float]:
    """Figures at a rounding boundary (x.xx5) and a few units in the last place either side."""

    def around(cents: int, steps: int) -> float:
        x = (cents + 0.5) / 100
        for _ in range(abs(steps)):
            x = math.nextafter(x, math.inf if steps > 0 else -math.inf)
        return x

    return st.builds(around, st.integers(-200_000_000, 200_000_000), st.integers(-4, 4))


@settings(max_examples=3000, derandomize=True)
@given(
    st.one_of(
        st.floats(-100.0, 100.0),
        st.floats(-3e6, 3e6),
        st.floats(-1e20, 1e20),  # Decimal's 28 digits end beyond; a score is within ±100
        _near_halves(),
        st.integers(-10_000, 10_000).map(lambda cents: cents / 100),
    )
)
def test_shown_is_the_decimal_rule(x):
    """The quick path of `shown` gives what the rule, computed with Decimal, gives, to the sign of zero."""
    assert _same(shown(x), rounded_decimal(x)), (x, shown(x), rounded_decimal(x))


@pytest.mark.parametrize("x", [0.0, -0.0, -0.004, -0.005, -0.006, 0.004999, 1e6, -1e6, 1e19, math.nan])
def test_shown_at_the_edges(x):
    if math.isnan(x):
        assert math.isnan(shown(x))
    else:
        assert _same(shown(x), rounded_decimal(x))


PROBLEMS = [
    ("unknown item", [("NOPE.1", True, False)], "answers[0].item"),
    ("twice", [("GREET.1", True, False), ("GREET.1", False, False)], "answers[1].item"),
    ("na with a value", [("INFO.1", "full", True)], "answers[0].value"),
    ("int for yes_no", [("GREET.1", 1, False)], "answers[0].value"),
    ("bool for scale", [("GREET.2", True, False)], "answers[0].value"),
    ("scale out of range", [("GREET.2", 6, False)], "answers[0].value"),
    ("fraction for scale", [("GREET.2", 4.5, False)], "answers[0].value"),
    ("negative duration", [("QUEUE.1", -1, False)], "answers[0].value"),
    ("unknown option", [("INFO.1", "excellent", False)], "answers[0].value"),
    ("string for number", [("QUEUE.2", "many", False)], "answers[0].value"),
    ("number for text", [("NOTES.1", 5, False)], "answers[0].value"),
]


@pytest.mark.parametrize(("name", "answers", "path"), PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_answer_problems(index, name, answers, path):
    problems = answer_problems(index, answers, submitted=False)
    assert [p.path for p in problems] == [path]


def test_integral_float_is_an_integer_for_scales(index):
    assert answer_problems(index, [("GREET.2", 4.0, False)], submitted=False) == []


def test_submitted_visit_needs_every_required_item(index):
    answers = [(k, v, na) for k, (v, na) in ALL_PASS.items() if k != "PAY.1"]
    problems = answer_problems(index, answers, submitted=True)
    assert len(problems) == 1 and "PAY.1" in problems[0].message
    assert answer_problems(index, answers, submitted=False) == []
    # N/A where allowed is an answer; N/A where not allowed is not.
    with_na = [(k, v, na) for k, (v, na) in ALL_PASS.items() if k != "INFO.1"] + [("INFO.1", None, True)]
    assert answer_problems(index, with_na, submitted=True) == []
    bad_na = [(k, v, na) for k, (v, na) in ALL_PASS.items() if k != "GREET.1"] + [("GREET.1", None, True)]
    assert ["GREET.1" in p.message for p in answer_problems(index, bad_na, submitted=True)] == [True]
