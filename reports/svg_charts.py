"""The charts' SVG backend: a `reports.charts.Chart` as an SVG string for the console.

The same shapes as the PDF (`reports.pdf_charts`), measured with the same font metrics, so a
chart on a page and in a scorecard have the same geometry. The chart's origin is at the bottom
left (the PDF's way); SVG's is at the top left, so every y is flipped here. One SVG element per
shape, in drawing order; every label is escaped (a unit or standard name is data, not markup).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from reports.charts import BOLD, Chart, Grid, Label, Line, Rect
from reports.pdf_page import register_fonts, text_width

FAMILY = "'DejaVu Sans', sans-serif"
ANCHORS = {"start": "start", "middle": "middle", "end": "end"}


def measure(text: str, font: str, size: float) -> float:
    """A text's width in points, as the PDF measures it (the embedded DejaVu Sans, registered once)."""
    register_fonts()
    return text_width(text, font, size)


def _n(value: float) -> str:
    """A coordinate with two decimals at most, without trailing zeros (smaller pages, stable output)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _paint(name: str, value: str | None) -> str:
    return f' {name}="{value}"' if value is not None else f' {name}="none"'


def _shape(shape: Rect | Line | Grid | Label, height: float) -> str:
    match shape:
        case Rect():
            y = height - shape.y - shape.height
            stroke = f' stroke-width="{_n(shape.stroke_width)}"' if shape.stroke is not None else ""
            return (
                f'<rect x="{_n(shape.x)}" y="{_n(y)}" width="{_n(shape.width)}" height="{_n(shape.height)}"'
                f"{_paint('fill', shape.fill)}{_paint('stroke', shape.stroke)}{stroke}/>"
            )
        case Line():
            dash = f' stroke-dasharray="{_n(shape.dash[0])} {_n(shape.dash[1])}"' if shape.dash else ""
            return (
                f'<line x1="{_n(shape.x1)}" y1="{_n(height - shape.y1)}" x2="{_n(shape.x2)}"'
                f' y2="{_n(height - shape.y2)}" stroke="{shape.stroke}" stroke-width="{_n(shape.stroke_width)}"{dash}/>'
            )
        case Grid():
            path = " ".join(
                f"M{_n(x1)} {_n(height - y1)}L{_n(x2)} {_n(height - y2)}" for x1, y1, x2, y2 in shape.segments
            )
            return f'<path d="{path}" fill="none" stroke="{shape.stroke}" stroke-width="{_n(shape.stroke_width)}"/>'
        case Label():
            weight = ' font-weight="bold"' if shape.font == BOLD else ""
            return (
                f'<text x="{_n(shape.x)}" y="{_n(height - shape.y)}" font-size="{_n(shape.size)}"{weight}'
                f' fill="{shape.color}" text-anchor="{ANCHORS.get(shape.anchor, "start")}">{escape(shape.value)}</text>'
            )
    raise TypeError(f"not a chart shape: {shape!r}")


def svg(chart: Chart, title: str, desc: str, ident: str = "chart") -> str:
    """The chart as an inline SVG image named by its `<title>` and described by its `<desc>`.

    `ident` makes the ids of the title and description unique on a page that holds several charts.
    """
    width, height = chart.width, chart.height
    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby={quoteattr(f"{title_id} {desc_id}")}'
        f' viewBox="0 0 {_n(width)} {_n(height)}" width="{_n(width * 4 / 3)}" height="{_n(height * 4 / 3)}"'
        f' font-family="{FAMILY}" class="chart">'
        f"<title id={quoteattr(title_id)}>{escape(title)}</title><desc id={quoteattr(desc_id)}>{escape(desc)}</desc>"
    )
    return head + "".join(_shape(shape, height) for shape in chart.shapes) + "</svg>"
