"""A visit's background integrity check: the flags that compare it with other visits or read its photos.

Run by the claiming loop (`server.integrity.tasks`) after a push or an upload changed a visit. In
three steps, so the one writer is held only for the last:

1. read the photos of the visit that were never read (their bytes from the blob store; the hash
   and EXIF time worked out in a thread);
2. in a read transaction, compare the visit with the others (`find`): its photos' bytes and
   perceptual hashes, its comments, the auditor's neighbouring visits and streak;
3. in a write (`store`), record what was read and rewrite the flags: the visit's own and the
   paired ones other visits hold about it. A visit whose flags appeared or went is merged again,
   so a `received` visit becomes `needs_review` (and back), never touching its scores.

What a check read may be stale by the time it writes (another visit changed meanwhile): that
visit's own check, asked for by its change, then compares again, so the pair ends up right.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import sqlite3
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import msgspec

from checklists.score import ChecklistIndex
from reports.policy import Integrity
from server.blobstore import BlobStore
from server.db import Database
from server.integrity import comments as comment_text
from server.integrity.flags import (
    Flag,
    Place,
    Stop,
    exif_mismatch,
    parse_time,
    perfect_streak,
    travel,
)
from server.integrity.photos import PhotoFacts, hamming, read_photo
from server.store import integrity as store
from server.store import photo_hashes, visit_comments
from server.store import policies as policies_store
from server.store.sync import rows_in
from server.store.views import SubmissionDoc, VisitView, view_documents
from server.sync.refresh import refresh

MAX_PAIRS = 10  # other visits named per code: enough to judge, never a flood from one shared photo


class Found(msgspec.Struct, kw_only=True):
    """What a check found, ready to write."""

    own: list[Flag]
    mirrored: list[tuple[str, Flag]]  # (other visit, the paired flag it holds about this one)
    comments: dict[str, str]  # item -> normalised comment, long enough to compare
    day: str | None  # the visit's day (its comments' place in the window)


class Unstored(msgspec.Struct, kw_only=True):
    """What the checks of a batch read before this one, not stored yet (they are written together):
    a later check of the batch compares with it as if it were stored."""

    photos: dict[str, PhotoFacts] = {}
    comments: dict[str, tuple[str, dict[str, str]]] = {}  # submission_id -> (day, item -> normalised)

    def add(self, examined: Examined) -> None:
        self.photos.update(examined.facts)
        if examined.found.day is not None:
            self.comments[examined.submission_id] = (examined.found.day, examined.found.comments)


class Examined(msgspec.Struct, kw_only=True):
    """A visit's check before it is stored: the photos read just now, and what was found."""

    submission_id: str
    facts: dict[str, PhotoFacts]
    found: Found


async def examine(
    db: Database, blobs: BlobStore, submission_id: str, tz: ZoneInfo, unstored: Unstored | None = None
) -> Examined:
    """The reading half of a visit's check (steps 1 and 2 of the module); nothing is written."""
    unread = await db.read(_unread_photos, submission_id)
    facts: dict[str, PhotoFacts] = {}
    for sha256 in unread:
        data = await blobs.read(sha256)
        if data is None or hashlib.sha256(data).hexdigest() != sha256:
            continue  # gone or damaged: `blobs verify` and the uploads deal with it; read when it is back
        facts[sha256] = await asyncio.to_thread(read_photo, data)
    found = await db.read(find, submission_id, tz, facts, unstored or Unstored())
    return Examined(submission_id=submission_id, facts=facts, found=found)


def store_examined(
    c: sqlite3.Connection, examined: Examined, tz: ZoneInfo, cache: dict[tuple[str, int], ChecklistIndex]
) -> None:
    """The writing half (step 3), inside the caller's write."""
    store_found(c, examined.submission_id, examined.found, examined.facts, tz, cache)


def _unread_photos(c: sqlite3.Connection, submission_id: str) -> list[str]:
    """The stored photos the visit references whose bytes were never read."""
    rows = c.execute(
        "SELECT e.sha256 FROM view_evidence e JOIN blobs b ON b.sha256 = e.sha256"
        " LEFT JOIN photo_hashes p ON p.sha256 = e.sha256"
        " WHERE e.submission_id = ? AND b.content_type LIKE 'image/%' AND p.sha256 IS NULL ORDER BY e.sha256",
        (submission_id,),
    ).fetchall()
    return [r[0] for r in rows]


def find(
    c: sqlite3.Connection, submission_id: str, tz: ZoneInfo, fresh: dict[str, PhotoFacts], unstored: Unstored
) -> Found:
    """Compare the visit with the others (a read; `fresh`: its photos read just now; `unstored`: what
    the checks before it in its batch read)."""
    doc = view_documents(c, [submission_id]).get(submission_id)
    if doc is None or doc.view is None or doc.view.state != "submitted":
        return Found(own=[], mirrored=[], comments={}, day=None)
    rules = policies_store.integrity_rules(c)
    view = doc.view
    related = _related(c, submission_id, view)
    own: list[Flag] = []
    mirrored: list[tuple[str, Flag]] = []
    photos = _photos(c, view, fresh)
    for flag, other_flag, other in _photo_flags(c, submission_id, photos, related, rules, unstored.photos):
        own.append(flag)
        mirrored.append((other, other_flag))
    own.extend(_exif_flags(view, photos, tz, rules))
    comments = _comments(view, rules)
    day = (doc.corrected_start or view.started_at or "")[:10] or None
    if day is not None:
        for flag, other_flag, other in _comment_flags(c, submission_id, comments, day, related, rules, unstored):
            own.append(flag)
            mirrored.append((other, other_flag))
    for flag, other in _travel_flags(c, doc, rules):
        own.append(msgspec.structs.replace(flag, ref=other))
        mirrored.append((other, msgspec.structs.replace(flag, ref=submission_id)))
    streak = _streak(c, doc, rules)
    if streak is not None:
        own.append(streak)
    return Found(own=own, mirrored=mirrored, comments=comments, day=day)


def store_found(
    c: sqlite3.Connection,
    submission_id: str,
    found: Found,
    facts: dict[str, PhotoFacts],
    tz: ZoneInfo,
    cache: dict[tuple[str, int], ChecklistIndex],
) -> None:
    """Record the photos read and the comments, rewrite the flags, and merge again the visits
    whose being flagged changed (inside the caller's write)."""
    now = _now()
    for sha256, fact in facts.items():
        photo_hashes.record(c, sha256, fact, now)
    if found.day is not None:
        visit_comments.replace(c, submission_id, found.day, found.comments)
    else:
        visit_comments.replace(c, submission_id, "", {})
    rows = store.flag_rows(submission_id, found.own, submission_id, now)
    rows += [row for other, flag in found.mirrored for row in store.flag_rows(other, [flag], submission_id, now)]
    rows = list({row[:4]: row for row in reversed(rows)}.values())  # one per key, the first found
    touched = {submission_id} | {other for other, _ in found.mirrored} | store.raised_about(c, submission_id)
    flagged_before = store.task_flagged(c, touched)
    store.replace_task_flags(c, submission_id, rows)
    flagged_after = store.task_flagged(c, touched)
    again = {s for s in touched if (s in flagged_before) != (s in flagged_after)}
    if again:
        refresh(c, sorted(again), cache, tz, check=False)


def _now() -> str:
    from server.clock import now_iso

    return now_iso()


# --- what the visit is compared with -------------------------------------------------------------


def _related(c: sqlite3.Connection, submission_id: str, view: VisitView) -> set[str]:
    """The visits that legitimately share this one's evidence: the one it calibrates, and the
    second scorings of it (a calibration scores the same recording or photos again)."""
    out = {submission_id}
    if view.calibrates:
        out.add(view.calibrates)
    rows = c.execute("SELECT submission_id FROM submission_views WHERE calibrates = ?", (submission_id,)).fetchall()
    out |= {r[0] for r in rows}
    if view.assignment_id:
        rows = c.execute(
            "SELECT v.submission_id FROM assignments a JOIN submission_views v"
            " ON v.assignment_id = a.calibration_of OR v.assignment_id = a.assignment_id"
            " WHERE (a.assignment_id = ? AND a.calibration_of IS NOT NULL) OR a.calibration_of = ?",
            (view.assignment_id, view.assignment_id),
        ).fetchall()
        out |= {r[0] for r in rows}
    return out


def _photos(c: sqlite3.Connection, view: VisitView, fresh: dict[str, PhotoFacts]) -> dict[str, PhotoFacts]:
    """The visit's photos with what was read of them (those never read, or not images, left out)."""
    shas = sorted({e for a in view.answers for e in a.evidence or ()})
    known = photo_hashes.known(c, shas)
    return {s: fresh.get(s) or known[s] for s in shas if s in fresh or s in known}


def _submitted_referencing(c: sqlite3.Connection, shas: Iterable[str]) -> list[sqlite3.Row]:
    sql = (
        "SELECT e.sha256, e.submission_id FROM view_evidence e JOIN submission_views v"
        " ON v.submission_id = e.submission_id AND v.state = 'submitted' WHERE e.sha256 IN ({marks})"
    )
    return rows_in(c, sql, shas)


def _photo_flags(
    c: sqlite3.Connection,
    submission_id: str,
    photos: dict[str, PhotoFacts],
    related: set[str],
    rules: Integrity,
    unstored: dict[str, PhotoFacts],
) -> list[tuple[Flag, Flag, str]]:
    """`photo_reused` (the same bytes in another visit) and `photo_similar` (a perceptual hash within
    the policy's distance of another visit's photo), each with the flag the other visit holds."""
    out: list[tuple[Flag, Flag, str]] = []
    same: dict[str, list[str]] = {}
    for row in _submitted_referencing(c, photos):
        if row["submission_id"] not in related:
            same.setdefault(row["submission_id"], []).append(row["sha256"])
    for other, shas in sorted(same.items())[:MAX_PAIRS]:
        evidence = {"other_submission_id": other, "photos": sorted(shas)}
        n = len(shas)
        out.append(
            (
                Flag(
                    code="photo_reused", detail=_photos_text(n, "the same photo", other), evidence=evidence, ref=other
                ),
                Flag(
                    code="photo_reused",
                    detail=_photos_text(n, "the same photo", submission_id),
                    evidence={"other_submission_id": submission_id, "photos": sorted(shas)},
                    ref=submission_id,
                ),
                other,
            )
        )
    near: dict[str, list[tuple[str, str, int]]] = {}  # other visit -> (own photo, its photo, distance)
    for sha256, fact in sorted(photos.items()):
        if fact.phash is None:
            continue
        hits = photo_hashes.similar(c, fact.phash, rules.photo_distance, exclude=photos)
        hits += [
            (sha, d)
            for sha, other in unstored.items()
            if sha not in photos
            and other.phash is not None
            and (d := hamming(fact.phash, other.phash)) <= rules.photo_distance
        ]
        if not hits:
            continue
        distance = dict(hits)
        for row in _submitted_referencing(c, distance):
            if row["submission_id"] not in related and row["submission_id"] not in same:
                near.setdefault(row["submission_id"], []).append((sha256, row["sha256"], distance[row["sha256"]]))
    for other, pairs in sorted(near.items())[:MAX_PAIRS]:
        pairs.sort(key=lambda p: (p[2], p[0], p[1]))
        mine = [{"photo": a, "other_photo": b, "distance": d} for a, b, d in pairs]
        theirs = [{"photo": b, "other_photo": a, "distance": d} for a, b, d in pairs]
        closest = pairs[0][2]
        out.append(
            (
                Flag(
                    code="photo_similar",
                    detail=_similar_text(len(pairs), closest, other),
                    evidence={"other_submission_id": other, "pairs": mine, "max_distance": rules.photo_distance},
                    ref=other,
                ),
                Flag(
                    code="photo_similar",
                    detail=_similar_text(len(pairs), closest, submission_id),
                    evidence={
                        "other_submission_id": submission_id,
                        "pairs": theirs,
                        "max_distance": rules.photo_distance,
                    },
                    ref=submission_id,
                ),
                other,
            )
        )
    return out


def _photos_text(n: int, what: str, other: str) -> str:
    return f"{n} photo{'s' if n > 1 else ''}: {what} as in visit {other}."


def _similar_text(n: int, closest: int, other: str) -> str:
    return (
        f"{n} photo{'s' if n > 1 else ''} nearly the same as in visit {other}"
        f" (perceptual hashes {closest} bit{'s' if closest != 1 else ''} apart)."
    )


def _exif_flags(view: VisitView, photos: dict[str, PhotoFacts], tz: ZoneInfo, rules: Integrity) -> list[Flag]:
    """`exif_time_mismatch`: photos whose capture time (from the original file) is far from the visit."""
    started = parse_time(view.started_at)
    if started is None:
        return []
    finished = parse_time(view.finished_at) or started
    off = []
    for sha256, fact in sorted(photos.items()):
        if fact.exif_taken is None:
            continue
        found = exif_mismatch(fact.exif_taken, started, max(started, finished), tz, rules)
        if found is not None:
            off.append({"photo": sha256, **found})
    if not off:
        return []
    worst = max(p["minutes_off"] for p in off)
    return [
        Flag(
            code="exif_time_mismatch",
            detail=(
                f"{len(off)} photo{'s were' if len(off) > 1 else ' was'} taken up to {_hours(worst)} outside the visit"
                f" (tolerance {rules.exif_tolerance_min} min)."
            ),
            evidence={"photos": off, "started_at": view.started_at, "finished_at": view.finished_at},
        )
    ]


def _hours(minutes: int) -> str:
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def _comments(view: VisitView, rules: Integrity) -> dict[str, str]:
    """The visit's comments long enough to mean something, normalised, by item."""
    out = {}
    for answer in view.answers:
        if answer.comment:
            text = comment_text.normalize(answer.comment)
            if len(text) >= rules.comment_min_chars:
                out[answer.item] = text
    return out


def _comment_flags(
    c: sqlite3.Connection,
    submission_id: str,
    comments: dict[str, str],
    day: str,
    related: set[str],
    rules: Integrity,
    unstored: Unstored,
) -> list[tuple[Flag, Flag, str]]:
    """`comment_copied`: comments nearly identical to the same item's comment in another visit of
    the policy's window (days before and after the visit)."""
    moment = dt.date.fromisoformat(day)
    window = dt.timedelta(days=rules.comment_window_days)
    since, until = (moment - window).isoformat(), (moment + window).isoformat()
    matches: dict[str, list[tuple[str, float]]] = {}
    for item, text in sorted(comments.items()):
        candidates = visit_comments.candidates(c, item, since, until, submission_id)
        for other, (other_day, texts) in unstored.comments.items():
            if since <= other_day <= until and item in texts and other != submission_id:
                candidates[other] = texts[item]
        for other in related:
            candidates.pop(other, None)
        best = comment_text.closest(text, candidates, rules.comment_similarity)
        if best is not None:
            matches.setdefault(best[0], []).append((item, round(best[1], 1)))
    out = []
    for other, items in sorted(matches.items())[:MAX_PAIRS]:
        listed = [{"item": i, "similarity": s} for i, s in items]
        detail = (
            f"{len(items)} comment{'s' if len(items) > 1 else ''} nearly identical to visit {{other}}'s"
            f" ({', '.join(i for i, _ in items)})."
        )
        out.append(
            (
                Flag(
                    code="comment_copied",
                    detail=detail.format(other=other),
                    evidence={"other_submission_id": other, "items": listed},
                    ref=other,
                ),
                Flag(
                    code="comment_copied",
                    detail=detail.format(other=submission_id),
                    evidence={"other_submission_id": submission_id, "items": listed},
                    ref=submission_id,
                ),
                other,
            )
        )
    return out


def _travel_flags(c: sqlite3.Connection, doc: SubmissionDoc, rules: Integrity) -> list[tuple[Flag, str]]:
    """`impossible_travel` between the visit and the auditor's visits just before and after it."""
    view = doc.view
    if view is None or not view.started_at or _second_scoring(c, view):
        return []
    base = (
        "SELECT submission_id, document FROM submission_views v WHERE auditor = ? AND state = 'submitted'"
        f" AND {_ON_SITE} AND submission_id <> ? AND started_at {{op}} ? ORDER BY started_at {{order}} LIMIT 1"
    )
    neighbours = []
    for op, order in (("<=", "DESC"), (">=", "ASC")):
        row = c.execute(base.format(op=op, order=order), (doc.auditor, doc.submission_id, view.started_at)).fetchone()
        neighbours.append(msgspec.json.decode(row["document"], type=SubmissionDoc) if row is not None else None)
    docs = [d for d in (neighbours[0], doc, neighbours[1]) if d is not None and d.view is not None]
    places = store.unit_places(c, {d.view.unit_id for d in docs if d.view.unit_id})
    stops = {d.submission_id: _stop(d, places) for d in docs}
    me = stops[doc.submission_id]
    if me is None:
        return []
    out = []
    before, after = neighbours
    if before is not None and after is not None and before.submission_id == after.submission_id:
        after = None  # a visit that started at the same moment is found both ways: once is enough
    if before is not None and stops.get(before.submission_id) is not None:
        flag = travel(stops[before.submission_id], me, rules)
        if flag is not None:
            out.append((flag, before.submission_id))
    if after is not None and stops.get(after.submission_id) is not None:
        flag = travel(me, stops[after.submission_id], rules)
        if flag is not None:
            out.append((flag, after.submission_id))
    return out


# A visit made on site: not a second scoring (of a recording or photos, made anywhere).
_ON_SITE = (
    "v.calibrates IS NULL AND NOT EXISTS (SELECT 1 FROM assignments a"
    " WHERE a.assignment_id = v.assignment_id AND a.calibration_of IS NOT NULL)"
)


def _second_scoring(c: sqlite3.Connection, view: VisitView) -> bool:
    if view.calibrates:
        return True
    if not view.assignment_id:
        return False
    return bool(store.calibration_assignments(c, [view.assignment_id]))


def _stop(doc: SubmissionDoc, places: dict[str, Place]) -> Stop | None:
    view = doc.view
    started = parse_time(view.started_at) if view else None
    if view is None or started is None:
        return None
    finished = max(started, parse_time(view.finished_at) or started)
    if view.location is not None:
        lat, lon = view.location.lat, view.location.lon
    elif view.unit_id in places:
        lat, lon = places[view.unit_id].lat, places[view.unit_id].lon
    else:
        return None
    return Stop(submission_id=doc.submission_id, started=started, finished=finished, lat=lat, lon=lon)


def _streak(c: sqlite3.Connection, doc: SubmissionDoc, rules: Integrity) -> Flag | None:
    """`perfect_streak` when this visit ends a long enough run of the auditor's perfect scores."""
    view = doc.view
    if view is None or not view.started_at or doc.scores is None or doc.scores.visit is None:
        return None
    if doc.scores.visit < 100 or _second_scoring(c, view):
        return None
    rows = c.execute(
        f"SELECT visit_score FROM submission_views v WHERE auditor = ? AND state = 'submitted' AND {_ON_SITE}"
        " AND visit_score IS NOT NULL AND (started_at < ? OR (started_at = ? AND submission_id <= ?))"
        " ORDER BY started_at DESC, submission_id DESC LIMIT ?",
        (doc.auditor, view.started_at, view.started_at, doc.submission_id, rules.perfect_streak),
    ).fetchall()
    return perfect_streak([r[0] for r in reversed(rows)], rules)
