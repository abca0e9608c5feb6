"""`tekseru serve --demo` (what `make serve` runs): the library, the demo organisation, tokens."""

from __future__ import annotations

import httpx

from tests.live import LiveServer


def test_serve_demo_loads_everything_and_restarts_cleanly(tmp_path):
    data_dir = tmp_path / "var"
    with LiveServer(data_dir, "--demo") as server:
        assert httpx.get(f"{server.url}/v1/health").json()["status"] == "ok"
        assert httpx.get(f"{server.url}/schema/openapi.json").status_code == 200
        tokens = dict(line.split()[0::2] for line in (data_dir / "demo-tokens.txt").read_text().splitlines())
        assert set(tokens) == {
            "admin",
            "qlead.saule",
            "hr.dana",
            "auditor.aigerim",
            "auditor.daulet",
            "auditor.marina",
            "manager.aliya",
        }
        assert (data_dir / "demo-tokens.txt").stat().st_mode & 0o077 == 0
        lead = {"Authorization": f"Bearer {tokens['qlead.saule']}"}
        units = httpx.get(f"{server.url}/v1/units", params={"limit": 1000}, headers=lead).json()["items"]
        assert len(units) >= 18 and {u["kind"] for u in units} == {"branch", "contact_centre", "field_technician"}
        staff = httpx.get(f"{server.url}/v1/staff", params={"limit": 1000}, headers=lead).json()["items"]
        assert len(staff) >= 90
        assignments = httpx.get(f"{server.url}/v1/assignments", params={"limit": 1000}, headers=lead).json()["items"]
        active_units = {u["unit_id"] for u in units if u["active"]}
        assert {a["unit_id"] for a in assignments} == active_units
        checklists = httpx.get(f"{server.url}/v1/checklists", headers=lead).json()["items"]
        assert {(c["id"], c["version"]) for c in checklists} == {
            ("branch", 1),
            ("branch", 2),
            ("contact_centre", 1),
            ("field_technician", 1),
        }
        # The branch manager's appeals: one overturned in the closed month (an adjustment HR sees), one
        # upheld, one open with her photo.
        manager = {"Authorization": f"Bearer {tokens['manager.aliya']}"}
        appeals = httpx.get(f"{server.url}/v1/appeals", headers=manager).json()["items"]
        outcomes = sorted(i["outcome"] or a["status"] for a in appeals for i in a["items"])
        assert outcomes == ["open", "overturned", "upheld"]
        assert {a["unit_id"] for a in appeals} == {"ALM-014", "ALM-021"}
        closed = next(a["period"] for a in appeals if a["status"] == "decided")
        hr = {"Authorization": f"Bearer {tokens['hr.dana']}"}
        pending = httpx.get(f"{server.url}/v1/periods/{closed}/adjustments", headers=hr).json()["pending"]
        assert pending and all(p["after"]["unit_id"] == "ALM-014" for p in pending)
        # Calibration: some of last month's test calls and branch visits scored again by other auditors,
        # one of whom scores too kindly and falls under the policy's threshold.
        response = httpx.get(f"{server.url}/v1/calibration", params={"period": closed}, headers=lead)
        assert response.status_code == 200, response.text
        reports = {c["checklist_id"]: c for c in response.json()["checklists"]}
        assert {"branch", "contact_centre"} <= set(reports) and all(r["groups"] for r in reports.values())
        marina = [a for r in reports.values() for a in r["auditors"] if a["auditor"] == "auditor.marina"]
        assert marina and all(a["below_threshold"] and a["leniency"] > 0 for a in marina)
        # Integrity: this month's visits made to raise each flag, checked before the server serves,
        # and no flag elsewhere (the drawn visits are plausible: in the hall, a day apart between cities).
        month = next(a["period"] for a in appeals if a["status"] == "open")
        per_auditor = httpx.get(f"{server.url}/v1/integrity/auditors", params={"period": month}, headers=lead)
        assert per_auditor.status_code == 200, per_auditor.text
        raised = {code for a in per_auditor.json()["items"] for code, n in a["flags"].items() if n}
        assert raised == {
            "gps_far",
            "gps_missing",
            "clock_skew",
            "photo_reused",
            "photo_similar",
            "exif_time_mismatch",
            "comment_copied",
            "impossible_travel",
        }
        flagged = sum(a["flagged_visits"] for a in per_auditor.json()["items"])
        assert flagged <= 12, per_auditor.json()
        queue = httpx.get(f"{server.url}/v1/submissions", params={"flag": "any"}, headers=lead).json()["items"]
        assert queue and all(any(r.startswith("integrity flags:") for r in row["reasons"]) for row in queue)
        # Next month's plan, drafted from the shipped example for the quality lead to read and publish;
        # every region has an auditor.
        plans = httpx.get(f"{server.url}/v1/plans", headers=lead).json()["items"]
        assert [(p["status"], p["created_by"]) for p in plans] == [("draft", "qlead.saule")]
        plan = httpx.get(f"{server.url}/v1/plans/{plans[0]['plan_id']}", headers=lead).json()
        assert plan["visits"] and plan["period"] > month
        assert all(r["auditors"] >= 1 for r in plan["regions"])
        assert not [w for w in plan["warnings"] if w["code"] == "no_auditor"]
        admin = {"Authorization": f"Bearer {tokens['admin']}"}
        users = httpx.get(f"{server.url}/v1/users", headers=admin).json()["items"]
        assert {u["name"]: u["region"] for u in users if u["role"] == "auditor"} == {
            "auditor.aigerim": "Алматы",
            "auditor.daulet": "Астана",
            "auditor.marina": "Шымкент",
        }
    log = server.log.read_text()
    assert "loaded the standards library" in log and "demo: loaded" in log
    # A second start loads nothing twice and shows the same tokens.
    with LiveServer(data_dir, "--demo") as again:
        lead = {"Authorization": f"Bearer {tokens['qlead.saule']}"}
        assert len(httpx.get(f"{again.url}/v1/units", params={"limit": 1000}, headers=lead).json()["items"]) == len(
            units
        )
    assert again.log.read_text().count("demo users and their tokens") == 1
    assert "drafted" in log and "drafted" not in again.log.read_text()
