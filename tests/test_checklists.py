"""The checklist language: validation that lists every problem, content hashes, publish, retire, diff."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import pytest

from checklists.canonical import content_hash
from checklists.validate import Invalid, load_checklist
from server.cli import main
from tests.conftest import EXAMPLE_CHECKLIST

BROKEN = """\
id = "broken"
version = 1
unit_kind = "branch"
title = { ru = "Сломанный", kk = "Бұзылған", en = "Broken" }

[[standards]]
code = "S1"
category = "communication"
weight = 0
attribution = "person"
title = { ru = "С1", kk = "С1", en = "S1" }

[[standards.items]]
id = "S1.1"
kind = "stars"
text = { ru = "Вопрос", kk = "Сұрақ", en = "Question" }

[[standards.items]]
id = "S1.1"
kind = "scale"
min = 5
max = 1
text = { ru = "Вопрос", kk = "Сұрақ", en = "Question" }

[[standards]]
code = "S2"
category = "process"
weight = 1
attribution = "team"
title = { ru = "С2", kk = "С2" }

[[standards.items]]
id = "S2.1"
kind = "duration"
zero_at_s = 10
colour = "red"
text = { ru = "Время", kk = "Уақыт", en = "Time" }

[[standards.items]]
id = "S2.2"
kind = "choice"
options = [{ id = "a", score = 0.5, text = { ru = "А", kk = "А", en = "A" } }]
text = { ru = "Выбор", kk = "Таңдау", en = "Choice" }
"""

# (path, line of the standard's code or the item's id)
EXPECTED_PROBLEMS = {
    ("standards[0].weight", 7),
    ("standards[0].items[0].kind", 14),
    ("standards[0].items[1].id", 19),
    ("standards[0].items[1].max", 19),
    ("standards[1].attribution", 26),
    ("standards[1].title.en", 26),
    ("standards[1].items[0].colour", 33),
    ("standards[1].items[0].limit_s", 33),
    ("standards[1].items[1].options", 40),
}


def test_every_problem_is_listed_with_its_line():
    with pytest.raises(Invalid) as caught:
        load_checklist(BROKEN.encode(), "toml", "broken.toml")
    found = {(p.path, p.line) for p in caught.value.problems}
    assert found == EXPECTED_PROBLEMS
    lines = caught.value.lines()
    assert any(line.startswith("broken.toml:14: standards[0].items[0].kind: must be one of") for line in lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id = ", "not valid TOML"),
        ('id = "x"\nwhen = 2026-10-01\n', "dates and times are not allowed"),
        ("[1, 2]", "not valid TOML"),
    ],
)
def test_malformed_documents(text, message):
    with pytest.raises(Invalid) as caught:
        load_checklist(text.encode(), "toml", "x.toml")
    assert message in caught.value.problems[0].message


def test_json_list_at_top_level_is_refused():
    with pytest.raises(Invalid, match="problem"):
        load_checklist(b"[1]", "json", "x.json")


def test_toml_and_json_of_the_same_checklist_hash_alike():
    toml_bytes = EXAMPLE_CHECKLIST.read_bytes()
    as_json = json.dumps(tomllib.loads(toml_bytes.decode()), ensure_ascii=False, indent=2).encode()
    a = load_checklist(toml_bytes, "toml")
    b = load_checklist(as_json, "json")
    assert a.sha256 == b.sha256 == content_hash(tomllib.loads(toml_bytes.decode()))
    # 2 and 2.0 are the same number; true is not 1.
    assert content_hash({"w": 2}) == content_hash({"w": 2.0})
    assert content_hash({"w": True}) != content_hash({"w": 1})


def test_publish_is_idempotent_and_refuses_other_content(client, admin):
    toml_headers = admin | {"Content-Type": "application/toml"}
    first = client.post("/v1/checklists", content=EXAMPLE_CHECKLIST.read_bytes(), headers=toml_headers)
    assert first.status_code == 201
    as_json = tomllib.loads(EXAMPLE_CHECKLIST.read_text())
    again = client.post("/v1/checklists", json=as_json, headers=admin)
    assert again.status_code == 200 and again.json() == first.json()
    as_json["title"]["en"] = "Changed"
    other = client.post("/v1/checklists", json=as_json, headers=admin)
    assert other.status_code == 409 and other.json()["code"] == "version_exists"
    got = client.get("/v1/checklists/example/versions/1", headers=admin).json()
    assert got["sha256"] == first.json()["sha256"] and got["checklist"]["title"]["en"] == "Example"


def test_invalid_checklist_over_http_lists_every_problem(client, admin):
    response = client.post(
        "/v1/checklists", content=BROKEN.encode(), headers=admin | {"Content-Type": "application/toml"}
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_checklist"
    assert {e["path"] for e in response.json()["errors"]} == {p for p, _ in EXPECTED_PROBLEMS}
    response = client.post("/v1/checklists", content=b"x", headers=admin | {"Content-Type": "text/plain"})
    assert response.status_code == 415


def test_retire_and_list(client, admin, users, example_checklist):
    assert client.post("/v1/checklists/example/versions/1/retire", headers=users["quality_lead"]).json()["retired"]
    assert client.post("/v1/checklists/example/versions/9/retire", headers=admin).status_code == 404
    listed = client.get("/v1/checklists", headers=users["hr"]).json()
    assert [(c["id"], c["version"], c["retired"]) for c in listed["items"]] == [("example", 1, True)]
    assert client.post("/v1/checklists", json={}, headers=users["hr"]).status_code == 403


def test_cli_validate_names_file_item_and_every_problem(tmp_path, capsys):
    bad = tmp_path / "broken.toml"
    bad.write_text(BROKEN, encoding="utf-8")
    assert main(["checklists", "validate", str(EXAMPLE_CHECKLIST), str(bad)]) == 1
    out, err = capsys.readouterr()
    assert "example v1 (branch), 7 standards" in out
    assert err.startswith("tekseru: 9 problem(s) found\n")
    assert f"{bad}:19: standards[0].items[1].id: duplicate item id 'S1.1'" in err
    assert "Traceback" not in err


def test_cli_validate_of_a_missing_file(tmp_path, capsys):
    assert main(["checklists", "validate", str(tmp_path / "nope.toml")]) == 1
    assert "nope.toml: cannot read" in capsys.readouterr().err


def test_cli_publish_and_diff(tmp_path, capsys):
    data_dir = tmp_path / "var"
    v2 = tmp_path / "example.v2.toml"
    text = EXAMPLE_CHECKLIST.read_text(encoding="utf-8").replace("version = 1", "version = 2")
    text = text.replace('id = "PHONE.1"', 'id = "PHONE.2"').replace("weight = 3", "weight = 4")
    v2.write_text(text, encoding="utf-8")
    assert main(["--data-dir", str(data_dir), "checklists", "publish", str(EXAMPLE_CHECKLIST), str(v2)]) == 0
    assert main(["--data-dir", str(data_dir), "checklists", "publish", str(v2)]) == 0
    out = capsys.readouterr().out
    assert "example v2 published" in out and "already published, unchanged" in out
    assert main(["--data-dir", str(data_dir), "checklists", "diff", "example", "1", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    # Each change on a line; under a changed one, indented, its old and new values.
    assert [line.split() for line in lines if not line.startswith(" ")] == [
        ["changed", "standard", "PAY", "(weight)"],
        ["removed", "item", "PHONE.1"],
        ["added", "item", "PHONE.2"],
    ]
    assert lines[1].split() == ["weight:", "3.0", "->", "4.0"]


def test_console_script_runs():
    result = subprocess.run([sys.executable, "-m", "server.cli", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "checklists" in result.stdout
