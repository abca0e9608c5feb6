"""Users, tokens and devices (admin)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from litestar import Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, SkipValidation

from server.auth import LOCAL_ADMIN, Role, new_token, parse_device_id, principal_of, roles
from server.clock import now_iso
from server.db import Database
from server.errors import FieldError, ProblemError, not_found, problems
from server.passwords import MAX_LENGTH, MIN_LENGTH, checked_password, hash_password
from server.routes.params import CursorParam, LimitParam
from server.store import sessions as sessions_store
from server.store import users as store
from server.wire import Body, Name, Slug, UserName, Wire, decode_cursor, next_cursor, strict_body

MAX_UNITS = 1000
# The units a unit manager reads and appeals for: unit ids of the directory (`check_units`: one or more).
Units = Annotated[list[Slug], msgspec.Meta(max_length=MAX_UNITS)]


class UserIn(Body):
    name: UserName
    role: Role
    # Required for a unit manager, refused for every other role.
    units: Units | None = None
    # An auditor's region (a region of the directory's units): plans send them only there. None: any region.
    region: Name | None = None


class UnitsIn(Body):
    units: Units


class RegionIn(Body):
    # None: the auditor may be planned into any region.
    region: Name | None


class PasswordIn(Body):
    # No maximum below 64 characters: passphrases are welcome (the rules are in server/passwords.py).
    password: Annotated[str, msgspec.Meta(min_length=MIN_LENGTH, max_length=MAX_LENGTH)]


class _Password(Body):
    """`PasswordIn` as decoded: its lengths are checked by the password rules, which answer with
    their own codes (`password_too_short`, `password_too_long`) rather than a generic shape error."""

    password: str


class NewUser(Wire):
    name: str
    role: str
    token: str
    prefix: str


class NewToken(Wire):
    token: str
    prefix: str


class User(Wire):
    name: str
    role: str
    created_at: str
    token_prefixes: list[str]
    units: list[str]  # a unit manager's units; empty for every other role
    region: str | None  # an auditor's region; None: any region (and every other role)


class UserUnits(Wire):
    name: str
    units: list[str]


class UserRegion(Wire):
    name: str
    region: str | None


class UserPage(Wire):
    items: list[User]
    next_cursor: str | None


def _not_reserved(name: FromPath[str]) -> None:
    if name == LOCAL_ADMIN:
        raise ProblemError(409, "user_exists", "that name is reserved")


@post("/v1/users", opt=roles("admin"), responses=problems(400, 401, 403, 409, 413), tags=["users"])
async def create_user(
    request: Request, db: NamedDependency[Database], data: JSONBody[SkipValidation[UserIn]]
) -> NewUser:
    """Create a user; the answer holds its first token, shown this once.

    A unit manager is created with its `units` (400 `units_required` without them, `unknown_unit`
    for a unit not in the directory); another role with units is 400 `units_not_allowed`. An auditor
    may be given a `region` (400 `unknown_region` when no unit is in it; another role: `region_not_allowed`).
    """
    data = strict_body(data, UserIn)
    _not_reserved(data.name)
    check_units(data.role, data.units)
    check_region_role(data.role, data.region)
    token, prefix, hashed = new_token()
    await db.write(
        store.create_user,
        data.name,
        data.role,
        prefix,
        hashed,
        actor=principal_of(request).name,
        units=data.units,
        region=data.region,
    )
    return NewUser(name=data.name, role=data.role, token=token, prefix=prefix)


def check_units(role: str, units: list[str] | None) -> None:
    """A unit manager comes with units, and no other role does (the console's create form checks the same)."""
    if role == "unit_manager" and not units:
        raise ProblemError(
            400,
            "units_required",
            "a unit manager is bound to one or more units",
            [FieldError(path="units", message="name the units this manager reads")],
        )
    if role != "unit_manager" and units:
        raise ProblemError(
            400,
            "units_not_allowed",
            f"only unit managers are bound to units, not a {role}",
            [FieldError(path="units", message="leave out the units for this role")],
        )


def check_region_role(role: str, region: str | None) -> None:
    """Only an auditor works in a region (the console's create form checks the same)."""
    if region is not None and role != "auditor":
        raise ProblemError(
            400,
            "region_not_allowed",
            f"only auditors work in a region, not a {role}",
            [FieldError(path="region", message="leave out the region for this role")],
        )


@put(
    "/v1/users/{name:str}/region", opt=roles("admin"), responses=problems(400, 401, 403, 404, 409, 413), tags=["users"]
)
async def set_region(
    request: Request, db: NamedDependency[Database], name: FromPath[str], data: JSONBody[SkipValidation[RegionIn]]
) -> UserRegion:
    """Put an auditor in a region, or any region with `null` (audited): 404 for no such user, 409
    `not_auditor` for a user of another role, 400 `unknown_region` when no unit is in the region."""
    data = strict_body(data, RegionIn)
    region = await db.write(store.set_region, _named(name), data.region, principal_of(request).name)
    return UserRegion(name=name, region=region)


@put("/v1/users/{name:str}/units", opt=roles("admin"), responses=problems(400, 401, 403, 404, 409, 413), tags=["users"])
async def set_units(
    request: Request, db: NamedDependency[Database], name: FromPath[str], data: JSONBody[SkipValidation[UnitsIn]]
) -> UserUnits:
    """Bind a unit manager to exactly these units (audited): 404 for no such user, 409 `not_unit_manager`
    for a user of another role, 400 `unknown_unit` with the path of each unit not in the directory and
    `units_required` for none."""
    data = strict_body(data, UnitsIn)
    check_units("unit_manager", data.units)
    units = await db.write(store.set_units, _named(name), data.units, principal_of(request).name)
    return UserUnits(name=name, units=units)


@post("/v1/users/{name:str}/tokens", opt=roles("admin"), responses=problems(400, 401, 403, 404), tags=["users"])
async def create_token(request: Request, db: NamedDependency[Database], name: FromPath[str]) -> NewToken:
    """Another token for a user (one per tablet), shown this once."""
    token, prefix, hashed = new_token()
    await db.write(store.add_token, _named(name), prefix, hashed, actor=principal_of(request).name)
    return NewToken(token=token, prefix=prefix)


@delete(
    "/v1/users/{name:str}/tokens/{prefix:str}",
    opt=roles("admin"),
    responses=problems(400, 401, 403, 404),
    tags=["users"],
)
async def revoke_token(
    request: Request, db: NamedDependency[Database], name: FromPath[str], prefix: FromPath[str]
) -> None:
    """Revoke one token of a user."""
    await db.write(store.revoke_tokens, _named(name), prefix, actor=principal_of(request).name)


@delete("/v1/users/{name:str}/tokens", opt=roles("admin"), responses=problems(400, 401, 403, 404), tags=["users"])
async def revoke_all_tokens(request: Request, db: NamedDependency[Database], name: FromPath[str]) -> None:
    """Revoke every token of a user."""
    await db.write(store.revoke_tokens, _named(name), actor=principal_of(request).name)


def _named(name: str) -> str:
    """A user the API manages: the server's own local admin credential (renewed at every start,
    used by `tekseru` on its machine) is not one, so nobody can revoke it from outside."""
    if name == LOCAL_ADMIN:
        raise not_found("user")
    return name


@put(
    "/v1/users/{name:str}/password",
    opt=roles("admin"),
    status_code=204,
    responses=problems(400, 401, 403, 404, 409, 413),
    tags=["users"],
)
async def set_password(
    request: Request, db: NamedDependency[Database], name: FromPath[str], data: JSONBody[SkipValidation[PasswordIn]]
) -> None:
    """Set or reset a user's console password (Argon2id); every console session of the user ends.

    At least 10 characters, not containing the user name (400 `password_too_short`,
    `password_like_name`). Auditors sign in on their tablets, never to the console (409
    `role_cannot_sign_in`).
    """
    data = strict_body(data, _Password)
    await reset_console_password(db, _named(name), data.password, principal_of(request).name)


async def reset_console_password(db: Database, name: str, password: str, actor: str) -> int:
    """Set `name`'s console password by the rules (`checked_password`) and end all their sessions (audited).

    404 for no such user; 409 `role_cannot_sign_in` for an auditor. Returns how many sessions ended.
    The API's `PUT /v1/users/{name}/password` and the console's reset both call this.
    """
    user = await db.read(sessions_store.login_user, name)
    if user is None:
        raise not_found("user")
    if user.role == "auditor":
        raise ProblemError(409, "role_cannot_sign_in", "auditors work on their tablets and have no console password")
    hashed = await asyncio.to_thread(hash_password, checked_password(user.name, password))
    return await db.write(store.reset_password, user.name, hashed, now_iso(), actor)


@delete("/v1/devices/{device_id:str}", opt=roles("admin"), responses=problems(400, 401, 403, 404), tags=["users"])
async def revoke_device(request: Request, db: NamedDependency[Database], device_id: FromPath[str]) -> None:
    """Revoke a lost tablet: every token bound to it stops at its next request."""
    parsed = parse_device_id(device_id.lower())
    if parsed is None:
        raise not_found("device")
    await db.write(store.revoke_device, parsed, actor=principal_of(request).name)


@get("/v1/users", opt=roles("admin"), responses=problems(400, 401, 403), tags=["users"])
async def list_users(db: NamedDependency[Database], limit: LimitParam = 100, cursor: CursorParam = None) -> UserPage:
    """Users with the prefixes of their live tokens and (unit managers) their units."""
    rows = await db.read(store.list_users, decode_cursor(cursor), limit)
    units = await db.read(store.units_of_users, [r["name"] for r in rows if r["role"] == "unit_manager"])
    items = [
        User(
            name=r["name"],
            role=r["role"],
            created_at=r["created_at"],
            token_prefixes=(r["prefixes"] or "").split(),
            units=units.get(r["name"], []),
            region=r["region"],
        )
        for r in rows
    ]
    return UserPage(items=items, next_cursor=next_cursor(rows, limit, "name"))


ROUTES = [
    create_user,
    create_token,
    revoke_token,
    revoke_all_tokens,
    set_password,
    set_units,
    set_region,
    revoke_device,
    list_users,
]
