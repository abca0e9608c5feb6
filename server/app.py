"""`create_app(settings)`: the Litestar application with its routes, lifespan and error handler."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from server import console
from server.auth import authorize
from server.blobstore import BlobStore, open_blob_store
from server.bootstrap import make_local_admin
from server.console import web as console_web
from server.db import Database, open_database
from server.errors import EXCEPTION_HANDLERS
from server.files import secure_data_dir, write_private
from server.integrity.tasks import IntegrityChecks
from server.local_admin import SERVER_URL_FILE
from server.openapi import finish_openapi
from server.routes import (
    admin,
    appeals,
    blobs,
    calibration,
    checklists,
    directory,
    health,
    integrity,
    periods,
    plans,
    policies,
    reviews,
    scorecards,
    scores,
    submissions,
    sync,
    unit_visits,
    uploads,
    users,
)
from server.routes.params import ascii_integers
from server.scorecard_jobs import ScorecardJobs
from server.services import STATE_KEY, Services, services_in
from server.settings import Settings, settings_from_env
from server.sync import tus
from server.sync.prepare import PushWorkers
from server.sync.refresh import refresher
from server.workers import RenderWorkers

ROUTE_MODULES = (
    health,
    users,
    directory,
    checklists,
    policies,
    sync,
    submissions,
    reviews,
    scores,
    unit_visits,
    periods,
    scorecards,
    admin,
    uploads,
    blobs,
    appeals,
    calibration,
    integrity,
    plans,
)


def provide_db(state: State) -> Database:
    """The `db: Database` of a route handler."""
    return services_in(state).db


def provide_settings(state: State) -> Settings:
    """The `settings: Settings` of a route handler."""
    return services_in(state).settings


def provide_push_workers(state: State) -> PushWorkers | None:
    """The `push_workers: PushWorkers | None` of a route handler (None when pushes run inline)."""
    return services_in(state).push_workers


def provide_render_workers(state: State) -> RenderWorkers:
    """The `render_workers: RenderWorkers` of a route handler."""
    return services_in(state).render_workers


def provide_scorecard_jobs(state: State) -> ScorecardJobs:
    """The `scorecard_jobs: ScorecardJobs` of a route handler: the build jobs this server runs."""
    return services_in(state).scorecard_jobs


def provide_uploads(state: State) -> tus.Uploads:
    """The `uploads: tus.Uploads` of a tus route handler: the server's uploads and what it is receiving."""
    services = services_in(state)
    return tus.Uploads(services.db, services.settings, services.tus_receiving, services.blobs)


def provide_blobs(state: State) -> BlobStore:
    """The `blobs: BlobStore` of a route handler: where evidence bytes live."""
    return services_in(state).blobs


# The parts of `Services`, injected into route handlers by name; not parameters of the API.
DEPENDENCIES = {
    "db": Provide(provide_db, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "push_workers": Provide(provide_push_workers, sync_to_thread=False),
    "render_workers": Provide(provide_render_workers, sync_to_thread=False),
    "uploads": Provide(provide_uploads, sync_to_thread=False),
    "scorecard_jobs": Provide(provide_scorecard_jobs, sync_to_thread=False),
    "blobs": Provide(provide_blobs, sync_to_thread=False),
}


def create_app(settings: Settings | None = None, announce_url: str | None = None) -> Litestar:
    """The application; `settings` default to the `TEKSERU_*` environment.

    `announce_url` (given by `tekseru serve`) is written to the data directory while the app runs,
    so that the command line finds the one writer and sends its writes there.
    """
    settings = settings or settings_from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        secure_data_dir(settings.data_dir)
        db = await open_database(settings)
        workers = settings.push_workers
        render_workers = RenderWorkers(settings.render_workers)
        blobs = open_blob_store(settings)
        services = Services(
            db=db,
            settings=settings,
            push_workers=PushWorkers(workers, settings.database_url or settings.db_path) if workers > 0 else None,
            render_workers=render_workers,
            tus_receiving=tus.Receiving(),
            scorecard_jobs=ScorecardJobs(db, settings, render_workers),
            blobs=blobs,
            integrity=IntegrityChecks(db, blobs, settings.timezone, lease_s=settings.integrity_lease_s),
        )
        app.state[STATE_KEY] = services
        if settings.local_admin:
            await make_local_admin(db, settings)
        # Drop expired uploads; record blobs that a crash left renamed into place but unrecorded.
        await tus.recover(db, blobs, refresher(db, ZoneInfo(settings.timezone)))
        # Build jobs that no process can finish are shown as interrupted (`server.scorecard_jobs`).
        await services.scorecard_jobs.recover()
        await services.integrity.recover()  # checks a killed server held wait again (SQLite)
        url_file = settings.data_dir / SERVER_URL_FILE
        if announce_url:
            write_private(url_file, announce_url + "\n")
        services.scorecard_jobs.open()  # this process claims the subjects of running build jobs from now
        if settings.integrity_checks:
            services.integrity.open()  # and the integrity checks asked for by pushes, uploads and rebuilds
        try:
            yield
        finally:
            await services.integrity.close()
            await services.scorecard_jobs.close()
            services.render_workers.close()
            if services.push_workers is not None:
                services.push_workers.close()
            if announce_url:
                with contextlib.suppress(OSError):  # a read-only store must not stop the shutdown
                    url_file.unlink(missing_ok=True)
            await db.close()
            blobs.close()

    openapi = OpenAPIConfig(
        title="Tekseru",
        version="1",
        description="Mystery-shopping and service-quality audits: sync, review, scores, scorecards.",
        path="/schema",
        render_plugins=[JsonRenderPlugin()] + ([SwaggerRenderPlugin()] if settings.docs else []),
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="a Tekseru token")}
        ),
        security=[{"bearer": []}],
        use_handler_docstrings=True,
    )
    routes = [handler for module in ROUTE_MODULES for handler in module.ROUTES]
    # The web console beside the API: its pages, and our own CSS and JS at /static.
    routes += [*console.ROUTES, console_web.static_router()]
    logging.getLogger("tekseru").setLevel(settings.log_level.upper())
    app = Litestar(
        route_handlers=routes,
        lifespan=[lifespan],
        guards=[authorize, ascii_integers],
        # problem+json on the API; the console's error page (or its sign-in redirect) elsewhere
        exception_handlers=console_web.exception_handlers(EXCEPTION_HANDLERS),
        template_config=console_web.template_config(),
        before_send=[console_web.security_headers],
        dependencies=DEPENDENCIES,
        openapi_config=openapi,
        cors_config=CORSConfig(
            allow_origins=list(settings.cors_origins),
            # A browser tus client reads these answers' headers to resume an upload.
            expose_headers=[
                "Location",
                "Upload-Offset",
                "Upload-Length",
                "Tus-Resumable",
                "Tus-Version",
                "X-Content-SHA256",
            ],
        )
        if settings.cors_origins
        else None,
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
    _rebind_options_handlers(app)
    finish_openapi(app)
    return app


def _rebind_options_handlers(app: Litestar) -> None:
    """Make the automatic OPTIONS answer list every method of its path.

    Litestar 2 builds a path's OPTIONS handler with its first handler and keeps it when more are
    added, so `Allow` named only the first method (litestar issue #4169, fixed in Litestar 3).
    The handler reads the route it closes over; point that at the final route of its path.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            fn = getattr(handler, "fn", None)
            if getattr(fn, "__name__", "") == "options_handler" and fn.__closure__:
                for cell in fn.__closure__:
                    if type(cell.cell_contents) is type(route):
                        cell.cell_contents = route
