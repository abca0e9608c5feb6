"""A real `tekseru serve` process on a free port, for tests that need a socket or a kill -9."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (its workers and their resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def still_running(pids: set[int], timeout: float = 5.0) -> set[int]:
    """Those of `pids` still running after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while {p for p in pids if _running(p)} and time.monotonic() < deadline:
        time.sleep(0.05)
    return {p for p in pids if _running(p)}


class LiveServer:
    """Start `tekseru serve` on 127.0.0.1; stop it gently or with SIGKILL."""

    def __init__(self, data_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.env = {**os.environ, "TEKSERU_DATA_DIR": str(data_dir), **(env or {})}
        self.process: subprocess.Popen | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    def start(self, timeout: float = 30.0) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port), *self.args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def admin_headers(self) -> dict[str, str]:
        token = (self.data_dir / "admin.token").read_text().strip()
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)

    def kill_with_workers(self) -> int:
        """SIGKILL the server; its worker processes (pushes, scorecards) must not outlive it.

        Answers how many processes it had started (workers and their resource tracker).
        """
        assert self.process is not None
        workers = children(self.process.pid)
        self.kill()
        assert not still_running(workers), "a worker process outlived the killed server"
        return len(workers)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
