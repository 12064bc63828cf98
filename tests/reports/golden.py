"""A small fixed dataset for the golden report test, and the report's figures computed from
it in plain Python with the formulas of METHOD §4 (not the scoring library).

Units: province P with the one-stop centre A (general and land procedures), the land
registration office L (land only, far below its 85 % target) and the commune C (12
respondents on the quick questionnaire: too few to rank). Periods: 2026-Q1 (calendar) and
the quarter before it. Several sources, channels and procedures; comments with HTML, a
phone number and a leading "=".
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from survey_app.extensions import db
from survey_app.models import Procedure, Response, Unit

from ..factories import make_procedure, make_unit, seed_questionnaires

Q1 = (date(2026, 1, 1), date(2026, 3, 31))
Q4 = (date(2025, 10, 1), date(2025, 12, 31))
DV_FACTORS = {
    "A": ("A1", "A2", "A3"),
    "B": ("B1", "B2", "B3", "B4"),
    "C": ("C1", "C2", "C3"),
    "D": ("D1", "D2", "D3"),
    "E": ("E1", "E2", "E3"),
}
QUICK_FACTORS = {f: (f"{f}0",) for f in "ABCDE"}
FACTORS = {"sipas-2024-dv": DV_FACTORS, "sipas-2024-nhanh": QUICK_FACTORS}
EXPECTATION = ("X5", "X6", "X7", "X8", "X9", "X10")
INTEGRITY = ("Q5", "Q6")
LAND = "dat_dai_xay_dung_dau_tu"
Z = 1.959963984540054
COMMENTS = [
    "Cán bộ hướng dẫn rất tận tình <script>alert(1)</script>",
    "Gọi tôi số 0912 345 678 nếu cần",
    '=HYPERLINK("http://x")',
    "Phòng chờ hơi nóng, cần thêm quạt",
    "Thời gian trả kết quả còn chậm",
]


@dataclass
class Record:
    unit: str
    day: date
    qid: str
    answers: dict[str, int]
    target_group: str
    procedure: str | None
    channel: str | None
    source: str
    comment: str | None = None


@dataclass
class Dataset:
    units: dict[str, Unit]
    records: list[Record] = field(default_factory=list)

    def select(
        self, period: tuple[date, date], units: set[str] | None = None, **where: object
    ) -> list[Record]:
        out = []
        for r in self.records:
            if not period[0] <= r.day <= period[1]:
                continue
            if units is not None and r.unit not in units:
                continue
            if all(getattr(r, k) == v for k, v in where.items()):
                out.append(r)
        return out


SUBTREE = {"P": {"P", "A", "L", "C"}, "A": {"A"}, "L": {"L"}, "C": {"C"}}


def _answers(
    rng: random.Random, qid: str, weights: dict[int, float], missing: float
) -> dict[str, int]:
    values, probs = list(weights), list(weights.values())
    out: dict[str, int] = {}
    for items in FACTORS[qid].values():
        for code in items:
            if rng.random() >= missing or code in ("A1", "A0"):  # A1/A0 always answered
                out[code] = rng.choices(values, probs)[0]
    if qid == "sipas-2024-dv":
        for code in EXPECTATION:
            if rng.random() < 0.7:
                out[code] = rng.randint(1, 4)
    for code in INTEGRITY:
        if rng.random() < 0.8:
            out[code] = rng.choices([1, 2, 3], [0.8, 0.15, 0.05])[0]
    return out


def build(seed: int = 7) -> Dataset:
    """Store the dataset (units, procedures, responses) and return it."""
    seed_questionnaires()
    p = make_unit("P", "Tỉnh Thử Nghiệm")
    a = make_unit("A", "Trung tâm Phục vụ hành chính công tỉnh Thử Nghiệm", parent=p)
    land_office = make_unit("L", "Văn phòng Đăng ký đất đai", parent=p, target_group=LAND)
    c = make_unit("C", "Xã Cỏ Lau", parent=p, questionnaire_id="sipas-2024-nhanh")
    general = make_procedure(a, "1.000001", "Chứng thực bản sao", target_group="chung")
    land = make_procedure(a, "2.000001", "Cấp giấy chứng nhận quyền sử dụng đất")
    land_office.procedures.append(land)
    c.procedures.append(general)
    db.session.commit()
    data = Dataset({"P": p, "A": a, "L": land_office, "C": c})
    rng = random.Random(seed)
    high = {5: 0.62, 4: 0.34, 3: 0.04}
    low = {5: 0.15, 4: 0.3, 3: 0.3, 2: 0.15, 1: 0.1}
    better = {5: 0.3, 4: 0.4, 3: 0.2, 2: 0.1}
    sources = ["qr", "qr", "qr", "kiosk", "paper", "phan_mem_mot_cua_x"]
    channels = ["truc_tiep", "truc_tiep", "truc_tuyen_mot_phan", None]
    plan = [  # unit, period, count, questionnaire, weights, procedure, target group
        ("A", Q1, 36, "sipas-2024-dv", high, "1.000001", "chung"),
        ("A", Q1, 34, "sipas-2024-dv", high, "2.000001", LAND),
        ("A", Q4, 50, "sipas-2024-dv", high, "1.000001", "chung"),
        ("L", Q1, 45, "sipas-2024-dv", low, None, LAND),
        ("L", Q4, 40, "sipas-2024-dv", better, "2.000001", LAND),
        ("C", Q1, 12, "sipas-2024-nhanh", high, "1.000001", "chung"),
    ]
    comment_at = 0
    for unit, period, count, qid, weights, proc, group in plan:
        days = (period[1] - period[0]).days
        for _ in range(count):
            comment = None
            if period == Q1 and rng.random() < 0.3:
                comment = COMMENTS[comment_at % len(COMMENTS)]
                comment_at += 1
            data.records.append(
                Record(
                    unit,
                    period[0] + timedelta(days=rng.randint(0, days)),
                    qid,
                    _answers(rng, qid, weights, missing=0.1 if unit != "L" else 0.2),
                    group,
                    proc,
                    rng.choice(channels),
                    rng.choice(sources),
                    comment,
                )
            )
    procedures = {p.code: p.id for p in db.session.query(Procedure)}
    for r in data.records:
        db.session.add(
            Response(
                questionnaire_id=r.qid,
                unit_id=data.units[r.unit].id,
                counter_id=None,
                procedure_id=procedures[r.procedure] if r.procedure else None,
                target_group=r.target_group,
                channel=r.channel,
                submitted_at=datetime.combine(r.day, time(3, 0), tzinfo=UTC),
                local_day=r.day,
                answers=r.answers,
                comment=r.comment,
                source=r.source,
            )
        )
    db.session.commit()
    return data


# --- METHOD §4 in plain Python --------------------------------------------------------------


def item(
    records: list[Record],
    code: str,
    success: tuple[int, ...] = (4, 5),
    valid: tuple[int, ...] = (1, 2, 3, 4, 5),
) -> tuple[int, float | None]:
    answers = [r.answers[code] for r in records if r.answers.get(code) in valid]
    if not answers:
        return 0, None
    return len(answers), 100.0 * sum(1 for a in answers if a in success) / len(answers)


def wilson(successes: float, n: int) -> tuple[float, float]:
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * (centre - half), 100 * (centre + half)


def factor_of_version(records: list[Record], items: tuple[str, ...]) -> float | None:
    values = [v for v in (item(records, c)[1] for c in items) if v is not None]
    return sum(values) / len(values) if values else None


def factors(records: list[Record]) -> dict[str, float | None]:
    """Factor indices; several questionnaire versions: the versions' factor indices weighted
    by their respondents who answered the factor."""
    out: dict[str, float | None] = {}
    for f in "ABCDE":
        total, weight = 0.0, 0
        for qid, structure in FACTORS.items():
            group = [r for r in records if r.qid == qid]
            index = factor_of_version(group, structure[f])
            answered = sum(
                1 for r in group if any(r.answers.get(c) in (1, 2, 3, 4, 5) for c in structure[f])
            )
            if index is not None and answered:
                total += index * answered
                weight += answered
        out[f] = total / weight if weight else None
    return out


def sipas(records: list[Record]) -> float | None:
    values = [v for v in factors(records).values() if v is not None]
    return sum(values) / len(values) if values else None


def target(records: list[Record]) -> float:
    return 85.0 if records and all(r.target_group == LAND for r in records) else 90.0


def lowest_factor(r: Record) -> str:
    best: tuple[float, str] | None = None
    for f, items in FACTORS[r.qid].items():
        values = [r.answers[c] for c in items if r.answers.get(c)]
        if values and (best is None or sum(values) / len(values) < best[0]):
            best = (sum(values) / len(values), f)
    return best[1] if best else ""


def select_report_cutoff(data: Dataset, unit: str) -> list[Record]:
    """Responses of 2026-Q1 under the reporting cut-off (15/12/2025 – 14/3/2026)."""
    return data.select((date(2025, 12, 15), date(2026, 3, 14)), SUBTREE[unit])
