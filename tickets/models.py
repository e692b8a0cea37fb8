"""The shared ticket and everything recorded about it.

Business rules live in services.py; this module holds fields, constraints and cheap
predicates on a model's own fields.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.querysets import DeadlineQuerySet, TicketEventQuerySet, TicketQuerySet


class Department(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("department head"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="headed_departments",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    class Role(models.TextChoices):
        FRONT_DESK = "front_desk", _("Front desk")
        HANDLER = "handler", _("Handler")
        DEPT_HEAD = "dept_head", _("Department head")
        SUPERVISOR = "supervisor", _("Supervisor")
        FINANCE = "finance", _("Finance")
        OFFICE_MANAGER = "office_manager", _("Office manager")
        ADMIN = "admin", _("Administrator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff"
    )
    staff_no = models.CharField(
        _("staff number"),
        max_length=20,
        unique=True,
        help_text=_("Letters and digits only; part of every reference number this person issues."),
    )
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.FRONT_DESK)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        constraints = [
            models.CheckConstraint(condition=Q(staff_no__regex=r"^[A-Za-z0-9]+$"), name="staffprofile_staff_no_alnum"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.staff_no})"

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def sees_all_tickets(self) -> bool:
        return self.role in {self.Role.SUPERVISOR, self.Role.OFFICE_MANAGER, self.Role.ADMIN}


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30, db_index=True)
    phone_alt = models.CharField(_("other phone"), max_length=30, blank=True, db_index=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    id_number = models.CharField(
        _("ID number"), max_length=30, blank=True, help_text=_("Stored, but shown masked everywhere.")
    )
    primary_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("primary contact"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="primary_customers",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.name} {self.phone}"

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


def mask_id_number(value: str) -> str:
    """Keep the first 3 and last 4 characters of a long ID number, the last 4 of a short one."""
    if len(value) <= 4:
        return "*" * len(value)
    head = value[:3] if len(value) > 7 else ""
    return f"{head}{'*' * (len(value) - len(head) - 4)}{value[-4:]}"


class Category(models.Model):
    """Call reason (T4): an admin-editable tree."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "name"]
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent")]

    def __str__(self) -> str:
        return f"{self.parent} / {self.name}" if self.parent_id else self.name


class ProblemType(models.TextChoices):
    """T5: how an unsolved problem is routed."""

    SALES_BUSINESS = "sales_business", _("Sales / business")
    TECHNICAL_QUALITY = "technical_quality", _("Technical quality")
    SERVICE_QUALITY = "service_quality", _("Service quality")
    OTHER = "other", _("Other")


class ProblemRoute(models.Model):
    """T5: which department takes a problem of each type (admin-editable)."""

    problem_type = models.CharField(_("problem type"), max_length=30, choices=ProblemType.choices, unique=True)
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("problem route")
        verbose_name_plural = _("problem routes")

    def __str__(self) -> str:
        return f"{self.get_problem_type_display()} → {self.department}"


class Ticket(models.Model):
    class Kind(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        VISIT = "visit", _("Walk-in visit")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")
        AFTER_SALES = "after_sales", _("After-sales")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        WALK_IN = "walk_in", _("Walk-in")
        ONLINE = "online", _("Online")
        HOTLINE = "hotline", _("Hotline")
        API = "api", _("API")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        HANDED_OFF = "handed_off", _("Handed off")
        REPLIED = "replied", _("Handler replied")
        AWAITING_TEST = "awaiting_test", _("Awaiting customer test")
        WAITING_CUSTOMER = "waiting_customer", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Outcome(models.TextChoices):
        FIRST_CONTACT = "first_contact", _("Resolved at first contact")
        RESOLVED = "resolved", _("Resolved")
        CUSTOMER_CONFIRMED = "customer_confirmed", _("Customer confirmed after test")
        TEST_TIMEOUT = "test_timeout", _("No test report in 24 h — counted solved")

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    problem_type = models.CharField(_("problem type"), max_length=30, choices=ProblemType.choices, blank=True)

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    callback_phone = models.CharField(_("callback phone"), max_length=30, blank=True)
    callback_note = models.CharField(_("callback time / note"), max_length=200, blank=True)

    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    service_type = models.ForeignKey(
        "scripts_lib.ServiceType",
        verbose_name=_("service type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )  # The version of the service type's lists (A2, A3) the ticket was served from.
    checklist_version = models.ForeignKey(
        "scripts_lib.ChecklistVersion",
        verbose_name=_("checklist version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    # The special reminders (A2) shown for this ticket, as given: [{"text": ..., "given": bool}].
    reminders = models.JSONField(_("special reminders"), default=list, blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )

    first_responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first responder"),
        on_delete=models.PROTECT,
        related_name="first_responded_tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    status_before_pause = models.CharField(max_length=20, choices=Status.choices, blank=True, editable=False)
    # Optimistic concurrency: every service bumps it; a caller holding an older value gets a conflict.
    version = models.PositiveIntegerField(default=1, editable=False)
    # T6: when the next shift last reviewed this open record (also an event on the timeline).
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), db_index=True)
    handed_off_at = models.DateTimeField(_("handed off at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "department"], name="ticket_status_dept"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
            models.Index(fields=["first_responder", "status"], name="ticket_responder_status"),
            # The workload dashboard: open tickets per assignee, tickets resolved and handed off
            # in a period (docs/dashboards-workload.md).
            models.Index(
                fields=["assignee", "department"],
                condition=~Q(status__in=["resolved", "closed"]),
                name="ticket_open_assignee",
            ),
            models.Index(fields=["resolved_at"], condition=Q(resolved_at__isnull=False), name="ticket_resolved_at"),
            models.Index(
                fields=["handed_off_at"], condition=Q(handed_off_at__isnull=False), name="ticket_handed_off_at"
            ),
            # The ticket list's keyset pages (tickets.keyset): one index per sort order, scanned
            # either way (newest or oldest first); created_at has its own (db_index) and the
            # reference its unique one. The last key, the id, breaks ties on the page boundary.
            models.Index(fields=["-updated_at", "-id"], name="ticket_updated_id"),
            # A department's or an assignee's tickets, newest first (the list's filters).
            models.Index(fields=["department", "-created_at", "-id"], name="ticket_dept_created"),
            models.Index(fields=["assignee", "-created_at", "-id"], name="ticket_assignee_created"),
            # By priority: the rank expression of tickets.filters.PRIORITY_RANK (low 0 … urgent 3).
            models.Index(
                models.Case(
                    *(
                        models.When(priority=value, then=models.Value(rank))
                        for rank, value in enumerate(("low", "normal", "high", "urgent"))
                    ),
                    output_field=models.IntegerField(),
                ),
                "created_at",
                "id",
                name="ticket_priority_rank",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status not in {self.Status.RESOLVED, self.Status.CLOSED}


class TicketSequence(models.Model):
    """Last sequence number issued per staff member per (Asia/Shanghai) day (T2)."""

    staff_no = models.CharField(max_length=20)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["staff_no", "day"], name="ticketsequence_staff_day")]

    def __str__(self) -> str:
        return f"{self.day:%Y%m%d}-{self.staff_no}: {self.last_value}"


class TicketEvent(models.Model):
    """The append-only record of everything done to a ticket (T3)."""

    class Type(models.TextChoices):
        CREATED = "created", _("Accepted")
        RESOLVED_FIRST_CONTACT = "resolved_first_contact", _("Resolved at first contact")
        HANDED_OFF = "handed_off", _("Handed off")
        REPLIED = "replied", _("Handler result recorded")
        TEST_REQUESTED = "test_requested", _("Customer test requested")
        TEST_RESULT = "test_result", _("Customer test result")
        TEST_TIMEOUT = "test_timeout", _("No test report in 24 h")
        PAUSED = "paused", _("Waiting on customer")
        RESUMED = "resumed", _("Resumed")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")
        ESCALATED = "escalated", _("Escalated")
        SLA_WARNING = "sla_warning", _("Deadline near")
        SLA_BREACHED = "sla_breached", _("Deadline breached")
        DEADLINES_RECOMPUTED = "deadlines_recomputed", _("Deadlines recomputed")
        NOTE = "note", _("Note")
        ATTACHMENT = "attachment", _("Attachment added")
        REVIEWED = "reviewed", _("Reviewed by the next shift")
        MATERIALS_CHECKED = "materials_checked", _("Materials checked")
        MISSING_CONFIRMED = "missing_confirmed", _("Missing materials confirmed in writing")
        CONFIRMATION_FORM = "confirmation_form", _("Service confirmation form saved")
        BILLED = "billed", _("Bill issued")
        PAYMENT_CONFIRMED = "payment_confirmed", _("Payment confirmed by finance")
        RECEIPT_ISSUED = "receipt_issued", _("Invoice or receipt issued")
        CUSTOMER_NOTIFIED = "customer_notified", _("Customer notified")
        DOCUMENTS_RETURNED = "documents_returned", _("Documents returned")
        RECEIPT_CALLBACK = "receipt_callback", _("Receipt confirmation call")
        # Walk-in visits (issue 4): reception, queue and the 3-minute rules (V1–V3, S4, S5).
        VISIT_CALLED = "visit_called", _("Visitor called to the counter")
        VISIT_SERVING = "visit_serving", _("Service started")
        VISIT_TRANSFERRED = "visit_transferred", _("Visitor transferred to a colleague")
        VISIT_FINISHED = "visit_finished", _("Visit finished")
        WAIT_ALERT = "wait_alert", _("Visitor waiting too long")
        TAKEN_OVER = "taken_over", _("Taken over by a colleague")
        LADDER_CALLED = "ladder_called", _("Called in: not yet clear")
        LADDER_ACKNOWLEDGED = "ladder_acknowledged", _("Call-in acknowledged")
        HOST_NOTIFIED = "host_notified", _("Person visited notified")
        HOST_ACKNOWLEDGED = "host_acknowledged", _("Person visited acknowledged")
        HOST_FALLBACK = "host_fallback", _("Fallback contact notified")
        MESSAGE_TAKEN = "message_taken", _("Message taken for an absent colleague")
        MESSAGE_HANDLED = "message_handled", _("Message handled")
        # Counter business (V4), ID copies (V5), incidents (V6).
        COUNTER_BUSINESS = "counter_business", _("Counter business recorded")
        PERMIT_ISSUED = "permit_issued", _("Renovation permit issued")
        PAYMENT_TAKEN = "payment_taken", _("Payment taken at the front desk")
        INVOICE_DELIVERED = "invoice_delivered", _("Invoice delivered")
        REPAIR_DISPATCHED = "repair_dispatched", _("Repair dispatched to engineering")
        REPAIR_RESCHEDULED = "repair_rescheduled", _("Repair visit rescheduled")
        REPAIR_REFERRED = "repair_referred", _("Repair referred elsewhere")
        OWNER_CONFIRMED = "owner_confirmed", _("Owner's confirmation recorded")
        RELEASE_REFUSED = "release_refused", _("Release slip refused")
        RELEASE_ISSUED = "release_issued", _("Release slip issued")
        ID_COPY_STORED = "id_copy_stored", _("ID copy stored with its watermark")
        INCIDENT_RECORDED = "incident_recorded", _("Incident recorded")
        INCIDENT_REPORT_FILED = "incident_report_filed", _("Incident report filed")
        TYPICAL_CASE = "typical_case", _("Marked as a typical case")
        # Complaints, suggestions and evaluations (issue 5, C1–C5).
        COMPLAINT_OPENED = "complaint_opened", _("Complaint opened from this ticket")
        COMPLAINT_REPORT = "complaint_report", _("Complaint handling report saved")
        REPORT_APPROVED = "report_approved", _("Complaint handling report approved")
        RETURN_VISIT = "return_visit", _("Return visit recorded")
        SUGGESTION_DECIDED = "suggestion_decided", _("Suggestion decided")
        EVALUATION_LINK = "evaluation_link", _("Evaluation link issued")
        EVALUATION_RECORDED = "evaluation_recorded", _("Customer evaluation recorded")
        # Details edited (subject, description, call reason, priority), old and new in the data.
        EDITED = "edited", _("Details edited")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who acted when it was not a person: "system", "sla", "api:<client>".
    actor_label = models.CharField(_("actor label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("time"))
    type = models.CharField(_("type"), max_length=40, choices=Type.choices)
    status_before = models.CharField(_("status before"), max_length=20, choices=Ticket.Status.choices, blank=True)
    status_after = models.CharField(_("status after"), max_length=20, choices=Ticket.Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    objects = TicketEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_time")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {timezone.localtime(self.created_at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        # Append-only (T3): a stored event is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise EventImmutableError(_("Ticket events are append-only and cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise EventImmutableError(_("Ticket events are append-only and cannot be deleted."))


class EventImmutableError(Exception):
    pass


class Attachment(models.Model):
    """A file kept with a ticket (a scan, a photo, a signed confirmation)."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class MaterialCheck(models.Model):
    """One document of a ticket's materials checklist (A3), copied from the service type's list."""

    class State(models.TextChoices):
        PENDING = "pending", _("Not checked yet")
        RECEIVED = "received", _("Received")
        MISSING = "missing", _("Missing")
        RETURNED = "returned", _("Returned to the customer")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="materials")
    document = models.ForeignKey(
        "scripts_lib.RequiredDocument",
        verbose_name=_("document"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("document"), max_length=200)
    note = models.CharField(_("requirements"), max_length=300, blank=True)
    is_required = models.BooleanField(_("required"), default=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "name"], name="uniq_material_per_ticket"),
        ]

    def __str__(self) -> str:
        return self.name


class MissingMaterialsConfirmation(models.Model):
    """The customer's written confirmation that required documents are missing (A3): a typed name
    with a tick, or an uploaded signed scan."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="missing_confirmations"
    )
    documents = models.JSONField(_("documents"), default=list)
    signed_name = models.CharField(_("customer's name as signed"), max_length=100, blank=True)
    is_confirmed = models.BooleanField(_("customer confirmed"), default=False)
    scan = models.ForeignKey(
        Attachment,
        verbose_name=_("signed scan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("missing materials confirmation")
        verbose_name_plural = _("missing materials confirmations")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return ", ".join(self.documents)


class ServiceConfirmation(models.Model):
    """The service confirmation form (咨询服务确认表, A1) agreed with the customer."""

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="service_confirmation"
    )
    service_type = models.ForeignKey(
        "scripts_lib.ServiceType", verbose_name=_("service type"), on_delete=models.PROTECT, related_name="+"
    )
    estimated_time = models.CharField(_("estimated service time"), max_length=100)
    fee_amount = models.DecimalField(_("fees (yuan)"), max_digits=10, decimal_places=2)
    fee_covers = models.CharField(_("what the fee covers"), max_length=300, blank=True)
    invoice_needed = models.BooleanField(_("invoice needed"), default=False)
    invoice_title = models.CharField(_("invoice title"), max_length=200, blank=True)
    after_service = models.TextField(_("after the service"), blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("prepared by"), on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField(_("prepared at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("service confirmation form")
        verbose_name_plural = _("service confirmation forms")

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.service_type}"


class Bill(models.Model):
    """After-sales billing (A4): billed when work starts; paid only on finance's confirmation;
    then an invoice or receipt."""

    class Document(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        RECEIPT = "receipt", _("Receipt")

    ticket = models.OneToOneField(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="bill")
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    payment_due = models.DateField(_("payment due"))
    billed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("billed by"), on_delete=models.PROTECT, related_name="+"
    )
    billed_at = models.DateTimeField(_("billed at"))
    payment_method = models.CharField(_("payment method"), max_length=50, blank=True)
    paid_at = models.DateTimeField(_("payment confirmed at"), null=True, blank=True)
    payment_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payment confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    document_kind = models.CharField(_("invoice or receipt"), max_length=10, choices=Document.choices, blank=True)
    document_number = models.CharField(_("number"), max_length=50, blank=True)
    document_title = models.CharField(_("title"), max_length=200, blank=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")

    def __str__(self) -> str:
        return f"{self.ticket.reference} ¥{self.amount}"

    @property
    def is_paid(self) -> bool:
        return self.paid_at is not None

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


class DocumentReturn(models.Model):
    """Documents handed back (A5): collected in person, or sent by courier with a receipt call."""

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("Collected in person")
        COURIER = "courier", _("By courier")

    class Receipt(models.TextChoices):
        RECEIVED = "received", _("Received")
        NOT_RECEIVED = "not_received", _("Not received — follow up")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="document_returns"
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    documents = models.CharField(_("documents returned"), max_length=300)
    collected_by = models.CharField(_("collected by"), max_length=100, blank=True)
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    courier_company = models.CharField(_("courier company"), max_length=100, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=50, blank=True)
    courier_phone = models.CharField(_("courier phone"), max_length=30, blank=True)
    expected_arrival = models.DateField(_("expected arrival"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    receipt_result = models.CharField(_("receipt call result"), max_length=20, choices=Receipt.choices, blank=True)
    receipt_note = models.CharField(_("receipt call note"), max_length=300, blank=True)
    receipt_checked_at = models.DateTimeField(_("receipt call at"), null=True, blank=True)
    receipt_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receipt call by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("document return")
        verbose_name_plural = _("document returns")
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.get_method_display()}"


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=500)
    is_read = models.BooleanField(_("read"), default=False)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "is_read", "created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.text


# --- The business calendar ----------------------------------------------------------------


class WorkingPeriod(models.Model):
    """A daily working period, half-open [start, end), for one weekday (0 = Monday)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    end = models.TimeField(_("end"))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=models.F("end")), name="workingperiod_start_before_end"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class CalendarYear(models.Model):
    """A year whose official schedule (holidays and make-up workdays) is known."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    is_official = models.BooleanField(_("official schedule entered"), default=True)
    source = models.CharField(_("source"), max_length=10, default="seed")
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """An exception to the weekly pattern: a holiday on a weekday, or a make-up workday (S9)."""

    class Source(models.TextChoices):
        SEED = "seed", _("Seeded from chinesecalendar")
        ADMIN = "admin", _("Entered by an administrator")
        IMPORT = "import", _("Imported")

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.ADMIN)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


# --- SLA ----------------------------------------------------------------------------------


class DeadlineKind(models.TextChoices):
    # Durations come from SlaPolicy (defaults: 2 working hours, 2 working days, 24 hours).
    HANDOFF = "handoff", _("Handoff")
    REPLY = "reply", _("Handler reply")
    TEST_CALLBACK = "test_callback", _("Customer test report")
    RECEIPT_CALLBACK = "receipt_callback", _("Receipt confirmation call")
    # Walk-in visits (issue 4). Defaults: 3 clock minutes for the wait and each ladder step.
    VISIT_WAIT = "visit_wait", _("Visitor waiting")
    VISIT_CLARIFY = "visit_clarify", _("Not yet clear (escalation ladder)")
    HOST_ACK = "host_ack", _("Person visited to acknowledge")
    REPAIR_ARRIVAL = "repair_arrival", _("Promised repair visit")
    INCIDENT_REPORT = "incident_report", _("Incident report")
    INVOICE_DELIVERY = "invoice_delivery", _("Invoice delivery")
    # Complaints (issue 5): the reply promised on acceptance (S6).
    COMPLAINT_PROMISE = "complaint_promise", _("Promised complaint reply")


class DurationUnit(models.TextChoices):
    WORKING_HOURS = "working_hours", _("working hours")
    WORKING_DAYS = "working_days", _("working days")
    CLOCK_HOURS = "clock_hours", _("clock hours")
    CLOCK_MINUTES = "clock_minutes", _("clock minutes")


class SlaPolicy(models.Model):
    """How long a deadline kind runs, per ticket kind, category and priority (blank = any).

    The most specific active row wins: a match on category beats one on priority, which
    beats one on ticket kind.
    """

    deadline_kind = models.CharField(_("deadline"), max_length=30, choices=DeadlineKind.choices)
    ticket_kind = models.CharField(_("ticket kind"), max_length=20, choices=Ticket.Kind.choices, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE, null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Ticket.Priority.choices, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, choices=DurationUnit.choices)
    warn_ratio = models.DecimalField(
        _("warn at share of window"),
        max_digits=3,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Blank: the site default (0.8)."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["deadline_kind", "ticket_kind", "priority"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="slapolicy_amount_positive"),
            models.CheckConstraint(
                condition=Q(warn_ratio__isnull=True) | (Q(warn_ratio__gt=0) & Q(warn_ratio__lt=1)),
                name="slapolicy_warn_ratio_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_deadline_kind_display()}: {self.amount} {self.get_unit_display()}"


class Deadline(models.Model):
    """One SLA timer of a ticket, as a row the sweep finds by `next_action_at`."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        CANCELLED = "cancelled", _("Cancelled")

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("kind"), max_length=30, choices=DeadlineKind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.RUNNING)
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("policy"), on_delete=models.SET_NULL, null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=20, choices=DurationUnit.choices)
    warn_ratio = models.DecimalField(_("warn ratio"), max_digits=3, decimal_places=2)

    started_at = models.DateTimeField(_("started at"))
    # Start of the current running stretch: started_at, or the last resume.
    anchor_at = models.DateTimeField(_("running since"))
    # Set once the clock has been paused: the (working) time left at anchor_at.
    remaining = models.DurationField(_("remaining at resume"), null=True, blank=True)
    # The whole window in (working) time, for the warning share.
    window = models.DurationField(_("window"))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    warn_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_total = models.DurationField(_("paused in total"), default=timedelta(0))
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    # For the compliance statistics: when the outcome became known (met, or the sweep found it
    # breached, whichever came first), and the (working) time used when met, paused time excluded.
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    used = models.DurationField(_("time used"), null=True, blank=True)
    is_provisional = models.BooleanField(
        _("provisional"), default=False, help_text=_("Computed on a year with no official calendar yet.")
    )
    # The ticket's department when the deadline settled (recorded with settled_at, never changed):
    # the department the compliance figures count it against. No index of its own: the figures
    # read it from the covering index of settled deadlines (PostgreSQL) or the daily counts.
    department = models.ForeignKey(
        Department,
        verbose_name=_("department when settled"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # What the sweep must do next, and when: warn_at, then due_at, then nothing.
    next_action_at = models.DateTimeField(null=True, blank=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["next_action_at"],
                condition=Q(state="running", next_action_at__isnull=False),
                name="deadline_sweep_due",
            ),
            models.Index(fields=["ticket", "kind"], name="deadline_ticket_kind"),
            models.Index(fields=["settled_at"], condition=Q(settled_at__isnull=False), name="deadline_settled"),
            models.Index(fields=["due_at"], condition=Q(state="running"), name="deadline_running_due"),
        ]
        constraints = [
            # At most one live timer of a kind per ticket.
            models.UniqueConstraint(
                fields=["ticket", "kind"],
                condition=Q(state__in=["running", "paused"]),
                name="deadline_one_live_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())

    @property
    def display_state(self) -> str:
        """running, paused, warned, met, breached or cancelled: what a person sees."""
        # A deadline that ran out stays "breached" whatever ended it afterwards.
        if self.breached_at:
            return "breached"
        if self.state == self.State.MET:
            return "met"
        if self.state in (self.State.CANCELLED, self.State.PAUSED):
            return self.state
        if self.warned_at:
            return "warned"
        return "running"


class SlaAction(models.Model):
    """What the sweep did to a deadline, at most once per (deadline, action, level)."""

    class Action(models.TextChoices):
        WARN = "warn", _("Warning")
        BREACH = "breach", _("Breach")

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="actions")
    action = models.CharField(max_length=10, choices=Action.choices)
    level = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField()
    acted_at = models.DateTimeField()

    class Meta:
        verbose_name = _("SLA action")
        verbose_name_plural = _("SLA actions")
        constraints = [
            models.UniqueConstraint(fields=["deadline", "action", "level"], name="slaaction_once"),
        ]

    def __str__(self) -> str:
        return f"{self.action} L{self.level} deadline {self.deadline_id}"


# --- Integrations (issue 7) -------------------------------------------------------------------


class ApiClient(models.Model):
    """Another system using the REST API with its own key (stored hashed) and scopes.

    It acts through a staff identity of its own (`user`, shown as "api:<name>" in ticket events),
    so every service and the access rule apply to it as to a person; `departments` (when any)
    limit what it sees."""

    name = models.SlugField(_("name"), max_length=50, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("identity"), on_delete=models.PROTECT, related_name="api_client"
    )
    key_prefix = models.CharField(_("key prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    departments = models.ManyToManyField(
        Department, verbose_name=_("limited to departments"), blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name

    @property
    def identity(self) -> str:
        return f"api:{self.name}"


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an `Idempotency-Key`, replayed for 24 hours to the same
    caller sending the same key and body (servicedesk.api.idempotency)."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("caller"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=200)
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    body = models.JSONField(_("response body"), null=True, blank=True)
    etag = models.CharField(_("ETag"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")]

    def __str__(self) -> str:
        return f"{self.owner_id}:{self.key}"


class WebhookSubscription(models.Model):
    """An API client's standing request to be told of ticket events by an HTTP POST (issue 7).

    Each delivery is signed with `secret` (HMAC-SHA256), so the receiver knows it came from us.
    The rules for `url` and `events` are checked by tickets.webhooks (webhook_subscription_check),
    which the admin form calls."""

    class Event(models.TextChoices):
        TICKET_CREATED = "ticket.created", _("Ticket created")
        TICKET_STATUS_CHANGED = "ticket.status_changed", _("Ticket status changed")
        DEADLINE_WARNED = "deadline.warned", _("Deadline near")
        DEADLINE_BREACHED = "deadline.breached", _("Deadline breached")
        VISIT_CALLED = "visit.called", _("Visitor called to the counter")
        COMPLAINT_ACCEPTED = "complaint.accepted", _("Complaint accepted")
        COMPLAINT_CLOSED = "complaint.closed", _("Complaint closed")

    client = models.ForeignKey(
        ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        indexes = [models.Index(fields=["is_active"], name="webhooksub_active")]

    def __str__(self) -> str:
        return f"{self.client.name} → {self.url}"


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one subscription: the exact body, and how it went."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, will retry")
        GIVEN_UP = "given_up", _("Given up")

    subscription = models.ForeignKey(
        WebhookSubscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40, choices=WebhookSubscription.Event.choices)
    payload = models.JSONField(_("payload"), default=dict)
    # The exact bytes sent (UTF-8), so the signature can be checked against what is stored.
    body = models.TextField(_("body"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveIntegerField(_("last response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # When the retry sweep may pick it up: the next retry after a failure, or the end of the lease
    # of a send under way (a worker that died mid-send is retried after it).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhookdelivery_due")]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


from tickets.models_sla import *  # noqa: E402,F401,F403
