"""Users, tokens and devices: hashed tokens, several per user, device binding, revocation."""

from __future__ import annotations

import uuid

from tests.conftest import dump_store, make_user


def _code(response) -> str:
    return response.json()["code"]


def test_created_user_token_works_and_is_stored_only_as_a_hash(client, admin, settings):
    response = client.post("/v1/users", json={"name": "saule", "role": "quality_lead"}, headers=admin)
    assert response.status_code == 201
    body = response.json()
    assert body.keys() == {"name", "role", "token", "prefix"}
    assert len(body["token"]) >= 40 and body["token"].startswith("tks_")
    assert client.get("/v1/units", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200
    dump = dump_store(settings)
    assert body["token"] not in dump
    assert body["token"][4:] not in dump


def test_duplicate_user_is_409(client, admin):
    assert client.post("/v1/users", json={"name": "x", "role": "hr"}, headers=admin).status_code == 201
    response = client.post("/v1/users", json={"name": "x", "role": "admin"}, headers=admin)
    assert response.status_code == 409 and _code(response) == "user_exists"


def test_bad_role_or_name_is_400(client, admin):
    assert client.post("/v1/users", json={"name": "x", "role": "boss"}, headers=admin).status_code == 400
    assert client.post("/v1/users", json={"name": "a b", "role": "hr"}, headers=admin).status_code == 400
    assert client.post("/v1/users", json={"name": "_local_admin", "role": "hr"}, headers=admin).status_code == 400


def test_wrong_and_malformed_tokens_are_401(client, admin):
    token = admin["Authorization"].split()[1]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for header in (f"Bearer {forged}", "Bearer tks_nope", "Basic abc", token):
        response = client.get("/v1/units", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_several_tokens_per_user_and_revoking_one(client, admin):
    first = make_user(client, admin, "hr1", "hr")
    second = client.post("/v1/users/hr1/tokens", headers=admin).json()
    second_headers = {"Authorization": f"Bearer {second['token']}"}
    assert client.get("/v1/units", headers=second_headers).status_code == 200
    assert client.delete(f"/v1/users/hr1/tokens/{second['prefix']}", headers=admin).status_code == 204
    response = client.get("/v1/units", headers=second_headers)
    assert response.status_code == 401 and _code(response) == "token_revoked"
    assert client.get("/v1/units", headers=first).status_code == 200
    listed = client.get("/v1/users", headers=admin).json()["items"]
    hr1 = next(u for u in listed if u["name"] == "hr1")
    assert second["prefix"] not in hr1["token_prefixes"] and len(hr1["token_prefixes"]) == 1


def test_revoking_all_tokens(client, admin):
    headers = make_user(client, admin, "hr2", "hr")
    assert client.delete("/v1/users/hr2/tokens", headers=admin).status_code == 204
    assert _code(client.get("/v1/units", headers=headers)) == "token_revoked"


def test_unknown_user_or_prefix_is_404(client, admin):
    assert client.post("/v1/users/ghost/tokens", headers=admin).status_code == 404
    make_user(client, admin, "hr3", "hr")
    assert client.delete("/v1/users/hr3/tokens/zzzzzzzzzz", headers=admin).status_code == 404
    assert client.delete(f"/v1/devices/{uuid.uuid4()}", headers=admin).status_code == 404
    assert client.delete("/v1/devices/not-a-uuid", headers=admin).status_code == 404


def test_auditor_token_is_bound_to_its_first_device(client, admin):
    headers = make_user(client, admin, "aigerim", "auditor")
    bare = {"Authorization": headers["Authorization"]}
    response = client.get("/v1/units", headers=bare)
    assert response.status_code == 401 and _code(response) == "device_id_required"
    response = client.get("/v1/units", headers=bare | {"Tekseru-Device-Id": "not-a-uuid"})
    assert _code(response) == "device_id_required"
    # The first request binds the device (then the role check answers: auditors read no directory).
    assert client.get("/v1/units", headers=headers).status_code == 403
    other = bare | {"Tekseru-Device-Id": str(uuid.uuid4())}
    response = client.get("/v1/units", headers=other)
    assert response.status_code == 401 and _code(response) == "device_mismatch"
    upper = bare | {"Tekseru-Device-Id": headers["Tekseru-Device-Id"].upper()}
    assert client.get("/v1/units", headers=upper).status_code == 403, "the same UUID in upper case is the same device"


def test_revoked_device_stops_its_tokens(client, admin):
    headers = make_user(client, admin, "daulet", "auditor")
    assert client.get("/v1/units", headers=headers).status_code == 403
    device = headers["Tekseru-Device-Id"]
    assert client.delete(f"/v1/devices/{device}", headers=admin).status_code == 204
    response = client.get("/v1/units", headers=headers)
    assert response.status_code == 401 and _code(response) == "token_revoked"
    # A new token of the same auditor cannot be used from the revoked tablet either.
    fresh = client.post("/v1/users/daulet/tokens", headers=admin).json()["token"]
    response = client.get("/v1/units", headers={"Authorization": f"Bearer {fresh}", "Tekseru-Device-Id": device})
    assert response.status_code == 401 and _code(response) == "token_revoked"


def test_local_admin_is_not_listed_and_its_file_is_private(client, admin, settings):
    names = [u["name"] for u in client.get("/v1/users", headers=admin).json()["items"]]
    assert "_local_admin" not in names
    assert (settings.data_dir / "admin.token").stat().st_mode & 0o077 == 0


def test_local_admin_credential_cannot_be_revoked_or_extended_through_the_api(client, admin):
    """The server's own credential (what `tekseru` uses on its machine) is no user of the API."""
    other = make_user(client, admin, "second.admin", "admin")
    for method, path in (
        ("DELETE", "/v1/users/_local_admin/tokens"),
        ("DELETE", "/v1/users/_local_admin/tokens/" + admin["Authorization"].split()[1][:10]),
        ("POST", "/v1/users/_local_admin/tokens"),
    ):
        assert client.request(method, path, headers=other).status_code == 404, path
    assert client.get("/v1/users", headers=admin).status_code == 200  # still works


def test_users_list_pages(client, admin):
    for i in range(5):
        make_user(client, admin, f"user{i}", "hr")
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/users", params=params, headers=admin).json()
        seen += [u["name"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"user{i}" for i in range(5)]
    after_everyone = client.get("/v1/users", params={"cursor": "~~~"}, headers=admin)
    assert after_everyone.status_code == 200 and after_everyone.json()["items"] == []
