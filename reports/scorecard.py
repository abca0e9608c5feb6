"""PDF scorecards: `render(data)` turns one `ScorecardData` into PDF bytes (pure: data in, bytes out).

One function serves the three scopes: a unit (a branch, a contact-centre team, a technician
crew), one staff member (for the motivation talk) and the whole network of one unit kind. Page
one answers "where do we stand and what to fix": the headline score with n, the change, the
red/amber/green zone as a badge with its word, the trend and the standards as bars, weakest
first. The pages after it hold the detail: the standards table, a unit's appeals of the month,
the failed items with the auditors' comments (never their names; dates without the time of
day; an item overturned on appeal marked), the staff table and photos of failed critical items,
re-encoded without their metadata.

The same data gives the same bytes: reportlab's invariant mode fixes the creation date and the
document id, fonts are embedded from `reports/fonts` (DejaVu Sans, which covers Cyrillic and the
Kazakh letters) so the machine's fonts never matter, and nothing reads the clock or chance. The
footer carries the SHA-256 of the input data, so anyone can render the data again and compare.

This module holds the document and page one; the parts are `pdf_page` (fonts, styles, text),
`charts` (the charts' geometry, drawn by `pdf_charts`), `pdf_tables` and `pdf_photos`.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reportlab import rl_config
from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Spacer

from checklists.score import shown
from reports import i18n
from reports.charts import BOLD, FONT, threshold
from reports.i18n import text
from reports.pdf_charts import trend_chart
from reports.pdf_page import (
    ACCENT,
    BADGE,
    INK,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    PAGE_H,
    PAGE_W,
    RULE,
    WIDTH,
    ZEBRA,
    boxed,
    layout,
    para,
    register_fonts,
    text_width,
)
from reports.pdf_photos import evidence_section, place_photos
from reports.pdf_tables import (
    appeals_section,
    calibration_section,
    failed_section,
    ranking_section,
    staff_section,
    standards_chart_section,
    standards_table_section,
    weakest_section,
)
from reports.scorecard_data import Mark, ScorecardData, input_sha256

__all__ = ["MARGIN_X", "render"]

# ---------------------------------------------------------------- the document


def render(data: ScorecardData) -> bytes:
    """Render one scorecard (unit, staff or network scope) to PDF bytes; the same data gives the same bytes."""
    register_fonts()
    # Invariant mode: a fixed creation date and a document id derived from the content. It is
    # also passed to the document below; the global is set because parts of reportlab read it.
    rl_config.invariant = 1
    # Binary streams: ASCII85 would add a quarter to the size and, without reportlab's optional
    # C accelerator, cost more time than all the charts. Read at save time, so set on each call.
    rl_config.useA85 = 0
    footer = _Footer(data)
    out = io.BytesIO()
    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        invariant=1,
        initialFontName=FONT,  # else the canvas preamble pulls in an unembedded Helvetica
        title=footer.title,
        author="Tekseru",
        subject=text("footer.sha", data.lang, sha=footer.sha),
        creator="Tekseru",
        producer="Tekseru (ReportLab)",
        lang=data.lang,
    )
    frame = Frame(MARGIN_X, MARGIN_BOTTOM, WIDTH, PAGE_H - MARGIN_TOP - MARGIN_BOTTOM, 0, 0, 0, 0, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(_story(data), canvasmaker=functools.partial(_PagedCanvas, footer=footer))
    return out.getvalue()


class _Footer:
    """What every page carries: versions, as-of time, the input's SHA-256, page x of y, a running header."""

    def __init__(self, data: ScorecardData) -> None:
        lang = data.lang
        self.lang = lang
        self.sha = input_sha256(data)
        self.title = (
            f"{text('title.' + data.scope, lang)} — {_subject_name(data)} — {i18n.period_name(data.period, lang)}"
        )
        parts = [
            text("footer.versions", lang, versions=", ".join(data.checklist_versions) or i18n.DASH),
            text("footer.policy", lang, policy=data.policy),
            text("footer.as_of", lang, time=local_time(data.data_as_of, data.time_zone, lang)),
        ]
        self.first_line = " · ".join(parts)
        self.running = f"{_subject_name(data)} · {i18n.period_name(data.period, lang)}"
        self.scope_title = text("title." + data.scope, lang)

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        """Draw the footer (and from page 2 on the running header) on the current page."""
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, 18 * mm, PAGE_W - MARGIN_X, 18 * mm)
        page_text = text("footer.page", self.lang, page=page, pages=pages)
        canvas.setFont(BOLD, 7.5)
        canvas.setFillColor(INK)
        canvas.drawRightString(PAGE_W - MARGIN_X, 14.6 * mm, page_text)
        reserved = text_width(page_text, BOLD, 7.5) + 6 * mm
        first = para(self.first_line, "footer")  # two lines at most: it may wrap, the hash line stays clear
        _, h = first.wrap(WIDTH - reserved, 12 * mm)
        first.drawOn(canvas, MARGIN_X, 17.2 * mm - h)
        canvas.setFont(FONT, 6.8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, 7 * mm, text("footer.sha", self.lang, sha=self.sha))
        if page > 1:
            canvas.setFont(FONT, 7.5)
            canvas.drawString(MARGIN_X, PAGE_H - 9 * mm, self.running)
            canvas.drawRightString(PAGE_W - MARGIN_X, PAGE_H - 9 * mm, self.scope_title)
            canvas.line(MARGIN_X, PAGE_H - 10.5 * mm, PAGE_W - MARGIN_X, PAGE_H - 10.5 * mm)
        canvas.restoreState()


class _PagedCanvas(Canvas):
    """A canvas that holds its pages until the end, so that each footer can say "page x of y"."""

    def __init__(self, *args, footer: _Footer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._held: list[dict] = []

    def showPage(self) -> None:
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        pages = len(self._held)
        for number, state in enumerate(self._held, start=1):
            self.__dict__.update(state)
            self._footer.draw(self, number, pages)
            super().showPage()
        super().save()


def local_time(instant: str, zone: str, lang: str) -> str:
    """A UTC time (RFC 3339) in the organisation's zone to the minute, with the zone's name:
    "01.11.2026 08:00 Asia/Almaty"; a zone this machine does not know reads UTC."""
    try:
        parsed = dt.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return instant
    try:
        tz: dt.tzinfo = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = dt.UTC, "UTC"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    local = parsed.astimezone(tz)
    return f"{i18n.date(local.date().isoformat(), lang)} {local:%H:%M} {zone}"


def _subject_name(data: ScorecardData) -> str:
    subject = data.subject
    if data.scope == "staff":
        return subject.staff_name or subject.staff_id or i18n.DASH
    if data.scope == "network":
        return text("network.subject", data.lang, kind=text(f"kinds.{subject.unit_kind or 'branch'}", data.lang))
    return subject.unit_name or subject.unit_id or i18n.DASH


def _story(data: ScorecardData) -> list[Flowable]:
    story = _header(data) + _headline(data)
    if data.scope == "network":
        return story + weakest_section(data) + ranking_section(data) + calibration_section(data)
    story += standards_chart_section(data.standards, data, "sec.standards_chart")
    story += standards_table_section(data)
    beside, elsewhere = place_photos(data)
    story += appeals_section(data)
    story += failed_section(data, beside)
    if data.scope == "unit" and (data.staff or data.subject.unit_kind == "branch"):
        story += staff_section(data)
    return story + evidence_section(elsewhere, data.lang)


# ---------------------------------------------------------------- page one: header and headline


def _header(data: ScorecardData) -> list[Flowable]:
    lang, subject = data.lang, data.subject
    meta: list[str] = []
    if data.scope == "staff":
        meta += [v for v in (subject.position, subject.unit_name) if v]
    elif data.scope == "unit" and subject.unit_kind:
        meta.append(text(f"kind.{subject.unit_kind}", lang))
    if subject.region and data.scope != "network":
        meta.append(f"{text('label.region', lang)}: {subject.region}")
    basis = f"{text('label.basis', lang)}: {text('basis.' + data.basis, lang)}"
    left = [
        para(text("brand", lang), "brand"),
        Spacer(1, 2.5 * mm),
        para(text("title." + data.scope, lang).upper(), "scope"),
        para(_subject_name(data), "subject"),
    ]
    if meta:
        left.append(para(" · ".join(meta), "meta"))
    if data.basis == "approved":  # a provisional basis gets a box of its own below
        left.append(para(basis, "meta_muted"))
    right = [
        Spacer(1, 5 * mm),
        para(i18n.period_name(data.period, lang), "period"),
        para(f"{text('label.language', lang)}: {text('language.name', lang)}", "meta_right"),
    ]
    table = layout(
        [[left, right]],
        [WIDTH * 0.68, WIDTH * 0.32],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ("LINEBELOW", (0, 0), (-1, -1), 1.2, ACCENT),
        ],
    )
    out: list[Flowable] = [table, Spacer(1, 4 * mm)]
    if data.basis == "provisional":
        out += [boxed(para(text("basis.provisional", lang), "provisional"), BADGE["amber"][0]), Spacer(1, 3 * mm)]
    return out


def _headline(data: ScorecardData) -> list[Flowable]:
    """The figures block (score, change, zone; for a person also the coefficient) beside the trend chart."""
    lang, head = data.lang, data.headline
    score = [para(text("kpi.score." + data.scope, lang), "kpi_label"), para(i18n.score(head.score, lang), "kpi_big")]
    score.append(para(text("kpi.visits", lang, n=i18n.count(head.n, lang)), "kpi_sub"))
    if data.scope == "network":
        units = sum(1 for row in data.ranking if row.n > 0)
        score.append(para(text("kpi.units", lang, n=i18n.count(units, lang)), "kpi_sub"))
    blocks = [
        score,
        [
            para(text("kpi.change", lang), "kpi_label"),
            para(_arrow(head.change) + i18n.signed(head.change, lang), "kpi_mid"),
            para(
                text("kpi.previous", lang, score=i18n.score(head.previous, lang))
                if head.previous is not None
                else text("kpi.no_previous", lang),
                "kpi_sub",
            ),
        ],
        [
            para(text("kpi.zone", lang), "kpi_label"),
            Spacer(1, 1.2 * mm),
            _badge(head.mark, lang, 44 * mm, 8.5 * mm, 11),
            Spacer(1, 1.2 * mm),
            para(
                text(
                    "kpi.thresholds", lang, green=threshold(data.green_at, lang), amber=threshold(data.amber_at, lang)
                ),
                "kpi_sub",
            ),
            para(text("kpi.policy", lang, policy=data.policy), "kpi_sub"),
        ],
    ]
    if data.scope == "staff":
        blocks.append(_coefficient_block(data))
    stack = layout(
        [[b] for b in blocks],
        [58 * mm],
        [
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ("LINEBELOW", (0, 0), (-1, -2), 0.5, RULE),
        ],
    )
    chart_w = WIDTH - 62 * mm
    chart = [para(text("sec.trend", lang), "kpi_label"), trend_chart(data, chart_w - 4 * mm, 60 * mm)]
    row = layout(
        [[stack, chart]],
        [62 * mm, chart_w],
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ("LINEBEFORE", (1, 0), (1, 0), 0.5, RULE),
            ("LEFTPADDING", (1, 0), (1, 0), 4 * mm),
        ],
    )
    out: list[Flowable] = [row]
    if head.n == 0 or head.score is None:
        out += [Spacer(1, 3 * mm), boxed(para(text("no_visits", lang), "notice"), INK, ZEBRA)]
    return out


def _coefficient_block(data: ScorecardData) -> list[Flowable]:
    lang = data.lang
    row = next((r for r in data.staff if r.staff_id == data.subject.staff_id), data.staff[0] if data.staff else None)
    value = (
        text("kpi.no_coefficient", lang)
        if row is None or row.coefficient is None
        else i18n.score(row.coefficient, lang)
    )
    notes = "; ".join(i18n.flag(f, lang) for f in row.flags) if row else ""
    block = [para(text("kpi.coefficient", lang), "kpi_label"), para(value, "kpi_mid")]
    return block + ([para(notes, "kpi_sub")] if notes else [])


def _arrow(change: float | None) -> str:
    shown_change = shown(change)  # the arrow agrees with the figure printed beside it
    if not shown_change:
        return ""
    return "▲ " if shown_change > 0 else "▼ "


def _badge(mark: Mark | None, lang: str, width: float, height: float, size: float) -> Drawing:
    """The zone as a coloured badge carrying its word, so that it reads in black and white too."""
    fill, ink = BADGE[mark]
    drawing = Drawing(width, height, initialFontName=FONT)
    drawing.add(
        Rect(0, 0, width, height, rx=height / 4, ry=height / 4, fillColor=fill, strokeColor=INK, strokeWidth=0.6)
    )
    word = text(f"mark.{mark or 'none'}", lang)
    drawing.add(
        String(
            width / 2,
            (height - size * 0.72) / 2,
            word,
            fontName=BOLD,
            fontSize=size,
            fillColor=ink,
            textAnchor="middle",
        )
    )
    return drawing
