"""Evidence upload throughput: a 50 MB recording in 5 MB tus chunks to a real server on 127.0.0.1.

Compared with the raw ceiling of the disk: the same bytes written and fsynced once, in one
process, into the same data directory. The upload pays for what that ceiling does not: HTTP, a
checksum per chunk, an fsync and a database commit per chunk (each acknowledged offset is
durable), the SHA-256 of the whole file, and the rename into the content-addressed path. The
server's RSS is sampled throughout: it must stay flat (a chunk is streamed to disk, never held
whole). Sizes are in MiB (`MB` below means 2**20 bytes).

The CPU seconds per upload, of the server's event loop thread, of its other threads (the part
file's writes and the hashes run there) and of this load generator, tell what bounds the
ratio: on a machine with two cores, their sum over the upload's wall time near 2 means the
upload waits for CPU, not for the disk.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from bench.common import Row, Server, checked, proc_cpu_seconds, proc_status

MB = 1 << 20
RATIO_TARGET = 0.5
RSS_GROWTH_LIMIT_MB = 20


def _chunks(data: bytes, size: int) -> list[tuple[int, bytes, str]]:
    """(offset, bytes, Upload-Checksum) of each chunk; a tablet hashes a chunk while the previous one travels."""
    out = []
    for offset in range(0, len(data), size):
        chunk = data[offset : offset + size]
        out.append((offset, chunk, "sha256 " + base64.b64encode(hashlib.sha256(chunk).digest()).decode()))
    return out


def raw_ceiling(folder: Path, chunks: list[tuple[int, bytes, str]]) -> float:
    """Seconds to write the bytes to a new file in `folder` and fsync it, in one process."""
    path = folder / f"raw-{uuid.uuid4().hex}.bin"
    start = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        for _, chunk, _ in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - start
    path.unlink()
    return elapsed


def thread_cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU seconds so far of a process's main thread (the event loop), and of all its other threads."""
    main = other = 0.0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # a thread that ended meanwhile
        seconds = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        if task.name == str(pid):
            main += seconds
        else:
            other += seconds
    return main, other


def upload(api: httpx.Client, chunks: list[tuple[int, bytes, str]], length: int, sha256: str) -> float:
    """Seconds from the tus POST to the answer of the last PATCH (the blob verified, renamed, committed)."""
    metadata = (
        f"sha256 {base64.b64encode(sha256.encode()).decode()},content_type {base64.b64encode(b'audio/mp4').decode()}"
    )
    start = time.perf_counter()
    created = checked(api.post("/v1/uploads", headers={"Upload-Length": str(length), "Upload-Metadata": metadata}), 201)
    location = created.headers["location"]
    for offset, chunk, checksum in chunks:
        headers = {
            "Upload-Offset": str(offset),
            "Upload-Checksum": checksum,
            "Content-Type": "application/offset+octet-stream",
        }
        answer = checked(api.patch(location, content=chunk, headers=headers), 204)
        assert int(answer.headers["upload-offset"]) == offset + len(chunk)
    return time.perf_counter() - start


def run(quick: bool) -> list[dict]:
    """Upload throughput, the raw disk ceiling, their ratio, and the server's RSS (rows for `python -m bench`)."""
    size_mb, chunk_mb, repeats = (10, 1, 1) if quick else (50, 5, 3)
    with tempfile.TemporaryDirectory(prefix="tekseru-bench-uploads-") as tmp:
        server = Server(Path(tmp) / "var").start()
        try:
            made = checked(
                httpx.post(
                    f"{server.url}/v1/users",
                    json={"name": "bench-auditor", "role": "auditor"},
                    headers=server.admin_headers(),
                ),
                200,
                201,
            ).json()
            headers = {
                "Authorization": f"Bearer {made['token']}",
                "Tekseru-Device-Id": str(uuid.uuid4()),
                "Tus-Resumable": "1.0.0",
            }
            rng = random.Random(5)
            uploads, ceilings = [], []
            with httpx.Client(base_url=server.url, headers=headers, timeout=120) as api:
                # A small upload first, so the RSS baseline includes a warmed-up upload path.
                warm = rng.randbytes(MB)
                upload(api, _chunks(warm, MB), len(warm), hashlib.sha256(warm).hexdigest())
                baseline = proc_status(server.pid, "VmRSS")
                server.max_rss = 0
                cpu = [0.0, 0.0, 0.0]  # the server's event loop, its other threads, this client
                for _ in range(repeats):
                    data = rng.randbytes(size_mb * MB)  # a new recording each time: nothing is already stored
                    chunks = _chunks(data, chunk_mb * MB)
                    ceilings.append(raw_ceiling(server.data_dir, chunks))
                    before = (*thread_cpu_seconds(server.pid), proc_cpu_seconds(os.getpid()))
                    uploads.append(upload(api, chunks, len(data), hashlib.sha256(data).hexdigest()))
                    after = (*thread_cpu_seconds(server.pid), proc_cpu_seconds(os.getpid()))
                    cpu = [total + b - a for total, a, b in zip(cpu, before, after, strict=True)]
                    del data, chunks
            peak = max(server.max_rss, proc_status(server.pid, "VmRSS"))
        finally:
            server.stop()
    upload_mbs = size_mb / statistics.median(uploads)
    raw_mbs = size_mb / statistics.median(ceilings)
    ratio = upload_mbs / raw_mbs
    growth = max(0, peak - baseline) / MB
    label = f"{size_mb} MB in {chunk_mb} MB chunks"
    loop_ms, threads_ms, client_ms = (1000 * seconds / repeats for seconds in cpu)
    wall_ms = 1000 * statistics.mean(uploads)
    return [
        Row(f"upload throughput, tus ({label}, sha256 per chunk)", round(upload_mbs, 1), "MB/s").as_dict(),
        Row(f"raw ceiling: write + fsync ({size_mb} MB, same disk)", round(raw_mbs, 1), "MB/s").as_dict(),
        Row("upload / raw ceiling", round(ratio, 2), "", f">= {RATIO_TARGET}", ratio >= RATIO_TARGET).as_dict(),
        Row(
            "server RSS growth during uploads",
            round(growth, 1),
            "MB",
            f"< {RSS_GROWTH_LIMIT_MB} MB (flat; file {size_mb} MB)",
            growth < RSS_GROWTH_LIMIT_MB,
        ).as_dict(),
        Row("server peak RSS during uploads", round(peak / MB, 1), "MB").as_dict(),
        Row("upload wall time (mean)", round(wall_ms), f"ms per {size_mb} MB").as_dict(),
        Row("server CPU: event loop thread", round(loop_ms), f"ms per {size_mb} MB").as_dict(),
        Row("server CPU: other threads (writes, hashes, SQLite)", round(threads_ms), f"ms per {size_mb} MB").as_dict(),
        Row("load generator CPU (client)", round(client_ms), f"ms per {size_mb} MB").as_dict(),
        Row(
            "CPU busy during an upload (server + client)",
            round((loop_ms + threads_ms + client_ms) / wall_ms, 2),
            f"cores of {os.cpu_count()}",
        ).as_dict(),
    ]


if __name__ == "__main__":
    from bench.common import markdown

    print(markdown([Row(**row) for row in run(quick=False)]))
