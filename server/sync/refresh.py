"""Refreshing a submission's derived rows: its revisions merged again, scored, and its document stored.

The one answer to "how is a submission's view recomputed?": the inputs are read through the
store, computed by the pure merge and `build_document`, and written by `store.views.write_views`,
inside the caller's write (so a change and the views it changes commit together).
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Collection, Sequence
from zoneinfo import ZoneInfo

import msgspec

from checklists.score import ChecklistIndex
from server.clock import now_iso
from server.db import Database
from server.store import appeals as appeals_store
from server.store import integrity as integrity_store
from server.store import policies as policies_store
from server.store import reviews as reviews_store
from server.store import submissions as submissions_store
from server.store import sync as store
from server.store import views
from server.store.views import Refresh, StoredView
from server.sync.merge import MergeInput, MergeResult, merge, missing_ancestors, stored_input
from server.sync.view import VisitChecks, build_document


def refresh(
    c: sqlite3.Connection,
    submission_ids: Collection[str],
    cache: dict[tuple[str, int], ChecklistIndex],
    tz: ZoneInfo,
    check: bool = True,
) -> list[StoredView]:
    """Merge the submissions' stored revisions again and store their views (inside `c`'s write).

    `check`: ask for their background integrity checks (False when a check refreshes them)."""
    if not submission_ids:
        return []
    owners = store.owners(c, submission_ids)
    inputs = stored_inputs(c, submission_ids)
    return merge_views(c, cache, inputs, owners, tz, now_iso(), check=check)


def refresher(db: Database, tz: ZoneInfo) -> Refresh:
    """`refresh` bound to the database's checklist cache and the time zone, for the store functions handed one."""
    return functools.partial(refresh, cache=db.checklist_indexes, tz=tz)


def stored_inputs(c: sqlite3.Connection, submission_ids: Collection[str]) -> dict[str, list[tuple[MergeInput, int]]]:
    """Every stored revision of the submissions as merge input, with its recorded clock offset."""
    rows = store.revisions_to_merge(c, submission_ids)
    return {s: [(stored_input(r), r["clock_offset_ms"]) for r in revs] for s, revs in rows.items()}


def _evidence(rev: MergeInput) -> set[str]:
    return {e for a in rev.content.get("answers", ()) for e in a.get("evidence", ())}


def disputed_items(c: sqlite3.Connection, submission_ids: Collection[str]) -> dict[str, set[str]]:
    """The items each visit's figures count as N/A: those under an open appeal, while the latest
    policy excludes disputed items. One query for the batch; the policy is read only when some
    visit has open items (most writes have none)."""
    items = appeals_store.open_items(c, submission_ids)
    if not items:
        return {}
    policy = policies_store.latest_or_none(c)
    return items if policy is not None and policy.appeals.exclude_disputed else {}


def merge_views(
    c: sqlite3.Connection,
    cache: dict[tuple[str, int], ChecklistIndex],
    inputs: dict[str, list[tuple[MergeInput, int]]],
    owners: dict[str, str],
    tz: ZoneInfo,
    updated_at: str,
    new: set[str] = frozenset(),
    ready: Sequence[StoredView] = (),
    previous: dict[str, tuple[str, bytes]] | None = None,
    check: bool = True,
) -> list[StoredView]:
    """Merge each submission's revisions (`inputs`) again and store its view and document.

    `new`: the submissions created in this transaction (or whose derived rows were emptied in it);
    `ready`: the rows of new visits worked out before the transaction, stored as they are;
    `previous`: for a rebuild, each submission's stored (updated_at, document): a document that
    comes out the same keeps its `updated_at`, since nothing about the submission changed.
    """
    if not inputs and not ready:
        return []
    evidence = {e for revs in inputs.values() for m, _ in revs for e in _evidence(m)}
    blobs = store.stored_blobs(c, evidence)
    # Also for the submissions in `new`: a rebuild empties their derived rows, never their
    # decisions (one created in this transaction simply has none yet).
    reviews = reviews_store.latest_reviews(c, list(inputs))
    disputed = disputed_items(c, list(inputs))
    rules = policies_store.integrity_rules(c) if inputs else None
    merged = {sub_id: merge(m for m, _ in revs) for sub_id, revs in inputs.items()}
    places, calibration, flagged = _integrity_inputs(c, merged)
    rows = list(ready)
    for sub_id, revs in inputs.items():
        result = merged[sub_id]
        if result.pending:
            result = msgspec.structs.replace(result, pending=missing_ancestors([m for m, _ in revs], result))
        index = None
        if result.view is not None:
            index = store.checklist_index(c, cache, result.view["checklist"]["id"], result.version)
        offsets = {m.rev_id: off for m, off in revs}
        row = build_document(
            sub_id,
            owners[sub_id],
            result,
            index,
            offsets,
            blobs,
            tz,
            updated_at,
            reviews.get(sub_id),
            disputed.get(sub_id, frozenset()),
            _checks(result.view, rules, places, calibration, sub_id in flagged),
        )
        before = previous.get(sub_id) if previous else None
        if before is not None:
            same = msgspec.structs.replace(row.doc, updated_at=before[0])
            if msgspec.json.encode(same) == before[1]:
                row = msgspec.structs.replace(row, doc=same)
        rows.append(views.stored_view(row))
    views.write_views(c, rows, new, check)
    return rows


def _integrity_inputs(c: sqlite3.Connection, merged: dict[str, MergeResult]) -> tuple[dict, set[str], set[str]]:
    """What the views' integrity reads beside the merge: their units' places, the calibration
    assignments among theirs, and which of them a background check flagged."""
    seen = [r.view for r in merged.values() if r.view is not None]
    places = integrity_store.unit_places(c, {v["unit_id"] for v in seen if v.get("unit_id")})
    calibration = integrity_store.calibration_assignments(
        c, {v["assignment_id"] for v in seen if v.get("assignment_id")}
    )
    return places, calibration, integrity_store.task_flagged(c, merged)


def _checks(view: dict | None, rules, places: dict, calibration: set[str], flagged: bool) -> VisitChecks | None:
    if view is None or rules is None:
        return None
    return VisitChecks(
        rules=rules,
        unit=places.get(view.get("unit_id")),
        flagged=flagged,
        calibration=view.get("assignment_id") in calibration,
    )


async def rebuild_all(db: Database, tz: ZoneInfo, batch: int = 500) -> int:
    """Recompute every submission's view, document and derived rows from what is recorded.

    The recorded facts are the revisions (with their arrival metadata and released marks), the
    review decisions, the stored blobs, the published checklist versions, the open appeals and
    the latest policy (whether disputed items are left out of the figures); everything in
    submission_views, view_evidence, visit_scores, visit_staff and standard_sums is derived from
    them. Closed periods' snapshots are never touched: they are records, not derived.

    One transaction: the derived tables are emptied and refilled (the views replaced row by row),
    so a reader never sees half of a rebuild, and a crash in the middle leaves what was there. A
    submission whose document comes out the same keeps its `updated_at`; every submission is fed
    to its auditor's tablets again (a tablet may hold a copy of a view that needed rebuilding).
    """
    ids = await db.read(submissions_store.submission_ids)

    def rebuild(c: sqlite3.Connection) -> None:
        views.empty_all(c)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            previous = views.previous_documents(c, chunk)
            owners = store.owners(c, chunk)
            inputs = stored_inputs(c, chunk)
            merge_views(c, db.checklist_indexes, inputs, owners, tz, now_iso(), set(chunk), previous=previous)

    await db.write(rebuild)
    return len(ids)
