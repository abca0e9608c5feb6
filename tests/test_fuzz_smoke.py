"""A smoke fuzz from the OpenAPI document: every operation, every role, a few examples each.

Runs against a real `tekseru serve` on a free port. Every endpoint joins automatically because
the cases come from the server's own `/schema/openapi.json`. The long run is `make fuzz`.
"""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.conftest import EXAMPLE_CHECKLIST
from tests.live import LiveServer

MAX_EXAMPLES = int(os.environ.get("TEKSERU_FUZZ_EXAMPLES", "4"))
# A tus chunk (PATCH /v1/uploads/{id}) is raw bytes under tus's own media type.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
ROLES = ("admin", "quality_lead", "hr", "auditor")


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with LiveServer(tmp_path_factory.mktemp("fuzz") / "var") as server:
        admin = server.admin_headers()
        headers = {"admin": admin}
        for role in ROLES[1:]:
            made = httpx.post(f"{server.url}/v1/users", json={"name": f"fuzz-{role}", "role": role}, headers=admin)
            headers[role] = {"Authorization": f"Bearer {made.json()['token']}"}
            if role == "auditor":
                headers[role]["Tekseru-Device-Id"] = str(uuid.uuid4())
        httpx.post(
            f"{server.url}/v1/checklists",
            content=EXAMPLE_CHECKLIST.read_bytes(),
            headers=admin | {"Content-Type": "application/toml"},
        )
        server.role_headers = headers
        yield server


@pytest.fixture(scope="module")
def api_schema(live):
    return schemathesis.openapi.from_url(f"{live.url}/schema/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_answers_within_its_contract(case, live):
    for role in ROLES:
        case.call_and_validate(base_url=live.url, headers=live.role_headers[role])
