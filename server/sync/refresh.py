"""Refreshing a submission's derived rows: its revisions merged again, scored, and its document stored.

The one answer to "how is a submission's view recomputed?": the inputs are read through the
store, computed by the pure merge and `build_document`, and written by `store.views.write_views`,
inside the caller's write transaction (so a change and the views it changes commit together).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from zoneinfo import ZoneInfo

import aiosqlite
import msgspec

from server.clock import now_iso
from server.db import Database
from server.store import reviews as reviews_store
from server.store import submissions as submissions_store
from server.store import sync as store
from server.store import views
from server.store.views import Refresh, StoredView
from server.sync.merge import MergeInput, merge, missing_ancestors, stored_input
from server.sync.view import build_document


async def refresh(
    db: Database, conn: aiosqlite.Connection, submission_ids: Collection[str], tz: ZoneInfo
) -> list[StoredView]:
    """Merge the submissions' stored revisions again and store their views (inside `conn`'s transaction)."""
    if not submission_ids:
        return []
    owners = await store.owners(conn, submission_ids)
    inputs = await stored_inputs(conn, submission_ids)
    return await merge_views(db, conn, inputs, owners, tz, now_iso())


def refresher(db: Database, tz: ZoneInfo) -> Refresh:
    """`refresh` bound to its database and time zone, for the store functions that are handed one."""
    return functools.partial(refresh, db, tz=tz)


async def stored_inputs(
    conn: aiosqlite.Connection, submission_ids: Collection[str]
) -> dict[str, list[tuple[MergeInput, int]]]:
    """Every stored revision of the submissions as merge input, with its recorded clock offset."""
    rows = await store.revisions_to_merge(conn, submission_ids)
    return {s: [(stored_input(r), r["clock_offset_ms"]) for r in revs] for s, revs in rows.items()}


def _evidence(rev: MergeInput) -> set[str]:
    return {e for a in rev.content.get("answers", ()) for e in a.get("evidence", ())}


async def merge_views(
    db: Database,
    conn: aiosqlite.Connection,
    inputs: dict[str, list[tuple[MergeInput, int]]],
    owners: dict[str, str],
    tz: ZoneInfo,
    updated_at: str,
    new: set[str] = frozenset(),
    ready: Sequence[StoredView] = (),
    previous: dict[str, tuple[str, bytes]] | None = None,
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
    blobs = await store.stored_blobs(conn, evidence)
    # Also for the submissions in `new`: a rebuild empties their derived rows, never their
    # decisions (one created in this transaction simply has none yet).
    reviews = await reviews_store.latest_reviews(conn, list(inputs))
    rows = list(ready)
    for sub_id, revs in inputs.items():
        result = merge(m for m, _ in revs)
        if result.pending:
            result = msgspec.structs.replace(result, pending=missing_ancestors([m for m, _ in revs], result))
        index = None
        if result.view is not None:
            index = await store.checklist_index(db, result.view["checklist"]["id"], result.version, conn)
        offsets = {m.rev_id: off for m, off in revs}
        row = build_document(sub_id, owners[sub_id], result, index, offsets, blobs, tz, updated_at, reviews.get(sub_id))
        before = previous.get(sub_id) if previous else None
        if before is not None:
            same = msgspec.structs.replace(row.doc, updated_at=before[0])
            if msgspec.json.encode(same) == before[1]:
                row = msgspec.structs.replace(row, doc=same)
        rows.append(views.stored_view(row))
    await views.write_views(conn, rows, new)
    return rows


async def rebuild_all(db: Database, tz: ZoneInfo, batch: int = 500) -> int:
    """Recompute every submission's view, document and derived rows from what is recorded.

    The recorded facts are the revisions (with their arrival metadata and released marks), the
    review decisions, the stored blobs and the published checklist versions; everything in
    submission_views, view_evidence, visit_scores, visit_staff and standard_sums is derived from
    them. Closed periods' snapshots are never touched: they are records, not derived.

    One transaction: the derived tables are emptied and refilled (the views replaced row by row),
    so a reader never sees half of a rebuild, and a crash in the middle leaves what was there. A
    submission whose document comes out the same keeps its `updated_at`; every submission is fed
    to its auditor's tablets again (a tablet may hold a copy of a view that needed rebuilding).
    """
    ids = await submissions_store.submission_ids(db)
    async with db.transaction() as conn:
        await views.empty_all(conn)
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            previous = await views.previous_documents(conn, chunk)
            owners = await store.owners(conn, chunk)
            inputs = await stored_inputs(conn, chunk)
            await merge_views(db, conn, inputs, owners, tz, now_iso(), set(chunk), previous=previous)
    return len(ids)
