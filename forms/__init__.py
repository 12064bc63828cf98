"""Declarative, versioned SIPAS questionnaires (METHOD §3).

>>> from forms import get
>>> get("sipas-2024-dv").factors()["A"]
('A1', 'A2', 'A3')
"""

from .loader import DefinitionError, all_item_codes, get, load_all, parse
from .model import CHANNELS, CONTEXT_FIELDS, Item, Questionnaire, Scale, Section, SectionKind, Text

DEFAULT_VERSION = "sipas-2024-dv"
# The short form a QR card opens first (unit setting ``form_start`` = ``nhanh``).
QUICK_VERSION = "sipas-2024-nhanh"

__all__ = [
    "CHANNELS",
    "CONTEXT_FIELDS",
    "DEFAULT_VERSION",
    "DefinitionError",
    "QUICK_VERSION",
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
