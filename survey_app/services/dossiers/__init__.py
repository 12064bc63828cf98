"""Dossiers (hồ sơ) from the one-stop system and the single-use invitations that let each
served citizen rate their own transaction once (issue 13).

- :mod:`.rules` — the code pattern and the timing of a dossier (late, early, on time);
- :mod:`.keys` — integration keys of the source systems (hash only, subtree, revocable);
- :mod:`.ingest` — upsert batches from the API, CSV or XLSX, all or nothing;
- :mod:`.files` — a dossier file (CSV, XLSX) read into the ingest, and its template
  workbook (loads openpyxl);
- :mod:`.invitations` — one link per dossier, its slips and the verified response.

The submodules are lazily-loaded attributes (listed in ``__init__.pyi``; see
:mod:`survey_app.services`), so ``sipas`` starts without openpyxl.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
