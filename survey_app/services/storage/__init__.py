"""Where the responses live: the engine and the SQLite write path (:mod:`.engine`), the
schema and its migrations (:mod:`.schema`), bulk loading (:mod:`.bulkload`), the day
blocks (:mod:`.daystats`) and the half-month buckets (:mod:`.buckets`).

``engine`` and ``buckets`` are light (the submission path imports them); ``bulkload`` and
``daystats`` load numpy and pyarrow, ``schema`` loads Alembic. The submodules are
lazily-loaded attributes (listed in ``__init__.pyi``; see :mod:`survey_app.services`).
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
