"""sipas: SIPAS satisfaction feedback for Vietnamese one-stop offices."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app import config
from survey_app.admin import bp as admin_bp
from survey_app.alerts_web import bp as alerts_bp
from survey_app.api import bp as api_bp
from survey_app.auth import bp as auth_bp
from survey_app.auth.sessions import load_user
from survey_app.commands import register_commands
from survey_app.complaints import bp as complaints_bp
from survey_app.errors import register_error_handlers
from survey_app.extensions import babel, csrf, db, login_manager
from survey_app.i18n import inject_locale, register_filters, select_locale
from survey_app.imports import bp as imports_bp
from survey_app.inspector import bp as inspector_bp
from survey_app.kiosk import bp as kiosk_bp
from survey_app.office import bp as office_bp
from survey_app.public import bp as public_bp
from survey_app.reports_web import bp as reports_web_bp
from survey_app.security import register_security_headers
from survey_app.services import tasks
from survey_app.services.ingest.ratelimit import init_rate_limiter
from survey_app.services.storage.engine import configure_engine_events
from survey_app.staff import bp as staff_bp

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: defaults, instance secrets, ``SIPAS_*`` variables, ``test_config``
    (later sources win); then the named ``_register_*`` steps."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config.FLASK_DEFAULTS)
    app.config.update(config.DEFAULTS)
    if "SIPAS_BASE_URL" not in os.environ:
        app.config["BASE_URL"] = config.default_base_url(os.environ)
    app.config.update(config.load_instance_secrets(app.instance_path))
    app.config.from_prefixed_env("SIPAS")
    if test_config is not None:
        app.config.update(test_config)
    config.check_settings(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = config.database_url(app.config, app.instance_path)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", config.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    app.config["BASE_URL"] = str(app.config["BASE_URL"]).rstrip("/")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    _register_extensions(app)
    _register_template_filters(app)
    _register_proxy(app)
    _register_blueprints(app)
    _register_cli(app)
    _register_errorhandlers(app)
    register_security_headers(app)
    return app


def _register_extensions(app: Flask) -> None:
    db.init_app(app)
    tasks.register(app)  # the task queue (huey) and its tasks, by name
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    app.context_processor(inject_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.user_loader(load_user)
    with app.app_context():
        configure_engine_events(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    init_rate_limiter(app)


def _register_template_filters(app: Flask) -> None:
    register_filters(app)


def _register_proxy(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(office_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(inspector_bp)
    app.register_blueprint(reports_web_bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(alerts_bp)


def _register_cli(app: Flask) -> None:
    register_commands(app)


def _register_errorhandlers(app: Flask) -> None:
    register_error_handlers(app)
