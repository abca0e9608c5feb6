"""The charts' PDF backend: a `reports.charts.Chart` drawn straight on the page's canvas.

Drawn with the canvas's own operations rather than reportlab.graphics: its shapes check every
attribute and its renderer sets the whole graphics state for each shape, which cost more than the
rest of a page; a chart's shapes need a few lines, rectangles and strings.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.platypus import Flowable

from reports import charts
from reports.charts import Chart, Grid, Label, Line, Rect
from reports.pdf_page import WIDTH, text_width
from reports.scorecard_data import ScorecardData, StandardRow


@functools.cache
def _color(value: str) -> colors.Color:
    return colors.HexColor(value)


class ChartFlowable(Flowable):
    """A chart as a flowable: its shapes, in their order, on the canvas (a chart never breaks across pages)."""

    def __init__(self, chart: Chart) -> None:
        super().__init__()
        self.chart = chart
        self.width, self.height = chart.width, chart.height

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.chart.width, self.chart.height

    def draw(self) -> None:
        canvas = self.canv
        for shape in self.chart.shapes:
            match shape:
                case Rect():
                    if shape.fill is not None:
                        canvas.setFillColor(_color(shape.fill))
                    if shape.stroke is not None:
                        canvas.setStrokeColor(_color(shape.stroke))
                        canvas.setLineWidth(shape.stroke_width)
                    fill, stroke = int(shape.fill is not None), int(shape.stroke is not None)
                    canvas.rect(shape.x, shape.y, shape.width, shape.height, stroke=stroke, fill=fill)
                case Line():
                    canvas.setStrokeColor(_color(shape.stroke))
                    canvas.setLineWidth(shape.stroke_width)
                    canvas.setDash(list(shape.dash) if shape.dash else [])
                    canvas.line(shape.x1, shape.y1, shape.x2, shape.y2)
                    if shape.dash:
                        canvas.setDash([])
                case Grid():
                    canvas.setStrokeColor(_color(shape.stroke))
                    canvas.setLineWidth(shape.stroke_width)
                    path = canvas.beginPath()
                    for x1, y1, x2, y2 in shape.segments:
                        path.moveTo(x1, y1)
                        path.lineTo(x2, y2)
                    canvas.drawPath(path, stroke=1, fill=0)
                case Label():
                    canvas.setFont(shape.font, shape.size)
                    canvas.setFillColor(_color(shape.color))
                    draw = {
                        "start": canvas.drawString,
                        "middle": canvas.drawCentredString,
                        "end": canvas.drawRightString,
                    }[shape.anchor]
                    draw(shape.x, shape.y, shape.value)


def drawing(chart: Chart) -> ChartFlowable:
    """The chart's shapes, in their order, as one flowable."""
    return ChartFlowable(chart)


def trend_chart(data: ScorecardData, width: float, height: float) -> ChartFlowable:
    """The trend chart of page one, drawn."""
    return drawing(charts.trend_chart(data, width, height, text_width))


def standards_charts(rows: Sequence[StandardRow], data: ScorecardData) -> list[ChartFlowable]:
    """The standards as bars across the page's width, in drawings that fit a page."""
    return [drawing(chart) for chart in charts.standards_charts(rows, data, WIDTH, text_width)]
