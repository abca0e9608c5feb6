"""Integrity flags and the background checks' queue: their SQL.

Flags (`integrity_flags`): a visit's `visit` flags are rewritten with its view (`write_views`); its
`task` flags by its background check. A paired flag (it names another visit in `ref`) is kept on
both visits, so a check rewrites the flags it holds and those other visits hold about it.

The queue (`integrity_tasks`): one row per visit to check again, claimed under a lease, as the
scorecard jobs' subjects are (`server.store.scorecard_jobs`): a claimer that died leaves a lease
that runs out, and another process takes the row over.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Sequence

import msgspec

from server.db import insert_many, is_postgres
from server.integrity.flags import CODES, Flag, Place
from server.store.sync import rows_in

_FLAG_COLUMNS = "submission_id, code, ref, raised_by, source, detail, evidence, raised_at"
_INSERT = f"INSERT INTO integrity_flags ({_FLAG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def flag_rows(submission_id: str, flags: Iterable[Flag], raised_by: str, now: str) -> list[tuple]:
    """The `integrity_flags` rows of a visit's flags: raised by its view (`raised_by` '') or by the
    check of the visit `raised_by`."""
    source = "task" if raised_by else "visit"
    return [
        (submission_id, f.code, f.ref, raised_by, source, f.detail, msgspec.json.encode(f.evidence).decode(), now)
        for f in flags
    ]


def write_visit_flags(c: sqlite3.Connection, rows: Sequence[tuple], replaced: Collection[str]) -> None:
    """Store visits' `visit` flags (`flag_rows`), replacing those of the `replaced` visits."""
    if replaced:
        c.executemany(
            "DELETE FROM integrity_flags WHERE submission_id = ? AND source = 'visit'", [(s,) for s in replaced]
        )
    if rows:
        insert_many(c, _INSERT, rows)


def replace_task_flags(c: sqlite3.Connection, submission_id: str, rows: Sequence[tuple]) -> set[str]:
    """Rewrite what a visit's check raised (`flag_rows(..., raised_by=submission_id, ...)`: its own
    flags and the paired ones the other visits hold about it). Answers the visits whose flags changed."""
    before = _raised_by(c, submission_id)
    c.execute("DELETE FROM integrity_flags WHERE raised_by = ?", (submission_id,))
    if rows:
        insert_many(c, _INSERT, rows)
    return {s for s, *_ in before ^ _raised_by(c, submission_id)}


def _raised_by(c: sqlite3.Connection, submission_id: str) -> set[tuple]:
    rows = c.execute(
        "SELECT submission_id, code, ref, detail, evidence FROM integrity_flags WHERE raised_by = ?", (submission_id,)
    ).fetchall()
    return {tuple(r) for r in rows}


def raised_about(c: sqlite3.Connection, submission_id: str) -> set[str]:
    """The visits holding a flag the visit's check raised (its next check may take it away)."""
    rows = c.execute("SELECT DISTINCT submission_id FROM integrity_flags WHERE raised_by = ?", (submission_id,))
    return {r[0] for r in rows}


def flags_of(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, list[Flag]]:
    """Every flag of the visits, in the order of the codes' catalogue (then by what they name); a
    pair both visits' checks found is shown once (as the visit's own check put it, if it did)."""
    rows = rows_in(
        c,
        "SELECT submission_id, code, ref, raised_by, detail, evidence FROM integrity_flags"
        " WHERE submission_id IN ({marks})",
        submission_ids,
    )
    order = {code: i for i, code in enumerate(CODES)}
    chosen: dict[tuple[str, str, str], sqlite3.Row] = {}
    for r in sorted(rows, key=lambda r: (r["raised_by"] != r["submission_id"], r["raised_by"])):
        chosen.setdefault((r["submission_id"], r["code"], r["ref"]), r)
    out: dict[str, list[Flag]] = {}
    for (sid, code, ref), r in sorted(chosen.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99), kv[0][2])):
        out.setdefault(sid, []).append(
            Flag(code=code, detail=r["detail"], evidence=msgspec.json.decode(r["evidence"]), ref=ref)
        )
    return out


def task_flagged(c: sqlite3.Connection, submission_ids: Iterable[str]) -> set[str]:
    """Those of the visits that hold a flag of a background check (their status counts it)."""
    sql = "SELECT DISTINCT submission_id FROM integrity_flags WHERE source = 'task' AND submission_id IN ({marks})"
    return {r[0] for r in rows_in(c, sql, submission_ids)}


def calibration_assignments(c: sqlite3.Connection, assignment_ids: Iterable[str]) -> set[str]:
    """Those of the assignments that ask for a second scoring (their visits are never counted)."""
    sql = "SELECT assignment_id FROM assignments WHERE calibration_of IS NOT NULL AND assignment_id IN ({marks})"
    return {r[0] for r in rows_in(c, sql, assignment_ids)}


def unit_places(c: sqlite3.Connection, unit_ids: Iterable[str]) -> dict[str, Place]:
    """The places of those of the units that have one."""
    sql = "SELECT unit_id, lat, lon, geofence_m FROM units WHERE lat IS NOT NULL AND unit_id IN ({marks})"
    return {
        r["unit_id"]: Place(lat=r["lat"], lon=r["lon"], geofence_m=r["geofence_m"])
        for r in rows_in(c, sql, unit_ids)
        if r["lon"] is not None
    }


def flag_counts(c: sqlite3.Connection, period: str) -> dict[str, tuple[int, int, dict[str, int]]]:
    """Per auditor, over the submitted visits of the period (calibrations aside): how many visits,
    how many hold any flag, and per code how many hold it."""
    visits = c.execute(
        "SELECT v.auditor, count(*) AS visits,"
        " sum(CASE WHEN EXISTS (SELECT 1 FROM integrity_flags f WHERE f.submission_id = v.submission_id)"
        " THEN 1 ELSE 0 END) AS flagged"
        " FROM submission_views v WHERE v.period = ? AND v.state = 'submitted' AND v.calibrates IS NULL"
        " GROUP BY v.auditor",
        (period,),
    ).fetchall()
    out = {r["auditor"]: (r["visits"], r["flagged"] or 0, {}) for r in visits}
    rows = c.execute(
        "SELECT v.auditor, f.code, count(DISTINCT f.submission_id) AS n"
        " FROM integrity_flags f JOIN submission_views v ON v.submission_id = f.submission_id"
        " WHERE v.period = ? AND v.state = 'submitted' AND v.calibrates IS NULL GROUP BY v.auditor, f.code",
        (period,),
    ).fetchall()
    for r in rows:
        if r["auditor"] in out:
            out[r["auditor"]][2][r["code"]] = r["n"]
    return out


# --- the queue ----------------------------------------------------------------------------------


def enqueue(c: sqlite3.Connection, submission_ids: Sequence[str], now: str) -> None:
    """Ask for the visits to be checked again (a request made while one runs is kept for after it)."""
    if submission_ids:
        insert_many(
            c,
            "INSERT INTO integrity_tasks (submission_id, generation, enqueued_at) VALUES (?, 1, ?)"
            " ON CONFLICT (submission_id) DO UPDATE SET generation = integrity_tasks.generation + 1",
            [(s, now) for s in sorted(set(submission_ids))],
        )


class Task(msgspec.Struct, kw_only=True, frozen=True):
    submission_id: str
    generation: int
    attempts: int


_CLAIMABLE = "FROM integrity_tasks WHERE claimed_until IS NULL OR claimed_until < ?"


def has_work(c: sqlite3.Connection, now: str) -> bool:
    """Whether some check waits to be claimed (a read: an idle poll takes no write lock)."""
    return c.execute(f"SELECT 1 {_CLAIMABLE} LIMIT 1", (now,)).fetchone() is not None


def claim(c: sqlite3.Connection, worker: str, now: str, until: str, limit: int, max_attempts: int) -> list[Task]:
    """Claim up to `limit` waiting checks, oldest first, under a lease until `until`.

    On PostgreSQL rows another claim holds are skipped (`SKIP LOCKED`), so two processes never
    take the same check; on SQLite the one writer serialises claims. A check that failed or whose
    claimers died `max_attempts` times is dropped (logged by the caller), not claimed forever:
    `tekseru rebuild` asks for every check again.
    """
    pick = f"SELECT submission_id, generation, attempts {_CLAIMABLE} ORDER BY enqueued_at, submission_id LIMIT ?"
    if is_postgres(c):
        pick += " FOR UPDATE SKIP LOCKED"
    rows = c.execute(pick, (now, limit)).fetchall()
    tasks = []
    for r in rows:
        if r["attempts"] >= max_attempts:
            c.execute("DELETE FROM integrity_tasks WHERE submission_id = ?", (r["submission_id"],))
            continue
        c.execute(
            "UPDATE integrity_tasks SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1"
            " WHERE submission_id = ?",
            (worker, until, r["submission_id"]),
        )
        tasks.append(Task(submission_id=r["submission_id"], generation=r["generation"], attempts=r["attempts"] + 1))
    return tasks


def renew(c: sqlite3.Connection, submission_ids: Sequence[str], worker: str, until: str) -> int:
    """Extend this worker's leases; how many it still holds."""
    held = 0
    for s in submission_ids:
        cur = c.execute(
            "UPDATE integrity_tasks SET claimed_until = ? WHERE submission_id = ? AND claimed_by = ?",
            (until, s, worker),
        )
        held += cur.rowcount
    return held


def complete(c: sqlite3.Connection, task: Task, worker: str) -> None:
    """End a check: its row goes, unless it was asked for again meanwhile (then it waits once more)."""
    c.execute(
        "DELETE FROM integrity_tasks WHERE submission_id = ? AND generation = ? AND claimed_by = ?",
        (task.submission_id, task.generation, worker),
    )
    c.execute(
        "UPDATE integrity_tasks SET claimed_by = NULL, claimed_until = NULL, attempts = 0, error = NULL"
        " WHERE submission_id = ? AND claimed_by = ?",
        (task.submission_id, worker),
    )


def postpone(c: sqlite3.Connection, task: Task, worker: str, until: str, error: str) -> None:
    """A check that failed waits until `until` to be claimed again (its attempts counted)."""
    c.execute(
        "UPDATE integrity_tasks SET claimed_by = NULL, claimed_until = ?, error = ?"
        " WHERE submission_id = ? AND claimed_by = ?",
        (until, error[:500], task.submission_id, worker),
    )


def release(c: sqlite3.Connection, worker: str) -> int:
    """Give back every check this worker holds (it stops cleanly): they wait again."""
    cur = c.execute(
        "UPDATE integrity_tasks SET claimed_by = NULL, claimed_until = NULL, attempts = attempts - 1"
        " WHERE claimed_by = ? AND attempts > 0",
        (worker,),
    )
    return cur.rowcount


def release_all(c: sqlite3.Connection) -> int:
    """Give back every claimed check (at the start of the one process of a SQLite store)."""
    return c.execute(
        "UPDATE integrity_tasks SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL"
    ).rowcount


def waiting(c: sqlite3.Connection) -> int:
    """How many checks wait or run (the health page and the tests read it)."""
    return c.execute("SELECT count(*) FROM integrity_tasks").fetchone()[0]
