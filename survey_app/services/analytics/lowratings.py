"""Low ratings in words: a satisfaction item answered 1 or 2, as the staff page shows it — the
item's text from the questionnaire definition (``forms/``, the unit's place filled in), the
answer's label and the item's factor — instead of a code such as "C2: 2"."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import forms
from forms import SectionKind

LOW_VALUES = frozenset({1, 2})  # "Rất không hài lòng", "Không hài lòng"


@dataclass(frozen=True, slots=True)
class LowItem:
    """A satisfaction item answered 1 or 2, in words: the questionnaire's text (the unit's
    place filled in), the answer's label and the item's factor."""

    code: str
    answer: int
    text_vi: str
    text_en: str
    answer_vi: str
    answer_en: str
    factor: str  # the factor's code ("A" …)
    factor_vi: str
    factor_en: str

    def text(self, locale: str) -> str:
        return self.text_en if locale == "en" else self.text_vi

    def answer_label(self, locale: str) -> str:
        return self.answer_en if locale == "en" else self.answer_vi

    def factor_title(self, locale: str) -> str:
        return self.factor_en if locale == "en" else self.factor_vi


@cache
def _satisfaction_codes(qid: str) -> frozenset[str]:
    return frozenset(forms.get(qid).codes_of(SectionKind.FACTOR))


def low_items(qid: str, answers: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The satisfaction items answered 1 or 2, in form order."""
    wanted = _satisfaction_codes(qid)
    return tuple(
        (code, answers[code])
        for code in forms.get(qid).item_codes
        if code in wanted and answers.get(code) in LOW_VALUES
    )


@cache
def _item_words(qid: str) -> dict[str, tuple[forms.Item, forms.Section]]:
    """Item code → (item, its factor's section) of a questionnaire's satisfaction items."""
    return {
        item.code: (item, section)
        for section in forms.get(qid).sections
        if section.kind is SectionKind.FACTOR
        for item in section.items
    }


def low_words(qid: str, answers: dict[str, int], place: str) -> tuple[LowItem, ...]:
    """:func:`low_items` in words, from the questionnaire definition (``forms/``)."""
    words = _item_words(qid)
    out = []
    for code, value in low_items(qid, answers):
        item, section = words[code]
        label = next((o.label for o in item.scale.options if o.value == value), None)
        out.append(
            LowItem(
                code,
                value,
                item.text.vi.replace("{place}", place),
                item.text.en.replace("{place}", place),
                label.vi if label else str(value),
                label.en if label else str(value),
                section.code,
                section.title.vi,
                section.title.en,
            )
        )
    return tuple(out)
