"""Webhook subscriptions through the API (issue 7): an integration subscribes, reads, changes and
deletes its own subscriptions, reads their delivery log and asks for a redelivery. The secret is
shown once. (Who may call these at all: tests/api/test_permission_matrix.py.)"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.api.test_webhooks import Receiver
from tests.tickets.helpers import new_ticket
from tickets import api_keys, webhooks
from tickets.models import WebhookDelivery, WebhookSubscription

Status = WebhookDelivery.Status


def api(key: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}")


def post(client, path, data=None, **headers):
    return client.post(path, data or {}, content_type="application/json", **headers)


def patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


@pytest.fixture
def crm(db):
    _client, key = api_keys.api_client_create(name="crm", scopes=["webhooks:read", "webhooks:write"])
    return api(key)


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def test_subscribing_returns_the_secret_once(crm):
    response = post(
        crm,
        "/api/v1/webhooks/",
        {"url": "https://crm.example.cn/hooks", "events": ["ticket.status_changed", "ticket.created"]},
    )

    body = response.json()
    assert response.status_code == 201, body
    subscription = WebhookSubscription.objects.get()
    assert body == {
        "id": subscription.pk,
        "url": "https://crm.example.cn/hooks",
        "events": ["ticket.created", "ticket.status_changed"],
        "is_active": True,
        "created_at": body["created_at"],
        "secret": subscription.secret,
    }
    assert len(body["secret"]) == 64 and subscription.client.name == "crm"
    listed = crm.get("/api/v1/webhooks/").json()["results"]
    detail = crm.get(f"/api/v1/webhooks/{subscription.pk}/").json()
    assert [row["id"] for row in listed] == [subscription.pk]
    assert "secret" not in listed[0] and "secret" not in detail
    assert subscription.secret not in json.dumps([listed, detail])


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "http://crm.example.cn/hooks", "events": ["ticket.created"]}, "url"),
        ({"url": "https://user:pw@crm.example.cn/hooks", "events": ["ticket.created"]}, "url"),
        ({"url": "crm.example.cn", "events": ["ticket.created"]}, "url"),
        ({"url": "https://crm.example.cn/hooks", "events": ["ticket.deleted"]}, "events"),
        ({"url": "https://crm.example.cn/hooks", "events": []}, "events"),
        ({"url": "https://crm.example.cn/hooks", "events": "ticket.created"}, "events"),
        ({"events": ["ticket.created"]}, "url"),
        ({"url": "https://crm.example.cn/hooks", "is_active": "perhaps", "events": ["ticket.created"]}, "is_active"),
    ],
)
def test_a_bad_subscription_is_400_with_the_field_and_writes_nothing(data, field, crm):
    response = post(crm, "/api/v1/webhooks/", data)

    body = response.json()
    assert response.status_code == 400, body
    assert body["code"] == "invalid" and field in body["fields"]
    assert not WebhookSubscription.objects.exists()


def test_a_client_that_may_not_read_webhooks_may_not_subscribe(db):
    _client, key = api_keys.api_client_create(name="writer", scopes=["webhooks:write"])

    response = post(
        api(key), "/api/v1/webhooks/", {"url": "https://crm.example.cn/hooks", "events": ["ticket.created"]}
    )

    assert response.status_code == 400 and "webhooks:read" in response.json()["fields"]["client"][0]
    assert not WebhookSubscription.objects.exists()


def test_patch_changes_only_what_it_names(crm):
    subscription_id = post(
        crm, "/api/v1/webhooks/", {"url": "https://crm.example.cn/hooks", "events": ["ticket.created"]}
    ).json()["id"]

    switched_off = patch(crm, f"/api/v1/webhooks/{subscription_id}/", {"is_active": False})
    moved = patch(
        crm, f"/api/v1/webhooks/{subscription_id}/", {"url": "https://crm2.example.cn/h", "events": ["visit.called"]}
    )
    refused = patch(crm, f"/api/v1/webhooks/{subscription_id}/", {"url": "ftp://crm.example.cn/"})

    assert switched_off.status_code == 200 and switched_off.json()["is_active"] is False
    assert switched_off.json()["events"] == ["ticket.created"]
    assert moved.json()["url"] == "https://crm2.example.cn/h" and moved.json()["events"] == ["visit.called"]
    assert refused.status_code == 400 and "url" in refused.json()["fields"]
    subscription = WebhookSubscription.objects.get()
    assert (subscription.url, subscription.events, subscription.is_active) == (
        "https://crm2.example.cn/h",
        ["visit.called"],
        False,
    )
    assert "secret" not in moved.json()


def test_put_is_not_offered(crm):
    subscription_id = post(
        crm, "/api/v1/webhooks/", {"url": "https://crm.example.cn/hooks", "events": ["ticket.created"]}
    ).json()["id"]

    response = crm.put(
        f"/api/v1/webhooks/{subscription_id}/", {"url": "https://x.example.cn/"}, content_type="application/json"
    )

    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_delete_unsubscribes_and_drops_the_log(crm, clerk):
    subscription_id = post(
        crm, "/api/v1/webhooks/", {"url": "https://crm.example.cn/hooks", "events": ["ticket.created"]}
    ).json()["id"]
    new_ticket(clerk, now=None)
    assert WebhookDelivery.objects.count() == 1

    deleted = crm.delete(f"/api/v1/webhooks/{subscription_id}/")
    again = crm.delete(f"/api/v1/webhooks/{subscription_id}/")
    new_ticket(clerk, now=None)

    assert deleted.status_code == 204 and again.status_code == 404
    assert not WebhookSubscription.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_send_under_way_when_the_subscription_goes_records_nothing(crm, clerk, monkeypatch):
    subscription = webhooks.webhook_subscription_create(
        client=api_keys.api_client_create(name="other")[0], url="https://crm.example.cn/h", events=["ticket.created"]
    )
    new_ticket(clerk, now=None)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    sent = []

    def post_while_unsubscribed(url, *, body, headers):
        # The client unsubscribes while its receiver is still answering.
        webhooks.webhook_subscription_delete(subscription=subscription)
        sent.append(url)
        return 200, ""

    monkeypatch.setattr(webhooks, "_post", post_while_unsubscribed)

    assert webhooks.webhook_send(delivery.pk, attempt=0) == ""
    assert sent == ["https://crm.example.cn/h"] and not WebhookDelivery.objects.exists()


def test_the_delivery_log_pages_and_filters(crm, clerk, receiver, django_capture_on_commit_callbacks):
    subscription_id = post(crm, "/api/v1/webhooks/", {"url": receiver.url, "events": ["ticket.created"]}).json()["id"]
    receiver.codes = [500, 200, 200]
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            new_ticket(clerk, now=None)

    first = crm.get(f"/api/v1/webhooks/{subscription_id}/deliveries/", {"page_size": 2}).json()
    second = crm.get(first["next"]).json()
    failed = crm.get(f"/api/v1/webhooks/{subscription_id}/deliveries/", {"status": "failed"}).json()["results"]
    bad = crm.get(f"/api/v1/webhooks/{subscription_id}/deliveries/", {"status": "lost"})

    rows = first["results"] + second["results"]
    ids = list(WebhookDelivery.objects.order_by("-id").values_list("id", flat=True))
    assert [row["id"] for row in rows] == ids and second["next"] is None
    assert [row["status"] for row in rows] == ["delivered", "delivered", "failed"]
    oldest = rows[-1]
    assert oldest["event"] == "ticket.created" and oldest["response_code"] == 500 and oldest["attempts"] == 1
    assert "500" in oldest["last_error"] and oldest["next_attempt_at"] and oldest["delivered_at"] is None
    assert rows[0]["response_code"] == 200 and rows[0]["delivered_at"]
    assert set(oldest) == {
        "id",
        "event",
        "status",
        "attempts",
        "response_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    }
    assert [row["id"] for row in failed] == [oldest["id"]]
    assert bad.status_code == 400 and "status" in bad.json()["fields"]


def test_redeliver_sends_the_same_body_again(crm, clerk, receiver, django_capture_on_commit_callbacks):
    created = post(crm, "/api/v1/webhooks/", {"url": receiver.url, "events": ["ticket.created"]}).json()
    receiver.secret = created["secret"]
    with django_capture_on_commit_callbacks(execute=True):
        new_ticket(clerk, now=None)
    delivery = WebhookDelivery.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = post(crm, f"/api/v1/webhooks/{created['id']}/deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 202 and response.json()["id"] == delivery.pk
    assert response.json()["status"] == "pending"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.DELIVERED, 2)
    assert [request["verified"] for request in receiver.requests] == [True, True]
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]


def test_redeliver_names_a_delivery_of_that_subscription(crm, clerk):
    mine = post(crm, "/api/v1/webhooks/", {"url": "https://crm.example.cn/a", "events": ["ticket.created"]}).json()
    also_mine = post(crm, "/api/v1/webhooks/", {"url": "https://crm.example.cn/b", "events": ["visit.called"]}).json()
    new_ticket(clerk, now=None)
    delivery = WebhookDelivery.objects.get()

    wrong = post(crm, f"/api/v1/webhooks/{also_mine['id']}/deliveries/{delivery.pk}/redeliver/")
    missing = post(crm, f"/api/v1/webhooks/{mine['id']}/deliveries/999999/redeliver/")

    assert wrong.status_code == missing.status_code == 404
    assert wrong.json()["code"] == "not_found"
    delivery.refresh_from_db()
    assert delivery.attempts == 0 and delivery.status == Status.PENDING


def test_a_retried_subscribe_with_an_idempotency_key_makes_one(crm):
    data = {"url": "https://crm.example.cn/hooks", "events": ["ticket.created"]}

    first = post(crm, "/api/v1/webhooks/", data, HTTP_IDEMPOTENCY_KEY="sub-1")
    again = post(crm, "/api/v1/webhooks/", data, HTTP_IDEMPOTENCY_KEY="sub-1")

    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and WebhookSubscription.objects.count() == 1


def test_the_schema_shows_the_secret_only_on_creation(db, tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(tmp_path / "s")
    )
    schema = json.loads((tmp_path / "s").read_text())
    components = schema["components"]["schemas"]

    assert "secret" in components["WebhookSubscriptionCreated"]["properties"]
    assert "secret" not in components["WebhookSubscription"]["properties"]
    paths = schema["paths"]
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/webhooks/{id}/"]) and "put" not in paths[
        "/api/v1/webhooks/{id}/"
    ]
    assert "post" in paths["/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver/"]
