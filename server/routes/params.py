"""Parameters shared by several endpoints: list pages, version numbers."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

LimitParam = Annotated[int, QueryParameter(ge=1, le=1000, description="page size (default 100, at most 1000)")]
CursorParam = Annotated[str | None, QueryParameter(max_length=200, description="the next_cursor of the previous page")]
# A checklist or policy version is 1..1,000,000 (checklists/model.py); a larger one cannot exist, and
# one past SQLite's 64-bit integers could not even be looked up.
VersionPath = Annotated[int, PathParameter(ge=1, le=1_000_000, description="a published version number")]
