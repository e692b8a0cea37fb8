# Admin registrations; calendar admin lives in admin_calendar.py.
"""The Django admin: reference data is edited here; tickets and their record are only read.

Tickets, ticket events, deadlines and SLA actions change only through tickets.services and the
SLA sweep, so their admins are read-only (T3: the event log is append-only). Every changelist
joins what its columns show, so a page costs the same number of queries whatever its length.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets import admin_calendar  # noqa: F401
from tickets.materials import FORM_FIELDS
from tickets.models import (
    ApiClient,
    Bill,
    Category,
    Customer,
    Deadline,
    Department,
    DocumentReturn,
    MaterialCheck,
    MissingMaterialsConfirmation,
    Notification,
    ProblemRoute,
    ServiceConfirmation,
    SlaAction,
    SlaPolicy,
    StaffProfile,
    Ticket,
    TicketEvent,
    WebhookDelivery,
    WebhookSubscription,
)

User = get_user_model()

# Category.__str__ walks up the tree; joining this many ancestors keeps a path of up to four
# levels query-free (call-reason trees are two or three deep).
CATEGORY_PATH = "parent__parent__parent"


class ReadOnlyAdminMixin:
    """Viewable by whoever may view the model; nobody adds, changes or deletes through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- People and organisation ----------------------------------------------------------------


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "head", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["head"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["head"]


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    fk_name = "user"
    can_delete = False
    max_num = 1
    extra = 1
    verbose_name_plural = _("staff profile")
    autocomplete_fields = ["department"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["staff_name", "staff_no", "extension", "department", "role"]
    list_filter = ["role", "department"]
    list_select_related = ["user", "department"]
    search_fields = ["staff_no", "user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "department"]
    ordering = ["staff_no"]

    @admin.display(description=_("name"), ordering="user__last_name")
    def staff_name(self, obj: StaffProfile) -> str:
        return obj.display_name


# Django's own User admin, with the staff profile (staff number, extension, role) inline.
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [StaffProfileInline]


# --- Customers and reference data -----------------------------------------------------------


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    # K1/K2: the ID number is editable on the change form but never listed or searched, so a
    # changelist page never shows it in full.
    list_display = ["name", "phone", "company", "id_number_masked", "primary_contact", "created_at"]
    list_select_related = ["primary_contact"]
    search_fields = ["name", "phone", "phone_alt"]
    autocomplete_fields = ["primary_contact"]
    ordering = ["-created_at", "-id"]

    @admin.display(description=_("ID number"))
    def id_number_masked(self, obj: Customer) -> str:
        return obj.masked_id_number


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["path", "sort_order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "parent__name"]
    autocomplete_fields = ["parent"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(CATEGORY_PATH)

    @admin.display(description=_("category"), ordering="name")
    def path(self, obj: Category) -> str:
        return str(obj)


@admin.register(ProblemRoute)
class ProblemRouteAdmin(admin.ModelAdmin):
    list_display = ["problem_type", "department"]
    list_select_related = ["department"]
    autocomplete_fields = ["department"]


# --- SLA policies ---------------------------------------------------------------------------


class SlaPolicyAdminForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["deadline_kind", "ticket_kind", "category", "priority", "amount", "unit", "warn_ratio", "is_active"]

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(_("The amount must be greater than zero."), code="not_positive")
        return amount

    def clean_warn_ratio(self) -> Decimal | None:
        ratio = self.cleaned_data["warn_ratio"]
        if ratio is not None and not (0 < ratio < 1):
            raise forms.ValidationError(
                _("The warning share must be between 0 and 1, for example 0.8."), code="out_of_range"
            )
        return ratio


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyAdminForm
    list_display = [
        "deadline_kind",
        "ticket_kind",
        "category",
        "priority",
        "amount",
        "unit",
        "warn_ratio",
        "is_active",
    ]
    list_filter = ["deadline_kind", "ticket_kind", "priority", "unit", "is_active"]
    autocomplete_fields = ["category"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(f"category__{CATEGORY_PATH}")

    # A policy change moves the deadlines of open tickets: recompute them after the change.

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._recompute_deadlines(_("SLA policy “%(policy)s” saved") % {"policy": obj})

    def delete_model(self, request, obj):
        label = str(obj)
        super().delete_model(request, obj)
        self._recompute_deadlines(_("SLA policy “%(policy)s” deleted") % {"policy": label})

    def delete_queryset(self, request, queryset):
        count = queryset.count()
        super().delete_queryset(request, queryset)
        self._recompute_deadlines(
            ngettext("%(count)d SLA policy deleted", "%(count)d SLA policies deleted", count) % {"count": count}
        )

    def _recompute_deadlines(self, reason: str) -> None:
        from tickets.deadlines import deadlines_recompute_later

        deadlines_recompute_later(reason=str(reason))


# --- Tickets and their record: read-only ----------------------------------------------------


class TicketEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketEvent
    fields = ["created_at", "type", "actor", "actor_label", "status_before", "status_after", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class DeadlineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Deadline
    fields = [
        "kind",
        "state",
        "policy",
        "amount",
        "unit",
        "started_at",
        "warn_at",
        "due_at",
        "warned_at",
        "breached_at",
        "met_at",
        "escalation_level",
        "is_provisional",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("policy")


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Tickets change only through services; the admin shows them and their record."""

    list_display = [
        "reference",
        "kind",
        "channel",
        "status",
        "priority",
        "subject",
        "department",
        "assignee",
        "first_responder",
        "created_at",
    ]
    list_filter = ["status", "kind", "channel", "priority", "department"]
    search_fields = ["reference", "subject", "contact_phone"]
    date_hierarchy = "created_at"
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference",
                    "kind",
                    "channel",
                    "status",
                    "priority",
                    "outcome",
                    "problem_type",
                    "category",
                    "subject",
                    "description",
                ]
            },
        ),
        (
            _("Customer"),
            {"fields": ["customer", "contact_name", "contact_phone", "callback_phone", "callback_note"]},
        ),
        (_("Responsibility"), {"fields": ["first_responder", "assignee", "department", "escalation_level"]}),
        (_("Times"), {"fields": ["created_at", "updated_at", "handed_off_at", "resolved_at", "closed_at"]}),
    ]
    readonly_fields = [name for _title, options in fieldsets for name in options["fields"]]
    inlines = [DeadlineInline, TicketEventInline]

    def get_queryset(self, request):
        # K1: the admin shows the same tickets as the rest of the app.
        return Ticket.objects.visible_to(request.user).select_related(
            "department", "assignee", "first_responder", "customer", f"category__{CATEGORY_PATH}"
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """T3: the event log is append-only; nothing here can edit or delete an event."""

    list_display = ["created_at", "ticket", "type", "actor", "actor_label", "status_before", "status_after"]
    list_filter = ["type"]
    search_fields = ["ticket__reference", "note"]
    date_hierarchy = "created_at"
    fields = [
        "ticket",
        "created_at",
        "type",
        "actor",
        "actor_label",
        "status_before",
        "status_after",
        "note",
        "data",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        visible = Ticket.objects.visible_to(request.user)
        return super().get_queryset(request).filter(ticket__in=visible).select_related("ticket", "actor")


@admin.register(SlaAction)
class SlaActionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["acted_at", "ticket_reference", "deadline", "action", "level", "due_at"]
    list_filter = ["action", "level"]
    search_fields = ["deadline__ticket__reference"]
    fields = ["deadline", "action", "level", "due_at", "acted_at"]
    readonly_fields = fields
    ordering = ["-acted_at", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("deadline__ticket")

    @admin.display(description=_("ticket"), ordering="deadline__ticket__reference")
    def ticket_reference(self, obj: SlaAction) -> str:
        return obj.deadline.ticket.reference


# --- Notifications --------------------------------------------------------------------------


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "ticket", "text", "is_read", "sent_at"]
    list_filter = ["is_read", ("sent_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient", "ticket"]
    search_fields = ["text", "recipient__username", "ticket__reference"]
    readonly_fields = ["recipient", "ticket", "text", "created_at", "sent_at"]
    actions = ["mark_as_read"]

    def has_add_permission(self, request):
        # Notifications are written by the services that raise them.
        return False

    @admin.action(description=_("Mark selected notifications as read"), permissions=["change"])
    def mark_as_read(self, request, queryset):
        count = queryset.filter(is_read=False).update(is_read=True)
        self.message_user(
            request,
            ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
            % {"count": count},
            messages.SUCCESS,
        )


# --- Materials checklist and service confirmation form (A1, A3): read-only -----------------
# Written only through tickets.materials (each change is on the ticket's timeline).


class TicketRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A row belonging to a ticket: shown only for tickets the user may see (K1)."""

    def get_queryset(self, request):
        visible = Ticket.objects.visible_to(request.user)
        return super().get_queryset(request).filter(ticket__in=visible)


@admin.register(MaterialCheck)
class MaterialCheckAdmin(TicketRecordAdmin):
    list_display = ["ticket", "name", "is_required", "state", "checked_by", "checked_at"]
    list_filter = ["state", "is_required"]
    list_select_related = ["ticket", "checked_by"]
    search_fields = ["ticket__reference", "name"]
    fields = ["ticket", "name", "note", "is_required", "state", "reason", "checked_by", "checked_at", "sort_order"]
    readonly_fields = fields


@admin.register(MissingMaterialsConfirmation)
class MissingMaterialsConfirmationAdmin(TicketRecordAdmin):
    list_display = ["recorded_at", "ticket", "__str__", "signed_name", "is_confirmed", "scan", "recorded_by"]
    list_select_related = ["ticket", "scan", "recorded_by"]
    search_fields = ["ticket__reference", "signed_name"]
    fields = ["ticket", "documents", "signed_name", "is_confirmed", "scan", "recorded_by", "recorded_at"]
    readonly_fields = fields


@admin.register(ServiceConfirmation)
class ServiceConfirmationAdmin(TicketRecordAdmin):
    list_display = ["ticket", "service_type", "estimated_time", "fee_amount", "invoice_needed", "prepared_by"]
    list_filter = ["service_type", "invoice_needed"]
    list_select_related = ["ticket", "service_type", "prepared_by"]
    search_fields = ["ticket__reference", "invoice_title"]
    fields = ["ticket", *FORM_FIELDS, "prepared_by", "prepared_at", "updated_at"]
    readonly_fields = fields


# --- After-sales: bills and document returns (A4, A5): read-only ----------------------------
# Written only through tickets.aftersales (each write has its event).


@admin.register(Bill)
class BillAdmin(TicketRecordAdmin):
    list_display = ["ticket", "amount", "payment_due", "billed_at", "paid_at", "document_kind", "document_number"]
    list_filter = [("paid_at", admin.EmptyFieldListFilter), ("issued_at", admin.EmptyFieldListFilter), "document_kind"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "document_number", "document_title"]
    date_hierarchy = "billed_at"
    fields = [
        "ticket",
        "amount",
        "payment_due",
        "payment_method",
        "billed_by",
        "billed_at",
        "paid_at",
        "payment_confirmed_by",
        "document_kind",
        "document_number",
        "document_title",
        "issued_by",
        "issued_at",
    ]
    readonly_fields = fields


@admin.register(DocumentReturn)
class DocumentReturnAdmin(TicketRecordAdmin):
    list_display = ["recorded_at", "ticket", "method", "documents", "tracking_number", "receipt_result"]
    list_filter = ["method", "receipt_result"]
    list_select_related = ["ticket"]
    search_fields = ["ticket__reference", "tracking_number", "documents", "collected_by"]
    fields = [
        "ticket",
        "method",
        "documents",
        "collected_by",
        "collected_at",
        "courier_company",
        "tracking_number",
        "courier_phone",
        "expected_arrival",
        "recorded_by",
        "recorded_at",
        "receipt_result",
        "receipt_note",
        "receipt_checked_by",
        "receipt_checked_at",
    ]
    readonly_fields = fields


# --- Integrations --------------------------------------------------------------------------------


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """API keys are made by `manage.py create_api_key` (the key is shown once); here they are
    looked at and revoked."""

    list_display = ("name", "scope_list", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name",)
    readonly_fields = (
        "name",
        "user",
        "key_prefix",
        "scopes",
        "departments",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    fields = (
        "name",
        "user",
        "key_prefix",
        "scopes",
        "departments",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("scopes"))
    def scope_list(self, client: ApiClient) -> str:
        return " ".join(client.scopes)

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        from tickets.api_keys import api_client_revoke

        revoked = 0
        for client in queryset.filter(revoked_at__isnull=True):
            api_client_revoke(client=client)
            revoked += 1
        self.message_user(
            request, ngettext("%(n)d key revoked.", "%(n)d keys revoked.", revoked) % {"n": revoked}, messages.SUCCESS
        )


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=WebhookSubscription.Event.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ("client", "url", "events", "is_active")

    def clean(self):
        from django.utils import timezone

        from tickets import webhooks
        from tickets.exceptions import InvalidInput

        cleaned = super().clean()
        checks = [("url", webhooks.webhook_url_check), ("events", webhooks.webhook_events_check)]
        if self.instance.pk is None:
            checks.append(("client", lambda client: webhooks.webhook_client_check(client, now=timezone.now())))
        for field, check in checks:
            if field in cleaned:
                try:
                    cleaned[field] = check(cleaned[field])
                except InvalidInput as error:
                    self.add_error(field, error.message)
        return cleaned


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Subscriptions are made here; the signing secret is made with them and shown read-only."""

    form = WebhookSubscriptionForm
    list_display = ("client", "url", "event_list", "is_active", "created_at")
    list_filter = ("is_active",)
    list_select_related = ("client",)
    search_fields = ("client__name", "url")
    readonly_fields = ("secret", "created_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("client", "url", "events", "is_active")
        return ("client", "url", "events", "is_active", "secret", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return ("client", "secret", "created_at") if obj is not None else ()

    @admin.display(description=_("events"))
    def event_list(self, subscription: WebhookSubscription) -> str:
        return " ".join(subscription.events)

    def save_model(self, request, obj, form, change):
        from tickets import webhooks

        data = form.cleaned_data
        if change:
            webhooks.webhook_subscription_update(
                subscription=obj, url=data["url"], events=data["events"], is_active=data["is_active"]
            )
        else:
            created = webhooks.webhook_subscription_create(
                client=data["client"], url=data["url"], events=data["events"], is_active=data["is_active"]
            )
            obj.pk, obj.secret, obj.created_at = created.pk, created.secret, created.created_at
            obj._state.adding = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The delivery log: read only, with a manual redeliver."""

    list_display = (
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "event")
    list_select_related = ("subscription__client",)
    search_fields = ("=id", "subscription__client__name", "body")
    fields = (
        "subscription",
        "event",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "body",
    )
    readonly_fields = fields
    actions = ["redeliver"]

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("tickets.change_webhooksubscription")

    @admin.action(description=_("Redeliver the selected deliveries"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        from tickets.webhooks import webhook_redeliver

        count = 0
        for delivery in queryset:
            webhook_redeliver(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%(n)d delivery queued again.", "%(n)d deliveries queued again.", count) % {"n": count},
            messages.SUCCESS,
        )
