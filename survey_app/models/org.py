"""The organisation: units (any depth), their counters and QR tokens, procedures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base, UTCDateTime, utcnow

TARGET_GROUPS = ("chung", "dat_dai_xay_dung_dau_tu")
# What a counter's QR card opens: the quick form with "trả lời thêm" towards the unit's
# questionnaire (``nhanh``, the default), or the unit's questionnaire at once (``day_du``).
FORM_STARTS = ("nhanh", "day_du")

unit_procedures = Table(
    "unit_procedures",
    Base.metadata,
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
    Column("procedure_id", ForeignKey("procedures.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    """A node of the unit tree: province, department, commune, one-stop centre …

    Levels are not hard-coded (Vietnam's two-tier local government); ``kind`` is a free label.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(80), default="")
    # The "[Nơi]" of the questionnaire: how the citizen knows the place where they were served.
    place_name: Mapped[str] = mapped_column(String(300), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    questionnaire_id: Mapped[str] = mapped_column(
        ForeignKey("questionnaire_versions.id"), default="sipas-2024-dv"
    )
    # Target group of responses that name no procedure (a land registration office: land).
    target_group: Mapped[str] = mapped_column(String(40), default="chung")
    form_start: Mapped[str] = mapped_column(String(10), default="nhanh", server_default="nhanh")
    # Whether the unit's counter QR cards still take open (unverified) ratings; a unit that
    # invites every dossier may switch them off (issue 13).
    open_qr: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    # "1-5 07:30-17:00" (ISO weekdays, Vietnam time); empty: the setting KIOSK_OPENING_HOURS
    opening_hours: Mapped[str | None] = mapped_column(String(60))
    # A low rating or an integrity answer with a comment opens a complaint by itself (issue 16).
    auto_complaints: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent")
    counters: Mapped[list[Counter]] = relationship(back_populates="unit", order_by="Counter.code")
    procedures: Mapped[list[Procedure]] = relationship(
        secondary=unit_procedures, order_by="Procedure.code"
    )

    __table_args__ = (CheckConstraint(f"target_group IN {TARGET_GROUPS}", name="target_group"),)


class Counter(Base):
    """A counter (quầy) of a unit; the QR card on it carries one of its tokens."""

    __tablename__ = "counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="counters")
    tokens: Mapped[list[CounterToken]] = relationship(
        back_populates="counter", order_by="CounterToken.id"
    )

    __table_args__ = (UniqueConstraint("unit_id", "code"),)


class CounterToken(Base):
    """A random, revocable token that the counter's public URL and kiosk API key carry.

    The token is public by design (it is printed on the counter), so it is stored as is;
    revoking sets ``revoked_at``, rotating revokes the old one and issues a new one.
    """

    __tablename__ = "counter_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    counter: Mapped[Counter] = relationship(back_populates="tokens")


class Procedure(Base):
    """An administrative procedure (mã thủ tục from the national database) and its field."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(200), default="")  # lĩnh vực
    target_group: Mapped[str] = mapped_column(String(40), default="chung")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (CheckConstraint(f"target_group IN {TARGET_GROUPS}", name="target_group"),)


class CacheGeneration(Base):
    """A number raised whenever what a server process may cache changes (``counters``: a
    token revoked, a counter, unit or procedure changed).  Each process compares it with
    the number its cache was filled under — one primary-key read per request — so a change
    made by any process is seen by all of them at the next request."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
