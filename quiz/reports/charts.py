"""Chart geometry for server-rendered inline SVG (``templates/reports/_charts.html``).

No JavaScript and nothing from a CDN: the page carries the picture, it scales to a phone's width
through ``viewBox``, and each chart sits next to a table of the same figures (the text
alternative). These functions only compute coordinates; the template draws.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WIDTH = 640
PLOT_LEFT = 40
PLOT_RIGHT = 10
PLOT_TOP = 14
PLOT_BOTTOM = 40


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: Any
    text: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)  # gridlines: y (or x) and label
    labels: list[dict[str, Any]] = field(default_factory=list)  # category labels: x, y, text


def _nice_max(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def histogram(bins: list[dict[str, Any]], height: int = 220) -> Chart:
    """Vertical bars, one per score band: ``bins`` items have low, high, count."""
    chart = Chart(WIDTH, height)
    if not bins:
        return chart
    top = _nice_max(max(b["count"] for b in bins))
    plot_w = WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_h = height - PLOT_TOP - PLOT_BOTTOM
    slot = plot_w / len(bins)
    for i in range(5):
        value = top * i / 4
        chart.ticks.append({"y": round(PLOT_TOP + plot_h - plot_h * value / top, 1), "label": f"{value:g}"})
    for index, b in enumerate(bins):
        h = plot_h * b["count"] / top
        x = PLOT_LEFT + index * slot
        label = f"{b['low']:g}–{b['high']:g}"
        chart.bars.append(Bar(round(x + slot * 0.1, 1), round(PLOT_TOP + plot_h - h, 1), round(slot * 0.8, 1), round(h, 1),
                              label, b["count"], str(b["count"])))
        chart.labels.append({"x": round(x + slot / 2, 1), "y": height - PLOT_BOTTOM + 16, "text": f"{b['low']:g}"})
    return chart


def horizontal_bars(items: list[tuple[str, float | None]], *, maximum: float | None = None, row: int = 30,
                    percent: bool = False) -> Chart:
    """One horizontal bar per (label, value); None draws no bar (no figure yet)."""
    label_w = 170
    height = PLOT_TOP + row * max(1, len(items)) + 24
    chart = Chart(WIDTH, height)
    values = [v for _l, v in items if v is not None]
    top = maximum if maximum is not None else _nice_max(max(values) if values else 1)
    plot_w = WIDTH - label_w - 80  # room for the value after the longest bar
    for i in range(5):
        value = top * i / 4
        chart.ticks.append({"x": round(label_w + plot_w * i / 4, 1), "label": f"{value * 100:g}%" if percent else f"{value:g}"})
    for index, (label, value) in enumerate(items):
        y = PLOT_TOP + index * row
        w = 0 if value is None or not top else plot_w * min(value, top) / top
        text = "—" if value is None else (f"{value * 100:.1f}%" if percent else f"{value:g}")
        short = label if len(label) <= 9 else label[:8] + "…"  # CJK glyphs of 14-18px: nine fit in the label column
        chart.bars.append(Bar(label_w, y + 4, round(w, 1), row - 10, short, value, text))
    return chart


def line_chart(labels: list[str], series: list[tuple[str, list[float | None]]], height: int = 240) -> Chart:
    """Lines on a 0–100 % scale over ``labels`` (contests in time order); None leaves a gap."""
    chart = Chart(WIDTH, height)
    left, right = PLOT_LEFT + 40, WIDTH - 45  # room for the first and last labels, centred on their points
    plot_w = right - left
    plot_h = height - PLOT_TOP - PLOT_BOTTOM
    for i in range(5):
        chart.ticks.append({"y": round(PLOT_TOP + plot_h - plot_h * i / 4, 1), "label": f"{25 * i}%", "x": left - 12})
    count = len(labels)
    step = plot_w / (count - 1) if count > 1 else 0

    def x_of(index: int) -> float:
        return round(left + (index * step if count > 1 else plot_w / 2), 1)

    every = max(1, -(-count // 6))  # at most about six labels, always the last
    for index, text in enumerate(labels):
        if index % every == 0 or index == count - 1:
            chart.labels.append({"x": x_of(index), "y": height - PLOT_BOTTOM + 16, "text": text})
    for number, (name, values) in enumerate(series):
        segments, current = [], []
        dots = []
        for index, value in enumerate(values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            point = (x_of(index), round(PLOT_TOP + plot_h - plot_h * min(max(value, 0), 1), 1))
            current.append(point)
            dots.append({"x": point[0], "y": point[1], "text": f"{value * 100:.1f}%"})
        if current:
            segments.append(current)
        chart.lines.append({"name": name, "series": number, "segments": [" ".join(f"{x},{y}" for x, y in s) for s in segments],
                            "dots": dots})
    return chart
