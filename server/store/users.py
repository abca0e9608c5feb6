"""Users, tokens and devices."""

from __future__ import annotations

import sqlite3

import msgspec

from server.clock import now_iso
from server.db import Database
from server.errors import ProblemError, not_found


async def token_row(db: Database, prefix: str) -> sqlite3.Row | None:
    """A token with its user's role and its device's owner and revocation, by prefix (every request asks)."""
    rows = db.read_now(
        "SELECT t.prefix, t.user_name, t.hash, t.device_id, t.revoked_at, u.role,"
        " d.revoked_at AS device_revoked_at, d.user_name AS device_owner"
        " FROM tokens t JOIN users u ON u.name = t.user_name"
        " LEFT JOIN devices d ON d.device_id = t.device_id"
        " WHERE t.prefix = ?",
        (prefix,),
    )
    return rows[0] if rows else None


class Binding(msgspec.Struct, kw_only=True, frozen=True):
    """Where a token stands after its first request from a device."""

    device_id: str | None  # the device the token is bound to (None: still unbound)
    device_owner: str  # the user the requested device belongs to
    device_revoked: bool


async def bind_device(db: Database, prefix: str, user_name: str, device_id: str) -> Binding:
    """Bind a token to its first device, unless that device belongs to another user or is revoked.

    A device belongs to the first user whose token used it. Claiming the device and binding the
    token happen in one write transaction, so of two users first seen on one device at the same
    moment exactly one gets it; the other's token stays unbound (usable from its own tablet).
    """
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO devices (device_id, user_name, first_seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT (device_id) DO NOTHING",
            (device_id, user_name, now_iso()),
        )
        async with conn.execute("SELECT user_name, revoked_at FROM devices WHERE device_id = ?", (device_id,)) as cur:
            device = await cur.fetchone()
        if device["user_name"] == user_name and device["revoked_at"] is None:
            await conn.execute(
                "UPDATE tokens SET device_id = ? WHERE prefix = ? AND device_id IS NULL",
                (device_id, prefix),
            )
        async with conn.execute("SELECT device_id FROM tokens WHERE prefix = ?", (prefix,)) as cur:
            token = await cur.fetchone()
    return Binding(
        device_id=token["device_id"], device_owner=device["user_name"], device_revoked=device["revoked_at"] is not None
    )


async def device_revoked(db: Database, device_id: str) -> bool:
    """True when the device has been revoked."""
    rows = db.read_now("SELECT revoked_at FROM devices WHERE device_id = ?", (device_id,))
    return bool(rows) and rows[0]["revoked_at"] is not None


async def create_user(db: Database, name: str, role: str, prefix: str, hashed: str) -> None:
    """A new user with its first token; 409 `user_exists` if the name is taken."""
    now = now_iso()
    async with db.transaction() as conn:
        async with conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)) as cur:
            if await cur.fetchone():
                raise ProblemError(409, "user_exists", f"a user named {name!r} already exists")
        await conn.execute("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)", (name, role, now))
        await conn.execute(
            "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
            (prefix, name, hashed, now),
        )


async def add_token(db: Database, name: str, prefix: str, hashed: str) -> None:
    """Another token for an existing user; 404 if there is no such user."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)) as cur:
            if not await cur.fetchone():
                raise not_found("user")
        await conn.execute(
            "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
            (prefix, name, hashed, now_iso()),
        )


async def revoke_tokens(db: Database, name: str, prefix: str | None = None) -> int:
    """Revoke one token of a user (by prefix) or all of them; return how many were revoked."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)) as cur:
            if not await cur.fetchone():
                raise not_found("user")
        sql = "UPDATE tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL"
        params: tuple = (now_iso(), name)
        if prefix is not None:
            async with conn.execute("SELECT 1 FROM tokens WHERE user_name = ? AND prefix = ?", (name, prefix)) as cur:
                if not await cur.fetchone():
                    raise not_found("token")
            sql += " AND prefix = ?"
            params += (prefix,)
        cursor = await conn.execute(sql, params)
        return cursor.rowcount


async def revoke_device(db: Database, device_id: str) -> None:
    """Revoke a device: every token bound to it stops working; 404 if never seen."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, ?) WHERE device_id = ?",
            (now_iso(), device_id),
        )
        if cursor.rowcount == 0:
            raise not_found("device")


async def list_users(db: Database, after: str, limit: int) -> list[sqlite3.Row]:
    """A page of users (name order) with their live token prefixes."""
    return await db.fetch_all(
        "SELECT u.name, u.role, u.created_at,"
        " (SELECT group_concat(prefix, ' ') FROM (SELECT prefix FROM tokens t"
        "   WHERE t.user_name = u.name AND t.revoked_at IS NULL ORDER BY prefix)) AS prefixes"
        " FROM users u WHERE u.name > ? AND u.name NOT LIKE '\\_%' ESCAPE '\\'"
        " ORDER BY u.name LIMIT ?",
        (after, limit),
    )


async def reset_local_admin(db: Database, name: str, prefix: str, hashed: str) -> None:
    """Make the local admin user exist with exactly one live token: the given one."""
    now = now_iso()
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO users (name, role, created_at) VALUES (?, 'admin', ?) ON CONFLICT (name) DO NOTHING",
            (name, now),
        )
        await conn.execute("UPDATE tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL", (now, name))
        await conn.execute(
            "INSERT INTO tokens (prefix, user_name, hash, created_at) VALUES (?, ?, ?, ?)",
            (prefix, name, hashed, now),
        )
