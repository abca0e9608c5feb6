"""Stored evidence: a blob counts as present only while its file holds its bytes.

The hashing of files runs on worker threads; what it finds is written through the store
(`server.store.blobs`), whose writes do the file work that must not race an upload (a damaged
file set aside in the same write that takes its blob out).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from server import blobs as files
from server.db import Database
from server.store import blobs as store
from server.store.views import Refresh

log = logging.getLogger("tekseru")


async def missing(db: Database, data_dir: Path, hashes: Iterable[str], refresh: Refresh) -> list[str]:
    """Those of the (lower-case) hashes that are not stored intact, in the order given, each once."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return []
    rows = await db.read(store.stored_among, wanted)
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
    await db.write(store.mark_verified_if_unchanged, data_dir, checked)


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
    """Take a blob whose file was found damaged (`seen`) or gone (None) out of `blobs` (`store.lose`), and
    say so in the log once that committed. False when the file has changed since it was checked (nothing done)."""
    if not await db.write(store.lose, data_dir, sha256, seen, refresh):
        return False
    reason = "missing" if seen is None else "damaged"
    log.error("blob %s is %s: its visits await it again until it is uploaded again", sha256, reason)
    return True


async def verify_all(db: Database, data_dir: Path, refresh: Refresh) -> store.BlobsVerified:
    """Hash every stored blob (whatever its marker says), take out those damaged or gone, take back lost ones
    whose right file is in place again."""
    damaged: list[str] = []
    missing_file: list[str] = []
    recovered: list[str] = []
    intact_files: list[tuple[str, str | None]] = []
    ok = 0
    rows = await db.read(store.all_blobs)
    for row in rows:
        check = await asyncio.to_thread(files.check_blob_file, data_dir, row["sha256"], row["size"])
        if check.intact:
            ok += 1
            intact_files.append((row["sha256"], check.identity))
            if len(intact_files) >= store.VERIFIED_PER_TRANSACTION:
                await _mark_verified_if_unchanged(db, data_dir, intact_files)
                intact_files = []
        elif await lose(db, data_dir, row["sha256"], check.identity, refresh):
            (missing_file if check.identity is None else damaged).append(row["sha256"])
    await _mark_verified_if_unchanged(db, data_dir, intact_files)
    still_lost: list[str] = []
    for row in await db.read(store.lost_blobs):
        if row["sha256"] in damaged or row["sha256"] in missing_file:
            continue
        check = await asyncio.to_thread(files.check_blob_file, data_dir, row["sha256"], row["size"])
        if check.intact:
            await db.write(store.record_blob, row["sha256"], row["size"], row["content_type"], refresh, check.identity)
            recovered.append(row["sha256"])
        else:
            still_lost.append(row["sha256"])
    return store.BlobsVerified(
        checked=len(rows),
        ok=ok,
        damaged=damaged,
        missing_file=missing_file,
        recovered=recovered,
        still_lost=still_lost,
    )
