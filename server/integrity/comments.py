"""Comments nearly identical to another visit's: the normal form they are compared in, and the closest one.

The likeness is RapidFuzz's `fuzz.ratio` (the normalised Indel similarity, 0-100): one word changed
in a sentence of forty characters keeps it above 85, an unrelated sentence of the same item falls
far below. RapidFuzz is imported inside `closest`, so the server starts without it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def _edge(ch: str) -> bool:
    """Whether a character may go from a comment's ends: white space or punctuation (`.`, `!`, `«`, `…`)."""
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def normalize(text: str) -> str:
    """The form comments are compared in: NFKC, case-folded, runs of white space as one space,
    invisible format characters (zero-width space, soft hyphen) and punctuation at the ends gone.

    Two comments that differ only in Unicode composition, case, spacing or a closing full stop are
    equal; `normalize(normalize(t)) == normalize(t)`.
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    spaced = " ".join(visible.split())
    start, end = 0, len(spaced)
    while start < end and _edge(spaced[start]):
        start += 1
    while end > start and _edge(spaced[end - 1]):
        end -= 1
    return spaced[start:end]


def closest(text: str, candidates: Mapping[K, str], min_similarity: float) -> tuple[K, float] | None:
    """The candidate most like `text` and its similarity (0-100), if at least `min_similarity`; else None.

    `candidates` are normalised already (as stored); `text` is normalised here (it may be either).
    """
    from rapidfuzz import fuzz, process

    if not candidates:
        return None
    best = process.extractOne(
        normalize(text), candidates, scorer=fuzz.ratio, processor=None, score_cutoff=min_similarity
    )
    if best is None:
        return None
    _, score, key = best
    return key, float(score)
