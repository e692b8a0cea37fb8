"""Reception and the queue in the admin: visits are read-only (every change is a ticket event made
by visits.services); the fallback contacts for visitors are set here."""

from django.contrib import admin

from tickets.admin import ReadOnlyAdminMixin
from visits.models import CounterPresence, HostFallback, Visit


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("queue_date", "__str__", "visitor_name", "purpose", "state", "outcome", "staff", "host")
    list_filter = ("queue_date", "line", "state", "outcome", "purpose", "is_urgent")
    search_fields = ("visitor_name", "visitor_phone", "ticket__reference")
    list_select_related = ("staff", "host")
    date_hierarchy = "checked_in_at"
    readonly_fields = [field.name for field in Visit._meta.fields]


@admin.register(HostFallback)
class HostFallbackAdmin(admin.ModelAdmin):
    list_display = ("department", "contact")
    list_select_related = ("department", "contact")
    autocomplete_fields = ("contact",)


@admin.register(CounterPresence)
class CounterPresenceAdmin(admin.ModelAdmin):
    list_display = ("user", "counter", "is_available", "updated_at")
    list_filter = ("is_available",)
    list_select_related = ("user",)
    readonly_fields = ("updated_at",)
