"""Admin endpoints the `tekseru` command uses while `serve` runs (it is then the one writer)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, SkipValidation

from server.auth import roles
from server.blobstore import BlobStore
from server.db import Database, backup_blob_hashes, backup_database
from server.directory import CsvRejected, parse_csv
from server.errors import INSUFFICIENT_STORAGE, FieldError, ProblemError, problems, storage_failure, storage_problem
from server.files import backup_target, blobs_beside, copy_blobs
from server.openapi import raw_body
from server.routes.params import CursorParam, LimitParam
from server.settings import Settings
from server.store import directory as store
from server.store import integrity as integrity_store
from server.store import submissions as submissions_store
from server.store.submissions import QuarantinedOut
from server.sync.refresh import rebuild_all
from server.sync.replay import ReplayOutcome, replay
from server.wire import Body, RowId, Wire, ascii_integer, decode_cursor, encode_cursor, strict_body


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
    db: NamedDependency[Database],
    entity: FromPath[Literal["units", "staff", "assignments"]],
) -> Imported:
    """Import a CSV file of units, staff or assignments: every row or none."""
    body = await request.body()
    try:
        count = await import_directory_csv(db, entity, body)
    except CsvRejected as exc:
        raise ProblemError(
            400, "invalid_csv", f"the file has {len(exc.errors)} problem(s); nothing was imported", exc.errors
        ) from None
    return Imported(entity=entity, rows=count)


async def import_directory_csv(db: Database, entity: str, data: bytes) -> int:
    """Check a CSV file of `entity` and write every row or none; the rows written.

    The API's import and the console's confirmed import both run this. Raises CsvRejected for a
    bad file, and the store's 422 `unknown_reference` for a row naming what does not exist.
    """
    # Off the event loop: a file of 100,000 rows takes a good fraction of a second to check.
    rows, where = await asyncio.to_thread(parse_csv, entity, data)
    await db.write(store.put_rows, entity, rows, where)
    return len(rows)


class QuarantinePage(Wire):
    items: list[QuarantinedOut]
    next_cursor: str | None


class ReplayIn(Body):
    """Which quarantined revisions to replay (by quarantine id); none given replays them all."""

    ids: Annotated[list[RowId], msgspec.Meta(max_length=10_000)] | None = None


class ReplayResult(Wire):
    items: list[ReplayOutcome]


class Rebuilt(Wire):
    submissions: int
    integrity_checks: int  # checks waiting after the rebuild asked for them (run in the background)


@get("/v1/admin/quarantine", opt=roles("admin"), responses=problems(400, 401, 403), tags=["admin"])
async def list_quarantine(
    db: NamedDependency[Database], limit: LimitParam = 100, cursor: CursorParam = None
) -> QuarantinePage:
    """Revisions that could not be used, with the reason and field path, oldest first."""
    after = ascii_integer(decode_cursor(cursor)) or 0
    items = await db.read(submissions_store.quarantine_list, after, limit)
    return QuarantinePage(items=items, next_cursor=encode_cursor(str(items[-1].id)) if len(items) == limit else None)


@post(
    "/v1/admin/quarantine/replay",
    opt=roles("admin"),
    status_code=200,
    responses=problems(400, 401, 403),
    tags=["admin"],
)
async def replay_quarantine(
    db: NamedDependency[Database], settings: NamedDependency[Settings], data: JSONBody[SkipValidation[ReplayIn]]
) -> ReplayResult:
    """Try quarantined revisions again (after publishing a missing version, activating a unit, ...)."""
    body = strict_body(data, ReplayIn)
    tz = ZoneInfo(settings.timezone)
    return ReplayResult(items=await replay(db, body.ids, tz))


@post("/v1/admin/rebuild", opt=roles("admin"), status_code=200, responses=problems(401, 403), tags=["admin"])
async def rebuild(db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Rebuilt:
    """Recompute every derived view from what is recorded: revisions, review decisions, stored blobs;
    and ask for every submitted visit's integrity check again (the server runs them in the background)."""
    tz = ZoneInfo(settings.timezone)
    submissions = await rebuild_all(db, tz)
    return Rebuilt(submissions=submissions, integrity_checks=await db.read(integrity_store.waiting))


class BackupIn(Body):
    """Where the server writes the copy: a path below its backup directory (`TEKSERU_BACKUP_DIR`, default
    `<data dir>/backups`), absolute or relative to it. `with_blobs` also copies the evidence files."""

    path: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
    with_blobs: bool = False


class BackupOut(Wire):
    path: str
    bytes: int
    # The evidence files the copy records, and how many of them were copied beside it (into
    # `blobs_dir`, only with `with_blobs`): without them a restored copy has no photos or audio.
    blobs: int
    blobs_copied: int
    blobs_dir: str | None


@post(
    "/v1/admin/backup",
    opt=roles("admin"),
    status_code=200,
    responses=problems(400, 401, 403, 409, 503, 507),
    tags=["admin"],
)
async def backup(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    blobs: NamedDependency[BlobStore],
    data: JSONBody[SkipValidation[BackupIn]],
) -> BackupOut:
    """A consistent copy of the database (`VACUUM INTO`, by the one writer), and with `with_blobs` the evidence.

    Only below the backup directory the operator configured: any other path (after symlinks and
    `..` are resolved) is 400 `backup_path_not_allowed`. Evidence kept in a bucket stays there:
    `with_blobs` is then 400 `blobs_in_bucket`.
    """
    body = strict_body(data, BackupIn)
    if body.with_blobs and blobs.kind != "local":
        raise ProblemError(
            400,
            "blobs_in_bucket",
            f"the evidence is kept in {blobs.describe()} (TEKSERU_BLOB_STORE), not in the data directory: back the"
            " bucket up with its own tools (versioning, replication); leave out with_blobs to copy the database",
        )
    target = backup_target(settings.backups, body.path)
    if target is None:
        raise ProblemError(
            400,
            "backup_path_not_allowed",
            "a backup may only be written below the backup directory (TEKSERU_BACKUP_DIR, by default"
            " <data dir>/backups): give a file name, or a path inside it",
            [FieldError(path="path", message="outside the backup directory")],
        )
    size = await backup_database(db, settings.backups, target)
    hashes = await asyncio.to_thread(backup_blob_hashes, target)
    copied, blobs_dir = 0, None
    if body.with_blobs:
        into = blobs_beside(target)
        try:
            copied, _ = await asyncio.to_thread(copy_blobs, settings.data_dir, hashes, into)
        except FileExistsError:
            raise ProblemError(409, "backup_exists", "a folder of blobs is already beside that path") from None
        except OSError as exc:  # the backup disk, which may not be the store's: the store stays healthy
            if storage_failure(exc) == INSUFFICIENT_STORAGE:
                raise storage_problem(INSUFFICIENT_STORAGE) from None
            raise ProblemError(400, "backup_path", f"cannot copy the blobs there: {exc.strerror}") from None
        blobs_dir = str(into)
    return BackupOut(path=str(target), bytes=size, blobs=len(hashes), blobs_copied=copied, blobs_dir=blobs_dir)


ROUTES = [import_csv, list_quarantine, replay_quarantine, rebuild, backup]
