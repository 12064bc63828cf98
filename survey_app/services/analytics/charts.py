"""Server-rendered charts: ``matplotlib.figure.Figure`` straight to SVG bytes (never pyplot).

Chart builders take scoring results (:class:`~.results.ScoredGroup`) and return bytes.
Text stays text in the SVG (``svg.fonttype = none``), so Vietnamese labels keep their
diacritics, are searchable, and are drawn with the reader's fonts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from io import BytesIO

import matplotlib
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.dates import DateFormatter, DayLocator
from matplotlib.figure import Figure

from survey_app.services.analytics.results import ScoredGroup

# matplotlib's settings are process-wide, and a server draws in several threads at once:
# ``rc_context`` there lets one thread's settings leak into another's drawing (a QR card lost
# its TrueType fonts that way). So the settings every chart of sipas shares are set once, here,
# when the first chart module is imported, and never changed; what differs between charts
# (font sizes) is passed to each figure's artists.
RC = {
    "svg.fonttype": "none",  # SVG text stays text: diacritics, search, the reader's fonts
    "pdf.fonttype": 42,  # PDF: TrueType, which Vietnamese needs
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,  # the report charts'; the staff trend passes its own
    "svg.hashsalt": "sipas",
    "hatch.linewidth": 0.6,
}
FONT_SIZE = 11


def use_settings() -> None:
    """Set :data:`RC` (the same values every time: safe to call again from any module)."""
    matplotlib.rcParams.update(RC)  # type: ignore[arg-type]  # stubs want literal keys


use_settings()


@dataclass(frozen=True, slots=True)
class TrendLabels:
    """Every word on the chart (translated by the caller)."""

    title: str
    y_axis: str
    target: str
    interval: str
    enough: str
    few: str
    empty: str


def trend_svg(
    points: Sequence[tuple[date, ScoredGroup]],
    first: date,
    last: date,
    labels: TrendLabels,
    min_n: int = 30,
    target: float = 90.0,
) -> bytes:
    """Daily SIPAS with 95 % interval bars and a dashed target line, as SVG bytes.

    ``points`` are (day, scores) pairs. Days with at least ``min_n`` respondents are filled
    squares, others hollow circles, so the chart reads in black and white.
    """
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    FigureCanvasSVG(fig)
    ax = fig.add_subplot()
    ax.axhline(target, color="black", linestyle=(0, (5, 3)), linewidth=1.2, label=labels.target)
    for enough in (True, False):
        chosen = [
            (d, r.sipas.index, r.sipas)
            for d, r in points
            if r.sipas.index is not None and (r.n >= min_n) is enough
        ]
        if not chosen:
            continue
        xs = [d for d, _i, _s in chosen]
        ys = [i for _d, i, _s in chosen]
        low = [i - (s.ci_low if s.ci_low is not None else i) for _d, i, s in chosen]
        high = [(s.ci_high if s.ci_high is not None else i) - i for _d, i, s in chosen]
        ax.errorbar(
            xs,  # type: ignore[arg-type]  # dates: matplotlib's date units
            ys,
            yerr=[low, high],
            fmt="s" if enough else "o",
            color="black",
            markerfacecolor="black" if enough else "white",
            markersize=5,
            ecolor="#555555",
            elinewidth=1,
            capsize=2,
            label=labels.enough if enough else labels.few,
        )
    ax.set_xlim(first - timedelta(days=1), last + timedelta(days=1))  # type: ignore[arg-type]
    ax.set_ylim(0, 102)
    ax.set_ylabel(labels.y_axis, fontsize=FONT_SIZE)
    ax.set_title(labels.title, loc="left", fontsize=FONT_SIZE)
    ax.xaxis.set_major_locator(DayLocator(bymonthday=(1, 8, 15, 22)))
    ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))
    ax.tick_params(labelsize=FONT_SIZE)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if not points:
        ax.text(
            0.5,
            0.5,
            labels.empty,
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#333333",
            fontsize=FONT_SIZE,
        )
    ax.plot([], [], color="#555555", linewidth=1, label=labels.interval)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=9, frameon=False, ncols=2)
    out = BytesIO()
    fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
