"""Crash durability: a real `tekseru serve` killed with SIGKILL while tablets push and retry, on either store.

After every restart each revision that got a receipt is stored exactly once, the store is whole
(`store_problems`), and the retries converge to the same views as a rebuild from the revisions.
"""

from __future__ import annotations

import random
import threading
import time
import uuid

import httpx
import psycopg
import pytest

from server.settings import Settings
from tests.conftest import EXAMPLE_CHECKLIST, open_store
from tests.live import LiveServer
from tests.tablet import PASSING, Tablet

KILLS = 10
TABLETS = 4
BATCHES = 60  # per tablet, a push every PAUSE seconds: long enough to span the kills
PAUSE = 0.03
BATCH = 8  # revisions per push


def _setup(server: LiveServer) -> list[Tablet]:
    admin = server.admin_headers()
    with httpx.Client(base_url=server.url, headers=admin, timeout=30) as api:
        api.post("/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers={"Content-Type": "application/toml"})
        api.put("/v1/units/U1", json={"kind": "branch", "name": "ПСС", "region": "Алматы"})
        api.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"})
        tablets = []
        for i in range(TABLETS):
            made = api.post("/v1/users", json={"name": f"auditor{i}", "role": "auditor"}).json()
            tablets.append(Tablet({"Authorization": f"Bearer {made['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}))
    return tablets


def _batches(tablet: Tablet, rng: random.Random) -> list[list[dict]]:
    """New visits and edits of earlier ones (children always after their parents)."""
    batches, made = [], []
    for _ in range(BATCHES):
        batch = []
        for _ in range(BATCH):
            if made and rng.random() < 0.4:
                base = rng.choice(made)
                rev = tablet.edit(base, answers=PASSING | {"GREET.2": rng.randint(1, 5)})
            else:
                rev = tablet.revision(state=rng.choice(["draft", "submitted"]))
            made.append(rev)
            batch.append(rev)
        batches.append(batch)
    return batches


class _TabletThread(threading.Thread):
    def __init__(self, tablet: Tablet, batches: list[list[dict]], url: str, deadline: float) -> None:
        super().__init__(daemon=True)
        self.tablet, self.batches, self.url, self.deadline = tablet, batches, url, deadline
        self.receipts: dict[str, str] = {}
        self.errors: list[str] = []
        self.retries = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            for batch in self.batches:
                while time.monotonic() < self.deadline:
                    try:
                        response = client.post(
                            "/v1/sync/push", json=self.tablet.envelope(batch), headers=self.tablet.headers
                        )
                    except httpx.HTTPError:
                        self.retries += 1
                        time.sleep(0.05)  # the server is down: the tablet keeps its batch and retries
                        continue
                    if response.status_code != 200:
                        self.errors.append(f"{response.status_code} {response.text[:200]}")
                        time.sleep(0.05)
                        continue
                    for receipt in response.json()["receipts"]:
                        self.receipts[receipt["rev_id"]] = receipt["status"]
                    time.sleep(PAUSE)
                    break


def server_env(settings: Settings) -> dict[str, str]:
    """What `tekseru serve` needs to open the test's store (nothing for SQLite's file in the data directory)."""
    return {"TEKSERU_DATABASE_URL": settings.database_url} if settings.database_url else {}


def _foreign_keys(db) -> list[tuple[str, str, str, list[str], list[str]]]:
    """Every foreign key of the PostgreSQL schema: its name, table, referenced table and their columns."""
    columns = (
        "array(SELECT a.attname::text FROM unnest(c.{keys}) WITH ORDINALITY k(n, i)"
        " JOIN pg_attribute a ON a.attrelid = c.{table} AND a.attnum = k.n ORDER BY k.i)"
    )
    return db.execute(
        "SELECT c.conname::text, c.conrelid::regclass::text, c.confrelid::regclass::text, "
        + columns.format(keys="conkey", table="conrelid")
        + ", "
        + columns.format(keys="confkey", table="confrelid")
        + " FROM pg_constraint c WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace ORDER BY 1"
    ).fetchall()


def crash(server: LiveServer, settings: Settings, timeout: float = 30.0) -> int:
    """SIGKILL the server and its workers (answers how many workers); on PostgreSQL, wait until their sessions end.

    A session ends when it reads the closed socket, having committed or rolled back what it had
    been sent: only then does the store hold all it ever will of the killed server's work.
    """
    workers = server.kill_with_workers()
    if settings.database_url:
        others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        with open_store(settings) as db:
            deadline = time.monotonic() + timeout
            while db.execute(others).fetchone()[0] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert db.execute(others).fetchone()[0] == 0, "the killed server's sessions outlived it"
    return workers


def store_problems(settings: Settings) -> list[str]:
    """What a crash must never leave in the store; empty when the store is whole.

    SQLite: `PRAGMA integrity_check` and `foreign_key_check`. PostgreSQL, which a killed client
    cannot corrupt: every foreign key holds (every view has its submission, every revision its
    submission, ...), read again row by row, and every B-tree index holds exactly the rows of its
    table (amcheck), so that no key can be stored twice.
    """
    with open_store(settings) as db:
        if not settings.database_url:
            integrity = [r[0] for r in db.execute("PRAGMA integrity_check").fetchall()]
            orphans = [f"{r[0]} row {r[1]} has no {r[2]}" for r in db.execute("PRAGMA foreign_key_check").fetchall()]
            return ([] if integrity == ["ok"] else integrity) + orphans
        problems = []
        keys = _foreign_keys(db)
        assert any(table == "submission_views" for _, table, *_ in keys), "the schema's foreign keys were found"
        for name, table, parent, columns, referenced in keys:
            present = " AND ".join(f'c."{column}" IS NOT NULL' for column in columns)
            joined = " AND ".join(f'p."{r}" = c."{column}"' for column, r in zip(columns, referenced, strict=True))
            missing = f"NOT EXISTS (SELECT 1 FROM {parent} p WHERE {joined})"
            orphans = db.execute(f"SELECT count(*) FROM {table} c WHERE {present} AND {missing}").fetchone()[0]
            if orphans:
                problems.append(f"{orphans} rows of {table} break {name}")
        if db.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'").fetchone():
            db.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            indexes = db.execute(
                "SELECT c.oid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree'"
                " AND c.relnamespace = 'public'::regnamespace ORDER BY 1"
            ).fetchall()
            for (index,) in indexes:
                try:
                    db.execute("SELECT bt_index_check(?::regclass, true)", (index,))
                except psycopg.Error as exc:  # amcheck raises on the first inconsistency it finds
                    problems.append(f"{index}: {exc}")
        return problems


def _stored(settings: Settings) -> tuple[list[str], list[str]]:
    """The stored revision ids (each once, if nothing went wrong) and what is wrong with the store."""
    problems = store_problems(settings)
    with open_store(settings) as db:
        ids = [r[0] for r in db.execute("SELECT rev_id FROM revisions")]
    return ids, problems


def _views(settings: Settings) -> dict[str, str]:
    with open_store(settings) as db:
        return {r[0]: r[1] for r in db.execute("SELECT submission_id, document FROM submission_views")}


@pytest.mark.slow
def test_sigkill_while_tablets_push(settings):
    rng = random.Random(20261126)
    server = LiveServer(settings.data_dir, env=server_env(settings)).start()
    try:
        tablets = _setup(server)
        deadline = time.monotonic() + 120
        threads = [_TabletThread(t, _batches(t, rng), server.url, deadline) for t in tablets]
        for thread in threads:
            thread.start()
        workers = 0
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.1, 0.5))
            workers += crash(server, settings)  # pushes of 8 revisions are worked out in push workers
            ids, problems = _stored(settings)
            assert problems == []
            assert len(ids) == len(set(ids))
            acknowledged = {r for t in threads for r, s in list(t.receipts.items()) if s != "rejected"}
            assert acknowledged <= set(ids), "a revision that got a receipt was lost"
            server.start()
        for thread in threads:
            thread.join(timeout=max(1.0, deadline - time.monotonic()))
            assert not thread.is_alive(), "a tablet could not finish its pushes"
        assert not [e for t in threads for e in t.errors], "every push that reached the server was answered 200"
        assert sum(t.retries for t in threads) >= KILLS, "the kills interrupted the tablets' pushes"
        assert workers, "the kills landed while push workers ran"
        every = {rev["rev_id"] for t in threads for batch in t.batches for rev in batch}
        ids, problems = _stored(settings)
        assert problems == [] and sorted(ids) == sorted(every), "every revision is stored exactly once"
        assert {s for t in threads for s in t.receipts.values()} <= {"applied", "merged", "pending", "duplicate"}
        # Retries converge: pushing everything again changes nothing, and a rebuild gives the same views.
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for thread in threads:
                for batch in thread.batches:
                    response = client.post(
                        "/v1/sync/push", json=thread.tablet.envelope(batch), headers=thread.tablet.headers
                    )
                    assert {r["status"] for r in response.json()["receipts"]} == {"duplicate"}
            before = _views(settings)
            assert client.post("/v1/admin/rebuild", headers=server.admin_headers()).status_code == 200
            after = _views(settings)
        strip = lambda docs: {k: v.split('"updated_at"')[0] for k, v in docs.items()}  # noqa: E731
        assert strip(after) == strip(before)
    finally:
        server.kill()


def test_the_same_batch_ten_times_at_once(settings):
    with LiveServer(settings.data_dir, env=server_env(settings)) as server:
        (tablet, *_) = _setup(server)
        first = tablet.revision(state="draft")
        batch = [tablet.edit(first), first, tablet.revision(), tablet.revision()]
        results: list[list[dict]] = []
        barrier = threading.Barrier(10)

        def push() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                barrier.wait()
                response = client.post("/v1/sync/push", json=tablet.envelope(batch), headers=tablet.headers)
                results.append(response.json()["receipts"])

        threads = [threading.Thread(target=push) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(results) == 10
        for position, rev in enumerate(batch):
            statuses = sorted(r[position]["status"] for r in results)
            assert statuses == ["applied"] + ["duplicate"] * 9, (rev["rev_id"], statuses)
            assert len({tuple(r[position]["heads"]) for r in results}) == 1
        with open_store(settings) as db:
            assert tuple(db.execute("SELECT count(*) FROM revisions").fetchone()) == (4,)
            assert tuple(db.execute("SELECT count(*) FROM submission_views").fetchone()) == (3,)
