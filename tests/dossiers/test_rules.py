"""The dossier code pattern (the setting's default, the national shape) and the timing rule
by Vietnamese local days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from survey_app.config import DEFAULTS
from survey_app.services.dossiers.rules import code_matches, normalise_code, timing

PATTERN = DEFAULTS["DOSSIER_CODE_PATTERN"]


@pytest.mark.parametrize(
    "code", ["H15.50.05.13-261008-0975", "000.00.12.H15-250701-1", "H15-261008-12345678"]
)
def test_national_codes_match(code: str) -> None:
    assert code_matches(code, PATTERN)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "H15.50.05.13-26100-0975",
        "H15..50-261008-1",
        "H15-261008-",
        "H15 261008 0975",
        "-261008-1",
    ],
)
def test_other_shapes_do_not(code: str) -> None:
    assert not code_matches(code, PATTERN)


def test_codes_are_normalised() -> None:
    assert normalise_code("  h15.50.05.13-261008-0975 \n") == "H15.50.05.13-261008-0975"


DUE = date(2026, 10, 22)


def test_returned_on_a_later_local_day_is_late() -> None:
    # 23:30 UTC on the 22nd is 06:30 on the 23rd in Vietnam
    assert timing(DUE, datetime(2026, 10, 22, 23, 30, tzinfo=UTC), date(2026, 11, 1)) == "late"


def test_returned_on_the_due_local_day_is_on_time() -> None:
    # 18:00 UTC on the 21st is 01:00 on the 22nd in Vietnam
    assert timing(DUE, datetime(2026, 10, 21, 18, 0, tzinfo=UTC), date(2026, 11, 1)) == "on_time"


def test_returned_before_is_early() -> None:
    assert timing(DUE, datetime(2026, 10, 21, 9, 0, tzinfo=UTC), date(2026, 11, 1)) == "early"


def test_open_dossier_is_late_only_after_its_due_day() -> None:
    assert timing(DUE, None, date(2026, 10, 22)) == "on_time"
    assert timing(DUE, None, date(2026, 10, 23)) == "late"


def test_fast_forms_agree_with_the_zone_and_sqlalchemy() -> None:
    from datetime import timedelta

    from survey_app.services.clock import VN_TZ, local_day
    from survey_app.services.dossiers.rules import local_ordinal, utc_text

    start = datetime(2000, 1, 1, tzinfo=UTC)
    for hours in range(0, 24 * 365 * 100, 24 * 97 + 5):
        moment = start + timedelta(hours=hours, microseconds=hours % 3)
        assert local_ordinal(moment) == local_day(moment).toordinal()
        naive = moment.replace(tzinfo=None)
        assert utc_text(moment.astimezone(VN_TZ)) == naive.isoformat(" ", "microseconds")
