"""The store a benchmark's server runs on, and writing generated rows straight into it.

SQLite is the file in the server's data directory. PostgreSQL is a database created for the run
on the local server (`TEKSERU_BENCH_POSTGRES_URL`, default `postgresql://postgres@127.0.0.1:5432/postgres`,
the maintenance database of a trust-auth server) and dropped afterwards; with PostgreSQL the
server may run as several processes on one port (`tekseru serve --workers N`).

`Loader` is what a measurement uses to generate data into a stopped server's store (the way
`bench/figures.py` writes a month): one transaction, plain `executemany` into SQLite with
`synchronous=OFF`, `COPY` into PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ADMIN_URL = os.environ.get("TEKSERU_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
STORE_KINDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Store:
    """Which store a server runs on, and in how many server processes (more than one: PostgreSQL only)."""

    kind: str = "sqlite"
    processes: int = 1

    def __post_init__(self) -> None:
        if self.kind not in STORE_KINDS:
            raise ValueError(f"unknown store {self.kind!r}")
        if self.processes > 1 and self.kind != "postgresql":
            raise ValueError("several server processes need PostgreSQL")

    @property
    def label(self) -> str:
        """How a row names it: `sqlite`, `postgresql, 2 processes`."""
        if self.kind == "sqlite":
            return "sqlite"
        return f"postgresql, {self.processes} process{'es' if self.processes > 1 else ''}"


SQLITE = Store()


def _with_dbname(url: str, name: str) -> str:
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgresql://{user}{password}@{info.get('host', '127.0.0.1')}:{info.get('port', '5432')}/{name}"


def create_database() -> str:
    """A fresh database as Tekseru needs it (UTF8, code-point ordering), on the local server; its URL."""
    import psycopg

    name = f"tekseru_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'"
        )
    return _with_dbname(ADMIN_URL, name)


def drop_database(url: str) -> None:
    """Drop a database `create_database` made, with any connection still open to it."""
    import psycopg

    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    if not name.startswith("tekseru_bench_"):
        raise ValueError(f"not a benchmark's database: {name}")
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def backend_pids(url: str) -> list[int]:
    """The process ids of the clients' backends connected to the database (this query's own left out).

    Autovacuum's workers are left out: after a bulk load they would charge its cleanup to the requests.
    """
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'"
        ).fetchall()
    return [pid for (pid,) in rows]


class Loader:
    """One write transaction straight into a stopped server's store, for generated rows.

    `execute` takes the store functions' SQL (`?` placeholders) on either store; `insert` writes
    many rows of one table (`executemany` into SQLite, `COPY` into PostgreSQL).
    """

    def __init__(self, db_path: Path | None = None, database_url: str | None = None) -> None:
        if database_url:
            from server.pg import connect

            self.kind = "postgresql"
            self.conn: Any = connect(database_url)
            self.conn.execute("SET synchronous_commit = off")
            self.conn.execute("BEGIN")
        else:
            assert db_path is not None
            self.kind = "sqlite"
            self.conn = sqlite3.connect(db_path, isolation_level=None)
            self.conn.execute("PRAGMA synchronous=OFF")
            # A rollback journal keeps only the pages a load changes; WAL would write every new page twice.
            self.conn.execute("PRAGMA journal_mode=DELETE")
            self.conn.execute("PRAGMA cache_size=-1000000")
            self.conn.execute("BEGIN")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        if self.kind == "sqlite":
            marks = ", ".join("?" * len(columns))
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            return
        with self.conn.raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def commit(self) -> None:
        """Commit, refresh the planner's statistics, and leave the store as the server expects it.

        PostgreSQL is also vacuumed, as autovacuum would have done long before data this old is
        read: its visibility map lets index-only scans skip the table, and no cleanup runs under
        the measurements.
        """
        self.conn.execute("COMMIT")
        if self.kind == "sqlite":
            self.conn.execute("ANALYZE")
            self.conn.execute("PRAGMA journal_mode=WAL")
        else:
            self.conn.execute("VACUUM (ANALYZE)")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self.kind == "sqlite" and self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        self.conn.close()
