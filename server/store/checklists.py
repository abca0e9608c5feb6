"""Published checklist versions: immutable bodies, publish idempotent on equal content."""

from __future__ import annotations

import sqlite3

import msgspec

from checklists.canonical import canonical_json
from checklists.model import Checklist
from checklists.validate import LoadedChecklist
from server.clock import now_iso
from server.errors import ProblemError, not_found
from server.store.feed import record_change

_COLUMNS = "checklist_id, version, unit_kind, sha256, body, published_at, retired_at"

_encoder = msgspec.json.Encoder()
# The spelled-out checklist of each published version, by (id, version, sha256): a version never
# changes, so it is encoded once per process rather than on every pull. The content hash is in the
# key because one process may open several databases (the tests do); the bound keeps that finite.
_spelled_out: dict[tuple[str, int, str], bytes] = {}
_SPELLED_OUT_KEPT = 256


def publish(c: sqlite3.Connection, loaded: LoadedChecklist) -> bool:
    """Store a version; False when the same content was already there; 409 on other content."""
    cl = loaded.checklist
    row = c.execute(
        "SELECT sha256 FROM checklist_versions WHERE checklist_id = ? AND version = ?", (cl.id, cl.version)
    ).fetchone()
    if row is not None:
        if row["sha256"] == loaded.sha256:
            return False
        raise ProblemError(
            409,
            "version_exists",
            f"{cl.id} version {cl.version} is already published with other content; publish a new version",
        )
    c.execute(
        "INSERT INTO checklist_versions (checklist_id, version, unit_kind, sha256, body, published_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (cl.id, cl.version, cl.unit_kind, loaded.sha256, canonical_json(loaded.raw).decode("utf-8"), now_iso()),
    )
    record_change(c, "checklist", cl.ref)
    return True


def get_row(c: sqlite3.Connection, checklist_id: str, version: int) -> sqlite3.Row | None:
    """One stored version."""
    return c.execute(
        f"SELECT {_COLUMNS} FROM checklist_versions WHERE checklist_id = ? AND version = ?", (checklist_id, version)
    ).fetchone()


def list_rows(c: sqlite3.Connection, after: tuple[str, int], limit: int, checklist_id: str | None) -> list[sqlite3.Row]:
    """A page of versions in (id, version) order."""
    return c.execute(
        f"SELECT {_COLUMNS} FROM checklist_versions WHERE (checklist_id, version) > (?, ?)"
        " AND (? IS NULL OR checklist_id = ?) ORDER BY checklist_id, version LIMIT ?",
        (after[0], after[1], checklist_id, checklist_id, limit),
    ).fetchall()


def retire(c: sqlite3.Connection, checklist_id: str, version: int) -> None:
    """Stop new assignments using this version (submissions on it are still accepted)."""
    cursor = c.execute(
        "UPDATE checklist_versions SET retired_at = coalesce(retired_at, ?) WHERE checklist_id = ? AND version = ?",
        (now_iso(), checklist_id, version),
    )
    if cursor.rowcount == 0:
        raise not_found("checklist version")
    record_change(c, "checklist", f"{checklist_id}@{version}")


def count(c: sqlite3.Connection) -> int:
    """How many versions are published."""
    row = c.execute("SELECT count(*) FROM checklist_versions").fetchone()
    return row[0] if row else 0


def checklist_of(row: sqlite3.Row) -> Checklist:
    """The stored body as the checklist type."""
    return msgspec.json.decode(row["body"], type=Checklist)


def spelled_out(row: sqlite3.Row) -> bytes:
    """The version's checklist as its GET spells it out: every field, defaults included, in model order.

    The stored body is the document as published (the hashed form), which leaves defaults out;
    a tablet reading the change feed must not have to know them.
    """
    key = (row["checklist_id"], row["version"], row["sha256"])
    document = _spelled_out.get(key)
    if document is None:
        if len(_spelled_out) >= _SPELLED_OUT_KEPT:
            _spelled_out.clear()
        document = _spelled_out[key] = _encoder.encode(checklist_of(row))
    return document
