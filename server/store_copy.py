"""Copying the SQLite store into an empty PostgreSQL database (`tekseru store copy --to postgresql://...`).

Every table that records something is copied verbatim (every column, the same ids), from one
SQLite read transaction, so the copy is one consistent state even while a server keeps writing,
into one PostgreSQL write transaction, so a copy that fails leaves the target as empty as it was.
The derived tables (`server.store.views.DERIVED_TABLES`) are then computed again on PostgreSQL by
the server's own rebuild (`server.sync.refresh.rebuild_all`), which also checks that PostgreSQL
gives every view the server had.

The database id (`meta`) comes along, and the identity sequences are set past the copied ids and
past SQLite's own counters, so a tablet's pull cursor from the SQLite server goes on working.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import psycopg

from server.clock import now_iso
from server.db import BUSY_TIMEOUT_MS, insert_many, is_postgres, migration_files, read_only_connection
from server.pg import PgConnection, PostgresDatabase, UnsuitableDatabase, is_postgres_url, redacted
from server.store.views import DERIVED_TABLES
from server.sync.refresh import rebuild_all

# What is copied, in the order of the foreign keys (a table after the ones it refers to). With
# DERIVED_TABLES and OWN_TABLES this names every table of the schema (tests/test_store_copy.py
# checks it), so a new table has to be put in one of them.
#
# submission_views and changes are copied although the rebuild rewrites part of them: it replaces
# each view, keeping the time the view last changed (recorded nowhere else) when it comes out the
# same, and numbers the submissions' changes again; the feed's other changes (the directory, the
# checklists) are records.
COPIED_TABLES = (
    "users",
    "tokens",
    "devices",
    "units",
    "staff",
    "assignments",
    "checklist_versions",
    "policies",
    "plans",
    "plan_visits",
    "meta",
    "submissions",
    "revisions",
    "quarantine",
    "blobs",
    "lost_blobs",
    "revision_evidence",
    "reviews",
    "user_units",
    "appeals",
    "appeal_items",
    "appeal_evidence",
    "submission_views",
    "integrity_flags",
    "photo_hashes",
    "visit_comments",
    "changes",
    "uploads",
    "audit_log",
    "period_snapshots",
    "scorecards",
    "scorecard_previews",
    "scorecard_jobs",
    "scorecard_job_units",
    "console_sessions",
    "login_failures",
    "review_open",
)
# The tables whose rows refer to rows of the same table, and the order that puts every referenced
# row first (a calibration assignment names an original, which never names another).
SELF_REFERENCE_ORDER = {"assignments": " ORDER BY calibration_of IS NOT NULL, assignment_id"}
# Each store's own: the migrations applied to it.
OWN_TABLES = ("schema_migrations",)
# Tables the target's migrations fill themselves: `meta` holds the new database's id, which the
# copy replaces with the SQLite store's.
FILLED_BY_MIGRATIONS = ("meta",)

# Rows per INSERT, and about as many bytes of text and BLOBs (scorecard PDFs, previews).
BATCH_ROWS = 500
BATCH_BYTES = 4 * 1024 * 1024


class StoreCopyError(Exception):
    """The copy was refused or failed: one line that says why (and what was left)."""


class Copied(NamedTuple):
    """What a copy did."""

    rows: dict[str, int]  # table -> rows copied, in the order copied
    submissions: int  # submissions whose views the rebuild computed
    as_of: str  # when the SQLite read transaction began: later writes are not in the copy
    seconds: float


def schema_tables(c: Any) -> list[str]:
    """The tables of a store's schema (SQLite's own `sqlite_*` left out)."""
    if is_postgres(c):
        rows = c.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        ).fetchall()
    else:
        rows = c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
    return sorted(r[0] for r in rows)


def open_source(path: Path) -> sqlite3.Connection:
    """The SQLite store, read-only, inside a read transaction that has begun (its snapshot taken)."""
    if not path.is_file():
        raise StoreCopyError(
            f"no SQLite store at {path} (point at the data directory with --data-dir or TEKSERU_DATA_DIR)"
        )
    conn = read_only_connection(path, BUSY_TIMEOUT_MS)
    try:
        conn.execute("BEGIN")
        try:
            number = conn.execute("SELECT max(number) FROM schema_migrations").fetchone()[0]
        except sqlite3.DatabaseError:
            raise StoreCopyError(f"{path} is not a Tekseru store") from None
        latest = migration_files("sqlite")[-1][0]
        if number != latest:
            how = (
                "run `tekseru serve` on it once (it migrates), stop it, then copy"
                if (number or 0) < latest
                else "copy it with the version of Tekseru that wrote it"
            )
            raise StoreCopyError(f"the SQLite store is at migration {number}, this version at {latest}: {how}")
        unknown = sorted(set(schema_tables(conn)) - {*COPIED_TABLES, *DERIVED_TABLES, *OWN_TABLES})
        if unknown:
            raise StoreCopyError(f"the SQLite store has tables this version does not know: {', '.join(unknown)}")
    except BaseException:
        conn.close()
        raise
    return conn


def copy_records(c: PgConnection, source: sqlite3.Connection) -> dict[str, int]:
    """Inside the target's write transaction: refuse a target that holds rows, then copy every recorded table."""
    held = [
        table
        for table in schema_tables(c)
        if table not in (*OWN_TABLES, *FILLED_BY_MIGRATIONS)
        and c.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}") AS held').fetchone()["held"]
    ]
    if held:
        raise StoreCopyError(
            f"the target database already holds rows (in {', '.join(held)}): copy only into a new, empty database"
        )
    counts = {table: _copy_table(c, source, table) for table in COPIED_TABLES}
    _advance_identities(c, source)
    return counts


def _copy_table(c: PgConnection, source: sqlite3.Connection, table: str) -> int:
    columns = [row["name"] for row in source.execute(f'PRAGMA table_info("{table}")')]
    names = ", ".join(f'"{name}"' for name in columns)  # quoted: `offset` is a keyword in PostgreSQL
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    if table in FILLED_BY_MIGRATIONS:
        keep = [col for col in columns if col != "key"]
        sql += " ON CONFLICT (key) DO UPDATE SET " + ", ".join(f'"{col}" = excluded."{col}"' for col in keep)
    copied = 0
    # A table that refers to itself (an assignment calibrating another) in the order of its references.
    order = SELF_REFERENCE_ORDER.get(table, "")
    for batch in _batches(source.execute(f'SELECT {names} FROM "{table}"{order}')):
        insert_many(c, sql, batch)
        copied += len(batch)
    return copied


def _batches(cursor: sqlite3.Cursor) -> Iterator[list[tuple]]:
    """The cursor's rows in lists of at most BATCH_ROWS rows, and not much over BATCH_BYTES."""
    batch: list[tuple] = []
    size = 0
    for row in cursor:
        batch.append(tuple(row))
        size += sum(len(v) for v in row if isinstance(v, str | bytes))
        if len(batch) >= BATCH_ROWS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _advance_identities(c: PgConnection, source: sqlite3.Connection) -> None:
    """Set each identity sequence past the copied ids and past SQLite's counter of the table.

    SQLite's AUTOINCREMENT never gives a number twice, even one whose row is gone (a change
    replaced by a newer one): the tablets' cursors may hold such a number, so the next change
    must come after it.
    """
    counters = {r["name"]: r["seq"] for r in source.execute("SELECT name, seq FROM sqlite_sequence")}
    identities = c.execute(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall()
    for table, column in identities:
        if table not in COPIED_TABLES:
            continue
        highest = c.execute(f'SELECT max("{column}") AS highest FROM "{table}"').fetchone()["highest"]
        last = max(highest or 0, counters.get(table) or 0)
        if last:
            c.execute("SELECT setval(pg_get_serial_sequence(?, ?), ?)", (table, column, last))


async def copy_store(sqlite_path: Path, url: str, tz: ZoneInfo) -> Copied:
    """Copy the SQLite store at `sqlite_path` into the empty PostgreSQL database at `url`, then rebuild its views."""
    if not is_postgres_url(url):
        raise StoreCopyError("--to takes the URL of a PostgreSQL database: postgresql://user@host:5432/name")
    started = time.monotonic()
    source = open_source(sqlite_path)
    as_of = now_iso()
    where = redacted(url)
    try:
        try:
            db = await PostgresDatabase.open(url)
        except UnsuitableDatabase as exc:
            raise StoreCopyError(str(exc)) from None
        except psycopg.Error as exc:
            raise StoreCopyError(f"cannot open PostgreSQL at {where}: {_first_line(exc)}") from None
        try:
            try:
                rows = await db.write(copy_records, source)
            except psycopg.Error as exc:
                raise StoreCopyError(
                    f"the copy failed and was rolled back, nothing was copied into {where}: {_first_line(exc)}"
                ) from None
            source.close()
            try:
                submissions = await rebuild_all(db, tz)
            except Exception as exc:  # whatever it was, the records are in and the target is not empty
                raise StoreCopyError(
                    f"the records were copied to {where}, but computing the views there failed"
                    f" ({_first_line(exc)}): start a server on it and run `tekseru rebuild`"
                ) from None
        finally:
            await db.close()
    finally:
        source.close()
    return Copied(rows=rows, submissions=submissions, as_of=as_of, seconds=time.monotonic() - started)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
