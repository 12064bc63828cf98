"""Declarative, versioned SIPAS questionnaires (METHOD §3).

>>> from forms import get
>>> get("sipas-2024-dv").factors()["A"]
('A1', 'A2', 'A3')
"""

from .loader import DefinitionError, all_item_codes, get, load_all, parse
from .model import CHANNELS, CONTEXT_FIELDS, Item, Questionnaire, Scale, Section, SectionKind, Text

DEFAULT_VERSION = "sipas-2024-dv"

__all__ = [
    "CHANNELS",
    "CONTEXT_FIELDS",
    "DEFAULT_VERSION",
    "DefinitionError",
    "Item",
    "Questionnaire",
    "Scale",
    "Section",
    "SectionKind",
    "Text",
    "all_item_codes",
    "get",
    "load_all",
    "parse",
]
