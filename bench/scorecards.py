"""Scorecard rendering benchmark (issue 7): how fast `reports.scorecard.render` turns data into PDFs.

The data is a realistic branch scorecard built here: the 30 standards of the shipped
`branch.v1.toml` with their real titles in the scorecard's language, 8 staff members, 10 failed
items with auditors' comments (three of them critical, one with a photo), 6 trend points. Each
unit gets its own figures (a seeded generator, so runs are comparable), and the languages
alternate ru, kk, en.

Rows (`run(quick)`):
- unit scorecards per second rendered one after the other in this process (target >= 30);
- a batch of 500 branch scorecards on 2 worker processes, start of the pool to the last PDF,
  worker start-up included (target < 15 s; `quick` renders 100 against 1 s of start-up plus
  the same time per scorecard);
- the median PDF size in KB, and the pages of a typical scorecard.
"""

from __future__ import annotations

import functools
import io
import multiprocessing
import random
import re
import statistics
import time
from importlib import resources

from PIL import Image

from checklists.model import Checklist
from checklists.score import shown
from checklists.validate import load_checklist
from reports.scorecard import render
from reports.scorecard_data import (
    FailedItem,
    Headline,
    ScorecardData,
    StaffRow,
    StandardRow,
    Subject,
    Thumbnail,
    TrendPoint,
)

LANGS = ("ru", "kk", "en")
PERIODS = ("2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10")
GREEN_AT, AMBER_AT = 90.0, 75.0

STAFF = (
    ("Әсел Жұмабекова", "Старший консультант"),
    ("Нұрлан Қасымов", "Консультант"),
    ("Айгүл Сейітова", "Консультант"),
    ("Дәурен Өтепов", "Консультант по тарифам"),
    ("Ирина Ковалева", "Консультант"),
    ("Ғалым Бекұлы", "Кассир-консультант"),
    ("Жанар Үсенова", "Администратор зала"),
    ("Сергей Ким", "Консультант"),
)
CITIES = ("Алматы", "Астана", "Шымкент", "Қарағанды", "Өскемен", "Ақтөбе", "Павлодар", "Қызылорда")
COMMENTS = {
    "ru": (
        "Сотрудник не поздоровался, продолжал разговор с коллегой около минуты.",
        "Номер заявки не выдали, сказали «позвоните в 165 и узнаете».",
        "Прейскурант на стенде от прошлого года, цены расходятся с сайтом.",
        "Ждал у окна 23 минуты, два окна из пяти были закрыты без объявления.",
        "Консультант перешёл на русский, хотя я обратился на казахском.",
        None,
    ),
    "kk": (
        "Қызметкер амандаспады, әріптесімен бір минуттай сөйлесіп тұрды.",
        "Өтінім нөмірі берілмеді, «165-ке қоңырау шалыңыз» деді.",
        "Стендтегі прейскурант өткен жылғы, бағалар сайтпен сәйкес келмейді.",
        "Терезе алдында 23 минут күттім, бес терезенің екеуі ескертусіз жабық болды.",
        "Қазақша сөйлесем де, кеңесші орыс тіліне көшті.",
        None,
    ),
    "en": (
        "The employee did not greet me and kept talking to a colleague for about a minute.",
        "No request number was given; I was told to call 165 to find out.",
        "The price list on the stand is last year's; prices differ from the website.",
        "Waited 23 minutes; two of the five windows were closed without notice.",
        "The consultant switched to Russian although I spoke Kazakh.",
        None,
    ),
}


@functools.cache
def branch_checklist() -> Checklist:
    """The shipped branch checklist, version 1."""
    data = (resources.files("checklists") / "library" / "branch.v1.toml").read_bytes()
    return load_checklist(data, "toml", "branch.v1.toml").checklist


@functools.cache
def evidence_photo() -> bytes:
    """A 1600x1200 camera-sized JPEG with EXIF (camera, GPS), as a tablet would upload it."""
    small = Image.new("RGB", (200, 150))
    small.putdata([(x * 255 // 200, y * 255 // 150, 140) for y in range(150) for x in range(200)])
    image = small.resize((1600, 1200), Image.Resampling.BICUBIC)
    exif = Image.Exif()
    exif[0x010F] = "TabletMaker"  # Make
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0), 3: "E", 4: (76.0, 54.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def _coefficient(score: float | None, n: int) -> float:
    if score is None or n < 3:
        return 1.0
    return next(c for limit, c in ((95, 1.10), (85, 1.00), (70, 0.90), (0, 0.80)) if score >= limit)


def _mark(score: float | None) -> str | None:
    if score is None:
        return None
    return "green" if score >= GREEN_AT else "amber" if score >= AMBER_AT else "red"


def unit_scorecard(index: int, lang: str | None = None) -> ScorecardData:
    """A realistic branch scorecard for October 2026; `index` seeds the figures and picks the language."""
    rng = random.Random(index)
    lang = lang or LANGS[index % 3]
    checklist = branch_checklist()
    visits = rng.randint(6, 14)
    standards = []
    for standard in checklist.standards:
        score = shown(rng.uniform(45, 100))
        standards.append(
            StandardRow(
                code=standard.code,
                title=standard.title.get(lang),
                attribution=standard.attribution,
                score=score,
                share_met=shown(min(100.0, score * rng.uniform(0.7, 1.0))),
                n=visits - rng.randint(0, 2),
            )
        )
    scored_items = [(s, i) for s in checklist.standards for i in s.items if i.scored]
    critical = [pair for pair in scored_items if pair[1].critical]
    plain = [pair for pair in scored_items if not pair[1].critical]
    failed_pairs = rng.sample(critical, 3) + rng.sample(plain, 7)
    failed = [
        FailedItem(
            date=f"2026-10-{rng.randint(1, 31):02d}",
            standard=standard.code,
            item=item.id,
            text=item.text.get(lang),
            critical=item.critical,
            comment=rng.choice(COMMENTS[lang]),
        )
        for standard, item in failed_pairs
    ]
    staff = []
    for k, (name, position) in enumerate(STAFF):
        n = rng.randint(1, 6)
        score = shown(rng.uniform(60, 100))
        staff.append(
            StaffRow(
                staff_id=f"S{index:04d}{k}",
                name=name,
                position=position,
                score=score,
                n=n,
                coefficient=_coefficient(score, n),
                flags=["insufficient_sample"] if n < 3 else [],
            )
        )
    trend = [TrendPoint(period=p, score=shown(rng.uniform(65, 98)), n=rng.randint(5, 14)) for p in PERIODS]
    score, previous = trend[-1].score, trend[-2].score
    photo_item = failed[0]
    return ScorecardData(
        scope="unit",
        lang=lang,
        period="2026-10",
        subject=Subject(
            unit_id=f"U{index:04d}",
            unit_name=f"ПСС №{index + 1} «{CITIES[index % len(CITIES)]}, пр. Абая, {index % 90 + 1}»",
            unit_kind="branch",
            region=CITIES[index % len(CITIES)],
        ),
        basis="approved",
        headline=Headline(
            score=score, n=trend[-1].n, previous=previous, change=shown(score - previous), mark=_mark(score)
        ),
        trend=trend,
        standards=standards,
        failed_items=failed,
        staff=staff,
        thumbnails=[
            Thumbnail(
                date=photo_item.date,
                item=photo_item.item,
                caption=photo_item.text,
                image=evidence_photo(),
                content_type="image/jpeg",
            )
        ],
        ranking=[],
        weakest_standards=[],
        checklist_versions=["branch@1"],
        green_at=GREEN_AT,
        amber_at=AMBER_AT,
        data_as_of="2026-11-01T03:00:00Z",
        policy="default@1",
    )


def _render_size(index: int) -> int:
    return len(render(unit_scorecard(index)))


def _rate(seconds: float) -> tuple[float, list[int]]:
    """Scorecards per second rendered one after another (data built beforehand), and the sizes."""
    data = [unit_scorecard(i) for i in range(30)]
    render(data[0])  # warm up: fonts registered, modules imported
    sizes: list[int] = []
    started = time.perf_counter()
    while True:
        sizes.append(len(render(data[len(sizes) % len(data)])))
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and len(sizes) >= 10:
            return len(sizes) / elapsed, sizes


def _batch(count: int, workers: int = 2) -> float:
    """Seconds to render `count` scorecards on `workers` fresh processes, start-up included."""
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pool.map(_render_size, range(count), chunksize=10)
    return time.perf_counter() - started


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def run(quick: bool) -> list[dict]:
    """Measure: scorecards/s in one process, a batch on 2 processes, the median file size."""
    rate, sizes = _rate(2.0 if quick else 6.0)
    count = 100 if quick else 500
    limit = 1.0 + 14.0 * count / 500  # 15 s for 500, of which about 1 s starts the two workers
    seconds = _batch(count)
    median_kb = statistics.median(sizes) / 1024
    pages = _pages(render(unit_scorecard(0)))
    return [
        {
            "name": "unit scorecards, 1 process",
            "value": rate,
            "unit": "scorecards/s",
            "target": ">= 30",
            "ok": rate >= 30,
        },
        {
            "name": f"batch of {count} branch scorecards, 2 processes",
            "value": seconds,
            "unit": "s",
            "target": f"< {limit:g}",
            "ok": seconds < limit,
        },
        {"name": "scorecard PDF size (median)", "value": median_kb, "unit": "KB", "target": "", "ok": None},
        {"name": "scorecard pages (unit, 30 standards)", "value": pages, "unit": "pages", "target": "", "ok": None},
    ]


if __name__ == "__main__":
    for row in run(quick=False):
        print(row)
