"""The ticket page: what it shows, who may see it, and every action through its forms."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.clock import at
from tests.factories import CustomerFactory, StaffFactory
from tests.tickets.helpers import new_ticket, snapshot, ticket_in, upload
from tickets import permissions, services
from tickets.calendars import business_calendar_invalidate
from tickets.deadlines import sla_sweep
from tickets.models import (
    Attachment,
    CalendarYear,
    DeadlineKind,
    ProblemRoute,
    ProblemType,
    StaffProfile,
    Ticket,
    TicketEvent,
)

S = Ticket.Status
E = TicketEvent.Type


# --- Fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture
def official_2026(db):
    """2026 has its official schedule entered; 2027 has not (its deadlines are provisional)."""
    CalendarYear.objects.create(year=2026)
    business_calendar_invalidate()


def detail_url(ticket) -> str:
    return reverse("desk:ticket_detail", kwargs={"reference": ticket.reference})


def action_url(ticket, verb: str) -> str:
    return reverse("desk:ticket_action", kwargs={"reference": ticket.reference, "verb": verb})


def act(client, ticket, verb: str, **data):
    """POST an action form the way the page does: with the version the page was drawn at."""
    data.setdefault("expected_version", Ticket.objects.get(pk=ticket.pk).version)
    return client.post(action_url(ticket, verb), data)


def fresh(ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def offered(response) -> list[str]:
    return [form.verb for form in response.context["actions"]]


# --- Sign-in and the access rule ------------------------------------------------------------


def _urls(ticket) -> dict[str, tuple[str, str]]:
    ref = {"reference": ticket.reference}
    return {
        "detail": ("get", reverse("desk:ticket_detail", kwargs=ref)),
        "action": ("post", reverse("desk:ticket_action", kwargs={**ref, "verb": "escalate"})),
        "note": ("post", reverse("desk:ticket_note", kwargs=ref)),
        "attach": ("post", reverse("desk:ticket_attach", kwargs=ref)),
    }


@pytest.mark.parametrize("endpoint", ["detail", "action", "note", "attach", "download"])
def test_anonymous_is_sent_to_sign_in(endpoint, client, clerk, media):
    ticket = new_ticket(clerk)
    attachment = services.ticket_attach_file(ticket=ticket, actor=clerk, upload=upload())
    urls = _urls(ticket) | {
        "download": (
            "get",
            reverse("desk:attachment_download", kwargs={"reference": ticket.reference, "pk": attachment.pk}),
        )
    }
    method, url = urls[endpoint]

    response = getattr(client, method)(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("endpoint", ["detail", "action", "note", "attach", "download"])
def test_another_departments_ticket_is_not_found(endpoint, login, clerk, outsider, media):
    ticket = new_ticket(clerk)
    attachment = services.ticket_attach_file(ticket=ticket, actor=clerk, upload=upload())
    before = snapshot(ticket)
    urls = _urls(ticket) | {
        "download": (
            "get",
            reverse("desk:attachment_download", kwargs={"reference": ticket.reference, "pk": attachment.pk}),
        )
    }
    method, url = urls[endpoint]
    data = {"expected_version": fresh(ticket).version, "reason": "急", "text": "看看", "file": upload()}

    response = getattr(login(outsider), method)(url, data) if method == "post" else login(outsider).get(url)

    assert response.status_code == 404
    assert snapshot(ticket) == before
    assert Attachment.objects.count() == 1


def test_an_unknown_ticket_is_not_found(login, clerk):
    assert login(clerk).get("/tickets/20260302-1001-999/").status_code == 404


def test_an_unknown_verb_is_not_found(login, clerk):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)

    for verb in ("fly", "test_timeout"):
        response = act(login(clerk), ticket, verb)
        assert response.status_code == 404
    assert snapshot(ticket) == before


def test_actions_only_accept_post(login, clerk):
    ticket = new_ticket(clerk)

    assert login(clerk).get(action_url(ticket, "escalate")).status_code == 405


# --- What the page shows ----------------------------------------------------------------------


def test_header_shows_the_ticket_customer_and_first_responder(login, clerk, engineer):
    customer = CustomerFactory(name="陈先生", company="华信科技")
    ticket = new_ticket(clerk, customer=customer, subject="打印机无法联网")
    services.ticket_hand_off(
        ticket=ticket,
        actor=clerk,
        to_user=engineer,
        callback_phone="13911112222",
        callback_note="下午3点后",
        now=at("2026-03-02 10:30"),
    )

    response = login(clerk).get(detail_url(ticket))

    page = response.content.decode()
    assert response.status_code == 200
    assert ticket.reference in page
    assert "打印机无法联网" in page
    assert reverse("desk:customer_detail", kwargs={"pk": customer.pk}) in page
    assert "华信科技" in page
    assert '<span class="pill pill-handed_off"' in page and "Handed off" in page
    assert "小王" in page and "8001" in page  # the first responder and extension (T1)
    assert "李工" in page and "8201" in page and "技术支持部" in page  # now with
    assert "13911112222" in page and "下午3点后" in page  # callback
    assert "Inquiry" in page and "Phone" in page


def test_page_is_chinese_by_default(client, clerk):
    ticket = new_ticket(clerk)
    client.force_login(clerk)

    page = client.get(detail_url(ticket)).content.decode()

    assert '<html lang="zh-hans"' in page
    assert "待处理" in page  # the status label


def test_timeline_lists_every_event_with_its_actor_and_handoff_details(login, clerk, engineer):
    ticket = new_ticket(clerk)
    services.ticket_hand_off(
        ticket=ticket,
        actor=clerk,
        to_user=engineer,
        callback_phone="13911112222",
        callback_note="上午",
        note="客户很着急",
        now=at("2026-03-02 10:30"),
    )
    services.ticket_reply(ticket=ticket, actor=engineer, result="已远程修复", now=at("2026-03-02 14:00"))

    response = login(clerk).get(detail_url(ticket))

    page = response.content.decode()
    timeline = response.context["timeline"]
    assert [entry.event.type for entry in timeline] == [E.CREATED, E.HANDED_OFF, E.REPLIED]
    assert [entry.actor for entry in timeline] == ["小王", "小王", "李工"]
    assert "Told the customer: 李工 ext. 8201" in page
    assert "Callback: 13911112222 · 上午" in page
    assert "客户很着急" in page and "已远程修复" in page
    assert "2026-03-02 10:30" in page  # local time (Asia/Shanghai)
    assert "Handler result recorded" in page


def test_test_timeout_shows_its_own_outcome_distinct_from_a_customer_confirmation(login, clerk, engineer):
    timed_out = ticket_in(S.AWAITING_TEST, clerk=clerk, engineer=engineer)
    confirmed = ticket_in(S.AWAITING_TEST, clerk=clerk, engineer=engineer)
    services.ticket_record_test_result(ticket=confirmed, actor=clerk, is_solved=True, now=at("2026-03-02 15:00"))
    sla_sweep(now=at("2026-03-03 11:00"))  # 24 hours after the request at 10:30

    timed_out_page = login(clerk).get(detail_url(timed_out)).content.decode()
    confirmed_page = login(clerk).get(detail_url(confirmed)).content.decode()

    assert "No test report in 24 h — counted solved" in timed_out_page
    assert "pill-outcome-test_timeout" in timed_out_page
    assert "SLA timer" in timed_out_page
    assert "Customer confirmed after test" not in timed_out_page
    assert "ran out at 2026-03-03 11:00" in timed_out_page  # the test window, not "no longer needed"
    assert "Customer confirmed after test" in confirmed_page
    assert "No test report in 24 h — counted solved" not in confirmed_page


def test_deadlines_show_breached_and_the_escalation(login, clerk):
    ticket = new_ticket(clerk)  # Monday 10:00: handoff due at 12:00
    sla_sweep(now=at("2026-03-03 10:00"))

    response = login(clerk).get(detail_url(ticket))

    page = response.content.decode()
    [row] = response.context["deadlines"]
    assert (row.deadline.kind, row.state) == (DeadlineKind.HANDOFF, "breached")
    assert row.is_overdue and row.countdown.startswith("overdue by")
    assert '<span class="pill pill-breached">Breached</span>' in page
    assert "Level 1 · priority Normal → High" in page
    assert "Escalation level 1" in page


def test_a_deadline_near_its_due_time_shows_as_due_soon(login, clerk):
    ticket = new_ticket(clerk)  # Monday 10:00: handoff due 12:00, warned at 80 %
    sla_sweep(now=at("2026-03-02 11:40"))

    response = login(clerk).get(detail_url(ticket))

    [row] = response.context["deadlines"]
    assert row.state == "warned"
    assert '<span class="pill pill-warned">Due soon</span>' in response.content.decode()
    assert "Deadline near" in response.content.decode()  # the sweep's warning on the timeline


def test_deadlines_show_met_cancelled_paused_and_running_states(login, clerk, engineer):
    handed = ticket_in(S.WAITING_CUSTOMER, clerk=clerk, engineer=engineer)
    first_contact = ticket_in(S.RESOLVED, clerk=clerk, engineer=engineer)
    running = new_ticket(clerk, now=None)  # created now: the handoff clock runs into the future

    handed_rows = login(clerk).get(detail_url(handed)).context["deadlines"]
    closed_rows = login(clerk).get(detail_url(first_contact)).context["deadlines"]
    running_page = login(clerk).get(detail_url(running))

    assert [(r.deadline.kind, r.state) for r in handed_rows] == [
        (DeadlineKind.HANDOFF, "met"),
        (DeadlineKind.REPLY, "paused"),
    ]
    assert handed_rows[1].countdown.endswith("of working time left when resumed")
    assert [(r.deadline.kind, r.state) for r in closed_rows] == [(DeadlineKind.HANDOFF, "cancelled")]
    [row] = running_page.context["deadlines"]
    assert row.state == "running" and row.countdown.startswith("due in")
    assert "due in" in running_page.content.decode()


def test_deadlines_computed_on_an_unofficial_year_are_marked_provisional(login, clerk, official_2026):
    official = new_ticket(clerk, now=at("2026-03-02 10:00"))
    unofficial = new_ticket(clerk, now=at("2027-03-01 10:00"))

    official_page = login(clerk).get(detail_url(official)).content.decode()
    unofficial_page = login(clerk).get(detail_url(unofficial)).content.decode()

    assert "pill-provisional" not in official_page
    assert '<span class="pill pill-provisional"' in unofficial_page and "Provisional" in unofficial_page


def test_awaiting_test_shows_the_script_and_the_test_deadline(login, clerk, engineer):
    ticket = ticket_in(S.AWAITING_TEST, clerk=clerk, engineer=engineer)

    response = login(clerk).get(detail_url(ticket))

    page = response.content.decode()
    assert "Please test within 24 hours and call us back with the result." in page
    assert "Customer reports by 2026-03-03 10:30" in page
    assert [(r.deadline.kind, r.state) for r in response.context["deadlines"]][-1] == (
        DeadlineKind.TEST_CALLBACK,
        "running",
    )


# --- Which actions are offered --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (S.OPEN, ["hand_off", "resolve_first_contact", "request_test", "resolve", "pause", "escalate"]),
        (S.AWAITING_TEST, ["test_result", "escalate"]),
        (S.RESOLVED, ["close", "reopen"]),
        (S.CLOSED, ["reopen"]),
        (S.WAITING_CUSTOMER, ["resume", "escalate"]),
    ],
)
def test_front_desk_is_offered_the_verbs_legal_now(status, expected, login, clerk, engineer):
    ticket = ticket_in(status, clerk=clerk, engineer=engineer)

    response = login(clerk).get(detail_url(ticket))

    assert offered(response) == expected
    page = response.content.decode()
    for verb in permissions.DESK_VERBS:
        assert (action_url(ticket, verb) in page) is (verb in expected)


def test_front_desk_is_not_offered_the_handlers_reply(login, clerk, engineer):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)

    response = login(clerk).get(detail_url(ticket))

    assert offered(response) == ["hand_off", "resolve", "pause", "escalate"]


def test_a_handler_is_offered_reply_but_never_close(login, clerk, engineer):
    handed = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)
    resolved = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)
    services.ticket_resolve(ticket=resolved, actor=engineer, resolution="已修复", now=at("2026-03-02 15:00"))

    assert offered(login(engineer).get(detail_url(handed))) == ["hand_off", "reply", "resolve", "pause", "escalate"]
    assert offered(login(engineer).get(detail_url(resolved))) == []
    assert "Nothing for you to do" in login(engineer).get(detail_url(resolved)).content.decode()


def test_a_supervisor_is_offered_everything_legal(login, clerk, engineer, supervisor):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)

    assert offered(login(supervisor).get(detail_url(ticket))) == ["hand_off", "reply", "resolve", "pause", "escalate"]


def test_finance_may_read_and_note_but_is_offered_no_verbs(login, clerk, finance_user):
    ticket = new_ticket(clerk)
    services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=finance_user, now=at("2026-03-02 10:30"))

    response = login(finance_user).get(detail_url(ticket))

    assert response.status_code == 200
    assert offered(response) == ["reply"]  # only as the person it was handed to (T5)
    assert reverse("desk:ticket_note", kwargs={"reference": ticket.reference}) in response.content.decode()


def test_a_ticket_once_handed_off_is_not_offered_first_contact_resolution(login, clerk, engineer):
    ticket = ticket_in(S.REPLIED, clerk=clerk, engineer=engineer)
    services.ticket_request_test(ticket=ticket, actor=clerk, now=at("2026-03-02 15:00"))
    services.ticket_record_test_result(ticket=ticket, actor=clerk, is_solved=False, now=at("2026-03-02 16:00"))

    assert fresh(ticket).status == S.OPEN
    assert "resolve_first_contact" not in offered(login(clerk).get(detail_url(ticket)))


def test_every_action_form_carries_the_ticket_version(login, clerk):
    ticket = new_ticket(clerk)
    services.ticket_add_note(ticket=ticket, actor=clerk, text="备注", now=at("2026-03-02 10:10"))

    response = login(clerk).get(detail_url(ticket))

    page = response.content.decode()
    version = fresh(ticket).version
    assert version == 2
    assert page.count(f'name="expected_version" value="{version}"') == len(response.context["actions"])


# --- Each action through the view ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verb", "actor", "data", "after"),
    [
        (S.OPEN, "resolve_first_contact", "clerk", {"note": "已当场解答"}, S.RESOLVED),
        (S.HANDED_OFF, "reply", "engineer", {"result": "已远程修复"}, S.REPLIED),
        (S.REPLIED, "request_test", "clerk", {"instructions": "重启后打印测试页"}, S.AWAITING_TEST),
        (S.AWAITING_TEST, "test_result", "clerk", {"result": "fixed", "note": "客户确认"}, S.RESOLVED),
        (S.AWAITING_TEST, "test_result", "clerk", {"result": "not_fixed"}, S.OPEN),
        (S.OPEN, "pause", "clerk", {"reason": "等客户提供发票"}, S.WAITING_CUSTOMER),
        (S.WAITING_CUSTOMER, "resume", "clerk", {}, S.HANDED_OFF),
        (S.REPLIED, "resolve", "clerk", {"resolution": "已告知客户处理结果"}, S.RESOLVED),
        (S.RESOLVED, "close", "clerk", {}, S.CLOSED),
        (S.CLOSED, "reopen", "clerk", {"reason": "问题复现"}, S.OPEN),
    ],
)
def test_each_action_moves_the_ticket(status, verb, actor, data, after, request, login, clerk, engineer):
    ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    user = request.getfixturevalue(actor)
    events = TicketEvent.objects.filter(ticket=ticket).count()

    response = act(login(user), ticket, verb, **data)

    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)
    ticket = fresh(ticket)
    assert ticket.status == after
    assert TicketEvent.objects.filter(ticket=ticket).count() == events + 1
    last = TicketEvent.objects.filter(ticket=ticket).last()
    assert last.actor == user
    for value in data.values():
        if value not in ("fixed", "not_fixed"):
            assert last.note == value


def test_hand_off_to_a_colleague_records_what_the_customer_was_told(login, clerk, engineer):
    ticket = new_ticket(clerk)
    client = login(clerk)

    response = act(
        client,
        ticket,
        "hand_off",
        to_user=engineer.pk,
        callback_phone="13911112222",
        callback_note="下午",
        note="打印机型号 HP M1136",
    )

    assert response.status_code == 302
    ticket = fresh(ticket)
    assert (ticket.status, ticket.assignee, ticket.first_responder) == (S.HANDED_OFF, engineer, clerk)
    event = ticket.events.get(type=E.HANDED_OFF)
    assert (event.data["told_name"], event.data["told_extension"]) == ("李工", "8201")
    assert (ticket.callback_phone, ticket.callback_note) == ("13911112222", "下午")
    page = client.get(response["Location"]).content.decode()
    assert "Handed off. Tell the customer: 李工, extension 8201." in page
    assert "Told the customer: 李工 ext. 8201" in page


def test_hand_off_by_problem_type_with_the_told_name_overridden(login, clerk, tech_dept, tech_head):
    ProblemRoute.objects.create(problem_type=ProblemType.TECHNICAL_QUALITY, department=tech_dept)
    ticket = new_ticket(clerk)

    response = act(
        login(clerk),
        ticket,
        "hand_off",
        problem_type=ProblemType.TECHNICAL_QUALITY,
        told_name="技术支持值班",
        told_extension="8299",
    )

    assert response.status_code == 302
    ticket = fresh(ticket)
    assert (ticket.department, ticket.assignee, ticket.problem_type) == (
        tech_dept,
        tech_head,
        ProblemType.TECHNICAL_QUALITY,
    )
    event = ticket.events.get(type=E.HANDED_OFF)
    assert (event.data["told_name"], event.data["told_extension"]) == ("技术支持值班", "8299")


def test_hand_off_to_a_department_tells_the_customer_its_head(login, clerk, tech_dept, tech_head):
    ticket = new_ticket(clerk)

    response = act(login(clerk), ticket, "hand_off", to_department=tech_dept.pk)

    assert response.status_code == 302
    event = fresh(ticket).events.get(type=E.HANDED_OFF)
    assert (event.data["told_name"], event.data["told_extension"]) == ("张主管", "8200")


def test_hand_off_lists_colleagues_with_department_and_extension(login, clerk, engineer):
    ticket = new_ticket(clerk)

    page = login(clerk).get(detail_url(ticket)).content.decode()

    assert "李工 · 技术支持部 · ext. 8201" in page
    assert '<label for="id_hand_off_to_user">' in page


def test_request_test_shows_the_script_to_read(login, clerk):
    ticket = new_ticket(clerk)
    client = login(clerk)

    page = client.get(detail_url(ticket)).content.decode()
    response = act(client, ticket, "request_test", instructions="重启路由器")
    followed = client.get(response["Location"])

    script = "Please test within 24 hours and call us back with the result."
    assert script in page  # in the form, before asking
    assert fresh(ticket).status == S.AWAITING_TEST
    assert script in followed.content.decode()


def test_escalate_raises_the_priority_and_notifies_the_department_head(login, clerk, engineer, tech_head):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)

    response = act(login(clerk), ticket, "escalate", reason="客户要求服务上移")

    assert response.status_code == 302
    ticket = fresh(ticket)
    assert (ticket.status, ticket.priority, ticket.escalation_level) == (S.HANDED_OFF, Ticket.Priority.HIGH, 1)
    assert tech_head.notifications.filter(ticket=ticket).exists()


def test_pause_then_resume_through_the_page(login, clerk, engineer):
    ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)

    paused = act(login(engineer), ticket, "pause", reason="等客户日志")
    assert fresh(ticket).status == S.WAITING_CUSTOMER
    resumed = act(login(engineer), ticket, "resume", note="日志已收到")

    assert (paused.status_code, resumed.status_code) == (302, 302)
    assert fresh(ticket).status == S.HANDED_OFF


# --- Refusals: nothing written --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "verb", "actor", "data", "field"),
    [
        (S.HANDED_OFF, "reply", "engineer", {"result": "  "}, "result"),
        (S.OPEN, "pause", "clerk", {"reason": ""}, "reason"),
        (S.OPEN, "resolve", "clerk", {"resolution": ""}, "resolution"),
        (S.CLOSED, "reopen", "clerk", {"reason": ""}, "reason"),
        (S.OPEN, "escalate", "clerk", {"reason": ""}, "reason"),
        (S.AWAITING_TEST, "test_result", "clerk", {"note": "没说"}, "result"),
        (S.AWAITING_TEST, "test_result", "clerk", {"result": "maybe"}, "result"),
        (S.OPEN, "hand_off", "clerk", {}, "to_user"),
        (S.OPEN, "hand_off", "clerk", {"to_user": "999999"}, "to_user"),
        (S.OPEN, "hand_off", "clerk", {"problem_type": "weather"}, "problem_type"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_written(
    status, verb, actor, data, field, request, login, clerk, engineer
):
    ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    before = snapshot(ticket)

    response = act(login(request.getfixturevalue(actor)), ticket, verb, **data)

    assert response.status_code == 400
    [form] = [form for form in response.context["actions"] if form.verb == verb]
    assert form.errors.get(field), form.errors
    assert response.context["open_verb"] == verb
    page = response.content.decode()
    assert 'class="errorlist"' in page
    assert f'id="action-{verb}" open' in page
    assert snapshot(ticket) == before


def test_hand_off_with_no_target_says_what_to_choose(login, clerk):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)

    response = act(login(clerk), ticket, "hand_off", told_name="李工")

    assert response.status_code == 400
    assert "Choose a colleague, a department or a problem type." in response.content.decode()
    assert snapshot(ticket) == before


def test_hand_off_to_an_inactive_colleague_is_refused(login, clerk, engineer):
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])
    ticket = new_ticket(clerk)
    before = snapshot(ticket)

    response = act(login(clerk), ticket, "hand_off", to_user=engineer.pk)

    assert response.status_code == 400
    assert "That colleague is not an active staff member; choose another." in response.content.decode()
    colleagues = [str(label) for _value, label in response.context["actions"][0].fields["to_user"].choices]
    assert colleagues and not any("李工" in label for label in colleagues)
    assert snapshot(ticket) == before


def test_hand_off_to_a_department_without_a_head_needs_a_name_to_tell(login, clerk):
    other = StaffFactory(user__username="nobody").department  # a department with no head
    ticket = new_ticket(clerk)
    before = snapshot(ticket)

    response = act(login(clerk), ticket, "hand_off", to_department=other.pk)

    assert response.status_code == 400
    [form] = response.context["actions"][:1]
    assert form.errors["told_name"]
    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    ("status", "verb", "data"),
    [
        (S.OPEN, "close", {}),
        (S.OPEN, "reopen", {"reason": "再开"}),
        (S.RESOLVED, "resolve", {"resolution": "再解决"}),
        (S.CLOSED, "escalate", {"reason": "太慢"}),
    ],
)
def test_a_verb_illegal_in_the_status_is_refused(status, verb, data, login, clerk, engineer):
    ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    before = snapshot(ticket)

    response = act(login(clerk), ticket, verb, **data)

    assert response.status_code == 400
    assert "Cannot" in response.context["page_error"]
    assert 'role="alert"' in response.content.decode()
    assert snapshot(ticket) == before


def test_a_stale_page_gets_a_conflict_and_overwrites_nothing(login, clerk, engineer):
    ticket = new_ticket(clerk)
    seen = fresh(ticket).version
    services.ticket_add_note(ticket=ticket, actor=engineer, text="同事先处理了", now=at("2026-03-02 10:20"))
    before = snapshot(ticket)

    response = act(login(clerk), ticket, "resolve", resolution="已答复", expected_version=seen)

    assert response.status_code == 400
    assert "was changed by someone else" in response.content.decode()
    assert snapshot(ticket) == before
    # What was typed is kept, against the current version: sending again is a deliberate choice.
    [form] = [form for form in response.context["actions"] if form.verb == "resolve"]
    assert form.data["resolution"] == "已答复"
    assert form.data["expected_version"] == str(fresh(ticket).version)


def test_a_form_without_the_version_is_refused(login, clerk):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)

    response = login(clerk).post(action_url(ticket, "escalate"), {"reason": "急"})

    assert response.status_code == 400
    assert "This page is out of date" in response.content.decode()
    assert snapshot(ticket) == before


@pytest.mark.parametrize(
    ("status", "verb", "actor", "data"),
    [
        (S.HANDED_OFF, "reply", "clerk", {"result": "前台代填"}),
        (S.RESOLVED, "close", "engineer", {}),
        (S.HANDED_OFF, "escalate", "finance_user", {"reason": "急"}),
        (S.OPEN, "hand_off", "finance_user", {"to_user": "1"}),
    ],
)
def test_a_verb_outside_the_role_is_forbidden(status, verb, actor, data, request, login, clerk, engineer):
    if status == S.RESOLVED:  # handed to the engineer, who resolved it
        ticket = ticket_in(S.HANDED_OFF, clerk=clerk, engineer=engineer)
        services.ticket_resolve(ticket=ticket, actor=engineer, resolution="已修复", now=at("2026-03-02 15:00"))
    else:
        ticket = ticket_in(status, clerk=clerk, engineer=engineer)
    user = request.getfixturevalue(actor)
    if actor == "finance_user":  # let finance see the ticket: same department
        StaffProfile.objects.filter(user=user).update(department=fresh(ticket).department)
    before = snapshot(ticket)

    response = act(login(user), ticket, verb, **data)

    assert response.status_code == 403
    assert "may not" in response.context["page_error"]
    assert snapshot(ticket) == before


# --- Notes --------------------------------------------------------------------------------


def test_a_note_is_added_to_the_timeline(login, clerk):
    ticket = new_ticket(clerk)

    response = login(clerk).post(
        reverse("desk:ticket_note", kwargs={"reference": ticket.reference}), {"text": "客户下午再来"}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket) + "#timeline"
    note = fresh(ticket).events.get(type=E.NOTE)
    assert (note.note, note.actor) == ("客户下午再来", clerk)
    assert "客户下午再来" in login(clerk).get(detail_url(ticket)).content.decode()


def test_an_empty_note_is_refused(login, clerk):
    ticket = new_ticket(clerk)
    before = snapshot(ticket)

    response = login(clerk).post(reverse("desk:ticket_note", kwargs={"reference": ticket.reference}), {"text": "  "})

    assert response.status_code == 400
    assert response.context["note_form"].errors["text"]
    assert snapshot(ticket) == before


def test_finance_may_add_a_note(login, clerk, finance_user):
    ticket = new_ticket(clerk)
    StaffProfile.objects.filter(user=finance_user).update(department=clerk.staff.department)

    response = login(finance_user).post(
        reverse("desk:ticket_note", kwargs={"reference": ticket.reference}), {"text": "款项已到账"}
    )

    assert response.status_code == 302
    assert fresh(ticket).events.filter(type=E.NOTE, actor=finance_user).exists()


# --- Attachments ----------------------------------------------------------------------------


def attach(client, ticket, **data):
    return client.post(reverse("desk:ticket_attach", kwargs={"reference": ticket.reference}), data)


def test_an_upload_is_kept_listed_and_downloadable(login, clerk, media):
    ticket = new_ticket(clerk)

    response = attach(login(clerk), ticket, file=upload("护照扫描.pdf", b"%PDF-1.4 passport"), note="护照首页")

    assert response.status_code == 302
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.original_name, attachment.size, attachment.uploaded_by) == ("护照扫描.pdf", 17, clerk)
    assert fresh(ticket).events.filter(type=E.ATTACHMENT).exists()
    page = login(clerk).get(detail_url(ticket)).content.decode()
    url = reverse("desk:attachment_download", kwargs={"reference": ticket.reference, "pk": attachment.pk})
    assert url in page and "护照扫描.pdf" in page and "17\xa0bytes" in page
    download = login(clerk).get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 passport"
    assert download["Content-Disposition"].startswith("attachment;")


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (lambda: upload("big.pdf", b"x" * 200), "the largest file accepted is"),
        (lambda: upload("virus.exe", b"MZ", "application/octet-stream"), "is not a file type we keep"),
        (lambda: upload("empty.pdf", b""), "is empty"),
        (lambda: None, "Choose a file to attach."),
    ],
    ids=["too-big", "wrong-type", "empty", "missing"],
)
def test_a_refused_upload_is_a_field_error_and_nothing_is_stored(file, message, login, clerk, media, settings):
    settings.SERVICEDESK = {**settings.SERVICEDESK, "ATTACHMENT_MAX_BYTES": 100}
    ticket = new_ticket(clerk)
    before = snapshot(ticket)
    data = {"note": "材料"}
    if (upload_file := file()) is not None:
        data["file"] = upload_file

    response = attach(login(clerk), ticket, **data)

    assert response.status_code == 400
    assert message in " ".join(response.context["attachment_form"].errors["file"])
    assert message in response.content.decode()
    assert not Attachment.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))
    assert snapshot(ticket) == before


def test_download_of_another_tickets_attachment_is_not_found(login, clerk, outsider, media):
    mine = new_ticket(clerk)
    theirs = new_ticket(outsider)
    attachment = services.ticket_attach_file(ticket=theirs, actor=outsider, upload=upload())

    wrong_ticket = reverse("desk:attachment_download", kwargs={"reference": mine.reference, "pk": attachment.pk})
    not_visible = reverse("desk:attachment_download", kwargs={"reference": theirs.reference, "pk": attachment.pk})

    assert login(clerk).get(wrong_ticket).status_code == 404
    assert login(clerk).get(not_visible).status_code == 404
    assert login(outsider).get(not_visible).status_code == 200


# --- Query budget -----------------------------------------------------------------------------


def _ticket_with_events(clerk, engineer, count: int) -> Ticket:
    ticket = new_ticket(clerk)
    services.ticket_hand_off(ticket=ticket, actor=clerk, to_user=engineer, now=at("2026-03-02 10:30"))
    for i in range(count - 2):
        actor = engineer if i % 2 else clerk
        services.ticket_add_note(ticket=ticket, actor=actor, text=f"跟进 {i}", now=at("2026-03-02 11:00"))
    assert ticket.events.count() == count
    return ticket


def test_the_page_costs_the_same_queries_for_3_or_50_events(login, clerk, engineer, django_assert_max_num_queries):
    small = _ticket_with_events(clerk, engineer, 3)
    large = _ticket_with_events(clerk, engineer, 50)
    client = login(clerk)
    client.get(detail_url(small))  # warm the calendar and session caches

    counts = []
    for ticket in (small, large):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(detail_url(ticket))
        assert response.status_code == 200
        counts.append(len(queries))
    with django_assert_max_num_queries(counts[0]):
        client.get(detail_url(large))

    assert counts[0] == counts[1], counts
    # The session, its user and staff profile (3); the ticket, its first responder and assignee,
    # its timeline and deadlines (4); the complaints that arose from it (1); the phrase book's
    # scripts (1); the department names of the hand-off entries (1); its evaluation and, without
    # one, the latest link (2); the unread notifications of the page frame (1); the colleagues
    # and departments of the hand-off form (2). No attachment on the timeline: no query for them.
    assert counts[0] <= 15


def test_attachments_cost_one_query_and_the_hand_off_lists_every_colleague(login, clerk, engineer, media):
    ticket = _ticket_with_events(clerk, engineer, 3)
    client = login(clerk)
    client.get(detail_url(ticket))
    with CaptureQueriesContext(connection) as queries:
        before = client.get(detail_url(ticket)).content.decode()
    services.ticket_attach_file(ticket=ticket, actor=clerk, upload=upload("发票.pdf"))
    with CaptureQueriesContext(connection) as more:
        after = client.get(detail_url(ticket)).content.decode()

    assert len(more) == len(queries) + 1
    assert "发票.pdf" not in before and "发票.pdf" in after
    for colleague in (clerk, engineer):
        assert f'<option value="{colleague.pk}" data-name="' in after
