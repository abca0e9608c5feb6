"""Administration: users, the audit log, the system page, and one's own password (CONSOLE.md 9).

Every act here is the API's: users are made, tokens issued and revoked, devices revoked and
passwords reset through the store functions `server.routes.users` calls (and reset through the
very function `PUT /v1/users/{name}/password` runs), the system page shows what `GET /v1/health`
answers, and a rebuild is `POST /v1/admin/rebuild`'s. Each act is in the audit log.

A secret made here (a new user's API token, a generated password) is shown once: the POST hands
it to the next page in a short-lived cookie (HttpOnly, its path the users' pages) that the page
clears as it shows it. It never travels in a URL, so no history, log or referrer keeps it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import File, Redirect, Template

from reports import i18n
from server.auth import LOCAL_ADMIN, ROLES, new_token, parse_device_id
from server.blobstore import BlobStore
from server.clock import EARLIEST, LATEST, iso_utc, now_iso, utc_now
from server.console.auth import count_failed_sign_in, wait_seconds
from server.console.web import console, form_field, language_of, page, redirect, viewer_of
from server.db import Database, backup_database
from server.errors import ProblemError, not_found
from server.files import backup_target
from server.passwords import MAX_LENGTH, MIN_LENGTH, hash_password, password_problem, verify_password
from server.pg import redacted
from server.routes.health import health_of
from server.routes.users import MAX_UNITS, check_units, reset_console_password
from server.settings import Settings
from server.store import audit as audit_store
from server.store import directory as directory_store
from server.store import sessions as sessions_store
from server.store import users as store
from server.sync.refresh import rebuild_all
from server.wire import SLUG_PATTERN, USER_NAME_PATTERN

ADMINS = console("admin")
OFFICE = console("admin", "quality_lead", "hr", "unit_manager")
USERS_PAGE = 50
AUDIT_PAGE = 100
MAX_BACKUPS = 500  # the newest shown; an operator with more prunes them by hand
MAX_FILTER = 200
ONCE_COOKIE = "tekseru_once"
ONCE_PATH = "/admin/users"
ONCE_SECONDS = 300
GENERATED_BYTES = 15  # a generated password: 20 URL-safe characters (120 bits)
_NAME = re.compile(USER_NAME_PATTERN)
_SLUG = re.compile(SLUG_PATTERN)
_DIGITS = re.compile(r"^[0-9]{1,18}$(?!\n)")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$(?!\n)")
_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,64}$(?!\n)")
# Actions the audit log's filter suggests (any prefix may be typed).
ACTIONS = (
    "console.",
    "console.sign_in",
    "console.sign_in_failed",
    "user.",
    "user.create",
    "user.role",
    "user.units",
    "user.region",
    "user.password.",
    "user.token.",
    "device.revoke",
    "system.",
    "approve",
    "reject",
    "release",
)


def _bounded(value: str | None, limit: int = MAX_FILTER) -> str:
    value = (value or "").strip()
    return value if len(value) <= limit and value.isprintable() else ""


def _back(url: str, **query: str | int | None) -> Redirect:
    q = urlencode({k: v for k, v in query.items() if v is not None and v != ""})
    return redirect(url + (f"?{q}" if q else ""))


def _code(value: str | None, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


# --- the index ---------------------------------------------------------------------------------


@get("/admin", opt=ADMINS, include_in_schema=False)
async def admin_index(request: Request) -> Template:
    """Links to every administration page."""
    return page(request, "admin_index.html")


# --- users -------------------------------------------------------------------------------------

_CREATE_ERRORS = (
    "bad_name",
    "bad_role",
    "user_exists",
    "units_required",
    "units_not_allowed",
    "bad_units",
    "unknown_unit",
)
_UNITS_ERRORS = ("units_required", "units_not_allowed", "unknown_unit", "not_unit_manager")


def units_field(text: str) -> list[str] | None:
    """The unit ids typed in a form (separated by commas or spaces), or None when one is not a unit id."""
    units = [u for u in re.split(r"[,\s]+", text) if u]
    if len(units) > MAX_UNITS or not all(_SLUG.match(u) for u in units):
        return None
    return units


@get("/admin/users", opt=ADMINS, include_in_schema=False)
async def users_page(request: Request, db: NamedDependency[Database]) -> Template:
    """Users: search by name, filter by role, paging by name; the form that creates one."""
    params = request.query_params
    search = _bounded(params.get("q"), 64)
    role = params.get("role") if params.get("role") in ROLES else None
    after = _bounded(params.get("after"), 64)
    rows = await db.read(store.find_users, search, role, after, USERS_PAGE)
    base = {"q": search, "role": role}
    return page(
        request,
        "admin_users.html",
        rows=rows,
        search=search,
        role_filter=role,  # not `role`: base.html sets that name to the viewer's role
        roles=ROLES,
        after=after,
        next_url=_url("/admin/users", **base, after=rows[-1].name) if len(rows) == USERS_PAGE else None,
        first_url=_url("/admin/users", **base) if after else None,
        error=_code(params.get("error"), _CREATE_ERRORS),
        new_name=_bounded(params.get("name"), 64),
        new_role=params.get("new_role") if params.get("new_role") in ROLES else "quality_lead",
        new_units=_bounded(params.get("units"), 2000),
    )


def _url(path: str, **query: str | None) -> str:
    q = urlencode({k: v for k, v in query.items() if v})
    return path + (f"?{q}" if q else "")


@post("/admin/users", opt=ADMINS, include_in_schema=False, status_code=303)
async def create_user(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Response:
    """Create a user with its first API token (`POST /v1/users`'s rules and store function); the token is shown once.

    A unit manager is created with the units typed beside the role, in the same transaction.
    """
    name = (await form_field(request, "name")).strip()
    role = await form_field(request, "role")
    typed = (await form_field(request, "units"))[:2000]
    kept = {"name": name[:64], "new_role": role if role in ROLES else None, "units": typed.strip()}
    if not _NAME.match(name) or name == LOCAL_ADMIN:
        return _back("/admin/users", error="bad_name", **kept)
    if role not in ROLES:
        return _back("/admin/users", error="bad_role", **kept)
    units = units_field(typed)
    if units is None:
        return _back("/admin/users", error="bad_units", **kept)
    token, prefix, hashed = new_token()
    try:
        check_units(role, units)
        await db.write(
            store.create_user, name, role, prefix, hashed, actor=viewer_of(request).name, units=units or None
        )
    except ProblemError as exc:
        if exc.code not in _CREATE_ERRORS:
            raise
        return _back("/admin/users", error=exc.code, **kept)
    response = redirect(f"/admin/users/{quote(name)}?done=created")
    _show_once(response, request, settings, {"user": name, "kind": "token", "value": token, "prefix": prefix})
    return response


def _show_once(response: Response, request: Request, settings: Settings, secret: dict[str, str]) -> None:
    value = base64.urlsafe_b64encode(msgspec.json.encode(secret)).decode("ascii")
    secure = request.url.scheme == "https" or settings.cookie_secure
    response.set_cookie(
        ONCE_COOKIE, value, max_age=ONCE_SECONDS, path=ONCE_PATH, httponly=True, samesite="strict", secure=secure
    )


def _take_once(request: Request, name: str) -> dict[str, str] | None:
    """The secret the last POST left for `name`'s page, if any (the caller clears the cookie)."""
    raw = request.cookies.get(ONCE_COOKIE)
    if not raw or len(raw) > 2000:
        return None
    try:
        secret = msgspec.json.decode(base64.urlsafe_b64decode(raw))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return None
    if not isinstance(secret, dict) or secret.get("user") != name or secret.get("kind") not in ("token", "password"):
        return None
    if not all(isinstance(v, str) for v in secret.values()):
        return None
    return secret


_USER_DONE = (
    "created",
    "role",
    "units",
    "region",
    "role_same",
    "password",
    "token",
    "revoked",
    "revoked_all",
    "device_revoked",
)
_USER_ERRORS = (
    "own_role",
    "bad_role",
    "own_password",
    "mismatch",
    "password_too_short",
    "password_too_long",
    "password_like_name",
    "role_cannot_sign_in",
    "unknown_token",
    "unknown_device",
    "bad_units",
    "unknown_region",
    *_UNITS_ERRORS,
)


def _user_name(name: str) -> str:
    """A path's user name, or 404 (the local admin is no user the console manages)."""
    if not _NAME.match(name) or name == LOCAL_ADMIN:
        raise not_found("user")
    return name


@get("/admin/users/{name:str}", opt=ADMINS, include_in_schema=False)
async def user_page(request: Request, db: NamedDependency[Database], name: FromPath[str]) -> Template:
    """One user: role, console password, API tokens and devices, each with its act."""
    detail = await db.read(store.user_detail, _user_name(name))
    if detail is None:
        raise not_found("user")
    params = request.query_params
    secret = _take_once(request, detail.name)
    regions = await db.read(directory_store.unit_regions) if detail.role == "auditor" else []
    response = page(
        request,
        "admin_user.html",
        user=detail,
        roles=ROLES,
        is_self=detail.name == viewer_of(request).name,
        done=_code(params.get("done"), _USER_DONE),
        error=_code(params.get("error"), _USER_ERRORS),
        secret=secret,
        min_length=MIN_LENGTH,
        regions=regions,
    )
    if request.cookies.get(ONCE_COOKIE) is not None:
        response.delete_cookie(ONCE_COOKIE, path=ONCE_PATH)
    return response


def _user_url(name: str) -> str:
    return f"/admin/users/{quote(name)}"


@post("/admin/users/{name:str}/role", opt=ADMINS, include_in_schema=False, status_code=303)
async def change_role(request: Request, db: NamedDependency[Database], name: FromPath[str]) -> Redirect:
    """Give the user another role (`store.set_role`, audited); not one's own."""
    name = _user_name(name)
    role = await form_field(request, "role")
    if role not in ROLES:
        return _back(_user_url(name), error="bad_role")
    try:
        changed = await db.write(store.set_role, name, role, viewer_of(request).name)
    except ProblemError as exc:
        if exc.code != "own_role":
            raise
        return _back(_user_url(name), error="own_role")
    return _back(_user_url(name), done="role" if changed else "role_same")


@post("/admin/users/{name:str}/units", opt=ADMINS, include_in_schema=False, status_code=303)
async def change_units(request: Request, db: NamedDependency[Database], name: FromPath[str]) -> Redirect:
    """Bind a unit manager to exactly the units typed (`PUT /v1/users/{name}/units`'s rules, audited)."""
    name = _user_name(name)
    units = units_field(await form_field(request, "units"))
    if units is None:
        return _back(_user_url(name), error="bad_units")
    try:
        check_units("unit_manager", units)
        await db.write(store.set_units, name, units, viewer_of(request).name)
    except ProblemError as exc:
        if exc.code not in _UNITS_ERRORS:
            raise
        return _back(_user_url(name), error=exc.code)
    return _back(_user_url(name), done="units")


@post("/admin/users/{name:str}/region", opt=ADMINS, include_in_schema=False, status_code=303)
async def change_region(request: Request, db: NamedDependency[Database], name: FromPath[str]) -> Redirect:
    """Put an auditor in the region chosen, or any region (`PUT /v1/users/{name}/region`'s rules, audited)."""
    name = _user_name(name)
    region = (await form_field(request, "region")).strip()[:200] or None
    try:
        await db.write(store.set_region, name, region, viewer_of(request).name)
    except ProblemError as exc:
        if exc.code != "unknown_region":
            raise
        return _back(_user_url(name), error="unknown_region")
    return _back(_user_url(name), done="region")


@post("/admin/users/{name:str}/password", opt=ADMINS, include_in_schema=False, status_code=303)
async def reset_password(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], name: FromPath[str]
) -> Redirect:
    """Reset the user's console password, typed twice or generated (shown once); all their sessions end."""
    name = _user_name(name)
    viewer = viewer_of(request)
    if name == viewer.name:
        return _back(_user_url(name), error="own_password")
    generate = (await form_field(request, "generate")) == "yes"
    if generate:
        password = _generated(name)
    else:
        password = (await form_field(request, "password"))[: MAX_LENGTH + 1]
        if password != (await form_field(request, "password2"))[: MAX_LENGTH + 1]:
            return _back(_user_url(name), error="mismatch")
    try:
        await reset_console_password(db, name, password, viewer.name)
    except ProblemError as exc:
        if exc.code not in _USER_ERRORS:
            raise
        return _back(_user_url(name), error=exc.code)
    response = redirect(_user_url(name) + "?done=password")
    if generate:
        _show_once(response, request, settings, {"user": name, "kind": "password", "value": password})
    return response


def _generated(name: str) -> str:
    """A random password that meets the rules."""
    while True:
        password = secrets.token_urlsafe(GENERATED_BYTES)
        if password_problem(name, password) is None:
            return password


@post("/admin/users/{name:str}/tokens", opt=ADMINS, include_in_schema=False, status_code=303)
async def issue_token(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], name: FromPath[str]
) -> Redirect:
    """Another API token for the user (`POST /v1/users/{name}/tokens`'s store function), shown once."""
    name = _user_name(name)
    token, prefix, hashed = new_token()
    await db.write(store.add_token, name, prefix, hashed, actor=viewer_of(request).name)
    response = redirect(_user_url(name) + "?done=token")
    _show_once(response, request, settings, {"user": name, "kind": "token", "value": token, "prefix": prefix})
    return response


@post("/admin/users/{name:str}/tokens/revoke", opt=ADMINS, include_in_schema=False, status_code=303)
async def revoke_all_tokens(request: Request, db: NamedDependency[Database], name: FromPath[str]) -> Redirect:
    """Revoke every token of the user, which also ends their console sessions (`DELETE /v1/users/{name}/tokens`)."""
    name = _user_name(name)
    await db.write(store.revoke_tokens, name, actor=viewer_of(request).name)
    return _back(_user_url(name), done="revoked_all")


@post("/admin/users/{name:str}/tokens/{prefix:str}/revoke", opt=ADMINS, include_in_schema=False, status_code=303)
async def revoke_token(
    request: Request, db: NamedDependency[Database], name: FromPath[str], prefix: FromPath[str]
) -> Redirect:
    """Revoke one token (`DELETE /v1/users/{name}/tokens/{prefix}`)."""
    name = _user_name(name)
    if not _PREFIX.match(prefix):
        return _back(_user_url(name), error="unknown_token")
    try:
        await db.write(store.revoke_tokens, name, prefix, actor=viewer_of(request).name)
    except ProblemError as exc:
        if exc.status != 404 or "token" not in exc.detail:
            raise
        return _back(_user_url(name), error="unknown_token")
    return _back(_user_url(name), done="revoked")


@post("/admin/devices/{device_id:str}/revoke", opt=ADMINS, include_in_schema=False, status_code=303)
async def revoke_device(request: Request, db: NamedDependency[Database], device_id: FromPath[str]) -> Redirect:
    """Revoke a lost tablet (`DELETE /v1/devices/{id}`): every token bound to it stops; back to its owner's page."""
    parsed = parse_device_id(device_id.lower())
    owner = await db.read(store.device_owner, parsed) if parsed is not None else None
    if parsed is None or owner is None:
        raise not_found("device")
    await db.write(store.revoke_device, parsed, actor=viewer_of(request).name)
    return _back(_user_url(owner), done="device_revoked")


# --- one's own password ------------------------------------------------------------------------

_ACCOUNT_ERRORS = ("current", "mismatch", "wait", "password_too_short", "password_too_long", "password_like_name")


@get("/account", opt=OFFICE, include_in_schema=False)
async def account(request: Request) -> Template:
    """The signed-in user's account: name, role, and the way to a new password."""
    return page(request, "account.html", done=_code(request.query_params.get("done"), ("password",)))


@get("/account/password", opt=OFFICE, include_in_schema=False)
async def own_password_form(request: Request) -> Template:
    """The form: the current password, the new one twice."""
    return page(
        request,
        "account_password.html",
        error=_code(request.query_params.get("error"), _ACCOUNT_ERRORS),
        min_length=MIN_LENGTH,
    )


@post("/account/password", opt=OFFICE, include_in_schema=False, status_code=303)
async def change_own_password(request: Request, db: NamedDependency[Database]) -> Redirect:
    """A new password for oneself: the current one is checked (throttled and audited as a sign-in is),
    the new one meets the rules, and every other session of the user ends (this one stays)."""
    viewer = viewer_of(request)
    current = (await form_field(request, "current"))[: MAX_LENGTH + 1]
    new = (await form_field(request, "password"))[: MAX_LENGTH + 1]
    again = (await form_field(request, "password2"))[: MAX_LENGTH + 1]
    address = request.client.host if request.client is not None else "unknown"
    keys = [sessions_store.user_key(viewer.name), sessions_store.address_key(address)]
    now = utc_now()
    wait, _ = wait_seconds(await db.read(sessions_store.throttles, keys), now)
    if wait > 0:
        await db.write(sessions_store.record_failed_sign_in, viewer.name, address, "password_change_throttled")
        return _back("/account/password", error="wait")
    user = await db.read(sessions_store.login_user, viewer.name)
    stored = user.password_hash if user is not None else None
    if not await asyncio.to_thread(verify_password, stored, current):
        await db.write(count_failed_sign_in, viewer.name, address, iso_utc(now), "bad_current_password")
        return _back("/account/password", error="current")
    if new != again:
        return _back("/account/password", error="mismatch")
    problem = password_problem(viewer.name, new)
    if problem is not None:
        return _back("/account/password", error=problem[0])
    hashed = await asyncio.to_thread(hash_password, new)
    await db.write(store.reset_password, viewer.name, hashed, now_iso(), viewer.name, keep=viewer.session_id)
    return _back("/account", done="password")


# --- the audit log -----------------------------------------------------------------------------


class AuditQuery(msgspec.Struct, kw_only=True, frozen=True):
    """The audit page's filters as the query string holds them, and what was wrong with them."""

    actor: str
    action: str
    object: str
    date_from: str
    date_to: str
    before: int | None
    bad_dates: bool

    def filter(self, tz: ZoneInfo) -> audit_store.AuditFilter:
        """The store's filter: the days are whole days in the organisation's zone, `to` included."""
        since = _day_start(self.date_from, tz, 0)
        until = _day_start(self.date_to, tz, 1)
        return audit_store.AuditFilter(
            actor=self.actor or None,
            action=self.action or None,
            object_id=self.object or None,
            since=since,
            until=until,
        )

    def url(self, **changes: str | None) -> str:
        params: dict[str, str | None] = {
            "actor": self.actor,
            "action": self.action,
            "object": self.object,
            "from": self.date_from,
            "to": self.date_to,
        }
        params.update(changes)
        return _url("/admin/audit", **params)


def _day(value: str) -> dt.date | None:
    if not _DATE.match(value):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST.date() <= day < LATEST.date() else None


def _day_start(value: str, tz: ZoneInfo, plus_days: int) -> str | None:
    day = _day(value)
    if day is None:
        return None
    start = dt.datetime.combine(day + dt.timedelta(days=plus_days), dt.time(0), tzinfo=tz)
    return iso_utc(start)


def parse_audit_query(params: Any) -> AuditQuery:
    """The audit page's state from the query string; a malformed value is left out (a bad date is reported)."""
    date_from, date_to = _bounded(params.get("from"), 10), _bounded(params.get("to"), 10)
    bad = (bool(params.get("from")) and _day(date_from) is None) or (bool(params.get("to")) and _day(date_to) is None)
    cursor = params.get("cursor") or ""
    return AuditQuery(
        actor=_bounded(params.get("actor"), 100),
        action=_bounded(params.get("action"), 100),
        object=_bounded(params.get("object")),
        date_from=date_from if _day(date_from) else "",
        date_to=date_to if _day(date_to) else "",
        before=int(cursor) if _DIGITS.match(cursor) else None,
        bad_dates=bad,
    )


def detail_text(detail: str) -> str:
    """An entry's detail as one line people read: `key: value; ...` (the JSON as stored if it is not an object)."""
    try:
        value = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(value, dict):
        return detail
    return "; ".join(f"{k}: {v}" for k, v in value.items() if v is not None and v != "")


@get("/admin/audit", opt=ADMINS, include_in_schema=False)
async def audit_log(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Template:
    """The audit log, newest first: filters by actor, action prefix, object and days; cursor paging."""
    q = parse_audit_query(request.query_params)
    entries = await db.read(audit_store.audit_page, q.filter(ZoneInfo(settings.timezone)), q.before, AUDIT_PAGE)
    return page(
        request,
        "admin_audit.html",
        q=q,
        entries=[(e, detail_text(e.detail)) for e in entries],
        actions=ACTIONS,
        next_url=q.url(cursor=str(entries[-1].id)) if len(entries) == AUDIT_PAGE else None,
        first_url=q.url() if q.before is not None else None,
    )


# --- the system page ---------------------------------------------------------------------------


class BackupFile(msgspec.Struct, kw_only=True, frozen=True):
    """A file in the backup folder."""

    name: str
    size: int
    modified: str


def list_backups(folder: Path) -> list[BackupFile]:
    """The regular files directly in the backup folder, newest first (no folders, no symlinks)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no backup yet: the folder is made by the first one
        return []
    found = []
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        moment = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
        found.append(BackupFile(name=entry.name, size=stat.st_size, modified=iso_utc(moment)))
    found.sort(key=lambda b: (b.modified, b.name), reverse=True)
    return found[:MAX_BACKUPS]


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


class Disk(msgspec.Struct, kw_only=True, frozen=True):
    """The database's files and the data directory's room."""

    db_path: str
    db_bytes: int | None
    wal_bytes: int | None
    free_bytes: int | None
    total_bytes: int | None
    backups_dir: str
    backups: list[BackupFile]


def disk_facts(settings: Settings) -> Disk:
    """Sizes of the database and its WAL, free space of the data directory, the backups (blocking I/O)."""
    try:
        usage = shutil.disk_usage(settings.data_dir)
        free, total = usage.free, usage.total
    except OSError:
        free = total = None
    db_path = settings.db_path
    if settings.database_url:  # PostgreSQL: its files are the server's, not in the data directory
        return Disk(
            db_path=redacted(settings.database_url),
            db_bytes=None,
            wal_bytes=None,
            free_bytes=free,
            total_bytes=total,
            backups_dir=str(settings.backups),
            backups=list_backups(settings.backups),
        )
    return Disk(
        db_path=str(db_path),
        db_bytes=_size(db_path),
        wal_bytes=_size(db_path.with_name(db_path.name + "-wal")),
        free_bytes=free,
        total_bytes=total,
        backups_dir=str(settings.backups),
        backups=list_backups(settings.backups),
    )


_SYSTEM_DONE = ("backup", "rebuilt")
_SYSTEM_ERRORS = ("backup_exists", "backup_path", "insufficient_storage", "confirm", "backup_by_postgresql")


@get("/admin/system", opt=ADMINS, include_in_schema=False)
async def system_page(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    blobs: NamedDependency[BlobStore],
) -> Template:
    """Health (as `GET /v1/health`), schema version, database and WAL size, free space, backups, rebuild."""
    health = await health_of(db, blobs)
    disk = await asyncio.to_thread(disk_facts, settings)
    params = request.query_params
    count = params.get("n") or ""
    return page(
        request,
        "admin_system.html",
        health=health,
        disk=disk,
        size=lambda n: _human_size(n, request),
        done=_code(params.get("done"), _SYSTEM_DONE),
        error=_code(params.get("error"), _SYSTEM_ERRORS),
        backup_name=_bounded(params.get("name"), 255),
        rebuilt=int(count) if _DIGITS.match(count) else None,
    )


def _human_size(n: int | None, request: Request) -> str:
    lang = language_of(request)
    if n is None:
        return i18n.DASH
    units = ("b", "kb", "mb", "gb", "tb")
    value, unit = float(n), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    shown = i18n.number(value, lang, 0 if unit == 0 else 1)
    return i18n.text(f"console.admin.size.{units[unit]}", lang, n=shown)


@post("/admin/system/backup", opt=ADMINS, include_in_schema=False, status_code=303)
async def make_backup(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Redirect:
    """A consistent copy of the database into the backup folder, now (`POST /v1/admin/backup`'s functions)."""
    name = f"tekseru-{utc_now():%Y%m%d-%H%M%S}.sqlite3"
    target = backup_target(settings.backups, name)
    if target is None:  # the folder itself is unusable (a symlink loop): nothing to write to
        return _back("/admin/system", error="backup_path")
    try:
        size = await backup_database(db, settings.backups, target)
    except ProblemError as exc:
        code = exc.code if exc.code in _SYSTEM_ERRORS else "backup_path"
        return _back("/admin/system", error=code)
    await db.write(audit_store.audit, viewer_of(request).name, "system.backup", "backup", name, {"bytes": size})
    return _back("/admin/system", done="backup", name=name)


@get("/admin/system/backups/{name:str}", opt=ADMINS, include_in_schema=False)
async def download_backup(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], name: FromPath[str]
) -> File:
    """One file of the backup folder's listing, as a download; any other name (`../x`, a folder) is 404."""
    listed = {b.name for b in await asyncio.to_thread(list_backups, settings.backups)}
    if name not in listed or "/" in name or "\\" in name or name in (".", ".."):
        raise not_found("backup")
    await db.write(audit_store.audit, viewer_of(request).name, "system.backup.download", "backup", name, {})
    return File(
        path=settings.backups / name,
        filename=name,
        media_type="application/vnd.sqlite3",
        content_disposition_type="attachment",
    )


@post("/admin/system/rebuild", opt=ADMINS, include_in_schema=False, status_code=303)
async def rebuild(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Redirect:
    """Recompute every derived view (`POST /v1/admin/rebuild`'s function), after the admin confirmed it."""
    if (await form_field(request, "confirm")) != "rebuild":
        return _back("/admin/system", error="confirm")
    count = await rebuild_all(db, ZoneInfo(settings.timezone))
    await db.write(
        audit_store.audit, viewer_of(request).name, "system.rebuild", "system", "views", {"submissions": count}
    )
    return _back("/admin/system", done="rebuilt", n=count)


ROUTES = [
    admin_index,
    users_page,
    create_user,
    user_page,
    change_role,
    change_units,
    change_region,
    reset_password,
    issue_token,
    revoke_all_tokens,
    revoke_token,
    revoke_device,
    account,
    own_password_form,
    change_own_password,
    audit_log,
    system_page,
    make_backup,
    download_backup,
    rebuild,
]
