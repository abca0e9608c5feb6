"""The decision half of a push, without a database: `classify` maps what a transaction read to a plan.

Each row of the table is a push and what the store holds; the plan must give every revision its
verdict and hold exactly the rows to write. Nothing here touches SQLite: `classify` is pure.
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

import msgspec
import pytest

from checklists.score import ChecklistIndex
from checklists.validate import load_checklist
from server.store.sync import Lookups, UnitRow
from server.sync.prepare import Author, Checked, NewVisit, PushWork
from server.sync.push import Duplicate, Plan, Quarantined, Rejected, Seen, Stored, Verdict, classify
from server.sync.quarantine import Problem
from server.sync.revision import Decoded, decode_revision
from tests.conftest import EXAMPLE_CHECKLIST
from tests.tablet import PASSING, Tablet

TZ = ZoneInfo("Asia/Almaty")
AT = "2026-10-20T08:00:00.000Z"
DEVICE = "5f0c8a1e-2b7d-4c3a-9e61-0d4f7b2a9c10"
INDEX = ChecklistIndex(load_checklist(EXAMPLE_CHECKLIST.read_bytes()).checklist)
AIGERIM = Author(name="aigerim", rank="auditor", device_id=DEVICE, token_prefix="", offset_ms=1500)
DANA = Author(name="dana", rank="auditor", device_id=DEVICE, token_prefix="", offset_ms=0)
REVIEWER = Author(name="lead", rank="reviewer", device_id=None, token_prefix="", offset_ms=0)
ARRIVAL = 41


def _tablet() -> Tablet:
    return Tablet({"Tekseru-Device-Id": DEVICE})


def _decoded(revision: dict | bytes) -> Decoded:
    return decode_revision(msgspec.json.encode(revision) if isinstance(revision, dict) else revision)


def _seen(
    known: dict[str, tuple[str, str]] | None = None,
    held: dict[str, dict] | None = None,
    owners: dict[str, str] | None = None,
    units: dict[str, UnitRow] | None = None,
    staff: dict[str, bool] | None = None,
    blobs: set[str] | None = None,
    parents_of: dict[str, list[str]] | None = None,
) -> Seen:
    return Seen(
        found=Lookups(
            known=known or {},
            held=held or {},
            owners=owners or {},
            units={"U1": UnitRow(kind="branch", active=True)} if units is None else units,
            staff={"E1": True} if staff is None else staff,
            blobs=blobs or set(),
        ),
        parents_of=parents_of or {},
        indexes={("example", 1): INDEX},
        arrival=ARRIVAL,
    )


def _plan(revisions: list, seen: Seen, author: Author = AIGERIM, **kwargs) -> Plan:
    decoded = [r if not isinstance(r, dict | bytes) else _decoded(r) for r in revisions]
    work = kwargs.pop("work", None) or PushWork(revisions=decoded, checked={}, new={})
    return classify(work, seen, author, AT, **kwargs)


def _codes(plan: Plan) -> list[str]:
    out = []
    for verdict in plan.verdicts:
        match verdict:
            case Stored():
                out.append("stored")
            case Duplicate():
                out.append("duplicate")
            case Quarantined(problem=p) | Rejected(problem=p):
                out.append(f"{type(verdict).__name__.lower()}:{p.code}")
    return out


def test_a_new_visit_is_stored_with_the_next_arrival_number_and_a_new_submission():
    revision = _tablet().revision()
    plan = _plan([revision], _seen())
    assert plan.verdicts == [Stored()]
    assert plan.new_submissions == [(revision["submission_id"], "aigerim", AT)]
    ((rev_id, sub_id, *_, arrival),) = plan.revisions
    assert (rev_id, sub_id, arrival) == (revision["rev_id"], revision["submission_id"], ARRIVAL)
    assert plan.next_arrival == ARRIVAL + 1
    assert plan.owners[sub_id] == "aigerim"
    assert list(plan.fresh) == [sub_id] and plan.quarantine == []


def test_a_child_sent_before_its_parent_is_stored_after_it():
    tablet = _tablet()
    root = tablet.revision(state="draft")
    child = tablet.edit(root, state="submitted")
    plan = _plan([child, root], _seen())
    assert plan.verdicts == [Stored(), Stored()]
    assert [(row[0], row[-1]) for row in plan.revisions] == [(root["rev_id"], ARRIVAL), (child["rev_id"], ARRIVAL + 1)]
    assert plan.new_submissions == [(root["submission_id"], "aigerim", AT)]


STORED_SUB = str(uuid.uuid4())


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("the same revision stored", Duplicate(STORED_SUB)),
        ("other content under a stored rev_id", "rev_id_reused"),
        ("another auditor's stored rev_id", "rev_id_reused"),
    ],
)
def test_a_stored_rev_id(case, expected):
    revision = _tablet().revision()
    decoded = _decoded(revision)
    sha = decoded.sha256 if case != "other content under a stored rev_id" else "0" * 64
    owner = "dana" if case == "another auditor's stored rev_id" else "aigerim"
    plan = _plan([decoded], _seen(known={decoded.rev_id: (sha, STORED_SUB)}, owners={STORED_SUB: owner}))
    (verdict,) = plan.verdicts
    if isinstance(expected, Duplicate):
        assert verdict == expected
    else:
        assert isinstance(verdict, Rejected) and verdict.problem.code == expected
        # Another auditor's revision: nothing of its submission is named.
        assert verdict.submission_id == (None if owner == "dana" else STORED_SUB)
    assert plan.revisions == [] and plan.new_submissions == [] and plan.next_arrival == ARRIVAL


def test_the_same_revision_twice_in_a_push_is_stored_once():
    revision = _tablet().revision()
    plan = _plan([revision, revision], _seen())
    assert plan.verdicts == [Stored(), Duplicate(None)]
    assert len(plan.revisions) == 1


def test_a_quarantined_revision_sent_again_stays_quarantined_with_its_first_reason():
    revision = _tablet().revision()
    decoded = _decoded(revision)
    held = {"sha256": decoded.sha256, "code": "unknown_unit", "reason": "no unit U9", "path": "unit_id"}
    plan = _plan([decoded], _seen(held={decoded.rev_id: held | {"author": "aigerim"}}))
    assert plan.verdicts == [Quarantined(Problem(code="unknown_unit", message="no unit U9", path="unit_id"))]
    assert plan.quarantine == []


@pytest.mark.parametrize(
    ("revision", "author", "seen", "scope", "expected"),
    [
        (b'{"rev_id": 5}', AIGERIM, {}, None, "rejected:unidentifiable"),
        (None, AIGERIM, {"owners": "dana"}, None, "rejected:not_owner"),
        (None, REVIEWER, {}, None, "rejected:not_found"),
        (None, REVIEWER, {"owners": "aigerim"}, "another", "rejected:wrong_submission"),
        ({"unit_id": "U9"}, AIGERIM, {}, None, "quarantined:unknown_unit"),
        ({"staff_ids": ["E1"]}, AIGERIM, {"staff": {"E1": False}}, None, "quarantined:inactive_staff"),
        ({"checklist": {"id": "example", "version": 2}}, AIGERIM, {}, None, "quarantined:unknown_checklist_version"),
        ({"hlc": "0001700000000000:0001:" + str(uuid.uuid4())}, AIGERIM, {}, None, "quarantined:invalid_hlc"),
        ({"started_at": "1999-12-31T23:00:00+05:00"}, AIGERIM, {}, None, "quarantined:time_out_of_range"),
        ({"parents": [str(uuid.uuid4())]}, AIGERIM, {}, None, "stored"),  # pending: merged once its parent comes
    ],
    ids=[
        "no rev_id",
        "another auditor's visit",
        "a correction of no visit",
        "a correction of another visit",
        "unknown unit",
        "inactive staff",
        "unpublished checklist version",
        "hlc of another device",
        "time out of range",
        "missing parent",
    ],
)
def test_one_revision_table(revision, author, seen, scope, expected):
    decoded = _decoded(revision if isinstance(revision, bytes) else _tablet().revision(**(revision or {})))
    kwargs = dict(seen)
    if "owners" in kwargs:
        kwargs["owners"] = {decoded.submission_id: kwargs["owners"]}
    plan = _plan([decoded], _seen(**kwargs), author, submission_scope=scope)
    assert _codes(plan) == [expected]
    if expected.startswith("quarantined"):
        (row,) = plan.quarantine
        assert row[0] == decoded.rev_id and row[9] == expected.split(":")[1]
        assert plan.revisions == []
    elif expected.startswith("rejected"):
        assert plan.quarantine == [] and plan.revisions == []


def test_a_revision_that_is_not_a_revision_is_quarantined_as_sent():
    raw = b'{"rev_id": "' + str(uuid.uuid4()).encode() + b'", "hello": "tablet"}'
    plan = _plan([raw], _seen())
    assert _codes(plan) == ["quarantined:invalid_shape"]
    assert msgspec.json.decode(plan.quarantine[0][3]) == msgspec.json.decode(raw)  # what was sent, kept


def test_a_replay_that_still_fails_quarantines_again_and_adds_no_row():
    revision = _tablet().revision(unit_id="U9")
    plan = _plan([revision], _seen(), replay_of=7)
    assert _codes(plan) == ["quarantined:unknown_unit"]
    assert plan.requarantine is not None and plan.requarantine.code == "unknown_unit"
    assert plan.quarantine == [] and plan.revisions == []


def test_checks_made_before_the_transaction_are_used_only_while_they_hold():
    revision = _tablet().revision()
    decoded = _decoded(revision)
    odd = Problem(code="from_before", message="the verdict worked out before the transaction", path=None)
    unit = UnitRow(kind="branch", active=True)
    checked = Checked(sha256=decoded.sha256, unit=unit, staff={"E1": True}, indexed=True, problem=odd)
    work = PushWork(revisions=[decoded], checked={decoded.rev_id: checked}, new={})
    assert _codes(_plan([decoded], _seen(), work=work)) == ["quarantined:from_before"]
    # The unit was closed in between: the revision is checked again against what the transaction read.
    closed = _seen(units={"U1": UnitRow(kind="branch", active=False)})
    assert _codes(_plan([decoded], closed, work=work)) == ["quarantined:inactive_unit"]


def test_a_new_visit_worked_out_before_is_ready_only_while_its_blobs_and_its_one_revision_hold():
    tablet = _tablet()
    revision = tablet.revision()
    revision["answers"].append({"item": "CLEAN.2", "evidence": ["ab" * 32]})
    decoded = _decoded(revision)
    visit = NewVisit(blobs=frozenset(), view=None)  # its rows are not looked at here
    work = PushWork(revisions=[decoded], checked={}, new={decoded.rev_id: visit})
    assert list(_plan([decoded], _seen(), work=work).ready) == [decoded.submission_id]
    # The photo arrived in between: the view worked out without it is stale.
    assert _plan([decoded], _seen(blobs={"ab" * 32}), work=work).ready == {}
    # A second revision of the visit came in the same push: the general merge makes its view.
    child = _decoded(tablet.edit(revision, answers=PASSING | {"GREET.1": False}))
    work = PushWork(revisions=[decoded, child], checked={}, new={decoded.rev_id: visit})
    plan = _plan([decoded, child], _seen(), work=work)
    assert plan.verdicts == [Stored(), Stored()] and plan.ready == {}


def test_every_verdict_is_one_of_the_union():
    assert set(Verdict.__args__) == {Stored, Duplicate, Quarantined, Rejected}
