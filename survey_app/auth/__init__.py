"""Staff sign-in: login, logout, the forced password change, and the access decorators."""

from survey_app.auth.decorators import current_user_can, requires, staff_required
from survey_app.auth.navigation import admin_sections, home_url, main_menu
from survey_app.auth.views import bp
from survey_app.services.access.capabilities import Capability

bp.add_app_template_global(current_user_can, "can")
bp.add_app_template_global(Capability, "Capability")
bp.add_app_template_global(main_menu, "main_menu")
bp.add_app_template_global(admin_sections, "admin_sections")
bp.add_app_template_global(home_url, "home_url")

__all__ = ["bp", "requires", "staff_required"]
