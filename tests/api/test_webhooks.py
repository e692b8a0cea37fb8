"""Webhooks (issue 7): which events are sent to whom, the signature checked by a real receiver
on loopback, retries with backoff, giving up after 24 h, the admin's redeliver, and no cost
(nor network) when nobody subscribes."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import DepartmentFactory
from tests.tickets.helpers import new_ticket
from tickets import api_keys, services, webhooks
from tickets.exceptions import InvalidInput
from tickets.models import ApiClient, Ticket, TicketEvent, WebhookDelivery, WebhookSubscription

Name = WebhookSubscription.Event
Status = WebhookDelivery.Status
Type = TicketEvent.Type


def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's check, as docs/api.md gives it."""
    timestamp = headers.get("X-ServiceDesk-Timestamp", "")
    signature = headers.get("X-ServiceDesk-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


class Receiver:
    """An HTTP receiver on 127.0.0.1 in a thread: answers with the next of `codes` (the last one
    repeats) and records each request with whether its signature checked out."""

    def __init__(self) -> None:
        self.codes = [200]
        self.secret = ""
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": {name.lower(): value for name, value in self.headers.items()},
                        "body": body,
                        "verified": verify(receiver.secret, self.headers, body),
                    }
                )
                code = receiver.codes.pop(0) if len(receiver.codes) > 1 else receiver.codes[0]
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/servicedesk"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=2)


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def subscribe(name="crm", *, url="https://crm.example.cn/hooks", events=None, departments=(), scopes=None):
    client, _key = api_keys.api_client_create(name=name, departments=list(departments), scopes=scopes)
    return webhooks.webhook_subscription_create(client=client, url=url, events=events or list(Name.values))


def listen(receiver: Receiver, **options) -> WebhookSubscription:
    subscription = subscribe(url=receiver.url, **options)
    receiver.secret = subscription.secret
    return subscription


# --- Mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "type", "before", "after", "actor_label", "expected"),
    [
        ("inquiry", Type.CREATED, "", "open", "", [Name.TICKET_CREATED]),
        ("complaint", Type.CREATED, "", "open", "", [Name.TICKET_CREATED, Name.COMPLAINT_ACCEPTED]),
        ("inquiry", Type.HANDED_OFF, "open", "handed_off", "", [Name.TICKET_STATUS_CHANGED]),
        ("inquiry", Type.HANDED_OFF, "handed_off", "handed_off", "", []),
        ("inquiry", Type.CLOSED, "resolved", "closed", "", [Name.TICKET_STATUS_CHANGED]),
        ("complaint", Type.CLOSED, "resolved", "closed", "", [Name.TICKET_STATUS_CHANGED, Name.COMPLAINT_CLOSED]),
        ("complaint", Type.RESOLVED, "replied", "resolved", "", [Name.TICKET_STATUS_CHANGED]),
        ("inquiry", Type.SLA_WARNING, "open", "open", "sla", [Name.DEADLINE_WARNED]),
        ("visit", Type.SLA_BREACHED, "open", "open", "sla", [Name.DEADLINE_BREACHED]),
        ("inquiry", Type.ESCALATED, "open", "open", "sla", [Name.DEADLINE_BREACHED]),
        ("inquiry", Type.ESCALATED, "open", "open", "", []),
        ("inquiry", Type.TEST_TIMEOUT, "awaiting_test", "resolved", "sla", [Name.TICKET_STATUS_CHANGED]),
        ("visit", Type.VISIT_CALLED, "open", "open", "", [Name.VISIT_CALLED]),
        ("inquiry", Type.NOTE, "open", "open", "", []),
        ("inquiry", Type.DEADLINES_RECOMPUTED, "open", "open", "system", []),
    ],
)
def test_ticket_events_map_to_webhook_events(kind, type, before, after, actor_label, expected):
    event = TicketEvent(
        ticket=Ticket(kind=kind, status=after),
        type=type,
        status_before=before,
        status_after=after,
        actor_label=actor_label,
    )

    assert webhooks.webhook_events_for(event) == expected


# --- Who gets a delivery -----------------------------------------------------------------------


def test_only_subscribers_who_may_see_the_ticket_get_deliveries(clerk, engineer, front_desk_dept, tech_dept):
    everything = subscribe("all")
    front = subscribe("front", departments=[front_desk_dept])
    tech = subscribe("tech", departments=[tech_dept])
    both = subscribe("both", departments=[front_desk_dept, tech_dept])
    status_only = subscribe("status", events=[Name.TICKET_STATUS_CHANGED])
    switched_off = subscribe("off")
    WebhookSubscription.objects.filter(pk=switched_off.pk).update(is_active=False)
    revoked = subscribe("revoked")
    api_keys.api_client_revoke(client=revoked.client)

    ticket = new_ticket(clerk, now=None)  # the front desk's ticket

    deliveries = WebhookDelivery.objects.filter(payload__ticket__reference=ticket.reference)
    assert sorted((d.subscription.client.name, d.event) for d in deliveries) == [
        ("all", Name.TICKET_CREATED),
        ("both", Name.TICKET_CREATED),
        ("front", Name.TICKET_CREATED),
    ]
    assert not deliveries.filter(subscription__in=[tech, status_only]).exists()
    delivery = deliveries.get(subscription=everything)
    assert delivery.status == Status.PENDING and delivery.attempts == 0
    assert json.loads(delivery.body) == delivery.payload
    assert delivery.payload == {
        "id": delivery.pk,
        "event": "ticket.created",
        "occurred_at": ticket.created_at.isoformat(),
        "ticket": {
            "reference": ticket.reference,
            "kind": "inquiry",
            "status": "open",
            "subject": ticket.subject,
            "department": "front_desk",
            "assignee": "clerk",
        },
        "data": {"event_type": "created", "actor": "clerk", "channel": "phone", "priority": "normal"},
    }
    assert front.deliveries.count() == both.deliveries.count() == 1


def test_a_status_change_is_sent_to_the_status_subscriber(clerk):
    status_only = subscribe("status", events=[Name.TICKET_STATUS_CHANGED])
    ticket = new_ticket(clerk, now=None)

    services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, note="已答复客户")

    (delivery,) = status_only.deliveries.all()
    assert delivery.event == Name.TICKET_STATUS_CHANGED
    assert delivery.payload["ticket"]["status"] == "resolved"
    assert delivery.payload["data"]["status_before"] == "open"
    assert delivery.payload["data"]["status_after"] == "resolved"


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("url", {"url": "http://crm.example.cn/hooks"}),
        ("url", {"url": "ftp://127.0.0.1/hooks"}),
        ("url", {"url": "not a url"}),
        ("url", {"url": "https://user:pw@crm.example.cn/hooks"}),
        ("events", {"events": ["ticket.deleted"]}),
        ("events", {"events": []}),
        ("client", {"scopes": ["tickets:read"]}),
    ],
)
def test_bad_subscriptions_are_refused_and_nothing_is_written(field, kwargs, db):
    scopes = kwargs.pop("scopes", None)
    client, _key = api_keys.api_client_create(name="crm", scopes=scopes)
    options = {"url": "https://crm.example.cn/hooks", "events": [Name.TICKET_CREATED], **kwargs}

    with pytest.raises(InvalidInput) as refused:
        webhooks.webhook_subscription_create(client=client, **options)

    assert refused.value.field == field
    assert not WebhookSubscription.objects.exists()


def test_plain_http_to_loopback_only_when_allowed(db, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "WEBHOOK_ALLOW_HTTP_LOOPBACK": False}

    with pytest.raises(InvalidInput):
        webhooks.webhook_url_check("http://127.0.0.1:8080/hook")
    assert webhooks.webhook_url_check("https://127.0.0.1:8443/hook") == "https://127.0.0.1:8443/hook"


# --- Sending ---------------------------------------------------------------------------------


def test_a_delivery_is_signed_and_the_receiver_verifies_it(clerk, receiver, django_capture_on_commit_callbacks):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])

    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket(clerk, now=None)

    (request,) = receiver.requests
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert request["verified"] is True
    assert request["path"] == "/hooks/servicedesk"
    assert request["body"] == delivery.body.encode("utf-8")
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["x-servicedesk-event"] == "ticket.created"
    assert request["headers"]["x-servicedesk-delivery"] == str(delivery.pk)
    assert json.loads(request["body"])["ticket"]["reference"] == ticket.reference
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (Status.DELIVERED, 200, 1)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None


def test_a_forged_signature_does_not_verify(clerk, receiver, django_capture_on_commit_callbacks):
    listen(receiver, events=[Name.TICKET_CREATED])
    receiver.secret = "not-the-secret"

    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(clerk, now=None)

    assert [request["verified"] for request in receiver.requests] == [False]


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    clerk, receiver, django_capture_on_commit_callbacks
):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    receiver.codes = [500, 503, 200]

    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(clerk, now=None)

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (Status.FAILED, 500, 1)
    assert "500" in delivery.last_error
    first_retry = delivery.next_attempt_at
    assert timedelta(seconds=25) < first_retry - timezone.now() <= timedelta(seconds=30)

    # Not yet due: nothing is queued.
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhook_retry_due(now=first_retry - timedelta(seconds=1)) == 0
    assert len(receiver.requests) == 1

    # Due: queued and sent (503 again: the wait doubles).
    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhook_retry_due(now=first_retry + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (Status.FAILED, 503, 2)
    assert timedelta(seconds=55) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=60)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhook_retry_due(now=delivery.next_attempt_at + timedelta(seconds=1)) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (Status.DELIVERED, 200, 3)
    assert delivery.last_error == ""
    assert len(receiver.requests) == 3 and all(request["verified"] for request in receiver.requests)
    assert len({request["body"] for request in receiver.requests}) == 1


def test_an_unreachable_receiver_fails_with_the_network_error(clerk, receiver, django_capture_on_commit_callbacks):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    receiver.close()  # nobody listens on that port any more

    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(clerk, now=None)

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == Status.FAILED and delivery.last_status_code is None
    assert delivery.last_error and delivery.next_attempt_at is not None


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (20, 3600)],
)
def test_backoff_doubles_up_to_an_hour(attempts, wait):
    assert webhooks.webhook_backoff(attempts) == timedelta(seconds=wait)


def test_a_delivery_is_given_up_24_hours_after_the_event(clerk, receiver):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    receiver.codes = [500]
    ticket = new_ticket(clerk, now=None)  # the test transaction never commits: sent by hand below
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    created = delivery.created_at

    assert webhooks.webhook_send(delivery, now=created + timedelta(hours=23)) == Status.FAILED
    # The next wait would end after the 24 h: the attempt that fails now is the last.
    assert webhooks.webhook_send(delivery, now=created + timedelta(hours=23, minutes=59, seconds=40)) == (
        Status.GIVEN_UP
    )
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is None and delivery.attempts == 2
    # A given-up delivery is not sent again by a stray task.
    assert webhooks.webhook_send(delivery, now=created + timedelta(hours=25)) == Status.GIVEN_UP
    assert len(receiver.requests) == 2 and ticket.pk


def test_the_retry_sweep_gives_up_on_deliveries_older_than_24_hours(clerk, receiver):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    receiver.codes = [500]
    new_ticket(clerk, now=None)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    webhooks.webhook_send(delivery, now=delivery.created_at)

    assert webhooks.webhook_retry_due(now=delivery.created_at + timedelta(hours=24, seconds=1)) == 0

    delivery.refresh_from_db()
    assert delivery.status == Status.GIVEN_UP and len(receiver.requests) == 1


def test_a_send_queued_twice_is_sent_once(clerk, receiver):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    new_ticket(clerk, now=None)
    delivery = WebhookDelivery.objects.get(subscription=subscription)

    assert webhooks.webhook_send(delivery.pk, attempt=0) == Status.DELIVERED
    assert webhooks.webhook_send(delivery.pk, attempt=0) == Status.DELIVERED

    assert len(receiver.requests) == 1


def test_a_switched_off_subscription_is_not_sent(clerk, receiver):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    new_ticket(clerk, now=None)
    webhooks.webhook_subscription_update(
        subscription=subscription, url=subscription.url, events=subscription.events, is_active=False
    )
    delivery = WebhookDelivery.objects.get(subscription=subscription)

    assert webhooks.webhook_send(delivery, now=delivery.created_at) == Status.FAILED

    delivery.refresh_from_db()
    assert receiver.requests == [] and "switched off" in delivery.last_error


def test_a_lost_task_is_picked_up_when_its_lease_runs_out(clerk, receiver, django_capture_on_commit_callbacks):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    new_ticket(clerk, now=None)  # its on-commit task is never run: as if the broker lost it
    delivery = WebhookDelivery.objects.get(subscription=subscription)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhooks.webhook_retry_due(now=delivery.created_at + timedelta(seconds=30)) == 0
        assert webhooks.webhook_retry_due(now=delivery.created_at + webhooks.LEASE) == 1

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and len(receiver.requests) == 1


# --- Admin ------------------------------------------------------------------------------------


def test_redeliver_from_the_admin(clerk, receiver, admin_client, django_capture_on_commit_callbacks):
    subscription = listen(receiver, events=[Name.TICKET_CREATED])
    receiver.codes = [500, 200]
    new_ticket(clerk, now=None)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    webhooks.webhook_send(delivery)
    webhooks.webhook_retry_due(now=delivery.created_at + timedelta(hours=25))
    delivery.refresh_from_db()
    assert delivery.status == Status.GIVEN_UP

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/tickets/webhookdelivery/", {"action": "redeliver", "_selected_action": [delivery.pk]}
        )

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == (Status.DELIVERED, 200, 2)
    assert [request["verified"] for request in receiver.requests] == [True, True]
    assert admin_client.get(f"/admin/tickets/webhookdelivery/{delivery.pk}/change/").status_code == 200
    assert admin_client.get("/admin/tickets/webhookdelivery/").status_code == 200


def test_a_subscription_made_in_the_admin_gets_a_secret_shown_read_only(admin_client, db):
    client, _key = api_keys.api_client_create(name="crm")

    response = admin_client.post(
        "/admin/tickets/webhooksubscription/add/",
        {"client": client.pk, "url": "https://crm.example.cn/hooks", "events": ["ticket.created"], "is_active": "on"},
    )

    assert response.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert len(subscription.secret) == 64 and subscription.events == ["ticket.created"]
    page = admin_client.get(f"/admin/tickets/webhooksubscription/{subscription.pk}/change/")
    assert subscription.secret in page.content.decode()


def test_the_admin_refuses_a_plain_http_address(admin_client, db, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "WEBHOOK_ALLOW_HTTP_LOOPBACK": False}
    client, _key = api_keys.api_client_create(name="crm")

    response = admin_client.post(
        "/admin/tickets/webhooksubscription/add/",
        {"client": client.pk, "url": "http://crm.example.cn/hooks", "events": ["ticket.created"]},
    )

    assert response.status_code == 200 and "https://" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


# --- Nobody subscribed: no deliveries, no network, one query at most -----------------------------


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def refuse(url, **kwargs):
        calls.append(url)
        raise AssertionError(f"unexpected webhook POST to {url}")

    monkeypatch.setattr(webhooks, "_post", refuse)
    return calls


def test_nobody_subscribed_means_no_deliveries_and_no_network(clerk, no_network, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket(clerk, now=None)
        services.ticket_escalate(ticket=ticket, actor=clerk, reason="客户催办")
        services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, note="已答复客户")
        services.ticket_close(ticket=ticket, actor=clerk)
        webhooks.webhook_retry_due()

    assert not WebhookDelivery.objects.exists()
    assert no_network == []


def test_record_costs_at_most_one_query_more_without_subscribers(clerk, front_desk_dept):
    # A subscriber of another department's tickets only, and a switched-off one: still nobody here.
    other = DepartmentFactory(name="财务部", code="finance")
    subscribe("other", departments=[other], events=[Name.DEADLINE_WARNED])
    ticket = new_ticket(clerk, now=None)
    WebhookSubscription.objects.update(is_active=False)

    with CaptureQueriesContext(connection) as note:
        services._record(ticket, type=Type.NOTE, actor=clerk, now=timezone.now(), status_before="open")
    with CaptureQueriesContext(connection) as warning:
        services._record(
            ticket, type=Type.SLA_WARNING, actor=None, actor_label="sla", now=timezone.now(), status_before="open"
        )

    assert len(note) == 1  # the event row: an event that means no webhook costs nothing more
    assert len(warning) <= 2  # the event row and the one look-up of active subscriptions
    assert not WebhookDelivery.objects.exists()
    assert ApiClient.objects.count() == 1
