"""Periodic report packs (issue 5, points 1–4): the content of a report for a unit subtree
and a period, its charts, and the XLSX, PDF, CSV and HTML renderings.

Public interface (the web report page and ``sipas report`` use only this)::

    spec = ReportSpec("2026-Q1", cutoff="report", unit_code="MC")
    spec.validate()                       # ValueError with a Vietnamese message
    report = build(spec, unit_ids=None, progress=None)   # frozen dataclasses
    write(report, Path("bc.xlsx"), "xlsx")               # or "pdf", "docx", "csv", "zip"
    write(report, Path("bc.docx"), "docx", letterhead.from_config(app.config))
    write_pack(report, folder, {"xlsx": "a.xlsx", "pdf": "a.pdf", "zip": "a.zip"})
    charts_svg(report)                    # {"xep_hang": svg, "xu_huong": svg, "ho_so": svg}

``fmt="docx"`` writes the Word document in the Nghị định 30/2020/NĐ-CP layout (:mod:`.docx`;
the agency, number, place, recipients and signer: :class:`Letterhead`, from the settings by
:func:`.letterhead.from_config`). ``fmt="csv"`` writes a zip archive with one UTF-8 CSV
(with BOM) per table; ``fmt="zip"`` writes a zip with the XLSX, the PDF and those CSVs.
The HTML partial is ``templates/reports/_content.html`` (variables ``report`` and optional
``chart_urls``: chart key → URL of an image route serving :func:`charts_svg`).

Importing this package loads neither numpy nor matplotlib, reportlab, openpyxl or
python-docx: its submodules and the names above are lazily-loaded attributes (listed in
``__init__.pyi``; see :mod:`survey_app.services`), loaded on first use. The interface
itself lives in :mod:`.engine`, the error and its gettext marker in :mod:`.errors`.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
