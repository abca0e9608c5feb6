"""Quarantine replay: quarantined revisions pushed again with their first arrival's metadata."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import msgspec

from server.db import Database
from server.store import sync as store
from server.sync.push import Author, store_revisions


class ReplayOutcome(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    rev_id: str
    status: str
    problem: str | None


async def replay(db: Database, ids: list[int] | None, tz: ZoneInfo) -> list[ReplayOutcome]:
    """Try quarantined revisions again with their first arrival's metadata; the usable ones join the merge."""
    outcomes = []
    for row in await db.read(store.held_for_replay, ids):
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
