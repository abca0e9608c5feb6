"""The base of the wire types and the shared field constraints of API.md."""

from __future__ import annotations

import functools
import re
import typing
import unicodedata
from typing import Annotated, TypeVar

import msgspec

from checklists.text import ONE_LINE_PATTERN, one_line_problem, stored_text

T = TypeVar("T")

# Every pattern ends `$(?!\n)`: msgspec matches with `re.search`, where a bare `$` also matches
# before a final newline, so "ALM-014\n" would pass as a unit id. ECMA-262 and JSON Schema read
# the lookahead at the very end as always true, so clients see the same rule.
SLUG_PATTERN = r"^[A-Za-z0-9._-]{1,64}$(?!\n)"
Slug = Annotated[str, msgspec.Meta(pattern=SLUG_PATTERN, examples=["ALM-014"])]
USER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$(?!\n)"
UserName = Annotated[str, msgspec.Meta(pattern=USER_NAME_PATTERN, examples=["aigerim.n"])]
# A person's, unit's or region's name: one line of text (checklists/text.py says what that may
# hold), stored NFC by the types that use it (`stored_names`).
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=ONE_LINE_PATTERN)]
Uuid = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$(?!\n)",
        examples=["0192a3b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"],
    ),
]
# An answer's value: what a revision carries and a submission's view shows.
Scalar = None | bool | int | float | Annotated[str, msgspec.Meta(max_length=10_000)]
# A row number the server gave out (a quarantine entry, a decision): SQLite's positive integers.
RowId = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class Wire(msgspec.Struct, kw_only=True, frozen=True):
    """Base of every response type."""


class Body(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of admin and office request bodies: a stray field is a client bug, so it is refused."""

    def __post_init__(self) -> None:
        # Names are stored NFC, so "Әлия" typed as NFD on one keyboard is the one stored from another
        # (the pattern of `Name` has already refused what one line of text may not hold).
        for field in _name_fields(type(self)):
            value = getattr(self, field)
            if isinstance(value, str) and not unicodedata.is_normalized("NFC", value):
                msgspec.structs.force_setattr(self, field, stored_text(value))


@functools.cache
def _name_fields(body_type: type) -> tuple[str, ...]:
    """The fields of a body type declared `Name` (or `Name | None`)."""
    return tuple(f.name for f in msgspec.structs.fields(body_type) if f.type == Name or Name in typing.get_args(f.type))


def field_message(message: str, value: object) -> str:
    """msgspec's message about a field, in words where it would only quote a pattern (one line of text)."""
    if isinstance(value, str) and repr(ONE_LINE_PATTERN) in message:
        return one_line_problem(value) or message
    return message


def ascii_integer(text: str) -> int | None:
    """`text` as an integer if it is 1..18 ASCII digits, else None.

    `str.isdigit()` takes "²", which `int()` then refuses (a 500), and `int()` takes "٣", " 5", "+5"
    and "1_000"; a query integer or a cursor is plain digits, or it is not one.
    """
    return int(text) if _ASCII_DIGITS.fullmatch(text) else None


_ASCII_DIGITS = re.compile(r"[0-9]{1,18}")


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
        message = field_message(message, _value_at(data, path))
        raise ProblemError(
            400, "invalid_request", "the request is not of the expected shape", [FieldError(path=path, message=message)]
        ) from None


def _value_at(data: object, path: str) -> object:
    """The value at msgspec's path (`staff[2].name`) in a decoded body, or None if there is none."""
    for key, index in re.findall(r"([^.\[\]]+)|\[([0-9]+)\]", path):
        try:
            data = data[int(index)] if index else data[key]  # type: ignore[index]
        except (LookupError, TypeError):
            return None
    return data
