"""Enrolling, authenticating, watching and revoking counter tablets.

An enrolment code is 12 characters from an alphabet without look-alikes (60 bits), valid
for :data:`ENROL_MINUTES` and usable once (a conditional UPDATE, so two tablets racing for
one code cannot both win).  The credential the tablet keeps is 32 random bytes, stored as its
SHA-256 digest.  Code issue, enrolment, renaming and revocation are audited in the same
transaction; heartbeats are not (one a minute per tablet would drown the log) — they update
the device row only.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from survey_app.extensions import db
from survey_app.models import Counter, KioskDevice, KioskEnrolment, Unit, User
from survey_app.models.base import utcnow
from survey_app.services import text
from survey_app.services.clock import VN_TZ
from survey_app.services.errors import InputError
from survey_app.services.org import audit, holidays
from survey_app.services.workdays import OpeningHours, unit_opening_hours

ENROL_MINUTES = 15
CODE_LENGTH = 12
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
NAME_MAX = 100
VERSION_MAX = 40
QUEUE_MAX = 1_000_000


class KioskError(InputError):
    """A change an administrator asked for that cannot be made (the message says why)."""


class EnrolRefused(Exception):  # noqa: N818 - a refusal, told to the tablet in one message
    """The code is unknown, expired, already used, or its counter is closed: one answer for
    all, so a guess learns nothing."""


class DeviceRefused(Exception):  # noqa: N818
    """The credential is unknown (``revoked`` False) or the tablet was revoked (True)."""

    def __init__(self, revoked: bool) -> None:
        super().__init__("revoked" if revoked else "unknown")
        self.revoked = revoked


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def normalise_enrol_code(raw: str) -> str:
    """A typed code as issued: spaces and dashes removed, upper case."""
    return "".join(c for c in raw.upper() if c.isalnum())[: CODE_LENGTH * 2]


def shown_code(code: str) -> str:
    """``ABCD-EFGH-JKMN``: easier to read aloud and type on a tablet."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _name(raw: str, fallback: str) -> str:
    name = " ".join(text.clean(raw or "").split())
    if len(name) > NAME_MAX:
        raise KioskError(str(_l("Tên thiết bị dài quá %(n)d ký tự.", n=NAME_MAX)))
    return name or fallback


@dataclass(frozen=True)
class NewCode:
    """A code just made: ``code`` is shown once (only its digest is stored)."""

    enrolment: KioskEnrolment
    code: str

    @property
    def shown(self) -> str:
        return shown_code(self.code)


def create_code(actor: User | None, counter: Counter, name: str) -> NewCode:
    """A one-time enrolment code for ``counter``; the tablet will be called ``name``."""
    if not counter.active:
        raise KioskError(str(_l("Quầy đang ngừng hoạt động; hãy mở lại quầy trước.")))
    device_name = _name(name, str(_l("Máy tính bảng tại %(counter)s", counter=counter.name)))
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    now = utcnow()
    enrolment = KioskEnrolment(
        counter_id=counter.id,
        code_hash=digest(code),
        name=device_name,
        created_at=now,
        created_by_id=actor.id if actor else None,
        expires_at=now + timedelta(minutes=ENROL_MINUTES),
    )
    db.session.add(enrolment)
    db.session.flush()
    audit.record(
        actor, "kiosk.code", "counter", counter.id, None, {"name": device_name, "minutes": 15}
    )
    db.session.commit()
    return NewCode(enrolment, code)


@dataclass(frozen=True)
class Enrolled:
    """A tablet just enrolled: ``credential`` goes to the tablet once, never stored."""

    device: KioskDevice
    credential: str


def enrol(raw_code: str, app_version: str | None = None) -> Enrolled:
    """Use an enrolment code (once, before it expires) and make the tablet's credential."""
    code = normalise_enrol_code(raw_code or "")
    if len(code) != CODE_LENGTH:
        raise EnrolRefused()
    now = utcnow()
    taken = db.session.execute(
        update(KioskEnrolment)
        .where(
            KioskEnrolment.code_hash == digest(code),
            KioskEnrolment.used_at.is_(None),
            KioskEnrolment.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        db.session.rollback()
        raise EnrolRefused()
    enrolment = db.session.scalars(
        select(KioskEnrolment)
        .options(joinedload(KioskEnrolment.counter).joinedload(Counter.unit))
        .where(KioskEnrolment.code_hash == digest(code))
    ).one()
    counter = enrolment.counter
    if not (counter.active and counter.unit.active):
        db.session.rollback()
        raise EnrolRefused()
    credential = secrets.token_urlsafe(32)
    device = KioskDevice(
        counter_id=counter.id,
        name=enrolment.name,
        credential_hash=digest(credential),
        enrolled_at=now,
        enrolled_by_id=enrolment.created_by_id,
        last_seen_at=now,
        app_version=_version(app_version),
        queue_length=0,
    )
    db.session.add(device)
    db.session.flush()
    enrolment.device_id = device.id
    audit.record(
        enrolment.created_by,
        "kiosk.enrol",
        "device",
        device.id,
        None,
        {"counter": counter.code, "unit": counter.unit.code, "name": device.name},
    )
    db.session.commit()
    return Enrolled(device, credential)


def _version(raw: str | None) -> str | None:
    if not raw:
        return None
    return text.clean(str(raw)).strip()[:VERSION_MAX] or None


def authenticate(credential: str) -> KioskDevice:
    """The live tablet holding ``credential``; :class:`DeviceRefused` otherwise (a tablet of
    a closed counter or unit is refused as revoked: it must stop too)."""
    if not credential or len(credential) > 128:
        raise DeviceRefused(revoked=False)
    device = db.session.scalars(
        select(KioskDevice)
        .options(joinedload(KioskDevice.counter).joinedload(Counter.unit))
        .where(KioskDevice.credential_hash == digest(credential))
    ).one_or_none()
    if device is None:
        raise DeviceRefused(revoked=False)
    if device.revoked_at is not None or not device.counter.active or not device.counter.unit.active:
        raise DeviceRefused(revoked=True)
    return device


def heartbeat(device: KioskDevice, queue_length: object, app_version: object) -> None:
    """The tablet is alive: last seen now, its app version and how many ratings wait on it."""
    device.last_seen_at = utcnow()
    if isinstance(queue_length, int) and not isinstance(queue_length, bool):
        device.queue_length = max(0, min(queue_length, QUEUE_MAX))
    if isinstance(app_version, str):
        device.app_version = _version(app_version)
    db.session.commit()


def rename(actor: User | None, device: KioskDevice, name: str) -> None:
    new = _name(name, "")
    if not new:
        raise KioskError(str(_l("Vui lòng nhập tên thiết bị.")))
    if new == device.name:
        return
    audit.record(actor, "kiosk.rename", "device", device.id, {"name": device.name}, {"name": new})
    device.name = new
    db.session.commit()


def revoke(actor: User | None, device: KioskDevice) -> None:
    """Stop the tablet at once: its credential is refused from the next request on."""
    if device.revoked_at is not None:
        return
    device.revoked_at = utcnow()
    audit.record(actor, "kiosk.revoke", "device", device.id, {"active": True}, {"active": False})
    db.session.commit()


def get(device_id: int) -> KioskDevice | None:
    return db.session.get(KioskDevice, device_id)


def for_counter(counter_id: int) -> list[KioskDevice]:
    """The counter's tablets: live ones first, newest enrolment first."""
    return list(
        db.session.scalars(
            select(KioskDevice)
            .where(KioskDevice.counter_id == counter_id)
            .order_by(KioskDevice.revoked_at.is_not(None), KioskDevice.enrolled_at.desc())
        )
    )


def labels(ids: list[str]) -> dict[str, str]:
    """Device id → "name (counter code)" for the audit log."""
    wanted = [int(i) for i in ids if i.isdigit()]
    if not wanted:
        return {}
    rows = db.session.execute(
        select(KioskDevice.id, KioskDevice.name, Counter.code)
        .join(Counter, Counter.id == KioskDevice.counter_id)
        .where(KioskDevice.id.in_(wanted))
    )
    return {str(i): f"{name} ({code})" for i, name, code in rows}


# --- the staff home: is a tablet silent? ----------------------------------------------------


def opening_hours(unit: Unit | None = None) -> OpeningHours:
    """A unit's opening hours (its own, else the setting ``KIOSK_OPENING_HOURS``), read
    against the admin's holidays table."""
    calendar = holidays.calendar()
    hours = unit_opening_hours(unit, str(current_app.config["KIOSK_OPENING_HOURS"]))
    return hours.on(calendar.off, calendar.make_up)


def silent_since(device: KioskDevice, hours: OpeningHours, now: datetime) -> datetime:
    """Since when the tablet counts as silent at ``now``: its last sign of life, or the start
    of today's opening hours if that is later (a tablet switched off overnight is not silent
    the moment the unit opens)."""
    seen = device.last_seen_at or device.enrolled_at
    local = now.astimezone(VN_TZ)
    opened = datetime.combine(local.date(), hours.start, tzinfo=VN_TZ)
    return max(seen, opened) if opened <= now else seen


@dataclass(frozen=True)
class Tablet:
    device: KioskDevice
    counter: Counter
    unit: Unit
    silent: bool  # silent longer than KIOSK_SILENT_MINUTES during opening hours


def tablets(unit_ids: set[int] | None, now: datetime | None = None) -> list[Tablet]:
    """The live tablets of these units (``None``: all), by unit and counter code."""
    now = now or utcnow()
    limit = timedelta(minutes=int(current_app.config["KIOSK_SILENT_MINUTES"]))
    query = (
        select(KioskDevice, Counter, Unit)
        .join(Counter, Counter.id == KioskDevice.counter_id)
        .join(Unit, Unit.id == Counter.unit_id)
        .where(KioskDevice.revoked_at.is_(None), Counter.active.is_(True))
        .order_by(Unit.code, Counter.code, KioskDevice.id)
    )
    if unit_ids is not None:
        if not unit_ids:
            return []
        query = query.where(Unit.id.in_(unit_ids))
    out = []
    open_now: dict[int, bool] = {}
    hours_of: dict[int, OpeningHours] = {}
    for device, counter, unit in db.session.execute(query):
        if unit.id not in hours_of:
            hours_of[unit.id] = opening_hours(unit)
            open_now[unit.id] = hours_of[unit.id].open_at(now)
        since = silent_since(device, hours_of[unit.id], now)
        out.append(Tablet(device, counter, unit, open_now[unit.id] and now - since > limit))
    return out


def counters_in(unit_ids: set[int] | None) -> list[Counter]:
    """The active counters of these units, by unit and counter code (``None``: none listed —
    an administrator reaches every counter from the counters' page instead)."""
    if not unit_ids:
        return []
    return list(
        db.session.scalars(
            select(Counter)
            .join(Unit, Unit.id == Counter.unit_id)
            .where(Counter.unit_id.in_(unit_ids), Counter.active.is_(True))
            .order_by(Unit.code, Counter.code)
        )
    )
