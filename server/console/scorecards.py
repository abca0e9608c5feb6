"""Scorecards: drafts built as a background job, preview, publishing, the published list and its ZIP (CONSOLE.md 8).

A build job renders each draft through the same engine as POST /v1/scorecards
(`server.scorecards.make_draft`, run by `server.scorecard_jobs`), and the pages read and publish
through the API's store functions; who sees what is the API's rule (`visible_to`: HR reads
published scorecards only). Quality leads and admins build and publish; HR reads.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import sqlite3
import zipfile
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from reports import i18n
from server.clock import utc_now
from server.console.web import console, language_of, page, redirect, viewer_of
from server.db import Database, snapshot
from server.errors import ProblemError, not_found
from server.periods import check_period_held, current_period, periods_back, previous_period
from server.scorecard_jobs import KINDS, ScorecardJobs
from server.scorecards import first_page, listed_status, pdf_name, visible_to
from server.settings import Settings
from server.store import scorecard_jobs as jobs_store
from server.store import scorecards as store

BUILDERS = console("quality_lead", "admin")
READERS = console("quality_lead", "hr", "admin")
STATUSES = ("draft", "published")
LANGS = ("ru", "kk", "en")
PAGE_ROWS = 200  # rows a page of the list shows
MAX_PAGE = 10_000
RECENT_JOBS = 8
MAX_ID = 64
MAX_PICKS = 1000


# --- the query string and the forms -----------------------------------------------------------------


def parse_period(value: str | None, *, required: bool = False) -> str | None:
    """A `YYYY-MM` between 2000 and 2099, None when left empty; 400 otherwise."""
    value = value or ""
    if not value and not required:
        return None
    return check_period_held(value)


def parse_choice(value: str | None, choices: tuple[str, ...], name: str, *, required: bool = False) -> str | None:
    """One of `choices`, None when left empty; 400 otherwise."""
    value = value or ""
    if not value and not required:
        return None
    if value not in choices:
        raise ProblemError(400, "invalid_request", f"{name} must be one of {', '.join(choices)}")
    return value


class ListQuery(msgspec.Struct, frozen=True, kw_only=True):
    """The list's filters and page as the query string holds them."""

    period: str | None
    kind: str | None
    status: str | None
    page: int = 1

    def url(self, **changes: str | int | None) -> str:
        """The list's URL with some filters (or the page) changed; a filter change starts at page 1."""
        params = {"period": self.period, "kind": self.kind, "status": self.status, "page": None, **changes}
        query = urlencode([(k, v) for k, v in params.items() if v and not (k == "page" and v == 1)])
        return "/scorecards" + (f"?{query}" if query else "")


def list_query(params: dict[str, str], role: str) -> ListQuery:
    """The filters of `/scorecards?period=&kind=&status=&page=`; HR's status is always `published`."""
    page_no = params.get("page") or "1"
    if not page_no.isascii() or not page_no.isdigit() or not 1 <= int(page_no[:6]) <= MAX_PAGE:
        raise ProblemError(400, "invalid_request", f"page is a whole number from 1 to {MAX_PAGE}")
    return ListQuery(
        period=parse_period(params.get("period")),
        kind=parse_choice(params.get("kind"), KINDS, "kind"),
        status=listed_status(role, parse_choice(params.get("status"), STATUSES, "status")),
        page=int(page_no),
    )


# --- what the pages show ------------------------------------------------------------------------------


def card_row(r: sqlite3.Row, t: Any) -> dict[str, Any]:
    """A scorecard as a row of the list (and the preview's facts)."""
    if r["scope"] == "network":
        subject = t("console.scorecards.network_of", kind=t("kind." + r["unit_kind"]))
    else:
        subject = r["subject_name"] or r["unit_id"] or r["staff_id"]
    return {
        "id": r["scorecard_id"],
        "scope": r["scope"],
        "subject": subject,
        "subject_id": r["unit_id"] or r["staff_id"] or r["unit_kind"],
        "kind": r["kind"],
        "period": r["period"],
        "lang": r["lang"],
        "status": r["status"],
        "sha256": r["sha256"],
        "size": r["size"],
        "created_at": r["created_at"],
        "created_by": r["created_by"],
        "published_at": r["published_at"],
        "published_by": r["published_by"],
    }


def job_view(job: jobs_store.Job, lang: str) -> dict[str, Any]:
    """A job's progress as the page and the progress endpoint give it."""
    processed = job.done + job.failed
    percent = round(100 * processed / job.total) if job.total else 100
    return {
        "id": job.job_id,
        "status": job.status,
        "running": job.status == "running",
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "processed": processed,
        "percent": percent,
        "status_text": i18n.text(f"console.scorecards.job.status.{job.status}", lang),
        "progress_text": i18n.text(
            "console.scorecards.job.progress", lang, processed=processed, total=job.total, done=job.done
        ),
        "failed_text": i18n.text("console.scorecards.job.failed_n", lang, n=job.failed) if job.failed else "",
    }


BUILD_MONTHS = 13  # the build form offers this month and the twelve before it


def build_periods(now: str, chosen: str | None) -> list[str]:
    """The months the build form offers, newest first (and the list's month, if it is older)."""
    out = periods_back(now, BUILD_MONTHS)[::-1]
    return out if chosen is None or chosen in out or chosen > now else [*out, chosen]


class ListScreen(msgspec.Struct, frozen=True, kw_only=True):
    rows: list[Any]
    periods: list[str]
    jobs: list[jobs_store.Job]
    drafts: int  # drafts of the chosen period and kind ("publish all" publishes them)


def list_screen(c: sqlite3.Connection, q: ListQuery, role: str) -> ListScreen:
    """The list, the periods to choose from, the recent jobs: one snapshot."""
    with snapshot(c):
        builder = role != "hr"
        return ListScreen(
            rows=store.console_rows(c, q.period, q.kind, q.status, PAGE_ROWS + 1, (q.page - 1) * PAGE_ROWS),
            periods=store.periods_present(c, listed_status(role, None)),
            jobs=jobs_store.recent(c, RECENT_JOBS) if builder else [],
            drafts=len(store.draft_ids(c, q.period, q.kind)) if builder and q.period and q.kind else 0,
        )


@get("/scorecards", opt=READERS, include_in_schema=False)
async def scorecards_list(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """Drafts and published scorecards, filtered; the build form and the recent jobs (quality leads)."""
    viewer = viewer_of(request)
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    q = list_query(params, viewer.role)
    screen = await db.read(list_screen, q, viewer.role)
    lang = language_of(request)

    def t(key: str, **fields: object) -> str:
        return i18n.text(key, lang, **fields)

    now = current_period(ZoneInfo(settings.timezone), utc_now())
    published = params.get("published", "")
    return page(
        request,
        "scorecards.html",
        q=q,
        rows=[card_row(r, t) for r in screen.rows[:PAGE_ROWS]],
        prev_url=q.url(page=q.page - 1) if q.page > 1 else None,
        next_url=q.url(page=q.page + 1) if len(screen.rows) > PAGE_ROWS else None,
        periods=sorted({*screen.periods, *([q.period] if q.period else [])}, reverse=True),
        kinds=KINDS,
        statuses=STATUSES,
        langs=LANGS,
        builder=viewer.role in ("quality_lead", "admin"),
        jobs=[(j, job_view(j, lang)) for j in screen.jobs],
        drafts=screen.drafts,
        build_periods=build_periods(now, q.period),
        build_period=q.period or previous_period(now),
        published_count=int(published) if published.isdigit() and len(published) < 7 else None,
        period_name=lambda p: i18n.period_name(p, lang),
        zip_period=q.period or (screen.periods[0] if screen.periods else None),
    )


# --- build jobs ---------------------------------------------------------------------------------------


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@post("/scorecards/jobs", opt=BUILDERS, include_in_schema=False, status_code=303)
async def start_job(request: Request, scorecard_jobs: NamedDependency[ScorecardJobs]) -> Redirect:
    """Start building a period's drafts of one unit kind in one language (or open the job already running it)."""
    form = await _form(request)
    period = parse_period(form.get("period"), required=True)
    kind = parse_choice(form.get("kind"), KINDS, "kind", required=True)
    lang = parse_choice(form.get("lang"), LANGS, "lang", required=True)
    assert period and kind and lang  # required: None was refused above
    job, started = await scorecard_jobs.start(period, kind, lang, viewer_of(request).name)
    return redirect(f"/scorecards/jobs/{job.job_id}" + ("" if started else "?already=1"))


async def _job(db: Database, job_id: str) -> jobs_store.Job:
    job = await db.read(jobs_store.get, job_id) if len(job_id) <= MAX_ID else None
    if job is None:
        raise not_found("job")
    return job


@get("/scorecards/jobs/{job_id:str}", opt=BUILDERS, include_in_schema=False)
async def job_page(request: Request, db: NamedDependency[Database], job_id: FromPath[str]) -> Template:
    """A build job: its progress bar (kept current by scorecards.js; a reload shows it too)."""
    job = await _job(db, job_id)
    lang = language_of(request)
    return page(
        request,
        "scorecard_job.html",
        job=job,
        view=job_view(job, lang),
        already=request.query_params.get("already") == "1",
        period_name=lambda p: i18n.period_name(p, lang),
        drafts_url=ListQuery(period=job.period, kind=job.unit_kind, status="draft").url(),
    )


@get("/scorecards/jobs/{job_id:str}/progress", opt=BUILDERS, include_in_schema=False)
async def job_progress(request: Request, db: NamedDependency[Database], job_id: FromPath[str]) -> dict[str, Any]:
    """A job's progress as JSON, for the page's progress bar."""
    return job_view(await _job(db, job_id), language_of(request))


# --- one scorecard --------------------------------------------------------------------------------------


async def _visible(request: Request, db: Database, scorecard_id: str) -> sqlite3.Row:
    """The scorecard's list row if the viewer may see it (the API's rule), else 404."""
    row = await db.read(store.console_row, scorecard_id) if len(scorecard_id) <= MAX_ID else None
    if not visible_to(viewer_of(request).role, row):
        raise not_found("scorecard")
    assert row is not None
    return row


@get("/scorecards/{scorecard_id:str}", opt=READERS, include_in_schema=False)
async def preview(request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]) -> Template:
    """A scorecard: its facts, its first page as an image, its PDF; publish a draft."""
    row = await _visible(request, db, scorecard_id)
    lang = language_of(request)

    def t(key: str, **fields: object) -> str:
        return i18n.text(key, lang, **fields)

    return page(
        request,
        "scorecard.html",
        card=card_row(row, t),
        builder=viewer_of(request).role in ("quality_lead", "admin"),
        just_published=request.query_params.get("published") == "1",
        period_name=lambda p: i18n.period_name(p, lang),
        list_url=ListQuery(period=row["period"], kind=row["kind"], status=None).url(),
    )


@get("/scorecards/{scorecard_id:str}/page1.png", opt=READERS, include_in_schema=False)
async def preview_image(
    request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]
) -> Response[bytes]:
    """The first page as a PNG (rendered once per PDF, then kept)."""
    row = await _visible(request, db, scorecard_id)
    png = await first_page(db, scorecard_id, row["sha256"])
    # The bytes behind an id never change (a trigger keeps them): the browser may keep the image.
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


@get("/scorecards/{scorecard_id:str}/pdf", opt=READERS, include_in_schema=False)
async def pdf(request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]) -> Response[bytes]:
    """The PDF, exactly the bytes its SHA-256 names (as GET /v1/scorecards/{id}/pdf)."""
    row = await _visible(request, db, scorecard_id)
    data = await db.read(store.pdf_of, scorecard_id)
    if data is None:
        raise not_found("scorecard")
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{pdf_name(row)}"', "X-Content-SHA256": row["sha256"]},
    )


@post("/scorecards/{scorecard_id:str}/publish", opt=BUILDERS, include_in_schema=False, status_code=303)
async def publish_one(request: Request, db: NamedDependency[Database], scorecard_id: FromPath[str]) -> Redirect:
    """Publish one draft: from now on its bytes never change."""
    await _visible(request, db, scorecard_id)
    await db.write(store.publish_many, [scorecard_id], viewer_of(request).name)
    return redirect(f"/scorecards/{scorecard_id}?published=1")


@post("/scorecards/publish", opt=BUILDERS, include_in_schema=False, status_code=303)
async def publish_selected(request: Request, db: NamedDependency[Database]) -> Redirect:
    """Publish the checked drafts, or (`all`) every draft of a period and unit kind; back to the list."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    period = parse_period(fields.get("period"))
    kind = parse_choice(fields.get("kind"), KINDS, "kind")
    status = parse_choice(fields.get("status"), STATUSES, "status")
    if fields.get("all") == "1":
        if period is None or kind is None:
            raise ProblemError(400, "invalid_request", "publishing all drafts needs a period and a unit kind")
        ids = await db.read(store.draft_ids, period, kind)
    else:
        picks = form.getall("pick") if "pick" in form else []
        ids = [p for p in picks[:MAX_PICKS] if isinstance(p, str) and 0 < len(p) <= MAX_ID]
    published = await db.write(store.publish_many, ids, viewer_of(request).name) if ids else 0
    back = ListQuery(period=period, kind=kind, status=status)
    return redirect(back.url(published=str(published)))


# --- a month's published scorecards as one ZIP -------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def zip_names(rows: list[sqlite3.Row]) -> list[str]:
    """A safe, unique file name for each scorecard in the ZIP."""
    names: list[str] = []
    taken: set[str] = set()
    for r in rows:
        subject = r["unit_id"] or r["staff_id"] or r["unit_kind"] or "scorecard"
        base = _UNSAFE.sub("_", f"{r['scope']}-{subject}-{r['lang']}-{r['sha256'][:12]}").strip("._-")[:120]
        name, n = f"{base}.pdf", 1
        while name.lower() in taken:
            n += 1
            name = f"{base}-{n}.pdf"
        taken.add(name.lower())
        names.append(name)
    return names


def build_zip(period: str, files: list[tuple[str, str, str | None, bytes]]) -> bytes:
    """The ZIP of (name, sha256, published_at, pdf): the PDFs and a `SHA256SUMS` manifest (`sha256sum -c`)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, _, published_at, data in files:
            stamp = _zip_time(published_at)
            archive.writestr(zipfile.ZipInfo(f"{period}/{name}", date_time=stamp), data)
        sums = "".join(f"{sha}  {name}\n" for name, sha, _, _ in files)
        archive.writestr(zipfile.ZipInfo(f"{period}/SHA256SUMS", date_time=(2000, 1, 1, 0, 0, 0)), sums)
    return out.getvalue()


def _zip_time(iso: str | None) -> tuple[int, int, int, int, int, int]:
    try:
        moment = dt.datetime.fromisoformat((iso or "").replace("Z", "+00:00"))
    except ValueError:
        return (2000, 1, 1, 0, 0, 0)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)


@get("/scorecards/published.zip", opt=READERS, include_in_schema=False)
async def published_zip(request: Request, db: NamedDependency[Database]) -> Response[bytes]:
    """A month's published scorecards as one ZIP, with their SHA-256s in `SHA256SUMS`."""
    period = parse_period(request.query_params.get("period"), required=True)
    assert period is not None
    rows = await db.read(store.published_of, period)
    files = []
    for r, name in zip(rows, zip_names(rows), strict=True):
        data = await db.read(store.pdf_of, r["scorecard_id"])
        if data is not None:
            files.append((name, r["sha256"], r["published_at"], data))
    body = await asyncio.to_thread(build_zip, period, files)
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="scorecards-{period}.zip"'},
    )


ROUTES = [
    scorecards_list,
    start_job,
    job_page,
    job_progress,
    published_zip,
    publish_selected,
    preview,
    preview_image,
    pdf,
    publish_one,
]
