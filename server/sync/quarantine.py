"""Why a decoded revision cannot be used (and so is stored raw in quarantine): pure checks."""

from __future__ import annotations

import msgspec

from checklists.score import ChecklistIndex, answer_problems
from server.sync.revision import RevisionIn


class Problem(msgspec.Struct, kw_only=True, frozen=True):
    """A receipt's `problem`: a stable code, a message and the field path when there is one."""

    code: str
    message: str
    path: str | None = None


class UnitRow(msgspec.Struct, kw_only=True, frozen=True):
    kind: str
    active: bool


def revision_problem(
    revision: RevisionIn,
    index: ChecklistIndex | None,
    unit: UnitRow | None,
    staff_active: dict[str, bool],
) -> Problem | None:
    """The first reason the revision cannot be merged, or None when it can."""
    ref = revision.checklist
    if index is None:
        return Problem(
            code="unknown_checklist_version",
            message=f"checklist {ref.id} version {ref.version} is not published on this server",
            path="checklist",
        )
    if unit is None:
        return Problem(code="unknown_unit", message=f"no unit {revision.unit_id!r}", path="unit_id")
    if not unit.active:
        return Problem(code="inactive_unit", message=f"unit {revision.unit_id!r} is not active", path="unit_id")
    if unit.kind != index.checklist.unit_kind:
        return Problem(
            code="unit_kind_mismatch",
            message=f"checklist {ref.id} is for {index.checklist.unit_kind} units; {revision.unit_id} is a {unit.kind}",
            path="unit_id",
        )
    for i, staff_id in enumerate(revision.staff_ids or ()):
        active = staff_active.get(staff_id)
        if active is None:
            return Problem(code="unknown_staff", message=f"no staff member {staff_id!r}", path=f"staff_ids[{i}]")
        if not active:
            return Problem(
                code="inactive_staff", message=f"staff member {staff_id!r} is not active", path=f"staff_ids[{i}]"
            )
    answers = [(a.item, a.value, a.na) for a in revision.answers]
    problems = answer_problems(index, answers, submitted=revision.state == "submitted")
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Problem(code="invalid_answer", message=first.message + more, path=first.path)
    return None
