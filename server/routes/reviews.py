"""The review queue and review decisions (quality leads; auditors list their own)."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter, SkipValidation

from server.auth import principal_of, roles
from server.errors import ProblemError, problems
from server.periods import PERIOD_PATTERN
from server.routes.params import CursorParam, LimitParam
from server.routes.submissions import visible_document
from server.store import reviews as store
from server.sync.view import SubmissionDoc
from server.wire import Body, RowId, Uuid, Wire, strict_body

Comment = Annotated[str, msgspec.Meta(max_length=4000)]


class ReviewIn(Body):
    """A decision on the heads the reviewer saw (409 `stale_heads` if they are no longer current)."""

    decision: Literal["approve", "reject"]
    # The heads the reviewer saw; any that are not the current heads make the decision stale (409).
    heads: Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(min_length=1, max_length=100)]
    comment: Comment | None = None
    # The id of the decision in force that this one replaces: without it, another outcome on heads
    # that already carry a decision is 409 `already_decided` (the same outcome again is a repeat).
    supersedes: RowId | None = None


class BulkReviewItem(ReviewIn, kw_only=True):
    submission_id: Uuid


class BulkReviewIn(Body):
    decisions: Annotated[list[BulkReviewItem], msgspec.Meta(min_length=1, max_length=1000)]


class BulkReviewOut(Wire):
    items: list[store.DecisionResult]


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


class QueuePage(Wire):
    items: list[QueueRow]
    next_cursor: str | None


@post(
    "/v1/submissions/{submission_id:str}/review",
    opt=roles("admin", "quality_lead"),
    status_code=200,
    responses=problems(400, 401, 403, 404, 409),
    tags=["review"],
)
async def review(
    request: Request, submission_id: FromPath[str], data: JSONBody[SkipValidation[ReviewIn]]
) -> SubmissionDoc:
    """Approve or reject the submission as it was at the heads named.

    The same outcome again on the same heads answers the decision already recorded; another outcome
    on heads that carry a decision is 409 `already_decided` unless it names that decision in
    `supersedes` (the decision's `id`, as `review.id` shows it).
    """
    body = strict_body(data, ReviewIn)
    doc = await visible_document(request, submission_id)
    decision = store.Decision(
        submission_id=doc.submission_id,
        decision=body.decision,
        comment=body.comment,
        heads=body.heads,
        supersedes=body.supersedes,
    )
    tz = ZoneInfo(request.app.state.settings.timezone)
    (result,) = await store.decide(request.app.state.db, principal_of(request).name, [decision], tz)
    if result.problem is not None:
        status = 404 if result.problem["code"] == "not_found" else 409
        raise ProblemError(status, result.problem["code"], result.problem["message"])
    return await visible_document(request, submission_id)


@post(
    "/v1/submissions/review",
    opt=roles("admin", "quality_lead"),
    status_code=200,
    responses=problems(400, 401, 403),
    tags=["review"],
)
async def review_bulk(request: Request, data: JSONBody[SkipValidation[BulkReviewIn]]) -> BulkReviewOut:
    """Several decisions at once; each applies or fails on its own (`stale_heads`, `already_decided`, ...)."""
    body = strict_body(data, BulkReviewIn)
    decisions = [
        store.Decision(
            submission_id=d.submission_id.lower(),
            decision=d.decision,
            comment=d.comment,
            heads=d.heads,
            supersedes=d.supersedes,
        )
        for d in body.decisions
    ]
    tz = ZoneInfo(request.app.state.settings.timezone)
    return BulkReviewOut(items=await store.decide(request.app.state.db, principal_of(request).name, decisions, tz))


_STATUS = "(draft|received|needs_review|awaiting_evidence|approved|rejected)"
STATUS_PATTERN = rf"^(all|{_STATUS}(,{_STATUS})*)$(?!\n)"
StatusParam = Annotated[
    str | None,
    QueryParameter(
        pattern=STATUS_PATTERN,
        description="comma-separated statuses, or `all`; default: needs_review, received, awaiting_evidence",
    ),
]


@get(
    "/v1/submissions", opt=roles("admin", "quality_lead", "auditor"), responses=problems(400, 401, 403), tags=["review"]
)
async def list_submissions(
    request: Request,
    status: StatusParam = None,
    unit_id: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    auditor: FromQuery[str | None] = None,
    period: Annotated[str | None, QueryParameter(pattern=PERIOD_PATTERN)] = None,
    conflicts: FromQuery[bool | None] = None,
    sort: FromQuery[Literal["age", "recent"]] = "age",
    limit: LimitParam = 100,
    cursor: CursorParam = None,
) -> QueuePage:
    """The review queue: filters, oldest first (`sort=age`) or newest first, each row with its reasons."""
    statuses = _statuses(status)
    principal = principal_of(request)
    if principal.role == "auditor":
        auditor = principal.name  # an auditor lists its own submissions only
    f = store.QueueFilter(
        statuses=statuses,
        unit_id=unit_id,
        region=region,
        auditor=auditor,
        period=period,
        conflicts=conflicts,
        newest_first=sort == "recent",
    )
    rows = await store.queue(request.app.state.db, f, cursor or "", limit)
    items = []
    for r in rows:
        doc = msgspec.json.decode(r["document"], type=SubmissionDoc)
        items.append(
            QueueRow(
                submission_id=r["submission_id"],
                status=r["status"],
                reasons=store.reasons(doc),
                unit_id=r["unit_id"],
                unit_name=r["unit_name"],
                region=r["region"],
                auditor=r["auditor"],
                period=r["period"],
                started_at=r["corrected_start"],
                visit_score=doc.scores.visit if doc.scores else None,
                conflicts=len(doc.conflicts),
                received_at=r["created_at"],
            )
        )
    last = rows[-1] if len(rows) == limit else None
    return QueuePage(items=items, next_cursor=f"{last['created_at']}|{last['submission_id']}" if last else None)


def _statuses(value: str | None) -> tuple[str, ...]:
    if value is None:
        return store.QUEUE_STATUSES
    if value == "all":
        return store.ALL_STATUSES
    wanted = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in wanted if v not in store.ALL_STATUSES]
    if unknown or not wanted:
        raise ProblemError(
            400,
            "invalid_request",
            f"unknown status {', '.join(unknown) or '(none)'}; use {', '.join(store.ALL_STATUSES)} or all",
        )
    return wanted


ROUTES = [review, review_bulk, list_submissions]
