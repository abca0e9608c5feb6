"""The merge of a submission's revisions into its view: a pure function of the set of revisions.

DESIGN.md, "Sync: how offline submissions merge", implemented as written:

- A revision is **merged** when every parent is merged (a released revision treats parents that
  are not stored as absent) and it names the checklist version of the submission's root;
  one naming another version is left out and flagged `checklist_changed`; the rest are
  **pending**. Quarantined revisions are simply not in the input, so they count as missing.
- The fields of a visit: each answer's `(value, na)`, `comment` and `evidence`, and the top-level
  `state`, `unit_id`, `staff_ids`, `assignment_id`, `started_at`, `finished_at`, `location`,
  `calibrates`.
  A revision **sets** a field when its value differs from the value in at least one of its merged
  parents (one without merged parents sets every field).
- The **candidates** of a field are the values set by merged revisions that no merged descendant
  sets again. One distinct value: the view's, attributed to its first setter in the order below.
  Several: a conflict; the first setter in the order wins (reviewer before auditor, then the
  larger `hlc`, a missing one smallest, then the larger `rev_id`); every losing value is kept with
  the revision that set it. For `state`, `submitted` wins and it is no conflict.
- The **heads** are the merged revisions that no merged revision names as a parent.

Values are compared in canonical JSON, so `true` and `1` differ and `4.0` equals `4`; a field a
revision does not carry (an answer it left out) is the value ABSENT, distinct from null.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from operator import itemgetter

import msgspec

from checklists.canonical import encode_normalized

TOP_FIELDS = (
    "state",
    "unit_id",
    "staff_ids",
    "assignment_id",
    "started_at",
    "finished_at",
    "location",
    "calibrates",
)
ABSENT = "\x00absent"  # never the canonical JSON of anything


class MergeInput(msgspec.Struct, kw_only=True, frozen=True):
    """One stored (not quarantined) revision as the merge sees it."""

    rev_id: str
    parents: tuple[str, ...]
    rank: str  # "reviewer" | "auditor"
    hlc: str | None
    version: int
    content: dict  # the canonical revision
    released: bool = False


def stored_input(row: Mapping) -> MergeInput:
    """A stored revision's row (`store.sync.revisions_to_merge`) as merge input."""
    return MergeInput(
        rev_id=row["rev_id"],
        parents=tuple(msgspec.json.decode(row["parents"])),
        rank=row["rank"],
        hlc=row["hlc"],
        version=row["checklist_version"],
        content=msgspec.json.decode(row["content"]),
        released=bool(row["released"]),
    )


class Conflict(msgspec.Struct, kw_only=True, frozen=True):
    """A field with several candidate values: the kept one, and every losing one with its setter."""

    field: str
    value: object
    rev_id: str
    losing: list[dict]


class MergeResult(msgspec.Struct, kw_only=True, frozen=True):
    """What the merge tells of a submission."""

    version: int | None
    merged: list[str]
    heads: list[str]
    pending: dict[str, list[str]]  # rev_id -> its parents that are not stored
    checklist_changed: list[str]
    view: dict | None
    conflicts: list[Conflict]
    attribution: dict[str, str]  # field -> rev_id


def fields_of(content: dict) -> dict[str, str]:
    """The merge fields of a canonical revision: field name -> canonical JSON of its value."""
    out = {name: _json(content.get(name)) for name in TOP_FIELDS}
    for answer in content.get("answers", ()):
        item = answer["item"]
        out[f"answers[{item}].value"] = _json([answer.get("value"), bool(answer.get("na", False))])
        out[f"answers[{item}].comment"] = _json(answer.get("comment"))
        out[f"answers[{item}].evidence"] = _json(answer.get("evidence"))
    return out


def _json(value: object) -> str:
    # Revisions are canonical already (numbers normalized): encoding with sorted keys is enough.
    return encode_normalized(value).decode("utf-8")


def _order_key(rev: MergeInput) -> tuple[bool, str, str]:
    # Sorted in reverse: reviewer first, then the larger hlc (missing counts as smallest), then rev_id.
    return (rev.rank == "reviewer", rev.hlc or "", rev.rev_id)


def merge(revisions: Iterable[MergeInput]) -> MergeResult:
    """Merge a submission's stored revisions (any order, duplicates allowed) into its view."""
    stored: dict[str, MergeInput] = {}
    for rev in revisions:
        stored.setdefault(rev.rev_id, rev)
    roots = sorted(r.rev_id for r in stored.values() if not r.parents)
    released_roots = sorted(r.rev_id for r in stored.values() if r.released)
    pin_from = roots or released_roots
    version = stored[pin_from[0]].version if pin_from else None

    merged: dict[str, MergeInput] = {}
    changed = sorted(r.rev_id for r in stored.values() if version is not None and r.version != version)
    progress = True
    while progress:
        progress = False
        for rev in sorted(stored.values(), key=lambda r: r.rev_id):
            if rev.rev_id in merged or rev.version != version:
                continue
            ready = all(p in merged or (rev.released and p not in stored) for p in rev.parents)
            if ready:
                merged[rev.rev_id] = rev
                progress = True
    pending = {
        r.rev_id: sorted(p for p in r.parents if p not in stored)
        for r in stored.values()
        if r.rev_id not in merged and r.rev_id not in changed
    }
    if not merged:
        return MergeResult(
            version=version,
            merged=[],
            heads=[],
            pending=pending,
            checklist_changed=changed,
            view=None,
            conflicts=[],
            attribution={},
        )

    named = {p for r in merged.values() for p in r.parents}
    heads = sorted(r for r in merged if r not in named)
    if len(merged) == 1:
        return _single(next(iter(merged.values())), version, pending, changed)
    fields = {r: fields_of(rev.content) for r, rev in merged.items()}
    ancestors = _ancestors(merged)
    universe = sorted({f for values in fields.values() for f in values})
    chosen: dict[str, str] = {}
    attribution: dict[str, str] = {}
    conflicts: list[Conflict] = []
    for field in universe:
        setters = []
        for r, rev in merged.items():
            value = fields[r].get(field, ABSENT)
            parents = [p for p in rev.parents if p in merged]
            if not parents or any(fields[p].get(field, ABSENT) != value for p in parents):
                setters.append(rev)
        covered = set().union(*(ancestors[s.rev_id] for s in setters)) if setters else set()
        candidates = sorted((s for s in setters if s.rev_id not in covered), key=_order_key, reverse=True)
        values = {fields[c.rev_id].get(field, ABSENT) for c in candidates}
        if field == "state" and len(values) > 1 and _json("submitted") in values:
            winner = next(c for c in candidates if fields[c.rev_id].get(field) == _json("submitted"))
        else:
            winner = candidates[0]
            if len(values) > 1:
                kept = fields[winner.rev_id].get(field, ABSENT)
                losing = [
                    {"value": _decode(fields[c.rev_id].get(field, ABSENT)), "rev_id": c.rev_id}
                    for c in candidates
                    if fields[c.rev_id].get(field, ABSENT) != kept
                ]
                conflicts.append(Conflict(field=field, value=_decode(kept), rev_id=winner.rev_id, losing=losing))
        chosen[field] = fields[winner.rev_id].get(field, ABSENT)
        attribution[field] = winner.rev_id
    root = merged[pin_from[0]] if pin_from[0] in merged else next(iter(merged.values()))
    view = _view(root.content, version, chosen)
    return MergeResult(
        version=version,
        merged=sorted(merged),
        heads=heads,
        pending=pending,
        checklist_changed=changed,
        view=view,
        conflicts=conflicts,
        attribution=attribution,
    )


def missing_ancestors(revisions: Iterable[MergeInput], result: MergeResult) -> dict[str, list[str]]:
    """What holds each pending revision back: its ancestors that are not stored (a tablet's `missing_parents`).

    `result.pending` lists a revision's own parents that are not stored, which is empty for the
    child of a pending revision; a pending receipt names what the tablet still has to send, found
    through the stored but unmerged ancestors (a released one's absent parents do not count).
    Where nothing is missing (an ancestor left out for naming another checklist version, or a
    cycle stored before cycles were refused), it is the parents that are not merged, so the list
    is never empty: a pending revision has a parent, and one that is not merged.
    """
    stored: dict[str, MergeInput] = {}
    for rev in revisions:
        stored.setdefault(rev.rev_id, rev)
    merged = set(result.merged)
    out: dict[str, list[str]] = {}
    for rev_id in result.pending:
        missing: set[str] = set()
        seen: set[str] = set()
        stack = [rev_id]
        while stack:
            rev = stored[stack.pop()]
            if rev.rev_id in seen:
                continue
            seen.add(rev.rev_id)
            for parent in rev.parents:
                if parent not in stored:
                    if not rev.released:
                        missing.add(parent)
                elif parent not in merged:
                    stack.append(parent)
        out[rev_id] = sorted(missing) or sorted(p for p in stored[rev_id].parents if p not in merged)
    return out


def _single(rev: MergeInput, version: int | None, pending: dict, changed: list[str]) -> MergeResult:
    """The merge of one revision: its own snapshot (the common case of a visit sent once)."""
    content = rev.content
    view: dict = {
        "submission_id": content["submission_id"],
        "checklist": {"id": content["checklist"]["id"], "version": version},
    }
    for name in TOP_FIELDS:
        view[name] = content.get(name)
    answers = [
        {
            "item": answer["item"],
            "value": answer.get("value"),
            "na": bool(answer.get("na", False)),
            "comment": answer.get("comment"),
            "evidence": answer.get("evidence"),
        }
        for answer in sorted(content.get("answers", ()), key=_by_item)
    ]
    view["answers"] = answers
    return MergeResult(
        version=version,
        merged=[rev.rev_id],
        heads=[rev.rev_id],
        pending=pending,
        checklist_changed=changed,
        view=view,
        conflicts=[],
        attribution=dict.fromkeys(_field_names(tuple(a["item"] for a in answers)), rev.rev_id),
    )


_by_item = itemgetter("item")


@functools.lru_cache(maxsize=64)
def _field_names(items: tuple[str, ...]) -> tuple[str, ...]:
    """Every merge field of a visit answering `items`, sorted (a checklist's items repeat in every visit)."""
    names = list(TOP_FIELDS)
    for item in items:
        names += (f"answers[{item}].value", f"answers[{item}].comment", f"answers[{item}].evidence")
    return tuple(sorted(names))


def _ancestors(merged: dict[str, MergeInput]) -> dict[str, set[str]]:
    """Every merged revision's merged ancestors."""
    memo: dict[str, set[str]] = {}

    def visit(rev_id: str) -> set[str]:
        if rev_id in memo:
            return memo[rev_id]
        memo[rev_id] = set()  # guards a cycle, which a merged set cannot hold anyway
        found: set[str] = set()
        for p in merged[rev_id].parents:
            if p in merged:
                found.add(p)
                found |= visit(p)
        memo[rev_id] = found
        return found

    for rev_id in merged:
        visit(rev_id)
    return memo


def _decode(value: str) -> object:
    return None if value == ABSENT else msgspec.json.decode(value)


def _view(root: dict, version: int | None, chosen: dict[str, str]) -> dict:
    """The merged visit, in the shape of a revision (without revision metadata)."""
    view: dict = {
        "submission_id": root["submission_id"],
        "checklist": {"id": root["checklist"]["id"], "version": version},
    }
    for name in TOP_FIELDS:
        view[name] = _decode(chosen.get(name, ABSENT))
    items = sorted({f[len("answers[") : f.index("]")] for f in chosen if f.startswith("answers[")})
    answers = []
    for item in items:
        parts = {p: chosen.get(f"answers[{item}].{p}", ABSENT) for p in ("value", "comment", "evidence")}
        if all(v == ABSENT for v in parts.values()):
            continue
        value, na = _decode(parts["value"]) or [None, False]
        answers.append(
            {
                "item": item,
                "value": value,
                "na": na,
                "comment": _decode(parts["comment"]),
                "evidence": _decode(parts["evidence"]),
            }
        )
    view["answers"] = answers
    return view
