"""The base of the wire types and the shared field constraints of API.md."""

from __future__ import annotations

import re
from typing import Annotated, TypeVar

import msgspec

T = TypeVar("T")

SLUG_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
Slug = Annotated[str, msgspec.Meta(pattern=SLUG_PATTERN, examples=["ALM-014"])]
UserName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["aigerim.n"])]
# A person's, unit's or region's name: any text on one line (no control characters, which no
# spreadsheet cell or PDF line can show).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Uuid = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        examples=["0192a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"],
    ),
]
Limit = Annotated[int, msgspec.Meta(ge=1, le=1000)]
Cursor = Annotated[str, msgspec.Meta(max_length=200)]


class Wire(msgspec.Struct, kw_only=True, frozen=True):
    """Base of every response type."""


class Body(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of admin and office request bodies: a stray field is a client bug, so it is refused."""


def encode_cursor(key: str) -> str:
    """The cursor after a page: the last key it held (clients treat it as opaque)."""
    return key


def decode_cursor(cursor: str | None) -> str:
    """The key a list cursor stands for ('' for the first page).

    Any string is a valid cursor: a page starts after it in key order, so a client can never
    send a cursor that breaks a list.
    """
    return cursor or ""


def next_cursor(rows: list, limit: int, key: str) -> str | None:
    """The cursor after a page of `limit` rows, or None when it was the last page."""
    return encode_cursor(rows[-1][key]) if len(rows) == limit and rows else None


def strict_body(data: object, body_type: type[T]) -> T:
    """Convert a decoded JSON body strictly, or 400 `invalid_request` naming the field.

    Litestar converts bodies in msgspec's lax mode (`0` becomes `false`, `"1"` becomes `1`); a
    request type here means exactly its JSON types, so routes take the body unvalidated
    (`JSONBody[SkipValidation[T]]`, which keeps T in the OpenAPI document) and convert it here.
    """
    from server.errors import FieldError, ProblemError  # not at the top: push workers import this module

    try:
        return msgspec.convert(data, body_type, strict=True)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        path = where.rstrip("`").lstrip(".")
        unknown = re.search(r"unknown field `([^`]*)`", message)
        if unknown:
            path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
        raise ProblemError(
            400, "invalid_request", "the request is not of the expected shape", [FieldError(path=path, message=message)]
        ) from None
