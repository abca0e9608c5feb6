"""Integrity in the console through the real app, on both stores: the queue's `flag` filter and its
reasons, the visit page's panel for every code (flags raised by real pushes, uploads and the
server's background checks), the pages per auditor, and who may see any of it.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from PIL import Image

from checklists.library import policy_file
from server.integrity.flags import CODES
from tests.conftest import EXAMPLE_CHECKLIST, make_user
from tests.tablet import PASSING, Tablet
from tests.test_console_review import count_of, ids_on, set_password, sign_in
from tests.test_integrity import ASTANA, UNIT, World, settle, wait_for
from tests.test_integrity_photos import exif_of, jpeg, scene

# The server's background checks run here: the cross-visit flags come from them.
pytestmark = pytest.mark.integrity_checks

OCTOBER = "2026-10-15T11:00:00+05:00"
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
# Answers that keep a visit below 100 (GREET.2 fails): no perfect streak among the other flags.
POLITE_3 = PASSING | {"GREET.2": 3}


class Console(World):
    """test_integrity's world (units with a place, a tablet, uploads) and a signed-in quality lead."""

    def __init__(self, client, users, settings) -> None:
        super().__init__(client, users, settings)
        self.users = users
        set_password(client, users["admin"], "lead")
        sign_in(client, "lead")

    def visit(self, answers=POLITE_3, **fields) -> str:
        return self.push(answers=answers, **fields)

    def with_evidence(self, photo: str, **fields) -> str:
        """A visit whose CLEAN.2 carries the photo."""
        fields.setdefault("started_at", OCTOBER)
        finished = dt.datetime.fromisoformat(fields["started_at"]) + dt.timedelta(minutes=30)
        fields.setdefault("finished_at", finished.isoformat())
        revision = self.tablet.revision(answers=POLITE_3 | {"CLEAN.2": None}, **fields)
        revision["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
        for a in revision["answers"]:
            if a["item"] == "CLEAN.2":
                a["evidence"] = [photo]
        assert self.tablet.push(self.client, [revision])[0]["status"] == "applied"
        return revision["submission_id"]

    def page(self, path: str, **params) -> str:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, (path, response.status_code)
        return response.text

    def language(self, lang: str) -> None:
        csrf = TOKEN_FIELD.search(self.page("/account")).group(1)
        data = {"csrf_token": csrf, "lang": lang, "next": "/"}
        assert self.client.post("/language", data=data, follow_redirects=False).status_code == 303


@pytest.fixture
def console(client, users, settings, example_checklist, default_policy) -> Console:
    return Console(client, users, settings)


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment (tags dropped, spaces collapsed; non-breaking spaces kept)."""
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def flag_html(page: str, code: str) -> str:
    """The panel's article of one code (the first, when a code is held twice)."""
    match = re.search(
        rf'<article class="integrity-flag" data-testid="integrity-flag" data-code="{code}".*?</article>', page, re.S
    )
    assert match, f"no {code} in the panel"
    return match.group(0)


def codes_on(page: str) -> list[str]:
    return re.findall(r'data-testid="integrity-flag" data-code="(\w+)"', page)


def reasons_of(page: str, sub: str) -> str:
    match = re.search(rf'<ul class="reasons" data-testid="reasons-{sub}">(.*?)</ul>', page, re.S)
    assert match, sub
    return text_of(match.group(1))


# --- the queue ---------------------------------------------------------------------------------------


def test_the_queue_filters_on_flags_and_names_them_in_its_reasons(console):
    far = console.visit(location={"lat": UNIT.lat + 0.01, "lon": UNIT.lon, "accuracy_m": 8})
    plain = console.visit(answers=PASSING)
    queue = console.page("/review", status="needs_review")
    assert far in ids_on(queue)
    assert "сигналы достоверности: GPS далеко от подразделения" in reasons_of(queue, far)
    received = console.page("/review", status="received")
    assert plain in ids_on(received) and "достоверности" not in reasons_of(received, plain)

    # The filter: a select labelled, "any flag" and every code in words; the tab counts follow it.
    select = re.search(
        r'<label for="f-flag">([^<]+)</label>\s*<select id="f-flag" name="flag".*?</select>', queue, re.S
    )
    assert select and select.group(1) == "Сигналы достоверности"
    options = re.findall(r'<option value="([a-z_]*)"[^>]*>([^<]+)</option>', select.group(0))
    assert [v for v, _ in options] == ["", "any", *CODES]
    assert ("photo_similar", "похожее фото") in options and ("any", "любой сигнал") in options
    for flag, expected in (("gps_far", [far]), ("any", [far]), ("photo_reused", [])):
        page = console.page("/review", status="needs_review", flag=flag)
        assert ids_on(page) == expected
        assert count_of(page, "needs_review") == len(expected) and count_of(page, "received") == 0
        assert f'<option value="{flag}" selected>' in page
    # Other tabs and filters keep the flag; an unknown code is no filter.
    kept = console.page("/review", status="received", flag="gps_far", auditor="aigerim")
    assert ids_on(kept) == [] and 'href="/review?status=needs_review&amp;auditor=aigerim&amp;flag=gps_far' in kept
    assert set(ids_on(console.page("/review", status="received", flag="GPS_FAR"))) == {plain}
    assert set(ids_on(console.page("/review", status="received", flag="bogus"))) == {plain}

    console.language("kk")
    page = console.page("/review", status="needs_review")
    assert "сенімділік белгілері: GPS бөлімшеден алыс" in reasons_of(page, far)
    assert "кез келген белгі" in page
    console.language("en")
    page = console.page("/review", status="needs_review")
    assert "integrity flags: GPS far from the unit" in reasons_of(page, far)


# --- the visit page ----------------------------------------------------------------------------------


def test_the_panel_says_each_visit_flag_with_its_evidence(console, client, users):
    far = console.visit(location={"lat": UNIT.lat + 0.01, "lon": UNIT.lon, "accuracy_m": 8})  # 1.1 km north
    missing = console.tablet.revision(answers=POLITE_3, started_at=OCTOBER)  # no fix at all
    assert console.tablet.push(client, [missing])[0]["status"] == "applied"
    # A checklist that asks for 15 minutes, and a visit of 5.
    source = EXAMPLE_CHECKLIST.read_text("utf-8").replace("version = 1", "version = 2", 1)
    source = source.replace('unit_kind = "branch"', 'unit_kind = "branch"\nmin_duration_s = 900', 1)
    published = client.post(
        "/v1/checklists", content=source.encode(), headers=users["admin"] | {"Content-Type": "application/toml"}
    )
    assert published.status_code == 201, published.text
    short = console.visit(
        checklist={"id": "example", "version": 2},
        started_at="2026-10-15T11:00:00+05:00",
        finished_at="2026-10-15T11:05:00+05:00",
    )
    plain = console.visit()
    console.tablet = Tablet(users["auditor"], clock_skew=dt.timedelta(days=3))
    skewed = console.visit()

    page = console.page(f"/review/{far}")
    assert codes_on(page) == ["gps_far"]
    assert 'href="#integrity"' in page
    flag = flag_html(page, "gps_far")
    facts = dict(re.findall(r'<dd data-fact="(\w+)">([^<]+)</dd>', flag))
    assert facts == {"distance": "1\xa0112\xa0м", "accuracy": "±8\xa0м", "geofence": "150\xa0м"}
    sketch = re.search(r"<svg .*?</svg>", flag, re.S).group(0)
    assert 'role="img"' in sketch and 'data-direction="n"' in sketch
    assert "<title" in sketch and "Схема: подразделение и GPS-отметка" in sketch
    desc = text_of(re.search(r"<desc[^>]*>(.*?)</desc>", sketch, re.S).group(1))
    assert "геозона радиусом 150\xa0м" in desc and "в 1\xa0112\xa0м к северу" in desc and "(±8\xa0м)" in desc
    # The fix is drawn north of the unit (up), farther than the fence's radius.
    cx, cy, fence = (float(v) for v in re.search(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', sketch).groups())
    fix = re.search(r'data-testid="sketch-fix"', sketch)
    assert fix
    path = re.search(r'<path d="M([\d.]+) ([\d.]+)L', sketch).groups()
    fix_x, fix_y = float(path[0]) + 5, float(path[1]) + 5
    assert abs(fix_x - cx) < 1 and cy - fix_y > fence
    assert "сигналы достоверности: GPS далеко от подразделения" in text_of(page)

    page = console.page(f"/review/{missing['submission_id']}")
    assert codes_on(page) == ["gps_missing"]
    assert "место подразделения известно (43,23890, 76,88970)" in text_of(flag_html(page, "gps_missing"))

    page = console.page(f"/review/{short}")
    assert codes_on(page) == ["too_short"]
    assert "Визит длился 5\xa0мин, а чек-лист требует не меньше 15\xa0мин." in text_of(flag_html(page, "too_short"))

    page = console.page(f"/review/{skewed}")
    assert codes_on(page) == ["clock_skew"]
    said = text_of(flag_html(page, "clock_skew"))
    assert re.search(
        r"Часы планшета спешили относительно часов сервера на 3(,0)?\xa0дн\. \(допустимо до 24\xa0ч\)", said
    )

    page = console.page(f"/review/{plain}")
    assert 'data-testid="integrity-panel"' not in page and 'href="#integrity"' not in page

    console.language("kk")
    page = console.page(f"/review/{far}")
    assert "Сенімділік белгілері" in page and "солтүстікке" in page and "Бөлімшенің геоаймағы" in page
    console.language("en")
    page = console.page(f"/review/{skewed}")
    assert re.search(
        r"The tablet's clock was 3(\.0)?\xa0days ahead of the server's \(up to 24\xa0h is allowed\)", text_of(page)
    )


def test_the_panel_shows_the_other_visit_both_photos_and_both_comments(console, client):
    # Impossible travel: Almaty at 09:00, Astana (971 km) at 10:30.
    morning = console.visit(started_at="2026-10-25T09:00:00+05:00", finished_at="2026-10-25T09:30:00+05:00")
    noon = console.visit(
        started_at="2026-10-25T10:30:00+05:00",
        finished_at="2026-10-25T11:00:00+05:00",
        unit_id="U2",
        staff_ids=["E2"],
        location={"lat": ASTANA[0], "lon": ASTANA[1]},
    )
    # The same photo twice, a re-encoded smaller copy of another, a photo taken two days before.
    same = console.upload(jpeg(scene(1)))
    original, copy = (
        console.upload(jpeg(scene(7))),
        console.upload(jpeg(scene(7).resize((576, 432), Image.LANCZOS), quality=70)),
    )
    old = console.upload(jpeg(scene(3), exif=exif_of(sub={0x9003: "2026:10:13 11:05:00"})))
    reused_a, reused_b = (console.with_evidence(same, started_at=f"2026-10-0{d}T11:00:00+05:00") for d in (2, 3))
    similar_a, similar_b = (
        console.with_evidence(p, started_at=f"2026-10-0{d}T11:00:00+05:00") for d, p in ((4, original), (5, copy))
    )
    exif = console.with_evidence(old)
    # A comment copied from one visit to another.
    long = (
        "Сотрудник не поздоровался, смотрел в телефон и не предложил помощь при входе в зал;"
        " талон выдал молча и ушёл в подсобку."
    )  # long enough to compare (the policy's comment_min_chars)

    def with_comment(comment: str, day: int) -> str:
        revision = console.tablet.revision(answers=POLITE_3, started_at=f"2026-10-{day:02d}T11:00:00+05:00")
        revision["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
        revision["answers"][0]["comment"] = comment
        assert console.tablet.push(client, [revision])[0]["status"] == "applied"
        return revision["submission_id"]

    first, copied = with_comment(long, 20), with_comment(long.replace("смотрел", "глядел"), 21)
    for sub, code in (
        (noon, "impossible_travel"),
        (morning, "impossible_travel"),
        (reused_b, "photo_reused"),
        (similar_b, "photo_similar"),
        (exif, "exif_time_mismatch"),
        (copied, "comment_copied"),
        (first, "comment_copied"),
    ):
        assert wait_for(lambda sub=sub, code=code: code in console.flags(sub)), (code, console.doc(sub))
    settle(console.settings)

    page = console.page(f"/review/{noon}")
    flag = flag_html(page, "impossible_travel")
    other = re.search(r'<a href="/review/([0-9a-f-]+)" data-testid="other-visit"', flag)
    assert other and other.group(1) == morning
    said = text_of(flag)
    assert "Предыдущий визит аудитора: ПСС Алматы, Абая 109, 25.10.2026 09:00 Asia/Almaty, аудитор aigerim" in said
    facts = dict(re.findall(r'<dd data-fact="(\w+)">([^<]+)</dd>', flag))
    assert facts["distance"].endswith("\xa0км") and facts["gap"] == "60\xa0мин"
    assert facts["max_speed"] == "200\xa0км/ч" and int(facts["speed"].split("\xa0")[0]) > 900
    assert "Следующий визит аудитора" in text_of(flag_html(console.page(f"/review/{morning}"), "impossible_travel"))

    flag = flag_html(console.page(f"/review/{reused_b}"), "photo_reused")
    assert re.findall(r'<img src="/evidence/([0-9a-f]{64})"', flag) == [same, same]
    assert re.search(rf'href="/review/{reused_a}" data-testid="other-visit"', flag)
    said = text_of(flag)
    assert "В этом визите, пункт CLEAN.2" in said and "В другом визите, пункт CLEAN.2" in said and "тот же файл" in said
    # The other visit's photo is served to the lead as its own visit's would be.
    assert client.get(f"/evidence/{same}").status_code == 200

    flag = flag_html(console.page(f"/review/{similar_b}"), "photo_similar")
    assert re.findall(r'<img src="/evidence/([0-9a-f]{64})"', flag) == [copy, original]
    distance = re.search(r"Расстояние Хэмминга: (\d+) бит из 64", text_of(flag))
    assert distance and int(distance.group(1)) <= 10
    assert re.search(rf'href="/review/{similar_a}" data-testid="other-visit"', flag)

    flag = flag_html(console.page(f"/review/{exif}"), "exif_time_mismatch")
    said = text_of(flag)
    assert re.search(r"Визит: 15\.10\.2026 11:00 Asia/Almaty — 15\.10\.2026 11:30 Asia/Almaty", said), said
    (row,) = re.findall(r'<tr data-testid="exif-row".*?</tr>', flag, re.S)
    assert old in row
    assert "13.10.2026 11:05 Asia/Almaty" in text_of(row) and "47,9\xa0ч до начала визита" in text_of(row)
    assert "(допуск 2\xa0ч)" in said

    flag = flag_html(console.page(f"/review/{copied}"), "comment_copied")
    (row,) = re.findall(r'<tr data-testid="comment-row" data-item="GREET.1">.*?</tr>', flag, re.S)
    assert "Поздоровался?" in row
    assert text_of(re.search(r'data-testid="comment-mine">(.*?)</td>', row, re.S).group(1)) == long.replace(
        "смотрел", "глядел"
    )
    assert text_of(re.search(r'data-testid="comment-theirs">(.*?)</td>', row, re.S).group(1)) == long
    similarity = text_of(re.search(r'data-testid="comment-similarity">(.*?)</td>', row, re.S).group(1))
    assert re.fullmatch(r"\d+,\d\xa0%", similarity) and float(similarity[:-2].replace(",", ".")) >= 90
    assert re.search(rf'href="/review/{first}" data-testid="other-visit"', flag)

    console.language("en")
    flag = flag_html(console.page(f"/review/{exif}"), "exif_time_mismatch")
    assert "47.9\xa0h before the visit began" in text_of(flag)


# --- the pages per auditor ---------------------------------------------------------------------------


def test_the_auditor_pages_show_flags_overturns_and_calibration(console, client, users):
    strict = (
        policy_file().read_text("utf-8").replace("version = 1", "version = 2", 1)
        + "\n[integrity]\nperfect_streak = 2\n"
    )
    published = client.post(
        "/v1/policies", content=strict.encode(), headers=users["admin"] | {"Content-Type": "application/toml"}
    )
    assert published.status_code == 201, published.text
    one = console.visit(
        answers=PASSING, started_at="2026-10-01T11:00:00+05:00", finished_at="2026-10-01T11:30:00+05:00"
    )
    two = console.visit(
        answers=PASSING, started_at="2026-10-02T11:00:00+05:00", finished_at="2026-10-02T11:30:00+05:00"
    )
    far = console.visit(
        started_at="2026-10-03T11:00:00+05:00",
        finished_at="2026-10-03T11:30:00+05:00",
        location={"lat": UNIT.lat + 0.01, "lon": UNIT.lon},
    )
    assert wait_for(lambda: "perfect_streak" in console.flags(two)), console.doc(two)
    settle(console.settings)
    # daulet scores `one` again, disagreeing on two items of seven: 71 %, under the policy's 80 %.
    daulet = Tablet(users["auditor2"])
    second = daulet.revision(
        answers=PASSING | {"GREET.1": False, "GREET.2": 3}, started_at="2026-10-01T11:00:00+05:00", calibrates=one
    )
    second["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
    assert daulet.push(client, [second])[0]["status"] == "applied"
    # An appeal on `far` (approved): GREET.2 overturned, CLEAN.1 upheld.
    heads = console.doc(far)["heads"]
    assert (
        client.post(
            f"/v1/submissions/{far}/review", json={"decision": "approve", "heads": heads}, headers=console.lead
        ).status_code
        == 200
    )
    manager = make_user(client, users["admin"], "marat", "unit_manager", units=["U1"])
    claims = [{"item": i, "claim": f"{i}: the shopper was greeted"} for i in ("GREET.2", "CLEAN.1")]
    appeal = client.post("/v1/appeals", json={"submission_id": far, "items": claims}, headers=manager)
    assert appeal.status_code == 201, appeal.text
    outcomes = [
        {"item": "GREET.2", "outcome": "overturned", "reason": "polite on the recording", "value": 5},
        {"item": "CLEAN.1", "outcome": "upheld", "reason": "the photo shows litter"},
    ]
    decided = client.post(f"/v1/appeals/{appeal.json()['id']}/decision", json={"items": outcomes}, headers=console.lead)
    assert decided.status_code == 200, decided.text

    page = console.page("/integrity", period="2026-10")
    assert 'data-testid="nav-integrity"' in page and 'aria-current="page"' in page
    assert "Порог согласованности по политике: 80\xa0%." in text_of(page)
    row = re.search(r'<tr data-testid="auditor-row" data-auditor="aigerim".*?</tr>', page, re.S).group(0)
    cells = dict(re.findall(r'<td class="num" data-testid="(\w+)">(.*?)</td>', row, re.S))
    assert text_of(cells["visits"]) == "3" and text_of(cells["flagged"]) == "67\xa0% (2 из 3)"
    assert text_of(cells["overturned"]) == "50\xa0% (1 из 2)"
    assert text_of(cells["agreement"]) == "71\xa0% ниже порога" and 'data-below="yes"' in row
    flags = re.search(r'<td data-testid="flags">(.*?)</td>', row, re.S).group(1)
    assert re.findall(r'<li data-code="(\w+)">', flags) == ["gps_far", "perfect_streak"]
    assert "GPS далеко от подразделения: 1" in text_of(flags) and "серия идеальных оценок: 1" in text_of(flags)
    assert 'href="/integrity/auditors/aigerim?period=2026-10"' in row
    row = re.search(r'<tr data-testid="auditor-row" data-auditor="daulet".*?</tr>', page, re.S).group(0)
    assert "ниже порога" in text_of(row) and text_of(re.search(r'data-testid="visits">(.*?)</td>', row).group(1)) == "0"

    page = console.page("/integrity/auditors/aigerim", period="2026-10")
    rows = re.findall(r'<tr data-testid="flagged-row" data-submission="([0-9a-f-]+)" data-codes="([\w ]+)">', page)
    assert rows == [(two, "perfect_streak"), (far, "gps_far")]
    assert f'href="/review/{far}#integrity"' in page
    months = re.findall(r'<tr data-testid="month-row" data-month="([\d-]+)"', page)
    assert months == [f"2026-{m:02d}" for m in range(5, 11)]
    october = re.search(r'<tr data-testid="month-row" data-month="2026-10".*?</tr>', page, re.S).group(0)
    assert "67\xa0% (2 из 3)" in text_of(october) and "50\xa0% (1 из 2)" in text_of(october)
    assert "71\xa0% ниже порога" in text_of(october)
    september = re.search(r'<tr data-testid="month-row" data-month="2026-09".*?</tr>', page, re.S).group(0)
    assert "нет данных" in text_of(september)
    # The perfect streak's panel links the auditor's page.
    flag = flag_html(console.page(f"/review/{two}"), "perfect_streak")
    assert "Идеальных оценок у аудитора подряд: 2 (сигнал — от 2)." in text_of(flag)
    assert 'href="/integrity/auditors/aigerim?period=2026-10"' in flag

    # The default month is this one in the organisation's zone; a month with nothing says so.
    page = console.page("/integrity")
    assert re.search(r'<option value="(\d{4}-\d\d)" selected>', page).group(1) != "" and 'data-testid="empty"' in page
    assert 'data-testid="flagged-empty"' in console.page("/integrity/auditors/aigerim", period="2026-09")
    for lang, words in (
        ("kk", ("Тексерулердің сенімділігі", "шектен төмен", "мінсіз бағалар сериясы")),
        ("en", ("Audit integrity", "below threshold", "67\xa0% (2 of 3)")),
    ):
        console.language(lang)
        said = text_of(console.page("/integrity", period="2026-10"))
        assert all(w in said for w in words), (lang, words)
    assert "Auditor aigerim's figures" in text_of(console.page("/integrity/auditors/aigerim", period="2026-10"))


def test_only_quality_leads_and_admins_see_integrity(console, client, users):
    far = console.visit(location={"lat": UNIT.lat + 0.01, "lon": UNIT.lon})
    assert console.client.get("/integrity/auditors/nobody").status_code == 404
    assert console.client.get("/integrity/auditors/bad%20name").status_code == 404
    assert console.client.get("/integrity", params={"period": "2026-13"}).status_code == 400
    heads = console.doc(far)["heads"]
    assert (
        client.post(
            f"/v1/submissions/{far}/review", json={"decision": "approve", "heads": heads}, headers=console.lead
        ).status_code
        == 200
    )
    make_user(client, users["admin"], "marat", "unit_manager", units=["U1"])
    for name in ("hr", "marat"):
        set_password(client, users["admin"], name)
        client.cookies.clear()
        sign_in(client, name)
        for path in ("/integrity", "/integrity/auditors/aigerim", f"/review/{far}", "/review?flag=any"):
            refused = client.get(path)
            assert refused.status_code == 403, (name, path)
            assert "GPS" not in refused.text and "nav-integrity" not in refused.text
        home = client.get("/")
        assert "nav-integrity" not in home.text and "достоверност" not in home.text.lower()
    # The unit manager's own page of the visit says nothing of the flag.
    mine = client.get(f"/my/visits/{far}")
    assert mine.status_code == 200, mine.text
    assert "GPS" not in mine.text and "integrity" not in mine.text and "сигнал" not in mine.text.lower()
    # An admin sees everything a lead does.
    client.cookies.clear()
    make_user(client, users["admin"], "boss", "admin")
    set_password(client, users["admin"], "boss")
    sign_in(client, "boss")
    assert 'data-testid="nav-integrity"' in client.get("/integrity").text
    page = client.get(f"/review/{far}").text
    assert codes_on(page) == ["gps_far"]
    assert "её точность не указана" in text_of(flag_html(page, "gps_far"))  # a fix without accuracy: no dashed circle
    assert 'stroke-dasharray="4 3"' not in flag_html(page, "gps_far")


# --- the pure parts: the sketch's geometry, distances and durations in words -------------------------


@pytest.mark.parametrize(
    ("fix", "accuracy", "direction"),
    [
        ((UNIT.lat + 0.01, UNIT.lon), 8, "n"),
        ((UNIT.lat, UNIT.lon + 0.01), None, "e"),
        ((UNIT.lat - 0.002, UNIT.lon - 0.003), 400, "sw"),
        ((UNIT.lat - 0.0016, UNIT.lon + 0.00005), 0, "s"),
    ],
)
def test_the_sketch_puts_the_fix_at_its_bearing_and_keeps_everything_inside(fix, accuracy, direction):
    from server.console.integrity import sketch
    from server.integrity.flags import distance_m

    far = distance_m(*fix, UNIT.lat, UNIT.lon)
    drawn = sketch(
        {
            "distance_m": round(far),
            "accuracy_m": accuracy,
            "geofence_m": 150,
            "unit": {"lat": UNIT.lat, "lon": UNIT.lon},
            "fix": {"lat": fix[0], "lon": fix[1]},
        }
    )
    assert drawn is not None and drawn.direction == direction
    reach = ((drawn.fix_x - drawn.cx) ** 2 + (drawn.fix_y - drawn.cy) ** 2) ** 0.5
    assert reach > drawn.fence_r  # outside the fence, as the flag says
    assert reach + drawn.accuracy_r <= drawn.size / 2 - 20  # the fix and its accuracy fit, with room for labels
    assert drawn.fence_r >= 5 and 0 < drawn.scale_px <= drawn.size / 2
    assert str(drawn.scale_m)[0] in "125" and set(str(drawn.scale_m)[1:]) <= {"0"}
    if direction == "n":
        assert abs(drawn.fix_x - drawn.cx) < 0.5 and drawn.fix_y < drawn.cy
    if direction == "e":
        assert abs(drawn.fix_y - drawn.cy) < 0.5 and drawn.fix_x > drawn.cx


def test_a_sketch_needs_both_places():
    from server.console.integrity import sketch

    assert sketch({"distance_m": 900, "geofence_m": 150, "unit": {"lat": 1.0, "lon": 2.0}}) is None
    assert sketch({"distance_m": 900, "geofence_m": 150, "unit": {"lat": 1.0}, "fix": {"lat": 1.0, "lon": 2.0}}) is None


@pytest.mark.parametrize(
    ("got", "expected"),
    [
        (("metres", 145.4, "ru"), "145\xa0м"),
        (("metres", 1112, "ru"), "1\xa0112\xa0м"),
        (("metres", 2300, "kk"), "2,3\xa0км"),
        (("metres", 971_600, "en"), "971.6\xa0km"),
        (("duration", 59, "ru"), "59\xa0с"),
        (("duration", 300, "kk"), "5\xa0мин"),
        (("duration", 86_400, "kk"), "24\xa0сағ"),
        (("duration", 172_500, "ru"), "47,9\xa0ч"),
        (("duration", -259_200, "en"), "3\xa0days"),
        (("duration", 280_000, "ru"), "3,2\xa0дн."),
    ],
)
def test_distances_and_durations_read_in_the_language(got, expected):
    from server.console import integrity

    what, value, lang = got
    assert getattr(integrity, what)(value, lang) == expected
