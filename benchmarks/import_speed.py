"""Import a response file of 1,000,000 rows with ``sipas import`` on SQLite, in ≤ 60 s.

Set-up (not timed): ``benchmarks/make_response_file.py`` writes a realistic file in the
``sipas export`` format (units ``U0001`` …, a year, both questionnaires, missing answers,
comments with commas, quotes and line breaks); its procedure codes are then made consistent
with the target groups (a land procedure only on land rows — the import refuses a procedure
whose group is not the row's), and ``sipas init`` plus a unit tree with every unit's counters
and the procedures make a fresh SQLite database.

Timed, in its own process: ``sipas import FILE`` — reading and checking every cell, checking
every code against the database, recognising stored ids and keys, inserting every response
with its per-day counts and statistics, one commit.  Printed: rows/s, total seconds, peak
memory (max RSS of the process).  ``--without-ids`` empties the ``response_id`` column (paper
keyed in: every row gets a keyed idempotency key, looked up before the insert).

    .venv/bin/python benchmarks/import_speed.py [--responses 1000000] [--without-ids]

Exits 1 when the import takes more than 60 s (for 1,000,000 rows; scaled for other sizes).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import _bench

SETUP = r'''
import sys
from sqlalchemy import insert
from survey_app import create_app
from survey_app.extensions import db
from survey_app.models import Counter, Procedure, Unit, unit_procedures
units, procs = int(sys.argv[1]), sys.argv[2].split(",")
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
        for k in range(units) for c in range(1, 5)])
    db.session.execute(insert(Procedure), [
        {"id": k + 1, "code": code, "name": f"Thủ tục {code}", "field": "",
         "target_group": "chung" if k % 2 == 0 else "dat_dai_xay_dung_dau_tu", "active": True}
        for k, code in enumerate(procs)])
    db.session.commit()
'''


def make_file(path: Path, responses: int, units: int, without_ids: bool) -> list[str]:
    """The realistic file, with procedures consistent with target groups; returns the
    procedure codes (even positions: general, odd: land)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    sys.path.insert(0, str(_bench.ROOT / "benchmarks"))
    import make_response_file

    raw = path.with_suffix(".raw.csv")
    make_response_file.write_file(raw, responses, units, seed=1, year=2025)
    header = raw.open(encoding="utf-8-sig").readline().strip().split(",")
    table = pacsv.read_csv(raw, read_options=pacsv.ReadOptions(encoding="utf-8"),
                           parse_options=pacsv.ParseOptions(newlines_in_values=True),
                           convert_options=pacsv.ConvertOptions(
                               column_types=dict.fromkeys(header, pa.string()),
                               strings_can_be_null=False))
    raw.unlink()
    table = table.rename_columns(header)
    codes = sorted({c for c in table.column("procedure_code").unique().to_pylist() if c})
    land_codes = pa.array(codes[1::2])
    proc = table.column("procedure_code")
    is_land_proc = pc.is_in(proc, value_set=land_codes)
    land_row = pc.equal(table.column("target_group"), "dat_dai_xay_dung_dau_tu")
    keep = pc.or_(pc.equal(proc, ""), pc.equal(is_land_proc, land_row))
    table = table.set_column(header.index("procedure_code"), "procedure_code",
                             pc.if_else(keep, proc, ""))
    if without_ids:
        table = table.set_column(0, "response_id",
                                 pa.array(np.full(table.num_rows, ""), pa.string()))
    with path.open("wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(
            quoting_style="needed", delimiter=","))
    return codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--without-ids", action="store_true")
    args = parser.parse_args(argv)
    with _bench.workdir("sipas-import-") as tmp:
        data = tmp / "responses.csv"
        t0 = time.perf_counter()
        procs = make_file(data, args.responses, args.units, args.without_ids)
        env = _bench.sipas_env(tmp / "bench.sqlite")
        _bench.run_sipas(["init"], env)
        subprocess.run([sys.executable, "-c", SETUP, str(args.units), ",".join(procs)],
                       env=env, check=True, cwd=_bench.ROOT)
        print(f"set-up: {args.responses:,} rows, {data.stat().st_size / 1e6:.0f} MB file, "
              f"{time.perf_counter() - t0:.1f} s (not timed)")

        start = time.perf_counter()
        out = _bench.run_sipas(["import", str(data)], env, timeout=900)
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(out.strip().splitlines()[0])
        print(f"sipas import: {seconds:.1f} s, {args.responses / seconds:,.0f} rows/s, "
              f"peak memory {peak_mb:,.0f} MB")
        again = time.perf_counter()
        out = _bench.run_sipas(["import", str(data)], env, timeout=900)
        print(f"the same file again: {out.strip().splitlines()[0]} "
              f"({time.perf_counter() - again:.1f} s)")
    limit = 60 * max(args.responses, 1) / 1_000_000
    return _bench.verdict(f"import of {args.responses:,} rows"
                          + (" without ids" if args.without_ids else ""),
                          seconds <= limit, f"{seconds:.1f} s", f"≤ {limit:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
