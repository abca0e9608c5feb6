"""Evidence uploads and blobs: the rows, who may see a blob, and a blob's arrival in the views.

A blob is recorded in `blobs` in the same transaction that renames its verified file into place
and merges again the views of the submissions waiting for it, so a submission leaves
`awaiting_evidence` exactly when its last blob is stored, and its tablets learn it through pull.

A blob counts as present only while its stored copy holds its bytes: `server.sync.evidence.intact`
trusts a copy that still shows the identity it had when last hashed and rehashes any other; a copy
found changed or gone takes its row out of `blobs` into `lost_blobs` (`lose`), in a transaction that
merges again the views that reference it, so they await the evidence again until an upload brings
it back.

Every function here takes the connection it runs on (`Database.read` or `Database.write` hands it
in). The blob work that must not race an upload (a rename into place, a copy set aside, the stat
that shows a copy unchanged) runs inside the write, on the writer's thread, through the blob store
(`server.blobstore`) it is handed.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

from server.clock import iso_utc, now_iso, utc_now
from server.errors import ProblemError
from server.store import sync as sync_store
from server.store.appeals import appeal_blob_visible
from server.store.scores import APPROVED
from server.store.sync import rows_in
from server.store.views import Refresh, referencing
from server.wire import Wire

if TYPE_CHECKING:
    from server.blobstore import BlobStore

UPLOAD_COLUMNS = 'upload_id, auditor, device_id, sha256, content_type, length, "offset", created_at, expires_at'
BLOB_COLUMNS = "sha256, size, content_type, verified_file, stored_at"
# `blobs verify` records what it hashed in batches: one commit (one fsync) per blob would dominate its run.
VERIFIED_PER_TRANSACTION = 200


def expiry(seconds: int) -> str:
    """When an upload touched now expires."""
    return iso_utc(utc_now() + dt.timedelta(seconds=seconds))


def create_upload(
    c: sqlite3.Connection,
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
    if quota is not None and offset < length:
        _check_quota(c, auditor, length - offset, quota)
    c.execute(
        f"INSERT INTO uploads ({UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (upload_id, auditor, device_id, sha256, content_type, length, offset, now_iso(), expires_at),
    )


class UploadQuota(Wire):
    """How much an auditor may have under way: unfinished uploads, and bytes declared but not received."""

    uploads: int
    bytes: int


def _check_quota(c: sqlite3.Connection, auditor: str, adding: int, quota: UploadQuota) -> None:
    """Refuse (429 `upload_quota_exceeded`) an upload of `adding` more bytes beyond the auditor's quota."""
    now = now_iso()
    row = c.execute(
        'SELECT count(*) AS n, coalesce(sum(length - "offset"), 0) AS pending, min(expires_at) AS first_expiry'
        ' FROM uploads WHERE auditor = ? AND "offset" < length AND expires_at > ?',
        (auditor, now),
    ).fetchone()
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


def upload_row(c: sqlite3.Connection, upload_id: str) -> sqlite3.Row | None:
    """The upload, or None."""
    return c.execute(f"SELECT {UPLOAD_COLUMNS} FROM uploads WHERE upload_id = ?", (upload_id,)).fetchone()


def upload_rows(c: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every upload (at start, to find what a crash left)."""
    return c.execute(f"SELECT {UPLOAD_COLUMNS} FROM uploads").fetchall()


def _revoked() -> ProblemError:
    return ProblemError(401, "token_revoked", "the token or its device was revoked; the chunk was not kept")


def advance(c: sqlite3.Connection, upload_id: str, base: int, offset: int, expires_at: str, token_prefix: str) -> bool:
    """Acknowledge bytes up to `offset` (already fsynced); False if the upload moved or vanished meanwhile."""
    if not sync_store.token_live(c, token_prefix):
        raise _revoked()
    cursor = c.execute(
        'UPDATE uploads SET "offset" = ?, expires_at = ? WHERE upload_id = ? AND "offset" = ?',
        (offset, expires_at, upload_id, base),
    )
    return cursor.rowcount == 1


def complete(
    c: sqlite3.Connection,
    upload: sqlite3.Row,
    base: int,
    expires_at: str,
    token_prefix: str,
    place: Callable[[], str | None],
    refresh: Refresh,
) -> bool:
    """Finish a verified upload: in one transaction, record the blob, put it in place (`place`, which
    answers the identity of the copy in place), and merge again the views that wait for it. False if
    the upload moved or vanished meanwhile.

    The blob is in place before the commit: a crash in between leaves a whole blob without its row,
    which `recover` (at start) or the next upload of the same hash records; never a row without its
    blob. A file's `place` (the rename and its fsyncs) runs here, on the writer's thread, so that no
    `lose` of the same blob runs between its rename and this row.
    """
    if not sync_store.token_live(c, token_prefix):
        raise _revoked()
    cursor = c.execute(
        'UPDATE uploads SET "offset" = length, expires_at = ? WHERE upload_id = ? AND "offset" = ?',
        (expires_at, upload["upload_id"], base),
    )
    if cursor.rowcount != 1:
        return False
    _blob_arrived(c, upload["sha256"], upload["length"], upload["content_type"], refresh)
    # Its bytes were hashed as they arrived (a bucket's object read back): the copy in place is the verified one.
    _mark_verified(c, upload["sha256"], place())
    return True


def record_blob(
    c: sqlite3.Connection, sha256: str, size: int, content_type: str, refresh: Refresh, identity: str | None
) -> None:
    """Record a blob file already in place (found after a crash, or back after it was lost), hashed as `identity`."""
    _blob_arrived(c, sha256, size, content_type, refresh)
    _mark_verified(c, sha256, identity)


def _mark_verified(c: sqlite3.Connection, sha256: str, identity: str | None) -> None:
    c.execute("UPDATE blobs SET verified_file = ?, verified_at = ? WHERE sha256 = ?", (identity, now_iso(), sha256))


def _blob_arrived(c: sqlite3.Connection, sha256: str, size: int, content_type: str, refresh: Refresh) -> None:
    """Insert the blob and merge again the views of the submissions whose current view references it."""
    cursor = c.execute(
        "INSERT INTO blobs (sha256, size, content_type, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (sha256, size, content_type, now_iso()),
    )
    if cursor.rowcount != 1:
        return
    c.execute("DELETE FROM lost_blobs WHERE sha256 = ?", (sha256,))
    _merge_views_of(c, sha256, refresh)


def _merge_views_of(c: sqlite3.Connection, sha256: str, refresh: Refresh) -> None:
    """Merge again the views of the submissions whose current view references the blob (it came or went)."""
    waiting = referencing(c, sha256)
    if waiting:
        refresh(c, waiting)


def discard(c: sqlite3.Connection, upload_id: str) -> None:
    """Forget an upload (its part file is removed by the caller)."""
    c.execute("DELETE FROM uploads WHERE upload_id = ?", (upload_id,))


def finished(c: sqlite3.Connection, upload_id: str) -> None:
    """The upload's blob is stored (by another upload, or just before a crash): nothing is left to send."""
    c.execute('UPDATE uploads SET "offset" = length WHERE upload_id = ?', (upload_id,))


def restart(c: sqlite3.Connection, upload_id: str) -> None:
    """The part file of an upload was lost: its acknowledged bytes must be sent again from 0."""
    c.execute('UPDATE uploads SET "offset" = 0 WHERE upload_id = ? AND "offset" < length', (upload_id,))


def expire(c: sqlite3.Connection, busy: Collection[str] = ()) -> list[str]:
    """Delete uploads past their expiry (except those a request is writing to); their ids, whose part
    files the caller removes once this committed (`server.sync.tus.expire`)."""
    rows = c.execute("SELECT upload_id FROM uploads WHERE expires_at <= ?", (now_iso(),)).fetchall()
    gone = [r["upload_id"] for r in rows if r["upload_id"] not in busy]
    c.executemany("DELETE FROM uploads WHERE upload_id = ?", [(u,) for u in gone])
    return gone


def stored(c: sqlite3.Connection, sha256: str) -> sqlite3.Row | None:
    """The stored blob (size, content type, verified marker), or None; see `intact` before trusting its file."""
    return c.execute(f"SELECT {BLOB_COLUMNS} FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()


def stored_among(c: sqlite3.Connection, hashes: list[str]) -> list[sqlite3.Row]:
    """The stored blobs among the (lower-case, distinct) hashes; see `intact` before trusting their files."""
    marks = ", ".join("?" * len(hashes))
    return c.execute(f"SELECT {BLOB_COLUMNS} FROM blobs WHERE sha256 IN ({marks})", hashes).fetchall()


def all_blobs(c: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every stored blob, by hash (`blobs verify`)."""
    return c.execute(f"SELECT {BLOB_COLUMNS} FROM blobs ORDER BY sha256").fetchall()


def lost_blobs(c: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every blob taken out as damaged or gone, by hash (`blobs verify`)."""
    return c.execute("SELECT sha256, size, content_type FROM lost_blobs ORDER BY sha256").fetchall()


def mark_verified_if_unchanged(
    c: sqlite3.Connection, blobs: BlobStore, checked: Iterable[tuple[str, str | None]]
) -> None:
    """Record the identities of blobs just hashed intact, in one transaction."""
    for sha256, identity in checked:
        # Put over meanwhile (a second upload of the same bytes): the next read checks that copy.
        if blobs.current_identity(sha256) == identity:
            _mark_verified(c, sha256, identity)


def lose(c: sqlite3.Connection, blobs: BlobStore, sha256: str, seen: str | None, refresh: Refresh) -> bool:
    """Take a blob whose copy was found damaged (`seen`: the identity of the copy read) or gone (None) out of
    `blobs`: the copy is set aside, the row kept in `lost_blobs`, its finished uploads start again from 0,
    and the views that reference it are merged again (they await the evidence). False when the copy has
    changed since it was checked (nothing done)."""
    # In a write no upload renames a file into place (`complete` renames inside its write): if the
    # path still shows what was checked, it is what was checked.
    if blobs.current_identity(sha256) != seen:
        return False
    row = c.execute("SELECT size, content_type FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None:
        return False
    if seen is not None:
        blobs.set_aside(sha256)
    reason = "missing" if seen is None else "damaged"
    c.execute("DELETE FROM blobs WHERE sha256 = ?", (sha256,))
    c.execute(
        "INSERT INTO lost_blobs (sha256, size, content_type, reason, lost_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (sha256) DO UPDATE SET size = excluded.size, content_type = excluded.content_type,"
        " reason = excluded.reason, lost_at = excluded.lost_at",
        (sha256, row["size"], row["content_type"], reason, now_iso()),
    )
    # A tus client that resumes a finished upload of it (by its stored URL) must send it again, from 0.
    c.execute('UPDATE uploads SET "offset" = 0 WHERE sha256 = ? AND "offset" = length', (sha256,))
    _merge_views_of(c, sha256, refresh)
    return True


class BlobsVerified(Wire):
    """What `tekseru blobs verify` found: every stored blob read whole and hashed."""

    checked: int
    ok: int
    damaged: list[str]  # the file's bytes do not match its SHA-256 (set aside in `damaged-blobs/`)
    missing_file: list[str]  # no file at all
    recovered: list[str]  # lost earlier, and a right file is back in place (a restore, a remount)
    still_lost: list[str]  # lost earlier and not uploaded again yet


def visible_blob(
    c: sqlite3.Connection, sha256: str, auditor: str | None, units: list[str] | None = None
) -> sqlite3.Row | None:
    """The stored blob if its caller may see it, else None; see `intact`.

    An auditor (`auditor` given) sees the evidence of their own submissions; a unit manager (`units`
    given) the evidence of their units' approved visits as they stand now and the evidence attached to
    their units' appeals; everyone else (both None) the evidence of any submission or appeal.
    """
    columns = "b.sha256, b.size, b.content_type, b.verified_file, b.stored_at"
    if auditor is not None:
        return c.execute(
            f"SELECT {columns} FROM blobs b WHERE b.sha256 = ?"
            " AND EXISTS (SELECT 1 FROM revision_evidence e JOIN submissions s ON s.submission_id = e.submission_id"
            " WHERE e.sha256 = b.sha256 AND s.auditor = ?)",
            (sha256, auditor),
        ).fetchone()
    if units is not None:
        blob = c.execute(f"SELECT {columns} FROM blobs b WHERE b.sha256 = ?", (sha256,)).fetchone()
        if blob is None or not units:
            return None
        approved = rows_in(
            c,
            "SELECT 1 FROM view_evidence e JOIN submission_views v ON v.submission_id = e.submission_id"
            " WHERE e.sha256 = ? AND v.counted = ? AND v.unit_id IN ({marks}) LIMIT 1",
            units,
            (sha256, APPROVED),
        )
        return blob if approved or appeal_blob_visible(c, sha256, units) else None
    return c.execute(
        f"SELECT {columns} FROM blobs b WHERE b.sha256 = ?"
        " AND (EXISTS (SELECT 1 FROM revision_evidence e WHERE e.sha256 = b.sha256)"
        " OR EXISTS (SELECT 1 FROM appeal_evidence e WHERE e.sha256 = b.sha256))",
        (sha256,),
    ).fetchone()
