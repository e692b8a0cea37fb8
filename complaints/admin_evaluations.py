"""Admin for customer evaluations (C5): the settings singleton (the complaint threshold), and
read-only views of evaluations and links (they change only through complaints.evaluations)."""

from django.contrib import admin

from complaints.models import Evaluation, EvaluationLink, EvaluationSettings
from tickets.admin import ReadOnlyAdminMixin


@admin.register(EvaluationSettings)
class EvaluationSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "complaint_threshold"]

    # The one row is made on first use (EvaluationSettings.load); no query here, as the admin asks
    # on every page for its sidebar.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        EvaluationSettings.load()  # the one row is always there to edit
        return super().changelist_view(request, extra_context)


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "method", "technical_score", "attitude_score", "engineer", "department", "evaluated_at"]
    list_filter = ["method", "department"]
    search_fields = ["ticket__reference", "comment"]
    list_select_related = ["ticket", "engineer", "department"]
    date_hierarchy = "evaluated_at"


@admin.register(EvaluationLink)
class EvaluationLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["ticket", "issued_by", "issued_at", "expires_at", "used_at"]
    search_fields = ["ticket__reference"]
    list_select_related = ["ticket", "issued_by"]
    exclude = ["token_hash"]
    readonly_fields = ["ticket", "issued_by", "issued_at", "expires_at", "used_at"]
