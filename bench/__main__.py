"""`python -m bench`: run the measurements described in `bench/__init__.py` and print the table."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import BATCH, Row, Server, markdown, percentile, setup_org
from bench.raw import raw_ceiling
from bench.sync import LoadResult, duplicates, first_pull, run_load, sample_rows

SYNC = ("raw", "saturation", "paced", "duplicates", "pull")
NAMES = (*SYNC, "uploads", "scorecards", "figures", "console", "dashboards", "month_end")
TABLETS = 64
OUT = Path(__file__).parent / "out" / "latest.json"

# (seconds measured, warmup seconds) per run
FULL = {"raw": (3.0, 0.0), "saturation": (20.0, 3.0), "paced": (30.0, 3.0), "duplicates": 9, "pull": 3}
QUICK = {"raw": (2.0, 0.0), "saturation": (4.0, 1.0), "paced": (4.0, 1.0), "duplicates": 3, "pull": 2}


def load_rows(name: str, result: LoadResult, p99_target: float | None = None) -> list[Row]:
    p99 = percentile(result.latencies, 99)
    target = (f"<= {p99_target:.0f}", p99 <= p99_target) if p99_target else ("", None)
    return [
        Row(f"{name}: pushes", result.pushes, f"x {BATCH} submissions"),
        Row(f"{name}: p50 push latency", percentile(result.latencies, 50), "ms"),
        Row(f"{name}: p99 push latency", p99, "ms", *target),
        Row(f"{name}: server CPU", 100 * result.server_cpu / result.seconds, "% of a core"),
        Row(f"{name}: push workers CPU", 100 * result.workers_cpu / result.seconds, "% of a core"),
        Row(f"{name}: load generator CPU", 100 * result.client_cpu / result.seconds, f"% ({result.workers} proc)"),
    ]


def pull_rows(label: str, server: Server, org, trials: int) -> list[Row]:
    pull = first_pull(server, org, trials)
    return [
        Row(f"first full pull ({label})", pull.ms, "ms", "< 300", pull.ms < 300),
        Row(f"first full pull ({label}): changes", pull.changes, f"in {pull.pages} page(s)"),
    ]


def measure(server: Server, only: set[str], plan: dict, workers: int, work: Path) -> list[Row]:
    t0 = time.perf_counter()
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=120) as api:
        org = setup_org(api, TABLETS)
    rows = [
        Row("setup (org through the admin API)", time.perf_counter() - t0, "s"),
        Row("answers per submission", org.required, f"of {org.items} items", "40", None),
    ]
    if "pull" in only:
        rows += pull_rows("after setup", server, org, plan["pull"])
    errors: list[str] = []
    ceiling = with_aggregates = 0.0
    if "raw" in only:
        content, document, ids = sample_rows(server, org)
        ceiling, _ = raw_ceiling(work / "raw.sqlite3", content, document, ids, plan["raw"][0])
        rows.append(Row("raw ceiling (plain sqlite3, 50/txn, 4 rows/submission)", ceiling, "submissions/s"))
        with_aggregates, _ = raw_ceiling(
            work / "raw-agg.sqlite3", content, document, ids, plan["raw"][0], standards=org.standards
        )
        label = f"raw ceiling + aggregation rows (1 visit_scores of {org.standards} standards, 1 visit_staff)"
        rows.append(Row(label, with_aggregates, "submissions/s"))
    if "saturation" in only:
        result = run_load(server, org, "saturation", *plan["saturation"], workers=workers)
        # "The same rows": the server also writes the aggregation rows, so its own ceiling includes them.
        ratio = result.rate / with_aggregates if with_aggregates else 0.0
        ratio_bare = result.rate / ceiling if ceiling else 0.0
        rows += [
            Row("saturation: throughput", result.rate, "submissions/s", f">= {with_aggregates / 2:,.0f}", ratio >= 0.5),
            Row("saturation: ratio to the raw ceiling of the same rows", ratio, "", ">= 0.5", ratio >= 0.5),
            Row("saturation: ratio to the 4-row raw ceiling (no aggregation rows)", ratio_bare, ""),
            *load_rows("saturation", result),
        ]
        errors += result.errors + [f"saturation: {n} x {s}" for s, n in result.statuses.items() if s != "applied"]
    if "paced" in only:
        result = run_load(server, org, "paced", *plan["paced"], workers=workers)
        offered = TABLETS * BATCH / 2.0
        rows += [
            Row("paced: throughput", result.rate, "submissions/s", f"~{offered:,.0f} offered", None),
            *load_rows("paced", result, p99_target=250),
        ]
        errors += result.errors + [f"paced: {n} x {s}" for s, n in result.statuses.items() if s != "applied"]
    if "duplicates" in only:
        dup = duplicates(server, org, plan["duplicates"])
        ratio = dup.fresh_ms / dup.duplicate_ms
        rows += [
            Row("duplicates: fresh batch (median)", dup.fresh_ms, "ms"),
            Row("duplicates: same batch again (median)", dup.duplicate_ms, "ms"),
            Row("duplicates: ratio fresh / duplicate", ratio, "", ">= 2", ratio >= 2),
        ]
        errors += [f"duplicates: unexpected status {s}" for s in dup.wrong]
    if "pull" in only and only & {"saturation", "paced"}:
        rows += pull_rows("after the load runs", server, org, plan["pull"])
    for error in errors[:10]:
        print(f"error: {error}", file=sys.stderr)
    rows.append(Row("errors (receipts not applied, failed requests)", len(errors), "", "0", not errors))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs, a few seconds each (a smoke check)")
    parser.add_argument("--only", action="append", choices=NAMES, metavar="NAME", help=f"one of {', '.join(NAMES)}")
    parser.add_argument("--workers", type=int, default=1, help="load-generator processes (default 1)")
    args = parser.parse_args(argv)
    only = set(args.only or NAMES)
    if "saturation" in only:
        only.add("raw")
    started = time.perf_counter()
    rows: list[Row] = []
    if only & set(SYNC):
        work = Path(tempfile.mkdtemp(prefix="tekseru-bench-"))
        server = Server(work / "data")
        try:
            server.start()
            rows = measure(server, only, QUICK if args.quick else FULL, max(1, args.workers), work)
            rss = server.peak_rss() / 2**20
            rows.append(Row("server RSS with its workers (peak, sync runs)", rss, "MB", "<= 300", rss <= 300))
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
    if "uploads" in only:
        from bench import uploads

        rows += [Row(**row) for row in uploads.run(args.quick)]
    if "scorecards" in only:
        from bench import scorecards

        rows += [Row(**row) for row in scorecards.run(args.quick)]
    if "figures" in only:
        from bench import figures

        rows += figures.run(args.quick)
    if "console" in only:
        from bench import console

        rows += console.run(args.quick)
    if "month_end" in only:
        from bench import month_end

        rows += month_end.run(args.quick)
    if "dashboards" in only:
        from bench import dashboards

        rows += dashboards.run(args.quick)
    rows.append(Row("benchmark wall time", time.perf_counter() - started, "s"))
    print(markdown(rows))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"quick": args.quick, "rows": [r.as_dict() for r in rows]}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
