"""Shared structures for the scoring tests (plain module, not a conftest)."""

from scoring import Structure

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
    expectation=("X5", "X6", "X7", "X8", "X9", "X10"),
    integrity=("Q5", "Q6"),
)

# A small structure whose numbers are worked out by hand in the tests.
SMALL = Structure(
    factors={"A": ("A1", "A2"), "B": ("B1", "B2"), "E": ("E1",)},
    parts={"DV": ("A", "B", "E")},
    expectation=("X5",),
    integrity=("Q5",),
)
