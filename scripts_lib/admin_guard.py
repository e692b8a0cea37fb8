from django.contrib import admin

from scripts_lib.models import ForbiddenPhrase


@admin.register(ForbiddenPhrase)
class ForbiddenPhraseAdmin(admin.ModelAdmin):
    """The guard's list (P3); saving a phrase refreshes the checker's cache (scripts_lib.guard)."""

    list_display = ["phrase", "kind", "suggestion", "is_active"]
    list_filter = ["kind", "is_active"]
    list_editable = ["is_active"]
    search_fields = ["phrase", "suggestion"]
    fields = ["phrase", "kind", "suggestion", "exceptions", "is_active"]
