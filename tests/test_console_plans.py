"""Assignment plans in the console through the real app, on both stores: drafting from the form (and
every problem of a bad policy beside the text as typed), the plan page's warnings in words and its
summaries, publishing (and a stale draft refused with a way back), the coverage page, and who may
see any of it.
"""

from __future__ import annotations

import html
import re

import msgspec
import pytest

from reports import i18n
from reports.plan_policy import load_plan_policy
from server.console.plans import coverage_mark, toml_text
from server.plans import example_policy
from server.store.plans import CoverageUnit
from tests.conftest import make_user
from tests.test_console_integrity import text_of
from tests.test_console_review import set_password, sign_in
from tests.test_plans import POLICY, Org

TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
TEXTAREA = re.compile(r'<textarea id="policy-text"[^>]*>(.*?)</textarea>', re.S)


class Lead(Org):
    """test_plans' organisation (three branches in two regions, four auditors) and its quality lead signed in."""

    def __init__(self, client, admin) -> None:
        super().__init__(client, admin)
        set_password(client, admin, "saule")
        sign_in(client, "saule")

    def page(self, path: str, status: int = 200, **params) -> str:
        response = self.client.get(path, params=params) if params else self.client.get(path)
        assert response.status_code == status, (path, response.status_code)
        return response.text

    def csrf(self) -> str:
        return TOKEN_FIELD.search(self.page("/account")).group(1)

    def post(self, path: str, data: dict | None = None, files: dict | None = None, token: str | None = None):
        form = {"csrf_token": self.csrf() if token is None else token} | (data or {})
        return self.client.post(path, data=form, files=files, follow_redirects=False)

    def draft_form(self, policy: str, files: dict | None = None, shown: str = "2031-03"):
        return self.post("/plans", {"policy": policy, "shown": shown}, files=files)

    def drafted(self, policy: str = POLICY) -> str:
        """Draft through the form; the new plan's id."""
        response = self.draft_form(policy)
        assert response.status_code == 303, response.text
        found = re.fullmatch(r"/plans/([^?]+)\?done=drafted", response.headers["location"])
        assert found, response.headers["location"]
        return found.group(1)

    def api_plan(self, plan_id: str) -> dict:
        response = self.client.get(f"/v1/plans/{plan_id}", headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def language(self, lang: str) -> None:
        data = {"lang": lang, "next": "/"}
        assert self.post("/language", data).status_code == 303


@pytest.fixture
def lead(client, admin) -> Lead:
    return Lead(client, admin)


def textarea(page: str) -> str:
    return html.unescape(TEXTAREA.search(page).group(1))


def rows(page: str, testid: str) -> list[str]:
    """The value of the first data- attribute of each element with `testid`."""
    return re.findall(rf'data-testid="{testid}" data-[a-z]+="([^"]*)"', page)


def section(page: str, testid: str) -> str:
    start = page.index(f'data-testid="{testid}"')
    return page[start : page.index("</section>", start)]


# --- drafting, reading, publishing -------------------------------------------------------------------------


def test_a_lead_drafts_reads_and_publishes_a_plan(client, lead):
    page = lead.page("/plans", period="2031-03")
    assert 'data-testid="no-plans"' in page
    # No plan yet: the form starts from the shipped example, moved to the month shown.
    assert textarea(page) == example_policy("2031-03")
    assert '<option value="2031-03" selected>' in page

    plan_id = lead.drafted()
    assert plan_id == "2031-03.1"
    plan = lead.api_plan(plan_id)
    page = lead.page(f"/plans/{plan_id}", done="drafted")
    assert 'data-testid="drafted"' in page
    assert 'data-testid="status" data-status="draft"' in page
    # Warnings come first, then Publish, then the summaries and the visits.
    order = [
        page.index(f'id="{h}"') for h in ("warnings-heading", "publish-heading", "regions-heading", "visits-heading")
    ]
    assert order == sorted(order)
    assert sorted(rows(page, "region-row")) == sorted({"Алматы", "Астана"})
    assert sorted(rows(page, "auditor-row")) == sorted(a["auditor"] for a in plan["auditors"])
    assert sorted(rows(page, "unit-row")) == ["U1", "U2", "U3"]
    assert rows(page, "visit-row") == [v["key"] for v in plan["visits"]]
    assert rows(page, "pair-row") == [v["key"] for v in plan["visits"] if v["calibration_of"]]
    assert rows(page, "pair-row"), "half the visits are asked as calibration pairs"
    for a in plan["auditors"]:
        cell = re.search(rf'data-auditor="{a["auditor"]}">.*?data-testid="auditor-visits">([^<]+)<', page, re.S)
        assert cell.group(1) == str(a["visits"])
    unit = re.search(r'data-testid="unit-row" data-unit="U1">(.*?)</tr>', page, re.S).group(1)
    assert '<td class="num" data-testid="unit-needed">3</td>' in unit
    first = plan["visits"][0]
    visit = re.search(rf'data-key="{first["key"]}"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert f"{first['time_from']}–{first['time_to']}" in visit and i18n.date(first["day"], "ru") in visit
    assert 'data-testid="publish"' in page

    response = lead.post(f"/plans/{plan_id}/publish")
    assert response.status_code == 303 and response.headers["location"] == f"/plans/{plan_id}?done=published"
    page = lead.page(response.headers["location"])
    assert 'data-testid="published"' in page and 'data-testid="publish"' not in page
    assert 'data-testid="read-only"' in page
    published = lead.api_plan(plan_id)
    assert published["status"] == "published" and published["published_by"] == "saule"
    for v in published["visits"]:
        assert f"<code>{v['assignment_id']}</code>" in page
    # A published plan cannot be published again: the page says so and points to a new draft.
    response = lead.post(f"/plans/{plan_id}/publish")
    assert response.status_code == 409
    assert 'data-code="plan_not_draft"' in response.text and 'data-testid="redraft"' in response.text

    page = lead.page("/plans", period="2031-03")
    assert rows(page, "plan-row") == [plan_id]
    assert 'data-status="published"' in page
    # The next draft starts from this plan's policy.
    again = load_plan_policy(textarea(page).encode()).policy
    assert (again.period, again.seed, again.lockout_days, again.calibration_share) == ("2031-03", 7, 10, 0.5)
    moved = load_plan_policy(textarea(lead.page("/plans", period="2031-04")).encode()).policy
    assert (moved.period, moved.seed) == ("2031-04", 7)


def test_a_stale_draft_is_refused_with_a_way_to_draft_again(client, lead):
    first, second = lead.drafted(), lead.drafted()
    assert lead.post(f"/plans/{first}/publish").status_code == 303
    response = lead.post(f"/plans/{second}/publish")
    assert response.status_code == 409
    refusal = re.search(
        r'<div class="error" role="alert" data-testid="refusal" data-code="plan_stale">(.*?)</div>', response.text, re.S
    )
    assert refusal and i18n.text("plans.refusal.plan_stale", "ru") in html.unescape(refusal.group(1))
    link = html.unescape(re.search(r'href="([^"]+)" data-testid="redraft"', refusal.group(1)).group(1))
    assert link == f"/plans?period=2031-03&from={second}"
    assert lead.api_plan(second)["status"] == "draft"
    page = lead.page(link)
    assert load_plan_policy(textarea(page).encode()).policy.seed == 7
    # Drafted again from the same policy, it publishes.
    third = lead.drafted(textarea(page))
    assert lead.post(f"/plans/{third}/publish").status_code == 303
    assert lead.api_plan(first)["status"] == "superseded"


def test_a_bad_policy_lists_every_problem_with_its_path_and_keeps_the_text(client, lead):
    typed = (
        'period = "2031-13"\nseed = -1\ncolour = "red"\n[visits]\nbranch = 3\n'
        '[precision]\nhalf_width = 5.0\n[hours]\nfrom = "18:00"\nto = "09:00"\n'
    )
    response = lead.draft_form(typed)
    assert response.status_code == 400
    page = response.text
    assert 'data-testid="draft-error" data-code="invalid"' in page
    paths = rows(page, "problem")
    api = client.post("/v1/plans", content=typed.encode(), headers=lead.lead | {"Content-Type": "application/toml"})
    assert api.status_code == 400
    assert paths == [e["path"] for e in api.json()["errors"]]
    assert {"period", "seed", "colour", "hours.to"} <= set(paths), paths
    assert textarea(page) == typed
    assert 'aria-invalid="true"' in page
    # The month has no reading: the page stays on the month the form was sent from.
    assert '<option value="2031-03" selected>' in page
    assert '<option value="2031-04" selected>' in lead.draft_form(typed, shown="2031-04").text
    assert client.get("/v1/plans", headers=lead.lead).json()["items"] == []

    # Hostile months, and text that is no TOML at all.
    for period in ("0001-01", "9999-12"):
        response = lead.draft_form(POLICY.replace("2031-03", period))
        assert response.status_code == 400 and rows(response.text, "problem") == ["period"]
    response = lead.draft_form("period = \n")
    assert response.status_code == 400 and 'data-code="invalid"' in response.text
    assert textarea(response.text) == "period = \n"
    response = lead.draft_form("   ")
    assert response.status_code == 400 and 'data-code="empty"' in response.text
    assert client.get("/v1/plans", headers=lead.lead).json()["items"] == []


def test_a_policy_file_may_be_uploaded_as_toml_or_json(client, lead):
    as_json = msgspec.json.encode(load_plan_policy(POLICY.encode()).raw)
    response = lead.draft_form("", files={"file": ("plan.json", as_json, "application/json")})
    assert response.status_code == 303, response.text
    response = lead.draft_form("ignored", files={"file": ("plan.toml", POLICY.encode(), "application/toml")})
    assert response.status_code == 303, response.text
    assert [p["plan_id"] for p in client.get("/v1/plans", headers=lead.lead).json()["items"]] == [
        "2031-03.2",
        "2031-03.1",
    ]
    # A bad file: its problems, and its text in the form to be corrected there.
    bad = POLICY.replace("seed = 7", "seed = -7")
    response = lead.draft_form("typed", files={"file": ("mine.toml", bad.encode(), "application/toml")})
    assert response.status_code == 400 and rows(response.text, "problem") == ["seed"]
    assert textarea(response.text) == bad and "<code>mine.toml</code>" in response.text


def test_a_closed_month_is_refused_in_words(client, lead, admin, default_policy):
    assert client.post("/v1/periods/2024-05/close", json={"force": True}, headers=admin).status_code == 201
    response = lead.draft_form(POLICY.replace("2031-03", "2024-05"))
    assert response.status_code == 409
    assert 'data-code="period_closed"' in response.text
    assert i18n.text("plans.refusal.period_closed", "ru") in html.unescape(response.text)
    assert '<option value="2024-05" selected>' in response.text


# --- the warnings in words ------------------------------------------------------------------------------


def test_every_warning_is_said_in_words_in_each_language(client, lead, admin):
    # A region nobody serves, and a unit with more staff than its visits can cover.
    body = {"kind": "branch", "name": "ПСС Шымкент", "region": "Шымкент"}
    assert client.put("/v1/units/U4", json=body, headers=admin).status_code == 200
    for n in range(5):
        staff = {"name": f"Нұрланова Әлия {n}", "unit_id": "U1"}
        assert client.put(f"/v1/staff/S{n}", json=staff, headers=admin).status_code == 200
    plan_id = lead.drafted(POLICY + '[auditors.erlan]\nregions = ["Алматы", "Астана"]\n')
    plan = lead.api_plan(plan_id)
    codes = {w["code"] for w in plan["warnings"]}
    assert {"no_auditor", "unit_below_minimum", "staff_below_minimum"} <= codes, codes
    short = {w["staff_id"] for w in plan["warnings"] if w["code"] == "staff_below_minimum" and w["unit_id"] == "U1"}
    for lang in ("ru", "kk", "en"):
        lead.language(lang)
        page = lead.page(f"/plans/{plan_id}")
        warnings = section(page, "warnings")
        said = text_of(warnings)
        assert i18n.text("plans.warning.no_auditor", lang, region="Шымкент", needed="3") in said
        assert (
            i18n.text(
                "plans.warning.unit_below_minimum",
                lang,
                unit="ПСС Шымкент",
                unit_id="U4",
                region="Шымкент",
                planned="0",
                needed="3",
            )
            in said
        )
        # The staff of a unit are named together, under the unit.
        unit = re.search(
            r'data-code="staff_below_minimum" data-unit="U1">(.*?)</li>\s*</ul>\s*</details>', warnings, re.S
        )
        assert unit, warnings
        assert set(rows(unit.group(1), "staff")) == short
        u1 = next(u for u in plan["units"] if u["unit_id"] == "U1")
        words = i18n.text(
            "plans.warning.staff_below_minimum",
            lang,
            unit="ПСС U1",
            unit_id="U1",
            n=str(len(short)),
            visits=str(u1["planned"]),
            needed="3",
        )
        assert words in text_of(unit.group(1))
        assert "Нұрланова Әлия 0" in unit.group(1)
        assert 'lang="en"' not in warnings  # no warning falls back to the English detail
        # The region without auditors is marked in words in its summary row too.
        region = re.search(r'data-testid="region-row" data-region="Шымкент">(.*?)</tr>', page, re.S).group(1)
        assert i18n.text("plans.mark.none", lang) in region and i18n.text("plans.mark.short", lang) in region
    lead.language("ru")


# --- coverage -----------------------------------------------------------------------------------------------


def test_the_coverage_page_shows_the_api_numbers_with_marks_in_words(client, lead, default_policy):
    plan_id = lead.drafted(POLICY.replace("calibration_share = 0.5", "calibration_share = 0.0"))
    assert lead.post(f"/plans/{plan_id}/publish").status_code == 303
    plan = lead.api_plan(plan_id)
    u1 = [v for v in plan["visits"] if v["unit_id"] == "U1"]
    for v in u1:  # every planned visit of U1 made and approved: U1 reaches its need
        lead.review(lead.visit(v["auditor"], "U1", f"{v['day']}T10:00:00", v["assignment_id"], staff_ids=["E1"]))
    u2 = next(v for v in plan["visits"] if v["unit_id"] == "U2")
    for _ in range(3):  # U2: done three times, approved none yet
        lead.visit(u2["auditor"], "U2", f"{u2['day']}T10:00:00", staff_ids=["E2"])
    api = client.get("/v1/plans/coverage", params={"period": "2031-03"}, headers=lead.lead).json()
    page = lead.page("/plans/coverage", period="2031-03")
    marks = dict(re.findall(r'data-testid="coverage-row" data-unit="([^"]+)" data-mark="([^"]+)"', page))
    assert marks == {"U1": "reached", "U2": "awaiting", "U3": "below"}
    for u in api["units"]:
        row = re.search(rf'data-unit="{u["unit_id"]}" data-mark="[a-z]+">(.*?)</tr>', page, re.S).group(1)
        for field in ("needed", "planned", "done", "approved"):
            assert f'data-testid="{field}">{u[field]}<' in row, (u["unit_id"], field)
        assert i18n.text(f"plans.cover.{marks[u['unit_id']]}", "ru") in row
    assert rows(page, "below-unit") == api["units_below_minimum"] == ["U2", "U3"]
    assert rows(page, "below-staff") == [s["staff_id"] for s in api["staff_below_minimum"]] == ["E2", "E3"]
    assert f'href="/plans/{plan_id}"' in page
    # A month without a plan: each unit needs the motivation policy's minimum.
    page = lead.page("/plans/coverage", period="2031-05")
    assert i18n.text("plans.coverage.no_plan", "ru", min="3") in html.unescape(page)


# --- who may, and what hostile input gets -----------------------------------------------------------------------


def test_only_quality_leads_and_admins_reach_the_plans(client, lead, admin):
    plan_id = lead.drafted()
    pages = ("/plans", f"/plans/{plan_id}", "/plans/coverage")
    assert all(lead.page(p) for p in pages)
    token = lead.csrf()
    client.cookies.clear()
    for p in pages:  # signed out: to the sign-in form
        response = client.get(p, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
    for name, role, units in (("dana", "hr", None), ("aliya", "unit_manager", ["U1"])):
        make_user(client, admin, name, role, units)
        set_password(client, admin, name)
        sign_in(client, name)
        page = client.get("/").text
        assert 'data-testid="nav-plans"' not in page
        for p in pages:
            assert client.get(p).status_code == 403, (name, p)
        for p in ("/plans", f"/plans/{plan_id}/publish"):
            assert lead.post(p, {"policy": POLICY}).status_code == 403
        client.cookies.clear()
    # An admin may; and a lead's POST without the session's token changes nothing.
    make_user(client, admin, "boss", "admin")
    set_password(client, admin, "boss")
    sign_in(client, "boss")
    assert 'data-testid="nav-plans"' in lead.page("/plans")
    assert lead.post(f"/plans/{plan_id}/publish", token=token).status_code == 403
    assert lead.post(f"/plans/{plan_id}/publish", token="").status_code == 403
    assert lead.api_plan(plan_id)["status"] == "draft"
    assert lead.post(f"/plans/{plan_id}/publish").status_code == 303


def test_hostile_paths_and_queries_get_clear_answers(client, lead):
    for period in ("2031-3", "0001-01", "9999-12", "2031-03\n", "x" * 300):
        assert lead.page("/plans", 400, period=period)
        assert lead.page("/plans/coverage", 400, period=period)
    for plan_id in ("nope", "2031-03.99", "a%0Ab", "x" * 200):
        assert lead.page(f"/plans/{plan_id}", 404)
        assert lead.post(f"/plans/{plan_id}/publish").status_code == 404
    # A `from` that names no plan starts from the example.
    assert textarea(lead.page("/plans", period="2031-03", **{"from": "../../etc"})) == example_policy("2031-03")
    # Markup typed in the policy comes back as text.
    response = lead.draft_form('period = "<script>alert(1)</script>"\n')
    assert response.status_code == 400 and "<script>alert" not in response.text


# --- the pure parts -----------------------------------------------------------------------------------------


def test_a_policy_written_back_as_toml_reads_the_same():
    raw = {
        "period": "2031-03",
        "seed": 7,
        "lockout_days": 30,
        "calibration_share": 0.05,
        "precision": {"half_width": 4.5, "confidence": 0.9, "max_visits": 10},
        "hours": {"weekdays": [1, 2, 3], "from": "09:00", "to": "18:00", "slot_minutes": 45},
        "units": {"CC-ALM-1": {"from": "08:00", "to": "20:00"}},
        "auditors": {"auditor.daulet": {"per_month": 30, "regions": ["Астана", 'Қарағанды "облысы"']}},
    }
    text = toml_text(raw)
    assert text.startswith('period = "2031-03"\n')
    assert '[auditors."auditor.daulet"]' in text and "[units.CC-ALM-1]" in text
    assert load_plan_policy(text.encode()).raw == raw


@pytest.mark.parametrize(
    ("needed", "done", "approved", "mark"),
    [(3, 3, 3, "reached"), (3, 4, 5, "reached"), (3, 3, 2, "awaiting"), (3, 2, 2, "below"), (3, 0, 0, "below")],
)
def test_a_coverage_mark_says_where_a_unit_stands(needed, done, approved, mark):
    unit = CoverageUnit(
        unit_id="U1",
        name="U1",
        region="R",
        kind="branch",
        needed=needed,
        planned=needed,
        done=done,
        approved=approved,
        below_minimum=approved < needed,
    )
    assert coverage_mark(unit) == mark
