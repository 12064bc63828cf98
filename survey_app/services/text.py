"""The input rule: what text may enter sipas, in one place.

Every string a person or a program hands to sipas — the citizen's form, the JSON API, the
administration pages, complaint answers and notes, the comment of an imported file — passes
through :func:`clean` before it is checked and stored:

- line ends become ``\\n`` (``\\r\\n`` and a lone ``\\r`` alike);
- C0 control characters other than tab and newline, DEL and the C1 controls
  (U+0080–U+009F) are removed: they are invisible, nobody means them, and XML (so XLSX)
  cannot hold most of them;
- the bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) are
  removed: they can make a comment or a name read differently from what is stored;
- the text is put in Unicode normal form C, so Vietnamese typed with combining marks
  ("e" + U+0302 + U+0301) and with precomposed letters ("ế") are the same text.

Two things cannot be text at all: NUL (PostgreSQL refuses it, C libraries stop at it) and a
lone UTF-16 surrogate (it has no UTF-8 form; only a JSON ``\\ud800`` escape makes one). A
person never types them, so where sipas answers the sender directly (form, API, admin pages)
:func:`check` refuses them with :class:`UnstorableText`, and the view says so (HTTP 400);
:func:`clean` alone, used on whole files and on text already stored (reports), removes them
like the other controls.

:func:`identifier` is the stricter folding of numbers people copy from paper (receipt and
transaction numbers): NFKC, every dash a hyphen-minus, no spaces, upper case.

Pure: the standard library only.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["UnstorableText", "check", "clean", "identifier", "unstorable"]

# C0 except \t (09) and \n (0A); DEL and C1; bidi embeddings/overrides (202A-202E) and
# isolates (2066-2069); lone surrogates (only reachable through JSON escapes or bad decoding).
_REMOVED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\u2e3a\u2e3b]")
_SPACES = re.compile(r"\s+")


class UnstorableText(ValueError):  # noqa: N818 - named for what the text is
    """Text with NUL or a lone surrogate: refused where the sender is answered directly."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"text contains {kind}")
        self.kind = kind  # "NUL" or "a lone surrogate"


def unstorable(value: str) -> str | None:
    """What makes ``value`` impossible to store (``"NUL"``, ``"a lone surrogate"``), or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return "NUL" if found.group() == "\x00" else "a lone surrogate"


def clean(value: str) -> str:
    """``value`` under the input rule (never raises): line ends as ``\\n``; controls other than
    tab and newline, bidi overrides and isolates, NUL and lone surrogates removed; NFC.

    >>> clean("Ti\\u1ebfp nh\\u1eadn\\x01 t\\u1ed1t\\r\\n\\u202eok")
    'Tiếp nhận tốt\\nok'
    """
    if value.isascii() and value.isprintable():
        return value  # the common case, nothing to do
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", _REMOVED.sub("", value))


def check(value: str) -> str:
    """:func:`clean` for text from a sender who can be told: :class:`UnstorableText` when it
    holds NUL or a lone surrogate."""
    kind = unstorable(value)
    if kind is not None:
        raise UnstorableText(kind)
    return clean(value)


def identifier(value: str) -> str:
    """A number copied from paper, folded so that the same number typed differently matches:
    NFKC (fullwidth digits and letters become ASCII), every dash a hyphen-minus, no white
    space, upper case.

    >>> identifier("hs\\u2010\\uff12\\uff10\\uff12\\uff16 01")
    'HS-202601'
    """
    folded = unicodedata.normalize("NFKC", clean(value))
    return _SPACES.sub("", _DASHES.sub("-", folded)).upper()
