"""The grouped rows behind the period figures (the arithmetic is in reports/)."""

from __future__ import annotations

from reports.aggregate import StandardSums, UnitInfo, UnitSums
from reports.motivation import StaffInfo
from server.db import Database

APPROVED, PROVISIONAL = 2, 1


async def unit_infos(db: Database, kind: str | None, unit_id: str | None = None) -> list[UnitInfo]:
    rows = await db.fetch_all(
        "SELECT unit_id, kind, name, region FROM units WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR unit_id = ?)"
        " ORDER BY unit_id",
        (kind, kind, unit_id, unit_id),
    )
    return [UnitInfo(unit_id=r["unit_id"], kind=r["kind"], name=r["name"], region=r["region"]) for r in rows]


async def unit_sums(db: Database, period: str, counted: int) -> list[UnitSums]:
    """Sum and count of visit scores per unit (visits counted at least `counted`)."""
    rows = await db.fetch_all(
        "SELECT unit_id, sum(visit_score) AS total, count(visit_score) AS n FROM submission_views"
        " WHERE period = ? AND counted >= ? AND visit_score IS NOT NULL GROUP BY unit_id",
        (period, counted),
    )
    return [UnitSums(unit_id=r["unit_id"], total=r["total"], n=r["n"]) for r in rows]


async def standard_sums(db: Database, period: str, counted: int) -> list[StandardSums]:
    """Per unit and standard: sum of scores, visits, visits in which it was met."""
    rows = await db.fetch_all(
        "SELECT unit_id, code, sum(score) AS total, count(*) AS n, sum(met) AS met FROM visit_standards"
        " WHERE period = ? AND counted >= ? GROUP BY unit_id, code",
        (period, counted),
    )
    return [StandardSums(unit_id=r["unit_id"], code=r["code"], total=r["total"], n=r["n"], met=r["met"]) for r in rows]


async def person_scores(db: Database, period: str, counted: int, unit_id: str | None = None) -> dict[str, list[float]]:
    """Each staff member's person scores of the period (optionally only visits in one unit)."""
    rows = await db.fetch_all(
        "SELECT staff_id, person_score FROM visit_staff WHERE period = ? AND counted >= ?"
        " AND (? IS NULL OR unit_id = ?) ORDER BY staff_id, submission_id",
        (period, counted, unit_id, unit_id),
    )
    out: dict[str, list[float]] = {}
    for r in rows:
        out.setdefault(r["staff_id"], []).append(r["person_score"])
    return out


async def staff_infos(db: Database, unit_id: str | None = None) -> list[StaffInfo]:
    rows = await db.fetch_all(
        "SELECT s.staff_id, s.name, s.unit_id, u.name AS unit_name, s.position, s.active FROM staff s"
        " JOIN units u ON u.unit_id = s.unit_id WHERE (? IS NULL OR s.unit_id = ?) ORDER BY s.staff_id",
        (unit_id, unit_id),
    )
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
