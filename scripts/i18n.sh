#!/usr/bin/env bash
# Maintainers: after changing user-facing text, extract the Vietnamese msgids, merge them into
# the English catalogue, translate the new entries in messages.po, then compile.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location -o /tmp/sipas.pot .
.venv/bin/pybabel update -i /tmp/sipas.pot -d survey_app/translations -l en --no-fuzzy-matching
.venv/bin/pybabel compile -d survey_app/translations
