"""Checklist versions (A2, A3): a ticket keeps the version of the lists it was served from."""

from django.urls import reverse

from scripts_lib.checklists import checklist_version_for
from scripts_lib.models import ChecklistVersion, RequiredDocument, ServiceReminder, ServiceType
from tests.clock import at
from tests.tickets.conftest import login  # noqa: F401
from tests.tickets.helpers import new_ticket
from tickets import materials

T0 = at("2026-03-02 10:00")


def visa_type() -> ServiceType:
    return ServiceType.objects.get(code="visa")


def test_an_unchanged_list_keeps_its_version(db):
    first = checklist_version_for(service_type=visa_type(), now=T0)
    again = checklist_version_for(service_type=visa_type(), now=T0)

    assert first == again and first.number == 1
    assert "护照原件" in [document["name"] for document in first.documents]


def test_editing_the_list_makes_a_new_version_and_past_tickets_keep_theirs(login, clerk):  # noqa: F811
    visa = visa_type()
    before = new_ticket(clerk, service_type=visa)
    materials.materials_start(ticket=before, actor=clerk, now=T0)

    RequiredDocument.objects.create(service_type=visa, name="行程单", is_required=True, sort_order=99)
    ServiceReminder.objects.filter(service_type=visa).first().delete()
    after = new_ticket(clerk, service_type=visa)

    before.refresh_from_db()
    assert before.checklist_version.number == 1 and after.checklist_version.number == 2
    assert "行程单" not in [d["name"] for d in before.checklist_version.documents]
    assert "行程单" in [d["name"] for d in after.checklist_version.documents]
    assert ChecklistVersion.objects.filter(service_type=visa).count() == 2
    page = login(clerk).get(reverse("desk:ticket_detail", args=[before.reference])).content.decode()
    assert "list version 1" in page  # (行程单 is offered as a document added to the list since)


def test_starting_the_checklist_records_the_version_then_in_force(clerk):
    visa = visa_type()
    ticket = new_ticket(clerk, service_type=visa)
    RequiredDocument.objects.create(service_type=visa, name="行程单", is_required=False, sort_order=99)

    rows = materials.materials_start(ticket=ticket, actor=clerk, now=T0)

    ticket.refresh_from_db()
    assert ticket.checklist_version.number == 2
    assert [row.name for row in rows] == [d["name"] for d in ticket.checklist_version.documents]
