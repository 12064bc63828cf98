"""Files sipas writes and reads (issue 11, items 6–9): no cell it writes runs as a formula in
a spreadsheet and the export still imports back exactly; a workbook is held to limits
proportional to its size before it is parsed; a sheet's declared range is never trusted;
malformed, non-UTF-8 and ``;``/tab-separated files are refused with what to do, or read.

Every crafted file is built here, small (zipfile and openpyxl): no large file is committed.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import Workbook, load_workbook

from survey_app.services.exchange import csvfile, filecheck, importer, template
from survey_app.services.formatting import spreadsheet_text, spreadsheet_value

from ..factories import all_responses, csrf_of, login_as, make_counter, make_unit
from ..imports.helpers import HEADER, row, world, write_csv

FORMULAS = ("=1+1", "+84 912", "-5 sao", "@SUM(A1)", '=HYPERLINK("http://x","y")', "'=x", "'tốt")
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _refused(path: Path, **kw: Any) -> importer.ImportRefused:
    with pytest.raises(importer.ImportRefused) as caught:
        importer.import_file(path, **kw)
    return caught.value


def _messages(refused: importer.ImportRefused) -> str:
    return "\n".join(str(p) for p in refused.problems)


# --- 6. formulas -----------------------------------------------------------------------------


def test_spreadsheet_text_guards_every_trigger_and_is_undone_exactly() -> None:
    for text in (*FORMULAS, "\tx", "\rx", "''=x", "'", "", "tốt", "a=b"):
        written = spreadsheet_text(text)
        assert not written.startswith(TRIGGERS)
        assert spreadsheet_value(written) == text


def test_export_writes_no_formula_and_imports_back_the_same_comments(
    app: Flask, tmp_path: Path
) -> None:
    world()
    make_unit("-U1", "Đơn vị có mã bắt đầu bằng gạch")
    # Written as sipas writes them (guarded), so that they are stored exactly as listed.
    rows = [row(A1="5", comment=spreadsheet_text(c)) for c in FORMULAS]
    rows.append(row(A1="4", unit_code=spreadsheet_text("-U1")))
    importer.import_file(write_csv(tmp_path / "in.csv", rows))
    stored = sorted((r.unit_id, r.comment or "") for r in all_responses())
    assert sorted(c for _, c in stored if c) == sorted(FORMULAS)

    out = tmp_path / "export.csv"
    assert csvfile.export_file(out) == len(rows)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        cells = [cell for line in csv.reader(fh) for cell in line]
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    assert "'=1+1" in cells and "''=x" in cells and "'tốt" in cells and "'-U1" in cells

    again = importer.import_file(out)  # every field compared with the stored row: identical
    assert (again.added, again.skipped) == (0, len(rows))

    # Without the ids the rows are new: their comments and units are the originals.
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    for line in table[1:]:
        line[0] = ""
        line[HEADER.index("source")] = "ban-sao"
    copy = tmp_path / "copy.csv"
    with copy.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(table)
    assert importer.import_file(copy).added == len(rows)
    copies = sorted((r.unit_id, r.comment or "") for r in all_responses() if r.source == "ban-sao")
    assert copies == stored


def test_the_import_template_holds_names_as_text_never_formulas(app: Flask, tmp_path: Path) -> None:
    unit = make_unit("T1", '=HYPERLINK("http://x","bấm")')
    make_counter(unit, code="Q9", name="@SUM(1+1)")
    path = tmp_path / "mau.xlsx"
    path.write_bytes(template.build())
    book = load_workbook(path)
    lists = book[template.LISTS_SHEET]
    cells = [c for line in lists.iter_rows() for c in line if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://x","bấm")' in values and "@SUM(1+1)" in values


# --- crafted workbooks -----------------------------------------------------------------------


def _workbook(rows: list[dict[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = template.DATA_SHEET
    sheet.append(list(HEADER))
    for cells in rows:
        sheet.append([cells[c] for c in HEADER])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezip(data: bytes, change: dict[str, Any]) -> bytes:
    """The workbook with members replaced (``name → bytes`` or ``name → function of the
    old bytes``) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            body = old.read(info.filename)
            edit = change.pop(info.filename, None)
            body = edit(body) if callable(edit) else body if edit is None else edit
            new.writestr(info.filename, body, zipfile.ZIP_DEFLATED)
        for name, body in change.items():
            new.writestr(name, body, zipfile.ZIP_DEFLATED)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"


# --- 7. limits -------------------------------------------------------------------------------


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: Any, **_k: Any) -> None:
        raise AssertionError("the workbook was parsed")

    monkeypatch.setattr(filecheck, "load_workbook", refuse)


def test_a_zip_bomb_is_refused_from_its_directory_before_parsing(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world()
    bomb = _rezip(_workbook([row(A1="5")]), {"xl/media/pad.bin": b"\0" * (20 << 20)})
    assert len(bomb) < 100_000  # 20 MB of zeros pack into about 20 KB
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    _no_parsing(monkeypatch)
    refused = _refused(path)
    assert "tệp Excel khi giải nén lớn hơn" in _messages(refused)


def test_a_string_table_out_of_proportion_is_refused_before_parsing(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world()
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    strings += b"<si><t>aaaaaaaa</t></si>" * 100_000 + b"</sst>"  # 2.5 MB, packs into ~10 KB
    app.config["IMPORT_XLSX_UNPACK_RATIO"] = 1000  # only the string table's limit applies
    path = tmp_path / "strings.xlsx"
    path.write_bytes(_rezip(_workbook([row(A1="5")]), {"xl/sharedStrings.xml": strings}))
    _no_parsing(monkeypatch)
    assert "tệp Excel khi giải nén lớn hơn" in _messages(_refused(path))


def test_millions_of_cells_in_a_small_sheet_are_refused_quickly(app: Flask, tmp_path: Path) -> None:
    world()

    def far_rows(body: bytes) -> bytes:  # a row a million rows down, and one 16,384 wide
        far = b'<row r="1048000"><c r="XFD1048000" t="inlineStr"><is><t>x</t></is></c></row>'
        return body.replace(b"</sheetData>", far + b"</sheetData>")

    path = tmp_path / "cells.xlsx"
    path.write_bytes(_rezip(_workbook([row(A1="5")]), {SHEET: far_rows}))
    began = time.perf_counter()
    refused = _refused(path)
    assert time.perf_counter() - began < 5
    assert "quá nhiều ô so với kích thước tệp" in _messages(refused)


def test_the_problems_listed_are_capped_and_the_rest_counted(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    world()
    path = write_csv(tmp_path / "bad.csv", [row(A1="5", unit_code="X") for _ in range(250)])
    refused = _refused(path)
    assert len(refused.problems) == 100 and refused.total == 250
    assert [p.line for p in refused.problems] == list(range(2, 102))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 2
    assert "có 250 lỗi" in result.stderr and "… và 150 lỗi khác" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 102
    app.config["IMPORT_MAX_PROBLEMS"] = 7
    assert len(_refused(path).problems) == 7


# --- 8. the declared range -------------------------------------------------------------------


def test_a_stale_dimension_is_an_error_not_three_rows_of_twelve(app: Flask, tmp_path: Path) -> None:
    world()
    data = _workbook([row(A1=str(1 + k % 5)) for k in range(12)])

    def stale(body: bytes) -> bytes:
        fixed, n = re.subn(rb'<dimension ref="A1:([A-Z]+)13"', rb'<dimension ref="A1:\g<1>4"', body)
        assert n == 1
        return fixed

    path = tmp_path / "stale.xlsx"
    path.write_bytes(_rezip(data, {SHEET: stale}))
    refused = _refused(path)
    assert "chỉ có 4 dòng nhưng có dữ liệu ở dòng 5" in _messages(refused)
    assert all_responses() == []
    path.write_bytes(data)  # the same rows with the true range: all twelve
    assert importer.import_file(path).added == 12


# --- 9. malformed files ----------------------------------------------------------------------


def test_an_xml_error_in_the_sheet_is_refused(app: Flask, tmp_path: Path) -> None:
    world()

    def broken(body: bytes) -> bytes:
        return body.replace(b"</sheetData>", b'<row r="9"><c r="A9"><v>1</c></row></sheetData>')

    path = tmp_path / "broken.xlsx"
    path.write_bytes(_rezip(_workbook([row(A1="5")]), {SHEET: broken}))
    assert "không đọc được tệp Excel" in _messages(_refused(path))


def _csv_text(rows: list[dict[str, str]], delimiter: str = ",", end: str = "\r\n") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=end)
    writer.writerow(HEADER)
    writer.writerows([[r[c] for c in HEADER] for r in rows])
    return buffer.getvalue()


def test_lone_cr_line_ends_are_refused_with_what_to_do(app: Flask, tmp_path: Path) -> None:
    world()
    path = tmp_path / "mac.csv"
    path.write_text(_csv_text([row(A1="5"), row(A1="4")], end="\r"), encoding="utf-8")
    assert "CR đơn lẻ" in _messages(_refused(path))


def test_a_header_field_over_the_csv_limit_is_refused(app: Flask, tmp_path: Path) -> None:
    world()
    path = tmp_path / "wide.csv"
    path.write_text(",".join(HEADER) + "," + "x" * 200_000 + "\r\n", encoding="utf-8")
    assert "không đọc được tệp CSV" in _messages(_refused(path))


def test_nul_bytes_are_refused_before_the_database(app: Flask, tmp_path: Path) -> None:
    world()
    path = tmp_path / "nul.csv"
    path.write_text(_csv_text([row(A1="5", comment="tốt\x00lắm")]), encoding="utf-8")
    assert "ký tự NUL" in _messages(_refused(path))
    assert all_responses() == []


def _encoded(text: str, encoding: str) -> bytes:
    """``text`` as Excel on a Vietnamese Windows saves it (cp1258 has the tone marks as
    combining characters)."""
    return unicodedata.normalize("NFD" if encoding == "cp1258" else "NFC", text).encode(encoding)


@pytest.mark.parametrize(("encoding", "named"), [("cp1258", "Windows-1258"), ("utf-16", "UTF-16")])
def test_a_file_that_is_not_utf8_says_what_it_looks_like(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, encoding: str, named: str
) -> None:
    world()
    path = tmp_path / "excel.csv"
    path.write_bytes(_encoded(_csv_text([row(A1="5", comment="Hài lòng")]), encoding))
    expected = f"tệp không phải UTF-8 (có vẻ là {named}): hãy lưu lại dạng CSV UTF-8"
    assert expected in _messages(_refused(path))
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines()[1:] == [f"dòng 0: {expected}"]  # nothing else on stderr


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_are_read(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, delimiter: str
) -> None:
    world()
    rows = [row(A1="5", comment="Tốt; nhanh"), row(A1="3", comment="Chờ lâu,\nphải quay lại")]
    path = tmp_path / "excel.csv"
    path.write_text("\ufeff" + _csv_text(rows, delimiter), encoding="utf-8")
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert sorted(r.comment for r in all_responses()) == ["Chờ lâu,\nphải quay lại", "Tốt; nhanh"]


def _upload(client: FlaskClient, data: bytes, name: str, lang: str = "") -> Any:
    fields = {"file": (io.BytesIO(data), name), "source": ""}
    fields["csrf_token"] = csrf_of(client, "/nhap-du-lieu" + lang)
    return client.post("/nhap-du-lieu" + lang, data=fields, content_type="multipart/form-data")


def test_the_import_page_reads_semicolons_and_names_the_encoding_in_english(
    app: Flask, client: FlaskClient
) -> None:
    world()
    login_as(client, "admin", None)
    good = _upload(client, _csv_text([row(A1="5")], ";").encode(), "a.csv")
    assert good.status_code == 200 and 'id="n-new">1<' in good.get_data(as_text=True)
    bad = _upload(client, _encoded(_csv_text([row(comment="Hài lòng")]), "cp1258"), "b.csv")
    assert bad.status_code == 400
    assert "có vẻ là Windows-1258" in bad.get_data(as_text=True)
    from flask_babel import refresh

    refresh()  # the test's app context outlives requests: drop the cached locale
    english = _upload(client, _csv_text([row(A1="5")]).encode("utf-16"), "c.csv", "?lang=en")
    assert english.status_code == 400
    text = english.get_data(as_text=True)
    assert "the file is not UTF-8 (it looks like UTF-16): save it as CSV UTF-8" in text
