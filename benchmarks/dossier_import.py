"""Import 1,000,000 dossiers with ``sipas dossiers import`` on SQLite, in ≤ 60 s; then the
same file again (everything unchanged: fast).

Set-up (not timed): a fresh SQLite database (``sipas init``) with a province of ``--units``
units (default 200) under one root, 2 counters each, 40 procedures; a CSV of ``--dossiers``
rows (UTF-8 with BOM) over a year: receiving unit and counter, a resolving unit that is
another unit for one dossier in five (Nghị định 118/2025), every channel, received moments
with and without an offset, due dates 1–15 working days on, four outcomes (one in ten still
open), supplement requests and apology letters now and then; a tenth of the procedure codes
are not in the catalogue.

Timed, each in its own process: ``sipas dossiers import FILE`` — the file's checks, every
row read and checked, compared by fingerprint and written in chunks, one commit — and the
same command again. Printed: seconds, rows/s, peak memory of the import process and the load
average before and after (``uptime``).

    .venv/bin/python benchmarks/dossier_import.py [--dossiers 1000000] [--units 200]

Exits 1 when the first import takes more than 60 s (for 1,000,000 rows; scaled for other
sizes).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _bench

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

HEADER = (
    "code,procedure_code,receiving_unit,receiving_counter,resolving_unit,channel,"
    "received_at,due_date,returned_at,outcome,supplements,apology_sent\n"
)
CHANNELS = ("truc_tiep", "truc_tuyen_toan_trinh", "truc_tuyen_mot_phan", "buu_chinh", "")
OUTCOMES = ("da_tra",) * 8 + ("tu_choi", "dang_xu_ly")
PROCEDURES = 40


def make_file(path: Path, dossiers: int, units: int, seed: int = 1) -> None:
    """The CSV of the module docstring, written line by line (about 150 bytes a row)."""
    rng = random.Random(seed)
    start = datetime(2025, 11, 1, 1, 0, tzinfo=UTC)
    year = 365 * 24 * 3600 - 40 * 24 * 3600
    now = datetime.now(UTC)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write(HEADER)
        lines = []
        for i in range(dossiers):
            unit = rng.randrange(units) + 1
            resolving = unit if rng.random() < 0.8 else rng.randrange(units) + 1
            received = start + timedelta(seconds=rng.randrange(year))
            local = received + timedelta(hours=7)
            code = f"H15.50.{unit:04d}-{local:%y%m%d}-{i:07d}"
            proc = rng.randrange(PROCEDURES + 4)  # the last four are not in the catalogue
            due = (local + timedelta(days=rng.randrange(1, 16))).date()
            outcome = rng.choice(OUTCOMES)
            returned = ""
            if outcome != "dang_xu_ly":
                moment = received + timedelta(hours=rng.randrange(2, 20 * 24))
                returned = min(moment, now).strftime("%Y-%m-%dT%H:%M:%SZ")
            stamp = (
                local.strftime("%Y-%m-%d %H:%M:%S")  # no offset: Vietnam time
                if i % 2
                else received.strftime("%Y-%m-%dT%H:%M:%S+00:00")
            )
            lines.append(
                f"{code},1.{proc:06d},U{unit:04d},Q{1 + i % 2},U{resolving:04d},"
                f"{CHANNELS[i % 5]},{stamp},{due.isoformat()},{returned},{outcome},"
                f"{1 if i % 13 == 0 else 0},{1 if i % 97 == 0 else 0}\n"
            )
            if len(lines) >= 50_000:
                fh.writelines(lines)
                lines = []
        fh.writelines(lines)


# A wrapper whose only child is the import: its children's max RSS is the import's peak,
# their user + system time its CPU time (the figure a loaded machine changes least).
PEAK = r"""
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(use.ru_utime + use.ru_stime, use.ru_maxrss, file=sys.stderr)
sys.exit(done.returncode)
"""


def timed_import(path: Path, env: dict[str, str]) -> tuple[str, float, float, float]:
    """``sipas dossiers import PATH`` in its own process: (its output, seconds, CPU
    seconds, peak MB)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, _bench.sipas_exe(), "dossiers", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        cwd=_bench.ROOT,
        timeout=1800,
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"sipas dossiers import failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu, peak_kib = done.stderr.strip().splitlines()[-1].split()
    return done.stdout.strip(), seconds, float(cpu), int(peak_kib) / 1024


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=200)
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs")
    with _bench.workdir("sipas-dossier-import-") as tmp:
        env = _bench.sipas_env(tmp / "bench.sqlite")
        data = tmp / "dossiers.csv"
        t0 = time.perf_counter()
        make_file(data, args.dossiers, args.units)
        _bench.run_sipas(["init"], env)
        subprocess.run(
            [sys.executable, "-c", SETUP, str(args.units), str(PROCEDURES)],
            env=env,
            check=True,
            cwd=_bench.ROOT,
        )
        print(
            f"SQLite, {args.units:,} units × 2 counters, {PROCEDURES} procedures: "
            f"{args.dossiers:,} dossiers, {data.stat().st_size / 1e6:.0f} MB file; set-up "
            f"{time.perf_counter() - t0:.1f} s (not timed)"
        )
        print(f"before: {uptime()}")
        first, seconds, cpu, peak = timed_import(data, env)
        print(first)
        print(
            f"sipas dossiers import: {seconds:.1f} s, {args.dossiers / seconds:,.0f} rows/s, "
            f"CPU {cpu:.1f} s, peak memory {peak:,.0f} MB"
        )
        print(f"after:  {uptime()}")
        again, again_s, again_cpu, again_peak = timed_import(data, env)
        print(
            f"the same file again: {again} ({again_s:.1f} s, CPU {again_cpu:.1f} s, "
            f"peak memory {again_peak:,.0f} MB)"
        )
        print(f"after:  {uptime()}")
    limit = 60 * max(args.dossiers, 1) / 1_000_000
    return _bench.verdict(
        f"import of {args.dossiers:,} dossiers",
        seconds <= limit,
        f"{seconds:.1f} s",
        f"≤ {limit:.0f} s",
    )


if __name__ == "__main__":
    sys.exit(main())
