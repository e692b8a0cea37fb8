"""The ticket list's query shapes on the real PostgreSQL (issue 9): keyset pages compare row
values (timestamps with their time zone, the priority rank expression), and "overdue" reads the
overdue ids first (= ANY(ARRAY(…)), tickets.selectors.AmongIds), which SQLite never runs."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.clock import at
from tests.tickets.helpers import new_ticket
from tests.tickets.test_views_list import follow, links, refs
from tickets import api_keys
from tickets.filters import ORDERINGS
from tickets.views import ticket_list

pytestmark = pytest.mark.integration

LIST = reverse("desk:ticket_list")


def test_every_ordering_pages_through_every_ticket_once_both_ways(clerk, monkeypatch):
    for i, priority in enumerate(["low", "urgent", "normal", "normal", "high", "normal", "low", "urgent"]):
        new_ticket(clerk, now=at(f"2026-03-02 0{i // 2}:00"), priority=priority, subject=f"排序 {i}")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)
    for ordering in ORDERINGS:
        monkeypatch.setattr(ticket_list, "PAGE_SIZE", 25)
        whole = refs(client.get(LIST, {"ordering": ordering}))
        monkeypatch.setattr(ticket_list, "PAGE_SIZE", 3)
        pages = [client.get(LIST, {"ordering": ordering})]
        while "Next" in links(pages[-1]):
            pages.append(follow(client, clerk, links(pages[-1])["Next"]))
        back = [pages[-1]]
        while "Previous" in links(back[-1]):
            back.append(follow(client, clerk, links(back[-1])["Previous"]))

        assert [ref for page in pages for ref in refs(page)] == whole, ordering
        assert [refs(page) for page in reversed(back)] == [refs(page) for page in pages], ordering
        assert len(whole) == 8


def test_overdue_lists_the_tickets_with_a_running_deadline_past_due(clerk, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at("2026-03-03 10:00"))
    late = new_ticket(clerk, now=at("2026-03-02 10:00"))  # the first response was due Monday 12:00
    fresh = new_ticket(clerk, now=at("2026-03-03 09:30"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(clerk)
    _api_client, key = api_keys.api_client_create(name="crm")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")

    assert refs(client.get(LIST, {"overdue": "on"})) == [late.reference]
    assert [t["reference"] for t in api.get("/api/v1/tickets/?overdue=true").json()["results"]] == [late.reference]
    assert [t["reference"] for t in api.get("/api/v1/tickets/?overdue=false").json()["results"]] == [fresh.reference]
