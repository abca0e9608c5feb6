"""Simulated visits for the demo: last month reviewed and closed, this month half reviewed.

The visits come in as tablets send them (through the same push engine), then a quality lead
reviews them (through the same decisions) and HR closes last month, so every screen of the
product has real numbers the moment `make serve` starts. Deterministic: the same month gives the
same visits.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import io
import random
import sqlite3
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import msgspec

from checklists.model import Item
from server import blobs as files
from server import closing
from server.db import Database
from server.periods import previous_period
from server.store import blobs as blobs_store
from server.store import reviews as reviews_store
from server.store import sync as sync_store
from server.sync.push import Author, store_revisions
from server.sync.refresh import refresher
from server.sync.review import decide

FAIL_COMMENTS = {
    "branch": [
        "Ждала у окна, сотрудник разговаривал по личному телефону.",
        "Тарифы объяснили невнятно, про акцию не сказали.",
        "Кезек талоны берілмеді, терминал істемеді.",
        "Прайс-лист у кассы старый, цены не совпадают с сайтом.",
        "Не предложили ни 165, ни личный кабинет.",
        "Қызметкер орысша жауап берді, қазақша сұрасам да.",
    ],
    "contact_centre": [
        "Ждал соединения почти 4 минуты, музыка обрывалась.",
        "Оператор не назвал номер заявки, сказал перезвонить завтра.",
        "Переключили на другой отдел без предупреждения, звонок оборвался.",
        "Оператор перебивал, не дослушал вопрос.",
        "Байланыс орталығы қазақ тіліне ауыса алмады.",
    ],
    "field_technician": [
        "Мастер опоздал на час и не позвонил.",
        "После работы остался мусор от кабеля.",
        "Скорость интернета вместе со мной не проверили.",
        "Бахилы не надел, прошёл в обуви.",
        "Акт выполненных работ не оставил.",
    ],
}
CAPTIONS = ["фото зала", "прайс-лист у кассы", "запись звонка", "фото установки", "табло очереди"]


def _value(item: Item, passes: bool, rng: random.Random) -> object:
    kind = item.kind
    if kind == "yes_no":
        good = True if item.pass_answer is None else item.pass_answer
        return good if passes else not good
    if kind == "scale":
        pass_at = item.max if item.pass_at is None else item.pass_at
        return rng.randint(pass_at, item.max) if passes else rng.randint(item.min, pass_at - 1)
    if kind == "duration":
        limit = item.limit_s or 60
        if passes:
            return rng.randint(limit // 4, limit)
        return rng.randint(limit + 1, (item.zero_at_s or limit * 2) + limit // 2)
    if kind == "choice":
        options = item.options or []
        best = [o.id for o in options if o.score == 1.0]
        worse = [o.id for o in options if o.score < 1.0]
        return rng.choice(best if passes or not worse else worse)
    if kind == "number":
        return rng.randint(0, 12)
    if kind == "text":
        return "Визит прошёл спокойно." if passes else "Есть замечания, см. комментарии."
    return rng.choice(CAPTIONS)  # photo, audio: a caption; the file itself would come by upload


def demo_photo(caption: str, number: int) -> bytes:
    """A small JPEG standing in for a shopper's photo: a coloured frame with its caption (deterministic)."""
    from importlib import resources

    from PIL import Image, ImageDraw, ImageFont

    font_file = resources.files("reports") / "fonts" / "DejaVuSans.ttf"
    with resources.as_file(font_file) as path:
        big, small = ImageFont.truetype(str(path), 26), ImageFont.truetype(str(path), 15)
    image = Image.new("RGB", (480, 320), (70 + number * 37 % 150, 110 + number * 53 % 120, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 467, 307), outline=(255, 255, 255), width=4)
    draw.text((32, 110), f"Фото {number + 1}", fill=(255, 255, 255), font=big)
    words, line, lines = caption.split(), "", []
    for word in words:  # the shopper's comment, wrapped to the frame
        if draw.textlength(f"{line} {word}".strip(), font=small) > 410:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    for n, text in enumerate(lines[:4]):
        draw.text((32, 160 + n * 22), text, fill=(255, 255, 255), font=small)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def make_visit(
    index,
    unit_id: str,
    kind: str,
    staff_ids: list[str],
    started: dt.datetime,
    quality: float,
    rng: random.Random,
    photos: dict[str, bytes] | None = None,
) -> dict:
    """One submitted visit as a tablet sends it, with comments (and photos, into `photos`) on what failed."""
    answers = []
    for item_id, item in index.items.items():
        if not item.required and rng.random() < 0.5:
            continue
        if item.na_allowed and rng.random() < 0.15:
            answers.append({"item": item_id, "na": True})
            continue
        passes = rng.random() < (quality if item.critical != "zero" else 0.985)
        answer = {"item": item_id, "value": _value(item, passes, rng)}
        if item.scored and not passes:
            answer["comment"] = rng.choice(FAIL_COMMENTS[kind])
            # The shopper photographs what failed: every failed critical item, some of the others.
            if photos is not None and (item.critical or rng.random() < 0.08):
                photo = demo_photo(answer["comment"], len(photos))
                photos[hashlib.sha256(photo).hexdigest()] = photo
                answer["evidence"] = [hashlib.sha256(photo).hexdigest()]
        answers.append(answer)
    return {
        "rev_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "submission_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "parents": [],
        "checklist": {"id": index.checklist.id, "version": index.checklist.version},
        "unit_id": unit_id,
        "staff_ids": staff_ids,
        "started_at": started.isoformat(),
        "finished_at": (started + dt.timedelta(minutes=rng.randint(12, 40))).isoformat(),
        "state": "submitted",
        "answers": answers,
    }


async def simulate(db: Database, data_dir: Path, auditors: list[str], today: dt.date, tz: ZoneInfo) -> list[str]:
    """Visits for last month (reviewed, closed) and this month so far (half reviewed), with the photos of
    what failed stored as evidence; lines to print."""
    if await db.read(_row, "SELECT 1 FROM submissions LIMIT 1"):
        return []
    this_month = f"{today:%Y-%m}"
    last_month = previous_period(this_month)
    rng = random.Random(f"tekseru-demo-{this_month}")
    units = await db.read(_rows, "SELECT unit_id, kind FROM units WHERE active = 1 ORDER BY unit_id")
    staff_rows = await db.read(_rows, "SELECT staff_id, unit_id FROM staff WHERE active = 1 ORDER BY staff_id")
    staff_of: dict[str, list[str]] = {}
    for row in staff_rows:
        staff_of.setdefault(row["unit_id"], []).append(row["staff_id"])
    versions = {
        r["checklist_id"]: r["version"]
        for r in await db.read(
            _rows,
            "SELECT checklist_id, max(version) AS version FROM checklist_versions WHERE retired_at IS NULL"
            " GROUP BY checklist_id",
        )
    }
    indexes = {
        kind: await db.read(sync_store.checklist_index, db.checklist_indexes, kind, v) for kind, v in versions.items()
    }
    by_auditor: dict[str, list[dict]] = {a: [] for a in auditors}
    photos: dict[str, bytes] = {}
    made: dict[str, list[dict]] = {last_month: [], this_month: []}
    for n, unit in enumerate(units):
        quality = rng.uniform(0.78, 0.97)
        auditor = auditors[n % len(auditors)]
        people = staff_of.get(unit["unit_id"], [])
        for period, count, last_day in (
            (last_month, rng.randint(4, 6), None),
            (this_month, rng.randint(2, 4), today.day),
        ):
            year, month = int(period[:4]), int(period[5:])
            days = last_day or calendar.monthrange(year, month)[1]
            for _ in range(count):
                started = dt.datetime(
                    year, month, rng.randint(1, days), rng.randint(9, 17), rng.choice((0, 15, 30, 45)), tzinfo=tz
                )
                if started.date() > today:
                    started = started.replace(day=today.day)
                # Most visits meet the few consultants on the floor that day, so they gather enough
                # visits for a coefficient; the others show `insufficient_sample`.
                pool = people[:3] if rng.random() < 0.8 else people
                team = rng.sample(pool, k=min(len(pool), 2 if rng.random() < 0.3 else 1)) if pool else []
                visit = make_visit(
                    indexes[unit["kind"]], unit["unit_id"], unit["kind"], team, started, quality, rng, photos
                )
                by_auditor[auditor].append(visit)
                made[period].append(visit)
    for auditor, visits in by_auditor.items():
        author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
        for start in range(0, len(visits), 200):
            await store_revisions(db, visits[start : start + 200], author, tz)
    cases = await review_cases(db, units, staff_of, indexes, auditors, today, tz, photos)
    # The photos arrive as a tablet's uploads would end: each file in place, then recorded (and the
    # visits waiting for it leave `awaiting_evidence`).
    for sha256, photo in photos.items():
        path = files.write_blob(data_dir, sha256, photo)
        await db.write(
            blobs_store.record_blob, sha256, len(photo), "image/jpeg", refresher(db, tz), files.file_identity(path)
        )
    # Last month: every visit reviewed (a few rejected), then closed by HR.
    decisions = [_decision(v, rng, reject_share=0.06) for v in made[last_month]]
    # This month: about half reviewed; the rest wait in the queue.
    decisions += [_decision(v, rng, reject_share=0.05) for v in made[this_month] if rng.random() < 0.5]
    await decide(db, "qlead.saule", decisions, tz)
    await closing.close(db, last_month, "hr.dana", force=False)
    return [
        f"demo: {len(made[last_month])} visits in {last_month} (reviewed, closed), "
        f"{len(made[this_month])} in {this_month} ({len(decisions) - len(made[last_month])} reviewed), "
        f"{len(photos)} photos of what failed",
        "demo: to review: " + ", ".join(f"{what} {unit_id} ({sid})" for what, unit_id, sid in cases),
    ]


# A visit's evidence that no tablet ever uploads: the visit waits in `awaiting_evidence`.
# A unit closed and removed from the directory after a tablet last pulled it (demo case (d)).
STALE_UNIT = "AST-099"
NEVER_UPLOADED = hashlib.sha256(b"tekseru demo: a photo still on the tablet").hexdigest()


def _tablet(auditor: str, number: int = 1) -> str:
    """The device id of an auditor's demo tablet (the first keeps the id it always had)."""
    suffix = "" if number == 1 else f"/{number}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"tekseru-demo-tablet/{auditor}{suffix}"))


async def review_cases(
    db: Database,
    units: list[sqlite3.Row],
    staff_of: dict[str, list[str]],
    indexes: dict,
    auditors: list[str],
    today: dt.date,
    tz: ZoneInfo,
    photos: dict[str, bytes],
) -> list[tuple[str, str, str]]:
    """This month's visits a quality lead finds in the queue whatever the random month gave:
    a conflict made by two tablets, one with photos, one waiting for evidence never uploaded.

    Their own random generator, so the rest of the demo stays the same visits. Answers
    (kind of case, unit, submission id) to print.
    """
    rng = random.Random(f"tekseru-demo-cases-{today:%Y-%m}")
    branches = [u["unit_id"] for u in units if u["kind"] == "branch"]
    unit_ids = [u["unit_id"] for u in units]
    conflict_unit, photo_unit, waiting_unit = branches[4 % len(branches)], branches[6 % len(branches)], branches[-2]
    index = indexes["branch"]
    made: list[tuple[str, str, str]] = []

    def visit(unit_id: str, hour: int) -> tuple[str, dict]:
        auditor = auditors[unit_ids.index(unit_id) % len(auditors)]
        started = dt.datetime(today.year, today.month, today.day, hour, 0, tzinfo=tz) - dt.timedelta(days=1)
        if started.month != today.month:
            started += dt.timedelta(days=1)
        team = staff_of.get(unit_id, [])[:1]
        return auditor, make_visit(index, unit_id, "branch", team, started, 0.85, rng)

    # (a) Two tablets of one auditor edit the same submitted visit offline (same parent): each sets
    # its own comment on one answer and, where the answer is a scale, its own value, so the merge
    # keeps a conflict whatever this month's random answers were.
    auditor, base = visit(conflict_unit, 10)
    answered = [a for a in base["answers"] if "value" in a]
    target = next((a for a in answered if index.items[a["item"]].kind == "scale"), answered[0])
    item = index.items[target["item"]]
    values = [target["value"], target["value"]]
    if item.kind == "scale" and item.max - item.min >= 2:
        values = [v for v in range(item.max, item.min - 1, -1) if v != target["value"]][:2]
    first, second = dict(base), dict(base)
    for edit, value, comment in (
        (first, values[0], "Исправила после разговора с администратором."),
        (second, values[1], "Оценку снизила: консультант отвлекался."),
    ):
        answers = [dict(a) for a in base["answers"]]
        for a in answers:
            if a["item"] == target["item"]:
                a["value"], a["comment"] = value, comment
        edit.update(
            rev_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), parents=[base["rev_id"]], answers=answers
        )
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base, first], author, tz)
    other = Author(name=auditor, rank="auditor", device_id=_tablet(auditor, 2), token_prefix="", offset_ms=0)
    await store_revisions(db, [second], other, tz)
    made.append(("conflict", conflict_unit, base["submission_id"]))

    # (b) A visit with photos: each failed answer (at least three answers) carries one.
    auditor, base = visit(photo_unit, 11)
    failed = [a for a in base["answers"] if a.get("comment")]
    shown = failed[:5] if len(failed) >= 3 else [a for a in base["answers"] if "value" in a][:3]
    for a in shown:
        caption = a.get("comment") or rng.choice(CAPTIONS)
        photo = demo_photo(caption, len(photos))
        photos[hashlib.sha256(photo).hexdigest()] = photo
        a["evidence"] = [*a.get("evidence", []), hashlib.sha256(photo).hexdigest()]
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base], author, tz)
    made.append(("photos", photo_unit, base["submission_id"]))

    # (c) A visit whose photo is still on the tablet: it references a blob never uploaded.
    auditor, base = visit(waiting_unit, 12)
    answer = next(a for a in base["answers"] if "value" in a)
    answer["evidence"] = [NEVER_UPLOADED]
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base], author, tz)
    made.append(("awaiting evidence", waiting_unit, base["submission_id"]))

    # (d) A tablet whose directory is out of date sends a visit to a unit the server does not know:
    # the revision is kept in quarantine (`unknown_unit`), where an admin sees it on /quarantine
    # and replays it once the unit exists.
    auditor, base = visit(waiting_unit, 13)
    base["unit_id"] = STALE_UNIT
    author = Author(name=auditor, rank="auditor", device_id=_tablet(auditor), token_prefix="", offset_ms=0)
    await store_revisions(db, [base], author, tz)
    made.append(("quarantined", STALE_UNIT, base["submission_id"]))
    return made


def _row(c: sqlite3.Connection, sql: str) -> sqlite3.Row | None:
    return c.execute(sql).fetchone()


def _rows(c: sqlite3.Connection, sql: str) -> list[sqlite3.Row]:
    return c.execute(sql).fetchall()


def _decision(visit: dict, rng: random.Random, reject_share: float) -> reviews_store.Decision:
    reject = rng.random() < reject_share
    return reviews_store.Decision(
        submission_id=visit["submission_id"],
        decision="reject" if reject else "approve",
        comment="Визит вне графика, повторить проверку." if reject else None,
        heads=[visit["rev_id"]],
    )


async def publish_scorecards(db: Database, data_dir, period: str, tz: ZoneInfo) -> list[str]:
    """Publish last month's unit scorecards (in Russian) and the branch network one, if none exist."""
    import hashlib

    from reports.scorecard import render
    from reports.scorecard_data import input_sha256
    from server.scorecards import Request, gather
    from server.store import scorecards as scorecard_store

    if await db.read(_row, "SELECT 1 FROM scorecards LIMIT 1"):
        return []
    units = await db.read(_rows, "SELECT unit_id FROM units WHERE active = 1 ORDER BY unit_id")
    requests = [Request(scope="unit", period=period, lang="ru", unit_id=u["unit_id"]) for u in units]
    requests.append(Request(scope="network", period=period, lang="ru", unit_kind="branch"))
    for req in requests:
        data = await gather(db, data_dir, req, tz)
        pdf = render(data)
        subject = msgspec.structs.asdict(req)
        card = await db.write(
            scorecard_store.save_draft, subject, pdf, hashlib.sha256(pdf).hexdigest(), input_sha256(data), "qlead.saule"
        )
        await db.write(scorecard_store.publish, card, "qlead.saule")
    return [f"demo: published {len(requests)} scorecards of {period}"]
