"""Canonical JSON and content hashes.

A content hash is taken over the canonical JSON of the decoded object: keys sorted, no
insignificant white space, UTF-8, unknown fields included, integral numbers without a fraction
(so `1` and `1.0` hash alike, while `true` and `1` never do). The same checklist sent as TOML or
as JSON therefore has the same hash.
"""

from __future__ import annotations

import hashlib
import math

import msgspec

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

_encoder = msgspec.json.Encoder(order="sorted")


def normalize_number(value: float) -> int | float:
    """An integral float as an int (`2.0` -> `2`); other floats unchanged."""
    if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
        return int(value)
    return value


def canonical_value(value: JsonValue) -> JsonValue:
    """The canonical form of a decoded JSON value (numbers normalized, recursively)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return normalize_number(value)
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return [canonical_value(v) for v in value]
    if isinstance(value, dict):
        return {k: canonical_value(v) for k, v in value.items()}
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def canonical_json(value: JsonValue) -> bytes:
    """Canonical JSON bytes: sorted keys, compact, UTF-8, normalized numbers."""
    return _encoder.encode(canonical_value(value))


def encode_normalized(value: JsonValue) -> bytes:
    """Canonical JSON of a value whose numbers are already normalized (by `canonical_value`).

    The hot path of sync: a canonical revision is normalized once, then encoded many times.
    """
    return _encoder.encode(value)


def content_hash(value: JsonValue) -> str:
    """SHA-256 (hex) of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value)).hexdigest()
