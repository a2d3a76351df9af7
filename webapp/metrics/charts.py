"""Charts drawn on the server as SVG: no chart library to download on a weak signal, nothing to run in
the page, and colours from the stylesheet (classes, not inline styles, so the content security policy
holds). Pure: numbers in, markup out; every label is escaped."""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str  # "12 Jan", "Feb 2026"
    parts: dict[str, int]  # series -> count, stacked in the order of `series`


WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP = 40, 32, 14


def nice_top(value: int) -> int:
    """A round axis top at or above `value`: 1, 2, 5, 10, 20, 50, 100..."""
    magnitude = 1
    while True:
        for multiple in (1, 2, 5):
            if multiple * magnitude >= value:
                return multiple * magnitude
        magnitude *= 10


def stacked_bars(title: str, bars: list[Bar], series: list[str], css_class: dict[str, str],
                 names: dict[str, str] | None = None) -> Markup:
    """A stacked bar chart: one bar per period, one coloured part per series (classes from css_class,
    words from `names` for the tooltips)."""
    names = names or {}
    highest = max((sum(b.parts.values()) for b in bars), default=0)
    top = nice_top(highest)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(bars), 1)
    bar_w = max(2.0, slot * 0.7)
    out = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
           'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">']
    for tick in sorted({0, top // 2, top}):
        y = TOP + plot_h - plot_h * tick / top
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    every = max(1, round(len(bars) / 8))  # at most about eight labels under the bars
    for n, bar in enumerate(bars):
        x = LEFT + slot * n + (slot - bar_w) / 2
        base = TOP + plot_h
        for name in series:
            count = bar.parts.get(name, 0)
            if not count:
                continue
            h = plot_h * count / top
            base -= h
            out.append(f'<rect class="{css_class[name]}" x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                       f'height="{h:.1f}"><title>{escape(bar.label)}: {count} '
                       f'{escape(names.get(name, name))}</title></rect>')
        if n % every == 0:
            out.append(f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                       f'{escape(bar.label)}</text>')
    out.append("</svg>")
    # Every text put in it (labels, names) went through escape() above.
    return Markup("".join(out))  # nosec
