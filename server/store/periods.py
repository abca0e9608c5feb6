"""Closing a period: the frozen motivation snapshot, and the adjustments that come after it."""

from __future__ import annotations

import sqlite3
import uuid

import msgspec

from reports.motivation import Adjustment, MotivationRow, adjustments, motivation_rows, rows_hash
from reports.policy import Policy
from server.clock import now_iso
from server.db import INTEGRITY_ERRORS, is_postgres
from server.errors import FieldError, ProblemError
from server.store import appeals as appeals_store
from server.store import policies as policy_store
from server.store import scores as scores_store
from server.store.appeals import open_appeals
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


def snapshot_row(c: sqlite3.Connection, period: str) -> sqlite3.Row | None:
    return c.execute("SELECT * FROM period_snapshots WHERE period = ?", (period,)).fetchone()


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


def live_rows(c: sqlite3.Connection, period: str, policy: Policy, provisional: bool) -> list[MotivationRow]:
    """Motivation rows computed now from the approved visits of the period (flag `under_appeal` for
    the staff evaluated in a visit with an open appeal)."""
    staff = scores_store.staff_infos(c)
    scores = scores_store.person_scores(c, period, scores_store.APPROVED)
    return motivation_rows(staff, scores, policy, provisional, appeals_store.staff_under_appeal(c, period))


class Figures(msgspec.Struct, kw_only=True, frozen=True):
    """A period's motivation rows as HR reads them: its snapshot once closed, else provisional (latest policy)."""

    period: str
    snapshot: Snapshot | None  # None while the period is open
    policy: PolicyRef
    rows: list[MotivationRow]


def figures(c: sqlite3.Connection, period: str) -> Figures:
    """What `GET /v1/motivation` answers: the frozen rows of a closed period, or the rows computed now
    (flag `provisional`) with the latest policy; 409 `no_policy` when an open period has no policy."""
    row = snapshot_row(c, period)
    if row is not None:
        snapshot = snapshot_of(row)
        return Figures(period=period, snapshot=snapshot, policy=snapshot.policy, rows=snapshot.rows)
    policy, sha = policy_store.latest(c)
    rows = live_rows(c, period, policy, provisional=True)
    return Figures(
        period=period, snapshot=None, policy=PolicyRef(id=policy.id, version=policy.version, sha256=sha), rows=rows
    )


class ClosedSummary(msgspec.Struct, kw_only=True, frozen=True):
    """A closed period as the list of months shows it (its rows are not read: a month's are megabytes)."""

    period: str
    snapshot_id: str
    sha256: str
    closed_at: str
    closed_by: str
    forced: bool
    policy: PolicyRef


def closed_periods(c: sqlite3.Connection) -> list[ClosedSummary]:
    """Every closed period, the newest first."""
    return [
        ClosedSummary(
            period=r["period"],
            snapshot_id=r["snapshot_id"],
            sha256=r["sha256"],
            closed_at=r["closed_at"],
            closed_by=r["closed_by"],
            forced=bool(r["forced"]),
            policy=PolicyRef(id=r["policy_id"], version=r["policy_version"], sha256=r["policy_sha256"]),
        )
        for r in c.execute(
            "SELECT period, snapshot_id, sha256, closed_at, closed_by, forced, policy_id, policy_version,"
            " policy_sha256 FROM period_snapshots ORDER BY period DESC"
        ).fetchall()
    ]


def periods_with_visits(c: sqlite3.Connection) -> list[str]:
    """Every period some visit falls in, the newest first."""
    # One index seek per period (a skip scan), not a walk over every view.
    return [
        r[0]
        for r in c.execute(
            "WITH RECURSIVE p(period) AS (SELECT max(period) FROM submission_views"
            " UNION ALL SELECT (SELECT max(period) FROM submission_views WHERE period < p.period)"
            " FROM p WHERE p.period IS NOT NULL) SELECT period FROM p WHERE period IS NOT NULL"
        ).fetchall()
    ]


def awaiting_counts(c: sqlite3.Connection, period: str | None = None) -> dict[str, dict[str, int]]:
    """period -> status -> how many visits await review (what blocks a close), of one period or of all."""
    marks = ", ".join("?" * len(AWAITING_REVIEW))
    where = f"status IN ({marks})" + (" AND period = ?" if period is not None else "")
    params = (*AWAITING_REVIEW, *((period,) if period is not None else ()))
    out: dict[str, dict[str, int]] = {}
    # SQLite's `+period`: grouping the few rows found beats walking a period-ordered index to skip the
    # grouping. PostgreSQL has no unary plus on text, and its planner weighs the two itself.
    group = "period" if is_postgres(c) else "+period"
    for r in c.execute(
        f"SELECT period, status, count(*) AS n FROM submission_views WHERE {where} GROUP BY {group}, status",
        params,
    ).fetchall():
        if r["period"] is not None:
            out.setdefault(r["period"], {})[r["status"]] = r["n"]
    return out


def pending_adjustments(c: sqlite3.Connection, period: str) -> tuple[list[Adjustment], list[CarriedAdjustment]]:
    """For a closed period: what changed since it was closed and is not carried yet, and what was carried."""
    row = snapshot_row(c, period)
    if row is None:
        return [], []
    snapshot = snapshot_of(row)
    policy_row = policy_store.get_row(c, snapshot.policy.id, snapshot.policy.version)
    policy = policy_store.policy_of(policy_row)
    carried: list[CarriedAdjustment] = []
    baseline = {r.staff_id: r for r in snapshot.rows}
    for later in c.execute(
        "SELECT snapshot_id, carried FROM period_snapshots WHERE period > ? ORDER BY closed_at", (period,)
    ).fetchall():
        for adjustment in msgspec.json.decode(later["carried"], type=list[Adjustment]):
            if adjustment.period != period:
                continue
            carried.append(CarriedAdjustment(carried_by=later["snapshot_id"], adjustment=adjustment))
            if adjustment.after is None:
                baseline.pop(adjustment.staff_id, None)
            else:
                baseline[adjustment.staff_id] = adjustment.after
    current = live_rows(c, period, policy, provisional=False)
    return adjustments(period, list(baseline.values()), current), carried


# Closing a period takes three steps, which `server.closing.close` runs in order: `awaiting_close`
# (a write transaction), `snapshot_to_close` (a read) and `store_snapshot` (a write transaction),
# the last two again while another month's close commits between them.


def awaiting_close(c: sqlite3.Connection, period: str, force: bool) -> bool:
    """Whether something of the period still awaits: submissions to review, or open appeals (a close then
    needs `force`, and is recorded as forced). 409 if it is closed, or if something awaits and not `force`."""
    if c.execute("SELECT 1 FROM period_snapshots WHERE period = ?", (period,)).fetchone():
        raise ProblemError(409, "period_closed", f"{period} is already closed; its snapshot never changes")
    waiting = awaiting_review(c, period)
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
    appeals = open_appeals(c, period)
    if appeals and not force:
        raise ProblemError(
            409,
            "open_appeals",
            f"{len(appeals)} appeal(s) on visits of {period} are open; decide them or close with force",
            [
                FieldError(path=f"appeals[{i}]", message=f"{a['appeal_id']} (submission {a['submission_id']})")
                for i, a in enumerate(appeals)
            ],
        )
    return bool(waiting or appeals)


def awaiting_review(c: sqlite3.Connection, period: str) -> list[sqlite3.Row]:
    """The submissions of the period that await review (a close without `force` refuses while there are any)."""
    marks = ", ".join("?" * len(AWAITING_REVIEW))
    # SQLite's `+submission_id`: sorting the few rows found beats walking the table in id order to
    # skip the sort (PostgreSQL: no unary plus on text; its planner weighs the two itself).
    order = "submission_id" if is_postgres(c) else "+submission_id"
    return c.execute(
        f"SELECT submission_id, status FROM submission_views WHERE period = ? AND status IN ({marks}) ORDER BY {order}",
        (period, *AWAITING_REVIEW),
    ).fetchall()


def snapshot_to_close(c: sqlite3.Connection, period: str, actor: str, forced: bool) -> tuple[int, Snapshot]:
    """The period's snapshot as it would be frozen now with the latest policy, carrying earlier periods'
    adjustments; and the number of snapshots stored when the read began (see `store_snapshot`)."""
    closes_seen = _snapshot_count(c)
    policy, policy_sha = policy_store.latest(c)
    rows = live_rows(c, period, policy, provisional=False)
    carried: list[Adjustment] = []
    for earlier in c.execute(
        "SELECT period FROM period_snapshots WHERE period < ? ORDER BY period", (period,)
    ).fetchall():
        pending, _ = pending_adjustments(c, earlier["period"])
        carried += pending
    snapshot = Snapshot(
        period=period,
        snapshot_id=str(uuid.uuid4()),
        closed_at=now_iso(),
        closed_by=actor,
        forced=forced,
        policy=PolicyRef(id=policy.id, version=policy.version, sha256=policy_sha),
        sha256=rows_hash(rows),
        rows=rows,
        carried=carried,
    )
    return closes_seen, snapshot


def store_snapshot(c: sqlite3.Connection, snapshot: Snapshot, closes_seen: int) -> bool:
    """Freeze the snapshot (and audit the close); False, storing nothing, if a snapshot was added since
    `closes_seen` was read (what to carry must be read again). 409 if the period was closed meanwhile."""
    if _snapshot_count(c) != closes_seen:
        if c.execute("SELECT 1 FROM period_snapshots WHERE period = ?", (snapshot.period,)).fetchone():
            raise ProblemError(409, "period_closed", f"{snapshot.period} is already closed; its snapshot never changes")
        return False  # another month closed meanwhile: what to carry is read again
    _insert_snapshot(c, snapshot)
    audit(
        c,
        snapshot.closed_by,
        "close_period",
        "period",
        snapshot.period,
        {
            "snapshot_id": snapshot.snapshot_id,
            "sha256": snapshot.sha256,
            "forced": snapshot.forced,
            "carried": len(snapshot.carried),
        },
    )
    return True


def _snapshot_count(c: sqlite3.Connection) -> int:
    row = c.execute("SELECT count(*) FROM period_snapshots", ()).fetchone()
    return row[0]


def _insert_snapshot(c: sqlite3.Connection, snapshot: Snapshot) -> None:
    try:
        c.execute(
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
    except INTEGRITY_ERRORS:
        raise ProblemError(
            409, "period_closed", f"{snapshot.period} is already closed; its snapshot never changes"
        ) from None
