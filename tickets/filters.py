"""The ticket list's filters (django-filter). The view always passes the visible tickets
(`selectors.ticket_list_visible`) as the queryset, so no filter can widen what a user sees."""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField as NullableModelChoiceField

from tickets.models import Category, Deadline, DeadlineKind, Department, ProblemType, Ticket
from tickets.selectors import ticket_overdue_condition
from tickets.selectors_search import ticket_search
from tickets.selectors_sla import MET_IN_TIME
from tickets.sla import SHANGHAI

UNFINISHED = "unfinished"
DEFAULT_ORDERING_NAME = "-created"
DEFAULT_ORDERING = ("-created_at", "-id")
# Low 0 … urgent 3; the ticket_priority_rank index (Ticket.Meta) is on this same expression.
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Ticket.Priority.values)),
    output_field=IntegerField(),
)
ORDERINGS = {
    "-created": DEFAULT_ORDERING,
    "created": ("created_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "-priority": ("-priority_rank", "-created_at", "-id"),
    "priority": ("priority_rank", "created_at", "id"),  # the exact reverse: one index serves both
    "reference": ("reference",),
    "-reference": ("-reference",),
}
# Each ordering ends in a unique key (the id, or the reference), so a keyset page is exact
# (tickets.keyset); each has an index (Ticket.Meta, docs/performance.md).


def shanghai_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


class QuickSelect(forms.Select):
    """A select written out in Python: the same HTML as Django's, without a template (nor a
    format_html) per option; the assignee choice has hundreds of staff, and rendering them
    cost more than the page's rows."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        selected = chosen[0] if chosen else None
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        options = []
        for option_value, label in self.choices:
            option_value = "" if option_value is None else str(option_value)
            mark = ""
            if option_value == selected:
                mark, selected = " selected", None  # one selected option, as Django's select
            # html.escape is what django.utils.html.escape does, minus its lazy-string wrapper.
            options.append(f'  <option value="{html.escape(option_value)}"{mark}>{html.escape(str(label))}</option>')
        # The attributes in Django's order (name first), booleans bare, false ones left out.
        attributes = "".join(
            f" {key}" if value is True else f' {key}="{html.escape(str(value))}"'
            for key, value in final_attrs.items()
            if value is not False and value is not None
        )
        return mark_safe(f"<select{attributes}>\n" + "\n".join(options) + "</select>")


def _staff_label(name: str, staff_no: str | None) -> str:
    return f"{name} ({staff_no})" if staff_no is not None else name


class StaffChoiceIterator(forms.models.ModelChoiceIterator):
    """The staff choices read as plain values (id, names, staff number): the list offers
    hundreds, and a user and a profile object per option cost more than the page's rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        values = self.queryset.values_list("pk", "first_name", "last_name", "username", "staff__staff_no")
        for pk, first_name, last_name, username, staff_no in values.iterator():
            # As User.get_full_name(), else the username.
            yield (pk, _staff_label(f"{first_name} {last_name}".strip() or username, staff_no))


class StaffChoiceField(forms.ModelChoiceField):
    iterator = StaffChoiceIterator

    def label_from_instance(self, obj) -> str:
        return _staff_label(
            obj.get_full_name() or obj.get_username(), obj.staff.staff_no if hasattr(obj, "staff") else None
        )


class StaffChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = StaffChoiceField


class StaffOrNobodyField(NullableModelChoiceField):
    """A member of staff, or the null choice ("nobody named")."""

    label_from_instance = StaffChoiceField.label_from_instance


class StaffOrNobodyFilter(django_filters.ModelChoiceFilter):
    field_class = StaffOrNobodyField


def _any_staff(request) -> QuerySet:
    """Every member of staff, past ones too (an evaluation names whoever it evaluated)."""
    return get_user_model().objects.filter(staff__isnull=False).select_related("staff")


def _active_staff(request) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True, staff__isnull=False)
        .select_related("staff")
        .order_by("first_name", "last_name", "username")
    )


# The dashboards' drill-down filters: kept as hidden fields by the list and named above it.
DRILL_FIELDS = (
    "channel",
    "problem_type",
    "no_department",
    "resolved_after",
    "resolved_before",
    "first_contact",
    "deadline",
    "deadline_state",
    "settled_after",
    "settled_before",
    "settled_department",
    "visit",
    "visit_line",
    "handed_off_after",
    "handed_off_before",
    "no_category",
    "exclude_kind",
    "complaint_department",
    "complaint_upheld",
    "evaluated_after",
    "evaluated_before",
    "evaluated_staff",
    "evaluated_department",
)
NULL = "null"  # the "none" choice of a drill-down filter (a problem type, department or staff not given)
VISIT_STATES = [
    ("waiting", _("Waiting")),
    ("with_staff", _("With staff now")),
    ("called", _("Called")),
    ("served", _("Served")),
    ("left", _("Left before being served")),
]


def _visit_lines() -> list[tuple[str, str]]:
    """The walk-in queue lines, from the visits app's model (not imported: the tickets app
    depends on no other app)."""
    return list(apps.get_model("visits", "Visit")._meta.get_field("line").choices)


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
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Ticket.Kind.choices, empty_label=_("All kinds"), widget=QuickSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(UNFINISHED, _("Not yet resolved")), *Ticket.Status.choices],
        method="filter_status",
        empty_label=_("All statuses"),
        widget=QuickSelect,
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Ticket.Priority.choices, empty_label=_("All priorities"), widget=QuickSelect
    )
    department = django_filters.ModelChoiceFilter(
        label=_("Department"),
        queryset=Department.objects.filter(is_active=True),
        empty_label=_("All departments"),
        widget=QuickSelect,
    )
    assignee = StaffChoiceFilter(
        label=_("Assignee"), queryset=_active_staff, empty_label=_("Anyone"), widget=QuickSelect
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Call reason"),
        queryset=Category.objects.filter(is_active=True).select_related("parent"),
        empty_label=_("All call reasons"),
        widget=QuickSelect,
    )
    created_after = django_filters.DateFilter(
        label=_("Accepted from"), method="filter_created_after", widget=forms.DateInput(attrs={"type": "date"})
    )
    created_before = django_filters.DateFilter(
        label=_("Accepted until"), method="filter_created_before", widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = django_filters.BooleanFilter(label=_("Overdue only"), method="filter_overdue", widget=forms.CheckboxInput)
    # Drill-down from the dashboards: not on the filter form, carried as hidden fields and named
    # in a line above the list (see DRILL_FIELDS).
    channel = django_filters.ChoiceFilter(label=_("Channel"), choices=Ticket.Channel.choices)
    problem_type = django_filters.ChoiceFilter(
        label=_("Problem type"),
        choices=ProblemType.choices,
        null_label=_("None given"),
        null_value=NULL,
        method="filter_problem_type",
    )
    no_department = django_filters.BooleanFilter(
        label=_("Without a department"), method="filter_no_department", widget=forms.HiddenInput
    )
    no_category = django_filters.BooleanFilter(
        label=_("Without a call reason"), method="filter_no_category", widget=forms.HiddenInput
    )
    resolved_after = django_filters.DateFilter(label=_("Resolved from"), method="filter_resolved_after")
    resolved_before = django_filters.DateFilter(label=_("Resolved until"), method="filter_resolved_before")
    first_contact = django_filters.ChoiceFilter(
        label=_("Resolved at first contact"),
        choices=[("yes", _("Yes")), ("no", _("No, handed off"))],
        method="filter_first_contact",
    )
    deadline = django_filters.ChoiceFilter(label=_("Deadline"), choices=DeadlineKind.choices, method="filter_noop")
    deadline_state = django_filters.ChoiceFilter(
        label=_("Deadline state"),
        choices=[
            ("due_hour", _("Due within the next hour")),
            ("breached", _("Breached now")),
            ("met", _("Settled: met in time")),
            ("missed", _("Settled: breached")),
            ("settled", _("Settled")),
        ],
        method="filter_noop",
    )
    settled_after = django_filters.DateFilter(label=_("Settled from"), method="filter_noop")
    settled_before = django_filters.DateFilter(label=_("Settled until"), method="filter_noop")
    # The department a deadline counts against (the ticket's when it settled; the SLA figures').
    settled_department = django_filters.ModelChoiceFilter(
        label=_("Department when the deadline settled"),
        queryset=Department.objects.all(),
        null_label=_("No department"),
        null_value=NULL,
        method="filter_noop",
    )
    # Walk-in visits (the live page's queue panel): where the visitor is, and the queue line.
    visit = django_filters.ChoiceFilter(label=_("Walk-in visitors"), choices=VISIT_STATES, method="filter_visit")
    visit_line = django_filters.ChoiceFilter(label=_("Queue line"), choices=[], field_name="visit__line")
    handed_off_after = django_filters.DateFilter(label=_("First handed off from"), method="filter_handed_off_after")
    handed_off_before = django_filters.DateFilter(label=_("First handed off until"), method="filter_handed_off_before")
    # From the complaints and evaluations dashboard: the complaint's responsible department
    # (not the ticket's) and verdict; the evaluation's day, staff member and department as
    # they were recorded when the customer evaluated; every kind but one (tickets handled).
    exclude_kind = django_filters.ChoiceFilter(
        label=_("Every kind except"), choices=Ticket.Kind.choices, method="filter_exclude_kind"
    )
    complaint_department = django_filters.ModelChoiceFilter(
        label=_("Complaint's responsible department"),
        queryset=Department.objects.all(),
        null_label=_("Not routed yet"),
        null_value=NULL,
        method="filter_complaint_department",
    )
    complaint_upheld = django_filters.ChoiceFilter(
        label=_("Complaint upheld"), choices=[("yes", _("Yes")), ("no", _("No"))], method="filter_complaint_upheld"
    )
    evaluated_after = django_filters.DateFilter(label=_("Evaluated from"), method="filter_evaluated_after")
    evaluated_before = django_filters.DateFilter(label=_("Evaluated until"), method="filter_evaluated_before")
    evaluated_staff = StaffOrNobodyFilter(
        label=_("Evaluated staff member"),
        queryset=_any_staff,
        null_label=_("Nobody named"),
        null_value=NULL,
        method="filter_evaluated_staff",
    )
    evaluated_department = django_filters.ModelChoiceFilter(
        label=_("Evaluated department"),
        queryset=Department.objects.all(),
        null_label=_("No department"),
        null_value=NULL,
        method="filter_evaluated_department",
    )
    ordering = django_filters.ChoiceFilter(
        label=_("Sort by"),
        method="filter_ordering",
        empty_label=None,
        widget=QuickSelect,
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
        self.filters["visit_line"].extra["choices"] = _visit_lines()

    @property
    def qs(self):
        """The filtered tickets; none at all while any filter value is invalid (never a misleading list)."""
        if not hasattr(self, "_qs"):
            self._qs = super().qs if self.is_valid() else self.queryset.none()
        return self._qs

    def filter_queryset(self, queryset):
        queryset = self._filter_deadlines(super().filter_queryset(queryset))
        if not self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by(*DEFAULT_ORDERING)
        return queryset

    def filter_q(self, queryset, name, value):
        return ticket_search(queryset, value)

    def filter_status(self, queryset, name, value):
        if value == UNFINISHED:
            return queryset.open()
        return queryset.filter(status=value)

    def filter_created_after(self, queryset, name, value: date):
        return queryset.filter(created_at__gte=shanghai_midnight(value))

    def filter_created_before(self, queryset, name, value: date):
        # Inclusive: the whole of that day in Asia/Shanghai.
        return queryset.filter(created_at__lt=shanghai_midnight(value + timedelta(days=1)))

    def filter_noop(self, queryset, name, value):
        return queryset  # read together in _filter_deadlines

    def _filter_deadlines(self, queryset):
        """Tickets with a deadline (of a kind) in a state: due within the hour or breached now
        (running ones), or settled in a range of days, met in time or not (the dashboards'
        definition, tickets.selectors_sla)."""
        data = self.form.cleaned_data
        kind, state = data.get("deadline"), data.get("deadline_state")
        after, before = data.get("settled_after"), data.get("settled_before")
        settled_department = data.get("settled_department")
        if not (kind or state or after or before or settled_department):
            return queryset
        condition = Q()
        if kind:
            condition &= Q(kind=kind)
        if state == "due_hour":
            condition &= Q(state=Deadline.State.RUNNING, breached_at__isnull=True)
            condition &= Q(due_at__gte=self.now, due_at__lt=self.now + timedelta(hours=1))
        elif state == "breached":
            condition &= Q(state=Deadline.State.RUNNING) & (Q(breached_at__isnull=False) | Q(due_at__lt=self.now))
        else:
            if state == "met":
                condition &= MET_IN_TIME
            elif state == "missed":
                condition &= Q(settled_at__isnull=False) & ~MET_IN_TIME
            elif state == "settled" or after or before or settled_department:
                condition &= Q(settled_at__isnull=False)
            if after:
                condition &= Q(settled_at__gte=shanghai_midnight(after))
            if before:
                condition &= Q(settled_at__lt=shanghai_midnight(before + timedelta(days=1)))
            if settled_department == NULL:
                condition &= Q(department__isnull=True)
            elif settled_department:
                condition &= Q(department=settled_department)
        return queryset.filter(Exists(Deadline.objects.filter(condition, ticket=OuterRef("pk"))))

    def filter_visit(self, queryset, name, value):
        """Visit tickets by where the visitor is: still waiting, with staff now (called or being
        served), called at least once, finished and served (any outcome but "left"), or left
        before being served."""
        condition = {
            "waiting": Q(visit__state="waiting"),
            "with_staff": Q(visit__state__in=["called", "serving"]),
            "called": Q(visit__called_at__isnull=False),
            "served": Q(visit__state="finished") & ~Q(visit__outcome="left"),
            "left": Q(visit__state="finished", visit__outcome="left"),
        }[value]
        return queryset.filter(condition)

    def filter_no_department(self, queryset, name, value):
        return queryset.filter(department__isnull=True) if value else queryset

    def filter_problem_type(self, queryset, name, value):
        return queryset.filter(problem_type="" if value == NULL else value)

    def filter_no_category(self, queryset, name, value):
        return queryset.filter(category__isnull=True) if value else queryset

    def filter_handed_off_after(self, queryset, name, value: date):
        return queryset.filter(handed_off_at__gte=shanghai_midnight(value))

    def filter_handed_off_before(self, queryset, name, value: date):
        return queryset.filter(handed_off_at__lt=shanghai_midnight(value + timedelta(days=1)))

    def filter_resolved_after(self, queryset, name, value: date):
        return queryset.filter(resolved_at__gte=shanghai_midnight(value))

    def filter_resolved_before(self, queryset, name, value: date):
        return queryset.filter(resolved_at__lt=shanghai_midnight(value + timedelta(days=1)))

    def filter_first_contact(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(resolved_at__isnull=False, handed_off_at__isnull=True)
        return queryset.filter(handed_off_at__isnull=False)

    def filter_exclude_kind(self, queryset, name, value):
        return queryset.exclude(kind=value)

    def filter_complaint_department(self, queryset, name, value):
        if value == NULL:
            return queryset.filter(complaint__isnull=False, complaint__department__isnull=True)
        return queryset.filter(complaint__department=value)

    def filter_complaint_upheld(self, queryset, name, value):
        return queryset.filter(complaint__is_upheld=value == "yes")

    def filter_evaluated_after(self, queryset, name, value: date):
        return queryset.filter(evaluation__evaluated_at__gte=shanghai_midnight(value))

    def filter_evaluated_before(self, queryset, name, value: date):
        return queryset.filter(evaluation__evaluated_at__lt=shanghai_midnight(value + timedelta(days=1)))

    def filter_evaluated_staff(self, queryset, name, value):
        if value == NULL:
            return queryset.filter(evaluation__isnull=False, evaluation__engineer__isnull=True)
        return queryset.filter(evaluation__engineer=value)

    def filter_evaluated_department(self, queryset, name, value):
        if value == NULL:
            return queryset.filter(evaluation__isnull=False, evaluation__department__isnull=True)
        return queryset.filter(evaluation__department=value)

    def filter_overdue(self, queryset, name, value):
        return queryset.filter(ticket_overdue_condition(now=self.now)) if value else queryset

    def filter_ordering(self, queryset, name, value):
        fields = ORDERINGS[value]
        if any("priority_rank" in field for field in fields):
            queryset = queryset.annotate(priority_rank=PRIORITY_RANK)
        return queryset.order_by(*fields)
