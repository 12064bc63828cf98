"""The web job's pack: the XLSX and the PDF rendered once each, the zip made of those very
files (and a CSV per table)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from flask import Flask

from survey_app.services.reports import ReportSpec, build, write_pack, writers

from . import golden


def test_the_pack_renders_each_file_once_and_zips_those(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    golden.build()
    report = build(ReportSpec("2026-Q1"))
    calls: list[str] = []
    for name in ("_xlsx", "_pdf"):
        real = getattr(writers, name)

        def counted(r: object, out: Path, real: object = real, name: str = name) -> None:
            calls.append(name)
            real(r, out)  # type: ignore[operator]

        monkeypatch.setattr(writers, name, counted)
    steps: list[str] = []
    tmp_path = tmp_path / "pack"
    tmp_path.mkdir()
    names = {"xlsx": "a.xlsx", "pdf": "a.pdf", "zip": "a.zip"}
    done = write_pack(report, tmp_path, names, steps.append)
    assert sorted(calls) == ["_pdf", "_xlsx"]  # not twice for the zip
    assert steps == ["xlsx", "pdf", "zip"]
    assert done == {fmt: tmp_path / name for fmt, name in names.items()}
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert archive.read("bao-cao.xlsx") == (tmp_path / "a.xlsx").read_bytes()
        assert archive.read("bao-cao.pdf") == (tmp_path / "a.pdf").read_bytes()
        assert sum(n.startswith("csv/") for n in archive.namelist()) == len(report.tables)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pdf", "a.xlsx", "a.zip"]
    with pytest.raises(ValueError):
        write_pack(report, tmp_path, {"html": "x.html"})
