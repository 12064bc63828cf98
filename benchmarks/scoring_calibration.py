"""Coverage of the scoring library's 95 % intervals in simulation.

Usage::

    python benchmarks/scoring_calibration.py [--reps 10000] [--seed 1] [--sizes 30 100 1000]

For each group size n, draws ``reps`` datasets from the SIPAS service form (16 items,
5 factors, one part) with ``scoring.simulation`` — answers correlated within respondents,
true item proportions 0.75–0.92 (``--low/--high``), 10–25 % missing per item, 30–40 % for
factor E — scores them all in one vectorised batch and prints, per index level, the share
of intervals that contain the true population index, for each interval method.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import LevelInterval, StatsBatch, Structure, score_batch  # noqa: E402
from scoring.simulation import realistic_model, simulate_answers, true_scores  # noqa: E402

DV = Structure(
    factors={
        "A": ("A1", "A2", "A3"),
        "B": ("B1", "B2", "B3", "B4"),
        "C": ("C1", "C2", "C3"),
        "D": ("D1", "D2", "D3"),
        "E": ("E1", "E2", "E3"),
    },
    parts={"DV": ("A", "B", "C", "D", "E")},
    expectation=("X5", "X6", "X7", "X8", "X9", "X10"),
    integrity=("Q5", "Q6"),
)
LEVELS = ("items", "factors", "parts", "sipas")
CHUNK_ROWS = 2_000_000


def coverage_for_size(n, reps, model, truth, rng):
    """Coverage per (method, level) for groups of n respondents."""
    true_values = {
        "items": 100 * truth.items,
        "factors": 100 * truth.factors,
        "parts": 100 * truth.parts,
        "sipas": np.array([100 * truth.sipas]),
    }
    hits = {(m, level): 0 for m in LevelInterval for level in LEVELS}
    counts = dict.fromkeys(hits, 0)
    per_chunk = max(1, CHUNK_ROWS // n)
    done = 0
    while done < reps:
        k = min(per_chunk, reps - done)
        answers = simulate_answers(DV, model, k * n, rng)
        batch = StatsBatch.from_answers(DV, answers, np.repeat(np.arange(k), n), k)
        for method in LevelInterval:
            scores = score_batch(batch, interval=method)
            for level in LEVELS:
                arrays = getattr(scores, level)
                value = true_values[level]
                ok = (arrays.ci_low <= value) & (value <= arrays.ci_high)
                valid = ~np.isnan(arrays.index)
                hits[method, level] += int(ok[valid].sum())
                counts[method, level] += int(valid.sum())
        done += k
    return {key: hits[key] / counts[key] for key in hits}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000, help="datasets per size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 1000])
    parser.add_argument("--low", type=float, default=0.75, help="lowest true item proportion")
    parser.add_argument("--high", type=float, default=0.92, help="highest true item proportion")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    model = realistic_model(DV, rng, low=args.low, high=args.high)
    truth = true_scores(DV, model)
    print(f"true SIPAS {100 * truth.sipas:.2f} %, items {np.round(100 * truth.items, 1)}")
    print(f"missing rates {np.round(100 * np.array(model.missing), 0)}")
    print(
        f"reps per size: {args.reps}; Monte Carlo s.e. of a 95 % coverage "
        f"≈ {100 * np.sqrt(0.95 * 0.05 / args.reps):.2f} points (SIPAS level)\n"
    )
    header = f"{'n':>6} {'method':<18}" + "".join(f"{level:>9}" for level in LEVELS)
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        start = time.perf_counter()
        result = coverage_for_size(n, args.reps, model, truth, rng)
        for method in LevelInterval:
            row = "".join(f"{100 * result[method, level]:9.2f}" for level in LEVELS)
            print(f"{n:>6} {method.value:<18}{row}")
        print(f"{'':>6} ({time.perf_counter() - start:.1f} s)")
    print(
        "\nlevels: items use Wilson in every row; 'method' is the factor-level interval, "
        "parts and SIPAS combine it by MOVER."
    )


if __name__ == "__main__":
    main()
