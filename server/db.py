"""The database: one writer thread, reader threads, numbered SQL migrations.

SQLite in WAL mode with `synchronous=FULL`: a transaction acknowledged to a client survives a
power cut. There is one way to read and one way to write, both in the shape of datasette's
`execute_fn`/`execute_write_fn`: a plain function of a `sqlite3.Connection` and its arguments.

- `await db.read(fn, *args)` runs `fn(conn, *args)` on a reader thread, against the last
  committed state (`query_only`). `db.read_inline(fn, *args)` runs the same kind of function on
  the event loop itself, for small indexed reads only (see there).
- `await db.write(fn, *args)` runs `fn(conn, *args)` on the writer thread inside a write
  transaction, and returns only after that transaction committed. Writes waiting together share
  one `BEGIN IMMEDIATE ... COMMIT` (group commit: one fsync serves them all), each inside its own
  savepoint, so a write that raises is rolled back alone and its caller gets its error. Inside a
  write, `atomic(conn)` nests a further savepoint (sqlite-utils' `atomic`).

The connections are plain `sqlite3` ones on threads of our own, not aiosqlite's: a push is many
statements, and each awaited aiosqlite call is a trip to its thread and back through the event
loop; under load those trips, not SQLite, were most of a push's time in the writer (~20 ms of a
50-visit push's job were trips, SQLite's own work a few: bench/README.md). aiosqlite has no
public call that runs a function on its thread, so the write path needed one of our own, and the
reads use the same kind of function so that no query is written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from server.clock import now_iso
from server.errors import INSUFFICIENT_STORAGE, STORE_UNAVAILABLE, ProblemError, storage_failure, storage_problem
from server.files import claim_backup_file, make_private_dir, make_private_file

try:
    import psycopg
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite alone needs nothing else
    psycopg = None  # type: ignore[assignment]

# What a store's driver raises: SQLite's, or PostgreSQL's.
STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error,) + ((psycopg.Error,) if psycopg else ())
# A unique, foreign-key or check constraint refused a row.
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError,) + (
    (psycopg.IntegrityError,) if psycopg else ()
)

BUSY_TIMEOUT_MS = 10_000
INLINE_BUSY_TIMEOUT_MS = 1_000  # a WAL reader is almost never kept waiting; the event loop never long
GROUP_MAX = 32  # writes in one group commit: bounds how long the first one waits for the COMMIT
READERS = 2  # reader threads, each with its connection
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
P = ParamSpec("P")

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


class SqliteConnection(sqlite3.Connection):
    """A sqlite3 connection that says which store it is (`is_postgres`)."""

    dialect = "sqlite"


def is_postgres(c: Any) -> bool:
    """Whether a store function's connection is PostgreSQL's (`server.pg.PgConnection`), not SQLite's.

    Where the two dialects must differ, a store function writes both variants side by side under
    this test; everywhere else it has one SQL text.
    """
    return getattr(c, "dialect", "sqlite") == "postgres"


def plain_connection(path: Path | str, *pragmas: str) -> sqlite3.Connection:
    """A sqlite3 connection with the server's pragmas and `pragmas` (autocommit: transactions are explicit)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, factory=SqliteConnection)
    conn.row_factory = sqlite3.Row
    for pragma in (*_PRAGMAS, *pragmas):
        conn.execute(pragma)
    return conn


def read_only_connection(path: Path | str, busy_timeout_ms: int = INLINE_BUSY_TIMEOUT_MS) -> sqlite3.Connection:
    """A connection that cannot write (`query_only`)."""
    return plain_connection(path, "PRAGMA query_only=ON", f"PRAGMA busy_timeout={busy_timeout_ms}")


def begin_write(conn: Any) -> None:
    """Open a write transaction: SQLite's `BEGIN IMMEDIATE`, or PostgreSQL's with the store's write lock."""
    if is_postgres(conn):
        from server.pg import begin_write as begin_pg

        begin_pg(conn)
    else:
        conn.execute("BEGIN IMMEDIATE")


@contextlib.contextmanager
def atomic(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A unit of work that is kept whole or not at all.

    Inside a transaction (every `Database.write` function runs in one) it is a savepoint: when the
    block raises, what it wrote is rolled back and the enclosing work goes on. Outside one (a
    connection of a tool or a test) it is a `BEGIN IMMEDIATE ... COMMIT` of its own.
    """
    if not conn.in_transaction:
        begin_write(conn)
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(*STORE_ERRORS):
                    conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return
    conn.execute("SAVEPOINT atomic")
    try:
        yield conn
    except BaseException:
        # A full disk or an I/O error may have rolled back the whole transaction, savepoints and all.
        if conn.in_transaction:
            conn.execute("ROLLBACK TO atomic")
            conn.execute("RELEASE atomic")
        raise
    conn.execute("RELEASE atomic")


@contextlib.contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Reads that see one committed state (a deferred read transaction), in a `Database.read` function."""
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if is_postgres(conn) else "BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


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


def probe_directory(folder: Path) -> str | None:
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


class _Write:
    """A write waiting for the writer: its function, and the future its caller awaits."""

    __slots__ = ("fn", "future", "outcome", "failed")

    def __init__(self, fn: Callable[[sqlite3.Connection], Any], future: asyncio.Future) -> None:
        self.fn = fn
        self.future = future
        self.outcome: Any = None
        self.failed = False


class Database:
    """One SQLite file: the writer's thread, reader threads, and a read-only connection for the event loop.

    `server.pg.PostgresDatabase` is the same for PostgreSQL: `open_database` picks one.
    """

    kind = "sqlite"  # what `/v1/health` names
    # Whether the next revision arrival number may be kept in memory between writes: only while
    # this process is the store's one writer.
    keeps_arrival = True

    def __init__(self, path: Path, writer: sqlite3.Connection) -> None:
        self.path = path
        self._writer = writer
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="db-writer")
        self._readers = threading.local()
        self._reader_connections: list[sqlite3.Connection] = []
        self._reader_threads = ThreadPoolExecutor(READERS, thread_name_prefix="db-reader")
        # Small indexed reads (a token, a push's ids) run right on the event loop: under load a
        # trip to a reader thread and back cost milliseconds, the lookup itself well under one.
        self._inline = read_only_connection(path)
        self._checkpointer = _Checkpointer(path)
        self._checkpointer.start()
        self._init_state()

    def _init_state(self) -> None:
        """The state every store's database keeps, whatever its engine."""
        # Published checklist versions never change, so their indexes are cached for good.
        self.checklist_indexes: dict[tuple[str, int], Any] = {}
        # The next revision arrival number; only writes use it, on the writer's thread.
        self.next_arrival: int | None = None
        self._waiting: list[_Write] = []
        self._committer: asyncio.Task | None = None
        self._writing = False
        # Why the last write failed, when it failed for storage (`insufficient_storage`,
        # `store_unavailable`); a commit clears it.
        self.storage_failure: str | None = None
        self._probed_at = -PROBE_EVERY_S
        self._probe_outcome: str | None = None

    @property
    def location(self) -> str:
        """Where the store is, for an administrator: the file's path (PostgreSQL: the URL without its password)."""
        return str(self.path)

    @classmethod
    async def open(cls, path: Path) -> Database:
        """Open (creating if needed) the file, apply pending migrations, and return it.

        The directory is made 0700 and the file 0600 before SQLite opens it: SQLite creates the
        WAL and shared-memory files with the database file's mode, whatever the umask.
        """
        make_private_dir(path.parent)
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            make_private_file(name, create=name == path)

        def opened() -> sqlite3.Connection:
            writer = plain_connection(
                path, f"PRAGMA cache_size=-{WRITER_CACHE_KIB}", f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}"
            )
            try:
                migrate(writer)
            except BaseException:
                writer.close()
                raise
            return writer

        return cls(path, await asyncio.to_thread(opened))

    async def close(self) -> None:
        """Finish the waiting writes, then close the connections (the writer last: its close checkpoints the WAL)."""
        while self._committer is not None and not self._committer.done():
            await asyncio.shield(self._committer)
        self._checkpointer.stop()
        self._inline.close()
        await asyncio.to_thread(self._reader_threads.shutdown)
        for conn in self._reader_connections:
            conn.close()
        await asyncio.get_running_loop().run_in_executor(self._writer_thread, self._writer.close)
        self._writer_thread.shutdown()

    # Reads

    async def read(self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(conn, *args, **kwargs)` on a reader thread, against the last committed state."""
        return await asyncio.get_running_loop().run_in_executor(
            self._reader_threads, lambda: fn(self._reader(), *args, **kwargs)
        )

    def read_inline(self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(conn, *args, **kwargs)` right here, on the event loop: for small indexed reads only.

        Under load a trip to a reader thread waits for the event loop to let go of the GIL, and
        cost milliseconds where the read itself takes microseconds (a token check, a push's ids).
        Anything that may scan belongs in `read`.
        """
        return fn(self._inline, *args, **kwargs)

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = read_only_connection(self.path, BUSY_TIMEOUT_MS)
            self._reader_connections.append(conn)
        return conn

    # Writes

    async def write(self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(conn, *args, **kwargs)` on the writer's thread in a write transaction; its value once committed.

        Group commit: writes that wait together run one after another in one `BEGIN IMMEDIATE
        ... COMMIT`, each in its own savepoint (`atomic`), so one fsync serves them all and a write
        that raises is rolled back alone. The value is handed back only after the COMMIT, so an
        acknowledgement never precedes durability. A full disk or an I/O error in SQLite fails every
        write of the group (SQLite may have rolled back the transaction with it); one in a write's
        own files (a blob moved into place) fails that write alone.
        """
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting.append(_Write(lambda conn: fn(conn, *args, **kwargs), future))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_groups())
        return await future

    async def _commit_groups(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting:
            group, self._waiting = self._waiting[:GROUP_MAX], self._waiting[GROUP_MAX:]
            self._writing = True
            try:
                failure = await loop.run_in_executor(self._writer_thread, self._run_group, group)
            except BaseException as exc:  # cancelled while the writer works: its outcome is lost with the caller
                failure = exc
            finally:
                self._writing = False
            for write in group:
                if write.future.done():
                    continue
                if failure is not None:
                    write.future.set_exception(
                        failure if isinstance(failure, Exception) else RuntimeError("write cancelled")
                    )
                elif write.failed:
                    write.future.set_exception(write.outcome)
                else:
                    write.future.set_result(write.outcome)
            if failure is not None and not isinstance(failure, Exception):
                raise failure

    def _run_group(self, group: list[_Write]) -> BaseException | None:
        """On the writer's thread: the group in one transaction; None once committed, else why it failed."""
        try:
            conn = self._write_connection()
        except BaseException as exc:
            self._abandon(None, exc)
            return exc
        self._reclaim_wal()
        try:
            begin_write(conn)
            if not self.keeps_arrival:
                self.next_arrival = None  # another process may have stored revisions since
            for write in group:
                try:
                    with atomic(conn):
                        write.outcome = write.fn(conn)
                except Exception as exc:
                    failure = storage_failure(exc)
                    if not conn.in_transaction or (failure is not None and isinstance(exc, STORE_ERRORS)):
                        # SQLite may have rolled back the whole transaction with a full disk or an
                        # I/O error: the group fails.
                        raise
                    if failure is not None:
                        self.storage_failed(failure)  # a file of this write (a blob) found no room
                    self.next_arrival = None  # what the rolled-back write took is free again
                    write.outcome, write.failed = exc, True
            conn.execute("COMMIT")
        except BaseException as exc:
            self._abandon(conn, exc)
            return exc
        self.storage_failure = None
        self._committed()
        return None

    def _write_connection(self) -> Any:
        """The writer thread's connection."""
        return self._writer

    def _committed(self) -> None:
        """A group committed (SQLite: checkpoint soon)."""
        self._checkpointer.wrote()

    def _abandon(self, conn: Any, exc: BaseException) -> None:
        """Roll back whatever the failed transaction left, so the writer's next transaction starts clean.

        A full disk or an I/O error may already have rolled the transaction back (then ROLLBACK
        fails, harmlessly), or leave it open after a failed COMMIT (then ROLLBACK ends it).
        """
        if conn is not None and conn.in_transaction:
            with contextlib.suppress(*STORE_ERRORS):
                conn.execute("ROLLBACK")
        self.next_arrival = None  # what the rolled-back transaction took is free again
        failure = storage_failure(exc)
        if failure is not None:
            self.storage_failed(failure)

    def _reclaim_wal(self) -> None:
        """After a write failed for storage, move the WAL into the database and cut the WAL file to nothing.

        On a full disk the WAL can hold the very room a checkpoint needs to grow the database, and
        it never shrinks by itself: once room returns, new writes would take it first and wedge the
        store again. So until a commit succeeds, every write starts with a TRUNCATE checkpoint
        (which fails, harmlessly, while the disk is still full).
        """
        if self.storage_failure is None:
            return
        # A reader holding an old snapshot makes TRUNCATE wait: not for the writer's full timeout.
        self._writer.execute(f"PRAGMA busy_timeout={INLINE_BUSY_TIMEOUT_MS}")
        try:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._writer.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

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
        outcome = await self._probe()
        if outcome is None and self.storage_failure is not None and not self._writing and not self._waiting:
            with contextlib.suppress(*STORE_ERRORS, OSError):
                await self.write(self._touch)
        self._probe_outcome = outcome or self.storage_failure
        return self._probe_outcome

    async def _probe(self) -> str | None:
        """None when the store's own disk takes a page, else why not."""
        return await asyncio.to_thread(probe_directory, self.path.parent)

    @staticmethod
    def _touch(conn: Any) -> None:
        """A tiny write nothing reads (SQLite's `user_version`)."""
        conn.execute("PRAGMA user_version = 0")


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


async def backup_database(db: Database, backup_dir: Path, target: Path) -> int:
    """Write a consistent copy of the database to `target` (a new file below `backup_dir`); return its size.

    `target` was resolved and checked to lie below `backup_dir` (`files.backup_target`). The copy
    is 0600. A full backup disk is 507 and an unwritable one 400, without marking the store itself
    degraded: the backup directory may lie on another disk.
    """
    if db.kind != "sqlite":
        raise ProblemError(
            409,
            "backup_by_postgresql",
            "the store is PostgreSQL: back it up with PostgreSQL's own tools (pg_dump, or pg_basebackup with"
            " WAL archiving, and a streaming standby); this copy is for the SQLite store",
        )
    try:
        claim_backup_file(backup_dir, target)
    except FileExistsError:
        raise ProblemError(409, "backup_exists", "a file is already at that path; choose another") from None
    except OSError as exc:
        if storage_failure(exc) == INSUFFICIENT_STORAGE:
            raise storage_problem(INSUFFICIENT_STORAGE) from None
        raise ProblemError(400, "backup_path", f"cannot use that path: {exc.strerror}") from None

    def copy() -> None:
        # A connection of its own: `VACUUM INTO` reads one consistent snapshot and cannot run in a
        # transaction (nor on a `query_only` connection).
        conn = plain_connection(db.path)
        try:
            conn.execute("VACUUM INTO ?", (str(target),))
        finally:
            conn.close()

    try:
        await asyncio.to_thread(copy)
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


def json_values(c: Any) -> str:
    """The table of a parameter's JSON array of strings, one row per item in column `value`."""
    return "json_array_elements_text(?::json)" if is_postgres(c) else "json_each(?)"


def row_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A row as a plain dict of its columns."""
    return dict(zip(row.keys(), tuple(row), strict=True))


def migration_files(dialect: str = "sqlite") -> list[tuple[int, str, str]]:
    """The shipped migrations of a store (`sqlite` or `postgres`) as (number, name, sql), in order.

    PostgreSQL's are in `migrations/postgres/`, numbered and named as SQLite's: migration N makes
    the same tables, columns and rules in each.
    """
    folder = resources.files("server") / "migrations"
    if dialect == "postgres":
        folder = folder / "postgres"
    out = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


def migrate(conn: sqlite3.Connection, files: Iterable[tuple[int, str, str]] | None = None) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; return their names."""
    if files is None:
        files = migration_files("postgres" if is_postgres(conn) else "sqlite")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations").fetchall()}
    applied = []
    for number, name, sql in files:
        if number in done:
            continue
        # A SQLite migration that replaces a table others reference (to change a CHECK, which SQLite
        # cannot alter) says so on its first line: foreign keys are off around it (they cannot be
        # switched inside a transaction) and every reference is checked before it commits.
        keys_off = not is_postgres(conn) and sql.startswith(FOREIGN_KEYS_OFF)
        keys_were = keys_off and conn.execute("PRAGMA foreign_keys").fetchone()[0]
        if keys_off:
            conn.execute("PRAGMA foreign_keys=OFF")
        try:
            with atomic(conn):
                if is_postgres(conn):
                    conn.execute(sql)  # one simple-protocol batch: PL/pgSQL bodies keep their inner `;`
                else:
                    for statement in _statements(sql):
                        conn.execute(statement)
                if keys_off and conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise sqlite3.IntegrityError(f"migration {name} would leave a broken reference")
                conn.execute(
                    "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    (number, name, now_iso()),
                )
        finally:
            if keys_were:
                conn.execute("PRAGMA foreign_keys=ON")
        applied.append(name)
    return applied


FOREIGN_KEYS_OFF = "-- migrate: foreign_keys=off\n"


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


async def open_database(settings: Any) -> Database:
    """The store the settings name: PostgreSQL when `database_url` is set, else the SQLite file."""
    if settings.database_url:
        from server.pg import PostgresDatabase

        return await PostgresDatabase.open(settings.database_url)
    return await Database.open(settings.db_path)
