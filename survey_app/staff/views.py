"""Staff views: thin, every query scoped through ``services.scope``."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth import staff_required
from ..services import dashboard

bp = Blueprint("staff", __name__)


@bp.get("/nhan-vien")
@staff_required
def home() -> str:
    return render_template("staff/home.html", today=dashboard.today(current_user))
