"""Complaints (issue 5, C1–C3, S6): the complaint behind a ticket of kind `complaint`, the
admin-set rules that route it, its handling report and its return visits.

Suggestions and customer evaluations (C4, C5) and the complaint-rate statistics live in their
own modules, imported at the end of this one.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tickets.models import Department, ProblemType, Ticket


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    SERIOUS = "serious", _("Serious")
    CRITICAL = "critical", _("Critical")


class ComplaintRoute(models.Model):
    """Which department handles a complaint of a problem type (and, optionally, severity) (T5).
    The most specific active rule wins; without one, the ticket app's problem routes apply."""

    problem_type = models.CharField(_("problem type"), max_length=30, choices=ProblemType.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, blank=True, help_text=_("Blank: any severity.")
    )
    department = models.ForeignKey(Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("complaint route")
        verbose_name_plural = _("complaint routes")
        constraints = [
            models.UniqueConstraint(fields=["problem_type", "severity"], name="complaint_route_unique_rule"),
        ]

    def __str__(self) -> str:
        severity = self.get_severity_display() if self.severity else _("any severity")
        return f"{self.get_problem_type_display()} / {severity} → {self.department}"


class Complaint(models.Model):
    ticket = models.OneToOneField(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="complaint")
    # The ticket or visit the complaint arose from (linked both ways: it has `complaints`).
    source_ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("arose from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    problem_type = models.CharField(_("problem type"), max_length=30, choices=ProblemType.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    promised_hours = models.DecimalField(
        _("reply promised within (hours)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal(720))],
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("responsible department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("routed to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("accepted by"), on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), db_index=True)
    # Decided by the handling report: was the customer right? (C3: complaints upheld.)
    is_upheld = models.BooleanField(_("upheld"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [models.Index(fields=["department", "accepted_at"], name="complaint_dept_month_idx")]

    def __str__(self) -> str:
        return self.ticket.reference


class ComplaintReport(models.Model):
    """The complaint handling report (投诉处理报告表, C3)."""

    complaint = models.OneToOneField(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="report"
    )
    investigation = models.TextField(_("investigation"))
    cause = models.TextField(_("cause"))
    staff_involved = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("staff involved"), blank=True, related_name="+"
    )
    staff_involved_note = models.CharField(_("others involved"), max_length=300, blank=True)
    # Visible only to department heads, supervisors, office managers and admins.
    penalty_opinion = models.TextField(_("penalty opinion"), blank=True)
    corrective_action = models.TextField(_("corrective action to prevent a repeat"))
    is_upheld = models.BooleanField(_("complaint upheld"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(_("written at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint handling report")
        verbose_name_plural = _("complaint handling reports")

    def __str__(self) -> str:
        return str(self.complaint)


class ReturnVisit(models.Model):
    """The call back to the customer after a complaint is handled (回访)."""

    class Verdict(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        NOT_SATISFIED = "not_satisfied", _("Not satisfied")
        UNREACHABLE = "unreachable", _("Unreachable")

    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="return_visits"
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("called by"), on_delete=models.PROTECT, related_name="+"
    )
    called_at = models.DateTimeField(_("called at"))
    verdict = models.CharField(_("customer's verdict"), max_length=20, choices=Verdict.choices)
    comment = models.TextField(_("customer's comment"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["called_at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint} {self.get_verdict_display()}"


# The other parts of the complaints app: the complaint-rate statistics and suggestion decisions
# (C3, C4), and the customer evaluations (C5).
from complaints.models_evaluations import *  # noqa: E402,F401,F403
from complaints.models_stats import *  # noqa: E402,F401,F403
