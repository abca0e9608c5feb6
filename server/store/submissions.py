"""Reading submissions and their history; releasing, replaying and rebuilding (the derived views)."""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

import msgspec

from server.clock import now_iso
from server.db import Database
from server.errors import ProblemError, not_found
from server.store import sync as sync_store
from server.store.audit import audit
from server.sync.push import Author, rebuild_views, store_revisions
from server.sync.view import SubmissionDoc


async def document(db: Database, submission_id: str) -> SubmissionDoc | None:
    """The stored document of a submission, or None."""
    row = await db.fetch_one("SELECT document FROM submission_views WHERE submission_id = ?", (submission_id,))
    return msgspec.json.decode(row["document"], type=SubmissionDoc) if row else None


async def revisions_of(db: Database, submission_id: str) -> tuple[list[sqlite3.Row], list[str]]:
    """The submission's stored revisions in arrival order, and the ids of its quarantined ones."""
    rows = await db.fetch_all(
        "SELECT rev_id, parents, sha256, rank, author, device_id, received_at, clock_offset_ms, released, content"
        " FROM revisions WHERE submission_id = ? ORDER BY arrival",
        (submission_id,),
    )
    held = await db.fetch_all(
        "SELECT rev_id FROM quarantine WHERE submission_id = ? AND released_at IS NULL ORDER BY id", (submission_id,)
    )
    return rows, [r["rev_id"] for r in held]


async def release(db: Database, submission_id: str, rev_id: str, tz: ZoneInfo, actor: str) -> SubmissionDoc:
    """Mark a pending revision released and merge the submission again."""
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT released FROM revisions WHERE rev_id = ? AND submission_id = ?", (rev_id, submission_id)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            raise not_found("revision")
        doc_before = await sync_store.view_documents(conn, [submission_id])
        pending = {p.rev_id for p in doc_before[submission_id].pending}
        if rev_id not in pending:
            raise ProblemError(409, "not_pending", "this revision is not pending: it is already in the merge")
        await conn.execute("UPDATE revisions SET released = 1 WHERE rev_id = ?", (rev_id,))
        await audit(conn, actor, "release", "submission", submission_id, {"rev_id": rev_id})
        owners = await sync_store.owners(conn, [submission_id])
        inputs = await sync_store.merge_inputs(conn, [submission_id])
        (row_out,) = await rebuild_views(db, conn, inputs, owners, tz, now_iso())
    return msgspec.json.decode(row_out.document, type=SubmissionDoc)


async def rebuild_all(db: Database, tz: ZoneInfo, batch: int = 500) -> int:
    """Recompute every submission's view, document and derived rows from what is recorded.

    The recorded facts are the revisions (with their arrival metadata and released marks), the
    review decisions, the stored blobs and the published checklist versions; everything in
    submission_views, view_evidence, visit_scores, visit_staff and standard_sums is derived from
    them. Closed periods' snapshots are never touched: they are records, not derived.

    One transaction: the derived tables are emptied and refilled (the views replaced row by row),
    so a reader never sees half of a rebuild, and a crash in the middle leaves what was there. A
    submission whose document comes out the same keeps its `updated_at`; every submission is fed
    to its auditor's tablets again (a tablet may hold a copy of a view that needed rebuilding).
    """
    ids = [
        r["submission_id"] for r in await db.fetch_all("SELECT submission_id FROM submissions ORDER BY submission_id")
    ]
    async with db.transaction() as conn:
        # submission_views is replaced row by row below, after each row's document is read.
        for table in ("visit_scores", "visit_staff", "view_evidence", "standard_sums", "dirty_groups"):
            await conn.execute(f"DELETE FROM {table}")
        await conn.execute(
            "DELETE FROM submission_views WHERE submission_id NOT IN (SELECT submission_id FROM submissions)"
        )
        # Every submission's change is numbered again below (tablets pull the rebuilt views).
        await conn.execute("DELETE FROM changes WHERE kind = 'submission'")
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            marks = ", ".join("?" * len(chunk))
            async with conn.execute(
                f"SELECT submission_id, updated_at, document FROM submission_views WHERE submission_id IN ({marks})",
                chunk,
            ) as cur:
                previous = {
                    r["submission_id"]: (r["updated_at"], r["document"].encode("utf-8")) for r in await cur.fetchall()
                }
            owners = await sync_store.owners(conn, chunk)
            inputs = await sync_store.merge_inputs(conn, chunk)
            await rebuild_views(db, conn, inputs, owners, tz, now_iso(), set(chunk), previous=previous)
    return len(ids)


class QuarantinedOut(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    rev_id: str
    submission_id: str | None
    author: str
    received_at: str
    code: str
    reason: str
    path: str | None
    raw: msgspec.Raw


async def quarantine_list(db: Database, after: int, limit: int) -> list[QuarantinedOut]:
    """Revisions in quarantine (not yet replayed), oldest first."""
    rows = await db.fetch_all(
        "SELECT id, rev_id, submission_id, author, received_at, code, reason, path, raw FROM quarantine"
        " WHERE released_at IS NULL AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    )
    return [
        QuarantinedOut(**{k: r[k] for k in QuarantinedOut.__struct_fields__ if k != "raw"}, raw=_raw(r["raw"]))
        for r in rows
    ]


def _raw(text: str) -> msgspec.Raw:
    try:
        msgspec.json.decode(text)
    except msgspec.DecodeError:
        return msgspec.Raw(msgspec.json.encode(text))
    return msgspec.Raw(text.encode("utf-8"))


class ReplayOutcome(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    rev_id: str
    status: str
    problem: str | None


async def replay(db: Database, ids: list[int] | None, tz: ZoneInfo) -> list[ReplayOutcome]:
    """Try quarantined revisions again with their first arrival's metadata; the usable ones join the merge."""
    if ids:
        marks = ", ".join("?" * len(ids))
        rows = await db.fetch_all(f"SELECT * FROM quarantine WHERE released_at IS NULL AND id IN ({marks})", ids)
    else:
        rows = await db.fetch_all("SELECT * FROM quarantine WHERE released_at IS NULL ORDER BY id")
    outcomes = []
    for row in rows:
        author = Author(
            name=row["author"],
            rank=row["rank"],
            device_id=row["device_id"],
            token_prefix="",
            offset_ms=row["clock_offset_ms"],
        )
        (receipt,) = await store_revisions(
            db, [row["raw"].encode("utf-8")], author, tz, replay_of=row["id"], received_at=row["received_at"]
        )
        problem = receipt.problem.message if receipt.problem else None
        outcomes.append(ReplayOutcome(id=row["id"], rev_id=row["rev_id"], status=receipt.status, problem=problem))
    return outcomes
