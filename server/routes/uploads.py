"""Evidence uploads over tus 1.0.0 (core, creation, checksum), so stock tus clients work (API.md).

Thin handlers: each reads the tus headers, hands the chunk's body to `server.sync.tus` (the
protocol and the life of an upload) and answers with the new offset. Every tus answer carries
`Tus-Resumable`, errors included.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from litestar import Request, Response, head, patch, post, route
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.enums import HttpMethod, MediaType
from litestar.exceptions import InternalServerException
from litestar.openapi.spec import OpenAPIResponse, Operation, Schema
from litestar.openapi.spec import Parameter as HeaderSpec
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath, SkipValidation

from server.auth import principal_of, roles
from server.errors import EXCEPTION_HANDLERS, problems
from server.openapi import raw_body
from server.settings import Settings
from server.sync import tus
from server.sync.tus import OFFSET_MEDIA_TYPE, TUS, TUS_EXTENSIONS, TUS_VERSION

# Auditors upload their visits' evidence; unit managers the evidence of their appeals (same quotas).
UPLOAD = roles("auditor", "unit_manager")
# The server's tus uploads, injected (`server.app`); not validated: the signature model would take
# the dataclass apart and build it again.
TusUploads = NamedDependency[SkipValidation[tus.Uploads]]


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


# --- the routes -------------------------------------------------------------------------------------------


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The chunk's bytes as they arrive; `BodyCut` when the client goes away mid-body."""
    try:
        async for piece in request.stream():
            yield piece
    except InternalServerException:  # Litestar's answer to the client going away mid-body
        raise tus.BodyCut from None


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
async def tus_options(settings: NamedDependency[Settings]) -> Response[None]:
    """tus discovery: the protocol version, extensions, checksum algorithms and the largest upload."""
    return Response(
        None,
        status_code=204,
        headers={
            **TUS,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUM_ALGORITHMS),
            "Tus-Max-Size": str(settings.max_blob_bytes),
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
async def create_upload(request: Request, uploads: TusUploads) -> Response[None]:
    """Start an upload of one evidence file; if the blob is already stored there is nothing left to send.

    429 `upload_quota_exceeded` when the auditor already has too many uploads under way, or too many
    bytes declared and not sent yet (`TEKSERU_UPLOADS_PER_AUDITOR`, `TEKSERU_UPLOAD_BYTES_PER_AUDITOR`).
    """
    tus.check_version(request.headers.get("tus-resumable"))
    length = tus.upload_length(request.headers.get("upload-length"), uploads.settings.max_blob_bytes)
    announced = tus.metadata(request.headers.get("upload-metadata"))
    upload_id = await uploads.create(principal_of(request), length, announced)
    return Response(
        None, status_code=201, media_type=MediaType.TEXT, headers={**TUS, "Location": f"/v1/uploads/{upload_id}"}
    )


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
async def upload_offset(request: Request, uploads: TusUploads, upload_id: FromPath[str]) -> Response[None]:
    """How many bytes of the upload are stored: resume from `Upload-Offset`."""
    tus.check_version(request.headers.get("tus-resumable"))
    row = await uploads.own(principal_of(request), upload_id)
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
async def append_chunk(request: Request, uploads: TusUploads, upload_id: FromPath[str]) -> Response[None]:
    """Append a chunk at `Upload-Offset` (optionally with `Upload-Checksum: sha1|sha256 <base64>`)."""
    headers = request.headers
    tus.check_version(headers.get("tus-resumable"))
    tus.check_chunk_type(headers.get("content-type"))
    offset = tus.number("Upload-Offset", headers.get("upload-offset"))
    chunk_checksum = tus.checksum(headers.get("upload-checksum"))
    length_declared = tus.declared_length(headers.get("content-length"))
    return _offset_answer(
        await uploads.append(principal_of(request), upload_id, offset, chunk_checksum, _body(request), length_declared)
    )


ROUTES = [tus_options, create_upload, upload_offset, append_chunk]
