"""Evidence files beside the database: content-addressed blobs and the parts of unfinished uploads.

Pure file I/O: no HTTP, no SQL. The default blob store (`server.blobstore.LocalBlobs`); a bucket
is `server.blobstore.S3Blobs`. A blob lives at `<data_dir>/blobs/ab/cd/<sha256>` and only ever
gets there by an atomic rename of a complete, fsynced file whose SHA-256 was checked, so a file at
a blob path is always whole and right (a kill -9 leaves either the part or the blob, never half a
blob). An upload's bytes collect in `<data_dir>/uploads/<upload_id>.part`: each chunk is appended
and fsynced before the database moves the upload's offset, and bytes past that offset (a crash
mid-chunk, a rejected chunk) are cut off before the next chunk is appended.

A file can still change at rest (a disk, a hand, a restore): `check_blob_file` reads one whole and
notes its identity (`file_identity`), which stands in for a rehash while it stays the same, and
`set_aside` moves a damaged one out of the blob tree.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import NamedTuple

PART_SUFFIX = ".part"
DAMAGED_DIR = "damaged-blobs"
_IOV_MAX = 1024


class PartLost(Exception):
    """The part file holds fewer bytes than the upload's acknowledged offset (it was removed or cut)."""


def blob_path(data_dir: Path, sha256: str) -> Path:
    """Where the blob with this (lower-case hex) SHA-256 lives."""
    return data_dir / "blobs" / sha256[:2] / sha256[2:4] / sha256


def part_path(data_dir: Path, upload_id: str) -> Path:
    """Where the bytes of an unfinished upload collect."""
    return data_dir / "uploads" / (upload_id + PART_SUFFIX)


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a new or renamed file in it) durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(path: Path) -> None:
    """`mkdir -p`, fsyncing the parent of every directory it creates."""
    if path.is_dir():
        return
    _make_dirs(path.parent)
    try:
        path.mkdir(mode=0o700)  # private whatever the umask (it can only take bits away from 0700)
    except FileExistsError:
        return
    fsync_dir(path.parent)


class PartWriter:
    """Appends one chunk to an upload's part file at its acknowledged offset.

    Bytes past that offset were never acknowledged (a crash mid-chunk, a rejected chunk): they are
    cut off first. Hashing is the caller's: the same blocks go to the hashes on other threads.
    """

    def __init__(self, path: Path, offset: int) -> None:
        if offset == 0:
            _make_dirs(path.parent)
        existed = path.exists()
        if not existed and offset > 0:
            raise PartLost(path.name)
        self.path = path
        self.base = offset
        self.written = 0
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            if os.fstat(self._fd).st_size < offset:
                raise PartLost(path.name)
            if not existed:
                fsync_dir(path.parent)
            os.ftruncate(self._fd, offset)
            os.lseek(self._fd, offset, os.SEEK_SET)
        except BaseException:
            os.close(self._fd)
            raise

    def write(self, pieces: Sequence[bytes]) -> None:
        """Append the pieces, in order, and start writing them to the disk (`sync` waits for them).

        Blocking, and without the GIL for most of its time: call it from a worker thread.
        """
        start = self.base + self.written
        left = [memoryview(p) for p in pieces if p]
        while left:
            done = os.writev(self._fd, left[:_IOV_MAX])
            self.written += done
            while done and left:
                if done >= len(left[0]):
                    done -= len(left.pop(0))
                else:
                    left[0] = left[0][done:]
                    done = 0
        # The chunk's fsync waits for every byte to reach the disk: started now, the disk writes
        # while the next blocks arrive instead of all at once before the answer. (DONTNEED starts
        # the writeback of the range's dirty pages; it leaves them cached, and is ignored where
        # pages have no disk behind them, as on tmpfs.)
        with contextlib.suppress(OSError):
            os.posix_fadvise(self._fd, start, self.base + self.written - start, os.POSIX_FADV_DONTNEED)

    def rollback(self) -> None:
        """Forget what this writer appended: the file ends at the acknowledged offset again."""
        os.ftruncate(self._fd, self.base)
        os.lseek(self._fd, self.base, os.SEEK_SET)
        self.written = 0

    def sync(self) -> None:
        """fsync the file: the appended bytes survive a crash."""
        os.fsync(self._fd)

    def close(self) -> None:
        """Close the file (what was not synced may still be lost to a crash)."""
        os.close(self._fd)


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of a whole file, read in blocks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def promote(part: Path, data_dir: Path, sha256: str) -> Path:
    """Rename a complete, fsynced and verified part into its blob path (atomic), and make that durable."""
    target = blob_path(data_dir, sha256)
    _make_dirs(target.parent)
    os.replace(part, target)
    fsync_dir(target.parent)
    fsync_dir(part.parent)
    return target


def write_blob(data_dir: Path, sha256: str, data: bytes) -> Path:
    """Put bytes already in hand (the demo's photos) at their blob path, 0600 and durable, as `promote` does."""
    target = blob_path(data_dir, sha256)
    _make_dirs(target.parent)
    part = target.with_name(target.name + PART_SUFFIX)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(part, target)
    fsync_dir(target.parent)
    return target


def _identity(st: os.stat_result) -> str:
    return f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}"


def file_identity(path: Path) -> str | None:
    """What a verified marker records of a file (device, inode, size, mtime, ctime), or None when there is none.

    A write in place moves mtime and ctime, a rename into place brings another inode, and ctime
    cannot be set back by hand, so an unchanged identity means unchanged bytes.
    """
    try:
        return _identity(os.stat(path))
    except FileNotFoundError:
        return None


class FileCheck(NamedTuple):
    """What reading a blob file whole found: the identity of the file read (None: no file) and whether it is right."""

    identity: str | None
    intact: bool


def check_blob_file(data_dir: Path, sha256: str, size: int) -> FileCheck:
    """Read the blob file whole: intact when it has the recorded size and the SHA-256 of its name. Blocking."""
    try:
        f = open(blob_path(data_dir, sha256), "rb")  # noqa: SIM115 (closed below; opening is what may fail)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return FileCheck(None, False)
    with f:
        before = _identity(os.fstat(f.fileno()))
        digest = hashlib.file_digest(f, "sha256").hexdigest()
        after = os.fstat(f.fileno())
    # Nothing of ours writes a blob in place: a write while it was read is damage, whatever the hash said.
    return FileCheck(_identity(after), digest == sha256 and before == _identity(after) and after.st_size == size)


def set_aside(data_dir: Path, sha256: str) -> Path | None:
    """Move a damaged blob file out of the blob tree, to `<data_dir>/damaged-blobs/` (kept to look at, never served)."""
    source = blob_path(data_dir, sha256)
    target = data_dir / DAMAGED_DIR / sha256
    _make_dirs(target.parent)
    try:
        os.replace(source, target)
    except FileNotFoundError:
        return None
    fsync_dir(source.parent)
    fsync_dir(target.parent)
    return target


def stored_size(data_dir: Path, sha256: str) -> int | None:
    """The size of the blob file with this hash, or None when there is none."""
    try:
        return blob_path(data_dir, sha256).stat().st_size
    except FileNotFoundError:
        return None


def remove_part(data_dir: Path, upload_id: str) -> None:
    """Delete an upload's part file, if any (a left-over one is cut or swept anyway)."""
    part_path(data_dir, upload_id).unlink(missing_ok=True)


def sweep_parts(data_dir: Path, keep: Collection[str]) -> list[str]:
    """Delete part files of uploads not in `keep` (their rows expired or were discarded); return their ids."""
    folder = data_dir / "uploads"
    if not folder.is_dir():
        return []
    removed = []
    for entry in folder.iterdir():
        upload_id = entry.name.removesuffix(PART_SUFFIX)
        if entry.name.endswith(PART_SUFFIX) and upload_id not in keep:
            entry.unlink(missing_ok=True)
            removed.append(upload_id)
    return removed
