"""Load and validate questionnaire definitions from ``forms/definitions/*.json``."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from .model import (
    CONTEXT_FIELDS,
    Item,
    Option,
    Questionnaire,
    Scale,
    Section,
    SectionKind,
    Text,
)

DEFINITIONS = Path(__file__).parent / "definitions"
_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,3}$")
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")

# Each section kind requires one scale shape (METHOD §3).
_KIND_VALUES = {
    SectionKind.FACTOR: frozenset({1, 2, 3, 4, 5}),
    SectionKind.INTEGRITY: frozenset({1, 2, 3}),
    SectionKind.EXPECTATION: frozenset({1, 2, 3, 4}),
}


class DefinitionError(ValueError):
    """A questionnaire definition is malformed; the message says where."""


def _text(raw: Any, where: str) -> Text:
    if isinstance(raw, str):
        return Text(vi=raw, en="")
    if not isinstance(raw, dict) or not isinstance(raw.get("vi"), str) or not raw["vi"].strip():
        raise DefinitionError(f"{where}: expected a text with a non-empty 'vi'")
    return Text(vi=raw["vi"], en=str(raw.get("en", "")))


def _scale(code: str, raw: Any) -> Scale:
    where = f"scale {code!r}"
    if not isinstance(raw, dict) or not isinstance(raw.get("options"), list):
        raise DefinitionError(f"{where}: expected an object with 'options'")
    options = tuple(
        Option(value=int(o["value"]), label=_text(o.get("label"), f"{where} option"))
        for o in raw["options"]
    )
    values = [o.value for o in options]
    if len(set(values)) != len(values) or not values:
        raise DefinitionError(f"{where}: option values must be unique and non-empty")
    success = frozenset(int(v) for v in raw.get("success", []))
    if not success <= set(values):
        raise DefinitionError(f"{where}: 'success' values must be option values")
    return Scale(
        code=code, options=options, success=success, no_opinion=bool(raw.get("no_opinion", True))
    )


def parse(raw: dict[str, Any]) -> Questionnaire:
    """Build a :class:`Questionnaire` from its JSON form, checking every rule.

    Raises :class:`DefinitionError` naming the offending part when ids or codes are malformed
    or repeated, a scale is unknown, or a section's scale does not fit its kind.
    """
    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise DefinitionError(f"id: expected a version id like 'sipas-2024-dv', got {qid!r}")
    scales = {code: _scale(code, s) for code, s in dict(raw.get("scales", {})).items()}
    sections: list[Section] = []
    seen: set[str] = set()
    for n, sraw in enumerate(raw.get("sections", []), start=1):
        where = f"section {n}"
        try:
            kind = SectionKind(sraw.get("kind"))
        except ValueError:
            raise DefinitionError(f"{where}: unknown kind {sraw.get('kind')!r}") from None
        items: list[Item] = []
        for iraw in sraw.get("items", []):
            code = iraw.get("code")
            if not isinstance(code, str) or not _CODE.match(code):
                raise DefinitionError(f"{where}: malformed item code {code!r}")
            if code in seen:
                raise DefinitionError(f"{where}: item code {code} is used twice")
            seen.add(code)
            scale = scales.get(iraw.get("scale"))
            if scale is None:
                raise DefinitionError(f"item {code}: unknown scale {iraw.get('scale')!r}")
            if scale.values != _KIND_VALUES[kind]:
                raise DefinitionError(f"item {code}: scale {scale.code} does not fit a {kind} item")
            items.append(Item(code=code, text=_text(iraw.get("text"), f"item {code}"), scale=scale))
        if not items:
            raise DefinitionError(f"{where}: a section needs at least one item")
        part = sraw.get("part")
        if kind is SectionKind.FACTOR and not part:
            raise DefinitionError(f"{where}: a factor section needs a 'part'")
        intro = sraw.get("intro")
        sections.append(
            Section(
                code=str(sraw.get("code")),
                kind=kind,
                title=_text(sraw.get("title"), where),
                items=tuple(items),
                part=part,
                optional=bool(sraw.get("optional", False)),
                intro=_text(intro, where) if intro else None,
            )
        )
    if not any(s.kind is SectionKind.FACTOR for s in sections):
        raise DefinitionError("sections: a questionnaire needs at least one factor section")
    context = tuple(raw.get("context_fields", []))
    unknown = set(context) - set(CONTEXT_FIELDS)
    if unknown:
        raise DefinitionError(f"context_fields: unknown {sorted(unknown)}")
    return Questionnaire(
        id=qid,
        title=_text(raw.get("title"), "title"),
        intro=_text(raw.get("intro"), "intro"),
        sections=tuple(sections),
        context_fields=context,
    )


@cache
def load_all() -> dict[str, Questionnaire]:
    """Every shipped questionnaire version, by id (validated once per process)."""
    found: dict[str, Questionnaire] = {}
    for path in sorted(DEFINITIONS.glob("*.json")):
        try:
            q = parse(json.loads(path.read_text(encoding="utf-8")))
        except DefinitionError as exc:
            raise DefinitionError(f"{path.name}: {exc}") from exc
        if q.id != path.stem:
            raise DefinitionError(f"{path.name}: id {q.id!r} does not match the file name")
        found[q.id] = q
    return found


def get(version_id: str) -> Questionnaire:
    """One questionnaire by version id; ``KeyError`` if it is not shipped."""
    return load_all()[version_id]


def all_item_codes() -> tuple[str, ...]:
    """Every item code of every shipped version, in the METHOD §7 column order."""
    codes = {c for q in load_all().values() for c in q.item_codes}
    return tuple(sorted(codes, key=_column_key))


def _column_key(code: str) -> tuple[int, str, int]:
    letter, number = code[0], int(code[1:])
    if letter in "ABCDE":
        return (0 if number else 1, letter, number)
    return ({"Q": 2, "X": 3}.get(letter, 4), letter, number)
