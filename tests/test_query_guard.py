"""The query-count guard of issue 9: every list, detail, dashboard and board endpoint costs the
same number of SQL queries with a few rows as with several times as many, and no more than its
budget. Timings are measured by `make bench`; this guards the shape, which is what keeps a page
fast at a million tickets (a query per row is invisible at 20 rows and fatal at 25,000).

The world grows through the real services: tickets handed off and resolved (with evaluations),
suggestions, complaints, walk-in visitors waiting today, customers with several tickets, and a
ticket whose record grows. Every GET is counted whole (session or key, middleware, the view's
queries, the template or serializer).

Every URL name of the project is either guarded here or listed in NOT_GUARDED with the reason:
a new endpoint fails `test_every_endpoint_is_guarded_or_excused` until it is placed."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver

from complaints import evaluations
from complaints.models import Complaint
from tests.complaints.helpers import accept
from tests.factories import CustomerFactory
from tests.tickets.helpers import new_ticket
from tickets import api_keys, services
from tickets.models import Customer, Ticket
from visits import services as visit_services
from visits.models import Purpose


@dataclass(frozen=True)
class Endpoint:
    path: str  # may name {ticket}, {customer}, {complaint}, {suggestion}
    who: str  # "supervisor", "clerk" or "api"
    budget: int
    grows: str  # what the world adds between the two counts, for the reader of a failure


# The budgets as measured when this guard was written (the whole request), keyed by URL name
# (and the dashboard page). A change that adds a query to a page must say why here.
GUARDED: dict[str, Endpoint] = {
    # Front desk
    "desk:home": Endpoint("/", "clerk", 12, "tickets, notifications"),
    "desk:ticket_list": Endpoint("/tickets/", "supervisor", 9, "tickets"),
    "desk:ticket_detail": Endpoint("/tickets/{ticket}/", "supervisor", 14, "events of the ticket"),
    "desk:customer_detail": Endpoint("/customers/{customer}/", "supervisor", 5, "tickets of the customer"),
    "desk:customer_lookup": Endpoint("/customers/lookup/?phone=1390000", "clerk", 4, "customers matching"),
    "desk:finance_bills": Endpoint("/finance/", "supervisor", 5, "tickets"),
    # Walk-in visitors
    "visits:reception": Endpoint("/visits/reception/", "clerk", 7, "visitors waiting"),
    "visits:reception_queue": Endpoint("/visits/reception/queue/", "clerk", 5, "visitors waiting"),
    "visits:console": Endpoint("/visits/console/", "clerk", 6, "visitors waiting"),
    "visits:console_queue": Endpoint("/visits/console/queue/", "clerk", 6, "visitors waiting"),
    "visits:board": Endpoint("/visits/board/", "clerk", 4, "visitors waiting"),
    "visits:board_data": Endpoint("/visits/board/data/", "clerk", 4, "visitors waiting"),
    "visits:message_list": Endpoint("/visits/messages/", "supervisor", 4, "visitors waiting"),
    "visits:payment_invoices_owed": Endpoint("/visits/invoices-owed/", "supervisor", 4, "visits"),
    "visits:typical_cases": Endpoint("/visits/incidents/typical/", "supervisor", 4, "visits"),
    # Complaints, suggestions, evaluations
    "complaints:file": Endpoint("/complaints/{complaint}/", "supervisor", 10, "complaints"),
    "complaints:complaint_stats": Endpoint("/complaints/stats/", "supervisor", 9, "complaints"),
    "complaints:suggestion_counts": Endpoint("/complaints/suggestions/", "supervisor", 5, "suggestions"),
    "complaints:suggestion_detail": Endpoint("/complaints/suggestions/{suggestion}/", "supervisor", 4, "suggestions"),
    "complaints:evaluation_summary": Endpoint("/complaints/evaluations/", "supervisor", 6, "evaluations"),
    # Dashboards
    "dashboards:page live": Endpoint("/dashboard/live/", "supervisor", 12, "everything"),
    "dashboards:page sla": Endpoint("/dashboard/sla/", "supervisor", 12, "deadlines settled"),
    "dashboards:page workload": Endpoint("/dashboard/workload/", "supervisor", 10, "tickets"),
    "dashboards:page complaints": Endpoint("/dashboard/complaints/", "supervisor", 13, "complaints, evaluations"),
    "dashboards:page reasons": Endpoint("/dashboard/reasons/", "supervisor", 7, "tickets"),
    # The REST API
    "ticket-list": Endpoint("/api/v1/tickets/", "api", 5, "tickets"),
    "ticket-detail": Endpoint("/api/v1/tickets/{ticket}/", "api", 5, "events of the ticket"),
    "ticket-events": Endpoint("/api/v1/tickets/{ticket}/events/", "api", 5, "events of the ticket"),
    "customer-list": Endpoint("/api/v1/customers/?phone=1390000", "api", 5, "customers matching"),
    "evaluation-list": Endpoint("/api/v1/evaluations/", "api", 4, "evaluations"),
    "visit-board": Endpoint("/api/v1/visits/board/", "api", 3, "visitors waiting"),
    "webhook-list": Endpoint("/api/v1/webhooks/", "api", 3, "(subscriptions: tests/api/test_query_budgets.py)"),
    "api-stats-sla": Endpoint("/api/v1/stats/sla/", "api", 13, "deadlines settled"),
    "api-stats-complaints": Endpoint("/api/v1/stats/complaints/", "api", 8, "complaints"),
}

_ACTION = "an action (POST), answered by a redirect or a fragment of one row"
_FORM = "the form of one ticket or visit: its rows are bounded by the form, not by the table"
_FILE = "a file download of one record"
NOT_GUARDED: dict[str, str] = {
    "dashboards:home": "a redirect to the live page (guarded as dashboards:page live)",
    "login": "sign-in page",
    "logout": "sign-out",
    "set_language": "language switch",
    "api-docs": "the API's documentation page",
    "api-schema": "the OpenAPI schema (no database rows)",
    "webhook-detail": "one subscription (tests/api/test_query_budgets.py counts its deliveries)",
    "webhook-deliveries": "counted in tests/api/test_query_budgets.py (deliveries)",
    "webhook-redeliver": _ACTION,
    "desk:notification_read": _ACTION,
    "desk:ticket_review": _ACTION,
    "desk:ticket_action": _ACTION,
    "desk:ticket_note": _ACTION,
    "desk:ticket_attach": _ACTION,
    "desk:attachment_download": _FILE,
    "desk:inquiry_new": "the new-inquiry form (choice lists of reference data)",
    "desk:inquiry_reminders": "a fragment of one service type's reminders",
    "desk:materials_start": _ACTION,
    "desk:materials_add_new": _ACTION,
    "desk:material_mark": _ACTION,
    "desk:materials_confirm_missing": _ACTION,
    "desk:confirmation_form": _FORM,
    "desk:confirmation_print": _FORM,
    "desk:aftersales_bill": _ACTION,
    "desk:aftersales_payment": _ACTION,
    "desk:aftersales_document": _ACTION,
    "desk:aftersales_notice": _ACTION,
    "desk:aftersales_return": _ACTION,
    "desk:aftersales_receipt": _FORM,
    "visits:presence": _ACTION,
    "visits:call_next": _ACTION,
    "visits:call": _ACTION,
    "visits:start": _ACTION,
    "visits:clear": _ACTION,
    "visits:escalate": _ACTION,
    "visits:ladder_ack": _ACTION,
    "visits:host_ack": _ACTION,
    "visits:transfer": _ACTION,
    "visits:finish": _ACTION,
    "visits:message_handled": _ACTION,
    "visits:message_take": _FORM,
    "visits:release_page": _FORM,
    "visits:release_confirm": _ACTION,
    "visits:release_issue": _ACTION,
    "visits:release_slip": _FORM,
    "visits:payment_page": _FORM,
    "visits:payment_invoice": _FORM,
    "visits:payment_receipt": _FORM,
    "visits:id_copies": _FORM,
    "visits:id_copy_image": _FILE,
    "visits:incident": _FORM,
    "visits:incident_report": _FORM,
    "visits:incident_typical": _ACTION,
    "visits:renovation": _FORM,
    "visits:renovation_worker_add": _ACTION,
    "visits:renovation_worker_photo": _ACTION,
    "visits:renovation_worker_photo_file": _FILE,
    "visits:renovation_worker_remove": _ACTION,
    "visits:renovation_issue": _ACTION,
    "visits:renovation_permit": _FORM,
    "visits:repair": _FORM,
    "visits:repair_reschedule": _ACTION,
    "visits:repair_arrived": _ACTION,
    "complaints:accept": "the complaint form (choice lists of reference data)",
    "complaints:route": _ACTION,
    "complaints:report": _ACTION,
    "complaints:approve": _ACTION,
    "complaints:return_visit": _ACTION,
    "complaints:complaint_stats_recompute": _ACTION,
    "complaints:evaluate": "the customer's public evaluation form of one ticket",
    "complaints:evaluation_thanks": "a static thank-you page",
    "complaints:evaluation_link_new": _ACTION,
    "complaints:evaluation_phone": _FORM,
    "complaint-list": "creates a complaint (POST only)",
    "suggestion-list": "creates a suggestion (POST only)",
    "visit-list": "checks a visitor in (POST only)",
    "ticket-close": _ACTION,
    "ticket-escalate": _ACTION,
    "ticket-hand-off": _ACTION,
    "ticket-pause": _ACTION,
    "ticket-reopen": _ACTION,
    "ticket-reply": _ACTION,
    "ticket-request-test": _ACTION,
    "ticket-resolve": _ACTION,
    "ticket-resume": _ACTION,
    "ticket-test-result": _ACTION,
    "complaint-report": _ACTION,
    "complaint-return-visit": _ACTION,
    "visit-call-next": _ACTION,
    "visit-acknowledge": _ACTION,
    "visit-escalate": _ACTION,
    "visit-finish": _ACTION,
    "visit-start": _ACTION,
    "visit-transfer": _ACTION,
}


def _url_names(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            names |= _url_names(pattern, inner)
        elif pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_endpoint_is_guarded_or_excused():
    names = {name for name in _url_names() if not name.startswith("admin:")}
    placed = {name.split()[0] for name in GUARDED} | set(NOT_GUARDED)
    unplaced = sorted(names - placed)
    stale = sorted(placed - names)
    assert not unplaced, f"New endpoints: give each a query budget in GUARDED or a reason in NOT_GUARDED: {unplaced}"
    assert not stale, f"Endpoints that no longer exist: {stale}"


class World:
    """Grows through the services; `grow(n)` adds n of each kind of row."""

    def __init__(self, clerk, engineer):
        self.clerk, self.engineer = clerk, engineer
        self.customer = CustomerFactory(name="陈先生", phone="13900001111")
        self.ticket = new_ticket(clerk, now=None, customer=self.customer, contact_phone="13900001111")
        self.suggestion = new_ticket(clerk, now=None, kind=Ticket.Kind.SUGGESTION, subject="建议增加周末窗口")
        self.complaint = accept(clerk, now=None)
        self.number = 0

    def grow(self, n: int) -> None:
        for _ in range(n):
            self.number += 1
            i = self.number
            customer = CustomerFactory(name=f"客户{i}", phone=f"1390000{i:04d}")
            ticket = new_ticket(self.clerk, now=None, customer=customer, subject=f"咨询 {i}")
            ticket = services.ticket_hand_off(ticket=ticket, actor=self.clerk, to_user=self.engineer)
            ticket = services.ticket_resolve(ticket=ticket, actor=self.engineer, resolution="已处理")
            evaluations.evaluation_record_by_phone(
                ticket=ticket, actor=self.clerk, technical_score=100, attitude_score=100
            )
            # The customer's own history, and the record of the guarded ticket.
            new_ticket(self.clerk, now=None, customer=self.customer, subject=f"再次来电 {i}")
            services.ticket_add_note(ticket=self.ticket, actor=self.engineer, text=f"记录 {i}")
            new_ticket(self.clerk, now=None, kind=Ticket.Kind.SUGGESTION, subject=f"建议 {i}")
            accept(self.clerk, now=None, subject=f"投诉 {i}", contact_phone=f"1380000{i:04d}")
            visit_services.visit_check_in(actor=self.clerk, visitor_name=f"访客{i}", purpose=Purpose.PAYMENT)

    def path(self, template: str) -> str:
        return template.format(
            ticket=self.ticket.reference,
            customer=self.customer.pk,
            complaint=self.complaint.ticket.reference,
            suggestion=self.suggestion.reference,
        )


def _count(client: Client, path: str) -> int | str:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        return f"{path}: {response.status_code} {response.content[:200]!r}"
    return len(queries)


@pytest.fixture
def clients(clerk, supervisor) -> dict[str, Client]:
    _client, key = api_keys.api_client_create(name="guard")
    api = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}")
    signed_in = {}
    for who, user in (("clerk", clerk), ("supervisor", supervisor)):
        signed_in[who] = Client(HTTP_ACCEPT_LANGUAGE="en")
        signed_in[who].force_login(user)
    return {**signed_in, "api": api}


def _all_counts(world: World, clients: dict[str, Client]) -> dict[str, int]:
    return {name: _count(clients[endpoint.who], world.path(endpoint.path)) for name, endpoint in GUARDED.items()}


def test_query_counts_do_not_grow_with_the_rows_and_stay_within_budget(clerk, engineer, clients):
    world = World(clerk, engineer)
    world.grow(2)
    few = _all_counts(world, clients)
    world.grow(6)
    assert Ticket.objects.count() >= 40 and Complaint.objects.count() >= 9 and Customer.objects.count() >= 9
    many = _all_counts(world, clients)

    failed = [count for count in (*few.values(), *many.values()) if isinstance(count, str)]
    assert not failed, f"Not a 200: {failed}"

    grew = {label: (few[label], many[label]) for label in few if few[label] != many[label]}
    over = {name: (many[name], GUARDED[name].budget) for name in many if many[name] > GUARDED[name].budget}
    assert not grew, f"Query counts that grow with the rows (few, many): {grew}"
    assert not over, f"Over budget (queries, budget): {over}"
