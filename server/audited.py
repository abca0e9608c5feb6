"""What the audited side may see: a unit's approved visits and their evidence, without the shopper.

A unit manager reads their units' approved visits as the audited may see them (API.md, "Unit
managers and appeals"): the date in the organisation's zone, the checklist version, the visit
score, and per answer its value, pass/fail, comment and evidence hashes, with the state of any
appeal of the item. Never the auditor, the device, the assignment, a revision id, the heads or
any time of day: who visited, and when in the day, would name the shopper. For the same reason
their photos are re-encoded from the pixels alone (no EXIF capture time, camera or GPS, no ICC
profile or text chunks), standing as the camera's orientation said, and no file answer carries
the time it was stored. Audio is sent as it is.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import sqlite3
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from PIL import Image, ImageOps

from checklists.model import Item
from checklists.score import ChecklistIndex, item_score
from reports.scorecard_assembly import local_date
from server.blobstore import BlobStore
from server.db import Database
from server.errors import ProblemError, not_found
from server.store import audited as store
from server.store.appeals import ItemState
from server.store.sync import checklist_index
from server.store.views import ChecklistRefOut, Refresh, SubmissionDoc
from server.sync import evidence
from server.wire import Scalar, Wire, decode_cursor

CHUNK = 1024 * 1024  # how much of an audio file is read at a time
JPEG_QUALITY = 90
# The formats a photo is written back in: its own, so its stored content type stays true.
PHOTO_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


class AuditedAnswer(Wire):
    """One answer as the audited see it."""

    item: str
    value: Scalar
    na: bool
    passed: bool | None  # None: N/A, unanswered, or an item that is not scored
    comment: str | None
    evidence: list[str]  # blob hashes: GET /v1/blobs/{sha256}


class AppealState(Wire):
    """Where a disputed item of the visit stands in its latest appeal."""

    item: str
    appeal_id: str
    status: str  # open, withdrawn, decided
    outcome: str | None  # upheld, overturned; None while open or withdrawn


class AuditedVisit(Wire):
    """An approved visit as the audited see it: a date, never a time of day or who visited."""

    submission_id: str
    unit_id: str | None
    period: str | None
    date: str  # YYYY-MM-DD in the organisation's zone
    checklist: ChecklistRefOut | None
    visit_score: float | None
    answers: list[AuditedAnswer]
    appeals: list[AppealState]  # the disputed items, in the order of the answers


class AuditedVisitPage(Wire):
    items: list[AuditedVisit]
    next_cursor: str | None


def item_passed(item: Item | None, value: Scalar, na: bool) -> bool | None:
    """Whether an answer passes, as the visit's scoring decides it (`item_score`); None where it is not scored."""
    if item is None or not item.scored or value is None or (na and item.na_allowed):
        return None
    try:
        return item_score(item, value)[1]
    except (ValueError, AssertionError, TypeError):
        return None  # a value the scoring cannot read counts as no answer, as in the scores


def audited_visit(
    doc: SubmissionDoc, index: ChecklistIndex | None, states: dict[str, ItemState], tz: ZoneInfo
) -> AuditedVisit:
    """The visit as the audited may see it (pure): `states` are the appeal states of its items."""
    view = doc.view
    answers = [
        AuditedAnswer(
            item=a.item,
            value=a.value,
            na=a.na,
            passed=item_passed(index.items.get(a.item) if index else None, a.value, a.na),
            comment=a.comment,
            evidence=list(a.evidence or ()),
        )
        for a in (view.answers if view else ())
    ]
    order = {a.item: i for i, a in enumerate(answers)}
    appeals = [
        AppealState(item=item, appeal_id=s.appeal_id, status=s.status, outcome=s.outcome)
        for item, s in sorted(states.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    ]
    return AuditedVisit(
        submission_id=doc.submission_id,
        unit_id=view.unit_id if view else None,
        period=doc.period,
        date=local_date(doc.corrected_start, tz),
        checklist=doc.checklist,
        visit_score=doc.scores.visit if doc.scores else None,
        answers=answers,
        appeals=appeals,
    )


async def _shown(db: Database, ids: list[str], units: list[str] | None, tz: ZoneInfo) -> dict[str, AuditedVisit]:
    """The audited visits of those of `ids` that are approved (and of `units`, unless None), by id."""
    docs, states = await db.read(store.approved_documents, ids, units)
    indexes: dict[tuple[str, int], ChecklistIndex | None] = {}
    out = {}
    for submission_id, doc in docs.items():
        index = None
        if doc.checklist is not None and doc.checklist.version is not None:
            ref = (doc.checklist.id, doc.checklist.version)
            if ref not in indexes:
                indexes[ref] = await db.read(checklist_index, db.checklist_indexes, *ref)
            index = indexes[ref]
        out[submission_id] = audited_visit(doc, index, states.get(submission_id, {}), tz)
    return out


async def unit_visits(
    db: Database, tz: ZoneInfo, unit_id: str, period: str, cursor: str | None, limit: int
) -> AuditedVisitPage:
    """A page of the unit's approved visits of the period, by date then id (the cursor names no time of day)."""
    keys = sorted(
        (local_date(start, tz), submission_id)
        for submission_id, start in await db.read(store.approved_starts, unit_id, period)
    )
    after = tuple(decode_cursor(cursor).partition("|")[::2])
    page = [k for k in keys if k > after][:limit]
    shown = await _shown(db, [sid for _, sid in page], [unit_id], tz)
    items = [shown[sid] for _, sid in page if sid in shown]
    last = page[-1] if len(page) == limit else None
    return AuditedVisitPage(items=items, next_cursor=f"{last[0]}|{last[1]}" if last else None)


async def approved_visit(db: Database, tz: ZoneInfo, submission_id: str, units: list[str] | None) -> AuditedVisit:
    """One approved visit as the audited see it, of one of `units` (None: any unit); 404 otherwise."""
    shown = await _shown(db, [submission_id], units, tz)
    if submission_id not in shown:
        raise not_found("visit")
    return shown[submission_id]


# --- evidence -------------------------------------------------------------------------------------


def without_metadata(data: bytes, content_type: str) -> bytes | None:
    """The photo drawn again from its pixels alone, in the format of its content type; None when it
    cannot be read as a picture (it is then never sent: its bytes might still carry metadata).

    The EXIF orientation is applied first, so the picture stands as it was taken once the tag is gone.
    A picture past Pillow's decompression-bomb limit (about 89 megapixels) is not read.
    """
    target = PHOTO_FORMATS.get(content_type)
    if target is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                upright = ImageOps.exif_transpose(opened)
        wanted = ("RGB", "L") if target == "JPEG" else ("RGB", "RGBA", "L", "LA")
        if upright.mode not in wanted:
            alpha = "A" in upright.getbands() or "transparency" in upright.info
            upright = upright.convert("RGBA" if alpha and "RGBA" in wanted else "RGB")
        # A new image from the pixels: nothing of the original's `info` (EXIF, XMP, ICC, text) comes along.
        clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
        out = io.BytesIO()
        clean.save(out, target, **({"quality": JPEG_QUALITY} if target != "PNG" else {}))
    except Exception:  # the decoders raise many types for a file they cannot read
        return None
    return out.getvalue()


class EvidenceFile(NamedTuple):
    """A blob as the audited get it: its content type, its size and its bytes, block by block."""

    content_type: str
    size: int
    chunks: AsyncIterator[bytes]


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk
    finally:
        handle.close()


async def evidence_file(db: Database, blobs: BlobStore, blob: sqlite3.Row, refresh: Refresh) -> EvidenceFile | None:
    """A visible blob (`store.blobs.visible_blob`'s row) as the audited get it; None when its stored copy is
    damaged or gone (then taken out, as `evidence.intact` does).

    A photo is re-encoded by `without_metadata`; one that cannot be is 409 `photo_not_viewable`, never
    sent as stored. Audio is sent as stored.
    """
    sha256, content_type = blob["sha256"], blob["content_type"]
    if content_type.startswith("image/"):
        data = await blobs.read(sha256)
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            await evidence.intact(db, blobs, blob, refresh)
            return None
        clean = await asyncio.to_thread(without_metadata, data, content_type)
        if clean is None:
            raise ProblemError(
                409,
                "photo_not_viewable",
                f"this photo ({content_type}) cannot be shown without its metadata: it could not be re-encoded",
            )
        return EvidenceFile(content_type, len(clean), _one(clean))
    identity = await evidence.intact(db, blobs, blob, refresh)
    if identity is None:
        return None
    path = blobs.local_path(sha256)
    if path is not None:
        return EvidenceFile(content_type, blob["size"], _file_chunks(path))
    opened = await blobs.open(sha256, identity)
    return None if opened is None else EvidenceFile(content_type, opened.size, opened.chunks)
