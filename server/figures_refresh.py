"""Bringing a month's standard sums up to date before they are read (the writes of a figures read)."""

from __future__ import annotations

from reports.aggregate import StandardSums
from server.db import Database
from server.store import scores as scores_store


async def refresh_standard_sums(db: Database, period: str) -> int:
    """Recompute the sums of the month's groups that changed since they were last read.

    On the writer's thread, `REFRESH_GROUPS` groups per write (`db.write`). Groups that pushes mark
    while it runs are left to the next read beyond one more round: the figures are then those of
    a moment during the read, as when the read came a little earlier.
    """
    dirty = await db.read(scores_store.dirty_count, period)
    groups = scores_store.REFRESH_GROUPS
    rounds = -(-dirty // groups) + 1 if dirty else 0
    done = 0
    for _ in range(rounds):
        some = await db.write(scores_store.refresh_some, period, groups)
        done += some
        if some < groups:
            break
    return done


async def standard_sums(
    db: Database, period: str, counted: int, unit_id: str | None = None, code: str | None = None
) -> list[StandardSums]:
    """`scores_store.standard_sums` once the month's sums are up to date (what every figures read wants)."""
    await refresh_standard_sums(db, period)
    return await db.read(scores_store.standard_sums, period, counted, unit_id, code)
