"""A month's assignment plan: who visits which unit when, and where the month cannot be covered.

The algorithm is a greedy assignment with one repair step. Each unit first gets its needed
number of visits (fixed per kind, or the sample size its past spread needs). Visits are then
handed out in rounds: round n gives the n-th visit to every unit that still needs one, so when
capacity runs short the shortfall is shared instead of falling on the last units. Within a round
the units whose eligible auditors (same region, not locked out by history) have the least spare
capacity per visit still needed go first. A visit goes to the eligible auditor with the most
capacity left (ties broken by a hash of the seed, so the same seed gives the same plan), on the
day and slot that best spread the unit's visits: an ideal day evenly spaced through the month
from a seeded offset, avoiding days and weekdays the unit already has, then the slot the unit has
used least, rotating through the day. A day is taken only if every hard rule holds there: the
auditor's day and month capacity, the unit's weekdays and hours, no overlap with the auditor's
other visits, and the lockout against every visit of that auditor to that unit in the history and
in the plan, before or after. When no eligible auditor has room, the repair step moves one visit
of a full auditor to another auditor who can take it at the same time, and tries again. Last,
calibration pairs are added: a second auditor, obeying the same hard rules, scores the event of an
already planned visit (same unit, day and slot). Every input is sorted first, so the plan depends
only on the inputs and the seed, never on their order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable

import msgspec

from reports.plan_policy import Hours, PlanPolicy, clock
from reports.stats import t_quantile


class UnitInput(msgspec.Struct, kw_only=True, frozen=True):
    """A unit to plan, with its approved visit scores of the last 12 months (their spread)."""

    unit_id: str
    kind: str
    region: str
    checklist_id: str
    past_scores: list[float] = []
    staff: list[str] = []  # the unit's active staff


class AuditorInput(msgspec.Struct, kw_only=True, frozen=True):
    """An auditor and the regions whose units they may visit (None: every region)."""

    name: str
    regions: list[str] | None = None


class PastVisit(msgspec.Struct, kw_only=True, frozen=True):
    """A visit already made or planned (any date: the lockout looks both ways)."""

    auditor: str
    unit_id: str
    day: dt.date


class PlannedVisit(msgspec.Struct, kw_only=True, frozen=True):
    """One visit of the plan; a calibration visit names the key of the visit whose event it scores again."""

    key: str
    auditor: str
    unit_id: str
    checklist_id: str
    day: dt.date
    time_from: str
    time_to: str
    calibration_of: str | None = None


class PlanWarning(msgspec.Struct, kw_only=True, frozen=True):
    """Where the plan falls short (`detail` in English; the console words it from `code` and the fields)."""

    code: str
    detail: str
    unit_id: str | None = None
    region: str | None = None
    auditor: str | None = None
    staff_id: str | None = None
    needed: int | None = None
    planned: int | None = None


class Plan(msgspec.Struct, kw_only=True, frozen=True):
    period: str
    visits: list[PlannedVisit]
    warnings: list[PlanWarning]
    needed: dict[str, int]


def sample_size(
    sd: float | None, half_width: float, confidence: float = 0.95, minimum: int = 3, maximum: int = 12
) -> int:
    """The fewest visits (minimum..maximum) whose t interval of the mean is at most ±half_width.

    With no spread known (`sd` None: fewer than two past scores) nothing says a few visits are
    enough, so the unit gets `maximum`; a spread of 0 needs only `minimum`. When even `maximum`
    visits cannot reach the target, `maximum` it is.
    """
    if sd is None:
        return maximum
    if sd <= 0:
        return minimum
    p = (1 + confidence) / 2
    for n in range(max(minimum, 2), maximum + 1):
        if t_quantile(p, n - 1) * sd / math.sqrt(n) <= half_width:
            return n
    return max(minimum, maximum)


def _spread(scores: list[float]) -> float | None:
    return statistics.stdev(scores) if len(scores) >= 2 else None


def needed_visits(policy: PlanPolicy, units: list[UnitInput]) -> dict[str, int]:
    """Visits each unit needs this month, never fewer than the policy's `min_visits`.

    With a precision target, a unit with fewer than two past scores borrows the pooled spread of
    its kind's units (the root of their mean variance): a new branch varies like the others.
    """
    if policy.precision is None:
        counts = msgspec.structs.asdict(policy.visits) if policy.visits else {}
        return {u.unit_id: max(policy.min_visits, counts.get(u.kind) or 0) for u in units}
    target = policy.precision
    variances: dict[str, list[float]] = defaultdict(list)
    for u in units:
        if (sd := _spread(u.past_scores)) is not None:
            variances[u.kind].append(sd * sd)
    pooled = {kind: math.sqrt(statistics.fmean(v)) for kind, v in variances.items()}
    needed = {}
    for u in units:
        sd = _spread(u.past_scores)
        sd = pooled.get(u.kind) if sd is None else sd
        needed[u.unit_id] = sample_size(sd, target.half_width, target.confidence, policy.min_visits, target.max_visits)
    return needed


def _rank(seed: int, *parts: str) -> int:
    """A seeded, order-free tie-breaker: the same parts and seed always rank the same."""
    text = "\x1f".join((str(seed), *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


class _Slot(msgspec.Struct, frozen=True):
    index: int  # the slot's place in the unit's day
    start: int  # minutes after midnight
    end: int


class _Planner:
    """The mutable state of one drafting run; every check of a hard rule lives here."""

    def __init__(
        self, policy: PlanPolicy, units: list[UnitInput], auditors: list[AuditorInput], history: list[PastVisit]
    ) -> None:
        self.policy = policy
        self.seed = policy.seed
        self.lockout = policy.lockout_days
        self.days = policy.days()
        self.ordinals = [d.toordinal() for d in self.days]
        self.units = units
        self.auditors = [a.name for a in auditors]
        self.capacity = {a.name: policy.capacity_of(a.name) for a in auditors}
        self.regions: dict[str, set[str] | None] = {}
        for a in auditors:
            own = policy.auditors.get(a.name)
            regions = own.regions if own is not None and own.regions is not None else a.regions
            self.regions[a.name] = None if regions is None else set(regions)
        # the days of each auditor's visits to each unit: history, then the plan as it grows
        self.seen: dict[tuple[str, str], list[int]] = defaultdict(list)
        for v in history:
            self.seen[(v.auditor, v.unit_id)].append(v.day.toordinal())
        self.month_used: dict[str, int] = dict.fromkeys(self.auditors, 0)
        self.day_used: dict[tuple[str, int], int] = defaultdict(int)
        self.busy: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
        self.unit_days: dict[str, list[int]] = defaultdict(list)
        self.unit_slot_use: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.slots: dict[str, list[list[_Slot]]] = {
            u.unit_id: self._unit_slots(policy.hours_of(u.unit_id)) for u in units
        }
        self.eligible: dict[str, list[str]] = {u.unit_id: self._eligible(u) for u in units}

    def _unit_slots(self, hours: Hours) -> list[list[_Slot]]:
        """The unit's slots on each day of the month (none on a weekday it is not visited)."""
        slots = [_Slot(i, start, end) for i, (start, end) in enumerate(hours.slots())]
        allowed = set(hours.weekdays)
        return [slots if day.isoweekday() in allowed else [] for day in self.days]

    def _eligible(self, unit: UnitInput) -> list[str]:
        """Auditors of the unit's region not locked out of it for the whole month by their history."""
        out = []
        for name in self.auditors:
            regions = self.regions[name]
            if regions is not None and unit.region not in regions:
                continue
            if all(self.locked(name, unit.unit_id, o) for o in self.ordinals):
                continue
            out.append(name)
        return out

    def locked(self, auditor: str, unit_id: str, ordinal: int) -> bool:
        """Whether a visit on this day would come within the lockout of another visit of the same pair."""
        return any(abs(ordinal - o) < self.lockout for o in self.seen.get((auditor, unit_id), ()))

    def left(self, auditor: str) -> int:
        return self.capacity[auditor][1] - self.month_used[auditor]

    def free(self, auditor: str, unit_id: str, day: int, slot: _Slot) -> bool:
        """Every hard rule for one auditor at one unit in one slot of one day of the month."""
        per_day, per_month = self.capacity[auditor]
        if self.month_used[auditor] >= per_month or self.day_used[(auditor, day)] >= per_day:
            return False
        if any(start < slot.end and slot.start < end for start, end in self.busy[(auditor, day)]):
            return False
        return not self.locked(auditor, unit_id, self.ordinals[day])

    def take(self, auditor: str, unit_id: str, day: int, slot: _Slot) -> None:
        self.month_used[auditor] += 1
        self.day_used[(auditor, day)] += 1
        self.busy[(auditor, day)].append((slot.start, slot.end))
        self.seen[(auditor, unit_id)].append(self.ordinals[day])

    def release(self, auditor: str, unit_id: str, day: int, slot: _Slot) -> None:
        self.month_used[auditor] -= 1
        self.day_used[(auditor, day)] -= 1
        self.busy[(auditor, day)].remove((slot.start, slot.end))
        self.seen[(auditor, unit_id)].remove(self.ordinals[day])

    def place(self, auditor: str, unit_id: str, n: int, needed: int) -> tuple[int, _Slot] | None:
        """The best day and slot for the unit's n-th visit (0-based) by this auditor, or None."""
        days = self.slots[unit_id]
        count = len(days)
        step = count / max(needed, 1)
        ideal = (_rank(self.seed, unit_id, "day") % max(int(step), 1)) + n * step
        taken = self.unit_days[unit_id]
        weekdays = [self.days[d].isoweekday() for d in taken]

        def cost(d: int) -> float:
            return abs(d - ideal) + 8 * taken.count(d) + 3 * weekdays.count(self.days[d].isoweekday())

        use = self.unit_slot_use[unit_id]
        turn = _rank(self.seed, unit_id, "slot") + n
        for d in sorted((d for d in range(count) if days[d]), key=lambda d: (cost(d), d)):
            slots = days[d]
            if self.day_used[(auditor, d)] >= self.capacity[auditor][0] or self.locked(
                auditor, unit_id, self.ordinals[d]
            ):
                continue
            for slot in sorted(slots, key=lambda s: (use[s.index], (s.index - turn) % len(slots))):
                if self.free(auditor, unit_id, d, slot):
                    return d, slot
        return None

    def book(self, auditor: str, unit_id: str, day: int, slot: _Slot) -> None:
        """Take a regular visit and note the unit's spread."""
        self.take(auditor, unit_id, day, slot)
        self.unit_days[unit_id].append(day)
        self.unit_slot_use[unit_id][slot.index] += 1

    def unbook(self, auditor: str, unit_id: str, day: int, slot: _Slot) -> None:
        self.release(auditor, unit_id, day, slot)
        self.unit_days[unit_id].remove(day)
        self.unit_slot_use[unit_id][slot.index] -= 1


class _Booked(msgspec.Struct):
    auditor: str
    unit_id: str
    day: int
    slot: _Slot


def _candidates(planner: _Planner, unit_id: str, exclude: str | None = None) -> list[str]:
    """The unit's eligible auditors with capacity left, the most spare capacity first."""
    seed = planner.seed
    names = [a for a in planner.eligible[unit_id] if a != exclude and planner.left(a) > 0]
    return sorted(names, key=lambda a: (-planner.left(a), _rank(seed, a, unit_id), a))


REPAIR_TRIES = 3  # moves tried per full auditor: each frees a different day, rarely needed more


def _repair(planner: _Planner, unit_id: str, n: int, needed: int, booked: dict[str, list[_Booked]]) -> bool:
    """Free a full eligible auditor by moving one of their visits to another auditor, then place the visit."""
    seed = planner.seed
    full = sorted(planner.eligible[unit_id], key=lambda a: (_rank(seed, a, unit_id, "repair"), a))
    theirs: dict[str, list[_Booked]] = defaultdict(list)
    for other_unit in sorted(booked):
        for visit in booked[other_unit]:
            theirs[visit.auditor].append(visit)
    for auditor in full:
        tries = 0
        for visit in theirs[auditor]:
            if tries >= REPAIR_TRIES:
                break
            for helper in _candidates(planner, visit.unit_id, exclude=auditor):
                if not planner.free(helper, visit.unit_id, visit.day, visit.slot):
                    continue
                tries += 1
                planner.unbook(auditor, visit.unit_id, visit.day, visit.slot)
                planner.book(helper, visit.unit_id, visit.day, visit.slot)
                spot = planner.place(auditor, unit_id, n, needed)
                if spot is not None:
                    visit.auditor = helper
                    booked[unit_id].append(_Booked(auditor, unit_id, *spot))
                    planner.book(auditor, unit_id, *spot)
                    return True
                planner.unbook(helper, visit.unit_id, visit.day, visit.slot)
                planner.book(auditor, visit.unit_id, visit.day, visit.slot)
                break
    return False


def _assign(planner: _Planner, needed: dict[str, int]) -> dict[str, list[_Booked]]:
    """The regular visits, handed out in rounds (see the module's docstring)."""
    seed = planner.seed
    booked: dict[str, list[_Booked]] = {u.unit_id: [] for u in planner.units}
    gave_up: set[str] = set()
    for n in range(max(needed.values(), default=0)):
        waiting = [u for u in needed if needed[u] > n and u not in gave_up]

        def scarcity(unit_id: str, n: int = n) -> tuple[float, int, str]:
            spare = sum(planner.left(a) for a in planner.eligible[unit_id])
            return (spare / (needed[unit_id] - n), _rank(seed, unit_id), unit_id)

        for unit_id in sorted(waiting, key=scarcity):
            for auditor in _candidates(planner, unit_id):
                spot = planner.place(auditor, unit_id, n, needed[unit_id])
                if spot is not None:
                    booked[unit_id].append(_Booked(auditor, unit_id, *spot))
                    planner.book(auditor, unit_id, *spot)
                    break
            else:
                if not _repair(planner, unit_id, n, needed[unit_id], booked):
                    gave_up.add(unit_id)  # later rounds cannot do better for it
    return booked


def _calibrate(planner: _Planner, originals: list[tuple[str, _Booked]], wanted: int) -> list[tuple[str, _Booked]]:
    """Second auditors for `wanted` planned visits: one per unit first, units in seeded order."""
    seed = planner.seed
    by_unit: dict[str, list[tuple[str, _Booked]]] = defaultdict(list)
    for key, visit in originals:
        by_unit[visit.unit_id].append((key, visit))
    rounds: list[tuple[int, int, str, _Booked]] = []
    for unit_id, visits in by_unit.items():
        ordered = sorted(visits, key=lambda kv: (_rank(seed, kv[0], "calibration"), kv[0]))
        rounds += [(i, _rank(seed, unit_id, "calibration"), key, visit) for i, (key, visit) in enumerate(ordered)]
    pairs: list[tuple[str, _Booked]] = []
    for _, _, key, visit in sorted(rounds, key=lambda r: (r[0], r[1], r[2])):
        if len(pairs) >= wanted:
            break
        for auditor in _candidates(planner, visit.unit_id, exclude=visit.auditor):
            if planner.free(auditor, visit.unit_id, visit.day, visit.slot):
                planner.take(auditor, visit.unit_id, visit.day, visit.slot)
                pairs.append((key, _Booked(auditor, visit.unit_id, visit.day, visit.slot)))
                break
    return pairs


def _unique(items: Iterable, key) -> list:
    """Sorted by `key`, the first of each key kept (the directory never repeats one; a bad input must not crash)."""
    out, seen = [], set()
    for item in sorted(items, key=lambda i: (key(i), msgspec.json.encode(i))):
        if key(item) not in seen:
            seen.add(key(item))
            out.append(item)
    return out


def _warnings(
    policy: PlanPolicy,
    units: list[UnitInput],
    planner: _Planner,
    needed: dict[str, int],
    planned: dict[str, int],
    staff_min_visits: int,
    calibration: tuple[int, int],
) -> list[PlanWarning]:
    warnings: list[PlanWarning] = []
    for u in units:
        if planned[u.unit_id] < needed[u.unit_id]:
            warnings.append(
                PlanWarning(
                    code="unit_below_minimum",
                    detail=f"{u.unit_id}: {planned[u.unit_id]} of {needed[u.unit_id]} needed visits planned",
                    unit_id=u.unit_id,
                    region=u.region,
                    needed=needed[u.unit_id],
                    planned=planned[u.unit_id],
                )
            )
    regions: dict[str, list[UnitInput]] = defaultdict(list)
    for u in units:
        regions[u.region].append(u)
    for region in sorted(regions):
        want = sum(needed[u.unit_id] for u in regions[region])
        got = sum(planned[u.unit_id] for u in regions[region])
        serving = [a for a in planner.auditors if planner.regions[a] is None or region in planner.regions[a]]
        if not serving:
            warnings.append(
                PlanWarning(
                    code="no_auditor",
                    detail=f"no auditor may visit units in {region}: {want} visits needed",
                    region=region,
                    needed=want,
                    planned=got,
                )
            )
        elif got < want:
            capacity = sum(planner.capacity[a][1] for a in serving)
            warnings.append(
                PlanWarning(
                    code="region_short",
                    detail=f"{region}: {got} of {want} needed visits planned; its {len(serving)} auditor(s)"
                    f" may take {capacity} visits a month, shared with their other regions, within the lockout",
                    region=region,
                    needed=want,
                    planned=got,
                )
            )
    for u in units:
        staff = sorted(set(u.staff))
        visits = planned[u.unit_id]
        # A visit evaluates the person who serves the auditor: even at best, spread one person per
        # visit, nobody is sure of more than visits // staff of them.
        if staff and staff_min_visits > 0 and visits < len(staff) * staff_min_visits:
            each = visits // len(staff)
            for person in staff:
                warnings.append(
                    PlanWarning(
                        code="staff_below_minimum",
                        detail=f"{u.unit_id}: {visits} visits among {len(staff)} staff cannot give"
                        f" {person} the {staff_min_visits} visits a coefficient needs",
                        unit_id=u.unit_id,
                        region=u.region,
                        staff_id=person,
                        needed=staff_min_visits,
                        planned=each,
                    )
                )
    wanted, got = calibration
    if got < wanted:
        warnings.append(
            PlanWarning(
                code="calibration_short",
                detail=f"{got} of {wanted} calibration pairs planned: no second auditor was free",
                needed=wanted,
                planned=got,
            )
        )
    return warnings


def plan_month(
    policy: PlanPolicy,
    units: list[UnitInput],
    auditors: list[AuditorInput],
    history: list[PastVisit],
    staff_min_visits: int,
) -> Plan:
    """Draft the month's plan; the same inputs and seed give the same plan (see the module docstring)."""
    units = _unique(units, lambda u: u.unit_id)
    auditors = _unique(auditors, lambda a: a.name)
    history = sorted(history, key=lambda v: (v.auditor, v.unit_id, v.day))
    planner = _Planner(policy, units, auditors, history)
    needed = needed_visits(policy, units)
    booked = _assign(planner, needed)
    checklist = {u.unit_id: u.checklist_id for u in units}
    regular: list[tuple[str, _Booked]] = []
    for unit_id in sorted(booked):
        # numbered in time order, so a unit's visit 1 comes before its visit 2
        ordered = sorted(booked[unit_id], key=lambda b: (b.day, b.slot.start, b.auditor))
        regular += [(f"{policy.period}-{unit_id}-{n}", b) for n, b in enumerate(ordered, start=1)]
    wanted = math.floor(policy.calibration_share * len(regular) + 0.5)
    pairs = _calibrate(planner, regular, wanted)

    def visit(key: str, b: _Booked, of: str | None = None) -> PlannedVisit:
        return PlannedVisit(
            key=key,
            auditor=b.auditor,
            unit_id=b.unit_id,
            checklist_id=checklist[b.unit_id],
            day=planner.days[b.day],
            time_from=clock(b.slot.start),
            time_to=clock(b.slot.end),
            calibration_of=of,
        )

    visits = [visit(k, b) for k, b in regular] + [visit(f"{k}-c", b, k) for k, b in pairs]
    visits.sort(key=lambda v: (v.day, v.time_from, v.key))
    planned = {u.unit_id: len(booked[u.unit_id]) for u in units}
    warnings = _warnings(policy, units, planner, needed, planned, staff_min_visits, (wanted, len(pairs)))
    return Plan(period=policy.period, visits=visits, warnings=warnings, needed=needed)
