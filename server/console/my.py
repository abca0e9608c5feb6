"""The unit manager's pages: their home (`/`) and an approved visit with its appeal form (`/my/visits/{id}`).

A unit manager reads what the audited side may see, through the API's own functions: their units'
approved figures (`server.routes.scores.unit_figures_of`, unit by unit), the visits as
`server.audited` gives them (a date, never a time of day or who visited), evidence re-encoded
without its metadata, their units' published scorecards, and their appeals (`server.appeals`).
An appeal's files are stored as blobs the way a finished upload stores one (same content types,
same size limit), then the appeal is filed with `file_appeal`; every refusal is shown on the page
with what was typed kept. Another unit's anything is 404.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from checklists.score import ChecklistIndex
from reports import i18n
from reports.policy import Policy
from reports.scorecard_assembly import local_date
from server.appeals import (
    MAX_EVIDENCE,
    AppealFilter,
    AppealIn,
    AppealOut,
    file_appeal,
    get_appeal,
    list_appeals,
    withdraw_appeal,
)
from server.audited import AuditedAnswer, AuditedVisit, approved_visit, evidence_file, unit_visits
from server.blobstore import BlobStore, BlobStoreUnavailable
from server.console.dashboards import period_choices, this_month
from server.console.visit import EVIDENCE_CSP, value_words
from server.console.web import console, language_of, page, redirect, viewer_of
from server.db import Database
from server.errors import ProblemError, not_found
from server.periods import check_period_held
from server.routes.blobs import BlobStream
from server.routes.scores import unit_figures_of
from server.scorecards import pdf_name
from server.settings import Settings
from server.store import blobs as blobs_store
from server.store import policies as policies_store
from server.store import scorecards as scorecards_store
from server.store import scores as scores_store
from server.store import users as users_store
from server.store.sync import checklist_index
from server.store.views import view_documents
from server.sync.refresh import refresher
from server.sync.tus import ALLOWED_CONTENT_TYPES
from server.wire import strict_body

MANAGERS = console("unit_manager")
VISITS_PER_UNIT = 500  # a unit's approved visits of a month (a handful, in practice)
APPEALS_PAGE = 50
SCORECARDS = 500
MAX_CLAIM = 4000  # as the API takes a claim
MAX_FORM_BYTES = 64 * 1024 * 1024  # an appeal form with its photos
READ_BLOCK = 1 << 20
_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$(?!\n)")
_SHA = re.compile(r"^[0-9a-f]{64}$(?!\n)")
DONE = ("filed", "withdrawn")
REFUSALS = ("appeal_closed",)  # what a redirect back to the visit may report


# --- home ----------------------------------------------------------------------------------------------


class HomeScreen(msgspec.Struct, kw_only=True, frozen=True):
    """What the home page reads besides the figures and visits: scorecards, the appeals' visit dates, the policy."""

    scorecards: list[Any]  # sqlite3.Row
    appeal_dates: dict[str, str]  # submission_id -> YYYY-MM-DD
    policy: Policy | None


def home_screen(c: sqlite3.Connection, units: list[str], appeal_visits: list[str], tz: ZoneInfo) -> HomeScreen:
    """The units' published scorecards (newest first), the dates of the appealed visits and the latest policy."""
    rows = scorecards_store.list_rows(c, None, None, "published", "", SCORECARDS, units)
    dates = {sid: local_date(doc.corrected_start, tz) for sid, doc in view_documents(c, appeal_visits).items()}
    return HomeScreen(scorecards=list(reversed(rows)), appeal_dates=dates, policy=policies_store.latest_or_none(c))


def _mark(policy: Policy | None, score: float | None) -> str | None:
    return policy.mark(score) if policy is not None and score is not None else None


def result_of(answer: AuditedAnswer) -> str:
    """pass, fail, na, unanswered or not_scored: the words of the visit pages (`visit.outcome.*`)."""
    if answer.na:
        return "na"
    if answer.passed is not None:
        return "pass" if answer.passed else "fail"
    return "unanswered" if answer.value is None else "not_scored"


async def home_page(request: Request, db: Database, settings: Settings) -> Template:
    """The unit manager's home: their units' approved figures, the month's visits, their appeals, their scorecards."""
    viewer = viewer_of(request)
    lang = language_of(request)
    tz = ZoneInfo(settings.timezone)
    period = check_period_held(request.query_params.get("period") or this_month(settings))
    units = await db.read(users_store.units_of, viewer.name)
    figures, visits = [], []
    for unit_id in units:
        figures += (await unit_figures_of(db, period, "approved", None, unit_id, per_standard=False))[0]
        visits += (await unit_visits(db, tz, unit_id, period, None, VISITS_PER_UNIT)).items
    cursor = request.query_params.get("appeals")
    cursor = cursor if cursor and "|" in cursor and len(cursor) <= 200 else None
    appeals, next_cursor = (
        await list_appeals(db, AppealFilter(units=units), cursor, APPEALS_PAGE, full=False) if units else ([], None)
    )
    screen = await db.read(home_screen, units, sorted({a.submission_id for a in appeals}), tz)
    names = {f.unit_id: f.name for f in figures}
    policy = screen.policy
    return page(
        request,
        "my_home.html",
        units=units,
        period=period,
        period_name=i18n.period_name(period, lang),
        periods=period_choices(settings, period, lang),
        figures=[(f, _mark(policy, f.visit_score)) for f in figures],
        visits=[
            {
                "visit": v,
                "unit": names.get(v.unit_id or "", v.unit_id),
                "mark": _mark(policy, v.visit_score),
                "failed": sum(1 for a in v.answers if a.passed is False),
                "appeals": v.appeals,
            }
            for v in sorted(visits, key=lambda v: (v.date, v.submission_id))
        ],
        appeals=[
            {"appeal": a, "unit": names.get(a.unit_id, a.unit_id), "date": screen.appeal_dates.get(a.submission_id, "")}
            for a in appeals
        ],
        next_appeals="/?" + urlencode({"period": period, "appeals": next_cursor}) if next_cursor else None,
        first_appeals=f"/?period={period}" if cursor else None,
        scorecards=[(s, names.get(s["unit_id"], s["unit_id"])) for s in screen.scorecards],
        date=lambda day: i18n.date(day, lang) if day else i18n.DASH,
        instant_date=lambda iso: i18n.date(local_date(iso, tz), lang) if iso else i18n.DASH,
        period_short=lambda p: i18n.period_short(p, lang),
    )


# --- one visit -------------------------------------------------------------------------------------------


class Row(msgspec.Struct, kw_only=True, frozen=True):
    """One answer as the unit manager's visit page shows it."""

    item: str
    text: str
    kind: str
    value: str  # in words
    result: str
    comment: str | None
    evidence: list[tuple[str, str]]  # (sha256, photo | audio | file | missing)
    state: str | None  # the item's appeal: open, withdrawn, upheld, overturned
    disputable: bool  # not under an open appeal


class Group(msgspec.Struct, kw_only=True, frozen=True):
    code: str
    title: str
    rows: list[Row]


class VisitScreen(msgspec.Struct, kw_only=True, frozen=True):
    """What the visit page reads besides the visit: its checklist, unit, evidence types and policy."""

    index: ChecklistIndex | None
    unit_name: str | None
    blob_types: dict[str, str]
    policy: Policy | None


def visit_screen(c: sqlite3.Connection, cache: dict, visit: AuditedVisit, appeals: list[AppealOut]) -> VisitScreen:
    """The visit's checklist version, its unit's name, the content types of every file it shows, the policy."""
    index = checklist_index(c, cache, visit.checklist.id, visit.checklist.version) if visit.checklist else None
    infos = scores_store.unit_infos(c, None, visit.unit_id) if visit.unit_id else []
    hashes = {sha for a in visit.answers for sha in a.evidence} | {
        sha for appeal in appeals for i in appeal.items for sha in i.evidence
    }
    types = {r["sha256"]: r["content_type"] for r in blobs_store.stored_among(c, sorted(hashes))} if hashes else {}
    return VisitScreen(
        index=index,
        unit_name=infos[0].name if infos else None,
        blob_types=types,
        policy=policies_store.latest_or_none(c),
    )


def kind_of(content_type: str | None) -> str:
    """photo, audio, file, or missing (no stored blob)."""
    if content_type is None:
        return "missing"
    return "photo" if content_type.startswith("image/") else "audio" if content_type.startswith("audio/") else "file"


def groups_of(visit: AuditedVisit, screen: VisitScreen, lang: str) -> list[Group]:
    """The answers grouped by the checklist's standards, in its order, each with its appeal state."""
    states = {s.item: s for s in visit.appeals}

    def row(a: AuditedAnswer) -> Row:
        item = screen.index.items.get(a.item) if screen.index else None
        s = states.get(a.item)
        state = None if s is None else (s.outcome or s.status) if s.status == "decided" else s.status
        return Row(
            item=a.item,
            text=item.text.get(lang) if item else a.item,
            kind=item.kind if item else "",
            value=value_words(item, "value", [a.value, a.na], lang),
            result=result_of(a),
            comment=a.comment,
            evidence=[(sha, kind_of(screen.blob_types.get(sha))) for sha in a.evidence],
            state=state,
            disputable=state != "open",
        )

    answers = {a.item: a for a in visit.answers}
    groups, known = [], set()
    for st in screen.index.checklist.standards if screen.index else ():
        rows = [row(answers[i.id]) for i in st.items if i.id in answers]
        known |= {i.id for i in st.items}
        if rows:
            groups.append(Group(code=st.code, title=st.title.get(lang), rows=rows))
    others = [row(a) for a in visit.answers if a.item not in known]
    if others:
        groups.append(Group(code="", title=i18n.text("visit.other_answers", lang), rows=others))
    return groups


class Typed(msgspec.Struct, kw_only=True, frozen=True):
    """What the appeal form held when it was refused: kept to show it again."""

    picked: list[str]
    claims: dict[str, str]
    kept: dict[str, list[str]]  # item -> the files already stored for it (sha256)
    problems: dict[str, str]  # item -> the catalogue key of its problem


async def _visit(db: Database, settings: Settings, viewer: str, submission_id: str) -> tuple[AuditedVisit, list[str]]:
    """The approved visit of one of the viewer's units, and their units; 404 otherwise."""
    if not _ID.match(submission_id):
        raise not_found("visit")
    units = await db.read(users_store.units_of, viewer)
    return await approved_visit(db, ZoneInfo(settings.timezone), submission_id.lower(), units), units


async def _visit_appeals(db: Database, visit: AuditedVisit, units: list[str]) -> list[AppealOut]:
    """The visit's appeals, newest first (those of its unit and month, narrowed to the visit)."""
    f = AppealFilter(unit_id=visit.unit_id, period=visit.period, units=units)
    appeals: list[AppealOut] = []
    cursor = None
    while True:
        batch, cursor = await list_appeals(db, f, cursor, 200, full=False)
        appeals += [a for a in batch if a.submission_id == visit.submission_id]
        if cursor is None:
            return sorted(appeals, key=lambda a: (a.filed_at, a.id), reverse=True)


async def visit_page(
    request: Request,
    db: Database,
    settings: Settings,
    submission_id: str,
    typed: Typed | None = None,
    refusal: ProblemError | None = None,
    status: int = 200,
) -> Template:
    """The visit as the audited see it, each item's appeal state, the visit's appeals and the appeal form."""
    viewer = viewer_of(request)
    lang = language_of(request)
    tz = ZoneInfo(settings.timezone)
    visit, units = await _visit(db, settings, viewer.name, submission_id)
    appeals = await _visit_appeals(db, visit, units)
    screen = await db.read(visit_screen, db.checklist_indexes, visit, appeals)
    groups = groups_of(visit, screen, lang)
    done = request.query_params.get("done")
    error = request.query_params.get("error")
    filed = next((a for a in appeals if a.status == "open"), None)
    return page(
        request,
        "my_visit.html",
        status=status,
        here=f"/my/visits/{visit.submission_id}",  # a language switch on an answer to the form goes back to the page
        visit=visit,
        unit_name=screen.unit_name or visit.unit_id,
        checklist_title=screen.index.checklist.title.get(lang) if screen.index else None,
        mark=_mark(screen.policy, visit.visit_score),
        groups=groups,
        # The failed items first, open; the rest folded away under one summary.
        failed=[r for g in groups for r in g.rows if r.disputable and r.result == "fail"],
        others=[r for g in groups for r in g.rows if r.disputable and r.result != "fail"],
        appeals=[_appeal_view(a, screen, lang) for a in appeals],
        typed=typed or Typed(picked=[], claims={}, kept={}, problems={}),
        refusal=_refusal(refusal, typed),
        done=done if done in DONE else None,
        error=error if error in REFUSALS else None,
        due=i18n.date(local_date(filed.due_at, tz), lang) if filed else None,
        date=lambda day: i18n.date(day, lang) if day else i18n.DASH,
        instant_date=lambda iso: i18n.date(local_date(iso, tz), lang) if iso else i18n.DASH,
        max_files=MAX_EVIDENCE,
        max_mb=min(settings.max_blob_bytes, MAX_FORM_BYTES) // (1024 * 1024),
        accept=",".join(sorted(ALLOWED_CONTENT_TYPES)),
    )


def _appeal_view(a: AppealOut, screen: VisitScreen, lang: str) -> dict[str, Any]:
    items = []
    for i in a.items:
        item = screen.index.items.get(i.item) if screen.index else None
        items.append(
            {
                "item": i.item,
                "text": item.text.get(lang) if item else i.item,
                "claim": i.claim,
                "evidence": [(sha, kind_of(screen.blob_types.get(sha))) for sha in i.evidence],
                "outcome": i.outcome,
                "reason": i.reason,
                "new": value_words(item, "value", [i.value, bool(i.na)], lang) if i.outcome == "overturned" else None,
            }
        )
    return {"appeal": a, "items": items}


def _refusal(exc: ProblemError | None, typed: Typed | None) -> dict | None:
    """The API's refusal as the page says it: its code, and the items it names (by their path)."""
    if exc is None:
        return None
    picked = typed.picked if typed else []
    items = []
    for e in exc.errors or ():
        found = re.match(r"items\[(\d+)\]", e.path)
        if found and int(found.group(1)) < len(picked):
            items.append(picked[int(found.group(1))])
    code = exc.code if f"appeal.problem.{exc.code}" in i18n.text_keys() else "invalid_request"
    return {"code": code, "items": items}


@get("/my/visits/{submission_id:str}", opt=MANAGERS, include_in_schema=False)
async def my_visit(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], submission_id: FromPath[str]
) -> Template:
    """An approved visit of one of the viewer's units, with its appeals and the appeal form."""
    return await visit_page(request, db, settings, submission_id)


# --- filing and withdrawing ---------------------------------------------------------------------------


class Refused(Exception):
    """A file of the form cannot be evidence: the catalogue key of why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def store_file(db: Database, blobs: BlobStore, settings: Settings, upload: UploadFile) -> str:
    """Store one uploaded file as a blob, as a finished tus upload is stored (same types, same size limit).

    The SHA-256 is the file's own; a blob already stored is not written again.
    """
    content_type = (upload.content_type or "").partition(";")[0].strip().lower()
    if content_type not in ALLOWED_CONTENT_TYPES:
        raise Refused("appeal.problem.content_type_not_allowed")
    limit = min(settings.max_blob_bytes, MAX_FORM_BYTES)
    digest, parts, size = hashlib.sha256(), [], 0
    while block := await upload.read(READ_BLOCK):
        size += len(block)
        if size > limit:
            raise Refused("appeal.problem.too_large")
        digest.update(block)
        parts.append(block)
    sha256 = digest.hexdigest()
    if await db.read(blobs_store.stored, sha256) is not None:
        return sha256
    data = b"".join(parts)
    try:
        identity = await blobs.put(sha256, data)
    except (BlobStoreUnavailable, OSError):
        raise Refused("appeal.problem.store_unavailable") from None
    refresh = refresher(db, ZoneInfo(settings.timezone))
    await db.write(blobs_store.record_blob, sha256, size, content_type, refresh, identity)
    return sha256


async def read_appeal_form(
    request: Request, db: Database, blobs: BlobStore, settings: Settings, disputable: set[str]
) -> Typed:
    """The ticked items, their claims and files (each file stored as a blob); every upload is closed."""
    form = await request.form()
    picked = [p for p in form.getall("pick") if isinstance(p, str) and p in disputable] if "pick" in form else []
    picked = list(dict.fromkeys(picked))
    claims: dict[str, str] = {}
    kept: dict[str, list[str]] = {}
    problems: dict[str, str] = {}
    try:
        for item in sorted(disputable):
            claim = form.get(f"claim_{item}")
            claims[item] = claim.strip() if isinstance(claim, str) else ""
            kept[item] = (
                [k.lower() for k in form.getall(f"kept_{item}") if isinstance(k, str) and _SHA.match(k.lower())][
                    :MAX_EVIDENCE
                ]
                if f"kept_{item}" in form
                else []
            )
        for item in picked:
            if not claims[item]:
                problems[item] = "appeal.problem.claim_required"
            elif len(claims[item]) > MAX_CLAIM:
                problems[item] = "appeal.problem.too_long"
            files = (
                [f for f in form.getall(f"files_{item}") if isinstance(f, UploadFile) and f.filename]
                if (f"files_{item}" in form)
                else []
            )
            if len(kept[item]) + len(files) > MAX_EVIDENCE:
                problems[item] = "appeal.problem.too_many_files"
                continue
            for upload in files:
                try:
                    kept[item].append(await store_file(db, blobs, settings, upload))
                except Refused as refused:
                    problems[item] = refused.key
    finally:
        for _, value in form.multi_items():
            if isinstance(value, UploadFile):
                await value.close()
    if not picked:
        problems[""] = "appeal.problem.no_items"
    return Typed(picked=picked, claims=claims, kept=kept, problems=problems)


@post(
    "/my/visits/{submission_id:str}/appeal",
    opt=MANAGERS,
    include_in_schema=False,
    status_code=303,
    request_max_body_size=MAX_FORM_BYTES,
)
async def file_form(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    blobs: NamedDependency[BlobStore],
    submission_id: FromPath[str],
) -> Redirect | Template:
    """File an appeal on the ticked items, each with its claim and files; refusals are shown on the page."""
    viewer = viewer_of(request)
    visit, units = await _visit(db, settings, viewer.name, submission_id)
    appeals = await _visit_appeals(db, visit, units)
    under_appeal = {i.item for a in appeals if a.status == "open" for i in a.items}
    disputable = {a.item for a in visit.answers} - under_appeal
    typed = await read_appeal_form(request, db, blobs, settings, disputable)
    if typed.problems:
        return await visit_page(request, db, settings, visit.submission_id, typed=typed, status=400)
    body = {
        "submission_id": visit.submission_id,
        "items": [{"item": i, "claim": typed.claims[i], "evidence": typed.kept[i]} for i in typed.picked],
    }
    try:
        await file_appeal(db, settings, viewer.name, strict_body(body, AppealIn))
    except ProblemError as exc:
        if exc.status == 404 or exc.status >= 500:
            raise
        return await visit_page(request, db, settings, visit.submission_id, typed=typed, refusal=exc, status=exc.status)
    return redirect(f"/my/visits/{visit.submission_id}?done=filed#appeals")


@post("/my/appeals/{appeal_id:str}/withdraw", opt=MANAGERS, include_in_schema=False, status_code=303)
async def withdraw(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], appeal_id: FromPath[str]
) -> Redirect:
    """Withdraw an open appeal of one of the viewer's units; back to its visit."""
    if not _ID.match(appeal_id):
        raise not_found("appeal")
    try:
        appeal = await withdraw_appeal(db, settings, viewer_of(request).name, appeal_id)
    except ProblemError as exc:
        if exc.code != "appeal_closed":
            raise
        units = await db.read(users_store.units_of, viewer_of(request).name)
        closed = await get_appeal(db, appeal_id, units, full=False)
        return redirect(f"/my/visits/{closed.submission_id}?error=appeal_closed#appeals")
    return redirect(f"/my/visits/{appeal.submission_id}?done=withdrawn#appeals")


# --- files ------------------------------------------------------------------------------------------------


@get("/my/evidence/{sha256:str}", opt=MANAGERS, include_in_schema=False)
async def my_evidence(
    request: Request,
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    blobs: NamedDependency[BlobStore],
    sha256: FromPath[str],
) -> BlobStream:
    """A photo or recording of the viewer's units' visits and appeals, as the audited may see it (no metadata)."""
    sha256 = sha256.lower()
    units = await db.read(users_store.units_of, viewer_of(request).name)
    blob = await db.read(blobs_store.visible_blob, sha256, None, units) if _SHA.match(sha256) else None
    shown = await evidence_file(db, blobs, blob, refresher(db, ZoneInfo(settings.timezone))) if blob else None
    if shown is None:
        raise not_found("evidence file")
    return BlobStream(
        shown.chunks,
        media_type=shown.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=86400",
            "Content-Length": str(shown.size),
            "Content-Disposition": f'inline; filename="{sha256}"',
            "Content-Security-Policy": EVIDENCE_CSP,
        },
    )


@get("/my/scorecards/{scorecard_id:str}/pdf", opt=MANAGERS, include_in_schema=False)
async def my_scorecard(request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]) -> Response:
    """A published scorecard of one of the viewer's units, exactly the bytes its SHA-256 names."""
    row = await db.read(scorecards_store.get, scorecard_id) if len(scorecard_id) <= 64 else None
    units = await db.read(users_store.units_of, viewer_of(request).name)
    listed = (
        await db.read(scorecards_store.list_rows, row["period"], row["unit_id"], "published", "", 100, units)
        if row is not None and row["unit_id"]
        else []
    )
    data = (
        await db.read(scorecards_store.pdf_of, scorecard_id)
        if any(r["scorecard_id"] == scorecard_id for r in listed)
        else None
    )
    if row is None or data is None:
        raise not_found("scorecard")
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf_name(row)}"', "X-Content-SHA256": row["sha256"]},
    )


ROUTES = [my_visit, file_form, withdraw, my_evidence, my_scorecard]
