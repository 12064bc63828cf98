"""The access table: which role may do what, pinned to the documented matrix.

A role that gains or loses a capability, or a capability added or removed, fails here first;
change the matrix below only together with the documentation (``docs/architecture.md``).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask, render_template_string
from flask_login import AnonymousUserMixin

from survey_app.models import ROLES
from survey_app.services.access.capabilities import (
    TABLE,
    Capability,
    can,
    capabilities_of,
    roles_with,
)

from ..factories import login, make_unit, make_user

# capability               staff  unit_head  office  inspector  admin
DOCUMENTED = """
see_all_units                .        .         .        .        x
view_office                  .        x         x        .        x
view_integrity               .        .         .        x        x
make_reports                 .        .         x        x        x
integrity_in_reports         .        .         .        x        .
import_data                  .        .         x        .        x
admin_org                    .        .         .        .        x
admin_accounts               .        .         .        .        x
mark_complaints              x        x         .        .        .
manage_complaints            .        x         .        .        .
see_conduct_complaints       .        x         x        x        x
manage_kiosks                .        x         .        .        x
manage_alerts                .        x         .        .        x
see_dossier_link             .        x         .        x        .
exclude_responses            .        .         .        x        .
edit_holidays                .        .         .        .        x
"""
COLUMNS = ("staff", "unit_head", "office", "inspector", "admin")


def _documented() -> dict[str, frozenset[str]]:
    table = {}
    for line in DOCUMENTED.strip().splitlines():
        name, *marks = line.split()
        assert len(marks) == len(COLUMNS), line
        table[name] = frozenset(r for r, m in zip(COLUMNS, marks, strict=True) if m == "x")
    return table


def test_table_is_the_documented_matrix() -> None:
    assert {str(c): roles for c, roles in TABLE.items()} == _documented()


def test_every_capability_has_a_row_and_only_known_roles() -> None:
    assert set(TABLE) == set(Capability)
    assert set(COLUMNS) == set(ROLES)
    for roles in TABLE.values():
        assert roles <= set(ROLES)


def test_roles_with_and_capabilities_of_read_the_table() -> None:
    assert roles_with(Capability.IMPORT_DATA) == {"office", "admin"}
    assert capabilities_of("staff") == {Capability.MARK_COMPLAINTS}
    for capability in Capability:
        for role in ROLES:
            assert (capability in capabilities_of(role)) == (role in roles_with(capability))


def _user(*roles: str) -> SimpleNamespace:
    return SimpleNamespace(is_authenticated=True, roles=[SimpleNamespace(role=r) for r in roles])


@pytest.mark.parametrize("capability", list(Capability))
def test_can_holds_for_any_role_with_the_capability(capability: Capability) -> None:
    for role in ROLES:
        assert can(_user(role), capability) == (role in roles_with(capability))
        assert can(_user("staff", role), capability) == bool({"staff", role} & TABLE[capability])
    assert not can(_user(), capability)
    assert not can(AnonymousUserMixin(), capability)


def test_templates_ask_the_table(app: Flask) -> None:
    page = "{{ can(Capability.IMPORT_DATA) }} {{ can('view_integrity') }}"
    with app.test_request_context():
        assert render_template_string(page) == "False False"  # nobody signed in
    make_user("u.office", "office", make_unit())
    client = app.test_client()
    login(client, "u.office")
    with client:
        client.get("/nhan-vien")
        assert render_template_string(page) == "True False"
        with pytest.raises(ValueError, match="no_such"):
            render_template_string("{{ can('no_such') }}")
