"""`GET /v1/health`: is the server up and its database reachable."""

from __future__ import annotations

from litestar import Request, get

from server.auth import roles
from server.errors import problems
from server.wire import Wire


class Health(Wire):
    status: str
    version: str
    schema: int


@get("/v1/health", opt=roles("public"), responses=problems(500), tags=["health"], security=[{}])
async def health(request: Request) -> Health:
    """Liveness and the applied schema version."""
    from importlib.metadata import version

    row = await request.app.state.db.fetch_one("SELECT max(number) FROM schema_migrations")
    return Health(status="ok", version=version("tekseru"), schema=row[0] or 0)


ROUTES = [health]
