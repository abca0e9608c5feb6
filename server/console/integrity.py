"""Integrity in the console, for quality leads and admins: the signals on the visit page, the flags'
words in the queue, and the pages per auditor (`/integrity`, `/integrity/auditors/{name}`).

The flags are the engine's (`server.store.integrity`); the console says each in the viewer's
language from its code and evidence (the stored `detail` is the API's English sentence). The
figures per auditor are `GET /v1/integrity/auditors`' (`server.routes.integrity.auditors_of`).
Flags are never shown to unit managers, HR or auditors: every page here is the leads' only.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from checklists.model import Checklist
from reports import i18n
from server import clock
from server.console.web import console, language_of, page
from server.db import Database, snapshot
from server.errors import not_found
from server.integrity.flags import CODES, Flag, parse_time
from server.periods import check_period_held, current_period, periods_back
from server.routes.integrity import AuditorIntegrity, IntegrityAuditors, auditors_of
from server.settings import Settings
from server.store import integrity as store
from server.store import reviews as reviews_store
from server.store import users as users_store
from server.store.directory import unit_names
from server.store.views import SubmissionDoc, view_documents
from server.wire import USER_NAME_PATTERN

LEADS = console("quality_lead", "admin")
MONTHS_SHOWN = 6  # the auditor page's months, ending with the chosen one
MONTHS_OFFERED = 12  # the month filter's months, ending with this one
FLAGGED_SHOWN = 200  # an auditor's flagged visits of a month listed on their page
_NAME = re.compile(USER_NAME_PATTERN)
# The visits a paired flag names, by the evidence field that names them.
_OTHER_FIELDS = ("other_submission_id", "from_submission_id", "to_submission_id")


# --- words and numbers ----------------------------------------------------------------------------


def code_name(code: str, lang: str) -> str:
    """A flag's code in words (a code this console does not know is shown as it is)."""
    return i18n.text(f"integrity.code.{code}", lang) if code in CODES else code


def flag_names(codes: Iterable[str], lang: str) -> list[str]:
    """The codes in words, each once, in the order given."""
    return [code_name(code, lang) for code in dict.fromkeys(codes)]


def flag_choices(lang: str) -> list[tuple[str, str]]:
    """What the queue's `flag` filter offers beyond "no filter": any flag, then each code in words."""
    return [("any", i18n.text("integrity.filter.any_flag", lang)), *((c, code_name(c, lang)) for c in CODES)]


def metres(m: float, lang: str) -> str:
    """A distance as people read it: metres below 2 km, else km with one decimal."""
    if abs(m) >= 2000:
        return i18n.text("integrity.unit.km", lang, n=i18n.number(m / 1000, lang, 1))
    return i18n.text("integrity.unit.m", lang, n=i18n.number(m, lang, 0))


def duration(seconds: float, lang: str) -> str:
    """A length of time in the unit that reads best (seconds, minutes, hours, days)."""
    s = abs(seconds)
    if s < 120:
        return i18n.text("integrity.unit.s", lang, n=i18n.number(s, lang, 0))
    if s < 7200:
        return i18n.text("integrity.unit.min", lang, n=i18n.number(s // 60, lang, 0))
    if s < 172_800:  # whole hours without a decimal ("24 h", not "24.0 h")
        return i18n.text("integrity.unit.h", lang, n=i18n.number(s / 3600, lang, 0 if s % 3600 == 0 else 1))
    return i18n.text("integrity.unit.days", lang, n=i18n.number(s / 86_400, lang, 0 if s % 86_400 == 0 else 1))


def share(x: float | None, lang: str) -> str:
    """A share 0..1 as a whole percentage, or a dash."""
    return i18n.DASH if x is None else f"{i18n.number(100 * x, lang, 0)}{i18n.NBSP}%"


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: object) -> int:
    number = _num(value)
    return round(number) if number is not None else 0


def local_iso(text: str | None, tz: ZoneInfo) -> str | None:
    """A time as RFC 3339 with its offset, for `when`: an EXIF time without one is the organisation's."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)).isoformat()


# --- the visit page's panel -----------------------------------------------------------------------


class PanelData(msgspec.Struct, kw_only=True, frozen=True):
    """What the panel shows, read in one snapshot: the visit's flags and the other visits they name."""

    flags: list[Flag]
    others: dict[str, SubmissionDoc]
    units: dict[str, str]  # unit_id -> name, of the other visits


def panel_data(c: sqlite3.Connection, submission_id: str) -> PanelData:
    """The visit's flags, the documents of the visits they name and those visits' unit names."""
    with snapshot(c):
        flags = store.flags_of(c, [submission_id]).get(submission_id, [])
        named = {str(f.evidence[k]) for f in flags for k in _OTHER_FIELDS if isinstance(f.evidence.get(k), str)} - {
            submission_id
        }
        others = view_documents(c, named) if named else {}
        units = {d.view.unit_id for d in others.values() if d.view is not None and d.view.unit_id}
        return PanelData(flags=flags, others=others, units=unit_names(c, units) if units else {})


class Sketch(msgspec.Struct, kw_only=True, frozen=True):
    """A map-free sketch of `gps_far` in SVG units: the unit at the centre, its fence, the fix and its accuracy."""

    size: int
    cx: float
    cy: float
    fence_r: float
    fix_x: float
    fix_y: float
    accuracy_r: float  # 0: no accuracy given
    scale_px: float  # a scale bar's length
    scale_m: int  # and the metres it stands for
    direction: str  # n, ne, e, ... the compass point of the fix seen from the unit
    label_right: bool  # the fix's label goes right of the point (else left, to stay inside)


SKETCH_SIZE = 260
_SKETCH_REACH = 100  # the farthest a drawn point or circle reaches from the centre (labels stay inside)
_NICE = (1, 2, 5)


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The initial bearing from the first point to the second, degrees clockwise from north (0..360)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360


def sketch(evidence: Mapping[str, Any]) -> Sketch | None:
    """The sketch of a `gps_far` flag's evidence, scaled so the fence and the fix (with its accuracy) fit."""
    unit, fix = evidence.get("unit"), evidence.get("fix")
    distance, fence = _num(evidence.get("distance_m")), _num(evidence.get("geofence_m"))
    if not isinstance(unit, dict) or not isinstance(fix, dict) or distance is None or fence is None:
        return None
    coords = [_num(unit.get("lat")), _num(unit.get("lon")), _num(fix.get("lat")), _num(fix.get("lon"))]
    if any(v is None for v in coords):
        return None
    ulat, ulon, flat, flon = (float(v) for v in coords)  # type: ignore[arg-type]
    accuracy = max(0.0, _num(evidence.get("accuracy_m")) or 0.0)
    extent = max(fence, distance + accuracy, 1.0)
    scale = _SKETCH_REACH / extent
    theta = math.radians(bearing(ulat, ulon, flat, flon))
    centre = SKETCH_SIZE / 2
    fix_x = centre + distance * math.sin(theta) * scale
    fix_y = centre - distance * math.cos(theta) * scale
    bar = _nice_length(extent / 2)
    return Sketch(
        size=SKETCH_SIZE,
        cx=centre,
        cy=centre,
        fence_r=round(max(fence * scale, 5.0), 1),  # never hidden under the unit's mark
        fix_x=round(fix_x, 1),
        fix_y=round(fix_y, 1),
        accuracy_r=round(accuracy * scale, 1),
        scale_px=round(bar * scale, 1),
        scale_m=bar,
        direction=("n", "ne", "e", "se", "s", "sw", "w", "nw")[round(math.degrees(theta) / 45) % 8],
        label_right=fix_x < SKETCH_SIZE * 0.6,
    )


def _nice_length(most: float) -> int:
    """The longest of 1, 2, 5, 10, 20, 50 ... metres not above `most` (at least 1)."""
    best = 1
    power = 1
    while power <= most:
        for step in _NICE:
            if step * power <= most:
                best = step * power
        power *= 10
    return best


def _photo_items(doc: SubmissionDoc | None) -> dict[str, str]:
    """sha256 -> the item whose answer carries the photo (its first), in a visit."""
    out: dict[str, str] = {}
    for answer in doc.view.answers if doc is not None and doc.view is not None else ():
        for sha in answer.evidence or ():
            out.setdefault(sha, answer.item)
    return out


def _comments(doc: SubmissionDoc | None) -> dict[str, str]:
    return {
        a.item: a.comment for a in (doc.view.answers if doc is not None and doc.view is not None else ()) if a.comment
    }


def _item_texts(checklist: Checklist | None, lang: str) -> dict[str, str]:
    if checklist is None:
        return {}
    return {item.id: item.text.get(lang) for standard in checklist.standards for item in standard.items}


def _other(sub: str, data: PanelData) -> dict[str, Any]:
    """The other visit a flag names, as the panel links it."""
    doc = data.others.get(sub)
    view = doc.view if doc is not None else None
    unit_id = view.unit_id if view is not None else None
    return {
        "id": sub,
        "found": doc is not None,
        "unit": data.units.get(unit_id or "", unit_id),
        "started": (view.started_at if view is not None else None) or (doc.corrected_start if doc else None),
        "auditor": doc.auditor if doc is not None else None,
        "status": doc.status if doc is not None else None,
    }


def visit_panel(
    data: PanelData, doc: SubmissionDoc, checklist: Checklist | None, lang: str, tz: ZoneInfo
) -> list[dict[str, Any]]:
    """Each flag of the visit as the panel shows it: its name, a sentence, and its evidence in words."""
    t = i18n.text
    texts = _item_texts(checklist, lang)
    mine_photos, mine_comments = _photo_items(doc), _comments(doc)
    out = []
    for n, flag in enumerate(data.flags, start=1):
        e = flag.evidence
        view: dict[str, Any] = {"code": flag.code, "name": code_name(flag.code, lang), "key": f"{flag.code}-{n}"}
        view |= {"text": "", "facts": [], "other": None, "other_label": None, "photos": [], "exif": [], "comments": []}
        view |= {"sketch": None, "sketch_desc": "", "scale_label": "", "span": (None, None), "auditor_url": None}
        other_id = e.get("other_submission_id")
        if isinstance(other_id, str):
            view["other"] = _other(other_id, data)
        if flag.code == "gps_far":
            accuracy = _num(e.get("accuracy_m"))
            facts = {
                "distance": metres(_num(e.get("distance_m")) or 0, lang),
                "accuracy": ("±" + metres(accuracy, lang))
                if accuracy is not None
                else t("integrity.fact.unknown", lang),
                "geofence": metres(_num(e.get("geofence_m")) or 0, lang),
            }
            view["text"] = t("integrity.gps_far.text", lang)
            view["facts"] = [(t(f"integrity.fact.{k}", lang), v, k) for k, v in facts.items()]
            drawn = sketch(e)
            if drawn is not None:
                view["sketch"] = drawn
                view["sketch_desc"] = t(
                    "integrity.sketch.desc" if accuracy else "integrity.sketch.desc_no_accuracy",
                    lang,
                    fence=facts["geofence"],
                    distance=facts["distance"],
                    direction=t(f"integrity.dir.{drawn.direction}", lang),
                    accuracy=facts["accuracy"],
                    scale=metres(drawn.scale_m, lang),
                )
                view["scale_label"] = metres(drawn.scale_m, lang)
        elif flag.code == "gps_missing":
            unit = e.get("unit") if isinstance(e.get("unit"), dict) else {}
            lat, lon = _num(unit.get("lat")), _num(unit.get("lon"))
            coords = [i18n.number(v, lang, 5) if v is not None else i18n.DASH for v in (lat, lon)]
            view["text"] = t("integrity.gps_missing.text", lang, lat=coords[0], lon=coords[1])
        elif flag.code == "too_short":
            took = _num(e.get("duration_s")) or 0
            key = "integrity.too_short.negative" if took < 0 else "integrity.too_short.text"
            view["text"] = t(key, lang, took=duration(took, lang), min=duration(_int(e.get("min_duration_s")), lang))
        elif flag.code == "clock_skew":
            offset = _int(e.get("offset_s"))
            key = "integrity.clock_skew.behind" if offset > 0 else "integrity.clock_skew.ahead"
            view["text"] = t(key, lang, offset=duration(offset, lang), max=duration(_int(e.get("max_s")), lang))
        elif flag.code == "impossible_travel":
            _travel(view, e, doc.submission_id, data, lang)
        elif flag.code == "photo_reused":
            photos = [p for p in e.get("photos") or [] if isinstance(p, str)]
            theirs = _photo_items(data.others.get(other_id)) if isinstance(other_id, str) else {}
            view["text"] = t("integrity.photo_reused.text", lang, n=i18n.count(len(photos), lang))
            view["photos"] = [
                {"mine": p, "mine_item": mine_photos.get(p), "theirs": p, "their_item": theirs.get(p), "distance": None}
                for p in photos
            ]
        elif flag.code == "photo_similar":
            theirs = _photo_items(data.others.get(other_id)) if isinstance(other_id, str) else {}
            view["text"] = t("integrity.photo_similar.text", lang, max=_int(e.get("max_distance")))
            view["photos"] = [
                {
                    "mine": p.get("photo"),
                    "mine_item": mine_photos.get(p.get("photo")),
                    "theirs": p.get("other_photo"),
                    "their_item": theirs.get(p.get("other_photo")),
                    "distance": _int(p.get("distance")),
                }
                for p in e.get("pairs") or []
                if isinstance(p, dict) and isinstance(p.get("photo"), str) and isinstance(p.get("other_photo"), str)
            ]
        elif flag.code == "exif_time_mismatch":
            _exif(view, e, mine_photos, lang, tz)
        elif flag.code == "comment_copied":
            theirs = _comments(data.others.get(other_id)) if isinstance(other_id, str) else {}
            view["text"] = t("integrity.comment.text", lang)
            view["comments"] = [
                {
                    "item": i["item"],
                    "text": texts.get(i["item"], ""),
                    "mine": mine_comments.get(i["item"]),
                    "theirs": theirs.get(i["item"]),
                    "similarity": f"{i18n.number(_num(i.get('similarity')) or 0, lang, 1)}{i18n.NBSP}%",
                }
                for i in e.get("items") or []
                if isinstance(i, dict) and isinstance(i.get("item"), str)
            ]
        elif flag.code == "perfect_streak":
            view["text"] = t(
                "integrity.streak.text", lang, streak=_int(e.get("streak")), threshold=_int(e.get("threshold"))
            )
            view["auditor_url"] = auditor_url(doc.auditor, doc.period)
            view["auditor"] = doc.auditor
        else:
            view["text"] = flag.detail  # a code this console does not know yet: the API's sentence
        out.append(view)
    return out


def _travel(view: dict[str, Any], e: Mapping[str, Any], sid: str, data: PanelData, lang: str) -> None:
    t = i18n.text
    before, after = e.get("from_submission_id"), e.get("to_submission_id")
    other = before if after == sid else after
    if isinstance(other, str):
        view["other"] = _other(other, data)
        view["other_label"] = t("integrity.travel.before" if other == before else "integrity.travel.after", lang)
    speed, minutes = _num(e.get("speed_kmh")), _num(e.get("minutes")) or 0

    def kmh(v: float) -> str:
        return t("integrity.unit.kmh", lang, n=i18n.number(v, lang, 0))

    view["text"] = t("integrity.travel.text", lang)
    view["facts"] = [
        (
            t("integrity.fact.travel_distance", lang),
            t("integrity.unit.km", lang, n=i18n.number(_num(e.get("distance_km")) or 0, lang, 1)),
            "distance",
        ),
        (
            t("integrity.fact.gap", lang),
            duration(minutes * 60, lang) if minutes > 0 else t("integrity.travel.overlap", lang),
            "gap",
        ),
        (t("integrity.fact.speed", lang), kmh(speed) if speed is not None else i18n.DASH, "speed"),
        (t("integrity.fact.max_speed", lang), kmh(_num(e.get("max_speed_kmh")) or 0), "max_speed"),
    ]


def _exif(view: dict[str, Any], e: Mapping[str, Any], items: dict[str, str], lang: str, tz: ZoneInfo) -> None:
    t = i18n.text
    started = parse_time(e.get("started_at") if isinstance(e.get("started_at"), str) else None)
    rows = []
    tolerance = 0
    for p in e.get("photos") or []:
        if not isinstance(p, dict) or not isinstance(p.get("photo"), str):
            continue
        tolerance = _int(p.get("tolerance_min")) or tolerance
        taken = local_iso(p.get("taken") if isinstance(p.get("taken"), str) else None, tz)
        taken_at = dt.datetime.fromisoformat(taken) if taken else None
        off = duration(_int(p.get("minutes_off")) * 60, lang)
        before = taken_at is not None and started is not None and taken_at < started
        rows.append(
            {
                "photo": p["photo"],
                "item": items.get(p["photo"]),
                "taken": taken,
                "taken_raw": p.get("taken"),
                "off": t("integrity.exif.before" if before else "integrity.exif.after", lang, off=off),
            }
        )
    view["text"] = t("integrity.exif.text", lang, tolerance=duration(tolerance * 60, lang))
    view["exif"] = rows
    view["span"] = (e.get("started_at"), e.get("finished_at"))


def auditor_url(name: str, period: str | None) -> str:
    """The page of an auditor's integrity in a month (the current one when None)."""
    query = f"?{urlencode({'period': period})}" if period else ""
    return f"/integrity/auditors/{quote(name, safe='')}{query}"


# --- /integrity --------------------------------------------------------------------------------------


def _months(settings: Settings, given: str | None) -> tuple[str, list[tuple[str, str]], str]:
    """The chosen period (default: this month in the organisation's zone), the months offered, this month."""
    this_month = current_period(ZoneInfo(settings.timezone), clock.utc_now())
    period = check_period_held(given) if given else this_month
    offered = periods_back(this_month, MONTHS_OFFERED)
    if period not in offered:
        offered = sorted({*offered, period})
    return period, list(reversed(offered)), this_month


def auditor_row(a: AuditorIntegrity, lang: str) -> dict[str, Any]:
    """One auditor's month as the tables show it (pure)."""
    decided = a.appeals.items_decided
    return {
        "auditor": a.auditor,
        "visits": a.visits,
        "flagged": a.flagged_visits,
        "flagged_share": a.flagged_visits / a.visits if a.visits else None,
        "flags": [(code, code_name(code, lang), n) for code, n in a.flags.items() if n],
        "overturned": a.appeals.items_overturned,
        "decided": decided,
        "overturn_share": a.appeals.share,
        "agreement": a.calibration_agreement,
        "below": a.below_calibration_threshold,
    }


@get("/integrity", opt=LEADS, include_in_schema=False)
async def integrity_auditors(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template:
    """Per auditor over a month: visits, flagged visits, flags by code, appeal overturns, calibration agreement."""
    lang = language_of(request)
    period, offered, _ = _months(settings, request.query_params.get("period", "").strip()[:20] or None)
    report: IntegrityAuditors = await db.read(auditors_of, period)
    return page(
        request,
        "integrity_auditors.html",
        period=period,
        period_name=i18n.period_name(period, lang),
        offered=[(m, i18n.period_name(m, lang)) for m in offered],
        rows=[auditor_row(a, lang) for a in report.items],
        threshold=share(report.min_agreement, lang),
        share=lambda x: share(x, lang),
        auditor_url=lambda name: auditor_url(name, period),
    )


class AuditorScreen(msgspec.Struct, kw_only=True, frozen=True):
    """An auditor's page: their flagged visits of the month (and whether more exist), their months' figures."""

    exists: bool
    visits: list[Any]  # sqlite3.Row of the queue's page
    more: bool
    flags: dict[str, list[Flag]]
    months: dict[str, AuditorIntegrity | None]


def auditor_screen(c: sqlite3.Connection, name: str, period: str, months: Sequence[str]) -> AuditorScreen:
    """What the auditor page shows (each part a consistent read of its own)."""
    if users_store.user_detail(c, name) is None:
        return AuditorScreen(exists=False, visits=[], more=False, flags={}, months={})
    statuses = tuple(s for s in reviews_store.ALL_STATUSES if s != "draft")
    wanted = reviews_store.QueueFilter(statuses=statuses, auditor=name, period=period, flag="any")
    with snapshot(c):
        rows, next_key = reviews_store.queue_page(c, wanted, "oldest", None, FLAGGED_SHOWN)
        flags = store.flags_of(c, [r["submission_id"] for r in rows])
    figures = {}
    for month in months:
        found = auditors_of(c, month)
        figures[month] = next((a for a in found.items if a.auditor == name), None)
    return AuditorScreen(exists=True, visits=rows, more=next_key is not None, flags=flags, months=figures)


@get("/integrity/auditors/{name:str}", opt=LEADS, include_in_schema=False)
async def integrity_auditor(
    request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings], name: FromPath[str]
) -> Template:
    """One auditor: their flagged visits of the month (linked to the visit pages) and their last six months."""
    if not _NAME.match(name):
        raise not_found("auditor")
    lang = language_of(request)
    period, offered, _ = _months(settings, request.query_params.get("period", "").strip()[:20] or None)
    months = periods_back(period, MONTHS_SHOWN)
    screen = await db.read(auditor_screen, name, period, months)
    if not screen.exists:
        raise not_found("auditor")
    visits = []
    for r in screen.visits:
        codes = [f.code for f in screen.flags.get(r["submission_id"], [])]
        visits.append(
            {
                "id": r["submission_id"],
                "unit": r["unit_name"] or r["unit_id"],
                "started": r["corrected_start"],
                "status": r["status"],
                "codes": list(dict.fromkeys(codes)),
                "names": flag_names(codes, lang),
            }
        )
    month_rows = [
        (m, i18n.period_name(m, lang), auditor_row(a, lang) if a is not None else None)
        for m, a in screen.months.items()
    ]
    return page(
        request,
        "integrity_auditor.html",
        name=name,
        period=period,
        period_name=i18n.period_name(period, lang),
        offered=[(m, i18n.period_name(m, lang)) for m in offered],
        visits=visits,
        more=screen.more,
        shown=FLAGGED_SHOWN,
        month_rows=month_rows,
        share=lambda x: share(x, lang),
        back_url=f"/integrity?{urlencode({'period': period})}",
        here_url=auditor_url(name, None),
    )


ROUTES = [integrity_auditors, integrity_auditor]
