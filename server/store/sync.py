"""Revisions, quarantine, submission views and the change feed of submissions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import aiosqlite
import msgspec

from checklists.model import Checklist
from checklists.score import ChecklistIndex
from server.db import Database, insert_many, run_on
from server.store.feed import record_changes_now
from server.sync.merge import MergeInput
from server.sync.quarantine import UnitRow
from server.sync.view import ReviewOut, SubmissionDoc, Told, ViewRow, told

CHUNK = 500


async def _fetch(conn: aiosqlite.Connection, sql: str, params: Sequence) -> list[sqlite3.Row]:
    # One trip to the connection's thread (a cursor's execute, fetchall and close are three, and
    # under load each waits for the event loop).
    return list(await conn.execute_fetchall(sql, params))


async def _fetch_in(
    conn: aiosqlite.Connection, sql: str, keys: Iterable[str], extra: Sequence = ()
) -> list[sqlite3.Row]:
    """Run `sql` (with one `{marks}` IN list) over the keys in chunks under SQLite's parameter limit."""
    keys = list(keys)
    return await run_on(conn, _rows_in, sql, keys, extra) if keys else []


def _rows_in(c: sqlite3.Connection, sql: str, keys: Iterable[str], extra: Sequence = ()) -> list[sqlite3.Row]:
    """`_fetch_in` on the connection's own thread."""
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
    rows = _rows_in(c, "SELECT rev_id, sha256, submission_id FROM revisions WHERE rev_id IN ({marks})", rev_ids)
    return {r["rev_id"]: (r["sha256"], r["submission_id"]) for r in rows}


def _held(c: sqlite3.Connection, rev_ids: Iterable[str]) -> dict[str, sqlite3.Row]:
    sql = "SELECT id, rev_id, sha256, code, reason, path, author FROM quarantine WHERE rev_id IN ({marks})"
    return {r["rev_id"]: r for r in _rows_in(c, sql, rev_ids)}


def _owners(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, str]:
    sql = "SELECT submission_id, auditor FROM submissions WHERE submission_id IN ({marks})"
    return {r["submission_id"]: r["auditor"] for r in _rows_in(c, sql, submission_ids)}


def _units(c: sqlite3.Connection, unit_ids: Iterable[str]) -> dict[str, UnitRow]:
    rows = _rows_in(c, "SELECT unit_id, kind, active FROM units WHERE unit_id IN ({marks})", unit_ids)
    return {r["unit_id"]: UnitRow(kind=r["kind"], active=bool(r["active"])) for r in rows}


def _staff(c: sqlite3.Connection, staff_ids: Iterable[str]) -> dict[str, bool]:
    rows = _rows_in(c, "SELECT staff_id, active FROM staff WHERE staff_id IN ({marks})", staff_ids)
    return {r["staff_id"]: bool(r["active"]) for r in rows}


def _blobs(c: sqlite3.Connection, hashes: Iterable[str]) -> set[str]:
    return {r["sha256"] for r in _rows_in(c, "SELECT sha256 FROM blobs WHERE sha256 IN ({marks})", hashes)}


async def known_revisions(conn: aiosqlite.Connection, rev_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """rev_id -> (sha256, submission_id) of the given revisions that are stored."""
    return await run_on(conn, _known, list(rev_ids))


async def owners(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, str]:
    """submission_id -> auditor, for those that exist."""
    return await run_on(conn, _owners, list(submission_ids))


async def units(conn: aiosqlite.Connection, unit_ids: Iterable[str]) -> dict[str, UnitRow]:
    return await run_on(conn, _units, list(unit_ids))


async def staff_activity(conn: aiosqlite.Connection, staff_ids: Iterable[str]) -> dict[str, bool]:
    return await run_on(conn, _staff, list(staff_ids))


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


async def parents_of(conn: aiosqlite.Connection, submission_ids: Iterable[str]) -> dict[str, list[str]]:
    """rev_id -> parents of every stored revision of the submissions."""
    rows = await _fetch_in(
        conn, "SELECT rev_id, parents FROM revisions WHERE submission_id IN ({marks})", submission_ids
    )
    return {r["rev_id"]: msgspec.json.decode(r["parents"]) for r in rows}


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


class StoredView(msgspec.Struct, kw_only=True, frozen=True, array_like=True):
    """A submission's derived rows, ready to write: built by `stored_view`, in a push worker or not."""

    submission_id: str
    auditor: str
    columns: tuple  # the submission_views row (VIEW_COLUMNS), its `document` left out
    document: str  # the SubmissionDoc as JSON
    scores: tuple | None  # its visit_scores row, when the visit is counted
    staff: list[tuple]  # its visit_staff rows
    evidence: list[str]
    told: Told


VIEW_COLUMNS = (
    "submission_id, auditor, checklist_id, checklist_version, unit_id, assignment_id, state, started_at,"
    " corrected_start, period, status, visit_score, person_score, has_conflicts, updated_at, counted, document"
)


def stored_view(row: ViewRow) -> StoredView:
    """The rows `write_views` stores for a submission's view (pure)."""
    doc = row.doc
    view = doc.view
    scores = None
    staff: list[tuple] = []
    # Per-visit standard scores and staff rows, the input of the period figures (counted visits only).
    if row.counted and view is not None and view.unit_id is not None and doc.period is not None:
        scores = (doc.period, row.counted, view.unit_id, doc.submission_id, encode_standard_scores(row.standards))
        if row.person_score is not None:
            staff = [
                (doc.period, row.counted, s, doc.submission_id, view.unit_id, row.person_score)
                for s in view.staff_ids or ()
            ]
    return StoredView(
        submission_id=doc.submission_id,
        auditor=doc.auditor,
        columns=(
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
            doc.updated_at,
            row.counted,
        ),
        document=msgspec.json.encode(doc).decode("utf-8"),
        scores=scores,
        staff=staff,
        evidence=row.evidence,
        told=told(doc),
    )


async def write_views(conn: aiosqlite.Connection, rows: list[StoredView], new: set[str] = frozenset()) -> None:
    """Store the derived rows and documents, and feed each to its auditor's tablets (one trip).

    `new`: submissions created in this transaction, or whose derived rows and changes were
    emptied in it (nothing of them to replace).
    """
    if not rows:
        return
    values = [(*r.columns, r.document) for r in rows]
    scores = [r.scores for r in rows if r.scores is not None]
    staff = [s for r in rows for s in r.staff]
    by_auditor: dict[str, list[str]] = {}
    for r in rows:
        by_auditor.setdefault(r.auditor, []).append(r.submission_id)
    existing = [r.submission_id for r in rows if r.submission_id not in new]
    evidence = [(r.submission_id, sha) for r in rows for sha in r.evidence]
    await run_on(conn, _write_views, values, existing, scores, staff, evidence, by_auditor, new)


def _write_views(
    c: sqlite3.Connection,
    values: list[tuple],
    existing: list[str],
    scores: list[tuple],
    staff: list[tuple],
    evidence: list[tuple[str, str]],
    by_auditor: dict[str, list[str]],
    new: set[str],
) -> None:
    """`write_views` on the writer's own thread.

    The (period, counted, unit_id) each existing submission had is read first, to remove its
    old aggregation rows by their clustered key; a submission new in this transaction has none.
    """
    sql = "SELECT submission_id, period, counted, unit_id FROM submission_views WHERE submission_id IN ({marks})"
    old = [(r["period"], r["counted"], r["unit_id"], r["submission_id"]) for r in _rows_in(c, sql, existing)]
    old = [o for o in old if o[0] is not None and o[1]]
    insert_many(
        c,
        f"INSERT OR REPLACE INTO submission_views ({VIEW_COLUMNS}) VALUES ({', '.join('?' * 17)})",
        values,
    )
    if old:
        c.executemany(
            "DELETE FROM visit_scores WHERE period = ? AND counted = ? AND unit_id = ? AND submission_id = ?", old
        )
        c.executemany(
            "DELETE FROM visit_staff WHERE period = ? AND counted = ? AND submission_id = ?",
            [(p, n, s) for p, n, _, s in old],
        )
    groups = {(p, n, u) for p, n, u, _ in old} | {(p, n, u) for p, n, u, *_ in scores}
    if groups:
        insert_many(
            c,
            "INSERT INTO dirty_groups (period, counted, unit_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            sorted(groups),
        )
    if scores:
        insert_many(
            c,
            "INSERT INTO visit_scores (period, counted, unit_id, submission_id, standards) VALUES (?, ?, ?, ?, ?)",
            scores,
        )
    if staff:
        insert_many(
            c,
            "INSERT INTO visit_staff (period, counted, staff_id, submission_id, unit_id, person_score)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            staff,
        )
    if existing:
        c.executemany("DELETE FROM view_evidence WHERE submission_id = ?", [(s,) for s in existing])
    if evidence:
        insert_many(c, "INSERT INTO view_evidence (submission_id, sha256) VALUES (?, ?)", evidence)
    for auditor, ids in by_auditor.items():
        record_changes_now(c, "submission", ids, audience=auditor, fresh=new)


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
        "SELECT r.id, r.submission_id, r.decision, r.comment, r.heads, r.reviewer, r.decided_at FROM reviews r"
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
            id=r["id"],
        )
        for r in rows
    }
