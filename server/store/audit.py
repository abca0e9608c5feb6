"""The append-only audit log: every review decision, correction, release, replay and period close."""

from __future__ import annotations

import sqlite3

import msgspec

from server.clock import now_iso


def audit(c: sqlite3.Connection, actor: str, action: str, kind: str, object_id: str, detail: dict) -> None:
    """Append one entry (inside the caller's transaction, so it commits with what it records)."""
    c.execute(
        "INSERT INTO audit_log (at, actor, action, object_kind, object_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (now_iso(), actor, action, kind, object_id, msgspec.json.encode(detail).decode("utf-8")),
    )
