"""Stored scorecards: drafts replaced freely, published ones immutable (enforced by triggers)."""

from __future__ import annotations

import sqlite3
import uuid

from server.clock import now_iso
from server.db import Database
from server.errors import not_found

COLUMNS = (
    "scorecard_id, scope, unit_id, staff_id, unit_kind, period, lang, status, sha256, input_sha256, size,"
    " created_at, created_by, published_at, published_by"
)


async def save_draft(db: Database, subject: dict, pdf: bytes, sha256: str, input_sha256: str, actor: str) -> str:
    """Store a rendered draft, replacing older drafts of the same scorecard; return its id.

    The same bytes as a stored draft or a published scorecard of the same subject give that one's
    id: publishing again (after a crash, or a second run of `tekseru scorecards build --publish`)
    converges on one published scorecard instead of publishing the same bytes twice.
    """
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT scorecard_id, status FROM scorecards WHERE scope = ? AND unit_id IS ? AND staff_id IS ?"
            " AND unit_kind IS ? AND period = ? AND lang = ? AND sha256 = ?"
            " ORDER BY status = 'published' DESC, created_at LIMIT 1",
            (*_key(subject), sha256),
        ) as cur:
            same = await cur.fetchone()
        if same is not None and same["status"] == "draft":
            return same["scorecard_id"]
        await conn.execute(
            "DELETE FROM scorecards WHERE scope = ? AND unit_id IS ? AND staff_id IS ? AND unit_kind IS ?"
            " AND period = ? AND lang = ? AND status = 'draft'",
            _key(subject),
        )
        if same is not None:
            return same["scorecard_id"]
        scorecard_id = str(uuid.uuid4())
        await conn.execute(
            "INSERT INTO scorecards (scorecard_id, scope, unit_id, staff_id, unit_kind, period, lang, status, sha256,"
            " input_sha256, size, pdf, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?)",
            (scorecard_id, *_key(subject), sha256, input_sha256, len(pdf), pdf, now_iso(), actor),
        )
    return scorecard_id


def _key(subject: dict) -> tuple:
    return (
        subject["scope"],
        subject.get("unit_id"),
        subject.get("staff_id"),
        subject.get("unit_kind"),
        subject["period"],
        subject["lang"],
    )


async def get(db: Database, scorecard_id: str) -> sqlite3.Row | None:
    return await db.fetch_one(f"SELECT {COLUMNS} FROM scorecards WHERE scorecard_id = ?", (scorecard_id,))


async def pdf_of(db: Database, scorecard_id: str) -> bytes | None:
    row = await db.fetch_one("SELECT pdf FROM scorecards WHERE scorecard_id = ?", (scorecard_id,))
    return bytes(row["pdf"]) if row else None


async def publish(db: Database, scorecard_id: str, actor: str) -> None:
    """Make a draft published (a second publish of a published one changes nothing)."""
    async with db.transaction() as conn:
        async with conn.execute("SELECT status FROM scorecards WHERE scorecard_id = ?", (scorecard_id,)) as cur:
            row = await cur.fetchone()
        if row is None:
            raise not_found("scorecard")
        if row["status"] == "draft":
            await conn.execute(
                "UPDATE scorecards SET status = 'published', published_at = ?, published_by = ? WHERE scorecard_id = ?",
                (now_iso(), actor, scorecard_id),
            )


async def list_rows(
    db: Database, period: str | None, unit_id: str | None, status: str | None, after: str, limit: int
) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT {COLUMNS} FROM scorecards WHERE (? IS NULL OR period = ?) AND (? IS NULL OR unit_id = ?)"
        " AND (? IS NULL OR status = ?) AND (created_at, scorecard_id) > (?, ?)"
        " ORDER BY created_at, scorecard_id LIMIT ?",
        (period, period, unit_id, unit_id, status, status, *after.partition("|")[::2], limit),
    )
