"""Counter tablets (kiosks) and their one-time enrolment codes (issue 15).

A tablet on a counter is enrolled once with a short-lived code that an administrator (or
the unit's head) makes on the counter's page; the tablet then keeps a long-lived device
credential of its own — never the counter's QR token.  Codes and credentials are stored
only as SHA-256 digests (both are long and random: nothing to guess from a plain hash).
``last_seen_at``, ``app_version`` and ``queue_length`` come from the tablet's heartbeat.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.accounts import User
from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.org import Counter


class KioskDevice(Base):
    """One enrolled tablet of a counter; revoking it stops it at once."""

    __tablename__ = "kiosk_devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    credential_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    app_version: Mapped[str | None] = mapped_column(String(40))
    queue_length: Mapped[int | None] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    counter: Mapped[Counter] = relationship()
    enrolled_by: Mapped[User | None] = relationship()


class KioskEnrolment(Base):
    """A one-time enrolment code for a counter: valid for a few minutes, used once."""

    __tablename__ = "kiosk_enrolments"

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))  # the name the tablet will get
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_devices.id"))

    counter: Mapped[Counter] = relationship()
    created_by: Mapped[User | None] = relationship()


class KioskSilence(Base):
    """A tablet silent during its unit's opening hours (``services.kiosk.silence``): from
    ``since`` (its last sign of life, or the opening of the day if later) until it is heard
    again, revoked, or the unit closes (``ended_at``). ``alert_id``: the alert it fired, if
    the unit's ``silent`` rule is on. The digests list these."""

    __tablename__ = "kiosk_silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("kiosk_devices.id"), index=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when it was noticed
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"))

    device: Mapped[KioskDevice] = relationship()
    counter: Mapped[Counter] = relationship()

    __table_args__ = (
        Index("ix_kiosk_silences_unit_since", "unit_id", "since"),
        # One open silence per tablet, even with two workers checking at once.
        Index(
            "uq_kiosk_silences_open",
            "device_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )
