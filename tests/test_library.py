"""The shipped standards library: complete, valid, in three languages, and scoring to 100 and 0."""

from __future__ import annotations

import re

import msgspec
import pytest

from checklists.diff import diff_versions
from checklists.library import checklist_files, policy_file
from checklists.model import Checklist, Item, Text
from checklists.score import ChecklistIndex, score_visit
from checklists.validate import load_checklist
from server.cli import main

FILES = {f.name: f for f in checklist_files()}
KAZAKH_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")


def _load(name: str) -> Checklist:
    return load_checklist(FILES[name].read_bytes(), "toml", name).checklist


def _texts(obj: object) -> list[Text]:
    found: list[Text] = []
    if isinstance(obj, Text):
        return [obj]
    if isinstance(obj, msgspec.Struct):
        for field in obj.__struct_fields__:
            found += _texts(getattr(obj, field))
    elif isinstance(obj, list):
        for value in obj:
            found += _texts(value)
    return found


def test_the_library_has_one_checklist_per_unit_kind_and_a_second_branch_version():
    assert sorted(FILES) == ["branch.v1.toml", "branch.v2.toml", "contact_centre.v1.toml", "field_technician.v1.toml"]


def test_tekseru_validates_every_library_file(capsys):
    assert main(["checklists", "validate", *(str(f) for f in FILES.values())]) == 0
    assert capsys.readouterr().out.count(": ok") == len(FILES)


@pytest.mark.parametrize("name", sorted(FILES))
def test_checklist_content(name):
    checklist = _load(name)
    assert re.fullmatch(rf"{checklist.id}\.v{checklist.version}\.toml", name)
    assert len(checklist.standards) >= 25
    for standard in checklist.standards:
        assert any(item.scored for item in standard.items), f"{standard.code} has no scored item"
        assert all(item.id.startswith(standard.code + ".") for item in standard.items)
    attributions = {s.attribution for s in checklist.standards}
    assert attributions == {"person", "unit"}
    criticals = [i.critical for s in checklist.standards for i in s.items if i.critical]
    assert "zero" in criticals and "flag" in criticals
    kinds = {i.kind for s in checklist.standards for i in s.items}
    assert {"yes_no", "scale", "duration", "choice"} <= kinds
    assert any(i.zero_at_s for s in checklist.standards for i in s.items if i.kind == "duration")
    texts = _texts(checklist)
    assert len(texts) > 60
    for text in texts:
        assert text.ru.strip() and text.kk.strip() and text.en.strip()
    kazakh = "".join(t.kk for t in texts)
    assert KAZAKH_LETTERS & set(kazakh), "Kazakh texts use the Kazakh letters"
    assert len({t.kk for t in texts}) > len(texts) // 2, "Kazakh texts are translations, not copies"


def _passing(item: Item):
    if item.kind == "yes_no":
        return True if item.pass_answer is None else item.pass_answer
    if item.kind == "scale":
        return item.max
    if item.kind == "duration":
        return 0
    if item.kind == "choice":
        return next(o.id for o in item.options if o.score == 1.0)
    return None


def _failing(item: Item):
    if item.kind == "yes_no":
        return not (True if item.pass_answer is None else item.pass_answer)
    if item.kind == "scale":
        return item.min
    if item.kind == "duration":
        return (item.zero_at_s or item.limit_s) + 60
    if item.kind == "choice":
        return min(item.options, key=lambda o: o.score).id
    return None


@pytest.mark.parametrize("name", sorted(FILES))
def test_fully_passing_and_fully_failing_visits(name):
    index = ChecklistIndex(_load(name))
    passing = score_visit(index, {i: (_passing(item), False) for i, item in index.items.items()})
    assert passing.visit == 100.0 and passing.person == 100.0
    assert passing.critical_failed == [] and passing.flags == []
    failing = score_visit(index, {i: (_failing(item), False) for i, item in index.items.items()})
    assert failing.visit == 0.0 and failing.person == 0.0
    assert failing.critical_failed and failing.flags


def test_branch_v2_changes_one_item_each_way_and_one_weight():
    changes = diff_versions(_load("branch.v1.toml"), _load("branch.v2.toml"))
    assert sorted((c.what, c.how, tuple(c.fields)) for c in changes) == [
        ("item", "added", ()),
        ("item", "changed", ("weight",)),
        ("item", "removed", ()),
    ]


def test_default_policy_is_readable_and_ordered():
    import tomllib

    policy = tomllib.loads(policy_file().read_text(encoding="utf-8"))
    scores = [b["min_score"] for b in policy["bands"]]
    assert scores == sorted(scores, reverse=True) and scores[-1] == 0
    assert policy["rag"]["green_at"] > policy["rag"]["amber_at"]
    assert 0 < policy["confidence"] < 1 and policy["min_visits"] >= 1
