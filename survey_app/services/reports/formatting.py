"""Numbers as Vietnamese documents print them: decimal comma, thousands dot, two decimals."""

from __future__ import annotations

from survey_app.services.reports.model import Cell, Column

DASH = "–"


def number(value: float | None, decimals: int = 2, signed: bool = False) -> str:
    if value is None:
        return DASH
    text = f"{value:+,.{decimals}f}" if signed else f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def cell_text(column: Column, value: Cell) -> str:
    """A cell as text for the PDF and HTML."""
    if value is None:
        return "" if column.kind == "text" else DASH
    if column.kind == "int":
        return number(float(value), 0)  # type: ignore[arg-type]
    if column.kind == "pct":
        return number(value, 2)  # type: ignore[arg-type]
    if column.kind == "pp":
        return number(value, 2, signed=True)  # type: ignore[arg-type]
    if column.kind == "ci":
        low, high = value  # type: ignore[misc]
        if low is None or high is None:
            return DASH
        return f"{number(low)}–{number(high)}"
    return str(value)


def is_numeric(column: Column) -> bool:
    return column.kind != "text"
