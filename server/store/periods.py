"""Closing a period: the frozen motivation snapshot, and the adjustments that come after it."""

from __future__ import annotations

import sqlite3
import uuid

import aiosqlite
import msgspec

from reports.motivation import Adjustment, MotivationRow, adjustments, motivation_rows, rows_hash
from reports.policy import Policy
from server.clock import now_iso
from server.db import Database
from server.errors import FieldError, ProblemError
from server.store import policies as policy_store
from server.store import scores as scores_store
from server.store.audit import audit

AWAITING_REVIEW = ("received", "needs_review", "awaiting_evidence")


class PolicyRef(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    version: int
    sha256: str


class CarriedAdjustment(msgspec.Struct, kw_only=True, frozen=True):
    """An adjustment of an earlier period, carried by (and frozen in) a later snapshot."""

    carried_by: str  # the snapshot that carries it
    adjustment: Adjustment


class Snapshot(msgspec.Struct, kw_only=True, frozen=True):
    """A closed period as it was decided: never changes afterwards."""

    period: str
    snapshot_id: str
    closed_at: str
    closed_by: str
    forced: bool
    policy: PolicyRef
    sha256: str
    rows: list[MotivationRow]
    carried: list[Adjustment]


async def snapshot_row(db: Database, period: str) -> sqlite3.Row | None:
    return await db.fetch_one("SELECT * FROM period_snapshots WHERE period = ?", (period,))


def snapshot_of(row: sqlite3.Row) -> Snapshot:
    return Snapshot(
        period=row["period"],
        snapshot_id=row["snapshot_id"],
        closed_at=row["closed_at"],
        closed_by=row["closed_by"],
        forced=bool(row["forced"]),
        policy=PolicyRef(id=row["policy_id"], version=row["policy_version"], sha256=row["policy_sha256"]),
        sha256=row["sha256"],
        rows=msgspec.json.decode(row["rows"], type=list[MotivationRow]),
        carried=msgspec.json.decode(row["carried"], type=list[Adjustment]),
    )


async def live_rows(db: Database, period: str, policy: Policy, provisional: bool) -> list[MotivationRow]:
    """Motivation rows computed now from the approved visits of the period."""
    staff = await scores_store.staff_infos(db)
    scores = await scores_store.person_scores(db, period, scores_store.APPROVED)
    return motivation_rows(staff, scores, policy, provisional)


async def pending_adjustments(db: Database, period: str) -> tuple[list[Adjustment], list[CarriedAdjustment]]:
    """For a closed period: what changed since it was closed and is not carried yet, and what was carried."""
    row = await snapshot_row(db, period)
    if row is None:
        return [], []
    snapshot = snapshot_of(row)
    policy_row = await policy_store.get_row(db, snapshot.policy.id, snapshot.policy.version)
    policy = policy_store.policy_of(policy_row)
    carried: list[CarriedAdjustment] = []
    baseline = {r.staff_id: r for r in snapshot.rows}
    for later in await db.fetch_all(
        "SELECT snapshot_id, carried FROM period_snapshots WHERE period > ? ORDER BY closed_at", (period,)
    ):
        for adjustment in msgspec.json.decode(later["carried"], type=list[Adjustment]):
            if adjustment.period != period:
                continue
            carried.append(CarriedAdjustment(carried_by=later["snapshot_id"], adjustment=adjustment))
            if adjustment.after is None:
                baseline.pop(adjustment.staff_id, None)
            else:
                baseline[adjustment.staff_id] = adjustment.after
    current = await live_rows(db, period, policy, provisional=False)
    return adjustments(period, list(baseline.values()), current), carried


async def close(db: Database, period: str, actor: str, force: bool) -> Snapshot:
    """Freeze the period's motivation rows with the latest policy; carry earlier periods' adjustments."""
    async with db.transaction() as conn:
        if await _one(conn, "SELECT 1 FROM period_snapshots WHERE period = ?", (period,)):
            raise ProblemError(409, "period_closed", f"{period} is already closed; its snapshot never changes")
        marks = ", ".join("?" * len(AWAITING_REVIEW))
        waiting = await _all(
            conn,
            f"SELECT submission_id, status FROM submission_views WHERE period = ? AND status IN ({marks})"
            " ORDER BY submission_id",
            (period, *AWAITING_REVIEW),
        )
        if waiting and not force:
            raise ProblemError(
                409,
                "unreviewed_submissions",
                f"{len(waiting)} submission(s) of {period} await review; review them or close with force",
                [
                    FieldError(path=f"submissions[{i}]", message=f"{w['submission_id']} ({w['status']})")
                    for i, w in enumerate(waiting)
                ],
            )
    # The figures are read on the reader connection, so the writer is not held while they are
    # computed. What they carry depends on the snapshots already stored: a close of another month
    # that commits meanwhile may carry the same adjustments, so the write checks that no snapshot
    # was added since the read began, and reads again if one was (snapshots are only ever added).
    # The UNIQUE period refuses a second close of the same month that raced this one.
    while True:
        closes_seen = await _snapshot_count(db.reader)
        policy, policy_sha = await policy_store.latest(db)
        rows = await live_rows(db, period, policy, provisional=False)
        carried: list[Adjustment] = []
        for earlier in await db.fetch_all(
            "SELECT period FROM period_snapshots WHERE period < ? ORDER BY period", (period,)
        ):
            pending, _ = await pending_adjustments(db, earlier["period"])
            carried += pending
        snapshot = Snapshot(
            period=period,
            snapshot_id=str(uuid.uuid4()),
            closed_at=now_iso(),
            closed_by=actor,
            forced=force and bool(waiting),
            policy=PolicyRef(id=policy.id, version=policy.version, sha256=policy_sha),
            sha256=rows_hash(rows),
            rows=rows,
            carried=carried,
        )
        async with db.transaction() as conn:
            if await _snapshot_count(conn) != closes_seen:
                if await _one(conn, "SELECT 1 FROM period_snapshots WHERE period = ?", (period,)):
                    raise ProblemError(409, "period_closed", f"{period} is already closed; its snapshot never changes")
                continue  # another month closed meanwhile: what to carry is read again
            await _insert_snapshot(conn, snapshot)
            await audit(
                conn,
                actor,
                "close_period",
                "period",
                period,
                {
                    "snapshot_id": snapshot.snapshot_id,
                    "sha256": snapshot.sha256,
                    "forced": snapshot.forced,
                    "carried": len(carried),
                },
            )
        return snapshot


async def _snapshot_count(conn: aiosqlite.Connection) -> int:
    row = await _one(conn, "SELECT count(*) FROM period_snapshots", ())
    return row[0]


async def _insert_snapshot(conn: aiosqlite.Connection, snapshot: Snapshot) -> None:
    try:
        await conn.execute(
            "INSERT INTO period_snapshots (snapshot_id, period, closed_at, closed_by, forced, policy_id,"
            " policy_version, policy_sha256, sha256, rows, carried) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                snapshot.snapshot_id,
                snapshot.period,
                snapshot.closed_at,
                snapshot.closed_by,
                int(snapshot.forced),
                snapshot.policy.id,
                snapshot.policy.version,
                snapshot.policy.sha256,
                snapshot.sha256,
                msgspec.json.encode(snapshot.rows).decode("utf-8"),
                msgspec.json.encode(snapshot.carried).decode("utf-8"),
            ),
        )
    except sqlite3.IntegrityError:
        raise ProblemError(
            409, "period_closed", f"{snapshot.period} is already closed; its snapshot never changes"
        ) from None


async def _one(conn: aiosqlite.Connection, sql: str, params: tuple) -> sqlite3.Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def _all(conn: aiosqlite.Connection, sql: str, params: tuple) -> list[sqlite3.Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())
