"""Object-level access: every endpoint that takes an id, for every role and a second user of each role.

An object of someone else is 404, never 403 and never a byte of it (API.md, Errors); a role that
may not use an endpoint at all is 403. The matrix is generated from the app's own role table: an
endpoint with an id in its path that no case here covers fails `test_every_id_endpoint_is_covered`.

`CHECKS` counts what the tests performed (`pytest -s` prints it): the matrix of (endpoint x actor)
against real objects, and random ids for every (endpoint x role) that the role may call.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import io
import json
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import httpx
import pytest
from PIL import Image

from checklists.library import policy_file
from server.auth import role_table
from server.settings import Settings
from tests.conftest import make_user
from tests.tablet import Tablet

OCTOBER = "2026-10-15T11:00:00+05:00"
PERIOD = "2026-10"
CLOSED = "2026-08"  # closed while it is empty: its snapshot and adjustments are real objects to read
SECRET_COMMENT = "A-only: кассир продиктовал пароль Wi-Fi 7Q2X"
TUS = {"Tus-Resumable": "1.0.0"}
UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
UNIT2 = {"kind": "branch", "name": "ПСС Қонаев", "region": "Алматы облысы"}
CLAIM = "Кассир поздоровался: видно на записи камеры 3"
STAFF = {"name": "Нұрланова Әлия", "unit_id": "U1"}
ASSIGNMENT = {"unit_id": "U1", "checklist_id": "example", "due_from": "2026-10-01", "due_to": "2026-10-31"}

# Each actor and its role; `auditor` (aigerim) owns the submission, the blob and the upload; `manager`
# manages its unit (U1) and filed the appeal, `manager2` manages another unit (U2).
ACTORS = {
    "admin": "admin",
    "admin2": "admin",
    "lead": "quality_lead",
    "lead2": "quality_lead",
    "hr": "hr",
    "hr2": "hr",
    "auditor": "auditor",
    "auditor2": "auditor",
    "manager": "unit_manager",
    "manager2": "unit_manager",
}
OWNER = "auditor"
RANDOM_IDS = 600  # per (endpoint x role that may call it)

CHECKS: collections.Counter[str] = collections.Counter()


@pytest.fixture
def settings(tmp_path) -> Settings:
    # Scorecards render in a thread of the server: no worker processes for this file.
    return Settings(data_dir=tmp_path / "var", render_workers=0)


# --- the world: objects that belong to auditor A (aigerim) and to others -------------------------------


@dataclass
class World:
    client: object
    headers: dict[str, dict[str, str]]
    tablet: Tablet
    tablet_b: Tablet
    visit: dict
    sha_a: str
    blob_a: bytes
    upload_a: str
    sub_b: str
    draft: dict
    published: dict
    policy: dict
    victim_device: str
    appeal: str
    revs_a: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=lambda: [f"2025-{m:02d}" for m in range(1, 13)])

    @property
    def sub_a(self) -> str:
        return self.visit["submission_id"]

    def a_secrets(self) -> list[str]:
        """What of A's must never reach another auditor."""
        return [
            self.sub_a,
            self.sub_a.upper(),
            *self.revs_a,
            self.sha_a,
            self.upload_a.rsplit("/", 1)[1],
            SECRET_COMMENT,
            "aigerim",
            self.tablet.device_id,
        ]

    def draft_secrets(self) -> list[str]:
        """What of a draft scorecard must never reach HR."""
        return [self.draft["id"], self.draft["sha256"], self.draft["input_sha256"]]

    def heads(self) -> list[str]:
        return self.client.get(f"/v1/submissions/{self.sub_a}", headers=self.headers["admin"]).json()["heads"]

    def open_appeal(self) -> str:
        """The manager's open appeal of A's visit: the one filed at the start, or a new one once it is closed."""
        appeal = self.client.get(f"/v1/appeals/{self.appeal}", headers=self.headers["admin"]).json()
        if appeal["status"] != "open":
            self.appeal = _file_appeal(self.client, self.headers["manager"], self.sub_a)
        return self.appeal

    def appeal_secrets(self) -> list[str]:
        """What of the manager's appeal must never reach another unit's manager."""
        return [*self.a_secrets(), self.appeal, CLAIM]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _start_upload(client, headers: dict, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    metadata = f"sha256 {_b64(sha)},content_type {_b64('image/jpeg')}"
    response = client.post(
        "/v1/uploads", headers=headers | TUS | {"Upload-Length": str(len(data)), "Upload-Metadata": metadata}
    )
    assert response.status_code == 201, response.text
    return response.headers["location"]


def _patch_headers(offset: int) -> dict[str, str]:
    return TUS | {"Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)}


def _photo() -> bytes:
    """A real JPEG (a unit manager gets photos re-encoded, which needs a picture)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (40, 30), random.Random(7).randbytes(40 * 30 * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def _file_appeal(client, manager: dict[str, str], submission_id: str) -> str:
    body = {"submission_id": submission_id, "items": [{"item": "GREET.1", "claim": CLAIM}]}
    response = client.post("/v1/appeals", json=body, headers=manager)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _publish_copy_of_example(client, admin, new_id: str) -> None:
    from tests.conftest import EXAMPLE_CHECKLIST

    text = EXAMPLE_CHECKLIST.read_text().replace('id = "example"', f'id = "{new_id}"', 1)
    response = client.post(
        "/v1/checklists", content=text.encode(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def world(client, users, example_checklist, default_policy) -> World:
    admin = users["admin"]
    headers = {
        "admin": admin,
        "admin2": make_user(client, admin, "root2", "admin"),
        "lead": users["quality_lead"],
        "lead2": make_user(client, admin, "lead2", "quality_lead"),
        "hr": users["hr"],
        "hr2": make_user(client, admin, "hr2", "hr"),
        "auditor": users["auditor"],
        "auditor2": users["auditor2"],
    }
    for path, body in (("/v1/units/U1", UNIT), ("/v1/units/U2", UNIT2), ("/v1/staff/E1", STAFF)):
        assert client.put(path, json=body, headers=admin).status_code == 200
    headers["manager"] = make_user(client, admin, "manager", "unit_manager", units=["U1"])
    headers["manager2"] = make_user(client, admin, "manager2", "unit_manager", units=["U2"])
    # Appeals are filed and closed many times over below: a cap the matrix does not reach.
    policy = (
        policy_file().read_text().replace("version = 1", "version = 2", 1)
        + "\n[appeals]\nmax_per_unit_per_period = 1000\n"
    )
    response = client.post(
        "/v1/policies", content=policy.encode(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    for key, auditor in (("ASG-A", "aigerim"), ("ASG-B", "daulet")):
        response = client.put(f"/v1/assignments/{key}", json=ASSIGNMENT | {"auditor": auditor}, headers=admin)
        assert response.status_code == 200, response.text
    _publish_copy_of_example(client, admin, "retireme")

    tablet, tablet_b = Tablet(headers["auditor"]), Tablet(headers["auditor2"])
    # A's evidence: one photo uploaded whole, one upload left half way.
    blob = _photo()
    sha = hashlib.sha256(blob).hexdigest()
    location = _start_upload(client, tablet.headers, blob)
    response = client.patch(location, headers=tablet.headers | _patch_headers(0), content=blob)
    assert response.status_code == 204, response.text
    unfinished = random.Random(8).randbytes(5_000)
    upload = _start_upload(client, tablet.headers, unfinished)
    assert (
        client.patch(upload, headers=tablet.headers | _patch_headers(0), content=unfinished[:1000]).status_code == 204
    )

    visit = tablet.revision(started_at=OCTOBER, assignment_id="ASG-A")
    visit["answers"][0]["evidence"] = [sha]
    visit["answers"][1]["comment"] = SECRET_COMMENT
    (receipt,) = tablet.push(client, [visit])
    assert receipt["status"] == "applied", receipt
    own = tablet_b.revision(started_at=OCTOBER, assignment_id="ASG-B")
    (receipt_b,) = tablet_b.push(client, [own])
    assert receipt_b["status"] == "applied", receipt_b
    # A's visit approved, and its manager's appeal of one item.
    decision = {"decision": "approve", "heads": [visit["rev_id"]]}
    assert (
        client.post(f"/v1/submissions/{visit['submission_id']}/review", json=decision, headers=admin).status_code == 200
    )
    appeal = _file_appeal(client, headers["manager"], visit["submission_id"])

    lead = headers["lead"]
    body = {"scope": "unit", "unit_id": "U1", "period": PERIOD}
    draft = client.post("/v1/scorecards", json=body | {"lang": "ru"}, headers=lead)
    published = client.post("/v1/scorecards", json=body | {"lang": "en"}, headers=lead)
    assert draft.status_code == published.status_code == 201, (draft.text, published.text)
    published = client.post(f"/v1/scorecards/{published.json()['id']}/publish", headers=lead)
    assert published.status_code == 200, published.text

    assert client.post(f"/v1/periods/{CLOSED}/close", headers=admin).status_code == 201
    # A victim of the admin-only token and device endpoints (never one of the actors).
    victim = make_user(client, admin, "victim", "auditor")
    assert client.get("/v1/submissions", headers=victim).status_code == 200  # binds its device
    make_user(client, admin, "victim.office", "hr")  # and of the password endpoint (auditors have none)
    return World(
        client=client,
        headers=headers,
        tablet=tablet,
        tablet_b=tablet_b,
        visit=visit,
        sha_a=sha,
        blob_a=blob,
        upload_a=upload,
        sub_b=own["submission_id"],
        draft=draft.json(),
        published=published.json(),
        policy=default_policy,
        victim_device=victim["Tekseru-Device-Id"],
        appeal=appeal,
        revs_a=[visit["rev_id"]],
    )


# --- the cases: one real object per endpoint, and who may see it -----------------------------------------


def _plan(w: World) -> str:
    """A fresh draft plan (drafted by an admin), so that each publish has a draft to publish."""
    policy = b'period = "2031-03"\n[visits]\nbranch = 3\n'
    response = w.client.post(
        "/v1/plans", content=policy, headers=w.headers["admin"] | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    return response.json()["plan_id"]


@dataclass
class Req:
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json: object = None
    content: bytes | None = None


@dataclass
class Case:
    """One endpoint that takes an id, one real object behind it, and who may see that object."""

    method: str
    route: str  # the path as the role table names it
    target: Callable[[World], Req]
    ok: frozenset[int]
    secret: bool  # the id names something only some callers of the endpoint may see
    # actor -> may the actor see this object, given that its role may call the endpoint
    visible: Callable[[str], bool] = lambda actor: True
    secrets: Callable[[World], list[str]] = lambda w: w.a_secrets()
    random_params: tuple[str, ...] = ()  # which path parameters the random-id sweep replaces
    random_ok: frozenset[int] = frozenset({404})
    name: str = ""


def _owner_only(actor: str) -> bool:
    return ACTORS[actor] not in ("auditor", "unit_manager") or actor == OWNER


def _evidence(actor: str) -> bool:
    """A's photo: A, those who see everything, and the manager of the unit of A's approved visit."""
    return _owner_only(actor) or actor == "manager"


def _not_hr(actor: str) -> bool:
    return ACTORS[actor] not in ("hr", "unit_manager")


def _not_other_unit(actor: str) -> bool:
    return actor != "manager2"


def _correction(w: World) -> Req:
    heads = w.heads()
    revision = dict(w.visit) | {"rev_id": str(uuid.uuid4()), "parents": heads, "hlc": None}
    w.revs_a.append(revision["rev_id"])
    return Req(f"/v1/submissions/{w.sub_a}/revisions", json=revision)


def _pending(w: World) -> Req:
    revision = w.tablet.edit(w.visit, parents=[str(uuid.uuid4())])
    (receipt,) = w.tablet.push(w.client, [revision])
    assert receipt["status"] == "pending", receipt
    w.revs_a.append(revision["rev_id"])
    return Req(f"/v1/submissions/{w.sub_a}/release/{revision['rev_id']}")


def _review(w: World) -> Req:
    return Req(f"/v1/submissions/{w.sub_a}/review", json={"decision": "approve", "heads": w.heads()})


def _token_prefix(w: World) -> Req:
    response = w.client.post("/v1/users/victim/tokens", headers=w.headers["admin"])
    return Req(f"/v1/users/victim/tokens/{response.json()['prefix']}")


def _close(w: World) -> Req:
    return Req(f"/v1/periods/{w.periods.pop(0)}/close")


SUB = "/v1/submissions/{submission_id:str}"
CARD = "/v1/scorecards/{scorecard_id:str}"
OK = frozenset({200})

SECRET_CASES = [
    Case(
        "GET", SUB, lambda w: Req(f"/v1/submissions/{w.sub_a}"), OK, True, _owner_only, random_params=("submission_id",)
    ),
    Case(
        "GET",
        SUB + "/revisions",
        lambda w: Req(f"/v1/submissions/{w.sub_a}/revisions"),
        OK,
        True,
        _owner_only,
        random_params=("submission_id",),
    ),
    Case("POST", SUB + "/revisions", _correction, OK, True, random_params=("submission_id",)),
    Case("POST", SUB + "/release/{rev_id:str}", _pending, OK, True, random_params=("submission_id", "rev_id")),
    Case("POST", SUB + "/review", _review, OK, True, random_params=("submission_id",)),
    Case(
        "GET",
        "/v1/blobs/{sha256:str}",
        lambda w: Req(f"/v1/blobs/{w.sha_a}"),
        OK,
        True,
        _evidence,
        random_params=("sha256",),
    ),
    Case(
        "GET",
        "/v1/units/{unit_id:str}/visits",
        lambda w: Req(f"/v1/units/U1/visits?period={PERIOD}"),
        OK,
        True,
        _not_other_unit,
        random_params=("unit_id",),
    ),
    Case(
        "GET",
        "/v1/appeals/{appeal_id:str}",
        lambda w: Req(f"/v1/appeals/{w.appeal}"),
        OK,
        True,
        _not_other_unit,
        secrets=lambda w: w.appeal_secrets(),
        random_params=("appeal_id",),
    ),
    Case(
        "POST",
        "/v1/appeals/{appeal_id:str}/withdraw",
        lambda w: Req(f"/v1/appeals/{w.open_appeal()}/withdraw"),
        OK,
        True,
        _not_other_unit,
        secrets=lambda w: w.appeal_secrets(),
        random_params=("appeal_id",),
    ),
    Case(
        "POST",
        "/v1/appeals/{appeal_id:str}/decision",
        lambda w: Req(
            f"/v1/appeals/{w.open_appeal()}/decision",
            json={"items": [{"item": "GREET.1", "outcome": "upheld", "reason": "Ответ засчитан верно"}]},
        ),
        OK,
        True,
        secrets=lambda w: w.appeal_secrets(),
        random_params=("appeal_id",),
    ),
    Case(
        "HEAD",
        "/v1/uploads/{upload_id:str}",
        lambda w: Req(w.upload_a, headers=TUS),
        OK,
        True,
        _owner_only,
        random_params=("upload_id",),
    ),
    Case(
        "PATCH",
        "/v1/uploads/{upload_id:str}",
        # An empty chunk at the current offset: a no-op for the owner.
        lambda w: Req(w.upload_a, headers=_patch_headers(1000), content=b""),
        frozenset({204}),
        True,
        _owner_only,
        random_params=("upload_id",),
    ),
    Case(
        "GET",
        CARD,
        lambda w: Req(f"/v1/scorecards/{w.draft['id']}"),
        OK,
        True,
        _not_hr,
        secrets=lambda w: w.draft_secrets(),
        random_params=("scorecard_id",),
        name="draft",
    ),
    Case(
        "GET",
        CARD,
        lambda w: Req(f"/v1/scorecards/{w.published['id']}"),
        OK,
        True,
        _not_other_unit,
        name="published",
    ),
    Case(
        "GET",
        CARD + "/pdf",
        lambda w: Req(f"/v1/scorecards/{w.draft['id']}/pdf"),
        OK,
        True,
        _not_hr,
        secrets=lambda w: w.draft_secrets(),
        random_params=("scorecard_id",),
        name="draft",
    ),
    Case(
        "GET",
        CARD + "/pdf",
        lambda w: Req(f"/v1/scorecards/{w.published['id']}/pdf"),
        OK,
        True,
        _not_other_unit,
        name="published",
    ),
    # Publishing the published one again changes nothing, so the draft stays a draft for the rows above.
    Case(
        "POST",
        CARD + "/publish",
        lambda w: Req(f"/v1/scorecards/{w.published['id']}/publish"),
        OK,
        True,
        random_params=("scorecard_id",),
    ),
]

# Ids that are not secret from anyone who may call the endpoint: the directory (units, staff,
# assignments: administrators choose these ids from their HR and branch systems, and every office
# role reads all of them; auditors get theirs only through pull, tested below), published checklist
# and policy versions (documents every reader may see), periods (calendar months), the entity
# names of the CSV import, and the users, tokens and devices that only administrators manage.
# Their random-id sweep still proves 404 (or 400 for a malformed month or entity), never 200 or 500.
NOT_SECRET_CASES = [
    Case("GET", "/v1/units/{unit_id:str}", lambda w: Req("/v1/units/U1"), OK, False, random_params=("unit_id",)),
    Case("PUT", "/v1/units/{unit_id:str}", lambda w: Req("/v1/units/U1", json=UNIT), OK, False),
    Case("GET", "/v1/staff/{staff_id:str}", lambda w: Req("/v1/staff/E1"), OK, False, random_params=("staff_id",)),
    Case("PUT", "/v1/staff/{staff_id:str}", lambda w: Req("/v1/staff/E1", json=STAFF), OK, False),
    Case(
        "GET",
        "/v1/assignments/{assignment_id:str}",
        lambda w: Req("/v1/assignments/ASG-A"),
        OK,
        False,
        random_params=("assignment_id",),
    ),
    Case(
        "PUT",
        "/v1/assignments/{assignment_id:str}",
        lambda w: Req("/v1/assignments/ASG-A", json=ASSIGNMENT | {"auditor": "aigerim"}),
        OK,
        False,
    ),
    Case(
        "GET",
        "/v1/checklists/{checklist_id:str}/versions/{version:str}",
        lambda w: Req("/v1/checklists/example/versions/1"),
        OK,
        False,
        random_params=("checklist_id",),
    ),
    Case(
        "POST",
        "/v1/checklists/{checklist_id:str}/versions/{version:str}/retire",
        lambda w: Req("/v1/checklists/retireme/versions/1/retire"),
        OK,
        False,
        random_params=("checklist_id",),
    ),
    Case(
        "GET",
        "/v1/policies/{policy_id:str}/versions/{version:str}",
        lambda w: Req(f"/v1/policies/{w.policy['id']}/versions/{w.policy['version']}"),
        OK,
        False,
        random_params=("policy_id",),
    ),
    Case(
        "POST",
        "/v1/periods/{period:str}/close",
        _close,
        frozenset({201}),
        False,
        random_params=("period",),
        random_ok=frozenset({400, 404}),
    ),
    Case(
        "GET",
        "/v1/periods/{period:str}/snapshot",
        lambda w: Req(f"/v1/periods/{CLOSED}/snapshot"),
        OK,
        False,
        random_params=("period",),
        random_ok=frozenset({400, 404}),
    ),
    Case(
        "GET",
        "/v1/periods/{period:str}/adjustments",
        lambda w: Req(f"/v1/periods/{CLOSED}/adjustments"),
        OK,
        False,
        random_params=("period",),
        random_ok=frozenset({400, 404}),
    ),
    Case(
        "POST",
        "/v1/admin/import/{entity:str}",
        lambda w: Req(
            "/v1/admin/import/units",
            headers={"Content-Type": "text/csv"},
            content="unit_id,kind,name,region\nU9,branch,ПСС Талдықорған,Жетісу\n".encode(),
        ),
        OK,
        False,
        random_params=("entity",),
        random_ok=frozenset({400, 404}),
    ),
    Case(
        "POST",
        "/v1/users/{name:str}/tokens",
        lambda w: Req("/v1/users/victim/tokens"),
        frozenset({201}),
        False,
        random_params=("name",),
    ),
    Case(
        "DELETE",
        "/v1/users/{name:str}/tokens",
        lambda w: Req("/v1/users/victim/tokens"),
        frozenset({204}),
        False,
        random_params=("name",),
    ),
    Case(
        "DELETE",
        "/v1/users/{name:str}/tokens/{prefix:str}",
        _token_prefix,
        frozenset({204}),
        False,
        random_params=("name", "prefix"),
    ),
    Case(
        "PUT",
        "/v1/users/{name:str}/password",
        lambda w: Req("/v1/users/victim.office/password", json={"password": "a long passphrase 1"}),
        frozenset({204}),
        False,
        random_params=("name",),
    ),
    Case(
        "PUT",
        "/v1/users/{name:str}/units",
        lambda w: Req("/v1/users/manager/units", json={"units": ["U1"]}),
        OK,
        False,
        random_params=("name",),
    ),
    Case(
        "PUT",
        "/v1/users/{name:str}/region",
        lambda w: Req("/v1/users/aigerim/region", json={"region": "Алматы"}),
        OK,
        False,
        random_params=("name",),
    ),
    # Plans: every caller of these endpoints (admins, quality leads) plans every unit.
    Case(
        "GET",
        "/v1/plans/{plan_id:str}",
        lambda w: Req(f"/v1/plans/{_plan(w)}"),
        OK,
        False,
        random_params=("plan_id",),
    ),
    Case(
        "POST",
        "/v1/plans/{plan_id:str}/publish",
        lambda w: Req(f"/v1/plans/{_plan(w)}/publish"),
        OK,
        False,
        random_params=("plan_id",),
    ),
    Case(
        "DELETE",
        "/v1/devices/{device_id:str}",
        lambda w: Req(f"/v1/devices/{w.victim_device}"),
        frozenset({204}),
        False,
        random_params=("device_id",),
    ),
]

CASES = SECRET_CASES + NOT_SECRET_CASES


def _allowed(client) -> dict[tuple[str, str], frozenset[str]]:
    return {(method, path): roles for method, path, roles in role_table(client.app)}


def _case_id(case: Case) -> str:
    return f"{case.method} {case.route}" + (f" ({case.name})" if case.name else "")


def test_every_id_endpoint_is_covered(client):
    """A new endpoint with an id in its path fails here until a case says who may see its objects."""
    with_ids = {key for key in _allowed(client) if "{" in key[1]}
    assert {(c.method, c.route) for c in CASES} == with_ids
    assert not {(c.method, c.route) for c in SECRET_CASES} & {(c.method, c.route) for c in NOT_SECRET_CASES}


# --- the matrix: every case x every actor ----------------------------------------------------------------


def _send(client, method: str, req: Req, headers: dict[str, str]) -> httpx.Response:
    return client.request(method, req.path, headers=headers | req.headers, json=req.json, content=req.content)


def _assert_nothing_of(response: httpx.Response, secrets: list[str], what: str) -> None:
    text = response.content.decode("utf-8", "replace") + " " + " ".join(response.headers.values())
    leaked = [s for s in secrets if s and s.lower() in text.lower()]
    assert not leaked, f"{what}: {leaked} in {text[:500]}"


def test_matrix_of_endpoints_roles_and_owners(world):
    """Every endpoint with an id x every actor: the owner and the roles that see all get it; a second
    auditor and HR (for drafts) get 404 with nothing of the object; a role outside the table gets 403."""
    client, allowed = world.client, _allowed(world.client)
    violations = []
    for case in CASES:
        roles = allowed[(case.method, case.route)]
        for actor, role in ACTORS.items():
            req = case.target(world)
            response = _send(client, case.method, req, world.headers[actor])
            CHECKS["matrix (endpoint x actor)"] += 1
            if role not in roles:
                expected = frozenset({403})
            elif not case.visible(actor):
                expected = frozenset({404})
            else:
                expected = case.ok
            where = f"{actor} {_case_id(case)} -> {response.status_code}"
            if response.status_code not in expected:
                violations.append(f"{where}, expected {sorted(expected)}: {response.text[:200]}")
                continue
            if response.status_code in (403, 404):
                if case.method != "HEAD":
                    body = response.json()
                    assert body["code"] == ("forbidden" if response.status_code == 403 else "not_found"), where
                _assert_nothing_of(response, case.secrets(world), where)
    assert not violations, "\n".join(violations)


def test_another_auditor_gets_404_for_every_spelling_of_a_foreign_id(world):
    """Upper-case spellings of A's ids, and A's own upload from A's second tablet: 404 like any other."""
    client, b = world.client, world.headers["auditor2"]
    probes = [
        ("GET", f"/v1/submissions/{world.sub_a.upper()}", {}),
        ("GET", f"/v1/submissions/{world.sub_a.upper()}/revisions", {}),
        ("GET", f"/v1/blobs/{world.sha_a.upper()}", {}),
        ("HEAD", world.upload_a, TUS),
        ("HEAD", world.upload_a.rsplit("/", 1)[0] + "/" + world.upload_a.rsplit("/", 1)[1].upper(), TUS),
    ]
    for method, path, extra in probes:
        response = client.request(method, path, headers=b | extra)
        CHECKS["matrix (endpoint x actor)"] += 1
        assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        _assert_nothing_of(response, world.a_secrets(), f"{method} {path}")
    # Bytes sent to A's upload by B are not kept.
    response = client.patch(world.upload_a, headers=b | _patch_headers(1000), content=b"B's bytes")
    CHECKS["matrix (endpoint x actor)"] += 1
    assert response.status_code == 404 and "upload-offset" not in response.headers
    # The owner's own upload from a second tablet (a second token, another device) is not its upload.
    second = {
        "Authorization": "Bearer "
        + client.post("/v1/users/aigerim/tokens", headers=world.headers["admin"]).json()["token"]
    }
    second["Tekseru-Device-Id"] = str(uuid.uuid4())
    for method in ("HEAD", "PATCH"):
        extra = TUS if method == "HEAD" else _patch_headers(1000)
        response = client.request(
            method, world.upload_a, headers=second | extra, content=b"x" if method == "PATCH" else None
        )
        CHECKS["matrix (endpoint x actor)"] += 1
        assert response.status_code == 404, f"{method} from another device: {response.status_code}"
    assert client.head(world.upload_a, headers=world.tablet.headers | TUS).headers["upload-offset"] == "1000"


def test_another_auditor_pulls_and_lists_nothing_of_the_first(world):
    client = world.client
    changes, _ = world.tablet_b.pull_all(client)
    raw = repr(changes)
    seen = {(c["kind"], c["id"]) for c in changes}
    assert ("assignment", "ASG-B") in seen and ("submission", world.sub_b) in seen
    assert ("assignment", "ASG-A") not in seen and ("submission", world.sub_a) not in seen
    leaked = [s for s in world.a_secrets() if s.lower() in raw.lower()]
    assert not leaked, leaked
    # The owner's own pull has them (the check above is not vacuous).
    mine, _ = world.tablet.pull_all(client)
    assert {("assignment", "ASG-A"), ("submission", world.sub_a)} <= {(c["kind"], c["id"]) for c in mine}
    # A review of A's visit (a correction, a rejection with a comment) reaches A's tablet, not B's.
    _, cursor_b = world.tablet_b.pull_all(client)
    lead = world.headers["lead"]
    correction = _correction(world)
    assert client.post(correction.path, json=correction.json, headers=lead).status_code == 200
    decision = {"decision": "reject", "comment": SECRET_COMMENT + " (ещё раз)", "heads": world.heads()}
    assert client.post(f"/v1/submissions/{world.sub_a}/review", json=decision, headers=lead).status_code == 200
    assert world.tablet_b.pull_all(client, cursor_b)[0] == []
    assert SECRET_COMMENT + " (ещё раз)" in repr(world.tablet.pull_all(client)[0])
    # The queue: an auditor lists its own, whatever filter it sends.
    b = world.headers["auditor2"]
    for params in (
        {},
        {"status": "all"},
        {"auditor": "aigerim", "status": "all"},
        {"unit_id": "U1", "status": "all", "period": PERIOD},
        {"status": "all", "sort": "recent", "conflicts": "false"},
    ):
        response = client.get("/v1/submissions", params=params, headers=b)
        CHECKS["matrix (endpoint x actor)"] += 1
        assert response.status_code == 200, response.text
        assert {r["auditor"] for r in response.json()["items"]} <= {"daulet"}, params
        _assert_nothing_of(response, world.a_secrets(), f"list {params}")


def test_another_auditors_push_into_a_foreign_submission_changes_nothing(world):
    """B's revisions naming A's submission are `rejected` (`not_owner`); A's view stays as it was."""
    client, b = world.client, world.tablet_b
    before = client.get(f"/v1/submissions/{world.sub_a}", headers=world.headers["admin"]).json()
    intruders = [
        b.revision(submission_id=world.sub_a, parents=[world.visit["rev_id"]], answers={"GREET.1": False}),
        b.revision(submission_id=world.sub_a.upper(), parents=[]),
    ]
    receipts = b.push(client, intruders)
    assert [r["status"] for r in receipts] == ["rejected", "rejected"]
    assert [r["problem"]["code"] for r in receipts] == ["not_owner", "not_owner"]
    after = client.get(f"/v1/submissions/{world.sub_a}", headers=world.headers["admin"]).json()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    # A parent that is A's revision is, in B's own submission, just a missing parent: as a random one.
    own = b.revision(parents=[world.visit["rev_id"]])
    stranger = b.revision(parents=[str(uuid.uuid4())])
    mine, theirs = b.push(client, [own, stranger])
    assert mine["status"] == theirs["status"] == "pending"
    assert mine["missing_parents"] == [world.visit["rev_id"]] and mine["score"] is None
    view = client.get(f"/v1/submissions/{own['submission_id']}", headers=b.headers).json()
    assert SECRET_COMMENT not in repr(view) and world.sha_a not in repr(view)


def test_a_rejected_receipt_carries_nothing_of_the_foreign_submission(world):
    (receipt,) = world.tablet_b.push(world.client, [world.tablet_b.revision(submission_id=world.sub_a)])
    assert receipt["status"] == "rejected"
    assert receipt["heads"] == [] and receipt["score"] is None
    leaked = [s for s in world.a_secrets() if s != world.sub_a and s in repr(receipt)]
    assert not leaked, leaked


def test_reusing_a_foreign_rev_id_reveals_nothing(world):
    b = world.tablet_b
    reused = b.revision(rev_id=world.visit["rev_id"])
    (receipt,) = b.push(world.client, [reused])
    assert receipt["status"] == "rejected"
    leaked = [s for s in world.a_secrets() if s != world.visit["rev_id"] and s in repr(receipt)]
    assert not leaked, leaked


def test_hr_never_sees_a_draft_scorecard(world):
    client = world.client
    for actor in ("hr", "hr2"):
        for params in ({}, {"status": "draft"}, {"period": PERIOD}, {"unit_id": "U1", "status": "draft"}):
            response = client.get("/v1/scorecards", params=params, headers=world.headers[actor])
            CHECKS["matrix (endpoint x actor)"] += 1
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            assert {c["status"] for c in items} <= {"published"}, params
            assert world.published["id"] in {c["id"] for c in items} or params.get("status") == "draft"
            _assert_nothing_of(response, world.draft_secrets(), f"{actor} list {params}")
    # The quality lead's list has both (the check above is not vacuous).
    listed = client.get("/v1/scorecards", headers=world.headers["lead2"]).json()["items"]
    assert {c["id"] for c in listed} == {world.draft["id"], world.published["id"]}


# --- random ids ----------------------------------------------------------------------------------------

_ALPHABET = string.ascii_letters + string.digits + " -._~!$&'()*+,;=:@%\"<>[]{}|^`\\?#" + "ЁёӘәҒғҚқҢңӨөҰұҮүҺһІі\x00"
NASTY = [
    "../../../etc/passwd",
    "..%2F..%2Fvar",
    "' OR '1'='1",
    "1; DROP TABLE submissions; --",
    "%00",
    "\x00" * 8,
    "x" * 5000,
    "null",
    "undefined",
    "00000000-0000-0000-0000-000000000000",
    "0" * 64,
    "f" * 64,
]


def random_ids(rng: random.Random, n: int) -> list[str]:
    """uuid4s, random hex sha256s and random strings (8 to 80 characters: never a real name), in turn."""
    out = list(NASTY)
    while len(out) < n:
        kind = len(out) % 3
        if kind == 0:
            out.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        elif kind == 1:
            out.append(rng.randbytes(32).hex())
        else:
            out.append("".join(rng.choice(_ALPHABET) for _ in range(rng.randint(8, 80))))
    return out[:n]


def _fill(route: str, real: str, params: tuple[str, ...], value: str) -> str:
    """The real object's path with the named parameters replaced by `value`."""
    parts, real_parts = route.split("/"), real.split("/")
    out = []
    for part, real_part in zip(parts, real_parts, strict=True):
        name = part[1:].split(":")[0] if part.startswith("{") else None
        out.append(quote(value, safe="") if name in params else real_part)
    return "/".join(out)


def _fire(client, requests: list[tuple[str, str, dict[str, str], bytes | None]]) -> list[tuple[int, bytes]]:
    """Send many requests to the app at once, on the test client's own event loop: each answer's status and body.

    Tens of thousands of requests one by one through the test client would take minutes; here the
    app answers them concurrently, as a server would, each as the ASGI call a server makes (`path`
    percent-decoded, `raw_path` as sent).
    """

    async def call(method: str, url: str, headers: dict[str, str], content: bytes | None) -> tuple[int, bytes]:
        body = content or b""
        url, _, query = url.partition("?")
        header_list = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        header_list += [(b"host", b"testserver.local"), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(url),
            "raw_path": url.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": header_list,
            "client": ("127.0.0.1", 40000),
            "server": ("testserver.local", 80),
        }
        done = asyncio.Event()
        started = False
        status, chunks = 0, []

        async def receive() -> dict:
            nonlocal started
            if not started:
                started = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    done.set()

        await client.app(scope, receive, send)
        return status, b"".join(chunks)

    async def run() -> list[tuple[int, bytes]]:
        limit = asyncio.Semaphore(64)

        async def one(request: tuple) -> tuple[int, bytes]:
            async with limit:
                return await call(*request)

        return await asyncio.gather(*(one(r) for r in requests))

    with client.portal() as portal:
        return portal.call(run)


def _sweep_base(case: Case, w: World) -> Req:
    """The request of the case's real object, its body encoded, for the sweep to replace ids in."""
    if case.route.endswith("/release/{rev_id:str}"):
        real = Req(f"/v1/submissions/{w.sub_a}/release/{w.visit['rev_id']}")
    elif case.route.endswith("/tokens/{prefix:str}"):
        real = Req("/v1/users/victim/tokens/abcdefghij")
    elif case.route == "/v1/periods/{period:str}/close":
        real = Req(f"/v1/periods/{CLOSED}/close")
    else:
        real = case.target(w)
    if real.json is not None:
        real.content = json.dumps(real.json).encode()
        real.headers = real.headers | {"Content-Type": "application/json"}
    return real


def test_random_ids_are_404_for_every_role_that_may_call(world):
    """Random uuids, hex hashes and strings on every endpoint with an id, for each role that may call it:
    404 (400 where the id has a fixed shape, a month or an entity name), never 200 and never 500."""
    client, allowed = world.client, _allowed(world.client)
    actor_of_role = {
        "admin": "admin",
        "quality_lead": "lead",
        "hr": "hr",
        "auditor": "auditor",
        "unit_manager": "manager",
    }
    rng = random.Random(20261014)
    problems = []
    done: set[tuple[str, str]] = set()
    for case in CASES:
        if not case.random_params or (case.method, case.route) in done:
            continue
        done.add((case.method, case.route))
        ids = random_ids(rng, RANDOM_IDS)
        base = _sweep_base(case, world)
        requests, labels = [], []
        for role in sorted(allowed[(case.method, case.route)]):
            headers = world.headers[actor_of_role[role]] | base.headers
            for value in ids:
                url = _fill(case.route, base.path, case.random_params, value)
                requests.append((case.method, url, headers, base.content))
                labels.append((role, value))
        answers = _fire(client, requests)
        CHECKS["random ids (endpoint x role x id)"] += len(answers)
        CHECKS[f"random ids: {case.method} {case.route}"] += len(answers)
        for (role, value), (status, body) in zip(labels, answers, strict=True):
            if status not in case.random_ok:
                problems.append(f"{role} {case.method} {case.route} {value[:40]!r} -> {status}: {body[:120]!r}")
            elif b"Traceback" in body or b"sqlite" in body.lower():
                problems.append(f"{role} {case.method} {case.route} {value[:40]!r}: internals in {body[:200]!r}")
    assert not problems, f"{len(problems)} violations:\n" + "\n".join(problems[:40])
    pairs = sum(len(allowed[key]) for key in done)
    assert CHECKS["random ids (endpoint x role x id)"] >= pairs * RANDOM_IDS


@pytest.fixture(scope="module", autouse=True)
def _report_counts():
    """After the file: print what it checked (run with `-s`), the figures of the access-control report."""
    yield
    if CHECKS:
        endpoints = {(c.method, c.route) for c in CASES}
        actors = len(ACTORS)
        print(f"\nBOLA: {len(endpoints)} endpoints with ids, {actors} actors; checks: {dict(CHECKS)}; violations 0")


def test_every_id_endpoint_has_a_case(client):
    allowed = _allowed(client)
    endpoints = {(c.method, c.route) for c in CASES}
    assert len(endpoints) == len({k for k in allowed if "{" in k[1]})
