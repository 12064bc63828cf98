"""Dossiers (hồ sơ) from the one-stop system, their single-use invitations, and the keys
the source systems send them with (issue 13).

A dossier is received at one place (unit, optionally a counter) and may be resolved by
another agency (Nghị định 118/2025/NĐ-CP), so it has a receiving and a resolving unit.
Its timing (late, early, on time) is derived, never stored: see
:mod:`survey_app.services.dossiers.rules`.  ``fingerprint`` is a digest of the fields a
source system sends, so that a re-import compares one string per dossier and leaves an
identical dossier alone.

No name, phone or identity number of the citizen is stored: the code is the only link
between a verified response and the person who applied (METHOD §6), and pages that show it
are limited to those who handle a complaint on that response (``access``), with an audit entry.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.org import Counter, Procedure, Unit

# ``da_tra`` returned with a result, ``tu_choi`` refused, ``rut`` withdrawn by the applicant,
# ``dang_xu_ly`` still open.
OUTCOMES = ("da_tra", "tu_choi", "rut", "dang_xu_ly")
CHANNELS = ("truc_tiep", "truc_tuyen_toan_trinh", "truc_tuyen_mot_phan", "buu_chinh")


class Dossier(Base):
    """One dossier (hồ sơ) as the one-stop system knows it."""

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(40))
    # The catalogue's procedure when the code is in it (coverage and measures by procedure).
    procedure_id: Mapped[int | None] = mapped_column(ForeignKey("procedures.id"))
    receiving_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    receiving_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    resolving_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    channel: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_date: Mapped[date] = mapped_column(Date)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Vietnamese local day of ``returned_at`` (periods and coverage count by it).
    returned_day: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(12))
    supplements: Mapped[int] = mapped_column(Integer, default=0)
    apology_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    procedure: Mapped[Procedure | None] = relationship()
    receiving_unit: Mapped[Unit] = relationship(foreign_keys=[receiving_unit_id])
    receiving_counter: Mapped[Counter | None] = relationship()
    resolving_unit: Mapped[Unit] = relationship(foreign_keys=[resolving_unit_id])

    __table_args__ = (
        CheckConstraint(f"outcome IN {OUTCOMES}", name="outcome"),
        CheckConstraint("supplements >= 0", name="supplements"),
        # Covers the 766 measures' count per resolving unit (services/indicators).
        Index(
            "ix_dossiers_resolving_returned_due",
            "resolving_unit_id",
            "returned_day",
            "due_date",
            "apology_sent",
        ),
        Index("ix_dossiers_receiving_returned", "receiving_unit_id", "returned_day"),
        # the newest change: when cached coverage counts are stale (migration 0019)
        Index("ix_dossiers_changed_at", "changed_at"),
    )


class Invitation(Base):
    """The single-use link to rate one dossier (one per dossier).

    ``token`` is random (base58, 10 characters, about 58 bits) and rides in both the long
    and the short URL; it is stored as is because the same invitation asked for again must
    give the same link (an SMS may be sent twice).  ``response_id`` is set in the
    transaction that stores the rating, and ``responses.dossier_id`` is unique, so a double
    tap stores one response.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    token: Mapped[str] = mapped_column(String(20), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    dossier: Mapped[Dossier] = relationship()

    # the newest use: when cached coverage counts are stale (migration 0019)
    __table_args__ = (Index("ix_invitations_used_at", "used_at"),)


class IntegrationKey(Base):
    """A source system's key for ``/api/v1/dossiers`` (not a counter token).

    Limited to the subtree of ``unit_id``; shown once when made, stored only as a SHA-256
    hash (``prefix`` — its first characters — names it in lists); revocable; every use is
    counted.
    """

    __tablename__ = "integration_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    unit: Mapped[Unit] = relationship()
