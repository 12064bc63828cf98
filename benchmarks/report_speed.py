"""A quarterly report pack (XLSX + PDF) for 1,000 units and 10,000,000 responses.

Set-up (not timed): ``report_db.py``'s database — province → 50 districts → 1,000 one-stop
units with counters and procedures, and 10,000,000 real response rows over 2025 (channels,
sources, procedures, comments on ≈ 5 %), loaded through ``bulkload.insert_responses``, which
stores each day's statistics as an import does. Minutes for 10M: ``--reuse DIR`` builds
``DIR/sipas.sqlite`` once and reuses it afterwards (``--responses``/``--units`` then only
name what was built).

Timed, in a fresh process: ``services.reports.build`` of ``--period 2025-Q4`` (units now
and in the previous quarter, the land group, four quarters of trend, channels and procedures
from the stored days, comments, sources) and the writing of the XLSX and the PDF — once
right after the load (the first report also stores the half-month sums it needs) and once
more (every later report); the process's peak memory. Then the whole ``sipas report --out
FILE.xlsx``, ``.pdf`` and ``.zip`` commands with their peak memory. The load average is
printed: the machine is shared.

    .venv/bin/python benchmarks/report_speed.py [--responses 10000000] [--units 1000]
                                                [--reuse DIR]

Exits 1 when the later report (build + XLSX + PDF, in process) takes more than 30 s.
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
from pathlib import Path

import _bench

TARGET_SECONDS = 30.0
PERIOD = "2025-Q4"
HERE = Path(__file__).resolve().parent


def _command(env: dict[str, str], out: Path) -> tuple[float, float]:
    """Wall clock and peak memory (MB) of one ``sipas report`` command."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            _bench.sipas_exe(),
            "report",
            "--period",
            PERIOD,
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=True,
    )
    seconds, peak = done.stdout.split()
    return float(seconds), float(peak)


def measure(folder: Path) -> dict[str, float]:
    """In this (fresh) process: two reports, each built and written as XLSX and PDF."""
    os.environ.update(_bench.sipas_env(folder / "sipas.sqlite"))
    sys.path.insert(0, str(_bench.ROOT))
    from survey_app import create_app
    from survey_app.services.reports import ReportSpec, build, write

    app = create_app()
    out: dict[str, float] = {}
    with app.app_context():
        for run in ("first", "later"):
            started = time.perf_counter()
            report = build(ReportSpec(PERIOD))
            out[f"{run}_build"] = time.perf_counter() - started
            for fmt in ("xlsx", "pdf"):
                before = time.perf_counter()
                path = write(report, folder / f"pack.{fmt}", fmt)
                out[f"{run}_{fmt}"] = time.perf_counter() - before
                out[f"{fmt}_bytes"] = path.stat().st_size
        out["rows"] = len(report.table("xep_hang").rows)
        out["respondents"] = report.summary.respondents
        out["comments"] = sum(g.total for g in report.comments)
        out["procedures"] = len(report.table("thu_tuc").rows)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _counts(db_path: Path) -> tuple[int, int, float, int]:
    con = sqlite3.connect(db_path)
    try:
        responses = con.execute("SELECT count(*) FROM responses").fetchone()[0]
        cells = con.execute("SELECT count(*) FROM day_blocks WHERE unit_id != 0").fetchone()[0]
        halves = con.execute("SELECT count(*) FROM stats_buckets WHERE unit_id = 0").fetchone()[0]
    finally:
        con.close()
    return responses, cells, db_path.stat().st_size / 1e9, halves


def _load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def run(folder: Path, args: argparse.Namespace) -> int:
    db_path = folder / "sipas.sqlite"
    if db_path.exists():
        print(f"set-up: reusing {db_path}")
    else:
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(HERE / "report_db.py"),
                str(folder),
                "--responses",
                str(args.responses),
                "--units",
                str(args.units),
                "--seed",
                str(args.seed),
            ],
            check=True,
        )
        print(f"set-up: {time.perf_counter() - started:.0f} s")
    responses, cells, size, halves = _counts(db_path)
    print(
        f"database: {responses:,} responses, {cells:,} stored day blocks (unit × day), "
        f"{size:.1f} GB; "
        f"{halves} half-months summed already"
        + (" (none: the first report sums them)" if not halves else "")
    )
    env = _bench.sipas_env(db_path)
    load_before = _load()
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=True,
    )
    m = json.loads(done.stdout.strip().splitlines()[-1])
    load_after = _load()
    pages = (
        subprocess.run(["pdfinfo", str(folder / "pack.pdf")], capture_output=True, text=True).stdout
        if _has("pdfinfo")
        else ""
    )
    count = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages")), "?")
    totals = {}
    for which in ("first", "later"):
        totals[which] = m[f"{which}_build"] + m[f"{which}_xlsx"] + m[f"{which}_pdf"]
        print(
            f"in process, {which} report of the process: build "
            f"{m[f'{which}_build']:.1f} s + XLSX "
            f"{m[f'{which}_xlsx']:.1f} s + PDF {m[f'{which}_pdf']:.1f} s = "
            f"{totals[which]:.1f} s"
        )
    print(
        f"  {int(m['respondents']):,} respondents in {PERIOD}, {int(m['rows'])} ranked rows, "
        f"{int(m['procedures'])} procedures, {int(m['comments'])} comments read; XLSX "
        f"{m['xlsx_bytes'] / 1e6:.1f} MB, PDF {m['pdf_bytes'] / 1e6:.1f} MB ({count} pages); "
        f"peak memory of the process {m['peak_mb']:.0f} MB; load average {load_before} "
        f"before, {load_after} after (1/5/15 min, 2 cores)"
    )
    for fmt in ("xlsx", "pdf", "zip"):
        seconds, peak = _command(env, folder / f"cli.{fmt}")
        size_mb = (folder / f"cli.{fmt}").stat().st_size / 1e6
        print(
            f"sipas report --period {PERIOD} --out FILE.{fmt}: {seconds:.1f} s, "
            f"peak memory {peak:.0f} MB, {size_mb:.1f} MB; load average {_load()}"
        )
    return _bench.verdict(
        f"quarterly report pack (XLSX + PDF), {args.units:,} units, {responses:,} responses",
        totals["later"] <= TARGET_SECONDS,
        f"{totals['later']:.1f} s in process (first report of the process {totals['first']:.1f} s)",
        f"<= {TARGET_SECONDS:.0f} s",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="DIR",
        help="build DIR/sipas.sqlite once and reuse it (kept afterwards)",
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    if args.reuse:
        args.reuse.mkdir(parents=True, exist_ok=True)
        return run(args.reuse, args)
    with _bench.workdir("sipas-report-speed-") as tmp:
        return run(tmp, args)


def _has(program: str) -> bool:
    from shutil import which

    return which(program) is not None


if __name__ == "__main__":
    sys.exit(main())
