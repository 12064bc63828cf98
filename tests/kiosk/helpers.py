"""Shared set-up of the kiosk tests: a unit with a counter, an admin, an enrolled tablet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from survey_app.extensions import db
from survey_app.models import Counter, Dossier, Invitation, KioskDevice, Unit, User
from survey_app.services.kiosk import devices

from ..factories import make_counter, make_unit, make_user, seed_questionnaires


@dataclass
class World:
    unit: Unit
    counter: Counter
    admin: User


def make_world(form_start: str = "nhanh") -> World:
    seed_questionnaires()
    parent = make_unit("P", "Tỉnh thử", form_start=form_start)
    unit = make_unit("IN", "Trung tâm bên trong", parent=parent, form_start=form_start)
    counter = make_counter(unit, "Q1", "Quầy số 1")
    admin = make_user("u.admin", "admin", None)
    return World(unit, counter, admin)


def enrolled(world: World, name: str = "Máy 1") -> tuple[KioskDevice, str]:
    code = devices.create_code(world.admin, world.counter, name)
    got = devices.enrol(code.shown, "1")
    return got.device, got.credential


def make_dossier(unit: Unit, code: str = "H15.12-261203-0001", **kw: Any) -> Dossier:
    dossier = Dossier(
        code=code,
        procedure_code="1.004227",
        receiving_unit_id=unit.id,
        resolving_unit_id=unit.id,
        received_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        due_date=date(2026, 12, 10),
        outcome="da_tra",
        fingerprint="f" * 32,
        **kw,
    )
    db.session.add(dossier)
    db.session.flush()
    db.session.add(
        Invitation(
            dossier_id=dossier.id,
            token=code[-10:].replace("-", "x").replace(".", "y"),
            expires_at=datetime(2027, 1, 10, tzinfo=UTC),
        )
    )
    db.session.commit()
    return dossier


def rating(key: str, **kw: Any) -> dict[str, Any]:
    return {"idempotency_key": key, "answers": {"A0": 5, "C0": 4, "Q5": 1}, **kw}
