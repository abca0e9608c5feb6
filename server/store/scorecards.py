"""Stored scorecards (drafts replaced freely, published ones immutable, enforced by triggers) and
the reads that gather a scorecard's data beyond the period figures of `store/scores.py`."""

from __future__ import annotations

import sqlite3
import uuid

import msgspec

from reports.scorecard_assembly import AuditedVisit, ChecklistRef
from server.clock import now_iso
from server.db import json_values
from server.errors import not_found

COLUMNS = (
    "scorecard_id, scope, unit_id, staff_id, unit_kind, period, lang, status, sha256, input_sha256, size,"
    " created_at, created_by, published_at, published_by"
)


def save_draft(c: sqlite3.Connection, subject: dict, pdf: bytes, sha256: str, input_sha256: str, actor: str) -> str:
    """Store a rendered draft, replacing older drafts of the same scorecard; return its id.

    The same bytes as a stored draft or a published scorecard of the same subject give that one's
    id: publishing again (after a crash, or a second run of `tekseru scorecards build --publish`)
    converges on one published scorecard instead of publishing the same bytes twice.
    """
    same = c.execute(
        "SELECT scorecard_id, status FROM scorecards WHERE scope = ? AND unit_id IS NOT DISTINCT FROM ?"
        " AND staff_id IS NOT DISTINCT FROM ? AND unit_kind IS NOT DISTINCT FROM ? AND period = ? AND lang = ?"
        " AND sha256 = ?"
        " ORDER BY status = 'published' DESC, created_at LIMIT 1",
        (*_key(subject), sha256),
    ).fetchone()
    if same is not None and same["status"] == "draft":
        return same["scorecard_id"]
    c.execute(
        "DELETE FROM scorecards WHERE scope = ? AND unit_id IS NOT DISTINCT FROM ?"
        " AND staff_id IS NOT DISTINCT FROM ? AND unit_kind IS NOT DISTINCT FROM ?"
        " AND period = ? AND lang = ? AND status = 'draft'",
        _key(subject),
    )
    if same is not None:
        return same["scorecard_id"]
    scorecard_id = str(uuid.uuid4())
    c.execute(
        "INSERT INTO scorecards (scorecard_id, scope, unit_id, staff_id, unit_kind, period, lang, status, sha256,"
        " input_sha256, size, pdf, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)",
        (scorecard_id, *_key(subject), sha256, input_sha256, len(pdf), pdf, now_iso(), actor),
    )
    return scorecard_id


def _key(subject: dict) -> tuple:
    return (
        subject["scope"],
        subject.get("unit_id"),
        subject.get("staff_id"),
        subject.get("unit_kind"),
        subject["period"],
        subject["lang"],
    )


def get(c: sqlite3.Connection, scorecard_id: str) -> sqlite3.Row | None:
    """A stored scorecard's row without its PDF."""
    return c.execute(f"SELECT {COLUMNS} FROM scorecards WHERE scorecard_id = ?", (scorecard_id,)).fetchone()


def pdf_of(c: sqlite3.Connection, scorecard_id: str) -> bytes | None:
    """A stored scorecard's PDF bytes."""
    row = c.execute("SELECT pdf FROM scorecards WHERE scorecard_id = ?", (scorecard_id,)).fetchone()
    return bytes(row["pdf"]) if row else None


def publish(c: sqlite3.Connection, scorecard_id: str, actor: str) -> None:
    """Make a draft published (a second publish of a published one changes nothing)."""
    row = c.execute("SELECT status FROM scorecards WHERE scorecard_id = ?", (scorecard_id,)).fetchone()
    if row is None:
        raise not_found("scorecard")
    if row["status"] == "draft":
        c.execute(
            "UPDATE scorecards SET status = 'published', published_at = ?, published_by = ? WHERE scorecard_id = ?",
            (now_iso(), actor, scorecard_id),
        )


def list_rows(
    c: sqlite3.Connection,
    period: str | None,
    unit_id: str | None,
    status: str | None,
    after: str,
    limit: int,
    units: list[str] | None = None,
) -> list[sqlite3.Row]:
    """A page of stored scorecards in creation order, after the cursor `after` ("created_at|id").

    `units` given: only the unit scorecards of those units (a unit manager's).
    """
    of_units = f" AND scope = 'unit' AND unit_id IN (SELECT value FROM {json_values(c)})" if units is not None else ""
    return c.execute(
        f"SELECT {COLUMNS} FROM scorecards WHERE (? IS NULL OR period = ?) AND (? IS NULL OR unit_id = ?)"
        f" AND (? IS NULL OR status = ?){of_units} AND (created_at, scorecard_id) > (?, ?)"
        " ORDER BY created_at, scorecard_id LIMIT ?",
        (
            period,
            period,
            unit_id,
            unit_id,
            status,
            status,
            *([msgspec.json.encode(units).decode()] if units is not None else []),
            *after.partition("|")[::2],
            limit,
        ),
    ).fetchall()


_visit = msgspec.json.Decoder(AuditedVisit)


def approved_visits(
    c: sqlite3.Connection, period: str, counted: int, unit_id: str | None = None, staff_id: str | None = None
) -> list[AuditedVisit]:
    """The period's visits counted at least `counted` (of one unit, or in which one staff member was evaluated)."""
    if staff_id is not None:
        rows = c.execute(
            "SELECT v.document FROM visit_staff s JOIN submission_views v ON v.submission_id = s.submission_id"
            " WHERE s.period = ? AND s.counted >= ? AND s.staff_id = ? ORDER BY v.corrected_start, v.submission_id",
            (period, counted, staff_id),
        ).fetchall()
    else:
        rows = c.execute(
            "SELECT document FROM submission_views WHERE period = ? AND counted >= ? AND (? IS NULL OR unit_id = ?)"
            " ORDER BY corrected_start, submission_id",
            (period, counted, unit_id, unit_id),
        ).fetchall()
    return [_visit.decode(r["document"]) for r in rows]


def checklist_refs_of_kind(c: sqlite3.Connection, period: str, counted: int, kind: str) -> set[ChecklistRef]:
    """The checklist versions answered in the period's counted visits to units of one kind."""
    rows = c.execute(
        "SELECT DISTINCT v.checklist_id, v.checklist_version FROM submission_views v"
        " JOIN units u ON u.unit_id = v.unit_id"
        " WHERE v.period = ? AND v.counted >= ? AND u.kind = ? AND v.checklist_version IS NOT NULL",
        (period, counted, kind),
    ).fetchall()
    return {(r["checklist_id"], r["checklist_version"]) for r in rows}


def blob_rows(c: sqlite3.Connection, hashes: list[str]) -> dict[str, sqlite3.Row]:
    """The stored blobs among `hashes`, by hash, in one query."""
    rows = c.execute(
        f"SELECT * FROM blobs WHERE sha256 IN (SELECT value FROM {json_values(c)})",
        (msgspec.json.encode(hashes).decode(),),
    ).fetchall()
    return {r["sha256"]: r for r in rows}


def last_changes(
    c: sqlite3.Connection, period: str, unit_id: str | None, kind: str | None
) -> tuple[str | None, str | None]:
    """The last change to the period's visits (of one unit, or of units of one kind) and the period's closing."""
    row = c.execute(
        "SELECT (SELECT max(v.updated_at) FROM submission_views v LEFT JOIN units u ON u.unit_id = v.unit_id"
        " WHERE v.period = ? AND (? IS NULL OR v.unit_id = ?) AND (? IS NULL OR u.kind = ?)) AS at,"
        " (SELECT closed_at FROM period_snapshots WHERE period = ?) AS closed_at",
        (period, unit_id, unit_id, kind, kind, period),
    ).fetchone()
    assert row is not None  # a SELECT of two scalar subqueries always gives one row
    return row["at"], row["closed_at"]


# --- the console's scorecards pages ------------------------------------------------------------------

# The unit kind a scorecard belongs to: a unit's, the network's, or a staff member's unit's.
_KIND = "coalesce(s.unit_kind, u.kind, su.kind)"
_LISTED = (
    "SELECT s.scorecard_id, s.scope, s.unit_id, s.staff_id, s.unit_kind, s.period, s.lang, s.status, s.sha256,"
    f" s.size, s.created_at, s.created_by, s.published_at, s.published_by, {_KIND} AS kind,"
    " coalesce(u.name, st.name) AS subject_name"
    " FROM scorecards s LEFT JOIN units u ON u.unit_id = s.unit_id"
    " LEFT JOIN staff st ON st.staff_id = s.staff_id LEFT JOIN units su ON su.unit_id = st.unit_id"
)


def console_rows(
    c: sqlite3.Connection, period: str | None, kind: str | None, status: str | None, limit: int, offset: int = 0
) -> list[sqlite3.Row]:
    """Scorecards for the console's list, newest period first, then by kind, scope and subject."""
    return c.execute(
        f"{_LISTED} WHERE (? IS NULL OR s.period = ?) AND (? IS NULL OR {_KIND} = ?) AND (? IS NULL OR s.status = ?)"
        " ORDER BY s.period DESC, kind, s.scope = 'network' DESC, s.scope, subject_name, s.unit_id, s.staff_id,"
        " s.lang, s.created_at DESC, s.scorecard_id LIMIT ? OFFSET ?",
        (period, period, kind, kind, status, status, limit, offset),
    ).fetchall()


def console_row(c: sqlite3.Connection, scorecard_id: str) -> sqlite3.Row | None:
    """One scorecard as the console's list shows it."""
    return c.execute(f"{_LISTED} WHERE s.scorecard_id = ?", (scorecard_id,)).fetchone()


def periods_present(c: sqlite3.Connection, status: str | None) -> list[str]:
    """The periods that have scorecards (of a status), newest first."""
    rows = c.execute(
        "SELECT DISTINCT period FROM scorecards WHERE (? IS NULL OR status = ?) ORDER BY period DESC", (status, status)
    ).fetchall()
    return [r["period"] for r in rows]


def draft_ids(c: sqlite3.Connection, period: str, kind: str) -> list[str]:
    """The drafts of a period and unit kind (what "publish all" publishes)."""
    rows = c.execute(
        f"SELECT s.scorecard_id FROM scorecards s LEFT JOIN units u ON u.unit_id = s.unit_id"
        f" LEFT JOIN staff st ON st.staff_id = s.staff_id LEFT JOIN units su ON su.unit_id = st.unit_id"
        f" WHERE s.period = ? AND s.status = 'draft' AND {_KIND} = ? ORDER BY s.scorecard_id",
        (period, kind),
    ).fetchall()
    return [r["scorecard_id"] for r in rows]


def publish_many(c: sqlite3.Connection, scorecard_ids: list[str], actor: str) -> int:
    """Publish the drafts among `scorecard_ids` (unknown or published ones are left as they are); how many."""
    published = 0
    for scorecard_id in dict.fromkeys(scorecard_ids):
        row = c.execute("SELECT status FROM scorecards WHERE scorecard_id = ?", (scorecard_id,)).fetchone()
        if row is not None and row["status"] == "draft":
            publish(c, scorecard_id, actor)
            published += 1
    return published


def published_of(c: sqlite3.Connection, period: str) -> list[sqlite3.Row]:
    """A period's published scorecards (without their PDFs), in a stable order."""
    return c.execute(
        f"SELECT {COLUMNS} FROM scorecards WHERE period = ? AND status = 'published'"
        " ORDER BY scope, unit_kind, unit_id, staff_id, lang, published_at, scorecard_id",
        (period,),
    ).fetchall()


def preview_of(c: sqlite3.Connection, sha256: str) -> bytes | None:
    """The cached first page (PNG) of the PDF with this SHA-256."""
    row = c.execute("SELECT png FROM scorecard_previews WHERE sha256 = ?", (sha256,)).fetchone()
    return bytes(row["png"]) if row else None


def save_preview(c: sqlite3.Connection, sha256: str, png: bytes, width: int, height: int) -> None:
    """Keep a PDF's first page as an image (the same bytes always give the same image)."""
    c.execute(
        "INSERT INTO scorecard_previews (sha256, png, width, height, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (sha256) DO NOTHING",
        (sha256, png, width, height, now_iso()),
    )
