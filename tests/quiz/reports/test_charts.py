"""Chart geometry: bars proportional to their values on a round axis, gaps for missing figures."""
from __future__ import annotations

from quiz.reports import charts


def test_histogram_bars_scale_to_a_round_axis_maximum():
    bins = [{"low": 0, "high": 50, "count": 3}, {"low": 50, "high": 100, "count": 7}]
    chart = charts.histogram(bins, height=220)
    plot_h = 220 - charts.PLOT_TOP - charts.PLOT_BOTTOM  # 166
    assert [t["label"] for t in chart.ticks] == ["0", "2.5", "5", "7.5", "10"]  # 7 rounds up to 10
    assert [b.height for b in chart.bars] == [round(plot_h * 0.3, 1), round(plot_h * 0.7, 1)]
    assert chart.bars[1].y + chart.bars[1].height == charts.PLOT_TOP + plot_h  # bars stand on the axis
    assert [b.label for b in chart.bars] == ["0–50", "50–100"]


def test_horizontal_bars_draw_nothing_for_a_missing_figure_and_shorten_long_names():
    chart = charts.horizontal_bars([("金水区委组织部", 0.5), ("某某自治县县委组织部机关", None)], maximum=1, percent=True)
    assert chart.bars[0].text == "50.0%" and chart.bars[0].width > 0
    assert chart.bars[1].width == 0 and chart.bars[1].text == "—"
    assert chart.bars[1].label == "某某自治县县委组…"
    assert [t["label"] for t in chart.ticks] == ["0%", "25%", "50%", "75%", "100%"]


def test_line_chart_breaks_the_line_where_a_value_is_missing():
    chart = charts.line_chart(["a", "b", "c", "d"], [("参与率", [0.5, None, 1.0, 0.0])])
    line = chart.lines[0]
    assert len(line["segments"]) == 2  # a | c–d
    assert [d["text"] for d in line["dots"]] == ["50.0%", "100.0%", "0.0%"]
    top, bottom = charts.PLOT_TOP, 240 - charts.PLOT_BOTTOM
    ys = [d["y"] for d in line["dots"]]
    assert ys[1] == top and ys[2] == bottom
