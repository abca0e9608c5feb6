"""What changed between two versions of a checklist: standards and items added, removed, changed."""

from __future__ import annotations

import msgspec

from checklists.model import Checklist


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One difference: `what` is `checklist`, `standard` or `item`, `how` is `added|removed|changed`.

    For a change, `old` and `new` hold the changed fields' values (as JSON builtins) on each side.
    """

    what: str
    id: str
    how: str
    fields: list[str] = []
    old: dict[str, object] = {}
    new: dict[str, object] = {}


def diff_versions(old: Checklist, new: Checklist) -> list[Change]:
    """Differences from `old` to `new`, standards first, each group in id order."""
    # The version's own fields (title, description, min_duration_s), under the checklist's id.
    changes: list[Change] = _compare("checklist", {old.id: old}, {new.id: new}, ignore={"standards", "version"})
    old_std = {s.code: s for s in old.standards}
    new_std = {s.code: s for s in new.standards}
    changes += _compare("standard", old_std, new_std, ignore={"items"})
    old_items = {i.id: i for s in old.standards for i in s.items}
    new_items = {i.id: i for s in new.standards for i in s.items}
    changes += _compare("item", old_items, new_items, ignore=set())
    # An item that moved to another standard is a change of its `standard`.
    old_home = {i.id: s.code for s in old.standards for i in s.items}
    new_home = {i.id: s.code for s in new.standards for i in s.items}
    for item_id in sorted(old_home.keys() & new_home.keys()):
        if old_home[item_id] != new_home[item_id]:
            changes.append(
                Change(
                    what="item",
                    id=item_id,
                    how="changed",
                    fields=["standard"],
                    old={"standard": old_home[item_id]},
                    new={"standard": new_home[item_id]},
                )
            )
    return changes


def _compare(what: str, old: dict, new: dict, ignore: set[str]) -> list[Change]:
    out = []
    for key in sorted(old.keys() - new.keys()):
        out.append(Change(what=what, id=key, how="removed"))
    for key in sorted(new.keys() - old.keys()):
        out.append(Change(what=what, id=key, how="added"))
    for key in sorted(old.keys() & new.keys()):
        a, b = msgspec.to_builtins(old[key]), msgspec.to_builtins(new[key])
        fields = sorted(f for f in a.keys() | b.keys() if f not in ignore and a.get(f) != b.get(f))
        if fields:
            before = {f: a.get(f) for f in fields}
            after = {f: b.get(f) for f in fields}
            out.append(Change(what=what, id=key, how="changed", fields=fields, old=before, new=after))
    return out
