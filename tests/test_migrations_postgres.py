"""PostgreSQL's migrations: each on an empty database and on the previous schema holding data, and
after each one the same tables, columns, constraints, indexes and rules as SQLite's after it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any

import psycopg
import pytest

from server.db import Database, migrate, migration_files, plain_connection
from server.pg import PgConnection, connect
from tests.pg import fresh_database, postgres_url, skip_reason
from tests.test_migrations import KEPT, SEED_BEFORE

FILES = migration_files("postgres")
SQLITE_FILES = migration_files("sqlite")

pytestmark = pytest.mark.skipif(postgres_url() is None, reason=skip_reason())

# SQL that only SQLite runs: the seeds and checks naming it are replaced by the PostgreSQL ones below.
SQLITE_ONLY = re.compile(r"\b(sqlite_schema|group_concat|json_object|json_array|json)\b")

PG_SEED_BEFORE: dict[int, list[str]] = {
    n: [s for s in rows if not SQLITE_ONLY.search(s)] for n, rows in SEED_BEFORE.items()
}
PG_SEED_BEFORE[9] += [
    # The documents SQLite's json_object() writes for the seed of 0009.
    "INSERT INTO submission_views (submission_id, auditor, status, has_conflicts, document, updated_at) VALUES"
    " ('s1', 'aigerim', 'rejected', 0, '{\"submission_id\":\"s1\",\"visit\":0.30000000000000004,"
    '"review":{"decision":"reject","comment":"Повторить","heads":["r1"]}}\', \'t\'),'
    " ('s2', 'aigerim', 'received', 0, '{\"submission_id\":\"s2\",\"review\":null}', 't')",
]
PG_KEPT: dict[int, list[tuple[str, object]]] = {
    n: [(sql, v) for sql, v in rows if not SQLITE_ONLY.search(sql)] for n, rows in KEPT.items()
}
PG_KEPT[8] += [
    ("SELECT count(*) FROM information_schema.tables WHERE table_name = 'visit_standards'", 0),
    ("SELECT count(*) FROM pg_proc WHERE proname = 'sqlite_printf_17g'", 0),  # the migration's own helper is gone
]
PG_KEPT[12] += [
    ("SELECT string_agg(submission_id, ',') FROM submission_views WHERE critical_failed = 1", "s1"),
    ("SELECT count(*) FROM pg_indexes WHERE indexname = 'submission_views_queue'", 1),
    ("SELECT count(*) FROM pg_proc WHERE proname = 'critical_failed_items'", 0),
]


@contextlib.contextmanager
def _pg_database() -> Iterator[PgConnection]:
    with fresh_database() as url:
        conn = connect(url)
        try:
            yield conn
        finally:
            conn.close()


@pytest.fixture
def pg() -> Iterator[PgConnection]:
    """A connection to an empty database of the test's own."""
    with _pg_database() as conn:
        yield conn


def _sqlite(path: Path, number: int) -> sqlite3.Connection:
    """SQLite's file at `path` with its migrations 1..number applied (the server's pragmas)."""
    conn = plain_connection(path)
    migrate(conn, SQLITE_FILES[:number])
    return conn


# --- what a schema is, read the same way from both stores ---------------------------------------

PG_TYPES = {"INTEGER": "bigint", "TEXT": "text", "REAL": "double precision", "BLOB": "bytea"}


def sqlite_schema(c: sqlite3.Connection) -> dict[str, Any]:
    """Tables, columns, keys, checks, indexes and triggers of a SQLite database, as PostgreSQL names them."""
    tables = {}
    for name, sql in c.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        info = c.execute(f"PRAGMA table_info({name})").fetchall()
        key = [r["name"] for r in sorted((r for r in info if r["pk"]), key=lambda r: r["pk"])]
        rowid_alias = len(key) == 1 and any(r["pk"] and r["type"] == "INTEGER" for r in info)
        columns = [
            # A key column is NOT NULL in PostgreSQL; SQLite leaves a rowid table's TEXT key nullable.
            (
                r["name"],
                PG_TYPES[r["type"]],
                bool(r["notnull"] or r["pk"]),
                r["dflt_value"],
                rowid_alias and r["pk"] == 1,
            )
            for r in info
        ]
        lists = c.execute(f"PRAGMA index_list({name})").fetchall()
        tables[name] = {
            "columns": columns,
            "key": key,
            "unique": sorted(
                [r["name"] for r in c.execute(f"PRAGMA index_info({i['name']})")] for i in lists if i["origin"] == "u"
            ),
            "foreign": sorted((r["from"], r["table"], r["to"]) for r in c.execute(f"PRAGMA foreign_key_list({name})")),
            "checks": len(re.findall(r"\bCHECK\s*\(", sql, re.IGNORECASE)),
        }
    indexes = {}
    for table in tables:
        for i in c.execute(f"PRAGMA index_list({table})").fetchall():
            if i["origin"] == "c":
                cols = [r["name"] for r in c.execute(f"PRAGMA index_info({i['name']})")]  # None: an expression
                indexes[i["name"]] = (table, bool(i["unique"]), bool(i["partial"]), cols)
    triggers = {}
    for name, table, sql in c.execute("SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger'"):
        event = re.search(r"BEFORE (UPDATE|DELETE)(?: OF (.*?))? ON", sql, re.DOTALL)
        columns = sorted(re.split(r"\s*,\s*", event.group(2).strip())) if event.group(2) else []
        triggers[name] = (table, event.group(1), columns)
    return {"tables": tables, "indexes": indexes, "triggers": triggers}


def pg_schema(c: PgConnection) -> dict[str, Any]:
    """The same description of a PostgreSQL database (schema `public`)."""
    tables = {}
    for (name,) in c.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    ).fetchall():
        columns = [
            (r[0], r[1], r[2] == "NO", re.sub(r"::[a-z ]+$", "", r[3]) if r[3] is not None else None, r[4] == "YES")
            for r in c.execute(
                "SELECT column_name, data_type, is_nullable, column_default, is_identity"
                " FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ?"
                " ORDER BY ordinal_position",
                (name,),
            ).fetchall()
        ]

        def constraint_columns(kind: str, name: str = name) -> list[list[str]]:
            return sorted(
                [
                    r[0]
                    for r in c.execute(
                        "SELECT a.attname FROM unnest(?::int2[]) WITH ORDINALITY AS k (attnum, n)"
                        " JOIN pg_attribute a ON a.attrelid = ?::regclass AND a.attnum = k.attnum ORDER BY k.n",
                        (list(con[0]), name),
                    ).fetchall()
                ]
                for con in c.execute(
                    "SELECT conkey FROM pg_constraint WHERE conrelid = ?::regclass AND contype = ?", (name, kind)
                ).fetchall()
            )

        foreign = c.execute(
            "SELECT a.attname, ft.relname, fa.attname FROM pg_constraint k"
            " JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]"
            " JOIN pg_class ft ON ft.oid = k.confrelid"
            " JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[1]"
            " WHERE k.conrelid = ?::regclass AND k.contype = 'f'",
            (name,),
        ).fetchall()
        checks = c.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'c'", (name,)
        ).fetchone()[0]
        keys = constraint_columns("p")
        tables[name] = {
            "columns": columns,
            "key": keys[0] if keys else [],
            "unique": constraint_columns("u"),
            "foreign": sorted(tuple(r) for r in foreign),
            "checks": checks,
        }
    indexes = {}
    for name, table, unique, partial, keys, indrelid in c.execute(
        "SELECT ic.relname, tc.relname, i.indisunique, i.indpred IS NOT NULL, i.indkey::int2[], i.indrelid"
        " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class tc ON tc.oid = i.indrelid"
        " JOIN pg_namespace n ON n.oid = tc.relnamespace"
        " WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
    ).fetchall():
        names = {
            r[0]: r[1]
            for r in c.execute("SELECT attnum, attname FROM pg_attribute WHERE attrelid = ?", (indrelid,)).fetchall()
        }
        indexes[name] = (table, unique, partial, [names.get(k) for k in keys])  # attnum 0: an expression
    triggers = {}
    for name, table, event in c.execute(
        "SELECT trigger_name, event_object_table, event_manipulation FROM information_schema.triggers"
        " WHERE trigger_schema = 'public'"
    ).fetchall():
        columns = [
            r[0]
            for r in c.execute(
                "SELECT event_object_column FROM information_schema.triggered_update_columns WHERE trigger_name = ?",
                (name,),
            ).fetchall()
        ]
        triggers[name] = (table, event, sorted(columns))  # TRUNCATE's (SQLite has none) are not listed here
    return {"tables": tables, "indexes": indexes, "triggers": triggers}


def assert_same_schema(lite: dict[str, Any], pg: dict[str, Any]) -> None:
    assert sorted(pg["tables"]) == sorted(lite["tables"])
    for table, expected in lite["tables"].items():
        got = dict(pg["tables"][table])
        if table == "schema_migrations":  # the runner's own table (server.db.migrate), one text for both stores
            got["columns"] = [c[0] for c in got["columns"]]
            expected = dict(expected, columns=[c[0] for c in expected["columns"]])
        assert got == expected, table
    assert pg["indexes"] == lite["indexes"]
    assert pg["triggers"] == lite["triggers"]


# --- the migrations, one by one -------------------------------------------------------------------


def test_migrations_are_numbered_without_gaps_and_named_as_sqlites():
    assert [n for n, _, _ in FILES] == list(range(1, len(FILES) + 1))
    assert [(n, name) for n, name, _ in FILES] == [(n, name) for n, name, _ in SQLITE_FILES]


@pytest.mark.parametrize("number", [n for n, _, _ in FILES])
def test_migration_on_an_empty_database(pg, tmp_path, number):
    """Migrations 1..N make the schema SQLite's 1..N make."""
    applied = migrate(pg, FILES[:number])
    assert applied == [name for _, name, _ in FILES[:number]]
    lite = _sqlite(tmp_path / "db.sqlite3", number)
    try:
        assert_same_schema(sqlite_schema(lite), pg_schema(pg))
    finally:
        lite.close()


@pytest.mark.parametrize("number", [n for n, _, _ in FILES if n > 1])
def test_migration_on_the_previous_schema_with_data(pg, number):
    migrate(pg, FILES[: number - 1])
    for statement in PG_SEED_BEFORE.get(number, []):
        pg.execute(statement)
    assert migrate(pg, FILES[:number]) == [FILES[number - 1][1]]
    for sql, expected in PG_KEPT.get(number, []):
        assert pg.execute(sql).fetchone()[0] == expected, sql


def test_migrating_twice_changes_nothing(pg):
    migrate(pg, FILES)
    before = pg_schema(pg), pg.execute("SELECT value FROM meta").fetchall()
    assert migrate(pg, FILES) == []
    assert migrate(pg) == []  # the shipped files are these
    assert (pg_schema(pg), pg.execute("SELECT value FROM meta").fetchall()) == before


def test_a_failing_migration_leaves_nothing_behind(pg):
    broken = [
        *FILES,
        (
            len(FILES) + 1,
            "9999_broken.sql",
            "CREATE TABLE half (x BIGINT);\n"
            "CREATE FUNCTION half_done() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;\n"
            "NOT SQL;\n",
        ),
    ]
    with pytest.raises(psycopg.errors.SyntaxError):
        migrate(pg, broken)
    assert pg.execute("SELECT to_regclass('half')").fetchone()[0] is None
    assert pg.execute("SELECT count(*) FROM pg_proc WHERE proname = 'half_done'").fetchone()[0] == 0
    assert pg.execute("SELECT max(number) FROM schema_migrations").fetchone()[0] == len(FILES)
    assert not pg.in_transaction


def test_the_final_schema_is_sqlites(pg, tmp_path):
    """After every migration: the tables, their columns in order, their keys and the index names of
    the SQLite file the server itself creates."""
    migrate(pg)

    async def create() -> None:
        db = await Database.open(tmp_path / "db.sqlite3")
        await db.close()

    asyncio.run(create())
    lite = plain_connection(tmp_path / "db.sqlite3")
    try:
        expected = sqlite_schema(lite)
    finally:
        lite.close()
    got = pg_schema(pg)
    assert_same_schema(expected, got)
    assert "visit_scores" in got["tables"] and "visit_standards" not in got["tables"]
    assert got["tables"]["uploads"]["columns"][6][0] == "offset"


def test_the_database_id_is_16_random_hex_digits():
    ids = []
    for _ in range(2):
        with _pg_database() as conn:
            migrate(conn, FILES[:2])
            ids.append(conn.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchone()[0])
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)
    assert ids[0] != ids[1]


# --- what SQLite's data migrations write, PostgreSQL's write byte for byte ------------------------


def printf_17g(x: float) -> str:
    """SQLite's printf('%!.17g', x) with the 17 digits correctly rounded from the double's exact value."""
    if x == 0:
        return "0.0"
    with localcontext() as ctx:
        ctx.prec = 1200
        exact = abs(Decimal(x))
        point = exact.adjusted()
        digits = exact.scaleb(-point).quantize(Decimal("1.0000000000000000"), rounding=ROUND_HALF_UP)
        if digits >= 10:
            digits, point = (digits / 10).quantize(Decimal("1.0000000000000000"), rounding=ROUND_HALF_UP), point + 1
    d = str(digits).replace(".", "")
    if point < -4 or point >= 17:
        text = f"{d[0]}.{d[1:].rstrip('0') or '0'}e{'-' if point < 0 else '+'}{abs(point):02d}"
    elif point >= 0:
        text = f"{d[: point + 1]}.{d[point + 1 :].rstrip('0') or '0'}"
    else:
        text = "0." + "0" * (-point - 1) + d.rstrip("0")
    return ("-" if x < 0 else "") + text


SCORES = sorted(
    {k / n for n in range(1, 61) for k in range(n + 1)}
    | {100 * k / n for n in range(1, 13) for k in range(n + 1)}
    | {0.30000000000000004, 1e-5, 1.5e-7, 5e-324, 1e20, 1.2345678901234568e17, 1.7976931348623157e308, -0.75}
)
# Scores SQLite's printf writes with correctly rounded digits (SQLite 3.40's long double digits are
# off by one in the 17th for some doubles, e.g. 0.024: text differs there, the double read back does not).
COMMON_SCORES = [0.0, 1.0, 0.5, 0.25, 0.75, 1 / 3, 2 / 3, 0.30000000000000004, 87.5, 100.0, 1e20, 1e-5, 5e-324]


def test_printf_17g_is_sqlites_for_common_scores():
    with sqlite3.connect(":memory:") as db:
        for x in COMMON_SCORES:
            assert db.execute("SELECT printf('%!.17g', ?)", (x,)).fetchone()[0] == printf_17g(x)


def test_visit_scores_are_packed_as_sqlite_packs_them(pg, tmp_path):
    """0008: each visit's standards in code order (bytewise), codes quoted as json_quote, 17-digit scores."""
    codes = ["BR-01", "br-01", "B", "a", "Ä", "Z", 'q"uote', "back\\slash", "tab\tnew\nline\x01", "ПСС-1"]

    def visits(prefix: str, scores: list[float]) -> list[tuple]:
        return [
            ("2026-10", 2, "U1", f"{prefix}{i // len(codes)}", codes[i % len(codes)], score, i % 2)
            for i, score in enumerate(scores)
        ]

    rows = visits("common", COMMON_SCORES) + visits("s", SCORES)
    insert = (
        "INSERT INTO visit_standards (period, counted, unit_id, submission_id, code, score, met)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    migrate(pg, FILES[:7])
    pg.executemany(insert, rows)
    migrate(pg, FILES[:8])
    got = dict(pg.execute("SELECT submission_id, standards FROM visit_scores").fetchall())
    lite = _sqlite(tmp_path / "db.sqlite3", 7)
    try:
        lite.executemany(insert, rows)
        migrate(lite, SQLITE_FILES[:8])
        expected = dict(lite.execute("SELECT submission_id, standards FROM visit_scores").fetchall())
    finally:
        lite.close()
    assert sorted(got) == sorted(expected)
    by_visit: dict[str, list] = {}
    for _, _, _, submission, code, score, met in rows:
        by_visit.setdefault(submission, []).append((code.encode(), code, score, met))
    for submission, standards in by_visit.items():
        standards.sort()
        packed = ",".join(
            f"[{json.dumps(code, ensure_ascii=False)},{printf_17g(score)},{met}]" for _, code, score, met in standards
        )
        assert got[submission] == f"[{packed}]"
        assert json.loads(got[submission]) == [[code, score, met] for _, code, score, met in standards]
        if submission.startswith("common"):
            assert got[submission] == expected[submission]
        else:  # SQLite's digits may differ in the 17th place; its codes, their order and the flags do not
            assert [[c, m] for c, _, m in json.loads(expected[submission])] == [[c, m] for _, c, _, m in standards]


DOCUMENTS = {
    # submission -> its stored document before 0009 (the reviews below: s1 has two, s5 none)
    "s1": '{"submission_id":"s1","visit":0.30000000000000004,"review":{"decision":"reject","heads":["r1"]}}',
    "s2": '{ "a" : [1, 2.50, {"b": "x  y", "c": 1E+2}],\n  "review" : { "decision" : "approve", "x": [ ] } }',
    "s3": '{"review":{"id":1,"decision":"approve"},"z":12345678901234567890,"w":-0.0}',
    "s4": '{"t":"a\\"b\\u00e9\\/\\n","review":{},"after":true}',
    "s5": '{"review":{"decision":"approve"}}',
    "s6": '{"review":null,"x":1}',
    "s7": '{"x":{"review":{}},"review":"approved"}',
    "s8": '{"submission_id":"s8"}',
    "s9": '{"nested":{"review":{"id":7}},"review":{"comment":"Повторить ✓","n":[{"k":[]}]}}',
}


def test_review_ids_join_the_documents_as_sqlite_writes_them(pg, tmp_path):
    """0009: the same bytes as SQLite's json_set, whitespace, numbers and escapes included."""
    seed = [
        "INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', 't')",
        *(
            f"INSERT INTO submissions (submission_id, auditor, created_at) VALUES ('{s}', 'aigerim', 't')"
            for s in DOCUMENTS
        ),
        "INSERT INTO reviews (submission_id, decision, heads, reviewer, decided_at) VALUES"
        " ('s1', 'approve', '[]', 'saule', 't'), ('s2', 'approve', '[]', 'saule', 't'),"
        " ('s1', 'reject', '[]', 'saule', 't'), ('s3', 'approve', '[]', 'saule', 't'),"
        " ('s4', 'approve', '[]', 'saule', 't'), ('s9', 'reject', '[]', 'saule', 't')",
    ]
    insert = (
        "INSERT INTO submission_views (submission_id, auditor, status, has_conflicts, document, updated_at)"
        " VALUES (?, 'aigerim', 'received', 0, ?, 't')"
    )
    migrate(pg, FILES[:8])
    for statement in seed:
        pg.execute(statement)
    pg.executemany(insert, list(DOCUMENTS.items()))
    migrate(pg, FILES[:9])
    got = dict(pg.execute("SELECT submission_id, document FROM submission_views").fetchall())
    lite = _sqlite(tmp_path / "db.sqlite3", 8)
    try:
        for statement in seed:
            lite.execute(statement)
        lite.executemany(insert, list(DOCUMENTS.items()))
        migrate(lite, SQLITE_FILES[:9])
        expected = dict(lite.execute("SELECT submission_id, document FROM submission_views").fetchall())
    finally:
        lite.close()
    assert got == expected
    assert got["s1"].endswith('"heads":["r1"],"id":3}}') and got["s5"] == '{"review":{"decision":"approve","id":null}}'
    assert got["s6"] == DOCUMENTS["s6"] and got["s7"] == DOCUMENTS["s7"]  # no review object: left as written


def test_failed_critical_items_are_read_as_sqlite_reads_them(pg, tmp_path):
    """0012: only a non-empty `scores.critical_failed` array in a valid document sets the column."""
    documents = {
        "s1": '{"scores":{"critical_failed":["PAY.1"]}}',
        "s2": '{"scores":{"critical_failed":[]}}',
        "s3": '{"scores":null}',
        "s4": "not json",
        "s5": '{"scores":{"critical_failed":"PAY.1"}}',
        "s6": '{"scores":{"critical_failed":{"a":1}}}',
        "s7": ' { "scores" : { "critical_failed" : [ 1 , 2 ] } } ',
        "s8": '{"scores":{"critical_failed":["x"]}',  # cut short: not JSON
        "s9": '["scores"]',
        "s10": '{"scores":[{"critical_failed":[1]}]}',
    }
    seed = [
        "INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', 't')",
        *(
            f"INSERT INTO submissions (submission_id, auditor, created_at) VALUES ('{s}', 'aigerim', 't')"
            for s in documents
        ),
    ]
    insert = (
        "INSERT INTO submission_views (submission_id, auditor, status, has_conflicts, document, updated_at)"
        " VALUES (?, 'aigerim', 'received', 0, ?, 't')"
    )
    marked = []
    for store in ("postgres", "sqlite"):
        conn = pg if store == "postgres" else _sqlite(tmp_path / "db.sqlite3", 11)
        files = FILES if store == "postgres" else SQLITE_FILES
        try:
            migrate(conn, files[:11])
            for statement in seed:
                conn.execute(statement)
            conn.executemany(insert, list(documents.items()))
            migrate(conn, files[:12])
            marked.append(
                sorted(
                    r[0] for r in conn.execute("SELECT submission_id FROM submission_views WHERE critical_failed = 1")
                )
            )
        finally:
            if conn is not pg:
                conn.close()
    assert marked[0] == marked[1] == ["s1", "s7"]


# --- the rules both stores enforce -------------------------------------------------------------------

RULE_ROWS = [
    "INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', 't')",
    "INSERT INTO submissions (submission_id, auditor, created_at) VALUES ('s1', 'aigerim', 't')",
    "INSERT INTO checklist_versions (checklist_id, version, unit_kind, sha256, body, published_at)"
    " VALUES ('c', 1, 'branch', 'h', '{}', 't')",
    "INSERT INTO revisions (rev_id, submission_id, sha256, content, parents, checklist_id, checklist_version, rank,"
    " author, received_at, clock_offset_ms, arrival) VALUES ('r1', 's1', 'h', '{}', '[]', 'c', 1, 'auditor', 'aigerim',"
    " 't', 0, 1)",
    "INSERT INTO reviews (submission_id, decision, heads, reviewer, decided_at)"
    " VALUES ('s1', 'approve', '[\"r1\"]', 'saule', 't')",
    "INSERT INTO audit_log (at, actor, action, object_kind, object_id, detail)"
    " VALUES ('t', 'saule', 'approve', 'submission', 's1', '{}')",
    "INSERT INTO policies (policy_id, version, sha256, body, published_at) VALUES ('p', 1, 'h', '{}', 't')",
    "INSERT INTO period_snapshots (snapshot_id, period, closed_at, closed_by, forced, policy_id, policy_version,"
    " policy_sha256, sha256, rows, carried) VALUES ('ps', '2026-10', 't', 'hr', 0, 'p', 1, 'h', 'h', '[]', '[]')",
    "INSERT INTO scorecards (scorecard_id, scope, period, lang, status, sha256, input_sha256, size, pdf, created_at,"
    " created_by, published_at, published_by) VALUES"
    " ('pub', 'network', '2026-10', 'ru', 'published', 'h', 'i', 1, 'x', 't', 'lead', 't', 'lead'),"
    " ('draft', 'network', '2026-10', 'kk', 'draft', 'h', 'i', 1, 'x', 't', 'lead', NULL, NULL),"
    " ('draft2', 'network', '2026-10', 'en', 'draft', 'h', 'i', 1, 'x', 't', 'lead', NULL, NULL)",
]
REFUSED = [
    ("UPDATE checklist_versions SET body = '{\"x\":1}'", "a published checklist version is immutable"),
    ("DELETE FROM checklist_versions", "a published checklist version is never deleted"),
    ("UPDATE revisions SET content = '{\"x\":1}'", "a revision is immutable"),
    ("UPDATE revisions SET received_at = 'u', released = 1", "a revision is immutable"),
    ("DELETE FROM revisions", "a revision is never deleted"),
    ("UPDATE reviews SET comment = 'x'", "review decisions are append-only"),
    ("DELETE FROM reviews", "review decisions are append-only"),
    ("UPDATE audit_log SET detail = '{\"x\":1}'", "the audit log is append-only"),
    ("DELETE FROM audit_log", "the audit log is append-only"),
    ("UPDATE policies SET published_at = 'u'", "a published policy is immutable"),
    ("DELETE FROM policies", "a published policy is never deleted"),
    ("UPDATE period_snapshots SET rows = '[1]'", "a closed period snapshot never changes"),
    ("DELETE FROM period_snapshots", "a closed period snapshot never changes"),
    ("UPDATE scorecards SET size = 2 WHERE scorecard_id = 'pub'", "a published scorecard is immutable"),
    ("UPDATE scorecards SET status = 'draft' WHERE scorecard_id = 'pub'", "a published scorecard is immutable"),
    ("DELETE FROM scorecards WHERE scorecard_id = 'pub'", "a published scorecard is never deleted"),
    (
        "UPDATE scorecards SET size = 2 WHERE scorecard_id = 'draft'",
        "the bytes of a scorecard never change; render a new draft",
    ),
]
ALLOWED = [
    ("UPDATE checklist_versions SET retired_at = 'u'", "SELECT retired_at FROM checklist_versions", "u"),
    ("UPDATE revisions SET released = 1", "SELECT released FROM revisions", 1),
    (
        "UPDATE scorecards SET status = 'published', published_at = 'u', published_by = 'lead'"
        " WHERE scorecard_id = 'draft'",
        "SELECT count(*) FROM scorecards WHERE status = 'published'",
        2,
    ),
    ("DELETE FROM scorecards WHERE status = 'draft'", "SELECT count(*) FROM scorecards", 2),
]


@contextlib.contextmanager
def _migrated(store: str, tmp_path: Path) -> Iterator[Any]:
    """Every migration applied and RULE_ROWS inserted, on `store`."""
    if store == "sqlite":
        conn: Any = _sqlite(tmp_path / "db.sqlite3", len(SQLITE_FILES))
        with contextlib.closing(conn):
            for statement in RULE_ROWS:
                conn.execute(statement)
            yield conn
    else:
        with _pg_database() as conn:
            migrate(conn)
            for statement in RULE_ROWS:
                conn.execute(statement)
            yield conn


def _refusal(store: str, conn: Any, sql: str) -> str:
    """The message with which `sql` is refused as an integrity error."""
    if store == "sqlite":
        with pytest.raises(sqlite3.IntegrityError) as caught:
            conn.execute(sql)
        return str(caught.value)
    with pytest.raises(psycopg.errors.RestrictViolation) as caught:
        conn.execute(sql)
    return caught.value.diag.message_primary


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_immutability_rules_refuse_the_same_changes(store, tmp_path):
    with _migrated(store, tmp_path) as conn:
        assert [(sql, _refusal(store, conn, sql)) for sql, _ in REFUSED] == REFUSED
        for sql, check, expected in ALLOWED:
            conn.execute(sql)
            assert conn.execute(check).fetchone()[0] == expected, sql


def test_truncate_is_refused_where_delete_is(tmp_path):
    """SQLite has no TRUNCATE; PostgreSQL's fires no row trigger, so the same rules guard it."""
    with _migrated("postgres", tmp_path) as conn:
        for table, message in [
            ("checklist_versions", "a published checklist version is never deleted"),
            ("revisions", "a revision is never deleted"),
            ("reviews", "review decisions are append-only"),
            ("audit_log", "the audit log is append-only"),
            ("policies", "a published policy is never deleted"),
            ("period_snapshots", "a closed period snapshot never changes"),
            ("scorecards", "a published scorecard is never deleted"),
        ]:
            assert _refusal("postgres", conn, f"TRUNCATE {table} CASCADE") == message
        conn.execute("DELETE FROM scorecards WHERE status = 'draft'")
        assert conn.execute("SELECT count(*) FROM scorecards").fetchone()[0] == 1
        conn.execute("INSERT INTO login_failures (key, failures, last_failed_at) VALUES ('user:x', 1, 't')")
        conn.execute("TRUNCATE login_failures")  # other tables: as before
        assert conn.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 0


@pytest.mark.parametrize("store", ["sqlite", "postgres"])
def test_console_schema_refuses_what_it_must(store, tmp_path):
    """0011: a language outside ru/kk/en, a session of nobody, a negative failure count, a second open row."""
    integrity = sqlite3.IntegrityError if store == "sqlite" else psycopg.errors.IntegrityError
    with _migrated(store, tmp_path) as conn:
        conn.execute("INSERT INTO users (name, role, created_at) VALUES ('saule', 'quality_lead', 't')")
        assert conn.execute("SELECT lang FROM users WHERE name = 'saule'").fetchone()[0] == "ru"
        with pytest.raises(integrity):
            conn.execute("UPDATE users SET lang = 'de' WHERE name = 'saule'")
        with pytest.raises(integrity):
            conn.execute(
                "INSERT INTO console_sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, ends_at)"
                " VALUES ('h', 'nobody', 'c', 't', 't', 't')"
            )
        with pytest.raises(integrity):
            conn.execute("INSERT INTO login_failures (key, failures, last_failed_at) VALUES ('user:x', -1, 't')")
        conn.execute("INSERT INTO review_open (submission_id, user_name, opened_at) VALUES ('s1', 'saule', 't')")
        with pytest.raises(integrity):
            conn.execute("INSERT INTO review_open (submission_id, user_name, opened_at) VALUES ('s1', 'saule', 'u')")
        with pytest.raises(integrity):  # 0013: one running job per period, kind and language
            conn.execute(
                "INSERT INTO scorecard_jobs (job_id, period, unit_kind, lang, total, status, started_at, started_by)"
                " VALUES ('j1', '2026-10', 'branch', 'ru', 3, 'running', 't', 'lead'),"
                " ('j2', '2026-10', 'branch', 'ru', 3, 'running', 't', 'lead')"
            )
