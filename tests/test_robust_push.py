"""Push input that is hostile or unlucky: times, parents, hlc, and any value in a valid body.

Issue 13, items 1 and 8 (API.md, "What hostile and unlucky input gets"): a bad time, a parent
cycle or another device's hlc quarantines its own revision and nothing else; no value inside a
syntactically valid push, correction or pull answers 500; every time served is
`YYYY-MM-DDTHH:MM:SS.sssZ`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import sqlite3
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from server.clock import in_range, iso_utc
from server.services import services_of
from server.settings import Settings
from server.sync.merge import MergeInput, merge, missing_ancestors
from server.sync.revision import canonical_time
from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.tablet import PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
SERVED_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$(?!\n)")
TIME_KEYS = {"received_at", "updated_at", "server_time", "started_at", "finished_at", "corrected_start", "decided_at"}

# Outside 2000-01-01T00:00:00Z..2100-01-01T00:00:00Z, each for its own reason: year 1 and 9999
# at both extreme offsets (9999 at -12:00 cannot be converted to UTC at all), .NET's
# DateTime.MinValue, a year written with three digits, and the edges by a millisecond.
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00-12:00",
    "0001-01-01T00:00:00+14:00",
    "0999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59.999999-12:00",
    "9999-12-31T23:59:59+14:00",
    "1999-12-31T23:59:59.999Z",
    "2000-01-01T13:59:59+14:00",
    "2100-01-01T00:00:00Z",
    "2099-12-31T23:00:00-12:00",
]
IN_RANGE = ["2000-01-01T00:00:00Z", "2000-01-01T14:00:00+14:00", "2099-12-31T23:59:59.999Z"]


def _parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _served_times(body: object) -> list[str]:
    """Every time-valued field in a JSON answer (nested anywhere)."""
    found: list[str] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if key in TIME_KEYS and isinstance(value, str):
                found.append(value)
            else:
                found += _served_times(value)
    elif isinstance(body, list):
        for value in body:
            found += _served_times(value)
    return found


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Push workers off unless a test asks for them (`indirect` parametrization)."""
    return Settings(data_dir=tmp_path / "var", push_workers=getattr(request, "param", 0))


@pytest.fixture
def org(client: TestClient, admin: dict[str, str]) -> dict:
    """The example checklist, a unit and a staff member, two auditors' tablets and a quality lead."""
    response = client.post(
        "/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    client.put("/v1/units/U1", json=UNIT, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    return {
        "a": Tablet(make_user(client, admin, "aigerim", "auditor")),
        "b": Tablet(make_user(client, admin, "daulet", "auditor")),
        "lead": make_user(client, admin, "saule", "quality_lead"),
        "admin": admin,
    }


def _push(client: TestClient, tablet: Tablet, revisions: list[dict], sent_at: str | None = None):
    envelope = tablet.envelope(revisions)
    if sent_at is not None:
        envelope["sent_at"] = sent_at
    return client.post("/v1/sync/push", json=envelope, headers=tablet.headers)


# --- 1. the one format every time is written in ------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        (dt.datetime(1, 1, 1, tzinfo=dt.UTC), "0001-01-01T00:00:00.000Z"),
        (dt.datetime(999, 12, 31, 23, 59, 59, tzinfo=dt.UTC), "0999-12-31T23:59:59.000Z"),
        (dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC), "9999-12-31T23:59:59.999Z"),
        (
            dt.datetime(2026, 10, 14, 10, 32, 5, 123999, tzinfo=dt.timezone(dt.timedelta(hours=5))),
            "2026-10-14T05:32:05.123Z",
        ),
        (dt.datetime(2000, 1, 1, 13, 59, tzinfo=dt.timezone(dt.timedelta(hours=14))), "1999-12-31T23:59:00.000Z"),
    ],
)
def test_iso_utc_always_writes_four_digit_years_and_milliseconds(moment, written):
    assert iso_utc(moment) == written
    assert SERVED_TIME.match(written)


@pytest.mark.parametrize("text", OUT_OF_RANGE + IN_RANGE)
def test_the_range_and_the_canonical_time_never_raise(text):
    moment = _parse(text)
    inside = text in IN_RANGE
    assert in_range(moment) is inside
    canonical = canonical_time(moment)
    if inside:
        assert SERVED_TIME.match(canonical)
    else:
        assert _parse(canonical) == moment  # kept as sent: never converted to UTC


# --- 2. a time out of range is quarantined alone --------------------------------------------------


@pytest.mark.parametrize("field", ["started_at", "finished_at"])
@pytest.mark.parametrize("text", OUT_OF_RANGE)
def test_a_time_out_of_range_is_quarantined_alone_on_the_event_loop(client, org, field, text):
    tablet = org["a"]
    before, bad, after = tablet.revision(), tablet.revision(**{field: text}), tablet.revision()
    receipts = tablet.push(client, [before, bad, after])
    assert [r["status"] for r in receipts] == ["applied", "quarantined", "applied"], receipts
    problem = receipts[1]["problem"]
    assert problem["code"] == "time_out_of_range" and problem["path"] == field
    assert receipts[1]["rev_id"] == bad["rev_id"] and receipts[1]["score"] is None
    (again,) = tablet.push(client, [bad])
    assert again["status"] == "quarantined" and again["problem"]["code"] == "time_out_of_range"
    # The other visits are served with times in the one format.
    doc = client.get(f"/v1/submissions/{after['submission_id']}", headers=tablet.headers).json()
    assert doc["status"] == "received" and all(SERVED_TIME.match(t) for t in _served_times(doc))
    listed = client.get("/v1/admin/quarantine", headers=org["admin"])
    assert listed.status_code == 200
    assert [i["rev_id"] for i in listed.json()["items"]] == [bad["rev_id"]]


@pytest.mark.parametrize("settings", [1], indirect=True, ids=["push_workers=1"])
def test_a_time_out_of_range_is_quarantined_alone_in_a_push_worker(client, org):
    tablet = org["a"]
    revisions = [tablet.revision() for _ in range(6)]
    revisions[1]["started_at"] = "9999-12-31T23:59:59-12:00"
    revisions[3]["finished_at"] = "0001-01-01T00:00:00+00:00"
    revisions[4]["started_at"] = "0999-06-01T12:00:00+14:00"
    receipts = tablet.push(client, revisions)
    assert services_of(client.app).push_workers.running(), "a push of 6 revisions is worked out in a worker"
    assert [r["status"] for r in receipts] == [
        "applied",
        "quarantined",
        "applied",
        "quarantined",
        "quarantined",
        "applied",
    ]
    assert [(r["problem"]["code"], r["problem"]["path"]) for r in receipts if r["problem"]] == [
        ("time_out_of_range", "started_at"),
        ("time_out_of_range", "finished_at"),
        ("time_out_of_range", "started_at"),
    ]
    assert [r["status"] for r in tablet.push(client, revisions)] == [
        "duplicate",
        "quarantined",
        "duplicate",
        "quarantined",
        "quarantined",
        "duplicate",
    ]


@pytest.mark.parametrize("text", [*OUT_OF_RANGE, "0001-01-01T00:00:00"])
def test_a_push_sent_at_a_time_out_of_range_is_400(client, org, text):
    tablet = org["a"]
    response = _push(client, tablet, [tablet.revision()], sent_at=text)
    assert response.status_code == 400 and response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    expected = "invalid_request" if text.endswith("00:00:00") else "time_out_of_range"  # no offset: a shape error
    assert body["code"] == expected and [e["path"] for e in body["errors"]] == ["sent_at"]


@pytest.mark.parametrize("text", IN_RANGE)
def test_a_push_sent_at_the_edges_of_the_range_is_taken(client, org, text):
    tablet = org["a"]
    response = _push(client, tablet, [tablet.revision()], sent_at=text)
    assert response.status_code == 200 and response.json()["receipts"][0]["status"] == "applied"


@pytest.mark.parametrize(
    ("field", "text"),
    [("started_at", "9999-12-31T23:59:59-12:00"), ("finished_at", "0001-01-01T00:00:00+00:00")],
)
def test_a_correction_with_a_time_out_of_range_is_quarantined(client, org, field, text):
    tablet = org["a"]
    visit = tablet.revision()
    tablet.push(client, [visit])
    correction = tablet.edit(visit, **{field: text}) | {"hlc": None}
    response = client.post(f"/v1/submissions/{visit['submission_id']}/revisions", json=correction, headers=org["lead"])
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["status"] == "quarantined" and receipt["problem"]["path"] == field
    assert receipt["problem"]["code"] == "time_out_of_range"
    doc = client.get(f"/v1/submissions/{visit['submission_id']}", headers=org["lead"]).json()
    assert doc["heads"] == [visit["rev_id"]] and all(SERVED_TIME.match(t) for t in _served_times(doc))


# --- 3. parents: self-parents and cycles ----------------------------------------------------------


def test_a_revision_naming_itself_as_a_parent_is_quarantined(client, org):
    tablet = org["a"]
    root = tablet.revision()
    tablet.push(client, [root])
    itself = tablet.edit(root)
    itself["parents"] = [root["rev_id"], itself["rev_id"].upper()]
    (receipt,) = tablet.push(client, [itself])
    assert receipt["status"] == "quarantined"
    assert receipt["problem"]["code"] == "parent_cycle" and receipt["problem"]["path"] == "parents[1]"
    alone = tablet.revision()
    alone["parents"] = [alone["rev_id"]]
    (receipt,) = tablet.push(client, [alone])
    assert receipt["status"] == "quarantined" and receipt["problem"]["code"] == "parent_cycle"


def test_a_revision_closing_a_cycle_with_a_stored_one_is_quarantined(client, org):
    tablet = org["a"]
    root = tablet.revision(state="draft")
    tablet.push(client, [root])
    a_id, b_id = str(uuid.uuid4()), str(uuid.uuid4())
    b = tablet.edit(root, parents=[a_id]) | {"rev_id": b_id}
    a = tablet.edit(root, parents=[b_id]) | {"rev_id": a_id}
    (first,) = tablet.push(client, [b])
    assert first["status"] == "pending" and first["missing_parents"] == [a_id]
    (second,) = tablet.push(client, [a])
    assert second["status"] == "quarantined" and second["problem"]["code"] == "parent_cycle"
    assert second["problem"]["path"] == "parents"
    doc = client.get(f"/v1/submissions/{root['submission_id']}", headers=tablet.headers).json()
    assert doc["heads"] == [root["rev_id"]] and doc["pending"] == [{"rev_id": b_id, "missing_parents": [a_id]}]


def test_a_cycle_inside_one_push_and_a_longer_one_are_quarantined(client, org):
    tablet = org["a"]
    root = tablet.revision(state="draft")
    tablet.push(client, [root])
    x, y = str(uuid.uuid4()), str(uuid.uuid4())
    receipts = tablet.push(
        client, [tablet.edit(root, parents=[y]) | {"rev_id": x}, tablet.edit(root, parents=[x]) | {"rev_id": y}]
    )
    assert sorted(r["status"] for r in receipts) == ["pending", "quarantined"]
    (held,) = [r for r in receipts if r["status"] == "quarantined"]
    (waiting,) = [r for r in receipts if r["status"] == "pending"]
    assert held["problem"]["code"] == "parent_cycle" and waiting["missing_parents"] == [held["rev_id"]]
    # p -> q -> r -> p, the last closing it across three pushes (q and r name the root too).
    p, q, r = (str(uuid.uuid4()) for _ in range(3))
    assert tablet.push(client, [tablet.edit(root, parents=[r]) | {"rev_id": p}])[0]["status"] == "pending"
    assert (
        tablet.push(client, [tablet.edit(root, parents=[p, root["rev_id"]]) | {"rev_id": q}])[0]["status"] == "pending"
    )
    (closing,) = tablet.push(client, [tablet.edit(root, parents=[root["rev_id"], q]) | {"rev_id": r}])
    assert closing["status"] == "quarantined" and closing["problem"]["code"] == "parent_cycle"


def test_a_pending_receipt_always_names_what_is_missing(client, org):
    """The child of a pending revision names the ancestor the tablet still has to send, not `[]`."""
    tablet = org["a"]
    a = tablet.revision(state="draft")
    b = tablet.edit(a)
    c = tablet.edit(b)
    d = tablet.edit(c, parents=[c["rev_id"], b["rev_id"]])
    receipts = tablet.push(client, [b, c, d])
    assert [r["status"] for r in receipts] == ["pending"] * 3
    assert [r["missing_parents"] for r in receipts] == [[a["rev_id"]]] * 3
    doc = client.get(f"/v1/submissions/{a['submission_id']}", headers=tablet.headers).json()
    assert all(p["missing_parents"] == [a["rev_id"]] for p in doc["pending"]) and len(doc["pending"]) == 3
    receipts = tablet.push(client, [b, a])
    assert receipts[0]["status"] == "duplicate" and receipts[0]["missing_parents"] == []
    assert receipts[1]["status"] == "applied" and receipts[1]["heads"] == [d["rev_id"]]


def _input(rev_id: str, parents: tuple[str, ...] = (), version: int = 1, released: bool = False) -> MergeInput:
    content = {
        "rev_id": rev_id,
        "submission_id": "s",
        "parents": list(parents),
        "checklist": {"id": "example", "version": version},
        "state": "draft",
        "answers": [],
    }
    return MergeInput(
        rev_id=rev_id, parents=parents, rank="auditor", hlc=None, version=version, content=content, released=released
    )


MISSING_CASES = [
    # name, stored revisions, what each pending one waits for
    ("a chain waits for the first missing", [_input("a", ("r",)), _input("b", ("a",))], {"a": ["r"], "b": ["r"]}),
    (
        "a parent left out for another checklist version",
        [_input("r"), _input("x", ("r",), version=2), _input("c", ("x",))],
        {"c": ["x"]},
    ),
    (
        "a cycle stored before cycles were refused",
        [_input("r"), _input("p", ("q",)), _input("q", ("p",))],
        {"p": ["q"], "q": ["p"]},
    ),
    (
        "a released one waits only for what is stored",
        [_input("r"), _input("b", ("m",)), _input("c", ("b", "n"), released=True)],
        {"b": ["m"], "c": ["m"]},
    ),
]


@pytest.mark.parametrize(("name", "stored", "missing"), MISSING_CASES, ids=[c[0] for c in MISSING_CASES])
def test_missing_ancestors_is_never_empty(name, stored, missing):
    result = merge(stored)
    assert sorted(result.pending) == sorted(missing)
    assert missing_ancestors(stored, result) == missing


# --- 4. hlc: the pushing device's ----------------------------------------------------------------


def test_an_hlc_of_another_device_is_quarantined(client, org):
    tablet, other = org["a"], org["b"]
    stranger = tablet.revision()
    stranger["hlc"] = stranger["hlc"].rsplit(":", 1)[0] + ":" + other.device_id
    upper = tablet.revision()
    upper["hlc"] = upper["hlc"].upper()
    receipts = tablet.push(client, [stranger, upper, tablet.revision(hlc=None)])
    assert [r["status"] for r in receipts] == ["quarantined", "applied", "applied"]
    assert receipts[0]["problem"]["code"] == "invalid_hlc" and receipts[0]["problem"]["path"] == "hlc"
    assert other.device_id in receipts[0]["problem"]["message"]


def test_a_reviewers_correction_may_carry_an_hlc_of_any_device(client, org):
    """A correction is made in the office, with no device to check an hlc against (see `own_problem`)."""
    tablet = org["a"]
    visit = tablet.revision()
    tablet.push(client, [visit])
    correction = tablet.edit(visit, answers=PASSING | {"GREET.2": 3})
    correction["hlc"] = f"{int(dt.datetime.now(dt.UTC).timestamp() * 1000):016d}:0001:{uuid.uuid4()}"
    response = client.post(f"/v1/submissions/{visit['submission_id']}/revisions", json=correction, headers=org["lead"])
    assert response.status_code == 200 and response.json()["status"] == "applied", response.text


NEWLINE_CASES = [
    # field (a dotted path), receipt status, problem path
    ("rev_id", "rejected", "rev_id"),
    ("submission_id", "quarantined", "submission_id"),
    ("parents[0]", "quarantined", "parents[0]"),
    ("hlc", "quarantined", "hlc"),
    ("checklist.id", "quarantined", "checklist.id"),
    ("unit_id", "quarantined", "unit_id"),
    ("staff_ids[0]", "quarantined", "staff_ids[0]"),
    ("assignment_id", "quarantined", "assignment_id"),
    ("answers[0].item", "quarantined", "answers[0].item"),
    ("answers[0].evidence[0]", "quarantined", "answers[0].evidence[0]"),
]


@pytest.mark.parametrize(("field", "status", "path"), NEWLINE_CASES, ids=[c[0] for c in NEWLINE_CASES])
def test_a_trailing_newline_in_any_id_is_a_wrong_shape(client, org, settings, field, status, path):
    """`$` in a pattern also matches before a final newline; every id pattern refuses it."""
    tablet = org["a"]
    revision = _with(tablet.revision(assignment_id="A-2026-10-017"), [])
    *outer, last = re.split(r"\.|(?=\[)", field)
    target = revision
    for part in outer:
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    key = int(last[1:-1]) if last.startswith("[") else last
    target[key] += "\n"
    (receipt,) = tablet.push(client, [revision])
    assert receipt["status"] == status, receipt
    assert receipt["problem"]["path"] == path
    assert receipt["problem"]["code"] == ("unidentifiable" if status == "rejected" else "invalid_shape")
    with open_store(settings) as db:
        stored = db.execute("SELECT count(*) FROM revisions WHERE instr(content, '\\n') OR instr(rev_id, char(10))")
        assert stored.fetchone() == (0,)


# --- 5. no value inside a valid body answers 500 --------------------------------------------------

GOOD_UUID = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f"
HOSTILE_IDS = [
    GOOD_UUID + "\n",
    GOOD_UUID.upper(),
    "\n" + GOOD_UUID,
    GOOD_UUID.replace("6", "٦"),
    GOOD_UUID.replace("2", "²"),
    GOOD_UUID + "\u202e",
    "",
    "U1\n",
    "E1\n",
    "GREET.1\n",
    "A-2026-10-017\n",
    "U\u202e1",
    unicodedata.normalize("NFD", "Әлия"),
    "٣",
    "²",
    "x" * 65,
    "../../etc/passwd",
    "ab" * 32 + "\n",
    "AB" * 32,
    "0001728890525000:0003:" + GOOD_UUID + "\n",
]
HOSTILE_NUMBERS = [10**30, -(10**30), 2**63, -(2**63) - 1, 2**64, 1e308, -1e308, -0.0, 5e-324, -1, 0, 1_000_001]
HOSTILE_STRINGS = [
    "NaN",
    "-Infinity",
    "1e308",
    "²",
    "٣",
    "\u202e",
    "\u200b",
    "\u2028",
    "\x85",
    "\x00",
    "\ufeff",
    "\ud7ff",
    '=HYPERLINK("http://x")',
    unicodedata.normalize("NFD", "Нұрланова Әлия"),
    "x" * 10_001,
]
HOSTILE_TIMES = [
    *OUT_OF_RANGE,
    "2026-10-14T10:32:05",
    "2026-10-14T10:32:05+05:00\n",
    "2026-02-30T10:00:00Z",
    "2026-10-14T24:00:00Z",
    "2026-10-14T10:32:05.1234567891Z",
    "٢٠٢٦-10-14T10:32:05Z",
    "2026-10-14T10:32:05+24:00",
    "+12026-10-14T10:32:05Z",
    "2026-10-14",
]
HOSTILE = st.sampled_from(
    [*HOSTILE_IDS, *HOSTILE_NUMBERS, *HOSTILE_STRINGS, *HOSTILE_TIMES, None, True, False, [], {}, [None], {"a": [1]}]
)
_IDS = st.sampled_from(HOSTILE_IDS + HOSTILE_STRINGS)
_NUMBERS = st.sampled_from(HOSTILE_NUMBERS + HOSTILE_STRINGS[:5])
_TIMES = st.sampled_from(HOSTILE_TIMES)
# Each field with the hostile values of its own type (which pass the shape checks and reach the
# checks, the merge and the scoring behind them), and sometimes any hostile value at all.
FIELDS = {
    "rev_id": _IDS,
    "submission_id": _IDS,
    "parents": st.lists(_IDS, max_size=3),
    "parents[0]": _IDS,
    "hlc": _IDS,
    "checklist": st.fixed_dictionaries({"id": _IDS, "version": _NUMBERS}),
    "checklist.id": _IDS,
    "checklist.version": _NUMBERS,
    "assignment_id": _IDS,
    "unit_id": _IDS,
    "staff_ids": st.lists(_IDS, max_size=3),
    "staff_ids[0]": _IDS,
    "started_at": _TIMES,
    "finished_at": _TIMES,
    "state": _IDS,
    "answers": st.lists(st.fixed_dictionaries({"item": _IDS, "value": HOSTILE}), max_size=3),
    **{f"answers[{i}].value": _NUMBERS | st.sampled_from(HOSTILE_STRINGS) for i in range(len(PASSING))},
    "answers[0].item": _IDS,
    "answers[0].na": HOSTILE,
    "answers[0].comment": st.sampled_from(HOSTILE_STRINGS),
    "answers[0].evidence": st.lists(_IDS, max_size=3),
    "answers[0].evidence[0]": _IDS,
    "location": st.fixed_dictionaries({"lat": _NUMBERS, "lon": _NUMBERS}),
    "location.lat": _NUMBERS,
    "location.lon": _NUMBERS,
    "location.accuracy_m": _NUMBERS,
    "unknown": HOSTILE,
}
HOSTILE_FIELD = st.sampled_from(sorted(FIELDS)).flatmap(
    lambda field: st.tuples(st.just(field), st.one_of(FIELDS[field], FIELDS[field], FIELDS[field], HOSTILE))
)


def _with(revision: dict, changes: list[tuple[str, object]]) -> dict:
    """The revision, with every optional part filled in, and each field (a dotted path, `[0]` for a
    list's first element) set to its hostile value; a path an earlier change broke is skipped."""
    revision = copy.deepcopy(revision) | {"location": {"lat": 43.24, "lon": 76.91, "accuracy_m": 12}}
    revision["parents"] = revision["parents"] or [GOOD_UUID]
    revision["answers"][0]["evidence"] = ["ab" * 32]
    for field, value in changes:
        *outer, last = re.split(r"\.|(?=\[)", field)
        target: object = revision
        try:
            for part in outer:
                target = target[int(part[1:-1])] if part.startswith("[") else target[part]
            target[int(last[1:-1]) if last.startswith("[") else last] = value
        except (TypeError, KeyError, IndexError):
            continue
    return revision


def _answered(response, sent: int) -> None:
    """A push's or a correction's answer: 200 with a receipt per revision, or a 4xx problem."""
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        body = response.json()
        receipts = body.get("receipts", [body])
        assert all(SERVED_TIME.match(t) for t in _served_times(body))
        assert len(receipts) == sent
        statuses = {"applied", "merged", "pending", "duplicate", "quarantined", "rejected"}
        assert all(r["status"] in statuses for r in receipts)
        assert all(r["missing_parents"] for r in receipts if r["status"] == "pending")
    else:
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"]


@pytest.mark.parametrize("settings", [1], indirect=True, ids=["push_workers=1"])
def test_no_value_inside_a_valid_body_answers_500(client, org):
    """Pushes and corrections with hostile values in every field: a receipt or a 4xx, never 500."""
    tablet, lead = org["a"], org["lead"]
    base = tablet.revision()
    assert tablet.push(client, [base])[0]["status"] == "applied"
    pulled = {"cursor": tablet.pull_all(client)[1]}
    hostile_fields = st.lists(HOSTILE_FIELD, min_size=0, max_size=3)

    @hypothesis_settings(
        max_examples=400,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        batch=st.lists(hostile_fields, min_size=1, max_size=6),
        edit=st.booleans(),
        correction=st.booleans(),
        sent_at=st.one_of(*[st.none()] * 6, _TIMES),  # mostly a good envelope
    )
    def push_hostile(batch, edit, correction, sent_at):
        revisions = []
        for changes in batch:
            revisions.append(_with(tablet.edit(base) if edit or correction else tablet.revision(), changes))
        if correction:
            url = f"/v1/submissions/{base['submission_id']}/revisions"
            _answered(client.post(url, json=revisions[0], headers=lead), 1)
        else:
            _answered(_push(client, tablet, revisions, sent_at), len(revisions))
        response = client.get("/v1/sync/pull", params={"cursor": pulled["cursor"]}, headers=tablet.headers)
        assert response.status_code == 200, response.text
        pulled["cursor"] = response.json()["cursor"]
        assert all(SERVED_TIME.match(t) for t in _served_times(response.json()))

    push_hostile()
    # Still usable: a good push applies, everything stored is served, every time in one format.
    fresh = tablet.revision()
    assert tablet.push(client, [fresh])[0]["status"] == "applied"
    changes, _ = tablet.pull_all(client)
    assert fresh["submission_id"] in {c["id"] for c in changes}
    assert all(SERVED_TIME.match(t) for t in _served_times(changes))
    with sqlite3.connect(services_of(client.app).settings.db_path) as db:
        subs = [row[0] for row in db.execute("SELECT submission_id FROM submission_views")]
        received = [
            row[0] for row in db.execute("SELECT received_at FROM revisions UNION SELECT received_at FROM quarantine")
        ]
    assert all(SERVED_TIME.match(t) for t in received)
    for sub in subs:
        response = client.get(f"/v1/submissions/{quote(sub, safe='')}", headers=org["admin"])
        assert response.status_code == 200 and all(SERVED_TIME.match(t) for t in _served_times(response.json()))
        assert client.get(f"/v1/submissions/{quote(sub, safe='')}/revisions", headers=org["admin"]).status_code == 200
    assert client.get("/v1/admin/quarantine", headers=org["admin"]).status_code == 200
