"""Score one year of 10,000,000 responses over 1,000 units from the stored counts.

Set-up (not timed): a throw-away SQLite database (`sipas init`), a unit tree (province → 50
districts → 1,000 one-stop units, 15 % of them land registration offices, 10 % on the quick
questionnaire) and, for the 24 closed half-months of 2025, the stored statistics of every unit
(`stats_buckets`), built from 10,000,000 simulated respondents with realistic differences
between units (`scoring.simulation`: correlated answers, missing answers, E items often
missing). Nothing of this set-up is read again by the timed part except through the database.

Timed: all units, all items, with intervals and flags, pooled over the tree —
``sipas score --period 2025 --by unit --format json`` as a whole command (wall clock, best of
3), and the same scoring in-process (`services.scores.score_database`). Peak memory of the
command is reported.

    .venv/bin/python benchmarks/scoring_db.py [--responses 10000000] [--units 1000]

Exits 1 when the in-process scoring takes more than 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import _bench
import numpy as np

TARGET_SECONDS = 2.0
YEAR = 2025


def build(db_path: Path, responses: int, units: int, seed: int) -> dict[str, str]:
    env = _bench.sipas_env(db_path)
    _bench.run_sipas(["init"], env)
    sys.path.insert(0, str(_bench.ROOT))
    from scoring import StatsBatch
    from scoring.simulation import realistic_model, simulate_answers
    from survey_app.services.analytics.slices import structure_of
    from survey_app.services.storage.buckets import half_months

    rng = np.random.default_rng(seed)
    periods = half_months(date(YEAR, 1, 1), date(YEAR, 12, 31))
    con = sqlite3.connect(db_path)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    con.execute(
        "INSERT INTO units (code, name, kind, place_name, parent_id, questionnaire_id, "
        "target_group, active, created_at) VALUES ('P', 'Tỉnh thử', 'Tỉnh', '', NULL, "
        "'sipas-2024-dv', 'chung', 1, ?)",
        (now,),
    )
    province = con.execute("SELECT id FROM units WHERE code = 'P'").fetchone()[0]
    district_ids = []
    for d in range(50):
        cur = con.execute(
            "INSERT INTO units (code, name, kind, place_name, parent_id, questionnaire_id, "
            "target_group, active, created_at) VALUES (?, ?, 'Huyện', '', ?, 'sipas-2024-dv', "
            "'chung', 1, ?)",
            (f"P.D{d:02d}", f"Huyện {d}", province, now),
        )
        district_ids.append(cur.lastrowid)
    per_unit = responses // units
    rows = []
    started = time.perf_counter()
    for u in range(units):
        land = rng.random() < 0.15
        qid = "sipas-2024-nhanh" if rng.random() < 0.10 else "sipas-2024-dv"
        group = "dat_dai_xay_dung_dau_tu" if land else "chung"
        cur = con.execute(
            "INSERT INTO units (code, name, kind, place_name, parent_id, questionnaire_id, "
            "target_group, active, created_at) VALUES (?, ?, 'Một cửa', '', ?, ?, ?, 1, ?)",
            (
                f"P.D{u % 50:02d}.U{u:04d}",
                f"Bộ phận Một cửa {u}",
                district_ids[u % 50],
                qid,
                group,
                now,
            ),
        )
        unit_id = cur.lastrowid
        structure = structure_of(qid)
        level = rng.uniform(0.80, 0.98) if not land else rng.uniform(0.72, 0.95)
        model = realistic_model(
            structure, rng, low=max(level - 0.08, 0.05), high=min(level + 0.05, 0.99)
        )
        answers = simulate_answers(structure, model, per_unit, rng)
        which = rng.integers(len(periods), size=per_unit)
        vectors = StatsBatch.from_answers(structure, answers, which, len(periods)).to_vectors()
        for k, period in enumerate(periods):
            rows.append(
                (
                    period.isoformat(),
                    unit_id,
                    group,
                    qid,
                    int(vectors[k, 0]),
                    vectors[k].astype("<i4").tobytes(),
                    now,
                )
            )
    rows += [(p.isoformat(), 0, "", "", 0, b"", now) for p in periods]  # "computed" markers
    con.executemany(
        "INSERT INTO stats_buckets (period_start, unit_id, target_group, "
        "questionnaire_id, n, stats, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.commit()
    con.close()
    size = db_path.stat().st_size
    print(
        f"set-up: {units} units × {len(periods)} half-months of {YEAR}, "
        f"{per_unit * units:,} simulated respondents, {len(rows):,} bucket rows, "
        f"database {size / 1e6:.0f} MB, {time.perf_counter() - started:.1f} s"
    )
    return env


def in_process(env: dict[str, str]) -> tuple[float, int, list[dict[str, object]]]:
    os.environ.update(env)
    from survey_app import create_app
    from survey_app.services.analytics import scores

    app = create_app()
    best, result = float("inf"), []
    with app.app_context():
        for _ in range(3):
            before = time.perf_counter()
            result = scores.score_database(
                scores.Slice(start=date(YEAR, 1, 1), end=date(YEAR, 12, 31), by=("unit",))
            )
            best = min(best, time.perf_counter() - before)
    return best, len(result), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with _bench.workdir("sipas-scoring-db-") as tmp:
        env = build(tmp / "sipas.sqlite", args.responses, args.units, args.seed)
        walls = []
        for _ in range(3):
            before = time.perf_counter()
            out = subprocess.run(
                [
                    _bench.sipas_exe(),
                    "score",
                    "--period",
                    str(YEAR),
                    "--by",
                    "unit",
                    "--format",
                    "json",
                ],
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=True,
            ).stdout
            walls.append(time.perf_counter() - before)
        peak_cli = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        groups = json.loads(out)
        flags: dict[str, int] = {}
        for g in groups:
            flags[g["flag"]] = flags.get(g["flag"], 0) + 1
        seconds, count, _ = in_process(env)
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        total = next(g for g in groups if g["group"]["unit"] == "P")
        print(
            f"sipas score --period {YEAR} --by unit --format json: best {min(walls):.2f} s "
            f"(runs {', '.join(f'{w:.2f}' for w in walls)}), {len(groups)} groups, "
            f"peak memory {peak_cli:.0f} MB"
        )
        print(
            f"  province: n={total['n']:,}, SIPAS {total['sipas']['index']:.2f} % "
            f"[{total['sipas']['ci_low']:.2f}, {total['sipas']['ci_high']:.2f}]; flags {flags}"
        )
        print(
            f"in-process scoring (services.scores.score_database): best {seconds:.2f} s for "
            f"{count} groups; peak memory of this process {peak_self:.0f} MB "
            f"(includes the set-up)"
        )
        return _bench.verdict(
            "scoring 10M responses over 1,000 units from stored counts",
            seconds <= TARGET_SECONDS,
            f"{seconds:.2f} s in process, {min(walls):.2f} s for the whole command",
            f"<= {TARGET_SECONDS} s",
        )


if __name__ == "__main__":
    sys.exit(main())
