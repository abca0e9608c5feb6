"""Tokens, roles and the one guard every route passes.

Every route declares who may call it with `opt=roles(...)`; the app-wide guard `authorize`
reads that declaration, so the role table of API.md can be generated from the routes and a
route that forgets to declare its roles is refused (fail closed), never opened.

Tokens are random (256 bits), shown once, stored as SHA-256 only, looked up by a short prefix
and compared in constant time. An auditor's token is bound to the first `Tekseru-Device-Id` it
is used with, and a device to the first user whose token used it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from typing import Literal

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import QueryParameter

from server.errors import FieldError, ProblemError
from server.services import services_of
from server.store import users as users_store

Role = Literal["admin", "quality_lead", "hr", "auditor", "unit_manager"]
ROLES: tuple[Role, ...] = ("admin", "quality_lead", "hr", "auditor", "unit_manager")
PUBLIC = "public"
DEVICE_HEADER = "Tekseru-Device-Id"
LOCAL_ADMIN = "_local_admin"

_TOKEN_TAG = "tks_"
_PREFIX_LEN = 10


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling: the user, its role, the token used and (for auditors) the device."""

    name: str
    role: Role
    token_prefix: str
    device_id: str | None = None


def roles(*allowed: Role | Literal["public"]) -> dict[str, frozenset[str]]:
    """The `opt` of a route: the roles that may call it (`roles("public")` for no token)."""
    unknown = set(allowed) - set(ROLES) - {PUBLIC}
    if unknown or not allowed:
        raise ValueError(f"bad roles declaration: {allowed}")
    return {"roles": frozenset(allowed)}


def new_token() -> tuple[str, str, str]:
    """A fresh token: (token shown once, its prefix, its stored hash)."""
    token = _TOKEN_TAG + secrets.token_urlsafe(32)
    return token, token_prefix(token), token_hash(token)


def token_prefix(token: str) -> str:
    """The public prefix of a token, used to find and to revoke it."""
    return token[len(_TOKEN_TAG) : len(_TOKEN_TAG) + _PREFIX_LEN]


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_device_id(value: str | None) -> str | None:
    """A device id header as canonical lower-case UUID text, or None when absent or invalid."""
    if value is None:
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return str(parsed) if str(parsed) == value.lower() else None


def unauthenticated(code: str, detail: str) -> ProblemError:
    """A 401 with the Bearer challenge."""
    return ProblemError(401, code, detail, headers={"WWW-Authenticate": 'Bearer realm="tekseru"'})


async def authorize(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The app-wide guard: authenticate the caller and check its role against the route's."""
    allowed = handler.opt.get("roles")
    if allowed is None and "console" in handler.opt:
        # A console page (`opt=console(...)`): a session cookie and a CSRF token, never a bearer token.
        from server.console.web import check_session

        await check_session(connection, handler)
        return
    if allowed is None:
        if _is_framework_route(handler):
            return
        raise ProblemError(500, "internal_error", "route has no declared roles")
    if PUBLIC in allowed:
        return
    principal = await authenticate(connection)
    if principal.role not in allowed:
        raise ProblemError(403, "forbidden", f"the role {principal.role} may not do this")
    connection.state.principal = principal
    unknown = sorted(set(connection.query_params) - _query_names(handler))
    if unknown:
        errors = [FieldError(path=f"query.{name}", message="unknown query parameter") for name in unknown]
        raise ProblemError(
            400, "unknown_parameter", "the request has query parameters this endpoint does not take", errors
        )


def _query_names(handler: BaseRouteHandler) -> set[str]:
    """The query parameters a handler declares (a typo in a filter must not silently list everything)."""
    return {
        getattr(p.kwarg_definition, "query", None) or name
        for name, p in handler.parsed_fn_signature.parameters.items()
        if isinstance(p.kwarg_definition, QueryParameter)
    }


def _is_framework_route(handler: BaseRouteHandler) -> bool:
    fn = getattr(handler, "fn", None)
    module = getattr(fn, "__module__", "") or ""
    return module.startswith("litestar.")


async def authenticate(connection: ASGIConnection) -> Principal:
    """Resolve the bearer token (and device binding) to a Principal, or raise 401."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(_TOKEN_TAG):
        raise unauthenticated("unauthenticated", "a bearer token is required")
    db = services_of(connection.app).db
    row = db.read_inline(users_store.token_row, token_prefix(token))
    if row is None or not hmac.compare_digest(row["hash"], token_hash(token)):
        raise unauthenticated("invalid_token", "the token is not valid")
    if row["revoked_at"] is not None or row["device_revoked_at"] is not None:
        raise unauthenticated("token_revoked", "the token or its device has been revoked")
    role = row["role"]
    device_id = None
    if role == "auditor":
        raw = connection.headers.get(DEVICE_HEADER.lower())
        device_id = parse_device_id(raw)
        if device_id is None:
            raise unauthenticated(
                "device_id_required", f"auditors send a valid {DEVICE_HEADER} (a UUID) on every request"
            )
        bound, owner = row["device_id"], row["device_owner"]
        if bound is None:
            binding = await db.write(users_store.bind_device, row["prefix"], row["user_name"], device_id)
            bound, owner = binding.device_id, binding.device_owner
            if binding.device_revoked and owner == row["user_name"]:
                raise unauthenticated("token_revoked", "the token or its device has been revoked")
        # A device belongs to the first user seen on it: another user's token is refused there even
        # when it was bound before this rule (such a binding never made it that user's device).
        if owner != row["user_name"]:
            raise unauthenticated("device_mismatch", "this device belongs to another user")
        if bound != device_id:
            raise unauthenticated("device_mismatch", "this token is bound to another device")
        if db.read_inline(users_store.device_revoked, device_id):
            raise unauthenticated("token_revoked", "the token or its device has been revoked")
    return Principal(name=row["user_name"], role=role, token_prefix=row["prefix"], device_id=device_id)


def principal_of(connection: ASGIConnection) -> Principal:
    """The Principal that `authorize` stored on the connection."""
    return connection.state.principal


def role_table(app: object) -> list[tuple[str, str, frozenset[str]]]:
    """(method, path, roles) of every route of the app that declares roles, sorted by path."""
    rows = []
    for route in app.routes:  # type: ignore[attr-defined]
        for handler in getattr(route, "route_handlers", []):
            declared = handler.opt.get("roles")
            if declared is None:
                continue
            for method in sorted(getattr(handler, "http_methods", ())):
                if method in ("HEAD", "OPTIONS") and len(handler.http_methods) > 1:
                    continue
                rows.append((method, route.path, frozenset(declared)))
    return sorted(rows, key=lambda r: (r[1], r[0]))
