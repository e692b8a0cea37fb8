"""My desk (the home page): its panels, the next shift's review (T6) and notifications.

The clock is frozen at NOW (Tuesday 2026-03-03 10:00, Asia/Shanghai); tickets are made
through the services at earlier moments. Assertions read the rendered page, panel by panel.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.clock import at
from tests.factories import CustomerFactory, StaffFactory
from tests.tickets.helpers import new_ticket, snapshot, ticket_in
from tickets import services
from tickets.deadlines import sla_sweep
from tickets.models import Notification, Ticket, TicketEvent
from tickets.notifications import notification_create
from tickets.views.desk import duration_words
from visits.messages import message_take

NOW = at("2026-03-03 10:00")  # a Tuesday
MONDAY = at("2026-03-02 10:00")
HOME = reverse("desk:home")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# session, user, staff profile, unread count (page frame); 5 panels x (rows with their total,
# their live deadlines); the latest notifications; the open messages for me (V3).
DESK_QUERY_BUDGET = 17


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """The views read the clock once per request through django.utils.timezone.now."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


def page(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME, **EN)
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str, panel_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{panel_id}".*?</section>', html, re.S)
    assert match, f"no panel #{panel_id} on the page"
    return match.group(0)


def refs(fragment: str) -> list[str]:
    return re.findall(r'class="mono ref" href="[^"]*">([^<]+)</a>', fragment)


def review(client, user, ticket, **extra):
    client.force_login(user)
    return client.post(reverse("desk:ticket_review", args=[ticket.reference]), **EN, **extra)


# --- Sign-in -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", HOME),
        ("post", reverse("desk:ticket_review", args=["20260302-1001-001"])),
        ("post", reverse("desk:notification_read", args=[1])),
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, db, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Panels ------------------------------------------------------------------------------------


def test_my_open_tickets_as_first_responder(client, clerk, engineer):
    mine = new_ticket(clerk, now=at("2026-03-03 09:00"), subject="护照续签咨询")
    handed_on = services.ticket_hand_off(
        ticket=new_ticket(clerk, now=at("2026-03-03 09:10")), actor=clerk, to_user=engineer, now=at("2026-03-03 09:20")
    )
    resolved = ticket_in(Ticket.Status.RESOLVED, clerk=clerk, engineer=engineer)
    theirs = new_ticket(engineer, now=at("2026-03-03 09:00"))

    html = panel(page(client, clerk), "first-responder")

    assert set(refs(html)) == {mine.reference, handed_on.reference}  # still mine after handing on (T1)
    assert "护照续签咨询" in html
    assert resolved.reference not in html and theirs.reference not in html
    assert "2 tickets" in html


def test_tickets_assigned_to_me_by_colleagues(client, clerk, engineer):
    handed_to_me = services.ticket_hand_off(
        ticket=new_ticket(clerk, now=at("2026-03-03 09:00")), actor=clerk, to_user=engineer, now=at("2026-03-03 09:10")
    )
    my_own = new_ticket(engineer, now=at("2026-03-03 09:00"))

    html = page(client, engineer)

    assert refs(panel(html, "assigned")) == [handed_to_me.reference]
    assert refs(panel(html, "first-responder")) == [my_own.reference]


def test_due_soon_lists_my_deadlines_within_two_hours(client, clerk, engineer):
    due_at_11 = new_ticket(clerk, now=at("2026-03-03 09:00"), subject="两小时内转交")
    overdue = new_ticket(clerk, now=MONDAY)
    reply_due_thursday = services.ticket_hand_off(
        ticket=new_ticket(clerk, now=at("2026-03-03 09:30")), actor=clerk, to_user=engineer, now=at("2026-03-03 09:40")
    )
    other_department = new_ticket(engineer, now=at("2026-03-03 09:00"))

    html = panel(page(client, clerk), "due-soon")

    assert refs(html) == [due_at_11.reference]
    assert "1 h left" in html
    assert "03-03 11:00" in html  # the due time, local
    assert "Handoff" in html
    for absent in (overdue, reply_due_thursday, other_department):
        assert absent.reference not in html


def test_a_warned_deadline_is_due_soon_even_if_further_away(client, clerk, engineer):
    ticket = services.ticket_hand_off(
        ticket=new_ticket(clerk, now=at("2026-02-27 13:50")), actor=clerk, to_user=engineer, now=at("2026-02-27 14:00")
    )
    sla_sweep(now=NOW)  # the reply window (2 working days) is 80 % gone: warned
    deadline = ticket.deadlines.get(state="running")
    assert deadline.warned_at is not None and deadline.due_at > NOW + timedelta(hours=2)

    html = panel(page(client, clerk), "due-soon")

    assert refs(html) == [ticket.reference]
    assert "Due soon" in html
    assert "4 h left" in html


def test_overdue_lists_breached_or_past_due_deadlines(client, clerk, engineer):
    late = new_ticket(clerk, now=MONDAY, subject="上周遗留")
    on_time = new_ticket(clerk, now=at("2026-03-03 09:30"))
    other_department = new_ticket(engineer, now=MONDAY)

    html = panel(page(client, clerk), "overdue")

    assert refs(html) == [late.reference]
    assert "Overdue" in html
    assert "22 h overdue" in html  # handoff was due Monday 12:00
    assert on_time.reference not in html and other_department.reference not in html


def test_the_summary_strip_counts_each_panel(client, clerk):
    new_ticket(clerk, now=MONDAY)
    new_ticket(clerk, now=MONDAY)
    new_ticket(clerk, now=at("2026-03-03 09:00"))

    html = page(client, clerk)
    strip = re.search(r'<nav class="desk-stats".*?</nav>', html, re.S).group(0)
    numbers = dict(
        (label, int(num))
        for num, label in re.findall(r'stat-num">(\d+)</span><span class="stat-label">([^<]+)<', strip)
    )

    assert numbers == {
        "Overdue": 2,
        "Due within 2 hours": 1,
        "Earlier records to review": 2,
        "Unread notifications": 0,
    }


def test_empty_desk_says_so(client, clerk):
    html = page(client, clerk)

    assert "Nothing is overdue." in html
    assert "All earlier open records have been reviewed today." in html
    assert "No notifications yet." in html


def test_the_desk_is_in_chinese_by_default(client, clerk):
    client.force_login(clerk)

    html = client.get(HOME).content.decode()

    assert '<html lang="zh-hans"' in html
    assert "工单" in html


# --- T6: yesterday's open records ----------------------------------------------------------------


@pytest.fixture
def colleague(front_desk_dept):
    return StaffFactory(user__username="colleague", staff_no="1002", department=front_desk_dept).user


def test_yesterdays_open_records_of_my_department(client, clerk, colleague, engineer):
    mine = new_ticket(clerk, now=MONDAY)
    colleagues = new_ticket(colleague, now=at("2026-03-02 17:00"))
    handed_to_tech = services.ticket_hand_off(
        ticket=new_ticket(clerk, now=MONDAY), actor=clerk, to_user=engineer, now=at("2026-03-02 11:00")
    )
    tech_dept_own = new_ticket(engineer, now=MONDAY)
    today = new_ticket(clerk, now=at("2026-03-03 08:30"))
    resolved = ticket_in(Ticket.Status.RESOLVED, clerk=clerk, engineer=engineer)

    html = panel(page(client, clerk), "review")

    # Oldest first; the handed-on one stays mine as first responder.
    assert refs(html) == [mine.reference, handed_to_tech.reference, colleagues.reference]
    for absent in (tech_dept_own, today, resolved):
        assert absent.reference not in html
    assert html.count(">Mark reviewed<") == 3


def test_reviewing_a_record_writes_the_event_and_takes_it_off_the_list(client, clerk, engineer):
    ticket = new_ticket(clerk, now=MONDAY)
    still_open = new_ticket(clerk, now=at("2026-03-02 15:00"))
    tech_record = new_ticket(engineer, now=MONDAY)

    response = review(client, clerk, ticket)

    assert response.status_code == 302
    assert response["Location"] == HOME + "#review"
    event = TicketEvent.objects.filter(ticket=ticket).latest("id")
    assert (event.type, event.actor, event.created_at) == (TicketEvent.Type.REVIEWED, clerk, NOW)
    ticket.refresh_from_db()
    assert ticket.reviewed_at == NOW

    html = client.get(HOME, **EN).content.decode()
    assert f"Ticket {ticket.reference} is marked as reviewed." in html
    assert refs(panel(html, "review")) == [still_open.reference]
    # The other department's shift still has its own record to review.
    assert refs(panel(page(client, engineer), "review")) == [tech_record.reference]


def test_the_list_stays_until_all_are_reviewed(client, clerk):
    first, second = new_ticket(clerk, now=MONDAY), new_ticket(clerk, now=MONDAY)

    review(client, clerk, first)
    assert refs(panel(page(client, clerk), "review")) == [second.reference]
    review(client, clerk, second)
    html = panel(page(client, clerk), "review")

    assert refs(html) == []
    assert "All earlier open records have been reviewed today." in html


def test_a_record_reviewed_yesterday_is_back_today(client, clerk):
    ticket = new_ticket(clerk, now=at("2026-02-27 10:00"))
    services.ticket_mark_reviewed(ticket=ticket, actor=clerk, now=at("2026-03-02 09:00"))

    assert refs(panel(page(client, clerk), "review")) == [ticket.reference]


def test_reviewing_a_resolved_ticket_is_refused_with_a_clear_message(client, clerk, engineer):
    ticket = ticket_in(Ticket.Status.RESOLVED, clerk=clerk, engineer=engineer)
    before = snapshot(ticket)

    response = review(client, clerk, ticket, follow=True)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Ticket {ticket.reference} is already “Resolved”; there is nothing to review." in html
    assert 'class="flash-error"' in html
    assert snapshot(ticket) == before


def test_reviewing_another_departments_ticket_is_not_found(client, clerk, engineer):
    ticket = new_ticket(engineer, now=MONDAY)
    before = snapshot(ticket)

    response = review(client, clerk, ticket)

    assert response.status_code == 404
    assert snapshot(ticket) == before


def test_review_needs_a_post(client, clerk):
    ticket = new_ticket(clerk, now=MONDAY)
    client.force_login(clerk)

    response = client.get(reverse("desk:ticket_review", args=[ticket.reference]))

    assert response.status_code == 405
    assert not TicketEvent.objects.filter(ticket=ticket, type=TicketEvent.Type.REVIEWED).exists()


# --- Notifications -------------------------------------------------------------------------------


def notify(user, text, *, minutes_ago, ticket=None):
    return notification_create(recipient=user, text=text, ticket=ticket, now=NOW - timedelta(minutes=minutes_ago))


def test_notifications_unread_first_then_latest(client, clerk):
    ticket = new_ticket(clerk, now=MONDAY)
    notify(clerk, "旧的未读通知", minutes_ago=300, ticket=ticket)
    new_read = notify(clerk, "新的已读通知", minutes_ago=5)
    Notification.objects.filter(pk=new_read.pk).update(is_read=True)
    notify(clerk, "最新未读通知", minutes_ago=1)

    html = panel(page(client, clerk), "notifications")

    assert html.index("最新未读通知") < html.index("旧的未读通知") < html.index("新的已读通知")
    assert "2 unread" in html
    assert html.count(">Mark read<") == 2
    assert ticket.reference in html


def test_only_the_latest_twenty_notifications_are_shown(client, clerk, engineer):
    for i in range(25):
        notify(clerk, f"通知 {i:02d}", minutes_ago=100 - i)
    notify(engineer, "别人的通知", minutes_ago=0)

    html = panel(page(client, clerk), "notifications")

    assert html.count('class="notice-text"') == 20
    assert "通知 24" in html and "通知 04" not in html
    assert "别人的通知" not in html


def test_marking_my_notification_read(client, clerk):
    notification = notify(clerk, "请回电客户", minutes_ago=10)
    client.force_login(clerk)

    response = client.post(reverse("desk:notification_read", args=[notification.pk]), {"next": HOME + "#notifications"})

    assert response.status_code == 302
    assert response["Location"] == HOME + "#notifications"
    notification.refresh_from_db()
    assert notification.is_read
    assert ">Mark read<" not in panel(page(client, clerk), "notifications")


def test_mark_read_never_redirects_off_site(client, clerk):
    notification = notify(clerk, "请回电客户", minutes_ago=10)
    client.force_login(clerk)

    response = client.post(reverse("desk:notification_read", args=[notification.pk]), {"next": "https://evil.example/"})

    assert response["Location"] == HOME + "#notifications"


def test_someone_elses_notification_is_not_found(client, clerk, engineer):
    notification = notify(engineer, "别人的通知", minutes_ago=10)
    client.force_login(clerk)

    response = client.post(reverse("desk:notification_read", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert not notification.is_read


# --- Countdown words -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "span, words",
    [
        (timedelta(seconds=20), "under 1 min"),
        (timedelta(minutes=5, seconds=59), "5 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=1, minutes=20, seconds=59), "1 h 20 min"),
        (timedelta(days=1), "1 d"),
        (timedelta(days=2, hours=3, minutes=40), "2 d 3 h"),
    ],
)
def test_duration_words(span, words):
    assert duration_words(span) == words


# --- Query budget --------------------------------------------------------------------------------


def fill_desk(count: int, *, clerk, engineer) -> None:
    """`count` tickets spread over every panel, plus a notification per ticket."""
    customer = CustomerFactory()
    for i in range(count):
        kind = i % 4
        if kind == 0:  # overdue, and an earlier record to review
            ticket = new_ticket(clerk, now=MONDAY, customer=customer)
        elif kind == 1:  # due soon
            ticket = new_ticket(clerk, now=at("2026-03-03 09:00"), customer=customer)
        elif kind == 2:  # handed to me by a colleague
            ticket = services.ticket_hand_off(
                ticket=new_ticket(engineer, now=at("2026-03-03 09:00")),
                actor=engineer,
                to_user=clerk,
                now=at("2026-03-03 09:05"),
            )
        else:  # handed on, paused: first responder panel with a paused deadline
            ticket = services.ticket_hand_off(
                ticket=new_ticket(clerk, now=MONDAY), actor=clerk, to_user=engineer, now=at("2026-03-02 11:00")
            )
            services.ticket_pause(ticket=ticket, actor=engineer, reason="等客户资料", now=at("2026-03-02 14:00"))
        notify(clerk, f"通知 {ticket.reference}", minutes_ago=i, ticket=ticket)
        message_take(
            ticket=ticket,
            actor=engineer,
            recipient=clerk,
            visitor_name=f"访客{i}",
            contact="13800000002",
            text="请回电",
            is_urgent=i % 2 == 0,
            now=at("2026-03-03 09:30"),
        )


def desk_queries(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("count", [3, 30])
def test_the_desk_renders_within_its_query_budget(count, client, clerk, engineer, django_assert_max_num_queries):
    fill_desk(count, clerk=clerk, engineer=engineer)
    client.force_login(clerk)

    with django_assert_max_num_queries(DESK_QUERY_BUDGET):
        response = client.get(HOME)

    assert response.status_code == 200


def test_the_desk_costs_the_same_queries_for_3_and_30_tickets(client, clerk, engineer):
    fill_desk(3, clerk=clerk, engineer=engineer)
    few = desk_queries(client, clerk)
    fill_desk(27, clerk=clerk, engineer=engineer)
    many = desk_queries(client, clerk)

    assert few == many
