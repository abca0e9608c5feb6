"""The change feed that tablets pull: one row per object and audience, re-numbered on change."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from server.db import insert_many

EVERY_AUDITOR = ""


def record_change(
    c: sqlite3.Connection, kind: str, object_id: str, op: str = "upsert", audience: str = EVERY_AUDITOR
) -> None:
    """Give the object's change the next sequence number, inside the caller's transaction."""
    c.execute("DELETE FROM changes WHERE kind = ? AND object_id = ? AND audience = ?", (kind, object_id, audience))
    c.execute(
        "INSERT INTO changes (kind, object_id, op, audience) VALUES (?, ?, ?, ?)", (kind, object_id, op, audience)
    )


def record_changes(
    c: sqlite3.Connection, kind: str, object_ids: list[str], audience: str = EVERY_AUDITOR, fresh: Collection[str] = ()
) -> None:
    """`record_change` for many objects of one kind, in a couple of statements.

    `fresh`: objects created in this transaction, which have no change to replace yet.
    """
    replaced = [(kind, oid, audience) for oid in object_ids if oid not in fresh]
    if replaced:
        c.executemany("DELETE FROM changes WHERE kind = ? AND object_id = ? AND audience = ?", replaced)
    insert_many(
        c,
        "INSERT INTO changes (kind, object_id, op, audience) VALUES (?, ?, 'upsert', ?)",
        [(kind, oid, audience) for oid in object_ids],
    )
