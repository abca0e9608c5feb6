"""The normalised comments of checked visits (migration 0016, `visit_comments`), per item and day.

A visit's background check stores its comments long enough to compare (`replace`) and reads the
same item's comments of other visits in the policy's window (`candidates`) for
`server.integrity.comments.closest`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from server.db import insert_many


def replace(c: sqlite3.Connection, submission_id: str, day: str, comments: Mapping[str, str]) -> None:
    """Store a visit's comments (item -> normalised text) of `day`, in place of those stored before."""
    c.execute("DELETE FROM visit_comments WHERE submission_id = ?", (submission_id,))
    insert_many(
        c,
        "INSERT INTO visit_comments (submission_id, item, day, normalized) VALUES (?, ?, ?, ?)",
        [(submission_id, item, day, text) for item, text in sorted(comments.items())],
    )


def candidates(
    c: sqlite3.Connection, item: str, since_day: str, until_day: str, exclude_submission: str
) -> dict[str, str]:
    """submission_id -> normalised comment on `item` of the other visits of days `since_day`..`until_day`.

    Oldest day first (then by id): of two equally close comments, `closest` names the earlier one.
    """
    rows = c.execute(
        "SELECT submission_id, normalized FROM visit_comments WHERE item = ? AND day >= ? AND day <= ?"
        " AND submission_id <> ? ORDER BY day, submission_id",
        (item, since_day, until_day, exclude_submission),
    ).fetchall()
    return {r["submission_id"]: r["normalized"] for r in rows}
