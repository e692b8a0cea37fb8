"""Messages for absent people (V3, 004 示例4): a visitor came for a member of staff who was out
or busy; the desk wrote down who came, how to reach them and what they wanted, for that person.

A message stays open on the recipient's desk until they (or a supervisor) mark it handled.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket

__all__ = ["VisitorMessage"]


class VisitorMessage(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="visitor_messages"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("for"),
        on_delete=models.PROTECT,
        related_name="visitor_messages_received",
    )
    visitor_name = models.CharField(_("visitor"), max_length=100)
    contact = models.CharField(_("contact"), max_length=50)
    text = models.TextField(_("message"))
    is_urgent = models.BooleanField(_("urgent"), default=False)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("taken by"), on_delete=models.PROTECT, related_name="+"
    )
    taken_at = models.DateTimeField(_("taken at"))
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_note = models.CharField(_("how it was handled"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("message for an absent colleague")
        verbose_name_plural = _("messages for absent colleagues")
        constraints = [
            models.CheckConstraint(
                condition=Q(handled_at__isnull=True, handled_by__isnull=True)
                | Q(handled_at__isnull=False, handled_by__isnull=False),
                name="visitormessage_handled_by_and_at",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "handled_at"], name="visitormessage_inbox"),
            models.Index(fields=["taken_by", "taken_at"], name="visitormessage_taken"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_name} → {self.recipient}"

    @property
    def is_handled(self) -> bool:
        return self.handled_at is not None
