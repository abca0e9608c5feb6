"""The scorecard's tables: standards, failed items with comments, staff, the network's ranking and weakest standards."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer, Table, TableStyle

from reports import i18n
from reports.charts import BOLD, FONT, ROW_H
from reports.i18n import text
from reports.pdf_charts import standards_charts
from reports.pdf_page import (
    HEAD,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    PAGE_H,
    TINT,
    WIDTH,
    ZEBRA,
    para,
    styles,
    text_width,
    wrap_text,
)
from reports.pdf_photos import PHOTO_CELL_H, PHOTO_CELL_W, picture
from reports.scorecard_data import AppealsBox, CalibrationBox, FailedItem, ScorecardData, StandardRow, Thumbnail

MIN_TAIL = 3  # a table's last page holds at least this many rows, or the whole table
BODY_H = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM  # the height of a page's frame
PAD = 7.0  # a cell's left and right padding together
GROUP = colors.HexColor("#e3ecf5")  # the ground of a standard's heading row among the failed items


class DataTable(Table):
    """A table that never leaves fewer than MIN_TAIL rows alone on its last page.

    Where a split would, it splits earlier (or the whole table goes to the next page), as long as
    the header and the moved rows fit on one page; reportlab makes each further part of the table
    with this class too, so the rule holds at every page break. `tail` is how many rows at the end
    make those MIN_TAIL (more where some are headings of a group).
    """

    tail = MIN_TAIL

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803 (reportlab's names)
        parts = self._split(availWidth, availHeight)
        for part in parts:
            part.tail = self.tail
        return parts

    def _split(self, availWidth: float, availHeight: float) -> list[Flowable]:  # noqa: N803
        parts = super().split(availWidth, availHeight)
        if len(parts) != 2:
            return parts
        heights, head = self._rowHeights, self.repeatRows
        rows, first = len(heights), len(parts[0]._rowHeights)
        if rows - first >= self.tail:
            return parts
        keep = max(head, rows - self.tail)  # rows on this page, header included
        if sum(heights[:head]) + sum(heights[keep:]) > BODY_H:
            return parts  # the tail would not fit on a page of its own: split where reportlab did
        if keep <= head:
            return []  # the whole table on the next page
        earlier = super().split(availWidth, sum(heights[:keep]) + 0.01)
        # no earlier place to split (rows kept together): on to the next page, unless this one is empty
        return earlier or ([] if availHeight < BODY_H - 1 else parts)


def _table(
    rows: list[list], widths: Sequence[float], right: Sequence[int] = (), extra: Sequence[tuple] = ()
) -> DataTable:
    """A data table: a grey header row repeated on every page, zebra rows, numeric columns right-aligned."""
    commands: list[tuple] = [
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 9.8),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, INK),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
    ]
    commands += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in right]
    table = DataTable(rows, colWidths=list(widths), repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands, *extra]))
    return table


def _short(value: str, column: float) -> str | Flowable:
    """A code as a bare cell string when it fits its column (cheaper to draw), else wrapped."""
    return value if text_width(value, FONT, 8) <= column - 7 else para(value, "cell")


def _heads(keys: Sequence[str], lang: str, right: Sequence[int] = ()) -> list[Flowable]:
    return [para(text(k, lang), "head_right" if i in right else "head") for i, k in enumerate(keys)]


def fit_heads(keys: Sequence[str], lang: str, widths: Sequence[float], flexible: int) -> list[float]:
    """The column widths, each widened to its header's longest word (a header wraps at spaces only, never
    inside a word), the room taken from the `flexible` column."""
    style = styles()["head"]
    out = list(widths)
    for i, key in enumerate(keys):
        need = max(text_width(word, style.fontName, style.fontSize) for word in text(key, lang).split()) + PAD
        if out[i] < need:
            out[flexible] -= need - out[i]
            out[i] = need
    return out


def _section(title: str, room: float = 40 * mm) -> list[Flowable]:
    """A section heading that never sits alone at the bottom of a page."""
    return [CondPageBreak(room), para(title, "h2")]


def standards_chart_section(rows: Sequence[StandardRow], data: ScorecardData, title: str) -> list[Flowable]:
    """The standards as bars under a heading; nothing when none has a score."""
    if not any(r.score is not None for r in rows):
        return []
    height = 13 * mm + ROW_H * sum(1 for r in rows if r.score is not None)
    return _section(text(title, data.lang), min(height + 12 * mm, 120 * mm)) + standards_charts(rows, data)


STANDARD_KEYS = ("col.code", "col.standard", "col.score", "col.met", "col.n")
STANDARD_WIDTHS = (17 * mm, WIDTH - 72 * mm, 17 * mm, 27 * mm, 11 * mm)


def _standards_table(rows: Sequence[StandardRow], lang: str) -> DataTable:
    right = (2, 3, 4)
    widths = fit_heads(STANDARD_KEYS, lang, STANDARD_WIDTHS, flexible=1)
    out: list[list] = [_heads(STANDARD_KEYS, lang, right)]
    for row in rows:
        out.append(
            [
                _short(row.code, widths[0]),
                para(row.title, "cell"),
                i18n.score(row.score, lang),
                i18n.score(row.share_met, lang),
                i18n.count(row.n, lang),
            ]
        )
    return _table(out, widths, right=right)


def standards_table_section(data: ScorecardData) -> list[Flowable]:
    """The standards table (score, share met, n) with its note."""
    lang = data.lang
    out = _section(text("sec.standards", lang), 60 * mm)  # rather on the next page than five rows here
    if not data.standards:
        return out + [para(text("empty.standards", lang), "body")]
    out.append(_standards_table(data.standards, lang))
    note = text("note.standards", lang)
    if data.scope == "staff":
        note = f"{text('note.staff_scope', lang)} {note}"
    return out + [para(note, "note")]


FAILED_KEYS = ("col.date", "col.item", "col.question", "col.comment")
FAILED_WIDTHS = (21 * mm, 17 * mm, 70 * mm, WIDTH - 108 * mm)
ROW_LINES = 50  # a table row cannot break across pages: a longer comment goes on in the next row


def failed_groups(data: ScorecardData) -> list[tuple[str, str, list[FailedItem]]]:
    """The failed items by standard: (code, title, items), the weakest standard first (as in the chart),
    the items of each in their order (critical first, then by date)."""
    by_code: dict[str, list[FailedItem]] = {}
    for item in data.failed_items:
        by_code.setdefault(item.standard, []).append(item)
    standards = {row.code: row for row in data.standards}

    def weakest(code: str) -> tuple:
        row = standards.get(code)
        if row is None or row.score is None:
            return (1, 0.0, 0.0, code)
        return (0, row.score, row.share_met or 0.0, code)

    return [
        (code, standards[code].title if code in standards else "", by_code[code])
        for code in sorted(by_code, key=weakest)
    ]


def failed_section(data: ScorecardData, beside: dict[tuple[str, str], Thumbnail]) -> list[Flowable]:
    """The failed items with the auditors' comments under a heading row per standard, a photo beside the
    failure it shows."""
    lang = data.lang
    out = _section(text("sec.failed", lang))
    if not data.failed_items:
        return out + [para(text("empty.failed", lang), "body")]
    widths = fit_heads(FAILED_KEYS, lang, FAILED_WIDTHS, flexible=2)
    rows: list[list] = [_heads(FAILED_KEYS, lang)]
    extra: list[tuple] = []
    for code, title, items in failed_groups(data):
        r = len(rows)
        heading = text("failed.group", lang, code=code, title=title, n=i18n.count(len(items), lang))
        rows.append([para(heading if title else f"{code} · {i18n.count(len(items), lang)}", "cell_bold"), "", "", ""])
        extra += [
            ("SPAN", (0, r), (-1, r)),
            ("BACKGROUND", (0, r), (-1, r), GROUP),
            ("LINEABOVE", (0, r), (-1, r), 0.6, INK),
            ("NOSPLIT", (0, r), (-1, r + 1)),  # a standard's heading never ends a page
        ]
        for item in items:
            rows += _failed_rows(item, widths, beside, lang)
    table = _table(rows, widths, extra=extra)
    headings = {cmd[1][1] for cmd in extra}
    items = [r for r in range(len(rows)) if r and r not in headings]
    table.tail = len(rows) - items[-MIN_TAIL] if len(items) >= MIN_TAIL else len(rows)  # MIN_TAIL items
    out += [table, para(text("note.failed", lang), "note")]
    if any(item.overturned for item in data.failed_items):  # the legend of the mark
        out.append(para(text("note.overturned", lang), "note"))
    return out


def _failed_rows(
    item: FailedItem, widths: Sequence[float], beside: dict[tuple[str, str], Thumbnail], lang: str
) -> list[list]:
    question: list[Flowable] = [para(item.text, "cell")]
    if item.critical:
        question.insert(0, para("⚠ " + text(f"critical.{item.critical}", lang), "cell_bold"))
    if item.overturned:
        question.insert(0, para(text("failed.overturned", lang), "cell_bold"))
    if item.comment:
        comments = [[para(chunk, "cell")] for chunk in _chunks(item.comment, widths[3] - PAD)]
    else:
        comments = [[para(text("no_comment", lang), "cell_small")]]
    photo = beside.get((item.date, item.item))
    if photo is not None:  # the photo beside the failure it shows
        comments[-1] += [Spacer(1, 1.5 * mm), picture(photo, lang, PHOTO_CELL_W, PHOTO_CELL_H)]
    rows = [[i18n.date(item.date, lang), _short(item.item, widths[1]), question, comments[0]]]
    return rows + [["", "", "", more] for more in comments[1:]]


def _chunks(comment: str, width: float) -> list[str]:
    """The comment cut into pieces of at most ROW_LINES wrapped lines (all of it, in order)."""
    lines = wrap_text(comment, FONT, styles()["cell"].fontSize, width)
    return ["\n".join(lines[i : i + ROW_LINES]) for i in range(0, len(lines), ROW_LINES)]


APPEAL_KEYS = (
    "col.appeals_filed",
    "col.appeal_items",
    "col.appeal_upheld",
    "col.appeal_overturned",
    "col.appeal_open",
    "col.appeal_withdrawn",
)


def appeals_section(data: ScorecardData) -> list[Flowable]:
    """The month's appeals of a unit in one row (nothing when none was filed): appeals, then items by outcome."""
    box = data.appeals
    if not isinstance(box, AppealsBox):
        return []
    lang = data.lang
    right = tuple(range(len(APPEAL_KEYS)))
    counts = (box.appeals, box.items, box.upheld, box.overturned, box.open, box.withdrawn)
    rows: list[list] = [_heads(APPEAL_KEYS, lang, right), [i18n.count(n, lang) for n in counts]]
    widths = fit_heads(APPEAL_KEYS, lang, (WIDTH / len(APPEAL_KEYS),) * len(APPEAL_KEYS), flexible=0)
    return _section(text("sec.appeals", lang), 30 * mm) + [
        _table(rows, widths, right=right),
        para(text("note.appeals", lang), "note"),
    ]


CALIBRATION_KEYS = ("col.calibration_level", "col.calibration_alpha", "col.calibration_units", "col.calibration_values")


def calibration_section(data: ScorecardData) -> list[Flowable]:
    """The month's calibration on a network scorecard (nothing without groups): counts, then alpha per level."""
    box = data.calibration
    if not isinstance(box, CalibrationBox):
        return []
    lang = data.lang
    percent = i18n.number(box.min_agreement * 100, lang, 0) + ("%" if lang == "en" else i18n.NBSP + "%")
    counts = text(
        "network.calibration",
        lang,
        groups=i18n.count(box.groups, lang),
        auditors=i18n.count(box.auditors, lang),
        threshold=percent,
        below=i18n.count(box.below_threshold, lang),
    )
    right = (1, 2, 3)
    rows: list[list] = [_heads(CALIBRATION_KEYS, lang, right)]
    for row in box.alpha:
        alpha = i18n.DASH if row.alpha is None else i18n.number(row.alpha, lang, 3)  # alpha reads to 3 decimals
        rows.append(
            [
                para(text(f"network.level.{row.level}", lang), "cell"),
                alpha,
                i18n.count(row.units, lang),
                i18n.count(row.values, lang),
            ]
        )
    widths = fit_heads(CALIBRATION_KEYS, lang, (WIDTH - 96 * mm, 36 * mm, 32 * mm, 28 * mm), flexible=0)
    out = _section(text("sec.calibration", lang), 45 * mm) + [para(counts, "body")]
    if box.alpha:
        out += [Spacer(1, 2 * mm), _table(rows, widths, right=right)]
    return out + [para(text("note.calibration", lang), "note")]


def staff_section(data: ScorecardData) -> list[Flowable]:
    """The staff table of a branch: person score, n, coefficient and notes."""
    lang = data.lang
    out = _section(text("sec.staff", lang))
    if not data.staff:
        return out + [para(text("empty.staff", lang), "body")]
    right = (2, 3, 4)
    keys = ("col.name", "col.position", "col.person_score", "col.n", "col.coefficient", "col.notes")
    rows: list[list] = [_heads(keys, lang, right)]
    for row in data.staff:
        rows.append(
            [
                para(row.name, "cell"),
                para(row.position or i18n.DASH, "cell"),
                i18n.score(row.score, lang),
                i18n.count(row.n, lang),
                i18n.score(row.coefficient, lang),
                para("; ".join(i18n.flag(f, lang) for f in row.flags), "cell_small"),
            ]
        )
    widths = fit_heads(keys, lang, (46 * mm, 42 * mm, 25 * mm, 10 * mm, 16 * mm, WIDTH - 139 * mm), flexible=5)
    return out + [_table(rows, widths, right=right)]


def weakest_section(data: ScorecardData) -> list[Flowable]:
    """The network's standards met least often, as a table and as bars."""
    lang = data.lang
    out = _section(text("sec.weakest", lang))
    if not data.weakest_standards:
        return out + [para(text("empty.standards", lang), "body")]
    out += [_standards_table(data.weakest_standards, lang), para(text("note.standards", lang), "note")]
    if any(r.score is not None for r in data.weakest_standards):
        out += [Spacer(1, 4 * mm), *standards_charts(data.weakest_standards, data)]
    return out


def ranking_section(data: ScorecardData) -> list[Flowable]:
    """The network's units ranked by visit score, each with its zone."""
    lang = data.lang
    out = _section(text("sec.ranking", lang))
    if not data.ranking:
        return out + [para(text("empty.ranking", lang), "body")]
    right = (0, 3, 4, 5)
    keys = ("col.rank", "col.unit", "col.region", "col.score", "col.n", "col.change", "col.zone")
    rows: list[list] = [_heads(keys, lang, right)]
    extra: list[tuple] = [
        ("ALIGN", (6, 1), (6, -1), "CENTER"),
        ("FONTNAME", (6, 1), (6, -1), BOLD),
        ("FONTSIZE", (6, 1), (6, -1), 7),
    ]
    for i, unit in enumerate(data.ranking, start=1):
        rows.append(
            [
                i18n.DASH if unit.rank is None else str(unit.rank),
                para(unit.name, "cell"),
                para(unit.region, "cell"),
                i18n.score(unit.score, lang),
                i18n.count(unit.n, lang),
                i18n.signed(unit.change, lang),
                text(f"mark.{unit.mark or 'none'}", lang),
            ]
        )
        extra.append(("BACKGROUND", (6, i), (6, i), TINT[unit.mark]))
    widths = fit_heads(keys, lang, (14 * mm, WIDTH - 112 * mm, 30 * mm, 18 * mm, 12 * mm, 18 * mm, 20 * mm), 1)
    return out + [_table(rows, widths, right=right, extra=extra)]
