"""Service layer: queries and transactions live here, views stay thin.

Heavy libraries and how the edges reach them. numpy, scipy (and ``scoring``, which loads
them), matplotlib, openpyxl, reportlab, pyarrow, segno and Alembic cost a second or more to
import, which ``sipas --help`` and every command that only builds the app must not pay
(``tests/test_app.py::test_commands_start_without_the_numeric_stack``). So:

- The *heavy* modules import their libraries normally, at the top: every module of
  ``analytics``, ``reports`` (but ``jobs`` and ``cli``, which reach the engine through the
  package), ``exchange`` (but ``csvfile`` and ``uploads``) and ``demo``;
  ``storage.bulkload``, ``storage.daystats``, ``storage.schema`` (Alembic); ``org.qrcards``.
- Their packages (``analytics``, ``reports``, ``exchange``, ``storage`` and this one, for
  ``demo``) are light: their ``__init__`` only attaches the submodules as lazily-loaded
  attributes with ``lazy_loader.attach_stub``; the list, with the types, is the
  ``__init__.pyi`` next to it. ``org`` holds light code of its own and attaches ``qrcards``
  with ``lazy_loader.attach``.
- The edges — blueprint views, ``commands.py``, ``imports/commands.py``, ``reports/cli.py`` —
  import the *package* at the top and name the module where they call it::

      from survey_app.services import analytics
      ...
      rows = analytics.office.unit_rows(user, filters)  # numpy loads here, once

- A light module never imports a heavy one at its top, and nothing imports for laziness
  inside a function. ``tests/test_layers.py`` checks the layer order and the absence of
  import cycles.
"""

import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach_stub(__name__, __file__)
