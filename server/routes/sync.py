"""Sync for tablets: the change-feed pull and the idempotent push (auditors only)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from server.auth import principal_of, roles
from server.clock import RANGE_TEXT, in_range, now_iso, utc_now
from server.db import Database
from server.errors import FieldError, ProblemError, problems
from server.openapi import document_type, raw_body
from server.settings import Settings
from server.store import pull as pull_store
from server.sync.prepare import PushWorkers
from server.sync.push import Author, Receipt, clock_offset_ms, store_revisions
from server.sync.revision import MAX_REVISIONS_PER_PUSH, AwareTime, RevisionIn
from server.wire import Uuid, Wire


@document_type
class PushRequest(msgspec.Struct, kw_only=True):
    """`POST /v1/sync/push`: the envelope is strict; each revision is decoded on its own."""

    device_id: Uuid
    sent_at: AwareTime
    revisions: Annotated[list[RevisionIn], msgspec.Meta(max_length=MAX_REVISIONS_PER_PUSH)]


class _Envelope(msgspec.Struct, kw_only=True):
    device_id: Uuid
    sent_at: AwareTime
    revisions: list[msgspec.Raw]


class PushResponse(Wire):
    receipts: list[Receipt]
    server_time: str


class Change(Wire):
    seq: int
    kind: str
    id: str
    op: str
    data: msgspec.Raw | None


class PullResponse(Wire):
    changes: list[Change]
    cursor: str
    has_more: bool
    server_time: str


_envelope_decoder = msgspec.json.Decoder(_Envelope)


def decode_envelope(body: bytes) -> _Envelope:
    """The push envelope, or 400 naming what is wrong with it (the revisions are decoded later)."""
    try:
        envelope = _envelope_decoder.decode(body)
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        raise ProblemError(
            400,
            "invalid_request",
            "the push envelope is not of the expected shape",
            [FieldError(path=where.rstrip("`").lstrip("."), message=message)],
        ) from None
    except msgspec.DecodeError as exc:
        raise ProblemError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    if not in_range(envelope.sent_at):
        # The device's clock offset is measured from `sent_at`; one this far off would shift every
        # visit of the push out of any period (and year 9999 cannot even be converted to UTC).
        raise ProblemError(
            400,
            "time_out_of_range",
            f"sent_at is outside {RANGE_TEXT}: the device's date or clock is wrong",
            [FieldError(path="sent_at", message=f"must lie in {RANGE_TEXT}")],
        )
    if len(envelope.revisions) > MAX_REVISIONS_PER_PUSH:
        raise ProblemError(
            400,
            "too_many_revisions",
            f"at most {MAX_REVISIONS_PER_PUSH} revisions per push; send the rest in another",
            [FieldError(path="revisions", message=f"{len(envelope.revisions)} revisions")],
        )
    return envelope


@post(
    "/v1/sync/push",
    opt=roles("auditor"),
    status_code=200,
    responses=problems(400, 401, 403, 413),
    tags=["sync"],
    operation_class=raw_body("revisions made on the tablet", {"application/json": "PushRequest"}),
)
async def push(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    push_workers: NamedDependency[PushWorkers | None],
) -> PushResponse:
    """Store the tablet's revisions, each committed before the answer; one receipt per revision, in order."""
    principal = principal_of(request)
    envelope = decode_envelope(await request.body())
    if envelope.device_id.lower() != principal.device_id:
        raise ProblemError(
            400,
            "device_mismatch",
            "device_id in the body differs from the Tekseru-Device-Id header",
            [FieldError(path="device_id", message="must equal the Tekseru-Device-Id header")],
        )
    author = Author(
        name=principal.name,
        rank="auditor",
        device_id=principal.device_id,
        token_prefix=principal.token_prefix,
        offset_ms=clock_offset_ms(envelope.sent_at, utc_now()),
    )
    receipts = await store_revisions(
        db,
        [bytes(r) for r in envelope.revisions],
        author,
        ZoneInfo(settings.timezone),
        workers=push_workers,
    )
    return PushResponse(receipts=receipts, server_time=now_iso())


PullLimit = Annotated[int, QueryParameter(ge=1, le=5000, description="changes per page (default 500, at most 5000)")]
PullCursor = Annotated[str | None, QueryParameter(max_length=200, description="the cursor of the previous answer")]


@get("/v1/sync/pull", opt=roles("auditor"), responses=problems(400, 401, 403, 410), tags=["sync"])
async def pull(
    request: Request, db: NamedDependency[Database], cursor: PullCursor = None, limit: PullLimit = 500
) -> PullResponse:
    """Changes after the cursor, in sequence order: checklists, units, staff, own assignments and submissions."""
    principal = principal_of(request)
    changes, last, has_more = await db.read(pull_store.page, principal.name, cursor, limit)
    return PullResponse(
        changes=[
            Change(seq=seq, kind=kind, id=object_id, op=op, data=data) for seq, kind, object_id, op, data in changes
        ],
        cursor=last,
        has_more=has_more,
        server_time=now_iso(),
    )


ROUTES = [push, pull]
