"""Reads. Every ticket list and detail goes through `ticket_list_visible` / `ticket_get_visible`,
so the access rule (K1, TicketQuerySet.visible_to) is applied in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, When, Window

from tickets.exceptions import check_choice
from tickets.models import Attachment, Customer, Deadline, Department, Notification, Ticket, TicketEvent
from tickets.sla import SHANGHAI

LIST_RELATED = ("customer", "category", "department", "first_responder", "assignee")


def ticket_list_visible(
    *, user, status: str | None = None, kind: str | None = None, channel: str | None = None
) -> QuerySet[Ticket]:
    """Tickets the user may see, optionally narrowed; an unknown filter value is an error."""
    tickets = Ticket.objects.visible_to(user).select_related(*LIST_RELATED)
    for field, value, choices in (
        ("status", status, Ticket.Status),
        ("kind", kind, Ticket.Kind),
        ("channel", channel, Ticket.Channel),
    ):
        if value is not None:
            tickets = tickets.filter(**{field: check_choice(field, value, choices)})
    return tickets


def ticket_get_visible(*, user, reference: str) -> Ticket | None:
    """The ticket with its timeline and deadlines, or None if missing or not visible."""
    return (
        ticket_list_visible(user=user)
        .prefetch_related(
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor").order_by("created_at", "id")),
            Prefetch("deadlines", queryset=Deadline.objects.order_by("started_at", "id")),
        )
        .filter(reference=reference)
        .first()
    )


def deadline_list_for_ticket(*, ticket: Ticket) -> QuerySet[Deadline]:
    return Deadline.objects.filter(ticket=ticket).order_by("started_at", "id")


def notification_list_unread(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, is_read=False).select_related("ticket")


def notification_count_unread(*, user) -> int:
    return Notification.objects.filter(recipient=user, is_read=False).count()


# --- My desk and the ticket list (issue 3) --------------------------------------------------

DESK_PANEL_LIMIT = 50
DESK_NOTIFICATION_LIMIT = 20
DUE_SOON_WITHIN = timedelta(hours=2)


def _running_deadlines(now_filter: Q | None = None) -> QuerySet[Deadline]:
    rows = Deadline.objects.filter(ticket=OuterRef("pk"), state=Deadline.State.RUNNING)
    return rows.filter(now_filter) if now_filter is not None else rows


def ticket_overdue_condition(*, now: datetime) -> Exists:
    """A ticket with a running deadline that is breached or past its due time."""
    return Exists(_running_deadlines(Q(breached_at__isnull=False) | Q(due_at__lt=now)))


def ticket_due_soon_condition(*, now: datetime, within: timedelta = DUE_SOON_WITHIN) -> Exists:
    """A ticket with a running deadline, not yet overdue, due within `within` or already warned."""
    return Exists(
        _running_deadlines(
            Q(breached_at__isnull=True, due_at__gte=now) & (Q(due_at__lte=now + within) | Q(warned_at__isnull=False))
        )
    )


def ticket_prefetch_live_deadlines(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket gets `live_deadlines`: running ones by due time first, then paused ones (one query)."""
    live = (
        Deadline.objects.live()
        .annotate(is_paused=Case(When(state=Deadline.State.PAUSED, then=1), default=0))
        .order_by("is_paused", "due_at", "id")
    )
    return tickets.prefetch_related(Prefetch("deadlines", queryset=live, to_attr="live_deadlines"))


def _with_next_due(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.annotate(next_due_at=Subquery(_running_deadlines().order_by("due_at").values("due_at")[:1]))


def _by_next_due(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return _with_next_due(tickets).order_by(F("next_due_at").asc(nulls_last=True), "-created_at", "-id")


def ticket_list_open_first_responded(*, user) -> QuerySet[Ticket]:
    """My open tickets as first responder (T1), the nearest deadline first."""
    return _by_next_due(ticket_list_visible(user=user).open().filter(first_responder=user))


def ticket_list_open_assigned(*, user) -> QuerySet[Ticket]:
    """My open tickets as assignee, where someone else is the first responder."""
    return _by_next_due(ticket_list_visible(user=user).open().filter(assignee=user).exclude(first_responder=user))


def ticket_list_due_soon(*, user, now: datetime, within: timedelta = DUE_SOON_WITHIN) -> QuerySet[Ticket]:
    """Visible open tickets with a running deadline due within `within` (or warned), not yet overdue."""
    return _by_next_due(ticket_list_visible(user=user).open().filter(ticket_due_soon_condition(now=now, within=within)))


def ticket_list_overdue(*, user, now: datetime) -> QuerySet[Ticket]:
    """Visible open tickets with a running deadline breached or past due, the longest overdue first."""
    return _by_next_due(ticket_list_visible(user=user).open().filter(ticket_overdue_condition(now=now)))


def day_start(now: datetime) -> datetime:
    """Midnight (Asia/Shanghai) of the day `now` falls on."""
    return now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)


def ticket_list_to_review(*, user, now: datetime) -> QuerySet[Ticket]:
    """T6: records left open from an earlier day that this shift has not reviewed yet today.

    Open tickets the user may see, of the user's department or first responded by them,
    created before today (Asia/Shanghai) and not reviewed since today began; oldest first.
    """
    today = day_start(now)
    profile = getattr(user, "staff", None)
    mine = Q(first_responder=user)
    if profile is not None and profile.department_id is not None:
        mine |= Q(department_id=profile.department_id)
    return _with_next_due(
        ticket_list_visible(user=user)
        .open()
        .filter(mine, created_at__lt=today)
        .filter(Q(reviewed_at__isnull=True) | Q(reviewed_at__lt=today))
    ).order_by("created_at", "id")


def ticket_find_visible(*, user, reference: str) -> Ticket | None:
    """The ticket (without its timeline), or None if missing or not visible to the user."""
    return ticket_list_visible(user=user).filter(reference=reference).first()


def notification_list_recent(*, user, limit: int = DESK_NOTIFICATION_LIMIT) -> list[Notification]:
    """The user's latest notifications, unread ones first."""
    rows = Notification.objects.filter(recipient=user).select_related("ticket")
    return list(rows.order_by("is_read", "-created_at", "-id")[:limit])


@dataclass(frozen=True)
class TicketPanel:
    tickets: list[Ticket]
    total: int

    @property
    def has_more(self) -> bool:
        return self.total > len(self.tickets)


def _panel(tickets: QuerySet[Ticket], limit: int) -> TicketPanel:
    # The window count rides along with the rows: one query for the rows and their total.
    rows = list(ticket_prefetch_live_deadlines(tickets.annotate(panel_total=Window(Count("pk"))))[:limit])
    return TicketPanel(tickets=rows, total=rows[0].panel_total if rows else 0)


@dataclass(frozen=True)
class DeskOverview:
    overdue: TicketPanel
    due_soon: TicketPanel
    to_review: TicketPanel
    first_responded: TicketPanel
    assigned: TicketPanel
    notifications: list[Notification]


def desk_overview(*, user, now: datetime, limit: int = DESK_PANEL_LIMIT) -> DeskOverview:
    """Everything on my desk, in a fixed number of queries whatever the number of rows."""
    return DeskOverview(
        overdue=_panel(ticket_list_overdue(user=user, now=now), limit),
        due_soon=_panel(ticket_list_due_soon(user=user, now=now), limit),
        to_review=_panel(ticket_list_to_review(user=user, now=now), limit),
        first_responded=_panel(ticket_list_open_first_responded(user=user), limit),
        assigned=_panel(ticket_list_open_assigned(user=user), limit),
        notifications=notification_list_recent(user=user),
    )


# --- The ticket page and the customer page ----------------------------------------------------


def ticket_get_detail(*, user, reference: str) -> Ticket | None:
    """`ticket_get_visible` plus everything the ticket page shows: the staff profiles of the
    first responder and assignee (extensions), the customer's primary contact, and the
    attachments with their uploaders. A fixed number of queries however long the timeline."""
    return (
        ticket_list_visible(user=user)
        .select_related("first_responder__staff", "assignee__staff", "customer__primary_contact__staff")
        .prefetch_related(
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor").order_by("created_at", "id")),
            Prefetch("deadlines", queryset=Deadline.objects.order_by("started_at", "id")),
            Prefetch(
                "attachments", queryset=Attachment.objects.select_related("uploaded_by").order_by("uploaded_at", "id")
            ),
        )
        .filter(reference=reference)
        .first()
    )


def ticket_event_latest(*, ticket: Ticket, type: str) -> TicketEvent | None:
    return TicketEvent.objects.filter(ticket=ticket, type=type).order_by("-created_at", "-id").first()


def staff_list_for_handoff() -> QuerySet:
    """Active users with a staff profile: the colleagues a ticket can be handed to."""
    return (
        get_user_model()
        .objects.filter(is_active=True, staff__isnull=False)
        .select_related("staff", "staff__department")
        .order_by("staff__department__name", "first_name", "username")
    )


def department_list_active() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("name")


def department_names() -> dict[int, str]:
    """Every department's name by id (inactive ones too: old timeline entries name them)."""
    return dict(Department.objects.values_list("pk", "name"))


def attachment_get_visible(*, user, reference: str, pk: int) -> Attachment | None:
    """An attachment of a ticket the user may see, or None (K1: same rule as the ticket)."""
    return (
        Attachment.objects.filter(ticket__in=Ticket.objects.visible_to(user), ticket__reference=reference, pk=pk)
        .select_related("ticket")
        .first()
    )


def customer_get(*, pk: int) -> Customer | None:
    return Customer.objects.select_related("primary_contact__staff__department").filter(pk=pk).first()


def ticket_list_for_customer(*, user, customer: Customer) -> QuerySet[Ticket]:
    """The customer's tickets the user may see, newest first."""
    return ticket_list_visible(user=user).filter(customer=customer).order_by("-created_at", "-id")
