"""Django admin for the business calendar: working periods, official years, calendar days.

Thin: every save and delete goes through tickets.calendars, which invalidates the cached
calendar and queues the recompute of open tickets' deadlines. Every calendar admin page
carries a banner when the current or next year has no official schedule yet.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import calendars
from tickets.models import CalendarDay, CalendarYear, WorkingPeriod


def calendar_warnings(today: date) -> list[str]:
    """One banner line per year (current or next) with no official schedule."""
    return [
        _(
            "The official holiday schedule for %(year)s has not been entered yet; "
            "deadlines are computed provisionally on Monday–Friday."
        )
        % {"year": year}
        for year in calendars.calendar_missing_years(today)
    ]


class _CalendarAdmin(admin.ModelAdmin):
    change_list_template = "admin/tickets/calendar/change_list.html"
    change_form_template = "admin/tickets/calendar/change_form.html"

    def _banner_context(self, request: HttpRequest, extra_context: dict | None) -> dict:
        context = dict(extra_context or {})
        context["calendar_warnings"] = calendar_warnings(calendars.calendar_today())
        if _can_import(request):
            context["calendar_import_url"] = reverse("admin:tickets_calendarday_import")
        return context

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, self._banner_context(request, extra_context))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, self._banner_context(request, extra_context))


def _can_import(request: HttpRequest) -> bool:
    opts = CalendarDay._meta
    return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}") and request.user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    )


# --- calendar days ------------------------------------------------------------------------


class CalendarImportForm(forms.Form):
    FORMAT_CHOICES = [
        ("", gettext_lazy("From the file name (.csv or .json)")),
        ("csv", "CSV"),
        ("json", "JSON"),
    ]

    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV lines or JSON objects of date (YYYY-MM-DD), off/work (also 休/班) and an optional name."
        ),
    )
    fmt = forms.ChoiceField(label=gettext_lazy("Format"), choices=FORMAT_CHOICES, required=False)
    year = forms.IntegerField(
        label=gettext_lazy("Year"),
        required=False,
        min_value=1990,
        max_value=2200,
        help_text=gettext_lazy("If given, every date must be in this year, and only this year is marked official."),
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is not None and not cleaned.get("fmt"):
            name = upload.name.lower()
            if name.endswith(".csv"):
                cleaned["fmt"] = "csv"
            elif name.endswith(".json"):
                cleaned["fmt"] = "json"
            else:
                self.add_error("fmt", _("Choose a format: the file name ends in neither .csv nor .json."))
        return cleaned


@admin.register(CalendarDay)
class CalendarDayAdmin(_CalendarAdmin):
    list_display = ["date", "weekday", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "name", "source", "updated_at"]
    readonly_fields = ["source", "updated_at"]

    @admin.display(description=gettext_lazy("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return WorkingPeriod.Weekday(obj.date.weekday()).label

    def get_readonly_fields(self, request, obj=None):
        # A row is the exception for its date: to move it, delete it and add another.
        return [*self.readonly_fields, "date"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = calendars.calendar_day_set(day=obj.date, is_workday=obj.is_workday, name=obj.name)
        obj.pk, obj.source, obj.updated_at = saved.pk, saved.source, saved.updated_at

    def delete_model(self, request, obj):
        calendars.calendar_day_delete(days=[obj.date])

    def delete_queryset(self, request, queryset):
        calendars.calendar_day_delete(days=list(queryset.values_list("date", flat=True)))

    def get_urls(self):
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="tickets_calendarday_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not _can_import(request):
            raise PermissionDenied
        errors: list[str] = []
        if request.method == "POST":
            form = CalendarImportForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    summary = calendars.calendar_import(
                        content=form.cleaned_data["file"].read(),
                        fmt=form.cleaned_data["fmt"],
                        year=form.cleaned_data["year"],
                    )
                except calendars.CalendarImportError as exc:
                    errors = exc.messages
                else:
                    self.message_user(request, str(summary), messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:tickets_calendarday_changelist"))
        else:
            form = CalendarImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import an official holiday schedule"),
            "form": form,
            "import_errors": errors,
            "calendar_warnings": calendar_warnings(calendars.calendar_today()),
        }
        return TemplateResponse(request, "admin/tickets/calendar/import.html", context)


# --- official years -----------------------------------------------------------------------


@admin.register(CalendarYear)
class CalendarYearAdmin(_CalendarAdmin):
    list_display = ["year", "is_official", "source", "note", "updated_at"]
    list_filter = ["is_official", "source"]
    fields = ["year", "is_official", "note", "source", "updated_at"]
    readonly_fields = ["source", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "year"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = calendars.calendar_year_set(year=obj.year, is_official=obj.is_official, note=obj.note)
        obj.pk, obj.source, obj.updated_at = saved.pk, saved.source, saved.updated_at

    def delete_model(self, request, obj):
        calendars.calendar_year_delete(years=[obj.year])

    def delete_queryset(self, request, queryset):
        calendars.calendar_year_delete(years=list(queryset.values_list("year", flat=True)))


# --- working periods ----------------------------------------------------------------------


class WorkingPeriodForm(forms.ModelForm):
    class Meta:
        model = WorkingPeriod
        fields = ["weekday", "start", "end"]

    def clean(self):
        cleaned = super().clean()
        weekday, start, end = cleaned.get("weekday"), cleaned.get("start"), cleaned.get("end")
        if weekday is None or start is None or end is None:
            return cleaned
        if not start < end:
            raise forms.ValidationError(_("A working period must start before it ends."))
        clashes = calendars.working_period_overlaps(weekday=weekday, start=start, end=end, exclude_id=self.instance.pk)
        if clashes:
            raise forms.ValidationError(_("Overlaps %(periods)s.") % {"periods": ", ".join(clashes)})
        return cleaned


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(_CalendarAdmin):
    form = WorkingPeriodForm
    list_display = ["weekday", "start", "end"]
    list_filter = ["weekday"]

    def changelist_view(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        if not WorkingPeriod.objects.exists():
            extra_context["calendar_notes"] = [
                _(
                    "No working periods are stored, so the default applies: Monday–Friday 09:00–12:00 and "
                    "13:30–18:00. Once any period is stored, only the stored periods count."
                )
            ]
        return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        saved = calendars.working_period_save(
            weekday=obj.weekday, start=obj.start, end=obj.end, period_id=obj.pk if change else None
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        calendars.working_period_delete(period_ids=[obj.pk])

    def delete_queryset(self, request, queryset):
        calendars.working_period_delete(period_ids=list(queryset.values_list("pk", flat=True)))
