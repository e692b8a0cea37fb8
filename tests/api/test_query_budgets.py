"""Query budgets of the API's lists (issue 7): each costs the same number of queries for a few
rows as for many. (The tickets list and the visits board have theirs beside their other tests.)
The budget is the whole request: authentication, throttling, the page and its related rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import evaluations
from complaints.models import Evaluation
from tests.factories import CustomerFactory
from tests.tickets.helpers import new_ticket
from tickets import api_keys, services, webhooks
from tickets.models import Customer, Ticket, TicketEvent, WebhookDelivery, WebhookSubscription


@pytest.fixture
def client_and_key(db):
    return api_keys.api_client_create(name="crm")


@pytest.fixture
def api(client_and_key) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {client_and_key[1]}")


def cost(api: Client, path: str, grow, sizes=(2, 12)) -> list[int]:
    """The queries one GET of `path` costs after `grow(n)` brought the rows up to each size."""
    counts = []
    for size in sizes:
        grow(size)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(path)
        assert response.status_code == 200, response.content
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        assert len(rows) == size
        counts.append(len(queries))
    return counts


# The whole request, as measured when these budgets were set: the key look-up and its
# last_used_at stamp (2), the key's departments where the view narrows by them (1), then the
# view's own: the ticket's id + the events (2); the evaluations page (1); the
# customers + their open tickets (2); the subscriptions page (1); the subscription + its
# deliveries page (2).
BUDGETS = {"events": 5, "evaluations": 4, "customers": 5, "webhooks": 3, "deliveries": 4}


def test_a_tickets_events(api, clerk, engineer, client_and_key):
    ticket = new_ticket(clerk, now=None)
    actors = [clerk, engineer, client_and_key[0].user]

    def grow(size):
        while TicketEvent.objects.filter(ticket=ticket).count() < size:
            services.ticket_add_note(ticket=ticket, actor=actors[size % 3], text=f"记录 {size}")

    counts = cost(api, f"/api/v1/tickets/{ticket.reference}/events/", grow)

    assert counts[0] == counts[1] <= BUDGETS["events"], counts


def test_evaluations(api, clerk, engineer):
    def grow(size):
        while Evaluation.objects.count() < size:
            n = Evaluation.objects.count()
            ticket = services.ticket_hand_off(ticket=new_ticket(clerk, now=None), actor=clerk, to_user=engineer)
            ticket = services.ticket_resolve(ticket=ticket, actor=engineer, resolution="已更换网卡")
            # Every third one is extremely dissatisfied and opens a complaint (its reference is listed).
            score = -50 if n % 3 == 0 else 100
            evaluations.evaluation_record_by_phone(
                ticket=ticket, actor=clerk, technical_score=score, attitude_score=score
            )

    counts = cost(api, "/api/v1/evaluations/", grow)

    assert counts[0] == counts[1] <= BUDGETS["evaluations"], counts


def test_customers_by_phone(api, clerk):
    def grow(size):
        while Customer.objects.count() < size:
            customer = CustomerFactory(phone=f"1391234{Customer.objects.count():04d}")
            for _ in range(2):
                new_ticket(clerk, customer=customer, now=None)

    # 8 is the most the look-up returns.
    counts = cost(api, "/api/v1/customers/?phone=1391234", grow, sizes=(2, 8))

    assert counts[0] == counts[1] <= BUDGETS["customers"], counts


def test_webhook_subscriptions(api, client_and_key):
    def grow(size):
        while WebhookSubscription.objects.count() < size:
            webhooks.webhook_subscription_create(
                client=client_and_key[0], url="https://crm.example.cn/h", events=["ticket.created"]
            )

    counts = cost(api, "/api/v1/webhooks/", grow)

    assert counts[0] == counts[1] <= BUDGETS["webhooks"], counts


def test_webhook_deliveries(api, client_and_key, clerk):
    subscription = webhooks.webhook_subscription_create(
        client=client_and_key[0], url="https://crm.example.cn/h", events=["ticket.created", "ticket.status_changed"]
    )

    def grow(size):
        while WebhookDelivery.objects.count() < size:
            new_ticket(clerk, now=None)

    counts = cost(api, f"/api/v1/webhooks/{subscription.pk}/deliveries/", grow)

    assert counts[0] == counts[1] <= BUDGETS["deliveries"], counts


def test_a_ticket_detail_costs_the_same_whatever_its_history(api, clerk, engineer):
    """GET /api/v1/tickets/{reference}/: the same queries for a ticket just taken and for one
    handed back and forth with a long record (its deadlines come in one prefetch)."""
    fresh = new_ticket(clerk, now=None)
    busy = new_ticket(clerk, now=None, contact_phone="13800000002")
    for round_ in range(4):
        busy = services.ticket_hand_off(ticket=busy, actor=clerk, to_user=engineer, now=None)
        busy = services.ticket_reply(ticket=busy, actor=engineer, result=f"第 {round_} 次答复", now=None)
        services.ticket_add_note(ticket=busy, actor=engineer, text=f"记录 {round_}")

    counts = []
    for ticket in (fresh, busy):
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/v1/tickets/{ticket.reference}/")
        assert response.status_code == 200 and response.json()["reference"] == ticket.reference
        counts.append(len(queries))

    assert counts[0] == counts[1]


# GET /api/v1/tickets/ (issue 9): the key look-up, its last_used_at stamp and its departments,
# then the page and its live deadlines; signed in instead: the session, the user with their
# staff profile (one query: servicedesk.auth_backends), the page and its deadlines.
TICKET_LIST_QUERIES = {"key": 5, "session": 4}


def test_the_ticket_list_costs_the_same_for_3_and_40_tickets(api, clerk):
    session = Client(HTTP_ACCEPT_LANGUAGE="en")
    session.force_login(clerk)
    paths = [
        "/api/v1/tickets/",
        f"/api/v1/tickets/?overdue=true&department={clerk.staff.department.code}",
        "/api/v1/tickets/?ordering=-id&page_size=25",
    ]
    ten_days_ago = timezone.now() - timedelta(days=10)  # every first response long overdue

    def costs(size: int) -> list[int]:
        while Ticket.objects.count() < size:
            new_ticket(clerk, now=ten_days_ago)
        counts = []
        for who, client in (("key", api), ("session", session)):
            for path in paths:
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(path)
                assert response.status_code == 200, response.content
                assert len(response.json()["results"]) == min(size, 25 if "page_size" in path else 50)
                counts.append((who, len(queries)))
        return counts

    few, many = costs(3), costs(40)

    assert few == many == [(who, TICKET_LIST_QUERIES[who]) for who in ("key", "session") for _ in paths]
