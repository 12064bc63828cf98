"""The report's charts as ``matplotlib.figure.Figure`` (never pyplot): ranking bars with the
target line and intervals, the trend of SIPAS and factors, a unit's factor profile against
its parent. Black and white print: hatching, markers and line styles carry the meaning,
never colour alone. Labels in Vietnamese with DejaVu Sans.
"""

from __future__ import annotations

import textwrap
import threading
import weakref
from io import BytesIO

from matplotlib.figure import Figure

from survey_app.services.analytics.charts import use_settings
from survey_app.services.reports.formatting import number
from survey_app.services.reports.model import Report

use_settings()  # matplotlib's process-wide settings, set once (see analytics/charts.py)
TITLES = {
    "xep_hang": "Xếp hạng SIPAS các đơn vị",
    "xu_huong": "Xu hướng SIPAS và các yếu tố",
    "ho_so": "Các yếu tố của đơn vị so với cấp trên",
}
_MARKERS = {
    "A": ("o", (0, (1, 1))),
    "B": ("^", (0, (4, 2))),
    "C": ("v", (0, (4, 1, 1, 1))),
    "D": ("D", (0, (6, 2, 1, 2, 1, 2))),
    "E": ("x", (0, (2, 2))),
}
FACTOR_SHORT = {
    "A": "A. Tiếp cận",
    "B": "B. Thủ tục",
    "C": "C. Công chức",
    "D": "D. Kết quả",
    "E": "E. Phản ánh, kiến nghị",
}


def _wrapped(name: str, width: int = 34) -> str:
    """A unit's name on as many lines as it needs (never cut), broken at spaces."""
    return "\n".join(textwrap.wrap(name, width, break_long_words=False)) or name


def ranking_figure(report: Report) -> Figure:
    bars = report.ranking
    labels = [f"{_wrapped(b.name)} (n={number(b.n, 0)})" for b in bars]
    lines = sum(label.count("\n") + 1 for label in labels)
    height = max(2.4, 0.6 + 0.2 * max(lines, 1) + 0.12 * len(bars))
    fig = Figure(figsize=(7.0, height), layout="constrained")
    ax = fig.add_subplot()
    ys = list(range(len(bars)))[::-1]
    values = [b.sipas or 0.0 for b in bars]
    below = [b.sipas is not None and b.target is not None and b.sipas < b.target for b in bars]
    low = [max(0.0, (b.sipas or 0) - b.ci_low) if b.ci_low is not None else 0.0 for b in bars]
    high = [max(0.0, b.ci_high - (b.sipas or 0)) if b.ci_high is not None else 0.0 for b in bars]
    ax.barh(
        ys,
        values,
        color=["white" if x else "#bbbbbb" for x in below],
        edgecolor="black",
        linewidth=0.7,
        hatch=["////" if x else "" for x in below],
        xerr=[low, high],
        error_kw={"ecolor": "black", "capsize": 2, "elinewidth": 0.8},
    )
    targets = sorted({b.target for b in bars if b.target is not None})
    for k, target in enumerate(targets):
        ax.axvline(
            target,
            color="black",
            linestyle=(0, (5, 3)) if k == 0 else (0, (1, 1.5)),
            linewidth=1.1,
            label=f"Mục tiêu {number(target, 0)} %",
        )
    ax.set_yticks(ys, labels)
    lowest = min([b.ci_low for b in bars if b.ci_low is not None] + targets + [100.0])
    ax.set_xlim(max(0.0, 10 * int(lowest / 10) - 10), 100)
    ax.set_xlabel("SIPAS (%), thanh ngang: khoảng tin cậy 95 %")
    title = TITLES["xep_hang"] + (f" — {report.ranking_note}" if report.ranking_note else "")
    ax.set_title(title, loc="left", fontsize=10)
    ax.bar([0], [0], color="#bbbbbb", edgecolor="black", label="Đạt mục tiêu")
    ax.bar([0], [0], color="white", edgecolor="black", hatch="////", label="Dưới mục tiêu")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.5 / height - 0.08),
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    if not bars:
        ax.text(0.5, 0.5, "Không có dữ liệu trong kỳ", transform=ax.transAxes, ha="center")
    return fig


def trend_figure(report: Report) -> Figure:
    fig = Figure(figsize=(7.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    xs = list(range(len(report.trend)))
    for factor, (marker, style) in _MARKERS.items():
        ys = [dict(p.factors).get(factor) for p in report.trend]
        ax.plot(
            xs,
            [y if y is not None else float("nan") for y in ys],
            color="#555555",
            marker=marker,
            markersize=4,
            linestyle=style,
            linewidth=0.9,
            label=FACTOR_SHORT[factor],
            markerfacecolor="white",
        )
    ax.plot(
        xs,
        [p.sipas if p.sipas is not None else float("nan") for p in report.trend],
        color="black",
        marker="s",
        markersize=6,
        linewidth=2.2,
        label="SIPAS",
    )
    target = report.summary.target  # None: no target in force, no line
    if target is not None:
        ax.axhline(
            target,
            color="black",
            linestyle=(0, (5, 3)),
            linewidth=1,
            label=f"Mục tiêu {number(target, 0)} %",
        )
    ax.set_xticks(xs, [f"{p.period}\n(n={number(p.n, 0)})" for p in report.trend])
    values = [
        v for p in report.trend for v in (p.sipas, *dict(p.factors).values()) if v is not None
    ]
    lows = values + ([] if target is None else [target])
    ax.set_ylim(max(0.0, 10 * int(min(lows or [100.0]) / 10) - 10), 100.5)
    ax.set_ylabel("Chỉ số (%)")
    ax.set_title(TITLES["xu_huong"], loc="left", fontsize=10)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=4, fontsize=8, frameon=False)
    return fig


def profile_figure(report: Report) -> Figure:
    fig = Figure(figsize=(7.0, 3.4), layout="constrained")
    ax = fig.add_subplot()
    profile = report.profile
    if profile is None:
        ax.text(
            0.5,
            0.5,
            "Không đủ dữ liệu để so sánh với đơn vị cấp trên",
            transform=ax.transAxes,
            ha="center",
        )
        ax.set_axis_off()
        return fig
    keys = [k for k, _v in profile.unit]
    xs = list(range(len(keys)))
    unit = [v or 0.0 for _k, v in profile.unit]
    parent = [v or 0.0 for _k, v in profile.parent]
    width = 0.38
    ax.bar(
        [x - width / 2 for x in xs],
        unit,
        width,
        color="#444444",
        edgecolor="black",
        label=_wrapped(profile.unit_name, 60),
    )
    ax.bar(
        [x + width / 2 for x in xs],
        parent,
        width,
        color="white",
        edgecolor="black",
        hatch="\\\\\\",
        label=_wrapped(profile.parent_name, 60),
    )
    for x, u, p in zip(xs, unit, parent, strict=True):
        ax.text(x - width / 2, u + 0.6, number(u), ha="center", fontsize=7)
        ax.text(x + width / 2, p + 0.6, number(p), ha="center", fontsize=7)
    ax.set_xticks(xs, [FACTOR_SHORT.get(k, k).replace(". ", ".\n", 1) for k in keys])
    target = report.summary.target
    low = min(unit + parent + ([] if target is None else [target]) or [100.0])
    ax.set_ylim(max(0.0, 10 * int(low / 10) - 10), 103)
    ax.set_ylabel("Chỉ số (%)")
    ax.set_title(TITLES["ho_so"], loc="left", fontsize=10)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=8, frameon=False)
    return fig


BUILDERS = {"xep_hang": ranking_figure, "xu_huong": trend_figure, "ho_so": profile_figure}


PNG_DPI = 170  # one resolution for the PDF (≈ 170 dpi at full width) and the XLSX
_cache: dict[int, tuple[weakref.ref[Report], dict[tuple[str, str, int], bytes]]] = {}
_lock = threading.Lock()


def render(report: Report, key: str, fmt: str, dpi: int = PNG_DPI) -> bytes:
    """One chart as ``svg`` or ``png`` bytes; drawn once per report and format (the XLSX,
    the PDF and the web page of one report share it)."""
    with _lock:
        entry = _cache.get(id(report))
        if entry is None or entry[0]() is not report:
            ident = id(report)
            entry = (weakref.ref(report, lambda _r: _cache.pop(ident, None)), {})
            _cache[ident] = entry
        found = entry[1].get((key, fmt, dpi))
    if found is None:
        found = _draw(report, key, fmt, dpi)
        with _lock:
            entry[1][(key, fmt, dpi)] = found
    return found


def _draw(report: Report, key: str, fmt: str, dpi: int) -> bytes:
    fig = BUILDERS[key](report)
    out = BytesIO()
    fig.savefig(out, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
    return out.getvalue()


def render_all(report: Report, fmt: str, dpi: int = PNG_DPI) -> dict[str, bytes]:
    return {key: render(report, key, fmt, dpi) for key in BUILDERS}
