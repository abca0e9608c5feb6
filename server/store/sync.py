"""Revisions and quarantine: what a push looks up and inserts, and the revisions a merge reads."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import msgspec

from checklists.model import Checklist
from checklists.score import ChecklistIndex
from server.db import insert_many

CHUNK = 500


def rows_in(c: sqlite3.Connection, sql: str, keys: Iterable[str], extra: Sequence = ()) -> list[sqlite3.Row]:
    """Run `sql` (with one `{marks}` IN list) over the keys in chunks under SQLite's parameter limit."""
    keys = sorted(set(keys))
    rows: list[sqlite3.Row] = []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows += c.execute(sql.format(marks=", ".join("?" * len(chunk))), [*extra, *chunk]).fetchall()
    return rows


_CHECKLIST_BODY = "SELECT body FROM checklist_versions WHERE checklist_id = ? AND version = ?"


def checklist_index(
    c: sqlite3.Connection, cache: dict[tuple[str, int], ChecklistIndex], checklist_id: str, version: int
) -> ChecklistIndex | None:
    """The indexed checklist version, or None; kept in `cache` for good (a published version never changes)."""
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
    # Where the unit is and how far from it a fix may be (metres); None when not set.
    lat: float | None = None
    lon: float | None = None
    geofence_m: int | None = None


class Lookups(msgspec.Struct, kw_only=True):
    """What a push looks up before it stores anything."""

    known: dict[str, tuple[str, str]]  # rev_id -> (sha256, submission_id), stored revisions
    held: dict[str, sqlite3.Row]  # rev_id -> quarantine row
    owners: dict[str, str]  # submission_id -> auditor, of the named and the known revisions' submissions
    units: dict[str, UnitRow]
    staff: dict[str, bool]  # staff_id -> active
    blobs: set[str]  # of the hashes asked about, those stored


def lookups(
    c: sqlite3.Connection,
    rev_ids: Iterable[str],
    submission_ids: Iterable[str],
    unit_ids: Iterable[str],
    staff_ids: Iterable[str],
    hashes: Iterable[str] = (),
) -> Lookups:
    """What a push looks up before it stores anything (in its write, in a push worker, or inline on the loop)."""
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
    rows = rows_in(
        c, "SELECT unit_id, kind, active, lat, lon, geofence_m FROM units WHERE unit_id IN ({marks})", unit_ids
    )
    return {
        r["unit_id"]: UnitRow(
            kind=r["kind"], active=bool(r["active"]), lat=r["lat"], lon=r["lon"], geofence_m=r["geofence_m"]
        )
        for r in rows
    }


def _staff(c: sqlite3.Connection, staff_ids: Iterable[str]) -> dict[str, bool]:
    rows = rows_in(c, "SELECT staff_id, active FROM staff WHERE staff_id IN ({marks})", staff_ids)
    return {r["staff_id"]: bool(r["active"]) for r in rows}


def _blobs(c: sqlite3.Connection, hashes: Iterable[str]) -> set[str]:
    return {r["sha256"] for r in rows_in(c, "SELECT sha256 FROM blobs WHERE sha256 IN ({marks})", hashes)}


def owners(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, str]:
    """submission_id -> auditor, for those that exist."""
    return _owners(c, submission_ids)


def stored_blobs(c: sqlite3.Connection, hashes: Iterable[str]) -> set[str]:
    """Of the hashes, those of stored blobs."""
    return _blobs(c, hashes)


def token_live(c: sqlite3.Connection, prefix: str) -> bool:
    """True while the token and its device are not revoked (checked again just before a commit)."""
    rows = c.execute(
        "SELECT t.revoked_at, d.revoked_at AS device_revoked FROM tokens t"
        " LEFT JOIN devices d ON d.device_id = t.device_id WHERE t.prefix = ?",
        (prefix,),
    ).fetchall()
    return bool(rows) and rows[0]["revoked_at"] is None and rows[0]["device_revoked"] is None


REVISION_COLUMNS = (
    "rev_id, submission_id, sha256, content, parents, checklist_id, checklist_version, hlc, rank, author,"
    " device_id, received_at, clock_offset_ms, arrival"
)
QUARANTINE_COLUMNS = (
    "rev_id, submission_id, sha256, raw, rank, author, device_id, received_at, clock_offset_ms, code, reason, path"
)


def insert_rows(
    c: sqlite3.Connection,
    submissions: list[tuple[str, str, str]],
    revisions: list[tuple],
    evidence: list[tuple[str, str]],
    quarantine: list[tuple],
) -> None:
    """A push's new rows: submissions (submission_id, auditor, created_at), revisions
    (REVISION_COLUMNS), the blobs they reference (sha256, submission_id) and quarantined ones
    (QUARANTINE_COLUMNS)."""
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


def next_arrival(c: sqlite3.Connection) -> int:
    """The next revision arrival number, as stored (the writer keeps it in memory after the first read)."""
    return c.execute("SELECT coalesce(max(arrival), 0) + 1 FROM revisions").fetchone()[0]


def revisions_to_merge(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, list[sqlite3.Row]]:
    """Every stored revision of the submissions, as the merge reads it (with its recorded clock offset)."""
    rows = rows_in(
        c,
        "SELECT submission_id, rev_id, parents, rank, hlc, checklist_version, content, released, clock_offset_ms"
        " FROM revisions WHERE submission_id IN ({marks})",
        submission_ids,
    )
    out: dict[str, list[sqlite3.Row]] = {}
    for r in rows:
        out.setdefault(r["submission_id"], []).append(r)
    return out


def parents_of(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, list[str]]:
    """rev_id -> parents of every stored revision of the submissions."""
    rows = rows_in(c, "SELECT rev_id, parents FROM revisions WHERE submission_id IN ({marks})", submission_ids)
    return {r["rev_id"]: msgspec.json.decode(r["parents"]) for r in rows}


def database_id(c: sqlite3.Connection) -> str:
    """This database's id (API.md: a pull cursor names it)."""
    return c.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()["value"]


def quarantine_again(c: sqlite3.Connection, entry_id: int, code: str, reason: str, path: str | None) -> None:
    """A replayed quarantine entry is still unusable: record why, now."""
    c.execute("UPDATE quarantine SET code = ?, reason = ?, path = ? WHERE id = ?", (code, reason, path, entry_id))


def mark_replayed(c: sqlite3.Connection, entry_id: int, at: str) -> None:
    """A replayed quarantine entry was stored: it leaves the quarantine list."""
    c.execute("UPDATE quarantine SET released_at = ? WHERE id = ?", (at, entry_id))


def held_for_replay(c: sqlite3.Connection, ids: list[int] | None) -> list[sqlite3.Row]:
    """The quarantine entries not yet replayed (those of `ids`, or all of them oldest first)."""
    if ids:
        marks = ", ".join("?" * len(ids))
        return c.execute(f"SELECT * FROM quarantine WHERE released_at IS NULL AND id IN ({marks})", ids).fetchall()
    return c.execute("SELECT * FROM quarantine WHERE released_at IS NULL ORDER BY id").fetchall()
