"""What changed between two states of a visit, field by field, in the merge's own fields.

Pure: two revisions' contents (or two merged views, which have the same shape) in, the fields
whose values differ out. The fields are the merge's (`server.sync.merge.fields_of`): each
answer's `value` (with its N/A mark), `comment` and `evidence`, and the visit's top fields, so a
diff names exactly what a merge would see as set. `view_at` rebuilds the view a reviewer saw at
some earlier heads, for "this visit changed since you opened it".
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

import msgspec

from server.sync.merge import ABSENT, TOP_FIELDS, MergeInput, fields_of, merge


class FieldChange(msgspec.Struct, kw_only=True, frozen=True):
    """One field whose value differs; a side that does not carry the field is `absent`."""

    field: str
    item: str | None  # the answer's item, for an answer's field
    part: str  # value | comment | evidence, or the top field's name
    before: object
    after: object
    before_absent: bool
    after_absent: bool


def split_field(field: str) -> tuple[str | None, str]:
    """`answers[GREET.1].value` -> ("GREET.1", "value"); a top field -> (None, its name)."""
    if field.startswith("answers[") and "]." in field:
        item, _, part = field[len("answers[") :].rpartition("].")
        return item, part
    return None, field


def field_order(field: str) -> tuple[int, str, int]:
    """Top fields first in the merge's order, then answers by item, value before comment before evidence."""
    item, part = split_field(field)
    if item is None:
        return (0, "", TOP_FIELDS.index(part) if part in TOP_FIELDS else len(TOP_FIELDS))
    return (1, item, ("value", "comment", "evidence").index(part) if part in ("value", "comment", "evidence") else 3)


# A field left out, null, and an answer without a value or N/A: for the merge they differ, for a
# person reading a diff they all say "nothing here", so one turning into another is not listed.
_EMPTY = frozenset({ABSENT, "null", "[null,false]"})


def field_diff(before: dict | None, after: dict | None) -> list[FieldChange]:
    """The fields whose values differ between two visit states (revision contents or merged views)."""
    old = fields_of(before) if before is not None else {}
    new = fields_of(after) if after is not None else {}
    changes = []
    for field in sorted(old.keys() | new.keys(), key=field_order):
        a, b = old.get(field, ABSENT), new.get(field, ABSENT)
        if a == b or (a in _EMPTY and b in _EMPTY):
            continue
        item, part = split_field(field)
        changes.append(
            FieldChange(
                field=field,
                item=item,
                part=part,
                before=None if a == ABSENT else msgspec.json.decode(a),
                after=None if b == ABSENT else msgspec.json.decode(b),
                before_absent=a == ABSENT,
                after_absent=b == ABSENT,
            )
        )
    return changes


def view_at(revisions: Iterable[MergeInput], heads: Collection[str]) -> dict | None:
    """The merged view as it was when `heads` were the heads: the merge of them and their ancestors.

    Heads that are not stored are ignored (a forged or mistyped form); None when none is stored.
    """
    stored = {r.rev_id: r for r in revisions}
    keep: set[str] = set()
    stack = [h for h in heads if h in stored]
    while stack:
        rev_id = stack.pop()
        if rev_id in keep:
            continue
        keep.add(rev_id)
        stack += [p for p in stored[rev_id].parents if p in stored]
    if not keep:
        return None
    return merge(stored[r] for r in keep).view
