"""Files the server writes beside its database, all private to the user it runs as.

The data directory is 0700 and every file in it 0600 whatever the umask: the database holds
tokens' hashes, names and scores, the blobs are evidence of people at work, and a backup is all
of that again. A mode is given when a file is created (never fixed after its first byte), and
`secure_data_dir` tightens what an older version or a loose umask left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
from pathlib import Path

from server.blobs import blob_path

log = logging.getLogger("tekseru")

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
BACKUPS_DIR = "backups"
# What the server itself puts in its data directory: a directory holding anything else may be
# shared with other programs, so its mode is left alone (with a warning) rather than tightened.
OWN_ENTRIES = (
    "tekseru.sqlite3",
    "admin.token",
    "server.url",
    "demo-tokens.txt",
    "blobs",
    "uploads",
    "damaged-blobs",
    BACKUPS_DIR,
    ".write-probe",
)


def write_private(path: Path, text: str) -> None:
    """Write a file readable only by its owner (created 0600 before any byte is written)."""
    make_private_dir(path.parent)
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)  # a .tmp left by a crash keeps its old mode otherwise
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def make_private_dir(path: Path) -> None:
    """`mkdir -p` whose last directory is 0700 (its parents get the usual mode)."""
    if not path.is_dir():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            pass
        else:
            os.chmod(path, PRIVATE_DIR)  # mkdir's mode passes through the umask; chmod's does not


def make_private_file(path: Path, create: bool = False) -> None:
    """Make `path` 0600 (creating it empty when `create` and it does not exist)."""
    if create:
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    _tighten(path, PRIVATE_FILE)


def _tighten(path: Path, mode: int) -> None:
    """chmod `path` to `mode` when it is ours and looser; leave what is missing or not ours."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) == mode:
        return
    os.chmod(path, mode)


def secure_data_dir(data_dir: Path) -> None:
    """Make the data directory 0700 and what the server keeps in it 0600 (its folders 0700).

    Run at every start, so a data directory made by an older version or under a loose umask is
    tightened. A directory that holds files of other programs keeps its mode (a warning says so).
    """
    make_private_dir(data_dir)
    foreign = [entry.name for entry in data_dir.iterdir() if not _own_entry(entry.name)]
    if foreign:
        log.warning(
            "the data directory %s holds files the server did not make (%s); its mode is left as it is",
            data_dir,
            ", ".join(sorted(foreign)[:5]),
        )
    else:
        _tighten(data_dir, PRIVATE_DIR)
    for name in OWN_ENTRIES:
        entry = data_dir / name
        if entry.is_dir() and not entry.is_symlink():
            _tighten_tree(entry)
        else:
            _tighten(entry, PRIVATE_FILE)
    for suffix in ("-wal", "-shm", "-journal"):
        _tighten(data_dir / f"tekseru.sqlite3{suffix}", PRIVATE_FILE)


def _own_entry(name: str) -> bool:
    return name.startswith("tekseru.sqlite3") or name.removesuffix(".tmp") in OWN_ENTRIES


def _tighten_tree(folder: Path) -> None:
    _tighten(folder, PRIVATE_DIR)
    for root, dirs, names in os.walk(folder):
        for name in dirs:
            _tighten(Path(root) / name, PRIVATE_DIR)
        for name in names:
            _tighten(Path(root) / name, PRIVATE_FILE)


def backup_target(backup_dir: Path, requested: str | Path) -> Path | None:
    """The requested backup path, resolved (symlinks, `..`), if it lies inside `backup_dir`; else None.

    A relative path is taken inside the backup directory. Both sides are resolved before they
    are compared, so `backups/../tekseru.sqlite3` or a symlink out of the directory is refused.
    """
    allowed = backup_dir.resolve()
    try:
        target = (allowed / requested).resolve()
    except (ValueError, OSError, RuntimeError):  # a NUL byte, a loop of symlinks: no path for a backup
        return None
    if target == allowed or not target.is_relative_to(allowed):
        return None
    return target


def claim_backup_file(backup_dir: Path, target: Path) -> None:
    """Create the backup's folders (0700) below `backup_dir` and its file, empty and 0600.

    `VACUUM INTO` then fills the empty file and keeps its mode (SQLite would create a new file
    with the umask's mode). FileExistsError when something is already at `target`.
    """
    root = backup_dir.resolve()
    make_private_dir(root)
    folder = root
    for part in target.parent.relative_to(root).parts:
        folder = folder / part
        make_private_dir(folder)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def blobs_beside(target: Path) -> Path:
    """Where a backup's evidence blobs go: `<backup>.blobs/ab/cd/<sha256>`, the data directory's layout."""
    return target.with_name(target.name + ".blobs")


def copy_blobs(data_dir: Path, hashes: list[str], into: Path) -> tuple[int, int]:
    """Copy the named blobs into `into` (files 0600, folders 0700), each checked against its SHA-256.

    Returns (copied, bytes). A blob that is missing or no longer matches its hash is left out
    (`tekseru blobs verify` names it); the copy never holds bytes that are not the evidence.
    """
    make_private_dir(into)
    copied = size = 0
    for sha256 in hashes:
        source = blob_path(data_dir, sha256)
        target = into / sha256[:2] / sha256[2:4] / sha256
        make_private_dir(target.parent.parent)
        make_private_dir(target.parent)
        digest = hashlib.sha256()
        try:
            with open(source, "rb") as src:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
                with os.fdopen(fd, "wb") as dst:
                    while block := src.read(1 << 20):
                        digest.update(block)
                        dst.write(block)
                    dst.flush()
                    os.fsync(dst.fileno())
        except FileNotFoundError:
            continue
        if digest.hexdigest() != sha256:
            target.unlink()
            continue
        copied += 1
        size += target.stat().st_size
    return copied, size
