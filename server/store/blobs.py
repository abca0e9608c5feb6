"""Evidence uploads and blobs: the rows, who may see a blob, and a blob's arrival in the views.

A blob is recorded in `blobs` in the same transaction that renames its verified file into place
and merges again the views of the submissions waiting for it, so a submission leaves
`awaiting_evidence` exactly when its last blob is stored, and its tablets learn it through pull.

A blob counts as present only while its file holds its bytes: `intact` trusts a file that still
shows the identity it had when last hashed and rehashes any other; a file found changed or gone
takes its row out of `blobs` into `lost_blobs` (`lose`), in a transaction that merges again the
views that reference it, so they await the evidence again until an upload brings it back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
import sqlite3
from collections.abc import Awaitable, Callable, Collection, Iterable
from pathlib import Path

import aiosqlite

from server import blobs as files
from server.clock import iso_utc, now_iso, utc_now
from server.db import Database
from server.errors import ProblemError
from server.store import sync as sync_store
from server.store.views import Refresh, referencing
from server.wire import Wire

log = logging.getLogger("tekseru")

UPLOAD_COLUMNS = "upload_id, auditor, device_id, sha256, content_type, length, offset, created_at, expires_at"
BLOB_COLUMNS = "sha256, size, content_type, verified_file"
# `blobs verify` records what it hashed in batches: one commit (one fsync) per blob would dominate its run.
VERIFIED_PER_TRANSACTION = 200


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
    quota: UploadQuota | None = None,
) -> None:
    """A new upload; `offset = length` when the blob is already stored (nothing left to send).

    An unfinished one must fit the auditor's `quota`, counted in the same transaction so uploads
    created at once cannot together pass it.
    """
    async with db.transaction() as conn:
        if quota is not None and offset < length:
            await _check_quota(conn, auditor, length - offset, quota)
        await conn.execute(
            f"INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (upload_id, auditor, device_id, sha256, content_type, length, offset, now_iso(), expires_at),
        )


class UploadQuota(Wire):
    """How much an auditor may have under way: unfinished uploads, and bytes declared but not received."""

    uploads: int
    bytes: int


async def _check_quota(conn: aiosqlite.Connection, auditor: str, adding: int, quota: UploadQuota) -> None:
    """Refuse (429 `upload_quota_exceeded`) an upload of `adding` more bytes beyond the auditor's quota."""
    now = now_iso()
    async with conn.execute(
        "SELECT count(*) AS n, coalesce(sum(length - offset), 0) AS pending, min(expires_at) AS first_expiry"
        " FROM uploads WHERE auditor = ? AND offset < length AND expires_at > ?",
        (auditor, now),
    ) as cursor:
        row = await cursor.fetchone()
    if row["n"] < quota.uploads and row["pending"] + adding <= quota.bytes:
        return
    headers = {}
    if row["n"]:
        # Finishing its own uploads frees room at once; left alone, the first of them expires then.
        wait = (dt.datetime.fromisoformat(row["first_expiry"]) - utc_now()).total_seconds()
        headers["Retry-After"] = str(max(1, math.ceil(wait)))
    if row["n"] >= quota.uploads:
        detail = f"{row['n']} unfinished uploads already, at most {quota.uploads}"
    else:
        detail = (
            f"{row['pending']} bytes declared by unfinished uploads are still to come; with {adding} more that"
            f" is over the {quota.bytes} allowed"
        )
    raise ProblemError(
        429, "upload_quota_exceeded", detail + ": finish those uploads or let them expire", headers=headers
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
    place: Callable[[], Awaitable[Path]],
    refresh: Refresh,
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
        await _blob_arrived(conn, upload["sha256"], upload["length"], upload["content_type"], refresh)
        # Its bytes were hashed as they arrived: the file as renamed into place is the verified one.
        await _mark_verified(conn, upload["sha256"], files.file_identity(await place()))
    return True


async def record_blob(
    db: Database, sha256: str, size: int, content_type: str, refresh: Refresh, identity: str | None
) -> None:
    """Record a blob file already in place (found after a crash, or back after it was lost), hashed as `identity`."""
    async with db.transaction() as conn:
        await _blob_arrived(conn, sha256, size, content_type, refresh)
        await _mark_verified(conn, sha256, identity)


async def _mark_verified(conn: aiosqlite.Connection, sha256: str, identity: str | None) -> None:
    await conn.execute(
        "UPDATE blobs SET verified_file = ?, verified_at = ? WHERE sha256 = ?", (identity, now_iso(), sha256)
    )


async def _blob_arrived(
    conn: aiosqlite.Connection, sha256: str, size: int, content_type: str, refresh: Refresh
) -> None:
    """Insert the blob and merge again the views of the submissions whose current view references it."""
    cursor = await conn.execute(
        "INSERT INTO blobs (sha256, size, content_type, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (sha256, size, content_type, now_iso()),
    )
    if cursor.rowcount != 1:
        return
    await conn.execute("DELETE FROM lost_blobs WHERE sha256 = ?", (sha256,))
    await _merge_views_of(conn, sha256, refresh)


async def _merge_views_of(conn: aiosqlite.Connection, sha256: str, refresh: Refresh) -> None:
    """Merge again the views of the submissions whose current view references the blob (it came or went)."""
    waiting = await referencing(conn, sha256)
    if waiting:
        await refresh(conn, waiting)


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


async def recover(db: Database, data_dir: Path, refresh: Refresh) -> None:
    """At start: expire old uploads, sweep orphan part files, and record blobs renamed into place
    just before a crash (an unfinished upload whose blob file exists)."""
    await expire(db, data_dir)
    rows = await db.fetch_all(f"SELECT {UPLOAD_COLUMNS} FROM uploads")
    files.sweep_parts(data_dir, {r["upload_id"] for r in rows})
    for row in rows:
        if row["offset"] == row["length"] or files.stored_size(data_dir, row["sha256"]) != row["length"]:
            continue
        if await stored(db, row["sha256"]) is None:
            check = await asyncio.to_thread(files.check_blob_file, data_dir, row["sha256"], row["length"])
            if not check.intact:
                log.error("blob file %s does not match its name; left unrecorded", row["sha256"])
                continue
            await record_blob(db, row["sha256"], row["length"], row["content_type"], refresh, check.identity)
        await finished(db, row["upload_id"])
        files.remove_part(data_dir, row["upload_id"])


async def stored(db: Database, sha256: str) -> sqlite3.Row | None:
    """The stored blob (size, content type, verified marker), or None; see `intact` before trusting its file."""
    return await db.fetch_one(f"SELECT {BLOB_COLUMNS} FROM blobs WHERE sha256 = ?", (sha256,))


async def missing(db: Database, data_dir: Path, hashes: Iterable[str], refresh: Refresh) -> list[str]:
    """Those of the (lower-case) hashes that are not stored intact, in the order given, each once."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return []
    marks = ", ".join("?" * len(wanted))
    rows = await db.fetch_all(f"SELECT {BLOB_COLUMNS} FROM blobs WHERE sha256 IN ({marks})", wanted)
    # Up to a thousand stats: one trip to a thread, then a rehash only of files that changed.
    identities = await asyncio.to_thread(
        lambda: [files.file_identity(files.blob_path(data_dir, r["sha256"])) for r in rows]
    )
    have = set()
    for row, identity in zip(rows, identities, strict=True):
        if _still_verified(row, identity) or await _recheck(db, data_dir, row, refresh):
            have.add(row["sha256"])
    return [h for h in wanted if h not in have]


async def _mark_verified_if_unchanged(db: Database, data_dir: Path, checked: list[tuple[str, str | None]]) -> None:
    """Record the identities of files just hashed intact, in one transaction."""
    if not checked:
        return
    async with db.transaction() as conn:
        for sha256, identity in checked:
            # Renamed over meanwhile (a second upload of the same bytes): the next read checks that file.
            if files.file_identity(files.blob_path(data_dir, sha256)) == identity:
                await _mark_verified(conn, sha256, identity)


def _still_verified(blob: sqlite3.Row, identity: str | None) -> bool:
    return identity is not None and identity == blob["verified_file"]


async def intact(db: Database, data_dir: Path, blob: sqlite3.Row, refresh: Refresh) -> bool:
    """Whether the stored blob's file holds its bytes; one found changed or gone is taken out (`lose`).

    A stat when the file still shows the identity it had when last hashed; otherwise it is read
    whole and hashed (at most `max_blob_bytes`, a second or so) before anything is decided.
    """
    if _still_verified(blob, files.file_identity(files.blob_path(data_dir, blob["sha256"]))):
        return True
    return await _recheck(db, data_dir, blob, refresh)


async def _recheck(db: Database, data_dir: Path, blob: sqlite3.Row, refresh: Refresh) -> bool:
    check = await asyncio.to_thread(files.check_blob_file, data_dir, blob["sha256"], blob["size"])
    if check.intact:
        await _mark_verified_if_unchanged(db, data_dir, [(blob["sha256"], check.identity)])
        return True
    await lose(db, data_dir, blob["sha256"], check.identity, refresh)
    return False


async def lose(db: Database, data_dir: Path, sha256: str, seen: str | None, refresh: Refresh) -> bool:
    """Take a blob whose file was found damaged (`seen`: the identity of the file read) or gone (None) out of
    `blobs`: the file is set aside, the row kept in `lost_blobs`, its finished uploads start again from 0,
    and the views that reference it are merged again (they await the evidence). False when the file has
    changed since it was checked (nothing done)."""
    path = files.blob_path(data_dir, sha256)
    async with db.transaction() as conn:
        # Under the writer lock no upload renames a file into place: if the path still shows what was
        # checked, it is what was checked.
        if files.file_identity(path) != seen:
            return False
        async with conn.execute("SELECT size, content_type FROM blobs WHERE sha256 = ?", (sha256,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return False
        if seen is not None:
            await asyncio.to_thread(files.set_aside, data_dir, sha256)
        reason = "missing" if seen is None else "damaged"
        await conn.execute("DELETE FROM blobs WHERE sha256 = ?", (sha256,))
        await conn.execute(
            "INSERT INTO lost_blobs (sha256, size, content_type, reason, lost_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, content_type = excluded.content_type,"
            " reason = excluded.reason, lost_at = excluded.lost_at",
            (sha256, row["size"], row["content_type"], reason, now_iso()),
        )
        # A tus client that resumes a finished upload of it (by its stored URL) must send it again, from 0.
        await conn.execute("UPDATE uploads SET offset = 0 WHERE sha256 = ? AND offset = length", (sha256,))
        await _merge_views_of(conn, sha256, refresh)
    log.error("blob %s is %s: its visits await it again until it is uploaded again", sha256, reason)
    return True


class BlobsVerified(Wire):
    """What `tekseru blobs verify` found: every stored blob read whole and hashed."""

    checked: int
    ok: int
    damaged: list[str]  # the file's bytes do not match its SHA-256 (set aside in `damaged-blobs/`)
    missing_file: list[str]  # no file at all
    recovered: list[str]  # lost earlier, and a right file is back in place (a restore, a remount)
    still_lost: list[str]  # lost earlier and not uploaded again yet


async def verify_all(db: Database, data_dir: Path, refresh: Refresh) -> BlobsVerified:
    """Hash every stored blob (whatever its marker says), take out those damaged or gone, take back lost ones
    whose right file is in place again."""
    damaged: list[str] = []
    missing_file: list[str] = []
    recovered: list[str] = []
    intact_files: list[tuple[str, str | None]] = []
    ok = 0
    rows = await db.fetch_all(f"SELECT {BLOB_COLUMNS} FROM blobs ORDER BY sha256")
    for row in rows:
        check = await asyncio.to_thread(files.check_blob_file, data_dir, row["sha256"], row["size"])
        if check.intact:
            ok += 1
            intact_files.append((row["sha256"], check.identity))
            if len(intact_files) >= VERIFIED_PER_TRANSACTION:
                await _mark_verified_if_unchanged(db, data_dir, intact_files)
                intact_files = []
        elif await lose(db, data_dir, row["sha256"], check.identity, refresh):
            (missing_file if check.identity is None else damaged).append(row["sha256"])
    await _mark_verified_if_unchanged(db, data_dir, intact_files)
    still_lost: list[str] = []
    for row in await db.fetch_all("SELECT sha256, size, content_type FROM lost_blobs ORDER BY sha256"):
        if row["sha256"] in damaged or row["sha256"] in missing_file:
            continue
        check = await asyncio.to_thread(files.check_blob_file, data_dir, row["sha256"], row["size"])
        if check.intact:
            await record_blob(db, row["sha256"], row["size"], row["content_type"], refresh, check.identity)
            recovered.append(row["sha256"])
        else:
            still_lost.append(row["sha256"])
    return BlobsVerified(
        checked=len(rows),
        ok=ok,
        damaged=damaged,
        missing_file=missing_file,
        recovered=recovered,
        still_lost=still_lost,
    )


async def visible_blob(db: Database, sha256: str, auditor: str | None) -> sqlite3.Row | None:
    """The stored blob if a submission references it (one of `auditor`'s when given), else None; see `intact`."""
    if auditor is None:
        return await db.fetch_one(
            "SELECT b.sha256, b.size, b.content_type, b.verified_file FROM blobs b WHERE b.sha256 = ?"
            " AND EXISTS (SELECT 1 FROM revision_evidence e WHERE e.sha256 = b.sha256)",
            (sha256,),
        )
    return await db.fetch_one(
        "SELECT b.sha256, b.size, b.content_type, b.verified_file FROM blobs b WHERE b.sha256 = ?"
        " AND EXISTS (SELECT 1 FROM revision_evidence e JOIN submissions s ON s.submission_id = e.submission_id"
        " WHERE e.sha256 = b.sha256 AND s.auditor = ?)",
        (sha256, auditor),
    )
