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


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which entries to list: each given condition must hold (times are `iso_utc` strings, `to` exclusive)."""

    actor: str | None = None
    action: str | None = None  # a prefix: `user.` finds every user action
    object_id: str | None = None  # the object's id, or `kind:id`
    since: str | None = None
    until: str | None = None


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the log."""

    id: int
    at: str
    actor: str
    action: str
    object_kind: str
    object_id: str
    detail: str  # JSON, as stored


def _like(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def audit_page(c: sqlite3.Connection, f: AuditFilter, before: int | None, limit: int) -> list[AuditEntry]:
    """A page of entries, newest first, with an id below `before` (None: from the newest)."""
    where, params = ["id < ?"], [before if before is not None else 2**63 - 1]
    if f.actor:
        where.append("actor = ?")
        params.append(f.actor)
    if f.action:
        where.append("lower(action) LIKE lower(?) ESCAPE '\\'")  # any case, on both stores
        params.append(_like(f.action))
    if f.object_id:
        kind, sep, object_id = f.object_id.partition(":")
        where.append("(object_id = ? OR (object_kind = ? AND object_id = ?))")
        params += [f.object_id, kind if sep else "", object_id if sep else ""]
    if f.since:
        where.append("at >= ?")
        params.append(f.since)
    if f.until:
        where.append("at < ?")
        params.append(f.until)
    rows = c.execute(
        "SELECT id, at, actor, action, object_kind, object_id, detail FROM audit_log"
        f" WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [AuditEntry(**dict(r)) for r in rows]
