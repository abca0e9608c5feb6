"""Evidence uploads (tus 1.0.0) and blobs: by hand through the test client, with the stock `tuspy`
client against a real server, across kill -9, and who may read a blob."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import random
import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient
from tusclient import client as tus_client
from tusclient.exceptions import TusCommunicationError, TusUploadFailed
from tusclient.storage.interface import Storage

from server.app import create_app
from server.blobs import blob_path, part_path
from server.errors import ProblemError
from server.settings import Settings
from server.sync import tus
from tests.conftest import make_user
from tests.live import LiveServer
from tests.tablet import Tablet

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK_TYPE = {"Content-Type": "application/offset+octet-stream"}
UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


def _metadata(sha256: str, content_type: str = "image/jpeg") -> str:
    return f"sha256 {_b64(sha256)},content_type {_b64(content_type)},filename {_b64('фото.jpg')}"


def _checksum(algorithm: str, data: bytes) -> str:
    return f"{algorithm} {_b64(hashlib.new(algorithm, data).digest())}"


def _file(size: int, seed: int = 1) -> tuple[bytes, str]:
    data = random.Random(seed).randbytes(size)
    return data, hashlib.sha256(data).hexdigest()


def _create(client, headers: dict, data: bytes, sha256: str | None = None, content_type: str = "image/jpeg") -> str:
    response = client.post(
        "/v1/uploads",
        headers=headers
        | TUS
        | {"Upload-Length": str(len(data)), "Upload-Metadata": _metadata(sha256 or _sha(data), content_type)},
    )
    assert response.status_code == 201, response.text
    assert response.headers["tus-resumable"] == "1.0.0"
    return response.headers["location"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _patch(client, headers: dict, location: str, offset: int, chunk: bytes, checksum: str | None = None):
    extra = {"Upload-Offset": str(offset)} | ({"Upload-Checksum": checksum} if checksum else {})
    return client.patch(location, headers=headers | TUS | CHUNK_TYPE | extra, content=chunk)


def _offset(client, headers: dict, location: str) -> int:
    response = client.head(location, headers=headers | TUS)
    assert response.status_code == 200, response.status_code
    return int(response.headers["upload-offset"])


def _upload(client, headers: dict, data: bytes, chunk: int = 64 * 1024, content_type: str = "image/jpeg") -> str:
    location = _create(client, headers, data, content_type=content_type)
    offset = 0
    while offset < len(data):
        piece = data[offset : offset + chunk]
        response = _patch(client, headers, location, offset, piece, _checksum("sha256", piece))
        assert response.status_code == 204, response.text
        offset = int(response.headers["upload-offset"])
    return location


def _assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if response.request.url.path.startswith("/v1/uploads"):
        assert response.headers["tus-resumable"] == "1.0.0"
    body = response.json()
    assert body["code"] == code and body["status"] == status
    return body


@pytest.fixture
def auditor(client, admin) -> dict[str, str]:
    return make_user(client, admin, "aigerim", "auditor")


@pytest.fixture
def org(client, admin, example_checklist):
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    return {
        "a": Tablet(make_user(client, admin, "aigerim", "auditor")),
        "b": Tablet(make_user(client, admin, "daulet", "auditor")),
        "lead": make_user(client, admin, "saule", "quality_lead"),
        "hr": make_user(client, admin, "dana", "hr"),
        "admin": admin,
    }


def _with_evidence(tablet: Tablet, *hashes: str, **fields) -> dict:
    revision = tablet.revision(**fields)
    revision["answers"][0]["evidence"] = list(hashes)
    return revision


# --- tus by hand ----------------------------------------------------------------------------------------


def test_options_announces_tus_and_its_extensions(client):
    response = client.options("/v1/uploads")
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0" and response.headers["tus-version"] == "1.0.0"
    assert response.headers["tus-extension"] == "creation,checksum"
    assert response.headers["tus-checksum-algorithm"] == "sha1,sha256"
    assert response.headers["tus-max-size"] == str(200 * 1024 * 1024)


def test_an_upload_in_chunks_with_sha1_and_sha256_checksums(client, auditor, settings):
    data, sha = _file(300_000)
    location = _create(client, auditor, data)
    assert _offset(client, auditor, location) == 0
    response = _patch(client, auditor, location, 0, data[:100_000], _checksum("sha1", data[:100_000]))
    assert response.status_code == 204 and response.headers["upload-offset"] == "100000"
    assert response.headers["tus-resumable"] == "1.0.0"
    assert _offset(client, auditor, location) == 100_000
    response = _patch(client, auditor, location, 100_000, data[100_000:], _checksum("sha256", data[100_000:]))
    assert response.status_code == 204 and response.headers["upload-offset"] == "300000"
    assert blob_path(settings.data_dir, sha).read_bytes() == data
    assert not part_path(settings.data_dir, location.rsplit("/", 1)[1]).exists()
    assert client.post("/v1/blobs/missing", json={"sha256": [sha]}, headers=auditor).json() == {"missing": []}
    # A retried last chunk (its answer was lost) is answered with the full offset.
    response = _patch(client, auditor, location, 100_000, data[100_000:])
    assert response.status_code == 204 and response.headers["upload-offset"] == "300000"


def test_a_wrong_offset_is_409_and_changes_nothing(client, auditor):
    data, _ = _file(10_000)
    location = _create(client, auditor, data)
    assert _patch(client, auditor, location, 0, data[:4000]).status_code == 204
    for wrong in (0, 3999, 4001, 20_000):
        response = _patch(client, auditor, location, wrong, data[wrong : wrong + 10])
        _assert_problem(response, 409, "offset_mismatch")
        assert response.headers["upload-offset"] == "4000"
    assert _offset(client, auditor, location) == 4000


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_corrupted_chunk_is_460_with_the_offset_unchanged(client, auditor, settings, algorithm):
    data, sha = _file(50_000)
    location = _create(client, auditor, data)
    assert _patch(client, auditor, location, 0, data[:20_000], _checksum(algorithm, data[:20_000])).status_code == 204
    corrupted = bytearray(data[20_000:])
    corrupted[1234] ^= 0xFF
    response = _patch(client, auditor, location, 20_000, bytes(corrupted), _checksum(algorithm, data[20_000:]))
    _assert_problem(response, 460, "checksum_mismatch")
    assert _offset(client, auditor, location) == 20_000
    assert part_path(settings.data_dir, location.rsplit("/", 1)[1]).stat().st_size == 20_000
    assert not blob_path(settings.data_dir, sha).exists()
    # The good chunk then goes on from the same offset.
    response = _patch(client, auditor, location, 20_000, data[20_000:], _checksum(algorithm, data[20_000:]))
    assert response.status_code == 204 and blob_path(settings.data_dir, sha).read_bytes() == data


def test_an_unknown_checksum_algorithm_is_400(client, auditor):
    data, _ = _file(1000)
    location = _create(client, auditor, data)
    _assert_problem(_patch(client, auditor, location, 0, data, "md5 " + _b64(b"x" * 16)), 400, "checksum_algorithm")
    assert _offset(client, auditor, location) == 0


def test_a_wrong_whole_file_sha256_discards_the_upload(client, auditor, settings):
    data, _ = _file(30_000)
    claimed = _sha(b"something else")
    location = _create(client, auditor, data, sha256=claimed)
    assert _patch(client, auditor, location, 0, data[:10_000]).status_code == 204
    body = _assert_problem(_patch(client, auditor, location, 10_000, data[10_000:]), 460, "checksum_mismatch")
    assert "discarded" in body["detail"]
    assert client.head(location, headers=auditor | TUS).status_code == 404
    assert not blob_path(settings.data_dir, claimed).exists() and not blob_path(settings.data_dir, _sha(data)).exists()
    assert not part_path(settings.data_dir, location.rsplit("/", 1)[1]).exists()
    missing = client.post("/v1/blobs/missing", json={"sha256": [claimed, _sha(data)]}, headers=auditor).json()
    assert missing == {"missing": [claimed, _sha(data)]}


def test_an_expired_upload_is_404_and_is_cleaned_up(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", upload_expiry_s=1)
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": "Bearer " + (settings.data_dir / "admin.token").read_text().strip()}
        auditor = make_user(client, admin, "aigerim", "auditor")
        data, _ = _file(10_000)
        location = _create(client, auditor, data)
        assert _patch(client, auditor, location, 0, data[:5000]).status_code == 204
        part = part_path(settings.data_dir, location.rsplit("/", 1)[1])
        assert part.exists()
        time.sleep(1.1)
        _assert_problem(_patch(client, auditor, location, 5000, data[5000:]), 404, "upload_expired")
        assert client.head(location, headers=auditor | TUS).status_code == 404
        # The next upload that starts cleans expired ones up: their rows and part files.
        _create(client, auditor, _file(100, seed=2)[0])
        assert not part.exists()
        _assert_problem(_patch(client, auditor, location, 5000, data[5000:]), 404, "not_found")


def test_an_upload_whose_stored_bytes_were_lost_starts_again_from_0(client, auditor, settings):
    data, sha = _file(20_000)
    location = _create(client, auditor, data)
    assert _patch(client, auditor, location, 0, data[:8000]).status_code == 204
    part_path(settings.data_dir, location.rsplit("/", 1)[1]).unlink()
    response = _patch(client, auditor, location, 8000, data[8000:])
    _assert_problem(response, 409, "offset_mismatch")
    assert response.headers["upload-offset"] == "0" and _offset(client, auditor, location) == 0
    assert _patch(client, auditor, location, 0, data).status_code == 204
    assert blob_path(settings.data_dir, sha).read_bytes() == data


def test_a_forbidden_content_type_or_bad_metadata_is_400(client, auditor):
    data, sha = _file(100)
    headers = auditor | TUS | {"Upload-Length": "100"}
    cases = {
        "content_type_not_allowed": _metadata(sha, "text/html"),
        "invalid_metadata": f"content_type {_b64('image/png')}",  # no sha256
    }
    for code, metadata in cases.items():
        _assert_problem(client.post("/v1/uploads", headers=headers | {"Upload-Metadata": metadata}), 400, code)
    _assert_problem(
        client.post("/v1/uploads", headers=headers | {"Upload-Metadata": "sha256 !!!"}), 400, "invalid_metadata"
    )
    _assert_problem(
        client.post("/v1/uploads", headers=auditor | TUS | {"Upload-Metadata": _metadata(sha)}), 400, "invalid_header"
    )
    for allowed in ("image/png", "audio/mp4", "audio/amr", "image/heic"):
        assert _create(client, auditor, data, content_type=allowed)


def test_over_the_size_limit_is_413_and_a_chunk_has_the_route_s_own_body_limit(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", max_blob_bytes=64 * 1024, max_body_bytes=16 * 1024)
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": "Bearer " + (settings.data_dir / "admin.token").read_text().strip()}
        auditor = make_user(client, admin, "aigerim", "auditor")
        big, sha = _file(64 * 1024 + 1)
        response = client.post(
            "/v1/uploads", headers=auditor | TUS | {"Upload-Length": str(len(big)), "Upload-Metadata": _metadata(sha)}
        )
        _assert_problem(response, 413, "too_large")
        assert client.options("/v1/uploads").headers["tus-max-size"] == str(64 * 1024)
        # A chunk longer than what the upload still needs is refused whole.
        data, _ = _file(1000)
        location = _create(client, auditor, data)
        _assert_problem(_patch(client, auditor, location, 0, data + b"extra"), 413, "too_large")
        assert _offset(client, auditor, location) == 0
        # A chunk may be larger than the app-wide body limit (16 KiB here), up to the blob limit.
        whole, sha = _file(64 * 1024, seed=3)
        location = _create(client, auditor, whole)
        assert _patch(client, auditor, location, 0, whole).status_code == 204
        assert blob_path(settings.data_dir, sha).read_bytes() == whole


def test_a_missing_or_wrong_tus_version_is_412(client, auditor):
    data, sha = _file(100)
    headers = auditor | {"Upload-Length": "100", "Upload-Metadata": _metadata(sha)}
    for version in ({}, {"Tus-Resumable": "0.2.2"}):
        response = client.post("/v1/uploads", headers=headers | version)
        _assert_problem(response, 412, "tus_version")
        assert response.headers["tus-version"] == "1.0.0"
    location = _create(client, auditor, data)
    response = client.patch(location, headers=auditor | CHUNK_TYPE | {"Upload-Offset": "0"}, content=data)
    _assert_problem(response, 412, "tus_version")


def test_a_chunk_must_be_sent_as_offset_octet_stream(client, auditor):
    data, _ = _file(100)
    location = _create(client, auditor, data)
    response = client.patch(
        location, headers=auditor | TUS | {"Upload-Offset": "0", "Content-Type": "application/json"}, content=data
    )
    _assert_problem(response, 415, "unsupported_media_type")


def test_an_already_stored_blob_is_201_then_204_with_the_full_offset(client, auditor, settings):
    data, sha = _file(70_000)
    _upload(client, auditor, data)
    stored_at = blob_path(settings.data_dir, sha).stat().st_mtime_ns
    location = _create(client, auditor, data)
    assert _offset(client, auditor, location) == len(data)
    response = _patch(client, auditor, location, 0, data[:1000])
    assert response.status_code == 204 and response.headers["upload-offset"] == str(len(data))
    assert not part_path(settings.data_dir, location.rsplit("/", 1)[1]).exists()
    assert blob_path(settings.data_dir, sha).stat().st_mtime_ns == stored_at


def test_an_upload_belongs_to_its_auditor_and_device(client, admin, auditor):
    data, _ = _file(1000)
    location = _create(client, auditor, data)
    other = make_user(client, admin, "daulet", "auditor")
    _assert_problem(_patch(client, other, location, 0, data), 404, "not_found")
    assert client.head(location, headers=other | TUS).status_code == 404
    # The same auditor on another tablet (another token, another device) does not see it either.
    token = client.post("/v1/users/aigerim/tokens", headers=admin).json()["token"]
    second = {"Authorization": f"Bearer {token}", "Tekseru-Device-Id": str(uuid.uuid4())}
    _assert_problem(_patch(client, second, location, 0, data), 404, "not_found")
    _assert_problem(_patch(client, auditor, "/v1/uploads/" + "0" * 32, 0, data), 404, "not_found")
    assert _offset(client, auditor, location) == 0


@pytest.mark.parametrize("revoke", ["token", "device"])
def test_a_revoked_token_or_device_stops_an_upload_at_its_next_request(client, admin, auditor, revoke):
    data, _ = _file(20_000)
    location = _create(client, auditor, data)
    assert _patch(client, auditor, location, 0, data[:10_000]).status_code == 204
    if revoke == "token":
        assert client.delete("/v1/users/aigerim/tokens", headers=admin).status_code == 204
    else:
        device = auditor["Tekseru-Device-Id"]
        assert client.delete(f"/v1/devices/{device}", headers=admin).status_code == 204
    _assert_problem(_patch(client, auditor, location, 10_000, data[10_000:]), 401, "token_revoked")
    assert client.head(location, headers=auditor | TUS).status_code == 401  # a HEAD answer has no body
    _assert_problem(
        client.post(
            "/v1/uploads", headers=auditor | TUS | {"Upload-Length": "1", "Upload-Metadata": _metadata(_sha(b"x"))}
        ),
        401,
        "token_revoked",
    )


# --- submissions wait for their evidence; who may read a blob ------------------------------------------------


def test_a_submission_awaits_its_evidence_then_is_received_through_pull(client, org):
    tablet = org["a"]
    photo, photo_sha = _file(40_000, seed=3)
    call, call_sha = _file(60_000, seed=4)
    revision = _with_evidence(tablet, photo_sha, call_sha.upper())
    (receipt,) = tablet.push(client, [revision])
    assert receipt["status"] == "applied" and receipt["missing_blobs"] == sorted([photo_sha, call_sha])
    sub = revision["submission_id"]
    doc = client.get(f"/v1/submissions/{sub}", headers=tablet.headers).json()
    assert doc["status"] == "awaiting_evidence"
    _, cursor = tablet.pull_all(client)

    _upload(client, tablet.headers, photo)
    doc = client.get(f"/v1/submissions/{sub}", headers=tablet.headers).json()
    assert doc["status"] == "awaiting_evidence" and doc["missing_blobs"] == [call_sha]

    _upload(client, tablet.headers, call, content_type="audio/mp4")
    doc = client.get(f"/v1/submissions/{sub}", headers=tablet.headers).json()
    assert doc["status"] == "received" and doc["missing_blobs"] == []
    changes, _ = tablet.pull_all(client, cursor)
    pulled = [c for c in changes if c["kind"] == "submission" and c["id"] == sub]
    assert pulled and pulled[-1]["data"]["status"] == "received"
    # A resend of the revision now finds its evidence.
    (again,) = tablet.push(client, [revision])
    assert again["status"] == "duplicate" and again["missing_blobs"] == []


def test_blob_access_follows_the_submissions_that_reference_it(client, org):
    a, b = org["a"], org["b"]
    photo, sha = _file(25_000, seed=5)
    _upload(client, a.headers, photo, content_type="image/png")
    # Uploaded but referenced by no submission yet: nobody reads it.
    assert client.get(f"/v1/blobs/{sha}", headers=a.headers).status_code == 404
    assert client.get(f"/v1/blobs/{sha}", headers=org["lead"]).status_code == 404
    a.push(client, [_with_evidence(a, sha)])

    for who in (a.headers, org["lead"], org["admin"]):
        response = client.get(f"/v1/blobs/{sha}", headers=who)
        assert response.status_code == 200 and response.content == photo
        assert response.headers["content-type"] == "image/png"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/v1/blobs/{sha.upper()}", headers=a.headers).status_code == 200
    _assert_problem(client.get(f"/v1/blobs/{sha}", headers=b.headers), 404, "not_found")
    _assert_problem(client.get(f"/v1/blobs/{_sha(b'random')}", headers=a.headers), 404, "not_found")
    _assert_problem(client.get("/v1/blobs/not-a-hash", headers=org["lead"]), 404, "not_found")
    _assert_problem(client.get(f"/v1/blobs/{sha}", headers=org["hr"]), 403, "forbidden")
    # Once the other auditor's own submission references the same photo, they may read it too.
    b.push(client, [_with_evidence(b, sha)])
    assert client.get(f"/v1/blobs/{sha}", headers=b.headers).status_code == 200


def test_missing_blobs_is_strict_and_answers_in_order(client, auditor):
    stored, sha = _file(1000, seed=6)
    _upload(client, auditor, stored)
    other = _sha(b"other")
    response = client.post("/v1/blobs/missing", json={"sha256": [other.upper(), sha, other]}, headers=auditor)
    assert response.status_code == 200 and response.json() == {"missing": [other]}
    assert client.post("/v1/blobs/missing", json={"sha256": []}, headers=auditor).json() == {"missing": []}
    bad = [
        {"sha256": ["xyz"]},
        {"sha256": [sha], "extra": 1},
        {"sha256": [other] * 1001},
        {"sha256": sha},
        {},
    ]
    for body in bad:
        _assert_problem(client.post("/v1/blobs/missing", json=body, headers=auditor), 400, "invalid_request")


# --- against a real server: the stock tus client, broken connections, kill -9 -------------------------------


class _Urls(Storage):
    """tuspy's URL storage in memory: a tablet remembering its unfinished uploads."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}

    def get_item(self, key: str) -> str | None:
        return self.urls.get(key)

    def set_item(self, key: str, value: str) -> None:
        self.urls[key] = value

    def remove_item(self, key: str) -> None:
        self.urls.pop(key, None)


def _live_auditor(server: LiveServer, name: str = "aigerim") -> dict[str, str]:
    made = httpx.post(f"{server.url}/v1/users", json={"name": name, "role": "auditor"}, headers=server.admin_headers())
    return {"Authorization": f"Bearer {made.json()['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}


class _File(io.BytesIO):
    """The file a tablet uploads; tuspy closes its stream after taking the fingerprint, so closing is a no-op."""

    def close(self) -> None:
        pass


def _uploader(server: LiveServer, headers: dict, path: Path, chunk: int, urls: Storage | None = None, **kw):
    tus = tus_client.TusClient(f"{server.url}/v1/uploads", headers=headers)
    data = path.read_bytes()
    return tus.uploader(
        file_stream=_File(data),
        chunk_size=chunk,
        metadata={"sha256": hashlib.sha256(data).hexdigest(), "content_type": "audio/mp4"},
        upload_checksum=True,
        store_url=urls is not None,
        url_storage=urls,
        **kw,
    )


@pytest.fixture
def live(tmp_path):
    with LiveServer(tmp_path / "var") as server:
        yield server


def _missing(server: LiveServer, headers: dict, *hashes: str) -> list[str]:
    return httpx.post(f"{server.url}/v1/blobs/missing", json={"sha256": list(hashes)}, headers=headers).json()[
        "missing"
    ]


def test_tuspy_uploads_a_file_in_chunks_with_checksums(live, tmp_path):
    headers = _live_auditor(live)
    data, sha = _file(3 * 1024 * 1024 + 17)
    path = tmp_path / "call.m4a"
    path.write_bytes(data)
    uploader = _uploader(live, headers, path, chunk=512 * 1024)
    uploader.upload()
    assert uploader.offset == len(data)
    assert blob_path(live.data_dir, sha).read_bytes() == data
    assert _missing(live, headers, sha) == []


def test_tuspy_resumes_after_the_server_is_killed_half_way(live, tmp_path):
    headers = _live_auditor(live)
    data, sha = _file(2 * 1024 * 1024)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    urls = _Urls()
    _uploader(live, headers, path, chunk=256 * 1024, urls=urls).upload(stop_at=len(data) // 2)
    live.kill()
    live.start()
    resumed = _uploader(live, headers, path, chunk=256 * 1024, urls=urls)
    assert resumed.offset == len(data) // 2  # asked the server with HEAD: nothing before it is sent again
    resumed.upload()
    assert blob_path(live.data_dir, sha).read_bytes() == data
    assert _missing(live, headers, sha) == []


def test_tuspy_does_not_send_an_existing_blob_twice(live, tmp_path):
    headers = _live_auditor(live)
    data, sha = _file(1024 * 1024)
    path = tmp_path / "photo.jpg"
    path.write_bytes(data)
    _uploader(live, headers, path, chunk=128 * 1024).upload()
    # A tablet that asks first sends nothing; a tablet that does not is done after one chunk.
    assert _missing(live, headers, sha) == []
    again = _uploader(live, headers, path, chunk=128 * 1024)
    again.upload_chunk()
    assert again.offset == len(data)


def _raw_patch(
    server: LiveServer, headers: dict, location: str, offset: int, length: int, extra: dict
) -> socket.socket:
    """Start a PATCH announcing `length` bytes, on a bare socket that the caller cuts when it likes."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    lines = [f"PATCH {location} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", f"Content-Length: {length}"]
    fields = headers | TUS | CHUNK_TYPE | {"Upload-Offset": str(offset)} | extra
    lines += [f"{k}: {v}" for k, v in fields.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def _wait_offset(server: LiveServer, headers: dict, location: str, expected: int) -> int:
    deadline = time.monotonic() + 5
    while True:
        got = int(httpx.head(server.url + location, headers=headers | TUS).headers["upload-offset"])
        if got == expected or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def test_a_chunk_cut_off_keeps_the_bytes_received_unless_it_carries_a_checksum(live):
    headers = _live_auditor(live)
    data, sha = _file(400_000)
    with httpx.Client(base_url=live.url) as api:
        location = _create(api, headers, data)
        sock = _raw_patch(live, headers, location, 0, len(data), {})
        sock.sendall(data[:150_000])
        time.sleep(0.1)
        sock.close()  # the connection breaks at 150 000 bytes of 400 000
        assert _wait_offset(live, headers, location, 150_000) == 150_000
        # With a checksum the cut chunk cannot be checked: nothing of it is kept.
        rest = data[150_000:]
        sock = _raw_patch(live, headers, location, 150_000, len(rest), {"Upload-Checksum": _checksum("sha1", rest)})
        sock.sendall(rest[:100_000])
        time.sleep(0.1)
        sock.close()
        time.sleep(0.3)
        assert _offset(api, headers, location) == 150_000
        assert _patch(api, headers, location, 150_000, rest, _checksum("sha1", rest)).status_code == 204
    assert blob_path(live.data_dir, sha).read_bytes() == data


@pytest.mark.parametrize("chunk", [150_000, 200_000], ids=["a chunk", "the last chunk"])
def test_a_revocation_while_a_chunk_is_under_way_keeps_none_of_it(live, chunk):
    headers = _live_auditor(live)
    data, _ = _file(200_000)
    with httpx.Client(base_url=live.url) as api:
        location = _create(api, headers, data)
        sock = _raw_patch(live, headers, location, 0, chunk, {})
        sock.sendall(data[:100_000])
        revoked = api.delete(f"/v1/devices/{headers['Tekseru-Device-Id']}", headers=live.admin_headers())
        assert revoked.status_code == 204
        sock.sendall(data[100_000:chunk])
        answer = sock.makefile("rb").readline()
        sock.close()
        assert answer.split()[1] == b"401"
    with sqlite3.connect(live.data_dir / "tekseru.sqlite3") as db:
        assert db.execute("SELECT offset FROM uploads").fetchall() == [(0,)]
    assert not blob_path(live.data_dir, _sha(data)).exists()


def test_a_new_request_takes_over_from_a_connection_that_went_silent(live):
    headers = _live_auditor(live)
    data, sha = _file(300_000)
    with httpx.Client(base_url=live.url) as api:
        location = _create(api, headers, data)
        stalled = _raw_patch(live, headers, location, 0, len(data), {})
        stalled.sendall(data[:120_000])  # then nothing: the tablet drove into a tunnel
        time.sleep(0.2)
        response = _patch(api, headers, location, 0, data)
        assert response.status_code == 409 and response.headers["upload-offset"] == "120000"
        assert _patch(api, headers, location, 120_000, data[120_000:]).status_code == 204
        stalled.close()
    assert blob_path(live.data_dir, sha).read_bytes() == data


def _check_blob_files(data_dir: Path) -> int:
    """Every file under blobs/ is whole: its content hashes to its name; every blobs row has its file."""
    files = [p for p in (data_dir / "blobs").rglob("*") if p.is_file()] if (data_dir / "blobs").exists() else []
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"half-written blob {path}"
    with sqlite3.connect(data_dir / "tekseru.sqlite3") as db:
        for sha, size in db.execute("SELECT sha256, size FROM blobs"):
            assert blob_path(data_dir, sha).stat().st_size == size
    return len(files)


class _TabletUploads(threading.Thread):
    """A tablet uploading its files one after the other, retrying through outages as a tablet would."""

    def __init__(self, server: LiveServer, headers: dict, paths: list[Path], deadline: float) -> None:
        super().__init__(daemon=True)
        self.server, self.headers, self.paths, self.deadline = server, headers, paths, deadline
        self.urls = _Urls()
        self.done: list[Path] = []
        self.errors: list[str] = []
        self.outages = 0

    def run(self) -> None:
        for path in self.paths:
            while time.monotonic() < self.deadline:
                try:
                    uploader = _uploader(self.server, self.headers, path, chunk=32 * 1024, urls=self.urls)
                    while uploader.offset < len(path.read_bytes()):
                        uploader.upload_chunk()
                        time.sleep(0.01)  # 3G: a chunk every so often
                except (TusCommunicationError, TusUploadFailed) as exc:
                    if exc.status_code is not None:  # only "the server is down" is expected
                        self.errors.append(f"{path.name}: {exc.status_code} {exc.response_content!r}")
                        return
                    self.outages += 1
                    time.sleep(0.05)
                    continue
                self.done.append(path)
                break


def test_kill_9_during_uploads_never_serves_a_half_written_blob(live, tmp_path):
    headers = _live_auditor(live)
    paths = []
    for i in range(6):
        path = tmp_path / f"evidence-{i}.jpg"
        path.write_bytes(_file(600_000 + i * 10_000, seed=10 + i)[0])
        paths.append(path)
    tablet = _TabletUploads(live, headers, paths, deadline=time.monotonic() + 25)
    tablet.start()
    rng = random.Random(7)
    for _ in range(2):
        time.sleep(rng.uniform(0.2, 0.5))
        live.kill()
        assert len(tablet.done) < len(paths)  # the kill falls in the middle of the uploads
        _check_blob_files(live.data_dir)
        live.start()
    tablet.join(timeout=30)
    assert not tablet.errors and tablet.done == paths and tablet.outages >= 2
    assert _check_blob_files(live.data_dir) == len(paths)
    hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    assert _missing(live, headers, *hashes) == []
    for path, sha in zip(paths, hashes, strict=True):
        assert blob_path(live.data_dir, sha).read_bytes() == path.read_bytes()
    leftover = list((live.data_dir / "uploads").iterdir()) if (live.data_dir / "uploads").exists() else []
    assert leftover == []


def test_uploads_survive_a_restart_and_the_start_records_a_blob_renamed_before_a_crash(live, tmp_path):
    headers = _live_auditor(live)
    data, sha = _file(200_000, seed=20)
    with httpx.Client(base_url=live.url) as api:
        location = _create(api, headers, data)
        assert _patch(api, headers, location, 0, data[:100_000]).status_code == 204
    live.kill()
    # As if the server died between renaming the verified file into place and its commit.
    part = part_path(live.data_dir, location.rsplit("/", 1)[1])
    part.write_bytes(data)
    target = blob_path(live.data_dir, sha)
    target.parent.mkdir(parents=True)
    os.replace(part, target)
    live.start()
    assert _missing(live, headers, sha) == []
    with httpx.Client(base_url=live.url) as api:
        assert _offset(api, headers, location) == len(data)


# --- the tus module: its headers, the hashes a chunk feeds, a long chunk in blocks -------------------------


@pytest.mark.parametrize("raw", [None, "", "-1", "1.5", "0x10", "+3", "1 2", "\u0661\u0662", "1" * 20, "12;x"])
def test_a_tus_number_is_plain_digits(raw):
    with pytest.raises(ProblemError) as refused:
        tus.number("Upload-Offset", raw)
    assert (refused.value.status, refused.value.code) == (400, "invalid_header")
    assert refused.value.headers["Tus-Resumable"] == "1.0.0"


@pytest.mark.parametrize(
    ("raw", "expected"), [("0", 0), ("007", 7), (" 12 ", 12), ("9" * 19, 9_999_999_999_999_999_999)]
)
def test_a_tus_number_in_range(raw, expected):
    assert tus.number("Upload-Offset", raw) == expected


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [("0", 400, "invalid_header"), ("1001", 413, "too_large"), ("99999999999999999999", 400, "invalid_header")],
)
def test_an_upload_length_is_at_least_1_and_at_most_the_limit(raw, status, code):
    with pytest.raises(ProblemError) as refused:
        tus.upload_length(raw, max_bytes=1000)
    assert (refused.value.status, refused.value.code) == (status, code)
    assert tus.upload_length("1000", max_bytes=1000) == 1000


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("md5 " + _b64(b"x" * 16), "checksum_algorithm"),
        ("crc32 AAAA", "checksum_algorithm"),
        ("sha1 A", "invalid_header"),
        ("sha1 not*base64", "invalid_header"),
        ("sha256 " + _b64(b"x" * 32) + "=", "invalid_header"),
    ],
)
def test_a_bad_upload_checksum_is_400(raw, code):
    with pytest.raises(ProblemError) as refused:
        tus.checksum(raw)
    assert (refused.value.status, refused.value.code) == (400, code)


def test_a_byte_past_ascii_in_the_tus_headers_is_400_not_500(client, auditor):
    data, sha = _file(100)
    created = client.post(
        "/v1/uploads",
        headers=auditor | TUS | {"Upload-Length": "100", "Upload-Metadata": "sha256 \xff\xfe,x".encode("latin-1")},
    )
    _assert_problem(created, 400, "invalid_metadata")
    location = _create(client, auditor, data)
    extra = {"Upload-Offset": "0", "Upload-Checksum": "sha1 \xe9\xe9\xe9\xe9".encode("latin-1")}
    chunk = client.patch(location, headers=auditor | TUS | CHUNK_TYPE | extra, content=data)
    _assert_problem(chunk, 400, "invalid_header")
    assert _offset(client, auditor, location) == 0


def test_an_upload_checksum_names_its_algorithm_in_any_case():
    digest = hashlib.sha1(b"chunk").digest()
    assert tus.checksum(f"SHA1 {_b64(digest)}") == tus.Checksum("sha1", digest)
    assert tus.checksum(None) is None


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "content_type " + _b64("image/jpeg"),
        "sha256 " + _b64("A" * 63) + ",content_type " + _b64("image/jpeg"),
        "sha256 " + _b64("a" * 64 + "\n") + "x,content_type " + _b64("image/jpeg"),
        "sha256 \u00ff\u00fe,content_type " + _b64("image/jpeg"),
        "sha256 " + _b64(b"\xff\xfe") + ",content_type " + _b64("image/jpeg"),
    ],
)
def test_upload_metadata_must_hold_a_sha256(raw):
    with pytest.raises(ProblemError) as refused:
        tus.metadata(raw)
    assert refused.value.status == 400 and refused.value.code == "invalid_metadata"


def test_upload_metadata_reads_the_hash_and_the_type_and_ignores_the_rest():
    sha = "AB" * 32
    raw = f"filename {_b64('фото.jpg')},sha256 {_b64(sha)},content_type {_b64('Image/JPEG; q=1')},is_confidential"
    assert tus.metadata(raw) == tus.Announced("ab" * 32, "image/jpeg")


def _digests(hashes: tus.ChunkHashes, block: list[bytes]) -> None:
    for feed in hashes.feeds():
        feed(block)


def test_a_chunk_from_byte_0_with_a_sha256_checksum_feeds_one_hash_for_both():
    data = b"evidence" * 1000
    hashes = tus.ChunkHashes.at(0, tus.Checksum("sha256", b""), None)
    assert hashes.chunk is hashes.whole and len(hashes.feeds()) == 1
    _digests(hashes, [data[:5000], data[5000:]])
    assert hashes.chunk_digest() == hashlib.sha256(data).digest()
    assert hashes.whole.hexdigest() == hashlib.sha256(data).hexdigest()
    # Any other checksum (or none) is a hash of its own beside the whole file's.
    sha1 = tus.ChunkHashes.at(0, tus.Checksum("sha1", b""), None)
    assert len(sha1.feeds()) == 2
    _digests(sha1, [data])
    assert sha1.chunk_digest() == hashlib.sha1(data).digest() and sha1.whole.digest() == hashlib.sha256(data).digest()
    assert len(tus.ChunkHashes.at(0, None, None).feeds()) == 1


def test_a_later_chunk_carries_the_running_hash_on_only_from_where_it_stopped():
    first, second = b"a" * 3000, b"b" * 2000
    running = hashlib.sha256(first)
    hashes = tus.ChunkHashes.at(3000, tus.Checksum("sha256", b""), (3000, running))
    assert hashes.whole is not running and hashes.whole is not hashes.chunk and len(hashes.feeds()) == 2
    _digests(hashes, [second])
    assert hashes.whole.digest() == hashlib.sha256(first + second).digest()
    assert hashes.chunk_digest() == hashlib.sha256(second).digest()
    # A refused chunk leaves the running hash as it was.
    assert running.digest() == hashlib.sha256(first).digest()
    # Not from where it stopped (or not at all: a restart): the finished file is read again instead.
    assert tus.ChunkHashes.at(2999, None, (3000, running)).whole is None
    assert tus.ChunkHashes.at(3000, None, None).whole is None
    assert tus.ChunkHashes.at(3000, None, None).feeds() == []


def _restarted(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def test_after_a_restart_the_part_file_is_hashed_again_and_a_byte_changed_in_it_is_caught(tmp_path):
    settings = Settings(data_dir=tmp_path / "var")
    good, good_sha = _file(90_000, seed=3)
    bad, bad_sha = _file(90_000, seed=4)
    with _restarted(settings) as client:
        admin = {"Authorization": "Bearer " + (settings.data_dir / "admin.token").read_text().strip()}
        auditor = make_user(client, admin, "aigerim", "auditor")
        good_at = _create(client, auditor, good)
        bad_at = _create(client, auditor, bad)
        for location, data in ((good_at, good), (bad_at, bad)):
            assert (
                _patch(client, auditor, location, 0, data[:40_000], _checksum("sha256", data[:40_000])).status_code
                == 204
            )
    # While the server was down a byte of one part file changed (a disk, a hand): its size did not.
    part = part_path(settings.data_dir, bad_at.rsplit("/", 1)[1])
    with part.open("r+b") as f:
        f.seek(777)
        f.write(bytes([bad[777] ^ 0x01]))
    with _restarted(settings) as client:
        done = _patch(client, auditor, good_at, 40_000, good[40_000:], _checksum("sha1", good[40_000:]))
        assert done.status_code == 204 and done.headers["upload-offset"] == "90000"
        assert blob_path(settings.data_dir, good_sha).read_bytes() == good
        refused = _patch(client, auditor, bad_at, 40_000, bad[40_000:], _checksum("sha1", bad[40_000:]))
        body = _assert_problem(refused, 460, "checksum_mismatch")
        assert "discarded" in body["detail"]
        assert not blob_path(settings.data_dir, bad_sha).exists() and not part.exists()
        missing = client.post("/v1/blobs/missing", json={"sha256": [good_sha, bad_sha]}, headers=auditor).json()
        assert missing == {"missing": [bad_sha]}


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
def test_a_chunk_of_many_blocks_is_checked_whole_and_a_byte_wrong_in_a_late_block_keeps_none_of_it(live, algorithm):
    headers = _live_auditor(live)
    size = 3 * tus.BLOCK_BYTES + 12_345
    data, sha = _file(size, seed=7)
    corrupted = bytearray(data)
    corrupted[size - 5000] ^= 0x80  # in the last block, after three blocks were written and hashed
    with httpx.Client(base_url=live.url, timeout=30) as api:
        location = _create(api, headers, data)
        refused = _patch(api, headers, location, 0, bytes(corrupted), _checksum(algorithm, data))
        _assert_problem(refused, 460, "checksum_mismatch")
        assert _offset(api, headers, location) == 0
        assert part_path(live.data_dir, location.rsplit("/", 1)[1]).stat().st_size == 0
        done = _patch(api, headers, location, 0, data, _checksum(algorithm, data))
        assert done.status_code == 204 and done.headers["upload-offset"] == str(size)
    assert blob_path(live.data_dir, sha).read_bytes() == data
    assert _missing(live, headers, sha) == []


def test_long_chunks_without_checksums_carry_the_whole_file_hash_from_chunk_to_chunk(live):
    headers = _live_auditor(live)
    data, sha = _file(5 * tus.BLOCK_BYTES + 999, seed=8)
    wrong_sha = hashlib.sha256(data[:-1] + bytes([data[-1] ^ 1])).hexdigest()
    with httpx.Client(base_url=live.url, timeout=30) as api:
        location = _create(api, headers, data)
        mistaken = _create(api, headers, data, sha256=wrong_sha)
        for at, cut in ((0, 2 * tus.BLOCK_BYTES + 1), (2 * tus.BLOCK_BYTES + 1, len(data))):
            assert _patch(api, headers, location, at, data[at:cut]).status_code == 204
            answer = _patch(api, headers, mistaken, at, data[at:cut])
        _assert_problem(answer, 460, "checksum_mismatch")
    assert blob_path(live.data_dir, sha).read_bytes() == data
    assert not blob_path(live.data_dir, wrong_sha).exists()
