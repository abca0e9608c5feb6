"""Query parameters shared by the list endpoints."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

LimitParam = Annotated[int, QueryParameter(ge=1, le=1000, description="page size (default 100, at most 1000)")]
CursorParam = Annotated[str | None, QueryParameter(max_length=200, description="the next_cursor of the previous page")]
