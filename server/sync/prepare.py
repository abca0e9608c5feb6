"""The CPU half of a push: its revisions decoded and checked, its new visits merged and scored.

This is most of a push's work, and none of it needs the writer: it reads committed state (the
unit and staff rows, stored revision ids and blobs, checklist versions) and produces what the
write transaction needs, the `PushWork`. It runs in a push worker process (`PushWorkers`), so
that pushes are decoded on every core while the one writer writes, or on the event loop itself
for small pushes, a reviewer's correction, a replay, and when `push_workers` is 0.

Inside the transaction the push uses a verdict or a view worked out here only if what it was
worked out from still holds there (`server.sync.push`); otherwise it works it out again.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Generator, Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from checklists.score import ChecklistIndex
from server import pg
from server.db import Database, read_only_connection
from server.integrity.flags import place_of
from server.pg import is_postgres_url
from server.store import integrity as integrity_store
from server.store import policies as policies_store
from server.store import sync as store
from server.store.sync import UnitRow
from server.store.views import StoredView, stored_view
from server.sync.merge import MergeInput, merge
from server.sync.quarantine import Problem, revision_problem
from server.sync.revision import Decoded, Oversized, Undecodable, decode_revision
from server.sync.view import VisitChecks, build_document
from server.workers import WorkerPool

# Pushes with fewer revisions are worked out on the event loop: handing them to a worker costs
# more than the work.
MIN_FOR_WORKERS = 4


class Author(msgspec.Struct, kw_only=True, frozen=True):
    """Who sends the revisions and how they rank in the merge."""

    name: str
    rank: str  # auditor | reviewer
    device_id: str | None
    token_prefix: str
    offset_ms: int  # server time - the device's sent_at; 0 for reviewers


class Checked(msgspec.Struct, kw_only=True, frozen=True, array_like=True):
    """A revision's checks against committed state: what they saw, and the verdict."""

    sha256: str  # of the revision checked
    unit: UnitRow | None
    staff: dict[str, bool]  # of the revision's staff ids, those found, and whether active
    indexed: bool  # whether its checklist version was published
    problem: Problem | None


class NewVisit(msgspec.Struct, kw_only=True, frozen=True, array_like=True):
    """The rows of a visit whose first revision this is, worked out before the transaction."""

    blobs: frozenset[str]  # those of the revision's evidence that were stored
    view: StoredView


class PushWork(msgspec.Struct, kw_only=True, array_like=True):
    revisions: list[Decoded | Undecodable | Oversized]  # in the order sent
    checked: dict[str, Checked]  # rev_id -> checks, of the decoded revisions not stored yet
    new: dict[str, NewVisit]  # rev_id -> rows, of the new visits that passed every check


def merge_input(content: dict, rank: str, released: bool = False) -> MergeInput:
    """A canonical revision as input of the merge."""
    return MergeInput(
        rev_id=content["rev_id"],
        parents=tuple(content["parents"]),
        rank=rank,
        hlc=content.get("hlc"),
        version=content["checklist"]["version"],
        content=content,
        released=released,
    )


def work_out(
    conn: sqlite3.Connection,
    indexes: dict[tuple[str, int], ChecklistIndex],
    raws: Sequence[bytes | dict],
    author: Author,
    tz: ZoneInfo,
    received_at: str,
    views: bool = True,
) -> Generator[None, None, PushWork]:
    """The push's work, yielding after each revision (see `work_here`); `views=False` skips new visits."""
    decoded = []
    for raw in raws:
        decoded.append(decode_revision(raw))
        yield
    work = PushWork(revisions=decoded, checked={}, new={})
    good = [d for d in decoded if isinstance(d, Decoded)]
    if not good:
        return work
    found = store.lookups(
        conn,
        [d.rev_id for d in good],
        (),
        {d.unit_id for d in good},
        {s for d in good for s in d.staff_ids or ()},
        {e for d in good if not d.parents for e in d.evidence},
    )
    rules = policies_store.integrity_rules(conn) if views else None
    calibration = integrity_store.calibration_assignments(
        conn, {d.revision.assignment_id for d in good if d.revision.assignment_id and not d.parents}
    )
    for d in good:
        if d.rev_id in found.known or d.rev_id in work.checked:
            continue
        index = store.checklist_index(conn, indexes, d.checklist_id, d.checklist_version)
        unit = found.units.get(d.unit_id)
        staff = {s: found.staff[s] for s in d.staff_ids or () if s in found.staff}
        problem = revision_problem(d.revision, index, unit, staff, author.device_id)
        work.checked[d.rev_id] = Checked(
            sha256=d.sha256, unit=unit, staff=staff, indexed=index is not None, problem=problem
        )
        if views and problem is None and not d.parents and author.rank == "auditor":
            checks = VisitChecks(rules=rules, unit=place_of(unit), calibration=d.revision.assignment_id in calibration)
            work.new[d.rev_id] = _new_visit(d, author, index, found.blobs, tz, received_at, checks)
        yield
    return work


def _new_visit(
    d: Decoded,
    author: Author,
    index: ChecklistIndex,
    blobs: set[str],
    tz: ZoneInfo,
    received_at: str,
    checks: VisitChecks,
) -> NewVisit:
    given = merge_input(d.canonical, author.rank)
    offsets = {d.rev_id: author.offset_ms}
    row = build_document(
        d.submission_id, author.name, merge([given]), index, offsets, blobs, tz, received_at, checks=checks
    )
    return NewVisit(blobs=frozenset(e for e in d.evidence if e in blobs), view=stored_view(row))


def finish(steps: Generator[None, None, PushWork]) -> PushWork:
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


# On the event loop, one push's work at a time, letting the loop run between revisions: other
# requests, and the writer's thread waiting for the GIL, then wait behind one revision's work,
# not behind every push's batch.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def work_here(
    db: Database,
    raws: Sequence[bytes | dict],
    author: Author,
    tz: ZoneInfo,
    received_at: str,
    views: bool = True,
) -> PushWork:
    """The push's work on the event loop (with the server's read-only connection and index cache)."""
    loop = asyncio.get_running_loop()
    turn = _turns.get(loop)
    if turn is None:
        turn = _turns[loop] = asyncio.Lock()
    steps = db.read_inline(work_out, db.checklist_indexes, raws, author, tz, received_at, views)
    async with turn:
        while True:
            try:
                next(steps)
            except StopIteration as done:
                return done.value
            await asyncio.sleep(0)


# --- in a push worker process -----------------------------------------------------------------

_connections: dict[str, tuple[sqlite3.Connection, dict]] = {}
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(PushWork)


def work_in_worker(store: str, raws: list[bytes], author: Author, tz: ZoneInfo, received_at: str) -> bytes:
    """`work_out` in a worker process, with its own read-only connection; the work as msgpack.

    `store`: the SQLite file's path, or PostgreSQL's URL.

    msgpack of flat structs: decoding it on the event loop costs a few µs per revision, where
    handing over the typed revisions and documents cost more than working them out.
    """
    held = _connections.get(store)
    if held is None:
        held = _connections[store] = (_read_only(store), {})
    conn, indexes = held
    return _encoder.encode(finish(work_out(conn, indexes, raws, author, tz, received_at)))


def _read_only(store: str):
    if is_postgres_url(store):
        return pg.connect(store, read_only=True)
    return read_only_connection(store)


class PushWorkers(WorkerPool):
    """The push worker processes, started at the first push that uses them."""

    def __init__(self, workers: int, store: str | Path) -> None:
        """`store`: the SQLite file, or PostgreSQL's URL."""
        super().__init__(workers)
        self.db_path = store if isinstance(store, str) and is_postgres_url(store) else str(Path(store).resolve())

    async def work(self, raws: list[bytes], author: Author, tz: ZoneInfo, received_at: str) -> PushWork | None:
        """The push's work from a worker; None when the workers are gone (the caller works it out itself)."""
        try:
            data = await self.run(work_in_worker, self.db_path, raws, author, tz, received_at)
        except BrokenProcessPool:
            return None
        work = _decoder.decode(data)
        for d, raw in zip(work.revisions, raws, strict=True):
            if isinstance(d, Decoded):
                d.keep_raw(raw)
        return work
