"""The console's month end `/periods`: open and closed months, the preview equal to the API's rows, what
blocks a close, the close behind a typed month (the API's close), who may close, CSRF, bad periods;
and the files for people (`?lang=`) of the API and the console, the default files unchanged.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from urllib.parse import parse_qsl, urlsplit

import pytest

from reports.motivation import MotivationRow
from reports.tables import columns_of
from server.console import periods as console_periods
from tests.conftest import open_store
from tests.tablet import Tablet
from tests.test_console_review import set_password, sign_in

OCTOBER = "2026-10-15T11:00:00+05:00"
NOVEMBER = "2026-11-10T11:00:00+05:00"
HOSTILE = '=HYPERLINK("http://x","y")'
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Org:
    """Two units, three staff (one with a formula-like name), October's visits approved but one, November's one."""

    def __init__(self, client, users, settings) -> None:
        self.client, self.users, self.settings = client, users, settings
        admin = users["admin"]
        client.put("/v1/units/U1", json={"kind": "branch", "name": "ПСС Алматы", "region": "Алматы"}, headers=admin)
        client.put("/v1/units/U2", json={"kind": "branch", "name": "ПСС Астана", "region": "Астана"}, headers=admin)
        client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
        client.put("/v1/staff/E2", json={"name": HOSTILE, "unit_id": "U1", "position": "+1+1"}, headers=admin)
        client.put("/v1/staff/E3", json={"name": "Серікова Дана", "unit_id": "U2"}, headers=admin)
        self.lead, self.hr = users["quality_lead"], users["hr"]
        self.tablet = Tablet(users["auditor"])
        t = self.tablet
        approved = [t.revision(started_at=OCTOBER, staff_ids=["E1", "E2"]) for _ in range(3)]
        approved.append(t.revision(started_at=OCTOBER, unit_id="U2", staff_ids=["E3"]))
        self.waiting = t.revision(started_at=OCTOBER, unit_id="U2", staff_ids=["E3"])
        self.november = t.revision(started_at=NOVEMBER, staff_ids=["E1"])
        assert {r["status"] for r in t.push(client, [*approved, self.waiting, self.november])} == {"applied"}
        for visit in approved:
            self.approve(visit["submission_id"])
        for name in ("lead", "hr"):
            set_password(client, admin, name)

    def approve(self, submission_id: str) -> None:
        doc = self.client.get(f"/v1/submissions/{submission_id}", headers=self.lead).json()
        body = {"decision": "approve", "heads": doc["heads"]}
        answer = self.client.post(f"/v1/submissions/{submission_id}/review", json=body, headers=self.lead)
        assert answer.status_code == 200, answer.text

    def as_user(self, name: str) -> None:
        self.client.cookies.clear()
        sign_in(self.client, name)

    def page(self, path: str, status: int = 200) -> str:
        answer = self.client.get(path)
        assert answer.status_code == status, answer.text
        return answer.text

    def token(self, path: str = "/periods") -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.page(path)).group(1)

    def seen(self, period: str) -> str:
        """What the close form binds the close to: the digest of the rows the page shows."""
        found = re.search(r'name="seen" value="([0-9a-f]{64})"', self.page(f"/periods/{period}"))
        return found.group(1) if found else ""

    def close(self, period: str, typed: str, **extra: str):
        data = {"csrf_token": self.token(), "confirm": typed, "seen": self.seen(period), **extra}
        return self.client.post(f"/periods/{period}/close", data=data, follow_redirects=False)

    def snapshots(self) -> int:
        with open_store(self.settings) as db:
            return db.execute("SELECT count(*) FROM period_snapshots").fetchone()[0]


@pytest.fixture
def org(client, users, settings, example_checklist, default_policy) -> Org:
    made = Org(client, users, settings)
    made.as_user("hr")
    return made


def query_of(response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    return dict(parse_qsl(urlsplit(response.headers["location"]).query))


def shown_rows(page: str) -> dict[str, str]:
    """staff_id -> the coefficient shown in the page's rows."""
    rows = re.findall(r'data-testid="row" data-staff="([^"]+)".*?data-testid="coefficient">([^<]+)<', page, re.S)
    return {staff: coefficient for staff, coefficient in rows}


# --- the pages ---------------------------------------------------------------------------------------


def test_hr_starts_at_the_month_list_with_open_and_closed_months(org):
    assert org.client.get("/", follow_redirects=False).headers["location"] == "/periods"
    page = org.page("/periods")
    assert 'data-testid="open-2026-10"' in page and 'data-testid="open-2026-11"' in page  # months with visits
    assert re.search(r'data-testid="awaiting-2026-10">1<', page)  # the visit still waiting
    assert re.search(r'data-testid="awaiting-2026-11">1<', page)
    assert "Октябрь 2026" in page and 'data-testid="closed-none"' in page
    org.approve(org.waiting["submission_id"])
    closed = org.client.post("/v1/periods/2026-10/close", headers=org.hr).json()
    page = org.page("/periods")
    assert 'data-testid="open-2026-10"' not in page and 'data-testid="closed-2026-10"' in page
    assert f'data-testid="snapshot-id-2026-10">{closed["snapshot_id"]}<' in page
    assert f'data-testid="hash-2026-10">{closed["sha256"]}<' in page


def test_the_preview_is_the_apis_rows_with_flags_in_words(org):
    api = org.client.get("/v1/motivation", params={"period": "2026-10"}, headers=org.hr).json()
    page = org.page("/periods/2026-10")
    coefficients = {r["staff_id"]: f"{r['coefficient']:.2f}".replace(".", ",") for r in api["rows"]}
    assert shown_rows(page) == coefficients and len(coefficients) == 3
    assert "предварительно: месяц не закрыт" in page  # the flag `provisional` in words
    assert "мало визитов: нейтральный коэффициент" in page  # E3: one approved visit
    assert "insufficient_sample" not in re.sub(r'class="[^"]*"', "", page)
    assert "=HYPERLINK(&#34;http://x&#34;" in page and HOSTILE not in page  # a name is escaped
    summary = re.search(r'data-testid="close-summary"[^>]*>([^<]+)<', page).group(1)
    assert "Октябрь 2026" in summary and "3" in summary


def test_what_blocks_the_close_links_to_the_queue_the_lead_follows(org):
    page = org.page("/periods/2026-10")
    link = html.unescape(re.search(r'href="([^"]+)" data-testid="waiting-link-received"', page).group(1))
    assert dict(parse_qsl(urlsplit(link).query)) == {"period": "2026-10", "status": "received"}
    assert re.search(r'data-testid="waiting-received">[^<]*<strong>1</strong>', page)
    org.as_user("lead")
    queue = org.page(link)
    assert re.findall(r'data-testid="row" data-submission="([0-9a-f-]+)"', queue) == [org.waiting["submission_id"]]


def test_a_typed_month_that_does_not_match_closes_nothing(org):
    for typed in ("2026-11", "2026-1", "", "октябрь", "2026-10\n2026-11", "=1+1"):
        answer = org.close("2026-10", typed, force="on")
        assert query_of(answer).get("error") == "mismatch", typed
    assert org.snapshots() == 0
    assert org.client.get("/v1/periods/2026-10/snapshot", headers=org.hr).status_code == 404
    page = org.page("/periods/2026-10?error=mismatch&typed=%3Cb%3E2026-11")
    assert "&lt;b&gt;2026-11" in page and 'data-testid="close-error"' in page


def test_hr_closes_through_the_apis_close_and_sees_the_snapshot(org):
    refused = org.close("2026-10", "2026-10")
    assert query_of(refused)["error"] == "unreviewed_submissions" and org.snapshots() == 0
    answer = org.close("2026-10", " 2026-10 ", force="on")
    assert query_of(answer) == {"done": "closed"}
    snapshot = org.client.get("/v1/periods/2026-10/snapshot", headers=org.hr).json()
    assert snapshot["closed_by"] == "hr" and snapshot["forced"] is True
    page = org.page(answer.headers["location"])
    assert f'data-testid="snapshot-hash">{snapshot["sha256"]}<' in page
    assert f'data-testid="snapshot-id">{snapshot["snapshot_id"]}<' in page
    assert f"{snapshot['policy']['id']}@{snapshot['policy']['version']}" in page
    assert 'data-testid="close-form"' not in page and 'data-testid="flash"' in page
    assert shown_rows(page) == {r["staff_id"]: f"{r['coefficient']:.2f}".replace(".", ",") for r in snapshot["rows"]}
    # Closing again changes nothing; the page says it was closed already.
    again = org.close("2026-10", "2026-10")
    assert query_of(again) == {"done": "period_closed"} and org.snapshots() == 1
    # The late decision on the waiting visit is a change after the close, carried by November's close.
    org.approve(org.waiting["submission_id"])
    later = org.page("/periods/2026-10")
    assert 'data-testid="later"' in later and "учтёт следующее закрытие" in later
    assert query_of(org.close("2026-11", "2026-11", force="on")) == {"done": "closed"}
    november = org.page("/periods/2026-11")
    carried = november[november.index('data-testid="carried"') :]
    assert "Серікова Дана" in carried[: carried.index("</table>")]


def test_a_close_is_bound_to_the_rows_the_page_showed(org):
    looked = org.seen("2026-10")
    org.approve(org.waiting["submission_id"])  # the rows change while HR's page is open
    refused = org.close("2026-10", "2026-10", force="on", seen=looked)
    assert query_of(refused)["error"] == "changed" and org.snapshots() == 0
    assert 'data-testid="close-error"' in org.page(refused.headers["location"])
    assert query_of(org.close("2026-10", "2026-10", force="on")) == {"done": "closed"}


def test_a_quality_lead_reads_but_cannot_close(org):
    org.as_user("lead")
    page = org.page("/periods/2026-10")
    assert 'data-testid="close-not-yours"' in page and 'data-testid="close-form"' not in page
    token = org.token("/periods/2026-10")
    answer = org.client.post("/periods/2026-10/close", data={"csrf_token": token, "confirm": "2026-10", "force": "on"})
    assert answer.status_code == 403 and org.snapshots() == 0
    assert org.client.get("/periods/2026-10/export.csv").status_code == 200


def test_a_close_without_the_csrf_token_is_refused_and_writes_nothing(org):
    for data in ({"confirm": "2026-10", "force": "on"}, {"csrf_token": "forged", "confirm": "2026-10", "force": "on"}):
        answer = org.client.post("/periods/2026-10/close", data=data, follow_redirects=False)
        assert answer.status_code == 403
    assert org.snapshots() == 0


def test_an_auditors_token_opens_no_page(client, org):
    client.cookies.clear()
    for path in ("/periods", "/periods/2026-10", "/periods/2026-10/export.csv", "/periods/2026-10/export.xlsx"):
        answer = client.get(path, headers=org.users["auditor"], follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    answer = client.post(
        "/periods/2026-10/close", data={"confirm": "2026-10"}, headers=org.users["hr"], follow_redirects=False
    )
    assert answer.status_code in (303, 403) and org.snapshots() == 0


@pytest.mark.parametrize(
    "path",
    ["/periods/2026-13", "/periods/abc", "/periods/2026-10%0A", "/periods/26-10", "/periods/%D9%A2026-10"],
)
def test_a_bad_period_is_the_400_page(org, path):
    answer = org.client.get(path)
    assert answer.status_code == 400 and 'data-testid="error-status"' in answer.text
    token = org.token()
    assert org.client.post(path + "/close", data={"csrf_token": token, "confirm": "x"}).status_code == 400
    assert org.client.get(path + "/export.csv").status_code == 400


def test_a_month_that_cannot_be_closed_yet_says_why(org):
    for period, reason in (("2099-12", "period_not_ended"), ("9999-01", "period_out_of_range")):
        page = org.page(f"/periods/{period}")
        assert 'data-testid="not-closable"' in page and 'data-testid="close-form"' not in page
        assert query_of(org.close(period, period))["error"] == reason
    assert "01.01.2100 00:00" in org.page("/periods/2099-12")
    assert org.snapshots() == 0


def test_rows_are_paged(org, monkeypatch):
    monkeypatch.setattr(console_periods, "PAGE_SIZE", 2)
    first = org.page("/periods/2026-10")
    assert list(shown_rows(first)) == ["E1", "E2"] and 'data-testid="next-page"' in first
    second = org.page("/periods/2026-10?page=2")
    assert list(shown_rows(second)) == ["E3"] and 'data-testid="prev-page"' in second
    assert list(shown_rows(org.page("/periods/2026-10?page=-1"))) == ["E1", "E2"]
    assert list(shown_rows(org.page("/periods/2026-10?page=999"))) == ["E3"]


# --- files for people -----------------------------------------------------------------------------------


def csv_rows(data: bytes, sep: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=sep))


def workbook(data: bytes):
    from openpyxl import load_workbook

    return load_workbook(io.BytesIO(data))


HEADERS = {
    "ru": ["Табельный номер", "Сотрудник", "Код подразделения", "Подразделение"],
    "kk": ["Табель нөмірі", "Қызметкер", "Бөлімше коды", "Бөлімше"],
    "en": ["Staff ID", "Employee", "Unit ID", "Unit"],
}
PROVISIONAL = {
    "ru": "предварительно: месяц не закрыт",
    "kk": "алдын ала: ай жабылмаған",
    "en": "provisional: the month is not closed",
}


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_api_files_for_people_have_titles_and_flags_in_the_language(org, lang):
    params = {"period": "2026-10", "format": "csv", "lang": lang}
    header, *rows = csv_rows(org.client.get("/v1/motivation", params=params, headers=org.hr).content)
    assert header[:4] == HEADERS[lang] and len(header) == len(columns_of(MotivationRow))
    by_id = {r[0]: r for r in rows}
    assert by_id["E1"][-1] == PROVISIONAL[lang]
    assert by_id["E2"][1] == "'" + HOSTILE and by_id["E2"][4] == "'+1+1"  # formulas stay data in every language
    answer = org.client.get("/v1/motivation", params=params | {"format": "xlsx"}, headers=org.hr)
    assert answer.headers["content-type"] == XLSX_TYPE
    sheet = workbook(answer.content).active
    assert [c.value for c in sheet[1]][:4] == HEADERS[lang]
    names = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert names["E2"].value == HOSTILE and names["E2"].data_type == "s"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
        assert not any("<f>" in book.read(n).decode() for n in book.namelist() if n.startswith("xl/worksheets/"))


def test_api_files_without_lang_keep_the_field_names(org):
    data = org.client.get("/v1/motivation", params={"period": "2026-10", "format": "csv"}, headers=org.hr).content
    header, *rows = csv_rows(data)
    assert header == columns_of(MotivationRow)
    assert {r[0]: r[-1] for r in rows}["E3"] == "insufficient_sample provisional"
    xlsx = org.client.get("/v1/motivation", params={"period": "2026-10", "format": "xlsx"}, headers=org.hr).content
    book = workbook(xlsx)
    assert book.sheetnames == ["motivation-2026-10"] and [c.value for c in book.active[1]] == header
    unknown = org.client.get("/v1/motivation", params={"period": "2026-10", "lang": "de"}, headers=org.hr)
    assert unknown.status_code == 400


def test_a_snapshots_workbook_names_its_snapshot(org):
    assert query_of(org.close("2026-10", "2026-10", force="on")) == {"done": "closed"}
    snapshot = org.client.get("/v1/periods/2026-10/snapshot", headers=org.hr).json()
    for source in (
        org.client.get("/v1/periods/2026-10/snapshot", params={"format": "xlsx", "lang": "kk"}, headers=org.hr),
        org.client.get("/periods/2026-10/export.xlsx", params={"lang": "kk"}),
    ):
        assert source.status_code == 200 and source.headers["content-type"] == XLSX_TYPE
        book = workbook(source.content)
        assert book.sheetnames == ["snapshot-2026-10", "snapshot"]
        about = {row[0].value: row[1].value for row in book["snapshot"].iter_rows()}
        assert about["Сурет (id)"] == snapshot["snapshot_id"] and about["Жолдардың SHA-256"] == snapshot["sha256"]
        assert about["Мотивация саясаты"] == f"{snapshot['policy']['id']}@{snapshot['policy']['version']}"
        assert snapshot["sha256"] in book.properties.keywords
    # Without lang the snapshot's workbook is the one it always was: one sheet of field names.
    plain = org.client.get("/v1/periods/2026-10/snapshot", params={"format": "xlsx"}, headers=org.hr)
    assert workbook(plain.content).sheetnames == ["snapshot-2026-10"]


def test_console_downloads_are_the_apis_files(org):
    page = org.page("/periods/2026-10")
    links = dict(re.findall(r'href="([^"]+)" download data-testid="file-([a-z_]+)"', page))
    urls = {what: html.unescape(url) for url, what in links.items()}
    assert set(urls) == {"csv_comma", "csv_semicolon", "xlsx"}
    semicolon = org.client.get(urls["csv_semicolon"])
    api = org.client.get(
        "/v1/motivation", params={"period": "2026-10", "format": "csv", "sep": ";", "lang": "ru"}, headers=org.hr
    )
    assert semicolon.status_code == 200 and semicolon.content == api.content
    assert semicolon.headers["content-disposition"] == 'attachment; filename="motivation-2026-10.csv"'
    # `lang=` empty: the API's default file, field names.
    plain = org.client.get("/periods/2026-10/export.csv", params={"lang": "", "sep": ","})
    api_plain = org.client.get("/v1/motivation", params={"period": "2026-10", "format": "csv"}, headers=org.hr)
    assert plain.content == api_plain.content
    assert org.client.get("/periods/2026-10/export.csv", params={"sep": "|"}).status_code == 400


def test_files_without_lang_are_byte_for_byte_what_they_were():
    """The files of programs never change: these hashes are of the files written before `lang` existed."""
    import hashlib

    from reports.tables import to_csv, to_xlsx

    rows = [
        MotivationRow(
            staff_id=s,
            name=s,
            unit_id="U1",
            unit_name="ПСС Алматы",
            position=None,
            score=72.5,
            n=2,
            ci_low=None,
            ci_high=None,
            coefficient=1.0,
            policy_id="default",
            policy_version=1,
            flags=["insufficient_sample", "provisional"],
        )
        for s in ("E1", "=HYPERLINK(1)", "Нұрланова Әлия")
    ]
    assert hashlib.sha256(to_csv(rows, MotivationRow, ";")).hexdigest() == (
        "072572ac3e8f38f0316e4688064c9fded9f02b33c7cee045ee91df1044c5c2cf"
    )
    assert hashlib.sha256(to_xlsx(rows, MotivationRow, "motivation-2026-10")).hexdigest() == (
        "0e9e62c8b6a81fbe964cfb7db013ede440123f959b6b0a21130f96b535a4a0f4"
    )


def test_a_month_is_opened_by_its_name(org):
    answer = org.client.get("/periods", params={"period": " 2025-03 "}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/periods/2025-03"
    page = org.page("/periods?period=%3Cscript%3E2025")
    assert 'data-testid="goto-error"' in page and "&lt;script&gt;2025" in page and "<script>2025" not in page
    assert 'data-testid="goto-error"' not in org.page("/periods?period=")
