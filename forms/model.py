"""Typed, frozen description of a versioned questionnaire.

A questionnaire is data: it is loaded from a JSON file in ``forms/definitions``, checked by
:func:`forms.loader.parse`, and then never changes.  Nothing here knows about WTForms, the
database or the scoring library; ``survey_app.public.formbuilder`` turns a
:class:`Questionnaire` into a web form and ``survey_app.services.analytics.slices.structure_of``
into the scoring library's ``Structure``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SectionKind(StrEnum):
    """What a section's items measure (METHOD §3)."""

    FACTOR = "factor"  # satisfaction items of one factor A..E, 1..5
    INTEGRITY = "integrity"  # Q5, Q6: perception of harassment / informal payments, 1..3
    EXPECTATION = "expectation"  # X5..X10: what the citizen wants improved, 1..4


CONTEXT_FIELDS = ("procedure", "channel", "transaction_ref", "comment")
CHANNELS = ("truc_tiep", "truc_tuyen_toan_trinh", "truc_tuyen_mot_phan", "buu_chinh")


@dataclass(frozen=True, slots=True)
class Text:
    """A piece of text in Vietnamese (always) and English (optional, falls back to Vietnamese)."""

    vi: str
    en: str

    def get(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.vi


@dataclass(frozen=True, slots=True)
class Option:
    value: int
    label: Text


@dataclass(frozen=True, slots=True)
class Scale:
    """An answer scale: its options, which values count as a 'success', and no-opinion."""

    code: str
    options: tuple[Option, ...]
    success: frozenset[int]
    no_opinion: bool

    @property
    def values(self) -> frozenset[int]:
        return frozenset(o.value for o in self.options)


@dataclass(frozen=True, slots=True)
class Item:
    code: str
    text: Text
    scale: Scale


@dataclass(frozen=True, slots=True)
class Section:
    code: str
    kind: SectionKind
    title: Text
    items: tuple[Item, ...]
    part: str | None = None
    optional: bool = False
    intro: Text | None = None


@dataclass(frozen=True, slots=True)
class Questionnaire:
    """One version of a questionnaire, e.g. ``sipas-2024-dv``."""

    id: str
    title: Text
    intro: Text
    sections: tuple[Section, ...]
    context_fields: tuple[str, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def factors(self) -> dict[str, tuple[str, ...]]:
        """Factor code → its item codes, in form order."""
        return {
            s.code: tuple(i.code for i in s.items)
            for s in self.sections
            if s.kind is SectionKind.FACTOR
        }

    def parts(self) -> dict[str, tuple[str, ...]]:
        """Part code (``DV``) → its factor codes."""
        parts: dict[str, list[str]] = {}
        for s in self.sections:
            if s.kind is SectionKind.FACTOR and s.part:
                parts.setdefault(s.part, []).append(s.code)
        return {k: tuple(v) for k, v in parts.items()}

    def codes_of(self, kind: SectionKind) -> tuple[str, ...]:
        return tuple(i.code for s in self.sections if s.kind is kind for i in s.items)
