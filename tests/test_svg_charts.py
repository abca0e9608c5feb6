"""The charts' SVG backend: well-formed SVG, one element per shape, y flipped, every label escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports import charts
from reports.charts import Chart, Grid, Label, Line, Rect
from reports.scorecard_data import Headline, ScorecardData, StandardRow, Subject, TrendPoint
from reports.svg_charts import measure, svg

NS = "{http://www.w3.org/2000/svg}"
TAGS = {Rect: "rect", Line: "line", Grid: "path", Label: "text"}


def data(trend: list[TrendPoint]) -> ScorecardData:
    return ScorecardData(
        scope="unit",
        lang="kk",
        period=trend[-1].period,
        subject=Subject(),
        basis="approved",
        headline=Headline(score=None, n=0, previous=None, change=None, mark=None),
        trend=trend,
        standards=[],
        failed_items=[],
        staff=[],
        thumbnails=[],
        ranking=[],
        weakest_standards=[],
        checklist_versions=[],
        green_at=90.0,
        amber_at=75.0,
        data_as_of="",
        policy="default@1",
    )


def drawn(chart: Chart, title: str = "T", desc: str = "D") -> ET.Element:
    root = ET.fromstring(svg(chart, title, desc, "c1"))
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{NS}title").text == title and root.find(f"{NS}desc").text == desc
    shapes = [el for el in root if el.tag not in (f"{NS}title", f"{NS}desc")]
    assert [el.tag for el in shapes] == [NS + TAGS[type(s)] for s in chart.shapes]
    return root


def test_trend_chart_one_element_per_shape():
    points = [
        TrendPoint(period=f"2026-{m:02d}", score=s, n=n) for m, s, n in ((8, 91.5, 3), (9, None, 0), (10, 60.0, 7))
    ]
    chart = charts.trend_chart(data(points), 500, 180, measure)
    root = drawn(chart)
    texts = [el.text for el in root.iter(f"{NS}text")]
    assert "қаз 2026" in texts and "91,50" in texts and "сапар жоқ" in texts


def test_y_is_flipped_and_labels_escaped():
    chart = Chart(
        100,
        50,
        [
            Rect(10, 5, 20, 10, fill="#c8e6c9", stroke=None),
            Line(0, 0, 100, 50, stroke="#000", stroke_width=1, dash=(2, 1)),
            Grid([(0, 10, 100, 10)], "#ddd", 0.4),
            Label(5, 40, '<b>"Қ&Ә"</b> =HYPERLINK("x")', font=charts.BOLD, size=7, color="#111", anchor="end"),
        ],
    )
    root = drawn(chart, title="<script>alert(1)</script>", desc="a & b")
    rect, line, path, text = (el for el in root if el.tag not in (f"{NS}title", f"{NS}desc"))
    assert (rect.get("y"), rect.get("height"), rect.get("stroke")) == ("35", "10", "none")
    assert (line.get("y1"), line.get("y2"), line.get("stroke-dasharray")) == ("50", "0", "2 1")
    assert path.get("d") == "M0 40L100 40"
    assert text.text == '<b>"Қ&Ә"</b> =HYPERLINK("x")' and text.get("font-weight") == "bold"
    assert (text.get("y"), text.get("text-anchor")) == ("10", "end")
    raw = svg(chart, "<script>", "d", "c1")
    assert "<script>" not in raw and "<b>" not in raw


def test_standards_bars_are_the_pdfs_geometry():
    rows = [
        StandardRow(code=f"S{i}", title="t", attribution="unit", score=float(40 + i), share_met=50.0, n=4)
        for i in range(50)
    ]
    parts = charts.standards_charts(rows, data([TrendPoint(period="2026-10", score=1.0, n=1)]), 500, measure)
    assert len(parts) == 2  # 45 bars a part, as in the PDF
    for chart in parts:
        drawn(chart)
