"""A quarterly report pack (XLSX + PDF) for 1,000 units and 10,000,000 responses.

Set-up (not timed): the database of ``scoring_db.py`` — province → 50 districts → 1,000
one-stop units (15 % land registration offices, 10 % on the quick questionnaire) and the
stored half-month statistics of 10,000,000 simulated respondents over 2025.

Timed, as the office would run it: the whole ``sipas report --period 2025-Q4 --out
FILE.xlsx`` and ``… --out FILE.pdf`` commands (each builds the report: units now and in the
previous quarter, the land group, four quarters of trend, channels, procedures, comments,
sources; then writes its file), and in-process ``services.reports.build`` + ``write`` of
both formats from one build. Peak memory (max RSS) of each. Also ``--out FILE.zip``
(XLSX, PDF and CSVs) for information.

    .venv/bin/python benchmarks/report_speed.py [--responses 10000000] [--units 1000]

Exits 1 when building the pack and writing the XLSX and the PDF takes more than 30 s
(in-process: one build and both files).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import _bench
import scoring_db

TARGET_SECONDS = 30.0
PERIOD = "2025-Q4"


def _command(env: dict[str, str], out: Path) -> tuple[float, float]:
    """Wall clock and peak memory (MB) of one ``sipas report`` command."""
    code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)")
    done = subprocess.run([sys.executable, "-c", code, _bench.sipas_exe(), "report",
                           "--period", PERIOD, "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=900, check=True)
    seconds, peak = done.stdout.split()
    return float(seconds), float(peak)


def in_process(env: dict[str, str], folder: Path) -> dict[str, float]:
    os.environ.update(env)
    sys.path.insert(0, str(_bench.ROOT))
    from survey_app import create_app
    from survey_app.services.reports import ReportSpec, build, write

    app = create_app()
    times: dict[str, float] = {}
    with app.app_context():
        started = time.perf_counter()
        report = build(ReportSpec(PERIOD))
        times["build"] = time.perf_counter() - started
        for fmt in ("xlsx", "pdf"):
            before = time.perf_counter()
            out = write(report, folder / f"pack.{fmt}", fmt)
            times[fmt] = time.perf_counter() - before
            times[f"{fmt}_bytes"] = out.stat().st_size
        rows = len(report.table("xep_hang").rows)
        times["rows"] = rows
        times["respondents"] = report.summary.respondents
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with _bench.workdir("sipas-report-speed-") as tmp:
        env = scoring_db.build(tmp / "sipas.sqlite", args.responses, args.units, args.seed)
        for fmt in ("xlsx", "pdf", "zip"):
            seconds, peak = _command(env, tmp / f"cli.{fmt}")
            size = (tmp / f"cli.{fmt}").stat().st_size
            print(f"sipas report --period {PERIOD} --out FILE.{fmt}: {seconds:.1f} s, "
                  f"peak memory {peak:.0f} MB, {size / 1e6:.1f} MB")
        times = in_process(env, tmp)
        peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        total = times["build"] + times["xlsx"] + times["pdf"]
        pages = subprocess.run(["pdfinfo", str(tmp / "pack.pdf")], capture_output=True,
                               text=True).stdout if _has("pdfinfo") else ""
        count = next((line.split()[-1] for line in pages.splitlines()
                      if line.startswith("Pages")), "?")
        print(f"in process: build {times['build']:.1f} s ({int(times['respondents']):,} "
              f"respondents, {int(times['rows'])} ranked rows), XLSX {times['xlsx']:.1f} s "
              f"({times['xlsx_bytes'] / 1e6:.1f} MB), PDF {times['pdf']:.1f} s "
              f"({times['pdf_bytes'] / 1e6:.1f} MB, {count} pages); total {total:.1f} s; "
              f"peak memory of this process {peak_self:.0f} MB (includes the set-up)")
        return _bench.verdict("quarterly report pack (XLSX + PDF), 1,000 units, 10M responses",
                              total <= TARGET_SECONDS, f"{total:.1f} s in process",
                              f"<= {TARGET_SECONDS:.0f} s")


def _has(program: str) -> bool:
    from shutil import which

    return which(program) is not None


if __name__ == "__main__":
    sys.exit(main())
