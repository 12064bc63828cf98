"""The OpenAPI 3.1 document of the JSON API, built from the shipped questionnaires.

The request body schema (``ResponseIn``) is not only published: ``api.bodies`` validates every
request against this very document, so the two cannot drift.
"""

from __future__ import annotations

from typing import Any

from flask import current_app

import forms
from survey_app.api import openapi_dossiers


def answer_values() -> dict[str, list[int]]:
    """Item code → the answer codes its scale allows, over every shipped questionnaire."""
    values: dict[str, set[int]] = {}
    for q in forms.load_all().values():
        for item in q.items:
            values.setdefault(item.code, set()).update(item.scale.values)
    return {code: sorted(found) for code, found in values.items()}


def openapi_document() -> dict[str, Any]:
    document = _document()
    # Dossiers (issue 13): their own paths, schemas and security scheme.
    document["components"]["securitySchemes"].update(openapi_dossiers.schemes())
    document["components"]["schemas"].update(openapi_dossiers.schemas())
    document["paths"].update(openapi_dossiers.paths())
    _add_invitation(document)
    return document


def _document() -> dict[str, Any]:
    codes = forms.all_item_codes()
    values = answer_values()
    comment_limit = int(current_app.config["MAX_COMMENT_LENGTH"])
    error = {
        "type": "object",
        "properties": {
            "error": {"type": "string"},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Per-field messages, e.g. `answers.A1`.",
            },
        },
        "required": ["error"],
    }
    err = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sipas API",
            "version": "1.0.0",
            "description": "Submit SIPAS satisfaction responses from kiosks and one-stop "
            "software. Item codes and value scales follow METHOD §3.",
        },
        "servers": [{"url": current_app.config["BASE_URL"]}],
        "components": {
            "securitySchemes": {
                "counterToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The counter's token (the last part of its QR URL).",
                }
            },
            "schemas": {
                "Error": error,
                "ResponseIn": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["answers"],
                    "properties": {
                        "questionnaire": {
                            "type": ["string", "null"],
                            "enum": [*sorted(forms.load_all()), None],
                            "description": "Defaults (also when null) to the unit's questionnaire.",
                        },
                        "answers": {
                            "type": "object",
                            "minProperties": 1,
                            "propertyNames": {"enum": list(codes)},
                            "properties": {
                                code: {
                                    "type": ["integer", "null"],
                                    "enum": [None, 0, *values[code]],
                                }
                                for code in codes
                            },
                            # at least one real answer (not every value "no opinion"),
                            # said so that generators such as schemathesis can follow it
                            "anyOf": [
                                {
                                    "required": [code],
                                    "properties": {code: {"type": "integer", "minimum": 1}},
                                }
                                for code in codes
                            ],
                            "description": "Item code → answer code of its scale (METHOD "
                            "§3: 1–5 for the factors, 1–3 for Q5/Q6, 1–4 for the "
                            "expectations); 0 or null = no opinion. At least one item "
                            "answered. Item codes of another questionnaire version than "
                            "the one used are refused by the server (400).",
                        },
                        "procedure_code": {
                            "type": ["string", "null"],
                            "description": "Mã thủ tục of one of the unit's "
                            "procedures, e.g. 1.004227.",
                        },
                        "channel": {"type": ["string", "null"], "enum": [*forms.CHANNELS, None]},
                        "comment": {
                            "type": ["string", "null"],
                            "maxLength": comment_limit,
                            "description": "Free text. Control characters other than tab "
                            "and newline and bidi overrides are removed, the text is "
                            "stored in NFC; NUL or a lone surrogate is refused (400).",
                        },
                        "transaction_ref": {
                            "type": ["string", "null"],
                            "maxLength": 64,
                            "description": "Receipt number; usable once per "
                            "unit; stored only as a keyed hash of its folded form (NFKC, "
                            "dashes as '-', no spaces, upper case).",
                        },
                        "idempotency_key": {
                            "type": ["string", "null"],
                            "pattern": "^[A-Za-z0-9_-]{8,64}$",
                        },
                        "source": {"type": ["string", "null"], "enum": ["api", "kiosk", None]},
                    },
                },
                "ResponseOut": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": {"type": "integer"}},
                },
            },
        },
        "paths": {
            "/api/v1/responses": {
                "post": {
                    "summary": "Store one response for the counter the token belongs to",
                    "security": [{"counterToken": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ResponseIn"}
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Stored",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ResponseOut"}
                                }
                            },
                        },
                        "200": {
                            "description": "Same idempotency key as an earlier request: that "
                            "response's id",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ResponseOut"}
                                }
                            },
                        },
                        "400": {
                            "description": "Invalid input, with per-field errors",
                            "content": err,
                        },
                        "401": {"description": "Missing, unknown or revoked token", "content": err},
                        "409": {
                            "description": "Receipt number already used at this unit",
                            "content": err,
                        },
                        "413": {"description": "Body larger than 64 KB", "content": err},
                        "429": {
                            "description": "Rate limit reached; try again after "
                            "Retry-After seconds",
                            "headers": {
                                "Retry-After": {
                                    "description": "Seconds until the limit's window ends",
                                    "schema": {"type": "integer", "minimum": 1},
                                }
                            },
                            "content": err,
                        },
                        "503": {
                            "description": "Database busy (another writer, e.g. a long "
                            "import) or unreachable; nothing stored, send the same "
                            "request again after Retry-After seconds",
                            "content": err,
                        },
                    },
                }
            },
            "/healthz": {
                "get": {
                    "summary": "Each dependency checked: database, and Redis when the "
                    "rate limits use it",
                    "responses": {
                        "200": {"description": "Healthy: every dependency answers"},
                        "503": {"description": "A dependency is unreachable (named in the body)"},
                    },
                }
            },
        },
    }


def _add_invitation(doc: dict[str, Any]) -> None:
    """``POST /api/v1/dossiers/{code}/invitation`` (issue 13), kept apart from the rest."""
    err = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    doc["components"]["securitySchemes"].setdefault(
        "integrationKey",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An integration key (sipk_…) of the one-stop system, made by an "
            "admin, limited to a unit subtree.",
        },
    )
    doc["components"]["schemas"]["InvitationOut"] = {
        "type": "object",
        "required": ["url", "short_url", "expires_at"],
        "properties": {
            "url": {"type": "string", "description": "The long link (for a QR code)."},
            "short_url": {
                "type": "string",
                "description": "The same invitation for an SMS (SHORT_URL_BASE + /h/ + 10 "
                "characters).",
            },
            "expires_at": {"type": "string", "format": "date-time"},
        },
    }
    ok = {"application/json": {"schema": {"$ref": "#/components/schemas/InvitationOut"}}}
    doc["paths"]["/api/v1/dossiers/{code}/invitation"] = {
        "post": {
            "summary": "The dossier's single-use invitation to rate it (made once per dossier)",
            "security": [{"integrationKey": []}],
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "Mã hồ sơ, e.g. H15.50.05.13-261008-0975.",
                }
            ],
            "responses": {
                "201": {"description": "Invitation made", "content": ok},
                "200": {"description": "The dossier's invitation, made before", "content": ok},
                "401": {"description": "Missing, unknown or revoked key", "content": err},
                "403": {
                    "description": "The dossier was received outside the key's units",
                    "content": err,
                },
                "404": {"description": "No dossier with this code", "content": err},
            },
        }
    }
