"""The sync measurements against a running server: load runs, duplicate pushes, a fresh device's pull."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx
import msgspec

from bench.common import BATCH, PAGE, Org, PushMaker, Server, Tablet, checked, new_device, statuses

START_DELAY_S = 1.5  # lets the load processes start and connect before the clock starts
GRACE_S = 90.0  # how long after the window the load processes may take to finish the pushes in flight


@dataclass
class LoadResult:
    seconds: float
    pushes: int
    applied: int
    latencies: list[float]
    statuses: dict[str, int]
    errors: list[str]
    client_cpu: float  # CPU seconds of the load processes over the window
    server_cpu: float  # CPU seconds of the server process over the window
    workers_cpu: float  # CPU seconds of its worker processes over the window
    database_cpu: float  # CPU seconds of PostgreSQL's backends for the server's database (0 on SQLite)
    workers: int = 1

    @property
    def rate(self) -> float:
        return self.applied / self.seconds


def run_load(
    server: Server,
    org: Org,
    mode: str,
    seconds: float,
    warmup: float,
    workers: int,
    period: float = 2.0,
    jitter: float = 0.25,
) -> LoadResult:
    """Run the org's tablets in `workers` load processes (`bench.load`) and merge what they saw."""
    start_at = time.time() + START_DELAY_S
    job = {
        "url": server.url,
        "mode": mode,
        "start_at": start_at,
        "warmup": warmup,
        "duration": seconds,
        "period": period,
        "jitter": jitter,
        "units": org.units,
        "staff": org.staff,
        "answers": org.answers,
    }
    procs = []
    try:
        for w in range(workers):
            tablets = [
                {"token": t.token, "device_id": t.device_id, "seed": i}
                for i, t in enumerate(org.tablets)
                if i % workers == w
            ]
            path = server.data_dir.parent / f"load-{mode}-{w}.json"
            path.write_text(json.dumps({**job, "tablets": tablets}))
            procs.append(subprocess.Popen([sys.executable, "-m", "bench.load", str(path)], stdout=subprocess.PIPE))
        begin = start_at + warmup
        time.sleep(max(0.0, begin - time.time()))
        cpu, backends = server.cpu_seconds(), server.database_cpu()
        time.sleep(max(0.0, begin + seconds - time.time()))
        server_cpu, workers_cpu = (b - a for a, b in zip(cpu, server.cpu_seconds(), strict=True))
        # A backend that connected during the window counts from zero; one that left is not seen.
        database_cpu = sum(after - backends.get(pid, 0.0) for pid, after in server.database_cpu().items())
        outs = []
        for proc in procs:
            stdout, _ = proc.communicate(timeout=max(1.0, begin + seconds + GRACE_S - time.time()))
            if proc.returncode != 0:
                raise RuntimeError(f"a load process failed with exit status {proc.returncode}")
            outs.append(json.loads(stdout))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    merged: dict[str, int] = {}
    for out in outs:
        for status, n in out["statuses"].items():
            merged[status] = merged.get(status, 0) + n
    return LoadResult(
        seconds=seconds,
        pushes=sum(o["pushes"] for o in outs),
        applied=sum(o["applied"] for o in outs),
        latencies=[x for o in outs for x in o["latencies"]],
        statuses=merged,
        errors=[e for o in outs for e in o["errors"]],
        client_cpu=sum(o["cpu_s"] for o in outs),
        server_cpu=server_cpu,
        workers_cpu=workers_cpu,
        database_cpu=database_cpu,
        workers=workers,
    )


def push(api: httpx.Client, tablet: Tablet, body: bytes) -> tuple[float, list[str]]:
    """One push; answers (seconds, receipt statuses)."""
    headers = tablet.headers | {"Content-Type": "application/json"}
    t0 = time.perf_counter()
    response = checked(api.post("/v1/sync/push", content=body, headers=headers))
    return time.perf_counter() - t0, statuses(response.content)


def sample_rows(server: Server, org: Org) -> tuple[str, str, tuple[str, str]]:
    """One stored revision's content and its view document, as the server wrote them (for the raw ceiling)."""
    maker = PushMaker(org.dup.device_id, org.units, org.staff, org.answers, seed=99)
    revisions = maker.revisions(1)
    with httpx.Client(base_url=server.url, timeout=30) as api:
        _, seen = push(api, org.dup, maker.body(revisions))
        if seen != ["applied"]:
            raise RuntimeError(f"the sample push was not applied: {seen}")
        sub, rev = revisions[0]["submission_id"], revisions[0]["rev_id"]
        admin = server.admin_headers()
        document = checked(api.get(f"/v1/submissions/{sub}", headers=admin)).text
        content = checked(api.get(f"/v1/submissions/{sub}/revisions", headers=admin)).json()["items"][0]["content"]
    return json.dumps(content, separators=(",", ":"), sort_keys=True), document, (sub, rev)


@dataclass
class Duplicates:
    fresh_ms: float
    duplicate_ms: float
    wrong: list[str]  # statuses other than applied (fresh) / duplicate (resend)


def duplicates(server: Server, org: Org, repeats: int) -> Duplicates:
    """Median time of a fresh batch and of the same batch pushed again, one tablet, one request at a time."""
    maker = PushMaker(org.dup.device_id, org.units, org.staff, org.answers, seed=7)
    fresh, again, wrong = [], [], []
    with httpx.Client(base_url=server.url, timeout=60) as api:
        for _ in range(repeats):
            body = maker.body(maker.revisions(BATCH))
            seconds, seen = push(api, org.dup, body)
            fresh.append(seconds)
            wrong += [s for s in seen if s != "applied"]
            seconds, seen = push(api, org.dup, body)
            again.append(seconds)
            wrong += [s for s in seen if s != "duplicate"]
    return Duplicates(statistics.median(fresh) * 1000, statistics.median(again) * 1000, wrong)


@dataclass
class Pull:
    ms: float  # median over the trials
    changes: int
    pages: int


class _Page(msgspec.Struct):
    changes: list[msgspec.Raw]
    cursor: str
    has_more: bool


def first_pull(server: Server, org: Org, trials: int, max_pages: int = 100) -> Pull:
    """A device never seen before pulls from no cursor until `has_more` is false (median of `trials` devices)."""
    times, changes, pages = [], 0, 0
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=60) as api:
        for _ in range(trials):
            tablet = new_device(api, org.puller)
            cursor, changes, pages = None, 0, 0
            t0 = time.perf_counter()
            for _ in range(max_pages):
                params = {"limit": PAGE} | ({"cursor": cursor} if cursor else {})
                response = checked(api.get("/v1/sync/pull", params=params, headers=tablet.headers))
                page = msgspec.json.decode(response.content, type=_Page)
                changes += len(page.changes)
                pages += 1
                cursor = page.cursor
                if not page.has_more:
                    break
            times.append(time.perf_counter() - t0)
    return Pull(statistics.median(times) * 1000, changes, pages)
