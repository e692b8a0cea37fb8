"""ID copies (V5) and incidents (V6, S7) kept on a ticket, usually a visit.

An ID copy is stored only as the watermarked image ("仅供×××使用" and the date): the
unmarked upload never reaches the disk (visits.records.id_copy_store). An incident is one of the
manual's three kinds of office-area incident (物业事件 A/B/C) with its record form
(《突发事件处理记录表》); its report is due within two working days (S7), and a supervisor may
keep it as a typical case for training.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

__all__ = ["IdCopy", "Incident", "IncidentContact", "IncidentType"]


def _id_copy_path(instance: IdCopy, filename: str) -> str:
    # A random name: the stored file says nothing about whose document it is.
    return f"id_copies/{instance.ticket_id}/{uuid.uuid4().hex}.jpg"


class IdCopy(models.Model):
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="id_copies")
    purpose = models.CharField(
        _("purpose"), max_length=30, help_text=_("Stamped on the copy as “仅供×××使用”, e.g. 办理入伙.")
    )
    watermark_text = models.CharField(_("watermark"), max_length=80)
    image = models.FileField(_("watermarked image"), upload_to=_id_copy_path, max_length=200)
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    size = models.PositiveIntegerField(_("size in bytes"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("ID copy")
        verbose_name_plural = _("ID copies")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.watermark_text}"


class IncidentType(models.TextChoices):
    """The manual's three kinds of office-area incident (物业事件 A/B/C)."""

    A = "A", _("A: unreasonable complaint visit by an owner without appointment")
    B = "B", _("B: unreasonable visit by a dismissed or disciplined employee")
    C = "C", _("C: unannounced media or government visit")


class Incident(models.Model):
    """The incident record form (《突发事件处理记录表》) of one ticket, its report and its
    typical-case flag."""

    ticket = models.OneToOneField(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="incident")
    type = models.CharField(_("incident type"), max_length=1, choices=IncidentType.choices)
    occurred_at = models.DateTimeField(_("time of the incident"))
    place = models.CharField(_("place"), max_length=100)
    people_involved = models.TextField(_("people involved"), max_length=1000)
    description = models.TextField(_("what happened"), max_length=4000)
    handling = models.TextField(_("how it was handled"), max_length=4000)
    people_called = models.TextField(_("who was called"), max_length=1000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    # The report (S7): filed within two working days of the incident.
    result = models.TextField(_("result"), max_length=4000, blank=True)
    improvement = models.TextField(_("lessons and improvements"), max_length=4000, blank=True)
    report_filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("report filed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    report_filed_at = models.DateTimeField(_("report filed at"), null=True, blank=True)
    # Typical cases are kept for training.
    is_typical = models.BooleanField(_("typical case"), default=False)
    typical_note = models.TextField(_("why it is typical"), max_length=2000, blank=True)
    typical_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked typical by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    typical_marked_at = models.DateTimeField(_("marked typical at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["is_typical", "type", "occurred_at"], name="incident_typical_idx")]

    def __str__(self) -> str:
        return f"{self.type} · {self.occurred_at:%Y-%m-%d}"

    @property
    def has_report(self) -> bool:
        return self.report_filed_at is not None


class IncidentContact(models.Model):
    """Whom to notify at once when an incident of a type is recorded (the manual: the CS manager
    for A, the HR officer for B, the project general manager for C). Without any row for a type,
    the supervisors and office managers are notified."""

    incident_type = models.CharField(_("incident type"), max_length=1, choices=IncidentType.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person to notify"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("incident contact")
        verbose_name_plural = _("incident contacts")
        constraints = [
            models.UniqueConstraint(fields=["incident_type", "user"], name="incident_contact_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.incident_type}: {self.user}"
