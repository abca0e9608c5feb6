"""The appeals queue (`/appeals`) and the decision page (`/appeals/{id}`), for quality leads and admins.

Every read and step is the API's (`server.appeals`): the queue is `list_appeals`, a decision is
`decide_appeal`, and the preview is `decision_effect` over the visit as it stands. A decision is
bound to what the lead saw: the form carries the visit's heads and a digest of the outcomes last
previewed, so a save whose outcomes were not previewed, or whose visit changed since, shows the
preview again instead of saving; a decision made meanwhile by someone else is refused by the API.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import sqlite3
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from checklists.model import Item
from checklists.score import ChecklistIndex
from reports import i18n
from reports.scorecard_assembly import local_date
from server import clock
from server.appeals import AppealFilter, AppealOut, DecisionIn, decide_appeal, decision_effect, get_appeal, list_appeals
from server.clock import iso_utc
from server.console.visit import AnswerRow, outcome_of, parse_value, standard_groups, value_words
from server.console.web import console, language_of, page, redirect, viewer_of
from server.db import Database, snapshot
from server.errors import ProblemError, not_found
from server.periods import PERIOD_PATTERN, current_period
from server.settings import Settings
from server.store import appeals as store
from server.store import reviews as reviews_store
from server.store import visits as visits_store
from server.store.blobs import stored_among
from server.store.views import SubmissionDoc, view_documents
from server.wire import Scalar, strict_body

LEADS = console("quality_lead", "admin")
TABS = ("open", "decided", "withdrawn")
PAGE_SIZE = 50
MAX_VALUE = 200  # a filter value longer than any id is no filter
MAX_TEXT = 4000  # a reason, as the API takes it
SOON = dt.timedelta(days=2)  # an open appeal due within this long is marked as soon due
DAY = dt.timedelta(days=1)
_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$(?!\n)")
_PERIOD = re.compile(PERIOD_PATTERN)
OUTCOMES = ("upheld", "overturned")


# --- the SLA clock ----------------------------------------------------------------------------------


class Clock(msgspec.Struct, kw_only=True, frozen=True):
    """Where an appeal stands against its due date, in words and as a state the page marks (never colour alone)."""

    state: str  # ok, soon, overdue, late, in_time, withdrawn
    key: str  # the text's catalogue key
    days: int


def _days_left(span: dt.timedelta) -> int:
    """Whole days left, rounded up: an hour left is a day's notice, never "0 days"."""
    return max(1, math.ceil(span / DAY))


def _days_past(span: dt.timedelta) -> int:
    """Whole days past the due date, rounded down: at least one once it has passed."""
    return max(1, math.floor(span / DAY))


def sla_clock(appeal: AppealOut, now: dt.datetime) -> Clock:
    """An appeal's clock at `now`: days left, days overdue, or how the decision kept its date (pure)."""
    due = _instant(appeal.due_at)
    if appeal.status == "withdrawn":
        return Clock(state="withdrawn", key="appeal.clock.withdrawn", days=0)
    if appeal.status == "decided":
        closed = _instant(appeal.closed_at) if appeal.closed_at else due
        if not appeal.overdue:
            return Clock(state="in_time", key="appeal.clock.in_time", days=0)
        days = _days_past(closed - due)
        return Clock(state="late", key="appeal.clock.late_one" if days == 1 else "appeal.clock.late", days=days)
    if appeal.overdue or now >= due:
        days = _days_past(now - due)
        return Clock(
            state="overdue", key="appeal.clock.overdue_one" if days == 1 else "appeal.clock.overdue", days=days
        )
    days = _days_left(due - now)
    return Clock(
        state="soon" if due - now <= SOON else "ok",
        key="appeal.clock.left_one" if days == 1 else "appeal.clock.left",
        days=days,
    )


def _instant(moment: str) -> dt.datetime:
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))


# --- the queue --------------------------------------------------------------------------------------


class QueueQuery(msgspec.Struct, kw_only=True, frozen=True):
    """The queue's state as the query string holds it (unknown or malformed values fall back)."""

    status: str
    unit: str | None
    period: str | None
    overdue: bool
    cursor: str | None

    def filter(self) -> AppealFilter:
        return AppealFilter(status=self.status, unit_id=self.unit, period=self.period, overdue=self.overdue)

    def url(self, **changes: str | None) -> str:
        """The queue's URL with some parameters changed (None: left out); the cursor only when given."""
        params: dict[str, str | None] = {
            "status": self.status,
            "unit": self.unit,
            "period": self.period,
            "overdue": "yes" if self.overdue else None,
        }
        params.update(changes)
        return "/appeals?" + urlencode([(k, v) for k, v in params.items() if v])


def parse_query(pairs: list[tuple[str, str]]) -> QueueQuery:
    """The queue's state from query-string pairs; anything unknown or malformed is left out."""
    given = {k: v.strip() for k, v in pairs if len(v) <= MAX_VALUE and v.strip()}
    status = given.get("status", TABS[0])
    period = given.get("period")
    cursor = given.get("cursor")
    return QueueQuery(
        status=status if status in TABS else TABS[0],
        unit=given.get("unit"),
        period=period if period and _PERIOD.match(period) else None,
        overdue=given.get("overdue") == "yes",
        cursor=cursor if cursor and "|" in cursor else None,
    )


class QueueScreen(msgspec.Struct, kw_only=True, frozen=True):
    """What the queue shows besides the page of appeals, read in one snapshot."""

    counts: dict[str, int]
    choices: reviews_store.QueueChoices
    visits: dict[str, SubmissionDoc]
    shares: list[store.OverturnShare]


def queue_screen(
    c: sqlite3.Connection, q: QueueQuery, overdue_at: str | None, submission_ids: list[str], shares_period: str
) -> QueueScreen:
    """The tab counts, the filters' choices, the page's visits and the auditors' overturn shares."""
    with snapshot(c):
        return QueueScreen(
            counts=store.status_counts(c, q.unit, q.period, overdue_at),
            choices=reviews_store.queue_choices(c),
            visits=view_documents(c, submission_ids),
            shares=store.overturn_shares(c, shares_period),
        )


@get("/appeals", opt=LEADS, include_in_schema=False)
async def appeals_queue(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """The appeals: tabs per status with counts, filters, the SLA clock per row, oldest due first, cursor paging."""
    q = parse_query(list(request.query_params.multi_items()))
    lang = language_of(request)
    tz = ZoneInfo(settings.timezone)
    now = clock.utc_now()
    appeals, next_cursor = await list_appeals(db, q.filter(), q.cursor, PAGE_SIZE, full=True)
    shares_period = q.period or current_period(tz, now)
    screen = await db.read(
        queue_screen, q, iso_utc(now) if q.overdue else None, [a.submission_id for a in appeals], shares_period
    )
    units = dict(screen.choices.units)
    rows = []
    for a in appeals:
        doc = screen.visits.get(a.submission_id)
        rows.append(
            {
                "appeal": a,
                "unit": units.get(a.unit_id, a.unit_id),
                "visit_date": i18n.date(local_date(doc.corrected_start, tz), lang) if doc else i18n.DASH,
                "clock": sla_clock(a, now),
                "upheld": sum(1 for i in a.items if i.outcome == "upheld"),
                "overturned": sum(1 for i in a.items if i.outcome == "overturned"),
            }
        )
    return page(
        request,
        "appeals_queue.html",
        q=q,
        rows=rows,
        tabs=[(s, screen.counts.get(s, 0), q.url(status=s)) for s in TABS],
        current_count=screen.counts.get(q.status, 0),
        choices=screen.choices,
        next_url=q.url(cursor=next_cursor) if next_cursor else None,
        first_url=q.url() if q.cursor else None,
        reset_url=f"/appeals?status={q.status}",
        shares=screen.shares,
        shares_period=i18n.period_name(shares_period, lang),
        date=lambda iso: _date(iso, tz, lang),
    )


def _date(iso: str | None, tz: ZoneInfo, lang: str) -> str:
    """A stored instant as a date in the organisation's zone."""
    return i18n.date(local_date(iso, tz), lang) if iso else i18n.DASH


# --- the decision page -----------------------------------------------------------------------------


class Chosen(msgspec.Struct, kw_only=True, frozen=True):
    """One item's outcome as the form holds it (kept as typed, to show the form again)."""

    item: str
    outcome: str  # upheld, overturned, or "" when none was picked
    reason: str
    value: str  # the new value as typed or picked
    na: bool


class Decision(msgspec.Struct, kw_only=True, frozen=True):
    """The form read against the appeal: the API's body when every item is complete, else the problems."""

    chosen: list[Chosen]
    problems: dict[str, str]  # item -> the catalogue key of its problem
    body: dict | None  # the DecisionIn body
    changes: dict[str, tuple[Scalar, bool]]  # the overturned items' new answers
    digest: str


def read_decision(form: dict[str, str], appeal: AppealOut, index: ChecklistIndex | None, heads: list[str]) -> Decision:
    """The outcomes the form gives each item (`outcome_i`, `reason_i`, `value_i`, `na_i` by the item's position)."""
    chosen, problems, items, changes = [], {}, [], {}
    for n, disputed in enumerate(appeal.items):
        item_id = disputed.item
        c = Chosen(
            item=item_id,
            outcome=form.get(f"outcome_{n}", "") if form.get(f"outcome_{n}") in OUTCOMES else "",
            reason=(form.get(f"reason_{n}") or "").strip(),
            value=(form.get(f"value_{n}") or "").strip()[:MAX_VALUE],
            na=form.get(f"na_{n}") == "on",
        )
        chosen.append(c)
        item = index.items.get(item_id) if index else None
        if not c.outcome:
            problems[item_id] = "appeal.problem.no_outcome"
        elif not c.reason:
            problems[item_id] = "appeal.problem.reason_required"
        elif len(c.reason) > MAX_TEXT:
            problems[item_id] = "appeal.problem.too_long"
        elif c.outcome == "upheld":
            items.append({"item": item_id, "outcome": "upheld", "reason": c.reason})
        else:
            answer = _new_answer(item, c)
            if isinstance(answer, str):
                problems[item_id] = answer
            else:
                changes[item_id] = answer
                items.append(
                    {"item": item_id, "outcome": "overturned", "reason": c.reason, "value": answer[0], "na": answer[1]}
                )
    body = {"items": items} if not problems else None
    seen = msgspec.json.encode([heads, [msgspec.to_builtins(c) for c in chosen]])
    return Decision(
        chosen=chosen, problems=problems, body=body, changes=changes, digest=hashlib.sha256(seen).hexdigest()
    )


def _new_answer(item: Item | None, c: Chosen) -> tuple[Scalar, bool] | str:
    """An overturned item's new answer (value, na), or the catalogue key of what is wrong with it."""
    if item is None:
        return "appeal.problem.unknown_item"
    if c.na and item.na_allowed:
        return None, True
    try:
        value = parse_value(item, c.value)
    except ValueError:
        return "appeal.problem.bad_value"
    if value is None:
        return "appeal.problem.value_required"
    return value, False


class Effect(msgspec.Struct, kw_only=True, frozen=True):
    """The visit score now and with the chosen outcomes, with each overturned item's result after."""

    now: float | None
    after: float | None
    change: float | None
    results: dict[str, str]  # item -> pass, fail, na... with its new answer


def effect_of(doc: SubmissionDoc, index: ChecklistIndex | None, decision: Decision) -> Effect | None:
    """The effect of a complete decision on the visit score (None while an item is incomplete)."""
    if decision.body is None or index is None:
        return None
    now, after = decision_effect(doc, index, decision.changes)
    change = after - now if now is not None and after is not None else None
    results = {item: outcome_of(index.items[item], v, na) for item, (v, na) in decision.changes.items()}
    return Effect(now=now, after=after, change=change, results=results)


class AppealScreen(msgspec.Struct, kw_only=True, frozen=True):
    """The visit page's data for the appeal's visit, and the types of the unit's evidence."""

    visit: visits_store.VisitPage
    claim_types: dict[str, str]  # sha256 -> content type of the stored blobs of the claims


def appeal_screen(
    c: sqlite3.Connection, appeal: AppealOut, cache: dict, viewer: str, since: str
) -> AppealScreen | None:
    """The appeal's visit as the review pages read it, and its claims' evidence types; None without a visit."""
    visit = visits_store.visit_page(c, appeal.submission_id, cache, viewer, since)
    if visit is None:
        return None
    hashes = sorted({sha for i in appeal.items for sha in i.evidence})
    types = {r["sha256"]: r["content_type"] for r in stored_among(c, hashes)} if hashes else {}
    return AppealScreen(visit=visit, claim_types=types)


def evidence_kind(content_type: str | None) -> str:
    """photo, audio, file, or missing (no stored blob)."""
    if content_type is None:
        return "missing"
    return "photo" if content_type.startswith("image/") else "audio" if content_type.startswith("audio/") else "file"


async def _screen(request: Request, db: Database, appeal_id: str) -> tuple[AppealOut, AppealScreen]:
    if not _ID.match(appeal_id):
        raise not_found("appeal")
    appeal = await get_appeal(db, appeal_id, None, full=True)
    since = iso_utc(clock.utc_now() - dt.timedelta(minutes=10))
    screen = await db.read(appeal_screen, appeal, db.checklist_indexes, viewer_of(request).name, since)
    if screen is None:
        raise not_found("appeal")
    return appeal, screen


def decision_page(
    request: Request,
    appeal: AppealOut,
    screen: AppealScreen,
    settings: Settings,
    *,
    decision: Decision | None = None,
    notice: str | None = None,
    refusal: ProblemError | None = None,
    status: int = 200,
) -> Template:
    """The decision page: the visit, each disputed item with both sides, the outcomes form, the preview."""
    lang = language_of(request)
    tz = ZoneInfo(settings.timezone)
    data = screen.visit
    doc = data.doc
    index = ChecklistIndex(data.checklist) if data.checklist is not None else None
    rows: dict[str, AnswerRow] = {a.item: a for g in standard_groups(data, lang) for a in g.answers}
    items = []
    for n, disputed in enumerate(appeal.items):
        item = index.items.get(disputed.item) if index else None
        before = disputed.before
        items.append(
            {
                "n": n,
                "id": disputed.item,
                "item": item,
                "text": item.text.get(lang) if item else disputed.item,
                "standard": index.standard_of[disputed.item].title.get(lang) if item and index else "",
                "before": value_words(item, "value", [before.value, before.na], lang),
                "before_result": outcome_of(item, before.value, before.na) if item else "not_scored",
                "row": rows.get(disputed.item),
                "evidence": [(e.sha256, e.kind) for e in row.evidence] if (row := rows.get(disputed.item)) else [],
                "changed": _changed(rows.get(disputed.item), item, before.value, before.na, lang),
                "claim": disputed.claim,
                "claim_evidence": [(sha, evidence_kind(screen.claim_types.get(sha))) for sha in disputed.evidence],
                "outcome": disputed.outcome,
                "reason": disputed.reason,
                "new": value_words(item, "value", [disputed.value, bool(disputed.na)], lang)
                if disputed.outcome == "overturned"
                else None,
                "chosen": decision.chosen[n] if decision else None,
                "problem": decision.problems.get(disputed.item) if decision else None,
            }
        )
    effect = effect_of(doc, index, decision) if decision is not None else None

    def mark(score: float | None) -> str | None:
        return data.policy.mark(score) if data.policy is not None and score is not None else None

    return page(
        request,
        "appeal.html",
        status=status,
        here=f"/appeals/{appeal.id}",  # a language switch on an answer to the form goes back to the page
        appeal=appeal,
        doc=doc,
        unit=data.unit,
        checklist_title=data.checklist.title.get(lang) if data.checklist else None,
        visit_mark=mark(doc.scores.visit if doc.scores else None),
        clock=sla_clock(appeal, clock.utc_now()),
        items=items,
        decision=decision,
        effect=effect,
        effect_marks=(mark(effect.now), mark(effect.after)) if effect else (None, None),
        heads=",".join(doc.heads),
        notice=notice,
        refusal=_refusal(refusal, appeal),
        done=request.query_params.get("done") == "decided",
        date=lambda iso: _date(iso, tz, lang),
        signed=lambda x: i18n.signed(x, lang),
    )


def _changed(row: AnswerRow | None, item: Item | None, value: Any, na: bool, lang: str) -> bool:
    """Whether the visit's answer now reads otherwise than when the appeal was filed."""
    return row is not None and row.value != value_words(item, "value", [value, na], lang)


def _refusal(exc: ProblemError | None, appeal: AppealOut) -> dict | None:
    """A refusal of the API as the page says it: its code's words, and the items it names."""
    if exc is None:
        return None
    items = []
    for e in exc.errors or ():
        found = re.match(r"items\[(\d+)\]", e.path)
        if found and int(found.group(1)) < len(appeal.items):
            items.append((appeal.items[int(found.group(1))].item, e.message))
        else:
            items.append((e.path, e.message))
    code = exc.code if f"appeal.problem.{exc.code}" in i18n.text_keys() else "invalid_request"
    return {"code": code, "items": items}


@get("/appeals/{appeal_id:str}", opt=LEADS, include_in_schema=False)
async def appeal_view(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], appeal_id: FromPath[str]
) -> Template:
    """One appeal: the visit, the disputed items with the auditor's and the unit's side, and the decision form."""
    appeal, screen = await _screen(request, db, appeal_id)
    return decision_page(request, appeal, screen, settings)


@post("/appeals/{appeal_id:str}/decision", opt=LEADS, include_in_schema=False, status_code=200)
async def decide(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], appeal_id: FromPath[str]
) -> Template | Response:
    """Preview the outcomes' effect on the score; or save them, when they are what was previewed on this visit."""
    appeal, screen = await _screen(request, db, appeal_id)
    form = await request.form()
    fields = {k: form.get(k) for k in form if isinstance(form.get(k), str)}
    doc = screen.visit.doc
    index = ChecklistIndex(screen.visit.checklist) if screen.visit.checklist is not None else None
    decision = read_decision(fields, appeal, index, doc.heads)
    if appeal.status != "open":
        refusal = ProblemError(409, "appeal_closed", "the appeal is closed")
        return decision_page(request, appeal, screen, settings, refusal=refusal, status=409)
    if decision.body is None:
        return decision_page(request, appeal, screen, settings, decision=decision, status=400)
    if fields.get("action") != "save":
        return decision_page(request, appeal, screen, settings, decision=decision)
    if fields.get("heads") != ",".join(doc.heads):
        return decision_page(request, appeal, screen, settings, decision=decision, notice="changed", status=409)
    if fields.get("checked") != decision.digest:
        return decision_page(request, appeal, screen, settings, decision=decision, notice="not_previewed")
    try:
        body = strict_body(decision.body, DecisionIn)
        await decide_appeal(db, settings, viewer_of(request).name, appeal.id, body)
    except ProblemError as exc:
        if exc.status >= 500:
            raise
        appeal, screen = await _screen(request, db, appeal_id)
        return decision_page(request, appeal, screen, settings, decision=decision, refusal=exc, status=exc.status)
    return redirect(f"/appeals/{appeal.id}?done=decided")


ROUTES = [appeals_queue, appeal_view, decide]
