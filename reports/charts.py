"""The scorecard's charts as geometry: plain shapes (rectangles, lines, labels) with colours as data.

Pure: no drawing library is imported here. `reports.pdf_charts` turns a `Chart` into a reportlab
drawing for the PDF; the console can turn the same shapes into SVG. Coordinates are points with
the origin at the bottom left (the PDF's way: an SVG backend flips y). Where a label's width
matters (a white ground behind a value, the legend's spacing), the caller's `measure` gives it,
so the geometry is the same whichever backend measures the font.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from reports import i18n
from reports.i18n import text
from reports.scorecard_data import Mark, ScorecardData, StandardRow

MM = 72.0 / 2.54 * 0.1  # a millimetre in points, computed as reportlab computes it (the same float)

FONT = "DejaVuSans"
BOLD = "DejaVuSans-Bold"

INK = "#1a1a1a"
MUTED = "#5f6368"
GRID = "#dddddd"
WHITE = "#ffffff"
# Bar fills differ in lightness (red darkest, green lightest) so that a black-and-white print still
# ranks them: greys in print of about 85 %, 58 % and 31 % white.
BAR: dict[str, str] = {"green": "#c8e6c9", "amber": "#d08a1f", "red": "#9e2f2a"}

Measure = Callable[[str, str, float], float]  # (text, font, size) -> width in points


class Rect(msgspec.Struct, frozen=True, tag=True):
    """A rectangle from its bottom-left corner; no fill or no stroke when None."""

    x: float
    y: float
    width: float
    height: float
    fill: str | None
    stroke: str | None
    stroke_width: float = 1.0


class Line(msgspec.Struct, frozen=True, tag=True):
    """A straight line, dashed when `dash` gives (on, off) lengths."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    stroke_width: float
    dash: tuple[float, float] | None = None


class Grid(msgspec.Struct, frozen=True, tag=True):
    """Light grid lines drawn as one path: (x1, y1, x2, y2) per line."""

    segments: list[tuple[float, float, float, float]]
    stroke: str
    stroke_width: float


class Label(msgspec.Struct, frozen=True, tag=True):
    """A text whose baseline starts, is centred or ends at x (`anchor`: start, middle, end)."""

    x: float
    y: float
    value: str
    font: str
    size: float
    color: str
    anchor: str = "start"


Shape = Rect | Line | Grid | Label


class Chart(msgspec.Struct, frozen=True):
    """A chart's size and its shapes, in drawing order."""

    width: float
    height: float
    shapes: list[Shape]


def zone(score: float | None, data: ScorecardData) -> Mark | None:
    """The red/amber/green zone of a score under the scorecard's thresholds."""
    if score is None:
        return None
    if score >= data.green_at:
        return "green"
    return "amber" if score >= data.amber_at else "red"


def threshold(value: float, lang: str) -> str:
    """A threshold as written in the policy: 90 rather than 90,00."""
    return i18n.number(value, lang, 0) if float(value).is_integer() else i18n.score(value, lang)


def _clamp(value: float) -> float:
    return min(100.0, max(0.0, value))


def _label(x: float, y: float, value: str, size: float = 6.5, **style) -> Label:
    """A label in the chart's font; `style` may set font, color and anchor."""
    return Label(
        x=x,
        y=y,
        value=value,
        font=style.get("font", FONT),
        size=size,
        color=style.get("color", MUTED),
        anchor=style.get("anchor", "start"),
    )


def _value_label(x: float, y: float, value: str, anchor: str, crossing: Sequence[float], measure: Measure) -> list:
    """A bar's value; on a white ground where a threshold line (at `crossing`, along the label) would cross a digit."""
    width = measure(value, BOLD, 6.8)
    left = {"start": x, "middle": x - width / 2}[anchor]
    # a horizontal bar's label spans x; a vertical bar's label spans y
    low, high = (left - 1, left + width + 1) if anchor == "start" else (y - 2, y + 7)
    shapes: list[Shape] = []
    if any(low <= c <= high for c in crossing):
        shapes.append(Rect(left - 0.8, y - 1.6, width + 1.6, 7.6, fill=WHITE, stroke=None))
    shapes.append(_label(x, y, value, 6.8, font=BOLD, color=INK, anchor=anchor))
    return shapes


def _dashed(x1: float, y1: float, x2: float, y2: float) -> Line:
    return Line(x1, y1, x2, y2, stroke=INK, stroke_width=0.7, dash=(2.5, 1.8))


def trend_chart(data: ScorecardData, width: float, height: float, measure: Measure) -> Chart:
    """The visit score of the last periods as labelled bars, the scorecard's own period outlined in black."""
    lang = data.lang
    points = data.trend
    if not points:
        return Chart(width, height, [_label(width / 2, height / 2, text("chart.no_visits", lang), 8, anchor="middle")])
    shapes: list[Shape] = []
    x0, y0 = 8 * MM, 10 * MM
    w, h = width - x0 - 7 * MM, height - y0 - 5 * MM
    shapes.append(Grid([(x0, y0 + h * v / 100, x0 + w, y0 + h * v / 100) for v in (25, 50, 75, 100)], GRID, 0.4))
    for value in range(0, 101, 25):
        shapes.append(_label(x0 - 1.5 * MM, y0 + h * value / 100 - 2.2, str(value), anchor="end"))
    crossing = []
    for value in (data.amber_at, data.green_at):
        y = y0 + h * _clamp(value) / 100
        crossing.append(y)
        shapes.append(_dashed(x0, y, x0 + w, y))
        shapes.append(_label(x0 + w + 1.2 * MM, y - 2.2, threshold(value, lang), color=INK))
    slot = w / len(points)
    bar_w = min(slot * 0.62, 16 * MM)
    for i, point in enumerate(points):
        cx, current = x0 + slot * (i + 0.5), i == len(points) - 1
        if point.score is None:
            shapes.append(_label(cx, y0 + 2 * MM, text("chart.no_visits", lang), anchor="middle"))
        else:
            bar_h = h * _clamp(point.score) / 100
            fill = BAR[zone(point.score, data) or "red"]
            shapes.append(
                Rect(cx - bar_w / 2, y0, bar_w, bar_h, fill=fill, stroke=INK, stroke_width=1.4 if current else 0.4)
            )
            score = i18n.score(point.score, lang)
            shapes += _value_label(cx, y0 + bar_h + 1.8 * MM, score, "middle", crossing, measure)
        ink, font = (INK, BOLD) if current else (MUTED, FONT)
        period = i18n.period_short(point.period, lang)
        shapes.append(_label(cx, y0 - 3.6 * MM, period, 6.8, color=ink, font=font, anchor="middle"))
        shapes.append(_label(cx, y0 - 7 * MM, f"n = {i18n.count(point.n, lang)}", 6.5, anchor="middle"))
    shapes.append(Line(x0, y0, x0 + w, y0, stroke=INK, stroke_width=0.6))
    return Chart(width, height, shapes)


ROW_H = 4.3 * MM
CHART_ROWS = 45  # bars per drawing: a drawing cannot break across pages, 45 bars fill about 3/4 of one
LABEL_SIZE = 7
LABEL_SHARE = 0.4  # the labels (code and short title) take at most this share of the chart's width
ELLIPSIS = "\u2026"


def short_title(title: str, width: float, measure: Measure, font: str = FONT, size: float = LABEL_SIZE) -> str:
    """The title whole when it fits `width`, else cut after a whole word with an ellipsis ("" if not even one
    word and the ellipsis fit: a word is never cut)."""
    title = " ".join(title.split())
    if measure(title, font, size) <= width:
        return title
    kept = ""
    for word in title.split(" "):
        longer = f"{kept} {word}" if kept else word
        if measure(longer.rstrip(" ,;:.-–—(«") + ELLIPSIS, font, size) > width:
            break
        kept = longer
    kept = kept.rstrip(" ,;:.-–—(«")
    return kept + ELLIPSIS if kept else ""


def _standard_labels(
    scored: Sequence[StandardRow], width: float, measure: Measure
) -> tuple[float, float, dict[str, str]]:
    """Where the titles start and the bars begin, and each code's title as it fits between them."""
    code_w = max(measure(r.code, FONT, LABEL_SIZE) for r in scored)
    title_x = code_w + 1.5 * MM
    titled = [r for r in scored if r.title and r.title != r.code]
    widest = max((measure(" ".join(r.title.split()), FONT, LABEL_SIZE) for r in titled), default=0.0)
    # the bars begin after the widest title, or at LABEL_SHARE of the width (the titles then shortened)
    x0 = max(code_w + 3 * MM, min(title_x + widest + 3 * MM, width * LABEL_SHARE)) if titled else code_w + 3 * MM
    room = x0 - 3 * MM - title_x
    titles = {r.code: short_title(r.title, room, measure) for r in titled} if room > 0 else {}
    return title_x, x0, titles


def standards_charts(rows: Sequence[StandardRow], data: ScorecardData, width: float, measure: Measure) -> list[Chart]:
    """Every scored standard as a horizontal bar of its mean score, weakest first, in charts that fit a page;
    each bar labelled with the standard's code and its (short) title in the scorecard's language."""
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: (r.score, r.share_met or 0.0, r.code))
    if not scored:
        return []
    labels = _standard_labels(scored, width, measure)  # the same bar origin in every part
    return [
        _standards_chart(scored[i : i + CHART_ROWS], data, width, labels, i == 0, measure)
        for i in range(0, len(scored), CHART_ROWS)
    ]


def _standards_chart(
    scored: Sequence[StandardRow],
    data: ScorecardData,
    width: float,
    labels: tuple[float, float, dict[str, str]],
    legend: bool,
    measure: Measure,
) -> Chart:
    """Bars with their values, the threshold lines and (on the first part) the legend of the zones."""
    lang = data.lang
    title_x, x0, titles = labels
    legend_h, axis_h = (7 * MM if legend else 2 * MM), 5.5 * MM
    y0, w = axis_h, width - x0 - 13 * MM
    top = y0 + ROW_H * len(scored)
    shapes: list[Shape] = [Grid([(x0 + w * v / 100, y0, x0 + w * v / 100, top) for v in range(10, 101, 10)], GRID, 0.4)]
    for value in range(0, 101, 10):
        shapes.append(_label(x0 + w * value / 100, y0 - 3.4 * MM, str(value), anchor="middle"))
    crossing = []
    for value in (data.amber_at, data.green_at):
        x = x0 + w * _clamp(value) / 100
        crossing.append(x)
        shapes.append(_dashed(x, y0, x, top + 1.5 * MM))
    bar_h = ROW_H * 0.68
    for i, row in enumerate(scored):
        assert row.score is not None  # only scored rows are charted
        y = top - ROW_H * (i + 1) + (ROW_H - bar_h) / 2
        length = w * _clamp(row.score) / 100
        fill = BAR[zone(row.score, data) or "red"]
        shapes.append(Rect(x0, y, length, bar_h, fill=fill, stroke=INK, stroke_width=0.3))
        shapes.append(_label(0, y + 1.1, row.code, LABEL_SIZE))
        if titles.get(row.code):
            shapes.append(_label(title_x, y + 1.1, titles[row.code], LABEL_SIZE, color=INK))
        score = i18n.score(row.score, lang)
        shapes += _value_label(x0 + length + 1.2 * MM, y + 1.1, score, "start", crossing, measure)
    shapes.append(Line(x0, y0, x0, top, stroke=INK, stroke_width=0.6))
    if legend:
        shapes += _legend(data, x0, top + 2.5 * MM, measure)
    return Chart(width, top + legend_h, shapes)


def _legend(data: ScorecardData, x: float, y: float, measure: Measure) -> list[Shape]:
    lang = data.lang
    entries = [
        ("green", f"≥ {threshold(data.green_at, lang)}"),
        ("amber", f"≥ {threshold(data.amber_at, lang)}"),
        ("red", f"< {threshold(data.amber_at, lang)}"),
    ]
    shapes: list[Shape] = []
    for mark, rule in entries:
        label = f"{text('mark.' + mark, lang).capitalize()} {rule}"
        shapes.append(Rect(x, y, 3.2 * MM, 2.6 * MM, fill=BAR[mark], stroke=INK, stroke_width=0.3))
        shapes.append(Label(x + 4.5 * MM, y + 0.3 * MM, label, font=FONT, size=7, color=INK))
        x += 4.5 * MM + measure(label, FONT, 7) + 6 * MM
    return shapes
