"""Responses and what is kept beside them for reading them fast.

Pages and reports never parse the responses' JSON for a closed day: each closed day keeps
its responses packed per unit (:class:`DayBlock`, about 40 bytes a response) and each
closed half-month its sufficient statistics per unit × target group × questionnaire
(:class:`StatsBucket`); only the open day's responses are read from this table.  The
derived tables carry no foreign keys (unit 0 marks a computed day or half-month) so they
write alike on SQLite and PostgreSQL.
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

from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.org import Counter, Procedure, Unit

SOURCES = ("qr", "kiosk", "api", "paper", "invitation")


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
    # Set on a verified response: made through its dossier's invitation (issue 13). Unique,
    # so one dossier has at most one response; never exported, never shown to counter staff.
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    # The counter tablet that sent it (source ``kiosk``, issue 15).
    device_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_devices.id"))
    # A keyed hash of the client's address for this local day (open QR form only, issue 14):
    # bursts from one client are found by it; it cannot be linked across days or reversed.
    client_hash: Mapped[str | None] = mapped_column(String(32))
    # Set while an inspector's exclusion covers it: left out of every index (issue 14).
    exclusion_id: Mapped[int | None] = mapped_column(ForeignKey("trust_exclusions.id"))

    unit: Mapped[Unit] = relationship()
    counter: Mapped[Counter | None] = relationship()
    procedure: Mapped[Procedure | None] = relationship()

    __table_args__ = (
        UniqueConstraint("counter_id", "idempotency_key"),
        UniqueConstraint("unit_id", "receipt_hash"),
        Index("ix_responses_unit_day", "unit_id", "local_day"),
        Index("ix_responses_local_day", "local_day"),
        Index("uq_responses_dossier_id", "dossier_id", unique=True),
        Index("ix_responses_exclusion_id", "exclusion_id"),
    )

    @property
    def verified(self) -> bool:
        """Made through a dossier's invitation (rather than an open QR card or kiosk)."""
        return self.dossier_id is not None

    def public_dict(self) -> dict[str, Any]:
        return {"id": self.id, "questionnaire": self.questionnaire_id}


class StatsBucket(Base):
    """Sufficient statistics (``scoring.SufficientStats``) of a closed half-month.

    Half-months (the 1st–14th and the 15th–last day) tile both calendar periods and the
    government reporting periods with their 15th cut-off, so any month, quarter, half or year
    of either kind is a sum of buckets.  Buckets are computed from the half-month's
    :class:`DayBlock` rows once it is over and stored as an int32 vector; a bulk load into a
    past half-month deletes the buckets it touches so they are computed again.

    A bucket is a unit × target group × questionnaire cell (``dimension`` ""), or that cell
    broken down by one more ``dimension`` — ``channel`` (``value`` the channel, "" unknown)
    or ``procedure`` (``value`` the procedure id, "0" none) or ``verified`` (``value`` "1",
    or "" for open responses) — computed the first time a
    page asks for that breakdown.  A marker row per half-month and dimension (``unit_id``
    0) records that it was computed.
    """

    __tablename__ = "stats_buckets"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(Integer)
    target_group: Mapped[str] = mapped_column(String(40))
    questionnaire_id: Mapped[str] = mapped_column(String(60))
    dimension: Mapped[str] = mapped_column(String(20), default="", server_default="")
    value: Mapped[str] = mapped_column(String(60), default="", server_default="")
    n: Mapped[int] = mapped_column(Integer)
    # Of ``n``, the verified respondents (made through a dossier's invitation, issue 13).
    n_verified: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    stats: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint(
            "period_start",
            "dimension",
            "value",
            "unit_id",
            "target_group",
            "questionnaire_id",
            name="uq_stats_buckets_cell",
        ),
        Index("ix_stats_buckets_unit", "unit_id", "period_start"),
    )


class DayBlock(Base):
    """One unit's responses of one closed local day, packed as columns (:mod:`survey_app.
    services.daystats`): counter, procedure, target group, channel, questionnaire and the
    answers (one ``int8`` per item code present), ``n`` responses in ``data``; ``layout``
    (JSON) names the item codes and the texts the packed columns point to.

    About 40 bytes a response (no JSON to parse): the pages and reports read these for
    closed days instead of the responses, and compute the statistics of exactly the groups
    they need.  A day is stored whole or not at all: a marker row (``unit_id`` 0, ``n`` =
    the day's responses) records that it was computed.  Bulk loads merge into the blocks of
    a stored day in their transaction; forgetting a day deletes its rows so it is packed
    again from the responses.
    """

    __tablename__ = "day_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    layout: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (
        UniqueConstraint("day", "unit_id", name="uq_day_blocks_day_unit"),
        Index("ix_day_blocks_unit_day", "unit_id", "day"),
    )
