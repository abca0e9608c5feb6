"""Console sign-in: passwords, sessions, failed sign-ins and who has a visit open.

Times are the server's `iso_utc` strings, passed in by the caller (so a test can move them), and
compared as strings: the format has a fixed width, so string order is time order.
"""

from __future__ import annotations

import sqlite3

import msgspec

from server.errors import ProblemError, not_found
from server.store.audit import audit


class LoginUser(msgspec.Struct, frozen=True, kw_only=True):
    """What sign-in needs of a user."""

    name: str
    role: str
    password_hash: str | None
    lang: str


class SessionRow(msgspec.Struct, frozen=True, kw_only=True):
    """A live or ended session with its user's role and language."""

    user_name: str
    role: str
    lang: str
    csrf_token: str
    last_seen_at: str
    ends_at: str
    ended_at: str | None


class Throttle(msgspec.Struct, frozen=True, kw_only=True):
    """Where a key stands: its failures, when the last one was, and its lock."""

    key: str
    failures: int
    last_failed_at: str
    locked_until: str | None


# --- users -----------------------------------------------------------------------------------------


def login_user(c: sqlite3.Connection, name: str) -> LoginUser | None:
    """The user named `name` as sign-in sees it, or None."""
    row = c.execute("SELECT name, role, password_hash, lang FROM users WHERE name = ?", (name,)).fetchone()
    return None if row is None else LoginUser(**dict(row))


def set_password(c: sqlite3.Connection, name: str, password_hash: str, now: str, keep: str | None = None) -> int:
    """Store a user's new password hash and end their sessions except `keep` (an id hash); 404 if no such user.

    Returns how many sessions ended. A password change ends every other session: whoever held the
    old password is signed out everywhere.
    """
    if c.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)).rowcount == 0:
        raise not_found("user")
    return end_sessions(c, name, now, keep=keep)


def rehash_password(c: sqlite3.Connection, name: str, old_hash: str, new_hash: str) -> None:
    """Replace a hash made with older parameters, unless the password changed meanwhile."""
    c.execute("UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?", (new_hash, name, old_hash))


def set_lang(c: sqlite3.Connection, name: str, lang: str) -> None:
    """The user's language in the console."""
    if lang not in ("ru", "kk", "en"):
        raise ProblemError(400, "invalid_language", "the language is one of ru, kk, en")
    c.execute("UPDATE users SET lang = ? WHERE name = ?", (lang, name))


# --- sessions --------------------------------------------------------------------------------------


def open_session(
    c: sqlite3.Connection, id_hash: str, user_name: str, csrf_token: str, now: str, ends_at: str, address: str
) -> None:
    """A new session after a good password; the user's failed sign-ins are forgotten (not the address's)."""
    c.execute(
        "INSERT INTO console_sessions (id_hash, user_name, csrf_token, created_at, last_seen_at, ends_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (id_hash, user_name, csrf_token, now, now, ends_at),
    )
    c.execute("DELETE FROM login_failures WHERE key = ?", (user_key(user_name),))
    audit(c, user_name, "console.sign_in", "user", user_name, {"address": address})


def session_row(c: sqlite3.Connection, id_hash: str) -> SessionRow | None:
    """A session by the hash of its id, with its user's role and language (every console request asks)."""
    row = c.execute(
        "SELECT s.user_name, u.role, u.lang, s.csrf_token, s.last_seen_at, s.ends_at, s.ended_at"
        " FROM console_sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = ?",
        (id_hash,),
    ).fetchone()
    return None if row is None else SessionRow(**dict(row))


def touch_session(c: sqlite3.Connection, id_hash: str, now: str) -> None:
    """The session was used now: its idle timeout starts again."""
    c.execute(
        "UPDATE console_sessions SET last_seen_at = ? WHERE id_hash = ? AND ended_at IS NULL AND last_seen_at < ?",
        (now, id_hash, now),
    )


def end_session(c: sqlite3.Connection, id_hash: str, now: str, user_name: str) -> None:
    """Sign-out: the session ends now."""
    c.execute("UPDATE console_sessions SET ended_at = ? WHERE id_hash = ? AND ended_at IS NULL", (now, id_hash))
    audit(c, user_name, "console.sign_out", "user", user_name, {})


def end_sessions(c: sqlite3.Connection, user_name: str, now: str, keep: str | None = None) -> int:
    """End every live session of a user (but `keep`); how many ended."""
    return c.execute(
        "UPDATE console_sessions SET ended_at = ? WHERE user_name = ? AND ended_at IS NULL"
        " AND id_hash IS DISTINCT FROM ?",
        (now, user_name, keep),
    ).rowcount


# --- failed sign-ins -------------------------------------------------------------------------------


def user_key(name: str) -> str:
    """The throttling key of a user name (case-folded: `Saule` and `saule` are one key)."""
    return "user:" + name.casefold()


def address_key(address: str) -> str:
    """The throttling key of a client address."""
    return "addr:" + address


def throttles(c: sqlite3.Connection, keys: list[str]) -> list[Throttle]:
    """The failure records of these keys (those that have one)."""
    marks = ",".join("?" * len(keys))
    rows = c.execute(
        f"SELECT key, failures, last_failed_at, locked_until FROM login_failures WHERE key IN ({marks})", keys
    ).fetchall()
    return [Throttle(**dict(row)) for row in rows]


def record_failure(
    c: sqlite3.Connection, key: str, now: str, quiet_since: str, lock_after: int, locked_until: str
) -> Throttle:
    """Count one failed sign-in for `key`; lock it until `locked_until` when it reaches `lock_after`.

    A key whose last failure is older than `quiet_since` starts counting again from one.
    """
    c.execute(
        "INSERT INTO login_failures (key, failures, last_failed_at) VALUES (?, 1, ?)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  failures = CASE WHEN login_failures.last_failed_at < ? THEN 1 ELSE login_failures.failures + 1 END,"
        "  last_failed_at = excluded.last_failed_at",
        (key, now, quiet_since),
    )
    c.execute(
        "UPDATE login_failures SET locked_until = ?, failures = 0"
        " WHERE key = ? AND failures >= ? AND (locked_until IS NULL OR locked_until < ?)",
        (locked_until, key, lock_after, now),
    )
    row = c.execute(
        "SELECT key, failures, last_failed_at, locked_until FROM login_failures WHERE key = ?", (key,)
    ).fetchone()
    return Throttle(**dict(row))


def record_failed_sign_in(c: sqlite3.Connection, name: str, address: str, reason: str) -> None:
    """The audit entry of a refused sign-in (the name as typed: it may name nobody)."""
    audit(c, name or "-", "console.sign_in_failed", "user", name or "-", {"address": address, "reason": reason})


def record_lock(c: sqlite3.Connection, key: str, until: str) -> None:
    """The audit entry of a key locked after too many failures."""
    kind, _, value = key.partition(":")
    audit(c, "-", "console.sign_in_locked", kind, value, {"until": until})


# --- visits being reviewed -------------------------------------------------------------------------


def mark_open(c: sqlite3.Connection, submission_id: str, user_name: str, now: str) -> None:
    """`user_name` has the visit's page open (now)."""
    c.execute(
        "INSERT INTO review_open (submission_id, user_name, opened_at) VALUES (?, ?, ?)"
        " ON CONFLICT (submission_id, user_name) DO UPDATE SET opened_at = excluded.opened_at",
        (submission_id, user_name, now),
    )


def opened_by(c: sqlite3.Connection, submission_id: str, since: str) -> list[tuple[str, str]]:
    """(user, opened at) of those who opened the visit's page since `since`, latest first."""
    rows = c.execute(
        "SELECT user_name, opened_at FROM review_open WHERE submission_id = ? AND opened_at >= ?"
        " ORDER BY opened_at DESC",
        (submission_id, since),
    ).fetchall()
    return [(r["user_name"], r["opened_at"]) for r in rows]
