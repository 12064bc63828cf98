"""The dossier part of the OpenAPI document (:mod:`.openapi`): ``POST /api/v1/dossiers``,
``GET /api/v1/dossiers/{code}`` and their schemas, authenticated by an integration key."""

from __future__ import annotations

from typing import Any

from flask import current_app

from survey_app.models.dossiers import CHANNELS, OUTCOMES

ERR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
SECURITY: list[dict[str, list[str]]] = [{"integrationKey": []}]


def _text(description: str, **more: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **more}


def schemes() -> dict[str, Any]:
    return {
        "integrationKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration key (`sipk_…`), made by an administrator "
            "(`sipas keys add NAME --unit CODE` or the administration page), limited to one "
            "unit's subtree. Never a counter token.",
        }
    }


def schemas() -> dict[str, Any]:
    most = int(current_app.config["DOSSIER_BATCH_MAX"])
    optional_text = {"type": ["string", "null"]}
    dossier_in = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "code",
            "procedure_code",
            "receiving_unit",
            "resolving_unit",
            "received_at",
            "due_date",
            "outcome",
        ],
        "properties": {
            "code": _text(
                "Mã hồ sơ; surrounding spaces removed, upper-cased, then matched against "
                "SIPAS_DOSSIER_CODE_PATTERN (default `{agency code}-{yyMMdd}-{sequence}`, "
                "e.g. H15.50.05.13-261008-0975). The key of the upsert.",
                maxLength=60,
            ),
            "procedure_code": _text(
                "Mã thủ tục, e.g. 1.004227 (linked to the catalogue when known).", maxLength=40
            ),
            "receiving_unit": _text("Code of the unit that received the dossier."),
            "receiving_counter": {
                **optional_text,
                "description": "Code of a counter of the receiving unit.",
            },
            "resolving_unit": _text("Code of the unit (agency) that resolved it."),
            "channel": {"type": ["string", "null"], "enum": [*CHANNELS, "", None]},
            "received_at": _text(
                "ISO 8601 moment; without an offset it is Vietnam time (UTC+7).",
                format="date-time",
            ),
            "due_date": _text("Appointment (due) date, YYYY-MM-DD.", format="date"),
            "returned_at": {
                **optional_text,
                "description": "When the dossier was closed (result or refusal returned, "
                "or withdrawn): required for da_tra, tu_choi, rut; empty or null for "
                "dang_xu_ly; not before received_at.",
            },
            "outcome": {"type": "string", "enum": list(OUTCOMES)},
            "supplements": {
                "type": ["integer", "string", "null"],
                "description": "Supplement requests (yêu cầu bổ sung), 0–999; null = 0.",
            },
            "apology_sent": {
                "type": ["boolean", "integer", "string", "null"],
                "description": "Apology letter sent: true/false, 1/0 or có/không; null = no.",
            },
        },
    }
    return {
        "DossierIn": dossier_in,
        "DossierBatch": {
            "type": "object",
            "required": ["dossiers"],
            "properties": {
                "dossiers": {"type": "array", "maxItems": most, "items": dossier_in},
            },
        },
        "DossierCounts": {
            "type": "object",
            "required": ["created", "updated", "unchanged"],
            "properties": {
                "created": {"type": "integer"},
                "updated": {"type": "integer"},
                "unchanged": {"type": "integer"},
            },
        },
        "DossierOut": {
            "type": "object",
            "properties": {
                **{
                    name: {"type": ["string", "null"]}
                    for name in (
                        "code",
                        "procedure_code",
                        "receiving_unit",
                        "receiving_counter",
                        "resolving_unit",
                        "channel",
                        "received_at",
                        "due_date",
                        "returned_at",
                        "outcome",
                        "changed_at",
                    )
                },
                "supplements": {"type": "integer"},
                "apology_sent": {"type": "boolean"},
                "timing": {"type": "string", "enum": ["late", "early", "on_time"]},
                "invited": {"type": "boolean", "description": "An invitation was made."},
                "answered": {
                    "type": "boolean",
                    "description": "A verified response was given (never the answers).",
                },
            },
        },
    }


def paths() -> dict[str, Any]:
    most = int(current_app.config["DOSSIER_BATCH_MAX"])
    return {
        "/api/v1/dossiers": {
            "post": {
                "summary": f"Create or update up to {most} dossiers, all or nothing",
                "description": "Upsert by normalised code: a new code is created, a changed "
                "dossier updated, an identical one left alone. Any bad row: nothing stored, "
                "every bad row named in `errors` as `dossiers[i].field` (i from 0).",
                "security": SECURITY,
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/DossierBatch"}
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "Stored: how many were created, updated, unchanged",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/DossierCounts"}
                            }
                        },
                    },
                    "400": {"description": "A bad row; nothing stored", "content": ERR},
                    "401": {"description": "Missing, unknown or revoked key", "content": ERR},
                    "403": {
                        "description": "A dossier's receiving or resolving unit lies outside "
                        "the key's subtree; nothing stored",
                        "content": ERR,
                    },
                    "413": {
                        "description": f"More than {most} dossiers (or a body over "
                        f"{most * 2} KB); nothing read",
                        "content": ERR,
                    },
                    "503": {
                        "description": "Database busy; nothing stored, send again after "
                        "Retry-After seconds",
                        "content": ERR,
                    },
                },
            }
        },
        "/api/v1/dossiers/{code}": {
            "get": {
                "summary": "A stored dossier, with whether it was invited and answered",
                "security": SECURITY,
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The dossier",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/DossierOut"}
                            }
                        },
                    },
                    "401": {"description": "Missing, unknown or revoked key", "content": ERR},
                    "404": {
                        "description": "No such dossier within the key's units",
                        "content": ERR,
                    },
                },
            }
        },
    }
