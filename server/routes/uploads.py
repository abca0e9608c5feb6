"""Evidence uploads over tus 1.0.0 (core, creation, checksum), so stock tus clients work (API.md).

A chunk is read as a stream and appended to the upload's part file as it arrives (never whole in
memory), fsynced, and only then acknowledged by moving the upload's offset in the database. A
chunk cut off by a broken connection keeps the bytes received up to the last one, unless it
carries an `Upload-Checksum`: a cut chunk cannot be checked, so it is dropped whole and the
offset stays. When the last byte arrives the whole file's SHA-256 must be the one announced, or
the upload is discarded; a verified file is renamed into its content-addressed path in the same
transaction that records the blob and moves waiting submissions out of `awaiting_evidence`.

One process writes: a PATCH holds its upload for the time of the request, and a new PATCH to
the same upload stops an earlier one still receiving (a connection that died on the road without
a word), which keeps what it received; the newcomer then sees the new offset.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import anyio
from litestar import Request, Response, head, patch, post, route
from litestar.datastructures import ResponseHeader, State
from litestar.enums import HttpMethod, MediaType
from litestar.exceptions import InternalServerException
from litestar.openapi.spec import OpenAPIResponse, Operation, Schema
from litestar.openapi.spec import Parameter as HeaderSpec
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath

from server import blobs as files
from server.auth import principal_of, roles
from server.clock import now_iso
from server.errors import EXCEPTION_HANDLERS, ProblemError, problems
from server.openapi import raw_body
from server.store import blobs as store

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,checksum"
OFFSET_MEDIA_TYPE = "application/offset+octet-stream"
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
# Whole-string checks: `fullmatch`, since `$` alone also matches before a final newline.
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DIGITS = re.compile(r"[0-9]{1,19}")
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
WRITE_BATCH_BYTES = 1 << 20

UPLOAD = roles("auditor")
TUS = {"Tus-Resumable": TUS_VERSION}


# --- the tus headers, in the OpenAPI document and on every answer ------------------------------------


def _header(name: str, description: str, pattern: str | None = None, enum: list[str] | None = None) -> HeaderSpec:
    return HeaderSpec(
        name=name,
        param_in="header",  # type: ignore[arg-type]
        required=True,
        description=description,
        schema=Schema(type=OpenAPIType.STRING, pattern=pattern, enum=enum),  # type: ignore[arg-type]
    )


_VERSION_HEADER = _header("Tus-Resumable", "the tus protocol version; 412 `tus_version` if not 1.0.0", enum=["1.0.0"])


def _tus_operation(*headers: HeaderSpec, body: str | None = None, version: bool = True) -> type[Operation]:
    """An operation that documents the tus request headers (and the raw chunk body of a PATCH).

    tus answers carry their news in headers, never in a body: the success answers say so.
    """
    base: type[Operation] = raw_body(body, {OFFSET_MEDIA_TYPE: None}) if body else Operation

    @dataclass
    class TusOperation(base):  # type: ignore[misc,valid-type]
        def __post_init__(self) -> None:
            if body:
                super().__post_init__()
            self.parameters = [*(self.parameters or []), *([_VERSION_HEADER] if version else []), *headers]
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    response.content = None

    return TusOperation


def _with_tus_header(handler: Callable[[Request, Exception], Response]) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        response.headers.update(TUS)
        return response

    return handle


# Every tus answer carries Tus-Resumable, errors included (also the guard's 401 and 403).
TUS_ERRORS = {exc: _with_tus_header(handler) for exc, handler in EXCEPTION_HANDLERS.items()}

_OFFSET_HEADERS = [
    ResponseHeader(name="Tus-Resumable", value=TUS_VERSION, documentation_only=True, description="always 1.0.0"),
    ResponseHeader(name="Upload-Offset", documentation_only=True, description="bytes stored so far"),
]


def _tus_problem(status: int, code: str, detail: str, **headers: str) -> ProblemError:
    return ProblemError(status, code, detail, headers={**TUS, **headers})


def _check_version(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise _tus_problem(
            412,
            "tus_version",
            f"this server speaks tus {TUS_VERSION}: send `Tus-Resumable: {TUS_VERSION}`",
            **{"Tus-Version": TUS_VERSION},
        )


def _number(request: Request, name: str) -> int:
    raw = request.headers.get(name.lower())
    if raw is None or not _DIGITS.fullmatch(raw.strip()):
        raise _tus_problem(400, "invalid_header", f"`{name}` must be a non-negative integer")
    return int(raw)


def _metadata(raw: str | None) -> tuple[str, str]:
    """(sha256, content_type) from `Upload-Metadata: key base64value,...` (other keys are ignored)."""
    values: dict[str, str] = {}
    for pair in (raw or "").split(","):
        key, _, encoded = pair.strip().partition(" ")
        if not key:
            continue
        try:
            values[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise _tus_problem(400, "invalid_metadata", f"`Upload-Metadata` {key}: not base64 of UTF-8 text") from None
    sha256 = values.get("sha256", "").strip().lower()
    if not _SHA256_HEX.fullmatch(sha256):
        raise _tus_problem(400, "invalid_metadata", "`Upload-Metadata` must hold `sha256`: the file's SHA-256 in hex")
    content_type = values.get("content_type", "").partition(";")[0].strip().lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise _tus_problem(
            400,
            "content_type_not_allowed",
            "`Upload-Metadata` content_type must be one of: " + ", ".join(sorted(ALLOWED_CONTENT_TYPES)),
        )
    return sha256, content_type


def _checksum(raw: str | None) -> tuple[str, bytes] | None:
    """(algorithm, digest) of an `Upload-Checksum: sha1 <base64>` header, or None without one."""
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in files.CHECKSUM_ALGORITHMS:
        raise _tus_problem(400, "checksum_algorithm", "`Upload-Checksum` algorithms: sha1, sha256")
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise _tus_problem(400, "invalid_header", "`Upload-Checksum` must be `<algorithm> <base64 digest>`") from None


# --- one request writing to an upload at a time -----------------------------------------------------------


@dataclass
class _Slot:
    """The requests of one upload: one writes at a time; a newcomer stops the one receiving."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    receiving: anyio.CancelScope | None = None
    users: int = 0


def _slots(state: State) -> dict[str, _Slot]:
    return state.setdefault("upload_slots", {})


def _running_hashes(state: State) -> dict[str, tuple[int, hashlib._Hash]]:
    """upload_id -> (offset, SHA-256 state of its first `offset` bytes), for uploads this process received from 0."""
    return state.setdefault("upload_hashes", {})


@contextlib.asynccontextmanager
async def _exclusive(state: State, upload_id: str) -> AsyncIterator[_Slot]:
    slots = _slots(state)
    slot = slots.setdefault(upload_id, _Slot())
    slot.users += 1
    if slot.receiving is not None:
        slot.receiving.cancel()
    try:
        async with slot.lock:
            yield slot
    finally:
        slot.users -= 1
        if slot.users == 0:
            del slots[upload_id]


async def _receive(request: Request, writer: files.PartWriter, room: int, slot: _Slot) -> tuple[bool, bool]:
    """Stream the body into the part file: (cut off before its end, more bytes than the upload has room for).

    The event loop receives while a worker thread writes and hashes the previous batch, one batch
    in flight at a time (so a chunk never sits whole in memory). Every byte received before a cut
    is written.
    """
    cut = too_large = False
    received = batch_size = 0
    batch: list[bytes] = []
    writing: asyncio.Future | None = None
    try:
        with anyio.CancelScope() as scope:
            slot.receiving = scope
            try:
                async for piece in request.stream():
                    if received + len(piece) > room:
                        too_large = True
                        break
                    received += len(piece)
                    batch.append(piece)
                    batch_size += len(piece)
                    if batch_size >= WRITE_BATCH_BYTES:
                        if writing is not None:
                            await asyncio.shield(writing)
                        writing = asyncio.ensure_future(asyncio.to_thread(writer.write, batch))
                        batch, batch_size = [], 0
            except InternalServerException:  # Litestar's answer to the client going away mid-body
                cut = True
            finally:
                slot.receiving = None
        cut = cut or scope.cancelled_caught
    finally:
        if writing is not None:
            await writing  # the batch in flight lands before anything else touches the file
    if batch and not too_large:
        await asyncio.to_thread(writer.write, batch)
    return cut, too_large


# --- the routes -------------------------------------------------------------------------------------------


async def _own_upload(request: Request, upload_id: str) -> dict:
    """The caller's upload from this device, or 404 (`upload_expired` once past its expiry)."""
    principal = principal_of(request)
    row = await store.upload_row(request.app.state.db, upload_id) if _UPLOAD_ID.fullmatch(upload_id) else None
    if row is None or row["auditor"] != principal.name or row["device_id"] != principal.device_id:
        raise _tus_problem(404, "not_found", "no such upload")
    if row["expires_at"] <= now_iso():
        raise _tus_problem(404, "upload_expired", "the upload expired before it was finished; start a new one")
    return dict(row)


def _offset_answer(offset: int) -> Response[None]:
    return Response(None, status_code=204, headers={**TUS, "Upload-Offset": str(offset), "Cache-Control": "no-store"})


@route(
    "/v1/uploads",
    http_method=[HttpMethod.OPTIONS],
    opt=roles("public"),
    status_code=204,
    security=[{}],
    responses=problems(500),
    tags=["uploads"],
    exception_handlers=TUS_ERRORS,
    response_headers=[
        ResponseHeader(name="Tus-Version", value=TUS_VERSION, documentation_only=True),
        ResponseHeader(name="Tus-Extension", value=TUS_EXTENSIONS, documentation_only=True),
        ResponseHeader(name="Tus-Checksum-Algorithm", value="sha1,sha256", documentation_only=True),
        ResponseHeader(name="Tus-Max-Size", documentation_only=True, description="the largest upload, in bytes"),
    ],
    operation_class=_tus_operation(version=False),
)
async def tus_options(request: Request) -> Response[None]:
    """tus discovery: the protocol version, extensions, checksum algorithms and the largest upload."""
    return Response(
        None,
        status_code=204,
        headers={
            **TUS,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Checksum-Algorithm": ",".join(files.CHECKSUM_ALGORITHMS),
            "Tus-Max-Size": str(request.app.state.settings.max_blob_bytes),
            "Allow": "OPTIONS, POST",
        },
    )


@post(
    "/v1/uploads",
    opt=UPLOAD,
    status_code=201,
    media_type=MediaType.TEXT,
    responses=problems(400, 401, 403, 412, 413, 429),
    tags=["uploads"],
    exception_handlers=TUS_ERRORS,
    response_headers=[
        ResponseHeader(name="Location", documentation_only=True, description="the upload's URL, for HEAD and PATCH"),
        _OFFSET_HEADERS[0],
    ],
    operation_class=_tus_operation(
        _header(
            "Upload-Length", "the file's size in bytes (at most the server's `Tus-Max-Size`)", pattern=r"^[0-9]+$(?!\n)"
        ),
        _header(
            "Upload-Metadata",
            "`sha256 <base64 of the hex SHA-256>,content_type <base64 of an image or audio type>`",
        ),
    ),
)
async def create_upload(request: Request) -> Response[None]:
    """Start an upload of one evidence file; if the blob is already stored there is nothing left to send.

    429 `upload_quota_exceeded` when the auditor already has too many uploads under way, or too many
    bytes declared and not sent yet (`TEKSERU_UPLOADS_PER_AUDITOR`, `TEKSERU_UPLOAD_BYTES_PER_AUDITOR`).
    """
    _check_version(request)
    settings = request.app.state.settings
    length = _number(request, "Upload-Length")
    if length > settings.max_blob_bytes:
        raise _tus_problem(413, "too_large", f"an evidence file may hold at most {settings.max_blob_bytes} bytes")
    if length == 0:
        raise _tus_problem(400, "invalid_header", "`Upload-Length` must be at least 1: an empty file is no evidence")
    sha256, content_type = _metadata(request.headers.get("upload-metadata"))
    principal = principal_of(request)
    db = request.app.state.db
    for gone in await store.expire(db, settings.data_dir, busy=set(_slots(request.app.state))):
        _running_hashes(request.app.state).pop(gone, None)
    done = await _already_stored(request, sha256, length, content_type)
    upload_id = secrets.token_hex(16)
    await store.create_upload(
        db,
        upload_id,
        principal.name,
        principal.device_id or "",
        sha256,
        content_type,
        length,
        length if done else 0,
        store.expiry(settings.upload_expiry_s),
        store.UploadQuota(uploads=settings.uploads_per_auditor, bytes=settings.upload_bytes_per_auditor),
    )
    return Response(
        None, status_code=201, media_type=MediaType.TEXT, headers={**TUS, "Location": f"/v1/uploads/{upload_id}"}
    )


async def _already_stored(request: Request, sha256: str, length: int, content_type: str) -> bool:
    """True when the blob is stored intact (recording a whole blob file that a crash left without its row).

    A stored blob whose file turns out damaged or gone is taken out here (its visits await it
    again) and the upload starts from 0, never "already complete".
    """
    db, settings = request.app.state.db, request.app.state.settings
    tz = ZoneInfo(settings.timezone)
    blob = await store.stored(db, sha256)
    if blob is not None:
        return blob["size"] == length and await store.intact(db, settings.data_dir, blob, tz)
    if files.stored_size(settings.data_dir, sha256) != length:
        return False
    check = await asyncio.to_thread(files.check_blob_file, settings.data_dir, sha256, length)
    if not check.intact:
        return False
    await store.record_blob(db, sha256, length, content_type, tz, check.identity)
    return True


@head(
    "/v1/uploads/{upload_id:str}",
    opt=UPLOAD,
    status_code=200,
    media_type=MediaType.TEXT,
    responses=problems(400, 401, 403, 404, 412),
    tags=["uploads"],
    exception_handlers=TUS_ERRORS,
    response_headers=[
        *_OFFSET_HEADERS,
        ResponseHeader(name="Upload-Length", documentation_only=True, description="the file's size"),
    ],
    operation_class=_tus_operation(),
)
async def upload_offset(request: Request, upload_id: FromPath[str]) -> Response[None]:
    """How many bytes of the upload are stored: resume from `Upload-Offset`."""
    _check_version(request)
    row = await _own_upload(request, upload_id)
    return Response(
        None,
        status_code=200,
        media_type=MediaType.TEXT,
        headers={
            **TUS,
            "Upload-Offset": str(row["offset"]),
            "Upload-Length": str(row["length"]),
            "Cache-Control": "no-store",
        },
    )


@patch(
    "/v1/uploads/{upload_id:str}",
    opt=UPLOAD,
    status_code=204,
    # A chunk may be as large as the upload; `append_chunk` refuses a byte past the upload's length.
    request_max_body_size=None,
    responses=problems(400, 401, 403, 404, 409, 412, 413, 415, 460),
    tags=["uploads"],
    exception_handlers=TUS_ERRORS,
    response_headers=_OFFSET_HEADERS,
    operation_class=_tus_operation(
        _header("Upload-Offset", "where this chunk starts: the upload's current offset", pattern=r"^[0-9]+$(?!\n)"),
        body="the next bytes of the file, starting at `Upload-Offset`",
    ),
)
async def append_chunk(request: Request, upload_id: FromPath[str]) -> Response[None]:
    """Append a chunk at `Upload-Offset` (optionally with `Upload-Checksum: sha1|sha256 <base64>`)."""
    _check_version(request)
    if request.headers.get("content-type", "").partition(";")[0].strip().lower() != OFFSET_MEDIA_TYPE:
        raise _tus_problem(415, "unsupported_media_type", f"a chunk is sent as `{OFFSET_MEDIA_TYPE}`")
    offset = _number(request, "Upload-Offset")
    checksum = _checksum(request.headers.get("upload-checksum"))
    await _own_upload(request, upload_id)  # only the upload's own device may stop a request receiving
    async with _exclusive(request.app.state, upload_id) as slot:
        row = await _own_upload(request, upload_id)  # as it is now that no other request writes
        if row["offset"] == row["length"]:
            return _offset_answer(row["length"])
        if offset != row["offset"]:
            raise _tus_problem(
                409,
                "offset_mismatch",
                f"the upload is at offset {row['offset']}, not {offset}: resume from there",
                **{"Upload-Offset": str(row["offset"])},
            )
        return await _append(request, row, checksum, slot)


async def _append(request: Request, row: dict, checksum: tuple[str, bytes] | None, slot: _Slot) -> Response[None]:
    settings, db = request.app.state.settings, request.app.state.db
    principal = principal_of(request)
    upload_id, base, length = row["upload_id"], row["offset"], row["length"]
    room = length - base
    announced = request.headers.get("content-length")
    if announced is not None and _DIGITS.fullmatch(announced) and int(announced) > room:
        raise _tus_problem(413, "too_large", f"the chunk is longer than the {room} bytes the upload still needs")
    part = files.part_path(settings.data_dir, upload_id)
    hashes = _running_hashes(request.app.state)
    known = hashes.get(upload_id)
    whole = known[1].copy() if known and known[0] == base else (hashlib.sha256() if base == 0 else None)
    try:
        writer = files.PartWriter(part, base, checksum[0] if checksum else None, whole)
    except files.PartLost:
        return await _part_lost(request, row)
    try:
        cut, too_large = await _receive(request, writer, room, slot)
        if too_large:
            writer.rollback()
            raise _tus_problem(413, "too_large", f"the chunk is longer than the {room} bytes the upload still needs")
        if checksum and cut:
            writer.rollback()
            raise _tus_problem(
                400, "chunk_incomplete", "the chunk ended before its last byte and cannot be checked; nothing was kept"
            )
        if checksum and writer.digest() != checksum[1]:
            writer.rollback()
            raise _tus_problem(
                460,
                "checksum_mismatch",
                f"the chunk does not match its {checksum[0]} checksum; the offset is unchanged",
            )
        if writer.written == 0:
            return _offset_answer(base)
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
    expires_at = store.expiry(settings.upload_expiry_s)
    if offset < length:
        if not await store.advance(db, upload_id, base, offset, expires_at, principal.token_prefix):
            raise _tus_problem(404, "upload_expired", "the upload expired while the chunk arrived; start a new one")
        if writer.whole is not None:
            hashes[upload_id] = (offset, writer.whole)
        return _offset_answer(offset)
    hashes.pop(upload_id, None)
    return await _finish(request, row, base, expires_at, writer.whole)


async def _finish(
    request: Request, row: dict, base: int, expires_at: str, whole: hashlib._Hash | None
) -> Response[None]:
    """The last byte arrived: check the whole file's SHA-256, then make it a blob (or discard it).

    The hash went along with the bytes as this process wrote them; after a restart mid-upload
    the file is read again instead.
    """
    settings, db = request.app.state.settings, request.app.state.db
    part = files.part_path(settings.data_dir, row["upload_id"])
    actual = whole.hexdigest() if whole is not None else await asyncio.to_thread(files.file_sha256, part)
    if actual != row["sha256"]:
        await store.discard(db, row["upload_id"])
        files.remove_part(settings.data_dir, row["upload_id"])
        raise _tus_problem(
            460,
            "checksum_mismatch",
            f"the whole file's SHA-256 is {actual}, not the {row['sha256']} announced; the upload is discarded:"
            " start a new one",
        )

    async def place() -> Path:
        return await asyncio.to_thread(files.promote, part, settings.data_dir, row["sha256"])

    tz = ZoneInfo(settings.timezone)
    principal = principal_of(request)
    if not await store.complete(db, row, base, expires_at, principal.token_prefix, place, tz):
        raise _tus_problem(404, "upload_expired", "the upload expired while the chunk arrived; start a new one")
    return _offset_answer(row["length"])


async def _part_lost(request: Request, row: dict) -> Response[None]:
    """The part file is gone: finished by a crash-interrupted completion, or lost (send it again from 0)."""
    if await _already_stored(request, row["sha256"], row["length"], row["content_type"]):
        await store.finished(request.app.state.db, row["upload_id"])
        return _offset_answer(row["length"])
    await store.restart(request.app.state.db, row["upload_id"])
    raise _tus_problem(
        409, "offset_mismatch", "the stored bytes of this upload were lost: resume from 0", **{"Upload-Offset": "0"}
    )


ROUTES = [tus_options, create_upload, upload_offset, append_chunk]
