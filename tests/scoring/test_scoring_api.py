"""Purity, validation messages and doctests."""

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scoring import (
    Estimate,
    StatsBatch,
    Structure,
    SufficientStats,
    flag_for,
    level_interval,
    parse_period,
    period_label,
    score_batch,
    target_for,
    wilson_interval,
)

from .helpers_scoring import DV, SMALL


def test_import_scoring_loads_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, scoring; "
        "bad = [m for m in sys.modules if m.split('.')[0] in {'flask', 'sqlalchemy', 'pandas'}]; "
        "print(bad)"
    )
    root = Path(__file__).resolve().parents[2]  # the repository, where `scoring/` lives
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == "[]"


def test_wilson_hand_value():
    # 8 of 10, z = 1.959964: centre = (0.8 + 0.192073)/1.384146 = 0.716740,
    # half = 1.959964·√(0.016 + 0.009604)/1.384146 = 1.959964·0.160011/1.384146 = 0.226578
    # → [0.490162, 0.943318]
    low, high = wilson_interval(8, 10)
    assert float(low) == pytest.approx(0.490162, abs=1e-6)
    assert float(high) == pytest.approx(0.943318, abs=1e-6)


GOOD = np.zeros((2, len(SMALL.columns)), dtype=int)


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: SufficientStats.from_answers(SMALL, np.zeros((2, 3), int)), "answers"),
        (lambda: SufficientStats.from_answers(SMALL, GOOD + 6), "answers"),
        (lambda: SufficientStats.from_answers(SMALL, GOOD.astype(float)), "answers"),
        (lambda: StatsBatch.from_answers(SMALL, GOOD, np.array([0])), "groups"),
        (lambda: StatsBatch.from_answers(SMALL, GOOD, np.array([0, 3]), 2), "groups"),
        (lambda: StatsBatch.from_answers(SMALL, GOOD, np.array([0, 1]), -1), "n_groups"),
        (lambda: SufficientStats.from_vector(SMALL, np.zeros(3, int)), "vector"),
        (lambda: SufficientStats.from_bytes(SMALL, b"xx"), "data"),
        (lambda: Structure(factors={}, parts={"DV": ()}), "factors"),
        (lambda: Structure(factors={"A": ("A1",)}, parts={"DV": ("Z",)}), "parts"),
        (lambda: Structure(factors={"A": ("A1", "A1")}, parts={"DV": ("A",)}), "factors"),
        (lambda: wilson_interval(3, 5, confidence=1.5), "confidence"),
        (lambda: level_interval(0.5, -1.0, 10), "variance"),
        (lambda: level_interval(0.5, 0.01, 10, method="bootstrap"), "method"),
        (lambda: score_batch(StatsBatch.zeros(DV, 1), interval="nope"), "method"),
        (lambda: parse_period("2026-Q9"), "period"),
        (lambda: period_label("2026-01-01", "month"), "day"),
        (lambda: period_label(__import__("datetime").date(2026, 1, 1), "week"), "kind"),
        (lambda: flag_for(30, Estimate(30, 1.0, 0.0, 2.0, 1.0), 150.0), "target"),
        (lambda: flag_for(30, Estimate(30, 1.0, 0.0, 2.0, 1.0), 90.0, min_n=-1), "min_n"),
        (lambda: target_for("yes"), "land_only"),
    ],
)
def test_validation_errors_name_the_parameter(call, parameter):
    with pytest.raises(ValueError, match=f"^{parameter}"):
        call()


@pytest.mark.parametrize(
    "module",
    [
        "structure",
        "stats",
        "intervals",
        "indices",
        "periods",
        "targets",
        "change",
        "output",
        "aggregate",
        "simulation",
        "coverage",
        "measures",
    ],
)
def test_docstring_examples(module):
    mod = importlib.import_module(f"scoring.{module}")
    import datetime

    import scoring

    globs = {"np": np, "date": datetime.date, **{n: getattr(scoring, n) for n in scoring.__all__}}
    result = doctest.testmod(mod, extraglobs=globs, raise_on_error=False)
    assert result.failed == 0
