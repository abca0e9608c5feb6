"""Units, staff and assignments: their wire types, upserts (one or a whole CSV file), reads and pages."""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata

from checklists.model import UnitKind
from server.clock import now_iso
from server.db import is_postgres, row_dict
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


def get_unit(c: sqlite3.Connection, unit_id: str) -> Unit | None:
    row = c.execute(f"SELECT {UNIT_COLUMNS} FROM units WHERE unit_id = ?", (unit_id,)).fetchone()
    return unit_of(row) if row else None


def get_staff(c: sqlite3.Connection, staff_id: str) -> Staff | None:
    row = c.execute(f"SELECT {STAFF_COLUMNS} FROM staff WHERE staff_id = ?", (staff_id,)).fetchone()
    return staff_of(row) if row else None


def get_assignment(c: sqlite3.Connection, assignment_id: str) -> Assignment | None:
    row = c.execute(
        f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE assignment_id = ?", (assignment_id,)
    ).fetchone()
    return assignment_of(row) if row else None


def fold(text: str) -> str:
    """Text as a search compares it: NFC, then case-folded (SQLite's own LOWER folds ASCII only)."""
    return unicodedata.normalize("NFC", text).casefold()


def _search(c: sqlite3.Connection, match: str | None, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """The SQL condition (and its parameters) of a search for `match` in any of `columns`, folded."""
    if match is None:
        return "", []
    needle = fold(match)
    if is_postgres(c):
        # PostgreSQL's `lower` folds every script by the database's LC_CTYPE (a UTF-8 one); it
        # differs from `casefold` only on a few letters no name here uses (ß, final sigma).
        either = " OR ".join(f"strpos(lower(normalize({col}, NFC)), ?) > 0" for col in columns)
    else:
        c.create_function("tekseru_fold", 1, fold, deterministic=True)
        either = " OR ".join(f"instr(tekseru_fold({col}), ?) > 0" for col in columns)
    return f" AND ({either})", [needle] * len(columns)


def list_units(
    c: sqlite3.Connection,
    after: str,
    limit: int,
    kind: str | None,
    region: str | None,
    match: str | None = None,
) -> list[sqlite3.Row]:
    """A page of units in id order; `match` finds text in the id or the name, whatever its case."""
    search, words = _search(c, match, ("unit_id", "name"))
    return c.execute(
        f"SELECT {UNIT_COLUMNS} FROM units WHERE unit_id > ?"
        f" AND (? IS NULL OR kind = ?) AND (? IS NULL OR region = ?){search} ORDER BY unit_id LIMIT ?",
        (after, kind, kind, region, region, *words, limit),
    ).fetchall()


def list_staff(
    c: sqlite3.Connection, after: str, limit: int, unit_id: str | None, match: str | None = None
) -> list[sqlite3.Row]:
    """A page of staff in id order; `match` finds text in the id or the name, whatever its case."""
    search, words = _search(c, match, ("staff_id", "name"))
    return c.execute(
        f"SELECT {STAFF_COLUMNS} FROM staff WHERE staff_id > ? AND (? IS NULL OR unit_id = ?){search}"
        " ORDER BY staff_id LIMIT ?",
        (after, unit_id, unit_id, *words, limit),
    ).fetchall()


def list_assignments(
    c: sqlite3.Connection,
    after: str,
    limit: int,
    auditor: str | None,
    match: str | None = None,
    unit_id: str | None = None,
    due_within: tuple[str, str] | None = None,
) -> list[sqlite3.Row]:
    """A page of assignments in id order; `match` finds text in the id, the auditor or the unit id,
    `due_within` (first, last day) keeps those whose dates overlap it."""
    search, words = _search(c, match, ("assignment_id", "auditor", "unit_id"))
    first, last = due_within or (None, None)
    return c.execute(
        f"SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE assignment_id > ?"
        f" AND (? IS NULL OR auditor = ?) AND (? IS NULL OR unit_id = ?){search}"
        " AND (? IS NULL OR (due_from <= ? AND due_to >= ?)) ORDER BY assignment_id LIMIT ?",
        (after, auditor, auditor, unit_id, unit_id, *words, first, last, first, limit),
    ).fetchall()


def unit_regions(c: sqlite3.Connection) -> list[str]:
    """Every region a unit is in, sorted."""
    return [r[0] for r in c.execute("SELECT DISTINCT region FROM units ORDER BY region").fetchall()]


def unit_names(c: sqlite3.Connection, unit_ids: set[str]) -> dict[str, str]:
    """The names of the units among `unit_ids` that exist."""
    return {key: str(name) for key, name in _existing(c, "units", "unit_id", unit_ids, "name").items()}


def put_units(c: sqlite3.Connection, rows: list[tuple[str, UnitIn]]) -> None:
    """Create or update units, all in one transaction."""
    now = now_iso()
    c.executemany(
        "INSERT INTO units (unit_id, kind, name, region, active, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (unit_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
        " region = excluded.region, active = excluded.active, updated_at = excluded.updated_at",
        [(key, u.kind, u.name, u.region, int(u.active), now) for key, u in rows],
    )
    record_changes(c, "unit", [key for key, _ in rows])


def put_staff(c: sqlite3.Connection, rows: list[tuple[str, StaffIn]], where: list[str] | None = None) -> None:
    """Create or update staff, all in one transaction; every unit must exist (422 otherwise)."""
    now = now_iso()
    errors = _staff_problems(c, rows, where)
    if errors:
        raise ProblemError(422, "unknown_reference", "a staff member names a unit that does not exist", errors)
    c.executemany(
        "INSERT INTO staff (staff_id, name, unit_id, position, active, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id,"
        " position = excluded.position, active = excluded.active, updated_at = excluded.updated_at",
        [(key, s.name, s.unit_id, s.position, int(s.active), now) for key, s in rows],
    )
    record_changes(c, "staff", [key for key, _ in rows])


def put_assignments(
    c: sqlite3.Connection, rows: list[tuple[str, AssignmentIn]], where: list[str] | None = None
) -> None:
    """Create or update assignments, all in one transaction, after checking every reference."""
    now = now_iso()
    errors = _assignment_problems(c, rows, where)
    if errors:
        raise ProblemError(422, "unknown_reference", "an assignment cannot be made as given", errors)
    previous = _existing(c, "assignments", "assignment_id", {key for key, _ in rows}, "auditor")
    c.executemany(
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
            record_change(c, "assignment", key, "delete", audience=old)
        record_change(c, "assignment", key, "upsert", audience=a.auditor)


def _staff_problems(
    c: sqlite3.Connection, rows: list[tuple[str, StaffIn]], where: list[str] | None
) -> list[FieldError]:
    known = _existing(c, "units", "unit_id", {s.unit_id for _, s in rows})
    return [
        FieldError(path=_where(where, i, "unit_id"), message=f"no unit {s.unit_id!r}")
        for i, (_, s) in enumerate(rows)
        if s.unit_id not in known
    ]


def put_rows(c: sqlite3.Connection, entity: str, rows: list, where: list[str] | None) -> None:
    """Create or update the rows of a CSV import of `entity` (units, staff, assignments), all or none."""
    if entity == "units":
        put_units(c, rows)
    elif entity == "staff":
        put_staff(c, rows, where)
    else:
        put_assignments(c, rows, where)


def reference_problems(c: sqlite3.Connection, entity: str, rows: list, where: list[str] | None) -> list[FieldError]:
    """What `put_rows` would refuse in these rows (a unit, auditor or checklist that does not exist), read only."""
    if entity == "staff":
        return _staff_problems(c, rows, where)
    if entity == "assignments":
        return _assignment_problems(c, rows, where)
    return []


_ENTITY_TABLES = {
    "units": ("units", "unit_id", UNIT_COLUMNS),
    "staff": ("staff", "staff_id", STAFF_COLUMNS),
    "assignments": ("assignments", "assignment_id", ASSIGNMENT_COLUMNS),
}


def stored_rows(c: sqlite3.Connection, entity: str, keys: list[str]) -> dict[str, sqlite3.Row]:
    """The stored rows of `entity` among `keys` (chunked under SQLite's parameter limit)."""
    table, column, columns = _ENTITY_TABLES[entity]
    found: dict[str, sqlite3.Row] = {}
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        sql = f"SELECT {columns} FROM {table} WHERE {column} IN ({_marks(len(chunk))})"
        found.update((r[column], r) for r in _fetch(c, sql, chunk))
    return found


def _assignment_problems(
    c: sqlite3.Connection, rows: list[tuple[str, AssignmentIn]], where: list[str] | None
) -> list[FieldError]:
    auditors = {r["name"] for r in _fetch(c, "SELECT name FROM users WHERE role = 'auditor'", [])}
    units = {r["unit_id"]: r["kind"] for r in _fetch(c, "SELECT unit_id, kind FROM units", [])}
    checklists: dict[str, set[str]] = {}
    for r in _fetch(c, "SELECT checklist_id, unit_kind, retired_at FROM checklist_versions", []):
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


def _existing(
    c: sqlite3.Connection, table: str, column: str, keys: set[str], value: str | None = None
) -> dict[str, object]:
    """The keys that exist in `table` (chunked under SQLite's parameter limit), with `value`."""
    found: dict[str, object] = {}
    keys_list = sorted(keys)
    for start in range(0, len(keys_list), 500):
        chunk = keys_list[start : start + 500]
        sql = f"SELECT {column}, {value or column} FROM {table} WHERE {column} IN ({_marks(len(chunk))})"
        found.update((r[0], r[1]) for r in _fetch(c, sql, chunk))
    return found


def _fetch(c: sqlite3.Connection, sql: str, params: list) -> list[sqlite3.Row]:
    return c.execute(sql, params).fetchall()
