"""The HR figures of a big month: 25,000 approved visits × 40 answers, 500 units, 5,000 staff.

The month is generated straight into a fresh store (`bench.stores.Loader`: plain sqlite3, or
`COPY` into PostgreSQL) with the derived rows a server keeps for each visit: its view row, its
packed per-standard scores, one per-staff row. Then a real `tekseru serve` answers the figures
over HTTP and closes the period:

- unit × standard: `GET /v1/scores/units?period=` (every unit with every standard), target < 50 ms;
  the first read after visits arrive also sums the groups they changed, reported on its own row
- staff scores: `GET /v1/scores/staff?period=`
- motivation for 5,000 staff: `GET /v1/motivation?period=`, target < 200 ms
- closing the period: `POST /v1/periods/{p}/close`, target < 2 s
"""

from __future__ import annotations

import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import Row, Server
from bench.stores import SQLITE, Loader, Store
from server.store.views import encode_standard_scores

VISITS, UNITS, STAFF, STANDARDS = 25_000, 500, 5_000, 30
PERIOD = "2026-10"


def populate(db: Loader, visits: int) -> None:
    """Generate the month into the server's own schema (migrated by a first start), in the loader's transaction."""
    rng = random.Random(2026)
    now = "2026-11-01T00:00:00.000Z"
    db.execute("INSERT INTO users (name, role, created_at) VALUES ('bench.auditor', 'auditor', ?)", (now,))
    db.insert(
        "units",
        ("unit_id", "kind", "name", "region", "active", "updated_at"),
        [(f"U{u:04d}", "branch", f"ПСС №{u}", f"Регион {u % 17}", 1, now) for u in range(UNITS)],
    )
    db.insert(
        "staff",
        ("staff_id", "name", "unit_id", "position", "active", "updated_at"),
        [(f"E{s:05d}", f"Сотрудник {s}", f"U{s % UNITS:04d}", "консультант", 1, now) for s in range(STAFF)],
    )
    submissions, views, standards, staff = [], [], [], []
    for v in range(visits):
        sub = f"00000000-0000-4000-8000-{v:012d}"
        unit = f"U{v % UNITS:04d}"
        person = f"E{rng.randrange(STAFF // UNITS) * UNITS + v % UNITS:05d}"
        scores = [rng.random() ** 0.3 for _ in range(STANDARDS)]
        visit_score = 100 * sum(scores) / STANDARDS
        submissions.append((sub, "bench.auditor", now))
        views.append(
            (
                sub,
                "bench.auditor",
                "branch",
                1,
                unit,
                "submitted",
                now,
                PERIOD,
                "approved",
                visit_score,
                visit_score,
                "{}",
                now,
                2,
            )
        )
        packed = [(f"BR-{c:02d}", s, s > 0.9) for c, s in enumerate(scores)]
        standards.append((PERIOD, 2, unit, sub, encode_standard_scores(packed)))
        staff.append((PERIOD, 2, person, sub, unit, visit_score))
    db.insert("submissions", ("submission_id", "auditor", "created_at"), submissions)
    db.insert(
        "submission_views",
        (
            "submission_id",
            "auditor",
            "checklist_id",
            "checklist_version",
            "unit_id",
            "state",
            "corrected_start",
            "period",
            "status",
            "visit_score",
            "person_score",
            "document",
            "updated_at",
            "counted",
            "has_conflicts",
        ),
        [view + (0,) for view in views],
    )
    db.insert("visit_scores", ("period", "counted", "unit_id", "submission_id", "standards"), standards)
    db.insert("visit_staff", ("period", "counted", "staff_id", "submission_id", "unit_id", "person_score"), staff)
    # As the server's write path does: every group with new rows waits for its sums.
    db.execute("INSERT INTO dirty_groups SELECT DISTINCT period, counted, unit_id FROM visit_scores")


def load_month(server: Server, visits: int) -> None:
    """`populate` the stopped server's store in one transaction."""
    loader = server.loader()
    try:
        populate(loader, visits)
        loader.commit()
    finally:
        loader.close()


def _median_ms(client: httpx.Client, path: str, params: dict, trials: int) -> float:
    times = []
    for _ in range(trials):
        started = time.perf_counter()
        response = client.get(path, params=params)
        times.append(1000 * (time.perf_counter() - started))
        response.raise_for_status()
    return statistics.median(times)


def run(quick: bool, store: Store = SQLITE) -> list[Row]:
    """Generate the month, start a server on it, time the figures and the close."""
    visits = 5_000 if quick else VISITS
    work = Path(tempfile.mkdtemp(prefix="tekseru-bench-figures-"))
    server = Server(work / "data", store)
    try:
        server.start()  # migrates and loads the library and the default policy
        server.stop()
        load_month(server, visits)
        server.start()
        trials = 3 if quick else 7
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as client:
            # The first read after the visits arrived sums every changed group; later reads use the sums.
            first_ms = _median_ms(client, "/v1/scores/units", {"period": PERIOD}, 1)
            units_ms = _median_ms(client, "/v1/scores/units", {"period": PERIOD}, trials)
            staff_ms = _median_ms(client, "/v1/scores/staff", {"period": PERIOD}, trials)
            motivation_ms = _median_ms(client, "/v1/motivation", {"period": PERIOD}, trials)
            started = time.perf_counter()
            closed = client.post(f"/v1/periods/{PERIOD}/close")
            close_s = time.perf_counter() - started
            closed.raise_for_status()
            rows_frozen = len(closed.json()["rows"])
    finally:
        server.close()
        shutil.rmtree(work, ignore_errors=True)
    name = f"figures ({store.label})"
    label = f"{visits:,} approved visits, {UNITS} units, {STAFF:,} staff"
    return [
        Row(f"{name}: unit x standard month ({label})", units_ms, "ms", "< 50", units_ms < 50),
        Row(f"{name}: unit x standard, first read after the month's visits arrived", first_ms, "ms"),
        Row(f"{name}: staff scores, month", staff_ms, "ms"),
        Row(f"{name}: motivation for {STAFF:,} staff", motivation_ms, "ms", "< 200", motivation_ms < 200),
        Row(f"{name}: closing the period", close_s, "s", "< 2", close_s < 2),
        Row(f"{name}: rows frozen in the snapshot", rows_frozen, "rows"),
    ]
