"""Scorecard build jobs: one row per job, its progress counted as each draft is stored."""

from __future__ import annotations

import sqlite3
import uuid

import msgspec

from server.clock import now_iso

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


def _job(row: sqlite3.Row) -> Job:
    return Job(**{name: row[name] for name in Job.__struct_fields__})


def active_unit_ids(c: sqlite3.Connection, kind: str) -> list[str]:
    """The active units of a kind, in id order (a job's subjects)."""
    rows = c.execute("SELECT unit_id FROM units WHERE kind = ? AND active = 1 ORDER BY unit_id", (kind,)).fetchall()
    return [r["unit_id"] for r in rows]


def start(c: sqlite3.Connection, period: str, kind: str, lang: str, actor: str) -> tuple[Job, list[str], bool]:
    """A new running job and its units, or the one already running for (period, kind, lang) and False."""
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
        (error[:MAX_ERROR] if error else None, job_id),
    )


def finish(c: sqlite3.Connection, job_id: str, status: str, error: str | None = None) -> None:
    """End a running job: `finished`, or `interrupted` (stopped before its end)."""
    c.execute(
        "UPDATE scorecard_jobs SET status = ?, finished_at = ?, error = coalesce(?, error)"
        " WHERE job_id = ? AND status = 'running'",
        (status, now_iso(), error[:MAX_ERROR] if error else None, job_id),
    )


def interrupt_running(c: sqlite3.Connection) -> int:
    """Mark every job still `running` as interrupted (at start: no task of this process runs them)."""
    return c.execute(
        "UPDATE scorecard_jobs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", (now_iso(),)
    ).rowcount
