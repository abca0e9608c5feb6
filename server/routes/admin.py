"""Admin endpoints the `tekseru` command uses while `serve` runs (it is then the one writer)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, JSONBody, SkipValidation

from server.auth import roles
from server.db import backup_database
from server.directory import CsvRejected, parse_csv
from server.errors import ProblemError, problems
from server.openapi import raw_body
from server.routes.params import CursorParam, LimitParam
from server.store import directory as store
from server.store import submissions as submissions_store
from server.store.submissions import QuarantinedOut, ReplayOutcome
from server.wire import Body, Wire, decode_cursor, encode_cursor, strict_body


class Imported(Wire):
    entity: str
    rows: int


@post(
    "/v1/admin/import/{entity:str}",
    opt=roles("admin"),
    responses=problems(400, 401, 403, 404, 413, 422),
    status_code=200,
    tags=["admin"],
    operation_class=raw_body(
        "a CSV file with a header row (UTF-8 with or without BOM, `,` or `;`)", {"text/csv": None}
    ),
)
async def import_csv(
    request: Request,
    entity: FromPath[Literal["units", "staff", "assignments"]],
) -> Imported:
    """Import a CSV file of units, staff or assignments: every row or none."""
    body = await request.body()
    try:
        # Off the event loop: a file of 100,000 rows takes a good fraction of a second to check.
        rows, where = await asyncio.to_thread(parse_csv, entity, body)
    except CsvRejected as exc:
        raise ProblemError(
            400, "invalid_csv", f"the file has {len(exc.errors)} problem(s); nothing was imported", exc.errors
        ) from None
    db = request.app.state.db
    if entity == "units":
        await store.put_units(db, rows)
    elif entity == "staff":
        await store.put_staff(db, rows, where)
    else:
        await store.put_assignments(db, rows, where)
    return Imported(entity=entity, rows=len(rows))


class QuarantinePage(Wire):
    items: list[QuarantinedOut]
    next_cursor: str | None


class ReplayIn(Body):
    """Which quarantined revisions to replay (by quarantine id); none given replays them all."""

    ids: list[int] | None = None


class ReplayResult(Wire):
    items: list[ReplayOutcome]


class Rebuilt(Wire):
    submissions: int


@get("/v1/admin/quarantine", opt=roles("admin"), responses=problems(400, 401, 403), tags=["admin"])
async def list_quarantine(request: Request, limit: LimitParam = 100, cursor: CursorParam = None) -> QuarantinePage:
    """Revisions that could not be used, with the reason and field path, oldest first."""
    key = decode_cursor(cursor)
    after = int(key) if key.isdigit() and len(key) < 18 else 0
    items = await submissions_store.quarantine_list(request.app.state.db, after, limit)
    return QuarantinePage(items=items, next_cursor=encode_cursor(str(items[-1].id)) if len(items) == limit else None)


@post(
    "/v1/admin/quarantine/replay",
    opt=roles("admin"),
    status_code=200,
    responses=problems(400, 401, 403),
    tags=["admin"],
)
async def replay_quarantine(request: Request, data: JSONBody[SkipValidation[ReplayIn]]) -> ReplayResult:
    """Try quarantined revisions again (after publishing a missing version, activating a unit, ...)."""
    body = strict_body(data, ReplayIn)
    tz = ZoneInfo(request.app.state.settings.timezone)
    return ReplayResult(items=await submissions_store.replay(request.app.state.db, body.ids, tz))


@post("/v1/admin/rebuild", opt=roles("admin"), status_code=200, responses=problems(401, 403), tags=["admin"])
async def rebuild(request: Request) -> Rebuilt:
    """Recompute every derived view from the revisions (the source of truth)."""
    tz = ZoneInfo(request.app.state.settings.timezone)
    return Rebuilt(submissions=await submissions_store.rebuild_all(request.app.state.db, tz))


class BackupIn(Body):
    """Where the server writes the copy: a path on the server's machine, absolute or relative to its data directory."""

    path: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class BackupOut(Wire):
    path: str
    bytes: int


@post("/v1/admin/backup", opt=roles("admin"), status_code=200, responses=problems(400, 401, 403, 409), tags=["admin"])
async def backup(request: Request, data: JSONBody[SkipValidation[BackupIn]]) -> BackupOut:
    """A consistent copy of the database (`VACUUM INTO`, taken by the one writer) at the given path."""
    body = strict_body(data, BackupIn)
    target = Path(body.path)
    if not target.is_absolute():
        target = request.app.state.settings.data_dir / target
    size = await backup_database(request.app.state.db, target)
    return BackupOut(path=str(target), bytes=size)


ROUTES = [import_csv, list_quarantine, replay_quarantine, rebuild, backup]
