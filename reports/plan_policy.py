"""Plan policies: the rules a month's assignment plan is drafted by (TOML or JSON).

A plan policy names the month, how many visits each unit needs (a fixed number per unit kind, or
as many as a target half-width of the unit score's interval needs), the lockout between two
visits of one auditor to one unit, the auditors' capacity and regions, the hours visits may be
planned in, the share of calibration pairs and the seed that makes the draft reproducible. It is
validated like a checklist: every problem is listed with its path.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated

import msgspec

from checklists.canonical import JsonValue, content_hash
from checklists.model import UnitKind
from checklists.text import ONE_LINE_PATTERN, stored_strings
from checklists.validate import Invalid, Problem, decode_document, struct_problems

# Each pattern ends `$(?!\n)`: msgspec matches with `re.search`, where a bare `$` also matches
# before a final newline.
PERIOD_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$(?!\n)"
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$(?!\n)"
UNIT_ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$(?!\n)"  # the directory's unit ids
USER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$(?!\n)"  # the directory's user names
UNIT_KINDS: tuple[UnitKind, ...] = ("branch", "contact_centre", "field_technician")
MAX_UNITS = 10_000  # per-unit hours tables in one policy
MAX_AUDITORS = 2_000

Period = Annotated[str, msgspec.Meta(pattern=PERIOD_PATTERN, examples=["2027-01"])]
Clock = Annotated[str, msgspec.Meta(pattern=CLOCK_PATTERN, examples=["09:00"])]
Visits = Annotated[int, msgspec.Meta(ge=1, le=100)]
Region = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)]
Weekday = Annotated[int, msgspec.Meta(ge=1, le=7)]
PerDay = Annotated[int, msgspec.Meta(ge=1, le=50)]
PerMonth = Annotated[int, msgspec.Meta(ge=1, le=2000)]


class Hours(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """When visits may be planned: ISO weekdays, a daily window and the length of one visit's slot."""

    weekdays: Annotated[list[Weekday], msgspec.Meta(min_length=1, max_length=7)] = msgspec.field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6]
    )
    from_: Clock = msgspec.field(default="09:00", name="from")
    to: Clock = "18:00"
    slot_minutes: Annotated[int, msgspec.Meta(ge=15, le=480)] = 60

    def slots(self) -> list[tuple[int, int]]:
        """The slots of one day as (start, end) minutes after midnight, back to back from `from`."""
        start, end = minutes(self.from_), minutes(self.to)
        return [(m, m + self.slot_minutes) for m in range(start, end - self.slot_minutes + 1, self.slot_minutes)]


class VisitCounts(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Fixed visits per unit of each kind; a kind left out takes the policy's `min_visits`."""

    branch: Visits | None = None
    contact_centre: Visits | None = None
    field_technician: Visits | None = None


class Precision(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Visits from a target: the half-width (score points) of the interval of a unit's mean visit score."""

    half_width: Annotated[float, msgspec.Meta(gt=0, le=100)]
    confidence: Annotated[float, msgspec.Meta(gt=0.5, lt=1)] = 0.95
    max_visits: Visits = 12


class Capacity(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Visits one auditor may be planned for per day and per month."""

    per_day: PerDay = 3
    per_month: PerMonth = 40


class AuditorPolicy(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One auditor's own capacity, and regions that replace the directory's."""

    per_day: PerDay | None = None
    per_month: PerMonth | None = None
    regions: Annotated[list[Region], msgspec.Meta(max_length=100)] | None = None


class PlanPolicy(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The rules of one month's plan."""

    period: Period
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] = 0
    # An auditor's two visits to one unit are at least this many days apart (0: no lockout).
    lockout_days: Annotated[int, msgspec.Meta(ge=0, le=730)] = 90
    calibration_share: Annotated[float, msgspec.Meta(ge=0, le=0.5)] = 0.05
    min_visits: Visits = 3
    visits: VisitCounts | None = None
    precision: Precision | None = None
    capacity: Capacity = Capacity()
    hours: Hours = Hours()
    units: dict[str, Hours] = msgspec.field(default_factory=dict)
    auditors: dict[str, AuditorPolicy] = msgspec.field(default_factory=dict)

    def days(self) -> list[dt.date]:
        """Every day of the policy's month."""
        year, month = int(self.period[:4]), int(self.period[5:7])
        return [dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]

    def hours_of(self, unit_id: str) -> Hours:
        """The unit's own hours, or the policy's."""
        return self.units.get(unit_id, self.hours)

    def capacity_of(self, auditor: str) -> tuple[int, int]:
        """(per day, per month) of one auditor."""
        own = self.auditors.get(auditor)
        per_day = own.per_day if own and own.per_day is not None else self.capacity.per_day
        per_month = own.per_month if own and own.per_month is not None else self.capacity.per_month
        return per_day, per_month


class LoadedPlanPolicy(msgspec.Struct, kw_only=True, frozen=True):
    policy: PlanPolicy
    raw: dict[str, JsonValue]
    sha256: str


def minutes(clock: str) -> int:
    """Minutes after midnight of an "HH:MM" time."""
    return int(clock[:2]) * 60 + int(clock[3:5])


def clock(minutes_: int) -> str:
    """The "HH:MM" time of minutes after midnight."""
    return f"{minutes_ // 60:02d}:{minutes_ % 60:02d}"


def _key_path(path: str, key: str) -> str:
    # Keys that TOML could not write bare are quoted, so `auditors."aigerim.n".per_day` reads back.
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z0-9_-]+", key) else f"{path}.{msgspec.json.encode(key).decode()}"


def _table_problems(raw: object, path: str, key_pattern: str, what: str, limit: int, kind: type) -> list[Problem]:
    """Problems of a table of tables keyed by unit id or user name (each entry checked on its own)."""
    if not isinstance(raw, dict):
        return [Problem(path=path, message="expected an object")]
    problems = []
    if len(raw) > limit:
        problems.append(Problem(path=path, message=f"expected at most {limit} entries"))
    for key, value in raw.items():
        where = _key_path(path, key)
        if not re.search(key_pattern, key):
            problems.append(Problem(path=where, message=f"not a {what}"))
        problems.extend(struct_problems(value, kind, where))
    return problems


def _hours_problems(raw: object, path: str) -> list[Problem]:
    """`from` before `to` with at least one slot between them; weekdays without repeats."""
    if not isinstance(raw, dict):
        return []
    problems = []
    days = raw.get("weekdays")
    if isinstance(days, list) and len(days) != len(set(map(repr, days))):
        problems.append(Problem(path=f"{path}.weekdays", message="a weekday is listed twice"))
    start = raw.get("from", Hours().from_)
    end = raw.get("to", Hours().to)
    slot = raw.get("slot_minutes", Hours().slot_minutes)
    if not all(isinstance(t, str) and re.search(CLOCK_PATTERN, t) for t in (start, end)):
        return problems
    if minutes(end) <= minutes(start):
        problems.append(Problem(path=f"{path}.to", message=f"must be after from ({start})"))
    elif isinstance(slot, int) and not isinstance(slot, bool) and minutes(end) - minutes(start) < slot:
        problems.append(Problem(path=f"{path}.slot_minutes", message=f"no slot fits between {start} and {end}"))
    return problems


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def plan_policy_problems(raw: dict) -> list[Problem]:
    """The rules beyond field types: one way to size visits, hours that hold a slot, bounds that agree."""
    problems: list[Problem] = []
    has_visits, has_precision = "visits" in raw, "precision" in raw
    if has_visits and has_precision:
        problems.append(Problem(path="precision", message="give either [visits] or [precision], not both"))
    elif not has_visits and not has_precision:
        problems.append(Problem(path="visits", message="give [visits] (per unit kind) or [precision] (a target)"))
    min_visits = raw.get("min_visits", 3)
    if _is_int(min_visits):
        visits = raw.get("visits")
        if isinstance(visits, dict):
            for kind in UNIT_KINDS:
                value = visits.get(kind)
                if _is_int(value) and value < min_visits:
                    problems.append(Problem(path=f"visits.{kind}", message=f"below min_visits ({min_visits})"))
        precision = raw.get("precision")
        if isinstance(precision, dict):
            most = precision.get("max_visits", Precision(half_width=1).max_visits)
            if _is_int(most) and most < min_visits:
                problems.append(Problem(path="precision.max_visits", message=f"below min_visits ({min_visits})"))
    problems.extend(_hours_problems(raw.get("hours"), "hours"))
    units = raw.get("units")
    if isinstance(units, dict):
        for key, hours in units.items():
            problems.extend(_hours_problems(hours, _key_path("units", key)))
    capacities = [("capacity", raw.get("capacity"))]
    auditors = raw.get("auditors")
    if isinstance(auditors, dict):
        capacities += [(_key_path("auditors", k), v) for k, v in auditors.items()]
    for path, table in capacities:
        if isinstance(table, dict):
            per_day, per_month = table.get("per_day"), table.get("per_month")
            if _is_int(per_day) and _is_int(per_month) and per_month < per_day:
                problems.append(Problem(path=f"{path}.per_month", message=f"below per_day ({per_day})"))
    return problems


def load_plan_policy(data: bytes, fmt: str = "toml", source: str = "<body>") -> LoadedPlanPolicy:
    """Decode and validate a plan policy, or raise Invalid listing every problem."""
    raw = stored_strings(decode_document(data, fmt, source))
    assert isinstance(raw, dict)
    flat = {k: v for k, v in raw.items() if k not in ("units", "auditors")}
    problems = struct_problems(flat, PlanPolicy)
    if "units" in raw:
        problems += _table_problems(raw["units"], "units", UNIT_ID_PATTERN, "unit id", MAX_UNITS, Hours)
    if "auditors" in raw:
        problems += _table_problems(
            raw["auditors"], "auditors", USER_NAME_PATTERN, "user name", MAX_AUDITORS, AuditorPolicy
        )
    problems += plan_policy_problems(raw)
    if problems:
        raise Invalid(source, problems)
    return LoadedPlanPolicy(policy=msgspec.convert(raw, PlanPolicy), raw=raw, sha256=content_hash(raw))
