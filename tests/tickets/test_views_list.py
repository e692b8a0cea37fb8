"""The ticket list: filters, search, ordering, pagination, htmx partials, visibility, query budget.

The clock is frozen at NOW (Tuesday 2026-03-03 10:00, Asia/Shanghai).
"""

from __future__ import annotations

import base64
import json
import re
from html import unescape

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.clock import at
from tests.factories import CategoryFactory, CustomerFactory, DepartmentFactory
from tests.tickets.helpers import new_ticket, ticket_in
from tickets import keyset, services
from tickets.filters import ORDERINGS
from tickets.models import Ticket
from tickets.views import ticket_list

NOW = at("2026-03-03 10:00")
LIST = reverse("desk:ticket_list")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# session, user with their staff profile, unread count (page frame); the page's rows, their
# deadlines, the count (up to keyset.COUNT_LIMIT); the department, assignee and call-reason
# choices of the filter form (not in an htmx swap of the results).
LIST_QUERY_BUDGET = 9
LIST_PARTIAL_QUERIES = 6


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def get(client, user, params=None, **headers):
    client.force_login(user)
    return client.get(LIST, params or {}, **EN, **headers)


def refs(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', response.content.decode())


def listed(client, user, **params) -> set[str]:
    return set(refs(get(client, user, params)))


# --- Access --------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_only_visible_tickets_are_listed_even_when_searched_by_reference(client, clerk, engineer, supervisor):
    mine = new_ticket(clerk)
    other_department = new_ticket(engineer)

    assert listed(client, clerk) == {mine.reference}
    assert listed(client, clerk, q=other_department.reference) == set()
    assert listed(client, clerk, department=other_department.department_id) == set()
    assert listed(client, supervisor, q=other_department.reference) == {other_department.reference}


# --- Filters -------------------------------------------------------------------------------------


def test_kind_status_and_priority_filters(client, clerk, engineer):
    complaint = new_ticket(clerk, kind=Ticket.Kind.COMPLAINT, priority=Ticket.Priority.URGENT)
    inquiry = new_ticket(clerk)
    resolved = ticket_in(Ticket.Status.RESOLVED, clerk=clerk, engineer=engineer)

    assert listed(client, clerk, kind="complaint") == {complaint.reference}
    assert listed(client, clerk, priority="urgent") == {complaint.reference}
    assert listed(client, clerk, status="resolved") == {resolved.reference}
    assert listed(client, clerk, status="unfinished") == {complaint.reference, inquiry.reference}
    assert listed(client, clerk) == {complaint.reference, inquiry.reference, resolved.reference}


def test_department_assignee_and_category_filters(client, clerk, engineer, supervisor):
    visa = CategoryFactory(name="签证")
    at_desk = new_ticket(clerk, category=visa)
    handed = services.ticket_hand_off(
        ticket=new_ticket(clerk), actor=clerk, to_user=engineer, now=at("2026-03-02 11:00")
    )

    assert listed(client, supervisor, department=engineer.staff.department_id) == {handed.reference}
    assert listed(client, supervisor, department=clerk.staff.department_id) == {at_desk.reference}
    assert listed(client, supervisor, assignee=engineer.pk) == {handed.reference}
    assert listed(client, supervisor, category=visa.pk) == {at_desk.reference}


def test_filter_choices_are_the_active_ones_with_full_names(client, clerk, engineer):
    DepartmentFactory(name="已撤销部门", code="gone", is_active=False)
    CategoryFactory(name="停用类别", is_active=False)
    CategoryFactory(name="在用类别")

    html = get(client, clerk).content.decode()

    assert "已撤销部门" not in html and "停用类别" not in html
    assert "在用类别" in html
    assert "李工 (2001)" in html  # the engineer's full name and staff number, not the username


def test_overdue_filter(client, clerk, engineer):
    late = new_ticket(clerk, now=at("2026-03-02 10:00"))  # handoff was due Monday 12:00
    fresh = new_ticket(clerk, now=at("2026-03-03 09:30"))
    paused = services.ticket_pause(
        ticket=services.ticket_hand_off(
            ticket=new_ticket(clerk, now=at("2026-02-20 10:00")),
            actor=clerk,
            to_user=engineer,
            now=at("2026-02-20 10:30"),
        ),
        actor=clerk,
        reason="等客户",
        now=at("2026-02-20 11:00"),
    )

    assert listed(client, clerk, overdue="on") == {late.reference}
    assert listed(client, clerk) == {late.reference, fresh.reference, paused.reference}


def test_created_date_range_uses_shanghai_days(client, clerk):
    late_monday = new_ticket(clerk, now=at("2026-03-02 23:30"))  # 15:30 UTC, still Monday in Shanghai
    tuesday = new_ticket(clerk, now=at("2026-03-03 00:10"))
    last_week = new_ticket(clerk, now=at("2026-02-24 10:00"))

    assert listed(client, clerk, created_after="2026-03-02", created_before="2026-03-02") == {late_monday.reference}
    assert listed(client, clerk, created_after="2026-03-03") == {tuesday.reference}
    assert listed(client, clerk, created_before="2026-03-01") == {last_week.reference}


# --- Search --------------------------------------------------------------------------------------


@pytest.fixture
def searchable(clerk):
    customer = CustomerFactory(name="陈大文", phone="13912345678", phone_alt="021-6666 8888")
    with_customer = new_ticket(clerk, customer=customer, subject="护照加急办理", contact_phone="")
    walk_in = new_ticket(clerk, subject="物业费发票", contact_name="林女士", contact_phone="13655550000")
    return with_customer, walk_in


@pytest.mark.parametrize(
    "query, which",
    [
        ("陈大文", 0),
        ("大文", 0),
        ("13912345678", 0),
        ("5678", 0),
        ("021-66668888", 0),  # the other phone, written differently
        ("加急", 0),
        ("林女士", 1),
        ("136 5555 0000", 1),
        ("发票", 1),
    ],
)
def test_search_by_customer_phone_or_subject(client, clerk, searchable, query, which):
    assert listed(client, clerk, q=query) == {searchable[which].reference}


def test_search_by_reference_exact_or_prefix(client, clerk):
    first = new_ticket(clerk)
    second = new_ticket(clerk)
    other_day = new_ticket(clerk, now=at("2026-02-27 10:00"))

    assert listed(client, clerk, q=first.reference) == {first.reference}
    assert listed(client, clerk, q=" 20260302-1001 ") == {first.reference, second.reference}
    assert listed(client, clerk, q="20260227") == {other_day.reference}


def test_search_that_matches_nothing_says_so(client, clerk):
    new_ticket(clerk)

    html = get(client, clerk, {"q": "不存在的内容"}).content.decode()

    assert "No tickets match these filters." in html
    assert "0 tickets" in html


# --- Bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"status": "lost"}, "status", "Select a valid choice. lost is not one of the available choices."),
        ({"kind": "letter"}, "kind", "Select a valid choice."),
        ({"created_after": "2026-13-45"}, "created_after", "Enter a valid date."),
        ({"department": "abc"}, "department", "Select a valid choice."),
        ({"ordering": "password"}, "ordering", "Select a valid choice."),
        (
            {"created_after": "2026-03-03", "created_before": "2026-03-01"},
            "created_before",
            "The end date is before the start date.",
        ),
    ],
)
def test_bad_filter_values_show_field_errors_and_no_tickets(client, clerk, params, field, message):
    new_ticket(clerk)

    response = get(client, clerk, params)

    assert response.status_code == 200
    html = response.content.decode()
    assert refs(response) == []
    assert message in html
    assert f'id="id_{field}_error"' in html  # the error sits with its field
    assert "Some filters are not valid, so no tickets are listed." in html
    assert "1 ticket" not in html


def test_an_old_page_number_is_ignored(client, clerk):
    new_ticket(clerk)

    assert len(refs(get(client, clerk, {"page": "abc"}))) == 1
    assert len(refs(get(client, clerk, {"page": "99"}))) == 1


def forged(ordering: str, direction: str, values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps([ordering, direction, values]).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",  # not base64 of anything
        "!!!!",
        base64.urlsafe_b64encode(b"not json").decode(),
        forged("-created", "n", ["2026-03-02T10:00:00+08:00"]),  # a key short
        forged("-created", "n", ["2026-03-02T10:00:00", 5]),  # no time zone
        forged("-created", "n", ["yesterday", 5]),
        forged("-created", "n", ["2026-03-02T10:00:00+08:00", 2**63]),  # beyond any id
        forged("-created", "n", ["2026-03-02T10:00:00+08:00", "5"]),
        forged("-created", "sideways", ["2026-03-02T10:00:00+08:00", 5]),
        forged("reference", "n", ["20260302-1001"]),  # made for another ordering
        forged("password", "n", []),
        "x" * 1000,
    ],
)
def test_a_bad_cursor_shows_the_first_page_and_says_so(client, clerk, cursor):
    tickets = make_many(clerk, 3)

    response = get(client, clerk, {"cursor": cursor})

    assert refs(response) == [t.reference for t in reversed(tickets)]
    assert "That page link no longer fits this list, so here is its first page." in response.content.decode()


# --- Ordering, pagination, count -----------------------------------------------------------------


def test_newest_first_by_default_and_other_orderings(client, clerk):
    low = new_ticket(clerk, now=at("2026-03-02 09:00"), priority=Ticket.Priority.LOW)
    urgent = new_ticket(clerk, now=at("2026-03-02 10:00"), priority=Ticket.Priority.URGENT)
    normal = new_ticket(clerk, now=at("2026-03-02 11:00"))
    high = new_ticket(clerk, now=at("2026-03-02 12:00"), priority=Ticket.Priority.HIGH)
    newest_first = [high.reference, normal.reference, urgent.reference, low.reference]

    assert refs(get(client, clerk)) == newest_first
    assert refs(get(client, clerk, {"ordering": "created"})) == newest_first[::-1]
    assert refs(get(client, clerk, {"ordering": "-priority"})) == [
        urgent.reference,
        high.reference,
        normal.reference,
        low.reference,
    ]
    assert refs(get(client, clerk, {"ordering": "reference"})) == newest_first[::-1]  # same day: by sequence


def test_lowest_priority_first_is_the_exact_reverse_of_highest_first(client, clerk):
    """Within a priority, highest-first lists the newest first and lowest-first the oldest
    first: one index (ticket_priority_rank) serves both, read either way."""
    older = new_ticket(clerk, now=at("2026-03-02 09:00"))
    urgent = new_ticket(clerk, now=at("2026-03-02 10:00"), priority=Ticket.Priority.URGENT)
    newer = new_ticket(clerk, now=at("2026-03-02 11:00"))

    highest_first = refs(get(client, clerk, {"ordering": "-priority"}))

    assert highest_first == [urgent.reference, newer.reference, older.reference]
    assert refs(get(client, clerk, {"ordering": "priority"})) == highest_first[::-1]


def make_many(user, count: int, **fields) -> list[Ticket]:
    return [new_ticket(user, subject=f"批量咨询 {i}", **fields) for i in range(count)]


def links(response) -> dict[str, str]:
    """The pager's links by their text: their query strings, unescaped."""
    html = response.content.decode()
    nav = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    if nav is None:
        return {}
    return {text: unescape(href) for href, text in re.findall(r'href="([^"]*)"[^>]*>([^<]+)</a>', nav.group(0))}


def follow(client, user, href: str, **headers):
    assert href.startswith("?")
    return client.get(LIST + href, **EN, **headers)


def test_pages_go_older_and_newer_and_keep_the_filters(client, clerk):
    complaints = make_many(clerk, 60, kind=Ticket.Kind.COMPLAINT)
    make_many(clerk, 3)
    newest_first = [t.reference for t in reversed(complaints)]

    first = get(client, clerk, {"kind": "complaint"})
    assert refs(first) == newest_first[:25]
    assert "60 tickets" in first.content.decode()
    assert set(links(first)) == {"Next"}
    assert "kind=complaint" in links(first)["Next"] and "cursor=" in links(first)["Next"]

    second = follow(client, clerk, links(first)["Next"])
    assert refs(second) == newest_first[25:50]
    assert "60 tickets" in second.content.decode()
    assert set(links(second)) == {"First page", "Previous", "Next"}

    last = follow(client, clerk, links(second)["Next"])
    assert refs(last) == newest_first[50:]
    assert set(links(last)) == {"First page", "Previous"}

    back = follow(client, clerk, links(last)["Previous"])
    assert refs(back) == newest_first[25:50]
    assert refs(follow(client, clerk, links(back)["Previous"])) == newest_first[:25]
    assert set(links(follow(client, clerk, links(back)["Previous"]))) == {"Next"}
    assert refs(follow(client, clerk, links(last)["First page"])) == newest_first[:25]


@pytest.mark.parametrize("ordering", list(ORDERINGS))
def test_every_ordering_pages_through_every_ticket_once_both_ways(client, clerk, monkeypatch, ordering):
    # Ties on the first sort key (same time, same priority) are split by the id.
    for i, priority in enumerate(["low", "urgent", "normal", "normal", "high", "normal", "low", "urgent"]):
        new_ticket(clerk, now=at(f"2026-03-02 0{i // 2}:00"), priority=priority, subject=f"排序 {i}")
    Ticket.objects.filter(subject__in=["排序 2", "排序 3", "排序 4"]).update(updated_at=at("2026-03-02 12:00"))
    whole = refs(get(client, clerk, {"ordering": ordering}))  # with the real page size all fit
    monkeypatch.setattr(ticket_list, "PAGE_SIZE", 3)

    pages = [get(client, clerk, {"ordering": ordering})]
    while "Next" in links(pages[-1]):
        pages.append(follow(client, clerk, links(pages[-1])["Next"]))
    walked = [ref for page in pages for ref in refs(page)]
    back = [pages[-1]]
    while "Previous" in links(back[-1]):
        back.append(follow(client, clerk, links(back[-1])["Previous"]))

    assert len(pages) == 3 and [len(refs(page)) for page in pages] == [3, 3, 2]
    assert sorted(walked) == sorted(Ticket.objects.values_list("reference", flat=True))
    assert [refs(page) for page in reversed(back)] == [refs(page) for page in pages]
    assert walked == whole


def test_the_next_page_stays_put_when_new_tickets_arrive(client, clerk, monkeypatch):
    monkeypatch.setattr(ticket_list, "PAGE_SIZE", 3)
    older = make_many(clerk, 6)
    first = get(client, clerk)
    assert refs(first) == [t.reference for t in reversed(older[3:])]

    arrived = make_many(clerk, 2)
    second = follow(client, clerk, links(first)["Next"])

    assert refs(second) == [t.reference for t in reversed(older[:3])]
    newer = follow(client, clerk, links(second)["Previous"])
    assert refs(newer) == [t.reference for t in reversed(older[3:])]
    assert "Previous" in links(newer)  # the new arrivals are a page further up
    assert refs(follow(client, clerk, links(newer)["Previous"])) == [t.reference for t in reversed(arrived)]


def test_a_next_link_past_every_ticket_shows_the_first_page(client, clerk, monkeypatch):
    monkeypatch.setattr(ticket_list, "PAGE_SIZE", 2)
    tickets = make_many(clerk, 3)
    first = get(client, clerk, {"kind": "inquiry"})
    Ticket.objects.filter(pk=tickets[0].pk).update(kind=Ticket.Kind.COMPLAINT)  # the only one left

    response = follow(client, clerk, links(first)["Next"])

    assert refs(response) == [tickets[2].reference, tickets[1].reference]
    assert "That page link no longer fits this list, so here is its first page." in response.content.decode()


def test_a_long_list_says_more_than_the_limit_instead_of_counting_all(client, clerk, monkeypatch):
    monkeypatch.setattr(keyset, "COUNT_LIMIT", 4)
    make_many(clerk, 5)

    html = get(client, clerk).content.decode()
    assert "More than 4 tickets" in html and "5 tickets" not in html
    assert "1 ticket" in get(client, clerk, {"q": "批量咨询 1"}).content.decode()


# --- Columns -------------------------------------------------------------------------------------


def test_a_row_shows_what_the_desk_needs(client, clerk, engineer):
    customer = CustomerFactory(name="陈大文", phone="13912345678")
    ticket = services.ticket_hand_off(
        ticket=new_ticket(clerk, customer=customer, subject="护照加急办理", now=at("2026-03-02 09:15")),
        actor=clerk,
        to_user=engineer,
        now=at("2026-03-02 10:00"),
    )

    html = get(client, clerk).content.decode()

    for text in (
        ticket.reference,
        "Inquiry",
        "护照加急办理",
        "陈大文",
        "13800000001",  # the contact phone taken on this ticket
        '<span class="pill pill-handed_off">Handed off</span>',
        "Normal",
        "技术支持部",
        "李工",  # the assignee's full name
        "2026-03-02 09:15",  # created, local time
        "Handler reply",  # the next deadline
        '<span class="pill pill-running">Running</span>',
    ):
        assert text in html, text
    assert reverse("desk:ticket_detail", args=[ticket.reference]) in html


def test_every_filter_has_a_label_and_there_is_a_filter_button_and_clear_link(client, clerk):
    html = get(client, clerk).content.decode()

    for name in (
        "q",
        "kind",
        "status",
        "priority",
        "department",
        "assignee",
        "category",
        "created_after",
        "created_before",
        "overdue",
        "ordering",
    ):
        assert f'for="id_{name}"' in html, name
    assert '<button type="submit" class="btn btn-primary">Filter</button>' in html
    assert f'<a class="btn" href="{LIST}">Clear filters</a>' in html
    assert f'hx-get="{LIST}"' in html and 'hx-target="#results"' in html and 'hx-push-url="true"' in html


# --- htmx ----------------------------------------------------------------------------------------


def test_an_htmx_request_gets_only_the_results(client, clerk):
    ticket = new_ticket(clerk)

    response = get(client, clerk, {"q": ticket.reference}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert refs(response) == [ticket.reference]
    assert "<html" not in html
    assert 'id="id_q"' not in html  # no filter form
    assert "1 ticket" in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(client, clerk):
    new_ticket(clerk)

    response = get(client, clerk, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in response.content.decode()


def test_an_htmx_request_with_bad_filters_shows_the_errors_in_the_results(client, clerk):
    new_ticket(clerk)

    response = get(client, clerk, {"status": "lost"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert refs(response) == []
    assert '<a href="#id_status">Status</a>: Select a valid choice.' in html


# --- Query budget --------------------------------------------------------------------------------


def fill_list(count: int, *, clerk, engineer) -> None:
    customer = CustomerFactory()
    category = CategoryFactory()
    for i in range(count):
        ticket = new_ticket(clerk, customer=customer, category=category, subject=f"咨询 {i}")
        if i % 3 == 1:
            services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 11:00"))
        elif i % 3 == 2:
            services.ticket_resolve_first_contact(ticket=ticket, actor=clerk, now=at("2026-03-02 10:30"))


def list_queries(client, user, params=None, **headers) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, params or {"status": "", "q": "咨询"}, **headers)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [3, 60])
def test_the_list_renders_within_its_query_budget(count, client, clerk, engineer, django_assert_max_num_queries):
    fill_list(count, clerk=clerk, engineer=engineer)
    client.force_login(clerk)

    with django_assert_max_num_queries(LIST_QUERY_BUDGET):
        response = client.get(LIST, {"overdue": "", "ordering": "-priority"})

    assert len(refs(response)) == min(count, 25)


def test_the_list_costs_the_same_queries_for_3_and_40_tickets(client, clerk, engineer, supervisor):
    overdue_in_department = {"overdue": "on", "department": engineer.staff.department_id, "ordering": "-updated"}
    fill_list(3, clerk=clerk, engineer=engineer)
    few = [
        list_queries(client, clerk),
        list_queries(client, clerk, HTTP_HX_REQUEST="true"),
        list_queries(client, supervisor, overdue_in_department),
        list_queries(client, supervisor, {"ordering": "priority"}),
    ]
    fill_list(37, clerk=clerk, engineer=engineer)
    many = [
        list_queries(client, clerk),
        list_queries(client, clerk, HTTP_HX_REQUEST="true"),
        list_queries(client, supervisor, overdue_in_department),
        list_queries(client, supervisor, {"ordering": "priority"}),
    ]
    client.force_login(supervisor)
    cursor = dict(QueryDict(links(client.get(LIST, {"ordering": "priority"}, **EN))["Next"][1:]).items())

    assert few == many == [LIST_QUERY_BUDGET, LIST_PARTIAL_QUERIES, LIST_QUERY_BUDGET, LIST_QUERY_BUDGET]
    assert list_queries(client, supervisor, cursor) == LIST_QUERY_BUDGET  # a later page costs the same
