"""A reviewer's acts on submissions: decisions and released revisions, each committed with the views it changes."""

from __future__ import annotations

import sqlite3
from zoneinfo import ZoneInfo

import msgspec

from server.db import Database
from server.store import reviews as reviews_store
from server.store import submissions as submissions_store
from server.store.reviews import Decision, DecisionResult
from server.store.views import StoredView, SubmissionDoc
from server.sync.refresh import refresh


async def decide(db: Database, reviewer: str, decisions: list[Decision], tz: ZoneInfo) -> list[DecisionResult]:
    """Record decisions and refresh the decided submissions' views, in one write."""

    def record(c: sqlite3.Connection) -> list[DecisionResult]:
        results, decided = reviews_store.record_decisions(c, reviewer, decisions)
        refresh(c, decided, db.checklist_indexes, tz)
        return results

    return await db.write(record)


async def release(db: Database, submission_id: str, rev_id: str, tz: ZoneInfo, actor: str) -> SubmissionDoc:
    """Mark a pending revision released and merge the submission again, in one write."""

    def released(c: sqlite3.Connection) -> StoredView:
        submissions_store.mark_released(c, submission_id, rev_id, actor)
        (row_out,) = refresh(c, [submission_id], db.checklist_indexes, tz)
        return row_out

    row_out = await db.write(released)
    return msgspec.json.decode(row_out.document, type=SubmissionDoc)
