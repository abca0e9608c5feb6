"""Storing revisions: a tablet's push, a reviewer's correction, a quarantine replay.

One push is one write transaction: every revision is classified (duplicate, rejected,
quarantined or stored), stored ones are inserted with a few `executemany` calls, the views of the
touched submissions are merged again, and the transaction commits before any receipt is sent.
Revisions are processed parents first whatever their order in the request; one bad revision is
quarantined or rejected and never blocks the others.
"""

from __future__ import annotations

import datetime as dt
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
from server.store.views import Told, told, view_documents
from server.sync.prepare import (
    MIN_FOR_WORKERS,
    Author,
    Checked,
    NewVisit,
    PushWork,
    PushWorkers,
    merge_input,
    work_here,
)
from server.sync.quarantine import Problem, cycle_problem, revision_problem
from server.sync.refresh import merge_views, stored_inputs
from server.sync.revision import MAX_REVISION_BYTES, Decoded, Oversized, Undecodable

__all__ = ["Author", "Receipt", "clock_offset_ms", "store_revisions", "store_work"]


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


class _Outcome(msgspec.Struct, kw_only=True):
    index: int
    rev_id: str | None
    submission_id: str | None
    status: str = ""
    problem: Problem | None = None
    evidence: list[str] = []


def clock_offset_ms(sent_at: dt.datetime, now: dt.datetime) -> int:
    """The device's clock offset, `server_time - sent_at`, in milliseconds."""
    return round((now - sent_at).total_seconds() * 1000)


def parents_first(decoded: Sequence[Decoded | Undecodable | Oversized]) -> list[int]:
    """Positions in an order where a revision comes after its parents in the same batch."""
    by_id: dict[str, int] = {}
    for i, d in enumerate(decoded):
        if isinstance(d, Decoded):
            by_id.setdefault(d.rev_id, i)
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
                for parent in d.parents:
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
    workers: PushWorkers | None = None,
) -> list[Receipt]:
    """Classify, store and merge a batch of revisions; answer one receipt per revision, in order.

    `submission_scope`, for a reviewer's correction, is the one submission it may touch.
    `replay_of` is the quarantine entry being replayed (its first arrival's `received_at` kept).
    `workers`, when given, work out a push of several revisions in another process.
    """
    received_at = received_at or iso_utc(utc_now())
    work = None
    if workers is not None and replay_of is None and len(raws) >= MIN_FOR_WORKERS:
        work = await workers.work(list(raws), author, tz, received_at)
    if work is None:
        work = await work_here(db, raws, author, tz, received_at, views=replay_of is None)
    return await store_work(db, work, author, tz, received_at, submission_scope, replay_of)


async def store_work(
    db: Database,
    work: PushWork,
    author: Author,
    tz: ZoneInfo,
    received_at: str,
    submission_scope: str | None = None,
    replay_of: int | None = None,
) -> list[Receipt]:
    """The write half of `store_revisions`: the push's work stored in one job of a group commit.

    What was worked out before the transaction is used only where it still holds inside it.
    """
    decoded = work.revisions
    outcomes = [
        _Outcome(
            index=i,
            rev_id=d.rev_id,
            submission_id=d.submission_id,
            evidence=d.evidence if isinstance(d, Decoded) else [],
        )
        for i, d in enumerate(decoded)
    ]

    async def job(conn: aiosqlite.Connection) -> dict[str, Told]:
        good = [d for d in decoded if isinstance(d, Decoded)]
        found = await store.lookups(
            conn,
            {o.rev_id for o in outcomes if o.rev_id},
            {o.submission_id for o in outcomes if o.submission_id},
            {d.unit_id for d in good},
            {s for d in good for s in d.staff_ids or ()},
            {e for d in good if d.rev_id in work.new for e in d.evidence},
        )
        known, in_quarantine, owners, units, staff = found.known, found.held, found.owners, found.units, found.staff

        new_submissions: list[tuple[str, str, str]] = []
        revision_rows: list[tuple] = []
        evidence_rows: list[tuple[str, str]] = []
        quarantine_rows: list[tuple] = []
        fresh: dict[str, list[Decoded]] = {}  # submission -> revisions stored now
        seen_now: dict[str, str] = {}  # rev_id -> sha256, stored in this batch
        ready: dict[str, NewVisit] = {}  # new submission -> its rows worked out before the transaction
        arrival = await store.next_arrival(db, conn)
        # rev_id -> parents of the stored revisions of the visits this push adds a new child to, and
        # of those it stores: what `cycle_problem` walks.
        parents_of = await store.parents_of(
            conn, {d.submission_id for d in good if d.parents and d.rev_id not in known and d.submission_id in owners}
        )
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
            if isinstance(d, Undecodable):
                problem = Problem(code="invalid_shape", message=d.message, path=d.path or None)
            else:
                checked = work.checked.get(rev_id)
                if checked is not None and _still_holds(checked, d, units, staff):
                    problem = checked.problem  # checked before the transaction against the same rows
                else:
                    index = await store.checklist_index(db, d.checklist_id, d.checklist_version, conn)
                    problem = revision_problem(d.revision, index, units.get(d.unit_id), staff, author.device_id)
                if problem is None and d.parents:
                    # Only here, inside the transaction, are the revisions that could close a cycle all known.
                    problem = cycle_problem(rev_id, d.parents, parents_of)
                visit = work.new.get(rev_id) if owner is None and problem is None else None
                if visit is not None and visit.blobs == {e for e in d.evidence if e in found.blobs}:
                    ready[sub_id] = visit
            if problem is not None and replay_of is not None:
                await store.quarantine_again(conn, replay_of, problem.code, problem.message, problem.path)
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
            revision_rows.append(
                (
                    rev_id,
                    sub_id,
                    sha,
                    d.canonical_json.decode("utf-8"),
                    encode_normalized(d.parents).decode("utf-8"),
                    d.checklist_id,
                    d.checklist_version,
                    d.hlc,
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
            fresh.setdefault(sub_id, []).append(d)
            seen_now[rev_id] = sha
            parents_of[rev_id] = d.parents
            outcome.status = "stored"

        db.next_arrival = arrival
        await store.insert_rows(conn, new_submissions, revision_rows, evidence_rows, quarantine_rows)
        if replay_of is not None and revision_rows:
            await store.mark_replayed(conn, replay_of, iso_utc(utc_now()))
        for row in revision_rows if author.rank == "reviewer" or replay_of is not None else ():
            action = "replay" if replay_of is not None else "correct"
            await audit(conn, author.name, action, "submission", row[1], {"rev_id": row[0], "sha256": row[2]})
        brand_new = {s for s, _, _ in new_submissions}
        # A new visit's rows stand only when its one revision is all that was stored of it.
        ready = {s: v for s, v in ready.items() if s in brand_new and len(fresh[s]) == 1}
        existing = [s for s in fresh if s not in brand_new]
        previous = await stored_inputs(conn, existing) if existing else {}
        inputs = {
            s: previous.get(s, []) + [(merge_input(d.canonical, author.rank), author.offset_ms) for d in revs]
            for s, revs in fresh.items()
            if s not in ready
        }
        views = await merge_views(
            db, conn, inputs, owners, tz, received_at, brand_new, [v.view for v in ready.values()]
        )
        if author.token_prefix and not await store.token_live(conn, author.token_prefix):
            raise ProblemError(401, "token_revoked", "the token or its device was revoked; nothing was stored")
        docs = {v.submission_id: v.told for v in views}
        untouched = {o.submission_id for o in outcomes if o.submission_id and o.submission_id not in docs}
        docs |= {s: told(doc) for s, doc in (await view_documents(conn, untouched)).items()}
        return docs

    # One job of a group commit: committed (with the pushes beside it) before any receipt is built.
    docs = await db.grouped(job)
    return [_receipt(o, docs, author) for o in outcomes]


def _still_holds(checked: Checked, d: Decoded, units: dict, staff: dict[str, bool]) -> bool:
    """Whether these checks were of this revision and saw what the transaction sees (unit, staff, checklist)."""
    if checked.sha256 != d.sha256 or not checked.indexed or units.get(d.unit_id) != checked.unit:
        return False
    return all(staff.get(s) == checked.staff.get(s) for s in d.staff_ids or ())


def _reused(rev_id: str) -> Problem:
    return Problem(
        code="rev_id_reused",
        message=f"revision {rev_id} is already stored with other content; the stored one stays",
        path="rev_id",
    )


def _receipt(outcome: _Outcome, docs: dict[str, Told], author: Author) -> Receipt:
    doc = docs.get(outcome.submission_id) if outcome.submission_id else None
    if doc is not None and author.rank == "auditor" and doc.auditor != author.name:
        doc = None  # another auditor's submission (a `not_owner` receipt): nothing of it is told
    heads = doc.heads if doc else []
    status = outcome.status
    missing_parents: list[str] = []
    problem = outcome.problem
    if status in ("stored", "duplicate") and doc is not None:
        pending = doc.pending
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
        score=doc.visit_score if doc and status not in ("rejected", "quarantined") else None,
        problem=problem,
    )
