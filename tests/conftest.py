"""Fixtures: a real SQLite file in tmp_path, the real app through Litestar's test client."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server import pg
from server.app import create_app
from server.settings import Settings
from tests.pg import fresh_database, postgres_url, skip_reason

DATA = Path(__file__).parent / "data"
EXAMPLE_CHECKLIST = DATA / "example.toml"


# The tests of these modules run on both stores: SQLite and PostgreSQL (`engine` is `sqlite` or
# `postgres`; TEKSERU_TEST_STORES=postgres, for one, runs only the PostgreSQL half). A test of one
# of them that is about SQLite's file itself is marked `sqlite_only`.
BOTH_STORES = frozenset(
    {
        "test_appeal_figures",
        "test_appeals",
        "test_auth",
        "test_bola",
        "test_calibration",
        "test_console_appeals",
        "test_console_auth",
        "test_console_calibration",
        "test_console_integrity",
        "test_console_periods",
        "test_console_plans",
        "test_console_review",
        "test_checklists",
        "test_crash",
        "test_crash_edges",
        "test_directory",
        "test_figures",
        "test_integrity",
        "test_integrity_crash",
        "test_integrity_photos",
        "test_motivation",
        "test_plans",
        "test_pull_equals_get",
        "test_push_plan",
        "test_rebuild",
        "test_robust_blobs",
        "test_robust_periods",
        "test_robust_push",
        "test_robust_reviews",
        "test_roles",
        "test_scorecard_jobs_shared",
        "test_scorecards",
        "test_scores_regions",
        "test_sync",
        "test_unit_manager",
        "test_uploads",
    }
)


# Modules whose every test needs PostgreSQL; a test elsewhere that does is marked `postgres` itself
# or takes the `pg_settings` fixture. `make test` runs the `postgres` group in a process of its own.
POSTGRES_MODULES = frozenset({"test_pg_concurrency", "test_migrations_postgres", "test_store_copy"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("engine") == "postgres"
        module = item.module.__name__.rsplit(".", 1)[-1] if getattr(item, "module", None) else ""
        if on_postgres or module in POSTGRES_MODULES or "pg_settings" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if metafunc.module.__name__.rsplit(".", 1)[-1] not in BOTH_STORES:
        return
    wanted = os.environ.get("TEKSERU_TEST_STORES", "sqlite,postgres").split(",")
    metafunc.parametrize("engine", [s for s in ("sqlite", "postgres") if s in wanted], indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """The store a test runs on: `sqlite`, or `postgres` in the modules of BOTH_STORES."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(engine: str) -> Iterator[str | None]:
    """None for SQLite; for PostgreSQL, a migrated database of the test's own, dropped afterwards."""
    if engine != "postgres":
        yield None
        return
    if postgres_url() is None:
        pytest.skip(skip_reason())
    with fresh_database(migrated=True) as url:
        yield url


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_url: str | None) -> Settings:
    """The test's server settings. The background integrity checks run only in the tests marked
    `integrity_checks` (the others then see no flag appear behind their back, and pay nothing for it)."""
    checks = request.node.get_closest_marker("integrity_checks") is not None
    return Settings(data_dir=tmp_path / "var", database_url=database_url, integrity_checks=checks)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient, settings: Settings) -> dict[str, str]:
    token = (settings.data_dir / "admin.token").read_text().strip()
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def open_store(settings: Settings) -> Iterator[Any]:
    """A connection to the test's store, SQLite's file or PostgreSQL's database, for looking inside.

    Both take `?` placeholders and give rows that unpack as tuples; each statement's changes are
    committed when the block ends (SQLite) or at once (PostgreSQL).
    """
    if settings.database_url:
        conn = pg.connect(settings.database_url)
        try:
            yield conn
        finally:
            conn.close()
        return
    conn = sqlite3.connect(settings.db_path)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def store_rows(settings: Settings) -> dict[str, list[str]]:
    """Every row of every table of the test's store, as sorted text per table (to compare before and after).

    Read once no background integrity check waits, where the server runs them (they write on their own time)."""
    deadline = time.monotonic() + 30
    while settings.integrity_checks and time.monotonic() < deadline:
        with open_store(settings) as db:
            if db.execute("SELECT count(*) FROM integrity_tasks WHERE error IS NULL").fetchone()[0] == 0:
                break
        time.sleep(0.05)
    with open_store(settings) as db:
        if settings.database_url:
            listed = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            rows = 'SELECT t::text FROM "{}" t'
        else:
            listed = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            rows = 'SELECT * FROM "{}"'
        tables = [r[0] for r in db.execute(listed).fetchall()]
        return {t: sorted(repr(tuple(r)) for r in db.execute(rows.format(t)).fetchall()) for t in tables}


def dump_store(settings: Settings) -> str:
    """Every row of the test's store as one text (to search it for what must never be stored)."""
    return "\n".join(row for rows in store_rows(settings).values() for row in rows)


def make_user(
    client: TestClient, admin: dict[str, str], name: str, role: str, units: list[str] | None = None
) -> dict[str, str]:
    """Create a user (a unit manager bound to `units`); return the headers it sends (auditors: a fresh device id)."""
    body = {"name": name, "role": role} | ({"units": units} if units is not None else {})
    response = client.post("/v1/users", json=body, headers=admin)
    assert response.status_code == 201, response.text
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    if role == "auditor":
        headers["Tekseru-Device-Id"] = str(uuid.uuid4())
    return headers


@pytest.fixture
def users(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, str]]:
    """One user of each role (and a second auditor), by role name."""
    return {
        "admin": admin,
        "quality_lead": make_user(client, admin, "lead", "quality_lead"),
        "hr": make_user(client, admin, "hr", "hr"),
        "auditor": make_user(client, admin, "aigerim", "auditor"),
        "auditor2": make_user(client, admin, "daulet", "auditor"),
    }


@pytest.fixture
def default_policy(client: TestClient, admin: dict[str, str]) -> dict:
    """The shipped motivation policy, published."""
    from checklists.library import policy_file

    response = client.post(
        "/v1/policies", content=policy_file().read_bytes(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def example_checklist(client: TestClient, admin: dict[str, str]) -> dict:
    response = client.post(
        "/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    return response.json()
