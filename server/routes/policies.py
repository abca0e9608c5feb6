"""Motivation policies: publish (JSON or TOML), read, list."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from checklists.validate import Invalid
from reports.policy import Policy, load_policy
from server.appeals import policy_publisher
from server.auth import roles
from server.db import Database
from server.errors import invalid, not_found, problems
from server.openapi import raw_body
from server.routes.checklists import Published, body_format
from server.routes.params import VersionPath
from server.settings import Settings
from server.store import policies as store
from server.wire import Wire


class PolicyVersion(Wire):
    id: str
    version: int
    sha256: str
    published_at: str
    policy: Policy


class PolicyList(Wire):
    items: list[PolicyVersion]


def _version(row) -> PolicyVersion:
    return PolicyVersion(
        id=row["policy_id"],
        version=row["version"],
        sha256=row["sha256"],
        published_at=row["published_at"],
        policy=store.policy_of(row),
    )


@post(
    "/v1/policies",
    opt=roles("admin", "quality_lead"),
    responses=problems(400, 401, 403, 409, 413, 415)
    | {200: ResponseSpec(data_container=Published, description="the same content was already published")},
    tags=["policies"],
    operation_class=raw_body("one motivation policy version", {"application/json": "Policy", "application/toml": None}),
)
async def publish_policy(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Response[Published]:
    """Publish a policy version: 201 new, 200 when the same content is already published."""
    try:
        loaded = load_policy(await request.body(), body_format(request), "body")
    except Invalid as exc:
        raise invalid(exc, "invalid_policy", "the policy is not valid") from None
    created = await db.write(policy_publisher(db, ZoneInfo(settings.timezone)), loaded)
    p = loaded.policy
    return Response(Published(id=p.id, version=p.version, sha256=loaded.sha256), status_code=201 if created else 200)


@get(
    "/v1/policies/{policy_id:str}/versions/{version:str}",
    opt=roles("admin", "quality_lead", "hr"),
    responses=problems(400, 401, 403, 404),
    tags=["policies"],
)
async def get_policy(db: NamedDependency[Database], policy_id: FromPath[str], version: VersionPath) -> PolicyVersion:
    """One published policy version."""
    row = await db.read(store.get_row, policy_id, version)
    if row is None:
        raise not_found("policy version")
    return _version(row)


@get("/v1/policies", opt=roles("admin", "quality_lead", "hr"), responses=problems(401, 403), tags=["policies"])
async def list_policies(db: NamedDependency[Database]) -> PolicyList:
    """Every published policy version, oldest first; the last one rules open periods."""
    return PolicyList(items=[_version(r) for r in await db.read(store.list_rows)])


ROUTES = [publish_policy, get_policy, list_policies]
