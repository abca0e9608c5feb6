"""Appeals: a unit manager disputes items of an approved visit; a quality lead decides each item.

The tables are in migration 0015 (`appeals`, `appeal_items`, `appeal_evidence`). This module holds
their SQL; the steps of filing, withdrawing and deciding are in `server.appeals`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import msgspec

from server.store.sync import rows_in


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
