"""Small helpers for the import tests: a unit tree, and response files written cell by cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from survey_app.services.exchange import csvfile as exchange

from ..factories import make_counter, make_procedure, make_unit

HEADER = exchange.columns()


def world() -> dict[str, Any]:
    """Province P with two centres: IN (counter Q1, a land procedure) and OUT (counter Q1)."""
    root = make_unit("P", "Tỉnh thử")
    inside = make_unit("IN", "Trung tâm bên trong", parent=root)
    outside = make_unit("OUT", "Trung tâm bên ngoài", parent=root)
    counter_in = make_counter(inside)
    counter_out = make_counter(outside)
    proc = make_procedure(inside, "1.004227", "Đăng ký đất đai lần đầu")
    general = make_procedure(inside, "2.000889", "Đăng ký khai sinh", "chung")
    return {
        "root": root,
        "in": inside,
        "out": outside,
        "counter_in": counter_in,
        "counter_out": counter_out,
        "land": proc,
        "general": general,
    }


def row(**cells: str) -> dict[str, str]:
    base = dict.fromkeys(HEADER, "")
    base.update(
        submitted_at="2026-03-02T09:15:00+07:00",
        unit_code="IN",
        target_group="chung",
        questionnaire="sipas-2024-dv",
    )
    base.update(cells)
    return base


def csv_cell(text: str) -> str:
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = [",".join(HEADER)] + [",".join(csv_cell(r[c]) for c in HEADER) for r in rows]
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path
