"""`GET /v1/health`: is the server up, its database reachable, and its store taking writes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, Operation, Reference

from server.auth import roles
from server.blobstore import BlobStore
from server.db import Database
from server.errors import problems
from server.wire import Wire


class Health(Wire):
    status: str  # `ok`, or `degraded` while the store cannot take writes
    version: str
    schema: int
    store: str  # the database engine: `sqlite` (the embedded default) or `postgresql`
    blobs: str  # where evidence is kept: `local` (the data directory) or `s3` (a bucket)
    # Why it is degraded: `insufficient_storage` (the disk is full) or `store_unavailable`.
    storage: str | None = None


@dataclass
class _HealthOperation(Operation):
    """503 is either the `degraded` health body or, when the database cannot even be read, a problem."""

    def __post_init__(self) -> None:
        degraded = (self.responses or {}).get("503")
        if isinstance(degraded, OpenAPIResponse):
            degraded.description = "degraded: a write probe fails (a full disk, a read-only or failing store)"
            degraded.content = {
                **(degraded.content or {}),
                "application/json": OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Health")),
            }


def _schema(c: sqlite3.Connection) -> sqlite3.Row:
    """The number of the last migration applied."""
    return c.execute("SELECT max(number) FROM schema_migrations").fetchone()


@get(
    "/v1/health",
    opt=roles("public"),
    responses=problems(500, 503),
    tags=["health"],
    security=[{}],
    operation_class=_HealthOperation,
)
async def health(db: NamedDependency[Database], blobs: NamedDependency[BlobStore]) -> Response[Health]:
    """Liveness, the applied schema version, and whether the store takes writes (503 `degraded` if not)."""
    body = await health_of(db, blobs)
    return Response(body, status_code=503 if body.storage else 200, headers={"Cache-Control": "no-store"})


async def health_of(db: Database, blobs: BlobStore) -> Health:
    """What `GET /v1/health` answers (the console's system page shows the same).

    A bucket that does not take a write degrades the store as a disk that does not would.
    """
    from importlib.metadata import version

    row = await db.read(_schema)
    failure = await db.storage_health() or await blobs.probe()
    return Health(
        status="degraded" if failure else "ok",
        version=version("tekseru"),
        schema=row[0] or 0,
        store=db.kind,
        blobs=blobs.kind,
        storage=failure,
    )


ROUTES = [health]
