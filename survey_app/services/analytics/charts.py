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

RC = {
    "svg.fonttype": "none",
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 11,
    "svg.hashsalt": "sipas",
}


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
    with matplotlib.rc_context(RC):  # type: ignore[arg-type]  # stubs want literal keys
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
        ax.set_ylabel(labels.y_axis)
        ax.set_title(labels.title, loc="left", fontsize=11)
        ax.xaxis.set_major_locator(DayLocator(bymonthday=(1, 8, 15, 22)))
        ax.xaxis.set_major_formatter(DateFormatter("%d/%m"))
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
            )
        ax.plot([], [], color="#555555", linewidth=1, label=labels.interval)
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=9, frameon=False, ncols=2
        )
        out = BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
