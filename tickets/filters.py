"""The ticket list's filters (django-filter). The view always passes the visible tickets
(`selectors.ticket_list_visible`) as the queryset, so no filter can widen what a user sees."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Replace
from django.utils.translation import gettext_lazy as _

from tickets.models import Category, Department, Ticket
from tickets.selectors import ticket_overdue_condition
from tickets.sla import SHANGHAI

UNFINISHED = "unfinished"
DEFAULT_ORDERING = ("-created_at", "-id")
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Ticket.Priority.values)),
    output_field=IntegerField(),
)
ORDERINGS = {
    "-created": DEFAULT_ORDERING,
    "created": ("created_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "-priority": ("-priority_rank", "-created_at", "-id"),
    "priority": ("priority_rank", "-created_at", "-id"),
    "reference": ("reference",),
    "-reference": ("-reference",),
}
_PHONE_NOISE = re.compile(r"[\s\-()]")
PHONE_FIELDS = ("contact_phone", "callback_phone", "customer__phone", "customer__phone_alt")


def _digits(field: str) -> Replace:
    """The column without the separators people type in phone numbers (space, hyphen, brackets)."""
    expression = F(field)
    for noise in (" ", "-", "(", ")"):
        expression = Replace(expression, Value(noise), Value(""))
    return expression


def shanghai_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name() or obj.get_username()
        return f"{name} ({obj.staff.staff_no})" if hasattr(obj, "staff") else name


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


def _active_staff(request) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, staff__isnull=False)
        .select_related("staff")
        .order_by("first_name", "last_name", "username")
    )


class TicketFilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("created_after"), cleaned.get("created_before")
        if after and before and before < after:
            self.add_error("created_before", _("The end date is before the start date."))
        return cleaned


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_q",
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Reference, customer, phone or subject"), "autocomplete": "off"}
        ),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Ticket.Kind.choices, empty_label=_("All kinds"))
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(UNFINISHED, _("Not yet resolved")), *Ticket.Status.choices],
        method="filter_status",
        empty_label=_("All statuses"),
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Ticket.Priority.choices, empty_label=_("All priorities")
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"), queryset=Department.objects.filter(is_active=True), empty_label=_("All departments")
    )
    assignee = StaffChoiceFilter(label=_("Assignee"), queryset=_active_staff, empty_label=_("Anyone"))
    category = django_filters.ModelChoiceFilter(
        label=_("Call reason"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        empty_label=_("All call reasons"),
    )
    created_after = django_filters.DateFilter(
        label=_("Accepted from"), method="filter_created_after", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = django_filters.DateFilter(
        label=_("Accepted until"), method="filter_created_before", widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput)
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"),
        method="filter_ordering",
        empty_label=None,
        choices=[
            ("-created", _("Newest first")),
            ("created", _("Oldest first")),
            ("-updated", _("Recently updated")),
            ("-priority", _("Highest priority first")),
            ("priority", _("Lowest priority first")),
            ("reference", _("Reference (ascending)")),
            ("-reference", _("Reference (descending)")),
        ],
    )

    class Meta:
        model = Ticket
        fields: list[str] = []
        form = TicketFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, now: datetime):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.now = now

    @property
    def qs(self):
        """The filtered tickets; none at all while any filter value is invalid (never a misleading list)."""
        if not hasattr(self, "_qs"):
            self._qs = super().qs if self.is_valid() else self.queryset.none()
        return self._qs

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(*DEFAULT_ORDERING)
        return queryset

    def filter_q(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        condition = (
            Q(reference__istartswith=text)
            | Q(subject__icontains=text)
            | Q(contact_name__icontains=text)
            | Q(customer__name__icontains=text)
        )
        digits = _PHONE_NOISE.sub("", text)
        if digits.isdigit():
            # Phones are matched on their digits: "021-6666 8888" is found by "66668888".
            queryset = queryset.alias(**{f"{name}_digits": _digits(name) for name in PHONE_FIELDS})
            for name in PHONE_FIELDS:
                condition |= Q(**{f"{name}_digits__contains": digits})
        return queryset.filter(condition)

    def filter_status(self, queryset, name, value):
        if value == UNFINISHED:
            return queryset.open()
        return queryset.filter(status=value)

    def filter_created_after(self, queryset, name, value: date):
        return queryset.filter(created_at__gte=shanghai_midnight(value))

    def filter_created_before(self, queryset, name, value: date):
        # Inclusive: the whole of that day in Asia/Shanghai.
        return queryset.filter(created_at__lt=shanghai_midnight(value + timedelta(days=1)))

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(ticket_overdue_condition(now=self.now)) if value else queryset

    def filter_ordering(self, queryset, name, value):
        fields = ORDERINGS[value]
        if any("priority_rank" in field for field in fields):
            queryset = queryset.annotate(priority_rank=PRIORITY_RANK)
        return queryset.order_by(*fields)
