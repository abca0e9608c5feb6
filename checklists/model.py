"""The checklist language: the types of one published checklist version.

A checklist version is immutable once published; item ids stay stable across versions so that
results stay comparable. The same structure is read from TOML files and from JSON bodies.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

# Each pattern ends `$(?!\n)`: msgspec matches with `re.search`, where a bare `$` also matches
# before a final newline, so "ALM-014\n" would pass as an id.
Slug = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$(?!\n)")]
Code = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,32}$(?!\n)")]
Category = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z_]{0,31}$(?!\n)")]
Weight = Annotated[float, msgspec.Meta(gt=0, le=1000)]
Version = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Seconds = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
ScaleBound = Annotated[int, msgspec.Meta(ge=-1000, le=1000)]
OptionScore = Annotated[float, msgspec.Meta(ge=0, le=1)]
Line = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]

UnitKind = Literal["branch", "contact_centre", "field_technician"]
ItemKind = Literal["yes_no", "scale", "duration", "choice", "number", "text", "photo", "audio"]
Attribution = Literal["person", "unit"]
Critical = Literal["zero", "flag"]
EvidenceRule = Literal["none", "optional", "required"]

SCORED_KINDS = frozenset({"yes_no", "scale", "duration", "choice"})


class Base(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of the checklist types: keyword-only, immutable, strict about unknown fields."""


class Text(Base):
    """One text in the three working languages."""

    ru: Line
    kk: Line
    en: Line

    def get(self, lang: str) -> str:
        """The text in `lang`, falling back to Russian."""
        return getattr(self, lang, None) or self.ru


class Option(Base):
    """One answer option of a `choice` item and the score it gives."""

    id: Slug
    score: OptionScore
    text: Text


class Item(Base):
    """One question the auditor answers; `kind` says how its value is scored."""

    id: Slug
    kind: ItemKind
    text: Text
    hint: Text | None = None
    weight: Weight = 1.0
    required: bool = True
    na_allowed: bool = False
    critical: Critical | None = None
    evidence: EvidenceRule = "none"
    pass_answer: bool | None = None
    min: ScaleBound | None = None
    max: ScaleBound | None = None
    pass_at: ScaleBound | None = None
    limit_s: Seconds | None = None
    zero_at_s: Seconds | None = None
    options: list[Option] | None = None

    @property
    def scored(self) -> bool:
        """True for the kinds that give a score."""
        return self.kind in SCORED_KINDS


class Standard(Base):
    """One service standard, measured by its items."""

    code: Code
    category: Category
    weight: Weight
    attribution: Attribution
    title: Text
    items: Annotated[list[Item], msgspec.Meta(min_length=1, max_length=100)]


class Checklist(Base):
    """One immutable version of a checklist for one unit kind."""

    id: Slug
    version: Version
    unit_kind: UnitKind
    title: Text
    standards: Annotated[list[Standard], msgspec.Meta(min_length=1, max_length=200)]
    description: Text | None = None
    # The least time on site (finished_at - started_at) a real visit takes; a shorter one raises
    # the integrity flag `too_short`. None: no minimum.
    min_duration_s: Annotated[int, msgspec.Meta(ge=1, le=86_400)] | None = None

    @property
    def ref(self) -> str:
        """The version's id as the change feed names it: `branch@3`."""
        return f"{self.id}@{self.version}"
