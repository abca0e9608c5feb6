"""Reading the change feed for one auditor, with each object as its own GET returns it."""

from __future__ import annotations

import sqlite3

import msgspec

from server.db import is_postgres, snapshot
from server.errors import ProblemError
from server.store import checklists as checklist_store
from server.store import directory as directory_store
from server.store.feed import EVERY_AUDITOR
from server.store.sync import database_id
from server.wire import ascii_integer

_encoder = msgspec.json.Encoder()


class _ChecklistVersionDoc(msgspec.Struct, kw_only=True):
    """`ChecklistVersion` of server/routes/checklists.py, field for field, its checklist already encoded."""

    id: str
    version: int
    unit_kind: str
    sha256: str
    published_at: str
    retired: bool
    checklist: msgspec.Raw


def encode_cursor(c: sqlite3.Connection, seq: int) -> str:
    """The cursor a tablet keeps: this database's id and the last sequence number it has."""
    return f"{database_id(c)}.{seq}"


def decode_cursor(c: sqlite3.Connection, cursor: str | None) -> int:
    """The sequence number after which to pull; 410 `cursor_expired` for one this database cannot serve."""
    if not cursor:
        return 0
    db_id, _, seq = cursor.partition(".")
    if is_postgres(c):
        row = c.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence('changes', 'seq')) AS seq").fetchone()
    else:
        row = c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
    newest = row["seq"] if row and row["seq"] is not None else 0
    after = ascii_integer(seq)  # not `int()`: it takes "٣" and " 7", and "²" passes `isdigit()` then fails
    if db_id != database_id(c) or after is None or after > newest:
        raise ProblemError(
            410,
            "cursor_expired",
            "this cursor is not from this server's database (or is ahead of it): pull again from the start, "
            "and keep the revisions not yet sent",
        )
    return after


def changes_after(c: sqlite3.Connection, auditor: str, after: int, limit: int) -> tuple[list[sqlite3.Row], bool]:
    """A page of changes visible to the auditor, and whether more follow."""
    rows = c.execute(
        "SELECT seq, kind, object_id, op FROM changes WHERE seq > ? AND audience IN (?, ?) ORDER BY seq LIMIT ?",
        (after, EVERY_AUDITOR, auditor, limit + 1),
    ).fetchall()
    return rows[:limit], len(rows) > limit


def with_data(c: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[tuple[int, str, str, str, msgspec.Raw | None]]:
    """Each change with its object's current document (None for a delete)."""
    wanted: dict[str, list[str]] = {}
    for r in rows:
        if r["op"] == "upsert":
            wanted.setdefault(r["kind"], []).append(r["object_id"])
    docs: dict[tuple[str, str], bytes] = {}
    for kind, ids in wanted.items():
        for object_id, doc in _documents(c, kind, ids).items():
            docs[(kind, object_id)] = doc
    out = []
    for r in rows:
        doc = docs.get((r["kind"], r["object_id"])) if r["op"] == "upsert" else None
        out.append((r["seq"], r["kind"], r["object_id"], r["op"], msgspec.Raw(doc) if doc is not None else None))
    return out


def _documents(c: sqlite3.Connection, kind: str, ids: list[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        if kind == "submission":
            rows = c.execute(
                f"SELECT submission_id, document FROM submission_views WHERE submission_id IN ({marks})", chunk
            ).fetchall()
            out |= {r["submission_id"]: r["document"].encode("utf-8") for r in rows}
        elif kind == "unit":
            rows = c.execute(
                f"SELECT {directory_store.UNIT_COLUMNS} FROM units WHERE unit_id IN ({marks})", chunk
            ).fetchall()
            out |= {r["unit_id"]: _encoder.encode(directory_store.unit_of(r)) for r in rows}
        elif kind == "staff":
            rows = c.execute(
                f"SELECT {directory_store.STAFF_COLUMNS} FROM staff WHERE staff_id IN ({marks})", chunk
            ).fetchall()
            out |= {r["staff_id"]: _encoder.encode(directory_store.staff_of(r)) for r in rows}
        elif kind == "assignment":
            rows = c.execute(
                f"SELECT {directory_store.ASSIGNMENT_COLUMNS} FROM assignments WHERE assignment_id IN ({marks})", chunk
            ).fetchall()
            out |= {r["assignment_id"]: _encoder.encode(directory_store.assignment_of(r)) for r in rows}
        elif kind == "checklist":
            for ref in chunk:
                checklist_id, _, version = ref.rpartition("@")
                r = c.execute(
                    "SELECT * FROM checklist_versions WHERE checklist_id = ? AND version = ?",
                    (checklist_id, int(version)),
                ).fetchone()
                if r is not None:
                    out[ref] = _encoder.encode(
                        _ChecklistVersionDoc(
                            id=r["checklist_id"],
                            version=r["version"],
                            unit_kind=r["unit_kind"],
                            sha256=r["sha256"],
                            published_at=r["published_at"],
                            retired=r["retired_at"] is not None,
                            checklist=msgspec.Raw(checklist_store.spelled_out(r)),
                        )
                    )
    return out


def page(
    c: sqlite3.Connection, auditor: str, cursor: str | None, limit: int
) -> tuple[list[tuple[int, str, str, str, msgspec.Raw | None]], str, bool]:
    """One page of the auditor's feed after `cursor`, read in one snapshot: (changes with data, next cursor, more)."""
    with snapshot(c):
        after = decode_cursor(c, cursor)
        rows, has_more = changes_after(c, auditor, after, limit)
        changes = with_data(c, rows)
        return changes, encode_cursor(c, rows[-1]["seq"] if rows else after), has_more
