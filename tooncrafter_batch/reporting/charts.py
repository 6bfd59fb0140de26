"""Small inline SVG charts for the report page (no plotting library: the page must stand alone, the lock stays lean)."""

from __future__ import annotations

from html import escape
from typing import Sequence

_WIDTH, _HEIGHT, _MARGIN = 720, 150, 36  # px; the left margin holds the axis labels


def bar_chart(values: Sequence[float], colours: Sequence[str], tips: Sequence[str], axis_label: str) -> str:
    """One bar per value, left to right, scaled to the largest; each with its colour and hover text."""
    top = max([*values, 1e-9])
    plot_width, plot_height = _WIDTH - _MARGIN, _HEIGHT - 20
    step = plot_width / max(1, len(values))
    bars = []
    for index, (value, colour, tip) in enumerate(zip(values, colours, tips, strict=True)):
        height = plot_height * value / top
        bars.append(f'<rect x="{_MARGIN + index * step:.2f}" y="{plot_height - height:.2f}" '
                    f'width="{max(step * 0.85, 0.5):.2f}" height="{height:.2f}" fill="{colour}">'
                    f"<title>{escape(tip)}</title></rect>")
    return _frame(bars, f"{top:.3g}", "0", axis_label, plot_height)


def histogram(values: Sequence[float], low: float, high: float, bins: int, colour: str, axis_label: str) -> str:
    """Counts of `values` in `bins` equal bins over [low, high] (values outside are clipped into the end bins)."""
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int((value - low) / (high - low) * bins)))] += 1
    edges = [low + (high - low) * index / bins for index in range(bins + 1)]
    tips = [f"{edges[index]:.2f}-{edges[index + 1]:.2f}: {count}" for index, count in enumerate(counts)]
    chart = bar_chart(counts, [colour] * bins, tips, axis_label)
    ticks = "".join(f'<span style="flex:1;text-align:center">{edges[index]:.1f}-{edges[index + 1]:.1f}</span>'
                    for index in range(bins))
    return f'{chart}<div style="display:flex;width:{_WIDTH - _MARGIN}px;margin-left:{_MARGIN}px;' \
           f'font-size:10px;color:#555">{ticks}</div>'


def meter(share: float, colour: str, width: int = 120) -> str:
    """A horizontal bar filled to `share` (0..1), for a table cell."""
    share = min(1.0, max(0.0, share))
    return (f'<svg width="{width}" height="10" role="img"><rect width="{width}" height="10" fill="#eee"/>'
            f'<rect width="{width * share:.1f}" height="10" fill="{colour}"/></svg>')


def _frame(shapes: list[str], top_label: str, bottom_label: str, axis_label: str, plot_height: float) -> str:
    return (f'<svg width="{_WIDTH}" height="{_HEIGHT}" viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" '
            f'font-size="10" font-family="sans-serif">'
            f'<text x="{_MARGIN - 4}" y="10" text-anchor="end">{escape(top_label)}</text>'
            f'<text x="{_MARGIN - 4}" y="{plot_height}" text-anchor="end">{escape(bottom_label)}</text>'
            f'<line x1="{_MARGIN}" y1="{plot_height}" x2="{_WIDTH}" y2="{plot_height}" stroke="#999"/>'
            f'{"".join(shapes)}'
            f'<text x="{_MARGIN}" y="{_HEIGHT - 4}" fill="#555">{escape(axis_label)}</text></svg>')
