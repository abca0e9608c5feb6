"""What the console's visit page reads, in one read transaction.

A visit page shows the submission's document with its unit, checklist version, revisions,
evidence types, staff names, the colour bands and who else has it open: read together, in one
snapshot, so the page is one trip to a reader thread (a visit of 60 answers and 10 revisions in a
few milliseconds) and every part of it describes the same state.
"""

from __future__ import annotations

import sqlite3

import msgspec

from checklists.model import Checklist
from checklists.score import ChecklistIndex
from reports.policy import Policy
from server.db import snapshot
from server.store import policies as policies_store
from server.store import sessions as sessions_store
from server.store import submissions as submissions_store
from server.store.sync import checklist_index, rows_in
from server.store.views import SubmissionDoc


class RevisionRow(msgspec.Struct, kw_only=True, frozen=True):
    """One stored revision of the visit with its arrival metadata, in arrival order."""

    rev_id: str
    parents: list[str]
    sha256: str
    rank: str
    author: str
    device_id: str | None
    hlc: str | None
    received_at: str
    clock_offset_ms: int
    released: bool
    checklist_version: int
    content: str  # canonical JSON


class UnitInfo(msgspec.Struct, kw_only=True, frozen=True):
    unit_id: str
    name: str
    kind: str
    region: str


class OpenBy(msgspec.Struct, kw_only=True, frozen=True):
    user_name: str
    opened_at: str


class VisitPage(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the visit page shows of one submission."""

    doc: SubmissionDoc
    unit: UnitInfo | None
    checklist: Checklist | None
    revisions: list[RevisionRow]
    quarantined: list[str]  # rev_ids of its revisions held in quarantine
    blob_types: dict[str, str]  # sha256 -> content type, of the view's evidence that is stored
    staff_names: dict[str, str]
    open_by: list[OpenBy]  # other users who opened it since `open_since`
    policy: Policy | None  # the latest policy: its colour bands mark the scores


def visit_page(
    c: sqlite3.Connection,
    submission_id: str,
    cache: dict[tuple[str, int], ChecklistIndex],
    viewer: str,
    open_since: str,
) -> VisitPage | None:
    """The visit page's data, or None when there is no such submission."""
    with snapshot(c):
        doc = submissions_store.document(c, submission_id)
        if doc is None:
            return None
        view = doc.view
        unit = None
        if view is not None and view.unit_id is not None:
            row = c.execute(
                "SELECT unit_id, name, kind, region FROM units WHERE unit_id = ?", (view.unit_id,)
            ).fetchone()
            unit = UnitInfo(**{k: row[k] for k in UnitInfo.__struct_fields__}) if row else None
        index = None
        if doc.checklist is not None and doc.checklist.version is not None:
            index = checklist_index(c, cache, doc.checklist.id, doc.checklist.version)
        rows = c.execute(
            "SELECT rev_id, parents, sha256, rank, author, device_id, hlc, received_at, clock_offset_ms, released,"
            " checklist_version, content FROM revisions WHERE submission_id = ? ORDER BY arrival",
            (submission_id,),
        ).fetchall()
        revisions = [
            RevisionRow(
                **{k: r[k] for k in RevisionRow.__struct_fields__ if k not in ("parents", "released")},
                parents=msgspec.json.decode(r["parents"]),
                released=bool(r["released"]),
            )
            for r in rows
        ]
        held = c.execute(
            "SELECT rev_id FROM quarantine WHERE submission_id = ? AND released_at IS NULL ORDER BY id",
            (submission_id,),
        ).fetchall()
        evidence = {e for a in (view.answers if view else ()) for e in a.evidence or ()}
        blob_types = {
            r["sha256"]: r["content_type"]
            for r in rows_in(c, "SELECT sha256, content_type FROM blobs WHERE sha256 IN ({marks})", evidence)
        }
        staff = {
            r["staff_id"]: r["name"]
            for r in rows_in(
                c,
                "SELECT staff_id, name FROM staff WHERE staff_id IN ({marks})",
                (view.staff_ids or []) if view else [],
            )
        }
        open_by = [
            OpenBy(user_name=user, opened_at=at)
            for user, at in sessions_store.opened_by(c, submission_id, open_since)
            if user != viewer
        ]
        policy_row = policies_store.latest_row(c)
    return VisitPage(
        doc=doc,
        unit=unit,
        checklist=index.checklist if index is not None else None,
        revisions=revisions,
        quarantined=[r["rev_id"] for r in held],
        blob_types=blob_types,
        staff_names=staff,
        open_by=open_by,
        policy=policies_store.policy_of(policy_row) if policy_row is not None else None,
    )
