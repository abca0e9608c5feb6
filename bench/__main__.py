"""`python -m bench`: run the measurements described in `bench/__init__.py` and print the table."""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import BATCH, Row, Server, markdown, percentile, setup_org
from bench.raw import raw_ceiling
from bench.stores import ADMIN_URL, SQLITE, Store
from bench.sync import LoadResult, duplicates, first_pull, run_load, sample_rows

SYNC = ("raw", "saturation", "paced", "duplicates", "pull")
NAMES = (*SYNC, "uploads", "scorecards", "figures", "year", "console", "dashboards", "month_end", "integrity", "plans")
TABLETS = 64
OUT = Path(__file__).parent / "out" / "latest.json"
STORE_CHOICES = {"sqlite": ("sqlite",), "postgres": ("postgresql",), "both": ("sqlite", "postgresql")}

# (seconds measured, warmup seconds) per run
FULL = {"raw": (3.0, 0.0), "saturation": (20.0, 3.0), "paced": (30.0, 3.0), "duplicates": 9, "pull": 3}
QUICK = {"raw": (2.0, 0.0), "saturation": (4.0, 1.0), "paced": (4.0, 1.0), "duplicates": 3, "pull": 2}


def load_rows(name: str, server: Server, result: LoadResult, p99_target: float | None = None) -> list[Row]:
    p99 = percentile(result.latencies, 99)
    target = (f"<= {p99_target:.0f}", p99 <= p99_target) if p99_target else ("", None)
    return [
        Row(f"{name}: pushes", result.pushes, f"x {BATCH} submissions"),
        Row(f"{name}: p50 push latency", percentile(result.latencies, 50), "ms"),
        Row(f"{name}: p99 push latency", p99, "ms", *target),
        Row(f"{name}: server CPU", 100 * result.server_cpu / result.seconds, "% of a core"),
        Row(f"{name}: push workers CPU", 100 * result.workers_cpu / result.seconds, "% of a core"),
        *(
            [Row(f"{name}: PostgreSQL CPU (its backends)", 100 * result.database_cpu / result.seconds, "% of a core")]
            if server.store.kind == "postgresql"
            else []
        ),
        Row(f"{name}: load generator CPU", 100 * result.client_cpu / result.seconds, f"% ({result.workers} proc)"),
    ]


def checks_rows(name: str, server: Server, idle_s: float = 10.0) -> list[Row]:
    """How the background integrity checks (run by the same server, beside the pushes and below
    them) kept up: the visits checked during the load, of those it stored; then their rate once
    the load stopped."""

    def counts() -> tuple[int, int]:
        sql = (
            "SELECT (SELECT count(*) FROM submission_views WHERE state = 'submitted'),"
            " (SELECT count(*) FROM integrity_tasks)"
        )
        if server.database_url:
            import psycopg

            with psycopg.connect(server.database_url, connect_timeout=5) as conn:
                return conn.execute(sql).fetchone()
        conn = sqlite3.connect(f"file:{server.data_dir / 'tekseru.sqlite3'}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchone()
        finally:
            conn.close()

    stored, waiting = counts()
    time.sleep(idle_s)
    _, later = counts()
    return [
        Row(f"{name}: integrity checks done during the load", stored - waiting, f"of {stored:,} visits"),
        Row(f"{name}: integrity checks per second after it", (waiting - later) / idle_s, "visits/s"),
    ]


def pull_rows(label: str, server: Server, org, trials: int) -> list[Row]:
    pull = first_pull(server, org, trials)
    return [
        Row(f"first full pull ({label})", pull.ms, "ms", "< 300", pull.ms < 300),
        Row(f"first full pull ({label}): changes", pull.changes, f"in {pull.pages} page(s)"),
    ]


def sync_servers(kinds: tuple[str, ...], only: set[str]) -> list[tuple[Store, set[str]]]:
    """The servers the sync measurements run on, each with the measurements it runs.

    SQLite runs them all; PostgreSQL runs them all on one server process, and saturation and paced
    push again on two (`tekseru serve --workers 2`).
    """
    servers = []
    if "sqlite" in kinds:
        servers.append((SQLITE, only & set(SYNC)))
    if "postgresql" in kinds:
        servers.append((Store("postgresql", 1), only & {"saturation", "paced", "duplicates", "pull"}))
        servers.append((Store("postgresql", 2), only & {"saturation", "paced"}))
    return [(store, which) for store, which in servers if which]


@dataclass
class Ceilings:
    """What later rows are compared with: SQLite's raw ceilings and its saturation throughput."""

    raw: float = 0.0
    with_aggregates: float = 0.0
    sqlite_saturation: float = 0.0


def measure(server: Server, only: set[str], plan: dict, workers: int, work: Path, ceilings: Ceilings) -> list[Row]:
    store = server.store.label
    t0 = time.perf_counter()
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
        org = setup_org(api, TABLETS)
    rows = [Row(f"setup ({store}, org through the admin API)", time.perf_counter() - t0, "s")]
    if server.store.kind == "sqlite":
        rows.append(Row("answers per submission", org.required, f"of {org.items} items", "40", None))
    if "pull" in only:
        rows += pull_rows(f"{store}, after setup", server, org, plan["pull"])
    errors: list[str] = []
    if "raw" in only:
        content, document, ids = sample_rows(server, org)
        ceilings.raw, _ = raw_ceiling(work / "raw.sqlite3", content, document, ids, plan["raw"][0])
        rows.append(Row("raw ceiling (plain sqlite3, 50/txn, 4 rows/submission)", ceilings.raw, "submissions/s"))
        ceilings.with_aggregates, _ = raw_ceiling(
            work / "raw-agg.sqlite3", content, document, ids, plan["raw"][0], standards=org.standards
        )
        label = f"raw ceiling + aggregation rows (1 visit_scores of {org.standards} standards, 1 visit_staff)"
        rows.append(Row(label, ceilings.with_aggregates, "submissions/s"))
    if "saturation" in only:
        result = run_load(server, org, "saturation", *plan["saturation"], workers=workers)
        name = f"saturation ({store})"
        if server.store.kind == "sqlite":
            ceilings.sqlite_saturation = result.rate
            # "The same rows": the server also writes the aggregation rows, so its own ceiling includes them.
            ratio = result.rate / ceilings.with_aggregates if ceilings.with_aggregates else 0.0
            ratio_bare = result.rate / ceilings.raw if ceilings.raw else 0.0
            half = f">= {ceilings.with_aggregates / 2:,.0f}"
            rows += [
                Row(f"{name}: throughput", result.rate, "submissions/s", half, ratio >= 0.5),
                Row(f"{name}: ratio to the raw ceiling of the same rows", ratio, "", ">= 0.5", ratio >= 0.5),
                Row(f"{name}: ratio to the 4-row raw ceiling (no aggregation rows)", ratio_bare, ""),
            ]
        elif server.store.processes > 1 and ceilings.sqlite_saturation:
            # PostgreSQL on several processes should take at least what SQLite's one writer takes here.
            target = ceilings.sqlite_saturation
            rows.append(
                Row(
                    f"{name}: throughput",
                    result.rate,
                    "submissions/s",
                    f">= {target:,.0f} (sqlite)",
                    result.rate >= target,
                )
            )
        else:
            rows.append(Row(f"{name}: throughput", result.rate, "submissions/s"))
        rows += load_rows(name, server, result)
        rows += checks_rows(name, server)
        errors += result.errors + [f"saturation: {n} x {s}" for s, n in result.statuses.items() if s != "applied"]
    if "paced" in only:
        result = run_load(server, org, "paced", *plan["paced"], workers=workers)
        offered = TABLETS * BATCH / 2.0
        name = f"paced ({store})"
        rows += [
            Row(f"{name}: throughput", result.rate, "submissions/s", f"~{offered:,.0f} offered", None),
            *load_rows(name, server, result, p99_target=250),
        ]
        errors += result.errors + [f"paced: {n} x {s}" for s, n in result.statuses.items() if s != "applied"]
    if "duplicates" in only:
        dup = duplicates(server, org, plan["duplicates"])
        ratio = dup.fresh_ms / dup.duplicate_ms
        rows += [
            Row(f"duplicates ({store}): fresh batch (median)", dup.fresh_ms, "ms"),
            Row(f"duplicates ({store}): same batch again (median)", dup.duplicate_ms, "ms"),
            Row(f"duplicates ({store}): ratio fresh / duplicate", ratio, "", ">= 2", ratio >= 2),
        ]
        errors += [f"duplicates: unexpected status {s}" for s in dup.wrong]
    if "pull" in only and only & {"saturation", "paced"}:
        rows += pull_rows(f"{store}, after the load runs", server, org, plan["pull"])
    for error in errors[:10]:
        print(f"error ({store}): {error}", file=sys.stderr)
    rows.append(Row(f"errors ({store}: receipts not applied, failed requests)", len(errors), "", "0", not errors))
    return rows


def postgres_answers() -> bool:
    """Whether the PostgreSQL server the benchmark would create its databases on answers."""
    import psycopg

    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, a few seconds each (a smoke check)")
    parser.add_argument("--only", action="append", choices=NAMES, metavar="NAME", help=f"one of {', '.join(NAMES)}")
    parser.add_argument("--workers", type=int, default=1, help="load-generator processes (default 1)")
    parser.add_argument(
        "--store",
        choices=tuple(STORE_CHOICES),
        default=None,
        help="the store(s) the sync measurements, figures and year run on (default both; sqlite alone when"
        " no PostgreSQL answers at TEKSERU_BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    only = set(args.only or NAMES)
    if "saturation" in only:
        only.add("raw")
    kinds = STORE_CHOICES[args.store or "both"]
    if args.store is None and not postgres_answers():
        print(f"no PostgreSQL answers at {ADMIN_URL}: measuring SQLite only", file=sys.stderr)
        kinds = ("sqlite",)
    if "sqlite" not in kinds:
        only.discard("raw")  # the raw ceiling is SQLite's
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    rows: list[Row] = []
    ceilings = Ceilings()
    for store, which in sync_servers(kinds, only):
        work = Path(tempfile.mkdtemp(prefix="tekseru-bench-"))
        server = Server(work / "data", store)
        try:
            server.start()
            rows += measure(server, which, plan, max(1, args.workers), work, ceilings)
            rss = server.peak_rss() / 2**20
            rows.append(
                Row(f"server RSS with its workers ({store.label}, peak, sync runs)", rss, "MB", "<= 300", rss <= 300)
            )
        finally:
            server.close()
            shutil.rmtree(work, ignore_errors=True)
    if "uploads" in only:
        from bench import uploads

        rows += [Row(**row) for row in uploads.run(args.quick)]
    if "scorecards" in only:
        from bench import scorecards

        rows += [Row(**row) for row in scorecards.run(args.quick)]
    if "figures" in only:
        from bench import figures

        for kind in kinds:
            rows += figures.run(args.quick, Store(kind))
    if "year" in only:
        from bench import year

        rows += year.run(args.quick, [Store(kind, 1 if kind == "sqlite" else 2) for kind in kinds])
    if "console" in only:
        from bench import console

        rows += console.run(args.quick)
    if "month_end" in only:
        from bench import month_end

        rows += month_end.run(args.quick)
    if "dashboards" in only:
        from bench import dashboards

        rows += dashboards.run(args.quick)
    if "integrity" in only:
        from bench import integrity

        rows += integrity.run(args.quick, kinds)
    if "plans" in only:
        from bench import plans

        rows += plans.run(args.quick)
    rows.append(Row("benchmark wall time", time.perf_counter() - started, "s"))
    print(markdown(rows))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"quick": args.quick, "rows": [r.as_dict() for r in rows]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
