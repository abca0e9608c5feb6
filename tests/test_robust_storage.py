"""Storage failures are answered, not crashed on; files are private; backups go only where allowed.

The full-disk and read-only tests run a real server on a real small file system (a tmpfs, an
ext4 image on a loop device), so they need root to mount. Where mounting is impossible they skip
with a reason that starts with `needs-mount:`, and `.ci/run` fails when it sees that reason.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import os
import sqlite3
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.cli import main
from server.errors import storage_failure
from server.settings import Settings
from tests.conftest import EXAMPLE_CHECKLIST
from tests.live import LiveServer
from tests.tablet import Tablet

MOUNT_SKIP = "needs-mount:"  # .ci/run greps the skip reasons for this prefix
OCTOBER = "2026-10-15T11:00:00+05:00"
PERIOD = "2026-10"
PHOTO = b"\xff\xd8\xff\xe0 a photo of the queue at the counter " * 2048  # ~90 KiB


# --- mounting a small file system ------------------------------------------------------------------


def _mount(*args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(["mount", *args], 1, "", str(exc))


def _umount(folder: Path) -> None:
    for _ in range(50):
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode == 0:
            return
        time.sleep(0.1)  # a process that just exited may hold a file a moment longer
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def _need_root() -> None:
    if os.geteuid() != 0:
        pytest.skip(f"{MOUNT_SKIP} mounting a small file system needs root (running as uid {os.geteuid()})")


@contextlib.contextmanager
def small_tmpfs(folder: Path, kib: int) -> Iterator[Path]:
    """A tmpfs of `kib` KiB mounted at `folder` (skips where mounting is impossible)."""
    _need_root()
    folder.mkdir(parents=True, exist_ok=True)
    done = _mount("-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder))
    if done.returncode != 0:
        pytest.skip(f"{MOUNT_SKIP} cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        _umount(folder)


@contextlib.contextmanager
def ext4_image(image: Path, folder: Path, mib: int) -> Iterator[Path]:
    """An ext4 file system on a loop device, mounted at `folder` (skips where that is impossible)."""
    _need_root()
    with open(image, "wb") as f:
        f.truncate(mib * 1024 * 1024)
    try:
        made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        pytest.skip(f"{MOUNT_SKIP} cannot make an ext4 image: {exc}")
    if made.returncode != 0:
        pytest.skip(f"{MOUNT_SKIP} cannot make an ext4 image: {made.stderr.strip()}")
    folder.mkdir(parents=True, exist_ok=True)
    done = _mount("-o", "loop,errors=remount-ro", str(image), str(folder))
    if done.returncode != 0:
        pytest.skip(f"{MOUNT_SKIP} cannot mount an ext4 image on a loop device: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        _umount(folder)


def fill(folder: Path) -> Path:
    """Write a file until the file system is full; return it."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with open(filler, "wb", buffering=0) as f:
        while True:
            try:
                f.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    for size in (4096, 512, 1):  # the last pages too
        with contextlib.suppress(OSError), open(filler, "ab", buffering=0) as f:
            while True:
                f.write(b"\0" * size)
    return filler


def tus_metadata(data: bytes) -> str:
    """`Upload-Metadata` for `data` as a JPEG photo."""
    sha = base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()
    return f"sha256 {sha},content_type {base64.b64encode(b'image/jpeg').decode()}"


# --- a real server with an organisation ----------------------------------------------------------------


class Org:
    """The server's API as the tests use it: an admin, a quality lead and a tablet."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.api = httpx.Client(base_url=server.url, timeout=60)
        self.admin = server.admin_headers()
        self.api.post(
            "/v1/checklists",
            content=EXAMPLE_CHECKLIST.read_bytes(),
            headers=self.admin | {"Content-Type": "application/toml"},
        ).raise_for_status()
        self.api.put(
            "/v1/units/U1", json={"kind": "branch", "name": "ПСС Алматы", "region": "Алматы"}, headers=self.admin
        ).raise_for_status()
        self.api.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=self.admin)
        self.lead = self._user("saule", "quality_lead")
        self.tablet = Tablet(self._user("aigerim", "auditor") | {"Tekseru-Device-Id": str(uuid.uuid4())})

    def new_tablet(self, name: str) -> Tablet:
        """Another auditor's tablet (a device belongs to one auditor)."""
        return Tablet(self._user(name, "auditor") | {"Tekseru-Device-Id": str(uuid.uuid4())})

    def _user(self, name: str, role: str) -> dict[str, str]:
        made = self.api.post("/v1/users", json={"name": name, "role": role}, headers=self.admin)
        made.raise_for_status()
        return {"Authorization": f"Bearer {made.json()['token']}"}

    def push(self, revisions: list[dict]) -> httpx.Response:
        return self.api.post("/v1/sync/push", json=self.tablet.envelope(revisions), headers=self.tablet.headers)

    def review(self, visit: dict) -> httpx.Response:
        sid = visit["submission_id"]
        heads = self.api.get(f"/v1/submissions/{sid}", headers=self.lead).json()["heads"]
        return self.api.post(
            f"/v1/submissions/{sid}/review", json={"decision": "approve", "heads": heads}, headers=self.lead
        )

    def close(self) -> httpx.Response:
        return self.api.post(f"/v1/periods/{PERIOD}/close", json={"force": True}, headers=self.admin)

    def scorecard(self, lang: str = "ru") -> httpx.Response:
        body = {"scope": "unit", "unit_id": "U1", "period": PERIOD, "lang": lang}
        return self.api.post("/v1/scorecards", json=body, headers=self.lead)

    def start_upload(self, data: bytes) -> httpx.Response:
        headers = {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(data)), "Upload-Metadata": tus_metadata(data)}
        return self.api.post("/v1/uploads", headers=self.tablet.headers | headers)

    def send_chunk(self, location: str, offset: int, chunk: bytes) -> httpx.Response:
        headers = {
            "Tus-Resumable": "1.0.0",
            "Upload-Offset": str(offset),
            "Content-Type": "application/offset+octet-stream",
        }
        return self.api.patch(location, content=chunk, headers=self.tablet.headers | headers)

    def upload_offset(self, location: str) -> int:
        answer = self.api.head(location, headers=self.tablet.headers | {"Tus-Resumable": "1.0.0"})
        assert answer.status_code == 200, answer.status_code
        return int(answer.headers["upload-offset"])

    def health(self) -> httpx.Response:
        return self.api.get("/v1/health")

    def wait_health(self, status: int, timeout: float = 15.0) -> httpx.Response:
        """Poll `/v1/health` until it answers `status` (it probes at most once a second)."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.health()
            if answer.status_code == status or time.monotonic() > deadline:
                return answer
            time.sleep(0.1)


def assert_storage_refusal(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
    assert int(answer.headers["retry-after"]) > 0


def stored_rev_ids(db_path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return {r[0] for r in db.execute("SELECT rev_id FROM revisions")}


def truncate_wal(db_path: Path) -> None:
    """Checkpoint the WAL into the database and cut it to nothing, as a quiet server's would be.

    Then every write needs new room in the WAL file (a WAL that kept its old size would take a
    few more transactions on a full disk in the space it already has).
    """
    with contextlib.closing(sqlite3.connect(db_path, timeout=30)) as db:
        assert db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0


# --- a full disk -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_full_disk_is_answered_507_and_everything_recovers(tmp_path):
    data_dir = tmp_path / "var"
    with small_tmpfs(data_dir, 24 * 1024):
        server = LiveServer(data_dir).start()
        org = None
        try:
            org = Org(server)
            tablet = org.tablet
            acknowledged: set[str] = set()
            earlier = [tablet.revision(started_at=OCTOBER), tablet.revision(started_at=OCTOBER)]
            assert org.push(earlier).status_code == 200
            acknowledged |= {r["rev_id"] for r in earlier}
            upload = org.start_upload(PHOTO)
            assert upload.status_code == 201, upload.text
            location = upload.headers["location"]
            assert org.review(earlier[0]).status_code == 200
            draft = org.scorecard("kk")
            assert draft.status_code == 201, draft.text
            publish = f"/v1/scorecards/{draft.json()['id']}/publish"
            assert org.health().json()["status"] == "ok"

            truncate_wal(data_dir / "tekseru.sqlite3")
            filler = fill(data_dir)

            refused = [tablet.revision(started_at=OCTOBER), tablet.edit(earlier[0])]
            assert_storage_refusal(org.push(refused), 507, "insufficient_storage")
            assert_storage_refusal(org.review(earlier[1]), 507, "insufficient_storage")
            assert_storage_refusal(org.close(), 507, "insufficient_storage")
            assert_storage_refusal(org.scorecard(), 507, "insufficient_storage")
            assert_storage_refusal(org.api.post(publish, headers=org.lead), 507, "insufficient_storage")
            chunk = org.send_chunk(location, 0, PHOTO)
            assert_storage_refusal(chunk, 507, "insufficient_storage")
            assert chunk.headers["tus-resumable"] == "1.0.0"
            assert_storage_refusal(org.start_upload(b"another photo" * 100), 507, "insufficient_storage")
            unit = {"kind": "branch", "name": "ПСС Қонаев", "region": "Алматы облысы"}
            assert_storage_refusal(
                org.api.put("/v1/units/U2", json=unit, headers=org.admin), 507, "insufficient_storage"
            )
            version2 = EXAMPLE_CHECKLIST.read_text(encoding="utf-8").replace("version = 1", "version = 2", 1)
            published = org.api.post(
                "/v1/checklists", content=version2.encode(), headers=org.admin | {"Content-Type": "application/toml"}
            )
            assert_storage_refusal(published, 507, "insufficient_storage")

            degraded = org.wait_health(503)
            assert degraded.status_code == 503, degraded.text
            assert degraded.json()["status"] == "degraded"
            assert degraded.json()["storage"] == "insufficient_storage"
            # Reads go on, and nothing of the refused push was kept half-way.
            assert org.api.get(f"/v1/submissions/{earlier[0]['submission_id']}", headers=org.lead).status_code == 200
            assert org.upload_offset(location) == 0
            refused_visit = f"/v1/submissions/{refused[0]['submission_id']}"
            assert org.api.get(refused_visit, headers=org.lead).status_code == 404

            filler.unlink()
            assert org.wait_health(200).json()["status"] == "ok"
            again = org.push(refused)
            assert again.status_code == 200, again.text
            assert {r["status"] for r in again.json()["receipts"]} <= {"applied", "merged"}
            acknowledged |= {r["rev_id"] for r in refused}
            assert org.review(earlier[1]).status_code == 200
            assert org.scorecard().status_code == 201
            assert org.api.post(publish, headers=org.lead).status_code == 200
            assert org.close().status_code == 201
            assert org.send_chunk(location, 0, PHOTO).status_code == 204
            assert org.api.put("/v1/units/U2", json=unit, headers=org.admin).status_code in (200, 201)
            assert server.process.poll() is None, "the server stopped"
        finally:
            if org is not None:
                org.api.close()
            server.stop()
        assert acknowledged <= stored_rev_ids(data_dir / "tekseru.sqlite3")
        assert "unhandled error" not in server.log.read_text()


class Pusher(threading.Thread):
    """A tablet pushing new visits, one batch after another, until told to stop; it never retries."""

    def __init__(self, url: str, tablet: Tablet, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.tablet, self.stop = url, tablet, stop
        self.answered: dict[int, set[str]] = {}

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as client:
            while not self.stop.is_set():
                batch = [self.tablet.revision() for _ in range(3)]
                answer = client.post("/v1/sync/push", json=self.tablet.envelope(batch), headers=self.tablet.headers)
                self.answered.setdefault(answer.status_code, set()).update(r["rev_id"] for r in batch)

    def count(self, status: int) -> int:
        return len(self.answered.get(status, ()))


def _wait_for(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.slow
def test_tablets_pushing_while_the_disk_fills_and_empties_lose_nothing(tmp_path):
    """Every push answered 200 is stored, every push answered 507 stored nothing, and the writer
    (its group commits spanning several tablets' pushes) takes pushes again once there is room."""
    data_dir = tmp_path / "var"
    with small_tmpfs(data_dir, 24 * 1024):
        server = LiveServer(data_dir).start()
        org = None
        stop = threading.Event()
        pushers: list[Pusher] = []
        try:
            org = Org(server)
            pushers = [Pusher(server.url, org.new_tablet(f"shopper{i}"), stop) for i in range(4)]
            for pusher in pushers:
                pusher.start()
            assert _wait_for(lambda: sum(p.count(200) for p in pushers) >= 40), "no push went through"
            filler = fill(data_dir)
            assert _wait_for(lambda: sum(p.count(507) for p in pushers) >= 12), "the full disk was never noticed"
            before = sum(p.count(200) for p in pushers)
            filler.unlink()
            assert _wait_for(lambda: sum(p.count(200) for p in pushers) >= before + 60), "pushes did not recover"
            # Stopped here: under unbroken writes the WAL does not start over, and on a disk this
            # small it would soon take all the room back (see the report of issue 13).
            stop.set()
            assert server.process.poll() is None, "the server stopped"
        finally:
            stop.set()
            for pusher in pushers:
                pusher.join(timeout=60)
            if org is not None:
                org.api.close()
            server.stop()
        stored = stored_rev_ids(data_dir / "tekseru.sqlite3")
        for pusher in pushers:
            assert set(pusher.answered) <= {200, 507}, {k: len(v) for k, v in pusher.answered.items()}
            assert pusher.answered[200] <= stored
            assert not pusher.answered.get(507, set()) & stored
        assert "unhandled error" not in server.log.read_text()


# --- a store that cannot be written ----------------------------------------------------------------


@pytest.mark.slow
def test_a_read_only_store_is_answered_503_and_the_server_stays_up(tmp_path):
    """The file system turns read-only under the running server (as ext4 does after an I/O error).

    `mount -o remount,ro` is refused while the server holds its database open for writing, so the
    file system is aborted instead (`remount,abort`): from then on every write fails with EROFS.
    """
    disk = tmp_path / "disk"
    with ext4_image(tmp_path / "disk.img", disk, 32):
        data_dir = disk / "var"
        server = LiveServer(data_dir)
        server.log = tmp_path / "server.log"
        server.start()
        org = None
        try:
            org = Org(server)
            earlier = [org.tablet.revision(started_at=OCTOBER)]
            assert org.push(earlier).status_code == 200
            upload = org.start_upload(PHOTO)
            assert upload.status_code == 201

            aborted = _mount("-o", "remount,abort", str(disk))
            if aborted.returncode != 0:
                pytest.skip(f"{MOUNT_SKIP} cannot make the ext4 file system read-only: {aborted.stderr.strip()}")

            assert_storage_refusal(org.push([org.tablet.revision()]), 503, "store_unavailable")
            assert_storage_refusal(org.review(earlier[0]), 503, "store_unavailable")
            assert_storage_refusal(org.close(), 503, "store_unavailable")
            assert_storage_refusal(org.scorecard(), 503, "store_unavailable")
            chunk = org.send_chunk(upload.headers["location"], 0, PHOTO)
            assert_storage_refusal(chunk, 503, "store_unavailable")
            degraded = org.wait_health(503)
            assert degraded.json() | {"version": None, "schema": None} == {
                "status": "degraded",
                "storage": "store_unavailable",
                "version": None,
                "schema": None,
                "store": "sqlite",
                "blobs": "local",
            }
            sid = earlier[0]["submission_id"]
            assert org.api.get(f"/v1/submissions/{sid}", headers=org.lead).status_code == 200
            assert server.process.poll() is None, "the server stopped"
        finally:
            if org is not None:
                org.api.close()
            server.stop()
        assert "unhandled error" not in server.log.read_text()
    # Mounted again (the journal replayed), the acknowledged push is there.
    with ext4_image_again(tmp_path / "disk.img", disk):
        assert {earlier[0]["rev_id"]} <= stored_rev_ids(disk / "var" / "tekseru.sqlite3")


@contextlib.contextmanager
def ext4_image_again(image: Path, folder: Path) -> Iterator[Path]:
    subprocess.run(["e2fsck", "-fy", str(image)], capture_output=True, timeout=60)
    done = _mount("-o", "loop", str(image), str(folder))
    assert done.returncode == 0, done.stderr
    try:
        yield folder
    finally:
        _umount(folder)


# --- the one mapping of storage errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "failure"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "insufficient_storage"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "insufficient_storage"),
        (OSError(errno.EROFS, "Read-only file system"), "store_unavailable"),
        (PermissionError(errno.EACCES, "Permission denied"), "store_unavailable"),
        (OSError(errno.EIO, "Input/output error"), "store_unavailable"),
        (sqlite3.OperationalError("database or disk is full"), "insufficient_storage"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "store_unavailable"),
        (sqlite3.OperationalError("disk I/O error"), "store_unavailable"),
        (sqlite3.OperationalError("unable to open database file"), "store_unavailable"),
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), None),
        (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), None),
        (sqlite3.IntegrityError("UNIQUE constraint failed: units.unit_id"), None),
        (sqlite3.OperationalError("no such table: nothing"), None),
        (ValueError("not storage"), None),
    ],
)
def test_storage_failures_are_read_in_one_place(exc, failure):
    assert storage_failure(exc) == failure


def test_sqlite_reports_a_full_database_by_its_code(tmp_path):
    """The code SQLite gives (Python 3.11's `sqlite_errorcode`), read from a real full database."""
    with contextlib.closing(sqlite3.connect(tmp_path / "small.sqlite3", isolation_level=None)) as db:
        db.execute("CREATE TABLE t (x BLOB)")
        db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0] + 1}")
        with pytest.raises(sqlite3.OperationalError) as caught:
            db.execute("INSERT INTO t VALUES (zeroblob(100000))")
    assert caught.value.sqlite_errorname == "SQLITE_FULL"
    wrapped = RuntimeError("the render failed")
    wrapped.__cause__ = caught.value
    assert storage_failure(caught.value) == storage_failure(wrapped) == "insufficient_storage"


def test_every_write_documents_its_storage_answers(client):
    """A client generated from the document knows a write may get 507 or 503, with `Retry-After`."""
    document = client.get("/schema/openapi.json").json()
    writes = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("put", "post", "delete", "patch")
    ]
    assert len(writes) > 20
    for path, method, operation in writes:
        for status in ("503", "507"):
            answer = operation["responses"].get(status)
            assert answer is not None, f"{method.upper()} {path} does not document {status}"
            assert "Retry-After" in answer["headers"], (method, path, status)
            assert "application/problem+json" in answer["content"], (method, path, status)


# --- file modes ---------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def _assert_private(data_dir: Path) -> None:
    assert _mode(data_dir) == 0o700
    for path in data_dir.rglob("*"):
        if path.is_dir():
            assert _mode(path) == 0o700, path
        elif path.is_file():
            assert _mode(path) == 0o600, path


def test_every_file_is_private_whatever_the_umask(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", render_workers=0)
    with umask(0o000), TestClient(create_app(settings)) as client:
        admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
        made = client.post("/v1/users", json={"name": "aigerim", "role": "auditor"}, headers=admin).json()
        tablet = {"Authorization": f"Bearer {made['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}
        tus = {"Tus-Resumable": "1.0.0"}

        def start(data: bytes) -> str:
            meta = tus_metadata(data)
            answer = client.post(
                "/v1/uploads", headers=tablet | tus | {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
            )
            assert answer.status_code == 201, answer.text
            return answer.headers["location"]

        chunk = tus | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        whole = client.patch(start(PHOTO), content=PHOTO, headers=tablet | chunk)  # a blob
        assert whole.status_code == 204, whole.text
        half = client.patch(start(PHOTO[::-1]), content=PHOTO[:1000], headers=tablet | chunk)  # a part file
        assert half.status_code == 204, half.text
        backup = client.post("/v1/admin/backup", json={"path": "daily/copy.sqlite3", "with_blobs": True}, headers=admin)
        assert backup.status_code == 200, backup.text
        assert backup.json()["blobs_copied"] == 1
        names = {p.relative_to(settings.data_dir).parts[0] for p in settings.data_dir.rglob("*")}
        assert {"tekseru.sqlite3", "tekseru.sqlite3-wal", "tekseru.sqlite3-shm", "admin.token"} <= names
        assert {"blobs", "uploads", "backups"} <= names
        _assert_private(settings.data_dir)


@pytest.mark.slow
def test_a_server_started_under_umask_0_keeps_its_files_private(tmp_path):
    with umask(0o000):
        server = LiveServer(tmp_path / "var").start()  # the server process inherits the umask
    try:
        assert (server.data_dir / "server.url").exists()
        assert (server.data_dir / "tekseru.sqlite3-wal").exists()
        _assert_private(server.data_dir)
    finally:
        server.stop()


def test_files_left_loose_by_an_older_version_are_made_private_at_start(tmp_path):
    data_dir = tmp_path / "var"
    with TestClient(create_app(Settings(data_dir=data_dir))):
        pass
    blob = data_dir / "blobs" / "ab" / "cd" / ("abcd" + "0" * 60)
    blob.parent.mkdir(parents=True)
    blob.write_bytes(b"evidence")
    for path in (data_dir, data_dir / "blobs", blob.parent):
        path.chmod(0o755)
    for path in (data_dir / "tekseru.sqlite3", data_dir / "admin.token", blob):
        path.chmod(0o644)
    with TestClient(create_app(Settings(data_dir=data_dir))):
        _assert_private(data_dir)


def test_a_data_directory_shared_with_other_files_keeps_its_mode(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    (shared / "notes.txt").write_text("someone else's file", encoding="utf-8")
    with TestClient(create_app(Settings(data_dir=shared))):
        assert _mode(shared) == 0o755  # not ours to tighten (a warning says so)
        assert _mode(shared / "tekseru.sqlite3") == 0o600


# --- backups only where the operator allows -----------------------------------------------------------


@pytest.fixture
def backup_client(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", backup_dir=tmp_path / "backups")
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
        yield client, admin, settings


@pytest.mark.parametrize(
    "path",
    [
        "../var/tekseru.sqlite3",
        "../elsewhere.sqlite3",
        "daily/../../elsewhere.sqlite3",
        "/tmp/tekseru-backup.sqlite3",
        "/etc/cron.d/tekseru",
        ".",
        "",
        "escape/copy.sqlite3",  # `escape` is a symlink out of the backup directory
        "copy\x00.sqlite3",
        "loop/copy.sqlite3",  # `loop` is a symlink to itself
    ],
)
def test_a_backup_outside_the_backup_directory_is_refused(backup_client, tmp_path, path):
    client, admin, settings = backup_client
    settings.backups.mkdir(exist_ok=True)
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (settings.backups / "escape").unlink(missing_ok=True)
    (settings.backups / "escape").symlink_to(outside)
    (settings.backups / "loop").unlink(missing_ok=True)
    (settings.backups / "loop").symlink_to(settings.backups / "loop")
    answer = client.post("/v1/admin/backup", json={"path": path}, headers=admin)
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] in ("backup_path_not_allowed", "invalid_request")
    if path:
        assert answer.json()["code"] == "backup_path_not_allowed"
    assert not list(outside.iterdir())
    assert not (tmp_path / "elsewhere.sqlite3").exists()


def test_a_backup_inside_it_is_written_and_says_what_it_holds(backup_client):
    client, admin, settings = backup_client
    answer = client.post("/v1/admin/backup", json={"path": "2026-12-07.sqlite3"}, headers=admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert Path(body["path"]) == (settings.backups / "2026-12-07.sqlite3").resolve()
    assert body["blobs_dir"] is None and body["blobs_copied"] == 0
    assert _mode(Path(body["path"])) == 0o600 and _mode(settings.backups) == 0o700
    again = client.post("/v1/admin/backup", json={"path": "2026-12-07.sqlite3"}, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "backup_exists"


def test_the_command_refuses_a_path_outside_and_copies_blobs_when_asked(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TEKSERU_BACKUP_DIR", raising=False)
    data_dir = tmp_path / "var"
    settings = Settings(data_dir=data_dir, render_workers=0)
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": f"Bearer {(data_dir / 'admin.token').read_text().strip()}"}
        made = client.post("/v1/users", json={"name": "aigerim", "role": "auditor"}, headers=admin).json()
        tablet = {"Authorization": f"Bearer {made['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}
        sha = hashlib.sha256(PHOTO).hexdigest()
        meta = tus_metadata(PHOTO)
        tus = {"Tus-Resumable": "1.0.0"}
        start = client.post(
            "/v1/uploads", headers=tablet | tus | {"Upload-Length": str(len(PHOTO)), "Upload-Metadata": meta}
        )
        chunk = tus | {"Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        assert client.patch(start.headers["location"], content=PHOTO, headers=tablet | chunk).status_code == 204

    capsys.readouterr()
    outside = tmp_path / "copy.sqlite3"
    assert main(["--data-dir", str(data_dir), "backup", str(outside)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "outside the backup directory" in err and "TEKSERU_BACKUP_DIR" in err
    assert not outside.exists()
    sneaky = data_dir / "backups" / ".." / "copy.sqlite3"
    assert main(["--data-dir", str(data_dir), "backup", str(sneaky)]) == 1
    assert not (data_dir / "copy.sqlite3").exists()

    plain = data_dir / "backups" / "plain.sqlite3"
    assert main(["--data-dir", str(data_dir), "backup", str(plain)]) == 0
    out = capsys.readouterr().out
    assert "evidence NOT included" in out and "1 blob(s)" in out and "--with-blobs" in out

    full = data_dir / "backups" / "full.sqlite3"
    assert main(["--data-dir", str(data_dir), "backup", str(full), "--with-blobs"]) == 0
    assert "1 of 1 blob(s) copied" in capsys.readouterr().out
    copied = full.with_name("full.sqlite3.blobs") / sha[:2] / sha[2:4] / sha
    assert copied.read_bytes() == PHOTO and _mode(copied) == 0o600
    with pytest.raises(SystemExit):
        main(["backup", "--help"])
    assert "does NOT include the evidence" in " ".join(capsys.readouterr().out.split())
