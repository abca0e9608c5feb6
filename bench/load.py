"""The load generator: a process that runs some simulated tablets and reports what they saw.

Run as `python -m bench.load JOB.json` (the job written by `bench.sync.run_load`); prints one
JSON result on stdout. Each tablet has its own connection and pushes batches of new
submissions, either back to back (`saturation`) or every `period` seconds with jitter (`paced`).
Only pushes that complete inside the measurement window [start + warmup, start + warmup +
duration] count; the ones in flight at its end are awaited, not cut off.
"""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter

import httpx
import msgspec

from bench.common import BATCH, PushMaker, statuses

MAX_PUSHES_PER_TABLET = 100_000
TIMEOUT_S = 60.0


async def tablet(job: dict, spec: dict, out: dict) -> None:
    maker = PushMaker(spec["device_id"], job["units"], job["staff"], job["answers"], seed=spec["seed"])
    headers = {
        "Authorization": f"Bearer {spec['token']}",
        "Tekseru-Device-Id": spec["device_id"],
        "Content-Type": "application/json",
    }
    begin, end = job["start_at"] + job["warmup"], job["start_at"] + job["warmup"] + job["duration"]
    rng = random.Random(spec["seed"])
    paced = job["mode"] == "paced"
    next_at = job["start_at"] + (rng.uniform(0, job["period"]) if paced else 0.0)
    async with httpx.AsyncClient(base_url=job["url"], headers=headers, timeout=TIMEOUT_S) as client:
        for _ in range(MAX_PUSHES_PER_TABLET):
            if next_at >= end:
                break
            await asyncio.sleep(max(0.0, next_at - time.time()))
            body = maker.body(maker.revisions(BATCH))
            sent = time.time()
            t0 = time.perf_counter()
            try:
                response = await client.post("/v1/sync/push", content=body)
                seen = statuses(response.content) if response.status_code == 200 else []
                problem = None if response.status_code == 200 else f"HTTP {response.status_code}: {response.text[:200]}"
            except (httpx.HTTPError, msgspec.DecodeError) as exc:
                seen, problem = [], f"{type(exc).__name__}: {exc}"
            latency = time.perf_counter() - t0
            done = time.time()
            counted = begin <= (sent if paced else done) <= end
            if counted:
                out["latencies"].append(latency * 1000)
                out["statuses"].update(seen)
                out["applied"] += seen.count("applied")
                out["pushes"] += 1
            if problem is not None:
                out["errors"].append(problem)
                if len(out["errors"]) > 20:
                    return
            if paced:
                next_at = max(next_at + job["period"] + rng.uniform(-job["jitter"], job["jitter"]), time.time())
            else:
                next_at = done


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def meter(job: dict, out: dict) -> None:
    """This process's CPU time over the measurement window."""
    begin = job["start_at"] + job["warmup"]
    await asyncio.sleep(max(0.0, begin - time.time()))
    cpu = cpu_seconds()
    await asyncio.sleep(max(0.0, begin + job["duration"] - time.time()))
    out["cpu_s"] = cpu_seconds() - cpu


async def run(job: dict) -> dict:
    out: dict = {"latencies": [], "statuses": Counter(), "applied": 0, "pushes": 0, "errors": [], "cpu_s": 0.0}
    await asyncio.gather(meter(job, out), *(tablet(job, spec, out) for spec in job["tablets"]))
    out["statuses"] = dict(out["statuses"])
    return out


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as job:
        json.dump(asyncio.run(run(json.load(job))), sys.stdout)


if __name__ == "__main__":
    main()
