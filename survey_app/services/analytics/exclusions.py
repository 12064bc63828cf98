"""Inspectors' exclusions of responses from every index, and their count (issue 14).

An inspector may exclude the open responses of a counter-day, or one burst
(:mod:`.trust`), from every index (:func:`exclude`), and restore them (:func:`restore`): the
responses get (or lose) ``exclusion_id``, and the day blocks and half-months of that day are
forgotten in the same transaction (``storage.buckets.forget``, as a bulk load into a past day
does), so every score — ``sipas score``, the office and staff pages, reports — is computed
again without them.  Verified responses are never excluded: each is tied to a dossier
served.  :func:`excluded_count` is the "N responses excluded" every score output states.
Loads no numpy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from survey_app.extensions import db
from survey_app.models import Counter, Response, User
from survey_app.models.trust import Exclusion
from survey_app.services.access.capabilities import Capability, can, roles_with
from survey_app.services.access.scope import role_unit_ids
from survey_app.services.analytics.office import Filters
from survey_app.services.errors import InputError
from survey_app.services.org import audit
from survey_app.services.storage import buckets

REASON_MAX = 500
NO_REASON = _l("Cần ghi lý do.")
LONG_REASON = _l("Lý do quá dài.")
NO_COUNTER = _l("Không tìm thấy quầy.")
BAD_BURST = _l("Đợt gửi không hợp lệ.")
NOTHING = _l("Không có phiếu nào để loại.")
NO_EXCLUSION = _l("Không tìm thấy lần loại phiếu này.")
RESTORED = _l("Lần loại phiếu này đã được khôi phục.")


class ExclusionError(InputError):
    """An exclusion that cannot be made or restored (the message says why)."""


def _scope(user: User) -> set[int] | None:
    """The units whose exclusions the user sees (the inspector pages' scope)."""
    return role_unit_ids(user, roles_with(Capability.VIEW_INTEGRITY))


def _acting_scope(user: User) -> set[int] | None:
    """The units where the user may exclude and restore (``EXCLUDE_RESPONSES``: inspectors
    only, at and below their unit); nothing for anyone else."""
    if not can(user, Capability.EXCLUDE_RESPONSES):
        return set()
    return role_unit_ids(user, roles_with(Capability.EXCLUDE_RESPONSES))


def exclusions(user: User, filters: Filters) -> list[Exclusion]:
    """The exclusions of the scope whose day is in the period (active and restored), newest
    first."""
    ids = _scope(user)
    query = select(Exclusion).where(Exclusion.day >= filters.start, Exclusion.day <= filters.end)
    if ids is not None:
        query = query.where(Exclusion.unit_id.in_(ids))
    return list(
        db.session.scalars(query.order_by(Exclusion.created_at.desc(), Exclusion.id.desc()))
    )


def excluded_count(unit_ids: Iterable[int] | None, first: date | None, last: date | None) -> int:
    """Responses of the units (``None``: all) and local days that an exclusion covers."""
    r = Response.__table__.c
    query = select(func.count(r.id)).where(r.exclusion_id.is_not(None))
    if first is not None:
        query = query.where(r.local_day >= first)
    if last is not None:
        query = query.where(r.local_day <= last)
    if unit_ids is not None:
        query = query.where(r.unit_id.in_(list(unit_ids)))
    return int(db.session.scalar(query) or 0)


# --- exclude and restore --------------------------------------------------------------------


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    if not reason:
        raise ExclusionError(NO_REASON)
    if len(reason) > REASON_MAX:
        raise ExclusionError(LONG_REASON)
    return reason


def _counter_in_scope(user: User, counter_id: int) -> Counter:
    counter = db.session.get(Counter, counter_id)
    ids = _acting_scope(user)
    if counter is None or (ids is not None and counter.unit_id not in ids):
        raise ExclusionError(NO_COUNTER)
    return counter


def exclude(
    user: User,
    counter_id: int,
    day: date,
    reason: str | None,
    client: str | None = None,
    first_at: datetime | None = None,
    last_at: datetime | None = None,
) -> Exclusion:
    """Exclude the open responses of a counter-day (``client`` ``None``) or of one burst
    (``client`` and its ``first_at``–``last_at``) not excluded yet; audited, committed."""
    text = _reason(reason)
    counter = _counter_in_scope(user, counter_id)
    r = Response.__table__.c
    where = [
        r.counter_id == counter.id,
        r.local_day == day,
        r.dossier_id.is_(None),
        r.exclusion_id.is_(None),
    ]
    kind = "quay_ngay"
    if client is not None:
        if first_at is None or last_at is None or first_at > last_at:
            raise ExclusionError(BAD_BURST)
        kind = "dot"
        where += [r.client_hash == client, r.submitted_at >= first_at, r.submitted_at <= last_at]
    ids = list(db.session.scalars(select(r.id).where(*where)))
    if not ids:
        raise ExclusionError(NOTHING)
    entry = Exclusion(
        kind=kind,
        unit_id=counter.unit_id,
        counter_id=counter.id,
        day=day,
        client_hash=client,
        first_at=first_at,
        last_at=last_at,
        n=len(ids),
        reason=text,
        created_by=user,
    )
    db.session.add(entry)
    db.session.flush()
    db.session.execute(update(Response).where(Response.id.in_(ids)).values(exclusion_id=entry.id))
    buckets.forget([day])
    audit.record(
        user,
        "trust.exclude",
        "exclusion",
        entry.id,
        None,
        {
            "kind": kind,
            "counter": counter.code,
            "day": day.isoformat(),
            "n": len(ids),
            "reason": text,
        },
    )
    db.session.commit()
    return entry


def restore(user: User, exclusion_id: int, reason: str | None) -> Exclusion:
    """Put an exclusion's responses back into the indices; audited, committed."""
    text = _reason(reason)
    entry = db.session.get(Exclusion, exclusion_id)
    ids = _acting_scope(user)
    if entry is None or (ids is not None and entry.unit_id not in ids):
        raise ExclusionError(NO_EXCLUSION)
    if entry.restored_at is not None:
        raise ExclusionError(RESTORED)
    db.session.execute(
        update(Response).where(Response.exclusion_id == entry.id).values(exclusion_id=None)
    )
    entry.restored_at = datetime.now(UTC)
    entry.restored_by = user
    entry.restore_reason = text
    buckets.forget([entry.day])
    audit.record(
        user,
        "trust.restore",
        "exclusion",
        entry.id,
        {"n": entry.n},
        {"restored": True, "reason": text},
    )
    db.session.commit()
    return entry
