"""Responses and the statistics kept beside them.

Scoring never reads answers one by one: closed days keep their sufficient statistics per cell
(:class:`DayStat`, unit × counter × procedure × target group × channel × questionnaire) and
closed half-months theirs (:class:`StatsBucket`); only the open day's answers are read.  The
statistics tables carry no foreign keys (``counter_id`` 0 means "no counter", ``channel`` ""
means unknown) so the cells write alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, utcnow
from .org import Counter, Procedure, Unit

SOURCES = ("qr", "kiosk", "api", "paper")


class QuestionnaireVersion(Base):
    """A questionnaire version that responses may reference (definitions live in ``forms/``)."""

    __tablename__ = "questionnaire_versions"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Response(Base):
    """One citizen's answers. No name, phone or identity number is ever stored."""

    __tablename__ = "responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[str] = mapped_column(ForeignKey("questionnaire_versions.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"))
    target_group: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(40))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    local_day: Mapped[date] = mapped_column(Date)  # the day in Asia/Ho_Chi_Minh
    answers: Mapped[dict[str, int]] = mapped_column(JSON)
    comment: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    receipt_hash: Mapped[str | None] = mapped_column(String(64))

    unit: Mapped[Unit] = relationship()
    counter: Mapped[Counter | None] = relationship()
    procedure: Mapped[Procedure | None] = relationship()

    __table_args__ = (
        UniqueConstraint("counter_id", "idempotency_key"),
        UniqueConstraint("unit_id", "receipt_hash"),
        Index("ix_responses_unit_day", "unit_id", "local_day"),
        Index("ix_responses_local_day", "local_day"),
    )

    def public_dict(self) -> dict[str, Any]:
        return {"id": self.id, "questionnaire": self.questionnaire_id}


class StatsBucket(Base):
    """Sufficient statistics (``scoring.SufficientStats``) of a closed half-month.

    Half-months (the 1st–14th and the 15th–last day) tile both calendar periods and the
    government reporting periods with their 15th cut-off, so any month, quarter, half or year
    of either kind is a sum of buckets.  Buckets are summed from the half-month's
    :class:`DayStat` rows once it is over and stored as an int32 vector; a bulk load into a
    past half-month deletes the buckets it touches so they are computed again.
    """

    __tablename__ = "stats_buckets"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(Integer)
    target_group: Mapped[str] = mapped_column(String(40))
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    n: Mapped[int] = mapped_column(Integer)
    stats: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("period_start", "unit_id", "target_group", "questionnaire_id",
                         name="uq_stats_buckets_cell"),
        Index("ix_stats_buckets_unit", "unit_id", "period_start"),
    )


class DayStat(Base):
    """Sufficient statistics (``scoring.SufficientStats``, int32 vector) of one closed day's
    responses in one cell: unit × counter × procedure × target group × channel ×
    questionnaire (``counter_id``/``procedure_id`` 0 = none, ``channel`` "" = unknown).

    A day's statistics are stored whole or not at all: a marker row (``unit_id`` 0, empty
    strings, ``n`` = the day's responses) records that the day was computed.  Bulk loads
    add to the cells of a stored day in their transaction; forgetting a day deletes its rows
    so it is computed again from the responses.
    """

    __tablename__ = "day_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(Integer)
    counter_id: Mapped[int] = mapped_column(Integer)
    procedure_id: Mapped[int] = mapped_column(Integer, server_default="0")  # 0: none
    target_group: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    n: Mapped[int] = mapped_column(Integer)
    stats: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("day", "unit_id", "counter_id", "procedure_id", "target_group",
                         "channel", "questionnaire_id", name="uq_day_stats_cell"),
    )
