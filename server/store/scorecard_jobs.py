"""Scorecard build jobs: one row per job, one per subject (a unit's draft, the network's), claimed under a lease.

A job's progress (`done`, `failed`) is counted in the transaction that ends each subject, and the
job is finished in the transaction that ends its last one. Times are ISO text as `now_iso` writes
it, passed in by the caller (a lease's end is the claimer's clock plus the lease), so they compare
as text.
"""

from __future__ import annotations

import sqlite3
import uuid

import msgspec

from server.clock import now_iso
from server.db import is_postgres

MAX_ERROR = 500  # characters of the last failure's text kept on the job


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """A build job as stored."""

    job_id: str
    period: str
    unit_kind: str
    lang: str
    total: int
    done: int
    failed: int
    status: str  # running | finished | interrupted
    started_at: str
    started_by: str
    finished_at: str | None
    error: str | None


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    """A subject claimed by a process: which draft to render, for which job."""

    job_id: str
    position: int
    unit_id: str | None  # None: the network scorecard of `unit_kind`
    period: str
    unit_kind: str
    lang: str
    started_by: str


def _job(row: sqlite3.Row) -> Job:
    return Job(**{name: row[name] for name in Job.__struct_fields__})


def _cut(error: str | None) -> str | None:
    return error[:MAX_ERROR] if error else None


def active_unit_ids(c: sqlite3.Connection, kind: str) -> list[str]:
    """The active units of a kind, in id order (a job's subjects)."""
    rows = c.execute("SELECT unit_id FROM units WHERE kind = ? AND active = 1 ORDER BY unit_id", (kind,)).fetchall()
    return [r["unit_id"] for r in rows]


def start(c: sqlite3.Connection, period: str, kind: str, lang: str, actor: str) -> tuple[Job, list[str], bool]:
    """A new running job, its subjects waiting, and its units; or the running one of (period, kind, lang) and False."""
    running = c.execute(
        "SELECT * FROM scorecard_jobs WHERE period = ? AND unit_kind = ? AND lang = ? AND status = 'running'",
        (period, kind, lang),
    ).fetchone()
    if running is not None:
        return _job(running), [], False
    units = active_unit_ids(c, kind)
    job_id = str(uuid.uuid4())
    c.execute(
        "INSERT INTO scorecard_jobs (job_id, period, unit_kind, lang, total, status, started_at, started_by)"
        " VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
        (job_id, period, kind, lang, len(units) + 1, now_iso(), actor),  # + 1: the network scorecard
    )
    c.executemany(
        "INSERT INTO scorecard_job_units (job_id, position, unit_id) VALUES (?, ?, ?)",
        [(job_id, position, unit_id) for position, unit_id in enumerate([*units, None])],
    )
    job = get(c, job_id)
    assert job is not None  # inserted just above, in this transaction
    return job, units, True


def get(c: sqlite3.Connection, job_id: str) -> Job | None:
    """A job by id."""
    row = c.execute("SELECT * FROM scorecard_jobs WHERE job_id = ?", (job_id,)).fetchone()
    return _job(row) if row is not None else None


def recent(c: sqlite3.Connection, limit: int) -> list[Job]:
    """The latest jobs, newest first."""
    rows = c.execute("SELECT * FROM scorecard_jobs ORDER BY started_at DESC, job_id LIMIT ?", (limit,)).fetchall()
    return [_job(r) for r in rows]


def count(c: sqlite3.Connection, job_id: str, ok: bool, error: str | None = None) -> None:
    """One more draft stored (ok) or failed (with its reason) on a running job."""
    column = "done" if ok else "failed"
    c.execute(
        f"UPDATE scorecard_jobs SET {column} = {column} + 1, error = coalesce(?, error)"
        " WHERE job_id = ? AND status = 'running'",
        (_cut(error), job_id),
    )


def finish(c: sqlite3.Connection, job_id: str, status: str, error: str | None = None) -> None:
    """End a running job: `finished`, or `interrupted` (stopped before its end)."""
    c.execute(
        "UPDATE scorecard_jobs SET status = ?, finished_at = ?, error = coalesce(?, error)"
        " WHERE job_id = ? AND status = 'running'",
        (status, now_iso(), _cut(error), job_id),
    )


def interrupt_running(c: sqlite3.Connection, error: str | None = None) -> int:
    """Mark every job still `running` as interrupted; how many (SQLite's one server: none of them can go on)."""
    return c.execute(
        "UPDATE scorecard_jobs SET status = 'interrupted', finished_at = ?, error = coalesce(?, error)"
        " WHERE status = 'running'",
        (now_iso(), _cut(error)),
    ).rowcount


def interrupt_stranded(c: sqlite3.Connection) -> int:
    """Mark `interrupted` the running jobs with no subject left to claim (nothing could ever finish them); how many."""
    return c.execute(
        "UPDATE scorecard_jobs SET status = 'interrupted', finished_at = ? WHERE status = 'running' AND NOT EXISTS"
        " (SELECT 1 FROM scorecard_job_units u WHERE u.job_id = scorecard_jobs.job_id"
        " AND u.state IN ('waiting', 'running'))",
        (now_iso(),),
    ).rowcount


# The subjects a claim may take: waiting ones, and running ones whose lease ran out (their process
# died), of running jobs, the oldest job first.
_CLAIMABLE = (
    "FROM scorecard_job_units u JOIN scorecard_jobs j ON j.job_id = u.job_id"
    " WHERE (u.state = 'waiting' OR (u.state = 'running' AND u.claimed_until < ?)) AND j.status = 'running'"
)


def has_work(c: sqlite3.Connection, now: str) -> bool:
    """Whether a subject could be claimed now (a read: polling must not take the store's write lock)."""
    return c.execute(f"SELECT 1 {_CLAIMABLE} LIMIT 1", (now,)).fetchone() is not None


def claim(c: sqlite3.Connection, worker: str, now: str, until: str, max_attempts: int) -> Claim | None:
    """Take the next claimable subject for `worker` until `until`; None when there is none.

    A subject whose lease ran out after `max_attempts` claims is failed instead (every process
    that took it died) and the next one is looked for. On PostgreSQL the subject's row is locked
    and rows locked by another claim are skipped (`SKIP LOCKED`), so two claims never take the
    same subject even without the store's write lock; SQLite has one writer.
    """
    pick = (
        "SELECT u.job_id, u.position, u.unit_id, u.state, u.attempts, j.period, j.unit_kind, j.lang, j.started_by"
        f" {_CLAIMABLE} ORDER BY j.started_at, u.job_id, u.position LIMIT 1"
    )
    if is_postgres(c):
        pick += " FOR UPDATE OF u SKIP LOCKED"
    while True:
        row = c.execute(pick, (now,)).fetchone()
        if row is None:
            return None
        if row["state"] == "running" and row["attempts"] >= max_attempts:
            name = row["unit_id"] or row["unit_kind"]
            error = f"{name}: the server stopped while rendering it, {row['attempts']} times"
            c.execute(
                "UPDATE scorecard_job_units SET state = 'failed', claimed_until = NULL, error = ?"
                " WHERE job_id = ? AND position = ?",
                (error, row["job_id"], row["position"]),
            )
            _counted(c, row["job_id"], False, error)
            continue
        c.execute(
            "UPDATE scorecard_job_units SET state = 'running', claimed_by = ?, claimed_until = ?,"
            " attempts = attempts + 1 WHERE job_id = ? AND position = ?",
            (worker, until, row["job_id"], row["position"]),
        )
        return Claim(**{name: row[name] for name in Claim.__struct_fields__})


def renew(c: sqlite3.Connection, job_id: str, position: int, worker: str, until: str) -> bool:
    """Extend `worker`'s lease on a subject it is rendering; False when it no longer holds it."""
    return (
        c.execute(
            "UPDATE scorecard_job_units SET claimed_until = ?"
            " WHERE job_id = ? AND position = ? AND state = 'running' AND claimed_by = ?",
            (until, job_id, position, worker),
        ).rowcount
        == 1
    )


def complete(
    c: sqlite3.Connection, job_id: str, position: int, worker: str, ok: bool, error: str | None = None
) -> bool:
    """End `worker`'s subject as done (ok) or failed, count it on the job, finish the job after its last subject.

    False, and nothing changed, when `worker` no longer holds the subject (its lease ran out and
    another process took it over): that process counts it.
    """
    ended = c.execute(
        "UPDATE scorecard_job_units SET state = ?, claimed_until = NULL, error = ?"
        " WHERE job_id = ? AND position = ? AND state = 'running' AND claimed_by = ?",
        ("done" if ok else "failed", _cut(error), job_id, position, worker),
    ).rowcount
    if ended != 1:
        return False
    _counted(c, job_id, ok, error)
    return True


def _counted(c: sqlite3.Connection, job_id: str, ok: bool, error: str | None) -> None:
    """A subject of the job ended: count it, and finish the job if it was the last."""
    count(c, job_id, ok, error)
    left = c.execute(
        "SELECT 1 FROM scorecard_job_units WHERE job_id = ? AND state IN ('waiting', 'running') LIMIT 1", (job_id,)
    ).fetchone()
    if left is None:
        finish(c, job_id, "finished")


def release(c: sqlite3.Connection, worker: str) -> int:
    """Give back every subject `worker` holds (its process stops): waiting again, that claim not counted; how many."""
    return c.execute(
        "UPDATE scorecard_job_units SET state = 'waiting', claimed_by = NULL, claimed_until = NULL,"
        " attempts = attempts - 1 WHERE state = 'running' AND claimed_by = ?",
        (worker,),
    ).rowcount


def subjects(c: sqlite3.Connection, job_id: str) -> list[sqlite3.Row]:
    """A job's subjects in order, as stored."""
    return c.execute("SELECT * FROM scorecard_job_units WHERE job_id = ? ORDER BY position", (job_id,)).fetchall()
