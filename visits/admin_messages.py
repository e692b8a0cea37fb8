"""Messages for absent colleagues in the admin: read-only, since every change is a ticket event
made by visits.messages."""

from django.contrib import admin

from tickets.admin import ReadOnlyAdminMixin
from visits.models_messages import VisitorMessage


@admin.register(VisitorMessage)
class VisitorMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("taken_at", "visitor_name", "recipient", "is_urgent", "taken_by", "handled_at")
    list_filter = ("is_urgent", ("handled_at", admin.EmptyFieldListFilter))
    search_fields = ("visitor_name", "contact", "text", "ticket__reference")
    list_select_related = ("recipient", "taken_by")
    date_hierarchy = "taken_at"
    readonly_fields = [field.name for field in VisitorMessage._meta.fields]
