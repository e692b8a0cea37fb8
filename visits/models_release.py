"""Counter business (V4): property accounts, move-out release slips (放行条) and payments taken at
the desk while the cashier is away, with their receipts.

Records attach to the visit's ticket; every write goes through visits.release, which also
writes the ticket's event. Slip and receipt numbers come from DocumentSequence, one locked row
per prefix and (Asia/Shanghai) day.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

__all__ = ["CounterPayment", "Mover", "OwnerConfirmation", "PropertyAccount", "ReleaseSlip"]


class PropertyAccount(models.Model):
    """A unit's management-fee account: who owns it, who rents it, and what is unpaid.

    Edited in the admin or imported from CSV (manage.py import_property_accounts); the release
    slip rules read it."""

    unit = models.CharField(_("unit"), max_length=50, unique=True, help_text=_("Building and room, e.g. 3栋1502."))
    owner_name = models.CharField(_("owner"), max_length=100)
    owner_phone = models.CharField(_("owner's phone"), max_length=30, blank=True)
    tenant_name = models.CharField(_("tenant"), max_length=100, blank=True)
    tenant_phone = models.CharField(_("tenant's phone"), max_length=30, blank=True)
    months_unpaid = models.PositiveSmallIntegerField(_("months unpaid"), default=0)
    amount_owed = models.DecimalField(_("amount owed (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("property account")
        verbose_name_plural = _("property accounts")
        ordering = ["unit"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_owed__gte=0), name="property_account_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.owner_name}"

    @property
    def has_arrears(self) -> bool:
        return self.months_unpaid > 0 or self.amount_owed > 0


class Mover(models.TextChoices):
    OWNER = "owner", _("Owner")
    TENANT = "tenant", _("Tenant")


class OwnerConfirmation(models.Model):
    """The owner's agreement to a tenant's move-out, recorded before the slip is issued."""

    class Method(models.TextChoices):
        PHONE = "phone", _("By phone")
        IN_PERSON = "in_person", _("In person")
        WRITTEN = "written", _("Written authorisation")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="owner_confirmations"
    )
    account = models.ForeignKey(
        PropertyAccount, verbose_name=_("property account"), on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.CharField(_("confirmed by"), max_length=100)
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    confirmed_at = models.DateTimeField(_("confirmed at"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("owner's confirmation")
        verbose_name_plural = _("owners' confirmations")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account.unit} {self.confirmed_by}"


class ReleaseSlip(models.Model):
    """A move-out release slip (放行条): what the guard at the lobby lets out."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="release_slips")
    number = models.CharField(_("slip number"), max_length=20, unique=True)
    account = models.ForeignKey(
        PropertyAccount, verbose_name=_("property account"), on_delete=models.PROTECT, related_name="release_slips"
    )
    # Copied when the slip is issued: later edits of the account do not change a printed slip.
    unit = models.CharField(_("unit"), max_length=50)
    owner_name = models.CharField(_("owner"), max_length=100)
    mover = models.CharField(_("moving out"), max_length=10, choices=Mover.choices)
    person_name = models.CharField(_("name"), max_length=100)
    person_phone = models.CharField(_("phone"), max_length=30, blank=True)
    items = models.JSONField(_("items"), default=list, help_text=_("A list of {item, quantity}."))
    months_unpaid = models.PositiveSmallIntegerField(_("months unpaid when issued"), default=0)
    amount_owed = models.DecimalField(
        _("amount owed when issued (yuan)"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    confirmation = models.ForeignKey(
        OwnerConfirmation,
        verbose_name=_("owner's confirmation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_manager_notified = models.BooleanField(_("CS manager notified"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"))

    class Meta:
        verbose_name = _("release slip")
        verbose_name_plural = _("release slips")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


class CounterPayment(models.Model):
    """Money taken at the desk while the cashier was away: a numbered receipt now, the invoice
    delivered later (a follow-up deadline on the ticket)."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        WECHAT = "wechat", _("WeChat Pay")
        ALIPAY = "alipay", _("Alipay")
        CARD = "card", _("Bank card")
        TRANSFER = "transfer", _("Bank transfer")

    class Delivery(models.TextChoices):
        TO_HOME = "to_home", _("Delivered to the home")
        COLLECTED = "collected", _("Collected at the desk")
        POST = "post", _("By post")
        ELECTRONIC = "electronic", _("Electronic invoice sent")

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="counter_payments"
    )
    receipt_number = models.CharField(_("receipt number"), max_length=20, unique=True)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    purpose = models.CharField(_("paid for"), max_length=200)
    method = models.CharField(_("payment method"), max_length=20, choices=Method.choices)
    payer_name = models.CharField(_("payer"), max_length=100)
    payer_phone = models.CharField(_("payer's phone"), max_length=30, blank=True)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("taken by"), on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(_("taken at"))
    invoice_number = models.CharField(_("invoice number"), max_length=50, blank=True)
    invoice_delivery = models.CharField(_("how delivered"), max_length=20, choices=Delivery.choices, blank=True)
    invoice_delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invoice delivered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    invoice_delivered_at = models.DateTimeField(_("invoice delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment taken at the desk")
        verbose_name_plural = _("payments taken at the desk")
        ordering = ["-taken_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="counter_payment_amount_positive")]
        indexes = [models.Index(fields=["invoice_delivered_at", "taken_at"], name="counter_payment_invoice_idx")]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def is_invoice_delivered(self) -> bool:
        return self.invoice_delivered_at is not None
