"""HR's month end in the console for 5,000 staff: the preview page of an open month, then the closed month.

The month is `bench/figures.py`'s (25,000 approved visits, 500 units, 5,000 staff, generated into a
fresh database with plain sqlite3), with 60 more visits still awaiting review (what blocks the close).
A real `tekseru serve` answers; an HR user with a password signs in through `/login`.

Rows: p50 and p95 of the time to answer (request sent to the last byte, on 127.0.0.1, one request at
a time) of `/periods/{p}` while the month is open (the motivation rows computed for 5,000 staff, what
blocks the close, the close form; target p95 < 300 ms), of `/periods`, and of `/periods/{p}` once it
is closed (the snapshot, its rows and the changes since).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Row, Server, checked, console_sign_in, page_times
from bench.figures import PERIOD, STAFF, UNITS, load_month

HR, PASSWORD = "bench.hr", "bench-month-end-password-1"
WAITING = (("received", 40), ("needs_review", 15), ("awaiting_evidence", 5))


def _waiting(db_path: Path) -> None:
    """Visits of the month that still await review: their view rows only (the page counts them)."""
    now = "2026-11-01T00:00:00.000Z"
    with sqlite3.connect(db_path) as db:
        n = 0
        for status, count in WAITING:
            for _ in range(count):
                sub = f"00000000-0000-4000-9000-{n:012d}"
                db.execute(
                    "INSERT INTO submissions (submission_id, auditor, created_at) VALUES (?, 'bench.auditor', ?)",
                    (sub, now),
                )
                db.execute(
                    "INSERT INTO submission_views (submission_id, auditor, checklist_id, checklist_version, unit_id,"
                    " state, corrected_start, period, status, visit_score, person_score, document, updated_at,"
                    " counted, has_conflicts) VALUES (?, 'bench.auditor', 'branch', 1, ?, 'submitted', ?, ?, ?,"
                    " 80.0, 80.0, '{}', ?, 1, ?)",
                    (sub, f"U{n % UNITS:04d}", now, PERIOD, status, now, int(status == "needs_review")),
                )
                n += 1


def run(quick: bool) -> list[Row]:
    """Generate the month, start a server on it, time the month-end pages before and after the close."""
    visits = 5_000 if quick else 25_000
    trials = 10 if quick else 40
    work = Path(tempfile.mkdtemp(prefix="tekseru-bench-month-end-"))
    server = Server(work / "data")
    rows: list[Row] = []
    label = f"{visits:,} approved visits, {STAFF:,} staff"
    try:
        server.start()  # migrates and loads the library and the default policy
        server.stop()
        db_path = server.data_dir / "tekseru.sqlite3"
        load_month(server, visits)
        _waiting(db_path)
        server.start()
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
            checked(api.post("/v1/users", json={"name": HR, "role": "hr"}), 200, 201)
            checked(api.put(f"/v1/users/{HR}/password", json={"password": PASSWORD}), 200, 204)
        with httpx.Client(base_url=server.url, timeout=120) as client:
            console_sign_in(client, HR, PASSWORD)
            p50, p95, body = page_times(client, f"/periods/{PERIOD}", trials)
            if 'data-testid="close-form"' not in body or 'data-testid="waiting-needs_review"' not in body:
                raise RuntimeError("the preview page shows no close form or no blockers")
            shown = body.count('data-testid="row"')
            rows.append(Row(f"month end: open month preview ({label}): p50", p50, f"ms ({shown} rows on the page)"))
            rows.append(Row("month end: open month preview: p95", p95, "ms", "< 300", p95 < 300))
            p50, p95, _ = page_times(client, "/periods", trials)
            rows.append(Row("month end: list of months: p95", p95, "ms"))
            form = checked(client.get(f"/periods/{PERIOD}")).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            seen = re.search(r'name="seen" value="([0-9a-f]+)"', form).group(1)  # the rows the page showed
            started = time.perf_counter()
            closed = client.post(
                f"/periods/{PERIOD}/close",
                data={"csrf_token": token, "confirm": PERIOD, "force": "on", "seen": seen},
            )
            close_s = time.perf_counter() - started
            if closed.status_code != 303 or "done=closed" not in closed.headers.get("location", ""):
                raise RuntimeError(f"the close failed: {closed.status_code} {closed.headers.get('location')}")
            rows.append(Row("month end: closing through the page", close_s, "s"))
            p50, p95, body = page_times(client, f"/periods/{PERIOD}", trials)
            if 'data-testid="snapshot-hash"' not in body:
                raise RuntimeError("the closed month's page shows no snapshot")
            rows.append(Row("month end: closed month (snapshot, rows, changes since): p95", p95, "ms"))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return rows
