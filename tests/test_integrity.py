"""Integrity flags: each rule on both sides of its threshold, and the flags of real pushes and uploads.

The pure rules (`server.integrity.flags`) get a table per flag with hand-made visits. Through HTTP,
on both stores: a unit with a place and a geofence, visits pushed by a tablet, photos uploaded with
tus, and the background checks of a real server; the flags appear on the quality lead's document,
in the queue's reasons and its `flag=` filter, send a `received` visit to `needs_review`, change no
score, and are never shown to the auditor, HR or a unit manager.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from checklists.library import policy_file
from reports.policy import Integrity
from server.integrity.flags import Place, Stop, distance_m, exif_mismatch, perfect_streak, travel, visit_flags
from tests.conftest import open_store
from tests.tablet import PASSING, Tablet
from tests.test_integrity_photos import exif_of, jpeg, scene

pytestmark = pytest.mark.integrity_checks

RULES = Integrity()
ALMATY = ZoneInfo("Asia/Almaty")
# ПСС on Abay avenue, Almaty; 0.001° of latitude is 111.2 m.
UNIT = Place(lat=43.2389, lon=76.8897, geofence_m=150)


def view(**fields) -> dict:
    base = {
        "state": "submitted",
        "started_at": "2026-10-15T06:00:00.000Z",
        "finished_at": "2026-10-15T06:30:00.000Z",
        "location": {"lat": UNIT.lat, "lon": UNIT.lon, "accuracy_m": 10},
    }
    return base | fields


def codes(flags) -> list[str]:
    return [f.code for f in flags]


# --- the rules, on both sides of each threshold ------------------------------------------------


@pytest.mark.parametrize(
    ("fix", "expected"),
    [
        ({"lat": UNIT.lat, "lon": UNIT.lon}, []),
        ({"lat": UNIT.lat + 0.0013, "lon": UNIT.lon}, []),  # 145 m: inside the 150 m fence
        ({"lat": UNIT.lat + 0.0014, "lon": UNIT.lon}, ["gps_far"]),  # 156 m
        ({"lat": UNIT.lat + 0.0014, "lon": UNIT.lon, "accuracy_m": 10}, []),  # 156 m - 10 m of accuracy
        ({"lat": UNIT.lat + 0.0020, "lon": UNIT.lon, "accuracy_m": 10}, ["gps_far"]),  # 222 - 10 > 150
        ({"lat": UNIT.lat + 0.05, "lon": UNIT.lon, "accuracy_m": 4000}, ["gps_far"]),  # 5.6 km; accuracy capped at 500
        ({"lat": UNIT.lat + 0.004, "lon": UNIT.lon, "accuracy_m": 400}, []),  # 445 m, ±400 m: cannot tell
    ],
)
def test_gps_far_against_the_geofence_and_the_fix_accuracy(fix, expected):
    flags = visit_flags(view(location=fix), UNIT, None, [], RULES)
    assert codes(flags) == expected
    if expected:
        evidence = flags[0].evidence
        assert evidence["geofence_m"] == 150
        assert evidence["distance_m"] == round(distance_m(fix["lat"], fix["lon"], UNIT.lat, UNIT.lon))


def test_a_unit_without_its_own_geofence_takes_the_policy_s():
    unit = Place(lat=UNIT.lat, lon=UNIT.lon)
    near = view(location={"lat": UNIT.lat + 0.0013, "lon": UNIT.lon})  # 145 m < 150 (the default)
    far = view(location={"lat": UNIT.lat + 0.0030, "lon": UNIT.lon})
    assert codes(visit_flags(near, unit, None, [], RULES)) == []
    assert codes(visit_flags(far, unit, None, [], Integrity(geofence_m=400))) == []
    assert codes(visit_flags(far, unit, None, [], RULES)) == ["gps_far"]


def test_gps_missing_only_where_the_unit_has_a_place():
    assert codes(visit_flags(view(location=None), UNIT, None, [], RULES)) == ["gps_missing"]
    assert codes(visit_flags(view(location=None), None, None, [], RULES)) == []  # a contact centre


@pytest.mark.parametrize(
    ("finished", "expected"),
    [
        ("2026-10-15T06:10:00.000Z", []),  # 600 s, the minimum
        ("2026-10-15T06:09:59.000Z", ["too_short"]),
        ("2026-10-15T05:59:00.000Z", ["too_short"]),  # finished before it started
    ],
)
def test_too_short_against_the_checklist_minimum(finished, expected):
    flags = visit_flags(view(finished_at=finished), UNIT, 600, [], RULES)
    assert codes(flags) == expected
    assert codes(visit_flags(view(finished_at=finished), UNIT, None, [], RULES)) == []  # no minimum, no flag


@pytest.mark.parametrize(
    ("offsets", "expected"),
    [
        ([0, 86_400_000], []),  # exactly a day
        ([0, 86_400_001], ["clock_skew"]),
        ([-86_400_001], ["clock_skew"]),  # the device ahead
        ([], []),
    ],
)
def test_clock_skew_beyond_a_day(offsets, expected):
    flags = visit_flags(view(), UNIT, None, offsets, RULES)
    assert codes(flags) == expected


def test_a_draft_raises_nothing():
    draft = view(state="draft", location=None, finished_at="2026-10-15T06:00:01.000Z")
    assert visit_flags(draft, UNIT, 600, [10**12], RULES) == []


ASTANA = (51.1694, 71.4491)
ALMATY_XY = (43.2389, 76.8897)  # 971 km from Astana


@pytest.mark.parametrize(
    ("hours", "flagged"),
    [(5.0, False), (4.9, False), (4.8, True), (1.0, True), (0.0, True), (-1.0, True)],
)
def test_impossible_travel_against_the_policy_speed(hours, flagged):
    km = distance_m(*ASTANA, *ALMATY_XY) / 1000  # 971.6 km: 200 km/h needs 4.86 h
    end = dt.datetime(2026, 10, 15, 6, 0)
    start = end + dt.timedelta(hours=hours)
    before = Stop(submission_id="a", started=end - dt.timedelta(minutes=30), finished=end, lat=ASTANA[0], lon=ASTANA[1])
    after = Stop(
        submission_id="b",
        started=start,
        finished=start + dt.timedelta(minutes=30),
        lat=ALMATY_XY[0],
        lon=ALMATY_XY[1],
    )
    flag = travel(_aware(before), _aware(after), RULES)
    assert (flag is not None) == flagged, km
    if flag is not None:
        assert flag.evidence["distance_km"] == round(km, 1)


def _aware(s: Stop) -> Stop:
    return Stop(
        submission_id=s.submission_id,
        started=s.started.replace(tzinfo=dt.UTC),
        finished=s.finished.replace(tzinfo=dt.UTC),
        lat=s.lat,
        lon=s.lon,
    )


def test_short_hops_are_gps_noise_whatever_the_speed():
    end = dt.datetime(2026, 10, 15, 6, 0, tzinfo=dt.UTC)
    a = Stop(submission_id="a", started=end, finished=end, lat=UNIT.lat, lon=UNIT.lon)
    b = Stop(submission_id="b", started=end, finished=end, lat=UNIT.lat + 0.04, lon=UNIT.lon)  # 4.4 km at once
    c = Stop(submission_id="c", started=end, finished=end, lat=UNIT.lat + 0.05, lon=UNIT.lon)  # 5.6 km at once
    assert travel(a, b, RULES) is None
    assert travel(a, c, RULES) is not None


@pytest.mark.parametrize(
    ("scores", "flagged"),
    [
        ([100.0] * 19, False),
        ([100.0] * 20, True),
        ([90.0] + [100.0] * 20, True),
        ([100.0] * 20 + [99.99], False),  # this visit is not perfect
        ([100.0] * 10 + [None] + [100.0] * 10, False),
        ([99.995] * 20, True),  # shown as 100.00
    ],
)
def test_perfect_streak_counts_the_run_that_ends_at_the_visit(scores, flagged):
    flag = perfect_streak(scores, RULES)
    assert (flag is not None) == flagged
    if flag is not None:
        assert flag.evidence["streak"] >= 20


START = dt.datetime(2026, 10, 15, 11, 0, tzinfo=ALMATY)  # 06:00 UTC
END = START + dt.timedelta(minutes=30)


@pytest.mark.parametrize(
    ("taken", "flagged"),
    [
        ("2026-10-15T11:10:00", False),  # during the visit, local time
        ("2026-10-15T09:00:00", False),  # 120 min before: the tolerance
        ("2026-10-15T08:59:00", True),
        ("2026-10-15T13:30:00", False),
        ("2026-10-15T13:31:00", True),
        ("2026-10-15T06:10:00+00:00", False),  # with an offset: 11:10 in Almaty
        ("2026-10-14T06:10:00+00:00", True),
        ("2025-01-01T12:00:00", True),
        ("not a time", False),
    ],
)
def test_exif_time_against_the_visit_span(taken, flagged):
    assert (exif_mismatch(taken, START, END, ALMATY, RULES) is not None) == flagged


# --- through HTTP, with the background checks of the server ---------------------------------------

UNIT_BODY = {
    "kind": "branch",
    "name": "ПСС Алматы, Абая 109",
    "region": "Алматы",
    "location": {"lat": UNIT.lat, "lon": UNIT.lon},
    "geofence_m": 150,
}
TUS = {"Tus-Resumable": "1.0.0"}
OCTOBER = "2026-10-15T11:00:00+05:00"


def settle(settings, timeout: float = 20.0) -> None:
    """Wait until no integrity check waits or runs."""

    def idle() -> bool:
        with open_store(settings) as store:
            return store.execute("SELECT count(*) FROM integrity_tasks").fetchone()[0] == 0

    assert wait_for(idle, timeout), "the integrity checks did not finish"


def wait_for(read, timeout: float = 20.0):
    """Poll until `read()` gives something true (the checks run in the server's background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


class World:
    def __init__(self, client, users, settings) -> None:
        self.client, self.settings = client, settings
        admin = users["admin"]
        for unit, staff in (("U1", "E1"), ("U2", "E2")):
            body = UNIT_BODY | ({} if unit == "U1" else {"location": {"lat": ASTANA[0], "lon": ASTANA[1]}})
            assert client.put(f"/v1/units/{unit}", json=body, headers=admin).status_code == 200
            person = {"name": "Нұрланова Әлия", "unit_id": unit}
            assert client.put(f"/v1/staff/{staff}", json=person, headers=admin).status_code == 200
        self.lead, self.hr, self.auditor = users["quality_lead"], users["hr"], users["auditor"]
        self.tablet = Tablet(users["auditor"])

    def push(self, answers=PASSING, **fields) -> str:
        fields.setdefault("started_at", OCTOBER)
        fields.setdefault("location", {"lat": UNIT.lat, "lon": UNIT.lon, "accuracy_m": 8})
        revision = self.tablet.revision(answers=answers, **fields)
        receipt = self.tablet.push(self.client, [revision])[0]
        assert receipt["status"] == "applied", receipt
        return revision["submission_id"]

    def doc(self, sub: str, headers: dict | None = None) -> dict:
        response = self.client.get(f"/v1/submissions/{sub}", headers=headers or self.lead)
        assert response.status_code == 200, response.text
        return response.json()

    def flags(self, sub: str) -> list[str]:
        return [f["code"] for f in self.doc(sub)["integrity_flags"]]

    def upload(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        meta = (
            f"sha256 {base64.b64encode(sha.encode()).decode()},content_type {base64.b64encode(b'image/jpeg').decode()}"
        )
        headers = self.auditor | TUS
        created = self.client.post(
            "/v1/uploads", headers=headers | {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
        )
        assert created.status_code == 201, created.text
        chunk = {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"}
        sent = self.client.patch(created.headers["location"], headers=headers | chunk, content=data)
        assert sent.status_code == 204, sent.text
        return sha


@pytest.fixture
def world(client, users, settings, example_checklist, default_policy) -> World:
    return World(client, users, settings)


def test_a_fix_far_from_the_unit_is_flagged_for_review_and_keeps_its_score(world):
    near = world.push()
    far = world.push(location={"lat": UNIT.lat + 0.01, "lon": UNIT.lon, "accuracy_m": 8})  # 1.1 km
    assert world.doc(near)["status"] == "received"
    doc = world.doc(far)
    assert doc["status"] == "needs_review"
    assert doc["scores"] == world.doc(near)["scores"]  # a flag changes no score
    (flag,) = doc["integrity_flags"]
    assert flag["code"] == "gps_far"
    assert flag["evidence"]["distance_m"] == round(distance_m(UNIT.lat + 0.01, UNIT.lon, UNIT.lat, UNIT.lon))
    assert "1112 m from the unit" in flag["detail"]


def test_no_flag_is_shown_to_the_auditor_hr_or_a_unit_manager(world, client, users):
    far = world.push(location={"lat": UNIT.lat + 0.01, "lon": UNIT.lon})
    mine = world.doc(far, world.auditor)
    assert "integrity_flags" not in mine
    assert "gps" not in str(mine)
    changes, _ = world.tablet.pull_all(client)
    assert "gps_far" not in str(changes) and "integrity_flags" not in str(changes)
    listed = client.get("/v1/submissions", headers=world.auditor).json()
    assert "integrity" not in str(listed) and "gps" not in str(listed)
    refused = client.get("/v1/submissions", params={"flag": "any"}, headers=world.auditor)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert client.get(f"/v1/submissions/{far}", headers=world.hr).status_code == 403
    # A unit manager reads the approved visit, never why it was questioned.
    heads = world.doc(far)["heads"]
    approve = {"decision": "approve", "heads": heads}
    assert client.post(f"/v1/submissions/{far}/review", json=approve, headers=world.lead).status_code == 200
    body = {"name": "marat", "role": "unit_manager", "units": ["U1"]}
    manager = {"Authorization": "Bearer " + client.post("/v1/users", json=body, headers=users["admin"]).json()["token"]}
    seen = client.get("/v1/units/U1/visits", params={"period": "2026-10"}, headers=manager)
    assert seen.status_code == 200 and [v["submission_id"] for v in seen.json()["items"]] == [far]
    assert "gps" not in seen.text and "integrity" not in seen.text
    assert client.get(f"/v1/submissions/{far}", headers=manager).status_code == 403
    for role in ("hr", "auditor"):
        assert client.get("/v1/integrity/auditors", headers=users[role]).status_code == 403


def test_the_queue_names_the_flags_and_filters_on_them(world, client):
    far = world.push(location={"lat": UNIT.lat + 0.01, "lon": UNIT.lon})
    plain = world.push()
    rows = {r["submission_id"]: r for r in client.get("/v1/submissions", headers=world.lead).json()["items"]}
    assert "integrity flags: gps_far" in rows[far]["reasons"]
    assert not any("integrity" in r for r in rows[plain]["reasons"])
    for flag, expected in (("gps_far", {far}), ("any", {far}), ("photo_reused", set())):
        page = client.get("/v1/submissions", params={"flag": flag}, headers=world.lead).json()
        assert {r["submission_id"] for r in page["items"]} == expected
    bad = client.get("/v1/submissions", params={"flag": "gps_far\n"}, headers=world.lead)
    assert bad.status_code == 400


def test_a_device_clock_days_off_raises_clock_skew(world, users):
    skewed = Tablet(users["auditor"], clock_skew=dt.timedelta(days=3))
    world.tablet = skewed
    sub = world.push()
    assert world.flags(sub) == ["clock_skew"]
    assert world.doc(sub)["status"] == "needs_review"


def test_the_same_photo_in_two_visits_flags_both(world):
    photo = world.upload(jpeg(scene(1)))
    answers = PASSING | {"CLEAN.2": None}

    def with_photo() -> str:
        revision = world.tablet.revision(answers=answers, started_at=OCTOBER)
        revision["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
        for a in revision["answers"]:
            if a["item"] == "CLEAN.2":
                a["evidence"] = [photo]
        assert world.tablet.push(world.client, [revision])[0]["status"] == "applied"
        return revision["submission_id"]

    first = with_photo()
    assert world.doc(first)["status"] == "received"
    second = with_photo()
    assert wait_for(lambda: "photo_reused" in world.flags(first)), world.doc(first)
    assert wait_for(lambda: "photo_reused" in world.flags(second))
    flag = next(f for f in world.doc(second)["integrity_flags"] if f["code"] == "photo_reused")
    assert flag["evidence"] == {"other_submission_id": first, "photos": [photo]}
    assert wait_for(lambda: world.doc(first)["status"] == "needs_review")


def test_a_reencoded_copy_is_similar_and_another_scene_is_not(world):
    original = jpeg(scene(7))
    small = scene(7).resize((576, 432), Image.LANCZOS)
    copy, other = world.upload(jpeg(small, quality=70)), world.upload(jpeg(scene(8)))
    first = world.upload(original)

    def with_photo(photo: str) -> str:
        revision = world.tablet.revision(answers=PASSING | {"CLEAN.2": None}, started_at=OCTOBER)
        revision["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
        for a in revision["answers"]:
            if a["item"] == "CLEAN.2":
                a["evidence"] = [photo]
        assert world.tablet.push(world.client, [revision])[0]["status"] == "applied"
        return revision["submission_id"]

    a, b, c = with_photo(first), with_photo(copy), with_photo(other)
    assert wait_for(lambda: "photo_similar" in world.flags(b))
    flag = next(f for f in world.doc(b)["integrity_flags"] if f["code"] == "photo_similar")
    assert flag["evidence"]["other_submission_id"] == a
    assert flag["evidence"]["pairs"][0]["distance"] <= RULES.photo_distance
    assert wait_for(lambda: "photo_similar" in world.flags(a))
    settle(world.settings)  # the unrelated scene's visit was checked too, and nothing found
    assert "photo_similar" not in world.flags(c)
    with open_store(world.settings) as store:
        read = store.execute("SELECT count(*) FROM photo_hashes WHERE phash IS NOT NULL").fetchone()[0]
    assert read == 3


def test_exif_capture_time_far_from_the_visit_is_flagged(world):
    old = exif_of(sub={0x9003: "2026:10:13 11:05:00"})  # two days before the visit
    photo = world.upload(jpeg(scene(3), exif=old))
    revision = world.tablet.revision(answers=PASSING | {"CLEAN.2": None}, started_at=OCTOBER)
    revision["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
    for a in revision["answers"]:
        if a["item"] == "CLEAN.2":
            a["evidence"] = [photo]
    assert world.tablet.push(world.client, [revision])[0]["status"] == "applied"
    sub = revision["submission_id"]
    assert wait_for(lambda: "exif_time_mismatch" in world.flags(sub))
    flag = next(f for f in world.doc(sub)["integrity_flags"] if f["code"] == "exif_time_mismatch")
    assert flag["evidence"]["photos"][0]["taken"] == "2026-10-13T11:05:00"


def test_a_copied_comment_flags_both_visits_and_a_short_one_does_not(world):
    long = (
        "Сотрудник не поздоровался, смотрел в телефон и не предложил помощь при входе в зал;"
        " талон выдал молча и ушёл в подсобку."
    )

    def with_comment(comment: str) -> str:
        revision = world.tablet.revision(started_at=OCTOBER)
        revision["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
        revision["answers"][0]["comment"] = comment
        assert world.tablet.push(world.client, [revision])[0]["status"] == "applied"
        return revision["submission_id"]

    a = with_comment(long)
    b = with_comment(long.replace("смотрел", "глядел").upper())
    short_a, short_b = with_comment("Всё хорошо, спасибо."), with_comment("Всё хорошо, спасибо.")
    assert wait_for(lambda: "comment_copied" in world.flags(b))
    assert wait_for(lambda: "comment_copied" in world.flags(a))
    flag = next(f for f in world.doc(b)["integrity_flags"] if f["code"] == "comment_copied")
    assert flag["evidence"]["other_submission_id"] == a
    assert flag["evidence"]["items"][0]["item"] == "GREET.1"
    assert "comment_copied" not in world.flags(short_a) and "comment_copied" not in world.flags(short_b)


def test_two_visits_too_far_apart_for_the_time_between_them(world):
    morning = world.push(started_at="2026-10-15T09:00:00+05:00", finished_at="2026-10-15T09:30:00+05:00")
    # An hour later in Astana (unit U2), 971 km away.
    noon = world.push(
        started_at="2026-10-15T10:30:00+05:00",
        finished_at="2026-10-15T11:00:00+05:00",
        unit_id="U2",
        staff_ids=["E2"],
        location={"lat": ASTANA[0], "lon": ASTANA[1]},
    )
    assert wait_for(lambda: "impossible_travel" in world.flags(noon))
    assert wait_for(lambda: "impossible_travel" in world.flags(morning))
    flag = next(f for f in world.doc(noon)["integrity_flags"] if f["code"] == "impossible_travel")
    assert flag["evidence"]["from_submission_id"] == morning and flag["evidence"]["to_submission_id"] == noon


def test_a_perfect_streak_at_the_policy_length(world, client, users):
    policy = client.get("/v1/policies", headers=users["admin"]).json()
    assert policy  # the default policy (perfect_streak 20)
    subs = [
        world.push(started_at=f"2026-10-{day:02d}T11:00:00+05:00", finished_at=f"2026-10-{day:02d}T11:30:00+05:00")
        for day in range(1, 21)
    ]
    assert wait_for(lambda: "perfect_streak" in world.flags(subs[-1]))
    assert "perfect_streak" not in world.flags(subs[-2])


def test_a_rebuild_recomputes_the_flags_under_a_new_policy(world, client, users):
    first = world.push(started_at="2026-10-01T11:00:00+05:00", finished_at="2026-10-01T11:30:00+05:00")
    second = world.push(started_at="2026-10-02T11:00:00+05:00", finished_at="2026-10-02T11:30:00+05:00")
    settle(world.settings)
    assert world.flags(second) == []
    strict = policy_file().read_text("utf-8").replace("version = 1", "version = 2", 1)
    strict += "\n[integrity]\nperfect_streak = 2\n"
    published = client.post(
        "/v1/policies", content=strict.encode(), headers=users["admin"] | {"Content-Type": "application/toml"}
    )
    assert published.status_code == 201, published.text
    assert world.flags(second) == []  # a policy changes no flag by itself: a rebuild recomputes them
    rebuilt = client.post("/v1/admin/rebuild", headers=users["admin"])
    assert rebuilt.status_code == 200, rebuilt.text
    assert wait_for(lambda: world.flags(second) == ["perfect_streak"]), world.doc(second)
    assert world.flags(first) == []
    assert world.doc(second)["status"] == "needs_review"


def test_a_policy_with_a_bad_threshold_is_refused_with_its_path(client, users):
    bad = (
        policy_file().read_text("utf-8").replace("version = 1", "version = 2", 1)
        + "\n[integrity]\nphoto_distance = 11\n"
    )
    response = client.post(
        "/v1/policies", content=bad.encode(), headers=users["admin"] | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 400, response.text
    assert "integrity.photo_distance" in response.text


def test_a_new_minimum_duration_shows_in_the_checklist_diff():
    import msgspec

    from checklists.diff import diff_versions
    from checklists.validate import load_checklist
    from tests.conftest import EXAMPLE_CHECKLIST

    old = load_checklist(EXAMPLE_CHECKLIST.read_bytes()).checklist
    new = msgspec.structs.replace(old, version=old.version + 1, min_duration_s=600)
    (change,) = diff_versions(old, new)
    assert (change.what, change.how, change.fields) == ("checklist", "changed", ["min_duration_s"])
    assert (change.old, change.new) == ({"min_duration_s": None}, {"min_duration_s": 600})


# --- the queue of checks: claimed once, whatever claims at once ----------------------------------


def test_two_claimers_at_once_never_take_the_same_check(engine, database_url, tmp_path):
    """Two processes' claims in open transactions at the same moment: on PostgreSQL the second skips
    the rows the first locked (`SKIP LOCKED`); on SQLite the one writer makes them one after the other.
    Either way each check is held by one claimer, and a lease that ran out is claimed again."""
    from server import pg
    from server.db import migrate, plain_connection
    from server.store import integrity as tasks

    def connect():
        if database_url:
            return pg.connect(database_url)
        conn = plain_connection(tmp_path / "db.sqlite3")
        migrate(conn)
        return conn

    first, second = connect(), connect()
    try:
        first.execute("BEGIN")
        first.execute("INSERT INTO users (name, role, created_at) VALUES ('a', 'auditor', '2026-10-15')")
        rows = [(f"00000000-0000-4000-8000-{n:012d}",) for n in range(6)]
        first.executemany(
            "INSERT INTO submissions (submission_id, auditor, created_at) VALUES (?, 'a', '2026-10-15')", rows
        )
        tasks.enqueue(first, [r[0] for r in rows], "2026-10-15T06:00:00.000Z")
        first.execute("COMMIT")
        now, until = "2026-10-15T06:00:01.000Z", "2026-10-15T06:02:01.000Z"
        first.execute("BEGIN")
        mine = tasks.claim(first, "one", now, until, 4, 5)
        if database_url:  # the first claim's transaction is still open: its rows are locked
            second.execute("BEGIN")
            theirs = tasks.claim(second, "two", now, until, 4, 5)
            first.execute("COMMIT")
            second.execute("COMMIT")
        else:
            first.execute("COMMIT")
            second.execute("BEGIN")
            theirs = tasks.claim(second, "two", now, until, 4, 5)
            second.execute("COMMIT")
        held = [t.submission_id for t in mine] + [t.submission_id for t in theirs]
        assert len(mine) == 4 and len(theirs) == 2 and len(set(held)) == 6
        # "one" died: once its lease ran out, its checks are claimed again (and counted as attempts).
        later = "2026-10-15T06:03:00.000Z"
        second.execute("BEGIN")
        again = tasks.claim(second, "two", later, "2026-10-15T06:05:00.000Z", 10, 5)
        second.execute("COMMIT")
        assert sorted(t.submission_id for t in again) == sorted(t.submission_id for t in mine + theirs)
        assert {t.attempts for t in again} == {2}
    finally:
        for conn in (first, second):
            conn.close()


def test_a_photo_uploaded_after_the_push_is_checked_when_it_arrives(world):
    taken_before = jpeg(scene(5), exif=exif_of(sub={0x9003: "2026:10:12 09:00:00"}))
    sha = hashlib.sha256(taken_before).hexdigest()
    revision = world.tablet.revision(answers=PASSING | {"CLEAN.2": None}, started_at=OCTOBER)
    revision["location"] = {"lat": UNIT.lat, "lon": UNIT.lon}
    for a in revision["answers"]:
        if a["item"] == "CLEAN.2":
            a["evidence"] = [sha]
    (receipt,) = world.tablet.push(world.client, [revision])
    assert receipt["missing_blobs"] == [sha]
    sub = revision["submission_id"]
    settle(world.settings)
    assert world.doc(sub)["status"] == "awaiting_evidence" and world.flags(sub) == []
    assert world.upload(taken_before) == sha
    assert wait_for(lambda: world.flags(sub) == ["exif_time_mismatch"]), world.doc(sub)
    assert world.doc(sub)["status"] == "needs_review"
