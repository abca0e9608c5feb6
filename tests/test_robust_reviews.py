"""Concurrent and repeated review decisions; devices bound to the first user seen on them.

Decisions (API.md, robustness rules): the same outcome again on the same heads is the same
decision (200, no second row); another outcome on decided heads is 409 `already_decided` unless
it names the decision it supersedes; two reviewers at once: one wins. Devices: a device belongs
to the first user whose token used it; another user's token from it is 401 `device_mismatch`.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from functools import partial

import httpx
import pytest

from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.live import LiveServer
from tests.tablet import PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
OCTOBER = "2026-10-15T11:00:00+05:00"


class Visits:
    """A quality lead, a second one, and an auditor's tablet that submits visits on demand."""

    def __init__(self, client, users) -> None:
        self.client, self.users = client, users
        admin = users["admin"]
        client.put("/v1/units/U1", json=UNIT, headers=admin)
        client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
        self.tablet = Tablet(users["auditor"])
        self.lead = users["quality_lead"]
        self.lead2 = make_user(client, admin, "lead2", "quality_lead")

    def submitted(self) -> dict:
        visit = self.tablet.revision(started_at=OCTOBER)
        assert self.tablet.push(self.client, [visit])[0]["status"] == "applied"
        return visit

    def doc(self, sub: str) -> dict:
        response = self.client.get(f"/v1/submissions/{sub}", headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def decide(self, sub: str, decision: str, supersedes: int | None = None, heads=None, comment=None, lead=None):
        body = {"decision": decision, "heads": heads or self.doc(sub)["heads"]}
        body |= {"supersedes": supersedes} if supersedes is not None else {}
        body |= {"comment": comment} if comment is not None else {}
        return self.client.post(f"/v1/submissions/{sub}/review", json=body, headers=lead or self.lead)


@pytest.fixture
def visits(client, users, example_checklist, default_policy) -> Visits:
    return Visits(client, users)


def _rows(settings, sub: str) -> list[tuple]:
    with open_store(settings) as db:
        return db.execute(
            "SELECT id, decision, comment FROM reviews WHERE submission_id = ? ORDER BY id", (sub,)
        ).fetchall()


# Each case: steps on one submitted visit. A step is (outcome, supersedes, expected status, expected
# code or the index of the step whose decision is expected back). `supersedes` is the index of an
# earlier step whose decision id to name, or a literal id given as a string ("999999").
CASES = {
    "the same outcome twice is one decision": [
        ("approve", None, 200, None),
        ("approve", None, 200, 0),
    ],
    "rejecting an approval without naming it": [
        ("approve", None, 200, None),
        ("reject", None, 409, "already_decided"),
    ],
    "rejecting an approval that it names": [
        ("approve", None, 200, None),
        ("reject", 0, 200, None),
    ],
    "approving a rejection that it names, then the same again": [
        ("reject", None, 200, None),
        ("approve", 0, 200, None),
        ("approve", 0, 200, 1),
        ("approve", None, 200, 1),
    ],
    "naming a decision that was already superseded": [
        ("approve", None, 200, None),
        ("reject", 0, 200, None),
        ("approve", 0, 409, "already_decided"),
    ],
    "naming a decision that does not exist": [
        ("approve", None, 200, None),
        ("reject", "999999", 409, "already_decided"),
    ],
    "superseding when nothing was decided": [
        ("approve", "1", 409, "nothing_to_supersede"),
        ("approve", None, 200, None),
    ],
    "a repeat with supersedes of a superseding decision (a retry)": [
        ("approve", None, 200, None),
        ("reject", 0, 200, None),
        ("reject", 0, 200, 1),
    ],
}


@pytest.mark.parametrize("steps", CASES.values(), ids=CASES.keys())
def test_decisions_on_the_same_heads(visits, settings, steps):
    visit = visits.submitted()
    sub = visit["submission_id"]
    ids: list[int | None] = []
    for outcome, supersedes, status, expected in steps:
        named = int(supersedes) if isinstance(supersedes, str) else None if supersedes is None else ids[supersedes]
        response = visits.decide(sub, outcome, named)
        assert response.status_code == status, response.text
        if status == 200:
            body = response.json()
            assert body["review"]["decision"] == outcome
            assert body["status"] == ("approved" if outcome == "approve" else "rejected")
            if isinstance(expected, int):
                assert body["review"]["id"] == ids[expected], "a repeat answers the decision already recorded"
            else:
                assert body["review"]["id"] not in ids
            ids.append(body["review"]["id"])
        else:
            problem = response.json()
            assert problem["code"] == expected
            ids.append(None)
            current = visits.doc(sub)["review"]
            if current is not None:
                assert f"decision {current['id']}" in problem["detail"], "the answer says which decision is current"
    recorded = [row[0] for row in _rows(settings, sub)]
    assert recorded == sorted({i for i in ids if i is not None}), "one row per decision, none for a repeat"
    assert visits.doc(sub)["review"]["id"] == recorded[-1]


def test_a_repeat_keeps_the_first_comment_and_adds_no_audit_entry(visits, settings):
    sub = visits.submitted()["submission_id"]
    first = visits.decide(sub, "reject", comment="нет фото кассы").json()["review"]
    again = visits.decide(sub, "reject", comment='=HYPERLINK("http://x")', lead=visits.lead2)
    assert again.status_code == 200 and again.json()["review"] == first
    assert _rows(settings, sub) == [(first["id"], "reject", "нет фото кассы")]
    with open_store(settings) as db:
        assert db.execute("SELECT count(*) FROM audit_log WHERE object_id = ?", (sub,)).fetchone() == (1,)


def test_new_heads_need_no_supersedes_and_old_heads_are_stale(visits, settings):
    visit = visits.submitted()
    sub = visit["submission_id"]
    approved = visits.decide(sub, "approve").json()["review"]
    # The tablet sends a fix: the approval covered the old heads only.
    fix = visits.tablet.edit(visit, answers=PASSING | {"GREET.2": 4})
    assert visits.tablet.push(visits.client, [fix])[0]["status"] == "applied"
    assert visits.doc(sub)["status"] == "needs_review"
    stale = visits.decide(sub, "reject", approved["id"], heads=[visit["rev_id"]])
    assert stale.status_code == 409 and stale.json()["code"] == "stale_heads"
    rejected = visits.decide(sub, "reject", comment="исправлено после проверки")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["review"]["heads"] == [fix["rev_id"]] and rejected.json()["status"] == "rejected"
    # Naming the decision in force on the older heads is allowed too (it is the current one).
    again = visits.decide(sub, "approve", rejected.json()["review"]["id"])
    assert again.status_code == 200 and again.json()["status"] == "approved"
    assert len(_rows(settings, sub)) == 3


@pytest.mark.parametrize("bad", [0, -1, "1", True, 1.5, 2**64, None])
def test_supersedes_must_be_a_decision_id(visits, bad):
    sub = visits.submitted()["submission_id"]
    body = {"decision": "approve", "heads": visits.doc(sub)["heads"], "supersedes": bad}
    response = visits.client.post(f"/v1/submissions/{sub}/review", json=body, headers=visits.lead)
    if bad is None:  # null is the field left out
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_request"


def test_bulk_reports_each_row_and_applies_the_others(visits, settings):
    a, b, c, d = (visits.submitted()["submission_id"] for _ in range(4))
    b_approved = visits.decide(b, "approve").json()["review"]["id"]
    c_rejected = visits.decide(c, "reject").json()["review"]["id"]
    heads = {sub: visits.doc(sub)["heads"] for sub in (a, b, c, d)}
    rows = [
        {"submission_id": a, "decision": "approve", "heads": heads[a]},
        {"submission_id": b, "decision": "reject", "heads": heads[b]},
        {"submission_id": b, "decision": "approve", "heads": heads[b]},
        {"submission_id": c, "decision": "approve", "heads": heads[c], "supersedes": c_rejected},
        {"submission_id": d, "decision": "reject", "heads": heads[d], "supersedes": b_approved},
        # The same submission again within the bulk is checked against the row above.
        {"submission_id": a, "decision": "approve", "heads": heads[a]},
        {"submission_id": a, "decision": "reject", "heads": heads[a]},
    ]
    response = visits.client.post("/v1/submissions/review", json={"decisions": rows}, headers=visits.lead)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [(i["submission_id"], i["status"]) for i in items] == [
        (a, "approved"),
        (b, "failed"),
        (b, "approved"),
        (c, "approved"),
        (d, "failed"),
        (a, "approved"),
        (a, "failed"),
    ]
    assert items[1]["problem"]["code"] == "already_decided"
    assert items[1]["problem"]["current_decision_id"] == b_approved and items[1]["decision_id"] is None
    assert items[2]["decision_id"] == b_approved, "a repeat in a bulk answers the decision in force"
    assert items[4]["problem"]["code"] == "nothing_to_supersede"
    assert items[5]["decision_id"] == items[0]["decision_id"]
    assert items[6]["problem"] == {
        "code": "already_decided",
        "message": items[6]["problem"]["message"],
        "current_decision_id": items[0]["decision_id"],
    }
    for sub, item in ((a, items[0]), (b, items[2]), (c, items[3])):
        review = visits.doc(sub)["review"]
        assert review["id"] == item["decision_id"], "the bulk's id is the one the submission shows"
    assert visits.doc(d)["review"] is None
    assert [len(_rows(settings, sub)) for sub in (a, b, c, d)] == [1, 1, 2, 0]


def test_the_decision_id_reaches_the_tablet(visits):
    sub = visits.submitted()["submission_id"]
    decided = visits.decide(sub, "reject", comment="повторить визит").json()["review"]
    changes, _ = visits.tablet.pull_all(visits.client)
    pulled = next(c["data"] for c in changes if c["kind"] == "submission" and c["id"] == sub)
    assert pulled["review"]["id"] == decided["id"]


# --- Two reviewers at the same moment, on a real server -------------------------------------------

ROUNDS = 24


def _live_setup(server: LiveServer) -> tuple[Tablet, dict[str, str], dict[str, str]]:
    with httpx.Client(base_url=server.url, headers=server.admin_headers(), timeout=30) as api:
        api.post("/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers={"Content-Type": "application/toml"})
        api.put("/v1/units/U1", json=UNIT)
        api.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"})
        tokens = {}
        for name, role in (("aigerim", "auditor"), ("saule", "quality_lead"), ("ruslan", "quality_lead")):
            made = api.post("/v1/users", json={"name": name, "role": role})
            assert made.status_code == 201, made.text
            tokens[name] = {"Authorization": f"Bearer {made.json()['token']}"}
    tablet = Tablet(tokens["aigerim"] | {"Tekseru-Device-Id": str(uuid.uuid4())})
    return tablet, tokens["saule"], tokens["ruslan"]


def _at_once(*calls):
    """Run the calls on threads released together; answer their responses in call order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results), "a request did not finish"
    return results


def _decide(client: httpx.Client, lead: dict[str, str], sub: str, heads: list[str], outcome: str, bulk: bool):
    body = {"decision": outcome, "heads": heads}
    if bulk:
        return client.post("/v1/submissions/review", json={"decisions": [body | {"submission_id": sub}]}, headers=lead)
    return client.post(f"/v1/submissions/{sub}/review", json=body, headers=lead)


def _answer(response: httpx.Response) -> tuple[str, int | None]:
    """("ok", decision id) or (problem code, the current decision id where the answer names it)."""
    assert response.status_code in (200, 409), response.text
    body = response.json()
    if "items" in body:  # the bulk: the row's own report
        (item,) = body["items"]
        if item["status"] == "failed":
            return item["problem"]["code"], item["problem"].get("current_decision_id")
        return "ok", item["decision_id"]
    if response.status_code == 409:
        return body["code"], None
    return "ok", body["review"]["id"]


def test_two_reviewers_deciding_the_same_heads_at_once(tmp_path):
    with LiveServer(tmp_path / "var") as server, httpx.Client(base_url=server.url, timeout=30) as http:
        tablet, saule, ruslan = _live_setup(server)
        visits = [tablet.revision(started_at=OCTOBER) for _ in range(ROUNDS)]
        pushed = http.post("/v1/sync/push", json=tablet.envelope(visits), headers=tablet.headers)
        assert {r["status"] for r in pushed.json()["receipts"]} == {"applied"}, pushed.text
        with httpx.Client(base_url=server.url, timeout=30) as one, httpx.Client(base_url=server.url, timeout=30) as two:
            for n, visit in enumerate(visits):
                sub, heads = visit["submission_id"], [visit["rev_id"]]
                # Rounds alternate opposite and equal outcomes, and the second reviewer's endpoint.
                outcomes = ("approve", "reject") if n % 2 == 0 else ("reject", "reject")
                bulk = (n // 2) % 2 == 1
                answers = [
                    _answer(r)
                    for r in _at_once(
                        partial(_decide, one, saule, sub, heads, outcomes[0], False),
                        partial(_decide, two, ruslan, sub, heads, outcomes[1], bulk),
                    )
                ]
                won = [a for a in answers if a[0] == "ok"]
                if outcomes[0] == outcomes[1]:
                    assert len(won) == 2 and won[0][1] == won[1][1], (n, answers)
                else:
                    assert len(won) == 1, (n, answers)
                    (lost,) = [a for a in answers if a[0] != "ok"]
                    assert lost[0] == "already_decided" and lost[1] in (None, won[0][1]), (n, answers)
                review = http.get(f"/v1/submissions/{sub}", headers=saule).json()["review"]
                assert review["id"] == won[0][1], (n, answers, review)
        with sqlite3.connect(server.data_dir / "tekseru.sqlite3") as db:
            per_visit = db.execute("SELECT count(*) FROM reviews GROUP BY submission_id").fetchall()
        assert per_visit == [(1,)] * ROUNDS, "exactly one decision recorded per visit"


# --- Devices ---------------------------------------------------------------------------------------


def _auditor(client, admin, name: str) -> str:
    response = client.post("/v1/users", json={"name": name, "role": "auditor"}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["token"]


def _as(token: str, device: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Tekseru-Device-Id": device}


def _code(response) -> str:
    return response.json()["code"]


def test_a_device_belongs_to_the_first_user_seen_on_it(client, admin, settings):
    device, other_device = str(uuid.uuid4()), str(uuid.uuid4())
    a = _auditor(client, admin, "aigerim")
    b = _auditor(client, admin, "daulet")
    assert client.get("/v1/submissions", headers=_as(a, device)).status_code == 200
    # Another user's new token from that tablet: refused, and left unbound.
    for spelled in (device, device.upper()):
        response = client.get("/v1/submissions", headers=_as(b, spelled))
        assert response.status_code == 401 and _code(response) == "device_mismatch", response.text
        assert response.headers["www-authenticate"].startswith("Bearer")
    with open_store(settings) as db:
        assert db.execute("SELECT t.device_id FROM tokens t WHERE t.user_name = 'daulet'").fetchall() == [(None,)]
        assert db.execute("SELECT user_name FROM devices WHERE device_id = ?", (device,)).fetchall() == [("aigerim",)]
    assert client.get("/v1/submissions", headers=_as(b, other_device)).status_code == 200
    response = client.get("/v1/submissions", headers=_as(b, device))
    assert response.status_code == 401 and _code(response) == "device_mismatch"
    # The owner's second token (a reinstalled app) works on its own tablet; not on B's.
    a2 = client.post("/v1/users/aigerim/tokens", headers=admin).json()["token"]
    assert client.get("/v1/submissions", headers=_as(a2, device)).status_code == 200
    assert client.get("/v1/submissions", headers=_as(a, device)).status_code == 200
    a3 = client.post("/v1/users/aigerim/tokens", headers=admin).json()["token"]
    response = client.get("/v1/submissions", headers=_as(a3, other_device))
    assert response.status_code == 401 and _code(response) == "device_mismatch"
    # A push from B on A's tablet is refused the same way (the guard is app-wide).
    tablet = Tablet(_as(b, device))
    response = client.post("/v1/sync/push", json=tablet.envelope([tablet.revision()]), headers=tablet.headers)
    assert response.status_code == 401 and _code(response) == "device_mismatch"


def test_a_revoked_device_stays_revoked(client, admin):
    device = str(uuid.uuid4())
    a = _auditor(client, admin, "aigerim")
    b = _auditor(client, admin, "daulet")
    assert client.get("/v1/submissions", headers=_as(a, device)).status_code == 200
    assert client.delete(f"/v1/devices/{device}", headers=admin).status_code == 204
    assert _code(client.get("/v1/submissions", headers=_as(a, device))) == "token_revoked"
    # A new token of the owner is refused there, and not spent on the revoked tablet.
    fresh = client.post("/v1/users/aigerim/tokens", headers=admin).json()["token"]
    assert _code(client.get("/v1/submissions", headers=_as(fresh, device))) == "token_revoked"
    assert client.get("/v1/submissions", headers=_as(fresh, str(uuid.uuid4()))).status_code == 200
    # Another user cannot claim the revoked tablet either.
    assert _code(client.get("/v1/submissions", headers=_as(b, device))) == "device_mismatch"
    assert client.delete(f"/v1/devices/{device}", headers=admin).status_code == 204
    assert _code(client.get("/v1/submissions", headers=_as(a, device))) == "token_revoked"


def test_a_token_bound_to_another_users_device_before_the_fix_is_refused(client, admin, settings):
    """The old server bound any token to a device already seen; such a binding gives no access."""
    device = str(uuid.uuid4())
    a = _auditor(client, admin, "aigerim")
    b = _auditor(client, admin, "daulet")
    assert client.get("/v1/submissions", headers=_as(a, device)).status_code == 200
    with open_store(settings) as db:
        db.execute("UPDATE tokens SET device_id = ? WHERE user_name = 'daulet'", (device,))
    response = client.get("/v1/submissions", headers=_as(b, device))
    assert response.status_code == 401 and _code(response) == "device_mismatch"
    assert client.get("/v1/submissions", headers=_as(a, device)).status_code == 200


def test_two_users_first_seen_on_one_device_at_once(tmp_path):
    with LiveServer(tmp_path / "var") as server:
        admin = server.admin_headers()
        clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(2)]
        try:
            for n in range(ROUNDS):
                tokens = []
                for side in ("a", "b"):
                    made = clients[0].post(
                        "/v1/users", json={"name": f"auditor{n}{side}", "role": "auditor"}, headers=admin
                    )
                    assert made.status_code == 201, made.text
                    tokens.append(made.json()["token"])
                device = str(uuid.uuid4())
                answers = _at_once(
                    partial(clients[0].get, "/v1/submissions", headers=_as(tokens[0], device)),
                    partial(clients[1].get, "/v1/submissions", headers=_as(tokens[1], device)),
                )
                statuses = sorted(
                    (r.status_code, r.json().get("code") if r.status_code != 200 else None) for r in answers
                )
                assert statuses == [(200, None), (401, "device_mismatch")], (n, statuses)
                winner, loser = (0, 1) if answers[0].status_code == 200 else (1, 0)
                assert clients[0].get("/v1/submissions", headers=_as(tokens[winner], device)).status_code == 200
                assert clients[0].get("/v1/submissions", headers=_as(tokens[loser], device)).status_code == 401
                # The loser's token was not spent: it binds to its own tablet.
                own = str(uuid.uuid4())
                assert clients[0].get("/v1/submissions", headers=_as(tokens[loser], own)).status_code == 200
        finally:
            for c in clients:
                c.close()
        with sqlite3.connect(server.data_dir / "tekseru.sqlite3") as db:
            shared = db.execute(
                "SELECT count(*) FROM tokens t JOIN devices d ON d.device_id = t.device_id"
                " WHERE d.user_name != t.user_name"
            ).fetchone()
        assert shared == (0,), "no token is bound to another user's device"
