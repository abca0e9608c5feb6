"""The unit manager: bound to units, reads their approved visits, figures, scorecards and evidence as the
audited may see them, and nothing that names the shopper (API.md, "Unit managers and appeals")."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import re
import uuid
from dataclasses import dataclass

import pytest
from litestar.testing import TestClient
from PIL import Image, PngImagePlugin

from server.settings import Settings
from tests.conftest import make_user, open_store
from tests.tablet import ALMATY, PASSING, Tablet
from tests.test_exposure import _pdf_texts

PERIOD = "2026-10"
UNIT = {"kind": "branch", "region": "Алматы"}
TUS = {"Tus-Resumable": "1.0.0"}
COMMENT = "Кассир не поздоровался."


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    # Scorecards render in a thread of the server: no worker processes for this file.
    return Settings(data_dir=tmp_path / "var", database_url=database_url, render_workers=0)


def exif_jpeg(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A 40x20 photo whose EXIF says: turn it upright (orientation 6), taken then, by that camera, there."""
    image = Image.new("RGB", (40, 20), colour)
    image.paste((20, 20, 220), (0, 0, 10, 20))  # a blue band on the left: on top once stood upright
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif[0x010F] = "ShopperCam"  # Make
    exif[0x0110] = "SC-1 Pro"  # Model
    exif.get_ifd(0x8769)[0x9003] = "2026:10:15 10:17:43"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (43.0, 14.0, 27.0), "E", (76.0, 54.0, 39.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def texted_png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "taken by aigerim at 10:17")
    out = io.BytesIO()
    Image.new("RGBA", (8, 8), (0, 128, 0, 128)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def upload(client: TestClient, headers: dict[str, str], data: bytes, content_type: str) -> str:
    """Upload a blob whole with tus; its sha256."""
    sha = hashlib.sha256(data).hexdigest()
    meta = ",".join(
        f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in (("sha256", sha), ("content_type", content_type))
    )
    created = client.post(
        "/v1/uploads", headers=headers | TUS | {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
    )
    assert created.status_code == 201, created.text
    patch = TUS | {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
    assert client.patch(created.headers["location"], headers=headers | patch, content=data).status_code == 204
    return sha


def visit_times() -> tuple[str, str, list[str]]:
    """The visit's start and finish (Asia/Almaty), and how their times of day could be written (local and
    UTC): none of them may reach the audited side. Six hours from now, so that no time the server writes
    while the test runs (a scorecard's creation, its data's as-of time) can look like them."""
    hour = (dt.datetime.now(ALMATY).hour + 6) % 24
    utc = (hour - 5) % 24
    started, finished = f"2026-10-15T{hour:02d}:17:43+05:00", f"2026-10-15T{hour:02d}:49:07+05:00"
    marks = [f"{h:02d}:{m}" for h in (hour, utc) for m in ("17", "49")] + [f"T{hour:02d}:", f"T{utc:02d}:"]
    return started, finished, marks


@dataclass
class Org:
    client: TestClient
    admin: dict[str, str]
    lead: dict[str, str]
    hr: dict[str, str]
    manager: dict[str, str]  # dana, of U1
    manager2: dict[str, str]  # erlan, of U2
    tablet: Tablet
    visit: dict  # approved, U1
    pending: dict  # submitted, not reviewed, U1
    other: dict  # approved, U2
    photo: str
    png: str
    audio: str
    broken: str  # bytes that say image/jpeg but are none
    hidden: str  # a photo of the visit not reviewed yet
    times: list[str]  # the visit's times of day, as they could be written

    def get(self, who: dict[str, str], path: str, **params):
        return self.client.get(path, params=params, headers=who)

    def doc(self, sub: str) -> dict:
        return self.get(self.lead, f"/v1/submissions/{sub}").json()

    def approve(self, sub: str) -> None:
        body = {"decision": "approve", "heads": self.doc(sub)["heads"]}
        assert self.client.post(f"/v1/submissions/{sub}/review", json=body, headers=self.lead).status_code == 200


@pytest.fixture
def org(client, admin, example_checklist, default_policy) -> Org:
    for unit_id, name in (("U1", "ПСС Алматы, Абая 109"), ("U2", "ПСС Қонаев")):
        assert client.put(f"/v1/units/{unit_id}", json=UNIT | {"name": name}, headers=admin).status_code == 200
    for staff_id, unit_id in (("E1", "U1"), ("E2", "U2")):
        body = {"name": f"Сотрудник {staff_id}", "unit_id": unit_id}
        assert client.put(f"/v1/staff/{staff_id}", json=body, headers=admin).status_code == 200
    tablet = Tablet(make_user(client, admin, "aigerim.shopper", "auditor"))
    body = {"unit_id": "U1", "checklist_id": "example", "due_from": "2026-10-01", "due_to": "2026-10-31"}
    assert (
        client.put("/v1/assignments/ASG-77", json=body | {"auditor": "aigerim.shopper"}, headers=admin).status_code
        == 200
    )
    photo = upload(client, tablet.headers, exif_jpeg(), "image/jpeg")
    png = upload(client, tablet.headers, texted_png(), "image/png")
    audio = upload(client, tablet.headers, b"ID3\x03\x00fake mp3 frames " * 50, "audio/mpeg")
    broken = upload(client, tablet.headers, b"\xff\xd8\xff\xe1 not a picture at all", "image/jpeg")
    hidden = upload(client, tablet.headers, texted_png()[:-1] + b"\x83", "image/png")

    answers = PASSING | {"GREET.1": False, "INFO.1": None}
    started, finished, times = visit_times()
    visit = tablet.revision(answers=answers, started_at=started, finished_at=finished, assignment_id="ASG-77")
    by_item = {a["item"]: a for a in visit["answers"]}
    by_item["GREET.1"] |= {"comment": COMMENT, "evidence": [photo, png, broken]}
    by_item["INFO.1"] |= {"na": True}
    by_item["QUEUE.1"] |= {"evidence": [audio]}
    by_item["QUEUE.2"] = {"item": "QUEUE.2", "value": 3}
    visit["answers"] = list(by_item.values())
    pending = tablet.revision(started_at="2026-10-16T12:00:00+05:00", finished_at="2026-10-16T12:30:00+05:00")
    pending["answers"][0]["evidence"] = [hidden]
    other = tablet.revision(unit_id="U2", staff_ids=["E2"], started_at=started, finished_at=finished)
    assert [r["status"] for r in tablet.push(client, [visit, pending, other])] == ["applied"] * 3
    o = Org(
        client=client,
        admin=admin,
        lead=make_user(client, admin, "saule.lead", "quality_lead"),
        hr=make_user(client, admin, "gulnara.hr", "hr"),
        manager=make_user(client, admin, "dana.um", "unit_manager", units=["U1"]),
        manager2=make_user(client, admin, "erlan.um", "unit_manager", units=["U2"]),
        tablet=tablet,
        visit=visit,
        pending=pending,
        other=other,
        photo=photo,
        png=png,
        audio=audio,
        broken=broken,
        hidden=hidden,
        times=times,
    )
    o.approve(visit["submission_id"])
    o.approve(other["submission_id"])
    return o


def _problem(response, status: int, code: str, path: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    if path is not None:
        assert path in [e["path"] for e in body.get("errors", [])], body


# --- users bound to units --------------------------------------------------------------------------


def test_unit_managers_are_created_with_units_and_rebound(client, admin, settings):
    for unit_id in ("ALM-014", "ALM-015"):
        client.put(f"/v1/units/{unit_id}", json=UNIT | {"name": unit_id}, headers=admin)
    created = client.post(
        "/v1/users", json={"name": "dana", "role": "unit_manager", "units": ["ALM-015", "ALM-014"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "unit_manager"
    assert client.post("/v1/users", json={"name": "hr1", "role": "hr"}, headers=admin).status_code == 201
    listed = {u["name"]: u for u in client.get("/v1/users", headers=admin).json()["items"]}
    assert listed["dana"]["units"] == ["ALM-014", "ALM-015"] and listed["hr1"]["units"] == []

    rebound = client.put("/v1/users/dana/units", json={"units": ["ALM-015"]}, headers=admin)
    assert rebound.status_code == 200 and rebound.json() == {"name": "dana", "units": ["ALM-015"]}
    with open_store(settings) as db:
        rows = db.execute("SELECT unit_id FROM user_units WHERE user_name = 'dana'").fetchall()
        actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE object_id = 'dana' ORDER BY id")]
    assert [tuple(r) for r in rows] == [("ALM-015",)]
    assert actions == ["user.create", "user.units", "user.units"]

    # Refusals, each with its code and path; nothing is created by a refused request.
    _problem(
        client.post("/v1/users", json={"name": "aru", "role": "unit_manager"}, headers=admin),
        400,
        "units_required",
        "units",
    )
    _problem(
        client.post("/v1/users", json={"name": "aru", "role": "unit_manager", "units": []}, headers=admin),
        400,
        "units_required",
        "units",
    )
    _problem(
        client.post("/v1/users", json={"name": "aru", "role": "hr", "units": ["ALM-014"]}, headers=admin),
        400,
        "units_not_allowed",
        "units",
    )
    _problem(
        client.post(
            "/v1/users", json={"name": "aru", "role": "unit_manager", "units": ["ALM-014", "ALM-999"]}, headers=admin
        ),
        400,
        "unknown_unit",
        "units[1]",
    )
    for hostile in ("ALM-014\n", "ALM\u0301-014", "ALM-01²", '=HYPERLINK("http://x")', "", "x" * 65):
        body = {"name": "aru", "role": "unit_manager", "units": [hostile]}
        _problem(client.post("/v1/users", json=body, headers=admin), 400, "invalid_request", "units[0]")
        _problem(
            client.put("/v1/users/dana/units", json={"units": [hostile]}, headers=admin),
            400,
            "invalid_request",
            "units[0]",
        )
    assert "aru" not in {u["name"] for u in client.get("/v1/users", headers=admin).json()["items"]}
    _problem(client.put("/v1/users/dana/units", json={"units": []}, headers=admin), 400, "units_required", "units")
    _problem(
        client.put("/v1/users/dana/units", json={"units": ["ALM-999"]}, headers=admin), 400, "unknown_unit", "units[0]"
    )
    _problem(client.put("/v1/users/hr1/units", json={"units": ["ALM-014"]}, headers=admin), 409, "not_unit_manager")
    _problem(client.put("/v1/users/ghost/units", json={"units": ["ALM-014"]}, headers=admin), 404, "not_found")
    _problem(client.put("/v1/users/_local_admin/units", json={"units": ["ALM-014"]}, headers=admin), 404, "not_found")
    _problem(
        client.put("/v1/users/dana/units", json={"units": ["ALM-014"], "role": "admin"}, headers=admin),
        400,
        "invalid_request",
    )
    assert client.get("/v1/users", headers=admin).json()["items"][0]["units"] == ["ALM-015"]


# --- the unit's approved visits ---------------------------------------------------------------------


def test_the_manager_reads_the_unit_s_approved_visits_as_the_audited_see_them(org):
    response = org.get(org.manager, "/v1/units/U1/visits", period=PERIOD)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    (visit,) = page["items"]  # the visit not reviewed yet is not there, nor U2's
    assert set(visit) == {
        "submission_id",
        "unit_id",
        "period",
        "date",
        "checklist",
        "visit_score",
        "answers",
        "appeals",
    }
    assert visit["submission_id"] == org.visit["submission_id"]
    assert (visit["unit_id"], visit["period"], visit["date"]) == ("U1", PERIOD, "2026-10-15")
    assert visit["checklist"] == {"id": "example", "version": 1}
    assert visit["visit_score"] == org.doc(org.visit["submission_id"])["scores"]["visit"]
    assert visit["appeals"] == []
    answers = {a["item"]: a for a in visit["answers"]}
    assert answers["GREET.1"] == {
        "item": "GREET.1",
        "value": False,
        "na": False,
        "passed": False,
        "comment": COMMENT,
        "evidence": sorted([org.photo, org.png, org.broken]),
    }
    assert answers["GREET.2"]["passed"] is True and answers["GREET.2"]["value"] == 5
    assert answers["INFO.1"] | {"evidence": None} == {
        "item": "INFO.1",
        "value": None,
        "na": True,
        "passed": None,
        "comment": None,
        "evidence": None,
    }
    assert answers["QUEUE.2"]["passed"] is None  # a number is not scored
    assert answers["QUEUE.1"]["evidence"] == [org.audio]
    # Quality leads and admins read any unit the same way; HR and auditors may not.
    for who in (org.lead, org.admin):
        assert org.get(who, "/v1/units/U1/visits", period=PERIOD).json() == page
    for who in (org.hr, org.tablet.headers):
        _problem(org.get(who, "/v1/units/U1/visits", period=PERIOD), 403, "forbidden")
    # Another unit's visits, an unknown unit: 404 for the manager, whether or not it exists.
    for unit in ("U2", "U9", "u1", "U1%0A", "%E2%80%8BU1"):
        _problem(org.get(org.manager, f"/v1/units/{unit}/visits", period=PERIOD), 404, "not_found")
    _problem(org.get(org.lead, "/v1/units/U9/visits", period=PERIOD), 404, "not_found")
    assert [v["unit_id"] for v in org.get(org.manager2, "/v1/units/U2/visits", period=PERIOD).json()["items"]] == ["U2"]
    # Other months are empty (years 1 and 9999 too); a month that is no month is 400.
    for period in ("2026-09", "9999-12", "0001-01"):
        assert org.get(org.manager, "/v1/units/U1/visits", period=period).json() == {"items": [], "next_cursor": None}
    for period in ("2026-13", "2026-00", "2026-10\n", "2026-1O", "²026-10", "2026-10-01"):
        assert org.get(org.manager, "/v1/units/U1/visits", period=period).status_code == 400, period
    assert org.get(org.manager, "/v1/units/U1/visits").status_code == 400
    for limit in ("0", "1001", "²", "1e3"):
        _problem(org.get(org.manager, "/v1/units/U1/visits", period=PERIOD, limit=limit), 400, "invalid_request")


def test_visits_page_by_date_with_a_cursor_that_names_no_time(org):
    tablet = org.tablet
    days = ["2026-10-03T23:30:00+05:00", "2026-10-03T00:10:00+05:00", "2026-10-31T21:00:00+00:00"]
    extra = [tablet.revision(started_at=d, finished_at=d) for d in days]
    assert {r["status"] for r in tablet.push(org.client, extra)} == {"applied"}
    for v in extra:
        org.approve(v["submission_id"])
    seen, cursor = [], None
    while True:
        params = {"period": PERIOD, "limit": 2} | ({"cursor": cursor} if cursor else {})
        page = org.get(org.manager, "/v1/units/U1/visits", **params).json()
        seen += [(v["date"], v["submission_id"]) for v in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert not re.search(r"\d\d:\d\d|T\d\d", cursor), cursor
    # 31 October 21:00 UTC is 1 November in Almaty: another month (2026-11), not listed here.
    expected = sorted([("2026-10-03", extra[0]["submission_id"]), ("2026-10-03", extra[1]["submission_id"])])
    assert seen == [*expected, ("2026-10-15", org.visit["submission_id"])]
    # Any cursor is a place in the order, never an error.
    for cursor in ("zzz", "2026-10-10", "|", "²", "2026-10-03|" + str(uuid.uuid4())):
        assert org.get(org.manager, "/v1/units/U1/visits", period=PERIOD, cursor=cursor).status_code == 200


# --- evidence ---------------------------------------------------------------------------------------


def test_a_manager_s_photos_come_without_metadata_and_upright(org):
    original = exif_jpeg()
    assert b"ShopperCam" in original and Image.open(io.BytesIO(original)).getexif()
    response = org.get(org.manager, f"/v1/blobs/{org.photo}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "last-modified" not in response.headers and "etag" not in response.headers
    data = response.content
    assert int(response.headers["content-length"]) == len(data)
    for mark in (b"Exif", b"ShopperCam", b"SC-1", b"2026:10:15", b"ICC_PROFILE", b"http://ns.adobe.com"):
        assert mark not in data, mark
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and not image.getexif() and "exif" not in image.info
    assert image.size == (20, 40)  # stood upright as the orientation tag said
    assert image.getpixel((10, 2))[2] > 150 and image.getpixel((10, 37))[0] > 150  # the blue band is on top
    # The same request gives the same bytes (the answer may be cached as immutable).
    assert org.get(org.manager, f"/v1/blobs/{org.photo}").content == data
    # A quality lead gets the file as the auditor sent it.
    assert org.get(org.lead, f"/v1/blobs/{org.photo}").content == original
    # A PNG keeps its format and transparency but not its text.
    png = org.get(org.manager, f"/v1/blobs/{org.png}")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert b"aigerim" not in png.content and b"tEXt" not in png.content
    assert Image.open(io.BytesIO(png.content)).getpixel((0, 0)) == (0, 128, 0, 128)
    # Audio is sent as it is, without the time it was stored.
    audio = org.get(org.manager, f"/v1/blobs/{org.audio}")
    assert audio.status_code == 200 and audio.content == b"ID3\x03\x00fake mp3 frames " * 50
    assert audio.headers["content-type"] == "audio/mpeg" and "last-modified" not in audio.headers
    # A "photo" that is no picture is never sent as stored.
    _problem(org.get(org.manager, f"/v1/blobs/{org.broken}"), 409, "photo_not_viewable")
    assert org.get(org.lead, f"/v1/blobs/{org.broken}").status_code == 200


def test_evidence_is_404_outside_the_manager_s_approved_visits(org):
    for sha in (org.photo, org.audio, org.png):
        _problem(org.get(org.manager2, f"/v1/blobs/{sha}"), 404, "not_found")
    # Evidence of a visit not reviewed yet; random and malformed hashes.
    for sha in (org.hidden, "0" * 64, hashlib.sha256(b"nothing").hexdigest(), "xyz", org.photo + "%0A"):
        assert org.get(org.manager, f"/v1/blobs/{sha}").status_code == 404, sha
    assert org.get(org.lead, f"/v1/blobs/{org.hidden}").status_code == 200
    # Once the manager's unit is taken away, so is its evidence; rejected visits are not approved ones.
    assert org.client.put("/v1/users/dana.um/units", json={"units": ["U2"]}, headers=org.admin).status_code == 200
    assert org.get(org.manager, f"/v1/blobs/{org.photo}").status_code == 404
    assert org.get(org.manager, "/v1/units/U1/visits", period=PERIOD).status_code == 404


# --- appeals ----------------------------------------------------------------------------------------


def _file(org: Org, items: list[dict]) -> dict:
    body = {"submission_id": org.visit["submission_id"], "items": items}
    response = org.client.post("/v1/appeals", json=body, headers=org.manager)
    assert response.status_code == 201, response.text
    return response.json()


def test_appeal_states_and_the_manager_s_own_evidence(org):
    # The manager's own photo of the till, uploaded with tus like an auditor's, carries EXIF too.
    mine = upload(org.client, org.manager, exif_jpeg((30, 200, 30)), "image/jpeg")
    appeal = _file(org, [{"item": "GREET.1", "claim": "Кассир поздоровался первым", "evidence": [mine]}])
    (visit,) = org.get(org.manager, "/v1/units/U1/visits", period=PERIOD).json()["items"]
    assert visit["appeals"] == [{"item": "GREET.1", "appeal_id": appeal["id"], "status": "open", "outcome": None}]
    # Appeal evidence: the manager gets it re-encoded, the quality lead as sent; another unit's manager
    # and the auditor whose visit it is get nothing.
    response = org.get(org.manager, f"/v1/blobs/{mine}")
    assert response.status_code == 200 and b"ShopperCam" not in response.content
    assert b"ShopperCam" in org.get(org.lead, f"/v1/blobs/{mine}").content
    for who in (org.manager2, org.tablet.headers):
        _problem(org.get(who, f"/v1/blobs/{mine}"), 404, "not_found")
    # Decided: the item overturned, the visit approved again as changed, its state and score follow.
    before = visit["visit_score"]
    decision = {
        "items": [{"item": "GREET.1", "outcome": "overturned", "reason": "На записи видно приветствие", "value": True}]
    }
    response = org.client.post(f"/v1/appeals/{appeal['id']}/decision", json=decision, headers=org.lead)
    assert response.status_code == 200, response.text
    (visit,) = org.get(org.manager, "/v1/units/U1/visits", period=PERIOD).json()["items"]
    assert visit["appeals"] == [
        {"item": "GREET.1", "appeal_id": appeal["id"], "status": "decided", "outcome": "overturned"}
    ]
    greet = next(a for a in visit["answers"] if a["item"] == "GREET.1")
    assert (greet["value"], greet["passed"]) == (True, True) and visit["visit_score"] > before
    assert visit["visit_score"] == org.doc(org.visit["submission_id"])["scores"]["visit"]
    # A later appeal of another item is listed beside it, in the order of the answers.
    second = _file(org, [{"item": "QUEUE.1", "claim": "Очередь была короче"}])
    (visit,) = org.get(org.manager, "/v1/units/U1/visits", period=PERIOD).json()["items"]
    assert [(a["item"], a["appeal_id"], a["status"]) for a in visit["appeals"]] == [
        ("GREET.1", appeal["id"], "decided"),
        ("QUEUE.1", second["id"], "open"),
    ]


# --- figures and scorecards -------------------------------------------------------------------------


def test_figures_of_the_manager_s_own_units_on_the_approved_basis(org):
    everyone = org.get(org.lead, "/v1/scores/units", period=PERIOD).json()["items"]
    mine = org.get(org.manager, "/v1/scores/units", period=PERIOD)
    assert mine.status_code == 200, mine.text
    assert mine.json()["items"] == [u for u in everyone if u["unit_id"] == "U1"] and len(everyone) == 2
    assert org.get(org.manager, "/v1/scores/units", period=PERIOD, unit_id="U1").json()["items"] == mine.json()["items"]
    assert org.get(org.manager, "/v1/scores/units", period=PERIOD, unit_id="U2").json()["items"] == []
    _problem(
        org.get(org.manager, "/v1/scores/units", period=PERIOD, basis="provisional"),
        403,
        "approved_only",
        "query.basis",
    )
    staff = org.get(org.manager, "/v1/scores/staff", period=PERIOD).json()["items"]
    assert [s["staff_id"] for s in staff] == ["E1"] and staff[0]["n"] == 1
    assert staff == org.get(org.lead, "/v1/scores/staff", period=PERIOD, unit_id="U1").json()["items"]
    assert org.get(org.manager, "/v1/scores/staff", period=PERIOD, unit_id="U2").json()["items"] == []
    _problem(org.get(org.manager, "/v1/scores/staff", period=PERIOD, basis="provisional"), 403, "approved_only")
    for path, params in (
        ("/v1/scores/network", {"kind": "branch"}),
        ("/v1/scores/regions", {}),
        ("/v1/motivation", {}),
    ):
        _problem(org.get(org.manager, path, period=PERIOD, **params), 403, "forbidden")
    for path in ("/v1/submissions", f"/v1/submissions/{org.visit['submission_id']}", "/v1/assignments", "/v1/units"):
        _problem(org.get(org.manager, path), 403, "forbidden")
    body = {"decision": "reject", "heads": org.doc(org.pending["submission_id"])["heads"]}
    response = org.client.post(f"/v1/submissions/{org.pending['submission_id']}/review", json=body, headers=org.manager)
    _problem(response, 403, "forbidden")


def _scorecard(org: Org, body: dict, publish: bool) -> dict:
    response = org.client.post("/v1/scorecards", json=body, headers=org.lead)
    assert response.status_code == 201, response.text
    card = response.json()
    if publish:
        response = org.client.post(f"/v1/scorecards/{card['id']}/publish", headers=org.lead)
        assert response.status_code == 200, response.text
        card = response.json()
    return card


def test_published_scorecards_of_the_manager_s_units_only(org):
    unit = {"scope": "unit", "period": PERIOD}
    mine = _scorecard(org, unit | {"unit_id": "U1", "lang": "kk"}, publish=True)
    draft = _scorecard(org, unit | {"unit_id": "U1", "lang": "ru"}, publish=False)
    theirs = _scorecard(org, unit | {"unit_id": "U2", "lang": "kk"}, publish=True)
    network = _scorecard(org, {"scope": "network", "unit_kind": "branch", "period": PERIOD, "lang": "kk"}, publish=True)
    staff = _scorecard(org, {"scope": "staff", "staff_id": "E1", "period": PERIOD, "lang": "kk"}, publish=True)
    for params in ({}, {"status": "draft"}, {"unit_id": "U2"}, {"period": PERIOD}, {"status": "published"}):
        response = org.get(org.manager, "/v1/scorecards", **params)
        assert response.status_code == 200, response.text
        expected = [] if params.get("unit_id") == "U2" else [mine["id"]]
        assert [c["id"] for c in response.json()["items"]] == expected, params
    assert org.get(org.manager, f"/v1/scorecards/{mine['id']}").json() == mine
    pdf = org.get(org.manager, f"/v1/scorecards/{mine['id']}/pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.content).hexdigest() == mine["sha256"]
    for card in (draft, theirs, network, staff):
        for suffix in ("", "/pdf"):
            _problem(org.get(org.manager, f"/v1/scorecards/{card['id']}{suffix}"), 404, "not_found")
    assert [c["id"] for c in org.get(org.manager2, "/v1/scorecards").json()["items"]] == [theirs["id"]]
    _problem(org.client.post("/v1/scorecards", json=unit | {"unit_id": "U1"}, headers=org.manager), 403, "forbidden")
    _problem(org.client.post(f"/v1/scorecards/{draft['id']}/publish", headers=org.manager), 403, "forbidden")


# --- the anonymity scan -----------------------------------------------------------------------------


def _marks(org: Org, settings: Settings) -> list[str]:
    """What names the shopper: user names, the device, revisions, the assignment and the visit's times."""
    sub = org.visit["submission_id"]
    with open_store(settings) as db:
        users = [r[0] for r in db.execute("SELECT name FROM users WHERE name <> 'dana.um'").fetchall()]
        revs = [r[0] for r in db.execute("SELECT rev_id FROM revisions WHERE submission_id = ?", (sub,)).fetchall()]
    return [*users, org.tablet.device_id, *revs, "ASG-77", *org.times]


def _names(mark: str, text: str) -> bool:
    """Whether `text` holds the mark; a time of day (`22:49`) only as hours and minutes, not as the
    minutes and seconds of another moment (`16:22:49`, when a scorecard was published)."""
    if re.fullmatch(r"[0-9]{2}:[0-9]{2}", mark):
        return re.search(rf"(?<![0-9]:){mark}", text) is not None
    return mark.lower() in text.lower()


def _readable(org: Org) -> list[tuple[str, str]]:
    """(what, text) of everything the manager may read of their unit's October."""
    reads = [
        ("visits", f"/v1/units/U1/visits?period={PERIOD}"),
        ("unit scores", f"/v1/scores/units?period={PERIOD}"),
        ("staff scores", f"/v1/scores/staff?period={PERIOD}"),
        ("scorecards", "/v1/scorecards"),
        ("appeals", "/v1/appeals"),
    ]
    reads += [("appeal", f"/v1/appeals/{a['id']}") for a in org.get(org.manager, "/v1/appeals").json()["items"]]
    out = []
    for what, path in reads:
        response = org.client.get(path, headers=org.manager)
        assert response.status_code == 200, (what, response.text)
        out.append((what, response.text + " " + " ".join(response.headers.values())))
    for card in org.get(org.manager, "/v1/scorecards").json()["items"]:
        response = org.get(org.manager, card["pdf"])
        assert response.status_code == 200
        out += [(f"scorecard pdf {card['lang']}", t) for t in _pdf_texts(response.content)]
    for sha in (org.photo, org.png, org.audio):
        response = org.get(org.manager, f"/v1/blobs/{sha}")
        assert response.status_code == 200
        out.append((f"blob {sha[:8]}", response.content.decode("latin-1") + " " + " ".join(response.headers.values())))
    return out


def test_nothing_a_manager_reads_names_the_shopper_or_the_time_of_the_visit(org, settings):
    # An appeal decided (overturned) and one open, so that both are read.
    decided = _file(org, [{"item": "GREET.1", "claim": "Кассир поздоровался первым"}])
    decision = {"items": [{"item": "GREET.1", "outcome": "overturned", "reason": "Видно на записи", "value": True}]}
    response = org.client.post(f"/v1/appeals/{decided['id']}/decision", json=decision, headers=org.lead)
    assert response.status_code == 200, response.text
    _file(org, [{"item": "QUEUE.1", "claim": "Очередь была короче"}])
    for lang in ("ru", "kk", "en"):
        _scorecard(org, {"scope": "unit", "unit_id": "U1", "period": PERIOD, "lang": lang}, publish=True)
    marks = _marks(org, settings)
    assert {"aigerim.shopper", "saule.lead", "gulnara.hr", "erlan.um", "_local_admin"} <= set(marks)
    readable = _readable(org)
    leaks = [(what, m) for what, text in readable for m in marks if _names(m, text)]
    assert not leaks, leaks
    # No time of day at all in what describes the visit (the times of scorecards and appeals are of the
    # lead's and the manager's own acts).
    for what, text in readable:
        if what in ("visits", "unit scores", "staff scores"):
            assert not re.search(r"\b\d\d:\d\d\b|T\d\d:", text), (what, text[:300])
    # The control: the quality lead's view of the same visit names the shopper and the times, so the
    # scan above would have found them.
    view = org.get(org.lead, f"/v1/submissions/{org.visit['submission_id']}").text
    revisions = org.get(org.lead, f"/v1/submissions/{org.visit['submission_id']}/revisions").text
    appeal = org.get(org.lead, f"/v1/appeals/{decided['id']}").text
    found = {m for m in marks if m.lower() in (view + revisions + appeal).lower()}
    assert {"aigerim.shopper", org.tablet.device_id, "ASG-77", org.visit["rev_id"], "saule.lead"} <= found
    assert set(org.times) & found and re.search(r"T\d\d:", view)
    assert b"ShopperCam" in org.get(org.lead, f"/v1/blobs/{org.photo}").content
