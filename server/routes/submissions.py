"""Submissions: the review queue, the merged view, the revisions, corrections, releasing a pending revision."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from server.auth import Principal, principal_of, roles
from server.db import Database
from server.errors import ProblemError, not_found, problems
from server.integrity.flags import CODES, FlagOut, flag_out
from server.openapi import raw_body
from server.periods import PERIOD_PATTERN
from server.routes.params import CursorParam, LimitParam
from server.settings import Settings
from server.store import integrity as integrity_store
from server.store import reviews as reviews_store
from server.store import submissions as store
from server.store.views import SubmissionDoc
from server.sync.push import Author, Receipt, store_revisions
from server.sync.review import release
from server.wire import Wire

READ = roles("admin", "quality_lead", "auditor")
REVIEW = roles("admin", "quality_lead")
# Who may see a visit's integrity flags: never its auditor, a unit manager or HR.
SEE_FLAGS = ("admin", "quality_lead")
FLAG_PATTERN = rf"^(any|{'|'.join(CODES)})$(?!\n)"


class RevisionOut(Wire):
    """One stored revision with its arrival metadata."""

    rev_id: str
    parents: list[str]
    sha256: str
    rank: str
    author: str
    device_id: str | None
    received_at: str
    clock_offset_ms: int
    released: bool
    merged: bool
    pending: bool
    checklist_changed: bool
    content: msgspec.Raw


class RevisionList(Wire):
    items: list[RevisionOut]
    quarantined: list[str]


async def visible_document(request: Request, db: Database, submission_id: str) -> SubmissionDoc:
    """The submission's document if the caller may see it; 404 otherwise (never 403)."""
    doc = await db.read(store.document, submission_id.lower())
    principal: Principal = principal_of(request)
    if doc is None or (principal.role == "auditor" and doc.auditor != principal.name):
        raise not_found("submission")
    return doc


class SubmissionOut(SubmissionDoc, omit_defaults=True):
    """The document, and for quality leads and admins the visit's integrity flags (never for its
    auditor: what an auditor reads here is what the tablet's pull carries)."""

    integrity_flags: list[FlagOut] | None = None


@get("/v1/submissions/{submission_id:str}", opt=READ, responses=problems(400, 401, 403, 404), tags=["submissions"])
async def get_submission(
    request: Request, db: NamedDependency[Database], submission_id: FromPath[str]
) -> SubmissionOut:
    """The merged view, heads, status, scores, conflicts, flags, pending revisions and the latest decision;
    `integrity_flags` for quality leads and admins."""
    doc = await visible_document(request, db, submission_id)
    fields = msgspec.structs.asdict(doc)
    if principal_of(request).role in SEE_FLAGS:
        flags = (await db.read(integrity_store.flags_of, [doc.submission_id])).get(doc.submission_id, [])
        fields["integrity_flags"] = [flag_out(f) for f in flags]
    return SubmissionOut(**fields)


@get(
    "/v1/submissions/{submission_id:str}/revisions",
    opt=READ,
    responses=problems(400, 401, 403, 404),
    tags=["submissions"],
)
async def list_revisions(request: Request, db: NamedDependency[Database], submission_id: FromPath[str]) -> RevisionList:
    """Every revision of the submission with its parents and arrival metadata, in arrival order."""
    doc = await visible_document(request, db, submission_id)
    rows, held = await db.read(store.revisions_of, doc.submission_id)
    pending = {p.rev_id for p in doc.pending}
    changed = set(doc.checklist_changed)
    items = [
        RevisionOut(
            rev_id=r["rev_id"],
            parents=msgspec.json.decode(r["parents"]),
            sha256=r["sha256"],
            rank=r["rank"],
            author=r["author"],
            device_id=r["device_id"],
            received_at=r["received_at"],
            clock_offset_ms=r["clock_offset_ms"],
            released=bool(r["released"]),
            merged=r["rev_id"] not in pending and r["rev_id"] not in changed,
            pending=r["rev_id"] in pending,
            checklist_changed=r["rev_id"] in changed,
            content=msgspec.Raw(r["content"].encode("utf-8")),
        )
        for r in rows
    ]
    return RevisionList(items=items, quarantined=held)


@post(
    "/v1/submissions/{submission_id:str}/revisions",
    opt=REVIEW,
    status_code=200,
    responses=problems(400, 401, 403, 404, 413),
    tags=["submissions"],
    operation_class=raw_body(
        "a reviewer's correction: one revision whose parents are the heads it was made from",
        {"application/json": "RevisionIn"},
    ),
)
async def correct_submission(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], submission_id: FromPath[str]
) -> Receipt:
    """Store a reviewer's correction; it ranks above the auditors' revisions in the merge."""
    doc = await visible_document(request, db, submission_id)
    principal = principal_of(request)
    body = await request.body()
    try:
        msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise ProblemError(400, "malformed_json", f"the body is not valid JSON: {exc}") from None
    # No device: a correction is made in the office, so its hlc may name any device (`own_problem`
    # in server.sync.quarantine says why that is safe).
    author = Author(
        name=principal.name, rank="reviewer", device_id=None, token_prefix=principal.token_prefix, offset_ms=0
    )
    tz = ZoneInfo(settings.timezone)
    (receipt,) = await store_revisions(db, [body], author, tz, submission_scope=doc.submission_id)
    return receipt


@post(
    "/v1/submissions/{submission_id:str}/release/{rev_id:str}",
    opt=REVIEW,
    status_code=200,
    responses=problems(400, 401, 403, 404, 409),
    tags=["submissions"],
)
async def release_revision(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    submission_id: FromPath[str],
    rev_id: FromPath[str],
) -> SubmissionDoc:
    """Let a pending revision join the merge, treating its missing parents as absent."""
    doc = await visible_document(request, db, submission_id)
    tz = ZoneInfo(settings.timezone)
    return await release(db, doc.submission_id, rev_id.lower(), tz, principal_of(request).name)


class QueueRow(Wire):
    """One submission in the queue, with the reasons it is there."""

    submission_id: str
    status: str
    reasons: list[str]
    unit_id: str | None
    unit_name: str | None
    region: str | None
    auditor: str
    period: str | None
    started_at: str | None
    visit_score: float | None
    conflicts: int
    received_at: str
    # The heads the row was read at: a decision bound to them needs no other request (409 `stale_heads`
    # if the submission changed since).
    heads: list[str]


class QueuePage(Wire):
    items: list[QueueRow]
    next_cursor: str | None


_STATUS = "(draft|received|needs_review|awaiting_evidence|approved|rejected)"
STATUS_PATTERN = rf"^(all|{_STATUS}(,{_STATUS})*)$(?!\n)"
StatusParam = Annotated[
    str | None,
    QueryParameter(
        pattern=STATUS_PATTERN,
        description="comma-separated statuses, or `all`; default: needs_review, received, awaiting_evidence",
    ),
]


@get("/v1/submissions", opt=READ, responses=problems(400, 401, 403), tags=["review"])
async def list_submissions(
    request: Request,
    db: NamedDependency[Database],
    status: StatusParam = None,
    unit_id: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    auditor: FromQuery[str | None] = None,
    period: Annotated[str | None, QueryParameter(pattern=PERIOD_PATTERN)] = None,
    conflicts: FromQuery[bool | None] = None,
    flag: Annotated[
        str | None,
        QueryParameter(
            pattern=FLAG_PATTERN,
            description="visits holding this integrity flag (a code, or `any`); quality leads and admins only",
        ),
    ] = None,
    sort: FromQuery[Literal["age", "recent"]] = "age",
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> QueuePage:
    """The review queue: filters, oldest first (`sort=age`) or newest first, each row with its reasons."""
    statuses = _statuses(status)
    principal = principal_of(request)
    if principal.role == "auditor":
        auditor = principal.name  # an auditor lists its own submissions only
    sees_flags = principal.role in SEE_FLAGS
    if flag is not None and not sees_flags:
        raise ProblemError(403, "forbidden", f"the role {principal.role} may not see integrity flags")
    f = reviews_store.QueueFilter(
        statuses=statuses,
        unit_id=unit_id,
        region=region,
        auditor=auditor,
        period=period,
        conflicts=conflicts,
        flag=flag,
        newest_first=sort == "recent",
    )
    rows = await db.read(reviews_store.queue, f, cursor or "", limit)
    flags = {}
    if sees_flags and rows:
        flags = await db.read(integrity_store.flags_of, [r["submission_id"] for r in rows])
    items = []
    for r in rows:
        doc = msgspec.json.decode(r["document"], type=SubmissionDoc)
        items.append(
            QueueRow(
                submission_id=r["submission_id"],
                status=r["status"],
                reasons=reviews_store.reasons(doc, flags=[f.code for f in flags.get(r["submission_id"], ())]),
                unit_id=r["unit_id"],
                unit_name=r["unit_name"],
                region=r["region"],
                auditor=r["auditor"],
                period=r["period"],
                started_at=r["corrected_start"],
                visit_score=doc.scores.visit if doc.scores else None,
                conflicts=len(doc.conflicts),
                received_at=r["created_at"],
                heads=doc.heads,
            )
        )
    last = rows[-1] if len(rows) == limit else None
    return QueuePage(items=items, next_cursor=f"{last['created_at']}|{last['submission_id']}" if last else None)


def _statuses(value: str | None) -> tuple[str, ...]:
    if value is None:
        return reviews_store.QUEUE_STATUSES
    if value == "all":
        return reviews_store.ALL_STATUSES
    wanted = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in wanted if v not in reviews_store.ALL_STATUSES]
    if unknown or not wanted:
        raise ProblemError(
            400,
            "invalid_request",
            f"unknown status {', '.join(unknown) or '(none)'}; use {', '.join(reviews_store.ALL_STATUSES)} or all",
        )
    return wanted


ROUTES = [get_submission, list_revisions, correct_submission, release_revision, list_submissions]
