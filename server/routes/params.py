"""Query parameters shared by the list endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.openapi.spec import OpenAPIMediaType, Operation, Reference, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter

LimitParam = Annotated[int, QueryParameter(ge=1, le=1000, description="page size (default 100, at most 1000)")]
CursorParam = Annotated[str | None, QueryParameter(max_length=200, description="the next_cursor of the previous page")]


def raw_body(description: str, media_types: dict[str, str | None]) -> type[Operation]:
    """An OpenAPI operation whose request body the handler reads raw (CSV, TOML, tus chunks).

    `media_types` maps each accepted media type to a component schema name (or None for text).
    """

    @dataclass
    class RawBodyOperation(Operation):
        def __post_init__(self) -> None:
            content = {
                media: OpenAPIMediaType(
                    schema=Reference(ref=f"#/components/schemas/{ref}") if ref else Schema(type=OpenAPIType.STRING)
                )
                for media, ref in media_types.items()
            }
            self.request_body = RequestBody(content=content, required=True, description=description)

    return RawBodyOperation
