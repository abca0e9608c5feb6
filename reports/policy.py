"""Motivation policies: versioned rules that turn person scores into bonus coefficients.

A policy is published like a checklist version: immutable, content-hashed, validated with every
problem listed. Its bands are compared with the score **rounded to 2 decimals** (the figure HR
sees), so 94.995 (shown 95.00) gets the 95 band and 94.994999 (shown 94.99) does not.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from checklists.canonical import JsonValue, content_hash
from checklists.model import Slug, Text, Version
from checklists.score import shown
from checklists.validate import Invalid, Problem, decode_document, struct_problems

Score = Annotated[float, msgspec.Meta(ge=0, le=100)]
Coefficient = Annotated[float, msgspec.Meta(ge=0, le=10)]


class Band(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Scores of at least `min_score` (rounded) get `coefficient`."""

    min_score: Score
    coefficient: Coefficient


class Rag(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Scorecard colour marks: green at or above `green_at`, amber at or above `amber_at`, else red."""

    green_at: Score
    amber_at: Score


class Appeals(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The rules of a unit manager's appeals (a policy without an `[appeals]` table takes these defaults)."""

    # Days after the visit's approval during which its items may be appealed.
    window_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 14
    # Days a quality lead has to decide a filed appeal (its `due_at`).
    decide_within_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 10
    # Appeals per unit and period, withdrawn ones included.
    max_per_unit_per_period: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 5
    # While an appeal is open, its items count as N/A in the approved figures.
    exclude_disputed: bool = False


class Integrity(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The thresholds of the integrity flags and of calibration (a policy without an `[integrity]`
    table takes these defaults). A flag sends a visit to review; it never changes a score."""

    # `gps_far`: the fix lies farther from the unit than its geofence plus the fix's accuracy
    # (the accuracy counted up to `gps_accuracy_cap_m`: a fix of ±5 km proves nothing either way).
    geofence_m: Annotated[int, msgspec.Meta(ge=10, le=100_000)] = 150  # for a unit without its own
    gps_accuracy_cap_m: Annotated[int, msgspec.Meta(ge=0, le=100_000)] = 500
    # `clock_skew`: the device clock this far off the server's when it sent the visit.
    clock_skew_s: Annotated[int, msgspec.Meta(ge=60, le=31_536_000)] = 86_400
    # `impossible_travel`: consecutive visits of one auditor farther apart than this speed allows
    # (the hops shorter than `travel_min_km` are GPS noise, never flagged).
    max_speed_kmh: Annotated[float, msgspec.Meta(gt=0, le=2000)] = 200.0
    travel_min_km: Annotated[float, msgspec.Meta(ge=0, le=1000)] = 5.0
    # `photo_similar`: perceptual hashes (64 bits) at most this many bits apart.
    photo_distance: Annotated[int, msgspec.Meta(ge=0, le=10)] = 6
    # `exif_time_mismatch`: the photo's capture time this far outside the visit's span.
    exif_tolerance_min: Annotated[int, msgspec.Meta(ge=1, le=10_080)] = 120
    # `comment_copied`: comments of at least `comment_min_chars` characters, this similar
    # (0-100, RapidFuzz's normalised Indel ratio) to one of the same item in the last `comment_window_days`.
    comment_min_chars: Annotated[int, msgspec.Meta(ge=10, le=2000)] = 100
    comment_similarity: Annotated[float, msgspec.Meta(ge=50, le=100)] = 92.0
    comment_window_days: Annotated[int, msgspec.Meta(ge=1, le=730)] = 90
    # `perfect_streak`: this many consecutive visits of one auditor, each scored 100.
    perfect_streak: Annotated[int, msgspec.Meta(ge=2, le=1000)] = 20
    # Calibration: auditors whose agreement with their group is below this share are flagged.
    calibration_min_agreement: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.8


class Policy(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One published version of a motivation policy."""

    id: Slug
    version: Version
    title: Text
    confidence: Annotated[float, msgspec.Meta(gt=0.5, lt=1)]
    min_visits: Annotated[int, msgspec.Meta(ge=1, le=1000)]
    neutral_coefficient: Coefficient
    bands: Annotated[list[Band], msgspec.Meta(min_length=1, max_length=50)]
    rag: Rag
    appeals: Appeals = Appeals()
    integrity: Integrity = Integrity()

    def coefficient(self, score: float | None) -> float:
        """The band coefficient of a score, compared as shown (2 decimals); neutral for no score."""
        figure = shown(score)
        if figure is None:
            return self.neutral_coefficient
        for band in self.bands:
            if figure >= band.min_score:
                return band.coefficient
        return self.neutral_coefficient

    def mark(self, score: float | None) -> str | None:
        """`green`, `amber` or `red` for a score (as shown), None for no score."""
        figure = shown(score)
        if figure is None:
            return None
        if figure >= self.rag.green_at:
            return "green"
        return "amber" if figure >= self.rag.amber_at else "red"


class LoadedPolicy(msgspec.Struct, kw_only=True, frozen=True):
    policy: Policy
    raw: dict[str, JsonValue]
    sha256: str


def policy_rule_problems(raw: dict) -> list[Problem]:
    """The rules beyond field types: bands strictly descending down to 0, green above amber."""
    problems: list[Problem] = []
    bands = raw.get("bands")
    if isinstance(bands, list) and bands:
        scores = [b.get("min_score") for b in bands if isinstance(b, dict)]
        if all(isinstance(s, int | float) and not isinstance(s, bool) for s in scores):
            if any(a <= b for a, b in zip(scores, scores[1:], strict=False)):
                problems.append(Problem(path="bands", message="min_score must go strictly down from the first band"))
            if scores and scores[-1] != 0:
                problems.append(
                    Problem(path=f"bands[{len(scores) - 1}].min_score", message="the last band starts at 0")
                )
    rag = raw.get("rag")
    if isinstance(rag, dict):
        green, amber = rag.get("green_at"), rag.get("amber_at")
        if isinstance(green, int | float) and isinstance(amber, int | float) and green <= amber:
            problems.append(Problem(path="rag.green_at", message=f"must be above amber_at ({amber})"))
    return problems


def load_policy(data: bytes, fmt: str = "toml", source: str = "<body>") -> LoadedPolicy:
    """Decode and validate one policy version, or raise Invalid listing every problem."""
    raw = decode_document(data, fmt, source)
    problems = struct_problems(raw, Policy) + policy_rule_problems(raw)
    if problems:
        raise Invalid(source, problems)
    return LoadedPolicy(policy=msgspec.convert(raw, Policy), raw=raw, sha256=content_hash(raw))
