"""Review decisions on submissions (quality leads and admins); the queue is in `routes/submissions.py`."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, SkipValidation

from server.auth import principal_of, roles
from server.db import Database
from server.errors import ProblemError, problems
from server.routes.submissions import visible_document
from server.settings import Settings
from server.store import reviews as store
from server.store.views import SubmissionDoc
from server.sync.review import decide
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


@post(
    "/v1/submissions/{submission_id:str}/review",
    opt=roles("admin", "quality_lead"),
    status_code=200,
    responses=problems(400, 401, 403, 404, 409),
    tags=["review"],
)
async def review(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    submission_id: FromPath[str],
    data: JSONBody[SkipValidation[ReviewIn]],
) -> SubmissionDoc:
    """Approve or reject the submission as it was at the heads named.

    The same outcome again on the same heads answers the decision already recorded; another outcome
    on heads that carry a decision is 409 `already_decided` unless it names that decision in
    `supersedes` (the decision's `id`, as `review.id` shows it).
    """
    body = strict_body(data, ReviewIn)
    doc = await visible_document(request, db, submission_id)
    decision = store.Decision(
        submission_id=doc.submission_id,
        decision=body.decision,
        comment=body.comment,
        heads=body.heads,
        supersedes=body.supersedes,
    )
    tz = ZoneInfo(settings.timezone)
    (result,) = await decide(db, principal_of(request).name, [decision], tz)
    if result.problem is not None:
        status = 404 if result.problem["code"] == "not_found" else 409
        raise ProblemError(status, result.problem["code"], result.problem["message"])
    return await visible_document(request, db, submission_id)


@post(
    "/v1/submissions/review",
    opt=roles("admin", "quality_lead"),
    status_code=200,
    responses=problems(400, 401, 403),
    tags=["review"],
)
async def review_bulk(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    data: JSONBody[SkipValidation[BulkReviewIn]],
) -> BulkReviewOut:
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
    tz = ZoneInfo(settings.timezone)
    return BulkReviewOut(items=await decide(db, principal_of(request).name, decisions, tz))


ROUTES = [review, review_bulk]
