"""Complaints (C1–C3, S6): accepting, routing, the handling report, the return visit.

A complaint is a ticket of kind `complaint` with a Complaint row beside it; every step records
an event on the ticket and the ticket moves only through tickets.services:
- Anyone accepts a complaint (C1), from scratch or from an existing ticket or visit (linked both
  ways, with an event on each). The promise given to the customer, "we will reply within XX
  hours" (S6), is a COMPLAINT_PROMISE deadline (warned and escalated by the sweep like the
  others); answering the customer (resolving the ticket) meets it.
- Routing (T5): the most specific active ComplaintRoute for the problem type and severity, else
  the ticket app's problem route; the complaint is handed to that department's head.
- The handling report (C3) is written by the handler and approved by the department head.
- A complaint cannot be closed before a return visit with the customer's verdict (satisfied, or
  unreachable); "not satisfied" reopens it and escalates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from complaints.models import Complaint, ComplaintReport, ComplaintRoute, ReturnVisit, Severity
from tickets import deadlines as dl
from tickets import services as ticket_services
from tickets.exceptions import IllegalTransition, InvalidInput, check_choice
from tickets.models import (
    Customer,
    DeadlineKind,
    Department,
    DurationUnit,
    ProblemRoute,
    ProblemType,
    StaffProfile,
    Ticket,
    TicketEvent,
)
from tickets.services import _clean_text, _local, _lock_any, _now, _record, _save, _staff_profile

Event = TicketEvent.Type
Role = StaffProfile.Role
Status = Ticket.Status
Verdict = ReturnVisit.Verdict

MIN_PROMISE_HOURS = Decimal("0.5")
MAX_PROMISE_HOURS = Decimal(720)
# Who may read and write the penalty opinion, and approve a report besides the department head.
OVERSIGHT_ROLES = frozenset({Role.DEPT_HEAD, Role.SUPERVISOR, Role.OFFICE_MANAGER, Role.ADMIN})
CLOSING_VERDICTS = frozenset({Verdict.SATISFIED, Verdict.UNREACHABLE})


def promise_hours_default() -> Decimal:
    """The hours promised when the acceptor does not choose: the complaint-promise policy (an
    SlaPolicy row for complaint tickets), else 24."""
    from tickets.models import SlaPolicy

    policy = (
        SlaPolicy.objects.filter(
            deadline_kind=DeadlineKind.COMPLAINT_PROMISE, is_active=True, category__isnull=True, priority=""
        )
        .exclude(ticket_kind__in=[kind for kind in Ticket.Kind.values if kind != Ticket.Kind.COMPLAINT])
        .order_by("-ticket_kind", "-pk")
        .first()
    )
    if policy is None:
        return dl.DEFAULT_DURATIONS[DeadlineKind.COMPLAINT_PROMISE][0]
    if policy.unit == DurationUnit.CLOCK_MINUTES:
        return (policy.amount / 60).quantize(Decimal("0.1"))
    return policy.amount


def _promise(value) -> Decimal:
    if value is None or value == "":
        return promise_hours_default()
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        hours = None
    if hours is None or not hours.is_finite() or hours != hours.quantize(Decimal("0.1")):
        raise InvalidInput(_("Enter the promised reply time in hours, for example 24 or 2.5."), field="promised_hours")
    if not MIN_PROMISE_HOURS <= hours <= MAX_PROMISE_HOURS:
        raise InvalidInput(
            _("The promised reply time must be between %(min)s and %(max)s hours.")
            % {"min": MIN_PROMISE_HOURS, "max": MAX_PROMISE_HOURS},
            field="promised_hours",
        )
    return hours


def route_for(*, problem_type: str, severity: str) -> Department | None:
    """The department that handles such a complaint: the most specific active rule (a severity
    match beats "any severity"), else the problem route (T5); None if neither applies."""
    rules = ComplaintRoute.objects.select_related("department").filter(
        problem_type=problem_type, is_active=True, department__is_active=True
    )
    for rule in sorted(rules, key=lambda r: r.severity == ""):
        if rule.severity in ("", severity):
            return rule.department
    route = ProblemRoute.objects.select_related("department").filter(problem_type=problem_type).first()
    if route is not None and route.department.is_active:
        return route.department
    return None


def acceptance_script(
    *, hours: Decimal, name: str = "", reference: str = "", channel: str = "", now: datetime | None = None
) -> str:
    """What the acceptor says (S6): the phrase book's complaint-acceptance line with the promised
    hours and the reference filled in (a built-in sentence if the phrase book has none)."""
    from scripts_lib.selectors_phrasebook import script_for

    value = int(hours) if hours == hours.to_integral_value() else float(hours)
    rendered = script_for(
        moment="complaint_acceptance",
        now=_now(now),
        channel=channel,
        kind=Ticket.Kind.COMPLAINT,
        context={"customer_name": name, "hours": value, "reference": reference},
    )
    if rendered is not None:
        return rendered.text
    return _(
        "Thank you for telling us, %(name)s. I have recorded your complaint and passed it to the person "
        "responsible. We will reply within %(hours)s hours."
    ) % {"name": name or _("sir or madam"), "hours": f"{hours.normalize():f}"}


@transaction.atomic
def complaint_accept(
    *,
    actor,
    subject: str,
    description: str,
    problem_type: str,
    severity: str = Severity.MINOR,
    promised_hours=None,
    source_ticket: Ticket | None = None,
    customer: Customer | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    channel: str = Ticket.Channel.PHONE,
    category=None,
    route: bool = True,
    now: datetime | None = None,
) -> Complaint:
    """Accept and record a complaint at once (C1): any member of staff. From an existing ticket
    or visit, the customer and contact come from it and both tickets record the link. The reply
    promised (S6) starts its deadline; with `route`, the complaint goes straight to the head of
    the department the rules name."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("problem_type", problem_type, ProblemType)
    check_choice("severity", severity, Severity)
    hours = _promise(promised_hours)
    description = _clean_text("description", description, _("What the customer complains about"), required=True)
    if source_ticket is not None:
        source_ticket = _lock_any(source_ticket)
        if source_ticket.kind == Ticket.Kind.COMPLAINT:
            raise InvalidInput(
                _("Ticket %(ref)s is itself a complaint: add to it instead.") % {"ref": source_ticket.reference},
                field="source_ticket",
            )
        customer = customer or source_ticket.customer
        contact_name = contact_name or source_ticket.contact_name
        contact_phone = contact_phone or source_ticket.contact_phone
        category = category or source_ticket.category
    ticket = ticket_services.ticket_create(
        actor=actor,
        kind=Ticket.Kind.COMPLAINT,
        channel=channel,
        subject=subject,
        description=description,
        customer=customer,
        contact_name=contact_name,
        contact_phone=contact_phone,
        category=category,
        priority=Ticket.Priority.HIGH if severity != Severity.MINOR else Ticket.Priority.NORMAL,
        problem_type=problem_type,
        now=now,
    )
    complaint = Complaint.objects.create(
        ticket=ticket,
        source_ticket=source_ticket,
        problem_type=problem_type,
        severity=severity,
        promised_hours=hours,
        accepted_by=actor,
        accepted_at=now,
    )
    dl.deadline_start(
        ticket=ticket,
        kind=DeadlineKind.COMPLAINT_PROMISE,
        now=now,
        duration=(hours, DurationUnit.CLOCK_HOURS),
    )
    _record(
        ticket,
        type=Event.NOTE,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=acceptance_script(
            hours=hours, name=ticket.contact_name, reference=ticket.reference, channel=channel, now=now
        ),
        data={"promised_hours": str(hours), "source": source_ticket.reference if source_ticket else None},
    )
    if source_ticket is not None:
        _save(source_ticket, now, [])
        _record(
            source_ticket,
            type=Event.COMPLAINT_OPENED,
            actor=actor,
            now=now,
            status_before=source_ticket.status,
            note=ticket.subject,
            data={"complaint": ticket.reference},
        )
    if route:
        department = route_for(problem_type=problem_type, severity=severity)
        if department is not None and department.head_id is not None and department.head.is_active:
            complaint = complaint_route(complaint=complaint, actor=actor, department=department, now=now)
    return complaint


def _lock_complaint(complaint: Complaint) -> tuple[Complaint, Ticket]:
    ticket = _lock_any(complaint.ticket_id)
    return Complaint.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=complaint.pk), ticket


@transaction.atomic
def complaint_route(*, complaint: Complaint, actor, department: Department | None = None, now=None) -> Complaint:
    """Hand the complaint to the head of the responsible department (by the rules unless
    `department` is given)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    complaint, ticket = _lock_complaint(complaint)
    department = department or route_for(problem_type=complaint.problem_type, severity=complaint.severity)
    if department is None:
        raise InvalidInput(
            _("No rule routes “%(type)s” complaints: choose the department.")
            % {"type": complaint.get_problem_type_display()},
            field="department",
        )
    if department.head_id is None or not department.head.is_active:
        raise InvalidInput(
            _("%(department)s has no active head to take the complaint.") % {"department": department.name},
            field="department",
        )
    ticket_services.ticket_hand_off(
        ticket=ticket,
        actor=actor,
        to_user=department.head,
        note=_("Complaint routed to %(department)s (%(type)s, %(severity)s).")
        % {
            "department": department.name,
            "type": complaint.get_problem_type_display(),
            "severity": complaint.get_severity_display(),
        },
        now=now,
    )
    complaint.department = department
    complaint.routed_to = department.head
    complaint.routed_at = now
    complaint.save(update_fields=["department", "routed_to", "routed_at"])
    return complaint


# --- The handling report (C3) --------------------------------------------------------------------


def may_see_penalty(user) -> bool:
    profile = getattr(user, "staff", None)
    return bool(user.is_superuser or (profile is not None and profile.role in OVERSIGHT_ROLES))


def may_approve(user, complaint: Complaint) -> bool:
    profile = getattr(user, "staff", None)
    if user.is_superuser or (profile is not None and profile.role in OVERSIGHT_ROLES - {Role.DEPT_HEAD}):
        return True
    return complaint.department_id is not None and complaint.department.head_id == user.pk


@transaction.atomic
def complaint_report_save(
    *,
    complaint: Complaint,
    actor,
    investigation: str,
    cause: str,
    corrective_action: str,
    is_upheld: bool,
    staff_involved=(),
    staff_involved_note: str = "",
    penalty_opinion: str = "",
    now: datetime | None = None,
) -> ComplaintReport:
    """Write (or rewrite, until approved) the complaint handling report. The penalty opinion is
    only taken from those who may see it; others keep what is there."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    investigation = _clean_text("investigation", investigation, _("The investigation"), required=True)
    cause = _clean_text("cause", cause, _("The cause"), required=True)
    corrective_action = _clean_text("corrective_action", corrective_action, _("The corrective action"), required=True)
    staff_involved_note = _clean_text("staff_involved_note", staff_involved_note, _("Others involved"), 300)
    penalty_opinion = _clean_text("penalty_opinion", penalty_opinion, _("The penalty opinion"))
    if not isinstance(is_upheld, bool):
        raise InvalidInput(_("Say whether the complaint is upheld."), field="is_upheld")
    complaint, ticket = _lock_complaint(complaint)
    if ticket.status == Status.CLOSED:
        raise IllegalTransition(
            _("Complaint %(ref)s is closed: its report can no longer change.") % {"ref": ticket.reference}
        )
    report = ComplaintReport.objects.select_for_update().filter(complaint=complaint).first()
    if report is not None and report.approved_at is not None:
        raise IllegalTransition(
            _("The report on %(ref)s was approved on %(when)s: it can no longer change.")
            % {"ref": ticket.reference, "when": _local(report.approved_at)}
        )
    if report is None:
        report = ComplaintReport(complaint=complaint)
    report.investigation = investigation
    report.cause = cause
    report.corrective_action = corrective_action
    report.is_upheld = is_upheld
    report.staff_involved_note = staff_involved_note
    if may_see_penalty(actor):
        report.penalty_opinion = penalty_opinion
    report.written_by = actor
    report.written_at = now
    report.save()
    report.staff_involved.set(list(staff_involved))
    complaint.is_upheld = is_upheld
    complaint.save(update_fields=["is_upheld"])
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.COMPLAINT_REPORT,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=cause,
        data={"upheld": is_upheld, "staff_involved": [user.pk for user in staff_involved]},
    )
    return report


@transaction.atomic
def complaint_report_approve(*, complaint: Complaint, actor, now: datetime | None = None) -> ComplaintReport:
    """The department head (or a supervisor, office manager or admin) approves the report."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    complaint, ticket = _lock_complaint(complaint)
    report = ComplaintReport.objects.select_for_update().filter(complaint=complaint).first()
    if report is None:
        raise IllegalTransition(_("Complaint %(ref)s has no handling report yet.") % {"ref": ticket.reference})
    if report.approved_at is not None:
        raise IllegalTransition(_("The report on %(ref)s is already approved.") % {"ref": ticket.reference})
    if not may_approve(actor, complaint):
        raise IllegalTransition(
            _("Only the head of %(department)s, a supervisor or an administrator approves this report.")
            % {"department": complaint.department.name if complaint.department else _("the responsible department")}
        )
    report.approved_by = actor
    report.approved_at = now
    report.save(update_fields=["approved_by", "approved_at"])
    _save(ticket, now, [])
    _record(ticket, type=Event.REPORT_APPROVED, actor=actor, now=now, status_before=ticket.status)
    return report


# --- The return visit and the close gate -------------------------------------------------------


@transaction.atomic
def complaint_return_visit(
    *,
    complaint: Complaint,
    actor,
    verdict: str,
    comment: str = "",
    called_at: datetime | None = None,
    now: datetime | None = None,
) -> ReturnVisit:
    """Record the call back to the customer (回访) once the complaint is answered. Not
    satisfied: the complaint reopens and escalates."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("verdict", verdict, Verdict)
    comment = _clean_text("comment", comment, _("The customer's comment"), 2000)
    called_at = called_at or now
    if called_at.tzinfo is None:
        raise InvalidInput(_("Give the time of the call with its time zone."), field="called_at")
    if called_at > now + timedelta(minutes=5):
        raise InvalidInput(_("The call cannot be in the future."), field="called_at")
    if verdict == Verdict.NOT_SATISFIED and not comment:
        raise InvalidInput(_("Write down what the customer is still not satisfied with."), field="comment")
    complaint, ticket = _lock_complaint(complaint)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        raise IllegalTransition(
            _("Complaint %(ref)s has not been answered yet (“%(status)s”): resolve it before the return visit.")
            % {"ref": ticket.reference, "status": ticket.get_status_display()}
        )
    if called_at < ticket.resolved_at:
        raise InvalidInput(_("The return visit cannot be before the answer."), field="called_at")
    visit = ReturnVisit.objects.create(
        complaint=complaint, called_by=actor, called_at=called_at, verdict=verdict, comment=comment, recorded_at=now
    )
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.RETURN_VISIT,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=comment,
        data={"verdict": verdict, "called_at": called_at.isoformat()},
    )
    if verdict == Verdict.NOT_SATISFIED:
        reason = _("Return visit: the customer is not satisfied. %(comment)s") % {"comment": comment}
        ticket = ticket_services.ticket_reopen(ticket=ticket, actor=actor, reason=reason, now=now)
        ticket_services.ticket_escalate(ticket=ticket, actor=actor, reason=reason, now=now)
    return visit


def complaint_close_gate(ticket: Ticket, *, verb: str) -> None:
    """A complaint closes only after a return visit that found the customer satisfied (or could
    not reach them) since it was last answered."""
    if verb != "close" or ticket.kind != Ticket.Kind.COMPLAINT:
        return
    visits = ReturnVisit.objects.filter(complaint__ticket=ticket, verdict__in=CLOSING_VERDICTS)
    if ticket.resolved_at is not None:
        visits = visits.filter(called_at__gte=ticket.resolved_at)
    if not visits.exists():
        raise IllegalTransition(
            _("Complaint %(ref)s cannot be closed before its return visit (回访) is recorded.")
            % {"ref": ticket.reference}
        )
