"""The charts' PDF backend: a `reports.charts.Chart` as a reportlab drawing.

Drawn from reportlab.graphics shapes rather than its chart widgets: the widgets' label machinery
cost more than the rest of a page, and a few bars need none of it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from reportlab.graphics.shapes import Drawing
from reportlab.graphics.shapes import Line as PdfLine
from reportlab.graphics.shapes import Path as PdfPath
from reportlab.graphics.shapes import Rect as PdfRect
from reportlab.graphics.shapes import String as PdfString
from reportlab.lib import colors

from reports import charts
from reports.charts import FONT, Chart, Grid, Label, Line, Rect
from reports.pdf_page import WIDTH, text_width
from reports.scorecard_data import ScorecardData, StandardRow


@functools.cache
def _color(value: str | None) -> colors.Color | None:
    return None if value is None else colors.HexColor(value)


def drawing(chart: Chart) -> Drawing:
    """The chart's shapes, in their order, as one reportlab drawing."""
    out = Drawing(chart.width, chart.height, initialFontName=FONT)
    for shape in chart.shapes:
        match shape:
            case Rect():
                out.add(
                    PdfRect(
                        shape.x,
                        shape.y,
                        shape.width,
                        shape.height,
                        fillColor=_color(shape.fill),
                        strokeColor=_color(shape.stroke),
                        strokeWidth=shape.stroke_width,
                    )
                )
            case Line():
                dash = list(shape.dash) if shape.dash else None
                out.add(
                    PdfLine(
                        shape.x1,
                        shape.y1,
                        shape.x2,
                        shape.y2,
                        strokeColor=_color(shape.stroke),
                        strokeWidth=shape.stroke_width,
                        strokeDashArray=dash,
                    )
                )
            case Grid():
                path = PdfPath(strokeColor=_color(shape.stroke), strokeWidth=shape.stroke_width, fillColor=None)
                for x1, y1, x2, y2 in shape.segments:
                    path.moveTo(x1, y1)
                    path.lineTo(x2, y2)
                out.add(path)
            case Label():
                out.add(
                    PdfString(
                        shape.x,
                        shape.y,
                        shape.value,
                        fontName=shape.font,
                        fontSize=shape.size,
                        fillColor=_color(shape.color),
                        textAnchor=shape.anchor,
                    )
                )
    return out


def trend_chart(data: ScorecardData, width: float, height: float) -> Drawing:
    """The trend chart of page one, drawn."""
    return drawing(charts.trend_chart(data, width, height, text_width))


def standards_charts(rows: Sequence[StandardRow], data: ScorecardData) -> list[Drawing]:
    """The standards as bars across the page's width, in drawings that fit a page."""
    return [drawing(chart) for chart in charts.standards_charts(rows, data, WIDTH, text_width)]
