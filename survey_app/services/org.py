"""The organisation: counters by token, token issue/revoke/rotate, links for QR cards."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Counter, CounterToken, Unit

TOKEN_BYTES = 18  # 24 URL-safe characters, 144 bits: not guessable, short in a QR code


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def counter_by_token(token: str) -> Counter | None:
    """The active counter a live token belongs to, or ``None`` (revoked, unknown, inactive)."""
    if not token or len(token) > 64:
        return None
    row = db.session.execute(
        select(Counter)
        .join(CounterToken, CounterToken.counter_id == Counter.id)
        .join(Unit, Unit.id == Counter.unit_id)
        .options(joinedload(Counter.unit))
        .where(CounterToken.token == token, CounterToken.revoked_at.is_(None),
               Counter.active.is_(True), Unit.active.is_(True))
    ).scalar_one_or_none()
    return row


def issue_token(counter: Counter) -> CounterToken:
    """Add a live token to a counter (the caller commits)."""
    token = CounterToken(counter=counter, token=new_token())
    db.session.add(token)
    return token


def revoke_tokens(counter: Counter) -> int:
    """Revoke every live token of a counter; returns how many (the caller commits)."""
    now = datetime.now(UTC)
    live = [t for t in counter.tokens if t.revoked_at is None]
    for t in live:
        t.revoked_at = now
    return len(live)


def rotate_token(counter: Counter) -> CounterToken:
    revoke_tokens(counter)
    return issue_token(counter)


def live_token(counter: Counter) -> CounterToken | None:
    return next((t for t in reversed(counter.tokens) if t.revoked_at is None), None)


def public_url(token: str) -> str:
    return f"{current_app.config['BASE_URL']}/f/{token}"


@dataclass(frozen=True)
class Link:
    unit_code: str
    unit_name: str
    counter_code: str
    counter_name: str
    url: str


def unit_subtree_ids(code: str) -> list[int] | None:
    """Ids of the unit with this code and all its descendants; ``None`` if no such unit."""
    root = db.session.scalar(select(Unit).where(Unit.code == code))
    if root is None:
        return None
    ids, frontier = [root.id], [root.id]
    while frontier:
        frontier = list(db.session.scalars(select(Unit.id).where(Unit.parent_id.in_(frontier))))
        ids.extend(frontier)
    return ids


def links(unit_ids: list[int] | None = None) -> list[Link]:
    """Each active counter's public URL, issuing a token to counters that have none."""
    query = (select(Counter).join(Unit).options(joinedload(Counter.unit))
             .where(Counter.active.is_(True), Unit.active.is_(True))
             .order_by(Unit.code, Counter.code))
    if unit_ids is not None:
        query = query.where(Counter.unit_id.in_(unit_ids))
    result: list[Link] = []
    issued = False
    for counter in db.session.scalars(query).unique():
        token = live_token(counter)
        if token is None:
            token, issued = issue_token(counter), True
        result.append(Link(counter.unit.code, counter.unit.name, counter.code, counter.name,
                           public_url(token.token)))
    if issued:
        db.session.commit()
    return result
