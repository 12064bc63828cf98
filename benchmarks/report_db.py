"""Build the report benchmark's database: real response rows over 1,000 units (not a benchmark).

A province → 50 districts → ``units`` one-stop units (15 % land registration offices, 10 % on
the quick questionnaire), each with 1–3 counters and the procedures it handles (a catalogue
of 16: civil status, certification, household business, land, construction, investment),
and ``responses`` responses over the days of ``YEAR`` (Sundays closed), drawn column-wise with
numpy: a person's latent satisfaction is the unit's level plus the counter's shift plus
noise; items are skipped at realistic rates (E items often); Q5/Q6 mostly "no"; channels
(direct 70 %, partly online 18 %, fully online 9 %, post 3 %), sources (QR 62 %, kiosk 25 %,
one-stop software API 10 %, paper 3 %), a named procedure on 70 %; a comment on ≈ 5 %
(more often after a low rating), drawn from realistic comments, some carrying a phone number
or an e-mail address (to be masked in the report).

Rows go through :func:`survey_app.services.storage.bulkload.insert_responses` in batches of whole
days (so each day's blocks are stored by the load, as an import would), then ANALYZE.

    .venv/bin/python benchmarks/report_db.py DIR [--responses 10000000] [--units 1000]

writes ``DIR/sipas.sqlite`` (used by ``report_speed.py --reuse DIR``).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import _bench
import numpy as np

YEAR = 2025
BATCH = 100_000  # responses per insert_responses call (whole days)

LAND = "dat_dai_xay_dung_dau_tu"
# (code, name, field, target group)
PROCEDURES = [
    ("2.000889", "Đăng ký khai sinh", "Hộ tịch", "chung"),
    ("1.001193", "Đăng ký kết hôn", "Hộ tịch", "chung"),
    ("1.000656", "Đăng ký khai tử", "Hộ tịch", "chung"),
    ("2.000635", "Cấp bản sao trích lục hộ tịch", "Hộ tịch", "chung"),
    ("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "chung"),
    ("2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", "chung"),
    (
        "2.001612",
        "Đăng ký thành lập hộ kinh doanh",
        "Thành lập và hoạt động của hộ kinh doanh",
        "chung",
    ),
    ("1.001612", "Xác nhận tình trạng hôn nhân", "Hộ tịch", "chung"),
    ("1.004227", "Đăng ký đất đai, tài sản gắn liền với đất lần đầu", "Đất đai", LAND),
    ("1.003010", "Đăng ký biến động quyền sử dụng đất", "Đất đai", LAND),
    ("1.004203", "Cấp đổi giấy chứng nhận quyền sử dụng đất", "Đất đai", LAND),
    ("1.005398", "Tách thửa hoặc hợp thửa đất", "Đất đai", LAND),
    ("1.009972", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", LAND),
    ("1.009974", "Cấp giấy phép sửa chữa, cải tạo công trình", "Xây dựng", LAND),
    ("1.009645", "Chấp thuận chủ trương đầu tư", "Đầu tư tại Việt Nam", LAND),
    ("2.001827", "Cấp giấy chứng nhận đăng ký đầu tư", "Đầu tư tại Việt Nam", LAND),
]
GENERAL = [k for k, p in enumerate(PROCEDURES) if p[3] == "chung"]
LANDS = [k for k, p in enumerate(PROCEDURES) if p[3] == LAND]
CHANNELS = (
    ("truc_tiep", 0.70),
    ("truc_tuyen_mot_phan", 0.18),
    ("truc_tuyen_toan_trinh", 0.09),
    ("buu_chinh", 0.03),
)
SOURCES = (("qr", 0.62), ("kiosk", 0.25), ("api", 0.10), ("paper", 0.03))
COMMENTS = [
    "Cán bộ hướng dẫn tận tình, cảm ơn.",
    "Phải chờ khá lâu, mong bố trí thêm quầy vào buổi sáng.",
    "Nên có thêm ghế ngồi chờ và nước uống.",
    "Thủ tục nhanh gọn, rất hài lòng.",
    "Hướng dẫn hồ sơ chưa rõ, tôi phải đi lại hai lần.",
    "Máy lấy số thứ tự bị hỏng cả buổi sáng.",
    "Trả kết quả trễ hẹn 3 ngày, không được báo trước.",
    "Nhân viên thân thiện, chuyên nghiệp.",
    "Biểu mẫu trên cổng dịch vụ công khó điền, nên có hướng dẫn bằng video.",
    "Phí, lệ phí niêm yết chưa rõ ràng.",
    "Chỗ để xe chật, trời mưa không có mái che.",
    "Nộp trực tuyến nhưng vẫn phải mang hồ sơ giấy đến, mất công.",
    "Cán bộ trả lời điện thoại chậm, gọi nhiều lần không ai nghe.",
    "Hồ sơ đất đai giải quyết quá lâu, đã hơn một tháng.",
    "Cần thêm quầy ưu tiên cho người cao tuổi.",
    "Có việc gấp xin liên hệ lại số 0912 345 678, cảm ơn.",
    "Mong được báo kết quả qua thư điện tử nguyen.van.a@example.vn.",
    "Wifi ở khu chờ không dùng được.",
    "Rất hài lòng, cán bộ làm việc nhanh và đúng hẹn.",
    "Yêu cầu bổ sung giấy tờ nhiều lần, mỗi lần một ít.",
]
SKIP = {"D1": 0.35, "E1": 0.45, "E2": 0.6, "E3": 0.65, "E0": 0.5}  # else 0.06; X items 0.75


def build(db_path: Path, responses: int, units: int, seed: int) -> dict[str, str]:
    """``sipas init`` and the whole data set into ``db_path``; returns the environment."""
    env = _bench.sipas_env(db_path)
    _bench.run_sipas(["init"], env)
    import os

    os.environ.update(env)
    sys.path.insert(0, str(_bench.ROOT))
    from survey_app import create_app

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        info = _organisation(units, np.random.default_rng(seed))
        written = _responses(info, responses, np.random.default_rng(seed + 1), started)
        from survey_app.extensions import db
        from survey_app.services.storage import bulkload

        bulkload.analyze()
        db.session.commit()
    size = db_path.stat().st_size
    print(
        f"set-up: {units} units, {written:,} responses of {YEAR} through "
        f"bulkload.insert_responses, database {size / 1e9:.1f} GB, "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return env


def _organisation(count: int, rng: np.random.Generator) -> dict[str, Any]:
    import forms
    from survey_app.extensions import db
    from survey_app.models import Counter, Procedure, Unit

    procs = [Procedure(code=c, name=n, field=f, target_group=g) for c, n, f, g in PROCEDURES]
    db.session.add_all(procs)
    province = Unit(code="P", name="Tỉnh Thử Nghiệm", kind="Tỉnh")
    districts = [
        Unit(code=f"P.D{d:02d}", name=f"Huyện Thử Nghiệm {d + 1}", kind="Huyện", parent=province)
        for d in range(50)
    ]
    db.session.add_all([province, *districts])
    counters: list[Counter] = []
    levels, land_units = [], []
    for u in range(count):
        land = rng.random() < 0.15
        quick = rng.random() < 0.10
        name = (
            f"Văn phòng Đăng ký đất đai chi nhánh {u + 1}"
            if land
            else f"Bộ phận Một cửa xã Thử Nghiệm {u + 1}"
        )
        unit = Unit(
            code=f"P.D{u % 50:02d}.U{u:04d}",
            name=name,
            kind="Bộ phận Một cửa",
            parent=districts[u % 50],
            target_group=LAND if land else "chung",
            place_name="Bộ phận Một cửa",
            questionnaire_id="sipas-2024-nhanh" if quick else forms.DEFAULT_VERSION,
        )
        offered = (
            LANDS
            if land
            else sorted(
                rng.choice(GENERAL, size=5, replace=False).tolist()
                + rng.choice(LANDS, size=2, replace=False).tolist()
            )
        )
        unit.procedures = [procs[k] for k in offered]
        for c in range(int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))):
            counters.append(Counter(unit=unit, code=f"Q{c + 1}", name=f"Quầy số {c + 1}"))
        levels.append(rng.uniform(-0.6, 1.1) if not land else rng.uniform(-0.9, 0.7))
        land_units.append(land)
        db.session.add(unit)
    db.session.commit()
    return {
        "counters": [
            (
                c.id,
                c.unit.id,
                c.unit.questionnaire_id,
                c.unit.target_group,
                [(p.id, p.target_group) for p in c.unit.procedures],
            )
            for c in counters
        ],
        "level": np.array([levels[int(c.unit.code.rsplit("U", 1)[1])] for c in counters]),
        "qid": [c.unit.questionnaire_id for c in counters],
    }


def _responses(info: dict[str, Any], n: int, rng: np.random.Generator, started: float) -> int:
    from survey_app.extensions import db
    from survey_app.services.storage import bulkload

    days = [d for d in (date(YEAR, 1, 1) + timedelta(k) for k in range(365)) if d.weekday() != 6]
    per_day = np.bincount(rng.integers(len(days), size=n), minlength=len(days))
    written, pending, chunk = 0, [], 0
    shift = rng.normal(0, 0.25, len(info["counters"]))
    for k, day in enumerate(days):
        pending.append((day, int(per_day[k])))
        chunk += int(per_day[k])
        if chunk < BATCH and k < len(days) - 1:
            continue
        rows = []
        for d, m in pending:
            rows += _day_rows(info, shift, d, m, rng)
        written += bulkload.insert_responses(rows)
        db.session.commit()
        pending, chunk = [], 0
        if written // 1_000_000 > (written - len(rows)) // 1_000_000 or k == len(days) - 1:
            rate = written / (time.perf_counter() - started)
            print(f"  {written:,} rows up to {day}, {rate:,.0f}/s", flush=True)
    return written


def _day_rows(
    info: dict[str, Any], shift: np.ndarray, day: date, n: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """``n`` responses of ``day`` as bulk-loader rows (ids follow the clock)."""
    import forms
    from survey_app.services.clock import VN_TZ

    codes = forms.all_item_codes()
    counters = info["counters"]
    which = rng.integers(len(counters), size=n)
    minute = np.sort(rng.integers(7 * 60 + 30, 17 * 60, size=n))
    person = info["level"][which] + shift[which] + rng.normal(0, 0.8, n) + 1.6
    versions = sorted(set(info["qid"]))
    version = np.array([versions.index(q) for q in info["qid"]])[which]
    answers = np.zeros((n, len(codes)), dtype=np.int8)
    for j, code in enumerate(codes):
        asked = np.isin(
            version, [v for v, q in enumerate(versions) if code in forms.get(q).item_codes]
        )
        if not asked.any():
            continue
        given = asked & (rng.random(n) >= (0.75 if code.startswith("X") else SKIP.get(code, 0.06)))
        if code in ("Q5", "Q6"):
            bad = 1 / (1 + np.exp(person + (1.8 if code == "Q6" else 0.9)))
            values = np.where(rng.random(n) > bad, 1, rng.choice([2, 3], size=n, p=[0.8, 0.2]))
        elif code.startswith("X"):
            values = rng.choice(np.array([1, 2, 3, 4]), size=n, p=[0.1, 0.2, 0.4, 0.3])
        else:
            latent = person + rng.normal(0, 0.7, n) - (0.4 if code[0] in "BD" else 0.0)
            values = np.clip(np.rint(3 + latent), 1, 5)
        answers[given, j] = values[given].astype(np.int8)
    empty = ~answers.any(axis=1)
    for v, q in enumerate(versions):
        answers[
            empty & (version == v), codes.index("C1" if "C1" in forms.get(q).item_codes else "C0")
        ] = 4
    satisfaction = np.array([c[0] in "ABCDE" for c in codes])
    lowest = np.where(answers[:, satisfaction] > 0, answers[:, satisfaction], 9).min(axis=1)
    commented = rng.random(n) < np.where(lowest <= 2, 0.2, 0.04)  # ≈ 5 % in all
    comment = np.where(commented, rng.integers(len(COMMENTS), size=n), -1)
    named = rng.random(n) < 0.7
    pick = rng.random(n)
    channel = rng.choice(len(CHANNELS), size=n, p=[p for _c, p in CHANNELS])
    source = rng.choice(len(SOURCES), size=n, p=[p for _s, p in SOURCES])
    row_of, col_of = np.nonzero(answers)
    values = answers[row_of, col_of].tolist()
    names = [codes[j] for j in col_of.tolist()]
    ends = np.cumsum(np.bincount(row_of, minlength=n)).tolist()
    midnight = datetime.combine(day, datetime.min.time(), VN_TZ).astimezone(UTC)
    out, begin = [], 0
    for k, (w, m, c, nm, pk, ch, src) in enumerate(
        zip(
            which.tolist(),
            minute.tolist(),
            comment.tolist(),
            named.tolist(),
            pick.tolist(),
            channel.tolist(),
            source.tolist(),
            strict=True,
        )
    ):
        counter_id, unit_id, qid, group, procedures = counters[w]
        procedure = procedures[int(pk * len(procedures))] if nm and procedures else None
        out.append(
            {
                "questionnaire_id": qid,
                "unit_id": unit_id,
                "counter_id": counter_id,
                "procedure_id": procedure[0] if procedure else None,
                "target_group": procedure[1] if procedure else group,
                "channel": CHANNELS[ch][0],
                "submitted_at": midnight + timedelta(minutes=m),
                "local_day": day,
                "answers": dict(zip(names[begin : ends[k]], values[begin : ends[k]], strict=True)),
                "comment": COMMENTS[c] if c >= 0 else None,
                "source": SOURCES[src][0],
                "idempotency_key": None,
                "receipt_hash": None,
            }
        )
        begin = ends[k]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    build(args.folder / "sipas.sqlite", args.responses, args.units, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
