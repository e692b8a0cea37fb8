"""Customer evaluations (C5, manual 001 第二章 "客户服务评估"): the customer scores the technical
level (技术水平) and the service attitude (服务态度) of a resolved ticket, each on the manual's
−50 % … 200 % scale in steps of 10 %, plus a comment; through a single-use link (QR code on the
printed forms) or by phone, recorded by a member of staff.

Only a SHA-256 hash of a link's token is stored: the raw token exists only in the URL handed to
the customer. Issuing another link for a ticket does not void the earlier ones (a reprinted form
must not cancel the one the customer already holds); each expires 14 days after it was issued,
and the first evaluation of the ticket, however it was taken, spends them all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils.translation import gettext_lazy as _

from tickets.models import Department, Ticket

__all__ = [
    "SCORE_CHOICES",
    "SCORE_MAX",
    "SCORE_MIN",
    "SCORE_STEP",
    "SCORE_VALUES",
    "Evaluation",
    "EvaluationLink",
    "EvaluationSettings",
]

SCORE_MIN = -50
SCORE_MAX = 200
SCORE_STEP = 10
SCORE_VALUES: tuple[int, ...] = tuple(range(SCORE_MIN, SCORE_MAX + 1, SCORE_STEP))
SCORE_CHOICES = [(value, f"{value}%".replace("-", "−")) for value in SCORE_VALUES]


class EvaluationSettings(models.Model):
    """The one row of evaluation settings (admin-editable): when an evaluation counts as extremely
    dissatisfied and becomes a complaint (manual 001 第二章 1.2.2.2)."""

    complaint_threshold = models.SmallIntegerField(
        _("complaint threshold (%)"),
        choices=SCORE_CHOICES,
        default=-30,
        help_text=_(
            "An evaluation with either score at or below this opens a complaint automatically "
            "(the customer is extremely dissatisfied)."
        ),
    )

    class Meta:
        verbose_name = _("evaluation settings")
        verbose_name_plural = _("evaluation settings")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="evaluationsettings_singleton")]

    def __str__(self) -> str:
        return str(_("Evaluation settings"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls) -> EvaluationSettings:
        return cls.objects.get_or_create(pk=1)[0]


class EvaluationLink(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="evaluation_links"
    )
    # sha256 hex of the raw token; the token itself is never stored.
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation link")
        verbose_name_plural = _("evaluation links")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.issued_at:%Y-%m-%d}"


class Evaluation(models.Model):
    class Method(models.TextChoices):
        LINK = "link", _("By the customer, through the evaluation link")
        PHONE = "phone", _("By phone, recorded by staff")

    ticket = models.OneToOneField(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="evaluation")
    link = models.OneToOneField(
        EvaluationLink,
        verbose_name=_("evaluation link"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation",
    )
    method = models.CharField(_("taken"), max_length=10, choices=Method.choices)
    technical_score = models.SmallIntegerField(_("technical level (%)"), choices=SCORE_CHOICES)
    attitude_score = models.SmallIntegerField(_("service attitude (%)"), choices=SCORE_CHOICES)
    comment = models.TextField(_("comments or suggestions"), blank=True)
    # Whom it evaluates, as they were when the customer evaluated: the engineer or handler (the
    # ticket's assignee) and the department.
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("engineer / handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations_received",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluations",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    evaluated_at = models.DateTimeField(_("evaluated at"), db_index=True)
    complaint = models.OneToOneField(
        "complaints.Complaint",
        verbose_name=_("complaint opened"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evaluation",
    )

    class Meta:
        verbose_name = _("customer evaluation")
        verbose_name_plural = _("customer evaluations")
        ordering = ["-evaluated_at", "-id"]
        indexes = [
            models.Index(fields=["evaluated_at", "engineer"], name="evaluation_month_engineer"),
            models.Index(fields=["evaluated_at", "department"], name="evaluation_month_dept"),
            # The dashboard's worst evaluations (complaints.selectors_evaluations.evaluation_list_worst),
            # in the order it lists them: read from the start until enough fall in the period.
            models.Index(
                Least("technical_score", "attitude_score"),
                F("technical_score") + F("attitude_score"),
                F("evaluated_at").desc(),
                F("id").desc(),
                name="evaluation_worst_first",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(technical_score__in=SCORE_VALUES), name="evaluation_technical_on_scale"),
            models.CheckConstraint(condition=Q(attitude_score__in=SCORE_VALUES), name="evaluation_attitude_on_scale"),
            models.CheckConstraint(
                condition=Q(method="phone", recorded_by__isnull=False, link__isnull=True)
                | Q(method="link", link__isnull=False),
                name="evaluation_method_matches_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.technical_score}% / {self.attitude_score}%"

    @property
    def is_by_phone(self) -> bool:
        return self.method == self.Method.PHONE
