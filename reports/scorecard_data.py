"""What a scorecard shows: the data a PDF is rendered from (pure types, no I/O).

The server gathers these from the database; `reports.scorecard.render(data)` turns them into
PDF bytes. The same data gives the same bytes, so the SHA-256 of a published scorecard can be
checked by anyone who renders the same data again. Nothing here names an auditor: mystery
shoppers stay anonymous to the audited, and visit dates carry no time of day.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from checklists.canonical import content_hash
from reports.calibration import AlphaOut

Lang = Literal["ru", "kk", "en"]
Scope = Literal["unit", "staff", "network"]
Mark = Literal["green", "amber", "red"]


class Base(msgspec.Struct, kw_only=True, frozen=True):
    """Base of the scorecard data types."""


class Headline(Base):
    """The big figure: mean score 0-100 (as shown), n, the previous period and the change."""

    score: float | None
    n: int
    previous: float | None
    change: float | None
    mark: Mark | None


class TrendPoint(Base):
    period: str  # YYYY-MM
    score: float | None
    n: int


class StandardRow(Base):
    code: str
    title: str  # in the scorecard's language
    attribution: Literal["person", "unit"]
    score: float | None  # mean 0-100, as shown
    share_met: float | None  # % of visits that met it, as shown
    n: int


class FailedItem(Base, omit_defaults=True):
    """A failed item in one visit, with the auditor's comment (never the auditor's name).

    `overturned`: an appeal of the unit overturned it (the figures count the answer as changed);
    left out of the data when false, so a scorecard without appeals keeps its input hash.
    """

    date: str  # YYYY-MM-DD in the organisation's time zone, no time of day
    standard: str
    item: str
    text: str  # the item's question in the scorecard's language
    critical: Literal["zero", "flag"] | None
    comment: str | None
    overturned: bool = False


class AppealsBox(Base):
    """The appeals filed for a unit's visits of the month: appeals, their items, and where the items stand."""

    appeals: int
    items: int  # = upheld + overturned + open + withdrawn
    upheld: int
    overturned: int
    open: int  # items of appeals still awaiting a decision
    withdrawn: int  # items of withdrawn appeals


class CalibrationBox(Base):
    """The month's calibration on a network scorecard, in counts only: the scorecard may reach HR, and
    which auditor agrees how well is the quality lead's business (GET /v1/calibration)."""

    groups: int  # events scored by two auditors or more
    auditors: int
    below_threshold: int  # auditors whose agreement is below `min_agreement`
    min_agreement: float  # the policy's threshold, a share 0-1
    alpha: list[AlphaOut]  # Krippendorff's alpha per level of measurement


class StaffRow(Base):
    staff_id: str
    name: str
    position: str | None
    score: float | None
    n: int
    coefficient: float | None
    flags: list[str]


class Thumbnail(Base):
    """Evidence for a failed critical item: the image as stored; the renderer re-encodes it without metadata."""

    date: str
    item: str
    caption: str
    image: bytes
    content_type: str


class RankedUnitRow(Base):
    rank: int | None
    unit_id: str
    name: str
    region: str
    score: float | None
    n: int
    change: float | None
    mark: Mark | None


class Subject(Base):
    """Who the scorecard is about."""

    unit_id: str | None = None
    unit_name: str | None = None
    unit_kind: Literal["branch", "contact_centre", "field_technician"] | None = None
    region: str | None = None
    staff_id: str | None = None
    staff_name: str | None = None
    position: str | None = None


class ScorecardData(Base):
    """Everything one scorecard shows, in one language."""

    scope: Scope
    lang: Lang
    period: str
    subject: Subject
    basis: Literal["approved", "provisional"]
    headline: Headline
    trend: list[TrendPoint]  # the last 6 periods, oldest first, the scorecard's period last
    standards: list[StandardRow]
    failed_items: list[FailedItem]
    staff: list[StaffRow]  # branches: the staff table; staff scope: the one person's row
    thumbnails: list[Thumbnail]
    ranking: list[RankedUnitRow]  # network scope: all units of the kind, ranked
    weakest_standards: list[StandardRow]  # network scope: met least often across the network
    checklist_versions: list[str]  # e.g. ["branch@1", "branch@2"]
    green_at: float
    amber_at: float
    data_as_of: str  # UTC time the data was taken, RFC 3339
    policy: str  # e.g. "default@1"
    time_zone: str = "UTC"  # the organisation's IANA zone: a time of day is shown in it, with its name
    # Unit scope, when appeals were filed for the month (unset otherwise: left out of the data and its hash).
    appeals: AppealsBox | msgspec.UnsetType = msgspec.UNSET
    # Network scope, when the month has calibration groups (unset otherwise: left out of the data and its hash).
    calibration: CalibrationBox | msgspec.UnsetType = msgspec.UNSET


def input_sha256(data: ScorecardData) -> str:
    """SHA-256 of the scorecard's input data (printed in its footer; a PDF cannot carry its own hash)."""
    return content_hash(msgspec.to_builtins(data))
