"""Vietnam time: the one time zone and the local calendar day every count and period uses.

Moments are stored in UTC; a response belongs to the Vietnamese calendar day of its moment
(METHOD §7), and "today" is today in Asia/Ho_Chi_Minh, whatever the server's zone.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def local_day(moment: datetime) -> date:
    """The Vietnamese calendar day a moment belongs to (METHOD §7)."""
    return moment.astimezone(VN_TZ).date()


def today_local() -> date:
    """Today's date in Vietnam."""
    return datetime.now(VN_TZ).date()
