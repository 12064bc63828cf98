"""A demo province with units, counters, procedures and realistic synthetic responses."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import numpy as np
from sqlalchemy import func, insert, select

import forms

from ..extensions import db
from ..models import Counter, Procedure, Response, Unit, User
from . import accounts, org
from .responses import VN_TZ, add_to_counts

DEMO_ROOT = "MC"

# (code, name, field, target group)
PROCEDURES = [
    ("2.000889", "Đăng ký khai sinh", "Hộ tịch", "chung"),
    ("1.001193", "Đăng ký kết hôn", "Hộ tịch", "chung"),
    ("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "chung"),
    ("2.001612", "Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh",
     "chung"),
    ("1.004227", "Đăng ký đất đai, tài sản gắn liền với đất lần đầu", "Đất đai",
     "dat_dai_xay_dung_dau_tu"),
    ("1.003010", "Đăng ký biến động quyền sử dụng đất", "Đất đai", "dat_dai_xay_dung_dau_tu"),
    ("1.009972", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", "dat_dai_xay_dung_dau_tu"),
    ("1.009645", "Chấp thuận chủ trương đầu tư", "Đầu tư tại Việt Nam",
     "dat_dai_xay_dung_dau_tu"),
    ("2.001827", "Cấp giấy chứng nhận đăng ký đầu tư", "Đầu tư tại Việt Nam",
     "dat_dai_xay_dung_dau_tu"),
]


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    kind: str
    place: str
    parent: str | None
    counters: int
    procedures: tuple[str, ...]
    target_group: str = "chung"
    level: float = 0.0  # latent satisfaction shift: the realistic variation between units


UNITS = [
    DemoUnit(DEMO_ROOT, "Tỉnh Minh Châu (dữ liệu mẫu)", "Tỉnh", "", None, 0, ()),
    DemoUnit("MC.TTHCC", "Trung tâm Phục vụ hành chính công tỉnh Minh Châu", "Trung tâm",
             "Trung tâm Phục vụ hành chính công", DEMO_ROOT, 3,
             ("2.001612", "1.009645", "2.001827", "1.009972"), level=1.0),
    DemoUnit("MC.VPDK", "Văn phòng Đăng ký đất đai tỉnh Minh Châu", "Văn phòng đăng ký",
             "Văn phòng Đăng ký đất đai", DEMO_ROOT, 2, ("1.004227", "1.003010"),
             target_group="dat_dai_xay_dung_dau_tu", level=0.1),
    DemoUnit("MC.BH", "Phường Bến Hải", "Phường", "", DEMO_ROOT, 0, ()),
    DemoUnit("MC.BH.MC", "Bộ phận Một cửa phường Bến Hải", "Bộ phận Một cửa",
             "Bộ phận Một cửa phường", "MC.BH", 2,
             ("2.000889", "1.001193", "2.000815", "1.004227", "1.003010"), level=0.7),
    DemoUnit("MC.AT", "Xã An Thịnh", "Xã", "", DEMO_ROOT, 0, ()),
    DemoUnit("MC.AT.MC", "Bộ phận Một cửa xã An Thịnh", "Bộ phận Một cửa",
             "Bộ phận Một cửa xã", "MC.AT", 1,
             ("2.000889", "1.001193", "2.000815", "1.004227"), level=0.15),
]

COMMENTS = [
    "Cán bộ hướng dẫn tận tình, cảm ơn.",
    "Phải chờ khá lâu, mong bố trí thêm quầy vào buổi sáng.",
    "Nên có thêm ghế ngồi chờ và nước uống.",
    "Thủ tục nhanh gọn, rất hài lòng.",
    "Hướng dẫn hồ sơ chưa rõ, tôi phải đi lại hai lần.",
    "Máy lấy số thứ tự bị hỏng.",
    "Trả kết quả trễ hẹn 3 ngày, không được báo trước.",
    "Nhân viên thân thiện, chuyên nghiệp.",
]


def exists() -> bool:
    return db.session.scalar(select(Unit.id).where(Unit.code == DEMO_ROOT)) is not None


def create_organisation() -> dict[str, Unit]:
    """Create the demo units, counters (each with a token) and procedures."""
    procs = {code: Procedure(code=code, name=name, field=field, target_group=group)
             for code, name, field, group in PROCEDURES}
    db.session.add_all(procs.values())
    units: dict[str, Unit] = {}
    for spec in UNITS:
        unit = Unit(code=spec.code, name=spec.name, kind=spec.kind, place_name=spec.place,
                    parent=units.get(spec.parent) if spec.parent else None,
                    target_group=spec.target_group,
                    questionnaire_id="sipas-2024-nhanh" if spec.code == "MC.AT.MC"
                    else forms.DEFAULT_VERSION)
        unit.procedures = [procs[c] for c in spec.procedures]
        for n in range(1, spec.counters + 1):
            counter = Counter(unit=unit, code=f"Q{n}", name=f"Quầy số {n}")
            org.issue_token(counter)
        db.session.add(unit)
        units[spec.code] = unit
    db.session.commit()
    return units


def generate_responses(n: int, seed: int, days: int = 120, batch: int = 5000) -> int:
    """Add ``n`` synthetic responses over the last ``days`` days; returns how many."""
    rng = np.random.default_rng(seed)
    counters = list(db.session.scalars(
        select(Counter).join(Unit).where(Unit.code.like(f"{DEMO_ROOT}.%"))
        .order_by(Counter.id)))
    levels = {u.code: u.level for u in UNITS}
    counter_shift = rng.normal(0, 0.25, len(counters))
    today = datetime.now(VN_TZ).date()
    written = 0
    while written < n:
        size = min(batch, n - written)
        rows = [_synthetic(rng, counters, levels, counter_shift, today, days)
                for _ in range(size)]
        db.session.execute(insert(Response), rows)
        add_to_counts([SimpleNamespace(**r) for r in rows])
        db.session.commit()
        written += size
    return written


def _synthetic(rng: np.random.Generator, counters: list[Counter], levels: dict[str, float],
               shift: np.ndarray, today: date, days: int) -> dict[str, Any]:
    i = int(rng.integers(len(counters)))
    counter = counters[i]
    unit = counter.unit
    q = forms.get(unit.questionnaire_id)
    day = today - timedelta(days=int(rng.integers(days)))
    while day.weekday() == 6:  # offices close on Sunday
        day -= timedelta(days=1)
    minute = int(rng.integers(7 * 60 + 30, 17 * 60))
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=VN_TZ)
    person = levels[unit.code] + shift[i] + rng.normal(0, 0.8) + 1.6
    answers: dict[str, int] = {}
    for item in q.items:
        code = item.code
        skip = {"D1": 0.35, "E1": 0.45, "E2": 0.6, "E3": 0.65, "E0": 0.5}.get(code, 0.06)
        if code.startswith("X"):
            skip = 0.75
        if rng.random() < skip:
            continue
        if code in ("Q5", "Q6"):
            bad = 1 / (1 + math.exp(person + (1.8 if code == "Q6" else 0.9)))
            answers[code] = 1 if rng.random() > bad else int(rng.choice([2, 3], p=[0.8, 0.2]))
        elif code.startswith("X"):
            answers[code] = int(rng.choice([1, 2, 3, 4], p=[0.1, 0.2, 0.4, 0.3]))
        else:
            latent = person + rng.normal(0, 0.7) - (0.4 if code[0] in "BD" else 0.0)
            answers[code] = int(np.clip(np.rint(3 + latent), 1, 5))
    if not answers:
        answers["C1" if "C1" in q.item_codes else "C0"] = 4
    procs = unit.procedures
    proc = procs[int(rng.integers(len(procs)))] if procs and rng.random() < 0.7 else None
    low = min(answers.values()) <= 2 and any(k[0] in "ABCDE" for k in answers)
    comment = COMMENTS[int(rng.integers(len(COMMENTS)))] if rng.random() < (
        0.3 if low else 0.05) else None
    return {
        "questionnaire_id": q.id, "unit_id": unit.id, "counter_id": counter.id,
        "procedure_id": proc.id if proc else None,
        "target_group": proc.target_group if proc else unit.target_group,
        "channel": "truc_tiep" if rng.random() < 0.85 else "truc_tuyen_mot_phan",
        "submitted_at": local.astimezone(UTC), "local_day": day, "answers": answers,
        "comment": comment, "source": "qr" if rng.random() < 0.9 else "kiosk",
        "idempotency_key": None, "receipt_hash": None,
    }


def response_count() -> int:
    return int(db.session.scalar(select(func.count(Response.id))) or 0)


# (username, role, unit code): one account per role
DEMO_ACCOUNTS = [
    ("demo.staff", "staff", "MC.TTHCC"),
    ("demo.unithead", "unit_head", "MC.TTHCC"),
    ("demo.office", "office", DEMO_ROOT),
    ("demo.inspector", "inspector", DEMO_ROOT),
    ("demo.admin", "admin", None),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    unit_code: str | None
    password: str


def create_accounts() -> list[DemoAccount]:
    """One account per role with a random password; existing ones are left alone."""
    created = []
    for username, role, unit_code in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id)
                             .where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(12)
        accounts.create_user(username, password, role, unit_code, must_change=False)
        created.append(DemoAccount(username, role, unit_code, password))
    return created
