"""The pure parts of the HR figures: Student-t, policy bands and rounding, rows, adjustments, exports."""

from __future__ import annotations

import csv
import io
import math

import msgspec
import pytest

from checklists.library import policy_file
from checklists.validate import Invalid
from reports.aggregate import sum_standards
from reports.motivation import MotivationRow, StaffInfo, adjustments, motivation_rows, rows_hash
from reports.policy import load_policy
from reports.stats import mean_interval, t_quantile
from reports.tables import to_csv, to_xlsx

POLICY = load_policy(policy_file().read_bytes(), "toml", "policy.default.toml").policy

# Two-sided 95% and 90% critical values from a printed Student-t table.
T_TABLE = [
    (1, 12.706, 6.314),
    (2, 4.303, 2.920),
    (3, 3.182, 2.353),
    (5, 2.571, 2.015),
    (10, 2.228, 1.812),
    (30, 2.042, 1.697),
]


@pytest.mark.parametrize(("df", "t95", "t90"), T_TABLE)
def test_t_quantiles_match_the_table(df, t95, t90):
    assert t_quantile(0.975, df) == pytest.approx(t95, abs=5e-4)
    assert t_quantile(0.95, df) == pytest.approx(t90, abs=5e-4)
    assert t_quantile(0.025, df) == pytest.approx(-t95, abs=5e-4)


def test_t_quantile_tends_to_the_normal():
    assert t_quantile(0.975, 100_000) == pytest.approx(1.95996, abs=1e-3)


def test_mean_interval_by_hand():
    values = [100.0, 89.28571428571429, 100.0, 0.0]
    mean = sum(values) / 4
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 3)
    half = 3.182446305284263 * sd / 2  # t(0.975, 3) * s / sqrt(4)
    low, high = mean_interval(values, 0.95)
    assert low == pytest.approx(mean - half, rel=1e-9) and high == pytest.approx(mean + half, rel=1e-9)
    assert mean_interval([90.0], 0.95) is None


BANDS = [
    # score, coefficient (default policy: >= 95 -> 1.10, >= 85 -> 1.00, >= 70 -> 0.90, else 0.80)
    (100.0, 1.10),
    (95.0, 1.10),
    (94.995, 1.10),  # shown as 95.00, the figure HR sees, so the upper band
    (94.994999, 1.00),  # shown as 94.99
    (85.0, 1.00),
    (84.995, 1.00),
    (84.99, 0.90),
    (70.0, 0.90),
    (69.994, 0.80),
    (0.0, 0.80),
]


@pytest.mark.parametrize(("score", "coefficient"), BANDS)
def test_bands_compare_the_score_as_shown(score, coefficient):
    assert POLICY.coefficient(score) == coefficient


def test_rag_marks():
    assert [POLICY.mark(s) for s in (95.0, 89.995, 89.99, 75.0, 74.99, None)] == [
        "green",
        "green",
        "amber",
        "amber",
        "red",
        None,
    ]


def test_a_broken_policy_lists_every_problem():
    text = (
        'id = "p"\nversion = 1\ntitle = { ru = "П", kk = "С", en = "P" }\nconfidence = 1.5\nmin_visits = 0\n'
        "neutral_coefficient = 1.0\n"
        "[[bands]]\nmin_score = 80\ncoefficient = 1.1\n[[bands]]\nmin_score = 90\ncoefficient = 1.0\n"
        "[rag]\ngreen_at = 70\namber_at = 80\n"
    )
    with pytest.raises(Invalid) as caught:
        load_policy(text.encode(), "toml", "p.toml")
    paths = sorted(p.path for p in caught.value.problems)
    assert paths == ["bands", "bands[1].min_score", "confidence", "min_visits", "rag.green_at"]


STAFF = [
    StaffInfo(
        staff_id="E1", name="Нұрланова Әлия", unit_id="U1", unit_name="ПСС Алматы", position="консультант", active=True
    ),
    StaffInfo(staff_id="E2", name="Иванова Мария", unit_id="U1", unit_name="ПСС Алматы", position=None, active=True),
    StaffInfo(
        staff_id="E3", name="Қайратұлы Ерлан", unit_id="U2", unit_name="ПСС Астана", position="оператор", active=True
    ),
    StaffInfo(staff_id="E9", name="Ушедший", unit_id="U2", unit_name="ПСС Астана", position=None, active=False),
]


def test_motivation_rows_by_hand():
    scores = {"E1": [100.0, 89.28571428571429, 100.0, 0.0], "E3": [89.28571428571429, 100.0]}
    rows = {r.staff_id: r for r in motivation_rows(STAFF, scores, POLICY, provisional=True)}
    assert set(rows) == {"E1", "E2", "E3"}, "inactive staff without visits get no row"
    e1 = rows["E1"]
    assert e1.score == 72.32 and e1.n == 4 and e1.coefficient == 0.90
    assert e1.flags == ["provisional"] and e1.name == "Нұрланова Әлия" and e1.unit_name == "ПСС Алматы"
    low, high = mean_interval(scores["E1"], 0.95)
    assert (e1.ci_low, e1.ci_high) == (0.0 if low < 0 else round(low, 2), 100.0 if high > 100 else round(high, 2))
    e3 = rows["E3"]
    assert e3.score == 94.64 and e3.n == 2 and e3.coefficient == 1.0
    assert e3.flags == ["insufficient_sample", "provisional"]
    e2 = rows["E2"]
    assert (e2.score, e2.n, e2.ci_low, e2.coefficient) == (None, 0, None, 1.0)
    assert "auditor" not in msgspec.json.encode(list(rows.values())).decode()


def test_rows_hash_and_adjustments():
    before = motivation_rows(STAFF, {"E1": [90.0, 90.0, 90.0]}, POLICY, provisional=False)
    after = motivation_rows(STAFF, {"E1": [90.0, 90.0, 90.0, 100.0]}, POLICY, provisional=False)
    assert rows_hash(before) == rows_hash(list(reversed(before))), "the hash is over rows sorted by staff_id"
    assert rows_hash(before) != rows_hash(after)
    (change,) = adjustments("2026-10", before, after)
    assert change.staff_id == "E1" and change.before.coefficient == 1.0 and change.after.coefficient == 1.0
    assert change.after.score == 92.5 and change.coefficient_change == 0.0
    assert adjustments("2026-10", before, before) == []


def test_csv_has_a_bom_cyrillic_and_decimal_commas_with_semicolons():
    rows = motivation_rows(STAFF, {"E1": [100.0, 89.28571428571429, 100.0, 0.0]}, POLICY, provisional=False)
    data = to_csv(rows, MotivationRow)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0]["name"] == "Нұрланова Әлия" and table[0]["score"] == "72.32" and table[0]["coefficient"] == "0.9"
    assert list(table[0]) == [f.encode_name for f in msgspec.structs.fields(MotivationRow)]
    semi = list(csv.DictReader(io.StringIO(to_csv(rows, MotivationRow, ";").decode("utf-8-sig")), delimiter=";"))
    assert semi[0]["score"] == "72,32" and semi[1]["flags"] == "insufficient_sample"


def test_xlsx_reads_back():
    from openpyxl import load_workbook

    rows = motivation_rows(STAFF, {"E1": [100.0, 89.28571428571429, 100.0, 0.0]}, POLICY, provisional=False)
    book = load_workbook(io.BytesIO(to_xlsx(rows, MotivationRow, "motivation-2026-10")))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("staff_id", "name", "unit_id")
    assert values[1][0] == "E1" and values[1][1] == "Нұрланова Әлия" and values[1][5] == 72.32


def test_standard_sums_over_visits_of_two_checklist_versions():
    """Visits listing different standards (two versions) in one unit: exact sums per standard."""
    visits = [
        ("U1", [("A", 0.1, 1), ("B", 0.2, 0)]),
        ("U1", [("B", 0.7, 1), ("C", 1.0, 1)]),  # another version: B and C
        ("U1", [("A", 0.2, 0), ("B", 0.1, 1)]),
        ("U2", [("A", 1.0, 1)]),
        ("U2", []),  # nothing applicable was answered
    ]
    got = {(s.unit_id, s.code): (s.total, s.n, s.met) for s in sum_standards(visits)}
    assert got == {
        ("U1", "A"): (math.fsum([0.1, 0.2]), 2, 1),
        ("U1", "B"): (1.0, 3, 2),  # 0.2 + 0.7 + 0.1 summed exactly is 1.0 (0.2 + 0.7 + 0.1 in floats is not)
        ("U1", "C"): (1.0, 1, 1),
        ("U2", "A"): (1.0, 1, 1),
    }
    assert [(s.unit_id, s.code) for s in sum_standards(visits)] == sorted(got)
