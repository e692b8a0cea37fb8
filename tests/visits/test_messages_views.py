"""The message pages (V3): taking a message on a visit, the panel on My desk that keeps it open
until it is handled, marking it handled (plain POST and htmx), and the list of my messages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.clock import at
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import snapshot
from tickets import services
from tickets.models import Notification, StaffProfile, Ticket, TicketEvent
from visits.messages import message_mark_handled, message_take
from visits.models import Line, Purpose, Visit, VisitorMessage

NOW = at("2026-03-02 10:00")
HOME = reverse("desk:home")
LIST = reverse("visits:message_list")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return NOW


@pytest.fixture
def dept_head(db):
    return StaffFactory(
        user__username="salesboss",
        user__first_name="孙经理",
        staff_no="7100",
        extension="8710",
        department=DepartmentFactory(name="销售部", code="sales"),
        role=StaffProfile.Role.DEPT_HEAD,
    ).user


@pytest.fixture
def visit(clerk):
    return services.ticket_create(
        actor=clerk,
        kind=Ticket.Kind.VISIT,
        channel=Ticket.Channel.WALK_IN,
        subject="找孙经理洽谈",
        contact_name="陈先生",
        contact_phone="13800000001",
        now=NOW,
    )


def take_url(ticket) -> str:
    return reverse("visits:message_take", args=[ticket.reference])


def handled_url(message) -> str:
    return reverse("visits:message_handled", args=[message.pk])


def form_data(recipient, **overrides) -> dict:
    data = {
        "recipient": recipient.pk if recipient is not None else "",
        "visitor_name": "陈先生",
        "contact": "13800000001",
        "text": "想谈车位租赁合同续签,下午三点后方便回电。",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def a_message(visit, clerk, recipient, *, visitor="陈先生", urgent=False, minutes=0):
    return message_take(
        ticket=visit,
        actor=clerk,
        recipient=recipient,
        visitor_name=visitor,
        contact="13800000001",
        text=f"{visitor}的留言",
        is_urgent=urgent,
        now=at("2026-03-02 09:00") + timedelta(minutes=minutes),
    )


def desk_panel(html: str) -> str:
    match = re.search(r'<section[^>]*id="messages-for-me".*?</section>', html, re.S)
    assert match, "no messages panel on the desk"
    return match.group(0)


# --- The form ---------------------------------------------------------------------------------


def test_the_form_is_prefilled_from_the_visit_and_lists_active_colleagues(login, clerk, dept_head, visit):
    gone = StaffFactory(user__username="gone", user__first_name="离职者", user__is_active=False).user

    response = login(clerk).get(take_url(visit))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="陈先生"' in html and 'value="13800000001"' in html
    assert "孙经理 · 销售部 · ext. 8710" in html  # department and extension shown
    assert f'value="{gone.pk}"' not in html
    assert "Urgent: it cannot wait" in html


def test_the_form_is_in_chinese_by_default(client, clerk, visit):
    client.force_login(clerk)

    html = client.get(take_url(visit)).content.decode()

    assert '<html lang="zh-hans"' in html


def test_taking_a_message_through_the_page(login, clerk, dept_head, visit):
    response = login(clerk).post(take_url(visit), form_data(dept_head), follow=True)

    assert response.status_code == 200
    message = VisitorMessage.objects.get()
    assert (message.recipient, message.taken_by, message.is_urgent) == (dept_head, clerk, False)
    assert response.redirect_chain[-1][0].startswith(reverse("desk:ticket_detail", args=[visit.reference]))
    assert "Message for 孙经理 taken" in response.content.decode()
    assert TicketEvent.objects.filter(ticket=visit, type=TicketEvent.Type.MESSAGE_TAKEN).count() == 1
    assert Notification.objects.filter(recipient=dept_head, ticket=visit).count() == 1


def test_an_urgent_message_tells_the_desk_to_phone_now(login, clerk, dept_head, visit):
    response = login(clerk).post(take_url(visit), form_data(dept_head, is_urgent="on"), follow=True)

    html = response.content.decode()
    assert "Urgent message for 孙经理 taken and sent at once. Phone them now on extension 8710" in html
    assert Notification.objects.get(recipient=dept_head).text.startswith("[Urgent]")


@pytest.mark.parametrize(
    "overrides, field, error",
    [
        ({"recipient": ""}, "recipient", "Choose whom the message is for."),
        ({"text": "   "}, "text", "This field is required."),
        ({"text": "话" * 1001}, "text", "at most 1000 characters"),
        ({"visitor_name": ""}, "visitor_name", "This field is required."),
        ({"contact": "没留"}, "contact", "is not a phone number"),
    ],
)
def test_bad_input_shows_field_errors_and_writes_nothing(login, clerk, dept_head, visit, overrides, field, error):
    before = snapshot(visit)

    data = form_data(dept_head)
    data.update(overrides)

    response = login(clerk).post(take_url(visit), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved." in html
    field_block = re.search(rf'<div class="field field-error">\s*<label for="id_message_{field}".*?</div>', html, re.S)
    assert field_block and error in field_block.group(0)
    assert snapshot(visit) == before
    assert VisitorMessage.objects.count() == 0


def test_an_inactive_colleague_is_refused_on_the_recipient_field(login, clerk, dept_head, visit):
    dept_head.is_active = False
    dept_head.save(update_fields=["is_active"])
    before = snapshot(visit)

    response = login(clerk).post(take_url(visit), form_data(dept_head))

    assert response.status_code == 400
    assert "That colleague is not an active member of staff" in response.content.decode()
    assert snapshot(visit) == before and VisitorMessage.objects.count() == 0


def test_a_message_for_yourself_is_refused_on_the_field(login, clerk, visit):
    response = login(clerk).post(take_url(visit), form_data(clerk))

    assert response.status_code == 400
    assert "not for yourself" in response.content.decode()
    assert VisitorMessage.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_departments_visit_is_not_found(login, outsider, dept_head, visit, method):
    before = snapshot(visit)

    response = getattr(login(outsider), method)(take_url(visit), form_data(dept_head))

    assert response.status_code == 404
    assert snapshot(visit) == before and VisitorMessage.objects.count() == 0


def test_anonymous_visitors_are_sent_to_sign_in(client, visit):
    for url in (take_url(visit), LIST):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- My desk ----------------------------------------------------------------------------------


def test_the_desk_shows_my_open_messages_urgent_first_until_handled(login, clerk, dept_head, engineer, visit):
    a_message(visit, clerk, dept_head, visitor="早到的张先生", minutes=0)
    a_message(visit, clerk, dept_head, visitor="急事的李女士", urgent=True, minutes=30)
    a_message(visit, clerk, engineer, visitor="找李工的人", minutes=10)
    boss = login(dept_head)

    panel = desk_panel(boss.get(HOME).content.decode())

    assert "2 open" in panel
    assert panel.index("急事的李女士") < panel.index("早到的张先生")
    assert "找李工的人" not in panel
    assert panel.count(">Handled<") == 2
    assert "Urgent" in panel  # said in words, not only by colour

    first = VisitorMessage.objects.get(visitor_name="早到的张先生")
    response = boss.post(handled_url(first), {"note": "已回电", "next": HOME + "#messages-for-me"})

    assert response.status_code == 302 and response["Location"] == HOME + "#messages-for-me"
    html = boss.get(HOME).content.decode()
    assert "Message from 早到的张先生 marked handled." in html
    panel = desk_panel(html)
    assert "早到的张先生" not in panel and "急事的李女士" in panel and "1 open" in panel


def test_marking_handled_through_htmx_swaps_the_panel(login, clerk, dept_head, visit):
    message = a_message(visit, clerk, dept_head, visitor="王女士")

    response = login(dept_head).post(handled_url(message), {"note": ""}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card panel msg-panel" id="messages-for-me"')
    assert "Message from 王女士 marked handled." in html
    assert "No open messages for you." in html
    message.refresh_from_db()
    assert message.handled_by == dept_head


def test_handled_twice_is_refused_with_a_message(login, clerk, dept_head, supervisor, visit):
    message = a_message(visit, clerk, dept_head)
    message_mark_handled(message=message, actor=supervisor, now=NOW)
    before = snapshot(visit)

    plain = login(dept_head).post(handled_url(message), follow=True)
    swapped = login(dept_head).post(handled_url(message), **HTMX)

    assert "was already marked handled by 赵经理" in plain.content.decode()
    assert swapped.status_code == 400 and "was already marked handled" in swapped.content.decode()
    assert snapshot(visit) == before


def test_whoever_took_it_may_not_mark_it_handled(login, clerk, dept_head, visit):
    message = a_message(visit, clerk, dept_head)
    before = snapshot(visit)

    response = login(clerk).post(handled_url(message))

    assert response.status_code == 403
    assert "Only 孙经理, a supervisor or the office manager" in response.content.decode()
    message.refresh_from_db()
    assert not message.is_handled and snapshot(visit) == before


def test_someone_elses_message_is_not_found(login, clerk, dept_head, engineer, visit):
    message = a_message(visit, clerk, dept_head)

    response = login(engineer).post(handled_url(message))

    assert response.status_code == 404
    message.refresh_from_db()
    assert not message.is_handled


def test_handled_never_redirects_off_site(login, clerk, dept_head, visit):
    message = a_message(visit, clerk, dept_head)

    response = login(dept_head).post(handled_url(message), {"next": "https://evil.example/"})

    assert response["Location"] == HOME + "#messages-for-me"


def test_handled_needs_a_post(login, clerk, dept_head, visit):
    message = a_message(visit, clerk, dept_head)

    assert login(dept_head).get(handled_url(message)).status_code == 405


# --- The list ---------------------------------------------------------------------------------


def test_the_list_shows_messages_for_me_and_those_i_took(login, clerk, dept_head, engineer, visit):
    for_boss = a_message(visit, clerk, dept_head, visitor="找孙经理")
    a_message(visit, clerk, engineer, visitor="找李工")
    done = a_message(visit, clerk, dept_head, visitor="已处理的")
    message_mark_handled(message=done, actor=dept_head, note="已回电", now=NOW)

    boss = login(dept_head)
    open_html = boss.get(LIST).content.decode()
    handled_html = boss.get(LIST, {"state": "handled"}).content.decode()
    taken_html = login(clerk).get(LIST, {"box": "taken", "state": "all"}).content.decode()

    assert "找孙经理" in open_html and "已处理的" not in open_html and "找李工" not in open_html
    assert f'action="{handled_url(for_boss)}"' in open_html
    assert "已处理的" in handled_html and "已回电" in handled_html and "找孙经理" not in handled_html
    assert all(name in taken_html for name in ("找孙经理", "找李工", "已处理的"))
    assert ">Handled<" in taken_html  # the handled one says so …
    assert 'class="msg-handle"' not in taken_html  # … and the taker gets no button


def test_a_bad_filter_is_a_clear_400(login, dept_head):
    response = login(dept_head).get(LIST, {"state": "lost"})

    assert response.status_code == 400
    assert "These filters are not valid" in response.content.decode()


def test_only_overseers_may_list_everyones_messages(login, clerk, dept_head, engineer, supervisor, visit):
    a_message(visit, clerk, engineer, visitor="找李工")

    assert "找李工" in login(supervisor).get(LIST, {"box": "all"}).content.decode()
    assert login(dept_head).get(LIST, {"box": "all"}).status_code == 400


def test_the_list_is_paginated(login, clerk, dept_head, visit):
    for i in range(30):
        a_message(visit, clerk, dept_head, visitor=f"访客{i:02d}", minutes=i)
    boss = login(dept_head)

    first = boss.get(LIST).content.decode()
    second = boss.get(LIST, {"page": 2}).content.decode()

    assert "30 messages" in first and "Page 1 of 2" in first
    assert first.count('class="msg-visitor"') == 25 and second.count('class="msg-visitor"') == 5


@pytest.mark.parametrize("count", [2, 30])
def test_the_list_stays_within_its_query_budget(login, clerk, dept_head, visit, count, django_assert_num_queries):
    for i in range(count):
        a_message(visit, clerk, dept_head, visitor=f"访客{i:02d}", minutes=i)
    boss = login(dept_head)
    boss.get(LIST)  # warm the session

    # session, user with their staff profile, unread count, page count, the page's messages.
    with django_assert_num_queries(5):
        response = boss.get(LIST, {"state": "all"})

    assert response.status_code == 200


@pytest.mark.parametrize("count", [2, 30])
def test_the_form_page_stays_within_its_query_budget(login, clerk, dept_head, visit, count, django_assert_num_queries):
    for i in range(count):
        a_message(visit, clerk, dept_head, visitor=f"访客{i:02d}", minutes=i)
    desk = login(clerk)
    desk.get(take_url(visit))

    # session, user with their staff profile, unread count; the ticket with its visit; the
    # colleagues to choose from; the messages already taken on it.
    with django_assert_num_queries(6):
        response = desk.get(take_url(visit))

    assert response.status_code == 200


def test_the_form_takes_the_visitor_and_the_person_visited_from_reception(login, clerk, dept_head, visit):
    Visit.objects.create(
        ticket=visit,
        line=Line.MEETING,
        queue_date=NOW.date(),
        number=1,
        visitor_name="陈志远",
        visitor_phone="13900000009",
        purpose=Purpose.MEET,
        host=dept_head,
        checked_in_at=NOW,
    )

    html = login(clerk).get(take_url(visit)).content.decode()

    assert 'value="陈志远"' in html and 'value="13900000009"' in html
    assert f'<option value="{dept_head.pk}" selected>' in html
