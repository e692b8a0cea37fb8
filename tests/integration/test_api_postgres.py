"""The API's Idempotency-Key under real concurrency on PostgreSQL (issue 7).

The contract (servicedesk/api/idempotency.py, docs/api.md): the first POST under a key does the
work; while it runs, the same key from the same client is answered 409 (in progress); once it
has answered, the same key and body get that first answer again (replayed). So N concurrent
POSTs with one key create exactly one ticket, and every answer is that ticket (201) or a 409."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.utils import timezone

from tests.integration.test_postgres import run_concurrently
from tickets import api_keys
from tickets.models import IdempotencyRecord, Ticket
from tickets.services import _next_reference

pytestmark = pytest.mark.integration

BODY = {"kind": "inquiry", "channel": "hotline", "subject": "来电咨询话费", "customer": {"name": "李女士"}}


def post_ticket(key: str, idempotency_key: str) -> dict:
    response = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}").post(
        "/api/v1/tickets/", BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY=idempotency_key
    )
    return {
        "status": response.status_code,
        "body": response.json(),
        "replayed": response.get("Idempotent-Replayed"),
    }


def assert_one_ticket_and_consistent_answers(results: list) -> dict:
    """Exactly one ticket; every answer is it (201, the first or a replay) or a 409 in progress."""
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    created = [r for r in results if r["status"] == 201]
    refused = [r for r in results if r["status"] != 201]
    assert created, results
    assert all(r["body"] == created[0]["body"] for r in created)
    assert created[0]["body"]["reference"] == ticket.reference
    assert [r for r in created if r["replayed"] != "true"] == [next(r for r in created if r["replayed"] != "true")]
    assert all(
        r["status"] == 409 and r["body"]["code"] == "idempotency_key_in_progress" and r["body"]["message"]
        for r in refused
    ), refused
    record = IdempotencyRecord.objects.get()
    assert record.status_code == 201 and record.body == created[0]["body"]
    return created[0]["body"]


def test_concurrent_posts_with_one_idempotency_key_create_one_ticket(db):
    _client, key = api_keys.api_client_create(name="telephony")

    results = run_concurrently(16, lambda i: post_ticket(key, "call-7781"))

    first = assert_one_ticket_and_consistent_answers(results)
    # Afterwards every retry is the replay.
    retries = run_concurrently(8, lambda i: post_ticket(key, "call-7781"))
    assert {(r["status"], r["replayed"]) for r in retries} == {(201, "true")}
    assert all(r["body"] == first for r in retries) and Ticket.objects.count() == 1


def test_while_the_first_is_still_working_the_others_get_409_then_the_replay(db):
    """The first request is held inside ticket creation (another transaction holds the client's
    reference counter, as a concurrent creation would): every other request with the key meanwhile
    is 409 at once, without waiting for it; once it answers, a retry is its replay."""
    client, key = api_keys.api_client_create(name="telephony")
    count = 8
    finished = threading.Condition()
    results: list = []

    def work(i: int) -> None:
        try:
            result = post_ticket(key, "call-7781")
        except Exception as exc:  # noqa: BLE001 - reported to the test
            result = exc
        finally:
            connection.close()
        with finished:
            results.append(result)
            finished.notify_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    with transaction.atomic():
        _next_reference(client.user.staff.staff_no, timezone.now())  # holds the counter's row
        for thread in threads:
            thread.start()
        with finished:
            all_but_one = finished.wait_for(lambda: len(results) >= count - 1, timeout=60)
        answered_while_held = list(results)
        transaction.set_rollback(True)  # lets go of the counter, giving its number back
    for thread in threads:
        thread.join(timeout=60)
    close_old_connections()

    assert all_but_one, results
    assert [r["status"] for r in answered_while_held] == [409] * (count - 1), answered_while_held
    first = assert_one_ticket_and_consistent_answers(results)
    assert first["reference"].endswith("-001")  # the held number was given back: no gap
    again = post_ticket(key, "call-7781")
    assert (again["status"], again["replayed"], again["body"]) == (201, "true", first)
