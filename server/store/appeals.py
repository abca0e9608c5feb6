"""Appeals: a unit manager disputes items of an approved visit; a quality lead decides each item.

The tables are in migration 0015 (`appeals`, `appeal_items`, `appeal_evidence`). This module holds
their SQL; the steps of filing, withdrawing and deciding are in `server.appeals`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from reports.scorecard_data import AppealsBox
from server.db import INTEGRITY_ERRORS, atomic, insert_many
from server.errors import FieldError, ProblemError
from server.store.scores import APPROVED
from server.store.sync import rows_in
from server.wire import Scalar


class ItemState(msgspec.Struct, kw_only=True, frozen=True):
    """Where one item of a visit stands in its latest appeal."""

    appeal_id: str
    status: str  # the appeal's: open, withdrawn, decided
    outcome: str | None  # upheld, overturned; None while open or withdrawn


def open_items(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, set[str]]:
    """The items of each visit under an open appeal (visits with none are left out)."""
    rows = rows_in(
        c,
        "SELECT submission_id, item FROM appeal_items WHERE open = 1 AND submission_id IN ({marks})",
        submission_ids,
    )
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["submission_id"], set()).add(r["item"])
    return out


def item_states(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, dict[str, ItemState]]:
    """Per visit and item, the state of the latest appeal that disputed it (withdrawn ones included)."""
    rows = rows_in(
        c,
        "SELECT i.submission_id, i.item, i.appeal_id, a.status, i.outcome, a.filed_at FROM appeal_items i"
        " JOIN appeals a ON a.appeal_id = i.appeal_id WHERE i.submission_id IN ({marks})"
        " ORDER BY a.filed_at, a.appeal_id",
        submission_ids,
    )
    out: dict[str, dict[str, ItemState]] = {}
    for r in rows:  # oldest first: a later appeal of the same item replaces an earlier one
        out.setdefault(r["submission_id"], {})[r["item"]] = ItemState(
            appeal_id=r["appeal_id"], status=r["status"], outcome=r["outcome"]
        )
    return out


# --- filing, withdrawing and deciding (the steps are in `server.appeals`) ---------------------------


class StoredItem(msgspec.Struct, kw_only=True, frozen=True):
    """One disputed item of an appeal as stored."""

    item: str
    position: int
    claim: str
    evidence: list[str]
    before: dict  # {"value", "na"}: the answer when the appeal was filed
    outcome: str | None
    reason: str | None
    value: Scalar  # what an overturned item became
    na: bool | None


class StoredAppeal(msgspec.Struct, kw_only=True, frozen=True):
    """An appeal with its items (in the order filed)."""

    appeal_id: str
    submission_id: str
    unit_id: str
    period: str
    filed_by: str
    filed_at: str
    due_at: str
    status: str
    closed_at: str | None
    decided_by: str | None
    rev_id: str | None
    review_id: int | None
    items: list[StoredItem]


def original_approval(c: sqlite3.Connection, submission_id: str) -> str | None:
    """When the visit was last approved by a review (not by an appeal's decision): the window counts from it."""
    row = c.execute(
        "SELECT decided_at FROM reviews WHERE submission_id = ? AND decision = 'approve' AND appeal_id IS NULL"
        " ORDER BY id DESC LIMIT 1",
        (submission_id,),
    ).fetchone()
    return row["decided_at"] if row else None


def filed_count(c: sqlite3.Connection, unit_id: str, period: str) -> int:
    """How many appeals were filed for the unit's visits of the period (withdrawn ones included)."""
    return c.execute("SELECT count(*) FROM appeals WHERE unit_id = ? AND period = ?", (unit_id, period)).fetchone()[0]


def already_under_appeal(c: sqlite3.Connection, submission_id: str, items: list[str]) -> None:
    """409 `appeal_exists`, naming each of the items (`items[i].item`) that is under an open appeal of the visit."""
    held = open_items(c, [submission_id]).get(submission_id, set())
    errors = [
        FieldError(path=f"items[{n}].item", message=f"{item} is already under an open appeal")
        for n, item in enumerate(items)
        if item in held
    ]
    if errors:
        raise ProblemError(409, "appeal_exists", "some items are already under an open appeal", errors)


def insert_appeal(c: sqlite3.Connection, appeal: StoredAppeal) -> None:
    """Store a new open appeal, its items and their evidence; 409 `appeal_exists` if an item is under an open appeal.

    One open appeal per item of a visit is the unique index's rule: two filings at once meet it here.
    """
    try:
        with atomic(c):
            c.execute(
                "INSERT INTO appeals (appeal_id, submission_id, unit_id, period, filed_by, filed_at, due_at, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'open')",
                (
                    appeal.appeal_id,
                    appeal.submission_id,
                    appeal.unit_id,
                    appeal.period,
                    appeal.filed_by,
                    appeal.filed_at,
                    appeal.due_at,
                ),
            )
            insert_many(
                c,
                "INSERT INTO appeal_items (appeal_id, item, submission_id, position, claim, before)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (appeal.appeal_id, i.item, appeal.submission_id, i.position, i.claim, _json(i.before))
                    for i in appeal.items
                ],
            )
            evidence = [(appeal.appeal_id, i.item, sha) for i in appeal.items for sha in i.evidence]
            if evidence:
                insert_many(c, "INSERT INTO appeal_evidence (appeal_id, item, sha256) VALUES (?, ?, ?)", evidence)
    except INTEGRITY_ERRORS:
        already_under_appeal(c, appeal.submission_id, [i.item for i in appeal.items])
        raise


def appeals_by_id(c: sqlite3.Connection, appeal_ids: Iterable[str]) -> dict[str, StoredAppeal]:
    """The stored appeals among the ids, with their items and evidence."""
    ids = list(appeal_ids)
    evidence: dict[tuple[str, str], list[str]] = {}
    for r in rows_in(
        c, "SELECT appeal_id, item, sha256 FROM appeal_evidence WHERE appeal_id IN ({marks}) ORDER BY sha256", ids
    ):
        evidence.setdefault((r["appeal_id"], r["item"]), []).append(r["sha256"])
    items: dict[str, list[StoredItem]] = {}
    for r in rows_in(
        c,
        "SELECT appeal_id, item, position, claim, before, outcome, reason, value, na FROM appeal_items"
        " WHERE appeal_id IN ({marks}) ORDER BY appeal_id, position",
        ids,
    ):
        items.setdefault(r["appeal_id"], []).append(
            StoredItem(
                item=r["item"],
                position=r["position"],
                claim=r["claim"],
                evidence=sorted(evidence.get((r["appeal_id"], r["item"]), [])),
                before=msgspec.json.decode(r["before"]),
                outcome=r["outcome"],
                reason=r["reason"],
                value=msgspec.json.decode(r["value"]) if r["value"] is not None else None,
                na=None if r["na"] is None else bool(r["na"]),
            )
        )
    rows = rows_in(
        c,
        "SELECT appeal_id, submission_id, unit_id, period, filed_by, filed_at, due_at, status, closed_at,"
        " decided_by, rev_id, review_id FROM appeals WHERE appeal_id IN ({marks})",
        ids,
    )
    return {
        r["appeal_id"]: StoredAppeal(
            appeal_id=r["appeal_id"],
            submission_id=r["submission_id"],
            unit_id=r["unit_id"],
            period=r["period"],
            filed_by=r["filed_by"],
            filed_at=r["filed_at"],
            due_at=r["due_at"],
            status=r["status"],
            closed_at=r["closed_at"],
            decided_by=r["decided_by"],
            rev_id=r["rev_id"],
            review_id=r["review_id"],
            items=sorted(items.get(r["appeal_id"], []), key=lambda i: i.position),
        )
        for r in rows
    }


def appeal_page(
    c: sqlite3.Connection,
    status: str | None,
    unit_id: str | None,
    period: str | None,
    overdue_at: str | None,
    units: list[str] | None,
    after: tuple[str, str] | None,
    limit: int,
) -> list[str]:
    """The ids of a page of appeals in (due_at, appeal_id) order, after the key `after`.

    `overdue_at`: only those overdue at that instant (open past due, or decided after it);
    `units`: only appeals of those units (None: of every unit).
    """
    terms: list[str] = []
    params: list = []
    for column, value in (("status", status), ("unit_id", unit_id), ("period", period)):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    if units is not None:
        if not units:
            return []
        terms.append(f"unit_id IN ({', '.join('?' * len(units))})")
        params += units
    if overdue_at is not None:
        terms.append("((status = 'open' AND due_at < ?) OR (status = 'decided' AND closed_at > due_at))")
        params.append(overdue_at)
    if after is not None:
        terms.append("(due_at, appeal_id) > (?, ?)")
        params += after
    where = " AND ".join(terms) or "TRUE"
    rows = c.execute(
        f"SELECT appeal_id FROM appeals WHERE {where} ORDER BY due_at, appeal_id LIMIT ?", (*params, limit)
    ).fetchall()
    return [r["appeal_id"] for r in rows]


def close_appeal(
    c: sqlite3.Connection, appeal_id: str, status: str, closed_at: str, decided_by: str | None = None
) -> bool:
    """Close an open appeal (`withdrawn` or `decided`) and free its items; False if it was not open."""
    done = c.execute(
        "UPDATE appeals SET status = ?, closed_at = ?, decided_by = ? WHERE appeal_id = ? AND status = 'open'",
        (status, closed_at, decided_by, appeal_id),
    ).rowcount
    if done:
        c.execute("UPDATE appeal_items SET open = 0 WHERE appeal_id = ?", (appeal_id,))
    return bool(done)


def record_outcomes(
    c: sqlite3.Connection, appeal_id: str, outcomes: list[tuple[str, str, str, Scalar, bool | None]]
) -> None:
    """Each decided item's (item, outcome, reason, value, na); an upheld item keeps value and na null."""
    c.executemany(
        "UPDATE appeal_items SET outcome = ?, reason = ?, value = ?, na = ? WHERE appeal_id = ? AND item = ?",
        [
            (
                outcome,
                reason,
                None if outcome == "upheld" else _json(value),
                None if na is None else int(na),
                appeal_id,
                item,
            )
            for item, outcome, reason, value, na in outcomes
        ],
    )


def record_effect(c: sqlite3.Connection, appeal_id: str, rev_id: str, review_id: int) -> None:
    """The reviewer revision a decision made and the approval that records it."""
    c.execute("UPDATE appeals SET rev_id = ?, review_id = ? WHERE appeal_id = ?", (rev_id, review_id, appeal_id))


def open_appeals(c: sqlite3.Connection, period: str) -> list[sqlite3.Row]:
    """The open appeals of visits of the period (a close without `force` refuses while there are any)."""
    return c.execute(
        "SELECT appeal_id, submission_id FROM appeals WHERE period = ? AND status = 'open' ORDER BY appeal_id",
        (period,),
    ).fetchall()


def _json(value: object) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def appeal_blob_visible(c: sqlite3.Connection, sha256: str, units: list[str]) -> bool:
    """True when the blob is evidence attached to an appeal of one of these units (filed, withdrawn or decided)."""
    rows = rows_in(
        c,
        "SELECT 1 FROM appeal_evidence e JOIN appeals a ON a.appeal_id = e.appeal_id"
        " WHERE e.sha256 = ? AND a.unit_id IN ({marks}) LIMIT 1",
        units,
        (sha256,),
    )
    return bool(rows)


# --- what appeals change in the figures


class _StaffIds(msgspec.Struct):
    staff_ids: list[str] | None = None


class _StaffOfVisit(msgspec.Struct):
    view: _StaffIds | None = None


_staff_of_visit = msgspec.json.Decoder(_StaffOfVisit)


def staff_under_appeal(c: sqlite3.Connection, period: str) -> set[str]:
    """The staff evaluated in an approved visit of the period that has an open appeal (their
    motivation rows carry the flag `under_appeal`)."""
    rows = c.execute(
        "SELECT document FROM submission_views WHERE submission_id IN"
        " (SELECT submission_id FROM appeals WHERE status = 'open') AND period = ? AND counted = ?",
        (period, APPROVED),
    ).fetchall()
    out: set[str] = set()
    for r in rows:
        view = _staff_of_visit.decode(r["document"]).view
        out.update(view.staff_ids or () if view is not None else ())
    return out


def overturned_answers(c: sqlite3.Connection, submission_ids: Iterable[str]) -> dict[str, dict[str, tuple]]:
    """Per visit, the items an appeal overturned, each with its answer (value, na) as audited: the
    `before` of its first overturn."""
    rows = rows_in(
        c,
        "SELECT i.submission_id, i.item, i.before FROM appeals a JOIN appeal_items i ON i.appeal_id = a.appeal_id"
        " WHERE a.submission_id IN ({marks}) AND i.outcome = 'overturned' ORDER BY a.filed_at, a.appeal_id",
        submission_ids,
    )
    out: dict[str, dict[str, tuple]] = {}
    for r in rows:
        before = msgspec.json.decode(r["before"])
        out.setdefault(r["submission_id"], {}).setdefault(r["item"], (before["value"], bool(before["na"])))
    return out


def appeal_counts(c: sqlite3.Connection, unit_id: str, period: str) -> AppealsBox | None:
    """The appeals filed for the unit's visits of the period, and where their items stand; None when none was."""
    row = c.execute(
        "SELECT count(DISTINCT a.appeal_id) AS appeals, count(*) AS items,"
        " coalesce(sum(CASE WHEN i.outcome = 'upheld' THEN 1 ELSE 0 END), 0) AS upheld,"
        " coalesce(sum(CASE WHEN i.outcome = 'overturned' THEN 1 ELSE 0 END), 0) AS overturned,"
        " coalesce(sum(CASE WHEN a.status = 'open' THEN 1 ELSE 0 END), 0) AS open,"
        " coalesce(sum(CASE WHEN a.status = 'withdrawn' THEN 1 ELSE 0 END), 0) AS withdrawn"
        " FROM appeals a JOIN appeal_items i ON i.appeal_id = a.appeal_id WHERE a.unit_id = ? AND a.period = ?",
        (unit_id, period),
    ).fetchone()
    if row is None or not row["appeals"]:
        return None
    return AppealsBox(
        appeals=row["appeals"],
        items=row["items"],
        upheld=row["upheld"],
        overturned=row["overturned"],
        open=row["open"],
        withdrawn=row["withdrawn"],
    )


class OverturnShare(msgspec.Struct, kw_only=True, frozen=True):
    """One auditor's appealed items of a period, and the share of the decided ones that were overturned."""

    auditor: str
    visits: int  # the auditor's visits of the period under an open or decided appeal
    items_decided: int
    items_overturned: int
    share: float | None  # items_overturned / items_decided (0..1); None while none is decided


def overturn_shares(c: sqlite3.Connection, period: str) -> list[OverturnShare]:
    """Per auditor (by name), the items of their visits of the period appealed and not withdrawn: how
    many were decided, how many overturned, and the share overturned."""
    rows = c.execute(
        "SELECT s.auditor, count(DISTINCT a.submission_id) AS visits,"
        " coalesce(sum(CASE WHEN i.outcome IS NOT NULL THEN 1 ELSE 0 END), 0) AS decided,"
        " coalesce(sum(CASE WHEN i.outcome = 'overturned' THEN 1 ELSE 0 END), 0) AS overturned"
        " FROM appeals a JOIN appeal_items i ON i.appeal_id = a.appeal_id"
        " JOIN submissions s ON s.submission_id = a.submission_id"
        " WHERE a.period = ? AND a.status <> 'withdrawn' GROUP BY s.auditor ORDER BY s.auditor",
        (period,),
    ).fetchall()
    return [
        OverturnShare(
            auditor=r["auditor"],
            visits=r["visits"],
            items_decided=r["decided"],
            items_overturned=r["overturned"],
            share=r["overturned"] / r["decided"] if r["decided"] else None,
        )
        for r in rows
    ]


# --- what the console's appeals queue counts


def status_counts(
    c: sqlite3.Connection, unit_id: str | None, period: str | None, overdue_at: str | None
) -> dict[str, int]:
    """The number of appeals in each status under the filters of `appeal_page` (status aside)."""
    terms: list[str] = []
    params: list = []
    for column, value in (("unit_id", unit_id), ("period", period)):
        if value is not None:
            terms.append(f"{column} = ?")
            params.append(value)
    if overdue_at is not None:
        terms.append("((status = 'open' AND due_at < ?) OR (status = 'decided' AND closed_at > due_at))")
        params.append(overdue_at)
    where = " AND ".join(terms) or "TRUE"
    rows = c.execute(f"SELECT status, count(*) AS n FROM appeals WHERE {where} GROUP BY status", params).fetchall()
    return {r["status"]: r["n"] for r in rows}


def under_open_appeal(c: sqlite3.Connection) -> list[str]:
    """Every visit with an item under an open appeal (their figures follow the policy's `exclude_disputed`)."""
    return [r[0] for r in c.execute("SELECT DISTINCT submission_id FROM appeal_items WHERE open = 1 ORDER BY 1")]
