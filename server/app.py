"""`create_app(settings)`: the Litestar application with its routes, lifespan and error handler."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from server.admin_client import ADMIN_TOKEN_FILE
from server.auth import LOCAL_ADMIN, authorize, new_token
from server.db import Database
from server.errors import EXCEPTION_HANDLERS
from server.files import write_private
from server.routes import admin, checklists, directory, health, users
from server.settings import Settings, settings_from_env
from server.store import users as users_store

ROUTE_MODULES = (health, users, directory, checklists, admin)


def create_app(settings: Settings | None = None) -> Litestar:
    """The application; `settings` default to the `TEKSERU_*` environment."""
    settings = settings or settings_from_env()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        db = await Database.open(settings.db_path)
        app.state.db = db
        app.state.settings = settings
        # A fresh local admin credential at every start, for the `tekseru` command on this machine.
        token, prefix, hashed = new_token()
        await users_store.reset_local_admin(db, LOCAL_ADMIN, prefix, hashed)
        write_private(settings.data_dir / ADMIN_TOKEN_FILE, token + "\n")
        try:
            yield
        finally:
            await db.close()

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
    logging.getLogger("tekseru").setLevel(settings.log_level.upper())
    return Litestar(
        route_handlers=routes,
        lifespan=[lifespan],
        guards=[authorize],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=openapi,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
