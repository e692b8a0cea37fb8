"""The dashboards' filters, in the URL so a view can be bookmarked and shared: a range of days
(inclusive, Asia/Shanghai), a department (by code) and the trend's step. The same names and
meaning as the statistics API (tickets.api_stats)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models import Department
from tickets.sla import SHANGHAI
from tickets.stats_scope import StatsScope

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # the years the desk can hold figures of
BUCKET_CHOICES = [("day", _("By day")), ("week", _("By week")), ("month", _("By month"))]


@dataclass(frozen=True)
class DashboardQuery:
    """What a dashboard page shows: valid filters within the viewer's scope."""

    scope: StatsScope
    date_from: date
    date_to: date
    department: Department | None
    bucket: str

    @property
    def department_id(self) -> int | None:
        return self.department.pk if self.department is not None else None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def params(self, **changes) -> dict[str, str]:
        """The query string of this view (with changes): for links, exports and the chart data."""
        values = {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "department": self.department.code if self.department is not None else "",
            "bucket": self.bucket,
        }
        values.update({key: str(value) for key, value in changes.items()})
        return {key: value for key, value in values.items() if value}


def date_range(date_from: date | None, date_to: date | None, *, today: date) -> tuple[date, date, tuple | None]:
    """The range a dashboard or statistics request asks for, with the defaults filled in (the
    last DEFAULT_DAYS days up to today), and the first thing wrong with it as (field, message),
    or None. One rule for the dashboards' form and the statistics API."""
    date_to = date_to or today
    date_from = date_from or date_to - timedelta(days=DEFAULT_DAYS - 1)
    for name, day in (("date_from", date_from), ("date_to", date_to)):
        if not FIRST_DAY <= day <= LAST_DAY:
            return date_from, date_to, (name, _("Choose days between 2000 and 2100."))
    if date_from > date_to:
        return date_from, date_to, ("date_to", _("The last day is before the first day."))
    if (date_to - date_from).days >= MAX_DAYS:
        return date_from, date_to, ("date_from", _("Ask for at most %(days)s days at a time.") % {"days": MAX_DAYS})
    return date_from, date_to, None


class DashboardFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.ChoiceField(label=_("Department"), required=False)
    bucket = forms.ChoiceField(label=_("Trend"), required=False, choices=BUCKET_CHOICES)

    def __init__(self, data, *, scope: StatsScope, now: datetime, default_bucket: str = "day"):
        super().__init__(data, auto_id="id_dash_%s", label_suffix="")
        self.scope = scope
        self.today = now.astimezone(SHANGHAI).date()
        self.default_bucket = default_bucket
        self.departments = list(scope.department_list())
        choices = [("", _("All departments") if scope.sees_all else _("All my departments"))]
        self.fields["department"].choices = choices + [(d.code, d.name) for d in self.departments]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        date_from, date_to, error = date_range(cleaned.get("date_from"), cleaned.get("date_to"), today=self.today)
        if error is not None:
            self.add_error(*error)
        cleaned["date_from"], cleaned["date_to"] = date_from, date_to
        cleaned["bucket"] = cleaned.get("bucket") or self.default_bucket
        return cleaned

    def query(self) -> DashboardQuery:
        """The valid query (call after is_valid())."""
        code = self.cleaned_data.get("department")
        department = next((d for d in self.departments if d.code == code), None) if code else None
        return DashboardQuery(
            scope=self.scope,
            date_from=self.cleaned_data["date_from"],
            date_to=self.cleaned_data["date_to"],
            department=department,
            bucket=self.cleaned_data["bucket"],
        )
