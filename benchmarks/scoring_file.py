"""Score a response file of 10,000,000 rows with ``sipas score --input``, against pandas.

Set-up (not timed): ``benchmarks/make_response_file.py`` writes a realistic file in the
``sipas export`` format (1,000 units, a year, both questionnaires, missing answers).

Timed, in the same run, each in its own process (wall clock and peak memory):

* sipas: ``sipas score --input FILE --by unit --format json`` — reading and checking every
  cell, then all items, factors, parts and SIPAS with their 95 % intervals, expectation and
  integrity rates, targets and flags per unit;
* pandas: ``pandas.read_csv`` + a group-by computing only the point indices (item = share of
  4–5 among 1–5 answers, factor = mean of its items, SIPAS = mean of the factors) per unit —
  the plain way an analyst would do it, with no intervals and no checks.

Both runs must agree on every unit's point SIPAS index (to 1e-9).

    .venv/bin/python benchmarks/scoring_file.py [--responses 10000000] [--keep FILE]

Exits 1 when sipas is slower than the pandas group-by.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import _bench

PANDAS_SCRIPT = r"""
import resource, sys, time, json
import numpy as np
import pandas as pd
sys.path.insert(0, sys.argv[2])
import forms
start = time.perf_counter()
frame = pd.read_csv(sys.argv[1], encoding="utf-8-sig", usecols=lambda c: c != "comment",
                    dtype={"unit_code": "category", "questionnaire": "category"})
# One pass: per (unit, questionnaire), the 4-5 answers and the 1-5 answers of every item.
items = [c for q in forms.load_all().values() for codes in q.factors().values() for c in codes]
values = frame[items]
counts = pd.concat([(values >= 4).add_suffix(":good"), (values >= 1).add_suffix(":valid")],
                   axis=1).groupby([frame["unit_code"], frame["questionnaire"]],
                                   observed=True).sum()
result = {}
for qid, q in forms.load_all().items():
    if qid not in counts.index.get_level_values(1):
        continue
    block = counts.xs(qid, level=1)
    factors = pd.concat({
        f: pd.concat([100 * block[f"{c}:good"] / block[f"{c}:valid"].replace(0, np.nan)
                      for c in codes], axis=1).mean(axis=1)
        for f, codes in q.factors().items()}, axis=1)
    result.update({str(k): float(v) for k, v in factors.mean(axis=1).items()})
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "sipas": result}))
"""


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall clock, peak memory (MB) and standard output of a child process."""
    before = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, env=env, timeout=3000
    )
    seconds = time.perf_counter() - before
    if done.returncode != 0:
        sys.exit(f"{cmd[0]} failed:\n{done.stderr[-3000:]}")
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return seconds, peak_kb / 1024, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=10_000_000)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--keep", type=Path, help="reuse or keep the generated file here")
    args = parser.parse_args()
    with _bench.workdir("sipas-scoring-file-") as tmp:
        path = args.keep or tmp / "responses.csv"
        if not path.exists():
            subprocess.run(
                [
                    sys.executable,
                    str(_bench.ROOT / "benchmarks" / "make_response_file.py"),
                    str(path),
                    "--responses",
                    str(args.responses),
                    "--units",
                    str(args.units),
                ],
                check=True,
                timeout=3000,
            )
        size = path.stat().st_size
        env = _bench.sipas_env(tmp / "unused.sqlite")
        ours, ours_mb, out = timed(
            [_bench.sipas_exe(), "score", "--input", str(path), "--by", "unit", "--format", "json"],
            env,
        )
        groups = json.loads(out)
        pandas_wall, pandas_mb, pandas_out = timed(
            [sys.executable, "-c", PANDAS_SCRIPT, str(path), str(_bench.ROOT)]
        )
        reference = json.loads(pandas_out)["sipas"]
        ours_sipas = {g["group"]["unit"]: g["sipas"]["index"] for g in groups}
        worst = max(abs(ours_sipas[u] - v) for u, v in reference.items())
        n = sum(g["n"] for g in groups)
        print(f"file: {n:,} responses, {len(groups)} units, {size / 1e9:.2f} GB")
        print(
            f"sipas score --input (read + check + all indices, intervals, flags): "
            f"{ours:.1f} s, peak memory {ours_mb:.0f} MB"
        )
        print(
            f"pandas read_csv + group-by (point SIPAS only): {pandas_wall:.1f} s, "
            f"peak memory {pandas_mb:.0f} MB"
        )
        print(f"largest difference in a unit's SIPAS between the two: {worst:.2e} points")
        if worst > 1e-9:
            print("the two computations disagree -> FAIL")
            return 1
        return _bench.verdict(
            "scoring a 10M-row file",
            ours <= pandas_wall,
            f"sipas {ours:.1f} s vs pandas {pandas_wall:.1f} s",
            "sipas not slower than pandas",
        )


if __name__ == "__main__":
    sys.exit(main())
