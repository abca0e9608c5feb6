"""Integrity flags: the signals that question a visit (pure).

A flag never changes a score; it sends a `received` visit to review (`needs_review`) and tells the
quality lead why, with its evidence. Two kinds, by what they need:

- **Visit flags** (`VISIT_CODES`) need the visit alone, its unit's place and the device clock
  offsets the push recorded: `visit_flags` computes them whenever the view is merged, and they are
  stored with the view (source `visit`).
- **Cross-visit flags** (`TASK_CODES`) compare the visit with other visits or read its photos:
  a background check computes them after the push or the upload (`server.integrity.checks`),
  with the pure rules below (`travel`, `perfect_streak`, `exif_mismatch`).

Thresholds come from the policy's `[integrity]` table (`reports.policy.Integrity`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import msgspec

from reports.policy import Integrity

VISIT_CODES = ("gps_far", "gps_missing", "too_short", "clock_skew")
TASK_CODES = (
    "impossible_travel",
    "photo_reused",
    "photo_similar",
    "exif_time_mismatch",
    "comment_copied",
    "perfect_streak",
)
CODES = VISIT_CODES + TASK_CODES
# The flags that name another visit: each is kept on both visits, one row per other visit.
PAIRED_CODES = ("impossible_travel", "photo_reused", "photo_similar", "comment_copied")

EvidenceValue = str | int | float | bool | None | list | dict


class Flag(msgspec.Struct, kw_only=True, frozen=True):
    """One signal that questions a visit: its code, a sentence, and what it rests on."""

    code: str
    detail: str
    evidence: dict[str, EvidenceValue]
    # What tells apart two flags of one code on a visit: the other visit, for the paired codes.
    ref: str = ""


class FlagOut(msgspec.Struct, kw_only=True, frozen=True):
    """A flag as the API shows it to quality leads and admins."""

    code: str
    detail: str
    evidence: dict[str, EvidenceValue]


def flag_out(flag: Flag) -> FlagOut:
    return FlagOut(code=flag.code, detail=flag.detail, evidence=flag.evidence)


class Place(msgspec.Struct, kw_only=True, frozen=True, array_like=True):
    """Where a unit is, and its own geofence (None: the policy's)."""

    lat: float
    lon: float
    geofence_m: int | None = None


def place_of(unit: object | None) -> Place | None:
    """A unit row's place (anything with `lat`, `lon` and `geofence_m`), None when it has none."""
    lat, lon = getattr(unit, "lat", None), getattr(unit, "lon", None)
    if lat is None or lon is None:
        return None
    return Place(lat=lat, lon=lon, geofence_m=getattr(unit, "geofence_m", None))


EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine: within 0.5 % of the ellipsoid, plenty for a geofence)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def parse_time(text: str | None) -> dt.datetime | None:
    """An RFC 3339 time of a view (validated on the push) as an aware datetime; None when absent."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def visit_flags(
    view: Mapping | None,
    unit: Place | None,
    min_duration_s: int | None,
    offsets_ms: Sequence[int],
    rules: Integrity,
) -> list[Flag]:
    """The flags a submitted visit raises by itself (drafts raise none: they are not finished).

    `offsets_ms`: the clock offsets the server measured for the auditor's revisions of the visit
    (server time minus the device's `sent_at`).
    """
    if view is None or view.get("state") != "submitted":
        return []
    flags: list[Flag] = []
    if unit is not None:
        fix = view.get("location")
        if fix is None:
            flags.append(
                Flag(
                    code="gps_missing",
                    detail="The visit carries no GPS fix, and its unit has a place.",
                    evidence={"unit": {"lat": unit.lat, "lon": unit.lon}},
                )
            )
        else:
            flags.extend(_gps_far(fix, unit, rules))
    started, finished = parse_time(view.get("started_at")), parse_time(view.get("finished_at"))
    if min_duration_s is not None and started is not None and finished is not None:
        took = (finished - started).total_seconds()
        if took < min_duration_s:
            flags.append(
                Flag(
                    code="too_short",
                    detail=(
                        f"The visit took {_duration(took)}; the checklist asks for at least"
                        f" {_duration(min_duration_s)}."
                    ),
                    evidence={"duration_s": round(took), "min_duration_s": min_duration_s},
                )
            )
    worst = max(offsets_ms, key=abs, default=0)
    if abs(worst) > rules.clock_skew_s * 1000:
        ahead = "behind" if worst > 0 else "ahead of"
        flags.append(
            Flag(
                code="clock_skew",
                detail=(
                    f"The tablet's clock was {_duration(abs(worst) / 1000)} {ahead} the server's"
                    " when it sent the visit."
                ),
                evidence={"offset_s": round(worst / 1000), "max_s": rules.clock_skew_s},
            )
        )
    return flags


def _gps_far(fix: Mapping, unit: Place, rules: Integrity) -> list[Flag]:
    far = distance_m(fix["lat"], fix["lon"], unit.lat, unit.lon)
    accuracy = fix.get("accuracy_m")
    counted = min(float(accuracy or 0), float(rules.gps_accuracy_cap_m))
    fence = unit.geofence_m if unit.geofence_m is not None else rules.geofence_m
    if far - counted <= fence:
        return []
    told = f" (±{accuracy:g} m)" if accuracy is not None else ""
    return [
        Flag(
            code="gps_far",
            detail=f"The GPS fix{told} is {_metres(far)} from the unit; its geofence is {fence} m.",
            evidence={
                "distance_m": round(far),
                "accuracy_m": accuracy,
                "geofence_m": fence,
                "unit": {"lat": unit.lat, "lon": unit.lon},
                "fix": {"lat": fix["lat"], "lon": fix["lon"]},
            },
        )
    ]


class Stop(msgspec.Struct, kw_only=True, frozen=True):
    """One visit of an auditor as travel sees it: when, and where (the fix, else the unit's place)."""

    submission_id: str
    started: dt.datetime
    finished: dt.datetime
    lat: float
    lon: float


def travel(before: Stop, after: Stop, rules: Integrity) -> Flag | None:
    """`impossible_travel` when getting from one visit to the auditor's next needs more than the
    policy's speed (hops shorter than `travel_min_km` are GPS noise). The flag names the other visit."""
    km = distance_m(before.lat, before.lon, after.lat, after.lon) / 1000
    if km < rules.travel_min_km:
        return None
    hours = (after.started - before.finished).total_seconds() / 3600
    if hours > 0 and km / hours <= rules.max_speed_kmh:
        return None
    speed = round(km / hours) if hours > 0 else None
    gap = f"{_duration(hours * 3600)} apart" if hours > 0 else "overlapping in time"
    return Flag(
        code="impossible_travel",
        detail=f"Two visits {km:.1f} km apart, {gap}: faster than {rules.max_speed_kmh:g} km/h.",
        evidence={
            "from_submission_id": before.submission_id,
            "to_submission_id": after.submission_id,
            "distance_km": round(km, 1),
            "minutes": round(hours * 60),
            "speed_kmh": speed,
            "max_speed_kmh": rules.max_speed_kmh,
        },
    )


def perfect_streak(scores: Sequence[float | None], rules: Integrity) -> Flag | None:
    """`perfect_streak` when the auditor's visits up to this one (newest last) end in at least the
    policy's number of perfect scores."""
    run = 0
    for score in reversed(scores):
        if score is None or score < 99.995:  # perfect as shown (2 decimals)
            break
        run += 1
    if run < rules.perfect_streak:
        return None
    return Flag(
        code="perfect_streak",
        detail=f"This is the auditor's {run}th perfect score in a row.",
        evidence={"streak": run, "threshold": rules.perfect_streak},
    )


def exif_mismatch(
    taken: str, started: dt.datetime, finished: dt.datetime, tz: ZoneInfo, rules: Integrity
) -> dict[str, EvidenceValue] | None:
    """The evidence of `exif_time_mismatch` for one photo, or None when its capture time is near the visit.

    `taken`: EXIF time as `YYYY-MM-DDTHH:MM:SS`, with an offset when the camera wrote one, else in
    the organisation's time zone (a tablet's camera keeps local time). The visit's span is the
    tablet's own `started_at`..`finished_at`, from the same clock as the camera's.
    """
    try:
        moment = dt.datetime.fromisoformat(taken)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if started <= moment <= finished:
        return None
    off = (started - moment) if moment < started else (moment - finished)
    if off <= dt.timedelta(minutes=rules.exif_tolerance_min):
        return None
    return {"taken": taken, "minutes_off": round(off.total_seconds() / 60), "tolerance_min": rules.exif_tolerance_min}


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


def _metres(m: float) -> str:
    return f"{m / 1000:.1f} km" if m >= 2000 else f"{round(m)} m"
