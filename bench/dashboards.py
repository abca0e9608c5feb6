"""The dashboards under a big month: 500 units × 30 standards, 25,000 approved visits.

A real `tekseru serve` gets a checklist of 30 standards (one yes/no item each) and a quality lead
with a password through the admin API; then, with the server stopped, plain sqlite3 writes the
organisation (500 branches in 17 regions, 5,000 staff) and the visits straight into its schema
the way `bench/figures.py` does (each visit's view row with its document, its packed
per-standard scores, one per-staff row): 25,000 approved visits in the measured month and 2,000
in each of the 11 months before it (the 12-period trends). The server starts again, the lead
signs in through `/login`, and one unread figures request sums the month's groups.

Rows: p50 and p95 of the time to answer (request sent to the last byte, on 127.0.0.1, one at a
time) of `/dashboard` and `/dashboard/heatmap` (target p95 < 250 ms) and of `/units/{id}`
(target p95 < 150 ms), each for the measured month on the approved basis; and the server
process's CPU time per request, which other load on the machine does not inflate as it does the
times to answer.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx
import msgspec

from bench.common import Row, Server, checked, console_sign_in, page_times, proc_cpu_seconds, process_tree
from server.store.views import encode_standard_scores

VISITS, UNITS, STAFF, STANDARDS, REGIONS = 25_000, 500, 5_000, 30, 17
EARLIER = 2_000  # visits in each of the 11 months before
PERIOD = "2026-10"
PERIODS = [f"{2025 + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}" for m in range(11, 23)]  # 2025-11 .. 2026-10
LEAD, PASSWORD = "bench.lead", "bench-console-password-1"
CODES = [f"BR-{c:02d}" for c in range(STANDARDS)]


def _checklist_toml() -> str:
    """A branch checklist of 30 standards, one yes/no item each (the codes of the generated scores)."""
    parts = [
        'id = "bench"\nversion = 1\nunit_kind = "branch"\n'
        'title = { ru = "Бенчмарк", kk = "Бенчмарк", en = "Benchmark" }\n'
    ]
    for n, code in enumerate(CODES):
        parts.append(
            f'\n[[standards]]\ncode = "{code}"\ncategory = "process"\nweight = 1\n'
            f'attribution = "{"person" if n % 2 else "unit"}"\n'
            f'title = {{ ru = "Стандарт {n}", kk = "Стандарт {n}", en = "Standard {n}" }}\n'
            f'\n[[standards.items]]\nid = "{code}.1"\nkind = "yes_no"\n'
            f'text = {{ ru = "Выполнено {n}?", kk = "Орындалды ма {n}?", en = "Done {n}?" }}\n'
        )
    return "".join(parts)


def _populate(db_path: Path, month_visits: int) -> None:
    """The organisation and 12 months of approved visits, written into the server's own schema."""
    rng = random.Random(2026)
    now = "2026-11-01T00:00:00.000Z"
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA synchronous=OFF")
        db.execute("INSERT INTO users (name, role, created_at) VALUES ('bench.auditor', 'auditor', ?)", (now,))
        db.executemany(
            "INSERT INTO units (unit_id, kind, name, region, active, updated_at) VALUES (?, 'branch', ?, ?, 1, ?)",
            [(f"U{u:04d}", f"ПСС №{u}", f"Регион {u % REGIONS}", now) for u in range(UNITS)],
        )
        db.executemany(
            "INSERT INTO staff (staff_id, name, unit_id, position, active, updated_at)"
            " VALUES (?, ?, ?, 'консультант', 1, ?)",
            [(f"E{s:05d}", f"Сотрудник {s}", f"U{s % UNITS:04d}", now) for s in range(STAFF)],
        )
        v = 0
        for period in PERIODS:
            count = month_visits if period == PERIOD else EARLIER
            submissions, views, standards, staff = [], [], [], []
            for _ in range(count):
                sub = f"00000000-0000-4000-8000-{v:012d}"
                unit = f"U{v % UNITS:04d}"
                person = f"E{rng.randrange(STAFF // UNITS) * UNITS + v % UNITS:05d}"
                scores = [1.0 if rng.random() < 0.85 else 0.0 for _ in range(STANDARDS)]
                visit_score = 100 * sum(scores) / STANDARDS
                start = f"{period}-{1 + v % 28:02d}T06:00:00.000Z"
                answers = [
                    {
                        "item": f"{code}.1",
                        "value": bool(s),
                        "comment": None if s else f"Замечание {v}",
                        "evidence": None,
                    }
                    for code, s in zip(CODES, scores, strict=True)
                ]
                document = msgspec.json.encode(
                    {
                        "checklist": {"id": "bench", "version": 1},
                        "view": {"answers": answers},
                        "corrected_start": start,
                    }
                ).decode()
                submissions.append((sub, "bench.auditor", now))
                views.append(
                    (sub, "bench.auditor", "bench", 1, unit, "submitted", start, period, "approved")
                    + (visit_score, visit_score, document, now, 2)
                )
                packed = [(code, s, s > 0.9) for code, s in zip(CODES, scores, strict=True)]
                standards.append((period, 2, unit, sub, encode_standard_scores(packed)))
                staff.append((period, 2, person, sub, unit, visit_score))
                v += 1
            db.executemany("INSERT INTO submissions (submission_id, auditor, created_at) VALUES (?, ?, ?)", submissions)
            db.executemany(
                "INSERT INTO submission_views (submission_id, auditor, checklist_id, checklist_version, unit_id,"
                " state, corrected_start, period, status, visit_score, person_score, document, updated_at, counted,"
                " has_conflicts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                views,
            )
            db.executemany(
                "INSERT INTO visit_scores (period, counted, unit_id, submission_id, standards) VALUES (?, ?, ?, ?, ?)",
                standards,
            )
            db.executemany(
                "INSERT INTO visit_staff (period, counted, staff_id, submission_id, unit_id, person_score)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                staff,
            )
        # As the server's write path does: every group with new rows waits for its sums.
        db.execute("INSERT INTO dirty_groups SELECT DISTINCT period, counted, unit_id FROM visit_scores")
        db.execute("ANALYZE")


def _cpu(server: Server) -> float:
    """CPU seconds so far of the server and its worker processes."""
    return sum(proc_cpu_seconds(pid) for pid in process_tree(server.pid))


PAGES = (
    ("/dashboard (ranking of 500, regions)", f"/dashboard?period={PERIOD}&kind=branch", 250),
    ("/dashboard/heatmap (100 units × 30 standards)", f"/dashboard/heatmap?period={PERIOD}&kind=branch", 250),
    ("/units/{id} (12-period trend, 30 standards, failed items, staff)", f"/units/U0007?period={PERIOD}", 150),
    ("/standards/{code} (12-period network trend, units failing it)", f"/standards/BR-03?period={PERIOD}", None),
)


def run(quick: bool) -> list[Row]:
    """Generate the months, start a server on them, time the three pages."""
    visits = 5_000 if quick else VISITS
    trials = 10 if quick else 40
    work = Path(tempfile.mkdtemp(prefix="tekseru-bench-dashboards-"))
    server = Server(work / "data")
    rows: list[Row] = []
    try:
        started = time.perf_counter()
        server.start()  # migrates and loads the library and the default policy
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
            toml = {"Content-Type": "application/toml"}
            checked(api.post("/v1/checklists", content=_checklist_toml().encode(), headers=toml), 201)
            checked(api.post("/v1/users", json={"name": LEAD, "role": "quality_lead"}), 200, 201)
            checked(api.put(f"/v1/users/{LEAD}/password", json={"password": PASSWORD}), 200, 204)
        server.stop()
        _populate(server.data_dir / "tekseru.sqlite3", visits)
        server.start()
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
            for period in PERIODS:  # the first read after visits arrive sums their groups
                checked(api.get("/v1/scores/units", params={"period": period}))
        setup_s = time.perf_counter() - started
        label = f"{visits:,} approved visits in the month + {EARLIER:,} in each of 11 before, {UNITS} units"
        rows.append(Row(f"dashboards: setup ({label})", setup_s, "s"))
        with httpx.Client(base_url=server.url, timeout=120) as client:
            console_sign_in(client, LEAD, PASSWORD)
            for name, path, target in PAGES:
                cpu = _cpu(server)
                p50, p95, body = page_times(client, path, trials)
                cpu_ms = 1000 * (_cpu(server) - cpu) / (trials + 2)
                if "<svg" not in body and "/units/" in path:
                    raise RuntimeError("the unit page has no chart")
                rows.append(Row(f"dashboards: {name}: p50", p50, f"ms ({len(body) // 1024} KiB)"))
                goal = (f"< {target}", p95 < target) if target else ("", None)
                rows.append(Row(f"dashboards: {name}: p95", p95, "ms", *goal))
                rows.append(Row(f"dashboards: {name}: server CPU per request", cpu_ms, "ms"))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows
