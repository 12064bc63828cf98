"""Administration of the unit tree: access, CSRF, add, edit, re-parent (no cycles), codes
unique, (de)activate, questionnaire per unit, audit entries, escaping."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import AuditEntry, Response, Unit

from ..factories import (
    all_responses,
    csrf_of,
    login_as,
    make_counter,
    make_unit,
    open_form,
    token_of,
)

PAGE = "/quan-tri/don-vi"


@pytest.fixture
def tree(app: Flask) -> dict[str, Unit]:
    root = make_unit("P", "Tỉnh Thử")
    district = make_unit("H", "Huyện Thử", parent=root)
    commune = make_unit("X", "Xã Thử", parent=district)
    make_counter(commune, "Q1", "Quầy Một")
    return {"P": root, "H": district, "X": commune}


@pytest.fixture
def admin(client: FlaskClient, tree: dict[str, Unit]) -> FlaskClient:
    login_as(client, "admin", None, "quan.tri")
    return client


def _entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _unit(code: str) -> Unit:
    db.session.expire_all()
    found = db.session.scalar(select(Unit).where(Unit.code == code))
    assert found is not None
    return found


CONFIRMED = {"confirm": "1"}  # destructive steps ask first (survey_app/auth/confirm.py)


def _post(client: FlaskClient, path: str, data: dict[str, str] | None = None) -> tuple[int, str]:
    resp = client.post(
        path, data={"csrf_token": csrf_of(client, PAGE), **CONFIRMED, **(data or {})}
    )
    return resp.status_code, resp.get_data(as_text=True)


def _fields(unit: Unit, **change: str) -> dict[str, str]:
    values = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "place_name": unit.place_name,
        "parent": unit.parent.code if unit.parent else "",
        "target_group": unit.target_group,
        "questionnaire": unit.questionnaire_id,
    }
    return {**values, **change}


NEW = {
    "code": "X2",
    "name": "  Xã   Mới ",
    "kind": "UBND xã",
    "place_name": "Bộ phận một cửa",
    "parent": "H",
    "target_group": "dat_dai_xay_dung_dau_tu",
    "questionnaire": "sipas-2024-nhanh",
}


@pytest.mark.parametrize("role", ["staff", "unit_head", "office", "inspector"])
def test_other_roles_get_403(client: FlaskClient, tree: dict[str, Unit], role: str) -> None:
    login_as(client, role, tree["P"])
    token = csrf_of(client, "/nhan-vien")
    unit = tree["X"].id
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/{unit}").status_code == 403
    for path in (PAGE, f"{PAGE}/{unit}", f"{PAGE}/{unit}/ngung", f"{PAGE}/{unit}/kich-hoat"):
        assert client.post(path, data={"csrf_token": token, **NEW}).status_code == 403, path
    assert _entries() == [] and _unit("X").active


def test_signed_out_goes_to_login(client: FlaskClient, tree: dict[str, Unit]) -> None:
    resp = client.get(PAGE)
    assert resp.status_code == 302 and "/dang-nhap" in resp.headers["Location"]


def test_changes_need_csrf(admin: FlaskClient, tree: dict[str, Unit]) -> None:
    unit = tree["X"].id
    for path in (PAGE, f"{PAGE}/{unit}", f"{PAGE}/{unit}/ngung"):
        assert admin.post(path, data=NEW).status_code == 400, path
    assert _entries() == [] and _unit("X").active
    assert db.session.scalar(select(Unit).where(Unit.code == "X2")) is None


def test_tree_is_indented_by_depth_with_questionnaires(
    admin: FlaskClient, tree: dict[str, Unit]
) -> None:
    html = admin.get(PAGE).get_data(as_text=True)
    # Nested lists: the commune's item sits inside the district's, inside the province's.
    p, h, x = (html.index(f'id="don-vi-{tree[c].id}"') for c in "PHX")
    assert p < h < x
    assert html.count("<ul>", p, x) == 2
    assert "sipas-2024-dv" in html and "1 quầy" in html


def test_add_unit(admin: FlaskClient, tree: dict[str, Unit]) -> None:
    status, _html = _post(admin, PAGE, NEW)
    assert status == 303
    unit = _unit("X2")
    assert (
        unit.name,
        unit.kind,
        unit.place_name,
        unit.parent.code if unit.parent else None,
        unit.target_group,
        unit.questionnaire_id,
        unit.active,
    ) == (
        "Xã Mới",
        "UBND xã",
        "Bộ phận một cửa",
        "H",
        "dat_dai_xay_dung_dau_tu",
        "sipas-2024-nhanh",
        True,
    )
    (entry,) = _entries()
    assert (entry.action, entry.target_type, entry.target_id, entry.before) == (
        "unit.add",
        "unit",
        str(unit.id),
        None,
    )
    assert entry.after == {
        "code": "X2",
        "name": "Xã Mới",
        "kind": "UBND xã",
        "place_name": "Bộ phận một cửa",
        "parent": "H",
        "target_group": "dat_dai_xay_dung_dau_tu",
        "questionnaire": "sipas-2024-nhanh",
        "form_start": "nhanh",  # a new unit's card opens the quick form first
        "open_qr": True,  # and takes open ratings (issue 13)
        "active": True,
    }
    assert entry.actor is not None and entry.actor.username == "quan.tri"
    html = admin.get(PAGE).get_data(as_text=True)
    assert html.index(f'id="don-vi-{tree["H"].id}"') < html.index(f'id="don-vi-{unit.id}"')


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "H"}, "Mã đơn vị H đã có."),
        ({"code": "X 2/"}, "Mã đơn vị gồm 1–40 ký tự"),
        ({"name": "  "}, "Vui lòng nhập tên đơn vị."),
        ({"place_name": ""}, "Vui lòng nhập tên nơi phục vụ"),
        ({"parent": "KHONG"}, "Không có đơn vị cấp trên mang mã KHONG."),
        ({"target_group": "khac"}, "Nhóm đối tượng không hợp lệ."),
        ({"questionnaire": "sipas-1999"}, "Bộ phiếu sipas-1999 chưa được đăng ký."),
        ({"name": "x" * 301}, "Nội dung dài quá 300 ký tự."),
    ],
)
def test_add_unit_errors_are_friendly(
    admin: FlaskClient, tree: dict[str, Unit], change: dict[str, str], message: str
) -> None:
    status, html = _post(admin, PAGE, {**NEW, **change})
    assert status == 400
    assert message in html and 'role="alert"' in html
    assert db.session.scalar(select(Unit).where(Unit.code == "X2")) is None
    assert _entries() == []


def test_edit_and_reparent(admin: FlaskClient, tree: dict[str, Unit]) -> None:
    commune = tree["X"]
    status, _html = _post(
        admin, f"{PAGE}/{commune.id}", _fields(commune, parent="P", name="Xã Thử (mới)")
    )
    assert status == 303
    moved = _unit("X")
    assert moved.parent is not None and moved.parent.code == "P" and moved.name == "Xã Thử (mới)"
    (entry,) = _entries()
    assert entry.action == "unit.edit"
    assert entry.before == {"parent": "H", "name": "Xã Thử"}
    assert entry.after == {"parent": "P", "name": "Xã Thử (mới)"}
    # Saving the same values again changes nothing and logs nothing.
    assert _post(admin, f"{PAGE}/{commune.id}", _fields(moved))[0] == 303
    assert len(_entries()) == 1


@pytest.mark.parametrize(("code", "parent"), [("P", "H"), ("P", "X"), ("H", "X"), ("H", "H")])
def test_reparenting_under_itself_or_a_descendant_is_refused(
    admin: FlaskClient, tree: dict[str, Unit], code: str, parent: str
) -> None:
    unit = tree[code]
    was = unit.parent_id
    status, html = _post(admin, f"{PAGE}/{unit.id}", _fields(unit, parent=parent))
    assert status == 400 and 'role="alert"' in html
    assert (
        f"Không thể đặt {code} dưới {parent}: {parent} là chính nó hoặc một đơn vị cấp "
        "dưới của nó, cây đơn vị sẽ thành vòng lặp."
    ) in html
    assert _unit(code).parent_id == was
    assert _entries() == []


def test_edit_form_offers_no_sub_unit_as_parent(admin: FlaskClient, tree: dict[str, Unit]) -> None:
    html = admin.get(f"{PAGE}/{tree['H'].id}").get_data(as_text=True)
    parents = re.findall(
        r'<option value="([^"]*)"', html.split('name="parent"')[1].split("</select>")[0]
    )
    assert parents == ["", "P"]


def test_edit_refuses_a_taken_code(admin: FlaskClient, tree: dict[str, Unit]) -> None:
    status, html = _post(admin, f"{PAGE}/{tree['X'].id}", _fields(tree["X"], code="H"))
    assert status == 400 and "Mã đơn vị H đã có." in html
    assert _unit("X").name == "Xã Thử" and _entries() == []


def test_deactivate_stops_the_form_and_activate_restores_it(
    admin: FlaskClient, tree: dict[str, Unit]
) -> None:
    unit = tree["X"]
    token = token_of(unit.counters[0])
    assert admin.get(f"/f/{token}").status_code == 200  # cached in this process
    assert _post(admin, f"{PAGE}/{unit.id}/ngung")[0] == 303
    assert admin.get(f"/f/{token}").status_code == 404
    status, html = _post(admin, f"{PAGE}/{unit.id}/ngung")
    assert status == 400 and "Đơn vị đã ngừng hoạt động." in html
    assert _post(admin, f"{PAGE}/{unit.id}/kich-hoat")[0] == 303
    assert admin.get(f"/f/{token}").status_code == 200
    off, on = _entries()
    assert (off.action, off.before, off.after) == (
        "unit.deactivate",
        {"active": True},
        {"active": False},
    )
    assert (on.action, on.before, on.after) == (
        "unit.activate",
        {"active": False},
        {"active": True},
    )


def test_new_responses_use_the_new_questionnaire_old_ones_keep_theirs(
    app: Flask, admin: FlaskClient, tree: dict[str, Unit]
) -> None:
    unit = tree["X"]
    token = token_of(unit.counters[0])
    citizen = app.test_client()
    _submit(citizen, token)
    assert (
        _post(admin, f"{PAGE}/{unit.id}", _fields(unit, questionnaire="sipas-2024-nhanh"))[0] == 303
    )
    _submit(citizen, token)
    first, second = all_responses()
    assert (first.questionnaire_id, second.questionnaire_id) == (
        "sipas-2024-dv",
        "sipas-2024-nhanh",
    )
    (entry,) = _entries()
    assert (entry.before, entry.after) == (
        {"questionnaire": "sipas-2024-dv"},
        {"questionnaire": "sipas-2024-nhanh"},
    )
    assert db.session.get(Response, first.id) is not None


def _submit(client: FlaskClient, token: str) -> None:
    hidden = open_form(client, token)
    version = _unit("X").questionnaire_id
    item = forms.get(version).factors()["A"][0]
    resp = client.post(f"/f/{token}", data={**hidden, item: "5"})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:800]


def test_questionnaire_choices_come_from_the_forms_registry(
    admin: FlaskClient, tree: dict[str, Unit]
) -> None:
    html = admin.get(f"{PAGE}/{tree['X'].id}").get_data(as_text=True)
    for qid in forms.load_all():
        assert f'value="{qid}"' in html


def test_unknown_unit_is_404(admin: FlaskClient, tree: dict[str, Unit]) -> None:
    assert admin.get(f"{PAGE}/9999").status_code == 404
    assert _post(admin, f"{PAGE}/9999/ngung")[0] == 404


def test_names_are_escaped(admin: FlaskClient, tree: dict[str, Unit]) -> None:
    evil = "<script>alert(1)</script> Xã & <b>"
    status, _html = _post(admin, PAGE, {**NEW, "name": evil})
    assert status == 303
    for path in (PAGE, "/quan-tri/nhat-ky", f"{PAGE}/{_unit('X2').id}"):
        html = admin.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
