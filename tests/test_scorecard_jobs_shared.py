"""Scorecard build jobs shared by server processes: subjects claimed under a lease, each rendered once.

Every process claims the next waiting subject of any running job; on PostgreSQL two claimers on
one database never take the same subject, a lease that ran out is taken over, and a claimer that
stops gives its subject back.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from checklists.library import policy_file
from reports.scorecard_data import ScorecardData
from server import pg
from server.app import create_app
from server.clock import now_iso
from server.db import open_database
from server.pg import PostgresDatabase
from server.scorecard_jobs import ScorecardJobs
from server.settings import Settings
from server.store import scorecard_jobs as store
from server.workers import RenderWorkers
from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.pg import fresh_database, postgres_url, skip_reason
from tests.test_console_review import set_password, sign_in

PERIOD = "2026-10"
FAST_POLL_S = 0.05
WAIT_S = 120
LONG_AGO = "2000-01-01T00:00:00.000Z"
FAR_AHEAD = "2099-01-01T00:00:00.000Z"


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=database_url, render_workers=0)


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings on a migrated PostgreSQL database of the test's own (these tests are about several processes)."""
    if postgres_url() is None:
        pytest.skip(skip_reason())
    with fresh_database(migrated=True) as url:
        yield Settings(data_dir=tmp_path / "var", database_url=url, render_workers=0)


class CountedRenders(RenderWorkers):
    """The real renderer (in a thread), noting whose scorecard each render was; `gate` holds renders back."""

    def __init__(self) -> None:
        super().__init__(0)
        self.rendered: list[str] = []
        self.gate: asyncio.Event | None = None

    async def render(self, data: ScorecardData) -> bytes:
        self.rendered.append(data.subject.unit_id or data.subject.unit_kind or "?")
        if self.gate is not None:
            await self.gate.wait()
        return await super().render(data)


def organisation(client: TestClient, settings: Settings, branches: int) -> dict[str, str]:
    """The shipped policy, the example checklist, `branches` active branches and a closed one; admin headers."""
    admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
    for path, body in (
        ("/v1/policies", policy_file().read_bytes()),
        ("/v1/checklists", EXAMPLE_CHECKLIST.read_bytes()),
    ):
        answer = client.post(path, content=body, headers=admin | {"Content-Type": "application/toml"})
        assert answer.status_code == 201, answer.text
    units = {f"B{n:02}": {"kind": "branch", "name": f"ПСС {n}", "region": "Алматы"} for n in range(1, branches + 1)}
    units["CLOSED"] = {"kind": "branch", "name": "ПСС закрыт", "region": "Алматы", "active": False}
    for unit_id, unit in units.items():
        answer = client.put(f"/v1/units/{unit_id}", json=unit, headers=admin)
        assert answer.status_code in (200, 201), answer.text
    return admin


def prepared(settings: Settings, branches: int) -> None:
    """The organisation stored, by a server that has stopped again."""
    with TestClient(create_app(settings)) as client:
        organisation(client, settings, branches)


def subjects_of(settings: Settings, job_id: str) -> list[tuple]:
    """(position, unit_id, state, claimed_by, attempts) of each subject of the job."""
    with open_store(settings) as db:
        return [
            tuple(r)
            for r in db.execute(
                "SELECT position, unit_id, state, claimed_by, attempts FROM scorecard_job_units"
                " WHERE job_id = ? ORDER BY position",
                (job_id,),
            ).fetchall()
        ]


def drafts_of(settings: Settings) -> list[tuple]:
    with open_store(settings) as db:
        return [
            tuple(r)
            for r in db.execute(
                "SELECT coalesce(unit_id, unit_kind), lang, status FROM scorecards ORDER BY 1, 2"
            ).fetchall()
        ]


async def until(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT_S) -> None:
    end = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < end, f"still waiting for {what}"
        await asyncio.sleep(0.02)


async def job_ended(db: PostgresDatabase, job_id: str) -> store.Job:
    job: list[store.Job] = []

    async def ended() -> bool:
        job[:] = [await db.read(store.get, job_id)]
        return job[0].status != "running"

    await until(ended, f"job {job_id} to end")
    return job[0]


@contextlib.asynccontextmanager
async def claimers(settings: Settings, count: int, **options: float):
    """`count` claimers, each with a database of its own on one store (as separate processes have)."""
    opened: list[ScorecardJobs] = []
    try:
        for _ in range(count):
            db = await open_database(settings)
            jobs = ScorecardJobs(db, settings, CountedRenders(), **options)
            opened.append(jobs)
        yield opened
    finally:
        for jobs in opened:
            await jobs.close()
            await jobs.db.close()


# --- (a) a job through the console, on both stores ----------------------------------------------------------


def test_a_job_runs_to_finished_with_every_subject_done_once(client, settings):
    admin = organisation(client, settings, branches=3)
    make_user(client, admin, "lead", "quality_lead")
    set_password(client, admin, "lead")
    sign_in(client, "lead")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/scorecards").text).group(1)
    answer = client.post(
        "/scorecards/jobs",
        data={"csrf_token": token, "period": PERIOD, "kind": "branch", "lang": "ru"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    job_id = answer.headers["location"].rsplit("/", 1)[-1]
    end = time.monotonic() + WAIT_S
    while (view := client.get(f"/scorecards/jobs/{job_id}/progress").json())["running"]:
        assert time.monotonic() < end, view
        time.sleep(0.05)
    assert {k: view[k] for k in ("status", "total", "done", "failed", "processed", "percent")} == {
        "status": "finished",
        "total": 4,
        "done": 4,
        "failed": 0,
        "processed": 4,
        "percent": 100,
    }
    subjects = subjects_of(settings, job_id)
    assert [(p, u, state, n) for p, u, state, _, n in subjects] == [
        (0, "B01", "done", 1),
        (1, "B02", "done", 1),
        (2, "B03", "done", 1),
        (3, None, "done", 1),  # the network scorecard, last
    ]
    assert len({by for *_, by, _ in subjects}) == 1  # this one server claimed them all
    assert drafts_of(settings) == [
        ("B01", "ru", "draft"),
        ("B02", "ru", "draft"),
        ("B03", "ru", "draft"),
        ("branch", "ru", "draft"),
    ]


def test_a_subject_whose_claimers_all_died_is_failed_and_the_job_still_finishes(settings):
    """A lease that ran out `max_attempts` times: the subject fails instead of being claimed forever."""
    prepared(settings, branches=1)

    async def run() -> tuple[store.Job, list[store.Claim | None]]:
        db = await open_database(settings)
        try:
            job, _, _ = await db.write(store.start, PERIOD, "branch", "kk", "lead")
            taken = [await db.write(store.claim, f"dead-{n}", now_iso(), LONG_AGO, 2) for n in range(2)]
            # Both claims took the first subject (the first lease had already run out); the third finds it
            # claimed twice by processes that died, fails it, and takes the next subject.
            taken.append(await db.write(store.claim, "dead-2", now_iso(), LONG_AGO, 2))
            taken.append(await db.write(store.claim, "dead-3", now_iso(), LONG_AGO, 2))  # network: attempt 2
            assert await db.write(store.complete, job.job_id, 1, "dead-3", True)  # that one lived to end it
            taken.append(await db.write(store.claim, "alive", now_iso(), FAR_AHEAD, 2))  # nothing left to take
            return await db.read(store.get, job.job_id), taken
        finally:
            await db.close()

    job, taken = asyncio.run(run())
    assert [(c.position, c.unit_id) if c else None for c in taken] == [
        (0, "B01"),
        (0, "B01"),
        (1, None),
        (1, None),
        None,
    ]
    assert (job.status, job.done, job.failed, job.total) == ("finished", 1, 1, 2)
    assert job.error == "B01: the server stopped while rendering it, 2 times"
    assert [(p, state, by, n) for p, _, state, by, n in subjects_of(settings, job.job_id)] == [
        (0, "failed", "dead-1", 2),
        (1, "done", "dead-3", 2),
    ]


# --- (b) two claimers on one PostgreSQL database --------------------------------------------------------------


def test_two_claimers_never_take_the_same_subject_and_together_finish_a_job(pg_settings):
    settings = pg_settings
    prepared(settings, branches=10)

    async def run() -> tuple[store.Job, list[list[str]], list[ScorecardJobs]]:
        async with claimers(settings, 2, poll_s=FAST_POLL_S) as (first, second):
            first.open()
            second.open()
            job, started = await first.start(PERIOD, "branch", "en", "lead")
            assert started
            # The same build asked for again (here by the other process) finds the running job.
            again, started_again = await second.start(PERIOD, "branch", "en", "lead")
            assert again.job_id == job.job_id and not started_again
            ended = await job_ended(second.db, job.job_id)
            return ended, [first.render_workers.rendered, second.render_workers.rendered], [first, second]

    job, rendered, (first, second) = asyncio.run(run())
    assert (job.status, job.done, job.failed, job.total) == ("finished", 11, 0, 11)
    wanted = sorted([f"B{n:02}" for n in range(1, 11)] + ["branch"])
    assert sorted(rendered[0] + rendered[1]) == wanted  # each draft rendered once, by one of them
    assert rendered[0] and rendered[1], rendered  # and both took part
    subjects = subjects_of(settings, job.job_id)
    assert {(state, n) for _, _, state, _, n in subjects} == {("done", 1)}
    by = {
        worker: sorted(u or "branch" for _, u, _, w, _ in subjects if w == worker)
        for worker in (first.worker, second.worker)
    }
    assert by == {first.worker: sorted(rendered[0]), second.worker: sorted(rendered[1])}
    assert drafts_of(settings) == [(u, "en", "draft") for u in wanted]


def test_a_claim_skips_a_subject_another_transaction_holds(pg_settings):
    """Without the store's write lock, two open claims still take different subjects, and neither waits."""
    prepared(pg_settings, branches=2)
    url = pg_settings.database_url
    a, b = pg.connect(url), pg.connect(url)
    try:
        for conn in (a, b):
            conn.execute("SET lock_timeout = '5s'")  # a claim that waited for the other's row fails, not hangs
        a.execute("BEGIN")
        job, _, _ = store.start(a, PERIOD, "branch", "ru", "lead")
        a.execute("COMMIT")
        a.execute("BEGIN")
        b.execute("BEGIN")
        took_a = store.claim(a, "A", now_iso(), FAR_AHEAD, 3)
        took_b = store.claim(b, "B", now_iso(), FAR_AHEAD, 3)
        a.execute("COMMIT")
        b.execute("COMMIT")
        assert (took_a.position, took_b.position) == (0, 1)
        assert [(p, by) for p, _, _, by, _ in subjects_of(pg_settings, job.job_id)] == [(0, "A"), (1, "B"), (2, None)]
    finally:
        a.close()
        b.close()


# --- (c) a lease that ran out is taken over ----------------------------------------------------------------------


def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(pg_settings):
    settings = pg_settings
    prepared(settings, branches=3)

    async def run() -> tuple[store.Job, list[str], str, bool, store.Job]:
        async with claimers(settings, 1, poll_s=FAST_POLL_S) as (survivor,):
            db = survivor.db
            job, _, _ = await db.write(store.start, PERIOD, "branch", "ru", "lead")
            # A process claimed the first two subjects: its lease on B01 still runs, on B02 it ran out.
            held = await db.write(store.claim, "gone", now_iso(), FAR_AHEAD, 3)
            lapsed = await db.write(store.claim, "gone", now_iso(), LONG_AGO, 3)
            assert (held.unit_id, lapsed.unit_id) == ("B01", "B02")
            survivor.open()

            async def all_but_the_held_one_done() -> bool:
                rows = await db.read(store.subjects, job.job_id)
                return [r["state"] for r in rows] == ["running", "done", "done", "done"]

            await until(all_but_the_held_one_done, "the other subjects")
            (first, *_) = await db.read(store.subjects, job.job_id)
            assert (first["claimed_by"], (await db.read(store.get, job.job_id)).status) == ("gone", "running")
            # Time passes (the lease's end is moved, not the clock): the process holding B01 is dead.
            await db.write(
                lambda c: c.execute(
                    "UPDATE scorecard_job_units SET claimed_until = ? WHERE job_id = ? AND position = 0",
                    (LONG_AGO, job.job_id),
                )
            )
            ended = await job_ended(db, job.job_id)
            # The process was only slow after all: its late result is not counted a second time.
            late = await db.write(store.complete, job.job_id, 0, "gone", True)
            return await db.read(store.get, job.job_id), survivor.render_workers.rendered, survivor.worker, late, ended

    job, rendered, worker, late, ended = asyncio.run(run())
    assert ended == job and (job.status, job.done, job.failed, job.total) == ("finished", 4, 0, 4)
    assert not late
    assert sorted(rendered) == ["B01", "B02", "B03", "branch"]
    assert [(u, state, by, n) for _, u, state, by, n in subjects_of(settings, job.job_id)] == [
        ("B01", "done", worker, 2),
        ("B02", "done", worker, 2),
        ("B03", "done", worker, 1),
        (None, "done", worker, 1),
    ]


def test_a_claimer_that_stops_gives_its_subject_back_and_the_job_goes_on(pg_settings):
    settings = pg_settings
    prepared(settings, branches=2)

    async def run() -> tuple[store.Job, list[str], list[str], str]:
        async with claimers(settings, 2, poll_s=FAST_POLL_S) as (stopping, staying):
            stopping.render_workers.gate = asyncio.Event()  # its render never ends: it stops mid-subject
            stopping.open()
            job, _ = await stopping.start(PERIOD, "branch", "ru", "lead")
            db = staying.db

            async def rendering() -> bool:
                return bool(stopping.render_workers.rendered)

            await until(rendering, "the first render")
            await stopping.close()
            rows = await db.read(store.subjects, job.job_id)
            given_back = [(r["position"], r["state"], r["claimed_by"], r["attempts"]) for r in rows]
            assert given_back == [(0, "waiting", None, 0), (1, "waiting", None, 0), (2, "waiting", None, 0)]
            assert (await db.read(store.get, job.job_id)).status == "running"  # not interrupted: others go on
            staying.open()
            ended = await job_ended(db, job.job_id)
            return ended, stopping.render_workers.rendered, staying.render_workers.rendered, staying.worker

    job, stopped_rendering, rendered, worker = asyncio.run(run())
    assert (job.status, job.done, job.total) == ("finished", 3, 3)
    assert stopped_rendering == ["B01"] and sorted(rendered) == ["B01", "B02", "branch"]
    assert {(state, by, n) for _, _, state, by, n in subjects_of(settings, job.job_id)} == {("done", worker, 1)}


def test_a_restart_on_postgresql_leaves_running_jobs_running(pg_settings):
    """Another process may be running them; only a job with nothing left to claim is interrupted."""
    settings = pg_settings
    prepared(settings, branches=1)
    with open_store(settings) as db:
        db.execute(
            "INSERT INTO scorecard_jobs (job_id, period, unit_kind, lang, total, status, started_at, started_by)"
            " VALUES ('stranded', ?, 'branch', 'ru', 2, 'running', '2026-11-01T10:00:00.000Z', 'lead')",
            (PERIOD,),
        )

    async def run() -> list[str]:
        async with claimers(settings, 1) as (jobs,):
            job, _ = await jobs.start(PERIOD, "branch", "kk", "lead")  # its loop is not open: the job waits
            assert await jobs.recover() == 1
            return [(await jobs.db.read(store.get, j)).status for j in (job.job_id, "stranded")]

    assert asyncio.run(run()) == ["running", "interrupted"]
