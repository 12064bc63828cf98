"""Vietnamese by default, English complete: every user-facing string has a translation."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[1]
CATALOGUE = ROOT / "survey_app" / "translations" / "en" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "N_": None}


def _source_msgids() -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = extract_from_dir(str(ROOT / "survey_app"), method_map=method_map, keywords=KEYWORDS)
    return {msg if isinstance(msg, str) else msg[0] for _f, _l, msg, _c, _ctx in found}


def test_every_message_has_an_english_translation() -> None:
    po = read_po(io.BytesIO((CATALOGUE / "messages.po").read_bytes()))
    translated = {m.id: m.string for m in po if m.id}
    missing = sorted(m for m in _source_msgids() if not translated.get(m))
    assert missing == [], "run scripts/i18n.sh and translate: " + "; ".join(missing)


def test_compiled_catalogue_matches_the_po_file() -> None:
    po = read_po(io.BytesIO((CATALOGUE / "messages.po").read_bytes()))
    mo = read_mo(io.BytesIO((CATALOGUE / "messages.mo").read_bytes()))
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}
