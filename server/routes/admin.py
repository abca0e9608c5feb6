"""Admin endpoints the `tekseru` command uses while `serve` runs (it is then the one writer)."""

from __future__ import annotations

from typing import Literal

from litestar import Request, post
from litestar.params import FromPath

from server.auth import roles
from server.directory import CsvRejected, parse_csv
from server.errors import ProblemError, problems
from server.routes.params import raw_body
from server.store import directory as store
from server.wire import Wire


class Imported(Wire):
    entity: str
    rows: int


@post(
    "/v1/admin/import/{entity:str}",
    opt=roles("admin"),
    responses=problems(400, 401, 403, 404, 413, 422),
    status_code=200,
    tags=["admin"],
    operation_class=raw_body(
        "a CSV file with a header row (UTF-8 with or without BOM, `,` or `;`)", {"text/csv": None}
    ),
)
async def import_csv(
    request: Request,
    entity: FromPath[Literal["units", "staff", "assignments"]],
) -> Imported:
    """Import a CSV file of units, staff or assignments: every row or none."""
    try:
        rows, where = parse_csv(entity, await request.body())
    except CsvRejected as exc:
        raise ProblemError(
            400, "invalid_csv", f"the file has {len(exc.errors)} problem(s); nothing was imported", exc.errors
        ) from None
    db = request.app.state.db
    if entity == "units":
        await store.put_units(db, rows)
    elif entity == "staff":
        await store.put_staff(db, rows, where)
    else:
        await store.put_assignments(db, rows, where)
    return Imported(entity=entity, rows=len(rows))


ROUTES = [import_csv]
