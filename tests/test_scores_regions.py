"""`GET /v1/scores/regions`: each region's figures equal those computed from `/v1/scores/units`.

The visits (tests/data/example.toml), in September and October 2026:

| unit | region | kind | September | October |
| U1 | Алматы | branch | 1 approved (100) | 2 approved (100, 0: CLEAN.1 fails), 1 only submitted |
| U2 | Алматы | branch | — | 1 approved (86.11) |
| U3 | Астана | branch | 1 approved (100) | 1 approved (0: PAY.1 fails) |
| U4 | Шымкент | branch | — | — |
| C1 | Алматы | contact centre | — | — |
"""

from __future__ import annotations

import pytest

from reports.aggregate import RegionFigures, UnitInfo, UnitSums, region_figures
from tests.conftest import make_user
from tests.tablet import PASSING, Tablet

SEPTEMBER = "2026-09-15T11:00:00+05:00"
OCTOBER = "2026-10-15T11:00:00+05:00"
UNITS = {
    "U1": {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"},
    "U2": {"kind": "branch", "name": "ПСС Алматы, Сейфуллина 5", "region": "Алматы"},
    "U3": {"kind": "branch", "name": "ПСС Астана, Кенесары 40", "region": "Астана"},
    "U4": {"kind": "branch", "name": "ПСС Шымкент, Тауке хана 1", "region": "Шымкент"},
    "C1": {"kind": "contact_centre", "name": "Контакт-центр Алматы", "region": "Алматы"},
}
STAFF = {
    "E1": {"name": "Нұрланова Әлия", "unit_id": "U1", "position": "консультант"},
    "E2": {"name": "Серікова Дана", "unit_id": "U2"},
    "E3": {"name": "Қайратұлы Ерлан", "unit_id": "U3"},
}


def decide(client, headers, rev, decision="approve"):
    doc = client.get(f"/v1/submissions/{rev['submission_id']}", headers=headers).json()
    body = {"decision": decision, "heads": doc["heads"]}
    response = client.post(f"/v1/submissions/{rev['submission_id']}/review", json=body, headers=headers)
    assert response.status_code == 200, response.text


def build_regions(client, admin) -> dict:
    """The units, staff and visits of the table above; the lead's and HR's headers."""
    for unit_id, unit in UNITS.items():
        assert client.put(f"/v1/units/{unit_id}", json=unit, headers=admin).status_code in (200, 201)
    for staff_id, person in STAFF.items():
        assert client.put(f"/v1/staff/{staff_id}", json=person, headers=admin).status_code in (200, 201)
    tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
    lead = make_user(client, admin, "saule", "quality_lead")
    hr = make_user(client, admin, "dana", "hr")
    approved = [
        tablet.revision(started_at=SEPTEMBER),
        tablet.revision(started_at=SEPTEMBER, unit_id="U3", staff_ids=["E3"]),
        tablet.revision(started_at=OCTOBER),
        tablet.revision(started_at=OCTOBER, answers=PASSING | {"CLEAN.1": False}),
        tablet.revision(
            started_at=OCTOBER,
            unit_id="U2",
            staff_ids=["E2"],
            answers=PASSING | {"GREET.2": 4, "QUEUE.1": 1200, "INFO.1": "partial"},
        ),
        tablet.revision(started_at=OCTOBER, unit_id="U3", staff_ids=["E3"], answers=PASSING | {"PAY.1": True}),
    ]
    approved[3]["answers"][5]["comment"] = "Пыль на стойке <b>&amp;</b>"
    submitted = [tablet.revision(started_at=OCTOBER)]
    receipts = tablet.push(client, approved + submitted)
    assert {r["status"] for r in receipts} == {"applied"}
    for rev in approved:
        decide(client, lead, rev)
    return {"lead": lead, "hr": hr, "admin": admin, "tablet": tablet, "approved": approved, "submitted": submitted}


@pytest.fixture
def regions_world(client, admin, example_checklist, default_policy):
    return build_regions(client, admin)


def expected_from_units(units: list[dict]) -> dict[str, dict]:
    """Each region's figures recomputed from the units route (its visit scores are rounded: ±0.01)."""
    out: dict[str, dict] = {}
    for u in units:
        r = out.setdefault(u["region"], {"units": 0, "n": 0, "weighted": 0.0, "prev_n": 0, "prev_weighted": 0.0})
        r["units"] += 1
        r["n"] += u["n"]
        r["weighted"] += (u["visit_score"] or 0.0) * u["n"]
        r["prev_n"] += u["previous_n"]
        r["prev_weighted"] += (u["previous"] or 0.0) * u["previous_n"]
    return out


@pytest.mark.parametrize("basis", ["approved", "provisional"])
@pytest.mark.parametrize("kind", [None, "branch", "contact_centre"])
def test_regions_equal_the_units_figures(client, regions_world, basis, kind):
    params = {"period": "2026-10", "basis": basis} | ({"kind": kind} if kind else {})
    units = client.get("/v1/scores/units", params=params, headers=regions_world["lead"])
    regions = client.get("/v1/scores/regions", params=params, headers=regions_world["lead"])
    assert units.status_code == 200 and regions.status_code == 200, regions.text
    body = regions.json()
    assert (body["period"], body["basis"], body["kind"]) == ("2026-10", basis, kind)
    expected = expected_from_units(units.json()["items"])
    assert [r["region"] for r in body["items"]] == sorted(expected)
    for r in body["items"]:
        e = expected[r["region"]]
        assert (r["units"], r["n"], r["previous_n"]) == (e["units"], e["n"], e["prev_n"])
        if e["n"]:
            assert r["visit_score"] == pytest.approx(e["weighted"] / e["n"], abs=0.01)
        else:
            assert r["visit_score"] is None and r["mark"] is None
        if e["prev_n"]:
            assert r["previous"] == pytest.approx(e["prev_weighted"] / e["prev_n"], abs=0.01)
        if e["n"] and e["prev_n"]:
            assert r["change"] == pytest.approx(r["visit_score"] - r["previous"], abs=0.01)
        else:
            assert r["change"] is None


def test_regions_by_hand(client, regions_world):
    body = client.get("/v1/scores/regions", params={"period": "2026-10"}, headers=regions_world["hr"]).json()
    by_region = {r["region"]: r for r in body["items"]}
    v2 = 100 * (2 * 0.875 + 0.5 + 0.5 + 3 + 1 + 1) / 9
    almaty = by_region["Алматы"]
    assert (almaty["units"], almaty["n"], almaty["previous_n"]) == (3, 3, 1)  # U1, U2 and the contact centre
    assert almaty["visit_score"] == round((100 + 0 + v2) / 3, 2)  # pooled over visits, not a mean of unit means
    assert almaty["change"] == round((100 + 0 + v2) / 3 - 100, 2)
    assert almaty["mark"] == "red"
    assert by_region["Астана"]["visit_score"] == 0.0 and by_region["Астана"]["change"] == -100.0
    assert by_region["Шымкент"] == {
        "region": "Шымкент",
        "units": 1,
        "n": 0,
        "visit_score": None,
        "previous": None,
        "previous_n": 0,
        "change": None,
        "mark": None,
    }
    provisional = client.get(
        "/v1/scores/regions", params={"period": "2026-10", "basis": "provisional"}, headers=regions_world["hr"]
    ).json()
    assert {r["region"]: r["n"] for r in provisional["items"]}["Алматы"] == 4  # the submitted visit counts too


@pytest.mark.parametrize(
    ("who", "params", "status"),
    [
        ("auditor", {"period": "2026-10"}, 403),
        (None, {"period": "2026-10"}, 401),
        ("lead", {"period": "2026-13"}, 400),
        ("lead", {"period": "2026-1"}, 400),
        ("lead", {"period": "2026-10", "kind": "shop"}, 400),
        ("lead", {"period": "2026-10", "basis": "maybe"}, 400),
        ("lead", {}, 400),
    ],
)
def test_regions_refuses(client, regions_world, who, params, status):
    auditor = regions_world["tablet"].headers
    headers = {"lead": regions_world["lead"], "auditor": auditor, None: {}}[who]
    response = client.get("/v1/scores/regions", params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_region_figures_pure():
    units = [
        UnitInfo(unit_id="A", kind="branch", name="a", region="R1"),
        UnitInfo(unit_id="B", kind="branch", name="b", region="R1"),
        UnitInfo(unit_id="C", kind="branch", name="c", region="R2"),
    ]
    current = [UnitSums(unit_id="A", total=180.0, n=2), UnitSums(unit_id="B", total=60.0, n=1)]
    current.append(UnitSums(unit_id="Z", total=1.0, n=1))  # not one of the units: ignored
    previous = [UnitSums(unit_id="C", total=50.0, n=1)]
    assert region_figures(units, current, previous, None) == [
        RegionFigures(region="R1", units=2, n=3, visit_score=80.0, previous=None, previous_n=0, change=None, mark=None),
        RegionFigures(region="R2", units=1, n=0, visit_score=None, previous=50.0, previous_n=1, change=None, mark=None),
    ]
