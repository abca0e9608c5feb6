"""The console's review queue `/review`: tabs and counts, filters, orders and paging, reasons,
"being reviewed by", bulk approval bound to the heads shown, who may see it; and the API queue's heads.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest

from server.clock import iso_utc, utc_now
from server.console import review as console_review
from server.db import migrate, plain_connection
from server.store import reviews as store
from tests.conftest import make_user, open_store
from tests.tablet import PASSING, Tablet

UNIT = {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"}
UNIT2 = {"kind": "branch", "name": "ПСС Астана, Кенесары 40", "region": "Астана"}
OCTOBER = "2026-10-15T11:00:00+05:00"
OCTOBER_LATER = "2026-10-20T11:00:00+05:00"
NOVEMBER = "2026-11-10T11:00:00+05:00"
PASSWORD = "очень-длинный-пароль-42"


def sign_in(client, name: str, password: str = PASSWORD) -> None:
    """Sign in through the login form (the session cookie stays in the client)."""
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def set_password(client, admin, name: str) -> None:
    response = client.put(f"/v1/users/{name}/password", json={"password": PASSWORD}, headers=admin)
    assert response.status_code == 204, response.text


def second_tablet(client, admin, name: str) -> Tablet:
    response = client.post(f"/v1/users/{name}/tokens", headers=admin)
    assert response.status_code == 201, response.text
    return Tablet({"Authorization": f"Bearer {response.json()['token']}", "Tekseru-Device-Id": str(uuid.uuid4())})


def ids_on(page: str) -> list[str]:
    """The submission ids of the queue's rows, in order."""
    return re.findall(r'data-testid="row" data-submission="([0-9a-f-]+)"', page)


def picks_on(page: str) -> dict[str, str]:
    """submission_id -> the value of its row's checkbox (`id|heads`)."""
    return {v.split("|")[0]: html.unescape(v) for v in re.findall(r'name="pick" value="([^"]+)"', page)}


def count_of(page: str, status: str) -> int:
    return int(re.search(rf'data-testid="count-{status}">([^<]+)<', page).group(1).replace("\xa0", ""))


class Queue:
    """Visits in every state, by name, and a signed-in quality lead."""

    def __init__(self, client, users, settings) -> None:
        self.client, self.users, self.settings = client, users, settings
        admin = users["admin"]
        for unit_id, unit in (("U1", UNIT), ("U2", UNIT2)):
            assert client.put(f"/v1/units/{unit_id}", json=unit, headers=admin).status_code in (200, 201)
        client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
        client.put("/v1/staff/E2", json={"name": "Серікова Дана", "unit_id": "U2"}, headers=admin)
        self.tablet = Tablet(users["auditor"])
        self.other = second_tablet(client, admin, "aigerim")
        self.tablet2 = Tablet(users["auditor2"])
        t = self.tablet
        self.revs = {
            "plain": t.revision(started_at=OCTOBER),
            "november": t.revision(started_at=NOVEMBER),
            "critical": t.revision(started_at=OCTOBER_LATER, answers=PASSING | {"PAY.1": True}),
            "conflicting": t.revision(started_at=OCTOBER),
            "waiting": t.revision(started_at=OCTOBER, answers=PASSING | {"CLEAN.2": None}),
            "draft": t.revision(started_at=OCTOBER, state="draft"),
            "approved": t.revision(started_at=OCTOBER),
        }
        self.revs["waiting"]["answers"][-1]["evidence"] = ["cd" * 32]
        assert all(r["status"] == "applied" for r in t.push(client, list(self.revs.values())))
        astana = self.tablet2.revision(started_at=OCTOBER, unit_id="U2", staff_ids=["E2"])
        assert self.tablet2.push(client, [astana])[0]["status"] == "applied"
        self.revs["astana"] = astana
        base = self.revs["conflicting"]
        t.push(client, [t.edit(base, answers=PASSING | {"GREET.2": 2})])
        self.other.push(client, [self.other.edit(base, answers=PASSING | {"GREET.2": 3})])
        self.lead = users["quality_lead"]
        self.decide("approved", "approve")
        self.id = {name: rev["submission_id"] for name, rev in self.revs.items()}
        set_password(client, admin, "lead")
        sign_in(client, "lead")

    def doc(self, name: str) -> dict:
        response = self.client.get(f"/v1/submissions/{self.revs[name]['submission_id']}", headers=self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def decide(self, name: str, decision: str) -> None:
        body = {"decision": decision, "heads": self.doc(name)["heads"]}
        sub = self.revs[name]["submission_id"]
        response = self.client.post(f"/v1/submissions/{sub}/review", json=body, headers=self.lead)
        assert response.status_code == 200, response.text

    def page(self, **params: str) -> str:
        response = self.client.get("/review", params=params)
        assert response.status_code == 200, response.text
        return response.text

    def names(self, page: str) -> set[str]:
        by_id = {v: k for k, v in self.id.items()}
        return {by_id[i] for i in ids_on(page)}


@pytest.fixture
def queue(client, users, settings, example_checklist, default_policy) -> Queue:
    return Queue(client, users, settings)


def test_tabs_count_every_status_and_list_the_tab(queue):
    page = queue.page()
    counts = {s: count_of(page, s) for s in console_review.TABS}
    assert counts == {
        "received": 4,
        "needs_review": 1,
        "awaiting_evidence": 1,
        "approved": 1,
        "rejected": 0,
        "draft": 1,
    }
    assert queue.names(page) == {"plain", "november", "critical", "astana"}  # the first tab by default
    assert 'data-testid="tab-received" aria-current="page"' in page
    assert queue.names(queue.page(status="needs_review")) == {"conflicting"}
    assert queue.names(queue.page(status="awaiting_evidence")) == {"waiting"}
    assert queue.names(queue.page(status="approved")) == {"approved"}
    assert queue.names(queue.page(status="draft")) == {"draft"}
    assert 'data-testid="queue-empty"' in queue.page(status="rejected")
    # The tab links keep the filters and the order.
    assert 'href="/review?status=draft&amp;region=' in queue.page(region="Алматы", sort="newest")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"period": "2026-11"}, {"november"}),
        ({"period": "2026-10"}, {"plain", "critical", "astana"}),
        ({"region": "Астана"}, {"astana"}),
        ({"unit": "U2"}, {"astana"}),
        ({"unit": "U1"}, {"plain", "november", "critical"}),
        ({"auditor": "daulet"}, {"astana"}),
        ({"kind": "branch"}, {"plain", "november", "critical", "astana"}),
        ({"kind": "contact_centre"}, set()),
        ({"checklist": "example"}, {"plain", "november", "critical", "astana"}),
        ({"checklist": "other"}, set()),
        ({"critical": "yes"}, {"critical"}),
        ({"critical": "no"}, {"plain", "november", "astana"}),
        ({"conflicts": "yes"}, set()),
        ({"conflicts": "yes", "status": "needs_review"}, {"conflicting"}),
        ({"conflicts": "no", "status": "needs_review"}, set()),
        ({"region": "Алматы", "period": "2026-10", "critical": "no"}, {"plain"}),
        ({"critical": "maybe"}, {"plain", "november", "critical", "astana"}),  # not a value: no filter
    ],
)
def test_each_filter_narrows_the_rows(queue, params, expected):
    assert queue.names(queue.page(**params)) == expected


def test_the_counts_honour_the_filters(queue):
    page = queue.page(region="Астана")
    assert (count_of(page, "received"), count_of(page, "needs_review"), count_of(page, "approved")) == (1, 0, 0)
    page = queue.page(auditor="aigerim", period="2026-10")
    assert (count_of(page, "received"), count_of(page, "needs_review"), count_of(page, "draft")) == (2, 1, 1)
    # The filters offer what exists in the data.
    assert '<option value="Астана"' in page and '<option value="daulet"' in page and '<option value="2026-11"' in page


def test_orders_and_cursor_paging(queue, monkeypatch):
    monkeypatch.setattr(console_review, "PAGE_SIZE", 3)
    first = queue.page()
    ids = ids_on(first)
    assert len(ids) == 3
    assert ids[-1] != queue.id["november"] and queue.id["november"] not in ids  # oldest first: November last
    next_url = html.unescape(re.search(r'href="([^"]+)" rel="next" data-testid="next-page"', first).group(1))
    params = dict(parse_qsl(urlsplit(next_url).query))
    assert params["status"] == "received" and params["cursor"]
    second = queue.page(**params)
    assert ids_on(second) == [queue.id["november"]]
    assert 'data-testid="next-page"' not in second and 'data-testid="first-page"' in second
    # Newest first is the reverse; a broken cursor is the first page, not an error.
    monkeypatch.setattr(console_review, "PAGE_SIZE", 50)
    oldest, newest = ids_on(queue.page()), ids_on(queue.page(sort="newest"))
    assert newest == list(reversed(oldest))
    assert ids_on(queue.page(cursor="not-a-cursor!")) == oldest
    # By score, lowest first: the failed critical item scored 0.
    assert ids_on(queue.page(sort="score"))[0] == queue.id["critical"]
    # By unit: U1's visits, then U2's.
    assert ids_on(queue.page(sort="unit"))[-1] == queue.id["astana"]


def test_each_row_says_why_it_is_there_with_its_score_mark_conflicts_and_evidence(queue):
    page = queue.page()
    row = page[page.index(f'data-submission="{queue.id["critical"]}"') :]
    row = row[: row.index("</tr>")]
    assert "не выполнен критичный пункт: PAY.1" in row  # the API's reason, in the lead's language
    assert "отправлен, ещё не проверен" in row
    assert 'class="mark red"' in row and "КРАСНАЯ" in row  # the mark carries its word
    conflicting = queue.page(status="needs_review")
    assert "конфликтующих полей: 1" in conflicting
    assert f'data-testid="conflicts-{queue.id["conflicting"]}">1<' in conflicting
    waiting = queue.page(status="awaiting_evidence")
    assert f'data-testid="missing-{queue.id["waiting"]}">1<' in waiting
    assert "ожидается файлов подтверждения: 1" in waiting
    # The API's reasons are the same rule, in English.
    api = queue.client.get("/v1/submissions", headers=queue.lead).json()["items"]
    by_id = {item["submission_id"]: item for item in api}
    assert by_id[queue.id["critical"]]["reasons"] == ["critical item failed: PAY.1", "submitted, not yet reviewed"]
    assert by_id[queue.id["conflicting"]]["reasons"][0].startswith("1 conflicting field(s): ")


def test_being_reviewed_by_another_user_recently(queue):
    make_user(queue.client, queue.users["admin"], "lead2", "quality_lead")
    make_user(queue.client, queue.users["admin"], "lead3", "quality_lead")
    now = utc_now()
    recent, stale = iso_utc(now - dt.timedelta(minutes=2)), iso_utc(now - dt.timedelta(minutes=11))
    with open_store(queue.settings) as db:
        db.executemany(
            "INSERT INTO review_open (submission_id, user_name, opened_at) VALUES (?, ?, ?)",
            [
                (queue.id["plain"], "lead2", recent),
                (queue.id["plain"], "lead", recent),  # the viewer's own open is not news
                (queue.id["november"], "lead3", stale),  # closed long ago
                (queue.id["november"], "lead", recent),
            ],
        )
    page = queue.page()
    assert re.search(rf'data-testid="being-reviewed-{queue.id["plain"]}">Сейчас смотрит: lead2<', page)
    assert f"being-reviewed-{queue.id['november']}" not in page


def test_bulk_approve_binds_each_row_to_its_heads_and_reports_a_changed_one(queue):
    page = queue.page(region="Алматы")
    picks = picks_on(page)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    back = html.unescape(re.search(r'name="back" value="([^"]*)"', page).group(1))
    # Meanwhile the auditor changes one visit: the heads the page showed are no longer current.
    queue.tablet.push(queue.client, [queue.tablet.edit(queue.revs["november"], answers=PASSING | {"GREET.2": 4})])
    response = queue.client.post(
        "/review/approve",
        data={"csrf_token": token, "back": back, "pick": [picks[queue.id["plain"]], picks[queue.id["november"]]]},
        follow_redirects=False,
    )
    assert response.status_code == 303
    target = response.headers["location"]
    params = parse_qsl(urlsplit(target).query)
    assert ("region", "Алматы") in params and ("approved", "1") in params
    assert ("changed", queue.id["november"]) in params
    report = queue.client.get(target).text
    assert "Одобрено визитов: 1." in report
    changed = report[report.index('data-testid="report-changed"') :]
    assert f'data-testid="changed-{queue.id["november"]}"' in changed and "сейчас: получен" in changed
    # Through the API: one approved, the changed one not.
    assert queue.doc("plain")["status"] == "approved"
    november = queue.doc("november")
    assert november["status"] == "received" and november["review"] is None


def test_bulk_approve_without_the_csrf_token_is_refused_and_changes_nothing(queue):
    picks = picks_on(queue.page())
    response = queue.client.post("/review/approve", data={"pick": [picks[queue.id["plain"]]]}, follow_redirects=False)
    assert response.status_code == 403
    assert queue.doc("plain")["status"] == "received"


def test_a_malformed_pick_is_reported_not_approved(queue):
    page = queue.page()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = queue.client.post(
        "/review/approve",
        data={"csrf_token": token, "back": "", "pick": [f"{queue.id['plain']}|"]},
        follow_redirects=False,
    )
    assert ("failed", f"{queue.id['plain']}:malformed") in parse_qsl(urlsplit(response.headers["location"]).query)
    assert queue.doc("plain")["status"] == "received"


def test_hr_sees_the_403_page_without_data_and_an_api_token_opens_no_console(client, users, queue):
    set_password(client, users["admin"], "hr")
    client.cookies.clear()
    sign_in(client, "hr")
    response = client.get("/review")
    assert response.status_code == 403
    assert "ПСС" not in response.text and "aigerim" not in response.text and "data-submission" not in response.text
    client.cookies.clear()
    # An auditor never signs in to the console; its bearer token is not a session either.
    response = client.get("/review", headers=users["auditor"], follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=/review")


def test_the_api_queue_rows_carry_heads_enough_for_a_bulk_approval(queue):
    rows = queue.client.get("/v1/submissions", params={"status": "received"}, headers=queue.lead).json()["items"]
    assert rows and all(row["heads"] for row in rows)
    decisions = [{"submission_id": r["submission_id"], "decision": "approve", "heads": r["heads"]} for r in rows]
    response = queue.client.post("/v1/submissions/review", json={"decisions": decisions}, headers=queue.lead)
    assert response.status_code == 200, response.text
    assert [item["status"] for item in response.json()["items"]] == ["approved"] * len(rows)


@pytest.mark.parametrize(
    "f",
    [
        {},
        {"period": "2026-10"},
        {"unit_kind": "branch"},
        {"region": "Алматы"},
        {"unit_id": "U1"},
        {"checklist_id": "example"},
        {"auditor": "aigerim"},
        {"conflicts": True},
        {"critical": True},
    ],
    ids=lambda f: ",".join(f) or "default",
)
def test_a_page_and_the_counts_never_scan_the_views_table(tmp_path, f):
    """With 100,000 documents of a few KiB, a plan that reads the table row by row is too slow (bench)."""
    conn = plain_connection(tmp_path / "db.sqlite3")
    migrate(conn)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    filter_ = store.QueueFilter(statuses=("received",), **f)
    store.queue_page(conn, filter_, "oldest", ["2026-10-01", "00000000-0000-4000-8000-000000000000"], 50)
    store.queue_counts(conn, filter_)
    conn.set_trace_callback(None)
    plans = [
        " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        for sql in statements
        if "FROM submission_views" in sql and "v.submission_id IN (" not in sql  # not the page's rows by id
    ]
    assert plans and all("SCAN v " not in p or "COVERING INDEX" in p for p in plans), plans
    assert "submission_views_queue" in plans[0], plans
