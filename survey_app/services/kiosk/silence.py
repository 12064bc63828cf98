"""Silent tablets (issue 16): a live tablet not heard from during its unit's opening hours.

:func:`check` is the queue's ``kiosk.silent`` task (every :data:`EVERY_MINUTES` minutes):

1. It ends the open silences (:class:`~survey_app.models.KioskSilence`) that are over: the
   tablet was heard again (ended at its new last sign of life), it was revoked or its counter
   closed (ended now), or its unit closed (ended at the end of that day's opening hours).
2. For each live tablet of a unit open now (:func:`devices.opening_hours`: the unit's own
   hours or the setting, a public holiday closed), silent since
   :func:`devices.silent_since` (its last sign of life, or today's opening if later) for at
   least the unit's minutes — its active ``silent`` rule's ``window_minutes``, else the
   setting ``KIOSK_SILENT_MINUTES`` — and without an open silence: a new silence. So a
   silence is noticed once, whatever the rule says; the digests list them.
3. When the unit's ``silent`` rule is on, the new silences of a counter fire one alert
   (:func:`survey_app.services.alerts.fire`: at most once per window per counter), listing
   the counter's silent tablets; it goes out by e-mail and webhook like any alert.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey_app.extensions import db
from survey_app.models import AlertRule, Counter, KioskDevice, KioskSilence, Unit
from survey_app.models.base import utcnow
from survey_app.services import alerts
from survey_app.services.clock import VN_TZ
from survey_app.services.kiosk import devices

TASK = "kiosk.silent"
EVERY_MINUTES = 2


def silent_rules() -> dict[int, AlertRule]:
    """unit id → its active ``silent`` rule."""
    rules = db.session.scalars(
        select(AlertRule).where(AlertRule.kind == "silent", AlertRule.active.is_(True))
    )
    return {r.unit_id: r for r in rules}


def minutes_for(rule: AlertRule | None) -> int:
    """How long a tablet may be silent: the rule's minutes, else ``KIOSK_SILENT_MINUTES``."""
    if rule is not None:
        return int(rule.window_minutes)
    return int(current_app.config["KIOSK_SILENT_MINUTES"])


def _closing(unit: Unit, since: datetime) -> datetime:
    """The end of the opening hours of the day ``since`` falls on."""
    hours = devices.opening_hours(unit)
    local = since.astimezone(VN_TZ)
    return datetime.combine(local.date(), hours.end, tzinfo=VN_TZ)


def _end_over(now: datetime) -> int:
    """Step 1: end the silences that are over; returns how many."""
    rows = db.session.execute(
        select(KioskSilence, KioskDevice, Counter, Unit)
        .join(KioskDevice, KioskDevice.id == KioskSilence.device_id)
        .join(Counter, Counter.id == KioskSilence.counter_id)
        .join(Unit, Unit.id == KioskSilence.unit_id)
        .where(KioskSilence.ended_at.is_(None))
    ).all()
    ended = 0
    for silence, device, counter, unit in rows:
        seen = device.last_seen_at
        closing = _closing(unit, silence.since)
        if seen is not None and (silence.last_seen_at is None or seen > silence.last_seen_at):
            silence.ended_at = min(max(seen, silence.since), closing)
        elif device.revoked_at is not None or not counter.active or not unit.active:
            silence.ended_at = min(now, closing)
        elif now >= closing or not devices.opening_hours(unit).open_at(now):
            silence.ended_at = min(now, closing)
        else:
            continue
        ended += 1
    return ended


@dataclass(frozen=True)
class Checked:
    ended: int
    noticed: list[KioskSilence]
    alerts: int


def check(now: datetime | None = None) -> Checked:
    """One round (see the module's docstring); safe to run at any time, any number of times."""
    now = now or utcnow()
    ended = _end_over(now)
    db.session.commit()
    rules = silent_rules()
    open_ids = {
        s.device_id
        for s in db.session.scalars(select(KioskSilence).where(KioskSilence.ended_at.is_(None)))
    }
    noticed: list[KioskSilence] = []
    by_counter: dict[int, list[tuple[KioskSilence, KioskDevice]]] = defaultdict(list)
    for tablet in devices.tablets(None, now):
        unit = tablet.unit
        if tablet.device.id in open_ids or not unit.active:
            continue
        hours = devices.opening_hours(unit)
        if not hours.open_at(now):
            continue
        since = devices.silent_since(tablet.device, hours, now)
        if now - since < timedelta(minutes=minutes_for(rules.get(unit.id))):
            continue
        silence = KioskSilence(
            device_id=tablet.device.id,
            counter_id=tablet.counter.id,
            unit_id=unit.id,
            since=since,
            last_seen_at=tablet.device.last_seen_at,
            noticed_at=now,
        )
        db.session.add(silence)
        noticed.append(silence)
        by_counter[tablet.counter.id].append((silence, tablet.device))
    try:
        db.session.commit()
    except IntegrityError:  # another worker noticed them in the same moment: its round
        db.session.rollback()
        return Checked(ended, [], 0)
    fired = 0
    for counter_id, found in by_counter.items():
        unit_id = found[0][0].unit_id
        rule = rules.get(unit_id)
        if rule is None:
            continue
        details = {
            "minutes": rule.window_minutes,
            "window": rule.window_minutes,
            "devices": [
                {
                    "id": device.id,
                    "name": device.name,
                    "since": silence.since.astimezone(VN_TZ).strftime("%H:%M"),
                    "silent_minutes": int((now - silence.since).total_seconds() // 60),
                }
                for silence, device in found
            ],
        }
        alert = alerts.fire(rule, unit_id, counter_id, now, details)
        if alert is not None:
            fired += 1
            for silence, _device in found:
                silence.alert_id = alert.id
            db.session.commit()
    return Checked(ended, noticed, fired)


@dataclass(frozen=True)
class SilenceLine:
    """One silence, for a digest."""

    counter: str
    device: str
    day: date
    since: datetime  # Vietnam time
    until: datetime | None  # Vietnam time; None: still silent

    @property
    def minutes(self) -> int | None:
        if self.until is None:
            return None
        return int((self.until - self.since).total_seconds() // 60)


def silences(unit_ids: list[int], first: date, last: date) -> list[SilenceLine]:
    """The silences of these units that began on these local days, oldest first."""
    if not unit_ids:
        return []
    start = datetime.combine(first, datetime.min.time(), tzinfo=VN_TZ)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=VN_TZ)
    rows = db.session.execute(
        select(KioskSilence, KioskDevice.name, Counter.name, Counter.code)
        .join(KioskDevice, KioskDevice.id == KioskSilence.device_id)
        .join(Counter, Counter.id == KioskSilence.counter_id)
        .where(
            KioskSilence.unit_id.in_(unit_ids),
            KioskSilence.since >= start,
            KioskSilence.since < end,
        )
        .order_by(KioskSilence.since, KioskSilence.id)
    )
    out = []
    for silence, device_name, counter_name, counter_code in rows:
        since = silence.since.astimezone(VN_TZ)
        until = silence.ended_at.astimezone(VN_TZ) if silence.ended_at else None
        out.append(
            SilenceLine(f"{counter_name} ({counter_code})", device_name, since.date(), since, until)
        )
    return out
