"""Closing a period: the reads and the writes of a close, in their order (the SQL is in `server.store.periods`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from server.db import Database
from server.periods import check_closable
from server.store import periods as periods_store
from server.store.periods import Snapshot


async def close_period(db: Database, period: str, actor: str, force: bool, tz: ZoneInfo, now: dt.datetime) -> Snapshot:
    """Close a month that has ended in the organisation's zone (`check_closable`): the API's and the console's close."""
    check_closable(period, tz, now)
    return await close(db, period, actor, force)


async def close(db: Database, period: str, actor: str, force: bool) -> Snapshot:
    """Freeze the period's motivation rows with the latest policy; carry earlier periods' adjustments."""
    awaiting = await db.write(periods_store.awaiting_close, period, force)
    # The figures are read on a reader connection, so the writer is not held while they are
    # computed. What they carry depends on the snapshots already stored: a close of another month
    # that commits meanwhile may carry the same adjustments, so the write checks that no snapshot
    # was added since the read began, and reads again if one was (snapshots are only ever added).
    # The UNIQUE period refuses a second close of the same month that raced this one.
    while True:
        closes_seen, snapshot = await db.read(periods_store.snapshot_to_close, period, actor, force and awaiting)
        if await db.write(periods_store.store_snapshot, snapshot, closes_seen):
            return snapshot
