"""The PostgreSQL server the tests use (`TEKSERU_TEST_POSTGRES_URL`, default the local one); test databases."""

from __future__ import annotations

import atexit
import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
_answered: dict[str, bool] = {}


def postgres_url() -> str | None:
    """The server's URL (to its maintenance database) when one answers, else None."""
    url = os.environ.get("TEKSERU_TEST_POSTGRES_URL") or DEFAULT_URL
    if url not in _answered:
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            _answered[url] = True
        except psycopg.Error:
            _answered[url] = False
    return url if _answered[url] else None


def skip_reason() -> str:
    return "needs-postgres: no PostgreSQL server answers at TEKSERU_TEST_POSTGRES_URL (default 127.0.0.1:5432)"


def _with_dbname(url: str, name: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)


def database_url(name: str) -> str:
    """The URL of database `name` on the test server, as `postgresql://` (what the settings take)."""
    base = postgres_url()
    assert base is not None
    info = psycopg.conninfo.conninfo_to_dict(base)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgresql://{user}{password}@{info.get('host', '127.0.0.1')}:{info.get('port', '5432')}/{name}"


_template: list[str] = []


def _migrated_template(base: str) -> str:
    """A database holding every migration, made once per test process, that new databases copy."""
    if _template:
        return _template[0]
    from server.db import migrate
    from server.pg import connect

    name = f"tekseru_tmpl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    conn = connect(database_url(name))
    try:
        migrate(conn)
    finally:
        conn.close()
    _template.append(name)
    atexit.register(_drop, base, name)
    return name


def _drop(base: str, name: str) -> None:
    with contextlib.suppress(psycopg.Error), psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_database(migrated: bool = False) -> Iterator[str]:
    """A new database on the test server (its URL), dropped afterwards with its connections.

    Empty, or with every migration applied (`migrated`: a copy of a template made once, faster
    than migrating each time).
    """
    base = postgres_url()
    assert base is not None, skip_reason()
    name = f"tekseru_t_{uuid.uuid4().hex[:16]}"
    template = _migrated_template(base) if migrated else "template0"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" ENCODING \'UTF8\'')
    try:
        yield database_url(name)
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
