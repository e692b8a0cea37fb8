"""Move-in and ownership transfer (入伙/产权变更): the checklists seeded by
scripts_lib/migrations/0003 reach a visit ticket through the materials services."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from scripts_lib.models import RequiredDocument, ServiceType
from tests.visits.renovation_helpers import T0, new_visit
from tickets import materials, selectors
from tickets.exceptions import IllegalTransition
from tickets.models import MaterialCheck

seed_module = importlib.import_module("scripts_lib.migrations.0003_seed_move_in_and_transfer")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("move-in", {"房产证（业主）或房屋租赁合同（租户）", "身份证原件", "入伙登记表"}),
        ("ownership-transfer", {"新房产证（不动产权证书）", "新业主身份证原件", "过户登记表"}),
    ],
)
def test_a_visit_with_the_service_type_gets_its_checklist(clerk, code, expected):
    service_type = ServiceType.objects.get(code=code)
    ticket = new_visit(clerk, subject="入伙办理")

    rows = materials.materials_start(ticket=ticket, actor=clerk, service_type=service_type, now=T0)

    names = {row.name for row in rows}
    assert expected <= names
    assert {row.name for row in selectors.material_list_for_ticket(ticket=ticket)} == names
    optional = MaterialCheck.objects.get(ticket=ticket, name="授权委托书及受托人身份证")
    assert optional.is_required is False


def test_a_move_in_cannot_be_resolved_until_the_documents_are_checked(clerk):
    from tickets import services

    ticket = new_visit(clerk)
    materials.materials_start(ticket=ticket, actor=clerk, service_type=ServiceType.objects.get(code="move-in"), now=T0)

    with pytest.raises(IllegalTransition, match="Materials incomplete"):
        services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=T0)


def test_the_seed_is_idempotent_and_keeps_admin_edits(db):
    move_in = ServiceType.objects.get(code="move-in")
    RequiredDocument.objects.filter(service_type=move_in, name="入伙登记表").update(note="管理员改过")
    counts = (ServiceType.objects.count(), RequiredDocument.objects.count())

    seed_module.seed(django_apps, None)

    assert (ServiceType.objects.count(), RequiredDocument.objects.count()) == counts
    assert RequiredDocument.objects.get(service_type=move_in, name="入伙登记表").note == "管理员改过"
