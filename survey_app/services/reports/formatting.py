"""Numbers as Vietnamese documents print them: decimal comma, thousands dot, two decimals."""

from __future__ import annotations

DASH = "–"


def number(value: float | None, decimals: int = 2, signed: bool = False) -> str:
    if value is None:
        return DASH
    text = f"{value:+,.{decimals}f}" if signed else f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
