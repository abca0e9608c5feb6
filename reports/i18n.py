"""The message catalogue in Russian, Kazakh and English, and how numbers, periods and dates read.

The texts themselves are in `reports/texts/` by area (the scorecards', the console's), merged
here into one catalogue: one `text()` for the PDFs and the web pages.

Kazakh is written with its own letters (Ә Ғ Қ Ң Ө Ұ Ү Һ І), never with Russian or Latin
look-alikes; `tests/test_scorecard_render.py` checks every key has all three languages.

Pure: no locale of the machine is used, so the same data reads the same everywhere.
"""

from __future__ import annotations

import datetime as dt

from checklists.score import shown
from reports.texts import (
    console_admin,
    console_appeals,
    console_base,
    console_calibration,
    console_dashboards,
    console_directory,
    console_integrity,
    console_periods,
    console_plans,
    console_review,
    console_scorecards,
    console_visit,
    scorecard,
)

LANGS = ("ru", "kk", "en")
DASH = "—"
NBSP = "\u00a0"


def _merged(*sections: dict[str, tuple[str, str, str]]) -> dict[str, tuple[str, str, str]]:
    """One catalogue of the sections; a key defined twice is an error at import."""
    merged: dict[str, tuple[str, str, str]] = {}
    for section in sections:
        twice = merged.keys() & section.keys()
        if twice:
            raise ValueError(f"catalogue keys defined twice: {sorted(twice)}")
        merged.update(section)
    return merged


_TEXTS = _merged(
    scorecard.TEXTS,
    console_base.TEXTS,
    console_review.TEXTS,
    console_visit.TEXTS,
    console_dashboards.TEXTS,
    console_periods.TEXTS,
    console_scorecards.TEXTS,
    console_admin.TEXTS,
    console_directory.TEXTS,
    console_appeals.TEXTS,
    console_calibration.TEXTS,
    console_integrity.TEXTS,
    console_plans.TEXTS,
)

_MONTHS = {
    "ru": (
        "Январь Февраль Март Апрель Май Июнь Июль Август Сентябрь Октябрь Ноябрь Декабрь",
        "янв фев мар апр май июн июл авг сен окт ноя дек",
    ),
    "kk": (
        "Қаңтар Ақпан Наурыз Сәуір Мамыр Маусым Шілде Тамыз Қыркүйек Қазан Қараша Желтоқсан",
        "қаң ақп нау сәу мам мау шіл там қыр қаз қар жел",
    ),
    "en": (
        "January February March April May June July August September October November December",
        "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
    ),
}
MONTHS = {lang: full.split() for lang, (full, _) in _MONTHS.items()}
MONTHS_SHORT = {lang: short.split() for lang, (_, short) in _MONTHS.items()}


def text(key: str, lang: str, **fields: object) -> str:
    """The fixed text `key` in `lang` (unknown languages read Russian), with `fields` filled in."""
    template = _TEXTS[key][LANGS.index(lang) if lang in LANGS else 0]
    return template.format(**fields) if fields else template


def flag(name: str, lang: str) -> str:
    """A staff row's flag in words; a flag this module does not know is shown as it is."""
    key = f"flag.{name}"
    return text(key, lang) if key in _TEXTS else name


def text_keys() -> list[str]:
    """Every fixed text's key (for tests that check all three languages are present)."""
    return list(_TEXTS)


def number(x: float, lang: str, decimals: int = 2) -> str:
    """A number with `decimals` decimals, grouped by thousands; a decimal comma in ru and kk."""
    grouped = f"{round(x, decimals) + 0.0:,.{decimals}f}"  # + 0.0 turns -0.0 into 0.0: never "-0,00"
    if lang == "en":
        return grouped
    # ru/kk: a non-breaking space groups thousands, a comma separates decimals
    return grouped.replace(",", NBSP).replace(".", ",")


def score(x: float | None, lang: str) -> str:
    """A score or share as shown (2 decimals, rounded half up once), or a dash when there is none."""
    return DASH if x is None else number(shown(x), lang)


def signed(x: float | None, lang: str) -> str:
    """A change with its sign (+2,10 / -1,50 / 0,00), or a dash."""
    if x is None:
        return DASH
    value = shown(x)
    return ("+" if value > 0 else "") + number(value, lang)


def count(n: int, lang: str) -> str:
    """A whole count, grouped by thousands."""
    return number(n, lang, 0)


def _year_month(period: str) -> tuple[int, int] | None:
    try:
        year, month = (int(part) for part in period.split("-"))
    except ValueError:
        return None
    return (year, month) if 1 <= month <= 12 else None


def period_name(period: str, lang: str) -> str:
    """A `YYYY-MM` period as people say it: "Октябрь 2026", "Қазан 2026", "October 2026"."""
    ym = _year_month(period)
    if ym is None:
        return period
    return f"{MONTHS[_lang(lang)][ym[1] - 1]} {ym[0]}"


def period_short(period: str, lang: str) -> str:
    """A short form for chart labels: "окт 2026", "қаз 2026", "Oct 2026"."""
    ym = _year_month(period)
    if ym is None:
        return period
    return f"{MONTHS_SHORT[_lang(lang)][ym[1] - 1]} {ym[0]}"


def date(day: str, lang: str) -> str:
    """A `YYYY-MM-DD` visit date without time of day: "14.10.2026" (ru, kk) or "14 Oct 2026" (en)."""
    try:
        parsed = dt.date.fromisoformat(day)
    except ValueError:
        return day
    if lang == "en":
        return f"{parsed.day} {MONTHS_SHORT['en'][parsed.month - 1]} {parsed.year}"
    return parsed.strftime("%d.%m.%Y")


def as_of(instant: str, lang: str) -> str:
    """The data's as-of time (RFC 3339) in UTC to the minute: "01.11.2026 03:00 UTC"."""
    try:
        parsed = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return instant
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return f"{date(parsed.date().isoformat(), lang)} {parsed:%H:%M} UTC"


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "ru"
