#!/usr/bin/env bash
# Maintainers: after changing user-facing text, extract the Vietnamese msgids, merge them into
# the English catalogue, fill translations, then compile.
#   scripts/i18n.sh                      extract + merge + compile (translate new entries by hand)
#   scripts/i18n.sh new.json [more.json] also fill empty entries from {"Vietnamese": "English"} files
# Runs under a lock, so several people (or scripts) editing at once do not clobber each other.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/sipas-i18n.lock
flock 9
pot=$(mktemp --suffix .pot)
.venv/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location -o "$pot" . >/dev/null 2>&1
.venv/bin/pybabel update -i "$pot" -d survey_app/translations -l en --no-fuzzy-matching
rm -f "$pot"
if (($#)); then
  .venv/bin/python - "$@" <<'PY'
import json, sys
from pathlib import Path
from babel.messages.pofile import read_po, write_po
path = Path("survey_app/translations/en/LC_MESSAGES/messages.po")
with path.open("rb") as f:
    catalog = read_po(f)
extra: dict[str, str] = {}
for name in sys.argv[1:]:
    extra.update(json.loads(Path(name).read_text(encoding="utf-8")))
filled = 0
for message in catalog:
    if message.id and not message.string and message.id in extra:
        message.string = extra[message.id]
        filled += 1
with path.open("wb") as f:
    write_po(f, catalog, width=100, omit_header=False)
print(f"filled {filled} translations")
PY
fi
.venv/bin/pybabel compile -d survey_app/translations
