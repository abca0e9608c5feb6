"""Evidence in S3-compatible object storage: moto's S3 server on 127.0.0.1, the real app through the test
client, and real `tekseru serve` processes sharing one bucket (and, for two at once, one PostgreSQL)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from litestar.testing import TestClient
from moto.server import ThreadedMotoServer

from server.app import create_app
from server.blobstore import S3Blobs, chain_of, part_name
from server.settings import Settings
from tests.conftest import make_user
from tests.live import LiveServer, free_port
from tests.pg import fresh_database, postgres_url, skip_reason
from tests.tablet import Tablet
from tests.test_uploads import (
    TUS,
    UNIT,
    _assert_problem,
    _checksum,
    _create,
    _file,
    _live_auditor,
    _offset,
    _patch,
    _raw_patch,
    _sha,
    _wait_offset,
    _with_evidence,
)

MiB = 1024 * 1024
PREFIX = "p/"
# Dummy credentials for moto; no AWS configuration of the machine is read.
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


class Bucket:
    """The test's bucket, read and changed behind the server's back."""

    def __init__(self, client, name: str, endpoint: str) -> None:
        self.client = client
        self.name = name
        self.endpoint = endpoint

    @property
    def url(self) -> str:
        return f"s3://{self.name}/{PREFIX.rstrip('/')}"

    def keys(self, prefix: str = PREFIX) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=data)

    @staticmethod
    def blob_key(sha256: str) -> str:
        return f"{PREFIX}blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    @staticmethod
    def parts(upload_id: str) -> str:
        return f"{PREFIX}uploads/{upload_id}/"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in AWS.items():
        monkeypatch.setenv(name, value)
    return AWS


@pytest.fixture
def bucket(moto_endpoint: str, aws: dict[str, str]) -> Bucket:
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return Bucket(client, name, moto_endpoint)


@pytest.fixture
def settings(tmp_path: Path, bucket: Bucket) -> Settings:
    return Settings(data_dir=tmp_path / "var", blob_store=bucket.url, s3_endpoint=bucket.endpoint)


@pytest.fixture
def org(client, admin, example_checklist):
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    return {
        "a": Tablet(make_user(client, admin, "aigerim", "auditor")),
        "lead": make_user(client, admin, "saule", "quality_lead"),
    }


def _admin(settings: Settings) -> dict[str, str]:
    return {"Authorization": "Bearer " + (settings.data_dir / "admin.token").read_text().strip()}


def _no_local_blobs(data_dir: Path) -> None:
    assert not (data_dir / "blobs").exists() and not (data_dir / "damaged-blobs").exists()


# --- one server and a bucket ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "chunk"),
    [(300_000, 300_000), (300_000, 64 * 1024), (9 * MiB + 5, MiB), (11 * MiB + 3, 6 * MiB)],
    ids=["one chunk (copied)", "small chunks", "small chunks past one multipart part", "chunks of 5 MiB and more"],
)
def test_an_upload_in_chunks_lands_as_one_object_and_is_served_back(client, org, bucket, settings, size, chunk):
    tablet = org["a"]
    data, sha = _file(size, seed=size)
    location = _create(client, tablet.headers, data)
    upload_id = location.rsplit("/", 1)[1]
    acknowledged: list[str] = []
    offset = 0
    while offset < size:
        piece = data[offset : offset + chunk]
        response = _patch(client, tablet.headers, location, offset, piece, _checksum("sha256", piece))
        assert response.status_code == 204, response.text
        assert int(response.headers["upload-offset"]) == offset + len(piece)
        acknowledged.append(bucket.parts(upload_id) + part_name(offset, offset + len(piece)))
        offset += len(piece)
        if offset < size:  # each acknowledged chunk is an object of its own
            assert bucket.keys(bucket.parts(upload_id)) == acknowledged
    assert bucket.keys(PREFIX + "blobs/") == [bucket.blob_key(sha)]
    assert bucket.read(bucket.blob_key(sha)) == data
    assert bucket.keys(PREFIX + "uploads/") == []  # the parts are removed once the blob is recorded
    _no_local_blobs(settings.data_dir)

    tablet.push(client, [_with_evidence(tablet, sha)])
    response = client.get(f"/v1/blobs/{sha}", headers=org["lead"])
    assert response.status_code == 200 and response.content == data
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["content-length"] == str(size)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.post("/v1/blobs/missing", json={"sha256": [sha]}, headers=tablet.headers).json() == {"missing": []}
    # The same file again: already stored, nothing to send.
    again = _create(client, tablet.headers, data)
    assert _offset(client, tablet.headers, again) == size


def test_a_wrong_sha256_is_refused_and_nothing_counts_as_stored(client, org, bucket, settings):
    auditor = org["a"].headers
    data, actual = _file(30_000)
    claimed = _sha(b"something else")
    location = _create(client, auditor, data, sha256=claimed)
    assert _patch(client, auditor, location, 0, data[:10_000]).status_code == 204
    body = _assert_problem(_patch(client, auditor, location, 10_000, data[10_000:]), 460, "checksum_mismatch")
    assert "discarded" in body["detail"]
    assert client.head(location, headers=auditor | TUS).status_code == 404
    assert bucket.keys(PREFIX + "blobs/") == [] and bucket.keys(PREFIX + "uploads/") == []
    missing = client.post("/v1/blobs/missing", json={"sha256": [claimed, actual]}, headers=auditor).json()
    assert missing == {"missing": [claimed, actual]}
    _no_local_blobs(settings.data_dir)


def test_a_chunk_that_fails_its_checksum_leaves_no_object(client, org, bucket):
    auditor = org["a"].headers
    data, _ = _file(30_000)
    location = _create(client, auditor, data)
    upload_id = location.rsplit("/", 1)[1]
    assert _patch(client, auditor, location, 0, data[:10_000]).status_code == 204
    wrong = _checksum("sha1", data[10_000:20_000] + b"!")
    _assert_problem(_patch(client, auditor, location, 10_000, data[10_000:20_000], wrong), 460, "checksum_mismatch")
    assert _offset(client, auditor, location) == 10_000
    assert bucket.keys(bucket.parts(upload_id)) == [bucket.parts(upload_id) + part_name(0, 10_000)]


def test_a_damaged_object_is_set_aside_never_served_and_taken_back_by_an_upload(client, org, bucket, settings):
    tablet, lead = org["a"], org["lead"]
    data, sha = _file(50_000, seed=9)
    location = _create(client, tablet.headers, data)
    assert _patch(client, tablet.headers, location, 0, data).status_code == 204
    tablet.push(client, [_with_evidence(tablet, sha)])
    assert client.get(f"/v1/blobs/{sha}", headers=lead).content == data
    damaged = data[:-1] + b"\0"
    bucket.put(bucket.blob_key(sha), damaged)  # a hand, a restore, a bug in the store: another object there

    _assert_problem(client.get(f"/v1/blobs/{sha}", headers=lead), 404, "blob_damaged")
    assert bucket.keys(PREFIX + "blobs/") == []
    assert bucket.read(f"{PREFIX}damaged-blobs/{sha}") == damaged
    assert client.post("/v1/blobs/missing", json={"sha256": [sha]}, headers=tablet.headers).json() == {"missing": [sha]}
    # The tablet sends it again: from 0, and it is served again.
    location = _create(client, tablet.headers, data)
    assert _patch(client, tablet.headers, location, 0, data).status_code == 204
    assert client.get(f"/v1/blobs/{sha}", headers=lead).content == data
    verified = client.post("/v1/admin/blobs/verify", headers=_admin(settings)).json()
    assert verified["checked"] == 1 and verified["ok"] == 1
    _no_local_blobs(settings.data_dir)


def test_expiry_removes_the_parts_of_an_upload(tmp_path, bucket):
    settings = Settings(
        data_dir=tmp_path / "var", blob_store=bucket.url, s3_endpoint=bucket.endpoint, upload_expiry_s=1
    )
    with TestClient(create_app(settings)) as client:
        auditor = make_user(client, _admin(settings), "aigerim", "auditor")
        data, _ = _file(10_000)
        location = _create(client, auditor, data)
        upload_id = location.rsplit("/", 1)[1]
        assert _patch(client, auditor, location, 0, data[:5000]).status_code == 204
        assert bucket.keys(bucket.parts(upload_id)) == [bucket.parts(upload_id) + part_name(0, 5000)]
        time.sleep(1.1)
        _assert_problem(_patch(client, auditor, location, 5000, data[5000:]), 404, "upload_expired")
        # The next upload that starts cleans expired ones up: their rows and their parts.
        _create(client, auditor, _file(100, seed=2)[0])
        assert bucket.keys(bucket.parts(upload_id)) == []


def test_the_sweep_at_start_leaves_young_parts_and_those_of_known_uploads(bucket, tmp_path):
    orphan, known = uuid.uuid4().hex, uuid.uuid4().hex
    for upload_id in (orphan, known):
        bucket.put(bucket.parts(upload_id) + part_name(0, 3), b"abc")
    blobs = S3Blobs(bucket.url, bucket.endpoint, tmp_path / "spool")
    try:
        # Younger than the grace: another process may have just created the upload.
        assert asyncio.run(blobs.sweep_parts({known})) == []
        assert asyncio.run(blobs.sweep_parts({known}, grace_s=0)) == [orphan]
    finally:
        blobs.close()
    assert bucket.keys(PREFIX + "uploads/") == [bucket.parts(known) + part_name(0, 3)]


def test_a_restart_continues_an_upload_begun_before(settings, bucket):
    data, sha = _file(500_000, seed=7)
    with TestClient(create_app(settings)) as client:
        auditor = make_user(client, _admin(settings), "aigerim", "auditor")
        location = _create(client, auditor, data)
        assert _patch(client, auditor, location, 0, data[:200_000]).status_code == 204
    # A new server (the running hash of the first is gone): the parts are read again.
    with TestClient(create_app(settings)) as client:
        assert _offset(client, auditor, location) == 200_000
        assert _patch(client, auditor, location, 200_000, data[200_000:350_000]).status_code == 204
        assert _patch(client, auditor, location, 350_000, data[350_000:]).status_code == 204
        assert client.post("/v1/blobs/missing", json={"sha256": [sha]}, headers=auditor).json() == {"missing": []}
    assert bucket.read(bucket.blob_key(sha)) == data
    assert bucket.keys(PREFIX + "uploads/") == []
    _no_local_blobs(settings.data_dir)


def test_a_server_that_did_not_receive_the_first_chunk_catches_a_byte_changed_in_its_part(settings, bucket):
    data, sha = _file(100_000, seed=8)
    with TestClient(create_app(settings)) as client:
        auditor = make_user(client, _admin(settings), "aigerim", "auditor")
        location = _create(client, auditor, data)
        assert _patch(client, auditor, location, 0, data[:60_000]).status_code == 204
    upload_id = location.rsplit("/", 1)[1]
    bucket.put(bucket.parts(upload_id) + part_name(0, 60_000), b"\0" + data[1:60_000])
    with TestClient(create_app(settings)) as client:
        _assert_problem(_patch(client, auditor, location, 60_000, data[60_000:]), 460, "checksum_mismatch")
        assert client.post("/v1/blobs/missing", json={"sha256": [sha]}, headers=auditor).json() == {"missing": [sha]}
    assert bucket.keys(PREFIX + "blobs/") == [] and bucket.keys(PREFIX + "uploads/") == []


def test_an_upload_whose_parts_were_lost_starts_again_from_0(client, org, bucket):
    auditor = org["a"].headers
    data, sha = _file(20_000)
    location = _create(client, auditor, data)
    upload_id = location.rsplit("/", 1)[1]
    assert _patch(client, auditor, location, 0, data[:8000]).status_code == 204
    bucket.client.delete_object(Bucket=bucket.name, Key=bucket.parts(upload_id) + part_name(0, 8000))
    response = _patch(client, auditor, location, 8000, data[8000:])
    _assert_problem(response, 409, "offset_mismatch")
    assert response.headers["upload-offset"] == "0" and _offset(client, auditor, location) == 0
    assert _patch(client, auditor, location, 0, data).status_code == 204
    assert bucket.read(bucket.blob_key(sha)) == data


def test_health_names_the_blob_store_and_an_unreachable_bucket_degrades_it(tmp_path, bucket):
    with TestClient(create_app(Settings(data_dir=tmp_path / "local"))) as client:
        body = client.get("/v1/health").json()
        assert body["blobs"] == "local" and body["status"] == "ok"
    ok = Settings(data_dir=tmp_path / "s3", blob_store=bucket.url, s3_endpoint=bucket.endpoint)
    with TestClient(create_app(ok)) as client:
        response = client.get("/v1/health")
        assert response.status_code == 200
        assert response.json()["blobs"] == "s3" and response.json()["status"] == "ok"
    # A bucket that is not there (or not reachable): the server starts, degraded.
    gone = Settings(data_dir=tmp_path / "gone", blob_store="s3://no-such-bucket-here/p", s3_endpoint=bucket.endpoint)
    with TestClient(create_app(gone)) as client:
        response = client.get("/v1/health")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "degraded" and body["storage"] == "store_unavailable" and body["blobs"] == "s3"
        auditor = make_user(client, _admin(gone), "aigerim", "auditor")
        data, _ = _file(1000)
        location = _create(client, auditor, data)
        response = _patch(client, auditor, location, 0, data)
        _assert_problem(response, 503, "store_unavailable")
        assert "retry-after" in response.headers
        assert _offset(client, auditor, location) == 0


def test_a_backup_with_blobs_says_they_are_in_the_bucket(client, admin):
    response = client.post("/v1/admin/backup", json={"path": "one.sqlite3", "with_blobs": True}, headers=admin)
    body = _assert_problem(response, 400, "blobs_in_bucket")
    assert "s3://" in body["detail"]


@pytest.mark.parametrize(
    ("parts", "end", "expected"),
    [
        ([], 0, []),
        ([], 10, None),
        ([(0, 10)], 10, [(0, 10)]),
        ([(0, 5), (5, 10)], 10, [(0, 5), (5, 10)]),
        # a longer part left by a chunk never acknowledged, leading nowhere
        ([(0, 5), (0, 8), (5, 10)], 10, [(0, 5), (5, 10)]),
        ([(0, 5), (5, 7), (5, 10), (7, 10)], 10, [(0, 5), (5, 10)]),
        ([(0, 4), (0, 5), (4, 10), (5, 8)], 10, [(0, 4), (4, 10)]),
        ([(0, 5), (6, 10)], 10, None),  # a gap
        ([(0, 5), (5, 12)], 10, None),  # past the end
        ([(0, 5), (5, 12)], 5, [(0, 5)]),  # acknowledged so far: up to 5
    ],
)
def test_the_parts_of_an_upload_are_followed_from_0_to_its_offset(parts, end, expected):
    chain = chain_of([(start, stop, f"{start}-{stop}") for start, stop in parts], end)
    assert (None if chain is None else [(start, stop) for start, stop, _ in chain]) == expected


def test_a_chain_of_thousands_of_small_parts_is_followed():
    parts = [(i, i + 1, str(i)) for i in range(20_000)] + [(i, i + 2, f"x{i}") for i in range(0, 20_000, 3)]
    chain = chain_of(parts, 20_000)
    assert chain is not None and chain[0][0] == 0 and chain[-1][1] == 20_000
    assert all(a[1] == b[0] for a, b in zip(chain, chain[1:], strict=False))


# --- tus against real servers ----------------------------------------------------------------------------------


def _serve_env(bucket: Bucket, **more: str) -> dict[str, str]:
    return {**AWS, "TEKSERU_BLOB_STORE": bucket.url, "TEKSERU_S3_ENDPOINT": bucket.endpoint, **more}


@pytest.fixture
def live(tmp_path, bucket):
    with LiveServer(tmp_path / "var", env=_serve_env(bucket)) as server:
        yield server


def test_a_cut_chunk_is_not_counted_unless_it_keeps_the_bytes_received(live, bucket):
    headers = _live_auditor(live)
    data, sha = _file(400_000)
    with httpx.Client(base_url=live.url) as api:
        location = _create(api, headers, data)
        upload_id = location.rsplit("/", 1)[1]
        # With a checksum a cut chunk cannot be checked: no object, the offset stays.
        sock = _raw_patch(live, headers, location, 0, len(data), {"Upload-Checksum": _checksum("sha1", data)})
        sock.sendall(data[:150_000])
        time.sleep(0.1)
        sock.close()
        # The next PATCH waits for the cut one to end: it finds the offset at 0.
        assert _patch(api, headers, location, 0, data[:100_000]).status_code == 204
        assert bucket.keys(bucket.parts(upload_id)) == [bucket.parts(upload_id) + part_name(0, 100_000)]
        # Without a checksum the bytes received are kept, as one more part.
        rest = data[100_000:]
        sock = _raw_patch(live, headers, location, 100_000, len(rest), {})
        sock.sendall(rest[:150_000])
        time.sleep(0.1)
        sock.close()
        assert _wait_offset(live, headers, location, 250_000) == 250_000
        assert bucket.keys(bucket.parts(upload_id)) == [
            bucket.parts(upload_id) + part_name(0, 100_000),
            bucket.parts(upload_id) + part_name(100_000, 250_000),
        ]
        assert _patch(api, headers, location, 250_000, data[250_000:]).status_code == 204
    assert bucket.read(bucket.blob_key(sha)) == data
    _no_local_blobs(live.data_dir)


def test_two_server_processes_on_one_database_and_one_bucket_share_an_upload(tmp_path, bucket):
    if postgres_url() is None:
        pytest.skip(skip_reason())
    data, sha = _file(700_000, seed=11)
    with fresh_database(migrated=True) as url:
        env = _serve_env(bucket, TEKSERU_DATABASE_URL=url, TEKSERU_PUSH_WORKERS="0")
        with LiveServer(tmp_path / "one", env=env) as one, LiveServer(tmp_path / "two", env=env) as two:
            admin = one.admin_headers()
            with httpx.Client(base_url=one.url) as api:
                assert (
                    api.post(
                        "/v1/checklists",
                        content=(Path(__file__).parent / "data" / "example.toml").read_bytes(),
                        headers=admin | {"Content-Type": "application/toml"},
                    ).status_code
                    == 201
                )
                api.put("/v1/units/U1", json=UNIT, headers=admin)
                api.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
                lead = make_user(api, admin, "saule", "quality_lead")
            tablet = Tablet(_live_auditor(one))
            apis = [httpx.Client(base_url=server.url) for server in (one, two)]
            try:
                location = _create(apis[0], tablet.headers, data)
                offset, turn = 0, 0
                while offset < len(data):
                    piece = data[offset : offset + 100_000]
                    response = _patch(apis[turn % 2], tablet.headers, location, offset, piece)
                    assert response.status_code == 204, response.text
                    offset = int(response.headers["upload-offset"])
                    turn += 1
                    # Either process answers where the upload is.
                    assert _offset(apis[turn % 2], tablet.headers, location) == offset
                tablet.push(apis[1], [_with_evidence(tablet, sha)])
                for api in apis:
                    response = api.get(f"/v1/blobs/{sha}", headers=lead)
                    assert response.status_code == 200 and response.content == data
                    missing = api.post("/v1/blobs/missing", json={"sha256": [sha]}, headers=tablet.headers)
                    assert missing.json() == {"missing": []}
            finally:
                for api in apis:
                    api.close()
    assert bucket.read(bucket.blob_key(sha)) == data
    assert bucket.keys(PREFIX + "uploads/") == []
    assert hashlib.sha256(bucket.read(bucket.blob_key(sha))).hexdigest() == sha
    for data_dir in (tmp_path / "one", tmp_path / "two"):
        _no_local_blobs(data_dir)
