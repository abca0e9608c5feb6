"""Each migration on an empty database and on the previous schema holding data."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from server.db import Database, migrate, migration_files

FILES = migration_files()

# Rows to put in the schema *before* migration N, so that N is tested on a database with data.
# Each later migration adds its own entry (and asserts what it must keep in `KEPT`).
SEED_BEFORE: dict[int, list[str]] = {
    2: [
        "INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', 't')",
        "INSERT INTO units (unit_id, kind, name, region, active, updated_at)"
        " VALUES ('U1', 'branch', 'ПСС', 'Алматы', 1, 't')",
        "INSERT INTO changes (kind, object_id, op) VALUES ('unit', 'U1', 'upsert')",
    ],
}
SEED_BEFORE[6] = [
    "INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', 't')",
    "INSERT INTO submissions (submission_id, auditor, created_at) VALUES ('s1', 'aigerim', 't')",
    "INSERT INTO visit_standards (submission_id, period, counted, unit_id, code, score, met)"
    " VALUES ('s1', '2026-10', 2, 'U1', 'BR-01', 0.5, 0)",
    "INSERT INTO visit_staff (submission_id, staff_id, period, counted, unit_id, person_score)"
    " VALUES ('s1', 'E1', '2026-10', 2, 'U1', 87.5)",
]
SEED_BEFORE[7] = [
    "INSERT INTO visit_standards (period, counted, unit_id, code, submission_id, score, met)"
    " VALUES ('2026-10', 2, 'U1', 'BR-01', 's1', 0.5, 0)",
]
SEED_BEFORE[8] = [
    "INSERT INTO visit_standards (period, counted, unit_id, code, submission_id, score, met) VALUES"
    " ('2026-10', 2, 'U1', 'BR-02', 's1', 0.30000000000000004, 1),"
    " ('2026-10', 2, 'U1', 'BR-01', 's1', 0.6666666666666666, 0),"
    " ('2026-10', 2, 'U1', 'BR-01', 's2', 1.0, 1)",
]
SEED_BEFORE[9] = [
    "INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', 't')",
    "INSERT INTO submissions (submission_id, auditor, created_at)"
    " VALUES ('s1', 'aigerim', 't'), ('s2', 'aigerim', 't')",
    "INSERT INTO reviews (submission_id, decision, comment, heads, reviewer, decided_at) VALUES"
    " ('s1', 'approve', NULL, '[\"r1\"]', 'saule', 't'), ('s1', 'reject', 'Повторить', '[\"r1\"]', 'saule', 't')",
    "INSERT INTO submission_views (submission_id, auditor, status, has_conflicts, document, updated_at) VALUES"
    " ('s1', 'aigerim', 'rejected', 0, json_object('submission_id', 's1', 'visit', json('0.30000000000000004'),"
    "  'review', json_object('decision', 'reject', 'comment', 'Повторить', 'heads', json_array('r1'))), 't'),"
    " ('s2', 'aigerim', 'received', 0, json_object('submission_id', 's2', 'review', json('null')), 't')",
]
SEED_BEFORE[10] = [
    "INSERT INTO blobs (sha256, size, content_type, stored_at) VALUES ('ab', 3, 'image/jpeg', 't')",
]
SEED_BEFORE[11] = [
    "INSERT INTO users (name, role, created_at) VALUES ('saule', 'quality_lead', 't'), ('aigerim', 'auditor', 't')",
]
KEPT: dict[int, list[tuple[str, object]]] = {
    # Packed one row per visit, every double given back exactly.
    8: [
        (
            "SELECT standards FROM visit_scores WHERE submission_id = 's1'",
            '[["BR-01",0.66666666666666663,0],["BR-02",0.30000000000000004,1]]',
        ),
        ("SELECT count(*) FROM visit_scores", 2),
        ("SELECT count(*) FROM sqlite_schema WHERE name = 'visit_standards'", 0),
    ],
    7: [("SELECT unit_id FROM dirty_groups WHERE period = '2026-10' AND counted = 2", "U1")],
    6: [
        ("SELECT score FROM visit_standards WHERE period = '2026-10' AND code = 'BR-01'", 0.5),
        ("SELECT person_score FROM visit_staff WHERE staff_id = 'E1'", 87.5),
    ],
    2: [
        ("SELECT name FROM units WHERE unit_id = 'U1'", "ПСС"),
        ("SELECT count(*) FROM changes", 1),
        ("SELECT length(value) FROM meta WHERE key = 'database_id'", 16),
        ("SELECT count(*) FROM submissions", 0),
    ],
}
KEPT[9] = [
    # The latest decision's id joins the review it describes; everything else is kept as written.
    (
        "SELECT document FROM submission_views WHERE submission_id = 's1'",
        '{"submission_id":"s1","visit":0.30000000000000004,'
        '"review":{"decision":"reject","comment":"Повторить","heads":["r1"],"id":2}}',
    ),
    ("SELECT document FROM submission_views WHERE submission_id = 's2'", '{"submission_id":"s2","review":null}'),
]
KEPT[10] = [
    # A blob from before is kept, not yet verified: its next read rehashes it.
    ("SELECT size FROM blobs WHERE sha256 = 'ab' AND verified_file IS NULL", 3),
    ("SELECT count(*) FROM lost_blobs", 0),
]
KEPT[11] = [
    # Users from before have no password (no console until one is set) and read Russian.
    ("SELECT count(*) FROM users WHERE password_hash IS NULL AND lang = 'ru'", 2),
    ("SELECT count(*) FROM console_sessions", 0),
    ("SELECT count(*) FROM login_failures", 0),
    ("SELECT count(*) FROM review_open", 0),
]
SEED_BEFORE[12] = [
    "INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', 't')",
    "INSERT INTO submissions (submission_id, auditor, created_at)"
    " VALUES ('s1', 'aigerim', 't'), ('s2', 'aigerim', 't'), ('s3', 'aigerim', 't')",
    "INSERT INTO submission_views (submission_id, auditor, status, has_conflicts, document, updated_at) VALUES"
    " ('s1', 'aigerim', 'received', 0, '{\"scores\":{\"critical_failed\":[\"PAY.1\"]}}', 't'),"
    " ('s2', 'aigerim', 'received', 0, '{\"scores\":{\"critical_failed\":[]}}', 't'),"
    " ('s3', 'aigerim', 'draft', 0, '{\"scores\":null}', 't')",
]
KEPT[12] = [
    # The failed critical item is read once from each stored document; the queue's index is there.
    ("SELECT group_concat(submission_id) FROM submission_views WHERE critical_failed = 1", "s1"),
    ("SELECT count(*) FROM submission_views WHERE critical_failed = 0", 2),
    ("SELECT count(*) FROM sqlite_schema WHERE name = 'submission_views_queue'", 1),
]
SEED_BEFORE[14] = [
    "INSERT INTO scorecard_jobs (job_id, period, unit_kind, lang, total, done, status, started_at, started_by,"
    " finished_at) VALUES ('j1', '2026-10', 'branch', 'ru', 3, 1, 'running', 't', 'saule', NULL),"
    " ('j2', '2026-10', 'branch', 'kk', 3, 3, 'finished', 't', 'saule', 'f')",
]
KEPT[14] = [
    # A job running before its subjects were recorded can never finish: it reads interrupted.
    (
        "SELECT status || ' ' || done FROM scorecard_jobs WHERE job_id = 'j1' AND finished_at LIKE '20__-__-__T%Z'",
        "interrupted 1",
    ),
    ("SELECT status || ' ' || finished_at FROM scorecard_jobs WHERE job_id = 'j2'", "finished f"),
    ("SELECT count(*) FROM scorecard_job_units", 0),
]


def test_console_schema_refuses_what_it_must(tmp_path):
    """0011: a language outside ru/kk/en, a session of nobody, a negative failure count."""
    path = tmp_path / "db.sqlite3"
    _migrate(path, FILES)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("INSERT INTO users (name, role, created_at) VALUES ('saule', 'quality_lead', 't')")
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("UPDATE users SET lang = 'de' WHERE name = 'saule'")
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(
                "INSERT INTO console_sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, ends_at)"
                " VALUES ('h', 'nobody', 'c', 't', 't', 't')"
            )
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO login_failures (key, failures, last_failed_at) VALUES ('user:x', -1, 't')")
        db.execute("INSERT INTO review_open (submission_id, user_name, opened_at) VALUES ('s1', 'saule', 't')")
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("INSERT INTO review_open (submission_id, user_name, opened_at) VALUES ('s1', 'saule', 'u')")


def _run(coro):
    return asyncio.run(coro)


def _migrate(path, files):
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        return migrate(conn, files)
    finally:
        conn.close()


def test_migrations_are_numbered_without_gaps():
    assert [n for n, _, _ in FILES] == list(range(1, len(FILES) + 1))


@pytest.mark.parametrize("number", [n for n, _, _ in FILES])
def test_migration_on_an_empty_database(tmp_path, number):
    path = tmp_path / "db.sqlite3"
    applied = _migrate(path, FILES[:number])
    assert applied == [name for _, name, _ in FILES[:number]]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize("number", [n for n, _, _ in FILES if n > 1])
def test_migration_on_the_previous_schema_with_data(tmp_path, number):
    path = tmp_path / "db.sqlite3"
    _migrate(path, FILES[: number - 1])
    with sqlite3.connect(path) as db:
        for statement in SEED_BEFORE.get(number, []):
            db.execute(statement)
    assert _migrate(path, FILES[:number]) == [FILES[number - 1][1]]
    with sqlite3.connect(path) as db:
        for sql, expected in KEPT.get(number, []):
            assert db.execute(sql).fetchone()[0] == expected


def test_migrating_twice_changes_nothing(tmp_path):
    path = tmp_path / "db.sqlite3"
    _migrate(path, FILES)
    assert _migrate(path, FILES) == []


def test_a_failing_migration_leaves_nothing_behind(tmp_path):
    path = tmp_path / "db.sqlite3"
    broken = [*FILES, (len(FILES) + 1, "9999_broken.sql", "CREATE TABLE half (x INTEGER);\nNOT SQL;\n")]
    with pytest.raises(sqlite3.OperationalError):
        _migrate(path, broken)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone() == (0,)
        assert db.execute("SELECT max(number) FROM schema_migrations").fetchone() == (len(FILES),)


def test_database_pragmas(tmp_path):
    async def check():
        db = await Database.open(tmp_path / "db.sqlite3")
        try:
            pragmas = ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            return await db.write(lambda c: [c.execute(f"PRAGMA {pragma}").fetchone()[0] for pragma in pragmas])
        finally:
            await db.close()

    assert _run(check()) == ["wal", 2, 1, 10000]


def test_published_checklist_versions_are_immutable(tmp_path):
    path = tmp_path / "db.sqlite3"
    _migrate(path, FILES)
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO checklist_versions (checklist_id, version, unit_kind, sha256, body, published_at)"
            " VALUES ('c', 1, 'branch', 'h', '{}', 't')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            db.execute("UPDATE checklist_versions SET body = '{\"x\":1}'")
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            db.execute("DELETE FROM checklist_versions")
        db.execute("UPDATE checklist_versions SET retired_at = 'now'")


def test_insert_many_writes_every_row_as_executemany_would(tmp_path):
    """Multi-row statements in chunks (here 3 of them) with a tail clause, rows in their order."""
    from server.db import insert_many

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT UNIQUE, n INTEGER, x REAL)")
        rows = [(f"k{i}", i, i / 3) for i in range(1_200)] + [("k7", -1, 0.0)]  # a duplicate key
        insert_many(db, "INSERT INTO t (k, n, x) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", rows)
        got = db.execute("SELECT k, n, x FROM t ORDER BY id").fetchall()
    assert got == rows[:-1]
