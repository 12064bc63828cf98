"""Calibration of the scoring library's 95 % intervals in simulation: both tails.

Usage::

    python benchmarks/scoring_calibration.py [--reps 4000] [--seed 1] [--sizes 30 50 100 400]
        [--method wilson_effective] [--mixes single mixed] [--levels typical target]

For each truth (``--levels``), version mix (``--mixes``) and group size n, draws ``reps``
datasets with ``scoring.simulation`` — answers correlated within respondents, 10–25 %
missing per item and 30–40 % for factor E, missingness correlated within respondents — and
scores them all in one vectorised batch. Truths: ``typical`` has true item proportions
0.75–0.92 (SIPAS ≈ 84 %), ``target`` 0.84–0.96 (SIPAS ≈ 90 %, a unit at the general target).
Mixes: ``single`` is the 16-item service form only; ``mixed`` gives each respondent the quick
form (one item per factor) with probability 0.3, its true item proportions 0.12 lower than
the full form's factor means — two versions of different levels in random shares.

For items (Wilson), factors and SIPAS it prints the two tails: the share of intervals whose
``ci_low`` lies above the true index ("below low": the truth is under the interval) and
whose ``ci_high`` lies under it ("above high"). Each should be 2.5 %. The script exits 1
when a SIPAS tail is outside 1.5–3.5 % (the flag reads the SIPAS interval). Items (Wilson,
as METHOD.md prescribes) and factors are printed, not checked.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import LevelInterval, StatsBatch, Structure, score_versions_batch  # noqa: E402
from scoring.simulation import (  # noqa: E402
    SimulationModel,
    realistic_model,
    simulate_answers,
    true_scores,
)

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
QUICK = Structure(
    factors={"A": ("A0",), "B": ("B0",), "C": ("C0",), "D": ("D0",), "E": ("E0",)},
    parts={"DV": ("A", "B", "C", "D", "E")},
    expectation=(),
    integrity=("Q5", "Q6"),
)
TRUTHS = {"typical": (0.75, 0.92), "target": (0.84, 0.96)}
QUICK_SHARE = 0.3  # chance that a respondent of a mixed group has the quick form
QUICK_OFFSET = 0.12  # the quick form's items are this much lower than the full form's factors
QUICK_MISSING = (0.10, 0.10, 0.10, 0.25, 0.35)
LEVELS = ("items", "factors", "sipas")
CHECKED = ("sipas",)
BAND = (1.5, 3.5)  # each tail, percent
CHUNK_ROWS = 2_000_000


class Scenario:
    """A truth and a version mix: the models, and the true indices of the mix."""

    def __init__(
        self, low: float, high: float, mix: str, rng: np.random.Generator, sd: float = 1.0
    ) -> None:
        self.mix = mix
        model = realistic_model(DV, rng, low=low, high=high)
        self.full = dataclasses.replace(model, respondent_sd=sd)
        full_truth = true_scores(DV, self.full)
        quick_p = tuple(float(f - QUICK_OFFSET) for f in full_truth.factors)
        self.quick = SimulationModel(quick_p, QUICK_MISSING, respondent_sd=sd)
        self.items = 100 * full_truth.items
        if mix == "single":
            factors = full_truth.factors
        else:
            # A factor of a mixed group weights each version by its respondents who answered
            # the factor: in the population, share × P(answered the factor | version).
            full_w = (1 - QUICK_SHARE) * _answered(DV, self.full)
            quick_w = QUICK_SHARE * _answered(QUICK, self.quick)
            quick_f = true_scores(QUICK, self.quick).factors
            factors = (full_w * full_truth.factors + quick_w * quick_f) / (full_w + quick_w)
        self.factors = 100 * factors
        self.sipas = float(self.factors.mean())

    def draw(self, n: int, k: int, rng: np.random.Generator) -> list[StatsBatch]:
        """Statistics of ``k`` groups of ``n`` respondents (one batch per version)."""
        groups = np.repeat(np.arange(k), n)
        if self.mix == "single":
            return [
                StatsBatch.from_answers(DV, simulate_answers(DV, self.full, k * n, rng), groups, k)
            ]
        quick = rng.random(k * n) < QUICK_SHARE
        full_answers = simulate_answers(DV, self.full, int((~quick).sum()), rng)
        quick_answers = simulate_answers(QUICK, self.quick, int(quick.sum()), rng)
        return [
            StatsBatch.from_answers(DV, full_answers, groups[~quick], k),
            StatsBatch.from_answers(QUICK, quick_answers, groups[quick], k),
        ]


def _answered(structure: Structure, model: SimulationModel) -> np.ndarray:
    """P(a respondent answers at least one item of each factor), by a large simulation."""
    answers = simulate_answers(structure, model, 400_000, np.random.default_rng(12345))
    valid = (answers[:, : len(structure.items)] > 0).astype(np.int32)
    return (valid @ structure.membership.T.astype(np.int32) > 0).mean(axis=0)


def tails_for_size(scenario, n, reps, method, rng):
    """Percent of intervals below / above the truth, per level."""
    low = dict.fromkeys(LEVELS, 0)
    high = dict.fromkeys(LEVELS, 0)
    counts = dict.fromkeys(LEVELS, 0)
    truth = {"items": scenario.items, "factors": scenario.factors, "sipas": scenario.sipas}
    per_chunk = max(1, CHUNK_ROWS // n)
    done = 0
    while done < reps:
        k = min(per_chunk, reps - done)
        scores = score_versions_batch(scenario.draw(n, k, rng), interval=method)
        for level in LEVELS:
            arrays = getattr(scores, level)
            codes = arrays.codes
            if level == "items":  # the full form's items only (the truth is theirs)
                keep = [i for i, c in enumerate(codes) if c in DV.items]
                arrays_low, arrays_high = arrays.ci_low[:, keep], arrays.ci_high[:, keep]
                index = arrays.index[:, keep]
            else:
                arrays_low, arrays_high, index = arrays.ci_low, arrays.ci_high, arrays.index
            value = truth[level]
            valid = ~np.isnan(index)
            low[level] += int(((arrays_low > value) & valid).sum())
            high[level] += int(((arrays_high < value) & valid).sum())
            counts[level] += int(valid.sum())
        done += k
    return {
        level: (100 * low[level] / counts[level], 100 * high[level] / counts[level])
        for level in LEVELS
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000, help="datasets per size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 50, 100, 400])
    parser.add_argument(
        "--mixes", nargs="+", choices=["single", "mixed"], default=["single", "mixed"]
    )
    parser.add_argument("--levels", nargs="+", choices=list(TRUTHS), default=list(TRUTHS))
    parser.add_argument(
        "--respondent-sd",
        type=float,
        default=1.0,
        help="respondent effect σ (latent correlation of one person's answers σ²/(1+σ²); "
        "1.0 → 0.5, the library's default model)",
    )
    parser.add_argument(
        "--method",
        choices=[m.value for m in LevelInterval],
        default=LevelInterval.WILSON_EFFECTIVE.value,
        help="factor-level interval (parts and SIPAS follow it)",
    )
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    method = LevelInterval(args.method)
    se = 100 * np.sqrt(0.025 * 0.975 / args.reps)
    print(
        f"method {method.value}; {args.reps} datasets per row; Monte Carlo s.e. of a 2.5 % tail "
        f"≈ {se:.2f} points (SIPAS; less for items and factors, several per dataset)"
    )
    icc = args.respondent_sd**2 / (1 + args.respondent_sd**2)
    print(f"latent correlation of one respondent's answers {icc:.2f}")
    print(f"checked: SIPAS tails within {BAND[0]}–{BAND[1]} %\n")
    header = f"{'truth':<8}{'mix':<7}{'n':>5} {'true SIPAS':>10}" + "".join(
        f"{level + ' <low':>15}{level + ' >high':>15}" for level in LEVELS
    )
    print(header)
    print("-" * len(header))
    failures = []
    for truth_name in args.levels:
        low_p, high_p = TRUTHS[truth_name]
        for mix in args.mixes:
            scenario = Scenario(
                low_p, high_p, mix, np.random.default_rng(args.seed), args.respondent_sd
            )
            for n in args.sizes:
                start = time.perf_counter()
                tails = tails_for_size(scenario, n, args.reps, method, rng)
                cells = "".join(f"{tails[lv][0]:15.2f}{tails[lv][1]:15.2f}" for lv in LEVELS)
                print(
                    f"{truth_name:<8}{mix:<7}{n:>5} {scenario.sipas:10.2f}{cells}"
                    f"   ({time.perf_counter() - start:.1f} s)",
                    flush=True,
                )
                for level in CHECKED:
                    for side, value in zip(("below low", "above high"), tails[level], strict=True):
                        if not BAND[0] <= value <= BAND[1]:
                            failures.append(
                                f"{truth_name} {mix} n={n} {level} {side}: {value:.2f} %"
                            )
    print(
        "\n'<low': the true index is under ci_low; '>high': it is above ci_high "
        "(a unit at target flagged below_significant). Items use Wilson."
    )
    if failures:
        print("\nOUTSIDE THE BAND:\n  " + "\n  ".join(failures))
        return 1
    print("\nall SIPAS tails within the band")
    return 0


if __name__ == "__main__":
    sys.exit(main())
