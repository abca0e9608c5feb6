"""Storing revisions: a tablet's push, a reviewer's correction, a quarantine replay.

One push is one write transaction: every revision is classified (duplicate, rejected,
quarantined or stored), stored ones are inserted with a few `executemany` calls, the views of the
touched submissions are merged again, and the transaction commits before any receipt is sent.
Revisions are processed parents first whatever their order in the request; one bad revision is
quarantined or rejected and never blocks the others.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import msgspec

from checklists.canonical import encode_normalized
from checklists.score import ChecklistIndex
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

__all__ = ["Author", "Receipt", "clock_offset_ms", "store_revisions", "store_work", "write_work"]


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


# --- read → decide → write ------------------------------------------------------------------------
#
# A push's job in the writer: `read` what the transaction sees of the revisions (stored ids,
# quarantine, owners, units, staff, blobs, parents, checklist versions), `classify` every revision
# against it (pure: no I/O), and `write` the plan. Table tests of `classify` need no database.


class Seen(msgspec.Struct, kw_only=True):
    """What the write transaction read for a push: the input of `classify`."""

    found: store.Lookups
    parents_of: dict[str, list[str]]  # rev_id -> parents, of the visits the push adds a child to
    indexes: dict[tuple[str, int], ChecklistIndex | None]  # of the checklist versions the revisions name
    arrival: int  # the next revision arrival number


class Stored(msgspec.Struct, frozen=True, tag=True):
    """The revision is stored (its receipt says applied, merged or pending once merged)."""


class Duplicate(msgspec.Struct, frozen=True, tag=True):
    """The same revision is already stored (or earlier in this push)."""

    submission_id: str | None  # of the stored one (None: earlier in this push, the named one)


class Quarantined(msgspec.Struct, frozen=True, tag=True):
    problem: Problem


class Rejected(msgspec.Struct, frozen=True, tag=True):
    problem: Problem
    submission_id: str | None = None  # of the stored revision it collides with, if any


Verdict = Stored | Duplicate | Quarantined | Rejected


class Plan(msgspec.Struct, kw_only=True):
    """What a push writes: `classify`'s answer, applied by `write_plan`."""

    verdicts: list[Verdict]  # one per revision, in the order sent
    new_submissions: list[tuple[str, str, str]] = []  # (submission_id, auditor, created_at)
    revisions: list[tuple] = []  # store.REVISION_COLUMNS
    evidence: list[tuple[str, str]] = []  # (sha256, submission_id)
    quarantine: list[tuple] = []  # store.QUARANTINE_COLUMNS
    requarantine: Problem | None = None  # a replayed entry still unusable: why, now
    fresh: dict[str, list[Decoded]] = {}  # submission -> its revisions stored now
    ready: dict[str, NewVisit] = {}  # new visit -> its rows worked out before the transaction, still good
    owners: dict[str, str] = {}  # submission -> auditor, with the new visits
    next_arrival: int = 0


def read(c: sqlite3.Connection, cache: dict[tuple[str, int], ChecklistIndex], work: PushWork, arrival: int) -> Seen:
    """What the transaction sees of the push's revisions (`arrival`: the next revision arrival number)."""
    decoded = work.revisions
    good = [d for d in decoded if isinstance(d, Decoded)]
    found = store.lookups(
        c,
        {d.rev_id for d in decoded if d.rev_id},
        {d.submission_id for d in decoded if d.submission_id},
        {d.unit_id for d in good},
        {s for d in good for s in d.staff_ids or ()},
        {e for d in good if d.rev_id in work.new for e in d.evidence},
    )
    # rev_id -> parents of the stored revisions of the visits this push adds a new child to: what
    # `cycle_problem` walks.
    parents = store.parents_of(
        c,
        {
            d.submission_id
            for d in good
            if d.parents and d.rev_id not in found.known and d.submission_id in found.owners
        },
    )
    indexes = {
        key: store.checklist_index(c, cache, *key)
        for key in {(d.checklist_id, d.checklist_version) for d in good if d.rev_id not in found.known}
    }
    return Seen(found=found, parents_of=parents, indexes=indexes, arrival=arrival)


def classify(
    work: PushWork,
    seen: Seen,
    author: Author,
    received_at: str,
    submission_scope: str | None = None,
    replay_of: int | None = None,
) -> Plan:
    """Every revision's verdict and the rows to write, from what the transaction read (no I/O).

    Revisions are taken parents first whatever their order in the push; each sees what the ones
    before it in this push were given (a stored parent, a quarantined twin, a new visit's owner).
    """
    decoded = work.revisions
    found = seen.found
    known, units, staff = found.known, found.units, found.staff
    held_now = dict(found.held) if replay_of is None else {}
    owners = dict(found.owners)
    parents_of = dict(seen.parents_of)
    plan = Plan(verdicts=[Stored()] * len(decoded), owners=owners)
    seen_now: dict[str, str] = {}  # rev_id -> sha256, stored in this push
    candidates: dict[str, NewVisit] = {}
    arrival = seen.arrival
    for i in parents_first(decoded):
        d = decoded[i]
        verdict = _verdict(d, author, known, seen_now, held_now, owners, submission_scope)
        if verdict is not None:
            plan.verdicts[i] = verdict
            continue
        rev_id, sub_id, sha = d.rev_id, d.submission_id, d.sha256
        owner = owners.get(sub_id) if sub_id else None
        if isinstance(d, Undecodable):
            problem = Problem(code="invalid_shape", message=d.message, path=d.path or None)
        else:
            checked = work.checked.get(rev_id)
            if checked is not None and _still_holds(checked, d, units, staff):
                problem = checked.problem  # checked before the transaction against the same rows
            else:
                index = seen.indexes.get((d.checklist_id, d.checklist_version))
                problem = revision_problem(d.revision, index, units.get(d.unit_id), staff, author.device_id)
            if problem is None and d.parents:
                # Only here, inside the transaction, are the revisions that could close a cycle all known.
                problem = cycle_problem(rev_id, d.parents, parents_of)
            visit = work.new.get(rev_id) if owner is None and problem is None else None
            if visit is not None and visit.blobs == {e for e in d.evidence if e in found.blobs}:
                candidates[sub_id] = visit
        if problem is not None:
            plan.verdicts[i] = Quarantined(problem)
            if replay_of is not None:
                plan.requarantine = problem
                continue
            raw_text = d.raw if isinstance(d, Undecodable) else d.canonical_json.decode("utf-8")
            plan.quarantine.append(
                (rev_id, sub_id, sha, raw_text, author.rank, author.name, author.device_id, received_at)
                + (author.offset_ms, problem.code, problem.message, problem.path)
            )
            held_now[rev_id] = {
                "sha256": sha,
                "code": problem.code,
                "reason": problem.message,
                "path": problem.path,
                "author": author.name,
            }
            continue
        if owner is None:
            if author.rank != "auditor":
                plan.verdicts[i] = Rejected(
                    Problem(code="not_found", message="no such submission", path="submission_id")
                )
                continue
            owners[sub_id] = author.name
            plan.new_submissions.append((sub_id, author.name, received_at))
        plan.revisions.append(
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
        plan.evidence += [(e, sub_id) for e in d.evidence]
        plan.fresh.setdefault(sub_id, []).append(d)
        seen_now[rev_id] = sha
        parents_of[rev_id] = d.parents
    brand_new = {s for s, _, _ in plan.new_submissions}
    # A new visit's rows stand only when its one revision is all that was stored of it.
    plan.ready = {s: v for s, v in candidates.items() if s in brand_new and len(plan.fresh[s]) == 1}
    plan.next_arrival = arrival
    return plan


def _verdict(
    d: Decoded | Undecodable | Oversized,
    author: Author,
    known: dict[str, tuple[str, str]],
    seen_now: dict[str, str],
    held: dict,
    owners: dict[str, str],
    submission_scope: str | None,
) -> Verdict | None:
    """The verdict that needs no checks of the revision's content, or None when it must be checked."""
    if isinstance(d, Oversized):
        return Rejected(
            Problem(
                code="revision_too_large",
                message=f"the revision is {d.size:,} bytes; at most {MAX_REVISION_BYTES:,} are accepted",
                path=None,
            )
        )
    rev_id, sub_id = d.rev_id, d.submission_id
    if rev_id is None:
        message = "the revision has no usable rev_id: " + (d.message if isinstance(d, Undecodable) else "")
        return Rejected(Problem(code="unidentifiable", message=message, path="rev_id"))
    stored = known.get(rev_id)
    earlier = seen_now.get(rev_id)
    in_quarantine = held.get(rev_id)
    if author.rank == "auditor" and (
        (stored is not None and owners.get(stored[1]) != author.name)
        or (in_quarantine is not None and in_quarantine["author"] != author.name)
    ):
        # Another auditor's revision id: tell nothing of it (not its submission, heads or score).
        return Rejected(_reused(rev_id))
    if stored is not None or earlier is not None:
        stored_in = stored[1] if stored else None
        if (stored[0] if stored else earlier) == d.sha256:
            return Duplicate(stored_in)
        return Rejected(_reused(rev_id), stored_in)
    if in_quarantine is not None:
        if in_quarantine["sha256"] == d.sha256:
            return Quarantined(
                Problem(code=in_quarantine["code"], message=in_quarantine["reason"], path=in_quarantine["path"])
            )
        return Rejected(_reused(rev_id))
    if submission_scope is not None and sub_id != submission_scope:
        return Rejected(
            Problem(code="wrong_submission", message="the revision names another submission", path="submission_id")
        )
    owner = owners.get(sub_id) if sub_id else None
    if owner is not None and owner != author.name and author.rank == "auditor":
        return Rejected(
            Problem(code="not_owner", message="this submission belongs to another auditor", path="submission_id")
        )
    return None


def write_plan(
    c: sqlite3.Connection,
    cache: dict[tuple[str, int], ChecklistIndex],
    work: PushWork,
    plan: Plan,
    author: Author,
    tz: ZoneInfo,
    received_at: str,
    replay_of: int | None,
) -> dict[str, Told]:
    """Write the plan and merge the touched visits again; what each named submission's receipt tells."""
    store.insert_rows(c, plan.new_submissions, plan.revisions, plan.evidence, plan.quarantine)
    if replay_of is not None and plan.requarantine is not None:
        p = plan.requarantine
        store.quarantine_again(c, replay_of, p.code, p.message, p.path)
    if replay_of is not None and plan.revisions:
        store.mark_replayed(c, replay_of, iso_utc(utc_now()))
    for row in plan.revisions if author.rank == "reviewer" or replay_of is not None else ():
        action = "replay" if replay_of is not None else "correct"
        audit(c, author.name, action, "submission", row[1], {"rev_id": row[0], "sha256": row[2]})
    brand_new = {s for s, _, _ in plan.new_submissions}
    existing = [s for s in plan.fresh if s not in brand_new]
    previous = stored_inputs(c, existing) if existing else {}
    inputs = {
        s: previous.get(s, []) + [(merge_input(d.canonical, author.rank), author.offset_ms) for d in revs]
        for s, revs in plan.fresh.items()
        if s not in plan.ready
    }
    views = merge_views(
        c, cache, inputs, plan.owners, tz, received_at, brand_new, [v.view for v in plan.ready.values()]
    )
    if author.token_prefix and not store.token_live(c, author.token_prefix):
        raise ProblemError(401, "token_revoked", "the token or its device was revoked; nothing was stored")
    docs = {v.submission_id: v.told for v in views}
    named = {_named(d, v) for d, v in zip(work.revisions, plan.verdicts, strict=True)}
    untouched = {s for s in named if s and s not in docs}
    docs |= {s: told(doc) for s, doc in view_documents(c, untouched).items()}
    return docs


def _named(d: Decoded | Undecodable | Oversized, verdict: Verdict) -> str | None:
    """The submission a revision's receipt names: the stored revision's, or the one it names."""
    match verdict:
        case Duplicate(submission_id=sub) | Rejected(submission_id=sub) if sub is not None:
            return sub
    return d.submission_id


async def store_work(
    db: Database,
    work: PushWork,
    author: Author,
    tz: ZoneInfo,
    received_at: str,
    submission_scope: str | None = None,
    replay_of: int | None = None,
) -> list[Receipt]:
    """The write half of `store_revisions`: read, classify and write, as one write of a group commit.

    What was worked out before the transaction is used only where it still holds inside it.
    The receipts are built once the write committed (with the pushes beside it).
    """
    plan, docs = await db.write(write_work, db, work, author, tz, received_at, submission_scope, replay_of)
    return [_receipt(d, verdict, docs, author) for d, verdict in zip(work.revisions, plan.verdicts, strict=True)]


def write_work(
    c: sqlite3.Connection,
    db: Database,
    work: PushWork,
    author: Author,
    tz: ZoneInfo,
    received_at: str,
    submission_scope: str | None = None,
    replay_of: int | None = None,
) -> tuple[Plan, dict[str, Told]]:
    """Read, classify and write a push's work inside the caller's write transaction (`c`).

    `store_work` runs it as a write of its own; an appeal's decision runs it inside the write that
    records the decision. Answers the plan (each revision's verdict) and what the receipts tell.
    """
    if db.next_arrival is None:
        db.next_arrival = store.next_arrival(c)
    seen = read(c, db.checklist_indexes, work, db.next_arrival)
    plan = classify(work, seen, author, received_at, submission_scope, replay_of)
    db.next_arrival = plan.next_arrival
    return plan, write_plan(c, db.checklist_indexes, work, plan, author, tz, received_at, replay_of)


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


def _receipt(d: Decoded | Undecodable | Oversized, verdict: Verdict, docs: dict[str, Told], author: Author) -> Receipt:
    """A revision's receipt: its verdict, told with its submission's document as committed."""
    sub_id = _named(d, verdict)
    doc = docs.get(sub_id) if sub_id else None
    if doc is not None and author.rank == "auditor" and doc.auditor != author.name:
        doc = None  # another auditor's submission (a `not_owner` receipt): nothing of it is told
    heads = doc.heads if doc else []
    pending = doc.pending if doc else {}
    missing_parents: list[str] = []
    problem = None
    match verdict:
        case Stored() if doc is not None and d.rev_id in pending:
            status, missing_parents = "pending", pending[d.rev_id]
        case Stored():
            status = "merged" if len(heads) > 1 else "applied"
            if doc is not None and d.rev_id in doc.checklist_changed:
                problem = Problem(
                    code="checklist_changed",
                    message="the revision names another checklist version than the visit's first revision; "
                    "it is kept but left out of the merge (a new version is a new submission)",
                    path="checklist",
                )
        case Duplicate():
            status = "duplicate"
            if doc is not None and d.rev_id in pending:
                missing_parents = pending[d.rev_id]
        case Quarantined(problem=problem):
            status = "quarantined"
        case Rejected(problem=problem):
            status = "rejected"
    evidence = d.evidence if isinstance(d, Decoded) else []
    return Receipt(
        rev_id=d.rev_id,
        submission_id=sub_id,
        status=status,
        heads=heads,
        missing_blobs=[e for e in evidence if doc is not None and e in doc.missing_blobs],
        missing_parents=missing_parents,
        score=doc.visit_score if doc and status not in ("rejected", "quarantined") else None,
        problem=problem,
    )
