"""Administration of procedures: list and search, add, edit, link units, (de)activate, and
the all-or-nothing CSV import (clean, bad rows all reported, idempotent re-import)."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, Procedure, Unit, unit_procedures
from survey_app.services import org
from survey_app.services.org import procedures as service

from ..factories import csrf_of, login_as, make_counter, make_procedure, make_unit, token_of

PAGE = "/quan-tri/thu-tuc"
IMPORT = "/quan-tri/thu-tuc/nhap"
CLEAN = (
    "code,name,field,target_group,units\n"
    "2.000889,Đăng ký khai sinh,Hộ tịch,chung,U1 U2\n"
    '1.004227,"Đăng ký đất đai, tài sản gắn liền với đất lần đầu",Đất đai,'
    "dat_dai_xay_dung_dau_tu,U1\n"
    "2.000815,Chứng thực bản sao từ bản chính,Chứng thực,chung,\n"
)


@pytest.fixture
def units(app: Flask) -> dict[str, Unit]:
    one = make_unit("U1", "Đơn vị Một")
    two = make_unit("U2", "Đơn vị Hai")
    make_counter(one, "Q1", "Quầy Một")
    return {"U1": one, "U2": two}


@pytest.fixture
def admin(client: FlaskClient, units: dict[str, Unit]) -> FlaskClient:
    login_as(client, "admin", None, "quan.tri")
    return client


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _snapshot() -> tuple[list[tuple[str, str, str, str, bool]], list[tuple[int, int]]]:
    db.session.expire_all()
    procs = [
        (p.code, p.name, p.field, p.target_group, p.active)
        for p in db.session.scalars(select(Procedure).order_by(Procedure.code))
    ]
    links = sorted(tuple(r) for r in db.session.execute(select(unit_procedures)))
    return procs, links


def _links() -> dict[str, list[str]]:
    rows = db.session.execute(
        select(Procedure.code, Unit.code)
        .join(unit_procedures, unit_procedures.c.procedure_id == Procedure.id)
        .join(Unit, Unit.id == unit_procedures.c.unit_id)
    )
    found: dict[str, list[str]] = {}
    for proc, unit in rows:
        found.setdefault(proc, []).append(unit)
    return {k: sorted(v) for k, v in found.items()}


def _upload(
    client: FlaskClient, body: str | bytes, name: str = "thu-tuc.csv", with_csrf: bool = True
) -> tuple[int, str]:
    data: dict[str, object] = {
        "file": (io.BytesIO(body.encode() if isinstance(body, str) else body), name)
    }
    if with_csrf:
        data["csrf_token"] = csrf_of(client, PAGE)
    resp = client.post(IMPORT, data=data, content_type="multipart/form-data")
    return resp.status_code, resp.get_data(as_text=True)


CONFIRMED = {"confirm": "1"}  # destructive steps ask first (survey_app/auth/confirm.py)


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
    resp = client.post(
        path, data={"csrf_token": csrf_of(client, PAGE), **CONFIRMED, **(data or {})}
    )
    return resp.status_code, resp.get_data(as_text=True)


@pytest.mark.parametrize("role", ["staff", "unit_head", "office", "inspector"])
def test_other_roles_get_403(client: FlaskClient, units: dict[str, Unit], role: str) -> None:
    proc = make_procedure(units["U1"])
    login_as(client, role, units["U1"])
    token = csrf_of(client, "/nhan-vien")
    for path in (PAGE, f"{PAGE}/{proc.id}", f"{PAGE}/mau.csv"):
        assert client.get(path).status_code == 403, path
    for path in (PAGE, f"{PAGE}/{proc.id}", f"{PAGE}/{proc.id}/ngung", IMPORT):
        resp = client.post(
            path,
            data={
                "csrf_token": token,
                "code": "9.9",
                "name": "X",
                "field": "",
                "target_group": "chung",
            },
        )
        assert resp.status_code == 403, path
    assert _entries() == []


def test_changes_need_csrf(admin: FlaskClient, units: dict[str, Unit]) -> None:
    before = _snapshot()
    assert _upload(admin, CLEAN, with_csrf=False)[0] == 400
    assert (
        admin.post(
            PAGE, data={"code": "9.9", "name": "X", "field": "", "target_group": "chung"}
        ).status_code
        == 400
    )
    assert _snapshot() == before and _entries() == []


def test_clean_import_adds_links_and_audits(admin: FlaskClient, units: dict[str, Unit]) -> None:
    status, _html = _upload(admin, CLEAN)
    assert status == 303
    procs, _ = _snapshot()
    assert procs == [
        (
            "1.004227",
            "Đăng ký đất đai, tài sản gắn liền với đất lần đầu",
            "Đất đai",
            "dat_dai_xay_dung_dau_tu",
            True,
        ),
        ("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực", "chung", True),
        ("2.000889", "Đăng ký khai sinh", "Hộ tịch", "chung", True),
    ]
    assert _links() == {"1.004227": ["U1"], "2.000889": ["U1", "U2"]}
    entries = _entries()
    assert [e.action for e in entries] == ["procedure.add"] * 3 + ["procedure.import"]
    assert entries[0].before is None and entries[0].after == {
        "code": "2.000889",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "target_group": "chung",
        "active": True,
        "units": ["U1", "U2"],
    }
    assert entries[-1].after == {"added": 3, "updated": 0, "unchanged": 0, "links": 3}
    # The counter's form offers the new procedures at once.
    info = org.counter_by_token(token_of(units["U1"].counters[0]))
    assert info is not None and [p.code for p in info.procedures] == ["1.004227", "2.000889"]
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Đã nhập danh sách thủ tục: 3 thêm mới, 0 cập nhật, 0 không đổi" in page


def test_reimport_is_idempotent_and_updates_by_code(
    admin: FlaskClient, units: dict[str, Unit]
) -> None:
    assert _upload(admin, CLEAN)[0] == 303
    first = _snapshot()
    assert _upload(admin, CLEAN)[0] == 303
    assert _snapshot() == first
    assert [e.action for e in _entries()][4:] == ["procedure.import"]
    assert _entries()[-1].after == {"added": 0, "updated": 0, "unchanged": 3, "links": 0}
    changed = CLEAN.replace("Đăng ký khai sinh,Hộ tịch", "Đăng ký khai sinh (mới),Hộ tịch")
    assert _upload(admin, changed)[0] == 303
    procs, links = _snapshot()
    assert ("2.000889", "Đăng ký khai sinh (mới)", "Hộ tịch", "chung", True) in procs
    assert len(procs) == 3 and links == first[1]
    edit = _entries()[-2]
    assert (edit.action, edit.before, edit.after) == (
        "procedure.edit",
        {"name": "Đăng ký khai sinh"},
        {"name": "Đăng ký khai sinh (mới)"},
    )


def test_bom_semicolons_and_vietnamese_headers(admin: FlaskClient, units: dict[str, Unit]) -> None:
    body = (
        "\ufeffMã;Tên;Lĩnh vực;Nhóm đối tượng;Đơn vị\r\n"
        "2.000889;Đăng ký khai sinh;Hộ tịch;chung;U2\r\n"
    ).encode()
    assert _upload(admin, body)[0] == 303
    assert _snapshot()[0] == [("2.000889", "Đăng ký khai sinh", "Hộ tịch", "chung", True)]
    assert _links() == {"2.000889": ["U2"]}


def test_every_bad_row_is_reported_and_nothing_changes(
    admin: FlaskClient, units: dict[str, Unit]
) -> None:
    make_procedure(units["U1"], "2.000889", "Đăng ký khai sinh", "chung")
    before, entries = _snapshot(), _entries()
    body = (
        "code,name,field,target_group,units\n"
        "2.000889,Đăng ký khai sinh (đổi),Hộ tịch,chung,U1\n"  # fine on its own
        "1.0 04,Tên,Đất đai,chung,\n"  # line 3: code
        "1.000001,,Đất đai,đất đai,\n"  # line 4: name and target group
        "1.000002,Thủ tục,Đất đai,chung,U1 U9\n"  # line 5: unknown unit
        "2.000889,Trùng mã,Hộ tịch,chung,\n"  # line 6: duplicate of line 2
        "1.000003,Thiếu cột\n"  # line 7: too few cells
        "\n"
        '1.000004,"Tên\nhai dòng",Đất đai,chung,\n'  # lines 9–10: fine
        "1.000005,Thủ tục,Đất đai,sai,\n"  # line 11: after a multi-line row
    )
    status, html = _upload(admin, body)
    assert status == 400
    assert "Chưa nhập gì: tệp có 7 lỗi." in html
    expected = [
        "Dòng 3, cột code: Mã thủ tục gồm 1–40 ký tự",
        "Dòng 4, cột name: Thiếu tên thủ tục.",
        "Dòng 4, cột target_group: Nhóm đối tượng phải là một trong: chung, "
        "dat_dai_xay_dung_dau_tu.",
        "Dòng 5, cột units: Không có đơn vị mang mã: U9.",
        "Dòng 6, cột code: Mã thủ tục 2.000889 đã có ở dòng 2.",
        "Dòng 7: Dòng có 2 cột, dòng tiêu đề có 5 cột.",
        "Dòng 11, cột target_group:",
    ]
    for message in expected:
        assert message in html, message
    assert _snapshot() == before and _entries() == entries


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("name,field,target_group\nA,B,chung\n", "Dòng 1, cột code: Thiếu cột bắt buộc"),
        (
            "code,STT,name,field,target_group\n1.1,1,A,B,chung\n",
            "Dòng 1, cột STT: Cột không được dùng.",
        ),
        ("code,name,field,target_group\n", "Tệp không có dòng thủ tục nào."),
        ("", "Vui lòng chọn một tệp CSV."),
        (b"code,name,field,target_group\n1.1,\xff\xfe,B,chung\n", "Dòng 2: Tệp không phải UTF-8."),
        ('code,name,field,target_group\n1.1,"A"x,B,chung\n', "Lỗi định dạng CSV"),
    ],
)
def test_bad_files_are_refused_with_a_reason(
    admin: FlaskClient, units: dict[str, Unit], body: str | bytes, message: str
) -> None:
    status, html = _upload(admin, body)
    assert status == 400 and message in html and 'role="alert"' in html
    assert _snapshot() == ([], []) and _entries() == []


def test_a_bad_byte_is_reported_on_its_line(app: Flask) -> None:
    with pytest.raises(service.ImportFailed) as failed:
        service.parse_csv("code,name\n\n1.1,x\xff".encode("latin-1"))
    (error,) = failed.value.errors
    assert error.line == 3 and error.reason.startswith("Tệp không phải UTF-8.")


def test_big_files_pass_the_body_limit(admin: FlaskClient, units: dict[str, Unit]) -> None:
    rows = "".join(
        f"9.{i:06d},Thủ tục số {i} có tên khá dài để tệp lớn hơn,Lĩnh vực,chung,U1\n"
        for i in range(2000)
    )
    body = "code,name,field,target_group,units\n" + rows
    assert len(body.encode()) > 64 * 1024  # the app-wide limit for other requests
    assert _upload(admin, body)[0] == 303
    assert len(_snapshot()[0]) == 2000


def test_template_downloads_and_imports_as_is(admin: FlaskClient, units: dict[str, Unit]) -> None:
    resp = admin.get(f"{PAGE}/mau.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    assert resp.data.startswith("\ufeffcode,name,field,target_group,units".encode())
    assert _upload(admin, resp.data)[0] == 303
    assert len(_snapshot()[0]) == 2


def test_add_edit_link_and_deactivate(admin: FlaskClient, units: dict[str, Unit]) -> None:
    data = {
        "code": "2.000889",
        "name": " Đăng ký  khai sinh ",
        "field": "Hộ tịch",
        "target_group": "chung",
        "units": "U1",
    }
    assert _post(admin, PAGE, data)[0] == 303
    proc = db.session.scalar(select(Procedure).where(Procedure.code == "2.000889"))
    assert proc is not None and proc.name == "Đăng ký khai sinh"
    assert _links() == {"2.000889": ["U1"]}
    assert (
        _post(
            admin,
            f"{PAGE}/{proc.id}",
            {**data, "units": "U2, U1", "target_group": "dat_dai_xay_dung_dau_tu"},
        )[0]
        == 303
    )
    assert _links() == {"2.000889": ["U1", "U2"]}
    assert _post(admin, f"{PAGE}/{proc.id}", {**data, "units": "U2"})[0] == 303
    assert _links() == {"2.000889": ["U2"]}
    assert _post(admin, f"{PAGE}/{proc.id}/ngung")[0] == 303
    status, html = _post(admin, f"{PAGE}/{proc.id}/ngung")
    assert status == 400 and "Thủ tục đã ngừng sử dụng." in html
    add, edit1, edit2, off = _entries()
    assert add.action == "procedure.add" and add.after is not None
    assert add.after["units"] == ["U1"]
    assert (edit1.before, edit1.after) == (
        {"target_group": "chung", "units": ["U1"]},
        {"target_group": "dat_dai_xay_dung_dau_tu", "units": ["U1", "U2"]},
    )
    assert (edit2.before, edit2.after) == (
        {"target_group": "dat_dai_xay_dung_dau_tu", "units": ["U1", "U2"]},
        {"target_group": "chung", "units": ["U2"]},
    )
    assert (off.action, off.before, off.after) == (
        "procedure.deactivate",
        {"active": True},
        {"active": False},
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "1.004227"}, "Mã thủ tục 1.004227 đã có."),
        ({"units": "U1 KHONG"}, "Không có đơn vị mang mã: KHONG."),
        ({"target_group": "x"}, "Nhóm đối tượng phải là một trong"),
        ({"name": ""}, "Thiếu tên thủ tục."),
    ],
)
def test_form_errors_are_friendly(
    admin: FlaskClient, units: dict[str, Unit], change: dict[str, str], message: str
) -> None:
    make_procedure(units["U1"])
    before, entries = _snapshot(), _entries()
    data = {
        "code": "2.000889",
        "name": "Đăng ký khai sinh",
        "field": "Hộ tịch",
        "target_group": "chung",
        "units": "U1",
        **change,
    }
    status, html = _post(admin, PAGE, data)
    assert status == 400 and message in html and 'role="alert"' in html
    assert _snapshot() == before and _entries() == entries


def test_search(admin: FlaskClient, units: dict[str, Unit]) -> None:
    assert _upload(admin, CLEAN)[0] == 303
    html = admin.get(PAGE, query_string={"q": "khai sinh"}).get_data(as_text=True)
    assert "Đăng ký khai sinh" in html and "Chứng thực bản sao" not in html
    html = admin.get(PAGE, query_string={"q": "1.004"}).get_data(as_text=True)
    assert "Đăng ký đất đai" in html and "Đăng ký khai sinh" not in html
    html = admin.get(PAGE, query_string={"q": "%"}).get_data(as_text=True)
    assert "Không có thủ tục nào." in html


def test_names_are_escaped(admin: FlaskClient, units: dict[str, Unit]) -> None:
    body = "code,name,field,target_group\n1.1,<script>alert(1)</script> & <b>,x,chung\n"
    assert _upload(admin, body)[0] == 303
    for path in (PAGE, "/quan-tri/nhat-ky"):
        html = admin.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
