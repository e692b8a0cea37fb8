"""Accepting, routing, reporting and the return-visit gate (C1–C3, S6)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from complaints import services
from complaints.models import Complaint, ComplaintReport, ComplaintRoute, ReturnVisit, Severity
from tests.complaints.helpers import T0, accept
from tests.factories import DepartmentFactory, StaffFactory
from tests.tickets.helpers import new_ticket
from tickets import services as ticket_services
from tickets.deadlines import sla_sweep
from tickets.exceptions import IllegalTransition, InvalidInput
from tickets.models import (
    Deadline,
    DeadlineKind,
    Notification,
    ProblemType,
    StaffProfile,
    Ticket,
    TicketEvent,
)

Event = TicketEvent.Type


def test_anyone_accepts_a_complaint_and_the_promise_is_a_deadline(clerk, service_dept):
    complaint = accept(clerk, promised_hours="4")

    ticket = complaint.ticket
    assert ticket.kind == Ticket.Kind.COMPLAINT and ticket.first_responder == clerk
    promise = Deadline.objects.get(ticket=ticket, kind=DeadlineKind.COMPLAINT_PROMISE)
    assert promise.due_at == T0 + timedelta(hours=4)
    script = TicketEvent.objects.filter(ticket=ticket, type=Event.NOTE).get().note
    assert "reply to you within 4 hours" in script and complaint.ticket.reference in script  # the phrase book (S6)
    # Routed at once to the head of customer service (T5).
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.HANDED_OFF, service_dept.head)
    assert complaint.department == service_dept


def test_the_promise_defaults_from_policy(clerk, service_dept):
    assert accept(clerk).promised_hours == Decimal(24)


@pytest.mark.parametrize("hours", ["0", "-3", "1000", "abc", "2.55"])
def test_a_bad_promise_is_refused_and_nothing_written(hours, clerk, service_dept):
    with pytest.raises(InvalidInput) as refused:
        accept(clerk, promised_hours=hours)

    assert refused.value.field == "promised_hours"
    assert not Ticket.objects.exists()


def test_from_an_existing_ticket_both_are_linked(clerk, service_dept):
    source = new_ticket(clerk, subject="宽带报修")

    complaint = accept(clerk, source_ticket=source, contact_name="", contact_phone="")

    assert complaint.source_ticket == source and complaint.ticket.contact_name == "陈先生"
    assert list(source.complaints.all()) == [complaint]
    opened = TicketEvent.objects.get(ticket=source, type=Event.COMPLAINT_OPENED)
    assert opened.data["complaint"] == complaint.ticket.reference


def test_a_severity_rule_beats_the_general_one(clerk, service_dept):
    product = DepartmentFactory(name="产品部", code="product")
    product.head = StaffFactory(staff_no="3001", department=product, role=StaffProfile.Role.DEPT_HEAD).user
    product.save()
    ComplaintRoute.objects.create(
        problem_type=ProblemType.SERVICE_QUALITY, severity=Severity.CRITICAL, department=product
    )

    assert accept(clerk, severity=Severity.CRITICAL).department == product
    assert accept(clerk, severity=Severity.MINOR).department == service_dept


def test_without_a_route_the_complaint_stays_with_the_acceptor(clerk):
    complaint = accept(clerk, problem_type=ProblemType.OTHER)

    assert complaint.department is None and complaint.ticket.status == Ticket.Status.OPEN
    with pytest.raises(InvalidInput, match="choose the department"):
        services.complaint_route(complaint=complaint, actor=clerk, now=T0)


def test_the_promise_is_warned_and_escalated_like_the_others(clerk, service_dept):
    complaint = accept(clerk, promised_hours="10")

    sla_sweep(now=T0 + timedelta(hours=8, minutes=1))
    sla_sweep(now=T0 + timedelta(hours=10, minutes=1))

    assert Notification.objects.filter(recipient=service_dept.head, text__contains="Promised complaint reply").exists()
    assert TicketEvent.objects.filter(ticket=complaint.ticket, type=Event.ESCALATED).count() == 1


def test_answering_meets_the_promise(clerk, service_dept):
    complaint = accept(clerk, promised_hours="10")

    ticket_services.ticket_resolve(
        ticket=complaint.ticket, actor=service_dept.head, resolution="已致歉并更换工程师", now=T0 + timedelta(hours=3)
    )

    promise = Deadline.objects.get(ticket=complaint.ticket, kind=DeadlineKind.COMPLAINT_PROMISE)
    assert promise.state == Deadline.State.MET


def report(complaint, actor, **extra):
    fields = {
        "complaint": complaint,
        "actor": actor,
        "investigation": "调取派工记录并回访工程师",
        "cause": "工程师排班冲突导致迟到",
        "corrective_action": "派工前确认排班，迟到提前致电客户",
        "is_upheld": True,
        "penalty_opinion": "通报批评",
        "now": T0 + timedelta(hours=2),
    }
    fields.update(extra)
    return services.complaint_report_save(**fields)


def test_the_penalty_opinion_is_kept_only_from_those_who_may_see_it(clerk, service_dept):
    complaint = accept(clerk)

    written = report(complaint, clerk)
    assert written.penalty_opinion == ""
    rewritten = report(complaint, service_dept.head)
    assert rewritten.penalty_opinion == "通报批评"
    assert ComplaintReport.objects.count() == 1 and Complaint.objects.get().is_upheld is True


def test_the_department_head_approves_and_then_it_is_final(clerk, service_dept):
    complaint = accept(clerk)
    report(complaint, service_dept.head)

    with pytest.raises(IllegalTransition, match="Only the head"):
        services.complaint_report_approve(complaint=complaint, actor=clerk, now=T0)
    services.complaint_report_approve(complaint=complaint, actor=service_dept.head, now=T0 + timedelta(hours=3))

    with pytest.raises(IllegalTransition, match="approved"):
        report(complaint, service_dept.head)


def resolved(clerk, service_dept) -> Complaint:
    complaint = accept(clerk)
    ticket_services.ticket_resolve(
        ticket=complaint.ticket, actor=service_dept.head, resolution="已处理", now=T0 + timedelta(hours=3)
    )
    return complaint


def test_a_complaint_cannot_close_before_its_return_visit(clerk, service_dept):
    complaint = resolved(clerk, service_dept)

    with pytest.raises(IllegalTransition, match="return visit"):
        ticket_services.ticket_close(ticket=complaint.ticket, actor=clerk, now=T0 + timedelta(hours=4))
    services.complaint_return_visit(
        complaint=complaint, actor=clerk, verdict="satisfied", comment="满意", now=T0 + timedelta(hours=5)
    )
    ticket_services.ticket_close(ticket=complaint.ticket, actor=clerk, now=T0 + timedelta(hours=6))

    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.Status.CLOSED


def test_not_satisfied_reopens_and_escalates(clerk, service_dept):
    complaint = resolved(clerk, service_dept)

    services.complaint_return_visit(
        complaint=complaint, actor=clerk, verdict="not_satisfied", comment="问题依旧", now=T0 + timedelta(hours=5)
    )

    ticket = Ticket.objects.get(pk=complaint.ticket_id)
    assert ticket.status == Ticket.Status.OPEN and ticket.escalation_level == 1
    # The earlier satisfied-looking history does not open the gate: a new answer and visit are needed.
    ticket_services.ticket_resolve(ticket=ticket, actor=clerk, resolution="再次处理", now=T0 + timedelta(hours=7))
    with pytest.raises(IllegalTransition, match="return visit"):
        ticket_services.ticket_close(ticket=ticket, actor=clerk, now=T0 + timedelta(hours=8))


def test_return_visit_refusals_write_nothing(clerk, service_dept):
    complaint = accept(clerk)
    with pytest.raises(IllegalTransition, match="not been answered"):
        services.complaint_return_visit(complaint=complaint, actor=clerk, verdict="satisfied", now=T0)
    complaint = resolved(clerk, service_dept)
    with pytest.raises(InvalidInput):
        services.complaint_return_visit(complaint=complaint, actor=clerk, verdict="angry", now=T0 + timedelta(hours=5))
    with pytest.raises(InvalidInput, match="still not satisfied"):
        services.complaint_return_visit(
            complaint=complaint, actor=clerk, verdict="not_satisfied", now=T0 + timedelta(hours=5)
        )

    assert not ReturnVisit.objects.exists()
