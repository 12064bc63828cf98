"""Staff accounts and the roles they hold at units. No personal data beyond the username."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.models.base import Base, UTCDateTime, utcnow
from survey_app.models.org import Counter, Unit

ROLES = ("staff", "unit_head", "office", "inspector", "admin")


class User(Base):
    """A staff account. ``active`` False disables it; ``locked_until`` is the lockout's end."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised by sign-out, disabling and enabling: every session opened before ends.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    roles: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", order_by="RoleAssignment.id", cascade="all, delete-orphan"
    )

    # Flask-Login's user interface, spelled out (no UserMixin: ``is_active`` must follow
    # ``active``).
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The session's user id: the account's id and a stamp of its password hash and
        session epoch, so that a new password (changed or reset), a sign-out or disabling
        the account ends every session opened before."""
        return f"{self.id}.{self.session_stamp}"

    @property
    def session_stamp(self) -> str:
        """16 hex digits derived from the password hash (which is salted: a new password,
        even the same one again, gives a new stamp) and ``session_epoch``.  The hash itself
        never reaches the cookie."""
        material = f"{self.password_hash}\x00{self.session_epoch or 0}"
        return hashlib.blake2b(
            material.encode(), digest_size=8, person=b"sipas-session"
        ).hexdigest()


class RoleAssignment(Base):
    """A role held at a unit (and the units below it); ``admin`` needs no unit.

    ``counter_id`` narrows a ``staff`` assignment to one counter of the unit.
    """

    __tablename__ = "role_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))

    user: Mapped[User] = relationship(back_populates="roles")
    unit: Mapped[Unit | None] = relationship()
    counter: Mapped[Counter | None] = relationship()

    __table_args__ = (
        CheckConstraint(f"role IN {ROLES}", name="role"),
        CheckConstraint("role = 'admin' OR unit_id IS NOT NULL", name="unit_required"),
        UniqueConstraint("user_id", "role", "unit_id", "counter_id"),
    )
