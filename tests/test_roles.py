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
    # the admin endpoints the command line uses
    ("POST", "/v1/admin/import/{entity:str}"): {A},
    ("GET", "/v1/admin/quarantine"): {A},
    ("POST", "/v1/admin/quarantine/replay"): {A},
    ("POST", "/v1/admin/rebuild"): {A},
    ("POST", "/v1/admin/backup"): {A},
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
        assert response.json()["code"] == "forbidden"
