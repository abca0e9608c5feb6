"""Review decisions, the append-only audit log, and the review queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from server.clock import now_iso
from server.store.audit import audit
from server.store.sync import rows_in
from server.store.views import ReviewOut, SubmissionDoc, view_documents

QUEUE_STATUSES = ("needs_review", "received", "awaiting_evidence")
ALL_STATUSES = ("draft", "received", "needs_review", "awaiting_evidence", "approved", "rejected")


class Decision(msgspec.Struct, kw_only=True, frozen=True):
    submission_id: str
    decision: str
    comment: str | None
    heads: list[str]
    # The id of the decision this one replaces; required to change the outcome on decided heads.
    supersedes: int | None = None


class DecisionResult(msgspec.Struct, kw_only=True, frozen=True):
    submission_id: str
    status: str
    problem: dict | None = None
    # The decision now in force: the one just recorded, or the same one again for a repeat.
    decision_id: int | None = None


def record_decisions(
    c: sqlite3.Connection, reviewer: str, decisions: list[Decision]
) -> tuple[list[DecisionResult], list[str]]:
    """Record decisions, each bound to the heads the reviewer saw; the rest of a bulk still applies.

    Answers each decision's result and the submissions decided (whose views the caller refreshes
    in the same transaction). The current decision is read and the new one written in the caller's
    write transaction, so of two reviewers deciding the same heads at once the second sees the
    first's decision (409 or a repeat).
    """
    results: list[DecisionResult] = []
    decided: list[str] = []
    ids = [d.submission_id for d in decisions]
    docs = view_documents(c, ids)
    current = latest_reviews(c, ids)
    for d in decisions:
        heads = sorted(h.lower() for h in d.heads)
        in_force = current.get(d.submission_id)
        problem = _decision_problem(docs.get(d.submission_id), d)
        if problem is None and in_force is not None and _repeats(in_force, d, heads):
            results.append(_result(d.submission_id, in_force.decision, in_force.id))
            continue
        problem = problem or _supersede_problem(in_force, d, heads)
        if problem is not None:
            results.append(DecisionResult(submission_id=d.submission_id, status="failed", problem=problem))
            continue
        decided_at = now_iso()
        cursor = c.execute(
            "INSERT INTO reviews (submission_id, decision, comment, heads, reviewer, decided_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                d.submission_id,
                d.decision,
                d.comment,
                msgspec.json.encode(heads).decode("utf-8"),
                reviewer,
                decided_at,
            ),
        )
        decision_id = cursor.lastrowid
        details = {"heads": heads, "comment": d.comment, "decision_id": decision_id}
        if d.supersedes is not None:
            details["supersedes"] = d.supersedes
        audit(c, reviewer, d.decision, "submission", d.submission_id, details)
        # A later item of the same bulk on this submission is checked against this decision.
        current[d.submission_id] = ReviewOut(
            decision=d.decision,
            comment=d.comment,
            heads=heads,
            reviewer=reviewer,
            decided_at=decided_at,
            id=decision_id,
        )
        decided.append(d.submission_id)
        results.append(_result(d.submission_id, d.decision, decision_id))
    return results, list(dict.fromkeys(decided))  # a bulk may decide one submission twice


def latest_reviews(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, ReviewOut]:
    """The latest review decision of each submission that has one."""
    rows = rows_in(
        c,
        "SELECT r.id, r.submission_id, r.decision, r.comment, r.heads, r.reviewer, r.decided_at FROM reviews r"
        " JOIN (SELECT submission_id, max(id) AS id FROM reviews WHERE submission_id IN ({marks})"
        " GROUP BY submission_id) latest ON latest.id = r.id",
        submission_ids,
    )
    return {
        r["submission_id"]: ReviewOut(
            decision=r["decision"],
            comment=r["comment"],
            heads=msgspec.json.decode(r["heads"]),
            reviewer=r["reviewer"],
            decided_at=r["decided_at"],
            id=r["id"],
        )
        for r in rows
    }


def _result(submission_id: str, decision: str, decision_id: int) -> DecisionResult:
    status = "approved" if decision == "approve" else "rejected"
    return DecisionResult(submission_id=submission_id, status=status, decision_id=decision_id)


def _decision_problem(doc: SubmissionDoc | None, d: Decision) -> dict | None:
    if doc is None:
        return {"code": "not_found", "message": "no such submission"}
    if doc.view is None or doc.view.state != "submitted":
        return {"code": "not_submitted", "message": "a draft cannot be reviewed; wait until it is submitted"}
    if sorted(h.lower() for h in d.heads) != sorted(doc.heads):
        return {
            "code": "stale_heads",
            "message": f"the submission changed since you saw it; its heads are now {', '.join(doc.heads)}",
        }
    return None


def _repeats(in_force: ReviewOut, d: Decision, heads: list[str]) -> bool:
    """The same outcome again on the heads it was made on: answered with that decision, not recorded twice."""
    return sorted(in_force.heads) == heads and in_force.decision == d.decision


def _supersede_problem(in_force: ReviewOut | None, d: Decision, heads: list[str]) -> dict | None:
    """Why a decision may not replace the one in force (409), or None when it may."""
    if d.supersedes is None:
        if in_force is None or sorted(in_force.heads) != heads:
            return None
        return {
            "code": "already_decided",
            "message": f"these heads were already decided: {_described(in_force)}; to replace that decision,"
            f' send yours again with "supersedes": {in_force.id}',
            "current_decision_id": in_force.id,
        }
    if in_force is None:
        return {
            "code": "nothing_to_supersede",
            "message": f"the submission has no decision, so decision {d.supersedes} cannot be superseded;"
            " send the decision without supersedes",
        }
    if d.supersedes != in_force.id:
        return {
            "code": "already_decided",
            "message": f"decision {d.supersedes} is not the current one: {_described(in_force)};"
            f' to replace it, send "supersedes": {in_force.id}',
            "current_decision_id": in_force.id,
        }
    return None


def _described(review: ReviewOut) -> str:
    verb = "approved" if review.decision == "approve" else "rejected"
    return f"decision {review.id}, {verb} by {review.reviewer} at {review.decided_at}"


def reasons(doc: SubmissionDoc) -> list[str]:
    """Why a submission is where it is in the queue, in words a quality lead reads."""
    out = []
    review = doc.review
    if review is not None and sorted(review.heads) != doc.heads:
        verb = "approved" if review.decision == "approve" else "rejected"
        out.append(f"changed after it was {verb} on {review.decided_at[:10]}")
    elif review is not None:
        out.append(
            f"{'approved' if review.decision == 'approve' else 'rejected'}"
            + (f": {review.comment}" if review.comment else "")
        )
    if doc.conflicts:
        fields = ", ".join(c.field for c in doc.conflicts[:3]) + (" ..." if len(doc.conflicts) > 3 else "")
        out.append(f"{len(doc.conflicts)} conflicting field(s): {fields}")
    if doc.missing_blobs:
        out.append(f"waiting for {len(doc.missing_blobs)} evidence file(s)")
    if doc.scores and doc.scores.critical_failed:
        out.append("critical item failed: " + ", ".join(doc.scores.critical_failed))
    if doc.flags:
        out.append("flagged: " + ", ".join(doc.flags))
    if doc.pending:
        out.append(f"{len(doc.pending)} revision(s) waiting for their parents")
    if doc.checklist_changed:
        out.append(f"{len(doc.checklist_changed)} revision(s) on another checklist version left out")
    if doc.status == "received" and review is None:
        out.append("submitted, not yet reviewed")
    if doc.status == "draft":
        out.append("draft: not submitted yet")
    return out


class QueueFilter(msgspec.Struct, kw_only=True, frozen=True):
    statuses: tuple[str, ...]
    unit_id: str | None = None
    region: str | None = None
    auditor: str | None = None
    period: str | None = None
    conflicts: bool | None = None
    newest_first: bool = False


def queue(c: sqlite3.Connection, f: QueueFilter, after: str, limit: int) -> list[sqlite3.Row]:
    """A page of submissions matching the filter, oldest first (or newest first)."""
    after_at, _, after_id = after.partition("|")
    op, order = ("<", "DESC") if f.newest_first else (">", "ASC")
    if not after:
        after_at, after_id = ("\uffff", "") if f.newest_first else ("", "")
    marks = ", ".join("?" * len(f.statuses))
    return c.execute(
        "SELECT v.submission_id, v.status, v.unit_id, u.name AS unit_name, u.region, v.auditor, v.period,"
        " v.corrected_start, v.visit_score, v.document, s.created_at"
        " FROM submission_views v JOIN submissions s ON s.submission_id = v.submission_id"
        " LEFT JOIN units u ON u.unit_id = v.unit_id"
        f" WHERE v.status IN ({marks})"
        " AND (? IS NULL OR v.unit_id = ?) AND (? IS NULL OR u.region = ?) AND (? IS NULL OR v.auditor = ?)"
        " AND (? IS NULL OR v.period = ?) AND (? IS NULL OR v.has_conflicts = ?)"
        f" AND (s.created_at, v.submission_id) {op} (?, ?)"
        f" ORDER BY s.created_at {order}, v.submission_id {order} LIMIT ?",
        (
            *f.statuses,
            f.unit_id,
            f.unit_id,
            f.region,
            f.region,
            f.auditor,
            f.auditor,
            f.period,
            f.period,
            None if f.conflicts is None else int(f.conflicts),
            None if f.conflicts is None else int(f.conflicts),
            after_at,
            after_id,
            limit,
        ),
    ).fetchall()
