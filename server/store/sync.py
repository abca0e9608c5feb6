"""Revisions, quarantine, submission views and the change feed of submissions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import aiosqlite
import msgspec

from checklists.model import Checklist
from checklists.score import ChecklistIndex
from server.db import Database
from server.store.feed import record_changes
from server.sync.merge import MergeInput
from server.sync.quarantine import UnitRow
from server.sync.view import ReviewOut, SubmissionDoc, ViewRow

CHUNK = 500


async def _fetch(conn: aiosqlite.Connection, sql: str, params: Sequence) -> list[sqlite3.Row]:
    # One trip to the connection's thread (a cursor's execute, fetchall and close are three, and
    # under load each waits for the event loop).
    return list(await conn.execute_fetchall(sql, params))


async def _fetch_in(
    conn: aiosqlite.Connection, sql: str, keys: Iterable[str], extra: Sequence = ()
) -> list[sqlite3.Row]:
    """Run `sql` (with one `{marks}` IN list) over the keys in chunks under SQLite's parameter limit."""
    keys = sorted(set(keys))
    rows: list[sqlite3.Row] = []
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows += await _fetch(conn, sql.format(marks=", ".join("?" * len(chunk))), [*extra, *chunk])
    return rows


async def checklist_index(
    db: Database, checklist_id: str, version: int, conn: aiosqlite.Connection | None = None
) -> ChecklistIndex | None:
    """The indexed checklist version, or None (cached for good: a published version never changes).

    `conn` is the writer inside a transaction; without it the reader is used.
    """
    key = (checklist_id, version)
    cached = db.checklist_indexes.get(key)
    if cached is None:
        sql = "SELECT body FROM checklist_versions WHERE checklist_id = ? AND version = ?"
        rows = (
            await _fetch(conn, sql, (checklist_id, version))
            if conn
            else await db.fetch_all(sql, (checklist_id, version))
        )
        if not rows:
            return None
        cached = ChecklistIndex(msgspec.json.decode(rows[0]["body"], type=Checklist))
        db.checklist_indexes[key] = cached
    return cached


async def known_revisions(conn: aiosqlite.Connection, rev_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """rev_id -> (sha256, submission_id) of the given revisions that are stored."""
    rows = await _fetch_in(
        conn, "SELECT rev_id, sha256, submission_id FROM revisions WHERE rev_id IN ({marks})", rev_ids
    )
    return {r["rev_id"]: (r["sha256"], r["submission_id"]) for r in rows}


async def quarantined(conn: aiosqlite.Connection, rev_ids: Iterable[str]) -> dict[str, sqlite3.Row]:
    """rev_id -> quarantine row, for those of the given revisions that are in quarantine."""
    rows = await _fetch_in(
        conn, "SELECT id, rev_id, sha256, code, reason, path, author FROM quarantine WHERE rev_id IN ({marks})", rev_ids
    )
    return {r["rev_id"]: r for r in rows}


async def owners(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, str]:
    """submission_id -> auditor, for those that exist."""
    rows = await _fetch_in(
        conn, "SELECT submission_id, auditor FROM submissions WHERE submission_id IN ({marks})", submission_ids
    )
    return {r["submission_id"]: r["auditor"] for r in rows}


async def units(conn: aiosqlite.Connection, unit_ids: Iterable[str]) -> dict[str, UnitRow]:
    rows = await _fetch_in(conn, "SELECT unit_id, kind, active FROM units WHERE unit_id IN ({marks})", unit_ids)
    return {r["unit_id"]: UnitRow(kind=r["kind"], active=bool(r["active"])) for r in rows}


async def staff_activity(conn: aiosqlite.Connection, staff_ids: Iterable[str]) -> dict[str, bool]:
    rows = await _fetch_in(conn, "SELECT staff_id, active FROM staff WHERE staff_id IN ({marks})", staff_ids)
    return {r["staff_id"]: bool(r["active"]) for r in rows}


async def stored_blobs(conn: aiosqlite.Connection, hashes: Iterable[str]) -> set[str]:
    rows = await _fetch_in(conn, "SELECT sha256 FROM blobs WHERE sha256 IN ({marks})", hashes)
    return {r["sha256"] for r in rows}


async def token_live(conn: aiosqlite.Connection, prefix: str) -> bool:
    """True while the token and its device are not revoked (checked again just before a commit)."""
    rows = await _fetch(
        conn,
        "SELECT t.revoked_at, d.revoked_at AS device_revoked FROM tokens t"
        " LEFT JOIN devices d ON d.device_id = t.device_id WHERE t.prefix = ?",
        (prefix,),
    )
    return bool(rows) and rows[0]["revoked_at"] is None and rows[0]["device_revoked"] is None


async def insert_submissions(conn: aiosqlite.Connection, rows: list[tuple[str, str, str]]) -> None:
    """New submissions: (submission_id, auditor, created_at)."""
    if rows:
        await conn.executemany("INSERT INTO submissions (submission_id, auditor, created_at) VALUES (?, ?, ?)", rows)


REVISION_COLUMNS = (
    "rev_id, submission_id, sha256, content, parents, checklist_id, checklist_version, hlc, rank, author,"
    " device_id, received_at, clock_offset_ms, arrival"
)


async def insert_revisions(conn: aiosqlite.Connection, rows: list[tuple], evidence: list[tuple[str, str]]) -> None:
    """Accepted revisions (in REVISION_COLUMNS order) and the blobs they reference."""
    if rows:
        await conn.executemany(
            f"INSERT INTO revisions ({REVISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
    if evidence:
        await conn.executemany(
            "INSERT INTO revision_evidence (sha256, submission_id) VALUES (?, ?) ON CONFLICT DO NOTHING", evidence
        )


async def next_arrival(db: Database, conn: aiosqlite.Connection) -> int:
    """The next arrival number: kept in memory by the one writer after the first read."""
    if db.next_arrival is None:
        rows = await _fetch(conn, "SELECT coalesce(max(arrival), 0) + 1 FROM revisions", ())
        db.next_arrival = rows[0][0]
    return db.next_arrival


QUARANTINE_COLUMNS = (
    "rev_id, submission_id, sha256, raw, rank, author, device_id, received_at, clock_offset_ms, code, reason, path"
)


async def insert_quarantine(conn: aiosqlite.Connection, rows: list[tuple]) -> None:
    if rows:
        await conn.executemany(
            f"INSERT INTO quarantine ({QUARANTINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
        )


async def merge_inputs(
    conn: aiosqlite.Connection, submission_ids: Iterable[str]
) -> dict[str, list[tuple[MergeInput, int]]]:
    """Every stored revision of the submissions as merge input, with its recorded clock offset."""
    rows = await _fetch_in(
        conn,
        "SELECT submission_id, rev_id, parents, rank, hlc, checklist_version, content, released, clock_offset_ms"
        " FROM revisions WHERE submission_id IN ({marks})",
        submission_ids,
    )
    out: dict[str, list[tuple[MergeInput, int]]] = {}
    for r in rows:
        out.setdefault(r["submission_id"], []).append((merge_input_of(r), r["clock_offset_ms"]))
    return out


def merge_input_of(row: sqlite3.Row) -> MergeInput:
    return MergeInput(
        rev_id=row["rev_id"],
        parents=tuple(msgspec.json.decode(row["parents"])),
        rank=row["rank"],
        hlc=row["hlc"],
        version=row["checklist_version"],
        content=msgspec.json.decode(row["content"]),
        released=bool(row["released"]),
    )


async def write_views(conn: aiosqlite.Connection, rows: list[ViewRow], new: set[str] = frozenset()) -> None:
    """Store the derived rows and documents, and feed each to its auditor's tablets.

    `new`: submissions created in this transaction, or whose derived rows and changes were
    emptied in it (nothing of them to replace).
    """
    if not rows:
        return
    existing = [r.doc.submission_id for r in rows if r.doc.submission_id not in new]
    before = {
        r["submission_id"]: (r["period"], r["counted"], r["unit_id"])
        for r in await _fetch_in(
            conn,
            "SELECT submission_id, period, counted, unit_id FROM submission_views WHERE submission_id IN ({marks})",
            existing,
        )
    }
    values = []
    for row in rows:
        doc = row.doc
        view = doc.view
        values.append(
            (
                doc.submission_id,
                doc.auditor,
                doc.checklist.id if doc.checklist else None,
                doc.checklist.version if doc.checklist else None,
                view.unit_id if view else None,
                view.assignment_id if view else None,
                view.state if view else None,
                view.started_at if view else None,
                doc.corrected_start,
                doc.period,
                doc.status,
                row.visit_score,
                row.person_score,
                int(bool(doc.conflicts)),
                msgspec.json.encode(doc).decode("utf-8"),
                doc.updated_at,
                row.counted,
            )
        )
    await conn.executemany(
        "INSERT OR REPLACE INTO submission_views (submission_id, auditor, checklist_id, checklist_version, unit_id,"
        " assignment_id, state, started_at, corrected_start, period, status, visit_score, person_score, has_conflicts,"
        " document, updated_at, counted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        values,
    )
    await _write_aggregation_rows(conn, rows, before)
    if existing:
        await conn.executemany("DELETE FROM view_evidence WHERE submission_id = ?", [(s,) for s in existing])
    evidence = [(r.doc.submission_id, sha) for r in rows for sha in r.evidence]
    if evidence:
        await conn.executemany("INSERT INTO view_evidence (submission_id, sha256) VALUES (?, ?)", evidence)
    by_auditor: dict[str, list[str]] = {}
    for r in rows:
        by_auditor.setdefault(r.doc.auditor, []).append(r.doc.submission_id)
    for auditor, ids in by_auditor.items():
        await record_changes(conn, "submission", ids, audience=auditor, fresh=new)


async def _write_aggregation_rows(conn: aiosqlite.Connection, rows: list[ViewRow], before: dict[str, tuple]) -> None:
    """Per-visit standard scores and staff rows, the input of the period figures (only counted visits).

    `before` holds the (period, counted, unit_id) each submission had, to remove its old rows by
    their clustered key; a submission new in this transaction has none to remove.
    """
    old = [(p, c, u, s) for s, (p, c, u) in before.items() if p is not None and c]
    if old:
        await conn.executemany(
            "DELETE FROM visit_scores WHERE period = ? AND counted = ? AND unit_id = ? AND submission_id = ?", old
        )
        await conn.executemany(
            "DELETE FROM visit_staff WHERE period = ? AND counted = ? AND submission_id = ?",
            [(p, c, s) for p, c, _, s in old],
        )
    scores, staff = [], []
    for r in rows:
        doc, view = r.doc, r.doc.view
        if not r.counted or view is None or view.unit_id is None or doc.period is None:
            continue
        scores.append((doc.period, r.counted, view.unit_id, doc.submission_id, encode_standard_scores(r.standards)))
        if r.person_score is not None:
            staff += [
                (doc.period, r.counted, s, doc.submission_id, view.unit_id, r.person_score)
                for s in view.staff_ids or ()
            ]
    groups = {(p, c, u) for p, c, u, _ in old} | {(p, c, u) for p, c, u, *_ in scores}
    if groups:
        await conn.executemany(
            "INSERT INTO dirty_groups (period, counted, unit_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            sorted(groups),
        )
    if scores:
        await conn.executemany(
            "INSERT INTO visit_scores (period, counted, unit_id, submission_id, standards) VALUES (?, ?, ?, ?, ?)",
            scores,
        )
    if staff:
        await conn.executemany(
            "INSERT INTO visit_staff (period, counted, staff_id, submission_id, unit_id, person_score)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            staff,
        )


def encode_standard_scores(standards: list[tuple[str, float, bool]]) -> str:
    """A visit's `visit_scores.standards`: a JSON array of [code, raw score, met as 0/1]."""
    return msgspec.json.encode([(code, score, int(met)) for code, score, met in standards]).decode("utf-8")


async def view_documents(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, SubmissionDoc]:
    rows = await _fetch_in(
        conn, "SELECT submission_id, document FROM submission_views WHERE submission_id IN ({marks})", submission_ids
    )
    return {r["submission_id"]: msgspec.json.decode(r["document"], type=SubmissionDoc) for r in rows}


async def database_id(db: Database) -> str:
    row = await db.fetch_one("SELECT value FROM meta WHERE key = 'database_id'")
    return row["value"]


async def latest_reviews(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, ReviewOut]:
    """The latest review decision of each submission that has one."""
    rows = await _fetch_in(
        conn,
        "SELECT r.submission_id, r.decision, r.comment, r.heads, r.reviewer, r.decided_at FROM reviews r"
        " JOIN (SELECT submission_id, max(id) AS id FROM reviews WHERE submission_id IN ({marks})"
        " GROUP BY submission_id) latest ON latest.id = r.id",
        submission_ids,
    )
    return {
        r["submission_id"]: ReviewOut(
            decision=r["decision"],
            comment=r["comment"],
            heads=msgspec.json.decode(r["heads"]),
            reviewer=r["reviewer"],
            decided_at=r["decided_at"],
        )
        for r in rows
    }
