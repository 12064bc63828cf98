"""Import a response file of 1,000,000 rows with ``sipas import`` on SQLite, in ≤ 60 s.

Two shapes of file (``--shape demo|spread|both``, default ``both``):

* ``demo`` — an organisation like the demo's (``sipas demo``: 7 units, 8 counters, 9
  procedures) and its responses over the last 120 days: set up by ``sipas demo --responses
  N`` in one database and ``sipas export`` of it (so the file is exactly what ``sipas
  export`` writes, with ids), then a fresh database with the same organisation only;
* ``spread`` — ``benchmarks/make_response_file.py``'s file: 1,000 units (``--units``) × 4
  counters over a year, both questionnaires, comments with commas, quotes and line breaks;
  procedure codes made consistent with the target groups; a fresh database with that unit
  tree.  Sparse: about 2.7 responses per unit and day (365,000 day blocks; under the
  per-cell statistics of migrations 0006–0009, about one 644-number vector per response).

Set-up is not timed.  Timed, in its own process: ``sipas import FILE`` — reading and checking
every cell, checking every code against the database, recognising stored ids and keys,
inserting every response with its day blocks, one commit.  Printed per shape: rows/s,
seconds, peak memory of the import process (its max RSS) and the load average before and
after (``uptime``); then the same file again (must add nothing).  ``--without-ids`` empties
the ``response_id`` column (paper keyed in: every row gets a keyed idempotency key, looked
up before the insert).

    .venv/bin/python benchmarks/import_speed.py [--shape both] [--responses 1000000] \
        [--units 1000] [--without-ids] [--postgresql URL]

``--postgresql URL`` (e.g. ``postgresql://postgres@127.0.0.1:5432/postgres``) imports into a
throw-away database created on that server (and dropped afterwards) instead of SQLite.

Exits 1 when an import takes more than 60 s (for 1,000,000 rows; scaled for other sizes).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import _bench

SETUP = r"""
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
"""


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
    table = pacsv.read_csv(
        raw,
        read_options=pacsv.ReadOptions(encoding="utf-8"),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
        ),
    )
    raw.unlink()
    table = table.rename_columns(header)
    codes = sorted({c for c in table.column("procedure_code").unique().to_pylist() if c})
    land_codes = pa.array(codes[1::2])
    proc = table.column("procedure_code")
    is_land_proc = pc.is_in(proc, value_set=land_codes)
    land_row = pc.equal(table.column("target_group"), "dat_dai_xay_dung_dau_tu")
    keep = pc.or_(pc.equal(proc, ""), pc.equal(is_land_proc, land_row))
    table = table.set_column(
        header.index("procedure_code"), "procedure_code", pc.if_else(keep, proc, "")
    )
    if without_ids:
        table = table.set_column(
            0, "response_id", pa.array(np.full(table.num_rows, ""), pa.string())
        )
    with path.open("wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        pacsv.write_csv(
            table, fh, write_options=pacsv.WriteOptions(quoting_style="needed", delimiter=",")
        )
    return codes


@contextlib.contextmanager
def target_env(tmp: Path, postgresql: str | None) -> Iterator[dict[str, str]]:
    """The environment of the database imported into: ``tmp/bench.sqlite``, or a fresh
    database on the PostgreSQL server ``postgresql`` (dropped afterwards)."""
    if not postgresql:
        yield _bench.sipas_env(tmp / "bench.sqlite")
        return
    import psycopg

    name = f"sipas_import_bench_{os.getpid()}"
    admin = postgresql.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    base, _slash, _db = admin.rpartition("/")
    url = f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield {**_bench.sipas_env(tmp / "unused.sqlite"), "SIPAS_DATABASE_URL": url}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def demo_file(
    tmp: Path, path: Path, responses: int, without_ids: bool, env: dict[str, str]
) -> None:
    """The demo-shaped file (``sipas demo`` + ``sipas export``) and, in the database of
    ``env``, the demo organisation only."""
    source = _bench.sipas_env(tmp / "source.sqlite")
    _bench.run_sipas(["init"], source)
    _bench.run_sipas(["demo", "--responses", str(responses), "--seed", "1"], source, timeout=1800)
    _bench.run_sipas(["export", "--out", str(path)], source, timeout=900)
    (tmp / "source.sqlite").unlink()
    if without_ids:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        header = path.open(encoding="utf-8-sig").readline().strip().split(",")
        table = pacsv.read_csv(
            path,
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
        table = table.set_column(0, "response_id", pa.array([""] * table.num_rows, pa.string()))
        with path.open("wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(quoting_style="needed"))
    _bench.run_sipas(["init"], env)
    subprocess.run([sys.executable, "-c", DEMO_ORGANISATION], env=env, check=True, cwd=_bench.ROOT)


DEMO_ORGANISATION = r"""
from survey_app import create_app
from survey_app.services import demo
with create_app().app_context():
    demo.create_organisation()
"""


# A wrapper whose only child is the import: its children's max RSS is the import's peak.
PEAK = r"""
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)
sys.exit(done.returncode)
"""


def timed_import(path: Path, env: dict[str, str]) -> tuple[str, float, float]:
    """``sipas import PATH`` in its own process: (first output line, seconds, peak MB)."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK, _bench.sipas_exe(), "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        cwd=_bench.ROOT,
        timeout=1800,
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"sipas import failed ({done.returncode}):\n{done.stderr[-3000:]}")
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    return (done.stdout.strip().splitlines() or [""])[0], seconds, peak_kib / 1024


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def run_shape(shape: str, args: argparse.Namespace) -> float:
    with _bench.workdir(f"sipas-import-{shape}-") as tmp, target_env(tmp, args.postgresql) as env:
        data = tmp / "responses.csv"
        t0 = time.perf_counter()
        if shape == "demo":
            demo_file(tmp, data, args.responses, args.without_ids, env)
            what = "demo organisation (7 units, 8 counters), 120 days"
        else:
            procs = make_file(data, args.responses, args.units, args.without_ids)
            _bench.run_sipas(["init"], env)
            subprocess.run(
                [sys.executable, "-c", SETUP, str(args.units), ",".join(procs)],
                env=env,
                check=True,
                cwd=_bench.ROOT,
            )
            what = f"{args.units:,} units × 4 counters, a year"
        where = "PostgreSQL" if args.postgresql else "SQLite"
        print(
            f"[{shape}] {where}, {what}: {args.responses:,} rows"
            f"{' without ids' if args.without_ids else ''}, "
            f"{data.stat().st_size / 1e6:.0f} MB file; set-up "
            f"{time.perf_counter() - t0:.1f} s (not timed)"
        )
        print(f"[{shape}] before: {uptime()}")
        first, seconds, peak = timed_import(data, env)
        print(f"[{shape}] {first}")
        print(
            f"[{shape}] sipas import: {seconds:.1f} s, {args.responses / seconds:,.0f} rows/s, "
            f"peak memory {peak:,.0f} MB"
        )
        print(f"[{shape}] after:  {uptime()}")
        again, again_s, _peak = timed_import(data, env)
        print(f"[{shape}] the same file again: {again} ({again_s:.1f} s)")
        return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=("demo", "spread", "both"), default="both")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=1000, help="units of the spread shape")
    parser.add_argument("--without-ids", action="store_true")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        default="",
        help="import into a throw-away database on this PostgreSQL server",
    )
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} CPUs")
    shapes = ("demo", "spread") if args.shape == "both" else (args.shape,)
    results = {shape: run_shape(shape, args) for shape in shapes}
    limit = 60 * max(args.responses, 1) / 1_000_000
    code = 0
    for shape, seconds in results.items():
        code |= _bench.verdict(
            f"import of {args.responses:,} rows ({shape})"
            + (" without ids" if args.without_ids else ""),
            seconds <= limit,
            f"{seconds:.1f} s",
            f"≤ {limit:.0f} s",
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
