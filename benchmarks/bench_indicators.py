"""``sipas indicators --period 2025-Q4 --by unit`` on a province's year of dossiers, ≤ 5 s.

Set-up (not timed): a fresh SQLite database (``sipas init``) with a province of 1,000 units
under one root (2 counters each, 40 procedures) and 10,000,000 dossiers over 2025, written
in bulk straight into the ``dossiers`` table in the text forms SQLAlchemy stores (as
``services/demo/dossier_rows.insert`` does): received on a day of the year, due 1–15 days
later, 3 % still open, the rest returned early (70 %), on the due day (22 %) or late (8 %,
60 % of them with an apology letter); one in five resolved by another unit. Then verified
responses for ``--verified-share`` of the returned dossiers (default 10 %: 1,000,000), one
in six a "dislike", and a complaint on one in fifty of them.

Timed, each in its own process (start-up included): ``sipas indicators --period 2025-Q4
--by unit --format json`` three times (the first after the set-up's writes; the median is
the figure), then ``--by procedure`` and ``--by counter`` once. Printed: seconds, the
quarter's dossiers and the whole's 5.4.

    .venv/bin/python benchmarks/bench_indicators.py [--scale 1.0] [--keep DB]

``--scale 0.01`` makes 100,000 dossiers over 10 units for a quick run (same target). Exits
1 when the median is over 5 s.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import _bench
import numpy as np

SETUP = r"""
import sys
from sqlalchemy import insert
from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Unit
units, procedures = int(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    db.session.execute(insert(Unit), [{"id": 1, "code": "ROOT", "name": "Tỉnh thử",
                                       "kind": "tinh", "place_name": "",
                                       "questionnaire_id": "sipas-2024-dv",
                                       "target_group": "chung", "active": True}])
    db.session.execute(insert(Unit), [
        {"id": k + 2, "code": f"U{k + 1:04d}", "name": f"Đơn vị {k + 1}", "kind": "",
         "place_name": "", "parent_id": 1, "questionnaire_id": "sipas-2024-dv",
         "target_group": "chung", "active": True} for k in range(units)])
    db.session.execute(insert(Counter), [
        {"unit_id": k + 2, "code": f"Q{c}", "name": f"Quầy {c}", "active": True}
        for k in range(units) for c in (1, 2)])
    db.session.execute(insert(Procedure), [
        {"code": f"1.{k:06d}", "name": f"Thủ tục {k}", "field": "",
         "target_group": "chung", "active": True} for k in range(procedures)])
    db.session.commit()
"""

YEAR = date(2025, 1, 1)
CHUNK = 500_000
LIKED = json.dumps({c: 4 for c in ("A1", "A2", "B1", "C1", "D1")})
DISLIKED = json.dumps({c: 2 for c in ("A1", "A2", "B1", "C1", "D1")})
DOSSIER_COLUMNS = (
    "code, procedure_code, receiving_unit_id, receiving_counter_id, resolving_unit_id, "
    "channel, received_at, due_date, returned_at, returned_day, outcome, supplements, "
    "apology_sent, fingerprint, created_at, changed_at"
)
RESPONSE_COLUMNS = (
    "questionnaire_id, unit_id, counter_id, target_group, channel, submitted_at, local_day, "
    "answers, source, dossier_id"
)


def _day_texts() -> list[str]:
    return [(YEAR + timedelta(days=k)).isoformat() for k in range(400)]


def load(db_path: Path, dossiers: int, units: int, share: float, seed: int = 1) -> None:
    """Write the dossiers, verified responses and complaints (not timed)."""
    rng = np.random.default_rng(seed)
    days = _day_texts()
    channels = ("truc_tiep", "truc_tuyen_toan_trinh", "truc_tuyen_mot_phan", "buu_chinh")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    next_id, verified_total, complaints = 1, 0, 0
    for first in range(0, dossiers, CHUNK):
        n = min(CHUNK, dossiers - first)
        received = rng.integers(0, 365, n)
        due = received + rng.integers(1, 16, n)
        kind = rng.choice(4, n, p=[0.70 * 0.97, 0.22 * 0.97, 0.08 * 0.97, 0.03])
        offset = np.where(
            kind == 0, -rng.integers(1, 6, n), np.where(kind == 2, rng.integers(1, 11, n), 0)
        )
        returned = np.maximum(due + offset, received)
        unit = rng.integers(0, units, n) + 2
        other = rng.random(n) < 0.2
        resolving = np.where(other, rng.integers(0, units, n) + 2, unit)
        counter = (unit - 2) * 2 + rng.integers(1, 3, n)
        procedure = rng.integers(0, 40, n)
        channel = rng.integers(0, 4, n)
        apology = (kind == 2) & (rng.random(n) < 0.6)
        rows = []
        for i in range(n):
            open_ = kind[i] == 3
            r_day = days[returned[i]]
            rows.append(
                (
                    f"B{first + i:09d}",
                    f"1.{procedure[i]:06d}",
                    int(unit[i]),
                    int(counter[i]),
                    int(resolving[i]),
                    channels[channel[i]],
                    f"{days[received[i]]} 01:30:00.000000",
                    days[due[i]],
                    None if open_ else f"{r_day} 08:00:00.000000",
                    None if open_ else r_day,
                    "dang_xu_ly" if open_ else "da_tra",
                    0,
                    bool(apology[i]),
                    "bench",
                    f"{days[received[i]]} 01:30:00.000000",
                    f"{days[received[i]]} 01:30:00.000000",
                )
            )
        conn.executemany(
            f"INSERT INTO dossiers ({DOSSIER_COLUMNS}) VALUES ({', '.join('?' * 16)})",  # noqa: S608
            rows,
        )
        picked = np.flatnonzero((kind != 3) & (rng.random(n) < share))
        dislike = rng.random(picked.size) < 1 / 6
        answered = np.minimum(returned[picked] + rng.integers(0, 4, picked.size), 399)
        conn.executemany(
            f"INSERT INTO responses ({RESPONSE_COLUMNS}) VALUES ({', '.join('?' * 10)})",  # noqa: S608
            [
                (
                    "sipas-2024-dv",
                    int(unit[i]),
                    int(counter[i]),
                    "chung",
                    channels[channel[i]],
                    f"{days[a]} 02:00:00.000000",
                    days[a],
                    DISLIKED if d else LIKED,
                    "invitation",
                    next_id + int(i),
                )
                for i, d, a in zip(
                    picked.tolist(), dislike.tolist(), answered.tolist(), strict=True
                )
            ],
        )
        verified_total += picked.size
        next_id += n
        conn.commit()
        print(f"  {first + n:,} dossiers, {verified_total:,} verified responses", flush=True)
    # complaints on one verified response in fifty
    conn.execute(
        "INSERT INTO complaints (response_id, unit_id, status, kind, created_at, answered_at) "
        "SELECT id, unit_id, CASE WHEN id % 3 = 0 THEN 'moi' ELSE 'da_tra_loi' END, 'phuc_vu', "
        "submitted_at, CASE WHEN id % 3 = 0 THEN NULL ELSE submitted_at END "
        "FROM responses WHERE id % 50 = 0"
    )
    complaints = conn.execute("SELECT count(*) FROM complaints").fetchone()[0]
    conn.commit()
    conn.close()
    print(f"  {complaints:,} complaints", flush=True)


INSIDE = r"""
import sys, time
from datetime import date
from survey_app import create_app
from survey_app.services.indicators import measures
app = create_app()
with app.app_context():
    for by in ("unit", "unit", "unit", "procedure", "counter"):
        started = time.perf_counter()
        measures.compute(date(2025, 10, 1), date(2025, 12, 31), by)
        print(by, f"{time.perf_counter() - started:.3f}", flush=True)
"""


def timed(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [_bench.sipas_exe(), *args], env=env, capture_output=True, text=True, cwd=_bench.ROOT
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"sipas {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 10,000,000 dossiers")
    parser.add_argument("--verified-share", type=float, default=0.1)
    parser.add_argument("--keep", type=Path, help="keep the database at this path")
    args = parser.parse_args(argv)
    dossiers = int(10_000_000 * args.scale)
    units = max(10, int(1000 * args.scale))
    target = 5.0
    with _bench.workdir("sipas-indicators-") as work:
        db_path = args.keep or work / "bench.sqlite"
        env = _bench.sipas_env(db_path)
        started = time.perf_counter()
        _bench.run_sipas(["init"], env)
        subprocess.run(
            [sys.executable, "-c", SETUP, str(units), "40"], env=env, check=True, cwd=_bench.ROOT
        )
        load(db_path, dossiers, units, args.verified_share)
        print(f"set-up: {time.perf_counter() - started:.0f} s", flush=True)
        period = ["indicators", "--period", "2025-Q4"]
        runs = [timed([*period, "--by", "unit", "--format", "json"], env) for _ in range(3)]
        median = statistics.median(s for s, _out in runs)
        whole = json.loads(runs[-1][1])["whole"]
        print(
            f"--by unit: {', '.join(f'{s:.2f}' for s, _o in runs)} s (median {median:.2f} s); "
            f"{len(json.loads(runs[-1][1])['groups'])} units, {whole['returned']:,} dossiers "
            f"returned in 2025-Q4, {whole['late']:,} late, {whole['with_complaint']:,} with a "
            f"complaint or a dislike; 5.4 = {whole['rate_5_4']:.2f} %"
        )
        for by in ("procedure", "counter"):
            seconds, _out = timed([*period, "--by", by, "--format", "json"], env)
            print(f"--by {by}: {seconds:.2f} s")
        inside = subprocess.run(
            [sys.executable, "-c", INSIDE],
            env=env,
            check=True,
            cwd=_bench.ROOT,
            capture_output=True,
            text=True,
        ).stdout.split()
        print(
            "the service alone (one process, after start-up): "
            + ", ".join(f"--by {by} {s} s" for by, s in zip(inside[::2], inside[1::2], strict=True))
        )
        with open("/proc/loadavg") as loadavg:
            print(f"load average: {loadavg.read().split()[:3]}")
        ok = median <= target
    return _bench.verdict("indicators --by unit", ok, f"{median:.2f} s", f"≤ {target:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
