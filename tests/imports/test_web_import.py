"""The import page: upload → preview → confirm, scope, CSRF, friendly refusals, the template."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from openpyxl import load_workbook

from survey_app.extensions import db
from survey_app.models import AuditEntry

from ..factories import all_responses, csrf_of, login_as
from .helpers import HEADER, row, world, write_csv


def _csv_bytes(tmp_path: Path, rows: list[dict[str, str]]) -> bytes:
    return write_csv(tmp_path / "up.csv", rows).read_bytes()


def _upload(
    client: FlaskClient,
    data: bytes,
    name: str = "phieu.csv",
    source: str = "",
    token: str | None = None,
) -> Any:
    fields: dict[str, Any] = {"file": (io.BytesIO(data), name), "source": source}
    if token is not False:
        fields["csrf_token"] = token or csrf_of(client, "/nhap-du-lieu")
    return client.post("/nhap-du-lieu", data=fields, content_type="multipart/form-data")


def _upload_id(html: str) -> str:
    found = re.search(r'action="/nhap-du-lieu/([A-Za-z0-9_-]{24})"', html)
    assert found, html[:2000]
    return found.group(1)


def test_admin_previews_then_confirms(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    world()
    admin = login_as(client, "admin", None)
    resp = _upload(client, _csv_bytes(tmp_path, [row(A1="5"), row(unit_code="OUT", A1="2")]))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="n-new">2<' in html and "Xác nhận nhập 2 phiếu" in html
    assert all_responses() == []  # the preview stores nothing
    upload_id = _upload_id(html)
    token = csrf_of(client, "/nhap-du-lieu")
    done = client.post(f"/nhap-du-lieu/{upload_id}", data={"csrf_token": token})
    assert done.status_code == 303
    page = client.get("/nhap-du-lieu").get_data(as_text=True)
    assert "Đã nhập 2 phản hồi mới từ tệp “phieu.csv”" in page
    assert [r.source for r in all_responses()] == ["paper", "paper"]
    entry = db.session.scalars(db.select(AuditEntry)).one()
    assert (entry.actor_id, entry.action, entry.after["added"]) == (admin.id, "responses.import", 2)
    again = client.post(f"/nhap-du-lieu/{upload_id}", data={"csrf_token": token})
    assert again.status_code == 404  # the upload is gone once imported
    # the same file again: recognised, nothing to confirm
    html = _upload(
        client, _csv_bytes(tmp_path, [row(A1="5"), row(unit_code="OUT", A1="2")])
    ).get_data(as_text=True)
    assert "Mọi phiếu trong tệp đều đã có" in html and "Xác nhận nhập" not in html
    assert len(all_responses()) == 2


def test_office_rows_outside_its_units_are_refused(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    w = world()
    login_as(client, "office", w["in"])
    resp = _upload(
        client,
        _csv_bytes(
            tmp_path, [row(A1="5"), row(unit_code="OUT", A1="1"), row(unit_code="P", A1="1")]
        ),
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "có 2 lỗi; chưa nhập phiếu nào" in html
    assert re.search(
        r'<td class="num">3</td><td>unit_code</td><td class="reason">đơn vị '
        r"&#39;OUT&#39; nằm ngoài phạm vi",
        html,
    )
    assert re.search(r'<td class="num">4</td><td>unit_code</td>', html)
    assert "Xác nhận nhập" not in html and all_responses() == []
    ok = _upload(client, _csv_bytes(tmp_path, [row(A1="5")]))
    assert ok.status_code == 200 and 'id="n-new">1<' in ok.get_data(as_text=True)


def test_every_error_is_listed_and_escaped(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    world()
    login_as(client, "admin", None)
    bad = [row(A1="5")] + [row(A1="8") for _ in range(5)] + [row(unit_code="<b>x</b>", A1="1")]
    html = _upload(client, _csv_bytes(tmp_path, bad)).get_data(as_text=True)
    assert "có 6 lỗi" in html
    for line in range(3, 8):
        assert f'<td class="num">{line}</td><td>A1</td>' in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert all_responses() == []


def test_confirm_needs_csrf_and_the_uploader(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    world()
    login_as(client, "admin", None)
    assert _upload(client, _csv_bytes(tmp_path, [row(A1="5")]), token=False).status_code == 400
    upload_id = _upload_id(
        _upload(client, _csv_bytes(tmp_path, [row(A1="5")])).get_data(as_text=True)
    )
    assert client.post(f"/nhap-du-lieu/{upload_id}").status_code == 400  # no CSRF token
    other = app.test_client()
    login_as(other, "admin", None, "quan.tri.hai")
    token = csrf_of(other, "/nhap-du-lieu")
    assert other.post(f"/nhap-du-lieu/{upload_id}", data={"csrf_token": token}).status_code == 404
    assert all_responses() == []
    g.pop("_login_user", None)  # the test's app context outlives requests: forget "other"
    token = csrf_of(client, "/nhap-du-lieu")
    assert client.post(f"/nhap-du-lieu/{upload_id}", data={"csrf_token": token}).status_code == 303
    assert len(all_responses()) == 1


def test_the_confirmation_imports_the_previewed_file(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    world()
    login_as(client, "admin", None)
    upload_id = _upload_id(
        _upload(client, _csv_bytes(tmp_path, [row(A1="5")])).get_data(as_text=True)
    )
    token = csrf_of(client, "/nhap-du-lieu")
    # a client re-sending another file with the confirmation changes nothing
    fields = {
        "csrf_token": token,
        "file": (io.BytesIO(_csv_bytes(tmp_path, [row(A1="1"), row(A1="1")])), "other.csv"),
    }
    resp = client.post(
        f"/nhap-du-lieu/{upload_id}", data=fields, content_type="multipart/form-data"
    )
    assert resp.status_code == 303
    assert [r.answers for r in all_responses()] == [{"A1": 5}]


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("phieu.txt", b"a,b\n", 400, "Chỉ nhận tệp .csv hoặc .xlsx"),
        ("phieu.csv", b"", 400, "rỗng"),
        ("phieu.csv", b"\xef\xbb\xbf\r\n", 400, "rỗng"),
        ("phieu.xlsx", b"not a zip", 400, "không đọc được tệp Excel"),
        ("phieu.csv", "ngày,đơn vị\n1,2\n".encode(), 400, "thiếu cột bắt buộc"),
    ],
)
def test_friendly_refusals(
    app: Flask, client: FlaskClient, name: str, data: bytes, status: int, message: str
) -> None:
    login_as(client, "admin", None)
    resp = _upload(client, data, name)
    assert resp.status_code == status
    assert message in resp.get_data(as_text=True)
    assert all_responses() == []


def test_no_file_and_too_big(app: Flask, client: FlaskClient) -> None:
    app.config["IMPORT_MAX_MB"] = 1
    login_as(client, "admin", None)
    token = csrf_of(client, "/nhap-du-lieu")
    resp = client.post(
        "/nhap-du-lieu",
        data={"csrf_token": token, "source": ""},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and "Vui lòng chọn tệp" in resp.get_data(as_text=True)
    body = b"--x\r\n" + b" " * (2 * 1024 * 1024)  # refused on its Content-Length alone
    resp = client.post("/nhap-du-lieu", data=body, content_type="multipart/form-data; boundary=x")
    assert resp.status_code == 413 and "Tệp lớn quá 1 MB" in resp.get_data(as_text=True)


def test_template_lists_the_scope_and_a_filled_copy_imports(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    w = world()
    login_as(client, "office", w["in"])
    resp = client.get("/nhap-du-lieu/mau.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    path = tmp_path / "mau.xlsx"
    path.write_bytes(resp.data)
    book = load_workbook(path)
    assert book.sheetnames == ["Hướng dẫn", "Phiếu", "Danh mục"]
    sheet = book["Phiếu"]
    assert [c.value for c in sheet[1]] == list(HEADER)[:-1]  # no "verified": never imported
    lists = book["Danh mục"]
    units = [c.value for c in lists["A"][1:] if c.value]
    assert units == ["IN"]  # the office's own unit only, not OUT nor the province
    rules = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}
    column = {code: sheet.cell(row=1, column=k + 1).column_letter for k, code in enumerate(HEADER)}
    assert rules[f"{column['A1']}2"].formula1 == '"1,2,3,4,5"'
    assert rules[f"{column['Q5']}2"].formula1 == '"1,2,3"'
    assert rules[f"{column['X5']}2"].formula1 == '"1,2,3,4"'
    assert rules[f"{column['unit_code']}2"].formula1 == "'Danh mục'!$A$2:$A$2"
    assert "Danh mục" in rules[f"{column['procedure_code']}2"].formula1
    assert rules[f"{column['channel']}2"].formula1.startswith('"truc_tiep,')
    help_text = " ".join(str(c.value) for c in book["Hướng dẫn"]["A"] if c.value)
    assert "mỗi phiếu một dòng" in help_text

    from datetime import datetime

    values = [
        {
            "submitted_at": datetime(2026, 3, 2, 9, 15),
            "unit_code": "IN",
            "counter_code": "Q1",
            "procedure_code": "1.004227",
            "target_group": "dat_dai_xay_dung_dau_tu",
            "channel": "truc_tiep",
            "questionnaire": "sipas-2024-dv",
            "A1": 5,
            "B1": 4,
            "Q5": 1,
            "comment": "Hướng dẫn tận tình,\nrất hài lòng",
        },
        {
            "submitted_at": "2026-03-02",
            "unit_code": "IN",
            "target_group": "chung",
            "questionnaire": "sipas-2024-nhanh",
            "A0": 4,
            "E0": 3,
        },
    ]
    for r, cells in enumerate(values, start=2):
        for code, value in cells.items():
            sheet.cell(row=r, column=HEADER.index(code) + 1, value=value)
    book.save(path)
    resp = _upload(client, path.read_bytes(), "da-dien.xlsx")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[:3000]
    token = csrf_of(client, "/nhap-du-lieu")
    assert (
        client.post(f"/nhap-du-lieu/{_upload_id(html)}", data={"csrf_token": token}).status_code
        == 303
    )
    first, second = all_responses()
    assert first.answers == {"A1": 5, "B1": 4, "Q5": 1} and first.counter_id == w["counter_in"].id
    assert first.comment == "Hướng dẫn tận tình,\nrất hài lòng" and first.source == "paper"
    assert first.submitted_at.isoformat() == "2026-03-02T02:15:00+00:00"  # 09:15 in Vietnam
    assert second.answers == {"A0": 4, "E0": 3} and str(second.local_day) == "2026-03-02"


def test_xlsx_errors_name_the_sheet_row(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    w = world()
    login_as(client, "office", w["in"])
    path = tmp_path / "mau.xlsx"
    path.write_bytes(client.get("/nhap-du-lieu/mau.xlsx").data)
    book = load_workbook(path)
    sheet = book["Phiếu"]
    for r, (unit, answer) in enumerate((("IN", 5), ("IN", 9), ("OUT", 4)), start=2):
        for code, value in (
            ("submitted_at", "2026-03-02 08:00"),
            ("unit_code", unit),
            ("target_group", "chung"),
            ("questionnaire", "sipas-2024-dv"),
            ("A1", answer),
        ):
            sheet.cell(row=r, column=HEADER.index(code) + 1, value=value)
    book.save(path)
    html = _upload(client, path.read_bytes(), "sai.xlsx").get_data(as_text=True)
    assert '<td class="num">3</td><td>A1</td>' in html
    assert '<td class="num">4</td><td>unit_code</td>' in html
    assert all_responses() == []


def test_a_file_larger_than_an_ordinary_form_uploads(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    world()
    login_as(client, "admin", None)
    rows = [
        row(A1=str(1 + k % 5), B1="4", comment=f"Góp ý số {k} " + "x" * 60) for k in range(1500)
    ]
    data = _csv_bytes(tmp_path, rows)
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    html = _upload(client, data).get_data(as_text=True)
    assert 'id="n-new">1.500<' in html  # thousands dot in Vietnamese


def test_a_workbook_that_unpacks_too_big_is_refused(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey_app.services.exchange import importer

    login_as(client, "admin", None)
    template = client.get("/nhap-du-lieu/mau.xlsx").data
    monkeypatch.setattr(importer, "XLSX_MAX_UNPACKED", 10_000)
    resp = _upload(client, template, "lon.xlsx")
    assert resp.status_code == 400
    assert "tệp Excel khi giải nén lớn hơn" in resp.get_data(as_text=True)


def test_the_page_in_english_and_the_header_link(app: Flask, client: FlaskClient) -> None:
    w = world()
    login_as(client, "office", w["in"])
    home = client.get("/van-phong").get_data(as_text=True)
    assert 'href="/nhap-du-lieu"' in home  # the staff header links to the import page
    from flask_babel import refresh

    refresh()  # the test's app context outlives requests: drop the cached locale
    html = client.get("/nhap-du-lieu?lang=en").get_data(as_text=True)
    assert "Import survey responses" in html and "Download the template (.xlsx)" in html
