"""The input rule itself (services/text.py): what is removed, refused, folded."""

from __future__ import annotations

import unicodedata

import pytest

from survey_app.services import text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Tốt lắm", "Tốt lắm"),
        ("a\x01b\x0bc\x1fd\x7fe\x85f\x9fg", "abcdefg"),  # C0, DEL, C1
        ("dòng 1\r\ndòng 2\rdòng 3\n\tthụt", "dòng 1\ndòng 2\ndòng 3\n\tthụt"),
        ("\u202eabc\u202c \u2066x\u2069 \u202ay", "abc x y"),  # overrides, isolates
        ("NUL\x00 và \ud800 nửa cặp", "NUL và  nửa cặp"),
        # "ế" typed as e + circumflex + acute becomes the one precomposed letter
        ("Ti\u0065\u0302\u0301p nh\u0061\u0323\u0302n", "Tiếp nhận"),
    ],
)
def test_clean_applies_the_rule(raw: str, expected: str) -> None:
    assert text.clean(raw) == expected
    assert unicodedata.is_normalized("NFC", text.clean(raw))


@pytest.mark.parametrize("raw, kind", [("a\x00b", "NUL"), ("a\udc80b", "a lone surrogate")])
def test_check_refuses_what_cannot_be_text(raw: str, kind: str) -> None:
    with pytest.raises(text.UnstorableText) as refused:
        text.check(raw)
    assert refused.value.kind == kind
    assert text.unstorable(raw) == kind


def test_check_cleans_everything_else() -> None:
    assert text.check("Cán bộ\x01 tận tình\u202e") == "Cán bộ tận tình"
    assert text.unstorable("Cán bộ\x01") is None


@pytest.mark.parametrize(
    "typed",
    [
        "HS-2026-01",
        "hs-2026-01",
        "HS\u20102026\u201101",  # Unicode hyphens
        "HS\u20132026\u221201",  # en dash, minus sign
        "\uff28\uff33\uff0d\uff12\uff10\uff12\uff16\uff0d\uff10\uff11",  # fullwidth
        " HS - 2026 -\u00a001 ",
    ],
)
def test_identifier_folds_the_same_number_typed_differently(typed: str) -> None:
    assert text.identifier(typed) == "HS-2026-01"


def test_the_rule_keeps_vietnamese_and_other_scripts() -> None:
    sample = "Đăng ký khai sinh – ổn; 很好 👍 “ngoặc”"
    assert text.clean(sample) == sample
