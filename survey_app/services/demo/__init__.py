"""A demo province with units, counters, procedures and realistic synthetic responses, and
(``sipas demo``) the dossiers behind them, their invitations and the verified responses
(:mod:`.dossiers`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import func, select

import forms
from survey_app.extensions import db
from survey_app.models import (
    Counter,
    Dossier,
    Invitation,
    Procedure,
    Response,
    Unit,
    User,
    utcnow,
)
from survey_app.models.dossiers import CHANNELS
from survey_app.services import accounts, org
from survey_app.services.clock import VN_TZ
from survey_app.services.demo import dossiers
from survey_app.services.storage import bulkload

DEMO_ROOT = "MC"

# (code, name, field, target group)
PROCEDURES = [
    ("2.000889", "Đăng ký khai sinh", "Hộ tịch", "chung"),
    ("1.001193", "Đăng ký kết hôn", "Hộ tịch", "chung"),
    ("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "chung"),
    (
        "2.001612",
        "Đăng ký thành lập hộ kinh doanh",
        "Thành lập và hoạt động của hộ kinh doanh",
        "chung",
    ),
    (
        "1.004227",
        "Đăng ký đất đai, tài sản gắn liền với đất lần đầu",
        "Đất đai",
        "dat_dai_xay_dung_dau_tu",
    ),
    ("1.003010", "Đăng ký biến động quyền sử dụng đất", "Đất đai", "dat_dai_xay_dung_dau_tu"),
    ("1.009972", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", "dat_dai_xay_dung_dau_tu"),
    ("1.009645", "Chấp thuận chủ trương đầu tư", "Đầu tư tại Việt Nam", "dat_dai_xay_dung_dau_tu"),
    (
        "2.001827",
        "Cấp giấy chứng nhận đăng ký đầu tư",
        "Đầu tư tại Việt Nam",
        "dat_dai_xay_dung_dau_tu",
    ),
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
    DemoUnit(
        "MC.TTHCC",
        "Trung tâm Phục vụ hành chính công tỉnh Minh Châu",
        "Trung tâm",
        "Trung tâm Phục vụ hành chính công",
        DEMO_ROOT,
        3,
        ("2.001612", "1.009645", "2.001827", "1.009972"),
        level=1.0,
    ),
    DemoUnit(
        "MC.VPDK",
        "Văn phòng Đăng ký đất đai tỉnh Minh Châu",
        "Văn phòng đăng ký",
        "Văn phòng Đăng ký đất đai",
        DEMO_ROOT,
        2,
        ("1.004227", "1.003010"),
        target_group="dat_dai_xay_dung_dau_tu",
        level=0.1,
    ),
    DemoUnit("MC.BH", "Phường Bến Hải", "Phường", "", DEMO_ROOT, 0, ()),
    DemoUnit(
        "MC.BH.MC",
        "Bộ phận Một cửa phường Bến Hải",
        "Bộ phận Một cửa",
        "Bộ phận Một cửa phường",
        "MC.BH",
        2,
        ("2.000889", "1.001193", "2.000815", "1.004227", "1.003010"),
        level=0.7,
    ),
    DemoUnit("MC.AT", "Xã An Thịnh", "Xã", "", DEMO_ROOT, 0, ()),
    DemoUnit(
        "MC.AT.MC",
        "Bộ phận Một cửa xã An Thịnh",
        "Bộ phận Một cửa",
        "Bộ phận Một cửa xã",
        "MC.AT",
        1,
        ("2.000889", "1.001193", "2.000815", "1.004227"),
        level=0.15,
    ),
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


DEMO_OPENING_HOURS = "1-6 07:30-17:00"


def create_organisation() -> dict[str, Unit]:
    """Create the demo units, counters (each with a token) and procedures."""
    procs = {
        code: Procedure(code=code, name=name, field=field, target_group=group)
        for code, name, field, group in PROCEDURES
    }
    db.session.add_all(procs.values())
    units: dict[str, Unit] = {}
    for spec in UNITS:
        unit = Unit(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            place_name=spec.place,
            parent=units.get(spec.parent) if spec.parent else None,
            target_group=spec.target_group,
            questionnaire_id="sipas-2024-nhanh"
            if spec.code == "MC.AT.MC"
            else forms.DEFAULT_VERSION,
            # The demo's offices serve Monday to Saturday (the ratings and dossiers below are
            # made on those days): without this the trust page would flag every Saturday
            # "outside working hours" against the default Monday-to-Friday.
            opening_hours=DEMO_OPENING_HOURS,
        )
        unit.procedures = [procs[c] for c in spec.procedures]
        for n in range(1, spec.counters + 1):
            counter = Counter(unit=unit, code=f"Q{n}", name=f"Quầy số {n}")
            org.issue_token(counter)
        db.session.add(unit)
        units[spec.code] = unit
    db.session.commit()
    return units


def generate_responses(
    n: int,
    seed: int,
    days: int = 120,
    batch: int = 50_000,
    *,
    with_dossiers: bool = False,
    now: datetime | None = None,
) -> int:
    """Add ``n`` synthetic responses over the last ``days`` days; returns how many.

    The responses are drawn column-wise with numpy, sorted by time (ids follow the clock),
    and stored through :func:`.bulkload.insert_responses` in batches of whole days (each
    per-day count cell is written once), one commit per batch.  ``with_dossiers`` (``sipas
    demo``) first stores the dossiers and invitations that fit them (:mod:`.dossiers`) and
    makes a share of the responses verified; the answers stay those of the same seed.
    ``now`` (default: the clock) ends the period, so that a test can repeat a run exactly.
    """
    if n <= 0:
        return 0
    rng = np.random.default_rng(seed)
    counters = list(
        db.session.scalars(
            select(Counter).join(Unit).where(Unit.code.like(f"{DEMO_ROOT}.%")).order_by(Counter.id)
        )
    )
    counter_shift = rng.normal(0, 0.25, len(counters))
    now = (now or utcnow()).astimezone(VN_TZ)
    columns = _synthetic(rng, n, counters, counter_shift, now, days)
    columns["channel"] = np.where(columns["online"], CHANNELS.index("truc_tuyen_mot_phan"), 0)
    columns["dossier"] = np.zeros(n, dtype=np.int64)
    if with_dossiers:
        made = dossiers.make(
            columns, counters, seed, now, days, int(current_app.config["INVITATION_DAYS"])
        )
        columns["channel"] = made.response_channel
        columns["dossier"] = made.response_dossier
        columns["kiosk"] = made.response_kiosk
        db.session.commit()
    order = np.lexsort((columns["minute"], columns["day"]))
    written = 0
    day_sorted = columns["day"][order]
    cuts = np.flatnonzero(np.diff(day_sorted)) + 1  # where a new day begins
    begin = 0
    while begin < n:
        later = cuts[cuts >= begin + batch]
        stop = int(later[0]) if later.size else n
        chosen = order[begin:stop]
        written += bulkload.insert_responses(_rows(columns, chosen, counters))
        db.session.commit()
        begin = stop
    bulkload.analyze()
    db.session.commit()
    return written


SKIP = {"D1": 0.35, "E1": 0.45, "E2": 0.6, "E3": 0.65, "E0": 0.5}  # else 0.06; X items 0.75


def _synthetic(
    rng: np.random.Generator,
    n: int,
    counters: list[Counter],
    shift: np.ndarray,
    now: datetime,
    days: int,
) -> dict[str, np.ndarray]:
    """``n`` synthetic responses as columns (indices into ``counters``, days as ordinals,
    minutes after local midnight, an answer matrix over ``forms.all_item_codes()``...).

    The shape: a person's latent satisfaction is the unit's level plus the counter's shift
    plus noise; items are skipped at realistic rates; integrity items (Q5, Q6) are mostly
    "no"; low ratings bring more comments.
    """
    levels = {u.code: u.level for u in UNITS}
    codes = forms.all_item_codes()
    which = rng.integers(len(counters), size=n)
    today = now.date().toordinal()
    day = today - rng.integers(days, size=n)
    minute = rng.integers(7 * 60 + 30, 17 * 60, size=n)
    # Never later than now: a moment still to come today moves to the day before.
    day = day - ((day == today) & (minute > now.hour * 60 + now.minute))
    sunday = (day % 7) == 0  # date.fromordinal(k).weekday() == (k - 1) % 7; Sunday is 6
    day = day - sunday  # offices close on Sunday
    unit_level = np.array([levels[c.unit.code] for c in counters])[which]
    person = unit_level + shift[which] + rng.normal(0, 0.8, n) + 1.6
    qids = [c.unit.questionnaire_id for c in counters]
    versions = sorted(set(qids))
    version = np.array([versions.index(q) for q in qids])[which]
    answers = np.zeros((n, len(codes)), dtype=np.int8)
    for j, code in enumerate(codes):
        asked = np.isin(
            version, [v for v, q in enumerate(versions) if code in forms.get(q).item_codes]
        )
        if not asked.any():
            continue
        skip = 0.75 if code.startswith("X") else SKIP.get(code, 0.06)
        given = asked & (rng.random(n) >= skip)
        if code in ("Q5", "Q6"):
            bad = 1 / (1 + np.exp(person + (1.8 if code == "Q6" else 0.9)))
            worse = rng.choice(np.array([2, 3]), size=n, p=[0.8, 0.2])
            values = np.where(rng.random(n) > bad, 1, worse)
        elif code.startswith("X"):
            values = rng.choice(np.array([1, 2, 3, 4]), size=n, p=[0.1, 0.2, 0.4, 0.3])
        else:
            latent = person + rng.normal(0, 0.7, n) - (0.4 if code[0] in "BD" else 0.0)
            values = np.clip(np.rint(3 + latent), 1, 5)
        answers[given, j] = values[given].astype(np.int8)
    empty = ~answers.any(axis=1)
    for v, q in enumerate(versions):  # at least one answer
        fallback = codes.index("C1" if "C1" in forms.get(q).item_codes else "C0")
        answers[empty & (version == v), fallback] = 4
    satisfaction = np.array([c[0] in "ABCDE" for c in codes])
    lowest = np.where(answers > 0, answers, 9).min(axis=1)
    low = (lowest <= 2) & (answers[:, satisfaction] > 0).any(axis=1)
    commented = rng.random(n) < np.where(low, 0.3, 0.05)
    comment = np.where(commented, rng.integers(len(COMMENTS), size=n), -1)
    procs = [c.unit.procedures for c in counters]
    named = rng.random(n) < 0.7
    pick = rng.random(n)
    proc_count = np.array([len(p) for p in procs])[which]
    proc_pos = np.where(named & (proc_count > 0), (pick * proc_count).astype(np.int64), -1)
    return {
        "counter": which,
        "day": day,
        "minute": minute,
        "answers": answers,
        "comment": comment,
        "procedure": proc_pos,
        "online": rng.random(n) >= 0.85,
        "kiosk": rng.random(n) >= 0.9,
    }


def _rows(
    columns: dict[str, np.ndarray], chosen: np.ndarray, counters: list[Counter]
) -> list[dict[str, Any]]:
    """Response rows (bulk loader input) for the positions ``chosen`` of ``columns``."""
    codes = forms.all_item_codes()
    info = [
        (
            c.id,
            c.unit.id,
            c.unit.questionnaire_id,
            c.unit.target_group,
            [(p.id, p.target_group) for p in c.unit.procedures],
        )
        for c in counters
    ]
    answers = columns["answers"][chosen]
    row_of, col_of = np.nonzero(answers)
    values = answers[row_of, col_of].tolist()
    names = [codes[j] for j in col_of.tolist()]
    ends = np.cumsum(np.bincount(row_of, minlength=len(chosen))).tolist()
    out = []
    begin = 0
    days: dict[int, tuple[date, datetime]] = {}  # ordinal → (day, its local midnight in UTC)
    minutes = [timedelta(minutes=m) for m in range(24 * 60)]
    for k, (which, day, minute, comment, proc, channel, kiosk, dossier) in enumerate(
        zip(
            columns["counter"][chosen].tolist(),
            columns["day"][chosen].tolist(),
            columns["minute"][chosen].tolist(),
            columns["comment"][chosen].tolist(),
            columns["procedure"][chosen].tolist(),
            columns["channel"][chosen].tolist(),
            columns["kiosk"][chosen].tolist(),
            columns["dossier"][chosen].tolist(),
            strict=True,
        )
    ):
        counter_id, unit_id, qid, unit_group, procedures = info[which]
        if day not in days:
            local = date.fromordinal(day)
            days[day] = (local, datetime.combine(local, time(), VN_TZ).astimezone(UTC))
        local, midnight = days[day]
        procedure = procedures[proc] if proc >= 0 else None
        out.append(
            {
                "questionnaire_id": qid,
                "unit_id": unit_id,
                "counter_id": counter_id,
                "procedure_id": procedure[0] if procedure else None,
                "target_group": procedure[1] if procedure else unit_group,
                "channel": CHANNELS[channel],
                "submitted_at": midnight + minutes[minute],
                "local_day": local,
                "answers": dict(zip(names[begin : ends[k]], values[begin : ends[k]], strict=True)),
                "comment": COMMENTS[comment] if comment >= 0 else None,
                "source": "kiosk" if kiosk else "qr",
                "idempotency_key": None,
                "receipt_hash": None,
                "dossier_id": dossier or None,
            }
        )
        begin = ends[k]
    return out


def response_count() -> int:
    return int(db.session.scalar(select(func.count(Response.id))) or 0)


def dossier_counts() -> dict[str, int]:
    """How many dossiers (and of them still open), invitations and verified responses the
    database holds: what ``sipas demo`` reports after making them."""
    return {
        "dossiers": int(db.session.scalar(select(func.count(Dossier.id))) or 0),
        "open": int(
            db.session.scalar(select(func.count(Dossier.id)).where(Dossier.returned_at.is_(None)))
            or 0
        ),
        "invitations": int(db.session.scalar(select(func.count(Invitation.id))) or 0),
        "verified": int(
            db.session.scalar(
                select(func.count(Response.id)).where(Response.dossier_id.isnot(None))
            )
            or 0
        ),
    }


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
        if db.session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(12)
        accounts.create_user(username, password, role, unit_code, must_change=False)
        created.append(DemoAccount(username, role, unit_code, password))
    return created
