from django import template

register = template.Library()


@register.inclusion_tag("admin/tickets/calendar/banner.html", takes_context=True)
def calendar_banner(context):
    """The missing-official-schedule warning, for admin pages outside the calendar admin."""
    from django.urls import reverse

    from tickets import calendars
    from tickets.admin_calendar import _can_import, calendar_warnings

    request = context.get("request")
    result = {"calendar_warnings": calendar_warnings(calendars.calendar_today())}
    if request is not None and _can_import(request):
        result["calendar_import_url"] = reverse("admin:tickets_calendarday_import")
    return result
