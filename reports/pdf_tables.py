"""The scorecard's tables: standards, failed items with comments, staff, the network's ranking and weakest standards."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer, Table

from reports import i18n
from reports.charts import BOLD, FONT, ROW_H
from reports.i18n import text
from reports.pdf_charts import standards_charts
from reports.pdf_page import HEAD, INK, TINT, WIDTH, ZEBRA, layout, para, styles, text_width, wrap_text
from reports.pdf_photos import PHOTO_CELL_H, PHOTO_CELL_W, picture
from reports.scorecard_data import ScorecardData, StandardRow, Thumbnail


def _table(rows: list[list], widths: Sequence[float], right: Sequence[int] = (), extra: Sequence[tuple] = ()) -> Table:
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
    return layout(rows, widths, commands + list(extra), repeat=1)


def _short(value: str, column: float) -> str | Flowable:
    """A code as a bare cell string when it fits its column (cheaper to draw), else wrapped."""
    return value if text_width(value, FONT, 8) <= column - 7 else para(value, "cell")


def _heads(keys: Sequence[str], lang: str, right: Sequence[int] = ()) -> list[Flowable]:
    return [para(text(k, lang), "head_right" if i in right else "head") for i, k in enumerate(keys)]


def _section(title: str, room: float = 40 * mm) -> list[Flowable]:
    """A section heading that never sits alone at the bottom of a page."""
    return [CondPageBreak(room), para(title, "h2")]


def standards_chart_section(rows: Sequence[StandardRow], data: ScorecardData, title: str) -> list[Flowable]:
    """The standards as bars under a heading; nothing when none has a score."""
    if not any(r.score is not None for r in rows):
        return []
    height = 13 * mm + ROW_H * sum(1 for r in rows if r.score is not None)
    return _section(text(title, data.lang), min(height + 12 * mm, 120 * mm)) + standards_charts(rows, data)


def _standards_rows(rows: Sequence[StandardRow], lang: str) -> list[list]:
    right = (2, 3, 4)
    out: list[list] = [_heads(("col.code", "col.standard", "col.score", "col.met", "col.n"), lang, right)]
    for row in rows:
        out.append(
            [
                _short(row.code, STANDARD_WIDTHS[0]),
                para(row.title, "cell"),
                i18n.score(row.score, lang),
                i18n.score(row.share_met, lang),
                i18n.count(row.n, lang),
            ]
        )
    return out


STANDARD_WIDTHS = (17 * mm, WIDTH - 72 * mm, 17 * mm, 27 * mm, 11 * mm)


def standards_table_section(data: ScorecardData) -> list[Flowable]:
    """The standards table (score, share met, n) with its note."""
    lang = data.lang
    out = _section(text("sec.standards", lang), 60 * mm)  # rather on the next page than five rows here
    if not data.standards:
        return out + [para(text("empty.standards", lang), "body")]
    out.append(_table(_standards_rows(data.standards, lang), STANDARD_WIDTHS, right=(2, 3, 4)))
    note = text("note.standards", lang)
    if data.scope == "staff":
        note = f"{text('note.staff_scope', lang)} {note}"
    return out + [para(note, "note")]


FAILED_WIDTHS = (21 * mm, 17 * mm, 70 * mm, WIDTH - 108 * mm)
ROW_LINES = 50  # a table row cannot break across pages: a longer comment goes on in the next row


def failed_section(data: ScorecardData, beside: dict[tuple[str, str], Thumbnail]) -> list[Flowable]:
    """The failed items with the auditors' comments, a photo beside the failure it shows."""
    lang = data.lang
    out = _section(text("sec.failed", lang))
    if not data.failed_items:
        return out + [para(text("empty.failed", lang), "body")]
    rows: list[list] = [_heads(("col.date", "col.item", "col.question", "col.comment"), lang)]
    for item in data.failed_items:
        question: list[Flowable] = [para(item.text, "cell")]
        if item.critical:
            question.insert(0, para("⚠ " + text(f"critical.{item.critical}", lang), "cell_bold"))
        if item.comment:
            comments = [[para(chunk, "cell")] for chunk in _chunks(item.comment, FAILED_WIDTHS[3] - 7)]
        else:
            comments = [[para(text("no_comment", lang), "cell_small")]]
        photo = beside.get((item.date, item.item))
        if photo is not None:  # the photo beside the failure it shows
            comments[-1] += [Spacer(1, 1.5 * mm), picture(photo, lang, PHOTO_CELL_W, PHOTO_CELL_H)]
        rows.append([i18n.date(item.date, lang), _short(item.item, FAILED_WIDTHS[1]), question, comments[0]])
        rows += [["", "", "", more] for more in comments[1:]]
    return out + [_table(rows, FAILED_WIDTHS), para(text("note.failed", lang), "note")]


def _chunks(comment: str, width: float) -> list[str]:
    """The comment cut into pieces of at most ROW_LINES wrapped lines (all of it, in order)."""
    lines = wrap_text(comment, FONT, styles()["cell"].fontSize, width)
    return ["\n".join(lines[i : i + ROW_LINES]) for i in range(0, len(lines), ROW_LINES)]


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
    widths = (46 * mm, 42 * mm, 25 * mm, 10 * mm, 16 * mm, WIDTH - 139 * mm)
    return out + [_table(rows, widths, right=right)]


def weakest_section(data: ScorecardData) -> list[Flowable]:
    """The network's standards met least often, as a table and as bars."""
    lang = data.lang
    out = _section(text("sec.weakest", lang))
    if not data.weakest_standards:
        return out + [para(text("empty.standards", lang), "body")]
    rows = _standards_rows(data.weakest_standards, lang)
    out += [_table(rows, STANDARD_WIDTHS, right=(2, 3, 4)), para(text("note.standards", lang), "note")]
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
    widths = (14 * mm, WIDTH - 112 * mm, 30 * mm, 18 * mm, 12 * mm, 18 * mm, 20 * mm)
    return out + [_table(rows, widths, right=right, extra=extra)]
