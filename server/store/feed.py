"""The change feed that tablets pull: one row per object and audience, re-numbered on change."""

from __future__ import annotations

from collections.abc import Collection

import aiosqlite

EVERY_AUDITOR = ""


async def record_change(
    conn: aiosqlite.Connection, kind: str, object_id: str, op: str = "upsert", audience: str = EVERY_AUDITOR
) -> None:
    """Give the object's change the next sequence number, inside the caller's transaction."""
    await conn.execute(
        "DELETE FROM changes WHERE kind = ? AND object_id = ? AND audience = ?", (kind, object_id, audience)
    )
    await conn.execute(
        "INSERT INTO changes (kind, object_id, op, audience) VALUES (?, ?, ?, ?)", (kind, object_id, op, audience)
    )


async def record_changes(
    conn: aiosqlite.Connection,
    kind: str,
    object_ids: list[str],
    audience: str = EVERY_AUDITOR,
    fresh: Collection[str] = (),
) -> None:
    """`record_change` for many objects of one kind, in a couple of statements.

    `fresh`: objects created in this transaction, which have no change to replace yet.
    """
    replaced = [(kind, oid, audience) for oid in object_ids if oid not in fresh]
    if replaced:
        await conn.executemany("DELETE FROM changes WHERE kind = ? AND object_id = ? AND audience = ?", replaced)
    await conn.executemany(
        "INSERT INTO changes (kind, object_id, op, audience) VALUES (?, ?, 'upsert', ?)",
        [(kind, oid, audience) for oid in object_ids],
    )
