"""Evidence uploads and blobs: the rows, who may see a blob, and a blob's arrival in the views.

A blob is recorded in `blobs` in the same transaction that renames its verified file into place
and merges again the views of the submissions waiting for it, so a submission leaves
`awaiting_evidence` exactly when its last blob is stored, and its tablets learn it through pull.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Iterable
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite

from server import blobs as files
from server.clock import iso_utc, now_iso, utc_now
from server.db import Database
from server.errors import ProblemError
from server.store import sync as sync_store
from server.sync.push import rebuild_views

log = logging.getLogger("tekseru")

UPLOAD_COLUMNS = "upload_id, auditor, device_id, sha256, content_type, length, offset, created_at, expires_at"


def expiry(seconds: int) -> str:
    """When an upload touched now expires."""
    return iso_utc(utc_now() + dt.timedelta(seconds=seconds))


async def create_upload(
    db: Database,
    upload_id: str,
    auditor: str,
    device_id: str,
    sha256: str,
    content_type: str,
    length: int,
    offset: int,
    expires_at: str,
) -> None:
    """A new upload; `offset = length` when the blob is already stored (nothing left to send)."""
    async with db.transaction() as conn:
        await conn.execute(
            f"INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (upload_id, auditor, device_id, sha256, content_type, length, offset, now_iso(), expires_at),
        )


async def upload_row(db: Database, upload_id: str) -> sqlite3.Row | None:
    """The upload, or None."""
    return await db.fetch_one(f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?", (upload_id,))


def _revoked() -> ProblemError:
    return ProblemError(401, "token_revoked", "the token or its device was revoked; the chunk was not kept")


async def advance(db: Database, upload_id: str, base: int, offset: int, expires_at: str, token_prefix: str) -> bool:
    """Acknowledge bytes up to `offset` (already fsynced); False if the upload moved or vanished meanwhile."""
    async with db.transaction() as conn:
        if not await sync_store.token_live(conn, token_prefix):
            raise _revoked()
        cursor = await conn.execute(
            "UPDATE uploads SET offset = ?, expires_at = ? WHERE upload_id = ? AND offset = ?",
            (offset, expires_at, upload_id, base),
        )
        return cursor.rowcount == 1


async def complete(
    db: Database,
    upload: sqlite3.Row,
    base: int,
    expires_at: str,
    token_prefix: str,
    place: Callable[[], Awaitable[object]],
    tz: ZoneInfo,
) -> bool:
    """Finish a verified upload: in one transaction, record the blob, move its file into place (`place`),
    and merge again the views that wait for it. False if the upload moved or vanished meanwhile.

    The file is renamed before the commit: a crash in between leaves a whole blob file without its
    row, which `recover` (at start) or the next upload of the same hash records; never a row
    without its file.
    """
    async with db.transaction() as conn:
        if not await sync_store.token_live(conn, token_prefix):
            raise _revoked()
        cursor = await conn.execute(
            "UPDATE uploads SET offset = length, expires_at = ? WHERE upload_id = ? AND offset = ?",
            (expires_at, upload["upload_id"], base),
        )
        if cursor.rowcount != 1:
            return False
        await _blob_arrived(db, conn, upload["sha256"], upload["length"], upload["content_type"], tz)
        await place()
    return True


async def record_blob(db: Database, sha256: str, size: int, content_type: str, tz: ZoneInfo) -> None:
    """Record a verified blob file that is already in place (found after a crash)."""
    async with db.transaction() as conn:
        await _blob_arrived(db, conn, sha256, size, content_type, tz)


async def _blob_arrived(
    db: Database, conn: aiosqlite.Connection, sha256: str, size: int, content_type: str, tz: ZoneInfo
) -> None:
    """Insert the blob and merge again the views of the submissions whose current view references it."""
    cursor = await conn.execute(
        "INSERT INTO blobs (sha256, size, content_type, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (sha256, size, content_type, now_iso()),
    )
    if cursor.rowcount != 1:
        return
    async with conn.execute("SELECT submission_id FROM view_evidence WHERE sha256 = ?", (sha256,)) as rows:
        waiting = [r["submission_id"] for r in await rows.fetchall()]
    if waiting:
        owners = await sync_store.owners(conn, waiting)
        inputs = await sync_store.merge_inputs(conn, waiting)
        await rebuild_views(db, conn, inputs, owners, tz, now_iso())


async def discard(db: Database, upload_id: str) -> None:
    """Forget an upload (its part file is removed by the caller)."""
    async with db.transaction() as conn:
        await conn.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))


async def finished(db: Database, upload_id: str) -> None:
    """The upload's blob is stored (by another upload, or just before a crash): nothing is left to send."""
    async with db.transaction() as conn:
        await conn.execute("UPDATE uploads SET offset = length WHERE upload_id = ?", (upload_id,))


async def restart(db: Database, upload_id: str) -> None:
    """The part file of an upload was lost: its acknowledged bytes must be sent again from 0."""
    async with db.transaction() as conn:
        await conn.execute("UPDATE uploads SET offset = 0 WHERE upload_id = ? AND offset < length", (upload_id,))


async def expire(db: Database, data_dir: Path, busy: Collection[str] = ()) -> list[str]:
    """Delete uploads past their expiry (except those a request is writing to) and their part files."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT upload_id FROM uploads WHERE expires_at <= ?", (now_iso(),)) as cursor:
            gone = [r["upload_id"] for r in await cursor.fetchall() if r["upload_id"] not in busy]
        await conn.executemany("DELETE FROM uploads WHERE upload_id = ?", [(u,) for u in gone])
    for upload_id in gone:
        files.remove_part(data_dir, upload_id)
    return gone


async def recover(db: Database, data_dir: Path, tz: ZoneInfo) -> None:
    """At start: expire old uploads, sweep orphan part files, and record blobs renamed into place
    just before a crash (an unfinished upload whose blob file exists)."""
    await expire(db, data_dir)
    rows = await db.fetch_all(f"SELECT {UPLOAD_COLUMNS} FROM uploads")
    files.sweep_parts(data_dir, {r["upload_id"] for r in rows})
    for row in rows:
        if row["offset"] == row["length"] or files.stored_size(data_dir, row["sha256"]) != row["length"]:
            continue
        if await stored(db, row["sha256"]) is None:
            if await asyncio.to_thread(files.file_sha256, files.blob_path(data_dir, row["sha256"])) != row["sha256"]:
                log.error("blob file %s does not match its name; left unrecorded", row["sha256"])
                continue
            await record_blob(db, row["sha256"], row["length"], row["content_type"], tz)
        await finished(db, row["upload_id"])
        files.remove_part(data_dir, row["upload_id"])


async def stored(db: Database, sha256: str) -> sqlite3.Row | None:
    """The stored blob (size, content type), or None."""
    return await db.fetch_one("SELECT sha256, size, content_type FROM blobs WHERE sha256 = ?", (sha256,))


async def missing(db: Database, hashes: Iterable[str]) -> list[str]:
    """Those of the (lower-case) hashes that are not stored, in the order given, each once."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return []
    marks = ", ".join("?" * len(wanted))
    rows = await db.fetch_all(f"SELECT sha256 FROM blobs WHERE sha256 IN ({marks})", wanted)
    have = {r["sha256"] for r in rows}
    return [h for h in wanted if h not in have]


async def visible_blob(db: Database, sha256: str, auditor: str | None) -> sqlite3.Row | None:
    """The stored blob if a submission references it (one of `auditor`'s when given), else None."""
    if auditor is None:
        return await db.fetch_one(
            "SELECT b.sha256, b.size, b.content_type FROM blobs b WHERE b.sha256 = ?"
            " AND EXISTS (SELECT 1 FROM revision_evidence e WHERE e.sha256 = b.sha256)",
            (sha256,),
        )
    return await db.fetch_one(
        "SELECT b.sha256, b.size, b.content_type FROM blobs b WHERE b.sha256 = ?"
        " AND EXISTS (SELECT 1 FROM revision_evidence e JOIN submissions s ON s.submission_id = e.submission_id"
        " WHERE e.sha256 = b.sha256 AND s.auditor = ?)",
        (sha256, auditor),
    )
