"""Gathering a scorecard's data: the store's rows and the evidence photos, assembled in reports/.

Figures come from the same aggregation as `/v1/scores` (approved visits only: a scorecard is what
a quality lead publishes), so a scorecard and the scores API never disagree. The data's as-of
time is the last change to the visits it covers (not the clock), so rendering the same data again
later gives the same bytes. Rendering is pure (`reports/scorecard.py`) and runs in the render
workers (`server/workers.py`).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import sqlite3
import threading
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import msgspec

from checklists.score import ChecklistIndex
from reports import scorecard_assembly as assemble
from reports.aggregate import network_figures, pooled_standard_figures, unit_figures
from reports.motivation import MotivationRow
from reports.policy import Policy
from reports.scorecard_assembly import ChecklistRef, CriticalEvidence
from reports.scorecard_data import ScorecardData, Thumbnail, input_sha256
from server import figures_refresh
from server.blobstore import BlobStore, open_blob_store
from server.db import Database
from server.errors import ProblemError, not_found
from server.periods import check_period, periods_back, previous_period
from server.store import appeals as appeals_store
from server.store import calibration as calibration_store
from server.store import periods as periods_store
from server.store import policies as policy_store
from server.store import scorecards as scorecards_store
from server.store import scores as scores_store
from server.store import sync as sync_store
from server.sync.evidence import intact
from server.sync.refresh import refresher

if TYPE_CHECKING:
    from server.settings import Settings
    from server.workers import RenderWorkers

APPROVED = scores_store.APPROVED
TREND = 6
MAX_THUMBNAILS = 6
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


class Request(msgspec.Struct, kw_only=True, frozen=True):
    """Which scorecard: the scope and its subject, the period and the language."""

    scope: str
    period: str
    lang: str
    unit_id: str | None = None
    staff_id: str | None = None
    unit_kind: str | None = None


async def _indexes_of(db: Database, refs: set[ChecklistRef]) -> dict[ChecklistRef, ChecklistIndex]:
    def indexes(c: sqlite3.Connection) -> dict[ChecklistRef, ChecklistIndex]:
        out = {}
        for ref in sorted(refs):
            index = sync_store.checklist_index(c, db.checklist_indexes, *ref)
            if index is not None:
                out[ref] = index
        return out

    return await db.read(indexes)


async def _thumbnails(
    db: Database, blobs: BlobStore, evidence: list[CriticalEvidence], tz: ZoneInfo
) -> list[Thumbnail]:
    """The photos of failed critical items; a photo whose copy no longer holds its bytes is left out (and lost)."""
    if not evidence:
        return []
    rows = await db.read(scorecards_store.blob_rows, [sha for e in evidence for sha in e.hashes])
    out: list[Thumbnail] = []
    for e in evidence:
        for sha in e.hashes:
            row = rows.get(sha)
            if row is None or row["content_type"] not in IMAGE_TYPES:
                continue
            # Each photo is checked as it is taken: one found damaged is lost, the rest are still read.
            if not await intact(db, blobs, row, refresher(db, tz)):
                continue
            image = await blobs.read(sha)
            if image is None:
                continue
            out.append(
                Thumbnail(date=e.date, item=e.item, caption=e.caption, image=image, content_type=row["content_type"])
            )
            if len(out) >= MAX_THUMBNAILS:
                return out
    return out


async def _as_of(db: Database, period: str, unit_id: str | None, kind: str | None) -> str:
    return assemble.as_of(period, *await db.read(scorecards_store.last_changes, period, unit_id, kind))


async def _motivation(db: Database, period: str) -> dict[str, MotivationRow]:
    """The period's motivation rows: the frozen snapshot once closed, else computed now."""
    row = await db.read(periods_store.snapshot_row, period)
    if row is not None:
        rows = periods_store.snapshot_of(row).rows
    else:
        policy, _ = await db.read(policy_store.latest)
        rows = await db.read(periods_store.live_rows, period, policy, True)
    return {r.staff_id: r for r in rows}


async def gather(db: Database, blobs: BlobStore, req: Request, tz: ZoneInfo) -> ScorecardData:
    """The data of one scorecard; 404 for an unknown subject."""
    policy, _ = await db.read(policy_store.latest)
    if req.scope == "unit":
        return await _unit(db, blobs, req, tz, policy)
    if req.scope == "staff":
        return await _staff(db, req, tz, policy)
    return await _network(db, req, tz, policy)


async def _unit(db: Database, blobs: BlobStore, req: Request, tz: ZoneInfo, policy: Policy) -> ScorecardData:
    (unit,) = await db.read(scores_store.unit_infos, None, req.unit_id) or [None]
    if unit is None:
        raise not_found("unit")
    periods = periods_back(req.period, TREND)
    sums = await db.read(scores_store.approved_unit_sums, periods, unit.unit_id)
    current, previous = sums.get(req.period, []), sums.get(previous_period(req.period), [])
    standard_sums = await figures_refresh.standard_sums(db, req.period, APPROVED, unit.unit_id)
    (figures,) = unit_figures([unit], current, previous, standard_sums, policy)
    visits = await db.read(scorecards_store.approved_visits, req.period, APPROVED, unit_id=unit.unit_id)
    indexes = await _indexes_of(db, assemble.checklist_refs(visits))
    overturned = await db.read(appeals_store.overturned_answers, [v.submission_id for v in visits])
    failed, evidence = assemble.failed_items(visits, indexes, req.lang, tz, overturned=overturned)
    staff = []
    if unit.kind == "branch":
        rows = await _motivation(db, req.period)
        members = {s.staff_id for s in await db.read(scores_store.staff_infos, unit.unit_id) if s.active}
        members |= set((await db.read(scores_store.person_scores, req.period, APPROVED, unit.unit_id)).keys())
        staff = [assemble.staff_row(rows[s]) for s in sorted(members) if s in rows]
    return assemble.unit_scorecard(
        lang=req.lang,
        period=req.period,
        unit=unit,
        figures=figures,
        trend=assemble.units_trend(periods, sums),
        titles=assemble.titles(indexes, req.lang),
        failed=failed,
        staff=staff,
        thumbnails=await _thumbnails(db, blobs, evidence, tz),
        refs=indexes,
        policy=policy,
        data_as_of=await _as_of(db, req.period, unit.unit_id, None),
        time_zone=tz.key,
        appeals=await db.read(appeals_store.appeal_counts, unit.unit_id, req.period),
    )


async def _staff(db: Database, req: Request, tz: ZoneInfo, policy: Policy) -> ScorecardData:
    infos = {s.staff_id: s for s in await db.read(scores_store.staff_infos)}
    person = infos.get(req.staff_id or "")
    if person is None:
        raise not_found("staff member")
    periods = periods_back(req.period, TREND)
    scores = await db.read(scores_store.person_scores_by_period, periods, APPROVED, person.staff_id)
    visits = await db.read(scorecards_store.approved_visits, req.period, APPROVED, staff_id=person.staff_id)
    indexes = await _indexes_of(db, assemble.checklist_refs(visits))
    titles = assemble.titles(indexes, req.lang)
    person_codes = {code for code, (_, attribution) in titles.items() if attribution == "person"}
    sums = await db.read(scores_store.staff_standard_sums, req.period, person.staff_id)
    overturned = await db.read(appeals_store.overturned_answers, [v.submission_id for v in visits])
    failed, _ = assemble.failed_items(visits, indexes, req.lang, tz, person_only=True, overturned=overturned)
    return assemble.staff_scorecard(
        lang=req.lang,
        period=req.period,
        person=person,
        scores=scores,
        previous_period=previous_period(req.period),
        trend=assemble.person_trend(periods, scores),
        standards=pooled_standard_figures(s for s in sums if s.code in person_codes),
        titles=titles,
        failed=failed,
        motivation=await _motivation(db, req.period),
        refs=indexes,
        policy=policy,
        data_as_of=await _as_of(db, req.period, None, None),
        time_zone=tz.key,
    )


async def _network(db: Database, req: Request, tz: ZoneInfo, policy: Policy) -> ScorecardData:
    kind = req.unit_kind
    if kind not in ("branch", "contact_centre", "field_technician"):
        raise ProblemError(400, "invalid_request", "a network scorecard needs unit_kind")
    units = await db.read(scores_store.unit_infos, kind)
    wanted = {u.unit_id for u in units}
    periods = periods_back(req.period, TREND)
    sums = {
        period: [s for s in rows if s.unit_id in wanted]
        for period, rows in (await db.read(scores_store.approved_unit_sums, periods)).items()
    }
    current, previous = sums.get(req.period, []), sums.get(previous_period(req.period), [])
    standard_sums = [s for s in await figures_refresh.standard_sums(db, req.period, APPROVED) if s.unit_id in wanted]
    figures = unit_figures(units, current, previous, standard_sums, policy)
    refs = await db.read(scorecards_store.checklist_refs_of_kind, req.period, APPROVED, kind)
    indexes = await _indexes_of(db, refs)
    return assemble.network_scorecard(
        lang=req.lang,
        period=req.period,
        kind=kind,
        network=network_figures(kind, figures, current, standard_sums),
        current=current,
        previous=previous,
        standards=pooled_standard_figures(standard_sums),
        trend=assemble.units_trend(periods, sums),
        titles=assemble.titles(indexes, req.lang),
        refs=indexes,
        policy=policy,
        data_as_of=await _as_of(db, req.period, None, kind),
        time_zone=tz.key,
        calibration=await db.read(
            calibration_store.network_report, req.period, kind, policy.integrity.calibration_min_agreement
        ),
    )


# --- one draft, as POST /v1/scorecards and the console's build jobs make it -------------------------

SUBJECT_OF = (("unit_id", "unit"), ("staff_id", "staff"), ("unit_kind", "network"))


async def make_draft(db: Database, settings: Settings, render_workers: RenderWorkers, subject: dict, actor: str) -> str:
    """Render and store the draft of `subject` (the fields of POST /v1/scorecards); its id.

    400 for a bad period or a scope without its subject, 404 for an unknown subject. The same data
    and language give the same bytes, and so the same draft (or the published scorecard).
    """
    check_period(subject["period"])
    subject = dict(subject)
    if subject["scope"] == "unit" and not subject.get("unit_id"):
        raise ProblemError(400, "invalid_request", "a unit scorecard needs unit_id")
    if subject["scope"] == "staff" and not subject.get("staff_id"):
        raise ProblemError(400, "invalid_request", "a staff scorecard needs staff_id")
    if subject["scope"] == "network" and not subject.get("unit_kind"):
        raise ProblemError(400, "invalid_request", "a network scorecard needs unit_kind")
    for key, scope in SUBJECT_OF:
        if subject["scope"] != scope:
            subject[key] = None  # only the subject of the scope names the scorecard
    req = Request(**{k: v for k, v in subject.items()})
    blobs = open_blob_store(settings)
    try:
        scorecard_data = await gather(db, blobs, req, ZoneInfo(settings.timezone))
    finally:
        blobs.close()
    pdf = await render_workers.render(scorecard_data)
    return await db.write(
        scorecards_store.save_draft,
        subject,
        pdf,
        hashlib.sha256(pdf).hexdigest(),
        input_sha256(scorecard_data),
        actor,
    )


def visible_to(role: str, row: sqlite3.Row | None) -> bool:
    """Whether a user of `role` may see a stored scorecard: HR reads published ones only."""
    return row is not None and (role != "hr" or row["status"] == "published")


def pdf_name(row: sqlite3.Row) -> str:
    """The file name a scorecard's PDF is sent with."""
    return f"scorecard-{row['period']}-{row['unit_id'] or row['staff_id'] or row['unit_kind']}-{row['lang']}.pdf"


def listed_status(role: str, status: str | None) -> str | None:
    """The status a list asked for, as `role` may see it (HR: published, whatever was asked)."""
    return "published" if role == "hr" else status


# --- the first page as an image ----------------------------------------------------------------------

PREVIEW_WIDTH = 900  # pixels across the first page's image
# PDFium is not thread-safe: one page is rendered at a time in this process.
_pdfium = threading.Lock()


def first_page_png(pdf: bytes, width: int = PREVIEW_WIDTH) -> tuple[bytes, int, int]:
    """The PDF's first page as a PNG `width` pixels across; (png, width, height)."""
    import pypdfium2 as pdfium  # imported here: only a preview needs PDFium

    with _pdfium:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            page_width, _ = page.get_size()
            bitmap = page.render(scale=width / page_width)
            image = bitmap.to_pil()
            page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue(), image.width, image.height


async def first_page(db: Database, scorecard_id: str, sha256: str) -> bytes:
    """A stored scorecard's first page as a PNG, rendered once per PDF (cached by its SHA-256)."""
    png = await db.read(scorecards_store.preview_of, sha256)
    if png is not None:
        return png
    pdf = await db.read(scorecards_store.pdf_of, scorecard_id)
    if pdf is None:
        raise not_found("scorecard")
    png, width, height = await asyncio.to_thread(first_page_png, pdf)
    await db.write(scorecards_store.save_preview, sha256, png, width, height)
    return png
