"""Evidence uploads over tus 1.0.0 (core, creation, checksum): the headers, offsets, checksums and life of an upload.

A chunk is read as a stream and appended to the upload's parts as it arrives (never whole in
memory), made durable, and only then acknowledged by moving the upload's offset in the database. A
chunk cut off by a broken connection keeps the bytes received up to the last one, unless it
carries an `Upload-Checksum`: a cut chunk cannot be checked, so it is dropped whole and the
offset stays. When the last byte arrives the whole file's SHA-256 must be the one announced, or
the upload is discarded; a verified file is renamed into its content-addressed path in the same
transaction that records the blob and moves waiting submissions out of `awaiting_evidence`.

Where the bytes live is the blob store's (`server.blobstore`): part files in the data directory,
or one object per chunk in a bucket, where the database's offset and the chunk objects let any
server process continue an upload; the blob object is assembled and read back before it is recorded.

Each byte is hashed once per hash it feeds: the chunk's own checksum (verified before the chunk
is acknowledged) and the whole file's SHA-256, carried from chunk to chunk in memory and read
again from the parts only when this process did not receive the upload's earlier chunks (a
restart, or another server process). A chunk from byte 0 with a `sha256` checksum feeds one hash
that is both. The parts, the checksum and the running hash each take every block on their own
worker thread (hashlib and writes let go of the GIL), while the event loop receives the next block.

In one process one request writes: a PATCH holds its upload for the time of the request, and a
new PATCH to the same upload stops an earlier one still receiving (a connection that died on the
road without a word), which keeps what it received; the newcomer then sees the new offset. Across
processes the offset moves only from where a chunk started (`store.advance`), so of two chunks
sent at once to the same offset one counts.

A stored blob counts as present only while its file holds its bytes: `server.sync.evidence`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import re
import secrets
import sqlite3
from collections.abc import AsyncIterable, AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

import anyio

from server.auth import Principal
from server.blobstore import BlobStore, BlobStoreUnavailable, ChunkWriter, PartLost
from server.clock import now_iso
from server.db import Database
from server.errors import ProblemError
from server.settings import Settings
from server.store import blobs as store
from server.store.views import Refresh
from server.sync.evidence import intact
from server.sync.refresh import refresher

log = logging.getLogger("tekseru")

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,checksum"
OFFSET_MEDIA_TYPE = "application/offset+octet-stream"
# The checksums a chunk may carry (tus `checksum` extension): sha1, which tus requires, and sha256.
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
ALLOWED_CONTENT_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/heic",
        "image/webp",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/ogg",
        "audio/wav",
        "audio/webm",
        "audio/amr",
    }
)
# Every tus answer carries it, errors included.
TUS = {"Tus-Resumable": TUS_VERSION}
# Bytes gathered before a block goes to the worker threads: large enough that a thread hop and a
# write are few per MiB, small enough that two blocks in flight keep the server's memory flat.
BLOCK_BYTES = 1 << 20

# Whole-string checks: `fullmatch`, since `$` alone also matches before a final newline.
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DIGITS = re.compile(r"[0-9]{1,19}")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


class BodyCut(Exception):
    """The client went away before the chunk's last byte (raised by the body stream a route hands in)."""


class Announced(NamedTuple):
    """What `Upload-Metadata` says of the file: its SHA-256 (hex) and its content type."""

    sha256: str
    content_type: str


class Checksum(NamedTuple):
    """A chunk's `Upload-Checksum`: the algorithm and the digest it must have."""

    algorithm: str
    digest: bytes


# --- the headers ------------------------------------------------------------------------------------------


def problem(status: int, code: str, detail: str, **headers: str) -> ProblemError:
    """A problem answer that carries `Tus-Resumable` (and any other headers given)."""
    return ProblemError(status, code, detail, headers={**TUS, **headers})


def check_version(raw: str | None) -> None:
    """412 `tus_version` unless `Tus-Resumable` is the version this server speaks."""
    if raw != TUS_VERSION:
        raise problem(
            412,
            "tus_version",
            f"this server speaks tus {TUS_VERSION}: send `Tus-Resumable: {TUS_VERSION}`",
            **{"Tus-Version": TUS_VERSION},
        )


def check_chunk_type(raw: str | None) -> None:
    """415 unless a chunk is sent as `application/offset+octet-stream`."""
    if (raw or "").partition(";")[0].strip().lower() != OFFSET_MEDIA_TYPE:
        raise problem(415, "unsupported_media_type", f"a chunk is sent as `{OFFSET_MEDIA_TYPE}`")


def number(name: str, raw: str | None) -> int:
    """The value of a tus number header (`Upload-Length`, `Upload-Offset`), or 400 `invalid_header`."""
    if raw is None or not _DIGITS.fullmatch(raw.strip()):
        raise problem(400, "invalid_header", f"`{name}` must be a non-negative integer")
    return int(raw)


def upload_length(raw: str | None, max_bytes: int) -> int:
    """The file's size from `Upload-Length`: 413 past `max_bytes`, 400 for an empty file."""
    length = number("Upload-Length", raw)
    if length > max_bytes:
        raise problem(413, "too_large", f"an evidence file may hold at most {max_bytes} bytes")
    if length == 0:
        raise problem(400, "invalid_header", "`Upload-Length` must be at least 1: an empty file is no evidence")
    return length


def metadata(raw: str | None) -> Announced:
    """The file's SHA-256 and content type from `Upload-Metadata: key base64value,...` (other keys are ignored)."""
    values: dict[str, str] = {}
    for pair in (raw or "").split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not key:
            continue
        try:
            values[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except ValueError:  # not base64 (a byte past ASCII too), or not UTF-8 once decoded
            raise problem(400, "invalid_metadata", f"`Upload-Metadata` {key}: not base64 of UTF-8 text") from None
    sha256 = values.get("sha256", "").strip().lower()
    if not _SHA256_HEX.fullmatch(sha256):
        raise problem(400, "invalid_metadata", "`Upload-Metadata` must hold `sha256`: the file's SHA-256 in hex")
    content_type = values.get("content_type", "").partition(";")[0].strip().lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise problem(
            400,
            "content_type_not_allowed",
            "`Upload-Metadata` content_type must be one of: " + ", ".join(sorted(ALLOWED_CONTENT_TYPES)),
        )
    return Announced(sha256, content_type)


def checksum(raw: str | None) -> Checksum | None:
    """The `Upload-Checksum: sha1 <base64>` of a chunk, or None without one."""
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise problem(400, "checksum_algorithm", "`Upload-Checksum` algorithms: sha1, sha256")
    try:
        return Checksum(algorithm, base64.b64decode(encoded.strip(), validate=True))
    except ValueError:  # not base64, a byte past ASCII included
        raise problem(400, "invalid_header", "`Upload-Checksum` must be `<algorithm> <base64 digest>`") from None


def declared_length(raw: str | None) -> int | None:
    """The chunk's `Content-Length` when it is a plain number (else the stream's end tells)."""
    return int(raw) if raw is not None and _DIGITS.fullmatch(raw) else None


# --- what this process is receiving ---------------------------------------------------------------------


@dataclass
class _Slot:
    """The requests of one upload: one writes at a time; a newcomer stops the one receiving."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    receiving: anyio.CancelScope | None = None
    users: int = 0


@dataclass
class Receiving:
    """The uploads this process is receiving: who writes to each now, and each one's running SHA-256.

    `hashes` holds upload_id -> (offset, SHA-256 state of its first `offset` bytes), for uploads
    this process received from byte 0; after a restart the file is read again instead.
    """

    slots: dict[str, _Slot] = field(default_factory=dict)
    hashes: dict[str, tuple[int, hashlib._Hash]] = field(default_factory=dict)

    @contextlib.asynccontextmanager
    async def exclusive(self, upload_id: str) -> AsyncIterator[_Slot]:
        """Hold the upload for one request, stopping a request still receiving on it."""
        slot = self.slots.setdefault(upload_id, _Slot())
        slot.users += 1
        if slot.receiving is not None:
            slot.receiving.cancel()
        try:
            async with slot.lock:
                yield slot
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self.slots[upload_id]


# --- the uploads --------------------------------------------------------------------------------------------


@dataclass
class Uploads:
    """The tus uploads of one server: their rows, their parts, and what this process is receiving."""

    db: Database
    settings: Settings
    receiving: Receiving
    blobs: BlobStore

    async def create(self, principal: Principal, length: int, announced: Announced) -> str:
        """A new upload's id; if the blob is already stored, the upload starts complete.

        429 `upload_quota_exceeded` past the auditor's quota (`TEKSERU_UPLOADS_PER_AUDITOR`,
        `TEKSERU_UPLOAD_BYTES_PER_AUDITOR`).
        """
        settings = self.settings
        for gone in await expire(self.db, self.blobs, busy=set(self.receiving.slots)):
            self.receiving.hashes.pop(gone, None)
        done = await self._already_stored(announced.sha256, length, announced.content_type)
        upload_id = secrets.token_hex(16)
        await self.db.write(
            store.create_upload,
            upload_id,
            principal.name,
            principal.device_id or "",
            announced.sha256,
            announced.content_type,
            length,
            length if done else 0,
            store.expiry(settings.upload_expiry_s),
            store.UploadQuota(uploads=settings.uploads_per_auditor, bytes=settings.upload_bytes_per_auditor),
        )
        return upload_id

    async def own(self, principal: Principal, upload_id: str) -> sqlite3.Row:
        """The caller's upload from this device, or 404 (`upload_expired` once past its expiry).

        A unit manager sends no device id: their uploads are stored with "" (as `create` does).
        """
        row = await self.db.read(store.upload_row, upload_id) if _UPLOAD_ID.fullmatch(upload_id) else None
        if row is None or row["auditor"] != principal.name or row["device_id"] != (principal.device_id or ""):
            raise problem(404, "not_found", "no such upload")
        if row["expires_at"] <= now_iso():
            raise problem(404, "upload_expired", "the upload expired before it was finished; start a new one")
        return row

    async def append(
        self,
        principal: Principal,
        upload_id: str,
        offset: int,
        chunk_checksum: Checksum | None,
        body: AsyncIterable[bytes],
        length_declared: int | None,
    ) -> int:
        """Append a chunk at `offset` and return the upload's new offset (409 at another offset)."""
        if upload_id in self.receiving.slots:
            # Only the upload's own device may stop a request receiving (with none, the read below is enough).
            await self.own(principal, upload_id)
        async with self.receiving.exclusive(upload_id) as slot:
            row = await self.own(principal, upload_id)  # as it is now that no other request writes
            if row["offset"] == row["length"]:
                return row["length"]
            if offset != row["offset"]:
                raise problem(
                    409,
                    "offset_mismatch",
                    f"the upload is at offset {row['offset']}, not {offset}: resume from there",
                    **{"Upload-Offset": str(row["offset"])},
                )
            return await self._append(principal, row, chunk_checksum, body, length_declared, slot)

    async def _append(
        self,
        principal: Principal,
        row: sqlite3.Row,
        chunk_checksum: Checksum | None,
        body: AsyncIterable[bytes],
        length_declared: int | None,
        slot: _Slot,
    ) -> int:
        upload_id, base, length = row["upload_id"], row["offset"], row["length"]
        room = length - base
        if length_declared is not None and length_declared > room:
            raise problem(413, "too_large", f"the chunk is longer than the {room} bytes the upload still needs")
        hashes = ChunkHashes.at(base, chunk_checksum, self.receiving.hashes.get(upload_id))
        try:
            writer = await self.blobs.open_part(upload_id, base)
        except PartLost:
            return await self._part_lost(row)
        try:
            cut, too_large = await _receive(body, writer, hashes, room, slot)
            if too_large:
                writer.rollback()
                raise problem(413, "too_large", f"the chunk is longer than the {room} bytes the upload still needs")
            if chunk_checksum and cut:
                writer.rollback()
                raise problem(
                    400,
                    "chunk_incomplete",
                    "the chunk ended before its last byte and cannot be checked; nothing was kept",
                )
            if chunk_checksum and hashes.chunk_digest() != chunk_checksum.digest:
                writer.rollback()
                raise problem(
                    460,
                    "checksum_mismatch",
                    f"the chunk does not match its {chunk_checksum.algorithm} checksum; the offset is unchanged",
                )
            if writer.written == 0:
                return base
            await asyncio.to_thread(writer.sync)
            offset = base + writer.written
        except OSError:
            # A full or failing disk (answered 507/503): cut off what this chunk wrote, freeing its
            # space; the offset stays where it was acknowledged.
            with contextlib.suppress(OSError):
                writer.rollback()
            raise
        finally:
            writer.close()
        expires_at = store.expiry(self.settings.upload_expiry_s)
        if offset < length:
            if not await self.db.write(store.advance, upload_id, base, offset, expires_at, principal.token_prefix):
                raise problem(404, "upload_expired", "the upload expired while the chunk arrived; start a new one")
            if hashes.whole is not None:
                self.receiving.hashes[upload_id] = (offset, hashes.whole)
            return offset
        self.receiving.hashes.pop(upload_id, None)
        await self._finish(principal, row, base, expires_at, hashes.whole)
        return length

    async def _finish(
        self, principal: Principal, row: sqlite3.Row, base: int, expires_at: str, whole: hashlib._Hash | None
    ) -> None:
        """The last byte arrived: check the whole file's SHA-256, then make it a blob (or discard it).

        The hash went along with the bytes as this process wrote them; after a restart mid-upload,
        or when another process received earlier chunks, the parts are read again instead.
        """
        blobs, upload_id = self.blobs, row["upload_id"]
        try:
            actual = whole.hexdigest() if whole is not None else await blobs.parts_sha256(upload_id, row["length"])
        except PartLost:
            await self._part_lost(row)  # 409 from 0, unless the blob is stored after all
            return
        if actual != row["sha256"]:
            await self.db.write(store.discard, upload_id)
            await blobs.remove_parts(upload_id)
            raise problem(
                460,
                "checksum_mismatch",
                f"the whole file's SHA-256 is {actual}, not the {row['sha256']} announced; the upload is discarded:"
                " start a new one",
            )
        # Files: the rename into place, on the writer's thread inside the write that records the blob
        # (`store.complete`). A bucket: the blob object assembled and read back first.
        try:
            place = await blobs.prepare_blob(upload_id, row["sha256"], row["length"])
        except PartLost:
            await self._part_lost(row)
            return
        refresh = refresher(self.db, ZoneInfo(self.settings.timezone))
        if not await self.db.write(store.complete, row, base, expires_at, principal.token_prefix, place, refresh):
            raise problem(404, "upload_expired", "the upload expired while the chunk arrived; start a new one")
        await blobs.remove_parts(upload_id)

    async def _part_lost(self, row: sqlite3.Row) -> int:
        """The parts are gone: finished by a crash-interrupted completion, or lost (send it again from 0)."""
        if await self._already_stored(row["sha256"], row["length"], row["content_type"]):
            await self.db.write(store.finished, row["upload_id"])
            await self.blobs.remove_parts(row["upload_id"])
            return row["length"]
        await self.blobs.remove_parts(row["upload_id"])
        await self.db.write(store.restart, row["upload_id"])
        raise problem(
            409, "offset_mismatch", "the stored bytes of this upload were lost: resume from 0", **{"Upload-Offset": "0"}
        )

    async def _already_stored(self, sha256: str, length: int, content_type: str) -> bool:
        """True when the blob is stored intact (recording a whole blob file that a crash left without its row).

        A stored blob whose file turns out damaged or gone is taken out here (its visits await it
        again) and the upload starts from 0, never "already complete".
        """
        db, blobs = self.db, self.blobs
        refresh = refresher(db, ZoneInfo(self.settings.timezone))
        blob = await db.read(store.stored, sha256)
        if blob is not None:
            return blob["size"] == length and await intact(db, blobs, blob, refresh) is not None
        if await blobs.stored_size(sha256) != length:
            return False
        check = await blobs.check(sha256, length)
        if not check.intact:
            return False
        await db.write(store.record_blob, sha256, length, content_type, refresh, check.identity)
        return True


# --- the life of parts ---------------------------------------------------------------------------------------


async def expire(db: Database, blobs: BlobStore, busy: Collection[str] = ()) -> list[str]:
    """Delete uploads past their expiry (except those a request is writing to) and their parts."""
    gone = await db.write(store.expire, busy)
    for upload_id in gone:
        await blobs.remove_parts(upload_id)
    return gone


async def recover(db: Database, blobs: BlobStore, refresh: Refresh) -> None:
    """At start: expire old uploads, sweep orphan parts, and record blobs put in place just before a
    crash (an unfinished upload whose blob exists).

    A bucket out of reach does not keep the server from starting: it starts degraded (`/v1/health`),
    and what is left undone here the next start, or the next upload of the same file, does.
    """
    try:
        await _recover(db, blobs, refresh)
    except BlobStoreUnavailable as exc:
        log.error("uploads not recovered at start: %s", exc)


async def _recover(db: Database, blobs: BlobStore, refresh: Refresh) -> None:
    await expire(db, blobs)
    rows = await db.read(store.upload_rows)
    await blobs.sweep_parts({r["upload_id"] for r in rows})
    for row in rows:
        if row["offset"] == row["length"] or await blobs.stored_size(row["sha256"]) != row["length"]:
            continue
        if await db.read(store.stored, row["sha256"]) is None:
            check = await blobs.check(row["sha256"], row["length"])
            if not check.intact:
                log.error("blob file %s does not match its name; left unrecorded", row["sha256"])
                continue
            await db.write(
                store.record_blob, row["sha256"], row["length"], row["content_type"], refresh, check.identity
            )
        await db.write(store.finished, row["upload_id"])
        await blobs.remove_parts(row["upload_id"])


# --- one chunk's bytes -------------------------------------------------------------------------------------


@dataclass
class ChunkHashes:
    """The hashes a chunk's bytes feed: its own checksum (when it carries one) and the whole file's running SHA-256.

    `whole` is None when the file's earlier bytes were not hashed by this process (a restart):
    the finished file is then read again.
    """

    chunk: hashlib._Hash | None
    whole: hashlib._Hash | None

    @classmethod
    def at(cls, base: int, chunk_checksum: Checksum | None, running: tuple[int, hashlib._Hash] | None) -> ChunkHashes:
        """The hashes for a chunk starting at `base`, carrying on the upload's running hash when it reaches there."""
        chunk = CHECKSUM_ALGORITHMS[chunk_checksum.algorithm]() if chunk_checksum else None
        if base == 0:
            # From byte 0 a chunk's SHA-256 is the whole file's so far: one hash serves both.
            whole = chunk if chunk_checksum and chunk_checksum.algorithm == "sha256" else hashlib.sha256()
        else:
            # A copy: a chunk refused later must leave the running hash as it was.
            whole = running[1].copy() if running and running[0] == base else None
        return cls(chunk, whole)

    def feeds(self) -> list[Callable[[Sequence[bytes]], None]]:
        """One blocking update per distinct hash, each to run on its own worker thread."""
        distinct = {id(h): h for h in (self.chunk, self.whole) if h is not None}
        return [_feeder(h) for h in distinct.values()]

    def chunk_digest(self) -> bytes | None:
        """The digest of the chunk's bytes, when it carries a checksum."""
        return self.chunk.digest() if self.chunk is not None else None


def _feeder(hash_: hashlib._Hash) -> Callable[[Sequence[bytes]], None]:
    def feed(block: Sequence[bytes]) -> None:
        for piece in block:
            hash_.update(piece)

    return feed


async def _receive(
    body: AsyncIterable[bytes], writer: ChunkWriter, hashes: ChunkHashes, room: int, slot: _Slot
) -> tuple[bool, bool]:
    """Stream the body into the parts and the hashes: (cut off before its end, more bytes than there is room for).

    The event loop gathers the next block while worker threads write and hash the previous one,
    one block in flight at a time (so a chunk never sits whole in memory). Every byte received
    before a cut is written.
    """
    lanes = [writer.write, *hashes.feeds()]

    async def take(block: list[bytes]) -> None:
        # Every lane finishes its block before the next one starts (or before the file is touched).
        done = await asyncio.gather(*(asyncio.to_thread(lane, block) for lane in lanes), return_exceptions=True)
        for outcome in done:
            if isinstance(outcome, BaseException):
                raise outcome

    cut = too_large = False
    received = block_size = 0
    block: list[bytes] = []
    taking: asyncio.Future | None = None
    try:
        with anyio.CancelScope() as scope:
            slot.receiving = scope
            try:
                async for piece in body:
                    if received + len(piece) > room:
                        too_large = True
                        break
                    received += len(piece)
                    block.append(piece)
                    block_size += len(piece)
                    if block_size >= BLOCK_BYTES:
                        if taking is not None:
                            await asyncio.shield(taking)
                        taking = asyncio.ensure_future(take(block))
                        block, block_size = [], 0
            except BodyCut:
                cut = True
            finally:
                slot.receiving = None
        cut = cut or scope.cancelled_caught
    finally:
        if taking is not None:
            await taking  # the block in flight lands before anything else touches the file
    if block and not too_large:
        await take(block)
    return cut, too_large
