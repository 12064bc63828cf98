"""Export speed: the METHOD §7 response file (CSV) of 20,000 demo responses.

Makes a demo database with 20,000 responses, then times

* the whole command ``sipas export --out FILE.csv`` (wall clock, process start to exit,
  best of 3) — the main figure, and
* the in-process function ``survey_app.services.exchange.csvfile.export_file`` (best of 3),
  to show how much of the command is start-up.

    .venv/bin/python benchmarks/export_speed.py [--responses 20000]

Target: the command takes at most 1 s.  Exits 1 when missed (or when the file is wrong).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import _bench

TARGET_S = 1.0
REPEAT = 3


def check_file(path: Path, expected_rows: int) -> int:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[0] == "response_id", header[:3]
    assert len(body) == expected_rows, (len(body), expected_rows)
    assert all(len(r) == len(header) for r in body)
    return len(body)


def time_command(env: dict[str, str], out: Path) -> list[float]:
    times = []
    for _ in range(REPEAT):
        out.unlink(missing_ok=True)
        t0 = time.perf_counter()
        done = subprocess.run(
            [_bench.sipas_exe(), "export", "--out", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=_bench.ROOT,
        )
        times.append(time.perf_counter() - t0)
        if done.returncode != 0:
            sys.exit(f"sipas export failed:\n{done.stderr[-3000:]}")
    return times


def time_in_process(env: dict[str, str], out: Path) -> list[float]:
    os.environ.update({k: v for k, v in env.items() if k.startswith("SIPAS_")})
    from survey_app import create_app
    from survey_app.extensions import db
    from survey_app.services.exchange.csvfile import export_file

    app = create_app()
    times = []
    with app.app_context():
        for _ in range(REPEAT):
            out.unlink(missing_ok=True)
            t0 = time.perf_counter()
            export_file(out)
            times.append(time.perf_counter() - t0)
            db.session.remove()
        db.engine.dispose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=20_000)
    args = parser.parse_args()
    with _bench.workdir("sipas-export-") as tmp:
        t0 = time.perf_counter()
        env = _bench.demo_database(tmp / "export.sqlite", args.responses)
        print(
            f"demo database with {args.responses} responses made in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        out_cmd, out_fn = tmp / "cmd.csv", tmp / "fn.csv"
        cmd_times = time_command(env, out_cmd)
        rows = check_file(out_cmd, args.responses)
        size = out_cmd.stat().st_size
        fn_times = time_in_process(env, out_fn)
        check_file(out_fn, args.responses)
        same = out_cmd.read_bytes() == out_fn.read_bytes()
    best_cmd, best_fn = min(cmd_times), min(fn_times)
    print(
        f"rows: {rows}, bytes: {size} ({size / 1e6:.2f} MB); command and function files "
        f"{'identical' if same else 'DIFFER'}"
    )
    print(
        f"sipas export --out FILE.csv: best {best_cmd:.3f} s "
        f"(runs: {', '.join(f'{t:.3f}' for t in cmd_times)}; {rows / best_cmd:,.0f} rows/s)"
    )
    print(
        f"exchange.export_file (in process): best {best_fn:.3f} s "
        f"(runs: {', '.join(f'{t:.3f}' for t in fn_times)}; {rows / best_fn:,.0f} rows/s); "
        f"start-up and the rest of the command: {best_cmd - best_fn:.3f} s"
    )
    return _bench.verdict(
        "export 20k responses",
        best_cmd <= TARGET_S and same,
        f"{best_cmd:.3f} s for the whole command",
        f"<= {TARGET_S:.1f} s",
    )


if __name__ == "__main__":
    sys.exit(main())
