"""The phrase book in the admin: the model's clean() refuses unknown placeholders and unbalanced
braces, so a broken script is never saved from here."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from scripts_lib.models_phrasebook import PLACEHOLDERS, Script


@admin.register(Script)
class ScriptAdmin(admin.ModelAdmin):
    list_display = ["moment", "text_zh", "channel", "kind", "time_of_day", "day_type", "priority", "is_active"]
    list_filter = ["moment", "channel", "kind", "time_of_day", "day_type", "is_active"]
    list_editable = ["priority", "is_active"]
    search_fields = ["text_zh", "text_en"]
    fieldsets = [
        (None, {"fields": ["moment", "text_zh", "text_en", "is_active", "priority"]}),
        (_("When it is shown (blank = any)"), {"fields": ["channel", "kind", "time_of_day", "day_type"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        allowed = "; ".join(f"{{{name}}}: {label}" for name, label in PLACEHOLDERS.items())
        for name in ("text_zh", "text_en"):
            if name in form.base_fields:
                form.base_fields[name].help_text = _("Placeholders: %(allowed)s") % {"allowed": allowed}
        return form
