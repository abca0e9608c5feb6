"""The database: one writer connection, one reader connection, numbered SQL migrations.

SQLite in WAL mode with `synchronous=FULL`: a transaction acknowledged to a client survives a
power cut. Every write goes through `Database.transaction()`: one aiosqlite connection behind an
`asyncio.Lock`, each transaction `BEGIN IMMEDIATE ... COMMIT`, so writers never deadlock on a
lock upgrade and a response that acknowledges a write is sent only after its commit. Reads use
their own connection and see the last committed state.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from server.clock import now_iso
from server.errors import INSUFFICIENT_STORAGE, STORE_UNAVAILABLE, ProblemError, storage_failure, storage_problem
from server.files import claim_backup_file, make_private_dir, make_private_file

BUSY_TIMEOUT_MS = 10_000
DIRECT_BUSY_TIMEOUT_MS = 1_000  # a WAL reader is almost never kept waiting; the event loop never long
GROUP_MAX = 32  # jobs in one group commit: bounds how long the first one waits for the COMMIT
# The writer's page cache. Revisions and views are keyed by random UUIDs, so every insert lands on
# a random page of each index; with SQLite's default 2 MiB most of them were read again from the
# file, and under load the writer spent a fifth of its time in the kernel (the figures with
# 64 MiB: bench/README.md, history). Readers keep the default.
WRITER_CACHE_KIB = 64 * 1024
# The WAL is checkpointed by a thread of its own (`_Checkpointer`), not inside the writer's
# COMMITs: a checkpoint copies every page the WAL holds into the file and syncs it, and under load
# the writer spent much of its time doing so. It runs after commits, at most every
# CHECKPOINT_EVERY_S: small and often, because a COMMIT's sync waits for the file system to write
# what a checkpoint left dirty: the more often, the less each one leaves (bench/README.md,
# history). The writer checkpoints itself only if the WAL outgrows
# WRITER_CHECKPOINT_PAGES (a background pass under unbroken writes never catches up with the end
# of the WAL, so the WAL cannot start over).
CHECKPOINT_EVERY_S = 0.05
WRITER_CHECKPOINT_PAGES = 16_384  # 64 MiB of 4 KiB pages
# `/v1/health` probes the store at most this often: a health check every few milliseconds from a
# load balancer must not become a write every few milliseconds.
PROBE_EVERY_S = 1.0
PROBE_FILE = ".write-probe"
PROBE_BYTES = 4096  # one page: a full file system refuses it, where an empty file might still fit

T = TypeVar("T")

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


async def _open(path: Path, *pragmas: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    for pragma in (*_PRAGMAS, *pragmas):
        await conn.execute(pragma)
    return conn


def plain_connection(path: Path | str, *pragmas: str) -> sqlite3.Connection:
    """A sqlite3 connection of its own (no aiosqlite thread), with the server's pragmas and `pragmas`."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    for pragma in (*_PRAGMAS, *pragmas):
        conn.execute(pragma)
    return conn


def read_only_connection(path: Path | str) -> sqlite3.Connection:
    """For small indexed reads beside the writer (`query_only`, a short busy timeout)."""
    return plain_connection(path, "PRAGMA query_only=ON", f"PRAGMA busy_timeout={DIRECT_BUSY_TIMEOUT_MS}")


class _Checkpointer(threading.Thread):
    """Checkpoints the WAL beside the writer (PASSIVE: it never blocks the writer or a reader)."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="wal-checkpoint", daemon=True)
        self._conn = plain_connection(path)
        self._wrote = threading.Event()
        self._stopping = threading.Event()

    def wrote(self) -> None:
        """A transaction committed: checkpoint soon."""
        self._wrote.set()

    def run(self) -> None:
        while True:
            self._wrote.wait()
            if self._stopping.is_set():
                return
            self._wrote.clear()
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            if self._stopping.wait(CHECKPOINT_EVERY_S):
                return

    def stop(self) -> None:
        self._stopping.set()
        self._wrote.set()
        self.join()
        self._conn.close()


def _probe_directory(folder: Path) -> str | None:
    """Write a page to a file in `folder` and remove it: None if that worked, else the storage failure."""
    probe = folder / PROBE_FILE
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
        finally:
            os.close(fd)
            probe.unlink(missing_ok=True)
    except OSError as exc:
        return storage_failure(exc) or STORE_UNAVAILABLE
    return None


class Database:
    """The single writer and a reader on one SQLite file."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        # Small indexed lookups (a token, a push's ids) run right on the event loop: under load a
        # trip to the reader's thread and back cost milliseconds, the lookup itself well under one.
        # Read-only (`query_only`).
        self._direct = read_only_connection(path)
        self._lock = asyncio.Lock()
        # Published checklist versions never change, so their indexes are cached for good.
        self.checklist_indexes: dict[tuple[str, int], Any] = {}
        # The next revision arrival number; only the writer uses it, inside its transactions.
        self.next_arrival: int | None = None
        self._jobs: list[tuple[Callable[[aiosqlite.Connection], Awaitable[Any]], asyncio.Future]] = []
        self._committer: asyncio.Task | None = None
        self._checkpointer = _Checkpointer(path)
        self._checkpointer.start()
        # Why the last write failed, when it failed for storage (`insufficient_storage`,
        # `store_unavailable`); a commit clears it.
        self.storage_failure: str | None = None
        self._probed_at = -PROBE_EVERY_S
        self._probe_outcome: str | None = None

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the file, apply pending migrations, and return it.

        The directory is made 0700 and the file 0600 before SQLite opens it: SQLite creates the
        WAL and shared-memory files with the database file's mode, whatever the umask.
        """
        make_private_dir(path.parent)
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            make_private_file(name, create=name == path)
        writer = await _open(
            path, f"PRAGMA cache_size=-{WRITER_CACHE_KIB}", f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}"
        )
        try:
            await migrate(writer)
            reader = await _open(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        """Close the connections (the writer last, so its close checkpoints the WAL)."""
        self._checkpointer.stop()
        self._direct.close()
        await self._reader.close()
        async with self._lock:
            await self._writer.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The one way to write: `BEGIN IMMEDIATE`, yield the writer, `COMMIT` (or roll back)."""
        async with self._lock:
            await self._reclaim_wal()
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._writer
                await self._writer.execute("COMMIT")
            except BaseException as exc:
                await self._abandon(exc)
                raise
            self._committed()

    async def _abandon(self, exc: BaseException) -> None:
        """Roll back whatever the failed transaction left, so the writer's next transaction starts clean.

        A full disk or an I/O error may already have rolled the transaction back (then ROLLBACK
        fails, harmlessly), or leave it open after a failed COMMIT (then ROLLBACK ends it).
        """
        if self._writer.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                await self._writer.execute("ROLLBACK")
        self.next_arrival = None  # what the rolled-back transaction took is free again
        failure = storage_failure(exc)
        if failure is not None:
            self.storage_failed(failure)

    async def _reclaim_wal(self) -> None:
        """After a write failed for storage, move the WAL into the database and cut the WAL file to nothing.

        On a full disk the WAL can hold the very room a checkpoint needs to grow the database, and
        it never shrinks by itself: once room returns, new writes would take it first and wedge the
        store again. So until a commit succeeds, every write starts with a TRUNCATE checkpoint
        (which fails, harmlessly, while the disk is still full).
        """
        if self.storage_failure is None:
            return
        # A reader holding an old snapshot makes TRUNCATE wait: not for the writer's full timeout.
        await self._writer.execute(f"PRAGMA busy_timeout={DIRECT_BUSY_TIMEOUT_MS}")
        try:
            with contextlib.suppress(sqlite3.Error):
                await self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            await self._writer.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _committed(self) -> None:
        self.storage_failure = None
        self._checkpointer.wrote()

    def storage_failed(self, failure: str) -> None:
        """A write failed for storage (`insufficient_storage`, `store_unavailable`): health says so."""
        self.storage_failure = failure
        self._probe_outcome = failure

    async def storage_health(self) -> str | None:
        """None while the store takes writes, else why not (probed at most every PROBE_EVERY_S).

        A page written to the data directory (and removed) shows the file system has room and
        takes writes. After a write failed for storage, a tiny write transaction (the database's
        `user_version`, which nothing reads) must also succeed before the store counts as healthy
        again; it is skipped while the writer is busy, whose own next commit answers the question.
        """
        now = time.monotonic()
        if now - self._probed_at < PROBE_EVERY_S:
            return self._probe_outcome
        self._probed_at = now
        outcome = await asyncio.to_thread(_probe_directory, self.path.parent)
        if outcome is None and self.storage_failure is not None and not self._lock.locked():
            with contextlib.suppress(sqlite3.Error, OSError):
                async with self.transaction() as conn:
                    await conn.execute("PRAGMA user_version = 0")
        self._probe_outcome = outcome or self.storage_failure
        return self._probe_outcome

    async def grouped(self, job: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """Run `job(writer)` in a write transaction shared with the jobs waiting beside it.

        Group commit: when many tablets push at once, their jobs run one after another in one
        `BEGIN IMMEDIATE ... COMMIT`, each inside its own savepoint, so one fsync serves them all;
        a job that raises is rolled back to its savepoint alone. Each caller's result is handed
        back only after the COMMIT, so an acknowledgement never precedes durability.
        """
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._jobs.append((job, future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_groups())
        return await future

    async def _commit_groups(self) -> None:
        while self._jobs:
            async with self._lock:
                await self._reclaim_wal()
                group, self._jobs = self._jobs[:GROUP_MAX], self._jobs[GROUP_MAX:]
                outcomes: list[tuple[asyncio.Future, BaseException | None, Any]] = []
                try:
                    await self._writer.execute("BEGIN IMMEDIATE")
                    for job, future in group:
                        await self._writer.execute("SAVEPOINT job")
                        try:
                            value = await job(self._writer)
                        except Exception as exc:
                            if storage_failure(exc) is not None or not self._writer.in_transaction:
                                # A full disk or an I/O error fails the whole group: SQLite may
                                # have rolled back the transaction with it, savepoints and all.
                                raise
                            await self._writer.execute("ROLLBACK TO job")
                            await self._writer.execute("RELEASE job")
                            self.next_arrival = None
                            outcomes.append((future, exc, None))
                            continue
                        if not self._writer.in_transaction:
                            raise sqlite3.OperationalError("the group's transaction was rolled back under a job")
                        await self._writer.execute("RELEASE job")
                        outcomes.append((future, None, value))
                    await self._writer.execute("COMMIT")
                    self._committed()
                except BaseException as exc:
                    await self._abandon(exc)
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc if isinstance(exc, Exception) else RuntimeError("write cancelled"))
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for future, exc, value in outcomes:
                    if future.done():
                        continue
                    if exc is not None:
                        future.set_exception(exc)
                    else:
                        future.set_result(value)

    @contextlib.asynccontextmanager
    async def writer_alone(self) -> AsyncIterator[aiosqlite.Connection]:
        """The writer under the lock but outside a transaction (`VACUUM INTO` cannot run in one)."""
        async with self._lock:
            yield self._writer

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read connection, for store functions that take a connection (never to write with)."""
        return self._reader

    @property
    def direct(self) -> sqlite3.Connection:
        """A read-only connection used on the event loop itself, for small indexed lookups only."""
        return self._direct

    def read_now(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """The rows of a small indexed read, right away on the event loop (see `direct`)."""
        return self._direct.execute(sql, params).fetchall()

    async def fetch_all(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """All rows of a read query (one trip to the reader's thread)."""
        return list(await self._reader.execute_fetchall(sql, params))

    async def fetch_one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Row | None:
        """The first row of a read query, or None (for queries of one row: all rows are read)."""
        rows = await self._reader.execute_fetchall(sql, params)
        return rows[0] if rows else None


MAX_VARIABLES = 32_000  # SQLite's limit is 32,766 host parameters per statement


def insert_many(c: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`c.executemany(sql, rows)` for an `INSERT ... VALUES (?, ...) [tail]`, as multi-row statements.

    One statement per few hundred rows instead of one execution per row: under load the writer's
    time for a push's rows halved. The VALUES group may hold only `?` and literals (no parentheses).
    """
    if not rows:
        return
    head, _, tail = sql.partition("VALUES (")
    marks, _, rest = tail.partition(")")
    per = max(1, min(500, MAX_VARIABLES // len(rows[0])))
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        values = ", ".join([f"({marks})"] * len(chunk))
        c.execute(f"{head}VALUES {values}{rest}", [v for row in chunk for v in row])


async def run_on(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """`fn(sqlite3_connection, *args)` on the connection's own thread, in one trip.

    For work of many statements (a push's lookups, its rows): each awaited aiosqlite call is a
    trip to the connection's thread and back through the event loop, and under load the trips,
    not SQLite, were most of a push's time in the writer. aiosqlite (pinned in
    requirements.lock) has no public call for this, so its queue (`_execute`) and connection
    (`_conn`) are used directly; every push test runs through here.
    """
    return await conn._execute(lambda: fn(conn._conn, *args))


async def backup_database(db: Database, backup_dir: Path, target: Path) -> int:
    """Write a consistent copy of the database to `target` (a new file below `backup_dir`); return its size.

    `target` was resolved and checked to lie below `backup_dir` (`files.backup_target`). The copy
    is 0600. A full backup disk is 507 and an unwritable one 400, without marking the store itself
    degraded: the backup directory may lie on another disk.
    """
    try:
        claim_backup_file(backup_dir, target)
    except FileExistsError:
        raise ProblemError(409, "backup_exists", "a file is already at that path; choose another") from None
    except OSError as exc:
        if storage_failure(exc) == INSUFFICIENT_STORAGE:
            raise storage_problem(INSUFFICIENT_STORAGE) from None
        raise ProblemError(400, "backup_path", f"cannot use that path: {exc.strerror}") from None
    async with db.writer_alone() as conn:
        try:
            await conn.execute("VACUUM INTO ?", (str(target),))
        except sqlite3.Error as exc:
            with contextlib.suppress(OSError):
                target.unlink(missing_ok=True)  # half a copy is no backup
            if storage_failure(exc) == INSUFFICIENT_STORAGE:
                raise storage_problem(INSUFFICIENT_STORAGE) from None
            raise ProblemError(400, "backup_path", "cannot write the copy there") from None
    return target.stat().st_size


def backup_blob_hashes(target: Path) -> list[str]:
    """The evidence blobs a backup's database records (read from the copy, so it matches the copy)."""
    conn = sqlite3.connect(target)
    try:
        conn.execute("PRAGMA query_only=ON")
        return [row[0] for row in conn.execute("SELECT sha256 FROM blobs ORDER BY sha256")]
    finally:
        conn.close()


def row_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A row as a plain dict of its columns."""
    return dict(zip(row.keys(), tuple(row), strict=True))


def migration_files() -> list[tuple[int, str, str]]:
    """The shipped migrations as (number, name, sql), in order."""
    folder = resources.files("server") / "migrations"
    out = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


async def migrate(conn: aiosqlite.Connection, files: Iterable[tuple[int, str, str]] | None = None) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute("SELECT number FROM schema_migrations") as cursor:
        done = {row[0] for row in await cursor.fetchall()}
    applied = []
    for number, name, sql in files if files is not None else migration_files():
        if number in done:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                (number, name, now_iso()),
            )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        applied.append(name)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (triggers keep their inner `;`)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
