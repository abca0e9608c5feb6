"""What the measurements share: the server under test, the simulated organisation, push bodies, table rows."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
import msgspec

from bench.stores import SQLITE, Loader, Store, backend_pids, create_database, drop_database

ALMATY = dt.timezone(dt.timedelta(hours=5))
CHECKLIST = {"id": "branch", "version": 1}
BATCH = 50  # submissions per push
N_UNITS = 500
N_STAFF = 5000
N_ASSIGNMENTS = 50
PAGE = 5000  # pull page size


# --- table rows ------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the result table; `ok` is None for a figure without a target."""

    name: str
    value: float | int | str
    unit: str = ""
    target: str = ""
    ok: bool | None = None

    def cells(self) -> list[str]:
        if isinstance(self.value, str):
            value = self.value
        else:
            value = f"{self.value:,.2f}" if isinstance(self.value, float) else f"{self.value:,}"
        ok = "" if self.ok is None else ("yes" if self.ok else "**NO**")
        return [self.name, f"{value} {self.unit}".strip(), self.target, ok]

    def as_dict(self) -> dict:
        return asdict(self)


def markdown(rows: list[Row]) -> str:
    lines = ["| name | value | target | ok |", "| --- | ---: | --- | --- |"]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of the values; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- the server under test -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM) in bytes; 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it (the server and its worker processes)."""
    return [p for p, _ in process_levels(pid)]


def process_levels(pid: int) -> list[tuple[int, int]]:
    """`pid` and every process below it, each with its depth below `pid` (0 for `pid` itself)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [(pid, 0)]
    while todo:
        pid_, depth = todo.pop()
        tree.append((pid_, depth))
        todo += [(child, depth + 1) for child in children.get(pid_, [])]
    return tree


class Server:
    """`tekseru serve` on a free 127.0.0.1 port in its own data directory, with its RSS sampled.

    The store is the SQLite file in the data directory, or a PostgreSQL database created at the
    first start and dropped by `close` (`bench.stores`); with PostgreSQL, `store.processes` server
    processes share the port (`--workers`). RSS and CPU are of every process the command started:
    the server process(es), the supervisor above several, and their push and render workers.
    """

    def __init__(self, data_dir: Path, store: Store = SQLITE) -> None:
        self.data_dir = data_dir
        self.store = store
        self.database_url: str | None = None
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = data_dir.parent / "server.log"
        self.process: subprocess.Popen | None = None
        self.max_rss = 0
        self._stop_sampling = threading.Event()
        self._sampler: threading.Thread | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60.0) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TEKSERU_DATA_DIR": str(self.data_dir)}
        env.pop("TEKSERU_DATABASE_URL", None)
        if self.store.kind == "postgresql":
            if self.database_url is None:
                self.database_url = create_database()
            env["TEKSERU_DATABASE_URL"] = self.database_url
        command = [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)]
        if self.store.processes > 1:
            # The supervisor makes admin.token once, before its processes start.
            command += ["--workers", str(self.store.processes)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"server did not start in {timeout} s: {self.log.read_text()[-2000:]}")
        self._stop_sampling = threading.Event()  # one per start: a restarted server is sampled again
        self._sampler = threading.Thread(target=self._sample, args=(self.pid, self._stop_sampling), daemon=True)
        self._sampler.start()
        return self

    def _sample(self, pid: int, stop: threading.Event) -> None:
        while not stop.wait(0.1):
            self.max_rss = max(self.max_rss, sum(proc_status(p, "VmRSS") for p in process_tree(pid)))

    def peak_rss(self) -> int:
        """The largest resident set seen: the kernel's high-water mark, or the largest sample."""
        return max(self.max_rss, proc_status(self.pid, "VmHWM"))

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU seconds so far of the server process(es) (with the supervisor of several), and of their workers."""
        servers = 0 if self.store.processes == 1 else 1  # the depth of the processes that serve requests
        serving = workers = 0.0
        for pid, depth in process_levels(self.pid):
            if depth <= servers:
                serving += proc_cpu_seconds(pid)
            else:
                workers += proc_cpu_seconds(pid)
        return serving, workers

    def database_cpu(self) -> dict[int, float]:
        """CPU seconds so far of each PostgreSQL backend serving the server's database (none for SQLite)."""
        if self.database_url is None:
            return {}
        return {pid: proc_cpu_seconds(pid) for pid in backend_pids(self.database_url)}

    def loader(self) -> Loader:
        """A transaction straight into the store, for generated rows (the server stopped)."""
        return Loader(self.data_dir / "tekseru.sqlite3", self.database_url)

    def admin_headers(self) -> dict[str, str]:
        token = (self.data_dir / "admin.token").read_text().strip()
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> None:
        self._stop_sampling.set()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)

    def close(self) -> None:
        """Stop the server, and drop its PostgreSQL database."""
        try:
            self.stop()
        finally:
            if self.database_url is not None:
                drop_database(self.database_url)
                self.database_url = None


# --- the simulated organisation -------------------------------------------------------------------------


@dataclass
class Tablet:
    """One auditor's tablet: the token it was given and the device id it sends."""

    name: str
    token: str
    device_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Tekseru-Device-Id": self.device_id}


@dataclass
class Org:
    units: list[str]
    staff: list[str]
    tablets: list[Tablet]  # the load generator's, one auditor each
    dup: Tablet  # for the duplicate test
    puller: str  # the auditor holding the 50 assignments (no submissions)
    answers: list[list[dict]]  # a few valid answer sets for the branch checklist
    required: int
    items: int
    standards: int


def checked(response: httpx.Response, *ok: int) -> httpx.Response:
    if response.status_code not in (ok or (200,)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}"
        )
    return response


def new_auditor(api: httpx.Client, name: str) -> Tablet:
    body = checked(api.post("/v1/users", json={"name": name, "role": "auditor"}), 200, 201).json()
    return Tablet(name=name, token=body["token"], device_id=str(uuid.uuid4()))


def new_device(api: httpx.Client, name: str) -> Tablet:
    """Another token of the auditor, to be bound to a device never seen before."""
    body = checked(api.post(f"/v1/users/{name}/tokens"), 200, 201).json()
    return Tablet(name=name, token=body["token"], device_id=str(uuid.uuid4()))


def answer_sets(checklist: dict, variants: int = 8, seed: int = 1) -> tuple[list[list[dict]], int, int]:
    """Valid answer lists: every required item answered with a valid value of its kind, optional ones left out.

    The branch checklist requires 56 of its 58 items, so a submission has 56 answers (the issue's
    "40 answers" cannot be met without leaving required items out, which would quarantine it).
    """
    rng = random.Random(seed)
    items = [item for standard in checklist["standards"] for item in standard["items"]]
    required = [item for item in items if item.get("required", True)]

    def value(item: dict) -> object:
        kind = item["kind"]
        if kind == "yes_no":
            return rng.random() < 0.85
        if kind == "scale":
            return rng.randint(int(item["min"]), int(item["max"]))
        if kind == "duration":
            return rng.randint(0, 1200)
        if kind == "choice":
            return rng.choice(item["options"])["id"]
        if kind == "number":
            return rng.randint(0, 12)
        if kind == "text":
            return "ok"
        raise ValueError(f"cannot answer a required {kind} item ({item['id']})")

    sets = [[{"item": item["id"], "value": value(item)} for item in required] for _ in range(variants)]
    return sets, len(required), len(items)


def setup_org(api: httpx.Client, n_tablets: int) -> Org:
    """Units, staff, auditors and assignments through the admin API, as an operator would."""
    units = [f"U{i:04d}" for i in range(N_UNITS)]
    staff = [f"E{i:05d}" for i in range(N_STAFF)]
    csv_units = "unit_id,kind,name,region\n" + "".join(
        f"{u},branch,Branch {u},Region {i % 17}\n" for i, u in enumerate(units)
    )
    csv_staff = "staff_id,name,unit_id,position\n" + "".join(
        f"{s},Staff member {s},{units[i % N_UNITS]},operator\n" for i, s in enumerate(staff)
    )
    csv = {"Content-Type": "text/csv"}
    checked(api.post("/v1/admin/import/units", content=csv_units.encode(), headers=csv))
    checked(api.post("/v1/admin/import/staff", content=csv_staff.encode(), headers=csv))
    tablets = [new_auditor(api, f"auditor{i:02d}") for i in range(n_tablets)]
    dup = new_auditor(api, "dup-tester")
    puller = new_auditor(api, "puller").name
    today = dt.date.today()
    for i in range(N_ASSIGNMENTS):
        body = {
            "auditor": puller,
            "unit_id": units[i * 7 % N_UNITS],
            "checklist_id": CHECKLIST["id"],
            "due_from": today.isoformat(),
            "due_to": (today + dt.timedelta(days=30)).isoformat(),
        }
        checked(api.put(f"/v1/assignments/A-BENCH-{i:03d}", json=body), 200, 201)
    version = checked(api.get(f"/v1/checklists/{CHECKLIST['id']}/versions/{CHECKLIST['version']}")).json()
    answers, required, items = answer_sets(version["checklist"])
    standards = len(version["checklist"]["standards"])
    return Org(units, staff, tablets, dup, puller, answers, required, items, standards)


# --- push bodies -------------------------------------------------------------------------------------


class PushMaker:
    """Builds a tablet's push bodies fast: the answer lists are encoded once and embedded raw."""

    def __init__(self, device_id: str, units: list[str], staff: list[str], answers: list[list[dict]], seed: int):
        self.device_id = device_id
        self.units = units
        self.staff = staff
        self.answers = [msgspec.Raw(msgspec.json.encode(a)) for a in answers]
        self.rng = random.Random(seed)
        self.counter = 0

    def revision(self, now: dt.datetime) -> dict:
        self.counter += 1
        millis = int(now.timestamp() * 1000)
        return {
            "rev_id": str(uuid.uuid4()),
            "submission_id": str(uuid.uuid4()),
            "parents": [],
            "hlc": f"{millis:016d}:{self.counter % 10000:04d}:{self.device_id}",
            "checklist": CHECKLIST,
            "unit_id": self.rng.choice(self.units),
            "staff_ids": [self.rng.choice(self.staff)],
            "started_at": (now - dt.timedelta(minutes=25)).isoformat(timespec="milliseconds"),
            "finished_at": now.isoformat(timespec="milliseconds"),
            "state": "submitted",
            "answers": self.rng.choice(self.answers),
        }

    def revisions(self, n: int = BATCH) -> list[dict]:
        now = dt.datetime.now(ALMATY)
        return [self.revision(now) for _ in range(n)]

    def body(self, revisions: list[dict]) -> bytes:
        sent_at = dt.datetime.now(ALMATY).isoformat(timespec="milliseconds")
        return msgspec.json.encode({"device_id": self.device_id, "sent_at": sent_at, "revisions": revisions})


class ReceiptStatus(msgspec.Struct):
    status: str


class PushReply(msgspec.Struct):
    receipts: list[ReceiptStatus]


def statuses(content: bytes) -> list[str]:
    return [r.status for r in msgspec.json.decode(content, type=PushReply).receipts]


# --- console pages --------------------------------------------------------------------------------


def console_sign_in(client: httpx.Client, user: str, password: str) -> None:
    """Sign `client` in to the console through `/login`, as a browser does (the form's CSRF token)."""
    form = checked(client.get("/login")).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {"username": user, "password": password, "csrf_token": token.group(1) if token else ""}
    answer = client.post("/login", data=data)
    if answer.status_code != 303 or answer.headers.get("location", "").startswith("/login"):
        raise RuntimeError(f"sign-in failed: {answer.status_code} {answer.text[:300]}")


def page_times(client: httpx.Client, path: str, trials: int) -> tuple[float, float, str]:
    """p50 and p95 in ms of GET `path`, after two unmeasured requests; and the last page."""
    times, body = [], ""
    for n in range(trials + 2):
        started = time.perf_counter()
        answer = client.get(path)
        elapsed = 1000 * (time.perf_counter() - started)
        body = checked(answer).text
        if n >= 2:
            times.append(elapsed)
    return percentile(times, 50), percentile(times, 95), body
