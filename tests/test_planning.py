"""The plan policy and the planner: hard rules by property tests, sample sizes by a hand-checked table."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checklists.validate import Invalid
from reports.plan_policy import (
    AuditorPolicy,
    Capacity,
    Hours,
    PlanPolicy,
    Precision,
    VisitCounts,
    load_plan_policy,
    minutes,
)
from reports.planning import AuditorInput, PastVisit, Plan, UnitInput, needed_visits, plan_month, sample_size

KINDS = ("branch", "contact_centre", "field_technician")
REGIONS = ("Алматы", "Астана", "Шымкент")

POLICY_TOML = """
period = "2027-01"
seed = 7
lockout_days = 90
calibration_share = 0.05
min_visits = 3
[visits]
branch = 4
contact_centre = 6
[capacity]
per_day = 3
per_month = 40
[hours]
weekdays = [1, 2, 3, 4, 5, 6]
from = "09:00"
to = "18:00"
slot_minutes = 60
[units.ALM-014]
weekdays = [1, 2, 3, 4, 5]
from = "10:00"
to = "17:00"
[auditors."auditor.aigerim"]
per_day = 2
per_month = 20
regions = ["Алматы"]
"""


# --- the independent check of every hard rule ----------------------------------------------------


def violations(plan: Plan, policy: PlanPolicy, units, auditors, history) -> list[str]:
    """Every hard rule the plan breaks, checked from the plan alone (not from the planner's state)."""
    found = []
    unit = {u.unit_id: u for u in units}
    regions = {}
    for a in auditors:
        own = policy.auditors.get(a.name)
        regions[a.name] = own.regions if own and own.regions is not None else a.regions
    days = set(policy.days())
    per_day, per_month = Counter(), Counter()
    seen = defaultdict(list)
    for v in history:
        seen[(v.auditor, v.unit_id)].append(("history", v.day))
    times = defaultdict(list)
    keys = {v.key: v for v in plan.visits}
    if len(keys) != len(plan.visits):
        found.append("duplicate keys")
    for v in plan.visits:
        if v.unit_id not in unit or v.auditor not in regions:
            found.append(f"{v.key}: unknown unit or auditor")
            continue
        if v.checklist_id != unit[v.unit_id].checklist_id:
            found.append(f"{v.key}: wrong checklist")
        if regions[v.auditor] is not None and unit[v.unit_id].region not in regions[v.auditor]:
            found.append(f"{v.key}: {v.auditor} outside their regions")
        hours = policy.hours_of(v.unit_id)
        if v.day not in days or v.day.isoweekday() not in hours.weekdays:
            found.append(f"{v.key}: day {v.day} not allowed")
        start, end = minutes(v.time_from), minutes(v.time_to)
        if not (minutes(hours.from_) <= start and end <= minutes(hours.to) and end - start == hours.slot_minutes):
            found.append(f"{v.key}: {v.time_from}-{v.time_to} outside the unit's hours")
        for other_start, other_end, other in times[(v.auditor, v.day)]:
            if start < other_end and other_start < end:
                found.append(f"{v.key}: overlaps {other} for {v.auditor}")
        times[(v.auditor, v.day)].append((start, end, v.key))
        per_day[(v.auditor, v.day)] += 1
        per_month[v.auditor] += 1
        for what, day in seen[(v.auditor, v.unit_id)]:
            if abs((v.day - day).days) < policy.lockout_days:
                found.append(f"{v.key}: {v.auditor} at {v.unit_id} on {v.day}, within the lockout of {what} {day}")
        seen[(v.auditor, v.unit_id)].append((v.key, v.day))
        if v.calibration_of is not None:
            original = keys.get(v.calibration_of)
            if original is None or original.calibration_of is not None:
                found.append(f"{v.key}: calibrates no regular visit")
            elif (original.unit_id, original.day, original.time_from) != (v.unit_id, v.day, v.time_from):
                found.append(f"{v.key}: not the same event as {original.key}")
            elif original.auditor == v.auditor:
                found.append(f"{v.key}: calibrated by the same auditor")
    for (auditor, day), n in per_day.items():
        if n > policy.capacity_of(auditor)[0]:
            found.append(f"{auditor}: {n} visits on {day}")
    for auditor, n in per_month.items():
        if n > policy.capacity_of(auditor)[1]:
            found.append(f"{auditor}: {n} visits in the month")
    return found


def planned_per_unit(plan: Plan) -> Counter:
    return Counter(v.unit_id for v in plan.visits if v.calibration_of is None)


# --- strategies ---------------------------------------------------------------------------------------

periods = st.sampled_from(["2027-01", "2027-02", "2028-02", "2026-06"])


@st.composite
def hours_tables(draw) -> Hours:
    start = draw(st.integers(6, 12)) * 60
    slot = draw(st.sampled_from([30, 45, 60, 90, 120]))
    end = start + slot * draw(st.integers(1, 6))
    weekdays = draw(st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True))
    return Hours(
        weekdays=weekdays,
        from_=f"{start // 60:02d}:{start % 60:02d}",
        to=f"{end // 60:02d}:{end % 60:02d}",
        slot_minutes=slot,
    )


@st.composite
def scenarios(draw):
    """Any small month: units, auditors, history and a policy, feasible or not."""
    period = draw(periods)
    unit_ids = draw(st.lists(st.from_regex(r"[A-Z]{3}-[0-9]{2}", fullmatch=True), min_size=1, max_size=8, unique=True))
    units = [
        UnitInput(
            unit_id=uid,
            kind=draw(st.sampled_from(KINDS)),
            region=draw(st.sampled_from(REGIONS)),
            checklist_id=f"list-{uid}",
            past_scores=draw(st.lists(st.floats(0, 100), max_size=6)),
            staff=[f"{uid}-s{i}" for i in range(draw(st.integers(0, 3)))],
        )
        for uid in unit_ids
    ]
    names = draw(st.lists(st.from_regex(r"[a-z]{1,6}", fullmatch=True), min_size=0, max_size=6, unique=True))
    auditors = [
        AuditorInput(
            name=name,
            regions=draw(st.one_of(st.none(), st.lists(st.sampled_from(REGIONS), max_size=3, unique=True))),
        )
        for name in names
    ]
    first = dt.date(int(period[:4]), int(period[5:]), 1)
    history = [
        PastVisit(
            auditor=draw(st.sampled_from(names)),
            unit_id=draw(st.sampled_from(unit_ids)),
            day=first + dt.timedelta(days=draw(st.integers(-120, 60))),
        )
        for _ in range(draw(st.integers(0, 12) if names else st.just(0)))
    ]
    min_visits = draw(st.integers(1, 4))
    precision = draw(st.booleans())
    policy = PlanPolicy(
        period=period,
        seed=draw(st.integers(0, 2**32)),
        lockout_days=draw(st.sampled_from([0, 1, 7, 14, 30, 90])),
        calibration_share=draw(st.sampled_from([0.0, 0.05, 0.25, 0.5])),
        min_visits=min_visits,
        visits=None
        if precision
        else VisitCounts(branch=min_visits + draw(st.integers(0, 3)), contact_centre=min_visits),
        precision=Precision(half_width=draw(st.floats(1, 20)), max_visits=min_visits + 4) if precision else None,
        capacity=Capacity(per_day=draw(st.integers(1, 3)), per_month=draw(st.integers(3, 30))),
        hours=draw(hours_tables()),
        units={uid: draw(hours_tables()) for uid in unit_ids if draw(st.integers(0, 3)) == 0},
    )
    return policy, units, auditors, history, draw(st.integers(0, 4))


@st.composite
def roomy_scenarios(draw):
    """A month every unit's needs fit in: each region has more auditors than a unit needs visits,
    each with room for all of them, and no history within the lockout."""
    period = draw(periods)
    n_units = draw(st.integers(1, 6))
    units = [
        UnitInput(
            unit_id=f"U-{i}",
            kind=draw(st.sampled_from(KINDS)),
            region=draw(st.sampled_from(REGIONS)),
            checklist_id="branch",
        )
        for i in range(n_units)
    ]
    most = draw(st.integers(1, 4))
    auditors = [AuditorInput(name=f"{r}-{i}", regions=[r]) for r in REGIONS for i in range(most + 1)]
    policy = PlanPolicy(
        period=period,
        seed=draw(st.integers(0, 1000)),
        lockout_days=draw(st.sampled_from([0, 30, 90])),
        calibration_share=draw(st.sampled_from([0.0, 0.1])),
        min_visits=1,
        visits=VisitCounts(branch=most, contact_centre=draw(st.integers(1, most)), field_technician=1),
        capacity=Capacity(per_day=2, per_month=2 * n_units * most),
    )
    return policy, units, auditors


# --- properties ----------------------------------------------------------------------------------------

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_hard_rules_always_hold(case) -> None:
    """Lockout (history and plan, both ways), capacities, regions, days and hours: never broken."""
    policy, units, auditors, history, staff_min = case
    plan = plan_month(policy, units, auditors, history, staff_min)
    assert violations(plan, policy, units, auditors, history) == []


@SETTINGS
@given(scenarios())
def test_every_shortfall_is_warned(case) -> None:
    """A unit with fewer visits than it needs gets `unit_below_minimum`, and only then."""
    policy, units, auditors, history, staff_min = case
    plan = plan_month(policy, units, auditors, history, staff_min)
    got = planned_per_unit(plan)
    short = {u.unit_id for u in units if got[u.unit_id] < plan.needed[u.unit_id]}
    warned = {w.unit_id for w in plan.warnings if w.code == "unit_below_minimum"}
    assert warned == short
    for w in plan.warnings:
        if w.code == "unit_below_minimum":
            assert (w.needed, w.planned) == (plan.needed[w.unit_id], got[w.unit_id])
    assert all(plan.needed[u.unit_id] >= policy.min_visits for u in units)


@SETTINGS
@given(roomy_scenarios())
def test_every_unit_gets_its_visits_when_capacity_allows(case) -> None:
    policy, units, auditors = case
    plan = plan_month(policy, units, auditors, [], 0)
    assert violations(plan, policy, units, auditors, []) == []
    got = planned_per_unit(plan)
    assert {u.unit_id: got[u.unit_id] for u in units} == plan.needed
    assert not [w for w in plan.warnings if w.code != "calibration_short"]


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_inputs_and_seed_same_plan_in_any_order(case, rng) -> None:
    policy, units, auditors, history, staff_min = case
    first = plan_month(policy, units, auditors, history, staff_min)
    shuffled = [list(x) for x in (units, auditors, history)]
    for items in shuffled:
        rng.shuffle(items)
    again = plan_month(policy, *shuffled, staff_min)
    assert msgspec.json.encode(again) == msgspec.json.encode(first)


# --- worked examples -------------------------------------------------------------------------------------


def _policy(**changes) -> PlanPolicy:
    return msgspec.structs.replace(load_plan_policy(POLICY_TOML.encode()).policy, **changes)


def test_example_policy_plan_spreads_visits() -> None:
    policy = _policy(calibration_share=0.1)
    units = [
        UnitInput(unit_id=f"ALM-{i:03d}", kind="branch", region="Алматы", checklist_id="branch") for i in range(10)
    ]
    auditors = [AuditorInput(name=f"auditor.{i}", regions=["Алматы"]) for i in range(6)]
    plan = plan_month(policy, units, auditors, [], 3)
    regular = [v for v in plan.visits if v.calibration_of is None]
    assert len(regular) == 40 and plan.warnings == []
    assert len(plan.visits) - len(regular) == 4  # round(0.1 * 40) calibration pairs
    assert violations(plan, policy, units, auditors, []) == []
    # spread: no unit twice on one day, at least three weekdays and three hours per unit
    for u in units:
        mine = [v for v in regular if v.unit_id == u.unit_id]
        assert len({v.day for v in mine}) == 4
        assert len({v.day.isoweekday() for v in mine}) >= 3
        assert len({v.time_from for v in mine}) >= 3
    assert [v.key for v in regular if v.unit_id == "ALM-000"] == [f"2027-01-ALM-000-{n}" for n in (1, 2, 3, 4)]
    assert sorted(plan.visits, key=lambda v: (v.day, v.time_from, v.key)) == plan.visits


def test_the_rule_check_itself_finds_broken_plans() -> None:
    """The property tests are only as good as `violations`: it must see each kind of break."""
    policy = _policy(calibration_share=0.25)
    units = [UnitInput(unit_id=f"ALM-{i}", kind="branch", region="Алматы", checklist_id="branch") for i in range(4)]
    auditors = [AuditorInput(name=f"a{i}", regions=["Алматы"]) for i in range(5)] + [
        AuditorInput(name="far", regions=["Астана"])
    ]
    plan = plan_month(policy, units, auditors, [], 0)
    assert violations(plan, policy, units, auditors, []) == []
    first, second = (
        plan.visits[0],
        next(v for v in plan.visits if v.unit_id == plan.visits[0].unit_id and v != plan.visits[0]),
    )
    pair = next(v for v in plan.visits if v.calibration_of)
    sunday = dt.date(2027, 1, 3)
    broken = {
        "lockout": [msgspec.structs.replace(second, auditor=first.auditor)],
        "region": [msgspec.structs.replace(first, auditor="far")],
        "weekday": [msgspec.structs.replace(first, day=sunday)],
        "hours": [msgspec.structs.replace(first, time_from="18:00", time_to="19:00")],
        "same auditor": [
            msgspec.structs.replace(
                pair, auditor=plan.visits[[v.key for v in plan.visits].index(pair.calibration_of)].auditor
            )
        ],
    }
    for what, changed in broken.items():
        by_key = {v.key: v for v in changed}
        visits = [by_key.get(v.key, v) for v in plan.visits]
        assert violations(msgspec.structs.replace(plan, visits=visits), policy, units, auditors, []), what
    history = [PastVisit(auditor=first.auditor, unit_id=first.unit_id, day=first.day + dt.timedelta(days=89))]
    assert violations(plan, policy, units, auditors, history)
    tight = msgspec.structs.replace(policy, capacity=Capacity(per_day=1, per_month=2))
    assert violations(plan, tight, units, auditors, [])


def test_lockout_counts_history_on_both_sides_of_the_month() -> None:
    policy = _policy(lockout_days=30, calibration_share=0.0, visits=VisitCounts(branch=3))
    unit = UnitInput(unit_id="U-1", kind="branch", region="Алматы", checklist_id="branch")
    auditors = [AuditorInput(name="a"), AuditorInput(name="b"), AuditorInput(name="c")]
    history = [
        PastVisit(auditor="a", unit_id="U-1", day=dt.date(2026, 12, 20)),  # a: from 2027-01-19 on
        PastVisit(auditor="b", unit_id="U-1", day=dt.date(2027, 2, 10)),  # b: until 2027-01-11
    ]
    plan = plan_month(policy, [unit], auditors, history, 0)
    days = {v.auditor: v.day for v in plan.visits}
    assert set(days) == {"a", "b", "c"}
    assert days["a"] >= dt.date(2027, 1, 19) and days["b"] <= dt.date(2027, 1, 11)
    assert violations(plan, policy, [unit], auditors, history) == []


def test_shortfalls_are_warned_by_region_and_unit() -> None:
    policy = _policy(calibration_share=0.5)
    units = [
        UnitInput(unit_id="ALM-1", kind="branch", region="Алматы", checklist_id="branch", staff=["s1", "s2"]),
        UnitInput(unit_id="SHY-1", kind="field_technician", region="Шымкент", checklist_id="tech"),
    ]
    # one auditor, lockout 90: one visit per unit a month, and nobody for Шымкент
    plan = plan_month(policy, units, [AuditorInput(name="solo", regions=["Алматы"])], [], 2)
    assert planned_per_unit(plan) == {"ALM-1": 1}
    codes = {(w.code, w.unit_id or w.region or w.staff_id) for w in plan.warnings}
    assert codes == {
        ("unit_below_minimum", "ALM-1"),
        ("unit_below_minimum", "SHY-1"),
        ("region_short", "Алматы"),
        ("no_auditor", "Шымкент"),
        ("staff_below_minimum", "ALM-1"),  # staff_id set too: both staff members
        ("calibration_short", None),
    }
    staff = [w for w in plan.warnings if w.code == "staff_below_minimum"]
    assert [(w.staff_id, w.needed, w.planned) for w in staff] == [("s1", 2, 0), ("s2", 2, 0)]
    region = next(w for w in plan.warnings if w.code == "region_short")
    assert (region.needed, region.planned) == (4, 1)


def test_repair_moves_a_visit_to_free_the_auditor_a_unit_needs() -> None:
    """Four visits, four places: x (2 a month) may go anywhere, y only to Астана, z only to Алматы.
    When x takes Астана first, the third Алматы unit finds nobody: the repair hands Астана to y."""
    policy = _policy(
        visits=VisitCounts(branch=1),
        min_visits=1,
        calibration_share=0.0,
        capacity=Capacity(per_day=1, per_month=1),
        auditors={"x": AuditorPolicy(per_month=2)},
    )
    units = [UnitInput(unit_id="AST-1", kind="branch", region="Астана", checklist_id="branch")]
    units += [UnitInput(unit_id=f"ALM-{i}", kind="branch", region="Алматы", checklist_id="branch") for i in (1, 2, 3)]
    auditors = [
        AuditorInput(name="x"),
        AuditorInput(name="y", regions=["Астана"]),
        AuditorInput(name="z", regions=["Алматы"]),
    ]
    for seed in range(30):
        plan = plan_month(msgspec.structs.replace(policy, seed=seed), units, auditors, [], 0)
        assert planned_per_unit(plan) == dict.fromkeys(("AST-1", "ALM-1", "ALM-2", "ALM-3"), 1), seed
        assert next(v.auditor for v in plan.visits if v.unit_id == "AST-1") == "y"
        assert violations(plan, policy, units, auditors, []) == []


def test_policy_auditor_regions_and_capacity_replace_the_directory() -> None:
    policy = _policy(calibration_share=0.0, lockout_days=0, visits=VisitCounts(branch=50))
    unit = UnitInput(unit_id="ALM-014", kind="branch", region="Алматы", checklist_id="branch")
    auditors = [AuditorInput(name="auditor.aigerim", regions=["Астана"])]  # the policy says Алматы
    plan = plan_month(policy, [unit], auditors, [], 0)
    assert len(plan.visits) == 20  # her per_month in the policy
    assert {v.day.isoweekday() for v in plan.visits} <= {1, 2, 3, 4, 5}  # the unit's own weekdays
    assert min(v.time_from for v in plan.visits) >= "10:00" and max(v.time_to for v in plan.visits) <= "17:00"
    roomier = msgspec.structs.replace(
        policy, auditors={"auditor.aigerim": AuditorPolicy(per_day=2, per_month=50, regions=["Алматы"])}
    )
    plan = plan_month(roomier, [unit], auditors, [], 0)
    assert len(plan.visits) == 42  # 21 weekdays in January 2027, two a day
    assert set(Counter(v.day for v in plan.visits).values()) == {2}
    assert violations(plan, roomier, [unit], auditors, []) == []


# --- sample size -------------------------------------------------------------------------------------------

# Worked by hand from t tables (two-sided 95 %: t_{2}=4.303, t_{3}=3.182, t_{4}=2.776, t_{5}=2.571,
# t_{6}=2.447, t_{11}=2.201, t_{12}=2.179, t_{16}=2.120, t_{17}=2.110; 90 %: t_{11}=1.796, t_{12}=1.782):
#   sd 2:  n=3  4.303*2/√3 = 4.97 <= 5
#   sd 3:  n=3  7.45;  n=4  3.182*3/2 = 4.77
#   sd 4:  n=4  6.36;  n=5  2.776*4/√5 = 4.97
#   sd 5:  n=6  2.571*5/√6 = 5.25;  n=7  2.447*5/√7 = 4.62
#   sd 8:  n=12 2.201*8/√12 = 5.08;  n=13 2.179*8/√13 = 4.83
#   sd 10: n=17 2.120*10/√17 = 5.14;  n=18 2.110*10/√18 = 4.97
#   sd 10 at 90 %: n=12 1.796*10/√12 = 5.18;  n=13 1.782*10/√13 = 4.94
SAMPLE_SIZES = [
    # sd, half_width, confidence, minimum, maximum, n
    (2.0, 5.0, 0.95, 3, 30, 3),
    (3.0, 5.0, 0.95, 3, 30, 4),
    (4.0, 5.0, 0.95, 3, 30, 5),
    (5.0, 5.0, 0.95, 3, 30, 7),
    (8.0, 5.0, 0.95, 3, 30, 13),
    (10.0, 5.0, 0.95, 3, 30, 18),
    (10.0, 5.0, 0.90, 3, 30, 13),
    (10.0, 5.0, 0.95, 3, 12, 12),  # the target is out of reach: the maximum
    (2.0, 5.0, 0.95, 6, 30, 6),  # never below the minimum
    (0.0, 5.0, 0.95, 3, 12, 3),  # no spread: the minimum
    (None, 5.0, 0.95, 3, 12, 12),  # spread unknown: the maximum
]


@pytest.mark.parametrize(("sd", "half_width", "confidence", "minimum", "maximum", "n"), SAMPLE_SIZES)
def test_sample_size_table(sd, half_width, confidence, minimum, maximum, n) -> None:
    assert sample_size(sd, half_width, confidence, minimum, maximum) == n


def test_needed_visits_from_precision_pools_the_spread_of_a_kind() -> None:
    policy = _policy(visits=None, precision=Precision(half_width=5.0, max_visits=30))
    units = [
        UnitInput(unit_id="A", kind="branch", region="r", checklist_id="c", past_scores=[90.0, 100.0, 80.0]),  # sd 10
        UnitInput(unit_id="B", kind="branch", region="r", checklist_id="c", past_scores=[70.0]),  # pooled: 10
        UnitInput(unit_id="C", kind="contact_centre", region="r", checklist_id="c"),  # no spread: the maximum
        UnitInput(unit_id="D", kind="contact_centre", region="r", checklist_id="c", past_scores=[88.0, 88.0]),
    ]
    assert needed_visits(policy, units) == {"A": 18, "B": 18, "C": 3, "D": 3}
    # C borrows D's spread (0): the minimum; alone, it would get the maximum
    assert needed_visits(policy, units[2:3]) == {"C": 30}
    fixed = _policy()
    assert needed_visits(fixed, units) == {"A": 4, "B": 4, "C": 6, "D": 6}
    assert needed_visits(fixed, [UnitInput(unit_id="T", kind="field_technician", region="r", checklist_id="c")]) == {
        "T": 3
    }


# --- the policy file ---------------------------------------------------------------------------------------


def test_policy_loads_from_toml_and_json_alike() -> None:
    loaded = load_plan_policy(POLICY_TOML.encode())
    policy = loaded.policy
    assert policy.period == "2027-01" and policy.visits == VisitCounts(branch=4, contact_centre=6)
    assert policy.capacity_of("auditor.aigerim") == (2, 20) and policy.capacity_of("other") == (3, 40)
    assert policy.hours_of("ALM-014").from_ == "10:00" and policy.hours_of("X").from_ == "09:00"
    assert len(policy.days()) == 31
    again = load_plan_policy(msgspec.json.encode(loaded.raw), "json")
    assert again.policy == policy and again.sha256 == loaded.sha256
    assert load_plan_policy(b'period = "2027-02"\n[precision]\nhalf_width = 4\n').policy.days()[-1] == dt.date(
        2027, 2, 28
    )


def _problems(text: str, fmt: str = "toml") -> set[tuple[str, str]]:
    with pytest.raises(Invalid) as caught:
        load_plan_policy(text.encode(), fmt)
    return {(p.path, p.message) for p in caught.value.problems}


def _paths(text: str, fmt: str = "toml") -> set[str]:
    return {path for path, _ in _problems(text, fmt)}


def test_every_problem_is_listed_with_its_path() -> None:
    text = """
period = "2027-13"
seed = -1
lockout = 30
calibration_share = 0.6
[visits]
branch = 2
kiosk = 3
[precision]
half_width = 5
[hours]
weekdays = [1, 1, 8]
from = "18:00"
to = "09:00"
slot_minutes = 10
[capacity]
per_day = 5
per_month = 4
[units.ALM-014]
from = "10:00"
to = "10:30"
[units."ALM 15"]
[auditors."auditor.aigerim"]
per_day = 0
regions = ["Алматы", ""]
zone = "x"
"""
    assert _paths(text) == {
        "period",
        "seed",
        "lockout",
        "calibration_share",
        "visits.branch",  # below min_visits
        "visits.kiosk",  # not a unit kind
        "precision",  # both ways to size
        "hours.weekdays",  # 8, and 1 twice
        "hours.to",  # before from
        "hours.slot_minutes",  # below 15
        "capacity.per_month",  # below per_day
        "units.ALM-014.slot_minutes",  # no 60-minute slot fits in 10:00-10:30
        'units."ALM 15"',  # not a unit id
        'auditors."auditor.aigerim".per_day',
        'auditors."auditor.aigerim".regions',
        'auditors."auditor.aigerim".zone',
    }


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('period = "2027-01"\n', "visits"),  # neither visits nor precision
        ('period = "2027-01"\n[visits]\n[precision]\nhalf_width = 1\n', "precision"),  # both
        ("[visits]\n", "period"),  # required
        ('period = "0001-01"\n[visits]\n', "period"),
        ('period = "9999-12"\n[visits]\n', "period"),
        ('period = "2027-01\\n"\n[visits]\n', "period"),  # a trailing newline
        ("period = 202701\n[visits]\n", "period"),
        ('period = "2027-01"\n[visits]\n[units."A\u0301LM"]\n', 'units."A\u0301LM"'),  # NFD: not a unit id
        ('period = "2027-01"\n[visits]\n[auditors."a b"]\n', 'auditors."a b"'),
        ('period = "2027-01"\n[visits]\n[precision]\nhalf_width = 5\nmax_visits = 2\n', "precision.max_visits"),
        ('period = "2027-01"\nunits = 3\n[visits]\n', "units"),
        ('period = "2027-01"\n[visits]\n[hours]\nfrom = 2027-01-01\n', "hours.from"),  # TOML dates refused
    ],
)
def test_one_problem_named_by_its_path(text: str, path: str) -> None:
    assert path in _paths(text)


def test_json_and_broken_documents() -> None:
    assert _paths('{"period": "2027-01", "visits": {"branch": "4"}, "extra": {}}', "json") == {
        "visits.branch",
        "extra",
    }
    assert _paths("[1, 2]", "json") == {""}
    assert _paths("period = ", "toml") == {""}
    assert _paths('{"period": "2027-01", "visits": {}, "units": {"U": {"to": "08:00"}}}', "json") == {"units.U.to"}


def test_region_names_are_stored_nfc() -> None:
    text = 'period = "2027-01"\n[visits]\n[auditors.a]\nregions = ["Алаи\u0306"]\n'
    assert load_plan_policy(text.encode()).policy.auditors["a"].regions == ["Алай"]
