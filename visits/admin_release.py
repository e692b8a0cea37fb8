"""Admin for property accounts (edit, search, import from CSV) and read-only views of the slips and
desk payments (they are written only through visits.release)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.admin import ReadOnlyAdminMixin
from visits.models_release import CounterPayment, PropertyAccount, ReleaseSlip
from visits.release import CSV_HELP, CsvImportError, property_accounts_import


class PropertyAccountImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"), help_text=CSV_HELP)


class PropertyAccountAdminForm(forms.ModelForm):
    class Meta:
        model = PropertyAccount
        fields = ["unit", "owner_name", "owner_phone", "tenant_name", "tenant_phone", "months_unpaid", "amount_owed"]


@admin.register(PropertyAccount)
class PropertyAccountAdmin(admin.ModelAdmin):
    form = PropertyAccountAdminForm
    list_display = ["unit", "owner_name", "owner_phone", "tenant_name", "months_unpaid", "amount_owed", "updated_at"]
    search_fields = ["unit", "owner_name", "owner_phone", "tenant_name"]
    list_filter = ["months_unpaid"]
    readonly_fields = ["updated_at"]
    change_list_template = "visits/release/admin_account_changelist.html"

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)

    def get_urls(self):
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="visits_propertyaccount_import",
            )
        ]
        return extra + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = PropertyAccountImportForm(request.POST or None, request.FILES or None)
        errors: list[str] = []
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    result = property_accounts_import(file=form.cleaned_data["file"])
                except CsvImportError as error:
                    errors = error.errors
                    status = 400
                else:
                    messages.success(
                        request,
                        _("Imported: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.")
                        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
                    )
                    return redirect(reverse("admin:visits_propertyaccount_changelist"))
            else:
                status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import property accounts from CSV"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "visits/release/admin_account_import.html", context, status=status)


@admin.register(ReleaseSlip)
class ReleaseSlipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "unit", "person_name", "mover", "is_manager_notified", "issued_at"]
    search_fields = ["number", "unit", "person_name"]
    list_select_related = ["ticket"]


@admin.register(CounterPayment)
class CounterPaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["receipt_number", "amount", "purpose", "payer_name", "taken_at", "invoice_number"]
    search_fields = ["receipt_number", "payer_name", "unit", "invoice_number"]
