"""The report's tables as WordprocessingML for the DOCX (:mod:`.docx`): each
:class:`~.model.Table` as one ``w:tbl`` written in one piece — a thousand-unit table in a
fraction of a second, where python-docx's cell-by-cell API takes many seconds.

The cells are :func:`~.model.cell_text` as the PDF prints them, so the DOCX's tables are the
XLSX's (an interval in one cell where the XLSX has its two bounds).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from docx.oxml.ns import nsdecls

from survey_app.services.reports.model import Table, cell_text, is_numeric
from survey_app.services.text import clean

TABLE_PT = 10
TWIPS_PER_MM = 1440 / 25.4
LONGEST_WORD = 12  # characters of a cell's word that a column makes room for


def _width(word: str) -> float:
    """A word's width in ems of Times New Roman bold (an estimate on the wide side)."""
    return sum(0.75 if ch.isupper() else 0.52 for ch in word)


def cell_texts(table: Table) -> list[list[str]]:
    """Every cell as printed, once (the shared number formatter is the costly part)."""
    return [
        [cell_text(column, value) for column, value in zip(table.columns, row, strict=True)]
        for row in table.rows
    ]


def column_widths(table: Table, total: float, texts: list[list[str]] | None = None) -> list[float]:
    """Widths in mm, proportional to the columns' weights, each at least as wide as the
    longest word of its title (a header wraps at spaces only) and of its cells (``texts``,
    :func:`cell_texts`), up to :data:`LONGEST_WORD` characters (a day or a number is never
    broken)."""
    em = TABLE_PT * 25.4 / 72  # mm
    texts = cell_texts(table) if texts is None else texts
    least = []
    for c, column in enumerate(table.columns):
        words = column.title.split()
        longest: dict[int, str] = {}  # a word per length: the widest of each is enough
        for row in texts:
            for w in row[c].split():
                w = w[:LONGEST_WORD]
                longest.setdefault(len(w), w)
        words += list(longest.values())
        least.append(max((_width(w) for w in words), default=1.0) * em + 2.4)
    weights = [c.width for c in table.columns]
    widths = [total * w / sum(weights) for w in weights]
    for _ in range(len(widths)):
        short = sum(max(0.0, m - w) for w, m in zip(widths, least, strict=True))
        spare = sum(max(0.0, w - m) for w, m in zip(widths, least, strict=True))
        if short <= 1e-6 or spare <= 0:
            break
        take = min(1.0, short / spare)
        widths = [m if w < m else w - (w - m) * take for w, m in zip(widths, least, strict=True)]
    return widths


def _runs(text: str) -> str:
    """A cell's text as runs (a line break where the text has one)."""
    lines = clean(text).split("\n")
    return "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)


def table_xml(table: Table, total: float) -> str:
    """The whole ``w:tbl`` of ``table``, ``total`` mm wide: thin borders, a grey header row
    repeated on each page, rows that do not break across pages, numbers on the right and
    the unit tree indented by level. Elements in the order of the schema (Word refuses a
    document whose ``w:tblPr`` or ``w:pPr`` children are out of order)."""
    texts = cell_texts(table)
    twips = [round(w * TWIPS_PER_MM) for w in column_widths(table, total, texts)]
    numeric = [is_numeric(c) for c in table.columns]
    tree = [c.key == "don_vi" for c in table.columns]
    border = 'w:val="single" w:sz="4" w:space="0" w:color="000000"'
    out = [
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblW w:w="{sum(twips)}" w:type="dxa"/>'
        "<w:tblBorders>"
        + "".join(
            f"<w:{side} {border}/>"
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        + '</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar>'
        '<w:left w:w="57" w:type="dxa"/>'
        '<w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>'
        + "".join(f'<w:gridCol w:w="{w}"/>' for w in twips)
        + "</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
    ]
    for column, width in zip(table.columns, twips, strict=True):
        out.append(
            f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/><w:shd w:val="clear" '
            'w:color="auto" w:fill="E6E6E6"/><w:vAlign w:val="center"/></w:tcPr><w:p><w:pPr>'
            f'<w:pStyle w:val="SipasTableHead"/></w:pPr><w:r>{_runs(column.title)}</w:r></w:p>'
            "</w:tc>"
        )
    out.append("</w:tr>")
    cell_open = [
        f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/></w:tcPr><w:p><w:pPr>'
        '<w:pStyle w:val="SipasTable"/>'
        for w in twips
    ]
    for r, row in enumerate(texts):
        out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        depth = table.depth(r)
        for c, text in enumerate(row):
            # Schema order in w:pPr: the indent before the alignment.
            extra = f'<w:ind w:left="{227 * depth}"/>' if tree[c] and depth else ""
            if numeric[c]:
                extra += '<w:jc w:val="right"/>'
            out.append(f"{cell_open[c]}{extra}</w:pPr><w:r>{_runs(text)}</w:r></w:p></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)
