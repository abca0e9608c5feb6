"""Users, tokens and devices."""

from __future__ import annotations

import sqlite3

import msgspec

from server.clock import now_iso
from server.db import is_postgres
from server.errors import FieldError, ProblemError, not_found
from server.store.audit import audit
from server.store.sessions import end_sessions, set_password
from server.store.sync import rows_in


def token_row(c: sqlite3.Connection, prefix: str) -> sqlite3.Row | None:
    """A token with its user's role and its device's owner and revocation, by prefix (every request asks)."""
    return c.execute(
        "SELECT t.prefix, t.user_name, t.hash, t.device_id, t.revoked_at, u.role,"
        " d.revoked_at AS device_revoked_at, d.user_name AS device_owner"
        " FROM tokens t JOIN users u ON u.name = t.user_name"
        " LEFT JOIN devices d ON d.device_id = t.device_id"
        " WHERE t.prefix = ?",
        (prefix,),
    ).fetchone()


class Binding(msgspec.Struct, kw_only=True, frozen=True):
    """Where a token stands after its first request from a device."""

    device_id: str | None  # the device the token is bound to (None: still unbound)
    device_owner: str  # the user the requested device belongs to
    device_revoked: bool


def bind_device(c: sqlite3.Connection, prefix: str, user_name: str, device_id: str) -> Binding:
    """Bind a token to its first device, unless that device belongs to another user or is revoked.

    A device belongs to the first user whose token used it. Claiming the device and binding the
    token happen in one write transaction, so of two users first seen on one device at the same
    moment exactly one gets it; the other's token stays unbound (usable from its own tablet).
    """
    c.execute(
        "INSERT INTO devices (device_id, user_name, first_seen_at) VALUES (?, ?, ?) ON CONFLICT (device_id) DO NOTHING",
        (device_id, user_name, now_iso()),
    )
    device = c.execute("SELECT user_name, revoked_at FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    if device["user_name"] == user_name and device["revoked_at"] is None:
        c.execute(
            "UPDATE tokens SET device_id = ? WHERE prefix = ? AND device_id IS NULL",
            (device_id, prefix),
        )
    token = c.execute("SELECT device_id FROM tokens WHERE prefix = ?", (prefix,)).fetchone()
    return Binding(
        device_id=token["device_id"], device_owner=device["user_name"], device_revoked=device["revoked_at"] is not None
    )


def device_revoked(c: sqlite3.Connection, device_id: str) -> bool:
    """True when the device has been revoked."""
    row = c.execute("SELECT revoked_at FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    return row is not None and row["revoked_at"] is not None


def create_user(
    c: sqlite3.Connection,
    name: str,
    role: str,
    prefix: str,
    hashed: str,
    actor: str | None = None,
    units: list[str] | None = None,
    region: str | None = None,
) -> None:
    """A new user with its first token (a unit manager bound to `units`, an auditor to `region`, in the
    same transaction); 409 `user_exists` if the name is taken, `set_units`' refusals for the units and
    `check_region`'s for the region (audited when `actor` is given)."""
    now = now_iso()
    if c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise ProblemError(409, "user_exists", f"a user named {name!r} already exists")
    if region is not None:
        check_region(c, region)
    c.execute("INSERT INTO users (name, role, created_at, region) VALUES (?, ?, ?, ?)", (name, role, now, region))
    c.execute(
        "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
        (prefix, name, hashed, now),
    )
    if actor is not None:
        audit(
            c,
            actor,
            "user.create",
            "user",
            name,
            {"role": role, "token": prefix} | ({"region": region} if region else {}),
        )
    if units:
        set_units(c, name, units, actor)


def add_token(c: sqlite3.Connection, name: str, prefix: str, hashed: str, actor: str | None = None) -> None:
    """Another token for an existing user; 404 if there is no such user."""
    if not c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise not_found("user")
    c.execute(
        "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
        (prefix, name, hashed, now_iso()),
    )
    if actor is not None:
        audit(c, actor, "user.token.create", "user", name, {"token": prefix})


def revoke_tokens(c: sqlite3.Connection, name: str, prefix: str | None = None, actor: str | None = None) -> int:
    """Revoke one token of a user (by prefix) or all of them; return how many were revoked."""
    if not c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise not_found("user")
    sql = "UPDATE tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL"
    params: tuple = (now_iso(), name)
    if prefix is not None:
        if not c.execute("SELECT 1 FROM tokens WHERE user_name = ? AND prefix = ?", (name, prefix)).fetchone():
            raise not_found("token")
        sql += " AND prefix = ?"
        params += (prefix,)
    cursor = c.execute(sql, params)
    if prefix is None:
        # Revoking a user cuts them off everywhere: their console sessions end as well.
        c.execute(
            "UPDATE console_sessions SET ended_at = ? WHERE user_name = ? AND ended_at IS NULL", (now_iso(), name)
        )
    if actor is not None:
        action = "user.token.revoke" if prefix is not None else "user.token.revoke_all"
        audit(c, actor, action, "user", name, {"token": prefix, "revoked": cursor.rowcount})
    return cursor.rowcount


def revoke_device(c: sqlite3.Connection, device_id: str, actor: str | None = None) -> None:
    """Revoke a device: every token bound to it stops working; 404 if never seen."""
    cursor = c.execute(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, ?) WHERE device_id = ?",
        (now_iso(), device_id),
    )
    if cursor.rowcount == 0:
        raise not_found("device")
    if actor is not None:
        owner = c.execute("SELECT user_name FROM devices WHERE device_id = ?", (device_id,)).fetchone()
        audit(c, actor, "device.revoke", "device", device_id, {"user": owner["user_name"]})


def set_role(c: sqlite3.Connection, name: str, role: str, actor: str) -> bool:
    """Give a user another role (audited); whether it changed. 404 if no such user; 409 `own_role`
    for one's own (an administrator who demoted themselves could not undo it).

    A user who becomes an auditor loses the console (auditors work on tablets): their password is
    cleared and their sessions end. Any other change takes effect at the next request, because a
    session reads its user's role every time.
    """
    row = c.execute("SELECT role FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or name.startswith("_"):
        raise not_found("user")
    if actor == name:
        raise ProblemError(409, "own_role", "an administrator does not change their own role")
    if row["role"] == role:
        return False
    c.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
    if row["role"] == "unit_manager":  # a unit manager no more: bound to no unit
        c.execute("DELETE FROM user_units WHERE user_name = ?", (name,))
    if row["role"] == "auditor":  # only auditors are planned into a region
        c.execute("UPDATE users SET region = NULL WHERE name = ?", (name,))
    if role == "auditor":
        c.execute("UPDATE users SET password_hash = NULL WHERE name = ?", (name,))
        end_sessions(c, name, now_iso())
    audit(c, actor, "user.role", "user", name, {"from": row["role"], "to": role})
    return True


def reset_password(
    c: sqlite3.Connection, name: str, password_hash: str, now: str, actor: str, keep: str | None = None
) -> int:
    """`sessions.set_password` with its audit entry: a reset by an admin, or `keep` set, one's own change.

    Returns how many sessions ended (all of the user's, or all but `keep`).
    """
    ended = set_password(c, name, password_hash, now, keep=keep)
    action = "user.password.change" if actor == name and keep is not None else "user.password.reset"
    audit(c, actor, action, "user", name, {"sessions_ended": ended})
    return ended


def list_users(c: sqlite3.Connection, after: str, limit: int) -> list[sqlite3.Row]:
    """A page of users (name order) with their live token prefixes."""
    return c.execute(
        "SELECT u.name, u.role, u.created_at, u.region,"
        f" (SELECT {'string_agg' if is_postgres(c) else 'group_concat'}(prefix, ' ') FROM (SELECT prefix FROM tokens t"
        "   WHERE t.user_name = u.name AND t.revoked_at IS NULL ORDER BY prefix) AS live) AS prefixes"
        " FROM users u WHERE u.name > ? AND u.name NOT LIKE '\\_%' ESCAPE '\\'"
        " ORDER BY u.name LIMIT ?",
        (after, limit),
    ).fetchall()


def reset_local_admin(c: sqlite3.Connection, name: str, prefix: str, hashed: str, only: str | None = None) -> None:
    """Make the local admin user exist with the given live token, revoking its others (or the one of prefix `only`)."""
    now = now_iso()
    c.execute(
        "INSERT INTO users (name, role, created_at) VALUES (?, 'admin', ?) ON CONFLICT (name) DO NOTHING",
        (name, now),
    )
    c.execute(
        "UPDATE tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL AND (? IS NULL OR prefix = ?)",
        (now, name, only, only),
    )
    c.execute(
        "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
        (prefix, name, hashed, now),
    )


# --- the console's administration pages ------------------------------------------------------------


class UserRow(msgspec.Struct, frozen=True, kw_only=True):
    """A user as the console's list shows it."""

    name: str
    role: str
    created_at: str
    live_tokens: int
    has_password: bool
    units: list[str]  # a unit manager's units (empty for every other role)
    region: str | None = None  # an auditor's region (None: any)


def find_users(c: sqlite3.Connection, search: str, role: str | None, after: str, limit: int) -> list[UserRow]:
    """A page of users (name order) whose name contains `search` (any case), of `role` when given.

    The server's own users (`_local_admin`) are left out, as `list_users` leaves them out.
    """
    pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = c.execute(
        "SELECT u.name, u.role, u.created_at, u.region, u.password_hash IS NOT NULL AS has_password,"
        " (SELECT count(*) FROM tokens t WHERE t.user_name = u.name AND t.revoked_at IS NULL) AS live_tokens"
        " FROM users u WHERE u.name > ? AND u.name NOT LIKE '\\_%' ESCAPE '\\'"
        # lower() on both sides: SQLite's LIKE ignores the case of ASCII letters, PostgreSQL's does not.
        " AND lower(u.name) LIKE lower(?) ESCAPE '\\' AND (? IS NULL OR u.role = ?)"
        " ORDER BY u.name LIMIT ?",
        (after, pattern, role, role, limit),
    ).fetchall()
    units = units_of_users(c, [r["name"] for r in rows if r["role"] == "unit_manager"])
    return [
        UserRow(
            name=r["name"],
            role=r["role"],
            created_at=r["created_at"],
            live_tokens=r["live_tokens"],
            has_password=bool(r["has_password"]),
            units=units.get(r["name"], []),
            region=r["region"],
        )
        for r in rows
    ]


class TokenRow(msgspec.Struct, frozen=True, kw_only=True):
    """One of a user's tokens (never its hash)."""

    prefix: str
    created_at: str
    device_id: str | None
    revoked_at: str | None


class DeviceRow(msgspec.Struct, frozen=True, kw_only=True):
    """A device that belongs to a user."""

    device_id: str
    first_seen_at: str
    revoked_at: str | None


class UnitRef(msgspec.Struct, frozen=True, kw_only=True):
    """A unit a unit manager reads, with its name."""

    unit_id: str
    name: str


class UserDetail(msgspec.Struct, frozen=True, kw_only=True):
    """A user with their tokens, devices, live console sessions and (a unit manager) units, for the console's
    user page."""

    name: str
    role: str
    created_at: str
    has_password: bool
    sessions: int  # console sessions not ended (some may have run out of time)
    tokens: list[TokenRow]
    devices: list[DeviceRow]
    units: list[UnitRef]
    region: str | None = None  # an auditor's region (None: any)


def user_detail(c: sqlite3.Connection, name: str) -> UserDetail | None:
    """The user named `name` with tokens (newest first) and devices, or None (also for `_` names)."""
    row = c.execute(
        "SELECT name, role, created_at, region, password_hash IS NOT NULL AS has_password FROM users WHERE name = ?",
        (name,),
    ).fetchone()
    if row is None or row["name"].startswith("_"):
        return None
    tokens = c.execute(
        "SELECT prefix, created_at, device_id, revoked_at FROM tokens WHERE user_name = ?"
        " ORDER BY created_at DESC, prefix",
        (name,),
    ).fetchall()
    devices = c.execute(
        "SELECT device_id, first_seen_at, revoked_at FROM devices WHERE user_name = ? ORDER BY first_seen_at DESC",
        (name,),
    ).fetchall()
    sessions = c.execute(
        "SELECT count(*) FROM console_sessions WHERE user_name = ? AND ended_at IS NULL", (name,)
    ).fetchone()[0]
    units = c.execute(
        "SELECT m.unit_id, u.name FROM user_units m JOIN units u ON u.unit_id = m.unit_id WHERE m.user_name = ?"
        " ORDER BY m.unit_id",
        (name,),
    ).fetchall()
    return UserDetail(
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        has_password=bool(row["has_password"]),
        sessions=sessions,
        tokens=[TokenRow(**dict(t)) for t in tokens],
        devices=[DeviceRow(**dict(d)) for d in devices],
        units=[UnitRef(unit_id=u["unit_id"], name=u["name"]) for u in units],
        region=row["region"],
    )


def device_owner(c: sqlite3.Connection, device_id: str) -> str | None:
    """The user a device belongs to, or None if it was never seen."""
    row = c.execute("SELECT user_name FROM devices WHERE device_id = ?", (device_id,)).fetchone()
    return None if row is None else row["user_name"]


# --- the units of a unit manager -------------------------------------------------------------------


def units_of(c: sqlite3.Connection, name: str) -> list[str]:
    """The units a user manages (a unit manager's scope; empty for every other role), sorted."""
    rows = c.execute("SELECT unit_id FROM user_units WHERE user_name = ? ORDER BY unit_id", (name,)).fetchall()
    return [r["unit_id"] for r in rows]


def set_units(c: sqlite3.Connection, name: str, units: list[str], actor: str | None = None) -> list[str]:
    """Bind a unit manager to exactly these units (audited when `actor` is given); the units, sorted.

    404 for no such user; 409 `not_unit_manager` for a user of another role; 400 `unknown_unit`
    (with each unknown unit's path) when a unit is not in the directory.
    """
    row = c.execute("SELECT role FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or name.startswith("_"):
        raise not_found("user")
    if row["role"] != "unit_manager":
        raise ProblemError(409, "not_unit_manager", f"{name} is a {row['role']}: only unit managers are bound to units")
    wanted = sorted(set(units))
    known = {r["unit_id"] for r in rows_in(c, "SELECT unit_id FROM units WHERE unit_id IN ({marks})", wanted)}
    unknown = [FieldError(path=f"units[{i}]", message=f"no unit {u!r}") for i, u in enumerate(units) if u not in known]
    if unknown:
        raise ProblemError(400, "unknown_unit", "some units are not in the directory", unknown)
    before = units_of(c, name)
    if before == wanted:
        return wanted
    c.execute("DELETE FROM user_units WHERE user_name = ?", (name,))
    c.executemany("INSERT INTO user_units (user_name, unit_id) VALUES (?, ?)", [(name, u) for u in wanted])
    if actor is not None:
        audit(c, actor, "user.units", "user", name, {"from": before, "to": wanted})
    return wanted


def units_of_users(c: sqlite3.Connection, names: list[str]) -> dict[str, list[str]]:
    """The units each of these users manages, sorted (users who manage none are left out)."""
    rows = rows_in(
        c, "SELECT user_name, unit_id FROM user_units WHERE user_name IN ({marks}) ORDER BY user_name, unit_id", names
    )
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["user_name"], []).append(r["unit_id"])
    return out


# --- the region of an auditor ----------------------------------------------------------------------


def check_region(c: sqlite3.Connection, region: str) -> None:
    """400 `unknown_region` unless some unit of the directory is in `region` (a typo would plan nobody)."""
    if c.execute("SELECT 1 FROM units WHERE region = ? LIMIT 1", (region,)).fetchone() is None:
        raise ProblemError(
            400,
            "unknown_region",
            f"no unit is in the region {region!r}",
            [FieldError(path="region", message="name a region of the directory's units")],
        )


def set_region(c: sqlite3.Connection, name: str, region: str | None, actor: str | None = None) -> str | None:
    """Put an auditor in `region` (None: any region), audited when `actor` is given; the region.

    404 for no such user; 409 `not_auditor` for a user of another role; 400 `unknown_region`.
    """
    row = c.execute("SELECT role, region FROM users WHERE name = ?", (name,)).fetchone()
    if row is None or name.startswith("_"):
        raise not_found("user")
    if row["role"] != "auditor":
        raise ProblemError(409, "not_auditor", f"{name} is a {row['role']}: only auditors work in a region")
    if region is not None:
        check_region(c, region)
    if row["region"] != region:
        c.execute("UPDATE users SET region = ? WHERE name = ?", (region, name))
        if actor is not None:
            audit(c, actor, "user.region", "user", name, {"from": row["region"], "to": region})
    return region
