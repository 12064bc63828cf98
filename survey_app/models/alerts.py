"""Alert rules per unit, the alerts they fired, webhooks and the deliveries of alerts.

A rule is evaluated as responses arrive (a task of the queue); an alert fires at most once
per window per counter (``slot``: the window's number since the epoch, unique with the rule
and counter, so two workers racing cannot both fire). Deliveries (e-mail, webhook) are rows
with their attempts and last error, retried by the queue.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.accounts import User
from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.org import Counter, Unit

# low_share: share of low ratings over a window; integrity: any Q5/Q6 answer 2–3;
# silent: a counter tablet silent during opening hours (services.kiosk.silence, every few
# minutes; window_minutes is how long a tablet may be silent).
# digest / digest_weekly: not alerts but the daily (17:00) and weekly (Monday 08:00) e-mails
# to the rule's addresses (services.digests).
RULE_KINDS = ("low_share", "integrity", "silent", "digest", "digest_weekly")
CHANNELS = ("email", "webhook")
DELIVERY_STATUSES = ("pending", "sent", "failed")


class AlertRule(Base):
    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(20))
    threshold_percent: Mapped[float] = mapped_column(Float, default=40.0)
    window_minutes: Mapped[int] = mapped_column(Integer, default=60)
    min_responses: Mapped[int] = mapped_column(Integer, default=5)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # E-mail addresses the alerts go to, one per line (integrity: the unit's inspectors).
    emails: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()

    __table_args__ = (
        UniqueConstraint("unit_id", "kind"),
        CheckConstraint(f"kind IN {RULE_KINDS}", name="kind"),
    )

    @property
    def email_list(self) -> list[str]:
        return [e.strip() for e in self.emails.replace(",", "\n").splitlines() if e.strip()]


class Alert(Base):
    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    kind: Mapped[str] = mapped_column(String(20))
    slot: Mapped[int] = mapped_column(Integer)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # n, low, share, window, items {code: count} — never a comment, never a person.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    rule: Mapped[AlertRule] = relationship()
    unit: Mapped[Unit] = relationship()
    counter: Mapped[Counter | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint("rule_id", "counter_id", "slot"),
        Index("ix_alerts_unit_fired", "unit_id", "fired_at"),
    )


class Webhook(Base):
    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()


class DigestMail(Base):
    """A digest as it was written when it was due (daily or weekly, one per rule and period):
    its deliveries send exactly this text, also when sent again from the log."""

    __tablename__ = "digest_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(20))  # digest / digest_weekly
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()

    __table_args__ = (UniqueConstraint("rule_id", "first_day", "last_day"),)


class Delivery(Base):
    """One e-mail or webhook call: of an alert, or of a digest (exactly one of the two)."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digest_mails.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(500))  # the address, or the webhook's URL
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    alert: Mapped[Alert | None] = relationship()
    digest: Mapped[DigestMail | None] = relationship()
    webhook: Mapped[Webhook | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"channel IN {CHANNELS}", name="channel"),
        CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="status"),
        CheckConstraint("(alert_id IS NULL) <> (digest_id IS NULL)", name="what"),
    )

    @property
    def unit_id(self) -> int:
        """The unit whose alert or digest this is (who may see it in the log)."""
        if self.alert is not None:
            return self.alert.unit_id
        assert self.digest is not None
        return self.digest.unit_id
