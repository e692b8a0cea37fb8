"""Reads: fixed query counts however many rows, and the append-only event record."""

import pytest

from tests.clock import at
from tests.factories import CustomerFactory
from tests.tickets.helpers import new_ticket
from tickets import services
from tickets.models import EventImmutableError, TicketEvent
from tickets.selectors import ticket_get_visible, ticket_list_visible


def _touch_list(tickets) -> list[str]:
    return [
        f"{t.reference} {t.customer and t.customer.name} {t.category} {t.department} "
        f"{t.first_responder.username} {t.assignee and t.assignee.username}"
        for t in tickets
    ]


@pytest.mark.parametrize("count", [3, 30])
def test_ticket_list_costs_one_query_whatever_its_length(count, clerk, engineer, django_assert_num_queries):
    customer = CustomerFactory()
    for i in range(count):
        ticket = new_ticket(clerk, customer=customer, subject=f"咨询 {i}")
        if i % 2:
            services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 11:00"))

    user = type(clerk).objects.get(pk=clerk.pk)  # as a request would load it
    with django_assert_num_queries(2):  # the staff profile for the access rule, then the page
        rows = _touch_list(ticket_list_visible(user=user)[:25])
    assert len(rows) == min(count, 25)


def test_ticket_detail_costs_a_fixed_number_of_queries(clerk, engineer, django_assert_num_queries):
    ticket = new_ticket(clerk)
    for i in range(10):
        services.ticket_escalate(ticket=ticket, actor=engineer, reason=f"催办 {i}", now=at("2026-03-02 11:00"))

    user = type(clerk).objects.get(pk=clerk.pk)  # as a request would load it
    with django_assert_num_queries(4):  # profile, ticket, events (with actors), deadlines
        detail = ticket_get_visible(user=user, reference=ticket.reference)
        timeline = [(e.type, e.actor and e.actor.username) for e in detail.events.all()]
        deadlines = [d.display_state for d in detail.deadlines.all()]
    assert len(timeline) == 11
    assert deadlines == ["running"]


def test_a_ticket_outside_the_users_reach_is_not_found(clerk, engineer):
    ticket = new_ticket(clerk)
    assert ticket_get_visible(user=engineer, reference=ticket.reference) is None


def test_events_cannot_be_changed_or_deleted(clerk):
    event = new_ticket(clerk).events.get()
    event.note = "改写历史"
    with pytest.raises(EventImmutableError):
        event.save()
    with pytest.raises(EventImmutableError):
        event.delete()
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(pk=event.pk).update(note="改写历史")
    with pytest.raises(TypeError):
        TicketEvent.objects.filter(pk=event.pk).delete()
    event.refresh_from_db()
    assert event.note == ""
