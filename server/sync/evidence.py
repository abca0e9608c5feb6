"""Stored evidence: a blob counts as present only while its stored copy holds its bytes.

Where the copy lives, and how it is read and hashed off the event loop, is the blob store's
(`server.blobstore`); what the checks find is written through the store (`server.store.blobs`),
whose writes do the work that must not race an upload (a damaged blob set aside in the same
write that takes its row out).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable

from server.blobstore import BlobStore
from server.db import Database
from server.store import blobs as store
from server.store.views import Refresh

log = logging.getLogger("tekseru")


async def missing(db: Database, blobs: BlobStore, hashes: Iterable[str], refresh: Refresh) -> list[str]:
    """Those of the (lower-case) hashes that are not stored intact, in the order given, each once."""
    wanted = list(dict.fromkeys(hashes))
    if not wanted:
        return []
    rows = await db.read(store.stored_among, wanted)
    # One identity each (a stat, a HEAD), then a rehash only of those that changed.
    identities = await blobs.identities([r["sha256"] for r in rows])
    have = set()
    for row, identity in zip(rows, identities, strict=True):
        if _still_verified(row, identity) or await _recheck(db, blobs, row, refresh) is not None:
            have.add(row["sha256"])
    return [h for h in wanted if h not in have]


async def _mark_verified_if_unchanged(db: Database, blobs: BlobStore, checked: list[tuple[str, str | None]]) -> None:
    """Record the identities of blobs just hashed intact, in one transaction."""
    if not checked:
        return
    await db.write(store.mark_verified_if_unchanged, blobs, checked)


def _still_verified(blob: sqlite3.Row, identity: str | None) -> bool:
    return identity is not None and identity == blob["verified_file"]


async def intact(db: Database, blobs: BlobStore, blob: sqlite3.Row, refresh: Refresh) -> str | None:
    """The identity of the stored blob when its copy holds its bytes, else None: one found changed or gone
    is taken out (`lose`).

    A stat (a HEAD in a bucket) when the copy still shows the identity it had when last hashed;
    otherwise it is read whole and hashed (at most `max_blob_bytes`, a second or so) before
    anything is decided.
    """
    identity = await blobs.identity(blob["sha256"])
    if _still_verified(blob, identity):
        return identity
    return await _recheck(db, blobs, blob, refresh)


async def _recheck(db: Database, blobs: BlobStore, blob: sqlite3.Row, refresh: Refresh) -> str | None:
    check = await blobs.check(blob["sha256"], blob["size"])
    if check.intact:
        await _mark_verified_if_unchanged(db, blobs, [(blob["sha256"], check.identity)])
        return check.identity
    await lose(db, blobs, blob["sha256"], check.identity, refresh)
    return None


async def lose(db: Database, blobs: BlobStore, sha256: str, seen: str | None, refresh: Refresh) -> bool:
    """Take a blob whose copy was found damaged (`seen`) or gone (None) out of `blobs` (`store.lose`), and
    say so in the log once that committed. False when the copy has changed since it was checked (nothing done)."""
    if not await db.write(store.lose, blobs, sha256, seen, refresh):
        return False
    reason = "missing" if seen is None else "damaged"
    log.error("blob %s is %s: its visits await it again until it is uploaded again", sha256, reason)
    return True


async def verify_all(db: Database, blobs: BlobStore, refresh: Refresh) -> store.BlobsVerified:
    """Hash every stored blob (whatever its marker says), take out those damaged or gone, take back lost ones
    whose right copy is in place again."""
    damaged: list[str] = []
    missing_file: list[str] = []
    recovered: list[str] = []
    intact_files: list[tuple[str, str | None]] = []
    ok = 0
    rows = await db.read(store.all_blobs)
    for row in rows:
        check = await blobs.check(row["sha256"], row["size"])
        if check.intact:
            ok += 1
            intact_files.append((row["sha256"], check.identity))
            if len(intact_files) >= store.VERIFIED_PER_TRANSACTION:
                await _mark_verified_if_unchanged(db, blobs, intact_files)
                intact_files = []
        elif await lose(db, blobs, row["sha256"], check.identity, refresh):
            (missing_file if check.identity is None else damaged).append(row["sha256"])
    await _mark_verified_if_unchanged(db, blobs, intact_files)
    still_lost: list[str] = []
    for row in await db.read(store.lost_blobs):
        if row["sha256"] in damaged or row["sha256"] in missing_file:
            continue
        check = await blobs.check(row["sha256"], row["size"])
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
