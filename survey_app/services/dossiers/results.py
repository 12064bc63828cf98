"""What a dossier batch gives back (see :mod:`.ingest`): its counts, or the refusal naming
every bad row, in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from survey_app.services.errors import InputError


@dataclass(frozen=True)
class Problem:
    """One bad value: ``line`` (a file's line, 1 = header; the API's 0-based position),
    ``column`` (the field) and ``message`` (already in the reader's language)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _(
                "dòng %(line)s, cột %(column)s: %(message)s",
                line=self.line,
                column=self.column,
                message=self.message,
            )
        return _("dòng %(line)s: %(message)s", line=self.line, message=self.message)


class DossiersRefused(InputError):
    """The batch was refused; nothing was stored. ``problems`` lists the first problems (in
    row order), ``more`` counts the rest."""

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        self.more = more
        super().__init__("\n".join(str(p) for p in self.problems[:50]))

    @property
    def total(self) -> int:
        return len(self.problems) + self.more


class OutsideUnits(DossiersRefused):
    """Some dossier names a unit outside the units allowed (an integration key's subtree:
    HTTP 403); ``problems`` lists those dossiers."""


class DatabaseBusy(Exception):  # noqa: N818 - a state: send again later
    """The database was busy or unreachable; nothing was stored."""


@dataclass
class IngestResult:
    """What a batch did (or, with ``dry_run``, would do)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
