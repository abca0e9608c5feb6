"""The console's frame: who may see a page, the session behind it, and how a page is answered.

A console route declares its roles with `opt=console("quality_lead", "admin")`; the app-wide guard
`server.auth.authorize` hands such routes to `check_session` here. Without a live session a GET
is sent to `/login?next=<path>`; another role gets the 403 page; any other method without the
session's CSRF token in the form field `csrf_token` gets the 403 page and changes nothing.

A session is a random id in an `HttpOnly; SameSite=Lax` cookie, stored only as its SHA-256, with
an idle and an absolute end (`TEKSERU_SESSION_IDLE_MINUTES`, `TEKSERU_SESSION_HOURS`). The API
never reads that cookie: it only takes bearer tokens (`server.auth.authenticate`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import UploadFile
from litestar.handlers.base import BaseRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import Message, Scope

from reports import i18n
from server.clock import iso_utc, utc_now
from server.services import services_of
from server.settings import Settings
from server.store import appeals as appeals_store
from server.store import sessions as store

ConsoleRole = Literal["admin", "quality_lead", "hr", "unit_manager"]
OFFICE_ROLES: tuple[str, ...] = ("admin", "quality_lead", "hr", "unit_manager")
PUBLIC = "public"  # `console(PUBLIC)`: a page anyone may open (the sign-in form)
LANGS = ("ru", "kk", "en")

SESSION_COOKIE = "tekseru_session"
LOGIN_COOKIE = "tekseru_login"  # the sign-in form's own CSRF token (there is no session yet)
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# last_seen_at is written at most this often per session: a page view is a read, not a write.
TOUCH_EVERY = dt.timedelta(seconds=60)

PACKAGE = Path(str(resources.files("server") / "console"))
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none';"
    " base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class Viewer(msgspec.Struct, frozen=True, kw_only=True):
    """Who is looking at a console page: signed in, with the session's CSRF token."""

    name: str
    role: str
    lang: str
    csrf_token: str
    session_id: str  # the SHA-256 of the cookie's id (the cookie itself is never kept)


def console(*allowed: ConsoleRole | Literal["public"]) -> dict[str, frozenset[str]]:
    """The `opt` of a console route: the roles that may see it (`console(PUBLIC)`: no session needed)."""
    unknown = set(allowed) - set(OFFICE_ROLES) - {PUBLIC}
    if unknown or not allowed:
        raise ValueError(f"bad console declaration: {allowed}")
    return {"console": frozenset(allowed)}


def viewer_of(request: ASGIConnection) -> Viewer:
    """The signed-in Viewer that the session check stored (on a route that is not PUBLIC)."""
    viewer = request.state.get("viewer")
    if viewer is None:
        raise RuntimeError("no signed-in viewer on this request (a PUBLIC route?)")
    return viewer


def maybe_viewer(request: ASGIConnection) -> Viewer | None:
    """The Viewer when someone is signed in, else None (for PUBLIC routes)."""
    return request.state.get("viewer")


def session_hash(session_id: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


# --- the session check (called from server.auth.authorize) -----------------------------------------


class ConsoleAnswer(Exception):
    """Raised by the session check: answer with this response instead of running the handler."""

    def __init__(self, kind: Literal["sign_in", "forbidden"]) -> None:
        super().__init__(kind)
        self.kind = kind


async def check_session(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The console's guard: a live session of an allowed role, and the CSRF token on every write."""
    allowed = handler.opt["console"]
    viewer = await _live_viewer(connection)
    connection.state.viewer = viewer
    write = connection.scope.get("method", "GET") not in SAFE_METHODS
    if PUBLIC in allowed:
        if write and not await _login_token_matches(connection):
            raise ConsoleAnswer("forbidden")
        return
    if viewer is None:
        raise ConsoleAnswer("sign_in")
    if viewer.role not in allowed:
        raise ConsoleAnswer("forbidden")
    if write and not await _csrf_matches(connection, viewer.csrf_token):
        await _discard_uploads(connection)
        raise ConsoleAnswer("forbidden")


async def _live_viewer(connection: ASGIConnection) -> Viewer | None:
    viewer, stale = _session_viewer(connection)
    if viewer is not None and stale:
        await services_of(connection.app).db.write(store.touch_session, viewer.session_id, iso_utc(utc_now()))
    return viewer


def _session_viewer(connection: ASGIConnection) -> tuple[Viewer | None, bool]:
    """The viewer of the session cookie if that session is live, and whether its last_seen_at is due a write."""
    session_id = connection.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 200:
        return None, False
    services = services_of(connection.app)
    id_hash = session_hash(session_id)
    row = services.db.read_inline(store.session_row, id_hash)
    if row is None or row.ended_at is not None or row.role not in OFFICE_ROLES:
        return None, False
    now = utc_now()
    if not is_live(row, now, services.settings):
        return None, False
    viewer = Viewer(name=row.user_name, role=row.role, lang=row.lang, csrf_token=row.csrf_token, session_id=id_hash)
    return viewer, _parse(row.last_seen_at) + TOUCH_EVERY <= now


def is_live(row: store.SessionRow, now: dt.datetime, settings: Settings) -> bool:
    """Whether a session is within its absolute end and its idle timeout at `now`."""
    idle = dt.timedelta(minutes=settings.session_idle_minutes)
    return now < _parse(row.ends_at) and now < _parse(row.last_seen_at) + idle


def _parse(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))


async def form_field(connection: ASGIConnection, name: str) -> str:
    """One field of a URL-encoded or multipart form body ('' when absent); the parsed form is cached."""
    if not isinstance(connection, Request):
        return ""
    try:
        form = await connection.form()
    except Exception:  # a body that is not a form carries no token
        return ""
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _discard_uploads(connection: ASGIConnection) -> None:
    """Close the files of a refused multipart form (the handler that would have closed them never runs)."""
    if not isinstance(connection, Request):
        return
    try:
        form = await connection.form()
    except Exception:  # a body that is not a form holds no file
        return
    for _, value in form.multi_items():
        if isinstance(value, UploadFile):
            await value.close()


async def _csrf_matches(connection: ASGIConnection, expected: str) -> bool:
    sent = await form_field(connection, CSRF_FIELD)
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


async def _login_token_matches(connection: ASGIConnection) -> bool:
    cookie = connection.cookies.get(LOGIN_COOKIE, "")
    return bool(cookie) and await _csrf_matches(connection, cookie)


# --- answers -----------------------------------------------------------------------------------------


def language_of(request: ASGIConnection) -> str:
    """The page's language: the viewer's; else `?lang=`; else the browser's first of ru/kk/en; else ru."""
    viewer = maybe_viewer(request)
    if viewer is not None and viewer.lang in LANGS:
        return viewer.lang
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "ru"


def when(iso: str | None, lang: str, tz: ZoneInfo) -> str:
    """A stored UTC time shown in the organisation's zone, with the zone's name: `14.10.2026 15:32 Asia/Almaty`."""
    if not iso:
        return i18n.DASH
    try:
        moment = _parse(iso)
    except ValueError:
        return iso
    local = moment.astimezone(tz)
    return f"{i18n.date(local.date().isoformat(), lang)} {local:%H:%M} {tz.key}"


def common_context(request: ASGIConnection) -> dict[str, Any]:
    """What every console template can use (see `page`)."""
    services = services_of(request.app)
    settings = services.settings
    viewer = maybe_viewer(request)
    lang = language_of(request)
    tz = ZoneInfo(settings.timezone)

    def t(key: str, **fields: object) -> str:
        return i18n.text(key, lang, **fields)

    return {
        "viewer": viewer,
        "lang": lang,
        "t": t,
        "csrf_token": viewer.csrf_token if viewer is not None else "",
        "tz_name": settings.timezone,
        "when": lambda iso: when(iso, lang, tz),
        "score": lambda x: i18n.score(x, lang),
        "number": lambda x, decimals=2: i18n.number(x, lang, decimals),
        "request": request,
        "path": request.url.path,
        "here": _here(request),
        # The navigation's count of open appeals (asked by the template for leads and admins only).
        "nav_open_appeals": lambda: services.db.read_inline(appeals_store.status_counts, None, None, None).get(
            "open", 0
        ),
    }


def page(request: ASGIConnection, template: str, status: int = 200, **context: Any) -> Template:
    """Render `template` (under server/console/templates) with the common context and `context`."""
    return Template(template_name=template, context={**common_context(request), **context}, status_code=status)


def redirect(url: str) -> Redirect:
    """A 303 to a GET (after a POST, or to another page)."""
    return Redirect(path=url, status_code=303)


def safe_next(url: str | None, default: str = "/") -> str:
    """`url` when it is a path of this site (never another origin: `//evil`, `/\\evil`, `https:`), else `default`."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url) or len(url) > 2000:
        return default
    return url


def _here(request: ASGIConnection) -> str:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.url.path + (f"?{query}" if query else "")


def set_cookie(response: Response, request: ASGIConnection, name: str, value: str, max_age: int | None) -> None:
    """A console cookie: HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS or with TEKSERU_COOKIE_SECURE."""
    secure = request.url.scheme == "https" or services_of(request.app).settings.cookie_secure
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure)


def clear_cookie(response: Response, request: ASGIConnection, name: str) -> None:
    """Remove a console cookie from the browser."""
    set_cookie(response, request, name, "", max_age=0)


def new_secret() -> str:
    """A random id or token (256 bits)."""
    return secrets.token_urlsafe(32)


# --- errors on console paths -----------------------------------------------------------------------


def is_console_path(path: str) -> bool:
    """Console paths are everything but the API (`/v1`) and its schema (`/schema`)."""
    return not (path == "/v1" or path.startswith("/v1/") or path == "/schema" or path.startswith("/schema/"))


def error_page(request: Request, status: int) -> Response:
    """The console's error page: the status in words, nothing of the data."""
    try:
        if "viewer" not in request.state:  # no route ran the session check (an unknown path)
            request.state.viewer = _session_viewer(request)[0]
        return page(request, "error.html", status=status, status_code=status)
    except RuntimeError:  # before the lifespan has built the services
        return Response(content=f"{status}", status_code=status, media_type="text/plain")


def _answer(request: Request, exc: ConsoleAnswer) -> Response:
    if exc.kind == "sign_in":
        return redirect("/login?next=" + quote(_here(request), safe="/"))
    return error_page(request, 403)


def exception_handlers(api: Mapping[type[Exception], Callable[[Request, Any], Response]]) -> dict:
    """The API's handlers (problem+json), answering with the error page on console paths instead."""

    def wrap(api_handler: Callable[[Request, Any], Response]) -> Callable[[Request, Exception], Response]:
        def handler(request: Request, exc: Exception) -> Response:
            if not is_console_path(request.url.path):
                return api_handler(request, exc)
            status = _status_of(exc)
            if status >= 500:
                api_handler(request, exc)  # logs it (the problem+json answer is dropped)
            return error_page(request, status)

        return handler

    handlers: dict = {kind: wrap(fn) for kind, fn in api.items()}
    handlers[ConsoleAnswer] = _answer
    return handlers


def _status_of(exc: Exception) -> int:
    status = getattr(exc, "status", None) or getattr(exc, "status_code", None)
    return status if isinstance(status, int) and 400 <= status < 600 else 500


# --- what server.app registers ---------------------------------------------------------------------


def template_config() -> TemplateConfig:
    """Jinja2 over server/console/templates, autoescaping HTML, undefined names an error."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))


def static_router() -> Router:
    """Our own stylesheet and scripts at /static (no other origin is ever asked for anything)."""
    return create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)


def security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook: the console's security headers on every answer outside the API.

    A hook rather than a middleware because it must also reach the answers no route produced
    (404s, the sign-in redirect raised by a guard).
    """
    if message["type"] != "http.response.start" or not is_console_path(scope.get("path", "")):
        return
    headers = list(message.get("headers", []))
    present = {bytes(name).lower() for name, _ in headers}
    headers += [(n, v) for n, v in SECURITY_HEADERS if n not in present]
    if not scope.get("path", "").startswith("/static/") and b"cache-control" not in present:
        headers.append((b"cache-control", b"no-store"))
    message["headers"] = headers  # type: ignore[typeddict-item]
