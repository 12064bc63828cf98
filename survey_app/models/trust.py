"""An inspector's exclusion of responses from the indices (issue 14, trust signals).

An exclusion covers the open responses of one counter on one local day (``kind``
``quay_ngay``) or one burst: the open responses of one client hash at one counter between
``first_at`` and ``last_at`` (``kind`` ``dot``).  The responses it covers point at it
(``responses.exclusion_id``); the day blocks and half-months are packed without them.
Restoring clears the pointers and sets ``restored_at``: the row stays, so the history of
every exclusion is kept beside the audit log.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.accounts import User
from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.org import Counter, Unit

KINDS = ("quay_ngay", "dot")


class Exclusion(Base):
    __tablename__ = "trust_exclusions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    day: Mapped[date] = mapped_column(Date)
    client_hash: Mapped[str | None] = mapped_column(String(32))
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    n: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    restored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    restore_reason: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()
    counter: Mapped[Counter | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    restored_by: Mapped[User | None] = relationship(foreign_keys=[restored_by_id])

    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS}", name="kind"),
        Index("ix_trust_exclusions_unit_day", "unit_id", "day"),
    )

    @property
    def active(self) -> bool:
        return self.restored_at is None
