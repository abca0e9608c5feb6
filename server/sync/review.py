"""A reviewer's acts on submissions: decisions and released revisions, each committed with the views it changes."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import msgspec

from server.db import Database
from server.store import reviews as reviews_store
from server.store import submissions as submissions_store
from server.store.reviews import Decision, DecisionResult
from server.store.views import SubmissionDoc
from server.sync.refresh import refresh


async def decide(db: Database, reviewer: str, decisions: list[Decision], tz: ZoneInfo) -> list[DecisionResult]:
    """Record decisions and refresh the decided submissions' views, in one write transaction."""
    async with db.transaction() as conn:
        results, decided = await reviews_store.record_decisions(conn, reviewer, decisions)
        await refresh(db, conn, decided, tz)
    return results


async def release(db: Database, submission_id: str, rev_id: str, tz: ZoneInfo, actor: str) -> SubmissionDoc:
    """Mark a pending revision released and merge the submission again, in one write transaction."""
    async with db.transaction() as conn:
        await submissions_store.mark_released(conn, submission_id, rev_id, actor)
        (row_out,) = await refresh(db, conn, [submission_id], tz)
    return msgspec.json.decode(row_out.document, type=SubmissionDoc)
