"""Secrets and exposure: tokens stored and logged nowhere, no debug output, no shopper identity for HR.

A mystery shopper is only useful while the people checked do not know who they are: nothing HR
(and, through HR, the staff) can read may name an auditor, their user or their tablet.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import random
import re
import sqlite3
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import httpx
import pytest
from litestar import get
from litestar.testing import TestClient
from PIL import Image as PILImage
from pypdf import PdfReader
from pypdf.generic import StreamObject

from checklists.library import checklist_files
from checklists.score import ChecklistIndex
from checklists.validate import load_checklist
from server.app import create_app
from server.auth import roles
from server.demo.visits import make_visit
from server.settings import Settings, settings_from_env
from tests.live import LiveServer
from tests.tablet import Tablet

# --- tokens -------------------------------------------------------------------------------------


def _secrets(token: str) -> list[str]:
    """The strings that would give a token away: itself and its part after the public prefix."""
    return [token, token[len("tks_") + 10 :]]


def _table_dump(db_path) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every cell of every table."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        cells = []
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cursor = db.execute(f'SELECT * FROM "{table}"')
            columns = [c[0] for c in cursor.description]
            for row in cursor:
                for column, value in zip(columns, row, strict=True):
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    cells.append((table, column, text))
        return cells
    finally:
        db.close()


def test_no_token_is_stored_anywhere_in_the_data_directory(client, settings, users, example_checklist):
    admin = users["admin"]
    tokens = {role: h["Authorization"].removeprefix("Bearer ") for role, h in users.items() if role != "admin"}
    extra = client.post("/v1/users/aigerim/tokens", headers=admin).json()
    revoked = client.post("/v1/users/daulet/tokens", headers=admin).json()
    assert client.delete(f"/v1/users/daulet/tokens/{revoked['prefix']}", headers=admin).status_code in (200, 204)
    tokens |= {"extra": extra["token"], "revoked": revoked["token"]}
    # Each token at work: a push, a pull, a review queue, the directory, a refused revoked token.
    client.put("/v1/units/U1", json={"kind": "branch", "name": "ПСС", "region": "Алматы"}, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    tablet = Tablet(users["auditor"])
    assert tablet.push(client, [tablet.revision()])[0]["status"] == "applied"
    second = {"Authorization": f"Bearer {extra['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}
    assert client.get("/v1/sync/pull", headers=second).status_code == 200
    assert client.get("/v1/submissions", headers=users["quality_lead"]).status_code == 200
    assert client.get("/v1/units", headers=users["hr"]).status_code == 200
    gone = {"Authorization": f"Bearer {revoked['token']}", "Tekseru-Device-Id": str(uuid.uuid4())}
    assert client.get("/v1/sync/pull", headers=gone).json()["code"] == "token_revoked"

    cells = _table_dump(settings.db_path)
    leaks = [(t, c) for t, c, text in cells for token in tokens.values() for s in _secrets(token) if s in text]
    assert leaks == []
    # What is kept is the hash of each token, and its public prefix.
    stored = {text for t, c, text in cells if (t, c) == ("tokens", "hash")}
    assert {hashlib.sha256(token.encode()).hexdigest() for token in tokens.values()} <= stored
    # Nor in the bytes of any file (the database, its WAL, blobs, uploads); `admin.token` is the
    # local admin credential the server leaves for the command line, and holds only that one.
    files = [p for p in settings.data_dir.rglob("*") if p.is_file() and p.name != "admin.token"]
    assert any(p.name.startswith("tekseru.sqlite3") for p in files)
    for path in files:
        data = path.read_bytes()
        assert not [s for token in tokens.values() for s in _secrets(token) if s.encode() in data], path.name


def test_no_token_in_the_server_log_or_in_an_error_body(tmp_path):
    data_dir = tmp_path / "var"
    # The most verbose log level: if no token is logged there, none is logged at all.
    with LiveServer(data_dir, env={"TEKSERU_LOG_LEVEL": "debug"}) as server:
        admin = server.admin_headers()
        url = server.url
        tokens = {"admin": admin["Authorization"].removeprefix("Bearer ")}
        for name, role in (("lead", "quality_lead"), ("hr", "hr"), ("aigerim", "auditor")):
            tokens[name] = httpx.post(f"{url}/v1/users", json={"name": name, "role": role}, headers=admin).json()[
                "token"
            ]
        # A token made by the command line (which goes through the running server).
        made = subprocess.run(
            [sys.executable, "-m", "server.cli", "users", "token", "aigerim"],
            env=server.env,
            capture_output=True,
            text=True,
            check=True,
        )
        tokens["cli"] = made.stdout.strip().splitlines()[-1]
        revoked = httpx.post(f"{url}/v1/users/lead/tokens", headers=admin).json()
        httpx.delete(f"{url}/v1/users/lead/tokens/{revoked['prefix']}", headers=admin)
        tokens["revoked"] = revoked["token"]
        device = str(uuid.uuid4())

        def bearer(token: str, **extra: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"} | extra

        good = [
            ("GET", "/v1/units", bearer(tokens["lead"])),
            ("GET", "/v1/motivation?period=2026-10", bearer(tokens["hr"])),
            ("GET", "/v1/sync/pull", bearer(tokens["aigerim"], **{"Tekseru-Device-Id": device})),
            ("GET", "/v1/sync/pull", bearer(tokens["cli"], **{"Tekseru-Device-Id": str(uuid.uuid4())})),
        ]
        bad = [
            ("GET", "/v1/units", bearer("tks_" + "Q" * 43)),  # not a token of this server
            ("GET", "/v1/units", bearer(tokens["hr"][:-1])),  # one character short
            ("GET", "/v1/units", bearer(tokens["hr"] + "x")),
            ("GET", "/v1/units", {"Authorization": tokens["hr"]}),  # no scheme
            ("GET", "/v1/units", {"Authorization": f"Basic {tokens['hr']}"}),
            ("GET", "/v1/units", bearer(tokens["revoked"])),
            ("GET", "/v1/sync/pull", bearer(tokens["aigerim"], **{"Tekseru-Device-Id": str(uuid.uuid4())})),
            ("GET", "/v1/sync/pull", bearer(tokens["aigerim"])),  # no device id
            ("GET", "/v1/sync/pull", bearer(tokens["aigerim"], **{"Tekseru-Device-Id": tokens["aigerim"]})),
            ("GET", "/v1/sync/pull", bearer(tokens["hr"])),  # 403: not an auditor
            ("POST", "/v1/users", bearer(tokens["lead"])),  # 403
            ("GET", f"/v1/units/{tokens['hr']}", bearer(tokens["hr"])),  # 404, the token in the path
            ("GET", f"/v1/submissions/{uuid.uuid4()}", bearer(tokens["lead"])),  # 404
            ("DELETE", f"/v1/users/lead/tokens/{tokens['lead']}", admin),  # 404: a whole token for a prefix
            ("GET", f"/v1/no/such/{tokens['hr']}", bearer(tokens["hr"])),  # 404
        ]
        for method, path, headers in good:
            assert httpx.request(method, url + path, headers=headers).status_code == 200, path
        statuses = set()
        for method, path, headers in bad:
            response = httpx.request(method, url + path, headers=headers)
            statuses.add(response.status_code)
            assert response.status_code in (401, 403, 404), (path, response.status_code)
            assert not [s for token in tokens.values() for s in _secrets(token) if s in response.text], path
            assert not [s for token in tokens.values() for s in _secrets(token) if s in str(response.headers)], path
        assert statuses == {401, 403, 404}
    log = server.log.read_text()
    assert "serving on" in log
    assert not [name for name, token in tokens.items() for s in _secrets(token) if s in log]


# --- debug and CORS -----------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["info", "debug"])
def test_debug_is_off_and_an_error_shows_no_traceback(tmp_path, level):
    app = create_app(settings_from_env({"TEKSERU_DATA_DIR": str(tmp_path / "var"), "TEKSERU_LOG_LEVEL": level}))
    assert app.debug is False

    @get("/v1/boom", opt=roles("public"))
    async def boom() -> None:
        raise KeyError("tks_secretsecret in /work/main/server/store/users.py line 12")

    app.register(boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert set(response.json()) == {"type", "title", "status", "detail", "code"}
    for leak in ("Traceback", "KeyError", "tks_", "/work/", ".py", "line 12"):
        assert leak not in response.text


def test_cors_origins_from_the_environment_and_no_credentials(tmp_path):
    """Adds to test_error_shape's CORS test: the variable's parsing, credentials, refused requests."""
    env = {"TEKSERU_DATA_DIR": str(tmp_path / "var"), "TEKSERU_CORS_ORIGINS": " https://a.example ,https://b.example,"}
    settings = settings_from_env(env)
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    with TestClient(create_app(settings)) as client:
        preflight = {
            "Origin": "https://b.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        answer = client.options("/v1/sync/push", headers=preflight)
        assert answer.headers["access-control-allow-origin"] == "https://b.example"
        assert "access-control-allow-credentials" not in answer.headers  # bearer tokens, never cookies
        refused = client.get("/v1/units", headers={"Origin": "https://evil.example"})
        assert refused.status_code == 401 and "access-control-allow-origin" not in refused.headers
    with TestClient(create_app(Settings(data_dir=tmp_path / "closed"))) as client:
        for origin in ("https://a.example", "null"):
            answer = client.get("/v1/units", headers={"Origin": origin})
            assert not [h for h in answer.headers if h.startswith("access-control-")]


# --- no shopper identity in what HR reads -------------------------------------------------------


def _periods() -> tuple[str, str]:
    today = dt.datetime.now(ZoneInfo("Asia/Almaty")).date()
    last = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return last, today.strftime("%Y-%m")


def _photo_naming(auditor: str, device: str) -> bytes:
    """A tablet's photo whose metadata names its taker: EXIF Artist, description, a JPEG comment."""
    image = PILImage.new("RGB", (640, 480), (200, 60, 40))
    exif = PILImage.Exif()
    exif[0x013B] = auditor  # Artist
    exif[0x010E] = f"taken on tablet {device}"  # ImageDescription
    exif[0x010F], exif[0x0110] = "Samsung", "SM-T505"  # Make, Model
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=f"{auditor} {device}".encode())
    return out.getvalue()


def _upload(url: str, headers: dict[str, str], data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in (("sha256", sha), ("content_type", "image/jpeg"))
    )
    tus = {"Tus-Resumable": "1.0.0"}
    made = httpx.post(
        f"{url}/v1/uploads", headers=headers | tus | {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
    )
    assert made.status_code == 201, made.text
    chunk = tus | {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    sent = httpx.patch(url + made.headers["location"], content=data, headers=headers | chunk)
    assert sent.status_code == 204, sent.text
    return sha


def _visit_with_photo(sha: str) -> dict:
    """A submitted branch visit at ALM-014 that fails a critical item, with the photo as its evidence."""
    entry = next(f for f in checklist_files() if f.name == "branch.v2.toml")
    index = ChecklistIndex(load_checklist(entry.read_bytes(), "toml", entry.name).checklist)
    now = dt.datetime.now(ZoneInfo("Asia/Almaty"))
    started = max(now - dt.timedelta(hours=1), now.replace(day=1, hour=0, minute=5))
    visit = make_visit(index, "ALM-014", "branch", ["E1001"], started, 1.0, random.Random(7))
    failed = {"item": "BR-21.1", "value": False, "comment": "Нет таблички", "evidence": [sha]}  # critical = "zero"
    visit["answers"] = [a for a in visit["answers"] if a["item"] != "BR-21.1"] + [failed]
    return visit


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[LiveServer]:
    """`tekseru serve --demo`: last month reviewed, closed and published; then a little more of it.

    From a tablet of the test: a draft visit, and an approved one this month whose failed critical
    item carries a photo that names its taker, published in this month's scorecard of its unit. A
    staff scorecard and an English one of last month published, and a visit of the closed month
    rejected (so the month has adjustments).
    """
    data_dir = tmp_path_factory.mktemp("demo") / "var"
    with LiveServer(data_dir, "--demo") as server:
        url = server.url
        tokens = dict(line.split()[0::2] for line in (data_dir / "demo-tokens.txt").read_text().splitlines())
        headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
        lead, last = headers["qlead.saule"], _periods()[0]

        tablet = Tablet(headers["auditor.aigerim"] | {"Tekseru-Device-Id": str(uuid.uuid4())})
        visit = tablet.revision(state="draft", checklist={"id": "branch", "version": 2}, unit_id="ALM-014")
        visit["staff_ids"], visit["answers"] = ["E1001"], [{"item": "BR-07.1", "value": True, "comment": "Сәлем"}]
        pushed = httpx.post(f"{url}/v1/sync/push", json=tablet.envelope([visit]), headers=tablet.headers)
        assert pushed.json()["receipts"][0]["status"] == "applied", pushed.text

        photo = _photo_naming("auditor.aigerim", tablet.device_id)
        sha = _upload(url, tablet.headers, photo)
        visit = _visit_with_photo(sha)
        pushed = httpx.post(f"{url}/v1/sync/push", json=tablet.envelope([visit]), headers=tablet.headers)
        assert pushed.json()["receipts"][0]["status"] == "applied", pushed.text
        approve = {"decision": "approve", "heads": [visit["rev_id"]]}
        assert httpx.post(
            f"{url}/v1/submissions/{visit['submission_id']}/review", json=approve, headers=lead
        ).is_success
        this_month = {"scope": "unit", "unit_id": "ALM-014", "lang": "ru", "period": _periods()[1]}
        made = httpx.post(f"{url}/v1/scorecards", json=this_month, headers=lead, timeout=60)
        assert made.status_code == 201, made.text
        assert httpx.post(f"{url}/v1/scorecards/{made.json()['id']}/publish", headers=lead).is_success

        approved = httpx.get(
            f"{url}/v1/submissions", params={"period": last, "status": "approved", "limit": 1}, headers=lead
        ).json()["items"][0]
        view = httpx.get(f"{url}/v1/submissions/{approved['submission_id']}", headers=lead).json()
        # The demo approved it on these heads: another outcome names the decision it replaces.
        decision = {
            "decision": "reject",
            "comment": "Повторить",
            "heads": view["heads"],
            "supersedes": view["review"]["id"],
        }
        rejected = httpx.post(f"{url}/v1/submissions/{approved['submission_id']}/review", json=decision, headers=lead)
        assert rejected.is_success, rejected.text

        for subject in (
            {"scope": "staff", "staff_id": "E1003", "lang": "kk"},
            {"scope": "unit", "unit_id": "ALM-014", "lang": "en"},
        ):
            made = httpx.post(f"{url}/v1/scorecards", json=subject | {"period": last}, headers=lead, timeout=60)
            assert made.status_code == 201, made.text
            published = httpx.post(f"{url}/v1/scorecards/{made.json()['id']}/publish", headers=lead)
            assert published.is_success, published.text
        server.headers = headers
        server.tablet_device = tablet.device_id
        server.photo = photo
        yield server


def _identities(server: LiveServer) -> list[str]:
    """What would name a shopper: auditor user names, their devices, their token prefixes."""
    db = sqlite3.connect(f"file:{server.data_dir / 'tekseru.sqlite3'}?mode=ro", uri=True)
    try:
        auditors = [r[0] for r in db.execute("SELECT name FROM users WHERE role = 'auditor'")]
        marks = {*auditors, server.tablet_device}
        for sql in (
            "SELECT device_id FROM devices",
            "SELECT DISTINCT device_id FROM revisions WHERE device_id IS NOT NULL",
            "SELECT DISTINCT author FROM revisions WHERE rank = 'auditor'",
            "SELECT DISTINCT auditor FROM submissions",
            "SELECT prefix FROM tokens WHERE user_name IN (SELECT name FROM users WHERE role = 'auditor')",
        ):
            marks |= {r[0] for r in db.execute(sql)}
        return sorted(marks)
    finally:
        db.close()


def _pdf_texts(data: bytes) -> list[str]:
    """Everything a PDF carries that a reader could see: page text, metadata, every stream decoded."""
    reader = PdfReader(io.BytesIO(data))
    texts = [page.extract_text() for page in reader.pages]
    texts += [f"{key}={value}" for key, value in (reader.metadata or {}).items()]
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # a free entry of the cross-reference table
            continue
        if isinstance(obj, StreamObject):
            texts.append(obj.get_data().decode("latin-1"))
        texts.append(str(obj))
    for page in reader.pages:
        for image in page.images:
            texts.append(image.data.decode("latin-1"))
    return texts


def _xlsx_texts(data: bytes) -> list[str]:
    """Every part of the workbook (sheets, shared strings, docProps creator and lastModifiedBy)."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        return [book.read(name).decode("utf-8") for name in book.namelist()]


def _hr_outputs(server: LiveServer) -> Iterator[tuple[str, list[str]]]:
    """(what, its texts) for everything HR can read of last month and this one."""
    url, hr = server.url, server.headers["hr.dana"]

    def fetch(path: str, **params: object) -> httpx.Response:
        response = httpx.get(url + path, params=params, headers=hr, timeout=30)
        assert response.status_code == 200, (path, params, response.text[:300])
        return response

    for period in _periods():
        for basis in ("approved", "provisional"):
            for kind in ("branch", "contact_centre", "field_technician"):
                for what in ("units", "network"):
                    yield (
                        f"scores/{what} {period} {kind} {basis}",
                        [fetch(f"/v1/scores/{what}", period=period, kind=kind, basis=basis).text],
                    )
            yield f"scores/staff {period} {basis}", [fetch("/v1/scores/staff", period=period, basis=basis).text]
        yield f"motivation {period} json", [fetch("/v1/motivation", period=period).text]
        for sep in (",", ";"):
            yield f"motivation {period} csv {sep}", [fetch("/v1/motivation", period=period, format="csv", sep=sep).text]
        yield f"motivation {period} xlsx", _xlsx_texts(fetch("/v1/motivation", period=period, format="xlsx").content)
    last = _periods()[0]
    yield "snapshot json", [fetch(f"/v1/periods/{last}/snapshot").text]
    yield "snapshot csv", [fetch(f"/v1/periods/{last}/snapshot", format="csv").text]
    yield "snapshot xlsx", _xlsx_texts(fetch(f"/v1/periods/{last}/snapshot", format="xlsx").content)
    yield "adjustments", [fetch(f"/v1/periods/{last}/adjustments").text]
    for path in ("/v1/units", "/v1/staff", "/v1/checklists", "/v1/policies"):
        yield path, [fetch(path, limit=1000).text if path != "/v1/policies" else fetch(path).text]
    for period in _periods():
        listing = fetch("/v1/scorecards", period=period, limit=1000)
        yield f"scorecards {period}", [listing.text]
        for card in listing.json()["items"]:
            yield (
                f"scorecard {card['scope']} {card['unit_id'] or card['staff_id'] or ''} {card['lang']}",
                _pdf_texts(fetch(card["pdf"]).content),
            )


def test_nothing_hr_can_read_names_a_shopper(demo):
    identities = _identities(demo)
    assert {"auditor.aigerim", "auditor.daulet", "auditor.marina", demo.tablet_device} <= set(identities)
    assert len(identities) >= 10  # names, devices, token prefixes
    pattern = re.compile("|".join(re.escape(i) for i in identities), re.IGNORECASE)
    seen: dict[str, int] = {}
    leaks: list[str] = []
    for what, texts in _hr_outputs(demo):
        seen[what.split()[0]] = seen.get(what.split()[0], 0) + 1
        leaks += [f"{what}: {m.group(0)}" for text in texts for m in pattern.finditer(text)]
    assert leaks == []
    # What was read is the real thing: the demo's 19 unit scorecards, a network one, and the three
    # published here (one with the photo), each PDF read back to its text, streams and images.
    assert seen["scorecard"] >= 23 and seen["motivation"] == 8 and seen["snapshot"] == 3
    pending = httpx.get(f"{demo.url}/v1/periods/{_periods()[0]}/adjustments", headers=demo.headers["hr.dana"]).json()[
        "pending"
    ]
    assert pending, "the rejected visit of the closed month shows as an adjustment"


def test_a_photo_that_names_its_taker_reaches_hr_without_its_metadata(demo):
    """The evidence photo in this month's published scorecard is the picture only."""
    assert b"auditor.aigerim" in demo.photo and demo.tablet_device.encode() in demo.photo  # what a tablet sends
    hr = demo.headers["hr.dana"]
    cards = httpx.get(
        f"{demo.url}/v1/scorecards", params={"period": _periods()[1], "unit_id": "ALM-014"}, headers=hr
    ).json()["items"]
    assert [c["status"] for c in cards] == ["published"]
    reader = PdfReader(io.BytesIO(httpx.get(demo.url + cards[0]["pdf"], headers=hr).content))
    images = [image for page in reader.pages for image in page.images]
    assert images, "the scorecard shows the photo of the failed critical item"
    for image in images:
        picture = PILImage.open(io.BytesIO(image.data))
        assert not picture.getexif() and "comment" not in picture.info
        assert b"auditor" not in image.data and demo.tablet_device.encode() not in image.data


def test_what_the_scans_read_is_the_documents_own_text(demo):
    """The PDF and XLSX readers of the scan do find what is in the documents (so a name would be found)."""
    hr, last = demo.headers["hr.dana"], _periods()[0]
    cards = httpx.get(f"{demo.url}/v1/scorecards", params={"period": last, "unit_id": "ALM-014"}, headers=hr).json()
    english = next(c for c in cards["items"] if c["lang"] == "en")
    pdf = httpx.get(demo.url + english["pdf"], headers=hr).content
    texts = _pdf_texts(pdf)
    assert any("Abaya" in t or "Абая" in t for t in texts)  # the unit's name on the page
    assert any("/Author=Tekseru" in t for t in texts) and any("/Creator=Tekseru" in t for t in texts)
    book = httpx.get(f"{demo.url}/v1/periods/{last}/snapshot", params={"format": "xlsx"}, headers=hr).content
    parts = "".join(_xlsx_texts(book))
    assert "<dc:creator>Tekseru</dc:creator>" in parts and "lastModifiedBy" not in parts
    rows = list(
        csv.reader(
            io.StringIO(
                httpx.get(f"{demo.url}/v1/periods/{last}/snapshot", params={"format": "csv"}, headers=hr).text.lstrip(
                    "\ufeff"
                )
            )
        )
    )
    assert rows[0][0] == "staff_id" and any(r[0] == "E1001" for r in rows[1:])
    assert any(cell in parts for cell in {r[1] for r in rows[1:6]})  # staff names in the workbook


def test_a_closed_month_s_workbook_is_the_same_bytes_every_time(demo):
    """API.md: a snapshot 'returns it unchanged forever (CSV/XLSX too)' — so no save time inside."""
    hr, last = demo.headers["hr.dana"], _periods()[0]
    first = httpx.get(f"{demo.url}/v1/periods/{last}/snapshot", params={"format": "xlsx"}, headers=hr).content
    with zipfile.ZipFile(io.BytesIO(first)) as book:
        assert {info.date_time for info in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    again = httpx.get(f"{demo.url}/v1/periods/{last}/snapshot", params={"format": "xlsx"}, headers=hr).content
    assert again == first


def test_hr_cannot_learn_which_auditor_visits_a_unit(demo):
    hr = demo.headers["hr.dana"]
    for path in ("/v1/assignments", "/v1/assignments/A-DEMO-001"):
        response = httpx.get(f"{demo.url}{path}", headers=hr)
        assert response.status_code == 403, path
        assert not any(name in response.text for name in _identities(demo))
