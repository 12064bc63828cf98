"""Counters and QR tokens for administrators: every change audited in its own transaction.

Each function validates, changes, appends an audit entry (``services.audit``), commits once
and then clears this process's token cache (``org.forget_cached_counters``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from survey_app.extensions import db
from survey_app.models import Counter, CounterToken, Unit, User
from survey_app.services import org
from survey_app.services.org import audit
from survey_app.services.text import clean as clean_text

CODE_RE = re.compile(r"[A-Za-z0-9._-]{1,40}")
NAME_MAX = 200


class CounterError(ValueError):
    """A change that cannot be made; the message is shown to the administrator."""


@dataclass(frozen=True)
class Row:
    counter: Counter
    url: str | None  # the live token's public URL


@dataclass(frozen=True)
class Group:
    unit: Unit
    rows: list[Row]


def grouped() -> list[Group]:
    """Every unit (by code) with every counter (active or not) and its live URL."""
    units = db.session.scalars(
        select(Unit)
        .options(selectinload(Unit.counters).selectinload(Counter.tokens))
        .order_by(Unit.code)
    )
    groups = []
    for unit in units:
        rows = []
        for counter in unit.counters:
            live = org.live_token(counter)
            rows.append(Row(counter, org.public_url(live.token) if live else None))
        groups.append(Group(unit, rows))
    return groups


def get(counter_id: int) -> Counter | None:
    return db.session.get(Counter, counter_id)


def _state(counter: Counter) -> dict[str, Any]:
    live = org.live_token(counter)
    return {
        "unit": counter.unit.code,
        "code": counter.code,
        "name": counter.name,
        "active": counter.active,
        "token": audit.token_prefix(live.token if live else None),
    }


def _commit() -> None:
    db.session.commit()
    org.forget_cached_counters()


def add_counter(actor: User, unit_code: str, code: str, name: str) -> Counter:
    unit_code, code, name = unit_code.strip(), code.strip(), " ".join(clean_text(name).split())
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
    if unit is None:
        raise CounterError(_("Không có đơn vị với mã này."))
    if not CODE_RE.fullmatch(code):
        raise CounterError(
            _("Mã quầy gồm 1–40 ký tự: chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.")
        )
    if not name:
        raise CounterError(_("Vui lòng nhập tên quầy."))
    if len(name) > NAME_MAX:
        raise CounterError(_("Tên quầy dài quá %(n)d ký tự.", n=NAME_MAX))
    taken = db.session.scalar(
        select(Counter.id).where(Counter.unit_id == unit.id, Counter.code == code)
    )
    if taken is not None:
        raise CounterError(_("Đơn vị đã có quầy mã %(code)s.", code=code))
    counter = Counter(unit=unit, code=code, name=name, active=True)
    db.session.add(counter)
    org.issue_token(counter)
    db.session.flush()
    audit.record(actor, "counter.add", "counter", counter.id, None, _state(counter))
    _commit()
    return counter


def set_active(actor: User, counter: Counter, active: bool) -> None:
    if counter.active == active:
        raise CounterError(_("Quầy đang hoạt động.") if active else _("Quầy đã ngừng hoạt động."))
    counter.active = active
    audit.record(
        actor,
        "counter.activate" if active else "counter.deactivate",
        "counter",
        counter.id,
        {"active": not active},
        {"active": active},
    )
    _commit()


def issue(actor: User, counter: Counter) -> CounterToken:
    if org.live_token(counter) is not None:
        raise CounterError(_("Quầy đã có mã QR đang dùng; hãy đổi mã nếu cần."))
    token = org.issue_token(counter)
    audit.record(
        actor,
        "token.issue",
        "counter",
        counter.id,
        {"token": None},
        {"token": audit.token_prefix(token.token)},
    )
    _commit()
    return token


def revoke(actor: User, counter: Counter) -> int:
    live = [audit.token_prefix(t.token) for t in counter.tokens if t.revoked_at is None]
    if not live:
        raise CounterError(_("Quầy không có mã QR nào đang dùng."))
    count = org.revoke_tokens(counter)
    audit.record(actor, "token.revoke", "counter", counter.id, {"tokens": live}, {"tokens": []})
    _commit()
    return count


def rotate(actor: User, counter: Counter) -> CounterToken:
    old = org.live_token(counter)
    token = org.rotate_token(counter)
    audit.record(
        actor,
        "token.rotate",
        "counter",
        counter.id,
        {"token": audit.token_prefix(old.token if old else None)},
        {"token": audit.token_prefix(token.token)},
    )
    _commit()
    return token


def labels(counter_ids: list[str]) -> dict[str, str]:
    """Counter id (as logged) → "UNIT · CODE – name", for the audit log page."""
    ids = [int(i) for i in counter_ids if i.isdigit()]
    rows = db.session.execute(
        select(Counter.id, Unit.code, Counter.code, Counter.name)
        .join(Unit, Unit.id == Counter.unit_id)
        .where(Counter.id.in_(ids))
    )
    return {str(cid): f"{unit} · {code} – {name}" for cid, unit, code, name in rows}
