"""The console's visit page (`/review/{id}`), its acts (decide, resolve, correct), evidence and `/quarantine`.

Thin like the API's routes, and through the same engine functions: a decision goes through
`server.sync.review.decide`, a resolution or a correction is a reviewer revision stored with
`server.sync.push.store_revisions` exactly as `POST /v1/submissions/{id}/revisions` stores one, a
replay is `server.sync.replay.replay`, and evidence is served as `GET /v1/blobs/{sha256}` serves
it. Every act is bound to the heads the page showed: when the visit changed meanwhile nothing is
applied, and the page shows what changed (`?stale=` the heads the lead had).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from checklists.model import Checklist, Item
from checklists.score import ChecklistIndex, answer_problems, item_score
from reports import i18n
from server.blobstore import BlobStore
from server.clock import iso_utc, now_iso, utc_now
from server.console import integrity
from server.console.web import console, page, redirect, viewer_of
from server.db import Database
from server.errors import ProblemError, not_found
from server.routes.blobs import BlobStream, blob_answer
from server.settings import Settings
from server.store import blobs as blobs_store
from server.store import reviews as reviews_store
from server.store import sessions as sessions_store
from server.store import submissions as submissions_store
from server.store import visits as store
from server.store.sync import checklist_index
from server.store.views import SubmissionDoc
from server.sync.diff import FieldChange, field_diff, field_order, split_field, view_at
from server.sync.merge import TOP_FIELDS, MergeInput
from server.sync.prepare import merge_input
from server.sync.push import Author, store_revisions
from server.sync.refresh import refresher
from server.sync.replay import replay
from server.sync.review import decide

LEADS = console("quality_lead", "admin")
ADMINS = console("admin")
OPEN_WINDOW = dt.timedelta(minutes=10)  # "also open by X": opened within this long
QUARANTINE_PAGE = 50
MAX_COMMENT = 4000  # as the API's review comment
MAX_NOTE = 2000
_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$(?!\n)")
_SHA = re.compile(r"^[0-9a-fA-F]{64}$(?!\n)")
_PARTS = ("value", "comment", "evidence")
EVIDENCE_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"


# --- what the page shows -------------------------------------------------------------------------


class Evidence(msgspec.Struct, kw_only=True, frozen=True):
    sha256: str
    kind: str  # photo | audio | file | missing


class AnswerRow(msgspec.Struct, kw_only=True, frozen=True):
    item: str
    text: str
    kind: str
    value: str  # the value in words
    outcome: str  # pass | fail | na | unanswered | not_scored
    comment: str | None
    evidence: list[Evidence]
    evidence_required_missing: bool
    critical: str | None
    conflicted: bool


class StandardGroup(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    title: str
    score: float | None
    met: bool | None
    answers: list[AnswerRow]


class Candidate(msgspec.Struct, kw_only=True, frozen=True):
    value: str  # in words
    rev_id: str
    author: str
    rank: str
    kept: bool


class ConflictRow(msgspec.Struct, kw_only=True, frozen=True):
    index: int
    field: str
    item: str | None
    part: str
    label: str
    candidates: list[Candidate]
    custom: str | None  # None: candidates only; "text" / "value": a typed value may replace them
    na_allowed: bool


class ChangeRow(msgspec.Struct, kw_only=True, frozen=True):
    field: str
    label: str
    before: str
    after: str


class HistoryRow(msgspec.Struct, kw_only=True, frozen=True):
    number: int
    rev_id: str
    short: str
    parents: list[str]
    rank: str
    author: str
    device_id: str | None
    hlc: str | None
    received_at: str
    clock_offset_ms: int
    head: bool
    pending: bool
    checklist_changed: bool
    note: str | None


def _index(checklist: Checklist | None) -> ChecklistIndex | None:
    return ChecklistIndex(checklist) if checklist is not None else None


def value_words(item: Item | None, part: str, value: Any, lang: str) -> str:
    """A field's value as the lead reads it: yes/no, the option's text, N/A, a dash for nothing."""
    t = i18n.text
    if part == "value" and isinstance(value, list) and len(value) == 2 and isinstance(value[1], bool):
        value, na = value
        if na:
            return t("visit.outcome.na", lang)
    if value is None:
        return i18n.DASH
    if isinstance(value, bool):
        return t("visit.yes" if value else "visit.no", lang)
    if item is not None and item.kind == "choice" and isinstance(value, str):
        for option in item.options or ():
            if option.id == value:
                return option.text.get(lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or i18n.DASH
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in sorted(value.items()))
    return str(value)


def outcome_of(item: Item, value: Any, na: bool) -> str:
    """pass, fail, na, unanswered or not_scored (the scoring's own `item_score` decides pass/fail)."""
    if na and item.na_allowed:
        return "na"
    if value is None:
        return "unanswered"
    if not item.scored:
        return "not_scored"
    try:
        return "pass" if item_score(item, value)[1] else "fail"
    except (ValueError, AssertionError, TypeError):
        return "unanswered"  # a value the scoring cannot read counts as no answer


def _evidence_kind(content_type: str | None) -> str:
    if content_type is None:
        return "missing"
    if content_type.startswith("image/"):
        return "photo"
    if content_type.startswith("audio/"):
        return "audio"
    return "file"


def standard_groups(data: store.VisitPage, lang: str) -> list[StandardGroup]:
    """The answers grouped by the checklist version's standards, in its order; others last."""
    doc = data.doc
    answers = {a.item: a for a in (doc.view.answers if doc.view else ())}
    scores = {s.code: s for s in (doc.scores.standards if doc.scores else ())}
    conflicted = {split_field(c.field)[0] for c in doc.conflicts}
    missing = set(doc.missing_blobs)

    def row(item_id: str, item: Item | None) -> AnswerRow:
        a = answers.get(item_id)
        value, na = (a.value, a.na) if a else (None, False)
        shas = (a.evidence or []) if a else []
        return AnswerRow(
            item=item_id,
            text=item.text.get(lang) if item else item_id,
            kind=item.kind if item else "",
            value=value_words(item, "value", [value, na], lang),
            outcome=outcome_of(item, value, na) if item else "not_scored",
            comment=a.comment if a else None,
            evidence=[
                Evidence(sha256=s, kind="missing" if s in missing else _evidence_kind(data.blob_types.get(s)))
                for s in shas
            ],
            evidence_required_missing=bool(item and item.evidence == "required" and not shas and not na),
            critical=item.critical if item else None,
            conflicted=item_id in conflicted,
        )

    groups = []
    known: set[str] = set()
    for st in data.checklist.standards if data.checklist else ():
        s = scores.get(st.code)
        known |= {i.id for i in st.items}
        groups.append(
            StandardGroup(
                code=st.code,
                title=st.title.get(lang),
                score=s.score if s else None,
                met=s.met if s else None,
                answers=[row(i.id, i) for i in st.items],
            )
        )
    others = [row(item_id, None) for item_id in answers if item_id not in known]
    if others:
        groups.append(
            StandardGroup(code="", title=i18n.text("visit.other_answers", lang), score=None, met=None, answers=others)
        )
    return groups


def field_label(field: str, index: ChecklistIndex | None, lang: str) -> str:
    """`answers[GREET.1].comment` as "GREET.1 Greeted? — comment", a top field by its name."""
    item, part = split_field(field)
    part_words = i18n.text(f"visit.part.{part}", lang) if f"visit.part.{part}" in _PART_KEYS else part
    if item is None:
        return part_words
    it = index.items.get(item) if index else None
    return f"{item} {it.text.get(lang)} · {part_words}" if it else f"{item} · {part_words}"


def _change_rows(changes: list[FieldChange], index: ChecklistIndex | None, lang: str) -> list[ChangeRow]:
    out = []
    for ch in changes:
        item = index.items.get(ch.item) if index and ch.item else None
        absent = i18n.text("visit.absent", lang)
        out.append(
            ChangeRow(
                field=ch.field,
                label=field_label(ch.field, index, lang),
                before=absent if ch.before_absent else value_words(item, ch.part, ch.before, lang),
                after=absent if ch.after_absent else value_words(item, ch.part, ch.after, lang),
            )
        )
    return out


def merge_inputs(revisions: list[store.RevisionRow]) -> list[MergeInput]:
    """The stored revisions as the merge reads them (`merge_input`, as a push gives them)."""
    return [merge_input(msgspec.json.decode(r.content), r.rank, r.released) for r in revisions]


def conflict_rows(data: store.VisitPage, index: ChecklistIndex | None, lang: str) -> list[ConflictRow]:
    """Each conflicting field with every candidate value (the kept one first) and who set it."""
    by_id = {r.rev_id: r for r in data.revisions}
    rows = []
    # The order the answers are in (an answer's value before its comment); `index` is the form's.
    ordered = sorted(enumerate(data.doc.conflicts), key=lambda ic: field_order(ic[1].field))
    for i, c in ordered:
        item_id, part = split_field(c.field)
        item = index.items.get(item_id) if index and item_id else None
        values = [(msgspec.json.decode(c.value), c.rev_id, True)] + [
            (msgspec.json.decode(v.value), v.rev_id, False) for v in c.losing
        ]
        candidates = []
        for value, rev_id, kept in values:
            rev = by_id.get(rev_id)
            candidates.append(
                Candidate(
                    value=value_words(item, part, value, lang),
                    rev_id=rev_id,
                    author=rev.author if rev else "?",
                    rank=rev.rank if rev else "?",
                    kept=kept,
                )
            )
        custom = None
        if item_id is not None and part == "comment":
            custom = "text"
        elif item is not None and part == "value":
            custom = "value"
        rows.append(
            ConflictRow(
                index=i,
                field=c.field,
                item=item_id,
                part=part,
                label=field_label(c.field, index, lang),
                candidates=candidates,
                custom=custom,
                na_allowed=bool(item and item.na_allowed),
            )
        )
    return rows


def history_rows(data: store.VisitPage) -> list[HistoryRow]:
    doc = data.doc
    pending = {p.rev_id for p in doc.pending}
    rows = []
    for n, r in enumerate(data.revisions, start=1):
        note = msgspec.json.decode(r.content).get("note")
        rows.append(
            HistoryRow(
                number=n,
                rev_id=r.rev_id,
                short=r.rev_id[:8],
                parents=r.parents,
                rank=r.rank,
                author=r.author,
                device_id=r.device_id,
                hlc=r.hlc,
                received_at=r.received_at,
                clock_offset_ms=r.clock_offset_ms,
                head=r.rev_id in doc.heads,
                pending=r.rev_id in pending,
                checklist_changed=r.rev_id in doc.checklist_changed,
                note=note if isinstance(note, str) else None,
            )
        )
    return rows


def _heads_param(text: str | None) -> list[str]:
    """Heads from a form or the query string (comma-separated), lower-case; malformed ones dropped."""
    return sorted({h.strip().lower() for h in (text or "").split(",") if _ID.match(h.strip())})


def _mark(data: store.VisitPage, score: float | None) -> str | None:
    return data.policy.mark(score) if data.policy is not None else None


# --- the page ------------------------------------------------------------------------------------


class PageQuery(msgspec.Struct, kw_only=True, frozen=True):
    """What the visit page's query string asks for: a diff, the stale notice, a correction form, a flash."""

    a: str | None = None  # the two revisions to compare
    b: str | None = None
    stale: str | None = None  # the heads the lead had when the visit changed under them
    decision: str | None = None  # the decision they were making then, and its comment
    comment: str | None = None
    edit: str | None = None  # the item whose correction form is open
    done: str | None = None
    error: str | None = None
    detail: str | None = None


@get("/review/{submission_id:str}", opt=LEADS, include_in_schema=False)
async def visit(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    submission_id: FromPath[str],
    a: FromQuery[str | None] = None,
    b: FromQuery[str | None] = None,
    stale: FromQuery[str | None] = None,
    decision: FromQuery[str | None] = None,
    comment: FromQuery[str | None] = None,
    edit: FromQuery[str | None] = None,
    done: FromQuery[str | None] = None,
    error: FromQuery[str | None] = None,
    detail: FromQuery[str | None] = None,
) -> Template:
    """The visit: header, answers by standard with evidence, history and diff, conflicts, correction, decision.

    One read gathers the page; opening it is recorded ("also open by" on the others' pages).
    """
    if not _ID.match(submission_id):
        raise not_found("submission")
    viewer = viewer_of(request)
    since = iso_utc(utc_now() - OPEN_WINDOW)
    data = await db.read(store.visit_page, submission_id.lower(), db.checklist_indexes, viewer.name, since)
    if data is None:
        raise not_found("submission")
    await db.write(sessions_store.mark_open, data.doc.submission_id, viewer.name, now_iso())
    query = PageQuery(
        a=a, b=b, stale=stale, decision=decision, comment=comment, edit=edit, done=done, error=error, detail=detail
    )
    context = visit_context(data, query, viewer.lang)
    # The integrity signals: the page is the leads' only, and so are they (never a unit manager's).
    signals = await db.read(integrity.panel_data, data.doc.submission_id)
    tz = ZoneInfo(settings.timezone)
    context["integrity"] = integrity.visit_panel(signals, data.doc, data.checklist, viewer.lang, tz)
    names = integrity.flag_names([f.code for f in signals.flags], viewer.lang)
    context["reasons"] = reviews_store.reasons(data.doc, viewer.lang, flags=names)
    return page(request, "visit.html", **context)


def visit_context(data: store.VisitPage, q: PageQuery, lang: str) -> dict[str, Any]:
    """What visit.html shows of the gathered data, for the query string's asks (pure)."""
    doc = data.doc
    index = _index(data.checklist)
    history = history_rows(data)
    by_id = {r.rev_id: r for r in data.revisions}

    # The diff of two revisions the lead picked (the form proposes the two latest).
    pick_a = (q.a or "").lower() if (q.a or "").lower() in by_id else (history[-2].rev_id if len(history) > 1 else None)
    pick_b = (q.b or "").lower() if (q.b or "").lower() in by_id else (history[-1].rev_id if history else None)
    diff = None
    if q.a is not None and q.b is not None and pick_a and pick_b:
        before = msgspec.json.decode(by_id[pick_a].content)
        after = msgspec.json.decode(by_id[pick_b].content)
        diff = _change_rows(field_diff(before, after), index, lang)

    # The visit changed since the lead opened it: what changed, from the heads they had.
    stale_changes = None
    stale_heads = _heads_param(q.stale)
    if q.stale is not None and stale_heads != doc.heads:
        then = view_at(merge_inputs(data.revisions), stale_heads)
        now = msgspec.to_builtins(doc.view) if doc.view else None
        stale_changes = _change_rows(field_diff(then, now), index, lang)

    view = doc.view
    edit_item = index.items.get(q.edit) if index and q.edit else None
    edit_answer = next((x for x in (view.answers if view else ()) if x.item == q.edit), None)
    review = doc.review
    on_heads = review is not None and sorted(review.heads) == doc.heads
    scores = doc.scores

    def item_text(item_id: str) -> str:
        return index.items[item_id].text.get(lang) if index and item_id in index.items else item_id

    return {
        "sid": doc.submission_id,
        "doc": doc,
        "unit": data.unit,
        "checklist_title": data.checklist.title.get(lang) if data.checklist else None,
        "groups": standard_groups(data, lang),
        "visit_mark": _mark(data, scores.visit if scores else None),
        "person_mark": _mark(data, scores.person if scores else None),
        "staff": [(s, data.staff_names.get(s)) for s in (view.staff_ids or [])] if view else [],
        "flag_items": [(f, item_text(f)) for f in doc.flags],
        "critical_items": [(f, item_text(f)) for f in (scores.critical_failed if scores else [])],
        "review": review,
        "review_on_heads": on_heads,
        "supersedes": review.id if review is not None and on_heads else None,
        "reasons": reviews_store.reasons(doc, lang),
        "heads": ",".join(doc.heads),
        "history": history,
        "pick_a": pick_a,
        "pick_b": pick_b,
        "diff": diff,
        "stale_changes": stale_changes,
        "conflicts": conflict_rows(data, index, lang),
        "edit_item": edit_item,
        "edit_answer": edit_answer,
        "edit_value": _form_value(edit_answer.value if edit_answer else None),
        "open_by": data.open_by,
        "quarantined": data.quarantined,
        "decision": q.decision if q.decision in ("approve", "reject") else None,
        "comment": q.comment,
        "done": q.done if q.done in _DONE else None,
        "error": q.error if q.error in _ERRORS else None,
        "detail": (q.detail or "")[:500] or None,  # a problem's words, never a page of text
        "can_decide": view is not None and view.state == "submitted",
    }


def _form_value(value: Any) -> str:
    """An answer's value as the correction form's input holds it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_DONE = ("approved", "rejected", "resolved", "corrected", "already")
_ERRORS = (
    "comment_required",
    "note_required",
    "already_decided",
    "not_submitted",
    "bad_value",
    "invalid",
    "not_stored",
    "no_choice",
    "unknown_item",
    "too_long",
)
_PART_KEYS = {f"visit.part.{p}" for p in (*_PARTS, *TOP_FIELDS)}


def _back(submission_id: str, anchor: str = "", **query: str | None) -> Redirect:
    q = urlencode({k: v for k, v in query.items() if v is not None})
    return redirect(f"/review/{submission_id}" + (f"?{q}" if q else "") + (f"#{anchor}" if anchor else ""))


# --- acts ----------------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: form.get(k) for k in form if isinstance(form.get(k), str)}


async def _current(request: Request, db: Database, submission_id: str) -> SubmissionDoc:
    if not _ID.match(submission_id):
        raise not_found("submission")
    doc = await db.read(submissions_store.document, submission_id.lower())
    if doc is None:
        raise not_found("submission")
    return doc


@post("/review/{submission_id:str}/decision", opt=LEADS, include_in_schema=False)
async def decide_visit(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    submission_id: FromPath[str],
) -> Redirect:
    """Approve or reject the visit as it was at the heads the page showed."""
    doc = await _current(request, db, submission_id)
    sid = doc.submission_id
    form = await _form(request)
    verdict = form.get("decision")
    comment = (form.get("comment") or "").strip() or None
    heads = _heads_param(form.get("heads"))
    if verdict not in ("approve", "reject"):
        return _back(sid, "decision", error="no_choice")
    if comment is not None and len(comment) > MAX_COMMENT:
        return _back(sid, "decision", error="too_long", decision=verdict)
    if verdict == "reject" and comment is None:
        return _back(sid, "decision", error="comment_required", decision=verdict)
    supersedes = form.get("supersedes")
    decision = reviews_store.Decision(
        submission_id=sid,
        decision=verdict,
        comment=comment,
        heads=heads or ["-"],
        supersedes=int(supersedes) if supersedes and supersedes.isascii() and supersedes.isdigit() else None,
    )
    (result,) = await decide(db, viewer_of(request).name, [decision], ZoneInfo(settings.timezone))
    code = result.problem["code"] if result.problem else None
    if code == "stale_heads":
        return _back(sid, "changed", stale=",".join(heads), decision=verdict, comment=comment)
    if code == "not_found":
        raise not_found("submission")
    if code is not None:
        return _back(sid, "decision", error=code if code in _ERRORS else "invalid")
    return _back(sid, "decision", done="approved" if verdict == "approve" else "rejected")


def _set_field(view: dict, field: str, value: Any) -> None:
    """Put one merge field's value into a view (the shape of a revision)."""
    item, part = split_field(field)
    if item is None:
        view[part] = value
        return
    answers = view.setdefault("answers", [])
    answer = next((a for a in answers if a["item"] == item), None)
    if answer is None:
        answer = {"item": item, "value": None, "na": False, "comment": None, "evidence": None}
        answers.append(answer)
    if part == "value":
        v, na = value if isinstance(value, list) and len(value) == 2 else (None, False)
        answer["value"], answer["na"] = v, bool(na)
    else:
        answer[part] = value


def parse_value(item: Item, text: str) -> Any:
    """A value typed (or picked) in a form, as the item's kind holds it; ValueError when it cannot be one."""
    text = text.strip()
    if text == "":
        return None
    if item.kind == "yes_no":
        words = {
            "true": True,
            "yes": True,
            "да": True,
            "иә": True,
            "false": False,
            "no": False,
            "нет": False,
            "жоқ": False,
        }
        if text.lower() not in words:
            raise ValueError(text)
        return words[text.lower()]
    if item.kind in ("scale", "duration"):
        return int(text)
    if item.kind == "number":
        number = float(text.replace(",", ".").replace("\u00a0", "").replace(" ", ""))
        return int(number) if number.is_integer() else number
    return text


def revision_from(doc: SubmissionDoc, view: dict, note: str) -> dict:
    """A reviewer revision: the visit as `view` holds it, made on every current head."""
    revision: dict[str, Any] = {
        "rev_id": str(uuid.uuid4()),
        "submission_id": doc.submission_id,
        "parents": list(doc.heads),
        "checklist": {"id": view["checklist"]["id"], "version": view["checklist"]["version"]},
        "note": note,
    }
    for name in ("state", "unit_id", "staff_ids", "assignment_id", "started_at", "finished_at", "location"):
        if view.get(name) is not None:
            revision[name] = view[name]
    revision["answers"] = [
        {k: v for k, v in a.items() if v is not None and not (k == "na" and v is False)}
        for a in sorted(view.get("answers", []), key=lambda a: a["item"])
    ]
    return revision


async def _store_reviewer_revision(
    request: Request, db: Database, settings: Settings, doc: SubmissionDoc, revision: dict, anchor: str
) -> Redirect | None:
    """Check the answers with the scoring's own rules, then store as the API's correction route does.

    None when stored; otherwise the redirect that tells why nothing was.
    """
    sid = doc.submission_id
    index = await _checklist_index(db, doc)
    if index is not None:
        answers = [(a["item"], a.get("value"), bool(a.get("na", False))) for a in revision["answers"]]
        problems = answer_problems(index, answers, revision.get("state") == "submitted")
        if problems:
            return _back(sid, anchor, error="invalid", detail="; ".join(f"{p.path}: {p.message}" for p in problems))
    viewer = viewer_of(request)
    author = Author(name=viewer.name, rank="reviewer", device_id=None, token_prefix="", offset_ms=0)
    body = msgspec.json.encode(revision)
    (receipt,) = await store_revisions(db, [body], author, ZoneInfo(settings.timezone), submission_scope=sid)
    if receipt.status not in ("applied", "merged"):
        return _back(
            sid, anchor, error="not_stored", detail=receipt.problem.message if receipt.problem else receipt.status
        )
    return None


async def _checklist_index(db: Database, doc: SubmissionDoc) -> ChecklistIndex | None:
    """The visit's checklist version, indexed (from the server's cache: a published version never changes)."""
    if doc.checklist is None or doc.checklist.version is None:
        return None
    return await db.read(checklist_index, db.checklist_indexes, doc.checklist.id, doc.checklist.version)


def resolved_view(
    doc: SubmissionDoc, form: dict[str, str], index: ChecklistIndex | None
) -> tuple[dict, tuple[str, str | None] | None]:
    """The visit's view with the value picked (`pick_i`: a candidate's position, or `custom`) for each conflict.

    The form names each conflict's field (`field_i`) as the page listed them; another list of
    conflicts means the visit changed since (`changed`).
    """
    view = msgspec.to_builtins(doc.view)
    for i, c in enumerate(doc.conflicts):
        if form.get(f"field_{i}") != c.field:
            return view, ("changed", None)
        pick = form.get(f"pick_{i}")
        item_id, part = split_field(c.field)
        if pick == "custom":
            typed = form.get(f"custom_{i}") or ""
            if part == "comment":
                value: Any = typed.strip() or None
            elif part == "value" and index is not None and item_id in index.items:
                item = index.items[item_id]
                na = item.na_allowed and form.get(f"custom_na_{i}") == "on"
                try:
                    value = [None if na else parse_value(item, typed), na]
                except ValueError:
                    return view, ("bad_value", c.field)
            else:
                return view, ("no_choice", c.field)
        else:
            candidates = [c.value] + [v.value for v in c.losing]
            if not (pick or "").isdigit() or int(pick) >= len(candidates):
                return view, ("no_choice", c.field)
            value = msgspec.json.decode(candidates[int(pick)])
        _set_field(view, c.field, value)
    return view, None


@post("/review/{submission_id:str}/resolve", opt=LEADS, include_in_schema=False)
async def resolve_conflicts(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    submission_id: FromPath[str],
) -> Redirect:
    """One resolving reviewer revision on every current head, with the value picked or typed per conflicting field."""
    doc = await _current(request, db, submission_id)
    sid = doc.submission_id
    form = await _form(request)
    heads = _heads_param(form.get("heads"))
    if heads != doc.heads:
        return _back(sid, "changed", stale=",".join(heads))
    if doc.view is None:
        return _back(sid, "conflicts", error="invalid")
    view, problem = resolved_view(doc, form, await _checklist_index(db, doc))
    if problem is not None:
        error, field = problem
        if error == "changed":
            return _back(sid, "changed", stale=",".join(heads))
        return _back(sid, "conflicts", error=error, detail=field)
    note = (form.get("note") or "").strip()[:MAX_NOTE] or i18n.text(
        "visit.resolve.note_default", viewer_of(request).lang
    )
    refused = await _store_reviewer_revision(request, db, settings, doc, revision_from(doc, view, note), "conflicts")
    return refused or _back(sid, "conflicts", done="resolved")


@post("/review/{submission_id:str}/correct", opt=LEADS, include_in_schema=False)
async def correct_answer(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    submission_id: FromPath[str],
) -> Redirect:
    """Change one answer (value, N/A, comment) as a reviewer revision, with a required note."""
    doc = await _current(request, db, submission_id)
    sid = doc.submission_id
    form = await _form(request)
    item_id = form.get("item") or ""
    heads = _heads_param(form.get("heads"))
    if heads != doc.heads:
        return _back(sid, "changed", stale=",".join(heads), edit=item_id or None)
    note = (form.get("note") or "").strip()
    if not note:
        return _back(sid, "correction", error="note_required", edit=item_id)
    if len(note) > MAX_NOTE:
        return _back(sid, "correction", error="too_long", edit=item_id)
    index = await _checklist_index(db, doc)
    if doc.view is None or index is None or item_id not in index.items:
        return _back(sid, "correction", error="unknown_item")
    item = index.items[item_id]
    na = item.na_allowed and form.get("na") == "on"
    try:
        value = None if na else parse_value(item, form.get("value") or "")
    except ValueError:
        return _back(sid, "correction", error="bad_value", edit=item_id, detail=item_id)
    view = msgspec.to_builtins(doc.view)
    _set_field(view, f"answers[{item_id}].value", [value, na])
    _set_field(view, f"answers[{item_id}].comment", (form.get("comment") or "").strip() or None)
    refused = await _store_reviewer_revision(request, db, settings, doc, revision_from(doc, view, note), "correction")
    return refused or _back(sid, "correction", done="corrected")


# --- evidence ------------------------------------------------------------------------------------


@get("/evidence/{sha256:str}", opt=LEADS, include_in_schema=False)
async def evidence_file(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    blobs: NamedDependency[BlobStore],
    sha256: FromPath[str],
) -> File | BlobStream:
    """A photo or recording, served as `GET /v1/blobs/{sha256}` serves it (verified before a byte is sent)."""
    sha256 = sha256.lower()
    blob = await db.read(blobs_store.visible_blob, sha256, None) if _SHA.match(sha256) else None
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=31536000, immutable",
        # Opened full size, the browser shows the file in a viewer page of its own that styles it
        # inline; the console's CSP would block that (errors in the console). Never a script.
        "Content-Security-Policy": EVIDENCE_CSP,
    }
    answer = None
    if blob is not None:
        answer = await blob_answer(db, blobs, blob, refresher(db, ZoneInfo(settings.timezone)), headers)
    if answer is None:
        raise not_found("evidence file")
    return answer


# --- quarantine ----------------------------------------------------------------------------------


def pretty_raw(raw: msgspec.Raw) -> str:
    """A quarantined body as people read it: indented JSON when it parses, else the text as it came."""
    value = msgspec.json.decode(raw)
    if isinstance(value, str):
        try:
            value = json.loads(value)  # stored as text because the server could not parse it: try once more
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@get("/quarantine", opt=LEADS, include_in_schema=False)
async def quarantine(
    request: Request,
    db: NamedDependency[Database],
    after: FromQuery[int] = 0,
    replayed: FromQuery[str | None] = None,
    entry: FromQuery[int | None] = None,
) -> Template:
    """Revisions that could not be used: reason, field path, raw body; admins replay them."""
    items = await db.read(submissions_store.quarantine_list, max(0, after), QUARANTINE_PAGE)
    return page(
        request,
        "quarantine.html",
        items=[(q, pretty_raw(q.raw)) for q in items],
        next_after=items[-1].id if len(items) == QUARANTINE_PAGE else None,
        can_replay=viewer_of(request).role == "admin",
        replayed=replayed if replayed in _REPLAY_OUTCOMES else None,
        entry=entry,
    )


_REPLAY_OUTCOMES = ("applied", "merged", "pending", "duplicate", "quarantined", "rejected", "gone")


@post("/quarantine/replay", opt=ADMINS, include_in_schema=False)
async def replay_entry(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Redirect:
    """Replay one quarantined revision with the engine function `POST /v1/admin/quarantine/replay` uses."""
    form = await _form(request)
    raw_id = form.get("id") or ""
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 18:
        raise ProblemError(400, "invalid_request", "no such quarantine entry")
    outcomes = await replay(db, [int(raw_id)], ZoneInfo(settings.timezone))
    status = outcomes[0].status if outcomes else "gone"
    return redirect("/quarantine?" + urlencode({"replayed": status, "entry": raw_id}))


ROUTES = [visit, decide_visit, resolve_conflicts, correct_answer, evidence_file, quarantine, replay_entry]
