"""A submission's document and its derived rows: the one home of what a view refresh writes.

The document types (what `GET /v1/submissions/{id}` and the change feed return) and the rows
derived from it: submission_views, view_evidence, visit_scores, visit_staff, the dirty groups of
the standard sums and the change-feed entry. The engine (`server.sync.refresh`) computes them;
`write_views` is the one function that writes or replaces them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterable

import msgspec

from server.clock import now_iso
from server.db import insert_many
from server.integrity.flags import Flag
from server.store import integrity as integrity_store
from server.store.feed import record_changes
from server.store.sync import rows_in
from server.wire import Scalar

# What a store function that changes what views depend on (a blob arriving or lost) is handed to
# refresh them inside its own write: the engine's refresh, bound to its checklist cache and zone.
Refresh = Callable[[sqlite3.Connection, Collection[str]], object]


class ChecklistRefOut(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    version: int | None


class LocationOut(msgspec.Struct, kw_only=True, frozen=True):
    lat: float
    lon: float
    accuracy_m: float | None = None


class AnswerOut(msgspec.Struct, kw_only=True, frozen=True):
    item: str
    value: Scalar
    na: bool
    comment: str | None
    evidence: list[str] | None


# `omit_defaults`: `calibrates` is left out of the documents of visits that do not carry it, so
# documents stored before it existed are rebuilt byte for byte (every other field has no default).
class VisitView(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """The merged visit."""

    submission_id: str
    checklist: ChecklistRefOut
    state: str | None
    unit_id: str | None
    staff_ids: list[str] | None
    assignment_id: str | None
    started_at: str | None
    finished_at: str | None
    location: LocationOut | None
    answers: list[AnswerOut]
    # The submission this one is a second scoring of (a calibration visit), absent otherwise.
    calibrates: str | None = None


class StandardOut(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    attribution: str
    score: float
    met: bool


class Scores(msgspec.Struct, kw_only=True, frozen=True):
    """Scores 0-100, rounded to 2 decimals for showing; null when nothing applicable was answered."""

    visit: float | None
    person: float | None
    standards: list[StandardOut]
    critical_failed: list[str]
    flags: list[str]


class LosingValue(msgspec.Struct, kw_only=True, frozen=True):
    value: msgspec.Raw
    rev_id: str


class ConflictOut(msgspec.Struct, kw_only=True, frozen=True):
    """A field several concurrent revisions set: the kept value and every losing one."""

    field: str
    value: msgspec.Raw
    rev_id: str
    losing: list[LosingValue]


class PendingOut(msgspec.Struct, kw_only=True, frozen=True):
    rev_id: str
    missing_parents: list[str]


class ReviewOut(msgspec.Struct, kw_only=True, frozen=True):
    """The latest review decision on the submission."""

    decision: str
    comment: str | None
    heads: list[str]
    reviewer: str
    decided_at: str
    # Stable: a decision that replaces this one names it as `supersedes`.
    id: int
    # The appeal whose decision recorded this approval (the visit as the appeal changed it).
    appeal_id: str | None = None


class SubmissionDoc(msgspec.Struct, kw_only=True, frozen=True):
    """A submission as `GET /v1/submissions/{id}` returns it (and the change feed carries it)."""

    submission_id: str
    auditor: str
    status: str
    checklist: ChecklistRefOut | None
    view: VisitView | None
    heads: list[str]
    scores: Scores | None
    conflicts: list[ConflictOut]
    flags: list[str]
    pending: list[PendingOut]
    checklist_changed: list[str]
    missing_blobs: list[str]
    period: str | None
    corrected_start: str | None
    review: ReviewOut | None
    updated_at: str


class ViewRow(msgspec.Struct, kw_only=True, frozen=True):
    """The derived rows stored for a submission (for lists, queues and aggregation)."""

    doc: SubmissionDoc
    visit_score: float | None
    person_score: float | None
    evidence: list[str]
    counted: int  # 2 approved, 1 provisional (submitted, not rejected), 0 not counted
    standards: list[tuple[str, float, bool]]  # (code, raw score in [0, 1], met)
    integrity: list[Flag] = []  # the flags of the visit alone (`server.integrity.flags.visit_flags`)
    calibrates: str | None = None  # the submission this one is a second scoring of
    check: bool = False  # a submitted visit whose background integrity check is to be asked for


class Told(msgspec.Struct, kw_only=True, frozen=True, array_like=True):
    """What a push receipt tells of a submission (from its document)."""

    auditor: str
    heads: list[str]
    pending: dict[str, list[str]]  # rev_id -> missing parents
    checklist_changed: list[str]
    missing_blobs: list[str]
    visit_score: float | None  # as shown (rounded)


def told(doc: SubmissionDoc) -> Told:
    """What a push receipt tells of the submission whose document this is."""
    return Told(
        auditor=doc.auditor,
        heads=doc.heads,
        pending={p.rev_id: p.missing_parents for p in doc.pending},
        checklist_changed=doc.checklist_changed,
        missing_blobs=doc.missing_blobs,
        visit_score=doc.scores.visit if doc.scores else None,
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
    flags: list[tuple] = []  # its `integrity_flags` rows of source `visit`
    check: bool = False  # a submitted visit: its background integrity check is asked for


VIEW_COLUMNS = (
    "submission_id, auditor, checklist_id, checklist_version, unit_id, assignment_id, state, started_at,"
    " corrected_start, period, status, visit_score, person_score, has_conflicts, updated_at, counted,"
    " critical_failed, calibrates, document"
)

# A view stored again replaces the old one (both stores' upsert).
_REPLACE_VIEW = "ON CONFLICT (submission_id) DO UPDATE SET " + ", ".join(
    f"{col} = excluded.{col}" for col in (c.strip() for c in VIEW_COLUMNS.split(",")) if col != "submission_id"
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
            int(bool(doc.scores and doc.scores.critical_failed)),
            row.calibrates,
        ),
        document=msgspec.json.encode(doc).decode("utf-8"),
        scores=scores,
        staff=staff,
        evidence=row.evidence,
        told=told(doc),
        flags=integrity_store.flag_rows(doc.submission_id, row.integrity, "", doc.updated_at),
        check=row.check,
    )


def write_views(
    c: sqlite3.Connection, rows: list[StoredView], new: Collection[str] = frozenset(), check: bool = True
) -> None:
    """Store the derived rows and documents, and feed each to its auditor's tablets.

    `new`: submissions created in this transaction, or whose derived rows and changes were
    emptied in it (nothing of them to replace). The (period, counted, unit_id) each existing
    submission had is read first, to remove its old aggregation rows by their clustered key.
    `check`: ask for the background integrity check of each submitted visit (not when the check
    itself stores the views its flags changed).
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
    sql = "SELECT submission_id, period, counted, unit_id FROM submission_views WHERE submission_id IN ({marks})"
    old = [(r["period"], r["counted"], r["unit_id"], r["submission_id"]) for r in rows_in(c, sql, existing)]
    old = [o for o in old if o[0] is not None and o[1]]
    insert_many(
        c,
        f"INSERT INTO submission_views ({VIEW_COLUMNS}) VALUES ({', '.join('?' * 19)}) {_REPLACE_VIEW}",
        values,
    )
    integrity_store.write_visit_flags(c, [f for r in rows for f in r.flags], existing)
    if check:
        integrity_store.enqueue(c, [r.submission_id for r in rows if r.check], now_iso())
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
        record_changes(c, "submission", ids, audience=auditor, fresh=new)


def encode_standard_scores(standards: list[tuple[str, float, bool]]) -> str:
    """A visit's `visit_scores.standards`: a JSON array of [code, raw score, met as 0/1]."""
    return msgspec.json.encode([(code, score, int(met)) for code, score, met in standards]).decode("utf-8")


def view_documents(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, SubmissionDoc]:
    """The stored documents of those of the submissions that have one."""
    rows = rows_in(
        c, "SELECT submission_id, document FROM submission_views WHERE submission_id IN ({marks})", submission_ids
    )
    return {r["submission_id"]: msgspec.json.decode(r["document"], type=SubmissionDoc) for r in rows}


def referencing(c: sqlite3.Connection, sha256: str) -> list[str]:
    """The submissions whose current view references the blob (their views change when it comes or goes)."""
    return [r[0] for r in c.execute("SELECT submission_id FROM view_evidence WHERE sha256 = ?", (sha256,))]


def previous_documents(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, tuple[str, bytes]]:
    """submission_id -> the stored (updated_at, document as JSON bytes): what a rebuild compares with."""
    rows = rows_in(
        c,
        "SELECT submission_id, updated_at, document FROM submission_views WHERE submission_id IN ({marks})",
        submission_ids,
    )
    return {r["submission_id"]: (r["updated_at"], r["document"].encode("utf-8")) for r in rows}


# The tables that hold nothing but what a rebuild computes again: `empty_all` empties them, and a
# copy of the store (`server.store_copy`) leaves them out. Every other table records something
# (submission_views too: a rebuild replaces each view, but keeps the time it last changed).
# The queue of integrity checks is among them: a rebuild asks for every check again.
DERIVED_TABLES = (
    "visit_scores",
    "visit_staff",
    "view_evidence",
    "standard_sums",
    "dirty_groups",
    "integrity_tasks",
)


def empty_all(c: sqlite3.Connection) -> None:
    """Empty every derived row before a rebuild refills them (the views themselves are replaced row by row)."""
    for table in DERIVED_TABLES:
        c.execute(f"DELETE FROM {table}")
    c.execute("DELETE FROM submission_views WHERE submission_id NOT IN (SELECT submission_id FROM submissions)")
    # Every submission's change is numbered again by the rebuild (tablets pull the rebuilt views).
    c.execute("DELETE FROM changes WHERE kind = 'submission'")
    # The flags of the visits alone are written again with each view; a background check's are
    # kept until the check, which the rebuild asks for again, rewrites them.
    c.execute("DELETE FROM integrity_flags WHERE source = 'visit'")
