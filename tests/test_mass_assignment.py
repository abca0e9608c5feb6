"""Mass assignment: fields the server owns, sent by a client, never become the server's.

Office and admin request bodies forbid unknown fields (STYLE.md: a stray field is a client bug):
each server-owned field is a 400 problem with the stable `code` and the field's path, and the
database is exactly as before. Sync payloads are the documented exception (API.md, DESIGN.md: a
revision's unknown fields are part of its content and its hash, so older and newer tablets keep
working): there such fields are kept as content and change nothing the server decides (owner,
author, rank, status, score, heads, hash, arrival metadata). Endpoints that take no body ignore one.

`FIELDS_TRIED` counts the (body type, field) pairs sent (`pytest -s` prints it).
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import hashlib
import sqlite3
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import msgspec
import pytest

from checklists.canonical import encode_normalized
from server.auth import role_table
from server.settings import Settings
from tests.conftest import EXAMPLE_CHECKLIST, make_user
from tests.tablet import PASSING, Tablet

OCTOBER = "2026-10-15T11:00:00+05:00"
UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
STAFF = {"name": "Нұрланова Әлия", "unit_id": "U1"}
ASSIGNMENT = {
    "auditor": "aigerim",
    "unit_id": "U1",
    "checklist_id": "example",
    "due_from": "2026-10-01",
    "due_to": "2026-10-31",
}
FIELDS_TRIED: collections.Counter[str] = collections.Counter()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "var", render_workers=0)


def database_rows(db_path) -> dict[str, list[str]]:
    """Every row of every table, in a stable order (to compare the database before and after)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(map(repr, db.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


def one_value(db_path, sql: str, params: tuple = ()) -> object:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        row = db.execute(sql, params).fetchone()
    return row[0] if row else None


@dataclass
class Org:
    client: object
    headers: dict[str, dict[str, str]]
    tablet: Tablet
    visit: dict
    appeal_id: str = ""

    @property
    def sub(self) -> str:
        return self.visit["submission_id"]

    def heads(self) -> list[str]:
        return self.client.get(f"/v1/submissions/{self.sub}", headers=self.headers["admin"]).json()["heads"]

    def approve(self) -> None:
        """The visit approved, so that U1's manager may appeal it."""
        body = {"decision": "approve", "heads": self.heads()}
        response = self.client.post(
            f"/v1/submissions/{self.sub}/review", json=body, headers=self.headers["quality_lead"]
        )
        assert response.status_code == 200, response.text

    def appeal(self) -> None:
        """The visit approved and GREET.2 of it appealed by U1's manager (an open appeal to decide)."""
        self.approve()
        response = self.client.post("/v1/appeals", json=_appeal_body(self), headers=self.headers["manager"])
        assert response.status_code == 201, response.text
        self.appeal_id = response.json()["id"]


@pytest.fixture
def org(client, users, example_checklist, default_policy) -> Org:
    admin = users["admin"]
    assert client.put("/v1/units/U1", json=UNIT, headers=admin).status_code == 200
    assert client.put("/v1/staff/E1", json=STAFF, headers=admin).status_code == 200
    assert client.put("/v1/assignments/ASG-1", json=ASSIGNMENT, headers=admin).status_code == 200
    tablet = Tablet(users["auditor"])
    visit = tablet.revision(started_at=OCTOBER)
    (receipt,) = tablet.push(client, [visit])
    assert receipt["status"] == "applied"
    headers = {
        "admin": admin,
        "quality_lead": users["quality_lead"],
        "hr": users["hr"],
        "auditor": tablet.headers,
        "auditor2": users["auditor2"],
        "manager": make_user(client, admin, "marat", "unit_manager", units=["U1"]),
    }
    return Org(client=client, headers=headers, tablet=tablet, visit=visit)


# --- strict bodies: every server-owned field is a 400 that changes nothing ----------------------------


def _example_json(version: int) -> dict:
    doc = tomllib.loads(EXAMPLE_CHECKLIST.read_text())
    return doc | {"version": version}


def _policy_json(version: int) -> dict:
    from checklists.library import policy_file

    return tomllib.loads(policy_file().read_text()) | {"version": version}


NOW = "2026-10-20T10:00:00Z"
# What the server decides of an appeal and tells (AppealOut), slipped into the appeal request bodies.
APPEAL_FIELDS = {
    "id": str(uuid.uuid4()),
    "status": "decided",
    "unit_id": "U2",
    "period": "2025-01",
    "filed_at": NOW,
    "due_at": "9999-12-31T00:00:00Z",
    "overdue": False,
    "closed_at": NOW,
    "filed_by": "somebody",
    "decided_by": "somebody",
    "rev_id": str(uuid.uuid4()),
    "review_id": 1,
}
BEFORE = {"value": 1, "na": False}


def _appeal_body(o: Org) -> dict:
    return {"submission_id": o.sub, "items": [{"item": "GREET.2", "claim": "Поздоровалась у входа²\nсм. фото"}]}


def _decision_body(o: Org) -> dict:
    return {"items": [{"item": "GREET.2", "outcome": "upheld", "reason": "На фото видно приветствие"}]}


@dataclass
class Strict:
    """A request type, a body its role writes with, and the server-owned fields to slip into it."""

    method: str
    route: str  # as the role table names it
    path: Callable[[Org], str]
    body: Callable[[Org], dict]
    fields: dict[str, object]
    actor: str = "admin"
    at: str = ""  # where the fields go: the top level, or a list element such as `decisions[0]`
    code: str = "invalid_request"
    ok: int = 200
    prepare: Callable[[Org], None] | None = None  # what the body needs first (an approved visit, an appeal)


STRICT = [
    Strict(
        "PUT",
        "/v1/users/{name:str}/password",
        lambda o: "/v1/users/hr/password",
        lambda o: {"password": "a long passphrase 1"},
        {"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$AAAA$AAAA", "name": "root", "role": "admin", "lang": "kk"},
        ok=204,
    ),
    Strict(
        "POST",
        "/v1/users",
        lambda o: "/v1/users",
        lambda o: {"name": "newbie", "role": "auditor"},
        {
            "token": "tks_" + "A" * 43,
            "prefix": "AAAAAAAAAA",
            "token_hash": "0" * 64,
            "hash": "0" * 64,
            "created_at": NOW,
            "id": 1,
            "token_prefixes": ["AAAAAAAAAA"],
            "revoked_at": None,
            "device_id": str(uuid.uuid4()),
            "roles": ["admin"],
            "is_admin": True,
        },
        ok=201,
    ),
    Strict(
        "PUT",
        "/v1/units/{unit_id:str}",
        lambda o: "/v1/units/U1",
        lambda o: UNIT,
        {"unit_id": "U2", "updated_at": NOW, "created_at": NOW, "seq": 1, "id": "U2"},
    ),
    Strict(
        "PUT",
        "/v1/staff/{staff_id:str}",
        lambda o: "/v1/staff/E1",
        lambda o: STAFF,
        {"staff_id": "E2", "updated_at": NOW, "created_at": NOW, "seq": 1, "score": 100},
    ),
    Strict(
        "PUT",
        "/v1/assignments/{assignment_id:str}",
        lambda o: "/v1/assignments/ASG-1",
        lambda o: ASSIGNMENT,
        {
            "assignment_id": "ASG-2",
            "updated_at": NOW,
            "created_at": NOW,
            "seq": 1,
            "status": "done",
            "op": "delete",
            "plan_id": "2026-10.1",
        },
    ),
    Strict(
        "PUT",
        "/v1/users/{name:str}/region",
        lambda o: "/v1/users/aigerim/region",
        lambda o: {"region": "Алматы"},
        {"name": "root", "role": "admin", "units": ["U1"], "created_at": NOW, "regions": ["Астана"]},
    ),
    Strict(
        "POST",
        "/v1/plans",
        lambda o: "/v1/plans",
        lambda o: {"period": "2031-03", "visits": {"branch": 3}},
        {
            "plan_id": "2031-03.9",
            "status": "published",
            "created_by": "somebody",
            "created_at": NOW,
            "published_at": NOW,
            "policy_sha256": "0" * 64,
            "inputs_sha256": "0" * 64,
            "warnings": [],
        },
        actor="quality_lead",
        code="invalid_plan_policy",
        ok=201,
    ),
    Strict(
        "POST",
        "/v1/submissions/{submission_id:str}/review",
        lambda o: f"/v1/submissions/{o.sub}/review",
        lambda o: {"decision": "approve", "heads": o.heads()},
        {
            "reviewer": "somebody",
            "decided_at": NOW,
            "status": "approved",
            "submission_id": str(uuid.uuid4()),
            "score": 100,
            "auditor": "daulet",
            "id": 1,
        },
        actor="quality_lead",
    ),
    Strict(
        "POST",
        "/v1/submissions/review",
        lambda o: "/v1/submissions/review",
        lambda o: {"decisions": [{"submission_id": o.sub, "decision": "approve", "heads": o.heads()}]},
        {"reviewer": "somebody", "decided_at": NOW, "status": "approved", "score": 100, "id": 1},
        actor="quality_lead",
        at="decisions[0]",
    ),
    Strict(
        "POST",
        "/v1/submissions/review",
        lambda o: "/v1/submissions/review",
        lambda o: {"decisions": [{"submission_id": o.sub, "decision": "approve", "heads": o.heads()}]},
        {"reviewer": "somebody", "items": []},
        actor="quality_lead",
    ),
    Strict(
        "POST",
        "/v1/scorecards",
        lambda o: "/v1/scorecards",
        lambda o: {"scope": "unit", "unit_id": "U1", "period": "2026-10", "lang": "ru"},
        {
            "id": str(uuid.uuid4()),
            "status": "published",
            "sha256": "0" * 64,
            "input_sha256": "0" * 64,
            "size": 1,
            "pdf": "/v1/scorecards/x/pdf",
            "created_at": NOW,
            "created_by": "somebody",
            "published_at": NOW,
            "published_by": "somebody",
        },
        actor="quality_lead",
        ok=201,
    ),
    Strict(
        "POST",
        "/v1/periods/{period:str}/close",
        lambda o: "/v1/periods/2025-03/close",
        lambda o: {"force": False},
        {
            "snapshot_id": str(uuid.uuid4()),
            "sha256": "0" * 64,
            "rows": [],
            "policy": {"id": "default", "version": 1, "sha256": "0" * 64},
            "closed_by": "somebody",
            "closed_at": NOW,
            "period": "2025-04",
            "carried": [],
        },
        actor="hr",
        ok=201,
    ),
    Strict(
        "POST",
        "/v1/blobs/missing",
        lambda o: "/v1/blobs/missing",
        lambda o: {"sha256": ["ab" * 32]},
        {"missing": [], "auditor": "daulet"},
        actor="auditor",
    ),
    Strict(
        "POST",
        "/v1/admin/quarantine/replay",
        lambda o: "/v1/admin/quarantine/replay",
        lambda o: {},
        {"status": "applied", "released_at": NOW, "rev_id": str(uuid.uuid4())},
    ),
    Strict(
        "POST",
        "/v1/admin/backup",
        lambda o: "/v1/admin/backup",
        lambda o: {"path": "copy.sqlite3"},
        {"bytes": 1, "data_dir": "/"},
    ),
    Strict(
        "POST",
        "/v1/checklists",
        lambda o: "/v1/checklists",
        lambda o: _example_json(2),
        {"sha256": "0" * 64, "published_at": NOW, "retired": True, "retired_at": NOW, "published_by": "somebody"},
        actor="quality_lead",
        code="invalid_checklist",
        ok=201,
    ),
    Strict(
        "POST",
        "/v1/policies",
        lambda o: "/v1/policies",
        lambda o: _policy_json(2),
        {"sha256": "0" * 64, "published_at": NOW, "published_by": "somebody"},
        actor="quality_lead",
        code="invalid_policy",
        ok=201,
    ),
    Strict(
        "PUT",
        "/v1/users/{name:str}/units",
        lambda o: "/v1/users/marat/units",
        lambda o: {"units": ["U1"]},
        {
            "name": "root",
            "role": "admin",
            "token": "tks_" + "A" * 43,
            "prefix": "AAAAAAAAAA",
            "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$AAAA$AAAA",
            "created_at": NOW,
            "token_prefixes": ["AAAAAAAAAA"],
            "unit_id": "U2",
        },
    ),
    Strict(
        "POST",
        "/v1/appeals",
        lambda o: "/v1/appeals",
        _appeal_body,
        APPEAL_FIELDS | {"auditor": "daulet", "appeal_id": str(uuid.uuid4()), "role": "quality_lead"},
        actor="manager",
        ok=201,
        prepare=Org.approve,
    ),
    Strict(
        "POST",
        "/v1/appeals",
        lambda o: "/v1/appeals",
        _appeal_body,
        {
            "before": BEFORE,
            "outcome": "overturned",
            "reason": "сам себе",
            "value": 5,
            "na": True,
            "appeal_id": str(uuid.uuid4()),
            "decided_by": "somebody",
        },
        actor="manager",
        at="items[0]",
        ok=201,
        prepare=Org.approve,
    ),
    Strict(
        "POST",
        "/v1/appeals/{appeal_id:str}/decision",
        lambda o: f"/v1/appeals/{o.appeal_id}/decision",
        _decision_body,
        APPEAL_FIELDS | {"submission_id": str(uuid.uuid4()), "appeal_id": str(uuid.uuid4())},
        actor="quality_lead",
        prepare=Org.appeal,
    ),
    Strict(
        "POST",
        "/v1/appeals/{appeal_id:str}/decision",
        lambda o: f"/v1/appeals/{o.appeal_id}/decision",
        _decision_body,
        {
            "claim": "другое",
            "evidence": ["ab" * 32],
            "before": BEFORE,
            "appeal_id": str(uuid.uuid4()),
            "decided_by": "somebody",
            "decided_at": NOW,
            "rev_id": str(uuid.uuid4()),
        },
        actor="quality_lead",
        at="items[0]",
        prepare=Org.appeal,
    ),
]


def _place(body: dict, at: str, name: str, value: object) -> dict:
    body = msgspec.json.decode(msgspec.json.encode(body))
    if not at:
        return body | {name: value}
    key, _, index = at.partition("[")
    body[key][int(index.rstrip("]"))][name] = value
    return body


@pytest.mark.parametrize("case", STRICT, ids=lambda c: f"{c.method} {c.route} {c.at}".strip())
def test_a_server_owned_field_is_400_and_changes_nothing(org, settings, case):
    client, headers = org.client, org.headers[case.actor]
    if case.prepare:
        case.prepare(org)
    for name, value in case.fields.items():
        before = database_rows(settings.db_path)
        body = _place(case.body(org), case.at, name, value)
        response = client.request(case.method, case.path(org), json=body, headers=headers)
        FIELDS_TRIED[case.route] += 1
        assert response.status_code == 400, f"{name}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == case.code, problem
        expected_path = f"{case.at}.{name}" if case.at else name
        assert expected_path in [e["path"] for e in problem["errors"]], problem
        assert database_rows(settings.db_path) == before, f"{name} changed the database"
    # The same body without the stray field is written: the 400s were the fields, not the body.
    response = client.request(case.method, case.path(org), json=case.body(org), headers=headers)
    assert response.status_code == case.ok, response.text


def test_an_unknown_csv_column_is_400_and_imports_nothing(org, settings):
    admin = org.headers["admin"]
    for column in ("updated_at", "created_at", "seq", "active_since"):
        before = database_rows(settings.db_path)
        csv = f"unit_id,kind,name,region,{column}\nU5,branch,ПСС Тараз,Жамбыл,2026-10-01\n".encode()
        response = org.client.post("/v1/admin/import/units", content=csv, headers=admin | {"Content-Type": "text/csv"})
        FIELDS_TRIED["/v1/admin/import/{entity:str}"] += 1
        assert response.status_code == 400 and response.json()["code"] == "invalid_csv", response.text
        assert response.json()["errors"][0]["path"] == "line 1"
        assert database_rows(settings.db_path) == before


# --- sync payloads: server-owned fields are content, never the server's own -------------------------

REVISION_FIELDS = {
    "status": "approved",
    "score": 100,
    "scores": {"visit": 100, "person": 100},
    "auditor": "daulet",
    "author": "lead",
    "rank": "reviewer",
    "heads": ["00000000-0000-4000-8000-000000000000"],
    "received_at": "2020-01-01T00:00:00Z",
    "clock_offset_ms": 0,
    "sha256": "0" * 64,
    "seq": 1,
    "arrival": 1,
    "review": {"decision": "approve", "comment": "ok", "heads": []},
    "conflicts": [],
    "flags": [],
    "period": "2020-01",
    "corrected_start": "2020-01-01T00:00:00Z",
    "released": True,
    "pending": [],
    "missing_blobs": [],
    "updated_at": "2020-01-01T00:00:00Z",
    "device_id": str(uuid.uuid4()),
    "token_prefix": "AAAAAAAAAA",
}
ANSWER_FIELDS = {"score": 1, "passes": True, "s": 1.0, "weight": 100, "critical": "zero"}
ENVELOPE_FIELDS = {
    "auditor": "daulet",
    "author": "lead",
    "rank": "reviewer",
    "server_time": "2020-01-01T00:00:00Z",
    "received_at": "2020-01-01T00:00:00Z",
    "clock_offset_ms": 0,
    "token_prefix": "AAAAAAAAAA",
    "seq": 1,
}


def test_pushed_server_owned_fields_are_content_without_effect(org, settings):
    """A tablet's revision (and envelope) with the server's fields: stored, scored and owned as the server decides."""
    client = org.client
    tablet = org.tablet
    tablet.clock_skew = -dt.timedelta(hours=3)
    revision = tablet.revision(started_at=OCTOBER, answers=PASSING | {"GREET.1": False}) | REVISION_FIELDS
    revision["answers"][0] |= ANSWER_FIELDS
    envelope = tablet.envelope([revision]) | ENVELOPE_FIELDS
    FIELDS_TRIED["push revision"] += len(REVISION_FIELDS) + len(ANSWER_FIELDS)
    FIELDS_TRIED["push envelope"] += len(ENVELOPE_FIELDS)
    response = client.post("/v1/sync/push", json=envelope, headers=tablet.headers)
    assert response.status_code == 200, response.text
    (receipt,) = response.json()["receipts"]
    assert receipt["status"] == "applied" and receipt["heads"] == [revision["rev_id"]]
    assert receipt["score"] is not None and receipt["score"] < 100  # GREET.1 failed: the server scored it

    sub = revision["submission_id"]
    doc = client.get(f"/v1/submissions/{sub}", headers=org.headers["admin"]).json()
    assert doc["auditor"] == "aigerim" and doc["status"] == "received" and doc["review"] is None
    assert doc["period"] == "2026-10" and doc["heads"] == [revision["rev_id"]]
    assert doc["scores"]["visit"] == receipt["score"]
    visit_fields = {"submission_id", "checklist", "answers", "state", "unit_id", "staff_ids", "assignment_id"}
    assert set(doc["view"]) == visit_fields | {"started_at", "finished_at", "location"}
    assert all(set(a) == {"item", "value", "na", "comment", "evidence"} for a in doc["view"]["answers"])

    (stored,) = client.get(f"/v1/submissions/{sub}/revisions", headers=org.headers["admin"]).json()["items"]
    assert stored["rank"] == "auditor" and stored["author"] == "aigerim" and stored["released"] is False
    assert stored["device_id"] == tablet.device_id
    assert abs(stored["clock_offset_ms"] - 3 * 3600 * 1000) < 60_000  # from sent_at, not the field
    assert stored["received_at"] > "2026"
    content = stored["content"]
    assert hashlib.sha256(encode_normalized(content)).hexdigest() == stored["sha256"] != "0" * 64
    # Kept as content (API.md: unknown fields are part of the content and its hash).
    assert {k: content[k] for k in REVISION_FIELDS} == REVISION_FIELDS
    assert one_value(settings.db_path, "SELECT auditor FROM submissions WHERE submission_id = ?", (sub,)) == "aigerim"
    assert one_value(settings.db_path, "SELECT count(*) FROM reviews") == 0
    # Another auditor's name in the content does not give that auditor the visit.
    assert client.get(f"/v1/submissions/{sub}", headers=org.headers["auditor2"]).status_code == 404


def test_a_rank_in_the_content_does_not_win_a_merge(org):
    """Two concurrent edits of one answer: `rank: reviewer` in the older one's content does not make it win."""
    client, tablet = org.client, org.tablet
    older = tablet.edit(org.visit, answers=PASSING | {"GREET.2": 2}) | {"rank": "reviewer", "author": "lead"}
    newer = tablet.edit(org.visit, answers=PASSING | {"GREET.2": 4})
    FIELDS_TRIED["push revision"] += 2
    tablet.push(client, [older])
    tablet.push(client, [newer])
    doc = client.get(f"/v1/submissions/{org.sub}", headers=org.headers["admin"]).json()
    answers = {a["item"]: a["value"] for a in doc["view"]["answers"]}
    assert answers["GREET.2"] == 4  # the larger hlc wins: `rank` in the content is no rank
    (conflict,) = doc["conflicts"]
    assert conflict["rev_id"] == newer["rev_id"] and [v["rev_id"] for v in conflict["losing"]] == [older["rev_id"]]
    assert sorted(doc["heads"]) == sorted([older["rev_id"], newer["rev_id"]])
    assert doc["status"] == "needs_review"


def test_a_reviewers_correction_keeps_its_author_and_rank(org, settings):
    client = org.client
    correction = dict(org.visit) | {"rev_id": str(uuid.uuid4()), "parents": org.heads(), "hlc": None}
    correction |= {"rank": "auditor", "author": "aigerim", "auditor": "daulet", "status": "approved", "score": 0}
    FIELDS_TRIED["reviewer revision"] += 5
    response = client.post(f"/v1/submissions/{org.sub}/revisions", json=correction, headers=org.headers["quality_lead"])
    assert response.status_code == 200 and response.json()["status"] == "applied", response.text
    items = client.get(f"/v1/submissions/{org.sub}/revisions", headers=org.headers["admin"]).json()["items"]
    stored = next(r for r in items if r["rev_id"] == correction["rev_id"])
    assert stored["rank"] == "reviewer" and stored["author"] == "lead" and stored["clock_offset_ms"] == 0
    doc = client.get(f"/v1/submissions/{org.sub}", headers=org.headers["admin"]).json()
    assert doc["auditor"] == "aigerim" and doc["status"] == "received" and doc["scores"]["visit"] == 100.0
    assert one_value(settings.db_path, "SELECT count(*) FROM reviews") == 0


def test_upload_metadata_cannot_name_another_owner_or_offset(org, settings):
    """tus `Upload-Metadata` keys beyond `sha256` and `content_type` (and `Upload-Offset` on creation) are ignored."""
    client, tablet = org.client, org.tablet
    data = b"\x89PNG" + bytes(range(256)) * 8
    sha = hashlib.sha256(data).hexdigest()
    extra = {"auditor": "daulet", "device_id": str(uuid.uuid4()), "offset": "500", "upload_id": "0" * 32}
    FIELDS_TRIED["tus Upload-Metadata"] += len(extra) + 1
    metadata = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}"
        for k, v in ({"sha256": sha, "content_type": "image/png"} | extra).items()
    )
    headers = tablet.headers | {
        "Tus-Resumable": "1.0.0",
        "Upload-Length": str(len(data)),
        "Upload-Metadata": metadata,
        "Upload-Offset": "500",
    }
    response = client.post("/v1/uploads", headers=headers)
    assert response.status_code == 201, response.text
    upload_id = response.headers["location"].rsplit("/", 1)[1]
    assert upload_id != "0" * 32
    row = (upload_id,)
    assert one_value(settings.db_path, "SELECT auditor FROM uploads WHERE upload_id = ?", row) == "aigerim"
    assert one_value(settings.db_path, "SELECT device_id FROM uploads WHERE upload_id = ?", row) == tablet.device_id
    assert one_value(settings.db_path, "SELECT offset FROM uploads WHERE upload_id = ?", row) == 0


def test_bodies_on_endpoints_without_one_change_nothing_they_name(org, settings, users):
    """A token for a user keeps the user's role; publishing keeps the server's hash and time; withdrawing withdraws."""
    client, admin, lead = org.client, org.headers["admin"], org.headers["quality_lead"]
    FIELDS_TRIED["no-body endpoints"] += 10
    response = client.post("/v1/users/aigerim/tokens", json={"role": "admin", "name": "root"}, headers=admin)
    assert response.status_code == 201, response.text
    second = {"Authorization": f"Bearer {response.json()['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}
    assert client.get("/v1/users", headers=second).status_code == 403
    assert client.get(f"/v1/submissions/{org.sub}", headers=second).status_code == 200
    assert one_value(settings.db_path, "SELECT role FROM users WHERE name = 'aigerim'") == "auditor"
    assert one_value(settings.db_path, "SELECT count(*) FROM users WHERE name = 'root'") == 0

    card = client.post(
        "/v1/scorecards", json={"scope": "unit", "unit_id": "U1", "period": "2026-10"}, headers=lead
    ).json()
    forged = {"status": "draft", "sha256": "0" * 64, "published_at": "2000-01-01T00:00:00Z"}
    published = client.post(f"/v1/scorecards/{card['id']}/publish", json=forged, headers=lead).json()
    assert published["status"] == "published" and published["sha256"] == card["sha256"]
    assert published["published_at"] > "2026"

    org.appeal()
    forged = {"status": "open", "closed_at": None, "filed_by": "root", "unit_id": "U2"}
    response = client.post(f"/v1/appeals/{org.appeal_id}/withdraw", json=forged, headers=org.headers["manager"])
    assert response.status_code == 200, response.text
    withdrawn = response.json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["closed_at"] > "2026" and withdrawn["unit_id"] == "U1"
    row = (org.appeal_id,)
    assert one_value(settings.db_path, "SELECT filed_by FROM appeals WHERE appeal_id = ?", row) == "marat"


def test_every_body_taking_route_is_covered(client):
    """A new write route fails here until its body's server-owned fields are tried above (or it takes none)."""
    tried = {(c.method, c.route) for c in STRICT}
    raw_or_tolerant = {
        ("POST", "/v1/sync/push"): "revisions keep unknown fields as content (tested above)",
        ("POST", "/v1/submissions/{submission_id:str}/revisions"): "a bare revision, as in a push",
        ("POST", "/v1/admin/import/{entity:str}"): "CSV: an unknown column is 400 invalid_csv",
        ("POST", "/v1/uploads"): "tus headers: other metadata keys are ignored",
        ("PATCH", "/v1/uploads/{upload_id:str}"): "raw bytes of a chunk",
    }
    without_body = {
        ("POST", "/v1/users/{name:str}/tokens"),
        ("DELETE", "/v1/users/{name:str}/tokens"),
        ("DELETE", "/v1/users/{name:str}/tokens/{prefix:str}"),
        ("DELETE", "/v1/devices/{device_id:str}"),
        ("POST", "/v1/checklists/{checklist_id:str}/versions/{version:str}/retire"),
        ("POST", "/v1/scorecards/{scorecard_id:str}/publish"),
        ("POST", "/v1/submissions/{submission_id:str}/release/{rev_id:str}"),
        ("POST", "/v1/admin/rebuild"),
        ("POST", "/v1/admin/blobs/verify"),
        ("POST", "/v1/appeals/{appeal_id:str}/withdraw"),
        ("POST", "/v1/plans/{plan_id:str}/publish"),
    }
    writes = {(m, p) for m, p, _ in role_table(client.app) if m in {"POST", "PUT", "PATCH", "DELETE"}}
    assert tried | set(raw_or_tolerant) | without_body == writes
    # Every typed body forbids unknown fields, nested types included.
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            data = handler.parsed_fn_signature.parameters.get("data")
            if data is None:
                continue
            for body_type in [data.annotation, *(t.annotation for t in data.inner_types)]:
                if isinstance(body_type, type) and issubclass(body_type, msgspec.Struct):
                    assert _forbids_unknown(body_type), f"{route.path}: {body_type.__name__}"


def _forbids_unknown(struct: type[msgspec.Struct], seen: set | None = None) -> bool:
    seen = seen if seen is not None else set()
    if struct in seen:
        return True
    seen.add(struct)
    if not struct.__struct_config__.forbid_unknown_fields:
        return False
    nested = [t for f in msgspec.structs.fields(struct) for t in _struct_types(f.type)]
    return all(_forbids_unknown(t, seen) for t in nested)


def _struct_types(tp: object) -> list[type]:
    import typing

    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return [tp]
    return [t for arg in typing.get_args(tp) for t in _struct_types(arg)]


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    """After the file: print how many server-owned fields were tried (run with `-s`)."""
    yield
    if FIELDS_TRIED:
        print(f"\nmass assignment: {sum(FIELDS_TRIED.values())} fields tried: {dict(FIELDS_TRIED)}")
