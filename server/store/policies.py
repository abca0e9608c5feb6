"""Motivation policies: published versions, immutable; the latest one rules an open period."""

from __future__ import annotations

import sqlite3

import msgspec

from checklists.canonical import canonical_json
from reports.policy import Integrity, LoadedPolicy, Policy
from server.clock import now_iso
from server.errors import ProblemError


def publish(c: sqlite3.Connection, loaded: LoadedPolicy) -> bool:
    """Store a version; False when the same content is already there; 409 on other content."""
    p = loaded.policy
    row = c.execute("SELECT sha256 FROM policies WHERE policy_id = ? AND version = ?", (p.id, p.version)).fetchone()
    if row is not None:
        if row["sha256"] == loaded.sha256:
            return False
        raise ProblemError(
            409, "version_exists", f"policy {p.id} version {p.version} is already published with other content"
        )
    c.execute(
        "INSERT INTO policies (policy_id, version, sha256, body, published_at) VALUES (?, ?, ?, ?, ?)",
        (p.id, p.version, loaded.sha256, canonical_json(loaded.raw).decode("utf-8"), now_iso()),
    )
    return True


def get_row(c: sqlite3.Connection, policy_id: str, version: int) -> sqlite3.Row | None:
    return c.execute(
        "SELECT policy_id, version, sha256, body, published_at FROM policies WHERE policy_id = ? AND version = ?",
        (policy_id, version),
    ).fetchone()


def latest_row(c: sqlite3.Connection) -> sqlite3.Row | None:
    """The most recently published policy version."""
    return c.execute(
        "SELECT policy_id, version, sha256, body, published_at FROM policies ORDER BY seq DESC LIMIT 1"
    ).fetchone()


def list_rows(c: sqlite3.Connection) -> list[sqlite3.Row]:
    return c.execute("SELECT policy_id, version, sha256, body, published_at FROM policies ORDER BY seq").fetchall()


def policy_of(row: sqlite3.Row) -> Policy:
    return msgspec.json.decode(row["body"], type=Policy)


def latest_or_none(c: sqlite3.Connection) -> Policy | None:
    """The latest policy, or None when none is published (figures then carry no marks)."""
    row = latest_row(c)
    return policy_of(row) if row is not None else None


def latest(c: sqlite3.Connection) -> tuple[Policy, str]:
    """The latest policy and its sha256; 409 `no_policy` when none is published."""
    row = latest_row(c)
    if row is None:
        raise ProblemError(409, "no_policy", "no motivation policy is published; publish one first")
    return policy_of(row), row["sha256"]


_rules: dict[str, Integrity] = {}


def integrity_rules(c: sqlite3.Connection) -> Integrity:
    """The latest policy's integrity thresholds (the defaults when none is published).

    Read on every push and refresh, so the parsed thresholds are kept per policy content (a
    published version never changes), and only the latest's hash is read each time."""
    row = c.execute("SELECT seq, sha256 FROM policies ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return Integrity()
    rules = _rules.get(row["sha256"])
    if rules is None:
        body = c.execute("SELECT body FROM policies WHERE seq = ?", (row["seq"],)).fetchone()
        rules = _rules[row["sha256"]] = policy_of(body).integrity
    return rules
