"""Ticket search and the customer look-up on the real PostgreSQL: every query a phone or
reference search, and every text search of 3 characters or more, runs is served by the indexes
of migration 0017_search_indexes.

The test database is tiny, so sequential scans are switched off for the EXPLAIN: a query whose
expression did not match an index's (a different REPLACE chain, a missing operator class) would
still show a Seq Scan on the ticket or customer table.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CustomerFactory
from tests.tickets.helpers import new_ticket
from tickets import selectors
from tickets.models import Ticket
from tickets.selectors_search import ticket_search

pytestmark = pytest.mark.integration

SCANNED = re.compile(r"Seq Scan on (tickets_ticket|tickets_customer)\b")


def plans_of(run) -> list[tuple[str, str]]:
    """Run the search, then EXPLAIN every query it ran (seq scans off): (sql, plan) pairs."""
    with CaptureQueriesContext(connection) as captured:
        run()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            for query in captured.captured_queries:
                cursor.execute(f"EXPLAIN {query['sql']}")
                plans.append((query["sql"], "\n".join(row[0] for row in cursor.fetchall())))
        finally:
            cursor.execute("RESET enable_seqscan")
    return plans


@pytest.fixture
def tickets(clerk):
    customer = CustomerFactory(phone="139 0000 2222", phone_alt="(0571) 8800-1234")
    made = [new_ticket(clerk, customer=customer, contact_phone="021-6666 8888") for _ in range(3)]
    Ticket.objects.filter(pk=made[0].pk).update(callback_phone="+86 186-0000-7777")
    return made


@pytest.mark.parametrize(
    "query",
    ["02166668888", "66668888", "5678", "13900002222", "20260302-1001", "202603021001001", "陈先生", "签证材料"],
)
def test_phone_reference_and_text_searches_use_indexes_only(clerk, supervisor, tickets, query):
    def search():
        found = ticket_search(selectors.ticket_list_visible(user=supervisor), query).order_by("-created_at", "-id")
        found.count()
        list(found[:25])

    plans = plans_of(search)

    assert plans, "the search ran no query"
    assert "UNION" in plans[0][0] or "LIKE" in plans[0][0]  # the ids of the matching tickets first
    for sql, plan in plans:
        assert not SCANNED.search(plan), f"{sql}\n{plan}"


def test_the_search_finds_what_the_indexes_find(clerk, supervisor, tickets):
    def found(query: str) -> set[str]:
        rows = ticket_search(selectors.ticket_list_visible(user=supervisor), query)
        return set(rows.values_list("reference", flat=True))

    every = {ticket.reference for ticket in tickets}
    assert found("66668888") == found("88001234") == found("13900002222") == every
    assert found("18600007777") == {tickets[0].reference}
    assert found("202603021001002") == {tickets[1].reference}


def test_the_customer_look_up_uses_the_trigram_indexes(clerk, tickets):
    plans = plans_of(lambda: selectors.customer_search_by_phone(user=clerk, phone="0013 8"))

    customer_query = plans[0][1]
    assert "_digits_trgm" in customer_query and not SCANNED.search(customer_query), customer_query
