"""Background integrity checks survive kill -9: a real server killed while it holds claimed checks.

Visits are pushed to a server that runs no checks (they wait in the store), then a server that runs
them is killed with SIGKILL as soon as it has claimed some. After a restart every check finishes
(none waits), each exactly once in effect: the flags are those a rebuild computes from scratch,
and no flag is stored twice. On PostgreSQL the killed process's leases run out (a short lease
here); SQLite's one process takes them back when it starts.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid

import httpx
import pytest

from tests.conftest import EXAMPLE_CHECKLIST, open_store
from tests.live import LiveServer
from tests.tablet import PASSING, Tablet
from tests.test_crash import crash, server_env, store_problems
from tests.test_integrity_photos import jpeg, scene

VISITS = 120
SHARED_EVERY = 10  # every tenth visit reuses the first photo: those are flagged `photo_reused`
LEASE_S = "2"
PLACE = {"lat": 43.2389, "lon": 76.8897}


def _flags(settings) -> set[tuple]:
    """The flags the visits hold, as (visit, code, other visit): a pair both checks found is one flag."""
    with open_store(settings) as db:
        return {tuple(r) for r in db.execute("SELECT submission_id, code, ref FROM integrity_flags")}


def _waiting(settings) -> tuple[int, int]:
    with open_store(settings) as db:
        total = db.execute("SELECT count(*) FROM integrity_tasks").fetchone()[0]
        claimed = db.execute("SELECT count(*) FROM integrity_tasks WHERE claimed_by IS NOT NULL").fetchone()[0]
    return total, claimed


def _until(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _upload(api: httpx.Client, headers: dict, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    meta = f"sha256 {base64.b64encode(sha.encode()).decode()},content_type {base64.b64encode(b'image/jpeg').decode()}"
    tus = headers | {"Tus-Resumable": "1.0.0"}
    created = api.post("/v1/uploads", headers=tus | {"Upload-Length": str(len(data)), "Upload-Metadata": meta})
    assert created.status_code == 201, created.text
    chunk = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    assert api.patch(created.headers["location"], headers=tus | chunk, content=data).status_code == 204
    return sha


def _load(server: LiveServer) -> set[str]:
    """A unit with a place, an auditor, and VISITS visits with a photo each; the ids of those sharing one."""
    admin = server.admin_headers()
    shared = set()
    with httpx.Client(base_url=server.url, headers=admin, timeout=60) as api:
        api.post("/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers={"Content-Type": "application/toml"})
        unit = {"kind": "branch", "name": "ПСС", "region": "Алматы", "location": PLACE, "geofence_m": 150}
        assert api.put("/v1/units/U1", json=unit).status_code == 200
        api.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"})
        made = api.post("/v1/users", json={"name": "auditor0", "role": "auditor"}).json()
        headers = {"Authorization": f"Bearer {made['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}
        tablet = Tablet(headers)
        photos = [_upload(api, headers, jpeg(scene(i, (320, 240)))) for i in range(VISITS // SHARED_EVERY * 9 + 1)]
        revisions = []
        for i in range(VISITS):
            photo = photos[0] if i % SHARED_EVERY == 0 else photos[1 + i - i // SHARED_EVERY - 1]
            day = 1 + i % 28
            revision = tablet.revision(
                answers=PASSING | {"CLEAN.2": None, "GREET.2": 4},
                started_at=f"2026-10-{day:02d}T{8 + i % 10:02d}:00:00+05:00",
                finished_at=f"2026-10-{day:02d}T{8 + i % 10:02d}:40:00+05:00",
                location=PLACE,
            )
            for a in revision["answers"]:
                if a["item"] == "CLEAN.2":
                    a["evidence"] = [photo]
            revisions.append(revision)
            if photo == photos[0]:
                shared.add(revision["submission_id"])
        for start in range(0, VISITS, 40):
            body = tablet.envelope(revisions[start : start + 40])
            response = api.post("/v1/sync/push", json=body, headers=headers)
            assert response.status_code == 200, response.text
            assert {r["status"] for r in response.json()["receipts"]} == {"applied"}
    return shared


@pytest.mark.slow
def test_checks_claimed_by_a_killed_server_finish_once_after_a_restart(settings, tmp_path):
    env = server_env(settings) | {"TEKSERU_INTEGRITY_LEASE_S": LEASE_S}
    with LiveServer(settings.data_dir, env=env | {"TEKSERU_INTEGRITY_CHECKS": "false"}) as quiet:
        shared = _load(quiet)
    assert _waiting(settings) == (VISITS, 0), "without a process that runs them, every check waits"

    server = LiveServer(settings.data_dir, env=env).start()
    try:
        assert _until(lambda: _waiting(settings)[1] > 0), "the server claimed some checks"
        crash(server, settings)
    finally:
        server.kill()
    waiting, claimed = _waiting(settings)
    assert waiting > 0, "the kill landed before every check ran"
    assert store_problems(settings) == []

    with LiveServer(settings.data_dir, env=env) as again:
        assert _until(lambda: _waiting(settings)[0] == 0), "every check finished after the restart"
        after_kill = _flags(settings)
        assert {sid for sid, code, *_ in after_kill if code == "photo_reused"} == shared
        # Each check in effect once: the flags equal those of every check run again from scratch.
        with open_store(settings) as db:
            db.execute("DELETE FROM integrity_flags WHERE source = 'task'")
        rebuilt = httpx.post(f"{again.url}/v1/admin/rebuild", headers=again.admin_headers(), timeout=120)
        assert rebuilt.status_code == 200, rebuilt.text
        assert _until(lambda: _waiting(settings)[0] == 0)
        assert _flags(settings) == after_kill
    assert len(after_kill) > len(shared)
