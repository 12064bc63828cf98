"""Imported responses count exactly like online ones: the same answers give the same scores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

import forms
from survey_app.extensions import db
from survey_app.services import org
from survey_app.services.exchange import importer
from survey_app.services.ingest import responses

from ..factories import make_counter, make_procedure, make_unit, token_of
from .helpers import row, write_csv

ANSWERS = [
    {"A1": 5, "B1": 4, "C1": 3, "D1": 2, "E1": 1, "Q5": 2, "X5": 4},
    {"A1": 4, "A2": 4, "C2": 5, "Q6": 1},
    {"B2": 1, "D3": 5, "X7": 2},
    {"A1": 2, "E3": 3, "Q5": 1},
] * 3
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_import_gives_the_same_figures_as_online(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    root = make_unit("P", "Tỉnh")
    online, paper = (
        make_unit("ON", "Trực tuyến", parent=root),
        make_unit("GIAY", "Giấy", parent=root),
    )
    counter = make_counter(online, "Q1")
    make_counter(paper, "Q1")
    land = make_procedure(online, "1.004227", "Đăng ký đất đai")
    paper.procedures.append(land)
    db.session.commit()
    info = org.counter_by_token(token_of(counter))
    assert info is not None
    rows = []
    for k, answers in enumerate(ANSWERS):
        moment = START + timedelta(days=k % 4, hours=k)
        proc = "1.004227" if k % 3 == 0 else None
        responses.submit(
            info,
            forms.get("sipas-2024-dv"),
            responses.Submission(
                answers=answers, procedure=proc, channel="truc_tiep", submitted_at=moment
            ),
        )
        rows.append(
            row(
                unit_code="GIAY",
                counter_code="Q1",
                procedure_code=proc or "",
                target_group="dat_dai_xay_dung_dau_tu" if proc else "chung",
                channel="truc_tiep",
                submitted_at=moment.isoformat(),
                **{c: str(v) for c, v in answers.items()},
            )
        )
    assert importer.import_file(write_csv(tmp_path / "giay.csv", rows)).added == len(ANSWERS)

    def figures(*args: str) -> dict[str, dict[str, object]]:
        result = runner.invoke(
            args=[
                "score",
                "--from",
                "2026-03-01",
                "--to",
                "2026-03-31",
                "--format",
                "json",
                "--min-n",
                "1",
                *args,
            ]
        )
        assert result.exit_code == 0, result.output
        out = {}
        for group in json.loads(result.output):
            unit = group["group"].pop("unit")
            out[f"{unit} {json.dumps(group['group'], sort_keys=True)}"] = {
                k: v for k, v in group.items() if k != "group"
            }
        return out

    for by in (
        ["--by", "unit"],
        ["--by", "unit,target_group"],
        ["--by", "unit,day"],
        ["--by", "counter"],
    ):
        got = figures(*by)
        for key, value in got.items():
            if key.startswith("ON "):
                assert got[key.replace("ON ", "GIAY ", 1)] == value, (by, key)
