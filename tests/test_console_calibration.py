"""The console's calibration page through the real app: the agreement per auditor and month, one month's
statistics and groups, in ru, kk and en; who may open it.

The month is tests/test_calibration.py's: three auditors score two events of October 2026; marina
agrees on 22 of 28 comparisons (79 %), under the policy's 80 %, and the others on 25 of 28 (89 %).
"""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import make_user
from tests.tablet import PASSING, Tablet
from tests.test_console_review import PASSWORD, set_password, sign_in

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
OCTOBER = "2026-10-15T11:00:00+05:00"
AUGUST = "2026-08-14T11:00:00+05:00"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _visit(client, tablet: Tablet, answers: dict | None = None, started: str = OCTOBER, **fields) -> str:
    revision = tablet.revision(answers=answers, started_at=started, **fields)
    (receipt,) = tablet.push(client, [revision])
    assert receipt["status"] == "applied", receipt
    return revision["submission_id"]


@pytest.fixture
def month(client, admin, example_checklist, default_policy) -> dict[str, str]:
    assert client.put("/v1/units/U1", json=UNIT, headers=admin).status_code == 200
    body = {"name": "Нұрланова Әлия", "unit_id": "U1"}
    assert client.put("/v1/staff/E1", json=body, headers=admin).status_code == 200
    a, d, m = (Tablet(make_user(client, admin, name, "auditor")) for name in ("aigerim", "daulet", "marina"))
    for name, role in (("saule", "quality_lead"), ("dana", "hr")):
        make_user(client, admin, name, role)
        set_password(client, admin, name)
    make_user(client, admin, "aliya", "unit_manager", units=["U1"])
    set_password(client, admin, "aliya")
    one, two = _visit(client, a), _visit(client, d)
    subs = {
        "one": one,
        "two": two,
        "one_d": _visit(client, d, calibrates=one),
        "one_m": _visit(client, m, PASSING | {"GREET.1": False, "GREET.2": 3}, calibrates=one),
        "two_a": _visit(client, a, PASSING | {"QUEUE.1": 310}, calibrates=two),
        "two_m": _visit(client, m, PASSING | {"INFO.1": "partial"}, calibrates=two),
    }
    # August: aigerim and daulet agree on everything.
    earlier = _visit(client, a, started=AUGUST)
    _visit(client, d, started=AUGUST, calibrates=earlier)
    return subs


def _language(client, lang: str) -> None:
    page = client.get("/account")
    csrf = TOKEN_FIELD.search(page.text).group(1)
    response = client.post("/language", data={"csrf_token": csrf, "lang": lang, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text


def _row(page: str, testid: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr data-testid="{testid}" {attribute}="{re.escape(value)}".*?</tr>', page, re.S)
    assert match, f"no {testid} {value}"
    return match.group(0)


def _text(fragment: str) -> str:
    # Spaces and newlines only: the non-breaking space before "%" stays.
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_the_calibration_page_shows_months_statistics_and_groups(client, month):
    sign_in(client, "saule")
    page = client.get("/calibration", params={"period": "2026-10"})
    assert page.status_code == 200, page.text
    text = page.text
    assert 'data-testid="nav-calibration"' in text and 'aria-current="page"' in text
    # Agreement per auditor and month: six months to October, the mark in words beside marina's.
    marina = _row(text, "month-row", "data-auditor", "marina")
    assert "79\xa0%" in _text(marina) and 'data-testid="below"' in marina and "ниже порога" in _text(marina)
    aigerim = _row(text, "month-row", "data-auditor", "aigerim")
    assert 'data-testid="below"' not in aigerim
    assert re.search(r'data-month="2026-08">100\xa0%', aigerim) and re.search(r'data-month="2026-10">89\xa0%', aigerim)
    assert re.findall(r'data-month="(\d{4}-\d\d)"', aigerim) == [f"2026-{m:02d}" for m in range(5, 11)]
    # October's statistics for the example checklist.
    assert {m for m in re.findall(r'data-testid="alpha-row" data-level="(\w+)"', text)} == {
        "nominal",
        "ordinal",
        "interval",
    }
    auditors = _row(text, "auditor-row", "data-auditor", "marina")
    assert 'data-below="yes"' in auditors and "−" not in auditors
    assert "-11,12" in _text(auditors) or "-11,11" in _text(auditors)
    pair = _row(text, "pair-row", "data-pair", "aigerim|marina")
    assert "0,68" in _text(pair) and "0,00" in _text(pair)
    pair = _row(text, "pair-row", "data-pair", "aigerim|daulet")
    assert "1,00" in _text(pair) and "—" in _text(pair)
    # Each group links every auditor's visit, and lists the items whose answers differ.
    groups = re.findall(r'data-testid="group" data-group="([0-9a-f-]+)"', text)
    assert sorted(groups) == sorted([month["one"], month["two"]])
    for sub in month.values():
        assert f'href="/review/{sub}"' in text
    one = text[text.index(f'data-group="{month["one"]}"') :]
    one = one[: one.index("</table>")]
    assert re.findall(r'data-testid="differ-row" data-item="([\w.]+)"', one) == ["GREET.1", "GREET.2"]
    assert "Поздоровался?" in one and "нет" in _text(_row(one, "differ-row", "data-item", "GREET.1"))
    assert "первая оценка" in one


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("kk", ("Аудиторларды калибрлеу", "шектен төмен", "Криппендорф альфасы", "Коэн каппасы")),
        ("en", ("Auditor calibration", "below threshold", "Krippendorff's alpha", "Cohen's kappa")),
    ],
)
def test_the_page_reads_in_kazakh_and_english(client, month, lang, words):
    sign_in(client, "saule")
    _language(client, lang)
    page = client.get("/calibration", params={"period": "2026-10"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    for word in words:
        assert word in text, word
    assert f'<html lang="{lang}">' in page.text


def test_a_month_without_groups_and_another_checklist(client, month):
    sign_in(client, "saule")
    page = client.get("/calibration", params={"period": "2026-09"})
    assert page.status_code == 200
    assert 'data-testid="detail-empty"' in page.text and 'data-testid="month-row"' in page.text
    # An unknown checklist falls back to one with groups.
    page = client.get("/calibration", params={"period": "2026-10", "checklist": "nope"})
    assert page.status_code == 200 and 'data-testid="alpha-row"' in page.text


@pytest.mark.parametrize("period", ["2026-13", "9999-01", "October"])
def test_a_malformed_month_is_400(client, month, period):
    sign_in(client, "saule")
    assert client.get("/calibration", params={"period": period}).status_code == 400


def test_the_page_without_any_second_scoring(client, admin, example_checklist):
    make_user(client, admin, "saule", "quality_lead")
    set_password(client, admin, "saule")
    sign_in(client, "saule")
    page = client.get("/calibration")
    assert page.status_code == 200
    assert 'data-testid="months-empty"' in page.text and 'data-testid="no-checklists"' in page.text


@pytest.mark.parametrize("name", ["dana", "aliya"])
def test_only_quality_leads_and_admins_open_it(client, month, name):
    sign_in(client, name, PASSWORD)
    response = client.get("/calibration", params={"period": "2026-10"}, follow_redirects=False)
    assert response.status_code == 403
    assert 'data-testid="nav-calibration"' not in client.get("/").text
