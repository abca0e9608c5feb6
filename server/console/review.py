"""The review queue (`/review`): tabs per status, filters, orders, cursor paging, bulk approval.

The queue reads through the same store functions as the API's queue (`server.store.reviews`), and
its reasons are the API's reasons in the viewer's language. A bulk approval is the API's
decision (`server.sync.review.decide`): each row is bound to the heads the page showed, so a row
that changed meanwhile is reported back with its new state and never approved blindly.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import sqlite3
from typing import Any
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from server.clock import iso_utc, utc_now
from server.console.integrity import flag_choices, flag_names
from server.console.web import console, language_of, page, redirect, viewer_of
from server.db import Database, snapshot
from server.integrity.flags import CODES
from server.settings import Settings
from server.store import integrity as integrity_store
from server.store import policies as policies_store
from server.store import reviews as store
from server.store.views import SubmissionDoc, view_documents
from server.sync.review import decide

REVIEWERS = console("quality_lead", "admin")
TABS = ("received", "needs_review", "awaiting_evidence", "approved", "rejected", "draft")
SORTS = tuple(store.QUEUE_SORTS)
PAGE_SIZE = 50
OPEN_WITHIN = dt.timedelta(minutes=10)  # a visit page opened this recently is "being reviewed"
MAX_VALUE = 200  # a filter value longer than any id or name is no filter
MAX_PICKS = 1000  # rows one bulk approval may carry (as the API's bulk review)
MAX_REPORTED = 100
# The query-string parameters of the queue; the report's (after a bulk approval) come and go.
FILTERS = ("period", "kind", "region", "unit", "checklist", "auditor", "conflicts", "critical", "flag")
KEPT = ("status", *FILTERS, "sort", "cursor")
REPORT = ("done", "approved", "changed", "failed")


class QueueQuery(msgspec.Struct, kw_only=True, frozen=True):
    """The queue's state as the query string holds it (unknown or malformed values fall back)."""

    status: str
    values: dict[str, str]  # the filters given, by their query-string name
    sort: str
    after: list | None

    def filter(self) -> store.QueueFilter:
        """The store's filter for this tab."""
        v = self.values
        return store.QueueFilter(
            statuses=(self.status,),
            period=v.get("period"),
            unit_kind=v.get("kind"),
            region=v.get("region"),
            unit_id=v.get("unit"),
            checklist_id=v.get("checklist"),
            auditor=v.get("auditor"),
            conflicts=_flag(v.get("conflicts")),
            critical=_flag(v.get("critical")),
            flag=v.get("flag"),
        )

    def url(self, **changes: str | None) -> str:
        """The queue's URL with some parameters changed (None: left out); the cursor only when given."""
        params: dict[str, str | None] = {"status": self.status, **self.values, "sort": self.sort}
        params.update(changes)
        return "/review?" + urlencode([(k, v) for k, v in params.items() if v])


def _flag(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


def parse_query(pairs: list[tuple[str, str]]) -> QueueQuery:
    """The queue's state from query-string pairs; anything unknown or malformed is left out."""
    given = {k: v.strip() for k, v in pairs if k in KEPT and len(v) <= MAX_VALUE and v.strip()}
    values = {k: given[k] for k in FILTERS if k in given}
    for name in ("conflicts", "critical"):
        if values.get(name) not in (None, "yes", "no"):
            values.pop(name)
    if values.get("flag") not in (None, "any", *CODES):
        values.pop("flag")
    status = given.get("status", TABS[0])
    sort = given.get("sort", SORTS[0])
    return QueueQuery(
        status=status if status in TABS else TABS[0],
        values=values,
        sort=sort if sort in SORTS else SORTS[0],
        after=decode_cursor(given.get("cursor")),
    )


def encode_cursor(key: list) -> str:
    """A page's end as an opaque token for the query string."""
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode("ascii").rstrip("=")


def decode_cursor(token: str | None) -> list | None:
    """The key a cursor names, or None (the first page) when it is absent or malformed."""
    if not token:
        return None
    try:
        key = msgspec.json.decode(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        return None
    if not isinstance(key, list) or not all(isinstance(k, str | int | float) for k in key):
        return None
    return key


class Screen(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the queue page shows, read in one snapshot."""

    rows: list[Any]  # sqlite3.Row
    next_key: list | None
    counts: dict[str, int]
    open_by: dict[str, list[str]]
    choices: store.QueueChoices
    policy: Any  # reports.policy.Policy | None
    reported: dict[str, SubmissionDoc]
    flags: dict[str, list[str]]  # submission_id -> the codes of its integrity flags


def queue_screen(c: sqlite3.Connection, q: QueueQuery, viewer: str, since: str, reported: list[str]) -> Screen:
    """The page, the tab counts, who else has a row open, the filters' choices and the report's visits."""
    with snapshot(c):
        f = q.filter()
        rows, next_key = store.queue_page(c, f, q.sort, q.after, PAGE_SIZE)
        flags = integrity_store.flags_of(c, [r["submission_id"] for r in rows])
        policy_row = policies_store.latest_row(c)
        return Screen(
            rows=rows,
            next_key=next_key,
            counts=store.queue_counts(c, f),
            open_by=store.open_by_others(c, [r["submission_id"] for r in rows], viewer, since),
            choices=store.queue_choices(c),
            policy=policies_store.policy_of(policy_row) if policy_row is not None else None,
            reported=view_documents(c, reported) if reported else {},
            flags={sub: [f.code for f in found] for sub, found in flags.items()},
        )


def _row(r: sqlite3.Row, doc: SubmissionDoc, screen: Screen, lang: str) -> dict[str, Any]:
    score = doc.scores.visit if doc.scores else None
    return {
        "id": r["submission_id"],
        "unit": r["unit_name"] or r["unit_id"],
        "unit_id": r["unit_id"],
        "started": r["corrected_start"],
        "auditor": r["auditor"],
        "status": r["status"],
        "score": score,
        "mark": screen.policy.mark(score) if screen.policy is not None and score is not None else None,
        "reasons": store.reasons(doc, lang, flags=flag_names(screen.flags.get(r["submission_id"], []), lang)),
        "conflicts": len(doc.conflicts),
        "missing": len(doc.missing_blobs),
        "open_by": screen.open_by.get(r["submission_id"], []),
        "pick": f"{r['submission_id']}|{','.join(doc.heads)}",
        "heads": doc.heads,
    }


@get("/review", opt=REVIEWERS, include_in_schema=False)
async def review_queue(request: Request, db: NamedDependency[Database]) -> Template:
    """The queue page."""
    pairs = list(request.query_params.multi_items())
    q = parse_query(pairs)
    report = _report(pairs)
    viewer = viewer_of(request)
    since = iso_utc(utc_now() - OPEN_WITHIN)
    reported = [*report["changed"], *(sub for sub, _ in report["failed"])][:MAX_REPORTED]
    screen = await db.read(queue_screen, q, viewer.name, since, reported)
    lang = language_of(request)
    rows = [_row(r, msgspec.json.decode(r["document"], type=SubmissionDoc), screen, lang) for r in screen.rows]
    units = dict(screen.choices.units)
    return page(
        request,
        "review_queue.html",
        q=q,
        rows=rows,
        tabs=[(s, screen.counts.get(s, 0), q.url(status=s)) for s in TABS],
        current_count=screen.counts.get(q.status, 0),
        choices=screen.choices,
        next_url=q.url(cursor=encode_cursor(screen.next_key)) if screen.next_key is not None else None,
        first_url=q.url() if q.after is not None else None,
        reset_url=f"/review?status={q.status}",
        sorts=SORTS,
        flag_choices=flag_choices(lang),
        back=urlencode([(k, v) for k, v in pairs if k in KEPT]),
        report=report,
        reported={sub: _reported(doc, units) for sub, doc in screen.reported.items()},
    )


def _reported(doc: SubmissionDoc, units: dict[str, str]) -> dict[str, Any]:
    unit_id = doc.view.unit_id if doc.view else None
    return {"status": doc.status, "unit": units.get(unit_id or "", unit_id), "started": doc.corrected_start}


def _report(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """What a bulk approval reported in the query string it redirected to."""
    done = next((v for k, v in pairs if k == "done"), None)
    approved = next((v for k, v in pairs if k == "approved" and v.isdigit() and len(v) < 7), "0")
    changed = [v for k, v in pairs if k == "changed" and 0 < len(v) <= 64][:MAX_REPORTED]
    failed = [tuple(v.split(":", 1)) for k, v in pairs if k == "failed" and ":" in v and len(v) <= 100]
    return {
        "done": done == "approved",
        "approved": int(approved),
        "changed": changed,
        "failed": [(sub, code) for sub, code in failed[:MAX_REPORTED] if code in PROBLEMS],
    }


PROBLEMS = ("stale_heads", "already_decided", "not_submitted", "not_found", "malformed")


def picked_decisions(picks: list[str]) -> tuple[list[store.Decision], list[tuple[str, str]]]:
    """The approvals the checked rows carry (`submission_id|head,head`), and the malformed ones."""
    decisions, malformed = [], []
    for pick in picks[:MAX_PICKS]:
        sub, _, heads = pick.partition("|")
        sub = sub.strip().lower()
        head_list = [h for h in heads.split(",") if h]
        if not sub or len(sub) > 64 or not head_list or len(head_list) > 100 or any(len(h) > 64 for h in head_list):
            malformed.append((sub[:64] or "-", "malformed"))
            continue
        decisions.append(store.Decision(submission_id=sub, decision="approve", comment=None, heads=head_list))
    return decisions, malformed


@post("/review/approve", opt=REVIEWERS, include_in_schema=False, status_code=303)
async def approve_selected(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Redirect:
    """Approve the checked rows, each on the heads the page showed; back to the queue with a report."""
    form = await request.form()
    picks = [p for p in form.getall("pick") if isinstance(p, str)] if "pick" in form else []
    back = form.get("back")
    pairs = parse_qsl(back if isinstance(back, str) else "", keep_blank_values=False)[:50]
    kept = [(k, v) for k, v in pairs if k in KEPT]
    decisions, malformed = picked_decisions(picks)
    results = await decide(db, viewer_of(request).name, decisions, ZoneInfo(settings.timezone)) if decisions else []
    approved = sum(1 for r in results if r.problem is None and r.status == "approved")
    changed = [r.submission_id for r in results if r.problem is not None and r.problem["code"] == "stale_heads"]
    failed = [
        (r.submission_id, r.problem["code"])
        for r in results
        if r.problem is not None and r.problem["code"] != "stale_heads"
    ] + malformed
    report = [("done", "approved"), ("approved", str(approved))]
    report += [("changed", sub) for sub in changed[:MAX_REPORTED]]
    report += [("failed", f"{sub}:{code if code in PROBLEMS else 'malformed'}") for sub, code in failed[:MAX_REPORTED]]
    return redirect("/review?" + urlencode(kept + report))


ROUTES = [review_queue, approve_selected]
