"""Drafting a month's plan: `reports.planning.plan_month` for a network of 500 units.

The inputs are made up in memory (no store: the planner is pure): 500 units in 17 regions (the
large cities hold more), 60 % branches, 20 % contact centres, 20 % field technicians, 10 staff
each (5,000); 120 auditors spread over the regions by their units, every tenth also covering a
second region; each unit with 24 approved visit scores of the past year (its spread); and a year
of history, 6,000 past visits by auditors of the unit's region, which the 90-day lockout reads.
The policy sizes the visits from a target (±5 points at 95 %, 3..12 visits), 3 a day and 40 a
month per auditor, 5 % calibration pairs. Median of 3 runs, target < 5 s. `--quick` runs once.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time

from bench.common import Row
from reports.plan_policy import Capacity, PlanPolicy, Precision
from reports.planning import AuditorInput, PastVisit, Plan, UnitInput, plan_month

UNITS, AUDITORS, STAFF_PER_UNIT, HISTORY = 500, 120, 10, 6_000
PERIOD = "2027-01"
TARGET_S = 5.0
REGIONS = [
    ("Алматы", 9),
    ("Астана", 7),
    ("Шымкент", 5),
    ("Қарағанды облысы", 4),
    ("Ақтөбе облысы", 3),
    ("Атырау облысы", 3),
    ("Павлодар облысы", 3),
    ("Шығыс Қазақстан облысы", 3),
    ("Қостанай облысы", 3),
    ("Жамбыл облысы", 2),
    ("Түркістан облысы", 2),
    ("Батыс Қазақстан облысы", 2),
    ("Маңғыстау облысы", 2),
    ("Солтүстік Қазақстан облысы", 2),
    ("Қызылорда облысы", 2),
    ("Алматы облысы", 2),
    ("Ақмола облысы", 2),
]


def inputs(seed: int = 1) -> tuple[PlanPolicy, list[UnitInput], list[AuditorInput], list[PastVisit]]:
    """The made-up network, the same for the same seed."""
    rng = random.Random(seed)
    names = [r for r, _ in REGIONS]
    weights = [w for _, w in REGIONS]
    kinds = ["branch"] * 6 + ["contact_centre"] * 2 + ["field_technician"] * 2
    units = []
    for i in range(UNITS):
        region = rng.choices(names, weights)[0]
        level, spread = rng.uniform(70, 95), rng.uniform(2, 8)
        units.append(
            UnitInput(
                unit_id=f"U-{i:04d}",
                kind=kinds[i % len(kinds)],
                region=region,
                checklist_id=kinds[i % len(kinds)],
                past_scores=[min(100.0, max(0.0, rng.gauss(level, spread))) for _ in range(24)],
                staff=[f"S-{i:04d}-{j}" for j in range(STAFF_PER_UNIT)],
            )
        )
    per_region = {r: sum(u.region == r for u in units) for r in names}
    auditors = []
    for i in range(AUDITORS):
        home = names[i // 2] if i < 2 * len(names) else rng.choices(names, [per_region[r] for r in names])[0]
        regions = [home] if i % 10 else [home, rng.choice(names)]
        auditors.append(AuditorInput(name=f"auditor.{i:03d}", regions=sorted(set(regions))))
    serving = {r: [a.name for a in auditors if r in (a.regions or ())] for r in names}
    start = dt.date(2026, 1, 1)
    history = []
    for _ in range(HISTORY):
        unit = rng.choice(units)
        who = serving[unit.region] or [a.name for a in auditors]
        history.append(
            PastVisit(auditor=rng.choice(who), unit_id=unit.unit_id, day=start + dt.timedelta(rng.randrange(365)))
        )
    policy = PlanPolicy(
        period=PERIOD,
        seed=seed,
        lockout_days=90,
        calibration_share=0.05,
        precision=Precision(half_width=5.0, confidence=0.95, max_visits=12),
        capacity=Capacity(per_day=3, per_month=40),
    )
    return policy, units, auditors, history


def run(quick: bool) -> list[Row]:
    """The time of one draft and what it planned."""
    policy, units, auditors, history = inputs()
    times, plan = [], None
    for _ in range(1 if quick else 3):
        started = time.perf_counter()
        plan = plan_month(policy, units, auditors, history, 3)
        times.append(time.perf_counter() - started)
    assert isinstance(plan, Plan)
    seconds = statistics.median(times)
    regular = sum(v.calibration_of is None for v in plan.visits)
    short = sum(w.code == "unit_below_minimum" for w in plan.warnings)
    return [
        Row(
            f"plan: a month for {UNITS} units, {AUDITORS} auditors, {UNITS * STAFF_PER_UNIT:,} staff,"
            f" {HISTORY:,} past visits",
            seconds,
            "s",
            f"< {TARGET_S:.0f}",
            seconds < TARGET_S,
        ),
        Row("plan: visits planned", regular, f"of {sum(plan.needed.values()):,} needed"),
        Row("plan: calibration pairs", len(plan.visits) - regular, ""),
        Row("plan: units below their minimum", short, f"of {UNITS}"),
    ]
