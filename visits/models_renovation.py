"""Counter business (V4): the renovation permit (装修许可) and the repair request (报修).

A renovation application belongs to one visit ticket: the contractor, the documents received,
the workers (name, ID number, a one-inch photo each), and once issued its permit number and the
fees charged, copied from the fee schedule in force that day. A repair request belongs to one
ticket too: in engineering's scope it is dispatched with a promised arrival time (a
REPAIR_ARRIVAL deadline on the ticket); out of scope the customer is referred elsewhere.
Every write is a service in visits/renovation.py and leaves an event on the ticket.
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

__all__ = [
    "RenovationApplication",
    "RenovationFeeSchedule",
    "RenovationWorker",
    "RepairRequest",
]

_NOT_NEGATIVE = [MinValueValidator(0)]


class RenovationFeeSchedule(models.Model):
    """The amounts the management office charges for a renovation permit, from a date on.

    The row with the latest `effective_from` not after the day of issue applies; older rows are
    kept so a past permit can be explained."""

    effective_from = models.DateField(_("effective from"), unique=True)
    renovation_deposit = models.DecimalField(
        _("renovation deposit"), max_digits=10, decimal_places=2, validators=_NOT_NEGATIVE
    )
    permit_fee = models.DecimalField(_("permit fee"), max_digits=10, decimal_places=2, validators=_NOT_NEGATIVE)
    pass_deposit_per_worker = models.DecimalField(
        _("pass deposit per worker"),
        max_digits=10,
        decimal_places=2,
        validators=_NOT_NEGATIVE,
        help_text=_("Deposit for each worker's site pass (装修出入证), refunded when the pass is returned."),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("renovation fee schedule")
        verbose_name_plural = _("renovation fee schedules")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(renovation_deposit__gte=0) & Q(permit_fee__gte=0) & Q(pass_deposit_per_worker__gte=0),
                name="renovation_fees_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Renovation fees from %(date)s") % {"date": self.effective_from.isoformat()})


class RenovationApplication(models.Model):
    """One renovation permit application, made at the counter for a visit ticket."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        ISSUED = "issued", _("Permit issued")

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="renovation_application"
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    unit = models.CharField(_("unit"), max_length=100)
    owner_name = models.CharField(_("owner"), max_length=100)
    owner_phone = models.CharField(_("owner's phone"), max_length=30, blank=True)
    contractor_name = models.CharField(_("contractor"), max_length=200)
    contractor_licence_no = models.CharField(_("business licence number"), max_length=50)
    contractor_contact = models.CharField(_("contractor's site manager"), max_length=100, blank=True)
    contractor_phone = models.CharField(_("site manager's phone"), max_length=30, blank=True)
    works = models.CharField(_("works"), max_length=300, blank=True)
    period_start = models.DateField(_("works start"))
    period_end = models.DateField(_("works end"))
    # The documents the manual asks for: ticked as seen at the counter, or uploaded as a scan.
    has_business_licence = models.BooleanField(_("contractor's business licence received"), default=False)
    has_qualification = models.BooleanField(_("qualification certificate received"), default=False)
    has_drawings = models.BooleanField(_("construction drawings received"), default=False)
    business_licence_file = models.FileField(
        _("business licence scan"), upload_to="renovation/documents/%Y/%m/", blank=True
    )
    qualification_file = models.FileField(
        _("qualification certificate scan"), upload_to="renovation/documents/%Y/%m/", blank=True
    )
    drawings_file = models.FileField(_("drawings scan"), upload_to="renovation/documents/%Y/%m/", blank=True)

    permit_number = models.CharField(_("permit number"), max_length=20, blank=True)
    fee_schedule = models.ForeignKey(
        RenovationFeeSchedule,
        verbose_name=_("fee schedule"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    renovation_deposit = models.DecimalField(_("renovation deposit"), max_digits=10, decimal_places=2, null=True)
    permit_fee = models.DecimalField(_("permit fee"), max_digits=10, decimal_places=2, null=True)
    pass_deposit_per_worker = models.DecimalField(
        _("pass deposit per worker"), max_digits=10, decimal_places=2, null=True
    )
    worker_count = models.PositiveSmallIntegerField(_("workers"), null=True)
    total_fee = models.DecimalField(_("total"), max_digits=12, decimal_places=2, null=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("prepared by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("renovation application")
        verbose_name_plural = _("renovation applications")
        constraints = [
            models.UniqueConstraint(
                fields=["permit_number"], condition=~Q(permit_number=""), name="renovation_unique_permit_number"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="renovation_period_order"
            ),
        ]

    def __str__(self) -> str:
        return self.permit_number or f"{self.unit} {self.contractor_name}"

    @property
    def is_issued(self) -> bool:
        return self.state == self.State.ISSUED


class RenovationWorker(models.Model):
    """A worker on the renovation: name, ID number and a one-inch photo for the site pass."""

    application = models.ForeignKey(
        RenovationApplication, verbose_name=_("application"), on_delete=models.CASCADE, related_name="workers"
    )
    name = models.CharField(_("name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18)
    photo = models.ImageField(_("photo"), upload_to="renovation/workers/%Y/%m/", blank=True)
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        verbose_name = _("renovation worker")
        verbose_name_plural = _("renovation workers")
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "id_number"], name="renovation_worker_once"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def id_number_masked(self) -> str:
        """The ID number as the page shows it: the first 6 and last 4 characters."""
        value = self.id_number
        if len(value) <= 10:
            return "*" * len(value)
        return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


class RepairRequest(models.Model):
    """A repair reported at the counter (报修)."""

    class Scope(models.TextChoices):
        IN_SCOPE = "in_scope", _("Within engineering's scope")
        OUT_OF_SCOPE = "out_of_scope", _("Outside engineering's scope")

    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("Dispatched to engineering")
        ARRIVED = "arrived", _("Engineer arrived")
        REFERRED = "referred", _("Referred elsewhere")

    ticket = models.OneToOneField(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="repair_request"
    )
    unit = models.CharField(_("unit"), max_length=100)
    problem = models.CharField(_("problem"), max_length=500)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    contact_phone = models.CharField(_("customer's phone"), max_length=30, blank=True)
    promised_at = models.DateTimeField(_("promised arrival"), null=True, blank=True)
    reschedule_count = models.PositiveSmallIntegerField(_("times rescheduled"), default=0)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    referral_number = models.CharField(_("referral number"), max_length=50, blank=True)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("repair request")
        verbose_name_plural = _("repair requests")

    def __str__(self) -> str:
        return f"{self.unit}: {self.problem[:40]}"
