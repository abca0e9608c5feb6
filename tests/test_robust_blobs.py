"""Evidence at rest is verified (a damaged, truncated or deleted blob is never served, is listed missing,
sends its visit back to `awaiting_evidence` and can be uploaded again), `tekseru blobs verify`, and the
per-auditor upload quotas."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.blobs import DAMAGED_DIR, blob_path
from server.cli import main
from server.settings import Settings, settings_from_env
from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.live import LiveServer
from tests.tablet import Tablet
from tests.test_uploads import (
    TUS,
    UNIT,
    _assert_problem,
    _checksum,
    _create,
    _file,
    _metadata,
    _offset,
    _patch,
    _sha,
    _upload,
    _with_evidence,
)

DAMAGES = ["flipped", "truncated", "deleted"]


def _admin_headers(data_dir: Path) -> dict[str, str]:
    return {"Authorization": "Bearer " + (data_dir / "admin.token").read_text().strip()}


def _organisation(client, admin: dict[str, str]) -> tuple[Tablet, dict[str, str]]:
    """A unit, a staff member, the example checklist, an auditor's tablet and a quality lead."""
    response = client.post(
        "/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    assert client.put("/v1/units/U1", json=UNIT, headers=admin).status_code in (200, 201)
    staff = {"name": "Нұрланова Әлия", "unit_id": "U1"}
    assert client.put("/v1/staff/E1", json=staff, headers=admin).status_code in (200, 201)
    return Tablet(make_user(client, admin, "aigerim", "auditor")), make_user(client, admin, "saule", "quality_lead")


def _visit_with_photo(client, tablet: Tablet, photo: bytes) -> str:
    """A submitted visit whose answer references the photo, uploaded: its status is `received`."""
    revision = _with_evidence(tablet, _sha(photo))
    tablet.push(client, [revision])
    _upload(client, tablet.headers, photo)
    submission = revision["submission_id"]
    assert _status(client, tablet.headers, submission) == ("received", [])
    return submission


def _status(client, headers: dict[str, str], submission: str) -> tuple[str, list[str]]:
    doc = client.get(f"/v1/submissions/{submission}", headers=headers).json()
    return doc["status"], doc["missing_blobs"]


def _damage(path: Path, how: str) -> None:
    """Change a blob file at rest; a flipped byte keeps the size and gets its mtime set back (a careful hand)."""
    if how == "flipped":
        before = path.stat()
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        with open(path, "r+b") as f:  # in place: the same inode, the same size
            f.write(data)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert path.stat().st_size == before.st_size and path.stat().st_ino == before.st_ino
    elif how == "truncated":
        with open(path, "r+b") as f:
            f.truncate(path.stat().st_size // 3)
    else:
        path.unlink()


def _missing(client, headers: dict[str, str], *hashes: str) -> list[str]:
    response = client.post("/v1/blobs/missing", json={"sha256": list(hashes)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["missing"]


@pytest.fixture
def org(client, admin):
    return _organisation(client, admin)


# --- a damaged blob is found wherever it is next read, never served, and uploaded again ----------------------


@pytest.mark.parametrize("found_by", ["get", "missing", "upload"])
@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_blob_is_never_served_awaits_upload_again_and_recovers(client, org, settings, how, found_by):
    tablet, lead = org
    photo, sha = _file(150_000, seed=11)
    submission = _visit_with_photo(client, tablet, photo)
    served = client.get(f"/v1/blobs/{sha}", headers=lead)
    assert served.status_code == 200 and served.content == photo
    assert "immutable" in served.headers["cache-control"]

    path = blob_path(settings.data_dir, sha)
    _damage(path, how)
    if found_by == "get":
        response = client.get(f"/v1/blobs/{sha}", headers=lead)
        _assert_problem(response, 404, "blob_damaged")
        assert "immutable" not in response.headers.get("cache-control", "")
    elif found_by == "missing":
        assert _missing(client, tablet.headers, sha) == [sha]
    # Found by an upload: it starts from 0, never "already complete".
    location = _create(client, tablet.headers, photo)
    assert _offset(client, tablet.headers, location) == 0

    # From now on it is missing everywhere, and no reader gets the damaged bytes.
    assert _missing(client, tablet.headers, sha) == [sha]
    assert _status(client, tablet.headers, submission) == ("awaiting_evidence", [sha])
    assert _status(client, lead, submission) == ("awaiting_evidence", [sha])
    queue = client.get("/v1/submissions", params={"status": "awaiting_evidence"}, headers=lead).json()["items"]
    assert [row["submission_id"] for row in queue] == [submission]
    for who in (lead, tablet.headers):
        assert client.get(f"/v1/blobs/{sha}", headers=who).status_code == 404
    if how == "flipped":  # set aside for a look, out of the blob tree
        assert not path.exists()
        aside = settings.data_dir / DAMAGED_DIR / sha
        assert aside.stat().st_size == len(photo) and aside.read_bytes() != photo

    # The tablet sends it again from offset 0; the visit leaves awaiting_evidence.
    for start in range(0, len(photo), 64 * 1024):
        piece = photo[start : start + 64 * 1024]
        response = _patch(client, tablet.headers, location, start, piece, _checksum("sha1", piece))
        assert response.status_code == 204, response.text
    assert response.headers["upload-offset"] == str(len(photo))
    assert _status(client, tablet.headers, submission) == ("received", [])
    assert _missing(client, tablet.headers, sha) == []
    served = client.get(f"/v1/blobs/{sha}", headers=lead)
    assert served.status_code == 200 and served.content == photo
    with open_store(settings) as db:
        assert db.execute("SELECT count(*) FROM lost_blobs").fetchone() == (0,)


def test_a_finished_upload_of_a_lost_blob_is_resumed_from_0(client, org, settings):
    """A tus client that stored the upload's URL resumes it: it must send the file again, not hear "complete"."""
    tablet, lead = org
    photo, sha = _file(90_000, seed=14)
    location = _create(client, tablet.headers, photo)
    assert _patch(client, tablet.headers, location, 0, photo).status_code == 204
    submission = tablet.push(client, [_with_evidence(tablet, sha)])[0]["submission_id"]
    _damage(blob_path(settings.data_dir, sha), "deleted")
    _assert_problem(client.get(f"/v1/blobs/{sha}", headers=lead), 404, "blob_damaged")
    assert _offset(client, tablet.headers, location) == 0
    _assert_problem(_patch(client, tablet.headers, location, 90_000, b"x"), 409, "offset_mismatch")
    assert _patch(client, tablet.headers, location, 0, photo).status_code == 204
    assert _status(client, lead, submission) == ("received", [])
    assert client.get(f"/v1/blobs/{sha}", headers=lead).content == photo


def test_the_tablet_learns_through_pull_that_a_visit_awaits_its_evidence_again(client, org, settings):
    tablet, lead = org
    photo, sha = _file(20_000, seed=12)
    submission = _visit_with_photo(client, tablet, photo)
    _, cursor = tablet.pull_all(client)
    _damage(blob_path(settings.data_dir, sha), "truncated")
    assert client.get(f"/v1/blobs/{sha}", headers=lead).status_code == 404
    changes, _ = tablet.pull_all(client, cursor)
    pulled = [c for c in changes if c["kind"] == "submission" and c["id"] == submission]
    assert pulled and pulled[-1]["data"]["status"] == "awaiting_evidence"
    assert pulled[-1]["data"]["missing_blobs"] == [sha]


def test_a_file_replaced_by_the_same_bytes_is_rehashed_once_and_served(client, org, settings):
    tablet, lead = org
    photo, sha = _file(30_000, seed=13)
    _visit_with_photo(client, tablet, photo)
    path = blob_path(settings.data_dir, sha)
    with open_store(settings) as db:
        (marker,) = db.execute("SELECT verified_file FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
    assert marker is not None  # set as the upload completed: the first read needs no rehash
    copy = path.with_name("copy")
    copy.write_bytes(photo)
    os.replace(copy, path)  # a restore from a backup: another inode, the same bytes
    served = client.get(f"/v1/blobs/{sha}", headers=lead)
    assert served.status_code == 200 and served.content == photo
    with open_store(settings) as db:
        (again,) = db.execute("SELECT verified_file FROM blobs WHERE sha256 = ?", (sha,)).fetchone()
    assert again != marker and again.split(":")[1] == str(path.stat().st_ino)


# --- tekseru blobs verify ------------------------------------------------------------------------------------


def test_blobs_verify_without_a_server_reports_marks_and_exits_1_until_all_are_fine(tmp_path, capsys):
    settings = Settings(data_dir=tmp_path / "var")
    photos = [_file(40_000 + i, seed=20 + i) for i in range(4)]
    with TestClient(create_app(settings)) as client:
        tablet, _ = _organisation(client, _admin_headers(settings.data_dir))
        visits = [_visit_with_photo(client, tablet, photo) for photo, _ in photos]
    (_, ok), (_, flipped), (_, truncated), (gone_data, gone) = photos
    _damage(blob_path(settings.data_dir, flipped), "flipped")
    _damage(blob_path(settings.data_dir, truncated), "truncated")
    _damage(blob_path(settings.data_dir, gone), "deleted")

    data_dir = str(settings.data_dir)
    assert main(["--data-dir", data_dir, "blobs", "verify"]) == 1
    out, err = capsys.readouterr()
    assert "checked 4 blob(s): 1 ok" in out
    damaged = "\n  ".join(sorted([flipped, truncated]))
    assert f"damaged (set aside in damaged-blobs/): 2\n  {damaged}\n" in out
    assert f"missing file: 1\n  {gone}\n" in out
    assert "\ntekseru: 3 blob(s) damaged or missing" in "\n" + err and "Traceback" not in err

    # Still lost on the next run; the deleted file put back is taken back (at the start already: its
    # upload, sent again from 0, finds the whole file in place).
    blob_path(settings.data_dir, gone).write_bytes(gone_data)
    assert main(["--data-dir", data_dir, "blobs", "verify"]) == 1
    out, _ = capsys.readouterr()
    assert "checked 2 blob(s): 2 ok" in out
    assert f"lost earlier, not uploaded again yet: 2\n  {damaged}\n" in out

    with TestClient(create_app(settings)) as client:
        headers = tablet.headers
        statuses = [_status(client, headers, v)[0] for v in visits]
        assert statuses == ["received", "awaiting_evidence", "awaiting_evidence", "received"]
        assert _missing(client, headers, *[sha for _, sha in photos]) == [flipped, truncated]
        for photo, _ in photos[1:3]:
            _upload(client, headers, photo)
        assert [_status(client, headers, v)[0] for v in visits] == ["received"] * 4
    assert main(["--data-dir", data_dir, "blobs", "verify"]) == 0
    out, err = capsys.readouterr()
    assert "checked 4 blob(s): 4 ok" in out and "damaged (set aside in damaged-blobs/): 0" in out
    assert "tekseru:" not in err


def test_blobs_verify_goes_through_the_running_server(tmp_path, capsys):
    data_dir = tmp_path / "var"
    photo, sha = _file(25_000, seed=30)
    with LiveServer(data_dir) as server, httpx.Client(base_url=server.url) as client:
        tablet, lead = _organisation(client, server.admin_headers())
        submission = _visit_with_photo(client, tablet, photo)
        token_before = (data_dir / "admin.token").read_text()
        _damage(blob_path(data_dir, sha), "flipped")
        assert main(["--data-dir", str(data_dir), "blobs", "verify"]) == 1
        assert f"damaged (set aside in damaged-blobs/): 1\n  {sha}\n" in capsys.readouterr().out
        # The server did the work (an in-process app would have replaced the local admin credential).
        assert (data_dir / "admin.token").read_text() == token_before
        assert _status(client, lead, submission) == ("awaiting_evidence", [sha])
        _upload(client, tablet.headers, photo)
        assert main(["--data-dir", str(data_dir), "blobs", "verify"]) == 0
        assert _status(client, lead, submission) == ("received", [])
        # A file gone (an unmounted disk) and back (remounted) is taken back by the next check.
        aside = blob_path(data_dir, sha).rename(tmp_path / "away")
        assert main(["--data-dir", str(data_dir), "blobs", "verify"]) == 1
        assert f"missing file: 1\n  {sha}\n" in capsys.readouterr().out
        assert _status(client, lead, submission) == ("awaiting_evidence", [sha])
        aside.rename(blob_path(data_dir, sha))
        assert main(["--data-dir", str(data_dir), "blobs", "verify"]) == 0
        assert f"recovered (a right file is back): 1\n  {sha}\n" in capsys.readouterr().out
        assert _status(client, lead, submission) == ("received", [])


def test_the_verify_endpoint_is_for_admins_only(client, users):
    for role in ("quality_lead", "hr", "auditor"):
        _assert_problem(client.post("/v1/admin/blobs/verify", headers=users[role]), 403, "forbidden")
    body = client.post("/v1/admin/blobs/verify", headers=users["admin"]).json()
    assert body == {"checked": 0, "ok": 0, "damaged": [], "missing_file": [], "recovered": [], "still_lost": []}


# --- upload quotas -------------------------------------------------------------------------------------------


def _start(client, headers: dict[str, str], length: int, seed: int):
    sha = _sha(seed.to_bytes(8, "big"))
    meta = {"Upload-Length": str(length), "Upload-Metadata": _metadata(sha)}
    return client.post("/v1/uploads", headers=headers | TUS | meta)


def test_the_200th_unfinished_upload_is_taken_and_the_201st_is_429(client, admin):
    auditor = make_user(client, admin, "aigerim", "auditor")
    for seed in range(200):
        assert _start(client, auditor, 1000, seed).status_code == 201
    response = _start(client, auditor, 1000, 200)
    body = _assert_problem(response, 429, "upload_quota_exceeded")
    assert "200 unfinished uploads" in body["detail"]
    # Until the first of them expires (7 days), unless the tablet finishes some first.
    assert 7 * 24 * 3600 - 60 <= int(response.headers["retry-after"]) <= 7 * 24 * 3600
    # Another auditor has a quota of its own.
    assert _start(client, make_user(client, admin, "daulet", "auditor"), 1000, 201).status_code == 201


def test_finished_and_discarded_uploads_stop_counting(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", uploads_per_auditor=3)
    with TestClient(create_app(settings)) as client:
        auditor = make_user(client, _admin_headers(settings.data_dir), "aigerim", "auditor")
        photo, sha = _file(5000, seed=40)
        done = _create(client, auditor, photo)
        wrong = _create(client, auditor, photo, sha256=_sha(b"another photo"))
        assert _start(client, auditor, 100, 1).status_code == 201
        _assert_problem(_start(client, auditor, 100, 2), 429, "upload_quota_exceeded")
        assert _patch(client, auditor, done, 0, photo).status_code == 204  # finished
        assert _start(client, auditor, 100, 2).status_code == 201
        _assert_problem(_patch(client, auditor, wrong, 0, photo), 460, "checksum_mismatch")  # discarded
        assert _start(client, auditor, 100, 3).status_code == 201
        _assert_problem(_start(client, auditor, 100, 4), 429, "upload_quota_exceeded")
        # An upload of a blob already stored has nothing left to send: it never counts.
        assert _offset(client, auditor, _create(client, auditor, photo)) == len(photo)


def test_expired_uploads_stop_counting(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", uploads_per_auditor=1, upload_expiry_s=3)
    with TestClient(create_app(settings)) as client:
        auditor = make_user(client, _admin_headers(settings.data_dir), "aigerim", "auditor")
        assert _start(client, auditor, 100, 1).status_code == 201
        response = _assert_problem(_start(client, auditor, 100, 2), 429, "upload_quota_exceeded")
        # Left alone, the unfinished upload expires and makes room again.
        deadline = time.monotonic() + 15
        while (response := _start(client, auditor, 100, 2)).status_code == 429 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert response.status_code == 201


def test_bytes_declared_but_not_received_are_bounded(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", upload_bytes_per_auditor=10_000)
    with TestClient(create_app(settings)) as client:
        auditor = make_user(client, _admin_headers(settings.data_dir), "aigerim", "auditor")
        data, _ = _file(6000, seed=50)
        location = _create(client, auditor, data)
        assert _start(client, auditor, 4000, 1).status_code == 201  # exactly 10,000 declared
        body = _assert_problem(_start(client, auditor, 1, 2), 429, "upload_quota_exceeded")
        assert "10000 bytes declared" in body["detail"] and "10000 allowed" in body["detail"]
        assert _patch(client, auditor, location, 0, data[:2500]).status_code == 204  # 7,500 still to come
        _assert_problem(_start(client, auditor, 2501, 3), 429, "upload_quota_exceeded")
        assert _start(client, auditor, 2500, 3).status_code == 201


def test_concurrent_creations_never_pass_the_quota(tmp_path):
    env = {"TEKSERU_UPLOADS_PER_AUDITOR": "5", "TEKSERU_UPLOAD_BYTES_PER_AUDITOR": "1000000"}
    assert settings_from_env(env).uploads_per_auditor == 5
    with LiveServer(tmp_path / "var", env=env) as server, httpx.Client(base_url=server.url) as client:
        auditor = make_user(client, server.admin_headers(), "aigerim", "auditor")
        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = sorted(pool.map(lambda seed: _start(client, auditor, 1000, seed).status_code, range(24)))
    assert statuses == [201] * 5 + [429] * 19


# --- a scorecard never embeds a damaged photo ------------------------------------------------------------


def _jpeg(seed: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 240), (seed % 256, 90, 40)).save(out, "JPEG")
    return out.getvalue()


def _images_in(client, lead: dict[str, str], card: dict) -> int:
    import io

    from pypdf import PdfReader

    pdf = client.get(card["pdf"], headers=lead).content
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_scorecard_leaves_out_a_damaged_photo_and_asks_for_it_again(client, org, settings, default_policy):
    from tests.tablet import PASSING

    tablet, lead = org
    photo = _jpeg(7)
    sha = _sha(photo)
    revision = tablet.revision(started_at="2026-10-14T10:00:00+05:00", answers=PASSING | {"CLEAN.1": False})
    (failed,) = [a for a in revision["answers"] if a["item"] == "CLEAN.1"]
    failed["evidence"] = [sha]  # the photo of a failed critical item goes on the scorecard
    tablet.push(client, [revision])
    _upload(client, tablet.headers, photo)
    submission = revision["submission_id"]
    heads = client.get(f"/v1/submissions/{submission}", headers=lead).json()["heads"]
    decided = client.post(
        f"/v1/submissions/{submission}/review", json={"decision": "approve", "heads": heads}, headers=lead
    )
    assert decided.status_code == 200, decided.text
    body = {"scope": "unit", "unit_id": "U1", "period": "2026-10", "lang": "ru"}
    first = client.post("/v1/scorecards", json=body, headers=lead)
    assert first.status_code == 201, first.text
    assert _images_in(client, lead, first.json()) == 1

    _damage(blob_path(settings.data_dir, sha), "flipped")
    again = client.post("/v1/scorecards", json=body, headers=lead)
    assert again.status_code == 201, again.text
    assert again.json()["sha256"] != first.json()["sha256"]
    assert _images_in(client, lead, again.json()) == 0
    assert _missing(client, tablet.headers, sha) == [sha]
    assert _status(client, lead, submission)[1] == [sha]
