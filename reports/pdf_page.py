"""The scorecard's page: the embedded fonts, the text styles, text that wraps, and table layout.

Fonts are embedded from `reports/fonts` (DejaVu Sans, which covers Cyrillic and the Kazakh
letters) so that the machine's fonts never change a byte of a scorecard.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from importlib import resources

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Table, TableStyle

from reports import charts
from reports.charts import BOLD, FONT

PAGE_W, PAGE_H = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 14 * mm
MARGIN_BOTTOM = 22 * mm  # room for the three-line footer
WIDTH = PAGE_W - 2 * MARGIN_X

INK = colors.HexColor(charts.INK)
MUTED = colors.HexColor(charts.MUTED)
RULE = colors.HexColor("#b0b0b0")
GRID = colors.HexColor("#dddddd")
ZEBRA = colors.HexColor("#f3f3f3")
HEAD = colors.HexColor("#e2e2e2")
ACCENT = colors.HexColor("#00529b")

# Badge colours: saturated, with the word printed on them.
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
def styles() -> dict[str, ParagraphStyle]:
    """The scorecard's text styles by name (made once per process)."""
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
def text_width(word: str, font: str, size: float) -> float:
    """The width of a text in points in one font and size (cached: the same words come back)."""
    # The same standard titles and questions come back in every scorecard; without reportlab's
    # optional C accelerator a string's width is measured character by character in Python.
    return pdfmetrics.stringWidth(word, font, size)


def wrap_text(value: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word wider than the line is split, so that nothing is ever cut off."""
    space = text_width(" ", font, size)
    lines: list[str] = []
    for paragraph in value.splitlines() or [""]:
        line, used = "", 0.0
        for word in paragraph.split():
            w = text_width(word, font, size)
            if line and used + space + w <= width:
                line, used = f"{line} {word}", used + space + w
                continue
            if line:
                lines.append(line)
            while w > width and len(word) > 1:
                cut = _longest_prefix(word, font, size, width)
                lines.append(word[:cut])
                word = word[cut:]
                w = text_width(word, font, size)
            line, used = word, w
        lines.append(line)
    return lines


def _longest_prefix(word: str, font: str, size: float, width: float) -> int:
    cut = len(word) - 1
    while cut > 1 and pdfmetrics.stringWidth(word[:cut], font, size) > width:
        cut -= 1
    return cut


class Lines(Flowable):
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


def para(value: str, style: str) -> Lines:
    """A text in one of the scorecard's styles."""
    return Lines(value, styles()[style])


def layout(rows: list[list], widths: Sequence[float], commands: Sequence[tuple], repeat: int = 0) -> Table:
    """A table laid out with `commands`; its text is DejaVu (a bare string cell would otherwise use Helvetica)."""
    table = Table(rows, colWidths=list(widths), repeatRows=repeat)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT), *commands]))
    return table


def boxed(content: Flowable, border: colors.Color, background: colors.Color | None = None) -> Table:
    """The content in a box across the page (a notice: no visits, provisional)."""
    commands = [("BOX", (0, 0), (-1, -1), 1.2, border), ("LEFTPADDING", (0, 0), (-1, -1), 6)]
    commands += [("TOPPADDING", (0, 0), (-1, -1), 5), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    if background is not None:
        commands.append(("BACKGROUND", (0, 0), (-1, -1), background))
    return layout([[content]], [WIDTH], commands)
