"""Revisions and quarantine: what a push looks up and inserts, and the revisions a merge reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import aiosqlite
import msgspec

from checklists.model import Checklist
from checklists.score import ChecklistIndex
from server.db import Database, insert_many, run_on

CHUNK = 500


async def _fetch(conn: aiosqlite.Connection, sql: str, params: Sequence) -> list[sqlite3.Row]:
    # One trip to the connection's thread (a cursor's execute, fetchall and close are three, and
    # under load each waits for the event loop).
    return list(await conn.execute_fetchall(sql, params))


async def fetch_in(
    conn: aiosqlite.Connection, sql: str, keys: Iterable[str], extra: Sequence = ()
) -> list[sqlite3.Row]:
    """Run `sql` (with one `{marks}` IN list) over the keys in chunks under SQLite's parameter limit."""
    keys = list(keys)
    return await run_on(conn, rows_in, sql, keys, extra) if keys else []


def rows_in(c: sqlite3.Connection, sql: str, keys: Iterable[str], extra: Sequence = ()) -> list[sqlite3.Row]:
    """`fetch_in` on the connection's own thread."""
    keys = sorted(set(keys))
    rows: list[sqlite3.Row] = []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows += c.execute(sql.format(marks=", ".join("?" * len(chunk))), [*extra, *chunk]).fetchall()
    return rows


_CHECKLIST_BODY = "SELECT body FROM checklist_versions WHERE checklist_id = ? AND version = ?"


async def checklist_index(
    db: Database, checklist_id: str, version: int, conn: aiosqlite.Connection | None = None
) -> ChecklistIndex | None:
    """The indexed checklist version, or None (cached for good: a published version never changes).

    `conn` is the writer inside a transaction; without it the reader is used.
    """
    cached = db.checklist_indexes.get((checklist_id, version))
    if cached is not None:
        return cached
    return await run_on(conn or db.reader, checklist_index_on, db.checklist_indexes, checklist_id, version)


def checklist_index_on(
    c: sqlite3.Connection, cache: dict[tuple[str, int], ChecklistIndex], checklist_id: str, version: int
) -> ChecklistIndex | None:
    """`checklist_index` on a plain connection (a push worker's, or on the connection's thread), with a cache."""
    key = (checklist_id, version)
    cached = cache.get(key)
    if cached is None:
        rows = c.execute(_CHECKLIST_BODY, key).fetchall()
        if not rows:
            return None
        cached = cache[key] = ChecklistIndex(msgspec.json.decode(rows[0]["body"], type=Checklist))
    return cached


class UnitRow(msgspec.Struct, kw_only=True, frozen=True):
    """What the checks of a revision read of its unit."""

    kind: str
    active: bool


class Lookups(msgspec.Struct, kw_only=True):
    """What a push looks up before it stores anything (one trip to the writer's thread)."""

    known: dict[str, tuple[str, str]]  # rev_id -> (sha256, submission_id), stored revisions
    held: dict[str, sqlite3.Row]  # rev_id -> quarantine row
    owners: dict[str, str]  # submission_id -> auditor, of the named and the known revisions' submissions
    units: dict[str, UnitRow]
    staff: dict[str, bool]  # staff_id -> active
    blobs: set[str]  # of the hashes asked about, those stored


async def lookups(
    conn: aiosqlite.Connection,
    rev_ids: Iterable[str],
    submission_ids: Iterable[str],
    unit_ids: Iterable[str],
    staff_ids: Iterable[str],
    hashes: Iterable[str] = (),
) -> Lookups:
    """`lookups_on` on the connection's own thread (the writer's, inside a push's transaction)."""
    return await run_on(conn, lookups_on, rev_ids, submission_ids, unit_ids, staff_ids, hashes)


def lookups_on(
    c: sqlite3.Connection,
    rev_ids: Iterable[str],
    submission_ids: Iterable[str],
    unit_ids: Iterable[str],
    staff_ids: Iterable[str],
    hashes: Iterable[str] = (),
) -> Lookups:
    """What a push looks up, on a plain connection (a push worker's, or the event loop's read-only one)."""
    rev_ids, hashes = list(rev_ids), list(hashes)
    known = _known(c, rev_ids)
    return Lookups(
        known=known,
        held=_held(c, rev_ids),
        owners=_owners(c, [*submission_ids, *(sub for _, sub in known.values())]),
        units=_units(c, unit_ids),
        staff=_staff(c, staff_ids),
        blobs=_blobs(c, hashes) if hashes else set(),
    )


def _known(c: sqlite3.Connection, rev_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    rows = rows_in(c, "SELECT rev_id, sha256, submission_id FROM revisions WHERE rev_id IN ({marks})", rev_ids)
    return {r["rev_id"]: (r["sha256"], r["submission_id"]) for r in rows}


def _held(c: sqlite3.Connection, rev_ids: Iterable[str]) -> dict[str, sqlite3.Row]:
    sql = "SELECT id, rev_id, sha256, code, reason, path, author FROM quarantine WHERE rev_id IN ({marks})"
    return {r["rev_id"]: r for r in rows_in(c, sql, rev_ids)}


def _owners(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, str]:
    sql = "SELECT submission_id, auditor FROM submissions WHERE submission_id IN ({marks})"
    return {r["submission_id"]: r["auditor"] for r in rows_in(c, sql, submission_ids)}


def _units(c: sqlite3.Connection, unit_ids: Iterable[str]) -> dict[str, UnitRow]:
    rows = rows_in(c, "SELECT unit_id, kind, active FROM units WHERE unit_id IN ({marks})", unit_ids)
    return {r["unit_id"]: UnitRow(kind=r["kind"], active=bool(r["active"])) for r in rows}


def _staff(c: sqlite3.Connection, staff_ids: Iterable[str]) -> dict[str, bool]:
    rows = rows_in(c, "SELECT staff_id, active FROM staff WHERE staff_id IN ({marks})", staff_ids)
    return {r["staff_id"]: bool(r["active"]) for r in rows}


def _blobs(c: sqlite3.Connection, hashes: Iterable[str]) -> set[str]:
    return {r["sha256"] for r in rows_in(c, "SELECT sha256 FROM blobs WHERE sha256 IN ({marks})", hashes)}


async def owners(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, str]:
    """submission_id -> auditor, for those that exist."""
    return await run_on(conn, _owners, list(submission_ids))


async def units(conn: aiosqlite.Connection, unit_ids: Iterable[str]) -> dict[str, UnitRow]:
    return await run_on(conn, _units, list(unit_ids))


async def stored_blobs(conn: aiosqlite.Connection, hashes: Iterable[str]) -> set[str]:
    hashes = list(hashes)
    return await run_on(conn, _blobs, hashes) if hashes else set()


async def token_live(conn: aiosqlite.Connection, prefix: str) -> bool:
    """True while the token and its device are not revoked (checked again just before a commit)."""
    rows = await _fetch(
        conn,
        "SELECT t.revoked_at, d.revoked_at AS device_revoked FROM tokens t"
        " LEFT JOIN devices d ON d.device_id = t.device_id WHERE t.prefix = ?",
        (prefix,),
    )
    return bool(rows) and rows[0]["revoked_at"] is None and rows[0]["device_revoked"] is None


REVISION_COLUMNS = (
    "rev_id, submission_id, sha256, content, parents, checklist_id, checklist_version, hlc, rank, author,"
    " device_id, received_at, clock_offset_ms, arrival"
)
QUARANTINE_COLUMNS = (
    "rev_id, submission_id, sha256, raw, rank, author, device_id, received_at, clock_offset_ms, code, reason, path"
)


async def insert_rows(
    conn: aiosqlite.Connection,
    submissions: list[tuple[str, str, str]],
    revisions: list[tuple],
    evidence: list[tuple[str, str]],
    quarantine: list[tuple],
) -> None:
    """A push's new rows, in one trip: submissions (submission_id, auditor, created_at), revisions
    (REVISION_COLUMNS), the blobs they reference (sha256, submission_id) and quarantined ones
    (QUARANTINE_COLUMNS)."""
    if submissions or revisions or evidence or quarantine:
        await run_on(conn, _insert_rows, submissions, revisions, evidence, quarantine)


def _insert_rows(c: sqlite3.Connection, submissions: list, revisions: list, evidence: list, quarantine: list) -> None:
    if submissions:
        insert_many(c, "INSERT INTO submissions (submission_id, auditor, created_at) VALUES (?, ?, ?)", submissions)
    if revisions:
        insert_many(
            c,
            f"INSERT INTO revisions ({REVISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            revisions,
        )
    if evidence:
        insert_many(
            c, "INSERT INTO revision_evidence (sha256, submission_id) VALUES (?, ?) ON CONFLICT DO NOTHING", evidence
        )
    if quarantine:
        insert_many(
            c, f"INSERT INTO quarantine ({QUARANTINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", quarantine
        )


async def next_arrival(db: Database, conn: aiosqlite.Connection) -> int:
    """The next arrival number: kept in memory by the one writer after the first read."""
    if db.next_arrival is None:
        rows = await _fetch(conn, "SELECT coalesce(max(arrival), 0) + 1 FROM revisions", ())
        db.next_arrival = rows[0][0]
    return db.next_arrival


async def revisions_to_merge(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, list[sqlite3.Row]]:
    """Every stored revision of the submissions, as the merge reads it (with its recorded clock offset)."""
    rows = await fetch_in(
        conn,
        "SELECT submission_id, rev_id, parents, rank, hlc, checklist_version, content, released, clock_offset_ms"
        " FROM revisions WHERE submission_id IN ({marks})",
        submission_ids,
    )
    out: dict[str, list[sqlite3.Row]] = {}
    for r in rows:
        out.setdefault(r["submission_id"], []).append(r)
    return out


async def parents_of(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, list[str]]:
    """rev_id -> parents of every stored revision of the submissions."""
    rows = await fetch_in(
        conn, "SELECT rev_id, parents FROM revisions WHERE submission_id IN ({marks})", submission_ids
    )
    return {r["rev_id"]: msgspec.json.decode(r["parents"]) for r in rows}


async def database_id(db: Database) -> str:
    row = await db.fetch_one("SELECT value FROM meta WHERE key = 'database_id'")
    return row["value"]


async def quarantine_again(conn: aiosqlite.Connection, entry_id: int, code: str, reason: str, path: str | None) -> None:
    """A replayed quarantine entry is still unusable: record why, now."""
    await conn.execute(
        "UPDATE quarantine SET code = ?, reason = ?, path = ? WHERE id = ?", (code, reason, path, entry_id)
    )


async def mark_replayed(conn: aiosqlite.Connection, entry_id: int, at: str) -> None:
    """A replayed quarantine entry was stored: it leaves the quarantine list."""
    await conn.execute("UPDATE quarantine SET released_at = ? WHERE id = ?", (at, entry_id))


async def held_for_replay(db: Database, ids: list[int] | None) -> list[sqlite3.Row]:
    """The quarantine entries not yet replayed (those of `ids`, or all of them oldest first)."""
    if ids:
        marks = ", ".join("?" * len(ids))
        return await db.fetch_all(f"SELECT * FROM quarantine WHERE released_at IS NULL AND id IN ({marks})", ids)
    return await db.fetch_all("SELECT * FROM quarantine WHERE released_at IS NULL ORDER BY id")
