"""Appeals: a unit manager disputes items of an approved visit; a quality lead decides every item.

Each step is one write transaction: the appeal's rows, the audit entry, and the visit's view
refreshed (so the approved figures follow an open appeal at once, `exclude_disputed`). A decision
that overturns items stores one reviewer revision made from the visit's merged view, with the
overturned answers changed and `appeal_id` naming the appeal (revisions keep fields the merge does
not read), and an approval of the visit as changed that replaces the one in force: the auditor's
tablet reads that approval, its comment and its `appeal_id` through pull, never who appealed.

The rules (window, cap, due date) are those of the latest motivation policy's `[appeals]`.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import unicodedata
import uuid
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo

import msgspec

from checklists.canonical import canonical_json
from checklists.score import ChecklistIndex, answer_problems, score_visit, shown
from checklists.text import ONE_LINE_PATTERN
from reports.policy import Appeals, LoadedPolicy
from server import clock
from server.db import Database
from server.errors import FieldError, ProblemError, not_found
from server.settings import Settings
from server.store import appeals as store
from server.store import policies as policy_store
from server.store import reviews as reviews_store
from server.store import submissions as submissions_store
from server.store import sync as sync_store
from server.store import users as users_store
from server.store.audit import audit
from server.store.blobs import stored_among
from server.store.views import AnswerOut, SubmissionDoc, view_documents
from server.sync.prepare import Author, PushWork
from server.sync.push import Stored, write_work
from server.sync.refresh import refresh
from server.sync.revision import Sha256, decode_revision
from server.wire import Body, Scalar, Slug, Uuid, Wire, strict_body

# A claim or a reason: lines of text. The rule of one line (checklists/text.py) with line breaks
# and tabs allowed; it ends with a character that is not white space (no trailing newline, the
# house rule of every pattern, and never only white space).
_REFUSED = ONE_LINE_PATTERN.removeprefix("^[^").removesuffix("]+$(?!\\n)")
_IN_TEXT = _REFUSED.replace("\\u0000-\\u001f", "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f", 1)
TEXT_PATTERN = f"^[^{_IN_TEXT}]*[^{_IN_TEXT}\\s]$(?!\\n)"
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=4000, pattern=TEXT_PATTERN)]

TEXT_RULE = (
    "must be 1..4000 characters of text ending in one that is not white space, without control characters"
    " (line breaks and tabs are fine), bidirectional controls, zero-width characters or line and paragraph"
    " separators"
)
MAX_ITEMS = 50
MAX_EVIDENCE = 10
_APPEAL_ID = re.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # as `file_appeal` makes them

T = TypeVar("T")


def appeal_body(data: object, body_type: type[T]) -> T:
    """A request body (`AppealIn`, `DecisionIn`) converted strictly, or 400 `invalid_request` with the path.

    A claim or reason that breaks the text rule is told in words, not as the pattern it failed.
    """
    try:
        return strict_body(data, body_type)
    except ProblemError as problem:
        for n, error in enumerate(problem.errors or []):
            if repr(TEXT_PATTERN) in error.message:
                problem.errors[n] = FieldError(path=error.path, message=TEXT_RULE)  # type: ignore[index]
        raise


class AppealItemIn(Body):
    """One disputed item: what the unit manager claims, and the blobs (uploaded with tus) that show it."""

    item: Slug
    claim: Text
    evidence: Annotated[list[Sha256], msgspec.Meta(max_length=MAX_EVIDENCE)] = []

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "claim", unicodedata.normalize("NFC", self.claim))
        msgspec.structs.force_setattr(self, "evidence", [e.lower() for e in self.evidence])


class AppealIn(Body):
    """`POST /v1/appeals`: items of one approved visit of the manager's units."""

    submission_id: Uuid
    items: Annotated[list[AppealItemIn], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]


class DecisionItemIn(Body):
    """The decision on one item: upheld (the answer stands) or overturned to `value` (or N/A)."""

    item: Slug
    outcome: Literal["upheld", "overturned"]
    reason: Text
    value: Scalar = None
    na: bool = False

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "reason", unicodedata.normalize("NFC", self.reason))


class DecisionIn(Body):
    """`POST /v1/appeals/{id}/decision`: every item of the appeal, each once."""

    items: Annotated[list[DecisionItemIn], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]


class AnswerBefore(Wire):
    value: Scalar
    na: bool


class AppealItemOut(Wire):
    item: str
    claim: str
    evidence: list[str]
    before: AnswerBefore  # the answer when the appeal was filed
    outcome: str | None  # upheld, overturned; null until decided
    reason: str | None
    value: Scalar  # what an overturned item became
    na: bool | None


class AppealOut(Wire):
    """An appeal; `filed_by`, `decided_by`, `rev_id` and `review_id` only for quality leads and admins."""

    id: str
    submission_id: str
    unit_id: str
    period: str
    status: str  # open, withdrawn, decided
    filed_at: str
    due_at: str
    # Open past its due date, or decided after it.
    overdue: bool
    closed_at: str | None
    items: list[AppealItemOut]
    filed_by: str | None = None
    decided_by: str | None = None
    rev_id: str | None = None
    review_id: int | None = None


class AppealFilter(msgspec.Struct, kw_only=True, frozen=True):
    """Which appeals a list shows (None: not filtered on); `units` None for every unit."""

    status: str | None = None
    unit_id: str | None = None
    period: str | None = None
    overdue: bool = False
    units: list[str] | None = None


# --- filing ---------------------------------------------------------------------------------------------


async def file_appeal(db: Database, settings: Settings, manager: str, body: AppealIn) -> AppealOut:
    """File an appeal on items of an approved visit of one of the manager's units.

    404 for any other visit; 400 `unknown_item`, `duplicate_item`, `unknown_evidence` (each with its
    path); 409 `appeal_window_closed`, `appeal_limit_reached`, `appeal_exists`.
    """
    tz = ZoneInfo(settings.timezone)

    def filed(c: sqlite3.Connection) -> store.StoredAppeal:
        submission_id = body.submission_id.lower()
        doc = submissions_store.document(c, submission_id)
        units = users_store.units_of(c, manager)
        if doc is None or doc.status != "approved" or doc.view is None or doc.view.unit_id not in units:
            raise not_found("submission")
        index = _index_of(c, db, doc)
        hashes = sorted({e for i in body.items for e in i.evidence})
        _check_items(body, index, {r["sha256"] for r in stored_among(c, hashes)} if hashes else set())
        rules = _rules(c)
        now = clock.utc_now()
        approved_at = store.original_approval(c, submission_id)
        if approved_at is None or now > _instant(approved_at) + dt.timedelta(days=rules.window_days):
            raise ProblemError(
                409,
                "appeal_window_closed",
                f"a visit may be appealed within {rules.window_days} day(s) of its approval"
                f" (approved {(approved_at or '')[:10]})",
            )
        unit_id, period = doc.view.unit_id, doc.period
        if store.filed_count(c, unit_id, period) >= rules.max_per_unit_per_period:
            raise ProblemError(
                409,
                "appeal_limit_reached",
                f"{unit_id} has filed the {rules.max_per_unit_per_period} appeal(s) allowed for {period}",
            )
        store.already_under_appeal(c, submission_id, [i.item for i in body.items])
        answers = {a.item: a for a in doc.view.answers}
        appeal = store.StoredAppeal(
            appeal_id=str(uuid.uuid4()),
            submission_id=submission_id,
            unit_id=unit_id,
            period=period,
            filed_by=manager,
            filed_at=clock.iso_utc(now),
            due_at=clock.iso_utc(now + dt.timedelta(days=rules.decide_within_days)),
            status="open",
            closed_at=None,
            decided_by=None,
            rev_id=None,
            review_id=None,
            items=[
                store.StoredItem(
                    item=i.item,
                    position=n,
                    claim=i.claim,
                    evidence=sorted(set(i.evidence)),
                    before=_answer(answers.get(i.item)),
                    outcome=None,
                    reason=None,
                    value=None,
                    na=None,
                )
                for n, i in enumerate(body.items)
            ],
        )
        store.insert_appeal(c, appeal)
        audit(
            c,
            manager,
            "appeal.file",
            "appeal",
            appeal.appeal_id,
            {"submission_id": submission_id, "items": [i.item for i in body.items]},
        )
        refresh(c, [submission_id], db.checklist_indexes, tz)
        return appeal

    return appeal_out(await db.write(filed), clock.now_iso(), full=False)


def _check_items(body: AppealIn, index: ChecklistIndex, present: set[str]) -> None:
    """400 for items not in the visit's checklist version, an item twice, or evidence not uploaded."""
    unknown: list[FieldError] = []
    twice: list[FieldError] = []
    seen: set[str] = set()
    for n, i in enumerate(body.items):
        if i.item not in index.items:
            unknown.append(
                FieldError(path=f"items[{n}].item", message=f"{i.item} is not an item of the visit's checklist")
            )
        elif i.item in seen:
            twice.append(FieldError(path=f"items[{n}].item", message=f"{i.item} is appealed twice"))
        seen.add(i.item)
    if unknown:
        raise ProblemError(400, "unknown_item", "some items are not in the visit's checklist version", unknown)
    if twice:
        raise ProblemError(400, "duplicate_item", "an item may be appealed once per appeal", twice)
    missing = [
        FieldError(path=f"items[{n}].evidence[{k}]", message=f"no blob {sha} is stored: upload it first")
        for n, i in enumerate(body.items)
        for k, sha in enumerate(i.evidence)
        if sha not in present
    ]
    if missing:
        raise ProblemError(400, "unknown_evidence", "some evidence is not uploaded", missing)


# --- withdrawing ------------------------------------------------------------------------------------------


async def withdraw_appeal(db: Database, settings: Settings, manager: str, appeal_id: str) -> AppealOut:
    """Withdraw an open appeal of one of the manager's units; 409 `appeal_closed` when it is not open."""
    tz = ZoneInfo(settings.timezone)

    def withdrawn(c: sqlite3.Connection) -> store.StoredAppeal:
        appeal = _visible(c, appeal_id, users_store.units_of(c, manager))
        if not store.close_appeal(c, appeal.appeal_id, "withdrawn", clock.now_iso()):
            raise _closed(appeal)
        audit(c, manager, "appeal.withdraw", "appeal", appeal.appeal_id, {"submission_id": appeal.submission_id})
        refresh(c, [appeal.submission_id], db.checklist_indexes, tz)
        return store.appeals_by_id(c, [appeal.appeal_id])[appeal.appeal_id]

    return appeal_out(await db.write(withdrawn), clock.now_iso(), full=False)


# --- deciding -------------------------------------------------------------------------------------------


async def decide_appeal(db: Database, settings: Settings, reviewer: str, appeal_id: str, body: DecisionIn) -> AppealOut:
    """Decide every item of an open appeal; the overturned ones change the visit (one reviewer revision).

    400 `items_mismatch` unless the body names exactly the appeal's items, `invalid_decision` for
    an outcome that cannot stand (with its path); 409 `appeal_closed` when the appeal is not open,
    `visit_not_approved` for an overturn of a visit that is no longer approved. A decision after
    the due date is recorded; the appeal stays overdue.
    """
    tz = ZoneInfo(settings.timezone)

    def decided(c: sqlite3.Connection) -> store.StoredAppeal:
        appeal = _visible(c, appeal_id, None)
        if appeal.status != "open":
            raise _closed(appeal)
        _check_decided_items(appeal, body)
        sub = appeal.submission_id
        doc = submissions_store.document(c, sub)
        if doc is None or doc.view is None:
            raise not_found("submission")
        index = _index_of(c, db, doc)
        current = {a.item: (a.value, a.na) for a in doc.view.answers}
        _check_outcomes(body, index, current)
        overturned = {d.item: (d.value, d.na) for d in body.items if d.outcome == "overturned"}
        if overturned and doc.status != "approved":
            raise ProblemError(
                409,
                "visit_not_approved",
                f"the visit is {doc.status}, not approved: an item can be overturned only on an approved visit",
            )
        now = clock.now_iso()
        store.close_appeal(c, appeal.appeal_id, "decided", now, reviewer)
        store.record_outcomes(
            c,
            appeal.appeal_id,
            [(d.item, d.outcome, d.reason, d.value, d.na if d.outcome == "overturned" else None) for d in body.items],
        )
        if overturned:
            rev_id = _store_overturn(c, db, doc, body, overturned, appeal.appeal_id, reviewer, tz, now)
            review_id = _approve_overturn(c, reviewer, sub, body, appeal.appeal_id)
            store.record_effect(c, appeal.appeal_id, rev_id, review_id)
        audit(
            c,
            reviewer,
            "appeal.decide",
            "appeal",
            appeal.appeal_id,
            {"submission_id": sub, "outcomes": {d.item: d.outcome for d in body.items}},
        )
        refresh(c, [sub], db.checklist_indexes, tz)
        return store.appeals_by_id(c, [appeal.appeal_id])[appeal.appeal_id]

    return appeal_out(await db.write(decided), clock.now_iso(), full=True)


def _check_decided_items(appeal: store.StoredAppeal, body: DecisionIn) -> None:
    """400 `items_mismatch` unless the body decides each of the appeal's items exactly once."""
    wanted = {i.item for i in appeal.items}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for n, d in enumerate(body.items):
        if d.item not in wanted:
            errors.append(FieldError(path=f"items[{n}].item", message=f"{d.item} is not an item of this appeal"))
        elif d.item in seen:
            errors.append(FieldError(path=f"items[{n}].item", message=f"{d.item} is decided twice"))
        seen.add(d.item)
    errors += [FieldError(path="items", message=f"{i.item} is not decided") for i in appeal.items if i.item not in seen]
    if errors:
        raise ProblemError(400, "items_mismatch", "decide every item of the appeal, each once", errors)


def _check_outcomes(body: DecisionIn, index: ChecklistIndex, current: dict[str, tuple[Scalar, bool]]) -> None:
    """400 `invalid_decision` for an upheld item with a value, or an overturn to no answer, the same
    answer, an N/A the item does not allow, or a value the item does not take."""
    errors: list[FieldError] = []
    for n, d in enumerate(body.items):
        at = f"items[{n}]"
        if d.outcome == "upheld":
            if d.value is not None or d.na:
                errors.append(FieldError(path=f"{at}.value", message="an upheld item keeps its answer: send no value"))
            continue
        item = index.items.get(d.item)
        if d.value is None and not d.na:
            errors.append(FieldError(path=f"{at}.value", message="an overturned item needs a value, or na: true"))
        elif d.na and item is not None and not item.na_allowed:
            errors.append(FieldError(path=f"{at}.na", message=f"{d.item} cannot be answered N/A"))
        elif _same(current.get(d.item, (None, False)), (d.value, d.na)):
            errors.append(FieldError(path=f"{at}.value", message=f"this is {d.item}'s answer already"))
        else:
            errors += [
                FieldError(path=f"{at}.{p.path.rpartition('.')[2]}", message=p.message)
                for p in answer_problems(index, [(d.item, d.value, d.na)], submitted=False)
            ]
    if errors:
        raise ProblemError(400, "invalid_decision", "some outcomes cannot be recorded", errors)


def _same(a: tuple[Scalar, bool], b: tuple[Scalar, bool]) -> bool:
    """The same answer, compared as the merge compares values (`true` is not `1`; `4.0` is `4`)."""
    return canonical_json([a[0], bool(a[1])]) == canonical_json([b[0], bool(b[1])])


def _store_overturn(
    c: sqlite3.Connection,
    db: Database,
    doc: SubmissionDoc,
    body: DecisionIn,
    overturned: dict[str, tuple[Scalar, bool]],
    appeal_id: str,
    reviewer: str,
    tz: ZoneInfo,
    received_at: str,
) -> str:
    """Store the reviewer revision of the visit as overturned; its rev_id. 400 if it cannot be stored."""
    revision = overturn_revision(doc, overturned, appeal_id)
    work = PushWork(revisions=[decode_revision(revision)], checked={}, new={})
    author = Author(name=reviewer, rank="reviewer", device_id=None, token_prefix="", offset_ms=0)
    plan, _ = write_work(c, db, work, author, tz, received_at, submission_scope=doc.submission_id)
    (verdict,) = plan.verdicts
    if not isinstance(verdict, Stored):
        problem = getattr(verdict, "problem", None)
        message = problem.message if problem else "the revision was not stored"
        path = _item_path(problem.path if problem else None, revision, body)
        raise ProblemError(
            400,
            "invalid_decision",
            f"the visit as overturned cannot be stored: {message}",
            [FieldError(path=path, message=message)],
        )
    return revision["rev_id"]


def overturn_revision(doc: SubmissionDoc, overturned: dict[str, tuple[Scalar, bool]], appeal_id: str) -> dict:
    """The reviewer revision of the visit's merged view with the overturned answers changed (pure).

    Its parents are the current heads, so it is the visit's one head; every other field is the
    view's, so it sets nothing else. `appeal_id` names the appeal it records.
    """
    view = doc.view
    assert view is not None
    answers = [
        _answer_dict(a.item, *overturned.get(a.item, (a.value, a.na)), a.comment, a.evidence) for a in view.answers
    ]
    answered = {a.item for a in view.answers}
    answers += [_answer_dict(item, *change, None, None) for item, change in overturned.items() if item not in answered]
    revision = {
        "rev_id": str(uuid.uuid4()),
        "submission_id": doc.submission_id,
        "parents": list(doc.heads),
        "checklist": {"id": view.checklist.id, "version": view.checklist.version},
        "unit_id": view.unit_id,
        "started_at": view.started_at,
        "state": view.state,
        "answers": answers,
        "appeal_id": appeal_id,
    }
    optional = {
        "staff_ids": view.staff_ids,
        "assignment_id": view.assignment_id,
        "finished_at": view.finished_at,
        "location": msgspec.to_builtins(view.location) if view.location is not None else None,
    }
    revision.update({k: v for k, v in optional.items() if v is not None})
    return revision


def _answer_dict(item: str, value: Scalar, na: bool, comment: str | None, evidence: list[str] | None) -> dict:
    answer: dict = {"item": item, "value": value, "na": na}
    if comment is not None:
        answer["comment"] = comment
    if evidence is not None:
        answer["evidence"] = evidence
    return answer


def _item_path(path: str | None, revision: dict, body: DecisionIn) -> str:
    """The decision's path of a problem of the revision: `answers[k]...` becomes the item's `items[n].value`."""
    if path and path.startswith("answers["):
        k = path[len("answers[") : path.index("]")]
        if k.isdigit() and int(k) < len(revision["answers"]):
            item = revision["answers"][int(k)]["item"]
            for n, d in enumerate(body.items):
                if d.item == item:
                    return f"items[{n}].value"
    return path or "items"


def _approve_overturn(
    c: sqlite3.Connection, reviewer: str, submission_id: str, body: DecisionIn, appeal_id: str
) -> int:
    """Approve the visit as overturned, replacing the decision in force; the new decision's id."""
    (doc,) = view_documents(c, [submission_id]).values()
    in_force = reviews_store.latest_reviews(c, [submission_id]).get(submission_id)
    lines = [f"{d.item} overturned on appeal: {d.reason}" for d in body.items if d.outcome == "overturned"]
    decision = reviews_store.Decision(
        submission_id=submission_id,
        decision="approve",
        comment="\n".join(lines),
        heads=doc.heads,
        supersedes=in_force.id if in_force is not None else None,
        appeal_id=appeal_id,
    )
    (result,), _ = reviews_store.record_decisions(c, reviewer, [decision])
    if result.problem is not None or result.decision_id is None:
        raise ProblemError(409, "visit_not_approved", f"the visit as overturned cannot be approved: {result.problem}")
    return result.decision_id


def decision_effect(
    doc: SubmissionDoc, index: ChecklistIndex, changes: dict[str, tuple[Scalar, bool]]
) -> tuple[float | None, float | None]:
    """The visit score as shown now, and as it would be with the answers in `changes` (pure)."""
    answers = {a.item: (a.value, a.na) for a in doc.view.answers if a.item in index.items} if doc.view else {}
    now = score_visit(index, answers).visit
    after = score_visit(index, answers | {k: v for k, v in changes.items() if k in index.items}).visit
    return shown(now), shown(after)


# --- reading ----------------------------------------------------------------------------------------------


async def get_appeal(db: Database, appeal_id: str, units: list[str] | None, full: bool) -> AppealOut:
    """One appeal; 404 when there is none or it is of a unit not among `units` (None: every unit)."""
    appeal = await db.read(_visible, appeal_id, units)
    return appeal_out(appeal, clock.now_iso(), full)


async def list_appeals(
    db: Database, f: AppealFilter, cursor: str | None, limit: int, full: bool
) -> tuple[list[AppealOut], str | None]:
    """A page of appeals in order of due date (then id), and the cursor of the next page (None at the end)."""
    now = clock.now_iso()
    after = tuple(cursor.partition("|")[::2]) if cursor else None

    def page(c: sqlite3.Connection) -> list[store.StoredAppeal]:
        ids = store.appeal_page(c, f.status, f.unit_id, f.period, now if f.overdue else None, f.units, after, limit)
        found = store.appeals_by_id(c, ids)
        return [found[i] for i in ids if i in found]

    appeals = await db.read(page)
    last = appeals[-1] if len(appeals) == limit else None
    return [appeal_out(a, now, full) for a in appeals], (f"{last.due_at}|{last.appeal_id}" if last else None)


def appeal_out(a: store.StoredAppeal, now: str, full: bool) -> AppealOut:
    """The appeal as answered at `now`; `full` with who filed and decided it and what the decision made."""
    overdue = (a.status == "open" and now > a.due_at) or (
        a.status == "decided" and a.closed_at is not None and a.closed_at > a.due_at
    )
    return AppealOut(
        id=a.appeal_id,
        submission_id=a.submission_id,
        unit_id=a.unit_id,
        period=a.period,
        status=a.status,
        filed_at=a.filed_at,
        due_at=a.due_at,
        overdue=overdue,
        closed_at=a.closed_at,
        items=[
            AppealItemOut(
                item=i.item,
                claim=i.claim,
                evidence=i.evidence,
                before=AnswerBefore(value=i.before.get("value"), na=bool(i.before.get("na"))),
                outcome=i.outcome,
                reason=i.reason,
                value=i.value,
                na=i.na,
            )
            for i in a.items
        ],
        filed_by=a.filed_by if full else None,
        decided_by=a.decided_by if full else None,
        rev_id=a.rev_id if full else None,
        review_id=a.review_id if full else None,
    )


# --- shared -----------------------------------------------------------------------------------------------


def _visible(c: sqlite3.Connection, appeal_id: str, units: list[str] | None) -> store.StoredAppeal:
    """The appeal if it is of one of `units` (None: of any unit); 404 otherwise (also for what is no appeal id)."""
    key = appeal_id.lower()
    appeal = store.appeals_by_id(c, [key]).get(key) if _APPEAL_ID.fullmatch(key) else None
    if appeal is None or (units is not None and appeal.unit_id not in units):
        raise not_found("appeal")
    return appeal


def _closed(appeal: store.StoredAppeal) -> ProblemError:
    return ProblemError(409, "appeal_closed", f"the appeal is {appeal.status}, no longer open")


def _rules(c: sqlite3.Connection) -> Appeals:
    """The latest policy's appeal rules (the defaults while no policy is published)."""
    policy = policy_store.latest_or_none(c)
    return policy.appeals if policy is not None else Appeals()


def _index_of(c: sqlite3.Connection, db: Database, doc: SubmissionDoc) -> ChecklistIndex:
    checklist = doc.checklist
    index = sync_store.checklist_index(c, db.checklist_indexes, checklist.id, checklist.version) if checklist else None
    if index is None:
        raise not_found("submission")
    return index


def _answer(answer: AnswerOut | None) -> dict:
    """An answer of the view as `{"value", "na"}` (an item not answered: null, not N/A)."""
    if answer is None:
        return {"value": None, "na": False}
    return {"value": answer.value, "na": answer.na}


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- a new policy ---------------------------------------------------------------------------------------------


def policy_publisher(db: Database, tz: ZoneInfo) -> Callable[[sqlite3.Connection, LoadedPolicy], bool]:
    """The write that publishes a policy version (the API's and the console's): a new version may switch
    `exclude_disputed`, so the visits under an open appeal are merged again in the same transaction and
    their approved figures follow the new rule at once."""

    def publish(c: sqlite3.Connection, loaded: LoadedPolicy) -> bool:
        created = policy_store.publish(c, loaded)
        if created:
            refresh(c, store.under_open_appeal(c), db.checklist_indexes, tz)
        return created

    return publish
