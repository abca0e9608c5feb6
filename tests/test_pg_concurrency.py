"""PostgreSQL under several writers: the feed never skips, pushes stay idempotent, a kill -9 loses nothing.

On SQLite one process is the only writer; on PostgreSQL several processes (and hosts) write at
once. These tests use real server processes and real connections on a database of their own.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import threading
import time
import uuid

import httpx
import pytest

from server import pg
from server.db import begin_write
from server.pg import PostgresDatabase
from server.store.feed import record_change
from server.store.pull import changes_after
from tests.conftest import EXAMPLE_CHECKLIST
from tests.live import LiveServer
from tests.pg import fresh_database, postgres_url, skip_reason
from tests.tablet import PASSING, Tablet

pytestmark = pytest.mark.skipif(postgres_url() is None, reason=skip_reason())


@pytest.fixture
def url():
    with fresh_database(migrated=True) as database:
        yield database


def _pull(conn: pg.PgConnection, after: int) -> tuple[list[tuple[int, str]], int]:
    """Every change after `after` a puller gets now, page by page, and its new cursor."""
    seen = []
    while True:
        rows, more = changes_after(conn, "nobody", after, 50)
        seen += [(r["seq"], r["object_id"]) for r in rows]
        if rows:
            after = rows[-1]["seq"]
        if not more:
            return seen, after


def test_a_plain_sequence_lets_a_pull_pass_a_change_that_commits_later(url):
    """Why the feed needs the lock: without it, a lower position can commit after a higher one is pulled."""
    a, b, puller = pg.connect(url), pg.connect(url), pg.connect(url)
    try:
        a.execute("BEGIN")
        record_change(a, "unit", "A")  # takes position 1, not committed yet
        b.execute("BEGIN")
        record_change(b, "unit", "B")  # position 2
        b.execute("COMMIT")
        first, cursor = _pull(puller, 0)
        a.execute("COMMIT")
        later, _ = _pull(puller, cursor)
        assert [o for _, o in first] == ["B"]
        assert later == [], "the puller's cursor already passed A's position: A is never pulled"
    finally:
        for c in (a, b, puller):
            c.close()


def test_the_write_lock_keeps_feed_positions_in_commit_order(url):
    a, b, puller = pg.connect(url), pg.connect(url), pg.connect(url)
    try:
        begin_write(a)
        record_change(a, "unit", "A")
        b_done = threading.Event()

        def second() -> None:
            begin_write(b)  # waits for A's transaction to end
            record_change(b, "unit", "B")
            b.execute("COMMIT")
            b_done.set()

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.3)
        assert not b_done.is_set(), "a second writer took a position while the first was open"
        assert _pull(puller, 0)[0] == []
        a.execute("COMMIT")
        thread.join(10)
        assert b_done.is_set()
        assert [o for _, o in _pull(puller, 0)[0]] == ["A", "B"]
    finally:
        for c in (a, b, puller):
            c.close()


WRITERS = 3
WRITES = 40


def _writer_process(database_url: str, writer: int, seed: int) -> None:
    """Record WRITES changes through the server's write path, each transaction held open a random while."""

    async def run() -> None:
        db = await PostgresDatabase.open(database_url)
        rng = random.Random(seed)

        def change(c, object_id: str, pause: float) -> None:
            record_change(c, "unit", object_id)
            time.sleep(pause)  # the position is taken; the commit comes later

        try:
            # Several writes at once, so that they also share group commits.
            pending = []
            for i in range(WRITES):
                pending.append(db.write(change, f"w{writer}-{i}", rng.uniform(0, 0.004)))
                if len(pending) == 4 or i == WRITES - 1:
                    await asyncio.gather(*pending)
                    pending = []
                    await asyncio.sleep(rng.uniform(0, 0.003))
        finally:
            await db.close()

    asyncio.run(run())


def test_concurrent_writers_and_a_puller_every_change_arrives_exactly_once(url):
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer_process, args=(url, w, 1000 + w)) for w in range(WRITERS)]
    for process in writers:
        process.start()
    puller = pg.connect(url)
    got: list[tuple[int, str]] = []
    cursor = 0
    try:
        while any(p.is_alive() for p in writers):
            page, cursor = _pull(puller, cursor)
            got += page
        for process in writers:
            process.join(30)
            assert process.exitcode == 0
        page, cursor = _pull(puller, cursor)
        got += page
    finally:
        puller.close()
    ids = [o for _, o in got]
    expected = {f"w{w}-{i}" for w in range(WRITERS) for i in range(WRITES)}
    assert len(ids) == len(set(ids)), "a change arrived twice"
    assert set(ids) == expected, f"{len(expected - set(ids))} changes were skipped"
    assert [s for s, _ in got] == sorted(s for s, _ in got)


# --- real server processes on one database ------------------------------------------------------


def _servers(tmp_path, database_url: str, count: int = 2, *args: str) -> list[LiveServer]:
    env = {"TEKSERU_DATABASE_URL": database_url, "TEKSERU_PUSH_WORKERS": "1", "TEKSERU_RENDER_WORKERS": "0"}
    return [LiveServer(tmp_path / f"host{i}", *args, env=env).start(timeout=60) for i in range(count)]


def _organisation(server: LiveServer, tablets: int) -> list[Tablet]:
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=30) as api:
        api.post("/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers={"Content-Type": "application/toml"})
        assert api.put("/v1/units/U1", json={"kind": "branch", "name": "ПСС", "region": "Алматы"}).status_code < 300
        assert api.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}).status_code < 300
        out = []
        for i in range(tablets):
            made = api.post("/v1/users", json={"name": f"auditor{i}", "role": "auditor"}).json()
            out.append(Tablet({"Authorization": f"Bearer {made['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}))
    return out


def _stored_revisions(database_url: str) -> list[str]:
    conn = pg.connect(database_url)
    try:
        return [r[0] for r in conn.execute("SELECT rev_id FROM revisions").fetchall()]
    finally:
        conn.close()


def test_two_processes_given_the_same_batches_at_once_store_each_revision_once(tmp_path, url):
    servers = _servers(tmp_path, url)
    try:
        tablets = _organisation(servers[0], 3)
        rng = random.Random(7)
        answers: dict[str, list[str]] = {}
        failures: list[str] = []
        every: set[str] = set()
        for _ in range(12):
            batches = []
            for tablet in tablets:
                batch = [tablet.revision(answers=PASSING | {"GREET.2": rng.randint(1, 5)}) for _ in range(6)]
                batches.append((tablet, batch))
                every |= {r["rev_id"] for r in batch}

            def send(server: LiveServer, tablet: Tablet, batch: list[dict]) -> None:
                with httpx.Client(base_url=server.url, timeout=30) as client:
                    response = client.post("/v1/sync/push", json=tablet.envelope(batch), headers=tablet.headers)
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:300]}")
                    return
                for receipt in response.json()["receipts"]:
                    answers.setdefault(receipt["rev_id"], []).append(receipt["status"])

            threads = [
                threading.Thread(target=send, args=(server, tablet, batch))
                for tablet, batch in batches
                for server in servers
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        assert failures == []
        assert set(answers) == every
        for rev_id, statuses in answers.items():
            assert len(statuses) == 2
            assert sorted(s == "duplicate" for s in statuses) == [False, True], (rev_id, statuses)
        stored = _stored_revisions(url)
        assert sorted(stored) == sorted(every), "each revision is stored exactly once"
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
def test_kill_9_of_one_of_two_processes_under_load_loses_nothing_acknowledged(tmp_path, url):
    servers = _servers(tmp_path, url)
    survivor, victim = servers
    try:
        tablets = _organisation(survivor, 4)
        receipts: dict[str, str] = {}
        errors: list[str] = []
        health: list[int] = []
        stop = threading.Event()
        sent: set[str] = set()
        failovers: list[int] = []

        def tablet_loop(tablet: Tablet, index: int) -> None:
            order = [victim, survivor] if index % 2 else [survivor, victim]
            for _ in range(25):
                batch = [tablet.revision() for _ in range(5)]
                sent.update(r["rev_id"] for r in batch)
                for attempt in range(200):
                    server = order[attempt % 2]  # a failed request goes to the other process next
                    try:
                        with httpx.Client(base_url=server.url, timeout=10) as client:
                            response = client.post("/v1/sync/push", json=tablet.envelope(batch), headers=tablet.headers)
                    except httpx.HTTPError:
                        failovers.append(1)
                        continue
                    if response.status_code != 200:
                        errors.append(f"{response.status_code} {response.text[:200]}")
                        continue
                    for receipt in response.json()["receipts"]:
                        receipts[receipt["rev_id"]] = receipt["status"]
                    break
                time.sleep(0.01)

        def watch() -> None:
            with httpx.Client(base_url=survivor.url, timeout=5) as client:
                while not stop.is_set():
                    health.append(client.get("/v1/health").status_code)
                    time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        threads = [threading.Thread(target=tablet_loop, args=(t, i)) for i, t in enumerate(tablets)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        victim.kill_with_workers()
        for thread in threads:
            thread.join(120)
        stop.set()
        watcher.join()
        assert errors == []
        assert set(health) == {200}, "the other process kept serving"
        assert failovers, "pushes were under way when the process was killed"
        acknowledged = {r for r, s in receipts.items() if s != "rejected"}
        stored = _stored_revisions(url)
        assert len(stored) == len(set(stored))
        assert acknowledged <= set(stored), "a revision that got a receipt was lost"
        assert set(stored) == sent
    finally:
        for server in servers:
            server.stop()


def _at_once(calls: list) -> list[httpx.Response]:
    """Each call (a function answering a response) in a thread of its own, started together."""
    answers: list[httpx.Response | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


PEOPLE = (("saule", "quality_lead"), ("dana", "hr"))


def test_decisions_and_a_close_sent_to_two_processes_at_once_apply_once(tmp_path, url):
    servers = _servers(tmp_path, url)
    try:
        (tablet,) = _organisation(servers[0], 1)
        with httpx.Client(base_url=servers[0].url, headers=servers[0].admin_headers(), timeout=30) as api:
            made = {n: api.post("/v1/users", json={"name": n, "role": r}).json()["token"] for n, r in PEOPLE}
        lead, hr = ({"Authorization": f"Bearer {made[n]}"} for n, _ in PEOPLE)
        october = {"started_at": "2026-10-15T10:00:00+05:00", "finished_at": "2026-10-15T10:40:00+05:00"}
        visits = [tablet.revision(**october) for _ in range(5)]
        with httpx.Client(base_url=servers[0].url, timeout=30) as client:
            assert {r["status"] for r in tablet.push(client, visits)} == {"applied"}
            heads = {
                v["submission_id"]: client.get(f"/v1/submissions/{v['submission_id']}", headers=lead).json()["heads"]
                for v in visits
            }
        period = {
            httpx.get(f"{servers[0].url}/v1/submissions/{v['submission_id']}", headers=lead).json()["period"]
            for v in visits
        }.pop()
        for visit in visits:
            sid = visit["submission_id"]
            approve = {"decision": "approve", "heads": heads[sid]}
            reject = {"decision": "reject", "heads": heads[sid], "comment": "Повторить визит"}
            answers = _at_once(
                [
                    lambda s=servers[0], b=approve, sid=sid: httpx.post(
                        f"{s.url}/v1/submissions/{sid}/review", json=b, headers=lead, timeout=30
                    ),
                    lambda s=servers[1], b=reject, sid=sid: httpx.post(
                        f"{s.url}/v1/submissions/{sid}/review", json=b, headers=lead, timeout=30
                    ),
                ]
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [200, 409], [a.text for a in answers]
            assert next(a for a in answers if a.status_code == 409).json()["code"] == "already_decided"
        closes = _at_once(
            [
                lambda s=s: httpx.post(
                    f"{s.url}/v1/periods/{period}/close", json={"force": True}, headers=hr, timeout=60
                )
                for s in servers
            ]
        )
        assert sorted(c.status_code for c in closes) == [201, 409], [c.text for c in closes]
        assert next(c for c in closes if c.status_code == 409).json()["code"] == "period_closed"
        conn = pg.connect(url)
        try:
            reviews = conn.execute("SELECT submission_id, count(*) FROM reviews GROUP BY submission_id").fetchall()
            snapshots = conn.execute("SELECT count(*) FROM period_snapshots WHERE period = ?", (period,)).fetchone()[0]
        finally:
            conn.close()
        assert sorted(n for _, n in reviews) == [1] * len(visits), "one decision row per visit"
        assert snapshots == 1
    finally:
        for server in servers:
            server.stop()
