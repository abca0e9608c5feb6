"""Checklist versions: publish (JSON or TOML), read, list, retire."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery

from checklists.model import Checklist
from checklists.validate import Invalid, load_checklist
from server.auth import roles
from server.db import Database
from server.errors import ProblemError, invalid, not_found, problems
from server.openapi import raw_body
from server.routes.params import CursorParam, LimitParam, VersionPath
from server.store import checklists as store
from server.wire import Wire, ascii_integer, decode_cursor, encode_cursor

TOML_TYPES = ("application/toml", "text/toml", "text/x-toml")


class Published(Wire):
    id: str
    version: int
    sha256: str


class ChecklistVersion(Wire):
    """A published version with its document."""

    id: str
    version: int
    unit_kind: str
    sha256: str
    published_at: str
    retired: bool
    checklist: Checklist


class ChecklistSummary(Wire):
    id: str
    version: int
    unit_kind: str
    title: str
    sha256: str
    published_at: str
    retired: bool


class ChecklistPage(Wire):
    items: list[ChecklistSummary]
    next_cursor: str | None


def body_format(request: Request) -> str:
    """`toml` or `json` from the Content-Type; 415 for anything else."""
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media in TOML_TYPES:
        return "toml"
    if media in ("application/json", "") or media.endswith("+json"):
        return "json"
    raise ProblemError(415, "unsupported_media_type", "send the checklist as application/json or application/toml")


def version_of(row) -> ChecklistVersion:
    """A stored version as its wire type."""
    return ChecklistVersion(
        id=row["checklist_id"],
        version=row["version"],
        unit_kind=row["unit_kind"],
        sha256=row["sha256"],
        published_at=row["published_at"],
        retired=row["retired_at"] is not None,
        checklist=store.checklist_of(row),
    )


@post(
    "/v1/checklists",
    opt=roles("admin", "quality_lead"),
    responses=problems(400, 401, 403, 409, 413, 415)
    | {200: ResponseSpec(data_container=Published, description="the same content was already published")},
    tags=["checklists"],
    operation_class=raw_body("one checklist version", {"application/json": "Checklist", "application/toml": None}),
)
async def publish_checklist(
    request: Request,
    db: NamedDependency[Database],
) -> Response[Published]:
    """Publish one checklist version: 201 new, 200 when the same content is already published."""
    try:
        loaded = load_checklist(await request.body(), body_format(request), "body")
    except Invalid as exc:
        raise invalid(exc, "invalid_checklist", "the checklist is not valid") from None
    created = await db.write(store.publish, loaded)
    c = loaded.checklist
    return Response(Published(id=c.id, version=c.version, sha256=loaded.sha256), status_code=201 if created else 200)


@get(
    "/v1/checklists/{checklist_id:str}/versions/{version:str}",
    opt=roles("admin", "quality_lead", "hr"),
    responses=problems(400, 401, 403, 404),
    tags=["checklists"],
)
async def get_checklist(
    db: NamedDependency[Database], checklist_id: FromPath[str], version: VersionPath
) -> ChecklistVersion:
    """One published version, as it was published."""
    row = await db.read(store.get_row, checklist_id, version)
    if row is None:
        raise not_found("checklist version")
    return version_of(row)


@get("/v1/checklists", opt=roles("admin", "quality_lead", "hr"), responses=problems(400, 401, 403), tags=["checklists"])
async def list_checklists(
    db: NamedDependency[Database],
    limit: LimitParam = 100,
    cursor: CursorParam = None,
    checklist_id: FromQuery[str | None] = None,
) -> ChecklistPage:
    """Published versions in (id, version) order."""
    cid, _, ver = decode_cursor(cursor).rpartition("@")
    number = ascii_integer(ver)
    after = (cid, number) if number is not None else (decode_cursor(cursor), 0)
    rows = await db.read(store.list_rows, after, limit, checklist_id)
    items = []
    for r in rows:
        c = store.checklist_of(r)
        items.append(
            ChecklistSummary(
                id=c.id,
                version=c.version,
                unit_kind=c.unit_kind,
                title=c.title.en,
                sha256=r["sha256"],
                published_at=r["published_at"],
                retired=r["retired_at"] is not None,
            )
        )
    last = rows[-1] if rows and len(rows) == limit else None
    cursor_out = encode_cursor(f"{last['checklist_id']}@{last['version']}") if last else None
    return ChecklistPage(items=items, next_cursor=cursor_out)


@post(
    "/v1/checklists/{checklist_id:str}/versions/{version:str}/retire",
    opt=roles("admin", "quality_lead"),
    responses=problems(400, 401, 403, 404),
    status_code=200,
    tags=["checklists"],
)
async def retire_checklist(
    db: NamedDependency[Database], checklist_id: FromPath[str], version: VersionPath
) -> ChecklistVersion:
    """Stop new assignments using this version; submissions on it are still accepted."""
    await db.write(store.retire, checklist_id, version)
    row = await db.read(store.get_row, checklist_id, version)
    return version_of(row)


ROUTES = [publish_checklist, get_checklist, list_checklists, retire_checklist]
