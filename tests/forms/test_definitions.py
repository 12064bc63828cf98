"""Questionnaire definitions: the shipped versions and the validation of new ones."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import forms
from forms import DefinitionError, SectionKind, parse
from forms.loader import DEFINITIONS

METHOD_DV = [
    "A1",
    "A2",
    "A3",
    "B1",
    "B2",
    "B3",
    "B4",
    "C1",
    "C2",
    "C3",
    "D1",
    "D2",
    "D3",
    "E1",
    "E2",
    "E3",
    "Q5",
    "Q6",
    "X5",
    "X6",
    "X7",
    "X8",
    "X9",
    "X10",
]


def _raw(version: str = "sipas-2024-dv") -> dict[str, Any]:
    return json.loads((DEFINITIONS / f"{version}.json").read_text(encoding="utf-8"))


def test_dv_has_the_method_item_codes_in_order() -> None:
    q = forms.get("sipas-2024-dv")
    assert list(q.item_codes) == METHOD_DV
    assert q.factors()["B"] == ("B1", "B2", "B3", "B4")
    assert q.parts() == {"DV": ("A", "B", "C", "D", "E")}
    assert q.codes_of(SectionKind.INTEGRITY) == ("Q5", "Q6")
    assert [s.code for s in q.sections if s.optional] == ["X"]


def test_quick_variant_has_one_item_per_factor() -> None:
    q = forms.get("sipas-2024-nhanh")
    assert q.factors() == {f: (f"{f}0",) for f in "ABCDE"}
    assert list(q.item_codes) == ["A0", "B0", "C0", "D0", "E0", "Q5", "Q6"]
    assert q.context_fields == ("comment",)


def test_scales_match_method() -> None:
    q = forms.get("sipas-2024-dv")
    sat = q.item("C1").scale
    assert sat.values == {1, 2, 3, 4, 5} and sat.success == {4, 5}
    labels = {o.value: o.label.vi for o in sat.options}
    assert labels[1] == "Rất không hài lòng" and labels[3] == "Bình thường"
    assert q.item("Q6").scale.success == {2, 3}
    assert q.item("X9").scale.success == {3, 4}


def test_export_column_order_follows_method() -> None:
    codes = forms.all_item_codes()
    assert codes[:16] == tuple(METHOD_DV[:16])
    assert codes[16:21] == ("A0", "B0", "C0", "D0", "E0")
    assert codes[21:] == ("Q5", "Q6", "X5", "X6", "X7", "X8", "X9", "X10")


@pytest.mark.parametrize(
    "mutate, message",
    [
        (
            lambda r: r["sections"][1]["items"].append(copy.deepcopy(r["sections"][0]["items"][0])),
            "used twice",
        ),
        (lambda r: r["sections"][0]["items"][0].update(scale="nope"), "unknown scale"),
        (lambda r: r["sections"][0]["items"][0].update(scale="tien_3"), "does not fit"),
        (lambda r: r["sections"][0]["items"][0].update(code="a-1"), "malformed item code"),
        (lambda r: r.update(id="Bad Id"), "version id"),
        (lambda r: r["sections"][0].update(kind="policy"), "unknown kind"),
        (lambda r: r.update(context_fields=["phone"]), "unknown"),
        (lambda r: r["scales"]["hai_long_5"].update(success=[6]), "success"),
        (lambda r: r["sections"][0]["items"][0].update(text={"en": "only English"}), "'vi'"),
    ],
)
def test_invalid_definitions_are_refused(mutate: Any, message: str) -> None:
    raw = _raw()
    mutate(raw)
    with pytest.raises(DefinitionError, match=message):
        parse(raw)


def test_definitions_are_frozen() -> None:
    q = forms.get("sipas-2024-dv")
    with pytest.raises(AttributeError):
        q.id = "other"  # type: ignore[misc]
