"""PostgreSQL, the second store: the same store functions on psycopg 3 connections.

`TEKSERU_DATABASE_URL=postgresql://...` selects it (`server.db.open_database`). Every store
function is a plain function of a connection, run on a thread the database owns, as with SQLite
(`server.db`): so the driver is psycopg 3, whose synchronous connections run on those threads and
whose pool (`psycopg_pool`) keeps the readers' connections healthy across a server restart. An
async driver (asyncpg, or psycopg's own async API) would have needed a second, awaited copy of
every query, which the one-store-function rule forbids.

`PgConnection` gives a store function what it uses of `sqlite3.Connection`: `execute` with `?`
placeholders, `executemany`, rows read by name or position (`Row`), `in_transaction`. Parameters
are bound client-side (psycopg's `ClientCursor`): PostgreSQL cannot infer a type for `? IS NULL`
from a server-side parameter, and a literal has none to infer. SQL that differs between the two
stores is written out twice, side by side, in the store function (`is_postgres`).

Writes. One writer thread per process runs the writes waiting together in one transaction, each in
a savepoint, exactly as on SQLite (`Database._run_group`). Each such transaction first takes a
transaction-scoped advisory lock (`WRITE_LOCK`), so that the write transactions of every process
run one at a time, in the order they took it, as SQLite's one writer does. That is what keeps the
store functions' guarantees across processes: a push's "is this revision already stored?", a
period's close, a review's heads check and a scorecard's publish each read what the previous
transaction committed. It also makes the change feed safe: a change's position (`changes.seq`)
is taken under the lock and committed before the next transaction can take one, so a pull never
passes a position that commits later (`tests/test_pg_concurrency.py` proves it with writers in
several processes). The decoding and scoring of a push, most of its work, runs before, outside
the lock, in every process at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import ClientCursor, pq
from psycopg.adapt import Loader
from psycopg_pool import ConnectionPool

from server.db import Database, migrate
from server.errors import STORE_UNAVAILABLE

# Any 64-bit number no other application on the server uses: the lock every write transaction takes.
WRITE_LOCK = 0x74656B7365727501  # "tekseru" + 1
READERS = 4  # reader connections in the pool (each reader thread holds one while it reads)
CONNECT_TIMEOUT_S = 5
POOL_TIMEOUT_S = 30


class Row(tuple):
    """A result row read by position or by column name, with `keys()`, as `sqlite3.Row`."""

    __slots__ = ()
    _names: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                raise IndexError(f"No item with that key: {key!r}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


_row_classes: dict[tuple[str, ...], type[Row]] = {}


def _row_class(names: tuple[str, ...]) -> type[Row]:
    cls = _row_classes.get(names)
    if cls is None:
        cls = type("Row", (Row,), {"__slots__": (), "_names": names, "_index": {n: i for i, n in enumerate(names)}})
        _row_classes[names] = cls
    return cls


def _row_factory(cursor: psycopg.Cursor) -> Callable[[Sequence[Any]], Row]:
    description = cursor.description
    if description is None:
        return tuple  # type: ignore[return-value]
    cls = _row_class(tuple(d.name for d in description))
    return lambda values: cls(values)


class _NumericLoader(Loader):
    """NUMERIC as SQLite gives it: an int when whole, else a float.

    PostgreSQL's `sum()` of BIGINT and `avg()` answer NUMERIC; the figures were written for
    SQLite's integers and doubles (the scores themselves are exact rationals computed in Python).
    """

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode("ascii")
        if "." in text or "e" in text or "E" in text or text in ("NaN", "Infinity", "-Infinity"):
            value = Decimal(text)
            return int(value) if value == value.to_integral_value() and value.is_finite() else float(value)
        return int(text)


_translated: dict[str, str] = {}


def translate(sql: str) -> str:
    """`?` placeholders as psycopg's `%s` (and a literal `%` doubled), outside quoted text and names."""
    done = _translated.get(sql)
    if done is not None:
        return done
    out = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
            out.append("%%" if ch == "%" else ch)
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    done = "".join(out)
    if len(_translated) < 10_000:
        _translated[sql] = done
    return done


def _without_nul(value: Any) -> Any:
    return value.replace("\x00", "\x01") if isinstance(value, str) and "\x00" in value else value


class PgConnection:
    """A psycopg connection as the store functions use a `sqlite3.Connection`.

    `reading`: the connection of a read. PostgreSQL text cannot hold U+0000, which SQLite's can, so
    a hostile filter or cursor (`?after=%00`) would fail a read that SQLite answers. A read's
    parameters have U+0000 as U+0001: no stored text holds either (control characters are refused
    on the way in), so every comparison with stored text comes out as SQLite's would. A write keeps
    the strict driver: text with U+0000 is refused (400 `invalid_text`, `server.errors`).
    """

    dialect = "postgres"

    def __init__(self, raw: psycopg.Connection, reading: bool = False) -> None:
        self.raw = raw
        self.reading = reading

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> psycopg.Cursor:
        cursor = self.raw.cursor()
        if params:
            values = tuple(map(_without_nul, params)) if self.reading else tuple(params)
            cursor.execute(translate(sql), values)
        else:
            cursor.execute(sql)
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor:
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), [tuple(r) for r in rows])
        return cursor

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != pq.TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()

    def __enter__(self) -> PgConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        """A tool's `with connect(url) as conn:` block: each statement is already committed; close it."""
        self.close()


def _configure(raw: psycopg.Connection) -> None:
    raw.autocommit = True  # transactions are explicit, as on SQLite (`atomic`, the writer's groups)
    raw.row_factory = _row_factory
    raw.adapters.register_loader("numeric", _NumericLoader)


def connect(url: str, read_only: bool = False) -> PgConnection:
    """A connection of its own (a tool's, a test's, a push worker's), configured as the pool's."""
    raw = psycopg.connect(url, cursor_factory=ClientCursor, connect_timeout=CONNECT_TIMEOUT_S)
    _configure(raw)
    if read_only:
        raw.execute("SET default_transaction_read_only = on")
    return PgConnection(raw)


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.split(":", 1)[0] in ("postgresql", "postgres")


def redacted(url: str) -> str:
    """The URL without its password, for logs and `/v1/health`."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://?"
    host = info.get("host", "localhost")
    port = info.get("port", "5432")
    return f"postgresql://{info.get('user', '')}@{host}:{port}/{info.get('dbname', '')}"


class Pool:
    """The pooled connections of one process: readers take one per read."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={"cursor_factory": ClientCursor, "connect_timeout": CONNECT_TIMEOUT_S},
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=POOL_TIMEOUT_S,
            open=False,
            name="tekseru",
        )

    def open(self) -> None:
        self.pool.open(wait=True, timeout=POOL_TIMEOUT_S)

    @contextlib.contextmanager
    def connection(self):
        with self.pool.connection() as raw:
            yield PgConnection(raw, reading=True)

    def close(self) -> None:
        self.pool.close()


class Writer:
    """The writer thread's connection, opened again when the server lost it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: PgConnection | None = None

    def get(self) -> PgConnection:
        if self._conn is None or self._conn.raw.closed or self._conn.raw.broken:
            if self._conn is not None:
                with contextlib.suppress(Exception):
                    self._conn.close()
            self._conn = connect(self.url)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def begin_write(conn: PgConnection) -> None:
    """Open a write transaction and wait for the store's write lock (held until COMMIT or ROLLBACK)."""
    conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    conn.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))


class UnsuitableDatabase(Exception):
    """The PostgreSQL database cannot hold a Tekseru store as it is (said how to make one that can)."""


# Orderings by code point, as SQLite's and Python's: ids page in the same order on both stores,
# and a period snapshot's rows (and so its hash) come out the same.
CODE_POINT_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8"})


def check_database(conn: PgConnection) -> None:
    """Refuse a database that would order text or fold case differently from SQLite's store."""
    row = conn.execute(
        "SELECT pg_encoding_to_char(encoding) AS encoding, datcollate, datctype FROM pg_database"
        " WHERE datname = current_database()"
    ).fetchone()
    if (
        row["encoding"] != "UTF8"
        or row["datcollate"] not in CODE_POINT_COLLATIONS
        or "utf" not in row["datctype"].lower()
    ):
        raise UnsuitableDatabase(
            f"the database has encoding {row['encoding']}, LC_COLLATE {row['datcollate']} and LC_CTYPE"
            f" {row['datctype']}; Tekseru needs UTF8 with a code-point ordering and a UTF-8 LC_CTYPE: create it with"
            " CREATE DATABASE tekseru TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
        )


MIGRATE_LOCK = WRITE_LOCK + 1  # held while one process migrates; the others wait, then find nothing to do


class PostgresDatabase(Database):
    """A PostgreSQL database: the writer's thread and connection, pooled readers, a connection for the event loop.

    The same reads and writes as SQLite's `Database` (its group commit included); see the module.
    """

    kind = "postgresql"
    keeps_arrival = False  # other processes store revisions too: read it in each transaction

    def __init__(self, url: str, pool: Pool) -> None:
        self.url = url
        self.path = None  # type: ignore[assignment]
        self._pool = pool
        self._writer_conn = Writer(url)
        self._writer_thread = ThreadPoolExecutor(1, thread_name_prefix="db-writer")
        self._reader_threads = ThreadPoolExecutor(READERS, thread_name_prefix="db-reader")
        self._inline_conn = Writer(url)  # a connection of its own for reads on the event loop
        self._init_state()

    @property
    def location(self) -> str:
        return redacted(self.url)

    @classmethod
    async def open(cls, url: str) -> PostgresDatabase:  # type: ignore[override]
        """Connect, apply pending migrations (one process at a time), and return it."""

        def opened() -> Pool:
            conn = connect(url)
            try:
                check_database(conn)
                conn.execute("SELECT pg_advisory_lock(?)", (MIGRATE_LOCK,))
                try:
                    migrate(conn)
                finally:
                    conn.execute("SELECT pg_advisory_unlock(?)", (MIGRATE_LOCK,))
            finally:
                conn.close()
            pool = Pool(url, READERS)
            pool.open()
            return pool

        return cls(url, await asyncio.to_thread(opened))

    async def close(self) -> None:
        while self._committer is not None and not self._committer.done():
            await asyncio.shield(self._committer)
        await asyncio.to_thread(self._reader_threads.shutdown)
        await asyncio.get_running_loop().run_in_executor(self._writer_thread, self._writer_conn.close)
        self._writer_thread.shutdown()
        self._inline_conn.close()
        await asyncio.to_thread(self._pool.close)

    async def read(self, fn, *args, **kwargs):  # type: ignore[override]
        def run() -> Any:
            with self._pool.connection() as conn:
                return fn(conn, *args, **kwargs)

        return await asyncio.get_running_loop().run_in_executor(self._reader_threads, run)

    def read_inline(self, fn, *args, **kwargs):  # type: ignore[override]
        conn = self._inline_conn.get()
        conn.reading = True
        try:
            return fn(conn, *args, **kwargs)
        finally:
            if conn.in_transaction:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")

    def _write_connection(self) -> PgConnection:
        return self._writer_conn.get()

    def _reclaim_wal(self) -> None:
        return None

    def _committed(self) -> None:
        return None

    async def _probe(self) -> str | None:
        """None when the server answers a query, else `store_unavailable`."""
        try:
            await self.read(lambda c: c.execute("SELECT 1").fetchone())
        except psycopg.Error:
            return STORE_UNAVAILABLE
        return None

    @staticmethod
    def _touch(conn: Any) -> None:
        conn.execute("SELECT 1")
