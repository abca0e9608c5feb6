"""Evidence blobs: which hashes the server still lacks, serving a blob to those who may see it, and
checking every stored blob (`tekseru blobs verify`), wherever the blob store keeps them."""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import FromPath
from litestar.response import File, Stream

from server.audited import evidence_file
from server.auth import principal_of, roles
from server.blobstore import BlobStore, BlobStoreUnavailable
from server.db import Database
from server.errors import ProblemError, not_found, problems
from server.settings import Settings
from server.store import blobs as store
from server.store import users as users_store
from server.store.views import Refresh
from server.sync import evidence
from server.sync.refresh import refresher
from server.sync.tus import ALLOWED_CONTENT_TYPES
from server.wire import Body, Wire, strict_body

Sha256Hex = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[0-9a-fA-F]{64}$(?!\n)",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    ),
]
MAX_HASHES = 1000


class MissingIn(Body):
    """The hashes of the evidence files a tablet holds."""

    sha256: Annotated[list[Sha256Hex], msgspec.Meta(max_length=MAX_HASHES)]


class MissingOut(Wire):
    """Those of them the server does not have (lower-case, in the order asked, each once): upload these."""

    missing: list[str]


def _inline_body(description: str, body_type: type[msgspec.Struct]) -> type[Operation]:
    """An operation whose JSON body the handler reads raw, documented inline with msgspec's own schema.

    Litestar's schema of a list loses its items' constraints (the hex pattern of each hash), and
    `server.openapi.raw_body` components of strict types are not closed yet; inline, the schema is
    msgspec's, `additionalProperties: false` included.
    """
    schema = msgspec.json.schema(body_type)["$defs"][body_type.__name__]

    @dataclass
    class InlineBodyOperation(Operation):
        def __post_init__(self) -> None:
            content = {"application/json": OpenAPIMediaType(schema=schema)}  # type: ignore[arg-type]
            self.request_body = RequestBody(content=content, required=True, description=description)

    return InlineBodyOperation


@post(
    "/v1/blobs/missing",
    opt=roles("auditor"),
    status_code=200,
    responses=problems(400, 401, 403, 413),
    tags=["blobs"],
    operation_class=_inline_body("the hashes of the evidence files the tablet holds", MissingIn),
)
async def missing_blobs(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    blobs: NamedDependency[BlobStore],
) -> MissingOut:
    """Which of these blobs the server lacks, so a tablet uploads only those."""
    try:
        data = msgspec.json.decode(await request.body())
    except msgspec.DecodeError as exc:
        raise ProblemError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    body = strict_body(data, MissingIn)
    hashes = [h.lower() for h in body.sha256]
    return MissingOut(missing=await evidence.missing(db, blobs, hashes, _refresh(db, settings)))


def _refresh(db: Database, settings: Settings) -> Refresh:
    """The engine's view refresh, for the blob functions that take a lost or found blob in or out."""
    return refresher(db, ZoneInfo(settings.timezone))


@dataclass
class _BytesOperation(Operation):
    """The 200 is the blob's bytes, sent from a file or streamed from a bucket: one schema for both."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse):
            for media in (ok.content or {}).values():
                media.schema = Schema(type=OpenAPIType.STRING, format="binary")


class BlobStream(Stream):
    """A streamed blob with its own content type: Litestar 2's `Stream` lets the route's `media_type` (here
    the documented `application/octet-stream`) win over the response's, where `File` keeps its own."""

    def to_asgi_response(self, *args: Any, media_type: Any = None, **kwargs: Any) -> Any:
        return super().to_asgi_response(*args, media_type=self.media_type, **kwargs)


def _http_date(stored_at: str) -> str:
    """When the blob was stored, as an HTTP date (RFC 9110), as a file's answer gives it."""
    moment = dt.datetime.fromisoformat(stored_at.replace("Z", "+00:00"))
    return email.utils.format_datetime(moment.astimezone(dt.UTC), usegmt=True)


async def blob_answer(
    db: Database, blobs: BlobStore, blob: Any, refresh: Refresh, headers: dict[str, str]
) -> File | BlobStream | None:
    """The blob's bytes with its stored content type, checked before a byte is sent; None when its stored
    copy is damaged or gone (it is then taken out, `evidence.intact`).

    A 200 has promised the whole blob, so damage found half way could only cut the connection, and the
    client would keep the bytes it got. A file is sent from its path; an object is read only while it
    still shows the identity just checked (a copy put over it meanwhile is checked in its turn).
    """
    sha256 = blob["sha256"]
    for _ in range(2):
        identity = await evidence.intact(db, blobs, blob, refresh)
        if identity is None:
            return None
        path = blobs.local_path(sha256)
        if path is not None:
            return File(
                path=path,
                filename=sha256,
                content_disposition_type="inline",
                media_type=blob["content_type"],
                headers=headers,
                etag=None,
            )
        opened = await blobs.open(sha256, identity)
        if opened is not None:
            return BlobStream(
                opened.chunks,
                media_type=blob["content_type"],
                headers={
                    **headers,
                    "Content-Length": str(opened.size),
                    "Content-Disposition": f'inline; filename="{sha256}"',
                    "Last-Modified": _http_date(blob["stored_at"]),
                },
            )
        blob = await db.read(store.stored, sha256)
        if blob is None:
            return None
    raise BlobStoreUnavailable(f"blob {sha256} changed in the store each time it was checked")


@get(
    "/v1/blobs/{sha256:str}",
    # Served with the content type it was uploaded with: one of those an upload may name.
    opt=roles("admin", "quality_lead", "auditor", "unit_manager") | {"also_as": sorted(ALLOWED_CONTENT_TYPES)},
    responses=problems(400, 401, 403, 404, 409),
    tags=["blobs"],
    media_type="application/octet-stream",
    response_description="the file, with the content type it was uploaded with",
    response_headers=[
        ResponseHeader(name="X-Content-Type-Options", value="nosniff", documentation_only=True),
        # Sent from a file and from a bucket alike (a `File | Stream` answer is not documented by itself).
        ResponseHeader(name="last-modified", value="", documentation_only=True),
    ],
    operation_class=_BytesOperation,
)
async def get_blob(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    blobs: NamedDependency[BlobStore],
    sha256: FromPath[str],
) -> File | BlobStream:
    """An evidence file, to those who may see a submission or an appeal that references it (404 otherwise).

    A unit manager gets the evidence of their units' approved visits and appeals as the audited may
    see it (`server.audited`): a photo re-encoded without its metadata (409 `photo_not_viewable` when
    it cannot be), audio as stored, and no `Last-Modified`. Everyone else gets the stored bytes.
    404 `blob_damaged` when its stored file no longer matches its SHA-256 or is gone: it is then
    listed by `POST /v1/blobs/missing` and its visits await it again until it is uploaded again.
    """
    sha256 = sha256.lower()
    principal = principal_of(request)
    auditor = principal.name if principal.role == "auditor" else None
    units = await db.read(users_store.units_of, principal.name) if principal.role == "unit_manager" else None
    blob = await db.read(store.visible_blob, sha256, auditor, units) if len(sha256) == 64 else None
    if blob is None:
        raise not_found("blob")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=31536000, immutable"}
    if units is not None:
        audited = await evidence_file(db, blobs, blob, _refresh(db, settings))
        if audited is None:
            raise _damaged()
        return BlobStream(
            audited.chunks,
            media_type=audited.content_type,
            headers={
                **headers,
                "Content-Length": str(audited.size),
                "Content-Disposition": f'inline; filename="{sha256}"',
            },
        )
    answer = await blob_answer(db, blobs, blob, _refresh(db, settings), headers)
    if answer is None:
        raise _damaged()
    return answer


def _damaged() -> ProblemError:
    return ProblemError(
        404,
        "blob_damaged",
        "the server's copy of this blob is damaged or gone; it is listed by POST /v1/blobs/missing"
        " until the tablet that holds it uploads it again",
    )


@post(
    "/v1/admin/blobs/verify",
    opt=roles("admin"),
    status_code=200,
    responses=problems(401, 403),
    tags=["admin"],
)
async def verify_blobs(
    db: NamedDependency[Database], settings: NamedDependency[Settings], blobs: NamedDependency[BlobStore]
) -> store.BlobsVerified:
    """Read and hash every stored blob: those damaged or gone are taken out (their visits await them
    again, `/v1/blobs/missing` lists them), lost ones whose right copy is back are taken back."""
    return await evidence.verify_all(db, blobs, _refresh(db, settings))


ROUTES = [missing_blobs, get_blob, verify_blobs]
