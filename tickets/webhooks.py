"""Webhooks (issue 7): integrations are told of ticket events by a signed HTTP POST.

Emission: `_record` in tickets.services (the one writer of TicketEvent) asks
`webhook_events_for(event)` which webhook events a ticket event means (pure: no query) and, when
it means any, `webhook_deliveries_create` writes one WebhookDelivery per active subscription
that asked for the event and whose client may see the ticket (the API's access rule), in the
same transaction, and queues the sending task on commit. With nobody subscribed an event costs
one indexed query (the active subscriptions), and an event that means no webhook costs none. A
per-process cache was not used: subscriptions are made in the web process and events happen in
the workers too, so invalidation on save would not reach the other processes.

Sending: `webhook_send` runs only in Celery, after commit, so a slow or dead receiver never
slows a request. It claims an attempt in a short transaction (the attempt number guards
against a task queued twice), posts without holding any lock, then records the outcome:
2xx → delivered; anything else → failed, retried with exponential backoff (30 s, 1 min,
2 min … at most 1 h) until 24 h after the event, then given up. `webhook_retry_due` (beat,
every 30 s) queues the due retries, and picks up a send whose worker died (its lease ran out).

Signature: header `X-ServiceDesk-Signature: sha256=<hex>`, the HMAC-SHA256 with the
subscription's secret of "<X-ServiceDesk-Timestamp>.<body>" (docs/api.md, "Webhooks").

URLs: https only; plain http to 127.0.0.1, ::1 or localhost only where
SERVICEDESK["WEBHOOK_ALLOW_HTTP_LOOPBACK"] is on (DEBUG and the tests). Checked when a
subscription is saved and again before each send.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BigIntegerField, Exists, OuterRef, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import selectors
from tickets.exceptions import InvalidInput
from tickets.models import ApiClient, Ticket, TicketEvent, WebhookDelivery, WebhookSubscription

logger = logging.getLogger("tickets.webhooks")

Name = WebhookSubscription.Event
Status = WebhookDelivery.Status
Type = TicketEvent.Type

SCOPE = "webhooks:read"
TIMEOUT_SECONDS = 5
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)
# A claimed send or a queued task is not picked up again by the retry sweep before this.
LEASE = timedelta(minutes=2)
RETRY_BATCH = 200
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
USER_AGENT = "ServiceDesk-Webhooks/1"


def _aware(now: datetime | None) -> datetime:
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be an aware datetime, not a naive one")
    return now


# --- Which webhook events a ticket event means -------------------------------------------------


def webhook_events_for(event: TicketEvent) -> list[str]:
    """The webhook event names a ticket event means (no query: the ticket is the one just saved)."""
    ticket = event.ticket
    names: list[str] = []
    if event.type == Type.CREATED:
        names.append(Name.TICKET_CREATED)
        if ticket.kind == Ticket.Kind.COMPLAINT:
            names.append(Name.COMPLAINT_ACCEPTED)
    elif event.status_before and event.status_before != event.status_after:
        # Creation (status "" → open) is ticket.created, not a change of status.
        names.append(Name.TICKET_STATUS_CHANGED)
        if ticket.kind == Ticket.Kind.COMPLAINT and event.status_after == Ticket.Status.CLOSED:
            names.append(Name.COMPLAINT_CLOSED)
    if event.type == Type.SLA_WARNING:
        names.append(Name.DEADLINE_WARNED)
    elif event.type == Type.SLA_BREACHED or (event.type == Type.ESCALATED and event.actor_label == "sla"):
        names.append(Name.DEADLINE_BREACHED)
    elif event.type == Type.VISIT_CALLED:
        names.append(Name.VISIT_CALLED)
    return names


def _event_data(name: str, event: TicketEvent) -> dict[str, Any]:
    """The small, event-specific part of a payload."""
    ticket = event.ticket
    data: dict[str, Any] = {
        "event_type": event.type,
        "actor": event.actor.get_username() if event.actor_id else event.actor_label,
    }
    stored = event.data or {}
    if name == Name.TICKET_CREATED:
        data.update(channel=ticket.channel, priority=ticket.priority)
    elif name in (Name.TICKET_STATUS_CHANGED, Name.COMPLAINT_CLOSED):
        data.update(status_before=event.status_before, status_after=event.status_after)
    elif name in (Name.DEADLINE_WARNED, Name.DEADLINE_BREACHED):
        data.update(deadline=stored.get("deadline", ""), due_at=stored.get("due_at"))
        if event.type == Type.ESCALATED:
            data.update(escalation_level=stored.get("level"), priority=ticket.priority)
    elif name == Name.VISIT_CALLED:
        data.update(queue_number=stored.get("queue_number"), counter=stored.get("counter", ""))
    elif name == Name.COMPLAINT_ACCEPTED:
        data.update(problem_type=ticket.problem_type)
    return data


def webhook_body(payload: dict[str, Any]) -> str:
    """The JSON text sent (compact, UTF-8 characters kept as they are)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def webhook_signature(*, secret: str, timestamp: int, body: str) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of "<timestamp>.<body>" (UTF-8) with the subscription's secret."""
    message = f"{timestamp}.".encode() + body.encode("utf-8")
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- Subscriptions --------------------------------------------------------------------------------


def webhook_url_check(url: str) -> str:
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 (an out-of-range port raises here)
    except ValueError:
        parts, host = None, ""
    if parts is None or not host or parts.username or parts.password or len(url) > 500:
        raise InvalidInput(_("Give a full URL, such as https://crm.example.cn/hooks/servicedesk."), field="url")
    if parts.scheme == "https":
        return url
    if (
        parts.scheme == "http"
        and host in LOOPBACK_HOSTS
        and settings.SERVICEDESK.get("WEBHOOK_ALLOW_HTTP_LOOPBACK", False)
    ):
        return url
    raise InvalidInput(_("Webhooks are sent only to https:// addresses."), field="url")


def webhook_events_check(events: Iterable[str] | None) -> list[str]:
    chosen = list(events or [])
    if not chosen or not all(isinstance(name, str) for name in chosen):
        raise InvalidInput(_("Choose at least one event."), field="events")
    unknown = sorted(set(chosen) - set(Name.values))
    if unknown:
        raise InvalidInput(
            _("Unknown event %(events)s; choose among %(known)s.")
            % {"events": ", ".join(unknown), "known": ", ".join(Name.values)},
            field="events",
        )
    return [name for name in Name.values if name in chosen]


def webhook_client_check(client: ApiClient | None, *, now: datetime) -> ApiClient:
    if client is None:
        raise InvalidInput(_("Choose the API client to notify."), field="client")
    if client.revoked_at is not None or (client.expires_at is not None and client.expires_at <= now):
        raise InvalidInput(_("The key of %(name)s is revoked or expired.") % {"name": client.name}, field="client")
    if SCOPE not in client.scopes:
        raise InvalidInput(
            _("%(name)s lacks the scope %(scope)s.") % {"name": client.name, "scope": SCOPE}, field="client"
        )
    return client


@transaction.atomic
def webhook_subscription_create(
    *, client: ApiClient, url: str, events: Iterable[str], is_active: bool = True, now: datetime | None = None
) -> WebhookSubscription:
    """Subscribe a client; its signing secret is made here and shown in the admin."""
    now = _aware(now)
    subscription = WebhookSubscription(
        client=webhook_client_check(client, now=now),
        url=webhook_url_check(url),
        events=webhook_events_check(events),
        secret=secrets.token_hex(32),
        is_active=is_active,
        created_at=now,
    )
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, url: str, events: Iterable[str], is_active: bool
) -> WebhookSubscription:
    subscription.url = webhook_url_check(url)
    subscription.events = webhook_events_check(events)
    subscription.is_active = is_active
    subscription.save(update_fields=["url", "events", "is_active"])
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Unsubscribe for good: the subscription goes, and its delivery log with it, so nothing still
    waiting is sent (a send under way when it goes finds nothing to record). To pause and keep
    the log, switch it off instead (`is_active`)."""
    WebhookSubscription.objects.filter(pk=subscription.pk).delete()


# --- Reads (the API's) -----------------------------------------------------------------------------


def webhook_subscription_list(*, client: ApiClient) -> QuerySet[WebhookSubscription]:
    """A client's own subscriptions (the API shows no other client's)."""
    return WebhookSubscription.objects.filter(client=client)


def webhook_delivery_list(*, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """A subscription's delivery log, without the bodies (the admin shows those)."""
    return WebhookDelivery.objects.filter(subscription=subscription).defer("payload", "body")


# --- Emission (called by tickets.services._record, inside its transaction) -------------------------


_live_subscriptions: ContextVar[dict | None] = ContextVar("webhook_live_subscriptions", default=None)


@contextmanager
def subscriptions_cached():
    """Within the block, the live subscriptions are read once per `now` instead of once per
    event: for a service writing many events in one transaction (the SLA sweep's batch)."""
    token = _live_subscriptions.set({})
    try:
        yield
    finally:
        _live_subscriptions.reset(token)


def _live_subscriptions_at(now: datetime) -> list[WebhookSubscription]:
    cache = _live_subscriptions.get()
    if cache is not None and now in cache:
        return cache[now]
    # The client's revocation and expiry are checked here on the rows read with it (a few):
    # the same rule, without compiling those conditions on every ticket event.
    rows = [
        row
        for row in WebhookSubscription.objects.filter(is_active=True)
        .select_related("client__user__staff")
        .order_by("pk")
        if row.client.revoked_at is None and (row.client.expires_at is None or row.client.expires_at > now)
    ]
    if cache is not None:
        cache[now] = rows
    return rows


def _subscriptions_for(names: list[str], now: datetime) -> list[WebhookSubscription]:
    """Active subscriptions of live clients asking for any of `names` (one query, none inside
    subscriptions_cached() once read)."""
    rows = _live_subscriptions_at(now)
    wanted = set(names)
    return [
        row
        for row in rows
        if wanted.intersection(row.events) and SCOPE in row.client.scopes and row.client.user.is_active
    ]


def _visible_to(subscriptions: list[WebhookSubscription], ticket: Ticket) -> dict[int, tuple[str, str]]:
    """{subscription id: (department code, assignee username)} for the subscriptions whose client
    may see the ticket: the API's rule (the identity's access, narrowed to the client's
    departments when it has any), all subscriptions in one query."""
    limits = ApiClient.departments.through.objects
    parts = []
    for subscription in subscriptions:
        client = subscription.client
        mine = limits.filter(apiclient_id=client.pk)
        part = (
            selectors.ticket_list_visible(user=client.user)
            .filter(pk=ticket.pk)
            .filter(~Exists(mine) | Exists(mine.filter(department_id=OuterRef("department_id"))))
        )
        if part.query.is_empty():
            continue
        parts.append(
            part.annotate(subscription_id=Value(subscription.pk, output_field=BigIntegerField()))
            .order_by()
            .values_list("subscription_id", "department__code", "assignee__username")
        )
    if not parts:
        return {}
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {pk: (department or "", assignee or "") for pk, department, assignee in query}


def webhook_deliveries_create(*, event: TicketEvent, names: list[str]) -> list[WebhookDelivery]:
    """Write the deliveries a ticket event owes and queue them for after commit."""
    now = event.created_at
    subscriptions = _subscriptions_for(names, now)
    if not subscriptions:
        return []
    ticket = event.ticket
    visible = _visible_to(subscriptions, ticket)
    deliveries = []
    for subscription in subscriptions:
        if subscription.pk not in visible:
            continue
        department, assignee = visible[subscription.pk]
        for name in names:
            if name not in subscription.events:
                continue
            payload = {
                "id": None,
                "event": str(name),
                "occurred_at": event.created_at.isoformat(),
                "ticket": {
                    "reference": ticket.reference,
                    "kind": ticket.kind,
                    "status": ticket.status,
                    "subject": ticket.subject,
                    "department": department or None,
                    "assignee": assignee or None,
                },
                "data": _event_data(name, event),
            }
            deliveries.append(
                WebhookDelivery(
                    subscription=subscription,
                    event=name,
                    payload=payload,
                    status=Status.PENDING,
                    # Picked up by the retry sweep if the queued task never runs.
                    next_attempt_at=now + LEASE,
                    created_at=now,
                )
            )
    if not deliveries:
        return []
    if connection.features.can_return_rows_from_bulk_insert:
        WebhookDelivery.objects.bulk_create(deliveries)
    else:  # pragma: no cover (every backend we run returns the ids)
        for delivery in deliveries:
            delivery.save()
    for delivery in deliveries:
        delivery.payload["id"] = delivery.pk
        delivery.body = webhook_body(delivery.payload)
    WebhookDelivery.objects.bulk_update(deliveries, ["payload", "body"])
    _queue([(delivery.pk, 0) for delivery in deliveries])
    return deliveries


def _queue(jobs: list[tuple[int, int]]) -> None:
    """Queue the sending task for each (delivery id, attempt) once the transaction commits. A
    broker that cannot take it does not fail the committed request: the retry sweep picks the
    delivery up when its lease runs out."""
    if not jobs:
        return

    def send() -> None:
        from tickets.tasks import webhook_deliver

        for delivery_id, attempt in jobs:
            webhook_deliver.delay(delivery_id, attempt)

    transaction.on_commit(send, robust=True)


# --- Sending (Celery only) ------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer of its own (a failure), never followed with the signed body."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, *, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST and return (response code or None, error text or "")."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        error.close()
        return error.code, f"HTTP {error.code} {error.reason}"
    except urllib.error.URLError as error:
        return None, str(error.reason)
    except (OSError, http.client.HTTPException, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"


def webhook_backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 30 s, 1 min, 2 min … at most 1 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _claim(delivery_id: int, *, attempt: int | None, now: datetime) -> WebhookDelivery | None:
    """Take the next attempt of a delivery, or None when it is done or someone else took it."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription__client")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (Status.DELIVERED, Status.GIVEN_UP):
            return None
        if attempt is not None and delivery.attempts != attempt:
            return None
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    return delivery


def _refusal(subscription: WebhookSubscription, now: datetime) -> str:
    """Why a delivery may not be sent now ("" when it may)."""
    client = subscription.client
    if not subscription.is_active:
        return _("The subscription is switched off.")
    if client.revoked_at is not None or (client.expires_at is not None and client.expires_at <= now):
        return _("The client's key is revoked or expired.")
    try:
        webhook_url_check(subscription.url)
    except InvalidInput as error:
        return error.message
    return ""


def webhook_send(delivery: WebhookDelivery | int, *, attempt: int | None = None, now: datetime | None = None) -> str:
    """Send one delivery (its next attempt) and record the outcome; returns the status reached.

    `attempt` is the number of attempts the caller saw when it queued the send: if another
    worker has taken that attempt since, nothing is sent (a task delivered twice sends once)."""
    now = _aware(now)
    pk = delivery.pk if isinstance(delivery, WebhookDelivery) else delivery
    claimed = _claim(pk, attempt=attempt, now=now)
    if claimed is None:
        return WebhookDelivery.objects.filter(pk=pk).values_list("status", flat=True).first() or ""
    subscription = claimed.subscription
    refusal = _refusal(subscription, now)
    if refusal:
        code, error = None, refusal
    else:
        timestamp = int(now.timestamp())
        code, error = _post(
            subscription.url,
            body=claimed.body.encode("utf-8"),
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                "X-ServiceDesk-Event": claimed.event,
                "X-ServiceDesk-Delivery": str(claimed.pk),
                "X-ServiceDesk-Timestamp": str(timestamp),
                "X-ServiceDesk-Signature": webhook_signature(
                    secret=subscription.secret, timestamp=timestamp, body=claimed.body
                ),
            },
        )
    return _record_outcome(pk, code=code, error=error, now=now)


def _record_outcome(pk: int, *, code: int | None, error: str, now: datetime) -> str:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().filter(pk=pk).first()
        if delivery is None:  # its subscription was deleted while it was being sent
            return ""
        delivery.last_status_code = code
        if code is not None and 200 <= code < 300:
            delivery.status = Status.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.last_error = ""
        else:
            delivery.last_error = (error or _("The receiver answered %(code)s.") % {"code": code})[:1000]
            retry_at = now + webhook_backoff(delivery.attempts)
            if retry_at >= delivery.created_at + GIVE_UP_AFTER:
                delivery.status = Status.GIVEN_UP
                delivery.next_attempt_at = None
            else:
                delivery.status = Status.FAILED
                delivery.next_attempt_at = retry_at
        delivery.save(update_fields=["status", "delivered_at", "next_attempt_at", "last_status_code", "last_error"])
    if delivery.status != Status.DELIVERED:
        logger.warning("webhook delivery %s: %s (%s)", pk, delivery.get_status_display(), delivery.last_error)
    return delivery.status


def webhook_retry_due(*, now: datetime | None = None, batch: int = RETRY_BATCH) -> int:
    """Queue the sends that are due (failed ones whose wait is over, and any whose lease ran out);
    give up on those older than 24 h. Rows another sweep holds are skipped, and each queued send
    carries its attempt number, so no delivery is sent twice at once. Returns how many were queued."""
    now = _aware(now)
    jobs: list[tuple[int, int]] = []
    with transaction.atomic():
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status__in=[Status.PENDING, Status.FAILED], next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")[:batch]
        )
        for delivery in due:
            if delivery.created_at + GIVE_UP_AFTER <= now:
                delivery.status = Status.GIVEN_UP
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + LEASE
                jobs.append((delivery.pk, delivery.attempts))
        WebhookDelivery.objects.bulk_update(due, ["status", "next_attempt_at"])
        _queue(jobs)
    return len(jobs)


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again (the admin's action), whatever became of it: the same body and
    delivery id, so a receiver that already has it can tell. If this attempt fails, it is
    retried within the 24 h after the event, and given up after them."""
    now = _aware(now)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = Status.PENDING
    delivery.next_attempt_at = now + LEASE
    delivery.save(update_fields=["status", "next_attempt_at"])
    _queue([(delivery.pk, delivery.attempts)])
    return delivery
