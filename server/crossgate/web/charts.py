"""Server-side chart geometry. Templates draw the SVG from these plain numbers; no script and
no chart library runs in the browser."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

STATUS_ORDER = ("satisfied", "partial", "unsatisfied", "not_applicable")


def stacked_bar(counts: dict[str, int], width: float = 260.0) -> list[dict[str, Any]]:
    """Segments {status, x, w, count} of one horizontal bar over the four statuses."""
    total = sum(counts.get(s, 0) for s in STATUS_ORDER)
    segments: list[dict[str, Any]] = []
    x = 0.0
    if not total:
        return segments
    for status in STATUS_ORDER:
        n = counts.get(status, 0)
        if not n:
            continue
        w = width * n / total
        segments.append({"status": status, "x": round(x, 2), "w": round(w, 2), "count": n})
        x += w
    return segments


def heat_level(satisfied: int, partial: int, applicable: int) -> int | None:
    """0..5 from the share of applicable requirements covered (partial counts half);
    None when nothing applies."""
    if applicable <= 0:
        return None
    share = (satisfied + 0.5 * partial) / applicable
    return min(5, int(share * 5 + 1e-9)) if share < 1 else 5


def nice_ceiling(value: float) -> int:
    """1, 2, 5, 10, 20, 50, ... at or above value (at least 1)."""
    if value <= 1:
        return 1
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * exp >= value:
            return int(step * exp)
    return int(10 * exp)


@dataclass
class TimeChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: list[dict[str, Any]] = field(default_factory=list)
    line: str = ""
    points: list[dict[str, Any]] = field(default_factory=list)
    y_ticks: list[dict[str, Any]] = field(default_factory=list)
    x_labels: list[dict[str, Any]] = field(default_factory=list)
    max_count: int = 1


def pass_rate_chart(buckets: list[dict[str, Any]], width: int = 960, height: int = 280
                    ) -> TimeChart:
    """Stacked allow/deny bars per bucket (left axis: decisions) and the pass-rate line (right
    axis: percent). buckets: [{label, allow, deny}] in time order."""
    chart = TimeChart(width, height, left=48, right=52, top=30, bottom=40)
    plot_w = width - chart.left - chart.right
    plot_h = height - chart.top - chart.bottom
    n = max(1, len(buckets))
    slot = plot_w / n
    bar_w = max(2.0, min(48.0, slot * 0.7))
    # Four gridline steps of a round size: 0, step, ..., 4 * step.
    step = nice_ceiling(max((b["allow"] + b["deny"] for b in buckets), default=1) / 4)
    chart.max_count = 4 * step
    scale = plot_h / chart.max_count
    base_y = chart.top + plot_h
    label_every = max(1, math.ceil(n / 12))
    coords = []
    for i, b in enumerate(buckets):
        cx = chart.left + slot * (i + 0.5)
        allow_h = b["allow"] * scale
        deny_h = b["deny"] * scale
        total = b["allow"] + b["deny"]
        rate = b["allow"] / total if total else None
        chart.bars.append({
            "x": round(cx - bar_w / 2, 2), "w": round(bar_w, 2), "label": b["label"],
            "allow": b["allow"], "deny": b["deny"], "rate": rate,
            "allow_y": round(base_y - allow_h, 2), "allow_h": round(allow_h, 2),
            "deny_y": round(base_y - allow_h - deny_h, 2), "deny_h": round(deny_h, 2),
        })
        if rate is not None:
            y = chart.top + plot_h * (1 - rate)
            coords.append((round(cx, 2), round(y, 2)))
            chart.points.append({"x": round(cx, 2), "y": round(y, 2), "rate": rate,
                                 "label": b["label"]})
        if i % label_every == 0:
            chart.x_labels.append({"x": round(cx, 2), "label": b["label"]})
    chart.line = " ".join(f"{x},{y}" for x, y in coords)
    for k in range(5):
        frac = k / 4
        chart.y_ticks.append({
            "y": round(base_y - plot_h * frac, 2),
            "count": step * k,
            "percent": int(frac * 100),
        })
    return chart


# -- the neighbourhood of one requirement ------------------------------------------------------

NODE_W = 250
NODE_H = 40
GAP = 12
MAX_SIDE = 30


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def neighbourhood(center: dict[str, str], incoming: list[dict[str, Any]],
                  outgoing: list[dict[str, Any]], width: int = 1000) -> dict[str, Any]:
    """Layout: the requirement in the middle, mapping sources on the left, targets on the right,
    one edge per mapping labelled with its relation.

    incoming/outgoing: [{id, title, relation, strength, href}] (one per mapping).
    """
    def column(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
        shown = items[:MAX_SIDE]
        more = len(items) - len(shown)
        return shown, more

    left, left_more = column(incoming)
    right, right_more = column(outgoing)
    rows = max(len(left) + (1 if left_more else 0), len(right) + (1 if right_more else 0), 1)
    top = 30
    height = top + rows * (NODE_H + GAP) + 10
    cx = (width - NODE_W) / 2
    center_h = 56
    cy = top + (rows * (NODE_H + GAP) - GAP) / 2 - center_h / 2
    left_x, right_x = 8, width - NODE_W - 8

    def place(items: list[dict[str, Any]], x: float, more: int, side: str
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        count = len(items) + (1 if more else 0)
        start = top + ((rows - count) * (NODE_H + GAP)) / 2
        nodes, edges = [], []
        for i, item in enumerate(items):
            y = start + i * (NODE_H + GAP)
            nodes.append({**item, "x": x, "y": round(y, 2), "w": NODE_W, "h": NODE_H,
                          "label": _cut(item["id"], 34), "sub": _cut(item.get("title") or "", 38)})
            ny = y + NODE_H / 2
            if side == "in":
                x1, y1, x2, y2 = x + NODE_W, ny, cx, cy + center_h / 2
                lx = x1 + 8
            else:
                x1, y1, x2, y2 = cx + NODE_W, cy + center_h / 2, x, ny
                lx = x2 - 8
            mid = (x1 + x2) / 2
            edges.append({
                "d": f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}",
                "relation": item["relation"], "strength": item.get("strength"),
                "lx": round(lx, 1), "ly": round(ny - 5, 1),
                "anchor": "start" if side == "in" else "end",
            })
        if more:
            y = start + len(items) * (NODE_H + GAP)
            nodes.append({"id": "", "title": "", "href": None, "x": x, "y": round(y, 2),
                          "w": NODE_W, "h": NODE_H, "label": f"… and {more} more",
                          "sub": "listed in the table below", "relation": None})
        return nodes, edges

    lnodes, ledges = place(left, left_x, left_more, "in")
    rnodes, redges = place(right, right_x, right_more, "out")
    return {
        "width": width, "height": round(max(height, cy + center_h + 20), 1),
        "center": {**center, "x": round(cx, 1), "y": round(cy, 1), "w": NODE_W, "h": center_h,
                   "label": _cut(center["id"], 34), "sub": _cut(center.get("title") or "", 38)},
        "nodes": lnodes + rnodes, "edges": ledges + redges,
        "left_heading_x": left_x, "right_heading_x": right_x,
    }
