"""The form on a phone: the quick form first with "trả lời thêm" towards the unit's
questionnaire (a unit setting), the intro's count, the error summary that takes the focus and
scale labels of at least 14 px."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

import forms
from survey_app.extensions import db
from survey_app.models import AuditEntry, Unit
from survey_app.services import org

from ..factories import all_responses, csrf_of, login_as, make_counter, make_unit, token_of

CSS = Path(__file__).parents[2] / "survey_app" / "static" / "public.css"


def _token(unit: Unit) -> str:
    return token_of(make_counter(unit))


def _hidden(html: str) -> dict[str, str]:
    return dict(
        re.findall(r'name="(csrf_token|idempotency_key)" type="hidden" value="([^"]*)"', html)
    )


def _get(client: FlaskClient, path: str) -> str:
    g.pop("csrf_token", None)
    resp = client.get(path)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _items(html: str) -> list[str]:
    return re.findall(r'<fieldset id="q-([A-Z][A-Z0-9]*)"', html)


def test_a_new_unit_opens_the_quick_form_first(app: Flask, client: FlaskClient) -> None:
    unit = make_unit(form_start="nhanh")
    token = _token(unit)
    html = _get(client, f"/f/{token}")
    assert _items(html) == list(forms.get(forms.QUICK_VERSION).item_codes)
    full = forms.get(unit.questionnaire_id)
    assert '<a href="?phieu=day-du">Trả lời thêm</a>' in html
    assert f"phiếu đầy đủ, {len(full.items)} câu" in html


def test_the_model_default_is_the_quick_form(app: Flask) -> None:
    unit = Unit(code="N1", name="Xã Mới", place_name="Bộ phận Một cửa")
    db.session.add(unit)
    db.session.commit()
    assert unit.form_start == "nhanh"


def test_answer_more_opens_the_units_questionnaire_and_stores_it(
    app: Flask, client: FlaskClient
) -> None:
    unit = make_unit(form_start="nhanh")
    token = _token(unit)
    html = _get(client, f"/f/{token}?phieu=day-du")
    assert _items(html) == list(forms.get("sipas-2024-dv").item_codes)
    assert "Quay lại phiếu nhanh" in html and "Trả lời thêm</a>" not in html
    assert 'href="?lang=en&amp;phieu=day-du"' in html  # the language switch keeps the form
    resp = client.post(f"/f/{token}?phieu=day-du", data={**_hidden(html), "A1": "5", "C2": "4"})
    assert resp.status_code == 303
    (stored,) = all_responses()
    assert (stored.questionnaire_id, stored.answers) == ("sipas-2024-dv", {"A1": 5, "C2": 4})


def test_quick_answers_are_stored_as_the_quick_version(app: Flask, client: FlaskClient) -> None:
    token = _token(make_unit(form_start="nhanh"))
    html = _get(client, f"/f/{token}")
    assert client.post(f"/f/{token}", data={**_hidden(html), "A0": "4"}).status_code == 303
    (stored,) = all_responses()
    assert (stored.questionnaire_id, stored.answers) == (forms.QUICK_VERSION, {"A0": 4})


def test_full_setting_opens_the_units_questionnaire_at_once(
    app: Flask, client: FlaskClient
) -> None:
    token = _token(make_unit(form_start="day_du"))
    html = _get(client, f"/f/{token}")
    assert "A1" in _items(html) and "Trả lời thêm" not in html
    assert "A1" in _items(_get(client, f"/f/{token}?phieu=day-du"))


def test_a_unit_on_the_quick_questionnaire_has_nothing_more(
    app: Flask, client: FlaskClient
) -> None:
    token = _token(make_unit(form_start="nhanh", questionnaire_id=forms.QUICK_VERSION))
    html = _get(client, f"/f/{token}")
    assert "A0" in _items(html) and "Trả lời thêm" not in html


@pytest.mark.parametrize(("lang", "words"), [("vi", "câu hỏi ngắn"), ("en", "short questions")])
def test_quick_intro_counts_the_questions_it_shows(
    app: Flask, client: FlaskClient, lang: str, words: str
) -> None:
    token = _token(make_unit(form_start="nhanh"))
    html = _get(client, f"/f/{token}?lang={lang}")
    assert f"{len(_items(html))} {words}" in html
    assert "Năm câu hỏi" not in html and "Five short" not in html and "{count}" not in html


def test_after_an_error_the_summary_takes_the_focus(app: Flask, client: FlaskClient) -> None:
    token = _token(make_unit(form_start="nhanh"))
    html = _get(client, f"/f/{token}")
    resp = client.post(f"/f/{token}", data={**_hidden(html), "A0": "9"})
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    summary = re.search(r'<div class="sum"[^>]*>', page)
    assert summary is not None
    assert 'tabindex="-1"' in summary.group(0) and "autofocus" in summary.group(0)
    assert page.count("autofocus") == 1
    assert "autofocus" not in html  # a fresh form does not jump anywhere


def _font_sizes(selector_part: str) -> list[float]:
    """Every font-size (in px, 16 px root) of the rules whose selector names ``selector_part``."""
    sizes = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", CSS.read_text(encoding="utf-8")):
        if selector_part not in selectors:
            continue
        for value, unit in re.findall(r"font-size:([\d.]+)(rem|px)", body):
            sizes.append(float(value) * (16 if unit == "rem" else 1))
    return sizes


@pytest.mark.parametrize("selector", [".factor label", ".expectation label", ".o .no", ".o label"])
def test_scale_labels_are_at_least_14_px(selector: str) -> None:
    sizes = _font_sizes(selector)
    assert sizes and min(sizes) >= 14, (selector, sizes)


def _unit_form(unit: Unit, **change: str) -> dict[str, str]:
    return {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "place_name": unit.place_name,
        "parent": "",
        "target_group": unit.target_group,
        "questionnaire": unit.questionnaire_id,
        **change,
    }


def test_the_admin_chooses_what_the_card_opens(app: Flask, client: FlaskClient) -> None:
    unit = make_unit(form_start="nhanh")
    token = _token(unit)
    login_as(client, "admin", None)
    page = f"/quan-tri/don-vi/{unit.id}"
    form = _get(client, page)
    assert 'name="form_start"' in form and 'value="nhanh" selected' in form
    data = _unit_form(unit, form_start="day_du", csrf_token=csrf_of(client, page))
    assert client.post(page, data=data).status_code == 303
    org.forget_cached_counters()
    assert "A1" in _items(_get(client, f"/f/{token}"))
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None
    assert (last.before, last.after) == ({"form_start": "nhanh"}, {"form_start": "day_du"})


def test_a_bad_setting_is_refused(app: Flask, client: FlaskClient) -> None:
    unit = make_unit()
    login_as(client, "admin", None)
    page = f"/quan-tri/don-vi/{unit.id}"
    data = _unit_form(unit, form_start="ca_hai", csrf_token=csrf_of(client, page))
    resp = client.post(page, data=data)
    assert resp.status_code == 400
    assert "phiếu nhanh hoặc phiếu đầy đủ" in resp.get_data(as_text=True)
