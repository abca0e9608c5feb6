"""The role table of API.md, generated from the routes' own declarations and checked both ways."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid

import pytest

from server.auth import ROLES, role_table
from server.routes.checklists import ChecklistVersion  # noqa: F401  (schema import check)
from tests.conftest import EXAMPLE_CHECKLIST, make_user, store_rows
from tests.tablet import PASSING, Tablet

A, Q, H, U, M = "admin", "quality_lead", "hr", "auditor", "unit_manager"

# API.md, "Auth and roles": each route and who may call it. A new route must be added here.
EXPECTED = {
    ("GET", "/v1/health"): {"public"},
    # users, tokens, devices: admin
    ("POST", "/v1/users"): {A},
    ("GET", "/v1/users"): {A},
    ("POST", "/v1/users/{name:str}/tokens"): {A},
    ("DELETE", "/v1/users/{name:str}/tokens"): {A},
    ("DELETE", "/v1/users/{name:str}/tokens/{prefix:str}"): {A},
    ("PUT", "/v1/users/{name:str}/password"): {A},
    ("DELETE", "/v1/devices/{device_id:str}"): {A},
    ("PUT", "/v1/users/{name:str}/units"): {A},
    ("PUT", "/v1/users/{name:str}/region"): {A},
    # directory: admin all; quality_lead and hr read
    ("PUT", "/v1/units/{unit_id:str}"): {A},
    ("GET", "/v1/units/{unit_id:str}"): {A, Q, H},
    ("GET", "/v1/units"): {A, Q, H},
    ("PUT", "/v1/staff/{staff_id:str}"): {A},
    ("GET", "/v1/staff/{staff_id:str}"): {A, Q, H},
    ("GET", "/v1/staff"): {A, Q, H},
    ("PUT", "/v1/assignments/{assignment_id:str}"): {A},
    # assignments name the shopper who visits a unit: not for HR (API.md reading, see README)
    ("GET", "/v1/assignments/{assignment_id:str}"): {A, Q},
    ("GET", "/v1/assignments"): {A, Q},
    # checklists: admin all; quality_lead publish, retire, read; hr read
    ("POST", "/v1/checklists"): {A, Q},
    ("GET", "/v1/checklists"): {A, Q, H},
    ("GET", "/v1/checklists/{checklist_id:str}/versions/{version:str}"): {A, Q, H},
    ("POST", "/v1/checklists/{checklist_id:str}/versions/{version:str}/retire"): {A, Q},
    # sync: auditors only (own), as a device
    ("GET", "/v1/sync/pull"): {U},
    ("POST", "/v1/sync/push"): {U},
    # submissions and revisions: admin and quality_lead all, auditors read their own; review and correct
    ("GET", "/v1/submissions/{submission_id:str}"): {A, Q, U},
    ("GET", "/v1/submissions/{submission_id:str}/revisions"): {A, Q, U},
    ("POST", "/v1/submissions/{submission_id:str}/revisions"): {A, Q},
    ("POST", "/v1/submissions/{submission_id:str}/release/{rev_id:str}"): {A, Q},
    # review: quality_lead and admin; auditors list their own submissions
    ("GET", "/v1/submissions"): {A, Q, U},
    ("POST", "/v1/submissions/{submission_id:str}/review"): {A, Q},
    ("POST", "/v1/submissions/review"): {A, Q},
    # policies: like checklists
    ("POST", "/v1/policies"): {A, Q},
    ("GET", "/v1/policies"): {A, Q, H},
    ("GET", "/v1/policies/{policy_id:str}/versions/{version:str}"): {A, Q, H},
    # scores: admin, quality_lead, hr; a unit manager its own units' (approved)
    ("GET", "/v1/scores/units"): {A, Q, H, M},
    ("GET", "/v1/scores/staff"): {A, Q, H, M},
    ("GET", "/v1/scores/network"): {A, Q, H},
    ("GET", "/v1/scores/regions"): {A, Q, H},
    # motivation and periods: read by admin, quality_lead, hr; closed by hr (and admin)
    ("GET", "/v1/motivation"): {A, Q, H},
    ("POST", "/v1/periods/{period:str}/close"): {A, H},
    ("GET", "/v1/periods/{period:str}/snapshot"): {A, Q, H},
    ("GET", "/v1/periods/{period:str}/adjustments"): {A, Q, H},
    # scorecards: quality_lead creates and publishes; hr reads (published ones only), a unit manager
    # the published ones of its own units
    ("POST", "/v1/scorecards"): {A, Q},
    ("GET", "/v1/scorecards"): {A, Q, H, M},
    ("GET", "/v1/scorecards/{scorecard_id:str}"): {A, Q, H, M},
    ("GET", "/v1/scorecards/{scorecard_id:str}/pdf"): {A, Q, H, M},
    ("POST", "/v1/scorecards/{scorecard_id:str}/publish"): {A, Q},
    # the admin endpoints the command line uses
    ("POST", "/v1/admin/import/{entity:str}"): {A},
    ("GET", "/v1/admin/quarantine"): {A},
    ("POST", "/v1/admin/quarantine/replay"): {A},
    ("POST", "/v1/admin/rebuild"): {A},
    ("POST", "/v1/admin/backup"): {A},
    ("POST", "/v1/admin/blobs/verify"): {A},
    # evidence uploads (tus): auditors, as a device, and unit managers (an appeal's evidence); tus
    # discovery needs no token
    ("OPTIONS", "/v1/uploads"): {"public"},
    ("POST", "/v1/uploads"): {U, M},
    ("HEAD", "/v1/uploads/{upload_id:str}"): {U, M},
    ("PATCH", "/v1/uploads/{upload_id:str}"): {U, M},
    # blobs: auditors ask which are missing; admin and quality_lead read all, auditors their own, unit
    # managers their units' approved visits' and appeals' (photos without metadata), hr none
    ("POST", "/v1/blobs/missing"): {U},
    ("GET", "/v1/blobs/{sha256:str}"): {A, Q, U, M},
    # a unit's approved visits as the audited see them: unit managers their own units
    ("GET", "/v1/units/{unit_id:str}/visits"): {A, Q, M},
    # appeals: unit managers file and withdraw (own units); quality_lead decides; both read
    ("POST", "/v1/appeals"): {M},
    ("GET", "/v1/appeals"): {A, Q, M},
    ("GET", "/v1/appeals/{appeal_id:str}"): {A, Q, M},
    ("POST", "/v1/appeals/{appeal_id:str}/withdraw"): {M},
    ("POST", "/v1/appeals/{appeal_id:str}/decision"): {A, Q},
    # calibration: how far auditors agree, read by those who train them
    ("GET", "/v1/calibration"): {A, Q},
    # integrity per auditor: never to HR, the auditors or the audited
    ("GET", "/v1/integrity/auditors"): {A, Q},
    # assignment plans: who visits which unit when, drafted and published by those who run the audits
    ("POST", "/v1/plans"): {A, Q},
    ("GET", "/v1/plans"): {A, Q},
    ("GET", "/v1/plans/coverage"): {A, Q},
    ("GET", "/v1/plans/{plan_id:str}"): {A, Q},
    ("POST", "/v1/plans/{plan_id:str}/publish"): {A, Q},
}


UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}


@pytest.fixture
def users(users, client) -> dict[str, dict[str, str]]:
    """One user of each role, a unit manager (of U1) among them."""
    assert client.put("/v1/units/U1", json=UNIT, headers=users["admin"]).status_code == 200
    return users | {M: make_user(client, users["admin"], "manager", M, units=["U1"])}


def test_every_route_declares_its_roles_and_matches_api_md(client):
    table = {(method, path): set(roles) for method, path, roles in role_table(client.app)}
    assert table == EXPECTED


def test_no_route_of_ours_is_undeclared(client):
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            module = getattr(handler.fn, "__module__", "")
            if module.startswith("server."):
                # API routes declare roles(...); console pages console(...) (a session, not a token)
                declared = "roles" in handler.opt or ("console" in handler.opt and module.startswith("server.console."))
                assert declared, f"{route.path} declares no roles"


def _concrete(path: str) -> str:
    return (
        path.replace("{name:str}", "nobody")
        .replace("{prefix:str}", "abc")
        .replace("{device_id:str}", str(uuid.uuid4()))
        .replace("{unit_id:str}", "U1")
        .replace("{staff_id:str}", "S1")
        .replace("{assignment_id:str}", "A1")
        .replace("{checklist_id:str}", "example")
        .replace("{version:str}", "1")
        .replace("{entity:str}", "units")
        .replace("{submission_id:str}", str(uuid.uuid4()))
        .replace("{rev_id:str}", str(uuid.uuid4()))
        .replace("{policy_id:str}", "default")
        .replace("{period:str}", "2026-10")
        .replace("{scorecard_id:str}", str(uuid.uuid4()))
        .replace("{upload_id:str}", "0" * 32)
        .replace("{sha256:str}", "0" * 64)
        .replace("{appeal_id:str}", str(uuid.uuid4()))
    )


@pytest.mark.parametrize("role", ROLES)
def test_roles_outside_the_table_get_403(client, users, role):
    """Function-level access: every method x role outside the table is refused with 403."""
    headers = users[role]
    for method, path, allowed in role_table(client.app):
        if role in allowed or "public" in allowed:
            continue
        response = client.request(method, _concrete(path), headers=headers, content=b"{}")
        assert response.status_code == 403, f"{role} {method} {path}: {response.status_code}"
        if method != "HEAD":  # a HEAD answer has no body
            assert response.json()["code"] == "forbidden"


# --- function-level access with plausible bodies ------------------------------------------------------
#
# The test above sends `{}`, which a handler would refuse anyway; below, every write route gets a
# body that its allowed role writes with (2xx, checked right after), so a 403 can only come from
# the role check. HR writes nothing but the close of a period; an auditor writes only through
# sync push, uploads and `blobs/missing`; a unit manager files and withdraws appeals and uploads
# their evidence; and a refused write leaves the database as it was.

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
AUDITOR_WRITES = {
    ("POST", "/v1/sync/push"),
    ("POST", "/v1/uploads"),
    ("PATCH", "/v1/uploads/{upload_id:str}"),
    ("POST", "/v1/blobs/missing"),
}
HR_WRITES = {("POST", "/v1/periods/{period:str}/close")}
MANAGER_WRITES = {
    ("POST", "/v1/appeals"),
    ("POST", "/v1/appeals/{appeal_id:str}/withdraw"),
    ("POST", "/v1/uploads"),
    ("PATCH", "/v1/uploads/{upload_id:str}"),
}
OCTOBER = "2026-10-15T11:00:00+05:00"
TUS = {"Tus-Resumable": "1.0.0"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _upload_headers(data: bytes) -> dict[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    return TUS | {
        "Upload-Length": str(len(data)),
        "Upload-Metadata": f"sha256 {_b64(sha)},content_type {_b64('image/png')}",
    }


class Org:
    """A small organisation with one submitted visit, and fresh objects for the write routes to act on."""

    def __init__(self, client, users) -> None:
        from checklists.library import policy_file

        self.client, self.users = client, users
        admin = users["admin"]
        client.put("/v1/units/U1", json=UNIT, headers=admin)
        client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
        self.tablet = Tablet(users["auditor"])
        self.visit = self.tablet.revision(started_at=OCTOBER)
        self.tablet.push(client, [self.visit])
        self.policy_v2 = policy_file().read_text().replace("version = 1", "version = 2", 1).encode()
        self.checklist_v2 = EXAMPLE_CHECKLIST.read_text().replace("version = 1", "version = 2", 1).encode()
        self.periods = iter(f"2025-{m:02d}" for m in range(1, 13))
        self.victims = iter(f"victim{i}" for i in range(1000))
        self.data = random.Random(3).randbytes(4000)
        self.uploader = self.tablet.headers  # whose uploads `upload` starts
        self.appealed: dict | None = None
        self.items = iter(PASSING)

    @property
    def sub(self) -> str:
        return self.visit["submission_id"]

    def heads(self) -> list[str]:
        return self.client.get(f"/v1/submissions/{self.sub}", headers=self.users["admin"]).json()["heads"]

    def victim(self) -> tuple[str, str]:
        """A fresh auditor with a bound device, to give or take tokens and devices from."""
        name = next(self.victims)
        headers = make_user(self.client, self.users["admin"], name, "auditor")
        assert self.client.get("/v1/submissions", headers=headers).status_code == 200
        return name, headers["Tekseru-Device-Id"]

    def pending(self) -> str:
        revision = self.tablet.edit(self.visit, parents=[str(uuid.uuid4())])
        (receipt,) = self.tablet.push(self.client, [revision])
        assert receipt["status"] == "pending", receipt
        return revision["rev_id"]

    def draft(self) -> str:
        body = {"scope": "unit", "unit_id": "U1", "period": "2026-10", "lang": "kk"}
        response = self.client.post("/v1/scorecards", json=body, headers=self.users["quality_lead"])
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def approved(self) -> str:
        """A second visit, approved, for the unit manager to appeal (made once)."""
        if self.appealed is None:
            self.appealed = self.tablet.revision(started_at=OCTOBER)
            self.tablet.push(self.client, [self.appealed])
            sub = self.appealed["submission_id"]
            heads = self.client.get(f"/v1/submissions/{sub}", headers=self.users["admin"]).json()["heads"]
            decision = {"decision": "approve", "heads": heads}
            response = self.client.post(f"/v1/submissions/{sub}/review", json=decision, headers=self.users["admin"])
            assert response.status_code == 200, response.text
        return self.appealed["submission_id"]

    def appeal_body(self) -> dict:
        return {"submission_id": self.approved(), "items": [{"item": next(self.items), "claim": "Кассир поздоровался"}]}

    def appeal(self) -> tuple[str, str]:
        """An open appeal of one item: its id and the item."""
        body = self.appeal_body()
        response = self.client.post("/v1/appeals", json=body, headers=self.users[M])
        assert response.status_code == 201, response.text
        return response.json()["id"], body["items"][0]["item"]

    def upload(self) -> str:
        response = self.client.post("/v1/uploads", headers=self.uploader | _upload_headers(self.data))
        assert response.status_code == 201, response.text
        return response.headers["location"]

    def correction(self) -> dict:
        return dict(self.visit) | {"rev_id": str(uuid.uuid4()), "parents": self.heads(), "hlc": None}


def _write_request(org: Org, method: str, path: str) -> tuple[str, dict]:
    """A concrete path and a body its allowed role writes with (`httpx` keyword arguments)."""
    sub = org.sub
    table = {
        ("POST", "/v1/admin/backup"): lambda: ("/v1/admin/backup", {"json": {"path": "backup.sqlite3"}}),
        ("POST", "/v1/admin/import/{entity:str}"): lambda: (
            "/v1/admin/import/units",
            {
                "content": "unit_id,kind,name,region\nU7,branch,ПСС Тараз,Жамбыл\n".encode(),
                "headers": {"Content-Type": "text/csv"},
            },
        ),
        ("POST", "/v1/admin/quarantine/replay"): lambda: ("/v1/admin/quarantine/replay", {"json": {}}),
        ("POST", "/v1/admin/rebuild"): lambda: ("/v1/admin/rebuild", {}),
        ("POST", "/v1/admin/blobs/verify"): lambda: ("/v1/admin/blobs/verify", {}),
        ("PUT", "/v1/assignments/{assignment_id:str}"): lambda: (
            "/v1/assignments/ASG-9",
            {
                "json": {
                    "auditor": "aigerim",
                    "unit_id": "U1",
                    "checklist_id": "example",
                    "due_from": "2026-10-01",
                    "due_to": "2026-10-31",
                }
            },
        ),
        ("POST", "/v1/blobs/missing"): lambda: ("/v1/blobs/missing", {"json": {"sha256": ["ab" * 32]}}),
        ("POST", "/v1/checklists"): lambda: (
            "/v1/checklists",
            {"content": org.checklist_v2, "headers": {"Content-Type": "application/toml"}},
        ),
        ("POST", "/v1/checklists/{checklist_id:str}/versions/{version:str}/retire"): lambda: (
            "/v1/checklists/example/versions/1/retire",
            {},
        ),
        ("DELETE", "/v1/devices/{device_id:str}"): lambda: (f"/v1/devices/{org.victim()[1]}", {}),
        ("POST", "/v1/periods/{period:str}/close"): lambda: (f"/v1/periods/{next(org.periods)}/close", {"json": {}}),
        ("POST", "/v1/policies"): lambda: (
            "/v1/policies",
            {"content": org.policy_v2, "headers": {"Content-Type": "application/toml"}},
        ),
        ("POST", "/v1/scorecards"): lambda: (
            "/v1/scorecards",
            {"json": {"scope": "unit", "unit_id": "U1", "period": "2026-10", "lang": "en"}},
        ),
        ("POST", "/v1/scorecards/{scorecard_id:str}/publish"): lambda: (f"/v1/scorecards/{org.draft()}/publish", {}),
        ("PUT", "/v1/staff/{staff_id:str}"): lambda: ("/v1/staff/E9", {"json": {"name": "Ким Ольга", "unit_id": "U1"}}),
        ("POST", "/v1/submissions/review"): lambda: (
            "/v1/submissions/review",
            {"json": {"decisions": [{"submission_id": sub, "decision": "approve", "heads": org.heads()}]}},
        ),
        ("POST", "/v1/submissions/{submission_id:str}/release/{rev_id:str}"): lambda: (
            f"/v1/submissions/{sub}/release/{org.pending()}",
            {},
        ),
        ("POST", "/v1/submissions/{submission_id:str}/review"): lambda: (
            f"/v1/submissions/{sub}/review",
            {"json": {"decision": "reject", "comment": "нет фото кассы", "heads": org.heads()}},
        ),
        ("POST", "/v1/submissions/{submission_id:str}/revisions"): lambda: (
            f"/v1/submissions/{sub}/revisions",
            {"json": org.correction()},
        ),
        ("POST", "/v1/sync/push"): lambda: (
            "/v1/sync/push",
            {"json": org.tablet.envelope([org.tablet.revision(started_at=OCTOBER)])},
        ),
        ("PUT", "/v1/units/{unit_id:str}"): lambda: ("/v1/units/U8", {"json": UNIT | {"name": "ПСС Шымкент"}}),
        ("POST", "/v1/uploads"): lambda: ("/v1/uploads", {"headers": _upload_headers(org.data)}),
        ("PATCH", "/v1/uploads/{upload_id:str}"): lambda: (
            org.upload(),
            {
                "content": org.data[:1000],
                "headers": TUS | {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
            },
        ),
        ("POST", "/v1/users"): lambda: ("/v1/users", {"json": {"name": next(org.victims), "role": "admin"}}),
        ("DELETE", "/v1/users/{name:str}/tokens"): lambda: (f"/v1/users/{org.victim()[0]}/tokens", {}),
        ("POST", "/v1/users/{name:str}/tokens"): lambda: (f"/v1/users/{org.victim()[0]}/tokens", {}),
        ("DELETE", "/v1/users/{name:str}/tokens/{prefix:str}"): lambda: _one_token(org),
        ("PUT", "/v1/users/{name:str}/password"): lambda: (
            "/v1/users/hr/password",
            {"json": {"password": "a long passphrase 1"}},
        ),
        ("PUT", "/v1/users/{name:str}/units"): lambda: ("/v1/users/manager/units", {"json": {"units": ["U1"]}}),
        ("PUT", "/v1/users/{name:str}/region"): lambda: ("/v1/users/aigerim/region", {"json": {"region": "Алматы"}}),
        ("POST", "/v1/plans"): lambda: ("/v1/plans", {"content": PLAN_POLICY, "headers": TOML_BODY}),
        ("POST", "/v1/plans/{plan_id:str}/publish"): lambda: _plan_draft(org),
        ("POST", "/v1/appeals"): lambda: ("/v1/appeals", {"json": org.appeal_body()}),
        ("POST", "/v1/appeals/{appeal_id:str}/withdraw"): lambda: (f"/v1/appeals/{org.appeal()[0]}/withdraw", {}),
        ("POST", "/v1/appeals/{appeal_id:str}/decision"): lambda: _decision(org),
    }
    return table[(method, path)]()


PLAN_POLICY = b'period = "2031-03"\n[visits]\nbranch = 3\n'
TOML_BODY = {"Content-Type": "application/toml"}


def _plan_draft(org: Org) -> tuple[str, dict]:
    """A fresh draft to publish (drafted by an admin)."""
    response = org.client.post("/v1/plans", content=PLAN_POLICY, headers=org.users["admin"] | TOML_BODY)
    assert response.status_code == 201, response.text
    return f"/v1/plans/{response.json()['plan_id']}/publish", {}


def _decision(org: Org) -> tuple[str, dict]:
    appeal_id, item = org.appeal()
    body = {"items": [{"item": item, "outcome": "upheld", "reason": "Ответ засчитан верно"}]}
    return f"/v1/appeals/{appeal_id}/decision", {"json": body}


def _one_token(org: Org) -> tuple[str, dict]:
    name, _ = org.victim()
    prefix = org.client.post(f"/v1/users/{name}/tokens", headers=org.users["admin"]).json()["prefix"]
    return f"/v1/users/{name}/tokens/{prefix}", {}


def _writes(client) -> list[tuple[str, str, frozenset[str]]]:
    return [(m, p, r) for m, p, r in role_table(client.app) if m in WRITE_METHODS]


def _actor_of(roles: frozenset[str]) -> str:
    return next(r for r in ("admin", "quality_lead", "hr", "auditor", M) if r in roles)


@pytest.mark.parametrize("role", ["hr", "auditor", M])
def test_no_write_outside_the_role_even_with_a_valid_body(
    client, users, example_checklist, default_policy, settings, role
):
    """HR, auditors and unit managers, on every write route outside their few: 403 and the database
    unchanged; the same request from an allowed role then writes (so the body was valid and only the
    role refused it)."""
    org = Org(client, users)
    own = {"hr": HR_WRITES, "auditor": AUDITOR_WRITES, M: MANAGER_WRITES}[role]
    headers = org.tablet.headers if role == "auditor" else users[role]
    if role == M:
        org.uploader = headers
    writes = _writes(client)
    assert {(m, p) for m, p, roles in writes if role in roles} == own
    for method, path, roles in writes:
        url, kwargs = _write_request(org, method, path)
        extra = kwargs.pop("headers", {})
        if (method, path) in own:
            response = client.request(method, url, headers=headers | extra, **kwargs)
            assert 200 <= response.status_code < 300, f"{role} {method} {path}: {response.status_code} {response.text}"
            continue
        before = store_rows(settings)
        response = client.request(method, url, headers=headers | extra, **kwargs)
        assert response.status_code == 403, f"{role} {method} {url}: {response.status_code} {response.text}"
        assert response.json()["code"] == "forbidden"
        assert store_rows(settings) == before, f"{role} {method} {path} changed the database"
        allowed = users[_actor_of(roles)] if _actor_of(roles) != "auditor" else org.tablet.headers
        response = client.request(method, url, headers=allowed | extra, **kwargs)
        if path == "/v1/admin/backup" and settings.database_url:  # PostgreSQL is backed up by its own tools
            assert response.status_code == 409 and response.json()["code"] == "backup_by_postgresql"
            continue
        assert 200 <= response.status_code < 300, (
            f"{_actor_of(roles)} {method} {url}: {response.status_code} {response.text}"
        )


def test_hr_closes_a_real_period(client, users, example_checklist, default_policy):
    """The one write HR makes: closing a period with approved visits freezes their rows (and only once)."""
    org = Org(client, users)
    lead, hr = users["quality_lead"], users["hr"]
    response = client.post("/v1/periods/2026-10/close", headers=hr)
    assert response.status_code == 409 and response.json()["code"] == "unreviewed_submissions"
    decision = {"decision": "approve", "heads": org.heads()}
    assert client.post(f"/v1/submissions/{org.sub}/review", json=decision, headers=lead).status_code == 200
    response = client.post("/v1/periods/2026-10/close", headers=hr)
    assert response.status_code == 201, response.text
    closed = response.json()
    assert closed["period"] == "2026-10" and [r["staff_id"] for r in closed["rows"]] == ["E1"]
    assert client.get("/v1/periods/2026-10/snapshot", headers=hr).json()["snapshot_id"] == closed["snapshot_id"]
    again = client.post("/v1/periods/2026-10/close", json={"force": True}, headers=hr)
    assert again.status_code == 409 and again.json()["code"] == "period_closed"
