"""Printable A6 QR cards for one-stop office counters.

A card tells citizens which unit and counter they are rating and carries a large QR code
pointing at the feedback form.  Both renderers share one layout (in millimetres), so the
SVG and the PDF look the same.  Pure module: no Flask, no database.

The PDF is drawn with reportlab (as the report packs are), DejaVu Sans embedded as a TrueType
subset; text widths come from the same font's metrics. Nothing here touches a process-wide
setting, so cards drawn in several server threads at once cannot change each other (they
did with matplotlib's ``rc_context``, whose settings are global: a card lost its TrueType
embedding while another thread drew).
"""

import html
import io
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from pathlib import Path

import matplotlib
import segno
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

PAGE_W, PAGE_H, MARGIN = 105.0, 148.0, 8.0  # A6 portrait, mm
TEXT_W = PAGE_W - 2 * MARGIN
FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"
TITLE = "Đánh giá sự hài lòng"
INSTRUCTIONS = ("Quét mã QR bằng điện thoại để đánh giá", "Không cần đăng nhập, không hỏi tên.")
QR_BORDER, QR_MAX, QR_MIN = 4, 78.0, 60.0  # quiet zone (modules); QR size incl. it (mm)
PT_PER_MM, RULE_X0 = 72 / 25.4, PAGE_W / 2 - 15
_BOLD = ' font-weight="bold"'
FONT, FONT_BOLD = "SipasCard", "SipasCard-Bold"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"),)
_fonts_lock = threading.Lock()
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Card:
    """One counter card: which unit/counter it belongs to and the feedback URL."""

    unit_code: str
    unit_name: str
    counter_code: str
    counter_name: str
    url: str


_Text = tuple[str, float, float, bool]  # text (centred), baseline y, em size (mm), bold


@dataclass(frozen=True)
class _Layout:
    texts: list[_Text]
    qr_x: float
    qr_y: float
    qr_module: float  # mm per module
    qr_rows: list[tuple[int, ...]]  # matrix including the quiet zone
    rule_y: float  # short horizontal rule under the title


def _clean(text: str) -> str:
    """NFC-normalise (precomposed Vietnamese glyphs) and drop XML-invalid control chars."""
    return _XML_INVALID.sub("", unicodedata.normalize("NFC", text)).strip()


def _font_file(name: str) -> Path:
    """DejaVu from Debian's fonts-dejavu-core, else the copy matplotlib ships."""
    for folder in (*FONT_DIRS, Path(matplotlib.get_data_path()) / "fonts" / "ttf"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(name)


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str]:
    """Register DejaVu Sans (regular, bold) with reportlab once; their names."""
    with _fonts_lock:
        for name, file in ((FONT, "DejaVuSans.ttf"), (FONT_BOLD, "DejaVuSans-Bold.ttf")):
            pdfmetrics.registerFont(TTFont(name, str(_font_file(file))))
    return FONT, FONT_BOLD


@lru_cache(maxsize=4096)
def _width(text: str, size: float, bold: bool) -> float:
    """Rendered width in mm of ``text`` in DejaVu Sans at em size ``size`` mm."""
    regular, heavy = _fonts()
    return float(pdfmetrics.stringWidth(text, heavy if bold else regular, size))


def _wrap(text: str, size: float, bold: bool, *, chars: bool = False) -> list[str]:
    """Greedy wrap into lines fitting TEXT_W; by words (over-long words by characters)."""
    sep, lines = "" if chars else " ", list[str]()
    for token in list(text) if chars else text.split():
        candidate = f"{lines[-1]}{sep}{token}" if lines else token
        if lines and _width(candidate, size, bold) <= TEXT_W:
            lines[-1] = candidate
        elif not chars and _width(token, size, bold) > TEXT_W:
            lines += _wrap(token, size, bold, chars=True)
        else:
            lines.append(token)
    return lines or [""]


def _fit(
    text: str, size: float, min_size: float, max_lines: int, bold: bool, *, chars: bool = False
) -> tuple[list[str], float]:
    """Largest size down to ``min_size`` fitting ``max_lines`` lines; else truncate with '…'."""
    while len(lines := _wrap(text, size, bold, chars=chars)) > max_lines and size > min_size:
        size = max(min_size, round(size - 0.2, 2))
    if len(lines) <= max_lines:
        return lines, size
    if chars:
        raise ValueError(f"text too long for a card: {text[:60]!r}…")
    lines, last = lines[:max_lines], lines[max_lines - 1]
    while last and _width(f"{last}…", size, bold) > TEXT_W:
        last = last[:-1]
    lines[-1] = f"{last.rstrip()}…"
    return lines, size


def _layout(card: Card) -> _Layout:
    """Compute every element's position on the card (mm, origin top-left)."""
    url = _clean(card.url)
    if not url:
        raise ValueError("card URL must not be empty")
    texts: list[_Text] = []

    def block(lines: list[str], size: float, y: float, bold: bool, lead: float = 1.25) -> float:
        for i, line in enumerate(lines):
            texts.append((line, y + i * size * lead, size, bold))
        return y + (len(lines) - 1) * size * lead

    rule_y = block([TITLE], 6.5, MARGIN + 6.5, True) + 3.5  # TITLE, INSTRUCTIONS fit as-is
    unit, u_size = _fit(_clean(card.unit_name), 4.4, 3.0, 3, False)
    y = block(unit, u_size, rule_y + 6.5, False)
    name = _clean(card.counter_name)  # big on one line, else smaller on two
    one_line = len(_wrap(name, 5.0, True)) == 1
    counter, c_size = _fit(name, 7.5, 5.0, 1, True) if one_line else _fit(name, 5.0, 4.0, 2, True)
    top = block(counter, c_size, y + 10.5, True) + 2.0  # below descenders; quiet zone follows

    one_line = len(_wrap(url, 2.0, False, chars=True)) == 1  # URL: never truncated
    sizes = (2.6, 2.0, 1) if one_line else (2.4, 1.6, 3)
    link, l_size = _fit(url, *sizes, False, chars=True)
    link_y = PAGE_H - MARGIN - 1.0 - (len(link) - 1) * l_size * 1.25
    instr_y = link_y - 5.5 - (len(INSTRUCTIONS) - 1) * 3.6 * 1.3
    bottom = instr_y - 1.2 * 3.6  # above stacked diacritics
    block(list(INSTRUCTIONS), 3.6, instr_y, False, 1.3)
    block(link, l_size, link_y, False)

    qr = segno.make(url, error="q", micro=False, boost_error=False)
    rows = [tuple(r) for r in qr.matrix_iter(scale=1, border=QR_BORDER)]
    size = min(QR_MAX, bottom - top, TEXT_W)
    if size < QR_MIN:  # cannot happen with the line limits above; guard the quiet zone anyway
        raise ValueError("card text leaves too little room for the QR code")
    qr_y = top + max(0.0, (bottom - top - size) / 2)
    return _Layout(texts, (PAGE_W - size) / 2, qr_y, size / len(rows), rows, rule_y)


def _runs(rows: list[tuple[int, ...]]) -> Iterable[tuple[int, int, int]]:
    """Yield (x, y, width) of each horizontal run of dark modules."""
    for y, row in enumerate(rows):
        x = 0
        for dark, group in groupby(row):
            width = len(list(group))
            if dark:
                yield x, y, width
            x += width


def _title(card: Card) -> str:
    return f"{TITLE} – {_clean(card.unit_name)} – {_clean(card.counter_name)}"


def _n(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def render_svg(card: Card) -> str:
    """Return a standalone SVG document (A6 portrait, mm units) of the card."""
    lay = _layout(card)
    esc = html.escape
    qr_path = "".join(f"M{x},{y}h{w}v1h-{w}z" for x, y, w in _runs(lay.qr_rows))
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" xml:lang="vi" width="{_n(PAGE_W)}mm" '
        f'height="{_n(PAGE_H)}mm" viewBox="0 0 {_n(PAGE_W)} {_n(PAGE_H)}">',
        f"<title>{esc(_title(card))}</title>",
        f'<rect width="{_n(PAGE_W)}" height="{_n(PAGE_H)}" fill="#fff"/>',
        f'<rect x="3" y="3" width="{_n(PAGE_W - 6)}" height="{_n(PAGE_H - 6)}" rx="3" '
        'fill="none" stroke="#000" stroke-width="0.3"/>',
        f'<line x1="{_n(RULE_X0)}" x2="{_n(PAGE_W - RULE_X0)}" y1="{_n(lay.rule_y)}" '
        f'y2="{_n(lay.rule_y)}" stroke="#000" stroke-width="0.4"/>',
        f'<g font-family="{FONT_FAMILY}" fill="#000" text-anchor="middle">',
        *(
            f'<text x="{_n(PAGE_W / 2)}" y="{_n(y)}" font-size="{_n(size)}"'
            f"{_BOLD * bold}>{esc(text)}</text>"
            for text, y, size, bold in lay.texts
        ),
        "</g>",
        f'<path id="qr" transform="translate({_n(lay.qr_x)} {_n(lay.qr_y)}) '
        f'scale({_n(lay.qr_module)})" fill="#000" shape-rendering="crispEdges" d="{qr_path}"/>',
        "</svg>",
    ]
    return "\n".join(out) + "\n"


def render_pdf(card: Card) -> bytes:
    """Return the card as a one-page A6 PDF (vector QR, DejaVu Sans embedded as TrueType)."""
    lay = _layout(card)
    regular, bold_font = _fonts()
    buf = io.BytesIO()
    pdf = Canvas(
        buf,
        pagesize=(PAGE_W * mm, PAGE_H * mm),
        invariant=True,  # no creation date or random id: the same card, the same bytes
        pageCompression=1,
        initialFontName=regular,  # else Helvetica, unembedded, is named on the page
    )
    pdf.setTitle(_title(card))
    pdf.setCreator("sipas")

    def y(top: float) -> float:  # the layout's mm from the top → points from the bottom
        return (PAGE_H - top) * mm

    pdf.setStrokeColorRGB(0, 0, 0)
    pdf.setFillColorRGB(0, 0, 0)
    pdf.setLineWidth(0.3 * mm)
    pdf.roundRect(3 * mm, 3 * mm, (PAGE_W - 6) * mm, (PAGE_H - 6) * mm, 3 * mm, stroke=1, fill=0)
    pdf.setLineWidth(0.4 * mm)
    pdf.line(RULE_X0 * mm, y(lay.rule_y), (PAGE_W - RULE_X0) * mm, y(lay.rule_y))
    for text, top, size, bold in lay.texts:
        pdf.setFont(bold_font if bold else regular, size * PT_PER_MM)
        pdf.drawCentredString(PAGE_W / 2 * mm, y(top), text)
    m = lay.qr_module
    path = pdf.beginPath()
    for x, row, w in _runs(lay.qr_rows):
        path.rect((lay.qr_x + x * m) * mm, y(lay.qr_y + (row + 1) * m), w * m * mm, m * mm)
    pdf.drawPath(path, stroke=0, fill=1)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def _safe_name(value: str) -> str:
    """ASCII file-name fragment: strip diacritics (Đ→D), map the rest to [A-Za-z0-9._-]."""
    folded = unicodedata.normalize("NFKD", value.replace("Đ", "D").replace("đ", "d"))
    ascii_ = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_).strip("._") or "x"


def write_cards(cards: Iterable[Card], out_dir: Path) -> list[Path]:
    """Write ``<unit_code>_<counter_code>.svg`` and ``.pdf`` per card; return paths sorted."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for card in cards:
        stem = f"{_safe_name(card.unit_code)}_{_safe_name(card.counter_code)}"
        svg, pdf = out_dir / f"{stem}.svg", out_dir / f"{stem}.pdf"
        if svg in written:
            raise ValueError(f"two cards map to the same file name {stem!r}")
        svg.write_text(render_svg(card), encoding="utf-8")
        pdf.write_bytes(render_pdf(card))
        written += [svg, pdf]
    return sorted(written)


# --- invitation slips (issue 13) -----------------------------------------------------------

SLIP_TITLE = "Đánh giá sự hài lòng"
SLIP_LINE = "Quét mã để đánh giá việc giải quyết hồ sơ của ông/bà"
# format → page width, page height (None: as long as the content, a thermal receipt), margin,
# largest QR side (mm, quiet zone included)
SLIP_FORMATS: dict[str, tuple[float, float | None, float, float]] = {
    "a6": (105.0, 148.0, 8.0, 72.0),
    "80mm": (80.0, None, 5.0, 52.0),  # 80 mm paper, about 72 mm printable
}


@dataclass(frozen=True)
class Slip:
    """One dossier's invitation slip: the QR code of ``url`` and one line of Vietnamese;
    the short link printed under it for typing; the unit, the dossier code and the last day."""

    url: str
    short_url: str
    unit_name: str
    dossier_code: str
    last_day: str  # formatted, e.g. 30/11/2026


def _wrap_width(text: str, size: float, bold: bool, width: float) -> list[str]:
    """Greedy wrap by words (an over-long word by characters) into ``width`` mm."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and _width(candidate, size, bold) <= width:
            lines[-1] = candidate
        elif _width(word, size, bold) <= width:
            lines.append(word)
        else:
            for char in word:
                if lines and _width(lines[-1] + char, size, bold) <= width:
                    lines[-1] += char
                else:
                    lines.append(char)
    return lines or [""]


def render_slip_pdf(slip: Slip, fmt: str = "a6") -> bytes:
    """The slip as a one-page PDF: ``a6`` (105 × 148 mm) or ``80mm`` (a thermal receipt,
    80 mm wide and as long as its content). Vector QR (error correction Q), DejaVu Sans
    embedded."""
    if fmt not in SLIP_FORMATS:
        raise ValueError(f"unknown slip format {fmt!r}")
    page_w, page_h, margin, qr_max = SLIP_FORMATS[fmt]
    width = page_w - 2 * margin
    small = fmt == "80mm"
    link = _clean(slip.url)
    if not link:
        raise ValueError("slip URL must not be empty")
    qr = segno.make(link, error="q", micro=False, boost_error=False)
    rows = [tuple(r) for r in qr.matrix_iter(scale=1, border=QR_BORDER)]
    # (lines, em size mm, bold) above and below the QR code
    above = [
        (_wrap_width(SLIP_TITLE, 5.0 if small else 6.0, True, width), 5.0 if small else 6.0, True),
        (_wrap_width(_clean(slip.unit_name), 3.4, False, width)[:3], 3.4, False),
        (_wrap_width(f"Mã hồ sơ: {_clean(slip.dossier_code)}", 3.2, False, width), 3.2, False),
    ]
    below = [
        (_wrap_width(SLIP_LINE, 3.8, True, width), 3.8, True),
        (_wrap_width(_clean(slip.short_url), 3.2, False, width), 3.2, False),
        (_wrap_width(f"Hạn đánh giá: {_clean(slip.last_day)}", 3.0, False, width), 3.0, False),
    ]

    def height(blocks: list[tuple[list[str], float, bool]]) -> float:
        return sum(len(lines) * size * 1.3 + 1.5 for lines, size, _bold in blocks)

    qr_side = min(qr_max, width)
    if page_h is None:
        page_h = margin + height(above) + 2 + qr_side + 2 + height(below) + margin
    else:
        qr_side = min(qr_side, page_h - 2 * margin - height(above) - height(below) - 4)
    regular, bold_font = _fonts()
    buf = io.BytesIO()
    pdf = Canvas(
        buf,
        pagesize=(page_w * mm, page_h * mm),
        invariant=True,
        pageCompression=1,
        initialFontName=regular,
    )
    pdf.setTitle(f"{SLIP_TITLE} – {_clean(slip.dossier_code)}")
    pdf.setCreator("sipas")
    pdf.setFillColorRGB(0, 0, 0)
    top = margin

    def draw(blocks: list[tuple[list[str], float, bool]], top: float) -> float:
        for lines, size, bold in blocks:
            pdf.setFont(bold_font if bold else regular, size * PT_PER_MM)
            for line in lines:
                top += size * 1.3
                pdf.drawCentredString(page_w / 2 * mm, (page_h - top) * mm, line)
            top += 1.5
        return top

    top = draw(above, top) + 2
    module = qr_side / len(rows)
    x0 = (page_w - qr_side) / 2
    path = pdf.beginPath()
    for x, row, w in _runs(rows):
        path.rect(
            (x0 + x * module) * mm,
            (page_h - top - (row + 1) * module) * mm,
            w * module * mm,
            module * mm,
        )
    pdf.drawPath(path, stroke=0, fill=1)
    draw(below, top + qr_side + 2)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def qr_data_uri(url: str) -> str:
    """A plain QR code of ``url`` as an SVG ``data:`` URI (a kiosk's enrolment link)."""
    return str(segno.make(url, error="m", micro=False).svg_data_uri(scale=6, border=2))
