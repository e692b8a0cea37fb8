"""Admin for the renovation fee schedule (amounts set by the management office) and read-only
views of permits and repair requests (written only through visits.renovation)."""

from django.contrib import admin

from tickets.admin import ReadOnlyAdminMixin
from visits.models_renovation import RenovationApplication, RenovationFeeSchedule, RepairRequest


@admin.register(RenovationFeeSchedule)
class RenovationFeeScheduleAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "renovation_deposit", "permit_fee", "pass_deposit_per_worker", "note")
    ordering = ("-effective_from",)


@admin.register(RenovationApplication)
class RenovationApplicationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("permit_number", "unit", "owner_name", "contractor_name", "state", "total_fee", "issued_at")
    list_filter = ("state",)
    search_fields = ("permit_number", "unit", "owner_name", "contractor_name", "ticket__reference")
    list_select_related = ("ticket",)


@admin.register(RepairRequest)
class RepairRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "unit", "scope", "state", "promised_at", "arrived_at", "referral_number")
    list_filter = ("scope", "state")
    search_fields = ("unit", "problem", "ticket__reference", "referral_number")
    list_select_related = ("ticket",)
