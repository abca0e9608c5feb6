"""PDF scorecards: `render(data)` turns one `ScorecardData` into PDF bytes (pure: data in, bytes out).

One function serves the three scopes: a unit (a branch, a contact-centre team, a technician
crew), one staff member (for the motivation talk) and the whole network of one unit kind. Page
one answers "where do we stand and what to fix": the headline score with n, the change, the
red/amber/green zone as a badge with its word, the trend and the standards as bars, weakest
first. The pages after it hold the detail: the standards table, the failed items with the
auditors' comments (never their names; dates without the time of day), the staff table and
photos of failed critical items, re-encoded without their metadata.

The same data gives the same bytes: reportlab's invariant mode fixes the creation date and the
document id, fonts are embedded from `reports/fonts` (DejaVu Sans, which covers Cyrillic and the
Kazakh letters) so the machine's fonts never matter, and nothing reads the clock or chance. The
footer carries the SHA-256 of the input data, so anyone can render the data again and compare.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from importlib import resources

from PIL import Image as PILImage
from PIL import ImageOps
from reportlab import rl_config
from reportlab.graphics.shapes import Drawing, Line, Path, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    Image,
    KeepTogether,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)

from checklists.score import shown
from reports import i18n
from reports.i18n import text
from reports.scorecard_data import Mark, ScorecardData, StandardRow, Thumbnail, input_sha256

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

PAGE_W, PAGE_H = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 14 * mm
MARGIN_BOTTOM = 22 * mm  # room for the three-line footer
WIDTH = PAGE_W - 2 * MARGIN_X

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#5f6368")
RULE = colors.HexColor("#b0b0b0")
GRID = colors.HexColor("#dddddd")
ZEBRA = colors.HexColor("#f3f3f3")
HEAD = colors.HexColor("#e2e2e2")
ACCENT = colors.HexColor("#00529b")

# Badge colours (saturated, with the word printed on them) and bar fills. The bar fills differ in
# lightness (red darkest, green lightest) so that a black-and-white print still ranks them.
BADGE: dict[str | None, tuple[colors.Color, colors.Color]] = {
    "green": (colors.HexColor("#2e7d32"), colors.white),
    "amber": (colors.HexColor("#f2b233"), INK),
    "red": (colors.HexColor("#b3261e"), colors.white),
    None: (colors.HexColor("#e0e0e0"), INK),
}
# Light tints behind the zone's word in long tables: the word carries the meaning, the tint helps the eye.
TINT: dict[str | None, colors.Color] = {
    "green": colors.HexColor("#cde8ce"),
    "amber": colors.HexColor("#f8dda0"),
    "red": colors.HexColor("#f1c2bd"),
    None: colors.white,
}
BAR: dict[str, colors.Color] = {  # greys in print: about 85 %, 58 % and 31 % white
    "green": colors.HexColor("#c8e6c9"),
    "amber": colors.HexColor("#d08a1f"),
    "red": colors.HexColor("#9e2f2a"),
}

THUMB_PX = 300  # longest side of a re-encoded photo: enough for A4 at ~140 dpi in a 55 mm box
THUMB_QUALITY = 80


# ---------------------------------------------------------------- fonts and styles


@functools.cache
def register_fonts() -> None:
    """Register the embedded DejaVu Sans (regular and bold) with reportlab, once per process."""
    folder = resources.files("reports") / "fonts"
    for name, filename in ((FONT, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        pdfmetrics.registerFont(TTFont(name, io.BytesIO((folder / filename).read_bytes())))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _style(name: str, size: float, leading: float, font: str = FONT, color: colors.Color = INK, **kw) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading, textColor=color, **kw)


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    return {
        "brand": _style("brand", 7.5, 9, color=MUTED),
        "scope": _style("scope", 9.5, 12, BOLD, MUTED),
        "subject": _style("subject", 17, 21, BOLD),
        "meta": _style("meta", 9, 12),
        "period": _style("period", 14, 17, BOLD, alignment=TA_RIGHT),
        "meta_right": _style("meta_right", 8.5, 11, color=MUTED, alignment=TA_RIGHT),
        "meta_muted": _style("meta_muted", 8.5, 11, color=MUTED),
        "h2": _style("h2", 11, 14, BOLD, spaceBefore=9, spaceAfter=4),
        "body": _style("body", 8.5, 11),
        "note": _style("note", 7, 9, color=MUTED, spaceBefore=2),
        "cell": _style("cell", 8, 9.8),
        "cell_bold": _style("cell_bold", 8, 9.8, BOLD),
        "cell_small": _style("cell_small", 7, 8.6, color=MUTED),
        "head": _style("head", 7.5, 9, BOLD, MUTED),
        "head_right": _style("head_right", 7.5, 9, BOLD, MUTED, alignment=TA_RIGHT),
        "kpi_label": _style("kpi_label", 7.5, 9, color=MUTED),
        "kpi_big": _style("kpi_big", 26, 29, BOLD),
        "kpi_mid": _style("kpi_mid", 16, 19, BOLD),
        "kpi_sub": _style("kpi_sub", 8, 10, color=MUTED),
        "notice": _style("notice", 10, 13, BOLD),
        "provisional": _style("provisional", 8.5, 11, BOLD),
        "footer": _style("footer", 6.8, 8.4, color=MUTED),
    }


@functools.lru_cache(maxsize=1 << 16)
def _width(word: str, font: str, size: float) -> float:
    # The same standard titles and questions come back in every scorecard; without reportlab's
    # optional C accelerator a string's width is measured character by character in Python.
    return pdfmetrics.stringWidth(word, font, size)


def wrap_text(value: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word wider than the line is split, so that nothing is ever cut off."""
    space = _width(" ", font, size)
    lines: list[str] = []
    for paragraph in value.splitlines() or [""]:
        line, used = "", 0.0
        for word in paragraph.split():
            w = _width(word, font, size)
            if line and used + space + w <= width:
                line, used = f"{line} {word}", used + space + w
                continue
            if line:
                lines.append(line)
            while w > width and len(word) > 1:
                cut = _longest_prefix(word, font, size, width)
                lines.append(word[:cut])
                word = word[cut:]
                w = _width(word, font, size)
            line, used = word, w
        lines.append(line)
    return lines


def _longest_prefix(word: str, font: str, size: float, width: float) -> int:
    cut = len(word) - 1
    while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
        cut -= 1
    return cut


class _Lines(Flowable):
    """Plain text wrapped in one font: every text of a scorecard is one of these.

    A Paragraph parses markup and lays out fragments; a scorecard has no markup (and user text
    then needs no escaping), and with ~200 texts per scorecard Paragraph's work was a third of
    the rendering time.
    """

    def __init__(self, value: str, style: ParagraphStyle) -> None:
        super().__init__()
        self.value, self.style = value, style
        self.spaceBefore, self.spaceAfter = style.spaceBefore, style.spaceAfter
        self.lines: list[str] = []
        self._wrapped_at: float | None = None

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        style = self.style
        if available_width != self._wrapped_at:  # a table asks several times with the same width
            self.lines = wrap_text(self.value, style.fontName, style.fontSize, available_width)
            self._wrapped_at = available_width
        self.width, self.height = available_width, style.leading * len(self.lines)
        return self.width, self.height

    def draw(self) -> None:
        style, canvas = self.style, self.canv
        canvas.setFillColor(style.textColor)
        first = self.height - style.fontSize  # the first baseline one font size below the top, as a Paragraph's
        if style.alignment == TA_RIGHT:
            canvas.setFont(style.fontName, style.fontSize)
            for i, line in enumerate(self.lines):
                canvas.drawRightString(self.width, first - i * style.leading, line)
            return
        lines = canvas.beginText(0, first)
        lines.setFont(style.fontName, style.fontSize, style.leading)
        lines.textLines(self.lines, trim=0)
        canvas.drawText(lines)


def _p(value: str, style: str) -> _Lines:
    """A text in one of the scorecard's styles."""
    return _Lines(value, _styles()[style])


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
            text("footer.as_of", lang, time=i18n.as_of(data.data_as_of, lang)),
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
        reserved = _width(page_text, BOLD, 7.5) + 6 * mm
        first = _p(self.first_line, "footer")  # two lines at most: it may wrap, the hash line stays clear
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
        return story + _weakest_section(data) + _ranking_section(data)
    story += _standards_chart_section(data.standards, data, "sec.standards_chart")
    story += _standards_table_section(data)
    beside, elsewhere = _place_photos(data)
    story += _failed_section(data, beside)
    if data.scope == "unit" and (data.staff or data.subject.unit_kind == "branch"):
        story += _staff_section(data)
    return story + _evidence_section(elsewhere, data.lang)


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
        _p(text("brand", lang), "brand"),
        Spacer(1, 2.5 * mm),
        _p(text("title." + data.scope, lang).upper(), "scope"),
        _p(_subject_name(data), "subject"),
    ]
    if meta:
        left.append(_p(" · ".join(meta), "meta"))
    if data.basis == "approved":  # a provisional basis gets a box of its own below
        left.append(_p(basis, "meta_muted"))
    right = [
        Spacer(1, 5 * mm),
        _p(i18n.period_name(data.period, lang), "period"),
        _p(f"{text('label.language', lang)}: {text('language.name', lang)}", "meta_right"),
    ]
    table = _layout(
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
        out += [_boxed(_p(text("basis.provisional", lang), "provisional"), BADGE["amber"][0]), Spacer(1, 3 * mm)]
    return out


def _layout(rows: list[list], widths: Sequence[float], commands: Sequence[tuple], repeat: int = 0) -> Table:
    """A table laid out with `commands`; its text is DejaVu (a bare string cell would otherwise use Helvetica)."""
    table = Table(rows, colWidths=list(widths), repeatRows=repeat)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands]))
    return table


def _boxed(content: Flowable, border: colors.Color, background: colors.Color | None = None) -> Table:
    commands = [("BOX", (0, 0), (-1, -1), 1.2, border), ("LEFTPADDING", (0, 0), (-1, -1), 6)]
    commands += [("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    if background is not None:
        commands.append(("BACKGROUND", (0, 0), (-1, -1), background))
    return _layout([[content]], [WIDTH], commands)


def _headline(data: ScorecardData) -> list[Flowable]:
    """The figures block (score, change, zone; for a person also the coefficient) beside the trend chart."""
    lang, head = data.lang, data.headline
    score = [_p(text("kpi.score." + data.scope, lang), "kpi_label"), _p(i18n.score(head.score, lang), "kpi_big")]
    score.append(_p(text("kpi.visits", lang, n=i18n.count(head.n, lang)), "kpi_sub"))
    if data.scope == "network":
        units = sum(1 for row in data.ranking if row.n > 0)
        score.append(_p(text("kpi.units", lang, n=i18n.count(units, lang)), "kpi_sub"))
    blocks = [
        score,
        [
            _p(text("kpi.change", lang), "kpi_label"),
            _p(_arrow(head.change) + i18n.signed(head.change, lang), "kpi_mid"),
            _p(
                text("kpi.previous", lang, score=i18n.score(head.previous, lang))
                if head.previous is not None
                else text("kpi.no_previous", lang),
                "kpi_sub",
            ),
        ],
        [
            _p(text("kpi.zone", lang), "kpi_label"),
            Spacer(1, 1.2 * mm),
            _badge(head.mark, lang, 44 * mm, 8.5 * mm, 11),
            Spacer(1, 1.2 * mm),
            _p(
                text("kpi.thresholds", lang, green=_limit(data.green_at, lang), amber=_limit(data.amber_at, lang)),
                "kpi_sub",
            ),
            _p(text("kpi.policy", lang, policy=data.policy), "kpi_sub"),
        ],
    ]
    if data.scope == "staff":
        blocks.append(_coefficient_block(data))
    stack = _layout(
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
    chart = [_p(text("sec.trend", lang), "kpi_label"), _trend_chart(data, chart_w - 4 * mm, 60 * mm)]
    row = _layout(
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
        out += [Spacer(1, 3 * mm), _boxed(_p(text("no_visits", lang), "notice"), INK, ZEBRA)]
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
    block = [_p(text("kpi.coefficient", lang), "kpi_label"), _p(value, "kpi_mid")]
    return block + ([_p(notes, "kpi_sub")] if notes else [])


def _arrow(change: float | None) -> str:
    shown_change = shown(change)  # the arrow agrees with the figure printed beside it
    if not shown_change:
        return ""
    return "▲ " if shown_change > 0 else "▼ "


def _limit(value: float, lang: str) -> str:
    """A threshold as written in the policy: 90 rather than 90,00."""
    return i18n.number(value, lang, 0) if float(value).is_integer() else i18n.score(value, lang)


def _zone(score: float | None, data: ScorecardData) -> Mark | None:
    if score is None:
        return None
    if score >= data.green_at:
        return "green"
    return "amber" if score >= data.amber_at else "red"


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


# ---------------------------------------------------------------- charts


def _clamp(value: float) -> float:
    return min(100.0, max(0.0, value))


def _text(drawing: Drawing, x: float, y: float, value: str, size: float = 6.5, **style) -> None:
    """A string in the chart's font; `style` may set font, color and anchor."""
    drawing.add(
        String(
            x,
            y,
            value,
            fontName=style.get("font", FONT),
            fontSize=size,
            fillColor=style.get("color", MUTED),
            textAnchor=style.get("anchor", "start"),
        )
    )


def _value_label(drawing: Drawing, x: float, y: float, value: str, anchor: str, crossing: Sequence[float]) -> None:
    """A bar's value; on a white ground where a threshold line (at `crossing`, along the label) would cross a digit."""
    width = _width(value, BOLD, 6.8)
    left = {"start": x, "middle": x - width / 2}[anchor]
    # a horizontal bar's label spans x; a vertical bar's label spans y
    low, high = (left - 1, left + width + 1) if anchor == "start" else (y - 2, y + 7)
    if any(low <= c <= high for c in crossing):
        drawing.add(Rect(left - 0.8, y - 1.6, width + 1.6, 7.6, fillColor=colors.white, strokeColor=None))
    _text(drawing, x, y, value, 6.8, font=BOLD, color=INK, anchor=anchor)


def _grid(drawing: Drawing, segments: Sequence[tuple[float, float, float, float]]) -> None:
    """Light grid lines as one path (one node for the renderer instead of one per line)."""
    path = Path(strokeColor=GRID, strokeWidth=0.4, fillColor=None)
    for x1, y1, x2, y2 in segments:
        path.moveTo(x1, y1)
        path.lineTo(x2, y2)
    drawing.add(path)


def _dashed(drawing: Drawing, x1: float, y1: float, x2: float, y2: float) -> None:
    drawing.add(Line(x1, y1, x2, y2, strokeColor=INK, strokeWidth=0.7, strokeDashArray=[2.5, 1.8]))


def _trend_chart(data: ScorecardData, width: float, height: float) -> Drawing:
    """The visit score of the last periods as labelled bars, the scorecard's own period outlined in black.

    Drawn from reportlab.graphics shapes rather than the chart widgets: the widgets' label
    machinery cost more than the rest of a page, and a few bars need none of it.
    """
    lang = data.lang
    drawing = Drawing(width, height, initialFontName=FONT)
    points = data.trend
    if not points:
        _text(drawing, width / 2, height / 2, text("chart.no_visits", lang), 8, anchor="middle")
        return drawing
    x0, y0 = 8 * mm, 10 * mm
    w, h = width - x0 - 7 * mm, height - y0 - 5 * mm
    _grid(drawing, [(x0, y0 + h * v / 100, x0 + w, y0 + h * v / 100) for v in (25, 50, 75, 100)])
    for value in range(0, 101, 25):
        _text(drawing, x0 - 1.5 * mm, y0 + h * value / 100 - 2.2, str(value), anchor="end")
    crossing = []
    for value in (data.amber_at, data.green_at):
        y = y0 + h * _clamp(value) / 100
        crossing.append(y)
        _dashed(drawing, x0, y, x0 + w, y)
        _text(drawing, x0 + w + 1.2 * mm, y - 2.2, _limit(value, lang), color=INK)
    slot = w / len(points)
    bar_w = min(slot * 0.62, 16 * mm)
    for i, point in enumerate(points):
        cx, current = x0 + slot * (i + 0.5), i == len(points) - 1
        if point.score is None:
            _text(drawing, cx, y0 + 2 * mm, text("chart.no_visits", lang), anchor="middle")
        else:
            bar_h = h * _clamp(point.score) / 100
            fill = BAR[_zone(point.score, data) or "red"]
            drawing.add(
                Rect(
                    cx - bar_w / 2,
                    y0,
                    bar_w,
                    bar_h,
                    fillColor=fill,
                    strokeColor=INK,
                    strokeWidth=1.4 if current else 0.4,
                )
            )
            _value_label(drawing, cx, y0 + bar_h + 1.8 * mm, i18n.score(point.score, lang), "middle", crossing)
        ink, font = (INK, BOLD) if current else (MUTED, FONT)
        _text(
            drawing,
            cx,
            y0 - 3.6 * mm,
            i18n.period_short(point.period, lang),
            6.8,
            color=ink,
            font=font,
            anchor="middle",
        )
        _text(drawing, cx, y0 - 7 * mm, f"n = {i18n.count(point.n, lang)}", 6.5, anchor="middle")
    drawing.add(Line(x0, y0, x0 + w, y0, strokeColor=INK, strokeWidth=0.6))
    return drawing


ROW_H = 4.3 * mm


CHART_ROWS = 45  # bars per drawing: a drawing cannot break across pages, 45 bars fill about 3/4 of one


def _standards_charts(rows: Sequence[StandardRow], data: ScorecardData) -> list[Flowable]:
    """Every scored standard as a horizontal bar of its mean score, weakest first, in drawings that fit a page."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: (r.score, r.share_met or 0.0, r.code))
    x0 = max(_width(r.code, FONT, 7) for r in scored) + 3 * mm  # the same bar origin in every part
    return [
        _standards_chart(scored[i : i + CHART_ROWS], data, x0, legend=i == 0) for i in range(0, len(scored), CHART_ROWS)
    ]


def _standards_chart(scored: Sequence[StandardRow], data: ScorecardData, x0: float, legend: bool) -> Drawing:
    """Bars with their values, the threshold lines and (on the first part) the legend of the zones."""
    lang = data.lang
    legend_h, axis_h = (7 * mm if legend else 2 * mm), 5.5 * mm
    y0, w = axis_h, WIDTH - x0 - 13 * mm
    top = y0 + ROW_H * len(scored)
    drawing = Drawing(WIDTH, top + legend_h, initialFontName=FONT)
    _grid(drawing, [(x0 + w * v / 100, y0, x0 + w * v / 100, top) for v in range(10, 101, 10)])
    for value in range(0, 101, 10):
        _text(drawing, x0 + w * value / 100, y0 - 3.4 * mm, str(value), anchor="middle")
    crossing = []
    for value in (data.amber_at, data.green_at):
        x = x0 + w * _clamp(value) / 100
        crossing.append(x)
        _dashed(drawing, x, y0, x, top + 1.5 * mm)
    bar_h = ROW_H * 0.68
    for i, row in enumerate(scored):
        y = top - ROW_H * (i + 1) + (ROW_H - bar_h) / 2
        length = w * _clamp(row.score) / 100
        fill = BAR[_zone(row.score, data) or "red"]
        drawing.add(Rect(x0, y, length, bar_h, fillColor=fill, strokeColor=INK, strokeWidth=0.3))
        _text(drawing, x0 - 1.5 * mm, y + 1.1, row.code, 7, color=INK, anchor="end")
        _value_label(drawing, x0 + length + 1.2 * mm, y + 1.1, i18n.score(row.score, lang), "start", crossing)
    drawing.add(Line(x0, y0, x0, top, strokeColor=INK, strokeWidth=0.6))
    if legend:
        _legend(drawing, data, x0, top + 2.5 * mm)
    return drawing


def _legend(drawing: Drawing, data: ScorecardData, x: float, y: float) -> None:
    lang = data.lang
    entries = [
        ("green", f"≥ {_limit(data.green_at, lang)}"),
        ("amber", f"≥ {_limit(data.amber_at, lang)}"),
        ("red", f"< {_limit(data.amber_at, lang)}"),
    ]
    for mark, rule in entries:
        label = f"{text('mark.' + mark, lang).capitalize()} {rule}"
        drawing.add(Rect(x, y, 3.2 * mm, 2.6 * mm, fillColor=BAR[mark], strokeColor=INK, strokeWidth=0.3))
        drawing.add(String(x + 4.5 * mm, y + 0.3 * mm, label, fontName=FONT, fontSize=7, fillColor=INK))
        x += 4.5 * mm + pdfmetrics.stringWidth(label, FONT, 7) + 6 * mm


# ---------------------------------------------------------------- tables


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
    return _layout(rows, widths, commands + list(extra), repeat=1)


def _short(value: str, column: float) -> str | Flowable:
    """A code as a bare cell string when it fits its column (cheaper to draw), else wrapped."""
    return value if _width(value, FONT, 8) <= column - 7 else _p(value, "cell")


def _heads(keys: Sequence[str], lang: str, right: Sequence[int] = ()) -> list[Flowable]:
    return [_p(text(k, lang), "head_right" if i in right else "head") for i, k in enumerate(keys)]


def _section(title: str, room: float = 40 * mm) -> list[Flowable]:
    """A section heading that never sits alone at the bottom of a page."""
    return [CondPageBreak(room), _p(title, "h2")]


def _standards_chart_section(rows: Sequence[StandardRow], data: ScorecardData, title: str) -> list[Flowable]:
    if not any(r.score is not None for r in rows):
        return []
    height = 13 * mm + ROW_H * sum(1 for r in rows if r.score is not None)
    return _section(text(title, data.lang), min(height + 12 * mm, 120 * mm)) + _standards_charts(rows, data)


def _standards_rows(rows: Sequence[StandardRow], lang: str) -> list[list]:
    right = (2, 3, 4)
    out: list[list] = [_heads(("col.code", "col.standard", "col.score", "col.met", "col.n"), lang, right)]
    for row in rows:
        out.append(
            [
                _short(row.code, STANDARD_WIDTHS[0]),
                _p(row.title, "cell"),
                i18n.score(row.score, lang),
                i18n.score(row.share_met, lang),
                i18n.count(row.n, lang),
            ]
        )
    return out


STANDARD_WIDTHS = (17 * mm, WIDTH - 72 * mm, 17 * mm, 27 * mm, 11 * mm)


def _standards_table_section(data: ScorecardData) -> list[Flowable]:
    lang = data.lang
    out = _section(text("sec.standards", lang), 60 * mm)  # rather on the next page than five rows here
    if not data.standards:
        return out + [_p(text("empty.standards", lang), "body")]
    out.append(_table(_standards_rows(data.standards, lang), STANDARD_WIDTHS, right=(2, 3, 4)))
    note = text("note.standards", lang)
    if data.scope == "staff":
        note = f"{text('note.staff_scope', lang)} {note}"
    return out + [_p(note, "note")]


FAILED_WIDTHS = (21 * mm, 17 * mm, 70 * mm, WIDTH - 108 * mm)
ROW_LINES = 50  # a table row cannot break across pages: a longer comment goes on in the next row


def _failed_section(data: ScorecardData, beside: dict[tuple[str, str], Thumbnail]) -> list[Flowable]:
    lang = data.lang
    out = _section(text("sec.failed", lang))
    if not data.failed_items:
        return out + [_p(text("empty.failed", lang), "body")]
    rows: list[list] = [_heads(("col.date", "col.item", "col.question", "col.comment"), lang)]
    for item in data.failed_items:
        question: list[Flowable] = [_p(item.text, "cell")]
        if item.critical:
            question.insert(0, _p("⚠ " + text(f"critical.{item.critical}", lang), "cell_bold"))
        if item.comment:
            comments = [[_p(chunk, "cell")] for chunk in _chunks(item.comment, FAILED_WIDTHS[3] - 7)]
        else:
            comments = [[_p(text("no_comment", lang), "cell_small")]]
        photo = beside.get((item.date, item.item))
        if photo is not None:  # the photo beside the failure it shows
            comments[-1] += [Spacer(1, 1.5 * mm), _picture(photo, lang, PHOTO_CELL_W, PHOTO_CELL_H)]
        rows.append([i18n.date(item.date, lang), _short(item.item, FAILED_WIDTHS[1]), question, comments[0]])
        rows += [["", "", "", more] for more in comments[1:]]
    return out + [_table(rows, FAILED_WIDTHS), _p(text("note.failed", lang), "note")]


def _chunks(comment: str, width: float) -> list[str]:
    """The comment cut into pieces of at most ROW_LINES wrapped lines (all of it, in order)."""
    lines = wrap_text(comment, FONT, _styles()["cell"].fontSize, width)
    return ["\n".join(lines[i : i + ROW_LINES]) for i in range(0, len(lines), ROW_LINES)]


def _place_photos(data: ScorecardData) -> tuple[dict[tuple[str, str], Thumbnail], list[Thumbnail]]:
    """One photo per listed failed item goes beside it; any other photo goes to the photo section."""
    listed = {(item.date, item.item) for item in data.failed_items}
    beside: dict[tuple[str, str], Thumbnail] = {}
    elsewhere: list[Thumbnail] = []
    for thumb in data.thumbnails:
        key = (thumb.date, thumb.item)
        if key in listed and key not in beside:
            beside[key] = thumb
        else:
            elsewhere.append(thumb)
    return beside, elsewhere


def _staff_section(data: ScorecardData) -> list[Flowable]:
    lang = data.lang
    out = _section(text("sec.staff", lang))
    if not data.staff:
        return out + [_p(text("empty.staff", lang), "body")]
    right = (2, 3, 4)
    keys = ("col.name", "col.position", "col.person_score", "col.n", "col.coefficient", "col.notes")
    rows: list[list] = [_heads(keys, lang, right)]
    for row in data.staff:
        rows.append(
            [
                _p(row.name, "cell"),
                _p(row.position or i18n.DASH, "cell"),
                i18n.score(row.score, lang),
                i18n.count(row.n, lang),
                i18n.score(row.coefficient, lang),
                _p("; ".join(i18n.flag(f, lang) for f in row.flags), "cell_small"),
            ]
        )
    widths = (46 * mm, 42 * mm, 25 * mm, 10 * mm, 16 * mm, WIDTH - 139 * mm)
    return out + [_table(rows, widths, right=right)]


def _weakest_section(data: ScorecardData) -> list[Flowable]:
    lang = data.lang
    out = _section(text("sec.weakest", lang))
    if not data.weakest_standards:
        return out + [_p(text("empty.standards", lang), "body")]
    rows = _standards_rows(data.weakest_standards, lang)
    out += [_table(rows, STANDARD_WIDTHS, right=(2, 3, 4)), _p(text("note.standards", lang), "note")]
    if any(r.score is not None for r in data.weakest_standards):
        out += [Spacer(1, 4 * mm), *_standards_charts(data.weakest_standards, data)]
    return out


def _ranking_section(data: ScorecardData) -> list[Flowable]:
    lang = data.lang
    out = _section(text("sec.ranking", lang))
    if not data.ranking:
        return out + [_p(text("empty.ranking", lang), "body")]
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
                _p(unit.name, "cell"),
                _p(unit.region, "cell"),
                i18n.score(unit.score, lang),
                i18n.count(unit.n, lang),
                i18n.signed(unit.change, lang),
                text(f"mark.{unit.mark or 'none'}", lang),
            ]
        )
        extra.append(("BACKGROUND", (6, i), (6, i), TINT[unit.mark]))
    widths = (14 * mm, WIDTH - 112 * mm, 30 * mm, 18 * mm, 12 * mm, 18 * mm, 20 * mm)
    return out + [_table(rows, widths, right=right, extra=extra)]


# ---------------------------------------------------------------- evidence photos


def reencode_thumbnail(image: bytes, max_px: int = THUMB_PX) -> tuple[bytes, int, int] | None:
    """The photo as a small baseline JPEG with no EXIF, GPS, ICC or other metadata; None if unreadable.

    The pixels are copied into a fresh image, which carries nothing of the original file. The
    EXIF orientation is applied first, so the photo stays upright once its EXIF is gone.
    """
    try:
        with PILImage.open(io.BytesIO(image)) as original:
            original.draft("RGB", (max_px, max_px))  # JPEG: decode at a reduced scale (fast)
            upright = ImageOps.exif_transpose(original).convert("RGB")
    except Exception:  # a broken or unknown photo must not stop the scorecard
        return None
    upright.thumbnail((max_px, max_px), PILImage.Resampling.BICUBIC)
    clean = PILImage.new("RGB", upright.size)
    clean.paste(upright)
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=THUMB_QUALITY, optimize=False, progressive=False, subsampling=2)
    return out.getvalue(), clean.width, clean.height


THUMBS_PER_ROW = 4
THUMB_BOX_W, THUMB_BOX_H = WIDTH / THUMBS_PER_ROW - 4 * mm, 32 * mm


PHOTO_CELL_W, PHOTO_CELL_H = 44 * mm, 33 * mm


def _picture(thumb: Thumbnail, lang: str, box_w: float, box_h: float) -> Flowable:
    """The re-encoded photo scaled into a box, or a note that it could not be read."""
    clean = reencode_thumbnail(thumb.image)
    if clean is None:
        return _p(text("image.unreadable", lang), "cell_small")
    jpeg, w, h = clean
    scale = min(box_w / w, box_h / h)
    return Image(io.BytesIO(jpeg), width=w * scale, height=h * scale, hAlign="LEFT")


def _thumbnail_cell(thumb: Thumbnail, lang: str) -> list[Flowable]:
    caption = _p(f"{i18n.date(thumb.date, lang)} · {thumb.item}", "cell_bold")
    picture = _picture(thumb, lang, THUMB_BOX_W, THUMB_BOX_H)
    return [picture, Spacer(1, 1.5 * mm), caption, _p(thumb.caption, "cell_small")]


def _evidence_section(thumbs: Sequence[Thumbnail], lang: str) -> list[Flowable]:
    """The photos that do not sit beside their failed item, in a grid with date, item and caption."""
    if not thumbs:
        return []
    cells: list = [_thumbnail_cell(t, lang) for t in thumbs]
    cells += [""] * (-len(cells) % THUMBS_PER_ROW)
    rows = [cells[i : i + THUMBS_PER_ROW] for i in range(0, len(cells), THUMBS_PER_ROW)]
    table = _layout(
        rows,
        [WIDTH / THUMBS_PER_ROW] * THUMBS_PER_ROW,
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
        ],
    )
    # the heading goes with the first row of photos, never alone at the foot of a page
    return [CondPageBreak(THUMB_BOX_H + 30 * mm), KeepTogether([_p(text("sec.evidence", lang), "h2"), table])]
