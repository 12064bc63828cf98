"""The dossier-based measures a province is ranked on (Quyết định 766/QĐ-TTg, group 5).

Indicator 5.4 is computed from dossiers and complaints, not from survey answers:

.. math::

    r_{5.4} = 100 - (\\%\\,\\text{late} + \\%\\,\\text{with a complaint or a dislike})

both shares over the dossiers resolved in the period. At 90 % or more it earns its
maximum points; below, ``points = r × maximum ÷ 90`` (never below 0). Indicator 5.2 is
the share of complaints (phản ánh, kiến nghị) answered within their due days; its points
are taken in proportion, ``points = r × maximum ÷ 100`` (the decision gives the share; the
scale of its points is a setting). Sources disagree on the maxima of 5.1–5.3; 5.4 is 6.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_MAX_POINTS",
    "FULL_POINTS_RATE",
    "ComplaintTimeliness",
    "DossierMeasure",
    "complaint_timeliness",
    "dossier_measure",
]

DEFAULT_MAX_POINTS = 6.0
FULL_POINTS_RATE = 90.0  # indicator 5.4: from this rate on, full points


@dataclass(frozen=True)
class DossierMeasure:
    """Indicator 5.4 of one group with the counts behind it; shares in percent."""

    resolved: int
    early: int
    on_time: int
    late: int
    with_complaint: int
    late_with_apology: int
    late_share: float | None
    complaint_share: float | None
    apology_share: float | None
    rate: float | None
    points: float | None
    max_points: float
    points_lost: float | None


def _check_count(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name}: must be a non-negative integer")


def dossier_measure(
    early: int,
    on_time: int,
    late: int,
    with_complaint: int,
    late_with_apology: int = 0,
    *,
    max_points: float = DEFAULT_MAX_POINTS,
) -> DossierMeasure:
    """Indicator 5.4 from counts of resolved dossiers.

    Parameters
    ----------
    early, on_time, late : int
        Resolved (returned) dossiers by timing; ``resolved`` is their sum.
    with_complaint : int
        Resolved dossiers with a complaint, a recommendation or a "dislike" rating.
    late_with_apology : int
        Late dossiers whose apology letter was sent (``≤ late``).

    Examples
    --------
    200 dossiers, 14 late, 8 with a complaint: 100 − (7 + 4) = 89 % → 89 × 6 ÷ 90 = 5.9333
    points, 0.0667 lost:

    >>> m = dossier_measure(50, 136, 14, 8, 7)
    >>> m.rate, round(m.points, 4), round(m.points_lost, 4), m.apology_share
    (89.0, 5.9333, 0.0667, 50.0)
    """
    for name, value in (
        ("early", early),
        ("on_time", on_time),
        ("late", late),
        ("with_complaint", with_complaint),
        ("late_with_apology", late_with_apology),
    ):
        _check_count(name, value)
    if late_with_apology > late:
        raise ValueError("late_with_apology: must not exceed late")
    if not max_points > 0:
        raise ValueError("max_points: must be positive")
    resolved = early + on_time + late
    if with_complaint > resolved:
        raise ValueError("with_complaint: must not exceed the resolved dossiers")
    if resolved == 0:
        return DossierMeasure(0, 0, 0, 0, 0, 0, None, None, None, None, None, max_points, None)
    late_share = 100.0 * late / resolved
    complaint_share = 100.0 * with_complaint / resolved
    rate = 100.0 - (late_share + complaint_share)
    points = max_points if rate >= FULL_POINTS_RATE else max(rate, 0.0) * max_points / 90.0
    return DossierMeasure(
        resolved=resolved,
        early=early,
        on_time=on_time,
        late=late,
        with_complaint=with_complaint,
        late_with_apology=late_with_apology,
        late_share=late_share,
        complaint_share=complaint_share,
        apology_share=100.0 * late_with_apology / late if late else None,
        rate=rate,
        points=points,
        max_points=max_points,
        points_lost=max_points - points,
    )


@dataclass(frozen=True)
class ComplaintTimeliness:
    """Indicator 5.2: complaints answered within their due days."""

    complaints: int
    on_time: int
    rate: float | None
    points: float | None
    max_points: float


def complaint_timeliness(
    complaints: int, on_time: int, *, max_points: float = DEFAULT_MAX_POINTS
) -> ComplaintTimeliness:
    """Indicator 5.2 from the complaints due in the period and those answered in time.

    Examples
    --------
    >>> c = complaint_timeliness(40, 34)
    >>> c.rate, round(c.points, 2)
    (85.0, 5.1)
    """
    _check_count("complaints", complaints)
    _check_count("on_time", on_time)
    if on_time > complaints:
        raise ValueError("on_time: must not exceed complaints")
    if not max_points > 0:
        raise ValueError("max_points: must be positive")
    if complaints == 0:
        return ComplaintTimeliness(0, 0, None, None, max_points)
    rate = 100.0 * on_time / complaints
    return ComplaintTimeliness(complaints, on_time, rate, rate * max_points / 100.0, max_points)
