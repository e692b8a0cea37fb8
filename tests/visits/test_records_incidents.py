"""Incidents (V6, S7): the record form, who is notified, the two-working-day report deadline on
the business calendar, the typical-case flag and the training archive."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from tests.clock import at
from tests.factories import StaffFactory
from tests.tickets.helpers import T0, new_ticket
from tickets import aftersales
from tickets.calendars import business_calendar_invalidate, calendar_seed
from tickets.deadlines import sla_sweep
from tickets.exceptions import IllegalTransition, InvalidInput, NotPermitted
from tickets.models import Deadline, DeadlineKind, Notification, StaffProfile, Ticket, TicketEvent
from visits import records
from visits.models_records import Incident, IncidentContact, IncidentType

Event = TicketEvent.Type


@pytest.fixture(autouse=True)
def sla_handlers():
    records.register_sla_handlers()


@pytest.fixture
def official_2026(db):
    calendar_seed(years=[2026])
    business_calendar_invalidate()


@pytest.fixture
def office_manager(front_desk_dept):
    return StaffFactory(
        user__username="manager",
        user__first_name="孙主任",
        department=front_desk_dept,
        role=StaffProfile.Role.OFFICE_MANAGER,
    ).user


def visit_at(clerk, now=T0) -> Ticket:
    return new_ticket(clerk, kind=Ticket.Kind.VISIT, channel=Ticket.Channel.WALK_IN, subject="业主投诉到访", now=now)


@pytest.fixture
def visit(clerk):
    return visit_at(clerk)


FORM = {
    "place": "客服中心接待大厅",
    "people_involved": "3栋1201业主王先生一人",
    "description": "业主未预约到访，情绪激动，大声投诉漏水问题。",
    "handling": "客服专员请业主到接待室，倒茶安抚，记录诉求，客服经理到场答复。",
    "people_called": "客服经理赵经理",
}


def record(ticket, actor, *, now=None, type=IncidentType.A, occurred_at=None, **overrides):
    now = now or at("2026-03-02 10:30")
    fields = {**FORM, **overrides}
    return records.incident_record(
        ticket=ticket, actor=actor, type=type, occurred_at=occurred_at or now, now=now, **fields
    )


def report_deadline(ticket) -> Deadline:
    return Deadline.objects.get(ticket=ticket, kind=DeadlineKind.INCIDENT_REPORT)


def report_actions(actions) -> list:
    return [action for action in actions if action.kind == DeadlineKind.INCIDENT_REPORT]


def nothing_written(ticket) -> None:
    assert Incident.objects.count() == 0
    assert not Deadline.objects.filter(kind=DeadlineKind.INCIDENT_REPORT).exists()
    assert not TicketEvent.objects.filter(ticket=ticket, type=Event.INCIDENT_RECORDED).exists()
    assert Notification.objects.count() == 0


# --- Recording -------------------------------------------------------------------------------------


def test_recording_keeps_the_form_notifies_the_default_roles_and_starts_the_report_deadline(
    visit, clerk, supervisor, office_manager
):
    incident = record(visit, clerk, occurred_at=at("2026-03-02 10:05"))

    assert incident.type == IncidentType.A
    assert incident.occurred_at == at("2026-03-02 10:05")
    assert incident.place == FORM["place"] and incident.handling == FORM["handling"]
    assert incident.recorded_by == clerk
    notified = Notification.objects.filter(ticket=visit)
    assert sorted(n.recipient.username for n in notified) == ["manager", "supervisor"]
    assert "Incident A at 客服中心接待大厅" in notified[0].text
    event = TicketEvent.objects.get(ticket=visit, type=Event.INCIDENT_RECORDED)
    assert event.data["incident_type"] == "A"
    assert sorted(event.data["notified"]) == sorted([supervisor.pk, office_manager.pk])
    deadline = report_deadline(visit)
    assert deadline.state == Deadline.State.RUNNING
    assert deadline.due_at == at("2026-03-04 10:30")  # two working days


def test_configured_contacts_replace_the_default(visit, clerk, supervisor, engineer):
    hr = StaffFactory(user__username="hr", user__first_name="人事专员").user
    IncidentContact.objects.create(incident_type=IncidentType.B, user=hr)
    IncidentContact.objects.create(incident_type=IncidentType.C, user=engineer)

    record(visit, clerk, type=IncidentType.B)

    assert [n.recipient for n in Notification.objects.all()] == [hr]


def test_the_recorder_is_not_notified_of_their_own_record(visit, supervisor, clerk):
    record(visit, supervisor)

    assert not Notification.objects.filter(recipient=supervisor).exists()


def test_report_deadline_across_a_weekend(official_2026, clerk):
    thursday = at("2026-03-05 15:00")
    visit = visit_at(clerk, thursday)

    record(visit, clerk, now=thursday)

    assert report_deadline(visit).due_at == at("2026-03-09 15:00")  # Friday, then Monday


def test_report_deadline_counts_a_make_up_saturday_and_skips_the_festival(official_2026, clerk):
    friday = at("2026-02-13 10:00")  # Sat 14 Feb is a make-up workday, then Spring Festival
    visit = visit_at(clerk, friday)

    record(visit, clerk, now=friday)

    assert report_deadline(visit).due_at == at("2026-02-24 10:00")


def test_report_deadline_on_the_make_up_sunday_before_national_day(official_2026, clerk):
    friday = at("2026-09-18 15:00")  # Sun 20 Sep is a make-up workday
    visit = visit_at(clerk, friday)

    record(visit, clerk, now=friday)

    assert report_deadline(visit).due_at == at("2026-09-21 15:00")  # Sunday 20th, then Monday 21st


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "D"}, "type"),
        ({"occurred_at": at("2026-03-02 11:00")}, "occurred_at"),
        ({"place": "  "}, "place"),
        ({"people_involved": ""}, "people_involved"),
        ({"description": ""}, "description"),
        ({"handling": ""}, "handling"),
        ({"place": "x" * 101}, "place"),
    ],
    ids=["unknown type", "in the future", "no place", "no people", "no description", "no handling", "long place"],
)
def test_bad_input_writes_nothing(visit, clerk, supervisor, overrides, field):
    with pytest.raises(InvalidInput) as refused:
        record(visit, clerk, **overrides)

    assert refused.value.field == field
    nothing_written(visit)


def test_one_incident_per_ticket(visit, clerk, supervisor):
    record(visit, clerk)
    Notification.objects.all().delete()

    with pytest.raises(IllegalTransition, match="already has an incident record"):
        record(visit, clerk, type=IncidentType.C)

    assert Incident.objects.get().type == IncidentType.A
    assert Deadline.objects.filter(kind=DeadlineKind.INCIDENT_REPORT).count() == 1
    assert Notification.objects.count() == 0


def test_finance_does_not_record_incidents(visit, clerk, finance_user):
    with pytest.raises(NotPermitted):
        record(visit, finance_user)

    nothing_written(visit)


# --- The report and the sweep ------------------------------------------------------------------------


def test_filing_the_report_meets_the_deadline(visit, clerk, supervisor):
    record(visit, clerk)

    incident = records.incident_file_report(
        ticket=visit,
        actor=clerk,
        result="业主接受维修方案，情绪平复。",
        improvement="提前告知维修进度",
        now=at("2026-03-03 16:00"),
    )

    assert incident.report_filed_at == at("2026-03-03 16:00")
    deadline = report_deadline(visit)
    assert deadline.state == Deadline.State.MET and deadline.breached_at is None
    event = TicketEvent.objects.get(ticket=visit, type=Event.INCIDENT_REPORT_FILED)
    assert event.data["late"] is False
    assert report_actions(sla_sweep(now=at("2026-03-10 10:00"))) == []


def test_an_overdue_report_reminds_the_recorder_and_the_contacts_once(visit, clerk, supervisor):
    record(visit, clerk)
    Notification.objects.all().delete()

    assert report_actions(sla_sweep(now=at("2026-03-04 10:29"))) == []
    Notification.objects.all().delete()  # the visit's own handoff timer
    actions = report_actions(sla_sweep(now=at("2026-03-04 10:31")))
    again = report_actions(sla_sweep(now=at("2026-03-04 10:40")))

    assert [a.action for a in actions] == ["breach"]
    assert "2 people reminded" in actions[0].description
    assert again == []
    assert sorted(n.recipient.username for n in Notification.objects.all()) == ["clerk", "supervisor"]
    assert "the incident report was due at 2026-03-04 10:30" in Notification.objects.first().text
    breaches = TicketEvent.objects.filter(ticket=visit, type=Event.SLA_BREACHED, data__deadline="incident_report")
    assert breaches.count() == 1
    # Filing late still meets it, and says it was late.
    records.incident_file_report(ticket=visit, actor=clerk, result="已处理完毕", now=at("2026-03-05 09:00"))
    assert report_deadline(visit).state == Deadline.State.MET
    assert TicketEvent.objects.get(ticket=visit, type=Event.INCIDENT_REPORT_FILED).data["late"] is True


def test_the_report_needs_a_result_an_incident_and_is_filed_once(visit, clerk, supervisor):
    with pytest.raises(IllegalTransition, match="no incident record yet"):
        records.incident_file_report(ticket=visit, actor=clerk, result="x", now=at("2026-03-02 11:00"))
    record(visit, clerk)
    with pytest.raises(InvalidInput) as refused:
        records.incident_file_report(ticket=visit, actor=clerk, result="  ", now=at("2026-03-02 11:00"))
    assert refused.value.field == "result"
    assert report_deadline(visit).state == Deadline.State.RUNNING
    records.incident_file_report(ticket=visit, actor=clerk, result="已处理", now=at("2026-03-02 11:00"))

    with pytest.raises(IllegalTransition, match="already filed"):
        records.incident_file_report(ticket=visit, actor=clerk, result="再次", now=at("2026-03-02 12:00"))

    assert Incident.objects.get().result == "已处理"


# --- Typical cases ---------------------------------------------------------------------------------


def reported(ticket, actor):
    record(ticket, actor)
    return records.incident_file_report(ticket=ticket, actor=actor, result="已妥善处理", now=at("2026-03-02 15:00"))


def test_a_supervisor_keeps_a_reported_incident_as_a_typical_case(visit, clerk, supervisor):
    reported(visit, clerk)

    incident = records.incident_mark_typical(
        ticket=visit, actor=supervisor, note="示范如何安抚情绪激动的业主", now=at("2026-03-03 09:00")
    )

    assert incident.is_typical and incident.typical_marked_by == supervisor
    event = TicketEvent.objects.get(ticket=visit, type=Event.TYPICAL_CASE)
    assert event.data == {"incident": incident.pk, "is_typical": True}
    assert event.note == "示范如何安抚情绪激动的业主"


def test_typical_case_refusals(visit, clerk, supervisor):
    record(visit, clerk)
    with pytest.raises(NotPermitted):
        records.incident_mark_typical(ticket=visit, actor=clerk, note="x", now=at("2026-03-03 09:00"))
    with pytest.raises(IllegalTransition, match="File the incident report first"):
        records.incident_mark_typical(ticket=visit, actor=supervisor, note="x", now=at("2026-03-03 09:00"))
    records.incident_file_report(ticket=visit, actor=clerk, result="已处理", now=at("2026-03-03 09:00"))
    with pytest.raises(InvalidInput) as refused:
        records.incident_mark_typical(ticket=visit, actor=supervisor, note="", now=at("2026-03-03 09:00"))
    assert refused.value.field == "note"

    assert not Incident.objects.get().is_typical
    assert not TicketEvent.objects.filter(type=Event.TYPICAL_CASE).exists()


def test_a_typical_case_can_be_taken_back(visit, clerk, supervisor):
    reported(visit, clerk)
    records.incident_mark_typical(ticket=visit, actor=supervisor, note="示范", now=at("2026-03-03 09:00"))

    incident = records.incident_mark_typical(
        ticket=visit, actor=supervisor, is_typical=False, now=at("2026-03-03 10:00")
    )

    assert not incident.is_typical and incident.typical_marked_by is None
    assert TicketEvent.objects.filter(type=Event.TYPICAL_CASE).count() == 2


# --- The pages -------------------------------------------------------------------------------------


def incident_url(ticket, name="visits:incident"):
    return reverse(name, kwargs={"reference": ticket.reference})


POST = {
    "type": "C",
    "occurred_at": "2026-03-02T10:00",
    **FORM,
}


def test_the_page_records_files_and_marks_typical(visit, clerk, supervisor, login, settings):
    client = login(clerk)
    assert "Record an incident" in client.get(incident_url(visit)).content.decode()

    # The page's clock is the real one: the incident is in the past.
    response = client.post(incident_url(visit), POST)
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.type == "C" and incident.occurred_at == at("2026-03-02 10:00")
    page = client.get(incident_url(visit)).content.decode()
    assert "File the report" in page and "Supervisors and office managers choose" in page

    response = client.post(
        incident_url(visit, "visits:incident_report"), {"result": "已安排行政部接待", "improvement": ""}
    )
    assert response.status_code == 302
    assert client.post(incident_url(visit, "visits:incident_typical"), {"note": "x"}).status_code == 403

    boss = login(supervisor)
    response = boss.post(incident_url(visit, "visits:incident_typical"), {"note": "媒体突访的标准处理"})
    assert response.status_code == 302
    assert Incident.objects.get().is_typical
    assert "Kept for training" in boss.get(incident_url(visit)).content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"place": ""}, "This field is required."),
        ({"occurred_at": "2099-01-01T10:00"}, "The time of the incident (2099-01-01 10:00) is in the future."),
        ({"occurred_at": "yesterday"}, "Enter a valid date/time."),
        ({"type": "Z"}, "Select a valid choice."),
    ],
    ids=["blank place", "future time", "bad time", "bad type"],
)
def test_the_page_shows_field_errors_and_writes_nothing(visit, clerk, supervisor, login, change, message):
    response = login(clerk).post(incident_url(visit), {**POST, **change})

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'class="field field-error"' in page or "field-choices field-error" in page
    nothing_written(visit)


def test_a_report_without_an_incident_is_a_400(visit, clerk, login):
    response = login(clerk).post(incident_url(visit, "visits:incident_report"), {"result": "x"})

    assert response.status_code == 400
    assert "no incident record yet" in response.content.decode()


def test_the_page_is_a_404_for_a_ticket_the_user_may_not_see(visit, outsider, login):
    client = login(outsider)

    assert client.get(incident_url(visit)).status_code == 404
    assert client.post(incident_url(visit), POST).status_code == 404
    nothing_written(visit)


def test_finance_sees_the_ticket_but_may_not_record(visit, clerk, finance_user, login):
    aftersales.bill_issue(ticket=visit, actor=clerk, amount="100", payment_due=date(2026, 3, 9), now=T0)

    response = login(finance_user).post(incident_url(visit), POST)

    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_the_page_in_chinese(visit, clerk):
    from django.test import Client

    client = Client()
    client.force_login(clerk)

    assert client.get(incident_url(visit)).status_code == 200


# --- The archive -----------------------------------------------------------------------------------


def typical_cases(clerk, supervisor, count: int, type=IncidentType.A):
    for n in range(count):
        ticket = visit_at(clerk, at("2026-03-02 09:00"))
        record(ticket, clerk, type=type, occurred_at=at("2026-03-02 09:00"), place=f"接待室{n}")
        records.incident_file_report(ticket=ticket, actor=clerk, result="已处理", now=at("2026-03-02 15:00"))
        records.incident_mark_typical(ticket=ticket, actor=supervisor, note=f"案例{n}", now=at("2026-03-02 16:00"))


ARCHIVE = "/visits/incidents/typical/"


def test_the_archive_lists_typical_cases_only_filtered_by_type(clerk, supervisor, login):
    typical_cases(clerk, supervisor, 2, IncidentType.A)
    typical_cases(clerk, supervisor, 1, IncidentType.C)
    plain = visit_at(clerk)
    record(plain, clerk, type=IncidentType.A, place="未归档的地点")
    client = login(clerk)

    assert reverse("visits:typical_cases") == ARCHIVE
    page = client.get(ARCHIVE).content.decode()
    only_c = client.get(ARCHIVE, {"type": "C"}).content.decode()

    assert "案例0" in page and "案例1" in page and "未归档的地点" not in page
    assert only_c.count('class="case"') == 1
    assert client.get(ARCHIVE, {"type": "Z"}).status_code == 200


def test_the_archive_pages_twenty_at_a_time(clerk, supervisor, login):
    typical_cases(clerk, supervisor, 23)
    client = login(clerk)

    first = client.get(ARCHIVE).content.decode()
    second = client.get(ARCHIVE, {"page": 2}).content.decode()

    assert first.count('class="case"') == 20
    assert second.count('class="case"') == 3
    assert "2 / 2" in second
    assert client.get(ARCHIVE, {"page": "x"}).status_code == 200


def test_the_archive_is_not_for_finance(finance_user, login):
    assert login(finance_user).get(ARCHIVE).status_code == 403


def test_the_archive_has_a_fixed_query_budget(clerk, supervisor, login, django_assert_max_num_queries):
    client = login(clerk)
    typical_cases(clerk, supervisor, 2)
    with django_assert_max_num_queries(6) as few:
        assert client.get(ARCHIVE).status_code == 200
    typical_cases(clerk, supervisor, 25)
    with django_assert_max_num_queries(6) as many:
        assert client.get(ARCHIVE).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_incident_page_has_a_fixed_query_budget(visit, clerk, supervisor, login, django_assert_max_num_queries):
    reported(visit, clerk)
    client = login(clerk)
    with django_assert_max_num_queries(9):
        assert client.get(incident_url(visit)).status_code == 200
