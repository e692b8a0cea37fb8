"""Complaint-rate statistics (C3) and suggestion decisions (C4).

A month's complaint figures are frozen when the month closes (月度/季度客户投诉率统计表): one
ComplaintMonthClose row says the month is closed, with one ComplaintRateSnapshot per department
(and one for complaints not yet routed). Later edits to complaints do not change them; only an
administrator's recompute does, and each recompute is kept as a SnapshotRecompute row.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import Department, Ticket

__all__ = ["ComplaintMonthClose", "ComplaintRateSnapshot", "SnapshotRecompute", "SuggestionDecision"]


class ComplaintMonthClose(models.Model):
    """A closed month (Asia/Shanghai): its complaint figures are the snapshots, not live counts."""

    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    closed_at = models.DateTimeField(_("closed at"))

    class Meta:
        verbose_name = _("closed complaint month")
        verbose_name_plural = _("closed complaint months")
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="complaint_month_close_unique"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="complaint_month_close_month"),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}"


class ComplaintRateSnapshot(models.Model):
    """One department's complaint figures for a closed month. `department` empty: the
    complaints not yet routed to a department (and the tickets without a department)."""

    closed_month = models.ForeignKey(
        ComplaintMonthClose, verbose_name=_("month"), on_delete=models.CASCADE, related_name="snapshots"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received = models.PositiveIntegerField(_("complaints received"))
    upheld = models.PositiveIntegerField(_("complaints upheld"))
    handled = models.PositiveIntegerField(_("tickets handled"))
    frozen_at = models.DateTimeField(_("frozen at"))
    recomputed_at = models.DateTimeField(_("recomputed at"), null=True, blank=True)
    recomputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recomputed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("complaint-rate snapshot")
        verbose_name_plural = _("complaint-rate snapshots")
        ordering = ["year", "month", "department__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month", "department"],
                condition=Q(department__isnull=False),
                name="complaint_snapshot_unique_dept",
            ),
            models.UniqueConstraint(
                fields=["year", "month"],
                condition=Q(department__isnull=True),
                name="complaint_snapshot_unique_unrouted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.department or _('Unrouted')}"


class SnapshotRecompute(models.Model):
    """An administrator's recompute of a closed month: who, when, why, and every row's old and
    new figures (`changes`: [{"department": id|None, "name": str, "old": [r, u, h] | None,
    "new": [r, u, h]}])."""

    closed_month = models.ForeignKey(
        ComplaintMonthClose, verbose_name=_("month"), on_delete=models.CASCADE, related_name="recomputes"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"))
    reason = models.TextField(_("reason"))
    recomputed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recomputed by"), on_delete=models.PROTECT, related_name="+"
    )
    recomputed_at = models.DateTimeField(_("recomputed at"))
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        verbose_name = _("snapshot recompute")
        verbose_name_plural = _("snapshot recomputes")
        ordering = ["-recomputed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.recomputed_at:%Y-%m-%d %H:%M}"


class SuggestionDecision(models.Model):
    """Whether a customer's suggestion (a ticket of kind `suggestion`) is adopted (C4). Nothing
    is promised to the customer either way; a changed decision keeps its history as events."""

    class Decision(models.TextChoices):
        ADOPTED = "adopted", _("Adopted")
        NOT_ADOPTED = "not_adopted", _("Not adopted")

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("suggestion"), on_delete=models.PROTECT, related_name="suggestion_decision"
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        verbose_name = _("suggestion decision")
        verbose_name_plural = _("suggestion decisions")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.get_decision_display()}"
