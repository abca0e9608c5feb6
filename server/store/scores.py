"""The grouped rows behind the period figures (the arithmetic is in reports/)."""

from __future__ import annotations

import sqlite3

import msgspec

from reports.aggregate import StandardSums, UnitInfo, UnitSums, sum_standards
from reports.motivation import StaffInfo
from server.db import insert_many, is_postgres, json_values

APPROVED, PROVISIONAL = 2, 1

# `visit_scores.standards`: [code, raw score, met 0/1] per standard of one visit.
_standards = msgspec.json.Decoder(list[tuple[str, float, int]])
_visits = msgspec.json.Decoder(list[list[tuple[str, float, int]]])


def _only(column: str, value: str | None) -> tuple[str, tuple]:
    """` AND column = ?` when a value is given, else nothing: the SQL and its parameters.

    Rather than `(? IS NULL OR column = ?)`, which SQLite cannot answer from an index, so that a
    one-unit read would scan the whole month. `column` is always a name written here, never input.
    """
    return (f" AND {column} = ?", (value,)) if value is not None else ("", ())


def unit_infos(c: sqlite3.Connection, kind: str | None, unit_id: str | None = None) -> list[UnitInfo]:
    of_kind, kind_args = _only("kind", kind)
    one, one_args = _only("unit_id", unit_id)
    rows = c.execute(
        f"SELECT unit_id, kind, name, region FROM units WHERE 1 = 1{of_kind}{one} ORDER BY unit_id",
        (*kind_args, *one_args),
    ).fetchall()
    return [UnitInfo(unit_id=r["unit_id"], kind=r["kind"], name=r["name"], region=r["region"]) for r in rows]


def _bases(counted: int) -> tuple[int, ...]:
    """The `counted` values a basis covers: each is read with an equality, so SQLite groups in
    index order instead of sorting (a range on `counted` would break the order)."""
    return (APPROVED,) if counted >= APPROVED else (PROVISIONAL, APPROVED)


def unit_sums(c: sqlite3.Connection, period: str, counted: int, unit_id: str | None = None) -> list[UnitSums]:
    """Sum and count of visit scores per unit (visits counted at least `counted`; one unit if given)."""
    totals: dict[str, list] = {}
    one, args = _only("unit_id", unit_id)
    for basis in _bases(counted):
        for r in c.execute(
            "SELECT unit_id, sum(visit_score) AS total, count(visit_score) AS n FROM submission_views"
            f" WHERE period = ? AND counted = ?{one} AND visit_score IS NOT NULL GROUP BY unit_id",
            (period, basis, *args),
        ).fetchall():
            acc = totals.setdefault(r["unit_id"], [0.0, 0])
            acc[0] += r["total"]
            acc[1] += r["n"]
    return [UnitSums(unit_id=u, total=t, n=n) for u, (t, n) in sorted(totals.items())]


def approved_unit_sums(
    c: sqlite3.Connection, periods: list[str], unit_id: str | None = None
) -> dict[str, list[UnitSums]]:
    """`unit_sums` of approved visits for several periods in one query: period -> the sums per unit.

    Each group is read along the same index as by `unit_sums`, so its scores are added in the same
    order and the sums are the same to the last bit.
    """
    one, args = _only("unit_id", unit_id)
    rows = c.execute(
        "SELECT period, unit_id, sum(visit_score) AS total, count(visit_score) AS n FROM submission_views"
        f" WHERE period IN (SELECT value FROM {json_values(c)}) AND counted = ?{one}"
        " AND visit_score IS NOT NULL GROUP BY period, unit_id ORDER BY period, unit_id",
        (msgspec.json.encode(periods).decode(), APPROVED, *args),
    ).fetchall()
    out: dict[str, list[UnitSums]] = {}
    for r in rows:
        out.setdefault(r["period"], []).append(UnitSums(unit_id=r["unit_id"], total=r["total"], n=r["n"]))
    return out


# Groups re-summed per write transaction. A group is a unit's month, up to a few hundred visits;
# in chunks, pushes get the writer between them and the event loop is never held for the whole.
REFRESH_GROUPS = 32


def refresh_some(c: sqlite3.Connection, period: str, limit: int) -> int:
    """Re-sum up to `limit` of the month's dirty groups, in the caller's transaction; how many."""
    groups = c.execute(
        "SELECT period, counted, unit_id FROM dirty_groups WHERE period = ? ORDER BY counted, unit_id LIMIT ?",
        (period, limit),
    ).fetchall()
    if not groups:
        return 0
    # The same groups (the same ordered query in the same transaction), one row each: its visits'
    # standards joined into one JSON array, decoded in one call. A group may have no visits left.
    joined = c.execute(
        "WITH g AS (SELECT period, counted, unit_id FROM dirty_groups WHERE period = ? ORDER BY counted, unit_id"
        " LIMIT ?)"
        f" SELECT v.counted, v.unit_id, '[' || {'string_agg' if is_postgres(c) else 'group_concat'}(v.standards, ',')"
        " || ']' FROM g"
        " JOIN visit_scores v ON v.period = g.period AND v.counted = g.counted AND v.unit_id = g.unit_id"
        " GROUP BY v.counted, v.unit_id",
        (period, limit),
    ).fetchall()
    by_basis: dict[int, list[tuple[str, list]]] = {}
    for counted, unit_id, visits in joined:
        by_basis.setdefault(counted, []).extend((unit_id, standards) for standards in _visits.decode(visits))
    sums = [
        (period, counted, s.unit_id, s.code, s.total, s.n, s.met)
        for counted, rows in by_basis.items()
        for s in sum_standards(rows)
    ]
    c.executemany("DELETE FROM standard_sums WHERE period = ? AND counted = ? AND unit_id = ?", groups)
    insert_many(
        c,
        "INSERT INTO standard_sums (period, counted, unit_id, code, total, n, met) VALUES (?, ?, ?, ?, ?, ?, ?)",
        sums,
    )
    c.executemany("DELETE FROM dirty_groups WHERE period = ? AND counted = ? AND unit_id = ?", groups)
    return len(groups)


def dirty_count(c: sqlite3.Connection, period: str) -> int:
    """How many of the month's groups changed since they were last summed (`figures_refresh` re-sums them)."""
    dirty = c.execute("SELECT count(*) AS n FROM dirty_groups WHERE period = ?", (period,)).fetchone()
    return dirty["n"] if dirty and dirty["n"] else 0


def standard_sums(
    c: sqlite3.Connection, period: str, counted: int, unit_id: str | None = None, code: str | None = None
) -> list[StandardSums]:
    """Per unit and standard: sum of scores, visits, visits in which it was met (one unit, one standard if given).

    The stored sums as they are: callers bring the month's up to date first
    (`server.figures_refresh.refresh_standard_sums`).
    """
    one, unit_args = _only("unit_id", unit_id)
    of_code, code_args = _only("code", code)
    one, args = one + of_code, (*unit_args, *code_args)
    if counted >= APPROVED:  # one basis: the rows are already in (unit, code) order
        rows = c.execute(
            f"SELECT unit_id, code, total, n, met FROM standard_sums WHERE period = ? AND counted = ?{one}",
            (period, APPROVED, *args),
        ).fetchall()
        return [StandardSums(unit_id=u, code=c, total=t, n=n, met=int(m)) for u, c, t, n, m in rows]
    totals: dict[tuple[str, str], list] = {}
    for basis in _bases(counted):
        for r in c.execute(
            f"SELECT unit_id, code, total, n, met FROM standard_sums WHERE period = ? AND counted = ?{one}",
            (period, basis, *args),
        ).fetchall():
            acc = totals.setdefault((r["unit_id"], r["code"]), [0.0, 0, 0])
            acc[0] += r["total"]
            acc[1] += r["n"]
            acc[2] += int(r["met"])
    return [StandardSums(unit_id=u, code=c, total=t, n=n, met=m) for (u, c), (t, n, m) in sorted(totals.items())]


def person_scores(
    c: sqlite3.Connection, period: str, counted: int, unit_id: str | None = None, staff_id: str | None = None
) -> dict[str, list[float]]:
    """Each staff member's person scores of the period (optionally only visits in one unit, or one person)."""
    in_unit, unit_args = _only("unit_id", unit_id)
    one, one_args = _only("staff_id", staff_id)
    rows = c.execute(
        f"SELECT staff_id, person_score FROM visit_staff WHERE period = ? AND counted >= ?{in_unit}{one}"
        " ORDER BY staff_id, submission_id",
        (period, counted, *unit_args, *one_args),
    ).fetchall()
    out: dict[str, list[float]] = {}
    for r in rows:
        out.setdefault(r["staff_id"], []).append(r["person_score"])
    return out


def person_scores_by_period(
    c: sqlite3.Connection, periods: list[str], counted: int, staff_id: str
) -> dict[str, list[float]]:
    """One staff member's person scores of several periods in one query: period -> scores, by submission."""
    rows = c.execute(
        f"SELECT period, person_score FROM visit_staff WHERE period IN (SELECT value FROM {json_values(c)})"
        " AND counted >= ? AND staff_id = ? ORDER BY period, submission_id",
        (msgspec.json.encode(periods).decode(), counted, staff_id),
    ).fetchall()
    out: dict[str, list[float]] = {}
    for r in rows:
        out.setdefault(r["period"], []).append(r["person_score"])
    return out


def staff_infos(c: sqlite3.Connection, unit_id: str | None = None) -> list[StaffInfo]:
    one, args = _only("s.unit_id", unit_id)
    rows = c.execute(
        "SELECT s.staff_id, s.name, s.unit_id, u.name AS unit_name, s.position, s.active FROM staff s"
        f" JOIN units u ON u.unit_id = s.unit_id WHERE 1 = 1{one} ORDER BY s.staff_id",
        args,
    ).fetchall()
    return [
        StaffInfo(
            staff_id=r["staff_id"],
            name=r["name"],
            unit_id=r["unit_id"],
            unit_name=r["unit_name"],
            position=r["position"],
            active=bool(r["active"]),
        )
        for r in rows
    ]


def staff_standard_sums(c: sqlite3.Connection, period: str, staff_id: str) -> list[StandardSums]:
    """Per unit and standard, over the approved visits in which one staff member was evaluated (raw scores)."""
    rows = c.execute(
        "SELECT st.unit_id, vs.standards FROM visit_staff st JOIN visit_scores vs ON vs.period = st.period"
        " AND vs.counted = st.counted AND vs.unit_id = st.unit_id AND vs.submission_id = st.submission_id"
        " WHERE st.period = ? AND st.counted = ? AND st.staff_id = ?",
        (period, APPROVED, staff_id),
    ).fetchall()
    return sum_standards((r["unit_id"], _standards.decode(r["standards"])) for r in rows)
