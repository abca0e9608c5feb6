"""The console's scorecards `/scorecards`: build drafts as a background job, preview (first page as
PNG), publish one / a selection / all, the published ZIP; who may do what; bad input."""

from __future__ import annotations

import hashlib
import io
import re
import sqlite3
import struct
import time
import zipfile

import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.db import migrate, plain_connection
from server.settings import Settings
from server.store import scorecard_jobs as jobs_store
from tests.conftest import EXAMPLE_CHECKLIST, make_user, open_store
from tests.tablet import PASSING, Tablet
from tests.test_console_review import set_password, sign_in

OCTOBER = "2026-10-15T11:00:00+05:00"
PERIOD = "2026-10"


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "var", render_workers=0)


class World:
    """Branch units with approved October visits, a quality lead and HR with console passwords."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client, self.settings = client, settings
        admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
        self.admin = admin
        client.post(
            "/v1/checklists",
            content=EXAMPLE_CHECKLIST.read_bytes(),
            headers=admin | {"Content-Type": "application/toml"},
        )
        from checklists.library import policy_file

        client.post(
            "/v1/policies", content=policy_file().read_bytes(), headers=admin | {"Content-Type": "application/toml"}
        )
        units = {
            "U1": {"kind": "branch", "name": "ПСС Алматы, Абая 109", "region": "Алматы"},
            "U2": {"kind": "branch", "name": "ПСС Қонаев", "region": "Алматы облысы"},
            "U3": {"kind": "contact_centre", "name": "КЦ Астана", "region": "Астана"},
            "U4": {"kind": "branch", "name": "ПСС закрыт", "region": "Алматы", "active": False},
        }
        for unit_id, unit in units.items():
            response = client.put(f"/v1/units/{unit_id}", json=unit, headers=admin)
            assert response.status_code in (200, 201), response.text
        client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
        tablet = Tablet(make_user(client, admin, "aigerim", "auditor"))
        self.lead = make_user(client, admin, "lead", "quality_lead")
        self.hr = make_user(client, admin, "hr", "hr")
        visits = [tablet.revision(started_at=OCTOBER), tablet.revision(started_at=OCTOBER, answers=PASSING)]
        tablet.push(client, visits)
        for visit in visits:
            sub = visit["submission_id"]
            heads = client.get(f"/v1/submissions/{sub}", headers=self.lead).json()["heads"]
            answer = client.post(
                f"/v1/submissions/{sub}/review", json={"decision": "approve", "heads": heads}, headers=self.lead
            )
            assert answer.status_code == 200, answer.text
        set_password(client, admin, "lead")
        set_password(client, admin, "hr")

    def as_user(self, name: str) -> None:
        self.client.cookies.clear()
        sign_in(self.client, name)

    def token(self) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', self.client.get("/scorecards").text).group(1)

    def draft(self, unit_id: str, lang: str = "ru") -> dict:
        body = {"scope": "unit", "unit_id": unit_id, "period": PERIOD, "lang": lang}
        response = self.client.post("/v1/scorecards", json=body, headers=self.lead)
        assert response.status_code == 201, response.text
        return response.json()

    def cards(self, **params: str) -> list[dict]:
        return self.client.get("/v1/scorecards", params={"period": PERIOD, **params}, headers=self.lead).json()["items"]

    def build(self, kind: str = "branch", lang: str = "kk") -> str:
        response = self.client.post(
            "/scorecards/jobs",
            data={"csrf_token": self.token(), "period": PERIOD, "kind": kind, "lang": lang},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        job_id = response.headers["location"].split("/")[-1].split("?")[0]
        return job_id

    def wait(self, job_id: str, timeout: float = 60) -> dict:
        """The job's progress once it is no longer running."""
        end = time.monotonic() + timeout
        while True:
            view = self.client.get(f"/scorecards/jobs/{job_id}/progress").json()
            if not view["running"] or time.monotonic() > end:
                return view
            time.sleep(0.05)


@pytest.fixture
def world(client, settings) -> World:
    return World(client, settings)


@pytest.fixture
def lead(client, settings, admin) -> TestClient:
    """A signed-in quality lead in an otherwise empty organisation (for the bad-input pages)."""
    make_user(client, admin, "lead", "quality_lead")
    set_password(client, admin, "lead")
    sign_in(client, "lead")
    return client


def token_of(client: TestClient) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/scorecards").text).group(1)


def test_a_build_job_renders_a_draft_per_active_unit_and_the_network_through_the_api_path(world):
    world.as_user("lead")
    job_id = world.build("branch", "kk")
    view = world.wait(job_id)
    # U1 and U2 are the active branches (U4 is closed), plus the network scorecard of branches.
    assert view | {"status_text": None, "progress_text": None} == {
        "id": job_id,
        "status": "finished",
        "running": False,
        "total": 3,
        "done": 3,
        "failed": 0,
        "processed": 3,
        "percent": 100,
        "status_text": None,
        "progress_text": None,
        "failed_text": "",
    }
    drafts = world.cards(status="draft")
    assert sorted((c["scope"], c["unit_id"] or c["unit_kind"], c["lang"]) for c in drafts) == [
        ("network", "branch", "kk"),
        ("unit", "U1", "kk"),
        ("unit", "U2", "kk"),
    ]
    # The job's draft is the API's draft: the same path gives the same bytes and the same id.
    again = world.draft("U1", "kk")
    assert again["id"] in {c["id"] for c in drafts} and again["status"] == "draft"
    # The job page: the progress bar full, the state in words; a reload shows it as it is.
    page = world.client.get(f"/scorecards/jobs/{job_id}")
    assert page.status_code == 200
    assert re.search(r'<progress id="job-progress" max="3" value="3"', page.text)
    assert 'data-status="finished"' in page.text and "дайын" not in page.text  # the lead reads Russian
    # The list shows the job and the drafts, each row's SHA-256 the API's.
    listing = world.client.get("/scorecards", params={"period": PERIOD, "kind": "branch", "status": "draft"}).text
    assert f"/scorecards/jobs/{job_id}" in listing
    for card in drafts:
        assert re.search(rf'data-testid="sha-{card["id"]}">{card["sha256"]}<', listing)


def test_the_list_pages_through_every_scorecard_once(world, monkeypatch):
    from server.console import scorecards as console_scorecards

    world.as_user("lead")
    world.wait(world.build("branch", "kk"))
    world.wait(world.build("branch", "ru"))
    every = {c["id"] for c in world.cards()}
    monkeypatch.setattr(console_scorecards, "PAGE_ROWS", 2)
    seen: list[str] = []
    url = "/scorecards?period=" + PERIOD
    while url:
        listing = world.client.get(url).text
        seen += re.findall(r'data-testid="sha-([0-9a-f-]{36})"', listing)
        found = re.search(r'href="([^"]+)" rel="next"', listing)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert len(seen) == len(set(seen)) == len(every) >= 6 and set(seen) == every


def test_starting_a_running_build_again_finds_it_and_a_restart_marks_it_interrupted(tmp_path):
    conn = plain_connection(tmp_path / "db.sqlite3")
    migrate(conn)
    conn.execute(
        "INSERT INTO units (unit_id, kind, name, region, active, updated_at) VALUES"
        " ('U1', 'branch', 'ПСС', 'Алматы', 1, 't'), ('U2', 'branch', 'ПСС 2', 'Алматы', 0, 't')"
    )
    first, units, started = jobs_store.start(conn, PERIOD, "branch", "ru", "lead")
    assert started and units == ["U1"] and first.total == 2 and first.status == "running"
    second, _, started_again = jobs_store.start(conn, PERIOD, "branch", "ru", "lead")
    assert not started_again and second.job_id == first.job_id
    other, _, started_other = jobs_store.start(conn, PERIOD, "branch", "kk", "lead")  # another language
    assert started_other and other.job_id != first.job_id
    # A second running row of the same build is refused by the schema itself.
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO scorecard_jobs (job_id, period, unit_kind, lang, total, status, started_at, started_by)"
            " VALUES ('x', ?, 'branch', 'ru', 1, 'running', 't', 'lead')",
            (PERIOD,),
        )
    assert jobs_store.interrupt_running(conn) == 2
    assert jobs_store.get(conn, first.job_id).status == "interrupted"
    assert jobs_store.start(conn, PERIOD, "branch", "ru", "lead")[2]  # a new run may start
    conn.close()


def test_a_job_left_running_by_a_killed_server_shows_interrupted_after_a_restart(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", render_workers=0)
    with TestClient(create_app(settings)) as client:
        admin = {"Authorization": f"Bearer {(settings.data_dir / 'admin.token').read_text().strip()}"}
        make_user(client, admin, "lead", "quality_lead")
        set_password(client, admin, "lead")
    with open_store(settings) as db:  # what a SIGKILL mid-job leaves behind
        db.execute(
            "INSERT INTO scorecard_jobs (job_id, period, unit_kind, lang, total, done, status, started_at, started_by)"
            " VALUES ('job-1', ?, 'branch', 'ru', 5, 2, 'running', '2026-11-01T10:00:00Z', 'lead')",
            (PERIOD,),
        )
    with TestClient(create_app(settings)) as client:
        sign_in(client, "lead")
        page = client.get("/scorecards/jobs/job-1")
        assert page.status_code == 200
        assert 'data-status="interrupted"' in page.text and 'max="5" value="2"' in page.text
        assert 'data-testid="job-interrupted-note"' in page.text
        assert client.get("/scorecards/jobs/job-1/progress").json()["running"] is False


def test_publish_one_a_selection_and_all_drafts_of_a_period_and_kind(world):
    cards = {u: world.draft(u) for u in ("U1", "U2")}
    network = world.client.post(
        "/v1/scorecards", json={"scope": "network", "unit_kind": "branch", "period": PERIOD}, headers=world.lead
    ).json()
    cc = world.draft("U3")  # a contact centre: not a branch, "publish all branches" leaves it
    world.as_user("lead")
    token = world.token()
    # One, from its page.
    answer = world.client.post(
        f"/scorecards/{cards['U1']['id']}/publish", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == f"/scorecards/{cards['U1']['id']}?published=1"
    assert world.client.get(f"/v1/scorecards/{cards['U1']['id']}", headers=world.lead).json()["status"] == "published"
    # A selection (a published one and an unknown id among them change nothing).
    answer = world.client.post(
        "/scorecards/publish",
        data={"csrf_token": token, "pick": [cards["U2"]["id"], cards["U1"]["id"], "nope"], "period": PERIOD},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"/scorecards?period={PERIOD}&published=1"
    assert world.client.get(f"/v1/scorecards/{cards['U2']['id']}", headers=world.lead).json()["status"] == "published"
    # All drafts of the period and kind: the network one; the contact centre's stays a draft.
    page = world.client.get("/scorecards", params={"period": PERIOD, "kind": "branch"}).text
    assert 'data-testid="publish-all"' in page
    answer = world.client.post(
        "/scorecards/publish",
        data={"csrf_token": token, "all": "1", "period": PERIOD, "kind": "branch"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"/scorecards?period={PERIOD}&kind=branch&published=1"
    statuses = {c["id"]: c["status"] for c in world.cards()}
    assert statuses == {
        cards["U1"]["id"]: "published",
        cards["U2"]["id"]: "published",
        network["id"]: "published",
        cc["id"]: "draft",
    }
    report = world.client.get(answer.headers["location"]).text
    assert 'data-testid="published-report"' in report


def test_hr_reads_published_ones_only_and_can_neither_build_nor_publish(world):
    draft, published = world.draft("U1"), world.draft("U2")
    world.client.post(f"/v1/scorecards/{published['id']}/publish", headers=world.lead)
    world.as_user("lead")
    job_id = world.build()
    world.wait(job_id)
    world.as_user("hr")
    page = world.client.get("/scorecards", params={"status": "draft"})  # asking for drafts shows published ones
    assert page.status_code == 200
    assert published["id"] in page.text and draft["id"] not in page.text
    assert 'data-testid="build-form"' not in page.text and 'name="pick"' not in page.text
    assert 'data-status="draft"' not in page.text and "/scorecards/jobs/" not in page.text
    token = world.token()
    before = world.cards()
    assert world.client.post(f"/scorecards/{draft['id']}/publish", data={"csrf_token": token}).status_code == 403
    assert (
        world.client.post(
            "/scorecards/publish", data={"csrf_token": token, "all": "1", "period": PERIOD, "kind": "branch"}
        ).status_code
        == 403
    )
    answer = world.client.post(
        "/scorecards/jobs", data={"csrf_token": token, "period": PERIOD, "kind": "branch", "lang": "ru"}
    )
    assert answer.status_code == 403
    assert world.cards() == before
    assert world.client.get(f"/scorecards/jobs/{job_id}").status_code == 403
    # A draft does not exist for HR: page, image and PDF are 404; the published one reads.
    for suffix in ("", "/page1.png", "/pdf"):
        assert world.client.get(f"/scorecards/{draft['id']}{suffix}").status_code == 404
    assert world.client.get(f"/scorecards/{published['id']}").status_code == 200
    assert 'data-testid="publish-one"' not in world.client.get(f"/scorecards/{published['id']}").text
    pdf = world.client.get(f"/scorecards/{published['id']}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == published["sha256"] == pdf.headers["x-content-sha256"]


def test_forms_without_the_csrf_token_change_nothing(world):
    draft = world.draft("U1")
    world.as_user("lead")
    assert world.client.post(f"/scorecards/{draft['id']}/publish", data={}).status_code == 403
    assert world.client.post("/scorecards/publish", data={"pick": [draft["id"]]}).status_code == 403
    assert (
        world.client.post("/scorecards/publish", data={"csrf_token": "forged", "pick": [draft["id"]]}).status_code
        == 403
    )
    answer = world.client.post("/scorecards/jobs", data={"period": PERIOD, "kind": "branch", "lang": "ru"})
    assert answer.status_code == 403
    assert [c["status"] for c in world.cards()] == ["draft"]
    with open_store(world.settings) as db:
        assert db.execute("SELECT count(*) FROM scorecard_jobs").fetchone()[0] == 0


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_first_page_is_a_png_of_an_a4_page_rendered_once(world):
    card = world.draft("U1")
    world.as_user("lead")
    first = world.client.get(f"/scorecards/{card['id']}/page1.png")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    width, height = png_size(first.content)
    assert width == 900 and abs(height / width - 841.89 / 595.28) < 0.005
    assert world.client.get(f"/scorecards/{card['id']}/page1.png").content == first.content
    with open_store(world.settings) as db:
        assert db.execute("SELECT sha256, width, height FROM scorecard_previews").fetchall() == [
            (card["sha256"], width, height)
        ]
    page = world.client.get(f"/scorecards/{card['id']}").text
    assert f'src="/scorecards/{card["id"]}/page1.png"' in page and card["sha256"] in page
    assert 'data-testid="publish-one"' in page


def test_the_zip_holds_exactly_the_published_pdfs_with_their_sha256(world):
    published = []
    for unit_id in ("U1", "U2", "U3"):
        card = world.draft(unit_id)
        world.client.post(f"/v1/scorecards/{card['id']}/publish", headers=world.lead)
        published.append(card)
    kk = world.draft("U1", "kk")
    world.client.post(f"/v1/scorecards/{kk['id']}/publish", headers=world.lead)
    published.append(kk)
    world.draft("U2", "kk")  # a draft: never in the ZIP
    world.as_user("hr")
    answer = world.client.get("/scorecards/published.zip", params={"period": PERIOD})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    names = archive.namelist()
    assert len(names) == len(set(names)) == len(published) + 1
    assert all(re.fullmatch(r"2026-10/[A-Za-z0-9._-]+", n) for n in names)
    sums = dict(reversed(line.split("  ")) for line in archive.read(f"{PERIOD}/SHA256SUMS").decode().splitlines())
    assert len(sums) == len(published)
    for name, sha in sums.items():
        assert hashlib.sha256(archive.read(f"{PERIOD}/{name}")).hexdigest() == sha
    api = world.client.get("/v1/scorecards", params={"period": PERIOD}, headers=world.hr).json()["items"]
    assert sorted(sums.values()) == sorted(c["sha256"] for c in api) == sorted(c["sha256"] for c in published)
    # The list shows the same hashes to HR.
    listing = world.client.get("/scorecards", params={"period": PERIOD}).text
    assert sorted(re.findall(r'data-testid="sha-[^"]+">([0-9a-f]{64})<', listing)) == sorted(sums.values())
    # A month without any is an archive with an empty manifest.
    empty = zipfile.ZipFile(io.BytesIO(world.client.get("/scorecards/published.zip?period=2026-09").content))
    assert empty.namelist() == ["2026-09/SHA256SUMS"] and empty.read("2026-09/SHA256SUMS") == b""


BAD_PATHS = [
    ("/scorecards?period=2026-13", 400),
    ("/scorecards?period=9999-01", 400),
    ("/scorecards?period=2026-1", 400),
    ("/scorecards?period=%3DHYPERLINK(%22x%22)", 400),
    ("/scorecards?period=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-10", 400),  # full-width digits
    ("/scorecards?period=2026-10%0A", 400),
    ("/scorecards?kind=shop", 400),
    ("/scorecards?kind=branch%00", 400),
    ("/scorecards?status=deleted", 400),
    ("/scorecards/published.zip", 400),
    ("/scorecards/published.zip?period=26-10", 400),
    ("/scorecards/00000000-0000-0000-0000-000000000000", 404),
    ("/scorecards/" + "x" * 300, 404),
    ("/scorecards/nope/page1.png", 404),
    ("/scorecards/nope/pdf", 404),
    ("/scorecards/jobs/nope", 404),
    ("/scorecards/jobs/nope/progress", 404),
    ("/scorecards/jobs", 405),  # a form's address: only POST
    ("/scorecards/publish", 405),
    ("/scorecards?period=2026-10&kind=branch&status=published", 200),
    ("/scorecards?period=&kind=&status=", 200),
    ("/scorecards?page=0", 400),
    ("/scorecards?page=-1", 400),
    ("/scorecards?page=%C2%B2", 400),  # a superscript two is a digit to str.isdigit
    ("/scorecards?page=99999999999999999999", 400),
    ("/scorecards?page=2", 200),
]


def test_bad_input_is_a_4xx_page(lead):
    for path, status in BAD_PATHS:
        answer = lead.get(path)
        assert answer.status_code == status, (path, answer.text[:300])
        if status >= 400:
            assert 'data-testid="error-status"' in answer.text, path


BAD_FORMS = [
    {"period": "2026-13", "kind": "branch", "lang": "ru"},
    {"period": "9999-01", "kind": "branch", "lang": "ru"},
    {"period": PERIOD, "kind": "shop", "lang": "ru"},
    {"period": PERIOD, "kind": "branch", "lang": "de"},
    {"kind": "branch", "lang": "ru"},
]


def test_a_bad_build_form_is_a_400_page_and_starts_nothing(lead, settings):
    for form in BAD_FORMS:
        answer = lead.post("/scorecards/jobs", data={"csrf_token": token_of(lead), **form})
        assert answer.status_code == 400 and 'data-testid="error-status"' in answer.text, form
    answer = lead.post("/scorecards/publish", data={"csrf_token": token_of(lead), "all": "1", "period": PERIOD})
    assert answer.status_code == 400
    with open_store(settings) as db:
        assert db.execute("SELECT count(*) FROM scorecard_jobs").fetchone()[0] == 0


def test_names_are_escaped(world):
    world.client.put(
        "/v1/units/U1",
        json={"kind": "branch", "name": '<script>alert(1)</script>=HYPERLINK("x")', "region": "Алматы"},
        headers=world.admin,
    )
    card = world.draft("U1")
    world.as_user("lead")
    for path in ("/scorecards", f"/scorecards/{card['id']}"):
        text = world.client.get(path).text
        assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_clean_shutdown_leaves_no_job_running(tmp_path):
    settings = Settings(data_dir=tmp_path / "var", render_workers=0)
    with TestClient(create_app(settings)) as client:
        world = World(client, settings)
        world.as_user("lead")
        job_id = world.build("branch", "ru")
    # The app stopped right after the job started: its task was cancelled and the job marked so.
    with open_store(settings) as db:
        status, done, total, finished_at = db.execute(
            "SELECT status, done, total, finished_at FROM scorecard_jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
    assert finished_at is not None, status
    assert (status, done) == ("finished", total) or (status == "interrupted" and done < total)
