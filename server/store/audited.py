"""The reads behind what the audited side sees: a unit's approved visits and their appeal states.

`server.audited` shapes them (dates only, nothing of the auditor); the SQL is here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from server.db import snapshot
from server.store.appeals import ItemState, item_states
from server.store.scores import APPROVED
from server.store.sync import rows_in
from server.store.views import SubmissionDoc, view_documents


def approved_starts(c: sqlite3.Connection, unit_id: str, period: str) -> list[tuple[str, str | None]]:
    """(submission_id, corrected_start) of the unit's approved visits of the period."""
    rows = c.execute(
        "SELECT submission_id, corrected_start FROM submission_views WHERE period = ? AND counted = ? AND unit_id = ?",
        (period, APPROVED, unit_id),
    ).fetchall()
    return [(r["submission_id"], r["corrected_start"]) for r in rows]


def approved_documents(
    c: sqlite3.Connection, submission_ids: Iterable[str], units: list[str] | None
) -> tuple[dict[str, SubmissionDoc], dict[str, dict[str, ItemState]]]:
    """The documents of those of the visits that are approved (and of one of `units`, unless None), with
    the appeal state of each of their disputed items; read in one snapshot."""
    with snapshot(c):
        wanted = rows_in(
            c,
            "SELECT submission_id, unit_id FROM submission_views WHERE counted = ? AND submission_id IN ({marks})",
            submission_ids,
            (APPROVED,),
        )
        ids = [r["submission_id"] for r in wanted if units is None or r["unit_id"] in units]
        return view_documents(c, ids), item_states(c, ids)


def unit_exists(c: sqlite3.Connection, unit_id: str) -> bool:
    """True when the unit is in the directory."""
    return c.execute("SELECT 1 FROM units WHERE unit_id = ?", (unit_id,)).fetchone() is not None
