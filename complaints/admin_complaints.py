"""Complaints in the admin: the routing rules are set here; complaints, reports and return visits
are read-only (every change is a ticket event made by complaints.services)."""

from django.contrib import admin

from complaints.models import Complaint, ComplaintRoute, ReturnVisit
from tickets.admin import ReadOnlyAdminMixin


@admin.register(ComplaintRoute)
class ComplaintRouteAdmin(admin.ModelAdmin):
    list_display = ("problem_type", "severity", "department", "is_active")
    list_filter = ("problem_type", "is_active")
    list_select_related = ("department",)


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "problem_type", "severity", "department", "accepted_at", "is_upheld")
    list_filter = ("problem_type", "severity", "department", "is_upheld")
    search_fields = ("ticket__reference", "ticket__subject", "ticket__contact_name")
    list_select_related = ("ticket", "department")
    date_hierarchy = "accepted_at"


@admin.register(ReturnVisit)
class ReturnVisitAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("complaint", "verdict", "called_at", "called_by")
    list_filter = ("verdict",)
    list_select_related = ("complaint__ticket", "called_by")
