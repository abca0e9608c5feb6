"""`tekseru store copy --to postgresql://...`: a SQLite store with every kind of visit, a closed period,
published and draft scorecards, evidence, console sessions and an audit trail is copied into a new
PostgreSQL database; a server on that database then answers exactly as the SQLite one did, and a
tablet's pull cursor from the SQLite server goes on working."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import sqlite3
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server import pg
from server.app import create_app
from server.bootstrap import prepare
from server.cli import main
from server.settings import Settings
from server.store.views import DERIVED_TABLES
from server.store_copy import COPIED_TABLES, OWN_TABLES, SELF_REFERENCE_ORDER, schema_tables
from tests.pg import fresh_database, postgres_url, skip_reason
from tests.test_rebuild import everything, store  # noqa: F401 - `store` is the fixture of every kind of visit

TUS = {"Tus-Resumable": "1.0.0"}
PHOTO = b"\xff\xd8\xff\xe0 a photo of the queue " * 500
PASSWORD = "a long enough passphrase 1"

needs_postgres = pytest.mark.skipif(postgres_url() is None, reason=skip_reason())


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _upload(client: TestClient, headers: dict, data: bytes, send: int) -> str:
    """Create a tus upload of `data` and send its first `send` bytes; its location."""
    sha = hashlib.sha256(data).hexdigest()
    metadata = f"sha256 {_b64(sha)},content_type {_b64('image/jpeg')}"
    created = client.post(
        "/v1/uploads", headers=headers | TUS | {"Upload-Length": str(len(data)), "Upload-Metadata": metadata}
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    chunk = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    sent = client.patch(location, headers=headers | TUS | chunk, content=data[:send])
    assert sent.status_code == 204, sent.text
    return location


def _sign_in(client: TestClient, name: str, password: str) -> int:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]*)"', form.text).group(1)
    data = {"username": name, "password": password, "csrf_token": token, "next": ""}
    return client.post("/login", data=data, follow_redirects=False).status_code


def _signed_in(client: TestClient) -> bool:
    response = client.get("/", follow_redirects=False)
    return not (response.status_code == 303 and response.headers["location"].startswith("/login"))


def _copy(settings: Settings, url: str, capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    status = main(["--data-dir", str(settings.data_dir), "store", "copy", "--to", url])
    out, err = capsys.readouterr()
    return status, out, err


def _rows(conn, table: str, columns: list[str], where: str = "") -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    return sorted((tuple(r) for r in conn.execute(f'SELECT {names} FROM "{table}" {where}').fetchall()), key=repr)


def _target_rows(url: str) -> dict[str, int]:
    """The rows of each table of the PostgreSQL database but its migrations' own."""
    conn = pg.connect(url)
    try:
        tables = [t for t in schema_tables(conn) if t not in (*OWN_TABLES, "meta")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def test_every_table_is_copied_derived_or_the_stores_own(tmp_path):
    groups = (set(COPIED_TABLES), set(DERIVED_TABLES), set(OWN_TABLES))
    assert sum(map(len, groups)) == len(set.union(*groups)), "a table is in two groups"
    asyncio.run(prepare(Settings(data_dir=tmp_path / "var")))
    conn = sqlite3.connect(tmp_path / "var" / "tekseru.sqlite3")
    try:
        assert set(schema_tables(conn)) == set.union(*groups)
        # Each table is copied after the tables its foreign keys refer to.
        for position, table in enumerate(COPIED_TABLES):
            for reference in conn.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
                if reference[2] == table:  # rows of the table itself: copied in the order of their references
                    assert table in SELF_REFERENCE_ORDER, table
                    continue
                assert reference[2] in COPIED_TABLES[:position], (table, reference[2])
    finally:
        conn.close()
    if postgres_url() is not None:
        with fresh_database(migrated=True) as url:
            target = pg.connect(url)
            try:
                assert set(schema_tables(target)) == set.union(*groups)
            finally:
                target.close()


@needs_postgres
def test_a_copy_answers_as_the_sqlite_store_did(client, admin, store, settings, tmp_path, capsys):  # noqa: F811
    lead, tablet = store["lead"], store["tablet"]
    # Evidence: a visit whose photo arrived, and an upload under way.
    visit = tablet.revision(started_at="2026-11-20T10:00:00+05:00")
    visit["answers"][0]["evidence"] = [hashlib.sha256(PHOTO).hexdigest()]
    tablet.push(client, [visit])
    _upload(client, tablet.headers, PHOTO, len(PHOTO))
    unfinished = _upload(client, tablet.headers, PHOTO[::-1], 1000)
    store["visits"]["with_photo"] = visit
    # A published scorecard and a draft.
    body = {"scope": "unit", "unit_id": "U1", "period": "2026-10", "lang": "ru"}
    card = client.post("/v1/scorecards", json=body, headers=lead).json()
    published = client.post(f"/v1/scorecards/{card['id']}/publish", headers=lead).json()
    assert published["status"] == "published", published
    draft = client.post("/v1/scorecards", json=body | {"scope": "staff", "staff_id": "E1"}, headers=lead).json()
    assert draft["status"] == "draft", draft
    # A console session of the quality lead, and a failed sign-in.
    assert client.put("/v1/users/saule/password", json={"password": PASSWORD}, headers=admin).status_code == 204
    assert _sign_in(client, "saule", "not the passphrase") == 200
    assert _sign_in(client, "saule", PASSWORD) == 303
    session = dict(client.cookies)
    client.cookies.clear()

    before = everything(client, store)
    cards = client.get("/v1/scorecards", params={"limit": 1000}, headers=lead).json()["items"]
    pdfs = {c["id"]: client.get(f"/v1/scorecards/{c['id']}/pdf", headers=lead).content for c in cards}
    quarantine = client.get("/v1/admin/quarantine", headers=admin).json()
    assert len(quarantine["items"]) == 1
    _, cursor = tablet.pull_all(client)
    client.__exit__(None, None, None)  # the SQLite server stops (the fixture's own exit then does nothing)

    with fresh_database() as url:
        status, out, err = _copy(settings, url, capsys)
        assert (status, err) == (0, ""), err
        assert "revisions" in out and "what a running server wrote after that is not in it" in out
        assert str(settings.data_dir.resolve() / "blobs") in out and "TEKSERU_BLOB_STORE" in out

        # Every recorded row, verbatim (the submissions' changes are numbered again by the rebuild).
        source = sqlite3.connect(settings.db_path)
        target = pg.connect(url)
        try:
            for table in COPIED_TABLES:
                columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
                where = "WHERE kind <> 'submission'" if table == "changes" else ""
                assert _rows(target, table, columns, where) == _rows(source, table, columns, where), table
            feed = ["kind", "object_id", "op", "audience"]
            assert _rows(target, "changes", feed) == _rows(source, "changes", feed)
            for table in ("revisions", "quarantine", "reviews", "audit_log", "period_snapshots", "scorecards", "blobs"):
                assert source.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
            for table in ("uploads", "console_sessions", "login_failures"):
                assert source.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, table
        finally:
            source.close()
            target.close()

        with TestClient(create_app(Settings(data_dir=settings.data_dir, database_url=url))) as copy:
            after = everything(copy, store)
            assert after.keys() == before.keys()
            for key in before:
                assert after[key] == before[key], key
            for period in ("2026-10", "2026-11"):
                assert after[("snapshot", period)]["sha256"] == before[("snapshot", period)]["sha256"]
            assert copy.get("/v1/scorecards", params={"limit": 1000}, headers=lead).json()["items"] == cards
            for card_id, pdf in pdfs.items():
                served = copy.get(f"/v1/scorecards/{card_id}/pdf", headers=lead).content
                assert served == pdf and hashlib.sha256(served).hexdigest() in {c["sha256"] for c in cards}
            assert copy.get(f"/v1/blobs/{hashlib.sha256(PHOTO).hexdigest()}", headers=lead).content == PHOTO
            assert copy.head(unfinished, headers=tablet.headers | TUS).headers["upload-offset"] == "1000"
            # Each start of a server gives the local admin a new token (the old one is revoked).
            admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
            assert copy.get("/v1/admin/quarantine", headers=admin).json() == quarantine

            # The tablet's cursor from the SQLite server: its visits come again (rebuilt), then what is new.
            again, cursor = tablet.pull_all(copy, cursor)
            assert {c["id"] for c in again} == {v["submission_id"] for v in store["visits"].values()}
            unit = {"kind": "branch", "name": "Новый", "region": "Алматы"}
            assert copy.put("/v1/units/U7", json=unit, headers=admin).status_code in (200, 201)
            new, _ = tablet.pull_all(copy, cursor)
            assert [(c["kind"], c["id"]) for c in new] == [("unit", "U7")]

            # The console session goes on.
            copy.cookies.update(session)
            assert _signed_in(copy)


@needs_postgres
def test_refuses_a_target_that_holds_rows(settings, tmp_path, capsys):
    asyncio.run(prepare(settings))
    with fresh_database(migrated=True) as url:
        asyncio.run(prepare(Settings(data_dir=tmp_path / "other", database_url=url)))
        held = _target_rows(url)
        status, _, err = _copy(settings, url, capsys)
        assert status == 1
        assert err.startswith("tekseru: the target database already holds rows (in ") and err.count("\n") == 1
        assert _target_rows(url) == held


@needs_postgres
def test_a_failed_copy_leaves_the_target_empty(settings, capsys):
    asyncio.run(prepare(settings))
    with sqlite3.connect(settings.db_path) as conn:
        conn.execute("INSERT INTO users (name, role, created_at) VALUES ('aigerim', 'auditor', '2026-10-01')")
        # PostgreSQL's text cannot hold a NUL character; SQLite's can.
        conn.execute(
            "INSERT INTO audit_log (at, actor, action, object_kind, object_id, detail)"
            " VALUES ('2026-10-01', 'admin', 'x', 'user', 'aigerim', ?)",
            ("a\x00b",),
        )
    with fresh_database() as url:
        status, _, err = _copy(settings, url, capsys)
        assert status == 1 and "the copy failed and was rolled back" in err, err
        assert set(_target_rows(url).values()) == {0}


def test_refuses_a_url_that_is_not_postgresql(settings, capsys):
    asyncio.run(prepare(settings))
    for url in ("sqlite:///tmp/x.sqlite3", "mysql://root@127.0.0.1/tekseru", "/tmp/x"):
        status, out, err = _copy(settings, url, capsys)
        assert (status, out) == (1, "")
        assert err == "tekseru: --to takes the URL of a PostgreSQL database: postgresql://user@host:5432/name\n"


def test_refuses_a_store_of_another_migration(settings, capsys):
    asyncio.run(prepare(settings))
    with sqlite3.connect(settings.db_path) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE number = (SELECT max(number) FROM schema_migrations)")
    status, _, err = _copy(settings, "postgresql://postgres@127.0.0.1:1/none", capsys)
    assert status == 1 and "run `tekseru serve` on it once" in err, err


def test_refuses_a_data_directory_without_a_store(tmp_path: Path, capsys):
    status, _, err = _copy(Settings(data_dir=tmp_path / "none"), "postgresql://x@y/z", capsys)
    assert status == 1 and "no SQLite store at" in err
    assert not (tmp_path / "none").exists()
