"""Crash durability: a real `tekseru serve` killed with SIGKILL while tablets push and retry.

After every restart each revision that got a receipt is stored exactly once, the database passes
`PRAGMA integrity_check`, and the retries converge to the same views as a rebuild from the revisions.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
import uuid

import httpx
import pytest

from tests.conftest import EXAMPLE_CHECKLIST
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


def _stored(db_path) -> tuple[list[str], str]:
    with sqlite3.connect(db_path) as db:
        ids = [r[0] for r in db.execute("SELECT rev_id FROM revisions")]
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    return ids, integrity


@pytest.mark.slow
def test_sigkill_while_tablets_push(tmp_path):
    rng = random.Random(20261126)
    server = LiveServer(tmp_path / "var").start()
    try:
        tablets = _setup(server)
        deadline = time.monotonic() + 120
        threads = [_TabletThread(t, _batches(t, rng), server.url, deadline) for t in tablets]
        for thread in threads:
            thread.start()
        workers = 0
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.1, 0.5))
            workers += server.kill_with_workers()  # pushes of 8 revisions are worked out in push workers
            ids, integrity = _stored(server.data_dir / "tekseru.sqlite3")
            assert integrity == "ok"
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
        ids, integrity = _stored(server.data_dir / "tekseru.sqlite3")
        assert integrity == "ok" and sorted(ids) == sorted(every), "every revision is stored exactly once"
        assert {s for t in threads for s in t.receipts.values()} <= {"applied", "merged", "pending", "duplicate"}
        # Retries converge: pushing everything again changes nothing, and a rebuild gives the same views.
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for thread in threads:
                for batch in thread.batches:
                    response = client.post(
                        "/v1/sync/push", json=thread.tablet.envelope(batch), headers=thread.tablet.headers
                    )
                    assert {r["status"] for r in response.json()["receipts"]} == {"duplicate"}
            with sqlite3.connect(server.data_dir / "tekseru.sqlite3") as db:
                before = dict(db.execute("SELECT submission_id, document FROM submission_views"))
            assert client.post("/v1/admin/rebuild", headers=server.admin_headers()).status_code == 200
            with sqlite3.connect(server.data_dir / "tekseru.sqlite3") as db:
                after = dict(db.execute("SELECT submission_id, document FROM submission_views"))
        strip = lambda docs: {k: v.split('"updated_at"')[0] for k, v in docs.items()}  # noqa: E731
        assert strip(after) == strip(before)
    finally:
        server.kill()


def test_the_same_batch_ten_times_at_once(tmp_path):
    with LiveServer(tmp_path / "var") as server:
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
        with sqlite3.connect(server.data_dir / "tekseru.sqlite3") as db:
            assert db.execute("SELECT count(*) FROM revisions").fetchone() == (4,)
            assert db.execute("SELECT count(*) FROM submission_views").fetchone() == (3,)
