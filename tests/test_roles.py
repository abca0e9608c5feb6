"""The role table of API.md, generated from the routes' own declarations and checked both ways."""

from __future__ import annotations

import uuid

import pytest

from server.auth import ROLES, role_table
from server.routes.checklists import ChecklistVersion  # noqa: F401  (schema import check)

A, Q, H, U = "admin", "quality_lead", "hr", "auditor"

# API.md, "Auth and roles": each route and who may call it. A new route must be added here.
EXPECTED = {
    ("GET", "/v1/health"): {"public"},
    # users, tokens, devices: admin
    ("POST", "/v1/users"): {A},
    ("GET", "/v1/users"): {A},
    ("POST", "/v1/users/{name:str}/tokens"): {A},
    ("DELETE", "/v1/users/{name:str}/tokens"): {A},
    ("DELETE", "/v1/users/{name:str}/tokens/{prefix:str}"): {A},
    ("DELETE", "/v1/devices/{device_id:str}"): {A},
    # directory: admin all; quality_lead and hr read
    ("PUT", "/v1/units/{unit_id:str}"): {A},
    ("GET", "/v1/units/{unit_id:str}"): {A, Q, H},
    ("GET", "/v1/units"): {A, Q, H},
    ("PUT", "/v1/staff/{staff_id:str}"): {A},
    ("GET", "/v1/staff/{staff_id:str}"): {A, Q, H},
    ("GET", "/v1/staff"): {A, Q, H},
    ("PUT", "/v1/assignments/{assignment_id:str}"): {A},
    ("GET", "/v1/assignments/{assignment_id:str}"): {A, Q, H},
    ("GET", "/v1/assignments"): {A, Q, H},
    # checklists: admin all; quality_lead publish, retire, read; hr read
    ("POST", "/v1/checklists"): {A, Q},
    ("GET", "/v1/checklists"): {A, Q, H},
    ("GET", "/v1/checklists/{checklist_id:str}/versions/{version:int}"): {A, Q, H},
    ("POST", "/v1/checklists/{checklist_id:str}/versions/{version:int}/retire"): {A, Q},
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
    ("GET", "/v1/policies/{policy_id:str}/versions/{version:int}"): {A, Q, H},
    # scores: admin, quality_lead, hr
    ("GET", "/v1/scores/units"): {A, Q, H},
    ("GET", "/v1/scores/staff"): {A, Q, H},
    ("GET", "/v1/scores/network"): {A, Q, H},
    # motivation and periods: read by admin, quality_lead, hr; closed by hr (and admin)
    ("GET", "/v1/motivation"): {A, Q, H},
    ("POST", "/v1/periods/{period:str}/close"): {A, H},
    ("GET", "/v1/periods/{period:str}/snapshot"): {A, Q, H},
    ("GET", "/v1/periods/{period:str}/adjustments"): {A, Q, H},
    # scorecards: quality_lead creates and publishes; hr reads (published ones only)
    ("POST", "/v1/scorecards"): {A, Q},
    ("GET", "/v1/scorecards"): {A, Q, H},
    ("GET", "/v1/scorecards/{scorecard_id:str}"): {A, Q, H},
    ("GET", "/v1/scorecards/{scorecard_id:str}/pdf"): {A, Q, H},
    ("POST", "/v1/scorecards/{scorecard_id:str}/publish"): {A, Q},
    # the admin endpoints the command line uses
    ("POST", "/v1/admin/import/{entity:str}"): {A},
    ("GET", "/v1/admin/quarantine"): {A},
    ("POST", "/v1/admin/quarantine/replay"): {A},
    ("POST", "/v1/admin/rebuild"): {A},
    ("POST", "/v1/admin/backup"): {A},
    # evidence uploads (tus): auditors, as a device; tus discovery needs no token
    ("OPTIONS", "/v1/uploads"): {"public"},
    ("POST", "/v1/uploads"): {U},
    ("HEAD", "/v1/uploads/{upload_id:str}"): {U},
    ("PATCH", "/v1/uploads/{upload_id:str}"): {U},
    # blobs: auditors ask which are missing; admin and quality_lead read all, auditors their own, hr none
    ("POST", "/v1/blobs/missing"): {U},
    ("GET", "/v1/blobs/{sha256:str}"): {A, Q, U},
}


def test_every_route_declares_its_roles_and_matches_api_md(client):
    table = {(method, path): set(roles) for method, path, roles in role_table(client.app)}
    assert table == EXPECTED


def test_no_route_of_ours_is_undeclared(client):
    for route in client.app.routes:
        for handler in getattr(route, "route_handlers", []):
            module = getattr(handler.fn, "__module__", "")
            if module.startswith("server."):
                assert "roles" in handler.opt, f"{route.path} declares no roles"


def _concrete(path: str) -> str:
    return (
        path.replace("{name:str}", "nobody")
        .replace("{prefix:str}", "abc")
        .replace("{device_id:str}", str(uuid.uuid4()))
        .replace("{unit_id:str}", "U1")
        .replace("{staff_id:str}", "S1")
        .replace("{assignment_id:str}", "A1")
        .replace("{checklist_id:str}", "example")
        .replace("{version:int}", "1")
        .replace("{entity:str}", "units")
        .replace("{submission_id:str}", str(uuid.uuid4()))
        .replace("{rev_id:str}", str(uuid.uuid4()))
        .replace("{policy_id:str}", "default")
        .replace("{period:str}", "2026-10")
        .replace("{scorecard_id:str}", str(uuid.uuid4()))
        .replace("{upload_id:str}", "0" * 32)
        .replace("{sha256:str}", "0" * 64)
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
