"""What the server tells of a submission: its merged view, heads, status, scores and problems.

Pure: the merge result, the checklist version, the recorded clock offsets and the set of stored
blobs in; the document (what `GET /v1/submissions/{id}` and the change feed return) and the
columns of its derived row out. The document's types live with its rows, in `server.store.views`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from zoneinfo import ZoneInfo

import msgspec

from checklists.score import ChecklistIndex, score_visit, shown
from reports.policy import Integrity
from server.clock import iso_utc
from server.integrity.flags import Place, visit_flags
from server.store.views import (
    ChecklistRefOut,
    ConflictOut,
    LosingValue,
    PendingOut,
    ReviewOut,
    Scores,
    StandardOut,
    SubmissionDoc,
    ViewRow,
    VisitView,
)
from server.sync.merge import MergeResult

COUNTED = {"approved": 2, "received": 1, "needs_review": 1, "awaiting_evidence": 1}


def build_document(
    submission_id: str,
    auditor: str,
    result: MergeResult,
    index: ChecklistIndex | None,
    offsets_ms: dict[str, int],
    stored_blobs: set[str],
    tz: ZoneInfo,
    updated_at: str,
    review: ReviewOut | None = None,
    disputed: Collection[str] = frozenset(),
    checks: VisitChecks | None = None,
) -> ViewRow:
    """The document and derived row of one submission.

    `disputed`: items the approved figures leave out while an appeal of them is open (the policy's
    `exclude_disputed`); the derived row's scores (visit, person, standards) count them as N/A, while
    the document's `scores` stay those of the visit as reviewed.
    `checks`: what the integrity flags of the visit alone need (None: integrity is off); its flags
    and those its background check raised send a `received` visit to `needs_review`. The flags are
    never in the document (the auditor's tablet gets it): they are rows of their own.
    """
    view = result.view
    visit_view = msgspec.convert(view, VisitView) if view is not None else None
    evidence = sorted({e for a in (view or {}).get("answers", ()) for e in (a.get("evidence") or ())})
    missing = [e for e in evidence if e not in stored_blobs]
    scores = None
    raw_visit = raw_person = None
    raw_standards: list[tuple[str, float, bool]] = []
    if view is not None and index is not None:
        answers = {a["item"]: (a["value"], a["na"]) for a in view["answers"] if a["item"] in index.items}
        scored = score_visit(index, answers)
        figured = scored
        if disputed:
            figured = score_visit(index, {i: (None, True) if i in disputed else a for i, a in answers.items()})
        raw_visit, raw_person = figured.visit, figured.person
        raw_standards = [(st.code, st.score, st.met) for st in figured.standards]
        scores = Scores(
            visit=shown(scored.visit),
            person=shown(scored.person),
            standards=[
                StandardOut(code=s.code, attribution=s.attribution, score=shown(100 * s.score), met=s.met)
                for s in scored.standards
            ],
            critical_failed=scored.critical_failed,
            flags=scored.flags,
        )
    corrected = period = None
    if view is not None and view.get("started_at"):
        started = dt.datetime.fromisoformat(view["started_at"].replace("Z", "+00:00"))
        offset = offsets_ms.get(result.attribution.get("started_at", ""), 0)
        moment = started + dt.timedelta(milliseconds=offset)
        corrected = iso_utc(moment)
        period = moment.astimezone(tz).strftime("%Y-%m")
    calibrates = (view or {}).get("calibrates")
    flags = []
    if checks is not None:
        # A second scoring is made from the recording or the photos, not on site: no place, no time on site.
        remote = bool(calibrates) or checks.calibration
        minimum = index.checklist.min_duration_s if index and not remote else None
        unit = None if remote else checks.unit
        flags = visit_flags(view, unit, minimum, list(offsets_ms.values()), checks.rules)
    flagged = bool(flags) or (checks is not None and checks.flagged)
    status = _status(view, missing, bool(result.conflicts) or flagged, review, result.heads)
    doc = SubmissionDoc(
        submission_id=submission_id,
        auditor=auditor,
        status=status,
        checklist=ChecklistRefOut(id=view["checklist"]["id"], version=result.version) if view else None,
        view=visit_view,
        heads=result.heads,
        scores=scores,
        conflicts=[
            ConflictOut(
                field=c.field,
                value=msgspec.Raw(msgspec.json.encode(c.value)),
                rev_id=c.rev_id,
                losing=[
                    LosingValue(value=msgspec.Raw(msgspec.json.encode(v["value"])), rev_id=v["rev_id"])
                    for v in c.losing
                ],
            )
            for c in result.conflicts
        ],
        flags=scores.flags if scores else [],
        pending=[PendingOut(rev_id=r, missing_parents=m) for r, m in sorted(result.pending.items())],
        checklist_changed=result.checklist_changed,
        missing_blobs=missing,
        period=period,
        corrected_start=corrected,
        review=review,
        updated_at=updated_at,
    )
    return ViewRow(
        doc=doc,
        visit_score=raw_visit,
        person_score=raw_person,
        evidence=evidence,
        counted=COUNTED.get(status, 0) if period and not calibrates and not (checks and checks.calibration) else 0,
        standards=raw_standards,
        integrity=flags,
        calibrates=calibrates,
        check=checks is not None and view is not None and view.get("state") == "submitted",
    )


class VisitChecks(msgspec.Struct, kw_only=True, frozen=True):
    """What a view's integrity needs besides the merge: its unit's place, the policy's thresholds,
    whether a background check flagged it, and whether its assignment is a calibration (a second
    scoring, never counted in the figures)."""

    rules: Integrity
    unit: Place | None = None
    flagged: bool = False
    calibration: bool = False


def _status(view: dict | None, missing: list[str], questioned: bool, review: ReviewOut | None, heads: list[str]) -> str:
    """Status by precedence (API.md): draft, rejected/approved, awaiting_evidence, needs_review, received.

    `questioned`: the merge left conflicts, or an integrity flag questions the visit."""
    if view is None or view.get("state") != "submitted":
        return "draft"
    if review is not None and sorted(review.heads) == heads:
        return "approved" if review.decision == "approve" else "rejected"
    if missing:
        return "awaiting_evidence"
    if questioned or review is not None:
        return "needs_review"
    return "received"
