"""Request bodies of the JSON API: parsed defensively, validated against the published schema.

The schema is ``ResponseIn`` of the OpenAPI document that ``GET /api/v1/openapi.json`` serves
(:func:`.openapi.openapi_document`), compiled once per application; what it refuses, the
server refuses, and what it allows reaches the response service, which checks only what a
schema cannot say (an item of another questionnaire version, a procedure of another unit, a
receipt already used). Each schema error becomes one short, translated message per field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from jsonschema import Draft202012Validator, ValidationError

from survey_app.api.openapi import openapi_document

_VALIDATOR = "sipas_api_request_validator"
MAX_DEPTH = 8  # the schema needs 2 levels; anything deeper is refused before validation


class BadBody(Exception):  # noqa: N818 - a refusal, answered with 400
    """The body cannot be used; ``message`` for everyone, ``errors`` per field."""

    def __init__(self, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def _validator() -> Draft202012Validator:
    found = current_app.extensions.get(_VALIDATOR)
    if found is None:
        schema = openapi_document()["components"]["schemas"]["ResponseIn"]
        Draft202012Validator.check_schema(schema)
        found = current_app.extensions[_VALIDATOR] = Draft202012Validator(schema)
    return found  # type: ignore[no-any-return]


def _depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                children = node.values() if isinstance(node, dict) else node
                stack.extend((child, level + 1) for child in children)
    return deepest


def parse() -> dict[str, Any]:
    """The request's JSON object, valid under ``ResponseIn``; :class:`BadBody` otherwise.

    Whole-number floats among the answers (``3.0``, an integer by JSON Schema) become ints.
    """
    not_object = _("Nội dung phải là một đối tượng JSON.")
    if not request.is_json:
        raise BadBody(not_object)
    try:
        body = json.loads(request.get_data(cache=False))
    except RecursionError:
        raise BadBody(_("Nội dung JSON lồng nhau quá sâu.")) from None
    except ValueError:  # not JSON, or not UTF-8
        raise BadBody(not_object) from None
    if not isinstance(body, dict):
        raise BadBody(not_object)
    if _depth(body) > MAX_DEPTH:
        raise BadBody(_("Nội dung JSON lồng nhau quá sâu."))
    problems: dict[str, str] = {}
    for error in _validator().iter_errors(body):
        for field, message in _messages(error, body):
            problems.setdefault(field, message)
    if problems:
        raise BadBody(_("Dữ liệu không hợp lệ."), problems)
    answers = body["answers"]
    for code, value in answers.items():
        if isinstance(value, float):
            answers[code] = int(value)
    return body


def _field(error: ValidationError) -> str:
    return ".".join(str(part)[:40] for part in error.absolute_path)


def _messages(error: ValidationError, body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(field, message) pairs for one schema error."""
    kind, field = error.validator, _field(error)
    if kind == "additionalProperties" and not field:
        known = error.schema.get("properties", {})
        for key in body:
            if key not in known:
                yield str(key)[:40], _("Trường không được hỗ trợ.")
        return
    if kind == "required":
        yield "answers", _("Bắt buộc: một đối tượng {mã câu hỏi: giá trị}.")
        return
    if "propertyNames" in error.absolute_schema_path:  # the instance is the key
        yield f"answers.{str(error.instance)[:40]}", _("Mã câu hỏi không có trong phiếu nào.")
        return
    if field.startswith("answers."):
        yield field, _("Câu trả lời không nằm trong các lựa chọn của câu hỏi.")
        return
    yield field or "body", _message(field, kind, error.validator_value)


def _message(field: str, kind: object, limit: object) -> str:
    if field == "answers":
        if kind in ("minProperties", "anyOf"):
            return _("Vui lòng trả lời ít nhất một câu hỏi.")
        return _("Bắt buộc: một đối tượng {mã câu hỏi: giá trị}.")
    if kind == "type":
        return _("Phải là chuỗi ký tự.")
    if kind == "maxLength":
        if field == "comment":
            return _("Ý kiến dài quá %(n)d ký tự.", n=int(limit))  # type: ignore[call-overload]
        return _("Dài quá %(n)d ký tự.", n=int(limit))  # type: ignore[call-overload]
    if field == "questionnaire":
        return _("Phiên bản phiếu không tồn tại.")
    if field == "channel":
        return _("Hình thức nộp hồ sơ không hợp lệ.")
    if field == "source":
        return _("Chỉ nhận 'api' hoặc 'kiosk'.")
    if field == "idempotency_key":
        return _("Mã chống gửi trùng không hợp lệ.")
    return _("Giá trị không hợp lệ.")
