"""Storing revisions: a tablet's push, a reviewer's correction, a quarantine replay.

One push is one write transaction: every revision is classified (duplicate, rejected,
quarantined or stored), stored ones are inserted with a few `executemany` calls, the views of the
touched submissions are merged again, and the transaction commits before any receipt is sent.
Revisions are processed parents first whatever their order in the request; one bad revision is
quarantined or rejected and never blocks the others.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import weakref
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import aiosqlite
import msgspec

from checklists.canonical import encode_normalized
from server.clock import iso_utc, utc_now
from server.db import Database
from server.errors import ProblemError
from server.store import sync as store
from server.store.audit import audit
from server.sync.merge import MergeInput, merge
from server.sync.quarantine import Problem, UnitRow, revision_problem
from server.sync.revision import (
    MAX_REVISION_BYTES,
    Decoded,
    Oversized,
    RevisionIn,
    Undecodable,
    decode_revision,
)
from server.sync.view import ViewRow, build_document

# A push's CPU work (decoding, preparing new visits) is done by one push at a time, letting the
# event loop run between revisions: the writer's transaction, whose every statement ends with a
# callback on the loop, then waits behind one revision's work, not behind every push's batch,
# and the single writer stays busy while the pushes behind it are worked on.
YIELD_EVERY = 1
_cpu_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


def _cpu_turn() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    turn = _cpu_turns.get(loop)
    if turn is None:
        turn = _cpu_turns[loop] = asyncio.Lock()
    return turn


class Receipt(msgspec.Struct, kw_only=True, frozen=True):
    """What the server did with one revision (API.md, Sync)."""

    rev_id: str | None
    submission_id: str | None
    status: str  # applied | merged | pending | duplicate | quarantined | rejected
    heads: list[str]
    missing_blobs: list[str]
    missing_parents: list[str]
    score: float | None
    problem: Problem | None


class Author(msgspec.Struct, kw_only=True, frozen=True):
    """Who sends the revisions and how they rank in the merge."""

    name: str
    rank: str  # auditor | reviewer
    device_id: str | None
    token_prefix: str
    offset_ms: int  # server time - the device's sent_at; 0 for reviewers


class _Outcome(msgspec.Struct, kw_only=True):
    index: int
    rev_id: str | None
    submission_id: str | None
    status: str = ""
    problem: Problem | None = None
    evidence: list[str] = []


class Prepared(msgspec.Struct, kw_only=True, frozen=True):
    """A new visit's checks and view, worked out before the write transaction from committed state.

    Used inside the transaction only when what it was built from still holds there: the unit and
    staff rows it was checked against, the stored blobs among its evidence, and the revision being
    the first and only one of a new submission. Only revisions that passed every check are
    prepared (a revision with a problem is checked again inside, where the verdict counts).
    """

    unit: UnitRow
    staff: dict[str, bool]
    evidence: frozenset[str]
    blobs: frozenset[str]  # those of `evidence` that were stored
    row: ViewRow


async def prepare_new_visits(
    db: Database, decoded: Sequence[Decoded | Undecodable | Oversized], author: Author, tz: ZoneInfo, received_at: str
) -> dict[str, Prepared]:
    """rev_id -> Prepared, for the root revisions not stored yet (the common case: a visit sent once).

    The CPU work of a push (checks, merge, scores, the document) happens here, outside the
    writer's lock, so the single writer spends its time writing while other pushes are prepared.
    """
    roots = [d for d in decoded if isinstance(d, Decoded) and not d.canonical["parents"]]
    if not roots or author.rank != "auditor":
        return {}
    found = store.lookups_now(
        db,
        [d.canonical["rev_id"] for d in roots],
        (),
        {d.revision.unit_id for d in roots},
        {s for d in roots for s in d.revision.staff_ids or ()},
    )
    roots = [d for d in roots if d.canonical["rev_id"] not in found.known]
    if not roots:
        return {}
    units, staff = found.units, found.staff
    blobs = store.stored_blobs_now(db, {e for d in roots for e in d.evidence})
    out: dict[str, Prepared] = {}
    async with _cpu_turn():
        for i, d in enumerate(roots):
            if i and i % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            prepared = await _prepare(db, d, author, units, staff, blobs, tz, received_at)
            if prepared is not None:
                out[d.canonical["rev_id"]] = prepared
    return out


async def _prepare(
    db: Database,
    d: Decoded,
    author: Author,
    units: dict[str, UnitRow],
    staff: dict[str, bool],
    blobs: set[str],
    tz: ZoneInfo,
    received_at: str,
) -> Prepared | None:
    """One new visit checked, merged and scored, or None when it has a problem (checked again inside)."""
    content = d.canonical
    ref = d.revision.checklist
    index = await store.checklist_index(db, ref.id, ref.version)
    unit = units.get(d.revision.unit_id)
    used_staff = {s: staff[s] for s in d.revision.staff_ids or () if s in staff}
    if unit is None or revision_problem(d.revision, index, unit, used_staff) is not None:
        return None
    merge_input = _merge_input(content, author.rank)
    row = build_document(
        content["submission_id"],
        author.name,
        merge([merge_input]),
        index,
        {merge_input.rev_id: author.offset_ms},
        blobs,
        tz,
        received_at,
        None,
    )
    evidence = frozenset(d.evidence)
    return Prepared(
        unit=unit, staff=used_staff, evidence=evidence, blobs=frozenset(e for e in evidence if e in blobs), row=row
    )


def _evidence(rev: MergeInput) -> set[str]:
    return {e for a in rev.content.get("answers", ()) for e in a.get("evidence", ())}


def _merge_input(content: dict, rank: str) -> MergeInput:
    return MergeInput(
        rev_id=content["rev_id"],
        parents=tuple(content["parents"]),
        rank=rank,
        hlc=content.get("hlc"),
        version=content["checklist"]["version"],
        content=content,
    )


def clock_offset_ms(sent_at: dt.datetime, now: dt.datetime) -> int:
    """The device's clock offset, `server_time - sent_at`, in milliseconds."""
    return round((now - sent_at).total_seconds() * 1000)


def parents_first(decoded: Sequence[Decoded | Undecodable | Oversized]) -> list[int]:
    """Positions in an order where a revision comes after its parents in the same batch."""
    by_id: dict[str, int] = {}
    for i, d in enumerate(decoded):
        if isinstance(d, Decoded):
            by_id.setdefault(d.canonical["rev_id"], i)
    order: list[int] = []
    state: dict[int, int] = {}  # 1 = visiting, 2 = done
    for start in range(len(decoded)):
        stack = [(start, False)]
        while stack:
            i, expanded = stack.pop()
            if state.get(i) == 2:
                continue
            if expanded:
                state[i] = 2
                order.append(i)
                continue
            if state.get(i) == 1:
                continue  # a cycle: leave it where it stands
            state[i] = 1
            stack.append((i, True))
            d = decoded[i]
            if isinstance(d, Decoded):
                for parent in d.canonical["parents"]:
                    j = by_id.get(parent)
                    if j is not None and state.get(j) is None:
                        stack.append((j, False))
    return order


async def store_revisions(
    db: Database,
    raws: Sequence[bytes | dict],
    author: Author,
    tz: ZoneInfo,
    submission_scope: str | None = None,
    replay_of: int | None = None,
    received_at: str | None = None,
) -> list[Receipt]:
    """Classify, store and merge a batch of revisions; answer one receipt per revision, in order.

    `submission_scope`, for a reviewer's correction, is the one submission it may touch.
    `replay_of` is the quarantine entry being replayed (its first arrival's `received_at` kept).
    """
    decoded = []
    async with _cpu_turn():
        for i, raw in enumerate(raws):
            if i and i % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            decoded.append(decode_revision(raw))
    received_at = received_at or iso_utc(utc_now())
    outcomes = [
        _Outcome(
            index=i,
            rev_id=d.canonical["rev_id"] if isinstance(d, Decoded) else d.rev_id,
            submission_id=d.canonical["submission_id"] if isinstance(d, Decoded) else d.submission_id,
            evidence=d.evidence if isinstance(d, Decoded) else [],
        )
        for i, d in enumerate(decoded)
    ]
    prepared = await prepare_new_visits(db, decoded, author, tz, received_at) if replay_of is None else {}

    async def job(conn: aiosqlite.Connection) -> dict:
        good = [d.revision for d in decoded if isinstance(d, Decoded)]
        found = await store.lookups(
            conn,
            {o.rev_id for o in outcomes if o.rev_id},
            {o.submission_id for o in outcomes if o.submission_id},
            {r.unit_id for r in good},
            {s for r in good for s in r.staff_ids or ()},
        )
        known, in_quarantine, owners, units, staff = found.known, found.held, found.owners, found.units, found.staff

        new_submissions: list[tuple[str, str, str]] = []
        revision_rows: list[tuple] = []
        evidence_rows: list[tuple[str, str]] = []
        quarantine_rows: list[tuple] = []
        fresh: dict[str, list[tuple[MergeInput, int]]] = {}  # submission -> revisions stored now
        seen_now: dict[str, str] = {}  # rev_id -> sha256, stored in this batch
        ready_rows: dict[str, Prepared] = {}  # new submission -> its view prepared before the transaction
        arrival = await store.next_arrival(db, conn)
        for i in parents_first(decoded):
            d, outcome = decoded[i], outcomes[i]
            rev_id, sub_id = outcome.rev_id, outcome.submission_id
            if isinstance(d, Oversized):
                outcome.status = "rejected"
                outcome.problem = Problem(
                    code="revision_too_large",
                    message=f"the revision is {d.size:,} bytes; at most {MAX_REVISION_BYTES:,} are accepted",
                    path=None,
                )
                continue
            if rev_id is None:
                outcome.status = "rejected"
                outcome.problem = Problem(
                    code="unidentifiable",
                    message="the revision has no usable rev_id: " + (d.message if isinstance(d, Undecodable) else ""),
                    path="rev_id",
                )
                continue
            sha = d.sha256
            stored = known.get(rev_id)
            earlier = seen_now.get(rev_id)
            held = in_quarantine.get(rev_id) if replay_of is None else None
            if author.rank == "auditor" and (
                (stored is not None and owners.get(stored[1]) != author.name)
                or (held is not None and held["author"] != author.name)
            ):
                # Another auditor's revision id: tell nothing of it (not its submission, heads or score).
                outcome.status = "rejected"
                outcome.problem = _reused(rev_id)
                continue
            if stored is not None or earlier is not None:
                same = (stored[0] if stored else earlier) == sha
                outcome.status = "duplicate" if same else "rejected"
                if stored:
                    outcome.submission_id = stored[1]
                if not same:
                    outcome.problem = _reused(rev_id)
                continue
            if held is not None:
                if held["sha256"] == sha:
                    outcome.status = "quarantined"
                    outcome.problem = Problem(code=held["code"], message=held["reason"], path=held["path"])
                else:
                    outcome.status = "rejected"
                    outcome.problem = _reused(rev_id)
                continue
            if submission_scope is not None and sub_id != submission_scope:
                outcome.status = "rejected"
                outcome.problem = Problem(
                    code="wrong_submission", message="the revision names another submission", path="submission_id"
                )
                continue
            owner = owners.get(sub_id) if sub_id else None
            if owner is not None and owner != author.name and author.rank == "auditor":
                outcome.status = "rejected"
                outcome.problem = Problem(
                    code="not_owner", message="this submission belongs to another auditor", path="submission_id"
                )
                continue
            ready = prepared.get(rev_id) if owner is None else None
            if ready is not None and not _still_holds(ready, d.revision, units, staff):
                ready = None
            if isinstance(d, Undecodable):
                problem = Problem(code="invalid_shape", message=d.message, path=d.path or None)
            elif ready is not None:
                problem = None  # checked before the transaction against the same unit and staff rows
            else:
                ref = d.revision.checklist
                index = await store.checklist_index(db, ref.id, ref.version, conn)
                problem = revision_problem(d.revision, index, units.get(d.revision.unit_id), staff)
            if problem is not None and replay_of is not None:
                await conn.execute(
                    "UPDATE quarantine SET code = ?, reason = ?, path = ? WHERE id = ?",
                    (problem.code, problem.message, problem.path, replay_of),
                )
                outcome.status = "quarantined"
                outcome.problem = problem
                continue
            if problem is not None:
                raw_text = d.raw if isinstance(d, Undecodable) else d.canonical_json.decode("utf-8")
                quarantine_rows.append(
                    (
                        rev_id,
                        sub_id,
                        sha,
                        raw_text,
                        author.rank,
                        author.name,
                        author.device_id,
                        received_at,
                        author.offset_ms,
                        problem.code,
                        problem.message,
                        problem.path,
                    )
                )
                in_quarantine[rev_id] = {
                    "sha256": sha,
                    "code": problem.code,
                    "reason": problem.message,
                    "path": problem.path,
                    "author": author.name,
                }
                outcome.status = "quarantined"
                outcome.problem = problem
                continue
            if owner is None:
                if author.rank != "auditor":
                    outcome.status = "rejected"
                    outcome.problem = Problem(code="not_found", message="no such submission", path="submission_id")
                    continue
                owners[sub_id] = author.name
                new_submissions.append((sub_id, author.name, received_at))
            if ready is not None:
                ready_rows[sub_id] = ready
            content = d.canonical
            revision_rows.append(
                (
                    rev_id,
                    sub_id,
                    sha,
                    d.canonical_json.decode("utf-8"),
                    encode_normalized(content["parents"]).decode("utf-8"),
                    content["checklist"]["id"],
                    content["checklist"]["version"],
                    content.get("hlc"),
                    author.rank,
                    author.name,
                    author.device_id,
                    received_at,
                    author.offset_ms,
                    arrival,
                )
            )
            arrival += 1
            evidence_rows += [(e, sub_id) for e in outcome.evidence]
            fresh.setdefault(sub_id, []).append((_merge_input(content, author.rank), author.offset_ms))
            seen_now[rev_id] = sha
            outcome.status = "stored"

        db.next_arrival = arrival
        await store.insert_rows(conn, new_submissions, revision_rows, evidence_rows, quarantine_rows)
        if replay_of is not None and revision_rows:
            await conn.execute("UPDATE quarantine SET released_at = ? WHERE id = ?", (iso_utc(utc_now()), replay_of))
        for row in revision_rows if author.rank == "reviewer" or replay_of is not None else ():
            action = "replay" if replay_of is not None else "correct"
            await audit(conn, author.name, action, "submission", row[1], {"rev_id": row[0], "sha256": row[2]})
        brand_new = {s for s, _, _ in new_submissions}
        existing = [s for s in fresh if s not in brand_new]
        previous = await store.merge_inputs(conn, existing) if existing else {}
        inputs = {s: previous.get(s, []) + revs for s, revs in fresh.items()}
        views = await rebuild_views(
            db,
            conn,
            inputs,
            owners,
            tz,
            received_at,
            brand_new,
            {s: ready_rows[s] for s in brand_new if s in ready_rows and len(fresh[s]) == 1},
        )
        if author.token_prefix and not await store.token_live(conn, author.token_prefix):
            raise ProblemError(401, "token_revoked", "the token or its device was revoked; nothing was stored")
        docs = {v.doc.submission_id: v.doc for v in views}
        untouched = {o.submission_id for o in outcomes if o.submission_id and o.submission_id not in docs}
        docs |= await store.view_documents(conn, untouched)
        return docs

    # One job of a group commit: committed (with the pushes beside it) before any receipt is built.
    docs = await db.grouped(job)
    return [_receipt(o, docs, author) for o in outcomes]


async def rebuild_views(
    db: Database,
    conn: aiosqlite.Connection,
    inputs: dict[str, list[tuple[MergeInput, int]]],
    owners: dict[str, str],
    tz: ZoneInfo,
    updated_at: str,
    new: set[str] = frozenset(),
    ready: dict[str, Prepared] | None = None,
) -> list[ViewRow]:
    """Merge each submission's revisions again and store its view and document.

    `new`: the submissions created in this transaction; `ready`: views of new submissions built
    before the transaction, with the stored blobs they saw (used when those are still the ones).
    """
    if not inputs:
        return []
    evidence = {e for s, revs in inputs.items() if not (ready and s in ready) for m, _ in revs for e in _evidence(m)}
    evidence |= {e for prepared in (ready or {}).values() for e in prepared.evidence}
    blobs = await store.stored_blobs(conn, evidence)
    reviews = await store.latest_reviews(conn, [s for s in inputs if s not in new])
    rows = []
    for sub_id, revs in inputs.items():
        prepared = ready.get(sub_id) if ready else None
        if prepared is not None and prepared.blobs == prepared.evidence & blobs:
            rows.append(prepared.row)
            continue
        result = merge(m for m, _ in revs)
        index = None
        if result.view is not None:
            index = await store.checklist_index(db, result.view["checklist"]["id"], result.version, conn)
        offsets = {m.rev_id: off for m, off in revs}
        rows.append(
            build_document(sub_id, owners[sub_id], result, index, offsets, blobs, tz, updated_at, reviews.get(sub_id))
        )
    await store.write_views(conn, rows, new)
    return rows


def _still_holds(ready: Prepared, revision: RevisionIn, units: dict, staff: dict[str, bool]) -> bool:
    """Whether the unit and staff rows a prepared revision was checked against are still the same."""
    if units.get(revision.unit_id) != ready.unit:
        return False
    return all(staff.get(s) == ready.staff.get(s) for s in revision.staff_ids or ())


def _reused(rev_id: str) -> Problem:
    return Problem(
        code="rev_id_reused",
        message=f"revision {rev_id} is already stored with other content; the stored one stays",
        path="rev_id",
    )


def _receipt(outcome: _Outcome, docs: dict, author: Author) -> Receipt:
    doc = docs.get(outcome.submission_id) if outcome.submission_id else None
    if doc is not None and author.rank == "auditor" and doc.auditor != author.name:
        doc = None  # another auditor's submission (a `not_owner` receipt): nothing of it is told
    heads = doc.heads if doc else []
    status = outcome.status
    missing_parents: list[str] = []
    problem = outcome.problem
    if status in ("stored", "duplicate") and doc is not None:
        pending = {p.rev_id: p.missing_parents for p in doc.pending}
        if status == "stored":
            if outcome.rev_id in pending:
                status = "pending"
                missing_parents = pending[outcome.rev_id]
            else:
                status = "merged" if len(heads) > 1 else "applied"
                if outcome.rev_id in doc.checklist_changed:
                    problem = Problem(
                        code="checklist_changed",
                        message="the revision names another checklist version than the visit's first revision; "
                        "it is kept but left out of the merge (a new version is a new submission)",
                        path="checklist",
                    )
        elif outcome.rev_id in pending:
            missing_parents = pending[outcome.rev_id]
    missing_blobs = [e for e in outcome.evidence if doc is not None and e in doc.missing_blobs]
    return Receipt(
        rev_id=outcome.rev_id,
        submission_id=outcome.submission_id,
        status=status,
        heads=heads,
        missing_blobs=missing_blobs,
        missing_parents=missing_parents,
        score=doc.scores.visit if doc and doc.scores and status not in ("rejected", "quarantined") else None,
        problem=problem,
    )
