"""The header menu, the administration's sections and each role's landing page.

Built from the one access table (``services/access/capabilities.py``): an entry is shown to a
user who holds its capability (no capability: everyone signed in), the same rule the route's
``@requires`` applies, so a menu never offers a page that answers 403 (``tests/auth/
test_navigation.py`` checks it for every role).  Templates read ``main_menu()``,
``admin_sections()`` and ``home_url()``; the sign-in and the error pages read
:func:`landing_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from survey_app.services.access.capabilities import Capability, Landing, can, landing_of


@dataclass(frozen=True, slots=True)
class Entry:
    """A page of the menu: its route, label, the capability it needs (``None``: signed in),
    and the path prefix under which it is the current page."""

    endpoint: str
    label: Any  # a lazy string: translated when shown
    capability: Capability | None
    prefix: str
    name: str  # a stable class name, ``nav-<name>``, for tests and styles
    about: Any = ""  # one line on the administration's index


LANDING_ENDPOINTS: dict[Landing, str] = {
    Landing.ADMIN: "admin.index",
    Landing.OFFICE: "office.index",
    Landing.INSPECTOR: "inspector.index",
    Landing.STAFF: "staff.home",
}

ADMIN_SECTIONS: tuple[Entry, ...] = (
    Entry(
        "admin.units_page",
        _l("Đơn vị"),
        Capability.ADMIN_ORG,
        "/quan-tri/don-vi",
        "admin-units",
        _l("Cây đơn vị: thêm, sửa, chuyển đơn vị cha, ngừng hoặc kích hoạt lại."),
    ),
    Entry(
        "admin.counters_page",
        _l("Quầy và mã QR"),
        Capability.ADMIN_ORG,
        "/quan-tri/quay",
        "admin-counters",
        _l("Quầy của từng đơn vị, mã QR (cấp, đổi, thu hồi) và thẻ A6 để in."),
    ),
    Entry(
        "admin.procedures_page",
        _l("Thủ tục"),
        Capability.ADMIN_ORG,
        "/quan-tri/thu-tuc",
        "admin-procedures",
        _l("Danh mục thủ tục hành chính, đơn vị áp dụng, nhập từ tệp CSV."),
    ),
    Entry(
        "admin.accounts_page",
        _l("Tài khoản"),
        Capability.ADMIN_ACCOUNTS,
        "/quan-tri/tai-khoan",
        "admin-accounts",
        _l("Tài khoản cán bộ, vai trò theo đơn vị, khóa, mở khóa, đặt lại mật khẩu."),
    ),
    Entry(
        "admin.keys_page",
        _l("Khoá tích hợp"),
        Capability.ADMIN_ORG,
        "/quan-tri/khoa-tich-hop",
        "admin-keys",
        _l("Khoá để hệ thống một cửa gửi hồ sơ qua API: tạo, xem lần dùng, thu hồi."),
    ),
    Entry(
        "admin.holidays_page",
        _l("Ngày nghỉ lễ"),
        Capability.EDIT_HOLIDAYS,
        "/quan-tri/ngay-nghi",
        "admin-holidays",
        _l("Ngày nghỉ lễ và ngày làm bù, dùng để tính hạn trả lời phản ánh theo ngày làm việc."),
    ),
    Entry(
        "admin.log",
        _l("Nhật ký thay đổi"),
        Capability.ADMIN_ORG,
        "/quan-tri/nhat-ky",
        "admin-log",
        _l("Mọi thay đổi trong phần quản trị: ai, lúc nào, trước và sau."),
    ),
)

MENU: tuple[Entry, ...] = (
    Entry("staff.home", _l("Phản hồi hôm nay"), None, "/nhan-vien", "staff"),
    Entry("office.index", _l("Tổng quan đơn vị"), Capability.VIEW_OFFICE, "/van-phong", "office"),
    Entry("complaints.index", _l("Phản ánh, kiến nghị"), None, "/phan-anh", "complaints"),
    Entry("alerts_web.index", _l("Cảnh báo"), None, "/canh-bao", "alerts"),
    Entry("inspector.index", _l("Thanh tra"), Capability.VIEW_INTEGRITY, "/thanh-tra", "inspector"),
    Entry(
        "reports_web.index", _l("Báo cáo định kỳ"), Capability.MAKE_REPORTS, "/bao-cao", "reports"
    ),
    Entry("imports.index", _l("Nhập dữ liệu"), Capability.IMPORT_DATA, "/nhap-du-lieu", "imports"),
    Entry("admin.index", _l("Quản trị"), Capability.ADMIN_ORG, "/quan-tri", "admin"),
    Entry("auth.change_password", _l("Đổi mật khẩu"), None, "/doi-mat-khau", "password"),
)


@dataclass(frozen=True, slots=True)
class Link:
    """An entry as one user sees it on one page."""

    url: str
    label: Any
    name: str
    current: bool
    about: Any


def allowed(user: Any, entry: Entry) -> bool:
    if not user.is_authenticated:
        return False
    return entry.capability is None or can(user, entry.capability)


def _current(entry: Entry, path: str) -> bool:
    return path == entry.prefix or path.startswith(entry.prefix + "/")


def _links(entries: tuple[Entry, ...]) -> list[Link]:
    path = request.path
    return [
        Link(url_for(e.endpoint), e.label, e.name, _current(e, path), e.about)
        for e in entries
        if allowed(current_user, e)
    ]


def main_menu() -> list[Link]:
    """The header menu of the signed-in user (empty for a visitor)."""
    return _links(MENU)


def admin_sections() -> list[Link]:
    """The administration's sections the user may open (the index page and its sub-menu)."""
    return _links(ADMIN_SECTIONS)


def landing_url(user: Any) -> str:
    """The page ``user`` starts on; the sign-in page for a visitor."""
    if not user.is_authenticated:
        return url_for("auth.login")
    return url_for(LANDING_ENDPOINTS[landing_of(user)])


def home_url() -> str:
    """``landing_url`` of the current user (the header's home link, the error pages)."""
    return landing_url(current_user)
