"""Signing in and out of the console, the language switch, and the home page.

Failed sign-ins are throttled per user name and per client address: the first few are free,
then each attempt waits a delay that doubles with every failure, and past a limit the key is
locked for some minutes. A name that belongs to nobody is counted like one that does, and every
refusal reads the same, so the answer never says whether the name or the password was wrong.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import sqlite3

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from server.clock import iso_utc, utc_now
from server.console import my
from server.console.web import (
    LANGS,
    LOGIN_COOKIE,
    OFFICE_ROLES,
    PUBLIC,
    SESSION_COOKIE,
    clear_cookie,
    console,
    form_field,
    maybe_viewer,
    new_secret,
    page,
    redirect,
    safe_next,
    session_hash,
    set_cookie,
    viewer_of,
)
from server.db import Database
from server.passwords import hash_password, needs_rehash, verify_password
from server.settings import Settings
from server.store import sessions as store

# Per user name: a few free failures, then a delay that doubles, then a lock. Per address the same
# with more room: an office may sign in from behind one address.
FREE_FAILURES = {"user": 3, "addr": 10}
LOCK_AFTER = {"user": 10, "addr": 50}
MAX_DELAY_S = 60
LOCK_MINUTES = 15
QUIET_MINUTES = 15  # a failure this long after the last one counts from one again
MAX_NAME = 100
MAX_PASSWORD = 1024
SIGN_IN_ROLES = OFFICE_ROLES  # auditors keep their tablets; the local admin has no password

# Whoever may see the home page: every office role.
HOME_ROLES = console("admin", "quality_lead", "hr", "unit_manager")


def delay_after(failures: int, free: int) -> int:
    """Seconds an attempt must wait after `failures` failures: none for the first `free`, then 1, 2, 4, ... up to 60."""
    if failures < free:
        return 0
    return min(2 ** (failures - free), MAX_DELAY_S)


def wait_seconds(throttles: list[store.Throttle], now: dt.datetime) -> tuple[int, bool]:
    """(seconds to wait before another attempt, whether a lock is the reason) for these keys at `now`."""
    wait, locked = 0.0, False
    for throttle in throttles:
        if throttle.locked_until is not None:
            left = (_parse(throttle.locked_until) - now).total_seconds()
            if left > 0:
                wait, locked = max(wait, left), True
                continue
        quiet = _parse(throttle.last_failed_at) + dt.timedelta(minutes=QUIET_MINUTES) <= now
        if not quiet:
            free = FREE_FAILURES[throttle.key.partition(":")[0]]
            delay = dt.timedelta(seconds=delay_after(throttle.failures, free))
            wait = max(wait, (_parse(throttle.last_failed_at) + delay - now).total_seconds())
    return math.ceil(wait), locked


def _parse(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@get("/login", opt=console(PUBLIC), include_in_schema=False)
async def login_form(request: Request) -> Response:
    """The sign-in form (`?next=` the page to go on to, `?lang=` its language); someone signed in goes on."""
    target = request.query_params.get("next")
    if maybe_viewer(request) is not None:
        return redirect(safe_next(target))
    return _login_page(request, next=target)


def _login_page(request: Request, next: str | None, status: int = 200, **context: object) -> Template:  # noqa: A002
    token = request.cookies.get(LOGIN_COOKIE) or new_secret()
    done = request.query_params.get("done")
    response = page(
        request,
        "login.html",
        status=status,
        csrf_token=token,
        next=safe_next(next, ""),
        done=done if done in ("signed_out", "expired") else None,
        error=context.get("error"),
        username=context.get("username", ""),
        langs=LANGS,
    )
    set_cookie(response, request, LOGIN_COOKIE, token, max_age=None)
    return response


@post("/login", opt=console(PUBLIC), include_in_schema=False, status_code=303)
async def sign_in(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Response:
    """Check the name and password; open a session and go on to `next`, or show the form again."""
    name = (await form_field(request, "username")).strip()[:MAX_NAME]
    password = (await form_field(request, "password"))[:MAX_PASSWORD]
    target = safe_next(await form_field(request, "next"))
    address = _address(request)
    keys = [store.user_key(name), store.address_key(address)]
    now = utc_now()
    wait, locked = wait_seconds(await db.read(store.throttles, keys), now)
    if wait > 0:
        await db.write(store.record_failed_sign_in, name, address, "locked" if locked else "throttled")
        error = (
            ("console.login.locked", {"minutes": max(1, math.ceil(wait / 60))})
            if locked
            else (
                "console.login.wait",
                {"seconds": wait},
            )
        )
        response = _login_page(request, target, status=429, error=error, username=name)
        response.headers["Retry-After"] = str(wait)
        return response
    user = await db.read(store.login_user, name) if name else None
    may_sign_in = user is not None and user.role in SIGN_IN_ROLES and not user.name.startswith("_")
    stored = user.password_hash if may_sign_in and user is not None else None
    good = await asyncio.to_thread(verify_password, stored, password)
    if not good or user is None:
        await db.write(count_failed_sign_in, name, address, iso_utc(now), "bad_credentials")
        # 200: the form again, with its message (a 401 would need an HTTP challenge the form is not)
        return _login_page(request, target, error=("console.login.failed", {}), username=name)
    if stored is not None and needs_rehash(stored):
        await db.write(store.rehash_password, user.name, stored, await asyncio.to_thread(hash_password, password))
    session_id, csrf = new_secret(), new_secret()
    ends_at = iso_utc(now + dt.timedelta(hours=settings.session_hours))
    await db.write(store.open_session, session_hash(session_id), user.name, csrf, iso_utc(now), ends_at, address)
    response = redirect(target)
    set_cookie(response, request, SESSION_COOKIE, session_id, max_age=int(settings.session_hours * 3600))
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


def count_failed_sign_in(c: sqlite3.Connection, name: str, address: str, now: str, reason: str) -> None:
    """Count the failure against both keys, lock those past their limit, and audit it all."""
    moment = _parse(now)
    quiet_since = iso_utc(moment - dt.timedelta(minutes=QUIET_MINUTES))
    until = iso_utc(moment + dt.timedelta(minutes=LOCK_MINUTES))
    store.record_failed_sign_in(c, name, address, reason)
    for key in (store.user_key(name), store.address_key(address)):
        throttle = store.record_failure(c, key, now, quiet_since, LOCK_AFTER[key.partition(":")[0]], until)
        if throttle.locked_until == until:
            store.record_lock(c, key, until)


@post("/logout", opt=HOME_ROLES, include_in_schema=False, status_code=303)
async def sign_out(request: Request, db: NamedDependency[Database]) -> Redirect:
    """End this session."""
    viewer = viewer_of(request)
    await db.write(store.end_session, viewer.session_id, iso_utc(utc_now()), viewer.name)
    response = redirect("/login?done=signed_out")
    clear_cookie(response, request, SESSION_COOKIE)
    return response


@post("/language", opt=HOME_ROLES, include_in_schema=False, status_code=303)
async def switch_language(request: Request, db: NamedDependency[Database]) -> Redirect:
    """The viewer's language from now on; back to the page the switch was on."""
    lang = await form_field(request, "lang")
    target = safe_next(await form_field(request, "next"))
    if lang in LANGS:
        await db.write(store.set_lang, viewer_of(request).name, lang)
    return redirect(target)


@get("/", opt=HOME_ROLES, include_in_schema=False)
async def home(request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Response:
    """Each role starts where its daily work is: leads and admins at the queue, HR at the month end, a
    unit manager on their units' results (`server.console.my`)."""
    viewer = viewer_of(request)
    if viewer.role in ("quality_lead", "admin"):
        return redirect("/review")
    if viewer.role == "hr":
        return redirect("/periods")
    return await my.home_page(request, db, settings)


ROUTES = [login_form, sign_in, sign_out, switch_language, home]
