"""Reading submissions, their history and the quarantine list; marking a revision released."""

from __future__ import annotations

import sqlite3

import msgspec

from server.errors import ProblemError, not_found
from server.store.audit import audit
from server.store.views import SubmissionDoc, view_documents


def document(c: sqlite3.Connection, submission_id: str) -> SubmissionDoc | None:
    """The stored document of a submission, or None."""
    row = c.execute("SELECT document FROM submission_views WHERE submission_id = ?", (submission_id,)).fetchone()
    return msgspec.json.decode(row["document"], type=SubmissionDoc) if row else None


def revisions_of(c: sqlite3.Connection, submission_id: str) -> tuple[list[sqlite3.Row], list[str]]:
    """The submission's stored revisions in arrival order, and the ids of its quarantined ones."""
    rows = c.execute(
        "SELECT rev_id, parents, sha256, rank, author, device_id, received_at, clock_offset_ms, released, content"
        " FROM revisions WHERE submission_id = ? ORDER BY arrival",
        (submission_id,),
    ).fetchall()
    held = c.execute(
        "SELECT rev_id FROM quarantine WHERE submission_id = ? AND released_at IS NULL ORDER BY id", (submission_id,)
    ).fetchall()
    return rows, [r["rev_id"] for r in held]


def mark_released(c: sqlite3.Connection, submission_id: str, rev_id: str, actor: str) -> None:
    """Mark a pending revision released (the caller merges the submission again in the same transaction)."""
    row = c.execute(
        "SELECT released FROM revisions WHERE rev_id = ? AND submission_id = ?", (rev_id, submission_id)
    ).fetchone()
    if row is None:
        raise not_found("revision")
    doc_before = view_documents(c, [submission_id])
    pending = {p.rev_id for p in doc_before[submission_id].pending}
    if rev_id not in pending:
        raise ProblemError(409, "not_pending", "this revision is not pending: it is already in the merge")
    c.execute("UPDATE revisions SET released = 1 WHERE rev_id = ?", (rev_id,))
    audit(c, actor, "release", "submission", submission_id, {"rev_id": rev_id})


def submission_ids(c: sqlite3.Connection) -> list[str]:
    """Every submission's id, in order."""
    rows = c.execute("SELECT submission_id FROM submissions ORDER BY submission_id").fetchall()
    return [r["submission_id"] for r in rows]


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


def quarantine_list(c: sqlite3.Connection, after: int, limit: int) -> list[QuarantinedOut]:
    """Revisions in quarantine (not yet replayed), oldest first."""
    rows = c.execute(
        "SELECT id, rev_id, submission_id, author, received_at, code, reason, path, raw FROM quarantine"
        " WHERE released_at IS NULL AND id > ? ORDER BY id LIMIT ?",
        (after, limit),
    ).fetchall()
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
