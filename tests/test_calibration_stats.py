"""Calibration statistics against published worked examples, and the network scorecard's calibration section.

Sources of the expected values (each checked against the cited text, not recalled):
- Krippendorff, K. (2011) "Computing Krippendorff's Alpha-Reliability", the 4 observers x 12 units
  example (also Krippendorff 2004, Content Analysis, p. 230): nominal 0.743, ordinal 0.815,
  interval 0.849 (the same data and values in DKPro Statistics' Krippendorff2004Test and the
  `krippendorff` package's docstring; kalpha's Stata help lists the matrix).
- Wikipedia, "Krippendorff's alpha", "A computational example": 3 coders x 15 units, nominal
  0.691, interval 0.811.
- Cohen, J. (1960), p. 45: 200 cases in 3 categories, kappa 0.492; Krippendorff (2004), p. 246:
  two 3x3 tables, kappa 0.186 and 0.258; Wikipedia, "Cohen's kappa": 50 grant proposals,
  20/5/10/15, kappa 0.4.
- Maple help, EssayTools[QuadraticWeightedKappa]: scores 1..10 of nine essays by two graders,
  0.758620689655172 and 0.438095238095238 (quadratic weights over the range 1..10).
"""

from __future__ import annotations

from fractions import Fraction

import msgspec
import pytest

from checklists.library import policy_file
from reports.aggregate import NetworkFigures
from reports.calibration import (
    LEVEL_OF_KIND,
    AlphaOut,
    CalibrationReport,
    Rating,
    agree,
    calibration_report,
    cohen_kappa,
    krippendorff_alpha,
)
from reports.policy import load_policy
from reports.scorecard import render
from reports.scorecard_assembly import calibration_box, network_scorecard
from reports.scorecard_data import CalibrationBox, input_sha256
from tests.test_scorecard_render import _network_case, pdf_text

# ---------------------------------------------------------------- Krippendorff's alpha

_ = None  # a value the coder did not give
KRIPPENDORFF_2011 = [  # observers (rows) x units (columns)
    [1, 2, 3, 3, 2, 1, 4, 1, 2, _, _, _],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, _, 3],
    [_, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, _],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, _],
]
WIKIPEDIA_ALPHA = [  # 3 coders x 15 units
    [_, _, _, _, _, 3, 4, 1, 2, 1, 1, 3, 3, _, 3],
    [1, _, 2, 1, 3, 3, 4, 3, _, _, _, _, _, _, _],
    [_, _, 2, 1, 3, 4, 4, _, 2, 1, 1, 3, 3, _, 4],
]


def units_of(matrix: list[list]) -> list[list]:
    """The matrix's units (columns) as the values their coders gave, the missing left out."""
    return [[row[j] for row in matrix if row[j] is not None] for j in range(len(matrix[0]))]


@pytest.mark.parametrize(
    ("matrix", "level", "published"),
    [
        (KRIPPENDORFF_2011, "nominal", 0.743),
        (KRIPPENDORFF_2011, "ordinal", 0.815),
        (KRIPPENDORFF_2011, "interval", 0.849),
        (WIKIPEDIA_ALPHA, "nominal", 0.691),
        (WIKIPEDIA_ALPHA, "interval", 0.811),
    ],
)
def test_alpha_matches_the_published_examples(matrix, level, published) -> None:
    assert round(krippendorff_alpha(units_of(matrix), level), 3) == published


def test_alpha_on_named_categories() -> None:
    """Krippendorff (2004), p. 230, with his symbols as words; ordinal by an order of words (0.815 as above)."""
    words = {1: "book", 2: "letter", 3: "phone", 4: "computer", 5: "folder"}
    named = [[words[v] for v in unit] for unit in units_of(KRIPPENDORFF_2011)]
    assert round(krippendorff_alpha(named, "nominal"), 3) == 0.743
    scale = ["very low", "low", "mid", "high", "very high"]
    ranked = [[scale[v - 1] for v in unit] for unit in units_of(KRIPPENDORFF_2011)]
    assert round(krippendorff_alpha(ranked, "ordinal", order=scale), 3) == 0.815
    # yes/no answers are categories of their own: True is not the number 1
    assert krippendorff_alpha([[True, True], [False, False], [1, 1]], "nominal") == 1.0


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_alpha_of_perfect_agreement_is_one(level) -> None:
    assert krippendorff_alpha([[1, 1, 1], [2, 2], [3, 3], [5]], level) == 1.0


@pytest.mark.parametrize(
    "units",
    [
        [],
        [[3, 3], [3, 3, 3]],  # no variation: the expected disagreement is 0
        [[1], [2], [3]],  # no unit has two values
        [[2, 2], [1], [5]],  # the values that vary cannot be paired
    ],
)
def test_alpha_is_none_when_undefined(units) -> None:
    for level in ("nominal", "ordinal", "interval"):
        assert krippendorff_alpha(units, level) is None


def test_an_unused_category_in_the_order_changes_no_ordinal_alpha() -> None:
    """Ordinal distances count the values given between two categories: a category nobody used adds none."""
    units = [[1, 3], [3, 3], [1, 1], [3, 1]]
    assert krippendorff_alpha(units, "ordinal", order=[1, 2, 3]) == krippendorff_alpha(units, "ordinal")


def test_interval_alpha_needs_numbers() -> None:
    with pytest.raises(ValueError):
        krippendorff_alpha([["a", "b"], ["a", "a"]], "interval")


# ---------------------------------------------------------------- Cohen's kappa


def table_pairs(table: list[list[int]], categories: list) -> list[tuple]:
    """The (a, b) pairs of a contingency table: rows rater A, columns rater B."""
    return [
        (categories[i], categories[j])
        for i, row in enumerate(table)
        for j, count in enumerate(row)
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("table", "published"),
    [
        ([[20, 5], [10, 15]], 0.4),  # Wikipedia: p_o 0.70, p_e 0.50
        ([[88, 14, 18], [10, 40, 10], [2, 6, 12]], 0.492),  # Cohen (1960), p. 45
        ([[12, 9, 9], [9, 14, 9], [9, 9, 20]], 0.186),  # Krippendorff (2004), p. 246
        ([[12, 18, 18], [0, 14, 18], [0, 0, 20]], 0.258),  # the same, with the disagreements on one side
    ],
)
def test_kappa_matches_the_published_examples(table, published) -> None:
    categories = ["yes", "no", "maybe"][: len(table)]
    assert round(cohen_kappa(table_pairs(table, categories)), 3) == published


@pytest.mark.parametrize(
    ("b", "published"),
    [
        ([8, 8, 6, 6, 7, 6, 1, 4, 8], 0.758620689655172),
        ([3, 5, 6, 6, 7, 6, 1, 4, 8], 0.438095238095238),
    ],
)
def test_quadratic_kappa_matches_the_published_examples(b, published) -> None:
    a = [9, 7, 8, 7, 6, 8, 3, 5, 10]
    assert cohen_kappa(list(zip(a, b, strict=True)), "quadratic", order=range(1, 11)) == pytest.approx(
        published, abs=1e-12
    )


def test_weighted_kappa_by_hand() -> None:
    """Rows 1,1,2,2,3,3,1,3 against 1,3,2,1,3,2,1,3: marginals (3,2,3) both; n = 8.

    Unweighted: 3 disagreements, expected 64 - (9 + 4 + 9) = 42 -> 1 - 3*8/42 = 3/7.
    Linear: observed 2*1 + 1 + 1 = 4, expected 6+18+6+6+18+6 = 60 -> 1 - 4*8/60 = 7/15.
    Quadratic: observed 4 + 1 + 1 = 6, expected 6+36+6+6+36+6 = 96 -> 1 - 6*8/96 = 1/2.
    """
    pairs = list(zip([1, 1, 2, 2, 3, 3, 1, 3], [1, 3, 2, 1, 3, 2, 1, 3], strict=True))
    assert cohen_kappa(pairs) == float(Fraction(3, 7))
    assert cohen_kappa(pairs, "linear") == float(Fraction(7, 15))
    assert cohen_kappa(pairs, "quadratic") == 0.5
    # the order names the categories between: with 4 and 5 unused at the top nothing changes, with a
    # category between 1 and 2 the distances (and so the weighted kappa) do
    assert cohen_kappa(pairs, "quadratic", order=[1, 2, 3, 4, 5]) == 0.5
    assert cohen_kappa(pairs, "quadratic", order=[1, 1.5, 2, 3]) != 0.5


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_of_perfect_agreement_is_one(weights) -> None:
    assert cohen_kappa([(1, 1), (2, 2), (3, 3), (3, 3)], weights) == 1.0
    assert cohen_kappa([(True, True), (False, False)], weights) == 1.0


@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_of_independent_raters_is_zero(weights) -> None:
    """A balanced design: whatever A says, B says each category equally often, so p_o = p_e exactly."""
    assert cohen_kappa([(a, b) for a in ("yes", "no") for b in ("yes", "no")], weights) == 0.0
    assert cohen_kappa([(a, b) for a in (1, 2, 3) for b in (1, 2, 3) for _ in range(2)], weights) == 0.0


def test_kappa_is_none_when_undefined() -> None:
    assert cohen_kappa([]) is None
    assert cohen_kappa([(True, True)] * 5) is None  # one category: chance agreement is 1
    assert cohen_kappa([(3, 3)] * 5, "quadratic", order=[1, 2, 3, 4, 5]) is None


def test_kappa_of_opposite_raters_is_minus_one() -> None:
    assert cohen_kappa([(True, False), (False, True)]) == -1.0


@pytest.mark.parametrize(
    ("a", "b", "level", "agreed"),
    [
        (True, True, "nominal", True),
        (True, 1, "nominal", False),  # a yes is not the number 1
        ("a", "b", "nominal", False),
        (4, 4.0, "ordinal", True),
        (4, 5, "ordinal", False),
        (100, 110, "interval", True),  # 10 <= 10 % of 110
        (90, 100, "interval", True),  # exactly 10 % of the larger
        (100, 112, "interval", False),
        (0, 0, "interval", True),
        (0, 1, "interval", False),
        (-50, -54, "interval", True),
    ],
)
def test_when_two_values_agree(a, b, level, agreed) -> None:
    assert agree(a, b, level) is agreed
    assert agree(b, a, level) is agreed


def test_levels_of_the_item_kinds() -> None:
    assert LEVEL_OF_KIND == {
        "yes_no": "nominal",
        "choice": "nominal",
        "scale": "ordinal",
        "duration": "interval",
        "number": "interval",
    }


# ---------------------------------------------------------------- the report on a hand-made set

LEVELS = {"q1": "nominal", "q2": "ordinal", "t": "interval"}
ORDERS = {"q2": [1, 2, 3, 4, 5]}
ANSWERS = {  # group -> auditor -> item -> value (an item left out: N/A)
    "G1": {
        "A": {"q1": True, "q2": 4, "t": 100},
        "B": {"q1": True, "q2": 4, "t": 105},
        "C": {"q1": False, "q2": 2, "t": 200},
    },
    "G2": {"A": {"q1": True, "q2": 5, "t": 60}, "B": {"q1": True, "q2": 4, "t": 60}},
    "G3": {"B": {"q1": False, "q2": 3}, "C": {"q1": True, "q2": 3, "t": 30, "note": "free text"}},
    "G4": {"A": {"q1": True}},  # scored by one auditor only: no calibration
}
SCORES = {
    ("G1", "A"): 90.0,
    ("G1", "B"): 80.0,
    ("G1", "C"): 70.0,
    ("G2", "A"): 100.0,
    ("G2", "B"): 90.0,
    ("G3", "B"): None,
    ("G3", "C"): 60.0,
    ("G4", "A"): 50.0,
}


def hand_made(min_agreement: float = 0.55) -> CalibrationReport:
    # given in a scrambled order: the report's order must not depend on it
    ratings = [
        Rating(group=g, auditor=a, item=i, value=v)
        for g, by_auditor in reversed(ANSWERS.items())
        for a, items in by_auditor.items()
        for i, v in items.items()
    ]
    return calibration_report(ratings, LEVELS, ORDERS, SCORES, min_agreement)


def test_agreement_per_group_and_item() -> None:
    report = hand_made()
    assert [(g.group, g.auditors) for g in report.groups] == [
        ("G1", ["A", "B", "C"]),
        ("G2", ["A", "B"]),
        ("G3", ["B", "C"]),
    ]
    got = {(g.group, i.item): (i.level, i.agreement) for g in report.groups for i in g.items}
    third = 1 / 3
    assert got == {
        ("G1", "q1"): ("nominal", third),  # A=B yes, C no: 1 of 3 pairs
        ("G1", "q2"): ("ordinal", third),
        ("G1", "t"): ("interval", third),  # 100 and 105 agree, 200 agrees with neither
        ("G2", "q1"): ("nominal", 1.0),
        ("G2", "q2"): ("ordinal", 0.0),
        ("G2", "t"): ("interval", 1.0),
        ("G3", "q1"): ("nominal", 0.0),
        ("G3", "q2"): ("ordinal", 1.0),
        ("G3", "t"): ("interval", None),  # one value: B answered N/A; "note" has no level: left out
    }
    g3 = report.groups[2]
    assert [i.item for i in g3.items] == ["q1", "q2", "t"]
    assert list(g3.items[0].values.items()) == [("B", False), ("C", True)]


def test_kappa_per_pair() -> None:
    """(A,B) nominal: yes/yes twice, one category -> None; scales (4,4),(5,4): observed 1*2, expected 2 -> 0.
    (A,C): one pair each, different -> 0. (B,C) nominal: (yes,no),(no,yes) -> -1; scales (4,2),(3,3) at
    positions (3,1),(2,2): observed 4, expected 4+1+1 = 6 -> 1 - 4*2/6 = -1/3."""
    pairs = {(p.auditor_a, p.auditor_b): (p.groups, p.items, p.kappa, p.weighted_kappa) for p in hand_made().pairs}
    assert pairs == {
        ("A", "B"): (2, 6, None, 0.0),
        ("A", "C"): (1, 3, 0.0, 0.0),
        ("B", "C"): (2, 5, -1.0, float(1 - Fraction(8, 6))),
    }


def test_alpha_per_level() -> None:
    """Nominal units (yes,yes,no), (yes,yes), (no,yes): o_yy = 1 + 2, o_yn = o_ny = 1 + 1; n_y = 5, n_n = 2,
    n = 7: D_o = 4/7, D_e = 2*5*2/(7*6) = 10/21, alpha = 1 - 1.2 = -0.2. Interval units (100, 105, 200)
    and (60, 60): D_o = (25 + 10000 + 9025) / 5 = 3810 and, over all 5 values, D_e = 2 * 65500 / 20 = 6550:
    alpha = 1 - 3810/6550 = 274/655. The unit (30) alone is not pairable. Ordinal units (4,4,2), (5,4), (3,3):
    n_2..n_5 = 1,2,3,1; delta(2,4) = 6 - 2 = 4, delta(4,5) = 4 - 2 = 2: D_o = (2*16 + 2*4)/7 = 40/7; over the
    category pairs D_e = 2 * (2*2.25 + 3*16 + 1*36 + 6*6.25 + 2*20.25 + 3*4) / 42 = 8.5: alpha = 39/119."""
    alpha = {a.level: a for a in hand_made().alpha}
    assert list(alpha) == ["nominal", "ordinal", "interval"]
    assert alpha["nominal"].alpha == pytest.approx(-0.2, abs=1e-12)
    assert (alpha["nominal"].units, alpha["nominal"].values) == (3, 7)
    assert alpha["ordinal"].alpha == pytest.approx(39 / 119, abs=1e-12)
    assert (alpha["ordinal"].units, alpha["ordinal"].values) == (3, 7)
    assert alpha["interval"].alpha == pytest.approx(274 / 655, abs=1e-12)
    assert (alpha["interval"].units, alpha["interval"].values) == (2, 5)


def test_agreement_and_leniency_per_auditor() -> None:
    """A: G1 3 of 6 comparisons, G2 2 of 3 -> 5/9; B: 3/6 + 2/3 + 1/2 -> 6/11; C: 0/6 + 1/2 -> 1/8.
    Leniency: A (90-75, 100-90) -> 12.5; B (80-80, 90-100; G3 unscored) -> -5; C (70-85; G3 no other) -> -15."""
    auditors = {a.auditor: a for a in hand_made().auditors}
    assert list(auditors) == ["A", "B", "C"]
    assert [(a.groups, a.items) for a in auditors.values()] == [(2, 6), (3, 8), (2, 5)]
    assert auditors["A"].agreement == 5 / 9
    assert auditors["B"].agreement == 6 / 11
    assert auditors["C"].agreement == 1 / 8
    assert [a.leniency for a in auditors.values()] == [12.5, -5.0, -15.0]


@pytest.mark.parametrize(
    ("threshold", "below"),
    [
        (0.55, ["B", "C"]),  # A 0.556 is above, B 0.545 below
        (5 / 9, ["B", "C"]),  # at the threshold is not below it
        (0.56, ["A", "B", "C"]),
        (0.125, []),
        (0.0, []),
    ],
)
def test_below_threshold_on_both_sides(threshold, below) -> None:
    report = hand_made(threshold)
    assert [a.auditor for a in report.auditors if a.below_threshold] == below
    assert report.min_agreement == threshold


def test_the_report_is_plain_json_and_the_same_for_any_input_order() -> None:
    report = hand_made()
    ratings = [
        Rating(group=g, auditor=a, item=i, value=v)
        for g, by_auditor in ANSWERS.items()
        for a, items in by_auditor.items()
        for i, v in items.items()
    ]
    assert calibration_report(ratings, LEVELS, ORDERS, SCORES, 0.55) == report
    wire = msgspec.json.encode(report)
    assert msgspec.json.decode(wire, type=CalibrationReport) == report
    assert b'"values":{"B":false,"C":true}' in wire  # yes/no stay booleans


def test_an_empty_report() -> None:
    report = calibration_report([], LEVELS, ORDERS, {}, 0.8)
    assert report == CalibrationReport(groups=[], pairs=[], alpha=[], auditors=[], min_agreement=0.8)
    assert calibration_box(report) is None


def test_an_interval_value_that_is_no_number_is_left_out() -> None:
    ratings = [Rating(group="G", auditor=a, item="t", value=v) for a, v in (("A", 60), ("B", "soon"), ("C", 62))]
    report = calibration_report(ratings, LEVELS, ORDERS, {}, 0.8)
    assert [(i.item, i.values, i.agreement) for i in report.groups[0].items] == [("t", {"A": 60, "C": 62}, 1.0)]


def test_an_auditor_without_comparisons_is_never_flagged() -> None:
    """Two auditors scored the event but their answers share no item: agreement unknown, not below."""
    ratings = [Rating(group="G", auditor="A", item="q1", value=True), Rating(group="G", auditor="B", item="t", value=5)]
    report = calibration_report(ratings, LEVELS, ORDERS, {}, 0.8)
    assert [(a.auditor, a.items, a.agreement, a.below_threshold) for a in report.auditors] == [
        ("A", 0, None, False),
        ("B", 0, None, False),
    ]
    assert [(p.items, p.kappa, p.weighted_kappa) for p in report.pairs] == [(0, None, None)]
    assert [(a.level, a.alpha, a.units) for a in report.alpha] == [("nominal", None, 0), ("interval", None, 0)]


# ---------------------------------------------------------------- the network scorecard's section


def test_the_box_counts_and_names_no_auditor() -> None:
    report = hand_made()
    box = calibration_box(report)
    assert box == CalibrationBox(groups=3, auditors=3, below_threshold=2, min_agreement=0.55, alpha=report.alpha)
    assert b'"A"' not in msgspec.json.encode(box) and b'"B"' not in msgspec.json.encode(box)


BOX = CalibrationBox(
    groups=7,
    auditors=4,
    below_threshold=1,
    min_agreement=0.8,
    alpha=[
        AlphaOut(level="nominal", alpha=0.7434, units=40, values=84),
        AlphaOut(level="ordinal", alpha=None, units=6, values=12),
        AlphaOut(level="interval", alpha=-0.125, units=5, values=10),
    ],
)
EXPECTED = {
    "ru": (
        "Калибровка аудиторов за месяц",
        "Калибровочных групп: 7 · аудиторов: 4 · ниже порога согласия (80 %): 1",
        "да/нет и выбор (номинальная) 0,743 40 84",
        "баллы (порядковая) — 6 12",
        "длительности и числа (интервальная) -0,125 5 10",
        "Аудиторы в карте не называются.",
    ),
    "kk": (
        "Аудиторларды осы айдағы калибрлеу",
        "Калибрлеу топтары: 7 · аудиторлар: 4 · келісім шегінен (80 %) төмен: 1",
        "иә/жоқ және таңдау (номиналды) 0,743 40 84",
        "ұпайлар (реттік) — 6 12",
        "Аудиторлардың аты картада көрсетілмейді.",
    ),
    "en": (
        "Auditor calibration this month",
        "Calibration groups: 7 · auditors: 4 · below the agreement threshold (80%): 1",
        "yes/no and choice (nominal) 0.743 40 84",
        "durations and numbers (interval) -0.125 5 10",
    ),
}


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_the_network_scorecard_shows_the_calibration(lang) -> None:
    data = msgspec.structs.replace(_network_case(lang), calibration=BOX)
    text = " ".join(pdf_text(render(data)).split()).replace("\u00a0", " ")
    for expected in EXPECTED[lang]:
        assert expected in text, expected
    plain = " ".join(pdf_text(render(_network_case(lang))).split())
    assert EXPECTED[lang][0] not in plain


def test_a_scorecard_without_calibration_keeps_its_input_hash() -> None:
    """The field is unset, not null, when there is nothing to show: scorecards made before keep their hash."""
    data = _network_case("ru")
    assert "calibration" not in msgspec.to_builtins(data)
    with_box = msgspec.structs.replace(data, calibration=BOX)
    assert input_sha256(with_box) != input_sha256(data)
    assert msgspec.to_builtins(with_box)["calibration"]["groups"] == 7


def test_network_assembly_boxes_the_report() -> None:
    """`network_scorecard` takes the report; a report with no groups adds nothing."""
    policy = load_policy(policy_file().read_bytes(), "toml", "policy.default.toml").policy
    network = NetworkFigures(kind="branch", n=0, visit_score=None, units=[], weakest_standards=[])
    common = dict(
        lang="ru",
        period="2026-10",
        kind="branch",
        network=network,
        current=[],
        previous=[],
        standards=[],
        trend=[],
        titles={},
        refs=[],
        policy=policy,
        data_as_of="2026-11-01T00:00:00Z",
    )
    bare = network_scorecard(**common)
    assert bare.calibration is msgspec.UNSET
    assert network_scorecard(**common, calibration=calibration_report([], LEVELS, ORDERS, {}, 0.8)) == bare
    boxed = network_scorecard(**common, calibration=hand_made())
    assert boxed.calibration == calibration_box(hand_made())
