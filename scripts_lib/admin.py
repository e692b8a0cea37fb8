from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from scripts_lib.models import RequiredDocument, ServiceReminder, ServiceType


class ServiceReminderInline(admin.TabularInline):
    model = ServiceReminder
    fields = ["text", "sort_order", "is_active"]
    extra = 0


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    fields = ["name", "note", "is_required", "sort_order", "is_active"]
    extra = 0


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "document_count", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [RequiredDocumentInline, ServiceReminderInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("documents")

    @admin.display(description=_("documents"))
    def document_count(self, obj: ServiceType) -> int:
        return len(obj.documents.all())


@admin.register(ServiceReminder)
class ServiceReminderAdmin(admin.ModelAdmin):
    """All reminders, including those given on every consultation (no service type)."""

    list_display = ["text", "service_type", "sort_order", "is_active"]
    list_filter = ["service_type", "is_active"]
    list_select_related = ["service_type"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["text"]


# The phrase book and the forbidden-phrase guard register their own models.
from scripts_lib import admin_guard, admin_phrasebook  # noqa: E402,F401
