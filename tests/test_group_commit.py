"""The group commit of the one writer: jobs waiting together share a transaction, each in its savepoint.

On a real SQLite file, through `Database.grouped` (no HTTP): a job that fails is rolled back alone
and its caller gets its error, wherever it stands in the group; the others are committed and
durable when their callers hear back.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from server.db import GROUP_MAX, Database


class Refused(Exception):
    pass


def _job(number: int, fail: bool):
    async def job(conn) -> int:
        await conn.execute("INSERT INTO t (n) VALUES (?)", (number,))
        if fail:
            raise Refused(number)
        return number

    return job


async def _run(path: Path, failing: set[int], jobs: int) -> list[int | Exception]:
    db = await Database.open(path)
    try:
        async with db.transaction() as conn:
            await conn.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY)")
        # Queued together before the committer first runs, so they share groups.
        calls = [db.grouped(_job(n, n in failing)) for n in range(jobs)]
        return await asyncio.gather(*calls, return_exceptions=True)
    finally:
        await db.close()


def _stored(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [n for (n,) in conn.execute("SELECT n FROM t ORDER BY n")]


@pytest.mark.parametrize(
    "failing",
    [set(), {0}, {3}, {GROUP_MAX - 1}, {GROUP_MAX}, {0, 1, 2}, set(range(0, 2 * GROUP_MAX + 5, 2))],
    ids=["none", "first", "middle", "last of a group", "first of the next group", "three in a row", "every other"],
)
def test_a_failing_job_is_rolled_back_alone(tmp_path, failing):
    path = tmp_path / "db.sqlite3"
    jobs = 2 * GROUP_MAX + 5  # three groups, the last one short
    results = asyncio.run(_run(path, failing, jobs))
    for number, result in enumerate(results):
        if number in failing:
            assert isinstance(result, Refused) and result.args == (number,)
        else:
            assert result == number
    assert _stored(path) == [n for n in range(jobs) if n not in failing]
