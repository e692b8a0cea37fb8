"""Checklist data the desk reads at the right moment: service types, their special reminders (A2)
and the documents each needs (A3). Edited in the admin; seeded from the manuals.

A ticket keeps a copy of the reminders it was given and of its materials list, so editing a list
later never changes what a past ticket shows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceType(models.Model):
    """A line of business the desk serves (visa application, hukou registration, …)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=50, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class ServiceReminder(models.Model):
    """A special reminder (A2) to give the customer; without a service type it applies to all."""

    service_type = models.ForeignKey(
        ServiceType,
        verbose_name=_("service type"),
        on_delete=models.CASCADE,
        related_name="reminders",
        null=True,
        blank=True,
        help_text=_("Leave empty for a reminder given on every consultation."),
    )
    text = models.CharField(_("reminder"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("special reminder")
        verbose_name_plural = _("special reminders")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.text


class RequiredDocument(models.Model):
    """A document a service type needs from the customer (A3)."""

    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service type"), on_delete=models.CASCADE, related_name="documents"
    )
    name = models.CharField(_("document"), max_length=200)
    note = models.CharField(_("requirements"), max_length=300, blank=True)
    is_required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("A missing required document needs the customer's written confirmation."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        ordering = ["sort_order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service_type", "name"], name="uniq_document_per_service_type"),
        ]

    def __str__(self) -> str:
        return self.name


class ChecklistVersion(models.Model):
    """What a service type's lists held at one time: its special reminders (A2) and its required
    documents (A3). A ticket records the version it was given (scripts_lib.checklists), so a past
    ticket always shows the list it was served from, whatever the admin changes since."""

    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    reminders = models.JSONField(_("special reminders"), default=list)
    documents = models.JSONField(_("required documents"), default=list)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        ordering = ["service_type", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["service_type", "number"], name="checklist_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.service_type} v{self.number}"


# The phrase book (P1, P2, P4) and the forbidden-phrase guard (P3), issue 6.
from scripts_lib.models_guard import *  # noqa: E402,F401,F403
from scripts_lib.models_phrasebook import *  # noqa: E402,F401,F403
