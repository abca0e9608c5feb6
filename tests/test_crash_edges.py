"""Crash safety at the edges: a real `tekseru serve` killed with SIGKILL while it publishes
scorecards and while it closes a period, on either store.

After every kill the store is whole (`store_problems`); every stored scorecard's PDF is the bytes
its sha256 names, a published one is whole (status, time, publisher) and none that was
acknowledged is lost; a period's snapshot is whole and the same as one closed without a crash on
the same data, or absent (the one closed without a crash is SQLite's, whichever store crashed: both
stores freeze the same bytes); the render workers die with the server. Doing the work again converges.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from importlib import resources
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest

from reports.motivation import MotivationRow, rows_hash
from server.bootstrap import prepare
from server.db import open_database
from server.demo.visits import make_visit
from server.directory import parse_csv
from server.settings import Settings
from server.store import directory as directory_store
from server.store import reviews as reviews_store
from server.store import sync as sync_store
from server.store import users as users_store
from server.store.directory import StaffIn
from server.sync.push import Author, store_revisions
from server.sync.review import decide
from tests.conftest import open_store
from tests.live import LiveServer
from tests.test_crash import crash, server_env, store_problems

KILLS = 6
LANGS = ("kk", "en")
PERIODS = [f"2025-{month:02d}" for month in range(1, KILLS + 1)]
STAFF_PER_UNIT = 300  # a snapshot row per staff member: enough rows that a close takes a while
VISITS_PER_UNIT = 10


# --- scorecards ---------------------------------------------------------------------------------


class _Publisher(threading.Thread):
    """A quality lead's client: render each scorecard and publish it, retrying while the server is down."""

    def __init__(self, url: str, headers: dict[str, str], jobs: list[dict], deadline: float) -> None:
        super().__init__(daemon=True)
        self.url, self.headers, self.jobs, self.deadline = url, headers, jobs, deadline
        self.drafts: dict[str, str] = {}  # acknowledged: scorecard id -> sha256
        self.published: dict[str, str] = {}
        self.errors: list[str] = []
        self.cut_off = 0  # requests the kills cut off while the server worked on them

    def _call(self, client: httpx.Client, path: str, body: dict | None = None) -> dict | None:
        while time.monotonic() < self.deadline:
            try:
                response = client.post(path, json=body)
            except httpx.HTTPError as exc:  # the server is down, or was killed during this request
                self.cut_off += not isinstance(exc, httpx.ConnectError)
                time.sleep(0.05)  # the client asks again
                continue
            if response.status_code not in (200, 201):
                self.errors.append(f"{path} {response.status_code} {response.text[:200]}")
                return None
            return response.json()
        return None

    def run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as client:
            for job in self.jobs:
                card = self._call(client, "/v1/scorecards", job)
                if card is None:
                    return
                self.drafts[card["id"]] = card["sha256"]
                card = self._call(client, f"/v1/scorecards/{card['id']}/publish")
                if card is None:
                    return
                assert card["status"] == "published"
                self.published[card["id"]] = card["sha256"]


def _rows(settings: Settings, sql: str, *params: object) -> list[dict]:
    """The rows a query of the test's store answers, by column name."""
    with open_store(settings) as db:
        cursor = db.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _check_scorecards(settings: Settings, publisher: _Publisher) -> dict[tuple, list[dict]]:
    """Every stored PDF is its hash, every published one is whole, nothing acknowledged is lost."""
    assert store_problems(settings) == []
    rows = _rows(settings, "SELECT * FROM scorecards")
    by_id = {r["scorecard_id"]: r for r in rows}
    published: dict[tuple, list[dict]] = {}
    for r in rows:
        pdf = bytes(r["pdf"])
        assert hashlib.sha256(pdf).hexdigest() == r["sha256"] and len(pdf) == r["size"], r["scorecard_id"]
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        whole = r["published_at"] is not None and r["published_by"] is not None
        assert whole if r["status"] == "published" else (r["published_at"] is None and r["published_by"] is None)
        if r["status"] == "published":
            key = (r["scope"], r["unit_id"], r["staff_id"], r["unit_kind"], r["period"], r["lang"])
            published.setdefault(key, []).append(r)
    for card_id, sha in list(publisher.drafts.items()):
        assert card_id in by_id and by_id[card_id]["sha256"] == sha, "an acknowledged draft was lost"
    for card_id, sha in list(publisher.published.items()):
        row = by_id.get(card_id)
        assert row is not None and row["status"] == "published" and row["sha256"] == sha, "a publish was lost"
    assert all(len(same) == 1 for same in published.values()), "the same scorecard was published twice"
    return published


@pytest.mark.slow
def test_sigkill_while_publishing_scorecards(settings):
    rng = random.Random(20261127)
    server = LiveServer(settings.data_dir, "--demo", env=server_env(settings)).start()
    try:
        # A quality lead publishes (the local admin's token is made anew at every start).
        tokens = (server.data_dir / "demo-tokens.txt").read_text(encoding="utf-8").splitlines()
        lead = {"Authorization": f"Bearer {next(t.split()[2] for t in tokens if t.startswith('qlead.'))}"}
        with httpx.Client(base_url=server.url, headers=lead, timeout=30) as api:
            (period,) = {c["period"] for c in api.get("/v1/scorecards", params={"status": "published"}).json()["items"]}
            units = [u for u in api.get("/v1/units", params={"limit": 1000}).json()["items"] if u["active"]]
        jobs = [
            {"scope": "unit", "unit_id": u["unit_id"], "period": period, "lang": lang} for lang in LANGS for u in units
        ]
        jobs += [
            {"scope": "network", "unit_kind": k, "period": period, "lang": "kk"} for k in ("branch", "contact_centre")
        ]
        publisher = _Publisher(server.url, lead, jobs, time.monotonic() + 120)
        publisher.start()
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.2, 0.7))
            crash(server, settings)
            _check_scorecards(settings, publisher)
            server.start()
        publisher.join(timeout=120)
        assert not publisher.is_alive() and not publisher.errors, publisher.errors
        assert publisher.cut_off >= KILLS // 2, "the kills landed while the server rendered or published"
        published = _check_scorecards(settings, publisher)
        assert len(publisher.published) == len(jobs)
        # Publishing again converges: the same data gives the same published scorecards, no second copy.
        for lang in LANGS:
            done = subprocess.run(
                [sys.executable, "-m", "server.cli", "scorecards", "build", "--period", period]
                + ["--unit-kind", "branch", "--lang", lang, "--publish"],
                env=server.env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr
        again = _check_scorecards(settings, publisher)
        assert {k: [r["sha256"] for r in v] for k, v in again.items()} == {
            k: [r["sha256"] for r in v] for k, v in published.items()
        }
        print(f"\nscorecards: {KILLS} kills, {publisher.cut_off} requests cut off, {len(again)} published checked")
    finally:
        server.kill()


# --- period close -------------------------------------------------------------------------------


async def _build_months(settings: Settings) -> None:
    """The demo organisation with many staff, and approved visits in each of PERIODS."""
    await prepare(settings)
    db = await open_database(settings)
    try:
        units, _ = parse_csv("units", (resources.files("server") / "demo" / "units.csv").read_bytes())
        await db.write(directory_store.put_units, units)
        active = [(key, unit.kind) for key, unit in units if unit.active]
        staff = {key: [f"S-{key}-{i:03d}" for i in range(STAFF_PER_UNIT)] for key, _ in active}
        await db.write(
            directory_store.put_staff,
            [(s, StaffIn(name=f"Staff {s}", unit_id=key)) for key, ids in staff.items() for s in ids],
        )
        for name, role in (("auditor", "auditor"), ("lead", "quality_lead")):
            await db.write(users_store.create_user, name, role, name, name)
        tz = ZoneInfo(settings.timezone)
        rng = random.Random(20261128)
        kinds = {k for _, k in active}
        indexes = {kind: await db.read(sync_store.checklist_index, db.checklist_indexes, kind, 1) for kind in kinds}
        author = Author(name="auditor", rank="auditor", device_id=str(uuid.uuid4()), token_prefix="", offset_ms=0)
        for period in PERIODS:
            year, month = map(int, period.split("-"))
            visits = [
                make_visit(
                    indexes[kind],
                    key,
                    kind,
                    rng.sample(staff[key], k=3),
                    dt.datetime(year, month, rng.randint(1, 28), rng.randint(9, 17), tzinfo=tz),
                    0.9,
                    rng,
                )
                for key, kind in active
                for _ in range(VISITS_PER_UNIT)
            ]
            await store_revisions(db, visits, author, tz)
            decisions = [
                reviews_store.Decision(
                    submission_id=v["submission_id"], decision="approve", comment=None, heads=[v["rev_id"]]
                )
                for v in visits
            ]
            await decide(db, "lead", decisions, tz)
    finally:
        await db.close()


class _Close(threading.Thread):
    def __init__(self, url: str, headers: dict[str, str], period: str) -> None:
        super().__init__(daemon=True)
        self.url, self.headers, self.period = url, headers, period
        self.answer: httpx.Response | None = None

    def run(self) -> None:
        with contextlib.suppress(httpx.HTTPError):  # killed before it answered
            self.answer = httpx.post(f"{self.url}/v1/periods/{self.period}/close", headers=self.headers, timeout=30)


def _snapshot(settings: Settings, period: str) -> dict | None:
    """The stored snapshot of `period` (checked whole), or None."""
    assert store_problems(settings) == []
    found = _rows(settings, "SELECT * FROM period_snapshots WHERE period = ?", period)
    row = found[0] if found else None
    audit = "SELECT count(*) AS n FROM audit_log WHERE action = 'close_period' AND object_id = ?"
    audited = _rows(settings, audit, period)[0]["n"]
    assert audited == (row is not None), "a snapshot and its audit record are written together"
    if row is None:
        return None
    rows = msgspec.json.decode(row["rows"], type=list[MotivationRow])
    assert rows_hash(rows) == row["sha256"], "a snapshot's rows are the ones its hash names"
    return {"sha256": row["sha256"], "rows": row["rows"], "policy": (row["policy_id"], row["policy_version"])}


@pytest.mark.slow
def test_sigkill_while_closing_a_period(settings, tmp_path):
    rng = random.Random(20261129)
    template = Settings(data_dir=tmp_path / "template")
    asyncio.run(_build_months(template))
    if settings.database_url:  # the same months from the same seed; the calm close below stays on SQLite
        asyncio.run(_build_months(settings))
    else:
        shutil.copytree(template.data_dir, settings.data_dir)
    # Closed once without a crash: the snapshots every crashed close must match, and how long a close takes.
    calm_store = Settings(data_dir=tmp_path / "calm")
    shutil.copytree(template.data_dir, calm_store.data_dir)
    reference, took = {}, {}
    with LiveServer(calm_store.data_dir) as calm:
        for period in PERIODS:
            started = time.monotonic()
            response = httpx.post(f"{calm.url}/v1/periods/{period}/close", headers=calm.admin_headers(), timeout=30)
            took[period] = time.monotonic() - started
            assert response.status_code == 201, response.text
            reference[period] = _snapshot(calm_store, period)
    assert len(msgspec.json.decode(reference[PERIODS[0]]["rows"])) >= 1000, "enough rows to take a while"
    server = LiveServer(settings.data_dir, env=server_env(settings)).start()
    outcomes: dict[str, list[str]] = {"absent": [], "whole, unanswered": [], "whole, answered": []}
    try:
        for period in PERIODS:
            close = _Close(server.url, server.admin_headers(), period)
            close.start()
            share = rng.uniform(0.05, 1.1)  # somewhere inside the close, as long as it took without a crash
            time.sleep(share * took[period])
            crash(server, settings)
            close.join(timeout=30)
            answered = close.answer is not None and close.answer.status_code == 201
            stored = _snapshot(settings, period)
            if stored is None:
                assert not answered, "an acknowledged close was lost"
                outcomes["absent"].append(f"{share:.0%}")
            else:
                assert stored == reference[period], "a snapshot closed through a crash differs"
                outcomes["whole, answered" if answered else "whole, unanswered"].append(f"{share:.0%}")
            server.start()
            again = httpx.post(f"{server.url}/v1/periods/{period}/close", headers=server.admin_headers(), timeout=30)
            assert again.status_code == (201 if stored is None else 409), again.text
            assert _snapshot(settings, period) == reference[period]
            served = httpx.get(f"{server.url}/v1/periods/{period}/snapshot", headers=server.admin_headers()).json()
            assert served["sha256"] == reference[period]["sha256"]
        took_ms = ", ".join(f"{t * 1000:.0f}" for t in took.values())
        print(f"\nperiod close: closes took {took_ms} ms; {KILLS} kills at a share of that, by outcome: {outcomes}")
    finally:
        server.kill()
