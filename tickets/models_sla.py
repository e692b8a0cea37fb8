"""The SLA figures' daily counts (issue 9): what tickets.services_sla_rollup writes for each closed
Asia/Shanghai day, and tickets.selectors_sla reads instead of counting the day's deadlines again.
Imported by tickets.models."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import DeadlineKind, Department

__all__ = ["SlaDailyCount", "SlaRolledDay"]


class SlaRolledDay(models.Model):
    """A closed day whose settled deadlines are counted in SlaDailyCount. A day without this row
    is counted live from the deadlines (today, a day not rolled yet, or a day whose figures
    changed since it was rolled: its row is deleted, and its old counts are ignored)."""

    day = models.DateField(_("day"), unique=True)
    rolled_at = models.DateTimeField(_("rolled at"))

    class Meta:
        verbose_name = _("SLA day rolled up")
        verbose_name_plural = _("SLA days rolled up")
        ordering = ["day"]

    def __str__(self) -> str:
        return self.day.isoformat()


class SlaDailyCount(models.Model):
    """The deadlines of one kind that settled on one closed day, counted against one department
    (the one recorded when they settled; null: none): how many, how many met in time, how many
    provisional. The percentiles of time used are not additive: they are read from the deadlines."""

    day = models.DateField(_("day"))
    kind = models.CharField(_("kind"), max_length=30, choices=DeadlineKind.choices)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField(_("settled"))
    met_in_time = models.PositiveIntegerField(_("met in time"))
    provisional = models.PositiveIntegerField(_("provisional"))

    class Meta:
        verbose_name = _("SLA daily count")
        verbose_name_plural = _("SLA daily counts")
        ordering = ["day", "kind", "department"]
        indexes = [models.Index(fields=["day"], name="sladailycount_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.department_id}: {self.met_in_time}/{self.total}"
