"""The group commit of the one writer: jobs waiting together share a transaction, each in its savepoint.

On a real SQLite file, through `Database.write` (no HTTP): a job that fails is rolled back alone
and its caller gets its error, wherever it stands in the group; the others are committed and
durable when their callers hear back.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from server.db import GROUP_MAX, Database, atomic


class Refused(Exception):
    pass


def _job(number: int, fail: bool):
    def job(conn) -> int:
        conn.execute("INSERT INTO t (n) VALUES (?)", (number,))
        if fail:
            raise Refused(number)
        return number

    return job


async def _run(path: Path, failing: set[int], jobs: int) -> list[int | Exception]:
    db = await Database.open(path)
    try:
        await db.write(lambda c: c.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY)"))
        # Queued together before the committer first runs, so they share groups.
        calls = [db.write(_job(n, n in failing)) for n in range(jobs)]
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


def test_atomic_nests_a_savepoint_inside_a_write(tmp_path):
    """A part of a write that fails is rolled back alone; the rest of the write commits."""
    path = tmp_path / "db.sqlite3"

    def write(c) -> str:
        c.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
        c.execute("INSERT INTO t (n) VALUES (1)")
        try:
            with atomic(c):
                c.execute("INSERT INTO t (n) VALUES (2)")
                with atomic(c):
                    c.execute("INSERT INTO t (n) VALUES (3)")
                raise Refused(2)
        except Refused:
            pass
        with atomic(c):
            c.execute("INSERT INTO t (n) VALUES (4)")
        return "done"

    async def run() -> str:
        db = await Database.open(path)
        try:
            return await db.write(write)
        finally:
            await db.close()

    assert asyncio.run(run()) == "done"
    assert _stored(path) == [1, 4]


def test_atomic_outside_a_transaction_is_a_transaction_of_its_own(tmp_path):
    path = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    with pytest.raises(Refused), atomic(conn):
        conn.execute("INSERT INTO t (n) VALUES (1)")
        raise Refused(1)
    with atomic(conn):
        conn.execute("INSERT INTO t (n) VALUES (2)")
    assert not conn.in_transaction
    conn.close()
    assert _stored(path) == [2]


def test_a_write_is_committed_when_its_caller_hears_back_and_reads_see_it(tmp_path):
    path = tmp_path / "db.sqlite3"

    async def run() -> tuple[list[int], list[int]]:
        db = await Database.open(path)
        try:
            await db.write(lambda c: c.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)"))
            await db.write(lambda c: c.execute("INSERT INTO t (n) VALUES (7)"))
            on_file = _stored(path)  # another connection, outside the server
            through_reader = await db.read(lambda c: [n for (n,) in c.execute("SELECT n FROM t")])
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                await db.read(lambda c: c.execute("INSERT INTO t (n) VALUES (8)"))
            return on_file, through_reader
        finally:
            await db.close()

    assert asyncio.run(run()) == ([7], [7])
