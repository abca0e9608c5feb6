"""Where evidence bytes live: the data directory (the default) or S3-compatible object storage.

`open_blob_store(settings)` picks one from `TEKSERU_BLOB_STORE`; both answer the same calls, made
by the engine (`server.sync.tus`, `server.sync.evidence`) and the routes:

- blobs, content-addressed by SHA-256: their identity (what a verified marker records: an
  unchanged identity means unchanged bytes), a whole read and hash (`check`), setting a damaged
  one aside, reading one, serving one;
- the parts of unfinished uploads: a chunk made durable before its offset is acknowledged
  (`open_part`), the parts hashed again, made into a verified blob (`prepare_blob`), removed.

The async calls never block the event loop: S3 requests run on worker threads. `current_identity`
and `set_aside` block: they are for the store's writes, which run on a database thread.

In a bucket (`s3://bucket/prefix`) a blob is `<prefix>blobs/ab/cd/<sha256>` and each acknowledged
chunk of an upload one object `<prefix>uploads/<upload_id>/<start>-<end>` (20 digits each). A chunk
is gathered in an unnamed local temporary file and put only once it was received and checked, before
the database moves the upload's offset: a refused chunk leaves no object, and any server process can
continue the upload from the objects. A chunk's name holds its end as well as its start because two
processes may take the same offset at once (a tablet retrying through another one): one of them
moves the offset, and neither overwrites the object of the other. A finished upload's parts are
assembled into the blob object, which is read back and hashed before the database records it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import datetime as dt
import errno
import hashlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol
from urllib.parse import urlsplit

from server import blobs as files
from server.blobs import FileCheck, PartLost
from server.db import probe_directory

if TYPE_CHECKING:
    from server.settings import Settings

__all__ = ["BlobStore", "BlobStoreUnavailable", "FileCheck", "LocalBlobs", "PartLost", "S3Blobs", "open_blob_store"]

# Read and written in blocks of this size: a blob never sits whole in memory on its way.
BLOCK_BYTES = 1 << 20
# S3 multipart parts: each but the last must hold at least 5 MiB; ours hold 8 while assembling.
MIN_PART_BYTES = 5 * 1024 * 1024
ASSEMBLY_PART_BYTES = 8 * 1024 * 1024
MAX_PARTS = 10_000
# Parts of an upload the database no longer knows are swept at start only once this old: another
# server process may have created the upload after this one read the uploads.
SWEEP_AFTER_S = 3600
# The bucket takes a tiny write at most this often for `/v1/health` (each probe is a request).
PROBE_EVERY_S = 5.0
STORE_UNAVAILABLE = "store_unavailable"  # as `server.errors` names it
HEAD_THREADS = 16  # HEAD requests at once when `/v1/blobs/missing` asks after up to a thousand blobs

Place = Callable[[], str | None]


class BlobStoreUnavailable(OSError):
    """The object store did not answer, or refused a request: an EIO, so it is answered 503 `store_unavailable`."""

    def __init__(self, detail: str) -> None:
        super().__init__(errno.EIO, detail)


class ChunkWriter(Protocol):
    """One chunk on its way to an upload's parts (`server.blobs.PartWriter` for files).

    `write` runs on a worker thread; `sync` makes what was written durable (blocking); `rollback`
    forgets it; `close` lets go of it (what was not synced is lost).
    """

    written: int

    def write(self, pieces: Sequence[bytes]) -> None: ...

    def rollback(self) -> None: ...

    def sync(self) -> None: ...

    def close(self) -> None: ...


class Opened(NamedTuple):
    """A blob opened to be served: its size and its bytes, block by block."""

    size: int
    chunks: AsyncIterator[bytes]


class BlobStore(abc.ABC):
    """Where blob and upload bytes live; `LocalBlobs` or `S3Blobs`."""

    kind: str  # `local` or `s3`, as `/v1/health` names it

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the blobs are, for a person: a folder or an `s3://` URL."""

    # --- blobs ---

    @abc.abstractmethod
    async def identity(self, sha256: str) -> str | None:
        """What a verified marker records of the blob as it is now; None when there is none."""

    @abc.abstractmethod
    async def identities(self, hashes: Sequence[str]) -> list[str | None]:
        """`identity` of each, in order."""

    @abc.abstractmethod
    def current_identity(self, sha256: str) -> str | None:
        """`identity`, blocking: for the store's writes, on a database thread."""

    @abc.abstractmethod
    async def check(self, sha256: str, size: int) -> FileCheck:
        """Read the blob whole: intact when it has `size` bytes and the SHA-256 of its name."""

    @abc.abstractmethod
    def set_aside(self, sha256: str) -> None:
        """Move a damaged blob out of the blobs (kept to look at, never served). Blocking, for the store's writes."""

    @abc.abstractmethod
    async def stored_size(self, sha256: str) -> int | None:
        """The size of the blob with this hash, or None when there is none."""

    @abc.abstractmethod
    async def read(self, sha256: str) -> bytes | None:
        """The blob's bytes (a photo for a scorecard), or None when it cannot be read."""

    @abc.abstractmethod
    async def put(self, sha256: str, data: bytes) -> str | None:
        """Store bytes already in hand (the demo's photos) as the blob `sha256`; its identity."""

    def local_path(self, sha256: str) -> Path | None:
        """The blob's file when blobs are files (served as a file); None in a bucket (see `open`)."""
        return None

    @abc.abstractmethod
    async def open(self, sha256: str, identity: str) -> Opened | None:
        """The blob's bytes to serve, provided it still shows `identity`; None when it changed or is gone."""

    # --- the parts of unfinished uploads ---

    @abc.abstractmethod
    async def open_part(self, upload_id: str, offset: int) -> ChunkWriter:
        """A writer of the upload's next chunk, at its acknowledged `offset`; `PartLost` when the parts
        hold less than that."""

    @abc.abstractmethod
    async def parts_sha256(self, upload_id: str, length: int) -> str:
        """The SHA-256 (hex) of the upload's first `length` bytes read again from its parts (`PartLost`)."""

    @abc.abstractmethod
    async def prepare_blob(self, upload_id: str, sha256: str, length: int) -> Place:
        """Make ready the blob of a finished upload whose parts hash to `sha256`; what to call inside the write
        that records it (it puts the blob in place if that is still to do) and that returns its identity."""

    @abc.abstractmethod
    async def remove_parts(self, upload_id: str) -> None:
        """Delete an upload's parts, if any."""

    @abc.abstractmethod
    async def sweep_parts(self, keep: Collection[str], grace_s: float = SWEEP_AFTER_S) -> list[str]:
        """Delete the parts of uploads not in `keep` (their rows expired or were discarded); their ids.

        In a bucket only parts last written more than `grace_s` ago: other server processes share it.
        """

    async def probe(self) -> str | None:
        """None while the blobs can be written, else why not (`store_unavailable`)."""
        return None

    def close(self) -> None:
        """Let go of connections (at shutdown); a store without any has nothing to do."""
        return None


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings name: `s3://bucket/prefix` in `blob_store`, else the data directory."""
    if not settings.blob_store:
        return LocalBlobs(settings.data_dir)
    return S3Blobs(settings.blob_store, settings.s3_endpoint, settings.data_dir / "uploads")


# --- the data directory --------------------------------------------------------------------------------------


class LocalBlobs(BlobStore):
    """Blobs as files in `<data_dir>/blobs`, upload parts in `<data_dir>/uploads` (`server.blobs`).

    A stat, an unlink or the opening of a part file run right on the event loop, as they always
    did; reading a file whole runs on a worker thread.
    """

    kind = "local"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._probed_at = -PROBE_EVERY_S
        self._probe_outcome: str | None = None

    def describe(self) -> str:
        return str(self.data_dir / "blobs")

    async def probe(self) -> str | None:
        """A page written to the data directory (and removed) at most every PROBE_EVERY_S.

        On SQLite the database's own probe writes there too; on PostgreSQL this is the only check
        that the disk holding the evidence takes writes.
        """
        now = time.monotonic()
        if now - self._probed_at >= PROBE_EVERY_S:
            self._probed_at = now
            self._probe_outcome = await asyncio.to_thread(probe_directory, self.data_dir)
        return self._probe_outcome

    async def identity(self, sha256: str) -> str | None:
        return self.current_identity(sha256)

    async def identities(self, hashes: Sequence[str]) -> list[str | None]:
        # Up to a thousand stats: one trip to a thread.
        return await asyncio.to_thread(lambda: [self.current_identity(h) for h in hashes])

    def current_identity(self, sha256: str) -> str | None:
        return files.file_identity(files.blob_path(self.data_dir, sha256))

    async def check(self, sha256: str, size: int) -> FileCheck:
        return await asyncio.to_thread(files.check_blob_file, self.data_dir, sha256, size)

    def set_aside(self, sha256: str) -> None:
        files.set_aside(self.data_dir, sha256)

    async def stored_size(self, sha256: str) -> int | None:
        return files.stored_size(self.data_dir, sha256)

    async def read(self, sha256: str) -> bytes | None:
        try:
            return await asyncio.to_thread(files.blob_path(self.data_dir, sha256).read_bytes)
        except OSError:
            return None

    async def put(self, sha256: str, data: bytes) -> str | None:
        path = await asyncio.to_thread(files.write_blob, self.data_dir, sha256, data)
        return files.file_identity(path)

    def local_path(self, sha256: str) -> Path | None:
        return files.blob_path(self.data_dir, sha256)

    async def open(self, sha256: str, identity: str) -> Opened | None:
        raise NotImplementedError("a file is served by its path (`local_path`)")

    async def open_part(self, upload_id: str, offset: int) -> ChunkWriter:
        return files.PartWriter(files.part_path(self.data_dir, upload_id), offset)

    async def parts_sha256(self, upload_id: str, length: int) -> str:
        return await asyncio.to_thread(files.file_sha256, files.part_path(self.data_dir, upload_id))

    async def prepare_blob(self, upload_id: str, sha256: str, length: int) -> Place:
        part, data_dir = files.part_path(self.data_dir, upload_id), self.data_dir

        def place() -> str | None:
            # The rename into place runs inside the write that records the blob (`store.complete`), so
            # that no `lose` of the same blob runs between the rename and the row.
            return files.file_identity(files.promote(part, data_dir, sha256))

        return place

    async def remove_parts(self, upload_id: str) -> None:
        files.remove_part(self.data_dir, upload_id)

    async def sweep_parts(self, keep: Collection[str], grace_s: float = SWEEP_AFTER_S) -> list[str]:
        return files.sweep_parts(self.data_dir, keep)


# --- S3-compatible object storage ------------------------------------------------------------------------------


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, key prefix ending in `/` or empty) of `s3://bucket/prefix`; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"TEKSERU_BLOB_STORE takes s3://bucket/prefix, not {url!r}")
    prefix = parts.path.strip("/")
    return parts.netloc, prefix + "/" if prefix else ""


def part_name(start: int, end: int) -> str:
    """The name of the part holding bytes `start` to `end` (exclusive) of an upload."""
    return f"{start:020d}-{end:020d}"


def chain_of(parts: Sequence[tuple[int, int, str]], end: int) -> list[tuple[int, int, str]] | None:
    """Parts `(start, end, key)` that follow one another from byte 0 to `end`, or None when none do.

    Parts left by a chunk that was never acknowledged (a crash before the offset moved, a process
    that lost a race for the same offset) may overlap the acknowledged ones: the longest part is
    tried first and a dead end is left for the next, never tried twice. The whole file's SHA-256 is
    checked at the end anyway.
    """
    if end == 0:
        return []
    following: dict[int, list[tuple[int, str]]] = {}
    for start, stop, key in parts:
        if 0 <= start < stop <= end:
            following.setdefault(start, []).append((stop, key))
    for options in following.values():
        options.sort(reverse=True)
    path: list[tuple[int, int, str]] = []
    trying = [iter(following.get(0, ()))]
    position = 0
    dead: set[int] = set()
    while trying:
        step = next(trying[-1], None)
        if step is None:
            trying.pop()
            dead.add(position)
            if path:
                position = path.pop()[0]
            continue
        stop, key = step
        if stop in dead:
            continue
        path.append((position, stop, key))
        if stop == end:
            return path
        position = stop
        trying.append(iter(following.get(stop, ())))
    return None


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _not_found(exc: Exception) -> bool:
    return _code(exc) in {"404", "NoSuchKey", "NotFound"}


def _object_identity(response: dict[str, Any]) -> str:
    """What a verified marker records of an object: its ETag, size and last change (and version, if any).

    A PUT or copy over it moves the time and, with other bytes, the ETag.
    """
    etag = str(response["ETag"]).strip('"')
    modified = response["LastModified"]
    stamp = int(modified.timestamp()) if isinstance(modified, dt.datetime) else modified
    version = response.get("VersionId")
    tail = f":{version}" if version and version != "null" else ""
    return f"{etag}:{response['ContentLength']}:{stamp}{tail}"


class S3Blobs(BlobStore):
    """Blobs and upload parts as objects in a bucket (S3, MinIO, any S3-compatible store).

    Credentials come from boto3's usual chain (the AWS_* variables, a profile, an instance role);
    `endpoint` is the store's URL when it is not AWS. Every request runs on a worker thread.
    """

    kind = "s3"

    def __init__(self, url: str, endpoint: str | None, spool_dir: Path) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = parse_s3_url(url)
        self.url = url
        self.spool_dir = spool_dir
        config = Config(
            connect_timeout=3,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            max_pool_connections=HEAD_THREADS + 4,
            # Checksums only where the API demands them: S3-compatible stores differ in the newer ones.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client("s3", endpoint_url=endpoint or None, config=config)
        self._probed_at = -PROBE_EVERY_S
        self._probe_outcome: str | None = None
        self._probing = asyncio.Lock()

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}blobs/"

    def close(self) -> None:
        self.client.close()

    # --- keys and requests ---

    def blob_key(self, sha256: str) -> str:
        """The key of the blob with this hash."""
        return f"{self.prefix}blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def parts_prefix(self, upload_id: str = "") -> str:
        """The prefix of one upload's parts (of all uploads' parts without an id)."""
        return f"{self.prefix}uploads/{upload_id}/" if upload_id else f"{self.prefix}uploads/"

    @contextlib.contextmanager
    def _requests(self, what: str) -> Iterator[None]:
        """Turn the client's failures into `BlobStoreUnavailable` (503), naming what was asked."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise BlobStoreUnavailable(f"object storage s3://{self.bucket}: {what}: {exc}") from exc

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        with self._requests("HEAD"):
            try:
                return self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _not_found(exc):
                    return None
                raise

    def _get(self, key: str, **conditions: str) -> dict[str, Any] | None:
        """The object (its body still to read), or None when it is gone or fails a condition."""
        from botocore.exceptions import ClientError

        with self._requests("GET"):
            try:
                return self.client.get_object(Bucket=self.bucket, Key=key, **conditions)
            except ClientError as exc:
                if _not_found(exc) or _code(exc) in {"PreconditionFailed", "412"}:
                    return None
                raise

    def _list(self, prefix: str) -> Iterator[dict[str, Any]]:
        with self._requests("LIST"):
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", ())

    def _delete(self, keys: Sequence[str]) -> None:
        with self._requests("DELETE"):
            for start in range(0, len(keys), 1000):
                batch = [{"Key": k} for k in keys[start : start + 1000]]
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    # --- blobs ---

    async def identity(self, sha256: str) -> str | None:
        return await asyncio.to_thread(self.current_identity, sha256)

    async def identities(self, hashes: Sequence[str]) -> list[str | None]:
        if len(hashes) <= 1:
            return [await self.identity(h) for h in hashes]

        def heads() -> list[str | None]:
            with ThreadPoolExecutor(min(HEAD_THREADS, len(hashes)), thread_name_prefix="s3-head") as pool:
                return list(pool.map(self.current_identity, hashes))

        return await asyncio.to_thread(heads)

    def current_identity(self, sha256: str) -> str | None:
        head = self._head(self.blob_key(sha256))
        return _object_identity(head) if head is not None else None

    async def check(self, sha256: str, size: int) -> FileCheck:
        return await asyncio.to_thread(self._check, sha256, size)

    def _check(self, sha256: str, size: int) -> FileCheck:
        got = self._get(self.blob_key(sha256))
        if got is None:
            return FileCheck(None, False)
        digest, count = hashlib.sha256(), 0
        body = got["Body"]
        with self._requests("GET"), contextlib.closing(body):
            for block in body.iter_chunks(BLOCK_BYTES):
                digest.update(block)
                count += len(block)
        # A GET reads one version of the object whole: the identity it answered with is that of these bytes.
        return FileCheck(_object_identity(got), digest.hexdigest() == sha256 and count == size)

    def set_aside(self, sha256: str) -> None:
        from botocore.exceptions import ClientError

        source = self.blob_key(sha256)
        with self._requests("COPY"):
            try:
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=f"{self.prefix}damaged-blobs/{sha256}",
                    CopySource={"Bucket": self.bucket, "Key": source},
                )
            except ClientError as exc:
                if _not_found(exc):
                    return
                raise
        self._delete([source])

    async def stored_size(self, sha256: str) -> int | None:
        head = await asyncio.to_thread(self._head, self.blob_key(sha256))
        return int(head["ContentLength"]) if head is not None else None

    async def read(self, sha256: str) -> bytes | None:
        def whole() -> bytes | None:
            got = self._get(self.blob_key(sha256))
            if got is None:
                return None
            with self._requests("GET"), contextlib.closing(got["Body"]):
                return got["Body"].read()

        try:
            return await asyncio.to_thread(whole)
        except BlobStoreUnavailable:
            return None

    async def put(self, sha256: str, data: bytes) -> str | None:
        def put() -> str | None:
            with self._requests("PUT"):
                self.client.put_object(Bucket=self.bucket, Key=self.blob_key(sha256), Body=data)
            return self.current_identity(sha256)

        return await asyncio.to_thread(put)

    async def open(self, sha256: str, identity: str) -> Opened | None:
        etag = identity.split(":", 1)[0]
        got = await asyncio.to_thread(self._get, self.blob_key(sha256), IfMatch=f'"{etag}"')
        if got is None:
            return None
        return Opened(int(got["ContentLength"]), self._blocks(got["Body"]))

    async def _blocks(self, body: Any) -> AsyncIterator[bytes]:
        try:
            while True:
                block = await asyncio.to_thread(self._read_block, body)
                if not block:
                    return
                yield block
        finally:
            await asyncio.to_thread(body.close)

    def _read_block(self, body: Any) -> bytes:
        with self._requests("GET"):
            return body.read(BLOCK_BYTES)

    # --- the parts of unfinished uploads ---

    def parts_of(self, upload_id: str) -> list[tuple[int, int, str]]:
        """The upload's parts in the bucket: `(start, end, key)`, in no particular order. Blocking."""
        found = []
        for item in self._list(self.parts_prefix(upload_id)):
            start, _, end = item["Key"].rpartition("/")[2].partition("-")
            if start.isdigit() and end.isdigit():
                found.append((int(start), int(end), item["Key"]))
        return found

    def _chain(self, upload_id: str, end: int) -> list[tuple[int, int, str]]:
        chain = chain_of(self.parts_of(upload_id), end)
        if chain is None:
            raise PartLost(upload_id)
        return chain

    async def open_part(self, upload_id: str, offset: int) -> ChunkWriter:
        def opened() -> ChunkWriter:
            if offset > 0:
                self._chain(upload_id, offset)
            self.spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Unnamed: gone with the process. Closed by the chunk's `close`.
            spool = tempfile.TemporaryFile(dir=self.spool_dir)  # noqa: SIM115
            return _SpooledChunk(self, upload_id, offset, spool)

        return await asyncio.to_thread(opened)

    def put_part(self, upload_id: str, start: int, end: int, body: IO[bytes]) -> None:
        """Put one acknowledged chunk's bytes as a part object. Blocking."""
        with self._requests("PUT"):
            key = self.parts_prefix(upload_id) + part_name(start, end)
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body)

    async def parts_sha256(self, upload_id: str, length: int) -> str:
        def rehash() -> str:
            digest = hashlib.sha256()
            for start, end, key in self._chain(upload_id, length):
                got = self._get(key)
                if got is None:
                    raise PartLost(upload_id)
                count = 0
                with self._requests("GET"), contextlib.closing(got["Body"]):
                    for block in got["Body"].iter_chunks(BLOCK_BYTES):
                        digest.update(block)
                        count += len(block)
                if count != end - start:
                    raise PartLost(upload_id)
            return digest.hexdigest()

        return await asyncio.to_thread(rehash)

    async def prepare_blob(self, upload_id: str, sha256: str, length: int) -> Place:
        identity = await asyncio.to_thread(self._assemble, upload_id, sha256, length)
        return lambda: identity

    def _assemble(self, upload_id: str, sha256: str, length: int) -> str:
        """Put the parts together as the blob object, read it back whole, and return its identity.

        Parts of 5 MiB and more are copied inside the store; smaller ones pass through here, 8 MiB at
        a time. The hash of the parts was checked before: this checks the object itself.
        """
        chain = self._chain(upload_id, length)
        key = self.blob_key(sha256)
        with self._requests("assemble"):
            if len(chain) == 1:
                self.client.copy_object(
                    Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": chain[0][2]}
                )
            elif len(chain) <= MAX_PARTS and all(end - start >= MIN_PART_BYTES for start, end, _ in chain[:-1]):
                self._multipart(key, chain, copy=True)
            else:
                self._multipart(key, chain, copy=False)
        check = self._check(sha256, length)
        if not check.intact:
            with contextlib.suppress(BlobStoreUnavailable):
                self._delete([key])
            raise BlobStoreUnavailable(f"object storage s3://{self.bucket}: {key} does not read back as its SHA-256")
        assert check.identity is not None
        return check.identity

    def _multipart(self, key: str, chain: list[tuple[int, int, str]], copy: bool) -> None:
        """One multipart upload of the parts: each copied as a part inside the store, or read and sent on."""
        client, bucket = self.client, self.bucket
        upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        done: list[dict[str, Any]] = []

        def send(data: bytes) -> None:
            number = len(done) + 1
            etag = client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=data)["ETag"]
            done.append({"PartNumber": number, "ETag": etag})

        try:
            if copy:
                for number, (_, _, part) in enumerate(chain, 1):
                    answer = client.upload_part_copy(
                        Bucket=bucket,
                        Key=key,
                        UploadId=upload,
                        PartNumber=number,
                        CopySource={"Bucket": bucket, "Key": part},
                    )
                    done.append({"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]})
            else:
                buffer = bytearray()
                for _, _, part in chain:
                    body = client.get_object(Bucket=bucket, Key=part)["Body"]
                    with contextlib.closing(body):
                        for block in body.iter_chunks(BLOCK_BYTES):
                            buffer += block
                            if len(buffer) >= ASSEMBLY_PART_BYTES:
                                send(bytes(buffer))
                                buffer.clear()
                if buffer or not done:
                    send(bytes(buffer))
            client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": done})
        except BaseException:
            with contextlib.suppress(Exception):
                client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
            raise

    async def remove_parts(self, upload_id: str) -> None:
        def remove() -> None:
            self._delete([key for _, _, key in self.parts_of(upload_id)])

        await asyncio.to_thread(remove)

    async def sweep_parts(self, keep: Collection[str], grace_s: float = SWEEP_AFTER_S) -> list[str]:
        def sweep() -> list[str]:
            before = time.time() - grace_s
            root = self.parts_prefix()
            gone: dict[str, list[str]] = {}
            for item in self._list(root):
                upload_id = item["Key"][len(root) :].partition("/")[0]
                if upload_id not in keep and item["LastModified"].timestamp() <= before:
                    gone.setdefault(upload_id, []).append(item["Key"])
            self._delete([key for keys in gone.values() for key in keys])
            return sorted(gone)

        return await asyncio.to_thread(sweep)

    async def probe(self) -> str | None:
        """A tiny object written (over the last one) at most every PROBE_EVERY_S: the bucket takes writes."""
        async with self._probing:
            now = time.monotonic()
            if now - self._probed_at < PROBE_EVERY_S:
                return self._probe_outcome

            def write() -> None:
                with self._requests("PUT"):
                    self.client.put_object(Bucket=self.bucket, Key=f"{self.prefix}.write-probe", Body=b"")

            try:
                await asyncio.to_thread(write)
                self._probe_outcome = None
            except BlobStoreUnavailable:
                self._probe_outcome = STORE_UNAVAILABLE
            self._probed_at = time.monotonic()
            return self._probe_outcome


class _SpooledChunk:
    """A chunk for a bucket: gathered in an unnamed temporary file, put as one part object by `sync`.

    Nothing reaches the bucket before `sync`, which runs once the chunk was received and checked:
    a refused chunk leaves no object. The file keeps memory flat for a chunk of any size.
    """

    def __init__(self, store: S3Blobs, upload_id: str, base: int, spool: IO[bytes]) -> None:
        self._store = store
        self._upload_id = upload_id
        self._base = base
        self._spool = spool
        self.written = 0

    def write(self, pieces: Sequence[bytes]) -> None:
        for piece in pieces:
            self._spool.write(piece)
            self.written += len(piece)

    def rollback(self) -> None:
        self._spool.seek(0)
        self._spool.truncate()
        self.written = 0

    def sync(self) -> None:
        if not self.written:
            return
        self._spool.flush()
        self._spool.seek(0)
        self._store.put_part(self._upload_id, self._base, self._base + self.written, self._spool)

    def close(self) -> None:
        self._spool.close()
