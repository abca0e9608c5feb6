"""Push workers: the CPU half of a push worked out in another process stores exactly what the
event loop would, checks are made again where the directory changed in between, and the server
goes on when a worker dies."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sqlite3
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec
import pytest

from server.db import Database
from server.sync.prepare import MIN_FOR_WORKERS, Author, PushWorkers, work_here
from server.sync.push import classify, read, store_revisions, store_work
from tests.conftest import make_user, open_store
from tests.tablet import PASSING, Tablet

TZ = ZoneInfo("Asia/Almaty")
RECEIVED = "2026-10-20T08:00:00.000Z"
PHOTO = "ab" * 32
UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
TABLES = {
    "revisions": "rev_id",
    "submissions": "submission_id",
    "submission_views": "submission_id",
    "visit_scores": "submission_id",
    "visit_staff": "submission_id, staff_id",
    "view_evidence": "submission_id, sha256",
    "revision_evidence": "submission_id, sha256",
    "quarantine": "rev_id",
    "changes": "seq",
    "dirty_groups": "period, counted, unit_id",
}


@pytest.fixture
def world(client, admin, example_checklist, settings, tmp_path):
    """An organisation with one stored visit, copied into two database files."""
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/units/U2", json=UNIT, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    client.put("/v1/staff/E2", json={"name": "Иванова Мария", "unit_id": "U1", "active": False}, headers=admin)
    tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
    stored = tablet.revision()
    assert tablet.push(client, [stored])[0]["status"] == "applied"
    copies = []
    for name in ("workers", "here"):
        target = tmp_path / f"{name}.sqlite3"
        with open_store(settings) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        copies.append(target)
    return tablet, stored, copies


def _batch(tablet: Tablet, stored: dict) -> list[bytes]:
    """Every kind of revision a push can hold, as the tablet sends them."""
    root = tablet.revision(state="draft")
    with_photo = tablet.revision()
    with_photo["answers"].append({"item": "CLEAN.2", "evidence": [PHOTO]})
    bad_answer = tablet.revision()
    bad_answer["answers"] = list(reversed(bad_answer["answers"]))  # paths name the order sent
    bad_answer["answers"][2]["value"] = "not a number"
    revisions = [
        tablet.revision(),
        tablet.revision(answers=PASSING | {"PAY.1": True}),
        with_photo,
        root,
        tablet.edit(root, state="submitted"),
        tablet.edit(stored, answers=PASSING | {"GREET.2": 2}),
        stored,
        stored | {"answers": []},
        tablet.revision(parents=[str(uuid.uuid4())]),
        tablet.revision(unit_id="NOPE"),
        tablet.revision(staff_ids=["E1", "E2"]),
        bad_answer,
        {"hello": "tablet"},
        tablet.revision(app_build="7.1"),
    ]
    raws = [msgspec.json.encode(r) for r in revisions]
    raws.insert(3, b'{"rev_id": "' + str(uuid.uuid4()).encode() + b'", "padding": "' + b"x" * 1_100_000 + b'"}')
    return raws


def _author(tablet: Tablet) -> Author:
    return Author(name="aigerim", rank="auditor", device_id=tablet.device_id, token_prefix="", offset_ms=1500)


def _rows(path: Path) -> dict[str, list]:
    with sqlite3.connect(path) as db:
        return {t: db.execute(f"SELECT * FROM {t} ORDER BY {key}").fetchall() for t, key in TABLES.items()}


async def _store(path: Path, raws: list[bytes], author: Author, workers: PushWorkers | None) -> list:
    db = await Database.open(path)
    try:
        return await store_revisions(db, raws, author, TZ, received_at=RECEIVED, workers=workers)
    finally:
        await db.close()
        if workers is not None:
            workers.close()


def test_workers_store_exactly_what_the_event_loop_stores(world):
    tablet, stored, (with_workers, here) = world
    raws = _batch(tablet, stored)
    assert len(raws) >= MIN_FOR_WORKERS
    by_workers = asyncio.run(_store(with_workers, raws, _author(tablet), PushWorkers(1, with_workers)))
    on_loop = asyncio.run(_store(here, raws, _author(tablet), None))
    assert by_workers == on_loop
    statuses = [r.status for r in on_loop]
    assert statuses == [
        "applied",
        "applied",
        "applied",
        "rejected",  # over 1 MiB
        "applied",  # the draft root, then its child
        "applied",
        "applied",  # an edit of the stored visit
        "duplicate",
        "rejected",  # the stored rev_id with other content
        "pending",
        "quarantined",
        "quarantined",
        "quarantined",
        "rejected",  # no rev_id
        "applied",  # an unknown field is kept
    ]
    problems = {r.problem.code: r.problem.path for r in on_loop if r.problem}
    assert problems["unknown_unit"] == "unit_id"
    assert problems["inactive_staff"] == "staff_ids[1]"
    assert problems["invalid_answer"] == "answers[2].value"
    assert on_loop[2].missing_blobs == [PHOTO]
    assert _rows(with_workers) == _rows(here)


def test_a_check_is_made_again_when_the_directory_changed_in_between(world):
    """Worked out against committed rows; stored after the unit was closed and a person left."""
    tablet, _, (path, _) = world
    visits = [tablet.revision(), tablet.revision(unit_id="U2"), tablet.revision(staff_ids=["E1"])]
    visits[2]["answers"] = list(reversed(visits[2]["answers"]))
    raws = [msgspec.json.encode(v) for v in visits] * 2  # resent in the same push
    author = _author(tablet)

    async def run() -> list:
        db = await Database.open(path)
        workers = PushWorkers(1, path)
        try:
            work = await workers.work(raws, author, TZ, RECEIVED)
            assert work is not None and len(work.new) == 3  # all passed against what was committed
            await db.write(lambda c: c.execute("UPDATE units SET active = 0 WHERE unit_id = 'U2'"))
            await db.write(lambda c: c.execute("UPDATE staff SET active = 0 WHERE staff_id = 'E1'"))
            return await store_work(db, work, author, TZ, RECEIVED)
        finally:
            workers.close()
            await db.close()

    receipts = asyncio.run(run())
    assert [r.status for r in receipts] == ["quarantined"] * 3 + ["quarantined"] * 3
    assert [r.problem.code for r in receipts[:3]] == ["inactive_staff", "inactive_unit", "inactive_staff"]
    assert receipts[2].problem.path == "staff_ids[0]"
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 3
        assert db.execute("SELECT count(*) FROM submission_views").fetchone()[0] == 1  # the visit stored before


def test_work_on_the_event_loop_is_the_same_work(world):
    """`work_here` (small pushes, replays, corrections) and a worker produce the same PushWork."""
    tablet, stored, (path, _) = world
    raws = [r for r in _batch(tablet, stored) if len(r) < 100_000]
    author = _author(tablet)

    async def run():
        db = await Database.open(path)
        workers = PushWorkers(1, path)
        try:
            return await workers.work(raws, author, TZ, RECEIVED), await work_here(db, raws, author, TZ, RECEIVED)
        finally:
            workers.close()
            await db.close()

    there, here = asyncio.run(run())
    encode = msgspec.msgpack.encode
    assert encode(there) == encode(here)


def test_a_killed_worker_costs_no_push(world):
    """The push that finds its worker gone is worked out on the event loop; the next get new workers."""
    tablet, _, (path, _) = world
    author = _author(tablet)

    async def run() -> list[list[str]]:
        db = await Database.open(path)
        workers = PushWorkers(1, path)
        statuses = []
        others = set(multiprocessing.active_children())
        try:
            for kill in (False, True, False, False):
                if kill:
                    (worker,) = set(multiprocessing.active_children()) - others
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.join()
                raws = [msgspec.json.encode(tablet.revision()) for _ in range(MIN_FOR_WORKERS)]
                receipts = await store_revisions(db, raws, author, TZ, workers=workers)
                statuses.append([r.status for r in receipts])
                assert workers.running() == (not kill)  # after a kill: gone until the next push
            return statuses
        finally:
            workers.close()
            await db.close()

    assert asyncio.run(run()) == [["applied"] * MIN_FOR_WORKERS] * 4
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM submission_views").fetchone()[0] == 1 + 4 * MIN_FOR_WORKERS


def test_the_setting_is_read_from_the_environment():
    from server.settings import Settings, default_push_workers, settings_from_env

    assert settings_from_env({"TEKSERU_PUSH_WORKERS": "0"}).push_workers == 0
    assert settings_from_env({"TEKSERU_PUSH_WORKERS": "3"}).push_workers == 3
    assert Settings().push_workers == default_push_workers()
    assert [default_push_workers(n) for n in (1, 2, 3, 8, 64)] == [1, 1, 2, 4, 4]


def test_the_one_revision_fast_path_stores_what_the_general_merge_stores(world):
    """A new visit's rows worked out before the transaction equal the rows the merge makes of its revision."""
    tablet, _, (fast, general) = world
    failing = tablet.revision(answers=PASSING | {"GREET.1": False, "QUEUE.1": 900})
    with_photo = tablet.revision(staff_ids=["E1"])
    with_photo["answers"].append({"item": "CLEAN.2", "evidence": [PHOTO]})
    visits = [tablet.revision(), failing, with_photo, tablet.revision(state="draft"), tablet.revision(staff_ids=[])]
    raws = [msgspec.json.encode(v) for v in visits]
    author = _author(tablet)

    async def run(path: Path, fast_path: bool) -> tuple[list, int]:
        db = await Database.open(path)
        try:
            work = await work_here(db, raws, author, TZ, RECEIVED)
            assert len(work.new) == len(visits)
            if not fast_path:
                work = msgspec.structs.replace(work, new={})
            seen = await db.read(read, db.checklist_indexes, work, 1)
            ready = classify(work, seen, author, RECEIVED).ready
            return await store_work(db, work, author, TZ, RECEIVED), len(ready)
        finally:
            await db.close()

    by_fast, ready = asyncio.run(run(fast, True))
    by_merge, none = asyncio.run(run(general, False))
    assert (ready, none) == (len(visits), 0)  # each path was the one taken
    assert by_fast == by_merge
    assert [r.status for r in by_fast] == ["applied"] * len(visits)
    assert _rows(fast) == _rows(general)
