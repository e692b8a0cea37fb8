"""Reads. Every ticket list and detail goes through `ticket_list_visible` / `ticket_get_visible`,
so the access rule (K1, TicketQuerySet.visible_to) is applied in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.query import prefetch_related_objects

from scripts_lib.models import RequiredDocument, ServiceReminder, ServiceType
from tickets.exceptions import check_choice
from tickets.models import (
    Attachment,
    Bill,
    Category,
    Customer,
    Deadline,
    Department,
    DocumentReturn,
    MaterialCheck,
    MissingMaterialsConfirmation,
    Notification,
    ServiceConfirmation,
    Ticket,
    TicketEvent,
)
from tickets.selectors_search import phone_digits_expression
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


def ticket_list_rows() -> QuerySet[Ticket]:
    """The ticket list's rows as a page shows them: its relations and live deadlines. Unfiltered:
    the caller narrows it to a page of ids picked from the visible tickets (tickets.keyset)."""
    return ticket_prefetch_live_deadlines(Ticket.objects.select_related(*LIST_RELATED))


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


def ticket_event_list(*, ticket: Ticket | int) -> QuerySet[TicketEvent]:
    """The ticket's full record (`ticket`: the ticket or its pk), oldest first, with who did
    each thing."""
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "id")


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


class AmongIds(Func):
    """`column IN (ids)`; on PostgreSQL `column = ANY(ARRAY(ids))`, so that the few ids are read
    first (an InitPlan) and their rows fetched by key. As an IN or EXISTS, the planner may walk
    the list's sort index and probe the subquery per row, hoping to meet matches early: at a
    million tickets whose overdue ones are all old, that read 700,000 rows (0.5 s)."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, ids: QuerySet):
        super().__init__(F(column), Subquery(ids))

    def _sides(self, compiler):
        (column, column_params), (ids, ids_params) = (compiler.compile(e) for e in self.get_source_expressions())
        return column, ids, (*column_params, *ids_params)

    def as_sql(self, compiler, connection, **extra_context):
        column, ids, params = self._sides(compiler)
        return f"{column} IN {ids}", params

    def as_postgresql(self, compiler, connection, **extra_context):
        column, ids, params = self._sides(compiler)
        return f"{column} = ANY(ARRAY{ids})", params


def ticket_overdue_condition(*, now: datetime) -> AmongIds:
    """A ticket with a running deadline that is breached or past its due time. The running
    deadlines are few and read first (on PostgreSQL from the index alone: the partial covering
    index deadline_running_overdue, migration 0018)."""
    overdue = Deadline.objects.filter(state=Deadline.State.RUNNING).filter(
        Q(breached_at__isnull=False) | Q(due_at__lt=now)
    )
    return AmongIds("pk", overdue.order_by().values("ticket_id"))


def ticket_due_soon_condition(*, now: datetime, within: timedelta = DUE_SOON_WITHIN) -> Exists:
    """A ticket with a running deadline, not yet overdue, due within `within` or already warned."""
    return Exists(
        _running_deadlines(
            Q(breached_at__isnull=True, due_at__gte=now) & (Q(due_at__lte=now + within) | Q(warned_at__isnull=False))
        )
    )


def live_deadlines_prefetch() -> Prefetch:
    """`live_deadlines`: running ones by due time first, then paused ones (one query)."""
    live = (
        Deadline.objects.live()
        .annotate(is_paused=Case(When(state=Deadline.State.PAUSED, then=1), default=0))
        .order_by("is_paused", "due_at", "id")
    )
    return Prefetch("deadlines", queryset=live, to_attr="live_deadlines")


def ticket_prefetch_live_deadlines(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Each ticket gets `live_deadlines`: running ones by due time first, then paused ones (one query)."""
    return tickets.prefetch_related(live_deadlines_prefetch())


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
    """`ticket_get_visible` plus everything the ticket page shows: the first responder and the
    assignee with their staff profiles (extensions), and what only some tickets show
    (`_detail_prefetches`). A fixed number of queries however long the timeline.

    The ticket row joins only its customer, call reason (and its parent, which its name shows),
    department and checklist version: with
    the two people and their profiles too, PostgreSQL spent about 3 ms choosing the order of
    nine joins for a row it then read in 0.1 ms (and each join to a kind's own records, the
    visit or the complaint, made it worse); the people come in one query of their own."""
    tickets = list(
        ticket_list_visible(user=user)
        .select_related(None)
        .select_related("customer", "category__parent", "department", "checklist_version")
        .prefetch_related(
            Prefetch("events", queryset=TicketEvent.objects.select_related("actor").order_by("created_at", "id")),
            Prefetch("deadlines", queryset=Deadline.objects.order_by("started_at", "id")),
        )
        .filter(reference=reference)
        .order_by()[:1]  # the reference is unique: nothing to sort
    )
    if not tickets:
        return None
    ticket = tickets[0]
    people = get_user_model().objects.select_related("staff").in_bulk({ticket.first_responder_id, ticket.assignee_id})
    for relation, person_id in (("first_responder", ticket.first_responder_id), ("assignee", ticket.assignee_id)):
        Ticket._meta.get_field(relation).set_cached_value(ticket, people.get(person_id))
    prefetch_related_objects(tickets, *_detail_prefetches(ticket))
    return ticket


def _detail_prefetches(ticket: Ticket) -> list[Prefetch]:
    """What only some tickets show, one query each: the attachments, only if the timeline has
    one (services.ticket_attach_file, their only writer, records an event with each); a
    walk-in's visit (with its host and the staff member serving it); a complaint's own record
    (department, the ticket it arose from), or for any other ticket the complaints that arose
    from it, with their tickets, only if the timeline says one was opened from it
    (complaints.services.complaint_accept records that on the ticket a complaint arises from)."""
    types = {event.type for event in ticket.events.all()}
    attachments = Attachment.objects.select_related("uploaded_by").order_by("uploaded_at", "id")
    if TicketEvent.Type.ATTACHMENT not in types:
        attachments = attachments.none()  # no query
    prefetches = [Prefetch("attachments", queryset=attachments)]
    complaint_model = Ticket.complaint.related.related_model
    if ticket.kind == Ticket.Kind.COMPLAINT:
        queryset = complaint_model.objects.select_related("department", "source_ticket")
        return [*prefetches, Prefetch("complaint", queryset=queryset)]
    complaints = complaint_model.objects.select_related("ticket").order_by("id")
    if TicketEvent.Type.COMPLAINT_OPENED not in types:
        complaints = complaints.none()  # no query
    prefetches.append(Prefetch("complaints", queryset=complaints))
    if ticket.kind == Ticket.Kind.VISIT:
        visit_model = Ticket.visit.related.related_model
        prefetches.append(Prefetch("visit", queryset=visit_model.objects.select_related("host", "staff")))
    return prefetches


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


def department_names(ids) -> dict[int, str]:
    """The names of these departments by id (inactive ones too: old timeline entries name
    them); no query for none."""
    ids = {pk for pk in ids if isinstance(pk, int)}
    return dict(Department.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


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


# --- Materials checklist and service confirmation form (A1, A3) -------------------------------


def material_list_for_ticket(*, ticket: Ticket) -> list[MaterialCheck]:
    """The ticket's checklist in list order, with who checked each document (one query)."""
    return list(MaterialCheck.objects.filter(ticket=ticket).select_related("checked_by").order_by("sort_order", "id"))


def missing_confirmation_list(*, ticket: Ticket) -> list[MissingMaterialsConfirmation]:
    """The customer's written confirmations of missing documents, oldest first (one query)."""
    return list(
        MissingMaterialsConfirmation.objects.filter(ticket=ticket)
        .select_related("recorded_by", "scan")
        .order_by("recorded_at", "id")
    )


def material_blocking_among(
    materials: list[MaterialCheck], confirmations: list[MissingMaterialsConfirmation]
) -> list[MaterialCheck]:
    """The required documents that keep a ticket from moving on (A3), from rows already read.

    Not checked yet; or missing / returned without a written confirmation recorded since they
    became so (a confirmation names the documents it covers, and only covers them as they were
    when it was signed).
    """
    Material = MaterialCheck.State
    blocking = []
    for material in materials:
        if not material.is_required or material.state == Material.RECEIVED:
            continue
        if material.state in (Material.MISSING, Material.RETURNED) and any(
            material.name in confirmation.documents
            and (material.checked_at is None or confirmation.recorded_at >= material.checked_at)
            for confirmation in confirmations
        ):
            continue
        blocking.append(material)
    return blocking


def material_blocking_rows(ticket: Ticket) -> list[MaterialCheck]:
    """The blocking documents of a ticket; one query when nothing required is outstanding
    (every ticket without a checklist), two otherwise."""
    outstanding = list(
        MaterialCheck.objects.filter(ticket=ticket, is_required=True)
        .exclude(state=MaterialCheck.State.RECEIVED)
        .order_by("sort_order", "id")
    )
    if not outstanding:
        return []
    return material_blocking_among(outstanding, list(MissingMaterialsConfirmation.objects.filter(ticket=ticket)))


def material_list_blocking(ticket: Ticket) -> list[str]:
    """Names of the required documents still pending, or missing / returned and not confirmed
    in writing by the customer since: while there are any, the ticket cannot move on."""
    return [material.name for material in material_blocking_rows(ticket)]


def required_document_list_new(*, ticket: Ticket, service_type: ServiceType) -> list[RequiredDocument]:
    """Active documents of the service type's list that the ticket's checklist does not have yet
    (added to the list after the checklist was started)."""
    on_list = MaterialCheck.objects.filter(ticket=ticket)
    return list(
        RequiredDocument.objects.filter(service_type=service_type, is_active=True)
        .exclude(pk__in=on_list.filter(document__isnull=False).values("document_id"))
        .exclude(name__in=on_list.values("name"))
        .order_by("sort_order", "id")
    )


def service_type_list_active() -> QuerySet[ServiceType]:
    return ServiceType.objects.filter(is_active=True).order_by("sort_order", "name")


def material_get(*, ticket: Ticket, pk: int) -> MaterialCheck | None:
    """A document of this ticket's checklist (None for another ticket's)."""
    return MaterialCheck.objects.filter(ticket=ticket, pk=pk).first()


def service_confirmation_get(*, ticket: Ticket) -> ServiceConfirmation | None:
    confirmations = ServiceConfirmation.objects.select_related("service_type", "prepared_by__staff")
    return confirmations.filter(ticket=ticket).first()


def ticket_get_for_materials(*, user, reference: str) -> Ticket | None:
    """The ticket with what the materials panel and the printed form show (customer, service
    type), or None if missing or not visible to the user."""
    return (
        ticket_list_visible(user=user)
        .select_related("service_type", "checklist_version", "first_responder__staff")
        .filter(reference=reference)
        .first()
    )


# --- The new inquiry screen -------------------------------------------------------------------

CUSTOMER_LOOKUP_LIMIT = 8
CUSTOMER_LOOKUP_MIN_DIGITS = 3
CUSTOMER_LOOKUP_OPEN_TICKETS = 5


def phone_digits(value: str) -> str:
    """The ASCII digits of a phone number as typed ("138 0013-8000" -> "13800138000")."""
    return "".join(char for char in value or "" if char in "0123456789")


@dataclass(frozen=True)
class CustomerMatches:
    digits: str
    customers: list[Customer]
    has_more: bool

    @property
    def is_searched(self) -> bool:
        return len(self.digits) >= CUSTOMER_LOOKUP_MIN_DIGITS


def customer_search_by_phone(*, user, phone: str, limit: int = CUSTOMER_LOOKUP_LIMIT) -> CustomerMatches:
    """Customers whose phone or other phone contains the digits typed (at least 3), those
    starting with them first. Each carries `open_tickets`: up to 5 of their open tickets that
    the user may see (K1), newest first. Two queries, whatever the number of rows. On PostgreSQL
    a trigram index on each phone's digits finds them (migration 0017_search_indexes)."""
    digits = phone_digits(phone)
    if len(digits) < CUSTOMER_LOOKUP_MIN_DIGITS:
        return CustomerMatches(digits=digits, customers=[], has_more=False)
    open_tickets = Ticket.objects.visible_to(user).open().order_by("-created_at", "-id")
    rows = list(
        Customer.objects.annotate(
            phone_digits=phone_digits_expression("phone"), phone_alt_digits=phone_digits_expression("phone_alt")
        )
        .filter(Q(phone_digits__contains=digits) | Q(phone_alt_digits__contains=digits))
        .annotate(
            is_prefix=Case(
                When(Q(phone_digits__startswith=digits) | Q(phone_alt_digits__startswith=digits), then=Value(0)),
                default=Value(1),
            )
        )
        .order_by("is_prefix", "name", "pk")
        .prefetch_related(
            Prefetch("tickets", queryset=open_tickets[:CUSTOMER_LOOKUP_OPEN_TICKETS], to_attr="open_tickets")
        )[: limit + 1]
    )
    return CustomerMatches(digits=digits, customers=rows[:limit], has_more=len(rows) > limit)


def reminders_for_service_type(*, service_type: ServiceType | None) -> list[ServiceReminder]:
    """A2: the active special reminders given on every consultation, then the active ones of
    the service type (if any), each group in its admin order."""
    condition = Q(service_type__isnull=True)
    if service_type is not None:
        condition |= Q(service_type=service_type)
    return list(
        ServiceReminder.objects.filter(condition, is_active=True)
        .annotate(is_general=Case(When(service_type__isnull=True, then=Value(0)), default=Value(1)))
        .order_by("is_general", "sort_order", "id")
    )


def service_type_get_active(*, pk) -> ServiceType | None:
    return ServiceType.objects.filter(pk=pk, is_active=True).first()


@dataclass(frozen=True)
class CategoryOption:
    category: Category
    label: str  # the path from the root: "签证 / 材料咨询"
    depth: int


def category_list_active() -> list[CategoryOption]:
    """The call reasons (T4) a clerk may choose, depth first in admin order: active categories
    whose ancestors are all active too. One query, however deep the tree."""
    categories = list(Category.objects.order_by("sort_order", "name", "pk"))
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    options: list[CategoryOption] = []

    def walk(parent_id: int | None, path: str, depth: int) -> None:
        for category in children.get(parent_id, []):
            if not category.is_active:
                continue
            label = f"{path} / {category.name}" if path else category.name
            options.append(CategoryOption(category=category, label=label, depth=depth))
            walk(category.pk, label, depth + 1)

    walk(None, "", 0)
    return options


# --- After-sales: bill, payment, invoice/receipt, document returns (A4, A5) --------------------

_BILL_PEOPLE = ("billed_by", "payment_confirmed_by", "issued_by")


def ticket_get_aftersales(*, ticket: Ticket) -> Ticket:
    """What the after-sales panel shows, in two queries: the ticket row again with its bill (and
    the people on it) and its service confirmation form joined, and its document returns with
    who recorded them and who made the receipt call (`document_returns.all()`, prefetched)."""
    returns = DocumentReturn.objects.select_related("recorded_by", "receipt_checked_by").order_by("recorded_at", "id")
    return (
        Ticket.objects.select_related(*(f"bill__{person}" for person in _BILL_PEOPLE), "service_confirmation")
        .prefetch_related(Prefetch("document_returns", queryset=returns))
        .get(pk=ticket.pk)
    )


def document_return_get(*, ticket: Ticket, pk: int) -> DocumentReturn | None:
    """A document return of this ticket (the caller has already applied the access rule)."""
    return DocumentReturn.objects.filter(ticket=ticket, pk=pk).first()


def _bills_visible(user) -> QuerySet[Bill]:
    return Bill.objects.filter(ticket__in=Ticket.objects.visible_to(user)).select_related(
        "ticket", "ticket__customer", *_BILL_PEOPLE
    )


def bill_list_awaiting_payment(*, user) -> QuerySet[Bill]:
    """Bills finance has not confirmed yet, on tickets the user may see; the earliest due first."""
    return _bills_visible(user).filter(paid_at__isnull=True).order_by("payment_due", "billed_at", "id")


def bill_list_awaiting_document(*, user) -> QuerySet[Bill]:
    """Paid bills still waiting for their invoice or receipt, the longest waiting first."""
    return _bills_visible(user).filter(paid_at__isnull=False, issued_at__isnull=True).order_by("paid_at", "id")
