"""The console's pages under a big database: the review queue with 100,000 submissions, a visit page.

A real `tekseru serve` on a fresh data directory gets its organisation through the admin API
(500 units of the three kinds in 17 regions, 1,000 staff, 8 auditors, a quality lead with a
password) and 250 visits pushed as tablets push them (the shipped checklists, six months, some
with a conflict, some waiting for evidence), about four in five then approved and a few
rejected through the API. With the server stopped, plain sqlite3 copies those visits (every row
that names a submission: revisions, views, evidence, scores, decisions) under new ids up to
100,000 submissions, the way `bench/figures.py` generates a month. The server starts again; a
tablet pushes one more visit of 60 answers in 10 revisions (the last two concurrent: a conflict)
with 5 uploaded photos, and a quality lead signs in through `/login`.

Rows: p50 and p95 of the time to answer (request sent to the last byte, on 127.0.0.1, one
request at a time) of `/review` in its default view and with four filter combinations (target
p95 < 150 ms), and of the visit page (target p95 < 100 ms).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
import shutil
import sqlite3
import tempfile
import time
import uuid
from importlib import resources
from pathlib import Path

import httpx

from bench.common import Row, Server, Tablet, checked, console_sign_in, new_auditor, page_times
from checklists.score import ChecklistIndex
from checklists.validate import load_checklist
from server.demo.visits import demo_photo, make_visit

SUBMISSIONS = 100_000
TEMPLATES = 250  # visits pushed through the API, then copied
UNITS, STAFF, AUDITORS, REGIONS = 500, 1_000, 8, 17
KINDS = (("branch", 350), ("contact_centre", 75), ("field_technician", 75))
# Every id of a template visit starts with MARK; a copy replaces it with its own number (8 hex digits).
MARK = "c0c0c0c0-"
LEAD, PASSWORD = "bench.lead", "bench-console-password-1"
TZ = dt.timezone(dt.timedelta(hours=5))
# Tables whose rows name a submission but are not part of one (who has it open, raw quarantine).
NOT_COPIED = {"quarantine", "review_open"}


def _checklist(kind: str) -> ChecklistIndex:
    """The newest shipped version of a unit kind's checklist."""
    folder = resources.files("checklists") / "library"
    newest = max((f for f in folder.iterdir() if f.name.startswith(f"{kind}.v")), key=lambda f: f.name)
    return ChecklistIndex(load_checklist(newest.read_bytes(), source=newest.name).checklist)


def _org(api: httpx.Client) -> tuple[list[tuple[str, str]], dict[str, list[str]], list[Tablet]]:
    """Units, staff, auditors and a quality lead with a password, through the admin API."""
    units: list[tuple[str, str]] = []
    for kind, n in KINDS:
        units += [(f"{kind[:2].upper()}-{len(units) + i:04d}", kind) for i in range(n)]
    csv_units = "unit_id,kind,name,region\n" + "".join(
        f"{u},{kind},Пункт {u},Регион {i % REGIONS}\n" for i, (u, kind) in enumerate(units)
    )
    staff_of: dict[str, list[str]] = {}
    rows = []
    for s in range(STAFF):
        unit = units[s % UNITS][0]
        staff_of.setdefault(unit, []).append(f"E{s:05d}")
        rows.append(f"E{s:05d},Сотрудник {s},{unit},консультант\n")
    csv = {"Content-Type": "text/csv"}
    checked(api.post("/v1/admin/import/units", content=csv_units.encode(), headers=csv))
    checked(
        api.post(
            "/v1/admin/import/staff", content=("staff_id,name,unit_id,position\n" + "".join(rows)).encode(), headers=csv
        )
    )
    tablets = [new_auditor(api, f"auditor{i:02d}") for i in range(AUDITORS)]
    checked(api.post("/v1/users", json={"name": LEAD, "role": "quality_lead"}), 200, 201)
    checked(api.put(f"/v1/users/{LEAD}/password", json={"password": PASSWORD}), 200, 204)
    return units, staff_of, tablets


def _push(api: httpx.Client, tablet: Tablet, revisions: list[dict]) -> list[dict]:
    body = {"device_id": tablet.device_id, "sent_at": dt.datetime.now(TZ).isoformat(), "revisions": revisions}
    receipts = checked(api.post("/v1/sync/push", json=body, headers=tablet.headers)).json()["receipts"]
    wrong = [r for r in receipts if r["status"] not in ("applied", "merged")]
    if wrong:
        raise RuntimeError(f"push: {wrong[0]}")
    return receipts


def _templates(api: httpx.Client, units, staff_of, tablets: list[Tablet]) -> int:
    """Push the template visits; approve about four in five and reject a few. Answers how many have conflicts."""
    rng = random.Random(2026)
    indexes = {kind: _checklist(kind) for kind, _ in KINDS}
    today = dt.datetime.now(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    by_tablet: dict[int, list[dict]] = {}
    edits: list[tuple[int, dict]] = []
    waiting: set[str] = set()  # not decided: the queue holds them
    for t in range(TEMPLATES):
        unit, kind = units[rng.randrange(UNITS)]
        started = today - dt.timedelta(days=rng.randrange(180), hours=-rng.randint(9, 17))
        visit = make_visit(indexes[kind], unit, kind, staff_of.get(unit, [])[:1], started, rng.uniform(0.8, 0.97), rng)
        visit["submission_id"] = f"{MARK}0000-4000-8000-{t:012d}"
        visit["rev_id"] = f"{MARK}0000-4000-9000-{t:012d}"
        if rng.random() < 0.04:  # its photo never arrives
            visit["answers"][0]["evidence"] = [hashlib.sha256(f"never uploaded {t}".encode()).hexdigest()]
            waiting.add(visit["submission_id"])
        by_tablet.setdefault(t % AUDITORS, []).append(visit)
        if rng.random() < 0.06:  # two concurrent edits of one answer's comment: a conflict
            for n in (1, 2):
                edit = dict(visit, rev_id=f"{MARK}0000-4000-900{n}-{t:012d}", parents=[visit["rev_id"]])
                edit["answers"] = [dict(a) for a in visit["answers"]]
                edit["answers"][-1]["comment"] = f"правка {n}"
                edits.append((t % AUDITORS, edit))
            waiting.add(visit["submission_id"])
    heads: dict[str, list[str]] = {}
    for n, visits in by_tablet.items():
        for receipt in _push(api, tablets[n], visits):
            heads[receipt["submission_id"]] = receipt["heads"]
    for n, edit in edits:
        (receipt,) = _push(api, tablets[n], [edit])
        heads[receipt["submission_id"]] = receipt["heads"]
    decisions = []
    for sid, current in sorted(heads.items()):
        roll = rng.random()
        if sid in waiting:
            continue
        if roll < 0.8:
            decisions.append({"submission_id": sid, "decision": "approve", "heads": current})
        elif roll < 0.84:
            decisions.append({"submission_id": sid, "decision": "reject", "comment": "Повторить", "heads": current})
    checked(api.post("/v1/submissions/review", json={"decisions": decisions}))
    return len(edits) // 2


def _copy(db_path: Path, total: int) -> None:
    """Copy every template's rows under new ids until there are `total` submissions (the server stopped)."""
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA foreign_keys=OFF")
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if name not in NOT_COPIED and "submission_id" in {c[1] for c in db.execute(f"PRAGMA table_info({name})")}
        ]
        copies = -(-total // TEMPLATES) - 1
        # submissions first: the other tables name it
        tables.sort(key=lambda name: name != "submissions")
        for table in tables:
            columns = list(db.execute(f"PRAGMA table_info({table})"))
            rowid_alias = [c[1] for c in columns if c[5] == 1 and c[2].upper() == "INTEGER"]
            kept = [c for c in columns if c[1] not in rowid_alias]
            names = ", ".join(c[1] for c in kept)
            values = ", ".join(
                f"replace({c[1]}, '{MARK}', printf('%08x-', k.n))" if c[2].upper() in ("TEXT", "") else c[1]
                for c in kept
            )
            db.execute(
                f"WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {copies})"
                f" INSERT INTO {table} ({names}) SELECT {values} FROM {table}, k"
                f" WHERE {table}.submission_id LIKE '{MARK}%'"
                f" AND (k.n * {TEMPLATES} + CAST(substr({table}.submission_id, 25) AS INTEGER)) < {total}"
            )
        db.execute("ANALYZE")


def _upload(api: httpx.Client, tablet: Tablet, photo: bytes) -> str:
    sha256 = hashlib.sha256(photo).hexdigest()
    metadata = (
        f"sha256 {base64.b64encode(sha256.encode()).decode()},content_type {base64.b64encode(b'image/jpeg').decode()}"
    )
    headers = tablet.headers | {"Tus-Resumable": "1.0.0"}
    created = checked(
        api.post("/v1/uploads", headers=headers | {"Upload-Length": str(len(photo)), "Upload-Metadata": metadata}), 201
    )
    patch = headers | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    checked(api.patch(created.headers["location"], content=photo, headers=patch), 204)
    return sha256


BENCH_ITEMS = """
[[standards.items]]
id = "BR-30.3"
kind = "yes_no"
text = { ru = "Сотрудник попрощался?", kk = "Қызметкер қоштасты ма?", en = "Did the employee say goodbye?" }

[[standards.items]]
id = "BR-30.4"
kind = "yes_no"
text = { ru = "Пригласили прийти снова?", kk = "Қайта келуге шақырды ма?", en = "Invited to come again?" }
"""


def _big_visit(api: httpx.Client, units, staff_of, tablet: Tablet) -> str:
    """A visit of 60 answers (the branch checklist and two more items), 10 revisions, 5 photos."""
    source = (resources.files("checklists") / "library" / "branch.v2.toml").read_text(encoding="utf-8")
    toml = source.replace('id = "branch"\nversion = 2', 'id = "bench_visit"\nversion = 1', 1) + BENCH_ITEMS
    toml_headers = {"Content-Type": "application/toml"}
    checked(api.post("/v1/checklists", content=toml.encode(), headers=toml_headers), 201)
    index = ChecklistIndex(load_checklist(toml.encode()).checklist)
    rng = random.Random(60)
    unit = next(u for u, kind in units if kind == "branch")
    started = dt.datetime.now(TZ) - dt.timedelta(hours=3)
    filled = make_visit(index, unit, "branch", staff_of[unit][:2], started, 0.8, rng)
    given = {a["item"]: a for a in filled["answers"]}
    answers = []
    for item_id, item in index.items.items():  # every item answered, the optional ones too
        if item_id in given:
            answers.append(dict(given[item_id]))
        elif item.na_allowed:
            answers.append({"item": item_id, "na": True})
        else:
            answers.append({"item": item_id, "value": "Всё в порядке." if item.kind == "text" else True})
    photos = [_upload(api, tablet, demo_photo(f"Фото для проверки {n + 1}", n)) for n in range(5)]
    for n, sha256 in enumerate(photos):
        answers[n * 7]["evidence"] = [sha256]
    base = dict(filled, answers=answers, checklist={"id": "bench_visit", "version": 1})
    revisions, parent = [base], base
    for n in range(1, 10):  # nine edits: a chain of eight, then two concurrent ones
        edit = dict(parent, rev_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), parents=[parent["rev_id"]])
        edit["answers"] = [dict(a) for a in parent["answers"]]
        edit["answers"][min(n, 8)]["comment"] = f"Уточнение {n}"  # the last two: the same answer
        revisions.append(edit)
        if n < 8:
            parent = edit
    _push(api, tablet, revisions)
    return base["submission_id"]


# (label, query string): the default tab, then filters a lead combines.
QUEUE_VIEWS = (
    ("default view (received, oldest first)", ""),
    ("filter: kind + region", "?kind=branch&region=Регион 3"),
    ("filter: needs review with conflicts, newest first", "?status=needs_review&conflicts=yes&sort=newest"),
    ("filter: approved in one month, by score", "?status=approved&period={period}&sort=score"),
    ("filter: critical item failed, by unit", "?critical=yes&sort=unit"),
)


def run(quick: bool) -> list[Row]:
    """Build the database, then time the queue and a visit page."""
    total = 10_000 if quick else SUBMISSIONS
    trials = 10 if quick else 40
    work = Path(tempfile.mkdtemp(prefix="tekseru-bench-console-"))
    server = Server(work / "data")
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        server.start()
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
            units, staff_of, tablets = _org(api)
            conflicts = _templates(api, units, staff_of, tablets)
        server.stop()
        _copy(server.data_dir / "tekseru.sqlite3", total)
        server.start()
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
            visit = _big_visit(api, units, staff_of, tablets[0])
        setup_s = time.perf_counter() - started
        period = f"{dt.datetime.now(TZ) - dt.timedelta(days=62):%Y-%m}"
        with httpx.Client(base_url=server.url, timeout=120) as client:
            console_sign_in(client, LEAD, PASSWORD)
            label = f"{total:,} submissions ({conflicts} of {TEMPLATES} templates with conflicts)"
            rows.append(Row(f"console: setup ({label})", setup_s, "s"))
            for name, query in QUEUE_VIEWS:
                p50, p95, body = page_times(client, "/review" + query.format(period=period), trials)
                shown = body.count('data-testid="row"')
                rows.append(Row(f"console: /review {name}: p50", p50, f"ms ({shown} rows on the page)"))
                rows.append(Row(f"console: /review {name}: p95", p95, "ms", "< 150", p95 < 150))
            p50, p95, body = page_times(client, f"/review/{visit}", trials)
            shown = (
                body.count('data-testid="answer"'),
                body.count('data-testid="revision"'),
                body.count('data-testid="photo"'),
            )
            if shown != (60, 10, 5):
                raise RuntimeError(f"the visit page shows {shown} answers, revisions, photos, not (60, 10, 5)")
            rows.append(Row("console: visit page (60 answers, 10 revisions, 5 photos): p50", p50, "ms"))
            rows.append(
                Row("console: visit page (60 answers, 10 revisions, 5 photos): p95", p95, "ms", "< 100", p95 < 100)
            )
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows
