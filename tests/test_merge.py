"""The pure merge (DESIGN.md, "Sync: how offline submissions merge"): properties and tables.

Every revision is written as a tablet would send it and goes through `decode_revision`, so the
merge sees the real canonical form. The expected values are worked out in the test, from the
DESIGN rules, never read back from the merge.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.sync.merge import ABSENT, Conflict, MergeInput, MergeResult, fields_of, merge
from server.sync.prepare import merge_input as canonical_input
from server.sync.revision import Decoded, decode_revision

# One profile for this module only (no global profile): reproducible in CI, a few seconds in all.
PROPERTIES = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

SUBMISSION = "5b0c1e2a-7d1f-4c3e-9a55-0f6b1c2d3e4f"
DEVICE = "d0d0d0d0-1111-4222-8333-444455556666"
EVIDENCE = "ab" * 32
DROP = object()  # in a change: leave the key out of the revision

ROOT_ANSWERS = [
    {"item": "Q1", "value": True, "na": False, "comment": "вежливо"},
    {"item": "Q2", "value": 4, "na": False},
    {"item": "Q3", "value": "full", "na": False, "evidence": [EVIDENCE]},
]


def rid(n: int) -> str:
    """A rev_id whose lower-case string order is the order of `n`."""
    return f"00000000-0000-4000-8000-{n:012x}"


def hlc(ms: int, counter: int = 0) -> str:
    return f"{ms:016d}:{counter:04d}:{DEVICE}"


R, A, B, C, M = rid(0x10), rid(0x1), rid(0x2), rid(0x3), rid(0x4)
MISSING = rid(0xDEAD)


def revision(
    rev_id: str, parents: Iterable[str] = (), *, hlc: str | None = None, version: int = 1, **top: object
) -> dict:
    """A revision as a tablet sends it: the root visit, with top-level overrides (DROP removes a key)."""
    doc = {
        "rev_id": rev_id,
        "submission_id": SUBMISSION,
        "parents": list(parents),
        "checklist": {"id": "example", "version": version},
        "unit_id": "U1",
        "staff_ids": ["E1", "E2"],
        "started_at": "2026-10-14T10:32:05+05:00",
        "state": "draft",
        "answers": copy.deepcopy(ROOT_ANSWERS),
        "location": {"lat": 43.25, "lon": 76.95},
    }
    if hlc is not None:
        doc["hlc"] = hlc
    for key, value in top.items():
        if value is DROP:
            doc.pop(key, None)
        else:
            doc[key] = copy.deepcopy(value)
    return doc


def answered(doc: dict, item: str, **changes: object) -> dict:
    """`doc` with the answer to `item` changed (DROP removes a key of the answer)."""
    doc = copy.deepcopy(doc)
    answer = next(a for a in doc["answers"] if a["item"] == item)
    for key, value in changes.items():
        if value is DROP:
            answer.pop(key, None)
        else:
            answer[key] = value
    return doc


def merge_input(doc: dict, rank: str = "auditor", *, released: bool = False) -> MergeInput:
    """The merge's view of a stored revision, from its real canonical form (decoded from the wire)."""
    decoded = decode_revision(msgspec.json.encode(doc))
    assert isinstance(decoded, Decoded), decoded
    return canonical_input(decoded.canonical, rank, released)


def view_fields(result: MergeResult) -> dict[str, str]:
    """The merge fields of the view (an answer the view leaves out has every field ABSENT)."""
    assert result.view is not None
    return fields_of(result.view)


def view_answer(result: MergeResult, item: str) -> dict:
    assert result.view is not None
    return next(a for a in result.view["answers"] if a["item"] == item)


def canon(value: object) -> bytes:
    """Compare values the way JSON tells them apart: `true` is not `1`."""
    return msgspec.json.encode(value)


def precedence(rev: MergeInput) -> tuple:
    """DESIGN order, the larger first: reviewer, then hlc (missing smallest), then rev_id."""
    return (rev.rank == "reviewer", rev.hlc is not None, rev.hlc or "", rev.rev_id)


# --- random DAGs of one submission -----------------------------------------------------------

VALUES = [True, False, 1, 0, 4, 4.0, -2, "full", "partial", None]
COMMENTS = ["ok", "плохо", None, DROP]
STAFF = ["E1", "E2", "E3"]
STARTS = ["2026-10-14T10:32:05+05:00", "2026-10-14T05:32:05Z", "2026-10-14T05:40:00.000Z"]

edits = st.one_of(
    st.tuples(st.just("value"), st.sampled_from(["Q1", "Q2", "Q3"]), st.sampled_from(VALUES)),
    st.tuples(st.just("comment"), st.sampled_from(["Q1", "Q2", "Q3"]), st.sampled_from(COMMENTS)),
    st.tuples(st.just("state"), st.sampled_from(["draft", "submitted"])),
    st.tuples(st.just("staff_ids"), st.lists(st.sampled_from(STAFF), min_size=1, max_size=3, unique=True)),
    st.tuples(st.just("started_at"), st.sampled_from(STARTS)),
)


def apply_edit(doc: dict, edit: tuple) -> dict:
    kind = edit[0]
    if kind == "value":
        return answered(doc, edit[1], value=edit[2])
    if kind == "comment":
        return answered(doc, edit[1], comment=edit[2])
    doc = copy.deepcopy(doc)
    doc[kind] = edit[1]
    return doc


def spell_id(rev_id: str, upper: bool) -> str:
    return rev_id.upper() if upper else rev_id


@st.composite
def dags(draw: st.DrawFn, odd: bool = False) -> list[tuple[dict, str]]:
    """1-8 revisions of one submission: (revision dict, rank), parents before children.

    The first is the root; each later one names a random non-empty set of earlier ones and edits
    the snapshot of one of them. Rev_ids are in a random order (not the order of creation) and
    sometimes upper-case, as the canonical form must not care. With `odd`, some revisions are
    extra roots and some name checklist version 2 (what a buggy or outdated tablet may send).
    """
    n = draw(st.integers(1, 8))
    ids = [rid(k) for k in draw(st.permutations(range(1, n + 1)))]
    docs: list[dict] = []
    out: list[tuple[dict, str]] = []
    for i in range(n):
        parents = sorted(draw(st.sets(st.integers(0, i - 1), min_size=1, max_size=3))) if i else []
        if odd and i and draw(st.integers(0, 5)) == 0:
            parents = []
        clock = draw(st.none() | st.builds(hlc, st.integers(0, 4), st.integers(0, 2)))
        if parents:
            doc = copy.deepcopy(docs[draw(st.sampled_from(parents))])
            for edit in draw(st.lists(edits, max_size=3)):
                doc = apply_edit(doc, edit)
        else:
            doc = revision(ids[i])
        if odd and draw(st.integers(0, 4)) == 0:
            doc["checklist"] = {"id": "example", "version": 2}
        doc["rev_id"] = spell_id(ids[i], draw(st.booleans()))
        doc["parents"] = [spell_id(ids[p], draw(st.booleans())) for p in parents]
        doc.pop("hlc", None)
        if clock is not None:
            doc["hlc"] = clock
        docs.append(doc)
        out.append((doc, draw(st.sampled_from(["auditor", "reviewer"]))))
    return out


def inputs_of(dag: list[tuple[dict, str]]) -> list[MergeInput]:
    return [merge_input(doc, rank) for doc, rank in dag]


# --- 1. any order, any retries ---------------------------------------------------------------


@pytest.mark.slow
@PROPERTIES
@given(st.data())
def test_any_order_and_any_duplicates_give_the_same_result(data: st.DataObject) -> None:
    inputs = inputs_of(data.draw(dags(odd=True), label="dag"))
    # Any stored subset: some pending, some of another version, some extra roots.
    kept = data.draw(st.sets(st.integers(0, len(inputs) - 1), min_size=1), label="stored")
    inputs = [rev for i, rev in enumerate(inputs) if i in kept]
    expected = merge(inputs)
    retries = data.draw(st.lists(st.sampled_from(inputs), max_size=8), label="retries")
    arrival = data.draw(st.permutations(inputs + retries), label="arrival")
    got = merge(iter(arrival))  # any iterable, read once
    assert got == expected
    assert msgspec.to_builtins(got) == msgspec.to_builtins(expected)


@pytest.mark.slow
@PROPERTIES
@given(st.data())
def test_equivalent_spellings_of_the_same_revisions_give_the_same_result(data: st.DataObject) -> None:
    """A resend spelled otherwise (case of ids, 4.0 for 4, order of sets, offset of times, nulls)."""
    dag = data.draw(dags(odd=True), label="dag")
    respelled = []
    for doc, rank in dag:
        doc = copy.deepcopy(doc)
        doc["rev_id"] = doc["rev_id"].upper()
        doc["parents"] = [p.upper() for p in reversed(doc["parents"])] + doc["parents"][:1]
        doc["staff_ids"] = list(reversed(doc["staff_ids"])) + doc["staff_ids"][:1]
        doc["started_at"] = {
            "2026-10-14T10:32:05+05:00": "2026-10-14T05:32:05.000Z",
            "2026-10-14T05:32:05Z": "2026-10-14T10:32:05.000+05:00",
            "2026-10-14T05:40:00.000Z": "2026-10-14T08:40:00+03:00",
        }[doc["started_at"]]
        doc["assignment_id"] = None
        doc["finished_at"] = None
        for answer in doc["answers"]:
            answer.setdefault("comment", None)
            answer.setdefault("evidence", None)
            if answer.get("na") is False:
                del answer["na"]
            if isinstance(answer.get("value"), int) and not isinstance(answer["value"], bool):
                answer["value"] = float(answer["value"])
            if answer["evidence"]:
                answer["evidence"] = [e.upper() for e in answer["evidence"]]
        doc["answers"].reverse()
        respelled.append((doc, rank))
    assert merge(inputs_of(respelled)) == merge(inputs_of(dag))


UNKNOWN_FIELDS = [
    ("top", lambda doc: doc | {"app_build": "7.1"}),
    ("answer", lambda doc: answered(doc, "Q1", photo_angle=30.0)),
    ("location", lambda doc: doc | {"location": {"lat": 43.0, "lon": 76.95, "floor": 2}}),
    ("checklist", lambda doc: doc | {"checklist": {"id": "example", "version": 1, "title": "x"}}),
]


@PROPERTIES
@given(dags(odd=True), st.booleans())
def test_wire_and_object_decoding_agree(dag: list[tuple[dict, str]], respell: bool) -> None:
    """A push's bytes take a typed fast path; its canonical form equals the general one's."""
    for doc, _ in dag:
        if respell:
            doc = spelled(doc, {"finished_at": None, "location": {"lat": 43, "lon": 77.0, "accuracy_m": 5.0}})
        fast = decode_revision(msgspec.json.encode(doc))
        general = decode_revision(copy.deepcopy(doc))
        assert isinstance(fast, Decoded) and isinstance(general, Decoded)
        assert type(fast.revision) is not type(general.revision)  # the typed path was taken
        assert fast.canonical_json == general.canonical_json
        assert fast.sha256 == general.sha256
        assert fast.canonical == general.canonical
        # As a push worker hands it over: the canonical form comes back from its JSON, the typed
        # revision from the bytes sent.
        handed = msgspec.msgpack.decode(msgspec.msgpack.encode(fast), type=Decoded)
        handed.keep_raw(msgspec.json.encode(doc))
        assert handed.canonical == fast.canonical
        assert handed.revision == fast.revision


@pytest.mark.parametrize("add", [u[1] for u in UNKNOWN_FIELDS], ids=[u[0] for u in UNKNOWN_FIELDS])
def test_unknown_fields_on_the_wire_are_kept_and_hashed(add) -> None:
    doc = add(revision(R))
    decoded = decode_revision(msgspec.json.encode(doc))
    assert isinstance(decoded, Decoded)
    assert decoded.canonical_json == decode_revision(doc).canonical_json
    assert decoded.sha256 != decode_revision(msgspec.json.encode(revision(R))).sha256


@pytest.mark.parametrize("item", ["Q1", "BR-01.1", "a" * 64, "a" * 65, "", "ab c", "é", "Q1\n", "Q\u00001"])
def test_item_ids_are_judged_alike_on_both_paths(item: str) -> None:
    """The fast path checks item ids itself (once per distinct id); the general path with msgspec."""
    doc = revision(R)
    doc["answers"][0]["item"] = item
    for _ in range(2):  # the second time from what the fast path remembers
        fast = decode_revision(msgspec.json.encode(doc))
        general = decode_revision(copy.deepcopy(doc))
        assert type(fast) is type(general)
        if isinstance(general, Decoded):
            assert fast.canonical_json == general.canonical_json
        else:
            assert fast.path == general.path == "answers[0].item"
            assert fast.message == general.message


# --- 10. heads, and what any complete DAG's view must satisfy ------------------------------------


@pytest.mark.slow
@PROPERTIES
@given(dags())
def test_complete_dag_view_follows_its_heads(dag: list[tuple[dict, str]]) -> None:
    inputs = inputs_of(dag)
    by_id = {i.rev_id: i for i in inputs}
    result = merge(inputs)

    assert result.version == 1
    assert result.merged == sorted(by_id)
    assert result.pending == {}
    assert result.checklist_changed == []
    named = {p for i in inputs for p in i.parents}
    assert result.heads == sorted(set(by_id) - named)

    view = view_fields(result)
    head_fields = [fields_of(by_id[h].content) for h in result.heads]
    universe = {f for i in inputs for f in fields_of(i.content)}
    conflicts = {c.field: c for c in result.conflicts}
    assert len(conflicts) == len(result.conflicts)
    assert set(result.attribution) == universe
    for field in universe:
        kept = view.get(field, ABSENT)
        on_heads = {hf.get(field, ABSENT) for hf in head_fields}
        # Every candidate value lives on in some head (descendants that do not set it keep it).
        assert kept in on_heads, field
        if len(on_heads) == 1:
            assert field not in conflicts, field
        # The view's value is that of the revision it is attributed to.
        assert fields_of(by_id[result.attribution[field]].content).get(field, ABSENT) == kept, field
    if len(result.heads) == 1:
        assert result.conflicts == []
        assert view == {f: v for f, v in head_fields[0].items() if v != ABSENT}

    for field, conflict in conflicts.items():
        assert field != "state"  # submitted wins, never a conflict
        winner = by_id[conflict.rev_id]
        assert conflict.rev_id == result.attribution[field]
        assert canon(conflict.value) == canon(msgspec.json.decode(view[field]))
        assert conflict.losing
        for lost in conflict.losing:
            loser = by_id[lost["rev_id"]]
            assert canon(lost["value"]) == canon(msgspec.json.decode(fields_of(loser.content)[field]))
            assert canon(lost["value"]) != canon(conflict.value)
            assert precedence(winner) > precedence(loser)
            assert canon(lost["value"]) in {canon(msgspec.json.decode(hf[field])) for hf in head_fields}


def test_heads_of_a_diamond_and_a_branch() -> None:
    # R -> A, R -> B, (A, B) -> M; R -> C: heads are M and C, not R, A or B.
    docs = [
        revision(R),
        answered(revision(A, [R]), "Q1", value=False),
        answered(revision(B, [R]), "Q2", value=5),
        answered(answered(revision(M, [A, B]), "Q1", value=False), "Q2", value=5),
        revision(C, [R], state="submitted"),
    ]
    result = merge(merge_input(d) for d in docs)
    assert result.heads == sorted([M, C])
    assert result.merged == sorted([R, A, B, M, C])
    assert result.conflicts == []
    assert view_answer(result, "Q1")["value"] is False
    assert view_answer(result, "Q2")["value"] == 5
    assert result.view["state"] == "submitted"
    # M differs from one of its parents on each, so M sets both (DESIGN: "differs from ... at least one").
    assert result.attribution["answers[Q1].value"] == M
    assert result.attribution["answers[Q2].value"] == M
    assert result.attribution["answers[Q3].value"] == R
    assert result.attribution["state"] == C


# --- 2. a revision beats its ancestors whatever the clocks say -----------------------------------

CHILD_BEATS_PARENT = [
    # name, (parent rank, parent hlc, parent id), (child rank, child hlc, child id)
    ("child has the smaller hlc", ("auditor", hlc(9000), A), ("auditor", hlc(1000), B)),
    ("child has no hlc", ("auditor", hlc(9000), A), ("auditor", None, B)),
    ("child is an auditor, parent a reviewer", ("reviewer", None, A), ("auditor", hlc(9000), B)),
    ("child has the smaller rev_id", ("auditor", None, B), ("auditor", None, A)),
    ("everything favours the parent", ("reviewer", hlc(9000), B), ("auditor", None, A)),
]


@pytest.mark.parametrize(
    ("parent", "child"), [c[1:] for c in CHILD_BEATS_PARENT], ids=[c[0] for c in CHILD_BEATS_PARENT]
)
def test_child_beats_its_parent_whatever_the_clocks(parent: tuple, child: tuple) -> None:
    p_rank, p_hlc, p_id = parent
    c_rank, c_hlc, c_id = child
    root = revision(R, hlc=hlc(5000))
    first = revision(p_id, [R], hlc=p_hlc, state="submitted")
    first = answered(first, "Q1", value=False, comment="грубо")
    second = revision(c_id, [p_id], hlc=c_hlc, state="draft")
    second = answered(second, "Q1", value="partial", comment="исправлено")
    result = merge([merge_input(root), merge_input(first, p_rank), merge_input(second, c_rank)])
    assert result.conflicts == []
    assert result.heads == [c_id]
    assert view_answer(result, "Q1") == {
        "item": "Q1",
        "value": "partial",
        "na": False,
        "comment": "исправлено",
        "evidence": None,
    }
    assert result.view["state"] == "draft"  # a later draft beats an earlier submitted
    assert result.attribution["answers[Q1].value"] == c_id
    assert result.attribution["answers[Q1].comment"] == c_id
    assert result.attribution["state"] == c_id
    assert result.attribution["answers[Q2].value"] == R


@pytest.mark.slow
@PROPERTIES
@given(
    st.lists(
        st.tuples(st.sampled_from(["auditor", "reviewer"]), st.none() | st.integers(0, 3)),
        min_size=2,
        max_size=6,
    ),
    st.permutations(range(1, 7)),
)
def test_last_of_a_chain_wins_whatever_the_clocks(steps: list[tuple[str, int | None]], order: list[int]) -> None:
    values = ["v0", "v1", "v2", "v3", "v4", "v5"]
    ids = [rid(k) for k in order[: len(steps)]]
    inputs = []
    for i, (rank, clock) in enumerate(steps):
        doc = revision(ids[i], ids[i - 1 : i], hlc=None if clock is None else hlc(clock))
        doc = answered(doc, "Q3", value=values[i])
        inputs.append(merge_input(doc, rank))
    result = merge(inputs)
    assert result.conflicts == []
    assert result.heads == [ids[-1]]
    assert view_answer(result, "Q3")["value"] == values[len(steps) - 1]
    assert result.attribution["answers[Q3].value"] == ids[-1]
    assert result.attribution["answers[Q1].value"] == ids[0]


# --- 3. concurrent edits: a conflict, its winner, and its resolution -------------------------------

# The concurrent pair: A and B edit Q1 from the root's `true`. Expected winner worked out by hand.
WINNERS = [
    # name, A (rank, hlc, id), B (rank, hlc, id), winner
    ("reviewer beats a later auditor", ("reviewer", None, A), ("auditor", hlc(9000), B), "A"),
    ("larger hlc wins", ("auditor", hlc(5000), A), ("auditor", hlc(3000), B), "A"),
    ("larger hlc counter wins", ("auditor", hlc(5000, 2), A), ("auditor", hlc(5000, 1), B), "A"),
    ("missing hlc is smallest", ("auditor", None, A), ("auditor", hlc(0), B), "B"),
    ("same hlc: larger rev_id", ("auditor", hlc(5000), A), ("auditor", hlc(5000), B), "B"),
    ("no hlc: larger rev_id", ("reviewer", None, B), ("reviewer", None, A), "A"),
    (
        "rev_id compared lower-case",
        ("auditor", None, "aaaaaaaa-0000-4000-8000-000000000000"),
        ("auditor", None, "BBBBBBBB-0000-4000-8000-000000000000"),
        "B",
    ),
]


def concurrent_pair(a: tuple, b: tuple, a_value: object = False, b_value: object = "partial") -> list[MergeInput]:
    (a_rank, a_hlc, a_id), (b_rank, b_hlc, b_id) = a, b
    return [
        merge_input(answered(revision(R, hlc=hlc(1)), "Q1", value="unset")),
        merge_input(answered(revision(a_id, [R], hlc=a_hlc), "Q1", value=a_value), a_rank),
        merge_input(answered(revision(b_id, [R], hlc=b_hlc), "Q1", value=b_value), b_rank),
    ]


@pytest.mark.parametrize(("a", "b", "winner"), [w[1:] for w in WINNERS], ids=[w[0] for w in WINNERS])
def test_concurrent_edits_conflict_and_the_order_picks_the_winner(a: tuple, b: tuple, winner: str) -> None:
    a_id, b_id = a[2].lower(), b[2].lower()
    win, lose = ((a_id, False), (b_id, "partial")) if winner == "A" else ((b_id, "partial"), (a_id, False))
    result = merge(concurrent_pair(a, b))
    assert result.conflicts == [
        Conflict(
            field="answers[Q1].value",
            value=[win[1], False],
            rev_id=win[0],
            losing=[{"value": [lose[1], False], "rev_id": lose[0]}],
        )
    ]
    assert result.heads == sorted([a_id, b_id])
    assert view_answer(result, "Q1")["value"] == win[1]
    assert result.attribution["answers[Q1].value"] == win[0]
    assert result.attribution["answers[Q1].comment"] == R  # the other fields of Q1 are untouched


@pytest.mark.slow
@PROPERTIES
@given(
    st.tuples(st.sampled_from(["auditor", "reviewer"]), st.none() | st.integers(0, 2), st.integers(1, 4)),
    st.tuples(st.sampled_from(["auditor", "reviewer"]), st.none() | st.integers(0, 2), st.integers(5, 8)),
    st.booleans(),
)
def test_winner_of_two_concurrent_edits_follows_the_order(a: tuple, b: tuple, a_first: bool) -> None:
    """The winner by hand-written rules: rank, then hlc (absent smallest), then rev_id (b's is larger)."""
    a_side = (a[0], None if a[1] is None else hlc(a[1]), rid(a[2]))
    b_side = (b[0], None if b[1] is None else hlc(b[1]), rid(b[2]))
    if a[0] != b[0]:
        a_wins = a[0] == "reviewer"
    elif a[1] != b[1]:
        a_wins = b[1] is None or (a[1] is not None and a[1] > b[1])
    else:
        a_wins = False  # equal clocks: the larger rev_id, always b's here
    inputs = concurrent_pair(a_side, b_side)
    if not a_first:
        inputs.reverse()
    result = merge(inputs)
    win, lose = ((rid(a[2]), False), (rid(b[2]), "partial")) if a_wins else ((rid(b[2]), "partial"), (rid(a[2]), False))
    assert result.conflicts == [
        Conflict(
            field="answers[Q1].value",
            value=[win[1], False],
            rev_id=win[0],
            losing=[{"value": [lose[1], False], "rev_id": lose[0]}],
        )
    ]


@pytest.mark.parametrize("keep", [False, "partial", 3])
@pytest.mark.parametrize("winner", ["A", "B"])
def test_resolving_revision_naming_all_heads_clears_the_conflict(winner: str, keep: object) -> None:
    # A wins by hlc or by rank: the resolution, an auditor with no hlc, still decides.
    a, b = (
        (("auditor", hlc(5000), A), ("auditor", hlc(3000), B))
        if winner == "A"
        else (("auditor", None, A), ("reviewer", None, B))
    )
    inputs = concurrent_pair(a, b)
    assert len(merge(inputs).conflicts) == 1
    resolution = answered(revision(M, [B, A]), "Q1", value=keep)
    result = merge([*inputs, merge_input(resolution)])
    assert result.conflicts == []
    assert result.heads == [M]
    assert canon(view_answer(result, "Q1")["value"]) == canon(keep)
    assert result.attribution["answers[Q1].value"] == M


def test_revision_naming_only_one_head_keeps_the_conflict() -> None:
    inputs = concurrent_pair(("auditor", hlc(5000), A), ("auditor", hlc(3000), B))
    # M follows B only and changes Q1 again: still concurrent with A, and M wins neither by order.
    follow_up = answered(revision(M, [B]), "Q1", value="none")
    result = merge([*inputs, merge_input(follow_up)])
    assert result.heads == sorted([A, M])
    assert result.conflicts == [
        Conflict(
            field="answers[Q1].value", value=[False, False], rev_id=A, losing=[{"value": ["none", False], "rev_id": M}]
        )
    ]


def test_three_concurrent_values_list_every_loser() -> None:
    docs = [
        (revision(R), "auditor"),
        (answered(revision(A, [R], hlc=hlc(3)), "Q2", value=1), "auditor"),
        (answered(revision(B, [R], hlc=hlc(2)), "Q2", value=2), "reviewer"),
        (answered(revision(C, [R], hlc=hlc(1)), "Q2", value=3), "auditor"),
    ]
    result = merge(merge_input(d, rank) for d, rank in docs)
    assert len(result.conflicts) == 1
    conflict = result.conflicts[0]
    assert (conflict.field, conflict.value, conflict.rev_id) == ("answers[Q2].value", [2, False], B)
    assert sorted(conflict.losing, key=lambda lost: lost["rev_id"]) == [
        {"value": [1, False], "rev_id": A},
        {"value": [3, False], "rev_id": C},
    ]


def test_candidates_with_the_winning_value_are_not_losers() -> None:
    docs = [
        (revision(R), "auditor"),
        (answered(revision(A, [R]), "Q2", value=1), "reviewer"),
        (answered(revision(B, [R], hlc=hlc(9)), "Q2", value=1.0), "auditor"),
        (answered(revision(C, [R], hlc=hlc(1)), "Q2", value=2), "auditor"),
    ]
    result = merge(merge_input(d, rank) for d, rank in docs)
    assert result.conflicts == [
        Conflict(field="answers[Q2].value", value=[1, False], rev_id=A, losing=[{"value": [2, False], "rev_id": C}])
    ]


# --- 4. state: submitted wins, never a conflict --------------------------------------------------


@pytest.mark.parametrize("draft_rank", ["auditor", "reviewer"])
def test_concurrent_draft_and_submitted_give_submitted_without_conflict(draft_rank: str) -> None:
    # R draft -> A submitted -> A2 draft again (the later, higher-ranked edit); R -> B submitted.
    docs = [
        (revision(R, state="draft"), "auditor"),
        (revision(A, [R], hlc=hlc(2), state="submitted"), "auditor"),
        (revision(C, [A], hlc=hlc(9), state="draft"), draft_rank),
        (revision(B, [R], hlc=hlc(1), state="submitted"), "auditor"),
    ]
    result = merge(merge_input(d, rank) for d, rank in docs)
    assert result.heads == sorted([B, C])
    assert result.view["state"] == "submitted"
    assert result.attribution["state"] == B
    assert result.conflicts == []


# --- 5. pending: a child before its parent --------------------------------------------------------


def test_child_before_its_parent_is_pending_then_joins() -> None:
    root = merge_input(revision(R))
    child = merge_input(answered(revision(A, [R]), "Q1", value=False))
    early = merge([child])
    assert early == MergeResult(
        version=None,
        merged=[],
        heads=[],
        pending={A: [R]},
        checklist_changed=[],
        view=None,
        conflicts=[],
        attribution={},
    )
    later = merge([child, root])
    assert later == merge([root, child])
    assert later.pending == {}
    assert later.merged == sorted([R, A])
    assert later.heads == [A]
    assert view_answer(later, "Q1")["value"] is False


def test_child_of_a_merged_revision_with_another_parent_missing_is_pending() -> None:
    root = merge_input(revision(R))
    child = merge_input(answered(revision(A, [R, MISSING]), "Q1", value=False))
    result = merge([root, child])
    assert result.merged == [R]
    assert result.heads == [R]
    assert result.pending == {A: [MISSING]}
    assert view_answer(result, "Q1")["value"] is True
    assert result.attribution["answers[Q1].value"] == R


@pytest.mark.slow
@PROPERTIES
@given(st.data())
def test_revisions_missing_ancestors_wait_and_join_when_they_arrive(data: st.DataObject) -> None:
    inputs = inputs_of(data.draw(dags(), label="dag"))
    held = data.draw(st.sets(st.sampled_from(range(len(inputs))), min_size=1), label="held back")
    present = [rev for i, rev in enumerate(inputs) if i not in held]
    stored = {rev.rev_id for rev in present}
    mergeable: set[str] = set()
    for rev in inputs:  # parents come first
        if rev.rev_id in stored and all(p in mergeable for p in rev.parents):
            mergeable.add(rev.rev_id)

    partial = merge(present)
    assert partial.merged == sorted(mergeable)
    assert partial.pending == {
        rev.rev_id: sorted(p for p in rev.parents if p not in stored) for rev in present if rev.rev_id not in mergeable
    }
    assert partial.checklist_changed == []
    # Pending revisions are left out: the rest is the merge of the mergeable ones alone.
    alone = merge(rev for rev in present if rev.rev_id in mergeable)
    assert msgspec.structs.replace(partial, pending={}, version=alone.version) == alone
    # When the held-back ones arrive, in any order, the result is that of everything at once.
    late = data.draw(st.permutations([inputs[i] for i in sorted(held)]), label="late")
    assert merge(present + late) == merge(inputs)


# --- 6. removing a comment is an edit --------------------------------------------------------------


@pytest.mark.parametrize("removal", [{"comment": DROP}, {"comment": None}], ids=["left out", "null"])
def test_removing_a_comment_is_an_edit(removal: dict) -> None:
    root = revision(R, hlc=hlc(9000))
    child = answered(revision(A, [R], hlc=hlc(1)), "Q1", **removal)
    result = merge([merge_input(root, "reviewer"), merge_input(child)])
    assert view_answer(result, "Q1")["comment"] is None
    assert result.attribution["answers[Q1].comment"] == A
    assert result.conflicts == []


@pytest.mark.parametrize("removal", [{"comment": DROP}, {"comment": None}], ids=["left out", "null"])
def test_removal_of_a_comment_beats_a_concurrent_revision_that_kept_it(removal: dict) -> None:
    root = revision(R)
    remover = answered(revision(A, [R]), "Q1", **removal)
    other = answered(revision(B, [R], hlc=hlc(9000)), "Q2", value=5)  # keeps the comment, edits Q2
    result = merge([merge_input(root), merge_input(remover), merge_input(other, "reviewer")])
    assert result.conflicts == []
    assert view_answer(result, "Q1")["comment"] is None
    assert view_answer(result, "Q2")["value"] == 5
    assert result.attribution["answers[Q1].comment"] == A


# --- 7. what is and is not the same value -----------------------------------------------------------

DIFFERENT_VALUES = [(True, 1), (False, 0), (1, True), ("4", 4), (None, False), (4, 4.5)]


@pytest.mark.parametrize(("before", "after"), DIFFERENT_VALUES)
def test_change_to_a_different_json_value_is_an_edit(before: object, after: object) -> None:
    root = answered(revision(R), "Q2", value=before)
    child = answered(revision(A, [R]), "Q2", value=after)
    result = merge([merge_input(root), merge_input(child)])
    assert canon(view_answer(result, "Q2")["value"]) == canon(after)
    assert result.attribution["answers[Q2].value"] == A


@pytest.mark.parametrize(("a_value", "b_value"), DIFFERENT_VALUES)
def test_concurrent_different_json_values_conflict(a_value: object, b_value: object) -> None:
    result = merge(concurrent_pair(("auditor", None, A), ("auditor", None, B), a_value, b_value))
    # No hlc, same rank: the larger rev_id (B) wins.
    assert result.conflicts == [
        Conflict(
            field="answers[Q1].value",
            value=[b_value, False],
            rev_id=B,
            losing=[{"value": [a_value, False], "rev_id": A}],
        )
    ]
    assert canon(result.conflicts[0].value[0]) == canon(b_value)
    assert canon(result.conflicts[0].losing[0]["value"][0]) == canon(a_value)


# name, field, spelling in A (and the root), spelling in B, a third value for the root
SAME_VALUES = [
    ("4.0 is 4", "answers[Q2].value", {"Q2": {"value": 4}}, {"Q2": {"value": 4.0}}, {"Q2": {"value": 3}}),
    (
        "+05:00 is Z",
        "started_at",
        {"started_at": "2026-10-14T10:32:05+05:00"},
        {"started_at": "2026-10-14T05:32:05.000Z"},
        {"started_at": "2026-10-15T10:32:05+05:00"},
    ),
    ("staff order", "staff_ids", {"staff_ids": ["E1", "E2"]}, {"staff_ids": ["E2", "E1"]}, {"staff_ids": ["E3"]}),
    (
        "evidence order and case",
        "answers[Q3].evidence",
        {"Q3": {"evidence": ["ab" * 32, "cd" * 32]}},
        {"Q3": {"evidence": ["CD" * 32, "AB" * 32]}},
        {"Q3": {"evidence": []}},
    ),
    (
        "comment null is left out",
        "answers[Q1].comment",
        {"Q1": {"comment": None}},
        {"Q1": {"comment": DROP}},
        {"Q1": {"comment": "x"}},
    ),
    ("na false is left out", "answers[Q2].value", {"Q2": {"na": False}}, {"Q2": {"na": DROP}}, {"Q2": {"value": 3}}),
    (
        "finished_at null is left out",
        "finished_at",
        {"finished_at": None},
        {"finished_at": DROP},
        {"finished_at": "2026-10-14T06:00:00Z"},
    ),
    (
        "location accuracy_m null is left out",
        "location",
        {"location": {"lat": 43.25, "lon": 76.95, "accuracy_m": None}},
        {"location": {"lat": 43.25, "lon": 76.95}},
        {"location": {"lat": 43.0, "lon": 76.0}},
    ),
    (
        "location 43.0 is 43",
        "location",
        {"location": {"lat": 43, "lon": 76.95}},
        {"location": {"lat": 43.0, "lon": 76.95}},
        {"location": {"lat": 42.0, "lon": 76.0}},
    ),
]


def spelled(doc: dict, spelling: dict) -> dict:
    doc = copy.deepcopy(doc)
    for key, value in spelling.items():
        if key.startswith("Q"):
            doc = answered(doc, key, **value)
        elif value is DROP:
            doc.pop(key, None)
        else:
            doc[key] = copy.deepcopy(value)
    return doc


@pytest.mark.parametrize(
    ("field", "first", "second", "_"), [s[1:] for s in SAME_VALUES], ids=[s[0] for s in SAME_VALUES]
)
def test_same_value_spelled_otherwise_is_no_edit(field: str, first: dict, second: dict, _: dict) -> None:
    root = spelled(revision(R), first)
    child = spelled(revision(A, [R], hlc=hlc(9)), second)
    result = merge([merge_input(root), merge_input(child, "reviewer")])
    assert result.attribution[field] == R
    assert result.conflicts == []
    assert fields_of(merge_input(root).content)[field] == fields_of(merge_input(child).content)[field]


@pytest.mark.parametrize(
    ("field", "first", "second", "third"), [s[1:] for s in SAME_VALUES], ids=[s[0] for s in SAME_VALUES]
)
def test_same_value_spelled_otherwise_is_no_conflict(field: str, first: dict, second: dict, third: dict) -> None:
    root = spelled(revision(R), third)
    a = spelled(revision(A, [R]), first)
    b = spelled(revision(B, [R]), second)
    result = merge([merge_input(root), merge_input(a), merge_input(b)])
    assert result.conflicts == []
    assert result.attribution[field] == B  # both set it; same rank, no hlc: the larger rev_id
    assert view_fields(result)[field] == fields_of(merge_input(a).content)[field]


# --- 8. another checklist version ------------------------------------------------------------------


def test_revision_naming_another_checklist_version_is_left_out() -> None:
    root = merge_input(revision(R, version=1))
    moved = merge_input(answered(revision(A, [R], version=2, hlc=hlc(9)), "Q1", value=False), "reviewer")
    kept = merge_input(answered(revision(B, [R], version=1), "Q2", value=5))
    for arrival in ([root, moved, kept], [moved, kept, root]):
        result = merge(arrival)
        assert result.version == 1
        assert result.checklist_changed == [A]
        assert result.merged == sorted([R, B])
        assert result.pending == {}
        assert result.heads == [B]
        assert result.conflicts == []
        assert view_answer(result, "Q1")["value"] is True
        assert view_answer(result, "Q2")["value"] == 5
        assert result.view["checklist"] == {"id": "example", "version": 1}


# --- 9. released revisions ----------------------------------------------------------------------------


def test_released_revision_with_missing_parents_is_merged() -> None:
    root = revision(R)
    orphan = answered(revision(A, [R, MISSING], hlc=hlc(1)), "Q2", value=5)
    held = merge([merge_input(root), merge_input(orphan)])
    assert held.pending == {A: [MISSING]}
    assert held.heads == [R]

    result = merge([merge_input(root, "reviewer"), merge_input(orphan, released=True)])
    assert result.pending == {}
    assert result.merged == sorted([R, A])
    assert result.heads == [A]
    assert result.conflicts == []
    assert view_answer(result, "Q2")["value"] == 5
    assert result.attribution["answers[Q2].value"] == A
    # The parent that is stored still counts: A does not set what it kept from R.
    assert result.attribution["answers[Q1].value"] == R


def test_released_revision_alone_gives_the_view() -> None:
    orphan = answered(revision(A, [MISSING]), "Q1", value="partial", comment=DROP)
    child = answered(orphan | {"rev_id": B, "parents": [A]}, "Q2", value=1)
    result = merge([merge_input(child), merge_input(orphan, released=True)])
    assert result.version == 1
    assert result.merged == sorted([A, B])
    assert result.pending == {}
    assert result.heads == [B]
    assert view_answer(result, "Q1") == {
        "item": "Q1",
        "value": "partial",
        "na": False,
        "comment": None,
        "evidence": None,
    }
    assert view_answer(result, "Q2")["value"] == 1
    assert result.attribution["answers[Q1].value"] == A  # a released orphan sets every field
    assert result.attribution["answers[Q2].value"] == B
