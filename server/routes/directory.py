"""The org directory: units, staff, assignments (admin writes; quality leads read; HR reads units and staff)."""

from __future__ import annotations

import re
from typing import TypeVar

from litestar import get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, SkipValidation

from server.auth import roles
from server.db import Database
from server.errors import FieldError, ProblemError, not_found, problems
from server.routes.params import CursorParam, LimitParam
from server.store import directory as store
from server.store.directory import (
    Assignment,
    AssignmentIn,
    AssignmentPage,
    Staff,
    StaffIn,
    StaffPage,
    Unit,
    UnitIn,
    UnitPage,
)
from server.wire import decode_cursor, next_cursor, strict_body

READERS = roles("admin", "quality_lead", "hr")
# Assignments say which mystery shopper visits which unit and when: not for HR (whose outputs
# never name a shopper) or anyone a branch could hear it from. Auditors get their own by pull.
ASSIGNMENT_READERS = roles("admin", "quality_lead")
WRITE_ERRORS = problems(400, 401, 403, 404, 413, 422)
READ_ERRORS = problems(400, 401, 403, 404)


def _key(value: str, what: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", value):
        raise not_found(what)
    return value


@put("/v1/units/{unit_id:str}", opt=roles("admin"), responses=WRITE_ERRORS, tags=["directory"])
async def put_unit(
    db: NamedDependency[Database], unit_id: FromPath[str], data: JSONBody[SkipValidation[UnitIn]]
) -> Unit:
    """Create or update a unit; its `location` is both `lat` and `lon` or none, and a `geofence_m` needs one."""
    data = _body(data, UnitIn)
    key = _key(unit_id, "unit")
    await db.write(store.put_units, [(key, data)])
    return await _found(db.read(store.get_unit, key), "unit")


@get("/v1/units/{unit_id:str}", opt=READERS, responses=READ_ERRORS, tags=["directory"])
async def get_unit(db: NamedDependency[Database], unit_id: FromPath[str]) -> Unit:
    """One unit."""
    return await _found(db.read(store.get_unit, unit_id), "unit")


@get("/v1/units", opt=READERS, responses=problems(400, 401, 403), tags=["directory"])
async def list_units(
    db: NamedDependency[Database],
    limit: LimitParam = 100,
    cursor: CursorParam = None,
    kind: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
) -> UnitPage:
    """Units in id order, optionally of one kind or region."""
    rows = await db.read(store.list_units, decode_cursor(cursor), limit, kind, region)
    return UnitPage(items=[store.unit_of(r) for r in rows], next_cursor=next_cursor(rows, limit, "unit_id"))


@put("/v1/staff/{staff_id:str}", opt=roles("admin"), responses=WRITE_ERRORS, tags=["directory"])
async def put_staff(
    db: NamedDependency[Database], staff_id: FromPath[str], data: JSONBody[SkipValidation[StaffIn]]
) -> Staff:
    """Create or update a staff member; a new `unit_id` is a move."""
    data = _body(data, StaffIn)
    key = _key(staff_id, "staff member")
    await db.write(store.put_staff, [(key, data)])
    return await _found(db.read(store.get_staff, key), "staff member")


@get("/v1/staff/{staff_id:str}", opt=READERS, responses=READ_ERRORS, tags=["directory"])
async def get_staff(db: NamedDependency[Database], staff_id: FromPath[str]) -> Staff:
    """One staff member."""
    return await _found(db.read(store.get_staff, staff_id), "staff member")


@get("/v1/staff", opt=READERS, responses=problems(400, 401, 403), tags=["directory"])
async def list_staff(
    db: NamedDependency[Database],
    limit: LimitParam = 100,
    cursor: CursorParam = None,
    unit_id: FromQuery[str | None] = None,
) -> StaffPage:
    """Staff in id order, optionally of one unit."""
    rows = await db.read(store.list_staff, decode_cursor(cursor), limit, unit_id)
    return StaffPage(items=[store.staff_of(r) for r in rows], next_cursor=next_cursor(rows, limit, "staff_id"))


@put("/v1/assignments/{assignment_id:str}", opt=roles("admin"), responses=WRITE_ERRORS, tags=["directory"])
async def put_assignment(
    db: NamedDependency[Database], assignment_id: FromPath[str], data: JSONBody[SkipValidation[AssignmentIn]]
) -> Assignment:
    """Create or update an assignment: an auditor, a unit, a checklist and the dates to do it.

    A `calibration_of` names the assignment whose event this one scores again: 400
    `unknown_assignment`, `calibration_self`, `calibration_chain`, `calibration_mismatch` (another
    unit or checklist) or `calibration_same_auditor` when it cannot be.
    """
    data = _body(data, AssignmentIn)
    key = _key(assignment_id, "assignment")
    await db.write(store.put_assignments, [(key, data)])
    return await _found(db.read(store.get_assignment, key), "assignment")


@get("/v1/assignments/{assignment_id:str}", opt=ASSIGNMENT_READERS, responses=READ_ERRORS, tags=["directory"])
async def get_assignment(db: NamedDependency[Database], assignment_id: FromPath[str]) -> Assignment:
    """One assignment."""
    return await _found(db.read(store.get_assignment, assignment_id), "assignment")


@get("/v1/assignments", opt=ASSIGNMENT_READERS, responses=problems(400, 401, 403), tags=["directory"])
async def list_assignments(
    db: NamedDependency[Database],
    limit: LimitParam = 100,
    cursor: CursorParam = None,
    auditor: FromQuery[str | None] = None,
) -> AssignmentPage:
    """Assignments in id order, optionally of one auditor."""
    rows = await db.read(store.list_assignments, decode_cursor(cursor), limit, auditor)
    return AssignmentPage(
        items=[store.assignment_of(r) for r in rows], next_cursor=next_cursor(rows, limit, "assignment_id")
    )


_MISSING = re.compile(r"missing required field `([^`]+)`")


T = TypeVar("T")


def _body(data: object, body_type: type[T]) -> T:
    """`strict_body`, with a missing field's own path (`location.lon`, not `location`; `kind`, not the body)."""
    try:
        return strict_body(data, body_type)
    except ProblemError as exc:
        exc.errors = [_missing_path(e) for e in exc.errors or []] or exc.errors
        raise


def _missing_path(error: FieldError) -> FieldError:
    missing = _MISSING.search(error.message)
    if missing is None:
        return error
    path = f"{error.path}.{missing.group(1)}" if error.path else missing.group(1)
    return FieldError(path=path, message=error.message)


async def _found(awaitable, what: str):
    obj = await awaitable
    if obj is None:
        raise not_found(what)
    return obj


ROUTES = [
    put_unit,
    get_unit,
    list_units,
    put_staff,
    get_staff,
    list_staff,
    put_assignment,
    get_assignment,
    list_assignments,
]
