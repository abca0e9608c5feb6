"""The base of the wire types and the shared field constraints of API.md."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import msgspec

from server.errors import ProblemError

Slug = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$", examples=["ALM-014"])]
UserName = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["aigerim.n"])]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
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
    """An opaque list cursor from the last key of a page."""
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> str:
    """The key a list cursor stands for ('' for the first page); 400 `bad_cursor` if malformed."""
    if not cursor:
        return ""
    try:
        return base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ProblemError(400, "bad_cursor", "the cursor is not one this server gave") from None


def next_cursor(rows: list, limit: int, key: str) -> str | None:
    """The cursor after a page of `limit` rows, or None when it was the last page."""
    return encode_cursor(rows[-1][key]) if len(rows) == limit and rows else None
