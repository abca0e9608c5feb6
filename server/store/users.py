"""Users, tokens and devices."""

from __future__ import annotations

import sqlite3

import msgspec

from server.clock import now_iso
from server.errors import ProblemError, not_found


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


def create_user(c: sqlite3.Connection, name: str, role: str, prefix: str, hashed: str) -> None:
    """A new user with its first token; 409 `user_exists` if the name is taken."""
    now = now_iso()
    if c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise ProblemError(409, "user_exists", f"a user named {name!r} already exists")
    c.execute("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)", (name, role, now))
    c.execute(
        "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
        (prefix, name, hashed, now),
    )


def add_token(c: sqlite3.Connection, name: str, prefix: str, hashed: str) -> None:
    """Another token for an existing user; 404 if there is no such user."""
    if not c.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone():
        raise not_found("user")
    c.execute(
        "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
        (prefix, name, hashed, now_iso()),
    )


def revoke_tokens(c: sqlite3.Connection, name: str, prefix: str | None = None) -> int:
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
    return cursor.rowcount


def revoke_device(c: sqlite3.Connection, device_id: str) -> None:
    """Revoke a device: every token bound to it stops working; 404 if never seen."""
    cursor = c.execute(
        "UPDATE devices SET revoked_at = coalesce(revoked_at, ?) WHERE device_id = ?",
        (now_iso(), device_id),
    )
    if cursor.rowcount == 0:
        raise not_found("device")


def list_users(c: sqlite3.Connection, after: str, limit: int) -> list[sqlite3.Row]:
    """A page of users (name order) with their live token prefixes."""
    return c.execute(
        "SELECT u.name, u.role, u.created_at,"
        " (SELECT group_concat(prefix, ' ') FROM (SELECT prefix FROM tokens t"
        "   WHERE t.user_name = u.name AND t.revoked_at IS NULL ORDER BY prefix)) AS prefixes"
        " FROM users u WHERE u.name > ? AND u.name NOT LIKE '\\_%' ESCAPE '\\'"
        " ORDER BY u.name LIMIT ?",
        (after, limit),
    ).fetchall()


def reset_local_admin(c: sqlite3.Connection, name: str, prefix: str, hashed: str) -> None:
    """Make the local admin user exist with exactly one live token: the given one."""
    now = now_iso()
    c.execute(
        "INSERT INTO users (name, role, created_at) VALUES (?, 'admin', ?) ON CONFLICT (name) DO NOTHING",
        (name, now),
    )
    c.execute("UPDATE tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL", (now, name))
    c.execute(
        "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
        (prefix, name, hashed, now),
    )
