"""Scores and their pages: slices and scores, the staff day, the office overview, the
inspector's integrity signals, charts.

Every module here loads numpy and scipy (through ``scoring``), some matplotlib: the
submodules are lazily-loaded attributes (listed in ``__init__.pyi``; see
:mod:`survey_app.services`), so ``analytics.office.overview(...)`` loads them on first use.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
