"""The working-day calendar as data the admin edits (issue 16): public holidays (``nghi``)
and make-up working days (``lam_bu``, a Saturday worked in exchange for a bridge day).

Seeded from ``survey_app/data/holidays.json`` by migration 0019; read by
``services.holidays`` for ``services.workdays``' pure arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.models.base import Base, UTCDateTime, utcnow

HOLIDAY_KINDS = ("nghi", "lam_bu")


class Holiday(Base):
    """One day that breaks the Monday–Friday rule: a day off, or a make-up working day."""

    __tablename__ = "holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(10), default="nghi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (CheckConstraint(f"kind IN {HOLIDAY_KINDS}", name="kind"),)
