"""The console's dashboards: `/dashboard`, `/dashboard/heatmap`, `/units/{id}`, `/staff/{id}`, `/standards/{code}`.

Their figures equal the API's (`/v1/scores/network`, `/regions`, `/units`, `/v1/motivation`), every
figure says its basis, auditors are never named, who may see them, and bad input is a 4xx page.
The visits are those of tests/test_scores_regions.py.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import make_user
from tests.test_console_review import set_password, sign_in
from tests.test_scores_regions import build_regions

OCT = {"period": "2026-10"}


@pytest.fixture
def world(client, admin, example_checklist, default_policy):
    w = build_regions(client, admin)
    for name, role in (("lead", "quality_lead"), ("hr.user", "hr")):
        make_user(client, admin, name, role)
        set_password(client, admin, name)
    sign_in(client, "lead")
    return w


def get_page(client, path: str, params: dict | None = None, status: int = 200) -> str:
    response = client.get(path, params=params or {}, follow_redirects=False)
    assert response.status_code == status, (path, response.status_code, response.text[:2000])
    return response.text


def unescaped(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).replace("\xa0", " ").strip()


def cells_of(page: str) -> dict[tuple[str, str], tuple[float, int]]:
    """(unit_id, code) -> (score, n) of the heat map's cells (a cell's column is its standard)."""
    codes = re.findall(r'<th scope="col" class="code" data-code="([^"]+)"', page)
    out = {}
    for unit_id, body in re.findall(r'<tr data-testid="heat-row" data-unit="([^"]+)">(.*?)</tr>', page, re.S):
        cells = re.findall(r'<td class="heat[^"]*"(?: data-score="([^"]+)")?[^>]*>(.*?)</td>', body, re.S)
        assert len(cells) == len(codes)
        for code, (value, inner) in zip(codes, cells, strict=True):
            if value:
                n = re.search(r'<span class="cell-n">n ([^<]+)</span>', inner).group(1)
                out[html.unescape(unit_id), code] = (float(value), int(n.replace("\xa0", "")))
    return out


def test_network_page_equals_the_api(client, world):
    for basis in ("approved", "provisional"):
        params = OCT | {"kind": "branch", "basis": basis}
        network = client.get("/v1/scores/network", params=params, headers=world["lead"]).json()["network"]
        regions = client.get("/v1/scores/regions", params=params, headers=world["lead"]).json()["items"]
        page = get_page(client, "/dashboard", params)
        rows = re.findall(r'<tr data-testid="rank-row" data-unit="([^"]+)">(.*?)</tr>', page, re.S)
        assert [u for u, _ in rows] == [u["unit_id"] for u in network["units"]]
        for (_, body), unit in zip(rows, network["units"], strict=True):
            cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)
            assert unescaped(cells[0]) == (str(unit["rank"]) if unit["rank"] else "—")
            score = unescaped(cells[3])
            if unit["visit_score"] is None:
                assert "нет оценки" in score
            else:
                assert score.startswith(f"{unit['visit_score']:.2f}".replace(".", ","))
                assert {"green": "ЗЕЛЁНАЯ", "amber": "ЖЁЛТАЯ", "red": "КРАСНАЯ"}[unit["mark"]] in score
            assert unescaped(cells[4]) == str(unit["n"])
        region_rows = re.findall(r'<tr data-testid="region-row">(.*?)</tr>', page, re.S)
        assert len(region_rows) == len(regions)
        for body, region in zip(region_rows, regions, strict=True):
            cells = [unescaped(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)]
            assert cells[0] == region["region"] and cells[1] == str(region["units"]) and cells[3] == str(region["n"])
            if region["visit_score"] is not None:
                assert cells[2].startswith(f"{region['visit_score']:.2f}".replace(".", ","))
        badge = "одобренные" if basis == "approved" else "предварительные"
        assert page.count('data-testid="basis-badge"') == 3 and badge in page  # heading, ranking, regions


def test_heatmap_equals_the_units_api(client, world):
    for basis in ("approved", "provisional"):
        params = OCT | {"kind": "branch", "basis": basis}
        units = client.get("/v1/scores/units", params=params, headers=world["lead"]).json()["items"]
        expected = {(u["unit_id"], s["code"]): (s["score"], s["n"]) for u in units for s in u["standards"] if s["n"]}
        page = get_page(client, "/dashboard/heatmap", params)
        assert cells_of(page) == expected
        assert 'href="/units/U1?period=2026-10&amp;basis=' + basis + '#std-GREET"' in page
    # a region filter keeps that region's units only
    page = get_page(client, "/dashboard/heatmap", OCT | {"region": "Астана"})
    assert {u for u, _ in cells_of(page)} == {"U3"}
    # an unknown region or page is no filter, not an error
    page = get_page(client, "/dashboard/heatmap", OCT | {"region": "Марс", "page": "999999999999"})
    assert {u for u, _ in cells_of(page)} == {"U1", "U2", "U3"}


def test_unit_page(client, world):
    page = get_page(client, "/units/U1", OCT)
    unit = client.get("/v1/scores/units", params=OCT | {"unit_id": "U1"}, headers=world["lead"]).json()["items"][0]
    rows = dict(re.findall(r'data-testid="standard-row" data-code="([^"]+)">(.*?)</tr>', page, re.S))
    assert set(rows) == {s["code"] for s in unit["standards"]}
    for s in unit["standards"]:
        cells = [unescaped(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", rows[s["code"]], re.S)]
        if s["score"] is not None:
            assert cells[1].startswith(f"{s['score']:.2f}".replace(".", ","))
        assert cells[3] == str(s["n"])
    # the failed item, its comment escaped; never the auditor
    assert "Пыль на стойке &lt;b&gt;&amp;amp;&lt;/b&gt;" in page
    assert "aigerim" not in page
    # two SVG charts (trend, standards) that parse, each named
    svgs = re.findall(r"<svg .*?</svg>", page, re.S)
    assert len(svgs) == 2
    for s in svgs:
        root = ET.fromstring(s)
        assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title") is not None
    # 12 periods in the trend's table, September 100 and October's mean
    trend = re.search(r'data-testid="trend-table">(.*?)</table>', page, re.S).group(1)
    assert trend.count("<tr>") == 13  # the header and 12 periods
    # the staff with the motivation figures of the API
    motivation = client.get("/v1/motivation", params=OCT, headers=world["lead"]).json()["rows"]
    e1 = next(r for r in motivation if r["staff_id"] == "E1")
    row = re.search(r'data-testid="staff-row" data-staff="E1">(.*?)</tr>', page, re.S).group(1)
    coefficient = re.search(r'data-testid="coefficient">([^<]+)<', row).group(1)
    assert coefficient == f"{e1['coefficient']:.2f}".replace(".", ",")
    assert "Нұрланова Әлия" in page and 'href="/staff/E1?period=2026-10&amp;basis=approved"' in page
    assert 'data-testid="no-scorecards"' in page


def test_staff_and_standard_pages(client, world):
    page = get_page(client, "/staff/E1", OCT)
    assert "Нұрланова Әлия" in page and "<svg" in page
    assert 'data-code="GREET"' in page and 'data-code="CLEAN"' not in page  # person-attributed standards only
    page = get_page(client, "/standards/CLEAN", OCT | {"kind": "branch"})
    worst = re.findall(r'data-testid="worst-row" data-unit="([^"]+)"', page)
    assert worst[0] == "U1"  # the one unit whose visit failed CLEAN
    assert "<svg" in page


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/units/NOPE", OCT, 404),
        ("/units/" + "x" * 300, OCT, 404),
        ("/staff/NOPE", OCT, 404),
        ("/standards/NOPE", OCT, 404),
        ("/standards/=HYPERLINK(1)", OCT, 404),
        ("/dashboard", {"period": "9999-01"}, 400),
        ("/dashboard", {"period": "2026-13"}, 400),
        ("/dashboard", {"period": "2026-10x"}, 400),
        ("/dashboard", {"period": "2026-10", "kind": "<script>"}, 400),
        ("/dashboard/heatmap", {"basis": "maybe"}, 400),
        ("/units/U1", {"period": "x" * 5000}, 400),
        ("/staff/E1", {"period": "0001-01"}, 400),
        ("/dashboard/heatmap", {"period": "2026-10", "page": "-1", "region": '=HYPERLINK("x")'}, 200),
        ("/dashboard", {"period": "2026-10", "kind": "contact_centre"}, 200),
    ],
)
def test_bad_input_is_a_4xx_page(client, world, path, params, status):
    page = get_page(client, path, params, status)
    if status >= 400:
        assert 'data-testid="error-status"' in page


def test_roles(client, world):
    get_page(client, "/dashboard")  # the lead; default period: this month
    client.post("/logout", data={"csrf_token": csrf(client)})
    sign_in(client, "hr.user")
    for path in ("/dashboard", "/dashboard/heatmap", "/units/U1", "/staff/E1", "/standards/GREET"):
        get_page(client, path, OCT)
    assert client.get("/review", follow_redirects=False).status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client)})
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def csrf(client) -> str:
    page = client.get("/dashboard", params=OCT).text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_each_page_in_kazakh_has_no_russian_left(client, world):
    page = get_page(client, "/dashboard", OCT)
    client.post("/language", data={"csrf_token": csrf(client), "lang": "kk", "next": "/dashboard"})
    page = get_page(client, "/dashboard", OCT)
    assert "Желі" in page and "мақұлданған" in page
    page = get_page(client, "/units/U1", OCT)
    assert "Орындалмаған тармақтар" in page


def test_heatmap_pages_hold_100_units_best_first():
    from reports.aggregate import UnitFigures
    from server.console.dashboards import heatmap_rows

    def unit(n: int, score: float | None) -> UnitFigures:
        return UnitFigures(
            unit_id=f"U{n:03d}",
            name=f"u{n}",
            region="A" if n % 2 else "B",
            kind="branch",
            visit_score=score,
            n=1 if score is not None else 0,
            previous=None,
            previous_n=0,
            change=None,
            mark=None,
            standards=[],
        )

    figures = [unit(n, None if n % 10 == 0 else float(n % 97)) for n in range(250)]
    first, page_no, pages = heatmap_rows(figures, None, 1)
    assert (len(first), page_no, pages) == (100, 1, 3)
    scores = [u.visit_score for u in first]
    assert scores == sorted(scores, reverse=True)
    last, page_no, _ = heatmap_rows(figures, None, 99)
    assert (len(last), page_no) == (50, 3) and last[-1].visit_score is None  # no visits: last
    only_a, _, pages = heatmap_rows(figures, "A", 1)
    assert pages == 2 and {u.region for u in only_a} == {"A"}
    shown = [u.unit_id for p in (1, 2, 3) for u in heatmap_rows(figures, None, p)[0]]
    assert sorted(shown) == sorted(u.unit_id for u in figures)  # every unit on exactly one page
