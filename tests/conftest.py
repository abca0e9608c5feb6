"""Fixtures: a real SQLite file in tmp_path, the real app through Litestar's test client."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings

DATA = Path(__file__).parent / "data"
EXAMPLE_CHECKLIST = DATA / "example.toml"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient, settings: Settings) -> dict[str, str]:
    token = (settings.data_dir / "admin.token").read_text().strip()
    return {"Authorization": f"Bearer {token}"}


def make_user(client: TestClient, admin: dict[str, str], name: str, role: str) -> dict[str, str]:
    """Create a user; return the headers it sends (auditors with a fresh device id)."""
    response = client.post("/v1/users", json={"name": name, "role": role}, headers=admin)
    assert response.status_code == 201, response.text
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    if role == "auditor":
        headers["Tekseru-Device-Id"] = str(uuid.uuid4())
    return headers


@pytest.fixture
def users(client: TestClient, admin: dict[str, str]) -> dict[str, dict[str, str]]:
    """One user of each role (and a second auditor), by role name."""
    return {
        "admin": admin,
        "quality_lead": make_user(client, admin, "lead", "quality_lead"),
        "hr": make_user(client, admin, "hr", "hr"),
        "auditor": make_user(client, admin, "aigerim", "auditor"),
        "auditor2": make_user(client, admin, "daulet", "auditor"),
    }


@pytest.fixture
def default_policy(client: TestClient, admin: dict[str, str]) -> dict:
    """The shipped motivation policy, published."""
    from checklists.library import policy_file

    response = client.post(
        "/v1/policies", content=policy_file().read_bytes(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def example_checklist(client: TestClient, admin: dict[str, str]) -> dict:
    response = client.post(
        "/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 201, response.text
    return response.json()
