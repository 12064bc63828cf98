"""The response file (METHOD §7): its columns and the export (:mod:`.csvfile`), the
columnar reader (:mod:`.answerfile`), the import (:mod:`.importer`, which reads the file
with :mod:`.importread` and compares re-imported rows with :mod:`.reimport`), the XLSX
template (:mod:`.template`) and the web page's uploads (:mod:`.uploads`).

``csvfile`` and ``uploads`` are light; the others load numpy, pyarrow and openpyxl. The
submodules are lazily-loaded attributes (listed in ``__init__.pyi``; see
:mod:`survey_app.services`).
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
