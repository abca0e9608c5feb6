"""The console's visit page `/review/{id}`, its acts, evidence and `/quarantine`, through the real app.

Every act is checked through the API as well (`GET /v1/submissions/{id}`, a tablet's pull), since
the console must change exactly what the API would.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import make_user
from tests.tablet import Tablet

PASSWORD = "correct horse battery staple"
PHOTO = b"\xff\xd8\xff\xe0" + b"a photo of the hall" * 50
AUDIO = b"OggS" + b"a recording" * 40
TOKEN_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client, admin: dict[str, str], name: str) -> str:
    """Set the user's password (admin API), sign in through `/login`; the session's CSRF token."""
    client.cookies.clear()
    response = client.put(f"/v1/users/{name}/password", json={"password": PASSWORD}, headers=admin)
    assert response.status_code == 204, response.text
    form = client.get("/login")
    token = TOKEN_FIELD.search(form.text).group(1)
    response = client.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def csrf_of(page: str) -> str:
    return html.unescape(TOKEN_FIELD.search(page).group(1))


def heads_field(page: str, form_action: str) -> str:
    """The hidden `heads` of the form posting to `form_action`."""
    start = page.index(f'action="{form_action}"')
    return html.unescape(re.search(r'name="heads" value="([^"]*)"', page[start:]).group(1))


def query_of(response) -> dict[str, list[str]]:
    return parse_qs(urlsplit(response.headers["location"]).query)


def upload(client, headers: dict[str, str], data: bytes, content_type: str) -> str:
    sha = hashlib.sha256(data).hexdigest()
    b64 = [base64.b64encode(v.encode()).decode() for v in (sha, content_type)]
    meta = f"sha256 {b64[0]},content_type {b64[1]}"
    tus = {"Tus-Resumable": "1.0.0"}
    created = client.post(
        "/v1/uploads", headers=headers | tus | {"Upload-Length": str(len(data)), "Upload-Metadata": meta}
    )
    assert created.status_code == 201, created.text
    patched = client.patch(
        created.headers["location"],
        headers=headers | tus | {"Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"},
        content=data,
    )
    assert patched.status_code == 204, patched.text
    return sha


@pytest.fixture
def org(client, admin, example_checklist, default_policy):
    client.put("/v1/units/U1", json={"kind": "branch", "name": "Алматы ПСС-14", "region": "Алматы"}, headers=admin)
    client.put("/v1/staff/E1", json={"name": "Нұрланова Әлия", "unit_id": "U1"}, headers=admin)
    auditor = make_user(client, admin, "aigerim", "auditor")
    make_user(client, admin, "saule", "quality_lead")
    make_user(client, admin, "erlan", "quality_lead")
    make_user(client, admin, "dana", "hr")
    make_user(client, admin, "boss", "admin")
    return {"tablet": Tablet(auditor), "auditor": auditor, "admin": admin}


def submit(client, tablet: Tablet, **fields) -> dict:
    revision = tablet.revision(**fields)
    (receipt,) = tablet.push(client, [revision])
    assert receipt["status"] == "applied", receipt
    return revision


def api_doc(client, admin, submission_id: str) -> dict:
    response = client.get(f"/v1/submissions/{submission_id}", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


# --- the page ------------------------------------------------------------------------------------


def test_the_page_shows_header_answers_evidence_and_history(client, admin, org):
    tablet = org["tablet"]
    photo = upload(client, org["auditor"], PHOTO, "image/jpeg")
    audio = upload(client, org["auditor"], AUDIO, "audio/ogg")
    never = hashlib.sha256(b"never uploaded").hexdigest()
    revision = tablet.revision()
    revision["answers"].append({"item": "CLEAN.2", "evidence": [photo, never]})
    revision["answers"].append({"item": "NOTES.1", "value": "в зале шумно", "evidence": [audio]})
    revision["answers"][0]["comment"] = "поздоровалась первой"
    tablet.push(client, [revision])
    sid = revision["submission_id"]
    sign_in(client, admin, "saule")

    page = client.get(f"/review/{sid}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Алматы ПСС-14" in text and "Пункт сети сервиса (ПСС)" in text  # unit and kind
    assert "Пример" in text and "<code>example</code>" in text and "версия 1" in text  # checklist
    assert "Asia/Almaty" in text  # times in the organisation's zone, named
    assert 'data-testid="auditor">aigerim<' in text
    assert 'data-status="awaiting_evidence"' in text and "ожидает фото и записи" in text
    assert "Нұрланова Әлия" in text  # the person score's staff member
    # answers grouped by standard, titles and questions in the user's language, results in words
    assert text.index("Приветствие") < text.index("Поздоровался?") < text.index("Очередь") < text.index("Ожидание")
    assert 'data-outcome="pass"' in text and "выполнен" in text
    assert "поздоровалась первой" in text
    # evidence: a thumbnail linking to the full photo, a player for the recording, a missing file marked
    assert f'<a href="/evidence/{photo}" class="thumb"' in text and f'<img src="/evidence/{photo}"' in text
    assert f'<audio controls preload="none" src="/evidence/{audio}"' in text
    assert 'data-testid="evidence-missing"' in text and never[:8] in text
    # the history: one revision, its device and rank
    assert text.count('data-testid="revision"') == 1
    assert tablet.device_id[:8] in text and "аудитор" in text
    # the page carries the heads it shows, for its forms
    assert heads_field(text, f"/review/{sid}/decision") == revision["rev_id"]

    full = client.get(f"/evidence/{photo}")
    assert full.status_code == 200 and full.content == PHOTO
    assert full.headers["content-type"].startswith("image/jpeg")
    assert full.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/evidence/{never}").status_code == 404
    assert client.get("/evidence/not-a-hash").status_code == 404


def test_the_page_reads_in_the_viewers_language(client, admin, org):
    revision = submit(client, org["tablet"])
    csrf = sign_in(client, admin, "saule")
    client.post("/language", data={"csrf_token": csrf, "lang": "kk", "next": "/"})
    text = client.get(f"/review/{revision['submission_id']}").text
    assert "Сәлемдесу" in text and "Сәлемдесті ме?" in text and "Тексеру сапары" in text
    assert "Приветствие" not in text


def test_an_unknown_visit_is_the_404_page(client, admin, org):
    sign_in(client, admin, "saule")
    assert client.get(f"/review/{uuid.uuid4()}").status_code == 404
    assert client.get("/review/<script>").status_code == 404


def test_two_revisions_are_compared_field_by_field(client, admin, org):
    tablet = org["tablet"]
    first = submit(client, tablet)
    second = tablet.edit(first, answers={**dict(_answers(first)), "GREET.2": 2})
    tablet.push(client, [second])
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{first['submission_id']}", params={"a": first["rev_id"], "b": second["rev_id"]}).text
    table = text.split('data-testid="diff-table"')[1].split("</table>")[0]
    assert "GREET.2 Вежливость" in table and "<td>5</td><td>2</td>" in table
    assert "GREET.1" not in table  # unchanged fields are not listed


def _answers(revision: dict) -> list[tuple[str, object]]:
    return [(a["item"], a["value"]) for a in revision["answers"]]


def test_the_page_says_who_else_has_it_open(client, admin, org):
    revision = submit(client, org["tablet"])
    sid = revision["submission_id"]
    sign_in(client, admin, "erlan")
    assert 'data-testid="open-by"' not in client.get(f"/review/{sid}").text  # nobody else yet
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}").text
    assert 'data-testid="open-by"' in text and "erlan" in text.split('data-testid="open-by"')[1].split("</p>")[0]


# --- decisions -----------------------------------------------------------------------------------


def test_approve_through_the_page(client, admin, org):
    revision = submit(client, org["tablet"])
    sid = revision["submission_id"]
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}").text
    response = client.post(
        f"/review/{sid}/decision",
        data={
            "csrf_token": csrf_of(text),
            "heads": heads_field(text, f"/review/{sid}/decision"),
            "decision": "approve",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and query_of(response)["done"] == ["approved"]
    doc = api_doc(client, admin, sid)
    assert doc["status"] == "approved" and doc["review"]["reviewer"] == "saule"
    page = client.get(response.headers["location"]).text
    assert 'data-testid="flash"' in page and 'data-status="approved"' in page


def test_a_rejection_needs_a_comment(client, admin, org):
    revision = submit(client, org["tablet"])
    sid = revision["submission_id"]
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}").text
    form = {"csrf_token": csrf_of(text), "heads": heads_field(text, f"/review/{sid}/decision"), "decision": "reject"}
    response = client.post(f"/review/{sid}/decision", data=form | {"comment": "   "}, follow_redirects=False)
    assert response.status_code == 303 and query_of(response)["error"] == ["comment_required"]
    assert api_doc(client, admin, sid)["status"] == "received"  # nothing changed
    assert "напишите комментарий" in client.get(response.headers["location"]).text

    response = client.post(f"/review/{sid}/decision", data=form | {"comment": "нет фото зала"}, follow_redirects=False)
    assert query_of(response)["done"] == ["rejected"]
    doc = api_doc(client, admin, sid)
    assert doc["status"] == "rejected" and doc["review"]["comment"] == "нет фото зала"
    # the latest decision and its comment are in the header; changing it supersedes it explicitly
    text = client.get(f"/review/{sid}").text
    assert "нет фото зала" in text.split('data-testid="latest-decision"')[1].split("</dd>")[0]
    form = {"csrf_token": csrf_of(text), "heads": heads_field(text, f"/review/{sid}/decision"), "decision": "approve"}
    form["supersedes"] = re.search(r'name="supersedes" value="(\d+)"', text).group(1)
    response = client.post(f"/review/{sid}/decision", data=form, follow_redirects=False)
    assert query_of(response)["done"] == ["approved"] and api_doc(client, admin, sid)["status"] == "approved"


def test_a_decision_on_stale_heads_shows_what_changed_and_applies_nothing(client, admin, org):
    tablet = org["tablet"]
    first = submit(client, tablet)
    sid = first["submission_id"]
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}").text
    seen = heads_field(text, f"/review/{sid}/decision")
    # the auditor changes an answer while the lead looks at the page
    tablet.push(client, [tablet.edit(first, answers={**dict(_answers(first)), "GREET.2": 3})])

    response = client.post(
        f"/review/{sid}/decision",
        data={"csrf_token": csrf_of(text), "heads": seen, "decision": "approve"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and query_of(response)["stale"] == [seen]
    assert api_doc(client, admin, sid)["status"] == "received"  # nothing was applied
    page = client.get(response.headers["location"]).text
    notice = page.split('data-testid="changed"')[1].split("</section>")[0]
    assert "Визит изменился" in notice and "GREET.2 Вежливость" in notice and "<td>5</td><td>3</td>" in notice
    # deciding again, on the heads now shown, works
    now = heads_field(page, f"/review/{sid}/decision")
    assert now != seen
    response = client.post(
        f"/review/{sid}/decision",
        data={"csrf_token": csrf_of(page), "heads": now, "decision": "approve"},
        follow_redirects=False,
    )
    assert query_of(response)["done"] == ["approved"] and api_doc(client, admin, sid)["status"] == "approved"


def test_a_decision_without_the_csrf_token_changes_nothing(client, admin, org):
    revision = submit(client, org["tablet"])
    sid = revision["submission_id"]
    sign_in(client, admin, "saule")
    response = client.post(
        f"/review/{sid}/decision", data={"heads": revision["rev_id"], "decision": "approve"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert api_doc(client, admin, sid)["status"] == "received"


# --- conflicts and corrections --------------------------------------------------------------------


def second_tablet(client, admin, tablet: Tablet) -> Tablet:
    """The same auditor on another tablet: a second token, used from another device."""
    response = client.post("/v1/users/aigerim/tokens", headers=admin)
    assert response.status_code == 201, response.text
    other = Tablet({"Authorization": f"Bearer {response.json()['token']}", "Tekseru-Device-Id": str(uuid.uuid4())})
    other.visit_times = tablet.visit_times
    return other


def make_conflict(client, admin, tablet: Tablet) -> tuple[dict, dict, dict]:
    root = submit(client, tablet)
    other = second_tablet(client, admin, tablet)
    answers = dict(_answers(root))
    one = tablet.edit(root, answers={**answers, "GREET.2": 4})
    one["answers"][0]["comment"] = "с первого планшета"
    two = other.edit(root, answers={**answers, "GREET.2": 2})
    two["hlc"] = other.hlc()
    two["answers"][0]["comment"] = "со второго планшета"
    tablet.push(client, [one])
    (receipt,) = other.push(client, [two])
    assert receipt["status"] == "merged", receipt
    return root, one, two


def test_conflicts_are_resolved_with_one_reviewer_revision_on_every_head(client, admin, org):
    tablet = org["tablet"]
    root, one, two = make_conflict(client, admin, tablet)
    sid = root["submission_id"]
    doc = api_doc(client, admin, sid)
    assert len(doc["heads"]) == 2 and {c["field"] for c in doc["conflicts"]} == {
        "answers[GREET.1].comment",
        "answers[GREET.2].value",
    }
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}").text
    conflicts = text.split('id="conflicts"')[1].split("</section>")[0]
    assert conflicts.count('data-testid="conflict"') == 2
    assert "с первого планшета" in conflicts and "со второго планшета" in conflicts and "aigerim" in conflicts

    form = {"csrf_token": csrf_of(text), "heads": heads_field(text, f"/review/{sid}/resolve"), "note": "сверено"}
    for i, conflict in enumerate(doc["conflicts"]):
        assert f'name="field_{i}" value="{conflict["field"]}"' in text
        form[f"field_{i}"] = conflict["field"]
        if conflict["field"] == "answers[GREET.2].value":
            # pick the losing value: the one the page lists second
            form[f"pick_{i}"] = "1"
            wanted = conflict["losing"][0]["value"][0]
        else:
            form[f"pick_{i}"] = "custom"
            form[f"custom_{i}"] = "сверено по записи"
    response = client.post(f"/review/{sid}/resolve", data=form, follow_redirects=False)
    assert response.status_code == 303 and query_of(response)["done"] == ["resolved"], response.headers["location"]

    doc = api_doc(client, admin, sid)
    assert len(doc["heads"]) == 1 and doc["conflicts"] == []
    answers = {a["item"]: a for a in doc["view"]["answers"]}
    assert answers["GREET.2"]["value"] == wanted and answers["GREET.1"]["comment"] == "сверено по записи"
    revisions = client.get(f"/v1/submissions/{sid}/revisions", headers=admin).json()["items"]
    resolving = next(r for r in revisions if r["rank"] == "reviewer")
    assert sorted(resolving["parents"]) == sorted([one["rev_id"], two["rev_id"]])
    assert resolving["author"] == "saule" and resolving["rev_id"] == doc["heads"][0]
    assert "сверено" in client.get(f"/review/{sid}").text  # the note, in the history


def test_a_resolution_on_stale_heads_applies_nothing(client, admin, org):
    tablet = org["tablet"]
    root, one, _ = make_conflict(client, admin, tablet)
    sid = root["submission_id"]
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}").text
    seen = heads_field(text, f"/review/{sid}/resolve")
    tablet.push(client, [tablet.edit(one, answers={**dict(_answers(one)), "QUEUE.1": 100})])
    form = {"csrf_token": csrf_of(text), "heads": seen}
    for i in range(2):
        form[f"field_{i}"] = re.search(rf'name="field_{i}" value="([^"]+)"', text).group(1)
        form[f"pick_{i}"] = "0"
    response = client.post(f"/review/{sid}/resolve", data=form, follow_redirects=False)
    assert query_of(response)["stale"] == [seen]
    assert not any(
        r["rank"] == "reviewer" for r in client.get(f"/v1/submissions/{sid}/revisions", headers=admin).json()["items"]
    )


def test_a_correction_is_a_reviewer_revision_the_tablet_pulls(client, admin, org):
    tablet = org["tablet"]
    revision = submit(client, tablet)
    sid = revision["submission_id"]
    _, cursor = tablet.pull_all(client)
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}", params={"edit": "GREET.1"}).text
    assert 'data-testid="correct-form"' in text
    form = {
        "csrf_token": csrf_of(text),
        "heads": heads_field(text, f"/review/{sid}/correct"),
        "item": "GREET.1",
        "value": "false",
        "comment": "на записи приветствия нет",
    }
    response = client.post(f"/review/{sid}/correct", data=form, follow_redirects=False)
    assert query_of(response)["error"] == ["note_required"]  # a correction needs its note
    assert (
        len(api_doc(client, admin, sid)["heads"]) == 1 and api_doc(client, admin, sid)["heads"][0] == revision["rev_id"]
    )

    response = client.post(f"/review/{sid}/correct", data=form | {"note": "сверено с аудио"}, follow_redirects=False)
    assert query_of(response)["done"] == ["corrected"], response.headers["location"]
    doc = api_doc(client, admin, sid)
    answer = next(a for a in doc["view"]["answers"] if a["item"] == "GREET.1")
    assert answer["value"] is False and answer["comment"] == "на записи приветствия нет"
    # the auditor's tablet learns of it on its next pull
    changes, _ = tablet.pull_all(client, cursor)
    pulled = [c for c in changes if c["kind"] == "submission" and c["id"] == sid]
    assert pulled, changes
    answer = next(a for a in pulled[-1]["data"]["view"]["answers"] if a["item"] == "GREET.1")
    assert answer["value"] is False


def test_a_correction_with_a_value_the_item_cannot_hold_stores_nothing(client, admin, org):
    revision = submit(client, org["tablet"])
    sid = revision["submission_id"]
    sign_in(client, admin, "saule")
    text = client.get(f"/review/{sid}", params={"edit": "GREET.2"}).text
    form = {
        "csrf_token": csrf_of(text),
        "heads": heads_field(text, f"/review/{sid}/correct"),
        "item": "GREET.2",
        "note": "проверка",
    }
    for value, error in (("много", "bad_value"), ("9", "invalid")):
        response = client.post(f"/review/{sid}/correct", data=form | {"value": value}, follow_redirects=False)
        assert query_of(response)["error"] == [error]
    assert api_doc(client, admin, sid)["heads"] == [revision["rev_id"]]
    quarantine = client.get("/v1/admin/quarantine", headers=admin).json()["items"]
    assert quarantine == []  # refused before it reached the engine: nothing quarantined


# --- quarantine ----------------------------------------------------------------------------------


def test_quarantine_lists_entries_and_an_admin_replays_them(client, admin, org):
    tablet = org["tablet"]
    revision = tablet.revision(unit_id="U2")
    revision["answers"][0]["comment"] = "<script>alert(1)</script>"
    (receipt,) = tablet.push(client, [revision])
    assert receipt["status"] == "quarantined" and receipt["problem"]["code"] == "unknown_unit"

    sign_in(client, admin, "saule")  # a quality lead reads the quarantine, but may not replay
    text = client.get("/quarantine").text
    entry = text.split('data-testid="quarantine-entry"')[1]
    assert "unknown_unit" in entry and "<code>unit_id</code>" in entry and revision["rev_id"] in entry
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in entry and "<script>alert" not in entry  # escaped
    assert '"unit_id": "U2"' in html.unescape(entry)  # pretty JSON
    assert 'data-testid="replay-' not in text
    entry_id = re.search(r'data-id="(\d+)"', text).group(1)
    response = client.post("/quarantine/replay", data={"csrf_token": csrf_of(text), "id": entry_id})
    assert response.status_code == 403

    client.put("/v1/units/U2", json={"kind": "branch", "name": "Астана ПСС-2", "region": "Астана"}, headers=admin)
    sign_in(client, admin, "boss")
    text = client.get("/quarantine").text
    assert f'data-testid="replay-{entry_id}"' in text
    response = client.post(
        "/quarantine/replay", data={"csrf_token": csrf_of(text), "id": entry_id}, follow_redirects=False
    )
    assert response.status_code == 303 and query_of(response)["replayed"] == ["applied"]
    assert api_doc(client, admin, revision["submission_id"])["heads"] == [revision["rev_id"]]
    assert 'data-testid="quarantine-empty"' in client.get(response.headers["location"]).text


# --- who may see it ------------------------------------------------------------------------------


def test_hr_gets_the_403_page_without_data(client, admin, org):
    revision = submit(client, org["tablet"])
    sid = revision["submission_id"]
    photo = upload(client, org["auditor"], PHOTO, "image/jpeg")
    sign_in(client, admin, "dana")
    for path in (f"/review/{sid}", "/quarantine", f"/evidence/{photo}"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Алматы ПСС-14" not in response.text and "aigerim" not in response.text and PHOTO not in response.content
    text = client.get("/").text
    response = client.post(f"/review/{sid}/decision", data={"csrf_token": csrf_of(text), "decision": "approve"})
    assert response.status_code == 403 and api_doc(client, admin, sid)["status"] == "received"


def test_an_auditor_cannot_reach_the_page(client, admin, org):
    revision = submit(client, org["tablet"])
    sid = revision["submission_id"]
    client.cookies.clear()
    # an auditor's bearer token is no console session
    response = client.get(f"/review/{sid}", headers=org["auditor"], follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    # and an auditor cannot sign in, even with a password set
    client.put("/v1/users/aigerim/password", json={"password": PASSWORD}, headers=admin)
    token = TOKEN_FIELD.search(client.get("/login").text).group(1)
    client.post("/login", data={"username": "aigerim", "password": PASSWORD, "csrf_token": token, "next": "/"})
    response = client.get(f"/review/{sid}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert "Алматы ПСС-14" not in response.text


def test_a_draft_and_a_visit_without_a_merged_revision_render_without_a_decision_form(client, admin, org):
    tablet = org["tablet"]
    draft = submit(client, tablet, state="draft")
    waiting = tablet.revision(parents=[str(uuid.uuid4())])
    (receipt,) = tablet.push(client, [waiting])
    assert receipt["status"] == "pending"
    sign_in(client, admin, "saule")
    for revision in (draft, waiting):
        response = client.get(f"/review/{revision['submission_id']}")
        assert response.status_code == 200, response.text
        assert 'data-status="draft"' in response.text and 'data-testid="decision-form"' not in response.text
    assert "ждёт родителей" in client.get(f"/review/{waiting['submission_id']}").text


# --- the pure diff ---------------------------------------------------------------------------------


def _content(answers: dict, **top) -> dict:
    return (
        {"state": "submitted", "unit_id": "U1"}
        | top
        | {"answers": [{"item": k, "value": v} for k, v in answers.items()]}
    )


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (_content({"A.1": True}), _content({"A.1": True}), []),
        (_content({"A.1": True}), _content({"A.1": False}), [("answers[A.1].value", [True, False], [False, False])]),
        (_content({"A.1": True}), _content({"A.1": True}, unit_id="U2"), [("unit_id", "U1", "U2")]),
        (_content({}), _content({"B.1": 3}), [("answers[B.1].value", None, [3, False])]),
        (None, _content({}, state="draft"), [("state", None, "draft"), ("unit_id", None, "U1")]),
    ],
)
def test_field_diff_names_each_changed_field(before, after, expected):
    from server.sync.diff import field_diff

    changes = field_diff(before, after)
    assert [(c.field, c.before, c.after) for c in changes] == [(f, None if b is None else b, a) for f, b, a in expected]
    for c in changes:
        if c.field == "answers[B.1].value" or before is None:
            assert c.before_absent


def test_view_at_earlier_heads_is_the_merge_of_their_ancestors_only():
    from server.sync.diff import view_at
    from server.sync.merge import MergeInput

    def rev(rev_id: str, parents: tuple[str, ...], value: int) -> MergeInput:
        content = {"submission_id": "s", "checklist": {"id": "c", "version": 1}} | _content({"A.1": value})
        return MergeInput(rev_id=rev_id, parents=parents, rank="auditor", hlc=None, version=1, content=content)

    revisions = [rev("r1", (), 1), rev("r2", ("r1",), 2), rev("r3", ("r2",), 3)]
    assert view_at(revisions, ["r2"])["answers"][0]["value"] == 2
    assert view_at(revisions, ["r3"])["answers"][0]["value"] == 3
    assert view_at(revisions, ["unknown"]) is None
