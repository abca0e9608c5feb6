"""Why a decoded revision cannot be used (and so is stored raw in quarantine): pure checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from checklists.score import ChecklistIndex, answer_problems
from server.clock import RANGE_TEXT, in_range
from server.store.sync import UnitRow
from server.sync.revision import RevisionIn


class Problem(msgspec.Struct, kw_only=True, frozen=True):
    """A receipt's `problem`: a stable code, a message and the field path when there is one."""

    code: str
    message: str
    path: str | None = None


def revision_problem(
    revision: RevisionIn,
    index: ChecklistIndex | None,
    unit: UnitRow | None,
    staff_active: dict[str, bool],
    device_id: str | None,
) -> Problem | None:
    """The first reason the revision cannot be merged, or None when it can.

    `device_id` is the pushing device's (None for a reviewer's correction, see `own_problem`).
    """
    problem = own_problem(revision, device_id)
    if problem is not None:
        return problem
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


def own_problem(revision: RevisionIn, device_id: str | None) -> Problem | None:
    """What is wrong with the revision whatever the server holds: its times, its parents, its hlc.

    A reviewer's correction (`device_id` None) may carry an hlc naming any device: it is made in
    the office, where no device id is sent, so there is nothing to check it against; and the hlc
    only breaks ties between revisions of the same rank, where a reviewer's correction already
    outranks every auditor's revision, so it can only order it among other reviewers' corrections.
    """
    for name in ("started_at", "finished_at"):
        moment = getattr(revision, name)
        if moment is not None and not in_range(moment):
            return Problem(
                code="time_out_of_range",
                message=f"{name} {moment.isoformat()} is outside {RANGE_TEXT}: the device's date or clock is wrong",
                path=name,
            )
    own = revision.rev_id.lower()
    for i, parent in enumerate(revision.parents):
        if parent.lower() == own:
            return Problem(code="parent_cycle", message="the revision names itself as a parent", path=f"parents[{i}]")
    if revision.calibrates is not None and revision.calibrates.lower() == revision.submission_id.lower():
        # A second scoring of its own event measures nothing: the pair needs two submissions.
        return Problem(
            code="calibrates_self", message="the visit names itself as the one it calibrates", path="calibrates"
        )
    if revision.hlc is not None and device_id is not None:
        hlc_device = revision.hlc.split(":", 2)[2]
        if hlc_device.lower() != device_id.lower():
            return Problem(
                code="invalid_hlc",
                message=f"the hlc names device {hlc_device}, not the device that pushed it ({device_id})",
                path="hlc",
            )
    return None


def cycle_problem(rev_id: str, parents: Sequence[str], parents_of: Mapping[str, Sequence[str]]) -> Problem | None:
    """`parent_cycle` when the revision is its own ancestor through stored revisions (`parents_of`).

    Ids are in canonical (lower-case) form. A cycle needs a stored revision that names this one
    as a parent, so it can be closed only by a revision arriving after one of its descendants.
    """
    seen: set[str] = set()
    for parent in parents:
        stack = [parent]
        while stack:
            ancestor = stack.pop()
            if ancestor == rev_id:
                return Problem(
                    code="parent_cycle",
                    message=f"the revision is an ancestor of its own parent {parent}: its parents form a cycle",
                    path="parents",
                )
            if ancestor not in seen:
                seen.add(ancestor)
                stack.extend(parents_of.get(ancestor, ()))
    return None
