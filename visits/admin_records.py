"""Admin for ID copies and incidents (V5, V6).

Only the incident contacts are edited here. Incidents and ID copies change only through
visits.records (their record is on the ticket), so they are read-only; an ID copy's image is
not linked (it is served only through the protected view to the people working the ticket).
"""

from __future__ import annotations

from django.contrib import admin

from tickets.admin import ReadOnlyAdminMixin
from visits.models_records import IdCopy, Incident, IncidentContact


@admin.register(IncidentContact)
class IncidentContactAdmin(admin.ModelAdmin):
    list_display = ["incident_type", "user"]
    list_filter = ["incident_type"]
    list_select_related = ["user"]
    autocomplete_fields = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "type", "occurred_at", "place", "recorded_by", "report_filed_at", "is_typical"]
    list_filter = ["type", "is_typical"]
    list_select_related = ["ticket", "recorded_by"]
    search_fields = ["ticket__reference", "place", "people_involved"]
    date_hierarchy = "occurred_at"


@admin.register(IdCopy)
class IdCopyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "purpose", "watermark_text", "uploaded_by", "uploaded_at"]
    list_select_related = ["ticket", "uploaded_by"]
    search_fields = ["ticket__reference", "purpose"]
    exclude = ["image"]
