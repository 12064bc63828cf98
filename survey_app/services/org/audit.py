"""The audit log: append an entry in the caller's transaction; read it newest first; say
each entry in plain words (:data:`ACTIONS`, :data:`KEYS`, :data:`TARGETS`: the one label
table, translated, that the log page reads).

There is deliberately no function here that updates or deletes an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from survey_app.extensions import db
from survey_app.models import AuditEntry, User

PAGE_SIZE = 50
TOKEN_PREFIX = 6  # the log keeps only this many characters of a counter token


def token_prefix(token: str | None) -> str | None:
    return None if token is None else token[:TOKEN_PREFIX]


# Every action the code records (tests/admin/test_audit_labels.py checks that none is left
# out), the keys of its before/after values, and the kinds of target.
ACTIONS = {
    "counter.add": _l("Thêm quầy"),
    "counter.deactivate": _l("Ngừng quầy"),
    "counter.activate": _l("Mở lại quầy"),
    "token.issue": _l("Cấp mã QR"),
    "token.revoke": _l("Thu hồi mã QR"),
    "token.rotate": _l("Đổi mã QR"),
    "unit.add": _l("Thêm đơn vị"),
    "unit.edit": _l("Sửa đơn vị"),
    "unit.deactivate": _l("Ngừng đơn vị"),
    "unit.activate": _l("Mở lại đơn vị"),
    "unit.opening_hours": _l("Đổi giờ làm việc của đơn vị"),
    "trust.exclude": _l("Loại phiếu khỏi các chỉ số"),
    "trust.restore": _l("Đưa phiếu trở lại các chỉ số"),
    "procedure.add": _l("Thêm thủ tục"),
    "procedure.edit": _l("Sửa thủ tục"),
    "procedure.deactivate": _l("Ngừng thủ tục"),
    "procedure.activate": _l("Dùng lại thủ tục"),
    "procedure.import": _l("Nhập danh sách thủ tục"),
    "responses.import": _l("Nhập tệp phản hồi"),
    "account.add": _l("Tạo tài khoản"),
    "account.role_add": _l("Thêm vai trò"),
    "account.role_remove": _l("Gỡ vai trò"),
    "account.disable": _l("Vô hiệu hoá tài khoản"),
    "account.enable": _l("Mở lại tài khoản"),
    "account.reset_password": _l("Đặt lại mật khẩu"),
    "account.unlock": _l("Mở khoá"),
    "key.add": _l("Tạo khoá tích hợp"),
    "key.revoke": _l("Thu hồi khoá tích hợp"),
    "dossiers.import": _l("Nhập tệp hồ sơ"),
    "kiosk.code": _l("Tạo mã kết nối máy tính bảng"),
    "kiosk.enrol": _l("Kết nối máy tính bảng"),
    "kiosk.rename": _l("Đổi tên máy tính bảng"),
    "kiosk.revoke": _l("Thu hồi máy tính bảng"),
    "alert_rule.save": _l("Lưu quy tắc cảnh báo"),
    "webhook.add": _l("Thêm webhook"),
    "alert.acknowledge": _l("Xác nhận đã xem cảnh báo"),
    "delivery.resend": _l("Gửi lại cảnh báo"),
    "dossier.view": _l("Xem hồ sơ của đánh giá (khi xử lý phản ánh)"),
    "holiday.add": _l("Thêm ngày nghỉ lễ hoặc ngày làm bù"),
    "holiday.remove": _l("Xoá ngày nghỉ lễ hoặc ngày làm bù"),
    "unit.auto_complaints": _l("Bật hoặc tắt tự động mở phản ánh"),
}
KEYS = {
    "token": _l("mã QR"),
    "tokens": _l("mã QR"),
    "active": _l("hoạt động"),
    "unit": _l("đơn vị"),
    "units": _l("đơn vị"),
    "code": _l("mã"),
    "name": _l("tên"),
    "kind": _l("loại"),
    "place_name": _l("nơi"),
    "parent": _l("cấp trên"),
    "target_group": _l("nhóm đối tượng"),
    "questionnaire": _l("bộ phiếu"),
    "form_start": _l("phiếu mở khi quét mã QR"),
    "opening_hours": _l("giờ làm việc"),
    "open_qr": _l("nhận đánh giá mở qua mã QR quầy"),
    "field": _l("lĩnh vực"),
    "username": _l("tên đăng nhập"),
    "roles": _l("vai trò"),
    "locked": _l("tạm khoá"),
    "must_change_password": _l("phải đổi mật khẩu"),
    "password_reset": _l("đặt lại mật khẩu"),
    "added": _l("thêm mới"),
    "updated": _l("cập nhật"),
    "unchanged": _l("không đổi"),
    "skipped": _l("đã có, bỏ qua"),
    "sources": _l("nguồn"),
    "links": _l("liên kết mới"),
    "by": _l("thực hiện qua"),
    "key": _l("khoá"),
    "created": _l("tạo mới"),
    "minutes": _l("hiệu lực (phút)"),
    "counter": _l("quầy"),
    "threshold_percent": _l("ngưỡng (%)"),
    "window_minutes": _l("số phút"),
    "min_responses": _l("số phản hồi tối thiểu"),
    "emails": _l("số địa chỉ e-mail"),
    "webhook": _l("webhook"),
    "alert": _l("cảnh báo"),
    "status": _l("trạng thái"),
    "attempts": _l("số lần thử"),
    "complaint": _l("phản ánh"),
    "day": _l("ngày"),
    "auto_complaints": _l("tự động mở phản ánh"),
}
TARGETS = {
    "counter": _l("Quầy"),
    "unit": _l("Đơn vị"),
    "procedure": _l("Thủ tục"),
    "user": _l("Tài khoản"),
    "procedures": _l("Danh sách thủ tục (CSV)"),
    "file": _l("Tệp"),
    "key": _l("Khoá tích hợp"),
    "device": _l("Máy tính bảng"),
    "alert": _l("Cảnh báo"),
    "delivery": _l("Lần gửi cảnh báo"),
    "dossier": _l("Hồ sơ"),
    "holiday": _l("Ngày nghỉ lễ"),
}
# Values that are words of the code rather than data.
VALUES = {
    "command_line": _l("dòng lệnh sipas"),
    "nhanh": _l("phiếu nhanh trước"),
    "nghi": _l("ngày nghỉ"),
    "lam_bu": _l("ngày làm bù"),
    "day_du": _l("bộ phiếu của đơn vị"),
}


def action_label(action: str) -> str:
    """The action in plain words (an unknown one as recorded)."""
    return str(ACTIONS.get(action, action))


def key_label(key: str) -> str:
    return str(KEYS.get(key, key))


def target_label(kind: str) -> str:
    return str(TARGETS.get(kind, kind))


def value_label(value: str) -> str:
    return str(VALUES.get(value, value))


def record(
    actor: User | None,
    action: str,
    target_type: str,
    target_id: str | int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """Add an entry to the session (the caller commits it together with the change);
    ``actor`` ``None``: the command line (``sipas users reset-password``)."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    number: int
    pages: int
    total: int


def page(number: int) -> Page:
    """One page of the log, newest first; ``number`` is clamped to the pages that exist."""
    total = db.session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(max(1, number), pages)
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .options(joinedload(AuditEntry.actor))
            .order_by(AuditEntry.id.desc())
            .offset((number - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )
    return Page(entries, number, pages, total)
