"""Admin for the complaint-rate snapshots and suggestion decisions (C3, C4): read only.

Months are closed by beat or `manage.py close_complaint_month`; an administrator recomputes a
closed month from the statistics page (/complaints/stats/), with a reason that is kept with the
old and new figures. Decisions on suggestions are made on the suggestion's page."""

from __future__ import annotations

from django.contrib import admin

from complaints.models import ComplaintMonthClose, ComplaintRateSnapshot, SnapshotRecompute, SuggestionDecision
from tickets.admin import ReadOnlyAdminMixin


class SnapshotInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintRateSnapshot
    fields = ("department", "received", "upheld", "handled", "frozen_at", "recomputed_at", "recomputed_by")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("department", "recomputed_by")


@admin.register(ComplaintMonthClose)
class ComplaintMonthCloseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "closed_at")
    list_filter = ("year",)
    inlines = [SnapshotInline]


@admin.register(SnapshotRecompute)
class SnapshotRecomputeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "recomputed_by", "recomputed_at", "reason")
    list_select_related = ("recomputed_by",)
    list_filter = ("year",)


@admin.register(SuggestionDecision)
class SuggestionDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "decision", "decided_by", "decided_at")
    list_select_related = ("ticket", "decided_by")
    list_filter = ("decision",)
    search_fields = ("ticket__reference", "reason")
