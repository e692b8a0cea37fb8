"""Every write to a ticket: one service per business verb.

Each verb runs in one transaction: it locks the ticket row, checks the move against
TRANSITIONS (an illegal one raises IllegalTransition and writes nothing), optionally checks
the version the caller saw (a stale edit raises Conflict), writes exactly one TicketEvent,
moves the deadlines, and queues side effects with on_commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from scripts_lib import guard
from scripts_lib.checklists import checklist_version_for
from scripts_lib.models import ServiceType
from tickets import deadlines as dl
from tickets import webhooks
from tickets.exceptions import Conflict, IllegalTransition, InvalidInput, check_choice
from tickets.models import (
    Attachment,
    Category,
    Customer,
    Deadline,
    DeadlineKind,
    Department,
    ProblemRoute,
    ProblemType,
    StaffProfile,
    Ticket,
    TicketEvent,
)
from tickets.notifications import notification_create
from tickets.sla import SHANGHAI

Status = Ticket.Status
Event = TicketEvent.Type

# The clocks of answering the question (S1–S3): resolving stops these. A receipt call owed for
# documents sent back (A5) outlives the resolution and ends with its call, or when the ticket closes.
CASE_CLOCKS = (DeadlineKind.HANDOFF, DeadlineKind.REPLY, DeadlineKind.TEST_CALLBACK)
# Answering the customer keeps these promises: resolving meets them.
ANSWER_CLOCKS = (DeadlineKind.REPLY, DeadlineKind.COMPLAINT_PROMISE)

# Checks another app adds before a verb (e.g. a complaint cannot close before its return visit):
# each is called as check(ticket, verb=...) with the ticket locked and raises to refuse.
_VERB_GATES: list[Callable[..., None]] = []


def ticket_gate_register(check: Callable[..., None]) -> None:
    """Let an app refuse a verb on a ticket (called from its AppConfig.ready)."""
    if check not in _VERB_GATES:
        _VERB_GATES.append(check)


OPEN_STATUSES = frozenset(
    {Status.OPEN, Status.HANDED_OFF, Status.REPLIED, Status.AWAITING_TEST, Status.WAITING_CUSTOMER}
)

# The one table of allowed moves: verb -> (statuses it may start from, status it leads to).
# None as target: the verb decides (test result, resume) or keeps the status (escalate).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "resolve_first_contact": (frozenset({Status.OPEN}), Status.RESOLVED),
    "hand_off": (frozenset({Status.OPEN, Status.HANDED_OFF, Status.REPLIED}), Status.HANDED_OFF),
    "reply": (frozenset({Status.HANDED_OFF}), Status.REPLIED),
    "request_test": (frozenset({Status.OPEN, Status.REPLIED}), Status.AWAITING_TEST),
    "test_result": (frozenset({Status.AWAITING_TEST}), None),
    "test_timeout": (frozenset({Status.AWAITING_TEST}), Status.RESOLVED),
    "pause": (frozenset({Status.OPEN, Status.HANDED_OFF, Status.REPLIED}), Status.WAITING_CUSTOMER),
    "resume": (frozenset({Status.WAITING_CUSTOMER}), None),
    "resolve": (frozenset({Status.OPEN, Status.HANDED_OFF, Status.REPLIED}), Status.RESOLVED),
    "close": (frozenset({Status.RESOLVED}), Status.CLOSED),
    "reopen": (frozenset({Status.RESOLVED, Status.CLOSED}), Status.OPEN),
    "escalate": (OPEN_STATUSES, None),
}

VERB_LABELS = {
    "resolve_first_contact": gettext_lazy("resolve at first contact"),
    "hand_off": gettext_lazy("hand off"),
    "reply": gettext_lazy("record the handler's result"),
    "request_test": gettext_lazy("ask the customer to test"),
    "test_result": gettext_lazy("record the test result"),
    "test_timeout": gettext_lazy("close the test window"),
    "pause": gettext_lazy("wait on the customer"),
    "resume": gettext_lazy("resume"),
    "resolve": gettext_lazy("resolve"),
    "close": gettext_lazy("close"),
    "reopen": gettext_lazy("reopen"),
    "escalate": gettext_lazy("escalate"),
}

PRIORITY_LADDER = [Ticket.Priority.LOW, Ticket.Priority.NORMAL, Ticket.Priority.HIGH, Ticket.Priority.URGENT]

FEN = Decimal("0.01")
# Sums of money are stored with 10 digits, 2 after the point (Bill.amount, ServiceConfirmation.fee_amount).
MONEY_LIMIT = Decimal("100000000")


def allowed_verbs(status: str) -> list[str]:
    """The verbs legal from a status (what a page may offer)."""
    return [verb for verb, (sources, _target) in TRANSITIONS.items() if status in sources and verb != "test_timeout"]


# --- Input checks ---------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    if now is None:
        return timezone.now()
    if timezone.is_naive(now):
        raise ValueError("now must be an aware datetime, not a naive one")
    return now


def _staff_profile(user, *, field: str) -> StaffProfile:
    if user is None:
        raise InvalidInput(_("A staff member is required."), field=field)
    profile = _loaded_profile(user)
    if profile is None:
        profile = StaffProfile.objects.select_related("user", "department").filter(user_id=user.pk).first()
    if profile is None:
        raise InvalidInput(
            _("%(user)s has no staff profile (staff number and extension).") % {"user": user.get_username()},
            field=field,
        )
    if not profile.user.is_active:
        raise InvalidInput(_("%(user)s is not an active staff member.") % {"user": profile.display_name}, field=field)
    return profile


def _loaded_profile(user) -> StaffProfile | None:
    """The user's profile with its department when this request already read them together (the
    API key's look-up does): the same row read again a moment later would add only a query."""
    state = getattr(user, "_state", None)
    profile = state.fields_cache.get("staff") if state is not None else None
    if profile is None or "department" not in profile._state.fields_cache:
        return None
    profile._state.fields_cache["user"] = user
    return profile


def _required_text(field: str, value: str, label: str) -> str:
    return _clean_text(field, value, label, required=True)


def _clean_text(
    field: str, value: str | None, label: str, max_length: int | None = None, *, required: bool = False
) -> str:
    """The text stripped; refused when `required` and blank, or longer than `max_length`.
    `label` names the field at the start of a sentence ("The note")."""
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("%(label)s is required.") % {"label": label}, field=field)
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(
            _("%(label)s is too long: at most %(max)s characters (it has %(length)s).")
            % {"label": label, "max": max_length, "length": len(value)},
            field=field,
        )
    return value


def _yuan(field: str, value: Any, noun: str, *, allow_zero: bool = False) -> Decimal:
    """A sum of money in yuan, to the fen, below MONEY_LIMIT. `noun` names it inside a sentence
    ("the amount", "the fee"). More than zero, or with `allow_zero` (a free service) not negative."""
    label = capfirst(noun)
    if value is None or value == "":
        if allow_zero:
            message = _("%(label)s is required (enter 0 if the service is free).")
        else:
            message = _("%(label)s is required.")
        raise InvalidInput(message % {"label": label}, field=field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise InvalidInput(_("Enter %(noun)s in yuan, for example 350 or 350.50.") % {"noun": noun}, field=field)
    if allow_zero and amount < 0:
        raise InvalidInput(_("%(label)s cannot be negative.") % {"label": label}, field=field)
    if not allow_zero and amount <= 0:
        raise InvalidInput(_("%(label)s must be more than zero.") % {"label": label}, field=field)
    if amount != amount.quantize(FEN):
        raise InvalidInput(_("Enter %(noun)s to the fen at most (two decimal places).") % {"noun": noun}, field=field)
    if amount >= MONEY_LIMIT:
        raise InvalidInput(
            _("%(label)s is too large: at most ¥%(max)s.") % {"label": label, "max": MONEY_LIMIT - FEN},
            field=field,
        )
    return amount.quantize(FEN)


def _check_record_may_change(ticket: Ticket, *, record: str, while_resolved: bool = False) -> None:
    """Refuse to change a ticket's side record (`record`: "its materials and service form", "its
    after-sales record") once the ticket is resolved, or with `while_resolved` once it is closed."""
    if ticket.status == Status.CLOSED or (ticket.status == Status.RESOLVED and not while_resolved):
        raise IllegalTransition(
            _("Ticket %(ref)s is “%(status)s”: %(record)s can no longer change. Reopen it first.")
            % {"ref": ticket.reference, "status": ticket.get_status_display(), "record": record}
        )


def _local(value: datetime) -> str:
    """A moment as the desk reads it: Asia/Shanghai, to the minute."""
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _phrases_guard(text: str, *, field: str, actor, override_reason: str) -> dict[str, Any]:
    """P3 on customer-facing text: refuse forbidden phrases (scripts_lib.guard); a supervisor's
    override is returned as event data, `phrase_override`, for the timeline."""
    hits = guard.phrases_guard(text, field=field, actor=actor, override_reason=override_reason)
    if not hits:
        return {}
    return {"phrase_override": guard.phrases_override_data(hits, actor=actor, reason=override_reason.strip())}


# --- Locking, transitions, events -----------------------------------------------------------


def _lock(ticket: Ticket | int, *, verb: str, expected_version: int | None) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    locked = Ticket.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise InvalidInput(_("Ticket %(id)s does not exist.") % {"id": pk}, field="ticket")
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(
            _(
                "Ticket %(ref)s was changed by someone else (version %(current)s, you saw %(seen)s). "
                "Reload it and try again."
            )
            % {"ref": locked.reference, "current": locked.version, "seen": expected_version}
        )
    sources, _target = TRANSITIONS[verb]
    if locked.status not in sources:
        raise IllegalTransition(
            _("Cannot %(verb)s ticket %(ref)s while it is “%(status)s”.")
            % {"verb": VERB_LABELS[verb], "ref": locked.reference, "status": locked.get_status_display()}
        )
    if verb in ("hand_off", "resolve_first_contact", "request_test", "resolve", "close"):
        from tickets.materials import materials_check_gate  # A3: required documents accounted for first

        materials_check_gate(locked, verb=verb)
    for check in _VERB_GATES:
        check(locked, verb=verb)
    return locked


def _record(
    ticket: Ticket,
    *,
    type: str,
    actor,
    now: datetime,
    status_before: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    actor_label: str = "",
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        actor_label=actor_label,
        created_at=now,
        type=type,
        status_before=status_before,
        status_after=ticket.status,
        note=note,
        data=data or {},
    )
    # Webhooks (issue 7): deliveries written in this transaction, sent by Celery after commit.
    names = webhooks.webhook_events_for(event)
    if names:
        webhooks.webhook_deliveries_create(event=event, names=names)
    return event


def _save(ticket: Ticket, now: datetime, fields: list[str]) -> None:
    ticket.version += 1
    ticket.updated_at = now
    ticket.save(update_fields=[*fields, "version", "updated_at"])


def _next_reference(staff_no: str, now: datetime) -> str:
    """T2: YYYYMMDD-<staff no>-<seq>, the date in Asia/Shanghai, seq per staff member per day.

    One atomic upsert takes the next number; the row stays locked until the caller's
    transaction ends, so concurrent creations queue behind it, and a rolled-back creation
    rolls its number back too: no duplicates and no gaps.
    """
    day = now.astimezone(SHANGHAI).date()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tickets_ticketsequence (staff_no, day, last_value) VALUES (%s, %s, 1) "
            "ON CONFLICT (staff_no, day) DO UPDATE SET last_value = tickets_ticketsequence.last_value + 1 "
            "RETURNING last_value",
            [staff_no, day],
        )
        (value,) = cursor.fetchone()
    return f"{day:%Y%m%d}-{staff_no}-{value:03d}"


# --- Customers ----------------------------------------------------------------------------


def customer_create(
    *, actor, name: str, phone: str, phone_alt: str = "", company: str = "", id_number: str = ""
) -> Customer:
    _staff_profile(actor, field="actor")
    customer = Customer(
        name=_required_text("name", name, _("Customer name")),
        phone=_required_text("phone", phone, _("Phone")),
        phone_alt=phone_alt.strip(),
        company=company.strip(),
        id_number=id_number.strip(),
    )
    customer.save()
    return customer


def _checked_reminders(reminders: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """A2: each reminder a {"text": non-empty text, "given": bool}; returned as a clean copy."""
    checked = []
    for reminder in reminders:
        text = reminder.get("text") if isinstance(reminder, dict) else None
        given = reminder.get("given") if isinstance(reminder, dict) else None
        if not isinstance(text, str) or not text.strip() or not isinstance(given, bool):
            raise InvalidInput(
                _("Each special reminder needs its text and whether it was given to the customer."),
                field="reminders",
            )
        checked.append({"text": text.strip(), "given": given})
    return checked


# --- Verbs --------------------------------------------------------------------------------


@transaction.atomic
def ticket_create(
    *,
    actor,
    kind: str,
    channel: str,
    subject: str,
    description: str = "",
    customer: Customer | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    category: Category | None = None,
    priority: str = Ticket.Priority.NORMAL,
    problem_type: str = "",
    service_type: ServiceType | None = None,
    reminders: Sequence[dict[str, Any]] = (),
    now: datetime | None = None,
) -> Ticket:
    """Accept a customer's question: the actor becomes its first responder for good (T1).

    The handoff timer (S1) starts now; resolving at first contact cancels it. The special
    reminders (A2) are kept as given, a copy of each text with whether it was told.
    """
    now = _now(now)
    check_choice("kind", kind, Ticket.Kind)
    check_choice("channel", channel, Ticket.Channel)
    check_choice("priority", priority, Ticket.Priority)
    check_choice("problem_type", problem_type, ProblemType, blank=True)
    subject = _required_text("subject", subject, _("Subject"))
    if category is not None and not category.is_active:
        raise InvalidInput(_("Category “%(name)s” is no longer in use.") % {"name": category}, field="category")
    if service_type is not None and not service_type.is_active:
        raise InvalidInput(
            _("Service type “%(name)s” is no longer in use.") % {"name": service_type.name}, field="service_type"
        )
    reminders = _checked_reminders(reminders)
    profile = _staff_profile(actor, field="actor")
    if customer is not None:
        contact_name = contact_name or customer.name
        contact_phone = contact_phone or customer.phone
    ticket = Ticket(
        reference=_next_reference(profile.staff_no, now),
        kind=kind,
        channel=channel,
        status=Status.OPEN,
        priority=priority,
        problem_type=problem_type,
        customer=customer,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        subject=subject,
        description=description,
        category=category,
        service_type=service_type,
        checklist_version=checklist_version_for(service_type=service_type, now=now) if service_type else None,
        reminders=reminders,
        first_responder=profile.user,
        assignee=profile.user,
        department=profile.department,
        created_at=now,
        updated_at=now,
    )
    ticket.save()
    handoff = dl.deadline_start(ticket=ticket, kind=DeadlineKind.HANDOFF, now=now)
    # A new ticket's live deadlines are the one just started: what selectors.live_deadlines_prefetch
    # would read back, without reading it (the API shows them in its answer).
    ticket.live_deadlines = [handoff] if handoff.state in (Deadline.State.RUNNING, Deadline.State.PAUSED) else []
    _record(
        ticket,
        type=Event.CREATED,
        actor=actor,
        now=now,
        status_before="",
        data={
            "kind": kind,
            "channel": channel,
            "priority": priority,
            "category": category.pk if category else None,
            "service_type": service_type.pk if service_type else None,
            "reminders": reminders,
        },
    )
    return ticket


@transaction.atomic
def ticket_resolve_first_contact(
    *,
    ticket: Ticket,
    actor,
    note: str = "",
    now: datetime | None = None,
    expected_version: int | None = None,
    override_reason: str = "",
) -> Ticket:
    """`note` is the answer given to the customer: the phrase guard checks it (P3)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    data = _phrases_guard(note, field="note", actor=actor, override_reason=override_reason)
    ticket = _lock(ticket, verb="resolve_first_contact", expected_version=expected_version)
    if ticket.handed_off_at is not None:
        raise IllegalTransition(
            _("Ticket %(ref)s was already handed off; resolve it instead.") % {"ref": ticket.reference}
        )
    before = ticket.status
    ticket.status = Status.RESOLVED
    ticket.outcome = Ticket.Outcome.FIRST_CONTACT
    ticket.resolved_at = now
    _save(ticket, now, ["status", "outcome", "resolved_at"])
    dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.COMPLAINT_PROMISE,), now=now)
    dl.deadlines_cancel(ticket=ticket, now=now, kinds=CASE_CLOCKS)
    _record(ticket, type=Event.RESOLVED_FIRST_CONTACT, actor=actor, now=now, status_before=before, note=note, data=data)
    return ticket


def _route(problem_type: str) -> Department:
    route = ProblemRoute.objects.select_related("department").filter(problem_type=problem_type).first()
    if route is None or not route.department.is_active:
        raise InvalidInput(
            _("No active department takes “%(type)s” problems; pick a colleague or a department.")
            % {"type": ProblemType(problem_type).label},
            field="problem_type",
        )
    return route.department


@transaction.atomic
def ticket_hand_off(
    *,
    ticket: Ticket,
    actor,
    to_user=None,
    to_department: Department | None = None,
    problem_type: str = "",
    told_name: str = "",
    told_extension: str = "",
    callback_phone: str = "",
    callback_note: str = "",
    note: str = "",
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Hand the question to a colleague or a department (T1, T5).

    The customer is told a colleague's name and extension (recorded as told: by default the
    colleague's, or the department head's), and their callback details are kept. The
    handoff timer is met and the reply timer (S2) starts, unless one is already running.
    The first responder stays the owner.
    """
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("problem_type", problem_type, ProblemType, blank=True)
    target_profile = _staff_profile(to_user, field="to_user") if to_user is not None else None
    if to_department is not None and not to_department.is_active:
        raise InvalidInput(
            _("Department “%(name)s” is not active.") % {"name": to_department.name}, field="to_department"
        )
    if target_profile is None and to_department is None:
        if not problem_type:
            raise InvalidInput(_("Choose a colleague, a department or a problem type."), field="to_user")
        to_department = _route(problem_type)
    if target_profile is None and to_department.head_id is not None:
        head = to_department.head
        if head.is_active and StaffProfile.objects.filter(user=head).exists():
            target_profile = _staff_profile(head, field="to_department")
    department = to_department or (target_profile.department if target_profile else None)
    told_name = told_name.strip() or (target_profile.display_name if target_profile else "")
    told_extension = told_extension.strip() or (target_profile.extension if target_profile else "")
    if not told_name or not told_extension:
        raise InvalidInput(
            _("Tell the customer a colleague's name and extension: department “%(name)s” has no head to default to.")
            % {"name": department.name if department else "-"},
            field="told_name",
        )

    ticket = _lock(ticket, verb="hand_off", expected_version=expected_version)
    before = ticket.status
    previous = {"assignee": ticket.assignee_id, "department": ticket.department_id}
    ticket.status = Status.HANDED_OFF
    ticket.assignee = target_profile.user if target_profile else None
    ticket.department = department
    ticket.handed_off_at = ticket.handed_off_at or now
    if problem_type:
        ticket.problem_type = problem_type
    if callback_phone.strip():
        ticket.callback_phone = callback_phone.strip()
    if callback_note.strip():
        ticket.callback_note = callback_note.strip()
    _save(
        ticket,
        now,
        ["status", "assignee", "department", "handed_off_at", "problem_type", "callback_phone", "callback_note"],
    )
    dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.HANDOFF,), now=now)
    if not dl.deadline_has_live(ticket=ticket, kind=DeadlineKind.REPLY):
        dl.deadline_start(ticket=ticket, kind=DeadlineKind.REPLY, now=now)
    _record(
        ticket,
        type=Event.HANDED_OFF,
        actor=actor,
        now=now,
        status_before=before,
        note=note,
        data={
            "from": previous,
            "to_user": ticket.assignee_id,
            "to_department": department.pk if department else None,
            "problem_type": problem_type,
            "told_name": told_name,
            "told_extension": told_extension,
            "callback_phone": ticket.callback_phone,
            "callback_note": ticket.callback_note,
        },
    )
    if ticket.assignee is not None and ticket.assignee_id != actor.pk:
        notification_create(
            recipient=ticket.assignee,
            ticket=ticket,
            now=now,
            text=_("%(ref)s handed to you: %(subject)s") % {"ref": ticket.reference, "subject": ticket.subject},
        )
    return ticket


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    actor,
    result: str,
    now: datetime | None = None,
    expected_version: int | None = None,
    override_reason: str = "",
) -> Ticket:
    """The handler returns the result to the desk (T5, S2): the reply timer is met. The desk
    passes the result on to the customer, so the phrase guard checks it (P3)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    result = _required_text("result", result, _("The handler's result"))
    data = _phrases_guard(result, field="result", actor=actor, override_reason=override_reason)
    ticket = _lock(ticket, verb="reply", expected_version=expected_version)
    before = ticket.status
    ticket.status = Status.REPLIED
    _save(ticket, now, ["status"])
    dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.REPLY,), now=now)
    _record(ticket, type=Event.REPLIED, actor=actor, now=now, status_before=before, note=result, data=data)
    if ticket.first_responder_id != actor.pk:
        notification_create(
            recipient=ticket.first_responder,
            ticket=ticket,
            now=now,
            text=_("%(ref)s: the handler replied; answer the customer.") % {"ref": ticket.reference},
        )
    return ticket


@transaction.atomic
def ticket_request_test(
    *, ticket: Ticket, actor, instructions: str = "", now: datetime | None = None, expected_version: int | None = None
) -> Ticket:
    """S3: the customer tests and reports within 24 hours; silence counts as solved."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock(ticket, verb="request_test", expected_version=expected_version)
    before = ticket.status
    ticket.status = Status.AWAITING_TEST
    _save(ticket, now, ["status"])
    # The desk is working the problem with the customer: no handoff is pending meanwhile.
    dl.deadlines_cancel(ticket=ticket, now=now, kinds=(DeadlineKind.HANDOFF,))
    deadline = dl.deadline_start(ticket=ticket, kind=DeadlineKind.TEST_CALLBACK, now=now)
    _record(
        ticket,
        type=Event.TEST_REQUESTED,
        actor=actor,
        now=now,
        status_before=before,
        note=instructions,
        data={"report_by": deadline.due_at.isoformat()},
    )
    return ticket


@transaction.atomic
def ticket_record_test_result(
    *,
    ticket: Ticket,
    actor,
    is_solved: bool,
    note: str = "",
    now: datetime | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """The customer reported: solved (resolved, customer-confirmed) or not (back to the desk)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock(ticket, verb="test_result", expected_version=expected_version)
    before = ticket.status
    dl.deadlines_meet(ticket=ticket, kinds=(DeadlineKind.TEST_CALLBACK,), now=now)
    if is_solved:
        ticket.status = Status.RESOLVED
        ticket.outcome = Ticket.Outcome.CUSTOMER_CONFIRMED
        ticket.resolved_at = now
    else:
        ticket.status = Status.OPEN
    _save(ticket, now, ["status", "outcome", "resolved_at"])
    if not is_solved and ticket.handed_off_at is None:
        # Back at the desk unsolved: the desk has 2 working hours again to hand it on (S1).
        dl.deadline_start(ticket=ticket, kind=DeadlineKind.HANDOFF, now=now)
    _record(
        ticket,
        type=Event.TEST_RESULT,
        actor=actor,
        now=now,
        status_before=before,
        note=note,
        data={"is_solved": is_solved},
    )
    return ticket


@transaction.atomic
def ticket_pause(
    *, ticket: Ticket, actor, reason: str, now: datetime | None = None, expected_version: int | None = None
) -> Ticket:
    """Waiting on the customer: the clocks stop and keep the working time they had left."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    reason = _required_text("reason", reason, _("What we are waiting for"))
    ticket = _lock(ticket, verb="pause", expected_version=expected_version)
    before = ticket.status
    ticket.status_before_pause = before
    ticket.status = Status.WAITING_CUSTOMER
    _save(ticket, now, ["status", "status_before_pause"])
    paused = dl.deadlines_pause(ticket=ticket, now=now)
    _record(
        ticket,
        type=Event.PAUSED,
        actor=actor,
        now=now,
        status_before=before,
        note=reason,
        data={"deadlines": {d.kind: str(d.remaining) for d in paused}},
    )
    return ticket


@transaction.atomic
def ticket_resume(
    *, ticket: Ticket, actor, note: str = "", now: datetime | None = None, expected_version: int | None = None
) -> Ticket:
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock(ticket, verb="resume", expected_version=expected_version)
    before = ticket.status
    ticket.status = ticket.status_before_pause or Status.OPEN
    ticket.status_before_pause = ""
    _save(ticket, now, ["status", "status_before_pause"])
    resumed = dl.deadlines_resume(ticket=ticket, now=now)
    _record(
        ticket,
        type=Event.RESUMED,
        actor=actor,
        now=now,
        status_before=before,
        note=note,
        data={"deadlines": {d.kind: d.due_at.isoformat() for d in resumed}},
    )
    return ticket


@transaction.atomic
def ticket_resolve(
    *,
    ticket: Ticket,
    actor,
    resolution: str,
    now: datetime | None = None,
    expected_version: int | None = None,
    override_reason: str = "",
) -> Ticket:
    """The desk has answered the customer: solved. The answer (a complaint's answer too) passes
    the phrase guard (P3)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    resolution = _required_text("resolution", resolution, _("The answer given to the customer"))
    data = _phrases_guard(resolution, field="resolution", actor=actor, override_reason=override_reason)
    ticket = _lock(ticket, verb="resolve", expected_version=expected_version)
    before = ticket.status
    ticket.status = Status.RESOLVED
    ticket.outcome = Ticket.Outcome.RESOLVED
    ticket.resolved_at = now
    _save(ticket, now, ["status", "outcome", "resolved_at"])
    dl.deadlines_meet(ticket=ticket, kinds=ANSWER_CLOCKS, now=now)
    dl.deadlines_cancel(ticket=ticket, now=now, kinds=CASE_CLOCKS)
    _record(ticket, type=Event.RESOLVED, actor=actor, now=now, status_before=before, note=resolution, data=data)
    return ticket


@transaction.atomic
def ticket_close(
    *, ticket: Ticket, actor, note: str = "", now: datetime | None = None, expected_version: int | None = None
) -> Ticket:
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock(ticket, verb="close", expected_version=expected_version)
    before = ticket.status
    ticket.status = Status.CLOSED
    ticket.closed_at = now
    _save(ticket, now, ["status", "closed_at"])
    dl.deadlines_cancel(ticket=ticket, now=now)
    _record(ticket, type=Event.CLOSED, actor=actor, now=now, status_before=before, note=note)
    return ticket


@transaction.atomic
def ticket_reopen(
    *, ticket: Ticket, actor, reason: str, now: datetime | None = None, expected_version: int | None = None
) -> Ticket:
    """The problem is back: the ticket returns to the desk and the handoff timer starts again."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    reason = _required_text("reason", reason, _("Why the ticket is reopened"))
    ticket = _lock(ticket, verb="reopen", expected_version=expected_version)
    before = ticket.status
    ticket.status = Status.OPEN
    ticket.outcome = ""
    ticket.resolved_at = None
    ticket.closed_at = None
    _save(ticket, now, ["status", "outcome", "resolved_at", "closed_at"])
    dl.deadline_start(ticket=ticket, kind=DeadlineKind.HANDOFF, now=now)
    _record(ticket, type=Event.REOPENED, actor=actor, now=now, status_before=before, note=reason)
    return ticket


def _escalation_recipients(ticket: Ticket) -> list:
    """The department head of the ticket's department, else every active supervisor."""
    department = ticket.department
    if department is not None and department.head_id is not None and department.head.is_active:
        return [department.head]
    User = get_user_model()
    return list(User.objects.filter(is_active=True, staff__role=StaffProfile.Role.SUPERVISOR).order_by("pk"))


def _raise_priority(ticket: Ticket) -> tuple[str, str]:
    before = ticket.priority
    index = PRIORITY_LADDER.index(before)
    ticket.priority = PRIORITY_LADDER[min(index + 1, len(PRIORITY_LADDER) - 1)]
    return before, ticket.priority


def _escalate(ticket: Ticket, *, actor, actor_label: str, now: datetime, reason: str, data: dict) -> list:
    before_status = ticket.status
    priority_before, priority_after = _raise_priority(ticket)
    ticket.escalation_level += 1
    _save(ticket, now, ["priority", "escalation_level"])
    recipients = _escalation_recipients(ticket)
    _record(
        ticket,
        type=Event.ESCALATED,
        actor=actor,
        actor_label=actor_label,
        now=now,
        status_before=before_status,
        note=reason,
        data={
            **data,
            "level": ticket.escalation_level,
            "priority_before": priority_before,
            "priority_after": priority_after,
            "notified": [user.pk for user in recipients],
        },
    )
    for user in recipients:
        notification_create(
            recipient=user,
            ticket=ticket,
            now=now,
            text=_("Escalated %(ref)s (level %(level)s): %(reason)s")
            % {"ref": ticket.reference, "level": ticket.escalation_level, "reason": reason},
        )
    return recipients


@transaction.atomic
def ticket_escalate(
    *, ticket: Ticket, actor, reason: str, now: datetime | None = None, expected_version: int | None = None
) -> Ticket:
    """Raise priority one step and call in the department head (or a supervisor)."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    reason = _required_text("reason", reason, _("The reason for escalating"))
    ticket = _lock(ticket, verb="escalate", expected_version=expected_version)
    _escalate(ticket, actor=actor, actor_label="", now=now, reason=reason, data={"source": "manual"})
    return ticket


# --- Notes, attachments and the next shift's review (not status moves) -------------------


def _lock_any(ticket: Ticket | int) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    locked = Ticket.objects.select_for_update().filter(pk=pk).first()
    if locked is None:
        raise InvalidInput(_("Ticket %(id)s does not exist.") % {"id": pk}, field="ticket")
    return locked


EDITABLE_FIELDS = ("subject", "description", "category", "priority")


@transaction.atomic
def ticket_update(
    *, ticket: Ticket, actor, changes: dict[str, Any], now: datetime | None = None, expected_version: int | None = None
) -> Ticket:
    """Correct a ticket's details (subject, description, call reason, priority) while it is open;
    one event records the old and new values. Nothing changes when nothing differs."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise InvalidInput(
            _("%(fields)s cannot be edited; only %(allowed)s.")
            % {"fields": ", ".join(unknown), "allowed": ", ".join(EDITABLE_FIELDS)},
            field=unknown[0],
        )
    if "subject" in changes:
        changes["subject"] = _required_text("subject", changes["subject"], _("Subject"))
    if "priority" in changes:
        check_choice("priority", changes["priority"], Ticket.Priority)
    category = changes.get("category")
    if category is not None and not category.is_active:
        raise InvalidInput(_("Category “%(name)s” is no longer in use.") % {"name": category}, field="category")
    ticket = _lock_any(ticket)
    if expected_version is not None and ticket.version != expected_version:
        raise Conflict(
            _(
                "Ticket %(ref)s was changed by someone else (version %(current)s, you saw %(seen)s). "
                "Reload it and try again."
            )
            % {"ref": ticket.reference, "current": ticket.version, "seen": expected_version}
        )
    if ticket.status not in OPEN_STATUSES:
        raise IllegalTransition(
            _("Ticket %(ref)s is “%(status)s”: reopen it before editing.")
            % {"ref": ticket.reference, "status": ticket.get_status_display()}
        )
    moves = {}
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old != value:
            moves[name] = {
                "old": old.pk if name == "category" and old else old,
                "new": value.pk if name == "category" and value else value,
            }
            setattr(ticket, name, value)
    if not moves:
        return ticket
    _save(ticket, now, list(moves))
    _record(ticket, type=Event.EDITED, actor=actor, now=now, status_before=ticket.status, data={"changes": moves})
    return ticket


@transaction.atomic
def ticket_add_note(*, ticket: Ticket, actor, text: str, now: datetime | None = None) -> TicketEvent:
    """An internal note on the timeline; allowed in every status. Forbidden phrases only warn:
    they are kept in the event's data as `phrase_hits` for the page to point out."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    text = _required_text("text", text, _("The note"))
    hits = guard.phrases_check(text)
    ticket = _lock_any(ticket)
    _save(ticket, now, [])
    data = {"phrase_hits": guard.phrases_hits_data(hits)} if hits else None
    return _record(ticket, type=Event.NOTE, actor=actor, now=now, status_before=ticket.status, note=text, data=data)


def _human_size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(size // 1024, 1)} KB"


@transaction.atomic
def ticket_attach_file(*, ticket: Ticket, actor, upload, note: str = "", now: datetime | None = None) -> Attachment:
    """Keep an uploaded file with the ticket, within the size and type limits."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    if upload is None:
        raise InvalidInput(_("Choose a file to attach."), field="file")
    limits = settings.SERVICEDESK
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in limits["ATTACHMENT_EXTENSIONS"]:
        raise InvalidInput(
            _("“%(name)s” is not a file type we keep; allowed: %(allowed)s.")
            % {"name": upload.name, "allowed": ", ".join(limits["ATTACHMENT_EXTENSIONS"])},
            field="file",
        )
    if upload.size > limits["ATTACHMENT_MAX_BYTES"]:
        raise InvalidInput(
            _("“%(name)s” is %(size)s; the largest file accepted is %(limit)s.")
            % {
                "name": upload.name,
                "size": _human_size(upload.size),
                "limit": _human_size(limits["ATTACHMENT_MAX_BYTES"]),
            },
            field="file",
        )
    if upload.size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": upload.name}, field="file")
    ticket = _lock_any(ticket)
    attachment = Attachment(
        ticket=ticket,
        original_name=upload.name[:255],
        content_type=getattr(upload, "content_type", "") or "",
        size=upload.size,
        uploaded_by=actor,
        uploaded_at=now,
    )
    attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    _save(ticket, now, [])
    _record(
        ticket,
        type=Event.ATTACHMENT,
        actor=actor,
        now=now,
        status_before=ticket.status,
        note=note,
        data={"attachment": attachment.pk, "name": attachment.original_name, "size": attachment.size},
    )
    return attachment


@transaction.atomic
def ticket_mark_reviewed(*, ticket: Ticket, actor, note: str = "", now: datetime | None = None) -> Ticket:
    """T6: the current shift has looked at a record left open from an earlier day."""
    now = _now(now)
    _staff_profile(actor, field="actor")
    ticket = _lock_any(ticket)
    if not ticket.is_open:
        raise IllegalTransition(
            _("Ticket %(ref)s is already “%(status)s”; there is nothing to review.")
            % {"ref": ticket.reference, "status": ticket.get_status_display()}
        )
    ticket.reviewed_at = now
    _save(ticket, now, ["reviewed_at"])
    _record(ticket, type=Event.REVIEWED, actor=actor, now=now, status_before=ticket.status, note=note)
    return ticket


# --- Called by the SLA sweep (the ticket row is already locked) ---------------------------


def ticket_sla_warn(*, ticket: Ticket, deadline: Deadline, now: datetime) -> None:
    """Deadline near: tell the person who must act, and record it."""
    handler = dl.kind_handler(deadline.kind)
    if handler is not None:
        if handler.warn is not None:
            handler.warn(ticket=ticket, deadline=deadline, now=now)
        return
    if deadline.kind == DeadlineKind.RECEIPT_CALLBACK:
        # The desk's own call to confirm a parcel arrived (A5): remind the first responder.
        from tickets.aftersales import receipt_callback_remind

        receipt_callback_remind(ticket=ticket, deadline=deadline, now=now, breached=False)
        return
    # The handler owes the reply and the complaint's answer; the desk owes the rest.
    recipient = ticket.assignee if deadline.kind in ANSWER_CLOCKS else ticket.first_responder
    recipient = recipient or ticket.first_responder
    _record(
        ticket,
        type=Event.SLA_WARNING,
        actor=None,
        actor_label="sla",
        now=now,
        status_before=ticket.status,
        data={"deadline": deadline.kind, "due_at": deadline.due_at.isoformat(), "notified": [recipient.pk]},
    )
    notification_create(
        recipient=recipient,
        ticket=ticket,
        now=now,
        text=_("%(ref)s: %(deadline)s due at %(due)s")
        % {
            "ref": ticket.reference,
            "deadline": deadline.get_kind_display(),
            "due": _local(deadline.due_at),
        },
    )


def ticket_sla_breach(*, ticket: Ticket, deadline: Deadline, now: datetime) -> str:
    """Deadline passed. Test callback: counted solved. Receipt call: the first responder is
    reminded, nobody else is called in. A kind another app registered: its handler. Others:
    escalate. Returns what was done."""
    handler = dl.kind_handler(deadline.kind)
    if handler is not None:
        return handler.breach(ticket=ticket, deadline=deadline, now=now)
    if deadline.kind == DeadlineKind.RECEIPT_CALLBACK:
        from tickets.aftersales import receipt_callback_remind

        return receipt_callback_remind(ticket=ticket, deadline=deadline, now=now, breached=True)
    if deadline.kind == DeadlineKind.TEST_CALLBACK:
        if ticket.status not in TRANSITIONS["test_timeout"][0]:
            return _("nothing to do: ticket is “%(status)s”") % {"status": ticket.get_status_display()}
        before = ticket.status
        ticket.status = Status.RESOLVED
        ticket.outcome = Ticket.Outcome.TEST_TIMEOUT
        ticket.resolved_at = now
        _save(ticket, now, ["status", "outcome", "resolved_at"])
        dl.deadlines_cancel(ticket=ticket, now=now, kinds=CASE_CLOCKS)
        _record(
            ticket,
            type=Event.TEST_TIMEOUT,
            actor=None,
            actor_label="sla",
            now=now,
            status_before=before,
            note=str(Ticket.Outcome.TEST_TIMEOUT.label),
            data={"due_at": deadline.due_at.isoformat()},
        )
        return str(Ticket.Outcome.TEST_TIMEOUT.label)
    recipients = _escalate(
        ticket,
        actor=None,
        actor_label="sla",
        now=now,
        reason=_("%(deadline)s missed (due %(due)s)")
        % {
            "deadline": deadline.get_kind_display(),
            "due": _local(deadline.due_at),
        },
        data={"source": "sla", "deadline": deadline.kind, "due_at": deadline.due_at.isoformat()},
    )
    names = ", ".join(user.get_username() for user in recipients) or "-"
    return _("escalated to level %(level)s, priority %(priority)s, notified %(names)s") % {
        "level": ticket.escalation_level,
        "priority": ticket.get_priority_display(),
        "names": names,
    }


# --- The new inquiry screen: a whole call in one transaction ---------------------------------


class InquiryOutcome(TextChoices):
    """How a call taken at the desk ends."""

    RESOLVE = "resolve", gettext_lazy("Resolved now")
    HAND_OFF = "hand_off", gettext_lazy("Hand off")
    KEEP_OPEN = "keep_open", gettext_lazy("Keep open")


def _customer_phone_called_from(customer: Customer, typed: str) -> str:
    """The number a known customer calls from: their own number (or other number) that the
    digits typed belong to (the clerk typed a part of it to find them), else the number typed
    in full (a call from a number not on record)."""
    digits = "".join(char for char in typed if char in "0123456789")
    for phone in (customer.phone, customer.phone_alt):
        if digits and digits in "".join(char for char in phone if char in "0123456789"):
            return phone
    return typed


@transaction.atomic
def inquiry_take(
    *,
    actor,
    outcome: str,
    channel: str,
    subject: str,
    category: Category | None,
    description: str = "",
    customer: Customer | None = None,
    new_customer: dict[str, str] | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    service_type: ServiceType | None = None,
    reminders: Sequence[dict[str, Any]] = (),
    answer: str = "",
    to_user=None,
    to_department: Department | None = None,
    problem_type: str = "",
    told_name: str = "",
    told_extension: str = "",
    callback_phone: str = "",
    callback_note: str = "",
    handoff_note: str = "",
    now: datetime | None = None,
) -> Ticket:
    """Take a customer's call or visit in one go (T1, T4, T5, A2).

    The caller is an existing `customer`, a `new_customer` (name, phone, company, id_number;
    created with customer_create, name and phone defaulting to the caller's), or contact
    details only. The ticket records the question, its call reason (required) and the special
    reminders as given; then the question is resolved now (with the answer given), handed
    off (the callback phone defaulting to the caller's), or kept open on the actor's desk.

    One transaction: a refusal at any step writes nothing at all, not even the customer.
    """
    now = _now(now)
    _staff_profile(actor, field="actor")
    check_choice("outcome", outcome, InquiryOutcome)
    if category is None:
        raise InvalidInput(_("Choose the call reason: every contact is counted by it."), field="category")
    if customer is not None and new_customer is not None:
        raise InvalidInput(_("Choose a customer found by phone or a new customer, not both."), field="customer")
    contact_phone = contact_phone.strip()
    if customer is None and new_customer is None and not contact_phone:
        raise InvalidInput(
            _("The caller's phone is required when the call is not linked to a customer record."),
            field="contact_phone",
        )
    if outcome == InquiryOutcome.RESOLVE:
        answer = _required_text("answer", answer, _("The answer given to the customer"))
    if outcome == InquiryOutcome.HAND_OFF and to_user is None and to_department is None and not problem_type:
        raise InvalidInput(_("Choose a colleague, a department or a problem type."), field="to_user")

    if customer is not None and contact_phone:
        contact_phone = _customer_phone_called_from(customer, contact_phone)
    if new_customer is not None:
        details = {
            **new_customer,
            "name": new_customer.get("name", "").strip() or contact_name,
            "phone": new_customer.get("phone", "").strip() or contact_phone,
        }
        try:
            customer = customer_create(actor=actor, **details)
        except InvalidInput as error:
            raise InvalidInput(error.message, field=f"new_{error.field}") from error
    ticket = ticket_create(
        actor=actor,
        kind=Ticket.Kind.INQUIRY,
        channel=channel,
        subject=subject,
        description=description,
        customer=customer,
        contact_name=contact_name,
        contact_phone=contact_phone,
        category=category,
        service_type=service_type,
        reminders=reminders,
        now=now,
    )
    if outcome == InquiryOutcome.RESOLVE:
        ticket = ticket_resolve_first_contact(ticket=ticket, actor=actor, note=answer, now=now)
    elif outcome == InquiryOutcome.HAND_OFF:
        ticket = ticket_hand_off(
            ticket=ticket,
            actor=actor,
            to_user=to_user,
            to_department=to_department,
            problem_type=problem_type,
            told_name=told_name,
            told_extension=told_extension,
            callback_phone=callback_phone.strip() or ticket.contact_phone,
            callback_note=callback_note,
            note=handoff_note,
            now=now,
        )
    return ticket
