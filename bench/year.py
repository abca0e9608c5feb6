"""A year of data: 300,000 visits of 56 answers (12 months × 25,000) on each store, against an empty store.

The visits are made from real ones. A scratch `tekseru serve` (SQLite) receives 24 template visits
from a tablet: the shipped `branch` checklist v1, each of the 8 answer sets of the load generator
(`bench.common.answer_sets`) three times, one left awaiting review, one approved and one rejected
by a quality lead through the API. Every row the server wrote for them (submission, revision,
view with its document, per-standard scores, staff row, review, change-feed entry) is read back
and becomes a pattern in which the ids, unit, staff member, auditor, device and dates are holes.
The year is then written straight into a stopped server's store (`bench.stores.Loader`:
`executemany` into SQLite with `synchronous=OFF`, `COPY` into PostgreSQL) in the order it would
have arrived, oldest first: each month's visits cover the 500 units 50 times over, with staff
members of each visit's unit and 64 auditors; 3 % are rejected, the others approved, but for 100
of the newest month's that await review. Every revision's hash is its content's. The months'
figures are left for the server to sum, as after any arrival.

Each store is measured twice, on the same organisation (`bench.common.setup_org`, and a quality
lead with a password): "empty", holding only the newest 500 of those visits (one per unit, the
same 100 awaiting review: the month's figures and the queue's first page are as big as with the
year), and with the year loaded. After the first read of the newest month's figures (which sums
its groups, reported on its own row) the server sums every other month too, as one running all
year would have long before. Then, empty against a year, with the ratio (target <= 2):

- the newest month's unit × standard figures, `GET /v1/scores/units?period=`;
- a unit's scorecard of that month, `POST /v1/scorecards` (another unit each time: a new draft);
- the review queue: `GET /v1/submissions` (first page, 100 rows) and the console's `/review`
  (its default view, signed in as the lead);
- a fresh device's first full pull of the auditor holding the 50 assignments (as `pull`);
- paced push (64 tablets every 2 s, as `paced`) p99, run last.

The reads are compared on the server's CPU per request (its processes, and on PostgreSQL the
backends serving its database), which the other work of a shared machine does not inflate as it
does the times to answer; those are shown beside. Without a target: the loading time, the store's
size, and a fresh device's first pull of an auditor with a year of their own visits. On
PostgreSQL the server runs as 2 processes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec

from bench.common import (
    ALMATY,
    CHECKLIST,
    N_UNITS,
    Row,
    Server,
    Tablet,
    answer_sets,
    checked,
    console_sign_in,
    new_auditor,
    new_device,
    percentile,
    setup_org,
)
from bench.stores import Store
from bench.sync import first_pull, push, run_load

VISITS, MONTHS = 300_000, 12
NEWEST = 500  # the "empty" store's visits: the newest of the year, one per unit
STAFF_PER_UNIT = 10  # setup_org: staff member s works at unit s % 500
TABLETS = 64
LEAD, PASSWORD = "bench.lead", "bench-year-password-1"
STATUSES = ("received", "approved", "rejected")
# Every id of a template visit starts with MARK; a copy's ids start with its own number (8 hex digits).
MARK = "c0c0c0c0-"
T_UNIT, T_STAFF, T_AUDITOR = "U0000", "E00000", "auditor00"
# Tables whose rows name a submission but are not part of one (who has it open, raw quarantine).
NOT_COPIED = {"quarantine", "review_open"}
# (seconds measured, warmup seconds) of the paced run, and reads per figure
FULL = {"visits": VISITS, "paced": (20.0, 3.0), "reads": 15, "min_s": 1.0, "pulls": 5, "scorecards": 7}
QUICK = {"visits": 24_000, "paced": (4.0, 1.0), "reads": 5, "min_s": 0.3, "pulls": 2, "scorecards": 3}


# --- the template visits ------------------------------------------------------------------------


@dataclass
class Pattern:
    """One row of a template visit: its table, the columns written, and each value or its pattern."""

    table: str
    columns: tuple[str, ...]
    values: tuple  # a `str.format_map` pattern (Hole) or a value kept as it is


class Hole(str):
    """A text value with holes ({id}, {unit}, ...), filled per copy."""


def _pattern(value: object, holes: list[tuple[str, str]], period: str) -> object:
    if not isinstance(value, str):
        return value
    if value == period:
        return Hole("{period}")
    text = value.replace("{", "{{").replace("}", "}}")
    for token, hole in holes:
        text = text.replace(token, hole)
    return Hole(text) if "{" in text.replace("{{", "").replace("}}", "") else value


def capture_templates(work: Path) -> dict[tuple[int, str], list[Pattern]]:
    """Push the template visits through a scratch server, review them, and read back their rows as patterns."""
    server = Server(work / "templates" / "data")
    started = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(hour=5, minute=0, second=0, microsecond=0)
    try:
        server.start()
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
            csv = {"Content-Type": "text/csv"}
            units = f"unit_id,kind,name,region\n{T_UNIT},branch,Branch {T_UNIT},Region 0\n"
            checked(api.post("/v1/admin/import/units", content=units.encode(), headers=csv))
            staff = f"staff_id,name,unit_id,position\n{T_STAFF},Staff member,{T_UNIT},operator\n"
            checked(api.post("/v1/admin/import/staff", content=staff.encode(), headers=csv))
            tablet = new_auditor(api, T_AUDITOR)
            lead = checked(api.post("/v1/users", json={"name": LEAD, "role": "quality_lead"}), 200, 201).json()
            version = checked(api.get(f"/v1/checklists/{CHECKLIST['id']}/versions/{CHECKLIST['version']}")).json()
        answers, _, _ = answer_sets(version["checklist"])
        revisions, kinds = [], {}
        for variant, answer_list in enumerate(answers):
            for status in STATUSES:
                t = len(revisions)
                kinds[t] = (variant, status)
                revisions.append(
                    {
                        "rev_id": f"{MARK}0000-4000-9000-{t:012d}",
                        "submission_id": f"{MARK}0000-4000-8000-{t:012d}",
                        "parents": [],
                        "hlc": f"{int(started.timestamp() * 1000):016d}:{t:04d}:{tablet.device_id}",
                        "checklist": CHECKLIST,
                        "unit_id": T_UNIT,
                        "staff_ids": [T_STAFF],
                        "started_at": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                        "finished_at": (started + dt.timedelta(minutes=25))
                        .isoformat(timespec="milliseconds")
                        .replace("+00:00", "Z"),
                        "state": "submitted",
                        "answers": answer_list,
                    }
                )
        body = {"device_id": tablet.device_id, "sent_at": dt.datetime.now(ALMATY).isoformat(), "revisions": revisions}
        received = dt.datetime.now(dt.UTC)
        with httpx.Client(base_url=server.url, timeout=60) as client:
            _, seen = push(client, tablet, msgspec.json.encode(body))
            if seen != ["applied"] * len(revisions):
                raise RuntimeError(f"the template visits were not all applied: {seen}")
            decisions = [
                {
                    "submission_id": r["submission_id"],
                    "decision": "approve" if kinds[t][1] == "approved" else "reject",
                    "heads": [r["rev_id"]],
                }
                | ({"comment": "Повторить визит"} if kinds[t][1] == "rejected" else {})
                for t, r in enumerate(revisions)
                if kinds[t][1] != "received"
            ]
            lead_headers = {"Authorization": f"Bearer {lead['token']}"}
            items = checked(
                client.post("/v1/submissions/review", json={"decisions": decisions}, headers=lead_headers)
            ).json()["items"]
            wrong = [i for i in items if i.get("problem")]
            if wrong:
                raise RuntimeError(f"a template review failed: {wrong[0]}")
    finally:
        server.stop()
    if dt.datetime.now(dt.UTC).date() != received.date():
        raise RuntimeError("the template visits were reviewed on another day than they arrived: run again")
    period = f"{started.astimezone(ALMATY):%Y-%m}"
    holes = [
        (MARK, "{id}"),
        (T_UNIT, "{unit}"),
        (T_STAFF, "{staff}"),
        (T_AUDITOR, "{auditor}"),
        (tablet.device_id, "{device}"),
        (f"{started:%Y-%m-%d}T", "{day}T"),
        (f"{received:%Y-%m-%d}T", "{received}T"),
        (f'"{period}"', '"{period}"'),
    ]
    templates: dict[tuple[int, str], list[Pattern]] = {kind: [] for kind in kinds.values()}
    with sqlite3.connect(server.data_dir / "tekseru.sqlite3") as db:
        db.row_factory = sqlite3.Row
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if name not in NOT_COPIED and "submission_id" in {c[1] for c in db.execute(f"PRAGMA table_info({name})")}
        ]
        tables.sort(key=lambda name: name != "submissions")  # the others name it
        for table in [*tables, "changes"]:
            info = list(db.execute(f"PRAGMA table_info({table})"))
            # A rowid alias (INTEGER PRIMARY KEY) is numbered by the store; but a review's id is in its
            # visit's document, so the copies number their reviews themselves (`year_rows`).
            columns = tuple(c[1] for c in info if not (c[5] == 1 and c[2].upper() == "INTEGER") or table == "reviews")
            key = "object_id" if table == "changes" else "submission_id"
            for row in db.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {key} LIKE '{MARK}%'"):
                t = int(row[key][-12:])
                values = tuple(_pattern(row[c], holes, period) for c in columns)
                if table == "submission_views" and kinds[t][1] != "received":  # its review's id, in the document
                    (review_id,) = db.execute("SELECT id FROM reviews WHERE submission_id = ?", (row[key],)).fetchone()
                    values = tuple(
                        Hole(v.replace(f'"id":{review_id}}}}}', '"id":{review}}}')) if c == "document" else v
                        for c, v in zip(columns, values, strict=True)
                    )
                templates[kinds[t]].append(Pattern(table, columns, values))
    return templates


# --- the year -------------------------------------------------------------------------------------


def _months(newest: dt.date) -> list[str]:
    """The 12 periods up to and including `newest`'s, oldest first."""
    out, year, month = [], newest.year, newest.month
    for _ in range(MONTHS):
        out.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


@dataclass
class Year:
    total: int  # visits in the whole year
    periods: list[str]  # oldest first; the newest is the month measured
    auditors: list[Tablet]

    @property
    def per_month(self) -> int:
        return self.total // MONTHS

    def status(self, i: int) -> str:
        # The same 100 visits await review with or without the year: the queue is as long, its history not.
        if i >= self.total - NEWEST and i % 5 == 0:
            return "received"
        return "rejected" if i % 33 == 7 else "approved"

    def holes(self, i: int) -> dict[str, str]:
        period = self.periods[min(i // self.per_month, MONTHS - 1)]
        unit = i % N_UNITS
        day = 1 + (i // N_UNITS) % 27
        auditor = self.auditors[(i // 7) % len(self.auditors)]
        return {
            "id": f"{i:08x}-",
            "unit": f"U{unit:04d}",
            "staff": f"E{(i // N_UNITS) % STAFF_PER_UNIT * N_UNITS + unit:05d}",
            "auditor": auditor.name,
            "device": auditor.device_id,
            "day": f"{period}-{day:02d}",
            "received": f"{period}-{day + 1:02d}",
            "period": period,
        }


def year_rows(templates: dict[tuple[int, str], list[Pattern]], year: Year, first: int) -> Iterator[Pattern]:
    """The rows of visits `first`.. of the year (oldest first), each table's in arrival order."""
    for i in range(first, year.total):
        values = year.holes(i) | {"review": str(i + 1)}
        for pattern in templates[(i % 8, year.status(i))]:
            row = tuple(v.format_map(values) if isinstance(v, Hole) else v for v in pattern.values)
            if pattern.table == "revisions":
                named = dict(zip(pattern.columns, row, strict=True))
                named["sha256"] = hashlib.sha256(named["content"].encode("utf-8")).hexdigest()
                named["arrival"] = i + 1
                row = tuple(named.values())
            elif pattern.table == "reviews":  # one review per visit, at most
                row = tuple(i + 1 if c == "id" else v for c, v in zip(pattern.columns, row, strict=True))
            yield Pattern(pattern.table, pattern.columns, row)


def load(server: Server, templates: dict[tuple[int, str], list[Pattern]], year: Year, count: int) -> float:
    """Write the newest `count` visits of the year into the stopped server's store; answers the seconds taken."""
    started = time.perf_counter()
    loader = server.loader()
    try:
        batch: dict[str, tuple[tuple[str, ...], list[tuple]]] = {}
        pending = 0

        def flush() -> None:
            # submissions first: the other tables name them
            for table in sorted(batch, key=lambda name: name != "submissions"):
                columns, rows = batch[table]
                loader.insert(table, columns, rows)
            batch.clear()

        for row in year_rows(templates, year, year.total - count):
            batch.setdefault(row.table, (row.columns, []))[1].append(row.values)
            pending += 1
            if pending >= 50_000:
                flush()
                pending = 0
        flush()
        # As the server's write path does: every group with new rows waits for its sums.
        loader.execute("INSERT INTO dirty_groups SELECT DISTINCT period, counted, unit_id FROM visit_scores")
        if loader.kind == "postgresql":  # the reviews were numbered here: the store's next number follows them
            loader.execute("SELECT setval(pg_get_serial_sequence('reviews', 'id'), (SELECT max(id) FROM reviews))")
        loader.commit()
    finally:
        loader.close()
    return time.perf_counter() - started


def store_size(server: Server) -> float:
    """The store's size on disk in MB."""
    if server.database_url is None:
        return sum(f.stat().st_size for f in server.data_dir.glob("tekseru.sqlite3*")) / 2**20
    import psycopg

    with psycopg.connect(server.database_url) as conn:
        return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Timing:
    """Requests of one kind: the median time to answer, and the server's CPU per request.

    The server's CPU is that of every process of the server (the store's work included on SQLite)
    and of PostgreSQL's backends for its database: unlike the time to answer, other work on the
    machine does not inflate it, so it is what the empty and the loaded store are compared on.
    """

    ms: float
    cpu_ms: float


def _cpu_now(server: Server) -> tuple[float, dict[int, float]]:
    return sum(server.cpu_seconds()), server.database_cpu()


def _cpu_since(server: Server, since: tuple[float, dict[int, float]]) -> float:
    """CPU seconds of the server and its database's backends since `since` (a backend that left is not seen)."""
    serving, backends = _cpu_now(server)
    return serving - since[0] + sum(after - since[1].get(pid, 0.0) for pid, after in backends.items())


def _timed(
    server: Server, request: Callable[[int], httpx.Response], plan: dict, warmup: int = 2
) -> tuple[Timing, httpx.Response]:
    """`request(n)` for n = 0, 1, ...: `warmup` unmeasured, then at least `plan["reads"]` for `plan["min_s"]` s."""
    for n in range(warmup):
        request(n)
    times: list[float] = []
    began, cpu = time.perf_counter(), _cpu_now(server)
    while len(times) < plan["reads"] or time.perf_counter() - began < plan["min_s"]:
        started = time.perf_counter()
        response = request(warmup + len(times))
        times.append(1000 * (time.perf_counter() - started))
    return Timing(statistics.median(times), 1000 * _cpu_since(server, cpu) / len(times)), response


@dataclass
class Figures:
    load_s: float
    size_mb: float
    figures_first_ms: float
    figures: Timing
    scorecard: Timing
    queue: Timing
    review: Timing | None  # None: the page failed (`review_failure`)
    review_failure: str | None
    pull: Timing
    own_pull_ms: float
    own_changes: int
    paced_p50: float
    paced_p99: float
    errors: list[str]


def measure(
    store: Store, templates: dict[tuple[int, str], list[Pattern]], count: int, plan: dict, work: Path
) -> Figures:
    """A fresh server on `store` with the organisation and the newest `count` visits of the year: the figures."""
    server = Server(work / f"{store.kind}-{count}" / "data", store)
    try:
        server.start()
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
            org = setup_org(api, TABLETS)
            checked(api.post("/v1/users", json={"name": LEAD, "role": "quality_lead"}), 200, 201)
            checked(api.put(f"/v1/users/{LEAD}/password", json={"password": PASSWORD}), 200, 204)
        server.stop()
        last_month = dt.datetime.now(ALMATY).date().replace(day=1) - dt.timedelta(days=1)
        year = Year(plan["visits"], _months(last_month), org.tablets)
        load_s = load(server, templates, year, count)
        size_mb = store_size(server)
        server.start()
        newest = year.periods[-1]
        with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=300) as api:
            started = time.perf_counter()
            checked(api.get("/v1/scores/units", params={"period": newest}))
            first_ms = 1000 * (time.perf_counter() - started)
            for period in year.periods[:-1]:  # a server running all year summed each month long ago
                checked(api.get("/v1/scores/units", params={"period": period}))
            figures, answer = _timed(
                server, lambda n: checked(api.get("/v1/scores/units", params={"period": newest})), plan
            )
            if len(answer.json()["items"]) != N_UNITS:
                raise RuntimeError(f"the month's figures hold {len(answer.json()['items'])} units, not {N_UNITS}")
            queue, answer = _timed(server, lambda n: checked(api.get("/v1/submissions")), plan)
            if len(answer.json()["items"]) != 100:
                raise RuntimeError(f"the queue's first page holds {len(answer.json()['items'])} visits, not 100")

            def scorecard(n: int) -> httpx.Response:  # another unit each time: a new draft, rendered
                body = {"scope": "unit", "period": newest, "unit_id": f"U{n:04d}"}
                return checked(api.post("/v1/scorecards", json=body), 201)

            scorecard_timing, _ = _timed(server, scorecard, plan | {"reads": plan["scorecards"]})
        with httpx.Client(base_url=server.url, timeout=120) as client:
            console_sign_in(client, LEAD, PASSWORD)
            probe = client.get("/review")
            review = _timed(server, lambda n: checked(client.get("/review")), plan)[0] if probe.is_success else None
        cpu = _cpu_now(server)
        pull = first_pull(server, org, plan["pulls"])
        pull_timing = Timing(pull.ms, 1000 * _cpu_since(server, cpu) / plan["pulls"])
        own_ms, own_changes = _own_pull(server, org.tablets[0].name)
        result = run_load(server, org, "paced", *plan["paced"], workers=1)
        errors = result.errors + [f"paced: {n} x {s}" for s, n in result.statuses.items() if s != "applied"]
        return Figures(
            load_s=load_s,
            size_mb=size_mb,
            figures_first_ms=first_ms,
            figures=figures,
            scorecard=scorecard_timing,
            queue=queue,
            review=review,
            review_failure=None if probe.is_success else f"HTTP {probe.status_code}",
            pull=pull_timing,
            own_pull_ms=own_ms,
            own_changes=own_changes,
            paced_p50=percentile(result.latencies, 50),
            paced_p99=percentile(result.latencies, 99),
            errors=errors,
        )
    finally:
        server.close()


def _own_pull(server: Server, auditor: str) -> tuple[float, int]:
    """A fresh device of an auditor with visits of their own pulls everything: ms and changes."""
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=300) as api:
        tablet = new_device(api, auditor)
        cursor, changes = None, 0
        started = time.perf_counter()
        while True:
            params = {"limit": 5000} | ({"cursor": cursor} if cursor else {})
            page = checked(api.get("/v1/sync/pull", params=params, headers=tablet.headers)).json()
            changes += len(page["changes"])
            cursor = page["cursor"]
            if not page["has_more"]:
                break
        return 1000 * (time.perf_counter() - started), changes


def _ratio_row(name: str, empty: float, year: float) -> Row:
    ratio = year / empty if empty else float("inf")
    return Row(name, ratio, f"x (empty {empty:,.1f} ms, a year {year:,.1f} ms)", "<= 2", ratio <= 2)


def _cpu_row(name: str, empty: Timing | None, year: Timing | None, failure: str | None = None) -> Row:
    """Year against empty on the server's CPU per request, with the times to answer beside."""
    if empty is None or year is None:
        return Row(f"{name}: server CPU per request", failure or "failed", "", "<= 2", False)
    ratio = year.cpu_ms / empty.cpu_ms if empty.cpu_ms else float("inf")
    detail = (
        f"x (empty {empty.cpu_ms:,.1f} ms, a year {year.cpu_ms:,.1f} ms;"
        f" answered in {empty.ms:,.1f} -> {year.ms:,.1f} ms)"
    )
    return Row(f"{name}: server CPU per request", ratio, detail, "<= 2", ratio <= 2)


def run(quick: bool, stores: list[Store]) -> list[Row]:
    """Capture the templates, then measure each store empty and with a year of data."""
    plan = QUICK if quick else FULL
    work = Path(tempfile.mkdtemp(prefix="tekseru-bench-year-"))
    rows: list[Row] = []
    try:
        templates = capture_templates(work)
        for store in stores:
            empty = measure(store, templates, NEWEST, plan, work)
            year = measure(store, templates, plan["visits"], plan, work)
            label = f"year ({store.label})"
            count = f"{plan['visits']:,} visits"
            rows += [
                Row(f"{label}: loading {count} straight into the store", year.load_s, "s"),
                Row(f"{label}: store size, empty -> a year", f"{empty.size_mb:,.0f} -> {year.size_mb:,.0f} MB"),
                _cpu_row(f"{label}: newest month's unit x standard figures", empty.figures, year.figures),
                Row(
                    f"{label}: the same, first read (sums the month's groups)",
                    f"{empty.figures_first_ms:,.1f} -> {year.figures_first_ms:,.1f} ms",
                    f"({NEWEST} -> {plan['visits'] // MONTHS:,} visits in the month)",
                ),
                _cpu_row(
                    f"{label}: a unit's scorecard of the month, POST /v1/scorecards", empty.scorecard, year.scorecard
                ),
                _cpu_row(f"{label}: review queue, GET /v1/submissions first page", empty.queue, year.queue),
                _cpu_row(
                    f"{label}: review queue, console /review",
                    empty.review,
                    year.review,
                    empty.review_failure or year.review_failure,
                ),
                _cpu_row(f"{label}: first full pull (fresh device, 50 assignments)", empty.pull, year.pull),
                Row(
                    f"{label}: first full pull of an auditor's own visits",
                    f"{empty.own_pull_ms:,.0f} -> {year.own_pull_ms:,.0f} ms",
                    f"({empty.own_changes:,} -> {year.own_changes:,} changes)",
                ),
                _ratio_row(f"{label}: paced push p99", empty.paced_p99, year.paced_p99),
            ]
            errors = empty.errors + year.errors
            for error in errors[:10]:
                print(f"error: {error}", flush=True)
            rows.append(Row(f"{label}: errors in the paced runs", len(errors), "", "0", not errors))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows
