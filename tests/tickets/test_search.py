"""Ticket search (the list's box, the API's `search`): by reference, by phone, by text.

A reference or its beginning finds those tickets, typed with or without its hyphens; a phone is
found by its digits whatever separators it was stored or typed with: the whole number, its last
4 or more digits (a landline without its area code), or its first 7 or more; fewer digits are
searched as text (reference, subject, contact or customer name). The clock is frozen at NOW;
tickets are made on Monday 2026-03-02 by staff 1001.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.clock import at
from tests.factories import CustomerFactory
from tests.tickets.helpers import new_ticket
from tickets import api_keys
from tickets.models import Ticket

NOW = at("2026-03-03 10:00")
LIST = reverse("desk:ticket_list")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def listed(client, user, q: str) -> set[str]:
    client.force_login(user)
    response = client.get(LIST, {"q": q}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return set(re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', response.content.decode()))


@pytest.fixture
def phones(clerk):
    """Tickets whose numbers are stored in the ways staff type them."""
    mobile = new_ticket(clerk, contact_phone="138 1234 5678")
    landline = new_ticket(clerk, contact_phone="021-6666 8888")
    customer = CustomerFactory(name="周海", phone="13900002222", phone_alt="(0571) 8800-1234")
    by_customer = new_ticket(clerk, customer=customer, contact_phone="")
    callback = new_ticket(clerk, contact_phone="")
    Ticket.objects.filter(pk=callback.pk).update(callback_phone="+86 186-0000-7777")
    return {"mobile": mobile, "landline": landline, "customer": by_customer, "callback": callback}


# --- References ------------------------------------------------------------------------------


def test_a_whole_reference_finds_that_ticket_and_its_beginning_finds_those(client, clerk):
    first, second = new_ticket(clerk), new_ticket(clerk)
    other_day = new_ticket(clerk, now=at("2026-02-27 10:00"))

    assert listed(client, clerk, first.reference) == {first.reference}
    assert listed(client, clerk, "20260302-1001") == {first.reference, second.reference}
    assert listed(client, clerk, "20260302-1001-00") == {first.reference, second.reference}
    assert listed(client, clerk, "20260227") == {other_day.reference}


def test_a_reference_typed_without_its_hyphens_finds_that_ticket(client, clerk):
    first, second = new_ticket(clerk), new_ticket(clerk)

    assert second.reference == "20260302-1001-002"
    assert listed(client, clerk, "202603021001002") == {second.reference}
    assert listed(client, clerk, "202603021001") == {first.reference, second.reference}


# --- Phones ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, which",
    [
        ("13812345678", "mobile"),  # stored with spaces
        ("138-1234-5678", "mobile"),
        ("1381234", "mobile"),  # the first 7 digits
        ("5678", "mobile"),  # the last 4
        ("02166668888", "landline"),
        ("021 6666 8888", "landline"),
        ("66668888", "landline"),  # without the area code
        ("13900002222", "customer"),  # the customer's phone
        ("057188001234", "customer"),  # the customer's other phone, stored with brackets
        ("88001234", "customer"),
        ("18600007777", "callback"),  # the callback phone, stored with +86
        ("+86 186 0000 7777", "callback"),
    ],
)
def test_a_phone_is_found_by_its_digits_whole_or_its_end(client, clerk, phones, query, which):
    assert listed(client, clerk, query) == {phones[which].reference}


def test_too_few_digits_are_searched_as_text_not_as_a_phone(client, clerk, phones):
    room = new_ticket(clerk, subject="3号楼678室漏水", contact_phone="")

    assert listed(client, clerk, "678") == {room.reference}  # 3 digits: the subject, not 138 1234 5678
    assert listed(client, clerk, "1381") == set()  # 4 digits: a number's end only; none ends 1381
    assert listed(client, clerk, "2345") == set()  # nor the middle of a number


def test_names_and_subjects_are_still_searched(client, clerk, phones):
    passport = new_ticket(clerk, subject="护照加急办理", contact_name="林女士", contact_phone="")

    assert listed(client, clerk, "加急") == {passport.reference}
    assert listed(client, clerk, "林女士") == {passport.reference}
    assert listed(client, clerk, "周海") == {phones["customer"].reference}


def test_the_api_search_follows_the_same_rule(clerk, phones):
    from django.test import Client

    _client, key = api_keys.api_client_create(name="crm", scopes=["tickets:read"])
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")

    def found(search: str) -> set[str]:
        response = api.get("/api/v1/tickets/", {"search": search})
        assert response.status_code == 200
        return {row["reference"] for row in response.json()["results"]}

    assert found("66668888") == {phones["landline"].reference}
    assert found("0571-88001234") == {phones["customer"].reference}
    assert found(phones["mobile"].reference) == {phones["mobile"].reference}


def test_a_search_costs_one_query_more_than_the_list_whatever_it_finds(client, clerk):
    """The matching tickets' ids first; text of 2 characters has no index to read them from."""

    def queries(q: str) -> int:
        client.force_login(clerk)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST, {"q": q}).status_code == 200
        return len(captured)

    customer = CustomerFactory(phone="13700001111")
    new_ticket(clerk, customer=customer)
    short_text, few = queries("咨询"), [queries(q) for q in ("13700001111", "材料咨询", "20260302-1001")]
    for _ in range(29):
        new_ticket(clerk, customer=customer)

    assert [queries(q) for q in ("13700001111", "材料咨询", "20260302-1001")] == few == [short_text + 1] * 3
