"""Units, staff and assignments: their wire types, upserts (one or a whole CSV file), reads and pages."""

from __future__ import annotations

import datetime as dt
import sqlite3

import aiosqlite

from checklists.model import UnitKind
from server.clock import now_iso
from server.db import Database, row_dict
from server.errors import FieldError, ProblemError
from server.store.feed import record_change, record_changes
from server.wire import Body, Name, Slug, UserName, Wire


class UnitIn(Body):
    """`PUT /v1/units/{unit_id}`."""

    kind: UnitKind
    name: Name
    region: Name
    active: bool = True


class Unit(Wire):
    """A unit as its GET returns it."""

    unit_id: str
    kind: str
    name: str
    region: str
    active: bool
    updated_at: str


class StaffIn(Body):
    """`PUT /v1/staff/{staff_id}`."""

    name: Name
    unit_id: Slug
    position: Name | None = None
    active: bool = True


class Staff(Wire):
    """A staff member as its GET returns it."""

    staff_id: str
    name: str
    unit_id: str
    position: str | None
    active: bool
    updated_at: str


class AssignmentIn(Body):
    """`PUT /v1/assignments/{assignment_id}`."""

    auditor: UserName
    unit_id: Slug
    checklist_id: Slug
    due_from: dt.date
    due_to: dt.date
    active: bool = True


class Assignment(Wire):
    """An assignment as its GET returns it."""

    assignment_id: str
    auditor: str
    unit_id: str
    checklist_id: str
    due_from: str
    due_to: str
    active: bool
    updated_at: str


class UnitPage(Wire):
    items: list[Unit]
    next_cursor: str | None


class StaffPage(Wire):
    items: list[Staff]
    next_cursor: str | None


class AssignmentPage(Wire):
    items: list[Assignment]
    next_cursor: str | None


UNIT_COLUMNS = "unit_id, kind, name, region, active, updated_at"
STAFF_COLUMNS = "staff_id, name, unit_id, position, active, updated_at"
ASSIGNMENT_COLUMNS = "assignment_id, auditor, unit_id, checklist_id, due_from, due_to, active, updated_at"


def unit_of(row: sqlite3.Row) -> Unit:
    """A unit row as its wire type."""
    return Unit(**(row_dict(row) | {"active": bool(row["active"])}))


def staff_of(row: sqlite3.Row) -> Staff:
    """A staff row as its wire type."""
    return Staff(**(row_dict(row) | {"active": bool(row["active"])}))


def assignment_of(row: sqlite3.Row) -> Assignment:
    """An assignment row as its wire type."""
    return Assignment(**(row_dict(row) | {"active": bool(row["active"])}))


async def get_unit(db: Database, unit_id: str) -> Unit | None:
    row = await db.fetch_one(f"SELECT {UNIT_COLUMNS} FROM units WHERE unit_id = ?", (unit_id,))
    return unit_of(row) if row else None


async def get_staff(db: Database, staff_id: str) -> Staff | None:
    row = await db.fetch_one(f"SELECT {STAFF_COLUMNS} FROM staff WHERE staff_id = ?", (staff_id,))
    return staff_of(row) if row else None


async def get_assignment(db: Database, assignment_id: str) -> Assignment | None:
    row = await db.fetch_one(f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE assignment_id = ?", (assignment_id,))
    return assignment_of(row) if row else None


async def list_units(db: Database, after: str, limit: int, kind: str | None, region: str | None) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT {UNIT_COLUMNS} FROM units WHERE unit_id > ?"
        " AND (? IS NULL OR kind = ?) AND (? IS NULL OR region = ?) ORDER BY unit_id LIMIT ?",
        (after, kind, kind, region, region, limit),
    )


async def list_staff(db: Database, after: str, limit: int, unit_id: str | None) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT {STAFF_COLUMNS} FROM staff WHERE staff_id > ? AND (? IS NULL OR unit_id = ?)"
        " ORDER BY staff_id LIMIT ?",
        (after, unit_id, unit_id, limit),
    )


async def list_assignments(db: Database, after: str, limit: int, auditor: str | None) -> list[sqlite3.Row]:
    return await db.fetch_all(
        f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE assignment_id > ?"
        " AND (? IS NULL OR auditor = ?) ORDER BY assignment_id LIMIT ?",
        (after, auditor, auditor, limit),
    )


async def put_units(db: Database, rows: list[tuple[str, UnitIn]]) -> None:
    """Create or update units, all in one transaction."""
    now = now_iso()
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO units (unit_id, kind, name, region, active, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (unit_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
            " region = excluded.region, active = excluded.active, updated_at = excluded.updated_at",
            [(key, u.kind, u.name, u.region, int(u.active), now) for key, u in rows],
        )
        await record_changes(conn, "unit", [key for key, _ in rows])


async def put_staff(db: Database, rows: list[tuple[str, StaffIn]], where: list[str] | None = None) -> None:
    """Create or update staff, all in one transaction; every unit must exist (422 otherwise)."""
    now = now_iso()
    async with db.transaction() as conn:
        known = await _existing(conn, "units", "unit_id", {s.unit_id for _, s in rows})
        errors = [
            FieldError(path=_where(where, i, "unit_id"), message=f"no unit {s.unit_id!r}")
            for i, (_, s) in enumerate(rows)
            if s.unit_id not in known
        ]
        if errors:
            raise ProblemError(422, "unknown_reference", "a staff member names a unit that does not exist", errors)
        await conn.executemany(
            "INSERT INTO staff (staff_id, name, unit_id, position, active, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id,"
            " position = excluded.position, active = excluded.active, updated_at = excluded.updated_at",
            [(key, s.name, s.unit_id, s.position, int(s.active), now) for key, s in rows],
        )
        await record_changes(conn, "staff", [key for key, _ in rows])


async def put_assignments(db: Database, rows: list[tuple[str, AssignmentIn]], where: list[str] | None = None) -> None:
    """Create or update assignments, all in one transaction, after checking every reference."""
    now = now_iso()
    async with db.transaction() as conn:
        errors = await _assignment_problems(conn, rows, where)
        if errors:
            raise ProblemError(422, "unknown_reference", "an assignment cannot be made as given", errors)
        previous = await _existing(conn, "assignments", "assignment_id", {key for key, _ in rows}, "auditor")
        await conn.executemany(
            "INSERT INTO assignments (assignment_id, auditor, unit_id, checklist_id, due_from, due_to, active,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (assignment_id) DO UPDATE SET auditor = excluded.auditor, unit_id = excluded.unit_id,"
            " checklist_id = excluded.checklist_id, due_from = excluded.due_from, due_to = excluded.due_to,"
            " active = excluded.active, updated_at = excluded.updated_at",
            [
                (
                    key,
                    a.auditor,
                    a.unit_id,
                    a.checklist_id,
                    a.due_from.isoformat(),
                    a.due_to.isoformat(),
                    int(a.active),
                    now,
                )
                for key, a in rows
            ],
        )
        for key, a in rows:
            old = previous.get(key)
            if old is not None and old != a.auditor:
                # Taken away from one auditor: that tablet gets a delete, the new one the upsert.
                await record_change(conn, "assignment", key, "delete", audience=old)
            await record_change(conn, "assignment", key, "upsert", audience=a.auditor)


async def _assignment_problems(
    conn: aiosqlite.Connection, rows: list[tuple[str, AssignmentIn]], where: list[str] | None
) -> list[FieldError]:
    auditors = {r["name"] for r in await _fetch(conn, "SELECT name FROM users WHERE role = 'auditor'", [])}
    units = {r["unit_id"]: r["kind"] for r in await _fetch(conn, "SELECT unit_id, kind FROM units", [])}
    checklists: dict[str, set[str]] = {}
    for r in await _fetch(conn, "SELECT checklist_id, unit_kind, retired_at FROM checklist_versions", []):
        if r["retired_at"] is None:
            checklists.setdefault(r["checklist_id"], set()).add(r["unit_kind"])
    errors = []
    for i, (_, a) in enumerate(rows):
        if a.auditor not in auditors:
            errors.append(FieldError(path=_where(where, i, "auditor"), message=f"no auditor named {a.auditor!r}"))
        kind = units.get(a.unit_id)
        if kind is None:
            errors.append(FieldError(path=_where(where, i, "unit_id"), message=f"no unit {a.unit_id!r}"))
        kinds = checklists.get(a.checklist_id)
        if kinds is None:
            errors.append(
                FieldError(
                    path=_where(where, i, "checklist_id"),
                    message=f"no published, unretired checklist {a.checklist_id!r}",
                )
            )
        elif kind is not None and kind not in kinds:
            errors.append(
                FieldError(
                    path=_where(where, i, "checklist_id"),
                    message=f"checklist {a.checklist_id!r} is not for {kind} units",
                )
            )
        if a.due_from > a.due_to:
            errors.append(FieldError(path=_where(where, i, "due_to"), message="must not be before due_from"))
    return errors


def _where(where: list[str] | None, i: int, field: str) -> str:
    return f"{where[i]}.{field}" if where else field


def _marks(n: int) -> str:
    return ", ".join("?" * max(n, 1))


async def _existing(
    conn: aiosqlite.Connection, table: str, column: str, keys: set[str], value: str | None = None
) -> dict[str, object]:
    """The keys that exist in `table` (chunked under SQLite's parameter limit), with `value`."""
    found: dict[str, object] = {}
    keys_list = sorted(keys)
    for start in range(0, len(keys_list), 500):
        chunk = keys_list[start : start + 500]
        sql = f"SELECT {column}, {value or column} FROM {table} WHERE {column} IN ({_marks(len(chunk))})"
        found.update((r[0], r[1]) for r in await _fetch(conn, sql, chunk))
    return found


async def _fetch(conn: aiosqlite.Connection, sql: str, params: list) -> list[sqlite3.Row]:
    async with conn.execute(sql, params) as cursor:
        return list(await cursor.fetchall())
