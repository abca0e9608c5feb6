"""Review decisions, the append-only audit log, and the review queue."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

import msgspec

from reports.i18n import text
from server.clock import now_iso
from server.db import is_postgres
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
    # The appeal whose decision this approval records (`server.appeals`).
    appeal_id: str | None = None


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
            "INSERT INTO reviews (submission_id, decision, comment, heads, reviewer, decided_at, appeal_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                d.submission_id,
                d.decision,
                d.comment,
                msgspec.json.encode(heads).decode("utf-8"),
                reviewer,
                decided_at,
                d.appeal_id,
            ),
        )
        decision_id = cursor.fetchone()[0]
        details = {"heads": heads, "comment": d.comment, "decision_id": decision_id}
        if d.supersedes is not None:
            details["supersedes"] = d.supersedes
        if d.appeal_id is not None:
            details["appeal_id"] = d.appeal_id
        audit(c, reviewer, d.decision, "submission", d.submission_id, details)
        # A later item of the same bulk on this submission is checked against this decision.
        current[d.submission_id] = ReviewOut(
            decision=d.decision,
            comment=d.comment,
            heads=heads,
            reviewer=reviewer,
            decided_at=decided_at,
            id=decision_id,
            appeal_id=d.appeal_id,
        )
        decided.append(d.submission_id)
        results.append(_result(d.submission_id, d.decision, decision_id))
    return results, list(dict.fromkeys(decided))  # a bulk may decide one submission twice


def latest_reviews(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, ReviewOut]:
    """The latest review decision of each submission that has one."""
    rows = rows_in(
        c,
        "SELECT r.id, r.submission_id, r.decision, r.comment, r.heads, r.reviewer, r.decided_at, r.appeal_id"
        " FROM reviews r"
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
            appeal_id=r["appeal_id"],
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


def reasons(doc: SubmissionDoc, lang: str = "en", flags: Sequence[str] = ()) -> list[str]:
    """Why a submission is where it is in the queue, in words a quality lead reads (the API's are English)."""
    return [text(f"review.reason.{key}", lang, **fields) for key, fields in reason_keys(doc, flags)]


def reason_keys(doc: SubmissionDoc, flags: Sequence[str] = ()) -> list[tuple[str, dict[str, object]]]:
    """The reasons as catalogue keys (`review.reason.<key>`) and their fields: one rule, read in any language.

    `flags`: the codes of the visit's integrity flags (given only to those who may see them)."""
    out: list[tuple[str, dict[str, object]]] = []
    review = doc.review
    if review is not None and sorted(review.heads) != doc.heads:
        out.append((f"changed_after_{review.decision}", {"day": review.decided_at[:10]}))
    elif review is not None:
        if review.comment:
            out.append((f"decided_{review.decision}_comment", {"comment": review.comment}))
        else:
            out.append((f"decided_{review.decision}", {}))
    if doc.conflicts:
        fields = ", ".join(c.field for c in doc.conflicts[:3]) + (" ..." if len(doc.conflicts) > 3 else "")
        out.append(("conflicts", {"n": len(doc.conflicts), "fields": fields}))
    if doc.missing_blobs:
        out.append(("missing_evidence", {"n": len(doc.missing_blobs)}))
    if doc.scores and doc.scores.critical_failed:
        out.append(("critical_failed", {"items": ", ".join(doc.scores.critical_failed)}))
    if doc.flags:
        out.append(("flagged", {"flags": ", ".join(doc.flags)}))
    if flags:
        out.append(("integrity", {"flags": ", ".join(dict.fromkeys(flags))}))
    if doc.pending:
        out.append(("pending", {"n": len(doc.pending)}))
    if doc.checklist_changed:
        out.append(("checklist_changed", {"n": len(doc.checklist_changed)}))
    if doc.status == "received" and review is None:
        out.append(("unreviewed", {}))
    if doc.status == "draft":
        out.append(("draft", {}))
    return out


class QueueFilter(msgspec.Struct, kw_only=True, frozen=True):
    """What the queue shows: statuses and filters (None: not filtered on)."""

    statuses: tuple[str, ...]
    unit_id: str | None = None
    region: str | None = None
    auditor: str | None = None
    period: str | None = None
    conflicts: bool | None = None
    unit_kind: str | None = None
    checklist_id: str | None = None
    critical: bool | None = None
    # An integrity flag's code, or `any`: visits that hold such a flag.
    flag: str | None = None
    newest_first: bool = False


def _filtered(f: QueueFilter, statuses: bool = True) -> tuple[str, list]:
    """The WHERE clause of the filters on `submission_views v`, and its parameters.

    Only the filters given become terms, so the planner sees each query as it is (no `? IS NULL OR`
    terms, which hide which index fits). A unit's kind and region are asked of `units` once, as the
    set of its unit ids, so every term reads a column of the queue's index.
    """
    terms: list[str] = []
    params: list = []
    if statuses:
        terms.append(f"v.status IN ({', '.join('?' * len(f.statuses))})")
        params += f.statuses
    for column, value in (
        ("v.unit_id", f.unit_id),
        ("v.auditor", f.auditor),
        ("v.period", f.period),
        ("v.checklist_id", f.checklist_id),
    ):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    for column, flag in (("v.has_conflicts", f.conflicts), ("v.critical_failed", f.critical)):
        if flag is not None:
            terms.append(f"{column} = ?")
            params.append(int(flag))
    if f.flag is not None:
        code = "" if f.flag == "any" else " AND f.code = ?"
        terms.append(f"EXISTS (SELECT 1 FROM integrity_flags f WHERE f.submission_id = v.submission_id{code})")
        params += [] if f.flag == "any" else [f.flag]
    if f.region is not None or f.unit_kind is not None:
        unit_terms = [t for t, v in (("region = ?", f.region), ("kind = ?", f.unit_kind)) if v is not None]
        terms.append(f"v.unit_id IN (SELECT unit_id FROM units WHERE {' AND '.join(unit_terms)})")
        params += [v for v in (f.region, f.unit_kind) if v is not None]
    return " AND ".join(terms) or "TRUE", params


def queue(c: sqlite3.Connection, f: QueueFilter, after: str, limit: int) -> list[sqlite3.Row]:
    """A page of submissions matching the filter, oldest first (or newest first) by arrival (the API's queue)."""
    after_at, _, after_id = after.partition("|")
    op, order = ("<", "DESC") if f.newest_first else (">", "ASC")
    if not after:
        after_at, after_id = ("\uffff", "") if f.newest_first else ("", "")
    where, params = _filtered(f)
    return c.execute(
        "SELECT v.submission_id, v.status, v.unit_id, u.name AS unit_name, u.region, v.auditor, v.period,"
        " v.corrected_start, v.visit_score, v.document, s.created_at"
        " FROM submission_views v JOIN submissions s ON s.submission_id = v.submission_id"
        " LEFT JOIN units u ON u.unit_id = v.unit_id"
        f" WHERE {where} AND (s.created_at, v.submission_id) {op} (?, ?)"
        f" ORDER BY s.created_at {order}, v.submission_id {order} LIMIT ?",
        (*params, after_at, after_id, limit),
    ).fetchall()


# The console's orders: the key columns of each (the last is always the submission id, so a key
# is unique and a cursor is stable) and the direction. Each key is an expression the queue's index
# holds or reads (`submission_views_queue`), with NULLs made comparable for the keyset.
_DATE = "ifnull(v.corrected_start, '')"
QUEUE_SORTS: dict[str, tuple[tuple[str, ...], str]] = {
    "oldest": ((_DATE, "v.submission_id"), "ASC"),
    "newest": ((_DATE, "v.submission_id"), "DESC"),
    "score": (("ifnull(v.visit_score, -1.0)", _DATE, "v.submission_id"), "ASC"),
    "unit": (("ifnull(v.unit_id, '')", _DATE, "v.submission_id"), "ASC"),
}


def queue_page(
    c: sqlite3.Connection, f: QueueFilter, sort: str, after: list | None, limit: int
) -> tuple[list[sqlite3.Row], list | None]:
    """A page of the console's queue in the order `sort` (QUEUE_SORTS), after the key `after`.

    Answers the rows (with unit name, kind, region and the document) and the key of the last one
    when another page may follow. The page's ids are found first from the index alone; only then
    are their documents read, so a sort never carries documents.
    """
    keys, order = QUEUE_SORTS[sort]
    if is_postgres(c):  # the same keys: PostgreSQL has no `ifnull`, and its index names `coalesce`
        keys = tuple(k.replace("ifnull(", "coalesce(") for k in keys)
    where, params = _filtered(f)
    if after is not None and len(after) == len(keys):
        where += f" AND ({', '.join(keys)}) {'<' if order == 'DESC' else '>'} ({', '.join('?' * len(keys))})"
        params += after
    picked = c.execute(
        f"SELECT {', '.join(keys)} FROM submission_views v WHERE {where}"
        f" ORDER BY {', '.join(f'{k} {order}' for k in keys)} LIMIT ?",
        (*params, limit),
    ).fetchall()
    ids = [r[len(keys) - 1] for r in picked]
    found = {
        r["submission_id"]: r
        for r in rows_in(
            c,
            "SELECT v.submission_id, v.status, v.unit_id, u.name AS unit_name, u.kind AS unit_kind, u.region,"
            " v.auditor, v.checklist_id, v.period, v.corrected_start, v.visit_score, v.document"
            " FROM submission_views v LEFT JOIN units u ON u.unit_id = v.unit_id"
            " WHERE v.submission_id IN ({marks})",
            ids,
        )
    }
    rows = [found[i] for i in ids if i in found]
    return rows, (list(picked[-1]) if len(picked) == limit else None)


def queue_counts(c: sqlite3.Connection, f: QueueFilter) -> dict[str, int]:
    """How many submissions of each status match the filters (the statuses of `f` are not applied)."""
    where, params = _filtered(f, statuses=False)
    rows = c.execute(f"SELECT v.status, count(*) FROM submission_views v WHERE {where} GROUP BY v.status", params)
    return {status: n for status, n in rows}


def open_by_others(
    c: sqlite3.Connection, submission_ids: Iterable[str], viewer: str, since: str
) -> dict[str, list[str]]:
    """submission_id -> the other users who opened its visit page at `since` or later, latest first."""
    rows = rows_in(
        c,
        "SELECT submission_id, user_name FROM review_open"
        " WHERE opened_at >= ? AND user_name != ? AND submission_id IN ({marks}) ORDER BY opened_at DESC",
        submission_ids,
        (since, viewer),
    )
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["submission_id"], []).append(r["user_name"])
    return out


class QueueChoices(msgspec.Struct, kw_only=True, frozen=True):
    """What the queue's filters offer: values that exist in the data."""

    periods: list[str]
    units: list[tuple[str, str]]  # (unit_id, name)
    kinds: list[str]
    regions: list[str]
    checklists: list[str]
    auditors: list[str]


def queue_choices(c: sqlite3.Connection) -> QueueChoices:
    """The periods, units, kinds, regions, checklists and auditors the queue may be filtered on."""
    # The distinct periods by one index seek each (a skip scan), not a walk over every view.
    periods = c.execute(
        "WITH RECURSIVE p(period) AS (SELECT max(period) FROM submission_views"
        " UNION ALL SELECT (SELECT max(period) FROM submission_views WHERE period < p.period)"
        " FROM p WHERE p.period IS NOT NULL) SELECT period FROM p WHERE period IS NOT NULL"
    ).fetchall()
    units = c.execute("SELECT unit_id, name, kind, region FROM units ORDER BY name, unit_id").fetchall()
    checklists = c.execute("SELECT DISTINCT checklist_id FROM checklist_versions ORDER BY checklist_id").fetchall()
    auditors = c.execute("SELECT name FROM users WHERE role = 'auditor' ORDER BY name").fetchall()
    return QueueChoices(
        periods=[r[0] for r in periods],
        units=[(r["unit_id"], r["name"]) for r in units],
        kinds=sorted({r["kind"] for r in units}),
        regions=sorted({r["region"] for r in units}),
        checklists=[r[0] for r in checklists],
        auditors=[r[0] for r in auditors],
    )
