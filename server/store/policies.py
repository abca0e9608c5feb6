"""Motivation policies: published versions, immutable; the latest one rules an open period."""

from __future__ import annotations

import sqlite3

import msgspec

from checklists.canonical import canonical_json
from reports.policy import LoadedPolicy, Policy
from server.clock import now_iso
from server.db import Database
from server.errors import ProblemError


async def publish(db: Database, loaded: LoadedPolicy) -> bool:
    """Store a version; False when the same content is already there; 409 on other content."""
    p = loaded.policy
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT sha256 FROM policies WHERE policy_id = ? AND version = ?", (p.id, p.version)
        ) as cur:
            row = await cur.fetchone()
        if row is not None:
            if row["sha256"] == loaded.sha256:
                return False
            raise ProblemError(
                409, "version_exists", f"policy {p.id} version {p.version} is already published with other content"
            )
        await conn.execute(
            "INSERT INTO policies (policy_id, version, sha256, body, published_at) VALUES (?, ?, ?, ?, ?)",
            (p.id, p.version, loaded.sha256, canonical_json(loaded.raw).decode("utf-8"), now_iso()),
        )
    return True


async def get_row(db: Database, policy_id: str, version: int) -> sqlite3.Row | None:
    return await db.fetch_one(
        "SELECT policy_id, version, sha256, body, published_at FROM policies WHERE policy_id = ? AND version = ?",
        (policy_id, version),
    )


async def latest_row(db: Database) -> sqlite3.Row | None:
    """The most recently published policy version."""
    return await db.fetch_one(
        "SELECT policy_id, version, sha256, body, published_at FROM policies ORDER BY seq DESC LIMIT 1"
    )


async def list_rows(db: Database) -> list[sqlite3.Row]:
    return await db.fetch_all("SELECT policy_id, version, sha256, body, published_at FROM policies ORDER BY seq")


def policy_of(row: sqlite3.Row) -> Policy:
    return msgspec.json.decode(row["body"], type=Policy)


async def latest(db: Database) -> tuple[Policy, str]:
    """The latest policy and its sha256; 409 `no_policy` when none is published."""
    row = await latest_row(db)
    if row is None:
        raise ProblemError(409, "no_policy", "no motivation policy is published; publish one first")
    return policy_of(row), row["sha256"]
