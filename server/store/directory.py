"""Units, staff and assignments: their wire types, upserts (one or a whole CSV file), reads and pages."""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
from collections.abc import Callable
from typing import Annotated

import msgspec

from checklists.model import UnitKind
from server.clock import now_iso
from server.db import is_postgres, row_dict
from server.errors import FieldError, ProblemError
from server.store.feed import record_change, record_changes
from server.wire import Body, Name, Slug, UserName, Wire

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90, examples=[43.2389])]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180, examples=[76.8897])]
# How far from its unit a visit's GPS fix may be, in metres (the policy's `geofence_m` when none).
GeofenceM = Annotated[int, msgspec.Meta(ge=10, le=100_000, examples=[150])]
# A time of day, `HH:MM` (24 hours): the window of a planned visit on its day.
TIME_OF_DAY_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$(?!\n)"
TimeOfDay = Annotated[str, msgspec.Meta(pattern=TIME_OF_DAY_PATTERN, examples=["10:00"])]


class UnitLocation(Body):
    """Where a unit is (WGS 84 degrees): both coordinates or no location at all."""

    lat: Latitude
    lon: Longitude


class UnitIn(Body):
    """`PUT /v1/units/{unit_id}`."""

    kind: UnitKind
    name: Name
    region: Name
    active: bool = True
    # A unit without a place (a contact centre) raises no GPS flag; a geofence needs a location
    # (`unit_problems`), or it would be a setting that silently does nothing.
    location: UnitLocation | None = None
    geofence_m: GeofenceM | None = None


class Unit(Wire):
    """A unit as its GET returns it."""

    unit_id: str
    kind: str
    name: str
    region: str
    active: bool
    location: UnitLocation | None
    geofence_m: int | None
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
    # A second scoring of that assignment's event by another auditor (calibration): the same
    # unit and checklist, never itself calibrated (`calibration_problems`).
    calibration_of: Slug | None = None
    # When in the day to go (both or neither, `time_from` before `time_to`): a planned visit's slot.
    time_from: TimeOfDay | None = None
    time_to: TimeOfDay | None = None


class Assignment(Wire):
    """An assignment as its GET returns it."""

    assignment_id: str
    auditor: str
    unit_id: str
    checklist_id: str
    due_from: str
    due_to: str
    active: bool
    calibration_of: str | None
    time_from: str | None
    time_to: str | None
    plan_id: str | None  # the published plan that made it (read-only: set by publishing a plan)
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


UNIT_COLUMNS = "unit_id, kind, name, region, active, lat, lon, geofence_m, updated_at"
STAFF_COLUMNS = "staff_id, name, unit_id, position, active, updated_at"
ASSIGNMENT_COLUMNS = (
    "assignment_id, auditor, unit_id, checklist_id, due_from, due_to, active, calibration_of,"
    " time_from, time_to, plan_id, updated_at"
)


def unit_of(row: sqlite3.Row) -> Unit:
    """A unit row as its wire type."""
    values = row_dict(row)
    lat, lon = values.pop("lat"), values.pop("lon")
    location = UnitLocation(lat=lat, lon=lon) if lat is not None and lon is not None else None
    return Unit(**(values | {"active": bool(row["active"]), "location": location}))


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


def unit_problems(unit: UnitIn, where: str | None = None) -> list[FieldError]:
    """What a unit's body may not say though each field is valid: a geofence without a location."""
    if unit.geofence_m is not None and unit.location is None:
        path = f"{where}.geofence_m" if where else "geofence_m"
        return [FieldError(path=path, message="a geofence needs the unit's location (lat and lon)")]
    return []


def put_units(c: sqlite3.Connection, rows: list[tuple[str, UnitIn]], where: list[str] | None = None) -> None:
    """Create or update units, all in one transaction; 400 `geofence_without_location` for a geofence alone."""
    errors = [e for i, (_, u) in enumerate(rows) for e in unit_problems(u, where[i] if where else None)]
    if errors:
        raise ProblemError(400, "geofence_without_location", "a geofence is given without a location", errors)
    now = now_iso()
    c.executemany(
        "INSERT INTO units (unit_id, kind, name, region, active, lat, lon, geofence_m, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (unit_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
        " region = excluded.region, active = excluded.active, lat = excluded.lat, lon = excluded.lon,"
        " geofence_m = excluded.geofence_m, updated_at = excluded.updated_at",
        [
            (
                key,
                u.kind,
                u.name,
                u.region,
                int(u.active),
                u.location.lat if u.location else None,
                u.location.lon if u.location else None,
                u.geofence_m,
                now,
            )
            for key, u in rows
        ],
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
    c: sqlite3.Connection,
    rows: list[tuple[str, AssignmentIn]],
    where: list[str] | None = None,
    plan_id: str | None = None,
) -> None:
    """Create or update assignments, all in one transaction, after checking every reference.

    422 `unknown_reference` for an auditor, unit or checklist that is not there; then 400 with the
    code of the first of `CALIBRATION_CODES` found for a calibration that cannot be (every problem listed).
    `plan_id` marks them as made by publishing that plan; without it, an assignment keeps the plan it has.
    """
    now = now_iso()
    errors = _assignment_problems(c, rows, where)
    calibration = calibration_problems(c, rows, where)
    if errors:
        errors += [e for _, e in calibration]
        raise ProblemError(422, "unknown_reference", "an assignment cannot be made as given", errors)
    if calibration:
        code = min((code for code, _ in calibration), key=CALIBRATION_CODES.index)
        raise ProblemError(400, code, "an assignment cannot calibrate the one it names", [e for _, e in calibration])
    previous = _existing(c, "assignments", "assignment_id", {key for key, _ in rows}, "auditor")
    c.executemany(
        "INSERT INTO assignments (assignment_id, auditor, unit_id, checklist_id, due_from, due_to, active,"
        " calibration_of, time_from, time_to, plan_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (assignment_id) DO UPDATE SET auditor = excluded.auditor, unit_id = excluded.unit_id,"
        " checklist_id = excluded.checklist_id, due_from = excluded.due_from, due_to = excluded.due_to,"
        " active = excluded.active, calibration_of = excluded.calibration_of, time_from = excluded.time_from,"
        " time_to = excluded.time_to, plan_id = coalesce(excluded.plan_id, assignments.plan_id),"
        " updated_at = excluded.updated_at",
        [
            (
                key,
                a.auditor,
                a.unit_id,
                a.checklist_id,
                a.due_from.isoformat(),
                a.due_to.isoformat(),
                int(a.active),
                a.calibration_of,
                a.time_from,
                a.time_to,
                plan_id,
                now,
            )
            # The originals first: a calibration's reference to one later in the file must find it.
            for key, a in sorted(rows, key=lambda row: row[1].calibration_of is not None)
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
        put_units(c, rows, where)
    elif entity == "staff":
        put_staff(c, rows, where)
    else:
        put_assignments(c, rows, where)


def reference_problems(c: sqlite3.Connection, entity: str, rows: list, where: list[str] | None) -> list[FieldError]:
    """What `put_rows` would refuse in these rows (a unit, auditor or checklist that does not exist, a
    calibration that cannot be, a geofence without a location), read only."""
    if entity == "staff":
        return _staff_problems(c, rows, where)
    if entity == "assignments":
        return _assignment_problems(c, rows, where) + [e for _, e in calibration_problems(c, rows, where)]
    return [e for i, (_, u) in enumerate(rows) for e in unit_problems(u, where[i] if where else None)]


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
        errors += _time_problems(a, lambda field, i=i: _where(where, i, field))
    return errors


def _time_problems(a: AssignmentIn, path: Callable[[str], str]) -> list[FieldError]:
    """A time window is both ends, the first before the second (`HH:MM` compares as text)."""
    if (a.time_from is None) != (a.time_to is None):
        missing = "time_to" if a.time_to is None else "time_from"
        return [FieldError(path=path(missing), message="a time window needs both time_from and time_to")]
    if a.time_from is not None and a.time_to is not None and a.time_from >= a.time_to:
        return [FieldError(path=path("time_to"), message="must be after time_from")]
    return []


# The codes of a calibration that cannot be, the first found answering for all (`put_assignments`).
CALIBRATION_CODES = (
    "unknown_assignment",
    "calibration_self",
    "calibration_chain",
    "calibration_mismatch",
    "calibration_same_auditor",
)


class _Pairing(msgspec.Struct, frozen=True, array_like=True):
    """What a calibration check reads of an assignment, stored or about to be written."""

    auditor: str
    unit_id: str
    checklist_id: str
    calibration_of: str | None


def calibration_problems(
    c: sqlite3.Connection, rows: list[tuple[str, AssignmentIn]], where: list[str] | None = None
) -> list[tuple[str, FieldError]]:
    """(code, problem) for each pairing the rows would leave wrong, read only.

    A calibration scores the same event again by someone else, so it names an assignment (not
    itself) of the same unit and checklist, of another auditor, that is no calibration itself.
    Checked on the directory as it would be after the write: the rows over the stored ones, from
    both ends (a row that changes an assignment that others calibrate must keep them right).
    """
    batch = {key: _Pairing(a.auditor, a.unit_id, a.checklist_id, a.calibration_of) for key, a in rows}
    wanted = {a.calibration_of for _, a in rows if a.calibration_of} - batch.keys()
    stored = {
        r["assignment_id"]: _Pairing(r["auditor"], r["unit_id"], r["checklist_id"], r["calibration_of"])
        for r in stored_rows(c, "assignments", sorted(wanted)).values()
    }
    # Calibrations are a small share of assignments: one read of them all beats a lookup per row.
    calibrators: dict[str, list[tuple[str, _Pairing]]] = {}
    for r in _fetch(
        c,
        "SELECT assignment_id, auditor, unit_id, checklist_id, calibration_of FROM assignments"
        " WHERE calibration_of IS NOT NULL ORDER BY assignment_id",
        [],
    ):
        if r["calibration_of"] in batch and r["assignment_id"] not in batch:
            pairing = _Pairing(r["auditor"], r["unit_id"], r["checklist_id"], r["calibration_of"])
            calibrators.setdefault(r["calibration_of"], []).append((r["assignment_id"], pairing))
    problems: list[tuple[str, FieldError]] = []
    for i, (key, a) in enumerate(rows):

        def problem(code: str, field: str, message: str, i: int = i) -> None:
            problems.append((code, FieldError(path=_where(where, i, field), message=message)))

        target_id = a.calibration_of
        if target_id is not None:
            target = batch[target_id] if target_id in batch else stored.get(target_id)
            if target_id == key:
                problem("calibration_self", "calibration_of", "an assignment cannot calibrate itself")
            elif target is None:
                problem("unknown_assignment", "calibration_of", f"no assignment {target_id!r}")
            else:
                _check_pair(problem, target_id, target, a, outgoing=True)
        for other_id, other in calibrators.get(key, []):
            if target_id is not None:
                problem(
                    "calibration_chain",
                    "calibration_of",
                    f"{other_id!r} calibrates this assignment, so it cannot be a calibration itself",
                )
            _check_pair(problem, other_id, other, a, outgoing=False)
    return problems


def _check_pair(problem: Callable[..., None], other_id: str, other: _Pairing, a: AssignmentIn, outgoing: bool) -> None:
    """The problems of `a` with the assignment it calibrates (`outgoing`) or one that calibrates it."""
    if outgoing and other.calibration_of is not None:
        problem(
            "calibration_chain",
            "calibration_of",
            f"{other_id!r} is itself a calibration of {other.calibration_of!r}: calibrate the original",
        )
    relation = "is for" if outgoing else "calibrates this assignment with"
    if other.checklist_id != a.checklist_id:
        problem("calibration_mismatch", "checklist_id", f"{other_id!r} {relation} checklist {other.checklist_id!r}")
    if other.unit_id != a.unit_id:
        problem("calibration_mismatch", "unit_id", f"{other_id!r} {relation} unit {other.unit_id!r}")
    if other.auditor == a.auditor:
        problem(
            "calibration_same_auditor",
            "auditor",
            f"{other_id!r} has the same auditor: a calibration is scored by another",
        )


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
