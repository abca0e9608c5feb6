"""Every error, ours and Litestar's, leaves in one problem+json shape (locked here)."""

from __future__ import annotations

import pytest
from litestar import get
from litestar.testing import TestClient

from server.app import create_app
from server.auth import roles
from server.settings import Settings

SHAPE = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert SHAPE <= body.keys() <= SHAPE | {"errors"}
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:tekseru:problem:{code}"
    for entry in body.get("errors") or []:
        assert entry.keys() == {"path", "message"}
    text = response.text
    assert "Traceback" not in text and "sqlite" not in text.lower() and "/work/" not in text
    return body


def test_unknown_route_is_404(client):
    assert_problem(client.get("/v1/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405(client):
    assert_problem(client.delete("/v1/health"), 405, "method_not_allowed")


def test_missing_token_is_401(client):
    body = assert_problem(client.get("/v1/units"), 401, "unauthenticated")
    assert body["detail"]


def test_malformed_json_is_400(client, admin):
    assert_problem(client.put("/v1/units/U1", content=b"{not json", headers=admin), 400, "malformed_json")


def test_wrong_shape_is_400_with_paths(client, admin):
    body = assert_problem(
        client.put("/v1/units/U1", json={"kind": "shop", "name": "x", "region": "y"}, headers=admin),
        400,
        "invalid_request",
    )
    assert [e["path"] for e in body["errors"]] == ["kind"]


def test_unknown_field_is_400_naming_it(client, admin):
    body = assert_problem(
        client.put("/v1/units/U1", json={"kind": "branch", "name": "x", "region": "y", "status": "x"}, headers=admin),
        400,
        "invalid_request",
    )
    assert body["errors"][0]["path"] == "status"


def test_bad_query_parameter_is_400(client, admin):
    body = assert_problem(client.get("/v1/units?limit=0", headers=admin), 400, "invalid_request")
    assert body["errors"][0]["path"] == "query.limit"


def test_body_over_the_limit_is_413(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", max_body_bytes=1000)
    with TestClient(create_app(settings)) as client:
        token = (settings.data_dir / "admin.token").read_text().strip()
        big = {"kind": "branch", "name": "x" * 5000, "region": "y"}
        response = client.put("/v1/units/U1", json=big, headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 413, "body_too_large")


def test_unexpected_error_is_a_bare_500(tmp_path):
    @get("/v1/boom", opt=roles("public"))
    async def boom() -> None:
        raise RuntimeError("secret detail /work/main/x.py SELECT * FROM tokens")

    app = create_app(Settings(data_dir=tmp_path / "var"))
    app.register(boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = assert_problem(client.get("/v1/boom"), 500, "internal_error")
        assert "secret" not in body["detail"]


@pytest.mark.parametrize("path", ["/v1/health", "/schema/openapi.json"])
def test_public_routes_need_no_token(client, path):
    assert client.get(path).status_code == 200


def test_openapi_describes_problem_responses_of_every_route(client):
    doc = client.get("/schema/openapi.json").json()
    assert doc["components"]["schemas"]["ProblemBody"]["required"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            errors = {s: r for s, r in operation["responses"].items() if s.startswith(("4", "5"))}
            assert errors, f"{method.upper()} {path} documents no error response"
            for status, response in errors.items():
                assert "application/problem+json" in response["content"], f"{method.upper()} {path} {status}"


def test_interactive_docs_are_off_by_default(client):
    assert client.get("/schema/swagger").status_code == 404


def test_cors_is_closed_unless_configured(tmp_path, client):
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    assert "access-control-allow-origin" not in client.options("/v1/health", headers=preflight).headers
    settings = Settings(data_dir=tmp_path / "cors", cors_origins=("https://office.example",))
    with TestClient(create_app(settings)) as open_client:
        answer = open_client.get("/v1/health", headers={"Origin": "https://office.example"})
        assert answer.headers["access-control-allow-origin"] == "https://office.example"
        assert "Upload-Offset" in answer.headers["access-control-expose-headers"]
        other = open_client.get("/v1/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
