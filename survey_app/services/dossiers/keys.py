"""Integration keys: how a source system (the provincial one-stop system, iGate …) sends
dossiers and asks for invitations — never a counter's QR token.

A key is limited to the subtree of one unit, shown once when made (``sipk_`` + 32 random
URL-safe characters), stored only as its SHA-256 hash (a key is long and random, so a plain
hash is enough: nothing to guess), revocable, and every use counted.  Making and revoking
are audited by the caller's page or command.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from survey_app.extensions import db
from survey_app.models import IntegrationKey, Unit, User
from survey_app.models.base import utcnow
from survey_app.services.org import audit, subtree_ids

KEY_PREFIX = "sipk_"
SHOWN_PREFIX = 12  # characters of the key kept in clear to name it in lists and the log


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``secret`` is shown once and never stored."""

    key: IntegrationKey
    secret: str


class KeyProblem(ValueError):
    """A key cannot be made (name taken or empty, unknown unit); the message is Vietnamese
    from the catalogue, translated by the caller."""


def create(name: str, unit: Unit, actor: User | None) -> NewKey:
    """Make a key for ``unit``'s subtree (the caller commits)."""
    name = name.strip()
    if not name:
        raise KeyProblem("Tên khoá không được để trống.")
    if db.session.scalar(select(IntegrationKey.id).where(IntegrationKey.name == name)):
        raise KeyProblem("Đã có khoá tên này.")
    secret = KEY_PREFIX + secrets.token_urlsafe(24)
    key = IntegrationKey(
        name=name,
        unit_id=unit.id,
        prefix=secret[:SHOWN_PREFIX],
        key_hash=_digest(secret),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(key)
    db.session.flush()
    audit.record(
        actor, "key.add", "key", key.id, None, {"name": name, "unit": unit.code, "key": key.prefix}
    )
    return NewKey(key=key, secret=secret)


def revoke(key: IntegrationKey, actor: User | None) -> None:
    """Revoke a key at once (the caller commits); revoking twice changes nothing."""
    if key.revoked_at is not None:
        return
    key.revoked_at = utcnow()
    audit.record(actor, "key.revoke", "key", key.id, {"name": key.name}, None)


def authenticate(raw: str) -> IntegrationKey | None:
    """The live key ``raw`` names, its use counted (in its own small commit), or None."""
    raw = raw.strip()
    if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    key = db.session.scalar(select(IntegrationKey).where(IntegrationKey.key_hash == _digest(raw)))
    if key is None or key.revoked_at is not None:
        return None
    now: datetime = utcnow()
    db.session.execute(
        update(IntegrationKey)
        .where(IntegrationKey.id == key.id)
        .values(use_count=IntegrationKey.use_count + 1, last_used_at=now)
    )
    db.session.commit()
    return key


def unit_ids(key: IntegrationKey) -> set[int]:
    """The units whose dossiers this key may send: its unit and everything below it."""
    return set(subtree_ids([key.unit_id]))


def listing() -> list[IntegrationKey]:
    """Every key, newest first (revoked ones included, marked)."""
    return list(db.session.scalars(select(IntegrationKey).order_by(IntegrationKey.id.desc())))
