"""Gathering a scorecard's data from the database (rendering is pure, in reports/scorecard.py).

Figures come from the same aggregation as `/v1/scores` (approved visits only: a scorecard is what
a quality lead publishes), so a scorecard and the scores API never disagree. The data's as-of
time is the last change to the visits it covers (not the clock), so rendering the same data again
later gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import msgspec

from checklists.score import ChecklistIndex, item_score, shown
from reports.aggregate import StandardSums, network_figures, pooled_standard_figures, unit_figures
from reports.motivation import MotivationRow, motivation_rows
from reports.scorecard_data import (
    FailedItem,
    Headline,
    RankedUnitRow,
    ScorecardData,
    StaffRow,
    StandardRow,
    Subject,
    Thumbnail,
    TrendPoint,
)
from server.blobs import blob_path
from server.db import Database
from server.errors import ProblemError, not_found
from server.periods import previous_period
from server.store import blobs as blobs_store
from server.store import periods as periods_store
from server.store import policies as policy_store
from server.store import scores as scores_store
from server.store import sync as sync_store
from server.sync.view import SubmissionDoc

APPROVED = scores_store.APPROVED
TREND = 6
MAX_FAILED = 60
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


def _periods_back(period: str, count: int) -> list[str]:
    out = [period]
    while len(out) < count:
        out.append(previous_period(out[-1]))
    return list(reversed(out))


async def _approved_docs(
    db: Database, period: str, unit_id: str | None = None, staff_id: str | None = None
) -> list[SubmissionDoc]:
    if staff_id is not None:
        rows = await db.fetch_all(
            "SELECT v.document FROM visit_staff s JOIN submission_views v ON v.submission_id = s.submission_id"
            " WHERE s.period = ? AND s.counted >= ? AND s.staff_id = ? ORDER BY v.corrected_start, v.submission_id",
            (period, APPROVED, staff_id),
        )
    else:
        rows = await db.fetch_all(
            "SELECT document FROM submission_views WHERE period = ? AND counted >= ? AND (? IS NULL OR unit_id = ?)"
            " ORDER BY corrected_start, submission_id",
            (period, APPROVED, unit_id, unit_id),
        )
    return [msgspec.json.decode(r["document"], type=SubmissionDoc) for r in rows]


async def _indexes(db: Database, docs: list[SubmissionDoc]) -> dict[tuple[str, int], ChecklistIndex]:
    return await _indexes_of(
        db, {(d.checklist.id, d.checklist.version) for d in docs if d.checklist and d.checklist.version}
    )


async def _indexes_of(db: Database, refs: set[tuple[str, int]]) -> dict[tuple[str, int], ChecklistIndex]:
    out = {}
    for ref in sorted(refs):
        index = await sync_store.checklist_index(db, *ref)
        if index is not None:
            out[ref] = index
    return out


def _titles(indexes: dict[tuple[str, int], ChecklistIndex], lang: str) -> dict[str, tuple[str, str]]:
    """code -> (title, attribution), the newest version's wording winning."""
    out: dict[str, tuple[str, str]] = {}
    for _, index in sorted(indexes.items()):
        for standard in index.checklist.standards:
            out[standard.code] = (standard.title.get(lang), standard.attribution)
    return out


def _failed(
    docs: list[SubmissionDoc], indexes: dict, lang: str, tz: ZoneInfo, person_only: bool = False
) -> tuple[list[FailedItem], list[tuple[str, str, str, list[str]]]]:
    """Failed items with comments; and (date, item, caption, evidence) of failed critical items."""
    items: list[FailedItem] = []
    critical_evidence = []
    for doc in docs:
        index = indexes.get((doc.checklist.id, doc.checklist.version)) if doc.checklist else None
        if index is None or doc.view is None:
            continue
        date = _local_date(doc.corrected_start, tz)
        for answer in doc.view.answers:
            item = index.items.get(answer.item)
            if item is None or not item.scored or answer.value is None:
                continue
            standard = index.standard_of[answer.item]
            if person_only and standard.attribution != "person":
                continue
            _, passes = item_score(item, answer.value)
            if passes:
                continue
            items.append(
                FailedItem(
                    date=date,
                    standard=standard.code,
                    item=item.id,
                    text=item.text.get(lang),
                    critical=item.critical,
                    comment=answer.comment,
                )
            )
            if item.critical and answer.evidence:
                critical_evidence.append((date, item.id, item.text.get(lang), answer.evidence))
    items.sort(key=lambda f: (f.critical is None, f.date, f.standard, f.item))
    return items[:MAX_FAILED], critical_evidence


def _local_date(moment: str | None, tz: ZoneInfo) -> str:
    if not moment:
        return ""
    return dt.datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(tz).date().isoformat()


async def _thumbnails(
    db: Database, data_dir, evidence: list[tuple[str, str, str, list[str]]], tz: ZoneInfo
) -> list[Thumbnail]:
    """The photos of failed items; a photo whose file no longer holds its bytes is left out (and lost)."""
    out: list[Thumbnail] = []
    for date, item, caption, hashes in evidence:
        for sha in hashes:
            row = await db.fetch_one("SELECT * FROM blobs WHERE sha256 = ?", (sha,))
            if row is None or row["content_type"] not in IMAGE_TYPES:
                continue
            if not await blobs_store.intact(db, data_dir, row, tz):
                continue
            try:
                image = blob_path(data_dir, sha).read_bytes()
            except OSError:
                continue
            out.append(Thumbnail(date=date, item=item, caption=caption, image=image, content_type=row["content_type"]))
            if len(out) >= MAX_THUMBNAILS:
                return out
    return out


async def _as_of(db: Database, period: str, unit_id: str | None, kind: str | None) -> str:
    row = await db.fetch_one(
        "SELECT max(v.updated_at) AS at FROM submission_views v LEFT JOIN units u ON u.unit_id = v.unit_id"
        " WHERE v.period = ? AND (? IS NULL OR v.unit_id = ?) AND (? IS NULL OR u.kind = ?)",
        (period, unit_id, unit_id, kind, kind),
    )
    snapshot = await db.fetch_one("SELECT closed_at FROM period_snapshots WHERE period = ?", (period,))
    times = [t for t in (row["at"] if row else None, snapshot["closed_at"] if snapshot else None) if t]
    return max(times) if times else f"{period}-01T00:00:00.000Z"


async def _motivation(db: Database, period: str) -> dict[str, MotivationRow]:
    """The period's motivation rows: the frozen snapshot once closed, else computed now."""
    row = await periods_store.snapshot_row(db, period)
    if row is not None:
        rows = periods_store.snapshot_of(row).rows
    else:
        policy, _ = await policy_store.latest(db)
        rows = motivation_rows(
            await scores_store.staff_infos(db),
            await scores_store.person_scores(db, period, APPROVED),
            policy,
            provisional=True,
        )
    return {r.staff_id: r for r in rows}


def _staff_row(row: MotivationRow) -> StaffRow:
    return StaffRow(
        staff_id=row.staff_id,
        name=row.name,
        position=row.position,
        score=row.score,
        n=row.n,
        coefficient=row.coefficient,
        flags=row.flags,
    )


async def gather(db: Database, data_dir, req: Request, tz: ZoneInfo) -> ScorecardData:
    """The data of one scorecard; 404 for an unknown subject."""
    policy, _ = await policy_store.latest(db)
    policy_ref = f"{policy.id}@{policy.version}"
    if req.scope == "unit":
        return await _unit(db, data_dir, req, tz, policy, policy_ref)
    if req.scope == "staff":
        return await _staff(db, req, tz, policy, policy_ref)
    return await _network(db, req, policy, policy_ref)


async def _unit(db, data_dir, req: Request, tz, policy, policy_ref) -> ScorecardData:
    (unit,) = await scores_store.unit_infos(db, None, req.unit_id) or [None]
    if unit is None:
        raise not_found("unit")
    trend = []
    for period in _periods_back(req.period, TREND):
        sums = await scores_store.unit_sums(db, period, APPROVED, unit.unit_id)
        trend.append(
            TrendPoint(
                period=period, score=shown(sums[0].total / sums[0].n) if sums else None, n=sums[0].n if sums else 0
            )
        )
    current = await scores_store.unit_sums(db, req.period, APPROVED, unit.unit_id)
    previous = await scores_store.unit_sums(db, previous_period(req.period), APPROVED, unit.unit_id)
    standard_sums = await scores_store.standard_sums(db, req.period, APPROVED, unit.unit_id)
    (figures,) = unit_figures([unit], current, previous, standard_sums, policy)
    docs = await _approved_docs(db, req.period, unit_id=unit.unit_id)
    indexes = await _indexes(db, docs)
    titles = _titles(indexes, req.lang)
    failed, evidence = _failed(docs, indexes, req.lang, tz)
    staff: list[StaffRow] = []
    if unit.kind == "branch":
        rows = await _motivation(db, req.period)
        members = {s.staff_id for s in await scores_store.staff_infos(db, unit.unit_id) if s.active}
        members |= set((await scores_store.person_scores(db, req.period, APPROVED, unit.unit_id)).keys())
        staff = [_staff_row(rows[s]) for s in sorted(members) if s in rows]
    return ScorecardData(
        scope="unit",
        lang=req.lang,
        period=req.period,
        subject=Subject(unit_id=unit.unit_id, unit_name=unit.name, unit_kind=unit.kind, region=unit.region),
        basis="approved",
        headline=Headline(
            score=figures.visit_score, n=figures.n, previous=figures.previous, change=figures.change, mark=figures.mark
        ),
        trend=trend,
        standards=[_standard_row(s, titles) for s in figures.standards],
        failed_items=failed,
        staff=staff,
        thumbnails=await _thumbnails(db, data_dir, evidence, tz),
        ranking=[],
        weakest_standards=[],
        checklist_versions=sorted(f"{cid}@{v}" for cid, v in indexes),
        green_at=policy.rag.green_at,
        amber_at=policy.rag.amber_at,
        data_as_of=await _as_of(db, req.period, unit.unit_id, None),
        policy=policy_ref,
    )


def _standard_row(figure, titles: dict[str, tuple[str, str]]) -> StandardRow:
    title, attribution = titles.get(figure.code, (figure.code, "unit"))
    return StandardRow(
        code=figure.code,
        title=title,
        attribution=attribution,
        score=figure.score,
        share_met=figure.share_met,
        n=figure.n,
    )


async def _staff(db, req: Request, tz, policy, policy_ref) -> ScorecardData:
    infos = {s.staff_id: s for s in await scores_store.staff_infos(db)}
    person = infos.get(req.staff_id or "")
    if person is None:
        raise not_found("staff member")
    trend = []
    for period in _periods_back(req.period, TREND):
        values = (await scores_store.person_scores(db, period, APPROVED, staff_id=person.staff_id)).get(
            person.staff_id, []
        )
        trend.append(
            TrendPoint(period=period, score=shown(sum(values) / len(values)) if values else None, n=len(values))
        )
    values = (await scores_store.person_scores(db, req.period, APPROVED, staff_id=person.staff_id)).get(
        person.staff_id, []
    )
    before = (
        await scores_store.person_scores(db, previous_period(req.period), APPROVED, staff_id=person.staff_id)
    ).get(person.staff_id, [])
    mean = sum(values) / len(values) if values else None
    mean_before = sum(before) / len(before) if before else None
    docs = await _approved_docs(db, req.period, staff_id=person.staff_id)
    indexes = await _indexes(db, docs)
    titles = _titles(indexes, req.lang)
    person_codes = {code for code, (_, attribution) in titles.items() if attribution == "person"}
    sums = await scores_store.staff_standard_sums(db, req.period, person.staff_id)
    figures = pooled_standard_figures(s for s in sums if s.code in person_codes)
    failed, _ = _failed(docs, indexes, req.lang, tz, person_only=True)
    rows = await _motivation(db, req.period)
    return ScorecardData(
        scope="staff",
        lang=req.lang,
        period=req.period,
        subject=Subject(
            unit_id=person.unit_id,
            unit_name=person.unit_name,
            staff_id=person.staff_id,
            staff_name=person.name,
            position=person.position,
        ),
        basis="approved",
        headline=Headline(
            score=shown(mean),
            n=len(values),
            previous=shown(mean_before),
            change=shown(mean - mean_before) if mean is not None and mean_before is not None else None,
            mark=policy.mark(mean),
        ),
        trend=trend,
        standards=[_standard_row(f, titles) for f in figures],
        failed_items=failed,
        staff=[_staff_row(rows[person.staff_id])] if person.staff_id in rows else [],
        thumbnails=[],
        ranking=[],
        weakest_standards=[],
        checklist_versions=sorted(f"{cid}@{v}" for cid, v in indexes),
        green_at=policy.rag.green_at,
        amber_at=policy.rag.amber_at,
        data_as_of=await _as_of(db, req.period, None, None),
        policy=policy_ref,
    )


async def _network(db, req: Request, policy, policy_ref) -> ScorecardData:
    kind = req.unit_kind
    if kind not in ("branch", "contact_centre", "field_technician"):
        raise ProblemError(400, "invalid_request", "a network scorecard needs unit_kind")
    units = await scores_store.unit_infos(db, kind)
    wanted = {u.unit_id for u in units}
    trend = []
    for period in _periods_back(req.period, TREND):
        sums = [s for s in await scores_store.unit_sums(db, period, APPROVED) if s.unit_id in wanted]
        n = sum(s.n for s in sums)
        trend.append(TrendPoint(period=period, score=shown(sum(s.total for s in sums) / n) if n else None, n=n))
    current = [s for s in await scores_store.unit_sums(db, req.period, APPROVED) if s.unit_id in wanted]
    previous = [
        s for s in await scores_store.unit_sums(db, previous_period(req.period), APPROVED) if s.unit_id in wanted
    ]
    standard_sums: list[StandardSums] = [
        s for s in await scores_store.standard_sums(db, req.period, APPROVED) if s.unit_id in wanted
    ]
    figures = unit_figures(units, current, previous, standard_sums, policy)
    network = network_figures(kind, figures, current, standard_sums)
    refs = await db.fetch_all(
        "SELECT DISTINCT v.checklist_id, v.checklist_version FROM submission_views v"
        " JOIN units u ON u.unit_id = v.unit_id"
        " WHERE v.period = ? AND v.counted >= ? AND u.kind = ? AND v.checklist_version IS NOT NULL",
        (req.period, APPROVED, kind),
    )
    indexes = await _indexes_of(db, {(r["checklist_id"], r["checklist_version"]) for r in refs})
    titles = _titles(indexes, req.lang)
    prev_n = sum(s.n for s in previous)
    prev_mean = sum(s.total for s in previous) / prev_n if prev_n else None
    now_mean = sum(s.total for s in current) / network.n if network.n else None
    all_standards = pooled_standard_figures(standard_sums)
    return ScorecardData(
        scope="network",
        lang=req.lang,
        period=req.period,
        subject=Subject(unit_kind=kind),
        basis="approved",
        headline=Headline(
            score=network.visit_score,
            n=network.n,
            previous=shown(prev_mean),
            change=shown(now_mean - prev_mean) if now_mean is not None and prev_mean is not None else None,
            mark=policy.mark(now_mean),
        ),
        trend=trend,
        standards=[_standard_row(f, titles) for f in all_standards],
        failed_items=[],
        staff=[],
        thumbnails=[],
        ranking=[
            RankedUnitRow(
                rank=u.rank,
                unit_id=u.unit_id,
                name=u.name,
                region=u.region,
                score=u.visit_score,
                n=u.n,
                change=u.change,
                mark=u.mark,
            )
            for u in network.units
        ],
        weakest_standards=[_standard_row(f, titles) for f in network.weakest_standards],
        checklist_versions=sorted(f"{cid}@{v}" for cid, v in indexes),
        green_at=policy.rag.green_at,
        amber_at=policy.rag.amber_at,
        data_as_of=await _as_of(db, req.period, None, kind),
        policy=policy_ref,
    )


async def render_pdf(app, data: ScorecardData) -> bytes:
    """Render in a worker process (pure: data in, bytes out), never on the event loop."""
    import asyncio

    from reports.scorecard import render

    workers = app.state.settings.render_workers
    if workers <= 0:
        return await asyncio.to_thread(render, data)
    pool = getattr(app.state, "render_pool", None)
    if pool is None:
        from server.workers import process_pool

        pool = app.state.render_pool = process_pool(workers)
    return await asyncio.get_running_loop().run_in_executor(pool, render, data)


def close_render_pool(app) -> None:
    """Stop the worker processes (at shutdown)."""
    pool = getattr(app.state, "render_pool", None)
    if pool is not None:
        pool.shutdown(cancel_futures=True)
        app.state.render_pool = None
