"""Assignment plans through the API: draft, publish, pull, re-publish, staleness, coverage, roles, hostile input."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from checklists.library import plan_example_file, policy_file
from server.cli import main
from server.plans import example_policy
from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.tablet import Tablet

TOML = {"Content-Type": "application/toml"}
UNITS = {"U1": "Алматы", "U2": "Алматы", "U3": "Астана"}
# Auditors and their regions (None: any region).
AUDITORS = {"aigerim": "Алматы", "daulet": "Алматы", "marina": "Астана", "erlan": None}
POLICY = """
period = "2031-03"
seed = 7
lockout_days = 10
calibration_share = 0.5
[visits]
branch = 3
"""


class Org:
    """A small organisation: three branches in two regions, a person in each, four auditors."""

    def __init__(self, client, admin) -> None:
        self.client = client
        self.admin = admin
        response = client.post("/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers=admin | TOML)
        assert response.status_code == 201, response.text
        for n, (unit_id, region) in enumerate(UNITS.items(), start=1):
            body = {"kind": "branch", "name": f"ПСС {unit_id}", "region": region}
            assert client.put(f"/v1/units/{unit_id}", json=body, headers=admin).status_code == 200
            staff = {"name": f"Сотрудник {n}", "unit_id": unit_id}
            assert client.put(f"/v1/staff/E{n}", json=staff, headers=admin).status_code == 200
        self.auditors = {}
        for name, region in AUDITORS.items():
            body = {"name": name, "role": "auditor"} | ({"region": region} if region else {})
            response = client.post("/v1/users", json=body, headers=admin)
            assert response.status_code == 201, response.text
            self.auditors[name] = {
                "Authorization": f"Bearer {response.json()['token']}",
                "Tekseru-Device-Id": str(uuid.uuid4()),
            }
        self.lead = make_user(client, admin, "saule", "quality_lead")

    def draft(self, policy: str = POLICY, headers: dict | None = None) -> dict:
        response = self.client.post("/v1/plans", content=policy.encode(), headers=(headers or self.lead) | TOML)
        assert response.status_code == 201, response.text
        return response.json()

    def publish(self, plan_id: str) -> dict:
        response = self.client.post(f"/v1/plans/{plan_id}/publish", headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def visit(self, auditor: str, unit_id: str, started: str, assignment_id: str | None = None, **fields) -> str:
        """A submitted visit of `auditor` to `unit_id` started at `started` (Almaty time); its submission id."""
        tablet = Tablet(self.auditors[auditor])
        revision = tablet.revision(
            unit_id=unit_id,
            started_at=f"{started}+05:00",
            finished_at=f"{started[:-5]}{int(started[-5:-3]) + 1:02d}:00+05:00",
            **({"assignment_id": assignment_id} if assignment_id else {}),
            **fields,
        )
        (receipt,) = tablet.push(self.client, [revision])
        assert receipt["status"] in ("applied", "merged"), receipt
        return revision["submission_id"]

    def review(self, submission_id: str, decision: str = "approve") -> None:
        doc = self.client.get(f"/v1/submissions/{submission_id}", headers=self.lead).json()
        body = {"decision": decision, "heads": doc["heads"], "comment": "ok"}
        response = self.client.post(f"/v1/submissions/{submission_id}/review", json=body, headers=self.lead)
        assert response.status_code == 200, response.text


@pytest.fixture
def org(client, admin) -> Org:
    return Org(client, admin)


def _assignments(changes: list[dict]) -> dict[str, dict]:
    """The assignment changes of a pull by id (the last one of each), op and data."""
    return {c["id"]: c for c in changes if c["kind"] == "assignment"}


# --- drafting and publishing ---------------------------------------------------------------------------


def test_a_draft_respects_regions_and_publishing_sends_each_auditor_exactly_theirs(client, org):
    plan = org.draft()
    assert plan["status"] == "draft" and plan["period"] == "2031-03" and plan["plan_id"] == "2031-03.1"
    visits = plan["visits"]
    assert visits and all(v["assignment_id"] is None for v in visits)
    for v in visits:  # every auditor only in their region
        assert AUDITORS[v["auditor"]] in (None, UNITS[v["unit_id"]])
        assert v["day"].startswith("2031-03-") and v["time_from"] < v["time_to"]
    pairs = [v for v in visits if v["calibration_of"]]
    assert pairs, "half the visits asked as calibration pairs: some must fit with lockout 10"
    keys = {v["key"]: v for v in visits}
    for pair in pairs:
        original = keys[pair["calibration_of"]]
        assert (pair["unit_id"], pair["day"], pair["time_from"]) == (
            original["unit_id"],
            original["day"],
            original["time_from"],
        )
        assert pair["auditor"] != original["auditor"]
    assert {u["unit_id"]: u["needed"] for u in plan["units"]} == {"U1": 3, "U2": 3, "U3": 3}
    assert plan["visit_count"] == len(visits) and plan["warning_count"] == len(plan["warnings"])
    # The same inputs and seed: the same visits.
    again = org.draft()
    assert again["plan_id"] == "2031-03.2"
    assert [{k: v for k, v in x.items()} for x in again["visits"]] == visits

    published = org.publish(plan["plan_id"])
    assert published["status"] == "published" and published["published_by"] == "saule"
    ids = {v["key"]: v["assignment_id"] for v in published["visits"]}
    assert sorted(ids.values()) == [f"P-2031-03-{n:04d}" for n in range(1, len(visits) + 1)]
    for name, headers in org.auditors.items():
        changes, _ = Tablet(headers).pull_all(client)
        got = _assignments(changes)
        mine = [v for v in published["visits"] if v["auditor"] == name]
        assert set(got) == {v["assignment_id"] for v in mine}, name
        for v in mine:
            data = got[v["assignment_id"]]["data"]
            assert (data["due_from"], data["due_to"]) == (v["day"], v["day"])
            assert (data["time_from"], data["time_to"]) == (v["time_from"], v["time_to"])
            assert data["plan_id"] == plan["plan_id"] and data["active"] is True
            assert data["calibration_of"] == (ids[v["calibration_of"]] if v["calibration_of"] else None)
    # Published once: a second publish, or publishing the other draft of the month over it, is refused.
    response = client.post(f"/v1/plans/{plan['plan_id']}/publish", headers=org.lead)
    assert response.status_code == 409 and response.json()["code"] == "plan_not_draft"
    response = client.post(f"/v1/plans/{again['plan_id']}/publish", headers=org.lead)
    assert response.status_code == 409 and response.json()["code"] == "plan_stale"
    listed = client.get("/v1/plans", params={"period": "2031-03"}, headers=org.lead).json()["items"]
    assert [(p["plan_id"], p["status"]) for p in listed] == [("2031-03.2", "draft"), ("2031-03.1", "published")]


def test_republishing_withdraws_what_is_no_longer_planned_and_keeps_what_was_visited(client, org):
    first = org.publish(org.draft()["plan_id"])
    tablets = {name: Tablet(headers) for name, headers in org.auditors.items()}
    cursors = {name: t.pull_all(client)[1] for name, t in tablets.items()}
    # One visit is made for an assignment of the first plan.
    done = next(v for v in first["visits"] if v["calibration_of"] is None)
    org.visit(done["auditor"], done["unit_id"], f"{done['day']}T{done['time_from']}:00", done["assignment_id"])
    # A smaller month: two visits per branch, no calibration.
    smaller = POLICY.replace("branch = 3", "branch = 2").replace("calibration_share = 0.5", "min_visits = 2")
    second = org.publish(org.draft(smaller)["plan_id"])
    plans = {p["plan_id"]: p["status"] for p in client.get("/v1/plans", headers=org.lead).json()["items"]}
    assert plans == {first["plan_id"]: "superseded", second["plan_id"]: "published"}
    kept = {v["assignment_id"] for v in second["visits"]}
    # The new plan reuses an old id for a visit it keeps, and numbers its new ones after the month's last.
    assert all(a.startswith("P-2031-03-") for a in kept)
    old = {v["assignment_id"]: v for v in first["visits"]}
    withdrawn = set(old) - kept - {done["assignment_id"]}
    assert withdrawn
    for assignment_id in withdrawn:
        got = client.get(f"/v1/assignments/{assignment_id}", headers=org.lead).json()
        assert got["active"] is False
    visited = client.get(f"/v1/assignments/{done['assignment_id']}", headers=org.lead).json()
    assert visited["active"] is True  # a visit was made for it: it stays
    for name, tablet in tablets.items():
        changes, _ = tablet.pull_all(client, cursors[name])
        got = _assignments(changes)
        for assignment_id in withdrawn:
            if old[assignment_id]["auditor"] == name:
                assert got[assignment_id]["op"] == "delete", (name, assignment_id)
            else:
                assert assignment_id not in got
        # From the start: what the tablet holds is exactly the new plan's, plus the visited one.
        everything = _assignments(tablet.pull_all(client)[0])
        holds = {a for a, c in everything.items() if c["op"] == "upsert"}
        expected = {v["assignment_id"] for v in second["visits"] if v["auditor"] == name}
        if done["auditor"] == name:
            expected.add(done["assignment_id"])
        assert holds == expected, name


def test_a_draft_goes_stale_when_the_directory_or_the_months_plans_change(client, org):
    plan = org.draft()
    moved = {"kind": "branch", "name": "ПСС U3", "region": "Алматы"}
    assert client.put("/v1/units/U3", json=moved, headers=org.admin).status_code == 200
    response = client.post(f"/v1/plans/{plan['plan_id']}/publish", headers=org.lead)
    assert response.status_code == 409 and response.json()["code"] == "plan_stale"
    # An auditor's region changes: stale again for a draft made before.
    fresh = org.draft()
    response = client.put("/v1/users/marina/region", json={"region": None}, headers=org.admin)
    assert response.status_code == 200 and response.json() == {"name": "marina", "region": None}
    response = client.post(f"/v1/plans/{fresh['plan_id']}/publish", headers=org.lead)
    assert response.json()["code"] == "plan_stale"
    # A visit made since the draft that brings a planned visit within the lockout.
    latest = org.draft()
    v = latest["visits"][0]
    org.visit(v["auditor"], v["unit_id"], f"{v['day']}T08:00:00")
    response = client.post(f"/v1/plans/{latest['plan_id']}/publish", headers=org.lead)
    assert response.status_code == 409 and response.json()["code"] == "plan_stale"
    assert response.json()["errors"][0]["path"] == "visits[0]"
    # Drafted again, the planner sees that visit.
    org.publish(org.draft()["plan_id"])
    assert client.post("/v1/plans/nope/publish", headers=org.lead).status_code == 404
    assert client.get("/v1/plans/nope", headers=org.lead).status_code == 404


def test_the_lockout_respects_history_from_real_approved_visits(client, org):
    # aigerim visited U1 three weeks before the month; with a 90-day lockout she cannot go again.
    org.review(org.visit("aigerim", "U1", "2031-02-08T10:00:00"))
    policy = POLICY.replace("lockout_days = 10", "lockout_days = 90").replace("calibration_share = 0.5", "")
    plan = org.draft(policy)
    assert not [v for v in plan["visits"] if v["auditor"] == "aigerim" and v["unit_id"] == "U1"]
    assert [v for v in plan["visits"] if v["auditor"] == "aigerim" and v["unit_id"] == "U2"]
    # U1 has two auditors left (daulet, erlan): one visit short of three, and said so.
    (short,) = [w for w in plan["warnings"] if w["code"] == "unit_below_minimum" and w["unit_id"] == "U1"]
    assert (short["needed"], short["planned"]) == (3, 2)
    # A lockout of 0 lets her go.
    plan = org.draft(policy.replace("lockout_days = 90", "lockout_days = 0"))
    assert [v for v in plan["visits"] if v["auditor"] == "aigerim" and v["unit_id"] == "U1"]


def test_the_draft_compares_with_last_months_plan_and_visits(client, org):
    feb = POLICY.replace("2031-03", "2031-02").replace("calibration_share = 0.5", "calibration_share = 0.0")
    february = org.publish(org.draft(feb)["plan_id"])
    done = [v for v in february["visits"] if v["unit_id"] == "U1"][:2]
    for v in done:
        org.visit(v["auditor"], "U1", f"{v['day']}T{v['time_from']}:00", v["assignment_id"])
    march = org.draft()
    lines = {u["unit_id"]: u for u in march["units"]}
    assert lines["U1"]["previous_planned"] == sum(1 for v in february["visits"] if v["unit_id"] == "U1")
    assert lines["U1"]["previous_done"] == 2 and lines["U2"]["previous_done"] == 0
    regions = {r["region"]: r for r in march["regions"]}
    assert regions["Астана"]["auditors"] == 2  # marina, and erlan who may go anywhere
    assert {a["auditor"]: a["regions"] for a in march["auditors"]}["erlan"] == []


# --- coverage ------------------------------------------------------------------------------------------------


def test_coverage_counts_needed_planned_done_and_approved(client, org, default_policy):
    plan = org.publish(org.draft(POLICY.replace("calibration_share = 0.5", "calibration_share = 0.0"))["plan_id"])
    planned = {u["unit_id"]: u["planned"] for u in plan["units"]}
    u1 = [v for v in plan["visits"] if v["unit_id"] == "U1"]
    approved = org.visit(u1[0]["auditor"], "U1", f"{u1[0]['day']}T10:00:00", u1[0]["assignment_id"], staff_ids=["E1"])
    org.review(approved)
    org.visit(u1[1]["auditor"], "U1", f"{u1[1]['day']}T10:00:00", u1[1]["assignment_id"], staff_ids=["E1"])
    u2 = next(v for v in plan["visits"] if v["unit_id"] == "U2")
    org.review(org.visit(u2["auditor"], "U2", f"{u2['day']}T10:00:00", staff_ids=["E2"]), "reject")
    # A hand-made assignment of the month counts as planned too; one of another month does not.
    extra = {"auditor": "marina", "unit_id": "U3", "checklist_id": "example", "due_from": "2031-03-30"}
    assert (
        client.put("/v1/assignments/X-1", json=extra | {"due_to": "2031-03-31"}, headers=org.admin).status_code == 200
    )
    other = extra | {"due_from": "2031-04-01", "due_to": "2031-04-02"}
    assert client.put("/v1/assignments/X-2", json=other, headers=org.admin).status_code == 200
    response = client.get("/v1/plans/coverage", params={"period": "2031-03"}, headers=org.lead)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["plan_id"] == plan["plan_id"] and body["min_visits"] == 3
    got = {
        u["unit_id"]: (u["needed"], u["planned"], u["done"], u["approved"], u["below_minimum"]) for u in body["units"]
    }
    assert got == {
        "U1": (3, planned["U1"], 2, 1, True),
        "U2": (3, planned["U2"], 0, 0, True),
        "U3": (3, planned["U3"] + 1, 0, 0, True),
    }
    assert body["units_below_minimum"] == ["U1", "U2", "U3"]
    assert [(s["staff_id"], s["approved"]) for s in body["staff_below_minimum"]] == [("E1", 1), ("E2", 0), ("E3", 0)]
    # With a policy whose minimum is one visit, E1 is no longer below it; a month without a plan
    # needs the policy's minimum.
    lenient = policy_file().read_text(encoding="utf-8").replace("min_visits = 3", "min_visits = 1")
    lenient = lenient.replace("version = 1", "version = 2")
    assert client.post("/v1/policies", content=lenient.encode(), headers=org.admin | TOML).status_code == 201
    body = client.get("/v1/plans/coverage", params={"period": "2031-03"}, headers=org.lead).json()
    assert [s["staff_id"] for s in body["staff_below_minimum"]] == ["E2", "E3"]
    assert {u["unit_id"] for u in body["units"] if not u["below_minimum"]} == set()
    body = client.get("/v1/plans/coverage", params={"period": "2031-05"}, headers=org.lead).json()
    assert body["plan_id"] is None and {u["needed"] for u in body["units"]} == {1}


# --- who may, and what hostile input gets --------------------------------------------------------------------


def test_only_admins_and_quality_leads_plan(client, org, admin):
    plan = org.draft(headers=admin)
    hr = make_user(client, admin, "dana", "hr")
    manager = make_user(client, admin, "aliya", "unit_manager", units=["U1"])
    for headers in (hr, manager, org.auditors["aigerim"]):
        assert client.post("/v1/plans", content=POLICY.encode(), headers=headers | TOML).status_code == 403
        assert client.get("/v1/plans", headers=headers).status_code == 403
        assert client.get(f"/v1/plans/{plan['plan_id']}", headers=headers).status_code == 403
        assert client.get("/v1/plans/coverage?period=2031-03", headers=headers).status_code == 403
        assert client.post(f"/v1/plans/{plan['plan_id']}/publish", headers=headers).status_code == 403
    assert client.get("/v1/plans", headers=org.lead).status_code == 200


@pytest.mark.parametrize(
    ("policy", "paths"),
    [
        ('period = "0001-01"\n[visits]\nbranch = 3\n', ["period"]),
        ('period = "9999-12"\n[visits]\nbranch = 3\n', ["period"]),
        ('period = "2031-03\\n"\n[visits]\nbranch = 3\n', ["period"]),
        ('period = "2031-03"\n[visits]\nbranch = 3\n[units."A\u0301LM-1"]\nfrom = "10:00"\n', ['units."A\u0301LM-1"']),
        ('period = "2031-03"\nseed = -1\nlockout_days = 9999\n', ["lockout_days", "seed", "visits"]),
        ('period = "2031-03"\n[visits]\nbranch = 3\n[hours]\nfrom = "18:00"\nto = "09:00"\n', ["hours.to"]),
    ],
)
def test_a_bad_policy_is_400_with_every_problems_path(client, org, policy, paths):
    response = client.post("/v1/plans", content=policy.encode(), headers=org.lead | TOML)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "invalid_plan_policy"
    assert sorted(e["path"] for e in body["errors"]) == sorted(paths)
    assert client.get("/v1/plans", headers=org.lead).json()["items"] == []


def test_hostile_bodies_and_queries_get_clear_answers(client, org):
    as_json = {"period": "2031-03", "visits": {"branch": 3}, "auditors": {"x\n": {"per_day": 0}}}
    response = client.post("/v1/plans", content=json.dumps(as_json), headers=org.lead)
    assert response.status_code == 400
    assert {e["path"] for e in response.json()["errors"]} >= {'auditors."x\\n"', 'auditors."x\\n".per_day'}
    assert client.post("/v1/plans", content=b"\xff\xfe", headers=org.lead | TOML).status_code == 400
    assert client.post("/v1/plans", content=b"[1]", headers=org.lead).status_code == 400
    assert client.post("/v1/plans", content=b"x", headers=org.lead | {"Content-Type": "text/csv"}).status_code == 415
    for period in ("2031-3", "0001-01", "9999-12", "2031-03\n"):
        for path in ("/v1/plans", "/v1/plans/coverage"):
            response = client.get(path, params={"period": period}, headers=org.lead)
            assert response.status_code == 400, (path, period)
    assert client.get("/v1/plans/coverage", headers=org.lead).status_code == 400
    # A draft of the example file (JSON as well as TOML) is accepted.
    assert (
        client.post("/v1/plans", content=example_policy("2031-04").encode(), headers=org.lead | TOML).status_code == 201
    )


def test_a_closed_month_cannot_be_planned(client, org, default_policy, admin):
    response = client.post("/v1/periods/2024-05/close", json={"force": True}, headers=admin)
    assert response.status_code == 201, response.text
    policy = POLICY.replace("2031-03", "2024-05")
    response = client.post("/v1/plans", content=policy.encode(), headers=org.lead | TOML)
    assert response.status_code == 409 and response.json()["code"] == "period_closed"


# --- auditors' regions ---------------------------------------------------------------------------------------


def test_auditors_get_a_region_of_the_directory(client, org, admin):
    listed = {u["name"]: u["region"] for u in client.get("/v1/users", headers=admin).json()["items"]}
    assert listed["aigerim"] == "Алматы" and listed["erlan"] is None and listed["saule"] is None
    response = client.post("/v1/users", json={"name": "x1", "role": "auditor", "region": "Атлантида"}, headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "unknown_region"
    assert response.json()["errors"][0]["path"] == "region"
    response = client.post("/v1/users", json={"name": "x2", "role": "hr", "region": "Алматы"}, headers=admin)
    assert response.status_code == 400 and response.json()["code"] == "region_not_allowed"
    response = client.put("/v1/users/erlan/region", json={"region": "Астана"}, headers=admin)
    assert response.json() == {"name": "erlan", "region": "Астана"}
    # A region typed in NFD is stored NFC, so it is the directory's region.
    unit = {"kind": "branch", "name": "ПСС Түркістан", "region": "T\u00fcrkistan"}
    assert client.put("/v1/units/U4", json=unit, headers=admin).status_code == 200
    response = client.put("/v1/users/erlan/region", json={"region": "Tu\u0308rkistan"}, headers=admin)
    assert response.status_code == 200 and response.json()["region"] == "T\u00fcrkistan"
    response = client.put("/v1/users/saule/region", json={"region": "Астана"}, headers=admin)
    assert response.status_code == 409 and response.json()["code"] == "not_auditor"
    assert client.put("/v1/users/ghost/region", json={"region": None}, headers=admin).status_code == 404
    assert client.put("/v1/users/erlan/region", json={"region": "A\u2028B"}, headers=admin).status_code == 400
    assert client.put("/v1/users/erlan/region", json={}, headers=admin).status_code == 400
    assert client.put("/v1/users/erlan/region", json={"region": "x"}, headers=org.lead).status_code == 403


# --- the command line -----------------------------------------------------------------------------------------


def test_the_plan_commands_draft_publish_and_report(tmp_path: Path, capsys):
    data_dir = str(tmp_path / "var")
    cli = ["--data-dir", data_dir]
    units = tmp_path / "units.csv"
    units.write_text("unit_id,kind,name,region\nU1,branch,ПСС 1,Алматы\nU2,branch,ПСС 2,Алматы\n", encoding="utf-8")
    assert main([*cli, "import", "units", str(units)]) == 0
    assert main([*cli, "checklists", "publish", str(EXAMPLE_CHECKLIST)]) == 0
    for name in ("aigerim", "daulet", "marina"):
        assert main([*cli, "users", "add", name, "--role", "auditor", "--region", "Алматы"]) == 0
    assert "region Алматы" in capsys.readouterr().out
    policy = tmp_path / "plan.toml"
    policy.write_text(example_policy("2031-03"), encoding="utf-8")
    assert main([*cli, "plan", "draft", str(policy)]) == 0
    out = capsys.readouterr().out
    assert "plan 2031-03.1 for 2031-03 (draft)" in out and "tekseru plan publish 2031-03.1" in out
    assert main([*cli, "plan", "publish", "2031-03.1"]) == 0
    assert "plan 2031-03.1 published" in capsys.readouterr().out
    assert main([*cli, "plan", "coverage", "2031-03"]) == 0
    out = capsys.readouterr().out
    assert "2031-03: plan 2031-03.1" in out and "U1" in out
    assert main([*cli, "plan", "publish", "2031-03.1"]) == 1
    assert "plan_not_draft" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('period = "2031-13"\n', encoding="utf-8")
    assert main([*cli, "plan", "draft", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "period" in err and "Traceback" not in err
    assert main([*cli, "users", "region", "marina"]) == 0
    assert "marina now works in any region" in capsys.readouterr().out
    assert main([*cli, "plan", "show", "2031-03.1"]) == 0
    out = capsys.readouterr().out
    assert "plan 2031-03.1 for 2031-03 (published)" in out and "2031-03-" in out


def test_the_shipped_example_is_a_valid_policy():
    from reports.plan_policy import load_plan_policy

    loaded = load_plan_policy(plan_example_file().read_bytes(), "toml", "plan.example.toml")
    assert loaded.policy.lockout_days == 90 and loaded.policy.visits is not None
    assert load_plan_policy(example_policy("2040-11").encode(), "toml").policy.period == "2040-11"


def test_the_store_holds_the_plan_and_its_visits(client, org, settings):
    plan = org.publish(org.draft()["plan_id"])
    with open_store(settings) as db:
        row = db.execute("SELECT status, policy_sha256, needed FROM plans WHERE plan_id = ?", (plan["plan_id"],))
        status, sha, needed = row.fetchone()
        assert status == "published" and sha == plan["policy_sha256"]
        assert json.loads(needed) == {"U1": 3, "U2": 3, "U3": 3}
        count = db.execute(
            "SELECT count(*) FROM plan_visits WHERE plan_id = ? AND assignment_id IS NOT NULL", (plan["plan_id"],)
        )
        assert count.fetchone()[0] == plan["visit_count"]


def test_assignments_carry_a_time_window_and_a_read_only_plan(client, org, admin):
    body = {"auditor": "aigerim", "unit_id": "U1", "checklist_id": "example", "due_from": "2031-03-02"}
    body["due_to"] = "2031-03-02"
    response = client.put("/v1/assignments/X-1", json=body | {"time_from": "10:00", "time_to": "11:30"}, headers=admin)
    assert response.status_code == 200, response.text
    assert (response.json()["time_from"], response.json()["time_to"], response.json()["plan_id"]) == (
        "10:00",
        "11:30",
        None,
    )
    response = client.put("/v1/assignments/X-2", json=body | {"time_from": "10:00"}, headers=admin)
    assert response.status_code == 422 and [e["path"] for e in response.json()["errors"]] == ["time_to"]
    response = client.put("/v1/assignments/X-2", json=body | {"time_from": "12:00", "time_to": "11:00"}, headers=admin)
    assert [e["path"] for e in response.json()["errors"]] == ["time_to"]
    for bad in ("24:00", "9:00", "10:00\n", "10:00:00"):
        response = client.put("/v1/assignments/X-2", json=body | {"time_from": bad, "time_to": "23:00"}, headers=admin)
        assert response.status_code == 400 and response.json()["errors"][0]["path"] == "time_from", bad
    response = client.put("/v1/assignments/X-2", json=body | {"plan_id": "2031-03.1"}, headers=admin)
    assert response.status_code == 400 and response.json()["errors"][0]["path"] == "plan_id"
    # An administrator's edit of a planned assignment keeps the plan it came from.
    plan = org.publish(org.draft()["plan_id"])
    first = plan["visits"][0]
    edited = {
        "auditor": first["auditor"],
        "unit_id": first["unit_id"],
        "checklist_id": "example",
        "due_from": first["day"],
        "due_to": first["day"],
    }
    response = client.put(f"/v1/assignments/{first['assignment_id']}", json=edited, headers=admin)
    assert response.json()["plan_id"] == plan["plan_id"] and response.json()["time_from"] is None


def test_the_console_user_page_shows_and_sets_an_auditors_region(client, org, admin):
    import re

    from tests.test_console_review import PASSWORD, sign_in

    make_user(client, admin, "root", "admin")
    assert client.put("/v1/users/root/password", json={"password": PASSWORD}, headers=admin).status_code == 204
    sign_in(client, "root")
    page = client.get("/admin/users/marina")
    assert page.status_code == 200 and 'data-testid="region-form"' in page.text
    assert '<option value="Астана" selected>' in page.text and ">Алматы</option>" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    form = {"csrf_token": token, "region": "Алматы"}
    response = client.post("/admin/users/marina/region", data=form, follow_redirects=False)
    assert response.status_code == 303 and "done=region" in response.headers["location"]
    assert {u["name"]: u["region"] for u in client.get("/v1/users", headers=admin).json()["items"]}[
        "marina"
    ] == "Алматы"
    response = client.post("/admin/users/marina/region", data=form | {"region": "Марс"}, follow_redirects=False)
    assert "error=unknown_region" in response.headers["location"]
    response = client.post("/admin/users/marina/region", data=form | {"region": ""}, follow_redirects=False)
    assert "done=region" in response.headers["location"]
    assert 'data-testid="region-form"' not in client.get("/admin/users/saule").text  # not an auditor
    audit = client.get("/admin/audit", params={"action": "user.region"}).text
    assert "marina" in audit
